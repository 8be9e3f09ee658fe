/*
 * pamd: the entries of the PAM stacks that load one module, read as
 * Linux-PAM 1.5.2 reads a stack file (pamd.h says how, and from where).
 * The file is read whole, then cut into entries by the same steps as
 * Linux-PAM's fgets() loop over its 1024-byte buffer, so that long lines,
 * NUL bytes and continuations come out as they do there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pamd.h"

/* Linux-PAM 1.5.2 assembles an entry in char buf[BUF_SIZE], BUF_SIZE 1024
 * (pam_handlers.c): an entry is at most 1023 bytes. */
#define PAMD_BUF 1024
/* The most fields 1023 bytes hold: "x x x ..." or "[][][]...". */
#define PAMD_MAX_FIELDS (PAMD_BUF / 2 + 1)
/* A stack file is a few dozen lines; anything bigger is a mistake. */
#define PAMD_MAX_FILE (1024L * 1024)

static const char P_TYPE[] = "the type is none of auth, account, password, "
	"session: Linux-PAM makes this entry fail every time";
static const char P_MODULE_CR[] = "the module path ends in a carriage return "
	"(a CRLF line end): Linux-PAM cannot load the module";
static const char P_LONG[] = "the line is longer than 1023 bytes: Linux-PAM "
	"1.5.2 cuts the entry there and reads the rest as a line of its own";
static const char P_UNCLOSED[] = "an unclosed '[': Linux-PAM takes the rest "
	"of the line, spaces included, as one argument";
static const char P_UNCLOSED_HASH[] = "a '#' inside '[...]' starts a comment: "
	"Linux-PAM drops the rest of the line and takes what is left after the "
	"'[' as one argument";
static const char P_ARG_CR[] = "the last argument ends in a carriage return "
	"(a CRLF line end), which Linux-PAM hands to the module";
static const char P_OPEN_EOF[] = "a '\\' continues the last entry past the end "
	"of the file: Linux-PAM refuses the whole file (every stack using it "
	"fails)";
static const char P_HANG[] = "a '\\' is the 1023rd byte of an entry: "
	"Linux-PAM 1.5.2 never finishes reading the file (the program that "
	"opens the stack hangs)";

/* A file's bytes, handed out as fgets() hands out a stream's. */
struct reader {
	const char *data;
	size_t len;
	size_t pos;
	int line;	/* the physical line at pos, 1-based */
	int mid;	/* pos is inside a line (the last chunk was cut) */
};

/* One entry as Linux-PAM's _pam_assemble_line() leaves it. */
struct entry_text {
	char buf[PAMD_BUF];
	int line;	/* where it starts */
	int cut;	/* it holds a part of a line longer than the buffer */
	int hash;	/* a '#' ended it */
};

struct scan {
	const char *name;	/* the module's file name */
	pamd_fn fn;
	void *ud;
	const char *file;
	int long_reported;	/* the last line reported as too long */
	struct entry_text text;
	const char *argv[PAMD_MAX_FIELDS + 1];
	char why[256];
};

/* What assemble() found. */
enum { ASM_EOF, ASM_ENTRY, ASM_OPEN_EOF, ASM_HANG };

/*
 * fgets(dst, n, stream) on the file (n >= 2): up to n - 1 bytes, through
 * the first newline, then a NUL.  Returns 0 at the end of the file, with
 * nothing read; else 1, with *cut set when the line goes on beyond the
 * chunk (a newline alone left does not count: it makes a blank line).
 */
static int
reader_gets(struct reader *r, char *dst, size_t n, int *cut)
{
	size_t k = 0;
	int newline = 0;

	if (r->pos >= r->len)
		return 0;
	while (k + 1 < n && r->pos < r->len && !newline) {
		dst[k] = r->data[r->pos++];
		newline = dst[k++] == '\n';
	}
	dst[k] = '\0';
	if (newline)
		r->line++;
	*cut = !newline && r->pos < r->len && r->data[r->pos] != '\n';
	return 1;
}

/*
 * The next entry, as _pam_assemble_line() (Linux-PAM 1.5.2) makes it:
 * chunks blank or starting with '#' are skipped; the first '#' ends the
 * entry; a '\' last before trailing blanks becomes a space and the next
 * chunk is appended after it.
 */
