/*
 * tests/fault/shim.c: an LD_PRELOAD fault injector for
 * tests/pam/fault_sweep.sh (driven by tests/fault/sweep.py).
 *
 * It makes the k-th call of one function fail, the way a real failure
 * does, counting only the calls made on behalf of the module: those with
 * one of the first FAULT_DEPTH frames of their stack (the shim's own
 * frames left out) inside the module's code, found by name with
 * dl_iterate_phdr.  Calls of pamtester, libpam and the wrappers are passed
 * through untouched.
 *
 *	class       functions                          errno
 *	malloc      malloc calloc realloc (and strdup,  ENOMEM
 *	            strndup... that reach malloc)
 *	open        open open64 openat openat64        EMFILE
 *	write       write                              ENOSPC
 *	fsync       fsync fdatasync                    EIO
 *	rename      rename renameat renameat2          EIO
 *	fork        fork                               EAGAIN
 *	socketpair  socketpair                         EMFILE
 *	read        read                               EIO
 *	send        send (the module's socket writes)   EPIPE
 *	recv        recv (its socket reads)            ECONNRESET
 *
 * Calls the test harness makes for the module (nss_wrapper's getpwnam,
 * pam_wrapper's syslog) are not counted: they are not what the module
 * does on a real system.
 *
 * Every process counts on its own and deterministically: pamtester is
 * process "p"; a child forked through fork() is its parent's path plus
 * ".N" (the parent's N-th fork) and starts counting from 0.
 *
 * Environment (read once, at load; a child that clears its environment
 * keeps them):
 *	FAULT_REPORT_FD  where records go (a pipe: no RLIMIT_FSIZE applies);
 *	                 moved above fd 900 so that the module sees the same
 *	                 low descriptors as without the shim
 *	FAULT_MODULE     the module's file name (default pam_smsotp.so)
 *	FAULT_DEPTH      frames looked at above the shim (default 4)
 *	FAULT_FN, FAULT_K, FAULT_PROC
 *	                 fail call FAULT_K (from 1) of class FAULT_FN in
 *	                 process FAULT_PROC (default "p")
 *	FAULT_ERRNO      another errno for it (a name: EIO, EACCES, ...)
 *	FAULT_CENSUS=1   a record for every counted call (the module's offset
 *	                 of the call site): to measure a login
 *	FAULT_FSIZE, FAULT_NOFILE
 *	                 RLIMIT_FSIZE / RLIMIT_NOFILE (soft and hard) set at
 *	                 the first counted call, so in force while the module
 *	                 runs and not while pam_wrapper sets itself up
 *	FAULT_XFSZ=ignore
 *	                 SIGXFSZ ignored (then a write past the limit fails
 *	                 with EFBIG instead of ending the process)
 *
 * Records, one per line (a failed call is followed by its stack, then
 * "END", all in one write):
 *	FAULT pid=P proc=p fn=write k=3 errno=ENOSPC
 *	LIMITS pid=P fsize=N nofile=N fds=N     (fds: lowest free descriptor)
 *	CALL proc=p fn=write n=7 at=0x1a2b len=N (census; len: a write's size)
 *	EVENT proc=p answer                     (pamtester read an answer)
 *	EVENT proc=p compare after=N            (the module ran CRYPTO_memcmp,
 *	                                         N answers read by then)
 *	FAILED pid=P proc=p fn=open k=4 errno=EMFILE at=0x1a2b
 *	                     (a call of the module's that failed by itself, as
 *	                     under a limit: the first four per process; then
 *	                     the stack and "END")
 *	CRASH pid=P proc=p sig=11 (then the stack and "END"; also SIGXFSZ
 *	                     under FAULT_FSIZE, which then ends the process
 *	                     as it would have)
 *
 * The shim must never crash its host: malloc is resolved with
 * dlsym(RTLD_NEXT), and while that runs, allocations come from a small
 * static arena that free() and realloc() recognise; a thread-local guard
 * passes every call made while the shim itself works (backtrace() loads
 * libgcc_s and allocates) straight through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { F_MALLOC, F_OPEN, F_WRITE, F_FSYNC, F_RENAME, F_FORK, F_SOCKETPAIR,
       F_READ, F_SEND, F_RECV, F_N };

static const char *const fn_name[F_N] = {
	"malloc", "open", "write", "fsync", "rename", "fork", "socketpair",
	"read", "send", "recv",
};
static const int fn_errno[F_N] = {
	ENOMEM, EMFILE, ENOSPC, EIO, EIO, EAGAIN, EMFILE, EIO, EPIPE, ECONNRESET,
};

static const struct { const char *name; int e; } errnos[] = {
	{ "ENOMEM", ENOMEM }, { "EMFILE", EMFILE }, { "ENFILE", ENFILE },
	{ "EACCES", EACCES }, { "EIO", EIO }, { "ENOSPC", ENOSPC },
	{ "EDQUOT", EDQUOT }, { "EFBIG", EFBIG }, { "EXDEV", EXDEV },
	{ "EAGAIN", EAGAIN }, { "EPIPE", EPIPE }, { "ECONNRESET", ECONNRESET },
	{ "EINTR", EINTR }, { "EROFS", EROFS }, { "EPERM", EPERM },
	{ "ENOENT", ENOENT }, { "EEXIST", EEXIST }, { "EBADF", EBADF },
};

/* ---------------------------------------------------------------- settings */

