/*
 * sms: the provider list, failover and the checks common to every type.
 * The top of sms/: it calls down into the types (file.c, command.c, the
 * HTTP path through isolate.c) and nothing calls back into it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "http.h"
#include "isolate.h"
#include "types.h"
#include "sms.h"
#include "vendors.h"

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

int
sms_provider_prepare(struct sms_provider *p, char *err, size_t errlen)
{
	struct sms_http_desc *d;
	int rc;

	if (sms_provider_check(p, err, errlen) != 0)
		return -1;
	if (p->type != SMS_TYPE_HTTP && !sms_type_is_vendor(p->type))
		return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	rc = sms_http_describe(p, d, err, errlen);
	if (rc != SMS_OK) {
		free(d);
		if (rc == SMS_ENOMEM)
			snprintf(err, errlen, "out of memory");
		return rc == SMS_ENOMEM ? -2 : -1;
	}
	sms_http_desc_free(p->http);
	free(p->http);
	p->http = d;
	return 0;
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

/*
 * One provider's turn: its attempt, logged.  SMS_OK, SMS_ENOMEM,
 * SMS_EBROKEN when the failover must stop there, or SMS_FAILED to go on
 * (*broken set when it broke before anything left).  *left gathers
 * whether the message may have left, over the turns.
 */
static int
provider_turn(const struct sms_provider *p, const struct sms_message *m,
	      struct sms_sender *sender, const struct smsotp_log *log,
	      struct sms_result *res, int *left, int *broken)
{
	const char *name = p->name != NULL ? p->name : "(unnamed)";
	int rc;

	res->provider = name;
	res->status = 0;
	res->error[0] = '\0';
	res->left = 0;
	rc = sms_send_one(p, m, sender, log, res);
	*left |= res->left;
	res->left = *left;
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
		/* Broken off without a verdict: the message may be out, and
		 * whoever broke it off must not get a second provider (or
		 * failmode=open) for it. */
		smsotp_logf(log, LOG_WARNING, "sms: provider '%s': %s; "
			    "no other provider is tried", name, res->error);
		return SMS_EBROKEN;
	}
	/* Broken before anything left (the send process or the program
	 * could not be started): the next provider may go, but the end is
	 * no verdict either. */
	*broken |= rc != SMS_FAILED;
	/* res->error names the HTTP status when there was one. */
	smsotp_logf(log, LOG_WARNING, "sms: provider '%s' failed: %s",
		    name, res->error);
	return SMS_FAILED;
}

static int
send_through(struct sms_provider *const *list, size_t n,
	     const struct sms_message *m, struct sms_sender *sender,
	     const struct smsotp_log *log, struct sms_result *res)
{
	size_t i;
	int left = 0, broken = 0, rc;

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
		if (list[i] == NULL)
			continue;
		rc = provider_turn(list[i], m, sender, log, res, &left, &broken);
		if (rc != SMS_FAILED)
			return rc;
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
	sms_vendor_free_creds(p);
	if (p->http != NULL) {
		sms_http_desc_free(p->http);
		free(p->http);
	}
	util_wipe(p, sizeof(*p));
	free(p);
}
