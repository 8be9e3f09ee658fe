/*
 * template: fills text with named placeholders; see template.h.
 *
 * One parser serves tpl_expand and tpl_check, so a template that passes the
 * check at configuration time cannot fail to parse when a code is sent.
 * The output may hold a one-time code: it lives in a buffer that is wiped
 * whenever it moves or is given up, never realloc()ed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "template.h"

/* Longest name shown in an error message; longer ones are cut. */
#define TPL_NAME_SHOWN 64

struct tpl_buf {
	char *p;
	size_t len;
	size_t cap;
};

/* What placeholders may name, and where their values go (NULL out: check). */
struct tpl_src {
	const struct tpl_var *vars;
	size_t nvars;
	const char *const *names;
	size_t nnames;
	enum tpl_encoding enc;
	struct tpl_buf *out;
};

/* Keycloak's SMS authenticators' forms, and the names they stand for. */
static const struct {
	const char *form;
	const char *name;
} tpl_compat_forms[] = {
	{ "%1$s", "code" },
	{ "%2$d", "ttl_min" },
	{ "%sms-code%", "code" },
	{ "%phonenumber%", "phone" },
};

static void
tpl_buf_free(struct tpl_buf *b)
{
	if (b->p != NULL) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Make room for n more bytes and the final NUL. */
static int
tpl_buf_reserve(struct tpl_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX - 1 - b->len)
		return TPL_ENOMEM;
	need = b->len + n + 1;
	if (need <= b->cap)
		return TPL_OK;
	cap = b->cap < 32 ? 32 : b->cap;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return TPL_ENOMEM;
		cap *= 2;
	}
	if ((p = malloc(cap)) == NULL)
		return TPL_ENOMEM;
	/* Not realloc: the old copy may hold the code and must be wiped. */
	if (b->p != NULL) {
		memcpy(p, b->p, b->len);
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	p[b->len] = '\0';	/* an empty result is a string too */
	b->p = p;
	b->cap = cap;
	return TPL_OK;
}

static int
tpl_buf_put(struct tpl_buf *b, const char *s, size_t n)
{
	int rv;

	if ((rv = tpl_buf_reserve(b, n)) != TPL_OK)
		return rv;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return TPL_OK;
}

static int
tpl_buf_putc(struct tpl_buf *b, char c)
{
	return tpl_buf_put(b, &c, 1);
}

/* Plain ASCII tests: the locale must not change what a name is. */
static int
tpl_is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
tpl_is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * Where at lies in tmpl, for error messages: "column N", or "line L,
 * column N" in a multi-line template.  Columns count characters, not bytes,
 * so that they match what the administrator sees in an editor.
 */
static void
tpl_where(const char *tmpl, const char *at, char *buf, size_t buflen)
{
	size_t line = 1, col = 1;
	const char *p;

	for (p = tmpl; p < at; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*p & 0xc0) != 0x80)
			col++;
	}
	if (line > 1)
		snprintf(buf, buflen, "line %zu, column %zu", line, col);
	else
		snprintf(buf, buflen, "column %zu", col);
}

static int
tpl_put_pct(struct tpl_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char s[3];

	s[0] = '%';
	s[1] = hex[c >> 4];
	s[2] = hex[c & 0xf];
	return tpl_buf_put(b, s, sizeof(s));
}

static int
tpl_put_json(struct tpl_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char s[6];

	switch (c) {
	case '"':
		return tpl_buf_put(b, "\\\"", 2);
	case '\\':
		return tpl_buf_put(b, "\\\\", 2);
	case '\b':
		return tpl_buf_put(b, "\\b", 2);
	case '\f':
		return tpl_buf_put(b, "\\f", 2);
	case '\n':
		return tpl_buf_put(b, "\\n", 2);
	case '\r':
		return tpl_buf_put(b, "\\r", 2);
	case '\t':
		return tpl_buf_put(b, "\\t", 2);
	default:
		break;
	}
	/* DEL is legal in JSON, but escaping it keeps the body printable. */
	if (!util_is_ctl(c, 0))
		return tpl_buf_putc(b, (char)c);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): not a string */
	memcpy(s, "\\u00", 4);
	s[4] = hex[c >> 4];
	s[5] = hex[c & 0xf];
	return tpl_buf_put(b, s, sizeof(s));
}

