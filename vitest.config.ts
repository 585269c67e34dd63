import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx", "bench/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    testTimeout: 20_000,
  },
});
