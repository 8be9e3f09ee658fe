#!/bin/sh
# The command provider through real logins: the program gets its argv
# placeholders and the text on stdin in a clean environment, a failing or
# missing program fails closed, failover from a command to the HTTP gateway,
# and a hanging program (and what it started) is killed at `timeout`.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# prog NAME BODY: an executable /bin/sh program $C/NAME
prog() {
	printf '#!/bin/sh\n%s\n' "$2" > "$C/$1"
	chmod 0700 "$C/$1"
}

# The recording program: per run, appends to $C/sent.log
#	ARGS [arg1] [arg2] ...
#	TEXT <stdin>
#	ENV <its environment, NUL turned into spaces>
record_prog() {
	prog record.sh "{
	printf 'ARGS'
	for a in \"\$@\"; do printf ' [%s]' \"\$a\"; done
	printf '\\nTEXT '
	cat
	printf '\\nENV '
	tr '\\000' ' ' < /proc/\$\$/environ
	printf '\\n'
} >> '$C/sent.log'"
}

# cmd_provider NAME ARGV_ITEMS [EXTRA KEYS]: a command provider entry;
# ARGV_ITEMS is the inside of the array ("\"/path\", \"{phone}\"")
cmd_provider() {
	echo "{ name = \"$1\"; type = \"command\"; argv = [ $2 ]; ${3:-} }"
}

# setup_cmd PROVIDERS [LINE...]: alice with her number, PROVIDERS as the
# providers list, the service smsotp
setup_cmd() {
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	_p=$1
	shift
	PROVIDERS=$_p std_conf "$@"
	service smsotp "auth required $MODULE conf=$CONF"
}

# sent_count / sent_code: runs recorded, the code of the last one
sent_count() {
	grep -c '^TEXT ' "$C/sent.log" 2>/dev/null || echo 0
}

sent_code() {
	sed -n 's/^TEXT CODE=\([0-9]*\)$/\1/p' "$C/sent.log" | tail -n 1
}

# answer_sent_code: at the first prompt, the code the program got
answer_sent_code() {
	_i=0
	while [ -z "$(sent_code)" ]; do
		[ $_i -ge $((WAIT_TIMEOUT * 20)) ] && return 1
		_alive "$PAM_PID" || return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	wait_prompt 1 || return 1
	printf '%s\n' "$(sent_code)"
}

# ---------------------------------------------------------------- delivery

t_login() {
	record_prog
	_argv="\"$C/record.sh\", \"--to\", \"{phone}\", \"--digits={phone_digits}\","
	_argv="$_argv \"--from={sender}\", \"two words\", \"\$(id)\""
	setup_cmd "$(cmd_provider cmd "$_argv" 'sender = "ACME Ltd";')"
	pam_run smsotp alice 'answer_sent_code'
	assert_result SUCCESS
	assert_prompted
	assert_eq 1 "$(sent_count)" "one run of the program"
	assert_eq "ARGS [--to] [$ALICE_PHONE] [--digits=${ALICE_PHONE#+}] [--from=ACME Ltd] [two words] [\$(id)]" \
	    "$(grep '^ARGS ' "$C/sent.log")" "argv, placeholders expanded, no shell"
	assert_str_match "$(grep '^TEXT ' "$C/sent.log")" '^TEXT CODE=[0-9]{6}$' \
	    "the text on stdin, nothing added"
	# pamtester runs with LD_PRELOAD, PAM_WRAPPER_* and NSS_WRAPPER_*: none
	# of it reaches the program
	assert_eq "ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 " \
	    "$(grep '^ENV ' "$C/sent.log")" "a clean environment"
	assert_not_contains "$SYSLOG" "$(sent_code)" "the code is not logged"
	assert_not_contains "$SYSLOG" "${ALICE_PHONE#+}" "the number is not logged"
	pass
}
run_case "login: argv placeholders, the text on stdin, clean environment" t_login

t_wrong_code() {
	record_prog
	setup_cmd "$(cmd_provider cmd "\"$C/record.sh\"")" 'max_tries = 1;'
	pam_run smsotp alice 'answer 000000'
	assert_result AUTH_ERR MAXTRIES
	assert_eq 1 "$(sent_count)" "the program ran"
}
run_case "a wrong code after a command delivery is refused" t_wrong_code

