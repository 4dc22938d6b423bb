import type { TargetGroupKey } from "./loadBalancerRouting";

/**
 * Every CloudWatch alarm of a stack, as one table of data. components/operations.ts turns each row into
 * an alarm and lib/aws/dashboard.ts into a graph, so the alarms and the dashboard cannot drift apart.
 *
 * Generic over the id type: plain strings in tests and in the dashboard, Pulumi inputs in the component.
 * Thresholds come from the stack's shape (node count, storage, connection budget), never from a guess
 * about traffic; the few fixed ones are named constants below with the reason next to them.
 */

export type Comparison = "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";
export type MissingData = "breaching" | "notBreaching" | "ignore" | "missing";
/** A CloudWatch statistic, or a percentile such as "p99" (an extended statistic). */
export type Statistic = "Average" | "Minimum" | "Maximum" | "Sum" | `p${number}`;
export type AlarmGroup = "load balancer" | "nodes" | "gateways" | "database" | "file system";

export interface MetricRef<Id> {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, Id>>;
}

/** One metric and statistic, or a metric-math expression over named metrics (ids m1, m2, …). */
export type AlarmMetric<Id> =
    | { readonly kind: "metric"; readonly metric: MetricRef<Id>; readonly statistic: Statistic }
    | {
          readonly kind: "math";
          readonly expression: string;
          readonly label: string;
          readonly inputs: Readonly<Record<string, { readonly metric: MetricRef<Id>; readonly statistic: Statistic }>>;
      };

export interface AlarmRow<Id> {
    /** Unique within the stack; the alarm's name and resource name end with it. */
    readonly key: string;
    readonly group: AlarmGroup;
    /** The node the row watches, for node rows. */
    readonly node?: string;
    /** What the alarm says when it fires, in a few words. */
    readonly title: string;
    readonly metric: AlarmMetric<Id>;
    readonly comparison: Comparison;
    readonly threshold: number;
    /** Unit of the threshold, for people: dashboards and descriptions. */
    readonly unit: string;
    readonly periodSeconds: number;
    readonly evaluationPeriods: number;
    /** Breaching periods among the last evaluationPeriods that fire the alarm. */
    readonly datapointsToAlarm: number;
    readonly treatMissingData: MissingData;
    /** The EC2 recover action: the instance moves to healthy hardware, keeping its id, IP and volumes. */
    readonly recoverInstance: boolean;
    /** Why it matters. */
    readonly why: string;
    /** The first thing to do when it fires; the alarm's description carries it after the why. */
    readonly firstAction?: string;
}

export interface AlarmTableInput<Id> {
    /** Every node, in plan order; their count is the number of healthy hosts each target group needs. */
    readonly nodes: readonly { readonly name: string; readonly instanceId: Id }[];
    /** The load balancer's ARN suffix (app/<name>/<id>), its CloudWatch dimension. */
    readonly loadBalancerArnSuffix: Id;
    /** Every target group's ARN suffix (targetgroup/<name>/<id>). */
    readonly targetGroups: readonly { readonly key: TargetGroupKey; readonly arnSuffix: Id }[];
    readonly database: {
        readonly identifier: Id;
        readonly allocatedStorageGb: number;
        /** The max_connections the parameter group sets (lib/plan/databaseParameters.ts maxConnectionsFor). */
        readonly maxConnections: number;
    };
    readonly fileSystem: { readonly id: Id; readonly throughputMode: "elastic" | "bursting" | "provisioned" };
    /** Namespace the nodes' CloudWatch agent publishes memory, disk and process metrics to. */
    readonly nodeMetricsNamespace: string;
    /**
     * The Universal Gateways' Auto Scaling group, when the stack has them: its size bounds, and the target
     * groups its gateways serve instead of the nodes.
     */
    readonly gateways?: {
        readonly autoScalingGroupName: Id;
        readonly minSize: number;
        readonly maxSize: number;
        readonly targetGroupKeys: readonly TargetGroupKey[];
    };
}

