/*
 * util: small helpers shared by every part of pam_smsotp and its admin
 * tool: a logging sink that knows nothing of PAM, opening files that hold
 * secrets with trust checks, wiping memory that held a secret, and running
 * an administrator's program under supervision.
 */
#ifndef SMSOTP_UTIL_H
#define SMSOTP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <syslog.h>
#include <sys/types.h>

/*
 * Where messages go.  The module routes them to pam_vsyslog, the admin tool
 * and the unit tests to stderr or a buffer.  A NULL sink or a NULL fn drops
 * messages.  Debug messages (LOG_DEBUG) are only passed on when debug != 0.
 */
struct smsotp_log {
	void (*fn)(void *ud, int priority, const char *fmt, va_list ap);
	void *ud;
	int debug;
};

void smsotp_logf(const struct smsotp_log *log, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Trust policies for util_read_trusted(). */
#define UTIL_TRUST_PRIVATE 0	/* no group or other permission bits at all */
#define UTIL_TRUST_READABLE 1	/* group/other may read, never write */

/*
 * Read a whole file that the module trusts.  The file must be a regular file
 * (a symlink is refused: O_NOFOLLOW), owned by root or by the effective uid,
 * with no group/other bits beyond what the policy allows, and at most
 * maxsize bytes.  On success *buf is a NUL-terminated heap copy (wipe it
 * with util_free_secret) and *len its length; returns 0.  On failure returns
 * -1 with errno set (ENOMEM for out of memory) and a one-line reason naming
 * the path in err.
 */
int util_read_trusted(const char *path, int policy, size_t maxsize,
		      char **buf, size_t *len, char *err, size_t errlen);

/* Overwrite n bytes in a way the compiler cannot drop. */
void util_wipe(void *p, size_t n);

/* Wipe a NUL-terminated string, then free it.  NULL is fine. */
void util_free_secret(char *s);

/*
 * Make s (NUL-terminated) safe to log or show, in place, so that a value
 * from the network, a user or a program cannot forge log lines or steer
 * the terminal that shows them: escape sequences go whole (ESC [ ... up to
 * its final byte; ESC ] P _ ^ X ... up to BEL, ESC \ or the end; ESC and
 * one more), and so do the UTF-8 encoded C1 controls U+0080..U+009F (CSI
 * and the string introducers with their sequence).  Other control bytes
 * (< 0x20, 0x7f) and bytes that are not valid UTF-8 (stray 0x80..0xff,
 * overlong forms, surrogates, a truncated sequence) become '?', and so do
 * the characters that reorder or break a line where it is shown (the
 * bidirectional controls U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069; U+2028, U+2029).  Other printable UTF-8 is kept as is.
 * The result is never longer than s.
 */
void util_sanitize(char *s);

/* This machine's short host name for the {host} placeholder: gethostname()
 * cut at the first '.', sanitized; "localhost" when it cannot be read. */
void util_short_hostname(char *out, size_t outlen);

/* Is c an ASCII control character (below 0x20, or DEL)?  A tab counts
 * unless allow_tab.  The one test of every "no control characters" rule:
 * a line break in a header, an argument, a path or a credential. */
int util_is_ctl(unsigned char c, int allow_tab);

/* Does s hold a control character in the sense of util_is_ctl()? */
int util_has_ctl(const char *s, int allow_tab);

/* Replace every run of 4 or more ASCII digits in s by as many '#', in
 * place: a program's or a server's words may echo a phone number or a
 * code, which a log line must never hold whole. */
void util_blank_digits(char *s);

/* Look user up in the system's accounts (getpwnam_r).  Returns 1 with
 * *name (the account's own name) and *gecos (its GECOS field, maybe ""),
 * heap copies the caller frees; 0 when there is no such user, which glibc
 * says only as a return of 0 with no entry; -1 when the lookup itself
 * failed: any error, ENOENT and ESRCH included (a name service that is
 * down, such as sssd, answers so), with errno set (ENOMEM, or the name
 * service's error).  Callers must not take -1 for "no such user". */
int util_getpw(const char *user, char **name, char **gecos);

/* The same, and the account's primary group in *gid (when not NULL). */
int util_getpw_gid(const char *user, char **name, char **gecos, gid_t *gid);

/*
 * The names of the groups user is in: its primary group gid and its
 * supplementary groups (getgrouplist, then getgrgid_r for each), from
 * whatever NSS holds them (files, sssd, LDAP).  A group without a name
 * is left out.  Returns 0 with *names (free with util_free_groups) and *n;
 * -1 with errno when a lookup failed: callers must never take that for
 * "in no group".
 */
int util_groups(const char *user, gid_t gid, char ***names, size_t *n);
void util_free_groups(char **names, size_t n);

/* Whether group (by name) lists user among its members: 1 or 0, or -1
 * with errno (ENOENT: NSS knows no such group; else the lookup failed). */
int util_group_lists(const char *group, const char *user);

/* Whether user is surely in none of the plain groups of list (its "!"
 * names are skipped): each one is found by name and does not list user,
 * so that a directory that answered the account's group list without some
 * of its groups (sssd down) cannot make a skip.  1; or 0 with *unsure
 * (when not NULL) the first group that lists user (errno 0) or could not
 * be looked up (errno; ENOENT: no such group). */
int util_groups_surely_outside(char *const *list, size_t n, const char *user,
			       const char **unsure);

/* Copy src into dst (size dstsize), always NUL-terminated; returns the
 * length of src, so truncation shows as a result >= dstsize. */
size_t util_strlcpy(char *dst, const char *src, size_t dstsize);

/* Milliseconds on the monotonic clock (for deadlines and durations). */
long util_now_ms(void);

/*
 * For a child the module forks (util_run's, the send process), first thing
 * after fork: what sudo's or su's caller chose must not reach it.  With
 * the effective uid 0, all gids and uids become 0 (setresgid, setresuid):
 * the caller, whose real uid the process had, can then neither signal,
 * stop nor trace it (and a shell it runs does not drop to that uid); if
 * that fails the child ends (_exit(127)).  Resource limits: RLIMIT_FSIZE,
 * RLIMIT_CPU, RLIMIT_AS and RLIMIT_DATA unlimited (soft and hard; without
 * CAP_SYS_RESOURCE, as for a user, the soft limit up to the hard one), at
 * least 1024 for RLIMIT_NOFILE's soft limit and 8 MiB for RLIMIT_STACK's
 * (beyond the hard one only with CAP_SYS_RESOURCE), RLIMIT_NPROC unlimited
 * as far as allowed, RLIMIT_CORE 0 (no core dump of a secret); as root,
 * a nice value the caller raised back to 0.  Async-signal-safe.
 */
void util_child_harden(void);

/*
 * Running a program (util/run.c), as the phones command and the command
 * SMS provider do, or a function in a child of its own (the LDAP lookup:
 * see fn).  argv[0] must be an absolute path: no PATH search, no shell.
 * The program gets an environment of PATH=/usr/sbin:/usr/bin:
 * /sbin:/bin and LANG=C.UTF-8 alone, fds 0, 1 and 2 and nothing else of
 * the host's, its own process group, "/" as its directory, umask 077,
 * default signal dispositions and an empty signal mask, and what
 * util_child_harden() gives (root's ids, sane resource limits).  Only async-
 * signal-safe calls run between fork and execve; the host's signal
 * dispositions are never changed, and no SIGPIPE reaches it when the
 * program closes its stdin early.  When the program ends, overflows (see
 * UTIL_RUN_DRAIN) or the deadline passes, its whole process group is
 * killed (a helper it left behind must not outlive the login) and it is
 * reaped; its pid is never signalled once it could be another's.
 */
#define UTIL_RUN_STDERR 0x1	/* stderr into the output too (else /dev/null;
				 * errout, when set, takes it instead) */
