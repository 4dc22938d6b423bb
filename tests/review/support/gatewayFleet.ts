import * as zlib from "zlib";
import type { RecordedResource } from "../../../lib/offline/offlineMocks";
import { sha256Hex } from "../../../lib/node/bootScript";
import { gatewayGroupArgs, gatewayLaunchTemplateArgs, gatewayScalingPolicyArgs } from "../../../lib/aws/gatewayFleet";

/**
 * A Universal Gateway fleet laid over a rendered stack, shaped as components/gatewayFleet.ts declares it
 * (its template and group settings come from the same lib/aws/gatewayFleet.ts functions), so the review
 * tools and the policy pack can be tested on gateways with any render.
 */

export interface FleetOptions {
    readonly instanceType?: string;
    readonly minSize?: number;
    readonly maxSize?: number;
    /** Extra text in the gateway's env file, to make its user data differ. */
    readonly envExtra?: string;
    /** Changes laid over the template's and the group's inputs. */
    readonly template?: Record<string, unknown>;
    readonly group?: Record<string, unknown>;
}

const named = (resources: readonly RecordedResource[], name: string) => {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`the render has no ${name}`);
    return found;
};

export const GATEWAY_ENV_PATH = "/etc/wso2am/gateway.env";

/** The gateways' cloud-config: an env file, and the loader's env naming the stack's boot script. */
export function gatewayCloudConfig(bootObject: RecordedResource, envExtra = ""): string {
    const content = String(bootObject.inputs.content);
    const loaderEnv = [
        `BOOT_SCRIPT_BUCKET="${bootObject.inputs.bucket}"`,
        `BOOT_SCRIPT_KEY="${bootObject.inputs.key}"`,
        `BOOT_SCRIPT_SHA256="${sha256Hex(content)}"`,
        `BOOT_SCRIPT_PATH="/usr/local/sbin/wso2am-bootstrap"`,
    ];
    const gatewayEnv = ['NODE_NAME="gateway"', 'CONTROL_PLANE_HOST_NAME="control-plane.apim.internal"', ...(envExtra ? [envExtra] : [])];
    const file = (path: string, lines: string[]) => [`  - path: ${path}`, '    permissions: "0644"', "    content: |", ...lines.map((l) => `      ${l}`)];
    return ["#cloud-config", "write_files:", ...file(GATEWAY_ENV_PATH, gatewayEnv), ...file("/etc/wso2am/boot-loader.env", loaderEnv), "runcmd:", "  - [/usr/local/sbin/wso2am-boot-loader]", ""].join("\n");
}

export function gatewayUserData(bootObject: RecordedResource, envExtra = ""): string {
    return zlib.gzipSync(Buffer.from(gatewayCloudConfig(bootObject, envExtra))).toString("base64");
}

