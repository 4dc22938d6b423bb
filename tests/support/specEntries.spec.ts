import * as fs from "fs";
import * as path from "path";
import { SPEC_ENTRIES, TESTS_DIR } from "./specEntries";

/** Files under tests/ whose names end in suffix, as paths relative to tests/ without it ("program/stacks"). */
const testFiles = (suffix: string): string[] =>
    fs
        .readdirSync(TESTS_DIR, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(suffix))
        .map((f) => f.slice(0, -suffix.length).split(path.sep).join("/"))
        .sort();

/** jest runs only tests/**\/*.test.ts: a spec file that no entry lists would never run. */
test("every spec file runs in exactly one entry, and every entry is a test file that runs its list", () => {
    const onDisk = testFiles(".spec.ts");
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
    expect([...LONGEST_FIRST].sort()).toEqual(testFiles(".test.ts"));
});
