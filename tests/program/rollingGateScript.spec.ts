import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { requireTool } from "../support/validators";
import { bootLogStreamName, GATEWAY_BOOT_LOG_STREAM_PATTERN, GATEWAY_LOG_STREAM_PREFIX, groupGateEnvironment } from "../../lib/aws/rollingGate";

/**
 * scripts/wait-for-healthy-targets.sh against a stand-in `aws` on PATH that plays back scripted answers:
 * for each target group (describe-target-health), each boot log (filter-log-events) and each instance's
 * console (get-console-output), the n-th call gets the n-th answer and the last answer repeats.
 */
const SCRIPT = path.join(__dirname, "..", "..", "scripts", "wait-for-healthy-targets.sh");
const PORTAL = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/portal/aaaa";
const GATEWAY = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/bbbb";
const NEW = "i-0new0000000000000";
const OLD = "i-0old0000000000000";
const OTHER = "i-0other00000000000";
const LOG_GROUP = "/wso2-apim-ha/dev/nodes";

/** The stand-ins' common end: the nth answer recorded for the call's key (the last one once they run out), an ERROR answer as the CLI's failure. */
const PLAY_BACK = `n=0
if [[ -f \${dir}/count-\${key} ]]; then read -r n <"\${dir}/count-\${key}"; fi
n=$((n + 1))
printf '%s\\n' "\${n}" >"\${dir}/count-\${key}"
[[ -d \${dir}/\${key} ]] || exit 0
while ((n > 1)) && [[ ! -f \${dir}/\${key}/\${n} ]]; do n=$((n - 1)); done
answer=""
IFS= read -r -d '' answer <"\${dir}/\${key}/\${n}" || true
if [[ \${answer} == ERROR* ]]; then
    printf '%s\\n' "\${answer#ERROR }" >&2
    exit 255
fi
printf '%s\\n' "\${answer}"
`;

const FAKE_AWS = `#!/bin/bash
# Stand-in for the AWS CLI: the n-th call for a target group or boot log answers with $FAKE_AWS/<key>/<n>
# (the last answer repeats); an answer starting with ERROR fails like the CLI does. No answers: empty output.
# Bash builtins only, so a poll costs no extra processes.
set -euo pipefail
dir="\${FAKE_AWS:?}"
key="" prev=""
for arg in "$@"; do
    case "\${prev}" in
    --target-group-arn)
        key="group-\${arg##*targetgroup/}"
        key="\${key%%/*}"
        ;;
    --log-stream-name-prefix) key="log-\${arg%%/*}" ;;
    --instance-id) key="console-\${arg}" ;;
    esac
    prev="\${arg}"
done
printf '%s\\n' "\${key}" >>"\${dir}/keys"
${PLAY_BACK}`;

type Target = [id: string, state: string, reason?: string];
/** One describe-target-health answer: the targets of the group, or a CLI error. */
type GroupAnswer = Target[] | { error: string };

let bin: string;
beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
    fs.writeFileSync(path.join(bin, "aws"), FAKE_AWS, { mode: 0o755 });
});
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

interface GateRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
    /** Calls the script made, by target group (portal, gateway), boot log (apim-1, …) and console (instance id). */
    readonly calls: (key: string) => number;
}

function gate(args: {
    mode: "rolling" | "all";
    instances?: readonly string[];
    groups: { portal: GroupAnswer[]; gateway: GroupAnswer[] };
    /** Boot log lines per call, by node name (apim-1 is the first instance). */
    logs?: Record<string, string[][]>;
    /** Console output per call, by instance id. */
    consoles?: Record<string, string[]>;
    timeoutSeconds: number;
    pollSeconds?: number;
}): GateRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-answers-"));
    const write = (key: string, answers: string[]) =>
        answers.forEach((answer, i) => {
            fs.mkdirSync(path.join(dir, key), { recursive: true });
            fs.writeFileSync(path.join(dir, key, String(i + 1)), answer);
        });
    for (const [group, answers] of Object.entries(args.groups)) {
        write(`group-${group}`, answers.map((a) => ("error" in a ? `ERROR ${a.error}` : a.map((t) => [t[0], t[1], t[2] ?? "None"].join("\t")).join("\n"))));
    }
    for (const [node, answers] of Object.entries(args.logs ?? {})) write(`log-${node}`, answers.map((lines) => lines.join("\n")));
    for (const [id, answers] of Object.entries(args.consoles ?? {})) write(`console-${id}`, answers);
    const instances = args.instances ?? [NEW];
    const started = Date.now();
    const result = spawnSync("bash", [SCRIPT], {
        encoding: "utf8",
        // A gate that waits when it should not would sleep for minutes: fail fast instead.
        timeout: 15000,
        env: {
            PATH: `${bin}:${process.env.PATH}`,
            FAKE_AWS: dir,
            GATE_MODE: args.mode,
            AWS_REGION: "eu-west-1",
            INSTANCE_IDS: instances.join(" "),
            TARGET_GROUP_ARNS: `${PORTAL} ${GATEWAY}`,
            LOG_GROUP_NAME: LOG_GROUP,
            BOOT_LOG_STREAMS: instances.map((id, i) => bootLogStreamName(`apim-${i + 1}`, id)).join(" "),
            TIMEOUT_SECONDS: String(args.timeoutSeconds),
            POLL_SECONDS: String(args.pollSeconds ?? 0),
        },
    });
    const keys = fs.existsSync(path.join(dir, "keys")) ? fs.readFileSync(path.join(dir, "keys"), "utf8").split("\n") : [];
    const calls = (key: string) => keys.filter((k) => k === `group-${key}` || k === `log-${key}` || k === `console-${key}`).length;
    fs.rmSync(dir, { recursive: true, force: true });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000, calls };
}

