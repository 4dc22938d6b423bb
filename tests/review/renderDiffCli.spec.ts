import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { runRenderDiff } from "../../scripts/renderDiff";
import { scratchDir } from "../support/scratchDir";

/**
 * The render diff end to end against a real git repository: the base is rendered by the base commit's
 * own scripts/render.ts in a temporary worktree. The repository's render script is a small stand-in
 * that writes a render folder, so the test exercises git, the worktree and the report in about a second.
 */

const ROOT = path.join(__dirname, "..", "..");

const FAKE_RENDER = `
import * as fs from "fs";
import * as path from "path";
const stack = process.argv[process.argv.indexOf("--stack") + 1];
const out = path.join("build", "render", stack);
const resources = [
    { type: "aws:ec2/instance:Instance", name: "wso2-apim-1-instance", parent: "wso2-apim-1",
      inputs: { instanceType: "t3.large", userDataBase64: "H4sI-base", userDataReplaceOnChange: true, tags: { "wso2:node": "apim-1" } } },
    { type: "aws:secretsmanager/secret:Secret", name: "wso2-secrets-secret", parent: "wso2-secrets", inputs: {} },
];
fs.mkdirSync(path.join(out, "nodes", "1", "files", "etc", "wso2am"), { recursive: true });
fs.writeFileSync(path.join(out, "resources.json"), JSON.stringify(resources));
fs.writeFileSync(path.join(out, "nodes", "1", "files", "etc", "wso2am", "node.env"), 'JVM_HEAP_MB="2048"\\n');
`;

function git(repo: string, ...args: string[]): string {
    const run = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: repo, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
    return run.stdout;
}

let repo: string;
let head: string;

beforeAll(() => {
    repo = scratchDir("diff-repo");
    git(repo, "init", "--quiet");
    fs.mkdirSync(path.join(repo, "scripts"));
    fs.writeFileSync(path.join(repo, "scripts", "render.ts"), FAKE_RENDER);
    fs.writeFileSync(path.join(repo, "Pulumi.demo.yaml"), "config:\n  aws:region: us-east-1\n");
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "-m", "base");

    // The change: a bigger instance and heap, as a render folder.
    head = scratchDir("diff-head");
    fs.mkdirSync(path.join(head, "nodes", "1", "files", "etc", "wso2am"), { recursive: true });
    fs.writeFileSync(
        path.join(head, "resources.json"),
        JSON.stringify([
            {
                type: "aws:ec2/instance:Instance",
                name: "wso2-apim-1-instance",
                parent: "wso2-apim-1",
                inputs: { instanceType: "m6i.large", userDataBase64: "H4sI-head", userDataReplaceOnChange: true, tags: { "wso2:node": "apim-1" } },
            },
            { type: "aws:secretsmanager/secret:Secret", name: "wso2-secrets-secret", parent: "wso2-secrets", inputs: {} },
        ]),
    );
    fs.writeFileSync(path.join(head, "nodes", "1", "files", "etc", "wso2am", "node.env"), 'JVM_HEAP_MB="4096"\n');
    fs.writeFileSync(path.join(head, "architecture.md"), "# Architecture\n\n```mermaid\nflowchart LR\n    a[\"node\"]\n```\n");
});

describe("npm run render:diff", () => {
    it("renders the base in a worktree with its own render script and reports the change", async () => {
        const out = path.join(scratchDir("diff-out"), "review.md");
        const { markdown } = await runRenderDiff({ stack: "demo", against: "HEAD", repoDir: repo, headDir: head, out });
        expect(fs.readFileSync(out, "utf8")).toBe(markdown);

        const commit = git(repo, "rev-parse", "--short=7", "HEAD").trim();
        expect(markdown).toContain(`## Render diff: \`demo\` against \`HEAD\` (${commit})`);
        expect(markdown).toContain("- **apim-1** (`wso2-apim-1-instance`) is **replaced**: the user data changed: /etc/wso2am/node.env; the instance type changed (stop, resize, start).");
        expect(markdown).toContain('-JVM_HEAP_MB="2048"\n+JVM_HEAP_MB="4096"');
        // Both sides priced in the stack's region (us-east-1 here).
        expect(markdown).toContain("| EC2 t3.large | $60.74 | — | −$60.74 |");
        expect(markdown).toContain("| EC2 m6i.large | — | $70.08 | +$70.08 |");
        expect(markdown).toContain('```mermaid\nflowchart LR\n    a["node"]\n```');

        // The base rendered into the worktree, which is gone; the repository is untouched.
        expect(fs.existsSync(path.join(repo, "build"))).toBe(false);
        expect(git(repo, "worktree", "list").trim().split("\n")).toHaveLength(1);
        expect(git(repo, "status", "--porcelain")).toBe("");
    });

    it("shows everything as added when the stack did not exist at the base", async () => {
        // The change adds the stack's file.
        fs.writeFileSync(path.join(repo, "Pulumi.newstack.yaml"), "config:\n  aws:region: us-east-1\n");
        const { markdown } = await runRenderDiff({ stack: "newstack", against: "HEAD", repoDir: repo, headDir: head, out: path.join(scratchDir("diff-out"), "new.md") });
        expect(markdown).toContain("where stack newstack did not exist");
        expect(markdown).toContain("**2 to add, 0 to change, 0 to remove**");
        // m6i.large $70.08, its default 8 GB root volume $0.64, the secret $0.40.
        expect(markdown).toContain("**nothing → $71.12 a month**");
    });

    it("names an unknown ref and how to fetch it", async () => {
        await expect(runRenderDiff({ stack: "demo", against: "no-such-branch", repoDir: repo, headDir: head })).rejects.toThrow(
            /unknown git ref "no-such-branch".*git fetch origin/,
        );
    });

    it("prints its usage, not a stack trace, when the base is missing", () => {
        const cli = spawnSync(process.execPath, ["--require", "tsx/cjs", "scripts/renderDiff.ts", "--stack", "dev"], { cwd: ROOT, encoding: "utf8" });
        expect(cli.status).toBe(1);
        expect(cli.stderr).toContain("give either --against <git ref> or --base-dir <render folder>");
        expect(cli.stderr).toContain("usage: npm run render:diff -- --stack <name> --against <git ref>");
        expect(cli.stderr).not.toMatch(/\n\s+at /);
    });
});
