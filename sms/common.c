/*
 * sms/common: the helpers every type uses.  The bottom of sms/: nothing
 * here calls another file of sms/ (the vendor table is data).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "../template/template.h"
#include "../util/util.h"
#include "common.h"
#include "vendors.h"

const char *const sms_request_placeholders[] = {
	"phone", "phone_digits", "message", "sender"
};
const size_t sms_n_request_placeholders =
    sizeof(sms_request_placeholders) / sizeof(sms_request_placeholders[0]);

size_t
sms_request_vars(const struct sms_provider *p, const struct sms_message *m,
		 struct tpl_var *vars)
{
	const char *values[SMS_REQUEST_VARS];
	size_t i;

	values[0] = m->phone;
	values[1] = m->phone[0] == '+' ? m->phone + 1 : m->phone;
	values[2] = m->text;
	values[3] = p->sender != NULL ? p->sender : "";
	for (i = 0; i < SMS_REQUEST_VARS; i++) {
		vars[i].name = sms_request_placeholders[i];
		vars[i].value = values[i];
	}
	return SMS_REQUEST_VARS;
}

/* ---------------------------------------------------------------------
 * Type names: the three own types here, the vendors' in their table
 */

static const char *const own_types[SMS_TYPE_COUNT] = {
	[SMS_TYPE_HTTP] = "http",
	[SMS_TYPE_FILE] = "file",
	[SMS_TYPE_COMMAND] = "command",
};

const char *
sms_type_name(enum sms_type type)
{
	const struct sms_vendor *v;

	if ((int)type <= 0 || type >= SMS_TYPE_COUNT)
		return "none";
	v = sms_vendor_get(type);
	if (v != NULL)
		return v->name;
	return own_types[type] != NULL ? own_types[type] : "none";
}

enum sms_type
sms_type_from_name(const char *name)
{
	int t;

	for (t = 1; name != NULL && t < SMS_TYPE_COUNT; t++) {
		if (strcmp(name, sms_type_name((enum sms_type)t)) == 0)
			return (enum sms_type)t;
	}
	return SMS_TYPE_NONE;
}

int
sms_type_is_vendor(enum sms_type type)
{
	return sms_vendor_get(type) != NULL;
}

void
sms_type_list(char *out, size_t outlen)
{
	const char *names[SMS_TYPE_COUNT];
	size_t n = 0, i;

	names[n++] = "http";
	for (i = 0; i < sms_n_vendors && n + 2 < SMS_TYPE_COUNT; i++)
		names[n++] = sms_vendors[i].name;
	names[n++] = "command";
	names[n++] = "file";
	sms_join_names(names, n, " or ", out, outlen);
}

long
sms_cred_offset(enum sms_type type, const char *key)
{
	const struct sms_vendor *v = sms_vendor_get(type);
	size_t i;
	int slot = sms_vendor_slot(v, key);

	if (slot >= 0)
		return (long)v->creds[slot].off;
	for (i = 0; i < sms_n_vendors; i++) {
		if (sms_vendor_slot(&sms_vendors[i], key) >= 0)
			return -1;
	}
	return -2;
}

char *
sms_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s == NULL)
		return NULL;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): b's copy ends it */
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

void
sms_join_names(const char *const *names, size_t n, const char *last,
	       char *out, size_t outlen)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < outlen; i++) {
		int k = snprintf(out + o, outlen - o, "%s%s",
				 i == 0 ? "" : i + 1 == n ? last : ", ",
				 names[i]);

		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* ---------------------------------------------------------------------
 * Excerpts
 */

size_t
sms_message_secrets(const struct sms_message *m, const char **out)
{
	size_t n = 0;

	if (m != NULL && m->text != NULL)
		out[n++] = m->text;
	if (m != NULL && m->secret != NULL)
		out[n++] = m->secret;
	if (m != NULL && m->phone != NULL) {
		out[n++] = m->phone;	/* before its digits: longer first */
		if (m->phone[0] == '+')
			out[n++] = m->phone + 1;
	}
	return n;
}

static void
excerpt_put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	while (n > 0 && *o + 1 < outlen) {
		out[(*o)++] = *s++;
		n--;
	}
}

/* The length of the secret text[0..len) starts with, 0 when none.  Secrets
 * shorter than 4 bytes are skipped: they would blank out noise. */
static size_t
excerpt_secret_at(const char *text, size_t len, const char *const *secrets)
{
	const char *const *s;

	for (s = secrets; s != NULL && *s != NULL; s++) {
		size_t n = strlen(*s);

		if (n >= 4 && n <= len && memcmp(text, *s, n) == 0)
			return n;
	}
	return 0;
}

/* o, moved back so that out[0..o) does not end inside a UTF-8 sequence. */
static size_t
excerpt_utf8_cut(const char *out, size_t o)
{
	size_t k = o, need;
	unsigned char lead;

	while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0) {
		lead = (unsigned char)out[k - 1];
		need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (o - (k - 1) < need)
			return k - 1;
	}
	return o;
}

/* Blanks again, in place, each secret the sanitizing put together (a
 * control character or an escape sequence in the middle of one, taken
 * out). */
static void
excerpt_reblank(char *out, const char *const *secrets)
{
	size_t i = 0, o = 0, len = strlen(out);

	while (i < len) {
		size_t slen = excerpt_secret_at(out + i, len - i, secrets);

		if (slen > 0) {
			/* slen >= 4: "***" never outgrows what it replaces */
			memcpy(out + o, "***", 3);
			o += 3;
			i += slen;
		} else {
			out[o++] = out[i++];
		}
	}
	out[o] = '\0';
}

void
sms_excerpt(const char *text, size_t len, const char *const *secrets,
	    char *out, size_t outlen)
{
	size_t i, o = 0, cap;

	if (outlen == 0)
		return;
	cap = outlen - 1 < SMS_EXCERPT_MAX ? outlen - 1 : SMS_EXCERPT_MAX;
	for (i = 0; text != NULL && i < len && o < cap;) {
		/* A provider's error answer may echo the request: the number,
		 * the text (and with it the code), a key. */
		size_t slen = excerpt_secret_at(text + i, len - i, secrets);

		if (slen > 0) {
			excerpt_put(out, cap + 1, &o, "***", 3);
			i += slen;
			continue;
		}
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): both arms are chars */
		out[o++] = text[i] == '\0' ? '?' : text[i];
		i++;
	}
	/* Never end inside a UTF-8 sequence cut by the cap. */
	if (i < len && o > 0)
		o = excerpt_utf8_cut(out, o);
	out[o] = '\0';
	util_sanitize(out);
	excerpt_reblank(out, secrets);
	/* A provider may echo a number or a code in a form no secret
	 * matches (reformatted, escaped, cut): digit runs are blanked. */
	util_blank_digits(out);
}

/* ---------------------------------------------------------------------
 * json-c trees that may hold the text
 */

static void
json_wipe(struct json_object *o, int depth)
{
	size_t i, n;

	if (o == NULL || depth > 64)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c hands out its own buffer as const. */
		util_wipe((void *)(uintptr_t)json_object_get_string(o),
			  (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			json_wipe(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it))
			json_wipe(json_object_iter_peek_value(&it), depth + 1);
		break;
	}
	default:
		break;
	}
}

void
sms_json_put_wiped(struct json_object *o)
{
	if (o == NULL)
		return;
	json_wipe(o, 0);
	json_object_put(o);
}
