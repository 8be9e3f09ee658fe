#!/bin/sh
# `groups`: who gets the SMS challenge, by the groups NSS gives the account
# (nss_wrapper's group file, $C/group): a member of a listed group gets it,
# a non-member and a member of an exempt `!group` get PAM_IGNORE with no
# prompt, no SMS and one info line in the log; a primary group counts as a
# membership; an unknown user is never skipped (the same prompt as anyone,
# no SMS); the argument form (comma-separated) does the same; a group
# lookup that fails refuses the login (never "in no group"), and a listed
# group that NSS cannot find keeps the challenge for a non-member.
#
# The stack tells PAM_IGNORE apart (as in lookup_errors.sh):
#	auth [success=done ignore=ignore default=die] pam_smsotp.so ...
#	auth optional pam_echo.so REACHED-NEXT-MODULE
#	auth required pam_permit.so
# The rule itself is a table in tests/unit/test_policy.c (test_groups).
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

MARKER=REACHED-NEXT-MODULE

# setup [ARGS] [CONF LINE]: the gateway; alice (sms-users as a supplementary
# group), carol (sms-users as her primary group only), dave (sms-users and
# the exempt admins), erin (neither), each with a number; the service
# smsotp with ARGS, the PAM_IGNORE-visible stack.
setup() {
	start_gateway
	{
		echo "alice:x:2001:2000:alice:/home/alice:/bin/sh"
		echo "carol:x:2002:3000:carol:/home/carol:/bin/sh"
		echo "dave:x:2003:2000:dave:/home/dave:/bin/sh"
		echo "erin:x:2004:2000:erin:/home/erin:/bin/sh"
	} >> "$C/passwd"
	{
		echo "sms-users:x:3000:alice,dave"
		echo "admins:x:3001:dave"
		echo "staff:x:3002:alice,carol,dave,erin"
	} >> "$C/group"
	printf 'alice +447700900123\ncarol +447700900124\ndave +447700900125\nerin +447700900126\n' |
	    write_phones
	PHONES=$C/phones
	std_conf ${2:+"$2"}
	service smsotp \
	    "auth [success=done ignore=ignore default=die] $MODULE conf=$CONF${1:+ $1}" \
	    "auth optional $PAM_ECHO $MARKER" \
	    "auth required $PAM_PERMIT"
}

# challenged USER: USER got the prompt and an SMS, and the right code
# logged in through this module (the next one never ran)
challenged() {
	pam_run smsotp "$1" 'answer_code'
	assert_login_ok
	assert_not_contains "$OUT" "$MARKER" "success=done: the next module never ran"
}

# skipped USER: PAM_IGNORE, no prompt, no SMS, one info line in the log
skipped() {
	n=$(sms_count)
	pam_run smsotp "$1" 'answer 000000'
	assert_rc 0
	assert_contains "$OUT" "$MARKER" "PAM_IGNORE: the next module ran"
	assert_not_prompted
	assert_eq "$n" "$(sms_count)" "no SMS for a skipped user"
	assert_eq 1 "$(grep -c 'SYSLOG(' "$SYSLOG")" "one log line for a skipped user"
	assert_match "$SYSLOG" "SYSLOG\\((LOG_)?(INFO|DEBUG|6|7)\\).*user=$1 .*result=not challenged \\(groups\\), skipped" \
	    "the line is info (or debug) and says why"
}

t_member() {
	setup "" 'groups = ["sms-users"];'
	challenged alice
}
run_case "groups = [\"sms-users\"]: a member (supplementary group) gets the challenge" t_member

t_non_member() {
	setup "" 'groups = ["sms-users"];'
	skipped erin
}
run_case "groups = [\"sms-users\"]: a non-member gets PAM_IGNORE, no prompt, no SMS, one info line" t_non_member

t_primary() {
	setup "" 'groups = ["sms-users"];'
	challenged carol
}
run_case "groups = [\"sms-users\"]: sms-users as the primary group only counts" t_primary

t_exempt() {
	setup "" 'groups = ["sms-users", "!admins"];'
	skipped dave
	challenged alice
	skipped erin
}
run_case "groups = [\"sms-users\", \"!admins\"]: an admins member is skipped though in sms-users" t_exempt

t_only_exempt() {
	setup "" 'groups = ["!admins"];'
	skipped dave
	challenged erin
}
run_case "groups = [\"!admins\"]: everyone but admins gets the challenge" t_only_exempt

t_unknown() {
	setup "" 'groups = ["sms-users"];'
	pam_run smsotp mallory 'answer 123456'
	assert_result USER_UNKNOWN AUTH_ERR
	assert_prompted
	assert_contains "$OUT" "SMS code sent to +44*******" "the same prompt as for anyone"
	assert_not_contains "$OUT" "$MARKER" "not PAM_IGNORE: the next module never ran"
	assert_sms_count 0
	assert_not_contains "$SYSLOG" "skipped"
}
run_case "an unknown user is never skipped: the same prompt, no SMS, refused" t_unknown

t_argument() {
	setup "groups=sms-users,!admins"
	challenged alice
	skipped dave
	skipped erin
	challenged carol
}
run_case "argument groups=sms-users,!admins: the same as the file's list" t_argument

t_argument_overrides() {
	setup "groups=admins" 'groups = ["sms-users"];'
	skipped alice
	challenged dave
}
run_case "argument groups=admins overrides the file's groups" t_argument_overrides

t_ignore_never_success() {
	setup "" 'groups = ["sms-users"];'
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp erin
	assert_ne 0 "$RC" "a skipped user alone in the stack must not log in"
	assert_not_prompted
	assert_sms_count 0
}
run_case "PAM_IGNORE is never PAM_SUCCESS: alone in the stack a skipped user is refused" t_ignore_never_success

t_lookup_fails() {
	setup "" 'groups = ["sms-users", "!admins"];'
	PAM_ENV="NSS_GLIBC_FAIL_GID=3001:EIO" pam_run smsotp dave 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_contains "$OUT" "$MARKER" "not PAM_IGNORE: the next module never ran"
	assert_not_prompted
	assert_sms_count 0
	assert_contains "$SYSLOG" "cannot look up the groups of dave"
	assert_contains "$SYSLOG" "result=group lookup failed"
}
run_case "a group lookup that fails (getgrgid_r EIO): refused, never \"in no group\"" t_lookup_fails

t_unresolved() {
	# "ghosts" is in no group file: the directory might be down (sssd
	# leaves its groups out of a user's list without an error)
	setup "" 'groups = ["sms-users", "ghosts"];'
	challenged erin
	assert_contains "$SYSLOG" "groups: cannot look up group ghosts (no such group): erin gets the challenge"
	# found and naming nobody: the skip is sure again
	printf 'ghosts:x:3009:\n' >> "$C/group"
	skipped erin
}
run_case "a listed group NSS cannot find: a non-member keeps the challenge (never skipped unsure), with a warning" t_unresolved

t_unset() {
	setup
	challenged erin
}
run_case "groups unset: everyone gets the challenge" t_unset

finish
