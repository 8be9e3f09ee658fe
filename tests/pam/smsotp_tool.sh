#!/bin/sh
# The admin tool smsotp (SPEC section 7): check on the standard and on each
# kind of broken configuration, send through the mock gateway (the test
# text, no code, the provider named; a user without a number; a gateway
# failing), status after logins, wrong codes and a lockout (table and
# --json), reset clearing a lock so that the next login works, reset racing
# concurrent logins, and the usage errors (exit 2) and --help of each
# command.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

TOOL=${SMSOTP_TOOL:-$ROOT/build/smsotp}
[ -x "$TOOL" ] || { echo "SKIP: $TOOL is not built (run make)"; exit 77; }

TOOL_N=0
TRC=
TOUT=
TERR=
# tool ARGS...: run the tool with -c $CONF (unless TOOL_NOCONF=1) and the
# test users (nss_wrapper, with glibc's "no such user": lib.sh); sets TRC,
# TOUT (stdout file), TERR (stderr file)
tool() {
	TOOL_N=$((TOOL_N + 1))
	TOUT=$C/tool$TOOL_N.out
	TERR=$C/tool$TOOL_N.err
	if [ "${TOOL_NOCONF:-0}" = 1 ]; then
		set -- "$@"
	else
		set -- -c "$CONF" "$@"
	fi
	# nss_wrapper opens libc with RTLD_DEEPBIND unless told not to, which
	# the ASan runtime refuses (smsotp built with SANITIZE=1)
	LD_PRELOAD=$NSS_PRELOAD NSS_WRAPPER_PASSWD=$C/passwd \
	    NSS_WRAPPER_GROUP=$C/group NSS_WRAPPER_DISABLE_DEEPBIND=1 \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "$TOOL" "$@" > "$TOUT" 2> "$TERR" < /dev/null
	TRC=$?
	return 0
}

# tool_ok ARGS...: the tool exits 0 with nothing on stderr
tool_ok() {
	tool "$@"
	[ "$TRC" = 0 ] || fail "smsotp $* exited $TRC: $(cat "$TERR")"
	[ -s "$TERR" ] && fail "smsotp $* wrote to stderr: $(cat "$TERR")"
	return 0
}

# tool_fails STATUS ARGS...: the tool exits STATUS with a message on
# stderr and nothing on stdout (but for check's notes)
tool_fails() {
	_want=$1
	shift
	tool "$@"
	[ "$TRC" = "$_want" ] || fail "smsotp $* exited $TRC, expected $_want
stdout: $(cat "$TOUT")
stderr: $(cat "$TERR")"
	[ -s "$TERR" ] || fail "smsotp $* failed without a word on stderr"
	# check's notes and warnings go to stdout whatever its verdict
	case " $* " in
	*" check "*) ;;
	*) [ -s "$TOUT" ] && fail "smsotp $* failed but wrote to stdout: $(cat "$TOUT")" ;;
	esac
	return 0
}

# field USER COLUMN: a column of USER's line in the status table (1 USER,
# 2 SENT, 3-4 WINDOW ENDS or "-", then WRONG, LOCKED UNTIL, CODE); reads
# $TOUT.  COLUMN is a name: sent, wrong, locked, code.
field() {
	awk -v u="$1" -v f="$2" '
	NR > 1 && $1 == u {
		i = 3
		if ($i == "-") ends = "-"; else { ends = $i " " $(i + 1); i++ }
		i++
		wrong = $i; i++
		if ($i == "-") locked = "-"; else { locked = $i " " $(i + 1); i++ }
		i++
		code = $i
		if (f == "sent") print $2
		if (f == "wrong") print wrong
		if (f == "locked") print locked
		if (f == "ends") print ends
		if (f == "code") print code
	}' "$TOUT"
}

WRONG=nope

# ---------------------------------------------------------------- check

