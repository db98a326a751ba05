import { configDefaults, defineConfig } from "vitest/config";

/**
 * Integration tests start something: dynalite, the Kinde emulator or another loopback server, a
 * child process, the local gateway, or Pulumi's runtime (mocks, policy packs). They are named
 * `*.integration.test.ts`.
 */
const INTEGRATION = ["test/**/*.integration.test.ts"];

export default defineConfig({
  test: {
    // Pulumi keeps global state per process: each test file needs its own isolated fork.
    pool: "forks",
    isolate: true,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    projects: [
      // `npm run test:unit`: code on its own, with fakes and fake clocks; nothing is started.
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...INTEGRATION] } },
      { extends: true, test: { name: "integration", include: INTEGRATION } },
    ],
  },
});
