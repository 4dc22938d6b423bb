/**
 * The offline render (see the project's render contract): runs the whole program in-process under Pulumi's
 * mocks with a stack's configuration and writes what it would create to build/render/<stack>/.
 *
 *   npm run render -- --stack prod     (or: npm run render prod)
 */
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import type { OfflineRun, RecordedResource } from "../lib/offline/offlineMocks";
import { readStackFile, PROJECT_NAME, OFFLINE_CONFIG_SECRET_PREFIX } from "../lib/config/stackFile";
import { CommandSpec, parseArguments, UsageError } from "./cliArguments";
import { ClusterPlan, planCluster } from "../lib/plan/clusterPlan";
import { bootFiles, BootFiles } from "../lib/offline/bootScriptFetch";
import { RESOURCE_TYPES } from "../lib/review/resourceTypes";
import type { RenderedResource } from "../lib/review/renderedResource";
import { architectureDiagram } from "../lib/review/architectureDiagram";
import { monthlyCost, CostEstimate } from "../lib/review/monthlyCost";
import { costMarkdown, totalText } from "../lib/review/costReport";

const PROJECT_DIR = path.join(__dirname, "..");

export interface RenderOptions {
    /**
     * Default build/render/<stack>. Emptied first, so nothing stale survives; a folder that is neither
     * empty nor a previous render (no resources.json) is refused rather than emptied.
     */
    readonly outDir?: string;
    /** Project keys (without namespace) laid over the stack file, e.g. { nodeCount: 3 } in tests; undefined removes a key. */
    readonly configOverrides?: Readonly<Record<string, unknown>>;
}

/** What a node's instance receives (its userDataBase64 decoded) and installs. */
export interface RenderedNode extends BootFiles {
    readonly index: number;
    readonly name: string;
}

/** What every Universal Gateway receives from its launch template (the template's userData decoded) and installs. */
export interface RenderedGateway extends BootFiles {
    /** The launch template resource's name. */
    readonly launchTemplate: string;
}

export interface RenderResult {
    readonly outDir: string;
    readonly run: OfflineRun;
    readonly resources: RecordedResource[];
    readonly outputs: Record<string, unknown>;
    readonly nodes: RenderedNode[];
    /** Only for a stack with gateways: written to gateway/. */
    readonly gateway?: RenderedGateway;
    /** The Mermaid flowchart written to architecture.md. */
    readonly architecture: string;
    /** The monthly cost written to cost.md and cost.json, in the stack's aws:region. */
    readonly cost: CostEstimate;
}

