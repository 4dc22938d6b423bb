import type { DeclaredKey } from "./stackConfig";

/**
 * The configuration reference: one Markdown table row per key Pulumi.yaml declares, in its order, with its
 * type, its default (or **required** when it has none) and its description, which states the values the
 * key accepts. docs/configuration.md embeds it (scripts/configReference.ts writes it there; a test fails
 * while the committed copy differs), so the reference is Pulumi.yaml and cannot drift from it.
 */
export function configReferenceTable(declared: Readonly<Record<string, DeclaredKey>>): string {
    const rows = Object.entries(declared).map(([key, decl]) => `| \`${key}\` | ${typeOf(decl)} | ${defaultOf(decl)} | ${cell(decl.description ?? "")} |`);
    return ["| key | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n") + "\n";
}

/** Pulumi.yaml may say what a list holds (`items: {type: string}`) and that a key is secret. */
type Declared = DeclaredKey & { readonly items?: { readonly type?: string }; readonly secret?: boolean };

function typeOf(decl: Declared): string {
    const items = decl.type === "array" && decl.items?.type ? ` of ${decl.items.type}` : "";
    return `${decl.type}${items}${decl.secret ? ", secret" : ""}`;
}

function defaultOf(decl: DeclaredKey): string {
    return decl.default === undefined ? "**required**" : `\`${JSON.stringify(decl.default)}\``;
}

/**
 * A description as one table cell: on one line, `|` escaped, and `<…>` outside code spans escaped so
 * GitHub shows `apim-<n>` instead of taking `<n>` for an HTML tag and dropping it.
 */
function cell(text: string): string {
    return text
        .replace(/\s+/g, " ")
        .trim()
        .split(/(`[^`]*`)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
        .join("")
        .replace(/\|/g, "\\|");
}
