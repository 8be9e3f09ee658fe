/*
 * phone: numbers in E.164, and the phones file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "phone.h"

/* A phones file is a list of users: a few MiB is already absurd. */
#define PHONES_MAX_SIZE (16u * 1024 * 1024)

int
phone_normalize(const char *in, char out[PHONE_MAX])
{
	const char *p = in;
	size_t n = 0;

	out[0] = '\0';
	if (in == NULL)
		return PHONE_EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+') {
		p++;
	} else if (p[0] == '0' && p[1] == '0') {
		p += 2;
	} else {
		/* A national number needs phones.default_country to say
		 * which country it is in. */
		return PHONE_EINVAL;
	}
	out[n++] = '+';
	for (; *p != '\0'; p++) {
		size_t zeros = 0;

		/* "+44 (0) 7700 900123": the bracketed trunk prefix is
		 * dialled only inside the country; in E.164 it is dropped. */
		if (*p == '(') {
			while (p[1 + zeros] == '0')
				zeros++;
			if (zeros > 0 && p[1 + zeros] == ')') {
				p += zeros + 1;
				continue;
			}
		}
		if (*p >= '0' && *p <= '9') {
			if (n >= PHONE_MAX - 1) {
				out[0] = '\0';
				return PHONE_EINVAL;
			}
			out[n++] = *p;
		} else if (strchr(" \t-.()", *p) == NULL) {
			out[0] = '\0';
			return PHONE_EINVAL;
		}
	}
	out[n] = '\0';
	/* E.164: at most 15 digits; country codes never start with 0; fewer
	 * than 8 digits is no mobile number anywhere. */
	if (n - 1 < 8 || n - 1 > 15 || out[1] == '0') {
		out[0] = '\0';
		return PHONE_EINVAL;
	}
	return PHONE_OK;
}

void
phone_mask(const char *e164, char out[PHONE_MAX])
{
	size_t len, i;

	len = e164 != NULL ? strlen(e164) : 0;
	if (len < 6 || len >= PHONE_MAX || e164[0] != '+') {
		util_strlcpy(out, "+**********", PHONE_MAX);
		return;
	}
	/* "+44*******123": the country hint and the last three digits, so a
	 * user recognises the number and a bystander learns nothing more. */
	for (i = 0; i < len; i++)
		out[i] = (i < 3 || i >= len - 3) ? e164[i] : '*';
	out[len] = '\0';
}

/* Parses one line in place; returns 1 and sets *user, *number when it has
 * both, 0 for blank and comment lines, -1 for a user without a number. */
static int
parse_line(char *line, char **user, char **number)
{
	char *p, *end;

	p = strchr(line, '#');
	if (p != NULL)
		*p = '\0';
	p = line;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '\0')
		return 0;
	*user = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ':')
		p++;
	if (*p == '\0')
		return -1;
	*p++ = '\0';
	while (*p == ' ' || *p == '\t' || *p == ':')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (*p == '\0')
		return -1;
	*number = p;
	return 1;
}

int
phone_lookup_file(const char *path, const char *user, char out[PHONE_MAX],
		  char *err, size_t errlen)
{
	char *buf = NULL, *line, *next;
	size_t len;
	unsigned lineno = 0;
	int rc = PHONE_NOTFOUND;

	out[0] = '\0';
	if (util_read_trusted(path, UTIL_TRUST_READABLE, PHONES_MAX_SIZE, &buf,
			      &len, err, errlen) != 0)
		return errno == ENOMEM ? PHONE_ENOMEM : PHONE_EFILE;
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte, refused", path);
		rc = PHONE_EFILE;
		goto out;
	}
	for (line = buf; line != NULL && rc == PHONE_NOTFOUND; line = next) {
		char *u = NULL, *num = NULL;
		int r;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		r = parse_line(line, &u, &num);
		if (r == 0 || (user != NULL && strcmp(u, user) != 0))
			continue;
		if (user == NULL) {
			/* any valid number will do */
			if (r > 0 && phone_normalize(num, out) == PHONE_OK)
				rc = PHONE_OK;
			continue;
		}
		if (r < 0 || phone_normalize(num, out) != PHONE_OK) {
			snprintf(err, errlen, "%s:%u: the number for this user is not "
				 "a valid international number (+ and 8..15 digits)",
				 path, lineno);
			rc = PHONE_EINVAL;
		} else {
			rc = PHONE_OK;
		}
	}
out:
	util_wipe(buf, len);
	free(buf);
	return rc;
}