/* Append value, encoded for where it lands. */
static int
tpl_put_value(struct tpl_buf *b, enum tpl_encoding enc, const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	int rv = TPL_OK;

	for (; *v != '\0' && rv == TPL_OK; v++) {
		switch (enc) {
		case TPL_ENC_URL:
			if (tpl_is_alnum(*v) || *v == '-' || *v == '.' ||
			    *v == '_' || *v == '~')
				rv = tpl_buf_putc(b, (char)*v);
			else
				rv = tpl_put_pct(b, *v);
			break;
		case TPL_ENC_FORM:
			/* WHATWG URL standard, as browsers send forms:
			 * '*' stays, '~' is encoded, space is '+'. */
			if (tpl_is_alnum(*v) || *v == '*' || *v == '-' ||
			    *v == '.' || *v == '_')
				rv = tpl_buf_putc(b, (char)*v);
			else if (*v == ' ')
				rv = tpl_buf_putc(b, '+');
			else
				rv = tpl_put_pct(b, *v);
			break;
		case TPL_ENC_JSON:
			rv = tpl_put_json(b, *v);
			break;
		case TPL_ENC_NONE:
		case TPL_ENC_HEADER:	/* checked by the caller */
		default:		/* tpl_expand refuses others */
			rv = tpl_buf_putc(b, (char)*v);
			break;
		}
	}
	return rv;
}

/* A CR or LF in a header value would let a value add headers of its own. */
static int
tpl_header_safe(const char *value)
{
	return !util_has_ctl(value, 1);
}

static int
tpl_name_is(const char *candidate, const char *name, size_t len)
{
	return candidate != NULL && strncmp(candidate, name, len) == 0 &&
	    candidate[len] == '\0';
}

/*
 * Replace the placeholder name (len bytes, not NUL-terminated), written as
 * shown (len shownlen) at column at of tmpl.
 */
static int
tpl_subst(const struct tpl_src *src, const char *name, size_t len,
    const char *shown, size_t shownlen, const char *tmpl, const char *at,
    char *err, size_t errlen)
{
	const char *value = NULL;
	char where[64];
	size_t i;
	int found = 0;

	if (src->out == NULL) {
		for (i = 0; i < src->nnames && !found; i++)
			found = tpl_name_is(src->names[i], name, len);
	} else {
		/* The first of duplicate names wins. */
		for (i = 0; i < src->nvars && !found; i++) {
			found = tpl_name_is(src->vars[i].name, name, len);
			if (found)
				value = src->vars[i].value;
		}
	}
	if (!found) {
		tpl_where(tmpl, at, where, sizeof(where));
		if (shownlen > TPL_NAME_SHOWN)
			shownlen = TPL_NAME_SHOWN;
		snprintf(err, errlen, "unknown placeholder %.*s at %s",
		    (int)shownlen, shown, where);
		return TPL_EINVAL;
	}
	if (src->out == NULL)
		return TPL_OK;
	if (value == NULL)
		value = "";
	if (src->enc == TPL_ENC_HEADER && !tpl_header_safe(value)) {
		/* Never show the value: it may be a code or an attack. */
		snprintf(err, errlen,
		    "value of {%.*s} contains a control character",
		    (int)(len > TPL_NAME_SHOWN ? TPL_NAME_SHOWN : len), name);
		return TPL_EINVAL;
	}
	return tpl_put_value(src->out, src->enc, value);
}

static int
tpl_brace(const struct tpl_src *src, const char *tmpl, const char **pp,
    char *err, size_t errlen)
{
	const char *p = *pp, *q;
	char where[64];

	if (p[1] == '{') {
		*pp = p + 2;
		return src->out == NULL ? TPL_OK : tpl_buf_putc(src->out, '{');
	}
	for (q = p + 1; tpl_is_name_char((unsigned char)*q); q++)
		;
	if (*q != '}') {
		tpl_where(tmpl, p, where, sizeof(where));
		snprintf(err, errlen, "unmatched '{' at %s: "
		    "write {{ for a literal brace", where);
		return TPL_EINVAL;
	}
	if (q == p + 1) {
		tpl_where(tmpl, p, where, sizeof(where));
		snprintf(err, errlen, "empty placeholder {} at %s: "
		    "write {{}} for literal braces", where);
		return TPL_EINVAL;
	}
	*pp = q + 1;
	return tpl_subst(src, p + 1, (size_t)(q - p - 1), p,
	    (size_t)(q - p + 1), tmpl, p, err, errlen);
}

