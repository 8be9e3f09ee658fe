/*
 * sms/judge: one HTTP answer judged by the description's statuses and
 * rules; what a refusal says is a log-safe excerpt, never the text, the
 * number or a credential.
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

#define JUDGE_MAX_SECRETS (4 + SMS_DESC_MAX_SECRETS)

static int
judge_status_ok(const struct sms_http_desc *d, long status)
{
	size_t i;

	if (d->n_status == 0)
		return status >= 200 && status <= 299;
	for (i = 0; i < d->n_status; i++) {
		if (d->status[i] == status)
			return 1;
	}
	return 0;
}

/* The values an answer must never carry into a log line. */
static void
judge_secrets(const struct sms_http_desc *d, const struct sms_message *m,
	      const char *out[JUDGE_MAX_SECRETS + 1])
{
	size_t n = sms_message_secrets(m, out), i;

	for (i = 0; i < SMS_DESC_MAX_SECRETS && d->secrets[i] != NULL; i++)
		out[n++] = d->secrets[i];
	out[n] = NULL;
}

/* A 2xx answer's own verdict: the JSON rule, a JSON value that must be
 * there, an XML element. */
static int
judge_body(const struct sms_http_desc *d, const char *body, size_t len,
	   char *why, size_t whylen)
{
	int rc;

	if (d->rule != NULL) {
		rc = d->rule_own ? sms_json_match(body, len, d->rule, why, whylen) :
		    sms_json_rule_match(body, len, "", d->rule, why, whylen);
		if (rc != SMS_OK)
			return rc;
	}
	if (d->need_json != NULL) {
		rc = sms_json_present(body, len, d->need_json, why, whylen);
		if (rc != SMS_OK)
			return rc;
	}
	if (d->xml_element != NULL)
		return sms_xml_element(body, len, d->xml_element, why, whylen);
	return SMS_OK;
}

int
sms_answer_judge(const struct sms_http_desc *d, const struct sms_message *m,
		 long status, const char *body, size_t len,
		 char *err, size_t errlen)
{
	const char *secrets[JUDGE_MAX_SECRETS + 1];
	char why[200], ex[SMS_EXCERPT_MAX + 1];
	int rc;

	judge_secrets(d, m, secrets);
	if (status < 100 || status > 599) {
		snprintf(err, errlen, "no valid HTTP status (%ld)", status);
		return SMS_HTTP_REFUSE;
	}
	if (!judge_status_ok(d, status)) {
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
	rc = judge_body(d, body, len, why, sizeof(why));
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

int
sms_http_judge(const struct sms_provider *p, const struct sms_message *m,
	       long status, const char *body, size_t len,
	       char *err, size_t errlen)
{
	struct sms_http_desc tmp;
	const struct sms_http_desc *d;
	int rc = SMS_OK;

	d = sms_http_desc_get(p, &tmp, &rc, err, errlen);
	if (d != NULL)
		rc = sms_answer_judge(d, m, status, body, len, err, errlen);
	else if (rc != SMS_ENOMEM)
		rc = SMS_HTTP_REFUSE;
	sms_http_desc_free(&tmp);
	return rc;
}
