import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { RENDER_COMMAND, RenderOptions, runRenderCli } from "../../scripts/render";
import { parseArguments, UsageError } from "../../scripts/cliArguments";

/** `npm run render` as a newcomer types it: each slip gets one message, and no stack trace. */

interface Run {
    code: number;
    out: string;
    err: string;
}

async function render(argv: string[], env: Record<string, string> = {}, options: RenderOptions = {}): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRenderCli(argv, env, { log: (l) => out.push(l), error: (l) => err.push(l) }, options);
    return { code, out: out.join("\n"), err: err.join("\n") };
}

const stackOf = (argv: string[], env: Record<string, string> = {}) => {
    const parsed = parseArguments(argv, env, RENDER_COMMAND);
    if (parsed.help) throw new Error("unexpected help");
    return parsed.values.stack;
};

const STACK_TRACE = /\n\s+at /;

beforeAll(() => jest.spyOn(console, "warn").mockImplementation(() => undefined));
afterAll(() => jest.restoreAllMocks());

describe("choosing the stack", () => {
    it("renders the stack named as a bare argument (npm run render prod)", async () => {
        const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "wso2-render-cli-"));
        const run = await render(["prod"], {}, { outDir });
        expect(run.code).toBe(0);
        const resources = JSON.parse(fs.readFileSync(path.join(outDir, "resources.json"), "utf8"));
        const instanceTypes = resources.filter((r: { type: string }) => r.type === "aws:ec2/instance:Instance").map((r: any) => r.inputs.instanceType);
        expect(instanceTypes).toEqual(["m6i.xlarge", "m6i.xlarge"]); // prod's, not dev's t3.large
    });

    it.each([
        ["no arguments", [], {}, "dev"],
        ["--stack prod after --", ["--stack", "prod"], {}, "prod"],
        ["--stack=prod after --", ["--stack=prod"], {}, "prod"],
        // `npm run render --stack prod`: npm keeps --stack (as "true") and passes prod on as an argument.
        ["npm run render --stack prod", ["prod"], { npm_config_stack: "true" }, "prod"],
        // `npm run render --stack=prod`: npm keeps the whole option and passes nothing on.
        ["npm run render --stack=prod", [], { npm_config_stack: "prod" }, "prod"],
    ])("reads %s", (_label, argv, env, stack) => {
        expect(stackOf(argv, env as Record<string, string>)).toBe(stack);
    });

    it("says where a stack read from npm's configuration came from", () => {
        const parsed = parseArguments([], { npm_config_stack: "prod" }, RENDER_COMMAND);
        expect(parsed.help === false && parsed.notes.join()).toContain("npm run render -- --stack prod");
    });
});

describe("refusing what it cannot run, with the usage", () => {
    it.each([
        ["a bare --stack that npm kept for itself", [], { npm_config_stack: "true" }, /npm kept --stack for itself; put it after --: npm run render -- --stack <name>/],
        ["an unknown option, suggesting the near one", ["--stak", "prod"], {}, /unknown option --stak \(did you mean --stack\?\)/],
        ["an option of another tool", ["--target", "x"], {}, /unknown option --target\n/],
        ["a second stack name", ["prod", "dev"], {}, /expected one stack, got 2: prod dev/],
        ["--stack without a value", ["--stack"], {}, /--stack needs a value/],
        ["two different stacks", ["--stack", "prod", "dev"], {}, /--stack given twice \("prod" and "dev"\)/],
        ["npm's stack and another one", ["dev"], { npm_config_stack: "prod" }, /--stack given twice/],
        ["a path instead of a stack name", ["--stack", "../Pulumi.dev.yaml"], {}, /expected a name, got "..\/Pulumi.dev.yaml"/],
    ])("%s", async (_label, argv, env, message) => {
        expect(() => parseArguments(argv, env as Record<string, string>, RENDER_COMMAND)).toThrow(UsageError);
        const run = await render(argv, env as Record<string, string>);
        expect(run.code).toBe(2);
        expect(run.err).toMatch(message);
        expect(run.err).toContain("Usage: npm run render -- [--stack <name>]");
        expect(run.err).not.toMatch(STACK_TRACE);
        expect(run.out).toBe("");
    });

    it("prints the usage on --help", async () => {
        const run = await render(["--help"]);
        expect(run.code).toBe(0);
        expect(run.out).toMatch(/^Usage: npm run render -- \[--stack <name>\]\n {3}or: npm run render <name>/);
    });
});

it("names the stack files that exist when the stack has none, suggesting a near one", async () => {
    const run = await render(["--stack", "prd"]);
    expect(run.code).toBe(1);
    expect(run.err).toContain("No stack file Pulumi.prd.yaml");
    expect(run.err).toMatch(/The stacks here: .*dev \(Pulumi\.dev\.yaml\), .*prod \(Pulumi\.prod\.yaml\)/);
    expect(run.err).toContain("Did you mean prod?");
    expect(run.err).not.toMatch(STACK_TRACE);
});

it("prints a configuration problem as its message alone, naming the key", async () => {
    const run = await render(["dev"], {}, { configOverrides: { nodecount: 3 } });
    expect(run.code).toBe(1);
    expect(run.err).toBe("Invalid stack configuration (1 problem):\n  - nodecount: unknown key; did you mean nodeCount?");
    expect(run.out).toBe("");
});
