import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { configReferenceTable } from "../../lib/config/configReference";
import { readDeclaredKeys, DeclaredKey } from "../../lib/config/stackConfig";
import { scratchDir } from "../support/scratchDir";
import { CONFIG_REFERENCE_END, CONFIG_REFERENCE_FILE, CONFIG_REFERENCE_START, currentConfigReference, withConfigReference } from "../../scripts/configReference";

const committed = fs.readFileSync(CONFIG_REFERENCE_FILE, "utf8");

/** The first line where two texts differ, to show what a stale copy misses. */
function firstDifference(a: string, b: string): string {
    const [x, y] = [a.split("\n"), b.split("\n")];
    const i = x.findIndex((line, n) => line !== y[n]);
    const at = i < 0 ? x.length : i;
    return `line ${at + 1}:\n  committed: ${x[at] ?? "(end of file)"}\n  generated: ${y[at] ?? "(end of file)"}`;
}

describe("the configuration reference (docs/configuration.md)", () => {
    it("is the table Pulumi.yaml generates (npm run docs:config refreshes it)", () => {
        const generated = currentConfigReference(committed);
        if (generated !== committed) {
            throw new Error(`docs/configuration.md's configuration reference is stale: run \`npm run docs:config\` and commit it (${firstDifference(committed, generated)})`);
        }
    });

    it("documents every key Pulumi.yaml declares, with its type and default", () => {
        const rows = committed.split("\n").filter((line) => line.startsWith("| `"));
        for (const [key, decl] of Object.entries(readDeclaredKeys())) {
            const row = rows.find((line) => line.startsWith(`| \`${key}\` |`));
            expect([key, row !== undefined]).toEqual([key, true]);
            const [, type, dflt] = row!.split(" | ").map((cell) => cell.trim());
            expect([key, type.startsWith(decl.type)]).toEqual([key, true]);
            expect([key, dflt]).toEqual([key, decl.default === undefined ? "**required**" : `\`${JSON.stringify(decl.default)}\``]);
        }
        expect(rows.length).toBe(Object.keys(readDeclaredKeys()).length);
    });

    it("is refreshed by an npm script that runs the generator", () => {
        const packageJson = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
        expect(packageJson.scripts["docs:config"]).toBe("node --require tsx/cjs scripts/configReference.ts");
    });

    it("marks the generated part, and keeps the hand-written sections around it", () => {
        const start = committed.indexOf(CONFIG_REFERENCE_START);
        const end = committed.indexOf(CONFIG_REFERENCE_END);
        expect(start).toBeGreaterThan(0);
        expect(end).toBeGreaterThan(start);
        for (const heading of ["## Keys", "## More on some keys", "## Deploying into an existing VPC"]) expect(committed).toContain(`\n${heading}\n`);
        expect(committed.slice(0, start)).toContain("npm run docs:config");
    });
});

describe("configReferenceTable", () => {
    const declared: Record<string, DeclaredKey & Record<string, unknown>> = {
        first: { type: "string", description: "Required: no default." },
        count: { type: "integer", default: 2, description: "From 1 to 4\n  (a range)." },
        names: { type: "array", items: { type: "string" }, default: ["a"], description: "Names like apim-<n>, or `a|b` and a|b." },
        token: { type: "string", secret: true, default: "", description: "Set with `pulumi config set --secret token <value>`." },
    };

    it("takes every key as Pulumi.yaml declares it, in its order: type, default or required, description on one line", () => {
        expect(configReferenceTable(declared).split("\n")).toEqual([
            "| key | type | default | meaning |",
            "|---|---|---|---|",
            "| `first` | string | **required** | Required: no default. |",
            "| `count` | integer | `2` | From 1 to 4 (a range). |",
            '| `names` | array of string | `["a"]` | Names like apim-&lt;n&gt;, or `a\\|b` and a\\|b. |',
            "| `token` | string, secret | `\"\"` | Set with `pulumi config set --secret token <value>`. |",
            "",
        ]);
    });

    it("writes between the markers only, and says which file lacks them", () => {
        const doc = `# Title\n\nprose\n\n${CONFIG_REFERENCE_START}\nold table\n${CONFIG_REFERENCE_END}\n\nmore prose\n`;
        expect(withConfigReference(doc, "| new |\n")).toBe(`# Title\n\nprose\n\n${CONFIG_REFERENCE_START}\n| new |\n${CONFIG_REFERENCE_END}\n\nmore prose\n`);
        expect(() => withConfigReference("# no markers\n", "| new |\n")).toThrow(/configuration\.md has no <!-- config-reference/);
    });

    it("follows a key added to Pulumi.yaml, with no change to the generator", () => {
        const project = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8"));
        project.config.brandNewKey = { type: "boolean", default: false, description: "A key added while the docs were written." };
        const file = path.join(scratchDir("config-reference"), "Pulumi.yaml");
        fs.writeFileSync(file, YAML.stringify(project));
        const updated = currentConfigReference(committed, file);
        expect(updated).toContain("| `brandNewKey` | boolean | `false` | A key added while the docs were written. |");
        expect(updated).not.toBe(committed);
    });
});
