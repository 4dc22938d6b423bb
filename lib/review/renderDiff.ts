import { createPatch } from "diff";
import type { RenderedResource } from "./renderedResource";
import type { RenderSnapshot } from "./renderSnapshot";
import { inputChanges, InputChange, maskText } from "./inputChanges";
import { RESOURCE_TYPES } from "./resourceTypes";
import { autoScalingGroups, sizeRange } from "./autoScalingGroups";

/**
 * The difference between two renders of a stack (the base branch and the change): resources added,
 * removed and changed, matched by type and name as Pulumi matches them; which nodes an update would
 * replace and why, and whether the gateways roll; and a unified diff of each node's and the gateways' files.
 */

export interface ResourceRef {
    readonly type: string;
    readonly name: string;
}

export interface ChangedResource extends ResourceRef {
    readonly changes: readonly InputChange[];
}

export interface FileChange {
    /** Path on the node (/etc/wso2am/deployment.toml) or the cloud-config outline. */
    readonly path: string;
    readonly status: "added" | "removed" | "changed";
    /** Unified diff, secrets masked; absent for the files of a node that is only added or removed. */
    readonly patch?: string;
}

export type NodeAction = "create" | "delete" | "replace" | "update" | "unchanged";

export interface NodeChange {
    /** Render folder of the node ("1"). */
    readonly node: string;
    /** Node name (the instance's wso2:node tag), e.g. apim-1. */
    readonly label: string;
    /** The instance resource's name, when the render has one for this node. */
    readonly instance?: string;
    readonly action: NodeAction;
    /** Why: each changed instance input that forces the action. */
    readonly reasons: readonly string[];
    readonly files: readonly FileChange[];
}

/**
 * What happens to an Auto Scaling group's instances. "roll": a new template version, which the group's
 * instance refresh rolls out, replacing every instance; "update": the group changes in place, or new
 * instances only get the new template (no instance refresh configured).
 */
export type GroupAction = "create" | "delete" | "roll" | "update";

export interface GroupChange {
    /** "Universal Gateways", or "Auto Scaling group <name>". */
    readonly label: string;
    /** How the summary names its instances: "gateways". */
    readonly noun: string;
    /** The group and launch template resources' names. */
    readonly group: string;
    readonly template?: string;
    readonly action: GroupAction;
    readonly reasons: readonly string[];
    /** The gateways' files (gateway/), for the gateway fleet's group. */
    readonly files: readonly FileChange[];
}

export interface RenderDiff {
    readonly added: readonly ResourceRef[];
    readonly removed: readonly ResourceRef[];
    readonly changed: readonly ChangedResource[];
    readonly unchangedCount: number;
    /** Nodes with a changed instance or changed files, in node order. */
    readonly nodes: readonly NodeChange[];
    /** Auto Scaling groups (the gateways) created, removed, rolled or changed. */
    readonly groups: readonly GroupChange[];
}

const INSTANCE_TYPE = RESOURCE_TYPES.instance;
const T_LAUNCH_TEMPLATE = RESOURCE_TYPES.launchTemplate;
const T_GROUP = RESOURCE_TYPES.autoScalingGroup;

/**
 * Instance inputs EC2 cannot change on a running instance: the provider creates a new instance. User
 * data replaces only with userDataReplaceOnChange (otherwise the instance is stopped and started).
 */
const REPLACING_INPUTS: Readonly<Record<string, string>> = {
    ami: "the AMI changed",
    subnetId: "the subnet changed",
    availabilityZone: "the availability zone changed",
    privateIp: "the private IP changed",
    associatePublicIpAddress: "public IP association changed",
};
/** Inputs applied by stopping and starting the same instance. */
const RESTARTING_INPUTS: Readonly<Record<string, string>> = {
    instanceType: "the instance type changed (stop, resize, start)",
};

/**
 * A file that needs more line edits than this is reported as rewritten rather than diffed for seconds. A bound
 * on edits rather than on time, so that every machine prints the same diff.
 */
const MAX_LINE_EDITS = 1000;
const lineCount = (text: string) => (text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0));

const key = (r: ResourceRef) => `${r.type}::${r.name}`;

