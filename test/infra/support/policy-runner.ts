import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { RecordedResource } from "./pulumi-mocks";

/**
 * Runs @pulumi/policy rules against mocked resources by calling their `validateResource` and
 * `validateStack` directly, with arguments shaped like those the policy engine passes. (A
 * PolicyPack is never constructed: its constructor starts a gRPC server that keeps the process alive.)
 */

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

export interface Violation {
  policy: string;
  resource?: string;
  message: string;
}

export interface PolicyRun {
  violations: Violation[];
  /** Names of the policies that applied to at least one resource. */
  applied: Set<string>;
}

class NotApplicable extends Error {}

interface ConfigSchema {
  properties?: Record<string, { default?: unknown }>;
}

const typeOf = (resourceClass: unknown): string | undefined => (resourceClass as { __pulumiType?: string } | undefined)?.__pulumiType;

function configFor(policy: Policy, overrides: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const schema = (policy as { configSchema?: ConfigSchema }).configSchema;
  const defaults = Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([key, property]) => [key, property.default]));
  return { ...defaults, ...overrides[policy.name] };
}

function resourceArgs(resource: RecordedResource, config: Record<string, unknown>): ResourceValidationArgs & PolicyResource {
  return {
    type: resource.type,
    props: resource.inputs,
    urn: `urn:pulumi:test::keygate::${resource.type}::${resource.name}`,
    name: resource.name,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    dependencies: [],
    propertyDependencies: {},
    isType: (resourceClass) => typeOf(resourceClass) === resource.type,
    asType: ((resourceClass: unknown) => (typeOf(resourceClass) === resource.type ? resource.inputs : undefined)) as ResourceValidationArgs["asType"],
    getConfig: (() => config) as ResourceValidationArgs["getConfig"],
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export async function runPolicies(policies: Policy[], resources: RecordedResource[], config: Record<string, Record<string, unknown>> = {}): Promise<PolicyRun> {
  const violations: Violation[] = [];
  const applied = new Set<string>();
  const custom = resources.filter((resource) => !resource.type.startsWith("keygate:") && !resource.type.startsWith("pulumi:"));

  for (const policy of policies) {
    const policyConfig = configFor(policy, config);
    if ("validateResource" in policy && policy.validateResource) {
      const validators = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      for (const resource of custom) {
        for (const validate of validators) {
          try {
            await validate(resourceArgs(resource, policyConfig), (message) => violations.push({ policy: policy.name, resource: resource.name, message }));
            applied.add(policy.name);
          } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
          }
        }
      }
    }
    if ("validateStack" in policy && policy.validateStack) {
      const stack: StackValidationArgs = {
        resources: custom.map((resource) => resourceArgs(resource, policyConfig)),
        stackTags: new Map(),
        getConfig: (() => policyConfig) as StackValidationArgs["getConfig"],
        notApplicable: (reason?: string): never => {
          throw new NotApplicable(reason);
        },
      };
      try {
        await policy.validateStack(stack, (message, urn) => violations.push({ policy: policy.name, resource: urn, message }));
        applied.add(policy.name);
      } catch (error) {
        if (!(error instanceof NotApplicable)) throw error;
      }
    }
  }
  return { violations, applied };
}
