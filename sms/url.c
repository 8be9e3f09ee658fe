/*
 * sms/url: which URLs, templates and transport keys an HTTP provider may
 * use; configuration checks, and the URL check again on every request.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../template/template.h"
#include "../util/util.h"
#include "http.h"

#define URL_LOOPBACK_ERR "url must be https:// (http:// only to a loopback address)"

static int
url_is_loopback(const char *host, size_t len, int bracketed)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (bracketed)
		return inet_pton(AF_INET6, buf, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	if (strcasecmp(buf, "localhost") == 0)
		return 1;
	/* inet_pton takes only the dotted quad, so "127.1", "0177.0.0.1" or
	 * "2130706433" (which some resolvers read as loopback) are refused:
	 * failing closed is the safe direction here. */
	return inet_pton(AF_INET, buf, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

/* The parts of a URL's authority, as curl's parser cuts them. */
struct url_parts {
	const char *host, *hend;	/* the host, without brackets */
	const char *port, *end;		/* ":port" (port == end: none) */
	int bracketed;
};

/* The scheme, then no white space or control character anywhere.  The
 * authority's start in *a; *is_http.  0, or -1 with err. */
static int
url_scheme(const char *url, const char **a, int *is_http, char *err,
	   size_t errlen)
{
	size_t i;

	if (strncasecmp(url, "https://", 8) == 0) {
		*a = url + 8;
		*is_http = 0;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		*a = url + 7;
		*is_http = 1;
	} else {
		snprintf(err, errlen, URL_LOOPBACK_ERR);
		return -1;
	}
	for (i = 0; url[i] != '\0'; i++) {
		if (url[i] == ' ' || util_is_ctl((unsigned char)url[i], 0)) {
			snprintf(err, errlen, "url must not contain white space "
				 "or control characters");
			return -1;
		}
	}
	return 0;
}

/* Split the authority a..: userinfo, host, port.  0, or -1 with err. */
static int
url_split(const char *a, int tmpl, struct url_parts *u, char *err,
	  size_t errlen)
{
	const char *h, *at;
	size_t n_at = 0;

	/* The authority ends where curl's parser ends it. */
	u->end = a + strcspn(a, "/?#");
	for (h = a; h < u->end; h++) {
		if (*h == '{' || *h == '}') {
			snprintf(err, errlen, tmpl ? "url must not have a "
				 "placeholder in its host part" :
				 "url host is not valid");
			return -1;
		}
		if (*h == '\\') {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
		if (*h == '@')
			n_at++;
	}
	/* user@host is fine, but "http://127.0.0.1@evil/" names evil, and
	 * two '@' are read differently by different parsers: refused. */
	if (n_at > 1) {
		snprintf(err, errlen, "url host is not valid (more than one '@')");
		return -1;
	}
	at = n_at == 1 ? memchr(a, '@', (size_t)(u->end - a)) : NULL;
	h = at != NULL ? at + 1 : a;
	u->bracketed = h < u->end && *h == '[';
	if (u->bracketed) {
		u->host = h + 1;
		u->hend = memchr(u->host, ']', (size_t)(u->end - u->host));
		if (u->hend == NULL) {
			snprintf(err, errlen, "url host is not valid (no ']')");
			return -1;
		}
		u->port = u->hend + 1;
		if (u->port < u->end && *u->port != ':') {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
		return 0;
	}
	u->host = h;
	u->hend = memchr(h, ':', (size_t)(u->end - h));
	if (u->hend == NULL)
		u->hend = u->end;
	u->port = u->hend;
	return 0;
}

/* The host: an IPv6 address in brackets, or a name or IPv4 address. */
static int
url_host_ok(const struct url_parts *u, char *err, size_t errlen)
{
	size_t i, len = (size_t)(u->hend - u->host);

	if (len == 0) {
		snprintf(err, errlen, "url has no host");
		return -1;
	}
	if (u->bracketed) {
		char buf[INET6_ADDRSTRLEN + 1];
		struct in6_addr a6;

		if (len >= sizeof(buf)) {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
		memcpy(buf, u->host, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1) {
			snprintf(err, errlen, "url host is not a valid IPv6 address");
			return -1;
		}
		return 0;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)u->host[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
			snprintf(err, errlen, "url host is not valid");
			return -1;
		}
	}
	return 0;
}

static int
url_port_ok(const struct url_parts *u, char *err, size_t errlen)
{
	unsigned long pn = 0;
	const char *d;

	if (u->port >= u->end)
		return 0;
	for (d = u->port + 1; d < u->end; d++) {
		if (*d < '0' || *d > '9' || pn > 65535) {
			pn = 0;
			break;
		}
		pn = pn * 10 + (unsigned long)(*d - '0');
	}
	if (pn == 0 || pn > 65535) {
		snprintf(err, errlen, "url port is not valid");
		return -1;
	}
	return 0;
}

int
sms_url_check(const char *url, int tmpl, char *err, size_t errlen)
{
	struct url_parts u;
	const char *a;
	int is_http;

	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "url is required");
		return -1;
	}
	if (url_scheme(url, &a, &is_http, err, errlen) != 0 ||
	    url_split(a, tmpl, &u, err, errlen) != 0 ||
	    url_host_ok(&u, err, errlen) != 0 ||
	    url_port_ok(&u, err, errlen) != 0)
		return -1;
	if (is_http && !url_is_loopback(u.host, (size_t)(u.hend - u.host),
					 u.bracketed)) {
		snprintf(err, errlen, URL_LOOPBACK_ERR);
		return -1;
	}
	return 0;
}

int
sms_template_check(const char *what, const char *tmpl, char *err,
		   size_t errlen)
{
	char why[200];

	why[0] = '\0';
	if (tpl_check(tmpl, sms_request_placeholders,
		      sms_n_request_placeholders, 0, why, sizeof(why)) != TPL_OK) {
		snprintf(err, errlen, "%s: %s", what, why[0] != '\0' ? why :
			 "not a valid template");
		return -1;
	}
	return 0;
}

int
sms_transport_check(const struct sms_provider *p, char *err, size_t errlen)
{
	if ((p->ca_file != NULL && p->ca_file[0] != '/') ||
	    (p->ca_path != NULL && p->ca_path[0] != '/')) {
		snprintf(err, errlen, "ca_file and ca_path must be absolute paths");
		return -1;
	}
	if (p->proxy != NULL && util_has_ctl(p->proxy, 0)) {
		snprintf(err, errlen, "proxy must not contain control characters");
		return -1;
	}
	/* Plain http is allowed because it stays on this machine; through a
	 * proxy it would not. */
	if (p->proxy != NULL && p->url != NULL &&
	    strncasecmp(p->url, "http://", 7) == 0) {
		snprintf(err, errlen, "an http:// url cannot go through a proxy");
		return -1;
	}
	return 0;
}
