/*
 * sms internals: the HTTP path, split by job.
 *
 *   httpconf.c  the http type's keys checked, and every HTTP provider (the
 *               http type, or a vendor row through preset.c) turned into
 *               one struct sms_http_desc when the configuration is loaded
 *   url.c       which URLs and templates may be used (configuration checks)
 *   request.c   a description and a message into the request on the wire
 *   judge.c     an answer judged by the description's rule (json.c reads
 *               JSON and XML answers)
 *   http.c      one send: the tries and pauses within the timeout, over
 *               the transport (curl.c, or the unit tests' stand-in)
 *
 * Nothing below httpconf.c knows a vendor: request, judge and send read
 * only the description.
 */
#ifndef SMSOTP_SMS_HTTP_H
#define SMSOTP_SMS_HTTP_H

#include <stddef.h>

#include "../template/template.h"
#include "common.h"
#include "sms.h"

/* A provider's answer is read up to this size; a larger one is refused. */
#define SMS_HTTP_MAX_RESPONSE (64 * 1024)

#define SMS_DESC_MAX_SECRETS 4

/*
 * One HTTP provider as a plain request: templates over the request
 * placeholders (and vars: a vendor's credentials), each value encoded for
 * where it lands, and the rule that judges the answer.  Strings are
 * borrowed from the provider or the vendor table, except body, body_ucs2
 * and auth, which are its own (secrets: wiped on free).
 */
struct sms_http_desc {
	const char *method;		/* "POST", "PUT" or "GET" */
	const char *url;		/* template */
	int url_own;			/* the administrator's url: only the
					   request placeholders, never vars */
	enum tpl_encoding body_enc;
	const char *content_type;	/* added with a body; NULL: not */
	char *body;			/* template; NULL: none (GET) */
	char *body_ucs2;		/* instead of body when the text is not
					   all GSM-7; NULL: body */
	const char *const *headers;	/* templates "Name: value" */
	size_t n_headers;
	char *auth;			/* a whole Authorization line, or NULL */
	const char *sigv4;		/* template: AWS SigV4 by libcurl */
	const char *sigv4_key;
	const char *sigv4_secret;
	struct tpl_var vars[SMS_MAX_CREDS];
	size_t n_vars;
	/* the answer */
	const long *status;		/* accepted statuses; none: any 2xx */
	size_t n_status;
	long own_status;		/* a vendor's one status */
	const char *rule;		/* "path=value", or NULL */
	int rule_own;			/* the administrator's success_json */
	const char *need_json;		/* a path that must hold a value */
	const char *xml_element;	/* an element that must hold a text */
	const char *secrets[SMS_DESC_MAX_SECRETS + 1];	/* never logged;
							   NULL-terminated */
};

/* ---- httpconf.c */

/* The type-specific half of sms_provider_check() for http and the vendor
 * presets: 0, or -1 with err. */
int sms_http_check(const struct sms_provider *p, char *err, size_t errlen);

/* Describe a checked provider into d (zeroed first).  SMS_OK, SMS_FAILED
 * with err (not a provider the HTTP path can send), SMS_ENOMEM. */
int sms_http_describe(const struct sms_provider *p, struct sms_http_desc *d,
		      char *err, size_t errlen);

/* Wipes and frees what a description owns; d is zeroed. */
void sms_http_desc_free(struct sms_http_desc *d);

/* p's description: p->http, or one made now into tmp (freed by the caller
 * with sms_http_desc_free) for a provider never prepared.  NULL with *rc
 * and err when it cannot be made. */
const struct sms_http_desc *sms_http_desc_get(const struct sms_provider *p,
					      struct sms_http_desc *tmp, int *rc,
					      char *err, size_t errlen);

/* ---- preset.c: a vendor row and a provider's credentials */

struct sms_vendor;
int sms_vendor_check(const struct sms_provider *p, const struct sms_vendor *v,
		     char *err, size_t errlen);
int sms_vendor_describe(const struct sms_provider *p, const struct sms_vendor *v,
			struct sms_http_desc *d, char *err, size_t errlen);

/* "Authorization: Basic base64(user:pass)", or NULL when out of memory. */
char *sms_basic_line(const char *user, const char *pass);

/* ---- url.c */

/*
 * Is url (a template when tmpl != 0) one the module may call: https://, or
 * http:// to 127.0.0.0/8, [::1] or localhost, with a plain host (no
 * placeholder, at most one userinfo@, a numeric port)?  0, or -1 with err.
 */
int sms_url_check(const char *url, int tmpl, char *err, size_t errlen);

/* A template over the request placeholders; err names what.  0, or -1. */
int sms_template_check(const char *what, const char *tmpl, char *err,
		       size_t errlen);

/* The keys every type over HTTP shares: ca_file, ca_path, proxy. */
int sms_transport_check(const struct sms_provider *p, char *err, size_t errlen);

/* ---- json.c: reading answers */

