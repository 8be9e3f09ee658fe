/*
 * Unit tests of state/pq: the rules a conninfo of the PostgreSQL store
 * must follow (SPEC limits.postgresql), checked with the libpq the module
 * opens, without a server; and a libpq that cannot be opened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../state/pq.h"
#include "testlib.h"

static char dir[] = "/tmp/smsotp-test-pq.XXXXXX";
static char ca[256], ca_loose[256];

struct row {
	const char *conninfo;	/* %C: a trusted CA file, %L: a writable one */
	const char *refusal;	/* NULL: accepted; else a part of the error */
};

static const struct row rows[] = {
	/* loopback or a unix socket: TLS is the administrator's choice */
	{ "host=127.0.0.1 dbname=d user=u", NULL },
	{ "host=127.9.9.9 port=5433 dbname=d user=u sslmode=disable", NULL },
	{ "host=localhost dbname=d user=u", NULL },
	{ "host=::1 dbname=d user=u", NULL },
	{ "host=/var/run/postgresql dbname=d user=u", NULL },
	{ "host=@abstract dbname=d user=u", NULL },
	{ "dbname=d user=u", NULL },
	{ "postgresql://u@127.0.0.1:5432/d", NULL },
	{ "host=db.example.net hostaddr=127.0.0.1 dbname=d user=u", NULL },
	/* over the network: verified TLS with an explicit CA */
	{ "host=db.example.net dbname=d user=u sslmode=verify-full sslrootcert=%C", NULL },
	{ "host=db1.example.net,db2.example.net port=5432,5433 dbname=d user=u "
	  "sslmode=verify-full sslrootcert=%C target_session_attrs=read-write", NULL },
	{ "postgresql://u@db.example.net/d?sslmode=verify-full&sslrootcert=%C", NULL },
	{ "host=db.example.net dbname=d user=u", "needs sslmode=verify-full" },
	{ "host=db.example.net dbname=d user=u sslmode=require sslrootcert=%C",
	  "needs sslmode=verify-full" },
	{ "host=db.example.net dbname=d user=u sslmode=verify-ca sslrootcert=%C",
	  "needs sslmode=verify-full" },
	{ "host=db.example.net dbname=d user=u sslmode=verify-full",
	  "needs sslmode=verify-full" },
	{ "host=127.0.0.1,db.example.net dbname=d user=u", "'db.example.net'" },
	{ "host=localhost hostaddr=10.0.0.1 dbname=d user=u", "'10.0.0.1'" },
	{ "host=128.0.0.1 dbname=d user=u", "'128.0.0.1'" },
	{ "postgresql://u@db.example.net/d", "needs sslmode=verify-full" },
	/* the CA: an absolute path to a file only root may change */
	{ "host=db.example.net dbname=d user=u sslmode=verify-full sslrootcert=ca.pem",
	  "not an absolute path" },
	{ "host=db.example.net dbname=d user=u sslmode=verify-full sslrootcert=%L",
	  "refused" },
	{ "host=127.0.0.1 dbname=d user=u sslrootcert=/nonexistent/ca.pem",
	  "/nonexistent/ca.pem" },
	/* what would read the caller's files, or is said twice */
	{ "service=fleet dbname=d user=u", "'service' is not allowed" },
	{ "host=127.0.0.1 passfile=/root/.pgpass dbname=d user=u",
	  "'passfile' is not allowed" },
	{ "host=db.example.net requiressl=1 sslrootcert=%C dbname=d user=u",
	  "needs sslmode=verify-full" },
	/* who and where */
	{ "host=127.0.0.1 user=u", "needs dbname= and user=" },
	{ "host=127.0.0.1 dbname=d", "needs dbname= and user=" },
	/* what libpq itself cannot read */
	{ "host='127.0.0.1 dbname=d user=u", "unterminated" },
	{ "hots=127.0.0.1 dbname=d user=u", "invalid connection option" },
};

static int
setup(void **state)
{
	char path[256];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(ca_loose, sizeof(ca_loose), "%s/loose.pem", dir);
	snprintf(path, sizeof(path), "%s", ca);
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(i == 0 ? ca : ca_loose, "w");

		if (f == NULL)
			return -1;
		fputs("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", f);
		fclose(f);
	}
	chmod(ca, 0644);
	chmod(ca_loose, 0666);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(ca);
	unlink(ca_loose);
	rmdir(dir);
	return 0;
}

/* The row's conninfo with %C and %L filled in. */
static void
fill(const char *in, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outlen; in++) {
		if (in[0] == '%' && (in[1] == 'C' || in[1] == 'L')) {
			n += (size_t)snprintf(out + n, outlen - n, "%s",
					      in[1] == 'C' ? ca : ca_loose);
			in++;
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
}

static void
test_conninfo_rules(void **state)
{
	char conninfo[1024], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc;

		fill(rows[i].conninfo, conninfo, sizeof(conninfo));
		err[0] = '\0';
		rc = pq_check_conninfo(conninfo, err, sizeof(err));
		if (rows[i].refusal == NULL && rc != 0)
			fail_msg("row %zu (%s): refused: %s", i, conninfo, err);
		if (rows[i].refusal != NULL && rc == 0)
			fail_msg("row %zu (%s): accepted", i, conninfo);
		if (rows[i].refusal != NULL && strstr(err, rows[i].refusal) == NULL)
			fail_msg("row %zu (%s): '%s' has no '%s'", i, conninfo, err,
				 rows[i].refusal);
		/* one line, nothing that could forge a log line */
		assert_null(strchr(err, '\n'));
	}
}

/* A host without libpq: a clear error, not a crash, and libpq is found
 * again once it is there. */
static void
test_no_libpq(void **state)
{
	char err[512];

	(void)state;
	pq_set_library("libpq-missing.so.5");
	assert_int_equal(pq_check_conninfo("dbname=d user=u", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot load libpq-missing.so.5"));
	assert_non_null(strstr(err, "libpq5"));
	pq_set_library(NULL);
	assert_int_equal(pq_check_conninfo("dbname=d user=u", err, sizeof(err)), 0);
}

/* A server that is not there: the connect fails within its timeout with
 * libpq's reason, and never says the password. */
static void
test_connect_refused(void **state)
{
	char err[512];
	PGconn *c;
	long t0 = util_now_ms();

	(void)state;
	c = pq_connect("host=127.0.0.1 port=1 dbname=d user=u", "s3cret-pw", 2, err,
		       sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, "127.0.0.1"));
	/* libpq's two lines as one, single spaces */
	assert_null(strstr(err, "  "));
	assert_null(strchr(err, '\t'));
	assert_null(strstr(err, "s3cret-pw"));
	assert_true(util_now_ms() - t0 < 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conninfo_rules),
		cmocka_unit_test(test_no_libpq),
		cmocka_unit_test(test_connect_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
