#!/bin/bash
# WSO2 API-M boot of a pair node or a Universal Gateway (ROLE in the env file), run by cloud-init as root;
# idempotent. Parameters only from the env file, secrets only from Secrets Manager. Test hooks: WSO2AM_ROOT
# (path prefix), WSO2AM_STEPS.
set -Eeuo pipefail
shopt -s inherit_errexit

ROOT="${WSO2AM_ROOT:-}"
ENV_FILE="${WSO2AM_ENV_FILE:-$ROOT/etc/wso2am/node.env}"
# each role's steps, in order: a gateway has no shared file system and no database of its own
declare -A STEPS=([node]="secrets packages distribution keystore vault share database start"
  [gateway]="secrets packages distribution keystore vault start")
# env-file keys every role needs, then those only the node's steps read
KEYS=(APIM_VERSION APIM_HOME APIM_USER APIM_UID APIM_GID DISTRIBUTION_URL DISTRIBUTION_SHA256 START_SCRIPT
  JAVA_PACKAGE JVM_HEAP_MB NODE_NAME SECRET_ARN AWS_REGION KEYSTORE_FILE KEYSTORE_ALIAS TRUSTSTORE_FILE
  HEALTH_CHECK_URL READY_TIMEOUT_SECONDS)
NODE_KEYS=(MYSQL_CONNECTOR_URL MYSQL_CONNECTOR_SHA256 NODE_HOST_NAME PORTAL_HOST_NAME DB_HOST DB_PORT
  DB_MASTER_USER DB_USER APIM_DB_NAME SHARED_DB_NAME DB_WAIT_SECONDS RDS_CA_BUNDLE_URL EFS_FILE_SYSTEM_ID
  EFS_ACCESS_POINT_ID)
GATEWAY_KEYS=(CONTROL_PLANE_URL CONTROL_PLANE_WAIT_SECONDS)
# only with gateways: the cluster certificate the machine was rendered for
OPTIONAL_KEYS=(KEYSTORE_CERT_SHA256)
# what an env file without these keys (one from before roles) means: the pair's node
declare -A DEFAULTS=([ROLE]=node [START_SCRIPT]=bin/api-manager.sh)
CONF=/etc/wso2am
CW_CONFIG=/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
RDS_CA=$CONF/rds-ca-bundle.pem
STAMP=/var/lib/wso2am-bootstrap/keystore.sha256
VAULT_STAMP=/var/lib/wso2am-bootstrap/vault.sha256
# root-only; wso2am.service copies it to $APIM_HOME/password-tmp before each start
VAULT_PASSWORD=$CONF/vault-password
# EFS is mounted here; its server/ folder is bind-mounted over repository/deployment/server
SHARE=/mnt/wso2am-share
UNIT=/etc/systemd/system/wso2am.service
declare -A SECRET=()
STEP=init SECRET_JSON="" CHANGED=0 TMP="" WORK="" SQL_IN="" SQL_OUT="" REPLY="" KEYTOOL="" WHY=""

log() {
  TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T wso2am-bootstrap [%s] %s\n' -1 "$STEP" "$*" >&2
  logger -t wso2am-bootstrap -- "[$STEP] $*" 2>/dev/null || true
}
die() { log "FAILED: $*"; exit 1; }
on_err() {
  local rc=$?
  # subshells exit through here too; only the main shell reports
  ((BASH_SUBSHELL)) || log "FAILED: '$2' exited with $rc (line $1)"
  exit "$rc"
}
# BASH_COMMAND is the unexpanded source text, so it shows no secret
trap 'on_err $LINENO "$BASH_COMMAND"' ERR
private() { (umask 077 && cat >"$1"); }
cleanup() { rm -rf "${TMP:-/nonexistent}" "${WORK:-/nonexistent}"; }

retry() { # ATTEMPTS DELAY CMD...: the delay doubles up to 60s; CMD may set WHY
  local i d=$2
  for ((i = 1; ; i++)); do
    WHY="" && "${@:3}" && return 0
    ((i < $1)) || return 1
    log "${WHY:-$3 failed} (attempt $i of $1); retrying in ${d}s"
    sleep "$d"
    d=$((d < 30 ? d * 2 : 60))
  done
}

