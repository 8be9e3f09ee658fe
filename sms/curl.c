/*
 * sms/curl: the HTTP transport, libcurl, loaded when it is first needed.
 *
 * The module does not link libcurl: it is opened with dlopen() in the send
 * process (isolate.c), so that sshd, sudo and login never map it or its
 * thirty-odd dependencies (LDAP, Kerberos, SSH, RTMP, GnuTLS...), the PAM
 * stack loads in a fifth of the time, the host keeps no libcurl state and
 * the send process loads it while the module does its other work.  The
 * library is found by its soname, as the dynamic linker would find a
 * linked one; the few functions used are called through one table, and
 * curl_easy_setopt() through setters that check the option's argument
 * type (the checks of curl's own macros do not see through a pointer).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "sms.h"

#ifndef SMSOTP_CURL_SONAME
#define SMSOTP_CURL_SONAME "libcurl.so.4"
#endif

static struct {
	int ready;
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode c);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} cu;

/* dlsym() into a function pointer of the right type. */
#define CURL_SYM(h, field, name)					\
	(*(void **)(&cu.field) = dlsym((h), (name)), cu.field != NULL)

static const char *curl_soname = SMSOTP_CURL_SONAME;

void
sms_curl_set_library(const char *soname)
{
	curl_soname = soname != NULL ? soname : SMSOTP_CURL_SONAME;
}

/* Opens libcurl and finds its functions: 0, or -1 with err. */
static int
curl_open(char *err, size_t errlen)
{
	void *h;

	if (cu.easy_init != NULL)
		return 0;
	/* Lazy: of the libraries that allow it (RTLD_NOW costs a
	 * millisecond of symbol lookups), only what a send calls is bound;
	 * local: a host's own libcurl users see none of it. */
	h = dlopen(curl_soname, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) {
		const char *why = dlerror();

		snprintf(err, errlen, "cannot load %s: %s", curl_soname,
			 why != NULL ? why : "unknown error");
		util_sanitize(err);
		return -1;
	}
	if (!CURL_SYM(h, global_init, "curl_global_init") ||
	    !CURL_SYM(h, easy_setopt, "curl_easy_setopt") ||
	    !CURL_SYM(h, easy_perform, "curl_easy_perform") ||
	    !CURL_SYM(h, easy_getinfo, "curl_easy_getinfo") ||
	    !CURL_SYM(h, easy_cleanup, "curl_easy_cleanup") ||
	    !CURL_SYM(h, easy_strerror, "curl_easy_strerror") ||
	    !CURL_SYM(h, slist_append, "curl_slist_append") ||
	    !CURL_SYM(h, slist_free_all, "curl_slist_free_all") ||
	    !CURL_SYM(h, easy_init, "curl_easy_init")) {
		snprintf(err, errlen, "%s lacks a libcurl function", curl_soname);
		memset(&cu, 0, sizeof(cu));
		return -1;
	}
	return 0;
}

int
sms_http_ready(char *err, size_t errlen)
{
	return curl_open(err, errlen);
}

/*
 * Loads libcurl and runs its global initialisation, once per process.
 * Never closed: a host that uses libcurl itself shares the one copy, and
 * the send process ends with _exit.  curl_global_cleanup() is never
 * called for the same reason.
 */
int
sms_curl_load(char *err, size_t errlen)
{
	if (cu.ready)
		return 0;
	if (curl_open(err, errlen) != 0)
		return -1;
	/* In the send process the environment is already empty (isolate.c):
	 * the caller's SSLKEYLOGFILE, proxies and CA variables never reach
	 * libcurl or OpenSSL. */
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl cannot be initialised");
		return -1;
	}
	cu.ready = 1;
	return 0;
}

/* curl_easy_setopt() by argument type: an option of another type is
 * refused instead of reading the wrong kind of argument. */
static CURLcode
set_long(CURL *h, CURLoption o, long v)
{
	if (o >= CURLOPTTYPE_OBJECTPOINT)
		return CURLE_BAD_FUNCTION_ARGUMENT;
	return cu.easy_setopt(h, o, v);
}

