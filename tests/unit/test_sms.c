/*
 * Unit tests of sms/: provider checks, the success_json matcher, request
 * building, answer judging, retries and failover through the transport
 * seam, the file provider, and a few real libcurl exchanges with a tiny
 * HTTP server forked on loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../sms/isolate.h"
#include "../../sms/provider.h"
#include "../../sms/sms.h"
#define TESTLIB_LOG
#include "testlib.h"

#define PHONE "+447700900123"
#define TEXT "Your code is 493817"

static const struct sms_message msg = { PHONE, TEXT, NULL };

/* ------------------------------------------------------------------ */
/* The log sink (testlib.h) keeps everything, to look for leaks of secrets. */

static void
assert_log_clean(void)
{
	assert_null(strstr(logbuf, TEXT));
	assert_null(strstr(logbuf, "493817"));
	assert_null(strstr(logbuf, PHONE));
	assert_null(strstr(logbuf, &PHONE[1]));
	assert_null(strstr(logbuf, "s3cret-pw"));
	assert_null(strstr(logbuf, "tok-abcdef"));
}

/* ------------------------------------------------------------------ */
/* Providers */

static char *
xstrdup(const char *s)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL)
		assert_non_null(d);
	return d;
}

static struct sms_provider *
new_http(const char *name, const char *url)
{
	struct sms_provider *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->name = xstrdup(name);
	p->type = SMS_TYPE_HTTP;
	p->url = xstrdup(url);
	p->timeout = SMS_DEFAULT_TIMEOUT;
	p->connect_timeout = SMS_DEFAULT_CONNECT_TIMEOUT;
	p->retries = SMS_DEFAULT_RETRIES;
	p->format = SMS_FORMAT_JSON;
	return p;
}

static struct sms_provider *
new_file(const char *name, const char *path)
{
	struct sms_provider *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->name = xstrdup(name);
	p->type = SMS_TYPE_FILE;
	p->path = xstrdup(path);
	p->timeout = SMS_DEFAULT_TIMEOUT;
	p->connect_timeout = SMS_DEFAULT_CONNECT_TIMEOUT;
	p->retries = SMS_DEFAULT_RETRIES;
	return p;
}

static void
set_headers(struct sms_provider *p, const char *const *h)
{
	size_t n = 0, i;

	while (h != NULL && h[n] != NULL)
		n++;
	p->headers = calloc(n + 1, sizeof(*p->headers));
	assert_non_null(p->headers);
	for (i = 0; i < n; i++)
		p->headers[i] = xstrdup(h[i]);
	p->n_headers = n;
}

static void
set_status(struct sms_provider *p, const long *st, size_t n)
{
	p->success_status = calloc(n, sizeof(*p->success_status));
	assert_non_null(p->success_status);
	memcpy(p->success_status, st, n * sizeof(*st));
	p->n_success_status = n;
}

/* ------------------------------------------------------------------ */
/* sms_provider_check */

struct check_case {
	const char *url;
	const char *method;
	const char *body;
	const char *headers[3];
	const char *username;
	const char *password;
	const char *bearer;
	const char *success_json;
	long status;		/* one success_status entry, 0: none */
	long timeout, connect_timeout, retries;	/* 0: default */
	int format;		/* 0 json, 1 form, 2 text, 9 invalid */
	const char *want;	/* NULL: accepted; else part of the error */
};

static const struct check_case check_cases[] = {
	{ .url = "https://api.example.com/sms" },
	{ .url = "HTTPS://api.example.com:8443/v1/sms?key=abc" },
	{ .url = "https://user:pw@api.example.com/sms" },
	{ .url = "https://[2001:db8::1]:443/sms" },
	{ .url = "https://api.example.com/sms/{phone_digits}?text={message}&from={sender}" },
	{ .url = "http://127.0.0.1:8080/x" },
	{ .url = "http://127.1.2.3/x" },
	{ .url = "http://[::1]/" },
	{ .url = "http://[::1]:9000/send" },
	{ .url = "http://localhost/" },
	{ .url = "http://LocalHost:80/" },
	{ .url = "http://u:p@127.0.0.1:8080/x" },
	{ .url = "http://127.0.0.1" },
	{ .url = "http://example.com/", .want = "https://" },
	{ .url = "http://example.com", .want = "loopback" },
	{ .url = "http://localhost.evil.com/", .want = "loopback" },
	{ .url = "http://127.0.0.1.evil.com/", .want = "loopback" },
	{ .url = "http://127.0.0.1@evil.com/", .want = "loopback" },
	{ .url = "http://a@127.0.0.1@evil.com/", .want = "'@'" },
	{ .url = "http://[::2]/", .want = "loopback" },
	{ .url = "http://[::ffff:8.8.8.8]/", .want = "loopback" },
	{ .url = "http://[::1/", .want = "not valid" },
	{ .url = "http://[::1]x/", .want = "not valid" },
	{ .url = "http://[::1%25lo]/", .want = "IPv6" },
	{ .url = "http://2130706433/", .want = "loopback" },
	{ .url = "http://0177.0.0.1/", .want = "loopback" },
	{ .url = "http://127.1/", .want = "loopback" },
	{ .url = "http://10.0.0.1/", .want = "loopback" },
	{ .url = "http://127.0.0.1:0/", .want = "port" },
	{ .url = "http://127.0.0.1:99999/", .want = "port" },
	{ .url = "http://127.0.0.1:/", .want = "port" },
	{ .url = "http://127.0.0.1:80a/", .want = "port" },
	{ .url = "http://127.0.0.1\\@evil.com/", .want = "not valid" },
	{ .url = "ftp://example.com/", .want = "https://" },
	{ .url = "file:///etc/passwd", .want = "https://" },
	{ .url = "//example.com/", .want = "https://" },
	{ .url = "{phone}", .want = "https://" },
	{ .url = "https:///sms", .want = "no host" },
	{ .url = "https://@/sms", .want = "no host" },
	{ .url = "https://{sender}.example.com/", .want = "placeholder" },
	{ .url = "https://api.example.com:{phone}/", .want = "placeholder" },
	{ .url = "https://x{{y}}.example.com/", .want = "placeholder" },
	{ .url = "https://api.example.com/{nope}", .want = "url:" },
	{ .url = "https://api.example.com/{", .want = "url:" },
	{ .url = "https://api.example.com/a b", .want = "white space" },
	{ .url = "https://api.exa mple.com/", .want = "white space" },
	{ .url = "https://api.exam\tple.com/", .want = "white space" },
	{ .url = "https://ex%61mple.com/", .want = "not valid" },
	{ .url = NULL, .want = "url is required" },
	{ .url = "", .want = "url is required" },
	/* method and body */
	{ .url = "https://a.example/", .method = "PUT" },
	{ .url = "https://a.example/", .method = "get" },
	{ .url = "https://a.example/", .method = "DELETE", .want = "method" },
	{ .url = "https://a.example/", .method = "GET", .body = "{message}",
	  .want = "GET" },
	{ .url = "https://a.example/", .body = "{{\"t\":\"{message}\"}}" },
	{ .url = "https://a.example/", .body = "{{\"n\":{phone_digits}}}" },
	{ .url = "https://a.example/", .body = "{{\"t\":{message}}}",
	  .want = "not valid JSON" },
	{ .url = "https://a.example/", .body = "{{\"t\":\"{message}\"",
	  .want = "not valid JSON" },
	{ .url = "https://a.example/", .body = "text={message}", .format = 1 },
	{ .url = "https://a.example/", .body = "{message}", .format = 2 },
	{ .url = "https://a.example/", .body = "{code}", .format = 2,
	  .want = "body:" },
	{ .url = "https://a.example/", .format = 9, .want = "format" },
	/* headers */
	{ .url = "https://a.example/", .headers = { "X-Api-Key: abc",
	  "Accept: application/json" } },
	{ .url = "https://a.example/", .headers = { "X-To:{phone}" } },
	{ .url = "https://a.example/", .headers = { "Content-Type: text/xml" } },
	{ .url = "https://a.example/", .headers = { "X-Api-Key abc" },
	  .want = "Name: value" },
	{ .url = "https://a.example/", .headers = { ": abc" },
	  .want = "Name: value" },
	{ .url = "https://a.example/", .headers = { "X Key: abc" },
	  .want = "Name: value" },
	{ .url = "https://a.example/", .headers = { "X-{sender}: abc" },
	  .want = "Name: value" },
	{ .url = "https://a.example/", .headers = { "X-Key: " },
	  .want = "no value" },
	{ .url = "https://a.example/", .headers = { "X-Key: a\r\nHost: evil" },
	  .want = "control" },
	{ .url = "https://a.example/", .headers = { "X-Key: {nope}" },
	  .want = "header 1" },
	{ .url = "https://a.example/", .headers = { "Content-Length: 5" },
	  .want = "set by the module" },
	{ .url = "https://a.example/", .headers = { "Authorization: Basic x" } },
	{ .url = "https://a.example/", .headers = { "authorization: Basic x" },
	  .bearer = "tok", .want = "Authorization" },
	/* auth */
	{ .url = "https://a.example/", .username = "u", .password = "p" },
	{ .url = "https://a.example/", .bearer = "tok-abc.def" },
	{ .url = "https://a.example/", .username = "u", .want = "together" },
	{ .url = "https://a.example/", .password = "p", .want = "together" },
	{ .url = "https://a.example/", .username = "u", .password = "p",
	  .bearer = "t", .want = "not both" },
	{ .url = "https://a.example/", .username = "u:x", .password = "p",
	  .want = "username" },
	{ .url = "https://a.example/", .username = "u", .password = "p\n",
	  .want = "password" },
	{ .url = "https://a.example/", .bearer = "a b", .want = "bearer" },
	{ .url = "https://a.example/", .bearer = "", .want = "bearer" },
	/* acceptance */
	{ .url = "https://a.example/", .status = 201 },
	{ .url = "https://a.example/", .status = 99, .want = "100..599" },
	{ .url = "https://a.example/", .status = 600, .want = "100..599" },
	{ .url = "https://a.example/", .success_json = "messages.0.status=0" },
	{ .url = "https://a.example/", .success_json = "ok=" },
	{ .url = "https://a.example/", .success_json = "a.b=x=y" },
	{ .url = "https://a.example/", .success_json = "status",
	  .want = "path=value" },
	{ .url = "https://a.example/", .success_json = "=0",
	  .want = "path=value" },
	{ .url = "https://a.example/", .success_json = "a..b=0",
	  .want = "empty segment" },
	{ .url = "https://a.example/", .success_json = ".a=0",
	  .want = "empty segment" },
	{ .url = "https://a.example/", .success_json = "a.=0",
	  .want = "empty segment" },
	{ .url = "https://a.example/", .success_json = "status = 0",
	  .want = "space" },
	/* numbers */
	{ .url = "https://a.example/", .timeout = -1, .want = "timeout" },
	{ .url = "https://a.example/", .timeout = 3, .connect_timeout = 4,
	  .want = "connect_timeout" },
	{ .url = "https://a.example/", .connect_timeout = -1,
	  .want = "connect_timeout" },
	{ .url = "https://a.example/", .retries = 6, .want = "retries" },
	{ .url = "https://a.example/", .retries = -1, .want = "retries" },
};

static void
test_check_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		struct sms_provider *p = new_http("gw", c->url);
		char err[256] = "";
		int rc;

		p->method = xstrdup(c->method);
		p->body = xstrdup(c->body);
		if (c->headers[0] != NULL)
			set_headers(p, c->headers);
		p->username = xstrdup(c->username);
		p->password = xstrdup(c->password);
		p->bearer = xstrdup(c->bearer);
		p->success_json = xstrdup(c->success_json);
		if (c->status != 0)
			set_status(p, &c->status, 1);
		if (c->timeout != 0)
			p->timeout = c->timeout;
		if (c->connect_timeout != 0)
			p->connect_timeout = c->connect_timeout;
		if (c->retries != 0)
			p->retries = c->retries;
		p->format = (enum sms_format)c->format;
		rc = sms_provider_check(p, err, sizeof(err));
		if (c->want == NULL && rc != 0)
			fail_msg("case %zu (%s): refused: %s", i,
				 c->url != NULL ? c->url : "NULL", err);
		if (c->want != NULL && rc == 0)
			fail_msg("case %zu (%s): accepted, wanted \"%s\"", i,
				 c->url != NULL ? c->url : "NULL", c->want);
		if (c->want != NULL && strstr(err, c->want) == NULL)
			fail_msg("case %zu (%s): error \"%s\" lacks \"%s\"", i,
				 c->url != NULL ? c->url : "NULL", err, c->want);
		/* one line, no provider name: the caller adds it */
		assert_null(strchr(err, '\n'));
		assert_null(strstr(err, "'gw'"));
		sms_provider_free(p);
	}
}

static void
test_check_types(void **state)
{
	struct sms_provider *p;
	char err[256];

	(void)state;
	p = new_file("sim", "/tmp/sms.jsonl");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	free(p->path);
	p->path = xstrdup("sms.jsonl");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "absolute"));
	free(p->path);
	p->path = NULL;
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	p->path = xstrdup("/tmp/x");
	p->url = xstrdup("https://a.example/");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "url"));
	sms_provider_free(p);

	p = new_http(NULL, "https://a.example/");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "name"));
	p->name = xstrdup("");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	free(p->name);
	p->name = xstrdup("x");
	p->type = SMS_TYPE_NONE;
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "type"));
	p->type = (enum sms_type)42;
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	sms_provider_free(p);
	assert_int_equal(sms_provider_check(NULL, err, sizeof(err)), -1);
	sms_provider_free(NULL);
}

static void
test_placeholders(void **state)
{
	size_t i;
	int seen = 0;

	(void)state;
	assert_int_equal(sms_n_request_placeholders, 4);
	for (i = 0; i < sms_n_request_placeholders; i++) {
		const char *n = sms_request_placeholders[i];

		seen |= (strcmp(n, "phone") == 0) << 0;
		seen |= (strcmp(n, "phone_digits") == 0) << 1;
		seen |= (strcmp(n, "message") == 0) << 2;
		seen |= (strcmp(n, "sender") == 0) << 3;
	}
	assert_int_equal(seen, 0xf);
}

/* ------------------------------------------------------------------ */
/* success_json */

struct match_case {
	const char *body;
	const char *rule;
	int want;		/* SMS_OK or SMS_FAILED */
	const char *why;	/* part of the error */
};

