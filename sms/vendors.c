/*
 * sms/vendors: the vendor table.  Each row is a vendor's documented message
 * API and the credentials it takes; nothing else in the module names a
 * vendor or a credential.  A provider's `url` key replaces a row's endpoint.
 *
 * Numbers: Twilio, Sinch and SNS document E.164 with '+' ({phone}); the
 * others take the digits only ({phone_digits}).  Vendors that detect the
 * encoding themselves (Twilio, Plivo, Sinch, Infobip, Clickatell, SNS) get
 * no unicode flag.
 */
#include <stddef.h>
#include <string.h>

#include "../util/util.h"
#include "vendors.h"

#define ALWAYS(t) { SMS_PART_ALWAYS, t }
#define SENDER(t) { SMS_PART_SENDER, t }
#define NO_SENDER(t) { SMS_PART_NO_SENDER, t }
#define GSM7(t) { SMS_PART_GSM7, t }
#define UCS2(t) { SMS_PART_UCS2, t }

#define OFF(f) offsetof(struct sms_provider, f)
#define REQ SMS_CRED_REQUIRED
#define SECRET (SMS_CRED_REQUIRED | SMS_CRED_SECRET)

/* Sinch's SMS API regions (https://{region}.sms.api.sinch.com); the first
 * is the default. */
static const char *const sinch_regions[] = { "us", "eu", "au", "br", "ca", NULL };

