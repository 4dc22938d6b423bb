import * as aws from "../../lib/aws/services";
import { installOfflineMocks, OfflineRun, OFFLINE_REGION, RecordedResource } from "../../lib/offline/offlineMocks";
import { alarmTable, AlarmTableInput } from "../../lib/aws/alarmTable";
import { TARGET_GROUPS } from "../../lib/aws/loadBalancerRouting";
import { BOOT_FAILURES_QUERY } from "../../lib/aws/logQueries";
import { one, ofType, plain, resolve, settle, tree } from "../support/componentRun";
import type { Operations as OperationsClass } from "../../components/operations";

const T = {
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    query: "aws:cloudwatch/queryDefinition:QueryDefinition",
};
const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0stack-key";
const LOG_GROUP = "/wso2-apim-ha/prod/nodes";
const alarms: AlarmTableInput<string> = {
    nodes: [1, 2].map((n) => ({ name: `apim-${n}`, instanceId: `i-0node${n}` })),
    loadBalancerArnSuffix: "app/wso2-lb/0lb",
    targetGroups: TARGET_GROUPS.map((g) => ({ key: g.key, arnSuffix: `targetgroup/${g.key}/0tg` })),
    database: { identifier: "wso2-apim-ha-prod-db", allocatedStorageGb: 100, maxConnections: 350 },
    fileSystem: { id: "fs-0shared", throughputMode: "elastic" },
    nodeMetricsNamespace: "wso2-apim-ha/prod/nodes",
};

interface Deployed {
    ops: OperationsClass;
    resources: RecordedResource[];
    gates: string[];
}

let run: OfflineRun;
const deployed: Record<string, Deployed> = {};

async function deploy(name: string, alarmEmail?: string): Promise<void> {
    const { Operations } = require("../../components/operations") as { Operations: typeof OperationsClass };
    // Any resource stands in for the nodes' health gates.
    const gates = alarms.nodes.map((n) => new aws.sns.Topic(`${name}-gate-${n.name}`));
    const ops = new Operations(name, { alarms, armAfter: gates, kmsKeyArn: KMS_KEY, alarmEmail, region: OFFLINE_REGION, logGroupName: LOG_GROUP, label: `wso2-apim-ha-${name}` });
    await Promise.all([resolve(ops.topicArn), resolve(ops.dashboardUrl)]);
    await settle();
    deployed[name] = { ops, resources: tree(run, name), gates: alarms.nodes.map((n) => `${name}-gate-${n.name}`) };
}

beforeAll(async () => {
    run = installOfflineMocks();
    await deploy("prod", "oncall@example.com");
    await deploy("dev");
});

const rows = alarmTable(alarms);
const alarmsOf = (name: string) => ofType(deployed[name].resources, T.alarm).map((a) => ({ ...a, inputs: plain(a.inputs) }));

