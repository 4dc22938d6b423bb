import { ClusterPlan } from "../plan/clusterPlan";

/** Where Amazon Linux's CloudWatch agent reads its configuration. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";

/**
 * The CloudWatch namespace of the nodes' own metrics: the log group's name without its leading slash, so
 * each stack's metrics are apart from every other stack's and the node role can be limited to them.
 */
export function nodeMetricsNamespace(logGroupName: string): string {
    return logGroupName.replace(/^\/+/, "");
}

/** Main class on the command line of the server JVM (bin/api-manager.sh, or a gateway's bin/gateway.sh, starts it; nothing else runs it). */
export const JVM_MAIN_CLASS_PATTERN = "org\\.wso2\\.carbon\\.bootstrap\\.Bootstrap";

/**
 * First lines of WSO2's log records (API-M 4.5-4.7 log4j2 layouts); any other line continues the record
 * before it (a stack trace). wso2carbon.log and audit.log start with the tenant id, the gateway error
 * log with an ISO 8601 time.
 */
export const WSO2_RECORD_START = {
    tenantPrefixed: "^TID: \\[",
    isoTimestamp: "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}",
} as const;

/** Log stream names, after `<node or gateway>/<instance id>/`; lib/aws/logQueries.ts filters on them. */
export const LOG_STREAMS = {
    boot: "boot",
    carbon: "wso2carbon",
    gatewayErrors: "gateway-errors",
    audit: "audit",
    httpAccess: "http-access",
} as const;

/**
 * CloudWatch agent configuration of one node, or of every gateway (`machine` is the node's plan or the
 * gateways' name: the first part of each stream name, `gateway/{instance_id}/boot` on a gateway).
 *
 * Logs: the boot log (everything the boot script prints) and the server's logs go to the given log group
 * (the nodes' or the gateways'), one stream per machine, instance and file, so an operator can follow a
 * machine that never became healthy without logging in. The servlet access log (Tomcat's http_access_<date>.log, on by default,
 * covering the portals, REST APIs and token endpoint on 9443) is shipped for the 5xx query.
 *
 * Metrics: memory used, root disk used and the number of API-M JVMs, per instance, into the stack's own
 * namespace. Rolled up to the InstanceId dimension alone so alarms need not know the disk's device or
 * file system type, nor the process pattern.
 */
export function cloudWatchAgentConfig(plan: ClusterPlan, machine: { readonly name: string }, logGroupName: string): object {
    const logs = `${plan.paths.apimHome}/repository/logs`;
    const file = (filePath: string, stream: string, multiLineStart?: string) => ({
        file_path: filePath,
        log_group_name: logGroupName,
        log_stream_name: `${machine.name}/{instance_id}/${stream}`,
        timezone: "UTC",
        ...(multiLineStart ? { multi_line_start_pattern: multiLineStart } : {}),
    });
    return {
        // The server's logs are readable by its own group only (UMask 0027).
        agent: { run_as_user: "root", metrics_collection_interval: 60 },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        file("/var/log/cloud-init-output.log", LOG_STREAMS.boot),
                        file(`${logs}/wso2carbon.log`, LOG_STREAMS.carbon, WSO2_RECORD_START.tenantPrefixed),
                        file(`${logs}/wso2-apigw-errors.log`, LOG_STREAMS.gatewayErrors, WSO2_RECORD_START.isoTimestamp),
                        file(`${logs}/audit.log`, LOG_STREAMS.audit, WSO2_RECORD_START.tenantPrefixed),
                        // One file per day; the agent follows the newest. The date keeps the gateway's own
                        // (off by default) http_access.log and its rolled files out.
                        file(`${logs}/http_access_20??-??-??.log`, LOG_STREAMS.httpAccess),
                    ],
                },
            },
        },
        metrics: {
            namespace: nodeMetricsNamespace(logGroupName),
            // With append_dimensions the agent also drops its default host-name dimension.
            append_dimensions: { InstanceId: "${aws:InstanceId}" },
            aggregation_dimensions: [["InstanceId"]],
            metrics_collected: {
                mem: { measurement: ["mem_used_percent"] },
                // The device name changes between Nitro boots; the mount point does not.
                disk: { resources: ["/"], measurement: ["disk_used_percent"], drop_device: true },
                procstat: [{ pattern: JVM_MAIN_CLASS_PATTERN, measurement: ["pid_count"] }],
            },
        },
    };
}
