/*
 * sms internals shared by sms.c, http.c and file.c, and seen by the unit
 * tests.  Not part of the sms interface: nothing outside sms/ and
 * tests/unit/test_sms.c includes it.
 */
#ifndef SMSOTP_SMS_PROVIDER_H
#define SMSOTP_SMS_PROVIDER_H

#include <stddef.h>

#include "sms.h"

struct tpl_var;

/* The request placeholders' values for m (sms_request_placeholders, in
 * that order: "+E.164", digits, text, sender or ""): SMS_REQUEST_VARS
 * entries of vars filled, their number returned. */
#define SMS_REQUEST_VARS 4
size_t sms_request_vars(const struct sms_provider *p, const struct sms_message *m,
			struct tpl_var *vars);

/* A provider's answer is read up to this size; a larger one is refused. */
#define SMS_HTTP_MAX_RESPONSE (64 * 1024)

/* How much of a provider's error answer goes into a log line. */
#define SMS_EXCERPT_MAX 120

/*
 * One provider's attempt at m.  Returns SMS_OK, SMS_FAILED (the provider's
 * own "no"), SMS_EBROKEN (no verdict: for command, a program that could
 * not be started or watched, was killed by a signal the supervisor did not
 * send, or whose exit status was lost) or SMS_ENOMEM; sets res->status,
 * res->left (file and command: 0 only when the message certainly never
 * left) and, on failure, res->error.  p has passed sms_provider_check().
 */
int sms_http_send(const struct sms_provider *p, const struct sms_message *m,
		  const struct smsotp_log *log, struct sms_result *res);
int sms_file_send(const struct sms_provider *p, const struct sms_message *m,
		  const struct smsotp_log *log, struct sms_result *res);
int sms_command_send(const struct sms_provider *p, const struct sms_message *m,
		     const struct smsotp_log *log, struct sms_result *res);

/* The type-specific halves of sms_provider_check(). */
int sms_http_check(const struct sms_provider *p, char *err, size_t errlen);
int sms_file_check(const struct sms_provider *p, char *err, size_t errlen);
int sms_command_check(const struct sms_provider *p, char *err, size_t errlen);

/*
 * Is url (a template when tmpl != 0) one the module may call: https://, or
 * http:// to 127.0.0.0/8, [::1] or localhost, with a plain host (no
 * placeholder, at most one userinfo@, a numeric port)?  0, or -1 with err.
 */
int sms_url_check(const char *url, int tmpl, char *err, size_t errlen);

/*
 * Vendor presets (presets.c): each preset type is data over the one HTTP
 * path.  Templates in a preset may use the request placeholders and the
 * credential names of sms_preset_creds[] ({account_sid}, {region}, ...);
 * each value is encoded for where it lands, as in the http type.
 */
enum sms_part_when {
	SMS_PART_END = 0,	/* ends the list */
	SMS_PART_ALWAYS,
	SMS_PART_SENDER,	/* only when sender is set */
	SMS_PART_NO_SENDER,	/* only when sender is unset */
	SMS_PART_GSM7,		/* only when the text is all GSM-7 */
	SMS_PART_UCS2		/* only when it is not (the unicode flag) */
};

/* A piece of a body template, used when its condition holds; the pieces
 * that hold, in order, make the template. */
struct sms_body_part {
	enum sms_part_when when;
	const char *tmpl;
};

enum sms_auth {
	SMS_AUTH_NONE = 0,	/* credentials in the body or a header */
	SMS_AUTH_BASIC,		/* Authorization: Basic user:pass */
	SMS_AUTH_SIGV4		/* AWS Signature V4, by libcurl */
};

enum sms_sender_rule {
	SMS_SENDER_OPTIONAL = 0,
	SMS_SENDER_REQUIRED,
	SMS_SENDER_OR_MSID	/* sender xor messaging_service_sid */
};

enum sms_region_rule {
	SMS_REGION_NONE = 0,	/* no region */
	SMS_REGION_SINCH,	/* one of sms_sinch_regions, default "us" */
	SMS_REGION_AWS		/* required, [a-z0-9-] */
};

#define SMS_PRESET_MAX_PARTS 8
#define SMS_PRESET_MAX_HEADERS 3
#define SMS_PRESET_MAX_CREDS 3

struct sms_preset {
	enum sms_type type;
	const char *url;		/* template: the documented endpoint */
	enum sms_format format;		/* json or form */
	struct sms_body_part body[SMS_PRESET_MAX_PARTS];
	const char *headers[SMS_PRESET_MAX_HEADERS];	/* templates */
	enum sms_auth auth;
	const char *basic_user;		/* credential names, SMS_AUTH_BASIC */
	const char *basic_pass;
	const char *sigv4;		/* template, SMS_AUTH_SIGV4 */
	long status;			/* the one status that means accepted */
	const char *success_json;	/* "path=value" with '*', or NULL */
	const char *need_json;		/* a path that must hold a non-empty
					   value or array, or NULL */
	const char *xml_element;	/* an element that must hold a
					   non-empty text, or NULL */
	const char *creds[SMS_PRESET_MAX_CREDS];	/* required keys */
	enum sms_sender_rule sender;
	enum sms_region_rule region;
};

/* The preset of a type, or NULL (http, file, command, unknown). */
const struct sms_preset *sms_preset_get(enum sms_type type);

/* The credential keys a preset template may name, and their values in p
 * (NULL when unset; region falls back to a preset's default). */
extern const char *const sms_preset_creds[];
extern const size_t sms_n_preset_creds;
const char *sms_preset_cred(const struct sms_provider *p, const char *name);

/* The regions of Sinch's SMS API; the first is the default. */
extern const char *const sms_sinch_regions[];
extern const size_t sms_n_sinch_regions;

