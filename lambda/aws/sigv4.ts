/**
 * AWS Signature Version 4 for one JSON POST, with node:crypto: what Keygate's own DynamoDB client
 * needs, and no more (no query strings, no chunked or unsigned payloads).
 */
import { createHash, createHmac } from "node:crypto";

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedPost {
  url: URL;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** The URI-encoding SigV4 asks for in a canonical path: RFC 3986 unreserved characters stay, "/" stays. */
function canonicalPath(pathname: string): string {
  return pathname.split("/").map((segment) => encodeURIComponent(decodeURIComponent(segment)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join("/") || "/";
}

/**
 * Returns the request's headers with `host`, `x-amz-date`, `x-amz-security-token` (with a session
 * token) and `authorization` added; every header given is signed.
 */
export function signPost(request: SignedPost, credentials: SigningCredentials, region: string, service: string, now: Date = new Date()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, "x-amz-date": amzDate };
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = ["POST", canonicalPath(request.url.pathname), "", canonicalHeaders, signedHeaders, sha256(request.body)].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), "aws4_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
