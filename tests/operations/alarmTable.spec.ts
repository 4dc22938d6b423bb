import { AlarmRow, AlarmTableInput, alarmTable, JVM_PID_COUNT_METRIC, metricsOf, MIN_REQUESTS_PER_MINUTE } from "../../lib/aws/alarmTable";
import { TARGET_GROUPS } from "../../lib/aws/loadBalancerRouting";
import { maxConnectionsFor } from "../../lib/plan/databaseParameters";
import { planCluster } from "../../lib/plan/clusterPlan";
import { cloudWatchAgentConfig, nodeMetricsNamespace } from "../../lib/node/logShipping";
import { sampleConfig } from "../support/sampleConfig";

/** A stack's alarm table from its shape: every id is distinct, so a test can tell whose resource a dimension names. */
function input(nodeCount: number, overrides: Partial<AlarmTableInput<string>> = {}): AlarmTableInput<string> {
    return {
        nodes: Array.from({ length: nodeCount }, (_, i) => ({ name: `apim-${i + 1}`, instanceId: `i-0node${i + 1}` })),
        loadBalancerArnSuffix: "app/wso2-lb/0lb",
        targetGroups: TARGET_GROUPS.map((g) => ({ key: g.key, arnSuffix: `targetgroup/${g.key}/0tg` })),
        database: { identifier: "wso2-apim-ha-prod-db", allocatedStorageGb: 100, maxConnections: maxConnectionsFor(nodeCount) },
        fileSystem: { id: "fs-0shared", throughputMode: "elastic" },
        nodeMetricsNamespace: "wso2-apim-ha/prod/nodes",
        ...overrides,
    };
}

const ids = (i: AlarmTableInput<string>) =>
    new Set([...i.nodes.map((n) => n.instanceId), i.loadBalancerArnSuffix, ...i.targetGroups.map((g) => g.arnSuffix), i.database.identifier, i.fileSystem.id]);
const dimensionValues = (row: AlarmRow<string>) => metricsOf(row).flatMap((m) => Object.values(m.metric.dimensions));
const byKey = (rows: AlarmRow<string>[], key: string) => {
    const row = rows.find((r) => r.key === key);
    if (!row) throw new Error(`no alarm ${key}`);
    return row;
};

