/*
 * sms/request: a request description and a message into the request on
 * the wire, every value encoded for where it lands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../template/template.h"
#include "../util/util.h"
#include "http.h"

#define REQUEST_MAX_VARS (SMS_REQUEST_VARS + SMS_MAX_CREDS)

static int
request_expand(const char *what, const char *tmpl, const struct tpl_var *vars,
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
request_add(struct sms_http_request *req, const char *a, const char *b)
{
	char *h = sms_concat(a, b);

	if (h == NULL)
		return SMS_ENOMEM;
	req->headers[req->n_headers++] = h;
	return SMS_OK;
}

/* The body, for m's text: the unicode variant when the text needs it. */
static int
request_body(const struct sms_http_desc *d, const struct sms_message *m,
	     const struct tpl_var *vars, size_t nvars,
	     struct sms_http_request *req, char *err, size_t errlen)
{
	const char *tmpl = d->body;

	if (d->body_ucs2 != NULL) {
		struct tpl_sms_info info;

		tpl_sms_info(m->text, &info);
		if (!info.gsm7)
			tmpl = d->body_ucs2;
	}
	return request_expand("body", tmpl, vars, nvars, d->body_enc,
			      &req->body, err, errlen);
}

/* The headers, Content-Type, Authorization or the SigV4 signing. */
static int
request_headers(const struct sms_http_desc *d, const struct tpl_var *vars,
		size_t nvars, struct sms_http_request *req, char *err,
		size_t errlen)
{
	char what[32];
	size_t i;
	int rc;

	req->headers = calloc(d->n_headers + 2, sizeof(*req->headers));
	if (req->headers == NULL)
		return SMS_ENOMEM;
	for (i = 0; i < d->n_headers; i++) {
		snprintf(what, sizeof(what), "header %zu", i + 1);
		rc = request_expand(what, d->headers[i], vars, nvars,
				    TPL_ENC_HEADER, &req->headers[req->n_headers],
				    err, errlen);
		if (rc != SMS_OK)
			return rc;
		req->n_headers++;
	}
	if (req->body != NULL && d->content_type != NULL &&
	    request_add(req, "Content-Type: ", d->content_type) != SMS_OK)
		return SMS_ENOMEM;
	if (d->auth != NULL)
		return request_add(req, d->auth, "");
	if (d->sigv4 == NULL)
		return SMS_OK;
	if (d->sigv4_key == NULL || d->sigv4_secret == NULL) {
		snprintf(err, errlen, "provider is not checked");
		return SMS_FAILED;
	}
	rc = request_expand("sigv4", d->sigv4, vars, nvars, TPL_ENC_NONE,
			    &req->sigv4, err, errlen);
	if (rc != SMS_OK)
		return rc;
	req->sigv4_key_id = strdup(d->sigv4_key);
	req->sigv4_secret = strdup(d->sigv4_secret);
	return req->sigv4_key_id != NULL && req->sigv4_secret != NULL ?
	    SMS_OK : SMS_ENOMEM;
}

int
sms_request_build(const struct sms_http_desc *d, const struct sms_provider *p,
		  const struct sms_message *m, struct sms_http_request *req,
		  char *err, size_t errlen)
{
	struct tpl_var vars[REQUEST_MAX_VARS];
	size_t nvars, i;
	int rc;

	memset(req, 0, sizeof(*req));
	req->method = d->method;
	nvars = sms_request_vars(p, m, vars);
	/* A vendor row's own templates may name its credentials; the
	 * administrator's (url included) only the request placeholders. */
	for (i = 0; i < d->n_vars && nvars < REQUEST_MAX_VARS; i++)
		vars[nvars++] = d->vars[i];
	rc = request_expand("url", d->url, vars, d->url_own ? SMS_REQUEST_VARS :
			    nvars, TPL_ENC_URL, &req->url, err, errlen);
	if (rc != SMS_OK)
		goto fail;
	/* Values are percent-encoded and the host holds no placeholder, so
	 * this cannot fail after sms_provider_check(); checked anyway (a
	 * preset's region is in its host, checked as a region). */
	if (sms_url_check(req->url, 0, err, errlen) != 0) {
		rc = SMS_FAILED;
		goto fail;
	}
	if (d->body != NULL) {
		rc = request_body(d, m, vars, nvars, req, err, errlen);
		if (rc != SMS_OK)
			goto fail;
	}
	rc = request_headers(d, vars, nvars, req, err, errlen);
	if (rc != SMS_OK)
		goto fail;
	return SMS_OK;
fail:
	sms_http_request_free(req);
	return rc;
}

int
sms_http_build(const struct sms_provider *p, const struct sms_message *m,
	       struct sms_http_request *req, char *err, size_t errlen)
{
	struct sms_http_desc tmp;
	const struct sms_http_desc *d;
	int rc = SMS_OK;

	memset(req, 0, sizeof(*req));
	d = sms_http_desc_get(p, &tmp, &rc, err, errlen);
	if (d != NULL)
		rc = sms_request_build(d, p, m, req, err, errlen);
	sms_http_desc_free(&tmp);
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
