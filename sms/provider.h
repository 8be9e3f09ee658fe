/*
 * sms internals shared by sms.c, http.c and file.c, and seen by the unit
 * tests.  Not part of the sms interface: nothing outside sms/ and
 * tests/unit/test_sms.c includes it.
 */
#ifndef SMSOTP_SMS_PROVIDER_H
#define SMSOTP_SMS_PROVIDER_H

#include <stddef.h>

#include "sms.h"

/* A provider's answer is read up to this size; a larger one is refused. */
#define SMS_HTTP_MAX_RESPONSE (64 * 1024)

/* How much of a provider's error answer goes into a log line. */
#define SMS_EXCERPT_MAX 120

/*
 * One provider's attempt at m.  Returns SMS_OK, SMS_FAILED or SMS_ENOMEM;
 * sets res->status and, on failure, res->error.  p has passed
 * sms_provider_check().
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

/* Syntax of a success_json rule "path=value".  0, or -1 with err. */
int sms_json_rule_check(const char *rule, char *err, size_t errlen);

/*
 * Does the JSON document body[0..len) hold value at path (rule "path=value",
 * path of object keys and array indexes separated by dots)?  A string
 * matches by its content, a number, boolean or null by its JSON text.
 * Returns SMS_OK, SMS_FAILED with the reason in err (garbage, truncated,
 * missing path, other value), or SMS_ENOMEM.
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
	char **headers;		/* complete "Name: value" lines */
	size_t n_headers;
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
 * Judge one HTTP answer by p's success_status and success_json.  Returns a
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
};

typedef int (*sms_http_exchange_fn)(void *ud, const struct sms_provider *p,
				    const struct sms_http_request *req,
				    long timeout_ms, long connect_timeout_ms,
				    struct sms_http_answer *ans, int *retryable,
				    char *err, size_t errlen);

/* Unit tests only: replace libcurl by fn (NULL puts libcurl back). */
void sms_http_set_exchange(sms_http_exchange_fn fn, void *ud);

#endif
