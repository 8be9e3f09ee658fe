/*
 * sms/preset: a vendor row (vendors.c) and a provider's credentials, checked
 * and turned into a plain HTTP request description when the configuration
 * is loaded.  Past this file the HTTP path knows no vendor.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../template/template.h"
#include "../util/util.h"
#include "http.h"
#include "vendors.h"

/* ---------------------------------------------------------------------
 * Checks
 */

/* Keys of the http type, which a vendor row replaces. */
static int
preset_no_http_keys(const struct sms_provider *p, const char *tname,
		    char *err, size_t errlen)
{
	if (p->method != NULL || p->body != NULL || p->n_headers > 0 ||
	    p->username != NULL || p->password != NULL || p->bearer != NULL ||
	    p->n_success_status > 0 || p->success_json != NULL) {
		snprintf(err, errlen, "method, body, headers, username, password, "
			 "bearer, success_status and success_json are for type "
			 "http; %s has its own", tname);
		return -1;
	}
	return 0;
}

/* Every required credential, each named when missing; then no empty one
 * and none with a control character: a credential goes into a URL path, a
 * body or a header. */
static int
preset_creds(const struct sms_provider *p, const struct sms_vendor *v,
	     const char *tname, char *err, size_t errlen)
{
	const char *req[SMS_MAX_CREDS], *missing[SMS_MAX_CREDS];
	char names[128], gone[128];
	size_t i, n_req = 0, n_missing = 0;

	for (i = 0; i < SMS_MAX_CREDS && v->creds[i].name != NULL; i++) {
		if ((v->creds[i].flags & SMS_CRED_REQUIRED) == 0)
			continue;
		req[n_req++] = v->creds[i].name;
		const char *c = sms_vendor_value(p, &v->creds[i]);

		if (c == NULL || c[0] == '\0')
			missing[n_missing++] = v->creds[i].name;
	}
	if (n_missing > 0) {
		sms_join_names(req, n_req, " and ", names, sizeof(names));
		sms_join_names(missing, n_missing, " and ", gone, sizeof(gone));
		snprintf(err, errlen, "%s needs %s (%s %s missing)", tname, names,
			 gone, n_missing == 1 ? "is" : "are");
		return -1;
	}
	for (i = 0; i < SMS_MAX_CREDS && v->creds[i].name != NULL; i++) {
		const char *c = sms_vendor_value(p, &v->creds[i]);

		if (c != NULL && (c[0] == '\0' || util_has_ctl(c, 0))) {
			snprintf(err, errlen, "%s must be non-empty, without "
				 "control characters", v->creds[i].name);
			return -1;
		}
	}
	/* Basic sends "user:pass": a ':' in the user would move the split. */
	if (v->auth == SMS_AUTH_BASIC &&
	    strchr(sms_vendor_cred(p, v->basic_user), ':') != NULL) {
		snprintf(err, errlen, "%s must not contain ':'", v->basic_user);
		return -1;
	}
	return 0;
}

static int
preset_sender(const struct sms_provider *p, const struct sms_vendor *v,
	      const char *tname, char *err, size_t errlen)
{
	if (p->sender != NULL && (p->sender[0] == '\0' ||
				  util_has_ctl(p->sender, 0))) {
		snprintf(err, errlen, "sender must be non-empty, without control "
			 "characters");
		return -1;
	}
	if (v->sender == SMS_SENDER_REQUIRED && p->sender == NULL) {
		snprintf(err, errlen, "%s needs sender (the number or name "
			 "the SMS comes from)", tname);
		return -1;
	}
	if (v->sender == SMS_SENDER_OR_CRED &&
	    (p->sender == NULL) == (sms_vendor_cred(p, v->sender_alt) == NULL)) {
		snprintf(err, errlen, "%s needs either sender or %s%s", tname,
			 v->sender_alt, p->sender != NULL ? ", not both" : "");
		return -1;
	}
	return 0;
}

/* A credential's own rule: one of a list, or an AWS region (it lands in
 * the host name and the signature scope). */