static int ready;		/* the constructor has run */
static __thread int busy;	/* the shim is at work: pass everything */

static int report_fd = -1;
static char module_name[256] = "pam_smsotp.so";
static int depth = 4;
static int target_fn = -1;
static long target_k;
static char target_proc[64] = "p";
static int target_errno;
static int census;
static long long lim_fsize = -1, lim_nofile = -1;
static int xfsz_ignore;

/* this process */
static char proc[64] = "p";
static long forks;
static long count[F_N];
static int limits_done;
static long answers;		/* answers read by pamtester (process p) */
static __thread long call_len = -1;	/* bytes of the write being decided */

/* code ranges: the module's, and the shim's own */
struct range { uintptr_t lo, hi; };
#define MAX_RANGES 8
static struct range mod_r[MAX_RANGES], self_r[MAX_RANGES];
static int n_mod, n_self;
/* the test harness's own libraries: a call they make for the module (the
 * wrapped gethostname, getpwnam, pam_syslog) is not the module's */
static const char *const harness[] = { "libnss_wrapper.so", "libpam_wrapper.so" };
#define N_HARNESS (sizeof(harness) / sizeof(harness[0]))
static struct range harness_r[N_HARNESS][MAX_RANGES];
static int n_harness[N_HARNESS];
static uintptr_t mod_base;

/* ---------------------------------------------------------------- real functions */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

/* While dlsym resolves the allocator: a bump arena; each block is preceded
 * by its size, blocks are never reused (so calloc's are zero). */
static _Alignas(16) unsigned char arena[1 << 16];
static size_t arena_used;
static int resolving;

static int
in_arena(const void *p)
{
	return (const unsigned char *)p >= arena &&
	       (const unsigned char *)p < arena + sizeof(arena);
}

static void *
arena_alloc(size_t n)
{
	size_t need = (n + 15) / 16 * 16 + 16;
	unsigned char *p;

	if (n > sizeof(arena) || arena_used + need > sizeof(arena)) {
		errno = ENOMEM;
		return NULL;
	}
	p = arena + arena_used;
	arena_used += need;
	*(size_t *)(void *)p = n;
	return p + 16;
}

