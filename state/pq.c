/*
 * state/pq: libpq, loaded when the PostgreSQL store is first opened, and
 * connections that nothing of the calling process steers.
 *
 * The module does not link libpq: with store = "file", sshd and sudo never
 * map it or the two dozen libraries it pulls in.  libpq fills every
 * connection keyword left out from PG* environment variables, the home
 * folder (~/.pgpass, ~/.postgresql/) and service files; under sudo and su
 * those belong to the caller.  So every keyword that libpq would look up
 * is set here, and libpq connects with an empty environment (PGSERVICE is
 * read even when the conninfo names everything).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "pq.h"

#ifndef SMSOTP_PQ_SONAME
#define SMSOTP_PQ_SONAME "libpq.so.5"
#endif

/* A path that cannot exist (a file is not a folder): what the client TLS
 * files and the password file are, unless the conninfo names them. */
#define NOWHERE "/dev/null/pam_smsotp-none"

/* conninfo keywords the store refuses: they read files of whoever runs
 * the login.  (libpq itself turns requiressl into sslmode.) */
static const char *const refused_keywords[] = { "service", "passfile" };

/* Client files libpq looks for in the home folder when not named. */
static const char *const home_files[] = {
	"passfile", "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir",
};

struct pq_api pq;
static const char *pq_soname = SMSOTP_PQ_SONAME;

#define PQ_SYM(h, field, name)						\
	(*(void **)(&pq.field) = dlsym((h), (name)), pq.field != NULL)

void
pq_set_library(const char *soname)
{
	pq_soname = soname != NULL ? soname : SMSOTP_PQ_SONAME;
	memset(&pq, 0, sizeof(pq));
}

static int
pq_syms(void *h)
{
	return PQ_SYM(h, connectdbParams, "PQconnectdbParams") &&
		PQ_SYM(h, status, "PQstatus") &&
		PQ_SYM(h, errorMessage, "PQerrorMessage") &&
		PQ_SYM(h, finish, "PQfinish") &&
		PQ_SYM(h, conninfoParse, "PQconninfoParse") &&
		PQ_SYM(h, conninfoFree, "PQconninfoFree") &&
		PQ_SYM(h, freemem, "PQfreemem") &&
		PQ_SYM(h, setNoticeProcessor, "PQsetNoticeProcessor") &&
		PQ_SYM(h, sendQueryParams, "PQsendQueryParams") &&
		PQ_SYM(h, flush, "PQflush") &&
		PQ_SYM(h, socket, "PQsocket") &&
		PQ_SYM(h, consumeInput, "PQconsumeInput") &&
		PQ_SYM(h, isBusy, "PQisBusy") &&
		PQ_SYM(h, getResult, "PQgetResult") &&
		PQ_SYM(h, resultStatus, "PQresultStatus") &&
		PQ_SYM(h, resultErrorField, "PQresultErrorField") &&
		PQ_SYM(h, resultErrorMessage, "PQresultErrorMessage") &&
		PQ_SYM(h, clear, "PQclear") &&
		PQ_SYM(h, ntuples, "PQntuples") &&
		PQ_SYM(h, getvalue, "PQgetvalue") &&
		PQ_SYM(h, getisnull, "PQgetisnull") &&
		PQ_SYM(h, sslInUse, "PQsslInUse") &&
		PQ_SYM(h, sslAttribute, "PQsslAttribute") &&
		PQ_SYM(h, host, "PQhost") &&
		PQ_SYM(h, port, "PQport") &&
		PQ_SYM(h, db, "PQdb") &&
		PQ_SYM(h, enterPipelineMode, "PQenterPipelineMode") &&
		PQ_SYM(h, exitPipelineMode, "PQexitPipelineMode") &&
		PQ_SYM(h, pipelineSync, "PQpipelineSync");
}

int
pq_load(char *err, size_t errlen)
{
	void *h;

	if (pq.connectdbParams != NULL)
		return 0;
	/* Never closed (RTLD_NODELETE): libpq and the OpenSSL state it sets
	 * up stay for the process, as a linked one would.  Lazy: only what
	 * a login calls is bound. */
	h = dlopen(pq_soname, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *why = dlerror();

		snprintf(err, errlen, "cannot load %s (the PostgreSQL client "
			 "library, Debian's libpq5): %s", pq_soname,
			 why != NULL ? why : "unknown error");
		util_sanitize(err);
		return -1;
	}
	if (!pq_syms(h)) {
		memset(&pq, 0, sizeof(pq));
		snprintf(err, errlen, "%s lacks a libpq function", pq_soname);
		return -1;
	}
	return 0;
}

