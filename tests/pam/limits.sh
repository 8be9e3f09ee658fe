#!/bin/sh
# The limits group through real logins: resend_after (a code reused across
# two logins, a spent code never valid again), empty answers asking for a
# resend, max_sends and send_window, lockout_after and lockout_time (the
# lock and its end, a success resetting the count), sshd's stand-in answer
# costing no SMS, 24 logins of one user at once against the caps (exact SMS
# and wrong-code counts), a truncated or garbled state file failing closed
# and recovering, and user names that try to leave state_dir.
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
	conf_limits 'resend_after = 60;' 'max_tries = 1;'
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
	assert_eq 60 "$((ago + left))" "seconds ago + seconds left = resend_after ($line)"
	[ "$left" -gt 0 ] && [ "$left" -le 60 ] || fail "seconds left out of range: $line"
	assert_contains "$SYSLOG" "result=success, code reused" "the log says the code was reused"
	assert_not_contains "$SYSLOG" "$code" "the reused code never appears in the log"
	assert_eq 1 "$(state_get sends)" "sends in the state file"
}
run_case "resend_after = 60: login 2 sends nothing, says when, takes login 1's code" t_reuse

t_resend_zero() {
	std_setup
	conf_limits 'resend_after = 0;'
	for n in 1 2 3; do
		pam_run smsotp alice 'answer_code 1'
		assert_login_ok
		assert_sms_count $n
		assert_not_match "$OUT" "$MSG_REUSE_RE" "resend_after = 0: no reuse notice (login $n)"
	done
	assert_eq 3 "$(state_get sends)" "sends in the state file"
}
run_case "resend_after = 0: every login sends a new code" t_resend_zero

t_spent_then_new() {
	std_setup
	conf_limits 'resend_after = 60;' 'max_tries = 1;'
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_sms_count 1
	first=$(code_from_log)
	# inside resend_after, but the code is spent: a new one goes out
	pam_run smsotp alice "wait_sms 2; answer $first 1"
	assert_sms_count 2
	second=$(code_from_log)
	[ "$first" = "$second" ] && skip "two codes came out the same by chance"
	assert_not_match "$OUT" "$MSG_REUSE_RE" "a spent code is not offered for reuse"
	assert_result MAXTRIES
	assert_not_contains "$OUT" "successfully authenticated"
	# the new code is the one reused now
	pam_run smsotp alice 'answer_code 1'
	assert_result SUCCESS
	assert_sms_count 2
	assert_match "$OUT" "$MSG_REUSE_RE" "the new code is reused by the next login"
}
run_case "resend_after = 60: after a success the next login sends a new code, the old one is refused" t_spent_then_new

t_spent_code() {
	std_setup
	conf_limits 'resend_after = 0;'
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	first=$(code_from_log)
	pam_run smsotp alice "wait_sms 2; answer $first 1; answer $first 2; answer $first 3"
	assert_sms_count 2
	[ "$first" = "$(code_from_log)" ] && skip "two codes came out the same by chance"
	assert_result MAXTRIES
	assert_eq 3 "$(count_in "$OUT" "Wrong code")" "each use of the spent code is a wrong code"
	assert_not_contains "$OUT" "successfully authenticated"
}
run_case "a spent code is refused at the next login (resend_after = 0)" t_spent_code

# _spent_bg N GO: login N in the background, answering the last SMS's code
# once the file GO exists
_spent_bg() {
	(
		RUN_N=$(($1 - 1))
		pam_run smsotp alice "wait_prompt 1 || exit; i=0; while [ ! -e '$2' ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done; answer_code 1"
		echo "$RC" > "$C/bg$1.rc"
	) &
}

