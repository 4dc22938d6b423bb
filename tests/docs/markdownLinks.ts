import * as fs from "fs";
import * as path from "path";

/**
 * What the link check needs of a Markdown file: the anchors GitHub gives its headings, and its relative
 * links. Fenced code blocks and inline code are not Markdown, so neither counts.
 */

/** A relative link as written: `[text](target)`, target "file.md#anchor", "file.md" or "#anchor". */
export interface MarkdownLink {
    readonly line: number;
    readonly target: string;
}

/** The file's lines, those of fenced code blocks blank, so line numbers stay as they were. */
function proseLines(markdown: string): string[] {
    let fence: string | undefined;
    return markdown.split("\n").map((line) => {
        const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
        if (fence === undefined && opener) {
            fence = opener;
            return "";
        }
        if (fence !== undefined) {
            if (opener && opener[0] === fence[0] && opener.length >= fence.length && line.trim() === opener) fence = undefined;
            return "";
        }
        return line;
    });
}

/**
 * Inline code spans blanked out (a span may hold `[x](y)` that is not a link), paragraph by paragraph, since a
 * span may wrap onto the next line but never crosses a blank line. Offsets and line breaks stay where they were.
 */
const withoutCodeSpans = (text: string) =>
    text
        .split(/(\n[ \t]*\n)/)
        .map((paragraph) => paragraph.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (span) => span.replace(/[^\n]/g, " ")))
        .join("");

/**
 * GitHub's heading anchor (github-slugger): lower case, characters other than letters, digits, marks,
 * `_`, `-` and spaces dropped, each space a hyphen. The heading's text is what it renders: link texts,
 * code without its backticks.
 */
export function githubSlug(heading: string): string {
    const text = heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/`/g, "")
        .toLowerCase();
    return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Every anchor of a file's headings, repeated headings numbered as GitHub numbers them (-1, -2, …). */
export function headingAnchors(markdown: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    for (const line of proseLines(markdown)) {
        const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
        if (heading === undefined) continue;
        const slug = githubSlug(heading);
        const count = seen.get(slug) ?? 0;
        seen.set(slug, count + 1);
        anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    return anchors;
}

/** Every inline link and image of the file whose target is relative (not a URL, not mailto:); a link's text may wrap. */
export function relativeLinks(markdown: string): MarkdownLink[] {
    const text = withoutCodeSpans(proseLines(markdown).join("\n"));
    const links: MarkdownLink[] = [];
    for (const match of text.matchAll(/!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = match[1];
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
        links.push({ line: text.slice(0, match.index).split("\n").length, target });
    }
    return links;
}

/**
 * Why a link of `fromFile` does not resolve, or undefined when it does: its file must exist and, when the
 * link names an anchor, be Markdown with a heading of that anchor.
 */
export function brokenLink(fromFile: string, target: string): string | undefined {
    const hash = target.indexOf("#");
    const filePart = decodeURI(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const file = filePart === "" ? fromFile : path.resolve(path.dirname(fromFile), filePart);
    if (!fs.existsSync(file)) return `no file ${filePart}`;
    if (anchor === undefined) return undefined;
    if (!file.endsWith(".md")) return `#${anchor} in a file that is not Markdown`;
    const anchors = headingAnchors(fs.readFileSync(file, "utf8"));
    return anchors.has(anchor) ? undefined : `no heading #${anchor} in ${path.basename(file)}`;
}