export function diffRenders(base: RenderSnapshot, head: RenderSnapshot): RenderDiff {
    const before = new Map(base.resources.map((r) => [key(r), r]));
    const after = new Map(head.resources.map((r) => [key(r), r]));
    const ref = (r: RenderedResource): ResourceRef => ({ type: r.type, name: r.name });

    const added = head.resources.filter((r) => !before.has(key(r))).map(ref);
    const removed = base.resources.filter((r) => !after.has(key(r))).map(ref);
    const changed: ChangedResource[] = [];
    let unchangedCount = 0;
    for (const r of head.resources) {
        const old = before.get(key(r));
        if (!old) continue;
        const changes = [...inputChanges(old.inputs ?? {}, r.inputs ?? {})];
        if ((old.parent ?? null) !== (r.parent ?? null)) changes.unshift({ path: "(parent)", before: String(old.parent), after: String(r.parent) });
        if (changes.length > 0) changed.push({ ...ref(r), changes });
        else unchangedCount++;
    }
    return { added, removed, changed, unchangedCount, nodes: nodeChanges(base, head, changed), groups: groupChanges(base, head, changed) };
}

/** Template inputs named in a roll's reasons; any other changed input is listed by path. */
const TEMPLATE_INPUTS: Readonly<Record<string, string>> = {
    imageId: "the image changed",
    instanceType: "the instance type changed",
    iamInstanceProfile: "the instance profile changed",
    networkInterfaces: "the network interfaces or security groups changed",
    vpcSecurityGroupIds: "the security groups changed",
    blockDeviceMappings: "the volumes changed",
    metadataOptions: "the metadata options changed",
};
const topInput = (c: InputChange) => c.path.split(/[.[ ]/)[0];

function groupChanges(base: RenderSnapshot, head: RenderSnapshot, changed: readonly ChangedResource[]): GroupChange[] {
    const before = new Map(autoScalingGroups(base.resources).map((g) => [g.group.name, g]));
    const after = new Map(autoScalingGroups(head.resources).map((g) => [g.group.name, g]));
    const changesOf = (type: string, name?: string) => changed.find((c) => c.type === type && c.name === name)?.changes ?? [];
    const result: GroupChange[] = [];
    for (const name of [...new Set([...after.keys(), ...before.keys()])]) {
        const old = before.get(name);
        const now = after.get(name);
        const view = (now ?? old)!;
        const common = { label: view.label, noun: view.gatewayFleet ? "gateways" : `the instances of ${name}`, group: name, template: view.template?.name };
        if (!old || !now) {
            const files = view.gatewayFleet ? fileChanges(old ? base.gateway : undefined, now ? head.gateway : undefined) : [];
            const reasons = now ? [`${now.instanceType ?? "?"} × ${sizeRange(now)} in ${now.subnetIds.length} subnets`] : ["the Auto Scaling group and its instances are removed"];
            result.push({ ...common, action: now ? "create" : "delete", reasons, files });
            continue;
        }
        const files = now.gatewayFleet ? fileChanges(base.gateway, head.gateway) : [];
        const templateChanges = old.template?.name === now.template?.name ? changesOf(T_LAUNCH_TEMPLATE, now.template?.name) : [];
        const top = new Set(templateChanges.map(topInput));
        const templateReasons: string[] = [];
        if (top.has("userData")) {
            const paths = files.map((f) => f.path).join(", ");
            templateReasons.push(`the user data changed${paths ? `: ${paths}` : ""}`);
        }
        templateReasons.push(...Object.entries(TEMPLATE_INPUTS).filter(([input]) => top.has(input)).map(([, why]) => why));
        const other = [...top].filter((input) => input !== "userData" && !(input in TEMPLATE_INPUTS));
        if (other.length > 0) templateReasons.push(`other template inputs changed: ${other.join(", ")}`);
        if (old.template?.name !== now.template?.name) templateReasons.push(`the group launches from another template (${now.template?.name ?? "none"})`);
        const groupInputs = [...new Set(changesOf(T_GROUP, name).map(topInput))];
        const groupReasons = groupInputs.length > 0 ? [`the group's ${groupInputs.join(", ")} changed (in place)`] : [];
        if (templateReasons.length === 0 && groupReasons.length === 0 && files.length === 0) continue;
        // A template change makes a new version; only an instance refresh replaces the running instances with it.
        const refreshes = now.group.inputs.instanceRefresh !== undefined && now.group.inputs.instanceRefresh !== null;
        const rolls = templateReasons.length > 0 || files.length > 0;
        const action: GroupAction = rolls && refreshes ? "roll" : "update";
        const reasons = [
            ...(templateReasons.length === 0 && files.length > 0 ? [`the files changed: ${files.map((f) => f.path).join(", ")}`] : templateReasons),
            ...(rolls && !refreshes ? ["running instances keep the old template until replaced (the group has no instance refresh)"] : []),
            ...groupReasons,
        ];
        result.push({ ...common, action, reasons, files });
    }
    return result;
}

/** The node folder an instance's files are rendered to: its wso2:node tag ends in the node's number. */
export function nodeFolderOf(instance: RenderedResource): string | undefined {
    return /(\d+)$/.exec(String(instance.inputs.tags?.["wso2:node"] ?? ""))?.[1];
}

function nodeChanges(base: RenderSnapshot, head: RenderSnapshot, changed: readonly ChangedResource[]): NodeChange[] {
    const instancesOf = (s: RenderSnapshot) =>
        new Map(s.resources.filter((r) => r.type === INSTANCE_TYPE).flatMap((r) => (nodeFolderOf(r) ? [[nodeFolderOf(r)!, r] as const] : [])));
    const baseInstances = instancesOf(base);
    const headInstances = instancesOf(head);
    const folders = [...new Set([...base.nodes.keys(), ...head.nodes.keys(), ...baseInstances.keys(), ...headInstances.keys()])].sort(
        (a, b) => Number(a) - Number(b) || a.localeCompare(b),
    );

    const result: NodeChange[] = [];
    for (const node of folders) {
        const oldInstance = baseInstances.get(node);
        const newInstance = headInstances.get(node);
        const instance = newInstance ?? oldInstance;
        const label = String(instance?.inputs.tags?.["wso2:node"] ?? `node ${node}`);
        const files = fileChanges(base.nodes.get(node), head.nodes.get(node));
        if (!oldInstance || !newInstance) {
            const action: NodeAction = newInstance ? "create" : oldInstance ? "delete" : "update";
            result.push({ node, label, instance: instance?.name, action, reasons: [newInstance ? "a new node" : "the node is removed"], files });
            continue;
        }
        const changes = changed.find((c) => c.type === INSTANCE_TYPE && c.name === newInstance.name)?.changes ?? [];
        const top = new Set(changes.map((c) => c.path.split(/[.[ ]/)[0]));
        const replacing = Object.entries(REPLACING_INPUTS).filter(([input]) => top.has(input)).map(([, why]) => why);
        const userDataChanged = top.has("userDataBase64") || top.has("userData");
        if (userDataChanged) {
            const changedFiles = files.map((f) => f.path).join(", ");
            const why = `the user data changed${changedFiles ? `: ${changedFiles}` : ""}`;
            if (newInstance.inputs.userDataReplaceOnChange === true) replacing.unshift(why);
            else replacing.push(`${why} (applied by stop and start)`);
        }
        const restarting = Object.entries(RESTARTING_INPUTS).filter(([input]) => top.has(input)).map(([, why]) => why);
        const replace = replacing.some((r) => !r.endsWith("(applied by stop and start)"));
        const action: NodeAction = replace ? "replace" : changes.length > 0 || files.length > 0 ? "update" : "unchanged";
        if (action === "unchanged") continue;
        const other = changes.filter((c) => !(c.path.split(/[.[ ]/)[0] in REPLACING_INPUTS) && !(c.path.split(/[.[ ]/)[0] in RESTARTING_INPUTS) && !/^userData/.test(c.path));
        const reasons = [...replacing, ...restarting, ...(other.length > 0 ? [`other inputs changed: ${other.map((c) => c.path).join(", ")}`] : [])];
        result.push({ node, label, instance: newInstance.name, action, reasons, files });
    }
    return result;
}

function fileChanges(before: ReadonlyMap<string, string> | undefined, after: ReadonlyMap<string, string> | undefined): FileChange[] {
    if (!before && !after) return [];
    // A node only on one side: list its files, without printing each one whole.
    if (!before) return [...after!.keys()].map((path) => ({ path, status: "added" }));
    if (!after) return [...before.keys()].map((path) => ({ path, status: "removed" }));
    const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changes: FileChange[] = [];
    for (const path of paths) {
        const a = before.get(path);
        const b = after.get(path);
        if (a === b) continue;
        const status = a === undefined ? "added" : b === undefined ? "removed" : "changed";
        const [oldText, newText] = [maskText(a ?? ""), maskText(b ?? "")];
        const patch = createPatch(path, oldText, newText, "base", "change", { context: 3, maxEditLength: MAX_LINE_EDITS });
        // Drop createPatch's "Index:" and "====" preamble; keep the ---/+++ header and hunks.
        changes.push({
            path,
            status,
            patch: patch
                ? patch.slice(patch.indexOf("--- "))
                : `--- ${path}\tbase\n+++ ${path}\tchange\n(rewritten: ${lineCount(oldText)} → ${lineCount(newText)} lines, too different to diff line by line)\n`,
        });
    }
    return changes;
}
