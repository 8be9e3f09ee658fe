#!/bin/sh
# What an administrator meets on day one: each mistake below is named by
# `smsotp check` (file, line, what to do; exit 1), and a real login
# (pamtester through the same stack files, which pam_wrapper reads from
# $C/svc and check reads with --pam-dir) shows that the mistake does fail
# a login, so that check and module agree; after the fix both pass.
#   a phones line with a national number and no default_country
#   module arguments: a typo (lenght=8), a value with spaces not in
#   brackets, a stack line of a type the module does not serve
#   a ca_file that is not there
#   several problems at once, each with the line of its key
#   method = "post" (accepted in any case, sent upper case)
#   -u USER: the lookup a login makes, the number masked; the groups rule
#   /dev/log: a warning when nothing listens (in a mount namespace of its
#   own, with and without a listener)
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# check [ARGS...]: smsotp -c $CONF check --pam-dir $C/svc ARGS, with the
# test's users (nss_wrapper, as the logins have them); sets TRC, TOUT, TERR
check() {
	_build_nss_glibc
	TOOL_N=$((TOOL_N + 1))
	TOUT=$C/tool$TOOL_N.out
	TERR=$C/tool$TOOL_N.err
	# nss_wrapper opens libc with RTLD_DEEPBIND unless told not to, which
	# the ASan runtime refuses (smsotp built with SANITIZE=1)
	LD_PRELOAD=$NSS_PRELOAD NSS_WRAPPER_PASSWD=$C/passwd \
	    NSS_WRAPPER_GROUP=$C/group NSS_WRAPPER_DISABLE_DEEPBIND=1 \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    "${SMSOTP_TOOL:-$ROOT/build/smsotp}" -c "$CONF" check \
	    --pam-dir "$C/svc" "$@" > "$TOUT" 2> "$TERR" < /dev/null
	TRC=$?
}

# check_fails TEXT...: exit 1, each TEXT on stderr
check_fails() {
	check
	[ "$TRC" = 1 ] || fail "smsotp check exited $TRC, expected 1
stdout: $(cat "$TOUT")
stderr: $(cat "$TERR")"
	for _t in "$@"; do
		assert_contains "$TERR" "$_t" "check names the problem"
	done
}

# check_passes: exit 0 with the summary, nothing on stderr
check_passes() {
	check "$@"
	[ "$TRC" = 0 ] || fail "smsotp check exited $TRC: $(cat "$TERR")"
	[ -s "$TERR" ] && fail "smsotp check wrote to stderr: $(cat "$TERR")"
	assert_contains "$TOUT" "$CONF: OK (" "the summary"
}

# line_of TEXT FILE: the number of FILE's first line holding TEXT
line_of() {
	grep -nF -- "$1" "$2" | head -n 1 | cut -d: -f1
}

t_national_number() {
	std_setup
	# line 3 is good, but a login reads alice's first line only
	printf 'bob +447700900124\nalice 07700 900123\nalice +447700900123\n' | write_phones
	check_fails "$C/phones:2: alice: not an international number" \
	    "or set phones.default_country"
	assert_not_contains "$TERR" "900123" "the number itself is not shown"
	assert_contains "$TOUT" "warning: $C/phones:3: alice: listed again: a login reads line 2 only"
	pam_run smsotp alice 'answer_code'
	[ "$RC" != 0 ] || fail "alice's login passed with a national number"
	assert_contains "$SYSLOG" "$C/phones:2: the number for this user: not an international number: write it with + and the country code, or set phones.default_country" "the module says why"
	assert_sms_count 0
	PHONES_GROUP="file = \"$C/phones\"; default_country = \"44\";" std_conf
	check_passes
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the national number made international"
}
run_case "a national number without default_country: named by file and line; the login fails; fixed, both pass" t_national_number

t_argument_typo() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF lenght=8"
	check_fails "$C/svc/smsotp:1: argument 'lenght=8': unknown argument (did you mean 'length'?)"
	pam_run smsotp alice 'answer_code'
	assert_result SERVICE_ERR
	assert_contains "$SYSLOG" "argument 'lenght=8': unknown argument" "the module refuses it"
	assert_sms_count 0
	service smsotp "auth required $MODULE conf=$CONF length=8"
	check_passes
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq 8 "$(sms_text | sed 's/^CODE=//' | tr -d '\n' | wc -c)" "an 8-digit code"
}
run_case "lenght=8 on a stack line: named with its file and line and the key meant; the login fails" t_argument_typo