t_check_ok() {
	std_setup
	tool_ok check --pam-dir "$C/svc"
	assert_contains "$TOUT" "$CONF: OK (1 provider: gw (http); phones from file $C/phones; state in $C/state)"
	# check writes nothing: what the first login makes is told, not made
	[ -e "$C/state" ] && fail "check made the state folder"
	[ -e "$C/hash.key" ] && fail "check made the key"
	assert_contains "$TOUT" "$C/state is not there yet: the first login makes it"
	assert_contains "$TOUT" "$C/hash.key is not there yet: the first login makes it"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	tool_ok check --pam-dir "$C/svc"
	assert_not_contains "$TOUT" "not there yet" "after a login the state folder and key are there"
}
run_case "check: the standard configuration is OK, with its summary" t_check_ok

t_check_unknown_key() {
	std_setup
	std_conf 'bogus_key = 1;'
	tool_fails 1 check
	assert_contains "$TERR" "bogus_key" "the error names the key"
	assert_match "$TERR" "$CONF:5|line 5" "the error names the line"
}
run_case "check: an unknown key names its line and key, exit 1" t_check_unknown_key

t_check_mode() {
	std_setup
	chmod 0644 "$CONF"
	tool_fails 1 check
	assert_contains "$TERR" "$CONF" "the error names the file"
}
run_case "check: a configuration readable by others is refused, exit 1" t_check_mode

t_check_missing() {
	std_setup
	CONF=$C/nonexistent.conf
	tool_fails 1 check
	assert_contains "$TERR" "$CONF" "the error names the file"
}
run_case "check: a missing configuration file, exit 1" t_check_missing

t_check_bad_url() {
	std_setup
	PROVIDERS='{ name = "gw"; type = "http"; url = "ftp://127.0.0.1/sms"; }'
	std_conf
	tool_fails 1 check
	assert_contains "$TERR" "gw" "the error names the provider"
	assert_contains "$TERR" "url" "the error names the key"
}
run_case "check: a provider with a bad url, exit 1" t_check_bad_url

t_check_bad_syntax() {
	std_setup
	std_conf 'max_tries = ;'
	tool_fails 1 check
	assert_contains "$TERR" "$CONF" "the error names the file"
}
run_case "check: a syntax error, exit 1" t_check_bad_syntax

t_check_state_dir() {
	std_setup
	mkdir -p "$C/state"
	chmod 0755 "$C/state"
	tool_fails 1 check
	assert_contains "$TERR" "$C/state" "the error names the state folder"
}
run_case "check: a state folder open to others, exit 1" t_check_state_dir

t_check_phones() {
	std_setup
	chmod 0666 "$C/phones"
	tool_fails 1 check
	assert_contains "$TERR" "$C/phones" "the error names the phones file"
	rm -f "$C/phones"
	tool_fails 1 check
	assert_contains "$TERR" "$C/phones" "a missing phones file (the only source) is named"
}
run_case "check: a phones file writable by others or missing, exit 1" t_check_phones

# ---------------------------------------------------------------- usage

t_usage() {
	std_setup
	TOOL_NOCONF=1
	tool_fails 2
	tool_fails 2 frobnicate
	tool_fails 2 --bogus check
	tool_fails 2 -c
	tool_fails 2 -c "$CONF" check extra
	tool_fails 2 -c "$CONF" send
	tool_fails 2 -c "$CONF" reset
	tool_fails 2 -c "$CONF" reset alice bob
	tool_fails 2 -c "$CONF" status --bogus
	tool_fails 2 -c "$CONF" check --json
	for cmd in check send status reset; do
		tool_ok "$cmd" --help
		assert_contains "$TOUT" "usage: smsotp [-c CONF] $cmd"
		tool_ok -c "$CONF" "$cmd" -h
		assert_contains "$TOUT" "usage: smsotp [-c CONF] $cmd"
	done
	tool_ok --help
	assert_contains "$TOUT" "usage: smsotp"
	tool_ok -h
	assert_contains "$TOUT" "reset USER"
}
run_case "usage errors exit 2 with the usage on stderr; --help for each command" t_usage

# ---------------------------------------------------------------- send

t_send() {
	std_setup
	tool_ok send alice
	assert_contains "$TOUT" "sent to $ALICE_MASKED by provider 'gw'"
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the number the gateway got"
	assert_eq "pam_smsotp test message from $(short_host): this is not a login code." \
	    "$(sms_text)" "the text the gateway got"
	sms_text | grep -qE '[0-9]{6}' && fail "the test message holds 6 digits: $(sms_text)"
	assert_not_contains "$TOUT" "$ALICE_PHONE" "the whole number is never printed"
	[ -e "$C/state/$(printf alice | sha256sum | cut -c1-64)" ] &&
	    fail "send counted against alice's state"
	return 0
}
run_case "send: the test text reaches the gateway, no code, provider named" t_send