static CURLcode
set_str(CURL *h, CURLoption o, const char *v)
{
	if (o < CURLOPTTYPE_OBJECTPOINT || o >= CURLOPTTYPE_FUNCTIONPOINT)
		return CURLE_BAD_FUNCTION_ARGUMENT;
	return cu.easy_setopt(h, o, v);
}

static CURLcode
set_ptr(CURL *h, CURLoption o, void *v)
{
	if (o < CURLOPTTYPE_OBJECTPOINT || o >= CURLOPTTYPE_FUNCTIONPOINT)
		return CURLE_BAD_FUNCTION_ARGUMENT;
	return cu.easy_setopt(h, o, v);
}

static CURLcode
set_write(CURL *h, curl_write_callback fn)
{
	return cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, fn);
}

/* One easy handle per send of one provider, reused by its retries. */
struct sms_curl {
	CURL *curl;
	struct curl_slist *headers;
	char *buf;		/* the answer, SMS_HTTP_MAX_RESPONSE + 1 */
	size_t len;
	int too_large;
	int nomem;
	int no_sigv4;		/* this libcurl cannot sign for AWS */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
http_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sms_curl *hc = ud;
	size_t n = size * nmemb;

	if (n > SMS_HTTP_MAX_RESPONSE - hc->len) {
		/* Returning less than n aborts the transfer. */
		hc->too_large = 1;
		return 0;
	}
	if (hc->buf == NULL) {
		hc->buf = malloc(SMS_HTTP_MAX_RESPONSE + 1);
		if (hc->buf == NULL) {
			hc->nomem = 1;
			return 0;
		}
	}
	memcpy(hc->buf + hc->len, ptr, n);
	hc->len += n;
	return n;
}

static void
http_wipe_slist(struct curl_slist *l)
{
	struct curl_slist *s;

	if (l == NULL)		/* also: libcurl never loaded */
		return;
	for (s = l; s != NULL; s = s->next) {
		if (s->data != NULL)
			util_wipe(s->data, strlen(s->data));
	}
	cu.slist_free_all(l);
}

static void
easy_free(struct sms_curl *hc)
{
	if (hc->curl != NULL)
		cu.easy_cleanup(hc->curl);
	http_wipe_slist(hc->headers);
	if (hc->buf != NULL) {
		util_wipe(hc->buf, hc->len);
		free(hc->buf);
	}
	memset(hc, 0, sizeof(*hc));
}

/* Network trouble that another try may overcome.  Everything else (TLS
 * verification, a bad CA file, a refused protocol...) fails at once. */
static int
http_curl_retryable(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_PROXY:
		return 1;
	default:
		return 0;
	}
}

/* After a failed perform: 1 when the transfer never began (no connection,
 * or the TLS handshake never ended: the request was not sent), 0 when it
 * may have (or curl cannot tell). */
static int
http_curl_never_left(CURL *h)
{
	curl_off_t pre = -1;
	long status = 0;

	if (cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status != 0)
		return 0;
	if (cu.easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre) != CURLE_OK)
		return 0;
	return pre == 0;
}

/* Where the request goes and whom it trusts.  The first error is
 * returned. */