t_spent_two_logins() {
	# both logins are at the prompt with the same (reused) code; the first
	# answer spends it, the second is told it is no longer valid
	std_setup
	conf_limits 'resend_after = 60;' 'max_tries = 1;'
	_spent_bg 101 "$C/go101"
	p1=$!
	i=0
	until grep -q "$PROMPT_RE" "$C/run101.out" 2>/dev/null || [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	_spent_bg 201 "$C/go201"
	p2=$!
	i=0
	until grep -q "$PROMPT_RE" "$C/run201.out" 2>/dev/null || [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	: > "$C/go101"
	wait $p1
	: > "$C/go201"
	wait $p2
	assert_sms_count 1
	assert_eq 0 "$(cat "$C/bg101.rc")" "the first login with the code succeeds"
	OUT=$C/run201.out
	RC=$(cat "$C/bg201.rc")
	assert_match "$OUT" "$MSG_REUSE_RE" "the second login reused the code"
	assert_result AUTH_ERR
	assert_contains "$OUT" "$MSG_SPENT" "the second login is told the code is spent"
	assert_contains "$C/run201.syslog" "result=code spent"
}
run_case "two logins share a reused code: the first spends it, the second is refused" t_spent_two_logins

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
	conf_limits 'resend_after = 60;'
	pam_run smsotp alice 'answer "" 1; answer_code 2'
	assert_result SUCCESS
	assert_sms_count 1
	assert_contains "$OUT" "$MSG_RESEND_WAIT" "the user is told when a resend becomes possible"
	s=$(sed -n 's/.*A new code can be sent in \([0-9]*\) s.*/\1/p' "$OUT" | head -n 1)
	[ -n "$s" ] && [ "$s" -ge 50 ] && [ "$s" -le 60 ] ||
		fail "expected 'A new code can be sent in 50..60 s', got '$s'"
	assert_not_contains "$OUT" "$MSG_RESENT"
}
run_case "empty answer, resend_after = 60: nothing sent, the wait is told, the code logs in" t_empty_resend_after

# ---------------------------------------------------------------- max_sends, send_window

t_max_sends() {
	std_setup
	conf_limits 'resend_after = 0; max_sends = 3; send_window = 600;'
	for n in 1 2 3; do
		pam_run smsotp alice 'answer_code 1'
		assert_login_ok
		assert_sms_count $n
	done
	pam_run smsotp alice 'answer 000000 1'
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 3
	assert_no_leftover	# the send process started before the state said no
	assert_contains "$OUT" "$MSG_MAX_SENDS"
	assert_contains "$OUT" "can be sent in 10 minute(s)." "told when (send_window = 600)"
	assert_contains "$SYSLOG" "max_sends reached, not sent" "the log line's result"
	assert_eq 3 "$(state_get sends)" "sends in the state file"
	# a window that has not ended yet still refuses ...
	now=$(date +%s)
	f=$(state_path)
	sed -i "s/^window_start=.*/window_start=$((now - 590))/" "$f"
	pam_run smsotp alice 'answer 000000 1'
	assert_result MAXTRIES
	assert_sms_count 3
	# ... one that has ended sends again and starts a new count
	sed -i "s/^window_start=.*/window_start=$((now - 601))/" "$f"
	assert_eq 600 "$(stat -c %a "$f")" "the edited state file is still 0600"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_sms_count 4
	assert_eq 1 "$(state_get sends)" "sends counted in the new window"
}
run_case "max_sends = 3 per send_window = 600: the 4th login gets no SMS and PAM_MAXTRIES; the window's end sends again" t_max_sends

# ---------------------------------------------------------------- lockout

# lockout_time: long enough that the login after the lock surely runs
# inside it, even on a loaded machine
LOCK_TIME=5
[ "$PAM_VALGRIND" = 1 ] && LOCK_TIME=60

t_lockout() {
	std_setup
	conf_limits "resend_after = 0; lockout_after = 3; lockout_time = $LOCK_TIME;" 'max_tries = 1;'
	for n in 1 2; do
		pam_run smsotp alice "answer $WRONG 1"
		assert_result MAXTRIES
		assert_not_contains "$OUT" "$MSG_LOCKED" "login $n does not lock yet"
		assert_eq $n "$(state_get wrong)" "wrong codes after login $n"
	done
	pam_run smsotp alice "answer $WRONG 1"
	assert_result MAXTRIES
	assert_contains "$OUT" "$MSG_LOCKED" "the third wrong code locks"
	assert_contains "$SYSLOG" "alice locked for $LOCK_TIME s after 3 wrong codes"
	assert_sms_count 3
	until_=$(state_get locked_until)
	[ "$until_" -gt "$(date +%s)" ] || fail "locked_until $until_ is not in the future"
	# locked: no SMS, no prompt
	pam_run smsotp alice 'answer_code 1'
	[ "$(date +%s)" -lt "$until_" ] || skip "the machine is too slow to log in within lockout_time"
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 3
	assert_contains "$OUT" "$MSG_LOCKED" "a locked user is told"
	assert_contains "$SYSLOG" "result=locked"
	# the lock ends
	while [ "$(date +%s)" -le "$until_" ]; do
		sleep 0.2
	done
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_sms_count 4
	assert_eq 0 "$(state_get wrong)" "wrong codes after the lock ended"
	assert_eq 0 "$(state_get locked_until)" "no lock after a success"
}
run_case "lockout_after = 3 across logins: locked, no SMS while locked, logs in after lockout_time" t_lockout

t_lockout_one_login() {
	std_setup
	conf_limits 'resend_after = 0; lockout_after = 3; lockout_time = 600;' 'max_tries = 5;'
	pam_run smsotp alice "answer $WRONG 1; answer $WRONG 2; answer $WRONG 3; answer $WRONG 4; answer $WRONG 5"
	assert_result MAXTRIES
	assert_eq 3 "$(prompt_count)" "the third wrong code ends the login (max_tries = 5)"
	assert_contains "$OUT" "$MSG_LOCKED"
	pam_run smsotp alice 'answer_code 1'
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 1
}
run_case "lockout_after = 3 inside one login with max_tries = 5: locked at the third wrong code" t_lockout_one_login

t_success_resets() {
	std_setup
	conf_limits 'resend_after = 0; lockout_after = 3; lockout_time = 600;' 'max_tries = 1;'
	for step in wrong wrong right wrong wrong right; do
		if [ $step = wrong ]; then
			pam_run smsotp alice "answer $WRONG 1"
			assert_result MAXTRIES
		else
			pam_run smsotp alice 'answer_code 1'
			assert_login_ok
		fi
		assert_not_contains "$OUT" "$MSG_LOCKED" "never locked: a success resets the count"
	done
	assert_sms_count 6
	assert_eq 0 "$(state_get wrong)" "wrong codes after the last success"
}
run_case "lockout_after = 3: wrong, wrong, right, wrong, wrong does not lock" t_success_resets

t_locked_no_resend() {
	# login A is at the prompt; login B's wrong code locks alice; then A
	# presses Enter: no SMS may go to a locked user
	std_setup
	conf_limits 'resend_after = 0; lockout_after = 1; lockout_time = 600;' 'max_tries = 1;'
	(
		RUN_N=100
		pam_run smsotp alice "wait_prompt 1 || exit; i=0; while [ ! -e '$C/goA' ] && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done; answer '' 1"
		echo "$RC" > "$C/bgA.rc"
	) &
	pa=$!
	i=0
	until grep -q "$PROMPT_RE" "$C/run101.out" 2>/dev/null || [ $i -ge 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	assert_sms_count 1
	pam_run smsotp alice "answer $WRONG 1"
	assert_result MAXTRIES
	assert_contains "$OUT" "$MSG_LOCKED" "login B's wrong code locks alice"
	assert_sms_count 2
	: > "$C/goA"
	wait $pa
	OUT=$C/run101.out
	RC=$(cat "$C/bgA.rc")
	assert_sms_count 2
	assert_ne 0 "$RC" "login A must fail"
	assert_contains "$OUT" "$MSG_LOCKED" "login A is told alice is locked"
}
run_case "a resend asked after the user got locked (by another login) sends no SMS" t_locked_no_resend

t_lockout_zero() {
	std_setup
	conf_limits 'resend_after = 0; lockout_after = 0;' 'max_tries = 3;'
	for n in 1 2 3; do
		pam_run smsotp alice "answer $WRONG 1; answer $WRONG 2; answer $WRONG 3"
		assert_result MAXTRIES
		assert_not_contains "$OUT" "$MSG_LOCKED"
	done
	assert_eq 9 "$(state_get wrong)" "wrong codes counted"
	assert_eq 0 "$(state_get locked_until)" "lockout_after = 0 never locks"
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
}
run_case "lockout_after = 0: nine wrong codes never lock" t_lockout_zero

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

# 24 logins by default; under valgrind 24 memchecked processes on a small
# machine outlast the module's 10 s wait for a user's state lock, so fewer
# (the caps below scale with MANY: 10 of 24).
if [ "$PAM_VALGRIND" = 1 ]; then
	MANY=${MANY:-8}
else
	MANY=${MANY:-24}
fi
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
	many_setup "resend_after = 60; max_sends = $CAP; send_window = 600; lockout_after = 0;"
	run_many last
	many_summary
	assert_sms_count 1
	assert_eq "$MANY" "$(many_count prompted)" "every login got the prompt"
	assert_eq 1 "$(many_count success)" "the code is spent by the first right answer"
	assert_eq $((MANY - 1)) "$(many_count spent)" "the others are told the code is no longer valid"
	assert_eq 1 "$(state_get sends)" "sends in the state file"
}
run_case "$MANY logins of one user at once, resend_after = 60: exactly 1 SMS, 1 success" t_many_reuse

t_many_wrong() {
	many_setup "resend_after = 60; max_sends = $CAP; send_window = 600; lockout_after = 1000;"
	run_many wrong
	many_summary
	assert_sms_count 1
	assert_eq "$MANY" "$(many_count maxtries)" "every login ends with PAM_MAXTRIES"
	assert_eq "$MANY" "$(state_get wrong)" "every wrong code of the $MANY logins is counted"
	assert_eq 0 "$(state_get locked_until)" "not locked (lockout_after = 1000)"
}
run_case "$MANY wrong codes of one user at once, lockout_after = 1000: wrong=$MANY in the state file" t_many_wrong

t_many_lockout() {
	# lockout_after = CAP with MANY wrong answers at once: the lock comes
	# at exactly wrong code number CAP; the answers after it find the user
	# locked
	many_setup "resend_after = 60; max_sends = $CAP; send_window = 600; lockout_after = $CAP; lockout_time = 600;"
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
	for how_line in truncate20:2 lines3:3 empty:1 number:4 garbage:3 unknown:6 \
	    twice:5 header:1 nul:6 negative:6 other:2; do
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
