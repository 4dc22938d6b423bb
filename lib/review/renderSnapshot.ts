import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { RenderedResource } from "./renderedResource";

/** What the render diff compares: a render's resources and each node's files, and the gateways', as text. */
export interface RenderSnapshot {
    readonly resources: readonly RenderedResource[];
    /** Node folder ("1", "2", …) → file → content. Files are the paths cloud-init writes (/etc/…), plus CLOUD_CONFIG_OUTLINE. */
    readonly nodes: ReadonlyMap<string, ReadonlyMap<string, string>>;
    /** The gateways' files (gateway/), laid out as a node's; absent for a stack without gateways. */
    readonly gateway?: ReadonlyMap<string, string>;
}

/** The cloud-config without the written files' contents (those are compared file by file). */
export const CLOUD_CONFIG_OUTLINE = "cloud-config.yaml (without file contents)";

export const EMPTY_SNAPSHOT: RenderSnapshot = { resources: [], nodes: new Map() };

/** Reads a render folder (build/render/<stack>) as the render contract lays it out. */
export function readRenderFolder(dir: string): RenderSnapshot {
    const resourcesFile = path.join(dir, "resources.json");
    if (!fs.existsSync(resourcesFile)) throw new Error(`${dir} is not a render folder: it has no resources.json`);
    const resources = JSON.parse(fs.readFileSync(resourcesFile, "utf8")) as RenderedResource[];
    const nodesDir = path.join(dir, "nodes");
    const nodes = new Map((fs.existsSync(nodesDir) ? fs.readdirSync(nodesDir).sort() : []).map((node) => [node, readBootFolder(path.join(nodesDir, node))]));
    const gatewayDir = path.join(dir, "gateway");
    return { resources, nodes, ...(fs.existsSync(gatewayDir) ? { gateway: readBootFolder(gatewayDir) } : {}) };
}

/** A node's or the gateways' folder: files/<path> by their path on the machine, and the cloud-config's outline. */
function readBootFolder(dir: string): Map<string, string> {
    const files = new Map<string, string>();
    const filesDir = path.join(dir, "files");
    if (fs.existsSync(filesDir)) {
        for (const entry of fs.readdirSync(filesDir, { recursive: true, withFileTypes: true })) {
            if (!entry.isFile()) continue;
            const full = path.join(entry.parentPath, entry.name);
            files.set(`/${path.relative(filesDir, full).split(path.sep).join("/")}`, fs.readFileSync(full, "utf8"));
        }
    }
    const cloudConfig = path.join(dir, "cloud-config.yaml");
    if (fs.existsSync(cloudConfig)) files.set(CLOUD_CONFIG_OUTLINE, cloudConfigOutline(fs.readFileSync(cloudConfig, "utf8")));
    return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/** The cloud-config with each write_files content replaced by a pointer to the file, so a change shows once. */
export function cloudConfigOutline(cloudConfig: string): string {
    const document = YAML.parseDocument(cloudConfig);
    const files = document.get("write_files");
    if (YAML.isSeq(files)) {
        for (const entry of files.items) {
            if (YAML.isMap(entry) && entry.has("content")) entry.set("content", document.createNode(`(compared as ${String(entry.get("path"))})`));
        }
    }
    // The "#cloud-config" first line is a comment the document keeps.
    return document.toString({ lineWidth: 0 });
}