load_env() {
  [[ -r $ENV_FILE ]] || die "cannot read $ENV_FILE"
  local line k re='^([A-Z][A-Z0-9_]*)="?([^"]*)"?$' known=" ${KEYS[*]} ${NODE_KEYS[*]} ${GATEWAY_KEYS[*]} ${OPTIONAL_KEYS[*]} ${!DEFAULTS[*]} "
  unset "${KEYS[@]}" "${NODE_KEYS[@]}" "${GATEWAY_KEYS[@]}" "${OPTIONAL_KEYS[@]}" "${!DEFAULTS[@]}"
  # parsed, not sourced: only known keys are taken and nothing is executed
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ $re && $known == *" ${BASH_REMATCH[1]} "* ]] || continue
    printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
  done <"$ENV_FILE"
  for k in "${!DEFAULTS[@]}"; do [[ -n ${!k:-} ]] || printf -v "$k" '%s' "${DEFAULTS[$k]}"; done
  [[ $ROLE =~ ^[a-z]+$ && -n ${STEPS[$ROLE]:-} ]] || die "ROLE is '$ROLE', not one of: ${!STEPS[*]}"
  for k in "${KEYS[@]}"; do [[ -n ${!k:-} ]] || die "$ENV_FILE lacks $k"; done
  local -n role_keys=${ROLE^^}_KEYS
  for k in "${role_keys[@]}"; do [[ -n ${!k:-} ]] || die "$ENV_FILE lacks $k"; done
  # the checks below skip a key the role does without
  for k in APIM_UID APIM_GID JVM_HEAP_MB DB_PORT DB_WAIT_SECONDS READY_TIMEOUT_SECONDS CONTROL_PLANE_WAIT_SECONDS; do
    [[ -z ${!k:-} || ${!k} =~ ^[0-9]+$ ]] || die "$k is not a number"
  done
  # these go into SQL and option files unquoted
  for k in DB_MASTER_USER DB_USER APIM_DB_NAME SHARED_DB_NAME KEYSTORE_ALIAS; do
    [[ -z ${!k:-} || ${!k} =~ ^[A-Za-z0-9_-]+$ ]] || die "$k is not a plain name"
  done
  # a path under APIM_HOME that the unit check matches literally
  [[ $START_SCRIPT =~ ^bin/[A-Za-z0-9_.-]+$ ]] || die "START_SCRIPT is not a file in bin/"
}

