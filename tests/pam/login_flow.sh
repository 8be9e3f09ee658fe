#!/bin/sh
# The login conversation: code sent, prompt, right/wrong/trimmed answers,
# max_tries, code shape, the message template and the log line.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

HOST=$(short_host)

t_right_code() {
	std_setup
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq POST "$(log_get 'r["method"]')" "request method"
	assert_eq /sms "$(log_get 'r["path"]')" "request path"
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the SMS goes to alice's number"
	code=$(code_from_log)
	assert_str_match "$code" '^[0-9]{6}$' "a default code is 6 digits"
	assert_eq "CODE=$code" "$(sms_text)" "the SMS text is the template"
	assert_contains "$OUT" "SMS code sent to $ALICE_MASKED: " "the default prompt"
	assert_eq 1 "$(prompt_count)" "prompts"
}
run_case "right code: success, exactly one SMS to the right number" t_right_code

t_wrong_maxtries() {
	std_setup
	pam_run smsotp alice 'answer 000000 1; answer 000001 2; answer 000002 3'
	assert_result MAXTRIES
	assert_eq 3 "$(prompt_count)" "prompts (max_tries = 3 by default)"
	assert_sms_count 1
	# a message tells a wrong code apart from the prompt
	n=$(grep -ciE 'wrong|incorrect|invalid|not valid' "$OUT")
	[ "$n" -ge 1 ] || fail "expected a message saying the code was wrong"
}
run_case "three wrong codes: PAM_MAXTRIES, prompted 3 times, 1 SMS" t_wrong_maxtries

t_wrong_code_digits() {
	# the right code plus one character, minus one, letters
	std_setup
	pam_run smsotp alice 'wait_sms; c=$(code_from_log); answer "${c}0" 1; answer "$(echo "$c" | cut -c2-)" 2; answer abcdef 3'
	assert_result MAXTRIES
	assert_sms_count 1
}
run_case "code with an extra digit, a missing digit: refused" t_wrong_code_digits

t_maxtries_one() {
	std_setup
	std_conf 'max_tries = 1;'
	pam_run smsotp alice 'answer 000000 1; answer 000000 2'
	assert_result MAXTRIES
	assert_eq 1 "$(prompt_count)" "prompts with max_tries = 1"
}
run_case "max_tries = 1: one wrong code fails at once" t_maxtries_one

t_maxtries_arg() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF max_tries=2"
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result MAXTRIES
	assert_eq 2 "$(prompt_count)" "prompts with max_tries=2 (argument)"
}
run_case "max_tries=2 as an argument" t_maxtries_arg

t_wrong_then_right() {
	std_setup
	pam_run smsotp alice 'answer 000000 1; answer_code 2'
	assert_login_ok
	assert_eq 2 "$(prompt_count)" "prompts"
	assert_sms_count 1
}
run_case "wrong code, then the right one: success" t_wrong_then_right

t_trimmed() {
	std_setup
	pam_run smsotp alice 'wait_sms; answer "   $(code_from_log)	 " 1'
	assert_login_ok
}
run_case "answer with surrounding spaces and tab is trimmed" t_trimmed

t_inner_space() {
	std_setup
	pam_run smsotp alice 'wait_sms; c=$(code_from_log); answer "$(echo "$c" | cut -c1-3) $(echo "$c" | cut -c4-)" 1; answer 000000 2; answer 000000 3'
	assert_result MAXTRIES
}
run_case "answer with a space inside the code is refused" t_inner_space

t_no_answer() {
	# pamtester answers "" at end of input: empty answers ask for a
	# resend, which resend_after = 3600 does not allow yet (a login takes
	# far less, however loaded the machine)
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 3600;" std_conf
	pam_run smsotp alice ':'
	assert_ne 0 "$RC" "a conversation that ends without an answer must fail"
	assert_sms_count 1
	assert_contains "$OUT" "A new code can be sent in" "the user is told when a resend is possible"
}
run_case "no answer (conversation ends): failure, no resend inside resend_after" t_no_answer

