#!/bin/sh
# A real OpenSSH login on loopback: sshd -D -e -f cfg on 127.0.0.1 and a
# free port, run directly (not setuid) under pam_wrapper, so that its PAM
# service "sshd" comes from the case's own folder (no /etc/pam.d or
# /etc/ssh change); the real ssh client answers the keyboard-interactive
# prompts through SSH_ASKPASS.  sshd looks the user up itself before PAM,
# so the user is a real account (useradd, removed at exit) with its number
# in the module's phones file.
#
# Cases: the right code logs in; a wrong code is refused; an unknown user
# is refused and no SMS goes out; the prompt the client saw carries the
# masked number; publickey,keyboard-interactive (the settings of
# examples/sshd_config.d-smsotp.conf, Included in sshd's configuration):
# the key, then the SMS code; a German and a Hindi `messages.wrong` and prompt: the
# text and the next prompt reach the client together, in one
# keyboard-interactive prompt.
#
# Needs root (sshd logs in as another user; useradd).
. "$(dirname "$0")/../lib.sh"
require_module

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (sshd must switch to the test user; useradd)"; exit 77; }
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { echo "SKIP: sshd not installed (openssh-server)"; exit 77; }
for _c in ssh ssh-keygen useradd userdel timeout; do
	command -v "$_c" >/dev/null 2>&1 || { echo "SKIP: $_c not installed"; exit 77; }
done
find_lib libpam_wrapper.so >/dev/null || { echo "SKIP: libpam_wrapper.so not installed (tests/install-deps.sh)"; exit 77; }
id sshd >/dev/null 2>&1 || { echo "SKIP: no sshd privilege separation user"; exit 77; }

EXAMPLE=$ROOT/examples/sshd_config.d-smsotp.conf
TUSER=smsotp_s$$
NOUSER=smsotp_nx$$
PHONE=+447700900123
MASKED='+44*******123'

# ---------------------------------------------------------------- cleanup

ls -d /tmp/pam.? > "$T/pam-before-sshd" 2>/dev/null || :
USER_ADDED=
_sshd_cleanup() {
	_kill_listed "$T/pids"
	[ -n "$USER_ADDED" ] && sys_userdel "$TUSER" 2>/dev/null
	# the sshd processes we killed leave pam_wrapper's /tmp/pam.X: remove
	# only new ones holding our own service file, whose process is gone
	for d in /tmp/pam.?; do
		[ -d "$d" ] || continue
		grep -qxF "$d" "$T/pam-before-sshd" 2>/dev/null && continue
		grep -qF "$T/" "$d/sshd" 2>/dev/null || continue
		pid=$(cat "$d/pid" 2>/dev/null)
		case $pid in '' | *[!0-9]*) ;; *) _alive "$pid" && continue ;; esac
		rm -rf "$d"
	done
	_cleanup
}
trap _sshd_cleanup EXIT

getent passwd "$TUSER" >/dev/null && { echo "FAIL: user $TUSER exists already"; exit 1; }
getent passwd "$NOUSER" >/dev/null && { echo "FAIL: user $NOUSER exists"; exit 1; }
sys_useradd -M -d /nonexistent -s /bin/sh -c 'pam_smsotp sshd test' "$TUSER" || {
	echo "FAIL: useradd $TUSER"
	exit 1
}
USER_ADDED=1
mkdir -p /run/sshd

# ---------------------------------------------------------------- helpers

