#!/bin/sh
# SMS-gated password change against the real pam_unix and a real account
# (useradd, removed at exit), without pam_wrapper:
#  - pamtester chauthtok with a service /etc/pam.d/smsotp-passwd-test-PID
#    made from examples/pam.d-passwd (pam_smsotp requisite before
#    @include common-password);
#  - the real passwd program in a private mount namespace (unshare --mount)
#    where a copy of /etc/pam.d, its passwd file replaced by the example,
#    is bind-mounted over /etc/pam.d (the host's /etc/pam.d is not changed);
#  - pamtester authenticate chauthtok on one handle: one SMS for both;
#  - the reset service examples/pam.d-smsotp-reset: the code alone
#    authenticates.
# Right code: the shadow hash changes; wrong code: it does not, and the
# change fails; one SMS per run.
#
# Needs root.
. "$(dirname "$0")/../lib.sh"
require_module

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (pam_unix writes /etc/shadow; /etc/pam.d files; useradd)"; exit 77; }
for _c in pamtester passwd useradd userdel getent timeout; do
	command -v "$_c" >/dev/null 2>&1 || { echo "SKIP: $_c not installed"; exit 77; }
done

TUSER=smsotp_p$$
SVC=smsotp-passwd-test-$$
RSVC=smsotp-reset-test-$$
PHONE=+447700900123
NEWPW='Xq7#vLp2-smsotp'

USER_ADDED=
_passwd_cleanup() {
	_kill_listed "$T/pids"
	rm -f "/etc/pam.d/$SVC" "/etc/pam.d/$RSVC"
	[ -n "$USER_ADDED" ] && sys_userdel "$TUSER" 2>/dev/null
	_cleanup
}
trap _passwd_cleanup EXIT

for f in "/etc/pam.d/$SVC" "/etc/pam.d/$RSVC"; do
	[ -e "$f" ] && { echo "FAIL: $f exists already"; exit 1; }
done
getent passwd "$TUSER" >/dev/null && { echo "FAIL: user $TUSER exists already"; exit 1; }
sys_useradd -M -d /nonexistent -s /bin/sh -c 'pam_smsotp passwd test' "$TUSER" || {
	echo "FAIL: useradd $TUSER"
	exit 1
}
USER_ADDED=1

# example FILE: the example with the module's absolute path and conf=
example() {
	sed -e "s|pam_smsotp.so|$MODULE conf=$CONF|" "$ROOT/examples/$1"
}

setup() {
	start_gateway
	printf '%s %s\n' "$TUSER" "$PHONE" | write_phones
	PHONES=$C/phones
	std_conf
	# a fresh, known password each case
	printf '%s:%s\n' "$TUSER" 'Old-pass-123' | chpasswd || fail "chpasswd"
}

shadow_hash() {
	getent shadow "$TUSER" | cut -d: -f2
}

# count PATTERN: occurrences of PATTERN (ERE) in $OUT
count() {
	grep -oE -- "$1" "$OUT" 2>/dev/null | wc -l | tr -d ' '
}

# wait_for PATTERN N: until PATTERN shows N times in $OUT (bounded)
wait_for() {
	_i=0
	while [ "$(count "$1")" -lt "$2" ]; do
		[ $_i -ge $((WAIT_TIMEOUT * 20)) ] && return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	sleep 0.1
}

# run_fed "ANSWER STEPS" CMD...: run CMD with its stdin a FIFO fed by the
# steps (shell code using wait_for/wait_sms and printf); sets RC, OUT
run_fed() {
	_steps=$1
	shift
	RUN_N=$((RUN_N + 1))
	OUT=$C/run$RUN_N.out
	: > "$OUT"
	rm -f "$C/in"
	mkfifo "$C/in" || fail "mkfifo"
	(eval "$_steps") > "$C/in" 2> "$C/run$RUN_N.feed.err" &
	_track_pid $!
	timeout -k 5 60 "$@" < "$C/in" > "$OUT" 2>&1
	RC=$?
}

CODE_STEP='wait_sms && wait_for "SMS code sent to" 1 && printf "%s\n" "$(code_from_log)"'
# a wrong code at each of the max_tries (3) prompts: an end of input would
# count as empty answers, which ask for a resend (resend_after = 0 here)
WRONG_STEP='wait_sms && wait_for "SMS code sent to" 1 && printf "000000x\n" && wait_for "SMS code sent to" 2 && printf "000000y\n" && wait_for "SMS code sent to" 3 && printf "000000z\n"'
NEWPW_STEPS='wait_for "[Nn]ew password" 1 && printf "%s\n" "$NEWPW" && wait_for "[Nn]ew password" 2 && printf "%s\n" "$NEWPW"'

install_passwd_svc() {
	example pam.d-passwd > "$C/svc.passwd"
	grep -q "^password.*requisite.*$MODULE conf=$CONF" "$C/svc.passwd" ||
	    fail "examples/pam.d-passwd did not give the password line"
	install -m 0644 "$C/svc.passwd" "/etc/pam.d/$SVC" || fail "install /etc/pam.d/$SVC"
}

