/**
 * Writes the configuration reference, generated from Pulumi.yaml (lib/config/configReference.ts), into
 * docs/configuration.md between its markers (tests/docs/configReference.spec.ts fails while the committed
 * copy is stale).
 *
 *   npm run docs:config
 */
import * as fs from "fs";
import * as path from "path";
import { configReferenceTable } from "../lib/config/configReference";
import { readDeclaredKeys } from "../lib/config/stackConfig";

export const CONFIG_REFERENCE_FILE = path.join(__dirname, "..", "docs", "configuration.md");
export const CONFIG_REFERENCE_START = "<!-- config-reference (generated from Pulumi.yaml by npm run docs:config; do not edit) -->";
export const CONFIG_REFERENCE_END = "<!-- /config-reference -->";

/** The document with the table between its markers replaced by the given one. */
export function withConfigReference(doc: string, table: string): string {
    const start = doc.indexOf(CONFIG_REFERENCE_START);
    const end = doc.indexOf(CONFIG_REFERENCE_END);
    if (start < 0 || end < start) throw new Error(`${path.basename(CONFIG_REFERENCE_FILE)} has no ${CONFIG_REFERENCE_START} … ${CONFIG_REFERENCE_END} markers`);
    return `${doc.slice(0, start)}${CONFIG_REFERENCE_START}\n${table.trimEnd()}\n${doc.slice(end)}`;
}

/** docs/configuration.md as it should be for the given Pulumi.yaml. */
export function currentConfigReference(doc: string, projectFile?: string): string {
    return withConfigReference(doc, configReferenceTable(readDeclaredKeys(projectFile)));
}

if (require.main === module) {
    try {
        const doc = fs.readFileSync(CONFIG_REFERENCE_FILE, "utf8");
        const updated = currentConfigReference(doc);
        if (updated !== doc) fs.writeFileSync(CONFIG_REFERENCE_FILE, updated);
        console.log(`docs/configuration.md: configuration reference ${updated === doc ? "already up to date" : "updated"} from Pulumi.yaml`);
    } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
        process.exit(1);
    }
}
