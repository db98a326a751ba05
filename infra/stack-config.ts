import * as pulumi from "@pulumi/pulumi";
import type { ProtectedHttpApiId, ProtectedRestApiId, UserKeyAuthorizerArgs } from "./args";
import { CONFIG_NAMESPACE, readStackSettings } from "./stack-settings";
import { InvalidSettingError } from "./validate-args";

export { CONFIG_NAMESPACE, STACK_CONFIG_KEYS, stackSettingName, type StackConfigKey } from "./stack-settings";

/** Where stack settings come from: `pulumi config` in a real run, a plain map in tests. */
export interface ConfigSource {
  /** The raw value, or undefined when unset. */
  get(key: string): string | undefined;
  /** The value as a Pulumi secret, or undefined when unset. */
  getSecret(key: string): pulumi.Output<string> | undefined;
  /** Every `keygate:` key the stack sets, so that a misspelt one is refused rather than ignored. */
  names(): string[];
}

export function pulumiConfigSource(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): ConfigSource {
  const prefix = `${CONFIG_NAMESPACE}:`;
  return {
    get: (key) => config.get(key),
    getSecret: (key) => config.getSecret(key),
    names: () => Object.keys(pulumi.runtime.allConfig()).filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length)),
  };
}

/** The stack's settings: the component's arguments (without `apis` and `httpApis`), and what to protect. */
export interface StackSettings {
  component: Omit<UserKeyAuthorizerArgs, "apis" | "httpApis">;
  /** REST APIs to protect, named by id. Empty, with no HTTP APIs either, means: create and protect the demo API. */
  apis: ProtectedRestApiId[];
  /** HTTP APIs to protect, named by id (`keygate:httpApiIds`). */
  httpApis: ProtectedHttpApiId[];
  demoApi: boolean;
  demoStageName: string;
}

/**
 * Reads and checks the stack configuration (the rules are in stack-settings.ts), so that
 * `pulumi preview` stops before registering anything when a setting is wrong, with a message that
 * names it.
 */
export function readStackConfig(source: ConfigSource): StackSettings {
  const fail = (setting: string, problem: string): never => {
    throw new InvalidSettingError(setting, problem);
  };
  const { kinde, component, apis, httpApis, demoApi, demoStageName } = readStackSettings((key) => source.get(key), { fail, kinde: "required", names: source.names() });
  // Set: readStackSettings refuses a stack without it.
  const clientSecret = source.getSecret("kindeClientSecret")!;
  return { component: { ...component, kinde: { ...kinde, clientSecret } }, apis, httpApis, demoApi, demoStageName };
}
