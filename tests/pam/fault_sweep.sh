#!/bin/sh
# run-all-timeout: 600
# Fault injection (issue 13, item 8): along one login, the k-th call the
# module makes of malloc, open, write, fsync, rename, fork, socketpair,
# read, send or recv fails, for every k until the login runs clean, for a
# login answered with the right code and for one answered with wrong codes;
# then the same logins under RLIMIT_FSIZE and RLIMIT_NOFILE near the edge.
# After every login: no success without the right code, no judged answer
# left uncounted, no SMS the gateway received left out of the user's sends,
# no temporary file left in state_dir, a readable state, a successful code
# spent.  tests/fault/shim.c is the LD_PRELOAD fault injector (built here),
# tests/fault/sweep.py runs the logins and checks them; a violation is
# printed with the function, k, the process, the errno and the stack.
#
#	FAULT_DEPTH   stack frames above the call that may be the module's (4)
#	FAULT_MAX_K   the highest k tried before failing (400)
#	FAULT_BUDGET  seconds the whole sweep may take before it fails (540:
#	              within the timeout this script asks of run-all.sh)
#	FAULT_ERRNO   other errnos: "open=EACCES write=EIO" (defaults: the
#	              table in tests/fault/shim.c)
#	FAULT_CASES   the cases to run: "faults limits" (both, the default)
#	FAULT_VERBOSE=1  a line for every login (with VERBOSE=1 to see it)
. "$(dirname "$0")/../lib.sh"

if [ "$PAM_ASAN" = 1 ] || [ "$PAM_VALGRIND" = 1 ]; then
	echo "SKIP: the fault shim replaces malloc, as ASan and valgrind do (PAM_ASAN=$PAM_ASAN, PAM_VALGRIND=$PAM_VALGRIND)"
	exit 77
fi
if [ "${PAM_COVERAGE:-0}" = 1 ]; then
	echo "SKIP: a --coverage build (make coverage): the shim would also fail the allocations of gcov's own counter dump as the module is unloaded, which the sweep cannot tell from the module's"
	exit 77
fi
require_module
require_pam_wrapper
TOOL=${SMSOTP_TOOL:-$ROOT/build/smsotp}
[ -x "$TOOL" ] || { echo "SKIP: $TOOL is not built (run make)"; exit 77; }
command -v cc >/dev/null 2>&1 || { echo "SKIP: no C compiler (cc) to build the shim"; exit 77; }

DEADLINE=$(($(date +%s) + ${FAULT_BUDGET:-540}))
SHIM=$T/shim.so
if ! _e=$(cc -shared -fPIC -O1 -g -Wall -Wextra -o "$SHIM" "$TESTS/fault/shim.c" -ldl 2>&1); then
	echo "FAIL: cannot build tests/fault/shim.c:"
	echo "$_e"
	exit 1
fi

# sweep MODE: one gateway, alice, a configuration that locks her
# at the second wrong code and lets the next login reuse a pending code
# (so that a code left unspent would pass a replay), then the driver
sweep() {
	start_gateway
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PHONES=$C/phones
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 60; lockout_after = 2;"
	std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	set -- "$1"
	for _e in ${FAULT_ERRNO:-}; do
		set -- "$@" --errno "$_e"
	done
	"$PYTHON" "$TESTS/fault/sweep.py" --mode "$@" \
	    --shim "$SHIM" --module "$MODULE" --tool "$TOOL" --svc "$C/svc" \
	    --passwd "$C/passwd" --group "$C/group" --conf "$CONF" \
	    --phones "$PHONES" --state-dir "$C/state" --gw-log "$GW_LOG" \
	    --dir "$C" --root "$ROOT" --pids "$T/pids.all" \
	    --depth "${FAULT_DEPTH:-4}" --max-k "${FAULT_MAX_K:-400}" \
	    --deadline "$DEADLINE" ${FAULT_VERBOSE:+--verbose}
}

# the driver's summary (logins, time) when the case passed (a failed one
# has printed all of its output)
summary() {
	[ "$(grep -c '^FAIL: \|^VIOLATION\|^SETUP' "$T/c$CASE_N/case.out")" -eq 0 ] || return 0
	sed -n 's/^\([a-z]*: [0-9]* logins in .*\)$/     \1/p' "$T/c$CASE_N/case.out"
}

# FAULT_CASES picks cases: faults limits
case_on() {
	case " ${FAULT_CASES:-faults limits} " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

t_faults() { sweep faults; }
t_limits() { sweep limits; }
if case_on faults; then
	run_case "the k-th call of each function fails, every k, right and wrong codes" t_faults
	summary
fi
if case_on limits; then
	run_case "RLIMIT_FSIZE and RLIMIT_NOFILE near the edge, right and wrong codes" t_limits
	summary
fi
finish
