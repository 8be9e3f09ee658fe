/*
 * Unit tests for template/: tables of template, encoding and flags with the
 * exact output or the exact error message each must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../template/template.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What the module passes, plus values chosen to break each encoding. */
static const struct tpl_var all_vars[] = {
	{ "code", "123456" },
	{ "ttl", "300" },
	{ "ttl_min", "5" },
	{ "user", "alice" },
	{ "host", "bastion" },
	{ "service", "sshd" },
	{ "rhost", NULL },
	{ "phone", "+441234567123" },
	{ "phone_masked", "+44*******123" },
	{ "quote", "say \"hi\"" },
	{ "bslash", "C:\\tmp" },
	{ "nl", "a\nb" },
	{ "crlf", "x\r\nSet-Cookie: a=1" },
	{ "ctl", "\x01\x1b\x1f" },
	{ "del", "a\x7f" },
	{ "bf", "\b\f" },
	{ "tab", "a\tb" },
	{ "utf", "h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80" },	/* héllo €😀 */
	{ "amp", "a&b=c+d%e f" },
	{ "unres", "-._~*" },
	{ "empty", "" },
	{ "dup", "first" },
	{ "dup", "second" },
};

/* A prompt has no code in it: compat forms for the code must fail. */
static const struct tpl_var no_code_vars[] = {
	{ "user", "alice" },
	{ "ttl_min", "5" },
};

static const char *const module_names[] = {
	"code", "ttl", "ttl_min", "user", "host", "service", "rhost", "phone",
	"phone_masked",
};

struct xcase {
	const char *tmpl;
	enum tpl_encoding enc;
	unsigned flags;
	int rc;
	const char *want;	/* the output, or the error message */
};

#define N TPL_ENC_NONE
#define U TPL_ENC_URL
#define F TPL_ENC_FORM
#define J TPL_ENC_JSON
#define H TPL_ENC_HEADER
#define C TPL_COMPAT
#define OK TPL_OK
#define EI TPL_EINVAL

