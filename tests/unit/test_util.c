/*
 * Unit tests of util/: util_sanitize against terminal escape sequences,
 * C1 controls and invalid UTF-8, by a table and by random bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../util/util.h"
#include "testlib.h"

/* ------------------------------------------------------------------ */
/* util_sanitize */

static const struct {
	const char *in;
	const char *want;
} sanitize_cases[] = {
	{ "", "" },
	{ "alice", "alice" },
	/* C0 controls and DEL: '?' as always */
	{ "a\nb\tc\rd\x7f", "a?b?c?d?" },
	{ "line\nuser=root result=ok", "line?user=root result=ok" },
	/* printable UTF-8 unchanged */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "\xf0\x9f\x94\x91 key", "\xf0\x9f\x94\x91 key" },
	{ "nbsp\xc2\xa0x", "nbsp\xc2\xa0x" },
	{ "\xef\xbf\xbd", "\xef\xbf\xbd" },
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },
	/* CSI, whole */
	{ "\x1b[31mred\x1b[0m", "red" },
	{ "user\x1b[2J\x1b[Hroot", "userroot" },
	{ "\x1b[1;2;3Hx", "x" },
	{ "\x1b[?25lhidden", "hidden" },
	{ "\x1b[ q", "" },
	{ "\x1b[31", "" },
	{ "\x1b[", "" },
	/* a control inside CSI ends it and is shown as '?' */
	{ "\x1b[3\nx", "?x" },
	/* OSC, DCS, APC, PM, SOS: up to BEL, ST or the end */
	{ "\x1b]0;title\x07" "after", "after" },
	{ "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link" },
	{ "\x1bPq#0;2;0;0;0\x1b\\ok", "ok" },
	{ "\x1b_apc\x07x", "x" },
	{ "\x1b^pm\x07x", "x" },
	{ "\x1bXsos\x07x", "x" },
	{ "\x1b]0;t\xc2\x9cx", "x" },
	{ "\x1b]0;unterminated\nuser=root", "" },
	{ "\x1b]", "" },
	/* two-byte and intermediate escapes */
	{ "\x1b" "c reset", " reset" },
	{ "\x1b" "7saved\x1b" "8", "saved" },
	{ "\x1b(Bx", "x" },
	{ "\x1b#8x", "x" },
	/* a lone ESC, or ESC before something no sequence starts with */
	{ "\x1b", "" },
	{ "a\x1b", "a" },
	{ "a\x1b\nb", "a?b" },
	{ "a\x1b\xc3\xa9", "a\xc3\xa9" },
	{ "\x1b\x1b[31mx", "x" },
	/* UTF-8 encoded C1 controls: gone, with their sequence */
	{ "\xc2\x9b" "31mred", "red" },
	{ "\xc2\x9b?25lx", "x" },
	{ "\xc2\x9d" "0;title\x07x", "x" },
	{ "\xc2\x9d" "0;title\xc2\x9cx", "x" },
	{ "\xc2\x9d" "0;title\x1b\\x", "x" },
	{ "\xc2\x90q\x1b\\x", "x" },
	{ "\xc2\x98s\x07x", "x" },
	{ "\xc2\x9ep\x07x", "x" },
	{ "\xc2\x9f" "a\x07x", "x" },
	{ "\xc2\x85next", "next" },
	{ "a\xc2\x80\xc2\x8a" "b", "ab" },
	{ "\xc2\x9c", "" },
	/* not valid UTF-8: '?' */
	{ "\x80", "?" },
	{ "a\xffz", "a?z" },
	{ "\x9b" "31m", "?31m" },
	{ "\xc0\x80", "??" },
	{ "\xc1\xbf", "??" },
	{ "\xe0\x80\xaf", "???" },
	{ "\xf0\x80\x80\xaf", "????" },
	{ "\xed\xa0\x80", "???" },
	{ "\xed\xbf\xbf", "???" },
	{ "\xf4\x90\x80\x80", "????" },
	{ "\xf5\x80\x80\x80", "????" },
	{ "\xe6\x97", "?" },
	{ "\xe6\x97x", "?x" },
	{ "\xf0\x9f\x94", "?" },
	{ "\xf0\x9f\x94\xc3\xa9", "?\xc3\xa9" },
	{ "\xc3", "?" },
	{ "\xc3\x1b[1mx", "?x" },
};

static void
test_sanitize_table(void **state)
{
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sanitize_cases) / sizeof(sanitize_cases[0]); i++) {
		util_strlcpy(buf, sanitize_cases[i].in, sizeof(buf));
		util_sanitize(buf);
		if (strcmp(buf, sanitize_cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf,
				 sanitize_cases[i].want);
	}
	util_sanitize(NULL);
}

/* Is s valid UTF-8 with no control character, C0 or C1? */
static int
clean_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		size_t n, k;
		unsigned long cp;

		if (*s < 0x20 || *s == 0x7f)
			return 0;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			n = 2;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			n = 3;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 4;
			cp = *s & 0x07;
		} else {
			return 0;
		}
		for (k = 1; k < n; k++) {
			if ((s[k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		s += n;
	}
	return 1;
}

/* Random bytes, weighted toward ESC, C1 leads and sequence bytes: the
 * result is never longer, always clean UTF-8, and sanitizing it again
 * changes nothing. */
static void
test_sanitize_random(void **state)
{
	static const unsigned char pick[] = { 0x1b, 0x1b, '[', ']', 'P', '\\',
		0x07, 0xc2, 0xc2, 0x9b, 0x9c, 0x9d, 0x85, 0xe6, 0x97, 0xa5,
		0xf0, 0x9f, 0xed, 0xa0, 0x80, 0xff, '\n', '3', '1', 'm', 'a',
		';', ' ' };
	unsigned char buf[64], again[64];
	unsigned seed = 12345;
	size_t i, j, len;

	(void)state;
	for (i = 0; i < 200000; i++) {
		len = (size_t)(rand_r(&seed) % (int)(sizeof(buf) - 1));
		for (j = 0; j < len; j++) {
			int r = rand_r(&seed);

			buf[j] = r % 3 == 0 ? (unsigned char)(r >> 8) :
				 pick[(size_t)(r >> 8) % sizeof(pick)];
			if (buf[j] == '\0')
				buf[j] = 'x';
		}
		buf[len] = '\0';
		util_sanitize((char *)buf);
		if (strlen((char *)buf) > len)
			fail_msg("round %zu: longer than its input", i);
		if (!clean_utf8(buf))
			fail_msg("round %zu: not clean UTF-8", i);
		memcpy(again, buf, sizeof(buf));
		util_sanitize((char *)again);
		if (strcmp((char *)again, (char *)buf) != 0)
			fail_msg("round %zu: a second pass changed it", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_table),
		cmocka_unit_test(test_sanitize_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
