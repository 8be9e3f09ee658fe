#!/bin/sh
# Several hosts, one database (SPEC section 2, limits.store = "postgresql"):
# the "hosts" are module configurations that differ in state_dir and in
# their SMS text ("host-a {code}", ...) and share the key file and the
# database (one throwaway PostgreSQL 15 cluster, tests/pg_cluster.sh).
# What one host counts, every host sees: 12 logins at once over three
# hosts against max_sends, wrong codes on three hosts against
# lockout_after, a code sent by one host asked and accepted on another and
# then spent on all, the database's clock deciding (a host 2 h ahead under
# libfaketime), smsotp status and reset on one host for counts made
# through the others; libpq loaded only for the PostgreSQL store; no plain
# code in the database.  Each case has its own user.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg_cluster.sh"
pg_require

pg_primary db
CI=$(pg_conninfo db)

# the SMS text is "host-X CODE"
CODE_RE='^host-[a-z] (\S+)$'
WRONG=nope
MSG_REUSE_RE='Enter the code sent [0-9]+ s ago'
MSG_MAX_SENDS='No more SMS codes can be sent for now. The next one can be sent in '
MSG_LOCKED='Too many wrong codes: SMS login is locked for'
MSG_SPENT='This code is no longer valid'

# fleet USER LIMITS [TOP-LEVEL LINE...]: a gateway, USER (with a number)
# and the hosts host-a, host-b, host-c on the database with these limits
fleet() {
	FL_USER=$1
	FL_LIMITS=$(pg_limits "$CI" "$2")
	shift 2
	start_gateway
	make_user "$FL_USER"
	printf '%s %s\n' "$FL_USER" "$ALICE_PHONE" | write_phones
	for h in a b c; do
		TEMPLATE="host-$h {code}"
		pg_host "host-$h" "$FL_LIMITS" "$@"
	done
}

# row USER COLUMNS: the user's row in smsotp_users (fields split by |)
row() {
	pg_sql db "SELECT $2 FROM smsotp_users WHERE username = '$1'"
}

# no_state_errors FILE...: no login logged a store error
no_state_errors() {
	if grep -h 'state: ' "$@" | grep -v 'result='; then
		fail "the module logged a store error"
	fi
	return 0
}

# ---------------------------------------------------------------- db init

t_db_init() {
	fleet u_init 'resend_after = 0;'
	tool "$C/host-a.conf" db init
	assert_eq 0 "$TRC" "smsotp db init: $(cat "$TERR")"
	assert_match "$TOUT" "^schema version 1 (ready|created) on 127\.0\.0\.1:$(pg_port db)/otpdb"
	# safe to run again, from another host
	tool "$C/host-b.conf" db init
	assert_eq 0 "$TRC" "smsotp db init, again: $(cat "$TERR")"
	assert_eq 1 "$(pg_sql db 'SELECT schema_version FROM smsotp_meta')" "schema_version"
}
run_case "smsotp db init creates schema version 1, and again on another host changes nothing" t_db_init

# ---------------------------------------------------------------- max_sends

MANY=12
CAP=4

