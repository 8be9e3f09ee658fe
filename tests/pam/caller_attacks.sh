#!/bin/sh
# The caller of a setuid PAM program is the attacker (issue 13, items 1-3):
# through the real setuid sudo 1.9 (and util-linux su), run by a test user,
# no limit the caller sets and no signal the caller sends may
#	1. un-count a wrong code (RLIMIT_FSIZE between the size of the state
#	   file without a kept code and with one: prlimit --fsize=N),
#	2. turn a send into failmode=open's PAM_IGNORE (the send child
#	   stopped or killed while the gateway has the request),
#	3. give back a send that reached the gateway (the send child killed,
#	   or timed out, after the request left): max_sends holds.
# Controls: the same stacks without the attack (three wrong codes lock; a
# provider's own refusal with failmode=open lets the stack go on; sends
# that never connected are given back).
#
# Setup, for the run only (as tests/pam/sudo.sh): a user made with useradd,
# a PAM service /etc/pam.d/smsotp-attack-test-PID and a sudoers drop-in
# /etc/sudoers.d/smsotp-attack-PID that lets the user run only $T/bin/mark
# (which notes that it ran) through that service, one answer per sudo.  The
# su case bind-mounts its service over /etc/pam.d/su inside a private mount
# namespace (unshare); nothing else of the host's PAM is touched.
#
# Needs root.
. "$(dirname "$0")/../lib.sh"
require_module

require_root
for _c in sudo su visudo useradd userdel timeout prlimit pgrep sha256sum; do
	command -v "$_c" >/dev/null 2>&1 || skip "$_c not installed"
done
grep -qE '^[@#]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers 2>/dev/null &&
    [ -d /etc/sudoers.d ] || skip "no /etc/sudoers.d included by /etc/sudoers"

TUSER=smsotp_a$$
SVC=smsotp-attack-test-$$
PAMFILE=/etc/pam.d/$SVC
DROPIN=/etc/sudoers.d/smsotp-attack-$$
PHONE=+447700900123
MARK=$T/bin/mark
RAN=$T/ran.log

MSG_MAX_SENDS='No more SMS codes can be sent for now.'
MSG_NOT_SENT='The SMS code could not be sent.'
MSG_LOCKED='Too many wrong codes: SMS login is locked'
WRONG=nope

# What the script adds to the system, each undone at exit: the test user
# (and what sudo keeps for it), the PAM service file and the drop-in (only
# once the script has checked that they were not there before).
USER_ADDED=
OURS=
_attack_cleanup() {
	_kill_listed "$T/pids"
	[ -n "$OURS" ] && rm -f $OURS
	if [ -n "$USER_ADDED" ]; then
		sys_userdel "$TUSER" 2>/dev/null
		rm -rf "/run/sudo/ts/$TUSER" "/var/lib/sudo/lectured/$TUSER"
	fi
	_cleanup
}
trap _attack_cleanup EXIT

# system_setup: the user, and the right to the two file names
system_setup() {
	if [ -e "$PAMFILE" ] || [ -e "$DROPIN" ] || getent passwd "$TUSER" >/dev/null; then
		echo "FAIL: $PAMFILE, $DROPIN or user $TUSER exists already"
		exit 1
	fi
	OURS="$PAMFILE $DROPIN"
	sys_useradd -M -d /nonexistent -s /bin/sh -c 'pam_smsotp caller attack test' "$TUSER" ||
	    { echo "FAIL: useradd $TUSER"; exit 1; }
	USER_ADDED=1
	TUID=$(id -u "$TUSER")
	TGID=$(id -g "$TUSER")
}
system_setup

# The command sudo may run: it notes its argument (the run's id) in $RAN.
# $T is traversable (not readable) by the user, so that sudo finds it.
chmod 0711 "$T"
mkdir -m 0755 "$T/bin"
printf '#!/bin/sh\nprintf "%%s\\n" "$1" >> %s\n' "$RAN" > "$MARK"
chmod 0755 "$MARK"