static const struct match_case match_cases[] = {
	{ "{\"message-count\":\"1\",\"messages\":[{\"status\":\"0\"}]}",
	  "messages.0.status=0", SMS_OK, NULL },
	{ "{\"message-count\":\"1\",\"messages\":[{\"status\":\"2\","
	  "\"error-text\":\"Missing to param\"}]}",
	  "messages.0.status=0", SMS_FAILED, "is \"2\", not \"0\"" },
	{ "{\"message-count\":\"1\",\"messages\":[{\"status\":\"0\"}]}",
	  "message-count=1", SMS_OK, NULL },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages.1.status=0",
	  SMS_FAILED, "out of range" },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages.x.status=0",
	  SMS_FAILED, "not an array index" },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages.-1.status=0",
	  SMS_FAILED, "not an array index" },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages.0.code=0",
	  SMS_FAILED, "has no messages.0.code" },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages=0",
	  SMS_FAILED, "an array, not a value" },
	{ "{\"messages\":[{\"status\":\"0\"}]}", "messages.0=0",
	  SMS_FAILED, "an object, not a value" },
	{ "{\"a\":\"x\"}", "a.b=0", SMS_FAILED, "where an object" },
	{ "[\"ok\"]", "0=ok", SMS_OK, NULL },
	{ "{\"0\":\"ok\"}", "0=ok", SMS_OK, NULL },
	{ "{\"code\":0}", "code=0", SMS_OK, NULL },
	{ "{\"code\":0}", "code=00", SMS_FAILED, "is 0, not \"00\"" },
	{ "{\"code\":-12}", "code=-12", SMS_OK, NULL },
	{ "{\"code\":1.5}", "code=1.5", SMS_OK, NULL },
	{ "{\"code\":12345678901234}", "code=12345678901234", SMS_OK, NULL },
	{ "{\"ok\":true}", "ok=true", SMS_OK, NULL },
	{ "{\"ok\":false}", "ok=true", SMS_FAILED, "is false" },
	{ "{\"ok\":\"true\"}", "ok=true", SMS_OK, NULL },
	{ "{\"e\":null}", "e=null", SMS_OK, NULL },
	{ "{\"e\":\"\"}", "e=", SMS_OK, NULL },
	{ "{\"e\":\"a=b\"}", "e=a=b", SMS_OK, NULL },
	{ "{\"s\":\"caf\\u00e9\"}", "s=caf\xc3\xa9", SMS_OK, NULL },
	{ "{\"s\":\"x\\u0000y\"}", "s=x", SMS_FAILED, "not \"x\"" },
	{ "  {\"ok\":true}\r\n", "ok=true", SMS_OK, NULL },
	{ "{\"ok\":true} x", "ok=true", SMS_FAILED, "after the JSON" },
	{ "{\"ok\":true}{\"ok\":true}", "ok=true", SMS_FAILED, "after the JSON" },
	{ "{\"ok\":tru", "ok=true", SMS_FAILED, "truncated" },
	{ "{\"messages\":[{\"status\":\"0\"", "messages.0.status=0",
	  SMS_FAILED, "truncated" },
	{ "<html>502 Bad Gateway</html>", "ok=true", SMS_FAILED,
	  "not valid JSON" },
	{ "{\"ok\":'true'}", "ok=true", SMS_FAILED, "not valid JSON" },
	{ "{\"ok\":True}", "ok=true", SMS_FAILED, "not valid JSON" },
	{ "{\"ok\":1}//x", "ok=1", SMS_FAILED, "after the JSON" },
	{ "{\"ok\":true,}", "ok=true", SMS_FAILED, "not valid JSON" },
	{ "", "ok=true", SMS_FAILED, "empty" },
	{ " \n", "ok=true", SMS_FAILED, "empty" },
	{ "true", "ok=true", SMS_FAILED, "where an object" },
	{ "0", "0=0", SMS_FAILED, "where an object" },
	{ "[1,2,3]", "2=3", SMS_OK, NULL },
	{ "[1,2,3]", "3=3", SMS_FAILED, "out of range" },
	{ "[1,2,", "1=2", SMS_FAILED, "truncated" },
	{ "{\"a\":\"unterminated", "a=x", SMS_FAILED, "truncated" },
	{ "{\"a\":{\"b\":[{\"c\":[10,20]}]}}", "a.b.0.c.1=20", SMS_OK, NULL },
	{ "{\"ok\":true}", "ok", SMS_FAILED, "path=value" },
	/* "*": every element of an array, and at least one */
	{ "{\"message-count\":\"1\",\"messages\":[{\"to\":\"447700900000\","
	  "\"message-id\":\"0C000000217B7F02\",\"status\":\"0\","
	  "\"remaining-balance\":\"15.53590000\",\"message-price\":"
	  "\"0.03330000\",\"network\":\"23410\"}]}",
	  "messages.*.status=0", SMS_OK, NULL },
	{ "{\"messages\":[{\"status\":\"0\"},{\"status\":\"0\"}]}",
	  "messages.*.status=0", SMS_OK, NULL },
	{ "{\"messages\":[{\"status\":\"0\"},{\"status\":\"1\"}]}",
	  "messages.*.status=0", SMS_FAILED, "messages.1.status is \"1\", not \"0\"" },
	{ "{\"messages\":[{\"status\":\"0\"},{\"code\":\"0\"}]}",
	  "messages.*.status=0", SMS_FAILED, "has no messages.1.status" },
	{ "{\"message-count\":\"0\",\"messages\":[]}", "messages.*.status=0",
	  SMS_FAILED, "messages is an empty array" },
	{ "{\"messages\":{\"status\":\"0\"}}", "messages.*.status=0",
	  SMS_FAILED, "messages is not an array" },
	{ "{\"messages\":\"0\"}", "messages.*=0", SMS_FAILED, "not an array" },
	{ "{\"messages\":[\"0\",0]}", "messages.*=0", SMS_OK, NULL },
	{ "[true,true]", "*=true", SMS_OK, NULL },
	{ "[true,false]", "*=true", SMS_FAILED, "1 is false" },
	{ "[]", "*=true", SMS_FAILED, "empty array" },
	{ "{\"a\":[{\"b\":[{\"c\":1},{\"c\":1}]},{\"b\":[{\"c\":1}]}]}",
	  "a.*.b.*.c=1", SMS_OK, NULL },
	{ "{\"a\":[{\"b\":[{\"c\":1},{\"c\":1}]},{\"b\":[{\"c\":2}]}]}",
	  "a.*.b.*.c=1", SMS_FAILED, "a.1.b.0.c is 2" },
	{ "{\"a\":[{\"b\":[{\"c\":1}]},{\"b\":[]}]}", "a.*.b.*.c=1",
	  SMS_FAILED, "a.1.b is an empty array" },
	{ "{\"a\":[{\"b\":{\"c\":1}}]}", "a.*.b.0.c=1", SMS_FAILED,
	  "a.0.b.0" },
	{ "{\"*\":1}", "*=1", SMS_FAILED, "not an array" },
};

static void
test_json_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		char err[256] = "";
		int rc;

		rc = sms_json_match(c->body, strlen(c->body), c->rule, err,
				    sizeof(err));
		if (rc != c->want)
			fail_msg("case %zu (%s on %s): %d, wanted %d (%s)", i,
				 c->rule, c->body, rc, c->want, err);
		if (c->why != NULL && strstr(err, c->why) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err,
				 c->why);
	}
}

static void
test_json_match_edges(void **state)
{
	char err[256];
	static const char nul[] = "{\"ok\":true}\0junk";

	(void)state;
	/* the length counts, not the NUL */
	assert_int_equal(sms_json_match(nul, sizeof(nul) - 1, "ok=true", err,
					sizeof(err)), SMS_FAILED);
	assert_int_equal(sms_json_match(nul, 11, "ok=true", err, sizeof(err)),
			 SMS_OK);
	/* a truncated buffer: only len bytes are read */
	assert_int_equal(sms_json_match("{\"ok\":true}", 6, "ok=true", err,
					sizeof(err)), SMS_FAILED);
	assert_non_null(strstr(err, "truncated"));
	assert_int_equal(sms_json_match(NULL, 0, "ok=true", err, sizeof(err)),
			 SMS_FAILED);
	assert_int_equal(sms_json_match("{}", 2, NULL, err, sizeof(err)),
			 SMS_FAILED);
}

/* ------------------------------------------------------------------ */
/* Request building */

static int
has_header(const struct sms_http_request *r, const char *line)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++) {
		if (strcmp(r->headers[i], line) == 0)
			return 1;
	}
	return 0;
}

