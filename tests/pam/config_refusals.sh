#!/bin/sh
# Configuration refusals: each one ends in PAM_SERVICE_ERR with a log line,
# shows no prompt and sends nothing (the gateway is up and would record any
# request).  Configuration errors never fail open.
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
	expect_refused
}
run_case "missing configuration file" t_missing

t_mode() {
	std_setup
	chmod "$1" "$CONF"
	expect_refused
}
t_mode_0640() { t_mode 0640; }
t_mode_0604() { t_mode 0604; }
t_mode_0620() { t_mode 0620; }
t_mode_0602() { t_mode 0602; }
t_mode_0601() { t_mode 0601; }
run_case "configuration mode 0640 (group read)" t_mode_0640
run_case "configuration mode 0604 (other read)" t_mode_0604
run_case "configuration mode 0620 (group write)" t_mode_0620
run_case "configuration mode 0602 (other write)" t_mode_0602
run_case "configuration mode 0601 (other execute)" t_mode_0601

t_symlink() {
	std_setup
	ln -s "$CONF" "$C/link.conf"
	service smsotp "auth required $MODULE conf=$C/link.conf"
	expect_refused
}
run_case "configuration through a symlink" t_symlink

t_other_owner() {
	require_root
	std_setup
	chown 65534 "$CONF"
	expect_refused
}
run_case "configuration owned by another user" t_other_owner

t_directory() {
	std_setup
	mkdir "$C/conf.d"
	chmod 0700 "$C/conf.d"
	service smsotp "auth required $MODULE conf=$C/conf.d"
	expect_refused
}
run_case "configuration path is a directory" t_directory

t_parse_error() {
	std_setup
	printf 'template = "CODE={code}";\nlength = ;\n' | write_conf
	expect_refused
	assert_match "$SYSLOG" '(line 2|:2:)' "the log names line 2"
}
run_case "parse error (the log names the line)" t_parse_error

t_parse_error2() {
	std_setup
	printf 'template = "CODE={code}"\nphones = { file = "%s/phones"; ;\n' "$C" | write_conf
	expect_refused
}
run_case "parse error: missing semicolon, unclosed group" t_parse_error2

t_duplicate_key() { refused_with 'template = "again {code}";'; }
run_case "a key given twice" t_duplicate_key

# ---------------------------------------------------------------- keys

t_unknown_top() { refused_with 'colour = "red";' colour; }
run_case "unknown top-level key" t_unknown_top

t_unknown_phones() {
	std_setup
	PHONES_GROUP="file = \"$C/phones\"; colour = 1;" std_conf
	expect_refused colour
}
run_case "unknown key in phones" t_unknown_phones

t_unknown_limits() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; colour = 1;" std_conf
	expect_refused colour
}
run_case "unknown key in limits" t_unknown_limits

t_unknown_provider_key() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; colour = 1; }" std_conf
	expect_refused colour
}
run_case "unknown key in a provider" t_unknown_provider_key

t_type_length() { refused_with 'length = "six";' length; }
run_case "wrong type: length = \"six\"" t_type_length
t_type_ttl() { refused_with 'ttl = 1.5;' ttl; }
run_case "wrong type: ttl = 1.5" t_type_ttl
t_type_nullok() { refused_with 'nullok = "yes";' nullok; }
run_case "wrong type: nullok = \"yes\"" t_type_nullok
t_type_template() { refused_with 'template2 = 1;'; }
run_case "unknown key template2" t_type_template
t_type_phones() {
	std_setup
	{
		echo 'template = "CODE={code}";'
		echo 'phones = "/etc/passwd";'
		echo "limits = { state_dir = \"$C/state\"; };"
		echo "providers = ( $(std_provider) );"
	} | write_conf
	expect_refused phones
}
run_case "wrong type: phones is a string, not a group" t_type_phones

t_len3() { refused_with 'length = 3;' length; }
t_len13() { refused_with 'length = 13;' length; }
t_ttl29() { refused_with 'ttl = 29;' ttl; }
t_ttl3601() { refused_with 'ttl = 3601;' ttl; }
t_tries0() { refused_with 'max_tries = 0;' max_tries; }
t_tries11() { refused_with 'max_tries = 11;' max_tries; }
run_case "out of range: length = 3" t_len3
run_case "out of range: length = 13" t_len13
run_case "out of range: ttl = 29" t_ttl29
run_case "out of range: ttl = 3601" t_ttl3601
run_case "out of range: max_tries = 0" t_tries0
run_case "out of range: max_tries = 11" t_tries11