printf '%s\n' "# pam_smsotp test $T (removed at exit)" \
    "Defaults:$TUSER pam_service=$SVC" \
    "Defaults:$TUSER passwd_tries=1" \
    "Defaults:$TUSER !lecture" \
    "$TUSER ALL=(root) $MARK" > "$T/sudoers"
visudo -c -q -f "$T/sudoers" || { echo "FAIL: visudo rejects the drop-in"; cat "$T/sudoers"; exit 1; }
install -m 0440 -o root -g root "$T/sudoers" "$DROPIN" || exit 1

# ---------------------------------------------------------------- helpers

# poll SECONDS CONDITION: until the sh code CONDITION holds (0) or SECONDS
# have passed (1), looking every 50 ms
poll() {
	_pn=0
	# (lib.sh's _alive may find a process gone between two looks and
	# say so on stderr: it is looked at again)
	until eval "$2" 2>/dev/null; do
		[ $_pn -ge $(($1 * 20)) ] && return 1
		sleep 0.05
		_pn=$((_pn + 1))
	done
	return 0
}

# attack_conf LIMITS [PROVIDER-KEYS] [TOP-LEVEL...]: the test user's number,
# a configuration with this limits group (state in $C/state) and the
# provider "gw" to the current gateway with the extra keys
attack_conf() {
	_lim=$1
	_pk=${2:-}
	shift
	[ $# -gt 0 ] && shift
	printf '%s %s\nroot %s\n' "$TUSER" "$PHONE" "$PHONE" | write_phones
	LIMITS_GROUP="state_dir = \"$C/state\"; $_lim"
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"json\"; $_pk }"
	std_conf "$@"
}

# attack_service AUTH-LINE...: the PAM service sudo uses for the test user
# (account and session: pam_permit)
attack_service() {
	{
		echo "# pam_smsotp test $T (removed at exit)"
		printf '%s\n' "$@"
		echo "account required $PAM_PERMIT"
		echo "session required $PAM_PERMIT"
	} > "$C/pam.svc"
	install -m 0644 "$C/pam.svc" "$PAMFILE" || fail "install $PAMFILE"
}

# state_path [USER] / state_get KEY [USER]: the user's state file, a value
state_path() {
	printf '%s/state/%s' "$C" "$(printf '%s' "${1:-$TUSER}" | sha256sum | cut -c1-64)"
}
state_get() {
	sed -n "s/^$1=//p" "$(state_path "${2:-}")" 2>/dev/null
}

# locked [USER]: the state holds a lock that has not ended
locked() {
	_lu=$(state_get locked_until "${1:-}")
	[ -n "$_lu" ] && [ "$_lu" -gt "$(date +%s)" ]
}

# ran: whether the last attempt's command ran (its id is in $RAN)
ran() {
	grep -qxF "$RUN_ID" "$RAN" 2>/dev/null
}

# problem TEXT: note a failed expectation; the case goes on so that its
# report shows every one (problems_end fails the case with them)
problem() {
	printf -- '- %s\n' "$*" >> "$C/problems"
}
problems_end() {
	[ -s "$C/problems" ] || return 0
	fail "$(cat "$C/problems")"
}

ATT_N=0
# attempt_start VIA LIMIT ANSWER: in the background, the test user runs
#	sudo -S -k $MARK ID             (VIA sudo, through su USER -c)
#	su -c "$MARK ID" root           (VIA su, in a private mount namespace
#	                                 with $C/su.pam over /etc/pam.d/su)
# under prlimit --fsize=LIMIT (LIMIT "-": no limit); its stdin is what the
# sh code ANSWER prints.  Sets RUN_ID, OUT, ATT_PID (PAM_PID too, for
# lib.sh's waits).
attempt_start() {
	ATT_N=$((ATT_N + 1))
	RUN_ID=c$CASE_N.$ATT_N
	OUT=$C/att$ATT_N.out
	_in=$C/att$ATT_N.in
	rm -f "$_in"
	mkfifo "$_in" || fail "mkfifo $_in"
	_pre=
	[ "$2" != - ] && _pre="prlimit --fsize=$2 "
	# an ASan-built module (make check SANITIZE=1) loads into su only
	# when its runtime does not insist on coming first
	_asan=
	[ "$PAM_ASAN" = 1 ] && _asan=ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
	case $1 in
	sudo)
		timeout -k 5 60 su "$TUSER" -s /bin/sh \
		    -c "exec ${_pre}sudo -S -k $MARK $RUN_ID" < "$_in" > "$OUT" 2>&1 &
		;;
	su)
		# shellcheck disable=SC2016
		timeout -k 5 60 unshare --mount --propagation private sh -c \
		    'mount --bind "$1" /etc/pam.d/su || exit 99; shift; exec "$@"' sh "$C/su.pam" \
		    setpriv --reuid="$TUID" --regid="$TGID" --init-groups \
		    env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin LANG=C $_asan \
		    sh -c "exec ${_pre}su -c '$MARK $RUN_ID' root" < "$_in" > "$OUT" 2>&1 &
		;;
	esac
	ATT_PID=$!
	PAM_PID=$ATT_PID
	_track_pid "$ATT_PID"
	(eval "$3") > "$_in" 2>> "$C/answer.err" &
	ANS_PID=$!
	_track_pid "$ANS_PID"
}

