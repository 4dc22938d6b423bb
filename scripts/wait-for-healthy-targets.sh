#!/usr/bin/env bash
# Health gate of API Manager nodes and of the gateways' Auto Scaling group (lib/aws/rollingGate.ts; README
# "Rolling a change"). `pulumi up` runs it on the operator's machine through @pulumi/command; it needs the
# AWS CLI v2 and Pulumi's AWS credentials.
#
#   GATE_MODE=rolling  one node's gate. Returns at once when no other target is healthy in the node's
#                      target groups (nothing serves yet, e.g. a first deploy); otherwise waits until the
#                      node's instance is healthy in every group, so the next node is replaced only then.
#   GATE_MODE=all      the cluster's last gate: waits until every instance is healthy in every group.
#   GATE_MODE=group    an Auto Scaling group's gate. The provider starts an instance refresh when the launch
#                      template changes and nothing waits for it: this waits while the group's latest
#                      refresh is active, fails when it ended Failed, Cancelled, RollbackSuccessful or
#                      RollbackFailed, and succeeds once none is active, the latest (if any) is Successful
#                      and MIN_SIZE in-service instances of the group's launch template version are healthy
#                      in every group (older ones serve until a refresh, even one not listed yet, replaces
#                      them). With no refresh (a first deploy) it waits for MIN_SIZE healthy instances.
#
# While it waits it reads each pending instance's boot log in CloudWatch Logs, then its console output
# (which has the boot script's lines even when no agent ships them, e.g. a boot that failed before
# the agent started), and stops at once when the boot script's last line in either is a FAILED line
# (the script exits on failure, so nothing more will come). Neither read is needed: a source that
# cannot be read is skipped. On failure it names each target group, the instance's last state there,
# and the FAILED line with the source it came from. In group mode an instance the group terminated
# before it was ever healthy is read once more after it left (its log stream outlives it), and the last
# FAILED line seen of each instance is kept, so a refresh that failed because of it still shows why.
#
# Environment: AWS_REGION, TARGET_GROUP_ARNS (space-separated), GATE_MODE (default all),
#   TIMEOUT_SECONDS (default 3600), POLL_SECONDS (default 15), LOG_GROUP_NAME (optional), and
#   rolling, all: INSTANCE_IDS (space-separated), BOOT_LOG_STREAMS (with LOG_GROUP_NAME: one stream per
#     instance, in the same order);
#   group: ASG_NAME, MIN_SIZE (in-service instances that must be healthy), BOOT_LOG_STREAM_PATTERN (with
#     LOG_GROUP_NAME: the stream's name with {instance_id} for the instance, as the CloudWatch agent names it).
#
# AWS rights (IAM) it uses, all read-only; the last two only shorten a failed boot's wait:
#   elasticloadbalancing:DescribeTargetHealth; group mode also autoscaling:DescribeInstanceRefreshes and
#   autoscaling:DescribeAutoScalingGroups; logs:FilterLogEvents (on the log group), ec2:GetConsoleOutput.
set -euo pipefail

: "${AWS_REGION:?AWS_REGION is required}"
[[ ${GATE_MODE:-} == group ]] || : "${INSTANCE_IDS:?INSTANCE_IDS is required}"
: "${TARGET_GROUP_ARNS:?TARGET_GROUP_ARNS is required}"
GATE_MODE="${GATE_MODE:-all}"
INSTANCE_IDS="${INSTANCE_IDS:-}"
LOG_GROUP_NAME="${LOG_GROUP_NAME:-}"
BOOT_LOG_STREAMS="${BOOT_LOG_STREAMS:-}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-3600}"
POLL_SECONDS="${POLL_SECONDS:-15}"
ME=wait-for-healthy-targets

fail() {
    echo "${ME}: $*" >&2
    exit 2
}
waiting_for="${INSTANCE_IDS}"
if [[ ${GATE_MODE} == group ]]; then
    : "${ASG_NAME:?ASG_NAME is required with GATE_MODE=group}"
    : "${MIN_SIZE:?MIN_SIZE is required with GATE_MODE=group}"
    BOOT_LOG_STREAM_PATTERN="${BOOT_LOG_STREAM_PATTERN:-}"
    [[ ${MIN_SIZE} =~ ^[0-9]+$ ]] || fail "MIN_SIZE must be a whole number of instances, got '${MIN_SIZE}'"
    if [[ -n ${LOG_GROUP_NAME} && ${BOOT_LOG_STREAM_PATTERN} != *"{instance_id}"* ]]; then
        fail "BOOT_LOG_STREAM_PATTERN must name the boot log stream with {instance_id} for the instance, got '${BOOT_LOG_STREAM_PATTERN}'"
    fi
    waiting_for="Auto Scaling group ${ASG_NAME}"
