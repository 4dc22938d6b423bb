/**
 * Names of the log groups the stack creates under its own prefix (the RDS groups are named by RDS). One
 * prefix per stack lets the stack key's policy name them all before any exists.
 */
export function stackLogGroupPrefix(stack: string): string {
    return `/wso2-apim-ha/${stack}`;
}

/** Every log group under the stack's prefix, as a key-policy name pattern. */
export function stackLogGroupPattern(stack: string): string {
    return `${stackLogGroupPrefix(stack)}/*`;
}

/** The VPC flow-log group (new VPCs only). */
export function flowLogGroupName(stack: string): string {
    return `${stackLogGroupPrefix(stack)}/vpc-flow-logs`;
}
