/**
 * Transpile-only: `npm test` type-checks once with `tsc --noEmit` beside jest. The test files are the
 * entries tests/*.test.ts, each running several tests/<area>/*.spec.ts (tests/support/specEntries.ts),
 * and the boot script's suites in tests/bootstrap.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // Both cores (jest's default leaves one to itself): the bootstrap suites mostly wait on subprocesses.
  maxWorkers: 2,
  // A worker that has run the Pulumi SDK frees a few hundred MB on exit, which takes over jest's default
  // half second on a busy machine; jest would then kill it and report a leak that is not there.
  workerGracefulExitTimeout: 3000,
  setupFiles: ["<rootDir>/tests/support/pulumiPromiseStacks.ts"],
  setupFilesAfterEnv: ["<rootDir>/tests/support/removeScratchDirs.ts"],
  // Never used by this program, which serializes no function; real everywhere outside jest.
  moduleNameMapper: {
    "^typescript$": "<rootDir>/tests/support/functionSerializationStub.js",
    "^@npmcli/arborist$": "<rootDir>/tests/support/functionSerializationStub.js",
  },
  testSequencer: "<rootDir>/tests/support/testOrder.js",
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  testTimeout: 60000,
};