/* Syntax of a success_json rule "path=value".  0, or -1 with err. */
int sms_json_rule_check(const char *rule, char *err, size_t errlen);

/*
 * Does the JSON document body[0..len) hold value at path (rule "path=value",
 * path of object keys and array indexes separated by dots)?  A "*" segment
 * stands for every element of an array: all of them must match, and an
 * empty array does not.  A string matches by its content, a number,
 * boolean or null by its JSON text.  Returns SMS_OK, SMS_FAILED with the
 * reason in err (garbage, truncated, missing path, other value), or
 * SMS_ENOMEM.  sms_json_match checks the rule's syntax first and says
 * "success_json: " in err; sms_json_rule_match takes a known-good rule
 * and what to say.
 */
int sms_json_match(const char *body, size_t len, const char *rule,
		   char *err, size_t errlen);
int sms_json_rule_match(const char *body, size_t len, const char *what,
			const char *rule, char *err, size_t errlen);

/*
 * Does the JSON document hold a non-empty string, a number, a boolean or a
 * non-empty array or object at path (keys and indexes, no "*")?  SMS_OK,
 * SMS_FAILED with err, SMS_ENOMEM.
 */
int sms_json_present(const char *body, size_t len, const char *path,
		     char *err, size_t errlen);

/* Parse s[0..len) as exactly one JSON value (white space around it is
 * fine).  SMS_OK with *out (NULL for "null"; release it with
 * sms_json_put_wiped), SMS_FAILED with err, SMS_ENOMEM. */
int sms_json_parse(const char *s, size_t len, struct json_object **out,
		   char *err, size_t errlen);

/* Does the XML answer hold <name>text</name> with a non-empty, printable
 * text?  SMS_OK or SMS_FAILED with err. */
int sms_xml_element(const char *body, size_t len, const char *name,
		    char *err, size_t errlen);

/* ---- request.c */

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

/* Expand d's templates for p's sender and m.  SMS_OK, SMS_FAILED with
 * err, SMS_ENOMEM. */
int sms_request_build(const struct sms_http_desc *d, const struct sms_provider *p,
		      const struct sms_message *m, struct sms_http_request *req,
		      char *err, size_t errlen);

/* The same for p's description (sms_http_desc_get). */
int sms_http_build(const struct sms_provider *p, const struct sms_message *m,
		   struct sms_http_request *req, char *err, size_t errlen);

/* Wipes and frees what sms_request_build() filled in; the struct is zeroed. */
void sms_http_request_free(struct sms_http_request *req);

/* ---- judge.c */

/* What to do after one answer. */
enum sms_http_verdict {
	SMS_HTTP_ACCEPT,	/* the provider took the message */
	SMS_HTTP_RETRY,		/* 5xx or 429: another try may work */
	SMS_HTTP_REFUSE		/* a definite no: never retried */
};

/*
 * Judge one HTTP answer by d's statuses and rules.  Returns a verdict
 * (err says why when not accepted: status, a sanitized excerpt of the
 * answer with the number, text and credentials blanked out) or
 * SMS_ENOMEM.  m may be NULL.
 */
int sms_answer_judge(const struct sms_http_desc *d, const struct sms_message *m,
		     long status, const char *body, size_t len,
		     char *err, size_t errlen);

/* The same for p's description (sms_http_desc_get). */
int sms_http_judge(const struct sms_provider *p, const struct sms_message *m,
		   long status, const char *body, size_t len,
		   char *err, size_t errlen);

/* ---- http.c: one send, the transport seam */

/*
 * One HTTP exchange.  On a completed exchange fill *status and the answer
 * (body heap-owned by the caller afterwards, wiped and freed with free())
 * and return SMS_OK; on a transport failure return SMS_FAILED with err and
 * *retryable set; SMS_ENOMEM.  timeout_ms bounds the whole exchange.
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

/* Unit tests only: the clock the tries are timed by (now in ms, and a
 * pause between tries), so that the retry budget is tested exactly, not
 * against how fast the machine is; NULLs put the real clock back. */
typedef long (*sms_http_now_fn)(void *ud);
typedef void (*sms_http_pause_fn)(void *ud, long ms);
void sms_http_set_clock(sms_http_now_fn now, sms_http_pause_fn pause, void *ud);

/*
 * One provider's attempt at m over HTTP: up to 1 + retries exchanges
 * within p->timeout.  SMS_OK, SMS_FAILED (the provider's "no"), SMS_ENOMEM;
 * sets res->status, res->left and, on failure, res->error.
 */
int sms_http_send(const struct sms_provider *p, const struct sms_message *m,
		  const struct smsotp_log *log, struct sms_result *res);

/* ---- curl.c */

/*
 * The exchange over libcurl, which is loaded (dlopen) at the first use.
 * sms_curl_load() loads and initialises it: 0, or -1 with the reason in
 * err.  A struct sms_curl is one easy handle, reused by the retries of one
 * send; sms_curl_exchange() is an sms_http_exchange_fn whose ud is one.
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
