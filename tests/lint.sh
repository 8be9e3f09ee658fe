#!/bin/sh
# lint.sh: `make lint` (after `make all`).  Four checks, zero findings:
#
#   cppcheck    warning, portability and performance checks over every
#               source file of the module (C11, -D_GNU_SOURCE);
#   clang-tidy  bugprone-*, cert-*, clang-analyzer-* per source file, with
#               the exclusions and options in .clang-tidy (each one
#               justified there), every warning an error;
#   structure   no call cycle among the files of a folder (from nm of the
#               built objects), no .c including another folder's internal
#               header, no function over 60 lines in pam_smsotp.c, sms/,
#               config/, state/, policy/;
#   module      the built pam_smsotp.so has full RELRO (GNU_RELRO and
#               BIND_NOW), a non-executable stack (GNU_STACK without E) and
#               exports exactly pam_sm_authenticate, pam_sm_chauthtok and
#               pam_sm_setcred.
#
# A false positive is suppressed where it happens, with the reason beside
# it: /* NOLINT(check): why */ or /* cppcheck-suppress id: why */.
#
# Prints each tool's findings, then one line per check and a summary; exits
# 1 when any check found something (or could not run).
#
# Environment: CPPCHECK, CLANG_TIDY, READELF, NM, PKG_CONFIG, MODULE (the .so
# to check, default pam_smsotp.so), LINT_JOBS (clang-tidy processes,
# default 2).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top" || exit 1

CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
READELF=${READELF:-readelf}
NM=${NM:-nm}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
MODULE=${MODULE:-pam_smsotp.so}
LINT_JOBS=${LINT_JOBS:-2}

# The sources of the module (the Makefile's LIB_SRCS plus pam_smsotp.c)
# and of the admin tool.  Tests and fuzz harnesses are not linted.
LIB_SRCS=$(sed -n '/^LIB_SRCS :=/,/[^\\]$/p' Makefile | sed 's/^LIB_SRCS :=//; s/\\$//')
[ -n "$LIB_SRCS" ] || { echo "lint.sh: no LIB_SRCS in the Makefile" >&2; exit 1; }
TOOL_SRCS=$(sed -n 's/^TOOL_SRCS :=//p' Makefile)
[ -n "$TOOL_SRCS" ] || { echo "lint.sh: no TOOL_SRCS in the Makefile" >&2; exit 1; }
SRCS="pam_smsotp.c $(echo $LIB_SRCS) $TOOL_SRCS"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lint.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

failed=0
summary=
result() {	# result NAME STATUS DETAIL
	summary="$summary$(printf '  %-11s %-4s %s' "$1" "$2" "$3")
"
	[ "$2" = ok ] || failed=1
}

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "lint.sh: $1 not found (tests/install-deps.sh installs it)" >&2
	return 1
}

# Every source file listed must exist: a renamed file must not drop out of
# the analysis silently.
for f in $SRCS; do
	[ -f "$f" ] || { echo "lint.sh: missing source $f" >&2; exit 1; }
done

# ---- cppcheck --------------------------------------------------------------
# Suppressions (command line; inline ones sit at their line):
#   missingIncludeSystem  cppcheck is not given the system include paths (it
#       would try to analyse glibc's and the libraries' headers); it reads
#       our own headers through -I. and knows the standard library from its
#       built-in library configuration.
#   unmatchedSuppression  an inline suppression whose finding this cppcheck
#       version does not report is not itself a finding.
echo "== cppcheck"
if need "$CPPCHECK"; then
	# shellcheck disable=SC2086
	"$CPPCHECK" --enable=warning,portability,performance --std=c11 \
		--inline-suppr --error-exitcode=1 -q -D_GNU_SOURCE -I. \
		--suppress=missingIncludeSystem --suppress=unmatchedSuppression \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		$SRCS > "$tmp/cppcheck" 2>&1
	rc=$?
	cat "$tmp/cppcheck"
	n=$(grep -c ': \(error\|warning\|portability\|performance\|style\|information\): ' "$tmp/cppcheck")
	if [ "$rc" -eq 0 ] && [ "$n" -eq 0 ]; then
		result cppcheck ok "$(echo $SRCS | wc -w) files, no findings"
	else
		result cppcheck FAIL "$n findings (exit status $rc)"
	fi
else
	result cppcheck FAIL "not installed"
