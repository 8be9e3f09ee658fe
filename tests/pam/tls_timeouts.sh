#!/bin/sh
# TLS to the gateway (a throwaway CA from tests/make-ca.sh) and timeouts.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper
command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl not installed"; exit 77; }

CA=$T/ca
sh "$TESTS/make-ca.sh" "$CA" || { echo "FAIL: make-ca.sh"; exit 1; }

# tls_setup CERT [PROVIDER KEYS] [HOST]: HTTPS gateway serving CERT
tls_setup() {
	start_gateway --tls "$CA/$1.pem" "$CA/$1.key"
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"https://${3:-127.0.0.1}:$GW_PORT/sms\"; retries = 0; $2 }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
}

expect_not_sent() {
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_contains "$OUT" "could not be sent"
	assert_sms_count 0
}

t_tls_ok() {
	tls_setup server "ca_file = \"$CA/ca.pem\";"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')"
}
run_case "https with ca_file = the test CA: delivered" t_tls_ok

t_tls_localhost() {
	tls_setup server "ca_file = \"$CA/ca.pem\";" localhost
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
}
run_case "https://localhost with ca_file: delivered" t_tls_localhost

t_tls_ca_path() {
	mkdir -p "$C/certs"
	cp "$CA/ca.pem" "$C/certs/ca.pem"
	h=$(openssl x509 -hash -noout -in "$C/certs/ca.pem")
	ln -s ca.pem "$C/certs/$h.0"
	tls_setup server "ca_path = \"$C/certs\";"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
}
run_case "https with ca_path (hashed folder): delivered" t_tls_ca_path

t_tls_no_ca() {
	tls_setup server ""
	expect_not_sent
}
run_case "https without ca_file: refused (system CAs do not know it)" t_tls_no_ca

t_tls_env_ca() {
	tls_setup server ""
	PAM_ENV="SSL_CERT_FILE=$CA/ca.pem CURL_CA_BUNDLE=$CA/ca.pem SSL_CERT_DIR=$CA"
	expect_not_sent
}
run_case "CA variables in the environment are ignored" t_tls_env_ca

t_tls_wrong_ca() {
	tls_setup server "ca_file = \"$CA/other-ca.pem\";"
	expect_not_sent
}
run_case "https with another CA: refused" t_tls_wrong_ca

t_tls_wrong_name() {
	tls_setup wrong "ca_file = \"$CA/ca.pem\";"
	expect_not_sent
}
run_case "certificate for wrong.example: refused" t_tls_wrong_name

t_tls_keylog() {
	tls_setup server "ca_file = \"$CA/ca.pem\";"
	PAM_ENV="SSLKEYLOGFILE=$C/keys.log"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	[ -e "$C/keys.log" ] && fail "SSLKEYLOGFILE from the environment was honoured: TLS keys written to $C/keys.log"
	:
}
run_case "SSLKEYLOGFILE in the environment is ignored" t_tls_keylog

t_http_to_https() {
	# plain http to a TLS port: no answer the module can accept
	start_gateway --tls "$CA/server.pem" "$CA/server.key"
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; retries = 0; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	expect_not_sent
}
run_case "http:// to a TLS port: not delivered" t_http_to_https

# ---------------------------------------------------------------- timeouts

t_hang() {
	std_setup --hang "$HANG_S"
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; timeout = 2; }" std_conf
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_contains "$OUT" "could not be sent"
	[ "$(sms_count)" -ge 1 ] || fail "the gateway never got the request"
	assert_elapsed_max 2000 "timeout = 2 ends the login, not the gateway's hang"
}
run_case "gateway hangs, timeout = 2: fails closed after the timeout, not the hang" t_hang

t_hang_both() {
	std_setup --hang "$HANG_S"
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; timeout = 2; connect_timeout = 2; }" std_conf
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_not_prompted
	assert_no_leftover
	assert_elapsed_max 2000 "timeout = 2 ends the login, not the gateway's hang"
}
run_case "gateway hangs, timeout = 2, connect_timeout = 2: fails after the timeout" t_hang_both

t_hang_retries() {
	# retries happen within timeout, not on top of it: 6 attempts of
	# 10 s each would be 60 s, more than the bound with its slack
	std_setup --hang "$HANG_S"
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1:$GW_PORT/sms\"; timeout = 10; connect_timeout = 1; retries = 5; }" std_conf
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_elapsed_max 10000 "timeout = 10 with retries = 5 still ends at the timeout"
}
run_case "gateway hangs, timeout = 10, retries = 5: total stays bounded by the timeout" t_hang_retries

t_hang_failover() {
	# a hanging first provider, then a working one
	start_gateway --hang "$HANG_S"
	A_PORT=$GW_PORT
	start_gateway
	B_LOG=$GW_LOG
	B_PORT=$GW_PORT
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"a\"; type = \"http\"; url = \"http://127.0.0.1:$A_PORT/sms\"; timeout = 2; connect_timeout = 1; }, { name = \"b\"; type = \"http\"; url = \"http://127.0.0.1:$B_PORT/sms\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice "answer_code 1 $B_LOG"
	assert_login_ok "$B_LOG"
	assert_sms_count 1 "$B_LOG"
	assert_no_leftover
	assert_elapsed_max 2000 "the hanging provider held the login past its timeout = 2"
}
run_case "first provider hangs (timeout = 2), second delivers" t_hang_failover

t_slow_tls() {
	# a TLS port that accepts but never completes the handshake
	port_file=$C/slow.port
	"$PYTHON" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
end = time.time() + float(sys.argv[2])
s.settimeout(1)
while time.time() < end:
    try:
        c, _ = s.accept(); conns.append(c)
    except OSError:
        pass
' "$port_file" "$HANG_S" > /dev/null 2>&1 &
	_track_pid $!
	wait_file "$port_file" $((WAIT_TIMEOUT * 3)) || fail "the stalling TLS port did not start"
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\"; url = \"https://127.0.0.1:$(cat "$port_file")/sms\"; ca_file = \"$CA/ca.pem\"; timeout = 2; connect_timeout = 1; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	pam_run smsotp alice 'answer 000000'
	assert_result AUTHINFO_UNAVAIL
	assert_elapsed_max 2000 "a stalled TLS handshake held the login past timeout = 2"
}
run_case "TLS handshake never completes, timeout = 2: fails after the timeout" t_slow_tls

finish