static void
resolve_alloc(void)
{
	if (resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

/* The next definition of name; resolved once. */
#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (real_##name == NULL) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

/* ---------------------------------------------------------------- reporting */

static ssize_t (*raw_write)(int, const void *, size_t);

static void
put(const char *s, size_t n)
{
	if (report_fd < 0 || raw_write == NULL)
		return;
	while (n > 0) {
		ssize_t w = raw_write(report_fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void __attribute__((format(printf, 1, 2)))
record(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	put(line, (size_t)n);
}

static const char *
errno_name(int e)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].e == e)
			return errnos[i].name;
	return "?";
}

/* ---------------------------------------------------------------- code ranges */

struct find { const char *name; uintptr_t addr; struct range *r; int *n;
	      uintptr_t *base; int found; };

static int
find_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find *f = data;
	const char *base = info->dlpi_name != NULL ? strrchr(info->dlpi_name, '/') : NULL;
	int i, hit = 0;

	(void)size;
	base = base != NULL ? base + 1 : info->dlpi_name;
	if (f->name != NULL) {
		/* the file name, or a versioned one of it (name.0) */
		size_t len = strlen(f->name);

		hit = base != NULL && strncmp(base, f->name, len) == 0 &&
		      (base[len] == '\0' || base[len] == '.');
	} else {
		for (i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

			if (ph->p_type == PT_LOAD && f->addr >= lo &&
			    f->addr < lo + ph->p_memsz)
				hit = 1;
		}
	}
	if (!hit)
		return 0;
	*f->n = 0;
	for (i = 0; i < info->dlpi_phnum && *f->n < MAX_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		f->r[*f->n].lo = info->dlpi_addr + ph->p_vaddr;
		f->r[*f->n].hi = f->r[*f->n].lo + ph->p_memsz;
		(*f->n)++;
	}
	if (f->base != NULL)
		*f->base = info->dlpi_addr;
	f->found = *f->n > 0;
	return f->found;
}

static int
in_ranges(uintptr_t a, const struct range *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (a >= r[i].lo && a < r[i].hi)
			return 1;
	return 0;
}

/* The module is loaded late (libpam dlopens it): looked for until found. */
static int
module_known(void)
{
	struct find f = { module_name, 0, mod_r, &n_mod, &mod_base, 0 };

	if (n_mod > 0)
		return 1;
	dl_iterate_phdr(find_cb, &f);
	return n_mod > 0;
}

/*
 * The offset in the module of the first of the first `depth` frames above
 * the shim that lies in it, or 0 when none does: the call is not the
 * module's.  Runs with busy set.
 */
static uintptr_t
module_frame(void)
{
	void *frames[48];
	int n, i, seen = 0, max = depth + 8;

	if (!module_known())
		return 0;
	if (max > 48)
		max = 48;
	n = backtrace(frames, max);
	for (i = 0; i < n && seen < depth; i++) {
		uintptr_t a = (uintptr_t)frames[i];
		size_t j;

		if (in_ranges(a, self_r, n_self))
			continue;
		if (in_ranges(a, mod_r, n_mod))
			return a - mod_base;
		for (j = 0; j < N_HARNESS; j++)
			if (in_ranges(a, harness_r[j], n_harness[j]))
				return 0;
		seen++;
	}
	return 0;
}

/* ---------------------------------------------------------------- limits */

static void on_crash(int sig);
static void check_pwrap_dir(void);

static int
lowest_free_fd(void)
{
	int fd;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			return fd;
	return fd;
}

static void
apply_limits(void)
{
	struct rlimit rl;
	int fds = lowest_free_fd();

	limits_done = 1;
	if (lim_fsize < 0 && lim_nofile < 0 && !xfsz_ignore && !census)
		return;
	if (xfsz_ignore) {
		signal(SIGXFSZ, SIG_IGN);
	} else if (lim_fsize >= 0 && report_fd >= 0) {
		/* where the limit ends the process: recorded, then the
		 * signal's own action, as without the shim */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_crash;
		sa.sa_flags = SA_RESETHAND | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGXFSZ, &sa, NULL);
	}
	if (lim_fsize >= 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lim_fsize;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			record("ERROR pid=%ld setrlimit(RLIMIT_FSIZE, %lld): %s",
			       (long)getpid(), lim_fsize, strerror(errno));
	}
	if (lim_nofile >= 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lim_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			record("ERROR pid=%ld setrlimit(RLIMIT_NOFILE, %lld): %s",
			       (long)getpid(), lim_nofile, strerror(errno));
	}
	record("LIMITS pid=%ld fsize=%lld nofile=%lld fds=%d", (long)getpid(),
	       lim_fsize, lim_nofile, fds);
}

/* ---------------------------------------------------------------- pam_wrapper's folder */

/*
 * pam_wrapper (1.1.4) picks its folder /tmp/pam.X with lstat, then mkdir:
 * two processes starting together can both find one name free, and the
 * second then copies its service files into the first one's folder (its
 * mkdir fails, it goes on).  A sweep starts hundreds of logins while other
 * tests start theirs.  With FAULT_PWRAP_CLAIM=1 the choice is atomic for
 * this process: the lstat of a free name creates the folder, and only a
 * process that created it is told it is free.  A process without the shim
 * may still walk into ours: check_pwrap_dir() sees it by the pid file,
 * which that process rewrites, and says so, for the driver to repeat the
 * login.
 */
