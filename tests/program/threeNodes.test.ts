import * as TOML from "@iarna/toml";
import { renderStack, RenderResult } from "../../scripts/render";
import { PORTS } from "../../lib/plan/ports";
import { ProgramModel, T, nodeIndex, tempRenderDir } from "./programModel";

/** A three-node dev stack: every node serves, every node knows both peers, and nodes roll one at a time. */
let result: RenderResult;
let model: ProgramModel;
const HOSTS = [1, 2, 3].map((n) => `apim-${n}.apim.internal`);

beforeAll(async () => {
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    result = await renderStack("dev", { outDir: tempRenderDir("three"), configOverrides: { nodeCount: 3 } });
    model = new ProgramModel(result.resources);
});

afterAll(() => jest.restoreAllMocks());

describe("three nodes", () => {
    it("registers all three instances in every target group", () => {
        const ids = model.instances().map((i) => i.id!).sort();
        expect(ids).toHaveLength(3);
        for (const [host, port] of [["api.dev.apim.example.com", 443], ["gw.dev.apim.example.com", 443], ["gw.dev.apim.example.com", PORTS.websocketWss]] as const) {
            expect(model.route(host, port)?.instanceIds).toEqual(ids);
        }
    });

    it("spreads the nodes over the zones", () => {
        const zones = model.instances().map((i) => model.byId(T.subnet, i.inputs.subnetId).outputs.availabilityZone);
        expect(new Set(zones).size).toBe(2);
        expect(zones[0]).not.toBe(zones[1]);
    });

    it("gives every node a deployment.toml that publishes to both peers' brokers and to every traffic manager", () => {
        expect(result.nodes).toHaveLength(3);
        for (const node of result.nodes) {
            const file = node.files.find((f) => f.path.endsWith("/deployment.toml"));
            const toml = TOML.parse(file!.content.toString("utf8")) as any;
            const peers = HOSTS.filter((_, i) => i + 1 !== node.index);
            expect([...toml.apim.throttling.event_duplicate_url].sort()).toEqual(peers.map((h) => `tcp://${h}:${PORTS.jmsBrokerSsl}`));
            const trafficManagers = toml.apim.throttling.url_group.flatMap((g: { traffic_manager_urls: string[] }) => g.traffic_manager_urls);
            expect(trafficManagers.sort()).toEqual(HOSTS.map((h) => `ssl://${h}:${PORTS.throttleBinarySsl}`));
        }
    });
});

describe("rolling replacement", () => {
    const gateOf = (n: number) => `wso2-apim-${n}-healthy`;
    const instanceName = (n: number) => `wso2-apim-${n}-instance`;

    it("starts (and replaces) each node only after the previous node is healthy", () => {
        expect(model.named(instanceName(1)).dependsOn.filter((d) => d.endsWith("-healthy"))).toEqual([]);
        expect(model.named(instanceName(2)).dependsOn).toContain(gateOf(1));
        expect(model.named(instanceName(3)).dependsOn).toContain(gateOf(2));
        expect(model.named(instanceName(3)).dependsOn).not.toContain(gateOf(1));
    });

    it("waits, per node, for its own instance in every target group, and re-runs when the instance is replaced", () => {
        const groupArns = model.ofType(T.targetGroup).map((g) => g.outputs.arn).sort();
        for (const instance of model.instances()) {
            const n = nodeIndex(instance);
            const gate = model.named(gateOf(n));
            expect(gate.type).toBe(T.gate);
            expect(gate.inputs.create).toBe("bash scripts/wait-for-healthy-targets.sh");
            expect(gate.inputs.environment.INSTANCE_ID).toBe(instance.id);
            expect(gate.inputs.environment.TARGET_GROUP_ARNS.split(" ").sort()).toEqual(groupArns);
            expect(Number(gate.inputs.environment.TIMEOUT_SECONDS)).toBeGreaterThan(0);
            expect(gate.inputs.triggers).toEqual([instance.id]);
            const ownAttachments = model.ofType(T.attachment).filter((a) => a.inputs.targetId === instance.id).map((a) => a.name);
            expect(ownAttachments).toHaveLength(3);
            expect(gate.dependsOn).toEqual(expect.arrayContaining(ownAttachments));
        }
    });

    it("replaces a node, instead of restarting it, when its user data changes", () => {
        for (const instance of model.instances()) expect(instance.inputs.userDataReplaceOnChange).toBe(true);
    });

    it("never makes a node wait for another node's instance except through a rolling gate", () => {
        const instanceNames = model.instances().map((i) => i.name);
        for (const name of instanceNames) {
            expect(model.named(name).dependsOn.filter((d) => instanceNames.includes(d))).toEqual([]);
            const withoutGates = model.dependencyClosure(name, (r) => r.type !== T.gate);
            expect([...withoutGates].filter((d) => instanceNames.includes(d))).toEqual([]);
        }
    });

    it("never makes a node wait for the database, nor tells it the database endpoint", () => {
        const database = model.ofType(T.rds)[0];
        const databaseTier = model.resources.filter((r) => r.parent === database.parent).map((r) => r.name);
        for (const instance of model.instances()) {
            const closure = model.dependencyClosure(instance.name);
            expect([...closure].filter((d) => databaseTier.includes(d))).toEqual([]);
            expect(JSON.stringify(instance.inputs)).not.toContain(database.outputs.address);
        }
        for (const node of result.nodes) {
            expect(node.cloudConfig).not.toContain(database.outputs.address);
            expect(node.cloudConfig).toContain("db.apim.internal");
        }
    });
});