const struct sms_vendor sms_vendors[] = {
	{
		/* Messages resource: form POST, Basic auth with the account
		 * SID and auth token; 201 Created. */
		.type = SMS_TYPE_TWILIO,
		.name = "twilio",
		.creds = { { "account_sid", OFF(account_sid), REQ, SMS_CRED_ANY, NULL, NULL },
			   { "auth_token", OFF(auth_token), SECRET, SMS_CRED_ANY, NULL, NULL },
			   { "messaging_service_sid", OFF(messaging_service_sid), 0, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://api.twilio.com/2010-04-01/Accounts/"
		    "{account_sid}/Messages.json",
		.format = SMS_FORMAT_FORM,
		.body = {
			ALWAYS("To={phone}"),
			SENDER("&From={sender}"),
			NO_SENDER("&MessagingServiceSid={messaging_service_sid}"),
			ALWAYS("&Body={message}"),
		},
		.auth = SMS_AUTH_BASIC,
		.basic_user = "account_sid",
		.basic_pass = "auth_token",
		.sender = SMS_SENDER_OR_CRED,
		.sender_alt = "messaging_service_sid",
		.status = 201,
	},
	{
		/* SMS API: credentials in the form.  It answers 200 even for
		 * a refused message: each messages[].status must be "0". */
		.type = SMS_TYPE_VONAGE,
		.name = "vonage",
		.creds = { { "api_key", OFF(api_key), SECRET, SMS_CRED_ANY, NULL, NULL },
			   { "api_secret", OFF(api_secret), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://rest.nexmo.com/sms/json",
		.format = SMS_FORMAT_FORM,
		.body = {
			ALWAYS("api_key={api_key}&api_secret={api_secret}"
			       "&from={sender}&to={phone_digits}&text={message}"),
			UCS2("&type=unicode"),
		},
		.sender = SMS_SENDER_REQUIRED,
		.status = 200,
		.success_json = "messages.*.status=0",
	},
	{
		/* REST API /messages: 201 Created. */
		.type = SMS_TYPE_MESSAGEBIRD,
		.name = "messagebird",
		.creds = { { "access_key", OFF(access_key), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://rest.messagebird.com/messages",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{\"originator\":\"{sender}\","
			       "\"recipients\":[\"{phone_digits}\"],"
			       "\"body\":\"{message}\""),
			GSM7(",\"datacoding\":\"plain\""),
			UCS2(",\"datacoding\":\"unicode\""),
			ALWAYS("}}"),
		},
		.headers = { "Authorization: AccessKey {access_key}",
			     "Accept: application/json" },
		.sender = SMS_SENDER_REQUIRED,
		.status = 201,
	},
	{
		/* Message API: Basic auth with auth ID and token; 202 with
		 * the queued messages' message_uuid. */
		.type = SMS_TYPE_PLIVO,
		.name = "plivo",
		.creds = { { "auth_id", OFF(auth_id), REQ, SMS_CRED_ANY, NULL, NULL },
			   { "auth_token", OFF(auth_token), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://api.plivo.com/v1/Account/{auth_id}/Message/",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{\"src\":\"{sender}\",\"dst\":\"{phone_digits}\","
			       "\"text\":\"{message}\"}}"),
		},
		.auth = SMS_AUTH_BASIC,
		.basic_user = "auth_id",
		.basic_pass = "auth_token",
		.sender = SMS_SENDER_REQUIRED,
		.status = 202,
		.need_json = "message_uuid",
	},
	{
		/* REST API batches, in the service plan's region; from may
		 * be left to the plan's default originator.  201 Created. */
		.type = SMS_TYPE_SINCH,
		.name = "sinch",
		.creds = { { "service_plan_id", OFF(service_plan_id), REQ, SMS_CRED_ANY, NULL, NULL },
			   { "api_token", OFF(api_token), SECRET, SMS_CRED_ANY, NULL, NULL },
			   { "region", OFF(region), 0, SMS_CRED_CHOICE, "us", sinch_regions } },
		.url = "https://{region}.sms.api.sinch.com/xms/v1/"
		    "{service_plan_id}/batches",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{"),
			SENDER("\"from\":\"{sender}\","),
			ALWAYS("\"to\":[\"{phone}\"],\"body\":\"{message}\"}}"),
		},
		.headers = { "Authorization: Bearer {api_token}",
			     "Accept: application/json" },
		.sender = SMS_SENDER_OPTIONAL,
		.status = 201,
	},
	{
		/* /sms/2/text/advanced (accounts have their own base URL:
		 * set url).  200, and each message's status in the PENDING
		 * group (1); REJECTED (5) and the others are refusals. */
		.type = SMS_TYPE_INFOBIP,
		.name = "infobip",
		.creds = { { "api_key", OFF(api_key), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://api.infobip.com/sms/2/text/advanced",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{\"messages\":[{{"),
			SENDER("\"from\":\"{sender}\","),
			ALWAYS("\"destinations\":[{{\"to\":\"{phone_digits}\"}}],"
			       "\"text\":\"{message}\"}}]}}"),
		},
		.headers = { "Authorization: App {api_key}",
			     "Accept: application/json" },
		.sender = SMS_SENDER_OPTIONAL,
		.status = 200,
		.success_json = "messages.*.status.groupName=PENDING",
	},
	{
		/* Platform REST API: the bare API key as Authorization; 202,
		 * and each messages[].accepted true. */
		.type = SMS_TYPE_CLICKATELL,
		.name = "clickatell",
		.creds = { { "api_key", OFF(api_key), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://platform.clickatell.com/messages",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{\"content\":\"{message}\","
			       "\"to\":[\"{phone_digits}\"]"),
			SENDER(",\"from\":\"{sender}\""),
			ALWAYS("}}"),
		},
		.headers = { "Authorization: {api_key}",
			     "Accept: application/json" },
		.sender = SMS_SENDER_OPTIONAL,
		.status = 202,
		.success_json = "messages.*.accepted=true",
	},
	{
		/* Query API Publish to a number, transactional (the route
		 * meant for codes), signed with SigV4 by libcurl; 200 and
		 * the XML answer's MessageId. */
		.type = SMS_TYPE_AWS_SNS,
		.name = "aws_sns",
		.creds = { { "region", OFF(region), REQ, SMS_CRED_AWS_REGION, NULL, NULL },
			   { "access_key_id", OFF(access_key_id), REQ, SMS_CRED_ANY, NULL, NULL },
			   { "secret_access_key", OFF(secret_access_key), SECRET, SMS_CRED_ANY, NULL, NULL } },
		.url = "https://sns.{region}.amazonaws.com/",
		.format = SMS_FORMAT_FORM,
		.body = {
			ALWAYS("Action=Publish&Version=2010-03-31"
			       "&PhoneNumber={phone}&Message={message}"
			       "&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType"
			       "&MessageAttributes.entry.1.Value.DataType=String"
			       "&MessageAttributes.entry.1.Value.StringValue="
			       "Transactional"),
			SENDER("&MessageAttributes.entry.2.Name=AWS.SNS.SMS.SenderID"
			       "&MessageAttributes.entry.2.Value.DataType=String"
			       "&MessageAttributes.entry.2.Value.StringValue="
			       "{sender}"),
		},
		.auth = SMS_AUTH_SIGV4,
		.sigv4 = "aws:amz:{region}:sns",
		.sigv4_key = "access_key_id",
		.sigv4_secret = "secret_access_key",
		.sender = SMS_SENDER_OPTIONAL,
		.status = 200,
		.xml_element = "MessageId",
	},
};

const size_t sms_n_vendors = sizeof(sms_vendors) / sizeof(sms_vendors[0]);

const struct sms_vendor *
sms_vendor_get(enum sms_type type)
{
	size_t i;

	for (i = 0; i < sms_n_vendors; i++) {
		if (sms_vendors[i].type == type)
			return &sms_vendors[i];
	}
	return NULL;
}

int
sms_vendor_slot(const struct sms_vendor *v, const char *name)
{
	int i;

	for (i = 0; v != NULL && name != NULL && i < SMS_MAX_CREDS; i++) {
		if (v->creds[i].name != NULL && strcmp(v->creds[i].name, name) == 0)
			return i;
	}
	return -1;
}

const char *
sms_vendor_cred(const struct sms_provider *p, const char *name)
{
	const struct sms_vendor *v = sms_vendor_get(p->type);
	int i = sms_vendor_slot(v, name);

	if (i < 0)
		return NULL;
	if (sms_vendor_value(p, &v->creds[i]) == NULL &&
	    v->creds[i].rule == SMS_CRED_CHOICE)
		return v->creds[i].dflt;
	return sms_vendor_value(p, &v->creds[i]);
}

const char *
sms_vendor_value(const struct sms_provider *p, const struct sms_cred *c)
{
	return *(char *const *)(const void *)((const char *)p + c->off);
}

void
sms_vendor_free_creds(struct sms_provider *p)
{
	size_t i, j;

	/* Every row's: a field two vendors share is freed once (and NULL). */
	for (i = 0; i < sms_n_vendors; i++) {
		for (j = 0; j < SMS_MAX_CREDS && sms_vendors[i].creds[j].name != NULL;
		     j++) {
			char **f = (char **)(void *)((char *)p +
						     sms_vendors[i].creds[j].off);

			util_free_secret(*f);
			*f = NULL;
		}
	}
}
