#!/bin/sh
# The limits group through real logins: the wiring of the rules, which
# tests/unit/test_policy.c covers one by one by a table with an injected
# clock (the rows name the cases that were here).  What stays: a code
# reused inside resend_after (and the wait told for an empty answer), an
# empty answer's resend and its caps, max_sends reached, a lock counted
# across logins (its text and PAM result), sshd's stand-in answer costing
# no SMS, a few logins of one user at once against the caps (exact counts),
# a corrupt state file failing closed, and user names that try to leave
# state_dir.  No case relies on the machine's speed: every window a case
# relies on (resend_after, lockout_time, send_window) is an hour or ten
# minutes, far longer than its logins take.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# conf_limits LIMITS [TOP-LEVEL LINE...]: the standard configuration with
# this limits group (state_dir is $C/state)
conf_limits() {
	LIMITS_GROUP="state_dir = \"$C/state\"; $1"
	shift
	std_conf "$@"
}

# state_path [USER]: the user's state file, state_dir/<sha256 of the name>
state_path() {
	printf '%s/state/%s' "$C" "$(printf '%s' "${1:-alice}" | sha256sum | cut -c1-64)"
}

# state_get KEY [USER]: a value from the user's state file
state_get() {
	sed -n "s/^$1=//p" "$(state_path "${2:-alice}")"
}

# count_in FILE TEXT: lines of FILE holding the fixed string TEXT
count_in() {
	grep -cF -- "$2" "$1" 2>/dev/null || :
}

MSG_REUSE_RE='Enter the code sent [0-9]+ s ago \(a new one can be sent in [0-9]+ s\)\.'
MSG_RESENT='A new code was sent.'
MSG_RESEND_WAIT='A new code can be sent in '
MSG_MAX_SENDS='No more SMS codes can be sent for now. The next one can be sent in '
MSG_MAX_SENDS_RESEND='No more SMS codes can be sent for now (the next in '
MSG_LOCKED='Too many wrong codes: SMS login is locked for'
MSG_STATE='The SMS code check is not available'
MSG_SPENT='This code is no longer valid'
MSG_WRONG='Wrong code, please try again.'

# A wrong answer that no code can be (codes are digits here).
WRONG=nope

# ---------------------------------------------------------------- resend_after

t_reuse() {
	std_setup
	conf_limits 'resend_after = 3600;' 'max_tries = 1;'
	pam_run smsotp alice "answer $WRONG 1"
	assert_result MAXTRIES
	assert_sms_count 1
	code=$(code_from_log)
	assert_not_match "$OUT" "$MSG_REUSE_RE" "login 1 sent its own code: no reuse notice"
	pam_run smsotp alice 'answer_code 1'
	assert_result SUCCESS
	assert_sms_count 1
	assert_match "$OUT" "$MSG_REUSE_RE" "login 2 is told that the code sent earlier is asked"
	line=$(grep -oE "$MSG_REUSE_RE" "$OUT" | head -n 1)
	ago=$(printf '%s\n' "$line" | sed -E 's/.*sent ([0-9]+) s ago.*/\1/')
	left=$(printf '%s\n' "$line" | sed -E 's/.*can be sent in ([0-9]+) s\).*/\1/')
	assert_eq 3600 "$((ago + left))" "seconds ago + seconds left = resend_after ($line)"
	[ "$left" -gt 0 ] && [ "$left" -le 3600 ] || fail "seconds left out of range: $line"
	assert_contains "$SYSLOG" "result=success, code reused" "the log says the code was reused"
	assert_not_contains "$SYSLOG" "$code" "the reused code never appears in the log"
	assert_eq 1 "$(state_get sends)" "sends in the state file"
}
run_case "resend_after = 3600: login 2 sends nothing, says when, takes login 1's code" t_reuse

# ---------------------------------------------------------------- empty answers

t_empty_resend() {
	std_setup
	conf_limits 'resend_after = 0;'
	pam_run smsotp alice 'answer "" 1; wait_sms 2; answer "$(code_from_log "$GW_LOG" 0)" 2; answer_code 3'
	assert_sms_count 2
	[ "$(code_from_log "$GW_LOG" 0)" = "$(code_from_log)" ] && skip "two codes came out the same by chance"
	assert_result SUCCESS
	assert_eq 1 "$(count_in "$OUT" "$MSG_RESENT")" "the user is told a new code was sent"
	assert_eq 1 "$(count_in "$OUT" "$MSG_WRONG")" "the replaced first code is wrong"
	assert_eq 3 "$(prompt_count)" "prompts"
	assert_eq 2 "$(state_get sends)" "sends in the state file"
}
run_case "empty answer, resend_after = 0: a new code is sent, it replaces the first" t_empty_resend