t_send_no_number() {
	std_setup
	tool_fails 1 send bob
	assert_contains "$TERR" "bob"
	assert_sms_count 0
	tool_fails 1 send nosuchuser
	assert_contains "$TERR" "no such user"
	assert_sms_count 0
}
run_case "send: a user without a number, an unknown user: exit 1, no SMS" t_send_no_number

t_send_fails() {
	start_gateway --status 500 --body '{"error":"boom"}'
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	std_conf
	tool_fails 1 send alice
	assert_contains "$TERR" "gw" "the provider is named"
	assert_contains "$TERR" "500" "the status is given"
	assert_contains "$TERR" "no provider accepted"
}
run_case "send: the gateway answering 500, exit 1 with the provider's error" t_send_fails

t_send_failover() {
	std_setup
	bad=$(closed_port)
	PROVIDERS="{ name = \"down\"; type = \"http\"; url = \"http://127.0.0.1:$bad/sms\"; retries = 0; }, $(std_provider)"
	std_conf 'provider = [ "down", "gw" ];'
	tool send alice
	assert_eq 0 "$TRC" "exit status (stderr: $(cat "$TERR"))"
	assert_contains "$TERR" "down" "the failed provider is told"
	assert_contains "$TOUT" "by provider 'gw'"
	assert_sms_count 1
}
run_case "send: failover, the failure of the first provider told, the second named" t_send_failover

# ---------------------------------------------------------------- status

t_status_counts() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0;"
	std_conf 'max_tries = 1;'
	tool_ok status alice
	assert_eq 0 "$(field alice sent)" "SENT without state"
	assert_eq 0 "$(field alice wrong)" "WRONG without state"
	assert_eq none "$(field alice code)" "CODE without state"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	pam_run smsotp alice "answer $WRONG 1"
	assert_result MAXTRIES
	tool_ok status alice
	assert_eq 2 "$(field alice sent)" "SENT after 2 logins"
	assert_eq 1 "$(field alice wrong)" "WRONG after 1 wrong code"
	assert_eq pending "$(field alice code)" "CODE after a login that failed"
	assert_eq - "$(field alice locked)" "LOCKED UNTIL"
	pam_run smsotp alice "answer $WRONG 1"
	tool_ok status
	assert_contains "$TOUT" "USER"
	assert_contains "$TOUT" "LOCKED UNTIL"
	assert_eq 3 "$(field alice sent)" "SENT after 3 logins (all users)"
	assert_eq 2 "$(field alice wrong)" "WRONG after 2 wrong codes"
	for c in $(sed -n 's/.*CODE=\([0-9]*\).*/\1/p' "$GW_LOG"); do
		grep -qF "$c" "$TOUT" && fail "status shows a code"
	done
	tool_ok status --json
	"$PYTHON" -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 1, a
o = a[0]
assert o["user"] == "alice" and o["sent"] == 3 and o["wrong"] == 2, o
assert o["locked"] is False and o["locked_until"] is None, o
assert o["code"] == "pending" and isinstance(o["window_ends"], int), o
' "$TOUT" || fail "status --json: $(cat "$TOUT")"
	tool_ok status --json bob
	"$PYTHON" -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert a == [{"user": "bob", "sent": 0, "window_ends": None, "wrong": 0,
	"locked": False, "locked_until": None, "code": "none"}], a
' "$TOUT" || fail "status --json bob: $(cat "$TOUT")"
}
run_case "status: SENT and WRONG after logins, table and --json, never a code" t_status_counts

t_lockout_reset() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0; lockout_after = 2; lockout_time = 600;"
	std_conf 'max_tries = 1;'
	pam_run smsotp alice "answer $WRONG 1"
	pam_run smsotp alice "answer $WRONG 1"
	pam_run smsotp alice 'answer_code 1'
	assert_result MAXTRIES AUTH_ERR
	assert_contains "$OUT" "locked" "the lock holds"
	tool_ok status alice
	[ "$(field alice locked)" = - ] && fail "status does not show the lock: $(cat "$TOUT")"
	tool_ok status --json alice
	"$PYTHON" -c '
