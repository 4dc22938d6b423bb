#!/bin/bash
# Fetches the node's boot script from S3, checks it against the SHA-256 in user data, installs it and
# runs it: the script is too large for user data. Run by cloud-init as root; its one argument is its
# env file. Test hook: WSO2AM_ROOT (path prefix).
set -Eeuo pipefail

ROOT="${WSO2AM_ROOT:-}"
KEYS=(BOOT_SCRIPT_BUCKET BOOT_SCRIPT_KEY BOOT_SCRIPT_SHA256 BOOT_SCRIPT_PATH AWS_REGION)
# a new instance role may be refused for minutes (IAM is eventually consistent): 10 tries, the waits
# doubling from 5s to 60s, about 6 minutes in all
ATTEMPTS=10
NEW=""

# the boot script's format, so what reads its FAILED lines (the rolling gate) reads these too
log() {
  TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T wso2am-bootstrap [fetch] %s\n' -1 "$*" >&2
  logger -t wso2am-bootstrap -- "[fetch] $*" 2>/dev/null || true
}
die() { log "FAILED: $*"; exit 1; }
on_err() { die "'$2' exited with $1 (line $3)"; }
trap 'on_err $? "$BASH_COMMAND" $LINENO' ERR
# a download left unchecked goes (an exec of the boot script skips this)
trap '[[ -z $NEW ]] || rm -f "$NEW"' EXIT

load_env() {
  local file=$ROOT$1 line k re='^([A-Z][A-Z0-9_]*)="([^"]*)"$'
  [[ -r $file ]] || die "cannot read $file"
  unset "${KEYS[@]}"
  # parsed, not sourced: only known keys are taken and nothing is executed
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ $re && " ${KEYS[*]} " == *" ${BASH_REMATCH[1]} "* ]] || continue
    printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
  done <"$file"
  for k in "${KEYS[@]}"; do [[ -n ${!k:-} ]] || die "$file lacks $k"; done
  [[ $BOOT_SCRIPT_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "BOOT_SCRIPT_SHA256 is not a SHA-256"
  [[ $BOOT_SCRIPT_PATH == /* ]] || die "BOOT_SCRIPT_PATH is not an absolute path"
}

sha256_of() {
  local out
  out=$(sha256sum "$1") && printf '%s' "${out%% *}"
}

# fetch SRC: the object into $NEW, retried with backoff; each failure is logged with the CLI's error
fetch() {
  local i err delay=5
  for ((i = 1; ; i++)); do
    err=$(aws s3api get-object --bucket "$BOOT_SCRIPT_BUCKET" --key "$BOOT_SCRIPT_KEY" --region "$AWS_REGION" "$NEW" 2>&1 >/dev/null) && return 0
    err=${err//$'\n'/ } && err=${err#"${err%%[! ]*}"}
    ((i < ATTEMPTS)) || die "aws s3api get-object $1 failed $ATTEMPTS times, the last: ${err:-no error message}"
    log "aws s3api get-object $1 failed (attempt $i of $ATTEMPTS): ${err:-no error message}; retrying in ${delay}s"
    sleep "$delay"
    delay=$((delay < 30 ? delay * 2 : 60))
  done
}

main() {
  (($# == 1)) || die "usage: ${0##*/} ENV_FILE"
  load_env "$1"
  local dest=$ROOT$BOOT_SCRIPT_PATH src="s3://$BOOT_SCRIPT_BUCKET/$BOOT_SCRIPT_KEY" got mask
  if [[ -f $dest && $(sha256_of "$dest") == "$BOOT_SCRIPT_SHA256" ]]; then
    log "$BOOT_SCRIPT_PATH is already $src"
  else
    command -v aws >/dev/null || die "no AWS CLI (aws) on PATH to fetch $src"
    mkdir -p "${dest%/*}"
    # root-only until checked; the boot script then runs with cloud-init's umask again
    mask=$(umask) && umask 077
    NEW=$dest.new-$$
    fetch "$src"
    got=$(sha256_of "$NEW")
    [[ $got == "$BOOT_SCRIPT_SHA256" ]] || die "BOOT_SCRIPT_SHA256 mismatch for $src: expected $BOOT_SCRIPT_SHA256, got $got"
    chmod 0755 "$NEW"
    chown 0:0 "$NEW"
    mv -f "$NEW" "$dest"
    NEW=""
    umask "$mask"
    log "installed $BOOT_SCRIPT_PATH from $src (sha256 $got)"
  fi
  exec "$dest"
}

main "$@"
