#!/usr/bin/env bash
# keyprobe recipe: prepares a fresh Directus 11 for the profile of this
# folder, through its REST API, and writes the keys to keys.env (mode 600):
#   DIRECTUS_URL=http://127.0.0.1:8055 DIRECTUS_ADMIN_EMAIL=… DIRECTUS_ADMIN_PASSWORD=… ./setup.sh
#   set -a && . ./keys.env && set +a
# It makes two collections (agents, ledger), a role "agents-reader" whose
# policy may only read agents, three users with static tokens (the keys:
# crm-prod-agent-call, its canary, billing-prod-agent-call) and a static token
# for the admin (DIRECTUS_ADMIN_TOKEN, for keys.sh). keys.env holds live
# credentials: delete it when you are done.
set -euo pipefail
cd "$(dirname "$0")"
: "${DIRECTUS_URL:?set DIRECTUS_URL}" "${DIRECTUS_ADMIN_EMAIL:?set DIRECTUS_ADMIN_EMAIL}" "${DIRECTUS_ADMIN_PASSWORD:?set DIRECTUS_ADMIN_PASSWORD}"

token() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 32 || true; }
# field data.id: one field of the JSON on stdin (node is there: keyprobe runs on it).
field() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(String(process.argv[1].split(".").reduce((o,k)=>o?.[k],JSON.parse(s))??"")))' "$1"; }
# api METHOD PATH [JSON]: an admin call. Tokens never go on a command line, where `ps` shows them:
# the admin's is in a header file, and bodies (which hold the new keys) go to curl on stdin.
api() {
  local out
  out=$(printf '%s' "${3:-}" | curl -sS -f -X "$1" -H @"$auth" -H 'Content-Type: application/json' ${3:+--data-binary @-} "$DIRECTUS_URL$2") ||
    { echo "setup.sh: $1 $2 failed" >&2; exit 1; }
  printf '%s' "$out"
}

umask 077
auth=$(mktemp)
trap 'rm -f "$auth"' EXIT
login=$(printf '{"email":"%s","password":"%s"}' "$DIRECTUS_ADMIN_EMAIL" "$DIRECTUS_ADMIN_PASSWORD" |
  curl -sS -f -H 'Content-Type: application/json' --data @- "$DIRECTUS_URL/auth/login")
printf 'Authorization: Bearer %s\n' "$(printf '%s' "$login" | field data.access_token)" >"$auth"

# Two collections: the key may read agents, never the ledger.
for c in agents ledger; do
  api POST /collections "{\"collection\":\"$c\",\"schema\":{},\"meta\":{},\"fields\":[{\"field\":\"id\",\"type\":\"integer\",\"schema\":{\"is_primary_key\":true,\"has_auto_increment\":true}},{\"field\":\"name\",\"type\":\"string\"}]}" >/dev/null
done
api POST /items/agents '[{"name":"Support agent"},{"name":"Billing agent"}]' >/dev/null
api POST /items/ledger '[{"name":"res-internal-ledger"}]' >/dev/null

# A policy that may read agents, and a role that has it.
policy=$(api POST /policies '{"name":"agents-reader","app_access":false,"admin_access":false}' | field data.id)
api POST /permissions "{\"policy\":\"$policy\",\"collection\":\"agents\",\"action\":\"read\",\"fields\":[\"*\"]}" >/dev/null
role=$(api POST /roles '{"name":"agents-reader"}' | field data.id)
api POST /access "{\"role\":\"$role\",\"policy\":\"$policy\"}" >/dev/null

# The admin's static token, for keys.sh; then one user per key.
admin_token=$(token)
api PATCH /users/me "{\"token\":\"$admin_token\"}" >/dev/null
: >keys.env
printf 'DIRECTUS_ADMIN_TOKEN=%s\n' "$admin_token" >>keys.env
for key in KEY:crm-prod-agent-call CANARY_KEY:crm-prod-agent-call-canary SECOND_KEY:billing-prod-agent-call; do
  var=${key%%:*} name=${key#*:} secret=$(token)
  id=$(api POST /users "{\"email\":\"$name@example.com\",\"role\":\"$role\",\"token\":\"$secret\",\"status\":\"active\"}" | field data.id)
  printf 'DIRECTUS_%s=%s\nDIRECTUS_%s_ID=%s\n' "$var" "$secret" "$var" "$id" >>keys.env
done
# A key of another Directus (staging): unknown here, as it must be.
printf 'DIRECTUS_STAGING_KEY=%s\n' "$(token)" >>keys.env
echo "wrote keys.env (role agents-reader $role)"
