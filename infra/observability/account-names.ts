import * as pulumi from "@pulumi/pulumi";

/**
 * A name that must be unique in the account and Region (a dashboard, a Contributor Insights rule),
 * for a component called `name`: the component name, then the stack, so that the dev and prod stacks
 * of one program can share an account. Both are stable, so the name is too. Letters, digits, `-`
 * and `_` only, as dashboard names require.
 */
export function accountUniqueName(name: string, suffix?: string): string {
  const stack = pulumi.getStack().replace(/[^A-Za-z0-9_-]/g, "-");
  return [name, stack, suffix].filter((part) => part !== undefined && part !== "").join("-");
}
