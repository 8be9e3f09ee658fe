#!/bin/sh
# The built module: exported symbols, dlopen with RTLD_NOW, hardening
# flags; pam_sm_chauthtok never succeeds yet; pam_sm_setcred.
. "$(dirname "$0")/../lib.sh"
require_module

t_exports() {
	command -v nm >/dev/null 2>&1 || skip "nm (binutils) not installed"
	got=$(nm -D --defined-only "$MODULE" | awk '{ print $NF }' | sort | tr '\n' ' ')
	assert_eq "pam_sm_authenticate pam_sm_chauthtok pam_sm_setcred " "$got" \
	    "nm -D --defined-only lists exactly the PAM hooks"
}
run_case "exported symbols: exactly pam_sm_authenticate, _chauthtok, _setcred" t_exports

t_dlopen() {
	out=$("$PYTHON" -c '
import ctypes, os, sys
lib = ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_LOCAL)
for s in ("pam_sm_authenticate", "pam_sm_setcred", "pam_sm_chauthtok"):
    getattr(lib, s)
print("loaded")
' "$MODULE" 2>&1)
	assert_eq loaded "$out" "dlopen(RTLD_NOW) and the hooks resolve"
}
run_case "dlopen(RTLD_NOW) loads the module" t_dlopen

t_hardening() {
	command -v readelf >/dev/null 2>&1 || skip "readelf (binutils) not installed"
	readelf -d "$MODULE" > "$C/dyn"
	readelf -lW "$MODULE" > "$C/segments"
	assert_match "$C/dyn" 'BIND_NOW|FLAGS_1.*NOW' "linked with -z now"
	assert_contains "$C/segments" GNU_RELRO "linked with -z relro"
	stack=$(grep GNU_STACK "$C/segments")
	assert_str_match "$stack" 'RW +0x' "GNU_STACK is not executable"
	assert_not_match "$C/dyn" 'TEXTREL' "no text relocations"
}
run_case "hardening: BIND_NOW, RELRO, non-executable stack" t_hardening

# libcurl is opened in the send process only (sms/curl.c): the hosts
# (sshd, sudo, login) never map it or its dependencies.
t_no_libcurl() {
	command -v readelf >/dev/null 2>&1 || skip "readelf (binutils) not installed"
	readelf -d "$MODULE" > "$C/dyn"
	assert_not_match "$C/dyn" 'NEEDED.*libcurl' "the module does not link libcurl"
	assert_contains "$C/dyn" 'libcrypto' "the module links OpenSSL (codes, hashes)"
	out=$("$PYTHON" -c '
import ctypes, os, sys
ctypes.CDLL(sys.argv[1], mode=os.RTLD_NOW | os.RTLD_LOCAL)
print(sum("libcurl" in line for line in open("/proc/self/maps")))
' "$MODULE" 2>&1)
	assert_eq 0 "$out" "loading the module maps no libcurl"
}
run_case "the module does not load libcurl into its host" t_no_libcurl

t_chauthtok() {
	require_pam_wrapper
	std_setup
	service smsotp "password required $MODULE conf=$CONF"
	PAM_OP=chauthtok
	pam_run smsotp alice
	assert_ne 0 "$RC" "chauthtok without an SMS check must not succeed"
	assert_not_contains "$OUT" "successfully" "chauthtok must not succeed"
	PAM_OP=chauthtok
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3; answer 000000 4'
	assert_ne 0 "$RC" "chauthtok with wrong answers must not succeed"
}
run_case "chauthtok (password stack) never succeeds without the code" t_chauthtok

t_setcred() {
	require_pam_wrapper
	std_setup
	service smsotp "auth required $MODULE conf=$CONF"
	PAM_OP=setcred
	pam_run smsotp alice
	assert_rc 0 "pam_sm_setcred succeeds"
	assert_sms_count 0
}
run_case "setcred succeeds and sends nothing" t_setcred

finish