static size_t
count_prefix(const struct sms_http_request *r, const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_headers; i++) {
		if (strncasecmp(r->headers[i], prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

/* Building p's request again (now from p->http) gives r exactly. */
static void
same_request(const struct sms_provider *p, const struct sms_message *m,
	     const struct sms_http_request *r)
{
	struct sms_http_request again;
	char err[256];
	size_t j;

	assert_int_equal(sms_http_build(p, m, &again, err, sizeof(err)), SMS_OK);
	assert_string_equal(again.method, r->method);
	assert_string_equal(again.url, r->url);
	if (r->body != NULL)
		assert_string_equal(again.body, r->body);
	else
		assert_null(again.body);
	assert_int_equal(again.n_headers, r->n_headers);
	for (j = 0; j < r->n_headers; j++)
		assert_string_equal(again.headers[j], r->headers[j]);
	if (r->sigv4 != NULL) {
		assert_string_equal(again.sigv4, r->sigv4);
		assert_string_equal(again.sigv4_key_id, r->sigv4_key_id);
		assert_string_equal(again.sigv4_secret, r->sigv4_secret);
	}
	sms_http_request_free(&again);
}

static void
test_build_defaults(void **state)
{
	struct sms_provider *p = new_http("gw", "https://a.example/send");
	struct sms_http_request r;
	const struct sms_message m = { PHONE, "Code \"12 34\"\n& caf\xc3\xa9", NULL };
	char err[256];

	(void)state;
	p->sender = xstrdup("ACME");
	assert_int_equal(sms_http_build(p, &m, &r, err, sizeof(err)), SMS_OK);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.url, "https://a.example/send");
	assert_string_equal(r.body, "{\"to\":\"+447700900123\",\"from\":\"ACME\","
			    "\"text\":\"Code \\\"12 34\\\"\\n& caf\xc3\xa9\"}");
	assert_true(has_header(&r, "Content-Type: application/json; charset=utf-8"));
	assert_int_equal(count_prefix(&r, "Authorization:"), 0);
	sms_http_request_free(&r);
	assert_null(r.url);

	p->format = SMS_FORMAT_FORM;
	assert_int_equal(sms_http_build(p, &m, &r, err, sizeof(err)), SMS_OK);
	assert_string_equal(r.body, "to=%2B447700900123&from=ACME&text=Code+"
			    "%2212+34%22%0A%26+caf%C3%A9");
	assert_true(has_header(&r, "Content-Type: application/x-www-form-urlencoded"));
	sms_http_request_free(&r);

	p->format = SMS_FORMAT_TEXT;
	free(p->method);
	p->method = xstrdup("put");
	assert_int_equal(sms_http_build(p, &m, &r, err, sizeof(err)), SMS_OK);
	assert_string_equal(r.method, "PUT");
	assert_string_equal(r.body, m.text);
	assert_true(has_header(&r, "Content-Type: text/plain; charset=utf-8"));
	sms_http_request_free(&r);

	/* no sender: "" */
	free(p->sender);
	p->sender = NULL;
	p->format = SMS_FORMAT_JSON;
	assert_int_equal(sms_http_build(p, &msg, &r, err, sizeof(err)), SMS_OK);
	assert_non_null(strstr(r.body, "\"from\":\"\""));
	sms_http_request_free(&r);
	sms_provider_free(p);
}

static void
test_build_get_headers_auth(void **state)
{
	struct sms_provider *p;
	struct sms_http_request r;
	static const char *const hdrs[] = { "X-Key: k1", "X-To: {phone}",
		"content-type: application/vnd.x+json", NULL };
	const struct sms_message nl = { PHONE, "line1\r\nX-Evil: 1", NULL };
	char err[256];

	(void)state;
	p = new_http("gw", "https://a.example/sms?to={phone}&msg={message}"
		     "&d={phone_digits}");
	p->method = xstrdup("GET");
	p->bearer = xstrdup("tok-abcdef");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	assert_int_equal(sms_http_build(p, &msg, &r, err, sizeof(err)), SMS_OK);
	assert_string_equal(r.method, "GET");
	assert_null(r.body);
	assert_string_equal(r.url, "https://a.example/sms?to=%2B447700900123&"
			    "msg=Your%20code%20is%20493817&d=447700900123");
	assert_int_equal(count_prefix(&r, "Content-Type:"), 0);
	assert_true(has_header(&r, "Authorization: Bearer tok-abcdef"));
	sms_http_request_free(&r);
	sms_provider_free(p);

	/* the admin's Content-Type wins; header values expanded */
	p = new_http("gw", "https://a.example/");
	set_headers(p, hdrs);
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	assert_int_equal(sms_http_build(p, &msg, &r, err, sizeof(err)), SMS_OK);
	assert_int_equal(count_prefix(&r, "Content-Type:"), 1);
	assert_true(has_header(&r, "content-type: application/vnd.x+json"));
	assert_true(has_header(&r, "X-Key: k1"));
	assert_true(has_header(&r, "X-To: " PHONE));
	sms_http_request_free(&r);

	sms_provider_free(p);

	/* username and password: one Basic header line */
	p = new_http("gw", "https://a.example/");
	p->username = xstrdup("user1");
	p->password = xstrdup("pa:ss w0rd");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	assert_int_equal(sms_http_build(p, &msg, &r, err, sizeof(err)), SMS_OK);
	assert_int_equal(count_prefix(&r, "Authorization:"), 1);
	assert_true(has_header(&r, "Authorization: Basic dXNlcjE6cGE6c3MgdzByZA=="));
	assert_null(r.sigv4);
	assert_int_equal(sms_provider_prepare(p, err, sizeof(err)), 0);
	same_request(p, &msg, &r);
	sms_http_request_free(&r);

	/* a value that would break the header line is refused */
	sms_provider_free(p);
	p = new_http("gw", "https://a.example/");
	set_headers(p, (const char *const[]){ "X-Text: {message}", NULL });
	assert_int_equal(sms_http_build(p, &nl, &r, err, sizeof(err)),
			 SMS_FAILED);
	assert_non_null(strstr(err, "header 1"));
	assert_null(strstr(err, "X-Evil"));
	assert_null(r.url);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* Judging answers, excerpts */

static void
test_judge(void **state)
{
	struct sms_provider *p = new_http("gw", "https://a.example/");
	char err[256];
	const char *echo = "{\"error\":\"bad number " PHONE " for text '" TEXT
	    "' key s3cret-pw\"}";
	static const long st201[] = { 201 };
	const char *failed = "{\"status\":\"failed\",\"body\":\"" TEXT "\"}";
	const char *echoed = "{\"body\":\"" TEXT "\"}";

	(void)state;
	p->username = xstrdup("user");
	p->password = xstrdup("s3cret-pw");
	assert_int_equal(sms_http_judge(p, &msg, 200, "", 0, err, sizeof(err)),
			 SMS_HTTP_ACCEPT);
	assert_int_equal(sms_http_judge(p, &msg, 204, NULL, 0, err, sizeof(err)),
			 SMS_HTTP_ACCEPT);
	assert_int_equal(sms_http_judge(p, &msg, 500, "oops", 4, err,
					sizeof(err)), SMS_HTTP_RETRY);
	assert_string_equal(err, "HTTP 500: oops");
	assert_int_equal(sms_http_judge(p, &msg, 503, "", 0, err, sizeof(err)),
			 SMS_HTTP_RETRY);
	assert_int_equal(sms_http_judge(p, &msg, 429, "slow down", 9, err,
					sizeof(err)), SMS_HTTP_RETRY);
	assert_int_equal(sms_http_judge(p, &msg, 400, echo, strlen(echo), err,
					sizeof(err)), SMS_HTTP_REFUSE);
	assert_non_null(strstr(err, "HTTP 400: {\"error\":\"bad number *** for"));
	assert_null(strstr(err, "493817"));
	assert_null(strstr(err, "447700900123"));
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(sms_http_judge(p, &msg, 401, "no\r\nauth", 8, err,
					sizeof(err)), SMS_HTTP_REFUSE);
	assert_string_equal(err, "HTTP 401: no??auth");
	assert_int_equal(sms_http_judge(p, &msg, 302, "", 0, err, sizeof(err)),
			 SMS_HTTP_REFUSE);
	assert_non_null(strstr(err, "redirect"));
	assert_int_equal(sms_http_judge(p, &msg, 0, "", 0, err, sizeof(err)),
			 SMS_HTTP_REFUSE);

	set_status(p, st201, 1);
	assert_int_equal(sms_http_judge(p, &msg, 201, "", 0, err, sizeof(err)),
			 SMS_HTTP_ACCEPT);
	assert_int_equal(sms_http_judge(p, &msg, 200, "", 0, err, sizeof(err)),
			 SMS_HTTP_REFUSE);

	/* 2xx and success_json: never retried, never the whole answer */
	p->success_json = xstrdup("status=queued");
	assert_int_equal(sms_http_judge(p, &msg, 201,
					"{\"status\":\"queued\"}", 19, err,
					sizeof(err)), SMS_HTTP_ACCEPT);
	assert_int_equal(sms_http_judge(p, &msg, 201, failed, strlen(failed),
					err, sizeof(err)), SMS_HTTP_REFUSE);
	assert_non_null(strstr(err, "is \"failed\", not \"queued\""));
	assert_null(strstr(err, "493817"));
	assert_int_equal(sms_http_judge(p, &msg, 201, "{\"status\":", 10, err,
					sizeof(err)), SMS_HTTP_REFUSE);
	assert_non_null(strstr(err, "truncated"));
	/* the value found is blanked when it is the text */
	free(p->success_json);
	p->success_json = xstrdup("body=x");
	assert_int_equal(sms_http_judge(p, &msg, 201, echoed, strlen(echoed),
					err, sizeof(err)), SMS_HTTP_REFUSE);
	assert_null(strstr(err, "493817"));
	sms_provider_free(p);
}

static void
test_excerpt(void **state)
{
	char out[SMS_EXCERPT_MAX + 40], big[400];
	const char *secrets[] = { "hunter22", "abc", NULL };
	size_t i;

	(void)state;
	sms_excerpt("x hunter22 y abc", 16, secrets, out, sizeof(out));
	assert_string_equal(out, "x *** y abc");	/* "abc" too short */
	sms_excerpt("a\tb\x1b[31mc\x7f", 10, NULL, out, sizeof(out));
	assert_string_equal(out, "a?bc?");	/* the escape sequence gone */
	sms_excerpt("a\0b", 3, NULL, out, sizeof(out));
	assert_string_equal(out, "a?b");
	/* a secret an escape sequence splits is whole once it is taken out:
	 * blanked all the same */
	sms_excerpt("k=hunt\x1b[1mer22.", 15, secrets, out, sizeof(out));
	assert_string_equal(out, "k=***.");
	/* a number or code echoed in a form no secret matches: digit runs
	 * of 4 or more are blanked, short numbers stay */
	sms_excerpt("To +44 7700 900123 invalid, code 1234 in 21 s", 45, NULL, out,
		    sizeof(out));
	assert_string_equal(out, "To +44 #### ###### invalid, code #### in 21 s");
	/* an alphanumeric code is blanked as a secret */
	{
		const char *code[] = { "ABCDEF", NULL };

		sms_excerpt("h\\u00f4te code ABCDEF.", 22, code, out, sizeof(out));
		assert_string_equal(out, "h\\u00f4te code ***.");
	}
	for (i = 0; i < sizeof(big); i++)
		big[i] = 'a';
	sms_excerpt(big, sizeof(big), NULL, out, sizeof(out));
	assert_int_equal(strlen(out), SMS_EXCERPT_MAX);
	/* a 2-byte character across the cut is dropped whole */
	big[SMS_EXCERPT_MAX - 1] = '\xc3';
	big[SMS_EXCERPT_MAX] = '\xa9';
	sms_excerpt(big, sizeof(big), NULL, out, sizeof(out));
	assert_int_equal(strlen(out), SMS_EXCERPT_MAX - 1);
	/* a complete one at the end stays */
	big[SMS_EXCERPT_MAX - 2] = '\xc3';
	big[SMS_EXCERPT_MAX - 1] = '\xa9';
	big[SMS_EXCERPT_MAX] = 'a';
	sms_excerpt(big, sizeof(big), NULL, out, sizeof(out));
	assert_int_equal(strlen(out), SMS_EXCERPT_MAX);
	sms_excerpt("abcdef", 6, NULL, out, 4);
	assert_string_equal(out, "abc");
	sms_excerpt(NULL, 0, NULL, out, sizeof(out));
	assert_string_equal(out, "");
}

/* ------------------------------------------------------------------ */
/* Vendor presets */

#define SID "AC0123456789abcdef0123456789abcdef"
#define MSID "MG0123456789abcdef0123456789abcdef"
#define UTEXT "C\xc3\xb3" "digo 493817 \xe2\x9c\x93"	/* "Código 493817 ✓" */
#define UTEXT_FORM "C%C3%B3digo+493817+%E2%9C%93"
#define TEXT_FORM "Your+code+is+493817"

struct creds {
	const char *account_sid, *auth_token, *messaging_service_sid;
	const char *api_key, *api_secret, *access_key, *auth_id;
	const char *service_plan_id, *api_token, *region;
	const char *access_key_id, *secret_access_key;
	const char *sender, *url;
};

/* A credential of p's vendor, by its name in the vendor table (NULL
 * leaves it unset). */
static void
set_cred(struct sms_provider *p, const char *name, const char *v)
{
	long off = sms_cred_offset(p->type, name);
	char **f;

	if (off < 0) {
		if (v != NULL)
			fail_msg("%s takes no %s", sms_type_name(p->type), name);
		return;
	}
	f = (char **)(void *)((char *)p + off);
	free(*f);
	*f = xstrdup(v);
}

static struct sms_provider *
new_preset(enum sms_type type, const struct creds *c)
{
	struct sms_provider *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->name = xstrdup("vendor");
	p->type = type;
	p->timeout = SMS_DEFAULT_TIMEOUT;
	p->connect_timeout = SMS_DEFAULT_CONNECT_TIMEOUT;
	p->retries = SMS_DEFAULT_RETRIES;
	p->format = SMS_FORMAT_JSON;
	set_cred(p, "account_sid", c->account_sid);
	set_cred(p, "auth_token", c->auth_token);
	set_cred(p, "messaging_service_sid", c->messaging_service_sid);
	set_cred(p, "api_key", c->api_key);
	set_cred(p, "api_secret", c->api_secret);
	set_cred(p, "access_key", c->access_key);
	set_cred(p, "auth_id", c->auth_id);
	set_cred(p, "service_plan_id", c->service_plan_id);
	set_cred(p, "api_token", c->api_token);
	set_cred(p, "region", c->region);
	set_cred(p, "access_key_id", c->access_key_id);
	set_cred(p, "secret_access_key", c->secret_access_key);
	p->sender = xstrdup(c->sender);
	p->url = xstrdup(c->url);
	return p;
}

/* Credentials of a working entry per type. */
static const struct creds twilio_c = { .account_sid = SID,
	.auth_token = "s3cret-pw", .sender = "ACME" };
static const struct creds vonage_c = { .api_key = "abcd1234",
	.api_secret = "s3cret-pw", .sender = "ACME" };
static const struct creds mbird_c = { .access_key = "live_tok-abcdef",
	.sender = "ACME" };
static const struct creds plivo_c = { .auth_id = "MAXXXXXXXXXXXXXXXXXX",
	.auth_token = "s3cret-pw", .sender = "+14155550100" };
static const struct creds sinch_c = {
	.service_plan_id = "jd63jf88477ll123ab4567cd89012ef3",
	.api_token = "tok-abcdef", .sender = "+12025550134" };
static const struct creds infobip_c = {
	.api_key = "003026bbc133714df1834b8638bb496e-8f4b3d9a", .sender = "ACME" };
static const struct creds click_c = { .api_key = "Ab1Cd2Ef3Gh4Ij5Kl6Mn7A==" };
static const struct creds sns_c = { .region = "eu-west-1",
	.access_key_id = "AKIAIOSFODNN7EXAMPLE",
	.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

struct preset_check_case {
	enum sms_type type;
	struct creds c;
	const char *want;	/* NULL: accepted; else part of the error */
};

static const struct preset_check_case preset_checks[] = {
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "+15005550006" }, NULL },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .messaging_service_sid = MSID }, NULL },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .sender = "ACME" },
	  "twilio needs account_sid and auth_token (auth_token is missing)" },
	{ SMS_TYPE_TWILIO, { .sender = "ACME" },
	  "twilio needs account_sid and auth_token (account_sid and "
	  "auth_token are missing)" },
	{ SMS_TYPE_TWILIO, { .account_sid = "", .auth_token = "t",
	  .sender = "ACME" }, "account_sid is missing" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t" },
	  "twilio needs either sender or messaging_service_sid" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "ACME", .messaging_service_sid = MSID }, "not both" },
	{ SMS_TYPE_TWILIO, { .account_sid = "AC:1", .auth_token = "t",
	  .sender = "ACME" }, "account_sid must not contain ':'" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t\r\nX: y",
	  .sender = "ACME" }, "auth_token must be non-empty, without control" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "AC\nME" }, "sender must be non-empty" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "ACME", .url = "http://127.0.0.1:8080/2010-04-01/Accounts/"
	  SID "/Messages.json" }, NULL },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "ACME", .url = "http://api.twilio.com/" }, "https://" },
	{ SMS_TYPE_TWILIO, { .account_sid = SID, .auth_token = "t",
	  .sender = "ACME", .url = "https://a.example/{account_sid}" },
	  "{account_sid}" },
	{ SMS_TYPE_VONAGE, { .api_key = "k", .api_secret = "s",
	  .sender = "ACME" }, NULL },
	{ SMS_TYPE_VONAGE, { .api_key = "k", .sender = "ACME" },
	  "vonage needs api_key and api_secret (api_secret is missing)" },
	{ SMS_TYPE_VONAGE, { .api_key = "k", .api_secret = "s" },
	  "vonage needs sender" },
	{ SMS_TYPE_VONAGE, { .api_key = "k", .api_secret = "s", .sender = "" },
	  "sender must be non-empty" },
	{ SMS_TYPE_MESSAGEBIRD, { .access_key = "k", .sender = "ACME" }, NULL },
	{ SMS_TYPE_MESSAGEBIRD, { .sender = "ACME" },
	  "messagebird needs access_key (access_key is missing)" },
	{ SMS_TYPE_MESSAGEBIRD, { .access_key = "k" }, "messagebird needs sender" },
	{ SMS_TYPE_PLIVO, { .auth_id = "MA1", .auth_token = "t",
	  .sender = "+14155550100" }, NULL },
	{ SMS_TYPE_PLIVO, { .auth_token = "t", .sender = "ACME" },
	  "plivo needs auth_id and auth_token (auth_id is missing)" },
	{ SMS_TYPE_PLIVO, { .auth_id = "MA1", .auth_token = "t" },
	  "plivo needs sender" },
	{ SMS_TYPE_SINCH, { .service_plan_id = "sp", .api_token = "t" }, NULL },
	{ SMS_TYPE_SINCH, { .service_plan_id = "sp", .api_token = "t",
	  .region = "eu" }, NULL },
	{ SMS_TYPE_SINCH, { .service_plan_id = "sp", .api_token = "t",
	  .region = "ca" }, NULL },
	{ SMS_TYPE_SINCH, { .service_plan_id = "sp", .api_token = "t",
	  .region = "de" }, "region must be one of us, eu, au, br, ca" },
	{ SMS_TYPE_SINCH, { .service_plan_id = "sp", .api_token = "t",
	  .region = "evil.example/" }, "region must be one of" },
	{ SMS_TYPE_SINCH, { .api_token = "t" },
	  "sinch needs service_plan_id and api_token (service_plan_id is "
	  "missing)" },
	{ SMS_TYPE_INFOBIP, { .api_key = "k" }, NULL },
	{ SMS_TYPE_INFOBIP, { .api_key = "k",
	  .url = "https://xyz123.api.infobip.com/sms/2/text/advanced" }, NULL },
	{ SMS_TYPE_INFOBIP, { .sender = "ACME" },
	  "infobip needs api_key (api_key is missing)" },
	{ SMS_TYPE_CLICKATELL, { .api_key = "k" }, NULL },
	{ SMS_TYPE_CLICKATELL, { .api_key = "k\tx" }, "api_key must be" },
	{ SMS_TYPE_CLICKATELL, { 0 }, "clickatell needs api_key" },
	{ SMS_TYPE_AWS_SNS, { .region = "us-east-1", .access_key_id = "AKID",
	  .secret_access_key = "s" }, NULL },
	{ SMS_TYPE_AWS_SNS, { .region = "ap-southeast-2", .access_key_id = "AKID",
	  .secret_access_key = "s", .sender = "ACME" }, NULL },
	{ SMS_TYPE_AWS_SNS, { .access_key_id = "AKID", .secret_access_key = "s" },
	  "aws_sns needs region, access_key_id and secret_access_key (region "
	  "is missing)" },
	{ SMS_TYPE_AWS_SNS, { .region = "us-east-1" },
	  "(access_key_id and secret_access_key are missing)" },
	{ SMS_TYPE_AWS_SNS, { .region = "US-EAST-1", .access_key_id = "AKID",
	  .secret_access_key = "s" }, "region must be an AWS region" },
	{ SMS_TYPE_AWS_SNS, { .region = "us-east-1.evil.com", .access_key_id = "A",
	  .secret_access_key = "s" }, "region must be an AWS region" },
	{ SMS_TYPE_AWS_SNS, { .region = "-1", .access_key_id = "A",
	  .secret_access_key = "s" }, "region must be an AWS region" },
};

