#!/bin/sh
# run.sh: `make bench` (issue #7).  The module against a local nginx TLS
# gateway answering 202, side by side with curl (the same request) and with
# pamtester + pam_permit (the PAM application's floor); then 100 logins at
# once and peak RSS.  Figures: build/bench/results.json, build/bench/bench.png
# (or bench.svg without matplotlib); a README snippet on stdout.
#
# Needs root (the module's configuration must be root's; nginx binds and
# drops to nobody).  As root, the bench-only packages (nginx-light,
# python3-matplotlib) are installed when missing, so `make check` never
# needs them.
#	BENCH_N=50        runs of each of A, B, C (at least 50 for the issue)
#	BENCH_CONC=100    logins (and curls) at once
#	BENCH_OUT=build/bench   where the figures go
#	BENCH_NO_INSTALL=1       install nothing (an SVG instead of the PNG)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (the module only reads a root-owned configuration)" >&2
	exit 77
fi

need=
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$need nginx-light"
command -v pamtester >/dev/null 2>&1 || need="$need pamtester"
command -v curl >/dev/null 2>&1 || need="$need curl"
PY=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import matplotlib' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ] && [ -x /usr/bin/python3 ]; then
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
[ -f "$ROOT/pam_smsotp.so" ] || make -C "$ROOT" all >/dev/null

exec "$PY" "$ROOT/tests/bench/bench.py" "$@"
