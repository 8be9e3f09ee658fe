#!/bin/sh
# demo.sh (make demo): a real PAM login through pam_smsotp.so against a
# simulated SMS gateway on 127.0.0.1, without touching /etc.
#
# pamtester runs the PAM service "smsotp-demo" under pam_wrapper (service
# files from a temp folder) and nss_wrapper (a user "demo" that exists only
# for this run).  The gateway prints each SMS it gets, as a phone would.  On
# a terminal you type the code yourself; otherwise the demo answers with the
# code from the gateway's log.  Exit status 0 when the login succeeded.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODULE=${MODULE:-$ROOT/pam_smsotp.so}
PYTHON=${PYTHON:-python3}
PHONE=+15555550123

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -f "$MODULE" ] || die "$MODULE is not built: run make"
command -v pamtester >/dev/null 2>&1 || die "pamtester is not installed (sh tests/install-deps.sh)"

for d in "$(pkg-config --variable=libdir pam 2>/dev/null)/security" \
    "/lib/$(cc -print-multiarch 2>/dev/null)/security" /lib/x86_64-linux-gnu/security \
    /usr/lib/security /lib/security; do
	[ -f "$d/pam_deny.so" ] && SECDIR=$d && break
done
PAM_DENY=${SECDIR:-/lib/security}/pam_deny.so

D=$(mktemp -d "${TMPDIR:-/tmp}/smsotp-demo.XXXXXX") || die "mktemp failed"
GW_PID=
PAM_PID=
cleanup() {
	for p in $PAM_PID $GW_PID; do
		kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	# pam_wrapper removes its /tmp/pam.X copy when pamtester exits
	# normally; remove it if pamtester was killed
	for d in /tmp/pam.?; do
		[ -f "$d/pid" ] || continue
		[ -n "$PAM_PID" ] && [ "$(cat "$d/pid" 2>/dev/null)" = "$PAM_PID" ] && \
		    ! kill -0 "$PAM_PID" 2>/dev/null && rm -rf "$d"
	done
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the simulated gateway; it shows each SMS on our stderr, as a phone would
"$PYTHON" "$ROOT/tests/mock_gateway.py" --port-file "$D/port" --log "$D/sms.log" \
    --sms-display --lifetime 600 < /dev/null &
GW_PID=$!
i=0
while [ ! -s "$D/port" ] && [ $i -lt 100 ]; do
	kill -0 "$GW_PID" 2>/dev/null || break
	sleep 0.05
	i=$((i + 1))
done
[ -s "$D/port" ] || die "the mock gateway did not start"
PORT=$(cat "$D/port")

# --- a user, a number, a configuration, a PAM service
mkdir -p "$D/svc"
printf 'root:x:0:0:root:/root:/bin/sh\ndemo:x:%s:%s:Demo User:/tmp:/bin/sh\n' \
    "$(id -u)" "$(id -g)" > "$D/passwd"
printf 'root:x:0:\ndemo:x:%s:\n' "$(id -g)" > "$D/group"
printf 'demo %s\n' "$PHONE" > "$D/phones"
chmod 0644 "$D/phones"
(umask 077 && cat > "$D/pam_smsotp.conf") <<EOF
# pam_smsotp demo configuration: one http provider, the simulated gateway
phones = { file = "$D/phones"; };
limits = { state_dir = "$D/state"; key_file = "$D/hash.key"; };
providers = (
	{ name = "demo-gateway"; type = "http"; url = "http://127.0.0.1:$PORT/sms"; format = "json"; }
);
EOF
chmod 0600 "$D/pam_smsotp.conf"
printf 'auth required %s conf=%s\n' "$MODULE" "$D/pam_smsotp.conf" > "$D/svc/smsotp-demo"
printf 'auth required %s\naccount required %s\npassword required %s\nsession required %s\n' \
    "$PAM_DENY" "$PAM_DENY" "$PAM_DENY" "$PAM_DENY" > "$D/svc/other"

cat <<EOF
pam_smsotp demo
  A simulated SMS gateway listens on 127.0.0.1:$PORT; the user "demo" has the number $PHONE.
  pamtester now logs "demo" in through the PAM service smsotp-demo:
    auth required pam_smsotp.so conf=$D/pam_smsotp.conf
  The module sends a one-time code by SMS (the gateway shows it below as a phone would) and asks for it.

EOF

# (call in a subshell: it execs)
run_pamtester() {
	export LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1
	export PAM_WRAPPER_SERVICE_DIR="$D/svc"
	export NSS_WRAPPER_PASSWD="$D/passwd" NSS_WRAPPER_GROUP="$D/group"
	exec pamtester smsotp-demo demo authenticate
}

code_from_log() {
	"$PYTHON" -c '
import json, re, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
r = json.loads(lines[-1]) if lines else {}
t = (r.get("json") or {}).get("text") or r.get("body", "")
m = re.search(r"\bis (\S+?)\.(\s|$)", t) or re.search(r"\b([0-9]{4,12})\b", t)
print(m.group(1) if m else "")
' "$D/sms.log"
}

if [ -t 0 ]; then
	echo "(type the code from the SMS at the prompt)"
	# in the foreground: a background job would read /dev/null
	(run_pamtester)
	rc=$?
else
	echo "(stdin is not a terminal: the demo types the code from the SMS itself)"
	mkfifo "$D/in"
	(run_pamtester) < "$D/in" &
	PAM_PID=$!
	{
		i=0
		while [ ! -s "$D/sms.log" ] && [ $i -lt 200 ]; do
			kill -0 "$PAM_PID" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		sleep 0.2
		code=$(code_from_log)
		[ -n "$code" ] && echo "$code" >&2 && printf '%s\n' "$code"
	} > "$D/in"
	i=0
	while kill -0 "$PAM_PID" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$PAM_PID" 2>/dev/null && kill "$PAM_PID"
	wait "$PAM_PID"
	rc=$?
fi

echo
if [ "$rc" -eq 0 ]; then
	echo "Login succeeded: the code was accepted."
else
	echo "Login failed (pamtester exit status $rc)."
fi
exit "$rc"
