#!/bin/sh
# phones.ldap through real logins, against a throwaway OpenLDAP slapd on
# loopback (its own slapd.conf and database under the script's temp folder,
# never the system's; TLS with a certificate from tests/make-ca.sh for
# 127.0.0.1; a service DN that alone may read ou=people, ou=public readable
# by anyone): the number found over ldaps:// (and StartTLS on ldap://), the
# SMS sent to it; a wrong CA fails closed with the certificate in the log;
# a server that accepts and never answers fails within the timeout; the
# second URI when the first is down; anonymous and bound searches; a user
# named `*)(uid=*` finds nothing; two entries, a wrong bind password, a
# failed server: PAM_AUTHINFO_UNAVAIL, never "no number"; no attribute
# goes on to GECOS; LDAPCONF, LDAPRC, LDAPTLS_*, HOME/.ldaprc in the
# login's environment change nothing; `smsotp check` binds and says what is
# wrong.  The bind password is never in the log.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper
require_root

TOOL=${SMSOTP_TOOL:-$ROOT/build/smsotp}
SLAPD=/usr/sbin/slapd
L=$T/ldap
CA=$T/ca
SUFFIX=dc=example,dc=org
SVC_DN=cn=svc,$SUFFIX
SVC_PW=svc-pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')

if [ ! -x "$SLAPD" ] && command -v apt-get > /dev/null 2>&1; then
	timeout 600 sh "$TESTS/install-deps.sh" > "$T/install-deps.log" 2>&1 < /dev/null
fi
[ -x "$SLAPD" ] || skip "slapd is not installed and could not be: run tests/install-deps.sh as root"
id openldap > /dev/null 2>&1 || skip "no user openldap (package slapd)"
command -v openssl > /dev/null 2>&1 || skip "openssl not installed"

# ---------------------------------------------------------------- slapd

# Stopped by its own PID (from its pidfile) at exit, then lib.sh's cleanup.
_ldap_stop() {
	[ -s "$L/slapd.pid" ] || return 0
	_lp=$(cat "$L/slapd.pid")
	kill -TERM "$_lp" 2>/dev/null
	_i=0
	while kill -0 "$_lp" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -KILL "$_lp" 2>/dev/null
	rm -f "$L/slapd.pid"
}
trap '_ldap_stop; _cleanup' EXIT

# A free port (bound and closed again by Python).
free_port() {
	closed_port
}

ldap_setup() {
	sh "$TESTS/make-ca.sh" "$CA" > /dev/null || fail "make-ca.sh $CA"
	# openldap walks through $T to its own folder (nothing in $T lists)
	chmod 0711 "$T"
	mkdir -p "$L/db"
	cp "$CA/server.pem" "$CA/server.key" "$CA/ca.pem" "$L/"
	_svc_hash=$(slappasswd -s "$SVC_PW") || fail "slappasswd"
	cat > "$L/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $L/slapd.pid
argsfile $L/slapd.args
TLSCACertificateFile $L/ca.pem
TLSCertificateFile $L/server.pem
TLSCertificateKeyFile $L/server.key
security simple_bind=128
loglevel none
database mdb
maxsize 16777216
suffix "$SUFFIX"
rootdn "cn=admin,$SUFFIX"
directory $L/db
access to attrs=userPassword by anonymous auth by * none
access to dn.subtree="ou=people,$SUFFIX" by dn.exact="$SVC_DN" read by * none
access to dn.subtree="ou=public,$SUFFIX" by * read
access to dn.base="$SUFFIX" by * read
access to * by * none
EOF
	cat > "$L/data.ldif" <<EOF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
o: example
dc: example

dn: $SVC_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: svc
userPassword: $_svc_hash

dn: ou=people,$SUFFIX
objectClass: organizationalUnit
ou: people

dn: ou=staff,ou=people,$SUFFIX
objectClass: organizationalUnit
ou: staff

dn: ou=public,$SUFFIX
objectClass: organizationalUnit
ou: public
EOF
	# person UID MOBILE [OU]: an inetOrgPerson (no mobile when "-")
	person() {
		printf '\ndn: uid=%s,%s,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n' \
		    "$1" "${3:-ou=people}" "$SUFFIX" "$1" "$1" "$1"
		[ "$2" = - ] || printf 'mobile: %s\n' "$2"
	}
	{
		person alice '+44 7700 900123'
		person bob '+44 7700 900124'
		person carol -
		person dup '+44 7700 900125'
		person dup '+44 7700 900126' ou=staff,ou=people
		person pat '+44 7700 900127' ou=public
	} >> "$L/data.ldif"
	"$SLAPD" -T add -f "$L/slapd.conf" -l "$L/data.ldif" > "$L/slapadd.log" 2>&1 ||
		fail "slapadd: $(cat "$L/slapadd.log")"
	chown -R openldap: "$L"
	chmod 0600 "$L/server.key"
	LPORT=$(free_port)
	LSPORT=$(free_port)
	"$SLAPD" -u openldap -g openldap -f "$L/slapd.conf" \
	    -h "ldap://127.0.0.1:$LPORT/ ldaps://127.0.0.1:$LSPORT/" > "$L/slapd.log" 2>&1 ||
		fail "slapd did not start: $(cat "$L/slapd.log")"
	# it daemonizes: poll until it answers (bounded)
	_i=0
	until env -i HOME=/nonexistent LDAPTLS_CACERT=$CA/ca.pem ldapsearch -x -H "ldaps://127.0.0.1:$LSPORT/" \
	    -b "$SUFFIX" -s base -o nettimeout=2 dn > /dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "slapd does not answer on ldaps://127.0.0.1:$LSPORT/"
		sleep 0.1
	done
}

