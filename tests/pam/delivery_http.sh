#!/bin/sh
# Delivery: provider failover and order, the http provider's options
# (method, format, body, headers, auth, success rules, retries), the file
# provider, and secrets kept out of the log.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# http_provider NAME PORT [EXTRA KEYS]
http_provider() {
	echo "{ name = \"$1\"; type = \"http\"; url = \"http://127.0.0.1:$2/sms\"; ${3:-} }"
}

# one_gw [MOCK OPTIONS] -- [PROVIDER KEYS]: std setup whose provider "gw"
# has extra keys (kept in PROVIDERS for later std_conf calls)
one_gw() {
	_keys=
	_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_opts="$_opts $(_q "$1")"
		shift
	done
	[ "${1:-}" = -- ] && shift
	_keys=$*
	eval "std_setup $_opts"
	PROVIDERS=$(http_provider gw "$GW_PORT" "$_keys")
	std_conf
}

login_ok() {
	pam_run smsotp alice 'answer_code'
	assert_login_ok
}

# ---------------------------------------------------------------- failover

two_gateways() {	# A_OPTS B_OPTS [LINE]: gateways a and b (options split on
			# spaces), providers a and b, LINE added to the config
	start_gateway $1
	A_PORT=$GW_PORT A_LOG=$GW_LOG
	start_gateway $2
	B_PORT=$GW_PORT B_LOG=$GW_LOG
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="$(http_provider a "$A_PORT"), $(http_provider b "$B_PORT")" std_conf "$3"
}

t_failover_arg() {
	two_gateways "--status 500" "" ""
	service smsotp "auth required $MODULE conf=$CONF provider=a,b"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	[ "$(sms_count "$A_LOG")" -ge 1 ] || fail "provider a was not tried first"
	assert_sms_count 1 "$B_LOG"
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)' "$B_LOG")" "b got alice's SMS"
}
run_case "provider=a,b (argument): a answers 500, b delivers" t_failover_arg

t_failover_file() {
	two_gateways "--status 500" "" 'provider = ["a", "b"];'
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	[ "$(sms_count "$A_LOG")" -ge 1 ] || fail "provider a was not tried first"
	assert_sms_count 1 "$B_LOG"
}
run_case "provider = [\"a\", \"b\"] (file): a answers 500, b delivers" t_failover_file

t_failover_down() {
	start_gateway
	B_PORT=$GW_PORT B_LOG=$GW_LOG
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="$(http_provider a "$(closed_port)"), $(http_provider b "$B_PORT")" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	assert_sms_count 1 "$B_LOG"
}
run_case "all providers in file order by default: a down, b delivers" t_failover_down

t_order_arg() {
	two_gateways "" "" ""
	service smsotp "auth required $MODULE conf=$CONF provider=b,a"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	assert_sms_count 1 "$B_LOG"
	assert_sms_count 0 "$A_LOG"
}
run_case "provider=b,a: b is used first" t_order_arg

t_order_file() {
	two_gateways "" "" 'provider = "b,a";'
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	assert_sms_count 1 "$B_LOG"
	assert_sms_count 0 "$A_LOG"
}
run_case "provider = \"b,a\" (file): b is used first" t_order_file

t_order_single() {
	two_gateways "" "" 'provider = "b";'
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	assert_sms_count 0 "$A_LOG"
}
run_case "provider = \"b\": only b" t_order_single

t_default_order() {
	two_gateways "" "" ""
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $A_LOG"
	assert_login_ok "$A_LOG"
	assert_sms_count 1 "$A_LOG"
	assert_sms_count 0 "$B_LOG"
}
run_case "no provider key: the first provider in the file" t_default_order

t_all_fail() {
	two_gateways "--status 500" "--status 503" ""
	service smsotp "auth required $MODULE conf=$CONF provider=a,b"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	[ "$(sms_count "$A_LOG")" -ge 1 ] || fail "a was not tried"
	[ "$(sms_count "$B_LOG")" -ge 1 ] || fail "b was not tried"
	assert_contains "$SYSLOG" "a" "the log names the providers"
}
run_case "every provider fails: failmode closed" t_all_fail

# ---------------------------------------------------------------- retries

t_retry_500() {
	one_gw --responses 500,200
	login_ok
	assert_sms_count 2
}
run_case "500 then 200: retried once (retries = 1 by default)" t_retry_500

t_retry_429() {
	one_gw --responses 429,200 --retry-after 1
	login_ok
	assert_sms_count 2
}
run_case "429 (Retry-After: 1) then 200: retried" t_retry_429

t_retries_0() {
	one_gw --responses 500,200 -- 'retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_sms_count 1
}
run_case "retries = 0: 500 is final" t_retries_0

t_retries_2() {
	one_gw --responses 500,502,200 -- 'retries = 2;'
	login_ok
	assert_sms_count 3
}
run_case "retries = 2: 500, 502, then 200" t_retries_2

