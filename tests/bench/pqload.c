/*
 * pqload: what loading libpq costs a process that does not link it, as
 * the module does with store = "postgresql" (dlopen("libpq.so.5") at the
 * first record, state/pq.c).
 *
 *	pqload [MODULE]
 *
 * dlopens MODULE first (the PAM module: libpam, libcrypto and the rest a
 * login already has mapped), then times dlopen("libpq.so.5") and prints
 * the ms: libpq and the libraries it pulls in that are not mapped yet.
 * Exit 1 when either cannot be loaded.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

int
main(int argc, char **argv)
{
	struct timespec a, b;

	if (argc > 1 && dlopen(argv[1], RTLD_NOW) == NULL) {
		fprintf(stderr, "pqload: %s\n", dlerror());
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) == NULL) {
		fprintf(stderr, "pqload: %s\n", dlerror());
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	return 0;
}
