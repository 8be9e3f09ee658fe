# pg_cluster.sh: throwaway PostgreSQL 15 clusters for the PAM tests of the
# PostgreSQL store (tests/pam/pg_*.sh).  Sourced after lib.sh:
#
#	. "$(dirname "$0")/../lib.sh"
#	. "$TESTS/pg_cluster.sh"
#	pg_require			# skips the script without PostgreSQL 15
#	pg_primary db1			# initdb, start, roles otp and repl, database otpdb
#	pg_standby db2 db1		# hot standby of db1, streaming
#	pg_conninfo db1			# the module's conninfo for db1
#
# Every cluster lives in $T/pg/NAME (owned by postgres; $T becomes 0711 so
# that postgres walks through it, nothing in it lists), listens on
# 127.0.0.1 only, on a free port picked at start (a collision with another
# process is retried on another port), with TLS (the test CA's server
# certificate for localhost and 127.0.0.1, $T/ca from tests/make-ca.sh),
# password_encryption scram-sha-256, fsync off, wal_level replica, its unix
# socket in $T/pg/sock, and this pg_hba.conf, so that anything but TLS with
# a SCRAM password is refused (there is no plain `host` line):
#	local all postgres peer
#	hostssl all all 127.0.0.1/32 scram-sha-256
#	hostssl replication repl 127.0.0.1/32 scram-sha-256
# Server commands run as postgres (runuser) with an empty environment.
# Waits are bounded polls (pg_ctl -w -t, queries until a wall-clock
# deadline); no fixed sleeps.  At exit every cluster that was started is
# stopped (pg_ctl stop -m immediate, by data folder), before lib.sh's
# cleanup removes $T.
#
# Functions:
#	pg_require		lib.sh's require_module and require_pam_wrapper,
#				the tool built, and skip (lib.sh's skip) when
#				PostgreSQL 15 is not installed and cannot be
#				(root: tests/install-deps.sh); makes the CA
#				($T/ca) and $T/pg
#	pg_primary NAME		a new primary: initdb, start, role otp (LOGIN,
#				password $PG_OTP_PASSWORD) owning database otpdb,
#				role repl (REPLICATION, $PG_REPL_PASSWORD)
#	pg_standby NAME PRIMARY	a hot standby of PRIMARY (pg_basebackup -R over
#				TLS as repl), started, and streaming
#	pg_wait_streaming NAME	until NAME's WAL receiver is streaming
#	pg_wait_replayed NAME PRIMARY	until NAME has replayed all PRIMARY wrote
#	pg_stop NAME		fast stop (waits)
#	pg_start NAME		start a stopped cluster again (its port if free;
#				nothing to do when it runs)
#	pg_promote NAME		promote a standby; returns once it takes writes
#	pg_port NAME		its port
#	pg_sql NAME SQL [DB]	psql as the superuser over the unix socket
#				(-At: one row a line, fields separated by |);
#				DB defaults to otpdb
#	pg_conninfo NAME [DB]	the module's conninfo: TLS verified against the
#				test CA, user otp, dbname otpdb (or DB)
#	pg_conninfo_failover NAME1 NAME2 [DB]	both hosts, target_session_attrs=read-write
#	pg_limits CONNINFO [LIMITS...]	the body of the module's limits group:
#				store = "postgresql", the postgresql group
#				(conninfo, password (PG_PASSWORD, default the
#				right one), timeout (PG_TIMEOUT, default 3),
#				fallback (PG_FALLBACK, when set)), key_file
#				$T/hash.key (one key for every host of the
#				fleet) and LIMITS
#	pg_host NAME LIMITS [TOP-LEVEL LINE...]	a "host": the configuration
#				$C/NAME.conf (std_conf with LIMITS as its
#				limits group and state_dir $C/state-NAME) and
#				the PAM service NAME that loads the module with it
#	tool CONF ARGS...	the admin tool ($SMSOTP_TOOL or build/smsotp)
#				with -c CONF; sets TRC, TOUT, TERR (as
#				tests/pam/smsotp_tool.sh, but not under
#				nss_wrapper: the users of these tests are names
#				to the tool, and nss_wrapper starts at the first
#				lookup, which here may come from inside libpq
#				while the store connects with an empty
#				environment: it would not see
#				NSS_WRAPPER_DISABLE_DEEPBIND and would dlopen
#				libc with RTLD_DEEPBIND, which the ASan runtime
#				refuses in SANITIZE=1 builds)

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=$T/pg
PG_CA=$T/ca
PG_OTP_PASSWORD=otp-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
PG_REPL_PASSWORD=repl-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
TOOL=${SMSOTP_TOOL:-$ROOT/build/smsotp}
# MODULE=build/asan/pam_smsotp.so and the like: from here, as the cases
# run in their own folders
case $MODULE in /*) ;; *) MODULE=$(pwd)/$MODULE ;; esac
case $TOOL in /*) ;; *) TOOL=$(pwd)/$TOOL ;; esac

# _pg_as CMD...: CMD as postgres, from /, with an empty environment (no
# PG* variable of ours reaches it)
_pg_as() {
	(cd / && runuser -u postgres -- env -i PATH=/usr/bin:/bin LC_ALL=C "$@")
}

# Stop every cluster this script started (by data folder), then lib.sh's
# cleanup.  An immediate stop does not wait for clients; a postmaster that
# does not go in time is killed by the PID in its data folder.
_pg_cleanup() {
	[ -f "$PG_DIR/clusters" ] || return 0
	while IFS= read -r _d; do
		[ -f "$_d/postmaster.pid" ] || continue
		_pg_as "$PG_BIN/pg_ctl" -D "$_d" -m immediate -w -t 20 stop > /dev/null 2>&1 && continue
		_pid=$(head -n 1 "$_d/postmaster.pid" 2>/dev/null)
		case $_pid in '' | *[!0-9]*) ;; *) kill -KILL "$_pid" 2>/dev/null ;; esac
	done < "$PG_DIR/clusters"
	: > "$PG_DIR/clusters"
}
trap '_pg_cleanup; _cleanup' EXIT

pg_require() {
	require_module
	require_pam_wrapper
	[ -x "$TOOL" ] || skip "$TOOL is not built (run make)"
	require_root
	if [ ! -x "$PG_BIN/initdb" ] && command -v apt-get > /dev/null 2>&1; then
		timeout 200 sh "$TESTS/install-deps.sh" > "$T/install-deps.log" 2>&1 < /dev/null
	fi
	[ -x "$PG_BIN/initdb" ] ||
		skip "PostgreSQL 15 is not installed ($PG_BIN/initdb) and could not be: run tests/install-deps.sh as root"
	id postgres > /dev/null 2>&1 || skip "no user postgres (package postgresql-15)"
	command -v openssl > /dev/null 2>&1 || skip "openssl not installed"
	sh "$TESTS/make-ca.sh" "$PG_CA" > /dev/null || fail "make-ca.sh $PG_CA"
	# postgres walks through $T to its own folder (nothing in $T lists)
	chmod 0711 "$T"
	mkdir -p "$PG_DIR/sock"
	cp "$PG_CA/server.pem" "$PG_CA/server.key" "$PG_CA/ca.pem" "$PG_DIR/"
	chown -R postgres: "$PG_DIR"
	chmod 0700 "$PG_DIR/sock"
	chmod 0600 "$PG_DIR/server.key"
	_pg_as test -w "$PG_DIR/sock" ||
		skip "user postgres cannot reach $PG_DIR (is a folder above TMPDIR closed to others?)"
	: > "$PG_DIR/clusters"
}

pg_port() {
	cat "$PG_DIR/$1.port"
}

# _pg_launch NAME: start NAME's data folder on its port, or on another free
# one when that is taken (another process may take a port between the
# probe and the bind)
_pg_launch() {
	_d=$PG_DIR/$1
	_log=$PG_DIR/$1.log
	_try=0
	while [ $_try -lt 5 ]; do
		_try=$((_try + 1))
		[ -s "$PG_DIR/$1.port" ] && [ $_try = 1 ] || closed_port > "$PG_DIR/$1.port"
		_from=$(($(cat "$_log" 2>/dev/null | wc -l) + 1))
		_pg_as "$PG_BIN/pg_ctl" -D "$_d" -l "$_log" -o "-p $(pg_port "$1")" -w -t 60 start \
		    > "$PG_DIR/$1.ctl" 2>&1 && return 0
		tail -n "+$_from" "$_log" | grep -qE 'Address already in use|could not create lock file' || break
	done
	fail "PostgreSQL cluster $1 did not start:
$(cat "$PG_DIR/$1.ctl")
$(tail -n 20 "$_log")"
}

# _pg_until NAME SQL VALUE [DB]: poll until SQL on NAME answers VALUE, for
# at most WAIT_TIMEOUT * 3 s of wall time
_pg_until() {
	_end=$(($(date +%s) + WAIT_TIMEOUT * 3))
	while :; do
		_got=$(pg_sql "$1" "$2" "${4:-postgres}" 2>&1)
		[ "$_got" = "$3" ] && return 0
		[ "$(date +%s)" -lt "$_end" ] || fail "cluster $1: '$2' gave '$_got', expected '$3'"
		sleep 0.1
	done
}

pg_primary() {
	_d=$PG_DIR/$1
	echo "$_d" >> "$PG_DIR/clusters"
	_pg_as "$PG_BIN/initdb" -D "$_d" -U postgres -E UTF8 --no-locale --no-sync \
	    --auth-local=peer --auth-host=scram-sha-256 > "$PG_DIR/$1.initdb" 2>&1 ||
		fail "initdb $1: $(cat "$PG_DIR/$1.initdb")"
	cat >> "$_d/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR/sock'
ssl = on
ssl_cert_file = '$PG_DIR/server.pem'
ssl_key_file = '$PG_DIR/server.key'
password_encryption = 'scram-sha-256'
wal_level = replica
max_wal_senders = 4
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 60
log_connections = on
log_min_messages = warning
EOF
	printf '%s\n' 'local all postgres peer' \
	    'hostssl all all 127.0.0.1/32 scram-sha-256' \
	    'hostssl replication repl 127.0.0.1/32 scram-sha-256' > "$_d/pg_hba.conf"
	_pg_launch "$1"
	pg_sql "$1" "CREATE ROLE otp LOGIN PASSWORD '$PG_OTP_PASSWORD';
CREATE ROLE repl LOGIN REPLICATION PASSWORD '$PG_REPL_PASSWORD';" postgres > /dev/null &&
		pg_sql "$1" "CREATE DATABASE otpdb OWNER otp" postgres > /dev/null ||
		fail "cluster $1: roles and database"
}

pg_sql() {
	_pg_as "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" \
	    -p "$(pg_port "$1")" -U postgres -d "${3:-otpdb}" -c "$2"
}

pg_standby() {
	_d=$PG_DIR/$1
	echo "$_d" >> "$PG_DIR/clusters"
	_pg_as "$PG_BIN/pg_basebackup" -D "$_d" -R -X stream -c fast \
	    -d "host=127.0.0.1 port=$(pg_port "$2") user=repl password=$PG_REPL_PASSWORD sslmode=verify-full sslrootcert=$PG_DIR/ca.pem" \
	    > "$PG_DIR/$1.basebackup" 2>&1 || fail "pg_basebackup $1 from $2: $(cat "$PG_DIR/$1.basebackup")"
	_pg_launch "$1"
	pg_wait_streaming "$1"
}

pg_wait_streaming() {
	_pg_until "$1" "SELECT status FROM pg_stat_wal_receiver" streaming
}

pg_wait_replayed() {
	_lsn=$(pg_sql "$2" "SELECT pg_current_wal_lsn()" postgres) || fail "cluster $2: no WAL position"
	_pg_until "$1" "SELECT pg_last_wal_replay_lsn() >= '$_lsn'::pg_lsn" t
}

pg_stop() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/$1" -m fast -w -t 60 stop > "$PG_DIR/$1.ctl" 2>&1 ||
		fail "cluster $1 did not stop: $(cat "$PG_DIR/$1.ctl")"
}

pg_start() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/$1" status > /dev/null 2>&1 || _pg_launch "$1"
}

pg_promote() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/$1" -w -t 60 promote > "$PG_DIR/$1.ctl" 2>&1 ||
		fail "cluster $1 was not promoted: $(cat "$PG_DIR/$1.ctl")"
	_pg_until "$1" "SELECT pg_is_in_recovery()" f
}

pg_conninfo() {
	echo "host=127.0.0.1 port=$(pg_port "$1") dbname=${2:-otpdb} user=otp sslmode=verify-full sslrootcert=$PG_CA/ca.pem"
}

pg_conninfo_failover() {
	echo "host=127.0.0.1,127.0.0.1 port=$(pg_port "$1"),$(pg_port "$2") dbname=${3:-otpdb} user=otp sslmode=verify-full sslrootcert=$PG_CA/ca.pem target_session_attrs=read-write"
}

pg_limits() {
	_ci=$1
	shift
	printf 'key_file = "%s"; store = "postgresql"; postgresql = { conninfo = "%s"; password = "%s"; timeout = %s;%s }; %s' \
	    "$T/hash.key" "$_ci" "${PG_PASSWORD:-$PG_OTP_PASSWORD}" "${PG_TIMEOUT:-3}" \
	    "${PG_FALLBACK:+ fallback = \"$PG_FALLBACK\";}" "$*"
}

pg_host() {
	_h=$1
	LIMITS_GROUP="state_dir = \"$C/state-$_h\"; $2"
	shift 2
	std_conf "$@"
	mv "$CONF" "$C/$_h.conf"
	CONF=$C/$_h.conf
	service "$_h" "auth required $MODULE conf=$CONF"
}

tool() {
	tool_conf "$@"
}
