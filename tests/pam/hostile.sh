#!/bin/sh
# Hostile input: each case asserts a clear refusal, nothing sent that may
# not be sent, nothing lost (a following normal login still works).
#
#	answers: 1 MiB, control characters and ESC sequences, binary bytes,
#	  fullwidth (UTF-8 lookalike) digits
#	user names not in passwd: ../../etc/passwd, a/b, 10 000 characters,
#	  a newline (the log stays one line per outcome)
#	rhost and user values built to break out of JSON, form and URL
#	  encoding, in {rhost} and {user}: the gateway's fields are exact
#	configs: 2 MiB, 10 000 nested groups, 1 000 @include lines
#	phones.command printing 1 MiB
#	provider answers: a 10 MiB body, truncated JSON with success_json, a
#	  gateway dripping one byte per second (timeout = 3)
#	state: the state file replaced by a directory; a full disk (a 16 KiB
#	  tmpfs in a private mount namespace, root only)
#	debug: wrong and right codes, bearer, password: none in the log
#
# Covered elsewhere, not repeated here:
#	config symlink, other owner, group/world modes, wrong types, unknown
#	  keys: covered in config_refusals.sh
#	phones file symlink/owner/modes: covered in config_refusals.sh
#	phones.command no output, junk, two lines, hang: covered in
#	  number_sources.sh
#	gateway answering non-HTTP garbage, success_json over a non-JSON body:
#	  covered in delivery_http.sh; gateway hanging: covered in
#	  tls_timeouts.sh
#	state file truncated or garbled: covered in limits.sh (t_state_corrupt)
#	user names in passwd like ../evil, a/b, .., a 300-byte name: covered
#	  in limits.sh
#	secrets (bearer, password, headers) and the code with debug: covered
#	  in delivery_http.sh and login_flow.sh (the combined case below also
#	  checks the wrong answer)
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# hcase: run_case, except in the run inside a mount namespace (t_full_disk),
# which runs only the case named by HOSTILE_ONLY
hcase() {
	[ -n "${HOSTILE_ONLY:-}" ] && return 0
	run_case "$@"
}

# state_path: alice's state file, state_dir/<sha256 of the name>
state_path() {
	printf '%s/state/%s' "$C" "$(printf '%s' alice | sha256sum | cut -c1-64)"
}

# no_stray_files: nothing in $C but what the harness and the case made;
# state_dir holds only hashed names
no_stray_files() {
	bad=$(ls -A "$C/state" 2>/dev/null | grep -vE '^([0-9a-f]{64}(\.lock)?|standin-[0-9a-f]{3}(\.lock)?)$')
	assert_eq "" "$bad" "files in state_dir other than hashed names and stand-in slots"
	bad=$(ls -A "$C" | grep -vE '^(svc|state|hash\.key|passwd|group|phones|pam_smsotp\.conf|syslog\.all|case\.out|gw[0-9]+\.(log|err|port)|run[0-9]+\.(out|syslog|sh|answer\.err)|'"${1:-x^}"')$')
	assert_eq "" "$bad" "unexpected files in the case folder"
	assert_eq "" "$(find "$T" -name 'passwd' ! -path "$T/c*/passwd" 2>/dev/null)" "a passwd file outside the case folders"
}

# login_works: a normal login of alice still goes through
login_works() {
	_n=$(sms_count)
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_sms_count $((_n + 1))
}

# ---------------------------------------------------------------- answers

# wrong_answer_then_right FILE: answer the content of FILE (one line) at
# the first prompt, the right code at the second
wrong_answer_then_right() {
	pam_run smsotp alice "wait_sms 1; wait_prompt 1 && cat '$1' && printf '\\n'; answer_code 2"
	assert_result SUCCESS
	assert_prompted 2
	assert_sms_count "$2"
	assert_contains "$OUT" "ong code" "the hostile answer is told as a wrong code"
}

