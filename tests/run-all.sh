#!/bin/sh
# run-all.sh [--unit-only] [-j N] [UNIT_TEST_BINARY...]
#
# Runs the unit test binaries given as arguments (cmocka), then every
# tests/pam/*.sh (unless --unit-only), TEST_JOBS (default 4) at a time.
# Each test has its own temp folder and gateway port, so they can run side
# by side.  Prints one line per test (PASS / FAIL / SKIP and its time), the
# output of the failed ones, and a last line "N passed, N failed, N skipped".
# Exit status 1 if any test failed.
#
# A test passes with exit status 0, is skipped with 77, fails otherwise.  A
# test still running after TEST_TIMEOUT seconds (default 300, or more where
# the script asks for it in a "# run-all-timeout: N" line) is killed and
# fails.
set -u

here=$(cd "$(dirname "$0")" && pwd)

# alive PID: exists and is not a zombie
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	st=
	read -r st < "/proc/$1/stat" 2>/dev/null || return 0
	case $st in
	*") Z "* | *") X "*) return 1 ;;
	esac
	return 0
}

# Internal (xargs calls it): --one RESULTS TEST NAME runs one test and
# records its status and output.
if [ "${1:-}" = --one ]; then
	res=$2
	t=$3
	name=$4
	timeout=${TEST_TIMEOUT:-300}
	# a script that needs longer says so in a "# run-all-timeout: N" line
	# (the fault sweep: hundreds of logins); TEST_TIMEOUT, when larger,
	# still wins
	case $t in
	*.sh)
		_own=$(sed -n 's/^# run-all-timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
		[ -n "$_own" ] && [ "$_own" -gt "$timeout" ] && timeout=$_own
		;;
	esac
	start=$(date +%s%N)
	case $t in
	*.sh) sh "$t" > "$res/$name.out" 2>&1 < /dev/null & ;;
	*) "$t" > "$res/$name.out" 2>&1 < /dev/null & ;;
	esac
	pid=$!
	i=0
	while alive "$pid" && [ $i -lt $((timeout * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if alive "$pid"; then
		# TERM first: the test's trap stops what it started
		kill -TERM "$pid" 2>/dev/null
		sleep 2
		kill -KILL "$pid" 2>/dev/null
		echo "run-all.sh: killed after ${timeout}s" >> "$res/$name.out"
	fi
	wait "$pid"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	case $rc in
	0) verdict=PASS ;;
	77) verdict=SKIP ;;
	*) verdict=FAIL ;;
	esac
	echo "$verdict" > "$res/$name.status"
	printf '%-4s %s (%ss)\n' "$verdict" "$name" "$secs"
	exit 0
fi

unit_only=0
jobs=${TEST_JOBS:-4}
while [ $# -gt 0 ]; do
	case $1 in
	--unit-only) unit_only=1; shift ;;
	-j) jobs=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "usage: run-all.sh [--unit-only] [-j N] [UNIT_TEST...]" >&2; exit 2 ;;
	*) break ;;
	esac
done

res=$(mktemp -d "${TMPDIR:-/tmp}/smsotp-results.XXXXXX") || exit 1
trap 'rm -rf "$res"' EXIT
trap 'exit 130' INT TERM HUP

list=$res/list
: > "$list"
for u in "$@"; do
	printf '%s\n' "$u" >> "$list"
done
if [ $unit_only = 0 ]; then
	for p in "$here"/pam/*.sh; do
		[ -f "$p" ] && printf '%s\n' "$p" >> "$list"
	done
fi

if [ ! -s "$list" ]; then
	echo "0 passed, 0 failed, 0 skipped"
	exit 0
fi

# A name per test, unique even if two have the same base name.
n=0
: > "$res/jobs"
while IFS= read -r t; do
	n=$((n + 1))
	case $t in
	"$here"/pam/*) name=pam/$(basename "$t" .sh) ;;
	*) name=unit/$(basename "$t") ;;
	esac
	if [ -e "$res/$name.status" ] || grep -qxF "$name" "$res/names" 2>/dev/null; then
		name=$name.$n
	fi
	printf '%s\n' "$name" >> "$res/names"
	mkdir -p "$res/$(dirname "$name")"
	printf '%s\t%s\n' "$t" "$name" >> "$res/jobs"
done < "$list"

# xargs runs the jobs, $jobs at a time; each prints its own verdict line.
tr '\t' '\n' < "$res/jobs" | \
	xargs -d '\n' -n 2 -P "$jobs" sh "$here/run-all.sh" --one "$res" 2>&1 | \
	cat

passed=0
failed=0
skipped=0
failed_names=
while IFS= read -r name; do
	st=$(cat "$res/$name.status" 2>/dev/null || echo FAIL)
	case $st in
	PASS) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); failed_names="$failed_names $name" ;;
	esac
done < "$res/names"

for name in $failed_names; do
	echo
	echo "======== FAIL $name ========"
	cat "$res/$name.out" 2>/dev/null
done
skipped_list=$(for name in $(cat "$res/names"); do
	[ "$(cat "$res/$name.status" 2>/dev/null)" = SKIP ] && echo "$name"
done)
if [ -n "$skipped_list" ]; then
	echo
	for name in $skipped_list; do
		echo "skipped $name: $(grep -h 'SKIP' "$res/$name.out" | head -n 1)"
	done
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
