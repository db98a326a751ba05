import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signPost } from "../../lambda/aws/sigv4";

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) => (typeof data === "string" ? data : data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

/** node:crypto in the shape the SDK's signer takes (a Checksum constructor, keyed for HMAC). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

const NOW = new Date("2026-12-01T10:20:30.123Z");
const BODY = JSON.stringify({ TableName: "keys-cache", Key: { pk: { S: "verdict#ab12" } }, ConsistentRead: false });

/** The AWS SDK's own signer, over the same request: the reference Keygate's signer must match. */
async function sdkAuthorization(url: URL, headers: Record<string, string>, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string) {
  const signer = new SignatureV4({ credentials, region, service: "dynamodb", sha256: NodeSha256, uriEscapePath: true, applyChecksum: false });
  const signed = await signer.sign(
    { method: "POST", protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: {}, headers: { ...headers, host: url.host }, body: BODY },
    { signingDate: NOW },
  );
  return signed.headers as Record<string, string>;
}

describe("Keygate's SigV4 signer", () => {
  const headers = { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.GetItem" };

  it("signs a DynamoDB call exactly as the AWS SDK does, with Lambda's session token", async () => {
    const url = new URL("https://dynamodb.eu-west-1.amazonaws.com/");
    const credentials = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "IQoJb3JpZ2luX2VjE//token==" };
    const ours = signPost({ url, headers, body: BODY }, credentials, "eu-west-1", "dynamodb", NOW);
    const sdk = await sdkAuthorization(url, headers, credentials, "eu-west-1");
    expect(ours.authorization).toBe(sdk.authorization);
    expect(ours["x-amz-date"]).toBe("20261201T102030Z");
    expect(ours["x-amz-security-token"]).toBe(credentials.sessionToken);
  });

  it("signs an endpoint with a port and no session token as the AWS SDK does", async () => {
    const url = new URL("http://127.0.0.1:8000/");
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    const ours = signPost({ url, headers, body: BODY }, credentials, "us-east-1", "dynamodb", NOW);
    expect(ours.authorization).toBe((await sdkAuthorization(url, headers, credentials, "us-east-1")).authorization);
    expect(ours).not.toHaveProperty("x-amz-security-token");
  });

  it("changes the signature when the body changes", () => {
    const url = new URL("https://dynamodb.eu-west-1.amazonaws.com/");
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
    const one = signPost({ url, headers, body: BODY }, credentials, "eu-west-1", "dynamodb", NOW);
    const other = signPost({ url, headers, body: BODY.replace("ab12", "ab13") }, credentials, "eu-west-1", "dynamodb", NOW);
    expect(one.authorization).not.toBe(other.authorization);
  });
});