t_answers() {
	std_setup
	# 1 MiB of digits on one line
	"$PYTHON" -c 'import sys; sys.stdout.write("1" * (1 << 20))' > "$C/a.huge"
	# control characters and ESC sequences (no NUL, no newline)
	printf '\033[2J\033[31m\001\002\003\010\010\177\033]0;title\007\r12' > "$C/a.ctrl"
	# binary bytes 0x80..0xff and invalid UTF-8
	"$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(0x80, 0x100)) + b"\xc3\x28\xf0\x28\x8c\xbc")' > "$C/a.bin"
	# pamtester reads the 1 MiB line in pieces: each piece is an answer
	# (wrong codes) until max_tries; the login fails, nothing more is sent
	cp "$C/a.huge" "$C/answer"
	pam_run smsotp alice "wait_sms 1; wait_prompt 1 && cat '$C/answer' && printf '\\n'"
	assert_result MAXTRIES AUTH_ERR
	assert_sms_count 1
	login_works
	n=2
	for a in ctrl bin; do
		n=$((n + 1))
		cp "$C/a.$a" "$C/answer"
		wrong_answer_then_right "$C/answer" $n
	done
	# fullwidth digits looking like the right code
	n=$((n + 1))
	pam_run smsotp alice 'wait_sms 1; wait_prompt 1 && code_from_log | "$PYTHON" -c "import sys; print(\"\".join(chr(ord(c) + 0xfee0) for c in sys.stdin.read().strip()))"; answer_code 2'
	assert_result SUCCESS
	assert_prompted 2
	assert_sms_count $n
	assert_contains "$OUT" "ong code" "fullwidth digits are a wrong code"
	# the log never holds the raw answers
	assert_not_contains "$C/syslog.all" "11111111111111111111" "the huge answer is not logged"
	assert_not_contains "$C/syslog.all" "title" "the ESC sequence answer is not logged"
	assert_eq 0 "$(grep -c "$(printf '\033')" "$C/syslog.all")" "no raw ESC in the log"
	assert_eq 0 "$(grep -c "１" "$C/syslog.all")" "no fullwidth digit in the log"
	# counts kept: no lockout, the wrong answers were reset by the successes
	login_works
}
hcase "answers: 1 MiB, control characters/ESC, binary, fullwidth digits: wrong code, then the right one works" t_answers

# ---------------------------------------------------------------- user names

t_user_names_unknown() {
	std_setup
	long=$("$PYTHON" -c 'print("u" * 10000)')
	nl='evil
INJECTED-LOG-LINE'
	for u in '../../etc/passwd' 'a/b' "$long" "$nl"; do
		pam_run smsotp "$u" 'answer 123456 1; answer 123456 2; answer 123456 3'
		assert_result USER_UNKNOWN AUTH_ERR MAXTRIES
		assert_prompted
		assert_sms_count 0
		# every log line of the module is one PWRAP_ line
		assert_eq 0 "$(grep -c '^INJECTED-LOG-LINE' "$SYSLOG")" "a raw newline in the log"
		bad=$(grep '^INJECTED-LOG-LINE' "$OUT" | grep -vxF 'INJECTED-LOG-LINE, ...)')
		assert_eq "" "$bad" "a line of output begun by the name's newline (not pamtester's own)"
		assert_eq 1 "$(grep -c 'result=' "$SYSLOG")" "one log line per outcome"
		[ -s "$SYSLOG" ] || fail "no log line for user of length ${#u}"
		assert_not_contains "$SYSLOG" "$long" "the 10 000-character name is logged whole"
	done
	# a right-to-left override would make the log line read reversed
	rlo=$(printf 'alice\342\200\256toor')
	pam_run smsotp "$rlo" 'answer 123456 1; answer 123456 2; answer 123456 3'
	assert_sms_count 0
	assert_contains "$SYSLOG" "user=alice?toor " "the override shown as '?'"
	assert_not_contains "$SYSLOG" "$rlo" "the override in the log"
	no_stray_files 'answer'
	[ -e "$C/state/a" ] && fail "$C/state/a was created"
	login_works
}
hcase "unknown users ../../etc/passwd, a/b, 10 000 characters, a newline, a bidi override: same prompt, no SMS, no stray file, one log line, nothing that reorders it" t_user_names_unknown

# ---------------------------------------------------------------- rhost and user injection

RHOSTS='q"uo\"te\\back
amp&x=1&text=evil
pct%41%00%0a+plus
u\u0000nul","to":"+15555550100","x":"
tag<b>&#x27;</b>'