t_unbracketed_template() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF template=sudo on {host}: CODE={code}"
	check_fails "$C/svc/smsotp:1: argument 'on': unknown argument: PAM splits arguments at spaces" \
	    "a value with spaces needs brackets, as in [template=sudo on {host}: CODE={code}]"
	assert_not_contains "$TERR" "argument '{host}:'" "the rest of the split value is one problem"
	pam_run smsotp alice 'answer_code'
	assert_result SERVICE_ERR
	assert_contains "$SYSLOG" "a value with spaces needs brackets" "the module says the same"
	assert_sms_count 0
	service smsotp "auth required $MODULE conf=$CONF [template=sudo on {host}: CODE={code}]"
	check_passes
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_str_match "$(sms_text)" "^sudo on $(short_host): CODE=[0-9]{6}$" "the bracketed template, as PAM passes it"
}
run_case "a template with spaces outside brackets: check shows the bracketed line; the login fails; in brackets, both pass" t_unbracketed_template

t_type_not_served() {
	std_setup
	service smsotp "auth required $MODULE conf=$CONF" \
	    "account required $MODULE conf=$CONF"
	check_fails "$C/svc/smsotp:2: account: pam_smsotp serves auth and password only"
	PAM_OP=acct_mgmt pam_run smsotp alice
	[ "$RC" != 0 ] || fail "an account line of pam_smsotp let the account through"
}
run_case "an account line of the module: named; PAM fails that stack" t_type_not_served

t_ca_file_missing() {
	command -v openssl >/dev/null 2>&1 || skip "openssl not installed"
	CA=$C/ca
	sh "$TESTS/make-ca.sh" "$CA" > /dev/null 2>&1 || fail "make-ca.sh"
	start_gateway --tls "$CA/server.pem" "$CA/server.key"
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	PROVIDERS="{ name = \"gw\"; type = \"http\";
	    url = \"https://127.0.0.1:$GW_PORT/sms\"; retries = 0;
	    ca_file = \"$C/ca/missing.pem\"; }" std_conf
	service smsotp "auth required $MODULE conf=$CONF"
	check_fails "$CONF:$(line_of 'ca_file' "$CONF"): provider 'gw': ca_file: $C/ca/missing.pem: No such file or directory"
	pam_run smsotp alice 'answer_code'
	assert_result AUTHINFO_UNAVAIL
	assert_sms_count 0
	# a file that is there but holds no certificate
	PROVIDERS="{ name = \"gw\"; type = \"http\";
	    url = \"https://127.0.0.1:$GW_PORT/sms\"; retries = 0;
	    ca_file = \"$C/phones\"; }" std_conf
	check_fails "provider 'gw': ca_file: $C/phones: holds no PEM certificate"
	PROVIDERS="{ name = \"gw\"; type = \"http\";
	    url = \"https://127.0.0.1:$GW_PORT/sms\"; retries = 0;
	    ca_file = \"$CA/ca.pem\"; }" std_conf
	check_passes
	pam_run smsotp alice 'answer_code'
	assert_login_ok
}
run_case "a ca_file that is not there, or no certificate: named with its line; the send fails; fixed, both pass" t_ca_file_missing

t_all_at_once() {
	std_setup
	TEMPLATE='Your code for {host}' PROVIDERS="{ name = \"gw\"; type = \"http\";
	    format = \"json\";
	    url = \"ftp://127.0.0.1:$GW_PORT/sms\"; }" std_conf 'max_trys = 3;'
	check
	assert_eq 1 "$TRC" "exit 1"
	assert_contains "$TERR" "$CONF:$(line_of 'ftp://' "$CONF"): provider 'gw': url" "the line of url, not of the provider's {"
	assert_contains "$TERR" "$CONF:1: template: has no {code}" "the template, with its line"
	assert_contains "$TERR" "$CONF:$(line_of 'max_trys' "$CONF"): max_trys: unknown key (did you mean 'max_tries'?)"
	assert_match "$TERR" "^3 problems: " "all three, counted"
	pam_run smsotp alice 'answer_code'
	assert_result SERVICE_ERR
	assert_sms_count 0
}
run_case "three mistakes: all reported at once, each with the line of its key; the login fails" t_all_at_once

t_method_any_case() {
	std_setup
	PROVIDERS="{ name = \"gw\"; type = \"http\"; method = \"post\";
	    url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"json\"; }" std_conf
	check_passes
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq POST "$(log_get 'r["method"]')" "sent as POST"
	PROVIDERS="{ name = \"gw\"; type = \"http\"; method = \"Put\";
	    url = \"http://127.0.0.1:$GW_PORT/sms\"; format = \"json\"; }" std_conf
	pam_run smsotp alice 'answer_code 1'
	assert_login_ok
	assert_eq PUT "$(log_get 'r["method"]')" "sent as PUT"
}
run_case "method = \"post\" or \"Put\": accepted, sent upper case" t_method_any_case

