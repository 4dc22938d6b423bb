/** IPv4 CIDR arithmetic: just enough to check config and carve a VPC into subnets. */

function parseIp(ip: string): number | undefined {
    const parts = ip.split(".");
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function formatIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** True for a.b.c.d/n whose address is the network address of the block. */
export function isValidCidr(cidr: string): boolean {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
    if (!m) return false;
    const ip = parseIp(m[1]);
    const prefix = Number(m[2]);
    return ip !== undefined && prefix <= 32 && ip % 2 ** (32 - prefix) === 0;
}

export function cidrPrefixLength(cidr: string): number {
    return Number(cidr.split("/")[1]);
}

/** The index-th block of the given prefix length inside `cidr` (like Terraform's cidrsubnet). */
export function subnetCidr(cidr: string, newPrefix: number, index: number): string {
    const [base, prefixText] = cidr.split("/");
    const prefix = Number(prefixText);
    if (newPrefix < prefix || index >= 2 ** (newPrefix - prefix)) {
        throw new Error(`${cidr} has no block number ${index} of size /${newPrefix}`);
    }
    return `${formatIp(parseIp(base)! + index * 2 ** (32 - newPrefix))}/${newPrefix}`;
}