t_alphabet() {
	std_setup
	std_conf 'length = 8;' 'alphabet = "ABCDEF";'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_str_match "$(code_from_log)" '^[ABCDEF]{8}$' "code of length 8 over ABCDEF"
}
run_case "length = 8, alphabet = ABCDEF" t_alphabet

t_alphabet_many() {
	# many codes: every character from the alphabet, the right length
	std_setup
	std_conf 'length = 12;' 'alphabet = "xy";'
	i=0
	while [ $i -lt 5 ]; do
		pam_run smsotp alice 'answer_code'
		assert_login_ok
		assert_str_match "$(code_from_log)" '^[xy]{12}$' "code of length 12 over xy"
		i=$((i + 1))
	done
	assert_sms_count 5
	n=$(log_get 'len(set(text(x) for x in [json.loads(l) for l in open(sys.argv[1])]))')
	[ "$n" -ge 2 ] || fail "5 logins gave the same code 5 times"
}
run_case "length = 12, alphabet = xy, 5 logins" t_alphabet_many

t_length_arg() {
	std_setup
	std_conf 'length = 6;'
	service smsotp "auth required $MODULE conf=$CONF length=4"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_str_match "$(code_from_log)" '^[0-9]{4}$' "length=4 argument overrides the file"
}
run_case "argument length=4 overrides the file's length = 6" t_length_arg

t_default_template() {
	std_setup
	TEMPLATE='' std_conf
	CODE_RE='is ([0-9]+)\.'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	code=$(code_from_log)
	assert_eq "Your smsotp code for $HOST is $code. It expires in 5 min." "$(sms_text)" \
	    "the default template"
}
run_case "default template: service, host, code, 5 min" t_default_template

t_ttl61() {
	std_setup
	TEMPLATE='' std_conf 'ttl = 61;'
	CODE_RE='is ([0-9]+)\.'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	code=$(code_from_log)
	assert_eq "Your smsotp code for $HOST is $code. It expires in 2 min." "$(sms_text)" \
	    "ttl = 61 rounds up to 2 min"
}
run_case "ttl = 61: the message says 2 min" t_ttl61

t_keycloak1() {
	std_setup
	TEMPLATE='Your SMS code is %1$s and is valid for %2$d minutes.' std_conf
	CODE_RE='code is ([0-9]+) '
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "Your SMS code is $(code_from_log) and is valid for 5 minutes." "$(sms_text)" \
	    "Keycloak %1\$s / %2\$d template"
}
run_case "Keycloak template %1\$s %2\$d" t_keycloak1

t_keycloak2() {
	std_setup
	TEMPLATE='Your code is %sms-code% sent to %phonenumber%' std_conf
	CODE_RE='code is ([0-9]+) '
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "Your code is $(code_from_log) sent to $ALICE_PHONE" "$(sms_text)" \
	    "Keycloak %sms-code% / %phonenumber% template"
}
run_case "Keycloak template %sms-code% %phonenumber%" t_keycloak2

t_braces() {
	std_setup
	TEMPLATE='CODE={code} {{code}} {{ }}' std_conf
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "CODE=$(code_from_log) {code} { }" "$(sms_text)" "{{ and }} are literal braces"
}
run_case "{{code}} gives a literal {code}" t_braces

t_placeholders() {
	std_setup
	TEMPLATE='CODE={code} u={user} s={service} r={rhost} h={host} t={ttl} m={ttl_min} p={phone} q={phone_masked}' \
	    std_conf 'ttl = 120;'
	PAMTESTER_OPTS='-I rhost=203.0.113.9'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "CODE=$(code_from_log) u=alice s=smsotp r=203.0.113.9 h=$HOST t=120 m=2 p=$ALICE_PHONE q=$ALICE_MASKED" \
	    "$(sms_text)" "every placeholder"
}
run_case "every template placeholder" t_placeholders

t_rhost_empty() {
	std_setup
	TEMPLATE='CODE={code} r=[{rhost}]' std_conf
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "CODE=$(code_from_log) r=[]" "$(sms_text)" "{rhost} is empty when unset"
}
run_case "{rhost} empty when unset" t_rhost_empty