static int
assemble(struct reader *r, struct entry_text *e)
{
	char *p = e->buf, *s, *end;
	const char *endp = e->buf + sizeof(e->buf);

	e->line = 0;
	e->cut = e->hash = 0;
	for (;;) {
		int line = r->line, mid = r->mid, cut;

		/* glibc's fgets() reads nothing into one byte and says it
		 * did: Linux-PAM asks again, forever. */
		if (endp - p < 2)
			return ASM_HANG;
		if (!reader_gets(r, p, (size_t)(endp - p), &cut))
			return e->line != 0 ? ASM_OPEN_EOF : ASM_EOF;
		r->mid = cut;
		s = p + strspn(p, " \n\t");
		if (*s == '\0' || *s == '#')
			continue;
		if (e->line == 0)
			e->line = line;
		e->cut |= cut | mid;
		end = strchr(s, '#');
		if (end != NULL) {
			*end = '\0';
			e->hash = 1;
			return ASM_ENTRY;
		}
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
			end--;
		if (end[-1] != '\\')
			return ASM_ENTRY;
		end[-1] = ' ';
		*end = '\0';
		p = end;
	}
}

/*
 * The next field of *cur, cut out in place as _pam_StrTok() does; NULL
 * when none is left.  Fields end at a space, tab or newline; one that
 * starts with '[' ends at the first ']' not written "\]" (which becomes
 * "]"), loses its brackets and may hold blanks; *unclosed is set when
 * the ']' never comes (the field is then the rest of the text).
 */
static char *
next_field(char **cur, int *unclosed)
{
	char *s = *cur + strspn(*cur, " \t\n");
	char *r, *w;

	if (*s == '\0') {
		*cur = s;
		return NULL;
	}
	if (*s != '[') {
		r = s + strcspn(s, " \t\n");
		*cur = *r != '\0' ? r + 1 : r;
		*r = '\0';
		return s;
	}
	w = r = ++s;
	while (*r != '\0' && *r != ']') {
		if (r[0] == '\\' && r[1] == ']')
			r++;
		*w++ = *r++;
	}
	if (*r == '\0')
		*unclosed = 1;
	*cur = *r != '\0' ? r + 1 : r;
	*w = '\0';
	return s;
}

/* Is type one Linux-PAM knows (case ignored, after one '-')? */
static int
type_known(const char *type)
{
	static const char *const types[] = { "auth", "account", "password", "session" };
	size_t i;

	if (*type == '-')
		type++;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(type, types[i]) == 0)
			return 1;
	return 0;
}

/* Does the module path's last component name the module?  1, 2 when it
 * does but for a carriage return after it (a CRLF line end), or 0. */
static int
module_is(const char *module, const char *name)
{
	const char *base = strrchr(module, '/');
	size_t n = strlen(name);

	base = base != NULL ? base + 1 : module;
	if (strcmp(base, name) == 0)
		return 1;
	if (strncmp(base, name, n) == 0 && base[n] == '\r' && base[n + 1] == '\0')
		return 2;
	return 0;
}

/* A report on the file itself; fn's answer. */
static int
file_report(struct scan *sc, int line, const char *problem)
{
	struct pamd_line out;

	memset(&out, 0, sizeof(out));
	out.file = sc->file;
	out.line = line;
	out.problem = problem;
	return sc->fn(&out, sc->ud);
}

/* The worst of what is wrong with an entry of the module, or NULL. */
static const char *
entry_problem(const struct scan *sc, const struct pamd_line *out, int cr,
	      int unclosed)
{
	const char *last = out->argc > 0 ? out->argv[out->argc - 1] : "";

	if (!type_known(out->type))
		return P_TYPE;
	if (cr)
		return P_MODULE_CR;
	if (sc->text.cut)
		return P_LONG;
	if (unclosed)
		return sc->text.hash ? P_UNCLOSED_HASH : P_UNCLOSED;
	if (*last != '\0' && last[strlen(last) - 1] == '\r')
		return P_ARG_CR;
	return NULL;
}

/*
 * Splits the assembled entry into its fields as _pam_parse_conf_file()
 * does (type, control, module path, then _pam_mkargv()'s arguments) and
 * calls fn when it loads the module; fn's answer, or 0.  Includes load
 * no module: "@include FILE" (Debian), an include or substack control.
 */
static int
scan_entry(struct scan *sc)
{
	struct pamd_line out;
	char *cur = sc->text.buf, *arg;
	int unclosed = 0, match = 0;

	memset(&out, 0, sizeof(out));
	out.type = next_field(&cur, &unclosed);
	if (out.type != NULL && strcasecmp(out.type, "@include") != 0)
		out.control = next_field(&cur, &unclosed);
	if (out.control != NULL && strcasecmp(out.control, "include") != 0 &&
	    strcasecmp(out.control, "substack") != 0)
		out.module = next_field(&cur, &unclosed);
	if (out.module != NULL)
		match = module_is(out.module, sc->name);
	if (match == 0) {
		if (!sc->text.cut || sc->long_reported == sc->text.line)
			return 0;
		sc->long_reported = sc->text.line;
		return file_report(sc, sc->text.line, P_LONG);
	}
	while (out.argc < PAMD_MAX_FIELDS &&
	       (arg = next_field(&cur, &unclosed)) != NULL)
		sc->argv[out.argc++] = arg;
	sc->argv[out.argc] = NULL;
	out.file = sc->file;
	out.line = sc->text.line;
	out.argv = sc->argv;
	out.problem = entry_problem(sc, &out, match == 2, unclosed);
	return sc->fn(&out, sc->ud);
}

