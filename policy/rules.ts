import {
    ChecklistPolicy,
    CheckedResource,
    PolicyContext,
    StackViolation,
    WORLD_CIDRS,
    isAwsManagedKeyReference,
    isWildcardPrincipal,
    readProperty,
    statementsOf,
    userDataText,
} from "./model";

/**
 * The project's security checklist (docs/security.md) as pure checks: each policy names its checklist
 * row(s) and the scanner rule ids it stands for. Resource checks see one resource's inputs; stack checks
 * see every resource and follow references through property dependencies, which the engine knows even
 * in a preview where the referenced ids are not.
 */

export const T = {
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    volume: "aws:ebs/volume:Volume",
    subnet: "aws:ec2/subnet:Subnet",
    vpc: "aws:ec2/vpc:Vpc",
    flowLog: "aws:ec2/flowLog:FlowLog",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    ec2Rule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    loadBalancers: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
    listeners: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
    listenerRules: ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"],
    targetGroups: ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
    rds: "aws:rds/instance:Instance",
    parameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    fileSystem: "aws:efs/fileSystem:FileSystem",
    accessPoint: "aws:efs/accessPoint:AccessPoint",
    fileSystemPolicy: "aws:efs/fileSystemPolicy:FileSystemPolicy",
    mountTarget: "aws:efs/mountTarget:MountTarget",
    secret: "aws:secretsmanager/secret:Secret",
    kmsKey: "aws:kms/key:Key",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    snsTopic: "aws:sns/topic:Topic",
    iamPolicies: ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"],
    iamRole: "aws:iam/role:Role",
    iamAttachments: [
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    ],
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    autoScalingGroup: "aws:autoscaling/group:Group",
    autoScalingAttachments: ["aws:autoscaling/attachment:Attachment", "aws:autoscaling/trafficSourceAttachment:TrafficSourceAttachment"],
} as const;

const is = (r: CheckedResource, ...types: (string | readonly string[])[]) => types.flat().includes(r.type);
const deps = (r: CheckedResource, property: string) => r.propertyDependencies[property] ?? [];

// ---------------------------------------------------------------------------------------------------
// Security groups: every way a Pulumi program opens a port, as one shape.

interface Permission {
    readonly protocol: string;
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidrs: readonly string[];
    readonly description?: string;
}

/** Ingress permissions a resource grants: a group's inline rules, or a separate rule resource. */
function ingressPermissions(r: CheckedResource): Permission[] {
    const p = r.props;
    if (r.type === T.ingressRule) {
        return [{ protocol: String(p.ipProtocol), fromPort: p.fromPort, toPort: p.toPort, cidrs: [p.cidrIpv4, p.cidrIpv6].filter(Boolean), description: p.description }];
    }
    if (r.type === T.ec2Rule && p.type === "ingress") {
        return [{ protocol: String(p.protocol), fromPort: p.fromPort, toPort: p.toPort, cidrs: [...(p.cidrBlocks ?? []), ...(p.ipv6CidrBlocks ?? [])], description: p.description }];
    }
    if (r.type === T.securityGroup || r.type === T.defaultSecurityGroup) {
        return (p.ingress ?? []).map((i: any) => ({
            protocol: String(i.protocol),
            fromPort: i.fromPort,
            toPort: i.toPort,
            cidrs: [...(i.cidrBlocks ?? []), ...(i.ipv6CidrBlocks ?? [])],
            description: i.description,
        }));
    }
    return [];
}

const allProtocols = (protocol: string) => protocol === "-1" || protocol.toLowerCase() === "all";
const isTcp = (protocol: string) => protocol.toLowerCase() === "tcp" || protocol === "6";
const coversPort = (perm: Permission, port: number) => allProtocols(perm.protocol) || (perm.fromPort <= port && port <= perm.toPort);
const fromWorld = (perm: Permission) => perm.cidrs.some((c) => (WORLD_CIDRS as readonly string[]).includes(c));
const portText = (perm: Permission) => (allProtocols(perm.protocol) ? "all traffic" : perm.fromPort === perm.toPort ? `port ${perm.fromPort}` : `ports ${perm.fromPort}-${perm.toPort}`);

/** The only ports the whole internet may reach: HTTPS, and HTTP that only redirects to it. */
export const WORLD_OPEN_PORTS = [443, 80] as const;

const SECURITY_GROUP_RULE_TYPES = [T.securityGroup, T.defaultSecurityGroup, T.ingressRule, T.ec2Rule];

// ---------------------------------------------------------------------------------------------------
// Row 4: secrets in user data.

/**
 * What a secret in user data looks like; placeholders ($env{…}, ${…}, %s, {{…}}) are not secrets, and
 * neither is a value that names a property or Secure Vault alias (`identity.store.password`).
 */
