#!/bin/sh
# An expired code is refused and told apart from a wrong one.  The rule
# itself (ttl, its last second, a clock gone back) is test_policy.c's; here
# the wiring, without waiting out a ttl: while the login is at the prompt,
# the kept code is made older (code_issued moved back in alice's state
# file, as a clock gone on would), then the right code is answered.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

t_expired() {
	std_setup
	std_conf 'ttl = 30;'
	pam_run smsotp alice 'wait_sms; wait_prompt 1; age_code 31; answer_code 1'
	assert_result AUTH_ERR
	grep -qi 'expired' "$OUT" || fail "expected a message saying the code expired
  got: $(grep -v '^PWRAP' "$OUT" | tail -n 5)"
	assert_contains "$SYSLOG" "result=expired"
	assert_not_contains "$OUT" "successfully authenticated"
	assert_sms_count 1
}
run_case "ttl = 30, right code 31 s after it was sent: refused as expired" t_expired

t_not_yet_expired() {
	std_setup
	std_conf 'ttl = 30;'
	pam_run smsotp alice 'wait_sms; wait_prompt 1; age_code 20; answer_code 1'
	assert_login_ok
}
run_case "ttl = 30, right code 20 s after it was sent: accepted" t_not_yet_expired

finish
