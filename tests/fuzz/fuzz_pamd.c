/*
 * fuzz_pamd: the reader of the PAM stacks (config/pamd.h) that smsotp
 * check runs over /etc/pam.d.  The input is one stack file, "svc", in a
 * private directory, scanned for the module's entries; every entry's
 * fields must be there and its argv end with NULL.  The same bytes (up to
 * a NUL) are split as an entry's argument text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[256], svc[300];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_tempdir(dir, sizeof(dir));
	snprintf(svc, sizeof(svc), "%s/svc", dir);
	return 0;
}

static int
entry(const struct pamd_line *e, void *ud)
{
	int i;

	(*(unsigned *)ud)++;
	if (e->file == NULL || e->line < 0)
		abort();
	if (e->module == NULL && e->problem == NULL)
		abort();	/* a report on the file says what */
	if (e->module == NULL)
		return 0;
	if (e->type == NULL || e->argc < 0 || e->argv[e->argc] != NULL)
		abort();
	for (i = 0; i < e->argc; i++)
		(void)strlen(e->argv[i]);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *text, **argv = NULL;
	const char *problem = NULL;
	unsigned n = 0;
	int argc = 0;

	fuzz_write_file(svc, data, size, 0644);
	if (pamd_scan(dir, "pam_smsotp.so", entry, &n, err, sizeof(err)) == -1)
		abort();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (pamd_split_args(text, &argv, &argc, &problem) == 0) {
		if (argc < 0 || argv == NULL || argv[argc] != NULL)
			abort();
		pamd_free_args(argv);
	}
	free(text);
	return 0;
}