describe("the alarm table", () => {
    const three = input(3);
    const rows = alarmTable(three);

    it("covers the load balancer, every node, the database and the file system, each key once", () => {
        expect(new Set(rows.map((r) => r.group))).toEqual(new Set(["load balancer", "nodes", "database", "file system"]));
        expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
        for (const node of three.nodes) {
            expect(rows.filter((r) => r.node === node.name).map((r) => r.key.slice(node.name.length + 1)).sort()).toEqual(
                ["cpu", "instance-status-check", "jvm-not-running", "memory", "root-disk", "system-status-check"],
            );
        }
    });

    it("names only this stack's resources in every dimension, and each node's alarms only that node", () => {
        const own = ids(three);
        for (const row of rows) {
            const values = dimensionValues(row);
            expect(values.length).toBeGreaterThan(0);
            expect({ key: row.key, foreign: values.filter((v) => !own.has(v)) }).toEqual({ key: row.key, foreign: [] });
            if (row.node) {
                const instance = three.nodes.find((n) => n.name === row.node)!.instanceId;
                expect({ key: row.key, values }).toEqual({ key: row.key, values: [instance] });
            }
        }
    });

    it("wants every node healthy in every target group: with 3 nodes, fewer than 3 healthy hosts fires", () => {
        for (const group of three.targetGroups) {
            const row = byKey(rows, `${group.key}-healthy-hosts`);
            expect(row).toMatchObject({ comparison: "LessThanThreshold", threshold: 3, treatMissingData: "breaching" });
            expect(row.metric).toMatchObject({ kind: "metric", statistic: "Minimum", metric: { metricName: "HealthyHostCount", dimensions: { TargetGroup: group.arnSuffix, LoadBalancer: three.loadBalancerArnSuffix } } });
        }
        expect(byKey(alarmTable(input(2)), "portal-healthy-hosts").threshold).toBe(2);
    });

    it("fires on any unhealthy host in any target group after 5 minutes", () => {
        const row = byKey(rows, "unhealthy-hosts");
        expect(row.metric.kind).toBe("math");
        expect(metricsOf(row).map((m) => m.metric.dimensions.TargetGroup).sort()).toEqual(three.targetGroups.map((g) => g.arnSuffix).sort());
        expect(row).toMatchObject({ comparison: "GreaterThanOrEqualToThreshold", threshold: 1, periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 5 });
    });

    it("judges 5xx as a share of requests, for the load balancer's own and the targets' errors, ignoring near-idle minutes", () => {
        for (const [key, errors] of [["load-balancer-5xx-rate", "HTTPCode_ELB_5XX_Count"], ["target-5xx-rate", "HTTPCode_Target_5XX_Count"]]) {
            const row = byKey(rows, key);
            if (row.metric.kind !== "math") throw new Error("expected metric math");
            expect(row.metric.inputs.m1.metric.metricName).toBe(errors);
            expect(row.metric.inputs.m2.metric.metricName).toBe("RequestCount");
            expect(row.metric.expression).toBe(`IF(m2 >= ${MIN_REQUESTS_PER_MINUTE}, 100 * FILL(m1, 0) / m2, 0)`);
            expect(row).toMatchObject({ unit: "%", treatMissingData: "notBreaching" });
        }
    });

    it("watches the gateway's p99 response time as an extended statistic", () => {
        const row = byKey(rows, "gateway-p99-response-time");
        expect(row.metric).toMatchObject({ kind: "metric", statistic: "p99", metric: { metricName: "TargetResponseTime", dimensions: { TargetGroup: "targetgroup/gateway/0tg" } } });
    });

    it("recovers every node on a failed system status check, and no alarm does anything else to an instance", () => {
        const recovering = rows.filter((r) => r.recoverInstance);
        expect(recovering.map((r) => r.node)).toEqual(three.nodes.map((n) => n.name));
        for (const row of recovering) expect(row.metric).toMatchObject({ metric: { namespace: "AWS/EC2", metricName: "StatusCheckFailed_System" } });
    });

    it("derives the database thresholds from the allocated storage and the connection budget the program sets", () => {
        expect(byKey(rows, "database-connections").threshold).toBe(Math.floor(0.8 * maxConnectionsFor(3)));
        expect(byKey(rows, "database-free-storage").threshold).toBe(10 * 1024 ** 3);
        const bigger = alarmTable(input(8, { database: { identifier: "db", allocatedStorageGb: 500, maxConnections: maxConnectionsFor(8) } }));
        expect(byKey(bigger, "database-connections").threshold).toBe(Math.floor(0.8 * maxConnectionsFor(8)));
        expect(byKey(bigger, "database-connections").threshold).toBeGreaterThan(byKey(rows, "database-connections").threshold);
        expect(byKey(bigger, "database-free-storage").threshold).toBe(50 * 1024 ** 3);
    });

    it("watches burst credits only on a bursting file system; elastic throughput has none", () => {
        expect(rows.map((r) => r.key)).not.toContain("file-system-burst-credits");
        expect(rows.map((r) => r.key)).toContain("file-system-io-limit");
        const bursting = alarmTable(input(2, { fileSystem: { id: "fs-0shared", throughputMode: "bursting" } }));
        expect(byKey(bursting, "file-system-burst-credits").metric).toMatchObject({ metric: { namespace: "AWS/EFS", metricName: "BurstCreditBalance", dimensions: { FileSystemId: "fs-0shared" } } });
    });

    it("counts a silent JVM metric as the JVM being down", () => {
        for (const node of three.nodes) {
            expect(byKey(rows, `${node.name}-jvm-not-running`)).toMatchObject({ comparison: "LessThanThreshold", threshold: 1, treatMissingData: "breaching" });
        }
    });

    it("refuses a table without nodes", () => {
        expect(() => alarmTable({ ...input(2), nodes: [] })).toThrow(/at least one node/);
    });
});

