/**
 * The RDS MySQL versions the program accepts: the ones WSO2 lists as tested for API-M 4.5 and 4.6
 * ("Product Compatibility": MySQL 5.7, 8 and 8.4), newest first, with the date RDS standard support ends
 * for those past it. 5.7 is left out: RDS ended its standard support in 2024.
 */
export const MYSQL_MAJOR_VERSIONS: readonly { readonly major: string; readonly standardSupportEnds?: string }[] = [
    { major: "8.4" },
    // After this date RDS creates an 8.0 instance only in paid RDS Extended Support.
    { major: "8.0", standardSupportEnds: "2026-07-31" },
];

/** "8.4" for "8.4" or "8.4.7"; undefined for a version the program does not accept. */
export function mysqlMajorVersion(engineVersion: string): string | undefined {
    const m = /^(\d+\.\d+)(\.\d+)?$/.exec(engineVersion);
    return m && MYSQL_MAJOR_VERSIONS.some((v) => v.major === m[1]) ? m[1] : undefined;
}

/** RDS's engineLifecycleSupport value for the stack's choice. */
export function engineLifecycleSupport(extendedSupport: boolean): string {
    return extendedSupport ? "open-source-rds-extended-support" : "open-source-rds-extended-support-disabled";
}
