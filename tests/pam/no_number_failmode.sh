#!/bin/sh
# Users without a number, unknown users, nullok; delivery failures with
# failmode closed (default) and open.
#
# PAM_IGNORE is told apart from PAM_SUCCESS with this stack:
#	auth [success=done ignore=ignore default=die] pam_smsotp.so ...
#	auth optional pam_echo.so REACHED-NEXT-MODULE
#	auth required pam_permit.so
# SUCCESS ends the stack at once (no marker), IGNORE goes on to pam_echo
# (marker printed) and pam_permit (pamtester succeeds), anything else fails.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

MARKER=REACHED-NEXT-MODULE
FAKE_PROMPT_RE='SMS code sent to \+[0-9]{2}\*+[0-9]{3}: '

# ignore_stack ARGS: the service smsotp with that stack
ignore_stack() {
	service smsotp \
	    "auth [success=done ignore=ignore default=die] $MODULE conf=$CONF $*" \
	    "auth optional $PAM_ECHO $MARKER" \
	    "auth required $PAM_PERMIT"
}

assert_ignored() {
	assert_rc 0 "the stack passes through the next module"
	assert_contains "$OUT" "$MARKER" "PAM_IGNORE: the next module ran"
	assert_not_prompted
}

three_wrong='answer 111111 1; answer 222222 2; answer 333333 3'

# ---------------------------------------------------------------- no number

t_no_number() {
	std_setup
	pam_run smsotp bob "$three_wrong"
	assert_result AUTH_ERR USER_UNKNOWN
	assert_prompted
	assert_match "$OUT" "$FAKE_PROMPT_RE" "a masked (fake) number in the prompt"
	assert_sms_count 0
}
run_case "user with no number: the same prompt, nothing sent, failure" t_no_number

t_unknown_user() {
	std_setup
	pam_run smsotp mallory "$three_wrong"
	assert_result USER_UNKNOWN AUTH_ERR
	assert_prompted
	assert_match "$OUT" "$FAKE_PROMPT_RE" "a masked (fake) number in the prompt"
	assert_sms_count 0
}
run_case "unknown user: the same prompt, nothing sent, failure" t_unknown_user

t_unknown_in_phones() {
	# a number in the phones file but no account: still nothing sent
	std_setup
	printf 'alice %s\nghost +447700900999\n' "$ALICE_PHONE" | write_phones
	pam_run smsotp ghost "$three_wrong"
	assert_ne 0 "$RC" "a user without an account must fail"
	assert_sms_count 0
	assert_prompted
}
run_case "number in phones file, no account: nothing sent" t_unknown_in_phones

# user_view: what the user saw in the last run, numbers masked out.  A log
# line (on stderr) may follow a prompt on the same line, and the notices
# (PAM_TEXT_INFO, on stdout) come where buffering puts them: drop the log
# text wherever it starts, and the lines it leaves empty.
user_view() {
	sed 's/PWRAP_.*//' "$OUT" | grep -v -e '^pamtester:' -e '^$' | \
	    sed -E 's/\+[0-9]{2}\*+[0-9]{3}/+XX*******XXX/g'
}

t_same_look() {
	# alice (real), bob (no number), mallory (no account): same prompts,
	# same number of tries, same final status line shape
	std_setup
	pam_run smsotp alice "$three_wrong"
	alice_prompts=$(prompt_count)
	alice_lines=$(user_view)
	pam_run smsotp bob "$three_wrong"
	assert_eq "$alice_prompts" "$(prompt_count)" "prompts for bob (no number) as for alice"
	bob_lines=$(user_view)
	assert_eq "$alice_lines" "$bob_lines" "what bob sees, numbers masked out, is what alice sees"
	pam_run smsotp mallory "$three_wrong"
	assert_eq "$alice_prompts" "$(prompt_count)" "prompts for mallory (no account) as for alice"
	assert_eq "$alice_lines" "$(user_view)" "what mallory sees, numbers masked out, is what alice sees"
	assert_sms_count 1
}
run_case "no number / no account look like a wrong code to the user" t_same_look

t_fake_stable() {
	std_setup
	pam_run smsotp bob "$three_wrong"
	first=$(grep -oE "$FAKE_PROMPT_RE" "$OUT" | head -n 1)
	[ -n "$first" ] || fail "no prompt with a masked number for bob"
	pam_run smsotp bob "$three_wrong"
	second=$(grep -oE "$FAKE_PROMPT_RE" "$OUT" | head -n 1)
	assert_eq "$first" "$second" "the same fake number for the same user each time"
}
run_case "the fake masked number is stable per user" t_fake_stable

