import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import { PORTS } from "../lib/plan/ports";
import { accessLogBucketPolicy } from "../lib/aws/accessLogBucketPolicy";
import {
    DEREGISTRATION_DELAY_SECONDS,
    IDLE_TIMEOUT_SECONDS,
    LISTENERS,
    PORTAL_STICKINESS_SECONDS,
    TARGET_GROUPS,
    TARGET_HEALTH_CHECK,
    TLS_POLICY,
    TargetGroupKey,
    loadBalancerRoutes,
} from "../lib/aws/loadBalancerRouting";

export interface LoadBalancerArgs {
    /** VPC of the target groups. */
    readonly vpcId: pulumi.Input<string>;
    /** Public subnets, at least two zones. */
    readonly subnetIds: pulumi.Input<string>[];
    /** The load balancer's security group (ingress from the allowed client CIDRs, egress to the nodes only). */
    readonly securityGroupId: pulumi.Input<string>;
    /** ACM certificate of the HTTPS listener; must cover both host names. */
    readonly certificateArn: pulumi.Input<string>;
    /** The two public names the listener rules route on. */
    readonly hostNames: { readonly portal: string; readonly gateway: string };
    /**
     * Drop request headers whose names are not letters, digits and hyphens. Default false: API clients send
     * headers like api_key, and the ALB would drop them silently.
     */
    readonly dropInvalidHeaders?: boolean;
    /** ALB deletion protection. Default false. */
    readonly deletionProtection?: boolean;
    /** Write access logs to an S3 bucket this component creates. Default false. */
    readonly accessLogs?: boolean;
    /** Days access logs are kept. Default 90. Only with accessLogs. */
    readonly accessLogRetentionDays?: number;
    /**
     * Public Route53 zone holding both host names: when given, alias A records point them at the load
     * balancer. Default: no records (DNS is the operator's job).
     */
    readonly publicZoneId?: pulumi.Input<string>;
}

export interface TargetGroupRef {
    readonly key: TargetGroupKey;
    readonly arn: pulumi.Output<string>;
    /** targetgroup/<name>/<id>: the group's CloudWatch dimension. */
    readonly arnSuffix: pulumi.Output<string>;
    /** The node port the group sends to; attachments use it. */
    readonly port: number;
}

const ACCESS_LOG_PREFIX = "alb";

/**
 * The internet-facing ALB: HTTPS 443 routed by host name to the portal and gateway target groups (and
 * WebSocket handshakes for the gateway host to WSO2's WebSocket transport), HTTP 80 redirecting to HTTPS;
 * every target group health-checked on WSO2's startup health check. Routing lives in
 * lib/aws/loadBalancerRouting.ts.
 */
export class LoadBalancer extends pulumi.ComponentResource {
    readonly arn: pulumi.Output<string>;
    /** app/<name>/<id>: the load balancer's CloudWatch dimension. */
    readonly arnSuffix: pulumi.Output<string>;
    readonly dnsName: pulumi.Output<string>;
    readonly zoneId: pulumi.Output<string>;
    readonly targetGroups: readonly TargetGroupRef[];
    /** The access-log bucket's name, when accessLogs is on. */
    readonly accessLogBucket?: pulumi.Output<string>;

    constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:loadBalancer:LoadBalancer", name, {}, opts);
        const deletionProtection = args.deletionProtection ?? false;

        let accessLogs: aws.types.input.lb.LoadBalancerAccessLogs | undefined;
        const dependsOn: pulumi.Resource[] = [];
        if (args.accessLogs) {
            const logs = this.createAccessLogBucket(name, deletionProtection, args.accessLogRetentionDays ?? 90);
            this.accessLogBucket = logs.bucket.bucket;
            accessLogs = { bucket: logs.bucket.bucket, prefix: ACCESS_LOG_PREFIX, enabled: true };
            // AWS checks it may write to the bucket when the ALB is created.
            dependsOn.push(logs.policy);
        }

        const alb = new aws.lb.LoadBalancer(
            `${name}-alb`,
            {
                loadBalancerType: "application",
                internal: false,
                subnets: args.subnetIds,
                securityGroups: [args.securityGroupId],
                dropInvalidHeaderFields: args.dropInvalidHeaders ?? false,
                // strictest answers 400 to requests that are merely sloppy (RFC 7230 grey areas), which an API
                // gateway's clients send; defensive still blocks the ones that can desync the ALB and its targets.
                desyncMitigationMode: "defensive",
                enableDeletionProtection: deletionProtection,
                idleTimeout: IDLE_TIMEOUT_SECONDS,
                enableHttp2: true,
                accessLogs,
            },
            { parent: this, dependsOn },
        );

