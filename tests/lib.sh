# lib.sh: sourced by tests/pam/*.sh.  PAM tests against the real module,
# driven by pamtester under pam_wrapper (service files from a folder, no
# /etc/pam.d change) and nss_wrapper (test users from our own passwd file),
# with tests/mock_gateway.py as the SMS provider.
#
# A test script:
#
#	. "$(dirname "$0")/../lib.sh"
#	require_module
#	t_something() {		# runs in a subshell, in its own folder $C
#		std_setup			# gateway, alice's number, config, service
#		pam_run smsotp alice 'answer_code'
#		assert_rc 0
#		assert_eq 1 "$(sms_count)" "SMS sent"
#	}
#	run_case "what it checks" t_something
#	finish
#
# Each case runs in a subshell with its own folder $C; a failed assertion
# prints what was expected and what came, and ends the case.  The script
# goes on with the next case and exits 0 (all passed), 1 (one failed) or 77
# (all skipped).
#
# Syslog: pam_wrapper replaces pam_syslog/pam_vsyslog; with
# PAM_WRAPPER_DEBUGLEVEL=2 it writes every message to stderr as
#	PWRAP_<LEVEL>[pamtester (PID)] - SYSLOG(<priority>): <message>
# pam_run keeps those lines of each run in $SYSLOG (and all of them in
# $C/syslog.all), so tests read the module's log without a syslog daemon.
#
# Cleanup (trap on exit): kills only the processes this script started
# (mock gateways, pamtester runs, all listed in $T/pids), removes the
# /tmp/pam.X folders that pam_wrapper left behind for them (new since the
# start, and whose owner process is gone) and the temp folder $T.
#
# Memory checks (opt-in; every pam_run of every script):
#
#	PAM_VALGRIND=1 sh tests/pam/login_flow.sh
#	PAM_VALGRIND=1 TEST_TIMEOUT=1800 sh tests/run-all.sh
#
# runs pamtester under valgrind's memcheck (full leak check; errors and
# definite or indirect leaks count; tests/valgrind.supp suppresses what
# pamtester, libpam and pam_wrapper leak by themselves).  The preload is
# given to the dynamic linker (ld.so --preload) rather than LD_PRELOAD: the
# valgrind launcher would load pam_wrapper too and leave a /tmp/pam.X.
# Each process has its report, $C/runN.valgrind.PID (pamtester's and one
# per child the module forks); a run with a memcheck error or leak in any
# of them fails its case with the report.  PAM_VALGRIND_OPTS adds options
# (--gen-suppressions=all to write a suppression).  The defaults of
# PAM_TIMEOUT and WAIT_TIMEOUT become 180 and 30 s.
#
#	cp -a . /tmp/asan-tree && make -C /tmp/asan-tree clean &&
#	make -C /tmp/asan-tree CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'
#	PAM_ASAN=1 MODULE=/tmp/asan-tree/pam_smsotp.so sh tests/run-all.sh
#
# runs pamtester with libasan first in LD_PRELOAD, so that a module built
# with AddressSanitizer (never into this tree: a copy) loads; ASAN_OPTIONS
# detect_leaks=1:abort_on_error=0; the reports of ASan and LeakSanitizer go
# to $C/runN.asan.PID, UBSan's to pamtester's output; a run with a report
# fails its case.  Outside pam_run (the dlopen test) the module loads with
# verify_asan_link_order=0.  Both need PAM_WRAPPER_DISABLE_DEEPBIND=1 (set).
# KEEP_TEST_DIR=1 keeps the reports.

set -u