t_alpha_dup() { refused_with 'alphabet = "0123456789 0";' alphabet; }
t_alpha_dup2() { refused_with 'alphabet = "ABCA";' alphabet; }
t_alpha_space() { refused_with 'alphabet = "01 2";' alphabet; }
t_alpha_one() { refused_with 'alphabet = "7";' alphabet; }
t_alpha_empty() { refused_with 'alphabet = "";' alphabet; }
t_alpha_ctrl() { refused_with 'alphabet = "01\t2";' alphabet; }
run_case "alphabet with duplicates and a space" t_alpha_dup
run_case "alphabet with duplicates" t_alpha_dup2
run_case "alphabet with a space" t_alpha_space
run_case "alphabet of 1 character" t_alpha_one
run_case "empty alphabet" t_alpha_empty
run_case "alphabet with a tab" t_alpha_ctrl

t_tpl_unknown() {
	std_setup
	TEMPLATE='CODE={code} {foo}' std_conf
	expect_refused foo
}
run_case "unknown placeholder {foo} in template" t_tpl_unknown

t_tpl_unclosed() {
	std_setup
	TEMPLATE='CODE={code' std_conf
	expect_refused
}
run_case "unclosed placeholder in template" t_tpl_unclosed

t_prompt_unknown() { refused_with 'prompt = "Code for {foo}: ";' foo; }
run_case "unknown placeholder {foo} in prompt" t_prompt_unknown

# The prompt must never show the code: {code} and its compat forms are
# refused there, in the file and as an argument.  The prompt text is
# distinctive so that assert_not_prompted would see it.
t_prompt_code() {
	PROMPT_RE='OTP-PROMPT'
	refused_with "prompt = \"OTP-PROMPT $1: \";" "never show the code"
}
t_prompt_code_brace() { t_prompt_code '{code}'; }
t_prompt_code_k1() { t_prompt_code '%1$s'; }
t_prompt_code_k2() { t_prompt_code '%sms-code%'; }
run_case "prompt with {code} (file): refused, never show the code" t_prompt_code_brace
run_case "prompt with %1\$s (file): refused, never show the code" t_prompt_code_k1
run_case "prompt with %sms-code% (file): refused, never show the code" t_prompt_code_k2

t_prompt_code_arg() {
	PROMPT_RE='OTP-PROMPT'
	refused_arg "[prompt=OTP-PROMPT $1: ]" "never show the code"
}
t_prompt_code_arg_brace() { t_prompt_code_arg '{code}'; }
t_prompt_code_arg_k1() { t_prompt_code_arg '%1$s'; }
t_prompt_code_arg_k2() { t_prompt_code_arg '%sms-code%'; }
run_case "[prompt=... {code}] argument: refused, never show the code" t_prompt_code_arg_brace
run_case "[prompt=... %1\$s] argument: refused, never show the code" t_prompt_code_arg_k1
run_case "[prompt=... %sms-code%] argument: refused, never show the code" t_prompt_code_arg_k2

t_prompt_code_mixed() {
	# the code hidden among allowed placeholders is still refused
	PROMPT_RE='OTP-PROMPT'
	refused_with 'prompt = "OTP-PROMPT {user} {phone_masked} {code}: ";' "never show the code"
}
run_case "prompt with {code} among other placeholders: refused" t_prompt_code_mixed

# A template without the code would cost an SMS per login and let nobody in.
t_tpl_no_code() {
	std_setup
	TEMPLATE=$1 std_conf
	expect_refused "no {code}"
}
t_tpl_no_code_ttl() { t_tpl_no_code 'Expires in {ttl_min} min'; }
t_tpl_no_code_literal() { t_tpl_no_code 'Literal {{code}}'; }
t_tpl_no_code_plain() { t_tpl_no_code 'Your login code'; }
run_case "template without the code (Expires in {ttl_min} min): refused" t_tpl_no_code_ttl
run_case "template with only a literal {{code}}: refused" t_tpl_no_code_literal
run_case "template without any placeholder: refused" t_tpl_no_code_plain

t_tpl_no_code_arg() { refused_arg '[template=Expires in {ttl_min} min]' "no {code}"; }
run_case "[template=...] argument without the code: refused" t_tpl_no_code_arg

t_failmode() { refused_with 'failmode = "sometimes";' failmode; }
run_case "unknown failmode in the file" t_failmode

t_provider_unknown() { refused_with 'provider = "nope";' nope; }
run_case "provider names an unknown provider (file)" t_provider_unknown

t_provider_unknown_list() { refused_with 'provider = ["gw", "nope"];' nope; }
run_case "provider list names an unknown provider (file)" t_provider_unknown_list

