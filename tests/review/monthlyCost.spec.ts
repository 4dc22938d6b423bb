import { monthlyCost, DEFAULT_PRICES, CostEstimate } from "../../lib/review/monthlyCost";
import { costDeltaMarkdown, costMarkdown } from "../../lib/review/costReport";
import type { RenderedResource } from "../../lib/review/renderedResource";
import { readStackFile } from "../../lib/config/stackFile";
import { parseStackConfig } from "../../lib/config/stackConfig";
import { gatewayGroupArgs, gatewayLaunchTemplateArgs, gatewayScalingPolicyArgs } from "../../lib/aws/gatewayFleet";

const EU = DEFAULT_PRICES.regions["eu-west-1"];
const HOURS = 730;

const r = (type: string, name: string, inputs: Record<string, unknown> = {}): RenderedResource => ({ type, name, parent: null, inputs, outputs: {} });
const node = (n: number, instanceType = "t3.large") =>
    r("aws:ec2/instance:Instance", `apim-${n}`, { instanceType, monitoring: true, rootBlockDevice: { volumeSize: 40, volumeType: "gp3" } });
const database = (instanceClass: string, multiAz: boolean) =>
    r("aws:rds/instance:Instance", "db", { instanceClass, multiAz, allocatedStorage: 20, storageType: "gp3", backupRetentionPeriod: 1 });

const line = (estimate: CostEstimate, item: string) => {
    const found = estimate.lines.find((l) => l.item === item);
    if (!found) throw new Error(`no line ${item} in ${estimate.lines.map((l) => l.item).join(", ")}`);
    return found;
};

