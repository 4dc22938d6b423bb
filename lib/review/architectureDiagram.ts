import type { RenderedResource } from "./renderedResource";
import { Flowchart, FlowEdge, FlowGroup, FlowItem, FlowNode, mermaidId, renderFlowchart } from "./mermaidFlowchart";
import { RESOURCE_TYPES } from "./resourceTypes";
import { AutoScalingGroupView, autoScalingGroups, sizeRange } from "./autoScalingGroups";

/**
 * The architecture picture of a render, read off the recorded resources (never drawn by hand): the
 * public and private subnets per zone, the load balancer's host names and listener ports → target
 * groups → node ports, the nodes, any Auto Scaling group (the Universal Gateways), database, file share,
 * secret and boot bucket, and every port a security-group rule opens between them (dotted). Resources
 * refer to one another by id and ARN, as in AWS.
 */

const T = RESOURCE_TYPES;

export function architectureDiagram(resources: readonly RenderedResource[]): string {
    return renderFlowchart(architectureFlowchart(resources));
}

export function architectureFlowchart(resources: readonly RenderedResource[]): Flowchart {
    const of = (type: string) => resources.filter((r) => r.type === type);
    const byId = new Map(resources.filter((r) => r.id !== undefined).map((r) => [r.id!, r]));
    const byArn = new Map(resources.filter((r) => r.outputs?.arn).map((r) => [String(r.outputs!.arn), r]));
    const nodeId = (r: RenderedResource) => mermaidId(`r_${r.name}`);
    const edges: FlowEdge[] = [];

    // Subnets: public = where the load balancer sits, private = where nodes, database and share sit.
    const albs = of(T.alb);
    const instances = of(T.instance);
    const groups = autoScalingGroups(resources);
    const publicSubnetIds = unique(albs.flatMap((lb) => lb.inputs.subnets ?? []));
    const dbSubnetIds = of(T.rds).flatMap((db) => {
        const group = of(T.dbSubnetGroup).find((g) => (g.outputs?.name ?? g.inputs.name ?? g.name) === db.inputs.dbSubnetGroupName);
        return group?.inputs.subnetIds ?? [];
    });
    const privateSubnetIds = unique([
        ...instances.map((i) => i.inputs.subnetId),
        ...groups.flatMap((g) => g.subnetIds),
        ...dbSubnetIds,
        ...of(T.mountTarget).map((m) => m.inputs.subnetId),
    ])
        .filter((id) => !publicSubnetIds.includes(id));
    const subnetGroupId = (id: string) => mermaidId(`subnet_${byId.get(id)?.name ?? id}`);
    const subnetLabel = (id: string) => {
        const s = byId.get(id);
        return s ? `${s.name}\n${s.inputs.availabilityZone ?? ""} · ${s.inputs.cidrBlock ?? ""}` : `${id} (existing)`;
    };
    const subnetGroup = (id: string, children: FlowItem[]): FlowGroup => ({ kind: "group", id: subnetGroupId(id), label: subnetLabel(id), children });

    // Public tier: NAT gateways in their subnets, the load balancer across them.
    const nats = of(T.nat);
    const publicTier: FlowItem[] = publicSubnetIds.map((id) =>
        subnetGroup(id, nats.filter((n) => n.inputs.subnetId === id).map((n): FlowNode => ({ kind: "node", id: nodeId(n), label: "NAT gateway", shape: "rounded" }))),
    );
    for (const lb of albs) publicTier.push({ kind: "node", id: nodeId(lb), label: loadBalancerLabel(lb, of(T.listener)), shape: "box" });

    // Private tier: nodes in their subnets; Auto Scaling groups, database and share span the private subnets.
    const privateTier: FlowItem[] = privateSubnetIds.map((id) =>
        subnetGroup(id, instances.filter((i) => i.inputs.subnetId === id).map((i): FlowNode => ({ kind: "node", id: nodeId(i), label: instanceLabel(i), shape: "box" }))),
    );
    for (const g of groups) privateTier.push({ kind: "node", id: nodeId(g.group), label: groupLabel(g), shape: "box" });
    for (const db of of(T.rds)) privateTier.push({ kind: "node", id: nodeId(db), label: databaseLabel(db), shape: "database" });
    for (const fs of of(T.efs)) {
        const zones = of(T.mountTarget).filter((m) => m.inputs.fileSystemId === fs.id).length;
        privateTier.push({ kind: "node", id: nodeId(fs), label: `EFS share${fs.inputs.encrypted ? ", encrypted" : ""}\nmount targets in ${zones} zones`, shape: "database" });
    }

    const vpc = of(T.vpc)[0];
    const network: FlowGroup = {
        kind: "group",
        id: "vpc",
        label: vpc ? `VPC ${vpc.inputs.cidrBlock ?? ""}` : `existing VPC ${of(T.targetGroup)[0]?.inputs.vpcId ?? ""}`.trim(),
        children: [
            { kind: "group", id: "public_tier", label: "public subnets", children: publicTier },
            { kind: "group", id: "private_tier", label: "private subnets", children: privateTier },
        ],
    };

    // Regional services the nodes reach through AWS APIs: the secret, and the bucket the boot script comes from.
    const services: FlowItem[] = of(T.secret).map((s) => ({
        kind: "node",
        id: nodeId(s),
        label: `Secrets Manager secret${byArn.get(String(s.inputs.kmsKeyId))?.type === T.kmsKey ? "\nits own KMS key" : ""}`,
        shape: "rounded",
    }));
    for (const bucket of bootBuckets(resources)) {
        const objectKeys = of(T.bucketObject).filter((o) => o.inputs.bucket === bucketName(bucket)).map((o) => String(o.inputs.kmsKeyId ?? ""));
        const ownKey = objectKeys.length > 0 && objectKeys.every((k) => byArn.get(k)?.type === T.kmsKey);
        services.push({ kind: "node", id: nodeId(bucket), label: `S3 bucket, boot script${ownKey ? "\nits own KMS key" : ""}`, shape: "rounded" });
    }

    // Routing: host name and listener port → target group → node port.
    const targetGroups = of(T.targetGroup);
    const targetGroupItems: FlowItem[] = targetGroups.map((tg) => ({
        kind: "node",
        id: nodeId(tg),
        label: `target group ${tg.inputs.tags?.["wso2:targetGroup"] ?? tg.name}\n${tg.inputs.protocol ?? ""} ${tg.inputs.port ?? ""}`.trim(),
        shape: "pill",
    }));
    for (const tg of targetGroups) {
        const arn = String(tg.outputs?.arn ?? "");
        const hosts = of(T.listenerRule)
            .filter((rule) => (rule.inputs.actions ?? []).some((a: any) => a.type === "forward" && a.targetGroupArn === arn))
            .flatMap((rule) => {
                const listener = byArn.get(String(rule.inputs.listenerArn));
                const conditions = rule.inputs.conditions ?? [];
                const names = conditions.flatMap((c: any) => c.hostHeader?.values ?? []);
                // A header match (the WebSocket handshake's Upgrade) is what tells two rules for one host apart.
                const headers = conditions
                    .filter((c: any) => c.httpHeader)
                    .map((c: any) => ` + ${c.httpHeader.httpHeaderName}: ${(c.httpHeader.values ?? []).join("|")}`)
                    .join("");
                return names.map((host: string) => `${host} :${listener?.inputs.port ?? "?"}${headers}`);
            });
        const lb = albs.find((a) => of(T.listener).some((l) => l.inputs.loadBalancerArn === a.outputs?.arn));
        if (lb && hosts.length > 0) edges.push({ from: nodeId(lb), to: nodeId(tg), label: hosts.join("\n") });
        for (const attachment of of(T.attachment).filter((a) => a.inputs.targetGroupArn === arn)) {
            const target = byId.get(String(attachment.inputs.targetId));
            if (target) edges.push({ from: nodeId(tg), to: nodeId(target), label: String(attachment.inputs.port ?? tg.inputs.port ?? "") });
        }
        // A group registers its instances on the target group's own port.
        for (const g of groups.filter((x) => x.targetGroupArns.includes(arn))) edges.push({ from: nodeId(tg), to: nodeId(g.group), label: String(tg.inputs.port ?? "") });
    }

    // Egress routes: private subnets → NAT gateway → internet.
    const natById = new Map(nats.map((n) => [n.id, n]));
    for (const id of privateSubnetIds) {
        const table = of(T.routeTableAssociation).find((a) => a.inputs.subnetId === id)?.inputs.routeTableId;
        const route = of(T.route).find((r) => r.inputs.routeTableId === table && r.inputs.natGatewayId && natById.has(r.inputs.natGatewayId));
        if (route) edges.push({ from: subnetGroupId(id), to: nodeId(natById.get(route.inputs.natGatewayId)!), label: `${route.inputs.destinationCidrBlock ?? "default"} route` });
    }

    const outside = new Map<string, FlowNode>();
    const cidrNode = (cidr: string) => {
        const id = mermaidId(`cidr_${cidr}`);
        if (!outside.has(id)) outside.set(id, { kind: "node", id, label: cidr === "0.0.0.0/0" ? "Internet\n0.0.0.0/0" : `clients\n${cidr}`, shape: "pill" });
        return id;
    };
    for (const nat of nats) edges.push({ from: nodeId(nat), to: cidrNode("0.0.0.0/0") });

    edges.push(...permissionEdges(resources, groups, byId, byArn, nodeId, cidrNode));

    const items: FlowItem[] = [...outside.values(), network, ...services, { kind: "group", id: "routing", label: "load balancer routing", children: targetGroupItems }];
    return { direction: "LR", items, edges };
}

