/**
 * The render diff: renders a stack as it is here and as it was at a git ref, and writes what changes as
 * Markdown (build/review/<stack>.md, also printed). No cloud account, so pull requests from forks get it.
 *
 *   npm run render:diff -- --stack dev --against origin/main
 *   npm run render:diff -- --stack dev --base-dir old/render/dev [--head-dir new/render/dev] [--out file.md]
 *
 * The base is rendered by its own scripts/render.ts in a temporary `git worktree` of the ref (sharing
 * this checkout's node_modules), into that worktree's build folder, so the two renders never touch.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { spawnSync } from "child_process";
import { RunError } from "@pulumi/pulumi/errors";
import { readStackFile } from "../lib/config/stackFile";
import { readRenderFolder, RenderSnapshot, EMPTY_SNAPSHOT } from "../lib/review/renderSnapshot";
import { diffRenders } from "../lib/review/renderDiff";
import { monthlyCost } from "../lib/review/monthlyCost";
import { reviewMarkdown } from "../lib/review/reviewMarkdown";

const PROJECT_DIR = path.join(__dirname, "..");
const USAGE =
    "usage: npm run render:diff -- --stack <name> --against <git ref>\n" +
    "       npm run render:diff -- --stack <name> --base-dir <render folder> [--head-dir <render folder>] [--out <file.md>]";

export interface RenderDiffOptions {
    readonly stack: string;
    /** Git ref to compare with (rendered in a temporary worktree). */
    readonly against?: string;
    /** A render folder to compare with instead of a ref. */
    readonly baseDir?: string;
    /** A render folder to use as the change; default: render this checkout now. */
    readonly headDir?: string;
    /** Default build/review/<stack>.md. */
    readonly out?: string;
    /** The checkout under review: it holds `against` and the stack file; default this checkout. */
    readonly repoDir?: string;
}

/** A problem with the command line or the ref: shown as its message only. */
export class RenderDiffError extends Error {}

export async function runRenderDiff(options: RenderDiffOptions): Promise<{ markdown: string; out: string }> {
    const { stack } = options;
    if (!options.against === !options.baseDir) throw new RenderDiffError(`give either --against <git ref> or --base-dir <render folder>\n${USAGE}`);

    const repoDir = options.repoDir ?? PROJECT_DIR;
    // The program and the Pulumi SDK load only when needed, so argument mistakes are answered at once
    // (`require`: see the same in render.ts).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { OFFLINE_REGION }: typeof import("../lib/offline/offlineMocks") = require("../lib/offline/offlineMocks");
    const regionOf = (dir: string) => {
        try {
            return readStackFile(stack, dir).region ?? OFFLINE_REGION;
        } catch {
            return OFFLINE_REGION;
        }
    };
    const headDir = options.headDir ?? (await (require("./render") as typeof import("./render")).renderStack(stack)).outDir;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const head = readRenderFolder(headDir);
    const headRegion = regionOf(repoDir);

    let base: RenderSnapshot;
    let baseRegion = headRegion;
    let baseLabel: string;
    if (options.baseDir) {
        base = readRenderFolder(options.baseDir);
        baseLabel = `\`${options.baseDir}\``;
    } else {
        const rendered = renderAtRef(stack, options.against!, repoDir);
        base = rendered.snapshot;
        baseRegion = rendered.region ?? headRegion;
        baseLabel = `\`${options.against}\` (${rendered.commit.slice(0, 7)})${rendered.snapshot === EMPTY_SNAPSHOT ? `, where stack ${stack} did not exist` : ""}`;
    }

    const architectureFile = path.join(headDir, "architecture.md");
    const architecture = fs.existsSync(architectureFile) ? /```mermaid\n([\s\S]*?)```/.exec(fs.readFileSync(architectureFile, "utf8"))?.[1] : undefined;
    const markdown = reviewMarkdown({
        stack,
        baseLabel,
        diff: diffRenders(base, head),
        baseCost: base === EMPTY_SNAPSHOT ? undefined : monthlyCost(base.resources, baseRegion),
        headCost: monthlyCost(head.resources, headRegion),
        architecture,
    });
    const out = options.out ?? path.join(PROJECT_DIR, "build", "review", `${stack}.md`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, markdown);
    return { markdown, out };
}

