import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
// The SDK's errors module alone: the render scripts read stack files without loading the whole SDK.
import { RunError } from "@pulumi/pulumi/errors";

/**
 * A project or stack file that cannot be used as it is (missing, or not valid YAML). A RunError, so the
 * Pulumi CLI and the render print its message alone, without a stack trace.
 */
export class ConfigFileError extends RunError {
    constructor(message: string) {
        super(message);
        this.name = "ConfigFileError";
    }
}

/** At most this many syntax errors are listed; the first usually explains the rest. */
const MAX_SYNTAX_ERRORS = 3;

/**
 * Parses a YAML file. A syntax error (or a key written twice) becomes one ConfigFileError naming the file,
 * line and column of each error, with the lines around it and a caret under the column.
 */
export function readYamlFile(file: string, projectDir: string = path.dirname(file)): unknown {
    const shown = path.relative(projectDir, file) || path.basename(file);
    const text = fs.readFileSync(file, "utf8");
    const document = YAML.parseDocument(text, { prettyErrors: true });
    if (document.errors.length === 0) return document.toJS();
    // One error per position: the parser often reports a second symptom of the same slip there.
    const positions = new Set<string>();
    const errors = document.errors.filter((error) => {
        const where = JSON.stringify(error.linePos?.[0] ?? null);
        return positions.has(where) ? false : (positions.add(where), true);
    });
    const lines = text.split(/\r?\n/);
    const described = errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => {
        const reason = error.message.split(/ at line \d+, column \d+:/)[0];
        const start = error.linePos?.[0];
        return start ? `${shown}:${start.line}:${start.col} (line ${start.line}, column ${start.col}): ${reason}\n${excerpt(lines, start.line, start.col)}` : `${shown}: ${reason}`;
    });
    const more = errors.length - described.length;
    throw new ConfigFileError(`${shown} is not valid YAML:\n${described.join("\n")}${more > 0 ? `\n(and ${more} more after these)` : ""}`);
}

/** The line before, the line itself with a caret under the column, and the line after (indentation slips show there). */
function excerpt(lines: readonly string[], line: number, col: number): string {
    const numbered = (n: number) => `  ${String(n).padStart(4)} | ${lines[n - 1]}`;
    const shown: string[] = [];
    for (let n = Math.max(1, line - 1); n <= Math.min(lines.length, line + 1); n++) {
        if (n === lines.length && lines[n - 1] === "" && n !== line) continue;
        shown.push(numbered(n));
        if (n === line) shown.push(`  ${" ".repeat(4)} | ${" ".repeat(Math.max(0, col - 1))}^`);
    }
    return shown.join("\n");
}