static const struct xcase syntax_cases[] = {
	{ "", N, 0, OK, "" },
	{ "plain text", N, 0, OK, "plain text" },
	{ "{code}", N, 0, OK, "123456" },
	{ "{code} is your code", N, 0, OK, "123456 is your code" },
	{ "Code: {code}", N, 0, OK, "Code: 123456" },
	{ "{code}{ttl}", N, 0, OK, "123456300" },
	{ "{user}@{host}/{service}", N, 0, OK, "alice@bastion/sshd" },
	{ "{ttl}s = {ttl_min} min", N, 0, OK, "300s = 5 min" },
	{ "to {phone_masked}", N, 0, OK, "to +44*******123" },
	{ "[{rhost}]", N, 0, OK, "[]" },
	{ "[{empty}]", N, 0, OK, "[]" },
	{ "{dup}", N, 0, OK, "first" },
	{ "{{", N, 0, OK, "{" },
	{ "}}", N, 0, OK, "}" },
	{ "{{code}}", N, 0, OK, "{code}" },
	{ "{{{code}}}", N, 0, OK, "{123456}" },
	{ "{code}}}", N, 0, OK, "123456}" },
	{ "a{{b}}c{{}}", N, 0, OK, "a{b}c{}" },
	{ "{{\"to\":\"{phone}\"}}", J, 0, OK, "{\"to\":\"+441234567123\"}" },
	/* Literal text is never encoded, only values. */
	{ "a b&c\\n\"{user}\"", U, 0, OK, "a b&c\\n\"alice\"" },
	{ "line1\nline2 {user}\n", N, 0, OK, "line1\nline2 alice\n" },
	{ "h\xc3\xa9 {user} \xe2\x82\xac", N, 0, OK,
	    "h\xc3\xa9 alice \xe2\x82\xac" },
	{ "a{", N, 0, EI,
	    "unmatched '{' at column 2: write {{ for a literal brace" },
	{ "a}", N, 0, EI,
	    "unmatched '}' at column 2: write }} for a literal brace" },
	{ "{code", N, 0, EI,
	    "unmatched '{' at column 1: write {{ for a literal brace" },
	{ "x { code }", N, 0, EI,
	    "unmatched '{' at column 3: write {{ for a literal brace" },
	{ "{co-de}", N, 0, EI,
	    "unmatched '{' at column 1: write {{ for a literal brace" },
	{ "{code.x}", N, 0, EI,
	    "unmatched '{' at column 1: write {{ for a literal brace" },
	{ "{}", N, 0, EI,
	    "empty placeholder {} at column 1: write {{}} for literal braces" },
	{ "}{", N, 0, EI,
	    "unmatched '}' at column 1: write }} for a literal brace" },
	{ "{{{", N, 0, EI,
	    "unmatched '{' at column 3: write {{ for a literal brace" },
	{ "x}}}", N, 0, EI,
	    "unmatched '}' at column 4: write }} for a literal brace" },
	{ "{\"to\":\"{phone}\"}", J, 0, EI,
	    "unmatched '{' at column 1: write {{ for a literal brace" },
	{ "Hi {usr}, code {code}", N, 0, EI,
	    "unknown placeholder {usr} at column 4" },
	{ "{code}{nope}", N, 0, EI, "unknown placeholder {nope} at column 7" },
	{ "{Code}", N, 0, EI, "unknown placeholder {Code} at column 1" },
	{ "{CODE}", N, 0, EI, "unknown placeholder {CODE} at column 1" },
	{ "{code_}", N, 0, EI, "unknown placeholder {code_} at column 1" },
	{ "{cod}", N, 0, EI, "unknown placeholder {cod} at column 1" },
	/* Columns count characters: \xc3\xa9 is one. */
	{ "\xc3\xa9\xc3\xa9{nope}", N, 0, EI,
	    "unknown placeholder {nope} at column 3" },
	{ "one\ntwo\n  {nope}", N, 0, EI,
	    "unknown placeholder {nope} at line 3, column 3" },
	{ "one\n}", N, 0, EI,
	    "unmatched '}' at line 2, column 1: write }} for a literal brace" },
	/* The first error wins. */
	{ "{nope} }", N, 0, EI, "unknown placeholder {nope} at column 1" },
	{ "} {nope}", N, 0, EI,
	    "unmatched '}' at column 1: write }} for a literal brace" },
	/* An error after a value still fails as a whole. */
	{ "{code} {", N, 0, EI,
	    "unmatched '{' at column 8: write {{ for a literal brace" },
};