/* libpq's error text on one line, safe to log: a run of white space (its
 * line breaks, the tab after one) becomes one space, none at the end. */
static void
one_line(char *s)
{
	char *start = s, *w = s;
	int gap = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\n' || *s == '\t' || *s == ' ') {
			gap = 1;
			continue;
		}
		if (gap && w > start)
			*w++ = ' ';
		gap = 0;
		*w++ = *s;
	}
	*w = '\0';
}

static void
copy_error(char *err, size_t errlen, const char *prefix, const char *msg)
{
	snprintf(err, errlen, "%s%s", prefix, msg != NULL && *msg != '\0' ? msg :
		 "unknown error");
	one_line(err);
	util_sanitize(err);
}

static const char *
opt_value(const PQconninfoOption *o, const char *keyword)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* A unix socket (a path, an abstract name, or no host: the default
 * socket) or a loopback address: no TLS needed to reach it. */
static int
is_local(const char *h, size_t len)
{
	char buf[64];
	unsigned char addr[16];

	if (len == 0 || h[0] == '/' || h[0] == '@')
		return 1;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, h, len);
	buf[len] = '\0';
	if (strcmp(buf, "localhost") == 0 || strcmp(buf, "::1") == 0)
		return 1;
	return inet_pton(AF_INET, buf, addr) == 1 && addr[0] == 127;
}

/* The i-th element of a comma list (libpq's host, hostaddr), or "". */
static void
list_item(const char *list, size_t i, const char **p, size_t *len)
{
	const char *s = list != NULL ? list : "";
	const char *comma;

	while (i-- > 0 && (comma = strchr(s, ',')) != NULL)
		s = comma + 1;
	comma = strchr(s, ',');
	*p = s;
	*len = comma != NULL ? (size_t)(comma - s) : strlen(s);
}

/* Every host that is reached over the network needs verified TLS. */
static int
check_hosts(const PQconninfoOption *o, char *err, size_t errlen)
{
	const char *host = opt_value(o, "host"), *hostaddr = opt_value(o, "hostaddr");
	const char *sslmode = opt_value(o, "sslmode");
	const char *p;
	size_t i, len, n = 1;

	for (p = host != NULL ? host : ""; (p = strchr(p, ',')) != NULL; p++)
		n++;
	for (i = 0; i < n; i++) {
		list_item(hostaddr, i, &p, &len);
		if (len == 0)
			list_item(host, i, &p, &len);
		if (is_local(p, len))
			continue;
		if (sslmode == NULL || strcmp(sslmode, "verify-full") != 0 ||
		    opt_value(o, "sslrootcert") == NULL) {
			snprintf(err, errlen, "host '%.*s' is not a loopback address or a "
				 "unix socket: it needs sslmode=verify-full and sslrootcert="
				 "(the CA that signed the server's certificate)",
				 (int)(len > 80 ? 80 : len), p);
			util_sanitize(err);
			return -1;
		}
	}
	return 0;
}

static int
check_options(const PQconninfoOption *o, char *err, size_t errlen)
{
	const char *ca = opt_value(o, "sslrootcert");
	char *text = NULL;
	size_t i, len = 0;

	for (i = 0; i < sizeof(refused_keywords) / sizeof(refused_keywords[0]); i++) {
		if (opt_value(o, refused_keywords[i]) != NULL) {
			snprintf(err, errlen, "'%s' is not allowed: name the server "
				 "in conninfo and put the password in "
				 "limits.postgresql.password", refused_keywords[i]);
			return -1;
		}
	}
	if (opt_value(o, "dbname") == NULL || opt_value(o, "user") == NULL) {
		snprintf(err, errlen, "needs dbname= and user= (the database and "
			 "the role of the module)");
		return -1;
	}
	if (check_hosts(o, err, errlen) != 0)
		return -1;
	if (ca != NULL) {
		if (ca[0] != '/') {
			snprintf(err, errlen, "sslrootcert '%.80s' is not an absolute path",
				 ca);
			util_sanitize(err);
			return -1;
		}
		if (util_read_trusted(ca, UTIL_TRUST_READABLE, 1024 * 1024, &text,
				      &len, err, errlen) != 0)
			return -1;
		free(text);
	}
	return 0;
}

