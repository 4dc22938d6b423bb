import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export const PROJECT_NAME = "wso2-apim-ha";
/** Offline stand-in for a `secure:` value that only the Pulumi CLI can decrypt. */
export const OFFLINE_CONFIG_SECRET_PREFIX = "offline-secret-config-";

export interface StackFile {
    /** Project keys without the namespace, as the CLI would hand them to the program. */
    readonly projectConfig: Record<string, unknown>;
    /** Every key with its namespace (aws:region, wso2-apim-ha:nodeCount), values as the CLI passes them (strings). */
    readonly allConfig: Record<string, string>;
    readonly region?: string;
}

/** Reads Pulumi.<stack>.yaml the way the CLI would, for runs without the CLI (render and tests). */
export function readStackFile(stack: string, projectDir: string = path.join(__dirname, "..", "..")): StackFile {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new Error(`no stack file ${file}`);
    const config = ((YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
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
