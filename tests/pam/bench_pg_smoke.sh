#!/bin/sh
# The PostgreSQL part of `make bench` (tests/bench/pg.sh), tiny: one run
# of each, 4 logins at once over the 4 hosts, one login with its
# statements logged.  Every phase runs, results.json gets its "postgresql"
# figures, the counts are exact, and nothing of the bench's stays in
# /etc/pam.d.  The figures themselves are not judged here.
. "$(dirname "$0")/../lib.sh"
require_module

[ "$(id -u)" = 0 ] || skip "make bench needs root"
[ "$PAM_ASAN" = 1 ] || [ "$PAM_VALGRIND" = 1 ] && skip "not under a memory checker"
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip "PostgreSQL 15 is not installed"
command -v pamtester > /dev/null 2>&1 || skip "pamtester is not installed"

t_bench_pg() {
	BENCH_MAIN=0 BENCH_PG_N=1 BENCH_PG_CONC=4 BENCH_PG_PROFILED=1 BENCH_OUT=$C/out \
	    BENCH_NO_INSTALL=1 MODULE=$MODULE sh "$ROOT/tests/bench/run.sh" > "$C/bench.out" 2>&1
	rc=$?
	# 1 is a missed goal: the figures are still written
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the PostgreSQL bench failed (exit $rc): $(tail -5 "$C/bench.out")"
	[ -s "$C/out/results.json" ] || fail "no results.json: $(tail -5 "$C/bench.out")"
	got=$("$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))["postgresql"]
one, many = r["concurrent"]["one_user"], r["concurrent"]["many_users"]
print(r["login_ms"]["postgresql"]["n"], int(r["floor_ms"]["median"] > 0),
      r["statements"]["statements_per_login"]["median"] > 0,
      one["sms"], one["db_sends"], one["prompted"], one["told_cap"],
      many["sms"], many["succeeded"], many["db_sends_1"])
' "$C/out/results.json")
	# one user, 4 logins at once against max_sends = 1; then 4 users
	assert_eq "1 1 True 1 1 1 3 4 4 4" "$got" "runs, floor, statements, one user's SMS / sends / prompts / told the cap, 4 users' SMS / successes / counts of 1"
	assert_contains "$C/bench.out" "goal: postgresql − file ≤ floor + 3 ms" "the table is printed"
	left=$(ls /etc/pam.d | grep -c '^smsotp-pgbench-') || true
	assert_eq 0 "$left" "services the bench put into /etc/pam.d are gone"
}
run_case "make bench's PostgreSQL part (tiny): every phase runs, counts exact" t_bench_pg

finish
