/*
 * sms/http: any HTTP(S) SMS API described by templates, over libcurl
 * (curl.c).
 *
 * One send of one provider: expand url, body and headers; then up to
 * 1 + retries exchanges on one easy handle, all inside the provider's
 * timeout; then judge the answer by status and success_json.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>
#include <openssl/evp.h>

#include "../template/template.h"
#include "provider.h"
#include "sms.h"

/* First pause between tries; doubled after each. */
#define HTTP_BACKOFF_MS 250L
/* No retry is started with less time than this left after the pause. */
#define HTTP_MIN_TRY_MS 100L

#define HTTP_LOOPBACK_ERR "url must be https:// (http:// only to a loopback address)"

/* Default bodies, in template syntax ("{{" is a literal brace). */
static const char http_body_json[] =
    "{{\"to\":\"{phone}\",\"from\":\"{sender}\",\"text\":\"{message}\"}}";
static const char http_body_form[] = "to={phone}&from={sender}&text={message}";
static const char http_body_text[] = "{message}";

/* ---------------------------------------------------------------------
 * Configuration checks
 */

static int
http_has_ctl(const char *s, int allow_tab)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
			return 1;
	}
	return 0;
}

static int
http_is_loopback(const char *host, size_t len, int bracketed)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (bracketed)
		return inet_pton(AF_INET6, buf, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	if (strcasecmp(buf, "localhost") == 0)
		return 1;
	/* inet_pton takes only the dotted quad, so "127.1", "0177.0.0.1" or
	 * "2130706433" (which some resolvers read as loopback) are refused:
	 * failing closed is the safe direction here. */
	return inet_pton(AF_INET, buf, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

int
sms_url_check(const char *url, int tmpl, char *err, size_t errlen)
{
	const char *a, *end, *at, *h, *hend, *port;
	size_t i, n_at = 0;
	int is_http, bracketed = 0;

	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "url is required");
		return -1;
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		a = url + 8;
		is_http = 0;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		a = url + 7;
		is_http = 1;
	} else {
		snprintf(err, errlen, HTTP_LOOPBACK_ERR);
		return -1;
	}
	for (i = 0; url[i] != '\0'; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c == 0x7f) {
			snprintf(err, errlen, "url must not contain white space "
				 "or control characters");
			return -1;
		}
	}
	/* The authority ends where curl's parser ends it. */
	end = a + strcspn(a, "/?#");
	for (h = a; h < end; h++) {
		if (*h == '{' || *h == '}') {
			snprintf(err, errlen, tmpl ? "url must not have a "
				 "placeholder in its host part" :
				 "url host is not valid");
			return -1;
		}
		if (*h == '\\') {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
		if (*h == '@')
			n_at++;
	}
	/* user@host is fine, but "http://127.0.0.1@evil/" names evil, and
	 * two '@' are read differently by different parsers: refused. */
	if (n_at > 1) {
		snprintf(err, errlen, "url host is not valid (more than one '@')");
		return -1;
	}
	at = n_at == 1 ? memchr(a, '@', (size_t)(end - a)) : NULL;
	h = at != NULL ? at + 1 : a;
	if (h < end && *h == '[') {
		bracketed = 1;
		h++;
		hend = memchr(h, ']', (size_t)(end - h));
		if (hend == NULL) {
			snprintf(err, errlen, "url host is not valid (no ']')");
			return -1;
		}
		port = hend + 1;
		if (port < end && *port != ':') {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
	} else {
		hend = memchr(h, ':', (size_t)(end - h));
		if (hend == NULL)
			hend = end;
		port = hend;
	}
	if (hend == h) {
		snprintf(err, errlen, "url has no host");
		return -1;
	}
	if (bracketed) {
		char buf[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;
		size_t len = (size_t)(hend - h);

		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
		memcpy(buf, h, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1) {
			snprintf(err, errlen, "url host is not a valid IPv6 address");
			return -1;
		}
	} else {
		for (i = 0; h + i < hend; i++) {
			unsigned char c = (unsigned char)h[i];

			if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
				snprintf(err, errlen, "url host is not valid");
				return -1;
			}
		}
	}
	if (port < end) {
		unsigned long pn = 0;
		const char *d;

		for (d = port + 1; d < end; d++) {
			if (*d < '0' || *d > '9' || pn > 65535) {
				pn = 0;
				break;
			}
			pn = pn * 10 + (unsigned long)(*d - '0');
		}
		if (pn == 0 || pn > 65535) {
			snprintf(err, errlen, "url port is not valid");
			return -1;
		}
	}
	if (is_http && !http_is_loopback(h, (size_t)(hend - h), bracketed)) {
		snprintf(err, errlen, HTTP_LOOPBACK_ERR);
		return -1;
	}
	return 0;
}

/* RFC 9110 token characters. */
static int
http_is_tchar(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Length of the name of a "Name: value" line, 0 when it has not that
 * shape. */
static size_t
http_header_name_len(const char *h)
{
	size_t n = 0;

	while (http_is_tchar((unsigned char)h[n]))
		n++;
	return n > 0 && h[n] == ':' ? n : 0;
}

static int
http_header_is(const char *h, const char *name)
{
	size_t n = http_header_name_len(h);

	return n == strlen(name) && strncasecmp(h, name, n) == 0;
}

static int
http_has_header(const struct sms_provider *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_headers; i++) {
		if (p->headers[i] != NULL && http_header_is(p->headers[i], name))
			return 1;
	}
	return 0;
}

/* The method to use, or NULL when it is not one the module speaks. */
static const char *
http_method(const struct sms_provider *p)
{
	if (p->method == NULL || strcasecmp(p->method, "POST") == 0)
		return "POST";
	if (strcasecmp(p->method, "PUT") == 0)
		return "PUT";
	if (strcasecmp(p->method, "GET") == 0)
		return "GET";
	return NULL;
}

static const char *
http_body_template(const struct sms_provider *p)
{
	if (p->body != NULL)
		return p->body;
	switch (p->format) {
	case SMS_FORMAT_FORM:
		return http_body_form;
	case SMS_FORMAT_TEXT:
		return http_body_text;
	case SMS_FORMAT_JSON:
	default:
		return http_body_json;
	}
}

static enum tpl_encoding
http_body_encoding(enum sms_format format)
{
	switch (format) {
	case SMS_FORMAT_FORM:
		return TPL_ENC_FORM;
	case SMS_FORMAT_TEXT:
		return TPL_ENC_NONE;
	case SMS_FORMAT_JSON:
	default:
		return TPL_ENC_JSON;
	}
}

static const char *
http_content_type(enum sms_format format)
{
	switch (format) {
	case SMS_FORMAT_FORM:
		return "application/x-www-form-urlencoded";
	case SMS_FORMAT_TEXT:
		return "text/plain; charset=utf-8";
	case SMS_FORMAT_JSON:
	default:
		return "application/json; charset=utf-8";
	}
}

static int
http_check_template(const char *what, const char *tmpl, char *err,
		    size_t errlen)
{
	char why[200];

	why[0] = '\0';
	if (tpl_check(tmpl, sms_request_placeholders,
		      sms_n_request_placeholders, 0, why, sizeof(why)) != TPL_OK) {
		snprintf(err, errlen, "%s: %s", what, why[0] != '\0' ? why :
			 "not a valid template");
		return -1;
	}
	return 0;
}

static int json_parse_whole(const char *s, size_t len, struct json_object **out,
			    char *err, size_t errlen);

/*
 * A json body is expanded once with sample values and parsed: a
 * placeholder outside quotes or a missing comma is found now, not at the
 * first login.  The samples need escaping, so a value that would break
 * out of its string shows.
 */
static int
http_check_json_body(const char *body, char *err, size_t errlen)
{
	const struct tpl_var vars[] = {
		{ "phone", "+15555550100" },
		{ "phone_digits", "15555550100" },
		{ "message", "Code \"1234\"\n\\ {x}" },
		{ "sender", "Sender" },
	};
	struct json_object *o = NULL;
	char *out = NULL, why[160];
	int rc;

	rc = tpl_expand(body, vars, sizeof(vars) / sizeof(vars[0]),
			TPL_ENC_JSON, 0, &out, why, sizeof(why));
	if (rc != TPL_OK) {
		/* ENOMEM at configuration time is reported by the caller as a
		 * refusal: the check fails closed. */
		snprintf(err, errlen, "body: %s", rc == TPL_ENOMEM ?
			 "out of memory" : why);
		return -1;
	}
	rc = json_parse_whole(out, strlen(out), &o, why, sizeof(why));
	util_free_secret(out);
	sms_json_put_wiped(o);
	if (rc != SMS_OK) {
		snprintf(err, errlen, "body is not valid JSON for format json "
			 "(a placeholder outside quotes?)");
		return -1;
	}
	return 0;
}

static int
http_check_headers(const struct sms_provider *p, char *err, size_t errlen)
{
	size_t i;

	if (p->n_headers > 0 && p->headers == NULL) {
		snprintf(err, errlen, "headers are missing");
		return -1;
	}
	for (i = 0; i < p->n_headers; i++) {
		const char *h = p->headers[i], *v;
		char what[32];
		size_t n;

		n = h != NULL ? http_header_name_len(h) : 0;
		if (n == 0) {
			snprintf(err, errlen, "header %zu must be \"Name: value\" "
				 "with a token as name", i + 1);
			return -1;
		}
		if (http_has_ctl(h, 1)) {
			snprintf(err, errlen, "header %zu must not contain "
				 "control characters", i + 1);
			return -1;
		}
		for (v = h + n + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (*v == '\0') {
			snprintf(err, errlen, "header %zu has no value", i + 1);
			return -1;
		}
		/* libcurl frames the body itself; a second length would let
		 * the two ends disagree on where the request ends. */
		if (http_header_is(h, "Content-Length") ||
		    http_header_is(h, "Transfer-Encoding")) {
			snprintf(err, errlen, "header %zu: %.*s is set by the "
				 "module", i + 1, (int)n, h);
			return -1;
		}
		if (http_header_is(h, "Authorization") &&
		    (p->username != NULL || p->bearer != NULL)) {
			snprintf(err, errlen, "header %zu: Authorization clashes "
				 "with username/password or bearer", i + 1);
			return -1;
		}
		snprintf(what, sizeof(what), "header %zu", i + 1);
		if (http_check_template(what, h, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
http_check_auth(const struct sms_provider *p, char *err, size_t errlen)
{
	if ((p->username == NULL) != (p->password == NULL)) {
		snprintf(err, errlen, "username and password go together");
		return -1;
	}
	if (p->username != NULL && p->bearer != NULL) {
		snprintf(err, errlen, "use either username and password "
			 "(Basic) or bearer, not both");
		return -1;
	}
	if (p->username != NULL) {
		/* Basic sends "user:password": a ':' in the name would move
		 * the split, and no credential may break a header line. */
		if (p->username[0] == '\0' || strchr(p->username, ':') != NULL ||
		    http_has_ctl(p->username, 0)) {
			snprintf(err, errlen, "username must be non-empty, "
				 "without ':' or control characters");
			return -1;
		}
		if (p->password[0] == '\0' || http_has_ctl(p->password, 0)) {
			snprintf(err, errlen, "password must be non-empty, "
				 "without control characters");
			return -1;
		}
	}
	if (p->bearer != NULL &&
	    (p->bearer[0] == '\0' || strpbrk(p->bearer, " \t") != NULL ||
	     http_has_ctl(p->bearer, 0))) {
		snprintf(err, errlen, "bearer must be non-empty, without white "
			 "space or control characters");
		return -1;
	}
	return 0;
}

/* "a", "a and b", "a, b and c" into out. */
static void
http_join_names(const char *const *names, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < outlen; i++) {
		int k = snprintf(out + o, outlen - o, "%s%s",
				 i == 0 ? "" : i + 1 == n ? " and " : ", ",
				 names[i]);

		if (k < 0)
			break;
		o += (size_t)k;
	}
}

static int
http_check_region(const struct sms_provider *p, const struct sms_preset *ps,
		  char *err, size_t errlen)
{
	const char *r = p->region;
	size_t i, n;

	switch (ps->region) {
	case SMS_REGION_SINCH:
		if (r == NULL)
			return 0;	/* the default, "us" */
		for (i = 0; i < sms_n_sinch_regions; i++) {
			if (strcmp(r, sms_sinch_regions[i]) == 0)
				return 0;
		}
		snprintf(err, errlen, "region must be one of us, eu, au, br, ca");
		return -1;
	case SMS_REGION_AWS:
		/* It lands in the host name and the signature scope. */
		n = r != NULL ? strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") : 0;
		if (r == NULL || n == 0 || r[n] != '\0' || n > 32 ||
		    !isalpha((unsigned char)r[0])) {
			snprintf(err, errlen, "region must be an AWS region such as "
				 "us-east-1 (a-z, 0-9, '-')");
			return -1;
		}
		return 0;
	case SMS_REGION_NONE:
	default:
		return 0;
	}
}

/*
 * A preset: its credentials (each named when missing), the sender rule,
 * the region, and a url that replaces its endpoint.
 */
static int
http_check_preset(const struct sms_provider *p, const struct sms_preset *ps,
		  char *err, size_t errlen)
{
	const char *tname = sms_type_name(p->type), *missing[SMS_PRESET_MAX_CREDS];
	char names[128], gone[128];
	size_t i, n_req = 0, n_missing = 0;

	if (p->method != NULL || p->body != NULL || p->n_headers > 0 ||
	    p->username != NULL || p->password != NULL || p->bearer != NULL ||
	    p->n_success_status > 0 || p->success_json != NULL) {
		snprintf(err, errlen, "method, body, headers, username, password, "
			 "bearer, success_status and success_json are for type "
			 "http; %s has its own", tname);
		return -1;
	}
	for (i = 0; i < SMS_PRESET_MAX_CREDS && ps->creds[i] != NULL; i++) {
		const char *v = sms_preset_cred(p, ps->creds[i]);

		n_req++;
		if (v == NULL || v[0] == '\0')
			missing[n_missing++] = ps->creds[i];
	}
	if (n_missing > 0) {
		http_join_names(ps->creds, n_req, names, sizeof(names));
		http_join_names(missing, n_missing, gone, sizeof(gone));
		snprintf(err, errlen, "%s needs %s (%s %s missing)", tname, names,
			 gone, n_missing == 1 ? "is" : "are");
		return -1;
	}
	/* A credential goes into a URL path, a body or a header: none may
	 * carry a line break or another control character. */
	for (i = 0; i < sms_n_preset_creds; i++) {
		const char *v = sms_preset_cred(p, sms_preset_creds[i]);

		if (v != NULL && (v[0] == '\0' || http_has_ctl(v, 0))) {
			snprintf(err, errlen, "%s must be non-empty, without "
				 "control characters", sms_preset_creds[i]);
			return -1;
		}
	}
	/* Basic sends "user:pass": a ':' in the user would move the split. */
	if (ps->auth == SMS_AUTH_BASIC &&
	    strchr(sms_preset_cred(p, ps->basic_user), ':') != NULL) {
		snprintf(err, errlen, "%s must not contain ':'", ps->basic_user);
		return -1;
	}
	if (p->sender != NULL && (p->sender[0] == '\0' ||
				  http_has_ctl(p->sender, 0))) {
		snprintf(err, errlen, "sender must be non-empty, without control "
			 "characters");
		return -1;
	}
	switch (ps->sender) {
	case SMS_SENDER_REQUIRED:
		if (p->sender == NULL) {
			snprintf(err, errlen, "%s needs sender (the number or name "
				 "the SMS comes from)", tname);
			return -1;
		}
		break;
	case SMS_SENDER_OR_MSID:
		if ((p->sender == NULL) == (p->messaging_service_sid == NULL)) {
			snprintf(err, errlen, "%s needs either sender or "
				 "messaging_service_sid%s", tname,
				 p->sender != NULL ? ", not both" : "");
			return -1;
		}
		break;
	case SMS_SENDER_OPTIONAL:
	default:
		break;
	}
	if (http_check_region(p, ps, err, errlen) != 0)
		return -1;
	if (p->url != NULL) {
		if (sms_url_check(p->url, 1, err, errlen) != 0)
			return -1;
		if (http_check_template("url", p->url, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* The keys every type over HTTP shares. */
static int
http_check_transport(const struct sms_provider *p, char *err, size_t errlen)
{
	if ((p->ca_file != NULL && p->ca_file[0] != '/') ||
	    (p->ca_path != NULL && p->ca_path[0] != '/')) {
		snprintf(err, errlen, "ca_file and ca_path must be absolute paths");
		return -1;
	}
	if (p->proxy != NULL && http_has_ctl(p->proxy, 0)) {
		snprintf(err, errlen, "proxy must not contain control characters");
		return -1;
	}
	/* Plain http is allowed because it stays on this machine; through a
	 * proxy it would not. */
	if (p->proxy != NULL && p->url != NULL &&
	    strncasecmp(p->url, "http://", 7) == 0) {
		snprintf(err, errlen, "an http:// url cannot go through a proxy");
		return -1;
	}
	return 0;
}

int
sms_http_check(const struct sms_provider *p, char *err, size_t errlen)
{
	const struct sms_preset *ps = sms_preset_get(p->type);
	const char *method;
	size_t i;

	if (ps != NULL) {
		if (http_check_preset(p, ps, err, errlen) != 0)
			return -1;
		return http_check_transport(p, err, errlen);
	}
	if (p->type != SMS_TYPE_HTTP) {
		snprintf(err, errlen, "type is missing or unknown");
		return -1;
	}
	if (p->url == NULL) {
		snprintf(err, errlen, "url is required");
		return -1;
	}
	if (sms_url_check(p->url, 1, err, errlen) != 0)
		return -1;
	if (http_check_template("url", p->url, err, errlen) != 0)
		return -1;
	method = http_method(p);
	if (method == NULL) {
		snprintf(err, errlen, "method must be POST, PUT or GET");
		return -1;
	}
	if (p->format != SMS_FORMAT_JSON && p->format != SMS_FORMAT_FORM &&
	    p->format != SMS_FORMAT_TEXT) {
		snprintf(err, errlen, "format must be json, form or text");
		return -1;
	}
	if (p->body != NULL && strcmp(method, "GET") == 0) {
		snprintf(err, errlen, "body is not allowed with method GET "
			 "(put the fields into the url)");
		return -1;
	}
	if (p->body != NULL) {
		if (http_check_template("body", p->body, err, errlen) != 0)
			return -1;
		if (p->format == SMS_FORMAT_JSON &&
		    http_check_json_body(p->body, err, errlen) != 0)
			return -1;
	}
	if (http_check_auth(p, err, errlen) != 0)
		return -1;
	if (http_check_headers(p, err, errlen) != 0)
		return -1;
	if (p->n_success_status > 0 && p->success_status == NULL) {
		snprintf(err, errlen, "success_status is missing");
		return -1;
	}
	for (i = 0; i < p->n_success_status; i++) {
		if (p->success_status[i] < 100 || p->success_status[i] > 599) {
			snprintf(err, errlen, "success_status %ld is not an HTTP "
				 "status (100..599)", p->success_status[i]);
			return -1;
		}
	}
	if (p->success_json != NULL &&
	    sms_json_rule_check(p->success_json, err, errlen) != 0)
		return -1;
	return http_check_transport(p, err, errlen);
}

/* ---------------------------------------------------------------------
 * success_json
 */

int
sms_json_rule_check(const char *rule, char *err, size_t errlen)
{
	const char *eq, *s;

	eq = rule != NULL ? strchr(rule, '=') : NULL;
	if (eq == NULL || eq == rule) {
		snprintf(err, errlen, "success_json must be \"path=value\", "
			 "e.g. \"messages.0.status=0\"");
		return -1;
	}
	if (http_has_ctl(rule, 0)) {
		snprintf(err, errlen, "success_json must not contain control "
			 "characters");
		return -1;
	}
	/* "status = 0" would look for a key "status " forever. */
	if (rule[0] == ' ' || eq[-1] == ' ') {
		snprintf(err, errlen, "success_json path must not begin or end "
			 "with a space");
		return -1;
	}
	for (s = rule; s < eq; s++) {
		if (*s == '.' && (s == rule || s + 1 == eq || s[1] == '.')) {
			snprintf(err, errlen, "success_json path has an empty "
				 "segment");
			return -1;
		}
	}
	return 0;
}

/* Overwrite every string of a parsed answer: it may echo the text. */
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

static int
json_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Parse s[0..len) as exactly one JSON value (white space around it is
 * fine).  SMS_OK with *out (possibly NULL for "null"), SMS_FAILED with
 * err, SMS_ENOMEM.
 */
static int
json_parse_whole(const char *s, size_t len, struct json_object **out,
		 char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end, i;

	*out = NULL;
	for (i = 0; i < len && json_is_ws(s[i]); i++)
		;
	if (i == len) {
		snprintf(err, errlen, "answer is empty, not JSON");
		return SMS_FAILED;
	}
	if (len > INT_MAX) {
		snprintf(err, errlen, "answer is too large");
		return SMS_FAILED;
	}
	tok = json_tokener_new();
	if (tok == NULL)
		return SMS_ENOMEM;
	/* Strict: a provider's garbage must not pass as an answer.  Trailing
	 * data is checked below, to allow a final newline. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* All of s was read but json-c cannot know that a top-level
		 * number or literal has ended: a NUL says so.  Anything still
		 * open (a string, an object) is an error then. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success)
			jerr = json_tokener_continue;
		end = len;
	}
	json_tokener_free(tok);
	if (jerr == json_tokener_continue) {
		sms_json_put_wiped(o);
		snprintf(err, errlen, "answer is truncated JSON");
		return SMS_FAILED;
	}
	if (jerr != json_tokener_success) {
		sms_json_put_wiped(o);
		snprintf(err, errlen, "answer is not valid JSON (%s)",
			 json_tokener_error_desc(jerr));
		return SMS_FAILED;
	}
	for (i = end; i < len; i++) {
		if (!json_is_ws(s[i])) {
			sms_json_put_wiped(o);
			snprintf(err, errlen, "answer has data after the JSON value");
			return SMS_FAILED;
		}
	}
	*out = o;
	return SMS_OK;
}

static const char *
json_type_word(enum json_type t)
{
	switch (t) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	default:
		return "a value";
	}
}

/* Does leaf equal value: a string by content, anything else by its JSON
 * text ("0", "1.5", "true", "null").  1 yes, 0 no (err says what it is). */
static int
json_leaf_matches(struct json_object *leaf, const char *what, const char *path,
		  const char *value, char *err, size_t errlen)
{
	enum json_type t = json_object_get_type(leaf);
	const char *s;
	size_t n;

	if (t == json_type_object || t == json_type_array) {
		snprintf(err, errlen, "%s%s is %s, not a value", what, path,
			 json_type_word(t));
		return 0;
	}
	if (t == json_type_string) {
		s = json_object_get_string(leaf);
		n = (size_t)json_object_get_string_len(leaf);
	} else if (t == json_type_null) {
		s = "null";
		n = 4;
	} else {
		s = json_object_to_json_string_ext(leaf, JSON_C_TO_STRING_PLAIN);
		if (s == NULL)
			s = "";
		n = strlen(s);
	}
	if (n == strlen(value) && memcmp(s, value, n) == 0)
		return 1;
	snprintf(err, errlen, "%s%s is %s%.*s%s, not \"%s\"", what, path,
		 t == json_type_string ? "\"" : "", n > 40 ? 40 : (int)n, s,
		 n > 40 ? "..." : (t == json_type_string ? "\"" : ""), value);
	return 0;
}

/* Where a walk down a path is, for messages: the way so far, with the
 * index in place of each "*". */
struct json_walk {
	const char *what;	/* "success_json: " for the admin's rule */
	const char *value;	/* NULL: any non-empty value (presence) */
	char where[160];
	char *err;
	size_t errlen;
};

static void
json_where_add(struct json_walk *w, const char *seg, size_t *save)
{
	size_t n = strlen(w->where);

	*save = n;
	snprintf(w->where + n, sizeof(w->where) - n, "%s%s", n > 0 ? "." : "",
		 seg);
}

/* Is leaf a value worth calling present: a non-empty string, array or
 * object, a number or a boolean (not null)? */
static int
json_leaf_present(struct json_object *leaf, struct json_walk *w)
{
	switch (json_object_get_type(leaf)) {
	case json_type_null:
		break;
	case json_type_string:
		if (json_object_get_string_len(leaf) > 0)
			return 1;
		break;
	case json_type_array:
		if (json_object_array_length(leaf) > 0)
			return 1;
		break;
	case json_type_object:
		if (json_object_object_length(leaf) > 0)
			return 1;
		break;
	default:
		return 1;
	}
	snprintf(w->err, w->errlen, "%sthe answer's %s is empty", w->what,
		 w->where);
	return 0;
}

/*
 * Walk cur down path (segments separated by dots, modified in place and
 * put back); at the end, match the leaf.  A "*" walks every element of an
 * array.  SMS_OK or SMS_FAILED with w->err.
 */
static int
json_walk(struct json_object *cur, char *path, struct json_walk *w)
{
	enum json_type t = json_object_get_type(cur);
	struct json_object *child = NULL;
	char *seg = path, *next;
	size_t save, i, n;
	int rc;

	if (path == NULL) {
		if (w->value == NULL)
			return json_leaf_present(cur, w) ? SMS_OK : SMS_FAILED;
		return json_leaf_matches(cur, w->what, w->where, w->value,
					 w->err, w->errlen) ? SMS_OK : SMS_FAILED;
	}
	next = strchr(seg, '.');
	if (next != NULL)
		*next = '\0';
	json_where_add(w, seg, &save);
	rc = SMS_FAILED;
	if (strcmp(seg, "*") == 0) {
		/* Every element must match: one refused message in a batch is
		 * a refused SMS.  No element at all is no accepted one. */
		if (t != json_type_array) {
			snprintf(w->err, w->errlen, "%sthe answer's %.*s is "
				 "not an array", w->what, (int)save, w->where);
			goto out;
		}
		n = json_object_array_length(cur);
		if (n == 0) {
			snprintf(w->err, w->errlen, "%sthe answer's %.*s is "
				 "an empty array", w->what, (int)save, w->where);
			goto out;
		}
		for (i = 0; i < n; i++) {
			char idx[24];
			size_t inner;

			w->where[save] = '\0';
			snprintf(idx, sizeof(idx), "%zu", i);
			json_where_add(w, idx, &inner);
			rc = json_walk(json_object_array_get_idx(cur, i),
				       next != NULL ? next + 1 : NULL, w);
			if (rc != SMS_OK)
				goto out;
		}
		goto out;
	}
	if (t == json_type_object) {
		if (!json_object_object_get_ex(cur, seg, &child)) {
			snprintf(w->err, w->errlen, "%sthe answer "
				 "has no %s", w->what, w->where);
			goto out;
		}
	} else if (t == json_type_array) {
		size_t digits = strspn(seg, "0123456789");
		unsigned long idx;

		if (digits == 0 || seg[digits] != '\0' || digits > 9) {
			snprintf(w->err, w->errlen, "%sthe answer has no %s "
				 "(\"%s\" is not an array index)", w->what,
				 w->where, seg);
			goto out;
		}
		idx = strtoul(seg, NULL, 10);
		if (idx >= json_object_array_length(cur)) {
			snprintf(w->err, w->errlen, "%sthe answer has "
				 "no %s (index out of range)", w->what, w->where);
			goto out;
		}
		child = json_object_array_get_idx(cur, idx);
	} else {
		snprintf(w->err, w->errlen, "%sthe answer has no %s (a value "
			 "where an object or array was expected)", w->what,
			 w->where);
		goto out;
	}
	rc = json_walk(child, next != NULL ? next + 1 : NULL, w);
out:
	if (next != NULL)
		*next = '.';
	return rc;
}

static int
json_match_path(const char *body, size_t len, const char *what,
		const char *path, size_t plen, const char *value, char *err,
		size_t errlen)
{
	struct json_object *root = NULL;
	struct json_walk w;
	char *copy;
	int rc;

	rc = json_parse_whole(body != NULL ? body : "", body != NULL ? len : 0,
			      &root, err, errlen);
	if (rc != SMS_OK)
		return rc;
	copy = strndup(path, plen);
	if (copy == NULL) {
		sms_json_put_wiped(root);
		return SMS_ENOMEM;
	}
	memset(&w, 0, sizeof(w));
	w.what = what;
	w.value = value;
	w.err = err;
	w.errlen = errlen;
	rc = json_walk(root, copy, &w);
	free(copy);
	sms_json_put_wiped(root);
	return rc;
}

int
sms_json_match(const char *body, size_t len, const char *rule,
	       char *err, size_t errlen)
{
	const char *eq;

	if (sms_json_rule_check(rule, err, errlen) != 0)
		return SMS_FAILED;
	eq = strchr(rule, '=');
	return json_match_path(body, len, "success_json: ", rule,
			       (size_t)(eq - rule), eq + 1, err, errlen);
}

int
sms_json_present(const char *body, size_t len, const char *path,
		 char *err, size_t errlen)
{
	if (path == NULL || path[0] == '\0' || strchr(path, '*') != NULL) {
		snprintf(err, errlen, "no valid path");
		return SMS_FAILED;
	}
	return json_match_path(body, len, "", path, strlen(path), NULL, err,
			       errlen);
}

/* ---------------------------------------------------------------------
 * XML answers (AWS): one element's text, no parser needed
 */

int
sms_xml_element(const char *body, size_t len, const char *name,
		char *err, size_t errlen)
{
	char open[64], close[64];
	const char *a, *b, *end;
	size_t i, lo, lc;

	if (body == NULL)
		len = 0;
	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	lo = strlen(open);
	lc = strlen(close);
	a = body != NULL && len >= lo ? memmem(body, len, open, lo) : NULL;
	if (a == NULL) {
		snprintf(err, errlen, "the answer has no <%s>", name);
		return SMS_FAILED;
	}
	a += lo;
	end = body + len;
	b = memmem(a, (size_t)(end - a), close, lc);
	if (b == NULL) {
		snprintf(err, errlen, "the answer's <%s> is not closed", name);
		return SMS_FAILED;
	}
	while (a < b && isspace((unsigned char)*a))
		a++;
	if (a == b) {
		snprintf(err, errlen, "the answer's <%s> is empty", name);
		return SMS_FAILED;
	}
	for (i = 0; a + i < b; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c < 0x20 || c == 0x7f || c == '<' || c == '&') {
			snprintf(err, errlen, "the answer's <%s> is not a plain "
				 "text", name);
			return SMS_FAILED;
		}
	}
	return SMS_OK;
}

/* ---------------------------------------------------------------------
 * The request
 */

static int
http_expand(const char *what, const char *tmpl, const struct tpl_var *vars,
	    size_t nvars, enum tpl_encoding enc, char **out, char *err,
	    size_t errlen)
{
	char why[200];
	int rc;

	why[0] = '\0';
	rc = tpl_expand(tmpl, vars, nvars, enc, 0, out, why, sizeof(why));
	if (rc == TPL_OK && *out != NULL)
		return SMS_OK;
	if (rc == TPL_ENOMEM)
		return SMS_ENOMEM;
	/* why names a column, never a value. */
	snprintf(err, errlen, "%s: %s", what, why[0] != '\0' ? why :
		 "cannot be expanded");
	return SMS_FAILED;
}

static int
http_add_header(struct sms_http_request *req, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *h = malloc(la + lb + 1);

	if (h == NULL)
		return SMS_ENOMEM;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): b's copy ends it */
	memcpy(h, a, la);
	memcpy(h + la, b, lb + 1);
	req->headers[req->n_headers++] = h;
	return SMS_OK;
}

/* "Authorization: Basic base64(user:pass)" as a new header line. */
static int
http_add_basic(struct sms_http_request *req, const char *user,
	       const char *pass)
{
	static const char pre[] = "Authorization: Basic ";
	size_t lu = strlen(user), lp = strlen(pass), n = lu + 1 + lp, o;
	unsigned char *raw;
	char *h;

	if (n > INT_MAX / 2)
		return SMS_ENOMEM;
	raw = malloc(n);
	h = malloc(sizeof(pre) + 4 * ((n + 2) / 3) + 1);
	if (raw == NULL || h == NULL) {
		free(raw);
		free(h);
		return SMS_ENOMEM;
	}
	memcpy(raw, user, lu);
	raw[lu] = ':';
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes */
	memcpy(raw + lu + 1, pass, lp);
	o = sizeof(pre) - 1;
	memcpy(h, pre, o);
	EVP_EncodeBlock((unsigned char *)h + o, raw, (int)n);
	util_wipe(raw, n);
	free(raw);
	req->headers[req->n_headers++] = h;
	return SMS_OK;
}

/* The body template of a preset for this provider and text: the parts
 * whose condition holds, in order. */
static int
http_preset_body(const struct sms_preset *ps, const struct sms_provider *p,
		 const struct sms_message *m, char **out)
{
	struct tpl_sms_info info;
	size_t i, n = 0, used = 0;
	char *t;

	tpl_sms_info(m->text, &info);
	for (i = 0; i < SMS_PRESET_MAX_PARTS; i++)
		n += ps->body[i].tmpl != NULL ? strlen(ps->body[i].tmpl) : 0;
	t = malloc(n + 1);
	if (t == NULL)
		return SMS_ENOMEM;
	t[0] = '\0';
	for (i = 0; i < SMS_PRESET_MAX_PARTS && ps->body[i].when != SMS_PART_END;
	     i++) {
		int use;

		switch (ps->body[i].when) {
		case SMS_PART_SENDER:
			use = p->sender != NULL;
			break;
		case SMS_PART_NO_SENDER:
			use = p->sender == NULL;
			break;
		case SMS_PART_GSM7:
			use = info.gsm7;
			break;
		case SMS_PART_UCS2:
			use = !info.gsm7;
			break;
		case SMS_PART_ALWAYS:
		default:
			use = 1;
			break;
		}
		if (use && ps->body[i].tmpl != NULL) {
			/* t has room for all parts (n counted them) */
			size_t len = strlen(ps->body[i].tmpl);

			memcpy(t + used, ps->body[i].tmpl, len);
			used += len;
		}
	}
	t[used] = '\0';
	*out = t;
	return SMS_OK;
}

static char *
http_dup(const char *s, int *nomem)
{
	char *d = strdup(s);

	if (d == NULL)
		*nomem = 1;
	return d;
}

/* Signing by libcurl: its parameter and the key pair. */
static int
http_add_sigv4(struct sms_http_request *req, const struct sms_preset *ps,
	       const struct sms_provider *p, const struct tpl_var *vars,
	       size_t nvars, char *err, size_t errlen)
{
	int nomem = 0, rc;

	rc = http_expand("sigv4", ps->sigv4, vars, nvars, TPL_ENC_NONE,
			 &req->sigv4, err, errlen);
	if (rc != SMS_OK)
		return rc;
	req->sigv4_key_id = http_dup(sms_preset_cred(p, "access_key_id"), &nomem);
	req->sigv4_secret = http_dup(sms_preset_cred(p, "secret_access_key"),
				     &nomem);
	return nomem ? SMS_ENOMEM : SMS_OK;
}

#define HTTP_MAX_VARS 16

int
sms_http_build(const struct sms_provider *p, const struct sms_message *m,
	       struct sms_http_request *req, char *err, size_t errlen)
{
	const struct sms_preset *ps = sms_preset_get(p->type);
	struct tpl_var vars[HTTP_MAX_VARS];
	enum sms_format format = ps != NULL ? ps->format : p->format;
	char what[32], *tmpl = NULL;
	size_t i, nvars, n_hdr;
	int rc;

	memset(req, 0, sizeof(*req));
	req->method = ps != NULL ? "POST" : http_method(p);
	if (req->method == NULL || (ps == NULL && (p->url == NULL ||
	    p->type != SMS_TYPE_HTTP)) ||
	    SMS_REQUEST_VARS + sms_n_preset_creds > HTTP_MAX_VARS) {
		snprintf(err, errlen, "provider is not checked");
		return SMS_FAILED;
	}
	nvars = sms_request_vars(p, m, vars);
	/* A preset's own templates may name its credentials; the admin's
	 * templates (url included) only the four request placeholders. */
	for (i = 0; ps != NULL && i < sms_n_preset_creds; i++) {
		vars[nvars].name = sms_preset_creds[i];
		vars[nvars].value = sms_preset_cred(p, sms_preset_creds[i]);
		nvars++;
	}

	if (p->url != NULL)
		rc = http_expand("url", p->url, vars, SMS_REQUEST_VARS,
				 TPL_ENC_URL, &req->url, err, errlen);
	else
		rc = http_expand("url", ps->url, vars, nvars, TPL_ENC_URL,
				 &req->url, err, errlen);
	if (rc != SMS_OK)
		goto fail;
	/* Values are percent-encoded and the host holds no placeholder, so
	 * this cannot fail after sms_provider_check(); checked anyway (a
	 * preset's region is in its host, checked as a region). */
	if (sms_url_check(req->url, 0, err, errlen) != 0) {
		rc = SMS_FAILED;
		goto fail;
	}
	if (strcmp(req->method, "GET") != 0) {
		if (ps != NULL) {
			rc = http_preset_body(ps, p, m, &tmpl);
			if (rc != SMS_OK)
				goto fail;
		}
		rc = http_expand("body", ps != NULL ? tmpl : http_body_template(p),
				 vars, nvars, http_body_encoding(format),
				 &req->body, err, errlen);
		util_free_secret(tmpl);
		if (rc != SMS_OK)
			goto fail;
	}
	/* The headers, Content-Type, Authorization. */
	n_hdr = p->n_headers;
	if (ps != NULL) {
		for (n_hdr = 0; n_hdr < SMS_PRESET_MAX_HEADERS &&
		     ps->headers[n_hdr] != NULL; n_hdr++)
			;
	}
	req->headers = calloc(n_hdr + 2, sizeof(*req->headers));
	if (req->headers == NULL) {
		rc = SMS_ENOMEM;
		goto fail;
	}
	for (i = 0; i < n_hdr; i++) {
		snprintf(what, sizeof(what), "header %zu", i + 1);
		rc = http_expand(what, ps != NULL ? ps->headers[i] : p->headers[i],
				 vars, nvars, TPL_ENC_HEADER,
				 &req->headers[req->n_headers], err, errlen);
		if (rc != SMS_OK)
			goto fail;
		req->n_headers++;
	}
	if (req->body != NULL && (ps != NULL ||
				  !http_has_header(p, "Content-Type"))) {
		rc = http_add_header(req, "Content-Type: ",
				     http_content_type(format));
		if (rc != SMS_OK)
			goto fail;
	}
	if (ps != NULL && ps->auth == SMS_AUTH_BASIC)
		rc = http_add_basic(req, sms_preset_cred(p, ps->basic_user),
				    sms_preset_cred(p, ps->basic_pass));
	else if (ps != NULL && ps->auth == SMS_AUTH_SIGV4)
		rc = http_add_sigv4(req, ps, p, vars, nvars, err, errlen);
	else if (p->username != NULL && p->password != NULL)
		rc = http_add_basic(req, p->username, p->password);
	else if (p->bearer != NULL)
		rc = http_add_header(req, "Authorization: Bearer ", p->bearer);
	if (rc != SMS_OK)
		goto fail;
	return SMS_OK;
fail:
	sms_http_request_free(req);
	return rc;
}

void
sms_http_request_free(struct sms_http_request *req)
{
	size_t i;

	if (req == NULL)
		return;
	util_free_secret(req->url);
	util_free_secret(req->body);
	for (i = 0; req->headers != NULL && i < req->n_headers; i++)
		util_free_secret(req->headers[i]);
	free(req->headers);
	util_free_secret(req->sigv4);
	util_free_secret(req->sigv4_key_id);
	util_free_secret(req->sigv4_secret);
	memset(req, 0, sizeof(*req));
}

/* ---------------------------------------------------------------------
 * Judging an answer
 */

static int
http_status_ok(const struct sms_provider *p, long status)
{
	size_t i;

	if (p->n_success_status == 0)
		return status >= 200 && status <= 299;
	for (i = 0; i < p->n_success_status; i++) {
		if (p->success_status[i] == status)
			return 1;
	}
	return 0;
}

#define HTTP_MAX_SECRETS 16

/* The values an answer must never carry into a log line. */
static void
http_secrets(const struct sms_provider *p, const struct sms_message *m,
	     const char *out[HTTP_MAX_SECRETS])
{
	static const char *const keys[] = { "auth_token", "api_secret",
		"api_key", "access_key", "api_token", "secret_access_key" };
	size_t n = 0, i;

	if (m != NULL && m->text != NULL)
		out[n++] = m->text;
	if (m != NULL && m->secret != NULL)
		out[n++] = m->secret;
	if (m != NULL && m->phone != NULL) {
		out[n++] = m->phone;	/* before its digits: longer first */
		if (m->phone[0] == '+')
			out[n++] = m->phone + 1;
	}
	if (p->password != NULL)
		out[n++] = p->password;
	if (p->bearer != NULL)
		out[n++] = p->bearer;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = sms_preset_cred(p, keys[i]);

		if (v != NULL)
			out[n++] = v;
	}
	out[n] = NULL;
}

/* A 2xx answer's own verdict: p's success_json, or a preset's rules. */
static int
http_judge_body(const struct sms_provider *p, const struct sms_preset *ps,
		const char *body, size_t len, char *why, size_t whylen)
{
	int rc;

	if (ps == NULL)
		return p->success_json == NULL ? SMS_OK :
		    sms_json_match(body, len, p->success_json, why, whylen);
	if (ps->success_json != NULL) {
		const char *eq = strchr(ps->success_json, '=');

		rc = json_match_path(body, len, "", ps->success_json,
				     (size_t)(eq - ps->success_json), eq + 1,
				     why, whylen);
		if (rc != SMS_OK)
			return rc;
	}
	if (ps->need_json != NULL) {
		rc = sms_json_present(body, len, ps->need_json, why, whylen);
		if (rc != SMS_OK)
			return rc;
	}
	if (ps->xml_element != NULL)
		return sms_xml_element(body, len, ps->xml_element, why, whylen);
	return SMS_OK;
}

int
sms_http_judge(const struct sms_provider *p, const struct sms_message *m,
	       long status, const char *body, size_t len,
	       char *err, size_t errlen)
{
	const struct sms_preset *ps = sms_preset_get(p->type);
	const char *secrets[HTTP_MAX_SECRETS];
	char why[200], ex[SMS_EXCERPT_MAX + 1];
	int rc, ok;

	http_secrets(p, m, secrets);
	if (status < 100 || status > 599) {
		snprintf(err, errlen, "no valid HTTP status (%ld)", status);
		return SMS_HTTP_REFUSE;
	}
	ok = ps != NULL ? status == ps->status : http_status_ok(p, status);
	if (!ok) {
		sms_excerpt(body, body != NULL ? len : 0, secrets, ex, sizeof(ex));
		if (status >= 300 && status <= 399)
			snprintf(err, errlen, "HTTP %ld (redirects are not "
				 "followed): %s", status, ex);
		else
			snprintf(err, errlen, "HTTP %ld: %s", status,
				 ex[0] != '\0' ? ex : "(empty answer)");
		if (status == 429 || status >= 500)
			return SMS_HTTP_RETRY;
		return SMS_HTTP_REFUSE;
	}
	why[0] = '\0';
	rc = http_judge_body(p, ps, body, len, why, sizeof(why));
	if (rc == SMS_OK)
		return SMS_HTTP_ACCEPT;
	if (rc == SMS_ENOMEM)
		return SMS_ENOMEM;
	/* Never the whole answer here: a 2xx answer often echoes the text,
	 * so only the reason (with the value found, blanked if secret). */
	sms_excerpt(why, strlen(why), secrets, ex, sizeof(ex));
	snprintf(err, errlen, "HTTP %ld, not accepted: %s", status, ex);
	return SMS_HTTP_REFUSE;
}

/* ---------------------------------------------------------------------
 * The transport: libcurl (curl.c), or the unit tests' stand-in
 */

static sms_http_exchange_fn http_exchange_hook;
static void *http_exchange_hook_ud;

void
sms_http_set_exchange(sms_http_exchange_fn fn, void *ud)
{
	http_exchange_hook = fn;
	http_exchange_hook_ud = ud;
}

/* ---------------------------------------------------------------------
 * One send, with retries inside the provider's timeout
 */

static void
http_sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
http_answer_free(struct sms_http_answer *ans)
{
	if (ans->body != NULL) {
		util_wipe(ans->body, ans->len);
		free(ans->body);
	}
	memset(ans, 0, sizeof(*ans));
}

int
sms_http_send(const struct sms_provider *p, const struct sms_message *m,
	      const struct smsotp_log *log, struct sms_result *res)
{
	struct sms_http_request req;
	struct sms_curl *hc = NULL;
	sms_http_exchange_fn exchange = sms_curl_exchange;
	void *ud;
	long deadline, left, delay = HTTP_BACKOFF_MS, tries;
	char why[sizeof(res->error)];
	int rc;

	why[0] = '\0';
	rc = sms_http_build(p, m, &req, why, sizeof(why));
	if (rc != SMS_OK) {
		util_strlcpy(res->error, why, sizeof(res->error));
		return rc;
	}
	if (http_exchange_hook != NULL) {
		exchange = http_exchange_hook;
		ud = http_exchange_hook_ud;
	} else {
		hc = sms_curl_new();
		if (hc == NULL) {
			sms_http_request_free(&req);
			util_strlcpy(res->error, "out of memory", sizeof(res->error));
			return SMS_ENOMEM;
		}
		ud = hc;
	}
	deadline = util_now_ms() + p->timeout * 1000;
	rc = SMS_FAILED;
	res->left = 0;
	for (tries = 1;; tries++) {
		struct sms_http_answer ans;
		long pause = delay, ra = 0;
		int retry = 0, v;

		left = deadline - util_now_ms();
		if (left <= 0) {
			if (tries == 1)
				snprintf(res->error, sizeof(res->error),
					 "no time left (timeout %ld s)", p->timeout);
			break;
		}
		memset(&ans, 0, sizeof(ans));
		why[0] = '\0';
		rc = exchange(ud, p, &req, left,
			      p->connect_timeout * 1000 < left ?
			      p->connect_timeout * 1000 : left,
			      &ans, &retry, why, sizeof(why));
		/* an answer means it arrived; else the exchange says */
		if (rc == SMS_OK || !ans.never_left)
			res->left = 1;
		res->status = ans.status;
		if (ans.status == 429 || ans.status == 503)
			ra = ans.retry_after;
		if (rc == SMS_OK) {
			v = sms_http_judge(p, m, ans.status, ans.body, ans.len,
					   why, sizeof(why));
			http_answer_free(&ans);
			if (v == SMS_ENOMEM) {
				rc = SMS_ENOMEM;
				break;
			}
			if (v == SMS_HTTP_ACCEPT) {
				res->error[0] = '\0';
				break;
			}
			retry = v == SMS_HTTP_RETRY;
			rc = SMS_FAILED;
		} else {
			http_answer_free(&ans);
			if (rc != SMS_ENOMEM)
				rc = SMS_FAILED;
		}
		if (rc == SMS_ENOMEM)
			break;
		util_strlcpy(res->error, why[0] != '\0' ? why : "failed",
			     sizeof(res->error));
		if (!retry || tries > p->retries)
			break;
		/* The provider asked for a pause: a try before it ends would
		 * only be refused again.  One that does not fit the budget
		 * ends this provider's turn; the next one in the list goes. */
		if (ra > 0 && ra * 1000 > pause)
			pause = ra * 1000;
		left = deadline - util_now_ms();
		if (left < pause + HTTP_MIN_TRY_MS) {
			if (ra > 0) {
				size_t n = strlen(res->error);

				snprintf(res->error + n, sizeof(res->error) - n,
					 " (Retry-After %ld s: beyond the "
					 "timeout)", ra);
				smsotp_logf(log, LOG_INFO, "sms: provider '%s' "
					    "asks to wait %ld s, more than the "
					    "time left: giving up on it", p->name,
					    ra);
			} else {
				smsotp_logf(log, LOG_DEBUG, "sms: provider '%s': "
					    "no time left for another try",
					    p->name);
			}
			break;
		}
		smsotp_logf(log, LOG_INFO, "sms: provider '%s': try %ld failed "
			    "(%s), trying again in %ld ms", p->name, tries,
			    res->error, pause);
		http_sleep_ms(pause);
		delay *= 2;
	}
	sms_curl_free(hc);
	sms_http_request_free(&req);
	return rc;
}