function loadBalancerLabel(lb: RenderedResource, listeners: readonly RenderedResource[]): string {
    const own = listeners.filter((l) => l.inputs.loadBalancerArn === lb.outputs?.arn).sort((a, b) => a.inputs.port - b.inputs.port);
    const ports = own.map((l) => {
        const redirect = (l.inputs.defaultActions ?? []).find((a: any) => a.type === "redirect")?.redirect;
        return redirect ? `${l.inputs.port} → redirect to ${redirect.port}` : `${l.inputs.protocol} ${l.inputs.port}`;
    });
    return [`${lb.inputs.internal ? "internal" : "internet-facing"} load balancer`, ...ports].join("\n");
}

function instanceLabel(instance: RenderedResource): string {
    const name = instance.inputs.tags?.["wso2:node"] ?? instance.inputs.tags?.Name ?? instance.name;
    return `${name}\n${instance.inputs.instanceType ?? ""}`;
}

function groupLabel(g: AutoScalingGroupView): string {
    return `${g.label}\n${g.instanceType ?? "?"} × ${sizeRange(g)}`;
}

function databaseLabel(db: RenderedResource): string {
    return `RDS ${db.inputs.engine ?? ""} ${db.inputs.engineVersion ?? ""}\n${db.inputs.instanceClass ?? ""}, ${db.inputs.multiAz ? "Multi-AZ" : "single-AZ"}`;
}

