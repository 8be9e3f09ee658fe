#!/bin/sh
# The real, setuid sudo asking for an SMS code.  Installs, for the run only,
# a PAM service /etc/pam.d/smsotp-sudo-test-PID (from examples/pam.d-sudo:
# its @include common-auth is left out, the test user has no password) and
# a sudoers drop-in /etc/sudoers.d/smsotp-test-PID (from
# examples/sudoers.d-smsotp, checked with visudo -c -f), for a user made
# with useradd; all three are removed at exit.  /etc/pam.d/sudo and
# /etc/sudoers are not touched.
#
# su USER -c 'sudo -S -k /usr/bin/true' reads the code from its stdin, a
# FIFO that a helper writes to once the SMS has reached the mock gateway.
#
# Cases: the right code: exit 0; a wrong code: non-zero; exactly one SMS
# to the user's number per run, in the example's [template=...].
#
# Needs root.
. "$(dirname "$0")/../lib.sh"
require_module

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (setuid sudo, /etc/pam.d and /etc/sudoers.d files, useradd)"; exit 77; }
for _c in sudo su visudo useradd userdel timeout; do
	command -v "$_c" >/dev/null 2>&1 || { echo "SKIP: $_c not installed"; exit 77; }
done
[ -d /etc/sudoers.d ] || { echo "SKIP: no /etc/sudoers.d"; exit 77; }
grep -qE '^[@#]includedir[[:space:]]+/etc/sudoers.d' /etc/sudoers 2>/dev/null ||
    { echo "SKIP: /etc/sudoers does not include /etc/sudoers.d"; exit 77; }

TUSER=smsotp_u$$
SVC=smsotp-sudo-test-$$
PAMFILE=/etc/pam.d/$SVC
DROPIN=/etc/sudoers.d/smsotp-test-$$
PHONE=+447700900123
HOST=$(short_host)
# the example's template: [template=sudo on {host}: {code}]
CODE_RE='^sudo on [^:]*: (\S+)$'

USER_ADDED=
_sudo_cleanup() {
	_kill_listed "$T/pids"
	rm -f "$DROPIN" "$PAMFILE"
	if [ -n "$USER_ADDED" ]; then
		sys_userdel "$TUSER" 2>/dev/null
		rm -rf "/run/sudo/ts/$TUSER" "/var/lib/sudo/lectured/$TUSER"
	fi
	_cleanup
}
trap _sudo_cleanup EXIT

for f in "$PAMFILE" "$DROPIN"; do
	[ -e "$f" ] && { echo "FAIL: $f exists already"; exit 1; }
done
getent passwd "$TUSER" >/dev/null && { echo "FAIL: user $TUSER exists already"; exit 1; }
sys_useradd -M -d /nonexistent -s /bin/sh -c 'pam_smsotp sudo test' "$TUSER" || {
	echo "FAIL: useradd $TUSER"
	exit 1
}
USER_ADDED=1

# The sudoers drop-in: the example, for our user and service, and only
# /usr/bin/true as root.
sed -e "s/\\balice\\b/$TUSER/g" -e "s/pam_service=sudo-smsotp/pam_service=$SVC/" \
    -e 's|ALL=(ALL:ALL) ALL$|ALL=(root) /usr/bin/true|' \
    "$ROOT/examples/sudoers.d-smsotp" > "$T/sudoers"
grep -q "pam_service=$SVC" "$T/sudoers" && grep -q "^$TUSER ALL=(root) /usr/bin/true" "$T/sudoers" ||
    { echo "FAIL: examples/sudoers.d-smsotp did not give the expected lines:"; cat "$T/sudoers"; exit 1; }
visudo -c -q -f "$T/sudoers" || { echo "FAIL: visudo rejects the drop-in"; cat "$T/sudoers"; exit 1; }
install -m 0440 -o root -g root "$T/sudoers" "$DROPIN" || exit 1
visudo -c -q -f "$DROPIN" || { echo "FAIL: visudo rejects $DROPIN"; exit 1; }

