#!/usr/bin/env bash
# Health gate of API Manager nodes (lib/aws/rollingGate.ts; README "How nodes roll"). `pulumi up` runs it
# on the operator's machine through @pulumi/command; it needs the AWS CLI v2 and Pulumi's AWS credentials.
#
#   GATE_MODE=rolling  one node's gate. Returns at once when no other target is healthy in the node's
#                      target groups (nothing serves yet, e.g. a first deploy); otherwise waits until the
#                      node's instance is healthy in every group, so the next node is replaced only then.
#   GATE_MODE=all      the cluster's last gate: waits until every instance is healthy in every group.
#
# While it waits it reads each pending instance's boot log in CloudWatch Logs, then its console output
# (which has the boot script's lines even when no agent ships them, e.g. a boot that failed before
# the agent started), and stops at once when the boot script's last line in either is a FAILED line
# (the script exits on failure, so nothing more will come). Neither read is needed: a source that
# cannot be read is skipped. On failure it names each target group, the instance's last state there,
# and the FAILED line with the source it came from.
#
# Environment: AWS_REGION, INSTANCE_IDS and TARGET_GROUP_ARNS (space-separated), GATE_MODE (default all),
#   LOG_GROUP_NAME and BOOT_LOG_STREAMS (optional: one stream per instance, in the same order),
#   TIMEOUT_SECONDS (default 3600), POLL_SECONDS (default 15).
set -euo pipefail

: "${AWS_REGION:?AWS_REGION is required}"
: "${INSTANCE_IDS:?INSTANCE_IDS is required}"
: "${TARGET_GROUP_ARNS:?TARGET_GROUP_ARNS is required}"
GATE_MODE="${GATE_MODE:-all}"
LOG_GROUP_NAME="${LOG_GROUP_NAME:-}"
BOOT_LOG_STREAMS="${BOOT_LOG_STREAMS:-}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-3600}"
POLL_SECONDS="${POLL_SECONDS:-15}"
ME=wait-for-healthy-targets

fail() {
    echo "${ME}: $*" >&2
    exit 2
}
[[ ${GATE_MODE} == rolling || ${GATE_MODE} == all ]] || fail "GATE_MODE must be rolling or all, got '${GATE_MODE}'"
command -v aws >/dev/null 2>&1 || fail "the AWS CLI (aws) is not installed; it is needed to wait for ${INSTANCE_IDS} to become healthy"