static char pwrap_claimed[32];

static int
pwrap_dir_name(const char *path)
{
	const char *v;

	if (path == NULL || strncmp(path, "/tmp/pam.", 9) != 0 || path[9] == '\0' ||
	    path[10] != '\0')
		return 0;
	v = getenv("FAULT_PWRAP_CLAIM");
	return v != NULL && strcmp(v, "1") == 0;
}

int
lstat(const char *path, struct stat *st)
{
	REAL(lstat);
	REAL(mkdir);
	if (pwrap_claimed[0] == '\0' && pwrap_dir_name(path)) {
		if (real_mkdir(path, 0755) == 0) {
			snprintf(pwrap_claimed, sizeof(pwrap_claimed), "%s", path);
			errno = ENOENT;
			return -1;
		}
		/* someone's: as it is */
	}
	return real_lstat(path, st);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(mkdir);
	if (pwrap_claimed[0] != '\0' && strcmp(path, pwrap_claimed) == 0) {
		/* made by lstat above, for this very call */
		(void)mode;
		return 0;
	}
	return real_mkdir(path, mode);
}

/* At the module's first call (libpam has read the service files by then):
 * pam_wrapper's folder must still be this process's. */
static void
check_pwrap_dir(void)
{
	const char *dir = getenv("PAM_WRAPPER_RUNTIME_DIR");
	char path[512], buf[32];
	ssize_t n;
	int fd;

	REAL(read);
	if (dir == NULL || report_fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/pid", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = real_read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (atol(buf) != (long)getpid())
		record("TAKEN pid=%ld dir=%s by=%s", (long)getpid(), dir, buf);
}

/* ---------------------------------------------------------------- the decision */

/* The module's offset of the call being decided, 0: not the module's. */
static __thread uintptr_t counted_at;
static long n_natural;		/* failures of their own recorded */

/*
 * A record and the stack of the shim's caller, ended by "END", in one
 * write: a pipe takes up to PIPE_BUF bytes whole, so that the records of
 * pamtester and of the process it forked never interleave.  Runs with
 * busy set (backtrace_symbols allocates).
 */
static void __attribute__((format(printf, 1, 2)))
record_stack(const char *fmt, ...)
{
	char buf[4000];
	void *frames[32];
	char **sym;
	va_list ap;
	size_t len;
	int n, i;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 8, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(buf) - 8 ? (size_t)n : sizeof(buf) - 8;
	buf[len++] = '\n';
	n = backtrace(frames, 32);
	sym = backtrace_symbols(frames, n);
	for (i = 0; sym != NULL && i < n; i++) {
		size_t l = strlen(sym[i]);

		if (len + l + 6 > sizeof(buf))
			break;
		memcpy(buf + len, sym[i], l);
		len += l;
		buf[len++] = '\n';
	}
	free(sym);
	memcpy(buf + len, "END\n", 4);
	put(buf, len + 4);
}

/*
 * Called by every wrapper: 1 when this call is to fail (errno set and the
 * failure reported), 0 to pass it through.
 */
static int
hit(int fn)
{
	uintptr_t at;
	long n;

	counted_at = 0;
	if (!ready || busy || resolving)
		return 0;
	busy = 1;
	at = module_frame();
	if (at == 0) {
		busy = 0;
		return 0;
	}
	counted_at = at;
	n = ++count[fn];
	if (!limits_done) {
		check_pwrap_dir();
		apply_limits();
	}
	if (census)
		record("CALL proc=%s fn=%s n=%ld at=0x%lx len=%ld", proc, fn_name[fn], n,
		       (unsigned long)at, call_len);
	if (fn == target_fn && n == target_k && strcmp(proc, target_proc) == 0) {
		int e = target_errno != 0 ? target_errno : fn_errno[fn];

		record_stack("FAULT pid=%ld proc=%s fn=%s k=%ld errno=%s at=0x%lx",
			     (long)getpid(), proc, fn_name[fn], n, errno_name(e),
			     (unsigned long)at);
		counted_at = 0;
		busy = 0;
		errno = e;
		return 1;
	}
	busy = 0;
	return 0;
}

/*
 * After the real call: one of the module's that failed by itself (under a
 * limit, say) is recorded with its stack, the first few per process.
 * errno is kept.
 */
static void
natural(int fn)
{
	int e = errno;

	/* a file not there yet is how every first login goes */
	if (counted_at == 0 || busy || n_natural >= 4 || e == ENOENT || e == EEXIST)
		return;
	busy = 1;
	n_natural++;
	record_stack("FAILED pid=%ld proc=%s fn=%s k=%ld errno=%s at=0x%lx", (long)getpid(),
		     proc, fn_name[fn], count[fn], errno_name(e), (unsigned long)counted_at);
	counted_at = 0;
	busy = 0;
	errno = e;
}

/* natural() for calls that may fail as a matter of course (a socket with
 * nothing to read yet) */
static void
natural_io(int fn)
{
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		natural(fn);
}

static int
fail_errno(int fn)
{
	return target_errno != 0 ? target_errno : fn_errno[fn];
}

/* ---------------------------------------------------------------- set-up */

static void
load_settings(void)
{
	const char *v;
	size_t i;
	int fd;

	raw_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if ((v = getenv("FAULT_REPORT_FD")) != NULL && *v != '\0') {
		fd = atoi(v);
		if (fcntl(fd, F_GETFD) >= 0) {
			/* out of the way of the descriptors the module gets */
			int hi = fcntl(fd, F_DUPFD_CLOEXEC, 900);

			if (hi >= 0) {
				close(fd);
				fd = hi;
			} else {
				fcntl(fd, F_SETFD, FD_CLOEXEC);
			}
			report_fd = fd;
		}
	}
	if ((v = getenv("FAULT_MODULE")) != NULL && *v != '\0') {
		const char *b = strrchr(v, '/');

		snprintf(module_name, sizeof(module_name), "%s", b != NULL ? b + 1 : v);
	}
	if ((v = getenv("FAULT_DEPTH")) != NULL && atoi(v) > 0)
		depth = atoi(v);
	if ((v = getenv("FAULT_FN")) != NULL)
		for (i = 0; i < F_N; i++)
			if (strcmp(v, fn_name[i]) == 0)
				target_fn = (int)i;
	if ((v = getenv("FAULT_K")) != NULL)
		target_k = atol(v);
	if ((v = getenv("FAULT_PROC")) != NULL && *v != '\0')
		snprintf(target_proc, sizeof(target_proc), "%s", v);
	if ((v = getenv("FAULT_ERRNO")) != NULL)
		for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (strcmp(v, errnos[i].name) == 0)
				target_errno = errnos[i].e;
	census = (v = getenv("FAULT_CENSUS")) != NULL && strcmp(v, "1") == 0;
	if ((v = getenv("FAULT_FSIZE")) != NULL && *v != '\0')
		lim_fsize = atoll(v);
	if ((v = getenv("FAULT_NOFILE")) != NULL && *v != '\0')
		lim_nofile = atoll(v);
	xfsz_ignore = (v = getenv("FAULT_XFSZ")) != NULL && strcmp(v, "ignore") == 0;
	if (target_fn < 0 && getenv("FAULT_FN") != NULL && *getenv("FAULT_FN") != '\0')
		record("ERROR pid=%ld unknown FAULT_FN=%s", (long)getpid(), getenv("FAULT_FN"));
}

/*
 * A crash is recorded with its stack, so that the driver can tell the
 * module's own crash from one in a library it called; then the signal
 * does what it would have done.
 */
static void
on_crash(int sig)
{
	void *frames[32];
	int n;

	busy = 1;
	record("CRASH pid=%ld proc=%s sig=%d", (long)getpid(), proc, sig);
	n = backtrace(frames, 32);
	if (report_fd >= 0)
		backtrace_symbols_fd(frames, n, report_fd);
	record("END");
	signal(sig, SIG_DFL);
	raise(sig);
}

__attribute__((constructor)) static void
shim_init(void)
{
	static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct find f = { NULL, (uintptr_t)&hit, self_r, &n_self, NULL, 0 };
	struct sigaction sa;
	void *warm[4];
	size_t i;

	busy = 1;
	if (real_malloc == NULL)
		resolve_alloc();
	dl_iterate_phdr(find_cb, &f);
	for (i = 0; i < N_HARNESS; i++) {
		struct find h = { harness[i], 0, harness_r[i], &n_harness[i], NULL, 0 };

		dl_iterate_phdr(find_cb, &h);
	}
	load_settings();
	if (report_fd >= 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_crash;
		sa.sa_flags = SA_RESETHAND | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
			sigaction(crash_sigs[i], &sa, NULL);
	}
	/* the first backtrace loads libgcc_s: done now, not inside a call */
	(void)backtrace(warm, 4);
	busy = 0;
	ready = 1;
}

/* ---------------------------------------------------------------- allocator */

void *
malloc(size_t n)
{
	void *r;

	if (real_malloc == NULL) {
		if (resolving)
			return arena_alloc(n);
		resolve_alloc();
		if (real_malloc == NULL)
			return arena_alloc(n);
	}
	if (hit(F_MALLOC)) {
		errno = fail_errno(F_MALLOC);
		return NULL;
	}
	if ((r = real_malloc(n)) == NULL)
		natural(F_MALLOC);
	return r;
}

void *
calloc(size_t n, size_t size)
{
	void *r;

	if (real_calloc == NULL) {
		if (size != 0 && n > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		if (resolving)
			return arena_alloc(n * size);
		resolve_alloc();
		if (real_calloc == NULL)
			return arena_alloc(n * size);
	}
	if (hit(F_MALLOC)) {
		errno = fail_errno(F_MALLOC);
		return NULL;
	}
	if ((r = real_calloc(n, size)) == NULL)
		natural(F_MALLOC);
	return r;
}

void *
realloc(void *p, size_t n)
{
	void *r;

	if (in_arena(p)) {
		size_t old = *(size_t *)(void *)((unsigned char *)p - 16);

		if ((r = malloc(n)) != NULL)
			memcpy(r, p, old < n ? old : n);
		return r;
	}
	if (real_realloc == NULL) {
		resolve_alloc();
		if (real_realloc == NULL)
			return p == NULL ? arena_alloc(n) : NULL;
	}
	if (hit(F_MALLOC)) {
		errno = fail_errno(F_MALLOC);
		return NULL;
	}
	if ((r = real_realloc(p, n)) == NULL && n != 0)
		natural(F_MALLOC);
	return r;
}

void
free(void *p)
{
	if (p == NULL || in_arena(p))
		return;
	if (real_free == NULL)
		resolve_alloc();
	if (real_free != NULL)
		real_free(p);
}

/* ---------------------------------------------------------------- the rest */

/*
 * A wrapper's body: the decision, then the real call (its result in r), a
 * failure of its own recorded.  CHECK is natural or natural_io.
 */
#define WRAP(cls, CHECK, call) \
	do { \
		if (hit(cls)) { \
			errno = fail_errno(cls); \
			return -1; \
		} \
		r = (call); \
		if (r < 0) \
			CHECK(cls); \
		return r; \
	} while (0)

/* open's mode is there only with O_CREAT or O_TMPFILE */
#define OPEN_MODE(flags, mode) \
	do { \
		if (((flags) & O_CREAT) != 0 || ((flags) & O_TMPFILE) == O_TMPFILE) { \
			va_list ap; \
			va_start(ap, flags); \
			mode = (mode_t)va_arg(ap, int); \
			va_end(ap); \
		} \
	} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	int r;

	REAL(open);
	OPEN_MODE(flags, mode);
	WRAP(F_OPEN, natural, real_open(path, flags, mode));
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	int r;

	REAL(openat);
	OPEN_MODE(flags, mode);
	WRAP(F_OPEN, natural, real_openat(dirfd, path, flags, mode));
}

/* The large-file names: the same calls, counted as theirs. */
int
open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return open(path, flags | O_LARGEFILE, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return openat(dirfd, path, flags | O_LARGEFILE, mode);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	REAL(write);
	call_len = (long)n;
	if (hit(F_WRITE)) {
		call_len = -1;
		errno = fail_errno(F_WRITE);
		return -1;
	}
	call_len = -1;
	if ((r = real_write(fd, buf, n)) < 0)
		natural(F_WRITE);
	return r;
}

ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t r;

	REAL(read);
	if (hit(F_READ)) {
		errno = fail_errno(F_READ);
		return -1;
	}
	if ((r = real_read(fd, buf, n)) < 0)
		natural_io(F_READ);
	/* pamtester's conversation (libpam_misc) reads each answer from
	 * stdin: the driver pairs these with the comparisons */
	if (fd == 0 && r > 0 && ready && !busy && strcmp(proc, "p") == 0) {
		int e = errno;

		busy = 1;
		answers++;
		record("EVENT proc=%s answer n=%ld", proc, answers);
		busy = 0;
		errno = e;
	}
	return r;
}