# attempt_end: wait for the attempt (bounded by its timeout); sets RC
attempt_end() {
	# (a shell may report a job killed by a signal: the attempt's
	# output says what happened)
	wait "$ATT_PID" 2>/dev/null
	RC=$?
	wait "$ANS_PID"
	echo "attempt $RUN_ID: exit $RC$(ran && echo ', the command ran'): $(tr '\n' ' ' < "$OUT" | cut -c1-300)"
}

# attempt VIA LIMIT ANSWER: one attempt, to its end
attempt() {
	attempt_start "$@"
	attempt_end
}

# send_child NAME: the PID of the send process: below the attempt, the
# child of the process named NAME (sudo, su) that runs PAM (while the
# gateway holds the request, the only child it has); status 1 when there
# is none
_below() {
	for _bc in $(pgrep -P "$1"); do
		echo "$_bc"
		_below "$_bc"
	done
}
send_child() {
	for _sp in $(_below "$ATT_PID"); do
		_spp=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$_sp/status" 2>/dev/null)
		[ -n "$_spp" ] && [ "$(cat "/proc/$_spp/comm" 2>/dev/null)" = "$1" ] || continue
		echo "$_sp"
		return 0
	done
	return 1
}

# uids PID: real, effective, saved and fs uid of PID
uids() {
	sed -n 's/^Uid:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null | tr -s '\t ' ' '
}

# caller_signal SIG PID: the test user sends SIG to PID (through su, as
# the caller would); sets CALLER_RC (kill's exit status) and CALLER_OUT
caller_signal() {
	CALLER_OUT=$(su "$TUSER" -s /bin/sh -c "kill -s $1 $2" 2>&1)
	CALLER_RC=$?
	echo "caller: kill -s $1 $2: exit $CALLER_RC $CALLER_OUT"
}

