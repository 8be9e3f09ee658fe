/*
 * fuzz_response: the judges of a provider's answer (sms/provider.h).
 * The input is an HTTP answer body.  It goes through sms_json_match with
 * several rules (messages.*.status=0 among them), sms_json_present,
 * sms_xml_element, sms_excerpt, and sms_http_judge for every provider type
 * (the http type with and without success_json, every vendor preset), both
 * with the status that type accepts and with a status taken from the
 * first input byte.  Providers are filled by hand with the credentials each
 * preset names, so the judges' secret blanking runs too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms/provider.h"
#include "sms/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct sms_provider providers[SMS_TYPE_COUNT + 2];
static size_t n_providers;
static long ok_200_201[] = { 200, 201 };

static const struct sms_message msg = {
	.phone = "+447700900123",
	.text = "Your code is 123456",
	.secret = "123456",
};

/* A stand-in value for credential name. */
static const char *
cred_value(const char *name, enum sms_type type)
{
	static const char *const values[][2] = {
		{ "account_sid", "ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
		{ "auth_token", "secret-auth-token" },
		{ "api_key", "secret-api-key" },
		{ "api_secret", "secret-api-secret" },
		{ "access_key", "secret-access-key" },
		{ "auth_id", "MAxxxxxxxxxxxxxxxxxx" },
		{ "service_plan_id", "plan-id" },
		{ "api_token", "secret-api-token" },
		{ "access_key_id", "AKIAxxxxxxxxxxxxxxxx" },
		{ "secret_access_key", "secret-secret-access-key" },
	};
	size_t i;

	if (strcmp(name, "region") == 0)
		return type == SMS_TYPE_AWS_SNS ? "eu-west-1" : NULL;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		if (strcmp(values[i][0], name) == 0)
			return values[i][1];
	}
	return NULL;
}

static void
add(enum sms_type type)
{
	struct sms_provider *p = &providers[n_providers++];
	const struct sms_vendor *v;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->name = (char *)sms_type_name(type);
	p->type = type;
	p->sender = (char *)"Acme";
	p->url = type == SMS_TYPE_HTTP ? (char *)"https://sms.example/send" : NULL;
	/* the credentials of its vendor, as the configuration sets them */
	v = sms_vendor_get(type);
	for (i = 0; v != NULL && i < SMS_MAX_CREDS && v->creds[i].name != NULL; i++) {
		const char *val = cred_value(v->creds[i].name, type);

		*(char **)(void *)((char *)p + v->creds[i].off) = (char *)(uintptr_t)val;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int t;

	(void)argc;
	(void)argv;
	/* http: any 2xx, no rule */
	add(SMS_TYPE_HTTP);
	/* http: listed statuses and a rule, Basic and Bearer secrets */
	add(SMS_TYPE_HTTP);
	providers[1].success_status = ok_200_201;
	providers[1].n_success_status = 2;
	providers[1].success_json = (char *)"messages.*.status=0";
	providers[1].username = (char *)"user";
	providers[1].password = (char *)"secret-password";
	providers[1].bearer = (char *)"secret-bearer";
	for (t = SMS_TYPE_TWILIO; t < SMS_TYPE_COUNT; t++) {
		if (sms_vendor_get((enum sms_type)t) == NULL)
			abort();
		add((enum sms_type)t);
	}
	return 0;
}

static void
check_verdict(const struct sms_provider *p, int v, const char *err,
	      size_t errlen)
{
	const struct sms_vendor *vd = sms_vendor_get(p->type);
	const char *never[4 + SMS_MAX_CREDS] = { "123456", "447700900123" };
	size_t i, n = 2;

	/* A provider's own secrets: Basic and Bearer credentials of the
	 * http type, a vendor's secret credentials (the only ones a
	 * provider can hold: the configuration refuses another's). */
	never[n++] = p->password;
	never[n++] = p->bearer;
	for (i = 0; vd != NULL && i < SMS_MAX_CREDS && vd->creds[i].name != NULL; i++) {
		if (vd->creds[i].flags & SMS_CRED_SECRET)
			never[n++] = sms_vendor_value(p, &vd->creds[i]);
	}

	if (v != SMS_HTTP_ACCEPT && v != SMS_HTTP_RETRY && v != SMS_HTTP_REFUSE &&
	    v != SMS_ENOMEM)
		abort();
	if (memchr(err, '\0', errlen) == NULL)
		abort();
	/* the code, the number and the credentials never reach a log line */
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		if (never[i] != NULL && strstr(err, never[i]) != NULL) {
			fprintf(stderr, "fuzz_response: provider %s: \"%s\" in \"%s\"\n",
				p->name, never[i], err);
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rules[] = {
		"messages.*.status=0",
		"messages.*.status.groupName=PENDING",
		"messages.*.accepted=true",
		"status=ok",
		"0.id=null",
		"data.items.2.ok=true",
		"*=1",
	};
	static const char *const paths[] = {
		"message_uuid", "id", "messages.0.id", "0", "a.b.c",
	};
	static const char *const xml[] = { "MessageId", "a", "Error" };
	static const char *const secrets[] = { "123456", "+447700900123",
		"447700900123", "secret-api-key", NULL };
	/* A copy of exactly size bytes: the judges must never read past len. */
	char *body = malloc(size > 0 ? size : 1);
	char err[256], ex[SMS_EXCERPT_MAX + 1];
	long status;
	size_t i;
	int rc;

	if (body == NULL)
		abort();
	memcpy(body, data, size);
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (sms_json_rule_check(rules[i], err, sizeof(err)) != 0)
			continue;
		rc = sms_json_match(body, size, rules[i], err, sizeof(err));
		if (rc != SMS_OK && rc != SMS_FAILED && rc != SMS_ENOMEM)
			abort();
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		rc = sms_json_present(body, size, paths[i], err, sizeof(err));
		if (rc != SMS_OK && rc != SMS_FAILED && rc != SMS_ENOMEM)
			abort();
	}
	for (i = 0; i < sizeof(xml) / sizeof(xml[0]); i++) {
		rc = sms_xml_element(body, size, xml[i], err, sizeof(err));
		if (rc != SMS_OK && rc != SMS_FAILED)
			abort();
	}
	sms_excerpt(body, size, secrets, ex, sizeof(ex));
	if (memchr(ex, '\0', sizeof(ex)) == NULL || strlen(ex) > SMS_EXCERPT_MAX)
		abort();
	status = size > 0 ? 100 + (long)data[0] * 2 : 200;
	for (i = 0; i < n_providers; i++) {
		const struct sms_vendor *ps = sms_vendor_get(providers[i].type);
		long good = ps != NULL ? ps->status : 200;

		err[0] = '\0';
		rc = sms_http_judge(&providers[i], &msg, good, body, size, err,
				    sizeof(err));
		check_verdict(&providers[i], rc, err, sizeof(err));
		err[0] = '\0';
		rc = sms_http_judge(&providers[i], &msg, status, body, size, err,
				    sizeof(err));
		check_verdict(&providers[i], rc, err, sizeof(err));
		err[0] = '\0';
		rc = sms_http_judge(&providers[i], NULL, status, NULL, 0, err,
				    sizeof(err));
		check_verdict(&providers[i], rc, err, sizeof(err));
	}
	free(body);
	return 0;
}