t_empty_max_tries() {
	# each login may ask max_tries resends; a further empty answer is a
	# wrong one and sends nothing
	std_setup
	conf_limits 'resend_after = 0;' 'max_tries = 3;'
	pam_run smsotp alice 'answer "" 1; answer "" 2; answer "" 3; answer "" 4; wait_sms 4; answer_code 5'
	assert_result SUCCESS
	assert_sms_count 4
	assert_eq 5 "$(prompt_count)" "prompts"
	# pamtester's notices are buffered on stdout; under valgrind each
	# forked send child flushes a copy at its exit (valgrind runs libc's
	# freeres, which flushes stdio), so only there the count may be higher
	n=$(count_in "$OUT" "$MSG_RESENT")
	if [ "$PAM_VALGRIND" = 1 ]; then
		[ "$n" -ge 3 ] || fail "expected 3 notices '$MSG_RESENT', got $n"
	else
		assert_eq 3 "$n" "three resends"
	fi
}
run_case "empty answers, max_tries = 3: three resends per login, then the newest code logs in" t_empty_max_tries

t_empty_max_sends() {
	std_setup
	conf_limits 'resend_after = 0; max_sends = 2; send_window = 600;'
	pam_run smsotp alice 'answer "" 1; answer "" 2; answer_code 3'
	assert_result SUCCESS
	assert_sms_count 2
	assert_eq 1 "$(count_in "$OUT" "$MSG_RESENT")" "one resend within max_sends"
	assert_contains "$OUT" "$MSG_MAX_SENDS_RESEND" "the second resend is over max_sends: told so"
}
run_case "empty answers, max_sends = 2: one resend, then the user is told no more can be sent" t_empty_max_sends

t_empty_resend_after() {
	std_setup
	conf_limits 'resend_after = 3600;'
	pam_run smsotp alice 'answer "" 1; answer_code 2'
	assert_result SUCCESS
	assert_sms_count 1
	assert_contains "$OUT" "$MSG_RESEND_WAIT" "the user is told when a resend becomes possible"
	s=$(sed -n 's/.*A new code can be sent in \([0-9]*\) s.*/\1/p' "$OUT" | head -n 1)
	[ -n "$s" ] && [ "$s" -ge 1 ] && [ "$s" -le 3600 ] ||
		fail "expected 'A new code can be sent in 1..3600 s', got '$s'"
	assert_not_contains "$OUT" "$MSG_RESENT"
}
run_case "empty answer, resend_after = 3600: nothing sent, the wait is told, the code logs in" t_empty_resend_after

# ---------------------------------------------------------------- max_sends, send_window

t_max_sends() {
	std_setup
	conf_limits 'resend_after = 0; max_sends = 2; send_window = 600;'
	for n in 1 2; do
		pam_run smsotp alice 'answer_code 1'
		assert_login_ok
		assert_sms_count $n
	done
	pam_run smsotp alice 'answer 000000 1'
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 2
	assert_no_leftover	# the send process started before the state said no
	assert_contains "$OUT" "$MSG_MAX_SENDS"
	s=$(sed -n 's/.*The next one can be sent in \([0-9]*\) minute(s)\..*/\1/p' "$OUT" | head -n 1)
	[ -n "$s" ] && [ "$s" -ge 1 ] && [ "$s" -le 10 ] ||
		fail "expected 'can be sent in 1..10 minute(s).' (send_window = 600), got '$s'"
	assert_contains "$SYSLOG" "max_sends reached, not sent" "the log line's result"
	assert_eq 2 "$(state_get sends)" "sends in the state file"
}
run_case "max_sends = 2 per send_window = 600: the 3rd login gets no SMS and PAM_MAXTRIES" t_max_sends

# ---------------------------------------------------------------- lockout

