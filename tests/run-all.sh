#!/bin/sh
# run-all.sh [--unit-only] [-j N] [UNIT_TEST_BINARY...]
#
# Runs the unit test binaries given as arguments (cmocka), then every
# tests/pam/*.sh (unless --unit-only), TEST_JOBS at a time.  Each test has
# its own temp folder and gateway port, so they can run side by side.
# Prints one line per test (PASS / FAIL / SKIP and its time), the output of
# the failed ones, and a last line "N passed, N failed, N skipped".  Exit
# status 1 if any test failed.
#
# TEST_JOBS defaults to one more than the number of cores (nproc): the
# scripts spend much of their time waiting on gateways, servers and
# prompts; one per core under ASan (PAM_ASAN=1, make check SANITIZE=1:
# each login costs several times the CPU) and 1 under valgrind.  Every
# limit is wall-clock and far longer than the work, so a busier machine
# only makes the run longer.
#
# A test passes with exit status 0, is skipped with 77, fails otherwise.  A
# test still running after TEST_TIMEOUT seconds of wall time (default 300,
# or more where the script asks for it in a "# run-all-timeout: N" line;
# times 3 under ASan, times 6 under valgrind) is killed and fails.  It is
# killed as a process group: TERM to the script and everything it started
# (its trap then stops the rest and removes its temp folder), KILL after
# 10 s for whatever is left.
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
	# the heavier builds: the same work takes several times as long
	factor=1
	if [ "${PAM_VALGRIND:-0}" = 1 ]; then
		factor=6
	elif [ "${PAM_ASAN:-0}" = 1 ]; then
		factor=3
	fi
	timeout=${TEST_TIMEOUT:-$((300 * factor))}
	# a script that needs longer says so in a "# run-all-timeout: N" line
	# (the fault sweep: hundreds of logins; N is for the normal build);
	# TEST_TIMEOUT, when larger, still wins
	case $t in
	*.sh)
		_own=$(sed -n 's/^# run-all-timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
		[ -n "$_own" ] && [ $((_own * factor)) -gt "$timeout" ] && timeout=$((_own * factor))
		;;
	esac
	start=$(date +%s%N)
	# wall-clock limit: date, not a count of sleeps (a loaded machine
	# sleeps longer than asked)
	deadline=$(($(date +%s) + timeout))
	# setsid: the test leads its own process group (its PID is the
	# group's), so that a kill reaches everything it started.  (A child
	# of this shell is never a group leader: setsid execs, no fork.)
	case $t in
	*.sh) setsid sh "$t" > "$res/$name.out" 2>&1 < /dev/null & ;;
	*) setsid "$t" > "$res/$name.out" 2>&1 < /dev/null & ;;
	esac
	pid=$!
	# stop_test: TERM to the group first (the script's trap stops what it
	# started and removes its temp folder), KILL what is left after 10 s
	stop_test() {
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		i=0
		while alive "$pid" && [ $i -lt 50 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		kill -KILL -- "-$pid" 2>/dev/null
	}
	# its own group no longer hears the terminal's ^C: pass it on
	trap 'stop_test; exit 130' INT TERM HUP
	while alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.2
	done
	if alive "$pid"; then
		stop_test
		echo "run-all.sh: killed after ${timeout}s (wall clock)" >> "$res/$name.out"
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
# default_jobs: a script per core and one more (they wait more than they
# compute); ASan logins cost several times the CPU (one per core),
# valgrind's many times more (one at a time)
default_jobs() {
	_n=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
	case $_n in '' | *[!0-9]*) _n=2 ;; esac
	if [ "${PAM_VALGRIND:-0}" = 1 ]; then
		_n=1
	elif [ "${PAM_ASAN:-0}" != 1 ]; then
		_n=$((_n + 1))
	fi
	[ "$_n" -ge 1 ] || _n=1
	echo "$_n"
}
jobs=${TEST_JOBS:-$(default_jobs)}
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