describe("the node metrics the alarms read", () => {
    const plan = planCluster(sampleConfig());
    const logGroupName = "/wso2-apim-ha/prod/nodes";
    const agent = cloudWatchAgentConfig(plan, plan.nodes[0], logGroupName) as any;
    const rows = alarmTable(input(2, { nodeMetricsNamespace: nodeMetricsNamespace(logGroupName) }));
    const agentRows = rows.filter((r) => r.metric.kind === "metric" && r.metric.metric.namespace === nodeMetricsNamespace(logGroupName));

    it("are published by the node's CloudWatch agent into the namespace the alarms read, per instance", () => {
        expect(agent.metrics.namespace).toBe("wso2-apim-ha/prod/nodes");
        expect(agent.metrics.append_dimensions).toEqual({ InstanceId: "${aws:InstanceId}" });
        // Disk and process metrics carry more dimensions; the roll-up publishes them by instance alone too.
        expect(agent.metrics.aggregation_dimensions).toEqual([["InstanceId"]]);
        const names = agentRows.map((r) => (r.metric.kind === "metric" ? r.metric.metric.metricName : ""));
        expect(new Set(names)).toEqual(new Set(["mem_used_percent", "disk_used_percent", JVM_PID_COUNT_METRIC]));
        for (const row of agentRows) expect(Object.keys(metricsOf(row)[0].metric.dimensions)).toEqual(["InstanceId"]);
    });

    it("measure memory, the root file system and the API-M JVM's process count", () => {
        const collected = agent.metrics.metrics_collected;
        expect(collected.mem.measurement).toEqual(["mem_used_percent"]);
        expect(collected.disk).toMatchObject({ resources: ["/"], measurement: ["disk_used_percent"], drop_device: true });
        expect(collected.procstat).toHaveLength(1);
        expect(collected.procstat[0].measurement).toEqual(["pid_count"]);
        // The agent matches the pattern against whole command lines (RE2; this one reads the same in JS).
        const pattern = new RegExp(collected.procstat[0].pattern);
        const server = "/usr/lib/jvm/java-21-amazon-corretto/bin/java -Xms4096m -Xmx4096m -Dcarbon.home=/opt/wso2am -Dcarbon.config.dir.path=/opt/wso2am/repository/conf org.wso2.carbon.bootstrap.Bootstrap";
        expect(pattern.test(server)).toBe(true);
        for (const other of ["/bin/sh /opt/wso2am/bin/api-manager.sh", "java -cp /opt/wso2am/bin/* org.wso2.carbon.apimgt.encryption.key.generator.EncryptionKeyGenerator /opt/wso2am/repository/conf", "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent"]) {
            expect(pattern.test(other)).toBe(false);
        }
    });
});

describe("the gateways' alarms", () => {
    const ASG = "wso2-gateways-group-0asg";
    const withGateways = (minSize: number, maxSize: number) =>
        input(2, { gateways: { autoScalingGroupName: ASG, minSize, maxSize, targetGroupKeys: ["gateway", "websocket"] } });
    const rows = alarmTable(withGateways(2, 6));
    const inService = { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances", dimensions: { AutoScalingGroupName: ASG } };

    it("fire when fewer gateways than gatewayMinSize are in service for 5 minutes, silence counting as none", () => {
        expect(byKey(rows, "gateways-in-service")).toMatchObject({
            group: "gateways",
            metric: { kind: "metric", metric: inService, statistic: "Minimum" },
            comparison: "LessThanThreshold",
            threshold: 2,
            periodSeconds: 60,
            evaluationPeriods: 5,
            datapointsToAlarm: 5,
            treatMissingData: "breaching",
            firstAction: expect.stringContaining("describe-scaling-activities"),
        });
    });

    it("fire when the group has been at gatewayMaxSize for 15 minutes, and not at all for a group that cannot scale", () => {
        const row = byKey(rows, "gateways-at-maximum");
        expect(row).toMatchObject({
            group: "gateways",
            metric: { kind: "metric", metric: inService, statistic: "Minimum" },
            comparison: "GreaterThanOrEqualToThreshold",
            threshold: 6,
            treatMissingData: "notBreaching",
            firstAction: expect.stringContaining("gatewayMaxSize"),
        });
        expect(row.periodSeconds * row.datapointsToAlarm).toBe(15 * 60);
        expect(alarmTable(withGateways(3, 3)).map((r) => r.key)).not.toContain("gateways-at-maximum");
    });

    it("want gatewayMinSize healthy gateways behind the groups the gateways serve, and still every node behind the portal", () => {
        const three = alarmTable(withGateways(3, 6));
        for (const key of ["gateway", "websocket"]) expect(byKey(three, `${key}-healthy-hosts`)).toMatchObject({ threshold: 3, title: expect.stringMatching(/gateways/) });
        expect(byKey(three, "portal-healthy-hosts")).toMatchObject({ threshold: 2, title: expect.stringMatching(/nodes/) });
    });

    it("name only this stack's own group in their dimensions", () => {
        const own = new Set([...ids(withGateways(2, 6)), ASG]);
        for (const row of rows) expect({ key: row.key, foreign: dimensionValues(row).filter((v) => !own.has(v)) }).toEqual({ key: row.key, foreign: [] });
    });

    it("add nothing, and change no row, without gateways", () => {
        const pairOnly = alarmTable(input(2));
        expect(pairOnly.filter((r) => r.group === "gateways" || r.firstAction !== undefined)).toEqual([]);
        expect(rows.filter((r) => r.group !== "gateways" && !["gateway-healthy-hosts", "websocket-healthy-hosts"].includes(r.key))).toEqual(
            pairOnly.filter((r) => !["gateway-healthy-hosts", "websocket-healthy-hosts"].includes(r.key)),
        );
    });
});