        this.targetGroups = TARGET_GROUPS.map((spec) => {
            const group = new aws.lb.TargetGroup(
                `${name}-${spec.key}`,
                {
                    vpcId: args.vpcId,
                    targetType: "instance",
                    protocol: "HTTPS",
                    protocolVersion: "HTTP1",
                    port: spec.port,
                    deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
                    healthCheck: { enabled: true, ...TARGET_HEALTH_CHECK },
                    stickiness: spec.stickiness
                        ? { enabled: true, type: "lb_cookie", cookieDuration: PORTAL_STICKINESS_SECONDS }
                        : { enabled: false, type: "lb_cookie" },
                    tags: { "wso2:targetGroup": spec.key },
                },
                { parent: this },
            );
            return { key: spec.key, arn: group.arn, arnSuffix: group.arnSuffix, port: spec.port };
        });
        const groupArn = (key: TargetGroupKey) => this.targetGroups.find((g) => g.key === key)!.arn;

        const notFound = {
            type: "fixed-response",
            fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Unknown host" },
        };
        const listeners = new Map<number, aws.lb.Listener>();
        for (const spec of LISTENERS) {
            const listener =
                spec.kind === "https"
                    ? new aws.lb.Listener(
                          `${name}-https-${spec.port}`,
                          {
                              loadBalancerArn: alb.arn,
                              port: spec.port,
                              protocol: "HTTPS",
                              sslPolicy: TLS_POLICY,
                              certificateArn: args.certificateArn,
                              defaultActions: [notFound],
                          },
                          { parent: this },
                      )
                    : new aws.lb.Listener(
                          `${name}-http-${spec.port}`,
                          {
                              loadBalancerArn: alb.arn,
                              port: spec.port,
                              protocol: "HTTP",
                              defaultActions: [
                                  {
                                      type: "redirect",
                                      redirect: { protocol: "HTTPS", port: String(PORTS.loadBalancerHttps), statusCode: "HTTP_301" },
                                  },
                              ],
                          },
                          { parent: this },
                      );
            listeners.set(spec.port, listener);
        }

        for (const route of loadBalancerRoutes(args.hostNames)) {
            new aws.lb.ListenerRule(
                `${name}-${route.targetGroup}-on-${route.listenerPort}`,
                {
                    listenerArn: listeners.get(route.listenerPort)!.arn,
                    priority: route.priority,
                    conditions: [
                        { hostHeader: { values: [route.host] } },
                        ...(route.header ? [{ httpHeader: { httpHeaderName: route.header.name, values: [...route.header.values] } }] : []),
                    ],
                    actions: [{ type: "forward", targetGroupArn: groupArn(route.targetGroup) }],
                },
                { parent: this },
            );
        }

        if (args.publicZoneId !== undefined) {
            for (const [part, host] of [["portal", args.hostNames.portal], ["gateway", args.hostNames.gateway]] as const) {
                new aws.route53.Record(
                    `${name}-${part}-alias`,
                    {
                        zoneId: args.publicZoneId,
                        name: host,
                        type: "A",
                        aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
                    },
                    { parent: this },
                );
            }
        }

        this.arn = alb.arn;
        this.arnSuffix = alb.arnSuffix;
        this.dnsName = alb.dnsName;
        this.zoneId = alb.zoneId;
        this.registerOutputs({ arn: this.arn, dnsName: this.dnsName, zoneId: this.zoneId, accessLogBucket: this.accessLogBucket });
    }

    /** Private, SSE-S3 encrypted (the only encryption ALB log delivery supports), expiring bucket. */
    private createAccessLogBucket(name: string, deletionProtection: boolean, retentionDays: number) {
        const opts = { parent: this };
        // Auto-named: no fixed bucket name to collide with on replacement or in another stack.
        const bucket = new aws.s3.Bucket(`${name}-logs`, { forceDestroy: !deletionProtection }, opts);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(
            `${name}-logs-public-access`,
            { bucket: bucket.bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            opts,
        );
        new aws.s3.BucketOwnershipControls(`${name}-logs-ownership`, { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
        // SSE-S3, not the stack key: ALB access-log delivery writes only to buckets encrypted with S3-managed keys.
        new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-logs-encryption`,
            { bucket: bucket.bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
            opts,
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-logs-expiry`,
            {
                bucket: bucket.bucket,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: { prefix: "" },
                        expiration: { days: retentionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
            },
            opts,
        );
        // Regions opened after August 2022 have no ELB account (the lookup fails there); the service principal covers them.
        const elbAccountArn = aws.elb.getServiceAccount({}, opts).then(
            (account) => account.arn as string | undefined,
            () => undefined,
        );
        const caller = aws.getCallerIdentityOutput({}, opts);
        const policy = new aws.s3.BucketPolicy(
            `${name}-logs-policy`,
            {
                bucket: bucket.bucket,
                policy: pulumi
                    .all([bucket.arn, caller.accountId, elbAccountArn])
                    .apply(([bucketArn, accountId, elbAccountArn]) =>
                        JSON.stringify(accessLogBucketPolicy({ bucketArn, prefix: ACCESS_LOG_PREFIX, accountId, elbAccountArn })),
                    ),
            },
            // S3 rejects a policy change while the public access block is still being applied.
            { ...opts, dependsOn: [publicAccess] },
        );
        return { bucket, policy };
    }
}
