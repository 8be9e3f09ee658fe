#!/bin/sh
# Configuration refusals through a real login: each one ends in
# PAM_SERVICE_ERR with a log line naming the problem, shows no prompt and
# sends nothing (the gateway is up and would record any request).
# Configuration errors never fail open.
#
# Every refusal of the configuration reader is a row of the unit tests
# (tests/unit/test_config.c: test_refusals, test_pam_refusals, which holds
# the ~90 this script once ran as logins, test_file_trust,
# test_bare_conf_first): a login costs a second where a row costs a
# millisecond.  What stays here shows the wiring, once per way in: the
# file (missing, its mode, a parse error, a key), the module arguments, a
# provider, failmode=open, and the phones file checks (made at login time,
# not by the configuration reader).
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# expect_refused [LOG_TEXT...]: run alice's login, check the refusal
expect_refused() {
	pam_run smsotp alice
	assert_result SERVICE_ERR
	assert_not_prompted
	assert_sms_count 0
	[ -s "$SYSLOG" ] || fail "expected a log line explaining the refusal, got none"
	for _t in "$@"; do
		assert_contains "$SYSLOG" "$_t" "the log line names the problem"
	done
}

# refused_with LINE [LOG_TEXT...]: std config plus LINE (top-level)
refused_with() {
	_line=$1
	shift
	std_setup
	std_conf "$_line"
	expect_refused "$@"
}

# refused_arg ARGS [LOG_TEXT...]: std config, module arguments ARGS
refused_arg() {
	_args=$1
	shift
	std_setup
	service smsotp "auth required $MODULE conf=$CONF $_args"
	expect_refused "$@"
}

t_control() {
	std_setup
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
}
run_case "control: the standard configuration is accepted" t_control

# ---------------------------------------------------------------- the file

t_missing() {
	std_setup
	service smsotp "auth required $MODULE conf=$C/no-such.conf"
	expect_refused no-such.conf
}
run_case "missing configuration file" t_missing

t_mode_0640() {
	std_setup
	chmod 0640 "$CONF"
	expect_refused "mode 0640"
}
run_case "configuration mode 0640 (group read)" t_mode_0640

t_parse_error() {
	std_setup
	printf 'template = "CODE={code}";\nlength = ;\n' | write_conf
	expect_refused "parse error"
	assert_match "$SYSLOG" '(line 2|:2:)' "the log names line 2"
}
run_case "parse error (the log names the line)" t_parse_error

t_unknown_top() { refused_with 'colour = "red";' colour "unknown key"; }
run_case "unknown top-level key" t_unknown_top

# The prompt must never show the code: {code} is refused there, in the file
# and as an argument.  The prompt text is distinctive so that
# assert_not_prompted would see it.
t_prompt_code() {
	PROMPT_RE='OTP-PROMPT'
	refused_with 'prompt = "OTP-PROMPT {code}: ";' "never show the code"
}
run_case "prompt with {code} (file): refused, never show the code" t_prompt_code

# ---------------------------------------------------------------- arguments

t_prompt_code_arg() {
	PROMPT_RE='OTP-PROMPT'
	refused_arg "[prompt=OTP-PROMPT {code}: ]" "never show the code"
}
run_case "[prompt=... {code}] argument: refused, never show the code" t_prompt_code_arg

t_arg_unknown() { refused_arg 'colour=red' colour=red "unknown argument"; }
run_case "unknown module argument colour=red" t_arg_unknown

# ---------------------------------------------------------------- providers

t_twilio_no_token() {
	std_setup
	PROVIDERS='{ name = "tw"; type = "twilio"; account_sid = "AC0"; sender = "+15005550006"; }' std_conf
	expect_refused "provider 'tw'" "twilio needs account_sid and auth_token (auth_token is missing)"
}
run_case "twilio without auth_token: refused, naming the key" t_twilio_no_token

t_command_message() {
	std_setup
	PROVIDERS='{ name = "cmd"; type = "command"; argv = ["/usr/bin/sms-send", "{phone}", "--text={message}"]; }' std_conf
	expect_refused "provider 'cmd'" "argv[2]: {message} is not allowed in argv" \
	    "/proc/PID/cmdline" "standard input"
}
run_case "command provider with {message} in argv (readable by every user): refused" t_command_message

# The keys common to every provider type are accepted by the file type,
# which has no use for them.
t_file_common_keys() {
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"sim\"; type = \"file\"; path = \"$C/sms.jsonl\"; timeout = 5; connect_timeout = 2; retries = 1; sender = \"ACME\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	GW_LOG=$C/sms.jsonl
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'r["to"]')" "the file provider's line goes to alice"
}
run_case "file provider with timeout, connect_timeout, retries, sender: accepted" t_file_common_keys

# failmode=open never turns a configuration error into a pass.
t_open_config_error() {
	std_setup
	std_conf 'failmode = "open";' 'colour = 1;'
	service smsotp \
	    "auth [success=done ignore=ignore default=die] $MODULE conf=$CONF" \
	    "auth required $PAM_PERMIT"
	expect_refused colour
}
run_case "failmode=open still refuses a bad configuration" t_open_config_error

# ---------------------------------------------------------------- phones file

t_phones_mode() {
	std_setup
	chmod "$1" "$C/phones"
	pam_run smsotp alice 'answer 000000'
	assert_ne 0 "$RC" "pamtester must fail"
	assert_sms_count 0
	[ -s "$SYSLOG" ] || fail "expected a log line explaining the refusal, got none"
}
t_phones_0664() { t_phones_mode 0664; }
t_phones_0646() { t_phones_mode 0646; }
run_case "phones file writable by group: refused, nothing sent" t_phones_0664
run_case "phones file writable by others: refused, nothing sent" t_phones_0646

t_phones_symlink() {
	std_setup
	mv "$C/phones" "$C/phones.real"
	ln -s "$C/phones.real" "$C/phones"
	pam_run smsotp alice 'answer 000000'
	assert_ne 0 "$RC" "pamtester must fail"
	assert_sms_count 0
	[ -s "$SYSLOG" ] || fail "expected a log line explaining the refusal, got none"
}
run_case "phones file through a symlink: refused, nothing sent" t_phones_symlink

t_phones_owner() {
	require_root
	std_setup
	chown 65534 "$C/phones"
	pam_run smsotp alice 'answer 000000'
	assert_ne 0 "$RC" "pamtester must fail"
	assert_sms_count 0
	[ -s "$SYSLOG" ] || fail "expected a log line explaining the refusal, got none"
}
run_case "phones file owned by another user: refused, nothing sent" t_phones_owner

finish
