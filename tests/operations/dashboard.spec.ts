import { alarmTable, AlarmTableInput, metricsOf } from "../../lib/aws/alarmTable";
import { dashboardBody, dashboardName, dashboardUrl, thresholdLabel } from "../../lib/aws/dashboard";
import { TARGET_GROUPS } from "../../lib/aws/loadBalancerRouting";
import { LAST_BOOT_QUERY } from "../../lib/aws/logQueries";

const input: AlarmTableInput<string> = {
    nodes: [1, 2].map((n) => ({ name: `apim-${n}`, instanceId: `i-0node${n}` })),
    loadBalancerArnSuffix: "app/wso2-lb/0lb",
    targetGroups: TARGET_GROUPS.map((g) => ({ key: g.key, arnSuffix: `targetgroup/${g.key}/0tg` })),
    database: { identifier: "wso2-apim-ha-dev-db", allocatedStorageGb: 20, maxConnections: 350 },
    fileSystem: { id: "fs-0shared", throughputMode: "bursting" },
    nodeMetricsNamespace: "wso2-apim-ha/dev/nodes",
};
const rows = alarmTable(input);
const options = { region: "eu-west-1", logGroupName: "/wso2-apim-ha/dev/nodes", title: "WSO2 API Manager wso2-apim-ha-dev" };
// What CloudWatch receives: the serialised body, read back.
const body = JSON.parse(JSON.stringify(dashboardBody(rows, options)));
const graphs = body.widgets.filter((w: any) => w.type === "metric");

describe("the dashboard", () => {
    it("graphs every alarm once, with the alarm's threshold drawn where it fires", () => {
        expect(graphs.map((w: any) => w.properties.title).sort()).toEqual(rows.map((r) => r.title).sort());
        for (const row of rows) {
            const widget = graphs.find((w: any) => w.properties.title === row.title);
            expect(widget.properties.annotations.horizontal).toEqual([{ label: thresholdLabel(row), value: row.threshold }]);
            expect(widget.properties.region).toBe("eu-west-1");
            expect(widget.properties.period).toBe(row.periodSeconds);
        }
        expect(thresholdLabel(rows.find((r) => r.key === "portal-healthy-hosts")!)).toBe("alarm when < 2 hosts");
    });

    it("plots the same metrics, dimensions and statistics the alarms evaluate", () => {
        for (const row of rows) {
            const metrics: any[][] = graphs.find((w: any) => w.properties.title === row.title).properties.metrics;
            const plotted = metrics.filter((line) => typeof line[0] === "string");
            expect(plotted.map((line) => [line[0], line[1], Object.fromEntries(chunk(line.slice(2, -1))), line[line.length - 1].stat])).toEqual(
                metricsOf(row).map((m) => [m.metric.namespace, m.metric.metricName, m.metric.dimensions, m.statistic]),
            );
            if (row.metric.kind === "math") {
                expect(metrics[0]).toEqual([{ expression: row.metric.expression, label: row.metric.label, id: "e1" }]);
                // The inputs are computed but only the expression is drawn, like the alarm's returnData.
                expect(plotted.map((line) => line[line.length - 1])).toEqual(metricsOf(row).map((m) => expect.objectContaining({ id: m.id, visible: false })));
            }
        }
    });

    it("lays the widgets out on CloudWatch's 24-column grid without overlaps", () => {
        const cells = new Set<string>();
        for (const w of body.widgets) {
            expect(w.x + w.width).toBeLessThanOrEqual(24);
            for (let x = w.x; x < w.x + w.width; x++) {
                for (let y = w.y; y < w.y + w.height; y++) {
                    expect(cells.has(`${x},${y}`)).toBe(false);
                    cells.add(`${x},${y}`);
                }
            }
        }
    });

    it("ends with the boot log's last line of each node's boots, from the node log group", () => {
        const log = body.widgets[body.widgets.length - 1];
        expect(log).toMatchObject({ type: "log", width: 24, properties: { region: "eu-west-1", view: "table" } });
        expect(log.properties.query).toBe(`SOURCE '/wso2-apim-ha/dev/nodes' | ${LAST_BOOT_QUERY}`);
    });

    it("is named after the stack, with only the characters CloudWatch allows, and linked in the console", () => {
        expect(dashboardName("wso2-apim-ha-prod")).toBe("wso2-apim-ha-prod");
        expect(dashboardName("wso2-apim-ha-staging.eu 1")).toBe("wso2-apim-ha-staging-eu-1");
        expect(dashboardUrl("eu-west-1", "wso2-apim-ha-prod")).toBe(
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/wso2-apim-ha-prod",
        );
    });
});

function chunk(flat: unknown[]): [unknown, unknown][] {
    const pairs: [unknown, unknown][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
    return pairs;
}

describe("the dashboard of a stack with gateways", () => {
    const withGateways = alarmTable({ ...input, gateways: { autoScalingGroupName: "wso2-gateways-group", minSize: 2, maxSize: 6, targetGroupKeys: ["gateway", "websocket"] } });
    const widgets = JSON.parse(JSON.stringify(dashboardBody(withGateways, options))).widgets;

    it("graphs the gateways' alarms under their own heading, after the nodes'", () => {
        const headings = widgets.filter((w: any) => w.type === "text").map((w: any) => w.properties.markdown.split("\n")[0]);
        expect(headings.indexOf("## Gateways")).toBe(headings.indexOf("## Nodes") + 1);
        const titles = widgets.filter((w: any) => w.type === "metric").map((w: any) => w.properties.title);
        for (const row of withGateways.filter((r) => r.group === "gateways")) expect(titles).toContain(row.title);
        expect(titles).toHaveLength(withGateways.length);
    });
});