t_garbage() {
	one_gw --garbage -- 'retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
}
run_case "gateway answers garbage: failmode closed" t_garbage

# ---------------------------------------------------------------- requests

t_json_default() {
	one_gw -- 'format = "json"; sender = "ACME";'
	login_ok
	assert_eq application/json "$(log_get 'hdr(r, "content-type").split(";")[0].strip()')" "Content-Type"
	assert_eq "$ALICE_PHONE" "$(log_get 'r["json"]["to"]')" "json to"
	assert_eq ACME "$(log_get 'r["json"]["from"]')" "json from (sender)"
	assert_eq "CODE=$(code_from_log)" "$(log_get 'r["json"]["text"]')" "json text"
}
run_case "format json, default body: to, from, text" t_json_default

t_json_escaping() {
	one_gw
	TEMPLATE='CODE={code} \"q\" back\\slash / ünï' std_conf
	CODE_RE='CODE=(\S+) '
	login_ok
	assert_eq "CODE=$(code_from_log) \"q\" back\\slash / ünï" "$(log_get 'r["json"]["text"]')" \
	    "quotes, backslash and UTF-8 survive JSON encoding"
}
run_case "json body: quotes, backslash, UTF-8 encoded correctly" t_json_escaping

t_json_body() {
	one_gw -- 'format = "json"; body = "{{\"to\":\"{phone}\",\"text\":\"{message}\",\"digits\":\"{phone_digits}\"}}";'
	login_ok
	assert_eq '["digits", "text", "to"]' "$(log_get 'sorted(r["json"].keys())')" "the custom body's fields"
	assert_eq 447700900123 "$(log_get 'r["json"]["digits"]')" "{phone_digits}"
}
run_case "custom json body with {{ }} and {phone_digits}" t_json_body

t_form() {
	one_gw -- 'format = "form"; sender = "ACME Ltd";'
	TEMPLATE='CODE={code} & more=1 +x' std_conf
	CODE_RE='CODE=(\S+) '
	login_ok
	assert_eq POST "$(log_get 'r["method"]')"
	assert_eq application/x-www-form-urlencoded \
	    "$(log_get 'hdr(r, "content-type").split(";")[0].strip()')" "Content-Type"
	assert_eq "$ALICE_PHONE" "$(log_get 'r["form"]["to"]')" "form field to (+ encoded)"
	assert_eq "ACME Ltd" "$(log_get 'r["form"]["from"]')" "form field from"
	assert_eq "CODE=$(code_from_log) & more=1 +x" "$(log_get 'r["form"]["text"]')" "form field text"
	assert_eq '["from", "text", "to"]' "$(log_get 'sorted(r["form"].keys())')" "form fields"
}
run_case "format form: fields to, from, text URL-encoded" t_form

t_put() {
	one_gw -- 'method = "PUT";'
	login_ok
	assert_eq PUT "$(log_get 'r["method"]')" "method"
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')"
}
run_case "method PUT" t_put

t_get() {
	start_gateway
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; method = \"GET\"; url = \"http://127.0.0.1:$GW_PORT/send?to={phone}&text={message}&d={phone_digits}\"; }" \
	    TEMPLATE='CODE={code} & a b=c?d#e%f' std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	CODE_RE='CODE=(\S+) '
	login_ok
	assert_eq GET "$(log_get 'r["method"]')" "method"
	assert_eq /send "$(log_get 'r["path"]')" "path"
	assert_eq "$ALICE_PHONE" "$(log_get 'r["query"]["to"]')" "query to"
	assert_eq 447700900123 "$(log_get 'r["query"]["d"]')" "query d"
	assert_eq "CODE=$(code_from_log) & a b=c?d#e%f" "$(log_get 'r["query"]["text"]')" \
	    "the message survives URL encoding"
	assert_eq "" "$(log_get 'r["body"]')" "GET has no body"
}
run_case "method GET: placeholders URL-encoded in the query" t_get

t_headers() {
	one_gw -- 'headers = ["X-Api-Key: secret", "X-To: {phone}"];'
	login_ok
	assert_eq secret "$(log_get 'hdr(r, "X-Api-Key")')" "X-Api-Key"
	assert_eq "$ALICE_PHONE" "$(log_get 'hdr(r, "X-To")')" "X-To with {phone}"
}
run_case "headers with placeholders" t_headers

t_basic() {
	one_gw -- 'username = "user1"; password = "pa:ss w0rd";'
	login_ok
	want=$(printf 'user1:pa:ss w0rd' | base64)
	assert_eq "Basic $want" "$(log_get 'hdr(r, "Authorization")')" "Authorization: Basic"
}
run_case "username/password: Authorization: Basic" t_basic