/* conninfo parsed and checked: the options (pq.conninfoFree them), or
 * NULL with err. */
static PQconninfoOption *
parse_checked(const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption *o;
	char *why = NULL;

	if (pq_load(err, errlen) != 0)
		return NULL;
	o = pq.conninfoParse(conninfo, &why);
	if (o == NULL) {
		copy_error(err, errlen, "", why != NULL ? why : "out of memory");
		if (why != NULL)
			pq.freemem(why);
		return NULL;
	}
	if (check_options(o, err, errlen) != 0) {
		pq.conninfoFree(o);
		return NULL;
	}
	return o;
}

int
pq_check_conninfo(const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption *o = parse_checked(conninfo, err, errlen);

	if (o == NULL)
		return -1;
	pq.conninfoFree(o);
	return 0;
}

/* The keyword/value arrays of one connection: the conninfo's own values,
 * then what the module sets. */
struct params {
	const char *kw[64];
	const char *val[64];
	size_t n;
	char timeout[24];
	char options[1024];
};

static void
param_set(struct params *p, const char *kw, const char *val)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->kw[i], kw) == 0) {
			p->val[i] = val;
			return;
		}
	}
	if (p->n < sizeof(p->kw) / sizeof(p->kw[0]) - 1) {
		p->kw[p->n] = kw;
		p->val[p->n++] = val;
	}
}

static int
build_params(struct params *p, const PQconninfoOption *o, const char *password,
	     long timeout)
{
	const char *user_opts = opt_value(o, "options");
	const PQconninfoOption *e;
	size_t i;
	int n;

	memset(p, 0, sizeof(*p));
	for (e = o; e->keyword != NULL; e++)
		if (e->val != NULL && e->val[0] != '\0')
			param_set(p, e->keyword, e->val);
	for (i = 0; i < sizeof(home_files) / sizeof(home_files[0]); i++)
		if (opt_value(o, home_files[i]) == NULL)
			param_set(p, home_files[i], NOWHERE);
	/* the store always writes: a standby is never the one */
	if (opt_value(o, "target_session_attrs") == NULL)
		param_set(p, "target_session_attrs", "read-write");
	if (opt_value(o, "application_name") == NULL)
		param_set(p, "application_name", "pam_smsotp");
	snprintf(p->timeout, sizeof(p->timeout), "%ld", timeout);
	n = snprintf(p->options, sizeof(p->options), "%s%s-c statement_timeout=%lds "
		     "-c lock_timeout=%lds -c idle_in_transaction_session_timeout=%lds",
		     user_opts != NULL ? user_opts : "", user_opts != NULL ? " " : "",
		     timeout, timeout, timeout);
	if (n < 0 || (size_t)n >= sizeof(p->options))
		return -1;
	param_set(p, "options", p->options);
	param_set(p, "connect_timeout", p->timeout);
	param_set(p, "gssencmode", "disable");
	param_set(p, "client_encoding", "UTF8");
	if (password != NULL)
		param_set(p, "password", password);
	return 0;
}

static void
quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *
connect_clean(const struct params *p)
{
	extern char **environ;
	static char *no_env[] = { NULL };
	char **saved = environ;
	PGconn *c;

	/* The process is single-threaded while a PAM module runs; the
	 * caller's environment is put back as it was, untouched. */
	environ = no_env;
	c = pq.connectdbParams(p->kw, p->val, 0);
	environ = saved;
	return c;
}

PGconn *
pq_connect(const char *conninfo, const char *password, long timeout, char *err,
	   size_t errlen)
{
	PQconninfoOption *o = parse_checked(conninfo, err, errlen);
	struct params p;
	PGconn *c = NULL;

	if (o == NULL)
		return NULL;
	if (build_params(&p, o, password, timeout) != 0)
		snprintf(err, errlen, "conninfo: options too long");
	else if ((c = connect_clean(&p)) == NULL)
		snprintf(err, errlen, "out of memory");
	if (c != NULL && pq.status(c) != CONNECTION_OK) {
		copy_error(err, errlen, "", pq.errorMessage(c));
		pq.finish(c);
		c = NULL;
	}
	util_wipe(&p, sizeof(p));
	pq.conninfoFree(o);
	if (c != NULL)
		pq.setNoticeProcessor(c, quiet_notices, NULL);
	return c;
}

