/*
 * phone/ldap: phones.ldap, the number from the user's entry in a
 * directory (OpenLDAP, Active Directory).
 *
 * libldap is never loaded into sshd, sudo or su.  Each server is asked by
 * a child of its own (util_run() with a function instead of a program):
 * the child starts with an environment of PATH and LANG alone, sets
 * LDAPNOINIT before libldap is first used (libldap would otherwise read
 * LDAPCONF, LDAPRC, LDAPTLS_* and ~/.ldaprc, which belong to sudo's
 * caller), opens libldap, verifies the server's certificate, binds,
 * searches and writes one line on its stdout.  It is killed at the
 * timeout: libldap 2.5 spins forever on a TLS handshake with a server
 * that accepts and never answers, whatever LDAP_OPT_NETWORK_TIMEOUT says.
 *
 * The child's answer, one line: "V value" (the attribute's value), "N
 * why" (no entry, no such attribute: no number), "D why" (the server
 * could not be reached: the next URI is tried), "E why" (an answer that
 * is an error), "K what" (`smsotp check`: fine).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldap.h>

#include "../util/util.h"
#include "phone.h"

#ifndef SMSOTP_LDAP_SONAME
#define SMSOTP_LDAP_SONAME "libldap-2.5.so.0"
#endif

/* One URI as written, and one filter: far beyond any real one. */
#define URI_MAX 512
#define FILTER_MAX 2048
/* What a child may say: one line. */
#define REPLY_MAX 1024
/* A number as a directory holds it: "+44 (0) 7700 900 123" and more. */
#define VALUE_MAX 64

/* The libldap functions the child calls, found by dlsym. */
struct ldap_api {
	int (*initialize)(LDAP **ld, const char *uri);
	int (*set_option)(LDAP *ld, int option, const void *value);
	int (*get_option)(LDAP *ld, int option, void *value);
	int (*start_tls_s)(LDAP *ld, LDAPControl **sc, LDAPControl **cc);
	int (*sasl_bind_s)(LDAP *ld, const char *dn, const char *mech,
			   struct berval *cred, LDAPControl **sc,
			   LDAPControl **cc, struct berval **servercred);
	int (*search_ext_s)(LDAP *ld, const char *base, int scope,
			    const char *filter, char **attrs, int attrsonly,
			    LDAPControl **sc, LDAPControl **cc,
			    struct timeval *timeout, int sizelimit,
			    LDAPMessage **res);
	int (*count_entries)(LDAP *ld, LDAPMessage *res);
	LDAPMessage *(*first_entry)(LDAP *ld, LDAPMessage *res);
	struct berval **(*get_values_len)(LDAP *ld, LDAPMessage *e,
					  const char *attr);
	int (*count_values_len)(struct berval **vals);
	void (*value_free_len)(struct berval **vals);
	int (*msgfree)(LDAPMessage *res);
	int (*unbind_ext_s)(LDAP *ld, LDAPControl **sc, LDAPControl **cc);
	char *(*err2string)(int err);
	void (*memfree)(void *p);
	int (*ber_set_option)(void *item, int option, const void *value);
};

/* libldap's own words on a failed TLS handshake ("TLS: peer cert
 * untrusted or revoked"), which it logs but never returns. */
static char tls_note[200];

/* What one child does: ask uri for filter (or check it). */
struct job {
	const struct phone_ldap *l;
	const char *uri;
	const char *filter;
	int check;
	struct ldap_api api;
	LDAP *ld;
};

/* ---------------------------------------------------------------------
 * The filter
 */

/* Letters, digits and "-._@" stay as they are; everything else is
 * escaped (RFC 4515 lets any octet be written as \XX, and requires it
 * for "*", "(", ")", "\" and NUL). */
static int
plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		c == '@';
}

int
phone_ldap_filter(const char *tmpl, const char *user, char *out,
		  size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p;
	size_t n = 0;

	if (outlen == 0)
		return -1;
	for (p = tmpl; *p != '\0';) {
		const unsigned char *u;

		if (strncmp(p, "{user}", 6) != 0) {
			if (n + 1 >= outlen)
				goto full;
			out[n++] = *p++;
			continue;
		}
		for (u = (const unsigned char *)user; *u != '\0'; u++) {
			if (n + 4 >= outlen)
				goto full;
			if (plain_byte(*u)) {
				out[n++] = (char)*u;
				continue;
			}
			out[n++] = '\\';
			out[n++] = hex[*u >> 4];
			out[n++] = hex[*u & 0xf];
		}
		p += 6;
	}
	out[n] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}