ROOT=${SMSOTP_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
TESTS=$ROOT/tests
MODULE=${MODULE:-$ROOT/pam_smsotp.so}
# Debian's python3 (the package install-deps.sh installs) first: a python3
# earlier in PATH may be a version manager's shim that costs a second per
# call, and the tests call it for every look at a gateway's log.
if [ -z "${PYTHON:-}" ]; then
	PYTHON=python3
	[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
GATEWAY=$TESTS/mock_gateway.py
TEST_NAME=$(basename "$0" .sh)

PAM_VALGRIND=${PAM_VALGRIND:-0}
PAM_ASAN=${PAM_ASAN:-0}
if [ "$PAM_VALGRIND" = 1 ] && [ "$PAM_ASAN" = 1 ]; then
	echo "lib.sh: PAM_VALGRIND=1 and PAM_ASAN=1 do not go together" >&2
	exit 2
fi

# Seconds: a pamtester run, a wait for the gateway or a prompt.  These are
# limits for what hangs, far longer than the work: a ready answer ends the
# wait at once, so a long limit costs nothing.
if [ "$PAM_VALGRIND" = 1 ]; then
	PAM_TIMEOUT=${PAM_TIMEOUT:-180}
	WAIT_TIMEOUT=${WAIT_TIMEOUT:-30}
elif [ "$PAM_ASAN" = 1 ]; then
	PAM_TIMEOUT=${PAM_TIMEOUT:-150}
	WAIT_TIMEOUT=${WAIT_TIMEOUT:-30}
fi
PAM_TIMEOUT=${PAM_TIMEOUT:-90}
WAIT_TIMEOUT=${WAIT_TIMEOUT:-20}

# Time bounds that hold on a loaded machine.  A login costs its own time
# (pamtester, libpam, the wrappers, the module: seconds on a busy 2-core
# machine, several times that under ASan or valgrind) on top of what it
# waits for (a provider's timeout, the phones command's 5 s).  A test that
# bounds a login's time says what the module may wait, and the machine's
# share is TIME_SLACK_MS on top; what the login waits for hangs HANG_S,
# far longer than both, so that a bound that does not hold still shows.
# Lower bounds ("waited at least the timeout") need no slack.
if [ "$PAM_VALGRIND" = 1 ]; then
	TIME_SLACK_MS=${TIME_SLACK_MS:-120000}
elif [ "$PAM_ASAN" = 1 ]; then
	TIME_SLACK_MS=${TIME_SLACK_MS:-60000}
fi
TIME_SLACK_MS=${TIME_SLACK_MS:-20000}
HANG_S=${HANG_S:-600}

# The prompt every test expects unless it sets its own.
PROMPT_RE=${PROMPT_RE:-SMS code sent to}
# How code_from_log finds the code in an SMS text (a Python regex, group 1).
_code_re_default='CODE=([^\s"&]+)'
CODE_RE=${CODE_RE:-$_code_re_default}

_find_secdir() {
	for d in "$(pkg-config --variable=libdir pam 2>/dev/null)/security" \
	    "/lib/$(cc -print-multiarch 2>/dev/null)/security" \
	    "/usr/lib/$(cc -print-multiarch 2>/dev/null)/security" \
	    /lib/x86_64-linux-gnu/security /usr/lib/security /lib/security \
	    /lib64/security; do
		if [ -f "$d/pam_permit.so" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}
SECDIR=$(_find_secdir) || SECDIR=/lib/security
PAM_PERMIT=$SECDIR/pam_permit.so
PAM_DENY=$SECDIR/pam_deny.so
PAM_ECHO=$SECDIR/pam_echo.so

# ---------------------------------------------------------------- memory checks

# PAM_VALGRIND: valgrind, and the dynamic linker that runs pamtester with
# the wrappers preloaded (glibc 2.30 and later take --preload).
VALGRIND=
LDSO=
if [ "$PAM_VALGRIND" = 1 ]; then
	VALGRIND=$(command -v valgrind) || {
		echo "lib.sh: PAM_VALGRIND=1 but valgrind is not installed" >&2
		exit 1
	}
	_pt=$(command -v pamtester || echo /usr/bin/pamtester)
	[ -f "$_pt" ] && LDSO=$(readelf -lW "$_pt" 2>/dev/null |
	    sed -n 's/.*Requesting program interpreter: \(.*\)\]$/\1/p')
	[ -n "$LDSO" ] || for LDSO in /lib64/ld-linux-*.so.* /lib/ld-linux*.so.* ""; do
		[ -f "$LDSO" ] && break
	done
	if [ -z "$LDSO" ] || ! "$LDSO" --help 2>/dev/null | grep -q -- --preload; then
		echo "lib.sh: PAM_VALGRIND=1 needs a dynamic linker that takes --preload (glibc 2.30+); found '$LDSO'" >&2
		exit 1
	fi
	VALGRIND_SUPP=$TESTS/valgrind.supp
fi

# PAM_ASAN: the ASan runtime, first in pamtester's LD_PRELOAD.  Processes
# other than pamtester that load the module (a dlopen test in Python) do it
# without the runtime first and without leak checks.
LIBASAN=
_ASAN_USER=
if [ "$PAM_ASAN" = 1 ]; then
	LIBASAN=$(cc -print-file-name=libasan.so 2>/dev/null)
	case $LIBASAN in
	/*) ;;
	*) for LIBASAN in /usr/lib/*-linux-gnu/libasan.so.* /usr/lib64/libasan.so.* ""; do
		[ -f "$LIBASAN" ] && break
	done ;;
	esac
	[ -f "$LIBASAN" ] || {
		echo "lib.sh: PAM_ASAN=1 but libasan.so was not found (cc -print-file-name=libasan.so)" >&2
		exit 1
	}
	_ASAN_USER=${ASAN_OPTIONS:-}
	ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
	export ASAN_OPTIONS
fi

# _memcheck_env: lines of pam_run's script that set up the checker (before
# the wrappers' variables).  $1: the report path without extension.
_memcheck_env() {
	echo 'export PAM_WRAPPER_DISABLE_DEEPBIND=1'
	if [ "$PAM_ASAN" = 1 ]; then
		echo "export LD_PRELOAD=$(_q "$LIBASAN libpam_wrapper.so $NSS_PRELOAD")"
		echo "export ASAN_OPTIONS=$(_q "detect_leaks=1:abort_on_error=0:log_path=$1.asan${_ASAN_USER:+:$_ASAN_USER}")"
		echo "export UBSAN_OPTIONS=$(_q "print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}")"
	fi
}

# _memcheck_cmd: what pam_run's script runs instead of plain pamtester
# (valgrind: ld.so --preload, the wrappers are not in LD_PRELOAD).  $1: the
# report path without extension.
_memcheck_cmd() {
	_mc_supp=
	[ -f "$VALGRIND_SUPP" ] && _mc_supp="--suppressions=$VALGRIND_SUPP"
	# shellcheck disable=SC2086
	for _o in "$VALGRIND" --leak-check=full --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	    --track-origins=yes --num-callers=40 --keep-debuginfo=yes \
	    $_mc_supp "--log-file=$1.valgrind.%p" \
	    ${PAM_VALGRIND_OPTS:-} \
	    "$LDSO" --preload "libpam_wrapper.so $NSS_PRELOAD" "$(command -v pamtester)"; do
		printf '%s ' "$(_q "$_o")"
	done
}

# _memcheck_verdict: after a run, fail the case if the checker reported an
# error or a leak.  $1: the report path without extension.
_memcheck_verdict() {
	if [ "$PAM_VALGRIND" = 1 ]; then
		# one report per process: pamtester's, and one for each child
		# the module forks (whose parent has a report of its own)
		_mc_main=
		_mc_bad=
		for _f in "$1".valgrind.*; do
			[ -f "$_f" ] || continue
			_pp=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\)$/\1/p' "$_f")
			[ -f "$1.valgrind.$_pp" ] || _mc_main=$_f
			grep -q 'ERROR SUMMARY: [1-9]' "$_f" && _mc_bad="$_mc_bad $_f"
		done
		if [ -z "$_mc_main" ] || ! grep -q 'ERROR SUMMARY:' "$_mc_main"; then
			fail "valgrind: no report from pamtester in run $RUN_N (exit $RC; killed?)"
		fi
		if [ "$RC" = 99 ] && [ -z "$_mc_bad" ]; then
			_mc_bad=$_mc_main
		fi
		if [ -n "$_mc_bad" ]; then
			fail "valgrind reported errors (run $RUN_N):$(for _f in $_mc_bad; do
				echo
				echo "--- $_f"
				sed -n '/^==[0-9]*== Parent PID/,$p' "$_f" | sed 1,2d | grep -v \
				    -e '^==[0-9]*== Reachable blocks' -e '^==[0-9]*== To see them'
			done | head -n 400)"
		fi
	elif [ "$PAM_ASAN" = 1 ]; then
		_mc_rep=
		for _f in "$1".asan.*; do
			[ -s "$_f" ] && _mc_rep="$_mc_rep $_f"
		done
		if [ -n "$_mc_rep" ]; then
			# shellcheck disable=SC2086
			fail "sanitizer report (run $RUN_N, exit $RC):$_mc_rep
$(cat $_mc_rep | head -n 400)"
		fi
		# UBSan (and ASan before log_path applies) write to stderr
		if grep -qE -e ': runtime error: ' -e '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer' "$OUT"; then
			fail "sanitizer report in pamtester's output (run $RUN_N, exit $RC):
$(grep -E -A 40 -e ': runtime error: ' -e '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer' "$OUT" | head -n 200)"
		fi
	fi
	return 0
}

T=$(mktemp -d "${TMPDIR:-/tmp}/smsotp-$TEST_NAME.XXXXXX") || exit 1
: > "$T/pids"
ls -d /tmp/pam.* > "$T/pam-before" 2>/dev/null || :

CASE_N=0
N_PASS=0
N_FAIL=0
N_SKIP=0
C=$T

# ---------------------------------------------------------------- cleanup

# _alive PID: the process exists and is not a zombie (an orphan's exit
# status may wait a while for init to collect it).
_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	_st=
	read -r _st < "/proc/$1/stat" 2>/dev/null || return 0
	case $_st in
	*") Z "* | *") X "*) return 1 ;;
	esac
	return 0
}

# Kill the processes listed in a pid file (only ours), politely then not,
# and collect those that are our children.
_kill_listed() {
	[ -s "$1" ] || return 0
	_pids=$(cat "$1")
	: > "$1"
	for pid in $_pids; do
		_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	i=0
	while [ $i -lt 30 ]; do
		alive=
		for pid in $_pids; do
			_alive "$pid" && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for pid in $_pids; do
		_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for pid in $_pids; do
		wait "$pid" 2>/dev/null
	done
	return 0
}

# pam_wrapper copies the service folder to /tmp/pam.X and removes it when
# the process ends normally; a killed pamtester leaves it.  Remove only
# folders that appeared since we started and whose process is gone.
_clean_pam_dirs() {
	for d in /tmp/pam.?; do
		[ -d "$d" ] || continue
		grep -qxF "$d" "$T/pam-before" 2>/dev/null && continue
		[ -f "$d/pid" ] || continue
		pid=$(cat "$d/pid" 2>/dev/null)
		case $pid in '' | *[!0-9]*) continue ;; esac
		_alive "$pid" && continue
		grep -qx "$pid" "$T/pids.all" 2>/dev/null || continue
		rm -rf "$d"
	done
}

_cleanup() {
	cat "$T/pids" >> "$T/pids.all" 2>/dev/null
	_kill_listed "$T/pids"
	_clean_pam_dirs
	if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM HUP

_track_pid() {
	echo "$1" >> "$T/pids"
	echo "$1" >> "$T/pids.all"
}

# ---------------------------------------------------------------- cases

# run_case NAME FUNCTION: run one case in a subshell, in a fresh folder $C.
run_case() {
	CASE_N=$((CASE_N + 1))
	C=$T/c$CASE_N
	mkdir -p "$C/svc"
	_base_nss
	_t0=$(date +%s%N)
	(
		# stop what the case started while it is still its parent
		trap '_kill_listed "$T/pids"' EXIT
		cd "$C" || exit 1
		"$2"
	) > "$C/case.out" 2>&1
	rc=$?
	_kill_listed "$T/pids"
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	_secs=$((_ms / 1000)).$((_ms % 1000 / 100))s
	case $rc in
	0)
		N_PASS=$((N_PASS + 1))
		printf 'ok   - %s (%s)\n' "$1" "$_secs"
		;;
	77)
		N_SKIP=$((N_SKIP + 1))
		printf 'skip - %s (%s)\n' "$1" "$(grep '^SKIP:' "$C/case.out" | tail -n 1 | cut -c7-)"
		;;
	*)
		N_FAIL=$((N_FAIL + 1))
		printf 'FAIL - %s (%s)\n' "$1" "$_secs"
		sed 's/^/    | /' "$C/case.out"
		;;
	esac
	[ "${VERBOSE:-0}" = 1 ] && [ $rc -ne 1 ] && sed 's/^/    : /' "$C/case.out"
	C=$T
	return 0
}

# finish: the script's summary and exit status.
finish() {
	echo "$TEST_NAME: $N_PASS passed, $N_FAIL failed, $N_SKIP skipped"
	[ $N_FAIL -gt 0 ] && exit 1
	[ $N_PASS -eq 0 ] && [ $N_SKIP -gt 0 ] && exit 77
	exit 0
}

skip() {
	echo "SKIP: $*"
	exit 77
}

require_module() {
	if [ ! -f "$MODULE" ]; then
		echo "SKIP: $MODULE is not built (run make)"
		exit 77
	fi
	if [ "$PAM_ASAN" = 1 ] && command -v nm >/dev/null 2>&1 &&
	    ! nm -D "$MODULE" 2>/dev/null | grep -q __asan_init; then
		echo "FAIL: PAM_ASAN=1 but $MODULE is not built with -fsanitize=address (see tests/lib.sh)"
		exit 1
	fi
}

# find_lib NAME: the path of a shared library the dynamic linker would
# find by NAME (ldconfig is not on a normal user's PATH: try its homes)
find_lib() {
	for _lc in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
		_p=$("$_lc" -p 2>/dev/null | sed -n "s/^[[:space:]]*$1 (.*=> \(.*\)\$/\1/p" | head -n 1)
		[ -n "$_p" ] && { echo "$_p"; return 0; }
	done
	for _d in /lib/*-linux-gnu /usr/lib/*-linux-gnu /usr/lib64 /usr/lib /lib64 /lib; do
		[ -f "$_d/$1" ] && { echo "$_d/$1"; return 0; }
	done
	return 1
}

require_pam_wrapper() {
	command -v pamtester >/dev/null 2>&1 || { echo "SKIP: pamtester not installed"; exit 77; }
	for _l in libpam_wrapper.so libnss_wrapper.so; do
		if ! find_lib "$_l" >/dev/null; then
			echo "SKIP: $_l not installed (tests/install-deps.sh)"
			exit 77
		fi
	done
	_build_nss_glibc
}

# nss_wrapper answers getpwnam_r for a name it does not know with ENOENT,
# where glibc answers 0 and no entry; the module takes any error for a
# failed lookup (fail closed).  tests/nss_glibc.c, preloaded just before
# nss_wrapper, gives glibc's answer back, and fails one name's lookup on
# demand: PAM_ENV=NSS_GLIBC_FAIL=carol:EIO.  $NSS_PRELOAD is the pair, for
# LD_PRELOAD.
NSS_GLIBC=$T/nss_glibc.so
NSS_PRELOAD="$NSS_GLIBC libnss_wrapper.so"
_build_nss_glibc() {
	[ -f "$NSS_GLIBC" ] && return 0
	cc -shared -fPIC -O2 -Wall -o "$NSS_GLIBC" "$TESTS/nss_glibc.c" -ldl > "$T/nss_glibc.err" 2>&1 || {
		echo "FAIL: cannot build tests/nss_glibc.c: $(cat "$T/nss_glibc.err")"
		exit 1
	}
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# tool_conf CONF ARGS...: the admin tool ($SMSOTP_TOOL, else build/smsotp)
# with -c CONF and no nss_wrapper (libpq's and libldap's lookups would set
# it up inside a connect made with an empty environment, where it cannot
# see NSS_WRAPPER_DISABLE_DEEPBIND, which the ASan runtime needs); sets
# TRC, TOUT (stdout file), TERR (stderr file)
TOOL_N=0
tool_conf() {
	TOOL_N=$((TOOL_N + 1))
	TOUT=$C/tool$TOOL_N.out
	TERR=$C/tool$TOOL_N.err
	_tc=$1
	shift
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "${TOOL:-${SMSOTP_TOOL:-$ROOT/build/smsotp}}" -c "$_tc" "$@" \
	    > "$TOUT" 2> "$TERR" < /dev/null
	TRC=$?
	return 0
}

# ---------------------------------------------------------------- assertions

_context() {
	if [ -n "${OUT:-}" ] && [ -f "$OUT" ]; then
		echo "--- pamtester output (run $RUN_N, exit $RC) ---"
		head -n 60 "$OUT"
	fi
	for l in "$C"/gw*.log; do
		[ -f "$l" ] || continue
		echo "--- $(basename "$l"): $(wc -l < "$l") request(s) ---"
		tail -n 3 "$l" | cut -c1-600
	done
}

fail() {
	echo "FAIL: $*"
	_context
	exit 1
}

pass() {
	echo "PASS: $*"
	exit 0
}

# assert_eq EXPECTED GOT [WHAT]
assert_eq() {
	[ "$1" = "$2" ] && return 0
	fail "${3:-values differ}
  expected: '$1'
  got:      '$2'"
}

# assert_ne UNEXPECTED GOT [WHAT]
assert_ne() {
	[ "$1" != "$2" ] && return 0
	fail "${3:-value should differ}
  not expected: '$1'
  got:          '$2'"
}

# assert_contains FILE TEXT [WHAT]: TEXT is a fixed string
assert_contains() {
	grep -qF -- "$2" "$1" 2>/dev/null && return 0
	fail "${3:-text missing}
  expected $(basename "$1") to contain: '$2'"
}

assert_not_contains() {
	grep -qF -- "$2" "$1" 2>/dev/null || return 0
	fail "${3:-unexpected text}
  expected $(basename "$1") not to contain: '$2'
  got: $(grep -F -- "$2" "$1" | head -n 3)"
}

# assert_match FILE EREGEX [WHAT]
assert_match() {
	grep -qE -- "$2" "$1" 2>/dev/null && return 0
	fail "${3:-pattern missing}
  expected $(basename "$1") to match: /$2/"
}

assert_not_match() {
	grep -qE -- "$2" "$1" 2>/dev/null || return 0
	fail "${3:-unexpected match}
  expected $(basename "$1") not to match: /$2/
  got: $(grep -E -- "$2" "$1" | head -n 3)"
}

# assert_str_match STRING EREGEX [WHAT]
assert_str_match() {
	printf '%s\n' "$1" | grep -qE -- "$2" && return 0
	fail "${3:-string does not match}
  expected to match: /$2/
  got: '$1'"
}

# assert_elapsed_max MS [WHAT]: the last pam_run took at most MS (what the
# module may wait: its timeouts) + TIME_SLACK_MS (what the machine adds)
assert_elapsed_max() {
	[ "$ELAPSED_MS" -le $(($1 + TIME_SLACK_MS)) ] && return 0
	fail "${2:-the login took too long}
  expected: <= $1 ms + $TIME_SLACK_MS ms (TIME_SLACK_MS)
  got:      $ELAPSED_MS ms"
}

# wait_file FILE [SECONDS]: until FILE is not empty, at most SECONDS of wall
# time (default WAIT_TIMEOUT); status 1 if it never came
wait_file() {
	_wf_end=$(($(date +%s) + ${2:-$WAIT_TIMEOUT}))
	while [ ! -s "$1" ]; do
		[ "$(date +%s)" -lt "$_wf_end" ] || return 1
		sleep 0.05
	done
	return 0
}

# assert_rc EXPECTED: pamtester's exit status of the last pam_run
assert_rc() {
	[ "$RC" = "$1" ] && return 0
	fail "${2:-pamtester exit status}
  expected: $1
  got:      $RC"
}

# PAM results as pamtester prints them (pam_strerror).
pam_text() {
	case $1 in
	SUCCESS) echo "successfully" ;;
	SERVICE_ERR) echo "Error in service module" ;;
	SYSTEM_ERR) echo "System error" ;;
	PERM_DENIED) echo "Permission denied" ;;
	AUTH_ERR) echo "Authentication failure" ;;
	AUTHINFO_UNAVAIL) echo "Authentication service cannot retrieve authentication info" ;;
	USER_UNKNOWN) echo "User not known to the underlying authentication module" ;;
	MAXTRIES) echo "Have exhausted maximum number of retries for service" ;;
	CONV_ERR) echo "Conversation error" ;;
	AUTHTOK_ERR) echo "Authentication token manipulation error" ;;
	TRY_AGAIN) echo "Failed preliminary check by password service" ;;
	IGNORE) echo "The return value should be ignored by PAM dispatch" ;;
	ABORT) echo "Critical error - immediate abort" ;;
	*) echo "$1" ;;
	esac
}

# assert_result NAME [NAME...]: the last run ended with one of these PAM
# results (SUCCESS, SERVICE_ERR, AUTH_ERR, MAXTRIES, ...)
assert_result() {
	for r in "$@"; do
		if [ "$r" = SUCCESS ]; then
			[ "$RC" = 0 ] && return 0
		elif [ "$RC" != 0 ] && grep -qF "pamtester: $(pam_text "$r")" "$OUT"; then
			return 0
		fi
	done
	fail "PAM result
  expected: $*
  got:      exit $RC, $(grep '^pamtester: ' "$OUT" | tail -n 1)"
}

# assert_login_ok [LOG]: SUCCESS after a prompt, with an SMS in LOG (default
# $GW_LOG): a login that really went through the code
assert_login_ok() {
	assert_result SUCCESS
	assert_prompted
	[ "$(sms_count "${1:-$GW_LOG}")" -ge 1 ] || fail "login succeeded but $(basename "${1:-$GW_LOG}") has no SMS"
	[ -n "$(code_from_log "${1:-$GW_LOG}")" ] || fail "no code found in the last SMS (CODE_RE=$CODE_RE)"
}

# login_to USER NUMBER: USER logs in with the code sent to NUMBER (E.164):
# one more SMS, to NUMBER, and the whole number nowhere in the log
login_to() {
	_n=$(sms_count)
	pam_run smsotp "$1" 'answer_code 1'
	assert_login_ok
	assert_eq $((_n + 1)) "$(sms_count)" "SMS after $1's login"
	assert_eq "$2" "$(log_get 'to(r)')" "$1's SMS goes to $2"
	assert_not_contains "$SYSLOG" "${2#+}" "the full number never appears in the log"
}

# assert_prompted / assert_not_prompted: whether the code prompt was shown
assert_prompted() {
	[ "$(prompt_count)" -ge "${1:-1}" ] && return 0
	fail "expected the prompt /$PROMPT_RE/ at least ${1:-1} time(s), got $(prompt_count)"
}

assert_not_prompted() {
	[ "$(prompt_count)" -eq 0 ] && return 0
	fail "expected no code prompt (/$PROMPT_RE/), got $(prompt_count)"
}

# assert_sms_count N [LOG]
assert_sms_count() {
	assert_eq "$1" "$(sms_count "${2:-$GW_LOG}")" "requests received by the gateway"
}

# No process of this case's logins is left once pam_run has returned:
# neither pamtester nor the send process it forked.  Both are found by the
# case's service folder in their environment (/proc/PID/environ still
# shows it after the send process has cleared its own).
# pgrep picks the processes whose first argument ends in pamtester (one
# process, where a loop over /proc forked three per process on the machine:
# 20 s and more on a loaded one).
assert_no_leftover() {
	_left=
	for _pid in $(pgrep -f '^[^ ]*pamtester( |$)' 2>/dev/null); do
		tr '\0' '\n' < "/proc/$_pid/environ" 2>/dev/null |
		    grep -qxF "PAM_WRAPPER_SERVICE_DIR=$C/svc" || continue
		_left="$_left $_pid"
	done
	[ -z "$_left" ] || fail "processes of the login left behind:$_left"
}

# ---------------------------------------------------------------- fixtures

_base_nss() {
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$C/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\nsmsotp:x:2000:\n' > "$C/group"
	NEXT_UID=2001
}

# make_user NAME [UID]: an account nss_wrapper shows to the module
make_user() {
	_uid=${2:-}
	if [ -z "$_uid" ]; then
		_uid=$(($(wc -l < "$C/passwd") + 1999))
	fi
	printf '%s:x:%s:2000:%s test user:/home/%s:/bin/sh\n' "$1" "$_uid" "$1" "$1" >> "$C/passwd"
}

CONF=
PHONES=
# write_conf <<EOF: the module's configuration, $C/pam_smsotp.conf, 0600
write_conf() {
	CONF=$C/pam_smsotp.conf
	rm -f "$CONF"
	(umask 077 && cat > "$CONF")
	chmod 0600 "$CONF"
}

# write_phones <<EOF: the phones file, $C/phones, 0644 (in a pipeline, the
# variables CONF and PHONES are not set: the paths are fixed, use them)
write_phones() {
	PHONES=$C/phones
	cat > "$PHONES"
	chmod 0644 "$PHONES"
}

# std_provider [PORT]: the standard provider entry (JSON to the gateway)
std_provider() {
	echo "{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:${1:-$GW_PORT}/sms\"; format = \"json\"; }"
}

# std_conf [LINE...]: a configuration with the test template, the phones
# file, a state folder and one provider "gw" to the gateway; extra lines
# (top-level settings) are appended.  Variables change the parts:
#	TEMPLATE   the template (default CODE={code}; empty: no template line)
#	PROVIDERS  the providers list body (default: std_provider)
#	PHONES_GROUP / LIMITS_GROUP  the body of those groups (limits default:
#	           resend_after = 0, so that each login sends its own code)
std_conf() {
	if [ "${TEMPLATE+set}" = set ]; then
		_tpl=$TEMPLATE
	else
		_tpl='CODE={code}'
	fi
	{
		[ -n "$_tpl" ] && printf 'template = "%s";\n' "$_tpl"
		printf 'phones = { %s };\n' "${PHONES_GROUP:-file = \"$C/phones\";}"
		_lim=${LIMITS_GROUP:-state_dir = \"$C/state\"; resend_after = 0;}
		# the key of the kept codes: the test's own, never the host's
		case $_lim in
		*key_file*) ;;
		*) _lim="key_file = \"$C/hash.key\"; $_lim" ;;
		esac
		printf 'limits = { %s };\n' "$_lim"
		printf 'providers = ( %s );\n' "${PROVIDERS:-$(std_provider)}"
		for l in "$@"; do
			printf '%s\n' "$l"
		done
	} | write_conf
	CONF=$C/pam_smsotp.conf
}

# service NAME LINE...: a pam_wrapper service file (and `other`, denying)
service() {
	_name=$1
	shift
	: > "$C/svc/$_name"
	for l in "$@"; do
		printf '%s\n' "$l" >> "$C/svc/$_name"
	done
	printf '%s\n' "auth required $PAM_DENY" "account required $PAM_DENY" \
	    "password required $PAM_DENY" "session required $PAM_DENY" > "$C/svc/other"
}

# std_setup [MOCK OPTIONS]: gateway, alice (+447700900123) and bob (no
# number) as users, a standard configuration and the service `smsotp`
# (auth required pam_smsotp.so conf=$CONF).
ALICE_PHONE=+447700900123
ALICE_MASKED='+44*******123'
std_setup() {
	start_gateway "$@"
	make_user alice
	make_user bob
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PHONES=$C/phones
	std_conf
	service smsotp "auth required $MODULE conf=$CONF"
}

# ---------------------------------------------------------------- gateway

GW_N=0
# start_gateway [MOCK OPTIONS]: sets GW_PORT, GW_LOG, GW_PID, GW_ERR
start_gateway() {
	GW_N=$((GW_N + 1))
	GW_LOG=$C/gw$GW_N.log
	GW_ERR=$C/gw$GW_N.err
	_pf=$C/gw$GW_N.port
	: > "$GW_LOG"
	rm -f "$_pf"
	"$PYTHON" "$GATEWAY" --port-file "$_pf" --log "$GW_LOG" \
	    --lifetime "${GW_LIFETIME:-300}" "$@" < /dev/null > "$GW_ERR" 2>&1 &
	GW_PID=$!
	_track_pid "$GW_PID"
	# Python starting on a loaded machine: seconds; a wall-clock bound
	_gw_end=$(($(date +%s) + WAIT_TIMEOUT * 3))
	while [ ! -s "$_pf" ] && [ "$(date +%s)" -lt "$_gw_end" ]; do
		_alive "$GW_PID" || break
		sleep 0.05
	done
	[ -s "$_pf" ] || fail "mock gateway did not start: $(cat "$GW_ERR")"
	GW_PORT=$(cat "$_pf")
}

# A port where nothing listens: bound and closed again by Python.
closed_port() {
	"$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# sms_count [LOG]: requests the gateway received
sms_count() {
	_l=${1:-$GW_LOG}
	if [ -f "$_l" ]; then
		wc -l < "$_l" | tr -d ' '
	else
		echo 0
	fi
}

_PYLOG='
import json, os, re, sys
def text(r):
    if isinstance(r.get("text"), str):
        return r["text"]  # a file provider line
    for src in (r.get("json"), r.get("form"), r.get("query")):
        if isinstance(src, dict):
            for k in ("text", "message", "Body", "body", "msg"):
                v = src.get(k)
                if isinstance(v, list): v = v[-1] if v else None
                if isinstance(v, str): return v
    return r.get("body", "")
def to(r):
    if isinstance(r.get("to"), str):
        return r["to"]
    for src in (r.get("json"), r.get("form"), r.get("query")):
        if isinstance(src, dict):
            for k in ("to", "To", "phone"):
                v = src.get(k)
                if isinstance(v, str): return v
    return ""
def hdr(r, name):
    return r.get("headers", {}).get(name.lower(), "")
path, index, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(path, encoding="utf-8") as f:
        recs = [json.loads(l) for l in f if l.strip()]
    r = recs[index]
except (OSError, ValueError, IndexError):
    sys.exit(1)
v = eval(expr)
if v is None: v = ""
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
'

# log_get PYEXPR [LOG] [INDEX]: evaluate PYEXPR over request r (default the
# last); helpers text(r), to(r), hdr(r, name).  Empty and status 1 when
# there is no such request.
log_get() {
	"$PYTHON" -c "$_PYLOG" "${2:-$GW_LOG}" "${3:--1}" "$1"
}

# sms_text [LOG] [INDEX]: the message text of a request
sms_text() {
	log_get 'text(r)' "${1:-$GW_LOG}" "${2:--1}"
}

# code_from_log [LOG] [INDEX]: the code in an SMS (group 1 of $CODE_RE).
# A login reads it twice or more (the answer, then the assertions), each a
# Python start: the answer is kept in $C/.codes, keyed by the log's path,
# size, mtime and inode, the index and CODE_RE, and found again with grep.
code_from_log() {
	_cl_log=${1:-$GW_LOG}
	_cl_key="$_cl_log|${2:--1}|$(stat -c '%s %Y %i' "$_cl_log" 2>/dev/null)|$CODE_RE|"
	if [ -f "$C/.codes" ] && _cl_hit=$(grep -F -m 1 -- "$_cl_key" "$C/.codes"); then
		case $_cl_hit in "$_cl_key"*) printf '%s\n' "${_cl_hit#"$_cl_key"}"; return 0 ;; esac
	fi
	_cl_code=$(CODE_RE=$CODE_RE log_get 'next(iter(re.findall(__import__("os").environ["CODE_RE"], text(r))), "")' \
	    "$_cl_log" "${2:--1}") || return 1
	case $_cl_key$_cl_code in
	*"
"*) ;;
	*) [ -d "$C" ] && printf '%s%s\n' "$_cl_key" "$_cl_code" 2>/dev/null >> "$C/.codes" ;;
	esac
	printf '%s\n' "$_cl_code"
}

# ---------------------------------------------------------------- pamtester

RUN_N=0
RC=
OUT=
SYSLOG=

prompt_count() {
	[ -n "$OUT" ] && [ -f "$OUT" ] || { echo 0; return; }
	grep -oE -- "$PROMPT_RE" "$OUT" | wc -l | tr -d ' '
}

# Helpers for ANSWER commands (they run while pamtester runs, their output
# is its stdin; each answer must wait for its prompt, as pamtester reads
# whatever is in the pipe at each prompt).

# wait_prompt [N]: until the Nth prompt shows or pamtester ends (status 1)
# (the first prompt, the usual wait: one grep; the Nth: a count)
_prompted() {
	if [ "${1:-1}" = 1 ]; then
		[ -n "$OUT" ] && grep -qE -- "$PROMPT_RE" "$OUT" 2>/dev/null
	else
		[ "$(prompt_count)" -ge "$1" ]
	fi
}
wait_prompt() {
	_i=0
	while ! _prompted "${1:-1}"; do
		_alive "$PAM_PID" || return 1
		[ $_i -ge $((WAIT_TIMEOUT * 20)) ] && return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	# the prompt is written just before pamtester reads; on a terminal,
	# give it time to turn echo off (which flushes pending input)
	sleep 0.05
	[ "${PAM_TTY:-0}" = 1 ] && sleep 0.3
	return 0
}

# wait_sms [N] [LOG]: until the gateway has N requests (status 1 if not)
# (one request: the log is not empty, no fork; more: a count)
_has_sms() {
	if [ "${1:-1}" = 1 ]; then
		[ -s "${2:-$GW_LOG}" ]
	else
		[ "$(sms_count "${2:-$GW_LOG}")" -ge "$1" ]
	fi
}
wait_sms() {
	_i=0
	while ! _has_sms "${1:-1}" "${2:-$GW_LOG}"; do
		[ $_i -ge $((WAIT_TIMEOUT * 20)) ] && return 1
		[ -n "${PAM_PID:-}" ] && ! _alive "$PAM_PID" && return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	return 0
}

# answer TEXT [N]: at the Nth prompt, answer TEXT
answer() {
	wait_prompt "${2:-1}" || return 1
	printf '%s\n' "$1"
}

# answer_code [N] [LOG]: at the Nth prompt, answer the code of the last SMS
answer_code() {
	wait_sms 1 "${2:-$GW_LOG}" || return 1
	wait_prompt "${1:-1}" || return 1
	printf '%s\n' "$(code_from_log "${2:-$GW_LOG}")"
}

# _q WORD: WORD quoted for sh
_q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# pam_run SERVICE USER [ANSWER_CMD]: run pamtester -v SERVICE USER $PAM_OP
# (one or more operations, e.g. "authenticate chauthtok": one handle)
# (default authenticate) under pam_wrapper + nss_wrapper.  ANSWER_CMD is
# shell code whose output is pamtester's stdin (default: none, EOF).
#	PAMTESTER_OPTS  extra pamtester options ("-I rhost=203.0.113.9")
#	PAM_ENV         extra environment ("NAME=value ...", no spaces in values)
#	PAMTESTER       another program taking pamtester's arguments
#	                (tests/pam/handle_driver.c)
#	PAM_TTY=1       run pamtester on a pseudo-terminal (script(1)), so that
#	                echo on/off is visible in the output
# Sets RC (exit status), OUT (stdout+stderr), SYSLOG (the module's log
# lines), ELAPSED_MS.
pam_run() {
	_build_nss_glibc
	_svc=$1
	_user=$2
	_ans=${3:-:}
	RUN_N=$((RUN_N + 1))
	OUT=$C/run$RUN_N.out
	SYSLOG=$C/run$RUN_N.syslog
	_fifo=$C/run$RUN_N.in
	_cmd=$C/run$RUN_N.sh
	rm -f "$_fifo"
	mkfifo "$_fifo" || fail "mkfifo $_fifo"
	_mcb=$C/run$RUN_N
	rm -f "$_mcb".valgrind.* "$_mcb".asan.*
	# The preload is exported only for pamtester: a wrapped shell or env
	# would set up pam_wrapper once more and leave a /tmp/pam.X behind.
	{
		if [ "$PAM_VALGRIND" = 1 ] || [ "$PAM_ASAN" = 1 ]; then
			_memcheck_env "$_mcb"
		else
			echo "export LD_PRELOAD=$(_q "libpam_wrapper.so $NSS_PRELOAD")"
		fi
		echo "export PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$(_q "$C/svc")"
		echo 'export PAM_WRAPPER_DEBUGLEVEL=2'
		echo "export NSS_WRAPPER_PASSWD=$(_q "$C/passwd") NSS_WRAPPER_GROUP=$(_q "$C/group")"
		for _e in ${PAM_ENV:-}; do
			echo "export $(_q "$_e")"
		done
		if [ "$PAM_VALGRIND" = 1 ]; then
			printf 'exec %s-v' "$(_memcheck_cmd "$_mcb")"
		else
			printf 'exec %s -v' "$(_q "${PAMTESTER:-pamtester}")"
		fi
		for _o in ${PAMTESTER_OPTS:-} "$_svc" "$_user" ${PAM_OP:-authenticate}; do
			printf ' %s' "$(_q "$_o")"
		done
		echo
	} > "$_cmd"
	_t0=$(date +%s%N)
	if [ "${PAM_TTY:-0}" = 1 ]; then
		SHELL=/bin/sh script -qec "sh $_cmd" /dev/null < "$_fifo" > "$OUT" 2>&1 &
	else
		sh "$_cmd" < "$_fifo" > "$OUT" 2>&1 &
	fi
	PAM_PID=$!
	_track_pid "$PAM_PID"
	# the answers: a subshell writing into the FIFO
	(eval "$_ans") > "$_fifo" 2> "$C/run$RUN_N.answer.err"
	_i=0
	while _alive "$PAM_PID" && [ $_i -lt $((PAM_TIMEOUT * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if _alive "$PAM_PID"; then
		kill -KILL "$PAM_PID" 2>/dev/null
		echo "pam_run: pamtester killed after ${PAM_TIMEOUT}s" >> "$OUT"
	fi
	wait "$PAM_PID"
	RC=$?
	ELAPSED_MS=$((($(date +%s%N) - _t0) / 1000000))
	# a log line may follow a prompt on the same line: keep from PWRAP_
	sed -n 's/^.*\(PWRAP_[A-Z]*\[[^]]*\] - SYSLOG(\)/\1/p' "$OUT" > "$SYSLOG"
	cat "$SYSLOG" >> "$C/syslog.all"
	rm -f "$_fifo"
	_memcheck_verdict "$_mcb"
	return 0
}

# age_code SECONDS [USER]: USER's (default alice's) kept code SECONDS
# older, as a clock gone on would make it: code_issued moved back in the
# state file under $C/state (0600, rewritten the way the module writes
# it: a new file renamed over it)
age_code() {
	_af=$C/state/$(printf '%s' "${2:-alice}" | sha256sum | cut -c1-64)
	_ai=$(sed -n 's/^code_issued=//p' "$_af")
	[ -n "$_ai" ] || fail "no code_issued= in $_af"
	sed "s/^code_issued=.*/code_issued=$((_ai - $1))/" "$_af" > "$_af.new"
	chmod 0600 "$_af.new"
	mv "$_af.new" "$_af"
}

# The short host name, as {host} expands.
short_host() {
	uname -n | cut -d. -f1
}

# sys_useradd ARGS / sys_userdel NAME: useradd and userdel with a bounded
# retry: tests run in parallel and both lock /etc/passwd for a moment
# ("cannot lock /etc/passwd; try again later", exit 10).
sys_useradd() {
	_i=0
	while ! _e=$(useradd "$@" 2>&1); do
		_i=$((_i + 1))
		case $_e in *lock*) [ $_i -lt 50 ] || { echo "$_e" >&2; return 1; } ;;
		*) echo "$_e" >&2; return 1 ;; esac
		sleep 0.2
	done
}
sys_userdel() {
	_i=0
	while ! _e=$(userdel "$@" 2>&1); do
		_i=$((_i + 1))
		case $_e in *lock*) [ $_i -lt 50 ] || return 1 ;; *) return 1 ;; esac
		sleep 0.2
	done
}
