import type { RenderedResource } from "./renderedResource";
import { RESOURCE_TYPES } from "./resourceTypes";

/**
 * Each Auto Scaling group of a render with the launch template it launches from, read once for the
 * picture, the cost and the diff: what its instances run, how many there may be, and what they join.
 */

const T = RESOURCE_TYPES;

export interface AutoScalingGroupView {
    readonly group: RenderedResource;
    /** The launch template the group names (by id or name); undefined when it is not in the render. */
    readonly template?: RenderedResource;
    /** The group of the gateway fleet component (components/gatewayFleet.ts), whose files the render writes to gateway/. */
    readonly gatewayFleet: boolean;
    /** "Universal Gateways" for the gateway fleet's group, else "Auto Scaling group <name>". */
    readonly label: string;
    readonly instanceType?: string;
    readonly minSize: number;
    readonly maxSize: number;
    readonly subnetIds: readonly string[];
    /** Target groups the group registers its instances in: its own targetGroupArns and autoscaling attachments. */
    readonly targetGroupArns: readonly string[];
    /** Security groups the template puts on the instances' network interfaces. */
    readonly securityGroupIds: readonly string[];
    /** The template's instance profile, by name or ARN. */
    readonly instanceProfile?: string;
    /** Root and data volumes the template maps (EBS only). */
    readonly volumes: readonly { readonly deviceName?: string; readonly volumeType: string; readonly sizeGb?: number }[];
    readonly detailedMonitoring: boolean;
}

export function autoScalingGroups(resources: readonly RenderedResource[]): AutoScalingGroupView[] {
    const templates = resources.filter((r) => r.type === T.launchTemplate);
    const fleets = new Set(resources.filter((r) => r.type === T.gatewayFleet).map((r) => r.name));
    return resources
        .filter((r) => r.type === T.autoScalingGroup)
        .map((group) => {
            const template = templateOf(group, templates);
            const t = template?.inputs ?? {};
            const groupName = String(group.outputs?.name ?? group.inputs.name ?? group.name);
            const attached = resources
                .filter((a) => a.type === T.autoScalingAttachment && a.inputs.autoscalingGroupName === groupName)
                .map((a) => String(a.inputs.lbTargetGroupArn ?? a.inputs.albTargetGroupArn ?? ""));
            const gatewayFleet = group.parent !== null && fleets.has(group.parent);
            return {
                group,
                template,
                gatewayFleet,
                label: gatewayFleet ? "Universal Gateways" : `Auto Scaling group ${group.name}`,
                instanceType: t.instanceType === undefined ? undefined : String(t.instanceType),
                minSize: Number(group.inputs.minSize ?? 0),
                maxSize: Number(group.inputs.maxSize ?? group.inputs.minSize ?? 0),
                subnetIds: [...(group.inputs.vpcZoneIdentifiers ?? [])].map(String),
                targetGroupArns: [...new Set([...(group.inputs.targetGroupArns ?? []).map(String), ...attached].filter(Boolean))],
                securityGroupIds: [
                    ...new Set([...(t.vpcSecurityGroupIds ?? []), ...(t.networkInterfaces ?? []).flatMap((n: any) => n.securityGroups ?? [])].map(String)),
                ],
                instanceProfile: t.iamInstanceProfile?.name ?? t.iamInstanceProfile?.arn,
                volumes: (t.blockDeviceMappings ?? [])
                    .filter((m: any) => m.ebs)
                    .map((m: any) => ({
                        deviceName: m.deviceName,
                        volumeType: String(m.ebs.volumeType ?? "gp3"),
                        sizeGb: m.ebs.volumeSize === undefined ? undefined : Number(m.ebs.volumeSize),
                    })),
                detailedMonitoring: t.monitoring?.enabled === true || t.monitoring?.enabled === "true",
            };
        });
}

/** The template a group launches from: its launchTemplate, or a mixed instances policy's. */
function templateOf(group: RenderedResource, templates: readonly RenderedResource[]): RenderedResource | undefined {
    const spec = group.inputs.launchTemplate ?? group.inputs.mixedInstancesPolicy?.launchTemplate?.launchTemplateSpecification;
    if (!spec) return undefined;
    const id = spec.id ?? spec.launchTemplateId;
    const name = spec.name ?? spec.launchTemplateName;
    return templates.find((t) => (id !== undefined && t.id === id) || (name !== undefined && (t.outputs?.name ?? t.inputs.name) === name));
}

/** "2–6", or "2" when the group cannot grow. */
export function sizeRange(view: Pick<AutoScalingGroupView, "minSize" | "maxSize">): string {
    return view.minSize === view.maxSize ? String(view.minSize) : `${view.minSize}–${view.maxSize}`;
}