t_pamtester_right() {
	setup
	install_passwd_svc
	before=$(shadow_hash)
	run_fed "$CODE_STEP && $NEWPW_STEPS" pamtester -v "$SVC" "$TUSER" chauthtok
	[ "$RC" = 0 ] || fail "pamtester chauthtok with the right code: exit $RC"
	assert_ne "$before" "$(shadow_hash)" "the shadow hash changed"
	assert_sms_count 1
	assert_eq "$PHONE" "$(log_get 'to(r)')" "the SMS went to the user's number"
}
run_case "pamtester chauthtok (examples/pam.d-passwd), right code: password changed, one SMS" t_pamtester_right

t_pamtester_wrong() {
	setup
	install_passwd_svc
	before=$(shadow_hash)
	run_fed "$WRONG_STEP" pamtester -v "$SVC" "$TUSER" chauthtok
	[ "$RC" != 0 ] || fail "pamtester chauthtok with a wrong code: exit 0"
	assert_eq "$before" "$(shadow_hash)" "the shadow hash is unchanged"
	assert_eq 0 "$(count '[Nn]ew password')" "no new password asked for after a wrong code"
	assert_sms_count 1
}
run_case "pamtester chauthtok, wrong code: password unchanged, one SMS" t_pamtester_wrong

# passwd_ns: the real passwd in a private mount namespace, with a copy of
# /etc/pam.d whose passwd file is examples/pam.d-passwd
passwd_ns() {
	command -v unshare >/dev/null 2>&1 || skip "unshare not installed"
	rm -rf "$C/pam.d"
	cp -a /etc/pam.d "$C/pam.d" || fail "copy /etc/pam.d"
	example pam.d-passwd > "$C/pam.d/passwd"
	unshare --mount --propagation private true 2>/dev/null ||
	    skip "unshare --mount does not work here (no CAP_SYS_ADMIN in this container?)"
	run_fed "$1" unshare --mount --propagation private sh -c \
	    'mount --bind "$1" /etc/pam.d && exec passwd "$2"' sh "$C/pam.d" "$TUSER"
	grep -qF "$MODULE" /etc/pam.d/passwd && fail "the host's /etc/pam.d/passwd shows the test's file"
	return 0
}

t_passwd_right() {
	setup
	before=$(shadow_hash)
	passwd_ns "$CODE_STEP && $NEWPW_STEPS"
	[ "$RC" = 0 ] || fail "passwd with the right code: exit $RC"
	assert_ne "$before" "$(shadow_hash)" "the shadow hash changed"
	assert_contains "$OUT" "password updated successfully"
	assert_sms_count 1
}
run_case "real passwd (unshare, examples/pam.d-passwd), right code: password changed, one SMS" t_passwd_right

t_passwd_wrong() {
	setup
	before=$(shadow_hash)
	passwd_ns "$WRONG_STEP"
	[ "$RC" != 0 ] || fail "passwd with a wrong code: exit 0"
	assert_eq "$before" "$(shadow_hash)" "the shadow hash is unchanged"
	assert_eq 0 "$(count '[Nn]ew password')" "no new password asked for after a wrong code"
	assert_sms_count 1
}
run_case "real passwd, wrong code: password unchanged, one SMS" t_passwd_wrong

t_auth_then_chauthtok() {
	setup
	{
		echo "auth required $MODULE conf=$CONF"
		echo "account required $PAM_PERMIT"
		example pam.d-passwd
	} > "$C/svc.both"
	install -m 0644 "$C/svc.both" "/etc/pam.d/$SVC" || fail "install"
	before=$(shadow_hash)
	run_fed "$CODE_STEP && $NEWPW_STEPS" pamtester -v "$SVC" "$TUSER" authenticate chauthtok
	[ "$RC" = 0 ] || fail "pamtester authenticate chauthtok: exit $RC"
	assert_eq 1 "$(count 'SMS code sent to')" "one code prompt for the whole handle"
	assert_sms_count 1
	assert_ne "$before" "$(shadow_hash)" "the shadow hash changed"
}
run_case "authenticate then chauthtok on one handle: one SMS, password changed" t_auth_then_chauthtok

t_reset_service() {
	setup
	example pam.d-smsotp-reset > "$C/svc.reset"
	grep -q "^auth.*required.*$MODULE conf=$CONF" "$C/svc.reset" ||
	    fail "examples/pam.d-smsotp-reset did not give the auth line"
	install -m 0644 "$C/svc.reset" "/etc/pam.d/$RSVC" || fail "install"
	run_fed "$CODE_STEP" pamtester -v "$RSVC" "$TUSER" authenticate acct_mgmt
	[ "$RC" = 0 ] || fail "reset service with the right code: exit $RC"
	assert_sms_count 1
	run_fed "$WRONG_STEP" pamtester -v "$RSVC" "$TUSER" authenticate
	[ "$RC" != 0 ] || fail "reset service with a wrong code: exit 0"
	assert_sms_count 2
}
run_case "reset service (examples/pam.d-smsotp-reset): the code alone authenticates" t_reset_service

finish
