#!/bin/sh
# Where a user's number comes from, through real logins: the phones file
# (every accepted spelling, national numbers with default_country, refused
# numbers with the file and line logged), allowed_countries, phones.command
# (one argument, a clean environment, no output with exit 0, any other exit
# a failure logged with its first line of stderr, a hang killed at 5 s),
# GECOS (opt-in, logged as user-editable) and the order file, command,
# GECOS.  Never a full number in the log.
. "$(dirname "$0")/../lib.sh"
require_module
require_pam_wrapper

# user_gecos NAME GECOS: an account with this GECOS field
user_gecos() {
	_uid=$(($(wc -l < "$C/passwd") + 2999))
	printf '%s:x:%s:2000:%s:/home/%s:/bin/sh\n' "$1" "$_uid" "$2" "$1" >> "$C/passwd"
}

# phones_conf GROUP-BODY [TOP-LEVEL LINE...]: the standard configuration
# with this phones group
phones_conf() {
	PHONES_GROUP=$1
	shift
	std_conf "$@"
	service smsotp "auth required $MODULE conf=$CONF"
}

# prog NAME BODY: an executable /bin/sh program $C/NAME (0755)
prog() {
	printf '#!/bin/sh\n%s\n' "$2" > "$C/$1"
	chmod 0755 "$C/$1"
}

# refused USER [DIGITS]: USER's number lookup fails closed: no prompt, no
# SMS, PAM_SERVICE_ERR; DIGITS (the number as written, digits only; 8 or
# more) never in the log
refused() {
	set -- "$1" "${2:-}"
	_n=$(sms_count)
	pam_run smsotp "$1" 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result SERVICE_ERR
	assert_not_prompted
	assert_eq "$_n" "$(sms_count)" "no SMS for $1"
	assert_contains "$SYSLOG" "result=number lookup failed"
	if [ "${#2}" -ge 8 ]; then
		assert_not_contains "$SYSLOG" "$2" "the number is not in the log"
	fi
}

# no_number USER: USER has no number: the prompt all the same, every
# answer wrong, no SMS
no_number() {
	_n=$(sms_count)
	pam_run smsotp "$1" 'answer 000000 1; answer 000000 2; answer 000000 3'
	assert_result AUTH_ERR
	assert_eq 3 "$(prompt_count)" "prompts for a user without a number"
	assert_eq "$_n" "$(sms_count)" "no SMS for $1"
	assert_contains "$SYSLOG" "result=no number"
}

# ---------------------------------------------------------------- phones file

# spellings_case CC: users u1.. with the numbers of the table on stdin
# ("written|E.164", E.164 "-" for refused), default_country CC (none if
# empty); each logs in with the code sent to the E.164 number or is refused
# with the file and line logged
spellings_case() {
	start_gateway
	: > "$C/table"
	: > "$C/phones.in"
	i=0
	while IFS='|' read -r written want; do
		[ -n "$written" ] || continue
		i=$((i + 1))
		make_user "u$i"
		printf 'u%s %s\n' "$i" "$written" >> "$C/phones.in"
		printf 'u%s|%s|%s\n' "$i" "$want" "$written" >> "$C/table"
	done
	write_phones < "$C/phones.in"
	if [ -n "$1" ]; then
		phones_conf "file = \"$C/phones\"; default_country = \"$1\";"
	else
		phones_conf "file = \"$C/phones\";"
	fi
	i=0
	while IFS='|' read -r u want written; do
		i=$((i + 1))
		if [ "$want" = - ]; then
			refused "$u" "$(printf '%s' "$written" | tr -cd 0-9)"
			assert_contains "$SYSLOG" "$C/phones:$i:" "'$written': the log names the file and line"
		else
			login_to "$u" "$want"
		fi
	done < "$C/table"
}

t_spellings() {
	spellings_case '' <<'EOF'
+447700900123|+447700900123
+44 7700 900123|+447700900123
+44-7700-900-123|+447700900123
+44.7700.900.123|+447700900123
+44 (7700) 900123|+447700900123
0044 7700 900123|+447700900123
00 44 7700 900123|+447700900123
+44 (0) 7700 900123|+447700900123
+1 (555) 555-0123|+15555550123
+1 234 5678|+12345678
+999 123 456 789 012|+999123456789012
EOF
}
run_case "phones file: spaces, dashes, dots, brackets, 00, (0), 8 and 15 digits give E.164" t_spellings