interface PortRule {
    readonly group: string;
    readonly peerGroup?: string;
    readonly cidr?: string;
    readonly protocol: string;
    readonly from: number;
    readonly to: number;
}

function portRule(r: RenderedResource): PortRule {
    return {
        group: String(r.inputs.securityGroupId),
        peerGroup: r.inputs.referencedSecurityGroupId,
        cidr: r.inputs.cidrIpv4,
        protocol: String(r.inputs.ipProtocol ?? "tcp"),
        from: Number(r.inputs.fromPort ?? 0),
        to: Number(r.inputs.toPort ?? 65535),
    };
}

function portText(rule: PortRule): string {
    if (rule.protocol === "-1") return "all";
    const range = rule.from === rule.to ? String(rule.from) : `${rule.from}-${rule.to}`;
    return rule.protocol === "tcp" ? range : `${rule.protocol} ${range}`;
}

const covers = (rule: PortRule, port: PortRule) => rule.protocol === "-1" || (rule.protocol === port.protocol && rule.from <= port.from && port.to <= rule.to);

/**
 * Who may open a connection to whom, from the recorded rules: an ingress rule naming a peer group opens
 * its ports only where the peer's egress also allows them; an ingress rule naming a CIDR comes from
 * outside; an egress rule to a CIDR leaves the VPC. Load-balancer ports already shown as routes are not repeated.
 */
