#!/bin/sh
# libFuzzer harnesses (`make fuzz`, FUZZ_SECONDS each, default 60).
#
# Builds tests/fuzz/fuzz_<name>.c with clang, -fsanitize=fuzzer,address,
# undefined, against the library sources (compiled here with
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/obj; never
# build/libsmsotp.a, which is gcc's) into build/fuzz/fuzz_<name>; runs each
# for FUZZ_SECONDS on a copy of tests/fuzz/corpus/<name> in
# build/fuzz/corpus/<name> (the repository's seeds never grow), then every
# regression input in tests/fuzz/crashes/<name>/ once.  Exits non-zero on
# any crash, naming the input.
#
# Reproduce a crash:
#   sh tests/fuzz/run.sh --build-only
#   LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
#       build/fuzz/fuzz_<name> path/to/crash-input    # runs it once
# (a leak may need -runs=20 to show; lsan.supp lists third-party leaks)
# A fixed crash stays as a regression test: copy its input to
# tests/fuzz/crashes/<name>/ (a short descriptive file name) and commit it.
# Only some harnesses: FUZZ_TARGETS="template state" sh tests/fuzz/run.sh
set -eu

cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-template config phone response state pamd}
CC_FUZZ=${FUZZ_CC:-clang}
OUT=$PWD/build/fuzz
PKGS="libconfig json-c openssl"
# The library's sources, as the Makefile lists them.
LIB_SRCS=$(sed -n '/^LIB_SRCS :=/,/[^\\]$/p' Makefile | sed 's/^LIB_SRCS :=//; s/\\$//')
[ -n "$LIB_SRCS" ] || { echo "fuzz: no LIB_SRCS in the Makefile" >&2; exit 1; }

# libcurl and libpq: their headers only, the libraries are opened at run time (sms/curl.c, state/pq.c)
PKG_CFLAGS=$(pkg-config --cflags $PKGS libcurl libpq)
PKG_LIBS=$(pkg-config --libs $PKGS)
CFLAGS_COMMON="-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -I. $PKG_CFLAGS"

mkdir -p "$OUT/obj"
objs=
for src in $LIB_SRCS; do
	obj=$OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] ||
	    [ -n "$(find "$(dirname "$src")" -name '*.h' -newer "$obj" 2>/dev/null)" ]; then
		echo "CC (fuzz) $src"
		# shellcheck disable=SC2086
		$CC_FUZZ $CFLAGS_COMMON -fsanitize=fuzzer-no-link,address,undefined \
			-c -o "$obj" "$src"
	fi
	objs="$objs $obj"
done
for t in $TARGETS; do
	echo "LD (fuzz) $OUT/fuzz_$t"
	# shellcheck disable=SC2086
	$CC_FUZZ $CFLAGS_COMMON -Wall -Wextra -fsanitize=fuzzer,address,undefined \
		-o "$OUT/fuzz_$t" "tests/fuzz/fuzz_$t.c" $objs $PKG_LIBS -ldl
done
[ "${1:-}" = "--build-only" ] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in $TARGETS; do
	corpus=$OUT/corpus/$t
	artifacts=$OUT/artifacts/$t
	rm -rf "$corpus" "$artifacts"
	mkdir -p "$corpus" "$artifacts"
	cp tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
	echo "== fuzz_$t: ${SECONDS_EACH}s"
	if ! "$OUT/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$artifacts/" "$corpus" >"$OUT/fuzz_$t.log" 2>&1; then
		failed=1
		tail -n 60 "$OUT/fuzz_$t.log"
		for f in "$artifacts"/*; do
			[ -e "$f" ] && echo "FAIL fuzz_$t: crash input $f" \
			    "(reproduce: $OUT/fuzz_$t $f)"
		done
	else
		grep -E '^(stat::number_of_executed_units|#[0-9]+.*DONE)' \
		    "$OUT/fuzz_$t.log" | tail -n 2 || true
	fi
	for f in tests/fuzz/crashes/"$t"/*; do
		[ -f "$f" ] || continue
		if ! "$OUT/fuzz_$t" -runs=1 -timeout=10 -rss_limit_mb=2048 "$PWD/$f" \
		    >"$OUT/regress.log" 2>&1; then
			failed=1
			tail -n 40 "$OUT/regress.log"
			echo "FAIL fuzz_$t: regression input $f"
		fi
	done
done
if [ "$failed" -ne 0 ]; then
	echo "fuzz: FAILED"
	exit 1
fi
echo "fuzz: all harnesses ran ${SECONDS_EACH}s each without a crash"
