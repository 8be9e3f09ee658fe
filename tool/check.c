/*
 * check: `smsotp check`.  The configuration is read by the module's own
 * reader, which reports every problem with the line of its key; then the
 * files it names are checked as a login would use them (the phones file
 * line by line, programs, CA files, the state folder and the key, none of
 * them created), the store and the directory are asked, each entry of the
 * PAM stacks that loads the module has its arguments read over the
 * configuration, and one user's number can be looked up.  Problems go to
 * stderr, each once; notes and warnings to stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../config/config.h"
#include "../phone/phone.h"
#include "../policy/policy.h"
#include "../sms/sms.h"
#include "../state/state.h"
#include "../util/util.h"
#include "check.h"

#define MODULE_NAME "pam_smsotp.so"
#define CHECK_MAX_CONFS 16

struct check {
	unsigned problems;
	unsigned pam_entries;
	char **said;		/* the problems told, each told once */
	size_t n_said;
	int out_of_memory;
	char *confs[CHECK_MAX_CONFS];	/* files checked whole */
	size_t n_confs;
	const char *conf;	/* -c: for entries without conf= */
	const struct smsotp_config *main;	/* conf's, when it was read */
};

/* A problem, on stderr, unless the same was told already (a file's
 * problem found again through each PAM entry that reads it). */
static void __attribute__((format(printf, 2, 0)))
vproblem(struct check *c, const char *fmt, va_list ap)
{
	char text[1200], **n;
	size_t i;

	vsnprintf(text, sizeof(text), fmt, ap);
	util_sanitize(text);
	for (i = 0; i < c->n_said; i++) {
		if (strcmp(c->said[i], text) == 0)
			return;
	}
	(void)fprintf(stderr, "%s\n", text);
	c->problems++;
	n = realloc(c->said, (c->n_said + 1) * sizeof(*n));
	if (n == NULL || (n[c->n_said] = strdup(text)) == NULL) {
		if (n != NULL)
			c->said = n;
		c->out_of_memory = 1;
		return;
	}
	c->said = n;
	c->n_said++;
}

/* A note or a warning (prefix "warning: "): stdout; it fails nothing. */
static void __attribute__((format(printf, 2, 0)))
vnote(const char *prefix, const char *fmt, va_list ap)
{
	char text[1200];

	vsnprintf(text, sizeof(text), fmt, ap);
	util_sanitize(text);
	printf("%s%s\n", prefix, text);
}