# child_state PID: the one-letter state of PID (T: stopped), empty if gone
child_state() {
	sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

# ---------------------------------------------------------------- 1: RLIMIT_FSIZE and the lockout

# fsize_setup VIA: gateway, lockout_after = 3, one answer per attempt, the
# code kept across attempts (resend_after), and the service for VIA
fsize_setup() {
	start_gateway
	attack_conf 'resend_after = 600; max_sends = 100; send_window = 600; lockout_after = 3; lockout_time = 600;' \
	    '' 'max_tries = 1;'
	if [ "$1" = su ]; then
		printf '%s\n' "auth required $MODULE conf=$CONF" \
		    "account required $PAM_PERMIT" "session required $PAM_PERMIT" \
		    "password required $PAM_DENY" > "$C/su.pam"
		chmod 0644 "$C/su.pam"
		FS_USER=root
	else
		attack_service "auth required $MODULE conf=$CONF"
		FS_USER=$TUSER
	fi
}

# fsize_attack VIA [mid]: one wrong code without a limit (it sends the SMS
# and keeps the code), three wrong codes under each of three file-size
# limits between the state file's size without the kept code and with it
# (mid: the middle one only), then the right code under each limit, then
# (once three wrong codes counted) without a limit.  No wrong code may pass; an attempt under a limit either
# counts its wrong code or is refused without a comparison: so the right
# code under a limit is refused too, and once three were counted the user
# is locked.  No temporary file is left in state_dir.
fsize_attack() {
	via=$1
	fsize_setup "$via"
	f=$(state_path "$FS_USER")
	attempt "$via" - "echo $WRONG"
	[ "$RC" != 0 ] || fail "a wrong code without a limit passed"
	assert_sms_count 1
	code=$(code_from_log)
	[ -n "$code" ] || fail "no code in the SMS"
	assert_eq 1 "$(state_get wrong "$FS_USER")" "wrong codes counted after one wrong code"
	with_code=$(wc -c < "$f")
	without=$(grep -v '^code_' "$f" | wc -c)
	lims="$((without + 8)) $(((without + with_code) / 2)) $((with_code - 1))"
	[ "${2:-}" = mid ] && lims=$(((without + with_code) / 2))
	given=1
	echo "state file: $with_code bytes with the kept code, $without without; limits: $lims"
	uncounted=0
	for n in $lims; do
		for _ in 1 2 3; do
			before=$(state_get wrong "$FS_USER")
			attempt "$via" "$n" "echo $WRONG"
			given=$((given + 1))
			[ "$RC" != 0 ] && ! ran || problem "a wrong code passed under fsize=$n (attempt $RUN_ID)"
			after=$(state_get wrong "$FS_USER")
			if [ "$after" = "$before" ] && ! locked "$FS_USER"; then
				uncounted=$((uncounted + 1))
			fi
		done
	done
	assert_sms_count 1
	echo "after $given wrong codes ($uncounted of them under a limit not counted): $(tr '\n' ' ' < "$f")"
	for n in $lims; do
		attempt "$via" "$n" "echo $code"
		if [ "$RC" = 0 ] || ran; then
			problem "the right code passed under fsize=$n after $given wrong codes, $uncounted of them not counted (exit $RC; state: wrong=$(state_get wrong "$FS_USER") locked_until=$(state_get locked_until "$FS_USER"))"
			break
		fi
	done
	# what was counted locks at three, whatever happened under the limits
	k=0
	while ! locked "$FS_USER" && [ $k -lt 3 ]; do
		attempt "$via" - "echo $WRONG"
		[ "$RC" != 0 ] || problem "a wrong code passed without a limit (attempt $RUN_ID)"
		k=$((k + 1))
	done
	locked "$FS_USER" || problem "not locked after three wrong codes counted: $(tr '\n' ' ' < "$f")"
	[ "$(state_get wrong "$FS_USER")" -ge 3 ] 2>/dev/null || locked "$FS_USER" ||
	    problem "the state shows fewer than 3 wrong codes and no lock: $(tr '\n' ' ' < "$f")"
	attempt "$via" - "echo $code"
	if [ "$RC" = 0 ] || ran; then
		problem "the right code passed without a limit once three wrong codes were given (exit $RC)"
	else
		assert_contains "$OUT" "$MSG_LOCKED" "the right code is refused: the user is locked"
	fi
	tmp=
	for t in "$C/state"/*.tmp*; do
		[ -e "$t" ] && tmp="$tmp ${t##*/}"
	done
	[ -z "$tmp" ] || problem "temporary files left in state_dir:$tmp"
	problems_end
}