t_provider_dup() {
	std_setup
	PROVIDERS="$(std_provider), $(std_provider)" std_conf
	expect_refused
}
run_case "two providers with the same name" t_provider_dup

t_provider_notype() {
	std_setup
	PROVIDERS="{ name = \"gw\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; }" std_conf
	expect_refused
}
run_case "provider without a type" t_provider_notype

t_provider_badtype() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"pigeon\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; }" std_conf
	expect_refused pigeon
}
run_case "provider of an unknown type" t_provider_badtype

t_provider_noname() {
	std_setup
	PROVIDERS="{ type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; }" std_conf
	expect_refused
}
run_case "provider without a name" t_provider_noname

t_url() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"$1\"; }" std_conf
	expect_refused
}
t_url_example() { t_url "http://example.com/sms"; }
t_url_public_ip() { t_url "http://192.0.2.1/sms"; }
t_url_ftp() { t_url "ftp://127.0.0.1:2121/sms"; }
t_url_userinfo() { t_url "http://127.0.0.1@example.com/sms"; }
run_case "http:// to a non-loopback host name" t_url_example
run_case "http:// to a non-loopback address" t_url_public_ip
run_case "ftp:// URL" t_url_ftp
run_case "http://127.0.0.1@example.com (not loopback)" t_url_userinfo

t_proxy_http() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; proxy = \"http://127.0.0.1:$(closed_port)\"; }" std_conf
	expect_refused "cannot go through a proxy"
}
run_case "proxy with an http:// loopback url: refused" t_proxy_http

t_method() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; method = \"DELETE\"; }" std_conf
	expect_refused
}
run_case "http method DELETE" t_method

t_format() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"xml\"; }" std_conf
	expect_refused
}
run_case "http format xml" t_format

t_body_placeholder() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; body = \"to={phone}&x={code}\"; format = \"form\"; }" std_conf
	expect_refused
}
run_case "request body uses {code} (not a request placeholder)" t_body_placeholder

t_header_shape() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; headers = [\"no colon here\"]; }" std_conf
	expect_refused
}
run_case "header without a colon" t_header_shape

t_success_json() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; success_json = \"no-equals-sign\"; }" std_conf
	expect_refused
}
run_case "success_json without =" t_success_json

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

# ---------------------------------------------------------------- limits, phones

t_bad_limits() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; $1;" std_conf
	expect_refused "$2"
}
t_bad_resend() { t_bad_limits 'resend_after = -1' 'resend_after'; }
t_bad_max_sends() { t_bad_limits 'max_sends = 0' 'max_sends'; }
t_bad_window() { t_bad_limits 'send_window = 30' 'send_window'; }
t_bad_lockout_after() { t_bad_limits 'lockout_after = 5000' 'lockout_after'; }
t_bad_lockout_time() { t_bad_limits 'lockout_time = "15m"' 'lockout_time'; }
t_bad_limit_key() { t_bad_limits 'lockout = 3' 'limits.lockout'; }
run_case "limits.resend_after = -1: refused" t_bad_resend
run_case "limits.max_sends = 0: refused" t_bad_max_sends
run_case "limits.send_window = 30: refused" t_bad_window
run_case "limits.lockout_after = 5000: refused" t_bad_lockout_after
run_case "limits.lockout_time as a string: refused" t_bad_lockout_time
run_case "limits: unknown key: refused" t_bad_limit_key

t_bad_phones() {
	std_setup
	PHONES_GROUP="file = \"$C/phones\"; $1;" std_conf
	expect_refused "$2"
}
t_bad_command() { t_bad_phones 'command = "echo"' 'phones.command'; }
t_bad_gecos() { t_bad_phones 'gecos = "yes"' 'phones.gecos'; }
t_bad_country() { t_bad_phones 'default_country = "+44"' 'default_country'; }
t_bad_allowed() { t_bad_phones 'allowed_countries = ["44", "0"]' 'allowed_countries'; }
run_case "phones.command relative: refused" t_bad_command
run_case "phones.gecos as a string: refused" t_bad_gecos
run_case "phones.default_country = \"+44\": refused" t_bad_country
run_case "phones.allowed_countries with \"0\": refused" t_bad_allowed

# ---------------------------------------------------------------- vendor presets

t_twilio_no_token() {
	std_setup
	PROVIDERS='{ name = "tw"; type = "twilio"; account_sid = "AC0"; sender = "+15005550006"; }' std_conf
	expect_refused "provider 'tw'" "twilio needs account_sid and auth_token (auth_token is missing)"
}
run_case "twilio without auth_token: refused, naming the key" t_twilio_no_token