fi

# ---- clang-tidy ------------------------------------------------------------
echo "== clang-tidy"
if need "$CLANG_TIDY" && need "$PKG_CONFIG"; then
	depcflags=$("$PKG_CONFIG" --cflags libconfig libcurl libpq ldap json-c openssl) || {
		echo "lint.sh: pkg-config cannot find the libraries" >&2
		depcflags=
	}
	# One clang-tidy per file, LINT_JOBS at a time; each writes its own
	# output and exit status so that the runs never interleave.
	# shellcheck disable=SC2086
	printf '%s\n' $SRCS | xargs -P "$LINT_JOBS" -I{} sh -c '
		out=$1/$(echo "$2" | tr / _)
		shift 2
		"$@" > "$out.log" 2>&1
		echo $? > "$out.rc"
	' sh "$tmp" {} "$CLANG_TIDY" --quiet {} -- -std=c11 -D_GNU_SOURCE -I. \
		$depcflags
	bad=0
	n=0
	for f in $SRCS; do
		out=$tmp/$(echo "$f" | tr / _)
		rc=$(cat "$out.rc" 2>/dev/null || echo 1)
		# clang-tidy's own "N warnings generated" chatter is not a finding.
		grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' \
			"$out.log"
		k=$(grep -c '^[^ ].*:[0-9]*:[0-9]*: \(warning\|error\): ' "$out.log")
		n=$((n + k))
		if [ "$rc" -ne 0 ] || [ "$k" -ne 0 ]; then
			bad=$((bad + 1))
		fi
	done
	if [ "$bad" -eq 0 ]; then
		result clang-tidy ok "$(echo $SRCS | wc -w) files, no findings"
	else
		result clang-tidy FAIL "$n findings in $bad files"
	fi
else
	result clang-tidy FAIL "not installed"
fi

# ---- structure -------------------------------------------------------------
# Each folder of the library is layered: from the built objects (nm: the
# symbols each file defines and the ones it needs) the file -> file call
# graph inside every folder is printed and must have no cycle (sms.c calls
# the types, the types never call back).  And every folder's interface is
# its <folder>/<folder>.h: no .c includes another folder's other headers.
echo "== structure"
BUILD=${BUILD:-build}
problems=
for dir in $(printf '%s\n' $LIB_SRCS | sed -n 's,/[^/]*$,,p' | sort -u); do
	: > "$tmp/syms"
	for src in $(printf '%s\n' $LIB_SRCS | grep "^$dir/[^/]*\.c$"); do
		obj=$BUILD/${src%.c}.o
		if [ ! -f "$obj" ]; then
			problems="$problems; $obj not built (make all)"
			continue
		fi
		# D symbol file: defined here; U symbol file: needed here
		"$NM" "$obj" | awk -v f="$(basename "$src" .c)" '
			NF == 3 && $2 ~ /^[A-TV-Z]$/ { print "D", $3, f }
			NF == 2 && $1 == "U" { print "U", $2, f }' >> "$tmp/syms"
	done
	awk '$1 == "D" { def[$2] = $3 } $1 == "U" { n++; need[n] = $2; from[n] = $3 }
	     END { for (i = 1; i <= n; i++)
			if ((need[i] in def) && def[need[i]] != from[i])
				print from[i], def[need[i]] }' "$tmp/syms" |
		sort -u > "$tmp/edges"
	# the graph, one line per calling file
	awk -v d="$dir" '{ to[$1] = to[$1] " " $2 }
	     END { for (f in to) print "  " d "/" f ":" to[f] }' "$tmp/edges" | sort
	if ! tsort "$tmp/edges" > /dev/null 2> "$tmp/loop"; then
		loop=$(grep -v 'input contains a loop' "$tmp/loop" | sed 's/^tsort: //' | awk '!seen[$0]++' | tr '\n' ' ')
		problems="$problems; call cycle in $dir/: ${loop% }"
	fi
