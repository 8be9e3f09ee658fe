#!/bin/sh
# An expired code is refused and told apart from a wrong one.  Slow (the
# shortest ttl is 30 s): kept in its own script so it runs beside the others.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

t_expired() {
	std_setup
	std_conf 'ttl = 30;'
	PAM_TIMEOUT=90
	pam_run smsotp alice 'wait_sms; wait_prompt 1; sleep 31; answer_code 1'
	assert_ne 0 "$RC" "an expired code must not let alice in"
	assert_result AUTH_ERR MAXTRIES AUTHINFO_UNAVAIL
	grep -qi 'expired' "$OUT" || fail "expected a message saying the code expired
  got: $(grep -v '^PWRAP' "$OUT" | tail -n 5)"
	assert_not_contains "$OUT" "successfully authenticated"
	assert_sms_count 1
}
run_case "ttl = 30, right code after 31 s: refused as expired" t_expired

t_not_yet_expired() {
	std_setup
	std_conf 'ttl = 30;'
	pam_run smsotp alice 'wait_sms; wait_prompt 1; sleep 3; answer_code 1'
	assert_login_ok
}
run_case "ttl = 30, right code after 3 s: accepted" t_not_yet_expired

finish