describe("operations", () => {
    it("encrypts the alarm topic with the stack's own KMS key", () => {
        expect(one(deployed.prod.resources, T.topic).inputs.kmsMasterKeyId).toBe(KMS_KEY);
    });

    it("creates one alarm per table row, each notifying the topic when it fires and when it clears", () => {
        const topicArn = one(deployed.prod.resources, T.topic).outputs.arn;
        const created = alarmsOf("prod");
        expect(created.map((a) => a.inputs.name).sort()).toEqual(rows.map((r) => `wso2-apim-ha-prod-${r.key}`).sort());
        for (const alarm of created) {
            expect(alarm.inputs.alarmActions).toContain(topicArn);
            expect(alarm.inputs.okActions).toEqual([topicArn]);
            expect(alarm.inputs.actionsEnabled).toBe(true);
        }
    });

    it("recovers each node's instance on a failed system status check, and only there", () => {
        const recover = `arn:aws:automate:${OFFLINE_REGION}:ec2:recover`;
        const recovering = alarmsOf("prod").filter((a) => a.inputs.alarmActions.includes(recover));
        expect(recovering.map((a) => a.inputs.dimensions.InstanceId).sort()).toEqual(["i-0node1", "i-0node2"]);
        for (const alarm of recovering) expect(alarm.inputs).toMatchObject({ namespace: "AWS/EC2", metricName: "StatusCheckFailed_System" });
    });

    it("passes each row's metric, threshold and evaluation to its alarm: plain statistic, percentile or metric math", () => {
        const byName = new Map(alarmsOf("prod").map((a) => [a.inputs.name, a.inputs]));
        for (const row of rows) {
            const inputs = byName.get(`wso2-apim-ha-prod-${row.key}`)!;
            expect(inputs).toMatchObject({
                comparisonOperator: row.comparison,
                threshold: row.threshold,
                evaluationPeriods: row.evaluationPeriods,
                datapointsToAlarm: row.datapointsToAlarm,
                treatMissingData: row.treatMissingData,
            });
            if (row.metric.kind === "math") {
                expect(inputs.metricName).toBeUndefined();
                expect(inputs.metricQueries[0]).toEqual({ id: "e1", expression: row.metric.expression, label: row.metric.label, returnData: true });
                for (const [id, m] of Object.entries(row.metric.inputs)) {
                    expect(inputs.metricQueries).toContainEqual({
                        id,
                        returnData: false,
                        metric: { namespace: m.metric.namespace, metricName: m.metric.metricName, dimensions: m.metric.dimensions, period: row.periodSeconds, stat: m.statistic },
                    });
                }
            } else {
                expect(inputs).toMatchObject({ namespace: row.metric.metric.namespace, metricName: row.metric.metric.metricName, dimensions: row.metric.metric.dimensions, period: row.periodSeconds });
                if (row.metric.statistic === "p99") expect([inputs.extendedStatistic, inputs.statistic]).toEqual(["p99", undefined]);
                else expect([inputs.statistic, inputs.extendedStatistic]).toEqual([row.metric.statistic, undefined]);
            }
        }
    });

    it("arms every alarm only once every node serves", () => {
        const { gates } = deployed.prod;
        for (const alarm of alarmsOf("prod")) {
            expect([alarm.inputs.name, alarm.dependsOn.filter((d) => gates.includes(d)).sort()]).toEqual([alarm.inputs.name, [...gates].sort()]);
        }
    });

    it("subscribes the alarm email when one is configured, and nobody otherwise", () => {
        expect(one(deployed.prod.resources, T.subscription).inputs).toMatchObject({
            topic: one(deployed.prod.resources, T.topic).outputs.arn,
            protocol: "email",
            endpoint: "oncall@example.com",
        });
        expect(ofType(deployed.dev.resources, T.subscription)).toEqual([]);
    });

    it("builds the dashboard as valid JSON with a graph for every alarm, and links it", async () => {
        const dashboard = one(deployed.prod.resources, T.dashboard);
        expect(dashboard.inputs.dashboardName).toBe("wso2-apim-ha-prod");
        const body = JSON.parse(dashboard.inputs.dashboardBody);
        const titles = body.widgets.filter((w: any) => w.type === "metric").map((w: any) => w.properties.title);
        expect(titles.sort()).toEqual(rows.map((r) => r.title).sort());
        expect(body.widgets.some((w: any) => w.type === "log" && w.properties.query.startsWith(`SOURCE '${LOG_GROUP}' |`))).toBe(true);
        expect(await resolve(deployed.prod.ops.dashboardUrl)).toBe(
            `https://${OFFLINE_REGION}.console.aws.amazon.com/cloudwatch/home?region=${OFFLINE_REGION}#dashboards/dashboard/wso2-apim-ha-prod`,
        );
    });

    it("saves the Logs Insights queries over the node log group, in the stack's folder", () => {
        const queries = ofType(deployed.prod.resources, T.query);
        expect(queries).toHaveLength(3);
        for (const q of queries) {
            expect(q.inputs.logGroupNames).toEqual([LOG_GROUP]);
            expect(q.inputs.name.startsWith("wso2-apim-ha-prod/")).toBe(true);
        }
        expect(queries.map((q) => q.inputs.queryString)).toContain(BOOT_FAILURES_QUERY);
    });

    it("refuses an alarm email that is not an address, before creating anything", () => {
        const { Operations } = require("../../components/operations") as { Operations: typeof OperationsClass };
        const before = run.resources.length;
        expect(
            () => new Operations("bad", { alarms, kmsKeyArn: KMS_KEY, alarmEmail: "oncall", region: OFFLINE_REGION, logGroupName: LOG_GROUP, label: "x" }),
        ).toThrow(/alarmEmail must be an email address/);
        expect(run.resources.length).toBe(before);
    });

    it("asks the mocks nothing they do not know", () => {
        expect(run.unknownCalls).toEqual([]);
    });
});
