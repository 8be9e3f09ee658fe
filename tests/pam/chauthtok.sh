#!/bin/sh
# The password stack (SPEC §5) through pamtester: the SMS check in the
# first pass (PAM_PRELIM_CHECK), the second pass (PAM_UPDATE_AUTHTOK) only
# after it passed on the same handle, and no second SMS for a handle that
# passed in authenticate.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

MARKER=REACHED-UPDATE

pw_setup() {
	std_setup
	# pam_echo prints only when the stack gets past pam_smsotp
	service smsotp \
	    "auth required $MODULE conf=$CONF" \
	    "password requisite $MODULE conf=$CONF $*" \
	    "password optional pam_echo.so $MARKER" \
	    "password required pam_permit.so"
}

t_right_code() {
	pw_setup
	PAM_OP=chauthtok
	pam_run smsotp alice 'answer_code'
	assert_rc 0 "chauthtok with the right code succeeds"
	assert_sms_count 1
	assert_contains "$OUT" "$MARKER" "the stack went on to the password modules"
}
run_case "chauthtok: the right code lets the password change go on" t_right_code

t_wrong_code() {
	pw_setup
	PAM_OP=chauthtok
	pam_run smsotp alice 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_ne 0 "$RC" "chauthtok with wrong codes fails"
	assert_not_contains "$OUT" "$MARKER" "requisite: no password module ran"
	assert_sms_count 1
}
run_case "chauthtok: wrong codes stop the password change" t_wrong_code

t_unknown_user() {
	pw_setup
	PAM_OP=chauthtok
	pam_run smsotp mallory 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_ne 0 "$RC" "an unknown user cannot change a password"
	assert_sms_count 0
}
run_case "chauthtok: unknown user, no SMS, refused" t_unknown_user

t_after_authenticate() {
	pw_setup
	PAM_OP='authenticate chauthtok'
	pam_run smsotp alice 'answer_code'
	assert_rc 0 "authenticate then chauthtok on one handle"
	assert_sms_count 1
	assert_eq 1 "$(prompt_count)" "one prompt: the password pass did not ask again"
	assert_contains "$OUT" "$MARKER" "the password modules ran"
}
run_case "authenticate, then chauthtok on the same handle: one SMS, one prompt" t_after_authenticate

# handle_driver: pamtester's arguments, and a user= operation that changes
# PAM_USER on the handle between two others
driver_build() {
	cc -O1 -o "$C/handle_driver" "$ROOT/tests/pam/handle_driver.c" -lpam -lpam_misc ||
	    fail "cannot build handle_driver"
	PAMTESTER=$C/handle_driver
}

t_other_user() {
	# alice passes authenticate; the application then makes the handle
	# carol's: her password change needs her own code
	pw_setup
	driver_build
	make_user carol
	printf 'alice %s\ncarol +447700900777\n' "$ALICE_PHONE" | write_phones
	PAM_OP='authenticate user=carol chauthtok'
	pam_run smsotp alice 'answer_code 1; answer 000000 2; answer 000000 3; answer 000000 4'
	assert_ne 0 "$RC" "carol's password change on alice's SMS"
	assert_contains "$OUT" "handle_driver: authenticate - successfully" "alice passed"
	assert_not_contains "$OUT" "$MARKER" "the password modules did not run for carol"
	assert_sms_count 2
	assert_eq "+447700900777" "$(log_get "to(r)" "$GW_LOG" 1)" "the second SMS went to carol"
}
run_case "authenticate as alice, PAM_USER set to carol, chauthtok: carol needs her own code" t_other_user


t_nullok() {
	pw_setup nullok
	PAM_OP=chauthtok
	pam_run smsotp bob
	assert_rc 0 "nullok: a user without a number changes the password (PAM_IGNORE)"
	assert_sms_count 0
	assert_not_prompted
}
run_case "chauthtok with nullok: a user without a number is not asked" t_nullok

finish
