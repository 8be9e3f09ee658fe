/*
 * sms: the provider list, failover and the checks common to every type.
 * The request itself is in http.c and file.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../template/template.h"
#include "isolate.h"
#include "provider.h"
#include "sms.h"

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

static const char *const type_names[SMS_TYPE_COUNT] = {
	[SMS_TYPE_HTTP] = "http",
	[SMS_TYPE_FILE] = "file",
	[SMS_TYPE_COMMAND] = "command",
	[SMS_TYPE_TWILIO] = "twilio",
	[SMS_TYPE_VONAGE] = "vonage",
	[SMS_TYPE_MESSAGEBIRD] = "messagebird",
	[SMS_TYPE_PLIVO] = "plivo",
	[SMS_TYPE_SINCH] = "sinch",
	[SMS_TYPE_INFOBIP] = "infobip",
	[SMS_TYPE_CLICKATELL] = "clickatell",
	[SMS_TYPE_AWS_SNS] = "aws_sns",
};

const char *
sms_type_name(enum sms_type type)
{
	if ((int)type <= 0 || type >= SMS_TYPE_COUNT)
		return "none";
	return type_names[type];
}

enum sms_type
sms_type_from_name(const char *name)
{
	int t;

	for (t = 1; name != NULL && t < SMS_TYPE_COUNT; t++) {
		if (strcmp(name, type_names[t]) == 0)
			return (enum sms_type)t;
	}
	return SMS_TYPE_NONE;
}

int
sms_provider_check(const struct sms_provider *p, char *err, size_t errlen)
{
	if (p == NULL) {
		snprintf(err, errlen, "no provider");
		return -1;
	}
	if (p->name == NULL || p->name[0] == '\0') {
		snprintf(err, errlen, "name is required");
		return -1;
	}
	/* Both bounds matter at send time: timeout * 1000 must not overflow
	 * and connect_timeout must fit into the budget of one try. */
	if (p->timeout < 1 || p->timeout > 3600) {
		snprintf(err, errlen, "timeout must be 1..3600 seconds");
		return -1;
	}
	if (p->connect_timeout < 1 || p->connect_timeout > p->timeout) {
		snprintf(err, errlen, "connect_timeout must be 1..timeout seconds");
		return -1;
	}
	if (p->retries < 0 || p->retries > 5) {
		snprintf(err, errlen, "retries must be 0..5");
		return -1;
	}
	switch (p->type) {
	case SMS_TYPE_FILE:
		return sms_file_check(p, err, errlen);
	case SMS_TYPE_COMMAND:
		return sms_command_check(p, err, errlen);
	case SMS_TYPE_NONE:
	case SMS_TYPE_COUNT:
		break;
	default:
		/* http and every vendor preset */
		return sms_http_check(p, err, errlen);
	}
	snprintf(err, errlen, "type is missing or unknown");
	return -1;
}

/* "+" and 8..15 digits: anything else never reaches a URL or a file. */
static int
sms_phone_ok(const char *phone)
{
	size_t n;

	if (phone == NULL || phone[0] != '+')
		return 0;
	n = strspn(phone + 1, "0123456789");
	return phone[1 + n] == '\0' && n >= 8 && n <= 15;
}

static void
sms_replace(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	while (n > 0 && *o + 1 < outlen) {
		out[(*o)++] = *s++;
		n--;
	}
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
		const char *const *s;
		size_t slen = 0;

		/* A provider's error answer may echo the request: the number,
		 * the text (and with it the code), a key.  Secrets shorter
		 * than 4 bytes are skipped: they would blank out noise. */
		for (s = secrets; s != NULL && *s != NULL; s++) {
			size_t n = strlen(*s);

			if (n >= 4 && n <= len - i &&
			    memcmp(text + i, *s, n) == 0) {
				slen = n;
				break;
			}
		}
		if (slen > 0) {
			sms_replace(out, cap + 1, &o, "***", 3);
			i += slen;
			continue;
		}
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): both arms are chars */
		out[o++] = text[i] == '\0' ? '?' : text[i];
		i++;
	}
	/* Never end inside a UTF-8 sequence cut by the cap. */
	if (i < len && o > 0) {
		size_t k = o, need;
		unsigned char lead;

		while (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0xc0) == 0xc0) {
			lead = (unsigned char)out[k - 1];
			need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (o - (k - 1) < need)
				o = k - 1;
		}
	}
	out[o] = '\0';
	util_sanitize(out);
	/* A provider may echo a number or a code in a form no secret
	 * matches (reformatted, escaped, cut): digit runs are blanked. */
	util_blank_digits(out);
}

static int
sms_send_one(const struct sms_provider *p, const struct sms_message *m,
	     struct sms_sender *sender, const struct smsotp_log *log,
	     struct sms_result *res)
{
	char why[sizeof(res->error) - 32];

