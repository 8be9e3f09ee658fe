#!/bin/sh
# Users who get no SMS (an unknown name, a user without a number) go
# through the same rules as a real user, over a stand-in record: a second
# login inside resend_after is asked for the code "sent N s ago", wrong
# codes lock, max_sends ends the sends, each with the text a real user
# sees (the PAM result is theirs: USER_UNKNOWN or AUTH_ERR).  Each case runs the same logins for alice (a real user) and for
# the stand-in, and compares what the user saw, digits aside.  Storage of
# the stand-in records is bounded (STATE_STAND_IN_SLOTS slot files).
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# seen: what the last run showed its user through the conversation (no
# log lines, none of pamtester's own: the PAM result differs as the
# contract says, USER_UNKNOWN or AUTH_ERR), with digits as '#'
seen() {
	grep -v 'PWRAP_' "$OUT" | grep -v '^pamtester: ' | tr '0-9' '#'
}

# flow WHO LIMITS ANSWERS...: one login of WHO per ANSWERS, in a fresh
# folder state; prints what each login showed, separated by "--"
flow() {
	_who=$1
	_lim=$2
	shift 2
	LIMITS_GROUP="state_dir = \"$C/state-$_who\"; $_lim"
	std_conf 'max_tries = 1;'
	service smsotp "auth required $MODULE conf=$CONF"
	for _a in "$@"; do
		pam_run smsotp "$_who" "$_a"
		seen
		echo "-- rc=$RC"
	done
}

same_as_alice() {
	_lim=$1
	shift
	flow alice "$_lim" "$@" > "$C/alice.seen"
	for who in bob mallory; do
		flow "$who" "$_lim" "$@" > "$C/$who.seen"
		assert_eq "$(cat "$C/alice.seen")" "$(cat "$C/$who.seen")" \
		    "what $who saw, beside what alice saw"
	done
}

t_reuse() {
	std_setup
	same_as_alice 'resend_after = 600;' 'answer 000000' 'answer 000000'
	assert_contains "$C/mallory.seen" 'Enter the code sent' "the reuse notice"
	assert_sms_count 1	# alice's only
}
run_case "a second login inside resend_after: 'Enter the code sent N s ago' for a stand-in too" t_reuse

t_lock() {
	std_setup
	same_as_alice 'resend_after = 0; lockout_after = 3;' \
	    'answer 000000' 'answer 000000' 'answer 000000' 'answer 000000'
	assert_contains "$C/mallory.seen" "Too many wrong codes: SMS login is locked for" "the lock text"
}
run_case "lockout_after wrong codes: the same lock text for a stand-in" t_lock

t_max_sends() {
	std_setup
	same_as_alice 'resend_after = 0; max_sends = 2;' \
	    'answer 000000' 'answer 000000' 'answer 000000'
	assert_contains "$C/mallory.seen" "No more SMS codes can be sent for now." "the max_sends text"
	assert_sms_count 2
}
run_case "max_sends reached: the same text for a stand-in" t_max_sends

t_resend() {
	std_setup
	# an empty answer asks for a resend: told to wait, as alice is
	same_as_alice 'resend_after = 600;' 'answer ""; answer 000000 2'
	assert_contains "$C/mallory.seen" "A new code can be sent in " "the wait text"
}
run_case "an empty answer (resend) inside resend_after: the same wait text for a stand-in" t_resend

t_bounded() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0;"
	std_conf 'max_tries = 1;'
	i=0
	while [ $i -lt 12 ]; do
		pam_run smsotp "bot$i" 'answer 000000'
		assert_result USER_UNKNOWN
		i=$((i + 1))
	done
	assert_sms_count 0
	n=$(ls -A "$C/state" | grep -cE '^standin-[0-9a-f]{3}$')
	[ "$n" -ge 1 ] && [ "$n" -le 12 ] || fail "$n stand-in slot files for 12 names"
	assert_eq "" "$(ls -A "$C/state" | grep -vE '^standin-[0-9a-f]{3}(\.lock)?$')" \
	    "nothing but stand-in slots for unknown names"
	# the slot files hold names and counts, never a code
	assert_eq "" "$(grep -l 'code_hash=' "$C/state"/standin-* | xargs -r grep -L 'code_salt=')" \
	    "a kept hash always with its salt"
}
run_case "12 unknown names: only slot files (at most 1024: test_state), no SMS" t_bounded

finish
