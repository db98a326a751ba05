import { describe, expect, it } from "vitest";
import { credentialsFromEnvironment, defaultProvider, type EnvironmentCredentials } from "../../lambda/aws/environment-first-credentials";

const LAMBDA_ENV = { AWS_ACCESS_KEY_ID: "ASIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" };

/** A stand-in for the SDK's chain that counts how often it is loaded and asked. */
function countingChain(credentials: EnvironmentCredentials) {
  const counts = { loads: 0, calls: 0, inits: [] as unknown[] };
  const load = async () => {
    counts.loads++;
    return (init: unknown) => {
      counts.inits.push(init);
      return async () => {
        counts.calls++;
        return credentials;
      };
    };
  };
  return { counts, load };
}

describe("the bundled SDK clients' credentials", () => {
  it("are Lambda's environment variables, session token included, without loading the SDK's chain", async () => {
    const chain = countingChain({ accessKeyId: "chain", secretAccessKey: "chain" });
    const provider = defaultProvider({}, LAMBDA_ENV, chain.load);
    expect(await provider()).toEqual({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: "secret", sessionToken: "token" });
    expect(chain.counts.loads).toBe(0);
  });

  it("carry the optional expiration, scope and account the SDK's environment provider reads", () => {
    const env = { ...LAMBDA_ENV, AWS_CREDENTIAL_EXPIRATION: "2026-12-01T12:00:00Z", AWS_CREDENTIAL_SCOPE: "eu-west-1", AWS_ACCOUNT_ID: "123456789012" };
    expect(credentialsFromEnvironment(env)).toEqual({
      accessKeyId: "ASIAEXAMPLE",
      secretAccessKey: "secret",
      sessionToken: "token",
      expiration: new Date("2026-12-01T12:00:00Z"),
      credentialScope: "eu-west-1",
      accountId: "123456789012",
    });
  });

  it("need both the key id and the secret: half a pair is no credentials", () => {
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: "id" })).toBeUndefined();
    expect(credentialsFromEnvironment({ AWS_SECRET_ACCESS_KEY: "secret" })).toBeUndefined();
    expect(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "secret" })).toBeUndefined();
  });

  it("come from the SDK's chain, loaded once and given the client's settings, when the environment has none", async () => {
    const chain = countingChain({ accessKeyId: "profile", secretAccessKey: "profile" });
    const init = { profile: "dev" };
    const provider = defaultProvider(init, {}, chain.load);
    expect(await provider()).toEqual({ accessKeyId: "profile", secretAccessKey: "profile" });
    expect(await provider()).toEqual({ accessKeyId: "profile", secretAccessKey: "profile" });
    expect(chain.counts).toEqual({ loads: 1, calls: 2, inits: [init] });
  });

  it("try loading the chain again after a failed load", async () => {
    let attempts = 0;
    const load = async () => {
      attempts++;
      if (attempts === 1) throw new Error("chunk missing");
      return () => async () => ({ accessKeyId: "later", secretAccessKey: "later" });
    };
    const provider = defaultProvider(undefined, {}, load);
    await expect(provider()).rejects.toThrow("chunk missing");
    expect(await provider()).toEqual({ accessKeyId: "later", secretAccessKey: "later" });
    expect(attempts).toBe(2);
  });
});
