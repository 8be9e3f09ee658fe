#!/bin/sh
# `messages`: the texts a user sees, in the administrator's words.  A
# German and a Hindi (Devanagari) set, with a prompt in the same language,
# end to end through pamtester: a wrong code (the text right before the
# next prompt) and too many, an expired code, a locked user, max_sends
# reached and a code reused inside resend_after, each with its {wait_min},
# {wait} and {ago} filled in; a text of 500 bytes shown whole before the
# prompt; a module argument [messages.wrong=...] overriding the file for
# one service; and without the group, the English defaults as before.
# The refusals (unknown key, {code}, bad UTF-8) are rows of
# tests/unit/test_config.c; sshd.sh shows a German text through a real sshd.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# The sets: KEY=TEXT lines, every key of the group.
set_de() {
	cat <<'S'
wrong=Falscher Code, bitte erneut versuchen.
too_many=Falscher Code. Zu viele Versuche.
expired=Der Code ist abgelaufen. Bitte melden Sie sich erneut an.
spent=Dieser Code ist nicht mehr gültig.
not_sent=Der SMS-Code konnte nicht gesendet werden.
unavailable=Die SMS-Prüfung ist gerade nicht verfügbar.
locked=Zu viele falsche Codes: SMS-Anmeldung für {wait_min} Minute(n) gesperrt.
cap=Keine weiteren SMS-Codes möglich; der nächste in {wait_min} Minute(n).
cap_resend=Keine weiteren SMS-Codes (der nächste in {wait_min} Minute(n)); letzten Code eingeben.
reuse=Geben Sie den Code ein, der vor {ago} s gesendet wurde (ein neuer in {wait} s).
resend_wait=Ein neuer Code kann in {wait} s gesendet werden.
sent_again=Ein neuer Code wurde gesendet.
prompt=SMS-Code an {phone_masked}: 
S
}

set_hi() {
	cat <<'S'
wrong=गलत कोड, कृपया फिर से प्रयास करें।
too_many=गलत कोड। बहुत अधिक प्रयास।
expired=कोड की समय सीमा समाप्त हो गई है। नया कोड पाने के लिए फिर से लॉग इन करें।
spent=यह कोड अब मान्य नहीं है।
not_sent=SMS कोड नहीं भेजा जा सका। कृपया बाद में प्रयास करें।
unavailable=SMS कोड जाँच अभी उपलब्ध नहीं है।
locked=बहुत अधिक गलत कोड: SMS लॉगिन {wait_min} मिनट के लिए बंद है।
cap=अभी और SMS कोड नहीं भेजे जा सकते। अगला {wait_min} मिनट में।
cap_resend=अभी और SMS कोड नहीं भेजे जा सकते (अगला {wait_min} मिनट में); पिछला कोड दर्ज करें।
reuse={ago} सेकंड पहले भेजा गया कोड दर्ज करें (नया कोड {wait} सेकंड में)।
resend_wait=नया कोड {wait} सेकंड में भेजा जा सकता है।
sent_again=नया कोड भेजा गया।
prompt={phone_masked} पर भेजा गया SMS कोड: 
S
}

# text LANG KEY: the text of KEY in LANG's set
text() {
	"set_$1" | sed -n "s/^$2=//p"
}

# lang_conf LANG [LINE...]: std_conf with LANG's messages group and prompt
lang_conf() {
	_l=$1
	shift
	_block=$("set_$_l" | grep -v '^prompt=' | sed 's/^\([a-z_]*\)=\(.*\)$/  \1 = "\2";/')
	std_conf "prompt = \"$(text "$_l" prompt)\";" "messages = {
$_block
};" "$@"
	PROMPT_RE=$(text "$_l" prompt | sed 's/{phone_masked}//; s/^ *//; s/ *$//; s/: *$//')
}

# regex TEXT: TEXT as an extended regex, each {placeholder} a number
regex() {
	printf '%s' "$1" | sed 's/[][().*^$+?|\\]/\\&/g; s/{[a-z_]*}/[0-9]+/g'
}

# shows TEXT [WHAT]: the client saw TEXT (numbers for its placeholders)
shows() {
	assert_match "$OUT" "$(regex "$1")" "${2:-the client saw: $1}"
}

t_wrong() {	# LANG
	std_setup
	lang_conf "$1" 'max_tries = 2;'
	pam_run smsotp alice 'answer 000000x 1; answer 000000x 2'
	assert_result MAXTRIES
	assert_prompted 2
	shows "$(text "$1" wrong)"
	shows "$(text "$1" too_many)"
	assert_not_contains "$OUT" "Wrong code" "no English text"
	# the wrong-code text is what comes right before the second prompt
	_w=$(grep -v '^PWRAP' "$OUT" | grep -n -E -- "$(regex "$(text "$1" wrong)")" | head -n 1 | cut -d: -f1)
	_p=$(grep -v '^PWRAP' "$OUT" | grep -n -E -- "$PROMPT_RE" | sed -n 2p | cut -d: -f1)
	[ -n "$_w" ] && [ -n "$_p" ] && [ $((_p - _w)) -le 1 ] && [ "$_p" -ge "$_w" ] ||
	    fail "the wrong-code text (line $_w) is not right before the second prompt (line $_p)"
}

