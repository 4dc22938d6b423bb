import * as fs from "fs";
import * as path from "path";
import { brokenLink, githubSlug, headingAnchors, relativeLinks } from "./markdownLinks";

const root = path.join(__dirname, "..", "..");
const docsDir = path.join(root, "docs");
const docs = fs
    .readdirSync(docsDir)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => path.join(docsDir, f));
const pages = [path.join(root, "README.md"), ...docs];
const relative = (file: string) => path.relative(root, file);
const read = (file: string) => fs.readFileSync(file, "utf8");

describe("links between README.md and docs/", () => {
    it("resolve: every relative link reaches a file and, with an #anchor, a heading of it", () => {
        const broken = pages.flatMap((file) =>
            relativeLinks(read(file))
                .map(({ line, target }) => ({ line, target, why: brokenLink(file, target) }))
                .filter(({ why }) => why !== undefined)
                .map(({ line, target, why }) => `${relative(file)}:${line}: (${target}): ${why}`),
        );
        expect(broken).toEqual([]);
    });

    it("reach every docs file from the README", () => {
        const linked = new Set(
            relativeLinks(read(pages[0]))
                .map(({ target }) => target.split("#")[0])
                .filter((target) => target !== "")
                .map((target) => path.resolve(root, target)),
        );
        expect(docs.length).toBeGreaterThan(0);
        expect(docs.filter((file) => !linked.has(file)).map(relative)).toEqual([]);
    });

    it("never point into a ../shared folder", () => {
        const offending = pages.flatMap((file) =>
            read(file)
                .split("\n")
                .flatMap((text, i) => (text.includes("../shared") ? [`${relative(file)}:${i + 1}`] : [])),
        );
        expect(offending).toEqual([]);
    });

    it("each docs file says first whom it is for", () => {
        for (const file of docs) {
            const [title, , forWhom] = read(file).split("\n");
            expect([relative(file), /^# \S/.test(title), /^\*For \S/.test(forWhom ?? "")]).toEqual([relative(file), true, true]);
        }
    });
});

describe("the link check itself", () => {
    it("makes anchors as GitHub does: lower case, punctuation dropped, spaces hyphens, repeats numbered", () => {
        expect(githubSlug("Reviewing a change: render, render diff, picture and cost")).toBe("reviewing-a-change-render-render-diff-picture-and-cost");
        expect(githubSlug("The seed's eleven steps, and where each is done")).toBe("the-seeds-eleven-steps-and-where-each-is-done");
        expect(githubSlug("Upgrading API-M")).toBe("upgrading-api-m");
        expect(githubSlug("`npm test` and [jest](https://jestjs.io)")).toBe("npm-test-and-jest");
        expect(githubSlug("snake_case – 2 ways")).toBe("snake_case--2-ways");
        expect([...headingAnchors("# A\n## B\n```\n# not a heading\n```\n## B\n### B\n")]).toEqual(["a", "b", "b-1", "b-2"]);
    });

    it("reads links outside code only, wrapped ones too, and leaves URLs alone", () => {
        const md = [
            "See [one](a.md#x) and ![two](img.png), [`three`](#y).",
            "`[not](a link)` and [web](https://example.com) and [mail](mailto:a@b.c)",
            "```",
            "[inside](code.md)",
            "```",
            "a [link that",
            "wraps](b.md#z), and `code that",
            "wraps [x](y.md)`",
        ].join("\n");
        expect(relativeLinks(md)).toEqual([
            { line: 1, target: "a.md#x" },
            { line: 1, target: "img.png" },
            { line: 1, target: "#y" },
            { line: 6, target: "b.md#z" },
        ]);
    });

    it("names what is broken: a missing file, a missing heading", () => {
        const readme = path.join(root, "README.md");
        expect(brokenLink(readme, "docs/nothing.md")).toBe("no file docs/nothing.md");
        expect(brokenLink(readme, "#no-such-heading")).toBe("no heading #no-such-heading in README.md");
        expect(brokenLink(readme, "#quick-start")).toBeUndefined();
    });
});
