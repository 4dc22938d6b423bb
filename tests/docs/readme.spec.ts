import * as fs from "fs";
import * as path from "path";
import { readDeclaredKeys } from "../../lib/config/stackConfig";

const root = path.join(__dirname, "..", "..");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

describe("README", () => {
    it("documents every configuration key with the default Pulumi.yaml declares", () => {
        for (const [key, decl] of Object.entries(readDeclaredKeys())) {
            const row = readme.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
            expect([key, row !== undefined]).toEqual([key, true]);
            const expected = decl.default === undefined ? "**required**" : `\`${JSON.stringify(decl.default)}\``;
            expect(row!.split("|")[3].trim()).toBe(expected);
        }
    });

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

    it("maps all eleven seed steps", () => {
        for (let step = 1; step <= 11; step++) expect(readme).toMatch(new RegExp(`^\\| ${step}\\. `, "m"));
    });
});
