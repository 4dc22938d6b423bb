import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, readDeclaredKeys, StackConfig } from "./stackConfig";

/** Keys whose values are read as secrets, so they stay encrypted in state and logs. */
const SECRET_KEYS = new Set(["analyticsAuthToken"]);

/**
 * Reads this stack's project configuration from Pulumi and validates it (a StackConfigError, printed by
 * the CLI as one message, names every bad key).
 */
export function readStackConfig(): StackConfig {
    const declared = readDeclaredKeys();
    const project = pulumi.getProject();
    const config = new pulumi.Config(project);
    const raw: Record<string, unknown> = {};
    // Every key set for this project, so a misspelt key is reported instead of silently ignored.
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":");
        if (namespace !== project || key === undefined) continue;
        raw[key] = SECRET_KEYS.has(key) ? config.getSecret(key) : config.get(key);
    }
    for (const key of Object.keys(declared)) {
        if (!(key in raw)) raw[key] = SECRET_KEYS.has(key) ? config.getSecret(key) : config.get(key);
    }
    for (const [key, value] of Object.entries(raw)) if (value === undefined) delete raw[key];
    return parseStackConfig(raw, declared);
}
