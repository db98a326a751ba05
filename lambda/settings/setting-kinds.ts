/**
 * What kind of value a setting holds, and how that value is read from each place a setting can
 * come from: a component argument (already typed), a stack setting (text, as `pulumi config get`
 * gives it), and an environment variable of the authorizer (text). One kind, one set of rules, so
 * `pulumi preview`, `npm start` and the function's cold start accept and refuse the same values.
 */
import { parseRouteScopes, type RouteScopes } from "../policy/route-rules";

/** Reports what is wrong with a value; the caller names the setting. */
export type Problem = (problem: string) => never;

export interface SettingKind<T> {
  /** The accepted values, as the configuration reference shows them. */
  readonly describe: string;
  /** Checks a component argument (or a value read from text) and returns it normalized. */
  check(value: unknown, problem: Problem): T;
  /** Turns stack text into the value a component argument would hold (then `check`ed). */
  fromText(text: string, problem: Problem): unknown;
  /** The value as an environment variable; undefined leaves the variable out ("none"). */
  toEnv(value: T): string | undefined;
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

export function integer(min: number, max: number): SettingKind<number> & { readonly min: number; readonly max: number } {
  return {
    min,
    max,
    describe: `whole number, ${min}..${max}`,
    check(value, problem) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        return problem(`must be a whole number from ${min} to ${max} (got ${show(value)})`);
      }
      return value;
    },
    fromText(text, problem) {
      if (!/^\d+$/.test(text)) return problem(`must be a whole number from ${min} to ${max} (got ${show(text)})`);
      return Number(text);
    },
    toEnv: (value) => String(value),
  };
}

export const boolean: SettingKind<boolean> = {
  describe: "`true` or `false`",
  check(value, problem) {
    if (typeof value !== "boolean") return problem(`must be true or false (got ${show(value)})`);
    return value;
  },
  fromText(text, problem) {
    if (text !== "true" && text !== "false") return problem(`must be true or false (got ${show(text)})`);
    return text === "true";
  },
  toEnv: (value) => String(value),
};

/** One of a few words, e.g. `REQUEST` or `TOKEN`; text is read case-insensitively. */
export function oneOf<const W extends string>(words: readonly W[]): SettingKind<W> {
  return {
    describe: words.map((word) => `\`${word}\``).join(" or "),
    check(value, problem) {
      if (!words.includes(value as W)) return problem(`must be ${words.map((word) => show(word)).join(" or ")} (got ${show(value)})`);
      return value as W;
    },
    fromText: (text) => words.find((word) => word.toLowerCase() === text.toLowerCase()) ?? text,
    toEnv: (value) => value,
  };
}

/** One of a fixed set of numbers, e.g. CloudWatch's retention periods. */
export function oneOfNumbers(numbers: readonly number[], note: string): SettingKind<number> {
  return {
    describe: `one of ${numbers.join(", ")} (${note})`,
    check(value, problem) {
      if (typeof value !== "number" || !numbers.includes(value)) return problem(`must be one of ${numbers.join(", ")} (${note}; got ${show(value)})`);
      return value;
    },
    fromText: (text) => (/^\d+$/.test(text) ? Number(text) : text),
    toEnv: (value) => String(value),
  };
}

/** Non-empty text, of one word's rule when given. */
export function text(options: { word?: WordRule; secret?: boolean } = {}): SettingKind<string> {
  const word = options.word;
  return {
    describe: word ? `${word.one} (${word.rule})` : "non-empty text",
    check(value, problem) {
      if (typeof value !== "string" || value.trim() === "") return problem("must not be empty");
      // A secret's value is never repeated back, not even in an error.
      if (word && !word.pattern.test(value.trim())) return problem(`must be ${word.one}: ${word.rule}${options.secret ? "" : ` (got ${show(value)})`}`);
      return value.trim();
    },
    fromText: (value) => value,
    toEnv: (value) => value,
  };
}

/** What a word of a list (or a single word) must be, for messages: "a stage name", "1 to 128 letters...". */
export interface WordRule {
  readonly pattern: RegExp;
  /** One word, with its article: "a stage name". */
  readonly one: string;
  /** Several: "stage names". */
  readonly many: string;
  /** The rule in words: '1 to 128 letters, digits, "-" or "_"'. */
  readonly rule: string;
}

