import { mysqlMajorVersion } from "./databaseEngine";

/**
 * RDS MySQL settings derived from the cluster's shape: connection budget, parameter group, and the
 * names RDS needs before the instance exists.
 */

/** `pool_options.maxActive` of each WSO2 datasource on one node (deployment.toml reads these too). */
export const DB_POOL_MAX_ACTIVE = { apim: 100, shared: 50 } as const;

export type PoolSizes = { readonly apim: number; readonly shared: number };

/** WSO2's tuning guide raises MySQL's default 151 to this. */
export const MIN_MAX_CONNECTIONS = 250;

/** Room for the boot script's schema set-up, an operator's session and RDS's own monitoring connections. */
export const CONNECTION_HEADROOM = 50;

/** Every node may fill both pools at once; the database must still accept the boot script and an operator. */
export function maxConnectionsFor(nodeCount: number, pools: PoolSizes = DB_POOL_MAX_ACTIVE): number {
    if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`maxConnectionsFor: nodeCount must be a positive whole number, got ${nodeCount}`);
    return Math.max(MIN_MAX_CONNECTIONS, nodeCount * (pools.apim + pools.shared) + CONNECTION_HEADROOM);
}

/** RDS parameter group family of an engine version ("8.0", "8.0.39" → mysql8.0; "8.4.x" → mysql8.4). */
export function parameterGroupFamily(engineVersion: string): string {
    const major = mysqlMajorVersion(engineVersion);
    if (!major) throw new Error(`parameterGroupFamily: unsupported MySQL engine version "${engineVersion}" (expected 8.4 or 8.0, optionally with a minor)`);
    return `mysql${major}`;
}

export interface DatabaseParameter {
    readonly name: string;
    readonly value: string;
    /** All of these are dynamic in MySQL 8, so RDS applies them without a reboot. */
    readonly applyMethod: "immediate" | "pending-reboot";
}

export function databaseParameters(maxConnections: number): DatabaseParameter[] {
    return [
        { name: "max_connections", value: String(maxConnections), applyMethod: "immediate" },
        // Clients must use TLS (CKV2_AWS_69); WSO2's JDBC URLs and the boot script connect with TLS.
        { name: "require_secure_transport", value: "1", applyMethod: "immediate" },
        // The server default, which RDS gives WSO2AM_DB when it creates it. The boot script sets each
        // database's own set before its schema script runs (docs/boot-and-recovery.md, Database): WSO2SHARED_DB utf8mb4_bin,
        // the user store, where a case-insensitive collation (MySQL's default latin1_swedish_ci) breaks
        // WSO2's permissions (UM_PERMISSION); WSO2AM_DB latin1_bin, as WSO2 documents for MySQL 8, since
        // 4.5/4.6's keys exceed InnoDB's 3072 bytes in utf8mb4. A default of utf8mb4_bin loses no character
        // in a database someone creates by hand. Connections are utf8mb4 (the JDBC URL's characterEncoding).
        { name: "character_set_server", value: "utf8mb4", applyMethod: "immediate" },
        { name: "collation_server", value: "utf8mb4_bin", applyMethod: "immediate" },
    ];
}

/** Log types the instance exports to CloudWatch (CKV_AWS_129). */
export const EXPORTED_DATABASE_LOGS = ["error", "slowquery"] as const;

/**
 * The instance identifier. Fixed per stack rather than auto-named so that the CloudWatch log groups RDS
 * writes to (/aws/rds/instance/<id>/<log>) can be created first, with a retention, instead of RDS creating
 * them without one. RDS: 1-63 letters, digits and single hyphens, starting with a letter.
 */
export function databaseIdentifier(project: string, stack: string, name: string): string {
    const slug = `${project}-${stack}-${name}`
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^[^a-z]+/, "")
        .replace(/-+$/, "");
    return slug ? slug.slice(0, 63).replace(/-+$/, "") : "db";
}

export function databaseLogGroupName(identifier: string, log: string): string {
    return `/aws/rds/instance/${identifier}/${log}`;
}

/**
 * Snapshot RDS takes when a protected stack's database is finally deleted. The suffix is drawn once per
 * database, so a later database of the same identifier (the stack created again, or its database
 * replaced) does not collide with an earlier one's final snapshot.
 */
export function finalSnapshotIdentifier(identifier: string, suffix: string): string {
    if (!/^[a-z0-9]+$/.test(suffix)) throw new Error(`finalSnapshotIdentifier: the suffix must be lower-case letters and digits, got "${suffix}"`);
    return `${identifier.replace(/-+$/, "")}-final-${suffix}`;
}

/** The stack's own copy of a snapshot it restores from, encrypted with the stack key (RDS: 1-255 characters). */
export function restoreCopyIdentifier(identifier: string): string {
    return `${identifier.replace(/-+$/, "")}-restore-source`;
}