# ---------------------------------------------------------------- failures

t_fails_closed() {
	prog fail.sh "cat > /dev/null; echo 'modem offline' >&2; touch '$C/tried'; exit 1"
	setup_cmd "$(cmd_provider cmd "\"$C/fail.sh\", \"{phone}\"")"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	[ -f "$C/tried" ] || fail "the program did not run"
	assert_contains "$OUT" "could not be sent" "the user is told"
	assert_contains "$SYSLOG" "provider 'cmd' failed: exited with status 1: modem offline" \
	    "the log says why"
	assert_not_contains "$SYSLOG" "${ALICE_PHONE#+}" "the number is not logged"
	pass
}
run_case "exit 1: failmode closed, 'could not be sent', no prompt" t_fails_closed

t_missing() {
	setup_cmd "$(cmd_provider cmd "\"$C/missing.sh\"")"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_contains "$SYSLOG" "cannot run $C/missing.sh: No such file or directory" \
	    "a missing program is named at send time"
	pass
}
run_case "a missing program fails closed at send time, named in the log" t_missing

t_failover() {
	start_gateway
	prog fail.sh "cat > /dev/null; touch '$C/tried'; exit 1"
	setup_cmd "$(cmd_provider cmd "\"$C/fail.sh\""), $(std_provider)" \
	    'provider = ["cmd", "gw"];'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	[ -f "$C/tried" ] || fail "the command was not tried first"
	assert_sms_count 1
	assert_contains "$SYSLOG" "provider 'cmd' failed: exited with status 1"
	pass
}
run_case "provider = [\"cmd\", \"gw\"]: the command fails, the HTTP gateway delivers" t_failover

t_timeout() {
	prog hang.sh "sleep $HANG_S & echo \$! > '$C/bg.pid'; cat > /dev/null; wait"
	setup_cmd "$(cmd_provider cmd "\"$C/hang.sh\"" 'timeout = 2;')"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_contains "$SYSLOG" "provider 'cmd' failed: timed out after 2 s"
	assert_elapsed_max 2000 "timeout = 2 ends the login, not the program's hang"
	[ -s "$C/bg.pid" ] || fail "the program did not start its helper"
	_bg=$(cat "$C/bg.pid")
	# killed by then; its exit may take a moment to show: a bounded poll
	_end=$(($(date +%s) + WAIT_TIMEOUT))
	while _alive "$_bg" && [ "$(date +%s)" -lt "$_end" ]; do
		sleep 0.05
	done
	_alive "$_bg" && fail "the program's background sleep ($_bg) outlived the timeout"
	pass
}
run_case "timeout = 2: a hanging program and its children are killed, the login fails fast" t_timeout

t_example() {
	record_prog
	_entry=$(sed "s|/usr/bin/gammu-smsd-inject|$C/record.sh|" \
	    "$ROOT/examples/providers/command.conf")
	# the file may end in a comment: the list's closing bracket goes on a
	# line of its own
	setup_cmd "$_entry
"
	pam_run smsotp alice 'answer_sent_code'
	assert_result SUCCESS
	assert_eq "ARGS [-c] [/etc/gammu-smsdrc] [TEXT] [$ALICE_PHONE]" \
	    "$(grep '^ARGS ' "$C/sent.log")" "the example's argv"
	pass
}
run_case "examples/providers/command.conf loads and logs in as shipped" t_example

t_check_refused() {
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS=$(cmd_provider cmd '"sms-send", "{phone}"') std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice 'answer 000000'
	assert_not_prompted
	assert_contains "$SYSLOG" "argv[0] must be the program's absolute path" \
	    "a relative argv[0] is refused with the configuration"
	pass
}
run_case "argv[0] not absolute: the configuration is refused" t_check_refused

t_message_refused() {
	record_prog
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS=$(cmd_provider cmd "\"$C/record.sh\", \"{message}\"") std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice 'answer 000000'
	assert_result SERVICE_ERR
	assert_not_prompted
	[ -e "$C/sent.log" ] && fail "the program ran with the message in its argv"
	assert_contains "$SYSLOG" "{message} is not allowed in argv" \
	    "the code would be in /proc/PID/cmdline: refused with the configuration"
	pass
}
run_case "{message} in argv: the configuration is refused, nothing runs" t_message_refused

finish
