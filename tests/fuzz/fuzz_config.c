/*
 * fuzz_config: the configuration reader and validator (config/config.h).
 * The input is written as a 0600 file in a private 0700 directory and read
 * with config_load_file.  The process runs from an empty directory inside
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
	return 0;
}
