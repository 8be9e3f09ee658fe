#!/bin/sh
# A lookup that fails is never "nothing found": with nullok, an account
# lookup that errs (a name service that is down answers ENOENT or EIO) and
# a phones.command that fails (exit 1 included) refuse the login, with no
# prompt and no SMS, instead of letting it pass with PAM_IGNORE; the log
# says why, with the command's first line of standard error, sanitized.
#
# The stack tells PAM_IGNORE apart (as in no_number_failmode.sh):
#	auth [success=done ignore=ignore default=die] pam_smsotp.so ... nullok
#	auth optional pam_echo.so REACHED-NEXT-MODULE
#	auth required pam_permit.so
# getpwnam_r fails on demand through tests/nss_glibc.c (NSS_GLIBC_FAIL).
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

MARKER=REACHED-NEXT-MODULE

# nullok_stack: the service smsotp with nullok, PAM_IGNORE visible
nullok_stack() {
	service smsotp \
	    "auth [success=done ignore=ignore default=die] $MODULE conf=$CONF nullok" \
	    "auth optional $PAM_ECHO $MARKER" \
	    "auth required $PAM_PERMIT"
}

# refused_closed RESULT: the last login failed with RESULT before any
# prompt, never reached the next module, sent nothing
refused_closed() {
	assert_result "$1"
	assert_not_contains "$OUT" "$MARKER" "not PAM_IGNORE: the next module never ran"
	assert_not_prompted
	assert_sms_count 0
}

# ---------------------------------------------------------------- accounts

t_unknown_passes() {
	# the control: a name glibc does not find (0, no entry) is an unknown
	# user, and nullok lets it pass
	std_setup
	nullok_stack
	pam_run smsotp mallory
	assert_rc 0
	assert_contains "$OUT" "$MARKER" "PAM_IGNORE: the next module ran"
	assert_contains "$SYSLOG" "result=unknown user, nullok"
}
run_case "nullok, a name the system does not know: PAM_IGNORE (the control)" t_unknown_passes

# lookup_fails USER ERRNO TEXT: USER's getpwnam_r answers ERRNO
lookup_fails() {
	std_setup
	nullok_stack
	PAM_ENV="NSS_GLIBC_FAIL=$1:$2" pam_run smsotp "$1" 'answer 000000'
	refused_closed AUTHINFO_UNAVAIL
	assert_contains "$SYSLOG" "cannot look up user $1: $3" "the log says the lookup failed, and why"
	assert_contains "$SYSLOG" "result=user lookup failed"
	assert_not_contains "$SYSLOG" "nullok"
}

t_lookup_enoent() { lookup_fails mallory ENOENT "No such file or directory"; }
run_case "nullok, getpwnam_r fails with ENOENT (sssd down): refused, not PAM_IGNORE" t_lookup_enoent

t_lookup_eio_known() { lookup_fails alice EIO "Input/output error"; }
run_case "nullok, getpwnam_r fails with EIO for a user with a number: refused, no SMS" t_lookup_eio_known

t_lookup_no_nullok() {
	std_setup
	PAM_ENV="NSS_GLIBC_FAIL=bob:ESRCH" pam_run smsotp bob 'answer 000000'
	refused_closed AUTHINFO_UNAVAIL
	assert_contains "$SYSLOG" "cannot look up user bob"
}
run_case "without nullok, getpwnam_r fails: refused before the prompt" t_lookup_no_nullok

# ---------------------------------------------------------------- phones.command

# prog NAME BODY: an executable /bin/sh program $C/NAME (0755)
prog() {
	printf '#!/bin/sh\n%s\n' "$2" > "$C/$1"
	chmod 0755 "$C/$1"
}

# command_setup BODY: alice (no line in the phones file) gets her number
# from $C/number.sh with BODY; nullok
command_setup() {
	std_setup
	: | write_phones
	prog number.sh "$1"
	PHONES_GROUP="file = \"$C/phones\"; command = \"$C/number.sh\";" std_conf
	nullok_stack
}

t_command_none() {
	# the control: exit 0 and nothing printed is "no number"
	command_setup 'echo "no entry for $1" >&2; exit 0'
	pam_run smsotp alice
	assert_rc 0
	assert_contains "$OUT" "$MARKER" "PAM_IGNORE: the next module ran"
	assert_contains "$SYSLOG" "result=no number, nullok"
}
run_case "nullok, phones.command exits 0 printing nothing: no number, PAM_IGNORE (the control)" t_command_none

t_command_exit1() {
	command_setup 'echo "ldap: server down" >&2; echo "more detail" >&2; exit 1'
	pam_run smsotp alice 'answer 000000'
	refused_closed SERVICE_ERR
	assert_contains "$SYSLOG" "phones: $C/number.sh: exited with status 1: ldap: server down" \
	    "the log has the command's first line of stderr"
	assert_not_contains "$SYSLOG" "more detail" "never more than its first line"
	assert_contains "$SYSLOG" "result=number lookup failed"
}
run_case "nullok, phones.command exits 1 (directory down): refused with its stderr, not PAM_IGNORE" t_command_exit1

t_command_killed() {
	command_setup 'echo "segfault in libldap" >&2; kill -SEGV $$'
	pam_run smsotp alice 'answer 000000'
	refused_closed SERVICE_ERR
	assert_contains "$SYSLOG" "$C/number.sh: killed by signal 11: segfault in libldap"
}
run_case "nullok, phones.command killed by a signal: refused" t_command_killed

t_command_escapes() {
	command_setup 'printf "ldap\033[2J\033[31m: down\033]0;pwned\007 now\302\2331m!\033[0m\r\n" >&2; exit 2'
	pam_run smsotp alice 'answer 000000'
	refused_closed SERVICE_ERR
	assert_contains "$SYSLOG" "$C/number.sh: exited with status 2: ldap: down now!" \
	    "escape sequences and C1 controls stripped from the stderr line"
	assert_not_contains "$SYSLOG" "pwned" "an OSC title goes with its sequence"
	assert_eq 0 "$(grep -c "$(printf '\033')" "$SYSLOG")" "no raw ESC in the log"
	assert_eq 0 "$(grep -c "$(printf '\302\233')" "$SYSLOG")" "no C1 CSI in the log"
}
run_case "phones.command's stderr with escape sequences: stripped in the log" t_command_escapes

finish
