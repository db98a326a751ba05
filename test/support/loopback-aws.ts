/**
 * What the authorizer's integration tests run against, registered as vitest hooks of the file that
 * calls them: Kinde as the loopback emulator, and DynamoDB as dynalite with a cache table of each
 * test's own, the AWS SDK's environment pointed at it for the test and restored after it.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { ensureCacheTable, localDynamoDbClient, startEmbeddedDynamoDb, type EmbeddedDynamoDb } from "../../local/embedded-dynamodb";
import { KindeEmulator, type KindeEmulatorOptions } from "../../local/kinde-emulator";

/**
 * The authorizer's time budgets for tests that are not about a budget running out: the most the
 * authorizer allows for DynamoDB, and far more than the emulator needs for Kinde, so a loaded
 * machine slows such a test down but never changes its outcome.
 */
export const UNHURRIED_BUDGETS = { DYNAMODB_TIMEOUT_MS: "2000", VERIFY_TIMEOUT_MS: "10000" } as const;

/** The emulator, listening for the whole file and back to normal before each test: token, verify and metadata modes, redirect, no held calls, rate-limit reset, unknown-key answer, call counts. */
export function useKindeEmulator(options: KindeEmulatorOptions): KindeEmulator {
  const kinde = new KindeEmulator(options);
  beforeAll(async () => {
    await kinde.start();
  });
  afterAll(() => kinde.stop());
  beforeEach(() => {
    kinde.verifyMode = "normal";
    kinde.tokenMode = "normal";
    kinde.keyMetadataMode = "normal";
    kinde.redirect = undefined;
    kinde.verifyHold?.release();
    kinde.verifyHold = undefined;
    kinde.rateLimitResetSeconds = 7;
    kinde.unknownKeyAnswer = options.unknownKeyAnswer ?? "200-invalid";
    kinde.resetCounts();
  });
  return kinde;
}

export interface LoopbackAws {
  /** The embedded DynamoDB: its endpoint and its count of calls per operation. */
  readonly dynamo: EmbeddedDynamoDb;
  /** A client of it, for the test's own reads and writes. */
  readonly client: DynamoDBClient;
  /** The current test's cache table, `<tablePrefix>-<n>`. */
  readonly tableName: string;
}

/**
 * dynalite for the whole file. Before each test: a new cache table, and the SDK's environment set to
 * Region eu-west-1, dummy credentials and AWS_ENDPOINT_URL_DYNAMODB (a test adds what else it needs,
 * such as AWS_ENDPOINT_URL_API_GATEWAY). After each test: the environment as it was.
 */
export function useLoopbackAws(tablePrefix: string): LoopbackAws {
  const savedEnv = { ...process.env };
  let started: { dynamo: EmbeddedDynamoDb; client: DynamoDBClient } | undefined;
  let tableName: string | undefined;
  let tableCount = 0;
  const running = () => {
    if (!started) throw new Error("dynalite is not running: use it inside a test or hook");
    return started;
  };

  beforeAll(async () => {
    const dynamo = await startEmbeddedDynamoDb();
    started = { dynamo, client: localDynamoDbClient(dynamo.endpoint) };
  });
  afterAll(async () => {
    await started?.dynamo.stop();
  });
  beforeEach(async () => {
    Object.assign(process.env, {
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL_DYNAMODB: running().dynamo.endpoint,
    });
    tableName = `${tablePrefix}-${++tableCount}`;
    await ensureCacheTable(running().client, tableName);
  });
  afterEach(() => {
    process.env = { ...savedEnv };
  });

  return {
    get dynamo() {
      return running().dynamo;
    },
    get client() {
      return running().client;
    },
    get tableName() {
      if (tableName === undefined) throw new Error("no cache table yet: use it inside a test or hook");
      return tableName;
    },
  };
}
