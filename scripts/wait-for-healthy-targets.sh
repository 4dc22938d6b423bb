#!/usr/bin/env bash
# Rolling gate of one API Manager node (see lib/aws/rollingGate.ts): waits until INSTANCE_ID is `healthy` in
# every target group of TARGET_GROUP_ARNS, or fails naming the group and its last state.
# Run by `pulumi up` on the operator's machine through @pulumi/command; needs the AWS CLI v2 and the
# same AWS credentials Pulumi uses.
#
# Environment: AWS_REGION, INSTANCE_ID, TARGET_GROUP_ARNS (space-separated),
#              TIMEOUT_SECONDS (default 1500), POLL_SECONDS (default 15).
set -euo pipefail

: "${AWS_REGION:?AWS_REGION is required}"
: "${INSTANCE_ID:?INSTANCE_ID is required}"
: "${TARGET_GROUP_ARNS:?TARGET_GROUP_ARNS is required}"
TIMEOUT_SECONDS="${TIMEOUT_SECONDS:-1500}"
POLL_SECONDS="${POLL_SECONDS:-15}"

if ! command -v aws >/dev/null 2>&1; then
    echo "wait-for-healthy-targets: the AWS CLI (aws) is not installed; it is needed to wait for ${INSTANCE_ID} to become healthy" >&2
    exit 2
fi

read -r -a groups <<<"${TARGET_GROUP_ARNS}"
deadline=$((SECONDS + TIMEOUT_SECONDS))

# Prints "<state> <reason>" of the instance in one target group ("unregistered -" when absent).
target_state() {
    local group="$1" output
    if ! output="$(aws elbv2 describe-target-health \
        --region "${AWS_REGION}" \
        --target-group-arn "${group}" \
        --query "TargetHealthDescriptions[?Target.Id=='${INSTANCE_ID}'] | [0].[TargetHealth.State, TargetHealth.Reason]" \
        --output text 2>&1)"; then
        echo "error ${output//[$'\n\t ']/_}"
        return 0
    fi
    if [[ -z "${output}" || "${output}" == "None" ]]; then
        echo "unregistered -"
    else
        # Text output separates the columns with a tab; "None" means no reason was given.
        echo "${output//$'\t'/ }"
    fi
}

echo "Waiting up to ${TIMEOUT_SECONDS}s for ${INSTANCE_ID} to be healthy in ${#groups[@]} target group(s)"
declare -A last_state=()
while true; do
    pending=()
    for group in "${groups[@]}"; do
        state="$(target_state "${group}")"
        if [[ "${state}" != "${last_state[${group}]:-}" ]]; then
            echo "  ${group##*:targetgroup/}: ${state}"
            last_state[${group}]="${state}"
        fi
        [[ "${state%% *}" == "healthy" ]] || pending+=("${group}")
    done
    if [[ ${#pending[@]} -eq 0 ]]; then
        echo "${INSTANCE_ID} is healthy in every target group"
        exit 0
    fi
    if ((SECONDS >= deadline)); then
        for group in "${pending[@]}"; do
            echo "wait-for-healthy-targets: ${INSTANCE_ID} is not healthy in ${group} after ${TIMEOUT_SECONDS}s; last state: ${last_state[${group}]}" >&2
        done
        echo "Look at the node's boot log: aws ssm start-session --target ${INSTANCE_ID}, then journalctl -u cloud-final -u wso2am" >&2
        exit 1
    fi
    sleep "${POLL_SECONDS}"
done