t_lockout() {
	# lockout_after = 3, max_tries = 2: login 1's two wrong codes do not
	# lock; login 2's first (the third across logins) does, before
	# max_tries; login 3 finds alice locked: no SMS, no prompt
	std_setup
	conf_limits 'resend_after = 0; lockout_after = 3; lockout_time = 600;' 'max_tries = 2;'
	pam_run smsotp alice "answer $WRONG 1; answer $WRONG 2"
	assert_result MAXTRIES
	assert_not_contains "$OUT" "$MSG_LOCKED" "login 1 does not lock yet"
	assert_eq 2 "$(state_get wrong)" "wrong codes after login 1"
	pam_run smsotp alice "answer $WRONG 1; answer $WRONG 2"
	assert_result MAXTRIES
	assert_eq 1 "$(prompt_count)" "the third wrong code across logins ends login 2 at once"
	assert_contains "$OUT" "$MSG_LOCKED" "the third wrong code locks"
	assert_contains "$OUT" "locked for 10 more minute(s)." "told for how long (lockout_time = 600)"
	assert_contains "$SYSLOG" "alice locked for 600 s after 3 wrong codes"
	assert_contains "$SYSLOG" "result=wrong code, locked"
	assert_sms_count 2
	until_=$(state_get locked_until)
	[ "$until_" -gt "$(date +%s)" ] || fail "locked_until $until_ is not in the future"
	pam_run smsotp alice 'answer_code 1'
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 2
	assert_no_leftover
	assert_contains "$OUT" "$MSG_LOCKED" "a locked user is told"
	assert_contains "$SYSLOG" "result=locked"
}
run_case "lockout_after = 3 across logins: locked at the third wrong code, then no SMS and no prompt" t_lockout

# ---------------------------------------------------------------- sshd's stand-in