# setup_sudo: gateway, phones, configuration and the PAM service from
# examples/pam.d-sudo (module by its absolute path, conf=...)
setup_sudo() {
	start_gateway
	printf '%s %s\n' "$TUSER" "$PHONE" | write_phones
	PHONES=$C/phones
	std_conf
	{
		echo "# pam_smsotp test $T (removed at exit)"
		sed -e 's/^@include common-auth/# &/' \
		    -e "s|pam_smsotp.so|$MODULE conf=$CONF|" "$ROOT/examples/pam.d-sudo"
		echo "account required $PAM_PERMIT"
		echo "session required $PAM_PERMIT"
	} > "$C/pam.svc"
	grep -q "^auth.*required.*$MODULE conf=$CONF \\[template=" "$C/pam.svc" ||
	    fail "examples/pam.d-sudo did not give the auth line: $(cat "$C/pam.svc")"
	install -m 0644 "$C/pam.svc" "$PAMFILE" || fail "install $PAMFILE"
}

# sudo_run right|wrong: su to the user, sudo -S -k /usr/bin/true, its stdin
# a FIFO fed with the code (or a wrong one) once this run's SMS arrived
# (one more request than the gateway had before the run)
sudo_run() {
	_mode=$1
	_want=$(( $(sms_count) + 1 ))
	rm -f "$C/in"
	mkfifo "$C/in" || fail "mkfifo"
	(
		_i=0
		while [ "$(sms_count)" -lt "$_want" ] && [ $_i -lt $((WAIT_TIMEOUT * 20)) ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
		if [ "$_mode" = right ]; then
			printf '%s\n' "$(code_from_log)"
		else
			printf '000000x\n'
		fi
	) > "$C/in" &
	_track_pid $!
	timeout -k 5 60 su "$TUSER" -s /bin/sh -c 'sudo -S -k /usr/bin/true' \
	    < "$C/in" > "$C/sudo.out" 2>&1
	RC=$?
	OUT=$C/sudo.out
	PROMPT_RE='SMS code sent to'
}

t_right() {
	setup_sudo
	sudo_run right
	[ "$RC" = 0 ] || fail "sudo with the right code: exit $RC, expected 0"
	assert_sms_count 1
	assert_eq "$PHONE" "$(log_get 'to(r)')" "the SMS went to the user's number"
	code=$(code_from_log)
	assert_str_match "$code" '^[0-9]{6}$' "a code in the example's template"
	assert_eq "sudo on $HOST: $code" "$(sms_text)" "the example's [template=sudo on {host}: {code}]"
	assert_prompted
	assert_not_contains "$OUT" "$code" "the code is not echoed"
}
run_case "sudo, right code from the SMS: exit 0, one SMS to the user's number" t_right

t_wrong() {
	setup_sudo
	sudo_run wrong
	[ "$RC" != 0 ] || fail "sudo with a wrong code: exit 0"
	assert_sms_count 1
	assert_eq "$PHONE" "$(log_get 'to(r)')" "the SMS went to the user's number"
	assert_prompted
	# sudo passes PAM_SILENT: errors about the answer must still show
	assert_contains "$OUT" "Wrong code" "sudo shows that the code was wrong"
}
run_case "sudo, wrong code: refused, one SMS" t_wrong

t_again() {
	# two sudo runs, each its own handle: one SMS each, to the same number
	setup_sudo
	sudo_run right
	[ "$RC" = 0 ] || fail "first sudo: exit $RC"
	assert_sms_count 1
	sudo_run right
	# the first code is reused inside resend_after? std_conf sets 0: a new one
	[ "$RC" = 0 ] || fail "second sudo: exit $RC"
	assert_sms_count 2
}
run_case "sudo twice: one SMS per run, both succeed" t_again

finish