t_spellings_bad() {
	spellings_case '' <<'EOF'
07700 900123|-
447700900123|-
+44 7700|-
+1 234 567|-
+1234567890123456|-
+44 7700 9001ab|-
+0 20 7946 0958|-
++447700900123|-
+44/7700/900123|-
0 7700 900123|-
EOF
	assert_contains "$C/syslog.all" "not a valid international number" "the reason"
}
run_case "phones file without default_country: national, short, long, letters, +0, ++, / are refused (file:line logged)" t_spellings_bad

t_default_country_44() {
	spellings_case 44 <<'EOF'
07700 900123|+447700900123
7700 900123|+447700900123
(07700) 900-123|+447700900123
07700.900.123|+447700900123
+1 555 555 0123|+15555550123
00 33 1 23 45 67 89|+33123456789
0 0 7700 900123|-
077|-
EOF
	assert_contains "$C/syslog.all" "national for phones.default_country 44" "the reason names default_country"
}
run_case "default_country = 44: 07700 900123 is +447700900123; international numbers unchanged" t_default_country_44

t_default_country_1() {
	spellings_case 1 <<'EOF'
(555) 555-0123|+15555550123
1 555 555 0123|+15555550123
555.555.0123|+15555550123
555-0123|-
EOF
}
run_case "default_country = 1: 10-digit and 1-prefixed national numbers; 7 digits refused" t_default_country_1

t_national_without_cc() {
	std_setup
	printf '# numbers\nalice 07700 900123\n' | write_phones
	refused alice 7700900123
	assert_contains "$SYSLOG" "$C/phones:2: the number for this user: not an international number: write it with + and the country code, or set phones.default_country"
}
run_case "a national number without default_country: refused, file:line logged, no SMS" t_national_without_cc

t_file_missing() {
	std_setup
	phones_conf "file = \"$C/nonexistent\";"
	refused alice
	assert_contains "$SYSLOG" "$C/nonexistent"
}
run_case "a phones file that does not exist (the only source): fails closed" t_file_missing

# ---------------------------------------------------------------- allowed_countries

t_allowed_countries() {
	start_gateway
	make_user alice
	make_user bob
	write_phones <<'EOF'
alice +44 7700 900123
bob +1 555 555 0123
EOF
	phones_conf "file = \"$C/phones\"; allowed_countries = [\"1\"];"
	refused alice 7700900123
	assert_contains "$SYSLOG" "not in allowed_countries" "the log says why"
	assert_contains "$SYSLOG" "$ALICE_MASKED" "the log shows the masked number"
	login_to bob +15555550123
	phones_conf "file = \"$C/phones\"; allowed_countries = [\"1\", \"44\"];"
	login_to alice +447700900123
	login_to bob +15555550123
	phones_conf "file = \"$C/phones\"; allowed_countries = [\"44\"]; default_country = \"44\";"
	printf 'alice 07700 900123\nbob +1 555 555 0123\n' | write_phones
	login_to alice +447700900123
	refused bob 5555550123
	assert_contains "$SYSLOG" "not in allowed_countries"
}
run_case "allowed_countries: numbers elsewhere are refused (masked in the log), listed countries pass" t_allowed_countries

# ---------------------------------------------------------------- phones.command

# number_prog: $C/number.sh records its arguments, environment and runs,
# and prints a number for alice (spelled with brackets and dashes) and bob
number_prog() {
	prog number.sh "printf '%s\\n' \"\$#\" \"\$@\" > '$C/cmd.args'
env > '$C/cmd.env'
echo run >> '$C/cmd.runs'
case \$1 in
alice) echo '+1 (555) 555-0123' ;;
bob) echo '+1 555 555 0124' ;;
esac
exit 0"
}

