import * as fs from "fs";
import * as path from "path";
import { SPEC_ENTRIES, TESTS_DIR } from "./specEntries";

/** jest runs only tests/**\/*.test.ts: a spec file that no entry lists would never run. */
test("every spec file runs in exactly one entry, and every entry is a test file that runs its list", () => {
    const onDisk = fs
        .readdirSync(TESTS_DIR, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".spec.ts"))
        .map((f) => f.slice(0, -".spec.ts".length).split(path.sep).join("/"))
        .sort();
    expect(onDisk.length).toBeGreaterThan(0);
    expect(Object.values(SPEC_ENTRIES).flat().sort()).toEqual(onDisk);
    for (const entry of Object.keys(SPEC_ENTRIES)) {
        const file = path.join(TESTS_DIR, `${entry}.test.ts`);
        expect([entry, fs.existsSync(file) && fs.readFileSync(file, "utf8").includes(`runSpecs("${entry}"`)]).toEqual([entry, true]);
    }
});

test("jest's order lists every test file once (tests/support/testOrder.js)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LONGEST_FIRST } = require("./testOrder") as { LONGEST_FIRST: string[] };
    const testFiles = fs
        .readdirSync(TESTS_DIR, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => f.slice(0, -".test.ts".length).split(path.sep).join("/"))
        .sort();
    expect([...LONGEST_FIRST].sort()).toEqual(testFiles);
});
