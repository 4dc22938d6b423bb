/**
 * The MySQL version the stack's database last ran against the configured one. A new major version is an
 * in-place upgrade RDS runs only when asked to (allowMajorVersionUpgrade), with the database down while it
 * runs; there is no way back but a snapshot. So preview says what will happen, and `pulumi up` refuses a
 * major change the stack has not opted into before anything is touched.
 */
import { mysqlMajorVersion } from "../plan/databaseEngine";

/** Stack output that records the configured engine version; the next preview reads it back. */
export const DATABASE_ENGINE_OUTPUT = "databaseEngineVersion";

export interface DatabaseEngineChange {
    /** For `pulumi preview` and `pulumi up`. */
    readonly warning?: string;
    /** Stops `pulumi up` before any resource changes. */
    readonly refusal?: string;
}

export function databaseEngineChange(
    previousOutputs: Readonly<Record<string, unknown>> | undefined,
    configured: { readonly engineVersion: string; readonly allowMajorVersionUpgrade: boolean },
): DatabaseEngineChange {
    const deployed = previousOutputs?.[DATABASE_ENGINE_OUTPUT];
    const from = typeof deployed === "string" ? mysqlMajorVersion(deployed) : undefined;
    const to = mysqlMajorVersion(configured.engineVersion);
    if (!from || !to || from === to) {
        return configured.allowMajorVersionUpgrade
            ? { warning: "dbAllowMajorVersionUpgrade is true with no major version change: database changes apply at once instead of in the maintenance window. Set it back to false." }
            : {};
    }
    if (Number(to) < Number(from)) {
        const refusal = `dbEngineVersion goes back from MySQL ${from} (deployed) to ${to}: RDS has no major version downgrade. ` +
            `Set dbEngineVersion back to ${from}; to return to ${to}, restore a snapshot taken before the upgrade into a new stack (docs/operating.md, "Restore into a new stack").`;
        return { warning: refusal, refusal };
    }
    if (!configured.allowMajorVersionUpgrade) {
        const refusal = `dbEngineVersion moves the database from MySQL ${from} (deployed) to ${to}, a major upgrade, which \`pulumi up\` runs only with ` +
            `dbAllowMajorVersionUpgrade true. Take a snapshot first (docs/upgrading.md, "Upgrading the database"); to stay on ${from}, set dbEngineVersion ${from}.`;
        return { warning: refusal, refusal };
    }
    return {
        warning: `dbEngineVersion upgrades the database from MySQL ${from} (deployed) to ${to} during this update: the database is unavailable ` +
            `while RDS upgrades it, and only a snapshot taken before leads back (docs/upgrading.md, "Upgrading the database").`,
    };
}