int
fsync(int fd)
{
	int r;

	REAL(fsync);
	WRAP(F_FSYNC, natural, real_fsync(fd));
}

int
fdatasync(int fd)
{
	int r;

	REAL(fdatasync);
	WRAP(F_FSYNC, natural, real_fdatasync(fd));
}

int
rename(const char *from, const char *to)
{
	int r;

	REAL(rename);
	WRAP(F_RENAME, natural, real_rename(from, to));
}

int
renameat(int fromfd, const char *from, int tofd, const char *to)
{
	int r;

	REAL(renameat);
	WRAP(F_RENAME, natural, real_renameat(fromfd, from, tofd, to));
}

int
renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	int r;

	REAL(renameat2);
	WRAP(F_RENAME, natural, real_renameat2(fromfd, from, tofd, to, flags));
}

pid_t
fork(void)
{
	pid_t pid;
	long nth;

	REAL(fork);
	if (hit(F_FORK)) {
		errno = fail_errno(F_FORK);
		return -1;
	}
	nth = ++forks;
	pid = real_fork();
	if (pid < 0) {
		natural(F_FORK);
	} else if (pid == 0) {
		/* the child: a path of its own, counting from 0 */
		size_t len = strlen(proc);

		snprintf(proc + len, sizeof(proc) - len, ".%ld", nth);
		memset(count, 0, sizeof(count));
		forks = 0;
		n_natural = 0;
	}
	return pid;
}