t_fsize_control() {
	# no limit: three wrong codes lock, the right one is then refused
	fsize_setup sudo
	for k in 1 2 3; do
		attempt sudo - "echo $WRONG"
		[ "$RC" != 0 ] && ! ran || fail "a wrong code passed"
		assert_eq "$k" "$(state_get wrong)" "wrong codes counted"
	done
	locked || fail "not locked after three wrong codes"
	assert_contains "$OUT" "$MSG_LOCKED" "the third wrong code locks"
	attempt sudo - "echo $(code_from_log)"
	[ "$RC" != 0 ] && ! ran || fail "the right code passed while locked"
	assert_contains "$OUT" "$MSG_LOCKED"
	assert_sms_count 1
}
run_case "control, sudo without a limit: three wrong codes lock, the right code is then refused" t_fsize_control

t_fsize_sudo() {
	fsize_attack sudo
}
run_case "sudo under prlimit --fsize (between the state file's sizes): no wrong code uncounted and then the right one accepted; locked at 3; no *.tmp* left" t_fsize_sudo

t_fsize_su() {
	command -v unshare >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 ||
	    skip "unshare or setpriv (util-linux) not installed"
	[ -u "$(command -v su)" ] || skip "su is not setuid"
	unshare --mount --propagation private true 2>/dev/null || skip "no private mount namespace here"
	# (su sleeps a second after each failure: one limit only)
	fsize_attack su mid
}
run_case "util-linux su (its PAM service bind-mounted in a private mount namespace) under prlimit --fsize: the same" t_fsize_su

# ---------------------------------------------------------------- 2: failmode=open and the send child

# failopen_setup PROVIDER-KEYS [MOCK OPTIONS]: a password-plus-code stack
# (pam_permit standing in for the password), the module with failmode=open
failopen_setup() {
	_pk=$1
	shift
	start_gateway "$@"
	attack_conf 'resend_after = 0; max_sends = 100; send_window = 600;' "$_pk" 'max_tries = 1;'
	attack_service "auth required $PAM_PERMIT" "auth required $MODULE conf=$CONF failmode=open"
}

t_failopen_control() {
	# a provider's own refusal (HTTP 500): failmode=open lets the stack
	# go on, sudo runs the command on the "password" alone
	failopen_setup 'retries = 0;' --status 500
	attempt sudo - ':'
	assert_sms_count 1
	[ "$RC" = 0 ] && ran || fail "failmode=open with a refused SMS: expected the command to run (exit $RC)"
}
run_case "control, sudo, failmode=open: a provider's refusal (HTTP 500) lets the stack go on" t_failopen_control

# failopen_signal SIG TIMEOUT: the gateway holds the request; once it has
# it, the caller sends SIG to the send child, then root does (the window
# before the child gives up the caller's uid).  The caller's kill must
# fail (EPERM), and sudo must not run the command.  TIMEOUT (the
# provider's) leaves the signals seconds to land before the child's own
# verdict; a stopped child is waited for that long, and 2 s more.
failopen_signal() {
	failopen_setup "timeout = $2; connect_timeout = 1;" --hang 60
	attempt_start sudo - ':'
	poll "$WAIT_TIMEOUT" '[ "$(sms_count)" -ge 1 ] || ! _alive "$ATT_PID"'
	[ "$(sms_count)" -ge 1 ] || { attempt_end; fail "the gateway got no request"; }
	child=
	poll "$WAIT_TIMEOUT" 'child=$(send_child sudo)' || { attempt_end; fail "no send child found below sudo"; }
	_track_pid "$child"
	child_uids=$(uids "$child")
	echo "send child $child: uids $child_uids"
	caller_signal "$1" "$child"
	[ "$CALLER_RC" != 0 ] || problem "the caller could send SIG$1 to the send child (its uids: real, effective, saved, fs: $child_uids)"
	if _alive "$child" && [ "$(child_state "$child")" != T ]; then
		kill -s "$1" "$child" && echo "root: kill -s $1 $child"
	fi
	attempt_end
	if [ "$RC" = 0 ] || ran; then
		problem "sudo ran the command with the send child $([ "$1" = STOP ] && echo stopped || echo killed): failmode=open applied (exit $RC)"
	fi
	assert_sms_count 1
	problems_end
}