describe("monthly cost", () => {
    it("prices two t3.large nodes and a single-AZ db.t3.medium from the table", () => {
        const estimate = monthlyCost([node(1), node(2), database("db.t3.medium", false)], "eu-west-1");
        expect(line(estimate, "EC2 t3.large").monthlyUsd).toBeCloseTo(2 * HOURS * 0.0912, 6);
        expect(line(estimate, "EBS gp3 root volumes")).toMatchObject({ quantity: 80, monthlyUsd: expect.closeTo(80 * 0.088, 6) });
        expect(line(estimate, "RDS MySQL db.t3.medium single-AZ").monthlyUsd).toBeCloseTo(HOURS * 0.072, 6);
        expect(line(estimate, "RDS gp3 storage single-AZ").monthlyUsd).toBeCloseTo(20 * 0.127, 6);
        // 5 GB of assumed backups fit in the 20 GB the allocated storage gives free.
        expect(line(estimate, "RDS backup storage beyond the free allowance").monthlyUsd).toBe(0);
        expect(line(estimate, "EC2 detailed monitoring").monthlyUsd).toBeCloseTo(2 * 7 * 0.3, 6);
        expect(estimate.totalUsd).toBeCloseTo(133.152 + 7.04 + 52.56 + 2.54 + 4.2, 6);
        expect(estimate.unpriced).toEqual([]);
    });

    it("doubles the database instance and storage for Multi-AZ", () => {
        const single = monthlyCost([database("db.r6g.large", false)], "eu-west-1");
        const multi = monthlyCost([database("db.r6g.large", true)], "eu-west-1");
        expect(line(multi, "RDS MySQL db.r6g.large Multi-AZ").monthlyUsd).toBeCloseTo(2 * line(single, "RDS MySQL db.r6g.large single-AZ").monthlyUsd!, 6);
        expect(line(multi, "RDS gp3 storage Multi-AZ").monthlyUsd).toBeCloseTo(20 * EU.rdsGp3MultiAzGbMonth, 6);
    });

    it("shows the Extended Support charge of a database kept on MySQL 8.0, for the standby too, and none for 8.4 or an opted-out 8.0", () => {
        const db = (engineVersion: string, multiAz: boolean, engineLifecycleSupport?: string) =>
            r("aws:rds/instance:Instance", "db", { instanceClass: "db.r6g.xlarge", multiAz, allocatedStorage: 20, storageType: "gp3", engineVersion, engineLifecycleSupport });
        const item = "RDS Extended Support (MySQL 8.0.39, past standard support)";
        // 4 vCPUs, two instances, the first two years' $0.100 per vCPU-hour
        expect(line(monthlyCost([db("8.0.39", true, "open-source-rds-extended-support")], "us-east-1"), item)).toMatchObject({
            quantity: HOURS * 4 * 2, unit: "vCPU-h", monthlyUsd: expect.closeTo(HOURS * 8 * 0.1, 6),
        });
        // AWS's default is to enrol, so a render without the input is billed too
        expect(line(monthlyCost([db("8.0.39", false)], "us-east-1"), item).monthlyUsd).toBeCloseTo(HOURS * 4 * 0.1, 6);
        const noCharge = (estimate: CostEstimate) => estimate.lines.filter((l) => l.item.startsWith("RDS Extended Support"));
        expect(noCharge(monthlyCost([db("8.4", true, "open-source-rds-extended-support")], "us-east-1"))).toEqual([]);
        expect(noCharge(monthlyCost([db("8.0", true, "open-source-rds-extended-support-disabled")], "us-east-1"))).toEqual([]);
        // a region whose rate the table lacks says so rather than leaving the charge out
        const eu = monthlyCost([db("8.0.39", false, "open-source-rds-extended-support")], "eu-west-1");
        expect(line(eu, item)).toMatchObject({ monthlyUsd: undefined, note: expect.stringMatching(/no Extended Support price/) });
        expect(eu.unpriced).toContain(item);
    });

    it("charges backup storage only beyond the allocated size", () => {
        const db = r("aws:rds/instance:Instance", "db", { instanceClass: "db.t3.medium", allocatedStorage: 5, storageType: "gp3", backupRetentionPeriod: 11 });
        // 5 GB of data plus 10 days of 10% changes = 10 GB of backups, 5 GB free.
        expect(line(monthlyCost([db], "eu-west-1"), "RDS backup storage beyond the free allowance")).toMatchObject({ quantity: 5, monthlyUsd: expect.closeTo(5 * 0.095, 6) });
    });

    it("prices NAT gateways with their addresses, the load balancer with one address per zone, and states the assumed traffic", () => {
        const estimate = monthlyCost(
            [
                r("aws:ec2/natGateway:NatGateway", "nat-1"),
                r("aws:ec2/natGateway:NatGateway", "nat-2"),
                r("aws:ec2/eip:Eip", "nat-1-eip"),
                r("aws:ec2/eip:Eip", "nat-2-eip"),
                r("aws:lb/loadBalancer:LoadBalancer", "alb", { loadBalancerType: "application", internal: false, subnets: ["a", "b"] }),
            ],
            "eu-west-1",
        );
        expect(line(estimate, "NAT gateway hours").monthlyUsd).toBeCloseTo(2 * HOURS * 0.048, 6);
        expect(line(estimate, "NAT gateway data processed")).toMatchObject({ quantity: 40, note: expect.stringContaining("20 GB a month per gateway") });
        expect(line(estimate, "Public IPv4 addresses").quantity).toBe(4 * HOURS);
        expect(line(estimate, "Application Load Balancer hours").monthlyUsd).toBeCloseTo(HOURS * 0.0252, 6);
        expect(line(estimate, "Application Load Balancer capacity units").note).toMatch(/LCU on average assumed/);
    });

    it("prices interface endpoints per zone, gateway endpoints at nothing, and what the render holds of alarms and dashboards", () => {
        const estimate = monthlyCost(
            [
                r("aws:ec2/vpcEndpoint:VpcEndpoint", "ssm", { serviceName: "com.amazonaws.eu-west-1.ssm", vpcEndpointType: "Interface", subnetIds: ["a", "b"] }),
                r("aws:ec2/vpcEndpoint:VpcEndpoint", "logs", { serviceName: "com.amazonaws.eu-west-1.logs", vpcEndpointType: "Interface", subnetIds: ["a", "b"] }),
                r("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" }),
                r("aws:cloudwatch/metricAlarm:MetricAlarm", "unhealthy", { period: 60 }),
                r("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", { period: 300 }),
                r("aws:cloudwatch/dashboard:Dashboard", "cluster"),
            ],
            "eu-west-1",
        );
        expect(line(estimate, "VPC interface endpoint hours (per zone)").monthlyUsd).toBeCloseTo(4 * HOURS * 0.011, 6);
        expect(line(estimate, "VPC gateway endpoint s3").monthlyUsd).toBe(0);
        expect(line(estimate, "CloudWatch alarms").monthlyUsd).toBeCloseTo(0.2, 6);
        expect(line(estimate, "CloudWatch dashboards").monthlyUsd).toBe(3);
    });

    it("keeps each log group's retention period of logs", () => {
        const estimate = monthlyCost(
            [r("aws:cloudwatch/logGroup:LogGroup", "a", { retentionInDays: 30 }), r("aws:cloudwatch/logGroup:LogGroup", "b", { retentionInDays: 90 })],
            "eu-west-1",
        );
        expect(line(estimate, "CloudWatch Logs ingestion").quantity).toBe(4);
        expect(line(estimate, "CloudWatch Logs storage").quantity).toBeCloseTo(2 * 1 + 2 * 3, 6);
    });

    it("gives an instance type or region the table lacks a clear 'no price' line instead of failing", () => {
        const estimate = monthlyCost([node(1, "x9z.huge"), node(2, "t3.large")], "eu-west-1");
        expect(line(estimate, "EC2 x9z.huge")).toMatchObject({ monthlyUsd: undefined, note: expect.stringContaining("no price for instance type x9z.huge") });
        expect(estimate.unpriced).toEqual(["EC2 x9z.huge"]);
        expect(estimate.totalUsd).toBeGreaterThan(0);
        expect(costMarkdown("dev", estimate)).toMatch(/at least \$[\d.,]+ a month/);

        const elsewhere = monthlyCost([node(1)], "ap-south-2");
        expect(elsewhere.totalUsd).toBe(0);
        expect(elsewhere.lines.every((l) => l.monthlyUsd === undefined && l.note === "no prices for region ap-south-2 in lib/review/prices.json")).toBe(true);
    });

    it("shows the change against the base line by line", () => {
        const base = monthlyCost([node(1), node(2), database("db.t4g.medium", false)], "eu-west-1");
        const head = monthlyCost([node(1), node(2), node(3), database("db.t4g.medium", false)], "eu-west-1");
        const text = costDeltaMarkdown(base, head);
        expect(text).toContain(`(+$${(HOURS * 0.0912 + 40 * 0.088 + 2.1).toFixed(2)})`);
        expect(text).toMatch(/\| EC2 t3\.large \| \$133\.15 \| \$199\.73 \| \+\$66\.58 \|/);
        expect(text).not.toContain("RDS MySQL");
    });
});

