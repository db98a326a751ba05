import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi keeps global state per process: each test file needs its own isolated fork.
    pool: "forks",
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