t_bearer() {
	one_gw -- 'bearer = "tok-123.abc";'
	login_ok
	assert_eq "Bearer tok-123.abc" "$(log_get 'hdr(r, "Authorization")')" "Authorization: Bearer"
}
run_case "bearer: Authorization: Bearer" t_bearer

t_status_202() {
	one_gw --status 202 -- 'success_status = [202];'
	login_ok
}
run_case "success_status = [202], gateway 202: accepted" t_status_202

t_status_200_refused() {
	one_gw --status 200 -- 'success_status = [202];'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_contains "$OUT" "could not be sent"
}
run_case "success_status = [202], gateway 200: refused, fail closed" t_status_200_refused

t_status_any_2xx() {
	one_gw --status 204 --body ''
	login_ok
}
run_case "default success: any 2xx (204)" t_status_any_2xx

t_status_3xx() {
	one_gw --status 302 -- 'retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
}
run_case "302 is not a success" t_status_3xx

t_json_ok() {
	one_gw --body '{"messages":[{"status":"0"}]}' -- 'success_json = "messages.0.status=0";'
	login_ok
}
run_case "success_json messages.0.status=0, body status \"0\": accepted" t_json_ok

t_json_bad() {
	one_gw --body '{"messages":[{"status":"2"}]}' -- 'success_json = "messages.0.status=0"; retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
}
run_case "success_json, body status \"2\": refused" t_json_bad

t_json_garbage() {
	one_gw --body 'this is not json' -- 'success_json = "messages.0.status=0"; retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
}
run_case "success_json, body not JSON: refused" t_json_garbage

t_json_missing() {
	one_gw --body '{"messages":[]}' -- 'success_json = "messages.0.status=0"; retries = 0;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
}
run_case "success_json, path missing: refused" t_json_missing

t_proxy_env() {
	one_gw
	p=$(closed_port)
	PAM_ENV="http_proxy=http://127.0.0.1:$p HTTP_PROXY=http://127.0.0.1:$p https_proxy=http://127.0.0.1:$p ALL_PROXY=http://127.0.0.1:$p all_proxy=http://127.0.0.1:$p NO_PROXY= no_proxy="
	login_ok
	assert_sms_count 1
}
run_case "proxy variables in the environment are ignored" t_proxy_env

# ---------------------------------------------------------------- file

t_file_provider() {
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"sim\"; type = \"file\"; path = \"$C/sms.jsonl\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	GW_LOG=$C/sms.jsonl
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'r["to"]')" "to"
	assert_eq "CODE=$(code_from_log)" "$(log_get 'r["text"]')" "text"
	assert_eq ok "$(log_get '"ok" if isinstance(r.get("time"), (int, float, str)) and r.get("time") != "" else "no time"')" "time"
	assert_match "$SYSLOG" 'SYSLOG\(4\)' "a warning at each use of the file provider"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 2
}
run_case "file provider: JSON lines with to, text, time" t_file_provider

# The file provider writes codes and numbers: it refuses a file that
# someone else could read or owns, or that has another name (hard link),
# and fails closed; a fresh file is created 0600.
file_setup() {
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	SMSFILE=$C/sms.jsonl
	PROVIDERS="{ name = \"sim\"; type = \"file\"; path = \"$SMSFILE\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	GW_LOG=$SMSFILE
}

# file_refused: alice's login fails closed, the file keeps its content
file_refused() {
	before=$(cksum < "$SMSFILE")
	mode=$(stat -c %a "$SMSFILE")
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "could not be sent" "the user is told"
	assert_not_prompted
	assert_eq "$before" "$(cksum < "$SMSFILE")" "the refused file is not appended to"
	assert_eq "$mode" "$(stat -c %a "$SMSFILE")" "the refused file keeps its mode"
	assert_contains "$SYSLOG" "mode 0600" "the log says what the file must be"
}

t_file_fresh() {
	file_setup
	[ -e "$SMSFILE" ] && fail "$SMSFILE exists before the test"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq 600 "$(stat -c %a "$SMSFILE")" "a fresh file is created 0600"
	assert_eq "$(id -u)" "$(stat -c %u "$SMSFILE")" "owned by the module's uid"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 2
}
run_case "file provider: a fresh file is created 0600 and appended to" t_file_fresh

t_file_0644() {
	file_setup
	printf '{"old":"line"}\n' > "$SMSFILE"
	chmod 0644 "$SMSFILE"
	file_refused
}
run_case "file provider: an existing file of mode 0644 is refused, fail closed" t_file_0644

t_file_0640() {
	file_setup
	printf '{"old":"line"}\n' > "$SMSFILE"
	chmod 0640 "$SMSFILE"
	file_refused
}
run_case "file provider: an existing file of mode 0640 is refused, fail closed" t_file_0640