static void
test_preset_check(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(preset_checks) / sizeof(preset_checks[0]); i++) {
		const struct preset_check_case *c = &preset_checks[i];
		struct sms_provider *p = new_preset(c->type, &c->c);
		char err[256] = "";
		int rc;

		rc = sms_provider_check(p, err, sizeof(err));
		if (c->want == NULL && rc != 0)
			fail_msg("case %zu (%s): refused: %s", i,
				 sms_type_name(c->type), err);
		if (c->want != NULL && rc == 0)
			fail_msg("case %zu (%s): accepted, wanted \"%s\"", i,
				 sms_type_name(c->type), c->want);
		if (c->want != NULL && strstr(err, c->want) == NULL)
			fail_msg("case %zu (%s): error \"%s\" lacks \"%s\"", i,
				 sms_type_name(c->type), err, c->want);
		assert_null(strchr(err, '\n'));
		sms_provider_free(p);
	}
}

static void
test_preset_check_http_keys(void **state)
{
	struct sms_provider *p = new_preset(SMS_TYPE_VONAGE, &vonage_c);
	char err[256];

	(void)state;
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	p->bearer = xstrdup("x");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "are for type http; vonage has its own"));
	free(p->bearer);
	p->bearer = NULL;
	p->proxy = xstrdup("http://proxy.example:3128");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), 0);
	p->url = xstrdup("http://127.0.0.1:9/sms/json");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "proxy"));
	sms_provider_free(p);

	/* the http type keeps its four placeholders */
	p = new_http("gw", "https://a.example/{api_key}");
	assert_int_equal(sms_provider_check(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "{api_key}"));
	sms_provider_free(p);
}

/* Every preset's templates use known placeholders, and every JSON body
 * parses, with and without a sender, for both encodings. */
static void
test_preset_data(void **state)
{
	static const struct creds *const cs[SMS_TYPE_COUNT] = {
		[SMS_TYPE_TWILIO] = &twilio_c, [SMS_TYPE_VONAGE] = &vonage_c,
		[SMS_TYPE_MESSAGEBIRD] = &mbird_c, [SMS_TYPE_PLIVO] = &plivo_c,
		[SMS_TYPE_SINCH] = &sinch_c, [SMS_TYPE_INFOBIP] = &infobip_c,
		[SMS_TYPE_CLICKATELL] = &click_c, [SMS_TYPE_AWS_SNS] = &sns_c,
	};
	const char *tricky = "\"}]{\\ \n&=+%";
	int t, n = 0;

	(void)state;
	assert_null(sms_vendor_get(SMS_TYPE_HTTP));
	assert_null(sms_vendor_get(SMS_TYPE_FILE));
	assert_null(sms_vendor_get(SMS_TYPE_COMMAND));
	assert_null(sms_vendor_get(SMS_TYPE_NONE));
	assert_int_equal(sms_n_vendors, SMS_TYPE_COUNT - SMS_TYPE_TWILIO);
	for (t = SMS_TYPE_TWILIO; t < SMS_TYPE_COUNT; t++) {
		const struct sms_vendor *ps = sms_vendor_get((enum sms_type)t);
		int k;

		assert_non_null(ps);
		assert_non_null(cs[t]);
		assert_true(ps->status >= 200 && ps->status <= 299);
		assert_true(strncmp(ps->url, "https://", 8) == 0);
		for (k = 0; k < 4; k++) {
			const struct sms_message m = { PHONE, k & 1 ? UTEXT : tricky,
						       NULL };
			struct sms_provider *p = new_preset((enum sms_type)t, cs[t]);
			struct sms_http_request r;
			struct json_object *o;
			char err[256];

			if (k & 2) {
				free(p->sender);
				p->sender = NULL;
				if (t == SMS_TYPE_TWILIO)
					set_cred(p, "messaging_service_sid", MSID);
				else if (ps->sender == SMS_SENDER_REQUIRED) {
					sms_provider_free(p);
					continue;
				}
			}
			if (sms_provider_check(p, err, sizeof(err)) != 0)
				fail_msg("%s: %s", sms_type_name((enum sms_type)t),
					 err);
			if (sms_http_build(p, &m, &r, err, sizeof(err)) != SMS_OK)
				fail_msg("%s: %s", sms_type_name((enum sms_type)t),
					 err);
			assert_string_equal(r.method, "POST");
			if (ps->format == SMS_FORMAT_JSON) {
				o = json_tokener_parse(r.body);
				if (o == NULL)
					fail_msg("%s: body is not JSON: %s",
						 sms_type_name((enum sms_type)t),
						 r.body);
				json_object_put(o);
			}
			/* the text is in the body, as the vendor will read it */
			assert_non_null(ps->format == SMS_FORMAT_JSON ?
					strstr(r.body, k & 1 ? UTEXT : "\\\"}]{") :
					strstr(r.body, k & 1 ? UTEXT_FORM : "%22%7D%5D"));
			sms_http_request_free(&r);
			sms_provider_free(p);
			n++;
		}
	}
	assert_int_equal(n, 26);	/* vonage, messagebird, plivo need a sender */
	{
		const struct sms_vendor *sv = sms_vendor_get(SMS_TYPE_SINCH);
		const struct sms_cred *rc = &sv->creds[sms_vendor_slot(sv, "region")];
		size_t k;

		assert_int_equal(rc->rule, SMS_CRED_CHOICE);
		for (k = 0; rc->choices[k] != NULL; k++)
			;
		assert_int_equal(k, 5);
		assert_string_equal(rc->choices[0], "us");
		assert_string_equal(rc->dflt, "us");
	}
	/* what config reads from the table: the types and the keys */
	{
		char types[200];

		sms_type_list(types, sizeof(types));
		assert_string_equal(types, "http, twilio, vonage, messagebird, "
				    "plivo, sinch, infobip, clickatell, aws_sns, "
				    "command or file");
		assert_int_equal(sms_cred_offset(SMS_TYPE_TWILIO, "account_sid"),
				 (long)offsetof(struct sms_provider, account_sid));
		assert_int_equal(sms_cred_offset(SMS_TYPE_AWS_SNS, "region"),
				 (long)offsetof(struct sms_provider, region));
		assert_int_equal(sms_cred_offset(SMS_TYPE_TWILIO, "api_key"), -1);
		assert_int_equal(sms_cred_offset(SMS_TYPE_HTTP, "api_key"), -1);
		assert_int_equal(sms_cred_offset(SMS_TYPE_TWILIO, "pigeon"), -2);
		assert_true(sms_type_is_vendor(SMS_TYPE_CLICKATELL));
		assert_false(sms_type_is_vendor(SMS_TYPE_HTTP));
		assert_int_equal(sms_type_from_name("aws_sns"), SMS_TYPE_AWS_SNS);
		assert_int_equal(sms_type_from_name("command"), SMS_TYPE_COMMAND);
	}
}

struct build_case {
	enum sms_type type;
	const struct creds *c;
	const char *sender;	/* replaces c's; "-" for none */
	const char *extra;	/* messaging_service_sid or region or url */
	const char *text;
	const char *url;
	const char *body;
	const char *headers[4];	/* exactly these lines, in any order */
	const char *sigv4;
};

#define CT_FORM "Content-Type: application/x-www-form-urlencoded"
#define CT_JSON "Content-Type: application/json; charset=utf-8"
#define ACCEPT "Accept: application/json"
#define TW_BASIC "Authorization: Basic " \
	"QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpzM2NyZXQtcHc="
#define PL_BASIC "Authorization: Basic " \
	"TUFYWFhYWFhYWFhYWFhYWFhYWFg6czNjcmV0LXB3"
#define SNS_BODY1 "Action=Publish&Version=2010-03-31&PhoneNumber=%2B447700900123" \
	"&Message="
#define SNS_BODY2 "&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType" \
	"&MessageAttributes.entry.1.Value.DataType=String" \
	"&MessageAttributes.entry.1.Value.StringValue=Transactional"
#define SNS_SENDER "&MessageAttributes.entry.2.Name=AWS.SNS.SMS.SenderID" \
	"&MessageAttributes.entry.2.Value.DataType=String" \
	"&MessageAttributes.entry.2.Value.StringValue=ACME"

static const struct build_case build_cases[] = {
	{ SMS_TYPE_TWILIO, &twilio_c, NULL, NULL, TEXT,
	  "https://api.twilio.com/2010-04-01/Accounts/" SID "/Messages.json",
	  "To=%2B447700900123&From=ACME&Body=" TEXT_FORM,
	  { CT_FORM, TW_BASIC }, NULL },
	{ SMS_TYPE_TWILIO, &twilio_c, "-", MSID, UTEXT,
	  "https://api.twilio.com/2010-04-01/Accounts/" SID "/Messages.json",
	  "To=%2B447700900123&MessagingServiceSid=" MSID "&Body=" UTEXT_FORM,
	  { CT_FORM, TW_BASIC }, NULL },
	{ SMS_TYPE_VONAGE, &vonage_c, NULL, NULL, TEXT,
	  "https://rest.nexmo.com/sms/json",
	  "api_key=abcd1234&api_secret=s3cret-pw&from=ACME&to=447700900123"
	  "&text=" TEXT_FORM, { CT_FORM }, NULL },
	{ SMS_TYPE_VONAGE, &vonage_c, NULL, NULL, UTEXT,
	  "https://rest.nexmo.com/sms/json",
	  "api_key=abcd1234&api_secret=s3cret-pw&from=ACME&to=447700900123"
	  "&text=" UTEXT_FORM "&type=unicode", { CT_FORM }, NULL },
	/* GSM-7 with its extension table (€, [) is not unicode */
	{ SMS_TYPE_VONAGE, &vonage_c, "My Shop", NULL, "\xe2\x82\xac" "5 [x] 12",
	  "https://rest.nexmo.com/sms/json",
	  "api_key=abcd1234&api_secret=s3cret-pw&from=My+Shop&to=447700900123"
	  "&text=%E2%82%AC5+%5Bx%5D+12", { CT_FORM }, NULL },
	{ SMS_TYPE_MESSAGEBIRD, &mbird_c, NULL, NULL, TEXT,
	  "https://rest.messagebird.com/messages",
	  "{\"originator\":\"ACME\",\"recipients\":[\"447700900123\"],"
	  "\"body\":\"" TEXT "\",\"datacoding\":\"plain\"}",
	  { CT_JSON, ACCEPT, "Authorization: AccessKey live_tok-abcdef" }, NULL },
	{ SMS_TYPE_MESSAGEBIRD, &mbird_c, NULL, NULL, UTEXT,
	  "https://rest.messagebird.com/messages",
	  "{\"originator\":\"ACME\",\"recipients\":[\"447700900123\"],"
	  "\"body\":\"" UTEXT "\",\"datacoding\":\"unicode\"}",
	  { CT_JSON, ACCEPT, "Authorization: AccessKey live_tok-abcdef" }, NULL },
	{ SMS_TYPE_PLIVO, &plivo_c, NULL, NULL, TEXT,
	  "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/",
	  "{\"src\":\"+14155550100\",\"dst\":\"447700900123\",\"text\":\""
	  TEXT "\"}", { CT_JSON, PL_BASIC }, NULL },
	{ SMS_TYPE_PLIVO, &plivo_c, NULL, NULL, UTEXT,
	  "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/",
	  "{\"src\":\"+14155550100\",\"dst\":\"447700900123\",\"text\":\""
	  UTEXT "\"}", { CT_JSON, PL_BASIC }, NULL },
	{ SMS_TYPE_SINCH, &sinch_c, NULL, NULL, TEXT,
	  "https://us.sms.api.sinch.com/xms/v1/jd63jf88477ll123ab4567cd89012ef3"
	  "/batches",
	  "{\"from\":\"+12025550134\",\"to\":[\"+447700900123\"],\"body\":\""
	  TEXT "\"}",
	  { CT_JSON, ACCEPT, "Authorization: Bearer tok-abcdef" }, NULL },
	{ SMS_TYPE_SINCH, &sinch_c, "-", "eu", UTEXT,
	  "https://eu.sms.api.sinch.com/xms/v1/jd63jf88477ll123ab4567cd89012ef3"
	  "/batches",
	  "{\"to\":[\"+447700900123\"],\"body\":\"" UTEXT "\"}",
	  { CT_JSON, ACCEPT, "Authorization: Bearer tok-abcdef" }, NULL },
	{ SMS_TYPE_INFOBIP, &infobip_c, NULL, NULL, TEXT,
	  "https://api.infobip.com/sms/2/text/advanced",
	  "{\"messages\":[{\"from\":\"ACME\",\"destinations\":[{\"to\":"
	  "\"447700900123\"}],\"text\":\"" TEXT "\"}]}",
	  { CT_JSON, ACCEPT, "Authorization: App "
	    "003026bbc133714df1834b8638bb496e-8f4b3d9a" }, NULL },
	{ SMS_TYPE_INFOBIP, &infobip_c, "-",
	  "https://xyz123.api.infobip.com/sms/2/text/advanced", UTEXT,
	  "https://xyz123.api.infobip.com/sms/2/text/advanced",
	  "{\"messages\":[{\"destinations\":[{\"to\":\"447700900123\"}],"
	  "\"text\":\"" UTEXT "\"}]}",
	  { CT_JSON, ACCEPT, "Authorization: App "
	    "003026bbc133714df1834b8638bb496e-8f4b3d9a" }, NULL },
	{ SMS_TYPE_CLICKATELL, &click_c, NULL, NULL, TEXT,
	  "https://platform.clickatell.com/messages",
	  "{\"content\":\"" TEXT "\",\"to\":[\"447700900123\"]}",
	  { CT_JSON, ACCEPT, "Authorization: Ab1Cd2Ef3Gh4Ij5Kl6Mn7A==" }, NULL },
	{ SMS_TYPE_CLICKATELL, &click_c, "+15555550123", NULL, UTEXT,
	  "https://platform.clickatell.com/messages",
	  "{\"content\":\"" UTEXT "\",\"to\":[\"447700900123\"],"
	  "\"from\":\"+15555550123\"}",
	  { CT_JSON, ACCEPT, "Authorization: Ab1Cd2Ef3Gh4Ij5Kl6Mn7A==" }, NULL },
	{ SMS_TYPE_AWS_SNS, &sns_c, NULL, NULL, TEXT,
	  "https://sns.eu-west-1.amazonaws.com/", NULL, { CT_FORM },
	  "aws:amz:eu-west-1:sns" },
	{ SMS_TYPE_AWS_SNS, &sns_c, "ACME", "us-east-1", UTEXT,
	  "https://sns.us-east-1.amazonaws.com/", NULL, { CT_FORM },
	  "aws:amz:us-east-1:sns" },
};