t_twilio_no_sender() {
	std_setup
	PROVIDERS='{ name = "tw"; type = "twilio"; account_sid = "AC0"; auth_token = "t"; }' std_conf
	expect_refused "twilio needs either sender or messaging_service_sid"
}
run_case "twilio with neither sender nor messaging_service_sid: refused" t_twilio_no_sender

t_vonage_no_sender() {
	std_setup
	PROVIDERS='{ name = "vo"; type = "vonage"; api_key = "k"; api_secret = "s"; }' std_conf
	expect_refused "provider 'vo'" "vonage needs sender"
}
run_case "vonage without sender: refused" t_vonage_no_sender

t_preset_http_key() {
	std_setup
	PROVIDERS='{ name = "vo"; type = "vonage"; api_key = "k"; api_secret = "s"; sender = "A"; bearer = "x"; }' std_conf
	expect_refused "bearer" "does not apply"
}
run_case "a key of the http type on a preset (vonage with bearer): refused" t_preset_http_key

t_sinch_region() {
	std_setup
	PROVIDERS='{ name = "si"; type = "sinch"; service_plan_id = "p"; api_token = "t"; region = "evil.example.com#"; }' std_conf
	expect_refused "region must be one of us, eu, au, br, ca"
}
run_case "sinch with an unknown region: refused" t_sinch_region

t_aws_no_region() {
	std_setup
	PROVIDERS='{ name = "sns"; type = "aws_sns"; access_key_id = "AKID"; secret_access_key = "s"; }' std_conf
	expect_refused "aws_sns needs region, access_key_id and secret_access_key (region is missing)"
}
run_case "aws_sns without region: refused" t_aws_no_region

t_preset_plain_http() {
	std_setup
	PROVIDERS='{ name = "ib"; type = "infobip"; api_key = "k"; url = "http://api.infobip.com/sms/2/text/advanced"; }' std_conf
	expect_refused "provider 'ib'" "https://"
}
run_case "a preset's url over plain http to another host: refused" t_preset_plain_http

t_command_relative() {
	std_setup
	PROVIDERS='{ name = "cmd"; type = "command"; argv = ["true", "{phone}"]; }' std_conf
	expect_refused "absolute"
}
run_case "command provider with a relative argv[0]: refused" t_command_relative

t_command_url() {
	std_setup
	PROVIDERS='{ name = "cmd"; type = "command"; argv = ["/bin/true"]; url = "https://a/"; }' std_conf
	expect_refused "url"
}
run_case "command provider with a url: refused" t_command_url

t_command_message() {
	std_setup
	PROVIDERS='{ name = "cmd"; type = "command"; argv = ["/usr/bin/sms-send", "{phone}", "--text={message}"]; }' std_conf
	expect_refused "provider 'cmd'" "argv[2]: {message} is not allowed in argv" \
	    "/proc/PID/cmdline" "standard input"
}
run_case "command provider with {message} in argv (readable by every user): refused" t_command_message

# ---------------------------------------------------------------- arguments

t_arg_unknown() { refused_arg 'colour=red' colour; }
run_case "unknown module argument colour=red" t_arg_unknown
t_arg_unknown_bare() { refused_arg 'verbose' verbose; }
run_case "unknown bare module argument" t_arg_unknown_bare
t_arg_length_abc() { refused_arg 'length=abc' length; }
run_case "bad argument value length=abc" t_arg_length_abc
t_arg_length_7x() { refused_arg 'length=7x' length; }
run_case "bad argument value length=7x" t_arg_length_7x
t_arg_length_range() { refused_arg 'length=13' length; }
run_case "argument out of range length=13" t_arg_length_range
t_arg_ttl_empty() { refused_arg 'ttl=' ttl; }
run_case "empty argument value ttl=" t_arg_ttl_empty
t_arg_failmode() { refused_arg 'failmode=maybe' failmode; }
run_case "bad argument value failmode=maybe" t_arg_failmode
t_arg_provider() { refused_arg 'provider=gw,nope' nope; }
run_case "argument provider names an unknown provider" t_arg_provider
t_arg_template() { refused_arg '[template=Code {nope}]' nope; }
run_case "argument template with an unknown placeholder" t_arg_template
t_arg_conf_bare() { refused_arg 'conf' "needs a value"; }
run_case "bare argument conf (no value): refused" t_arg_conf_bare
t_arg_conf_bare_first() {
	std_setup
	service smsotp "auth required $MODULE conf conf=$CONF"
	expect_refused "needs a value"
}
run_case "bare argument conf before conf=: refused" t_arg_conf_bare_first
t_arg_subkey() { refused_arg 'state_dir=/tmp' state_dir; }
run_case "argument for a key inside a group (state_dir=)" t_arg_subkey

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