const USER_DATA_SECRET_PATTERNS: readonly { readonly what: string; readonly pattern: RegExp }[] = [
    { what: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
    { what: "an AWS access key id", pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/ },
    {
        what: "a literal password, secret or token",
        pattern: /[A-Za-z_.-]*(?:password|passwd|secret|token|api_?key)["']?\s*(?:=\s*["']?|:\s*["'])(?![$%{<"'\s])(?![a-z_]+(?:\.[a-z_]+)*\.(?:password|passwd|secret|token)\b)[^"'\s]{4,}/i,
    },
];

export function userDataSecrets(text: string): string[] {
    return USER_DATA_SECRET_PATTERNS.filter(({ pattern }) => pattern.test(text)).map(({ what }) => what);
}

// ---------------------------------------------------------------------------------------------------
// Row 9: TLS policies that accept nothing older than TLS 1.2.

export function isModernTlsPolicy(policy: unknown): boolean {
    return typeof policy === "string" && /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/.test(policy);
}

// ---------------------------------------------------------------------------------------------------
// Row 17: IAM.

/** Actions AWS offers no resource-level permissions for, so `Resource: "*"` is the only way to grant them. */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE = new Set([
    "cloudwatch:PutMetricData",
    "ec2:DescribeTags",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "logs:DescribeLogGroups",
]);

function iamDocumentProblems(document: unknown): string[] {
    const problems: string[] = [];
    for (const s of statementsOf(document).filter((x) => x.Effect === "Allow")) {
        const label = s.Sid ? `statement ${s.Sid}` : "a statement";
        const wildcards = s.Action.filter((a) => a === "*" || a.endsWith(":*"));
        if (wildcards.length > 0) problems.push(`${label} allows every action of ${wildcards.join(", ")}`);
        if (s.NotAction.length > 0) problems.push(`${label} allows everything except ${s.NotAction.join(", ")} (NotAction)`);
        if (s.Resource.includes("*") && !s.Action.every((a) => ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a))) {
            problems.push(`${label} grants ${s.Action.join(", ")} on every resource ("*")`);
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------------
// KMS.

/**
 * An encryption key property (of the resource, or of a block such as rootBlockDevice): present, and not
 * an AWS-managed key. Unknown in a preview means a reference to a key ARN, which passes.
 */
function customerKeyProblem(props: Readonly<Record<string, any>>, property: string, what: string): string[] {
    if (!(property in props)) return [`${what} is not encrypted with a customer-managed KMS key (${property} is not set)`];
    const read = readProperty(props, property);
    if (!read.known) return [];
    if (read.value === undefined || read.value === null || read.value === "") return [`${what} is not encrypted with a customer-managed KMS key (${property} is empty)`];
    if (isAwsManagedKeyReference(read.value)) return [`${what} uses the AWS-managed key ${read.value}, not a customer-managed one`];
    return [];
}

// ---------------------------------------------------------------------------------------------------
// The checklist.

export const CHECKLIST: readonly ChecklistPolicy[] = [
    {
        name: "ec2-imdsv2-required",
        rows: [1],
        ruleIds: ["CKV_AWS_79", "AWS-0028", "EC2.8", "CKV_AWS_341"],
        description: "Instances and launch templates require IMDSv2 tokens; the hop limit is 1 or 2 on instances and 1 on launch templates.",
        check: {
            kind: "resource",
            types: [T.instance, T.launchTemplate],
            run: (r) => {
                const md = r.props.metadataOptions ?? {};
                if (md.httpEndpoint === "disabled") return [];
                const out: string[] = [];
                if (md.httpTokens !== "required") out.push(`metadataOptions.httpTokens is ${JSON.stringify(md.httpTokens ?? "optional")}, expected "required" (IMDSv2 only)`);
                const hop = md.httpPutResponseHopLimit;
                // CKV_AWS_341 allows launch templates one hop: nothing behind their instances (a container) reads the role.
                const maxHop = r.type === T.launchTemplate ? 1 : 2;
                if (hop !== undefined && !(hop >= 1 && hop <= maxHop)) out.push(`metadataOptions.httpPutResponseHopLimit is ${hop}, expected ${maxHop === 1 ? "1" : "1 or 2"}`);
                return out;
            },
        },
    },
    {
        name: "ec2-no-public-ip",
        rows: [2],
        ruleIds: ["CKV_AWS_88", "AWS-0009", "EC2.9", "EC2.15"],
        description: "Instances, and those launched from a launch template, get no public IPv4 address, and no subnet hands one out on launch.",
        check: {
            kind: "resource",
            types: [T.instance, T.launchTemplate, T.subnet],
            run: (r) => {
                if (r.type === T.instance && r.props.associatePublicIpAddress === true) return ["the instance gets a public IPv4 address (associatePublicIpAddress)"];
                if (r.type === T.launchTemplate && (r.props.networkInterfaces ?? []).some((n: any) => String(n.associatePublicIpAddress) === "true")) {
                    return ["the launch template gives instances a public IPv4 address"];
                }
                if (r.type === T.subnet && r.props.mapPublicIpOnLaunch === true) return ["the subnet gives every instance a public IPv4 address (mapPublicIpOnLaunch)"];
                return [];
            },
        },
    },
    {
        name: "ec2-volumes-encrypted",
        rows: [3],
        ruleIds: ["CKV_AWS_8", "AWS-0131", "EC2.3", "EC2.7"],
        description: "Root and data volumes, of instances and of launch templates, are encrypted, explicitly (not by relying on the account default).",
        check: {
            kind: "resource",
            types: [T.instance, T.launchTemplate, T.volume],
            run: (r) => {
                const p = r.props;
                if (r.type === T.volume) return p.encrypted === true ? [] : ["the volume is not encrypted"];
                if (r.type === T.launchTemplate) {
                    const ebs = (p.blockDeviceMappings ?? []).filter((m: any) => m.ebs);
                    // Without a mapping the image's snapshot decides, encrypted only if the account's default says so.
                    if (ebs.length === 0) return ["the launch template maps no volume, so the image's root volume is encrypted only by the account default"];
                    return ebs
                        .filter((m: any) => String(m.ebs.encrypted) !== "true")
                        .map((m: any) => `the launch template's volume ${m.deviceName ?? "(unnamed)"} is not encrypted`);
                }
                const out: string[] = [];
                if (p.rootBlockDevice?.encrypted !== true) out.push("the root volume is not encrypted (rootBlockDevice.encrypted)");
                for (const d of p.ebsBlockDevices ?? []) if (d.encrypted !== true) out.push(`the data volume ${d.deviceName} is not encrypted`);
                return out;
            },
        },
    },
    {
        name: "ec2-no-secrets-in-user-data",
        rows: [4],
        ruleIds: ["CKV_AWS_46", "AWS-0029"],
        description: "User data (readable through DescribeInstanceAttribute and the metadata service) holds no private key, access key or literal password.",
        check: {
            kind: "resource",
            types: [T.instance, T.launchTemplate],
            run: (r) => userDataSecrets(userDataText(r.type, r.props)).map((what) => `the user data contains ${what}`),
        },
    },
    {
        name: "ec2-instance-profile-no-ssh",
        rows: [5],
        ruleIds: ["CKV2_AWS_41", "CKV_AWS_24"],
        description:
            "Instances, and launch templates for theirs, have an instance profile (so Session Manager can reach them), and no security group opens SSH (22) to the internet.",
        check: {
            kind: "resource",
            types: [T.instance, T.launchTemplate, ...SECURITY_GROUP_RULE_TYPES],
            run: (r) => {
                if (r.type === T.instance) return "iamInstanceProfile" in r.props ? [] : ["the instance has no instance profile (iamInstanceProfile)"];
                if (r.type === T.launchTemplate) {
                    const profile = r.props.iamInstanceProfile ?? {};
                    return "name" in profile || "arn" in profile ? [] : ["the launch template gives its instances no instance profile (iamInstanceProfile)"];
                }
                return ingressPermissions(r)
                    .filter((perm) => fromWorld(perm) && coversPort(perm, 22))
                    .map((perm) => `SSH (22) is open to ${perm.cidrs.join(", ")} (${portText(perm)})`);
            },
        },
    },
    {
        name: "ec2-managed-by-ssm",
        rows: [5],
        ruleIds: ["SSM.1"],
        description: "The profile role of every instance and launch template carries AmazonSSMManagedInstanceCore, so shell access goes through Session Manager.",
        check: {
            kind: "stack",
            run: (resources) => {
                const byUrn = new Map(resources.map((r) => [r.urn, r]));
                const ssmRoles = new Set(
                    resources
                        .filter((r) => is(r, T.iamAttachments) && String(readKnown(r, "policyArn") ?? "").endsWith(":policy/AmazonSSMManagedInstanceCore"))
                        .flatMap((r) => [...deps(r, "role"), ...deps(r, "roles")]),
                );
                for (const role of resources.filter((r) => r.type === T.iamRole)) {
                    const managed = readKnown(role, "managedPolicyArns");
                    if (Array.isArray(managed) && managed.some((a) => String(a).endsWith(":policy/AmazonSSMManagedInstanceCore"))) ssmRoles.add(role.urn);
                }
                const violations: StackViolation[] = [];
                for (const machine of resources.filter((r) => r.type === T.instance || r.type === T.launchTemplate)) {
                    const profiles = deps(machine, "iamInstanceProfile").map((u) => byUrn.get(u)).filter((x): x is CheckedResource => x?.type === T.instanceProfile);
                    // A profile from outside the stack cannot be followed; the instance-profile check covers its presence.
                    if (profiles.length === 0) continue;
                    const roles = profiles.flatMap((p) => deps(p, "role"));
                    if (!roles.some((role) => ssmRoles.has(role))) {
                        const what = machine.type === T.instance ? "instance" : "launch template";
                        violations.push({ urn: machine.urn, message: `${what} ${machine.name}: its profile's role lacks AmazonSSMManagedInstanceCore (no Session Manager)` });
                    }
                }
                return violations;
            },
        },
    },
    {
        name: "sg-internet-ingress-https-only",
        rows: [6],
        ruleIds: ["CKV_AWS_260", "EC2.18", "EC2.19"],
        description: "Ingress from 0.0.0.0/0 or ::/0 is TCP 443 or 80 only (80 only redirects).",
        check: {
            kind: "resource",
            types: SECURITY_GROUP_RULE_TYPES,
            run: (r) =>
                ingressPermissions(r)
                    .filter(fromWorld)
                    .filter((perm) => !(isTcp(perm.protocol) && perm.fromPort === perm.toPort && (WORLD_OPEN_PORTS as readonly number[]).includes(perm.fromPort)))
                    .map((perm) => `${portText(perm)} (${perm.protocol}) is open to ${perm.cidrs.filter((c) => (WORLD_CIDRS as readonly string[]).includes(c)).join(", ")}`),
        },
    },
    {
        name: "sg-internet-ingress-load-balancers-only",
        rows: [6],
        ruleIds: ["CKV_AWS_260", "EC2.18"],
        description: "A security group open to the internet is attached to load balancers only, never to instances, databases, file systems or endpoints.",
        check: {
            kind: "stack",
            run: (resources) => {
                const worldOpen = new Set<string>();
                for (const r of resources.filter((x) => is(x, SECURITY_GROUP_RULE_TYPES))) {
                    if (!ingressPermissions(r).some(fromWorld)) continue;
                    if (r.type === T.securityGroup || r.type === T.defaultSecurityGroup) worldOpen.add(r.urn);
                    else for (const g of deps(r, "securityGroupId")) worldOpen.add(g);
                }
                const violations: StackViolation[] = [];
                for (const r of resources) {
                    if (!r.type.startsWith("aws:") || is(r, T.loadBalancers, SECURITY_GROUP_RULE_TYPES, T.egressRule)) continue;
                    const attached = Object.values(r.propertyDependencies).flat().filter((u) => worldOpen.has(u));
                    if (attached.length > 0) violations.push({ urn: r.urn, message: `${r.type.split(":").pop()} ${r.name} uses a security group open to the internet` });
                }
                return violations;
            },
        },
    },
    {
        name: "sg-descriptions",
        rows: [7],
        ruleIds: ["CKV_AWS_23", "AWS-0099", "AWS-0124"],
        description: "Every security group and every rule says what it is for.",
        check: {
            kind: "resource",
            types: [T.securityGroup, T.ingressRule, T.egressRule, T.ec2Rule],
            run: (r) => {
                const blank = (d: unknown) => typeof d !== "string" || d.trim() === "";
                if (r.type === T.securityGroup) {
                    const out: string[] = [];
                    if (blank(r.props.description) || r.props.description === "Managed by Pulumi") out.push("the security group has no description of its own");
                    for (const rule of [...(r.props.ingress ?? []), ...(r.props.egress ?? [])]) {
                        if (blank(rule.description)) out.push(`an inline rule (${rule.fromPort}-${rule.toPort}) has no description`);
                    }
                    return out;
                }
                return blank(r.props.description) ? ["the rule has no description"] : [];
            },
        },
    },
    {
        name: "alb-https-listeners",
        rows: [8],
        ruleIds: ["CKV_AWS_2", "CKV2_AWS_20", "AWS-0054", "ELB.1"],
        description: "Load balancer listeners serve HTTPS; a plain HTTP listener only redirects to HTTPS.",
        check: {
            kind: "resource",
            types: T.listeners,
            run: (r) => {
                if (r.props.protocol !== "HTTP") return [];
                const actions: any[] = r.props.defaultActions ?? [];
                const redirectsOnly = actions.length > 0 && actions.every((a) => a.type === "redirect" && a.redirect?.protocol === "HTTPS");
                return redirectsOnly ? [] : ["the plain HTTP listener does something other than redirect to HTTPS"];
            },
        },
    },
    {
        name: "alb-http-rules-redirect-only",
        rows: [8],
        ruleIds: ["CKV2_AWS_20", "ELB.1"],
        description: "Listener rules on a plain HTTP listener only redirect to HTTPS.",
        check: {
            kind: "stack",
            run: (resources) => {
                const httpListeners = new Set(resources.filter((r) => is(r, T.listeners) && r.props.protocol === "HTTP").map((r) => r.urn));
                return resources
                    .filter((r) => is(r, T.listenerRules) && deps(r, "listenerArn").some((u) => httpListeners.has(u)))
                    .filter((r) => !(r.props.actions ?? []).every((a: any) => a.type === "redirect" && a.redirect?.protocol === "HTTPS"))
                    .map((r) => ({ urn: r.urn, message: `listener rule ${r.name} serves plain HTTP instead of redirecting to HTTPS` }));
            },
        },
    },
    {
        name: "alb-tls-policy",
        rows: [9],
        ruleIds: ["CKV_AWS_103", "AWS-0047", "ELB.17"],
        description: "HTTPS and TLS listeners name a TLS 1.2+ security policy (e.g. ELBSecurityPolicy-TLS13-1-2-2021-06); the API default ELBSecurityPolicy-2016-08 still allows TLS 1.0.",
        check: {
            kind: "resource",
            types: T.listeners,
            run: (r) => {
                if (r.props.protocol !== "HTTPS" && r.props.protocol !== "TLS") return [];
                return isModernTlsPolicy(r.props.sslPolicy) ? [] : [`the ${r.props.protocol} listener's TLS policy ${JSON.stringify(r.props.sslPolicy ?? "default (ELBSecurityPolicy-2016-08)")} accepts protocols older than TLS 1.2`];
            },
        },
    },
    {
        name: "alb-header-hardening",
        rows: [10],
        ruleIds: ["CKV_AWS_328", "ELB.12"],
        relaxedRuleIds: ["CKV_AWS_131", "AWS-0052", "ELB.4"],
        description:
            "Application load balancers mitigate HTTP desync (defensive or strictest, not monitor). Dropping header fields whose names " +
            "are not letters, digits and hyphens is not required: an API gateway's clients send such headers (api_key, x_correlation_id), " +
            "and the ALB drops them without a word.",
        check: {
            kind: "resource",
            types: T.loadBalancers,
            run: (r) => {
                if ((r.props.loadBalancerType ?? "application") !== "application") return [];
                return r.props.desyncMitigationMode === "monitor" ? ["desync mitigation only monitors (desyncMitigationMode)"] : [];
            },
        },
    },
    {
        name: "alb-access-logs-deletion-protection",
        rows: [11],
        ruleIds: ["CKV_AWS_91", "ELB.5", "CKV_AWS_150", "ELB.6"],
        description: "Load balancers write access logs and are protected from deletion; waived on development stacks.",
        environmentAware: true,
        check: {
            kind: "resource",
            types: T.loadBalancers,
            run: (r, context: PolicyContext) => {
                if (context.development) return [];
                const out: string[] = [];
                if (r.props.accessLogs?.enabled !== true || !("bucket" in (r.props.accessLogs ?? {}))) out.push("the load balancer writes no access logs (accessLogs)");
                if (r.props.enableDeletionProtection !== true) out.push("the load balancer can be deleted (enableDeletionProtection)");
                return out;
            },
        },
    },
    {
        name: "alb-zones-health-checks",
        rows: [12],
        ruleIds: ["CKV_AWS_261", "ELB.13"],
        description: "Load balancers span at least two subnets (zones); every target group is health-checked.",
        check: {
            kind: "resource",
            types: [...T.loadBalancers, ...T.targetGroups],
            run: (r) => {
                if (is(r, T.loadBalancers)) {
                    const count = (r.props.subnets ?? []).length + (r.props.subnetMappings ?? []).length;
                    return count >= 2 ? [] : [`the load balancer is in ${count} subnet(s), expected at least two zones`];
                }
                if (r.props.targetType === "lambda") return [];
                return r.props.healthCheck && r.props.healthCheck.enabled !== false ? [] : ["the target group has no health check"];
            },
        },
    },
    {
        name: "asg-launch-template-elb-health-zones",
        rows: [20],
        ruleIds: ["CKV_AWS_315", "AutoScaling.9", "AutoScaling.1", "AutoScaling.2", "CKV_AWS_153"],
        description:
            "Auto Scaling groups launch from a launch template, use the load balancer's health checks when a load balancer sends them traffic, span at least two zones and carry tags.",
        check: { kind: "stack", run: (resources) => autoScalingGroupProblems(resources) },
    },
    {
        name: "rds-hardening",
        rows: [13],
        ruleIds: ["CKV_AWS_16", "CKV_AWS_17", "CKV_AWS_133", "CKV_AWS_293", "CKV_AWS_226", "CKV_AWS_157", "CKV_AWS_129", "RDS.2", "RDS.3", "RDS.5", "RDS.8", "RDS.11", "RDS.13"],
        description:
            "RDS instances: encrypted, private, automatic minor upgrades, tags copied to snapshots, logs exported; and, except on development stacks, Multi-AZ, deletion protection and at least 7 days of backups (development: backups on).",
        environmentAware: true,
        check: {
            kind: "resource",
            types: [T.rds],
            run: (r, context) => {
                const p = r.props;
                const out: string[] = [];
                if (p.storageEncrypted !== true) out.push("storage is not encrypted (storageEncrypted)");
                if (p.publiclyAccessible === true) out.push("the instance is publicly accessible");
                if (p.autoMinorVersionUpgrade === false) out.push("automatic minor version upgrades are off");
                if (p.copyTagsToSnapshot !== true) out.push("tags are not copied to snapshots (copyTagsToSnapshot)");
                if (!Array.isArray(p.enabledCloudwatchLogsExports) || p.enabledCloudwatchLogsExports.length === 0) out.push("no logs are exported to CloudWatch");
                const minimumBackupDays = context.development ? 1 : 7;
                if (!(p.backupRetentionPeriod >= minimumBackupDays)) out.push(`backups are kept ${p.backupRetentionPeriod ?? 0} day(s), expected at least ${minimumBackupDays}`);
                if (!context.development) {
                    if (p.multiAz !== true) out.push("the instance is not Multi-AZ");
                    if (p.deletionProtection !== true) out.push("the instance can be deleted (deletionProtection)");
                }
                return out;
            },
        },
    },
    {
        name: "rds-requires-tls",
        rows: [14],
        ruleIds: ["CKV2_AWS_69"],
        description: "MySQL and MariaDB instances use a parameter group of the stack that sets require_secure_transport (PostgreSQL: rds.force_ssl).",
        check: {
            kind: "stack",
            run: (resources) => {
                const byUrn = new Map(resources.map((r) => [r.urn, r]));
                const violations: StackViolation[] = [];
                for (const db of resources.filter((r) => r.type === T.rds)) {
                    const engine = String(db.props.engine ?? "");
                    const setting = /^(mysql|mariadb)$/.test(engine) ? "require_secure_transport" : /^postgres$/.test(engine) ? "rds.force_ssl" : undefined;
                    if (!setting) continue;
                    if (!("parameterGroupName" in db.props)) {
                        violations.push({ urn: db.urn, message: `database ${db.name} uses the default parameter group, which does not require TLS` });
                        continue;
                    }
                    // A parameter group from outside the stack cannot be inspected here.
                    const groups = deps(db, "parameterGroupName").map((u) => byUrn.get(u)).filter((g): g is CheckedResource => g?.type === T.parameterGroup);
                    for (const group of groups) {
                        const value = (group.props.parameters ?? []).find((x: any) => x.name === setting)?.value;
                        if (!["1", "ON", "on", "true"].includes(String(value))) {
                            violations.push({ urn: group.urn, message: `parameter group ${group.name} of database ${db.name} does not set ${setting} = 1` });
                        }
                    }
                }
                return violations;
            },
        },
    },
    {
        name: "efs-encryption-access-points-tls",
        rows: [15],
        ruleIds: ["CKV_AWS_42", "CKV_AWS_329", "CKV_AWS_330", "EFS.1", "EFS.3", "EFS.4"],
        description: "File systems are encrypted; access points enforce a POSIX user and a root directory created with an owner; file-system policies deny access without TLS.",
        check: {
            kind: "resource",
            types: [T.fileSystem, T.accessPoint, T.fileSystemPolicy],
            run: (r) => {
                const p = r.props;
                if (r.type === T.fileSystem) return p.encrypted === true ? [] : ["the file system is not encrypted"];
                if (r.type === T.accessPoint) {
                    const out: string[] = [];
                    if (!p.posixUser) out.push("the access point enforces no POSIX user");
                    if (!p.rootDirectory?.path || p.rootDirectory.path === "/" || !p.rootDirectory.creationInfo) out.push("the access point has no root directory of its own with creation info");
                    return out;
                }
                const deniesPlainText = statementsOf(p.policy).some((s) => s.Effect === "Deny" && String((s.Condition?.Bool as any)?.["aws:SecureTransport"]) === "false");
                return deniesPlainText ? [] : ["the file-system policy does not deny access without TLS (aws:SecureTransport)"];
            },
        },
    },
    {
        name: "efs-private-mount-targets-tls-policy",
        rows: [15],
        ruleIds: ["EFS.6", "CKV_AWS_329"],
        description: "Every file system of the stack has a TLS-only policy, and its mount targets sit in private subnets (no public IPs on launch, not the internet-facing load balancer's).",
        check: {
            kind: "stack",
            run: (resources) => {
                const byUrn = new Map(resources.map((r) => [r.urn, r]));
                const violations: StackViolation[] = [];
                const withPolicy = new Set(resources.filter((r) => r.type === T.fileSystemPolicy).flatMap((r) => deps(r, "fileSystemId")));
                for (const fs of resources.filter((r) => r.type === T.fileSystem)) {
                    if (!withPolicy.has(fs.urn)) violations.push({ urn: fs.urn, message: `file system ${fs.name} has no file-system policy (TLS is not enforced)` });
                }
                const publicSubnets = new Set(
                    resources
                        .filter((r) => is(r, T.loadBalancers) && r.props.internal !== true)
                        .flatMap((r) => [...deps(r, "subnets"), ...deps(r, "subnetMappings")]),
                );
                for (const mt of resources.filter((r) => r.type === T.mountTarget)) {
                    for (const subnetUrn of deps(mt, "subnetId")) {
                        const subnet = byUrn.get(subnetUrn);
                        if (publicSubnets.has(subnetUrn) || subnet?.props.mapPublicIpOnLaunch === true) {
                            violations.push({ urn: mt.urn, message: `mount target ${mt.name} is in a public subnet (${subnet?.name ?? subnetUrn})` });
                        }
                    }
                }
                return violations;
            },
        },
    },
    {
        name: "secrets-customer-key",
        rows: [16],
        ruleIds: ["CKV_AWS_149", "AWS-0098"],
        description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        check: { kind: "resource", types: [T.secret], run: (r) => customerKeyProblem(r.props, "kmsKeyId", "the secret") },
    },
    {
        name: "iam-least-privilege",
        rows: [17],
        ruleIds: ["CKV_AWS_274", "CKV_AWS_60", "CKV_AWS_61", "IAM.1"],
        description:
            "IAM policies allow no wildcard action and no '*' resource (except for actions AWS cannot scope, such as cloudwatch:PutMetricData); no role is assumable by everyone; AdministratorAccess is never attached.",
        check: {
            kind: "resource",
            types: [...T.iamPolicies, T.iamRole, ...T.iamAttachments],
            run: (r) => {
                if (is(r, T.iamPolicies)) return iamDocumentProblems(r.props.policy);
                if (is(r, T.iamAttachments)) {
                    return String(r.props.policyArn ?? "").endsWith(":policy/AdministratorAccess") ? ["AdministratorAccess is attached"] : [];
                }
                const out: string[] = [];
                for (const s of statementsOf(r.props.assumeRolePolicy)) {
                    if (s.Effect === "Allow" && isWildcardPrincipal(s.Principal)) out.push("the role may be assumed by anyone (Principal \"*\")");
                }
                for (const inline of r.props.inlinePolicies ?? []) out.push(...iamDocumentProblems(inline.policy).map((m) => `inline policy ${inline.name}: ${m}`));
                if ((r.props.managedPolicyArns ?? []).some((a: string) => String(a).endsWith(":policy/AdministratorAccess"))) out.push("AdministratorAccess is attached");
                return out;
            },
        },
    },
    {
        name: "vpc-flow-logs-default-sg-closed",
        rows: [18],
        ruleIds: ["CKV2_AWS_11", "EC2.6", "CKV2_AWS_12", "EC2.2"],
        description: "Every VPC of the stack has flow logs and takes its default security group over with no rules.",
        check: {
            kind: "stack",
            run: (resources) => {
                const violations: StackViolation[] = [];
                const flowLogged = new Set(resources.filter((r) => r.type === T.flowLog).flatMap((r) => deps(r, "vpcId")));
                const defaultGroups = resources.filter((r) => r.type === T.defaultSecurityGroup);
                const closedOver = new Set(defaultGroups.flatMap((r) => deps(r, "vpcId")));
                for (const vpc of resources.filter((r) => r.type === T.vpc)) {
                    if (!flowLogged.has(vpc.urn)) violations.push({ urn: vpc.urn, message: `VPC ${vpc.name} has no flow logs` });
                    if (!closedOver.has(vpc.urn)) violations.push({ urn: vpc.urn, message: `VPC ${vpc.name}'s default security group keeps AWS's default rules` });
                }
                for (const g of defaultGroups) {
                    if ((g.props.ingress ?? []).length > 0 || (g.props.egress ?? []).length > 0) violations.push({ urn: g.urn, message: `default security group ${g.name} has rules` });
                }
                return violations;
            },
        },
    },
    {
        name: "kms-customer-managed-keys",
        rows: [19],
        ruleIds: ["CKV_AWS_7", "CKV2_AWS_64", "CKV_AWS_33", "CKV_AWS_184", "CKV_AWS_354", "CKV_AWS_158", "CKV_AWS_189", "CKV_AWS_26"],
        description:
            "Customer-managed keys rotate, carry an explicit policy with no wildcard principal; file systems, RDS storage and Performance Insights, volumes (launch templates' too), log groups and SNS topics are encrypted with a customer-managed key.",
        check: {
            kind: "resource",
            types: [T.kmsKey, T.fileSystem, T.rds, T.instance, T.launchTemplate, T.volume, T.logGroup, T.snsTopic],
            run: (r) => {
                const p = r.props;
                switch (r.type) {
                    case T.kmsKey: {
                        const out: string[] = [];
                        const symmetric = (p.customerMasterKeySpec ?? p.keySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT";
                        if (symmetric && p.enableKeyRotation !== true) out.push("the key does not rotate (enableKeyRotation)");
                        if (!("policy" in p)) out.push("the key has no explicit key policy");
                        else {
                            const policy = readProperty(p, "policy");
                            if (policy.known && statementsOf(policy.value).some((s) => s.Effect === "Allow" && isWildcardPrincipal(s.Principal))) {
                                out.push("the key policy allows a wildcard principal");
                            }
                        }
                        return out;
                    }
                    case T.fileSystem:
                        return customerKeyProblem(p, "kmsKeyId", "the file system");
                    case T.rds: {
                        const out = customerKeyProblem(p, "kmsKeyId", "the database storage");
                        if (p.performanceInsightsEnabled === true) out.push(...customerKeyProblem(p, "performanceInsightsKmsKeyId", "Performance Insights"));
                        return out;
                    }
                    case T.instance:
                        return [
                            ...customerKeyProblem(p.rootBlockDevice ?? {}, "kmsKeyId", "the root volume"),
                            ...(p.ebsBlockDevices ?? []).flatMap((d: any) => customerKeyProblem(d, "kmsKeyId", `the data volume ${d.deviceName}`)),
                        ];
                    case T.launchTemplate:
                        return (p.blockDeviceMappings ?? [])
                            .filter((m: any) => m.ebs)
                            .flatMap((m: any) => customerKeyProblem(m.ebs, "kmsKeyId", `the launch template's volume ${m.deviceName ?? "(unnamed)"}`));
                    case T.volume:
                        return customerKeyProblem(p, "kmsKeyId", "the volume");
                    case T.logGroup:
                        return customerKeyProblem(p, "kmsKeyId", "the log group");
                    case T.snsTopic:
                        return customerKeyProblem(p, "kmsMasterKeyId", "the topic");
                    default:
                        return [];
                }
            },
        },
    },
];

/** A property value, or undefined when the engine does not know it yet (a preview). */
function readKnown(r: CheckedResource, property: string): any {
    const read = readProperty(r.props, property);
    return read.known ? read.value : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Row 20: Auto Scaling groups.

function autoScalingGroupProblems(resources: readonly CheckedResource[]): StackViolation[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const attachedByResource = new Set(resources.filter((r) => is(r, T.autoScalingAttachments)).flatMap((r) => deps(r, "autoscalingGroupName")));
    const violations: StackViolation[] = [];
    for (const group of resources.filter((r) => r.type === T.autoScalingGroup)) {
        const p = group.props;
        const problem = (message: string) => violations.push({ urn: group.urn, message: `Auto Scaling group ${group.name}: ${message}` });
        if (!p.launchTemplate && !p.mixedInstancesPolicy?.launchTemplate) problem("it launches from a launch configuration, not a launch template");

        // An ARN not known yet (a preview) is still a target group.
        const listed = (key: string) => {
            const read = readProperty(p, key);
            return !read.known || (Array.isArray(read.value) && read.value.length > 0) || deps(group, key).length > 0;
        };
        const behindLoadBalancer = listed("targetGroupArns") || listed("loadBalancers") || listed("trafficSources") || attachedByResource.has(group.urn);
        if (behindLoadBalancer && p.healthCheckType !== "ELB") problem(`healthCheckType is ${JSON.stringify(p.healthCheckType ?? "EC2")}, expected "ELB" (with EC2 checks alone, an instance the load balancer finds unhealthy stays in service)`);

        // Zones from the stack's subnets where it knows them; a subnet from outside the stack counts as a zone of its own.
        const subnetUrns = deps(group, "vpcZoneIdentifiers");
        const subnets = subnetUrns.map((u) => byUrn.get(u)).filter((s): s is CheckedResource => s?.type === T.subnet);
        const zonesKnown = subnets.length > 0 && subnets.length === subnetUrns.length && subnets.every((s) => typeof readKnown(s, "availabilityZone") === "string");
        const zones = zonesKnown
            ? new Set(subnets.map((s) => readKnown(s, "availabilityZone"))).size
            : Math.max((readKnown(group, "vpcZoneIdentifiers") ?? []).length, subnetUrns.length, (readKnown(group, "availabilityZones") ?? []).length);
        if (zones < 2) problem(`it spans ${zones} zone(s), expected at least two`);

        const tags = readKnown(group, "tags") ?? readKnown(group, "tag");
        if (!(Array.isArray(tags) ? tags.length > 0 : tags && Object.keys(tags).length > 0)) problem("it has no tags");
    }
    return violations;
}