describe("Universal Gateways in the monthly cost", () => {
    /** The fleet as components/gatewayFleet.ts declares it, from the same settings functions. */
    const fleet = (instanceType = "c6i.large", minSize = 2, maxSize = 6): RenderedResource[] => {
        const template = {
            ...r("aws:ec2/launchTemplate:LaunchTemplate", "wso2-gateways-template", gatewayLaunchTemplateArgs<string>({
                imageId: "ami-1", instanceType, instanceProfileName: "p", securityGroupId: "sg-1", kmsKeyArn: "k", userDataBase64: "H4sI", tags: {},
            })),
            id: "lt-1",
            parent: "wso2-gateways",
        };
        const group = {
            ...r("aws:autoscaling/group:Group", "wso2-gateways-group", gatewayGroupArgs<string>({
                subnetIds: ["subnet-a", "subnet-b"], minSize, maxSize, targetGroupArns: ["tg"], launchTemplateId: "lt-1", launchTemplateVersion: "1", tags: {},
            })),
            parent: "wso2-gateways",
        };
        return [
            { ...r("wso2-apim-ha:gatewayFleet:GatewayFleet", "wso2-gateways"), parent: "wso2" },
            template,
            group,
            r("aws:autoscaling/policy:Policy", "wso2-gateways-cpu-target", gatewayScalingPolicyArgs("wso2-gateways-group", 60)),
        ];
    };

    it("prices the instances, their gp3 root volumes and detailed monitoring from the group's minimum to its maximum; the total counts the minimum and states the maximum", () => {
        const estimate = monthlyCost([node(1), node(2), ...fleet()], "eu-west-1");
        expect(line(estimate, "EC2 c6i.large, Universal Gateways")).toMatchObject({
            quantity: 2 * HOURS, maxQuantity: 6 * HOURS, unitPriceUsd: 0.096,
            monthlyUsd: expect.closeTo(2 * HOURS * 0.096, 6), maxMonthlyUsd: expect.closeTo(6 * HOURS * 0.096, 6),
            note: "2–6 instances (the group's minimum to maximum)",
        });
        // the template's 20 GB gp3 root volume
        expect(line(estimate, "EBS gp3 root volumes, Universal Gateways")).toMatchObject({ quantity: 40, maxQuantity: 120, monthlyUsd: expect.closeTo(40 * 0.088, 6) });
        expect(line(estimate, "EC2 detailed monitoring, Universal Gateways")).toMatchObject({ quantity: 14, maxQuantity: 42, monthlyUsd: expect.closeTo(14 * 0.3, 6) });
        // the nodes' lines stay their own
        expect(line(estimate, "EC2 t3.large").quantity).toBe(2 * HOURS);
        const nodes = monthlyCost([node(1), node(2)], "eu-west-1");
        const atMinimum = 2 * HOURS * 0.096 + 40 * 0.088 + 14 * 0.3 + 2 * 0.1;
        expect(estimate.totalUsd).toBeCloseTo(nodes.totalUsd + atMinimum, 6);
        expect(estimate.maxTotalUsd).toBeCloseTo(estimate.totalUsd + 4 * HOURS * 0.096 + 80 * 0.088 + 28 * 0.3, 6);
        expect(nodes.maxTotalUsd).toBeUndefined();

        const md = costMarkdown("prod", estimate);
        expect(md).toContain(`| EC2 c6i.large, Universal Gateways | 1,460–4,380 h | $0.096 | $140.16–$420.48 |`);
        expect(md).toContain(`About **$${estimate.totalUsd.toFixed(2)} a month (up to $${estimate.maxTotalUsd!.toFixed(2)} with the Auto Scaling groups at their maximum)**`);
        expect(md).toContain(`| **total** | | | **$${estimate.totalUsd.toFixed(2)}** (up to $${estimate.maxTotalUsd!.toFixed(2)}) |`);
        // a group that cannot grow is no range
        const fixed = monthlyCost(fleet("c6i.large", 3, 3), "eu-west-1");
        expect(line(fixed, "EC2 c6i.large, Universal Gateways")).toMatchObject({ quantity: 3 * HOURS, note: "3 instances (the group's minimum and maximum)" });
        expect(line(fixed, "EC2 c6i.large, Universal Gateways").maxQuantity).toBeUndefined();
        expect(fixed.maxTotalUsd).toBeUndefined();
    });

    it("prices the group metrics at nothing, as AWS does, and the target-tracking policy's two alarms", () => {
        const estimate = monthlyCost(fleet(), "eu-west-1");
        expect(line(estimate, "Auto Scaling group metrics, Universal Gateways")).toMatchObject({ quantity: 4, monthlyUsd: 0, note: expect.stringContaining("no additional charge") });
        expect(line(estimate, "CloudWatch alarms of target-tracking scaling")).toMatchObject({ quantity: 2, monthlyUsd: expect.closeTo(0.2, 6) });
    });

    it("says which gateway instance type has no price, and shows a new maximum as a change", () => {
        const estimate = monthlyCost(fleet("x9z.huge"), "eu-west-1");
        expect(line(estimate, "EC2 x9z.huge, Universal Gateways")).toMatchObject({ monthlyUsd: undefined, note: expect.stringContaining("no price for instance type x9z.huge") });
        expect(estimate.unpriced).toEqual(["EC2 x9z.huge, Universal Gateways"]);

        const text = costDeltaMarkdown(monthlyCost(fleet(), "eu-west-1"), monthlyCost(fleet("c6i.large", 2, 8), "eu-west-1"));
        expect(text).toMatch(/^\*\*\$[\d,.]+ → \$[\d,.]+ a month\*\* \(±\$0\.00\) \(up to \$[\d,.]+ with the Auto Scaling groups at their maximum\)/);
        expect(text).toContain("| EC2 c6i.large, Universal Gateways | $140.16–$420.48 | $140.16–$560.64 | (at most +$140.16) |");
    });
});

