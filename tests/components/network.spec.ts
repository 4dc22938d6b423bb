import { installOfflineMocks, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { vpcSubnetLayout } from "../../lib/plan/vpcLayout";
import { isValidCidr } from "../../lib/config/cidr";
import { flowLogDeliveryPolicy } from "../../lib/aws/flowLogPolicies";
import { one, ofType, plain, resolve, settle, tree } from "../support/componentRun";
import { sampleConfig } from "../support/sampleConfig";
import type { Network as NetworkClass } from "../../components/network";

const T = {
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    nat: "aws:ec2/natGateway:NatGateway",
    eip: "aws:ec2/eip:Eip",
    igw: "aws:ec2/internetGateway:InternetGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    route: "aws:ec2/route:Route",
    association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    flowLog: "aws:ec2/flowLog:FlowLog",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    zone: "aws:route53/zone:Zone",
};

interface Deployed {
    resources: RecordedResource[];
    vpcId: string;
    vpcCidrBlock: string;
    publicSubnetIds: string[];
    privateSubnetIds: string[];
    privateZoneId: string;
}

const STACK_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-stack-key";
const flowLogGroupName = (name: string) => `/wso2-apim-ha/${name}/vpc-flow-logs`;

let run: OfflineRun;
const deployed: Record<string, Deployed> = {};

async function deploy(name: string, overrides: Record<string, unknown>): Promise<void> {
    const { Network } = require("../../components/network") as { Network: typeof NetworkClass };
    const config = sampleConfig(overrides);
    const net = new Network(name, {
        network: config.network,
        privateZoneName: `${name}.internal`,
        logRetentionDays: 90,
        flowLogGroupName: flowLogGroupName(name),
        kmsKeyArn: STACK_KEY_ARN,
    });
    const [vpcId, vpcCidrBlock, publicSubnetIds, privateSubnetIds, privateZoneId] = await Promise.all([
        resolve(net.vpcId),
        resolve(net.vpcCidrBlock),
        Promise.all(net.publicSubnetIds.map(resolve)),
        Promise.all(net.privateSubnetIds.map(resolve)),
        resolve(net.privateZoneId),
    ]);
    await settle();
    deployed[name] = { resources: tree(run, name), vpcId, vpcCidrBlock, publicSubnetIds, privateSubnetIds, privateZoneId };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("peraz", { availabilityZoneCount: 3, natGateways: "perAz", vpcCidr: "10.40.0.0/16" });
    await deploy("single", { availabilityZoneCount: 2, natGateways: "single", vpcCidr: "10.41.0.0/22" });
    await deploy("existing", {
        existingVpcId: "vpc-0aaaaaaaaaaaaaaaa",
        existingPublicSubnetIds: ["subnet-0aaaaaaaaaaaaaa0a", "subnet-0aaaaaaaaaaaaaa1b"],
        existingPrivateSubnetIds: ["subnet-0bbbbbbbbbbbbbb2a", "subnet-0bbbbbbbbbbbbbb3b", "subnet-0bbbbbbbbbbbbbb4c"],
    });
});

