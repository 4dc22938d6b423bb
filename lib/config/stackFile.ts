import * as fs from "fs";
import * as path from "path";
import { ConfigFileError, readYamlFile } from "./configFile";
import { closestNames, orList } from "./nameSuggestions";

export const PROJECT_NAME = "wso2-apim-ha";
/** Offline stand-in for a `secure:` value that only the Pulumi CLI can decrypt. */
export const OFFLINE_CONFIG_SECRET_PREFIX = "offline-secret-config-";

const DEFAULT_PROJECT_DIR = path.join(__dirname, "..", "..");
const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;
/** Top-level keys the Pulumi CLI reads in a stack file. */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

export interface StackFile {
    /** Project keys without the namespace, as the CLI would hand them to the program. */
    readonly projectConfig: Record<string, unknown>;
    /** Every key with its namespace (aws:region, wso2-apim-ha:nodeCount), values as the CLI passes them (strings). */
    readonly allConfig: Record<string, string>;
    readonly region?: string;
}

/** The stacks that have a Pulumi.<stack>.yaml in the project folder, sorted. */
export function stackNames(projectDir: string = DEFAULT_PROJECT_DIR): string[] {
    return fs
        .readdirSync(projectDir)
        .map((file) => STACK_FILE.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** Reads Pulumi.<stack>.yaml the way the CLI would, for runs without the CLI (render and tests). */
export function readStackFile(stack: string, projectDir: string = DEFAULT_PROJECT_DIR): StackFile {
    const fileName = `Pulumi.${stack}.yaml`;
    const file = path.join(projectDir, fileName);
    if (!fs.existsSync(file)) throw new ConfigFileError(missingStackMessage(stack, projectDir));
    const parsed = readYamlFile(file, projectDir) ?? {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigFileError(`${fileName}: expected a mapping with a \`config:\` block, got ${describe(parsed)}`);
    const unknownKeys = Object.keys(parsed).filter((key) => !STACK_FILE_KEYS.includes(key));
    if (unknownKeys.length > 0) {
        throw new ConfigFileError(
            `${fileName}: unknown top-level ${unknownKeys.length === 1 ? "key" : "keys"} ${unknownKeys.map((key) => `"${key}"${suggestion(key, STACK_FILE_KEYS)}`).join(", ")}; ` +
                "project keys go under `config:`, written `wso2-apim-ha:<key>: <value>`",
        );
    }
    const config = (parsed as { config?: unknown }).config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new ConfigFileError(`${fileName}: \`config:\` must be a mapping of \`wso2-apim-ha:<key>: <value>\` lines, got ${describe(config)}`);
    }
    const projectConfig: Record<string, unknown> = {};
    const allConfig: Record<string, string> = {};
    for (const [fullKey, rawValue] of Object.entries(config)) {
        const [namespace, key] = fullKey.includes(":") ? fullKey.split(":", 2) : [PROJECT_NAME, fullKey];
        const isSecure = typeof rawValue === "object" && rawValue !== null && "secure" in rawValue;
        const value = isSecure ? `${OFFLINE_CONFIG_SECRET_PREFIX}${key}` : rawValue;
        allConfig[`${namespace}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
        if (namespace === PROJECT_NAME) projectConfig[key] = value;
    }
    return { projectConfig, allConfig, region: allConfig["aws:region"] };
}

/** Names the stack files that do exist, and how to add the one asked for. */
function missingStackMessage(stack: string, projectDir: string): string {
    const existing = stackNames(projectDir);
    const lines = [`No stack file Pulumi.${stack}.yaml in ${projectDir}.`];
    if (existing.length === 0) {
        lines.push("There are no stack files (Pulumi.<stack>.yaml) in this folder.");
    } else {
        lines.push(`The stacks here: ${existing.map((s) => `${s} (Pulumi.${s}.yaml)`).join(", ")}.`);
        const near = closestNames(stack, existing);
        if (near.length > 0) lines.push(`Did you mean ${orList(near)}?`);
        lines.push(`To add "${stack}", copy one (cp Pulumi.${existing[0]}.yaml Pulumi.${stack}.yaml), adjust it, then \`npx pulumi stack init ${stack}\`.`);
    }
    return lines.join("\n");
}

function suggestion(name: string, candidates: readonly string[]): string {
    const near = closestNames(name, candidates);
    return near.length > 0 ? ` (did you mean ${orList(near)}?)` : "";
}

function describe(value: unknown): string {
    return Array.isArray(value) ? "a list" : value === null ? "nothing" : `${typeof value} ${JSON.stringify(value)}`;
}
