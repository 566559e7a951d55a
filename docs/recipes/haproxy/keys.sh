#!/usr/bin/env bash
# keyprobe recipe: the HAProxy gateway's keys and their lifecycle, through
# HAProxy's runtime API (the admin socket), so nothing is reloaded.
#
# keyprobe's command adapter runs it with KEYPROBE_ACTION and the KEYPROBE_*
# variables of that action (see docs/lifecycle.md); a person can run it too:
#   ./keys.sh create <name> <environment> <scope>...   prints {"id":…,"secret":…} (and "expiresAt", Unix seconds, if it expires)
#   ./keys.sh disable|enable|delete <id>
#   ./keys.sh rotate <id>                              prints {"id":…,"secret":…}
#   ./keys.sh list                                     the keys in HAProxy's memory, without secrets
# Each change is made in HAProxy's memory (it applies to the next request)
# and in keys.map / disabled.acl (so a restart keeps it). A secret is never
# put on a command line, where any local user could read it in `ps`: it goes
# to socat on stdin, from bash's built-in printf.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
map="$here/keys.map"
acl="$here/disabled.acl"
action=${1:-${KEYPROBE_ACTION:-}}
[ $# -gt 0 ] && shift

die() {
  echo "keys.sh: $1" >&2
  exit "${2:-1}"
}

new_secret() {
  local s
  s=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom 2>/dev/null | head -c 32 || true)
  [ ${#s} -eq 32 ] || die "could not read /dev/urandom"
  printf 'gw_%s' "$s"
}

# Sends the runtime API command on stdin; prints HAProxy's answer.
runtime() {
  socat -t 5 stdio "unix-connect:$here/admin.sock" 2>/dev/null ||
    die "cannot reach HAProxy's admin socket $here/admin.sock (is HAProxy running, started in $here?)" 75
}

# A change succeeds when HAProxy answers with an empty line.
change() {
  local out
  out=$(runtime)
  [ -z "${out//[[:space:]]/}" ] || die "HAProxy refused the change: $out"
}

# "<ref> <key> <id> <env> <scopes> <expires>" of each map entry of key <id>.
entries_of() { printf 'show map keys.map\n' | runtime | ID=$1 awk '$3 == ENVIRON["ID"]'; }

# A map value with its spaces escaped for the runtime API.
escaped() { printf '%s' "$*" | sed 's/ /\\ /g'; }

# One keys.sh at a time changes the files.
lock() {
  exec 9>"$map.lock"
  flock -w 10 9 || die "keys.map is locked by another keys.sh" 75
}

# Removes from file $1 the lines whose field $2 is $3 (awk reads the id from the environment).
drop_lines() {
  ID=$3 awk -v f="$2" '$f != ENVIRON["ID"]' "$1" >"$1.next"
  mv "$1.next" "$1"
}

if [[ "$action" =~ ^(disable|enable|delete|rotate)$ ]]; then
  id=${1:-${KEYPROBE_KEY_ID:-}}
  [[ "$id" =~ ^k_[0-9a-f]+$ ]] || die "$action: expected a key id like k_0a1b2c3d" 2
fi

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
    expires=${KEYPROBE_EXPIRES_AT_EPOCH_SECONDS:-0}
    [[ "$expires" =~ ^[0-9]+$ ]] || die "create: KEYPROBE_EXPIRES_AT_EPOCH_SECONDS must be Unix seconds" 2
    id="k_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
    secret=$(new_secret)
    value="$id $env $(echo $scopes | tr ' ' ',') $expires"
    lock
    printf 'add map keys.map %s %s\n' "$secret" "$(escaped "$value")" | change
    printf '%s %s\n' "$secret" "$value" >>"$map"
    # The expiry HAProxy will enforce, stated in the answer: keyprobe then measures
    # an expiry's lag from it (to the second), not from its own guess.
    if [ "$expires" = 0 ]; then
      printf '{"id":"%s","secret":"%s","name":"%s"}\n' "$id" "$secret" "$name"
    else
      printf '{"id":"%s","secret":"%s","name":"%s","expiresAt":%s}\n' "$id" "$secret" "$name" "$expires"
    fi
    ;;
  disable)
    lock
    [ -n "$(entries_of "$id")" ] || die "disable: no key $id"
    if ! grep -qxF -- "$id" "$acl"; then
      printf 'add acl disabled.acl %s\n' "$id" | change
      printf '%s\n' "$id" >>"$acl"
    fi
    ;;
  enable)
    lock
    [ -n "$(entries_of "$id")" ] || die "enable: no key $id"
    # "Key not found" means it was not disabled: enabled already.
    printf 'del acl disabled.acl %s\n' "$id" | runtime >/dev/null
    drop_lines "$acl" 1 "$id"
    ;;
  delete)
    lock
    # A key that is already gone is deleted.
    for ref in $(entries_of "$id" | awk '{ print $1 }'); do
      printf 'del map keys.map #%s\n' "$ref" | change
    done
    drop_lines "$map" 2 "$id"
    printf 'del acl disabled.acl %s\n' "$id" | runtime >/dev/null
    drop_lines "$acl" 1 "$id"
    ;;
  rotate)
    grace=${KEYPROBE_GRACE_SECONDS:-0}
    lock
    old=$(entries_of "$id")
    [ -n "$old" ] || die "rotate: no key $id"
    [ "$(printf '%s\n' "$old" | wc -l)" -eq 1 ] || die "rotate: key $id is still in a grace period from its last rotation"
    read -r ref _ _ env scopes expires <<<"$old"
    secret=$(new_secret)
    printf 'add map keys.map %s %s\n' "$secret" "$(escaped "$id $env $scopes $expires")" | change
    printf '%s %s %s %s %s\n' "$secret" "$id" "$env" "$scopes" "$expires" >>"$map"
    if [ "$grace" = 0 ]; then
      printf 'del map keys.map #%s\n' "$ref" | change
    else
      # The old secret keeps working until the end of its grace period: an expiry.
      printf 'set map keys.map #%s %s\n' "$ref" "$(escaped "$id $env $scopes $(($(date +%s) + grace))")" | change
    fi
    # The file keeps only the new secret: a restart ends the grace period.
    ID=$id NEW=$secret awk '$2 != ENVIRON["ID"] || $1 == ENVIRON["NEW"]' "$map" >"$map.next"
    mv "$map.next" "$map"
    printf '{"id":"%s","secret":"%s"}\n' "$id" "$secret"
    ;;
  list)
    # What HAProxy holds in memory, without the secrets: "<id> <environment> <scopes> <expires>".
    printf 'show map keys.map\n' | runtime | awk 'NF { print $3, $4, $5, $6 }'
    ;;
  *) die "usage: keys.sh create <name> <environment> <scope>... | disable|enable|delete|rotate <id> | list" 2 ;;
esac
