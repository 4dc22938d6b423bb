import PRICE_TABLE from "./prices.json";
import type { RenderedResource } from "./renderedResource";
import { USAGE_ASSUMPTIONS, UsageAssumptions } from "./usageAssumptions";
import { RESOURCE_TYPES } from "./resourceTypes";
import { autoScalingGroups, sizeRange } from "./autoScalingGroups";
import { MYSQL_MAJOR_VERSIONS } from "../plan/databaseEngine";

/**
 * The monthly on-demand cost of what a render records: each priced resource becomes a line (identical
 * ones are summed), so the estimate follows the configuration (node count and type, Multi-AZ, NAT
 * gateways, retention, endpoints, alarms) without re-reading it. An Auto Scaling group's lines are ranges,
 * from its minimum to its maximum size; the total counts the minimum and states the maximum beside it.
 */

/** One region's prices (USD), as in lib/review/prices.json. */
export interface RegionPrices {
    readonly ec2InstanceHour: Readonly<Record<string, number>>;
    readonly ebsGp3GbMonth: number;
    readonly cloudwatchMetricMonth: number;
    /** Single-AZ; a Multi-AZ deployment (one standby) costs rdsMultiAzFactor times as much. */
    readonly rdsMysqlSingleAzHour: Readonly<Record<string, number>>;
    readonly rdsMultiAzFactor: number;
    readonly rdsGp3SingleAzGbMonth: number;
    readonly rdsGp3MultiAzGbMonth: number;
    readonly rdsBackupGbMonth: number;
    /** RDS Extended Support, per vCPU-hour of every instance (standbys too); null where not recorded yet. */
    readonly rdsExtendedSupportVcpuHour: number | null;
    readonly natGatewayHour: number;
    readonly natGatewayGb: number;
    readonly publicIpv4Hour: number;
    readonly albHour: number;
    readonly albLcuHour: number;
    readonly efsStandardGbMonth: number;
    readonly logsIngestGb: number;
    readonly logsStorageGbMonth: number;
    readonly kmsKeyMonth: number;
    readonly secretMonth: number;
    readonly route53HostedZoneMonth: number;
    readonly interfaceEndpointAzHour: number;
    readonly interfaceEndpointGb: number;
    readonly alarmMonth: number;
    readonly highResolutionAlarmMonth: number;
    readonly compositeAlarmMonth: number;
    readonly dashboardMonth: number;
    readonly s3StandardGbMonth: number;
}

export interface PriceTable {
    readonly currency: string;
    readonly recorded: string;
    readonly regions: Readonly<Record<string, RegionPrices>>;
}

export interface CostLine {
    /** What is charged, e.g. "EC2 t3.large". Lines with the same item are summed. */
    readonly item: string;
    readonly quantity: number;
    /** Unit of the quantity: "h", "GB-month", "month". */
    readonly unit: string;
    /** Undefined when the table has no price for it: the line is shown as "no price" and left out of the total. */
    readonly unitPriceUsd?: number;
    readonly monthlyUsd?: number;
    /** Set where the quantity can grow (an Auto Scaling group at its maximum): the upper end of the range. */
    readonly maxQuantity?: number;
    readonly maxMonthlyUsd?: number;
    /** The assumption behind the quantity, or why there is no price. */
    readonly note?: string;
}

export interface CostEstimate {
    readonly region: string;
    readonly currency: string;
    /** Date the prices were recorded. */
    readonly recorded: string;
    readonly lines: CostLine[];
    /** Sum of the priced lines, Auto Scaling groups at their minimum. */
    readonly totalUsd: number;
    /** The same with every Auto Scaling group at its maximum; only when some line is a range. */
    readonly maxTotalUsd?: number;
    /** Items without a price (the total leaves them out). */
    readonly unpriced: string[];
}

export const DEFAULT_PRICES: PriceTable = PRICE_TABLE;

const T = RESOURCE_TYPES;