# setup_sshd METHODS [CONF LINE...]: gateway, phones, configuration (with
# the extra lines), the PAM service sshd and sshd itself; METHODS is "kbd"
# (AuthenticationMethods keyboard-interactive, set before the example's
# Include so that it wins) or "example" (the example's
# publickey,keyboard-interactive).
setup_sshd() {
	_methods=$1
	shift
	start_gateway
	printf '%s %s\n' "$TUSER" "$PHONE" | write_phones
	PHONES=$C/phones
	std_conf "$@"
	service sshd "auth required $MODULE conf=$CONF" \
	    "account required $PAM_PERMIT" "session required $PAM_PERMIT"
	ssh-keygen -q -t ed25519 -N '' -f "$C/hostkey" < /dev/null || fail "ssh-keygen hostkey"
	mkdir -p "$C/authorized_keys"
	SSH_PORT=$(closed_port)
	{
		echo "ListenAddress 127.0.0.1"
		echo "Port $SSH_PORT"
		echo "HostKey $C/hostkey"
		echo "PidFile $C/sshd.pid"
		echo "PasswordAuthentication no"
		echo "PubkeyAuthentication yes"
		echo "AuthorizedKeysFile $C/authorized_keys/%u"
		echo "StrictModes no"
		echo "PermitRootLogin no"
		echo "PrintMotd no"
		echo "LogLevel VERBOSE"
		[ "$_methods" = kbd ] && echo "AuthenticationMethods keyboard-interactive"
		echo "Include $EXAMPLE"
	} > "$C/sshd_config"
	SSHD_LOG=$C/sshd.log
	"$SSHD" -t -f "$C/sshd_config" > "$C/sshd-t.out" 2>&1 ||
	    fail "sshd -t rejects the configuration: $(cat "$C/sshd-t.out")"
	"$SSHD" -T -f "$C/sshd_config" -C "user=$TUSER,host=localhost,addr=127.0.0.1" \
	    > "$C/sshd-T.out" 2>&1
	# with PAM_ASAN=1 (make check SANITIZE=1) the module needs the ASan
	# runtime first; sshd's own leaks are not the module's: no leak check
	_pre=libpam_wrapper.so
	[ "$PAM_ASAN" = 1 ] && _pre="$LIBASAN $_pre"
	env LD_PRELOAD="$_pre" ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 \
	    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$C/svc" \
	    PAM_WRAPPER_DEBUGLEVEL=2 \
	    "$SSHD" -D -e -f "$C/sshd_config" < /dev/null > "$SSHD_LOG" 2>&1 &
	_track_pid $!
	SSHD_PID=$!
	i=0
	while ! grep -q "Server listening on 127.0.0.1 port $SSH_PORT" "$SSHD_LOG"; do
		_alive "$SSHD_PID" || fail "sshd did not start: $(cat "$SSHD_LOG")"
		[ $i -ge $((WAIT_TIMEOUT * 20)) ] && fail "sshd not listening after ${WAIT_TIMEOUT}s: $(cat "$SSHD_LOG")"
		sleep 0.05
		i=$((i + 1))
	done
}

# The askpass program: records each prompt it gets ($1) in $C/prompts,
# waits (bounded, ANSWER_WAIT seconds) for the SMS and prints its code,
# or a wrong code when ANSWER=wrong.
write_answer() {
	cat > "$C/answer" <<EOS
#!/bin/sh
printf '%s\n--\n' "\$1" >> "$C/prompts"
case "\$1" in
*[Pp]assphrase*|*assword*) echo "askpass: unexpected prompt" >> "$C/prompts"; exit 1 ;;
esac
i=0
while [ ! -s "$GW_LOG" ] && [ \$i -lt \$((\${ANSWER_WAIT:-$WAIT_TIMEOUT} * 20)) ]; do
	sleep 0.05
	i=\$((i + 1))
done
if [ "\${ANSWER:-right}" = wrong ] || [ ! -s "$GW_LOG" ]; then
	echo 000000x
	exit 0
fi
SMSOTP_ROOT=$(_q "$ROOT") CODE_RE=$(_q "$CODE_RE") GW_LOG=$(_q "$GW_LOG") sh -c '. $(_q "$TESTS/lib.sh") >/dev/null 2>&1; trap - EXIT; rm -rf "\$T"; code_from_log'
EOS
	chmod 755 "$C/answer"
}

