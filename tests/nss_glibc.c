/*
 * nss_glibc.so: preloaded by tests/lib.sh before nss_wrapper, for the
 * processes that load the module (pamtester) or its code (smsotp).
 *
 * glibc's getpwnam_r says "no such user" as 0 with no entry, and the module
 * takes any error for a failed lookup (a name service that is down answers
 * ENOENT, EIO, ...: fail closed).  nss_wrapper says "no such user" as
 * ENOENT; this shim gives glibc's answer back, so that the tests see what a
 * real system shows.  And it makes one name's lookup fail, for the tests of
 * that failure:
 *
 *	NSS_GLIBC_FAIL=carol:EIO	getpwnam_r("carol") returns EIO
 *	NSS_GLIBC_FAIL=carol:ENOENT	... ENOENT, as sssd does when it is down
 *
 * (errno by name: ENOENT, EIO, EAGAIN, ENOMEM, EBADF, EPERM, ESRCH; or a
 * number).
 *
 * getgrgid_r the same way: "no such group" as glibc says it, and
 *
 *	NSS_GLIBC_FAIL_GID=2100:EIO	getgrgid_r(2100) returns EIO
 * Built by lib.sh: cc -shared -fPIC -o nss_glibc.so nss_glibc.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getpwnam_r_fn)(const char *, struct passwd *, char *, size_t,
			     struct passwd **);

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "ENOENT", ENOENT }, { "EIO", EIO }, { "EAGAIN", EAGAIN },
	{ "ENOMEM", ENOMEM }, { "EBADF", EBADF }, { "EPERM", EPERM },
	{ "ESRCH", ESRCH },
};

/* The errno the variable var names for name, or 0. */
static int
injected_in(const char *var, const char *name)
{
	const char *v = getenv(var), *colon;
	size_t i;

	if (v == NULL || name == NULL)
		return 0;
	colon = strrchr(v, ':');
	if (colon == NULL || (size_t)(colon - v) != strlen(name) ||
	    strncmp(v, name, strlen(name)) != 0)
		return 0;
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (strcmp(colon + 1, errnos[i].name) == 0)
			return errnos[i].value;
	}
	return atoi(colon + 1);
}

static int
injected(const char *name)
{
	return injected_in("NSS_GLIBC_FAIL", name);
}

int
getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen,
	   struct passwd **result)
{
	getpwnam_r_fn next = (getpwnam_r_fn)dlsym(RTLD_NEXT, "getpwnam_r");
	int e = injected(name);

	*result = NULL;
	if (e != 0)
		return e;
	if (next == NULL)
		return ENOSYS;
	e = next(name, pwd, buf, buflen, result);
	if (e == ENOENT && *result == NULL)
		return 0;
	return e;
}

typedef int (*getgrgid_r_fn)(gid_t, struct group *, char *, size_t,
			     struct group **);

int
getgrgid_r(gid_t gid, struct group *grp, char *buf, size_t buflen,
	   struct group **result)
{
	getgrgid_r_fn next = (getgrgid_r_fn)dlsym(RTLD_NEXT, "getgrgid_r");
	char id[24];
	int e;

	snprintf(id, sizeof(id), "%lu", (unsigned long)gid);
	e = injected_in("NSS_GLIBC_FAIL_GID", id);
	*result = NULL;
	if (e != 0)
		return e;
	if (next == NULL)
		return ENOSYS;
	e = next(gid, grp, buf, buflen, result);
	if (e == ENOENT && *result == NULL)
		return 0;
	return e;
}
