import { SERVER_SECRET_ENV, BOOT_ONLY_SECRET_KEYS } from "../plan/secretKeys";

/** The values the stack secret carries, named by what they are; the JSON keys come from secretKeys.ts. */
export type ClusterSecretValues = { readonly [K in keyof typeof SERVER_SECRET_ENV]: K extends "analyticsAuthToken" ? string | undefined : string } & {
    readonly [K in keyof typeof BOOT_ONLY_SECRET_KEYS]: string;
};

/**
 * The JSON object stored in Secrets Manager: exactly the contract keys, the analytics token only when
 * there is one (the boot script treats a missing key as "analytics off").
 */
export function clusterSecretDocument(values: ClusterSecretValues): Record<string, string> {
    const doc: Record<string, string> = {};
    for (const [field, key] of Object.entries(SERVER_SECRET_ENV) as [keyof typeof SERVER_SECRET_ENV, string][]) {
        const value = values[field];
        if (value === undefined) continue;
        if (value === "") throw new Error(`clusterSecretDocument: ${key} is empty`);
        doc[key] = value;
    }
    for (const [field, key] of Object.entries(BOOT_ONLY_SECRET_KEYS) as [keyof typeof BOOT_ONLY_SECRET_KEYS, string][]) {
        if (!values[field]) throw new Error(`clusterSecretDocument: ${key} is empty`);
        doc[key] = values[field];
    }
    return doc;
}
