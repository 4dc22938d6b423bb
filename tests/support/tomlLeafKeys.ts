/**
 * Dotted paths of every leaf value of a parsed TOML document (array-of-table elements share their
 * table's path), the vocabulary a deployment.toml spec compares with the keys WSO2's templates read.
 */
export function leafKeys(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
        return value.flatMap((v) => leafKeys(v, prefix));
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        return Object.entries(value).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
    }
    return [prefix];
}
