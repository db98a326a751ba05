import ts from "typescript";

/**
 * The named types (interfaces, classes, type aliases, enums) declared in a package that its users
 * meet through what the package exports (a property's type, a constructor's parameter, a type
 * argument of an Output...) but cannot import by name, because the entry does not export them.
 * Walks from the exports of `moduleName` as imported by `consumerFile`. Private members and the
 * members of types from other packages are not walked; base interfaces are met through the members
 * they give.
 */
export function unexportedPublicTypes(program: ts.Program, consumerFile: string, moduleName: string, packageDir: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(consumerFile);
  const specifier = source?.statements
    .filter(ts.isImportDeclaration)
    .map((statement) => statement.moduleSpecifier)
    .find((node) => ts.isStringLiteral(node) && node.text === moduleName);
  const moduleSymbol = specifier && checker.getSymbolAtLocation(specifier);
  if (!moduleSymbol) throw new Error(`${consumerFile} does not import ${moduleName}`);

  const resolveAlias = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const exported = new Set(checker.getExportsOfModule(moduleSymbol).map(resolveAlias));
  const declaredHere = (symbol: ts.Symbol) => (symbol.declarations ?? []).some((declaration) => declaration.getSourceFile().fileName.startsWith(packageDir));
  const NAMED = ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Enum;
  const hidden = (declaration: ts.Declaration) => (ts.getCombinedModifierFlags(declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0;

  const missing = new Set<string>();
  const seen = new Set<ts.Type>();

  const visitSignature = (signature: ts.Signature) => {
    for (const parameter of signature.getParameters()) visitType(checker.getTypeOfSymbol(parameter));
    visitType(signature.getReturnType());
  };

  const visitMembers = (type: ts.Type) => {
    for (const property of checker.getPropertiesOfType(type)) {
      const declarations = property.declarations ?? [];
      if (declarations.length === 0 || declarations.some(hidden) || !declaredHere(property)) continue;
      visitType(checker.getTypeOfSymbol(property));
    }
    for (const signature of [...type.getCallSignatures(), ...type.getConstructSignatures()]) visitSignature(signature);
    for (const info of checker.getIndexInfosOfType(type)) visitType(info.type);
  };

  function visitType(type: ts.Type): void {
    if (seen.has(type)) return;
    seen.add(type);
    if (type.isUnionOrIntersection()) {
      type.types.forEach(visitType);
      return;
    }
    for (const argument of type.aliasTypeArguments ?? []) visitType(argument);
    if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
      checker.getTypeArguments(type as ts.TypeReference).forEach(visitType);
    }
    const named = [type.aliasSymbol, type.getSymbol()].find((symbol): symbol is ts.Symbol => symbol !== undefined && (symbol.flags & NAMED) !== 0);
    if (named && declaredHere(named) && !exported.has(named)) missing.add(named.getName());
    // Members are walked for this package's own types and for anonymous ones reached from them.
    if (type.flags & ts.TypeFlags.Object && (!named || declaredHere(named))) visitMembers(type);
  }

  for (const symbol of exported) {
    if (symbol.flags & ts.SymbolFlags.Class) {
      visitType(checker.getDeclaredTypeOfSymbol(symbol));
      visitType(checker.getTypeOfSymbol(symbol));
    } else if (symbol.flags & NAMED) visitType(checker.getDeclaredTypeOfSymbol(symbol));
    else visitType(checker.getTypeOfSymbol(symbol));
  }
  return [...missing].sort();
}