# A server that accepts connections and never says a word: sets HANG_PORT.
start_hang() {
	_pf=$C/hang.port
	"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
s.settimeout(1)
end = time.time() + 120
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$_pf" < /dev/null > /dev/null 2>&1 &
	_track_pid $!
	wait_file "$_pf" || fail "the silent server did not start"
	HANG_PORT=$(cat "$_pf")
}

# ---------------------------------------------------------------- helpers

# ldap_conf BODY [TOP-LEVEL LINE...]: the standard configuration with no
# phones file and this phones.ldap group; gecos off unless GECOS=true
ldap_conf() {
	PHONES_GROUP="file = \"$C/none\"; gecos = ${GECOS:-false}; ldap = { $1 };"
	shift
	std_conf "$@"
	service smsotp "auth required $MODULE conf=$CONF"
}

# svc_group [CA]: ldaps, bound as the service DN, ou=people, ca_file CA
# (default: the CA that signed the server's certificate)
svc_group() {
	echo "uri = \"ldaps://127.0.0.1:$LSPORT/\"; base = \"ou=people,$SUFFIX\"; bind_dn = \"$SVC_DN\"; bind_password = \"$SVC_PW\"; ca_file = \"${1:-$CA/ca.pem}\"; timeout = 5;"
}

# no_secret: the bind password is in no log line of the case
no_secret() {
	assert_not_contains "$C/syslog.all" "$SVC_PW" "the bind password is never logged"
	for _f in "$C"/tool*.out "$C"/tool*.err; do
		[ -f "$_f" ] && assert_not_contains "$_f" "$SVC_PW" "the bind password is never printed"
	done
	return 0
}

# unavailable USER [TEXT]: the lookup fails closed: PAM_AUTHINFO_UNAVAIL,
# no prompt, no SMS, TEXT in the log
unavailable() {
	_n=$(sms_count)
	pam_run smsotp "$1" 'answer 000000 1'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_eq "$_n" "$(sms_count)" "no SMS for $1"
	assert_contains "$SYSLOG" "result=number lookup failed"
	[ -z "${2:-}" ] || assert_contains "$SYSLOG" "$2"
}

# no_number USER: no number: the prompt all the same, no SMS (the
# configuration has max_tries = 1)
no_number() {
	_n=$(sms_count)
	pam_run smsotp "$1" 'answer 000000 1'
	assert_result AUTH_ERR MAXTRIES
	assert_prompted
	assert_eq "$_n" "$(sms_count)" "no SMS for $1"
	assert_contains "$SYSLOG" "result=no number"
}

# tool ARGS...: the admin tool with -c $CONF; sets TRC, TOUT, TERR
tool() {
	tool_conf "$CONF" "$@"
}

ldap_setup

# ---------------------------------------------------------------- cases

t_ldaps() {
	start_gateway
	make_user bob
	ldap_conf "$(svc_group)"
	login_to bob +447700900124
	assert_not_contains "$C/syslog.all" "phones:" "nothing to say"
	no_secret
}
run_case "ldaps://, bound as the service DN: the entry's mobile (normalised), SMS sent to it, login ok" t_ldaps