t_expired() {	# LANG
	std_setup
	lang_conf "$1" 'ttl = 30;'
	pam_run smsotp alice 'wait_sms; wait_prompt 1; age_code 31; answer_code 1'
	assert_result AUTH_ERR
	shows "$(text "$1" expired)"
	assert_contains "$SYSLOG" "result=expired"
}

t_locked() {	# LANG
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0; lockout_after = 1; lockout_time = 900;"
	lang_conf "$1" 'max_tries = 1;'
	pam_run smsotp alice 'answer 000000x'
	assert_result MAXTRIES
	pam_run smsotp alice 'answer 000000x'
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 1
	shows "$(text "$1" locked | sed 's/{wait_min}/15/')" "the lock's 15 minutes, in the text"
}

t_cap() {	# LANG
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 0; max_sends = 1;"
	lang_conf "$1"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	pam_run smsotp alice
	assert_result MAXTRIES
	assert_not_prompted
	assert_sms_count 1
	shows "$(text "$1" cap | sed 's/{wait_min}/1440/')" "the window's 1440 minutes, in the text"
}

t_reuse() {	# LANG
	std_setup
	LIMITS_GROUP="state_dir = \"$C/state\"; resend_after = 60;"
	lang_conf "$1"
	pam_run smsotp alice 'wait_prompt 1'
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	shows "$(text "$1" reuse)"
	_t=$(grep -o -E -- "$(regex "$(text "$1" reuse)")" "$OUT" | head -n 1)
	_n=$(printf '%s' "$_t" | grep -o -E '[0-9]+' | tr '\n' ' ')
	set -- $_n
	[ $(($1 + $2)) -ge 59 ] && [ $(($1 + $2)) -le 61 ] ||
	    fail "{ago} + {wait} should be resend_after (60): got '$_t'"
}

for lang in de hi; do
	name=German
	[ $lang = hi ] && name=Hindi
	eval "t_${lang}_wrong() { t_wrong $lang; }"
	eval "t_${lang}_expired() { t_expired $lang; }"
	eval "t_${lang}_locked() { t_locked $lang; }"
	eval "t_${lang}_cap() { t_cap $lang; }"
	eval "t_${lang}_reuse() { t_reuse $lang; }"
	run_case "$name: a wrong code (text right before the prompt), then too many" t_${lang}_wrong
	run_case "$name: an expired code" t_${lang}_expired
	run_case "$name: locked, {wait_min} filled in" t_${lang}_locked
	run_case "$name: max_sends reached, {wait_min} filled in" t_${lang}_cap
	run_case "$name: a code reused inside resend_after, {ago} and {wait} filled in" t_${lang}_reuse
done

t_long() {
	std_setup
	long=
	i=0
	while [ $i -lt 28 ]; do	# 16 bytes each
		long="${long}कृपया "
		i=$((i + 1))
	done
	long="${long}END"
	[ "$(printf '%s' "$long" | wc -c)" -le 512 ] || fail "the test's text is over 512 bytes"
	[ "$(printf '%s' "$long" | wc -c)" -gt 400 ] || fail "the test's text is not long: $(printf '%s' "$long" | wc -c) bytes"
	std_conf "messages = { wrong = \"$long\"; };" 'max_tries = 2;'
	pam_run smsotp alice 'answer 000000x 1; answer_code 2'
	assert_login_ok
	assert_contains "$OUT" "$long" "the whole text, not cut"
}
run_case "a wrong-code text of over 400 bytes (Devanagari) is shown whole" t_long

t_argument() {
	std_setup
	lang_conf de 'max_tries = 2;'
	service smsotp "auth required $MODULE conf=$CONF [messages.wrong=Falsch, {user}! Nochmal.] [messages.too_many=Schluss.]"
	pam_run smsotp alice 'answer 000000x 1; answer 000000x 2'
	assert_result MAXTRIES
	assert_contains "$OUT" "Falsch, alice! Nochmal." "the argument's text"
	assert_contains "$OUT" "Schluss." "the argument's text"
	assert_not_contains "$OUT" "$(text de wrong)" "not the file's text"
	# another service on the same file keeps the file's texts
	service sudo "auth required $MODULE conf=$CONF"
	pam_run sudo alice 'answer 000000x 1; answer 000000x 2'
	shows "$(text de wrong)"
	assert_not_contains "$OUT" "Nochmal." "the other service's argument does not apply"
}
run_case "an argument [messages.wrong=...] overrides the file for one service" t_argument

t_defaults() {
	std_setup
	std_conf 'max_tries = 2;'
	pam_run smsotp alice 'answer 000000x 1; answer 000000x 2'
	assert_contains "$OUT" "Wrong code, please try again."
	assert_contains "$OUT" "Wrong code. Too many tries."
}
run_case "without the group: the English defaults, as before" t_defaults

t_bad_utf8() {
	std_setup
	std_conf "$(printf 'messages = { wrong = "Falsch\377"; };')"
	pam_run smsotp alice 'answer 000000'
	assert_result SERVICE_ERR
	assert_not_prompted
	assert_sms_count 0
	assert_contains "$SYSLOG" "messages.wrong: not valid UTF-8"
}
run_case "a text that is not UTF-8: PAM_SERVICE_ERR, the key named in the log, no prompt" t_bad_utf8

finish
