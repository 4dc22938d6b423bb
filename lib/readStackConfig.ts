import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, readDeclaredKeys, StackConfig, StackConfigError } from "./stackConfig";

/** Keys whose values are read as secrets, so they stay encrypted in state and logs. */
const SECRET_KEYS = new Set(["analyticsAuthToken"]);

/**
 * Reads this stack's project configuration from Pulumi and validates it. Bad configuration becomes a
 * pulumi.RunError, which the CLI prints as one message, without a stack trace.
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
    try {
        return parseStackConfig(raw, declared);
    } catch (err) {
        if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}
