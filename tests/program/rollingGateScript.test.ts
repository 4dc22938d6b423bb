import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, execFileSync } from "child_process";
import { requireTool } from "../support/validators";

/** scripts/wait-for-healthy-targets.sh against a stand-in `aws` that plays back target states. */
const SCRIPT = path.join(__dirname, "..", "..", "scripts", "wait-for-healthy-targets.sh");
const GROUP_A = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/portal/aaaa";
const GROUP_B = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/gateway/bbbb";
let bin: string;

beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-aws-"));
    // States per group, one line per poll; the last line repeats. Records every call.
    fs.writeFileSync(
        path.join(bin, "aws"),
        `#!/usr/bin/env bash
echo "$*" >> "${bin}/calls"
for arg in "$@"; do case "$arg" in *targetgroup/*) group="\${arg##*targetgroup/}"; group="\${group%%/*}";; esac; done
n=$(grep -c -- "$group" "${bin}/calls")
states="${bin}/states-$group"
line=$(sed -n "\${n}p" "$states"); [ -n "$line" ] || line=$(tail -n 1 "$states")
printf '%b\\n' "$line"
`,
        { mode: 0o755 },
    );
});

function run(states: Record<string, string[]>, timeoutSeconds: number) {
    fs.rmSync(path.join(bin, "calls"), { force: true });
    for (const [group, lines] of Object.entries(states)) fs.writeFileSync(path.join(bin, `states-${group}`), lines.join("\n") + "\n");
    return spawnSync("bash", [SCRIPT], {
        encoding: "utf8",
        env: {
            PATH: `${bin}:${process.env.PATH}`,
            AWS_REGION: "eu-west-1",
            INSTANCE_ID: "i-0123456789abcdef0",
            TARGET_GROUP_ARNS: `${GROUP_A} ${GROUP_B}`,
            TIMEOUT_SECONDS: String(timeoutSeconds),
            POLL_SECONDS: "0",
        },
    });
}

it("succeeds once the instance is healthy in every target group", () => {
    const result = run({ portal: ["initial\\tElb.RegistrationInProgress", "healthy\\tNone"], gateway: ["unhealthy\\tTarget.FailedHealthChecks", "unhealthy\\tTarget.FailedHealthChecks", "healthy\\tNone"] }, 60);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const calls = fs.readFileSync(path.join(bin, "calls"), "utf8");
    expect(calls).toContain("elbv2 describe-target-health --region eu-west-1");
    expect(calls).toContain("i-0123456789abcdef0");
});

it("fails after the timeout, naming each group still unhealthy and its last state", () => {
    const result = run({ portal: ["healthy\\tNone"], gateway: ["unhealthy\\tTarget.FailedHealthChecks"] }, 0);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`not healthy in ${GROUP_B}`);
    expect(result.stderr).toContain("last state: unhealthy Target.FailedHealthChecks");
    expect(result.stderr).not.toContain(GROUP_A);
});

it("treats an instance missing from a group as not healthy", () => {
    const result = run({ portal: ["None"], gateway: ["healthy\\tNone"] }, 0);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`not healthy in ${GROUP_A} after 0s; last state: unregistered`);
});

it("passes shellcheck", () => {
    if (!requireTool("shellcheck")) return;
    expect(() => execFileSync("shellcheck", [SCRIPT], { encoding: "utf8" })).not.toThrow();
});
