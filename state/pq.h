/*
 * state: libpq, opened at run time, and connections to the shared database
 * that nothing of the calling process changes.  Internal to state/ (the
 * PostgreSQL store, store_pg.c, is its one user).
 */
#ifndef SMSOTP_PQ_H
#define SMSOTP_PQ_H

#include <stddef.h>

#include <libpq-fe.h>

/* The libpq functions the store calls, found by pq_load(). */
struct pq_api {
	PGconn *(*connectdbParams)(const char *const *kw, const char *const *val,
				   int expand);
	ConnStatusType (*status)(const PGconn *c);
	char *(*errorMessage)(const PGconn *c);
	void (*finish)(PGconn *c);
	PQconninfoOption *(*conninfoParse)(const char *s, char **errmsg);
	void (*conninfoFree)(PQconninfoOption *o);
	void (*freemem)(void *p);
	PQnoticeProcessor (*setNoticeProcessor)(PGconn *c, PQnoticeProcessor fn,
						void *arg);
	int (*sendQueryParams)(PGconn *c, const char *sql, int n, const Oid *types,
			       const char *const *vals, const int *lens,
			       const int *formats, int result_format);
	int (*flush)(PGconn *c);
	int (*socket)(const PGconn *c);
	int (*consumeInput)(PGconn *c);
	int (*isBusy)(PGconn *c);
	PGresult *(*getResult)(PGconn *c);
	ExecStatusType (*resultStatus)(const PGresult *r);
	char *(*resultErrorField)(const PGresult *r, int field);
	char *(*resultErrorMessage)(const PGresult *r);
	void (*clear)(PGresult *r);
	int (*ntuples)(const PGresult *r);
	char *(*getvalue)(const PGresult *r, int row, int col);
	int (*getisnull)(const PGresult *r, int row, int col);
	int (*sslInUse)(PGconn *c);
	const char *(*sslAttribute)(PGconn *c, const char *name);
	char *(*host)(const PGconn *c);
	char *(*port)(const PGconn *c);
	char *(*db)(const PGconn *c);
	int (*enterPipelineMode)(PGconn *c);
	int (*exitPipelineMode)(PGconn *c);
	int (*pipelineSync)(PGconn *c);
};

extern struct pq_api pq;

/* Opens libpq (once per process; never closed).  0, or -1 with err. */
int pq_load(char *err, size_t errlen);

/* For the unit tests: the soname to open instead (NULL: the one built
 * against). */
void pq_set_library(const char *soname);

/*
 * Checks a conninfo as the store requires it (SPEC limits.postgresql):
 * parsed by libpq; no service or passfile; dbname and user
 * given; every host that is not a unix socket or a loopback address needs
 * sslmode=verify-full with an sslrootcert, and an sslrootcert must be a
 * trusted file.  0, or -1 with the reason in err (libpq loaded first).
 */
int pq_check_conninfo(const char *conninfo, char *err, size_t errlen);

/*
 * Connects as pq_check_conninfo() allows, with every keyword libpq would
 * otherwise take from the environment or a home folder set (passfile and
 * the client TLS files to a path that cannot exist unless conninfo names
 * them, gssencmode off, the timeouts), password (may be NULL) added, and
 * with an empty environment while libpq connects.  timeout (seconds) is
 * each host's connect timeout and every statement's, lock wait's and idle
 * transaction's limit on the server.  Returns the connection, or NULL
 * with the reason in err (never the password).
 */
PGconn *pq_connect(const char *conninfo, const char *password, long timeout,
		   char *err, size_t errlen);

/* A statement with text parameters. */
struct pq_stmt {
	const char *sql;
	int n;
	const char *const *vals;
};

/*
 * Statements in one round trip (libpq's pipeline mode), within timeout_ms
 * of this process's clock (the server's own limits may end them first).
 * Returns 0 with res[i] the result of statement i (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; pq.clear each), or -1 with err ("SQLSTATE: message",
 * the SQLSTATE first so that a caller can tell one error from another; of
 * the first statement that failed, the later ones not run) and every
 * res[i] NULL.  *dead is set when the connection cannot be used any more
 * (lost, or statements that did not end in time).
 */
int pq_exec_all(PGconn *c, long timeout_ms, const struct pq_stmt *st, size_t n,
		PGresult **res, int *dead, char *err, size_t errlen);

#endif