	/* Checked again here, so that a provider the configuration layer
	 * failed to check can never send over plain http to the world. */
	if (sms_provider_check(p, why, sizeof(why)) != 0) {
		snprintf(res->error, sizeof(res->error),
			 "configuration refused: %s", why);
		return SMS_FAILED;
	}
	switch (p->type) {
	case SMS_TYPE_FILE:
		return sms_file_send(p, m, log, res);
	case SMS_TYPE_COMMAND:
		return sms_command_send(p, m, log, res);
	case SMS_TYPE_NONE:
	case SMS_TYPE_COUNT:
		break;
	default:
		/* http and every vendor preset: one HTTP path, in a child of
		 * its own (isolate.c says why), given the provider's whole
		 * timeout and a little more to report before it is killed. */
		return sms_isolated(sender, p, m, log, res,
				    p->timeout * 1000 + 2000);
	}
	snprintf(res->error, sizeof(res->error), "unknown provider type");
	return SMS_FAILED;
}

static int
send_through(struct sms_provider *const *list, size_t n,
	     const struct sms_message *m, struct sms_sender *sender,
	     const struct smsotp_log *log, struct sms_result *res)
{
	size_t i;
	int left = 0, broken = 0;

	res->provider = NULL;
	res->status = 0;
	res->error[0] = '\0';
	res->left = 0;
	if (m == NULL || m->text == NULL || !sms_phone_ok(m->phone)) {
		snprintf(res->error, sizeof(res->error),
			 "not a valid message or E.164 number");
		smsotp_logf(log, LOG_WARNING, "sms: %s", res->error);
		return SMS_FAILED;
	}
	if (list == NULL || n == 0) {
		snprintf(res->error, sizeof(res->error), "no provider configured");
		smsotp_logf(log, LOG_WARNING, "sms: %s", res->error);
		return SMS_FAILED;
	}
	for (i = 0; i < n; i++) {
		const struct sms_provider *p = list[i];
		const char *name;
		int rc;

		if (p == NULL)
			continue;
		name = p->name != NULL ? p->name : "(unnamed)";
		res->provider = name;
		res->status = 0;
		res->error[0] = '\0';
		res->left = 0;
		rc = sms_send_one(p, m, sender, log, res);
		left |= res->left;
		res->left = left;
		if (rc == SMS_ENOMEM) {
			snprintf(res->error, sizeof(res->error), "out of memory");
			smsotp_logf(log, LOG_ERR, "sms: provider '%s': out of memory",
				    name);
			return SMS_ENOMEM;
		}
		if (rc == SMS_OK) {
			if (res->status != 0)
				smsotp_logf(log, LOG_DEBUG, "sms: provider '%s' "
					    "accepted the message (HTTP %ld)",
					    name, res->status);
			else
				smsotp_logf(log, LOG_DEBUG, "sms: provider '%s' "
					    "accepted the message", name);
			return SMS_OK;
		}
		/* Fail closed: anything but SMS_OK is a failure. */
		if (res->error[0] == '\0')
			snprintf(res->error, sizeof(res->error), "failed");
		if (rc != SMS_FAILED && res->left) {
			/* Broken off without a verdict: the message may be
			 * out, and whoever broke it off must not get a
			 * second provider (or failmode=open) for it. */
			smsotp_logf(log, LOG_WARNING, "sms: provider '%s': %s; "
				    "no other provider is tried", name, res->error);
			return SMS_EBROKEN;
		}
		/* Broken before anything left (the send process or the
		 * program could not be started): the next provider may
		 * go, but the end is no verdict either. */
		broken |= rc != SMS_FAILED;
		/* res->error names the HTTP status when there was one. */
		smsotp_logf(log, LOG_WARNING, "sms: provider '%s' failed: %s",
			    name, res->error);
	}
	if (res->provider == NULL)
		snprintf(res->error, sizeof(res->error), "no provider configured");
	return broken ? SMS_EBROKEN : SMS_FAILED;
}

int
sms_send(struct sms_provider *const *list, size_t n,
	 const struct sms_message *m, struct sms_sender *sender,
	 const struct smsotp_log *log, struct sms_result *res)
{
	int rc = send_through(list, n, m, sender, log, res);

	sms_sender_done(sender);
	return rc;
}

void
sms_provider_free(struct sms_provider *p)
{
	size_t i;

	if (p == NULL)
		return;
	/* Any of these may carry a key (a URL query, a header, a body), so
	 * all of them are wiped, not only password and bearer. */
	util_free_secret(p->name);
	util_free_secret(p->url);
	util_free_secret(p->ca_file);
	util_free_secret(p->ca_path);
	util_free_secret(p->proxy);
	util_free_secret(p->sender);
	util_free_secret(p->method);
	util_free_secret(p->body);
	for (i = 0; p->headers != NULL && i < p->n_headers; i++)
		util_free_secret(p->headers[i]);
	free(p->headers);
	util_free_secret(p->username);
	util_free_secret(p->password);
	util_free_secret(p->bearer);
	free(p->success_status);
	util_free_secret(p->success_json);
	util_free_secret(p->path);
	for (i = 0; p->argv != NULL && i < p->n_argv; i++)
		util_free_secret(p->argv[i]);
	free(p->argv);
	util_free_secret(p->account_sid);
	util_free_secret(p->auth_token);
	util_free_secret(p->messaging_service_sid);
	util_free_secret(p->api_key);
	util_free_secret(p->api_secret);
	util_free_secret(p->access_key);
	util_free_secret(p->auth_id);
	util_free_secret(p->service_plan_id);
	util_free_secret(p->api_token);
	util_free_secret(p->region);
	util_free_secret(p->access_key_id);
	util_free_secret(p->secret_access_key);
	util_wipe(p, sizeof(*p));
	free(p);
}
