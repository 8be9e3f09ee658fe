#!/bin/sh
# run.sh: `make bench` (issue #7).  The module against a local nginx TLS
# gateway answering 202, side by side with curl (the same request) and with
# pamtester + pam_permit (the PAM application's floor); then 100 logins at
# once and peak RSS.  Figures: build/bench/results.json, build/bench/bench.png
# (or bench.svg without matplotlib); a snippet for docs/performance.md on stdout.
#
# Needs root (the module's configuration must be root's; nginx binds and
# drops to nobody).  As root, the bench-only packages (nginx-light,
# python3-matplotlib) are installed when missing, so `make check` never
# needs them.
#	BENCH_N=50        runs of each of A, B, C (at least 50 for the issue)
#	BENCH_CONC=100    logins (and curls) at once
#	BENCH_OUT=build/bench   where the figures go
#	BENCH_NO_INSTALL=1       install nothing (an SVG instead of the PNG)
# Then the PostgreSQL store's part (#8, tests/bench/pg.sh and pgbench.py):
# logins with store = "file" and "postgresql" beside one bare connection
# (tests/bench/pgfloor.c), where that time goes, and 200 logins at once
# over 4 hosts sharing one database.  Its figures go into results.json
# (key "postgresql") and its docs/performance.md snippet follows the first.  It is
# skipped, with the reason, without PostgreSQL 15 (as root it is installed
# by tests/install-deps.sh, unless BENCH_NO_INSTALL=1).
#	BENCH_PG=0        skip the PostgreSQL part
#	BENCH_MAIN=0      only the PostgreSQL part (no nginx, curl, matplotlib)
#	BENCH_PG_N=50 BENCH_PG_CONC=200 BENCH_PG_PROFILED=10   its runs of each,
#	                  its logins at once, its logins with statements logged
#	BENCH_PG_TIMEOUT=3  limits.postgresql.timeout of its hosts (s)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (the module only reads a root-owned configuration)" >&2
	exit 77
fi

need=
MAIN=${BENCH_MAIN:-1}
[ "$MAIN" = 0 ] || command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$need nginx-light"
command -v pamtester >/dev/null 2>&1 || need="$need pamtester"
[ "$MAIN" = 0 ] || command -v curl >/dev/null 2>&1 || need="$need curl"
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import matplotlib' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ] && [ -x /usr/bin/python3 ] && [ "$MAIN" != 0 ]; then
	need="$need python3-matplotlib"
fi
if [ -n "$need" ] && [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
	# the smoke test of make check installs nothing (nginx's package
	# would start a server): without matplotlib the plot is an SVG
	case "$need" in *nginx*|*pamtester*|*curl*)
		echo "bench: missing$need" >&2; exit 77;; esac
	need=
fi
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null ||
	    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need >/dev/null; }
fi
if [ -z "$PY" ]; then
	for p in /usr/bin/python3 python3; do
		if "$p" -c 'import matplotlib' >/dev/null 2>&1; then PY=$p; break; fi
	done
fi
[ -n "$PY" ] || PY=python3	# no matplotlib: an SVG written by hand
[ -f "$ROOT/pam_smsotp.so" ] && [ -x "$ROOT/build/smsotp" ] || make -C "$ROOT" all >/dev/null

# 0: every target met, 1: one missed (the figures written all the same)
rc=0
if [ "$MAIN" != 0 ]; then
	"$PY" "$ROOT/tests/bench/bench.py" "$@" || rc=$?
fi
if [ "${BENCH_PG:-1}" = 0 ]; then
	echo "bench: the PostgreSQL part is skipped (BENCH_PG=0)"
elif [ "$rc" -le 1 ]; then
	echo
	echo "bench: the PostgreSQL part (tests/bench/pg.sh; BENCH_PG=0 skips it)"
	prc=0
	if [ "${BENCH_NO_INSTALL:-0}" = 1 ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
		echo "SKIP: PostgreSQL 15 is not installed (BENCH_NO_INSTALL=1)"
		prc=77
	else
		PYTHON=$PY sh "$ROOT/tests/bench/pg.sh" || prc=$?
	fi
	case $prc in
	0) ;;
	77) echo "bench: the PostgreSQL part was skipped: the reason is above" ;;
	1) rc=1 ;;
	*) echo "bench: the PostgreSQL part failed (exit $prc)" >&2; rc=$prc ;;
	esac
fi
exit "$rc"