/* The compat form that starts at p, or -1. */
static int
tpl_compat_form(const char *p)
{
	size_t i;

	for (i = 0; i < sizeof(tpl_compat_forms) / sizeof(tpl_compat_forms[0]);
	    i++) {
		if (strncmp(p, tpl_compat_forms[i].form,
		    strlen(tpl_compat_forms[i].form)) == 0)
			return (int)i;
	}
	return -1;
}

static int
tpl_run(const struct tpl_src *src, const char *tmpl, unsigned flags,
    char *err, size_t errlen)
{
	const char *p = tmpl, *specials, *form, *name;
	char where[64];
	size_t n;
	int rv = TPL_OK, f;

	specials = (flags & TPL_COMPAT) ? "{}%" : "{}";
	while (*p != '\0' && rv == TPL_OK) {
		if (*p == '{') {
			rv = tpl_brace(src, tmpl, &p, err, errlen);
		} else if (*p == '}') {
			if (p[1] != '}') {
				tpl_where(tmpl, p, where, sizeof(where));
				snprintf(err, errlen, "unmatched '}' at %s: "
				    "write }} for a literal brace", where);
				return TPL_EINVAL;
			}
			if (src->out != NULL)
				rv = tpl_buf_putc(src->out, '}');
			p += 2;
		} else if ((flags & TPL_COMPAT) && *p == '%' &&
		    (f = tpl_compat_form(p)) >= 0) {
			form = tpl_compat_forms[f].form;
			name = tpl_compat_forms[f].name;
			rv = tpl_subst(src, name, strlen(name), form,
			    strlen(form), tmpl, p, err, errlen);
			p += strlen(form);
		} else {
			/* Literal text up to the next special character; a
			 * '%' that is no compat form is literal (URLs). */
			n = 1 + strcspn(p + 1, specials);
			if (src->out != NULL)
				rv = tpl_buf_put(src->out, p, n);
			p += n;
		}
	}
	return rv;
}

int
tpl_expand(const char *tmpl, const struct tpl_var *vars, size_t nvars,
	   enum tpl_encoding enc, unsigned flags, char **out,
	   char *err, size_t errlen)
{
	struct tpl_buf b = { NULL, 0, 0 };
	struct tpl_src src;
	int rv;

	if (err == NULL)
		errlen = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (out == NULL || tmpl == NULL || (vars == NULL && nvars > 0) ||
	    enc < TPL_ENC_NONE || enc > TPL_ENC_HEADER) {
		if (out != NULL)
			*out = NULL;
		snprintf(err, errlen, "template: invalid arguments");
		return TPL_EINVAL;
	}
	*out = NULL;
	memset(&src, 0, sizeof(src));
	src.vars = vars;
	src.nvars = nvars;
	src.enc = enc;
	src.out = &b;

	/* Most values are short: the template's size is a fair first guess. */
	if ((rv = tpl_buf_reserve(&b, strlen(tmpl))) == TPL_OK)
		rv = tpl_run(&src, tmpl, flags, err, errlen);
	if (rv != TPL_OK) {
		if (rv == TPL_ENOMEM)
			snprintf(err, errlen, "template: out of memory");
		tpl_buf_free(&b);
		return rv;
	}
	*out = b.p;
	return TPL_OK;
}

int
tpl_check(const char *tmpl, const char *const *names, size_t nnames,
	  unsigned flags, char *err, size_t errlen)
{
	struct tpl_src src;

	if (err == NULL)
		errlen = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (tmpl == NULL || (names == NULL && nnames > 0)) {
		snprintf(err, errlen, "template: invalid arguments");
		return TPL_EINVAL;
	}
	memset(&src, 0, sizeof(src));
	src.names = names;
	src.nnames = nnames;
	return tpl_run(&src, tmpl, flags, err, errlen);
}