elif [[ ${GATE_MODE} != rolling && ${GATE_MODE} != all ]]; then
    fail "GATE_MODE must be rolling or all (nodes), or group (an Auto Scaling group), got '${GATE_MODE}'"
fi
command -v aws >/dev/null 2>&1 || fail "the AWS CLI (aws) is not installed; it is needed to wait for ${waiting_for} to become healthy"

read -r -a groups <<<"${TARGET_GROUP_ARNS}"
read -r -a instances <<<"${INSTANCE_IDS}"
read -r -a streams <<<"${BOOT_LOG_STREAMS}"
if [[ ${GATE_MODE} != group && -n ${LOG_GROUP_NAME} && ${#streams[@]} -ne ${#instances[@]} ]]; then
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

# Reads every group once, keeping the state of each of ${instances[@]}. Returns 1 when the AWS CLI failed for any group (its error is kept).
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
            if [[ ${target_state} == healthy && " ${instances[*]} " != *" ${id} "* ]]; then
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

# boot_ended_in_failure INSTANCE STREAM: returns 0 when the boot script's last line is a FAILED line in
# the instance's boot log (STREAM of LOG_GROUP_NAME), else in its console output. Every mode reads
# boot logs through this.
boot_ended_in_failure() {
    boot_failed "$1" "$2" || console_failed "$1"
}

# Which of the two places ended in the FAILED line, for the reason a gate stops.
failed_where() {
    if [[ ${boot_source[$1]} == console ]]; then echo "its console output"; else echo "its boot log in CloudWatch Logs"; fi
}

# Where a FAILED line was read, for the report.
source_of() {
    if [[ ${boot_source[$1]} == console ]]; then
        echo "console output, aws ec2 get-console-output --instance-id $1 --latest"
    else
        echo "${LOG_GROUP_NAME} $2"
    fi
}

# boot_hints INSTANCE STREAM [SHELL]: the instance's FAILED line with where it was read, or where to look;
# then, given SHELL (what to run once logged in), how to log in to it.
boot_hints() {
    local instance="$1" stream="$2" shell="${3:-}"
    if [[ -n ${boot_failure[${instance}]:-} ]]; then
        echo "${ME}: boot log of ${instance} ($(source_of "${instance}" "${stream}")): ${boot_failure[${instance}]}" >&2
    else
        if [[ -n ${LOG_GROUP_NAME} ]]; then
            echo "${ME}: boot log of ${instance}: CloudWatch Logs group ${LOG_GROUP_NAME}, stream ${stream}" >&2
        fi
        echo "${ME}: console output of ${instance}: aws ec2 get-console-output --instance-id ${instance} --latest --output text" >&2
    fi
    [[ -z ${shell} ]] || echo "${ME}: on the node: aws ssm start-session --target ${instance}, then ${shell}" >&2
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
        boot_hints "${instance}" "${streams[${i}]:-}" "journalctl -t wso2am-bootstrap -u wso2am"
    done
    exit 1
}

# ---- GATE_MODE=group: an Auto Scaling group and its instance refresh ----

refresh_id="" refresh_status="" refresh_percent="" refresh_reason="" # the group's latest refresh, as last read
declare -A api_error=()  # what ("instance refreshes", "instances") -> the AWS CLI's last error, while it keeps failing
member_order=()          # every instance seen in the group during this wait, first seen first
declare -A member=()     # instance -> "<lifecycle state> <ASG health> <launch template version>", as last read
declare -A left=()       # instance -> 1 once it is no longer in the group
declare -A was_healthy=() # instance -> 1 once seen healthy in every target group
declare -A last_read=()  # instance -> 1 once its boot was read after it left the group
group_version=""         # the group's launch template version, as last read
healthy_count=0          # in-service instances of that version healthy in every target group, in the last read

stream_of() {
    [[ -z ${LOG_GROUP_NAME} ]] || echo "${BOOT_LOG_STREAM_PATTERN//\{instance_id\}/$1}"
}

# api_failed WHAT OUTPUT: says once that a read keeps failing, and keeps its error for the report.
api_failed() {
    [[ -n ${api_error[$1]:-} ]] || echo "  ${ASG_NAME}: cannot read its $1 (will retry): $(one_line "$2")"
    api_error[$1]="$(one_line "$2")"
}

describe_refresh() {
    if [[ -n ${refresh_id} ]]; then
        echo "instance refresh ${refresh_id}: ${refresh_status}, ${refresh_percent}% complete${refresh_reason:+: ${refresh_reason}}"
    else
        echo "no instance refresh (a first deploy, or none in six weeks)"
    fi
}

# What an instance must run to count: the group's launch template version, when it names a number
# ($Latest or $Default would take another call to resolve).
counted_version() {
    if [[ ${group_version} =~ ^[0-9]+$ ]]; then echo " of launch template version ${group_version}"; fi
}

# The latest refresh (AWS lists them newest first). Returns 1 when the AWS CLI failed.
read_refresh() {
    local output id="" status="" percent="" reason=""
    if ! output="$(aws autoscaling describe-instance-refreshes --region "${AWS_REGION}" --auto-scaling-group-name "${ASG_NAME}" \
        --max-records 1 --query 'InstanceRefreshes[0].[InstanceRefreshId, Status, PercentageComplete, StatusReason]' \
        --output text 2>&1)"; then
        api_failed "instance refreshes" "${output}"
        return 1
    fi
    unset "api_error[instance refreshes]"
    # The reason comes last: it may hold spaces. No refresh at all reads as None.
    IFS=$'\t' read -r id status percent reason <<<"${output}" || true
    [[ ${id} != None ]] || id=""
    [[ -n ${id} ]] || status="" percent="" reason=""
    [[ ${reason} != None ]] || reason=""
    if [[ "${id}|${status}|${percent}|${reason}" != "${refresh_id}|${refresh_status}|${refresh_percent}|${refresh_reason}" ]]; then
        refresh_id="${id}" refresh_status="${status}" refresh_percent="${percent}" refresh_reason="${reason}"
        echo "  ${ASG_NAME}: $(describe_refresh)"
    fi
}

# The group's launch template version and instances, into group_version, member and instances (the
# ones read_groups follows). Returns 1 when the AWS CLI failed or found no such group.
read_members() {
    local output id lifecycle health version
    # Text output puts the group's version on a line of its own, before its instances' lines.
    if ! output="$(aws autoscaling describe-auto-scaling-groups --region "${AWS_REGION}" --auto-scaling-group-names "${ASG_NAME}" \
        --query 'AutoScalingGroups[].[LaunchTemplate.Version, Instances[].[InstanceId, LifecycleState, HealthStatus, LaunchTemplate.Version]]' \
        --output text 2>&1)" || [[ -z ${output} ]]; then
        api_failed instances "${output:-no Auto Scaling group named ${ASG_NAME} in ${AWS_REGION}}"
        return 1
    fi
    unset "api_error[instances]"
    instances=()
    while read -r id lifecycle health version; do
        [[ -n ${id} ]] || continue
        if [[ -z ${lifecycle} ]]; then
            [[ ${id} == "${group_version}" ]] || echo "  ${ASG_NAME}: launch template version ${id}"
            group_version="${id}"
            continue
        fi
        instances+=("${id}")
        [[ -n ${member[${id}]:-} ]] || member_order+=("${id}")
        unset "left[${id}]"
        if [[ "${lifecycle} ${health} ${version:-None}" != "${member[${id}]:-}" ]]; then
            echo "  ${id}: ${lifecycle}, ${health} in the group, launch template version ${version:-None}"
        fi
        member[${id}]="${lifecycle} ${health} ${version:-None}"
    done <<<"${output}"
    for id in "${member_order[@]}"; do
        if [[ " ${instances[*]} " != *" ${id} "* && -z ${left[${id}]:-} ]]; then
            left[${id}]=1
            echo "  ${id}: no longer in the group"
        fi
    done
}

# Returns 0 when the instance is healthy in every target group, as last read.
healthy_everywhere() {
    local group now
    for group in "${groups[@]}"; do
        now="${state["${group}|$1"]:-}"
        [[ -z ${read_error[${group}]:-} && ${now%% *} == healthy ]] || return 1
    done
}

# Whether the instance is on its way out of the group, or out.
leaving() {
    [[ -n ${left[$1]:-} || ${member[$1]} == Terminat* || ${member[$1]} == Detach* ]]
}

# Reports the instances not healthy at their last read, except those that served and are leaving (the
# ones a refresh replaces), then exits 1.
report_group() {
    local why="$1" key group id last lifecycle health version
    echo "${ME}: ${why}" >&2
    echo "${ME}: Auto Scaling group ${ASG_NAME}: $(describe_refresh)" >&2
    for key in "instance refreshes" instances; do
        [[ -z ${api_error[${key}]:-} ]] || echo "${ME}: cannot read the ${key} of ${ASG_NAME}: ${api_error[${key}]}" >&2
    done
    for group in "${groups[@]}"; do
        if [[ -n ${read_error[${group}]:-} ]]; then
            echo "${ME}: cannot read the target health of ${group}: ${read_error[${group}]}" >&2
        fi
    done
    echo "${ME}: ${healthy_count} of ${MIN_SIZE} in-service instance(s)$(counted_version) healthy in every target group" >&2
    for id in "${member_order[@]}"; do
        [[ -z ${was_healthy[${id}]:-} ]] || ! leaving "${id}" || continue
        [[ -n ${left[${id}]:-} ]] || ! healthy_everywhere "${id}" || continue
        read -r lifecycle health version <<<"${member[${id}]}"
        if [[ -n ${left[${id}]:-} ]]; then
            echo "${ME}: ${id} (launch template version ${version}) left the group without becoming healthy; last seen ${lifecycle}, ${health}" >&2
        else
            echo "${ME}: ${id} (launch template version ${version}) is ${lifecycle}, ${health} in the group" >&2
        fi
        for group in "${groups[@]}"; do
            last="${state["${group}|${id}"]:-}"
            [[ ${last%% *} != healthy ]] || continue
            echo "${ME}: ${id} is not healthy in ${group}; last state: ${last:-unknown (never read)}" >&2
        done
        if [[ -n ${left[${id}]:-} ]]; then
            boot_hints "${id}" "$(stream_of "${id}")"
        else
            boot_hints "${id}" "$(stream_of "${id}")" "journalctl -t wso2am-bootstrap"
        fi
    done
    case ${refresh_status} in
    Pending | InProgress | Cancelling | RollbackInProgress | Baking)
        echo "${ME}: the instance refresh goes on in AWS without this gate: aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${ASG_NAME} --max-records 1" >&2
        ;;
    esac
    echo "${ME}: the group's scaling activities: aws autoscaling describe-scaling-activities --auto-scaling-group-name ${ASG_NAME}" >&2
    exit 1
}

gate_group() {
    local complete id pending lifecycle version
    echo "Waiting up to ${TIMEOUT_SECONDS}s for Auto Scaling group ${ASG_NAME}: for its latest instance refresh, if any, to succeed and ${MIN_SIZE} in-service instance(s) of its launch template version to be healthy in ${#groups[@]} target group(s)"
    while true; do
        complete=0
        read_refresh || complete=1
        read_members || complete=1
        read_groups || complete=1
        healthy_count=0
        for id in "${instances[@]}"; do
            healthy_everywhere "${id}" || continue
            was_healthy[${id}]=1
            read -r lifecycle _ version <<<"${member[${id}]}"
            [[ ${lifecycle} == InService ]] || continue
            # An older version's instances serve until a refresh (perhaps not listed yet) replaces them.
            [[ ! ${group_version} =~ ^[0-9]+$ || ${version} == "${group_version}" ]] || continue
            healthy_count=$((healthy_count + 1))
        done

        case ${refresh_status} in
        Failed | Cancelled | RollbackSuccessful | RollbackFailed)
            # A refresh fails on instances that did not become healthy: one more read of each, even gone.
            for id in "${member_order[@]}"; do
                [[ -n ${was_healthy[${id}]:-} || -n ${boot_failure[${id}]:-} ]] || boot_ended_in_failure "${id}" "$(stream_of "${id}")" || true
            done
            report_group "the instance refresh ${refresh_id} of ${ASG_NAME} ended ${refresh_status}, not Successful"
            ;;
        esac

        if ((complete == 0)) && [[ -z ${refresh_status} || ${refresh_status} == Successful ]] && ((healthy_count >= MIN_SIZE)); then
            echo "${ASG_NAME}: ${healthy_count} in-service instance(s)$(counted_version) healthy in every target group; $(describe_refresh)"
            exit 0
        fi

        # Instances that never were healthy; one that left is read once more, then no longer.
        pending=()
        for id in "${member_order[@]}"; do
            [[ -z ${was_healthy[${id}]:-} ]] || continue
            if [[ -n ${left[${id}]:-} ]]; then
                [[ -z ${last_read[${id}]:-} ]] || continue
                last_read[${id}]=1
            fi
            pending+=("${id}")
        done
        for id in "${pending[@]}"; do
            if boot_ended_in_failure "${id}" "$(stream_of "${id}")"; then
                report_group "the boot of ${id} failed (a FAILED line ends $(failed_where "${id}")), so it will not become healthy"
            fi
        done

        if ((SECONDS >= deadline)); then
            report_group "${ASG_NAME} is not ready after ${TIMEOUT_SECONDS}s"
        fi
        sleep "${POLL_SECONDS}"
    done
}

[[ ${GATE_MODE} != group ]] || gate_group

# ---- GATE_MODE=rolling and all: nodes ----

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
        if boot_ended_in_failure "${instance}" "${streams[${i}]:-}"; then
            report "the boot of ${instance} failed (a FAILED line ends $(failed_where "${instance}")), so it will not become healthy"
        fi
    done
    ((SECONDS < deadline)) || report "not every instance is healthy after ${TIMEOUT_SECONDS}s"
    sleep "${POLL_SECONDS}"
    read_groups || true
done