t_starttls() {
	start_gateway
	make_user alice
	ldap_conf "uri = \"ldap://127.0.0.1:$LPORT\"; starttls = true; base = \"ou=people,$SUFFIX\"; bind_dn = \"$SVC_DN\"; bind_password = \"$SVC_PW\"; ca_file = \"$CA/ca.pem\";"
	login_to alice +447700900123
	no_secret
}
run_case "ldap:// with starttls = true: the same number" t_starttls

t_wrong_ca() {
	start_gateway
	make_user alice
	ldap_conf "$(svc_group "$CA/other-ca.pem")"
	unavailable alice "ldaps://127.0.0.1:$LSPORT/"
	assert_contains "$SYSLOG" "TLS: peer cert untrusted or revoked" "the log says what is wrong with the certificate"
	# StartTLS too
	ldap_conf "uri = \"ldap://127.0.0.1:$LPORT\"; starttls = true; base = \"ou=people,$SUFFIX\"; bind_dn = \"$SVC_DN\"; bind_password = \"$SVC_PW\"; ca_file = \"$CA/other-ca.pem\";"
	unavailable alice StartTLS
	assert_contains "$SYSLOG" "TLS: peer cert untrusted or revoked" "the log says what is wrong with the certificate"
	# no ca_file: the system's CAs, which never signed the test CA's
	ldap_conf "$(svc_group | sed 's|ca_file = "[^"]*";||')"
	unavailable alice "TLS: peer cert untrusted or revoked"
	no_secret
}
run_case "a CA that did not sign the server's certificate (ldaps, StartTLS, no ca_file): PAM_AUTHINFO_UNAVAIL, no SMS, the certificate in the log" t_wrong_ca

t_hang() {
	start_gateway
	start_hang
	make_user alice
	ldap_conf "uri = \"ldaps://127.0.0.1:$HANG_PORT\"; base = \"ou=people,$SUFFIX\"; ca_file = \"$CA/ca.pem\"; timeout = 2;"
	unavailable alice "no answer within 2 s"
	assert_elapsed_max 2000 "a silent server ends the lookup at the timeout"
	assert_no_leftover
}
run_case "a server that accepts and never answers: the lookup is killed at the timeout (2 s), fails closed" t_hang

t_failover() {
	start_gateway
	make_user alice
	_down=$(closed_port)
	ldap_conf "$(svc_group | sed "s|uri = \"|uri = \"ldaps://127.0.0.1:$_down/ |")"
	login_to alice +447700900123
	# both down: the error of each
	ldap_conf "uri = \"ldaps://127.0.0.1:$_down/ ldaps://127.0.0.1:$(closed_port)\"; base = \"ou=people,$SUFFIX\"; ca_file = \"$CA/ca.pem\";"
	unavailable alice "ldaps://127.0.0.1:$_down/: "
	assert_contains "$SYSLOG" "Can't contact LDAP server"
	no_secret
}
run_case "two URIs: the second one when the first is down; both down: fails closed with each one's error" t_failover

t_anonymous() {
	start_gateway
	make_user alice
	make_user pat
	# ou=public: anyone may read it
	ldap_conf "uri = \"ldaps://127.0.0.1:$LSPORT/\"; base = \"ou=public,$SUFFIX\"; ca_file = \"$CA/ca.pem\";"
	login_to pat +447700900127
	# ou=people: only the service DN; anonymously nothing is there to find
	ldap_conf "uri = \"ldaps://127.0.0.1:$LSPORT/\"; base = \"ou=people,$SUFFIX\"; ca_file = \"$CA/ca.pem\";"
	unavailable alice "No such object"
	ldap_conf "$(svc_group)"
	login_to alice +447700900123
	# a wrong bind password: an error, never "no number"
	ldap_conf "$(svc_group | sed "s|$SVC_PW|not-$SVC_PW|")"
	unavailable alice "bind as $SVC_DN: Invalid credentials"
	assert_not_contains "$C/syslog.all" "not-$SVC_PW" "the bind password is never logged"
	no_secret
}
run_case "anonymous: what anyone may read; bound: what the service DN may; a wrong bind password fails closed" t_anonymous

