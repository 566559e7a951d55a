#!/usr/bin/env bash
# keyprobe recipe: Directus static tokens as API keys, and their lifecycle,
# through Directus's REST API with the admin's token. keyprobe's command
# adapter runs it with KEYPROBE_ACTION, KEYPROBE_TARGET (the Directus URL) and
# the variables of that action (docs/lifecycle.md), plus DIRECTUS_ADMIN_TOKEN,
# which the profile lists in lifecycle.command.env.
#   create   a user with the agents-reader role and a new static token; prints {"id":…,"secret":…}
#   disable  status "suspended" · enable: status "active"
#   rotate   a new static token for the same user; prints {"id":…,"secret":…}
#   delete   the user (already gone is done)
# Secrets never go on a command line, where `ps` shows them: the admin token
# reaches curl in a header file, request bodies on stdin.
set -euo pipefail

action=${KEYPROBE_ACTION:-${1:-}}
url=${KEYPROBE_TARGET:?KEYPROBE_TARGET is the Directus URL}
: "${DIRECTUS_ADMIN_TOKEN:?list DIRECTUS_ADMIN_TOKEN in lifecycle.command.env}"

die() {
  echo "keys.sh: $1" >&2
  exit "${2:-1}"
}
token() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 32 || true; }
field() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(String(process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s))??"")))' "$1"; }

auth=$(mktemp)
trap 'rm -f "$auth"' EXIT
printf 'Authorization: Bearer %s\n' "$DIRECTUS_ADMIN_TOKEN" >"$auth"

# api METHOD PATH [JSON]: prints the answer; 429 and 503 exit 75 (EX_TEMPFAIL), which keyprobe retries
# for disable, enable and delete: Directus's rate limiter counts these calls too.
api() {
  local out status
  out=$(printf '%s' "${3:-}" | curl -sS -X "$1" -H @"$auth" -H 'Content-Type: application/json' ${3:+--data-binary @-} \
    -w '\n%{http_code}' "$url$2") || die "$1 $2: Directus did not answer" 75
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  case "$status" in
    2??) printf '%s' "$out" ;;
    404) [ "$1" = DELETE ] || die "$1 $2 answered 404"; return 0 ;;
    429 | 503) die "$1 $2 answered $status" 75 ;;
    *) die "$1 $2 answered $status" ;;
  esac
}

id=${KEYPROBE_KEY_ID:-${2:-}}
[ "$action" = create ] || [[ "$id" =~ ^[0-9a-f-]{36}$ ]] || die "$action: expected a Directus user id (a UUID)" 2
case "$action" in
  create)
    [ -z "${KEYPROBE_EXPIRES_IN_SECONDS:-}" ] || die "create: Directus static tokens cannot expire"
    role=$(api GET '/roles?filter%5Bname%5D%5B_eq%5D=agents-reader&fields=id' | field data.0.id)
    [ -n "$role" ] || die "create: no role agents-reader (run setup.sh)"
    secret=$(token)
    new=$(api POST /users "{\"email\":\"${KEYPROBE_KEY_NAME:?}@example.com\",\"role\":\"$role\",\"token\":\"$secret\",\"status\":\"active\"}" | field data.id)
    printf '{"id":"%s","secret":"%s"}\n' "$new" "$secret"
    ;;
  disable) api PATCH "/users/$id" '{"status":"suspended"}' >/dev/null ;;
  enable) api PATCH "/users/$id" '{"status":"active"}' >/dev/null ;;
  rotate)
    [ "${KEYPROBE_GRACE_SECONDS:-0}" = 0 ] || die "rotate: Directus cannot keep the old token working for a grace period"
    secret=$(token)
    api PATCH "/users/$id" "{\"token\":\"$secret\"}" >/dev/null
    printf '{"id":"%s","secret":"%s"}\n' "$id" "$secret"
    ;;
  delete) api DELETE "/users/$id" >/dev/null ;;
  *) die "usage: KEYPROBE_ACTION=create|disable|enable|rotate|delete keys.sh" 2 ;;
esac