# ssh_login USER [ssh options...]: the real client; sets RC
ssh_login() {
	_u=$1
	shift
	write_answer
	: > "$C/prompts"
	SSH_ASKPASS=$C/answer SSH_ASKPASS_REQUIRE=force DISPLAY= \
	    timeout -k 5 60 ssh -F /dev/null -p "$SSH_PORT" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o NumberOfPasswordPrompts=1 -o BatchMode=no -o ConnectTimeout=10 \
	    -o LogLevel=ERROR "$@" "$_u@127.0.0.1" true < /dev/null > "$C/ssh.out" 2>&1
	RC=$?
	OUT=$C/ssh.out
	sleep 0.3	# let sshd write its log lines
}

sshd_context() {
	echo "--- ssh output ---"
	cat "$C/ssh.out" 2>/dev/null
	echo "--- sshd log ---"
	grep -v 'PWRAP_TRACE' "$SSHD_LOG" | tail -n 40
	echo "--- prompts ---"
	cat "$C/prompts" 2>/dev/null
}

# ---------------------------------------------------------------- cases

t_right() {
	setup_sshd kbd
	ssh_login "$TUSER" -o PreferredAuthentications=keyboard-interactive
	[ "$RC" = 0 ] || { sshd_context; fail "ssh with the right code: exit $RC, expected 0"; }
	assert_contains "$SSHD_LOG" "Accepted keyboard-interactive/pam for $TUSER" "sshd accepted the login"
	assert_sms_count 1
	assert_eq "$PHONE" "$(log_get 'to(r)')" "the SMS went to the user's number"
	grep -q -- '--' "$C/prompts" || fail "askpass was never called"
}
run_case "ssh keyboard-interactive, right code: logged in" t_right

t_wrong() {
	setup_sshd kbd
	ANSWER=wrong
	export ANSWER
	ssh_login "$TUSER" -o PreferredAuthentications=keyboard-interactive
	[ "$RC" = 255 ] || { sshd_context; fail "ssh with a wrong code: exit $RC, expected 255"; }
	assert_not_contains "$SSHD_LOG" "Accepted " "no method was accepted"
	# exit 255 is also ssh's for a connection that failed: the context
	[ "$(sms_count)" = 1 ] || { sshd_context; fail "ssh exited 255 without an SMS sent"; }
}
run_case "ssh keyboard-interactive, wrong code: refused" t_wrong

t_unknown() {
	setup_sshd kbd
	ANSWER_WAIT=2
	export ANSWER_WAIT
	ssh_login "$NOUSER" -o PreferredAuthentications=keyboard-interactive
	[ "$RC" = 255 ] || { sshd_context; fail "ssh as an unknown user: exit $RC, expected 255"; }
	assert_not_contains "$SSHD_LOG" "Accepted " "no method was accepted"
	assert_contains "$SSHD_LOG" "Invalid user $NOUSER" "sshd saw an invalid user"
	assert_sms_count 0
	assert_eq 0 "$(wc -c < "$GW_LOG" | tr -d ' ')" "the gateway log is empty"
}
run_case "ssh as a user not in passwd: no SMS, refused" t_unknown

t_prompt_masked() {
	setup_sshd kbd
	ssh_login "$TUSER" -o PreferredAuthentications=keyboard-interactive
	[ "$RC" = 0 ] || { sshd_context; fail "ssh: exit $RC, expected 0"; }
	assert_contains "$C/prompts" "$MASKED" "the prompt the client saw shows the masked number"
	assert_not_contains "$C/prompts" "7700900123" "the prompt never shows the full number"
}
run_case "the client's prompt shows the masked number $MASKED" t_prompt_masked