static void __attribute__((format(printf, 2, 3)))
problem(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(c, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote("", fmt, ap);
	va_end(ap);
}

/* A problem, or with warn a warning (what fails no login as things are). */
static void __attribute__((format(printf, 3, 4)))
finding(struct check *c, int warn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (warn)
		vnote("warning: ", fmt, ap);
	else
		vproblem(c, fmt, ap);
	va_end(ap);
}

static void
told(void *ud, const char *text)
{
	problem(ud, "%s", text);
}

/* "CONF:LINE: key" where the file set key, else "CONF: key" (a default). */
static const char *
at(const struct smsotp_config *cfg, const char *key, char *buf, size_t buflen)
{
	int line = config_line(cfg, key);

	if (line > 0)
		snprintf(buf, buflen, "%s:%d: %s", cfg->conf_path, line, key);
	else
		snprintf(buf, buflen, "%s: %s", cfg->conf_path, key);
	return buf;
}

/* The folder path would be made in: it must be there for a first login
 * to make path.  0, or 1 with the problem told. */
static int
parent_missing(struct check *c, int warn, const char *where, const char *path)
{
	char copy[PATH_MAX];
	struct stat st;
	const char *dir;

	util_strlcpy(copy, path, sizeof(copy));
	dir = dirname(copy);
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	finding(c, warn, "%s: %s cannot be made by the first login: the folder %s "
		"is not there", where, path, dir);
	return 1;
}

/* ---------------------------------------------------------------- files */

/* What the first login makes (key, at path): its check's verdict r (0
 * there and right, 1 not there, -1 err) told. */
static void
first_login_makes(struct check *c, const struct smsotp_config *cfg,
		  const char *key, const char *path, const char *how, int r,
		  const char *err)
{
	char where[256];

	at(cfg, key, where, sizeof(where));
	if (r < 0)
		problem(c, "%s: %s", where, err);
	else if (r > 0 && !parent_missing(c, 0, where, path))
		note("note: %s: %s is not there yet: the first login makes it (%s)",
		     where, path, how);
}

/* The state folder and the key of the file store, neither made. */
static void
check_state_files(struct check *c, const struct smsotp_config *cfg)
{
	unsigned char key[STATE_KEY_LEN];
	char err[1024];

	first_login_makes(c, cfg, "limits.state_dir", cfg->state_dir, "mode 0700",
			  state_dir_check(cfg->state_dir, err, sizeof(err)), err);
	if (cfg->store == CONFIG_STORE_POSTGRESQL)
		return;		/* the database check reads the key */
	first_login_makes(c, cfg, "limits.key_file", cfg->key_file,
			  "a random key, mode 0600",
			  state_key_read(cfg->key_file, key, err, sizeof(err)), err);
	util_wipe(key, sizeof(key));
}

/* A program the module runs (phones.command, a command provider). */
static void
check_program(struct check *c, int warn, const char *where, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		finding(c, warn, "%s: %s: %s", where, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		finding(c, warn, "%s: %s: not a regular file", where, path);
	else if ((st.st_mode & 0111) == 0)
		finding(c, warn, "%s: %s: not executable (chmod 755)", where, path);
	else if ((st.st_mode & 0022) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()))
		note("warning: %s: %s can be changed by others (owner uid %lu, mode "
		     "%04o), and runs at every login", where, path,
		     (unsigned long)st.st_uid, (unsigned)(st.st_mode & 07777));
}

/* A CA file libcurl or libldap will load: readable, with a certificate. */
static void
check_ca_file(struct check *c, int warn, const char *where, const char *path)
{
	STACK_OF(X509_INFO) *infos = NULL;
	struct stat st;
	int certs = 0, i;
	FILE *f;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (f = fopen(path, "re")) == NULL) {
		finding(c, warn, "%s: %s: %s (a send or a lookup through it fails)",
			where, path, errno != 0 ? strerror(errno) : "not a regular file");
		return;
	}
	infos = PEM_X509_INFO_read(f, NULL, NULL, NULL);
	for (i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++)
		certs += sk_X509_INFO_value(infos, i)->x509 != NULL;
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	(void)fclose(f);
	if (certs == 0)
		finding(c, warn, "%s: %s: holds no PEM certificate", where, path);
}

static void
check_ca_path(struct check *c, int warn, const char *where, const char *path)
{
	DIR *d = opendir(path);

	if (d == NULL)
		finding(c, warn, "%s: %s: %s (a send through it fails)", where, path,
			strerror(errno));
	else
		(void)closedir(d);
}

/* Whether p is one of cfg's chain (the providers a login tries). */
static int
in_chain(const struct smsotp_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; cfg != NULL && i < cfg->n_chain; i++) {
		if (strcmp(cfg->chain[i]->name, name) == 0)
			return 1;
	}
	return 0;
}

/* One provider's files: CA file or folder, the file provider's folder,
 * the command provider's program.  warn: a provider no login tries. */
static void
check_provider(struct check *c, const struct smsotp_config *cfg,
	       const struct sms_provider *p, int warn)
{
	char key[160], where[256];

	snprintf(key, sizeof(key), "provider '%.60s': ca_file", p->name);
	if (p->ca_file != NULL)
		check_ca_file(c, warn, at(cfg, key, where, sizeof(where)), p->ca_file);
	snprintf(key, sizeof(key), "provider '%.60s': ca_path", p->name);
	if (p->ca_path != NULL)
		check_ca_path(c, warn, at(cfg, key, where, sizeof(where)), p->ca_path);
	snprintf(key, sizeof(key), "provider '%.60s': path", p->name);
	if (p->type == SMS_TYPE_FILE && p->path != NULL)
		(void)parent_missing(c, warn, at(cfg, key, where, sizeof(where)),
				     p->path);
	snprintf(key, sizeof(key), "provider '%.60s': argv", p->name);
	if (p->type == SMS_TYPE_COMMAND && p->n_argv > 0 && p->argv[0][0] == '/')
		check_program(c, warn, at(cfg, key, where, sizeof(where)), p->argv[0]);
}

