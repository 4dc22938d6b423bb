import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { NetworkConfig } from "../lib/config/stackConfig";
import { vpcSubnetLayout, natGatewayCount, natGatewayFor } from "../lib/plan/vpcLayout";
import { flowLogAssumeRolePolicy, flowLogDeliveryPolicy } from "../lib/aws/flowLogPolicies";

export interface NetworkArgs {
    /**
     * A new VPC (CIDR, zone count, NAT gateways per zone or single) or an existing one (VPC id and its
     * public and private subnet ids, already checked to span two zones). Existing mode creates no VPC
     * resources: no subnets, gateways, routes, flow logs or default-group takeover.
     */
    readonly network: NetworkConfig;
    /** Route53 private hosted zone created here and associated with the VPC (both modes); others add records. */
    readonly privateZoneName: string;
    /** Retention of the VPC flow-log group (a CloudWatch-accepted value). Unused with an existing VPC. */
    readonly logRetentionDays: number;
    /** Name of the VPC flow-log group (lib/aws/stackLogGroups.ts), within the stack key's log group patterns. Unused with an existing VPC. */
    readonly flowLogGroupName: string;
    /** The stack key the flow-log group is encrypted with. Unused with an existing VPC. */
    readonly kmsKeyArn: pulumi.Input<string>;
}

