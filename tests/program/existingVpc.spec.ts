import { renderStack, RenderResult } from "../../scripts/render";
import { ProgramModel, T, tempRenderDir } from "./programModel";

/**
 * Deploying into an existing VPC. Offline, a subnet id ending in a-d sits in that zone of the mock region
 * (lib/offline/offlineMocks.ts), which lets these tests choose the zones.
 */
const EXISTING = {
    natGateways: undefined,
    existingVpcId: "vpc-0123456789abcdef0",
    existingPublicSubnetIds: ["subnet-0000000000000001a", "subnet-0000000000000001b"],
    existingPrivateSubnetIds: ["subnet-0000000000000002a", "subnet-0000000000000002b"],
};

beforeAll(() => jest.spyOn(console, "warn").mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe("an existing VPC", () => {
    let result: RenderResult;
    let model: ProgramModel;
    beforeAll(async () => {
        result = await renderStack("dev", { outDir: tempRenderDir("existing"), configOverrides: EXISTING });
        model = new ProgramModel(result.resources);
    });

    it("creates no VPC or subnets and puts the nodes and load balancer into the given subnets", () => {
        expect(model.ofType("aws:ec2/vpc:Vpc")).toEqual([]);
        expect(model.ofType(T.subnet)).toEqual([]);
        expect(model.instances().map((i) => i.inputs.subnetId)).toEqual(EXISTING.existingPrivateSubnetIds);
        expect(model.ofType(T.alb)[0].inputs.subnets).toEqual(EXISTING.existingPublicSubnetIds);
        expect(model.ofType(T.targetGroup).map((g) => g.inputs.vpcId)).toEqual([EXISTING.existingVpcId, EXISTING.existingVpcId, EXISTING.existingVpcId]);
        expect(result.run.unknownCalls).toEqual([]);
    });

    it("starts the nodes without waiting for any network resource: the VPC's routes already exist", () => {
        for (const instance of model.instances()) {
            expect(instance.dependsOn.filter((d) => d.startsWith("wso2-network-"))).toEqual([]);
            expect(instance.dependsOn).toEqual(expect.arrayContaining(["wso2-secrets-secret-value", "wso2-node-identity-policy"]));
        }
    });
});

it("with vpcEndpoints, puts interface endpoints into the given private subnets and leaves the VPC's route tables alone", async () => {
    const result = await renderStack("dev", { outDir: tempRenderDir("existing-endpoints"), configOverrides: { ...EXISTING, vpcEndpoints: true } });
    const endpoints = new ProgramModel(result.resources).ofType(T.vpcEndpoint);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const e of endpoints) {
        expect(e.inputs).toMatchObject({ vpcId: EXISTING.existingVpcId, vpcEndpointType: "Interface", privateDnsEnabled: true, subnetIds: EXISTING.existingPrivateSubnetIds });
    }
    expect(result.run.unknownCalls).toEqual([]);
});

it("refuses private subnets that all sit in one zone", async () => {
    const oneZone = { ...EXISTING, existingPrivateSubnetIds: ["subnet-0000000000000002a", "subnet-0000000000000003a"] };
    await expect(renderStack("dev", { outDir: tempRenderDir("one-zone"), configOverrides: oneZone })).rejects.toThrow(
        /existingPrivateSubnetIds: all subnets are in eu-west-1a/,
    );
});