/* Every provider's files: a problem for those of the chain, a warning for
 * the others (a stack line's provider= that names one makes it a problem
 * there). */
static void
check_provider_files(struct check *c, const struct smsotp_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_providers; i++)
		check_provider(c, cfg, cfg->providers[i],
			       !in_chain(cfg, cfg->providers[i]->name));
}

/* ------------------------------------------------------------- numbers */

struct phones_check {
	struct check *c;
	const char *file;
};

static void
bad_line(void *ud, unsigned line, const char *user, const char *why, int fails)
{
	struct phones_check *pc = ud;
	char safe[64];

	util_strlcpy(safe, user != NULL ? user : "", sizeof(safe));
	util_sanitize(safe);
	if (fails)
		problem(pc->c, "%s:%u: %s: %s (every login of %s fails)", pc->file,
			line, safe, why, safe);
	else
		note("warning: %s:%u: %s: %s", pc->file, line, safe, why);
}

static int
other_sources(const struct smsotp_config *cfg)
{
	return cfg->phones_command != NULL || cfg->ldap_given || cfg->phones_gecos;
}

/* The phones file, each line judged as a login judges it. */
static void
check_phones(struct check *c, const struct smsotp_config *cfg)
{
	struct phone_sources src;
	struct phones_check pc = { c, cfg->phones_file };
	char err[1024], where[256];
	struct stat st;
	int rc;

	if (cfg->phones_file != NULL) {
		config_phone_sources(cfg, &src);
		rc = phone_check_file(&src, bad_line, &pc, err, sizeof(err));
		at(cfg, "phones.file", where, sizeof(where));
		if (rc == PHONE_ENOMEM)
			c->out_of_memory = 1;
		else if (rc != PHONE_OK && lstat(cfg->phones_file, &st) != 0 &&
			 errno == ENOENT && other_sources(cfg))
			note("note: %s: %s is not there: skipped, the numbers come "
			     "from the other sources", where, cfg->phones_file);
		else if (rc != PHONE_OK)
			problem(c, "%s: %s", where, err);
	}
	if (cfg->phones_command != NULL)
		check_program(c, 0, at(cfg, "phones.command", where, sizeof(where)),
			      cfg->phones_command);
	if (cfg->ldap_ca_file != NULL)
		check_ca_file(c, 0, at(cfg, "phones.ldap.ca_file", where, sizeof(where)),
			      cfg->ldap_ca_file);
}

static const char *const source_names[] = { "", "phones file", "phones.command",
					     "GECOS", "phones.ldap" };

/* src with only source k of all (PHONE_SRC_*); 0 when all has no such
 * source. */
static int
one_source(const struct phone_sources *all, int k, struct phone_sources *src)
{
	*src = *all;
	if (k != PHONE_SRC_FILE)
		src->file = NULL;
	if (k != PHONE_SRC_COMMAND)
		src->command = NULL;
	if (k != PHONE_SRC_LDAP)
		src->ldap.uri = NULL;
	if (k != PHONE_SRC_GECOS)
		src->gecos = 0;
	return src->file != NULL || src->command != NULL || src->ldap.uri != NULL ||
		src->gecos;
}

/* A login's lookup, made one source at a time in its order (each asked
 * alone, as phone_lookup() asks it) until one answers, so that with more
 * than one source (tell) each one's answer can be said, the number masked.
 * The rc of the source that answered, *source, out and err as
 * phone_lookup() leaves them: the login's verdict, each source asked once. */