const both = (answers: GroupAnswer[]) => ({ portal: answers, gateway: answers });
const bootLine = (step: string, text: string) => `2026-01-31T12:00:00Z wso2am-bootstrap [${step}] ${text}`;

describe("a node's rolling gate", () => {
    it("returns at once when no other target is healthy (a first deploy: nothing serves yet)", () => {
        // A poll interval of a minute: had it waited, it would still be sleeping when the runner kills it.
        const run = gate({ mode: "rolling", groups: both([[[NEW, "initial", "Elb.RegistrationInProgress"]]]), timeoutSeconds: 600, pollSeconds: 60 });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("nothing serves yet");
        expect(run.seconds).toBeLessThan(5);
        expect([run.calls("portal"), run.calls("gateway"), run.calls("apim-1")]).toEqual([1, 1, 0]);
    });

    it("also returns at once when the other targets are registered but none is healthy", () => {
        const run = gate({ mode: "rolling", groups: both([[[OLD, "unhealthy", "Target.FailedHealthChecks"], [NEW, "initial"]]]), timeoutSeconds: 600, pollSeconds: 60 });
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("nothing serves yet");
    });

    it("waits for the new instance while an old target serves (a replacement)", () => {
        const answers: GroupAnswer[] = [
            [[OLD, "healthy"], [NEW, "initial", "Elb.RegistrationInProgress"]],
            [[OLD, "healthy"], [NEW, "unhealthy", "Target.FailedHealthChecks"]],
            [[OLD, "healthy"], [NEW, "healthy"]],
        ];
        const run = gate({ mode: "rolling", groups: both(answers), logs: { "apim-1": [[bootLine("start", "starting wso2am")]] }, timeoutSeconds: 60 });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("Other targets are healthy");
        expect(run.stdout).toContain(`${NEW}: healthy in every target group`);
        expect(run.calls("portal")).toBe(3);
        expect(run.calls("gateway")).toBe(3);
    });

    it("waits when only another node is healthy in one of the groups", () => {
        const run = gate({
            mode: "rolling",
            groups: { portal: [[[OTHER, "healthy"], [NEW, "initial"]], [[OTHER, "healthy"], [NEW, "healthy"]]], gateway: [[[NEW, "initial"]], [[NEW, "healthy"]]] },
            timeoutSeconds: 60,
        });
        expect(run.status).toBe(0);
        expect(run.calls("portal")).toBe(2);
    });

    it("fails at the timeout naming each target group it is not healthy in and its last state", () => {
        const run = gate({
            mode: "rolling",
            groups: { portal: [[[OLD, "healthy"], [NEW, "healthy"]]], gateway: [[[OLD, "healthy"], [NEW, "unhealthy", "Target.FailedHealthChecks"]]] },
            timeoutSeconds: 0,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${NEW} is not healthy in ${GATEWAY}; last state: unhealthy Target.FailedHealthChecks`);
        expect(run.stderr).not.toContain(`not healthy in ${PORTAL}`);
        // Where to look next, without logging in.
        expect(run.stderr).toContain(`CloudWatch Logs group ${LOG_GROUP}, stream apim-1/${NEW}/boot`);
    });

    it("treats an instance missing from a group as not healthy", () => {
        const run = gate({ mode: "rolling", groups: { portal: [[[OLD, "healthy"]]], gateway: [[[OLD, "healthy"], [NEW, "healthy"]]] }, timeoutSeconds: 0 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${NEW} is not healthy in ${PORTAL}; last state: unregistered None`);
    });

    it("stops as soon as the boot log ends in a FAILED line, and prints that line", () => {
        const failed = bootLine("distribution", "FAILED: APIM_VERSION 4.7.0 differs from 4.6.0 in the shared database; refusing to start");
        const run = gate({
            mode: "rolling",
            groups: both([[[OLD, "healthy"], [NEW, "unhealthy", "Target.FailedHealthChecks"]]]),
            logs: { "apim-1": [[bootLine("secrets", "reading the secret")], [bootLine("secrets", "reading the secret"), failed]] },
            timeoutSeconds: 600,
        });
        expect(run.status).toBe(1);
        expect(run.seconds).toBeLessThan(5);
        expect(run.stderr).toContain(`the boot of ${NEW} failed`);
        expect(run.stderr).toContain(`boot log of ${NEW} (${LOG_GROUP} apim-1/${NEW}/boot): ${failed}`);
        expect(run.stderr).toContain(`${NEW} is not healthy in ${PORTAL}; last state: unhealthy Target.FailedHealthChecks`);
        expect(run.calls("apim-1")).toBe(2);
    });

    it("keeps waiting when a FAILED line was followed by a later run of the boot script, and shows it at the timeout", () => {
        const failed = bootLine("distribution", "FAILED: distributionSha256 does not match the downloaded pack");
        const run = gate({
            mode: "rolling",
            groups: both([[[OLD, "healthy"], [NEW, "unhealthy", "Target.FailedHealthChecks"]]]),
            logs: { "apim-1": [[failed, bootLine("secrets", "reading the secret")]] },
            timeoutSeconds: 0,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).not.toContain("boot of");
        expect(run.stderr).toContain("not every instance is healthy after 0s");
        expect(run.stderr).toContain(`boot log of ${NEW} (${LOG_GROUP} apim-1/${NEW}/boot): ${failed}`);
    });

    it("retries when the AWS CLI fails, then goes on", () => {
        const run = gate({
            mode: "rolling",
            groups: both([{ error: "Could not connect to the endpoint URL" }, [[OLD, "healthy"], [NEW, "initial"]], [[OLD, "healthy"], [NEW, "healthy"]]]),
            timeoutSeconds: 60,
        });
        expect(run.status).toBe(0);
        expect(run.stdout).toContain("cannot read target health (will retry): Could not connect to the endpoint URL");
        expect(run.calls("portal")).toBe(3);
    });

    it("fails clearly at the deadline when the AWS CLI keeps failing", () => {
        const error = "An error occurred (ExpiredToken) when calling the DescribeTargetHealth operation: The security token included in the request is expired";
        // Bash counts whole seconds: a 2 s deadline leaves at least one second of retries.
        const run = gate({ mode: "rolling", groups: both([{ error }]), timeoutSeconds: 2, pollSeconds: 0.25 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain("could not tell within 2s whether another target serves");
        expect(run.stderr).toContain(`cannot read the target health of ${PORTAL}: ${error}`);
        expect(run.stderr).toContain(`cannot read the target health of ${GATEWAY}: ${error}`);
        expect(run.calls("portal")).toBeGreaterThan(1);
    });
});

describe("the cluster's all-nodes gate", () => {
    const nodes = [NEW, OTHER];

    it("waits on a first deploy, when nothing else serves, until every instance is healthy in every group", () => {
        const answers: GroupAnswer[] = [
            [[NEW, "initial"], [OTHER, "initial"]],
            [[NEW, "healthy"], [OTHER, "unhealthy", "Target.FailedHealthChecks"]],
            [[NEW, "healthy"], [OTHER, "healthy"]],
        ];
        const run = gate({ mode: "all", instances: nodes, groups: both(answers), timeoutSeconds: 60 });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.calls("portal")).toBe(3);
    });

    it("fails naming the node that is not healthy and its boot log's FAILED line", () => {
        const failed = bootLine("database", "FAILED: database not ready after 2400s (DB_WAIT_SECONDS)");
        const run = gate({
            mode: "all",
            instances: nodes,
            groups: both([[[NEW, "healthy"], [OTHER, "unhealthy", "Target.FailedHealthChecks"]]]),
            logs: { "apim-1": [[bootLine("start", "wso2am is up")]], "apim-2": [[failed]] },
            timeoutSeconds: 600,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${OTHER} is not healthy in ${GATEWAY}; last state: unhealthy Target.FailedHealthChecks`);
        expect(run.stderr).not.toContain(`${NEW} is not healthy`);
        expect(run.stderr).toContain(`boot log of ${OTHER} (${LOG_GROUP} apim-2/${OTHER}/boot): ${failed}`);
        // The healthy node's log is not read.
        expect(run.calls("apim-1")).toBe(0);
    });

    it("fails clearly when the AWS CLI keeps failing until the deadline", () => {
        const run = gate({ mode: "all", instances: nodes, groups: both([{ error: "Unable to locate credentials" }]), timeoutSeconds: 0 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`cannot read the target health of ${GATEWAY}: Unable to locate credentials`);
        expect(run.stderr).toContain(`${NEW} is not healthy in ${PORTAL}; last state: unknown (never read)`);
    });
});

it("refuses an unknown mode and a missing AWS CLI with a message", () => {
    const env = { AWS_REGION: "eu-west-1", INSTANCE_IDS: NEW, TARGET_GROUP_ARNS: PORTAL };
    const badMode = spawnSync("bash", [SCRIPT], { encoding: "utf8", env: { ...env, PATH: `${bin}:${process.env.PATH}`, GATE_MODE: "first" } });
    expect(badMode.status).toBe(2);
    expect(badMode.stderr).toContain("GATE_MODE must be rolling or all");
    const noCli = spawnSync("/bin/bash", [SCRIPT], { encoding: "utf8", env: { ...env, PATH: "/nonexistent" } });
    expect(noCli.status).toBe(2);
    expect(noCli.stderr).toContain("the AWS CLI (aws) is not installed");
});

it("passes shellcheck, with the stand-in", () => {
    if (!requireTool("shellcheck")) return;
    expect(() => execFileSync("shellcheck", ["--severity=style", SCRIPT, path.join(bin, "aws")], { encoding: "utf8" })).not.toThrow();
});

/**
 * The console as `aws ec2 get-console-output --latest --query Output --output text` gives it: the kernel's
 * and other programs' lines, cloud-init's lines prefixed with the kernel time and "cloud-init[<pid>]: ",
 * CR LF line ends, and the boot script's lines inside (here a secret read IAM kept refusing).
 */
function consoleOutput(bootLines: readonly string[], after: readonly string[] = []): string {
    return [
        "[    0.000000] Linux version 6.1.158-180.294.amzn2023.x86_64 (mockbuild@ip-10-0-53-196) (gcc (GCC) 11.5.0) #1 SMP PREEMPT_DYNAMIC",
        "[    1.912021] systemd[1]: Detected virtualization amazon.",
        "ci-info: +++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++",
        "[   11.402516] cloud-init[1591]: Cloud-init v. 22.2.2 running 'modules:final' at Sat, 31 Jan 2026 12:00:00 +0000. Up 11.29 seconds.",
        ...bootLines.map((line, i) => `[   ${(12 + i).toFixed(6)}] cloud-init[1591]: ${line}`),
        ...after,
    ].join("\r\n") + "\r\n";
}

describe("a gate reading the console output", () => {
    const refused = "aws secretsmanager get-secret-value: An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: arn:aws:sts::123456789012:assumed-role/wso2-apim-node/i-0new0000000000000 is not authorized to perform: secretsmanager:GetSecretValue";
    const failed = bootLine("secrets", `FAILED: cannot read secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:apim-AbCdEf: ${refused}`);
    const cloudInitAfterFailure = [
        "[  327.114290] cloud-init[1591]: 2026-01-31 12:05:15,120 - cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in /var/lib/cloud/instance/scripts)",
        "[  327.114515] cloud-init[1591]: 2026-01-31 12:05:15,121 - util.py[WARNING]: Running module scripts_user (<module 'cloudinit.config.cc_scripts_user'>) failed",
        "[  327.209077] cloud-init[1591]: Cloud-init v. 22.2.2 finished at Sat, 31 Jan 2026 12:05:15 +0000. Datasource DataSourceEc2.  Up 327.20 seconds",
    ];

    it("stops on a console whose last boot-script line is FAILED, with no CloudWatch log at all, and names the console", () => {
        const retrying = [bootLine("secrets", "step secrets started"), bootLine("secrets", `${refused} (attempt 1 of 9); retrying in 5s`)];
        const run = gate({
            mode: "rolling",
            groups: both([[[OLD, "healthy"], [NEW, "initial", "Elb.RegistrationInProgress"]]]),
            consoles: { [NEW]: [consoleOutput(retrying), consoleOutput([...retrying, failed], cloudInitAfterFailure)] },
            timeoutSeconds: 600,
            pollSeconds: 0.05,
        });
        expect(run.status).toBe(1);
        expect(run.seconds).toBeLessThan(5);
        expect(run.stderr).toContain(`the boot of ${NEW} failed (a FAILED line ends its console output)`);
        // the line as the boot script wrote it: no kernel time, no cloud-init prefix, no CR
        expect(run.stderr).toContain(`boot log of ${NEW} (console output, aws ec2 get-console-output --instance-id ${NEW} --latest): ${failed}\n`);
        expect(run.stderr).not.toContain("not every instance is healthy");
        // read once a poll, after the CloudWatch log, which had nothing
        expect([run.calls(NEW), run.calls("apim-1")]).toEqual([2, 2]);
    });

    it("does not stop when the console cannot be read, and says so once", () => {
        const run = gate({
            mode: "rolling",
            groups: both([[[OLD, "healthy"], [NEW, "initial"]], [[OLD, "healthy"], [NEW, "initial"]], [[OLD, "healthy"], [NEW, "healthy"]]]),
            consoles: {
                [NEW]: [
                    "ERROR An error occurred (UnauthorizedOperation) when calling the GetConsoleOutput operation: You are not authorized to perform this operation.",
                    "ERROR An error occurred (RequestLimitExceeded) when calling the GetConsoleOutput operation (reached max retries: 2): Request limit exceeded.",
                ],
            },
            timeoutSeconds: 60,
        });
        expect(run.status).toBe(0);
        expect(run.stdout).toContain(`${NEW}: healthy in every target group`);
        expect(run.stdout.match(/cannot read its console output/g)).toEqual(["cannot read its console output"]);
        expect(run.stdout).toContain(`${NEW}: cannot read its console output (will retry; ec2:GetConsoleOutput): An error occurred (UnauthorizedOperation)`);
        expect(run.calls(NEW)).toBe(2);
    });

    it("keeps waiting while the boot script's last line there is not FAILED, whatever else the console says", () => {
        const progress = [bootLine("secrets", "step secrets done"), bootLine("packages", "step packages started")];
        // another program's FAILED after the boot script's last line is no verdict on the boot
        const noise = ["[   40.000000] systemd[1]: [FAILED] Failed to start example.service.", "[   41.000000] example[2001]: FAILED: not this one"];
        const run = gate({
            mode: "rolling",
            groups: both([[[OLD, "healthy"], [NEW, "initial"]], [[OLD, "healthy"], [NEW, "healthy"]]]),
            consoles: { [NEW]: [consoleOutput(progress, noise)] },
            timeoutSeconds: 60,
        });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.calls(NEW)).toBe(1);
    });
});

/**
 * GATE_MODE=group, the gateways' Auto Scaling group: a stand-in `aws` that plays back, per poll, the
 * group's latest instance refresh, its instances and each target group's health, and per instance its
 * boot log and console. Its environment is groupGateEnvironment's, so the script and the program agree.
 */
const FAKE_AWS_GROUP = `#!/bin/bash
# Stand-in for the AWS CLI: the n-th call of a key answers with $FAKE_AWS/<key>/<n> (the last answer
# repeats); an answer starting with ERROR fails like the CLI does. Keys: refreshes, members,
# group-<target group>, log-<instance id>, console-<instance id>. Every call's arguments go to calls.
set -euo pipefail
dir="\${FAKE_AWS:?}"
key="" prev=""
for arg in "$@"; do
    case "\${prev}|\${arg}" in
    *"|describe-instance-refreshes") key="refreshes" ;;
    *"|describe-auto-scaling-groups") key="members" ;;
    "--target-group-arn|"*)
        key="group-\${arg##*targetgroup/}"
        key="\${key%%/*}"
        ;;
    "--log-stream-name-prefix|"*)
        key="\${arg#*/}"
        key="log-\${key%%/*}"
        ;;
    "--instance-id|"*) key="console-\${arg}" ;;
    esac
    prev="\${arg}"
done
printf '%s\\n' "$*" >>"\${dir}/calls"
${PLAY_BACK}`;

describe("the gateways' group gate", () => {
    const ASG = "wso2-apim-dev-gateways";
    const WEBSOCKET = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/websocket/cccc";
    const GW_LOGS = "/wso2-apim-ha/dev/gateways";
    const GW1 = "i-0gw1000000000000a";
    const GW2 = "i-0gw2000000000000b";
    const REFRESH = "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab";

    type Failure = { error: string };
    /** describe-instance-refreshes' latest refresh, as the CLI's text output gives it; null: none yet. */
    type Refresh = [status: string, percent: number, reason?: string];
    /** An instance of describe-auto-scaling-groups: id, lifecycle state, ASG health, launch template version. */
    type Member = [id: string, lifecycle: string, health: string, version: string];
    interface Poll {
        readonly refresh: Refresh | null | Failure;
        /** The group's launch template version (default "1"); null: no such group. */
        readonly template?: string | null;
        readonly members: Member[] | Failure;
        /** Targets of both groups, or of each. */
        readonly targets: Target[] | Failure | { gateway: Target[] | Failure; websocket: Target[] | Failure };
    }

    let groupBin: string;
    beforeAll(() => {
        groupBin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-group-"));
        fs.writeFileSync(path.join(groupBin, "aws"), FAKE_AWS_GROUP, { mode: 0o755 });
    });
    afterAll(() => fs.rmSync(groupBin, { recursive: true, force: true }));

    async function resolved(env: Record<string, pulumi.Input<string>>): Promise<Record<string, string>> {
        const entries = await Promise.all(
            Object.entries(env).map(async ([key, value]) => [key, await new Promise<string>((resolve) => pulumi.output(value).apply(resolve))] as const),
        );
        return Object.fromEntries(entries);
    }

    interface GroupRun extends Omit<GateRun, "calls"> {
        /** Calls by key: refreshes, members, gateway, websocket, log-<id>, console-<id>. */
        readonly calls: (key: string) => number;
        /** The arguments of every call, one line each. */
        readonly commands: string[];
    }

    async function groupGate(args: {
        polls: Poll[];
        minSize: number;
        /** Boot log lines per call, and console output per call, by instance id. */
        logs?: Record<string, string[][]>;
        consoles?: Record<string, string[]>;
        timeoutSeconds: number;
        pollSeconds?: number;
    }): Promise<GroupRun> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-group-answers-"));
        const write = (key: string, answers: string[]) =>
            answers.forEach((answer, i) => {
                fs.mkdirSync(path.join(dir, key), { recursive: true });
                fs.writeFileSync(path.join(dir, key, String(i + 1)), answer);
            });
        const failed = (a: unknown): a is Failure => typeof a === "object" && a !== null && "error" in a;
        const rows = (a: string[][] | Failure) => (failed(a) ? `ERROR ${a.error}` : a.map((row) => row.join("\t")).join("\n"));
        const targets = (t: Target[] | Failure) => rows(failed(t) ? t : t.map((x) => [x[0], x[1], x[2] ?? "None"]));
        write("refreshes", args.polls.map(({ refresh: r }) => (failed(r) ? `ERROR ${r.error}` : r === null ? "None" : [REFRESH, r[0], String(r[1]), r[2] ?? "None"].join("\t"))));
        // As the CLI's text output gives the query: the group's version alone on a line, then its instances.
        write("members", args.polls.map((p) => (p.template === null ? "" : failed(p.members) ? rows(p.members) : rows([[p.template ?? "1"], ...p.members]))));
        for (const group of ["gateway", "websocket"] as const) {
            write(`group-${group}`, args.polls.map(({ targets: t }) => targets(Array.isArray(t) || failed(t) ? t : t[group])));
        }
        for (const [id, answers] of Object.entries(args.logs ?? {})) write(`log-${id}`, answers.map((lines) => lines.join("\n")));
        for (const [id, answers] of Object.entries(args.consoles ?? {})) write(`console-${id}`, answers);
        const env = await resolved(
            groupGateEnvironment({
                region: "eu-west-1",
                autoScalingGroupName: ASG,
                targetGroupArns: [GATEWAY, pulumi.output(WEBSOCKET)],
                minSize: args.minSize,
                logGroupName: GW_LOGS,
                timeoutSeconds: args.timeoutSeconds,
            }),
        );
        const started = Date.now();
        const result = spawnSync("bash", [SCRIPT], {
            encoding: "utf8",
            timeout: 15000,
            env: { ...env, PATH: `${groupBin}:${process.env.PATH}`, FAKE_AWS: dir, POLL_SECONDS: String(args.pollSeconds ?? 0) },
        });
        const commands = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trimEnd().split("\n") : [];
        const counts = new Map(
            fs.readdirSync(dir).filter((f) => f.startsWith("count-")).map((f) => [f.slice("count-".length), Number(fs.readFileSync(path.join(dir, f), "utf8"))]),
        );
        const count = (key: string) => counts.get(key) ?? 0;
        fs.rmSync(dir, { recursive: true, force: true });
        if (result.error) throw result.error;
        return {
            status: result.status,
            stdout: result.stdout,
            stderr: result.stderr,
            seconds: (Date.now() - started) / 1000,
            calls: (key) => count(["refreshes", "members"].includes(key) || /^(log|console)-/.test(key) ? key : `group-${key}`),
            commands,
        };
    }

    const progress = [bootLine("distribution", "step distribution started")];
    const shaMismatch = bootLine("distribution", "FAILED: DISTRIBUTION_SHA256 mismatch: expected 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, got 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");

    it("waits on a first deploy (no refresh) until MIN_SIZE in-service instances are healthy in every group", async () => {
        const run = await groupGate({
            minSize: 2,
            polls: [
                { refresh: null, members: [[GW1, "Pending", "Healthy", "1"], [GW2, "Pending", "Healthy", "1"]], targets: [] },
                { refresh: null, members: [[GW1, "InService", "Healthy", "1"], [GW2, "InService", "Healthy", "1"]], targets: [[GW1, "healthy"], [GW2, "initial", "Elb.RegistrationInProgress"]] },
                { refresh: null, members: [[GW1, "InService", "Healthy", "1"], [GW2, "InService", "Healthy", "1"]], targets: { gateway: [[GW1, "healthy"], [GW2, "healthy"]], websocket: [[GW1, "healthy"], [GW2, "unhealthy", "Target.FailedHealthChecks"]] } },
                { refresh: null, members: [[GW1, "InService", "Healthy", "1"], [GW2, "InService", "Healthy", "1"]], targets: [[GW1, "healthy"], [GW2, "healthy"]] },
            ],
            consoles: { [GW1]: [consoleOutput(progress)], [GW2]: [consoleOutput(progress)] },
            timeoutSeconds: 60,
        });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain(`${ASG}: 2 in-service instance(s) of launch template version 1 healthy in every target group; no instance refresh`);
        expect([run.calls("refreshes"), run.calls("members"), run.calls("gateway"), run.calls("websocket")]).toEqual([4, 4, 4, 4]);
        // Boot logs are read only while an instance has never been healthy: GW1 was, from the second poll.
        expect([run.calls(`log-${GW1}`), run.calls(`log-${GW2}`)]).toEqual([1, 3]);
        expect(run.commands).toContain(`autoscaling describe-instance-refreshes --region eu-west-1 --auto-scaling-group-name ${ASG} --max-records 1 --query InstanceRefreshes[0].[InstanceRefreshId, Status, PercentageComplete, StatusReason] --output text`);
        expect(run.commands.filter((c) => c.startsWith(`autoscaling describe-auto-scaling-groups --region eu-west-1 --auto-scaling-group-names ${ASG} `))).toHaveLength(4);
        expect(run.commands.some((c) => c.includes(`--log-group-name ${GW_LOGS} --log-stream-name-prefix gateway/${GW2}/boot `))).toBe(true);
    });

    it("waits for a refresh to end Successful with the new instances healthy, not returning while it is in progress though the old ones serve", async () => {
        const old: Member = [GW1, "InService", "Healthy", "1"];
        const run = await groupGate({
            minSize: 1,
            polls: [
                { refresh: ["Pending", 0], template: "2", members: [old], targets: [[GW1, "healthy"]] },
                { refresh: ["InProgress", 0], template: "2", members: [old, [GW2, "Pending", "Healthy", "2"]], targets: [[GW1, "healthy"], [GW2, "initial", "Elb.RegistrationInProgress"]] },
                { refresh: ["InProgress", 0], template: "2", members: [old, [GW2, "InService", "Healthy", "2"]], targets: [[GW1, "healthy"], [GW2, "healthy"]] },
                {
                    refresh: ["InProgress", 100, "Waiting for instances to warm up before continuing."],
                    template: "2",
                    members: [[GW1, "Terminating", "Healthy", "1"], [GW2, "InService", "Healthy", "2"]],
                    targets: [[GW1, "draining", "Target.DeregistrationInProgress"], [GW2, "healthy"]],
                },
                { refresh: ["Successful", 100], template: "2", members: [[GW2, "InService", "Healthy", "2"]], targets: [[GW2, "healthy"]] },
            ],
            timeoutSeconds: 60,
        });
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.calls("refreshes")).toBe(5);
        expect(run.stdout).toContain(`${ASG}: instance refresh ${REFRESH}: InProgress, 0% complete`);
        expect(run.stdout).toContain(`${GW1}: no longer in the group`);
        expect(run.stdout).toContain(`${ASG}: 1 in-service instance(s) of launch template version 2 healthy in every target group; instance refresh ${REFRESH}: Successful, 100% complete`);
    });

    it("does not count healthy instances of an older launch template version, as when the new refresh is not listed yet", async () => {
        const run = await groupGate({
            minSize: 1,
            polls: [
                // The latest refresh listed is a past one; the group already runs version 3.
                { refresh: ["Successful", 100], template: "3", members: [[GW1, "InService", "Healthy", "2"]], targets: [[GW1, "healthy"]] },
                { refresh: ["Successful", 100], template: "3", members: [[GW1, "InService", "Healthy", "2"], [GW2, "InService", "Healthy", "3"]], targets: [[GW1, "healthy"], [GW2, "healthy"]] },
            ],
            timeoutSeconds: 60,
        });
        expect(run.status).toBe(0);
        expect(run.calls("refreshes")).toBe(2);
        expect(run.stdout).toContain(`${ASG}: launch template version 3`);
        expect(run.stdout).toContain(`${ASG}: 1 in-service instance(s) of launch template version 3 healthy in every target group`);
    });

    it("fails when the refresh is rolled back, with its reason and the FAILED line of the new instance the group terminated", async () => {
        const old: Member = [GW1, "InService", "Healthy", "1"];
        const reason = "The instance refresh failed because 1 instance(s) failed to launch or become healthy. Rolled back to the previous configuration.";
        const run = await groupGate({
            minSize: 1,
            polls: [
                { refresh: ["InProgress", 0], template: "2", members: [old, [GW2, "InService", "Healthy", "2"]], targets: [[GW1, "healthy"], [GW2, "unhealthy", "Target.FailedHealthChecks"]] },
                // The next poll finds it rolled back already (the group on version 1 again): GW2 is gone, and
                // only its console still says why.
                { refresh: ["RollbackSuccessful", 0, reason], template: "1", members: [old], targets: [[GW1, "healthy"]] },
            ],
            consoles: { [GW2]: [consoleOutput(progress), consoleOutput([...progress, shaMismatch])] },
            timeoutSeconds: 600,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`the instance refresh ${REFRESH} of ${ASG} ended RollbackSuccessful, not Successful`);
        expect(run.stderr).toContain(`Auto Scaling group ${ASG}: instance refresh ${REFRESH}: RollbackSuccessful, 0% complete: ${reason}`);
        expect(run.stderr).toContain(`${GW2} (launch template version 2) left the group without becoming healthy; last seen InService, Healthy`);
        expect(run.stderr).toContain(`${GW2} is not healthy in ${WEBSOCKET}; last state: unhealthy Target.FailedHealthChecks`);
        expect(run.stderr).toContain(`boot log of ${GW2} (console output, aws ec2 get-console-output --instance-id ${GW2} --latest): ${shaMismatch}\n`);
        expect(run.stderr).not.toContain(`${GW1} is not healthy`);
        expect(run.stderr).not.toContain(`start-session --target ${GW2}`);
        // Read once while it booted, once more after the group terminated it.
        expect(run.calls(`console-${GW2}`)).toBe(2);
    });

    it("stops as soon as a new instance's boot ends in a FAILED line, while the refresh goes on in AWS", async () => {
        const run = await groupGate({
            minSize: 1,
            polls: [{ refresh: ["InProgress", 0], template: "2", members: [[GW1, "InService", "Healthy", "1"], [GW2, "Pending", "Healthy", "2"]], targets: [[GW1, "healthy"], [GW2, "initial"]] }],
            logs: { [GW2]: [[...progress, shaMismatch]] },
            timeoutSeconds: 600,
            pollSeconds: 60,
        });
        expect(run.status).toBe(1);
        expect(run.seconds).toBeLessThan(5);
        expect(run.stderr).toContain(`the boot of ${GW2} failed (a FAILED line ends its boot log in CloudWatch Logs), so it will not become healthy`);
        expect(run.stderr).toContain(`boot log of ${GW2} (${GW_LOGS} gateway/${GW2}/boot): ${shaMismatch}`);
        expect(run.stderr).toContain(`instance refresh ${REFRESH}: InProgress`);
        expect(run.stderr).toContain("the instance refresh goes on in AWS without this gate");
        expect(run.calls(`console-${GW2}`)).toBe(0);
    });

    it("keeps the last FAILED line seen of an instance after the group terminated it, for the refresh's failure", async () => {
        const rerun = bootLine("distribution", "step distribution started");
        const run = await groupGate({
            minSize: 1,
            polls: [
                { refresh: ["InProgress", 0], template: "2", members: [[GW1, "InService", "Healthy", "1"], [GW2, "InService", "Unhealthy", "2"]], targets: [[GW1, "healthy"], [GW2, "unhealthy", "Target.Timeout"]] },
                { refresh: ["RollbackInProgress", 0], template: "2", members: [[GW1, "InService", "Healthy", "1"]], targets: [[GW1, "healthy"]] },
                { refresh: ["RollbackInProgress", 0], template: "2", members: [[GW1, "InService", "Healthy", "1"]], targets: [[GW1, "healthy"]] },
                { refresh: ["RollbackFailed", 0, "Rollback failed."], template: "2", members: [[GW1, "InService", "Healthy", "1"]], targets: [[GW1, "healthy"]] },
            ],
            // A FAILED line, then a later run of the boot script: no verdict then, but the line is kept.
            logs: { [GW2]: [[shaMismatch, rerun]] },
            consoles: { [GW2]: ["ERROR An error occurred (InvalidInstanceID.NotFound) when calling the GetConsoleOutput operation"] },
            timeoutSeconds: 600,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`ended RollbackFailed`);
        expect(run.stderr).toContain(`: Rollback failed.`);
        expect(run.stderr).toContain(`boot log of ${GW2} (${GW_LOGS} gateway/${GW2}/boot): ${shaMismatch}`);
        // Read while in the group and once after it left; not again.
        expect(run.calls(`log-${GW2}`)).toBe(2);
    });

    it("fails at the deadline naming the group, the refresh and each instance's last state per group", async () => {
        const run = await groupGate({
            minSize: 1,
            polls: [
                {
                    refresh: ["InProgress", 50, "Waiting for instances to warm up before continuing."],
                    template: "2",
                    members: [[GW1, "InService", "Healthy", "1"], [GW2, "InService", "Healthy", "2"]],
                    targets: { gateway: [[GW1, "healthy"], [GW2, "healthy"]], websocket: [[GW1, "healthy"], [GW2, "unhealthy", "Target.FailedHealthChecks"]] },
                },
            ],
            timeoutSeconds: 0,
        });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${ASG} is not ready after 0s\n`);
        expect(run.stderr).toContain("0 of 1 in-service instance(s) of launch template version 2 healthy in every target group");
        expect(run.stderr).toContain(`Auto Scaling group ${ASG}: instance refresh ${REFRESH}: InProgress, 50% complete: Waiting for instances to warm up before continuing.`);
        expect(run.stderr).toContain(`${GW2} (launch template version 2) is InService, Healthy in the group`);
        expect(run.stderr).toContain(`${GW2} is not healthy in ${WEBSOCKET}; last state: unhealthy Target.FailedHealthChecks`);
        expect(run.stderr).not.toContain(`not healthy in ${GATEWAY}`);
        expect(run.stderr).not.toContain(`${GW1} is not healthy`);
        expect(run.stderr).toContain(`CloudWatch Logs group ${GW_LOGS}, stream gateway/${GW2}/boot`);
        expect(run.stderr).toContain(`aws ssm start-session --target ${GW2}`);
    });

    it("fails at the deadline of a first deploy with no instance in service", async () => {
        const run = await groupGate({ minSize: 2, polls: [{ refresh: null, members: [], targets: [] }], timeoutSeconds: 0 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${ASG} is not ready after 0s\n`);
        expect(run.stderr).toContain("0 of 2 in-service instance(s) of launch template version 1 healthy in every target group");
        expect(run.stderr).toContain(`Auto Scaling group ${ASG}: no instance refresh`);
    });

    it("retries when the AWS CLI fails, saying so once per read, then goes on", async () => {
        const expired = "An error occurred (ExpiredToken) when calling the DescribeInstanceRefreshes operation: The security token included in the request is expired";
        const throttled = "An error occurred (Throttling) when calling the DescribeAutoScalingGroups operation: Rate exceeded";
        const member: Member = [GW1, "InService", "Healthy", "1"];
        const run = await groupGate({
            minSize: 1,
            polls: [
                { refresh: { error: expired }, members: { error: throttled }, targets: { error: "Could not connect to the endpoint URL" } },
                { refresh: { error: expired }, members: [member], targets: [[GW1, "healthy"]] },
                { refresh: ["Successful", 100], members: [member], targets: [[GW1, "healthy"]] },
            ],
            timeoutSeconds: 60,
        });
        expect(run.status).toBe(0);
        expect(run.stdout.match(/cannot read its instance refreshes/g)).toHaveLength(1);
        expect(run.stdout).toContain(`${ASG}: cannot read its instance refreshes (will retry): ${expired}`);
        expect(run.stdout).toContain(`${ASG}: cannot read its instances (will retry): ${throttled}`);
        expect(run.stdout).toContain("gateway/bbbb: cannot read target health (will retry): Could not connect to the endpoint URL");
        expect(run.calls("refreshes")).toBe(3);
    });

    it("fails clearly at the deadline when the AWS CLI keeps failing", async () => {
        const denied = "An error occurred (AccessDenied) when calling the DescribeAutoScalingGroups operation: User is not authorized to perform: autoscaling:DescribeAutoScalingGroups";
        const run = await groupGate({ minSize: 1, polls: [{ refresh: null, members: { error: denied }, targets: [] }], timeoutSeconds: 0 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`${ASG} is not ready after 0s\n`);
        expect(run.stderr).toContain(`cannot read the instances of ${ASG}: ${denied}`);
    });

    it("names a group that does not exist at the deadline", async () => {
        const run = await groupGate({ minSize: 1, polls: [{ refresh: null, template: null, members: [], targets: [] }], timeoutSeconds: 0 });
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`cannot read the instances of ${ASG}: no Auto Scaling group named ${ASG} in eu-west-1`);
    });

    it("takes its environment from groupGateEnvironment, and refuses a bad one with a message", async () => {
        const env = await resolved(groupGateEnvironment({ region: "eu-west-1", autoScalingGroupName: ASG, targetGroupArns: [GATEWAY, WEBSOCKET], minSize: pulumi.output(2), logGroupName: GW_LOGS }));
        expect(env).toEqual({
            GATE_MODE: "group",
            AWS_REGION: "eu-west-1",
            ASG_NAME: ASG,
            TARGET_GROUP_ARNS: `${GATEWAY} ${WEBSOCKET}`,
            MIN_SIZE: "2",
            LOG_GROUP_NAME: GW_LOGS,
            BOOT_LOG_STREAM_PATTERN: "gateway/{instance_id}/boot",
            TIMEOUT_SECONDS: "3600",
        });
        expect(GATEWAY_BOOT_LOG_STREAM_PATTERN.replace("{instance_id}", GW1)).toBe(bootLogStreamName(GATEWAY_LOG_STREAM_PREFIX, GW1));
        expect(() => groupGateEnvironment({ region: "r", autoScalingGroupName: ASG, targetGroupArns: [GATEWAY], minSize: 1.5, logGroupName: GW_LOGS })).toThrow("minSize must be a whole number");
        const run = (extra: Record<string, string>) => spawnSync("bash", [SCRIPT], { encoding: "utf8", env: { ...env, PATH: `${groupBin}:${process.env.PATH}`, ...extra } });
        expect(run({ ASG_NAME: "" }).stderr).toContain("ASG_NAME is required with GATE_MODE=group");
        expect(run({ MIN_SIZE: "two" }).stderr).toContain("MIN_SIZE must be a whole number of instances, got 'two'");
        expect(run({ BOOT_LOG_STREAM_PATTERN: "gateway/boot" }).stderr).toContain("BOOT_LOG_STREAM_PATTERN must name the boot log stream with {instance_id}");
        expect(run({ BOOT_LOG_STREAM_PATTERN: "gateway/boot" }).status).toBe(2);
    });

    it("passes shellcheck, its stand-in too", () => {
        if (!requireTool("shellcheck")) return;
        expect(() => execFileSync("shellcheck", ["--severity=style", path.join(groupBin, "aws")], { encoding: "utf8" })).not.toThrow();
    });
});
