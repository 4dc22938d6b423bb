import { ClusterPlan, NodePlan } from "../plan/clusterPlan";

/** Where Amazon Linux's CloudWatch agent reads its configuration. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json";

/**
 * CloudWatch agent configuration of one node: its boot log (everything the boot script prints) and the
 * server's own logs go to the stack's node log group, one stream per node, instance and file, so an
 * operator can follow a node that never became healthy without logging in.
 */
export function cloudWatchAgentConfig(plan: ClusterPlan, node: NodePlan, logGroupName: string): object {
    const logs = `${plan.paths.apimHome}/repository/logs`;
    const file = (filePath: string, stream: string, multiLineStart?: string) => ({
        file_path: filePath,
        log_group_name: logGroupName,
        log_stream_name: `${node.name}/{instance_id}/${stream}`,
        timezone: "UTC",
        ...(multiLineStart ? { multi_line_start_pattern: multiLineStart } : {}),
    });
    // WSO2's log lines start with "[2026-01-31 12:00:00,000]"; anything else continues a stack trace.
    const wso2Line = "^\\[\\d{4}-\\d{2}-\\d{2}";
    return {
        // The server's logs are readable by its own group only (UMask 0027).
        agent: { run_as_user: "root" },
        logs: {
            logs_collected: {
                files: {
                    collect_list: [
                        file("/var/log/cloud-init-output.log", "boot"),
                        file(`${logs}/wso2carbon.log`, "wso2carbon", wso2Line),
                        file(`${logs}/wso2-apigw-errors.log`, "gateway-errors", wso2Line),
                        file(`${logs}/audit.log`, "audit", wso2Line),
                    ],
                },
            },
        },
    };
}
