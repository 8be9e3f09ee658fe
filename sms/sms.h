/*
 * sms: delivers one text message to one number through a list of providers,
 * in failover order.  Knows nothing about PAM or one-time codes.
 */
#ifndef SMSOTP_SMS_H
#define SMSOTP_SMS_H

#include <stddef.h>

#include "../util/util.h"

#define SMS_OK 0
#define SMS_FAILED (-1)		/* every provider tried gave its own verdict
				   (an answer, a refused connection, a
				   timeout): none accepted the message */
#define SMS_ENOMEM (-2)
#define SMS_EBROKEN (-3)	/* a send broke without a provider's verdict:
				   the send process (or the command) killed,
				   stopped, silent, or not started.  Never
				   "not accepted": failmode=open must not
				   apply, whoever stopped it */

enum sms_type {
	SMS_TYPE_NONE = 0,
	SMS_TYPE_HTTP,		/* any HTTP(S) API described by templates */
	SMS_TYPE_FILE,		/* appends JSON lines to a file: simulation */
	SMS_TYPE_COMMAND,	/* runs a program, the message on its stdin */
	/* vendor presets: data over the http path */
	SMS_TYPE_TWILIO,
	SMS_TYPE_VONAGE,
	SMS_TYPE_MESSAGEBIRD,
	SMS_TYPE_PLIVO,
	SMS_TYPE_SINCH,
	SMS_TYPE_INFOBIP,
	SMS_TYPE_CLICKATELL,
	SMS_TYPE_AWS_SNS,
	SMS_TYPE_COUNT
};

/* "http", "twilio", ...: the type's name in the configuration, and back
 * (SMS_TYPE_NONE for an unknown name). */
const char *sms_type_name(enum sms_type type);
enum sms_type sms_type_from_name(const char *name);

/* Is type a vendor preset (data over the http path)? */
int sms_type_is_vendor(enum sms_type type);

/* Every type's name, for a message: "http, twilio, ..., command or file"
 * (the vendors in the order of their table). */
void sms_type_list(char *out, size_t outlen);

/* A vendor preset's credential key: the offset of its field in struct
 * sms_provider for type; -1 when type takes no such key, -2 when no type
 * does. */
long sms_cred_offset(enum sms_type type, const char *key);

enum sms_format {
	SMS_FORMAT_JSON = 0,	/* body values JSON-string encoded */
	SMS_FORMAT_FORM,	/* application/x-www-form-urlencoded */
	SMS_FORMAT_TEXT		/* text/plain, values as is */
};

/* The most credentials a vendor preset takes. */
#define SMS_MAX_CREDS 3

struct sms_http_desc;

/* One entry of the `providers` list.  Strings are heap-owned (NULL when
 * unset) and freed by sms_provider_free(); secrets are wiped there. */
struct sms_provider {
	char *name;
	enum sms_type type;
	int line;		/* line in the configuration, for messages */

	/* every type */
	char *url;		/* template over the request placeholders */
	long timeout;		/* total seconds for one send, all tries */
	long connect_timeout;	/* seconds */
	long retries;		/* extra tries on network error, 5xx, 429 */
	char *ca_file;
	char *ca_path;
	char *proxy;		/* NULL: never a proxy, whatever the env */
	char *sender;

	/* http */
	char *method;		/* "POST", "PUT" or "GET"; NULL = "POST" */
	enum sms_format format;
	char *body;		/* template; NULL = the format's default */
	char **headers;		/* templates "Name: value" */
	size_t n_headers;
	char *username;		/* Basic auth, with password */
	char *password;
	char *bearer;		/* Authorization: Bearer */
	long *success_status;	/* accepted statuses; none = any 2xx */
	size_t n_success_status;
	char *success_json;	/* "path=value", path of keys and indexes */

	/* file */
	char *path;

	/* command: argv[0] an absolute path; templates over the request
	 * placeholders */
	char **argv;
	size_t n_argv;

