#!/bin/sh
# pg.sh: the PostgreSQL part of `make bench` (#8), run by run.sh.  Starts
# one throwaway PostgreSQL 15 cluster (tests/pg_cluster.sh: 127.0.0.1
# only, TLS with the test CA, SCRAM passwords), runs tests/bench/pgbench.py
# against it, and stops it at exit.  Exit 77 (with the reason) when
# PostgreSQL 15 or pamtester is missing; else pgbench.py's exit (0: the
# goals met, 1: one missed, the figures written all the same; 2: broken).
#
# The bench's own changes to its cluster, on top of pg_cluster.sh's:
#	max_connections = 300 (200 logins at once hold one each), a
#	log_line_prefix with milliseconds, PID and application_name,
#	pg_stat_statements (with planning times) in otpdb when it is there;
#	role bench_trust and three pg_hba.conf lines, first, for the floor's
#	split only (the module's role otp still meets only hostssl +
#	scram-sha-256 over TCP):
#		local otpdb bench_trust trust
#		local otpdb otp scram-sha-256
#		host  otpdb bench_trust 127.0.0.1/32 trust
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg_cluster.sh"

# exit 1 is pgbench.py's "a goal missed"; a bench that broke is 2
fail() {
	echo "FAIL: $*"
	exit 2
}

require_module
command -v pamtester > /dev/null 2>&1 || skip "pamtester is not installed"
find_lib libnss_wrapper.so > /dev/null || skip "libnss_wrapper.so is not installed"
pg_require
[ -x "$TOOL" ] || skip "$TOOL is not built (run make)"

pg_primary bench
pg_sql bench "ALTER SYSTEM SET max_connections = 300" postgres > /dev/null &&
	pg_sql bench "ALTER SYSTEM SET log_line_prefix = '%m [%p] %a '" postgres > /dev/null ||
	fail "cluster settings"
# the server's time per statement without logging each (when the
# extension is there: Debian's postgresql-15 has it)
if [ -f "$(_pg_as "$PG_BIN/pg_config" --sharedir 2>/dev/null)/extension/pg_stat_statements.control" ]; then
	printf '%s\n' "shared_preload_libraries = 'pg_stat_statements'" \
	    'pg_stat_statements.track_planning = on' >> "$PG_DIR/bench/postgresql.conf" ||
		fail "pg_stat_statements settings"
	_pgss=1
fi
pg_stop bench
pg_start bench
pg_sql bench "CREATE ROLE bench_trust LOGIN" postgres > /dev/null || fail "role bench_trust"
[ -z "${_pgss:-}" ] || pg_sql bench "CREATE EXTENSION pg_stat_statements" > /dev/null ||
	fail "CREATE EXTENSION pg_stat_statements"
_hba=$PG_DIR/bench/pg_hba.conf
{
	printf '%s\n' 'local otpdb bench_trust trust' 'local otpdb otp scram-sha-256' \
	    'host otpdb bench_trust 127.0.0.1/32 trust'
	cat "$_hba"
} > "$_hba.new" && chown postgres: "$_hba.new" && mv "$_hba.new" "$_hba" || fail "pg_hba.conf"
pg_sql bench "SELECT pg_reload_conf()" postgres > /dev/null || fail "reload"

BPG_T=$T BPG_PORT=$(pg_port bench) BPG_SOCK=$PG_DIR/sock BPG_CA=$PG_CA/ca.pem \
    BPG_PASSWORD=$PG_OTP_PASSWORD BPG_CONNINFO=$(pg_conninfo bench) \
    BPG_LOG=$PG_DIR/bench.log BPG_BIN=$PG_BIN BPG_TOOL=$TOOL MODULE=$MODULE \
    "$PYTHON" "$TESTS/bench/pgbench.py"
