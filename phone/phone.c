/*
 * phone: numbers in E.164, and where they come from: the phones file, an
 * administrator's command, a directory (phone/ldap.c), the GECOS field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "../util/util.h"
#include "phone.h"

/* A phones file is a list of users: a few MiB is already absurd. */
#define PHONES_MAX_SIZE (16u * 1024 * 1024)

/*
 * The digits of p, without the separators " \t-.()" and without a
 * bracketed trunk prefix "(0)", into d (NUL-terminated, at most dsize - 1
 * digits).  Returns 0, or -1 for any other character or too many digits.
 */
static int
phone_digits(const char *p, char *d, size_t dsize)
{
	size_t n = 0;

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
			if (n + 1 >= dsize)
				return -1;
			d[n++] = *p;
		} else if (strchr(" \t-.()", *p) == NULL) {
			return -1;
		}
	}
	d[n] = '\0';
	return 0;
}

int
phone_normalize(const char *in, char out[PHONE_MAX])
{
	const char *p = in;
	size_t n;

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
	out[0] = '+';
	if (phone_digits(p, out + 1, PHONE_MAX - 1) != 0) {
		out[0] = '\0';
		return PHONE_EINVAL;
	}
	n = strlen(out + 1);
	/* E.164: at most 15 digits; country codes never start with 0; fewer
	 * than 8 digits is no mobile number anywhere. */
	if (n < 8 || n > 15 || out[1] == '0') {
		out[0] = '\0';
		return PHONE_EINVAL;
	}
	return PHONE_OK;
}

/* A calling code as configuration gives it: 1..3 digits, not from 0. */
static int
phone_cc_ok(const char *cc)
{
	size_t n;

	if (cc == NULL || cc[0] < '1' || cc[0] > '9')
		return 0;
	n = strspn(cc, "0123456789");
	return n <= 3 && cc[n] == '\0';
}

int
phone_normalize_national(const char *in, const char *default_country,
			 char out[PHONE_MAX])
{
	/* room for a trunk prefix and one digit too many */
	char d[PHONE_MAX + 2], intl[PHONE_MAX + 8];
	const char *p = in, *nat;
	int nanp;

	out[0] = '\0';
	if (in == NULL)
		return PHONE_EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+' || (p[0] == '0' && p[1] == '0'))
		return phone_normalize(p, out);
	/* No default country (NULL): a national number is not valid. */
	if (default_country == NULL || !phone_cc_ok(default_country) ||
	    phone_digits(p, d, sizeof(d)) != 0)
		return PHONE_EINVAL;
	nat = d;
	nanp = strcmp(default_country, "1") == 0;
	/* One trunk prefix: "0" in most countries, "1" in the North
	 * American plan ("1 555 555 0123"), whose area codes never start
	 * with 0 or 1. */
	if (*nat == '0' || (nanp && *nat == '1'))
		nat++;
	/* "0 0..." is neither national nor international; and a NANP
	 * number is always 10 digits: "555-0123" alone is no number. */
	if (*nat == '0' || (nanp && strlen(nat) != 10)) {
		util_wipe(d, sizeof(d));
		return PHONE_EINVAL;
	}
	snprintf(intl, sizeof(intl), "+%s%s", default_country, nat);
	util_wipe(d, sizeof(d));
	/* the length and country code rules of E.164 */
	if (phone_normalize(intl, out) != PHONE_OK) {
		util_wipe(intl, sizeof(intl));
		return PHONE_EINVAL;
	}
	util_wipe(intl, sizeof(intl));
	return PHONE_OK;
}

/*
 * Calling codes are a prefix code (ITU-T E.164): no code is the start of
 * another ("1" is the whole North American plan, and no code begins with
 * 1 elsewhere; "44" has no "441").  So the digits after "+" start with
 * exactly one code, and a plain prefix match is the right test.
 */
int
phone_country_allowed(const char *e164, char *const *codes, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (e164 == NULL || e164[0] != '+' || codes == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		/* an empty code would match everything: never */
		if (phone_cc_ok(codes[i]) &&
		    strncmp(e164 + 1, codes[i], strlen(codes[i])) == 0)
			return 1;
	}
	return 0;
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
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): both arms are chars */
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

/* The line at *at parsed as parse_line() does; *at moved past it (NULL
 * after the last line). */
