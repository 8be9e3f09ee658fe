#!/bin/sh
# PAM_SILENT: the application asks for no informational messages.  The
# prompt still comes; the informational notices (PAM_TEXT_INFO: a new code
# was sent, when a resend is possible, the code of an earlier login asked
# for) do not; every other notice is an error (PAM_ERROR_MSG: a wrong,
# expired or spent code, too many tries, a lock, max_sends reached, a code
# not sent) and is still told: sudo sets PAM_SILENT by default.  Here: a
# wrong code, too many tries and a code not sent are told, a new code sent
# is not.
. "$(dirname "$0")/../lib.sh"
require_module

t_silent_wrong() {
	# sudo sets PAM_SILENT by default: a wrong code must still be told
	require_pam_wrapper
	std_setup
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice 'answer 000000 1; answer_code 2'
	assert_rc 0 "wrong code, then the right one, under PAM_SILENT"
	assert_eq 2 "$(prompt_count)" "prompted twice"
	assert_contains "$OUT" "Wrong code" "an error about the answer is shown under PAM_SILENT"
	pass
}
run_case "PAM_SILENT keeps 'wrong code' (an error), and the prompt" t_silent_wrong

t_silent_info() {
	# the informational notice of a resend is dropped under PAM_SILENT
	require_pam_wrapper
	std_setup
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice 'answer "" 1; wait_sms 2; answer_code 2'
	assert_rc 0 "empty answer, a new code, then the right one"
	assert_sms_count 2
	assert_not_contains "$OUT" "A new code was sent" "no informational notice under PAM_SILENT"
	PAM_OP=authenticate
	pam_run smsotp alice 'answer "" 1; wait_sms 4; answer_code 2'
	assert_rc 0 "the same without PAM_SILENT"
	assert_contains "$OUT" "A new code was sent" "the notice is there without PAM_SILENT"
	pass
}
run_case "PAM_SILENT drops 'a new code was sent' (information)" t_silent_info

t_silent_too_many() {
	require_pam_wrapper
	std_setup
	PAM_OP='authenticate(PAM_SILENT)'
	pam_run smsotp alice 'answer 1 1; answer 2 2; answer 3 3'
	assert_result MAXTRIES
	assert_contains "$OUT" "Too many" "'too many tries' is an error: shown under PAM_SILENT"
	pass
}
run_case "PAM_SILENT: three wrong codes end with PAM_MAXTRIES and say so" t_silent_too_many

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
