#!/bin/sh
# The shipped PAM stacks examples/pam.d-sshd and examples/pam.d-su, used as
# they are: only the module's path gets its absolute path and conf=, and
# the lines that need the host's own setup are replaced (@include
# common-auth by pam_permit, which stands for the password check; su's
# pam_rootok is left out, because the test runs as root and it would skip
# the rest).
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# example_service FILE NAME: a pam_wrapper service from the example
example_service() {
	sed -e "s|^@include common-auth|auth required pam_permit.so|" \
	    -e "/pam_rootok.so/d" \
	    -e "s|pam_smsotp.so|$MODULE conf=$C/pam_smsotp.conf|" \
	    "$ROOT/examples/$1" | grep -v '^#' | grep -v '^$' > "$C/svc/$2"
	grep -q "^auth.*$MODULE conf=" "$C/svc/$2" || fail "examples/$1 has no pam_smsotp line"
}

t_sshd_stack() {
	std_setup
	example_service pam.d-sshd sshd
	pam_run sshd alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	pam_run sshd alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result MAXTRIES
}
run_case "examples/pam.d-sshd: the code logs in, wrong codes do not" t_sshd_stack

t_su_stack() {
	std_setup
	example_service pam.d-su su
	CODE_RE='([0-9]{6})$'
	pam_run su alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_str_match "$(sms_text)" '^su to alice on [^ ]+: [0-9]{6}$' "the su example's template"
}
run_case "examples/pam.d-su: the target user's code, with the su template" t_su_stack

finish