/**
 * The VPC the cluster lives in: public subnets for the load balancer and NAT, private subnets for nodes,
 * database and file system, flow logs, a closed default security group, and the private DNS zone.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly vpcCidrBlock: pulumi.Output<string>;
    /** One per zone, in zone order (at least two). */
    readonly publicSubnetIds: pulumi.Output<string>[];
    /** In zone order; the index is NodePlan.zoneSlot. */
    readonly privateSubnetIds: pulumi.Output<string>[];
    /** Route tables of the private subnets (new VPC only; empty for an existing VPC, whose tables the stack does not own). */
    readonly privateRouteTableIds: pulumi.Output<string>[];
    readonly privateZoneId: pulumi.Output<string>;
    /** Zone of each private subnet, in the same order (new VPC only; undefined for an existing VPC). */
    readonly availabilityZones?: pulumi.Output<string>[];
    /**
     * Per private subnet, in the same order: what gives it its default route through NAT (the route and
     * the subnet's route-table association), for whatever must reach the internet as soon as it starts.
     * Empty lists for an existing VPC, whose routes already exist.
     */
    readonly privateEgress: readonly (readonly pulumi.Resource[])[];

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:network:Network", name, {}, opts);
        const net = args.network;

        if (net.mode === "existing") {
            this.vpcId = pulumi.output(net.vpcId);
            this.vpcCidrBlock = aws.ec2.getVpcOutput({ id: net.vpcId }, { parent: this }).cidrBlock;
            this.publicSubnetIds = net.publicSubnetIds.map((id) => pulumi.output(id));
            this.privateSubnetIds = net.privateSubnetIds.map((id) => pulumi.output(id));
            this.privateEgress = net.privateSubnetIds.map(() => []);
            this.privateRouteTableIds = [];
        } else {
            const built = this.buildVpc(name, net, args);
            this.vpcId = built.vpc.id;
            this.vpcCidrBlock = built.vpc.cidrBlock;
            this.publicSubnetIds = built.publicSubnets.map((s) => s.id);
            this.privateSubnetIds = built.privateSubnets.map((s) => s.id);
            this.privateRouteTableIds = built.privateRouteTables.map((t) => t.id);
            this.availabilityZones = built.privateSubnets.map((s) => s.availabilityZone);
            this.privateEgress = built.privateEgress;
        }

        const zone = new aws.route53.Zone(
            `${name}-private-zone`,
            {
                name: args.privateZoneName,
                comment: "Stable private names of the WSO2 API-M nodes and database",
                vpcs: [{ vpcId: this.vpcId }],
            },
            { parent: this },
        );
        this.privateZoneId = zone.zoneId;

        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidrBlock: this.vpcCidrBlock,
            publicSubnetIds: this.publicSubnetIds,
            privateSubnetIds: this.privateSubnetIds,
            privateRouteTableIds: this.privateRouteTableIds,
            privateZoneId: this.privateZoneId,
        });
    }

    private buildVpc(name: string, net: Extract<NetworkConfig, { mode: "new" }>, args: NetworkArgs) {
        const parent = { parent: this };
        const zoneCount = net.availabilityZoneCount;
        const layout = vpcSubnetLayout(net.vpcCidr, zoneCount);
        // Regular zones only: Local and Wavelength zones lack RDS Multi-AZ, EFS and NAT.
        const zoneNames = aws
            .getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, parent)
            .names.apply((names) => {
                if (names.length < zoneCount) {
                    throw new Error(`availabilityZoneCount is ${zoneCount} but the region has only ${names.length} available zones`);
                }
                return names.slice(0, zoneCount);
            });
        const zoneName = (i: number) => zoneNames.apply((names) => names[i]);

        const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: net.vpcCidr, enableDnsSupport: true, enableDnsHostnames: true }, parent);

        // Take the default group over with no rules: nothing may use it by accident (CKV2_AWS_12, EC2.2).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id }, parent);

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, parent);
        const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: vpc.id }, parent);
        new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, parent);

        const publicSubnets = layout.publicCidrs.map((cidrBlock, i) => {
            // The ALB and NAT gateways get their addresses explicitly; nothing else launched here gets a public IP.
            const subnet = new aws.ec2.Subnet(
                `${name}-public-${i + 1}`,
                { vpcId: vpc.id, cidrBlock, availabilityZone: zoneName(i), mapPublicIpOnLaunch: false },
                parent,
            );
            new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, parent);
            return subnet;
        });

        const natGateways = Array.from({ length: natGatewayCount(zoneCount, net.natGateways) }, (_, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${i + 1}-eip`, { domain: "vpc" }, parent);
            return new aws.ec2.NatGateway(
                `${name}-nat-${i + 1}`,
                { allocationId: eip.id, subnetId: publicSubnets[i].id },
                { parent: this, dependsOn: [igw] },
            );
        });

        const privateEgress: pulumi.Resource[][] = [];
        const privateRouteTables: aws.ec2.RouteTable[] = [];
        const privateSubnets = layout.privateCidrs.map((cidrBlock, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i + 1}`,
                { vpcId: vpc.id, cidrBlock, availabilityZone: zoneName(i), mapPublicIpOnLaunch: false },
                parent,
            );
            const routes = new aws.ec2.RouteTable(`${name}-private-${i + 1}-rt`, { vpcId: vpc.id }, parent);
            privateRouteTables.push(routes);
            const defaultRoute = new aws.ec2.Route(
                `${name}-private-${i + 1}-default`,
                { routeTableId: routes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: natGateways[natGatewayFor(i, net.natGateways)].id },
                parent,
            );
            const association = new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}-rta`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
            privateEgress.push([defaultRoute, association]);
            return subnet;
        });

        this.buildFlowLogs(name, vpc, args);
        return { vpc, publicSubnets, privateSubnets, privateEgress, privateRouteTables };
    }

    /** All VPC traffic metadata to CloudWatch (CKV2_AWS_11, EC2.6), through a role scoped to that one group. */
    private buildFlowLogs(name: string, vpc: aws.ec2.Vpc, args: NetworkArgs): void {
        const parent = { parent: this };
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { name: args.flowLogGroupName, retentionInDays: args.logRetentionDays, kmsKeyId: args.kmsKeyArn },
            parent,
        );
        const identity = aws.getCallerIdentityOutput({}, parent);
        const role = new aws.iam.Role(
            `${name}-flow-logs-role`,
            {
                description: "Lets VPC flow logs write to the stack's flow-log group",
                assumeRolePolicy: identity.accountId.apply((accountId) => JSON.stringify(flowLogAssumeRolePolicy(accountId))),
            },
            parent,
        );
        const delivery = new aws.iam.RolePolicy(
            `${name}-flow-logs-delivery`,
            { role: role.id, policy: logGroup.arn.apply((arn) => JSON.stringify(flowLogDeliveryPolicy(arn))) },
            parent,
        );
        new aws.ec2.FlowLog(
            `${name}-flow-log`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
            },
            { parent: this, dependsOn: [delivery] },
        );
    }
}
