/*
 * sms/httpconf: the http type's keys, checked at configuration time, and
 * every HTTP provider turned into one plain request description: the http
 * type here, a vendor preset through its row (preset.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "../template/template.h"
#include "../util/util.h"
#include "http.h"
#include "vendors.h"

/* Default bodies, in template syntax ("{{" is a literal brace). */
static const char http_body_json[] =
    "{{\"to\":\"{phone}\",\"from\":\"{sender}\",\"text\":\"{message}\"}}";
static const char http_body_form[] = "to={phone}&from={sender}&text={message}";
static const char http_body_text[] = "{message}";

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

/* ---------------------------------------------------------------------
 * Checks of the http type
 */

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
	rc = sms_json_parse(out, strlen(out), &o, why, sizeof(why));
	util_free_secret(out);
	sms_json_put_wiped(o);
	if (rc != SMS_OK) {
		snprintf(err, errlen, "body is not valid JSON for format json "
			 "(a placeholder outside quotes?)");
		return -1;
	}
	return 0;
}

/* Header i (0-based), h: its shape, and the names the module sets. */
static int
http_check_header(const struct sms_provider *p, size_t i, char *err,
		  size_t errlen)
{
	const char *h = p->headers[i], *v;
	char what[32];
	size_t n = h != NULL ? http_header_name_len(h) : 0;

	if (n == 0) {
		snprintf(err, errlen, "header %zu must be \"Name: value\" "
			 "with a token as name", i + 1);
		return -1;
	}
	if (util_has_ctl(h, 1)) {
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
	/* libcurl frames the body itself; a second length would let the two
	 * ends disagree on where the request ends. */
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
	return sms_template_check(what, h, err, errlen);
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
		if (http_check_header(p, i, err, errlen) != 0)
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
		    util_has_ctl(p->username, 0)) {
			snprintf(err, errlen, "username must be non-empty, "
				 "without ':' or control characters");
			return -1;
		}
		if (p->password[0] == '\0' || util_has_ctl(p->password, 0)) {
			snprintf(err, errlen, "password must be non-empty, "
				 "without control characters");
			return -1;
		}
	}
	if (p->bearer != NULL &&
	    (p->bearer[0] == '\0' || strpbrk(p->bearer, " \t") != NULL ||
	     util_has_ctl(p->bearer, 0))) {
		snprintf(err, errlen, "bearer must be non-empty, without white "
			 "space or control characters");
		return -1;
	}
	return 0;
}

/* url, method, format and body. */
static int
http_check_request(const struct sms_provider *p, char *err, size_t errlen)
{
	const char *method;

	if (p->url == NULL) {
		snprintf(err, errlen, "url is required");
		return -1;
	}
	if (sms_url_check(p->url, 1, err, errlen) != 0 ||
	    sms_template_check("url", p->url, err, errlen) != 0)
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
		if (sms_template_check("body", p->body, err, errlen) != 0)
			return -1;
		if (p->format == SMS_FORMAT_JSON &&
		    http_check_json_body(p->body, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* success_status and success_json. */
static int
http_check_success(const struct sms_provider *p, char *err, size_t errlen)
{
	size_t i;

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
	return 0;
}

int
sms_http_check(const struct sms_provider *p, char *err, size_t errlen)
{
	const struct sms_vendor *v = sms_vendor_get(p->type);

	if (v != NULL)
		return sms_vendor_check(p, v, err, errlen);
	if (p->type != SMS_TYPE_HTTP) {
		snprintf(err, errlen, "type is missing or unknown");
		return -1;
	}
	if (http_check_request(p, err, errlen) != 0 ||
	    http_check_auth(p, err, errlen) != 0 ||
	    http_check_headers(p, err, errlen) != 0 ||
	    http_check_success(p, err, errlen) != 0)
		return -1;
	return sms_transport_check(p, err, errlen);
}

/* ---------------------------------------------------------------------
 * The description
 */

/* The http type: the administrator's keys as they are. */
static int
http_describe_own(const struct sms_provider *p, struct sms_http_desc *d,
		  char *err, size_t errlen)
{
	size_t n = 0;

	d->method = http_method(p);
	if (d->method == NULL || p->url == NULL || p->type != SMS_TYPE_HTTP) {
		snprintf(err, errlen, "provider is not checked");
		return SMS_FAILED;
	}
	d->url = p->url;
	d->url_own = 1;
	d->body_enc = http_body_encoding(p->format);
	if (!http_has_header(p, "Content-Type"))
		d->content_type = http_content_type(p->format);
	d->headers = (const char *const *)p->headers;
	d->n_headers = p->headers != NULL ? p->n_headers : 0;
	d->status = p->success_status;
	d->n_status = p->success_status != NULL ? p->n_success_status : 0;
	d->rule = p->success_json;
	d->rule_own = 1;
	if (p->password != NULL)
		d->secrets[n++] = p->password;
	if (p->bearer != NULL)
		d->secrets[n++] = p->bearer;
	d->secrets[n] = NULL;
	if (strcmp(d->method, "GET") != 0 &&
	    (d->body = strdup(http_body_template(p))) == NULL)
		return SMS_ENOMEM;
	if (p->username != NULL && p->password != NULL)
		d->auth = sms_basic_line(p->username, p->password);
	else if (p->bearer != NULL)
		d->auth = sms_concat("Authorization: Bearer ", p->bearer);
	else
		return SMS_OK;
	return d->auth != NULL ? SMS_OK : SMS_ENOMEM;
}

int
sms_http_describe(const struct sms_provider *p, struct sms_http_desc *d,
		  char *err, size_t errlen)
{
	const struct sms_vendor *v = sms_vendor_get(p->type);
	int rc;

	memset(d, 0, sizeof(*d));
	rc = v != NULL ? sms_vendor_describe(p, v, d, err, errlen) :
	    http_describe_own(p, d, err, errlen);
	if (rc != SMS_OK)
		sms_http_desc_free(d);
	return rc;
}

void
sms_http_desc_free(struct sms_http_desc *d)
{
	if (d == NULL)
		return;
	util_free_secret(d->body);
	util_free_secret(d->body_ucs2);
	util_free_secret(d->auth);
	util_wipe(d, sizeof(*d));
}

const struct sms_http_desc *
sms_http_desc_get(const struct sms_provider *p, struct sms_http_desc *tmp,
		  int *rc, char *err, size_t errlen)
{
	memset(tmp, 0, sizeof(*tmp));
	if (p->http != NULL)
		return p->http;
	*rc = sms_http_describe(p, tmp, err, errlen);
	return *rc == SMS_OK ? tmp : NULL;
}
