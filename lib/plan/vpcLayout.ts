import { cidrPrefixLength, subnetCidr } from "../config/cidr";

/**
 * How a new VPC is carved: sixteen equal blocks, public subnets in the first four, private subnets in
 * blocks 8-11, so a /16 gives /20 subnets (4091 addresses) and a /22 still gives /26 (59 addresses,
 * enough for eight nodes, RDS and EFS). Blocks 4-7 and 12-15 stay free for later tiers.
 */
export const MAX_ZONES = 4;
const BLOCK_BITS = 4;
const PRIVATE_OFFSET = 8;

export interface SubnetLayout {
    /** One per zone, in zone order. */
    readonly publicCidrs: string[];
    readonly privateCidrs: string[];
}

export function vpcSubnetLayout(vpcCidr: string, zoneCount: number): SubnetLayout {
    if (!Number.isInteger(zoneCount) || zoneCount < 2 || zoneCount > MAX_ZONES) {
        throw new Error(`vpcSubnetLayout: expected 2-${MAX_ZONES} availability zones, got ${zoneCount}`);
    }
    const prefix = cidrPrefixLength(vpcCidr) + BLOCK_BITS;
    const zones = Array.from({ length: zoneCount }, (_, i) => i);
    return {
        publicCidrs: zones.map((i) => subnetCidr(vpcCidr, prefix, i)),
        privateCidrs: zones.map((i) => subnetCidr(vpcCidr, prefix, PRIVATE_OFFSET + i)),
    };
}

/** Index of the NAT gateway that private subnet `zoneIndex` routes through. */
export function natGatewayFor(zoneIndex: number, natGateways: "perAz" | "single"): number {
    return natGateways === "perAz" ? zoneIndex : 0;
}

export function natGatewayCount(zoneCount: number, natGateways: "perAz" | "single"): number {
    return natGateways === "perAz" ? zoneCount : 1;
}
