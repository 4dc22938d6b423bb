import * as fs from "fs";
import * as path from "path";
import type { RecordedResource } from "../../lib/offline/offlineMocks";
import { plain } from "../support/componentRun";
import { scratchDir } from "../support/scratchDir";
import { RESOURCE_TYPES } from "../../lib/review/resourceTypes";

/**
 * Reads a recorded program run the way AWS would wire it: by the ids and ARNs resources pass to one
 * another, not by resource names.
 */

/** The review tools' type tokens, and the few more the program tests read. */
export const T = {
    ...RESOURCE_TYPES,
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    record: "aws:route53/record:Record",
    gate: "command:local:Command",
    natGateway: RESOURCE_TYPES.nat,
    snsTopic: "aws:sns/topic:Topic",
    vpcEndpoint: RESOURCE_TYPES.endpoint,
    bucket: RESOURCE_TYPES.buckets[0],
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    policy: "aws:iam/policy:Policy",
    certificate: "aws:acm/certificate:Certificate",
    autoScalingGroup: "aws:autoscaling/group:Group",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    scalingPolicy: "aws:autoscaling/policy:Policy",
} as const;

export class ProgramModel {
    readonly resources: RecordedResource[];

    constructor(resources: readonly RecordedResource[]) {
        // Secret wrappers removed, so inputs read as the values AWS would receive.
        this.resources = resources.map((r) => ({ ...r, inputs: plain(r.inputs), outputs: plain(r.outputs) }));
    }

    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    named(name: string): RecordedResource {
        const found = this.resources.find((r) => r.name === name);
        if (!found) throw new Error(`no resource named ${name}`);
        return found;
    }

    byId(type: string, id: string): RecordedResource {
        const found = this.ofType(type).find((r) => r.id === id);
        if (!found) throw new Error(`no ${type} with id ${id}`);
        return found;
    }

    byArn(type: string, arn: string): RecordedResource {
        const found = this.ofType(type).find((r) => r.outputs.arn === arn);
        if (!found) throw new Error(`no ${type} with ARN ${arn}`);
        return found;
    }

    /** Instances in node order (by their wso2:node tag). */
    instances(): RecordedResource[] {
        return this.ofType(T.instance).sort((a, b) => nodeIndex(a) - nodeIndex(b));
    }

    /**
     * The node port a request for `host` with `headers` on load balancer port `listenerPort` reaches, and
     * what is behind it: instances attached to the target group, and Auto Scaling groups that register
     * theirs in it (on the group's port). Rules are evaluated as the ALB does: lowest priority first, every
     * condition of a rule must match, host and header values case-insensitively.
     */
    route(
        host: string,
        listenerPort: number,
        headers: Readonly<Record<string, string>> = {},
    ): { targetPort: number; instanceIds: string[]; attachmentPorts: number[]; autoScalingGroups: string[] } | undefined {
        const listener = this.ofType(T.listener).find((l) => l.inputs.port === listenerPort);
        if (!listener) return undefined;
        const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
        const sameText = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();
        const matches = (c: any): boolean => {
            if (c.hostHeader) return c.hostHeader.values.some((v: string) => sameText(host, v));
            if (c.httpHeader) return c.httpHeader.values.some((v: string) => sameText(header(c.httpHeader.httpHeaderName), v));
            throw new Error(`condition not understood by the model: ${JSON.stringify(c)}`);
        };
        const rule = this.ofType(T.listenerRule)
            .filter((r) => r.inputs.listenerArn === listener.outputs.arn)
            .sort((a, b) => a.inputs.priority - b.inputs.priority)
            .find((r) => r.inputs.conditions.every(matches));
        if (!rule) return undefined;
        const forward = rule.inputs.actions.find((a: any) => a.type === "forward");
        const group = this.byArn(T.targetGroup, forward.targetGroupArn);
        const attachments = this.ofType(T.attachment).filter((a) => a.inputs.targetGroupArn === group.outputs.arn);
        const autoScalingGroups = this.ofType(T.autoScalingGroup).filter((g) => (g.inputs.targetGroupArns ?? []).includes(group.outputs.arn));
        return {
            targetPort: group.inputs.port,
            instanceIds: attachments.map((a) => a.inputs.targetId).sort(),
            attachmentPorts: [...new Set(attachments.map((a) => a.inputs.port as number))],
            autoScalingGroups: autoScalingGroups.map((g) => g.name).sort(),
        };
    }