/** Monthly cost of the recorded resources in `region`, priced from `prices`. */
export function monthlyCost(
    resources: readonly RenderedResource[],
    region: string,
    prices: PriceTable = DEFAULT_PRICES,
    usage: UsageAssumptions = USAGE_ASSUMPTIONS,
): CostEstimate {
    const p: Partial<RegionPrices> = prices.regions[region] ?? {};
    const noRegion = prices.regions[region] === undefined ? `no prices for region ${region} in lib/review/prices.json` : undefined;
    const lines = new Map<string, { quantity: number; maxQuantity: number; unit: string; unitPriceUsd?: number; note?: string }>();
    /**
     * `note` states an assumption; `missing` says what has no price when the price is undefined; `maxQuantity`
     * makes the line a range (an Auto Scaling group between its minimum and maximum).
     */
    const add = (item: string, quantity: number, unit: string, unitPriceUsd: number | undefined, note?: string, missing?: string, maxQuantity = quantity) => {
        const line = lines.get(item);
        if (line) {
            line.quantity += quantity;
            line.maxQuantity += maxQuantity;
        } else lines.set(item, { quantity, maxQuantity, unit, unitPriceUsd, note: unitPriceUsd === undefined ? (noRegion ?? missing ?? note) : note });
    };
    const of = (type: string) => resources.filter((r) => r.type === type);
    const hours = usage.hoursPerMonth;

    for (const instance of of(T.instance)) {
        const type = String(instance.inputs.instanceType);
        add(`EC2 ${type}`, hours, "h", p.ec2InstanceHour?.[type], undefined, `no price for instance type ${type} in lib/review/prices.json`);
        const disk = instance.inputs.rootBlockDevice ?? {};
        const volumeType = String(disk.volumeType ?? "gp3");
        add(`EBS ${volumeType} root volumes`, Number(disk.volumeSize ?? 8), "GB-month", volumeType === "gp3" ? p.ebsGp3GbMonth : undefined, undefined, `no price for EBS ${volumeType}`);
        if (instance.inputs.monitoring === true) {
            add("EC2 detailed monitoring", usage.detailedMonitoringMetricsPerInstance, "metric-month", p.cloudwatchMetricMonth,
                `${usage.detailedMonitoringMetricsPerInstance} metrics per instance`);
        }
    }

    // Auto Scaling groups: what each instance costs, from the group's minimum to its maximum size.
    for (const g of autoScalingGroups(resources)) {
        const sizes = `${sizeRange(g)} instances (the group's minimum${g.minSize === g.maxSize ? " and maximum" : " to maximum"})`;
        const type = g.instanceType ?? "(no launch template)";
        add(`EC2 ${type}, ${g.label}`, g.minSize * hours, "h", g.instanceType ? p.ec2InstanceHour?.[type] : undefined, sizes,
            `no price for instance type ${type} in lib/review/prices.json`, g.maxSize * hours);
        for (const volumeType of unique(g.volumes.map((v) => v.volumeType))) {
            // An unsized mapping takes the image's snapshot size: 8 GB for Amazon Linux.
            const gb = g.volumes.filter((v) => v.volumeType === volumeType).reduce((sum, v) => sum + (v.sizeGb ?? 8), 0);
            // One mapping is the root device; more are the root and data volumes.
            add(`EBS ${volumeType} ${g.volumes.length === 1 ? "root volumes" : "volumes"}, ${g.label}`, gb * g.minSize, "GB-month", volumeType === "gp3" ? p.ebsGp3GbMonth : undefined,
                `${gb} GB per instance, ${sizes}`, `no price for EBS ${volumeType}`, gb * g.maxSize);
        }
        if (g.detailedMonitoring) {
            const metrics = usage.detailedMonitoringMetricsPerInstance;
            add(`EC2 detailed monitoring, ${g.label}`, metrics * g.minSize, "metric-month", p.cloudwatchMetricMonth,
                `${metrics} metrics per instance, ${sizes}`, undefined, metrics * g.maxSize);
        }
        const groupMetrics = (g.group.inputs.enabledMetrics ?? []).length;
        if (groupMetrics > 0) {
            add(`Auto Scaling group metrics, ${g.label}`, groupMetrics, "metric-month", 0,
                "free: AWS publishes enabled group metrics at one-minute granularity at no additional charge");
        }
    }
    const targetTracking = of(T.autoScalingPolicy).filter((x) => x.inputs.policyType === "TargetTrackingScaling").length;
    if (targetTracking > 0) {
        add("CloudWatch alarms of target-tracking scaling", 2 * targetTracking, "month", p.alarmMonth,
            "the two alarms (scale out, scale in) Auto Scaling creates for each target-tracking policy, assumed billed as standard alarms");
    }

    for (const db of of(T.rds)) {
        const cls = String(db.inputs.instanceClass);
        const multiAz = db.inputs.multiAz === true;
        const hourly = p.rdsMysqlSingleAzHour?.[cls];
        const factor = multiAz ? p.rdsMultiAzFactor ?? 2 : 1;
        add(`RDS MySQL ${cls} ${multiAz ? "Multi-AZ" : "single-AZ"}`, hours, "h", hourly === undefined ? undefined : hourly * factor,
            undefined, `no price for DB instance class ${cls} in lib/review/prices.json`);
        const storageType = String(db.inputs.storageType ?? "gp3");
        const allocated = Number(db.inputs.allocatedStorage ?? 0);
        const maxAllocated = Number(db.inputs.maxAllocatedStorage ?? 0);
        add(`RDS ${storageType} storage ${multiAz ? "Multi-AZ" : "single-AZ"}`, allocated, "GB-month",
            storageType === "gp3" ? (multiAz ? p.rdsGp3MultiAzGbMonth : p.rdsGp3SingleAzGbMonth) : undefined,
            maxAllocated > allocated ? `allocated size; storage autoscaling may grow it to ${maxAllocated} GB` : undefined);
        if (billedForExtendedSupport(db.inputs)) {
            const vcpus = rdsVcpus(cls);
            add(`RDS Extended Support (MySQL ${db.inputs.engineVersion}, past standard support)`, hours * (vcpus ?? 0) * factor, "vCPU-h",
                vcpus === undefined ? undefined : p.rdsExtendedSupportVcpuHour ?? undefined,
                `${vcpus ?? "?"} vCPUs${multiAz ? " on each of 2 instances (the standby is billed too)" : ""} at the first two years' rate`,
                vcpus === undefined ? `no vCPU count for ${cls}` : `no Extended Support price for this region in lib/review/prices.json`);
        }
        // Backups up to the provisioned size are free; beyond: a full copy plus each retained day's changes.
        const retention = Number(db.inputs.backupRetentionPeriod ?? 0);
        const backupGb = retention > 0 ? usage.databaseDataGb * (1 + usage.databaseDailyChangeRatio * (retention - 1)) : 0;
        add("RDS backup storage beyond the free allowance", Math.max(0, backupGb - allocated), "GB-month", p.rdsBackupGbMonth,
            `${round(backupGb)} GB of backups assumed (${usage.databaseDataGb} GB of data, ${usage.databaseDailyChangeRatio * 100}% changed a day, ${retention} day${retention === 1 ? "" : "s"} kept); ${allocated} GB free`);
    }

    const nats = of(T.nat).filter((n) => n.inputs.connectivityType !== "private");
    if (nats.length > 0) {
        add("NAT gateway hours", nats.length * hours, "h", p.natGatewayHour);
        add("NAT gateway data processed", nats.length * usage.natGbPerGatewayMonth, "GB", p.natGatewayGb,
            `${usage.natGbPerGatewayMonth} GB a month per gateway assumed (boot downloads, updates, AWS API calls, logs)`);
    }

    let publicIps = of(T.eip).length;
    for (const lb of of(T.alb)) {
        const type = String(lb.inputs.loadBalancerType ?? "application");
        if (type !== "application") {
            add(`Load balancer (${type})`, hours, "h", undefined, undefined, `no price for ${type} load balancers`);
            continue;
        }
        add("Application Load Balancer hours", hours, "h", p.albHour);
        add("Application Load Balancer capacity units", usage.albAverageLcu * hours, "LCU-h", p.albLcuHour, `${usage.albAverageLcu} LCU on average assumed`);
        if (lb.inputs.internal !== true) publicIps += (lb.inputs.subnets ?? []).length * usage.albPublicIpsPerSubnet;
    }
    if (publicIps > 0) {
        add("Public IPv4 addresses", publicIps * hours, "h", p.publicIpv4Hour, "NAT gateway addresses and one per zone of an internet-facing load balancer");
    }

    const fileSystems = of(T.efs);
    if (fileSystems.length > 0) {
        add("EFS Standard storage", fileSystems.length * usage.efsStoredGb, "GB-month", p.efsStandardGbMonth, `${usage.efsStoredGb} GB stored assumed per file system`);
    }

    const logGroups = of(T.logGroup);
    if (logGroups.length > 0) {
        add("CloudWatch Logs ingestion", logGroups.length * usage.logIngestGbPerGroupMonth, "GB", p.logsIngestGb,
            `${usage.logIngestGbPerGroupMonth} GB a month assumed per log group (${logGroups.length} groups)`);
        // Steady state: each group holds its retention window of ingested data.
        const stored = logGroups.reduce((sum, g) => {
            const days = Number(g.inputs.retentionInDays ?? 0) || usage.neverExpireRetentionDays;
            return sum + (usage.logIngestGbPerGroupMonth * days) / 30;
        }, 0);
        add("CloudWatch Logs storage", stored, "GB-month", p.logsStorageGbMonth, "each group holding its retention period of ingested logs");
    }

    const count = (type: string, item: string, price: number | undefined, note?: string) => {
        const n = of(type).length;
        if (n > 0) add(item, n, "month", price, note);
    };
    count(T.kmsKey, "KMS customer managed keys", p.kmsKeyMonth, "key rotation adds up to 2 USD a month per key in its first two years");
    count(T.secret, "Secrets Manager secrets", p.secretMonth);
    count(T.zone, "Route 53 hosted zones", p.route53HostedZoneMonth);

    for (const endpoint of of(T.endpoint)) {
        const service = String(endpoint.inputs.serviceName ?? "").split(".").pop() || endpoint.name;
        if (String(endpoint.inputs.vpcEndpointType ?? "Gateway") !== "Interface") {
            add(`VPC gateway endpoint ${service}`, 1, "month", 0, "gateway endpoints are free");
            continue;
        }
        const zones = (endpoint.inputs.subnetIds ?? []).length || 1;
        add("VPC interface endpoint hours (per zone)", zones * hours, "h", p.interfaceEndpointAzHour);
        add("VPC interface endpoint data processed", usage.endpointGbMonth, "GB", p.interfaceEndpointGb, `${usage.endpointGbMonth} GB a month assumed per endpoint`);
    }

    for (const alarm of of(T.alarm)) {
        const highResolution = Number(alarm.inputs.period ?? 60) < 60;
        add(highResolution ? "CloudWatch high-resolution alarms" : "CloudWatch alarms", 1, "month", highResolution ? p.highResolutionAlarmMonth : p.alarmMonth);
    }
    count(T.compositeAlarm, "CloudWatch composite alarms", p.compositeAlarmMonth);
    count(T.dashboard, "CloudWatch dashboards", p.dashboardMonth, "the first 3 dashboards of an account are free; not counted here");

    // What the stack uploads itself (the boot script) is priced by its size; a bucket that only AWS services
    // write into (access logs) by the assumption.
    const objects = of(T.bucketObject);
    const uploadedTo = new Set(objects.map((o) => String(o.inputs.bucket)));
    const buckets = resources.filter((r) => (T.buckets as readonly string[]).includes(r.type) && !uploadedTo.has(String(r.outputs?.bucket ?? r.inputs.bucket)));
    if (buckets.length > 0) {
        add("S3 Standard storage", buckets.length * usage.s3StoredGbPerBucket, "GB-month", p.s3StandardGbMonth, `${usage.s3StoredGbPerBucket} GB assumed per bucket`);
    }
    if (objects.length > 0) {
        const bytes = objects.reduce((sum, o) => sum + Buffer.byteLength(String(o.inputs.content ?? ""), "utf8"), 0);
        add("S3 Standard storage, objects the stack uploads", bytes / 1e9, "GB-month", p.s3StandardGbMonth,
            `${objects.length} object${objects.length === 1 ? "" : "s"}, ${bytes.toLocaleString("en-US")} bytes (the boot script); ` +
                "each node reads it once per boot, through a bucket key: requests and KMS calls cost a fraction of a cent");
    }

    const result: CostLine[] = [...lines].map(([item, { maxQuantity, ...line }]) => ({
        item,
        ...line,
        monthlyUsd: line.unitPriceUsd === undefined ? undefined : line.quantity * line.unitPriceUsd,
        ...(maxQuantity !== line.quantity
            ? { maxQuantity, maxMonthlyUsd: line.unitPriceUsd === undefined ? undefined : maxQuantity * line.unitPriceUsd }
            : {}),
    }));
    const ranged = result.some((l) => l.maxQuantity !== undefined);
    return {
        region,
        currency: prices.currency,
        recorded: prices.recorded,
        lines: result,
        totalUsd: result.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0),
        ...(ranged ? { maxTotalUsd: result.reduce((sum, l) => sum + (l.maxMonthlyUsd ?? l.monthlyUsd ?? 0), 0) } : {}),
        unpriced: result.filter((l) => l.monthlyUsd === undefined).map((l) => l.item),
    };
}

function unique<T>(values: readonly T[]): T[] {
    return [...new Set(values)];
}

function round(n: number): number {
    return Math.round(n * 100) / 100;
}

/** Enrolled in Extended Support on a major version RDS no longer covers with standard support. */
function billedForExtendedSupport(inputs: Record<string, any>): boolean {
    if (inputs.engineLifecycleSupport === "open-source-rds-extended-support-disabled") return false;
    const major = /^(\d+\.\d+)/.exec(String(inputs.engineVersion ?? ""))?.[1];
    return MYSQL_MAJOR_VERSIONS.some((v) => v.major === major && v.standardSupportEnds !== undefined);
}

/** vCPUs of an RDS class by its size: micro to large 2, xlarge 4, Nxlarge 4N. */
export function rdsVcpus(instanceClass: string): number | undefined {
    const size = instanceClass.split(".")[2] ?? "";
    if (["micro", "small", "medium", "large"].includes(size)) return 2;
    const m = /^(\d*)xlarge$/.exec(size);
    return m ? 4 * Number(m[1] || 1) : undefined;
}