/* ---------------------------------------------------------------------
 * The settings
 */

/* Is host (len bytes, without brackets) a loopback address? */
static int
loopback_host(const char *host, size_t len)
{
	char buf[64];
	unsigned char addr[16];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (strcmp(buf, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return inet_pton(AF_INET, buf, addr) == 1 && addr[0] == 127;
}

/* What follows the host, up to end: maybe ":port", maybe "/".  0, or -1
 * with why. */
static int
check_port(const char *p, const char *end, char *why, size_t whylen)
{
	if (p < end && *p == ':') {
		size_t digits = strspn(p + 1, "0123456789");

		if (digits == 0 || digits > 5) {
			snprintf(why, whylen, "a port must be a number");
			return -1;
		}
		p += 1 + digits;
	}
	if (p < end && *p == '/')
		p++;
	if (p != end) {
		snprintf(why, whylen, "nothing may follow the host and port "
			 "(base and filter are keys of their own)");
		return -1;
	}
	return 0;
}

/* One URI (len bytes at uri): "ldaps://" or "ldap://", a host (a name, an
 * IPv4 address or a bracketed IPv6 one), maybe ":port", maybe "/".  0, or
 * -1 with why. */
static int
check_uri(const char *uri, size_t len, int starttls, char *why, size_t whylen)
{
	const char *host, *end = uri + len, *h_end;
	int tls;

	if (len > 8 && strncmp(uri, "ldaps://", 8) == 0) {
		tls = 1;
		host = uri + 8;
	} else if (len > 7 && strncmp(uri, "ldap://", 7) == 0) {
		tls = 0;
		host = uri + 7;
	} else {
		snprintf(why, whylen, "not an ldaps:// or ldap:// URI");
		return -1;
	}
	if (*host == '[') {
		h_end = memchr(host, ']', (size_t)(end - host));
		if (h_end == NULL) {
			snprintf(why, whylen, "an unclosed [");
			return -1;
		}
		host++;
	} else {
		h_end = host + strcspn(host, ":/");
		if (h_end > end)
			h_end = end;
	}
	if (h_end == host) {
		snprintf(why, whylen, "no host (the default host would come "
			 "from the environment)");
		return -1;
	}
	if (check_port(h_end + (*h_end == ']'), end, why, whylen) != 0)
		return -1;
	if (tls && starttls) {
		snprintf(why, whylen, "starttls is for ldap:// URIs, ldaps:// "
			 "is TLS already");
		return -1;
	}
	if (!tls && !starttls && !loopback_host(host, (size_t)(h_end - host))) {
		snprintf(why, whylen, "plain ldap:// only to a loopback "
			 "address: use ldaps://, or starttls = true");
		return -1;
	}
	return 0;
}

/* The next URI of the list after *p: its start and length, *p moved on;
 * 0 at the end. */
static int
next_uri(const char **p, const char **uri, size_t *len)
{
	const char *s = *p + strspn(*p, " \t");

	if (*s == '\0')
		return 0;
	*uri = s;
	*len = strcspn(s, " \t");
	*p = s + *len;
	return 1;
}

static int
check_uris(const struct phone_ldap *l, char *err, size_t errlen)
{
	const char *p = l->uri, *uri;
	char why[160];
	size_t len;
	int n = 0;

	while (next_uri(&p, &uri, &len)) {
		if (len >= URI_MAX || check_uri(uri, len, l->starttls, why,
						sizeof(why)) != 0) {
			snprintf(err, errlen, "uri '%.*s': %s", (int)(len > 80 ? 80 : len),
				 uri, len >= URI_MAX ? "too long" : why);
			util_sanitize(err);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "uri: needed (one or more ldaps:// URIs)");
		return -1;
	}
	return 0;
}

/* A filter in brackets that balance, with "{user}" in it. */
static int
check_filter(const char *f, char *err, size_t errlen)
{
	const char *p;
	int depth = 0;

	if (strstr(f, "{user}") == NULL) {
		snprintf(err, errlen, "filter: has no {user} (it would find the "
			 "same entry for every user)");
		return -1;
	}
	for (p = f; *p != '\0' && depth >= 0; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0 && p[1] != '\0')
			depth = -1;
	}
	if (f[0] != '(' || depth != 0 || util_has_ctl(f, 0) ||
	    strlen(f) >= FILTER_MAX / 2) {
		snprintf(err, errlen, "filter: not one LDAP filter in brackets "
			 "that balance, e.g. \"(sAMAccountName={user})\"");
		return -1;
	}
	return 0;
}

/* An attribute description: a name (letter, then letters, digits, "-")
 * or an OID, with ";options". */
static int
check_attribute(const char *a)
{
	size_t n = strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-.;");

	return a[0] != '\0' && a[n] == '\0' && n < 128;
}

int
phone_ldap_check_config(const struct phone_ldap *l, char *err, size_t errlen)
{
	if (l->uri == NULL || check_uris(l, err, errlen) != 0) {
		if (l->uri == NULL)
			snprintf(err, errlen, "uri: needed (one or more ldaps:// "
				 "URIs)");
		return -1;
	}
	if (l->base == NULL || l->base[0] == '\0' || util_has_ctl(l->base, 0)) {
		snprintf(err, errlen, "base: needed (the DN under which the "
			 "users' entries are, e.g. \"ou=people,dc=example,dc=org\")");
		return -1;
	}
	if (l->filter == NULL || check_filter(l->filter, err, errlen) != 0)
		return -1;
	if (l->attribute == NULL || !check_attribute(l->attribute)) {
		snprintf(err, errlen, "attribute: not an attribute name (e.g. "
			 "\"mobile\")");
		return -1;
	}
	if ((l->bind_dn == NULL) != (l->bind_password == NULL) ||
	    (l->bind_dn != NULL && (l->bind_dn[0] == '\0' ||
				    l->bind_password[0] == '\0'))) {
		snprintf(err, errlen, "bind_dn and bind_password: both, not "
			 "empty, or neither (anonymous)");
		return -1;
	}
	if (l->bind_dn != NULL && util_has_ctl(l->bind_dn, 0)) {
		snprintf(err, errlen, "bind_dn: holds a control character");
		return -1;
	}
	if (l->timeout < 1 || l->timeout > 60) {
		snprintf(err, errlen, "timeout: %ld is out of range 1..60",
			 l->timeout);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * The child: libldap, once, for one server.
 */

#define LDAP_SYM(h, a, field, name)					\
	(*(void **)(&(a)->field) = dlsym((h), (name)), (a)->field != NULL)

static int
load_api(struct ldap_api *a)
{
	void *h = dlopen(SMSOTP_LDAP_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		return -1;
	return LDAP_SYM(h, a, initialize, "ldap_initialize") &&
		LDAP_SYM(h, a, set_option, "ldap_set_option") &&
		LDAP_SYM(h, a, get_option, "ldap_get_option") &&
		LDAP_SYM(h, a, start_tls_s, "ldap_start_tls_s") &&
		LDAP_SYM(h, a, sasl_bind_s, "ldap_sasl_bind_s") &&
		LDAP_SYM(h, a, search_ext_s, "ldap_search_ext_s") &&
		LDAP_SYM(h, a, count_entries, "ldap_count_entries") &&
		LDAP_SYM(h, a, first_entry, "ldap_first_entry") &&
		LDAP_SYM(h, a, get_values_len, "ldap_get_values_len") &&
		LDAP_SYM(h, a, count_values_len, "ldap_count_values_len") &&
		LDAP_SYM(h, a, value_free_len, "ldap_value_free_len") &&
		LDAP_SYM(h, a, msgfree, "ldap_msgfree") &&
		LDAP_SYM(h, a, unbind_ext_s, "ldap_unbind_ext_s") &&
		LDAP_SYM(h, a, err2string, "ldap_err2string") &&
		LDAP_SYM(h, a, memfree, "ldap_memfree") &&
		LDAP_SYM(h, a, ber_set_option, "ber_set_option") ? 0 : -1;
}

/* libldap's log: its lines about TLS are kept ("TLS: peer cert untrusted
 * or revoked (0x42); TLS: can't connect: ..."), the rest dropped. */
static void
note(const char *msg)
{
	size_t n = strlen(tls_note);

	if (strncmp(msg, "TLS: ", 5) != 0 || n + 3 >= sizeof(tls_note))
		return;
	snprintf(tls_note + n, sizeof(tls_note) - n, "%s%.*s", n > 0 ? "; " : "",
		 (int)strcspn(msg, "\r\n"), msg);
}

/*
 * libldap tells why a TLS handshake failed only in its debug log (the
 * certificate's verdict at the trace level): its lines go to note().
 * Process-wide settings, and this is the child's own process.
 */
static void
catch_tls_notes(const struct ldap_api *a)
{
	int level = 1;		/* LDAP_DEBUG_TRACE, in no public header */

	(void)a->ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, (const void *)note);
	(void)a->set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &level);
}

/* The answer, one line on stdout; its exit status. */
static int
say(char kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
say(char kind, const char *fmt, ...)
{
	char line[REPLY_MAX];
	va_list ap;
	size_t off = 0, len;
	ssize_t w;
	int n;

	line[0] = kind;
	line[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(line + 2, sizeof(line) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		line[2] = '\0';
	len = strlen(line);
	/* one line: whatever libldap or the server said */
	for (off = 2; off < len; off++)
		if (line[off] == '\n' || line[off] == '\r')
			line[off] = ' ';
	line[len++] = '\n';
	for (off = 0; off < len; off += (size_t)w) {
		w = write(1, line + off, len - off);
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			break;
	}
	util_wipe(line, sizeof(line));
	return 0;
}

/* Did rc mean that the server could not be reached or did not answer
 * (the next URI may)? */
static int
unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
		rc == LDAP_TIMEOUT;
}

/* A failed step: libldap's words for rc and the server's or the TLS
 * library's diagnostic, "D" or "E". */
static int
failed(struct job *j, const char *step, int rc)
{
	char *diag = NULL;
	int r;

	if (j->ld != NULL)
		(void)j->api.get_option(j->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* "(unknown error code)" is what a failed ldaps handshake leaves */
	if (diag != NULL && (diag[0] == '\0' || tls_note[0] != '\0')) {
		j->api.memfree(diag);
		diag = NULL;
	}
	r = say(unreachable(rc) ? 'D' : 'E', "%s: %s%s%s%s%s", step,
		j->api.err2string(rc), diag != NULL ? ": " : "",
		diag != NULL ? diag : "", tls_note[0] != '\0' ? ": " : "",
		tls_note);
	if (diag != NULL)
		j->api.memfree(diag);
	return r;
}

/* The handle's options, every one on this handle (never the library's
 * globals, which the host may use), the new TLS context last. */
static int
set_options(struct job *j)
{
	struct timeval tv = { j->l->timeout, 0 };
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, zero = 0;
	LDAP *ld = j->ld;

	if (j->api.set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_TIMEOUT, &tv) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != 0 ||
	    j->api.set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, j->l->ca_file) != 0)
		return -1;
	/* Nothing a host that used libldap before (sudo's LDAP sudoers)
	 * left in its defaults, which a handle starts from: no other CA
	 * folder, no client certificate. */
	(void)j->api.set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, NULL);
	(void)j->api.set_option(ld, LDAP_OPT_X_TLS_CERTFILE, NULL);
	(void)j->api.set_option(ld, LDAP_OPT_X_TLS_KEYFILE, NULL);
	return j->api.set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != 0 ? -1 : 0;
}

/* Connected (TLS), bound: 0, or -1 with the answer said. */
static int
open_bound(struct job *j)
{
	struct berval cred = { 0, NULL };
	const char *dn = j->l->bind_dn != NULL ? j->l->bind_dn : "";
	char step[300];
	int rc;

	rc = j->api.initialize(&j->ld, j->uri);
	if (rc != LDAP_SUCCESS || j->ld == NULL) {
		say('E', "ldap_initialize: %s", j->api.err2string(rc));
		return -1;
	}
	if (set_options(j) != 0) {
		say('E', "libldap refused a TLS or timeout option");
		return -1;
	}
	if (j->l->starttls) {
		rc = j->api.start_tls_s(j->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			failed(j, "StartTLS", rc == LDAP_CONNECT_ERROR ||
			       rc == LDAP_SERVER_DOWN ? LDAP_SERVER_DOWN : rc);
			return -1;
		}
	}
	if (j->l->bind_password != NULL) {
		cred.bv_val = (char *)(uintptr_t)j->l->bind_password;
		cred.bv_len = strlen(j->l->bind_password);
	}
	rc = j->api.sasl_bind_s(j->ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL,
				NULL);
	if (rc != LDAP_SUCCESS) {
		if (dn[0] != '\0')
			snprintf(step, sizeof(step), "bind as %s", dn);
		else
			snprintf(step, sizeof(step), "anonymous bind");
		failed(j, step, rc);
		return -1;
	}
	return 0;
}

/* The one entry's value of the attribute, said. */
static int
say_value(struct job *j, LDAPMessage *res)
{
	LDAPMessage *e = j->api.first_entry(j->ld, res);
	struct berval **vals = e != NULL ? j->api.get_values_len(j->ld, e,
							       j->l->attribute) : NULL;
	int n = vals != NULL ? j->api.count_values_len(vals) : 0;

	if (n == 0)
		say('N', "the entry has no %s", j->l->attribute);
	else if (n > 1)
		say('E', "the entry has %d values of %s (one number, not a "
		    "choice)", n, j->l->attribute);
	else if (vals[0]->bv_len == 0 || vals[0]->bv_len >= VALUE_MAX ||
		 memchr(vals[0]->bv_val, '\0', vals[0]->bv_len) != NULL)
		say('E', "the value of %s is no phone number (%lu bytes)",
		    j->l->attribute, (unsigned long)vals[0]->bv_len);
	else
		say('V', "%.*s", (int)vals[0]->bv_len, vals[0]->bv_val);
	if (vals != NULL) {
		if (n == 1)
			util_wipe(vals[0]->bv_val, vals[0]->bv_len);
		j->api.value_free_len(vals);
	}
	return 0;
}

/* The search and its answer. */
static int
search(struct job *j)
{
	struct timeval tv = { j->l->timeout, 0 };
	char *attrs[2];
	LDAPMessage *res = NULL;
	int rc, n;

	attrs[0] = (char *)(uintptr_t)j->l->attribute;
	attrs[1] = NULL;
	/* two is enough to know that there is more than one */
	rc = j->api.search_ext_s(j->ld, j->l->base, LDAP_SCOPE_SUBTREE,
				 j->filter, attrs, 0, NULL, NULL, &tv, 2, &res);
	n = rc == LDAP_SUCCESS ? j->api.count_entries(j->ld, res) : -1;
	if (rc == LDAP_SIZELIMIT_EXCEEDED || n > 1)
		say('E', "more than one entry under %s matches %s", j->l->base,
		    j->filter);
	else if (rc != LDAP_SUCCESS)
		failed(j, "search", rc);
	else if (j->check)
		say('K', "bound %s%s, searched %s (%d entr%s for an empty name)",
		    j->l->bind_dn != NULL ? "as " : "anonymously",
		    j->l->bind_dn != NULL ? j->l->bind_dn : "", j->l->base, n,
		    n == 1 ? "y" : "ies");
	else if (n == 0)
		say('N', "no entry under %s matches %s", j->l->base, j->filter);
	else
		say_value(j, res);
	if (res != NULL)
		j->api.msgfree(res);
	return 0;
}

/* The child (util_run's function): its answer on stdout, exit 0. */
static int
child(void *arg)
{
	struct job *j = arg;

	/* before libldap reads its configuration, at its first use */
	if (setenv("LDAPNOINIT", "1", 1) != 0)
		return say('E', "cannot set LDAPNOINIT");
	if (load_api(&j->api) != 0) {
		const char *why = dlerror();

		return say('E', "cannot load %s (Debian's libldap-2.5-0): %s",
			   SMSOTP_LDAP_SONAME, why != NULL ? why :
			   "a function is missing");
	}
	catch_tls_notes(&j->api);
	if (open_bound(j) == 0)
		search(j);
	if (j->ld != NULL)
		j->api.unbind_ext_s(j->ld, NULL, NULL);
	return 0;
}

/* ---------------------------------------------------------------------
 * The parent
 */

/*
 * Ask the server of the URI at u (len bytes) for filter, or check it.
 * Returns the kind of its answer ('V', 'N', 'D', 'E', 'K') with its text
 * in text (cap bytes, a secret for 'V'), or -1 when no child could be
 * started (errno).
 */
static int
ask(const struct phone_ldap *l, const char *u, size_t len, const char *filter,
    int check, char *text, size_t cap)
{
	struct util_run run;
	struct job job;
	char out[REPLY_MAX + 1], uri[URI_MAX], label[] = "phones.ldap lookup";
	char *argv[2] = { label, NULL };
	char *nl;
	int kind;

	if (len >= sizeof(uri)) {
		snprintf(text, cap, "URI too long");
		return 'E';
	}
	memcpy(uri, u, len);
	uri[len] = '\0';
	memset(&job, 0, sizeof(job));
	job.l = l;
	job.uri = uri;
	job.filter = filter;
	job.check = check;
	memset(out, 0, sizeof(out));
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.fn = child;
	run.fn_arg = &job;
	run.out = out;
	run.out_cap = REPLY_MAX;
	run.timeout_ms = l->timeout * 1000L;
	if (util_run(&run, text, cap) != 0)
		return -1;
	out[run.out_len] = '\0';
	nl = strchr(out, '\n');
	if (nl != NULL && out[0] != '\0' && out[1] == ' ' &&
	    strchr("VNDEK", out[0]) != NULL) {
		*nl = '\0';
		kind = (unsigned char)out[0];
		util_strlcpy(text, out + 2, cap);
	} else if (run.timed_out) {
		kind = 'D';
		snprintf(text, cap, "no answer within %ld s (timeout)",
			 l->timeout);
	} else {
		kind = 'E';
		snprintf(text, cap, "the lookup process ended without an answer "
			 "(wait status %d)", run.status);
	}
	util_wipe(out, sizeof(out));
	if (kind != 'V') {
		util_sanitize(text);
		/* a server's words may hold a number */
		util_blank_digits(text);
	}
	return kind;
}

/* The CA file must be one that no one but root could have written. */
static int
ca_trusted(const struct phone_ldap *l, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;

	if (l->ca_file == NULL)
		return 0;
	if (util_read_trusted(l->ca_file, UTIL_TRUST_READABLE, 4u * 1024 * 1024,
			      &buf, &len, err, errlen) != 0)
		return -1;
	free(buf);
	return 0;
}

/* Appends "uri: text" to err (after "; " when it holds something). */
static void
add_error(char *err, size_t errlen, const char *uri, size_t ulen,
	  const char *text)
{
	size_t n = strlen(err);

	if (n + 1 < errlen)
		snprintf(err + n, errlen - n, "%s%.*s: %s", n > 0 ? "; " :
			 "phones.ldap: ", (int)ulen, uri, text);
}

int
phone_ldap_value(const struct phone_ldap *l, const char *user, char *value,
		 size_t vlen, char *err, size_t errlen)
{
	char filter[FILTER_MAX], text[REPLY_MAX];
	const char *p = l->uri, *u;
	size_t len;
	int kind = 'D';

	value[0] = '\0';
	err[0] = '\0';
	/* the configuration's rules once more, whoever calls: no bind
	 * password ever goes to a server without TLS */
	if (phone_ldap_check_config(l, text, sizeof(text)) != 0) {
		snprintf(err, errlen, "phones.ldap: %s", text);
		return PHONE_EUNAVAIL;
	}
	if (phone_ldap_filter(l->filter, user, filter, sizeof(filter)) != 0) {
		snprintf(err, errlen, "phones.ldap: the filter for this user name "
			 "is too long");
		return PHONE_EUNAVAIL;
	}
	if (ca_trusted(l, text, sizeof(text)) != 0) {
		snprintf(err, errlen, "phones.ldap: ca_file: %s", text);
		return errno == ENOMEM ? PHONE_ENOMEM : PHONE_EUNAVAIL;
	}
	while (kind == 'D' && next_uri(&p, &u, &len)) {
		kind = ask(l, u, len, filter, 0, text, sizeof(text));
		if (kind == 'V') {
			util_strlcpy(value, text, vlen);
			util_wipe(text, sizeof(text));
			err[0] = '\0';
			return PHONE_OK;
		}
		add_error(err, errlen, u, len, text);
		if (kind < 0)
			return errno == ENOMEM ? PHONE_ENOMEM : PHONE_EUNAVAIL;
	}
	return kind == 'N' ? PHONE_NOTFOUND : PHONE_EUNAVAIL;
}

int
phone_ldap_check(const struct phone_ldap *l, char *report, size_t reportlen)
{
	char filter[FILTER_MAX], text[REPLY_MAX];
	const char *p = l->uri, *u;
	size_t len, n;
	int kind, bad = 0;

	report[0] = '\0';
	if (phone_ldap_check_config(l, text, sizeof(text)) != 0) {
		snprintf(report, reportlen, "phones.ldap: %s", text);
		return -1;
	}
	if (phone_ldap_filter(l->filter, "", filter, sizeof(filter)) != 0) {
		snprintf(report, reportlen, "phones.ldap: filter too long");
		return -1;
	}
	if (ca_trusted(l, text, sizeof(text)) != 0) {
		snprintf(report, reportlen, "phones.ldap: ca_file: %s", text);
		return -1;
	}
	while (next_uri(&p, &u, &len)) {
		kind = ask(l, u, len, filter, 1, text, sizeof(text));
		bad |= kind != 'K';
		n = strlen(report);
		if (n + 1 < reportlen)
			snprintf(report + n, reportlen - n, "%sphones.ldap: %.*s: %s%s",
				 n > 0 ? "\n" : "", (int)len, u,
				 kind == 'K' ? "OK, " : "", text);
	}
	return bad ? -1 : 0;
}