t_lookup_user() {
	std_setup
	check_passes -u alice
	assert_contains "$TOUT" "alice: a login sends the code to $ALICE_MASKED (from the phones file)"
	assert_not_contains "$TOUT" "$ALICE_PHONE" "the number is masked"
	check -u bob
	assert_eq 1 "$TRC" "bob has no number: exit 1"
	assert_contains "$TERR" "-u bob: no number in any source" "says so"
	pam_run smsotp bob 'answer 000000'
	[ "$RC" != 0 ] || fail "bob's login passed without a number"
	check -u nosuchuser
	assert_eq 1 "$TRC" "an unknown user: exit 1"
	assert_contains "$TERR" "-u nosuchuser: no such user"
}
run_case "-u USER: the lookup a login makes, masked; a user without a number is a problem" t_lookup_user

t_lookup_chain() {
	std_setup
	printf 'bob +447700900124\n' | write_phones
	printf '#!/bin/sh\necho "$1" >> "%s"\n[ "$1" = alice ] && echo "%s"\nexit 0\n' \
	    "$C/cmd.calls" "$ALICE_PHONE" > "$C/number.sh"
	chmod 0755 "$C/number.sh"
	PHONES_GROUP="file = \"$C/phones\"; command = \"$C/number.sh\"; gecos = true;" std_conf
	check_passes -u alice
	assert_contains "$TOUT" "alice: phones file: no number"
	assert_contains "$TOUT" "alice: phones.command: $ALICE_MASKED"
	assert_contains "$TOUT" "alice: a login sends the code to $ALICE_MASKED (from the phones.command)"
	assert_not_contains "$TOUT" "GECOS:" "GECOS is not asked once the command answered"
	assert_not_contains "$TOUT" "$ALICE_PHONE" "the number is masked"
	assert_eq 1 "$(wc -l < "$C/cmd.calls" | tr -d ' ')" "the command ran once, as for a login"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "the login used the command's number"
	# a program the module cannot run is a problem
	chmod 0644 "$C/number.sh"
	check_fails "phones.command: $C/number.sh: not executable"
	pam_run smsotp alice 'answer_code'
	[ "$RC" != 0 ] || fail "a login passed through a phones.command it cannot run"
}
run_case "-u USER through file, command and GECOS: each source's answer, the one a login uses; a command that cannot run" t_lookup_chain

t_lookup_groups() {
	std_setup
	make_user erin
	echo "sms-users:x:3000:alice" >> "$C/group"
	printf 'alice %s\nerin +447700900126\n' "$ALICE_PHONE" | write_phones
	std_conf 'groups = ["sms-users"];'
	check_passes -u alice
	assert_contains "$TOUT" "alice: the groups setting challenges this user"
	check_passes -u erin
	assert_contains "$TOUT" "erin: the groups setting skips this user"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	n=$(sms_count)
	pam_run smsotp erin 'answer 000000'
	assert_not_prompted
	assert_eq "$n" "$(sms_count)" "no SMS for erin, as check said"
	# bob, skipped, has no number: a login never asks for one
	check_passes -u bob
	assert_contains "$TOUT" "bob: the groups setting skips this user"
	assert_not_contains "$TOUT" "no number" "a skipped user is not looked up"
	# with nullok, no number fails no login either
	std_conf 'nullok = true;'
	check_passes -u bob
	assert_contains "$TOUT" "bob: no number in any source: nullok lets the login pass"
	pam_run smsotp bob 'answer 000000'
	assert_not_prompted
	# PAM_IGNORE: with no other module libpam itself denies
	assert_contains "$SYSLOG" "user=bob service=smsotp" "the module's outcome line"
	assert_contains "$SYSLOG" "result=no number, nullok" "nullok let bob through this module"
	assert_eq "$n" "$(sms_count)" "no SMS for bob"
}
run_case "-u USER with groups: who the setting challenges and who it skips, as the logins do" t_lookup_groups

t_unused_provider() {
	std_setup
	PROVIDERS="$(std_provider), { name = \"spare\"; type = \"http\";
	    url = \"https://sms.example/send\"; ca_file = \"$C/no-ca.pem\"; }" \
	    std_conf 'provider = "gw";'
	check_passes
	assert_contains "$TOUT" "warning: $CONF:$(line_of 'no-ca.pem' "$CONF"): provider 'spare': ca_file: $C/no-ca.pem: No such file"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	# a stack line that picks it: the same file is that line's problem
	service smsotp "auth required $MODULE conf=$CONF provider=spare"
	check_fails "provider 'spare': ca_file: $C/no-ca.pem: No such file"
	pam_run smsotp alice 'answer_code'
	[ "$RC" != 0 ] || fail "a login through the spare provider passed"
}
run_case "a provider outside the chain: its missing ca_file is a warning; a stack line's provider= that picks it makes it a problem" t_unused_provider