t_pubkey_kbd() {
	setup_sshd example
	grep -qx 'authenticationmethods publickey,keyboard-interactive' "$C/sshd-T.out" ||
	    fail "sshd -T does not show the example's AuthenticationMethods: $(grep -i authenticationmethods "$C/sshd-T.out")"
	ssh-keygen -q -t ed25519 -N '' -f "$C/userkey" < /dev/null || fail "ssh-keygen user key"
	# sshd reads the key file as the user: let it through the folders
	chmod 711 "$T" "$C"
	chmod 755 "$C/authorized_keys"
	cp "$C/userkey.pub" "$C/authorized_keys/$TUSER"
	chmod 644 "$C/authorized_keys/$TUSER"
	ssh_login "$TUSER" -i "$C/userkey" -o IdentitiesOnly=yes -o IdentityAgent=none \
	    -o PreferredAuthentications=publickey,keyboard-interactive
	[ "$RC" = 0 ] || { sshd_context; fail "ssh with key and code: exit $RC, expected 0"; }
	# with two methods, sshd logs the first as "Partial"
	l1=$(grep -n -E "(Partial|Accepted) publickey for $TUSER" "$SSHD_LOG" | head -n 1 | cut -d: -f1)
	l2=$(grep -n "Accepted keyboard-interactive/pam for $TUSER" "$SSHD_LOG" | head -n 1 | cut -d: -f1)
	[ -n "$l1" ] || { sshd_context; fail "sshd did not accept the key"; }
	[ -n "$l2" ] || { sshd_context; fail "sshd did not accept the SMS code"; }
	[ "$l1" -lt "$l2" ] || fail "the key was not checked before the code"
	assert_sms_count 1

	# without the key: no SMS at all, refused
	n=$(sms_count)
	rm -f "$C/authorized_keys/$TUSER"
	ssh_login "$TUSER" -i "$C/userkey" -o IdentitiesOnly=yes -o IdentityAgent=none \
	    -o PreferredAuthentications=publickey,keyboard-interactive
	[ "$RC" = 255 ] || { sshd_context; fail "ssh without an authorized key: exit $RC, expected 255"; }
	assert_eq "$n" "$(sms_count)" "no SMS before the key is accepted"
}
run_case "publickey,keyboard-interactive (example drop-in): key, then SMS code" t_pubkey_kbd

# lang_case PROMPT WRONG: a messages.wrong text (with {user}) and a prompt
# in another language through sshd, with wrong codes: the text and the next
# prompt arrive together, in one askpass call, and no English text
lang_case() {
	setup_sshd kbd "prompt = \"$1{phone_masked}: \";" 'max_tries = 2;' \
	    "messages = { wrong = \"$2\"; };"
	ANSWER=wrong
	export ANSWER
	ssh_login "$TUSER" -o PreferredAuthentications=keyboard-interactive
	[ "$RC" = 255 ] || { sshd_context; fail "ssh with wrong codes: exit $RC, expected 255"; }
	assert_sms_count 1
	# sshd puts the messages of one conversation call before its prompt
	# in the one prompt the client gets (the client puts "(user@host) "
	# first)
	_want=$(printf '%s' "$2" | sed "s/{user}/$TUSER/")
	awk -v want="$_want" -v p="$1" '
		$0 == "--" { if (text && prompt) ok = 1; text = prompt = 0; next }
		index($0, want) > 0 { text = 1 }
		index($0, p) == 1 && text { prompt = 1 }
		END { exit !ok }' "$C/prompts" ||
	    { sshd_context; fail "no askpass call with the text followed by the prompt"; }
	assert_not_contains "$C/prompts" "Wrong code" "no English text"
}

t_german() {
	lang_case "SMS-Code an " "Falscher Code für {user}, bitte erneut versuchen."
}
run_case "a German messages.wrong through sshd: the text and the next prompt in one keyboard-interactive prompt" t_german

t_hindi() {
	lang_case "एसएमएस कोड " "{user}, कोड गलत है, कृपया फिर से डालें।"
}
run_case "a Hindi (Devanagari) messages.wrong and prompt through sshd, in one keyboard-interactive prompt" t_hindi

finish