/* Waits until the statement's results are all in, or the deadline. */
static int
wait_results(PGconn *c, long deadline)
{
	struct pollfd pfd;
	long left;

	while (pq.isBusy(c)) {
		left = deadline - util_now_ms();
		if (left <= 0)
			return -1;
		pfd.fd = pq.socket(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		if (!pq.consumeInput(c))
			return -1;
	}
	return 0;
}

/* The error of a failed result: "SQLSTATE: message". */
static void
result_error(const PGresult *r, char *err, size_t errlen)
{
	const char *code = pq.resultErrorField(r, PG_DIAG_SQLSTATE);
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "%s: ", code != NULL ? code : "?????");
	copy_error(err, errlen, prefix, pq.resultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
}

/* The next result of the pipeline within the deadline: 0 with *r (NULL
 * at the end of a statement's results), or -1 (no answer in time). */
static int
next_result(PGconn *c, long deadline, PGresult **r)
{
	*r = NULL;
	if (wait_results(c, deadline) != 0)
		return -1;
	*r = pq.getResult(c);
	return 0;
}

/* Statement i's one result into res[i] (or its error into err, the first
 * error only); -1 when the connection gave no answer in time. */
static int
read_statement(PGconn *c, long deadline, PGresult **res, int *failed, char *err,
	       size_t errlen)
{
	PGresult *r;
	ExecStatusType st;

	for (;;) {
		if (next_result(c, deadline, &r) != 0)
			return -1;
		if (r == NULL)
			return 0;
		st = pq.resultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			if (*res != NULL)
				pq.clear(*res);
			*res = r;
			continue;
		}
		if (!*failed && st != PGRES_PIPELINE_ABORTED)
			result_error(r, err, errlen);
		*failed = 1;
		pq.clear(r);
		if (st == PGRES_PIPELINE_SYNC)	/* never before its statements */
			return -1;
	}
}

/* Sends the statements as one pipeline (one round trip), then the sync. */
static int
send_all(PGconn *c, const struct pq_stmt *st, size_t n)
{
	size_t i;

	if (!pq.enterPipelineMode(c))
		return -1;
	for (i = 0; i < n; i++)
		if (!pq.sendQueryParams(c, st[i].sql, st[i].n, NULL, st[i].vals, NULL,
					NULL, 0))
			return -1;
	return pq.pipelineSync(c) ? 0 : -1;
}

int
pq_exec_all(PGconn *c, long timeout_ms, const struct pq_stmt *st, size_t n,
	    PGresult **res, int *dead, char *err, size_t errlen)
{
	long deadline = util_now_ms() + timeout_ms;
	PGresult *sync = NULL;
	int failed = 0, late = 0;
	size_t i;

	for (i = 0; i < n; i++)
		res[i] = NULL;
	*dead = 0;
	if (send_all(c, st, n) != 0) {
		copy_error(err, errlen, "", pq.errorMessage(c));
		*dead = 1;
		return -1;
	}
	for (i = 0; i < n && !late; i++)
		late = read_statement(c, deadline, &res[i], &failed, err, errlen) != 0;
	/* the sync's own result ends the pipeline */
	if (!late && (next_result(c, deadline, &sync) != 0 || sync == NULL ||
		      pq.resultStatus(sync) != PGRES_PIPELINE_SYNC))
		late = 1;
	if (sync != NULL)
		pq.clear(sync);
	if (late || !pq.exitPipelineMode(c)) {
		*dead = 1;
		snprintf(err, errlen, "no answer from the database within %ld ms",
			 timeout_ms);
		if (pq.status(c) != CONNECTION_OK)
			copy_error(err, errlen, "", pq.errorMessage(c));
	}
	if (late || failed || *dead) {
		for (i = 0; i < n; i++)
			if (res[i] != NULL)
				pq.clear(res[i]);
		for (i = 0; i < n; i++)
			res[i] = NULL;
		*dead = *dead || pq.status(c) != CONNECTION_OK;
		return -1;
	}
	return 0;
}