t_command() {
	std_setup
	number_prog
	: | write_phones
	PAM_ENV='LD_LIBRARY_PATH=/nonexistent SMSOTP_TEST_MARK=1'
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\";"
	login_to alice +15555550123
	assert_eq "1
alice" "$(cat "$C/cmd.args")" "the command's arguments: the user name alone"
	bad=$(sed 's/=.*//' "$C/cmd.env" | grep -vxE 'PATH|LANG|PWD|OLDPWD|SHLVL|_')
	assert_eq "" "$bad" "variables in the command's environment other than PATH and LANG"
	assert_contains "$C/cmd.env" "PATH=/usr/sbin:/usr/bin:/sbin:/bin" "the command's fixed PATH"
	assert_not_contains "$C/cmd.env" "LD_PRELOAD"
	assert_not_contains "$C/cmd.env" "WRAPPER"
}
run_case "phones.command: its number is used; one argument (the user), a clean environment" t_command

t_command_no_file() {
	# the phones file is missing: with a command it is skipped
	std_setup
	number_prog
	phones_conf "file = \"$C/nonexistent\"; command = \"$C/number.sh\";"
	login_to alice +15555550123
	if [ ! -e /etc/security/pam_smsotp.phones ]; then
		phones_conf "command = \"$C/number.sh\";"
		login_to bob +15555550124
	fi
	return 0
}
run_case "phones.command with the phones file missing: the command's number" t_command_no_file

t_command_national() {
	std_setup
	prog number.sh 'echo "07700 900123"'
	: | write_phones
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\"; default_country = \"44\";"
	login_to alice +447700900123
}
run_case "phones.command printing a national number, default_country = 44" t_command_national

t_command_empty() {
	std_setup
	: | write_phones
	prog number.sh 'exit 0'
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\";"
	no_number alice
	prog number.sh 'printf "  \n"'
	no_number alice
	prog number.sh 'echo "no entry for $1" >&2'
	no_number alice
	assert_sms_count 0
}
run_case "phones.command printing nothing with exit 0: no number, the same prompt, no SMS" t_command_empty

t_command_fails() {
	std_setup
	: | write_phones
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\";"
	prog number.sh 'echo +15555550123; exit 3'
	refused alice 5555550123
	assert_contains "$SYSLOG" "$C/number.sh: exited with status 3"
	# exit 1 and silence is a failure too, not "no number"
	prog number.sh 'exit 1'
	refused alice
	assert_contains "$SYSLOG" "$C/number.sh: exited with status 1"
	prog number.sh 'echo "ldap_search: Can'"'"'t contact LDAP server" >&2; echo second >&2; exit 1'
	refused alice
	assert_contains "$SYSLOG" "$C/number.sh: exited with status 1: ldap_search: Can't contact LDAP server" \
	    "the first line of its stderr"
	assert_not_contains "$SYSLOG" "second" "only the first line"
	prog number.sh 'echo "call +1 555 555 0199 now"'
	refused alice 5555550199
	assert_contains "$SYSLOG" "$C/number.sh: printed a line that is not a valid number"
	prog number.sh 'echo +15555550123; echo +15555550124'
	refused alice 5555550123
	assert_contains "$SYSLOG" "printed more than one line"
	prog number.sh 'echo +44 7700 900123'
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\"; allowed_countries = [\"1\"];"
	refused alice 7700900123
	assert_contains "$SYSLOG" "phones command $C/number.sh: the number of alice ($ALICE_MASKED) is not in allowed_countries"
	assert_sms_count 0
}
run_case "phones.command failing (exit 1 included, stderr logged), printing junk or two lines, or a number outside allowed_countries: fails closed" t_command_fails

