/*
 * util: logging sink, trusted file reading, wiping.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void
smsotp_logf(const struct smsotp_log *log, int priority, const char *fmt, ...)
{
	va_list ap;

	if (log == NULL || log->fn == NULL)
		return;
	if (priority == LOG_DEBUG && !log->debug)
		return;
	va_start(ap, fmt);
	log->fn(log->ud, priority, fmt, ap);
	va_end(ap);
}

void
util_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
util_free_secret(char *s)
{
	if (s == NULL)
		return;
	util_wipe(s, strlen(s));
	free(s);
}

/* ---------------------------------------------------------------------
 * util_sanitize: what a terminal or a log viewer would act on is taken out.
 */

#define ESC 0x1b
#define BEL 0x07

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when s starts
 * an invalid one; *bad is then how many bytes make its maximal invalid
 * prefix (Unicode's "maximal subpart"), replaced by one '?'. */
static size_t
utf8_len(const unsigned char *s, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	*bad = 1;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;	/* a continuation byte, C0/C1 (overlong), F5.. */
	/* No overlong forms, no surrogates (ED A0..), nothing past U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* Past a control string (OSC, DCS, APC, PM, SOS) whose body starts at s:
 * it ends with BEL, ST (ESC \ or U+009C) or the end of the text. */
static const unsigned char *
skip_string(const unsigned char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == BEL)
			return s + 1;
		if (s[0] == ESC && s[1] == '\\')
			return s + 2;
		if (s[0] == 0xc2 && s[1] == 0x9c)
			return s + 2;
	}
	return s;
}

/* Past a CSI sequence whose parameters start at s: parameter bytes
 * 0x30-0x3f, intermediates 0x20-0x2f, then a final byte 0x40-0x7e.  Any
 * other byte ends it unconsumed (it is looked at on its own). */
static const unsigned char *
skip_csi(const unsigned char *s)
{
	while (*s >= 0x20 && *s <= 0x3f)
		s++;
	if (*s >= 0x40 && *s <= 0x7e)
		s++;
	return s;
}

/* Is c (an ESC's next byte, or a C1 control's code) the start of a
 * control string? */
static int
starts_string(unsigned char c, int c1)
{
	if (c1)
		return c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e ||
		       c == 0x9f;
	return c == 'P' || c == 'X' || c == ']' || c == '^' || c == '_';
}

/* Past the escape sequence whose ESC is at s[-1]. */
static const unsigned char *
skip_esc(const unsigned char *s)
{
	const unsigned char *p = s;

	if (*s == '[')
		return skip_csi(s + 1);
	if (starts_string(*s, 0))
		return skip_string(s + 1);
	/* ESC, intermediates 0x20-0x2f, a final byte 0x30-0x7e ("ESC c",
	 * "ESC ( B"); anything else ends it with the ESC alone gone. */
	while (*p >= 0x20 && *p <= 0x2f)
		p++;
	if (*p >= 0x30 && *p <= 0x7e)
		return p + 1;
	return s;
}

int
util_is_ctl(unsigned char c, int allow_tab)
{
	return (c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f;
}

int
util_has_ctl(const char *s, int allow_tab)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (util_is_ctl((unsigned char)*s, allow_tab))
			return 1;
	}
	return 0;
}

void
util_short_hostname(char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	if (gethostname(out, outlen) != 0)
		util_strlcpy(out, "localhost", outlen);
	out[outlen - 1] = '\0';
	out[strcspn(out, ".")] = '\0';
	util_sanitize(out);
}

/* The UTF-8 sequence r (n bytes) is a character that reorders or breaks
 * the text around it where it is shown: the bidirectional marks,
 * embeddings, overrides and isolates (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
 * (U+2028, U+2029).  A name holding one could make a log line read other
 * than it is. */
static int
reorders(const unsigned char *r, size_t n)
{
	if (n == 2)
		return r[0] == 0xd8 && r[1] == 0x9c;
	if (n != 3 || r[0] != 0xe2)
		return 0;
	if (r[1] == 0x80)
		return r[2] == 0x8e || r[2] == 0x8f || (r[2] >= 0xa8 && r[2] <= 0xae);
	return r[1] == 0x81 && r[2] >= 0xa6 && r[2] <= 0xa9;
}