# rhost_case FORMAT-LINE: login with each hostile rhost; the gateway's
# parsed text equals the template with the exact rhost, no extra fields
rhost_case() {
	start_gateway
	make_user alice
	make_user 'x"y\z&a=b%25'
	printf 'alice %s\nx"y\\z&a=b%%25 %s\n' "$ALICE_PHONE" "$ALICE_PHONE" | write_phones
	TEMPLATE='CODE={code} from {rhost} for {user}'
	PROVIDERS="{ name = \"gw\"; type = \"http\"; $(printf '%s' "$1" | sed "s/@PORT@/$GW_PORT/") }"
	std_conf 'max_tries = 1;'
	service smsotp "auth required $MODULE conf=$CONF"
	n=0
	echo "$RHOSTS" | while IFS= read -r rh; do
		n=$((n + 1))
		for u in alice 'x"y\z&a=b%25'; do
			_oifs=$IFS
			IFS=$(printf '\001')
			PAMTESTER_OPTS="-I${IFS}rhost=$rh"
			pam_run smsotp "$u" 'answer_code 1'
			IFS=$_oifs
			assert_login_ok
			code=$(code_from_log)
			assert_eq "CODE=$code from $rh for $u" "$(sms_text)" "the SMS text with rhost '$rh', user '$u'"
			assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the number is not overridden"
			assert_eq "$2" "$(log_get "$3")" "the fields of the request"
		done
	done || exit 1
}

t_rhost_json() {
	rhost_case "url = \"http://127.0.0.1:@PORT@/sms\"; format = \"json\";" \
	    '["from", "text", "to"]' 'sorted(r["json"].keys())'
}

t_rhost_json_body() {
	rhost_case "url = \"http://127.0.0.1:@PORT@/sms\"; format = \"json\"; body = \"{{\\\"to\\\": \\\"{phone}\\\", \\\"text\\\": \\\"{message}\\\"}}\";" \
	    '["text", "to"]' 'sorted(r["json"].keys())'
}

t_rhost_form() {
	rhost_case "url = \"http://127.0.0.1:@PORT@/sms\"; format = \"form\";" \
	    '["from", "text", "to"]' 'sorted(r["form"].keys())'
}

t_rhost_get() {
	rhost_case "url = \"http://127.0.0.1:@PORT@/sms?to={phone}&text={message}\"; method = \"GET\";" \
	    '["text", "to"]' 'sorted(r["query"].keys())'
}
hcase "{rhost} and {user} with quotes, backslashes, &, =, %, \\u0000: JSON (default body) fields exact" t_rhost_json
hcase "{rhost} and {user} hostile: JSON (custom body) fields exact, no injected key" t_rhost_json_body
hcase "{rhost} and {user} hostile: form fields exact, no injected field" t_rhost_form
hcase "{rhost} and {user} hostile: GET query fields exact, no injected parameter" t_rhost_get

# ---------------------------------------------------------------- configs

# expect_refused [LOG_TEXT...]: alice's login: PAM_SERVICE_ERR, a log line,
# no prompt, nothing sent
expect_refused() {
	pam_run smsotp alice 'answer 000000 1'
	assert_result SERVICE_ERR
	assert_not_prompted
	assert_sms_count 0
	[ -s "$SYSLOG" ] || fail "expected a log line explaining the refusal, got none"
	for _t in "$@"; do
		assert_contains "$SYSLOG" "$_t" "the log line names the problem"
	done
	assert_elapsed_max 15000 "the refusal is bounded"
}

t_conf_huge() {
	std_setup
	# a valid configuration followed by 2 MiB of comment lines
	{ cat "$CONF"; "$PYTHON" -c 'import sys; sys.stdout.write(("# " + "x" * 1021 + "\n") * 2048)'; } > "$C/big"
	write_conf < "$C/big"
	expect_refused "larger than"
}
hcase "a 2 MiB configuration: refused (larger than), nothing sent" t_conf_huge

t_conf_nested() {
	std_setup
	{ cat "$CONF"; "$PYTHON" -c 'import sys; n = 10000; sys.stdout.write("a = " + "{ b = " * n + "1;" + " };" * n + "\n")'; } > "$C/nested"
	write_conf < "$C/nested"
	expect_refused
	assert_not_contains "$OUT" "Segmentation" "no crash"
	std_conf
	login_works
}
hcase "10 000 nested groups: refused without a crash" t_conf_nested