/*
 * Reads path whole, through symlinks as Linux-PAM's fopen() does.
 * Returns 0 with *data (free it) and *len; 1 when it is no regular file
 * (skipped); -1 with why ("cannot read: ..."); -2 when out of memory.
 */
static int
read_whole(const char *path, char **data, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	ssize_t n = 0;
	size_t got = 0, cap;
	int fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PAMD_MAX_FILE) {
		close(fd);
		snprintf(why, whylen, "larger than 1 MiB: not read");
		return S_ISREG(st.st_mode) ? -1 : 1;
	}
	cap = (size_t)st.st_size + 1;
	*data = malloc(cap);
	if (*data == NULL) {
		close(fd);
		return -2;
	}
	while (got < cap && (n = read(fd, *data + got, cap - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (n < 0 || got == cap)
		snprintf(why, whylen, "cannot read: %s", n < 0 ? strerror(errno) :
			 "it grew while being read");
	close(fd);
	if (n < 0 || got == cap) {
		free(*data);
		*data = NULL;
		return -1;
	}
	*len = got;
	return 0;
}

/* One stack file: 1 when fn stopped the scan, 0, or -2. */
static int
scan_file(struct scan *sc, const char *path)
{
	struct reader r;
	char *data = NULL;
	size_t len = 0;
	int rc, stop = 0;

	sc->file = path;
	sc->long_reported = 0;
	rc = read_whole(path, &data, &len, sc->why, sizeof(sc->why));
	if (rc == -2 || rc == 1)
		return rc == -2 ? -2 : 0;
	if (rc == -1)
		return file_report(sc, 0, sc->why) != 0;
	memset(&r, 0, sizeof(r));
	r.data = data;
	r.len = len;
	r.line = 1;
	while (!stop && (rc = assemble(&r, &sc->text)) == ASM_ENTRY)
		stop = scan_entry(sc) != 0;
	if (!stop && rc == ASM_OPEN_EOF)
		stop = file_report(sc, sc->text.line, P_OPEN_EOF) != 0;
	else if (!stop && rc == ASM_HANG)
		stop = file_report(sc, sc->text.line, P_HANG) != 0;
	free(data);
	return stop;
}

/* Names a program never asks for as a service: hidden files and what
 * editors and package tools leave behind. */
static int
name_wanted(const struct dirent *d)
{
	const char *s = d->d_name;
	size_t n = strlen(s);

	if (s[0] == '.' || n == 0 || s[n - 1] == '~')
		return 0;
	return strstr(s, ".dpkg-") == NULL && strstr(s, ".ucf-") == NULL;
}

/* Byte order, whatever the locale. */
static int
name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
pamd_scan(const char *dir, const char *module_name, pamd_fn fn, void *ud,
	  char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct scan *sc;
	int i, n, rc = 0;

	n = scandir(dir, &names, name_wanted, name_order);
	if (n < 0) {
		if (errno == ENOMEM)
			return -2;
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	sc = calloc(1, sizeof(*sc));
	for (i = 0; i < n && rc == 0 && sc != NULL; i++) {
		size_t size = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(size);

		if (path == NULL) {
			rc = -2;
			break;
		}
		snprintf(path, size, "%s/%s", dir, names[i]->d_name);
		sc->name = module_name;
		sc->fn = fn;
		sc->ud = ud;
		rc = scan_file(sc, path);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (sc == NULL)
		return -2;
	free(sc);
	return rc == -2 ? -2 : 0;
}

int
pamd_split_args(const char *text, char ***argv, int *argc, const char **problem)
{
	size_t len = strlen(text);
	/* a field takes two bytes but the last: (len + 1) / 2 at the most */
	size_t max = len / 2 + 1;
	char **v, *cur, *field;
	int n = 0, unclosed = 0;

	*argv = NULL;
	*argc = 0;
	*problem = NULL;
	/* the pointers, then the text they point into: one block */
	v = malloc((max + 1) * sizeof(*v) + len + 1);
	if (v == NULL)
		return -2;
	cur = memcpy(v + max + 1, text, len + 1);
	while ((field = next_field(&cur, &unclosed)) != NULL)
		v[n++] = field;
	v[n] = NULL;
	*argv = v;
	*argc = n;
	*problem = unclosed ? P_UNCLOSED : NULL;
	return 0;
}

void
pamd_free_args(char **argv)
{
	free(argv);
}