/** Runs the program for one stack under the offline mocks and writes the render contract's files. */
export async function renderStack(stackName = "dev", options: RenderOptions = {}): Promise<RenderResult> {
    const outDir = options.outDir ?? path.join(PROJECT_DIR, "build", "render", stackName);
    checkRenderFolder(outDir);
    const stackFile = readStackFile(stackName, PROJECT_DIR);
    const allConfig: Record<string, string> = { ...stackFile.allConfig };
    for (const [key, value] of Object.entries(options.configOverrides ?? {})) {
        const fullKey = `${PROJECT_NAME}:${key}`;
        if (value === undefined) delete allConfig[fullKey];
        else allConfig[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const secretKeys = Object.keys(allConfig).filter((k) => allConfig[k].startsWith(OFFLINE_CONFIG_SECRET_PREFIX));
    // The SDK and the program load only once the stack file reads well: a mistyped stack name fails at once.
    // `require`, not `import()`: the scripts run under tsx's CommonJS hook (package.json), which has no
    // loader for an import() of a .ts file.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const sdk: typeof import("@pulumi/pulumi") = require("@pulumi/pulumi");
    const { installOfflineMocks, OFFLINE_REGION }: typeof import("../lib/offline/offlineMocks") = require("../lib/offline/offlineMocks");
    const { readStackConfig }: typeof import("../lib/config/readStackConfig") = require("../lib/config/readStackConfig");
    const { buildStack }: typeof import("../program") = require("../program");
    /* eslint-enable @typescript-eslint/no-require-imports */
    sdk.runtime.setAllConfig(allConfig, secretKeys);
    // A render is a preview: the program sees isDryRun() as it does under `pulumi preview`.
    const run = installOfflineMocks(PROJECT_NAME, stackName, { preview: true });

    const config = readStackConfig();
    const stackOutputs = await buildStack(config);
    const outputs: Record<string, unknown> = {};
    for (const [key, output] of Object.entries(stackOutputs)) outputs[key] = await resolve(output);
    // Outputs can resolve before the last resources (DNS records, rolling gates) are registered.
    await (sdk.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const resources = run.resources;
    const plan = planCluster(config);
    const nodes = renderedNodes(resources, plan);
    const gateway = renderedGateway(resources, plan);
    const architecture = architectureDiagram(resources);
    const cost = monthlyCost(resources, stackFile.region ?? OFFLINE_REGION);

    emptyRenderFolder(outDir);
    const contract = resources.map(({ type, name, id, custom, parent, dependsOn, protect, inputs, outputs }) => ({
        type,
        name,
        id: id ?? null,
        custom,
        parent,
        dependsOn,
        protect,
        inputs,
        outputs,
    }));
    fs.writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(contract, null, 2) + "\n");
    fs.writeFileSync(path.join(outDir, "outputs.json"), JSON.stringify(outputs, null, 2) + "\n");
    for (const node of nodes) writeBootFolder(path.join(outDir, "nodes", String(node.index)), node);
    if (gateway) writeBootFolder(path.join(outDir, "gateway"), gateway);
    fs.writeFileSync(path.join(outDir, "architecture.md"), architectureMarkdown(stackName, architecture));
    fs.writeFileSync(path.join(outDir, "cost.md"), costMarkdown(stackName, cost, 1));
    fs.writeFileSync(path.join(outDir, "cost.json"), JSON.stringify(cost, null, 2) + "\n");
    return { outDir, run, resources, outputs, nodes, ...(gateway ? { gateway } : {}), architecture, cost };
}

/** user-data, cloud-config.yaml and files/<path>: the same layout for a node and for the gateways. */
function writeBootFolder(dir: string, machine: BootFiles): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "user-data"), machine.userData);
    fs.writeFileSync(path.join(dir, "cloud-config.yaml"), machine.cloudConfig);
    for (const file of machine.files) {
        const target = path.join(dir, "files", file.path.replace(/^\/+/, ""));
        if (!target.startsWith(path.join(dir, "files") + path.sep)) throw new Error(`refusing to write ${file.path} outside the render folder`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.content);
    }
}

/** Only a missing or empty folder, or a previous render, may be emptied; anything else is left alone. */
function checkRenderFolder(outDir: string): void {
    if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0 && !fs.existsSync(path.join(outDir, "resources.json"))) {
        throw new Error(`refusing to empty ${outDir}: it is not empty and holds no previous render (resources.json)`);
    }
}

function emptyRenderFolder(outDir: string): void {
    checkRenderFolder(outDir);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
}

/** architecture.md: the generated picture, which GitHub draws from the mermaid block. */
export function architectureMarkdown(stack: string, diagram: string): string {
    return [
        `# Architecture: ${stack}`,
        "",
        "Generated by `npm run render` from this render's resources, not drawn by hand. Solid arrows: where the load " +
            "balancer routes (host name and listener port → target group → node or gateway port) and the default routes to the NAT " +
            "gateways; dotted arrows: the ports a security-group rule opens, and the secret and boot bucket the nodes' (and gateways') IAM roles may read.",
        "",
        "```mermaid",
        diagram.trimEnd(),
        "```",
        "",
    ].join("\n");
}

function resolve<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((done) => output.apply((value) => done(value)));
}

/**
 * The user data each node's instance was given, decoded the way EC2 and cloud-init decode it, and the boot
 * script its loader installs from the stack's S3 object.
 */
function renderedNodes(resources: readonly RecordedResource[], plan: ClusterPlan): RenderedNode[] {
    const instances = resources.filter((r) => r.type === "aws:ec2/instance:Instance");
    return plan.nodes.map((node) => {
        const instance = instances.find((r) => r.inputs.tags?.["wso2:node"] === node.name);
        if (!instance || typeof instance.inputs.userDataBase64 !== "string") throw new Error(`no instance with user data for ${node.name}`);
        return { index: node.index, name: node.name, ...bootFiles(instance.inputs.userDataBase64, resources, plan.paths.bootLoaderEnvFile, node.name) };
    });
}

