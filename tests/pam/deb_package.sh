#!/bin/sh
# The Debian package libpam-smsotp (debian/), as an administrator meets it:
# `make deb` into this test's folder (it builds in a copy of the tree, so
# nothing is built in the tree) and lintian finds nothing; `apt-get install
# ./libpam-smsotp_*.deb`; a login through the installed module (pamtester
# under pam_wrapper, the mock gateway) with the configuration in
# /etc/security/pam_smsotp.conf and the package's state folder; the
# pam-auth-update profile enabled and disabled in a private mount namespace
# over copies of /etc/pam.d, /var/lib/pam and /var/cache/debconf; then
# remove, purge, and nothing of the package is left.
#
# Root only (it installs a package).  Skipped under PAM_ASAN, PAM_VALGRIND
# and PAM_COVERAGE: the package is built from the normal build, so such a
# run would only repeat this one.  Skipped when the package is installed or
# a `make install` put the module or smsotp where the package puts them
# (purge would take them away).
#
# The machine is restored on every exit: the package purged, and
# /etc/security/pam_smsotp.conf, /etc/security/pam_smsotp.key and
# /var/lib/pam_smsotp, moved aside at the start when they existed, put back.
# The host's /etc/pam.d and /var/lib/pam are checksummed at the start and
# after the purge (install and purge run pam-auth-update on them: its
# output must be what was there), and the three trees around the namespace.
#
# run-all-timeout: 600
# (a minute on an idle two-core machine; building and apt are slow when
# the machine is busy)
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: not root (installs and purges the package libpam-smsotp)"
	exit 77
fi
for _v in PAM_ASAN PAM_VALGRIND PAM_COVERAGE; do
	if [ "$(eval echo "\${$_v:-0}")" = 1 ]; then
		echo "SKIP: $_v=1: the package is built from the normal build; the normal run tests it"
		exit 77
	fi
done
for _c in dpkg-buildpackage dh lintian apt-get unshare pam-auth-update; do
	command -v "$_c" >/dev/null 2>&1 || {
		echo "SKIP: $_c not installed (tests/install-deps.sh)"
		exit 77
	}
done
if dpkg-query -W -f='${Status}' libpam-smsotp 2>/dev/null | grep -qv 'not-installed$'; then
	echo "SKIP: libpam-smsotp is installed on this machine; this test would purge it"
	exit 77
fi
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
INST_MODULE=/usr/lib/$MA/security/pam_smsotp.so
for _f in "$INST_MODULE" /usr/sbin/smsotp /usr/share/pam-configs/smsotp; do
	if [ -e "$_f" ]; then
		echo "SKIP: $_f exists (make install?); the package would replace it and purge remove it"
		exit 77
	fi
done

ETC_CONF=/etc/security/pam_smsotp.conf
ETC_KEY=/etc/security/pam_smsotp.key
STATE=/var/lib/pam_smsotp
DEB_DIR=$T/deb
BACKUP=$T/backup
# the trees pam-auth-update writes; other tests add and remove their own
# services, all named smsotp-*, in /etc/pam.d while this one runs: not
# this package's (it writes only the common-* files)
PAM_TREES="/etc/pam.d /var/lib/pam"
NS_TREES="/etc/pam.d /var/lib/pam /var/cache/debconf"

# tree_sums DIR...: every entry's type, mode and owner, every file's content
tree_sums() {
	find "$@" -path '/etc/pam.d/smsotp-*' -prune -o -printf '%y %m %u:%g %p\n' | sort
	find "$@" -path '/etc/pam.d/smsotp-*' -prune -o -type f -print0 |
	    xargs -0 sha256sum | sort -k 2
}

# apt-get in a session of its own: a stop of this test (run-all's TERM to
# its process group, ^C) must never interrupt dpkg half way, which leaves
# the machine's dpkg needing `dpkg --configure -a`.  Its pid is kept: the
# test's exit waits for it to end, then purges.
apt_get() {
	DEBIAN_FRONTEND=noninteractive setsid apt-get -y -o DPkg::Lock::Timeout=120 "$@" < /dev/null &
	echo $! > "$T/apt.pid"
	wait $!
}