read -r -a groups <<<"${TARGET_GROUP_ARNS}"
read -r -a instances <<<"${INSTANCE_IDS}"
read -r -a streams <<<"${BOOT_LOG_STREAMS}"
if [[ -n ${LOG_GROUP_NAME} && ${#streams[@]} -ne ${#instances[@]} ]]; then
    fail "BOOT_LOG_STREAMS must name one stream per instance of INSTANCE_IDS"
fi
deadline=$((SECONDS + TIMEOUT_SECONDS))

declare -A state=()         # "<group>|<instance>" -> "<state> <reason>", as last read
declare -A read_error=()    # group -> the AWS CLI's last error, while it keeps failing
declare -A boot_failure=()  # instance -> last FAILED line of its boot log
declare -A boot_source=()   # instance -> where that line was read: logs or console
declare -A console_error=() # instance -> the AWS CLI's last error reading its console, while it keeps failing
others_healthy=0            # targets of other instances healthy in the last complete read

short() { echo "${1##*:targetgroup/}"; }
one_line() { tr '\n\t' '  ' <<<"$1"; }

# Reads every group once. Returns 1 when the AWS CLI failed for any group (its error is kept).
read_groups() {
    local group output id target_state reason instance complete=0
    others_healthy=0
    for group in "${groups[@]}"; do
        if ! output="$(aws elbv2 describe-target-health --region "${AWS_REGION}" --target-group-arn "${group}" \
            --query 'TargetHealthDescriptions[].[Target.Id, TargetHealth.State, TargetHealth.Reason]' \
            --output text 2>&1)"; then
            [[ -n ${read_error[${group}]:-} ]] || echo "  $(short "${group}"): cannot read target health (will retry): $(one_line "${output}")"
            read_error[${group}]="$(one_line "${output}")"
            complete=1
            continue
        fi
        unset "read_error[${group}]"
        declare -A seen=()
        while read -r id target_state reason; do
            [[ -n ${id} ]] || continue
            seen[${id}]="${target_state} ${reason:-None}"
            if [[ ${target_state} == healthy && " ${INSTANCE_IDS} " != *" ${id} "* ]]; then
                others_healthy=$((others_healthy + 1))
            fi
        done <<<"${output}"
        for instance in "${instances[@]}"; do
            local now="${seen[${instance}]:-unregistered None}"
            if [[ ${now} != "${state["${group}|${instance}"]:-}" ]]; then
                echo "  $(short "${group}") ${instance}: ${now}"
            fi
            state["${group}|${instance}"]="${now}"
        done
        unset seen
    done
    return "${complete}"
}

# verdict INSTANCE SOURCE TEXT: keeps the last FAILED line of the boot script's lines in TEXT, and
# returns 0 when the last of those lines is one. A boot-script line is "<UTC time> wso2am-bootstrap
# [<step>] <message>", taken from wherever it starts: the console prefixes cloud-init's lines with the
# kernel's time and "cloud-init[<pid>]: ", ends them with CR, and mixes in other programs' lines.
verdict() {
    local lines failed
    lines="$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z wso2am-bootstrap \[[^]]*\] .*' <<<"${3//$'\r'/}" || true)"
    [[ -n ${lines} ]] || return 1
    failed="$(grep -F 'FAILED:' <<<"${lines}" | tail -n 1 || true)"
    if [[ -n ${failed} ]]; then
        boot_failure[$1]="${failed}"
        boot_source[$1]="$2"
    fi
    [[ ${lines##*$'\n'} == *FAILED:* ]]
}

# Returns 0 when the boot log in CloudWatch Logs ends with a FAILED line.
boot_failed() {
    local instance="$1" stream="$2" lines
    [[ -n ${LOG_GROUP_NAME} ]] || return 1
    # Advisory only: a log that cannot be read (not shipped yet, no permission) is no verdict.
    lines="$(aws logs filter-log-events --region "${AWS_REGION}" --log-group-name "${LOG_GROUP_NAME}" \
        --log-stream-name-prefix "${stream}" --filter-pattern '"wso2am-bootstrap"' \
        --query 'events[].[message]' --output text 2>/dev/null)" || return 1
    verdict "${instance}" logs "${lines}"
}

# Returns 0 when the console output ends with a FAILED line of the boot script (cloud-init copies the
# script's output there). --latest: the output as of now on Nitro instances, not a snapshot from boot.
console_failed() {
    local instance="$1" output
    # Advisory too: no permission or throttled is no verdict; the first failure is shown once.
    if ! output="$(aws ec2 get-console-output --region "${AWS_REGION}" --instance-id "${instance}" --latest \
        --query Output --output text 2>&1)"; then
        [[ -n ${console_error[${instance}]:-} ]] || echo "  ${instance}: cannot read its console output (will retry; ec2:GetConsoleOutput): $(one_line "${output}")"
        console_error[${instance}]="$(one_line "${output}")"
        return 1
    fi
    unset "console_error[${instance}]"
    verdict "${instance}" console "${output}"
}

# Where a FAILED line was read, for the report.
source_of() {
    if [[ ${boot_source[$1]} == console ]]; then
        echo "console output, aws ec2 get-console-output --instance-id $1 --latest"
    else
        echo "${LOG_GROUP_NAME} $2"
    fi
}

report() {
    local why="$1" group instance i last unhealthy
    echo "${ME}: ${why}" >&2
    for group in "${groups[@]}"; do
        if [[ -n ${read_error[${group}]:-} ]]; then
            echo "${ME}: cannot read the target health of ${group}: ${read_error[${group}]}" >&2
        fi
    done
    for i in "${!instances[@]}"; do
        instance="${instances[${i}]}" unhealthy=0
        for group in "${groups[@]}"; do
            last="${state["${group}|${instance}"]:-}"
            [[ ${last%% *} != healthy ]] || continue
            echo "${ME}: ${instance} is not healthy in ${group}; last state: ${last:-unknown (never read)}" >&2
            unhealthy=1
        done
        ((unhealthy)) || continue
        if [[ -n ${boot_failure[${instance}]:-} ]]; then
            echo "${ME}: boot log of ${instance} ($(source_of "${instance}" "${streams[${i}]:-}")): ${boot_failure[${instance}]}" >&2
        else
            if [[ -n ${LOG_GROUP_NAME} ]]; then
                echo "${ME}: boot log of ${instance}: CloudWatch Logs group ${LOG_GROUP_NAME}, stream ${streams[${i}]}" >&2
            fi
            echo "${ME}: console output of ${instance}: aws ec2 get-console-output --instance-id ${instance} --latest --output text" >&2
        fi
        echo "${ME}: on the node: aws ssm start-session --target ${instance}, then journalctl -t wso2am-bootstrap -u wso2am" >&2
    done
    exit 1
}

if [[ ${GATE_MODE} == rolling ]]; then
    # Decided once, on a complete read: a node that nobody else covers for is not worth waiting for.
    until read_groups; do
        ((SECONDS < deadline)) || report "could not tell within ${TIMEOUT_SECONDS}s whether another target serves"
        sleep "${POLL_SECONDS}"
    done
    if ((others_healthy == 0)); then
        echo "No other target is healthy in these ${#groups[@]} target group(s): nothing serves yet, so nothing to protect; not waiting for ${INSTANCE_IDS} (the cluster's last gate waits for every node)"
        exit 0
    fi
    echo "Other targets are healthy, so they keep serving while ${INSTANCE_IDS} starts: waiting up to ${TIMEOUT_SECONDS}s for it to be healthy in ${#groups[@]} target group(s)"
else
    echo "Waiting up to ${TIMEOUT_SECONDS}s for ${INSTANCE_IDS} to be healthy in ${#groups[@]} target group(s)"
    read_groups || true
fi

while true; do
    pending=()
    for instance in "${instances[@]}"; do
        for group in "${groups[@]}"; do
            now="${state["${group}|${instance}"]:-}"
            if [[ -n ${read_error[${group}]:-} || ${now%% *} != healthy ]]; then
                pending+=("${instance}")
                break
            fi
        done
    done
    if ((${#pending[@]} == 0)); then
        echo "${INSTANCE_IDS}: healthy in every target group"
        exit 0
    fi
    for i in "${!instances[@]}"; do
        instance="${instances[${i}]}"
        [[ " ${pending[*]} " == *" ${instance} "* ]] || continue
        if boot_failed "${instance}" "${streams[${i}]:-}" || console_failed "${instance}"; then
            where="its boot log in CloudWatch Logs"
            [[ ${boot_source[${instance}]} != console ]] || where="its console output"
            report "the boot of ${instance} failed (a FAILED line ends ${where}), so it will not become healthy"
        fi
    done
    ((SECONDS < deadline)) || report "not every instance is healthy after ${TIMEOUT_SECONDS}s"
    sleep "${POLL_SECONDS}"
    read_groups || true
done