/**
 * A list of words. Text may be a JSON list (what `pulumi config set --path 'x[0]'` stores) or words
 * separated by commas or spaces, as people type them; the environment holds them space-separated.
 * A word written twice is merged (`repeats: "merge"`) or refused as a slip.
 */
export function wordList(word: WordRule, repeats: "merge" | "refuse"): SettingKind<string[]> {
  return {
    describe: `list of ${word.many} (${word.rule})`,
    check(value, problem) {
      if (!Array.isArray(value)) return problem(`must be a list of ${word.many} (got ${show(value)})`);
      for (const item of value) {
        if (typeof item !== "string" || !word.pattern.test(item)) return problem(`contains ${show(item)}, which is not ${word.one}: ${word.rule}`);
      }
      const unique = [...new Set(value as string[])];
      if (repeats === "refuse" && unique.length !== value.length) {
        return problem(`names ${show(value.find((item, index) => value.indexOf(item) !== index))} twice`);
      }
      return unique;
    },
    fromText(text, problem) {
      // A JSON object where a list belongs (a YAML mapping in the stack file) is a mistake, not a word.
      if (text.startsWith("[") || text.startsWith("{")) {
        const parsed = parseJson(text, problem);
        if (!Array.isArray(parsed)) return problem("must be a JSON list of strings");
        return parsed;
      }
      return text.split(/[\s,]+/).filter(Boolean);
    },
    toEnv: (value) => (value.length > 0 ? value.join(" ") : undefined),
  };
}

/** A JSON object whose shape a `check` function knows. Left out of the environment when empty. */
export function jsonObject<T extends object>(describe: string, check: (value: Record<string, unknown>, problem: Problem) => T): SettingKind<T> {
  return {
    describe,
    check(value, problem) {
      if (!isRecord(value)) return problem(`must be an object: ${describe} (got ${show(value)})`);
      return check(value, problem);
    },
    fromText(text, problem) {
      const parsed = parseJson(text, problem);
      if (!isRecord(parsed)) return problem("must be a JSON object");
      return parsed;
    },
    toEnv: (value) => (Object.keys(value).length > 0 ? JSON.stringify(value) : undefined),
  };
}

/** `ROUTE_SCOPES`: checked by the authorizer's own route parser, so preview refuses what the function would. */
export const routeScopes: SettingKind<RouteScopes> = jsonObject('route to scopes, e.g. `{"GET /reports/{name}": "read:reports"}`', (value, problem) => {
  try {
    parseRouteScopes(value);
  } catch (error) {
    return problem(`is invalid: ${(error as Error).message}`);
  }
  return value as RouteScopes;
});

export function parseJson(text: string, problem: Problem): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return problem(`is not valid JSON (got ${show(text.length > 80 ? `${text.slice(0, 80)}...` : text)})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The Kinde business's origin. `acme.kinde.com` (how Kinde's dashboard shows it) reads as
 * https://acme.kinde.com. Plain http is accepted only for a loopback host, and only where the
 * authorizer runs locally (`loopbackHttp`): a deployed function has no loopback Kinde.
 */
export function kindeOrigin(options: { loopbackHttp: boolean }): SettingKind<string> {
  return {
    describe: "an https origin such as `https://acme.kinde.com`",
    check(value, problem) {
      if (typeof value !== "string" || value.trim() === "") return problem("is required, e.g. https://acme.kinde.com");
      const trimmed = value.trim();
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
      let url: URL;
      try {
        url = new URL(withScheme);
      } catch {
        return problem(`must be a URL such as https://acme.kinde.com (got ${show(value)})`);
      }
      const loopback = options.loopbackHttp && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname);
      if (url.protocol !== "https:" && !loopback) {
        return problem(`must use https://${options.loopbackHttp ? " (plain http:// is accepted only for loopback hosts)" : ""} (got ${show(value)})`);
      }
      if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        return problem(`must be a bare origin such as https://acme.kinde.com, with no path, query or credentials (got ${show(value)})`);
      }
      return url.origin;
    },
    fromText: (value) => value,
    toEnv: (value) => value,
  };
}