/** Most CloudWatch metrics used here are published every minute (the nodes have detailed monitoring). */
export const MINUTE = 60;
const FIVE_MINUTES = 300;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** A 5xx rate is only judged over minutes with at least this many requests, so one failed call at night is not 100 %. */
export const MIN_REQUESTS_PER_MINUTE = 20;
/** Share of requests answered with 5xx that pages someone. */
export const MAX_5XX_PERCENT = 5;
/** p99 gateway response time (backend included) beyond which API clients notice. */
export const MAX_P99_RESPONSE_SECONDS = 5;
export const MAX_NODE_CPU_PERCENT = 85;
/** The heap is fixed (-Xms = -Xmx), so memory beyond it is metaspace, threads and the OS: high use means swapping or the OOM killer soon. */
export const MAX_NODE_MEMORY_PERCENT = 90;
export const MAX_NODE_DISK_PERCENT = 85;
export const MAX_DATABASE_CPU_PERCENT = 80;
/** RDS storage autoscaling grows the volume when free space falls to about a tenth; the alarm says it happened or could not. */
export const MIN_FREE_STORAGE_SHARE = 0.1;
/** Below this the database swaps or RDS restarts it; every class this program is used with has several GiB. */
export const MIN_FREEABLE_MEMORY_BYTES = 256 * MIB;
export const MAX_CONNECTION_SHARE = 0.8;
export const MAX_EFS_IO_LIMIT_PERCENT = 90;
/** An hour of bursting at EFS's 100 MiB/s minimum burst rate (bursting throughput mode only). */
export const MIN_EFS_BURST_CREDIT_BYTES = 100 * MIB * 3600;

/** The agent's process metric counting the WSO2 JVMs (procstat `pid_count`). */
export const JVM_PID_COUNT_METRIC = "procstat_lookup_pid_count";