static void
test_preset_build(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(build_cases) / sizeof(build_cases[0]); i++) {
		const struct build_case *c = &build_cases[i];
		const struct sms_message m = { PHONE, c->text, NULL };
		struct sms_provider *p = new_preset(c->type, c->c);
		struct sms_http_request r;
		char err[256], want[1024];
		size_t n = 0;

		if (c->sender != NULL) {
			free(p->sender);
			p->sender = strcmp(c->sender, "-") == 0 ? NULL :
			    xstrdup(c->sender);
		}
		if (c->extra != NULL && c->type == SMS_TYPE_TWILIO)
			set_cred(p, "messaging_service_sid", c->extra);
		else if (c->extra != NULL && strncmp(c->extra, "https:", 6) == 0)
			p->url = xstrdup(c->extra);
		else if (c->extra != NULL)
			set_cred(p, "region", c->extra);
		if (sms_provider_check(p, err, sizeof(err)) != 0)
			fail_msg("case %zu: refused: %s", i, err);
		if (sms_http_build(p, &m, &r, err, sizeof(err)) != SMS_OK)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(r.method, "POST");
		assert_string_equal(r.url, c->url);
		if (c->type == SMS_TYPE_AWS_SNS) {
			snprintf(want, sizeof(want), "%s%s%s%s", SNS_BODY1,
				 strcmp(c->text, UTEXT) == 0 ? UTEXT_FORM : TEXT_FORM,
				 SNS_BODY2, c->sender != NULL ? SNS_SENDER : "");
			assert_string_equal(r.body, want);
			assert_string_equal(r.sigv4, c->sigv4);
			assert_string_equal(r.sigv4_key_id, "AKIAIOSFODNN7EXAMPLE");
			assert_string_equal(r.sigv4_secret,
					    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
		} else {
			assert_string_equal(r.body, c->body);
			assert_null(r.sigv4);
			assert_null(r.sigv4_key_id);
			assert_null(r.sigv4_secret);
		}
		for (j = 0; j < 4 && c->headers[j] != NULL; j++) {
			if (!has_header(&r, c->headers[j]))
				fail_msg("case %zu: no header \"%s\"", i,
					 c->headers[j]);
			n++;
		}
		if (r.n_headers != n)
			fail_msg("case %zu: %zu headers, wanted %zu", i,
				 r.n_headers, n);
		/* the description made once at load gives the same request */
		if (sms_provider_prepare(p, err, sizeof(err)) != 0)
			fail_msg("case %zu: prepare: %s", i, err);
		assert_non_null(p->http);
		same_request(p, &m, &r);
		sms_http_request_free(&r);
		assert_null(r.body);
		sms_provider_free(p);
	}
}

/* A credential that would break a header line is refused at build time
 * even if the check was skipped; the error never shows it. */
static void
test_preset_build_refusals(void **state)
{
	struct sms_provider *p = new_preset(SMS_TYPE_INFOBIP, &infobip_c);
	struct sms_http_request r;
	char err[256];

	(void)state;
	set_cred(p, "api_key", "k\r\nX-Evil: 1");
	assert_int_equal(sms_http_build(p, &msg, &r, err, sizeof(err)),
			 SMS_FAILED);
	assert_non_null(strstr(err, "header"));
	assert_null(strstr(err, "X-Evil"));
	assert_null(r.url);
	sms_provider_free(p);
}

struct judge_case {
	enum sms_type type;
	long status;
	const char *body;
	int want;		/* SMS_HTTP_ACCEPT, _RETRY, _REFUSE */
	const char *why;	/* part of err, or NULL */
};

static const struct judge_case judge_cases[] = {
	/* Twilio: 201 Created with the message resource; errors as JSON */
	{ SMS_TYPE_TWILIO, 201, "{\"account_sid\":\"" SID "\",\"api_version\":"
	  "\"2010-04-01\",\"body\":\"" TEXT "\",\"direction\":\"outbound-api\","
	  "\"error_code\":null,\"from\":\"ACME\",\"sid\":"
	  "\"SM1f0e8ae6ade43cb3c0ce4525424e404f\",\"status\":\"queued\","
	  "\"to\":\"" PHONE "\"}", SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_TWILIO, 400, "{\"code\":21211,\"message\":\"The 'To' number "
	  PHONE " is not a valid phone number.\",\"more_info\":"
	  "\"https://www.twilio.com/docs/errors/21211\",\"status\":400}",
	  SMS_HTTP_REFUSE, "HTTP 400: {\"code\":#####,\"message\":\"The 'To' "
	  "number *** is not a valid phone number." },
	{ SMS_TYPE_TWILIO, 401, "{\"code\":20003,\"message\":\"Authenticate\","
	  "\"more_info\":\"https://www.twilio.com/docs/errors/20003\","
	  "\"status\":401}", SMS_HTTP_REFUSE, "HTTP 401" },
	{ SMS_TYPE_TWILIO, 200, "{}", SMS_HTTP_REFUSE, "HTTP 200" },
	{ SMS_TYPE_TWILIO, 429, "{\"code\":20429,\"message\":\"Too Many "
	  "Requests\"}", SMS_HTTP_RETRY, "HTTP 429" },
	{ SMS_TYPE_TWILIO, 503, "", SMS_HTTP_RETRY, "HTTP 503" },
	/* Vonage: 200 either way; each message's status says */
	{ SMS_TYPE_VONAGE, 200, "{\"message-count\":\"1\",\"messages\":[{\"to\":"
	  "\"447700900123\",\"message-id\":\"0C000000217B7F02\",\"status\":\"0\","
	  "\"remaining-balance\":\"15.53590000\",\"message-price\":"
	  "\"0.03330000\",\"network\":\"23410\"}]}", SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_VONAGE, 200, "{\"message-count\":\"1\",\"messages\":[{"
	  "\"status\":\"2\",\"error-text\":\"Missing to param\"}]}",
	  SMS_HTTP_REFUSE, "HTTP 200, not accepted: messages.0.status is "
	  "\"2\", not \"0\"" },
	{ SMS_TYPE_VONAGE, 200, "{\"message-count\":\"1\",\"messages\":[{"
	  "\"status\":\"4\",\"error-text\":\"Bad Credentials\"}]}",
	  SMS_HTTP_REFUSE, "messages.0.status is \"4\"" },
	{ SMS_TYPE_VONAGE, 200, "{\"message-count\":\"2\",\"messages\":["
	  "{\"status\":\"0\"},{\"status\":\"1\",\"error-text\":"
	  "\"Throttled\"}]}", SMS_HTTP_REFUSE, "messages.1.status is \"1\"" },
	{ SMS_TYPE_VONAGE, 200, "{\"message-count\":\"0\",\"messages\":[]}",
	  SMS_HTTP_REFUSE, "empty array" },
	{ SMS_TYPE_VONAGE, 200, "<html>ok</html>", SMS_HTTP_REFUSE,
	  "not valid JSON" },
	{ SMS_TYPE_VONAGE, 401, "", SMS_HTTP_REFUSE, "HTTP 401" },
	/* MessageBird: 201 Created; errors[] otherwise */
	{ SMS_TYPE_MESSAGEBIRD, 201, "{\"id\":\"e8077d803532c0b5937c639b60216938\","
	  "\"href\":\"https://rest.messagebird.com/messages/"
	  "e8077d803532c0b5937c639b60216938\",\"direction\":\"mt\",\"type\":"
	  "\"sms\",\"originator\":\"ACME\",\"body\":\"" TEXT "\",\"datacoding\":"
	  "\"plain\",\"recipients\":{\"totalCount\":1,\"totalSentCount\":1,"
	  "\"items\":[{\"recipient\":447700900123,\"status\":\"sent\"}]}}",
	  SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_MESSAGEBIRD, 401, "{\"errors\":[{\"code\":2,\"description\":"
	  "\"Request not allowed (incorrect access_key)\",\"parameter\":"
	  "\"access_key\"}]}", SMS_HTTP_REFUSE, "incorrect access_key" },
	{ SMS_TYPE_MESSAGEBIRD, 422, "{\"errors\":[{\"code\":9,\"description\":"
	  "\"no (correct) recipients found\",\"parameter\":\"recipients\"}]}",
	  SMS_HTTP_REFUSE, "HTTP 422" },
	/* Plivo: 202 with the queued message's uuid */
	{ SMS_TYPE_PLIVO, 202, "{\"api_id\":\"db342550-7f1d-11e1-8ea7-"
	  "1231380bc196\",\"message\":\"message(s) queued\",\"message_uuid\":"
	  "[\"db3ce55a-7f1d-11e1-8ea7-1231380bc196\"]}", SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_PLIVO, 202, "{\"api_id\":\"db342550\",\"message\":"
	  "\"message(s) queued\",\"message_uuid\":[]}", SMS_HTTP_REFUSE,
	  "message_uuid is empty" },
	{ SMS_TYPE_PLIVO, 202, "{\"api_id\":\"db342550\"}", SMS_HTTP_REFUSE,
	  "has no message_uuid" },
	{ SMS_TYPE_PLIVO, 400, "{\"api_id\":\"97ceeb52-58b6-11e1-86da-"
	  "77300b68f8bb\",\"error\":\"src parameter not present\"}",
	  SMS_HTTP_REFUSE, "src parameter not present" },
	{ SMS_TYPE_PLIVO, 401, "{\"api_id\":\"x\",\"error\":"
	  "\"authentication_failed\"}", SMS_HTTP_REFUSE, "HTTP 401" },
	/* Sinch: 201 Created with the batch */
	{ SMS_TYPE_SINCH, 201, "{\"id\":\"01FC66621XXXXX119Z8PMV1QPQ\",\"to\":"
	  "[\"" PHONE "\"],\"from\":\"+12025550134\",\"canceled\":false,"
	  "\"body\":\"" TEXT "\",\"type\":\"mt_text\"}", SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_SINCH, 400, "{\"code\":\"syntax_invalid_parameter_format\","
	  "\"text\":\"Invalid to: not a valid phone number\"}", SMS_HTTP_REFUSE,
	  "syntax_invalid_parameter_format" },
	{ SMS_TYPE_SINCH, 401, "", SMS_HTTP_REFUSE, "HTTP 401: (empty answer)" },
	/* Infobip: 200; each message's status in group PENDING */
	{ SMS_TYPE_INFOBIP, 200, "{\"bulkId\":\"2034072219640523072\","
	  "\"messages\":[{\"to\":\"447700900123\",\"status\":{\"groupId\":1,"
	  "\"groupName\":\"PENDING\",\"id\":26,\"name\":\"PENDING_ACCEPTED\","
	  "\"description\":\"Message sent to next instance\"},\"messageId\":"
	  "\"2250be2d4219-3af1-78856-aabe-1362af1edfd2\"}]}", SMS_HTTP_ACCEPT,
	  NULL },
	{ SMS_TYPE_INFOBIP, 200, "{\"bulkId\":\"2034072219640523072\","
	  "\"messages\":[{\"to\":\"447700900123\",\"status\":{\"groupId\":5,"
	  "\"groupName\":\"REJECTED\",\"id\":6,\"name\":\"REJECTED_NETWORK\","
	  "\"description\":\"Network is forbidden\"},\"messageId\":\"x\"}]}",
	  SMS_HTTP_REFUSE, "messages.0.status.groupName is \"REJECTED\", not "
	  "\"PENDING\"" },
	{ SMS_TYPE_INFOBIP, 401, "{\"requestError\":{\"serviceException\":{"
	  "\"messageId\":\"UNAUTHORIZED\",\"text\":\"Invalid login details\"}}}",
	  SMS_HTTP_REFUSE, "Invalid login details" },
	/* Clickatell: 202, each message accepted */
	{ SMS_TYPE_CLICKATELL, 202, "{\"messages\":[{\"apiMessageId\":"
	  "\"1d1e5b2e9c4a4b4c9a35b4d4e5e6f7a8\",\"accepted\":true,\"to\":"
	  "\"447700900123\",\"errorCode\":null,\"error\":null,"
	  "\"errorDescription\":null}],\"errorCode\":null,\"error\":null,"
	  "\"errorDescription\":null}", SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_CLICKATELL, 202, "{\"messages\":[{\"apiMessageId\":null,"
	  "\"accepted\":false,\"to\":\"447700900123\",\"errorCode\":105,"
	  "\"error\":\"Invalid destination address.\",\"errorDescription\":"
	  "\"The destination address is not a valid phone number.\"}],"
	  "\"errorCode\":null,\"error\":null,\"errorDescription\":null}",
	  SMS_HTTP_REFUSE, "messages.0.accepted is false, not \"true\"" },
	{ SMS_TYPE_CLICKATELL, 400, "{\"messages\":[{\"apiMessageId\":null,"
	  "\"accepted\":false,\"to\":\"447700900123\",\"errorCode\":105,"
	  "\"error\":\"Invalid destination address.\"}]}", SMS_HTTP_REFUSE,
	  "HTTP 400" },
	{ SMS_TYPE_CLICKATELL, 401, "{\"messages\":[],\"errorCode\":1,\"error\":"
	  "\"Invalid or missing Integration API Key\"}", SMS_HTTP_REFUSE,
	  "Invalid or missing Integration API Key" },
	/* AWS SNS: 200 and the XML answer's MessageId */
	{ SMS_TYPE_AWS_SNS, 200, "<PublishResponse xmlns=\"https://sns.amazonaws"
	  ".com/doc/2010-03-31/\">\n  <PublishResult>\n    <MessageId>"
	  "567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId>\n  </PublishResult>"
	  "\n  <ResponseMetadata>\n    <RequestId>d74b8436-ae13-5ab4-a9ff-"
	  "ce54dfea72a0</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n",
	  SMS_HTTP_ACCEPT, NULL },
	{ SMS_TYPE_AWS_SNS, 200, "<PublishResponse><PublishResult></PublishResult>"
	  "</PublishResponse>", SMS_HTTP_REFUSE, "has no <MessageId>" },
	{ SMS_TYPE_AWS_SNS, 200, "<PublishResponse><PublishResult><MessageId>"
	  " </MessageId></PublishResult></PublishResponse>", SMS_HTTP_REFUSE,
	  "<MessageId> is empty" },
	{ SMS_TYPE_AWS_SNS, 200, "<MessageId>abc", SMS_HTTP_REFUSE, "not closed" },
	{ SMS_TYPE_AWS_SNS, 400, "<ErrorResponse xmlns=\"https://sns.amazonaws."
	  "com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>InvalidParameter"
	  "</Code><Message>Invalid parameter: PhoneNumber Reason: " PHONE " is "
	  "not valid to publish</Message></Error><RequestId>x</RequestId>"
	  "</ErrorResponse>", SMS_HTTP_REFUSE, "InvalidParameter" },
	{ SMS_TYPE_AWS_SNS, 403, "<ErrorResponse><Error><Type>Sender</Type><Code>"
	  "SignatureDoesNotMatch</Code></Error></ErrorResponse>", SMS_HTTP_REFUSE,
	  "SignatureDoesNotMatch" },
	{ SMS_TYPE_AWS_SNS, 500, "", SMS_HTTP_RETRY, "HTTP 500" },
};

