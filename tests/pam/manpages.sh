#!/bin/sh
# The man pages: both render without a warning, pam_smsotp.conf.5 names
# every key of config/config.c's field tables and pam_smsotp.8 every module
# argument (so that a new key cannot go undocumented), and `make install`
# puts them into $(PREFIX)/share/man.
. "$(dirname "$0")/../lib.sh"

PAGE8=$ROOT/man/pam_smsotp.8
PAGE5=$ROOT/man/pam_smsotp.conf.5

# render PAGE WIDTH: plain text on stdout, warnings on stderr
render() {
	groff -man -Tutf8 -ww -rLL="$2"n -P-c -P-b -P-u "$1"
}

# The quoted names of the field tables: TOP/PRV/PRVL/PRVW lines and the
# entries written out in braces ("provider", "failmode",
# "allowed_countries").
config_keys() {
	sed -n -e 's/^[[:space:]]*\(TOP\|PRV\|PRVL\|PRVW\)("\([a-z_]*\)".*/\2/p' \
	    -e 's/^[[:space:]]*{ "\([a-z_]*\)", F_.*/\1/p' "$ROOT/config/config.c"
	# the vendors' credential keys: their one table
	grep -o '{ "[a-z_]*", OFF(' "$ROOT/sms/vendors.c" | sed 's/{ "\([a-z_]*\)".*/\1/' | sort -u
}

# The module arguments: the top-level table (apply_argument looks names up
# there only).
top_keys() {
	sed -n '/^static const struct field top_fields\[\]/,/^};/p' "$ROOT/config/config.c" |
	    sed -n -e 's/^[[:space:]]*TOP("\([a-z_]*\)".*/\1/p' \
		-e 's/^[[:space:]]*{ "\([a-z_]*\)", F_.*/\1/p'
}

t_render() {
	command -v groff >/dev/null 2>&1 || skip "groff not installed (tests/install-deps.sh)"
	for page in "$PAGE8" "$PAGE5" "$ROOT/man/smsotp.8"; do
		[ -f "$page" ] || fail "$page is missing"
		for width in 60 80 120; do
			render "$page" $width > "$C/out" 2> "$C/err" || fail "groff failed on $page"
			[ -s "$C/err" ] && fail "groff warns on $(basename "$page") at width $width:
$(cat "$C/err")"
			grep -q '^NAME' "$C/out" || fail "$(basename "$page"): no NAME section"
		done
		if command -v man >/dev/null 2>&1; then
			MANWIDTH=80 man --warnings -l "$page" > "$C/out" 2> "$C/err" ||
			    fail "man -l failed on $page: $(cat "$C/err")"
			[ -s "$C/err" ] && fail "man -l warns on $(basename "$page"):
$(cat "$C/err")"
		fi
		if command -v mandoc >/dev/null 2>&1; then
			mandoc -Tlint -Wwarning "$page" > "$C/err" 2>&1 ||
			    fail "mandoc -Tlint on $(basename "$page"):
$(cat "$C/err")"
		fi
	done
	pass
}
run_case "man pages render without warnings (groff -ww, man -l, mandoc if installed)" t_render

t_keys() {
	command -v groff >/dev/null 2>&1 || skip "groff not installed (tests/install-deps.sh)"
	render "$PAGE5" 80 > "$C/conf5" 2> /dev/null
	render "$PAGE8" 80 > "$C/pam8" 2> /dev/null
	n=0
	for k in $(config_keys); do
		n=$((n + 1))
		grep -qw -- "$k" "$C/conf5" || fail "pam_smsotp.conf.5 does not name the key '$k'"
	done
	# one table could not have been read: the pattern no longer matches
	[ $n -ge 50 ] || fail "only $n keys found in config/config.c and sms/vendors.c: update config_keys()"
	for g in phones limits providers name type; do
		grep -qw -- "$g" "$C/conf5" || fail "pam_smsotp.conf.5 does not name '$g'"
	done
	m=0
	for k in $(top_keys); do
		m=$((m + 1))
		grep -q -- "$k=" "$C/pam8" || fail "pam_smsotp.8 does not document the argument '$k='"
	done
	[ $m -ge 11 ] || fail "only $m top-level keys found: update top_keys()"
	for a in conf= debug nullok echo; do
		grep -qw -- "$a" "$C/pam8" || fail "pam_smsotp.8 does not document the argument '$a'"
	done
	# every provider type: the own types (sms/common.c) and the vendors
	# (their table, sms/vendors.c)
	ntypes=0
	for t in $(sed -n 's/^[[:space:]]*\[SMS_TYPE_[A-Z_]*\] = "\([a-z_]*\)",.*/\1/p' "$ROOT/sms/common.c") \
	    $(sed -n 's/^[[:space:]]*\.name = "\([a-z_]*\)",.*/\1/p' "$ROOT/sms/vendors.c"); do
		ntypes=$((ntypes + 1))
		grep -qw -- "$t" "$C/conf5" || fail "pam_smsotp.conf.5 does not name the provider type '$t'"
	done
	[ $ntypes -ge 11 ] || fail "only $ntypes provider types found in sms/common.c and sms/vendors.c: update the pattern"
	pass
}
run_case "pam_smsotp.conf.5 names every configuration key, pam_smsotp.8 every argument" t_keys

t_install() {
	require_module
	d=$C/dest
	make -s -C "$ROOT" install DESTDIR="$d" PREFIX=/usr PAMDIR=/lib/security > "$C/make.out" 2>&1 ||
	    fail "make install failed: $(cat "$C/make.out")"
	cmp -s "$PAGE8" "$d/usr/share/man/man8/pam_smsotp.8" ||
	    fail "pam_smsotp.8 not installed into PREFIX/share/man/man8"
	cmp -s "$PAGE5" "$d/usr/share/man/man5/pam_smsotp.conf.5" ||
	    fail "pam_smsotp.conf.5 not installed into PREFIX/share/man/man5"
	assert_eq 644 "$(stat -c %a "$d/usr/share/man/man8/pam_smsotp.8")" "pam_smsotp.8 mode"
	assert_eq 644 "$(stat -c %a "$d/usr/share/man/man5/pam_smsotp.conf.5")" "pam_smsotp.conf.5 mode"
	make -s -C "$ROOT" uninstall DESTDIR="$d" PREFIX=/usr PAMDIR=/lib/security > "$C/make.out" 2>&1 ||
	    fail "make uninstall failed: $(cat "$C/make.out")"
	[ -e "$d/usr/share/man/man8/pam_smsotp.8" ] && fail "uninstall left pam_smsotp.8"
	[ -e "$d/usr/share/man/man5/pam_smsotp.conf.5" ] && fail "uninstall left pam_smsotp.conf.5"
	pass
}
run_case "make install puts both pages into PREFIX/share/man, uninstall removes them" t_install

finish