int
socketpair(int domain, int type, int protocol, int sv[2])
{
	int r;

	REAL(socketpair);
	WRAP(F_SOCKETPAIR, natural, real_socketpair(domain, type, protocol, sv));
}

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	ssize_t r;

	REAL(send);
	WRAP(F_SEND, natural_io, real_send(fd, buf, n, flags));
}

ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r;

	REAL(recv);
	WRAP(F_RECV, natural_io, real_recv(fd, buf, n, flags));
}

/* The module compares a code in constant time with CRYPTO_memcmp: each
 * call it makes is recorded, so that the driver knows an answer was judged
 * (and must have been counted) whatever the conversation showed. */
int CRYPTO_memcmp(const void *a, const void *b, size_t n);

int
CRYPTO_memcmp(const void *a, const void *b, size_t n)
{
	static __typeof__(CRYPTO_memcmp) *real;
	static int looked;

	if (ready && !busy) {
		busy = 1;
		if (module_frame() != 0)
			record("EVENT proc=%s compare after=%ld", proc, answers);
		if (!looked) {
			/* libcrypto came with the module, in libpam's local
			 * scope, where RTLD_NEXT does not look */
			void *h = dlopen("libcrypto.so.3", RTLD_LAZY | RTLD_NOLOAD);

			looked = 1;
			real = (__typeof__(CRYPTO_memcmp) *)dlsym(RTLD_NEXT, "CRYPTO_memcmp");
			if (real == NULL && h != NULL)
				real = (__typeof__(CRYPTO_memcmp) *)dlsym(h, "CRYPTO_memcmp");
		}
		busy = 0;
	}
	if (real == NULL) {
		/* no libcrypto found: the same result, in constant time too */
		const unsigned char *x = a, *y = b;
		unsigned char d = 0;
		size_t i;

		for (i = 0; i < n; i++)
			d |= (unsigned char)(x[i] ^ y[i]);
		return d != 0;
	}
	return real(a, b, n);
}