function permissionEdges(
    resources: readonly RenderedResource[],
    groups: readonly AutoScalingGroupView[],
    byId: ReadonlyMap<string, RenderedResource>,
    byArn: ReadonlyMap<string, RenderedResource>,
    nodeId: (r: RenderedResource) => string,
    cidrNode: (cidr: string) => string,
): FlowEdge[] {
    const of = (type: string) => resources.filter((r) => r.type === type);
    const members = new Map<string, string[]>();
    const join = (groups: unknown, id: string) => {
        for (const g of (groups as string[] | undefined) ?? []) members.set(g, unique([...(members.get(g) ?? []), id]));
    };
    for (const lb of of(T.alb)) join(lb.inputs.securityGroups, nodeId(lb));
    for (const i of of(T.instance)) join(i.inputs.vpcSecurityGroupIds, nodeId(i));
    for (const g of groups) join(g.securityGroupIds, nodeId(g.group));
    for (const db of of(T.rds)) join(db.inputs.vpcSecurityGroupIds, nodeId(db));
    for (const m of of(T.mountTarget)) {
        const fs = byId.get(String(m.inputs.fileSystemId));
        if (fs) join(m.inputs.securityGroups, nodeId(fs));
    }
    const lbs = of(T.alb).map(nodeId);
    const routed = new Set([
        ...of(T.attachment).flatMap((a) => {
            const tg = byArn.get(String(a.inputs.targetGroupArn));
            const target = byId.get(String(a.inputs.targetId));
            return tg && target ? lbs.map((lb) => `${lb}>${nodeId(target)}:${a.inputs.port ?? tg.inputs.port}`) : [];
        }),
        ...groups.flatMap((g) =>
            g.targetGroupArns.flatMap((arn) => {
                const tg = byArn.get(arn);
                return tg ? lbs.map((lb) => `${lb}>${nodeId(g.group)}:${tg.inputs.port}`) : [];
            }),
        ),
    ]);

    const ingress = of(T.ingress).map(portRule);
    const egress = of(T.egress).map(portRule);
    const ports = new Map<string, { from: string; to: string; ports: string[] }>();
    const allow = (from: string, to: string, port: string) => {
        const key = `${from}>${to}`;
        const entry = ports.get(key) ?? { from, to, ports: [] };
        if (!entry.ports.includes(port)) entry.ports.push(port);
        ports.set(key, entry);
    };
    for (const rule of ingress) {
        for (const to of members.get(rule.group) ?? []) {
            if (rule.cidr) allow(cidrNode(rule.cidr), to, portText(rule));
            if (!rule.peerGroup) continue;
            const outAllowed = egress.some((e) => e.group === rule.peerGroup && (e.peerGroup === rule.group || e.cidr === "0.0.0.0/0") && covers(e, rule));
            if (!outAllowed) continue;
            for (const from of members.get(rule.peerGroup) ?? []) {
                if (from !== to && !routed.has(`${from}>${to}:${portText(rule)}`)) allow(from, to, portText(rule));
            }
        }
    }
    for (const rule of egress) {
        if (!rule.cidr) continue;
        for (const from of members.get(rule.group) ?? []) allow(from, cidrNode(rule.cidr), portText(rule));
    }

    // Identity: the roles of nodes and gateways may read the secret and the boot bucket.
    const reads = iamReaders(resources, groups, byId, nodeId, [
        ...of(T.secret).map((secret) => ({
            target: secret,
            grants: (s: any) => [s.Action].flat().includes("secretsmanager:GetSecretValue") && [s.Resource].flat().includes(String(secret.outputs?.arn ?? "")),
        })),
        ...bootBuckets(resources).map((bucket) => ({
            target: bucket,
            grants: (s: any) => [s.Action].flat().includes("s3:GetObject") && [s.Resource].flat().some((r: unknown) => String(r).startsWith(`${bucket.outputs?.arn}/`)),
        })),
    ]);

    const edges: FlowEdge[] = [];
    const done = new Set<string>();
    for (const entry of ports.values()) {
        const key = `${entry.from}>${entry.to}`;
        if (done.has(key)) continue;
        const back = ports.get(`${entry.to}>${entry.from}`);
        const both = back !== undefined && back.ports.join() === entry.ports.join();
        if (both) done.add(`${entry.to}>${entry.from}`);
        done.add(key);
        const [from, to] = both && entry.to < entry.from ? [entry.to, entry.from] : [entry.from, entry.to];
        edges.push({ from, to, label: entry.ports.join(", "), dotted: true, both });
    }
    return [...edges, ...reads.map(([from, to]) => ({ from, to, label: "reads (IAM)", dotted: true }))];
}