static int
next_line(char **at, char **user, char **number)
{
	char *line = *at, *nl = strchr(line, '\n');

	if (nl != NULL)
		*nl++ = '\0';
	*at = nl;
	return parse_line(line, user, number);
}

/* Why a phones file's number (NULL: the line has none) is no number a
 * login can use, or NULL with it in out: the words of the module's log
 * and of smsotp check. */
static const char *
number_why(const char *number, const char *cc, char out[PHONE_MAX], char *why,
	   size_t whylen)
{
	if (number != NULL && phone_normalize_national(number, cc, out) == PHONE_OK)
		return NULL;
	if (number == NULL)
		snprintf(why, whylen, "no number on the line");
	else if (cc != NULL)
		snprintf(why, whylen, "not a valid number (+ and 8..15 digits, "
			 "or national for phones.default_country %s)", cc);
	else if (number[0] != '+' && strncmp(number, "00", 2) != 0)
		snprintf(why, whylen, "not an international number: write it "
			 "with + and the country code, or set "
			 "phones.default_country");
	else
		snprintf(why, whylen, "not a valid international number "
			 "(+ and 8..15 digits)");
	return why;
}

/*
 * phone_lookup_file() with a default country for national numbers.  With
 * *missing (may be NULL) set when the file does not exist at all.
 */