import json, sys, time
o = json.load(open(sys.argv[1]))[0]
assert o["locked"] is True and o["locked_until"] > time.time(), o
' "$TOUT" || fail "status --json alice: $(cat "$TOUT")"
	tool_ok reset alice
	assert_contains "$TOUT" "alice: counts and lock cleared"
	tool_ok status alice
	assert_eq - "$(field alice locked)" "LOCKED UNTIL after reset"
	assert_eq 0 "$(field alice wrong)" "WRONG after reset"
	assert_eq 0 "$(field alice sent)" "SENT after reset"
	assert_eq none "$(field alice code)" "CODE after reset"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
}
run_case "status shows a lockout; reset clears it and the next login works" t_lockout_reset

t_reset_unknown() {
	std_setup
	tool_ok reset bob
	assert_contains "$TOUT" "bob: counts and lock cleared"
	tool_ok status --json bob
	"$PYTHON" -c 'import json, sys; assert json.load(open(sys.argv[1]))[0]["sent"] == 0' "$TOUT" ||
	    fail "status --json bob: $(cat "$TOUT")"
	# state file names are hashes: a name cannot leave state_dir
	tool_ok reset ../../etc/passwd
	[ -e "$C/etc/passwd" ] && fail "reset wrote outside state_dir"
	return 0
}
run_case "reset: a user without state is fine; a name cannot leave state_dir" t_reset_unknown

RACE=${RACE:-10}

t_reset_race() {
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0; max_sends = 1000; lockout_after = 1000;"
	std_conf 'max_tries = 1;'
	pids=
	i=1
	while [ $i -le "$RACE" ]; do
		(
			RUN_N=$((999 + i))
			pam_run smsotp alice "answer $WRONG 1"
			echo "$RC" > "$C/race.$i"
		) &
		pids="$pids $!"
		i=$((i + 1))
	done
	# reset as long as logins run
	n=0
	while :; do
		tool reset alice
		[ "$TRC" = 0 ] && [ ! -s "$TERR" ] || fail "reset during logins: exit $TRC: $(cat "$TERR")"
		n=$((n + 1))
		done_n=0
		for f in "$C"/race.*; do
			[ -e "$f" ] && done_n=$((done_n + 1))
		done
		[ "$done_n" -ge "$RACE" ] && break
		[ $n -ge 2000 ] && break
	done
	# shellcheck disable=SC2086
	wait $pids
	i=1
	while [ $i -le "$RACE" ]; do
		o=$C/run$((1000 + i)).out
		[ -s "$C/race.$i" ] || fail "login $i left no exit status"
		# a reset between the send and the answer drops the code: the
		# answer is then a spent code (AUTH_ERR), else a wrong one
		grep -qF -e "pamtester: $(pam_text MAXTRIES)" \
		    -e "pamtester: $(pam_text AUTH_ERR)" "$o" ||
		    fail "login $i did not end with a wrong or spent code: $(cat "$o")"
		grep -qF "not available" "$o" && fail "login $i hit a state error: $(cat "$o")"
		i=$((i + 1))
	done
	if grep -E 'SYSLOG\(LOG_ERR\)|state:' "$C"/run1*.out; then
		fail "the module logged errors during the race"
	fi
	tool_ok status alice
	wrong=$(field alice wrong)
	sent=$(field alice sent)
	[ "$wrong" -ge 0 ] && [ "$wrong" -le "$RACE" ] || fail "WRONG out of range: $wrong"
	[ "$sent" -ge 0 ] && [ "$sent" -le "$RACE" ] || fail "SENT out of range: $sent"
	tool_ok status --json
	"$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$TOUT" ||
	    fail "status --json after the race: $(cat "$TOUT")"
	echo "$n resets during $RACE logins; WRONG $wrong, SENT $sent"
	tool_ok reset alice
	tool_ok status alice
	assert_eq 0 "$(field alice wrong)" "WRONG after the last reset"
}
run_case "reset racing $RACE concurrent wrong-answer logins: state stays whole and consistent" t_reset_race

finish
