#!/usr/bin/env bash
# keyprobe recipe: makes the four keys profile.yaml names, with keys.sh (the
# gateway must be running), and writes them to keys.env, readable only by you:
#   ./setup.sh && set -a && . ./keys.env && set +a
# keys.env holds live keys: delete it when you are done.
set -euo pipefail
cd "$(dirname "$0")"

umask 077
: >keys.env
# keys.sh prints {"id":"<id>","secret":"<secret>","name":"<name>"}.
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
new_key() {
  local var=$1 json
  shift
  json=$(./keys.sh create "$@")
  printf '%s=%s\n' "$var" "$(printf '%s' "$json" | field secret)" >>keys.env
  printf '%s_ID=%s\n' "$var" "$(printf '%s' "$json" | field id)" >>keys.env
}
new_key NGINX_KEY crm-prod-agent-call prod agents:read agents:call
new_key NGINX_CANARY_KEY crm-prod-agent-call-canary prod agents:read agents:call
new_key NGINX_SECOND_KEY billing-prod-agent-call prod agents:read agents:call
new_key NGINX_STAGING_KEY crm-staging-agent-call staging agents:read agents:call
echo "wrote keys.env: NGINX_KEY, NGINX_CANARY_KEY, NGINX_SECOND_KEY, NGINX_STAGING_KEY and their _ID"