t_failopen_kill() {
	failopen_signal KILL 20
}
run_case "sudo, failmode=open, the send child killed while the gateway holds the request: the caller cannot, and sudo refuses" t_failopen_kill

t_failopen_stop() {
	failopen_signal STOP 6
}
run_case "sudo, failmode=open, the send child stopped while the gateway holds the request: the caller cannot, and sudo refuses" t_failopen_stop

# ---------------------------------------------------------------- 3: max_sends and sends that left

t_max_sends_left() {
	# each request reaches the gateway, which holds it; the send child is
	# then killed (odd attempts: by the caller, or by root where the
	# caller may not) or runs out of its provider timeout (even attempts)
	start_gateway --hang 60
	attack_conf 'resend_after = 0; max_sends = 2; send_window = 600; lockout_after = 0;' \
	    'timeout = 2; connect_timeout = 1; retries = 0;'
	attack_service "auth required $MODULE conf=$CONF"
	for k in 1 2 3 4 5 6; do
		before=$(sms_count)
		attempt_start sudo - ':'
		poll "$WAIT_TIMEOUT" '[ "$(sms_count)" -gt "$before" ] || ! _alive "$ATT_PID"'
		if [ "$(sms_count)" -gt "$before" ] && [ $((k % 2)) = 1 ]; then
			child=
			if poll "$WAIT_TIMEOUT" 'child=$(send_child sudo) || ! _alive "$ATT_PID"' &&
			    [ -n "$child" ]; then
				_track_pid "$child"
				caller_signal KILL "$child"
				[ "$CALLER_RC" = 0 ] || { kill -KILL "$child" && echo "root: kill -KILL $child"; }
			fi
		fi
		attempt_end
		[ "$RC" != 0 ] && ! ran || problem "attempt $k passed without a code (exit $RC)"
		if [ $k -ge 3 ] && [ "$(sms_count)" != "$before" ]; then
			problem "attempt $k sent an SMS (the gateway has $(sms_count))"
		elif [ $k -ge 3 ] && ! grep -qF "$MSG_MAX_SENDS" "$OUT"; then
			problem "attempt $k is not told that max_sends is reached"
		fi
	done
	echo "state: $(tr '\n' ' ' < "$(state_path)")"
	[ "$(sms_count)" -le 2 ] || problem "the gateway received $(sms_count) SMS with max_sends = 2"
	problems_end
}
run_case "sudo, max_sends = 2, each send child killed or timed out after the gateway got the request: at most 2 SMS, then the max_sends refusal" t_max_sends_left

t_max_sends_closed() {
	# control: sends that never connected are given back: four against a
	# closed port, then the two that max_sends = 2 allows still go out
	start_gateway
	gw_port=$GW_PORT
	GW_PORT=$(closed_port)
	attack_conf 'resend_after = 0; max_sends = 2; send_window = 600; lockout_after = 0;' \
	    'timeout = 3; connect_timeout = 2;'
	attack_service "auth required $MODULE conf=$CONF"
	for k in 1 2 3 4; do
		attempt sudo - ':'
		[ "$RC" != 0 ] && ! ran || fail "attempt $k passed with no SMS sent"
		assert_contains "$OUT" "$MSG_NOT_SENT" "attempt $k: the SMS could not be sent"
	done
	GW_PORT=$gw_port
	attack_conf 'resend_after = 0; max_sends = 2; send_window = 600; lockout_after = 0;'
	for k in 1 2; do
		attempt sudo - "wait_sms $k && wait_prompt && code_from_log"
		assert_sms_count "$k"
		[ "$RC" = 0 ] && ran || fail "the right code of SMS $k was refused (exit $RC)"
	done
	attempt sudo - ':'
	[ "$RC" != 0 ] && ! ran || fail "a third attempt passed"
	assert_sms_count 2
	assert_contains "$OUT" "$MSG_MAX_SENDS" "the third send is over max_sends"
}
run_case "control, sudo, max_sends = 2: four sends to a closed port are given back, two SMS then go out" t_max_sends_closed

finish
