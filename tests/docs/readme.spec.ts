import * as fs from "fs";
import * as path from "path";

const root = path.join(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

describe("README", () => {
    it("gives commands that exist: npm test, npm run render, and the CI entry point runs npm test", () => {
        expect(readme).toContain("npm ci && npm run render");
        expect(readme).toContain("npm test");
        // type-checked by TypeScript 7 in npm test (beside jest, scripts/test.js), and in CI by the TypeScript 5
        // that Pulumi's ts-node loads
        expect(packageJson.scripts.test).toBe("node scripts/test.js");
        const runner = fs.readFileSync(path.join(root, "scripts", "test.js"), "utf8");
        expect(runner).toContain("run(`${scripts.typecheck} --singleThreaded`,");
        expect(runner).toContain('require.resolve("jest/bin/jest"');
        expect(packageJson.scripts.typecheck).toMatch(/^node node_modules\/typescript-7\/bin\/tsc --noEmit$/);
        expect(packageJson.scripts["typecheck:pulumi"]).toMatch(/^node node_modules\/typescript\/bin\/tsc --noEmit$/);
        expect(packageJson.scripts.render).toBeDefined();
        const ci = fs.readFileSync(path.join(root, ".ci", "run"), "utf8");
        expect(ci).toMatch(/^npm test$/m);
        expect(ci).toMatch(/^npm run --silent typecheck:pulumi$/m);
    });

    it("says what it builds, the two quick-start commands, how to deploy, and where every key is documented", () => {
        expect(readme).toMatch(/^A Pulumi program \(TypeScript\) that runs \*\*WSO2 API Manager/m);
        expect(readme).toMatch(/^## Quick start$/m);
        expect(readme).toMatch(/^npx pulumi up$/m);
        expect(readme).toContain("[configuration reference](docs/configuration.md)");
    });

    it("stays short: a newcomer reads it in five minutes (its generated picture aside)", () => {
        // between the markers scripts/readmeArchitecture.ts writes (not imported here: it loads the program)
        const lines = readme.split("\n");
        const picture = lines.findIndex((l) => l.startsWith("<!-- /architecture:dev")) - lines.findIndex((l) => l.startsWith("<!-- architecture:dev")) + 1;
        expect(picture).toBeGreaterThan(1);
        expect(lines.length - picture).toBeLessThanOrEqual(95);
    });

    it("maps all eleven seed steps (docs/design.md)", () => {
        const design = fs.readFileSync(path.join(root, "docs", "design.md"), "utf8");
        for (let step = 1; step <= 11; step++) expect(design).toMatch(new RegExp(`^\\| ${step}\\. `, "m"));
    });
});