# A prompt with {phone} shows a whole stand-in number for users who get no
# SMS: shaped like the numbers of the phones file (alice's: +44 and 10
# digits), the same at each login of the same user, keyed with the host's
# secret in state_dir, never sent to.  The outcome line says phone=-.
PHONE_PROMPT_RE='Number \+[0-9]{12}, code: '

phone_prompt_setup() {
	std_setup
	std_conf 'prompt = "Number {phone}, code: ";'
	PROMPT_RE='Number '
}

# stand_in USER: the number the prompt showed in the last run
stand_in() {
	grep -oE "$PHONE_PROMPT_RE" "$OUT" | head -n 1 | sed -E 's/^Number (\+[0-9]+),.*/\1/'
}

t_phone_prompt_alice() {
	# the control: a user with a number sees hers
	phone_prompt_setup
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_contains "$OUT" "Number $ALICE_PHONE, code: " "alice's own number in the prompt"
}
run_case "prompt with {phone}: a user with a number sees hers" t_phone_prompt_alice

t_phone_stand_in() {
	phone_prompt_setup
	pam_run smsotp "$1" "$three_wrong"
	assert_result AUTH_ERR USER_UNKNOWN
	assert_prompted
	assert_match "$OUT" "$PHONE_PROMPT_RE" "a whole stand-in number in the prompt"
	first=$(stand_in)
	assert_str_match "$first" '^\+44[1-9][0-9]{9}$' "the stand-in is shaped like alice's +44 number"
	assert_not_contains "$OUT" "{phone}" "the placeholder is filled in"
	assert_match "$SYSLOG" "user=$1 .*phone=- " "the outcome line has phone=-"
	assert_not_contains "$SYSLOG" "$first" "the stand-in number is not logged"
	pam_run smsotp "$1" "$three_wrong"
	assert_eq "$first" "$(stand_in)" "the same stand-in number at the second login"
	assert_match "$SYSLOG" "user=$1 .*phone=- " "the outcome line has phone=- (second login)"
	assert_eq 600 "$(stat -c %a "$C/hash.key")" "the host key is 0600"
	# keyed: another host (another key) shows another number
	rm "$C/hash.key"
	pam_run smsotp "$1" "$three_wrong"
	assert_ne "$first" "$(stand_in)" "a new host key gives a new stand-in"
	assert_sms_count 0
}
t_phone_stand_in_bob() { t_phone_stand_in bob; }
t_phone_stand_in_mallory() { t_phone_stand_in mallory; }
run_case "prompt with {phone}, user with no number: a stable stand-in, phone=-, nothing sent" t_phone_stand_in_bob
run_case "prompt with {phone}, unknown user: a stable stand-in, phone=-, nothing sent" t_phone_stand_in_mallory

t_phone_stand_in_differ() {
	# two users without a number get different stand-ins (one number for
	# everybody would tell them apart from real users)
	phone_prompt_setup
	make_user carol
	pam_run smsotp bob "$three_wrong"
	b=$(stand_in)
	pam_run smsotp carol "$three_wrong"
	c=$(stand_in)
	pam_run smsotp mallory "$three_wrong"
	m=$(stand_in)
	[ -n "$b" ] && [ -n "$c" ] && [ -n "$m" ] || fail "a stand-in number missing: bob '$b' carol '$c' mallory '$m'"
	[ "$b" != "$c" ] && [ "$b" != "$m" ] && [ "$c" != "$m" ] || \
	    fail "stand-in numbers should differ by user: bob $b carol $c mallory $m"
	assert_sms_count 0
}
run_case "stand-in numbers differ from user to user" t_phone_stand_in_differ

t_nullok_no_number() {
	std_setup
	ignore_stack nullok
	pam_run smsotp bob
	assert_ignored
	assert_sms_count 0
}
run_case "nullok, user with no number: PAM_IGNORE, no prompt" t_nullok_no_number

t_nullok_unknown() {
	std_setup
	ignore_stack nullok
	pam_run smsotp mallory
	assert_ignored
	assert_sms_count 0
}
run_case "nullok, unknown user: PAM_IGNORE, no prompt" t_nullok_unknown

t_nullok_file() {
	std_setup
	std_conf 'nullok = true;'
	ignore_stack
	pam_run smsotp bob
	assert_ignored
}
run_case "nullok = true in the file" t_nullok_file

