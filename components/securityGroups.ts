import * as pulumi from "@pulumi/pulumi";
import * as aws from "../lib/aws/services";
import {
    SECURITY_GROUP_DESCRIPTIONS,
    SecurityGroupRole,
    isGatewayBootRule,
    isNodeBootRule,
    securityGroupNamePart,
    securityGroupRoles,
    securityGroupRuleKey,
    securityGroupRules,
} from "../lib/aws/securityGroupRules";

export interface SecurityGroupsArgs {
    /** VPC the four groups belong to. */
    readonly vpcId: pulumi.Input<string>;
    /** CIDRs allowed to reach the load balancer on 443 and 80; at least one. */
    readonly allowedClientCidrs: readonly string[];
    /** Also create the VPC interface endpoints' group (HTTPS from the nodes, and the gateways with them). Default false. */
    readonly vpcEndpoints?: boolean;
    /**
     * Also create the Universal Gateways' group: the load balancer reaches the gateways on their target
     * ports and the health check's, the gateways reach the nodes on the control-plane ports, and the load
     * balancer reaches the nodes on the portal port only. Default false.
     */
    readonly gateways?: boolean;
}

/**
 * The security groups (load balancer, nodes, database, file system, with gateways the gateways' group and
 * with vpcEndpoints the endpoints' group), created without inline rules;
 * every rule of lib/aws/securityGroupRules.ts becomes one separate rule resource, which breaks the
 * load balancer ↔ node ↔ database/EFS reference cycle.
 */
export class SecurityGroups extends pulumi.ComponentResource {
    readonly loadBalancerSgId: pulumi.Output<string>;
    readonly nodeSgId: pulumi.Output<string>;
    readonly databaseSgId: pulumi.Output<string>;
    readonly fileSystemSgId: pulumi.Output<string>;
    /** The rule resources a node's boot needs before it reaches its database step (lib/aws/securityGroupRules.ts isNodeBootRule). */
    readonly nodeBootRules: readonly pulumi.Resource[];
    /** Only with vpcEndpoints. */
    readonly vpcEndpointSgId?: pulumi.Output<string>;
    /** Only with gateways. */
    readonly gatewaySgId?: pulumi.Output<string>;
    /** The rule resources a gateway's boot needs (lib/aws/securityGroupRules.ts isGatewayBootRule); empty without gateways. */
    readonly gatewayBootRules: readonly pulumi.Resource[];

    constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("wso2-apim-ha:securityGroups:SecurityGroups", name, {}, opts);

        // Without inline egress the provider also removes AWS's default allow-all egress rule.
        const options = { vpcEndpoints: args.vpcEndpoints ?? false, gateways: args.gateways ?? false };
        const ids = {} as Record<SecurityGroupRole, pulumi.Output<string>>;
        for (const role of securityGroupRoles(options)) {
            ids[role] = new aws.ec2.SecurityGroup(
                `${name}-${securityGroupNamePart(role)}`,
                { vpcId: args.vpcId, description: SECURITY_GROUP_DESCRIPTIONS[role], revokeRulesOnDelete: true },
                { parent: this },
            ).id;
        }

        const nodeBootRules: pulumi.Resource[] = [];
        const gatewayBootRules: pulumi.Resource[] = [];
        for (const rule of securityGroupRules(args.allowedClientCidrs, options)) {
            const common = {
                securityGroupId: ids[rule.group],
                description: rule.description,
                ipProtocol: "tcp",
                fromPort: rule.port,
                toPort: rule.port,
                ...(rule.peer.kind === "cidr" ? { cidrIpv4: rule.peer.cidr } : { referencedSecurityGroupId: ids[rule.peer.group] }),
            };
            const ruleName = `${name}-${securityGroupRuleKey(rule)}`;
            const resource =
                rule.direction === "ingress"
                    ? new aws.vpc.SecurityGroupIngressRule(ruleName, common, { parent: this })
                    : new aws.vpc.SecurityGroupEgressRule(ruleName, common, { parent: this });
            if (isNodeBootRule(rule)) nodeBootRules.push(resource);
            if (isGatewayBootRule(rule)) gatewayBootRules.push(resource);
        }
        this.nodeBootRules = nodeBootRules;
        this.gatewayBootRules = gatewayBootRules;

        this.loadBalancerSgId = ids.loadBalancer;
        this.nodeSgId = ids.node;
        this.databaseSgId = ids.database;
        this.fileSystemSgId = ids.fileSystem;
        this.vpcEndpointSgId = ids.vpcEndpoint;
        this.gatewaySgId = ids.gateway;
        this.registerOutputs({
            vpcEndpointSgId: this.vpcEndpointSgId,
            gatewaySgId: this.gatewaySgId,
            loadBalancerSgId: this.loadBalancerSgId,
            nodeSgId: this.nodeSgId,
            databaseSgId: this.databaseSgId,
            fileSystemSgId: this.fileSystemSgId,
        });
    }
}