t_escaping() {
	start_gateway
	make_user alice
	make_user '*)(uid=*'
	make_user 'ali*'
	ldap_conf "$(svc_group)" 'max_tries = 1;'
	no_number '*)(uid=*'
	no_number 'ali*'
	login_to alice +447700900123
	assert_not_contains "$C/syslog.all" "more than one entry" "no filter ever matched everyone"
	no_secret
}
run_case "user names *)(uid=* and ali*: escaped (RFC 4515), they find nothing" t_escaping

t_two_entries() {
	start_gateway
	make_user dup
	ldap_conf "$(svc_group)"
	unavailable dup "more than one entry"
	no_secret
}
run_case "two entries for one user: an error (not a choice), fails closed" t_two_entries

t_no_attribute() {
	start_gateway
	printf 'carol:x:2101:2000:Carol,,+44 7700 900128,:/home/carol:/bin/sh\n' >> "$C/passwd"
	make_user zed
	ldap_conf "$(svc_group)" 'max_tries = 1;'
	no_number carol
	no_number zed
	GECOS=true ldap_conf "$(svc_group)"
	login_to carol +447700900128
	# a number elsewhere than allowed_countries is refused like any other
	PHONES_GROUP="file = \"$C/none\"; allowed_countries = [\"1\"]; ldap = { $(svc_group) };" std_conf
	make_user alice
	pam_run smsotp alice 'answer 000000 1'
	assert_result SERVICE_ERR
	assert_eq 1 "$(sms_count)" "no SMS outside allowed_countries"
	assert_contains "$SYSLOG" "phones.ldap: the number of alice (+44*******123) is not in allowed_countries"
	no_secret
}
run_case "no entry or no mobile: no number, then GECOS when enabled; allowed_countries applies" t_no_attribute

t_hostile_env() {
	start_gateway
	make_user alice
	mkdir -p "$C/home"
	printf 'TLS_REQCERT never\nTLS_CACERT %s\nURI ldap://203.0.113.1/\nBASE dc=evil\n' "$CA/other-ca.pem" > "$C/evil.conf"
	cp "$C/evil.conf" "$C/home/.ldaprc"
	cp "$C/evil.conf" "$C/home/ldaprc"
	PAM_ENV="LDAPCONF=$C/evil.conf LDAPRC=evil.conf HOME=$C/home LDAPTLS_REQCERT=never LDAPTLS_CACERT=$CA/other-ca.pem LDAPTLS_CACERTDIR=$C LDAPURI=ldap://203.0.113.1/ LDAPBASE=dc=evil LDAPBINDDN=cn=evil LDAPTIMEOUT=1"
	ldap_conf "$(svc_group)"
	login_to alice +447700900123
	# and a wrong CA stays wrong whatever the environment says
	ldap_conf "$(svc_group "$CA/other-ca.pem")"
	PAM_ENV="$PAM_ENV LDAPTLS_CACERT=$CA/ca.pem" unavailable alice "ldaps://"
	no_secret
}
run_case "LDAPCONF, LDAPRC, LDAPTLS_REQCERT=never, LDAPTLS_CACERT, HOME with .ldaprc: change nothing" t_hostile_env

t_check() {
	start_gateway
	ldap_conf "$(svc_group)"
	tool check
	assert_eq 0 "$TRC" "check: $(cat "$TERR")"
	assert_contains "$TOUT" "phones.ldap: ldaps://127.0.0.1:$LSPORT/: OK, bound as $SVC_DN, searched ou=people,$SUFFIX"
	ldap_conf "$(svc_group "$CA/other-ca.pem")"
	tool check
	assert_eq 1 "$TRC" "check with a wrong CA"
	assert_contains "$TERR" "ldaps://127.0.0.1:$LSPORT/: bind as $SVC_DN: Can't contact LDAP server: TLS: peer cert untrusted or revoked"
	ldap_conf "$(svc_group | sed "s|$SVC_PW|not-$SVC_PW|")"
	tool check
	assert_eq 1 "$TRC" "check with a wrong password"
	assert_contains "$TERR" "Invalid credentials"
	assert_not_contains "$TERR" "$SVC_PW"
	ldap_conf "uri = \"ldaps://127.0.0.1:$LSPORT/\"; base = \"ou=nowhere,$SUFFIX\"; ca_file = \"$CA/ca.pem\";"
	tool check
	assert_eq 1 "$TRC" "check with a base that is not there"
	assert_contains "$TERR" "No such object"
	no_secret
}
run_case "smsotp check: binds and searches each URI, says what is wrong (CA, password, base)" t_check

finish