purge_quietly() {
	apt_get purge libpam-smsotp > "$T/purge-at-exit.out" 2>&1 ||
	    echo "deb_package: purging libpam-smsotp at exit failed: $(tail -n 5 "$T/purge-at-exit.out")" >&2
}

# At exit: purge if installed, put back what was moved aside, then lib.sh's
# cleanup (which removes $T, where the backup is).
_deb_restore() {
	_ap=$(cat "$T/apt.pid" 2>/dev/null)
	_i=0
	while [ -n "$_ap" ] && _alive "$_ap" && [ $_i -lt 3000 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if dpkg-query -W -f='${Status}' libpam-smsotp 2>/dev/null | grep -qv 'not-installed$'; then
		purge_quietly
	fi
	for _p in "$ETC_CONF" "$ETC_KEY" "$STATE"; do
		[ -e "$BACKUP$_p" ] || continue
		rm -rf "$_p"
		cp -a "$BACKUP$_p" "$_p" ||
		    echo "deb_package: could not restore $_p; the original is kept in $BACKUP$_p" >&2
	done
}
trap '_deb_restore; _cleanup' EXIT

# Moved aside, not copied: the package's conffile must install fresh (dpkg
# would ask about a file it does not know), and purge is checked against an
# empty place.
for _p in "$ETC_CONF" "$ETC_KEY" "$STATE"; do
	[ -e "$_p" ] || continue
	mkdir -p "$BACKUP${_p%/*}"
	if ! cp -a "$_p" "$BACKUP$_p" || ! rm -rf "$_p"; then
		echo "FAIL: cannot move $_p aside"
		exit 1
	fi
done
tree_sums $PAM_TREES > "$T/host-pam.before"
# install and purge run pam-auth-update --package, which writes debconf's
# record of the profiles: it must read as before at the end (the rest of
# /var/cache/debconf is any package's, installed by anyone meanwhile)
profiles_record() {
	awk '/^Name: libpam-runtime\/profiles$/, /^$/' /var/cache/debconf/config.dat
}
profiles_record > "$T/profiles.before"

# show TEXT: printed under the case's line (the rest of a case's output
# shows only when it fails, or with VERBOSE=1)
show() {
	printf '%s\n' "$*" >> "$C/show"
}
show_case() {
	[ -f "$T/c$CASE_N/show" ] && sed 's/^/    /' "$T/c$CASE_N/show"
	return 0
}

installed() {
	dpkg-query -W -f='${Status}' libpam-smsotp 2>/dev/null | grep -q ' installed$'
}

t_build() {
	# MAKEFLAGS: not `make check`'s variables (SANITIZE=1...) for this build
	# nocheck: make check runs the unit tests; noautodbgsym: not needed here
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS DEB_BUILD_OPTIONS="nocheck noautodbgsym" \
	    make -C "$ROOT" --no-print-directory deb DEB_DIR="$DEB_DIR" > "$C/make-deb.out" 2>&1 ||
	    fail "make deb failed:
$(tail -n 40 "$C/make-deb.out")"
	ls "$DEB_DIR"/libpam-smsotp_*.deb > /dev/null 2>&1 || fail "no libpam-smsotp_*.deb in $DEB_DIR"
	# make deb ends with lintian (fails on any error, warning, info or
	# pedantic tag that debian/libpam-smsotp.lintian-overrides does not
	# explain): it ran, and said nothing
	assert_contains "$C/make-deb.out" "lintian $DEB_DIR/pam-smsotp_" "make deb ran lintian"
	assert_eq "" "$(grep -E '^[EWIPX]: ' "$C/make-deb.out")" "lintian's tags"
	# what dpkg-buildpackage leaves where it builds: not in the tree
	_left=$(cd "$ROOT" && ls -d debian/libpam-smsotp debian/.debhelper debian/files \
	    debian/*.substvars debian/debhelper-build-stamp ../pam-smsotp_* ../libpam-smsotp* 2>/dev/null)
	[ -z "$_left" ] || fail "the build left files by the tree: $_left"
	show "built: $(cd "$DEB_DIR" && ls -- *.deb | tr '\n' ' ')"
	show "lintian: no tags beyond the overrides in debian/libpam-smsotp.lintian-overrides"
	pass
}
run_case "make deb: dpkg-buildpackage in a copy of the tree, lintian clean" t_build
show_case

t_install() {
	[ -n "$(ls "$DEB_DIR"/libpam-smsotp_*.deb 2>/dev/null)" ] || skip "no package was built"
	(cd "$DEB_DIR" && apt_get install ./libpam-smsotp_*.deb) > "$C/install.out" 2>&1 ||
	    fail "apt-get install failed: $(tail -n 20 "$C/install.out")"
	installed || fail "libpam-smsotp is not installed after apt-get install"
	[ -f "$INST_MODULE" ] || fail "no $INST_MODULE"
	[ -x /usr/sbin/smsotp ] || fail "no /usr/sbin/smsotp"
	[ -f /usr/share/pam-configs/smsotp ] || fail "no pam-auth-update profile"
	[ -f /usr/share/doc/libpam-smsotp/examples/pam.d-sshd ] || fail "no examples"
	for _m in man8/pam_smsotp.8 man8/smsotp.8 man5/pam_smsotp.conf.5; do
		[ -f "/usr/share/man/$_m.gz" ] || fail "no manual page $_m"
	done
	assert_eq "600 root" "$(stat -c '%a %U' "$ETC_CONF")" "$ETC_CONF: root, 0600"
	assert_eq "700 root" "$(stat -c '%a %U' "$STATE")" "$STATE: root, 0700"
	dpkg-query -W -f='${Conffiles}\n' libpam-smsotp | grep -q "^ $ETC_CONF " ||
	    fail "$ETC_CONF is not a conffile: $(dpkg-query -W -f='${Conffiles}' libpam-smsotp)"
	# nothing new under /lib: the package's files are under /usr
	dpkg -L libpam-smsotp | grep -E '^/lib(32|64)?/' && fail "files under /lib"
	# installing does not enable it (Default: no)
	grep -n 'pam_smsotp' /etc/pam.d/common-auth && fail "common-auth names the module after install"
	show "Depends: $(dpkg-query -W -f='${Depends}' libpam-smsotp)"
	show "Suggests: $(dpkg-query -W -f='${Suggests}' libpam-smsotp)"
	pass
}
run_case "apt-get install ./libpam-smsotp_*.deb: files, modes, conffile, not enabled" t_install
show_case

t_login() {
	installed || skip "the package is not installed"
	require_pam_wrapper
	start_gateway --status 202
	make_user alice
	printf 'alice %s\n' "$ALICE_PHONE" | write_phones
	# in the conffile's place, the state and key in their default places
	# (the package's /var/lib/pam_smsotp)
	(umask 077 && {
		echo 'template = "CODE={code}";'
		echo "phones = { file = \"$C/phones\"; };"
		echo "providers = ( $(std_provider) );"
	} > "$ETC_CONF")
	/usr/sbin/smsotp check > "$C/check.out" 2>&1 < /dev/null ||
	    fail "the installed smsotp check refuses it: $(cat "$C/check.out")"
	service smsotp "auth required $INST_MODULE"
	pam_run smsotp alice 'answer_code'
	assert_login_ok
	assert_sms_count 1
	assert_eq "$ALICE_PHONE" "$(log_get 'to(r)')" "alice's number"
	[ -n "$(ls -A "$STATE")" ] || fail "nothing kept in $STATE after the login"
	pass
}
run_case "a login through the installed module, its configuration and state folder" t_login
show_case

t_pam_auth_update() {
	installed || skip "the package is not installed"
	tree_sums $NS_TREES > "$C/host.before"
	mkdir -p "$C/ns/etc" "$C/ns/var/lib" "$C/ns/var/cache"
	for _d in $NS_TREES; do
		cp -a "$_d" "$C/ns${_d%/*}/" || fail "cannot copy $_d"
	done
	# shellcheck disable=SC2016
	DEBIAN_FRONTEND=noninteractive unshare --mount --propagation private sh -c '
		set -e
		for d in '"$NS_TREES"'; do
			mount --bind "$1$d" "$d"
		done
		pam-auth-update --enable smsotp
		cp /etc/pam.d/common-auth "$2/common-auth.enabled"
		pam-auth-update --disable smsotp
		cp /etc/pam.d/common-auth "$2/common-auth.disabled"
	' sh "$C/ns" "$C" > "$C/ns.out" 2>&1 || fail "pam-auth-update in the namespace failed: $(cat "$C/ns.out")"
	tree_sums $NS_TREES > "$C/host.after"
	cmp -s "$C/host.before" "$C/host.after" ||
	    fail "the host's files changed: $(diff "$C/host.before" "$C/host.after")"
	show "common-auth after pam-auth-update --enable smsotp:"
	grep '^auth' "$C/common-auth.enabled" | sed 's/^/    /' >> "$C/show"
	# after the password modules: the password block jumps over pam_deny
	# to pam_permit, then the Additional block, where it is
	_order=$(grep '^auth' "$C/common-auth.enabled" | grep -oE 'pam_[a-z0-9_]+\.so' | tr '\n' ' ')
	assert_str_match "$_order" '^pam_unix\.so .*pam_deny\.so pam_permit\.so pam_smsotp\.so ' \
	    "the module's place in common-auth"
	grep -qE '^auth[[:space:]]+required[[:space:]]+pam_smsotp\.so[[:space:]]*$' "$C/common-auth.enabled" ||
	    fail "no 'auth required pam_smsotp.so' line"
	grep -q pam_smsotp "$C/common-auth.disabled" && fail "still in common-auth after --disable"
	grep -qx smsotp "$C/ns/var/lib/pam/seen" || fail "pam-auth-update has not seen the profile"
	show "after --disable smsotp: no pam_smsotp line; the host's three trees unchanged"
	pass
}
run_case "pam-auth-update --enable / --disable smsotp (in a private mount namespace)" t_pam_auth_update
show_case

t_remove_purge() {
	installed || skip "the package is not installed"
	apt_get remove libpam-smsotp > "$C/remove.out" 2>&1 ||
	    fail "apt-get remove failed: $(tail -n 20 "$C/remove.out")"
	[ -e "$INST_MODULE" ] && fail "module left after remove"
	[ -f "$ETC_CONF" ] || fail "remove took the configuration (a conffile stays until purge)"
	apt_get purge libpam-smsotp > "$C/purge.out" 2>&1 ||
	    fail "apt-get purge failed: $(tail -n 20 "$C/purge.out")"
	_left=
	for _p in "$INST_MODULE" /usr/sbin/smsotp /usr/share/pam-configs/smsotp \
	    /usr/share/doc/libpam-smsotp /usr/share/man/man8/pam_smsotp.8.gz \
	    "$ETC_CONF" "$ETC_KEY" "$STATE"; do
		[ -e "$_p" ] && _left="$_left $_p"
	done
	[ -z "$_left" ] || fail "left after purge:$_left"
	grep -rl pam_smsotp /etc/pam.d/common-* && fail "a common-* file names the module"
	grep -qx smsotp /var/lib/pam/seen && fail "/var/lib/pam/seen still lists the profile"
	[ -z "$(dpkg-query -W -f='${Status}' libpam-smsotp 2>/dev/null | grep -v 'not-installed$')" ] ||
	    fail "dpkg still knows the package: $(dpkg-query -W -f='${Status}' libpam-smsotp)"
	profiles_record > "$C/profiles.after"
	cmp -s "$T/profiles.before" "$C/profiles.after" ||
	    fail "debconf's libpam-runtime/profiles changed: $(diff "$T/profiles.before" "$C/profiles.after")"
	tree_sums $PAM_TREES > "$C/host-pam.after"
	cmp -s "$T/host-pam.before" "$C/host-pam.after" ||
	    fail "install and purge changed the host's PAM files: $(diff "$T/host-pam.before" "$C/host-pam.after")"
	show "nothing left: module, smsotp, profile, manual pages, documentation, $ETC_CONF, $ETC_KEY, $STATE, common-auth lines"
	pass
}
run_case "apt-get remove keeps the conffile; purge leaves nothing, /etc/pam.d and /var/lib/pam as before" t_remove_purge
show_case

finish