void
util_sanitize(char *str)
{
	const unsigned char *r = (const unsigned char *)str;
	unsigned char *w = (unsigned char *)str;
	size_t n, bad;

	if (str == NULL)
		return;
	while (*r != '\0') {
		if (*r == ESC) {
			r = skip_esc(r + 1);
			continue;
		}
		if (util_is_ctl(*r, 0)) {
			*w++ = '?';
			r++;
			continue;
		}
		n = utf8_len(r, &bad);
		if (n == 0 || reorders(r, n)) {
			*w++ = '?';
			r += n == 0 ? bad : n;
			continue;
		}
		/* U+0080..U+009F (C2 80..C2 9F): C1 controls, CSI and the
		 * string introducers with what they introduce. */
		if (r[0] == 0xc2 && r[1] <= 0x9f) {
			if (r[1] == 0x9b)
				r = skip_csi(r + 2);
			else if (starts_string(r[1], 1))
				r = skip_string(r + 2);
			else
				r += 2;
			continue;
		}
		/* w never passes r: memmove, as they may be the same */
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = '\0';
}

void
util_blank_digits(char *s)
{
	size_t i = 0, j;

	while (s != NULL && s[i] != '\0') {
		if (s[i] < '0' || s[i] > '9') {
			i++;
			continue;
		}
		for (j = i; s[j] >= '0' && s[j] <= '9'; j++)
			;
		if (j - i >= 4)
			memset(s + i, '#', j - i);
		i = j;
	}
}

size_t
util_strlcpy(char *dst, const char *src, size_t dstsize)
{
	size_t len = strlen(src);

	if (dstsize > 0) {
		size_t n = len < dstsize - 1 ? len : dstsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* Reads fd to the end, at most maxsize bytes. */
static int
read_all(int fd, size_t maxsize, char **buf, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *b = malloc(cap);

	if (b == NULL)
		return -1;
	for (;;) {
		ssize_t r;

		if (used + 1 >= cap) {
			char *nb;

			if (cap > maxsize) {
				util_wipe(b, used);
				free(b);
				errno = EFBIG;
				return -1;
			}
			nb = malloc(cap * 2);
			if (nb == NULL) {
				util_wipe(b, used);
				free(b);
				errno = ENOMEM;
				return -1;
			}
			memcpy(nb, b, used);
			util_wipe(b, used);
			free(b);
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			util_wipe(b, used);
			free(b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		used += (size_t)r;
		if (used > maxsize) {
			util_wipe(b, used);
			free(b);
			errno = EFBIG;
			return -1;
		}
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	return 0;
}

int
util_read_trusted(const char *path, int policy, size_t maxsize,
		  char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	mode_t forbidden;
	int fd, e;

	*buf = NULL;
	*len = 0;
	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path",
			 path != NULL ? path : "(null)");
		errno = EINVAL;
		return -1;
	}
	/* O_NOFOLLOW: a symlink would let whoever owns its directory choose
	 * what the module trusts.  O_NONBLOCK: a FIFO must not hang a login. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link, refused", path);
		else
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		errno = e == ENOMEM ? ENOMEM : EACCES;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		e = errno;
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(e));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file, refused", path);
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not root or uid %lu, refused",
			 path, (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto fail;
	}
	forbidden = policy == UTIL_TRUST_READABLE ? (S_IWGRP | S_IWOTH | S_IXGRP | S_IXOTH)
		: (S_IRWXG | S_IRWXO);
	if ((st.st_mode & forbidden) != 0) {
		snprintf(err, errlen, "%s: mode %04o gives group or others access, refused "
			 "(chmod %s)", path, (unsigned)(st.st_mode & 07777),
			 policy == UTIL_TRUST_READABLE ? "go-wx" : "600");
		goto fail;
	}
	if ((size_t)st.st_size > maxsize) {
		snprintf(err, errlen, "%s: larger than %zu bytes, refused", path, maxsize);
		goto fail;
	}
	if (read_all(fd, maxsize, buf, len) != 0) {
		e = errno;
		if (e == EFBIG)
			snprintf(err, errlen, "%s: larger than %zu bytes, refused", path, maxsize);
		else
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
		close(fd);
		errno = e == ENOMEM ? ENOMEM : EACCES;
		return -1;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	errno = EACCES;
	return -1;
}

int
util_getpw(const char *user, char **name, char **gecos)
{
	return util_getpw_gid(user, name, gecos, NULL);
}

/*
 * One NSS lookup with a buffer grown while it answers ERANGE (up to 1 MiB):
 * the account user (pw, gr NULL), the group gid (gr, user NULL) or the
 * group named user (gr).  Returns what the
 * getXXX_r call returned, ENOMEM, with *found set when it found the entry
 * (whose strings live in *buf, which the caller frees).
 */
static int
nss_lookup(const char *user, struct passwd *pw, gid_t gid, struct group *gr,
	   char **buf, int *found)
{
	long hint = sysconf(gr != NULL ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 4096;
	struct passwd *pwp = NULL;
	struct group *grp = NULL;
	int e;

	*buf = NULL;
	for (;;) {
		char *nb = realloc(*buf, size);

		if (nb == NULL) {
			free(*buf);
			*buf = NULL;
			return ENOMEM;
		}
		*buf = nb;
		if (gr != NULL && user != NULL)
			e = getgrnam_r(user, gr, *buf, size, &grp);
		else if (gr != NULL)
			e = getgrgid_r(gid, gr, *buf, size, &grp);
		else
			e = getpwnam_r(user, pw, *buf, size, &pwp);
		if (e != ERANGE || size >= 1024 * 1024)
			break;
		size *= 2;
	}
	*found = pwp != NULL || grp != NULL;
	return e;
}

int
util_getpw_gid(const char *user, char **name, char **gecos, gid_t *gid)
{
	struct passwd pw;
	char *buf = NULL;
	int e, found = 0;

	*name = NULL;
	*gecos = NULL;
	e = nss_lookup(user, &pw, 0, NULL, &buf, &found);
	if (!found) {
		free(buf);
		/* glibc says "not found" as 0 and no entry, whatever the name
		 * service.  An error is never that: a service that is down
		 * (sssd, LDAP) answers ENOENT or EIO, and an unknown user may
		 * pass with nullok where a failed lookup must fail closed. */
		if (e == 0)
			return 0;
		errno = e;
		return -1;
	}
	*name = strdup(pw.pw_name);
	*gecos = strdup(pw.pw_gecos != NULL ? pw.pw_gecos : "");
	if (gid != NULL)
		*gid = pw.pw_gid;
	free(buf);
	if (*name == NULL || *gecos == NULL) {
		free(*name);
		free(*gecos);
		*name = NULL;
		*gecos = NULL;
		errno = ENOMEM;
		return -1;
	}
	return 1;
}

/* The name of group gid into *name (a heap copy; NULL when NSS knows no
 * such group, which glibc says as 0 and no entry).  0, or an errno. */
static int
group_name(gid_t gid, char **name)
{
	struct group gr;
	char *buf = NULL;
	int e, found = 0;

	*name = NULL;
	e = nss_lookup(NULL, NULL, gid, &gr, &buf, &found);
	if (e == 0 && found && (*name = strdup(gr.gr_name)) == NULL)
		e = ENOMEM;
	free(buf);
	return e;
}

/* The gids of user with gid as its primary group (getgrouplist), grown
 * until they fit: a heap array in *gids, their count in *n.  0 or ENOMEM. */
static int
group_ids(const char *user, gid_t gid, gid_t **gids, int *n)
{
	int cap = 32, want;

	*gids = NULL;
	for (;;) {
		gid_t *ng = realloc(*gids, (size_t)cap * sizeof(**gids));

		if (ng == NULL) {
			free(*gids);
			*gids = NULL;
			return ENOMEM;
		}
		*gids = ng;
		want = cap;
		if (getgrouplist(user, gid, *gids, &want) >= 0) {
			*n = want;
			return 0;
		}
		/* glibc says how many there are; others may not */
		cap = want > cap ? want : cap * 2;
		if (cap > 1 << 20) {
			free(*gids);
			*gids = NULL;
			return ERANGE;
		}
	}
}

int
util_groups(const char *user, gid_t gid, char ***names, size_t *n)
{
	gid_t *gids = NULL;
	int i, count = 0, e;

	*names = NULL;
	*n = 0;
	e = group_ids(user, gid, &gids, &count);
	if (e == 0 && (*names = calloc((size_t)count + 1, sizeof(char *))) == NULL)
		e = ENOMEM;
	for (i = 0; e == 0 && i < count; i++) {
		char *name = NULL;

		e = group_name(gids[i], &name);
		/* a gid without a name matches no name in a list */
		if (e == 0 && name != NULL)
			(*names)[(*n)++] = name;
	}
	free(gids);
	if (e != 0) {
		util_free_groups(*names, *n);
		*names = NULL;
		*n = 0;
		errno = e;
		return -1;
	}
	return 0;
}

int
util_group_lists(const char *group, const char *user)
{
	struct group gr;
	char *buf = NULL, **m;
	int e, found = 0, listed = 0;

	e = nss_lookup(group, NULL, 0, &gr, &buf, &found);
	if (e == 0 && !found)
		e = ENOENT;
	for (m = e == 0 ? gr.gr_mem : NULL; m != NULL && *m != NULL; m++)
		listed = listed || strcmp(*m, user) == 0;
	free(buf);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return listed;
}

int
util_groups_surely_outside(char *const *list, size_t n, const char *user,
			   const char **unsure)
{
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if (list[i][0] == '!')
			continue;
		r = util_group_lists(list[i], user);
		if (r == 0)
			continue;
		if (unsure != NULL)
			*unsure = list[i];
		if (r > 0)
			errno = 0;
		return 0;
	}
	return 1;
}

void
util_free_groups(char **names, size_t n)
{
	size_t i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

/* ---------------------------------------------------------------------
 * util_child_harden: a child of the module drops what sudo's caller gave
 * it.  Async-signal-safe: system calls only, no allocation, no locks.
 */

/* Raise limit r to want (RLIM_INFINITY is the largest rlim_t): soft and,
 * where lower, hard as root; else the soft limit as far as the hard one
 * allows. */
static void
harden_limit(int r, rlim_t want, int root)
{
	struct rlimit rl, up;

	if (getrlimit(r, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (root) {
		up.rlim_cur = want;
		up.rlim_max = rl.rlim_max >= want ? rl.rlim_max : want;
		/* fails without CAP_SYS_RESOURCE (a container): as a user */
		if (setrlimit(r, &up) == 0)
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(r, &rl);
}

void
util_child_harden(void)
{
	static const struct rlimit no_core = { 0, 0 };
	int root = geteuid() == 0;

	/* sudo and su run PAM with the caller's real uid: the caller may
	 * signal, stop or trace a child that keeps it.  All ids 0 make it
	 * root's alone; a child that cannot have them must not run. */
	if (root && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
		_exit(127);
	/* The caller's limits: a file size or CPU limit would kill a
	 * program half-way (SIGXFSZ, SIGXCPU), an address space or data
	 * limit fail it, too few fds starve it. */
	harden_limit(RLIMIT_FSIZE, RLIM_INFINITY, root);
	harden_limit(RLIMIT_CPU, RLIM_INFINITY, root);
	harden_limit(RLIMIT_AS, RLIM_INFINITY, root);
	harden_limit(RLIMIT_DATA, RLIM_INFINITY, root);
	harden_limit(RLIMIT_NOFILE, 1024, root);
	/* a stack too small for the program (read at its execve), too few
	 * processes for a script's own children */
	harden_limit(RLIMIT_STACK, (rlim_t)8 << 20, root);
	harden_limit(RLIMIT_NPROC, RLIM_INFINITY, root);
	/* the caller's nice value would slow a send into its timeout */
	if (root && getpriority(PRIO_PROCESS, 0) > 0)
		(void)setpriority(PRIO_PROCESS, 0, 0);
	/* no core dump of a process that held a code or a secret */
	(void)setrlimit(RLIMIT_CORE, &no_core);
}