static int
lookup_chain(const struct phone_sources *all, const char *safe, int tell,
	     const char *account, const char *gecos, char out[PHONE_MAX],
	     int *source, char *err, size_t errlen)
{
	static const int order[] = { PHONE_SRC_FILE, PHONE_SRC_COMMAND,
				     PHONE_SRC_LDAP, PHONE_SRC_GECOS };
	struct phone_sources src;
	char masked[PHONE_MAX];
	size_t i;
	int rc = PHONE_NOTFOUND;

	for (i = 0; i < 4 && rc == PHONE_NOTFOUND; i++) {
		struct stat st;

		if (!one_source(all, order[i], &src))
			continue;
		/* a missing file is skipped when other sources follow */
		if (tell && order[i] == PHONE_SRC_FILE && lstat(src.file, &st) != 0 &&
		    errno == ENOENT) {
			note("%s: phones file: %s is not there: skipped", safe, src.file);
			continue;
		}
		err[0] = '\0';
		rc = phone_lookup(&src, account, gecos, out, source, err, errlen);
		phone_mask(rc == PHONE_OK ? out : "", masked);
		if (tell)
			note("%s: %s: %s", safe, source_names[order[i]], rc == PHONE_OK ?
			     masked : rc == PHONE_NOTFOUND ? "no number" : err);
	}
	return rc;
}

/* -u USER with a `groups` setting: whether a login skips the user, decided
 * as the module decides it.  1 skipped, 0 challenged, -1 when the lookup
 * failed (a problem: the login fails closed). */
static int
user_skipped(struct check *c, const struct smsotp_config *cfg,
	     const char *account, gid_t gid, const char *safe)
{
	const char *unsure = NULL;
	char **mine = NULL;
	size_t n = 0;
	int skip;

	if (cfg->n_groups == 0)
		return 0;
	if (util_groups(account, gid, &mine, &n) != 0) {
		problem(c, "-u %s: cannot look up the groups: %s (a login fails)", safe,
			strerror(errno));
		return -1;
	}
	skip = policy_groups(cfg->groups, cfg->n_groups, mine, n) == POLICY_SKIP &&
		(policy_groups_exempt(cfg->groups, cfg->n_groups, mine, n) ||
		 util_groups_surely_outside(cfg->groups, cfg->n_groups, account,
					    &unsure));
	if (!skip && unsure != NULL && errno != 0)
		note("warning: -u %s: group %s cannot be looked up (%s): a login "
		     "challenges the user", safe, unsure, errno == ENOENT ?
		     "no such group" : strerror(errno));
	util_free_groups(mine, n);
	note(skip ? "%s: the groups setting skips this user (no prompt, no SMS: "
	     "PAM_IGNORE)" : "%s: the groups setting challenges this user", safe);
	return skip;
}

/* The verdict of a login's lookup (rc, err, the number found). */
static void
lookup_verdict(struct check *c, const struct smsotp_config *cfg, int rc,
	       const char *safe, const char *err, const char *phone, int source)
{
	char masked[PHONE_MAX];

	if (rc == PHONE_OK) {
		phone_mask(phone, masked);
		note("%s: a login sends the code to %s (from the %s)", safe, masked,
		     source_names[source]);
	} else if (rc == PHONE_NOTFOUND && cfg->nullok) {
		note("%s: no number in any source: nullok lets the login pass "
		     "(PAM_IGNORE)", safe);
	} else if (rc == PHONE_NOTFOUND) {
		problem(c, "-u %s: no number in any source (%s): every login of this "
			"user fails", safe, err[0] != '\0' ? err : "none holds one");
	} else if (rc == PHONE_ENOMEM) {
		c->out_of_memory = 1;
	} else {
		problem(c, "-u %s: %s", safe, err);
	}
}

/* -u USER: as a login: the groups setting, then each source alone, then
 * the lookup a login makes.  Only over a configuration without problems:
 * one that was refused is never used to ask anything. */