#define UTIL_RUN_DRAIN 0x2	/* output beyond out_cap is read and dropped;
				 * without: a byte beyond ends the run */

struct util_run {
	/* set by the caller */
	char *const *argv;	/* NULL-terminated, argv[0] absolute */
	const char *text;	/* written to its stdin; NULL: /dev/null */
	char *out;		/* out_cap bytes for its stdout (a secret:
				 * the caller wipes it; not NUL-terminated) */
	size_t out_cap;
	char *errout;		/* errout_cap bytes for its stderr, kept apart
				 * from stdout; what comes beyond is read and
				 * dropped (the program never blocks on it).
				 * NULL: see UTIL_RUN_STDERR.  Not NUL-
				 * terminated; wiped by the caller (a program
				 * may echo its input there) */
	size_t errout_cap;
	long timeout_ms;	/* from the call to the kill */
	int flags;		/* UTIL_RUN_* */
	int (*fn)(void *arg);	/* instead of a program: called in the forked
				 * child, after the same set-up, with the
				 * environment PATH and LANG alone (no execve:
				 * it may call what is not async-signal-safe,
				 * as in a child of a single-threaded host);
				 * what it returns is the exit status.
				 * argv[0] then only names it in err */
	void *fn_arg;
	/* set by util_run() whatever it returns */
	int started;		/* its process was forked: it may have run
				 * (0: it certainly never did) */
	/* set by util_run() when it returns 0 */
	size_t out_len;		/* bytes in out */
	size_t errout_len;	/* bytes in errout */
	int overflow;		/* it printed more than out_cap */
	int timed_out;		/* the deadline passed: killed */
	int lost;		/* no exit status: the host reaps its
				 * children (SIGCHLD handler or SIG_IGN) */
	int status;		/* its wait status, unless timed_out or lost */
};

/*
 * Run run->argv and supervise it.  Returns 0 when it ran (the result
 * fields say how it ended); 1 when the program could not be executed,
 * with err "cannot run PATH: No such file or directory" (or "...: setting
 * up: ..." when the child failed before execve): the program never ran;
 * -1 with errno when it could not be started or watched, with err "cannot
 * run PATH: fork: ..." (pipe, /dev/null, signal mask) or "waiting for
 * PATH: ..." (then started is 1: it may have run).  A child it started is
 * always reaped before it returns.
 */
int util_run(struct util_run *run, char *err, size_t errlen);

#endif
