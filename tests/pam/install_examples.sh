#!/bin/sh
# What an administrator copies: `make install` into a DESTDIR, and the
# shipped examples (pam_smsotp.conf, the phones file, the sudo stack line)
# used as they are, only pointed at the mock gateway and a test folder;
# pam_smsotp-fleet.conf read by `smsotp check` as it is, only pointed at
# test files and a closed port on 127.0.0.1 (no database: the case asks
# only that nothing of the configuration is refused).
. "$(dirname "$0")/../lib.sh"
require_module

t_install() {
	d=$C/dest
	make -s -C "$ROOT" install DESTDIR="$d" PREFIX=/usr PAMDIR=/lib/security > "$C/make.out" 2>&1 ||
	    fail "make install failed: $(cat "$C/make.out")"
	[ -f "$d/lib/security/pam_smsotp.so" ] || fail "module not installed into PAMDIR"
	assert_eq 600 "$(stat -c %a "$d/etc/security/pam_smsotp.conf")" "example configuration installed 0600"
	assert_eq 700 "$(stat -c %a "$d/var/lib/pam_smsotp")" "state directory installed 0700"
	[ -f "$d/usr/share/doc/pam_smsotp/examples/pam.d-sshd" ] || fail "examples not installed"
	[ -f "$d/usr/share/doc/pam_smsotp/examples/pam_smsotp-fleet.conf" ] || fail "the fleet example not installed"
	echo '# edited by the administrator' > "$d/etc/security/pam_smsotp.conf"
	make -s -C "$ROOT" install DESTDIR="$d" PREFIX=/usr PAMDIR=/lib/security > "$C/make.out" 2>&1 ||
	    fail "second make install failed"
	assert_eq '# edited by the administrator' "$(cat "$d/etc/security/pam_smsotp.conf")" \
	    "an existing configuration is never overwritten"
	# PAMDIR's default: where /lib is a link to usr/lib (merged /usr), the
	# module goes under /usr/lib, where the Debian package puts it
	if [ -L /lib ]; then
		d=$C/dest-default
		make -s -C "$ROOT" install DESTDIR="$d" PREFIX=/usr > "$C/make.out" 2>&1 ||
		    fail "make install with the default PAMDIR failed: $(cat "$C/make.out")"
		assert_str_match "$(cd "$d" && find . -name pam_smsotp.so)" '^\./usr/lib/[^/]+/security/pam_smsotp\.so$' \
		    "the default PAMDIR on a merged /usr"
		[ -e "$d/lib" ] && fail "make install put files under /lib: $(cd "$d" && find lib)"
	fi
	pass
}
run_case "make install: DESTDIR, PREFIX, PAMDIR (default under /usr), modes, never overwriting the configuration" t_install

t_examples() {
	require_pam_wrapper
	start_gateway --status 202
	make_user alice
	make_user bob
	# the shipped phones file, as it is
	cp "$ROOT/examples/pam_smsotp.phones" "$C/phones"
	chmod 0644 "$C/phones"
	sed -e "s|https://sms.example.com/api/v1/messages|http://127.0.0.1:$GW_PORT/api/v1/messages|" \
	    -e "s|/etc/security/pam_smsotp.phones|$C/phones|" \
	    -e "s|/var/lib/pam_smsotp/outbox.jsonl|$C/outbox.jsonl|" \
	    -e "s|/var/lib/pam_smsotp|$C/state|" \
	    "$ROOT/examples/pam_smsotp.conf" | write_conf
	# the sudo example's module line, with an absolute module path
	line=$(grep '^auth.*pam_smsotp.so' "$ROOT/examples/pam.d-sudo" |
	    sed "s|pam_smsotp.so|$MODULE conf=$C/pam_smsotp.conf|")
	service smsotp-sudo "$line"
	CODE_RE='([0-9]{6})$'
	pam_run smsotp-sudo bob 'answer_code'
	assert_rc 0 "bob logs in through the example configuration and sudo stack line"
	assert_eq 1 "$(sms_count)" "one SMS"
	assert_eq /api/v1/messages "$(log_get 'r["path"]')" "the example's endpoint"
	assert_eq '+15555550123' "$(log_get 'r["json"]["to"]')" "bob's number from the example phones file, normalised"
	assert_eq ACME "$(log_get 'r["json"]["from"]')" "the example's sender"
	assert_eq 'Bearer replace-with-your-api-token' "$(log_get 'hdr(r, "authorization")')" "bearer auth"
	assert_eq pam_smsotp "$(log_get 'hdr(r, "x-request-source")')" "the example's extra header"
	assert_str_match "$(sms_text)" '^sudo on [^ ]+: [0-9]{6}$' "the sudo example's template"
	pass
}
run_case "examples: pam_smsotp.conf, phones file and the sudo line work as shipped" t_examples

t_fleet_example() {
	grep -rq '"postgresql"' "$ROOT/config" ||
	    skip "the PostgreSQL store is not in config/ yet"
	tool=${SMSOTP_TOOL:-$ROOT/build/smsotp}
	[ -x "$tool" ] || skip "$tool is not built (run make)"
	cp "$ROOT/examples/pam_smsotp.phones" "$C/phones"
	chmod 0644 "$C/phones"
	: > "$C/db-ca.pem"
	chmod 0644 "$C/db-ca.pem"
	sed -e "s|host=db1.example.net,db2.example.net port=5432,5432|host=127.0.0.1,127.0.0.1 port=1,1|" \
	    -e "s|/etc/security/pam_smsotp-db-ca.pem|$C/db-ca.pem|" \
	    -e "s|/etc/security/pam_smsotp.phones|$C/phones|" \
	    -e "s|/etc/security/pam_smsotp.key|$C/hash.key|" \
	    -e "s|/var/lib/pam_smsotp|$C/state|" \
	    "$ROOT/examples/pam_smsotp-fleet.conf" | write_conf
	CONF=$C/pam_smsotp.conf
	grep -q 'port=1,1' "$CONF" || fail "the fleet example's conninfo no longer has the two hosts this test points elsewhere"
	"$tool" -c "$CONF" check > "$C/check.out" 2>&1 < /dev/null
	rc=$?
	case $rc in
	0|1) ;;
	*) fail "smsotp check exited $rc: $(cat "$C/check.out")" ;;
	esac
	if grep -qE "$CONF:[0-9]|limits\.(store|postgresql)|unknown key" "$C/check.out"; then
		fail "the fleet example is refused: $(cat "$C/check.out")"
	fi
	pass
}
run_case "examples: pam_smsotp-fleet.conf is read without a refusal (the database aside)" t_fleet_example

finish
