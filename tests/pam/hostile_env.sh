#!/bin/sh
# Nothing in the caller's environment changes a request (sudo's caller owns
# that environment): every proxy, CA and key-log variable at once, set to
# hostile values, and the SMS still goes where the configuration says, over
# TLS checked against the configured CA, with no key log written and
# nothing reaching the would-be proxy.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper
command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl not installed"; exit 77; }

CA=$T/ca
sh "$TESTS/make-ca.sh" "$CA" || { echo "FAIL: make-ca.sh"; exit 1; }

# start_listener: a TCP listener on 127.0.0.1 that records every
# connection (the would-be proxy); sets LISTEN_PORT, LISTEN_LOG
start_listener() {
	LISTEN_LOG=$C/listener.log
	: > "$LISTEN_LOG"
	"$PYTHON" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
s.settimeout(0.5)
end = time.time() + 120
while time.time() < end:
    try:
        c, a = s.accept()
    except socket.timeout:
        continue
    with open(sys.argv[1], "a") as f:
        f.write("connection\n")
    c.close()
' "$LISTEN_LOG" < /dev/null > /dev/null 2>&1 &
	_track_pid $!
	i=0
	while [ ! -s "$LISTEN_LOG.port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	LISTEN_PORT=$(cat "$LISTEN_LOG.port")
}

hostile_env() {
	px=http://127.0.0.1:$LISTEN_PORT
	PAM_ENV="http_proxy=$px HTTP_PROXY=$px https_proxy=$px HTTPS_PROXY=$px ALL_PROXY=$px all_proxy=$px NO_PROXY=nothing no_proxy=nothing CURL_CA_BUNDLE=$CA/other-ca.pem SSL_CERT_FILE=$CA/other-ca.pem SSL_CERT_DIR=$C/otherdir SSLKEYLOGFILE=$C/keys.log CURL_HOME=$C OPENSSL_CONF=$C/evil.cnf"
	mkdir -p "$C/otherdir"
	cp "$CA/other-ca.pem" "$C/otherdir/"
	# an OpenSSL configuration that would turn verification off if read
	printf 'openssl_conf = x\n[x]\nssl_conf = y\n[y]\nsystem_default = z\n[z]\nMinProtocol = None\nVerifyMode = None\n' > "$C/evil.cnf"
	# a .curlrc that would point elsewhere (libcurl never reads it anyway)
	printf 'proxy = %s\ninsecure\n' "$px" > "$C/.curlrc"
}

t_hostile_env_tls() {
	start_gateway --tls "$CA/server.pem" "$CA/server.key"
	start_listener
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"https://127.0.0.1:$GW_PORT/sms\"; ca_file = \"$CA/ca.pem\"; retries = 0; }" std_conf
	service smsotp "auth required $MODULE conf=$C/pam_smsotp.conf"
	hostile_env
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the SMS went to the configured gateway"
	assert_eq 0 "$(wc -l < "$LISTEN_LOG" | tr -d ' ')" "nothing connected to the proxy of the environment"
	[ -e "$C/keys.log" ] && fail "SSLKEYLOGFILE honoured: $C/keys.log written"
	:
}
run_case "hostile proxy, CA and key-log variables at once: TLS login as configured" t_hostile_env_tls

t_hostile_env_no_ca() {
	# the environment's CA variables cannot make an unknown CA trusted
	start_gateway --tls "$CA/server.pem" "$CA/server.key"
	start_listener
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"https://127.0.0.1:$GW_PORT/sms\"; retries = 0; }" std_conf
	service smsotp "auth required $MODULE conf=$C/pam_smsotp.conf"
	hostile_env
	PAM_ENV="$PAM_ENV CURL_CA_BUNDLE=$CA/ca.pem SSL_CERT_FILE=$CA/ca.pem SSL_CERT_DIR=$CA"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_sms_count 0
	assert_eq 0 "$(wc -l < "$LISTEN_LOG" | tr -d ' ')" "nothing connected to the proxy of the environment"
	[ -e "$C/keys.log" ] && fail "SSLKEYLOGFILE honoured: $C/keys.log written"
	:
}
run_case "CA variables naming the gateway's CA do not make it trusted" t_hostile_env_no_ca

t_configured_proxy() {
	# the `proxy` key is the only way to a proxy: with it, the listener
	# is reached (the send then fails closed, it is no real proxy)
	start_gateway --tls "$CA/server.pem" "$CA/server.key"
	start_listener
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"https://127.0.0.1:$GW_PORT/sms\"; ca_file = \"$CA/ca.pem\"; proxy = \"http://127.0.0.1:$LISTEN_PORT\"; retries = 0; timeout = 3; }" std_conf
	service smsotp "auth required $MODULE conf=$C/pam_smsotp.conf"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	[ "$(wc -l < "$LISTEN_LOG" | tr -d ' ')" -ge 1 ] || fail "the configured proxy was not used"
	assert_sms_count 0
}
run_case "the proxy key is honoured (the control for the cases above)" t_configured_proxy

finish
