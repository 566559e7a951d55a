#!/usr/bin/env bash
# keyprobe recipe: the nginx gateway's key store (keys.map) and its lifecycle.
#
# keyprobe's command adapter runs it with KEYPROBE_ACTION and the KEYPROBE_*
# variables of that action (see docs/lifecycle.md); a person can run it too:
#   ./keys.sh create <name> <environment> <scope>...   prints {"id":…,"secret":…}
#   ./keys.sh disable|enable|delete <id>
#   ./keys.sh rotate <id>                              prints {"id":…,"secret":…}
# Every change edits keys.map and reloads nginx, and returns only once the
# reload is complete (the old worker has exited): from then on every
# connection sees the change. A secret is never put on a command line, where
# any local user could read it in `ps`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
map="$here/keys.map"
action=${1:-${KEYPROBE_ACTION:-}}
[ $# -gt 0 ] && shift

die() {
  echo "keys.sh: $1" >&2
  exit "${2:-1}"
}
nginx_bin() { command -v nginx || echo /usr/sbin/nginx; }

new_secret() {
  # 32 characters of A-Z a-z 0-9: nothing a regular expression would treat specially.
  local s
  s=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 32 || true)
  [ ${#s} -eq 32 ] || die "could not read /dev/urandom"
  printf 'gw_%s' "$s"
}

reload() {
  local pid old w i alive
  pid=$(cat "$here/nginx.pid" 2>/dev/null) || die "nginx is not running (no $here/nginx.pid)"
  old=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
  # Test first: nginx ignores a broken configuration on reload and keeps
  # serving the old one, which would make a disable silently do nothing.
  "$(nginx_bin)" -q -t -p "$here" -c "$here/nginx.conf" -e stderr || die "nginx -t refused the new keys.map"
  "$(nginx_bin)" -p "$here" -c "$here/nginx.conf" -e stderr -s reload 2>/dev/null
  # `nginx -s reload` returns once the signal is sent; the old worker keeps
  # serving its open connections with the old keys until it exits.
  for i in $(seq 200); do
    alive=""
    for w in $old; do [ -e "/proc/$w" ] && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 0.025
  done
  die "nginx did not finish reloading within 5 s" 75
}

# One keys.sh at a time edits keys.map.
lock() {
  exec 9>"$map.lock"
  flock -w 10 9 || die "keys.map is locked by another keys.sh" 75
}

# Rewrites the line of key $1 with what `edit` (awk code) makes of it; fields
# split at double quotes, so $2 is the key pattern and $4 "<id> <env> <scopes>".
# The new secret reaches awk through the environment, never argv.
rewrite() {
  ID=$1 awk -F'"' -v OFS='"' '{ split($4, f, " ") } f[1] == ENVIRON["ID"] { found = 1; '"$2"' } { print } END { exit !found }' "$map" >"$map.next" ||
    { rm -f "$map.next"; return 1; }
  mv "$map.next" "$map"
}

case "$action" in
  create)
    name=${1:-${KEYPROBE_KEY_NAME:-}}
    env=${2:-${KEYPROBE_KEY_ENVIRONMENT:-prod}}
    if [ $# -gt 2 ]; then
      shift 2
      scopes="$*"
    else
      scopes=${KEYPROBE_KEY_SCOPES:-}
    fi
    [ -n "$name" ] || die "create: name the key"
    [ -n "$scopes" ] || die "create: name at least one scope"
    # nginx has no key expiry: refuse, rather than make a key that never expires.
    [ -z "${KEYPROBE_EXPIRES_IN_SECONDS:-}" ] || die "create: nginx keys cannot expire (this gateway has no key expiry)"
    id="k_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    secret=$(new_secret)
    lock
    printf '"~^%s$" "%s %s %s"; # %s\n' "$secret" "$id" "$env" "$(echo $scopes | tr ' ' ',')" "$name" >>"$map"
    reload
    printf '{"id":"%s","secret":"%s","name":"%s"}\n' "$id" "$secret" "$name"
    ;;
  disable | enable | delete | rotate)
    id=${1:-${KEYPROBE_KEY_ID:-}}
    [[ "$id" =~ ^k_[0-9a-f]+$ ]] || die "$action: expected a key id like k_0a1b2c3d" 2
    lock
    case "$action" in
      disable) edit='sub(/^(#off )?/, "#off ")' ;;
      enable) edit='sub(/^#off /, "")' ;;
      delete) edit='next' ;;
      rotate)
        [ "${KEYPROBE_GRACE_SECONDS:-0}" = 0 ] || die "rotate: nginx cannot keep the old key working for a grace period"
        NEW_SECRET=$(new_secret)
        export NEW_SECRET
        edit='$2 = "~^" ENVIRON["NEW_SECRET"] "$"'
        ;;
    esac
    if ! rewrite "$id" "$edit"; then
      # A key that is already gone is deleted; anything else needs the key.
      [ "$action" = delete ] && exit 0
      die "$action: no key $id in keys.map"
    fi
    reload
    if [ "$action" = rotate ]; then printf '{"id":"%s","secret":"%s"}\n' "$id" "$NEW_SECRET"; fi
    ;;
  *) die "usage: keys.sh create <name> <environment> <scope>... | disable|enable|delete|rotate <id>" 2 ;;
esac
