#!/bin/sh
# The PostgreSQL store when the database is not what it should be (SPEC
# section 2, limits.postgresql): the calling process's PG* variables,
# service files and home (~/.pgpass, ~/.postgresql/) change nothing; a
# wrong CA, no TLS, a wrong password and a database without the schema
# fail closed (PAM_AUTHINFO_UNAVAIL, the user told the check is not
# available, no SMS, one syslog line that says why, never the password);
# the database stopped during a login and between logins fails closed,
# fallback = "file" goes on with this host's state_dir and warns, and the
# counts are there again when it is back; a primary stopped and its hot
# standby promoted: the same conninfo (both hosts, target_session_attrs =
# read-write) reaches the new primary and the counts made before.
# One primary (db1) and its standby (db2) for the whole script.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg_cluster.sh"
pg_require

pg_primary db1
pg_standby db2 db1
CI=$(pg_conninfo db1)
MSG_STATE='The SMS code check is not available. Please try again later.'
MSG_MAX_SENDS='No more SMS codes can be sent for now. The next one can be sent in '

# one_host USER CONNINFO [LIMITS [TOP-LEVEL LINE...]]: a gateway, USER with
# a number, and the service smsotp on the database CONNINFO
one_host() {
	_u=$1
	_ci=$2
	_lim=${3:-resend_after = 0;}
	shift 2
	[ $# -gt 0 ] && shift
	start_gateway
	make_user "$_u"
	printf '%s %s\n' "$_u" "$ALICE_PHONE" | write_phones
	pg_host smsotp "$(pg_limits "$_ci" "$_lim")" "$@"
}

# assert_closed WHY: the last login failed closed because of the database:
# PAM_AUTHINFO_UNAVAIL, the user told, no prompt, no SMS, one syslog line
# "state: postgresql: ..." (LOG_ERR) holding WHY (an extended regex)
assert_closed() {
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "$MSG_STATE" "the user is told the check is not available"
	assert_not_prompted
	assert_sms_count "${N_SMS:-0}"
	assert_eq 1 "$(grep -c 'state: postgresql' "$SYSLOG")" "syslog lines about the database"
	assert_match "$SYSLOG" "SYSLOG\\(3\\): .*state: postgresql: .*($1)" "the syslog line says why"
}

# ---------------------------------------------------------------- db init, check

t_init() {
	# the standby first: target_session_attrs=read-write passes it by
	one_host u_init "$(pg_conninfo_failover db2 db1)"
	tool "$CONF" db init
	assert_eq 0 "$TRC" "smsotp db init: $(cat "$TERR")"
	assert_match "$TOUT" "^schema version 1 [a-z ]*on 127\\.0\\.0\\.1:$(pg_port db1)/otpdb, TLS"
	tool "$CONF" check
	assert_eq 0 "$TRC" "smsotp check: $(cat "$TOUT" "$TERR")"
	assert_match "$TOUT" "postgresql: 127\\.0\\.0\\.1:$(pg_port db1)/otpdb, TLS \\(TLSv1\\.[23]\\).*schema version 1"
	pam_run smsotp u_init 'answer_code 1'
	assert_login_ok
}
run_case "smsotp db init and check through standby,primary (read-write picks the primary); a login works" t_init

# ---------------------------------------------------------------- caller's environment and home

# fake_server: a TCP listener on 127.0.0.1 that records each connection in
# $C/fake.log (the would-be database of the PG* variables); FAKE_PORT
fake_server() {
	: > "$C/fake.log"
	"$PYTHON" -c '
import socket, sys
s = socket.create_server(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(120)
while True:
    c, a = s.accept()
    with open(sys.argv[1], "a") as f:
        f.write("connection from %s:%d\n" % a)
    c.close()
' "$C/fake.log" > "$C/fake.port" 2> "$C/fake.err" < /dev/null &
	_track_pid $!
	wait_file "$C/fake.port" || fail "the fake server did not start: $(cat "$C/fake.err")"
	FAKE_PORT=$(cat "$C/fake.port")
}

t_hostile_env() {
	one_host u_env "$CI"
	fake_server
	pam_run smsotp u_env 'answer_code 1'
	assert_login_ok
	sed 's/([0-9]*)/(PID)/' "$SYSLOG" > "$C/syslog.plain"
	h=$C/home
	mkdir -p "$h/.postgresql"
	printf '[evil]\nhost=127.0.0.1\nport=%s\nsslmode=disable\nuser=evil\ndbname=evil\n' "$FAKE_PORT" > "$C/pg_service.conf"
	cp "$C/pg_service.conf" "$h/pg_service.conf"
	printf '*:*:*:*:wrong-from-pgpass\n' > "$h/.pgpass"
	chmod 0600 "$h/.pgpass"
	cp "$PG_CA/other-ca.pem" "$h/.postgresql/root.crt"
	cp "$PG_CA/wrong.pem" "$h/.postgresql/postgresql.crt"
	cp "$PG_CA/wrong.key" "$h/.postgresql/postgresql.key"
	# libpq refuses a key open to others: read, it would fail the login
	chmod 0644 "$h/.postgresql/postgresql.key"
	PAM_ENV="HOME=$h PGHOST=127.0.0.1 PGHOSTADDR=127.0.0.1 PGPORT=$FAKE_PORT PGSSLMODE=disable
PGSERVICE=evil PGSERVICEFILE=$C/pg_service.conf PGSYSCONFDIR=$h PGOPTIONS=-cstatement_timeout=1
PGTARGETSESSIONATTRS=read-only PGCONNECT_TIMEOUT=1 PGUSER=evil PGDATABASE=evil
PGPASSWORD=wrong-from-env PGPASSFILE=$h/.pgpass PGSSLROOTCERT=$PG_CA/other-ca.pem
PGSSLCERT=$h/.postgresql/postgresql.crt PGSSLKEY=$h/.postgresql/postgresql.key
PGGSSENCMODE=require PGREQUIRESSL=0 PGAPPNAME=evil PGCLIENTENCODING=SQL_ASCII" \
	    pam_run smsotp u_env 'answer_code 1'
	assert_login_ok
	assert_sms_count 2
	sed 's/([0-9]*)/(PID)/' "$SYSLOG" > "$C/syslog.hostile"
	diff "$C/syslog.plain" "$C/syslog.hostile" > "$C/syslog.diff" ||
		fail "the login logged otherwise with the hostile environment:
$(cat "$C/syslog.diff")"
	assert_eq "" "$(cat "$C/fake.log")" "connections to the fake server"
	assert_eq 2 "$(pg_sql db1 "SELECT sends FROM smsotp_users WHERE username = 'u_env'")" "sends in the database"
	# the control: the fake server does see a client that follows PG*
	PGCONNECT_TIMEOUT=2 PGHOST=127.0.0.1 PGPORT=$FAKE_PORT PGSSLMODE=disable \
	    "$PG_BIN/psql" -X -w -c 'SELECT 1' postgres > /dev/null 2>&1
	wait_file "$C/fake.log" 5 || fail "the fake server saw no connection from psql either: the test proves nothing"
}
run_case "PG* variables, service files, ~/.pgpass and ~/.postgresql/ of the caller change nothing; the fake server saw nothing" t_hostile_env

# ---------------------------------------------------------------- TLS refused

t_tls_refused() {
	one_host u_ca "$CI sslrootcert=$PG_CA/other-ca.pem"
	pam_run smsotp u_ca 'answer_code 1'
	assert_closed certificate
	one_host u_ca "$(pg_conninfo db1) sslmode=disable"
	pam_run smsotp u_ca 'answer_code 1'
	assert_closed 'pg_hba.conf|encryption|SSL'
	assert_eq 0 "$(pg_sql db1 "SELECT count(*) FROM smsotp_users WHERE username = 'u_ca'")" "rows for u_ca"
}
run_case "sslrootcert of another CA, or sslmode=disable (the server takes TLS only): the login fails closed, the log says why" t_tls_refused

# ---------------------------------------------------------------- a wrong password

t_wrong_password() {
	pw=wrong-pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	PG_PASSWORD=$pw
	one_host u_pw "$CI"
	pam_run smsotp u_pw 'answer_code 1'
	assert_closed 'password|authentication'
	tool "$CONF" check
	assert_eq 1 "$TRC" "smsotp check with a wrong password: $(cat "$TOUT" "$TERR")"
	assert_match "$TERR" 'password|authentication' "smsotp check says why"
	for f in "$C/syslog.all" "$TOUT" "$TERR"; do
		assert_not_contains "$f" "$pw" "the wrong password in $(basename "$f")"
		assert_not_contains "$f" "$PG_OTP_PASSWORD" "the right password in $(basename "$f")"
	done
}
run_case "a wrong password: fails closed, smsotp check exits 1; the password is in no log line nor in the tool's output" t_wrong_password

# ---------------------------------------------------------------- no schema

t_no_schema() {
	pg_sql db1 "CREATE DATABASE otpdb_bare OWNER otp" postgres > /dev/null || fail "CREATE DATABASE otpdb_bare"
	one_host u_bare "$(pg_conninfo db1 otpdb_bare)"
	pam_run smsotp u_bare 'answer_code 1'
	assert_closed 'smsotp db init'
	tool "$CONF" check
	assert_eq 1 "$TRC" "smsotp check without the schema: $(cat "$TOUT" "$TERR")"
	assert_contains "$TERR" "smsotp db init" "smsotp check tells to run db init"
	tool "$CONF" db init
	assert_eq 0 "$TRC" "smsotp db init: $(cat "$TERR")"
	tool "$CONF" check
	assert_eq 0 "$TRC" "smsotp check after db init: $(cat "$TOUT" "$TERR")"
	pam_run smsotp u_bare 'answer_code 1'
	assert_login_ok
}
run_case "no schema (db init not run): fails closed telling to run smsotp db init; check exits 1, then 0 after db init" t_no_schema

# ---------------------------------------------------------------- the database stopped

t_db_down() {
	one_host u_down "$CI" 'resend_after = 0; lockout_after = 0;'
	PG_FALLBACK=file
	TEMPLATE='FB CODE={code}'
	pg_host smsotp-fb "$(pg_limits "$CI" 'resend_after = 0; lockout_after = 0;')"
	pam_run smsotp u_down 'answer_code 1'
	assert_login_ok
	# stopped while a login waits at the prompt
	pam_run smsotp u_down 'answer_code 1 > /dev/null && pg_stop db1 && code_from_log'
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "$MSG_STATE" "the user is told the check is not available"
	assert_sms_count 2
	cp "$SYSLOG" "$C/syslog.at-prompt"
	# stopped: nothing sent, fails closed
	N_SMS=2
	pam_run smsotp u_down 'answer_code 1'
	assert_closed 'refused|connect|server'
	[ "$ELAPSED_MS" -le $((3000 + TIME_SLACK_MS)) ] || fail "the refused login took $ELAPSED_MS ms"
	# fallback = "file": this host's state_dir, a warning
	pam_run smsotp-fb u_down 'answer_code 1'
	assert_login_ok
	assert_sms_count 3
	assert_contains "$GW_LOG" "FB CODE=" "the SMS went through the fallback host"
	assert_match "$SYSLOG" "SYSLOG\\(4\\): state: postgresql not available \\(.*Connection refused.*\\); using this host's state_dir $C/state-smsotp-fb \\(fallback = \"file\"\\)" \
	    "a warning: the database is not available, the fallback is used"
	# back: the counts of before it went down, not the fallback's
	pg_start db1
	assert_eq "2" "$(pg_sql db1 "SELECT sends FROM smsotp_users WHERE username = 'u_down'")" "sends in the database"
	tool "$CONF" status --json u_down
	"$PYTHON" -c 'import json, sys; o = json.load(open(sys.argv[1]))[0]; assert o["sent"] == 2, o' "$TOUT" ||
		fail "status after the restart: $(cat "$TOUT" "$TERR")"
	pam_run smsotp u_down 'answer_code 1'
	assert_login_ok
	pg_wait_streaming db2
	# last, so that all the above is checked whatever it says: the line
	# of the login whose connection the stop ended
	assert_match "$C/syslog.at-prompt" "SYSLOG\\(3\\): .*state: postgresql: " \
	    "the login stopped at its prompt logs 'state: postgresql: <cause>'"
}
run_case "database stopped at a prompt and between logins: fails closed, nothing sent; fallback = file warns and goes on; counts kept" t_db_down

# ---------------------------------------------------------------- failover

t_failover() {
	pg_start db1	# if a case before left it stopped
	# the standby first: target_session_attrs=read-write passes it by
	one_host u_ha "$(pg_conninfo_failover db2 db1)" 'resend_after = 0; max_sends = 2; send_window = 3600;'
	pam_run smsotp u_ha 'answer_code 1'
	assert_login_ok
	pg_wait_replayed db2 db1
	pg_stop db1
	pg_promote db2
	pam_run smsotp u_ha 'answer_code 1'
	assert_login_ok
	assert_sms_count 2
	# the third SMS would be over max_sends: the count made on db1 is there
	pam_run smsotp u_ha 'answer_code 1'
	assert_result MAXTRIES
	assert_contains "$OUT" "$MSG_MAX_SENDS" "max_sends counts the send made before the failover"
	assert_sms_count 2
	assert_eq 2 "$(pg_sql db2 "SELECT sends FROM smsotp_users WHERE username = 'u_ha'")" "sends on the new primary"
}
run_case "primary stopped, standby promoted: the same conninfo logs in on the new primary, which has the counts made before" t_failover

finish
