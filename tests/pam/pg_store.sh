#!/bin/sh
# pg_store.sh: the PostgreSQL store's own rules, on a throwaway PostgreSQL
# 15 cluster (TLS, SCRAM): `smsotp db init` is safe to run again and
# refuses a newer schema or another host key (and so does a login, closed);
# old records are pruned by the logins themselves, once an hour; a conninfo
# that would reach a server over the network without verified TLS is a
# configuration error; names that get no SMS use the stand-in slots.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg_cluster.sh"
require_module
pg_require

pg_primary db1
CI=$(pg_conninfo db1)

# host a: alice (+447700900123) and bob, a gateway, the fleet's key
fleet_host() {
	std_setup
	pg_host a "$(pg_limits "$CI" "resend_after = 0;")"
}

t_db_init() {
	fleet_host
	tool "$CONF" db init
	assert_eq 0 "$TRC" "db init: $(cat "$TERR")"
	assert_match "$TOUT" 'schema version 1 (created|already in place) on 127\.0\.0\.1:[0-9]+/otpdb, TLS \(TLSv1\.[23]\)'
	tool "$CONF" db init
	assert_eq 0 "$TRC" "db init again: $(cat "$TERR")"
	assert_contains "$TOUT" "already in place"
	tool "$CONF" check
	assert_eq 0 "$TRC" "check: $(cat "$TERR")"
	assert_contains "$TOUT" "schema version 1, key matches"
	assert_eq 1 "$(pg_sql db1 'SELECT count(*) FROM smsotp_meta')" "one meta row"

	# a schema of a later release: db init and logins refuse it
	pg_sql db1 'UPDATE smsotp_meta SET schema_version = 2' > /dev/null
	tool "$CONF" db init
	assert_eq 1 "$TRC" "db init on a newer schema"
	assert_contains "$TERR" "newer than this smsotp's"
	pam_run a alice 'answer_code'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_eq 0 "$(sms_count)" "SMS with a newer schema"
	assert_contains "$SYSLOG" "schema is version 2, this module's is 1"
	pg_sql db1 'UPDATE smsotp_meta SET schema_version = 1' > /dev/null

	# a host whose key differs from the fleet's
	std_conf
	LIMITS_GROUP="state_dir = \"$C/state-b\"; key_file = \"$C/other.key\"; store = \"postgresql\"; postgresql = { conninfo = \"$CI\"; password = \"$PG_OTP_PASSWORD\"; };" std_conf
	service b "auth required $MODULE conf=$CONF"
	tool "$CONF" db init
	assert_eq 1 "$TRC" "db init with another key"
	assert_contains "$TERR" "copy it from a host of the fleet"
	tool "$CONF" check
	assert_eq 1 "$TRC" "check with another key"
	pam_run b alice 'answer_code'
	assert_result AUTHINFO_UNAVAIL
	assert_eq 0 "$(sms_count)" "SMS through a host with another key"
	assert_contains "$SYSLOG" "key_file is not the one the database was set up with"
	assert_contains "$OUT" "The SMS code check is not available"
}

