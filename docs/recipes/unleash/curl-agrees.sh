#!/usr/bin/env bash
# Re-checks by hand, with curl only, what keyprobe judged on Unleash: prints
# one line per check with the statuses seen (never a token). Needs
# UNLEASH_URL, UNLEASH_ADMIN_TOKEN, UNLEASH_PROD_TOKEN, UNLEASH_DEV_TOKEN.
set -euo pipefail
U="$UNLEASH_URL"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
features() { code -H "Authorization: $1" "$U/api/client/features"; }

echo "valid key: $(features "$UNLEASH_PROD_TOKEN")"
echo "missing key: $(code "$U/api/client/features")"
echo "random key: $(features "default:production.$(openssl rand -hex 28)")"
echo "near miss (last character dropped): $(features "${UNLEASH_PROD_TOKEN%?}")"
echo "near miss (case flipped): $(features "$(tr 'a-z' 'A-Z' <<<"$UNLEASH_PROD_TOKEN")")"
for p in /api/admin/projects /api/admin/api-tokens /api/frontend; do echo "denied $p: $(code -H "Authorization: $UNLEASH_PROD_TOKEN" "$U$p")"; done
dev=$(curl -s -H "Authorization: $UNLEASH_DEV_TOKEN" "$U/api/client/features")
echo "development key: $(features "$UNLEASH_DEV_TOKEN"), query.environment=$(node -pe 'JSON.parse(process.argv[1]).query.environment' "$dev"), production marker present: $(grep -c prod-pilot-customer-4711 <<<"$dev" || true)"

# A canary for the query, the delete and the expiry.
canary() { KEYPROBE_KEY_NAME="curl-canary-$1" KEYPROBE_KEY_ENVIRONMENT=production KEYPROBE_EXPIRES_IN_SECONDS="$2" node docs/recipes/unleash/create-token.mjs | node -pe 'JSON.parse(require("fs").readFileSync(0,"utf8")).secret'; }
c=$(canary query 3600)
echo "canary in the header: $(features "$c"); as ?api_key=: $(code "$U/api/client/features?api_key=$c"); ?key=: $(code "$U/api/client/features?key=$c"); ?access_token=: $(code "$U/api/client/features?access_token=$c")"
KEYPROBE_KEY_ID=curl-canary-query node docs/recipes/unleash/delete-token.mjs

# Time to refusal, polled every 0.5 s.
until_refused() { local t0=$1 secret=$2; while [ "$(features "$secret")" = 200 ]; do sleep 0.5; done; node -e "console.log(((Date.now() - $t0) / 1000).toFixed(1) + ' s')"; }
d=$(canary delete 3600)
[ "$(features "$d")" = 200 ]
KEYPROBE_KEY_ID=curl-canary-delete node docs/recipes/unleash/delete-token.mjs
t0=$(node -pe 'Date.now()')
echo "deleted canary refused after: $(until_refused "$t0" "$d")"
e=$(canary expiry 2)
[ "$(features "$e")" = 200 ]
t0=$(( $(node -pe 'Date.now()') + 2000 ))
sleep 2
echo "expired canary refused after its expiry: $(until_refused "$t0" "$e")"
KEYPROBE_KEY_ID=curl-canary-expiry node docs/recipes/unleash/delete-token.mjs
