# ssh-run.sh: the part of apt-ssh and dnf-ssh that is the same: it reads
# the SPEC §3 request on stdin, runs the caller's $remote script on the
# host over ssh (the action and sudo as arguments; "name<TAB>version" lines
# on stdin: targets for apply and verify, previous versions for rollback),
# and turns its "pkg", "reboot" and "error" lines into the JSON answer.
# Sourced, not run; the caller sets remote and has `set -eu`.

fail() {
	jq -cn --arg e "$1" '{ok: false, error: $e}'
	exit 1
}

command -v jq >/dev/null || { echo '{"ok": false, "error": "this driver needs jq"}'; exit 1; }
req=$(cat)
action=$(printf '%s' "$req" | jq -r '.action')
host=$(printf '%s' "$req" | jq -r '(.asset.ip | if type == "array" then .[0] else . end) // .asset.hostname // empty')
[ -n "$host" ] || fail "the asset has neither ip nor hostname"

case $action in
observe) pkgs="" ;;
apply | verify) pkgs=$(printf '%s' "$req" | jq -r '.changes[] | select(.kind == "package") | "\(.name)\t\(.to)"') ;;
rollback) pkgs=$(printf '%s' "$req" | jq -r '.previous.packages // {} | to_entries[] | "\(.key)\t\(.value)"') ;;
*) fail "unknown action \"$action\"" ;;
esac

set -- -o BatchMode=yes -o StrictHostKeyChecking=yes -p "${PATCHWAVE_SSH_PORT:-22}"
[ -n "${PATCHWAVE_SSH_KEY:-}" ] && set -- "$@" -i "$PATCHWAVE_SSH_KEY" -o IdentitiesOnly=yes
[ -n "${PATCHWAVE_SSH_KNOWN_HOSTS:-}" ] && set -- "$@" -o UserKnownHostsFile="$PATCHWAVE_SSH_KNOWN_HOSTS"
sudo=""
[ "${PATCHWAVE_SSH_SUDO:-}" = 1 ] && sudo="sudo -n"

errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
# The script goes as ssh's command line (quoted for the remote shell); the
# package list goes on stdin.
quoted=$(printf '%s' "$remote" | sed "s/'/'\\\\''/g")
if out=$(printf '%s\n' "$pkgs" | ssh "$@" "${PATCHWAVE_SSH_USER:-root}@$host" "sh -c '$quoted' sh $action '$sudo'" 2>"$errfile"); then
	status=0
else
	status=$?
fi
err=$(printf '%s\n' "$out" | awk -F '\t' '$1 == "error" { print $2 }')
if [ "$status" -ne 0 ] || [ -n "$err" ]; then
	[ -n "$err" ] || err="ssh to $host: exit $status: $(tail -n 3 "$errfile" | tr '\n' ' ')"
	fail "$err"
fi
printf '%s\n' "$out" | jq -R -s -c '
	split("\n") | map(split("\t")) as $l
	| {ok: true,
	   packages: ([$l[] | select(.[0] == "pkg") | {(.[1]): .[2]}] | add // {}),
	   reboot_required: ([$l[] | select(.[0] == "reboot") | .[1]] == ["yes"])}'
