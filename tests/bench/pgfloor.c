/*
 * pgfloor: the floor of the PostgreSQL store's cost (make bench, #8): one
 * new connection with the given keywords, `SELECT 1`, PQfinish, timed.
 *
 *	pgfloor [-n RUNS] [-s] [-r ROUNDTRIPS] keyword=value...
 *
 * Each keyword=value is one PQconnectdbParams keyword (no conninfo string
 * is parsed: the bench passes the very keywords the module sets).  Each run
 * prints one JSON line, times in ms:
 *	total    connect + SELECT 1 + PQfinish (the floor)
 *	connect  PQconnectdbParams (or, with -s, the PQconnectStartParams /
 *	         PQconnectPoll loop it runs inside, with the split below)
 *	select   `SELECT 1`, one round trip on the new connection
 *	finish   PQfinish (Terminate, close)
 *	cpu      this process's user + system time over the connect
 *	rtt      with -r K: the median of K more `SELECT 1` on the connection
 * With -s (PQconnectPoll, polled the way libpq's own blocking connect does):
 *	tcp      until the TCP connection is made (the first state past
 *	         CONNECTION_STARTED)
 *	tls      until TLS is done and the startup packet is sent (first
 *	         CONNECTION_AWAITING_RESPONSE); with TLS this includes the
 *	         server's fork of the backend, which answers the SSLRequest
 *	auth     from there to CONNECTION_OK: the authentication exchange
 *	         (SCRAM: two round trips and the client's PBKDF2) and the
 *	         backend's start-up up to ReadyForQuery (the server sends
 *	         AuthenticationOk only with the rest, so the two are one span
 *	         here; the bench tells them apart by connecting without SCRAM)
 * Exit 0 when every run connected and got its answer, else 1 (the error on
 * stderr).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_KW 64

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The connect through PQconnectPoll, with the times each state was first
 * seen: [0] TCP made, [1] TLS done and startup sent, [2] CONNECTION_OK. */
static PGconn *
connect_split(const char *const *kw, const char *const *val, double t0,
	      double mark[3])
{
	PGconn *c = PQconnectStartParams(kw, val, 0);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pollfd pfd;

	mark[0] = mark[1] = mark[2] = -1;
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		return c;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		pfd.fd = PQsocket(c);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		st = PQconnectPoll(c);
		switch (PQstatus(c)) {
		case CONNECTION_STARTED:
			break;
		case CONNECTION_AWAITING_RESPONSE:
		case CONNECTION_AUTH_OK:
		case CONNECTION_OK:
			if (mark[1] < 0)
				mark[1] = now_ms() - t0;
			/* fall through */
		default:
			if (mark[0] < 0)
				mark[0] = now_ms() - t0;
			break;
		}
	}
	if (PQstatus(c) == CONNECTION_OK)
		mark[2] = now_ms() - t0;
	return c;
}

/* One `SELECT 1` answered "1". */
static int
select1(PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT 1");
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		strcmp(PQgetvalue(r, 0, 0), "1") == 0;

	if (!ok)
		fprintf(stderr, "pgfloor: SELECT 1: %s", PQerrorMessage(c));
	PQclear(r);
	return ok;
}

static int
one_run(const char *const *kw, const char *const *val, int split, int rtts)
{
	double t0, t1, t2, t3, c0, c1, mark[3], rtt = -1;
	double *each = NULL;
	PGconn *c;
	int i, ok;

	c0 = cpu_ms();
	t0 = now_ms();
	c = split ? connect_split(kw, val, t0, mark) : PQconnectdbParams(kw, val, 0);
	t1 = now_ms();
	c1 = cpu_ms();
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pgfloor: connect: %s", c != NULL ? PQerrorMessage(c) :
			"out of memory\n");
		PQfinish(c);
		return 0;
	}
	ok = select1(c);
	t2 = now_ms();
	if (ok && rtts > 0 && (each = calloc((size_t)rtts, sizeof(*each))) != NULL) {
		for (i = 0; ok && i < rtts; i++) {
			double s = now_ms();

			ok = select1(c);
			each[i] = now_ms() - s;
		}
		qsort(each, (size_t)rtts, sizeof(*each), cmp_double);
		rtt = rtts % 2 ? each[rtts / 2] :
			(each[rtts / 2 - 1] + each[rtts / 2]) / 2;
		free(each);
	}
	/* the extra round trips are not part of the floor */
	t3 = now_ms();
	PQfinish(c);
	t3 = now_ms() - t3;
	printf("{\"total\": %.3f, \"connect\": %.3f, \"select\": %.3f, "
	       "\"finish\": %.3f, \"cpu\": %.3f", t1 - t0 + t2 - t1 + t3, t1 - t0,
	       t2 - t1, t3, c1 - c0);
	if (split)
		printf(", \"tcp\": %.3f, \"tls\": %.3f, \"auth\": %.3f", mark[0],
		       mark[1] - mark[0], mark[2] - mark[1]);
	if (rtt >= 0)
		printf(", \"rtt\": %.3f", rtt);
	printf("}\n");
	fflush(stdout);
	return ok;
}

int
main(int argc, char **argv)
{
	const char *kw[MAX_KW + 1], *val[MAX_KW + 1];
	int runs = 1, split = 0, rtts = 0, n = 0, i, opt, failed = 0;
	char *eq;

	while ((opt = getopt(argc, argv, "n:sr:")) != -1) {
		switch (opt) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 's':
			split = 1;
			break;
		case 'r':
			rtts = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: pgfloor [-n RUNS] [-s] [-r ROUNDTRIPS] "
				"keyword=value...\n");
			return 2;
		}
	}
	for (i = optind; i < argc && n < MAX_KW; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL) {
			fprintf(stderr, "pgfloor: '%s' is not keyword=value\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		kw[n] = argv[i];
		val[n++] = eq + 1;
	}
	kw[n] = val[n] = NULL;
	for (i = 0; i < runs; i++)
		if (!one_run(kw, val, split, rtts))
			failed = 1;
	return failed;
}
