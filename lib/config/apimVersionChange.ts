/**
 * The API-M version the stack last deployed against the configured one. The nodes refuse schemas set up
 * for another version (config-templates/bootstrap.sh), so a version change needs WSO2's database
 * migration first; `pulumi preview` says so before anything is replaced.
 */

/** Stack output that records the deployed API-M version; the next preview reads it back. */
export const APIM_VERSION_OUTPUT = "apimVersion";

/** 4.10.0 after 4.9.0: numeric parts compared in order. */
function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) return d;
    }
    return 0;
}

/**
 * A warning when the previous deployment's outputs name another API-M version than `configured`;
 * undefined when they name the same one, or none (a first deployment, or one from before this output).
 */
export function apimVersionChangeWarning(previousOutputs: Readonly<Record<string, unknown>> | undefined, configured: string): string | undefined {
    const deployed = previousOutputs?.[APIM_VERSION_OUTPUT];
    if (typeof deployed !== "string" || deployed === "" || deployed === configured) return undefined;
    if (/^\d+(\.\d+)*$/.test(deployed) && /^\d+(\.\d+)*$/.test(configured) && compareVersions(configured, deployed) < 0) {
        return `apimVersion goes back from ${deployed} (deployed) to ${configured}. WSO2 has no downgrade: new nodes would refuse ` +
            `the ${deployed} schemas, and the rolling gate would stop at the first one. To go back, restore the database ` +
            `snapshot taken before the upgrade (docs/upgrading.md, "Upgrading API-M").`;
    }
    return `apimVersion changes from ${deployed} (deployed) to ${configured}. New nodes start only on schemas migrated to ` +
        `${configured} with WSO2's migration and marked for it (docs/upgrading.md, "Upgrading API-M"); otherwise the rolling gate stops ` +
        `at the first node while the old nodes keep serving. Expected if you have migrated already.`;
}
