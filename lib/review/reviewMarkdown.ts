import type { RenderDiff, NodeChange, GroupChange, FileChange } from "./renderDiff";
import type { CostEstimate } from "./monthlyCost";
import { costDeltaMarkdown } from "./costReport";

/**
 * The render diff as one Markdown comment per stack: summary, nodes replaced and gateways rolled and why,
 * resources, changed inputs, node and gateway file diffs, cost change and the picture. GitHub refuses comments over 65,536
 * characters, so file diffs that do not fit are listed by name only.
 */

export interface ReviewInput {
    readonly stack: string;
    /** What the change is compared with, e.g. "origin/main (1a2b3c4)". */
    readonly baseLabel: string;
    readonly diff: RenderDiff;
    readonly baseCost?: CostEstimate;
    readonly headCost: CostEstimate;
    /** Mermaid source of the change's architecture picture. */
    readonly architecture?: string;
    /** Default 60,000 characters. */
    readonly maxChars?: number;
}

const ACTION_TEXT: Record<NodeChange["action"], string> = {
    create: "created",
    delete: "deleted",
    replace: "**replaced**",
    update: "updated in place",
    unchanged: "unchanged",
};

const GROUP_ACTION_TEXT: Record<GroupChange["action"], string> = {
    create: "created",
    delete: "deleted",
    roll: "roll (instance refresh)",
    update: "updated in place",
};

/** Text safe inside a table cell code span. */
function code(text: string): string {
    const escaped = text.replace(/\|/g, "\\|").replace(/\n/g, " ");
    return escaped.includes("`") ? escaped : `\`${escaped}\``;
}

export function reviewMarkdown(input: ReviewInput): string {
    const { stack, baseLabel, diff } = input;
    const maxChars = input.maxChars ?? 60_000;
    const replaced = diff.nodes.filter((n) => n.action === "replace");
    const groups = diff.groups;
    const nothing = diff.added.length + diff.removed.length + diff.changed.length === 0 && diff.nodes.length === 0 && groups.length === 0;
    const rolls = groups.filter((g) => g.action === "roll").map((g) => `; ${g.noun} ${GROUP_ACTION_TEXT.roll}`).join("");

    const head: string[] = [
        `## Render diff: \`${stack}\` against ${baseLabel}`,
        "",
        nothing
            ? "No changes: this stack renders exactly as before."
            : `**${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove** ` +
              `(${diff.unchangedCount} unchanged); ${replaced.length} node${replaced.length === 1 ? "" : "s"} replaced${rolls}.`,
        "",
        "_Offline render under mocks (no cloud account): AWS-computed values are stand-ins, so this shows what the program asks for; `pulumi preview` has the last word._",
        "",
    ];

    if (diff.nodes.length > 0) {
        head.push("### Nodes", "");
        for (const n of diff.nodes) {
            head.push(`- **${n.label}**${n.instance ? ` (\`${n.instance}\`)` : ""} is ${ACTION_TEXT[n.action]}: ${n.reasons.join("; ")}.`);
        }
        head.push("");
    }

    if (groups.length > 0) {
        head.push("### Gateways", "");
        for (const g of groups) {
            const names = [`\`${g.group}\``, ...(g.template ? [`template \`${g.template}\``] : [])].join(", ");
            head.push(`- **${g.label}** (${names}): ${g.noun} ${GROUP_ACTION_TEXT[g.action]}: ${g.reasons.join("; ")}.`);
        }
        head.push("");
    }

    if (!nothing && diff.added.length + diff.removed.length + diff.changed.length > 0) {
        head.push("### Resources", "", "| | type | name |", "|---|---|---|");
        for (const r of diff.added) head.push(`| + | ${code(r.type)} | ${code(r.name)} |`);
        for (const r of diff.changed) head.push(`| ~ | ${code(r.type)} | ${code(r.name)} |`);
        for (const r of diff.removed) head.push(`| − | ${code(r.type)} | ${code(r.name)} |`);
        head.push("");
    }

    if (diff.changed.length > 0) {
        head.push("<details><summary>Changed inputs (secrets masked)</summary>", "");
        for (const r of diff.changed) {
            head.push(`**~ ${r.type} \`${r.name}\`**`, "", "| input | before | after |", "|---|---|---|");
            for (const c of r.changes) head.push(`| ${code(c.path)} | ${c.before === undefined ? "—" : code(c.before)} | ${c.after === undefined ? "—" : code(c.after)} |`);
            head.push("");
        }
        head.push("</details>", "");
    }

    const tail: string[] = ["### Monthly cost", "", costDeltaMarkdown(input.baseCost, input.headCost)];
    if (input.architecture) {
        tail.push("<details><summary>Architecture after this change</summary>", "", "```mermaid", input.architecture.trimEnd(), "```", "", "</details>", "");
    }

    // Node and gateway file diffs last before the cost: they are the longest part, so they give way when space runs out.
    const budget = maxChars - head.join("\n").length - tail.join("\n").length - 400;
    const files: string[] = [];
    const left: string[] = [];
    const section = (title: string, entries: readonly { label: string; files: readonly FileChange[]; verb: string }[]) => {
        const withFiles = entries.filter((e) => e.files.length > 0);
        if (withFiles.length > 0) files.push(title, "");
        for (const n of withFiles) {
            const patches = n.files.filter((f) => f.patch);
            const block = [`<details><summary>${n.label}: ${n.files.length} file${n.files.length === 1 ? "" : "s"} ${n.verb}</summary>`, ""];
            if (patches.length === 0) block.push(...n.files.map((f) => `- \`${f.path}\``));
            for (const f of patches) block.push("```diff", f.patch!.trimEnd(), "```", "");
            block.push("</details>", "");
            const text = block.join("\n");
            if (files.join("\n").length + text.length <= budget) files.push(text);
            else left.push(...n.files.map((f) => `${n.label}:${f.path}`));
        }
    };
    const verb = (action: string) => (action === "create" ? "new" : action === "delete" ? "removed" : "changed");
    section("### Node files", diff.nodes.map((n) => ({ label: n.label, files: n.files, verb: verb(n.action) })));
    section("### Gateway files", groups.map((g) => ({ label: g.label, files: g.files, verb: verb(g.action) })));
    if (left.length > 0) {
        files.push(`Too long for one comment; not shown: ${left.map((l) => `\`${l}\``).join(", ")}. Run \`npm run render:diff -- --stack ${stack} --against <base>\` locally.`, "");
    }
    return [...head, ...files, ...tail].join("\n");
}
