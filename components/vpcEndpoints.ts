import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { GATEWAY_ENDPOINT_SERVICES, INTERFACE_ENDPOINT_SERVICES, endpointServiceName } from "../lib/aws/vpcEndpointServices";

export interface VpcEndpointsArgs {
    readonly vpcId: pulumi.Input<string>;
    /** The private subnets, at least two zones: every interface endpoint gets a network interface in each. */
    readonly subnetIds: pulumi.Input<string>[];
    /** The endpoints' security group (HTTPS from the nodes only, lib/aws/securityGroupRules.ts). */
    readonly securityGroupId: pulumi.Input<string>;
    /**
     * Route tables of the private subnets, for the S3 gateway endpoint. Empty (an existing VPC, whose
     * route tables the stack does not own): no gateway endpoint, S3 stays reachable through NAT.
     */
    readonly routeTableIds: pulumi.Input<string>[];
}

/**
 * VPC endpoints for every AWS API the nodes call (lib/aws/vpcEndpointServices.ts): interface endpoints
 * with private DNS in the private subnets, behind a group that admits only the nodes, and an S3 gateway
 * endpoint on the private route tables.
 */
export class VpcEndpoints extends pulumi.ComponentResource {
    /** Endpoint ids by service (secretsmanager, kms, …, s3). */
    readonly endpointIds: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: VpcEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.subnetIds.length < 2) throw new Error(`VpcEndpoints: expected private subnets in at least two zones, got ${args.subnetIds.length}`);
        super("wso2-apim-ha:vpcEndpoints:VpcEndpoints", name, {}, opts);
        const parent = { parent: this };

        const partition = aws.getPartitionOutput({}, parent);
        const region = aws.getRegionOutput({}, parent);
        const serviceName = (service: string) =>
            pulumi.all([partition.dnsSuffix, region.region]).apply(([dnsSuffix, reg]) => endpointServiceName(dnsSuffix, reg, service));

        const ids: Record<string, pulumi.Output<string>> = {};
        for (const { service } of INTERFACE_ENDPOINT_SERVICES) {
            ids[service] = new aws.ec2.VpcEndpoint(
                `${name}-${service}`,
                {
                    vpcId: args.vpcId,
                    serviceName: serviceName(service),
                    vpcEndpointType: "Interface",
                    privateDnsEnabled: true,
                    subnetIds: args.subnetIds,
                    securityGroupIds: [args.securityGroupId],
                },
                parent,
            ).id;
        }
        if (args.routeTableIds.length > 0) {
            for (const { service } of GATEWAY_ENDPOINT_SERVICES) {
                ids[service] = new aws.ec2.VpcEndpoint(
                    `${name}-${service}`,
                    { vpcId: args.vpcId, serviceName: serviceName(service), vpcEndpointType: "Gateway", routeTableIds: args.routeTableIds },
                    parent,
                ).id;
            }
        }

        this.endpointIds = ids;
        this.registerOutputs({ endpointIds: this.endpointIds });
    }
}
