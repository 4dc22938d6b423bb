import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { AlarmRow, AlarmTableInput, alarmTable, isPercentile, metricsOf } from "../lib/aws/alarmTable";
import { dashboardBody, dashboardName, dashboardUrl } from "../lib/aws/dashboard";
import { savedQueries } from "../lib/aws/logQueries";

export interface OperationsArgs {
    /** What the alarms watch: node instances, load balancer, target groups, gateways, database, file system (lib/aws/alarmTable.ts). */
    readonly alarms: AlarmTableInput<pulumi.Input<string>>;
    /**
     * What completes once every node (and gateway) serves (the health gates): the alarms are created, or
     * moved to replaced instances, only after it, so a first deploy or a node roll pages nobody for a node
     * that is still booting.
     */
    readonly armAfter?: readonly pulumi.Resource[];
    /** The stack's customer-managed KMS key; its policy lets CloudWatch alarms use it (lib/aws/stackKeyPolicy.ts). */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Subscribed to the topic when given (AWS mails a confirmation link first). */
    readonly alarmEmail?: string;
    readonly region: pulumi.Input<string>;
    /** The nodes' log group: the saved queries and the dashboard's boot view read it. */
    readonly logGroupName: pulumi.Input<string>;
    /** "<project>-<stack>": alarm and dashboard names start with it, the saved queries sit in a folder of that name. */
    readonly label: string;
}

/**
 * How a stack is operated: every alarm of lib/aws/alarmTable.ts notifying one KMS-encrypted SNS topic
 * when it fires and when it clears (the system status check also recovers its instance), a dashboard of
 * the same rows, and saved Logs Insights queries.
 */
export class Operations extends pulumi.ComponentResource {
    readonly topicArn: pulumi.Output<string>;
    readonly dashboardUrl: pulumi.Output<string>;

    constructor(name: string, args: OperationsArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.alarmEmail)) {
            throw new Error(`Operations: alarmEmail must be an email address, got "${args.alarmEmail}"`);
        }
        const rows = alarmTable(args.alarms);
        super("wso2-apim-ha:operations:Operations", name, {}, opts);
        const parent = { parent: this };

        const topic = new aws.sns.Topic(
            `${name}-alarms`,
            { displayName: `WSO2 API-M ${args.label} alarms`.slice(0, 100), kmsMasterKeyId: args.kmsKeyArn },
            parent,
        );
        if (args.alarmEmail !== undefined) {
            new aws.sns.TopicSubscription(`${name}-alarm-email`, { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail }, parent);
        }

        const partition = aws.getPartitionOutput({}, parent).partition;
        const recover = pulumi.interpolate`arn:${partition}:automate:${args.region}:ec2:recover`;
        for (const row of rows) {
            new aws.cloudwatch.MetricAlarm(
                `${name}-${row.key}`,
                {
                    name: `${args.label}-${row.key}`,
                    alarmDescription: `${row.title}. ${row.why}${row.firstAction ? ` First: ${row.firstAction}` : ""}`.slice(0, 1024),
                    ...alarmMetric(row),
                    comparisonOperator: row.comparison,
                    threshold: row.threshold,
                    evaluationPeriods: row.evaluationPeriods,
                    datapointsToAlarm: row.datapointsToAlarm,
                    treatMissingData: row.treatMissingData,
                    actionsEnabled: true,
                    alarmActions: row.recoverInstance ? [topic.arn, recover] : [topic.arn],
                    okActions: [topic.arn],
                },
                { parent: this, dependsOn: [...(args.armAfter ?? [])] },
            );
        }

        const label = args.label;
        const body = pulumi
            .all([pulumi.output(args.alarms), args.region, args.logGroupName])
            .apply(([resolved, region, logGroupName]) =>
                JSON.stringify(
                    dashboardBody(alarmTable(resolved as AlarmTableInput<string>), { region, logGroupName, title: `WSO2 API Manager ${label}` }),
                ),
            );
        const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, { dashboardName: dashboardName(label), dashboardBody: body }, parent);

        for (const query of savedQueries(label)) {
            new aws.cloudwatch.QueryDefinition(
                `${name}-query-${query.key}`,
                { name: query.title, logGroupNames: [args.logGroupName], queryString: query.queryString },
                parent,
            );
        }

        this.topicArn = topic.arn;
        this.dashboardUrl = pulumi.all([args.region, dashboard.dashboardName]).apply(([region, dashboardName]) => dashboardUrl(region, dashboardName));
        this.registerOutputs({ topicArn: this.topicArn, dashboardUrl: this.dashboardUrl });
    }
}

/** The metric part of a MetricAlarm: a single metric with its statistic, or metric-math queries. */
function alarmMetric(row: AlarmRow<pulumi.Input<string>>): Partial<aws.cloudwatch.MetricAlarmArgs> {
    if (row.metric.kind === "metric") {
        const { metric, statistic } = row.metric;
        return {
            namespace: metric.namespace,
            metricName: metric.metricName,
            dimensions: metric.dimensions,
            period: row.periodSeconds,
            ...(isPercentile(statistic) ? { extendedStatistic: statistic } : { statistic }),
        };
    }
    return {
        metricQueries: [
            { id: "e1", expression: row.metric.expression, label: row.metric.label, returnData: true },
            ...metricsOf(row).map((m) => ({
                id: m.id,
                returnData: false,
                metric: { namespace: m.metric.namespace, metricName: m.metric.metricName, dimensions: m.metric.dimensions, period: row.periodSeconds, stat: m.statistic },
            })),
        ],
    };
}
