import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { authorizerBundle, AUTHORIZER_FILE, AUTHORIZER_HANDLER } from "../../infra/authorizer-code";

describe("the authorizer bundle built by the Pulumi program", () => {
  const bundle = authorizerBundle();

  it("is one ESM file, index.mjs, matching the handler string index.handler", () => {
    expect(AUTHORIZER_FILE).toBe("index.mjs");
    expect(AUTHORIZER_HANDLER).toBe("index.handler");
    expect(bundle.path.endsWith("/index.mjs")).toBe(true);
    expect(readFileSync(bundle.path).byteLength).toBe(bundle.bytes);
  });

  it("is archived under the name the handler string expects", async () => {
    const assets = await bundle.archive.assets;
    expect(Object.keys(assets)).toEqual(["index.mjs"]);
    expect(await (assets["index.mjs"] as import("@pulumi/pulumi").asset.FileAsset).path).toBe(bundle.path);
  });

  it("is built once per process, at a path that does not change between runs", () => {
    expect(authorizerBundle()).toBe(bundle);
    expect(bundle.path).toMatch(/keygate-authorizer-[0-9a-f]{12}\/index\.mjs$/);
  });

  it("is the same bytes as the project's own build (npm run build) would make: one reproducible output", async () => {
    const { build } = await import("esbuild");
    const { authorizerBuildOptions } = await import("../../lambda/bundle.js");
    const result = await build({ ...authorizerBuildOptions("/unused/index.mjs"), write: false });
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(result.outputFiles![0]!.contents).digest("hex")).toBe(bundle.sha256);
  });

  it("exports a handler function when loaded with the environment the component gives it", async () => {
    const script = `import(${JSON.stringify(`file://${bundle.path}`)}).then((m) => console.log(typeof m.handler), (e) => { console.error(e.message); process.exit(1); })`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["-e", script],
        {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: "eu-west-1",
            KINDE_DOMAIN: "https://acme.kinde.com",
            KINDE_M2M_CLIENT_ID: "id",
            KINDE_M2M_CLIENT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf",
            CACHE_TABLE_NAME: "keys-cache",
          },
          timeout: 30_000,
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      ),
    );
    expect(stdout.trim()).toBe("function");
  });
});