done
for src in $SRCS; do
	sdir=$(dirname "$src")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src"); do
		path=$(cd "$sdir/$(dirname "$inc")" 2>/dev/null && pwd) || continue
		idir=${path#"$top"/}
		[ "$path" = "$(cd "$sdir" && pwd)" ] && continue	# its own folder
		[ "$(basename "$inc")" = "$(basename "$idir").h" ] && continue
		problems="$problems; $src includes $idir/$(basename "$inc"), internal to $idir/"
	done
done
# Short functions in the glue and where they grew long: pam_smsotp.c, sms/,
# config/, state/, policy/ (KNF: the name
# at column 0, the body from "{" to "}" at column 0).
for src in pam_smsotp.c $(printf '%s\n' $LIB_SRCS | grep '^\(sms\|config\|state\|policy\)/'); do
	long=$(awk -v max=60 '/^[a-z_][a-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
		/^\{/ { b = NR } /^\}/ { if (b && NR - b + 1 > max) printf " %s (%d lines)", name, NR - b + 1; b = 0 }' "$src")
	[ -z "$long" ] || problems="$problems; $src: functions over 60 lines:$long"
done
if [ -z "$problems" ]; then
	result structure ok "no call cycle inside a folder, no folder's internal header included from another, no function over 60 lines in pam_smsotp.c, sms/, config/, state/, policy/"
else
	echo "${problems#; }" | tr ';' '\n' | sed 's/^ */lint.sh: /' >&2
	result structure FAIL "${problems#; }"
fi

# ---- the built module ------------------------------------------------------
echo "== module ($MODULE)"
if [ ! -f "$MODULE" ]; then
	echo "lint.sh: $MODULE not built (make all)" >&2
	result module FAIL "$MODULE not built"
elif need "$READELF" && need "$NM"; then
	problems=
	"$READELF" -dW "$MODULE" > "$tmp/dynamic" 2>&1 || problems="$problems; readelf -d failed"
	"$READELF" -lW "$MODULE" > "$tmp/segments" 2>&1 || problems="$problems; readelf -l failed"
	# BIND_NOW: the DT_BIND_NOW entry, or DF_BIND_NOW in FLAGS, or
	# DF_1_NOW in FLAGS_1 (what -z now writes).
	if ! grep -q '(BIND_NOW)' "$tmp/dynamic" &&
	   ! grep -q '(FLAGS) .*BIND_NOW' "$tmp/dynamic" &&
	   ! grep -q '(FLAGS_1) .*NOW' "$tmp/dynamic"; then
		problems="$problems; no BIND_NOW (link with -z now)"
	fi
	grep -q '^ *GNU_RELRO ' "$tmp/segments" ||
		problems="$problems; no GNU_RELRO segment (link with -z relro)"
	# The flags are the field before the alignment, the last one.
	stack=$(awk '$1 == "GNU_STACK" { f = ""; for (i = 7; i < NF; i++) f = f $i; print f }' \
		"$tmp/segments")
	case $stack in
	"") problems="$problems; no GNU_STACK segment (executable stack by default)" ;;
	*E*) problems="$problems; executable stack (GNU_STACK $stack)" ;;
	esac
	# Exactly the three hooks, nothing else defined and exported.
	"$NM" -D --defined-only "$MODULE" > "$tmp/nm" 2>&1 || problems="$problems; nm -D failed"
	awk 'NF >= 3 { print $3 } NF == 2 { print $2 }' "$tmp/nm" | sed 's/@.*//' |
		sort -u > "$tmp/exports"
	printf '%s\n' pam_sm_authenticate pam_sm_chauthtok pam_sm_setcred > "$tmp/want"
	if ! cmp -s "$tmp/exports" "$tmp/want"; then
		extra=$(comm -23 "$tmp/exports" "$tmp/want" | tr '\n' ' ')
		missing=$(comm -13 "$tmp/exports" "$tmp/want" | tr '\n' ' ')
		problems="$problems; exports differ: extra [${extra% }] missing [${missing% }]"
	fi
	if [ -z "$problems" ]; then
		echo "GNU_RELRO, BIND_NOW, GNU_STACK $stack, exports: $(tr '\n' ' ' < "$tmp/exports")"
		result module ok "full RELRO, BIND_NOW, non-executable stack, 3 hooks exported"
	else
		echo "${problems#; }" | tr ';' '\n' | sed 's/^ */lint.sh: /' >&2
		result module FAIL "${problems#; }"
	fi
else
	result module FAIL "readelf/nm not installed"
fi

echo "== lint summary"
printf '%s' "$summary"
if [ "$failed" -eq 0 ]; then
	echo "lint: all checks passed"
	exit 0
fi
echo "lint: FAILED"
exit 1