static int
file_find(const char *path, const char *user, const char *cc,
	  char out[PHONE_MAX], int *missing, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL, *at, why[200];
	size_t len;
	unsigned lineno = 0;
	int rc = PHONE_NOTFOUND;

	out[0] = '\0';
	if (missing != NULL)
		*missing = 0;
	if (util_read_trusted(path, UTIL_TRUST_READABLE, PHONES_MAX_SIZE, &buf,
			      &len, err, errlen) != 0) {
		if (errno == ENOMEM)
			return PHONE_ENOMEM;
		/* Asked only after the refusal, so it decides nothing about
		 * trust: a file that is there was refused above. */
		if (missing != NULL && path != NULL && path[0] == '/' &&
		    lstat(path, &st) != 0 && errno == ENOENT)
			*missing = 1;
		return PHONE_EFILE;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte, refused", path);
		rc = PHONE_EFILE;
		goto out;
	}
	for (at = buf; at != NULL && rc == PHONE_NOTFOUND;) {
		char *u = NULL, *num = NULL;
		int r = next_line(&at, &u, &num);

		lineno++;
		if (r == 0 || (user != NULL && strcmp(u, user) != 0))
			continue;
		if (user == NULL) {
			/* any valid number will do */
			if (r > 0 && phone_normalize_national(num, cc, out) ==
			    PHONE_OK)
				rc = PHONE_OK;
			continue;
		}
		if (number_why(r > 0 ? num : NULL, cc, out, why, sizeof(why)) != NULL) {
			snprintf(err, errlen, "%s:%u: the number for this user: %s",
				 path, lineno, why);
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


/* Lines of text[0..len): an upper bound of the users a file names. */
static size_t
count_lines(const char *text, size_t len)
{
	size_t n = 1;
	const char *p = text, *end = text + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Judges line lineno of user u (number num, NULL: none) as a login of u
 * would, if it is the one a login reads: the first of u's lines, which
 * users keeps.  0, or -1 when out of memory. */
static int
check_line(const struct phone_sources *src, struct hsearch_data *users,
	   unsigned lineno, char *u, const char *num,
	   void (*bad)(void *, unsigned, const char *, const char *, int),
	   void *ud)
{
	ENTRY e = { u, (void *)(uintptr_t)lineno }, *found = NULL;
	char why[200], e164[PHONE_MAX];

	if (hsearch_r(e, ENTER, &found, users) == 0)
		return -1;
	if ((uintptr_t)found->data != lineno) {
		snprintf(why, sizeof(why), "listed again: a login reads line %u only",
			 (unsigned)(uintptr_t)found->data);
		bad(ud, lineno, u, why, 0);
	} else if (number_why(num, src->default_country, e164, why,
			      sizeof(why)) != NULL) {
		bad(ud, lineno, u, why, 1);
	} else if (!phone_country_allowed(e164, src->allowed_countries,
					  src->n_allowed_countries)) {
		bad(ud, lineno, u, "the number's country is not in "
		    "phones.allowed_countries", 1);
	}
	util_wipe(e164, sizeof(e164));
	return 0;
}

int
phone_check_file(const struct phone_sources *src,
		 void (*bad)(void *ud, unsigned line, const char *user,
			     const char *why, int fails),
		 void *ud, char *err, size_t errlen)
{
	struct hsearch_data users;
	char *buf = NULL, *at;
	size_t len;
	unsigned lineno = 0;
	int rc = PHONE_OK;

	if (util_read_trusted(src->file, UTIL_TRUST_READABLE, PHONES_MAX_SIZE, &buf,
			      &len, err, errlen) != 0)
		return errno == ENOMEM ? PHONE_ENOMEM : PHONE_EFILE;
	memset(&users, 0, sizeof(users));
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte, refused", src->file);
		rc = PHONE_EFILE;
	} else if (hcreate_r(count_lines(buf, len) + 1, &users) == 0) {
		rc = PHONE_ENOMEM;
	}
	for (at = buf; rc == PHONE_OK && at != NULL;) {
		char *u = NULL, *num = NULL;
		int r = next_line(&at, &u, &num);

		lineno++;
		if (r != 0 && check_line(src, &users, lineno, u, r > 0 ? num : NULL,
					 bad, ud) != 0)
			rc = PHONE_ENOMEM;
	}
	if (rc != PHONE_EFILE)
		hdestroy_r(&users);
	util_wipe(buf, len);
	free(buf);
	return rc;
}

int
phone_lookup_file(const char *path, const char *user, char out[PHONE_MAX],
		  char *err, size_t errlen)
{
	return file_find(path, user, NULL, out, NULL, err, errlen);
}

/* ---------------------------------------------------------------------
 * phones.command: an administrator's program (an LDAP or HR database
 * query) prints the number.  util_run() runs it: no shell, a clean
 * environment, stdin /dev/null, killed with its process group after
 * CMD_TIMEOUT_S.  Exit 0 is its answer (a number, or nothing: no number);
 * anything else is a failure, told with its first line of stderr.
 */

#define CMD_TIMEOUT_S 5
/* A number is one short line; a program printing more is broken. */
#define CMD_OUT_MAX 4096
/* What is kept of its stderr for the log: the start of the first line. */
#define CMD_ERR_MAX 200

/* The number from what an exit status 0 left on stdout (buf, len bytes
 * and a NUL after them): one line, or nothing (no number). */
static int
cmd_parse(char *buf, size_t len, const char *cmd, const char *cc,
	  char out[PHONE_MAX], char *err, size_t errlen)
{
	char *p, *nl, *end;

	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: printed a NUL byte", cmd);
		return PHONE_EFILE;
	}
	p = buf;
	nl = strchr(p, '\n');
	if (nl != NULL) {
		*nl++ = '\0';
		if (nl[strspn(nl, " \t\r\n")] != '\0') {
			snprintf(err, errlen, "%s: printed more than one line "
				 "(it must print the number alone)", cmd);
			return PHONE_EFILE;
		}
	}
	end = p + strlen(p);
	while (end > p && strchr(" \t\r", end[-1]) != NULL)
		*--end = '\0';
	p += strspn(p, " \t");
	if (*p == '\0')
		return PHONE_NOTFOUND;
	if (phone_normalize_national(p, cc, out) != PHONE_OK) {
		/* never the line itself: it may be most of a number */
		snprintf(err, errlen, "%s: printed a line that is not a valid "
			 "number (+ and 8..15 digits%s%s)", cmd,
			 cc != NULL ? ", or national for phones.default_country " : "",
			 cc != NULL ? cc : "");
		return PHONE_EINVAL;
	}
	return PHONE_OK;
}

/*
 * The first line of what the program said on stderr (run->errout, a NUL
 * after errout_len), made fit for the log in place: escape sequences and
 * controls out, digit runs blanked (a number it names must not reach the
 * log whole).  Returns it, maybe "".
 */
static const char *
cmd_errline(struct util_run *run)
{
	char *line = run->errout, *end;

	line[run->errout_len] = '\0';
	end = strchr(line, '\n');
	if (end == NULL)
		end = line + strlen(line);
	*end = '\0';
	while (end > line && strchr(" \t\r", end[-1]) != NULL)
		*--end = '\0';
	line += strspn(line, " \t");
	util_sanitize(line);
	util_blank_digits(line);
	return line;
}

/*
 * The verdict from the run: exit 0 is the program's answer (one line, or
 * nothing: no number); anything else (exit 1 included: a lookup script
 * whose directory is down must not read as "no number", which nullok lets
 * pass), a signal, the time limit, fails the source, closed.
 */
static int
cmd_verdict(struct util_run *run, const char *cmd, const char *cc,
	    char *err, size_t errlen, char out[PHONE_MAX])
{
	const char *why = cmd_errline(run), *sep = why[0] != '\0' ? ": " : "";
	int status = run->status;

	if (run->timed_out) {
		snprintf(err, errlen, "%s: timed out after %d s%s%s", cmd,
			 CMD_TIMEOUT_S, sep, why);
		return PHONE_EFILE;
	}
	if (run->overflow) {
		snprintf(err, errlen, "%s: too much output (more than %d "
			 "bytes)", cmd, CMD_OUT_MAX);
		return PHONE_EFILE;
	}
	if (run->lost) {
		snprintf(err, errlen, "%s: exit status lost: the host process "
			 "reaps its children (SIGCHLD)", cmd);
		return PHONE_EFILE;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return cmd_parse(run->out, run->out_len, cmd, cc, out, err,
				 errlen);
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s: exited with status %d%s%s", cmd,
			 WEXITSTATUS(status), sep, why);
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s: killed by signal %d%s%s", cmd,
			 WTERMSIG(status), sep, why);
	else
		snprintf(err, errlen, "%s: ended with wait status %d", cmd,
			 status);
	return PHONE_EFILE;
}

static int
cmd_user_ok(const char *user)
{
	/* One argument, and not an option of the program. */
	if (user[0] == '\0' || user[0] == '-')
		return 0;
	return !util_has_ctl(user, 0);
}

/* Run the command for user and take its answer: PHONE_OK with out,
 * PHONE_NOTFOUND, or an error with err. */
static int
cmd_find(const char *cmd, const char *user, const char *cc,
	 char out[PHONE_MAX], char *err, size_t errlen)
{
	struct util_run run;
	char buf[CMD_OUT_MAX + 1], ebuf[CMD_ERR_MAX + 1];
	char *argv[3] = { NULL, NULL, NULL };
	int rc;

	if (cmd[0] != '/') {
		snprintf(err, errlen, "%s: phones.command must be an absolute "
			 "path", cmd);
		return PHONE_EFILE;
	}
	if (!cmd_user_ok(user)) {
		snprintf(err, errlen, "%s: user name not passed to the "
			 "command (empty, starts with '-' or holds a control "
			 "character)", cmd);
		return PHONE_EINVAL;
	}
	/* The output on the stack (a forked child that cannot exec leaves
	 * no heap block behind), wiped: it is a number. */
	memset(buf, 0, sizeof(buf));
	memset(ebuf, 0, sizeof(ebuf));
	argv[0] = strdup(cmd);
	argv[1] = strdup(user);
	if (argv[0] == NULL || argv[1] == NULL) {
		rc = PHONE_ENOMEM;
		goto out;
	}
	memset(&run, 0, sizeof(run));
	run.argv = argv;
	run.text = NULL;	/* stdin: /dev/null */
	run.out = buf;
	run.out_cap = CMD_OUT_MAX;
	run.errout = ebuf;
	run.errout_cap = CMD_ERR_MAX;
	run.timeout_ms = CMD_TIMEOUT_S * 1000L;
	rc = util_run(&run, err, errlen);
	if (rc != 0) {
		/* err says why it could not run */
		rc = rc < 0 && errno == ENOMEM ? PHONE_ENOMEM : PHONE_EFILE;
		goto out;
	}
	buf[run.out_len] = '\0';
	rc = cmd_verdict(&run, cmd, cc, err, errlen, out);
out:
	util_wipe(buf, sizeof(buf));
	util_wipe(ebuf, sizeof(ebuf));
	free(argv[0]);
	free(argv[1]);
	return rc;
}

/* ---------------------------------------------------------------------
 * GECOS: "Full Name,Room,Work phone,Home phone,Other"; the first field
 * that is a number wins, names and rooms are skipped.
 */
static int
gecos_find(const char *gecos, const char *cc, char out[PHONE_MAX])
{
	char field[64];
	const char *p = gecos, *end;
	size_t len;
	int rc = PHONE_NOTFOUND;

	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		/* longer than any written number: not one */
		if (len < sizeof(field)) {
			memcpy(field, p, len);
			field[len] = '\0';
			if (phone_normalize_national(field, cc, out) == PHONE_OK) {
				rc = PHONE_OK;
				break;
			}
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	util_wipe(field, sizeof(field));
	return rc;
}

/* ---------------------------------------------------------------------
 * phones.ldap: the value of the user's entry (phone/ldap.c), as a number.
 */
static int
ldap_find(const struct phone_ldap *l, const char *user, const char *cc,
	  char out[PHONE_MAX], char *err, size_t errlen)
{
	char value[128];
	int rc;

	rc = phone_ldap_value(l, user, value, sizeof(value), err, errlen);
	if (rc == PHONE_OK &&
	    phone_normalize_national(value, cc, out) != PHONE_OK) {
		/* never the value itself: it may be most of a number */
		snprintf(err, errlen, "phones.ldap: the %s of this user's entry "
			 "is not a valid number (+ and 8..15 digits%s%s)",
			 l->attribute, cc != NULL ? ", or national for "
			 "phones.default_country " : "", cc != NULL ? cc : "");
		rc = PHONE_EINVAL;
	}
	util_wipe(value, sizeof(value));
	return rc;
}

/* ---------------------------------------------------------------------
 * The sources in order.
 */

/* The phones file.  The default file need not exist when the numbers
 * come from elsewhere; alone, a missing file fails closed.  An untrusted
 * one is refused either way. */
static int
from_file(const struct phone_sources *src, const char *user, const char *cc,
	  char out[PHONE_MAX], char *err, size_t errlen)
{
	int missing = 0;
	int rc = file_find(src->file, user, cc, out, &missing, err, errlen);

	if (rc == PHONE_EFILE && missing &&
	    (src->command != NULL || src->ldap.uri != NULL || src->gecos)) {
		snprintf(err, errlen, "%s: does not exist, skipped", src->file);
		rc = PHONE_NOTFOUND;
	}
	return rc;
}

int
phone_lookup(const struct phone_sources *src, const char *user,
	     const char *gecos, char out[PHONE_MAX], int *source,
	     char *err, size_t errlen)
{
	char who[65], masked[PHONE_MAX], where[300];
	const char *cc;
	int rc = PHONE_NOTFOUND, from = 0;

	out[0] = '\0';
	*source = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (src == NULL || user == NULL) {
		snprintf(err, errlen, "no user name");
		return PHONE_EINVAL;
	}
	cc = src->default_country;
	if (cc != NULL && !phone_cc_ok(cc)) {
		snprintf(err, errlen, "default_country \"%s\" is not a calling "
			 "code (1..3 digits)", cc);
		return PHONE_EFILE;
	}
	util_strlcpy(who, user, sizeof(who));
	util_sanitize(who);
	if (src->file != NULL) {
		from = PHONE_SRC_FILE;
		rc = from_file(src, user, cc, out, err, errlen);
		snprintf(where, sizeof(where), "phones file %s", src->file);
	}
	/* A source that holds a bad number stops here: an administrator's
	 * typo must be seen, not replaced by a user-editable GECOS value. */
	if (rc == PHONE_NOTFOUND && src->command != NULL) {
		from = PHONE_SRC_COMMAND;
		rc = cmd_find(src->command, user, cc, out, err, errlen);
		snprintf(where, sizeof(where), "phones command %s",
			 src->command);
	}
	if (rc == PHONE_NOTFOUND && src->ldap.uri != NULL) {
		from = PHONE_SRC_LDAP;
		rc = ldap_find(&src->ldap, user, cc, out, err, errlen);
		snprintf(where, sizeof(where), "phones.ldap");
	}
	if (rc == PHONE_NOTFOUND && src->gecos && gecos != NULL) {
		from = PHONE_SRC_GECOS;
		rc = gecos_find(gecos, cc, out);
		snprintf(where, sizeof(where), "GECOS field (user-editable)");
	}
	if (rc != PHONE_OK) {
		out[0] = '\0';
		return rc;
	}
	if (!phone_country_allowed(out, src->allowed_countries,
				   src->n_allowed_countries)) {
		/* the country hint and 3 digits: enough to find the entry */
		phone_mask(out, masked);
		snprintf(err, errlen, "%s: the number of %s (%s) is not in "
			 "allowed_countries", where, who, masked);
		util_wipe(out, PHONE_MAX);
		out[0] = '\0';
		return PHONE_EINVAL;
	}
	*source = from;
	return PHONE_OK;
}