static const struct xcase encoding_cases[] = {
	/* none */
	{ "{quote}", N, 0, OK, "say \"hi\"" },
	{ "{crlf}", N, 0, OK, "x\r\nSet-Cookie: a=1" },
	{ "{utf}", N, 0, OK, "h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "{amp}", N, 0, OK, "a&b=c+d%e f" },
	/* url: RFC 3986 unreserved stay, the rest %XX in upper case */
	{ "{amp}", U, 0, OK, "a%26b%3Dc%2Bd%25e%20f" },
	{ "{unres}", U, 0, OK, "-._~%2A" },
	{ "{quote}", U, 0, OK, "say%20%22hi%22" },
	{ "{bslash}", U, 0, OK, "C%3A%5Ctmp" },
	{ "{nl}", U, 0, OK, "a%0Ab" },
	{ "{crlf}", U, 0, OK, "x%0D%0ASet-Cookie%3A%20a%3D1" },
	{ "{ctl}", U, 0, OK, "%01%1B%1F" },
	{ "{del}", U, 0, OK, "a%7F" },
	{ "{utf}", U, 0, OK, "h%C3%A9llo%20%E2%82%AC%F0%9F%98%80" },
	{ "{phone}", U, 0, OK, "%2B441234567123" },
	{ "{code}", U, 0, OK, "123456" },
	{ "to={phone}&text=Code%20{code}", U, 0, OK,
	    "to=%2B441234567123&text=Code%20123456" },
	{ "[{rhost}]", U, 0, OK, "[]" },
	/* form: WHATWG, space is '+', '*' stays, '~' is encoded */
	{ "{amp}", F, 0, OK, "a%26b%3Dc%2Bd%25e+f" },
	{ "{unres}", F, 0, OK, "-._%7E*" },
	{ "{quote}", F, 0, OK, "say+%22hi%22" },
	{ "{nl}", F, 0, OK, "a%0Ab" },
	{ "{tab}", F, 0, OK, "a%09b" },
	{ "{utf}", F, 0, OK, "h%C3%A9llo+%E2%82%AC%F0%9F%98%80" },
	{ "to={phone}&text=Code+{code}", F, 0, OK,
	    "to=%2B441234567123&text=Code+123456" },
	/* json: the inside of a string */
	{ "{quote}", J, 0, OK, "say \\\"hi\\\"" },
	{ "{bslash}", J, 0, OK, "C:\\\\tmp" },
	{ "{nl}", J, 0, OK, "a\\nb" },
	{ "{crlf}", J, 0, OK, "x\\r\\nSet-Cookie: a=1" },
	{ "{tab}", J, 0, OK, "a\\tb" },
	{ "{bf}", J, 0, OK, "\\b\\f" },
	{ "{ctl}", J, 0, OK, "\\u0001\\u001b\\u001f" },
	{ "{del}", J, 0, OK, "a\\u007f" },
	{ "{utf}", J, 0, OK, "h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "{amp}", J, 0, OK, "a&b=c+d%e f" },
	{ "{unres}", J, 0, OK, "-._~*" },
	{ "\"{rhost}\"", J, 0, OK, "\"\"" },
	/* header: as is, but no way to end the line */
	{ "Bearer {user}", H, 0, OK, "Bearer alice" },
	{ "{tab}", H, 0, OK, "a\tb" },
	{ "{utf}", H, 0, OK, "h\xc3\xa9llo \xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "{quote} {amp}", H, 0, OK, "say \"hi\" a&b=c+d%e f" },
	{ "[{rhost}]", H, 0, OK, "[]" },
	{ "{nl}", H, 0, EI, "value of {nl} contains a control character" },
	{ "X: {crlf}", H, 0, EI,
	    "value of {crlf} contains a control character" },
	{ "{ctl}", H, 0, EI, "value of {ctl} contains a control character" },
	{ "{del}", H, 0, EI, "value of {del} contains a control character" },
	{ "{bf}", H, 0, EI, "value of {bf} contains a control character" },
};

static const struct xcase compat_cases[] = {
	/* Keycloak's own default texts. */
	{ "Your SMS code is %1$s and is valid for %2$d minutes.", N, C, OK,
	    "Your SMS code is 123456 and is valid for 5 minutes." },
	{ "Your code is %sms-code%", N, C, OK, "Your code is 123456" },
	{ "%sms-code% is your code for %phonenumber%", N, C, OK,
	    "123456 is your code for +441234567123" },
	{ "%1$s%2$d", N, C, OK, "1234565" },
	{ "%1$s {code} %sms-code%", N, C, OK, "123456 123456 123456" },
	/* Any other '%' is literal. */
	{ "100% sure: %1$s", N, C, OK, "100% sure: 123456" },
	{ "100%", N, C, OK, "100%" },
	{ "%", N, C, OK, "%" },
	{ "%%1$s", N, C, OK, "%123456" },
	{ "%1$d %2$s %3$s %s %d", N, C, OK, "%1$d %2$s %3$s %s %d" },
	{ "%SMS-CODE% %sms_code% %phone%", N, C, OK,
	    "%SMS-CODE% %sms_code% %phone%" },
	{ "%sms-code", N, C, OK, "%sms-code" },
	{ "https://gw/?a=%20b&to=%phonenumber%&c=%1$s", U, C, OK,
	    "https://gw/?a=%20b&to=%2B441234567123&c=123456" },
	{ "{{\"to\":\"%phonenumber%\"}}", J, C, OK,
	    "{\"to\":\"+441234567123\"}" },
	/* Without the flag, '%' is always literal. */
	{ "Your SMS code is %1$s and is valid for %2$d minutes.", N, 0, OK,
	    "Your SMS code is %1$s and is valid for %2$d minutes." },
	{ "Your code is %sms-code%", N, 0, OK, "Your code is %sms-code%" },
	{ "%phonenumber% 100% %20", N, 0, OK, "%phonenumber% 100% %20" },
	/* Braces keep their meaning with the flag. */
	{ "%1$s {", N, C, EI,
	    "unmatched '{' at column 6: write {{ for a literal brace" },
};

/* Compat forms for names the caller did not give are unknown too. */
static const struct xcase compat_missing_cases[] = {
	{ "%1$s", N, C, EI, "unknown placeholder %1$s at column 1" },
	{ "x %sms-code%", N, C, EI,
	    "unknown placeholder %sms-code% at column 3" },
	{ "for {user}: %phonenumber%", N, C, EI,
	    "unknown placeholder %phonenumber% at column 13" },
	{ "%2$d minutes, {user}", N, C, OK, "5 minutes, alice" },
	{ "%1$s", N, 0, OK, "%1$s" },
};

static void
run_cases(const struct xcase *cases, size_t n, const struct tpl_var *vars,
    size_t nvars)
{
	char err[256], msg[1024], sentinel;
	const struct xcase *c;
	char *out;
	size_t i;
	int rc, bad;

	for (i = 0; i < n; i++) {
		c = &cases[i];
		out = &sentinel;
		memset(err, 'X', sizeof(err));
		rc = tpl_expand(c->tmpl, vars, nvars, c->enc, c->flags, &out,
		    err, sizeof(err));
		if (rc == TPL_OK)
			bad = out == NULL || strcmp(out, c->want) != 0 ||
			    err[0] != '\0';
		else
			bad = out != NULL || strcmp(err, c->want) != 0;
		bad = bad || rc != c->rc;
		snprintf(msg, sizeof(msg),
		    "case %zu \"%s\" enc %d flags %u: rc %d (want %d), "
		    "got \"%s\", want \"%s\"", i, c->tmpl, (int)c->enc,
		    c->flags, rc, c->rc,
		    rc == TPL_OK ? (out != NULL ? out : "(null)") : err,
		    c->want);
		if (rc == TPL_OK)
			free(out);
		if (bad)
			fail_msg("%s", msg);
	}
}

static void
test_syntax(void **state)
{
	(void)state;
	run_cases(syntax_cases, NELEM(syntax_cases), all_vars,
	    NELEM(all_vars));
}

static void
test_encodings(void **state)
{
	(void)state;
	run_cases(encoding_cases, NELEM(encoding_cases), all_vars,
	    NELEM(all_vars));
}

static void
test_compat(void **state)
{
	(void)state;
	run_cases(compat_cases, NELEM(compat_cases), all_vars,
	    NELEM(all_vars));
	run_cases(compat_missing_cases, NELEM(compat_missing_cases),
	    no_code_vars, NELEM(no_code_vars));
}

/* Values far longer than the template make the buffer grow many times. */
static void
test_growth(void **state)
{
	struct tpl_var v[2];
	char *big, *want, *out = NULL, *tmpl;
	size_t i, n = 5000, reps = 40, off;

	(void)state;
	big = malloc(n + 1);
	want = malloc(3 * n * reps + 1);
	tmpl = malloc(4 * reps + 1);
	assert_non_null(big);
	assert_non_null(want);
	assert_non_null(tmpl);
	for (i = 0; i < n; i++)
		big[i] = (i % 2) ? ' ' : 'x';
	big[n] = '\0';
	tmpl[0] = '\0';
	for (i = 0; i < reps; i++)
		strcat(tmpl, "{v}");
	off = 0;
	for (i = 0; i < reps; i++) {
		size_t j;

		for (j = 0; j < n; j++) {
			if (big[j] == 'x')
				want[off++] = 'x';
			else {
				memcpy(want + off, "%20", 3);
				off += 3;
			}
		}
	}
	want[off] = '\0';
	v[0].name = "v";
	v[0].value = big;
	v[1].name = "w";
	v[1].value = NULL;
	assert_int_equal(tpl_expand(tmpl, v, 2, TPL_ENC_URL, 0, &out, NULL,
	    0), TPL_OK);
	assert_non_null(out);
	assert_int_equal(strlen(out), off);
	assert_string_equal(out, want);
	free(out);

	/* An error after the buffer grew still leaves nothing behind. */
	strcat(tmpl, "{nope}");
	out = big;
	assert_int_equal(tpl_expand(tmpl, v, 2, TPL_ENC_URL, 0, &out, NULL,
	    0), TPL_EINVAL);
	assert_null(out);
	free(tmpl);
	free(want);
	free(big);
}

static void
test_bad_arguments(void **state)
{
	char err[128], small[16], *out = err;

	(void)state;
	assert_int_equal(tpl_expand(NULL, all_vars, NELEM(all_vars),
	    TPL_ENC_NONE, 0, &out, err, sizeof(err)), TPL_EINVAL);
	assert_null(out);
	assert_string_equal(err, "template: invalid arguments");
	assert_int_equal(tpl_expand("x", all_vars, NELEM(all_vars),
	    TPL_ENC_NONE, 0, NULL, err, sizeof(err)), TPL_EINVAL);
	out = err;
	assert_int_equal(tpl_expand("x", NULL, 3, TPL_ENC_NONE, 0, &out,
	    err, sizeof(err)), TPL_EINVAL);
	assert_null(out);

	out = err;
	assert_int_equal(tpl_expand("x", all_vars, NELEM(all_vars),
	    (enum tpl_encoding)99, 0, &out, err, sizeof(err)), TPL_EINVAL);
	assert_null(out);

	/* No variables at all is fine for a template without any. */
	assert_int_equal(tpl_expand("{{x}}", NULL, 0, TPL_ENC_NONE, 0, &out,
	    err, sizeof(err)), TPL_OK);
	assert_string_equal(out, "{x}");
	free(out);
	out = err;
	assert_int_equal(tpl_expand("{x}", NULL, 0, TPL_ENC_NONE, 0, &out,
	    err, sizeof(err)), TPL_EINVAL);
	assert_null(out);
	assert_string_equal(err, "unknown placeholder {x} at column 1");

	/* No room for the reason, or a short one: still safe. */
	out = err;
	assert_int_equal(tpl_expand("{x}", NULL, 0, TPL_ENC_NONE, 0, &out,
	    NULL, 0), TPL_EINVAL);
	assert_null(out);
	assert_int_equal(tpl_expand("{x}", NULL, 0, TPL_ENC_NONE, 0, &out,
	    NULL, 100), TPL_EINVAL);
	memset(small, 'X', sizeof(small));
	assert_int_equal(tpl_expand("{x}", NULL, 0, TPL_ENC_NONE, 0, &out,
	    small, sizeof(small)), TPL_EINVAL);
	assert_string_equal(small, "unknown placeho");

	/* A long unknown name is cut in the message. */
	{
		char tmpl[256], want[128];

		memset(tmpl, 'n', sizeof(tmpl));
		tmpl[0] = '{';
		tmpl[200] = '}';
		tmpl[201] = '\0';
		snprintf(want, sizeof(want),
		    "unknown placeholder {%.63s at column 1", tmpl + 1);
		assert_int_equal(tpl_expand(tmpl, NULL, 0, TPL_ENC_NONE, 0,
		    &out, err, sizeof(err)), TPL_EINVAL);
		assert_string_equal(err, want);
	}
}

static void
test_check(void **state)
{
	static const char *const no_code[] = { "user", "ttl_min" };
	char err[256];

	(void)state;
	assert_int_equal(tpl_check("Code {code} for {user}@{host}",
	    module_names, NELEM(module_names), 0, err, sizeof(err)), TPL_OK);
	assert_string_equal(err, "");
	assert_int_equal(tpl_check("{{literal}} 100%", module_names,
	    NELEM(module_names), 0, err, sizeof(err)), TPL_OK);
	assert_int_equal(tpl_check("", module_names, NELEM(module_names), 0,
	    err, sizeof(err)), TPL_OK);
	assert_int_equal(tpl_check("Code {cdoe}", module_names,
	    NELEM(module_names), 0, err, sizeof(err)), TPL_EINVAL);
	assert_string_equal(err, "unknown placeholder {cdoe} at column 6");
	assert_int_equal(tpl_check("Code {code", module_names,
	    NELEM(module_names), 0, err, sizeof(err)), TPL_EINVAL);
	assert_string_equal(err,
	    "unmatched '{' at column 6: write {{ for a literal brace");
	assert_int_equal(tpl_check("}", module_names, NELEM(module_names), 0,
	    err, sizeof(err)), TPL_EINVAL);
	assert_string_equal(err,
	    "unmatched '}' at column 1: write }} for a literal brace");

	/* Compat forms are checked against the names they stand for. */
	assert_int_equal(tpl_check("Code %1$s, %2$d min, to %phonenumber%",
	    module_names, NELEM(module_names), TPL_COMPAT, err, sizeof(err)),
	    TPL_OK);
	assert_int_equal(tpl_check("Enter %sms-code%", no_code,
	    NELEM(no_code), TPL_COMPAT, err, sizeof(err)), TPL_EINVAL);
	assert_string_equal(err,
	    "unknown placeholder %sms-code% at column 7");
	assert_int_equal(tpl_check("Enter %sms-code%", no_code,
	    NELEM(no_code), 0, err, sizeof(err)), TPL_OK);
	assert_int_equal(tpl_check("{code}", no_code, NELEM(no_code), 0,
	    err, sizeof(err)), TPL_EINVAL);
	assert_string_equal(err, "unknown placeholder {code} at column 1");

	/* No names: only literal text passes. */
	assert_int_equal(tpl_check("a {{b}}", NULL, 0, 0, err, sizeof(err)),
	    TPL_OK);
	assert_int_equal(tpl_check("{a}", NULL, 0, 0, NULL, 0), TPL_EINVAL);
	assert_int_equal(tpl_check(NULL, NULL, 0, 0, err, sizeof(err)),
	    TPL_EINVAL);
}

/* tpl_check must accept exactly what tpl_expand can parse. */
static void
test_check_agrees(void **state)
{
	const struct xcase *tables[] = { syntax_cases, compat_cases };
	size_t sizes[] = { NELEM(syntax_cases), NELEM(compat_cases) };
	const char *names[NELEM(all_vars)];
	char err[256];
	size_t t, i;
	int rc;

	(void)state;
	for (i = 0; i < NELEM(all_vars); i++)
		names[i] = all_vars[i].name;
	for (t = 0; t < NELEM(tables); t++) {
		for (i = 0; i < sizes[t]; i++) {
			const struct xcase *c = &tables[t][i];

			rc = tpl_check(c->tmpl, names, NELEM(names),
			    c->flags, err, sizeof(err));
			if (rc != c->rc ||
			    (rc != TPL_OK && strcmp(err, c->want) != 0))
				fail_msg("check \"%s\": rc %d err \"%s\"",
				    c->tmpl, rc, err);
		}
	}
}

struct scase {
	const char *text;
	int gsm7;
	size_t units;
	size_t segments;
};

/* n copies of s, in a fresh heap string. */
static char *
rep(const char *s, size_t n)
{
	size_t len = strlen(s), i;
	char *r = malloc(len * n + 1);

	assert_non_null(r);
	for (i = 0; i < n; i++)
		memcpy(r + i * len, s, len);
	r[len * n] = '\0';
	return r;
}

static char *
cat3(char *a, char *b, char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *r = malloc(la + lb + lc + 1);

	assert_non_null(r);
	memcpy(r, a, la);
	memcpy(r + la, b, lb);
	memcpy(r + la + lb, c, lc + 1);
	free(a);
	free(b);
	free(c);
	return r;
}

static void
check_sms(const char *label, const char *text, int gsm7, size_t units,
    size_t segments)
{
	struct tpl_sms_info info;

	memset(&info, 0xa5, sizeof(info));
	tpl_sms_info(text, &info);
	if (info.gsm7 != gsm7 || info.units != units ||
	    info.segments != segments)
		fail_msg("%s: got gsm7 %d units %zu segments %zu, "
		    "want %d %zu %zu", label, info.gsm7, info.units,
		    info.segments, gsm7, units, segments);
}

static void
test_sms_fixed(void **state)
{
	static const struct scase cases[] = {
		{ "", 1, 0, 1 },
		{ "Hello", 1, 5, 1 },
		{ "Your SMS code is 123456 and is valid for 5 minutes.",
		    1, 51, 1 },
		/* The whole default alphabet, in table order, but ESC. */
		{ "@\xc2\xa3$\xc2\xa5\xc3\xa8\xc3\xa9\xc3\xb9\xc3\xac"
		  "\xc3\xb2\xc3\x87\n\xc3\x98\xc3\xb8\r\xc3\x85\xc3\xa5"
		  "\xce\x94_\xce\xa6\xce\x93\xce\x9b\xce\xa9\xce\xa0\xce\xa8"
		  "\xce\xa3\xce\x98\xce\x9e\xc3\x86\xc3\xa6\xc3\x9f\xc3\x89"
		  " !\"#\xc2\xa4%&'()*+,-./0123456789:;<=>?"
		  "\xc2\xa1" "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		  "\xc3\x84\xc3\x96\xc3\x91\xc3\x9c\xc2\xa7"
		  "\xc2\xbf" "abcdefghijklmnopqrstuvwxyz"
		  "\xc3\xa4\xc3\xb6\xc3\xb1\xc3\xbc\xc3\xa0", 1, 127, 1 },
		/* The extension table: two septets each. */
		{ "^{}\\[~]|", 1, 16, 1 },
		{ "\xe2\x82\xac", 1, 2, 1 },		/* € */
		{ "\f", 1, 2, 1 },
		{ "Price: 5\xe2\x82\xac", 1, 10, 1 },
		/* Not in GSM-7 at all. */
		{ "`", 0, 1, 1 },
		{ "\t", 0, 1, 1 },
		{ "\xc3\xa7", 0, 1, 1 },		/* ç: only Ç is */
		{ "\xce\xb1", 0, 1, 1 },		/* α */
		{ "code `123`", 0, 10, 1 },
		{ "\xd0\x9a\xd0\xbe\xd0\xb4", 0, 3, 1 },	/* Код */
		{ "\xf0\x9f\x98\x80", 0, 2, 1 },	/* 😀 */
		{ "ok \xf0\x9f\x98\x80", 0, 5, 1 },
		{ "\xe2\x82\xac\xf0\x9f\x98\x80", 0, 3, 1 },
		/* Invalid UTF-8: one unit per byte. */
		{ "\xff", 0, 1, 1 },
		{ "a\xc3", 0, 2, 1 },
		{ "\xc0\xaf", 0, 2, 1 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 0, 3, 1 },		/* overlong '/' */
		{ "\xed\xa0\x80", 0, 3, 1 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0, 4, 1 },	/* > U+10FFFF */
		{ "\xc3\xa9\x80", 0, 2, 1 },		/* é + stray byte */
		{ "\xf4\x8f\xbf\xbf", 0, 2, 1 },	/* U+10FFFF */
	};
	char label[32];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(label, sizeof(label), "case %zu", i);
		check_sms(label, cases[i].text, cases[i].gsm7,
		    cases[i].units, cases[i].segments);
	}
	check_sms("NULL", NULL, 1, 0, 1);
	tpl_sms_info("x", NULL);
}

static void
test_sms_boundaries(void **state)
{
	char *s;

	(void)state;
	/* GSM-7: 160 in one, then 153 per segment. */
	s = rep("a", 160);
	check_sms("160 a", s, 1, 160, 1);
	free(s);
	s = rep("a", 161);
	check_sms("161 a", s, 1, 161, 2);
	free(s);
	s = rep("a", 306);
	check_sms("306 a", s, 1, 306, 2);
	free(s);
	s = rep("a", 307);
	check_sms("307 a", s, 1, 307, 3);
	free(s);
	s = rep("\xe2\x82\xac", 80);
	check_sms("80 euro", s, 1, 160, 1);
	free(s);
	s = cat3(rep("a", 159), rep("\xe2\x82\xac", 1), rep("", 0));
	check_sms("159 a + euro", s, 1, 161, 2);
	free(s);
	/* An escape pair is never split, so it can take one more. */
	s = cat3(rep("a", 152), rep("\xe2\x82\xac", 1), rep("a", 152));
	check_sms("euro across parts", s, 1, 306, 3);
	free(s);

	/* UCS-2: 70 in one, then 67 per segment. */
	s = rep("\xd0\xb6", 70);
	check_sms("70 zhe", s, 0, 70, 1);
	free(s);
	s = rep("\xd0\xb6", 71);
	check_sms("71 zhe", s, 0, 71, 2);
	free(s);
	s = rep("\xd0\xb6", 134);
	check_sms("134 zhe", s, 0, 134, 2);
	free(s);
	s = rep("\xd0\xb6", 135);
	check_sms("135 zhe", s, 0, 135, 3);
	free(s);
	/* One non-GSM character makes the whole text UCS-2. */
	s = cat3(rep("a", 69), rep("`", 1), rep("", 0));
	check_sms("69 a + backtick", s, 0, 70, 1);
	free(s);
	s = cat3(rep("a", 70), rep("`", 1), rep("", 0));
	check_sms("70 a + backtick", s, 0, 71, 2);
	free(s);
	/* Emoji are surrogate pairs: two units each. */
	s = rep("\xf0\x9f\x98\x80", 35);
	check_sms("35 emoji", s, 0, 70, 1);
	free(s);
	s = rep("\xf0\x9f\x98\x80", 36);
	check_sms("36 emoji", s, 0, 72, 2);
	free(s);
	s = cat3(rep("\xd0\xb6", 66), rep("\xf0\x9f\x98\x80", 1),
	    rep("\xd0\xb6", 66));
	check_sms("emoji across parts", s, 0, 134, 3);
	free(s);
}

/* tpl_check_text: what a text shown to a user may hold. */
static const struct {
	const char *text;
	const char *why;	/* NULL: accepted */
} text_rows[] = {
	{ "", NULL },
	{ "Wrong code, please try again.", NULL },
	{ "Falscher Code für {user}, bitte erneut versuchen.", NULL },
	{ "गलत कोड, कृपया फिर से प्रयास करें।", NULL },
	{ "Code \xf0\x9f\x94\x91 100% {wait_min}", NULL },	/* U+1F511 */
	{ "tab\there", "a control character (U+0009) at byte 4" },
	{ "line\nbreak", "a control character (U+000A) at byte 5" },
	{ "\x1b[2J", "a control character (U+001B) at byte 1" },
	{ "del\x7f", "a control character (U+007F) at byte 4" },
	{ "csi \xc2\x9b" "2J", "a control character (U+009B) at byte 5" },
	{ "Falsch\xff", "not valid UTF-8 (byte 7)" },
	{ "\xc3(", "not valid UTF-8 (byte 1)" },
	{ "\xc0\xaf", "not valid UTF-8 (byte 1)" },	/* overlong '/' */
	{ "\xed\xa0\x80", "not valid UTF-8 (byte 1)" },	/* a surrogate */
	{ "\xf4\x90\x80\x80", "not valid UTF-8 (byte 1)" },	/* past U+10FFFF */
	{ "end \xe0\xa4", "not valid UTF-8 (byte 5)" },	/* cut short */
};

static void
test_check_text(void **state)
{
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(text_rows) / sizeof(text_rows[0]); i++) {
		int rc = tpl_check_text(text_rows[i].text, err, sizeof(err));

		if (text_rows[i].why == NULL && rc != TPL_OK)
			fail_msg("row %zu refused: %s", i, err);
		if (text_rows[i].why != NULL &&
		    (rc != TPL_EINVAL || strcmp(err, text_rows[i].why) != 0))
			fail_msg("row %zu: expected \"%s\", got %d \"%s\"", i,
				 text_rows[i].why, rc, rc == TPL_OK ? "" : err);
	}
	assert_int_equal(tpl_check_text(NULL, NULL, 0), TPL_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_compat),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_agrees),
		cmocka_unit_test(test_sms_fixed),
		cmocka_unit_test(test_sms_boundaries),
		cmocka_unit_test(test_check_text),
	};

	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