t_template_arg() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF [template=Code {code} for {host}]"
	CODE_RE='^Code (\S+) for'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "Code $(code_from_log) for $HOST" "$(sms_text)" "[template=...] argument with spaces"
}
run_case "[template=Code {code} for {host}] argument overrides the file" t_template_arg

t_prompt() {
	std_setup
	std_conf 'prompt = "Code for {user} ({phone_masked}): ";'
	PROMPT_RE='Code for alice'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_contains "$OUT" "Code for alice ($ALICE_MASKED): " "custom prompt"
}
run_case "custom prompt with placeholders" t_prompt

t_prompt_arg() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF [prompt=Your SMS code: ]"
	PROMPT_RE='Your SMS code: '
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq 1 "$(prompt_count)" "the prompt from the argument"
}
run_case "[prompt=...] argument" t_prompt_arg

t_phones_formats() {
	# separators: spaces, tab, colon; comments; input forms of numbers
	start_gateway
	for u in alice bob carol dave erin; do make_user $u; done
	write_phones <<EOF
# comment line
alice	+44 7700 900123
bob:+1 (555) 555-0123
carol 0033.1.23.45.67.89
  # indented comment
dave   +49-30-1234567
EOF
	std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	for pair in alice:+447700900123 bob:+15555550123 carol:+33123456789 dave:+49301234567; do
		u=${pair%%:*}
		want=${pair#*:}
		n=$(sms_count)
		pam_run smsotp "$u" 'answer_code'
		assert_login_ok
		assert_eq $((n + 1)) "$(sms_count)" "SMS count after $u's login"
		assert_eq "$want" "$(log_get 'to(r)')" "$u's number normalised to E.164"
	done
}
run_case "phones file: separators, comments, normalised numbers" t_phones_formats

t_phone_trunk_zero() {
	# "(0)": the trunk prefix dialled inside the country, dropped in E.164
	start_gateway
	for u in alice bob; do make_user $u; done
	write_phones <<EOF
alice +44 (0) 7700 900123
bob +44(0)20 7946 0958
EOF
	std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq +447700900123 "$(log_get 'to(r)')" "+44 (0) 7700 900123 sent to +447700900123"
	pam_run smsotp bob 'answer_code'
	assert_login_ok
	assert_sms_count 2
	assert_eq +442079460958 "$(log_get 'to(r)')" "+44(0)20 7946 0958 sent to +442079460958"
}
run_case "phones file: a bracketed (0) trunk prefix is dropped" t_phone_trunk_zero

t_phone_invalid() {
	std_setup
	printf 'alice 12345\n' | write_phones
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_ne 0 "$RC" "an invalid number must not let alice in"
	assert_sms_count 0
}
run_case "invalid number in the phones file: nothing sent, failure" t_phone_invalid

t_code_single_use() {
	std_setup
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	first=$(code_from_log)
	pam_run smsotp alice "wait_sms 2; answer $first 1; answer $first 2; answer $first 3"
	assert_sms_count 2
	second=$(code_from_log)
	[ "$first" = "$second" ] && skip "two logins drew the same code by chance"
	assert_result MAXTRIES
}
run_case "a code from an earlier login does not open a new one" t_code_single_use

t_sshd_stand_in() {
	SETITEMS=
	for d in "$(dirname "$(find_lib libpam_wrapper.so)")" \
	    /usr/lib/*-linux-gnu /usr/lib64 /usr/lib; do
		[ -f "$d/pam_wrapper/pam_set_items.so" ] && SETITEMS=$d/pam_wrapper/pam_set_items.so && break
	done
	[ -n "$SETITEMS" ] || skip "pam_wrapper's pam_set_items.so not found"
	std_setup
	service smsotp "auth required $SETITEMS" "auth required $MODULE conf=$CONF"
	PAM_AUTHTOK=$(printf '\bINCORRECT')
	export PAM_AUTHTOK
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_ne 0 "$RC" "sshd's stand-in answer must not let alice in"
	assert_sms_count 0
}
run_case "PAM_AUTHTOK starting with \\b (sshd, invalid user): nothing sent" t_sshd_stand_in

t_echo() {
	command -v script >/dev/null 2>&1 || skip "script(1) not installed"
	std_setup
	PAM_TTY=1
	pam_run smsotp alice 'answer_code; sleep 0.3'
	assert_login_ok
	code=$(code_from_log)
	assert_not_contains "$OUT" "$code" "echo off (default): the typed code is not shown"
	service smsotp "auth required $MODULE conf=$CONF echo"
	pam_run smsotp alice 'answer_code; sleep 0.3'
	assert_login_ok
	code=$(code_from_log)
	assert_contains "$OUT" "$code" "with echo the typed code is shown"
}
run_case "echo: the code is echoed only with the echo argument" t_echo

t_echo_file() {
	command -v script >/dev/null 2>&1 || skip "script(1) not installed"
	std_setup
	std_conf 'echo = true;'
	PAM_TTY=1
	pam_run smsotp alice 'answer_code; sleep 0.3'
	assert_login_ok
	assert_contains "$OUT" "$(code_from_log)" "with echo = true the typed code is shown"
}
run_case "echo = true in the file" t_echo_file

t_state_dir() {
	std_setup
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	[ -d "$C/state" ] || fail "state_dir $C/state was not created"
	assert_eq 700 "$(stat -c %a "$C/state")" "state_dir mode"
}
run_case "state_dir is created with mode 0700" t_state_dir

# ---------------------------------------------------------------- the log

t_long_message() {
	std_setup
	long=$(printf 'x%.0s' $(seq 1 170))
	TEMPLATE="CODE={code} $long" std_conf
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_match "$SYSLOG" 'SYSLOG\(4\).*2' "a warning with the segment count (2) for a 180-character message"
	assert_match "$SYSLOG" 'SYSLOG\(4\).*(segment|SMS)' "the warning is about the message length"
}
run_case "a message longer than one SMS: warning with its segment count" t_long_message

t_log_success() {
	std_setup
	PAMTESTER_OPTS='-I rhost=203.0.113.9'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	code=$(code_from_log)
	[ -s "$SYSLOG" ] || fail "no log line for a successful login"
	assert_contains "$SYSLOG" "$ALICE_MASKED" "the log shows the masked number"
	assert_contains "$SYSLOG" "alice" "the log names the user"
	assert_contains "$SYSLOG" "smsotp" "the log names the service"
	assert_contains "$SYSLOG" "203.0.113.9" "the log names the rhost"
	assert_contains "$SYSLOG" "gw" "the log names the provider"
	assert_not_contains "$SYSLOG" "$code" "the code never appears in the log"
	assert_not_contains "$SYSLOG" "$ALICE_PHONE" "the full number never appears in the log"
	assert_not_contains "$SYSLOG" "7700900123" "the full number never appears in the log"
}
run_case "log of a successful login: masked number, never code or number" t_log_success

t_log_debug() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF debug"
	pam_run smsotp alice 'answer 000000 1; answer_code 2'
	assert_login_ok
	code=$(code_from_log)
	assert_not_contains "$SYSLOG" "$code" "debug: the code never appears in the log"
	assert_not_contains "$SYSLOG" "7700900123" "debug: the full number never appears in the log"
}
run_case "debug log: never the code or the full number" t_log_debug

t_log_failure() {
	std_setup
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result MAXTRIES
	code=$(code_from_log)
	[ -s "$SYSLOG" ] || fail "no log line for a failed login"
	assert_contains "$SYSLOG" "$ALICE_MASKED" "the log shows the masked number"
	assert_not_contains "$SYSLOG" "$code" "the code never appears in the log"
	assert_not_contains "$SYSLOG" "000000" "a wrong answer never appears in the log"
}
run_case "log of a failed login: no code, no answer" t_log_failure

finish
