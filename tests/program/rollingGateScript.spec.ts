import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, execFileSync } from "child_process";
import { requireTool } from "../support/validators";
import { bootLogStreamName } from "../../lib/aws/rollingGate";

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
n=0
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
