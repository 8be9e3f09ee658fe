#!/bin/sh
# `make bench`, small (2 runs of each, 4 logins at once), where nginx is
# installed (make check does not install it: its package starts a server):
# every phase runs and succeeds, the figures file and the plot are written,
# the counts are exact, and nothing of the bench's stays in /etc/pam.d.
# The figures themselves are not judged here.
. "$(dirname "$0")/../lib.sh"
require_module

[ "$(id -u)" = 0 ] || skip "make bench needs root"
[ "$PAM_ASAN" = 1 ] || [ "$PAM_VALGRIND" = 1 ] && skip "not under a memory checker"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || skip "nginx is not installed"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

t_bench() {
	BENCH_N=2 BENCH_CONC=4 BENCH_OUT=$C/out BENCH_NO_INSTALL=1 BENCH_PG=0 MODULE=$MODULE \
	    sh "$ROOT/tests/bench/run.sh" > "$C/bench.out" 2>&1
	rc=$?
	# 1 is a missed target: the figures are still written
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "make bench failed (exit $rc): $(tail -5 "$C/bench.out")"
	[ -s "$C/out/results.json" ] || fail "no results.json"
	[ -s "$C/out/bench.png" ] || [ -s "$C/out/bench.svg" ] || fail "no plot"
	got=$("$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
c = r["concurrent"]
print(len(r["sequential"]["A"]), c["logins"]["succeeded"], c["logins"]["sms"],
      c["logins"]["users_with_one_sms"], c["curls"]["ok"], c["one_user"]["sms"],
      c["one_user"]["prompted"], int(r["summary"]["A_rss_kib"] > 0))
' "$C/out/results.json")
	# one user, 4 logins at once against max_sends = 10: 4 SMS
	assert_eq "2 4 4 4 4 4 4 1" "$got" "runs, logins at once, SMS, users with one, curls, one user's SMS and prompts, RSS"
	assert_contains "$C/bench.out" "wall overhead (A-C)/B" "the table is printed"
	left=$(ls /etc/pam.d | grep -c '^smsotp-bench-') || true
	assert_eq 0 "$left" "services the bench put into /etc/pam.d are gone"
}
run_case "make bench (small): every phase runs, figures and plot written, counts exact" t_bench

finish