describe("the price table", () => {
    it("records its date and sources, and prices the same things in every region", () => {
        expect(DEFAULT_PRICES.recorded).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const regions = Object.values(DEFAULT_PRICES.regions);
        for (const region of regions) expect(Object.keys(region).sort()).toEqual(Object.keys(EU).sort());
    });

    it.each(["dev", "prod"])("prices the %s stack's instance type and database class in the stack's region", (stack) => {
        const file = readStackFile(stack);
        const prices = DEFAULT_PRICES.regions[file.region!];
        expect(prices).toBeDefined();
        expect(prices.ec2InstanceHour[String(file.projectConfig.instanceType)]).toBeGreaterThan(0);
        expect(prices.rdsMysqlSingleAzHour[String(file.projectConfig.dbInstanceClass)]).toBeGreaterThan(0);
        // the gateways' type too, where the stack has them (its default when the file names none)
        const { gateways } = parseStackConfig(file.projectConfig);
        if (gateways.enabled) expect(prices.ec2InstanceHour[gateways.instanceType]).toBeGreaterThan(0);
        expect(gateways.enabled).toBe(stack === "prod");
    });
});

describe("S3 in the monthly cost", () => {
    const bucket = (name: string) => ({ ...r("aws:s3/bucket:Bucket", name), outputs: { bucket: `${name}-1a2b`, arn: `arn:aws:s3:::${name}-1a2b` } });
    const object = (bucketName: string, content: string) => r("aws:s3/bucketObjectv2:BucketObjectv2", "boot-script", { bucket: bucketName, key: "boot/x/s", content });

    it("prices the objects the stack uploads by their size, with no 'no price' line, and assumes 5 GB only for a bucket AWS services fill", () => {
        const script = "#!/bin/bash\n".repeat(2000);
        const estimate = monthlyCost([bucket("logs"), bucket("boot"), object("boot-1a2b", script)], "eu-west-1");
        expect(estimate.unpriced).toEqual([]);
        // the access-log bucket keeps its assumption; the boot bucket does not get one
        expect(line(estimate, "S3 Standard storage")).toMatchObject({ quantity: 5, monthlyUsd: expect.closeTo(5 * EU.s3StandardGbMonth, 9) });
        const uploads = line(estimate, "S3 Standard storage, objects the stack uploads");
        expect(uploads).toMatchObject({ quantity: 24000 / 1e9, unit: "GB-month", unitPriceUsd: EU.s3StandardGbMonth });
        expect(uploads.monthlyUsd).toBeLessThan(0.01);
        expect(uploads.note).toContain("1 object, 24,000 bytes");
        // the boot bucket alone: no assumed storage line at all
        expect(monthlyCost([bucket("boot"), object("boot-1a2b", script)], "eu-west-1").lines.map((l) => l.item)).toEqual(["S3 Standard storage, objects the stack uploads"]);
    });
});
