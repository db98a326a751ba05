/**
 * Usage-plan metering, loaded on a container's first request rather than at start-up: the resolver,
 * its DynamoDB mapping store and the provisioner are a chunk of the bundle that containers without
 * usage plans never load.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { UsageKeyResolver } from "../authorizer";
import type { AuthorizerConfig } from "../config";
import type { Identity } from "../decision";
import type { UsageResolution } from "./usage-resolution";
import type { UsageWiringOptions } from "./usage-from-config";

export class LazyUsageKeyResolver implements UsageKeyResolver {
  private loaded: Promise<UsageKeyResolver> | undefined;

  constructor(
    private readonly config: AuthorizerConfig & { usagePlans: NonNullable<AuthorizerConfig["usagePlans"]> },
    private readonly dynamodb: DynamoDBClient | undefined,
    private readonly options: UsageWiringOptions,
  ) {}

  async resolve(identity: Identity): Promise<UsageResolution> {
    return (await this.load()).resolve(identity);
  }

  private load(): Promise<UsageKeyResolver> {
    this.loaded ??= import("./usage-from-config.js").then(
      ({ usageKeyResolverFromConfig }) => {
        const resolver = usageKeyResolverFromConfig(this.config, this.dynamodb, this.options);
        if (!resolver) throw new Error("usage plans are configured, yet no usage-key resolver was built");
        return resolver;
      },
      (error: unknown) => {
        this.loaded = undefined; // a failed load is tried again by the next request
        throw error;
      },
    );
    return this.loaded;
  }
}

/** The usage-key resolver for this configuration, loaded on first use, or undefined when USAGE_PLANS is unset. */
export function lazyUsageKeyResolver(config: AuthorizerConfig, dynamodb: DynamoDBClient | undefined, options: UsageWiringOptions = {}): UsageKeyResolver | undefined {
  const usagePlans = config.usagePlans;
  return usagePlans ? new LazyUsageKeyResolver({ ...config, usagePlans }, dynamodb, options) : undefined;
}