t_conf_includes() {
	std_setup
	cp "$CONF" "$C/inc.conf"
	chmod 0600 "$C/inc.conf"
	"$PYTHON" -c 'import sys; sys.stdout.write(("@include \"%s\"\n" % sys.argv[1]) * 1000)' "$C/inc.conf" | write_conf
	expect_refused
	assert_match "$SYSLOG" '(line 1|:1[:)])' "the log names line 1"
	# an @include of itself, once
	printf '@include "%s"\n' "$C/pam_smsotp.conf" | write_conf
	expect_refused
}
hcase "1 000 @include lines, a self-include: refused at line 1" t_conf_includes

# ---------------------------------------------------------------- phones.command

t_phones_command_huge() {
	std_setup
	: | write_phones
	printf '#!/bin/sh\nexec %s -c "import sys; sys.stdout.write(\\"+447700900123\\" * 100000)"\n' "$PYTHON" > "$C/number.sh"
	chmod 0755 "$C/number.sh"
	PHONES_GROUP="file = \"$C/phones\"; command = \"$C/number.sh\";" std_conf
	pam_run smsotp alice 'answer 000000 1'
	assert_result SERVICE_ERR AUTH_ERR
	assert_sms_count 0
	assert_elapsed_max 5000 "bounded by the phones command's 5 s"
	assert_contains "$SYSLOG" "$C/number.sh" "the log names the command"
	# 1 MiB with newlines
	printf '#!/bin/sh\nhead -c 1100000 /dev/zero | tr "\\\\0" "7"\n' > "$C/number.sh"
	pam_run smsotp alice 'answer 000000 1'
	assert_result SERVICE_ERR AUTH_ERR
	assert_sms_count 0
	assert_elapsed_max 5000 "bounded by the phones command's 5 s"
	assert_not_contains "$SYSLOG" "77777777777" "the output is not logged"
}
hcase "phones.command printing 1 MiB: refused, no SMS, bounded" t_phones_command_huge

# ---------------------------------------------------------------- provider answers

one_gw_conf() {
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"json\"; $1 }"
	std_conf
	service smsotp "auth required $MODULE conf=$CONF"
}

t_answer_huge() {
	"$PYTHON" -c 'import sys; sys.stdout.write("{\"status\":\"ok\",\"pad\":\"" + "p" * (10 << 20) + "\"}")' > "$C/body"
	std_setup --body-file "$C/body"
	one_gw_conf 'retries = 0; success_json = "status=ok";'
	pam_run smsotp alice 'answer 000000 1'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count 1
	assert_contains "$OUT" "could not be sent"
	[ -s "$SYSLOG" ] || fail "no log line"
	rm -f "$C/body"
}
hcase "provider answer of 10 MiB with success_json: refused (answer cap), fail closed" t_answer_huge

t_answer_truncated() {
	std_setup --body '{"messages":[{"status":"0"'
	one_gw_conf 'retries = 0; success_json = "messages.0.status=0";'
	pam_run smsotp alice 'answer 000000 1'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count 1
	assert_contains "$OUT" "could not be sent"
	std_setup --body '{"messages":[{"status":"0"}]}'
	one_gw_conf 'retries = 0; success_json = "messages.0.status=0";'
	login_works
}
hcase "truncated JSON answer with success_json: refused, fail closed; whole JSON works" t_answer_truncated

t_answer_drip() {
	# the answer (a few hundred bytes) would take minutes to drip
	std_setup --drip 1
	one_gw_conf 'retries = 0; timeout = 3; connect_timeout = 2;'
	pam_run smsotp alice 'answer 000000 1'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count 1
	assert_elapsed_max 3000 "a dripping gateway held the login past timeout = 3"
	# with retries the total stays bounded by timeout: 6 attempts of
	# 10 s would be 60 s, more than the bound with its slack
	one_gw_conf 'retries = 5; timeout = 10; connect_timeout = 2;'
	pam_run smsotp alice 'answer 000000 1'
	assert_result AUTHINFO_UNAVAIL
	assert_elapsed_max 10000 "retries against a dripping gateway went past timeout = 10"
}
hcase "a gateway dripping one byte per second: fails closed at the timeout, retries included" t_answer_drip

# ---------------------------------------------------------------- state