static void
check_user(struct check *c, const struct smsotp_config *cfg, const char *user)
{
	struct phone_sources src;
	char *account = NULL, *gecos = NULL, err[1024], phone[PHONE_MAX];
	char safe[64];
	gid_t gid = 0;
	int r, source = 0;

	util_strlcpy(safe, user, sizeof(safe));
	util_sanitize(safe);
	r = util_getpw_gid(user, &account, &gecos, &gid);
	if (r <= 0) {
		problem(c, "-u %s: %s", safe, r == 0 ? "no such user" :
			strerror(errno));
		return;
	}
	if (user_skipped(c, cfg, account, gid, safe) == 0) {
		config_phone_sources(cfg, &src);
		err[0] = '\0';
		r = lookup_chain(&src, safe, other_sources(cfg) && cfg->phones_file != NULL,
				 account, gecos, phone, &source, err, sizeof(err));
		lookup_verdict(c, cfg, r, safe, err, phone, source);
		util_wipe(phone, sizeof(phone));
	}
	free(account);
	free(gecos);
}

/* -------------------------------------------------- services and stacks */

/* The store: with the database, connected, its schema and key checked. */
static void
check_store(struct check *c, const struct smsotp_config *cfg)
{
	char msg[1024];
	int rc;

	if (cfg->store != CONFIG_STORE_POSTGRESQL || cfg->pg_conninfo == NULL) {
		check_state_files(c, cfg);
		return;
	}
	rc = store_db_check(cfg, msg, sizeof(msg));
	if (rc == STATE_EUNAVAIL && cfg->pg_fallback_file)
		note("warning: %s: %s (logins fall back to state_dir: counts and "
		     "locks of this host only)", cfg->conf_path, msg);
	else if (rc != STATE_OK)
		problem(c, "%s: %s", cfg->conf_path, msg);
	else
		note("%s", msg);
	if (cfg->pg_fallback_file)
		check_state_files(c, cfg);
}

/* libcurl is opened when a send needs it: a host without it would learn
 * that only at the first login. */
static void
check_http(struct check *c, const struct smsotp_config *cfg)
{
	char err[1024];
	size_t i;

	for (i = 0; i < cfg->n_chain; i++) {
		enum sms_type t = cfg->chain[i]->type;

		if (t == SMS_TYPE_FILE || t == SMS_TYPE_COMMAND || t == SMS_TYPE_NONE)
			continue;
		if (sms_http_ready(err, sizeof(err)) != 0)
			problem(c, "%s: provider '%s' (%s): %s", cfg->conf_path,
				cfg->chain[i]->name, sms_type_name(t), err);
		return;
	}
}

/* phones.ldap: each server connected to, bound and searched. */
static void
check_ldap(struct check *c, const struct smsotp_config *cfg)
{
	struct phone_sources src;
	char report[4096];

	config_phone_sources(cfg, &src);
	if (phone_ldap_check(&src.ldap, report, sizeof(report)) == 0)
		note("%s", report);
	else
		problem(c, "%s", report);
}

/* Everything about one configuration file (conf= of an entry, or -c),
 * once; the configuration read, or NULL; *clean (when not NULL) whether
 * it had no problem. */
static struct smsotp_config *
check_conf(struct check *c, const char *path, int *clean)
{
	struct config_report rep = { told, c, NULL };
	struct smsotp_config *cfg = NULL;
	char arg[PATH_MAX + 8], err[1024];
	const char *argv[1] = { arg };
	int rc;

	snprintf(arg, sizeof(arg), "conf=%s", path);
	rc = config_load_report(1, argv, &rep, &cfg, err, sizeof(err));
	if (rc == CONFIG_ENOMEM)
		c->out_of_memory = 1;
	if (clean != NULL)
		*clean = rc == CONFIG_OK;
	if (cfg == NULL)
		return NULL;
	check_store(c, cfg);
	check_phones(c, cfg);
	check_provider_files(c, cfg);
	if (cfg->ldap_given && rc == CONFIG_OK)
		check_ldap(c, cfg);
	check_http(c, cfg);
	return cfg;
}