t_nullok_with_number() {
	# the stack's control: alice has a number, SUCCESS ends the stack
	std_setup
	ignore_stack nullok
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_not_contains "$OUT" "$MARKER" "PAM_SUCCESS ends the stack (success=done)"
	assert_sms_count 1
}
run_case "nullok, user with a number: SMS, PAM_SUCCESS (not IGNORE)" t_nullok_with_number

t_nullok_wrong() {
	std_setup
	ignore_stack nullok
	pam_run smsotp alice "$three_wrong"
	assert_ne 0 "$RC" "nullok never lets a wrong code through"
	assert_not_contains "$OUT" "$MARKER" "a wrong code is not PAM_IGNORE"
}
run_case "nullok, user with a number, wrong codes: failure" t_nullok_wrong

t_no_nullok_ignore_stack() {
	std_setup
	ignore_stack
	pam_run smsotp bob "$three_wrong"
	assert_ne 0 "$RC" "without nullok, no number fails"
	assert_not_contains "$OUT" "$MARKER" "without nullok, no number is not PAM_IGNORE"
}
run_case "no nullok, user with no number, same stack: failure" t_no_nullok_ignore_stack

# ---------------------------------------------------------------- failmode

t_closed_500() {
	std_setup --status 500
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "could not be sent" "the user is told"
	assert_not_prompted
	n=$(sms_count)
	[ "$n" -ge 1 ] || fail "the gateway was never asked"
}
run_case "gateway answers 500: failmode closed, 'could not be sent', no prompt" t_closed_500

t_closed_down() {
	std_setup
	PROVIDERS=$(std_provider "$(closed_port)") std_conf
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "could not be sent" "the user is told"
	assert_not_prompted
}
run_case "gateway not running: failmode closed, no prompt" t_closed_down

t_closed_400() {
	std_setup --status 400
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count 1
}
run_case "gateway answers 400: not retried, failmode closed" t_closed_400

t_closed_explicit() {
	std_setup --status 500
	std_conf 'failmode = "closed";'
	ignore_stack
	pam_run smsotp alice 'answer 000000'
	assert_ne 0 "$RC" "failmode closed fails the stack"
	assert_not_contains "$OUT" "$MARKER" "failmode closed is not PAM_IGNORE"
	assert_not_prompted
}
run_case "failmode = \"closed\" in the file, ignore stack: failure" t_closed_explicit

t_open_500() {
	std_setup --status 500
	std_conf 'failmode = "open";'
	ignore_stack
	pam_run smsotp alice 'answer 000000'
	assert_ignored
	assert_match "$SYSLOG" 'SYSLOG\(4\)|SYSLOG\(3\)' "a warning in the log"
	assert_match "$SYSLOG" 'open' "the warning says failmode open"
}
run_case "failmode open (file), gateway 500: PAM_IGNORE and a warning" t_open_500

t_open_arg_down() {
	std_setup
	PROVIDERS=$(std_provider "$(closed_port)") std_conf
	ignore_stack failmode=open
	pam_run smsotp alice 'answer 000000'
	assert_ignored
	assert_match "$SYSLOG" 'SYSLOG\(4\)|SYSLOG\(3\)' "a warning in the log"
}
run_case "failmode=open (argument), gateway down: PAM_IGNORE" t_open_arg_down

t_open_warns_each_time() {
	std_setup --status 500
	std_conf 'failmode = "open";'
	ignore_stack
	pam_run smsotp alice
	assert_ignored
	pam_run smsotp alice
	assert_ignored
	assert_match "$SYSLOG" 'SYSLOG\(4\)|SYSLOG\(3\)' "a warning at the second use too"
}
run_case "failmode open warns at every use" t_open_warns_each_time

t_open_wrong_code() {
	std_setup
	std_conf 'failmode = "open";'
	ignore_stack
	pam_run smsotp alice "$three_wrong"
	assert_ne 0 "$RC" "failmode open never lets a wrong code through"
	assert_not_contains "$OUT" "$MARKER" "a wrong code is not PAM_IGNORE"
	assert_sms_count 1
}
run_case "failmode open, SMS delivered, wrong codes: failure" t_open_wrong_code

t_open_required() {
	# with failmode open alone in a required stack, IGNORE is no success
	std_setup --status 500
	service smsotp "auth required $MODULE conf=$CONF failmode=open"
	pam_run smsotp alice
	assert_ne 0 "$RC" "a stack of only PAM_IGNORE must not succeed"
}
run_case "failmode open alone in the stack does not authenticate" t_open_required

finish
