import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as YAML from "yaml";
import { stackNames } from "../../lib/config/stackFile";
import { requireTool } from "../support/validators";
import { scratchDir } from "../support/scratchDir";

const root = path.join(__dirname, "..", "..");
const workflowsDir = path.join(root, ".github", "workflows");
const readWorkflow = (file: string) => YAML.parse(fs.readFileSync(path.join(workflowsDir, file), "utf8"));
const workflow = readWorkflow("preview.yml");
const commenter = readWorkflow("render-diff-comment.yml");
const stacks = stackNames(root);
const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const packageLock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));

type Step = { uses?: string; run?: string; id?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string };
const stepUsing = (steps: Step[], action: string) => steps.find((s) => String(s.uses ?? "").startsWith(`${action}@`))!;

describe("pull-request workflow", () => {
    it("runs on pull requests and tests with the CI entry point", () => {
        expect(Object.keys(workflow.on)).toContain("pull_request");
        expect(workflow.jobs.test.steps.map((s: Step) => s.run).filter(Boolean)).toEqual(["bash .ci/run"]);
    });

    it("pins every action of every workflow to a commit, naming its release, the same commit everywhere", () => {
        const pinned = new Map<string, string>();
        for (const file of fs.readdirSync(workflowsDir)) {
            for (const line of fs.readFileSync(path.join(workflowsDir, file), "utf8").split("\n")) {
                const uses = /^\s*(?:-\s+)?uses:\s*(.*)$/.exec(line)?.[1];
                if (uses === undefined) continue;
                const match = /^([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(uses.trim());
                expect([file, uses, match !== null]).toEqual([file, uses, true]);
                const [, action, sha] = match!;
                expect([action, sha]).toEqual([action, pinned.get(action) ?? sha]);
                pinned.set(action, sha);
            }
        }
        expect([...pinned.keys()].sort()).toEqual(
            expect.arrayContaining(["actions/checkout", "actions/setup-node", "pulumi/actions", "actions/upload-artifact", "actions/download-artifact", "actions/github-script"]),
        );
    });
});

it("writes every run step as shellcheck-clean bash", () => {
    if (!requireTool("shellcheck")) return;
    // One file per step, named after its workflow, job and position, and one shellcheck run over them all.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-steps-"));
    try {
        const steps: string[] = [];
        for (const file of fs.readdirSync(workflowsDir)) {
            for (const [name, job] of Object.entries(readWorkflow(file).jobs) as [string, { steps: Step[] }][]) {
                job.steps.forEach((step, i) => {
                    if (!step.run) return;
                    // Expressions are expanded by the runner before bash sees the script: pass them through env instead.
                    expect([file, name, step.run, /\$\{\{/.test(step.run)]).toEqual([file, name, step.run, false]);
                    const script = path.join(dir, `${file}.${name}.step-${i + 1}.sh`);
                    fs.writeFileSync(script, step.run);
                    steps.push(script);
                });
            }
        }
        expect(steps.length).toBeGreaterThan(3);
        const check = spawnSync("shellcheck", ["--shell=bash", "--severity=style", ...steps], { encoding: "utf8" });
        expect(check.stdout).toBe("");
        expect(check.status).toBe(0);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

describe("the preview against AWS", () => {
    const preview = workflow.jobs.preview;
    const steps: Step[] = preview.steps;
    const pulumiStep = stepUsing(steps, "pulumi/actions");

    it("previews every stack that has a stack file, commenting on the pull request", () => {
        expect(preview.needs).toBe("test");
        expect([...preview.strategy.matrix.stack].sort()).toEqual(stacks);
        expect(pulumiStep.with).toMatchObject({ command: "preview", "comment-on-pr": true, "stack-name": "${{ matrix.stack }}" });
        expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
    });

    it("runs the Pulumi CLI version the project pins, the one `npx pulumi` runs", () => {
        const lockedVersion = packageLock.packages["node_modules/pulumi"].version;
        const versionStep = steps.find((s) => s.id === "cli")!;
        expect(pulumiStep.with!["pulumi-version"]).toBe("${{ steps.cli.outputs.version }}");
        expect(steps.indexOf(versionStep)).toBeLessThan(steps.indexOf(pulumiStep));
        // Run the step as the runner would and read what it hands to the action.
        const outputFile = path.join(scratchDir("workflow"), "output");
        const run = spawnSync("bash", ["-e", "-c", versionStep.run!], { cwd: root, env: { ...process.env, GITHUB_OUTPUT: outputFile }, encoding: "utf8" });
        expect(run.status).toBe(0);
        expect(fs.readFileSync(outputFile, "utf8")).toBe(`version=${lockedVersion}\n`);
    });

    it("logs in to the backend the repository names, or Pulumi Cloud when it names none", () => {
        expect(pulumiStep.with!["cloud-url"]).toBe("${{ vars.PULUMI_BACKEND_URL }}");
        expect(pulumiStep.env).toEqual({
            PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
        });
    });

    it("runs the policy pack, with its dependencies installed first", () => {
        expect(pulumiStep.with!.policyPacks).toBe("policy");
        // The root install carries the pack's dependencies (one @pulumi/pulumi for program and pack).
        const install = steps.findIndex((s) => /^npm ci\b/.test(s.run ?? ""));
        expect(install).toBeGreaterThanOrEqual(0);
        expect(install).toBeLessThan(steps.indexOf(pulumiStep));
    });
});

describe("the render diff, for every pull request including forks", () => {
    const job = workflow.jobs["render-diff"];
    const steps: Step[] = job.steps;

    it("diffs every stack against the base commit, without secrets or waiting for the tests", () => {
        expect([...job.strategy.matrix.stack].sort()).toEqual(stacks);
        expect(job.needs).toBeUndefined();
        expect(JSON.stringify(job)).not.toMatch(/secrets\.|id-token/);
        expect(job.permissions).toBeUndefined(); // the workflow's read-only default
        expect(workflow.permissions).toEqual({ contents: "read" });
        const diff = steps.find((s) => /\brender:diff\b/.test(s.run ?? ""))!;
        expect(diff.run).toMatch(/npm run --silent render:diff -- --stack "\$STACK" --against "\$BASE_SHA" --out "build\/review\/\$STACK\.md"/);
        expect(diff.env).toEqual({ STACK: "${{ matrix.stack }}", BASE_SHA: "${{ github.event.pull_request.base.sha }}" });
        expect(stepUsing(steps, "actions/checkout").with).toMatchObject({ "fetch-depth": 0 });
    });

    it("uploads each stack's diff with the pull request and commit it belongs to, also when the render fails", () => {
        const upload = stepUsing(steps, "actions/upload-artifact");
        expect(upload.with).toMatchObject({ name: "render-diff-${{ matrix.stack }}", path: "build/review/" });
        expect(upload.if).toBe("always()");
        const describe = steps.find((s) => /jq /.test(s.run ?? ""))!;
        expect(describe.if).toBe("always()");
        expect(describe.env).toMatchObject({ PULL_REQUEST: "${{ github.event.pull_request.number }}", HEAD_SHA: "${{ github.event.pull_request.head.sha }}" });
    });
});

it("finds in the repository what it runs: the render:diff script, and the policy pack with its dependencies in the root install", () => {
    expect(packageJson.scripts["render:diff"]).toBeDefined();
    expect(fs.existsSync(path.join(root, "policy", "package.json"))).toBe(true);
    const packDependencies = Object.keys(JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8")).dependencies);
    for (const dep of packDependencies) expect([dep, packageJson.dependencies[dep]]).toEqual([dep, expect.any(String)]);
});

describe("the render diff comments", () => {
    it("are posted after the pull request's run, in this repository's context, without its code", () => {
        expect(commenter.on.workflow_run).toEqual({ workflows: [workflow.name], types: ["completed"] });
        expect(commenter.permissions).toEqual({ actions: "read", "pull-requests": "write" });
        const steps: Step[] = commenter.jobs.comment.steps;
        expect(steps.some((s) => String(s.uses ?? "").startsWith("actions/checkout@"))).toBe(false);
        expect(stepUsing(steps, "actions/download-artifact").with).toMatchObject({ pattern: "render-diff-*", "run-id": "${{ github.event.workflow_run.id }}" });
    });

    /** The comment script as actions/github-script runs it, against an in-memory pull request. */
    async function post(files: Record<string, string>, pull: { number: number; headSha: string }, comments: { id: number; body: string; user: { login: string } }[]) {
        const dir = scratchDir("review");
        for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
        const step = stepUsing(commenter.jobs.comment.steps, "actions/github-script");
        const calls: string[] = [];
        const rest = {
            pulls: { get: async ({ pull_number }: { pull_number: number }) => ({ data: { number: pull_number, head: { sha: pull_number === pull.number ? pull.headSha : "other" } } }) },
            issues: {
                listComments: "listComments",
                createComment: async ({ issue_number, body }: { issue_number: number; body: string }) => {
                    calls.push(`create #${issue_number}`);
                    comments.push({ id: comments.length + 1, body, user: { login: "github-actions[bot]" } });
                },
                updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) => {
                    calls.push(`update ${comment_id}`);
                    comments.find((c) => c.id === comment_id)!.body = body;
                },
            },
        };
        const github = { rest, paginate: async () => comments.map((c) => ({ ...c })) };
        const context = { repo: { owner: "o", repo: "r" }, payload: { workflow_run: { head_sha: "abc123" } } };
        const core = { info: () => undefined, warning: (m: string) => calls.push(`warning ${m}`) };
        const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
        const previous = process.env.REVIEW_DIR;
        process.env.REVIEW_DIR = dir;
        try {
            await new AsyncFunction("require", "github", "context", "core", String(step.with!.script))(require, github, context, core);
        } finally {
            process.env.REVIEW_DIR = previous;
        }
        return calls;
    }

    const about = (stack: string, pullRequest: unknown = 7) => JSON.stringify({ stack, pullRequest, headSha: "abc123" });

    it("posts one comment per stack and updates it on the next push", async () => {
        const comments: { id: number; body: string; user: { login: string } }[] = [{ id: 99, body: "a reviewer's comment", user: { login: "someone" } }];
        const files = { "dev.json": about("dev"), "dev.md": "### dev\n+ a bucket", "prod.json": about("prod"), "prod.md": "### prod\nno change" };
        expect(await post(files, { number: 7, headSha: "abc123" }, comments)).toEqual(["create #7", "create #7"]);
        expect(await post({ ...files, "dev.md": "### dev\n+ two buckets" }, { number: 7, headSha: "abc123" }, comments)).toEqual(["update 2", "update 3"]);
        expect(comments.map((c) => c.body)).toEqual([
            "a reviewer's comment",
            "<!-- wso2-apim-ha render diff: dev -->\n### dev\n+ two buckets",
            "<!-- wso2-apim-ha render diff: prod -->\n### prod\nno change",
        ]);
    });

    it("shows the render's message when the render failed", async () => {
        const comments: { id: number; body: string; user: { login: string } }[] = [];
        await post({ "dev.json": about("dev"), "dev.err": "Invalid stack configuration (1 problem):\n  - nodecount: unknown key; did you mean nodeCount?\n" }, { number: 7, headSha: "abc123" }, comments);
        expect(comments[0].body).toContain("the render failed\n\n~~~\nInvalid stack configuration (1 problem):\n  - nodecount: unknown key; did you mean nodeCount?\n~~~");
    });

    it("comments nowhere when the pull request has moved on or the description is not one", async () => {
        const comments: { id: number; body: string; user: { login: string } }[] = [];
        expect(await post({ "dev.json": about("dev"), "dev.md": "x" }, { number: 7, headSha: "newer" }, comments)).toEqual([]);
        const calls = await post({ "x.json": about("../x"), "dev.json": about("dev", "7; rm"), "dev.md": "x" }, { number: 7, headSha: "abc123" }, comments);
        expect(calls).toEqual(["warning dev.json: not a render diff description, skipped", "warning x.json: not a render diff description, skipped"]);
        expect(comments).toEqual([]);
    });
});