static CURLcode
http_curl_transport(struct sms_curl *hc, const struct sms_provider *p,
		    const struct sms_http_request *req)
{
	CURL *h = hc->curl;
	CURLcode c;

	c = set_str(h, CURLOPT_URL, req->url);
	if (c == CURLE_OK)	/* curl must not raise SIGALRM in our host */
		c = set_long(h, CURLOPT_NOSIGNAL, 1L);
	if (c == CURLE_OK)
		c = set_str(h, CURLOPT_PROTOCOLS_STR, "https,http");
	if (c == CURLE_OK)
		c = set_long(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* "" rather than unset: libcurl then ignores http_proxy, https_proxy,
	 * ALL_PROXY and NO_PROXY, which the user of sudo controls. */
	if (c == CURLE_OK)
		c = set_str(h, CURLOPT_PROXY,
				     p->proxy != NULL ? p->proxy : "");
	if (c == CURLE_OK)
		c = set_str(h, CURLOPT_NOPROXY, "");
	if (c == CURLE_OK && p->ca_file != NULL)
		c = set_str(h, CURLOPT_CAINFO, p->ca_file);
	if (c == CURLE_OK && p->ca_path != NULL)
		c = set_str(h, CURLOPT_CAPATH, p->ca_path);
	if (c == CURLE_OK)
		c = set_long(h, CURLOPT_SSL_VERIFYPEER, 1L);
	if (c == CURLE_OK)
		c = set_long(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c == CURLE_OK)
		c = set_long(h, CURLOPT_SSLVERSION,
				     (long)CURL_SSLVERSION_TLSv1_2);
	if (c == CURLE_OK)
		c = set_str(h, CURLOPT_USERAGENT, "pam_smsotp");
	if (c == CURLE_OK)
		c = set_write(h, http_write);
	if (c == CURLE_OK)
		c = set_ptr(h, CURLOPT_WRITEDATA, hc);
	if (c == CURLE_OK)
		c = set_ptr(h, CURLOPT_ERRORBUFFER, hc->errbuf);
	return c;
}

/* The options of every try.  The first error is returned. */
static CURLcode
http_curl_setup(struct sms_curl *hc, const struct sms_provider *p,
		const struct sms_http_request *req)
{
	CURL *h = hc->curl;
	CURLcode c = http_curl_transport(hc, p, req);
	size_t i;

	/* Basic and every other Authorization are header lines of req;
	 * only a signature needs libcurl's help. */
	if (c == CURLE_OK && req->sigv4 != NULL) {
#if LIBCURL_VERSION_NUM >= 0x074b00
		c = set_str(h, CURLOPT_AWS_SIGV4, req->sigv4);
#else
		c = CURLE_NOT_BUILT_IN;
#endif
		if (c != CURLE_OK) {
			hc->no_sigv4 = 1;
			return c;
		}
		c = set_str(h, CURLOPT_USERNAME, req->sigv4_key_id);
		if (c == CURLE_OK)
			c = set_str(h, CURLOPT_PASSWORD, req->sigv4_secret);
	}
	if (c != CURLE_OK)
		return c;

	/* "Expect:" keeps curl from waiting for a 100 Continue that small
	 * gateways never send.  Not on a signed request: libcurl would sign
	 * the removed header as an empty one and AWS refuse the signature
	 * (and it sends no Expect for a body as small as ours anyway). */
	for (i = 0; i < req->n_headers + (req->sigv4 == NULL); i++) {
		const char *line = i < req->n_headers ? req->headers[i] : "Expect:";
		struct curl_slist *l = cu.slist_append(hc->headers, line);

		if (l == NULL)
			return CURLE_OUT_OF_MEMORY;
		hc->headers = l;
	}
	c = set_ptr(h, CURLOPT_HTTPHEADER, hc->headers);
	if (c != CURLE_OK)
		return c;

	if (strcmp(req->method, "GET") == 0)
		return set_long(h, CURLOPT_HTTPGET, 1L);
	/* POSTFIELDS, not COPYPOSTFIELDS: the body stays in our buffer,
	 * which is wiped, instead of an unwiped copy inside libcurl. */
	c = set_long(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
	if (c == CURLE_OK)
		c = set_str(h, CURLOPT_POSTFIELDS, req->body);
	if (c == CURLE_OK && strcmp(req->method, "PUT") == 0)
		c = set_str(h, CURLOPT_CUSTOMREQUEST, "PUT");
	return c;
}

/* The answer's Retry-After in seconds (libcurl reads both a delay and an
 * HTTP date), 0 when none; capped at a day. */
static long
http_curl_retry_after(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x074200
	curl_off_t ra = 0;

	if (cu.easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK ||
	    ra <= 0)
		return 0;
	return ra > 86400 ? 86400 : (long)ra;
#else
	(void)h;
	return 0;
#endif
}

/* The easy handle of the first try, loaded and set up: SMS_OK, or
 * SMS_FAILED with err, or SMS_ENOMEM. */
static int
http_curl_first(struct sms_curl *hc, const struct sms_provider *p,
		const struct sms_http_request *req, char *err, size_t errlen)
{
	CURLcode c;

	if (sms_curl_load(err, errlen) != 0)
		return SMS_FAILED;
	hc->curl = cu.easy_init();
	if (hc->curl == NULL)
		return SMS_ENOMEM;
	c = http_curl_setup(hc, p, req);
	if (c == CURLE_OUT_OF_MEMORY)
		return SMS_ENOMEM;
	if (c != CURLE_OK && hc->no_sigv4) {
		snprintf(err, errlen, "this libcurl cannot sign AWS "
			 "requests (SigV4 needs libcurl 7.75 or later): %s",
			 cu.easy_strerror(c));
		return SMS_FAILED;
	}
	if (c != CURLE_OK) {
		snprintf(err, errlen, "libcurl refused an option: %s",
			 cu.easy_strerror(c));
		return SMS_FAILED;
	}
	return SMS_OK;
}

/* The answer of a completed exchange, handed over; the next try gets a
 * fresh buffer.  SMS_OK or SMS_ENOMEM. */
static int
http_curl_take(struct sms_curl *hc, struct sms_http_answer *ans)
{
	if (hc->buf == NULL) {
		hc->buf = malloc(1);
		if (hc->buf == NULL)
			return SMS_ENOMEM;
	}
	hc->buf[hc->len] = '\0';
	ans->body = hc->buf;
	ans->len = hc->len;
	hc->buf = NULL;
	hc->len = 0;
	return SMS_OK;
}

int
sms_curl_exchange(void *ud, const struct sms_provider *p,
		   const struct sms_http_request *req, long timeout_ms,
		   long connect_timeout_ms, struct sms_http_answer *ans,
		   int *retryable, char *err, size_t errlen)
{
	struct sms_curl *hc = ud;
	long status = 0;
	CURLcode c;
	int rc;

	*retryable = 0;
	/* Until perform has run, nothing has left. */
	ans->never_left = 1;
	if (hc->curl == NULL) {
		rc = http_curl_first(hc, p, req, err, errlen);
		if (rc != SMS_OK)
			return rc;
	}
	if (hc->buf != NULL)
		util_wipe(hc->buf, hc->len);
	hc->len = 0;
	hc->too_large = 0;
	hc->nomem = 0;
	hc->errbuf[0] = '\0';
	c = set_long(hc->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (c == CURLE_OK)
		c = set_long(hc->curl, CURLOPT_CONNECTTIMEOUT_MS,
				     connect_timeout_ms);
	if (c == CURLE_OK) {
		ans->never_left = 0;
		c = cu.easy_perform(hc->curl);
		ans->never_left = c != CURLE_OK && http_curl_never_left(hc->curl);
	}
	if (cu.easy_getinfo(hc->curl, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	ans->status = status;
	ans->retry_after = http_curl_retry_after(hc->curl);
	if (hc->nomem || c == CURLE_OUT_OF_MEMORY)
		return SMS_ENOMEM;
	if (hc->too_large) {
		snprintf(err, errlen, "answer larger than %d KiB, refused",
			 SMS_HTTP_MAX_RESPONSE / 1024);
		return SMS_FAILED;
	}
	if (c != CURLE_OK) {
		/* curl's messages name host and port, never the path or
		 * query, which may hold a key. */
		util_sanitize(hc->errbuf);
		snprintf(err, errlen, "curl error %d: %s", (int)c,
			 hc->errbuf[0] != '\0' ? hc->errbuf :
			 cu.easy_strerror(c));
		*retryable = http_curl_retryable(c);
		return SMS_FAILED;
	}
	return http_curl_take(hc, ans);
}

struct sms_curl *
sms_curl_new(void)
{
	return calloc(1, sizeof(struct sms_curl));
}

void
sms_curl_free(struct sms_curl *hc)
{
	if (hc == NULL)
		return;
	easy_free(hc);
	free(hc);
}