/* The conf= an entry names, else NULL. */
static const char *
entry_conf(const struct pamd_line *e)
{
	const char *conf = NULL;
	int i;

	for (i = 0; i < e->argc; i++) {
		if (strncmp(e->argv[i], "conf=", 5) == 0)
			conf = e->argv[i] + 5;
	}
	return conf;
}

/* An entry's own file (conf=) checked whole the first time it is met. */
static void
check_entry_conf(struct check *c, const char *conf)
{
	size_t i;

	for (i = 0; i < c->n_confs; i++) {
		if (strcmp(c->confs[i], conf) == 0)
			return;
	}
	if (conf[0] != '/')
		return;		/* the arguments' check names a relative one */
	if (c->n_confs == CHECK_MAX_CONFS) {
		note("note: %s: more than %d configuration files: its phones file, "
		     "CA files and state are not checked", conf, CHECK_MAX_CONFS);
		return;
	}
	c->confs[c->n_confs] = strdup(conf);
	if (c->confs[c->n_confs] == NULL) {
		c->out_of_memory = 1;
		return;
	}
	c->n_confs++;
	config_free(check_conf(c, conf, NULL));
}

/* The type of an entry: the module serves auth and password. */
static int
type_served(const char *type)
{
	if (type[0] == '-')
		type++;
	return strcasecmp(type, "auth") == 0 || strcasecmp(type, "password") == 0;
}

/* One entry of a stack: the line itself, then its arguments over its
 * configuration, read as the module reads them. */
static int
check_entry(const struct pamd_line *e, void *ud)
{
	struct check *c = ud;
	struct config_report rep = { told, c, NULL };
	struct smsotp_config *cfg = NULL;
	char where[PATH_MAX + 32], arg[PATH_MAX + 8], err[1024];
	const char **argv;
	struct stat st;
	int i;

	snprintf(where, sizeof(where), "%s:%d", e->file, e->line);
	if (e->module == NULL || e->problem != NULL)
		problem(c, "%s: %s", where, e->problem != NULL ? e->problem : "?");
	if (e->module == NULL)
		return 0;
	c->pam_entries++;
	if (!type_served(e->type))
		problem(c, "%s: %s: pam_smsotp serves auth and password only; PAM "
			"fails this stack", where, e->type);
	if (e->module[0] == '/' && stat(e->module, &st) != 0 && e->type[0] != '-')
		problem(c, "%s: %s: %s (PAM fails this stack)", where, e->module,
			strerror(errno));
	if (entry_conf(e) != NULL)
		check_entry_conf(c, entry_conf(e));
	argv = calloc((size_t)e->argc + 1, sizeof(*argv));
	if (argv == NULL) {
		c->out_of_memory = 1;
		return 1;
	}
	if (entry_conf(e) == NULL && strcmp(c->conf, CONFIG_DEFAULT_PATH) != 0)
		note("note: %s: no conf=: the module reads %s; checked here over %s",
		     where, CONFIG_DEFAULT_PATH, c->conf);
	/* the entry's own conf= comes later and wins */
	snprintf(arg, sizeof(arg), "conf=%s", c->conf);
	argv[0] = arg;
	for (i = 0; i < e->argc; i++)
		argv[i + 1] = e->argv[i];
	rep.args_where = where;
	if (config_load_report(e->argc + 1, argv, &rep, &cfg, err, sizeof(err)) ==
	    CONFIG_ENOMEM)
		c->out_of_memory = 1;
	/* a provider= that picks providers outside conf's chain: their
	 * files are this line's */
	for (i = 0; cfg != NULL && (size_t)i < cfg->n_chain; i++) {
		if (!in_chain(c->main, cfg->chain[i]->name))
			check_provider(c, cfg, cfg->chain[i], 0);
	}
	config_free(cfg);
	free(argv);
	return c->out_of_memory;
}