/** Subnet resources in the order of the component's id outputs (ids are derived from names under the mocks). */
function subnetsOf(d: Deployed, tier: "public" | "private"): RecordedResource[] {
    return ofType(d.resources, T.subnet)
        .filter((s) => s.name.includes(`-${tier}-`))
        .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

/** The NAT gateway name each private subnet's default route leads to, in zone order. */
function natOfPrivateSubnets(d: Deployed): string[] {
    const tables = ofType(d.resources, T.routeTable);
    const routes = ofType(d.resources, T.route);
    const assocs = ofType(d.resources, T.association);
    const nats = ofType(d.resources, T.nat);
    return d.privateSubnetIds.map((subnetId) => {
        const assoc = assocs.find((a) => a.inputs.subnetId === subnetId)!;
        const table = tables.find((t) => `${t.name}-id` === assoc.inputs.routeTableId)!;
        const route = routes.find((r) => r.inputs.routeTableId === `${table.name}-id` && r.inputs.destinationCidrBlock === "0.0.0.0/0")!;
        expect(route.inputs.gatewayId).toBeUndefined();
        return nats.find((n) => `${n.name}-id` === route.inputs.natGatewayId)!.name;
    });
}

describe.each([
    ["peraz", 3],
    ["single", 2],
])("new VPC (%s)", (name, zones) => {
    const d = () => deployed[name];

    test("the VPC has DNS support and host names on", () => {
        const vpc = one(d().resources, T.vpc);
        expect(vpc.inputs).toMatchObject({ enableDnsSupport: true, enableDnsHostnames: true });
        expect(d().vpcCidrBlock).toBe(vpc.inputs.cidrBlock);
    });

    test("one public and one private subnet per zone, spread over distinct zones, in zone order", () => {
        expect(d().publicSubnetIds).toHaveLength(zones);
        expect(d().privateSubnetIds).toHaveLength(zones);
        const pub = subnetsOf(d(), "public");
        const priv = subnetsOf(d(), "private");
        expect(new Set(pub.map((s) => s.inputs.availabilityZone)).size).toBe(zones);
        expect(new Set(priv.map((s) => s.inputs.availabilityZone)).size).toBe(zones);
        expect(priv.map((s) => s.inputs.availabilityZone)).toEqual(pub.map((s) => s.inputs.availabilityZone));
    });

    test("subnets are distinct blocks of the VPC and never hand out public IPs", () => {
        const subnets = ofType(d().resources, T.subnet);
        const cidrs = subnets.map((s) => s.inputs.cidrBlock as string);
        expect(new Set(cidrs).size).toBe(cidrs.length);
        const layout = vpcSubnetLayout(one(d().resources, T.vpc).inputs.cidrBlock, zones);
        expect(new Set(cidrs)).toEqual(new Set([...layout.publicCidrs, ...layout.privateCidrs]));
        for (const s of subnets) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
    });

    test("public subnets route to the internet gateway", () => {
        const igw = one(d().resources, T.igw);
        const toIgw = ofType(d().resources, T.route).filter((r) => r.inputs.gatewayId === `${igw.name}-id`);
        expect(toIgw).toHaveLength(1);
        const publicTable = toIgw[0].inputs.routeTableId;
        const associated = ofType(d().resources, T.association).filter((a) => a.inputs.routeTableId === publicTable).map((a) => a.inputs.subnetId);
        expect(new Set(associated)).toEqual(new Set(d().publicSubnetIds));
    });

    test("private subnets reach the internet only through NAT, never the internet gateway", () => {
        const nats = natOfPrivateSubnets(d());
        expect(nats).toHaveLength(zones);
        const expected = name === "peraz" ? zones : 1;
        expect(ofType(d().resources, T.nat)).toHaveLength(expected);
        expect(ofType(d().resources, T.eip)).toHaveLength(expected);
        expect(new Set(nats).size).toBe(expected);
    });

    test("NAT gateways sit in public subnets, one zone each", () => {
        const natSubnets = ofType(d().resources, T.nat).map((n) => n.inputs.subnetId);
        for (const id of natSubnets) expect(d().publicSubnetIds).toContain(id);
        expect(new Set(natSubnets).size).toBe(natSubnets.length);
    });

    test("flow logs capture all traffic into a retained log group under the stack key, through a role scoped to that group", () => {
        const flowLog = one(d().resources, T.flowLog);
        const logGroup = one(d().resources, T.logGroup);
        const role = one(d().resources, T.role);
        expect(flowLog.inputs).toMatchObject({
            vpcId: d().vpcId,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.outputs.arn,
            iamRoleArn: role.outputs.arn,
        });
        expect(logGroup.inputs).toMatchObject({ name: flowLogGroupName(name), retentionInDays: 90, kmsKeyId: STACK_KEY_ARN });
        const trust = JSON.parse(role.inputs.assumeRolePolicy);
        expect(trust.Statement.map((s: any) => s.Principal.Service)).toEqual(["vpc-flow-logs.amazonaws.com"]);
        const policy = JSON.parse(one(d().resources, T.rolePolicy).inputs.policy);
        const resources = policy.Statement.flatMap((s: any) => [s.Resource].flat());
        expect(resources.length).toBeGreaterThan(0);
        for (const r of resources) expect(r.startsWith(logGroup.outputs.arn)).toBe(true);
        expect(policy.Statement.flatMap((s: any) => [s.Action].flat()).some((a: string) => a.includes("*"))).toBe(false);
    });

    test("the default security group is taken over with no rules", () => {
        const sg = one(d().resources, T.defaultSg);
        expect(sg.inputs.vpcId).toBe(d().vpcId);
        expect(sg.inputs.ingress ?? []).toEqual([]);
        expect(sg.inputs.egress ?? []).toEqual([]);
    });

    test("the private zone is associated with the new VPC", () => {
        const zone = one(d().resources, T.zone);
        expect(plain(zone.inputs)).toMatchObject({ name: `${name}.internal`, vpcs: [{ vpcId: d().vpcId }] });
        expect(d().privateZoneId).toBe(zone.outputs.zoneId);
    });
});

describe("existing VPC", () => {
    const d = () => deployed.existing;

    test("creates no network resources besides the private zone", () => {
        expect(d().resources.filter((r) => r.custom).map((r) => r.type)).toEqual([T.zone]);
    });

    test("passes the given ids through, private subnets in the given (zone slot) order", () => {
        expect(d().vpcId).toBe("vpc-0aaaaaaaaaaaaaaaa");
        expect(d().publicSubnetIds).toEqual(["subnet-0aaaaaaaaaaaaaa0a", "subnet-0aaaaaaaaaaaaaa1b"]);
        expect(d().privateSubnetIds).toEqual(["subnet-0bbbbbbbbbbbbbb2a", "subnet-0bbbbbbbbbbbbbb3b", "subnet-0bbbbbbbbbbbbbb4c"]);
    });

    test("looks the VPC's CIDR up", () => {
        expect(isValidCidr(d().vpcCidrBlock)).toBe(true);
    });

    test("the private zone is associated with the existing VPC", () => {
        expect(plain(one(d().resources, T.zone).inputs.vpcs)).toEqual([{ vpcId: "vpc-0aaaaaaaaaaaaaaaa" }]);
    });
});

describe("subnet layout", () => {
    test.each([
        ["10.40.0.0/16", 4],
        ["10.41.0.0/22", 2],
    ])("%s over %i zones: distinct, aligned blocks", (cidr, zones) => {
        const layout = vpcSubnetLayout(cidr, zones);
        const all = [...layout.publicCidrs, ...layout.privateCidrs];
        expect(new Set(all).size).toBe(2 * zones);
        for (const c of all) expect(isValidCidr(c)).toBe(true);
    });

    test("refuses fewer than two or more than four zones", () => {
        expect(() => vpcSubnetLayout("10.40.0.0/16", 1)).toThrow(/2-4/);
        expect(() => vpcSubnetLayout("10.40.0.0/16", 5)).toThrow(/2-4/);
    });
});

test("the flow-log policy covers the group and its streams whatever ARN form AWS returns", () => {
    const arn = "arn:aws:logs:eu-west-1:123456789012:log-group:flow";
    const withStar = flowLogDeliveryPolicy(`${arn}:*`) as any;
    expect(withStar).toEqual(flowLogDeliveryPolicy(arn));
    expect(withStar.Statement[0].Resource).toEqual([arn, `${arn}:*`]);
});

test("the flow-log role has every action AWS documents for delivery to CloudWatch Logs, each on the narrowest resource", () => {
    const policy = flowLogDeliveryPolicy("arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/flow-logs") as any;
    const granted = Object.fromEntries(policy.Statement.flatMap((s: any) => s.Action.map((a: string) => [a, s.Resource])));
    // CreateLogGroup is left out: the stack creates the group itself, with retention and the stack key.
    expect(Object.keys(granted).sort()).toEqual(["logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"]);
    expect(granted["logs:DescribeLogGroups"]).toEqual(["arn:aws:logs:eu-west-1:123456789012:log-group:*"]);
    expect(granted["logs:PutLogEvents"]).toEqual(["arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/flow-logs", "arn:aws:logs:eu-west-1:123456789012:log-group:/wso2-apim-ha/dev/flow-logs:*"]);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});
