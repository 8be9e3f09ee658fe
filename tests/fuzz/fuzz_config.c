/*
 * fuzz_config: the configuration reader and validator (config/config.h).
 * The input is written as a 0600 file in a private 0700 directory and read
 * with config_load_file (a login: the first problem), then with
 * config_load_report (smsotp check: every problem, the reader going on
 * after each), which must agree: a refusal reports at least one problem,
 * a configuration without one reports none.  The process runs from an empty directory inside
 * it, so a relative @include (which config.c refuses anyway) could only
 * name nothing; and fopen, the call libconfig 1.5 opens an @include with,
 * is wrapped here: any file opened through it outside that directory is a
 * crash.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
FILE *fopen(const char *path, const char *mode);
FILE *fopen64(const char *path, const char *mode);

static char dir[256], empty[300], conf[300];
/* Only the code under test is watched, not libFuzzer reading its corpus. */
static int watching;

static int
inside(const char *path)
{
	size_t n = strlen(dir);

	if (path[0] != '/' || strncmp(path, dir, n) != 0 || path[n] != '/' ||
	    strstr(path, "/../") != NULL)
		return 0;
	return 1;
}

static FILE *
checked_fopen(const char *sym, const char *path, const char *mode)
{
	FILE *(*real)(const char *, const char *);

	if (watching && !inside(path)) {
		fprintf(stderr, "fuzz_config: fopen(\"%s\") outside %s\n", path, dir);
		abort();
	}
	real = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, sym);
	if (real == NULL)
		abort();
	return real(path, mode);
}

FILE *
fopen(const char *path, const char *mode)
{
	return checked_fopen("fopen", path, mode);
}

FILE *
fopen64(const char *path, const char *mode)
{
	return checked_fopen("fopen64", path, mode);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tempdir(dir, sizeof(dir));
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	snprintf(conf, sizeof(conf), "%s/pam_smsotp.conf", dir);
	if (mkdir(empty, 0700) != 0 || chdir(empty) != 0) {
		perror("fuzz_config: empty dir");
		abort();
	}
	return 0;
}

static void
count_problem(void *ud, const char *text)
{
	if (text == NULL || text[0] == '\0')
		abort();
	(*(unsigned *)ud)++;
}

/* The report's verdict must be the login's (rc); every path freed. */
static void
load_reported(int rc)
{
	struct smsotp_config *cfg = NULL;
	unsigned problems = 0;
	struct config_report rep = { count_problem, &problems, "stack:1" };
	char arg[320], err[512];
	const char *argv[3] = { arg, "lenght=8", "template=a {code} b" };
	int rr;

	snprintf(arg, sizeof(arg), "conf=%s", conf);
	watching = 1;
	rr = config_load_report(1, argv, &rep, &cfg, err, sizeof(err));
	watching = 0;
	if (rr != CONFIG_ENOMEM && rc != CONFIG_ENOMEM &&
	    (rr != rc || (rr == CONFIG_OK) != (problems == 0)))
		abort();
	config_free(cfg);
	cfg = NULL;
	problems = 0;
	/* arguments over it: a typo and a value split at its spaces */
	watching = 1;
	rr = config_load_report(3, argv, &rep, &cfg, err, sizeof(err));
	watching = 0;
	if (rr == CONFIG_OK || (rr == CONFIG_EINVAL && problems == 0))
		abort();
	config_free(cfg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smsotp_config *cfg = NULL;
	char err[512];
	int rc;

	fuzz_write_file(conf, data, size, 0600);
	err[0] = '\0';
	watching = 1;
	rc = config_load_file(conf, &cfg, err, sizeof(err));
	watching = 0;
	if (rc == CONFIG_OK) {
		if (cfg == NULL)
			abort();
		config_free(cfg);
	} else if (rc != CONFIG_EINVAL && rc != CONFIG_ENOMEM) {
		abort();
	} else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
		fprintf(stderr, "fuzz_config: refused without a reason\n");
		abort();
	}
	load_reported(rc);
	return 0;
}