fetch_secret() { # the CLI's error holds no secret value
  SECRET_JSON=$(aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --region "$AWS_REGION" --query SecretString --output text 2>"$TMP/err") && return 0
  read -r -d '' WHY <"$TMP/err" || :
  WHY="aws secretsmanager get-secret-value: ${WHY//$'\n'/ }"
  return 1
}
load_secret() {
  [[ -z $SECRET_JSON ]] || return 0
  command -v jq >/dev/null || retry 3 10 dnf -y -q install jq || die "cannot install jq"
  # IAM may refuse a new role for minutes: 9 tries over 315s
  retry 9 5 fetch_secret || die "cannot read secret $SECRET_ARN: $WHY"
  local k v
  # every string value at once, NUL-separated (bash cannot hold a NUL: such a value counts as missing)
  while IFS= read -r -d '' k && IFS= read -r -d '' v; do
    while [[ $v == *$'\n' ]]; do v=${v%$'\n'}; done
    SECRET[$k]=$v
  done < <(jq -j 'if type != "object" then error("not an object") else to_entries[] end
    | select(.key + (.value | strings) | explode | any(. == 0) | not) | .key, "\u0000", .value, "\u0000"' <<<"$SECRET_JSON" 2>/dev/null)
  # the status of jq, the last process substitution
  wait $! || die "secret $SECRET_ARN is not a JSON object"
}
secret() {
  [[ -n ${SECRET[$1]:-} ]] || die "secret $SECRET_ARN has no value for $1"
  printf '%s' "${SECRET[$1]}"
}

# put_file DEST MODE UID:GID < text (no NUL); rewrites DEST, by a rename, only when text, mode or owner
# differ. Compared with builtins: a process is a noticeable cost on a small node, and this runs often.
put_file() {
  local text="" old="" tmp=$1.new-$$-$RANDOM$RANDOM
  IFS= read -r -d '' text || :
  if [[ -f $1 ]]; then
    IFS= read -r -d '' old <"$1" || :
    [[ $text == "$old" && $(stat -c '%a %u:%g' "$1") == "$2 $3" ]] && return 0
  fi
  [[ -d ${1%/*} ]] || mkdir -p "${1%/*}"
  # root-only from the start, and never through a planted file or link (noclobber opens with O_EXCL)
  umask 077
  set -C
  printf '%s' "$text" >"$tmp"
  set +C
  umask 022
  chmod "$2" "$tmp" && chown "$3" "$tmp" && mv -f "$tmp" "$1"
  CHANGED=1
  log "wrote $1"
}
# "..." with \ escapes reads the same in bash and in systemd's EnvironmentFile=
env_line() {
  local v=${2//\\/\\\\}
  v=${v//\"/\\\"} v=${v//\$/\\\$} v=${v//\`/\\\`}
  printf '%s="%s"\n' "$1" "$v"
}

step_secrets() {
  local k v text n=
  load_secret
  # a gateway's own secret has no database password, and the encryption key only if deployment.toml uses it
  [[ $ROLE != node ]] || n=1
  for k in ADMIN_PASSWORD ${n:+DB_PASSWORD} KEYSTORE_PASSWORD TRUSTSTORE_PASSWORD ${n:+ENCRYPTION_KEY}; do secret "WSO2_$k" >/dev/null; done
  # the server's environment gets only deployment.toml's $env{WSO2_*} values ($secret{} ones: step_vault)
  text=$({ grep -o '[$]env{WSO2_[A-Z0-9_]*}' "$ROOT$CONF/deployment.toml" || :; } | sort -u | while read -r k; do
    k=${k#\$env\{} k=${k%\}}
    v=$(secret "$k")
    env_line "$k" "$v"
  done)
  put_file "$ROOT$CONF/secrets.env" 600 0:0 <<<"$text"
}

step_packages() {
  # mariadb-connector-c: the client's caching_sha2_password plugin, MySQL 8.4's default login
  local p=("$JAVA_PACKAGE" amazon-efs-utils jq mariadb105 mariadb-connector-c unzip amazon-cloudwatch-agent)
  # a gateway mounts nothing and has no database client
  [[ $ROLE == node ]] || p=("$JAVA_PACKAGE" jq unzip amazon-cloudwatch-agent)
  if rpm -q --quiet "${p[@]}"; then
    log "packages already installed"
  else
    retry 3 15 dnf -y -q install "${p[@]}" || die "dnf install ${p[*]} failed"
  fi
  getent group "$APIM_USER" >/dev/null || groupadd --system --gid "$APIM_GID" "$APIM_USER"
  id -u "$APIM_USER" >/dev/null 2>&1 || useradd --system --uid "$APIM_UID" --gid "$APIM_GID" \
    --home-dir "$APIM_HOME" --no-create-home --shell /sbin/nologin "$APIM_USER"
  # the EFS access point writes as this uid/gid: both nodes must use it
  [[ $(id -u "$APIM_USER"):$(id -g "$APIM_USER") == "$APIM_UID:$APIM_GID" ]] ||
    die "user $APIM_USER exists with a uid:gid other than $APIM_UID:$APIM_GID"
}

# this boot's log and the server's logs to CloudWatch; a node that cannot ship logs still boots
ship_logs() {
  [[ -f $ROOT$CW_CONFIG ]] || return 0
  command -v amazon-cloudwatch-agent-ctl >/dev/null || retry 3 15 dnf -y -q install amazon-cloudwatch-agent || :
  amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c "file:$ROOT$CW_CONFIG" >/dev/null 2>&1 ||
    log "warning: the CloudWatch agent did not start; logs stay on the node"
}

fetch() { curl -fsSL --retry 5 --retry-delay 5 --retry-all-errors --connect-timeout 20 -o "$2" "$1" || die "download of $1 failed"; }
sha() { local s; s=$(sha256sum "$1"); printf '%s' "${s%% *}"; }
download() { # URL SHA256 KEY DEST
  log "downloading $1"
  fetch "$1" "$4"
  local got
  got=$(sha "$4")
  [[ $got == "${2,,}" ]] || { rm -f "$4"; die "$3 mismatch for $1: expected $2, got $got"; }
}

fetch_rds_ca() {
  [[ -s $ROOT$RDS_CA ]] && return 0
  fetch "$RDS_CA_BUNDLE_URL" "$TMP/rds.pem"
  openssl x509 -noout -in "$TMP/rds.pem" 2>/dev/null || die "$RDS_CA_BUNDLE_URL is not PEM"
  put_file "$ROOT$RDS_CA" 644 0:0 <"$TMP/rds.pem"
}

step_distribution() {
  local home=$ROOT$APIM_HOME top jar
  [[ $ROLE == gateway ]] || fetch_rds_ca
  if [[ -f $home/.wso2am-unpacked ]]; then
    log "API-M already unpacked in $APIM_HOME"
  else
    mkdir -p "${home%/*}"
    # beside APIM_HOME, so the final move is a rename
    WORK=$(mktemp -d "${home%/*}/.wso2am-unpack.XXXXXX")
    download "$DISTRIBUTION_URL" "$DISTRIBUTION_SHA256" DISTRIBUTION_SHA256 "$WORK/dist.zip"
    unzip -q "$WORK/dist.zip" -d "$WORK/x" || die "cannot unzip $DISTRIBUTION_URL"
    top=("$WORK"/x/*/)
    [[ ${#top[@]} == 1 && -f ${top[0]}$START_SCRIPT ]] || die "$DISTRIBUTION_URL: no single top folder with $START_SCRIPT"
    # left by an interrupted unpack
    [[ ! -e $home ]] || mv "$home" "$home.incomplete.$(date +%s)"
    mv "${top[0]}" "$home"
    chown -R "$APIM_UID:$APIM_GID" "$home"
    # last: the marker means a complete unpack
    printf '%s\n' "$DISTRIBUTION_SHA256" >"$home/.wso2am-unpacked"
    log "unpacked API-M $APIM_VERSION into $APIM_HOME"
  fi
  # the gateway has no database: no JDBC driver
  [[ $ROLE == node ]] || return 0
  # a fixed name, so a new connector replaces the old one instead of joining it
  jar=$home/repository/components/lib/mysql-connector-j.jar
  if [[ -f $jar && $(sha "$jar") == "${MYSQL_CONNECTOR_SHA256,,}" ]]; then
    log "MySQL connector already installed"
  else
    download "$MYSQL_CONNECTOR_URL" "$MYSQL_CONNECTOR_SHA256" MYSQL_CONNECTOR_SHA256 "$TMP/c.jar"
    install -m 0644 -o "$APIM_UID" -g "$APIM_GID" "$TMP/c.jar" "$jar"
  fi
}

java_home() {
  local j
  j=$(readlink -f "$(command -v java)") || die "java is not installed"
  printf '%s' "${j%/bin/java}"
}
# one JVM per call: these flags make each start quicker
ktool() {
  local out
  out=$("$KEYTOOL" -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC "$@" -noprompt 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}
trust() { TSP=$tsp ktool -importcert -alias "$1" -file "$2" -keystore "$TMP/ts.p12" -storetype PKCS12 -storepass:env TSP; }

step_keystore() {
  local sec=$ROOT$APIM_HOME/repository/resources/security base="" type=JKS fp n=0 i ksp tsp stamp="" rds=""
  KEYTOOL=$(java_home)/bin/keytool
  [[ -f $sec/client-truststore.jks ]] && base=$sec/client-truststore.jks
  [[ -f $sec/client-truststore.p12 ]] && base=$sec/client-truststore.p12 type=PKCS12
  load_secret
  # the node trusts its database's CAs; a gateway talks to no database
  if [[ $ROLE == node ]]; then
    fetch_rds_ca
    rds=$ROOT$RDS_CA
  fi
  secret KEYSTORE_PRIVATE_KEY_PEM | private "$TMP/key.pem"
  secret KEYSTORE_CERTIFICATE_PEM | private "$TMP/cert.pem"
  # a secret holding another certificate than the one in user data: this machine would not match its peers
  [[ -z ${KEYSTORE_CERT_SHA256:-} || $(sha "$TMP/cert.pem") == "$KEYSTORE_CERT_SHA256" ]] ||
    die "the stack secret's certificate is not the one this machine was rendered for (KEYSTORE_CERT_SHA256)"
  ksp=$(secret WSO2_KEYSTORE_PASSWORD)
  tsp=$(secret WSO2_TRUSTSTORE_PASSWORD)
  # a digest of every input: rebuild only when one changes
  fp=$({ printf '%s\0' "$ksp" "$tsp" "$KEYSTORE_ALIAS" "$KEYSTORE_FILE" "$TRUSTSTORE_FILE"
    cat "$TMP/key.pem" "$TMP/cert.pem" ${rds:+"$rds"} ${base:+"$base"}; } | sha256sum)
  [[ ! -f $ROOT$STAMP ]] || read -r stamp <"$ROOT$STAMP" || :
  if [[ -f $sec/$KEYSTORE_FILE && -f $sec/$TRUSTSTORE_FILE && $stamp == "$fp" ]]; then
    log "keystore and truststore up to date"
    return 0
  fi
  KSP=$ksp openssl pkcs12 -export -name "$KEYSTORE_ALIAS" -inkey "$TMP/key.pem" -in "$TMP/cert.pem" \
    -out "$TMP/ks.p12" -passout env:KSP || die "cannot build $KEYSTORE_FILE from the secret's PEM"
  if [[ -n $base ]]; then
    # keep the stock CAs; wso2carbon is the stock password
    SRCP=wso2carbon TSP=$tsp ktool -importkeystore -srckeystore "$base" -srcstoretype "$type" \
      -srcstorepass:env SRCP -destkeystore "$TMP/ts.p12" -deststoretype PKCS12 -deststorepass:env TSP
  fi
  trust "$KEYSTORE_ALIAS" "$TMP/cert.pem"
  if [[ -n $rds ]]; then
    # keytool imports only the first certificate of a PEM file: split the bundle
    awk -v d="$TMP" '/-BEGIN CERT/ { n++; p = 1 } p { print > (d "/rds-" n ".pem") }
      /-END CERT/ { p = 0; close(d "/rds-" n ".pem") }' "$rds"
    n=$(grep -c -- '-BEGIN CERT' "$rds")
  fi
  for ((i = 1; i <= n; i++)); do trust "rds-ca-$i" "$TMP/rds-$i.pem"; done
  install -m 0640 -o "$APIM_UID" -g "$APIM_GID" "$TMP/ks.p12" "$sec/$KEYSTORE_FILE"
  install -m 0640 -o "$APIM_UID" -g "$APIM_GID" "$TMP/ts.p12" "$sec/$TRUSTSTORE_FILE"
  put_file "$ROOT$STAMP" 600 0:0 <<<"$fp"
  log "built $KEYSTORE_FILE and $TRUSTSTORE_FILE (with $n RDS CAs)"
}

# Secure Vault: each $secret{alias} gets WSO2_<ALIAS>'s value encrypted as the cipher tool does (RSA PKCS#1
# v1.5, keystore certificate, base64) in a [secrets] table appended last. Plain values only go through pipes.
step_vault() {
  local conf=$ROOT$APIM_HOME/repository/conf a ct fp ksp stamp="" v=org.wso2.securevault h=org.wso2.carbon.securevault.DefaultSecretCallbackHandler aliases=()
  load_secret
  secret KEYSTORE_CERTIFICATE_PEM >"$TMP/vault.pem"
  mapfile -t aliases < <({ grep -o '[$]secret{[^}]*' "$ROOT$CONF/deployment.toml" || :; } | cut -c9- | sort -u)
  fp=$({ cat "$ROOT$CONF/deployment.toml" "$TMP/vault.pem"; printf '%s\0' "$APIM_HOME" "$KEYSTORE_FILE" "$KEYSTORE_ALIAS"
    for a in "${aliases[@]}"; do
      [[ $a =~ ^[a-z0-9_]+$ ]] || die "bad alias '$a' in deployment.toml"
      secret "WSO2_${a^^}"; printf '\0'
    done; } | sha256sum)
  # with the installed file's digest: a re-unpacked pack's stock file is replaced
  [[ ! -f $ROOT$VAULT_STAMP ]] || read -r stamp <"$ROOT$VAULT_STAMP" || :
  if [[ -f $conf/deployment.toml && $stamp == "$fp $(sha "$conf/deployment.toml")" ]]; then
    log "vault up to date (${#aliases[@]} secrets)"
  else
    { cat "$ROOT$CONF/deployment.toml"
      printf '\n[secrets]\n'
      for a in "${aliases[@]}"; do
        ct=$(secret "WSO2_${a^^}" | openssl pkeyutl -encrypt -certin -inkey "$TMP/vault.pem" | base64 -w0) ||
          die "cannot encrypt WSO2_${a^^} (RSA takes at most 245 bytes)"
        printf '%s = "%s"\n' "$a" "$ct"
      done; } >"$TMP/deployment.toml"
    # as the cipher tool writes it; the keystore passwords come from password-tmp
    printf '%s\n' secVault.enabled=true "carbon.secretProvider=$v.secret.handler.SecretManagerSecretCallbackHandler" \
      secretRepositories=file "secretRepositories.file.provider=$v.secret.repository.FileBaseSecretRepositoryProvider" \
      secretRepositories.file.location=repository/conf/security/cipher-text.properties \
      "keystore.identity.location=$APIM_HOME/repository/resources/security/$KEYSTORE_FILE" \
      keystore.identity.type=PKCS12 "keystore.identity.alias=$KEYSTORE_ALIAS" \
      keystore.identity.store.password=identity.store.password "keystore.identity.store.secretProvider=$h" \
      keystore.identity.key.password=identity.key.password "keystore.identity.key.secretProvider=$h" >"$TMP/secret-conf"
    put_file "$conf/security/secret-conf.properties" 640 "$APIM_UID:$APIM_GID" <"$TMP/secret-conf"
    put_file "$conf/deployment.toml" 640 "$APIM_UID:$APIM_GID" <"$TMP/deployment.toml"
    put_file "$ROOT$VAULT_STAMP" 600 0:0 <<<"$fp $(sha "$conf/deployment.toml")"
    log "encrypted ${#aliases[@]} secrets into deployment.toml"
  fi
  ksp=$(secret WSO2_KEYSTORE_PASSWORD)
  put_file "$ROOT$VAULT_PASSWORD" 600 0:0 <<<"$ksp"
}

fstab_entry() { # MOUNTPOINT LINE; one line per mount point
  local f=$ROOT/etc/fstab
  [[ -e $f ]] || : >"$f"
  grep -qxF -- "$2" "$f" && return 0
  { awk -v m="$1" '$2 != m' "$f"; printf '%s\n' "$2"; } >"$TMP/fstab"
  cat "$TMP/fstab" >"$f"
  log "fstab: $2"
}

step_share() {
  local target=$APIM_HOME/repository/deployment/server share=$ROOT$SHARE lock
  local src=$ROOT$target
  mkdir -p "$share"
  fstab_entry "$SHARE" "$EFS_FILE_SYSTEM_ID $SHARE efs _netdev,noresvport,tls,iam,accesspoint=$EFS_ACCESS_POINT_ID 0 0"
  fstab_entry "$target" "$SHARE/server $target none bind,_netdev,x-systemd.requires-mounts-for=$SHARE 0 0"
  mountpoint -q "$share" || retry 5 10 mount "$share" || die "cannot mount $EFS_FILE_SYSTEM_ID on $SHARE"
  if [[ ! -f $share/.wso2am-seeded ]]; then
    # an NFSv4 lock on EFS: it holds across nodes and dies with its holder
    exec {lock}>>"$share/.wso2am-seed.lock"
    flock -w 900 "$lock" || die "timed out waiting for the seed lock on $SHARE"
    if [[ -f $share/.wso2am-seeded ]]; then
      log "share seeded by another node"
    else
      mountpoint -q "$src" && die "$target is mounted but the share was never seeded"
      log "seeding $SHARE/server from the distribution"
      mkdir -p "$share/server"
      cp -a "$src/." "$share/server/"
      # last: a half-done seed has no marker and is redone
      date -u +%FT%TZ >"$share/.wso2am-seeded"
    fi
    exec {lock}>&-
  fi
  mountpoint -q "$src" || mount "$src" || die "cannot bind-mount $SHARE/server on $target"
}

mysql_admin() { mysql --defaults-extra-file="$TMP/admin.cnf" "$@"; }
sql_str() { local v=${1//\\/\\\\}; printf '%s' "${v//\'/\\\'}"; }

wait_for_db() { # until DB_HOST resolves and answers over TLS
  local deadline=$((SECONDS + DB_WAIT_SECONDS)) out
  until out=$(mysql_admin -NBe "SHOW SESSION STATUS LIKE 'Ssl_cipher'" 2>&1) && [[ ${out#Ssl_cipher} =~ [^[:space:]] ]]; do
    # no wait brings a missing client plugin
    [[ ! $out =~ (could\ not|cannot)\ be\ loaded ]] || die "the MariaDB client lacks the caching_sha2_password plugin MySQL 8.4 authenticates with by default (package mariadb-connector-c): $out"
    out="no TLS connection to $DB_HOST:$DB_PORT: ${out:-no cipher}"
    ((SECONDS < deadline)) || die "database not ready after ${DB_WAIT_SECONDS}s (DB_WAIT_SECONDS): $out"
    log "waiting: $out"
    sleep $((deadline - SECONDS < 10 ? deadline - SECONDS : 10))
  done
  log "database $DB_HOST:$DB_PORT answers over TLS"
}

# the client's message names the error and the statement's line
sql_died() { die "$(grep -m1 '^ERROR' "$TMP/sql.err" || echo "database session ended or timed out $1")"; }
# a client that stopped on an error may be gone before the next write
send() { printf '%s\n' "$1" >&"$SQL_IN" || sql_died "before: $1"; }

ask() { # SQL TIMEOUT [LINE]: send SQL, read one output line (or up to LINE) into REPLY
  send "$1"
  while IFS= read -r -t "$2" REPLY <&"$SQL_OUT"; do
    if [[ -z ${3:-} || $REPLY == "$3" ]]; then return 0; fi
  done
  sql_died "after: $1"
}

# One session takes the lock, checks, runs the scripts: if the node dies the lock goes with it.
# Without --abort-source-on-error the client runs on past a failed statement. A schema's marker is
# written last, under the lock; WSO2 never ran on a schema without one, so it is built anew.
run_schema_scripts() {
  # completion markers: the master user's, out of WSO2's sight
  local pid i db file cs sql w=$DB_WAIT_SECONDS marks=wso2am_bootstrap.schema_marker
  coproc SQLP { mysql_admin --batch --skip-column-names --unbuffered --abort-source-on-error 2>"$TMP/sql.err"; }
  pid=$SQLP_PID SQL_IN=${SQLP[1]} SQL_OUT=${SQLP[0]}
  # a dead client must fail a write, not kill this script
  trap '' PIPE
  # a lost node's lock ends with its idle session
  ask "SET wait_timeout=300; SELECT GET_LOCK('wso2am-schema', $w);" $((w + 60))
  [[ $REPLY == 1 ]] || die "no schema lock within ${w}s (held by another node)"
  ask "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema IN ('$APIM_DB_NAME','$SHARED_DB_NAME')
    AND NOT EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name='${marks%.*}');" 60
  [[ $REPLY == 0 ]] || die "$APIM_DB_NAME/$SHARED_DB_NAME have tables but no markers: see README, Recovering from a failed first boot"
  send "CREATE DATABASE IF NOT EXISTS ${marks%.*}; CREATE TABLE IF NOT EXISTS $marks (schema_name VARCHAR(64)
    PRIMARY KEY, apim_version VARCHAR(32) NOT NULL, completed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);"
  # latin1: 4.5/4.6 keys exceed 3072 bytes in utf8mb4; _bin: case-sensitive (README, Database)
  for i in "$APIM_DB_NAME dbscripts/apimgt/mysql.sql latin1" "$SHARED_DB_NAME dbscripts/mysql.sql utf8mb4"; do
    read -r db file cs <<<"$i"
    ask "SELECT COALESCE((SELECT apim_version FROM $marks WHERE schema_name='$db'), '');" 60
    if [[ $REPLY == "$APIM_VERSION" ]]; then
      log "schema $db complete (API-M $REPLY)"
      continue
    fi
    [[ -z $REPLY ]] || die "schema $db is set up for API-M $REPLY, this node runs $APIM_VERSION: migrate it with WSO2's $REPLY to $APIM_VERSION migration first (README: Upgrading API-M)"
    log "creating schema $db ($cs) from $file"
    printf -v sql "DROP DATABASE IF EXISTS \`%s\`; CREATE DATABASE \`%s\` CHARACTER SET %s COLLATE %s_bin; USE \`%s\`;\nsource %s\nINSERT INTO %s VALUES ('%s', '%s', NOW());" \
      "$db" "$db" "$cs" "$cs" "$db" "$ROOT$APIM_HOME/$file" "$marks" "$db" "$(sql_str "$APIM_VERSION")"
    send "$sql"
    ask "SELECT 'schema-done';" "$w" schema-done
  done
  ask "SELECT RELEASE_LOCK('wso2am-schema');" 60
  exec {SQL_IN}>&-
  wait "$pid" || die "database session failed"
}

step_database() {
  local mpw dpw err q
  load_secret
  fetch_rds_ca
  mpw=$(secret DB_MASTER_PASSWORD)
  dpw=$(secret WSO2_DB_PASSWORD)
  [[ $DB_USER != "$DB_MASTER_USER" ]] || die "DB_USER must differ from DB_MASTER_USER"
  q=${mpw//\\/\\\\}
  # the CA chain is verified, not the host name: DB_HOST is a private alias of the endpoint
  printf '[client]\nhost=%s\nport=%s\nuser=%s\npassword="%s"\nssl\nssl-ca=%s\nconnect-timeout=10\n' \
    "$DB_HOST" "$DB_PORT" "$DB_MASTER_USER" "${q//\"/\\\"}" "$ROOT$RDS_CA" | private "$TMP/admin.cnf"
  wait_for_db
  q=$(sql_str "$dpw")
  # sql_mode '' keeps backslash escapes on for the quoted password; grants outlive a dropped schema
  if ! err=$(printf '%s\n' "SET SESSION sql_mode='';" \
    "CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$q' REQUIRE SSL;" \
    "ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$q' REQUIRE SSL;" \
    "GRANT ALL PRIVILEGES ON \`$APIM_DB_NAME\`.* TO '$DB_USER'@'%';" \
    "GRANT ALL PRIVILEGES ON \`$SHARED_DB_NAME\`.* TO '$DB_USER'@'%';" | mysql_admin --batch 2>&1 >/dev/null); then
    # the client echoes the failing statement, password included; the gate shows one line: the ERROR one
    err=${err//"$q"/***} err=${err//"$dpw"/***} err=${err//"$mpw"/***}
    [[ $err =~ ERROR[^$'\n']* ]] && err=${BASH_REMATCH[0]}
    die "cannot set up user $DB_USER: ${err//$'\n'/ }"
  fi
  log "database user $DB_USER ready"
  run_schema_scripts
}

# a gateway started before the pair serves has no APIs to load: wait, as a node waits for its database
wait_for_control_plane() {
  local deadline=$((SECONDS + CONTROL_PLANE_WAIT_SECONDS))
  until curl -fsk --max-time 10 -o /dev/null "$CONTROL_PLANE_URL"; do
    ((SECONDS < deadline)) || die "control plane not ready at $CONTROL_PLANE_URL after ${CONTROL_PLANE_WAIT_SECONDS}s (CONTROL_PLANE_WAIT_SECONDS)"
    ((SECONDS % 60 >= 10)) || log "waiting for the control plane at $CONTROL_PLANE_URL"
    sleep 10
  done
  log "control plane ready at $CONTROL_PLANE_URL"
}

step_start() {
  local jh ip deadline=$((SECONDS + READY_TIMEOUT_SECONDS))
  # the unit is static: catch a node.env that disagrees with it
  [[ $(grep -cxF -e "ExecStart=$APIM_HOME/$START_SCRIPT" -e "User=$APIM_USER" "$ROOT$UNIT") == 2 ]] ||
    die "$UNIT does not run $APIM_HOME/$START_SCRIPT as $APIM_USER"
  jh=$(java_home)
  # the start script puts JAVA_OPTS after its own -Xmx, and the last one wins
  ip=$(hostname -I) ip=${ip%% *}
  [[ -n $ip ]] || die "this node has no IP address"
  # NODE_IP: deployment.toml's [server] node_ip
  put_file "$ROOT$CONF/runtime.env" 644 0:0 <<<"$(env_line JAVA_HOME "$jh"
    env_line JAVA_OPTS "-Xms${JVM_HEAP_MB}m -Xmx${JVM_HEAP_MB}m"
    env_line NODE_IP "$ip")"
  # the node calls its own [server] hostname (the portal); a gateway does not call its own
  if [[ $ROLE == node ]]; then
    awk -v h="$PORTAL_HOST_NAME" '$1 == "127.0.0.1" { for (i = 2; i <= NF; i++) if ($i == h) f = 1 } END { exit !f }' \
      "$ROOT/etc/hosts" 2>/dev/null || printf '127.0.0.1 %s\n' "$PORTAL_HOST_NAME" >>"$ROOT/etc/hosts"
  fi
  [[ $ROLE != gateway ]] || wait_for_control_plane
  systemctl daemon-reload
  systemctl enable --quiet wso2am.service
  if ((CHANGED)) && systemctl is-active --quiet wso2am.service; then
    log "configuration changed: restarting"
    systemctl restart wso2am.service
  else
    systemctl start wso2am.service
  fi
  until curl -fsk --max-time 10 -o /dev/null "$HEALTH_CHECK_URL"; do
    ((SECONDS < deadline)) || die "not healthy at $HEALTH_CHECK_URL after ${READY_TIMEOUT_SECONDS}s (READY_TIMEOUT_SECONDS); see journalctl -u wso2am"
    sleep 10
  done
}

main() {
  local s want
  load_env
  want=" ${WSO2AM_STEPS:-${STEPS[$ROLE]}} "
  want=${want//,/ }
  for s in $want; do [[ " ${STEPS[$ROLE]} " == *" $s "* ]] || die "unknown step '$s' in WSO2AM_STEPS (a $ROLE runs: ${STEPS[$ROLE]})"; done
  umask 022
  # boot-only secrets sit here briefly (mktemp makes it 0700)
  TMP=$(mktemp -d)
  trap cleanup EXIT
  # before the first AWS call: CloudWatch gets its failures too
  ship_logs
  for s in ${STEPS[$ROLE]}; do
    [[ $want == *" $s "* ]] || continue
    STEP=$s
    log "step $s started"
    "step_$s"
    log "step $s done"
  done
  STEP=finished
  [[ $want != *" start "* ]] || log "$ROLE $NODE_NAME (${NODE_HOST_NAME:+$NODE_HOST_NAME, }API-M $APIM_VERSION) is ready"
}

main "$@"