/** Instance (or group) → resource pairs where its role may read the resource (its statement satisfies `grants`). */
function iamReaders(
    resources: readonly RenderedResource[],
    groups: readonly AutoScalingGroupView[],
    byId: ReadonlyMap<string, RenderedResource>,
    nodeId: (r: RenderedResource) => string,
    readable: readonly { readonly target: RenderedResource; readonly grants: (statement: any) => boolean }[],
): [string, string][] {
    const of = (type: string) => resources.filter((r) => r.type === type);
    const pairs: [string, string][] = [];
    for (const { target, grants } of readable) {
        for (const policy of of(T.rolePolicy)) {
            let document: { Statement?: any[] };
            try {
                document = JSON.parse(String(policy.inputs.policy));
            } catch {
                continue;
            }
            if (!(document.Statement ?? []).some((s) => s.Effect === "Allow" && grants(s))) continue;
            const role = byId.get(String(policy.inputs.role));
            const roleName = role?.outputs?.name ?? role?.name;
            const roleProfiles = of(T.instanceProfile).filter((p) => p.inputs.role === roleName);
            const profiles = roleProfiles.map((p) => p.outputs?.name ?? p.name);
            const profileArns = roleProfiles.map((p) => p.outputs?.arn).filter(Boolean);
            for (const instance of of(T.instance).filter((i) => profiles.includes(i.inputs.iamInstanceProfile))) pairs.push([nodeId(instance), nodeId(target)]);
            for (const g of groups.filter((x) => x.instanceProfile !== undefined && [...profiles, ...profileArns].includes(x.instanceProfile))) {
                pairs.push([nodeId(g.group), nodeId(target)]);
            }
        }
    }
    return pairs;
}

const bucketName = (bucket: RenderedResource): string => String(bucket.outputs?.bucket ?? bucket.inputs.bucket ?? "");

/** Buckets the stack uploads objects to (the boot script's): the ones AWS services fill (access logs) are not drawn. */
function bootBuckets(resources: readonly RenderedResource[]): RenderedResource[] {
    const filled = new Set(resources.filter((r) => r.type === T.bucketObject).map((o) => String(o.inputs.bucket)));
    return resources.filter((r) => (T.buckets as readonly string[]).includes(r.type) && filled.has(bucketName(r)));
}

function unique<T>(values: readonly T[]): T[] {
    return [...new Set(values.filter((v) => v !== undefined && v !== null))];
}