t_file_0600_ok() {
	# the control: an existing 0600 file of ours is appended to
	file_setup
	printf '{"old":"line"}\n' > "$SMSFILE"
	chmod 0600 "$SMSFILE"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 2
	assert_eq '{"old":"line"}' "$(head -n 1 "$SMSFILE")" "the old line is kept"
}
run_case "file provider: an existing 0600 file of ours is appended to" t_file_0600_ok

t_file_other_owner() {
	require_root
	file_setup
	printf '{"old":"line"}\n' > "$SMSFILE"
	chmod 0600 "$SMSFILE"
	chown nobody "$SMSFILE"
	file_refused
	assert_eq 65534 "$(stat -c %u "$SMSFILE")" "the file keeps its owner"
}
run_case "file provider: an existing file owned by nobody is refused, fail closed" t_file_other_owner

t_file_hardlink() {
	file_setup
	printf '{"old":"line"}\n' > "$SMSFILE"
	chmod 0600 "$SMSFILE"
	ln "$SMSFILE" "$C/other-name"
	file_refused
}
run_case "file provider: a file with a second hard link is refused, fail closed" t_file_hardlink

# ---------------------------------------------------------------- secrets

t_secrets_not_logged() {
	one_gw --status 500 -- 'bearer = "SeCrEtBeArEr42"; retries = 0;'
	service smsotp "auth required $MODULE conf=$CONF debug"
	pam_run smsotp alice
	assert_result AUTHINFO_UNAVAIL
	assert_not_contains "$C/syslog.all" "SeCrEtBeArEr42" "the bearer token never appears in the log"
	one_gw -- 'username = "u"; password = "PaSsWoRd-77"; headers = ["X-Api-Key: KeYhEaDeR-99"];'
	service smsotp "auth required $MODULE conf=$CONF debug"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_not_contains "$C/syslog.all" "PaSsWoRd-77" "the password never appears in the log"
	assert_not_contains "$C/syslog.all" "$(printf 'u:PaSsWoRd-77' | base64)" "the Basic credentials never appear in the log"
	assert_not_contains "$C/syslog.all" "KeYhEaDeR-99" "header values never appear in the log"
}
run_case "bearer, password and header secrets never appear in the log (debug)" t_secrets_not_logged

t_status_logged() {
	one_gw --status 500 --body '{"error":"bad key","echo":"BoDyLeAk"}' -- 'retries = 0;'
	pam_run smsotp alice
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$SYSLOG" "500" "the log line has the HTTP status"
}
run_case "a failed delivery logs its HTTP status" t_status_logged

# A gateway's error answer may echo the request: the number reformatted
# (no secret matches "+44 7700 900123"), the code inside the text.  The log
# keeps an excerpt, with neither.
t_error_echo() {
	one_gw --status 400 --echo-body -- 'retries = 0;'
	[ -n "${1:-}" ] && std_conf "$1"
	[ -n "${ECHO_TEMPLATE:-}" ] && TEMPLATE=$ECHO_TEMPLATE std_conf ${1:+"$1"}
	service smsotp "auth required $MODULE conf=$CONF debug"
	pam_run smsotp alice
	assert_result AUTHINFO_UNAVAIL
	assert_sms_count 1
	code=$(code_from_log)
	[ -n "$code" ] || fail "no code in the request (CODE_RE=$CODE_RE)"
	assert_contains "$C/syslog.all" "invalid to" "the log has an excerpt of the answer"
	assert_contains "$C/syslog.all" "400" "the log has the HTTP status"
	assert_not_contains "$C/syslog.all" "$code" "the code never appears in the log"
	assert_not_contains "$C/syslog.all" "$ALICE_PHONE" "the full number never appears in the log"
	assert_not_contains "$C/syslog.all" "447700900123" "the number's digits never appear in the log"
	assert_not_contains "$C/syslog.all" "900123" "the number's last digits never appear in the log"
	assert_not_contains "$C/syslog.all" "7700 900123" "the reformatted number never appears in the log"
}
t_error_echo_plain() { t_error_echo; }
run_case "400 echoing the number (spaced) and the text: neither in the log" t_error_echo_plain

t_error_echo_quoted() {
	# quotes in the text: JSON-escaped in the answer, the text no longer
	# matches as a whole, the code alone must be blanked
	CODE_RE='Code (\S+) '
	ECHO_TEMPLATE='Code {code} \"now\"' t_error_echo
}
run_case "400 echoing a JSON-escaped text: the code is blanked on its own" t_error_echo_quoted

t_error_echo_letters() {
	# a code of letters: blanking runs of digits does not cover it
	CODE_RE='Code (\S+) '
	ECHO_TEMPLATE='Code {code} \"now\"' t_error_echo 'alphabet = "ABCDEFGHJK"; length = 8;'
	assert_str_match "$code" '^[A-K]{8}$' "a code of 8 letters"
}
run_case "400 echoing a code of letters in an escaped text: blanked" t_error_echo_letters

finish