t_many() {
	# pam_exec runs gate.sh before the module in each login: it marks its
	# arrival and waits, without polling, on the FIFO gate.fifo, which the
	# test opens once all have arrived, so that all meet the module (and
	# its send step) together
	mkdir -p "$C/gate"
	mkfifo "$C/gate.fifo"
	printf '%s\n' '#!/bin/sh' ": > '$C/gate/'\$\$" "timeout $((WAIT_TIMEOUT * 3)) cat '$C/gate.fifo' > /dev/null" \
	    "echo \$? > '$C/gate/'\$\$.rc" > "$C/gate.sh"
	chmod 0755 "$C/gate.sh"
	# 12 connections at once, each forking a backend and doing TLS and
	# SCRAM: more than 3 s under ASan on a busy 2-core machine (seen:
	# "connection to server ... failed: timeout expired", failed closed)
	PG_TIMEOUT=20
	fleet u_many "resend_after = 0; max_sends = $CAP; send_window = 600; lockout_after = 0;" 'max_tries = 1;'
	for h in a b c; do
		service "host-$h" "auth optional $SECDIR/pam_exec.so $C/gate.sh" \
		    "auth required $MODULE conf=$C/host-$h.conf"
	done
	pids=
	i=1
	t0=$(date +%s%N)
	while [ $i -le $MANY ]; do
		h=$(echo a b c | cut -d' ' -f$((i % 3 + 1)))
		(
			RUN_N=$((999 + i))
			# one prompt at most: the answer waits in the pipe (no poll)
			pam_run "host-$h" u_many "echo $WRONG"
			echo "$RC" > "$C/many.$i"
		) &
		pids="$pids $!"
		# pam_wrapper picks its /tmp/pam.X with lstat then mkdir: the
		# next login starts once this one has its folder
		o=$C/run$((1000 + i)).out
		end=$(($(date +%s) + WAIT_TIMEOUT))
		until grep -qE 'pwrap_init: (Successfully initialized|Failed)' "$o" 2>/dev/null ||
		    [ -e "$C/many.$i" ] || [ "$(date +%s)" -ge $end ]; do
			sleep 0.05
		done
		i=$((i + 1))
	done
	# all at the gate (or as many as came in time): open it
	end=$(($(date +%s) + WAIT_TIMEOUT))
	while :; do
		n=0
		for f in "$C"/gate/*; do
			case $f in *.rc | *"/*") ;; *) n=$((n + 1)) ;; esac
		done
		[ $n -ge $MANY ] || [ "$(date +%s)" -ge $end ] && break
		sleep 0.05
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	waiting=$((n - $(cat "$C"/gate/*.rc 2> /dev/null | wc -l)))
	# opened and closed again until every login has passed (one that came
	# late, or was just about to wait, is let on by the next round)
	end=$(($(date +%s) + WAIT_TIMEOUT * 3))
	while :; do
		exec 3<> "$C/gate.fifo"
		exec 3>&-
		n=0
		for f in "$C"/gate/*.rc "$C"/many.*; do
			[ -e "$f" ] && n=$((n + 1))
		done
		[ $n -ge $((MANY * 2)) ] || [ "$(date +%s)" -ge $end ] && break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	wait $pids
	echo "$waiting of $MANY logins waiting at the gate when it opened, $ms ms after the first started"
	prompted=0
	capped=0
	i=1
	while [ $i -le $MANY ]; do
		o=$C/run$((1000 + i)).out
		[ -s "$C/many.$i" ] || fail "login $i left no exit status"
		grep -q "$PROMPT_RE" "$o" && prompted=$((prompted + 1))
		grep -qF "$MSG_MAX_SENDS" "$o" && grep -qF "pamtester: $(pam_text MAXTRIES)" "$o" &&
		    ! grep -q "$PROMPT_RE" "$o" && capped=$((capped + 1))
		i=$((i + 1))
	done
	echo "SMS: $(sms_count) ($(for h in a b c; do printf 'host-%s %s ' $h "$(grep -c "host-$h " "$GW_LOG")"; done))," \
	    "prompted: $prompted, told the cap: $capped"
	assert_sms_count $CAP
	assert_eq $CAP "$prompted" "logins that got an SMS and the prompt"
	assert_eq $((MANY - CAP)) "$capped" "logins told max_sends (PAM_MAXTRIES, no prompt)"
	assert_eq $CAP "$(row u_many sends)" "sends in the database"
	no_state_errors "$C"/run1*.syslog
}
run_case "$MANY logins of one user at once over 3 hosts, max_sends = $CAP: exactly $CAP SMS, the rest told the cap" t_many

# ---------------------------------------------------------------- lockout

t_lockout() {
	fleet u_lock 'resend_after = 0; lockout_after = 3; lockout_time = 600;' 'max_tries = 1;'
	for h in a b c; do
		pam_run "host-$h" u_lock "answer $WRONG 1"
		assert_result MAXTRIES
		assert_contains "$GW_LOG" "host-$h " "host-$h sent its own SMS"
	done
	assert_contains "$OUT" "$MSG_LOCKED" "the third wrong code (on host-c) locks"
	assert_eq "3|t" "$(row u_lock "wrong, locked_until > extract(epoch FROM now())")" "wrong codes and the lock in the database"
	for h in a b c; do
		pam_run "host-$h" u_lock 'answer_code 1'
		assert_result MAXTRIES
		assert_not_prompted
		assert_contains "$OUT" "$MSG_LOCKED" "host-$h tells the user of the lock"
		assert_sms_count 3
	done
}
run_case "lockout_after = 3: wrong codes on host-a, -b, -c lock the user on every host; nothing sent" t_lockout

# ---------------------------------------------------------------- a code from another host

# wait_prompt_in FILE DONE: until FILE shows the prompt (bounded; over when
# the file DONE says the login has ended)
wait_prompt_in() {
	end=$(($(date +%s) + WAIT_TIMEOUT * 2))
	until grep -q "$PROMPT_RE" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt $end ] && [ ! -e "$2" ] || fail "no prompt in $(basename "$1"): $(cat "$1")"
		sleep 0.05
	done
}

t_other_host() {
	# host-a sends; host-c and host-b ask for host-a's code (resend_after:
	# no SMS); host-b answers it; then host-a and host-c, still at their
	# prompts, answer it too: spent everywhere
	fleet u_other 'resend_after = 3600; lockout_after = 0;' 'max_tries = 1;'
	(
		RUN_N=100
		pam_run host-a u_other 'wait_sms 1 && wait_prompt 1 && wait_file "$C/b.done" 60 && code_from_log'
		echo "$RC" > "$C/rc.a"
	) &
	pa=$!
	wait_sms 1 || fail "host-a sent no SMS"
	code=$(code_from_log)
	(
		RUN_N=200
		pam_run host-c u_other 'wait_prompt 1 && wait_file "$C/b.done" 60 && code_from_log'
		echo "$RC" > "$C/rc.c"
	) &
	pc=$!
	wait_prompt_in "$C/run201.out" "$C/rc.c"
	pam_run host-b u_other "answer $code 1"
	assert_result SUCCESS
	assert_sms_count 1
	assert_match "$OUT" "$MSG_REUSE_RE" "host-b asks for the code host-a sent"
	echo over > "$C/b.done"
	wait $pa $pc
	assert_match "$C/run201.out" "$MSG_REUSE_RE" "host-c asked for host-a's code too"
	for r in 101 201; do
		assert_contains "$C/run$r.out" "$MSG_SPENT" "run$r: the code is spent"
		assert_contains "$C/run$r.out" "pamtester: $(pam_text AUTH_ERR)" "run$r: PAM_AUTH_ERR"
	done
	assert_sms_count 1
	assert_eq 1 "$(row u_other sends)" "sends in the database"
}
run_case "a code sent by host-a is asked and accepted on host-b (nothing sent), then spent on host-a and host-c" t_other_host

# ---------------------------------------------------------------- the database's clock

FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}

# faketime_env: PAM_ENV for the next pam_run 2 h ahead: pam_run's preload
# (it takes colons as well as spaces) with libfaketime.  Under ASan,
# libfaketime comes first (after the ASan runtime, a process hangs at its
# start) and leak detection is off (LeakSanitizer aborts at exit with
# libfaketime loaded); ASan's errors still go to the run's report.
faketime_env() {
	if [ "$PAM_ASAN" = 1 ]; then
		_pre="$FAKETIME_LIB $LIBASAN libpam_wrapper.so $NSS_PRELOAD"
		echo "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:verify_asan_link_order=0:log_path=$C/run$((RUN_N + 1)).asan"
	else
		_pre="libpam_wrapper.so $NSS_PRELOAD $FAKETIME_LIB"
	fi
	echo "LD_PRELOAD=$(echo "$_pre" | tr ' ' ':') FAKETIME=+2h"
}

t_db_clock() {
	[ -f "$FAKETIME_LIB" ] || skip "libfaketime is not installed ($FAKETIME_LIB)"
	[ "$PAM_VALGRIND" = 1 ] && skip "libfaketime is not preloaded under valgrind"
	now=$(date +%s)
	ahead=$(LD_PRELOAD=$FAKETIME_LIB FAKETIME=+2h date +%s)
	[ $((ahead - now)) -ge 7100 ] || fail "libfaketime does not move date(1) 2 h ahead: $now, $ahead"
	fleet u_clock 'resend_after = 3600; lockout_after = 0;' 'max_tries = 1;' 'ttl = 60;'
	pam_run host-a u_clock "answer $WRONG 1"
	assert_result MAXTRIES
	assert_sms_count 1
	# host-b runs 2 h ahead: by its clock host-a's code expired long ago
	PAM_ENV=$(faketime_env) pam_run host-b u_clock \
	    'wait_prompt 1 && grep -c faketime /proc/$PAM_PID/maps > "$C/maps.faketime"; code_from_log'
	assert_result SUCCESS
	[ "$(cat "$C/maps.faketime")" -ge 1 ] || fail "libfaketime was not loaded in host-b's login"
	assert_sms_count 1
	assert_match "$OUT" "$MSG_REUSE_RE" "host-b asks for host-a's code"
	ago=$(grep -oE "$MSG_REUSE_RE" "$OUT" | head -n 1 | sed -E 's/.*sent ([0-9]+) s ago/\1/')
	[ "$ago" -lt 60 ] || fail "host-b says the code was sent $ago s ago (the database's clock: less than ttl = 60)"
	# the control: the file store on this host takes the host's clock
	LIMITS_GROUP="state_dir = \"$C/state-file\"; key_file = \"$T/hash.key\"; resend_after = 3600;"
	TEMPLATE='host-f {code}'
	std_conf 'max_tries = 1;' 'ttl = 60;'
	service host-f "auth required $MODULE conf=$CONF"
	pam_run host-f u_clock "answer $WRONG 1"
	assert_sms_count 2
	PAM_ENV=$(faketime_env) pam_run host-f u_clock "answer $(code_from_log) 1"
	assert_result MAXTRIES
	assert_not_match "$OUT" "$MSG_REUSE_RE" "the file store 2 h ahead finds the code expired: a new one"
	assert_sms_count 3
}
run_case "ttl = 60: a host 2 h ahead (libfaketime) accepts a code another host sent: the database's clock decides" t_db_clock

# ---------------------------------------------------------------- status and reset

t_status_reset() {
	fleet u_stat 'resend_after = 0; lockout_after = 2; lockout_time = 600;' 'max_tries = 1;'
	pam_run host-a u_stat "answer $WRONG 1"
	pam_run host-b u_stat "answer $WRONG 1"
	assert_contains "$OUT" "$MSG_LOCKED" "the second wrong code locks"
	tool "$C/host-c.conf" status --json u_stat
	assert_eq 0 "$TRC" "status on host-c: $(cat "$TERR")"
	"$PYTHON" -c '
import json, sys
o = json.load(open(sys.argv[1]))[0]
assert o["user"] == "u_stat" and o["sent"] == 2 and o["wrong"] == 2 and o["locked"] is True, o
' "$TOUT" || fail "status on host-c: $(cat "$TOUT")"
	tool "$C/host-c.conf" reset u_stat
	assert_eq 0 "$TRC" "reset on host-c: $(cat "$TERR")"
	assert_contains "$TOUT" "u_stat: counts and lock cleared"
	tool "$C/host-a.conf" status --json u_stat
	"$PYTHON" -c '
import json, sys
o = json.load(open(sys.argv[1]))[0]
assert o["sent"] == 0 and o["wrong"] == 0 and o["locked"] is False and o["code"] == "none", o
' "$TOUT" || fail "status on host-a after the reset on host-c: $(cat "$TOUT")"
	pam_run host-b u_stat 'answer_code 1'
	assert_login_ok
	assert_sms_count 3
}
run_case "smsotp status and reset on host-c show and clear what host-a and host-b counted" t_status_reset

# ---------------------------------------------------------------- libpq only when used

# maps_at_prompt NAME: the answer command that keeps the libpq lines of
# pamtester's maps at the prompt in $C/maps.NAME, then answers the code
maps_at_prompt() {
	echo "wait_prompt 1 && { grep libpq /proc/\$PAM_PID/maps > '$C/maps.$1' || :; } && code_from_log"
}

t_libpq() {
	fleet u_maps 'resend_after = 0;'
	LIMITS_GROUP="state_dir = \"$C/state-file\"; key_file = \"$T/hash.key\"; resend_after = 0;"
	TEMPLATE='host-f {code}'
	std_conf
	service host-f "auth required $MODULE conf=$CONF"
	pam_run host-f u_maps "$(maps_at_prompt file)"
	assert_login_ok
	[ -f "$C/maps.file" ] || fail "no maps read at the prompt"
	assert_eq "" "$(cat "$C/maps.file")" "libpq in a store = \"file\" login's maps"
	pam_run host-a u_maps "$(maps_at_prompt pg)"
	assert_login_ok
	assert_contains "$C/maps.pg" "libpq.so.5" "libpq in a store = \"postgresql\" login's maps"
}
run_case "nothing of libpq is loaded for store = \"file\"; libpq.so.5 is for store = \"postgresql\"" t_libpq

# ---------------------------------------------------------------- no plain code

t_no_plain_code() {
	fleet u_hash 'resend_after = 0;' 'max_tries = 1;'
	pam_run host-a u_hash "answer $WRONG 1"
	assert_result MAXTRIES
	code=$(code_from_log)
	[ -n "$code" ] || fail "no code in the SMS"
	r=$(row u_hash '*')
	[ -n "$r" ] || fail "no row for u_hash"
	echo "code $code, row: $r"
	assert_ne "" "$(row u_hash code_hash)" "a code is kept (code_hash)"
	echo "$r" | tr '|' '\n' | grep -qxF "$code" && fail "a column of the row is the code $code"
	hex=$(printf '%s' "$code" | od -An -tx1 | tr -d ' \n')
	case $r in *"$hex"*) fail "the row holds the code's bytes ($hex)" ;; esac
	dump=$(pg_sql db "SELECT m::text FROM smsotp_meta m")
	case $dump in *"$code"* | *"$hex"*) fail "smsotp_meta holds the code: $dump" ;; esac
	return 0
}
run_case "the database holds no plain code: no column of the user's row is the code sent" t_no_plain_code

finish
