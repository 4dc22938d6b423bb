/**
 * A Mermaid flowchart as data, and its one serialiser: ids are made safe and every label is quoted
 * here, so the diagram builders never write Mermaid syntax themselves.
 */

export type NodeShape = "box" | "rounded" | "database" | "pill";

export interface FlowNode {
    readonly kind: "node";
    readonly id: string;
    readonly label: string;
    readonly shape?: NodeShape;
}

export interface FlowGroup {
    readonly kind: "group";
    readonly id: string;
    readonly label: string;
    readonly children: readonly FlowItem[];
}

export type FlowItem = FlowNode | FlowGroup;

export interface FlowEdge {
    readonly from: string;
    readonly to: string;
    readonly label?: string;
    /** Dotted: a permission (security group, IAM); solid: where traffic is routed. */
    readonly dotted?: boolean;
    /** Arrow heads at both ends. */
    readonly both?: boolean;
}

export interface Flowchart {
    readonly direction: "LR" | "TB";
    readonly items: readonly FlowItem[];
    readonly edges: readonly FlowEdge[];
}

/** A Mermaid id from any text: letters, digits and underscores only. */
export function mermaidId(text: string): string {
    return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/** A quoted Mermaid label; line breaks become <br/>, quotes an entity. */
export function quoted(label: string): string {
    return `"${label.replace(/"/g, "#quot;").replace(/\n/g, "<br/>")}"`;
}

const SHAPES: Record<NodeShape, [string, string]> = {
    box: ["[", "]"],
    rounded: ["(", ")"],
    database: ["[(", ")]"],
    pill: ["([", "])"],
};

export function renderFlowchart(chart: Flowchart): string {
    const lines = [`flowchart ${chart.direction}`];
    const item = (entry: FlowItem, depth: number) => {
        const indent = "    ".repeat(depth);
        if (entry.kind === "node") {
            const [open, close] = SHAPES[entry.shape ?? "box"];
            lines.push(`${indent}${entry.id}${open}${quoted(entry.label)}${close}`);
            return;
        }
        lines.push(`${indent}subgraph ${entry.id}[${quoted(entry.label)}]`);
        for (const child of entry.children) item(child, depth + 1);
        lines.push(`${indent}end`);
    };
    for (const entry of chart.items) item(entry, 1);
    for (const edge of chart.edges) {
        const arrow = `${edge.both ? "<" : ""}${edge.dotted ? "-.->" : "-->"}`;
        lines.push(`    ${edge.from} ${arrow}${edge.label ? `|${quoted(edge.label)}|` : ""} ${edge.to}`);
    }
    return lines.join("\n") + "\n";
}

/** Every id a chart declares (nodes and groups), for checks that edges only join declared things. */
export function declaredIds(chart: Flowchart): string[] {
    const ids: string[] = [];
    const walk = (entry: FlowItem) => {
        ids.push(entry.id);
        if (entry.kind === "group") entry.children.forEach(walk);
    };
    chart.items.forEach(walk);
    return ids;
}