export function alarmTable<Id>(input: AlarmTableInput<Id>): AlarmRow<Id>[] {
    if (input.nodes.length < 1) throw new Error("alarmTable: expected at least one node");
    if (input.targetGroups.length < 1) throw new Error("alarmTable: expected at least one target group");
    const nodeCount = input.nodes.length;
    const lb = input.loadBalancerArnSuffix;
    const elb = (metricName: string, dimensions: Record<string, Id>): MetricRef<Id> => ({ namespace: "AWS/ApplicationELB", metricName, dimensions });
    const group = (key: TargetGroupKey) => input.targetGroups.find((g) => g.key === key);
    // Unless a row says otherwise: every evaluated period must breach, and no EC2 action.
    type RowSpec = Omit<AlarmRow<Id>, "datapointsToAlarm" | "recoverInstance"> & Partial<Pick<AlarmRow<Id>, "datapointsToAlarm" | "recoverInstance">>;
    const row = (r: RowSpec): AlarmRow<Id> => ({ ...r, datapointsToAlarm: r.datapointsToAlarm ?? r.evaluationPeriods, recoverInstance: r.recoverInstance ?? false });

    const rows: AlarmRow<Id>[] = [];

    // Load balancer.
    for (const tg of input.targetGroups) {
        // who serves the group: the gateways (their group keeps gatewayMinSize in service) or every node
        const byGateways = input.gateways?.targetGroupKeys.includes(tg.key) ? input.gateways : undefined;
        const serving = byGateways
            ? {
                  count: byGateways.minSize,
                  noun: "gateways",
                  why: "The gateways serve this target group and their group keeps at least gatewayMinSize of them in service: fewer healthy ones means gateways fail their health check or cannot reach the control plane, and the rest carry all API traffic.",
                  firstAction: "aws elbv2 describe-target-health --target-group-arn <arn> names the gateway; then the gateways-in-service alarm and its boot log stream gateway/<instance id>/boot.",
              }
            : { count: nodeCount, noun: "nodes", why: "Every node serves every host name: one missing node halves the capacity and removes the spare.", firstAction: undefined };
        rows.push(
            row({
                key: `${tg.key}-healthy-hosts`,
                group: "load balancer",
                title: `Fewer than ${serving.count} healthy ${serving.noun} behind the ${tg.key} target group`,
                metric: { kind: "metric", metric: elb("HealthyHostCount", { TargetGroup: tg.arnSuffix, LoadBalancer: lb }), statistic: "Minimum" },
                comparison: "LessThanThreshold",
                threshold: serving.count,
                unit: "hosts",
                periodSeconds: MINUTE,
                evaluationPeriods: 3,
                // The load balancer reports the count every minute; silence means it cannot.
                treatMissingData: "breaching",
                why: serving.why,
                ...(serving.firstAction ? { firstAction: serving.firstAction } : {}),
            }),
        );
    }
    const unhealthyInputs = Object.fromEntries(
        input.targetGroups.map((tg, i) => [`m${i + 1}`, { metric: elb("UnHealthyHostCount", { TargetGroup: tg.arnSuffix, LoadBalancer: lb }), statistic: "Maximum" as const }]),
    );
    rows.push(
        row({
            key: "unhealthy-hosts",
            group: "load balancer",
            title: "A registered node has failed its health check for 5 minutes",
            metric: { kind: "math", expression: `MAX([${Object.keys(unhealthyInputs).join(", ")}])`, label: "Unhealthy hosts (any target group)", inputs: unhealthyInputs },
            comparison: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            unit: "hosts",
            periodSeconds: MINUTE,
            evaluationPeriods: 5,
            treatMissingData: "notBreaching",
            why: "A node the load balancer no longer sends traffic to, for longer than a restart takes: WSO2 is hung, stopped or cannot reach its database.",
        }),
    );
    for (const [key, metricName, who, detail] of [
        ["load-balancer-5xx-rate", "HTTPCode_ELB_5XX_Count", "the load balancer", "itself (no healthy target, a target timeout or reset)"],
        ["target-5xx-rate", "HTTPCode_Target_5XX_Count", "the nodes", "(WSO2, or an API backend behind the gateway)"],
    ] as const) {
        rows.push(
            row({
                key,
                group: "load balancer",
                title: `More than ${MAX_5XX_PERCENT} % of requests answered 5xx by ${who}`,
                metric: {
                    kind: "math",
                    expression: `IF(m2 >= ${MIN_REQUESTS_PER_MINUTE}, 100 * FILL(m1, 0) / m2, 0)`,
                    label: `5xx from ${who} (% of requests)`,
                    inputs: {
                        m1: { metric: elb(metricName, { LoadBalancer: lb }), statistic: "Sum" },
                        m2: { metric: elb("RequestCount", { LoadBalancer: lb }), statistic: "Sum" },
                    },
                },
                comparison: "GreaterThanThreshold",
                threshold: MAX_5XX_PERCENT,
                unit: "%",
                periodSeconds: MINUTE,
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
                // No requests, no rate: quiet hours are not an outage.
                treatMissingData: "notBreaching",
                why: `Errors answered by ${who} ${detail}, as a share of all requests so that traffic volume does not move the line.`,
            }),
        );
    }
    const gateway = group("gateway");
    if (gateway) {
        rows.push(
            row({
                key: "gateway-p99-response-time",
                group: "load balancer",
                title: `p99 gateway response time above ${MAX_P99_RESPONSE_SECONDS} s`,
                metric: { kind: "metric", metric: elb("TargetResponseTime", { TargetGroup: gateway.arnSuffix, LoadBalancer: lb }), statistic: "p99" },
                comparison: "GreaterThanThreshold",
                threshold: MAX_P99_RESPONSE_SECONDS,
                unit: "seconds",
                periodSeconds: MINUTE,
                evaluationPeriods: 5,
                treatMissingData: "notBreaching",
                why: "The slowest 1 % of API calls, backend time included: slow backends, a saturated node or a database in trouble show here first.",
            }),
        );
    }

    // Nodes.
    const ns = input.nodeMetricsNamespace;
    for (const node of input.nodes) {
        const ec2 = (metricName: string): MetricRef<Id> => ({ namespace: "AWS/EC2", metricName, dimensions: { InstanceId: node.instanceId } });
        const agent = (metricName: string): MetricRef<Id> => ({ namespace: ns, metricName, dimensions: { InstanceId: node.instanceId } });
        const n = node.name;
        rows.push(
            row({
                key: `${n}-system-status-check`,
                group: "nodes",
                node: n,
                title: `${n}: the host's system status check failed (recovering the instance)`,
                metric: { kind: "metric", metric: ec2("StatusCheckFailed_System"), statistic: "Maximum" },
                comparison: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                unit: "failed checks",
                periodSeconds: MINUTE,
                evaluationPeriods: 2,
                treatMissingData: "missing",
                recoverInstance: true,
                why: "AWS's hardware, power or network under the node failed. The recover action restarts it on healthy hardware with the same instance id, private IP and volumes, so DNS, target groups and alarms stay valid.",
            }),
            row({
                key: `${n}-instance-status-check`,
                group: "nodes",
                node: n,
                title: `${n}: the instance status check failed`,
                metric: { kind: "metric", metric: ec2("StatusCheckFailed_Instance"), statistic: "Maximum" },
                comparison: "GreaterThanOrEqualToThreshold",
                threshold: 1,
                unit: "failed checks",
                periodSeconds: MINUTE,
                evaluationPeriods: 3,
                treatMissingData: "missing",
                why: "The operating system no longer answers (kernel panic, memory exhausted, full disk, broken network configuration); recovery onto other hardware does not help.",
            }),
            row({
                key: `${n}-cpu`,
                group: "nodes",
                node: n,
                title: `${n}: CPU above ${MAX_NODE_CPU_PERCENT} % for 15 minutes`,
                metric: { kind: "metric", metric: ec2("CPUUtilization"), statistic: "Average" },
                comparison: "GreaterThanThreshold",
                threshold: MAX_NODE_CPU_PERCENT,
                unit: "%",
                periodSeconds: FIVE_MINUTES,
                evaluationPeriods: 3,
                treatMissingData: "missing",
                why: "A node that stays this busy has no headroom left for its peer's traffic if the peer fails.",
            }),
            row({
                key: `${n}-memory`,
                group: "nodes",
                node: n,
                title: `${n}: memory used above ${MAX_NODE_MEMORY_PERCENT} %`,
                metric: { kind: "metric", metric: agent("mem_used_percent"), statistic: "Average" },
                comparison: "GreaterThanThreshold",
                threshold: MAX_NODE_MEMORY_PERCENT,
                unit: "%",
                periodSeconds: FIVE_MINUTES,
                evaluationPeriods: 2,
                treatMissingData: "missing",
                why: "The JVM heap is fixed, so growth beyond it is native memory; the kernel's OOM killer ends WSO2 next.",
            }),
            row({
                key: `${n}-root-disk`,
                group: "nodes",
                node: n,
                title: `${n}: root disk above ${MAX_NODE_DISK_PERCENT} % full`,
                metric: { kind: "metric", metric: agent("disk_used_percent"), statistic: "Maximum" },
                comparison: "GreaterThanThreshold",
                threshold: MAX_NODE_DISK_PERCENT,
                unit: "%",
                periodSeconds: FIVE_MINUTES,
                evaluationPeriods: 1,
                treatMissingData: "missing",
                why: "The root disk holds the server's logs, its temp files and the Solr index; a full disk stops WSO2 writing and fails requests.",
            }),
            row({
                key: `${n}-jvm-not-running`,
                group: "nodes",
                node: n,
                title: `${n}: the WSO2 JVM is not running`,
                metric: { kind: "metric", metric: agent(JVM_PID_COUNT_METRIC), statistic: "Minimum" },
                comparison: "LessThanThreshold",
                threshold: 1,
                unit: "processes",
                periodSeconds: MINUTE,
                evaluationPeriods: 3,
                // No data means the agent (or the whole node) is gone too: that is not "fine".
                treatMissingData: "breaching",
                why: "systemd restarts a crashed server within seconds; three minutes without the process means it keeps dying or was stopped.",
            }),
        );
    }

    // Gateways.
    if (input.gateways) {
        const { autoScalingGroupName, minSize, maxSize } = input.gateways;
        const inService: MetricRef<Id> = { namespace: "AWS/AutoScaling", metricName: "GroupInServiceInstances", dimensions: { AutoScalingGroupName: autoScalingGroupName } };
        rows.push(
            row({
                key: "gateways-in-service",
                group: "gateways",
                title: `Fewer gateways in service than gatewayMinSize (${minSize})`,
                metric: { kind: "metric", metric: inService, statistic: "Minimum" },
                comparison: "LessThanThreshold",
                threshold: minSize,
                unit: "gateways",
                periodSeconds: MINUTE,
                evaluationPeriods: 5,
                // The group publishes its size every minute (1-minute group metrics); silence means it cannot.
                treatMissingData: "breaching",
                why: "The group replaces a lost gateway within minutes; five minutes below its minimum means replacements do not launch or do not stay (no capacity in a zone, a launch template or role that fails, a boot that keeps failing), and fewer gateways carry all API traffic.",
                firstAction: "aws autoscaling describe-scaling-activities --auto-scaling-group-name <group> --max-items 5 says why launches fail; a failed boot's FAILED line is in the gateways' log group, stream gateway/<instance id>/boot.",
            }),
        );
        // With gatewayMinSize = gatewayMaxSize the group never scales, so being at its maximum says nothing.
        if (maxSize > minSize) {
            rows.push(
                row({
                    key: "gateways-at-maximum",
                    group: "gateways",
                    title: `Gateways at gatewayMaxSize (${maxSize}) for 15 minutes`,
                    metric: { kind: "metric", metric: inService, statistic: "Minimum" },
                    comparison: "GreaterThanOrEqualToThreshold",
                    threshold: maxSize,
                    unit: "gateways",
                    periodSeconds: FIVE_MINUTES,
                    evaluationPeriods: 3,
                    // Silence cannot mean the group is full; gateways-in-service covers a silent group.
                    treatMissingData: "notBreaching",
                    why: "Target tracking would add gateways to bring their CPU back to gatewayTargetCpuPercent but may start no more: the next rise in traffic meets saturated gateways (slower calls, then 5xx).",
                    firstAction: "Compare the gateways' average CPUUtilization (AWS/EC2 by AutoScalingGroupName) with gatewayTargetCpuPercent and the load balancer's RequestCount; raise gatewayMaxSize, or choose a larger gatewayInstanceType.",
                }),
            );
        }
    }

    // Database.
    const rds = (metricName: string): MetricRef<Id> => ({ namespace: "AWS/RDS", metricName, dimensions: { DBInstanceIdentifier: input.database.identifier } });
    const connections = Math.floor(input.database.maxConnections * MAX_CONNECTION_SHARE);
    const freeStorageBytes = Math.round(input.database.allocatedStorageGb * GIB * MIN_FREE_STORAGE_SHARE);
    rows.push(
        row({
            key: "database-cpu",
            group: "database",
            title: `Database CPU above ${MAX_DATABASE_CPU_PERCENT} % for 15 minutes`,
            metric: { kind: "metric", metric: rds("CPUUtilization"), statistic: "Average" },
            comparison: "GreaterThanThreshold",
            threshold: MAX_DATABASE_CPU_PERCENT,
            unit: "%",
            periodSeconds: FIVE_MINUTES,
            evaluationPeriods: 3,
            treatMissingData: "missing",
            why: "Both nodes share this one database: when it saturates, every node slows down at once.",
        }),
        row({
            key: "database-free-storage",
            group: "database",
            title: `Database free storage below ${MIN_FREE_STORAGE_SHARE * 100} % of the ${input.database.allocatedStorageGb} GiB allocated`,
            metric: { kind: "metric", metric: rds("FreeStorageSpace"), statistic: "Minimum" },
            comparison: "LessThanThreshold",
            threshold: freeStorageBytes,
            unit: "bytes",
            periodSeconds: FIVE_MINUTES,
            evaluationPeriods: 2,
            treatMissingData: "missing",
            why: "A full MySQL volume stops every write (tokens, subscriptions, throttling). Storage autoscaling grows it up to dbMaxAllocatedStorageGb, never beyond.",
        }),
        row({
            key: "database-freeable-memory",
            group: "database",
            title: `Database freeable memory below ${MIN_FREEABLE_MEMORY_BYTES / MIB} MiB`,
            metric: { kind: "metric", metric: rds("FreeableMemory"), statistic: "Minimum" },
            comparison: "LessThanThreshold",
            threshold: MIN_FREEABLE_MEMORY_BYTES,
            unit: "bytes",
            periodSeconds: FIVE_MINUTES,
            evaluationPeriods: 3,
            treatMissingData: "missing",
            why: "Too little memory left beside the buffer pool: the instance starts swapping, and queries slow down for every node.",
        }),
        row({
            key: "database-connections",
            group: "database",
            title: `Database connections above ${MAX_CONNECTION_SHARE * 100} % of max_connections (${connections} of ${input.database.maxConnections})`,
            metric: { kind: "metric", metric: rds("DatabaseConnections"), statistic: "Maximum" },
            comparison: "GreaterThanThreshold",
            threshold: connections,
            unit: "connections",
            periodSeconds: MINUTE,
            evaluationPeriods: 5,
            treatMissingData: "missing",
            why: "max_connections leaves room for every node's full pools; running close to it means pools are exhausted or connections leak, and the next node (or the boot script) is refused.",
        }),
    );

    // File system.
    const efs = (metricName: string): MetricRef<Id> => ({ namespace: "AWS/EFS", metricName, dimensions: { FileSystemId: input.fileSystem.id } });
    rows.push(
        row({
            key: "file-system-io-limit",
            group: "file system",
            title: `Shared file system I/O above ${MAX_EFS_IO_LIMIT_PERCENT} % of its limit`,
            metric: { kind: "metric", metric: efs("PercentIOLimit"), statistic: "Maximum" },
            comparison: "GreaterThanThreshold",
            threshold: MAX_EFS_IO_LIMIT_PERCENT,
            unit: "%",
            periodSeconds: FIVE_MINUTES,
            evaluationPeriods: 3,
            treatMissingData: "missing",
            why: "At the General Purpose mode's I/O limit every file operation on the share queues: deployments and the server's reads of repository/deployment/server stall.",
        }),
    );
    // Elastic throughput has no credits; only a bursting file system can run out of them.
    if (input.fileSystem.throughputMode === "bursting") {
        rows.push(
            row({
                key: "file-system-burst-credits",
                group: "file system",
                title: "Shared file system burst credits below an hour of bursting",
                metric: { kind: "metric", metric: efs("BurstCreditBalance"), statistic: "Minimum" },
                comparison: "LessThanThreshold",
                threshold: MIN_EFS_BURST_CREDIT_BYTES,
                unit: "bytes",
                periodSeconds: FIVE_MINUTES,
                evaluationPeriods: 3,
                treatMissingData: "missing",
                why: "Without credits the share falls back to its baseline throughput, a few KiB/s per GiB stored.",
            }),
        );
    }

    const keys = rows.map((r) => r.key);
    const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
    if (duplicate) throw new Error(`alarmTable: two rows share the key ${duplicate}`);
    return rows;
}

/** Whether a statistic is a percentile, which CloudWatch takes as an extended statistic. */
export function isPercentile(statistic: Statistic): boolean {
    return /^p\d+(\.\d+)?$/.test(statistic);
}

/** Every metric a row reads, with its statistic (one for a plain metric, the inputs of an expression). */
export function metricsOf<Id>(row: AlarmRow<Id>): { id: string; metric: MetricRef<Id>; statistic: Statistic }[] {
    return row.metric.kind === "metric"
        ? [{ id: "m1", metric: row.metric.metric, statistic: row.metric.statistic }]
        : Object.entries(row.metric.inputs).map(([id, input]) => ({ id, ...input }));
}