t_sshd_stand_in() {
	SETITEMS=
	for d in "$(dirname "$(find_lib libpam_wrapper.so)")" \
	    /usr/lib/*-linux-gnu /usr/lib64 /usr/lib; do
		[ -f "$d/pam_wrapper/pam_set_items.so" ] && SETITEMS=$d/pam_wrapper/pam_set_items.so && break
	done
	[ -n "$SETITEMS" ] || skip "pam_wrapper's pam_set_items.so not found"
	std_setup
	conf_limits 'resend_after = 0; max_sends = 1; send_window = 600;'
	service smsotp "auth required $SETITEMS" "auth required $MODULE conf=$CONF"
	PAM_AUTHTOK=$(printf '\bINCORRECT')
	export PAM_AUTHTOK
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result AUTH_ERR
	assert_eq 3 "$(prompt_count)" "the same prompts as a real login"
	assert_contains "$OUT" "SMS code sent to $ALICE_MASKED: "
	assert_sms_count 0
	assert_contains "$SYSLOG" "result=refused by sshd, not sent"
	[ -e "$(state_path)" ] && fail "the stand-in answer wrote alice's state: $(cat "$(state_path)")"
	# it cost nothing: the one SMS max_sends allows is still there
	unset PAM_AUTHTOK
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_sms_count 1
}
run_case "PAM_AUTHTOK starting with \\b: no SMS, no state, max_sends untouched" t_sshd_stand_in

# ---------------------------------------------------------------- many logins at once

# 8 logins at once: enough to show that none of their counts is lost (the
# store's own test, test_state.c, runs more against the lock); the caps
# scale with MANY (3 of 8).
MANY=${MANY:-8}
CAP=$((MANY * 5 / 12))
[ "$CAP" -ge 2 ] || CAP=2

# many_setup LIMITS: alice's number from a phones.command that holds each
# login until all $MANY have reached it (at most 3 s), so that they meet
# the send step together; the SMS text carries the login's rhost
many_setup() {
	std_setup
	: | write_phones
	mkdir -p "$C/gate" "$C/bar"
	printf '%s\n' '#!/bin/sh' \
	    ": > '$C/gate/'\$\$" \
	    'end=$(($(date +%s%N) / 1000000 + 3000))' \
	    'while [ $(($(date +%s%N) / 1000000)) -lt $end ]; do' \
	    '	n=0' \
	    "	for f in '$C/gate'/*; do n=\$((n + 1)); done" \
	    "	[ \$n -ge $MANY ] && break" \
	    '	sleep 0.02' \
	    'done' \
	    "echo \$n >> '$C/gate.log'" \
	    "echo '$ALICE_PHONE'" > "$C/gate.sh"
	chmod 0755 "$C/gate.sh"
	PHONES_GROUP="file = \"$C/phones\"; command = \"$C/gate.sh\";"
	TEMPLATE='CODE={code} R={rhost}'
	conf_limits "$1" 'max_tries = 1;'
}

# _many_answer I MODE: the answer of login I of $MANY.  Waits until its
# login is at the prompt or over, marks itself in $C/bar, waits until every
# login has (so all have passed the send step before anyone answers), then
# answers: own (the code of the SMS tagged R=cI), last (the last SMS's
# code) or wrong.
_many_answer() {
	mn_i=0
	until grep -q "$PROMPT_RE" "$OUT" 2>/dev/null; do
		_alive "$PAM_PID" || break
		[ $mn_i -ge $((PAM_TIMEOUT * 10)) ] && break
		sleep 0.1
		mn_i=$((mn_i + 1))
	done
	: > "$C/bar/$1"
	grep -q "$PROMPT_RE" "$OUT" 2>/dev/null || return 0
	mn_i=0
	while :; do
		mn_n=0
		for mn_f in "$C"/bar/*; do
			mn_n=$((mn_n + 1))
		done
		[ $mn_n -ge "$MANY" ] && break
		[ $mn_i -ge $((PAM_TIMEOUT * 10)) ] && break
		sleep 0.1
		mn_i=$((mn_i + 1))
	done
	case $2 in
	own) log_get "next((re.search(r\"CODE=(\\S+)\", text(x)).group(1) for x in recs if text(x).endswith(\" R=c$1\")), \"\")" ;;
	last) code_from_log ;;
	*) echo "$WRONG" ;;
	esac
}

# run_many MODE: $MANY logins of alice at once, login I with rhost cI and
# the answer _many_answer I MODE; waits for all.  Login I's output is
# $C/run$((1000 + I)).out, its exit status $C/many.I.  Each pamtester is
# started once the one before has made its pam_wrapper folder (/tmp/pam.X
# is picked with lstat then mkdir: two starting together can pick the
# same); the phones.command gate then lets them on together.
run_many() {
	mn_pids=
	mn_i=1
	while [ $mn_i -le "$MANY" ]; do
		(
			RUN_N=$((999 + mn_i))
			PAMTESTER_OPTS="-I rhost=c$mn_i"
			mn_me=$mn_i
			pam_run smsotp alice "_many_answer $mn_me $1"
			echo "$RC" > "$C/many.$mn_me"
		) &
		mn_pids="$mn_pids $!"
		mn_o=$C/run$((1000 + mn_i)).out
		mn_w=0
		until grep -qE 'pwrap_init: (Successfully initialized|Failed)' "$mn_o" 2>/dev/null ||
		    [ -e "$C/many.$mn_i" ] || [ $mn_w -ge $((WAIT_TIMEOUT * 100)) ]; do
			sleep 0.01
			mn_w=$((mn_w + 1))
		done
		mn_i=$((mn_i + 1))
	done
	# shellcheck disable=SC2086
	wait $mn_pids
	mn_i=1
	while [ $mn_i -le "$MANY" ]; do
		[ -s "$C/many.$mn_i" ] || fail "login $mn_i of $MANY left no exit status"
		mn_i=$((mn_i + 1))
	done
}

# many_count WHAT: how many of the logins ... (success, prompted,
# max_sends, spent, maxtries, locked)
many_count() {
	mn_n=0
	mn_i=1
	while [ $mn_i -le "$MANY" ]; do
		mn_o=$C/run$((1000 + mn_i)).out
		case $1 in
		success) [ "$(cat "$C/many.$mn_i")" = 0 ] ;;
		prompted) grep -q "$PROMPT_RE" "$mn_o" ;;
		max_sends) grep -qF "$MSG_MAX_SENDS" "$mn_o" &&
			grep -qF "pamtester: $(pam_text MAXTRIES)" "$mn_o" &&
			! grep -q "$PROMPT_RE" "$mn_o" ;;
		spent) grep -qF "$MSG_SPENT" "$mn_o" &&
			grep -qF "pamtester: $(pam_text AUTH_ERR)" "$mn_o" ;;
		maxtries) grep -qF "pamtester: $(pam_text MAXTRIES)" "$mn_o" ;;
		locked) grep -qF "$MSG_LOCKED" "$mn_o" ;;
		esac && mn_n=$((mn_n + 1))
		mn_i=$((mn_i + 1))
	done
	echo $mn_n
}

many_summary() {
	echo "logins: $MANY, SMS: $(sms_count), success: $(many_count success)," \
	    "prompted: $(many_count prompted), max_sends: $(many_count max_sends)," \
	    "spent: $(many_count spent), maxtries: $(many_count maxtries)," \
	    "locked: $(many_count locked)," \
	    "let on with all $MANY at the gate: $(grep -cx "$MANY" "$C/gate.log")"
	cat "$(state_path)"
}

t_many_max_sends() {
	many_setup "resend_after = 0; max_sends = $CAP; send_window = 600; lockout_after = 0;"
	run_many own
	many_summary
	assert_sms_count "$CAP"
	assert_eq "$CAP" "$(many_count prompted)" "logins that got an SMS and the prompt"
	assert_eq $((MANY - CAP)) "$(many_count max_sends)" "logins refused by max_sends (PAM_MAXTRIES, no prompt)"
	# one code is kept per user: the last one sent is the one that logs in
	assert_eq 1 "$(many_count success)" "logins that succeeded"
	# the others answered a replaced code (wrong) or after the success (spent)
	assert_eq $((MANY - 1)) "$(($(many_count maxtries) + $(many_count spent)))" \
	    "logins refused: max_sends, wrong or spent code"
	assert_eq "$CAP" "$(state_get sends)" "sends in the state file"
	n=$(log_get 'len(set(text(x).split(" R=")[1] for x in recs))')
	assert_eq "$CAP" "$n" "the $CAP SMS went to $CAP different logins"
}
run_case "$MANY logins of one user at once, resend_after = 0, max_sends = $CAP: exactly $CAP SMS" t_many_max_sends

t_many_reuse() {
	many_setup "resend_after = 3600; max_sends = $CAP; send_window = 600; lockout_after = 0;"
	run_many last
	many_summary
	assert_sms_count 1
	assert_eq "$MANY" "$(many_count prompted)" "every login got the prompt"
	assert_eq 1 "$(many_count success)" "the code is spent by the first right answer"
	assert_eq $((MANY - 1)) "$(many_count spent)" "the others are told the code is no longer valid"
	assert_eq 1 "$(state_get sends)" "sends in the state file"
}
run_case "$MANY logins of one user at once, resend_after = 3600: exactly 1 SMS, 1 success" t_many_reuse

t_many_lockout() {
	# lockout_after = CAP with MANY wrong answers at once: the lock comes
	# at exactly wrong code number CAP; the answers after it find the user
	# locked
	many_setup "resend_after = 3600; max_sends = $CAP; send_window = 600; lockout_after = $CAP; lockout_time = 600;"
	run_many wrong
	many_summary
	assert_sms_count 1
	assert_eq "$CAP" "$(state_get wrong)" "the count stops at lockout_after"
	[ "$(state_get locked_until)" -gt "$(date +%s)" ] || fail "alice is not locked"
	assert_eq $((MANY - CAP + 1)) "$(many_count locked)" "logins told they are locked (wrong code number $CAP and after)"
	assert_eq "$MANY" "$(many_count maxtries)" "every login ends with PAM_MAXTRIES"
}
run_case "$MANY wrong codes at once, lockout_after = $CAP: locked at exactly wrong code number $CAP" t_many_lockout

# ---------------------------------------------------------------- a corrupt state file

# corrupt_case HOW LINE: break alice's state file (saved in $C/good) HOW,
# then a login must fail closed naming the file and LINE, and leave the
# file as it was
corrupt_case() {
	f=$(state_path)
	n=$(sms_count)
	case $1 in
	truncate20) head -c 20 "$C/good" > "$f" ;;
	lines3) head -n 3 "$C/good" > "$f" ;;
	empty) : > "$f" ;;
	number) sed 's/^sends=.*/sends=1x/' "$C/good" > "$f" ;;
	garbage) sed '3s/.*/#!@ garbage/' "$C/good" > "$f" ;;
	unknown) sed 's/^wrong=/wrongs=/' "$C/good" > "$f" ;;
	twice) sed 's/^\(sends=.*\)/\1\n\1/' "$C/good" > "$f" ;;
	header) sed '1s/.*/pam_smsotp-state 9/' "$C/good" > "$f" ;;
	nul) { head -n 5 "$C/good"; printf 'wrong=0\000\n'; tail -n +7 "$C/good"; } > "$f" ;;
	negative) sed 's/^wrong=.*/wrong=-1/' "$C/good" > "$f" ;;
	other) sed 's/^user=.*/user=bob/' "$C/good" > "$f" ;;
	*) fail "unknown corruption $1" ;;
	esac
	cp "$f" "$C/broken"
	pam_run smsotp alice 'answer_code 1'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count "$n"
	assert_contains "$OUT" "$MSG_STATE" "$1: the user is told the check is not available"
	assert_contains "$SYSLOG" "state file $f" "$1: the log names the state file"
	if [ "$2" -gt 0 ]; then
		assert_contains "$SYSLOG" "line $2:" "$1: the log names line $2"
	fi
	assert_contains "$SYSLOG" "result=state refused"
	cmp -s "$f" "$C/broken" || fail "$1: the login changed the corrupt state file"
}

