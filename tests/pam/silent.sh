#!/bin/sh
# PAM_SILENT: the application asks for no informational messages.  The
# prompt still comes; "wrong code" and "too many tries" do not; the one
# error that ends a login without a prompt (code not sent) is still told.
. "$(dirname "$0")/../lib.sh"
require_module

t_silent_wrong() {
	require_pam_wrapper
	std_setup
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice 'answer 000000 1; answer_code 2'
	assert_rc 0 "wrong code, then the right one, under PAM_SILENT"
	assert_eq 2 "$(prompt_count)" "prompted twice"
	assert_not_contains "$OUT" "Wrong code" "no informational message under PAM_SILENT"
	PAM_OP=authenticate
	pam_run smsotp alice 'answer 000000 1; answer_code 2'
	assert_rc 0 "the same without PAM_SILENT"
	assert_contains "$OUT" "Wrong code" "the message is there without PAM_SILENT"
	pass
}
run_case "PAM_SILENT drops 'wrong code', keeps the prompt" t_silent_wrong

t_silent_too_many() {
	require_pam_wrapper
	std_setup
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice 'answer 1 1; answer 2 2; answer 3 3'
	assert_result MAXTRIES
	assert_not_contains "$OUT" "Too many" "no 'too many tries' under PAM_SILENT"
	pass
}
run_case "PAM_SILENT: three wrong codes end silently with PAM_MAXTRIES" t_silent_too_many

t_silent_not_sent() {
	require_pam_wrapper
	std_setup --status 500
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice
	assert_result AUTHINFO_UNAVAIL
	assert_contains "$OUT" "could not be sent" "the failure is told even under PAM_SILENT"
	assert_eq 0 "$(prompt_count)" "no prompt for a code that was not sent"
	pass
}
run_case "PAM_SILENT still tells that the code could not be sent" t_silent_not_sent

finish