/**
 * The gateways' launch template (the one inside the GatewayFleet component), its user data decoded the
 * same way; undefined for a stack without gateways.
 */
export function renderedGateway(resources: readonly RenderedResource[], plan: ClusterPlan): RenderedGateway | undefined {
    if (!plan.gateways) return undefined;
    const fleets = new Set(resources.filter((r) => r.type === RESOURCE_TYPES.gatewayFleet).map((r) => r.name));
    const templates = resources.filter((r) => r.type === RESOURCE_TYPES.launchTemplate && r.parent !== null && fleets.has(r.parent));
    if (templates.length !== 1) throw new Error(`expected one launch template in the gateway fleet, found ${templates.length}`);
    const [template] = templates;
    if (typeof template.inputs.userData !== "string") throw new Error(`the gateways' launch template ${template.name} has no user data`);
    return { launchTemplate: template.name, ...bootFiles(template.inputs.userData, resources, plan.paths.bootLoaderEnvFile, plan.gateways.name) };
}

/** `type name` per resource, indented under its parent, like `pulumi preview`. */
export function resourceTree(resources: readonly RecordedResource[]): string {
    const children = new Map<string | null, RecordedResource[]>();
    for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const lines: string[] = [];
    const walk = (parent: string | null, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            lines.push(`${"  ".repeat(depth)}${r.custom ? "" : "+ "}${r.type}  ${r.name}`);
            if (!r.custom) walk(r.name, depth + 1);
        }
    };
    walk(null, 0);
    return lines.join("\n");
}

export const RENDER_COMMAND: CommandSpec = {
    command: "npm run render",
    options: [{ name: "stack", placeholder: "name", description: "the stack whose Pulumi.<name>.yaml is rendered", default: "dev", pattern: /^[A-Za-z0-9._-]+$/, positional: true }],
};

export interface CliOutput {
    readonly log: (line: string) => void;
    readonly error: (line: string) => void;
}

/**
 * The `npm run render` command: returns the exit code. A slip (bad arguments, a missing or unreadable
 * stack file, bad configuration) prints one message and no stack trace; anything else is a bug and shows one.
 */
export async function runRenderCli(
    argv: readonly string[],
    env: Readonly<Record<string, string | undefined>>,
    output: CliOutput = { log: console.log, error: console.error },
    options: RenderOptions = {},
): Promise<number> {
    try {
        const started = Date.now();
        const parsed = parseArguments(argv, env, RENDER_COMMAND);
        if (parsed.help) {
            output.log(parsed.text);
            return 0;
        }
        for (const note of parsed.notes) output.error(`note: ${note}`);
        const result = await renderStack(parsed.values.stack, options);
        output.log(resourceTree(result.resources));
        output.log(`\nOutputs:\n${JSON.stringify(result.outputs, null, 2)}`);
        output.log(
            `\n${result.resources.length} resources, ${result.nodes.length} nodes${result.gateway ? " and the gateways' launch template" : ""}; wrote ${path.relative(process.cwd(), result.outDir) || "."} ` +
                `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        output.log(`Monthly cost: ${totalText(result.cost)} on demand in ${result.cost.region} (details and assumptions: ${path.relative(process.cwd(), path.join(result.outDir, "cost.md"))})`);
        if (result.run.unknownCalls.length > 0) output.error(`warning: invokes the offline mocks do not know: ${result.run.unknownCalls.join(", ")}`);
        return 0;
    } catch (err) {
        if (err instanceof UsageError) {
            output.error(err.message);
            return 2;
        }
        output.error(isUserProblem(err) ? err.message : err instanceof Error ? String(err.stack) : String(err));
        return 1;
    }
}

/** Stack file and configuration problems are RunErrors: the user fixes them from the message alone. */
function isUserProblem(err: unknown): err is Error {
    return RunError.isInstance(err);
}

if (require.main === module) {
    process.on("unhandledRejection", (err) => {
        console.error(isUserProblem(err) ? err.message : err instanceof Error ? err.stack : String(err));
        process.exit(1);
    });
    runRenderCli(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