t_state_corrupt() {
	std_setup
	conf_limits 'resend_after = 0;'
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	f=$(state_path)
	[ -f "$f" ] || fail "no state file $f after a login"
	cp -p "$f" "$C/good"
	# each way a file can be broken is test_state.c's (test_corrupt):
	# here, that the login fails closed and recovers
	for how_line in truncate20:2 garbage:3 other:2; do
		corrupt_case "${how_line%%:*}" "${how_line#*:}"
	done
	# removed: a fresh state, the login works
	rm -f "$f"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	[ -f "$f" ] || fail "no new state file after the login"
	# broken again, then rewritten with the good copy: works again
	corrupt_case truncate20 2
	cat "$C/good" > "$f"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_eq 600 "$(stat -c %a "$f")" "the state file's mode"
}
run_case "a truncated or garbled state file fails closed (no SMS, no prompt, file and line logged) and recovers" t_state_corrupt

# ---------------------------------------------------------------- user names and state_dir

t_user_names() {
	start_gateway
	# names nss_wrapper can hold (no ':' or newline) that are paths
	abs=$C/abs-evil
	set -- '../evil' 'a/b' '..' '.' "$abs" '../../evil2' 'x/../../evil3' '%2e%2e' 'secret.key'
	: > "$C/phones.in"
	uid=3001
	for u in "$@"; do
		printf '%s:x:%s:2000:odd name:/nonexistent:/bin/sh\n' "$u" $uid >> "$C/passwd"
		printf '%s %s\n' "$u" "+4477009$uid" >> "$C/phones.in"
		uid=$((uid + 1))
	done
	write_phones < "$C/phones.in"
	conf_limits 'resend_after = 0;'
	service smsotp "auth required $MODULE conf=$CONF"
	n=0
	for u in "$@"; do
		pam_run smsotp "$u" 'answer_code 1'
		n=$((n + 1))
		assert_login_ok
		assert_sms_count $n
		f=$(state_path "$u")
		[ -f "$f" ] || fail "no state file $f for user '$u'"
		enc=$(printf '%s' "$u" | sed 's/%/%25/g')
		assert_eq "$enc" "$(sed -n 's/^user=//p' "$f")" "the name inside the state file of '$u'"
	done
	# only <64 hex> and <64 hex>.lock in state_dir
	bad=$(ls -A "$C/state" | grep -vE '^[0-9a-f]{64}(\.lock)?$')
	assert_eq "" "$bad" "files in state_dir other than hashed names"
	assert_eq "$#" "$(ls -A "$C/state" | grep -cE '^[0-9a-f]{64}$')" "one state file per user"
	# nothing outside it
	assert_eq "" "$(find "$T" -name '*evil*')" "files named *evil* anywhere under the test folder"
	[ -e "$abs" ] && fail "$abs was created"
	[ -e "$C/b" ] && fail "$C/b was created"
	[ -e "$C/state/a" ] && fail "$C/state/a was created"
	[ -e "$C/secret.key" ] && fail "$C/secret.key was created"
	return 0
}
run_case "user names like ../evil, a/b, .., an absolute path: state only as hashed names inside state_dir" t_user_names

t_user_name_long() {
	# a name longer than a state file can hold: refused, nothing written
	start_gateway
	long=$(printf 'a%.0s' $(seq 1 300))
	printf '%s:x:3001:2000:long:/nonexistent:/bin/sh\n' "$long" >> "$C/passwd"
	printf '%s +447700900123\n' "$long" | write_phones
	conf_limits 'resend_after = 0;'
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp "$long" 'answer_code 1'
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "$MSG_STATE" "the user is told the check is not available"
	assert_contains "$SYSLOG" "user name longer than 255 bytes"
	assert_sms_count 0
	assert_not_prompted
	assert_eq "" "$(ls -A "$C/state" | grep -vE '^[0-9a-f]{64}(\.lock)?$')" "files in state_dir"
}
run_case "a 300-byte user name: refused, no SMS, nothing but hashed names in state_dir" t_user_name_long

finish