t_command_hang() {
	std_setup
	: | write_phones
	prog number.sh "sleep $((HANG_S + 1)) &
echo \$! > '$C/bg.pid'
echo \$\$ > '$C/hang.pid'
exec sleep $HANG_S"
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\";"
	refused alice
	assert_contains "$SYSLOG" "$C/number.sh: timed out after 5 s"
	[ "$ELAPSED_MS" -ge 4500 ] ||
		fail "the login took ${ELAPSED_MS} ms, expected at least the 5 s"
	assert_elapsed_max 5000 "the login ends at the command's 5 s, not its hang"
	for f in hang.pid bg.pid; do
		[ -s "$C/$f" ] || fail "the command did not start ($f missing)"
		pid=$(cat "$C/$f")
		_end=$(($(date +%s) + WAIT_TIMEOUT))
		while _alive "$pid" && [ "$(date +%s)" -lt "$_end" ]; do
			sleep 0.05
		done
		_alive "$pid" && fail "the command's process $pid ($f) outlived the login"
	done
	return 0
}
run_case "phones.command hanging: the login fails after 5 s, the command and its children are killed" t_command_hang

# ---------------------------------------------------------------- GECOS

t_gecos() {
	start_gateway
	user_gecos alice 'Alice,,+44 7700 900123,'
	: | write_phones
	phones_conf "file = \"$C/phones\"; gecos = true;"
	login_to alice +447700900123
	assert_contains "$SYSLOG" "taken from GECOS, which the user can change with chfn" \
	    "the log says the number came from GECOS, which is user-editable"
	assert_contains "$SYSLOG" "$ALICE_MASKED"
	# the default: GECOS is not read
	phones_conf "file = \"$C/phones\";"
	no_number alice
	phones_conf "file = \"$C/phones\"; gecos = false;"
	no_number alice
	assert_sms_count 1
}
run_case "gecos = true: the number in the GECOS field, logged as user-editable; off by default" t_gecos

t_gecos_fields() {
	start_gateway
	user_gecos alice 'Alice Smith,Room 12,07700 900123,,'
	user_gecos bob 'Bob,+1 (555) 555-0124'
	user_gecos carol 'Carol,Room 1,Building 2'
	: | write_phones
	phones_conf "file = \"$C/phones\"; gecos = true; default_country = \"44\";"
	login_to alice +447700900123
	login_to bob +15555550124
	no_number carol
	phones_conf "file = \"$C/phones\"; gecos = true; default_country = \"44\"; allowed_countries = [\"1\"];"
	refused alice 7700900123
	assert_contains "$SYSLOG" "GECOS field (user-editable): the number of alice"
	assert_contains "$SYSLOG" "not in allowed_countries"
	login_to bob +15555550124
}
run_case "GECOS: names and rooms skipped, national numbers, allowed_countries applies" t_gecos_fields

t_gecos_no_file() {
	[ -e /etc/security/pam_smsotp.phones ] && skip "/etc/security/pam_smsotp.phones exists on this machine"
	start_gateway
	user_gecos alice 'Alice,,+44 7700 900123,'
	phones_conf 'gecos = true;'
	login_to alice +447700900123
}
run_case "gecos = true with the default phones file missing: GECOS is used" t_gecos_no_file

# ---------------------------------------------------------------- the order

t_order() {
	start_gateway
	user_gecos alice 'Alice,,+44 7700 900123,'
	user_gecos bob 'Bob,,+44 7700 900124,'
	user_gecos carol 'Carol,,+44 7700 900125,'
	user_gecos dave 'Dave,,+44 7700 900126,'
	number_prog
	printf 'alice +33 1 23 45 67 89\ndave 12345\n' | write_phones
	phones_conf "file = \"$C/phones\"; command = \"$C/number.sh\"; gecos = true;"
	# the file first: the command is not even run
	login_to alice +33123456789
	[ -e "$C/cmd.runs" ] && fail "the command ran for a user the file has"
	assert_not_contains "$SYSLOG" "GECOS"
	# then the command
	login_to bob +15555550124
	assert_eq 1 "$(wc -l < "$C/cmd.runs")" "command runs"
	assert_not_contains "$SYSLOG" "GECOS"
	# then GECOS
	login_to carol +447700900125
	assert_contains "$SYSLOG" "taken from GECOS"
	# a bad number in the file is an error, never replaced by GECOS
	refused dave 12345
	assert_contains "$SYSLOG" "$C/phones:2:"
	assert_eq 2 "$(wc -l < "$C/cmd.runs")" "command runs (not for dave)"
}
run_case "sources in order: the file, then the command, then GECOS; a bad file entry is not replaced" t_order

finish