function git(args: string[], cwd: string): string {
    const run = spawnSync("git", args, { cwd, encoding: "utf8" });
    if (run.status !== 0) throw new RenderDiffError(`git ${args.join(" ")} failed: ${(run.stderr || run.stdout).trim()}`);
    return run.stdout.trim();
}

/** Renders `stack` as of `ref`, with that commit's own render script, in a temporary worktree (removed again). */
function renderAtRef(stack: string, ref: string, repoDir: string): { snapshot: RenderSnapshot; commit: string; region?: string } {
    const resolved = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: repoDir, encoding: "utf8" });
    if (resolved.status !== 0) throw new RenderDiffError(`unknown git ref "${ref}" in ${repoDir} (in CI, fetch it first: git fetch origin <branch>)`);
    const commit = resolved.stdout.trim();
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), "wso2-render-base-"));
    const checkout = path.join(temp, "checkout");
    git(["worktree", "add", "--detach", "--quiet", checkout, commit], repoDir);
    try {
        if (!fs.existsSync(path.join(checkout, `Pulumi.${stack}.yaml`))) return { snapshot: EMPTY_SNAPSHOT, commit };
        fs.symlinkSync(fs.realpathSync(path.join(PROJECT_DIR, "node_modules")), path.join(checkout, "node_modules"), "dir");
        // tsx's full hooks (ESM too): the base's code may predate the scripts' CommonJS-only form; "tsx"
        // resolves through the linked node_modules
        const render = spawnSync(process.execPath, ["--import", "tsx", "scripts/render.ts", "--stack", stack], {
            cwd: checkout,
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        if (render.status !== 0) {
            throw new RenderDiffError(`the render of ${stack} at ${ref} (${commit.slice(0, 7)}) failed:\n${(render.stderr || render.stdout).trim().split("\n").slice(-20).join("\n")}`);
        }
        return { snapshot: readRenderFolder(path.join(checkout, "build", "render", stack)), commit, region: readStackFile(stack, checkout).region };
    } finally {
        spawnSync("git", ["worktree", "remove", "--force", checkout], { cwd: repoDir });
        fs.rmSync(temp, { recursive: true, force: true });
    }
}

function parseCommandLine(argv: string[]): RenderDiffOptions {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                stack: { type: "string" },
                against: { type: "string" },
                "base-dir": { type: "string" },
                "head-dir": { type: "string" },
                out: { type: "string" },
            },
        });
    } catch (err) {
        throw new RenderDiffError(`${(err as Error).message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (positionals.length > 1 || (positionals.length === 1 && values.stack)) throw new RenderDiffError(`one stack at a time\n${USAGE}`);
    const stack = values.stack ?? positionals[0];
    if (!stack || !/^[A-Za-z0-9._-]+$/.test(stack)) throw new RenderDiffError(`expected a stack name, got "${stack ?? ""}"\n${USAGE}`);
    return { stack, against: values.against, baseDir: values["base-dir"], headDir: values["head-dir"], out: values.out };
}

if (require.main === module) {
    const fail = (err: unknown) => {
        // Usage and stack-file problems (RunErrors): the message alone is what the user needs.
        const known = err instanceof RenderDiffError || RunError.isInstance(err);
        console.error(known ? (err as Error).message : err instanceof Error ? err.stack : String(err));
        process.exit(1);
    };
    process.on("unhandledRejection", fail);
    const started = Date.now();
    // The head render prints its own tree to stdout; the review goes to stdout after it.
    Promise.resolve()
        .then(() => runRenderDiff(parseCommandLine(process.argv.slice(2))))
        .then(({ markdown, out }) => {
            console.log(`\n${markdown}`);
            console.error(`wrote ${path.relative(process.cwd(), out)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
            process.exit(0);
        }, fail);
}
