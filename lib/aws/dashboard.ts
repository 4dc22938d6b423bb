import { AlarmGroup, AlarmRow, Comparison, isPercentile, metricsOf, MetricRef } from "./alarmTable";
import { LAST_BOOT_QUERY } from "./logQueries";

/**
 * The stack's CloudWatch dashboard, built from the alarm table: one graph per alarm with the alarm's
 * threshold drawn on it, grouped like the table, then the boot log's view of every node's last boot.
 * Returned as data; the component serialises it with JSON.stringify.
 */

const GRID_WIDTH = 24;
const GRAPH = { width: 8, height: 6 } as const;
const GROUP_ORDER: readonly AlarmGroup[] = ["load balancer", "nodes", "gateways", "database", "file system"];
const SYMBOL: Record<Comparison, string> = {
    GreaterThanThreshold: ">",
    GreaterThanOrEqualToThreshold: "≥",
    LessThanThreshold: "<",
    LessThanOrEqualToThreshold: "≤",
};

export interface DashboardOptions {
    readonly region: string;
    /** The nodes' log group (the boot log lives there). */
    readonly logGroupName: string;
    /** Heading of the dashboard, e.g. "WSO2 API-M wso2-apim-ha/prod". */
    readonly title: string;
}

interface Widget {
    readonly type: "metric" | "log" | "text";
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly properties: Record<string, unknown>;
}

/** The dashboard of a stack label ("<project>-<stack>"): CloudWatch allows letters, digits, "-" and "_" only. */
export function dashboardName(label: string): string {
    return label.replace(/[^A-Za-z0-9_-]+/g, "-").slice(0, 255);
}

export function dashboardUrl(region: string, name: string): string {
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${encodeURIComponent(name)}`;
}

/** How a row's threshold reads on its graph: "alarm when < 2 hosts". */
export function thresholdLabel(row: AlarmRow<string>): string {
    return `alarm when ${SYMBOL[row.comparison]} ${row.threshold} ${row.unit}`;
}

function metricLine(metric: MetricRef<string>, options: Record<string, unknown>): unknown[] {
    return [metric.namespace, metric.metricName, ...Object.entries(metric.dimensions).flat(), options];
}

/** The `metrics` array of a graph: the alarm's metric, or its expression over hidden inputs. */
export function graphMetrics(row: AlarmRow<string>): unknown[][] {
    if (row.metric.kind === "metric") return [metricLine(row.metric.metric, { stat: row.metric.statistic, label: row.metric.metric.metricName })];
    const inputs = metricsOf(row).map((m) => metricLine(m.metric, { id: m.id, stat: m.statistic, visible: false }));
    return [[{ expression: row.metric.expression, label: row.metric.label, id: "e1" }], ...inputs];
}

function graph(row: AlarmRow<string>, region: string, x: number, y: number): Widget {
    const stat = row.metric.kind === "metric" ? row.metric.statistic : undefined;
    return {
        type: "metric",
        x,
        y,
        ...GRAPH,
        properties: {
            title: row.title,
            region,
            view: "timeSeries",
            stacked: false,
            period: row.periodSeconds,
            ...(stat && !isPercentile(stat) ? { stat } : {}),
            metrics: graphMetrics(row),
            annotations: { horizontal: [{ label: thresholdLabel(row), value: row.threshold }] },
        },
    };
}

export function dashboardBody(rows: readonly AlarmRow<string>[], options: DashboardOptions): { widgets: Widget[] } {
    const widgets: Widget[] = [];
    let y = 0;
    const text = (markdown: string, height = 1) => {
        widgets.push({ type: "text", x: 0, y, width: GRID_WIDTH, height, properties: { markdown } });
        y += height;
    };

    text(`# ${options.title}\nEvery graph is one alarm's metric; the line is where it fires. The alarms notify the stack's SNS topic.`, 2);
    for (const group of GROUP_ORDER) {
        const members = rows.filter((r) => r.group === group);
        if (members.length === 0) continue;
        text(`## ${group[0].toUpperCase()}${group.slice(1)}`);
        members.forEach((row, i) => {
            const column = i % (GRID_WIDTH / GRAPH.width);
            if (i > 0 && column === 0) y += GRAPH.height;
            widgets.push(graph(row, options.region, column * GRAPH.width, y));
        });
        y += GRAPH.height;
    }
    text("## Boots\nThe last boot-script line of every node's instances: a boot that stopped shows its step and `FAILED: …`.");
    widgets.push({
        type: "log",
        x: 0,
        y,
        width: GRID_WIDTH,
        height: 6,
        properties: {
            title: "Last boot of each node",
            region: options.region,
            view: "table",
            query: `SOURCE '${options.logGroupName}' | ${LAST_BOOT_QUERY}`,
        },
    });
    return { widgets };
}