t_refused_config_asks_nothing() {
	std_setup
	# a directory server that is no loopback, without TLS, with a bind
	# password: the configuration is refused, and -u must not bind there
	PHONES_GROUP="file = \"$C/phones\"; ldap = { uri = \"ldap://192.0.2.1:389\";
	    base = \"dc=example,dc=org\"; bind_dn = \"cn=x\"; bind_password = \"Secret\"; };" \
	    std_conf
	check -u alice
	assert_eq 1 "$TRC" "a refused configuration"
	assert_contains "$TERR" "phones.ldap.uri" "the refusal"
	assert_contains "$TOUT" "note: -u: no lookup through a configuration with problems"
	assert_not_contains "$TOUT" "a login sends the code" "no lookup made"
}
run_case "-u through a refused configuration asks no source (no bind without TLS)" t_refused_config_asks_nothing

t_bracket_hint_own_line() {
	std_setup
	service smsotp "auth required $MODULE on"
	check_fails "$C/svc/smsotp:1: argument 'on': unknown argument"
	assert_not_contains "$TERR" "[conf=" "the fix never quotes a conf= the line does not have"
	service smsotp "auth required $MODULE conf=relative.conf length=99"
	check_fails "$C/svc/smsotp:1: argument 'conf=relative.conf': not an absolute path" \
	    "$C/svc/smsotp:1: argument 'length=99': 99 is out of range 4..12"
	pam_run smsotp alice 'answer_code'
	assert_result SERVICE_ERR
	assert_contains "$SYSLOG" "argument 'conf=relative.conf': not an absolute path"
}
run_case "a stray word without key=value before it, a relative conf=: named by their stack line, the other arguments still checked" t_bracket_hint_own_line

t_default_pam_dir() {
	std_setup
	command -v unshare > /dev/null 2>&1 || skip "unshare not installed"
	unshare -m true 2> /dev/null || skip "no mount namespace here"
	service smsotp "auth required $MODULE conf=$CONF lenght=8"
	# the stacks of $C/svc over /etc/pam.d, in a mount namespace of its own
	cat > "$C/ns.sh" <<-EOF
	mount --make-rprivate / && mount --bind "$C/svc" /etc/pam.d || exit 90
	exec "\$1" -c "$CONF" check
	EOF
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    unshare -m sh "$C/ns.sh" "${SMSOTP_TOOL:-$ROOT/build/smsotp}" \
	    < /dev/null > "$C/ns.out" 2> "$C/ns.err"
	rc=$?
	[ "$rc" = 90 ] && skip "cannot bind-mount in a mount namespace here"
	assert_eq 1 "$rc" "check without --pam-dir: exit 1"
	assert_contains "$C/ns.err" "/etc/pam.d/smsotp:1: argument 'lenght=8': unknown argument"
}
run_case "without --pam-dir, check reads /etc/pam.d (the stacks bound there in a mount namespace)" t_default_pam_dir

t_no_syslog() {
	std_setup
	command -v unshare > /dev/null 2>&1 || skip "unshare not installed"
	unshare -m true 2> /dev/null || skip "no mount namespace here"
	tool=${SMSOTP_TOOL:-$ROOT/build/smsotp}
	# /dev of its own (a tmpfs: nothing on /dev/log), then one where a
	# listener is bound at /dev/log (and a /dev/null: the shell opens it for
	# a job in the background)
	cat > "$C/ns.sh" <<-EOF
	mount --make-rprivate / && mount -t tmpfs tmpfs /dev || exit 90
	mknod -m 666 /dev/null c 1 3 || exit 90
	"\$1" -c "$CONF" check --pam-dir "$C/svc" > "$C/ns1.out" 2>&1
	$PYTHON -c 'import socket,sys,time
	s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind("/dev/log")
	open(sys.argv[1], "w").close(); time.sleep(30)' "$C/ns.ready" &
	pid=\$!
	i=0
	while [ ! -e "$C/ns.ready" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
	"\$1" -c "$CONF" check --pam-dir "$C/svc" > "$C/ns2.out" 2>&1
	kill \$pid
	EOF
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    unshare -m sh "$C/ns.sh" "$tool" < /dev/null > "$C/ns.err" 2>&1
	rc=$?
	[ "$rc" = 90 ] && skip "cannot mount a tmpfs in a mount namespace here"
	assert_contains "$C/ns1.out" "warning: nothing listens on /dev/log: the module's log lines are lost"
	assert_contains "$C/ns1.out" "$CONF: OK (" "a warning, not a problem"
	assert_not_contains "$C/ns2.out" "/dev/log" "no warning with a listener"
	assert_contains "$C/ns2.out" "$CONF: OK ("
}
run_case "/dev/log: a warning when nothing listens, none when something does" t_no_syslog

finish