	/* vendor preset credentials and settings, wiped on free.  Storage
	 * only: which vendor takes which, which are required or secret and
	 * where they go is the vendor table's (sms/vendors.c) */
	char *account_sid;
	char *auth_token;
	char *messaging_service_sid;
	char *api_key;
	char *api_secret;
	char *access_key;
	char *auth_id;
	char *service_plan_id;
	char *api_token;
	char *region;
	char *access_key_id;
	char *secret_access_key;

	/* http and the vendor presets: the request as a plain description,
	 * made from the keys above by sms_provider_prepare(); NULL before */
	struct sms_http_desc *http;
};

/* Defaults for keys a provider entry leaves out. */
#define SMS_DEFAULT_TIMEOUT 10
#define SMS_DEFAULT_CONNECT_TIMEOUT 5
#define SMS_DEFAULT_RETRIES 1

/* The request placeholders url, body and headers may use. */
extern const char *const sms_request_placeholders[];
extern const size_t sms_n_request_placeholders;

/*
 * Check what only the sms layer can judge, once, at configuration time: url
 * scheme (https://, or http:// to a loopback address only), method, header
 * shape, templates, auth combinations, success_json syntax, file path.
 * Returns 0, or -1 with a one-line reason in err (without the provider name
 * or line: the caller adds them).
 */
int sms_provider_check(const struct sms_provider *p, char *err, size_t errlen);

/*
 * sms_provider_check(), then, for http and the vendor presets, turn the
 * keys into the one plain request description the HTTP path sends
 * (p->http): a vendor's row and its credentials become a method, URL,
 * headers, auth, body and the rule that judges the answer.  Done once,
 * when the configuration is loaded.  0; -1 with err (refused); -2 out of
 * memory.
 */
int sms_provider_prepare(struct sms_provider *p, char *err, size_t errlen);

struct sms_message {
	const char *phone;	/* E.164, with "+" */
	const char *text;	/* UTF-8 */
	const char *secret;	/* a part of text that must never reach a log
				   even when a provider echoes it (the code);
				   NULL when none */
};

struct sms_result {
	const char *provider;	/* the provider that accepted it, or the last
				   one tried; NULL when none was tried */
	long status;		/* its last HTTP status, 0 when none */
	char error[256];	/* why the last try failed, sanitized; "" */
	int left;		/* 1 unless the message certainly never left
				   this host: a connection was made (or may
				   have been: a send process that ended
				   without a result), a command was started,
				   a line was written.  A send that left
				   counts against max_sends whatever its
				   outcome. */
};

/* 0 when the HTTP library (libcurl, opened at run time) can be loaded in
 * this process, else -1 with the reason in err: the admin tool's check. */
int sms_http_ready(char *err, size_t errlen);

/*
 * HTTP sends run in a child process of their own.  sms_sender_start()
 * starts it ahead of the message: it loads libcurl while the caller does
 * its other work (the user's state, the code), and the send starts at
 * once when sms_send() gets the message.  NULL when no provider of list
 * speaks HTTP or the child cannot be started: sms_send() then forks one
 * itself.  The child serves one sms_send() (its failover included) and
 * then ends; sms_sender_end() reaps it, or stops one never used.
 */
struct sms_sender;

struct sms_sender *sms_sender_start(struct sms_provider *const *list, size_t n,
				    const struct smsotp_log *log);
void sms_sender_end(struct sms_sender *s);

/*
 * Send m through list[0], then list[1], ... until one accepts it; through
 * sender when it is not NULL (started with the same list).  Returns
 * SMS_OK, SMS_FAILED, SMS_EBROKEN (a broken send stops the failover: the
 * message may be out) or SMS_ENOMEM; res says which provider and how, and
 * whether the message may have left (res->left).  Each
 * failure is logged (warning) with the provider name, status and reason,
 * never with the text or a credential.
 */
int sms_send(struct sms_provider *const *list, size_t n,
	     const struct sms_message *m, struct sms_sender *sender,
	     const struct smsotp_log *log, struct sms_result *res);

void sms_provider_free(struct sms_provider *p);

#endif
