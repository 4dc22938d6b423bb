/** Transpile-only: `npm test` type-checks once with `tsc --noEmit` before jest runs. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  testTimeout: 60000,
};