static int
preset_cred_rule(const struct sms_cred *c, const char *val, char *err,
		 size_t errlen)
{
	char list[128];
	size_t i, n;

	switch (c->rule) {
	case SMS_CRED_CHOICE:
		if (val == NULL)
			return 0;	/* the default */
		for (n = 0; c->choices[n] != NULL; n++) {
			if (strcmp(val, c->choices[n]) == 0)
				return 0;
		}
		list[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", i > 0 ? ", " : "", c->choices[i]);
		snprintf(err, errlen, "%s must be one of %s", c->name, list);
		return -1;
	case SMS_CRED_AWS_REGION:
		n = val != NULL ? strspn(val, "abcdefghijklmnopqrstuvwxyz0123456789-") : 0;
		if (val == NULL || n == 0 || val[n] != '\0' || n > 32 ||
		    !isalpha((unsigned char)val[0])) {
			snprintf(err, errlen, "%s must be an AWS region such as "
				 "us-east-1 (a-z, 0-9, '-')", c->name);
			return -1;
		}
		return 0;
	case SMS_CRED_ANY:
	default:
		return 0;
	}
}

/*
 * A preset: its credentials (each named when missing), the sender rule,
 * each credential's own rule, and a url that replaces its endpoint.
 */
int
sms_vendor_check(const struct sms_provider *p, const struct sms_vendor *v,
		 char *err, size_t errlen)
{
	const char *tname = v->name;
	size_t i;

	if (preset_no_http_keys(p, tname, err, errlen) != 0 ||
	    preset_creds(p, v, tname, err, errlen) != 0 ||
	    preset_sender(p, v, tname, err, errlen) != 0)
		return -1;
	for (i = 0; i < SMS_MAX_CREDS && v->creds[i].name != NULL; i++) {
		if (preset_cred_rule(&v->creds[i],
				     sms_vendor_value(p, &v->creds[i]), err,
				     errlen) != 0)
			return -1;
	}
	if (p->url != NULL) {
		if (sms_url_check(p->url, 1, err, errlen) != 0)
			return -1;
		if (sms_template_check("url", p->url, err, errlen) != 0)
			return -1;
	}
	return sms_transport_check(p, err, errlen);
}

/* ---------------------------------------------------------------------
 * The description
 */

/* The body template for this sender and text kind: the parts whose
 * condition holds, in order.  NULL when out of memory. */
static char *
preset_body(const struct sms_vendor *v, const struct sms_provider *p, int gsm7)
{
	size_t i, n = 0, used = 0;
	char *t;

	for (i = 0; i < SMS_VENDOR_MAX_PARTS; i++)
		n += v->body[i].tmpl != NULL ? strlen(v->body[i].tmpl) : 0;
	t = malloc(n + 1);
	if (t == NULL)
		return NULL;
	for (i = 0; i < SMS_VENDOR_MAX_PARTS && v->body[i].when != SMS_PART_END;
	     i++) {
		enum sms_part_when w = v->body[i].when;
		int use = (w == SMS_PART_SENDER && p->sender != NULL) ||
		    (w == SMS_PART_NO_SENDER && p->sender == NULL) ||
		    (w == SMS_PART_GSM7 && gsm7) || (w == SMS_PART_UCS2 && !gsm7) ||
		    w == SMS_PART_ALWAYS;

		if (use && v->body[i].tmpl != NULL) {
			/* t has room for all parts (n counted them) */
			size_t len = strlen(v->body[i].tmpl);

			memcpy(t + used, v->body[i].tmpl, len);
			used += len;
		}
	}
	t[used] = '\0';
	return t;
}

static int
preset_has_ucs2_part(const struct sms_vendor *v)
{
	size_t i;

	for (i = 0; i < SMS_VENDOR_MAX_PARTS; i++) {
		if (v->body[i].when == SMS_PART_UCS2 || v->body[i].when == SMS_PART_GSM7)
			return 1;
	}
	return 0;
}

char *
sms_basic_line(const char *user, const char *pass)
{
	static const char pre[] = "Authorization: Basic ";
	size_t lu = strlen(user), lp = strlen(pass), n = lu + 1 + lp;
	unsigned char *raw;
	char *h;

	if (n > INT_MAX / 2)
		return NULL;
	raw = malloc(n);
	h = malloc(sizeof(pre) + 4 * ((n + 2) / 3) + 1);
	if (raw == NULL || h == NULL) {
		free(raw);
		free(h);
		return NULL;
	}
	memcpy(raw, user, lu);
	raw[lu] = ':';
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes */
	memcpy(raw + lu + 1, pass, lp);
	memcpy(h, pre, sizeof(pre) - 1);
	EVP_EncodeBlock((unsigned char *)h + sizeof(pre) - 1, raw, (int)n);
	util_wipe(raw, n);
	free(raw);
	return h;
}

/* The credentials as values the row's templates name, and the secret
 * ones into d->secrets, the longer first (one may begin with another). */
static void
preset_vars(const struct sms_provider *p, const struct sms_vendor *v,
	    struct sms_http_desc *d)
{
	size_t i, j, n = 0;

	for (i = 0; i < SMS_MAX_CREDS && v->creds[i].name != NULL; i++) {
		const char *val = sms_vendor_cred(p, v->creds[i].name);

		d->vars[d->n_vars].name = v->creds[i].name;
		d->vars[d->n_vars++].value = val;
		if ((v->creds[i].flags & SMS_CRED_SECRET) == 0 || val == NULL)
			continue;
		for (j = n; j > 0 && strlen(d->secrets[j - 1]) < strlen(val); j--)
			d->secrets[j] = d->secrets[j - 1];
		d->secrets[j] = val;
		n++;
	}
	d->secrets[n] = NULL;
}

int
sms_vendor_describe(const struct sms_provider *p, const struct sms_vendor *v,
		    struct sms_http_desc *d, char *err, size_t errlen)
{
	size_t i;

	d->method = "POST";
	d->url = p->url != NULL ? p->url : v->url;
	d->url_own = p->url != NULL;
	d->body_enc = v->format == SMS_FORMAT_FORM ? TPL_ENC_FORM : TPL_ENC_JSON;
	d->content_type = v->format == SMS_FORMAT_FORM ?
	    "application/x-www-form-urlencoded" : "application/json; charset=utf-8";
	for (i = 0; i < SMS_VENDOR_MAX_HEADERS && v->headers[i] != NULL; i++)
		;
	d->headers = v->headers;
	d->n_headers = i;
	d->own_status = v->status;
	d->status = &d->own_status;
	d->n_status = 1;
	d->rule = v->success_json;
	d->need_json = v->need_json;
	d->xml_element = v->xml_element;
	preset_vars(p, v, d);
	if (v->auth == SMS_AUTH_SIGV4) {
		d->sigv4 = v->sigv4;
		d->sigv4_key = sms_vendor_cred(p, v->sigv4_key);
		d->sigv4_secret = sms_vendor_cred(p, v->sigv4_secret);
	}
	if (v->auth == SMS_AUTH_BASIC && (sms_vendor_cred(p, v->basic_user) == NULL ||
					  sms_vendor_cred(p, v->basic_pass) == NULL)) {
		snprintf(err, errlen, "provider is not checked");
		return SMS_FAILED;
	}
	d->body = preset_body(v, p, 1);
	if (d->body == NULL)
		return SMS_ENOMEM;
	if (preset_has_ucs2_part(v) && (d->body_ucs2 = preset_body(v, p, 0)) == NULL)
		return SMS_ENOMEM;
	if (v->auth == SMS_AUTH_BASIC &&
	    (d->auth = sms_basic_line(sms_vendor_cred(p, v->basic_user),
				    sms_vendor_cred(p, v->basic_pass))) == NULL)
		return SMS_ENOMEM;
	return SMS_OK;
}