t_state_is_dir() {
	std_setup
	login_works
	f=$(state_path)
	rm -f "$f"
	mkdir "$f"
	pam_run smsotp alice 'answer 000000 1'
	assert_ne 0 "$RC" "a state file that is a directory must not log in"
	assert_not_prompted
	assert_sms_count 1
	[ -s "$SYSLOG" ] || fail "no log line"
	assert_contains "$SYSLOG" "state" "the log names the state"
	rmdir "$f"
	login_works
}
hcase "the state file replaced by a directory: fails closed, no SMS; works once removed" t_state_is_dir

t_full_disk() {
	require_root
	command -v unshare >/dev/null 2>&1 || skip "unshare not installed"
	unshare --mount --propagation private true 2>/dev/null || skip "cannot create a mount namespace"
	HOSTILE_ONLY=t_full_disk_ns unshare --mount --propagation private sh "$SELF" > "$C/ns.out" 2>&1
	rc=$?
	sed 's/^/  ns: /' "$C/ns.out"
	[ $rc -eq 0 ] || fail "the case in the mount namespace failed (exit $rc)"
}

t_full_disk_ns() {
	trap 'umount "$C/state" 2>/dev/null; _kill_listed "$T/pids"' EXIT
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0; max_sends = 3;" std_conf
	mkdir -p "$C/state"
	chmod 0700 "$C/state"
	mount -t tmpfs -o size=16k,mode=0700 tmpfs "$C/state" || fail "mount tmpfs"
	login_works
	f=$(state_path)
	dd if=/dev/zero of="$C/state/fill" bs=1k count=1024 2>/dev/null
	[ "$(df -P "$C/state" | awk 'NR == 2 { print $4 }')" = 0 ] || fail "the tmpfs is not full: $(df -P "$C/state")"
	pam_run smsotp alice 'answer_code 1'
	assert_ne 0 "$RC" "a login with a full state disk must not succeed"
	[ -s "$SYSLOG" ] || fail "no log line"
	cat "$SYSLOG"
	assert_match "$SYSLOG" '(space|state)' "the log names the state error"
	[ -f "$f" ] || fail "the state file is gone"
	grep -q '^user=' "$f" || fail "the state file lost its content: $(cat "$f")"
	rm -f "$C/state/fill"
	# after freeing space: logins work until max_sends = 3, and never
	# more than 3 SMS in all (an SMS sent on the full disk is counted)
	login_works
	i=0
	while [ $i -lt 4 ]; do
		pam_run smsotp alice 'answer_code 1'
		[ "$RC" = 0 ] || break
		i=$((i + 1))
	done
	assert_ne 0 "$RC" "max_sends = 3 never stopped the logins"
	assert_result MAXTRIES AUTHINFO_UNAVAIL AUTH_ERR
	[ "$(sms_count)" -le 3 ] || fail "$(sms_count) SMS sent with max_sends = 3: a count was lost on the full disk"
	assert_eq 3 "$(sms_count)" "SMS in all"
}

# ---------------------------------------------------------------- debug log

t_debug_secrets() {
	std_setup
	for auth in 'bearer = "BeArEr-SeCrEt-31";' 'username = "u"; password = "PaSs-SeCrEt-47";'; do
		PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"json\"; $auth }"
		std_conf 'debug = true;'
		pam_run smsotp alice 'answer 918273 1; answer_code 2'
		assert_login_ok
		echo "$(code_from_log)" >> "$C/codes"
		pam_run smsotp alice 'answer 918273 1; answer 000000 2; answer 000000 3'
		assert_result MAXTRIES
		echo "$(code_from_log)" >> "$C/codes"
	done
	for s in $(cat "$C/codes") 918273 BeArEr-SeCrEt-31 PaSs-SeCrEt-47 "$(printf 'u:PaSs-SeCrEt-47' | base64)" 7700900123 447700900; do
		assert_not_contains "$C/syslog.all" "$s" "a secret in the debug log"
	done
	assert_contains "$C/syslog.all" "$ALICE_MASKED" "the masked number is logged"
}
hcase "debug: no code, wrong answer, bearer, password or full number in the log" t_debug_secrets

if [ -n "${HOSTILE_ONLY:-}" ]; then
	N_PASS=0 N_FAIL=0 N_SKIP=0 CASE_N=0
	run_case "$HOSTILE_ONLY" "$HOSTILE_ONLY"
	finish
fi
run_case "a full state disk (16 KiB tmpfs, root): fails closed, counts kept, works once freed" t_full_disk

finish
