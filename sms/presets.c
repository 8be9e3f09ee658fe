/*
 * sms/presets: the vendor presets, as data over the one HTTP path in
 * http.c.  Each entry is the vendor's documented message API: endpoint,
 * body fields, authentication and what its answer says when the message
 * was accepted.  A preset's `url` key replaces its endpoint.
 */
#include <stddef.h>
#include <string.h>

#include "provider.h"
#include "sms.h"

/* The placeholders a preset template may use besides the request ones. */
static const struct {
	const char *name;
	size_t off;
} cred_fields[] = {
	{ "account_sid", offsetof(struct sms_provider, account_sid) },
	{ "auth_token", offsetof(struct sms_provider, auth_token) },
	{ "messaging_service_sid",
	  offsetof(struct sms_provider, messaging_service_sid) },
	{ "api_key", offsetof(struct sms_provider, api_key) },
	{ "api_secret", offsetof(struct sms_provider, api_secret) },
	{ "access_key", offsetof(struct sms_provider, access_key) },
	{ "auth_id", offsetof(struct sms_provider, auth_id) },
	{ "service_plan_id", offsetof(struct sms_provider, service_plan_id) },
	{ "api_token", offsetof(struct sms_provider, api_token) },
	{ "region", offsetof(struct sms_provider, region) },
	{ "access_key_id", offsetof(struct sms_provider, access_key_id) },
	{ "secret_access_key",
	  offsetof(struct sms_provider, secret_access_key) },
};

#define N_CREDS (sizeof(cred_fields) / sizeof(cred_fields[0]))

const char *const sms_preset_creds[N_CREDS] = {
	"account_sid", "auth_token", "messaging_service_sid", "api_key",
	"api_secret", "access_key", "auth_id", "service_plan_id", "api_token",
	"region", "access_key_id", "secret_access_key",
};
const size_t sms_n_preset_creds = N_CREDS;

/* Sinch's SMS API regions (https://{region}.sms.api.sinch.com). */
const char *const sms_sinch_regions[] = { "us", "eu", "au", "br", "ca" };
const size_t sms_n_sinch_regions =
    sizeof(sms_sinch_regions) / sizeof(sms_sinch_regions[0]);

#define ALWAYS(t) { SMS_PART_ALWAYS, t }
#define SENDER(t) { SMS_PART_SENDER, t }
#define NO_SENDER(t) { SMS_PART_NO_SENDER, t }
#define GSM7(t) { SMS_PART_GSM7, t }
#define UCS2(t) { SMS_PART_UCS2, t }

/*
 * Numbers: Twilio, Sinch and SNS document E.164 with '+' ({phone}); the
 * others take the digits only ({phone_digits}).  Vendors that detect the
 * encoding themselves (Twilio, Plivo, Sinch, Infobip, Clickatell, SNS) get
 * no unicode flag.
 */
static const struct sms_preset presets[] = {
	{
		/* Messages resource: form POST, Basic auth with the account
		 * SID and auth token; 201 Created. */
		.type = SMS_TYPE_TWILIO,
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
		.status = 201,
		.creds = { "account_sid", "auth_token" },
		.sender = SMS_SENDER_OR_MSID,
	},
	{
		/* SMS API: credentials in the form.  It answers 200 even for
		 * a refused message: each messages[].status must be "0". */
		.type = SMS_TYPE_VONAGE,
		.url = "https://rest.nexmo.com/sms/json",
		.format = SMS_FORMAT_FORM,
		.body = {
			ALWAYS("api_key={api_key}&api_secret={api_secret}"
			       "&from={sender}&to={phone_digits}&text={message}"),
			UCS2("&type=unicode"),
		},
		.status = 200,
		.success_json = "messages.*.status=0",
		.creds = { "api_key", "api_secret" },
		.sender = SMS_SENDER_REQUIRED,
	},
	{
		/* REST API /messages: 201 Created. */
		.type = SMS_TYPE_MESSAGEBIRD,
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
		.status = 201,
		.creds = { "access_key" },
		.sender = SMS_SENDER_REQUIRED,
	},
	{
		/* Message API: Basic auth with auth ID and token; 202 with
		 * the queued messages' message_uuid. */
		.type = SMS_TYPE_PLIVO,
		.url = "https://api.plivo.com/v1/Account/{auth_id}/Message/",
		.format = SMS_FORMAT_JSON,
		.body = {
			ALWAYS("{{\"src\":\"{sender}\",\"dst\":\"{phone_digits}\","
			       "\"text\":\"{message}\"}}"),
		},
		.auth = SMS_AUTH_BASIC,
		.basic_user = "auth_id",
		.basic_pass = "auth_token",
		.status = 202,
		.need_json = "message_uuid",
		.creds = { "auth_id", "auth_token" },
		.sender = SMS_SENDER_REQUIRED,
	},
	{
		/* REST API batches, in the service plan's region; from may
		 * be left to the plan's default originator.  201 Created. */
		.type = SMS_TYPE_SINCH,
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
		.status = 201,
		.creds = { "service_plan_id", "api_token" },
		.sender = SMS_SENDER_OPTIONAL,
		.region = SMS_REGION_SINCH,
	},
	{
		/* /sms/2/text/advanced (accounts have their own base URL:
		 * set url).  200, and each message's status in the PENDING
		 * group (1); REJECTED (5) and the others are refusals. */
		.type = SMS_TYPE_INFOBIP,
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
		.status = 200,
		.success_json = "messages.*.status.groupName=PENDING",
		.creds = { "api_key" },
		.sender = SMS_SENDER_OPTIONAL,
	},
	{
		/* Platform REST API: the bare API key as Authorization; 202,
		 * and each messages[].accepted true. */
		.type = SMS_TYPE_CLICKATELL,
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
		.status = 202,
		.success_json = "messages.*.accepted=true",
		.creds = { "api_key" },
		.sender = SMS_SENDER_OPTIONAL,
	},
	{
		/* Query API Publish to a number, transactional (the route
		 * meant for codes), signed with SigV4 by libcurl; 200 and
		 * the XML answer's MessageId. */
		.type = SMS_TYPE_AWS_SNS,
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
		.status = 200,
		.xml_element = "MessageId",
		.creds = { "region", "access_key_id", "secret_access_key" },
		.sender = SMS_SENDER_OPTIONAL,
		.region = SMS_REGION_AWS,
	},
};

const struct sms_preset *
sms_preset_get(enum sms_type type)
{
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
		if (presets[i].type == type)
			return &presets[i];
	}
	return NULL;
}

const char *
sms_preset_cred(const struct sms_provider *p, const char *name)
{
	const char *v;
	size_t i;

	for (i = 0; i < N_CREDS; i++) {
		if (strcmp(name, cred_fields[i].name) != 0)
			continue;
		v = *(char *const *)(const void *)((const char *)p +
						   cred_fields[i].off);
		if (v == NULL && p->type == SMS_TYPE_SINCH &&
		    strcmp(name, "region") == 0)
			v = sms_sinch_regions[0];
		return v;
	}
	return NULL;
}
