import { StackConfig } from "../config/stackConfig";
import { ClusterPlan } from "../plan/clusterPlan";
import { renderGatewayDeploymentToml } from "./gatewayDeploymentToml";
import { GatewayCloudFacts, gatewayEnvironment } from "./nodeEnvironment";
import { RenderedUserData, WriteFile, cloudConfigOf, compressUserData, machineFiles } from "./nodeUserData";

export { GatewayCloudFacts } from "./nodeEnvironment";

/**
 * The files every Universal Gateway receives, by their path on the gateway: the node's paths and loader, with
 * the gateway role's env file (ROLE=gateway), deployment.toml and unit (installed as wso2am.service, running
 * bin/gateway.sh), and log streams named `gateway/{instance_id}/…`.
 */
export function gatewayFiles(config: StackConfig, plan: ClusterPlan, facts: GatewayCloudFacts): WriteFile[] {
    if (!plan.gateways) throw new Error("gateway user data: the stack has no Universal Gateways (gatewaysEnabled is false)");
    return machineFiles(plan, facts, {
        environment: gatewayEnvironment(config, plan, facts),
        deploymentToml: renderGatewayDeploymentToml(config, plan),
        unitTemplate: "wso2am-gateway.service",
        logStreamPrefix: plan.gateways.name,
    });
}

/**
 * The user data of the gateways' launch template, the same for every gateway (they are stateless); gzip'd
 * and checked as a node's is, so an unchanged configuration makes no new template version.
 */
export function renderGatewayUserData(config: StackConfig, plan: ClusterPlan, facts: GatewayCloudFacts): RenderedUserData {
    return compressUserData(plan.gateways?.name ?? "the gateways", cloudConfigOf(plan, gatewayFiles(config, plan, facts)));
}