static void
test_preset_judge(void **state)
{
	static const struct creds *const cs[SMS_TYPE_COUNT] = {
		[SMS_TYPE_TWILIO] = &twilio_c, [SMS_TYPE_VONAGE] = &vonage_c,
		[SMS_TYPE_MESSAGEBIRD] = &mbird_c, [SMS_TYPE_PLIVO] = &plivo_c,
		[SMS_TYPE_SINCH] = &sinch_c, [SMS_TYPE_INFOBIP] = &infobip_c,
		[SMS_TYPE_CLICKATELL] = &click_c, [SMS_TYPE_AWS_SNS] = &sns_c,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		const struct judge_case *c = &judge_cases[i];
		struct sms_provider *p = new_preset(c->type, cs[c->type]);
		char err[256] = "";
		int v;

		v = sms_http_judge(p, &msg, c->status, c->body, strlen(c->body),
				   err, sizeof(err));
		if (v != c->want)
			fail_msg("case %zu (%s %ld): verdict %d, wanted %d (%s)",
				 i, sms_type_name(c->type), c->status, v, c->want,
				 err);
		if (c->why != NULL && strstr(err, c->why) == NULL)
			fail_msg("case %zu (%s): error \"%s\" lacks \"%s\"", i,
				 sms_type_name(c->type), err, c->why);
		/* never the text, the number or a credential */
		assert_null(strstr(err, "493817"));
		assert_null(strstr(err, "447700900123"));
		assert_null(strstr(err, "s3cret"));
		assert_null(strstr(err, "tok-abcdef"));
		sms_provider_free(p);
	}
}

/* ------------------------------------------------------------------ */
/* Retries and failover through the transport seam */

struct step {
	int rc;			/* SMS_OK, SMS_FAILED, SMS_ENOMEM */
	long status;
	const char *body;
	int retryable;
	long sleep_ms;
};

struct script {
	const struct step *steps;
	size_t n, calls;
	long retry_after[4];	/* per answer: its Retry-After, 0: none */
	long last_timeout_ms, last_connect_ms;
	int fake_clock;		/* run_script: the steps' times on fake_ms */
	char first_url[256];
};

/* The clock of run_script's sends (sms_http_set_clock): milliseconds since
 * the send began, moved on by the steps' times and the pauses between
 * tries, so that the retry budget is checked exactly on any machine. */
static long fake_ms;

static long
fake_now(void *ud)
{
	(void)ud;
	return fake_ms;
}

static void
fake_pause(void *ud, long ms)
{
	(void)ud;
	fake_ms += ms;
}

static int
fake_exchange(void *ud, const struct sms_provider *p,
	      const struct sms_http_request *req, long timeout_ms,
	      long connect_timeout_ms, struct sms_http_answer *ans,
	      int *retryable, char *err, size_t errlen)
{
	struct script *s = ud;
	const struct step *st;

	(void)p;
	if (s->calls == 0)
		snprintf(s->first_url, sizeof(s->first_url), "%s", req->url);
	s->last_timeout_ms = timeout_ms;
	s->last_connect_ms = connect_timeout_ms;
	assert_true(s->calls < s->n);
	st = &s->steps[s->calls++];
	if (st->sleep_ms > 0) {
		long ms = st->sleep_ms < timeout_ms ? st->sleep_ms : timeout_ms;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

		if (s->fake_clock)
			fake_ms += ms;
		else
			nanosleep(&ts, NULL);
		/* like libcurl: the budget ran out first */
		if (ms < st->sleep_ms) {
			snprintf(err, errlen, "curl error 28: timed out");
			*retryable = 1;
			return SMS_FAILED;
		}
	}
	ans->status = st->status;
	if (s->calls <= 4)
		ans->retry_after = s->retry_after[s->calls - 1];
	*retryable = st->retryable;
	if (st->rc != SMS_OK) {
		snprintf(err, errlen, "curl error 7: Failed to connect");
		return st->rc;
	}
	ans->body = strdup(st->body != NULL ? st->body : "");
	assert_non_null(ans->body);
	ans->len = strlen(ans->body);
	return SMS_OK;
}

/* One send of p through the scripted steps, on the fake clock (fake_ms
 * is the time it took); ra: the first answer's Retry-After. */
static int
run_script_ra(struct sms_provider *p, const struct step *steps, size_t n,
	      long ra, struct script *s, struct sms_result *res)
{
	struct sms_provider *list[1] = { p };
	int rc;

	memset(s, 0, sizeof(*s));
	s->steps = steps;
	s->n = n;
	s->retry_after[0] = ra;
	s->fake_clock = 1;
	logbuf[0] = '\0';
	fake_ms = 0;
	sms_http_set_exchange(fake_exchange, s);
	sms_http_set_clock(fake_now, fake_pause, NULL);
	rc = sms_send(list, 1, &msg, NULL, &test_log, res);
	sms_http_set_clock(NULL, NULL, NULL);
	sms_http_set_exchange(NULL, NULL);
	return rc;
}

static int
run_script(struct sms_provider *p, const struct step *steps, size_t n,
	   struct script *s, struct sms_result *res)
{
	return run_script_ra(p, steps, n, 0, s, res);
}

static void
test_retry_5xx_then_ok(void **state)
{
	static const struct step steps[] = {
		{ SMS_OK, 503, "busy", 0, 0 },
		{ SMS_OK, 200, "{\"ok\":true}", 0, 0 },
	};
	struct sms_provider *p = new_http("gw", "https://a.example/{phone}");
	struct sms_result res;
	struct script s;

	(void)state;
	p->password = xstrdup("s3cret-pw");
	p->username = xstrdup("u");
	assert_int_equal(run_script(p, steps, 2, &s, &res), SMS_OK);
	assert_int_equal(s.calls, 2);
	assert_int_equal(fake_ms, 250);	/* the backoff */
	assert_string_equal(res.provider, "gw");
	assert_int_equal(res.status, 200);
	assert_string_equal(res.error, "");
	assert_string_equal(s.first_url, "https://a.example/%2B447700900123");
	assert_true(s.last_timeout_ms <= 10000 && s.last_timeout_ms > 9000);
	assert_true(s.last_connect_ms == 5000);
	assert_non_null(strstr(logbuf, "try 1 failed (HTTP 503: busy)"));
	assert_log_clean();
	sms_provider_free(p);
}

