#!/usr/bin/env bash
# The tests, as CI runs them (.ci/run installs git and cue first, then
# calls this). Needs go; the cue CLI test runs when cue is on PATH.
set -euo pipefail
cd "$(dirname "$0")"

# `go install` puts cue here; .ci/run does too, this is for a bare ./test.sh.
if command -v go >/dev/null; then
	PATH="$PATH:$(go env GOPATH)/bin"
fi

section() { printf '\n=== %s  (%ds)\n' "$*" "$SECONDS"; }

section "actionlint"
if command -v actionlint >/dev/null; then
	actionlint .github/workflows/*.yml
elif [ -n "${CI:-}" ]; then
	echo "actionlint is not installed (.ci/run installs it)" >&2
	exit 1
else
	echo "actionlint is not installed: skipped (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)"
fi

section "gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change these files; run gofmt -w on them:" >&2
	echo "$unformatted" >&2
	exit 1
fi

section "go vet"
go vet ./...

section "e2e hosts: the cached bookworm root (cold: debootstrap, 2-5 minutes; then about a second)"
# Built once under $PATCHWAVE_E2E_CACHE (default /var/cache/patchwave-e2e)
# before the parallel test run, so no package waits on the build. Needs
# root, debootstrap, sshd and ip: skipped without them, except under CI.
go test -count=1 -run '^TestStart$' ./internal/e2ehost/

section "go test -race"
go test -race -count=1 -timeout 30m ./...

section "without the race detector: 100k assets, and kill -9 at 23 points of apply and rollback"
go test -count=1 -run 'TestMarkdown100k' ./runner/
go test -count=1 -run 'TestCrashAndResume' ./cmd/patchwave/

section "e2e hosts: time per host (ssh and ansible drivers, inventory scan, an ansible batch)"
go test -count=1 -v -run '^(TestHostsE2E.*|TestApplyBatch)$' ./cmd/patchwave/ ./runner/driver/ansible/ |
	grep -E 'time per host|^(--- |ok|FAIL|PASS)'

section "fuzz FuzzLoad (20s)"
# -fuzzminimizetime keeps the short run fuzzing instead of minimizing
# each new input for the default 60s.
go test -run '^$' -fuzz '^FuzzLoad$' -fuzztime 20s -fuzzminimizetime 5s ./policy/