/** `resources` with a gateway fleet added beside the pair, in the private subnets, behind the gateway and WebSocket target groups. */
export function withGatewayFleet(resources: readonly RecordedResource[], options: FleetOptions = {}): RecordedResource[] {
    const res = (type: string, name: string, parent: string | null, inputs: Record<string, any>, outputs: Record<string, any> = {}, propertyDependencies: Record<string, string[]> = {}): RecordedResource => ({
        type,
        name,
        id: type.startsWith("wso2-apim-ha:") ? undefined : `${name}-id`,
        parent,
        inputs,
        outputs: { ...inputs, ...outputs },
        dependsOn: Object.values(propertyDependencies).flat(),
        propertyDependencies,
        custom: !type.startsWith("wso2-apim-ha:"),
        protect: false,
    });
    const subnets = ["wso2-network-private-1", "wso2-network-private-2"].map((n) => named(resources, n));
    const targetGroups = ["wso2-lb-gateway", "wso2-lb-websocket"].map((n) => named(resources, n));
    const lbGroup = named(resources, "wso2-sg-load-balancer");
    const nodeGroup = named(resources, "wso2-sg-node");
    const key = named(resources, "wso2-kms-key");
    const secret = named(resources, "wso2-secrets-secret");
    const bucket = named(resources, "wso2-boot-bucket");
    const bootObject = resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!;

    const fleet = "wso2-gateways";
    const sgId = "sg-gateway000000000";
    const sg = { ...res("aws:ec2/securityGroup:SecurityGroup", "wso2-sg-gateway", "wso2-sg", { description: "WSO2 Universal Gateways" }), id: sgId };
    const rule = (direction: "in" | "out", group: RecordedResource | string, port: number, peer: { group?: RecordedResource | string; cidr?: string }) => {
        const groupId = typeof group === "string" ? group : String(group.id);
        const peerId = peer.group === undefined ? undefined : typeof peer.group === "string" ? peer.group : String(peer.group.id);
        const name = `wso2-sg-${groupId}-${direction}-${port}-${peerId ?? peer.cidr}`;
        return res(
            direction === "in" ? "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" : "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            name,
            "wso2-sg",
            { securityGroupId: groupId, ipProtocol: "tcp", fromPort: port, toPort: port, description: "why", ...(peerId ? { referencedSecurityGroupId: peerId } : { cidrIpv4: peer.cidr }) },
        );
    };
    const rules = [
        ...[8243, 8099, 9443].flatMap((port) => [rule("out", lbGroup, port, { group: sgId }), rule("in", sgId, port, { group: lbGroup })]),
        ...[9443, 8672].flatMap((port) => [rule("out", sgId, port, { group: nodeGroup }), rule("in", nodeGroup, port, { group: sgId })]),
        rule("out", sgId, 443, { cidr: "0.0.0.0/0" }),
    ];
    const role = res("aws:iam/role:Role", `${fleet}-identity-role`, `${fleet}-identity`, { assumeRolePolicy: "{}" }, { name: `${fleet}-identity-role-1a2b` });
    const profile = res("aws:iam/instanceProfile:InstanceProfile", `${fleet}-identity-profile`, `${fleet}-identity`, { role: role.outputs.name }, { name: `${fleet}-profile-1a2b`, arn: "arn:aws:iam::123456789012:instance-profile/gw" }, { role: [role.name] });
    const policy = res("aws:iam/rolePolicy:RolePolicy", `${fleet}-identity-policy`, `${fleet}-identity`, {
        role: role.id,
        policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret.outputs.arn] },
                { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucket.outputs.arn}/boot/*`] },
            ],
        }),
    });
    const ssm = res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${fleet}-identity-ssm`, `${fleet}-identity`, { role: role.outputs.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" }, {}, { role: [role.name] });
    const templateArgs = gatewayLaunchTemplateArgs<string>({
        imageId: "ami-0123456789abcdef0",
        instanceType: options.instanceType ?? "c6i.large",
        instanceProfileName: String(profile.outputs.name),
        securityGroupId: sgId,
        kmsKeyArn: String(key.outputs.arn),
        userDataBase64: gatewayUserData(bootObject, options.envExtra),
        tags: { Name: "gateway", "wso2:role": "gateway" },
    });
    const template = res("aws:ec2/launchTemplate:LaunchTemplate", `${fleet}-template`, fleet, { ...templateArgs, ...options.template }, { latestVersion: 1 }, {
        iamInstanceProfile: [profile.name],
        networkInterfaces: [sg.name],
        blockDeviceMappings: [key.name],
    });
    const groupArgs = gatewayGroupArgs<string>({
        subnetIds: subnets.map((s) => String(s.id)),
        minSize: options.minSize ?? 2,
        maxSize: options.maxSize ?? 6,
        targetGroupArns: targetGroups.map((g) => String(g.outputs.arn)),
        launchTemplateId: String(template.id),
        launchTemplateVersion: "1",
        tags: { Project: "wso2-apim-ha" },
    });
    const group = res("aws:autoscaling/group:Group", `${fleet}-group`, fleet, { ...groupArgs, ...options.group }, { name: `${fleet}-group-1a2b` }, {
        vpcZoneIdentifiers: subnets.map((s) => s.name),
        targetGroupArns: targetGroups.map((g) => g.name),
        launchTemplate: [template.name],
    });
    const scaling = res("aws:autoscaling/policy:Policy", `${fleet}-cpu-target`, fleet, gatewayScalingPolicyArgs(String(group.outputs.name), 60), {}, { autoscalingGroupName: [group.name] });
    const component = res("wso2-apim-ha:gatewayFleet:GatewayFleet", fleet, "wso2", {});
    const identity = res("wso2-apim-ha:nodeIdentity:NodeIdentity", `${fleet}-identity`, fleet, {});
    return [...resources, component, identity, sg, ...rules, role, profile, policy, ssm, template, group, scaling];
}