    /** Security group ids by what they are attached to; the gateways' only when the stack has a launch template. */
    groups(): { loadBalancer: string; node: string; database: string; fileSystem: string; gateway?: string } {
        const only = (ids: string[], what: string) => {
            const unique = [...new Set(ids)];
            if (unique.length !== 1) throw new Error(`expected one security group on ${what}, found ${unique.join(", ")}`);
            return unique[0];
        };
        const templates = this.ofType(T.launchTemplate);
        return {
            loadBalancer: only(this.ofType(T.alb).flatMap((r) => r.inputs.securityGroups), "the load balancer"),
            node: only(this.ofType(T.instance).flatMap((r) => r.inputs.vpcSecurityGroupIds), "the nodes"),
            database: only(this.ofType(T.rds).flatMap((r) => r.inputs.vpcSecurityGroupIds), "the database"),
            fileSystem: only(this.ofType(T.mountTarget).flatMap((r) => r.inputs.securityGroups), "the EFS mount targets"),
            ...(templates.length > 0
                ? { gateway: only(templates.flatMap((t) => t.inputs.networkInterfaces.flatMap((n: { securityGroups: string[] }) => n.securityGroups)), "the gateways") }
                : {}),
        };
    }

    /**
     * Whether TCP traffic to `port` may flow from a source (a CIDR, or a security group) to a security
     * group: the target must allow it in, and a source group must also allow it out.
     */
    allows(from: { cidr: string } | { group: string }, toGroup: string, port: number): boolean {
        const covers = (r: RecordedResource) =>
            r.inputs.ipProtocol === "-1" || (r.inputs.ipProtocol === "tcp" && r.inputs.fromPort <= port && port <= r.inputs.toPort);
        const inAllowed = this.ofType(T.ingress).some(
            (r) =>
                r.inputs.securityGroupId === toGroup &&
                covers(r) &&
                ("cidr" in from ? r.inputs.cidrIpv4 === from.cidr || r.inputs.cidrIpv4 === "0.0.0.0/0" : r.inputs.referencedSecurityGroupId === from.group),
        );
        if (!inAllowed || "cidr" in from) return inAllowed;
        return this.ofType(T.egress).some(
            (r) => r.inputs.securityGroupId === from.group && covers(r) && (r.inputs.referencedSecurityGroupId === toGroup || r.inputs.cidrIpv4 === "0.0.0.0/0"),
        );
    }

    /** Every resource `name` waits for, directly or through others; `through` limits which resources are followed. */
    dependencyClosure(name: string, through: (r: RecordedResource) => boolean = () => true): Set<string> {
        const seen = new Set<string>();
        const queue = [...this.named(name).dependsOn];
        while (queue.length > 0) {
            const next = queue.pop()!;
            if (seen.has(next)) continue;
            seen.add(next);
            const resource = this.resources.find((r) => r.name === next);
            if (resource && through(resource)) queue.push(...resource.dependsOn);
        }
        return seen;
    }
}

export function nodeIndex(instance: RecordedResource): number {
    return Number(/^apim-(\d+)$/.exec(instance.inputs.tags?.["wso2:node"] ?? "")?.[1] ?? NaN);
}

/** A fresh temporary folder for one render. */
export function tempRenderDir(label: string): string {
    return scratchDir(`render-${label}`);
}

/** Every file below `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
}
