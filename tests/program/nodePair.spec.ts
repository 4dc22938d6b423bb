import * as TOML from "@iarna/toml";
import type { RenderResult } from "../../scripts/render";
import { PORTS } from "../../lib/plan/ports";
import { bootLogStreamName, HEALTH_GATE_COMMAND } from "../../lib/aws/rollingGate";
import { ProgramModel, T, nodeIndex } from "./programModel";
import { renderOnce } from "../support/sharedRender";

/** The dev pair: both nodes serve, each knows its peer, nodes roll one at a time while the other serves. */
let result: RenderResult;
let model: ProgramModel;
const HOSTS = [1, 2].map((n) => `apim-${n}.apim.internal`);

beforeAll(async () => {
    ({ result, model } = await renderOnce("dev"));
});

describe("the pair", () => {
    it("registers both instances in every target group", () => {
        const ids = model.instances().map((i) => i.id!).sort();
        expect(ids).toHaveLength(2);
        for (const [host, headers] of [["api.dev.apim.example.com", {}], ["gw.dev.apim.example.com", {}], ["gw.dev.apim.example.com", { Upgrade: "websocket" }]] as const) {
            expect(model.route(host, PORTS.loadBalancerHttps, headers)?.instanceIds).toEqual(ids);
        }
        expect(model.route("gw.dev.apim.example.com", PORTS.loadBalancerHttps, { Upgrade: "websocket" })?.targetPort).toBe(PORTS.websocketWss);
    });

    it("spreads the nodes over the zones", () => {
        const zones = model.instances().map((i) => model.byId(T.subnet, i.inputs.subnetId).outputs.availabilityZone);
        expect(new Set(zones).size).toBe(2);
        expect(zones[0]).not.toBe(zones[1]);
    });

    it("gives every node a deployment.toml that duplicates events to its peer's broker and publishes to every traffic manager", () => {
        expect(result.nodes).toHaveLength(2);
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

    it("creates (and replaces) each node only once the previous node's rolling gate has passed", () => {
        expect(model.named(instanceName(1)).dependsOn.filter((d) => d.endsWith("-healthy"))).toEqual([]);
        expect(model.named(instanceName(2)).dependsOn).toContain(gateOf(1));
    });

    it("waits, per node, for its own instance in every target group while other targets serve, and re-runs when the instance is replaced", () => {
        const groupArns = model.ofType(T.targetGroup).map((g) => g.outputs.arn).sort();
        const logGroup = model.named("wso2-node-identity-logs").outputs.name;
        for (const instance of model.instances()) {
            const n = nodeIndex(instance);
            const gate = model.named(gateOf(n));
            expect(gate.type).toBe(T.gate);
            expect(gate.inputs.create).toBe(HEALTH_GATE_COMMAND);
            expect(gate.inputs.environment).toMatchObject({
                GATE_MODE: "rolling",
                INSTANCE_IDS: instance.id,
                LOG_GROUP_NAME: logGroup,
                BOOT_LOG_STREAMS: bootLogStreamName(`apim-${n}`, instance.id!),
            });
            expect(gate.inputs.environment.TARGET_GROUP_ARNS.split(" ").sort()).toEqual(groupArns);
            expect(Number(gate.inputs.environment.TIMEOUT_SECONDS)).toBeGreaterThan(0);
            expect(gate.inputs.triggers).toEqual([instance.id]);
            const ownAttachments = model.ofType(T.attachment).filter((a) => a.inputs.targetId === instance.id).map((a) => a.name);
            expect(ownAttachments).toHaveLength(3);
            expect(gate.dependsOn).toEqual(expect.arrayContaining(ownAttachments));
        }
    });

    it("ends `pulumi up` only when every node is healthy: a last gate waits for all nodes and re-runs when any is replaced", () => {
        const last = model.named("wso2-nodes-healthy");
        const instances = model.instances();
        expect(last.inputs.create).toBe(HEALTH_GATE_COMMAND);
        expect(last.inputs.environment.GATE_MODE).toBe("all");
        expect(last.inputs.environment.INSTANCE_IDS).toBe(instances.map((i) => i.id).join(" "));
        expect(last.inputs.environment.BOOT_LOG_STREAMS).toBe(instances.map((i, k) => bootLogStreamName(`apim-${k + 1}`, i.id!)).join(" "));
        expect(last.inputs.environment.TARGET_GROUP_ARNS.split(" ").sort()).toEqual(model.ofType(T.targetGroup).map((g) => g.outputs.arn).sort());
        expect(last.inputs.triggers).toEqual(instances.map((i) => i.id));
        const everyNode = model.resources.filter((r) => /^wso2-apim-\d+$/.test(r.parent ?? "")).map((r) => r.name);
        expect(everyNode).toEqual(expect.arrayContaining([1, 2].flatMap((n) => [instanceName(n), gateOf(n)])));
        expect([...last.dependsOn].sort()).toEqual(expect.arrayContaining(everyNode.sort()));
    });

    it("moves a node's private name to a new instance only once its rolling gate has passed, and makes no node wait for a name", () => {
        for (const instance of model.instances()) {
            const n = nodeIndex(instance);
            const record = model.named(`wso2-apim-${n}-dns`);
            expect(record.inputs).toMatchObject({ name: HOSTS[n - 1], type: "A", records: [instance.outputs.privateIp] });
            // the gate, which on a replacement waits for the new instance to serve (and on a first deploy returns at once)
            expect(record.dependsOn).toContain(gateOf(n));
            // so the gate must not wait for the name, nor must the next node
            expect(model.dependencyClosure(gateOf(n), () => true)).not.toContain(record.name);
            for (const other of model.instances()) expect(model.dependencyClosure(other.name, () => true)).not.toContain(record.name);
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

    /** Everything a node's instance waits for, and why; <z> is the number of the node's zone (its private subnet). */
    const BOOT_NEEDS: Readonly<Record<string, string>> = {
        "wso2-network-private-<z>": "its subnet (subnetId)",
        "wso2-network-private-<z>-default": "the subnet's default route through NAT: packages, the pack, AWS APIs",
        "wso2-network-private-<z>-rta": "puts that route table on the subnet; until then the subnet has no way out",
        "wso2-sg-node": "its security group (vpcSecurityGroupIds)",
        "wso2-sg-node-out-443-0-0-0-0-0": "HTTPS out: Secrets Manager, dnf, the downloads, CloudWatch Logs",
        "wso2-sg-node-out-2049-file-system": "NFS out to the file system (share step)",
        "wso2-sg-file-system-in-2049-node": "NFS into the file system (share step)",
        "wso2-node-identity-profile": "its instance profile (iamInstanceProfile)",
        "wso2-kms-key": "the stack key its root volume is encrypted with (rootBlockDevice.kmsKeyId)",
        "wso2-node-identity-policy": "the role's rights to fetch the boot script, read the secret, mount the share and write logs",
        "wso2-boot-script": "the boot script's object, which the loader fetches first (its bucket and key are in the user data)",
        "wso2-boot-policy": "the boot bucket's TLS-only policy, in place before the first read",
        "wso2-node-identity-logs": "the log group its boot log goes to (user data)",
        "wso2-secrets-secret": "the secret's ARN (user data)",
        "wso2-secrets-secret-value": "the secret's value, read by the first boot step",
        "wso2-efs-fs": "the file system id (user data)",
        "wso2-efs-access-point": "the access point id (user data)",
        "wso2-efs-mount-1": "a mount target in every zone before any node mounts (comes with the access point id)",
        "wso2-efs-mount-2": "a mount target in every zone before any node mounts (comes with the access point id)",
        "wso2-efs-policy": "the TLS-only file system policy before the first mount (comes with the access point id)",
    };

    it("makes each node's instance wait for exactly what its boot uses, and the previous node's gate", () => {
        for (const instance of model.instances()) {
            const n = nodeIndex(instance);
            const zone = model.byId(T.subnet, instance.inputs.subnetId).name.replace(/^wso2-network-private-/, "");
            const expected = Object.keys(BOOT_NEEDS).map((name) => name.replace("<z>", zone));
            // The previous node's rolling gate: one node at a time while others serve.
            if (n > 1) expected.push(gateOf(n - 1));
            expect([...instance.dependsOn].sort()).toEqual(expected.sort());
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