/* Syntax of a success_json rule "path=value".  0, or -1 with err. */
int sms_json_rule_check(const char *rule, char *err, size_t errlen);

/*
 * Does the JSON document body[0..len) hold value at path (rule "path=value",
 * path of object keys and array indexes separated by dots)?  A "*" segment
 * stands for every element of an array: all of them must match, and an
 * empty array does not.  A string matches by its content, a number,
 * boolean or null by its JSON text.  Returns SMS_OK, SMS_FAILED with the
 * reason in err (garbage, truncated, missing path, other value), or
 * SMS_ENOMEM.
 */
int sms_json_match(const char *body, size_t len, const char *rule,
		   char *err, size_t errlen);

/* Wipe every string in a json-c tree (a parsed answer may echo the text;
 * the file provider's line holds it), then release the tree. */
struct json_object;
void sms_json_put_wiped(struct json_object *o);

/* A request as it goes on the wire, every string expanded (secrets). */
struct sms_http_request {
	const char *method;	/* "POST", "PUT" or "GET" */
	char *url;
	char *body;		/* NULL for GET */
	char **headers;		/* complete "Name: value" lines, Basic and
				   every other Authorization included */
	size_t n_headers;
	/* AWS Signature V4, signed by libcurl (CURLOPT_AWS_SIGV4): the
	 * "aws:amz:region:service" parameter and the key pair; all NULL
	 * when the request is not signed. */
	char *sigv4;
	char *sigv4_key_id;
	char *sigv4_secret;
};

/* Expand p's templates for m.  SMS_OK, SMS_FAILED with err, SMS_ENOMEM. */
int sms_http_build(const struct sms_provider *p, const struct sms_message *m,
		   struct sms_http_request *req, char *err, size_t errlen);

/* Wipes and frees what sms_http_build() filled in; the struct is zeroed. */
void sms_http_request_free(struct sms_http_request *req);

/* What to do after one answer. */
enum sms_http_verdict {
	SMS_HTTP_ACCEPT,	/* the provider took the message */
	SMS_HTTP_RETRY,		/* 5xx or 429: another try may work */
	SMS_HTTP_REFUSE		/* a definite no: never retried */
};

/*
 * Does the JSON document hold a non-empty string, a number, a boolean or a
 * non-empty array or object at path (keys and indexes, no "*")?  SMS_OK,
 * SMS_FAILED with err, SMS_ENOMEM.
 */
int sms_json_present(const char *body, size_t len, const char *path,
		     char *err, size_t errlen);

/* Does the XML answer hold <name>text</name> with a non-empty, printable
 * text?  SMS_OK or SMS_FAILED with err. */
int sms_xml_element(const char *body, size_t len, const char *name,
		    char *err, size_t errlen);

/*
 * Judge one HTTP answer by p's success_status and success_json (a preset:
 * by its status and rules).  Returns a
 * verdict (err says why when not accepted: status, a sanitized excerpt of
 * the answer with the number, text and credentials blanked out) or
 * SMS_ENOMEM.
 */
int sms_http_judge(const struct sms_provider *p, const struct sms_message *m,
		   long status, const char *body, size_t len,
		   char *err, size_t errlen);

/*
 * A one-line, log-safe excerpt of an untrusted text into out: every
 * occurrence of a secret (NULL-terminated list; short ones are skipped)
 * replaced by "***", control characters by '?', cut at SMS_EXCERPT_MAX
 * bytes on a UTF-8 boundary.
 */
void sms_excerpt(const char *text, size_t len, const char *const *secrets,
		 char *out, size_t outlen);

/*
 * The transport seam: one HTTP exchange.  On a completed exchange fill
 * *status and the answer (body heap-owned by the caller afterwards, wiped
 * and freed with free()) and return SMS_OK; on a transport failure return
 * SMS_FAILED with err and *retryable set; SMS_ENOMEM.  timeout_ms bounds
 * the whole exchange.
 */
struct sms_http_answer {
	long status;
	char *body;
	size_t len;
	long retry_after;	/* seconds the answer's Retry-After asks for
				   (a delay or an HTTP date); 0: none */
	int never_left;		/* 1 only when the request certainly never
				   began to leave (no connection, no TLS
				   session, nothing sent); 0 when it may
				   have reached the provider */
};

typedef int (*sms_http_exchange_fn)(void *ud, const struct sms_provider *p,
				    const struct sms_http_request *req,
				    long timeout_ms, long connect_timeout_ms,
				    struct sms_http_answer *ans, int *retryable,
				    char *err, size_t errlen);

/* Unit tests only: replace libcurl by fn (NULL puts libcurl back). */
void sms_http_set_exchange(sms_http_exchange_fn fn, void *ud);

/*
 * sms/curl.c: the exchange over libcurl, which is loaded (dlopen) at the
 * first use.  sms_curl_load() loads and initialises it: 0, or -1 with the
 * reason in err.  A struct sms_curl is one easy handle, reused by the
 * retries of one send; sms_curl_exchange() is an sms_http_exchange_fn
 * whose ud is one.
 */
struct sms_curl;

int sms_curl_load(char *err, size_t errlen);
/* Unit tests only: the soname to open instead of the built one (NULL puts
 * it back); before the first load. */
void sms_curl_set_library(const char *soname);
struct sms_curl *sms_curl_new(void);
void sms_curl_free(struct sms_curl *hc);
int sms_curl_exchange(void *ud, const struct sms_provider *p,
		      const struct sms_http_request *req, long timeout_ms,
		      long connect_timeout_ms, struct sms_http_answer *ans,
		      int *retryable, char *err, size_t errlen);

#endif