t_prune() {
	fleet_host
	tool "$CONF" db init
	pg_sql db1 "INSERT INTO smsotp_users (slot, username, forget_at) VALUES
	    ('gone', 'gone', 1), ('kept', 'kept', NULL),
	    ('later', 'later', 99999999999)" > /dev/null
	pg_sql db1 "UPDATE smsotp_meta SET pruned_at = now() - interval '2 hours'" > /dev/null
	# smsotp check writes nothing: the pruning stays due, for a login
	tool "$CONF" check
	assert_eq 0 "$TRC" "smsotp check: $(cat "$TERR")"
	assert_eq "gone kept later" "$(pg_sql db1 "SELECT string_agg(slot, ' ' ORDER BY slot) FROM smsotp_users WHERE slot IN ('gone', 'kept', 'later')")" "rows after smsotp check"
	assert_eq t "$(pg_sql db1 "SELECT pruned_at < now() - interval '1 hour' FROM smsotp_meta")" "pruned_at left to a login"
	# a host without the fleet's key: check says so, makes none
	mv "$T/hash.key" "$T/hash.key.kept"
	tool "$CONF" check
	assert_eq 1 "$TRC" "check without the key"
	assert_contains "$TERR" "key_file $T/hash.key: missing: every host of the fleet needs the same key"
	[ -e "$T/hash.key" ] && fail "smsotp check made a key"
	mv "$T/hash.key.kept" "$T/hash.key"
	pam_run a alice 'answer_code'
	assert_login_ok
	assert_eq "kept later" "$(pg_sql db1 "SELECT string_agg(slot, ' ' ORDER BY slot) FROM smsotp_users WHERE slot IN ('gone', 'kept', 'later')")" "rows after a due pruning"
	assert_eq t "$(pg_sql db1 "SELECT pruned_at > now() - interval '1 minute' FROM smsotp_meta")" "pruned_at moved"
	# a record that a login just wrote is kept: its window is running
	assert_eq t "$(pg_sql db1 "SELECT forget_at >= floor(extract(epoch FROM now())) + 86000 FROM smsotp_users WHERE slot = 'alice'")" "alice's forget_at is her window's end"
	# not due again within the hour
	pg_sql db1 "INSERT INTO smsotp_users (slot, username, forget_at) VALUES ('gone2', 'gone2', 1)" > /dev/null
	pam_run a alice 'answer_code'
	assert_login_ok
	assert_eq 1 "$(pg_sql db1 "SELECT count(*) FROM smsotp_users WHERE slot = 'gone2'")" "pruned again within the hour"
}

t_conninfo_refused() {
	std_setup
	pg_host n "$(pg_limits "host=db.example.net port=5432 dbname=otpdb user=otp sslmode=require" "resend_after = 0;")"
	pam_run n alice 'answer_code'
	assert_result SERVICE_ERR
	assert_not_prompted
	assert_eq 0 "$(sms_count)" "SMS with a refused conninfo"
	assert_contains "$SYSLOG" "configuration refused: limits.postgresql.conninfo: host 'db.example.net' is not a loopback address or a unix socket: it needs sslmode=verify-full"
	tool "$CONF" check
	assert_eq 1 "$TRC" "check of a refused conninfo"
	assert_contains "$TERR" "needs sslmode=verify-full"
	# the password never reaches a log or the tool's output
	assert_not_contains "$C/syslog.all" "$PG_OTP_PASSWORD"
	assert_not_contains "$TERR" "$PG_OTP_PASSWORD"
}

t_stand_in() {
	fleet_host
	tool "$CONF" db init
	pam_run a mallory 'answer 123456'
	assert_prompted
	assert_eq 0 "$(sms_count)" "SMS for a name without an account"
	assert_eq 0 "$(pg_sql db1 "SELECT count(*) FROM smsotp_users WHERE slot = 'mallory'")" "a row of its own"
	assert_eq 1 "$(pg_sql db1 "SELECT count(*) FROM smsotp_users WHERE slot LIKE 'stand-in:%' AND username = 'mallory'")" "the stand-in slot"
	tool "$CONF" status
	assert_eq 0 "$TRC" "status"
	assert_not_contains "$TOUT" "mallory"
	# a record only looked at holds nothing: the pruning may take it
	tool "$CONF" status nosuchuser
	assert_eq 0 "$(pg_sql db1 "SELECT count(*) FROM smsotp_users WHERE slot = 'nosuchuser' AND (forget_at IS NULL OR forget_at > 0)")" "a looked-at record kept from the pruning"
}

run_case "db init: safe to run again; a newer schema and another key refused, by it and by a login" t_db_init
run_case "old records pruned by a login, at most once an hour, never by smsotp check; a running window kept; check without the key makes none" t_prune
run_case "a conninfo to a server over the network without verified TLS: a configuration error" t_conninfo_refused
run_case "a name that gets no SMS: a stand-in slot in the database, not a row of its own" t_stand_in
finish
