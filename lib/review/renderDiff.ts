import { createPatch } from "diff";
import type { RenderedResource } from "./renderedResource";
import type { RenderSnapshot } from "./renderSnapshot";
import { inputChanges, InputChange, maskText } from "./inputChanges";
import { RESOURCE_TYPES } from "./resourceTypes";

/**
 * The difference between two renders of a stack (the base branch and the change): resources added,
 * removed and changed, matched by type and name as Pulumi matches them; which nodes an update would
 * replace and why; and a unified diff of each node's files.
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

export interface RenderDiff {
    readonly added: readonly ResourceRef[];
    readonly removed: readonly ResourceRef[];
    readonly changed: readonly ChangedResource[];
    readonly unchangedCount: number;
    /** Nodes with a changed instance or changed files, in node order. */
    readonly nodes: readonly NodeChange[];
}

const INSTANCE_TYPE = RESOURCE_TYPES.instance;

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
    return { added, removed, changed, unchangedCount, nodes: nodeChanges(base, head, changed) };
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