static void
test_retry_limits(void **state)
{
	static const struct step s500[] = {
		{ SMS_OK, 500, "", 0, 0 }, { SMS_OK, 500, "", 0, 0 },
		{ SMS_OK, 500, "", 0, 0 },
	};
	static const struct step s400[] = { { SMS_OK, 400, "bad", 0, 0 } };
	static const struct step s429[] = {
		{ SMS_OK, 429, "", 0, 0 }, { SMS_OK, 400, "bad", 0, 0 },
	};
	static const struct step sjson[] = {
		{ SMS_OK, 200, "{\"ok\":false}", 0, 0 },
	};
	static const struct step snet[] = {
		{ SMS_FAILED, 0, NULL, 1, 0 }, { SMS_FAILED, 0, NULL, 1, 0 },
	};
	static const struct step stls[] = { { SMS_FAILED, 0, NULL, 0, 0 } };
	static const struct step snomem[] = { { SMS_ENOMEM, 0, NULL, 0, 0 } };
	struct sms_provider *p = new_http("gw", "https://a.example/");
	struct sms_result res;
	struct script s;

	(void)state;
	/* retries = 1: two tries at most */
	assert_int_equal(run_script(p, s500, 3, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 2);
	assert_int_equal(res.status, 500);
	assert_non_null(strstr(res.error, "HTTP 500"));
	assert_non_null(strstr(logbuf, "provider 'gw' failed"));
	/* retries = 0 */
	p->retries = 0;
	assert_int_equal(run_script(p, s500, 3, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	p->retries = 2;
	assert_int_equal(run_script(p, s400, 1, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	assert_string_equal(res.error, "HTTP 400: bad");
	assert_int_equal(run_script(p, s429, 2, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 2);
	p->success_json = xstrdup("ok=true");
	assert_int_equal(run_script(p, sjson, 1, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	assert_non_null(strstr(res.error, "is false"));
	p->retries = 1;
	assert_int_equal(run_script(p, snet, 2, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 2);
	assert_non_null(strstr(res.error, "curl error 7"));
	assert_int_equal(res.status, 0);
	assert_int_equal(run_script(p, stls, 1, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	assert_int_equal(run_script(p, snomem, 1, &s, &res), SMS_ENOMEM);
	assert_int_equal(s.calls, 1);
	sms_provider_free(p);
}

static void
test_retry_budget(void **state)
{
	/* Each try takes 400 ms of a 1 s budget: the third would not fit. */
	static const struct step slow[] = {
		{ SMS_OK, 500, "", 0, 400 }, { SMS_OK, 500, "", 0, 400 },
		{ SMS_OK, 500, "", 0, 400 }, { SMS_OK, 500, "", 0, 400 },
	};
	struct sms_provider *p = new_http("gw", "https://a.example/");
	struct sms_result res;
	struct script s;

	(void)state;
	p->timeout = 1;
	p->connect_timeout = 1;
	p->retries = 5;
	/* 0: try (400), 400: pause (250), 650: try with 350 ms left, cut
	 * short at 1000; no time for another. */
	assert_int_equal(run_script(p, slow, 4, &s, &res), SMS_FAILED);
	assert_int_equal(fake_ms, 1000);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.last_timeout_ms, 350);
	assert_int_equal(s.last_connect_ms, 350);
	assert_non_null(strstr(res.error, "curl error 28"));
	assert_non_null(strstr(logbuf, "no time left"));

	/* 2 s: tries at 0, 650 and 1550 (pauses 250 and 500), the last with
	 * 450 ms left; after it 50 ms are left, less than the next pause. */
	p->timeout = 2;
	assert_int_equal(run_script(p, slow, 4, &s, &res), SMS_FAILED);
	assert_int_equal(fake_ms, 1950);
	assert_int_equal(s.calls, 3);
	assert_int_equal(s.last_timeout_ms, 450);
	assert_true(s.last_connect_ms <= 450);
	assert_int_equal(res.status, 500);
	sms_provider_free(p);
}

static void
test_retry_after(void **state)
{
	static const struct step s429[] = {
		{ SMS_OK, 429, "slow down", 0, 0 }, { SMS_OK, 200, "", 0, 0 },
	};
	static const struct step s503[] = {
		{ SMS_OK, 503, "maintenance", 0, 0 }, { SMS_OK, 200, "", 0, 0 },
	};
	static const struct step s500[] = {
		{ SMS_OK, 500, "", 0, 0 }, { SMS_OK, 200, "", 0, 0 },
	};
	struct sms_provider *p = new_http("gw", "https://a.example/");
	struct sms_result res;
	struct script s;

	(void)state;
	/* 429 asking for 1 s, inside a 10 s budget: honoured */
	assert_int_equal(run_script_ra(p, s429, 2, 1, &s, &res), SMS_OK);
	assert_int_equal(s.calls, 2);
	assert_int_equal(fake_ms, 1000);
	assert_non_null(strstr(logbuf, "trying again in 1000 ms"));

	/* 503 asking for 30 s: beyond the budget, given up at once */
	assert_int_equal(run_script_ra(p, s503, 2, 30, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	assert_int_equal(fake_ms, 0);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(res.error, "HTTP 503: maintenance (Retry-After "
			       "30 s: beyond the timeout)"));
	assert_non_null(strstr(logbuf, "provider 'gw' asks to wait 30 s"));

	/* a Retry-After on a 500 is not a request to wait: plain backoff */
	assert_int_equal(run_script_ra(p, s500, 2, 5, &s, &res), SMS_OK);
	assert_int_equal(s.calls, 2);
	assert_int_equal(fake_ms, 250);

	/* 1 s asked, 1 s budget: no try would fit after the pause */
	p->timeout = 1;
	p->connect_timeout = 1;
	assert_int_equal(run_script_ra(p, s429, 2, 1, &s, &res), SMS_FAILED);
	assert_int_equal(s.calls, 1);
	assert_non_null(strstr(res.error, "Retry-After 1 s"));
	sms_provider_free(p);
}

/* A preset through the whole send: Vonage's 200 with a refused message
 * is final (not retried), the next provider delivers. */
static void
test_preset_send(void **state)
{
	static const struct step steps[] = {
		{ SMS_OK, 200, "{\"message-count\":\"1\",\"messages\":[{"
		  "\"status\":\"3\",\"error-text\":\"Invalid to param\"}]}",
		  0, 0 },
		{ SMS_OK, 201, "{\"sid\":\"SM1\",\"status\":\"queued\"}", 0, 0 },
	};
	struct sms_provider *list[2];
	struct sms_result res;
	struct script s;

	(void)state;
	list[0] = new_preset(SMS_TYPE_VONAGE, &vonage_c);
	list[1] = new_preset(SMS_TYPE_TWILIO, &twilio_c);
	free(list[0]->name);
	list[0]->name = xstrdup("vonage");
	memset(&s, 0, sizeof(s));
	s.steps = steps;
	s.n = 2;
	logbuf[0] = '\0';
	sms_http_set_exchange(fake_exchange, &s);
	assert_int_equal(sms_send(list, 2, &msg, NULL, &test_log, &res), SMS_OK);
	sms_http_set_exchange(NULL, NULL);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.first_url, "https://rest.nexmo.com/sms/json");
	assert_string_equal(res.provider, "vendor");
	assert_int_equal(res.status, 201);
	assert_non_null(strstr(logbuf, "provider 'vonage' failed: HTTP 200, not "
			       "accepted: messages.0.status is \"3\", not \"0\""));
	assert_log_clean();
	assert_null(strstr(logbuf, "abcd1234"));
	sms_provider_free(list[0]);
	sms_provider_free(list[1]);
}

static void
test_failover(void **state)
{
	static const struct step steps[] = { { SMS_OK, 401, "denied", 0, 0 } };
	char path[] = "/tmp/test_sms_fo_XXXXXX";
	struct sms_provider *list[3];
	struct sms_result res;
	struct script s;
	int fd, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	list[0] = new_http("bad", "http://example.com/");	/* never checked */
	list[1] = new_http("gw", "https://a.example/");
	list[2] = new_file("sim", path);
	memset(&s, 0, sizeof(s));
	s.steps = steps;
	s.n = 1;
	logbuf[0] = '\0';
	sms_http_set_exchange(fake_exchange, &s);
	rc = sms_send(list, 3, &msg, NULL, &test_log, &res);
	sms_http_set_exchange(NULL, NULL);
	assert_int_equal(rc, SMS_OK);
	assert_int_equal(s.calls, 1);	/* "bad" never reached the wire */
	assert_string_equal(res.provider, "sim");
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(logbuf, "provider 'bad' failed: configuration "
			       "refused: url must be https://"));
	assert_non_null(strstr(logbuf, "<4>sms: provider 'gw' failed: "
			       "HTTP 401: denied"));
	assert_non_null(strstr(logbuf, "provider 'sim' is the file simulation "
			       "provider: message written to"));
	assert_log_clean();

	/* ENOMEM stops at once */
	{
		static const struct step nomem[] = { { SMS_ENOMEM, 0, NULL, 0, 0 } };

		memset(&s, 0, sizeof(s));
		s.steps = nomem;
		s.n = 1;
		sms_http_set_exchange(fake_exchange, &s);
		rc = sms_send(list + 1, 2, &msg, NULL, &test_log, &res);
		sms_http_set_exchange(NULL, NULL);
		assert_int_equal(rc, SMS_ENOMEM);
		assert_string_equal(res.provider, "gw");
	}
	/* all fail: the last one is reported */
	rc = sms_send(list, 1, &msg, NULL, &test_log, &res);
	assert_int_equal(rc, SMS_FAILED);
	assert_string_equal(res.provider, "bad");
	assert_non_null(strstr(res.error, "https://"));
	unlink(path);
	sms_provider_free(list[0]);
	sms_provider_free(list[1]);
	sms_provider_free(list[2]);
}

static void
test_send_refusals(void **state)
{
	struct sms_provider *p = new_http("gw", "https://a.example/");
	struct sms_provider *list[1] = { p };
	struct sms_result res;
	struct sms_message bad = { "447700900123", TEXT, NULL };

	(void)state;
	assert_int_equal(sms_send(list, 0, &msg, NULL, &test_log, &res), SMS_FAILED);
	assert_null(res.provider);
	assert_non_null(strstr(res.error, "no provider"));
	assert_int_equal(sms_send(NULL, 0, &msg, NULL, NULL, &res), SMS_FAILED);
	assert_int_equal(sms_send(list, 1, &bad, NULL, &test_log, &res), SMS_FAILED);
	assert_null(res.provider);
	bad.phone = "+4477009001230000";	/* 16 digits */
	assert_int_equal(sms_send(list, 1, &bad, NULL, &test_log, &res), SMS_FAILED);
	bad.phone = "+1234567";	/* 7 digits */
	assert_int_equal(sms_send(list, 1, &bad, NULL, &test_log, &res), SMS_FAILED);
	bad.phone = "+44770090012\n";
	assert_int_equal(sms_send(list, 1, &bad, NULL, &test_log, &res), SMS_FAILED);
	bad.phone = PHONE;
	bad.text = NULL;
	assert_int_equal(sms_send(list, 1, &bad, NULL, &test_log, &res), SMS_FAILED);
	assert_int_equal(sms_send(list, 1, NULL, NULL, &test_log, &res), SMS_FAILED);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* The file provider */

static void
check_line(const char *line, const char *phone, const char *text, long t0)
{
	struct json_object *o, *v;

	o = json_tokener_parse(line);
	assert_non_null(o);
	assert_int_equal(json_object_object_length(o), 3);
	assert_true(json_object_object_get_ex(o, "to", &v));
	assert_string_equal(json_object_get_string(v), phone);
	assert_true(json_object_object_get_ex(o, "text", &v));
	assert_int_equal(json_object_get_string_len(v), strlen(text));
	assert_memory_equal(json_object_get_string(v), text, strlen(text));
	assert_true(json_object_object_get_ex(o, "time", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_true(json_object_get_int64(v) >= t0);
	assert_true(json_object_get_int64(v) <= (int64_t)time(NULL));
	json_object_put(o);
}

static void
test_file_provider(void **state)
{
	char dir[] = "/tmp/test_sms_file_XXXXXX", path[256], link[256];
	char buf[4096], *nl, *line;
	const char *texts[] = {
		TEXT,
		"quote \" backslash \\ slash / tab \t newline \n cr \r end",
		"UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 \xd0\x9a\xd0\xbe\xd0\xb4",
		"ctl \x01\x1f del \x7f",
	};
	struct sms_provider *p, *list[1];
	struct sms_result res;
	struct stat st;
	long t0 = (long)time(NULL);
	size_t i;
	ssize_t n;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sms.jsonl", dir);
	p = new_file("sim", path);
	list[0] = p;
	logbuf[0] = '\0';
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sms_message m = { PHONE, texts[i], NULL };

		assert_int_equal(sms_send(list, 1, &m, NULL, &test_log, &res), SMS_OK);
		assert_string_equal(res.provider, "sim");
	}
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_non_null(strstr(logbuf, "<4>provider 'sim' is the file "
			       "simulation provider: message written to "));
	assert_non_null(strstr(logbuf, path));
	assert_log_clean();

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	/* plain: one object per line, no slash escaping */
	assert_non_null(strstr(buf, "slash / tab"));
	line = buf;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		check_line(line, PHONE, texts[i], t0);
		line = nl + 1;
	}
	assert_string_equal(line, "");

	/* a symlink is not followed */
	snprintf(link, sizeof(link), "%s/link.jsonl", dir);
	assert_int_equal(symlink(path, link), 0);
	free(p->path);
	p->path = xstrdup(link);
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	assert_non_null(strstr(res.error, "symbolic link"));
	unlink(link);
	/* a directory, a missing directory */
	free(p->path);
	p->path = xstrdup(dir);
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	free(p->path);
	snprintf(link, sizeof(link), "%s/nodir/sms.jsonl", dir);
	p->path = xstrdup(link);
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	assert_non_null(strstr(res.error, "cannot open"));
	/* a FIFO neither hangs nor takes the line */
	snprintf(link, sizeof(link), "%s/fifo", dir);
	assert_int_equal(mkfifo(link, 0600), 0);
	free(p->path);
	p->path = xstrdup(link);
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	unlink(link);
	assert_log_clean();

	unlink(path);
	rmdir(dir);
	sms_provider_free(p);
}

/* ------------------------------------------------------------------ */
/* Real exchanges with libcurl against a tiny server on loopback */

struct canned {
	int status;		/* 0: close without answering */
	size_t body_len;	/* body of 'x' bytes unless body is set */
	const char *body;
	const char *header;	/* one more header line, or NULL */
};

/* Serve one canned answer per connection, then exit.  What each request
 * looked like is written to reqfd, separated by a NUL. */
static pid_t
serve(const struct canned *answers, size_t n, int *port, int reqfd)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	pid_t pid;
	int ls, one = 1;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		close(ls);
		return pid;
	}
	/* A failed test never leaves this server behind. */
	alarm(60);
	for (size_t i = 0; i < n; i++) {
		static char req[65536];
		size_t got = 0, need = 0;
		char *hend = NULL, hdr[256];
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			_exit(1);
		for (;;) {
			ssize_t r = read(c, req + got, sizeof(req) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if (hend == NULL)
				hend = strstr(req, "\r\n\r\n");
			if (hend != NULL && need == 0) {
				char *cl = strcasestr(req, "\r\nContent-Length:");

				need = (size_t)(hend + 4 - req) +
				    (cl != NULL && cl < hend ?
				     strtoul(cl + 17, NULL, 10) : 0);
			}
			if (hend != NULL && got >= need)
				break;
		}
		if (write(reqfd, req, got + 1) < 0)
			_exit(1);
		if (answers[i].status != 0) {
			size_t bl = answers[i].body != NULL ?
			    strlen(answers[i].body) : answers[i].body_len;
			int hl = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\n"
					  "%s%sContent-Length: %zu\r\nConnection: "
					  "close\r\n\r\n", answers[i].status,
					  answers[i].header != NULL ?
					  answers[i].header : "",
					  answers[i].header != NULL ? "\r\n" : "",
					  bl);

			if (write(c, hdr, (size_t)hl) < 0)
				_exit(1);
			if (answers[i].body != NULL) {
				if (write(c, answers[i].body, bl) < 0)
					_exit(1);
			} else {
				static char xs[8192];
				size_t left = bl;

				memset(xs, 'x', sizeof(xs));
				while (left > 0) {
					size_t k = left < sizeof(xs) ? left : sizeof(xs);
					ssize_t w = write(c, xs, k);

					if (w <= 0)
						break;
					left -= (size_t)w;
				}
			}
		}
		close(c);
	}
	_exit(0);
}

/* Waits for serve() to end cleanly and reads what it wrote to rfd (then
 * closed) into reqs, NUL-terminated, size bytes at most; the length. */
static size_t
served_requests(pid_t pid, int rfd, char *reqs, size_t size)
{
	size_t got = 0;
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (;;) {
		ssize_t r = read(rfd, reqs + got, size - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(rfd);
	reqs[got] = '\0';
	return got;
}

/* Waits for serve() and returns how many requests it answered. */
static size_t
served(pid_t pid, int rfd)
{
	static char reqs[1 << 18];
	size_t got = served_requests(pid, rfd, reqs, sizeof(reqs)), n = 0, i;

	for (i = 0; i < got; i++)
		n += reqs[i] == '\0';
	return n;
}

static void
test_curl_loopback(void **state)
{
	static const struct canned answers[] = {
		{ 500, 0, "try later", NULL },
		{ 0, 0, NULL, NULL },
		{ 200, 0, "{\"messages\":[{\"status\":\"0\"}]}", NULL },
		{ 200, SMS_HTTP_MAX_RESPONSE + 1, NULL, NULL },
		{ 200, SMS_HTTP_MAX_RESPONSE, NULL, NULL },
	};
	struct sms_provider *p, *list[1];
	struct sms_result res;
	char url[128], reqs[65536 * 2];
	pid_t pid;
	int port, pfd[2], rc;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = serve(answers, 5, &port, pfd[1]);
	close(pfd[1]);
	/* The caller's proxy variables must not matter, even in this
	 * process (CURLOPT_PROXY ""), where no child cleared them. */
	setenv("http_proxy", "http://127.0.0.1:9/", 1);
	setenv("HTTP_PROXY", "http://127.0.0.1:9/", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9/", 1);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/send?to={phone_digits}",
		 port);
	p = new_http("local", url);
	p->retries = 2;
	p->bearer = xstrdup("tok-abcdef");
	p->sender = xstrdup("ACME");
	p->success_json = xstrdup("messages.0.status=0");
	list[0] = p;
	logbuf[0] = '\0';
	/* 500, then a dropped connection, then success: three tries */
	rc = sms_send(list, 1, &msg, NULL, &test_log, &res);
	assert_int_equal(rc, SMS_OK);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.provider, "local");
	assert_non_null(strstr(logbuf, "HTTP 500: try later"));
	assert_non_null(strstr(logbuf, "curl error 52"));

	/* larger than 64 KiB: refused, not retried */
	p->retries = 1;
	free(p->success_json);
	p->success_json = NULL;
	rc = sms_send(list, 1, &msg, NULL, &test_log, &res);
	assert_int_equal(rc, SMS_FAILED);
	assert_non_null(strstr(res.error, "larger than 64 KiB"));
	/* exactly 64 KiB is fine */
	rc = sms_send(list, 1, &msg, NULL, &test_log, &res);
	assert_int_equal(rc, SMS_OK);
	assert_log_clean();

	(void)served_requests(pid, pfd[0], reqs, sizeof(reqs));
	/* the first request, as the server saw it */
	assert_non_null(strstr(reqs, "POST /send?to=447700900123 HTTP/1.1\r\n"));
	assert_non_null(strstr(reqs, "\r\nUser-Agent: pam_smsotp\r\n"));
	assert_non_null(strstr(reqs, "\r\nAuthorization: Bearer tok-abcdef\r\n"));
	assert_non_null(strstr(reqs, "\r\nContent-Type: application/json; "
			       "charset=utf-8\r\n"));
	assert_null(strstr(reqs, "Expect:"));
	assert_non_null(strstr(reqs, "\r\n\r\n{\"to\":\"+447700900123\","
			       "\"from\":\"ACME\",\"text\":\"" TEXT "\"}"));
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	sms_provider_free(p);
}

/*
 * The send as the module makes it: in a child with an empty environment.
 * Runs first, before any test initialises libcurl in this process: the
 * caller's SSLKEYLOGFILE must not make libcurl log TLS secrets (the child
 * clears it before libcurl starts), its proxy variables must not divert
 * the request, and the host's own environment stays as it was.
 */
static void
test_curl_isolated(void **state)
{
	static const struct canned answers[] = {
		{ 201, 0, "{\"sid\":\"SM1\",\"status\":\"queued\"}", NULL },
		{ 400, 0, "{\"code\":21211,\"message\":\"invalid To\"}", NULL },
	};
	char keylog[] = "/tmp/test_sms_keylog_XXXXXX", url[160];
	struct sms_provider *p, *list[1];
	struct sms_result res;
	pid_t pid;
	int port, pfd[2], st, fd;

	(void)state;
	fd = mkstemp(keylog);
	assert_true(fd >= 0);
	close(fd);
	unlink(keylog);
	assert_int_equal(pipe(pfd), 0);
	pid = serve(answers, 2, &port, pfd[1]);
	close(pfd[1]);
	close(pfd[0]);
	setenv("SSLKEYLOGFILE", keylog, 1);
	setenv("http_proxy", "http://127.0.0.1:9/", 1);
	setenv("ALL_PROXY", "http://127.0.0.1:9/", 1);
	sms_set_isolation(1);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/"
		 SID "/Messages.json", port);
	p = new_preset(SMS_TYPE_TWILIO, &twilio_c);
	p->url = xstrdup(url);
	list[0] = p;
	assert_int_equal(sms_send(list, 1, &msg, NULL, NULL, &res), SMS_OK);
	assert_int_equal(res.status, 201);
	/* the child's verdict and reason come back */
	assert_int_equal(sms_send(list, 1, &msg, NULL, NULL, &res), SMS_FAILED);
	assert_int_equal(res.status, 400);
	assert_non_null(strstr(res.error, "HTTP 400: {\"code\":#####"));

	sms_set_isolation(0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(access(keylog, F_OK), -1);
	assert_non_null(getenv("SSLKEYLOGFILE"));	/* ours, untouched */
	unsetenv("SSLKEYLOGFILE");
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
	sms_provider_free(p);
}

/* No child of this process is left, running or a zombie. */
static void
assert_no_children(void)
{
	int st;

	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A Twilio entry pointed at serve() on port. */
static struct sms_provider *
loopback_twilio(const char *name, int port)
{
	struct sms_provider *p = new_preset(SMS_TYPE_TWILIO, &twilio_c);
	char url[160];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/"
		 SID "/Messages.json", port);
	free(p->name);
	p->name = xstrdup(name);
	p->url = xstrdup(url);
	return p;
}

/* serve() answering n times, and a Twilio entry named name pointed at it;
 * sends isolated, as the module makes them. */
static struct sms_provider *
serve_twilio(const struct canned *answers, size_t n, const char *name,
	     pid_t *srv, int *rfd, int *port)
{
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	*srv = serve(answers, n, port, pfd[1]);
	close(pfd[1]);
	*rfd = pfd[0];
	sms_set_isolation(1);
	return loopback_twilio(name, *port);
}

/*
 * The send process started ahead of the message (as the module does
 * before it draws a code): it makes the send, the provider after it in a
 * failover too, then ends and is reaped; a second send forks its own;
 * nothing of either is left behind.
 */
static void
test_sender_started(void **state)
{
	static const struct canned answers[] = {
		{ 500, 0, "{\"message\":\"down\"}", NULL },
		{ 500, 0, "{\"message\":\"down\"}", NULL },
		{ 201, 0, "{\"sid\":\"SM1\",\"status\":\"queued\"}", NULL },
		{ 201, 0, "{\"sid\":\"SM2\",\"status\":\"queued\"}", NULL },
	};
	struct sms_provider *list[2];
	struct sms_sender *s;
	struct sms_result res;
	pid_t srv, child;
	int port, rfd;

	(void)state;
	list[0] = serve_twilio(answers, 4, "first", &srv, &rfd, &port);
	list[1] = loopback_twilio("second", port);
	list[0]->retries = 1;

	s = sms_sender_start(list, 2, NULL);
	assert_non_null(s);
	child = sms_sender_pid(s);
	assert_true(child > 0);
	assert_int_equal(sms_send(list, 2, &msg, s, NULL, &res), SMS_OK);
	assert_string_equal(res.provider, "second");
	assert_int_equal(res.status, 201);
	/* served: it ends by itself while the user types */
	assert_int_equal(kill(child, 0), 0);	/* not reaped yet: still ours */
	assert_int_equal(sms_send(list + 1, 1, &msg, s, NULL, &res), SMS_OK);
	sms_sender_end(s);
	assert_int_equal(served(srv, rfd), 4);
	assert_no_children();
	sms_set_isolation(0);
	sms_provider_free(list[0]);
	sms_provider_free(list[1]);
}

/* One never used (the user was locked, a code was reused) is stopped at
 * once and sends nothing; none is started for a list without HTTP. */
static void
test_sender_unused(void **state)
{
	static const struct canned answers[] = {
		{ 201, 0, "{\"sid\":\"SM1\",\"status\":\"queued\"}", NULL },
	};
	struct sms_provider *list[1], *file;
	struct sms_sender *s;
	struct sms_result res;
	pid_t srv;
	int port, rfd;

	(void)state;
	list[0] = serve_twilio(answers, 1, "vendor", &srv, &rfd, &port);
	s = sms_sender_start(list, 1, NULL);
	assert_non_null(s);
	sms_sender_end(s);
	sms_sender_end(NULL);
	/* the one request the server sees is this one */
	assert_int_equal(sms_send(list, 1, &msg, NULL, NULL, &res), SMS_OK);
	assert_int_equal(served(srv, rfd), 1);
	assert_no_children();

	file = calloc(1, sizeof(*file));
	assert_non_null(file);
	file->name = xstrdup("sim");
	file->type = SMS_TYPE_FILE;
	file->path = xstrdup("/nonexistent/sms.log");
	assert_null(sms_sender_start(&file, 1, NULL));
	assert_null(sms_sender_start(NULL, 0, NULL));
	sms_set_isolation(0);
	assert_null(sms_sender_start(list, 1, NULL));	/* in-process sends */
	sms_provider_free(file);
	sms_provider_free(list[0]);
}

/* A started child gone before the message (killed, and reaped by a host's
 * SIGCHLD handler): the send forks another and goes out once. */
static void
test_sender_gone(void **state)
{
	static const struct canned answers[] = {
		{ 201, 0, "{\"sid\":\"SM1\",\"status\":\"queued\"}", NULL },
	};
	struct sms_provider *list[1];
	struct sms_sender *s;
	struct sms_result res;
	pid_t srv, child;
	int port, rfd, st;

	(void)state;
	list[0] = serve_twilio(answers, 1, "vendor", &srv, &rfd, &port);
	s = sms_sender_start(list, 1, NULL);
	assert_non_null(s);
	child = sms_sender_pid(s);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(sms_send(list, 1, &msg, s, NULL, &res), SMS_OK);
	assert_int_equal(res.status, 201);
	sms_sender_end(s);
	assert_int_equal(served(srv, rfd), 1);
	assert_no_children();
	sms_set_isolation(0);
	sms_provider_free(list[0]);
}

/* Without libcurl on the host: a clear reason, and nothing sent. */
static void
test_curl_missing(void **state)
{
	struct sms_provider *list[1];
	struct sms_result res;
	char err[256];

	(void)state;
	list[0] = loopback_twilio("vendor", 9);
	sms_curl_set_library("libsmsotp-missing.so.0");
	assert_int_equal(sms_http_ready(err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot load libsmsotp-missing.so.0"));
	sms_set_isolation(1);
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res),
			 SMS_FAILED);
	assert_non_null(strstr(res.error, "cannot load libsmsotp-missing.so.0"));
	sms_set_isolation(0);
	sms_curl_set_library(NULL);
	assert_no_children();
	sms_provider_free(list[0]);
}

/* The request number i (0-based) of those serve() wrote, NUL-separated. */
static const char *
nth_request(const char *reqs, size_t got, size_t i)
{
	const char *r = reqs;

	while (i-- > 0) {
		r += strlen(r) + 1;
		if ((size_t)(r - reqs) >= got)
			return "";
	}
	return r;
}

static void
test_curl_presets(void **state)
{
	static const struct canned answers[] = {
		{ 201, 0, "{\"sid\":\"SM1f0e8ae6ade43cb3c0ce4525424e404f\","
		  "\"status\":\"queued\"}", NULL },
		{ 200, 0, "<PublishResponse xmlns=\"https://sns.amazonaws.com/doc/"
		  "2010-03-31/\"><PublishResult><MessageId>567910cd-659e-55d4-"
		  "8ccb-5aaf14679dc0</MessageId></PublishResult>"
		  "</PublishResponse>", NULL },
		{ 429, 0, "{\"code\":20429,\"message\":\"Too Many Requests\"}",
		  "Retry-After: 1" },
		{ 201, 0, "{\"sid\":\"SM2\",\"status\":\"queued\"}", NULL },
	};
	struct sms_provider *tw, *sns, *list[1];
	struct sms_result res;
	char url[160], reqs[65536];
	const char *r, *a;
	size_t got;
	long t0, dt;
	pid_t pid;
	int port, pfd[2];

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = serve(answers, 4, &port, pfd[1]);
	close(pfd[1]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/"
		 SID "/Messages.json", port);
	tw = new_preset(SMS_TYPE_TWILIO, &twilio_c);
	tw->url = xstrdup(url);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	sns = new_preset(SMS_TYPE_AWS_SNS, &sns_c);
	sns->url = xstrdup(url);
	logbuf[0] = '\0';

	list[0] = tw;
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_OK);
	assert_int_equal(res.status, 201);
	list[0] = sns;
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_OK);
	assert_int_equal(res.status, 200);
	/* 429 with Retry-After: 1 from the wire, then 201 */
	list[0] = tw;
	t0 = util_now_ms();
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_OK);
	dt = util_now_ms() - t0;
	assert_true(dt >= 990);
	assert_non_null(strstr(logbuf, "trying again in 1000 ms"));
	assert_log_clean();

	got = served_requests(pid, pfd[0], reqs, sizeof(reqs));

	r = nth_request(reqs, got, 0);
	assert_non_null(strstr(r, "POST /2010-04-01/Accounts/" SID
			       "/Messages.json HTTP/1.1\r\n"));
	assert_non_null(strstr(r, "\r\nAuthorization: Basic "
			       "QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpz"
			       "M2NyZXQtcHc=\r\n"));
	assert_non_null(strstr(r, "\r\nContent-Type: application/"
			       "x-www-form-urlencoded\r\n"));
	assert_non_null(strstr(r, "\r\n\r\nTo=%2B447700900123&From=ACME&Body="
			       TEXT_FORM));

	r = nth_request(reqs, got, 1);
	assert_non_null(strstr(r, "POST / HTTP/1.1\r\n"));
	a = strstr(r, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential="
		   "AKIAIOSFODNN7EXAMPLE/");
	assert_non_null(a);
	assert_non_null(strstr(a, "/eu-west-1/sns/aws4_request, SignedHeaders="));
	assert_non_null(strstr(a, "content-type;host;x-amz-date"));
	assert_non_null(strstr(a, ", Signature="));
	assert_non_null(strcasestr(r, "\r\nX-Amz-Date: 2"));
	assert_null(strstr(r, "wJalrXUtnFEMI"));	/* the secret signs only */
	assert_non_null(strstr(r, "\r\n\r\nAction=Publish&Version=2010-03-31&"
			       "PhoneNumber=%2B447700900123&Message=" TEXT_FORM
			       "&MessageAttributes.entry.1.Name="
			       "AWS.SNS.SMS.SMSType"));

	r = nth_request(reqs, got, 3);
	assert_non_null(strstr(r, "POST /2010-04-01/Accounts/" SID));
	sms_provider_free(tw);
	sms_provider_free(sns);
}

static void
test_curl_errors(void **state)
{
	struct sms_provider *p, *list[1];
	struct sms_result res;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[128];
	int s, port;

	(void)state;
	/* a port nobody listens on: connection refused, retried, failed */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	p = new_http("down", url);
	list[0] = p;
	logbuf[0] = '\0';
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	assert_non_null(strstr(res.error, "curl error 7"));
	assert_non_null(strstr(logbuf, "try 1 failed"));
	sms_provider_free(p);

	/* TLS with an unusable CA file: not retried.  The kernel completes
	 * the connection from the backlog; nobody needs to accept. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	sa.sin_port = 0;
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 4), 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	p = new_http("tls", url);
	p->ca_file = xstrdup("/nonexistent/ca.pem");
	p->retries = 5;
	list[0] = p;
	logbuf[0] = '\0';
	assert_int_equal(sms_send(list, 1, &msg, NULL, &test_log, &res), SMS_FAILED);
	assert_non_null(strstr(res.error, "curl error 77"));
	assert_null(strstr(logbuf, "try 1 failed"));
	close(s);
	sms_provider_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: no libcurl in this process yet */
		cmocka_unit_test(test_curl_isolated),
		cmocka_unit_test(test_curl_missing),
		cmocka_unit_test(test_sender_started),
		cmocka_unit_test(test_sender_unused),
		cmocka_unit_test(test_sender_gone),
		cmocka_unit_test(test_check_table),
		cmocka_unit_test(test_check_types),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_json_match),
		cmocka_unit_test(test_json_match_edges),
		cmocka_unit_test(test_build_defaults),
		cmocka_unit_test(test_build_get_headers_auth),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_preset_check),
		cmocka_unit_test(test_preset_check_http_keys),
		cmocka_unit_test(test_preset_data),
		cmocka_unit_test(test_preset_build),
		cmocka_unit_test(test_preset_build_refusals),
		cmocka_unit_test(test_preset_judge),
		cmocka_unit_test(test_retry_5xx_then_ok),
		cmocka_unit_test(test_retry_limits),
		cmocka_unit_test(test_retry_budget),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_preset_send),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_send_refusals),
		cmocka_unit_test(test_file_provider),
		cmocka_unit_test(test_curl_loopback),
		cmocka_unit_test(test_curl_presets),
		cmocka_unit_test(test_curl_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	/* The transport seam and the log buffer live in this process. */
	sms_set_isolation(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