/*
 * GSM 03.38 (3GPP TS 23.038) default alphabet, indexed by septet; 0x1b is
 * the escape to the extension table and no character.
 */
static const uint16_t tpl_gsm7_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0xffff, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* Its extension table: each is sent as escape + septet. */
static const uint16_t tpl_gsm7_ext[] = {
	0x000c, 0x005e, 0x007b, 0x007d, 0x005c, 0x005b, 0x007e, 0x005d,
	0x007c, 0x20ac,
};

/* Septets for code point cp: 1, 2 (extension), or 0 if not in GSM-7. */
static size_t
tpl_gsm7_septets(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof(tpl_gsm7_basic) / sizeof(tpl_gsm7_basic[0]); i++)
		if (tpl_gsm7_basic[i] == cp)
			return 1;
	for (i = 0; i < sizeof(tpl_gsm7_ext) / sizeof(tpl_gsm7_ext[0]); i++)
		if (tpl_gsm7_ext[i] == cp)
			return 2;
	return 0;
}

/*
 * Decode one UTF-8 character at s into *cp; returns its length, or 0 for
 * an invalid byte (overlong forms, surrogates and > U+10FFFF included).
 */
static size_t
tpl_utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	/* Stops at the NUL too: it is no continuation byte. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Segments needed when per units fit one part of a concatenated message.
 * A character (an escape pair, a surrogate pair) is never split between
 * two parts, as phones and gateways split, so this can be one more than
 * a plain division.
 */
static size_t
tpl_sms_pack(const char *utf8, int gsm7, size_t per)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t segments = 1, used = 0, n, w;
	uint32_t cp;

	while (*s != '\0') {
		if ((n = tpl_utf8_next(s, &cp)) == 0) {
			n = 1;
			w = 1;
		} else if (gsm7)
			w = tpl_gsm7_septets(cp);
		else
			w = cp > 0xffff ? 2 : 1;
		if (used + w > per) {
			segments++;
			used = 0;
		}
		used += w;
		s += n;
	}
	return segments;
}

void
tpl_sms_info(const char *utf8, struct tpl_sms_info *info)
{
	const unsigned char *s;
	size_t septets = 0, utf16 = 0, n, w;
	uint32_t cp;
	int gsm7 = 1;

	if (info == NULL)
		return;
	if (utf8 == NULL)
		utf8 = "";
	for (s = (const unsigned char *)utf8; *s != '\0'; s += n) {
		if ((n = tpl_utf8_next(s, &cp)) == 0) {
			gsm7 = 0;
			utf16++;
			n = 1;
			continue;
		}
		utf16 += cp > 0xffff ? 2 : 1;
		if (gsm7) {
			if ((w = tpl_gsm7_septets(cp)) == 0)
				gsm7 = 0;
			septets += w;
		}
	}
	info->gsm7 = gsm7;
	if (gsm7) {
		info->units = septets;
		info->segments = septets <= 160 ? 1 :
		    tpl_sms_pack(utf8, 1, 153);
	} else {
		info->units = utf16;
		info->segments = utf16 <= 70 ? 1 : tpl_sms_pack(utf8, 0, 67);
	}
}

int
tpl_check_text(const char *text, char *err, size_t errlen)
{
	const unsigned char *s;
	uint32_t cp;
	size_t n;

	if (err == NULL)
		errlen = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		text = "";
	for (s = (const unsigned char *)text; *s != '\0'; s += n) {
		n = tpl_utf8_next(s, &cp);
		if (n == 0) {
			snprintf(err, errlen, "not valid UTF-8 (byte %zu)",
				 (size_t)(s - (const unsigned char *)text) + 1);
			return TPL_EINVAL;
		}
		/* C0, DEL and C1: a line break, an escape or a CSI would
		 * steer the terminal that shows the text. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			snprintf(err, errlen, "a control character (U+%04X) at byte %zu",
				 (unsigned)cp,
				 (size_t)(s - (const unsigned char *)text) + 1);
			return TPL_EINVAL;
		}
	}
	return TPL_OK;
}