static void
check_stacks(struct check *c, const char *dir)
{
	char err[1024];
	int rc = pamd_scan(dir, MODULE_NAME, check_entry, c, err, sizeof(err));

	if (rc == -2)
		c->out_of_memory = 1;
	else if (rc != 0)
		problem(c, "%s", err);
	else if (c->pam_entries == 0)
		note("note: no PAM stack in %s loads %s yet", dir, MODULE_NAME);
}

/* Whether anything takes the lines syslog(3) writes: with nothing on
 * /dev/log every line of the module is lost. */
static void
check_syslog(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	util_strlcpy(sa.sun_path, "/dev/log", sizeof(sa.sun_path));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		int ok = fd >= 0 &&
			connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (fd >= 0)
			(void)close(fd);
		if (ok)
			return;
	}
	note("warning: nothing listens on /dev/log: the module's log lines are "
	     "lost (install rsyslog, or run systemd-journald)");
}

static void
summary(const struct smsotp_config *cfg)
{
	size_t i, n = 0;
	char phones[512];

	phones[0] = '\0';
	if (cfg->phones_file != NULL)
		n += (size_t)snprintf(phones, sizeof(phones), "file %s", cfg->phones_file);
	if (cfg->phones_command != NULL && n < sizeof(phones))
		n += (size_t)snprintf(phones + n, sizeof(phones) - n, "%scommand %s",
				      n > 0 ? ", then " : "", cfg->phones_command);
	if (cfg->ldap_given && n < sizeof(phones))
		n += (size_t)snprintf(phones + n, sizeof(phones) - n, "%sLDAP %s",
				      n > 0 ? ", then " : "", cfg->ldap_uri);
	if (cfg->phones_gecos && n < sizeof(phones))
		snprintf(phones + n, sizeof(phones) - n, "%sGECOS", n > 0 ? ", then " : "");
	printf("%s: OK (%zu provider%s: ", cfg->conf_path, cfg->n_chain,
	       cfg->n_chain == 1 ? "" : "s");
	for (i = 0; i < cfg->n_chain; i++)
		printf("%s%s (%s)", i > 0 ? ", " : "", cfg->chain[i]->name,
		       sms_type_name(cfg->chain[i]->type));
	if (cfg->store == CONFIG_STORE_POSTGRESQL)
		printf("; phones from %s; state in PostgreSQL%s)\n", phones,
		       cfg->pg_fallback_file ? ", falling back to state_dir" : "");
	else
		printf("; phones from %s; state in %s)\n", phones, cfg->state_dir);
}

int
check_run(const char *conf, const char *pam_dir, const char *user)
{
	struct check c;
	struct smsotp_config *cfg;
	size_t i;
	int ok, clean = 0;

	memset(&c, 0, sizeof(c));
	c.conf = conf;
	c.confs[0] = strdup(conf);
	if (c.confs[0] == NULL) {
		(void)fprintf(stderr, "smsotp: out of memory\n");
		return 1;
	}
	c.n_confs = 1;
	cfg = check_conf(&c, conf, &clean);
	c.main = cfg;
	if (clean && user != NULL)
		check_user(&c, cfg, user);
	else if (user != NULL)
		note("note: -u: no lookup through a configuration with problems");
	check_stacks(&c, pam_dir != NULL ? pam_dir : PAMD_DEFAULT_DIR);
	check_syslog();
	if (c.out_of_memory)
		problem(&c, "smsotp: out of memory: the check is not complete");
	ok = c.problems == 0 && cfg != NULL;
	if (ok)
		summary(cfg);
	else
		(void)fprintf(stderr, "%u problem%s: logins through this configuration "
			      "fail\n", c.problems, c.problems == 1 ? "" : "s");
	config_free(cfg);
	for (i = 0; i < c.n_said; i++)
		free(c.said[i]);
	free(c.said);
	for (i = 0; i < c.n_confs; i++)
		free(c.confs[i]);
	return ok ? 0 : 1;
}
