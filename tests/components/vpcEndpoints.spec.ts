import { installOfflineMocks, OFFLINE_REGION, OfflineRun, RecordedResource } from "../../lib/offline/offlineMocks";
import { GATEWAY_ENDPOINT_SERVICES, INTERFACE_ENDPOINT_SERVICES, endpointServiceName } from "../../lib/aws/vpcEndpointServices";
import { ofType, resolve, settle, tree } from "../support/componentRun";
import type { VpcEndpoints as VpcEndpointsClass } from "../../components/vpcEndpoints";

const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const VPC = "vpc-0123456789abcdef0";
const SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"];
const ROUTE_TABLES = ["rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb"];
const SG = "sg-0endpoints0000000";

let run: OfflineRun;
const deployed: Record<string, { resources: RecordedResource[]; ids: Record<string, string> }> = {};

async function deploy(name: string, routeTableIds: string[]): Promise<void> {
    const { VpcEndpoints } = require("../../components/vpcEndpoints") as { VpcEndpoints: typeof VpcEndpointsClass };
    const endpoints = new VpcEndpoints(name, { vpcId: VPC, subnetIds: SUBNETS, securityGroupId: SG, routeTableIds });
    const ids = Object.fromEntries(await Promise.all(Object.entries(endpoints.endpointIds).map(async ([k, v]) => [k, await resolve(v)] as const)));
    await settle();
    deployed[name] = { resources: tree(run, name), ids };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("new-vpc", ROUTE_TABLES);
    await deploy("existing-vpc", []);
});

const byService = (resources: RecordedResource[]) =>
    Object.fromEntries(ofType(resources, ENDPOINT).map((e) => [e.inputs.serviceName.split(".").pop(), e.inputs]));

describe.each(["new-vpc", "existing-vpc"])("VPC endpoints (%s)", (name) => {
    const endpoints = () => byService(deployed[name].resources);

    test("an interface endpoint with private DNS for every API the nodes call, in every private subnet, behind the endpoints' group", () => {
        const services = ["secretsmanager", "kms", "logs", "monitoring", "ssm", "ssmmessages", "ec2messages"];
        expect(INTERFACE_ENDPOINT_SERVICES.map((s) => s.service).sort()).toEqual([...services].sort());
        for (const service of services) {
            expect(endpoints()[service]).toEqual({
                vpcId: VPC,
                serviceName: `com.amazonaws.${OFFLINE_REGION}.${service}`,
                vpcEndpointType: "Interface",
                privateDnsEnabled: true,
                subnetIds: SUBNETS,
                securityGroupIds: [SG],
            });
        }
    });

    test("exposes each endpoint's id", () => {
        const created = Object.keys(endpoints()).sort();
        expect(Object.keys(deployed[name].ids).sort()).toEqual(created);
    });
});

test("a new VPC also gets the S3 gateway endpoint on the private route tables", () => {
    expect(GATEWAY_ENDPOINT_SERVICES.map((s) => s.service)).toEqual(["s3"]);
    expect(byService(deployed["new-vpc"].resources).s3).toEqual({
        vpcId: VPC,
        serviceName: `com.amazonaws.${OFFLINE_REGION}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: ROUTE_TABLES,
    });
});

test("an existing VPC gets no gateway endpoint: its route tables are not the stack's", () => {
    expect(byService(deployed["existing-vpc"].resources).s3).toBeUndefined();
    expect(ofType(deployed["existing-vpc"].resources, ENDPOINT)).toHaveLength(INTERFACE_ENDPOINT_SERVICES.length);
});

test("endpoint service names follow the partition's DNS suffix", () => {
    expect(endpointServiceName("amazonaws.com", "eu-west-1", "ssm")).toBe("com.amazonaws.eu-west-1.ssm");
    expect(endpointServiceName("amazonaws.com.cn", "cn-north-1", "s3")).toBe("cn.com.amazonaws.cn-north-1.s3");
    expect(() => endpointServiceName("amazonaws.com", "eu-west-1", "bad service")).toThrow(/unexpected/);
});

test("endpoints in a single subnet are refused before anything is created", () => {
    const { VpcEndpoints } = require("../../components/vpcEndpoints") as { VpcEndpoints: typeof VpcEndpointsClass };
    expect(() => new VpcEndpoints("one-zone", { vpcId: VPC, subnetIds: [SUBNETS[0]], securityGroupId: SG, routeTableIds: [] })).toThrow(/at least two zones/);
});

test("no unknown invokes", () => {
    expect(run.unknownCalls).toEqual([]);
});
