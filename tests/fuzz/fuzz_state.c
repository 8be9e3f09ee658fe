/*
 * fuzz_state: the state file reader (state/state.h).  The input is written,
 * mode 0600, as the state file of a user (its name is the SHA-256 hex of
 * the user name, see state.c) in a private 0700 directory, then read with
 * state_lock and released with state_unlock.  What state_lock accepts must
 * be a state the module can save and read back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "state/state.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define USER "alice"

static char dir[256], file[400];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * 32 + 1];

	(void)argc;
	(void)argv;
	fuzz_tempdir(dir, sizeof(dir));
	if (EVP_Digest(USER, strlen(USER), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		abort();
	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[64] = '\0';
	snprintf(file, sizeof(file), "%s/%s", dir, hex);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_handle *h = NULL;
	struct state_user u, again;
	char err[1024];
	int rc;

	fuzz_write_file(file, data, size, 0600);
	err[0] = '\0';
	rc = state_lock(dir, USER, &h, &u, err, sizeof(err));
	if (rc != STATE_OK) {
		if (h != NULL || (rc != STATE_EINVAL && rc != STATE_ENOMEM) ||
		    memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (h == NULL || strcmp(u.user, USER) != 0)
		abort();
	/* Round trip: an accepted state saves and reads back the same. */
	if (state_save(h, &u, err, sizeof(err)) != STATE_OK) {
		fprintf(stderr, "fuzz_state: accepted but not saved: %s\n", err);
		abort();
	}
	state_unlock(h);
	h = NULL;
	if (state_lock(dir, USER, &h, &again, err, sizeof(err)) != STATE_OK) {
		fprintf(stderr, "fuzz_state: saved but not read back: %s\n", err);
		abort();
	}
	if (again.window_start != u.window_start || again.sends != u.sends ||
	    again.last_send != u.last_send || again.wrong != u.wrong ||
	    again.locked_until != u.locked_until || again.has_code != u.has_code ||
	    (u.has_code && (again.code_issued != u.code_issued ||
			    memcmp(again.salt, u.salt, sizeof(u.salt)) != 0 ||
			    memcmp(again.hash, u.hash, sizeof(u.hash)) != 0)))
		abort();
	state_unlock(h);
	return 0;
}
