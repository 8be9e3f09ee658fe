/*
 * smsotp: the admin tool of pam_smsotp, on the module's own code: the same
 * configuration reader and validator, the same providers and the same state
 * store (and its locks), so that what it says is what a login would find.
 *
 *	smsotp [-c CONF] check [--pam-dir DIR] [-u USER]
 *	smsotp [-c CONF] send USER
 *	smsotp [-c CONF] status [--json] [USER]
 *	smsotp [-c CONF] reset USER
 *	smsotp [-c CONF] db init
 *
 * Exit status 0 on success, 1 on a failure it explains (on stderr), 2 on a
 * usage error.  Nothing it prints holds a code, a code hash or a credential.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../config/config.h"
#include "../phone/phone.h"
#include "../policy/policy.h"
#include "../sms/sms.h"
#include "../state/state.h"
#include "../util/util.h"
#include "check.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

static const char *progname = "smsotp";

static const char usage_main[] =
	"usage: smsotp [-c CONF] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  check          read the configuration as the module would and say\n"
	"                 what is wrong with it, or that it is fine\n"
	"  send USER      send a test message (not a login code) to USER's number\n"
	"  status [USER]  SMS sent, wrong codes and lock, for USER or everyone\n"
	"  reset USER     clear USER's lock and counts\n"
	"  db init        create or upgrade the shared database's schema\n"
	"                 (limits.store = \"postgresql\")\n"
	"\n"
	"options:\n"
	"  -c CONF        the configuration (default " CONFIG_DEFAULT_PATH ")\n"
	"  -h, --help     this help; `smsotp COMMAND --help` for one command\n";

static const char usage_check[] =
	"usage: smsotp [-c CONF] check [--pam-dir DIR] [-u USER]\n"
	"\n"
	"Reads CONF with the module's own reader and says every problem at once,\n"
	"each with its file and line.  Checks the files CONF names as a login\n"
	"uses them (every line of the phones file, programs, CA files, the\n"
	"state folder and the key: none is created), that libcurl loads, the\n"
	"database and each phones.ldap server; reads every stack in DIR\n"
	"(default " PAMD_DEFAULT_DIR ") and checks the arguments of each line that\n"
	"loads pam_smsotp.so as the module would (over CONF, or the file its\n"
	"conf= names); with -u, looks USER's number up as a login would.\n"
	"Warns when nothing listens on /dev/log.  Exits 0 when a login would\n"
	"not fail for configuration reasons, else 1.\n";

static const char usage_send[] =
	"usage: smsotp [-c CONF] send USER\n"
	"\n"
	"Finds USER's number from the sources the module uses and sends a test\n"
	"message (never a login code) through the configured providers, in\n"
	"failover order.  Says which provider took it, or why each one failed.\n"
	"The message does not count against USER's max_sends.\n";

static const char usage_status[] =
	"usage: smsotp [-c CONF] status [--json] [USER]\n"
	"\n"
	"Shows, for USER or every user with a state: SMS sent in the current\n"
	"window and when the window ends, consecutive wrong codes, the lock and\n"
	"its end, and whether a code is pending.  --json prints a JSON array.\n";

static const char usage_reset[] =
	"usage: smsotp [-c CONF] reset USER\n"
	"\n"
	"Clears USER's SMS count, wrong-code count and lock, and drops the code\n"
	"kept for reuse, under the lock the module takes (safe during logins).\n";

static const char usage_db[] =
	"usage: smsotp [-c CONF] db init\n"
	"\n"
	"With limits.store = \"postgresql\": connects as the module does and\n"
	"creates the tables of the shared state, or upgrades an older schema,\n"
	"in one transaction; safe to run again, from any host of the fleet.\n"
	"Records this host's key fingerprint: every host must have the same\n"
	"key_file.  A newer schema or another key is refused.\n";

/* "smsotp: <message>" on stderr. */
static void __attribute__((format(printf, 1, 0)))
vsay(const char *fmt, va_list ap)
{
	(void)fprintf(stderr, "%s: ", progname);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputs("\n", stderr);
}

static int
usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	(void)fputs(usage, stderr);
	return EXIT_USAGE;
}

static int
failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

/* The logging sink of the library: warnings and errors to stderr. */
static void
log_to_stderr(void *ud, int priority, const char *fmt, va_list ap)
{
	char line[1024];

	(void)ud;
	(void)priority;
	vsnprintf(line, sizeof(line), fmt, ap);
	util_sanitize(line);
	(void)fprintf(stderr, "%s: %s\n", progname, line);
}

static int
load(const char *path, struct smsotp_config **cfg)
{
	char err[1024];
	int rc;

	rc = config_load_file(path, cfg, err, sizeof(err));
	if (rc == CONFIG_ENOMEM)
		return failf("out of memory");
	if (rc != CONFIG_OK)
		return failf("%s", err);
	return EXIT_OK;
}

/*
 * The account, as the module finds it: getpwnam_r, its own name and GECOS.
 * Returns EXIT_OK with *name (and *gecos) set, EXIT_FAIL with a message
 * when the user does not exist or the lookup failed.
 */
static int
find_account(const char *user, char **name, char **gecos)
{
	char *g = NULL, safe[64];
	int r = util_getpw(user, name, &g);

	util_strlcpy(safe, user, sizeof(safe));
	util_sanitize(safe);
	if (gecos != NULL)
		*gecos = g;
	else
		free(g);
	if (r > 0)
		return EXIT_OK;
	if (r == 0)
		return failf("%s: no such user", safe);
	if (errno == ENOMEM)
		return failf("out of memory");
	return failf("cannot look up user %s: %s", safe, strerror(errno));
}

/* The name the state is kept under: the account's own name when the user
 * exists (as the module does), else the name as given (a removed user). */
static int
state_name(const char *user, char *out, size_t outlen)
{
	char *name = NULL, *gecos = NULL;
	int r;

	if (util_getpw(user, &name, &gecos) > 0)
		user = name;
	r = util_strlcpy(out, user, outlen) >= outlen ? -1 : 0;
	free(name);
	free(gecos);
	return r;
}

/* ------------------------------------------------------------------- send */

static int
cmd_send(const char *path, const char *user)
{
	struct smsotp_config *cfg = NULL;
	struct phone_sources src;
	struct smsotp_log log = { log_to_stderr, NULL, 0 };
	struct sms_message m;
	struct sms_result res;
	char *account = NULL, *gecos = NULL;
	char err[1024], phone[PHONE_MAX], masked[PHONE_MAX];
	char host[HOST_NAME_MAX + 1], text[512], safe[64];
	int rc, source = 0;

	rc = load(path, &cfg);
	if (rc != EXIT_OK)
		return rc;
	rc = find_account(user, &account, &gecos);
	if (rc != EXIT_OK)
		goto out;
	util_strlcpy(safe, account, sizeof(safe));
	util_sanitize(safe);
	config_phone_sources(cfg, &src);
	err[0] = '\0';
	rc = phone_lookup(&src, account, gecos, phone, &source, err, sizeof(err));
	switch (rc) {
	case PHONE_OK:
		break;
	case PHONE_NOTFOUND:
		if (err[0] != '\0')
			rc = failf("%s: no number found (%s)", safe, err);
		else
			rc = failf("%s: no number found", safe);
		goto out;
	case PHONE_ENOMEM:
		rc = failf("out of memory");
		goto out;
	default:
		rc = failf("%s: phones: %s", safe, err);
		goto out;
	}
	phone_mask(phone, masked);
	if (source == PHONE_SRC_GECOS)
		(void)fprintf(stderr, "%s: note: the number of %s comes from GECOS, "
			"which the user can change with chfn\n", progname, safe);
	util_short_hostname(host, sizeof(host));
	snprintf(text, sizeof(text), "pam_smsotp test message from %s: this is "
		 "not a login code.", host);
	m.phone = phone;
	m.text = text;
	m.secret = NULL;
	memset(&res, 0, sizeof(res));
	rc = sms_send(cfg->chain, cfg->n_chain, &m, NULL, &log, &res);
	if (rc == SMS_OK) {
		printf("sent to %s by provider '%s'\n", masked,
		       res.provider != NULL ? res.provider : "?");
		rc = EXIT_OK;
	} else if (rc == SMS_ENOMEM) {
		rc = failf("out of memory");
	} else {
		rc = failf("not sent to %s: no provider accepted the message%s%s%s",
			   masked, res.provider != NULL ? " (last tried: '" : "",
			   res.provider != NULL ? res.provider : "",
			   res.provider != NULL ? "')" : "");
	}
out:
	util_wipe(phone, sizeof(phone));
	free(account);
	free(gecos);
	config_free(cfg);
	return rc;
}

/* ----------------------------------------------------------------- status */

struct row {
	char user[256];
	long sent;
	long long window_ends;	/* 0: no window running */
	long wrong;
	long long locked_until;	/* 0: not locked */
	int pending;
};

struct rows {
	struct row *v;
	size_t n, cap;
	struct policy_limits lim;
};

/* What a login would see at the store's time now (policy_refresh). */
static void
row_from_state(const struct policy_limits *lim, long long now,
	       const struct state_user *u, struct row *r)
{
	struct state_user c = *u;

	policy_refresh(lim, &c, now);
	memset(r, 0, sizeof(*r));
	util_strlcpy(r->user, c.user, sizeof(r->user));
	util_sanitize(r->user);
	r->sent = c.sends;
	r->window_ends = c.sends > 0 ? c.window_start + lim->send_window : 0;
	r->wrong = c.wrong;
	r->locked_until = c.locked_until;
	r->pending = policy_code_valid(lim, &c, now);
	util_wipe(&c, sizeof(c));
}

static int
collect(const struct state_user *u, long long now, void *ud)
{
	struct rows *rows = ud;

	if (rows->n == rows->cap) {
		size_t cap = rows->cap > 0 ? rows->cap * 2 : 16;
		struct row *v = realloc(rows->v, cap * sizeof(*v));

		if (v == NULL)
			return STATE_ENOMEM;
		rows->v = v;
		rows->cap = cap;
	}
	row_from_state(&rows->lim, now, u, &rows->v[rows->n++]);
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->user, ((const struct row *)b)->user);
}

static void
fmt_time(long long t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		util_strlcpy(out, "-", outlen);
}

static int
print_table(const struct rows *rows)
{
	char ends[32], locked[32];
	int w = 4;
	size_t i;

	for (i = 0; i < rows->n; i++) {
		int len = (int)strlen(rows->v[i].user);

		if (len > w)
			w = len;
	}
	printf("%-*s  %5s  %-19s  %5s  %-19s  %s\n", w, "USER", "SENT",
	       "WINDOW ENDS", "WRONG", "LOCKED UNTIL", "CODE");
	for (i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];

		fmt_time(r->window_ends, ends, sizeof(ends));
		fmt_time(r->locked_until, locked, sizeof(locked));
		printf("%-*s  %5ld  %-19s  %5ld  %-19s  %s\n", w, r->user, r->sent,
		       ends, r->wrong, locked, r->pending ? "pending" : "none");
	}
	return ferror(stdout) ? failf("cannot write the table") : EXIT_OK;
}

static int
print_json(const struct rows *rows)
{
	struct json_object *arr = json_object_new_array();
	size_t i;
	int rc = EXIT_OK;

	if (arr == NULL)
		return failf("out of memory");
	for (i = 0; i < rows->n; i++) {
		const struct row *r = &rows->v[i];
		struct json_object *o = json_object_new_object();

		if (o == NULL) {
			rc = failf("out of memory");
			goto out;
		}
		json_object_object_add(o, "user", json_object_new_string(r->user));
		json_object_object_add(o, "sent", json_object_new_int64(r->sent));
		json_object_object_add(o, "window_ends", r->window_ends != 0 ?
				       json_object_new_int64(r->window_ends) : NULL);
		json_object_object_add(o, "wrong", json_object_new_int64(r->wrong));
		json_object_object_add(o, "locked",
				       json_object_new_boolean(r->locked_until != 0));
		json_object_object_add(o, "locked_until", r->locked_until != 0 ?
				       json_object_new_int64(r->locked_until) : NULL);
		json_object_object_add(o, "code", json_object_new_string(r->pending ?
				       "pending" : "none"));
		json_object_array_add(arr, o);
	}
	printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED));
	if (ferror(stdout))
		rc = failf("cannot write the output");
out:
	json_object_put(arr);
	return rc;
}

/* One user's row: the record read and released (nothing written). */
static int
collect_one(struct store *st, const char *user, struct rows *rows)
{
	struct store_txn *t = NULL;
	struct state_user u;
	char err[1024], name[256];
	long long now = 0;
	int rc;

	if (state_name(user, name, sizeof(name)) != 0)
		return failf("user name too long");
	rc = store_begin(st, name, NULL, &t, &u, &now, err, sizeof(err));
	if (rc != STATE_OK)
		return failf("%s", rc == STATE_ENOMEM ? "out of memory" : err);
	store_end(t);
	rc = collect(&u, now, rows);
	util_wipe(&u, sizeof(u));
	return rc != 0 ? failf("out of memory") : EXIT_OK;
}

static int
cmd_status(const char *path, const char *user, int json)
{
	struct smsotp_config *cfg = NULL;
	struct store *st = NULL;
	struct rows rows;
	char err[1024];
	int rc;

	memset(&rows, 0, sizeof(rows));
	rc = load(path, &cfg);
	if (rc != EXIT_OK)
		return rc;
	policy_limits_from(&rows.lim, cfg);
	rc = store_open(cfg, &st, err, sizeof(err));
	if (rc != STATE_OK) {
		rc = failf("%s", rc == STATE_ENOMEM ? "out of memory" : err);
		goto out;
	}
	if (user != NULL) {
		rc = collect_one(st, user, &rows);
		if (rc != EXIT_OK)
			goto out;
	} else {
		rc = store_foreach(st, collect, &rows, err, sizeof(err));
		if (rc != STATE_OK) {
			rc = failf("%s", rc == STATE_ENOMEM ? "out of memory" : err);
			goto out;
		}
		if (rows.n > 1)
			qsort(rows.v, rows.n, sizeof(*rows.v), row_cmp);
	}
	rc = json ? print_json(&rows) : print_table(&rows);
out:
	free(rows.v);
	store_close(st);
	config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------------ reset */

static int
cmd_reset(const char *path, const char *user)
{
	struct smsotp_config *cfg = NULL;
	struct store *st = NULL;
	char err[1024], name[256], safe[64];
	int rc;

	rc = load(path, &cfg);
	if (rc != EXIT_OK)
		return rc;
	rc = store_open(cfg, &st, err, sizeof(err));
	if (rc != STATE_OK) {
		rc = failf("%s", rc == STATE_ENOMEM ? "out of memory" : err);
		goto out;
	}
	if (state_name(user, name, sizeof(name)) != 0) {
		rc = failf("user name too long");
		goto out;
	}
	util_strlcpy(safe, name, sizeof(safe));
	util_sanitize(safe);
	rc = store_reset(st, name, err, sizeof(err));
	if (rc != STATE_OK) {
		rc = failf("%s", rc == STATE_ENOMEM ? "out of memory" : err);
		goto out;
	}
	printf("%s: counts and lock cleared\n", safe);
	rc = EXIT_OK;
out:
	store_close(st);
	config_free(cfg);
	return rc;
}

/* --------------------------------------------------------------------- db */

static int
cmd_db(const char *path, const char *what)
{
	struct smsotp_config *cfg = NULL;
	char msg[1024];
	int rc;

	if (what == NULL || strcmp(what, "init") != 0)
		return usage_error(usage_db, "unknown db command %s",
				   what != NULL ? what : "");
	rc = load(path, &cfg);
	if (rc != EXIT_OK)
		return rc;
	rc = store_db_init(cfg, msg, sizeof(msg));
	config_free(cfg);
	if (rc != STATE_OK)
		return failf("%s: %s", path, msg);
	printf("%s\n", msg);
	return EXIT_OK;
}

/* ------------------------------------------------------------------- main */

static int
is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* What follows the command. */
struct cmd_args {
	const char *user;	/* USER, or check's -u USER */
	const char *pam_dir;	/* check's --pam-dir */
	int json;		/* status --json */
};

/* check's --pam-dir DIR and -u USER at argv[*i]: 1 when taken (*i on its
 * value), 0 when a[*i] is none of them, -1 when the value is missing. */
static int
check_option(int argc, char **argv, int *i, struct cmd_args *ca)
{
	const char *a = argv[*i];
	const char **dst = strcmp(a, "--pam-dir") == 0 ? &ca->pam_dir :
		strcmp(a, "-u") == 0 ? &ca->user : NULL;

	if (strncmp(a, "--pam-dir=", 10) == 0) {
		ca->pam_dir = a + 10;
		return ca->pam_dir[0] != '\0' ? 1 : -1;
	}
	if (dst == NULL)
		return 0;
	if (++*i >= argc || argv[*i][0] == '\0')
		return -1;
	*dst = argv[*i];
	return 1;
}

/* The arguments after the command: a user name, --json for status, check's
 * options, -- and --help.  -1 when they are good (ca set), else the exit
 * status (help printed, or a usage error told). */
static int
command_args(int argc, char **argv, int i, const char *usage,
	     struct cmd_args *ca)
{
	const char **user = &ca->user;
	int nargs = 0, dashdash = 0, r;

	for (; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && is_help(a)) {
			(void)fputs(usage, stdout);
			return EXIT_OK;
		}
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && usage == usage_status &&
			   strcmp(a, "--json") == 0) {
			ca->json = 1;
		} else if (!dashdash && usage == usage_check &&
			   (r = check_option(argc, argv, &i, ca)) != 0) {
			if (r < 0)
				return usage_error(usage, "%s needs a value", a);
		} else if (!dashdash && a[0] == '-') {
			return usage_error(usage, "unknown option %s", a);
		} else {
			if (nargs++ > 0)
				return usage_error(usage, "too many arguments");
			*user = a;
		}
	}
	if (*user != NULL && (*user)[0] == '\0')
		return usage_error(usage, "empty user name");
	if (usage == usage_check && nargs > 0)
		return usage_error(usage, "too many arguments (a user is -u USER)");
	if (usage == usage_db && *user == NULL)
		return usage_error(usage, "a db command is needed (init)");
	if (usage != usage_check && usage != usage_status && *user == NULL)
		return usage_error(usage, "a user name is needed");
	return -1;
}

int
main(int argc, char **argv)
{
	const char *conf = CONFIG_DEFAULT_PATH, *cmd, *usage;
	struct cmd_args ca = { NULL, NULL, 0 };
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (is_help(a)) {
			(void)fputs(usage_main, stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "-c") == 0) {
			if (++i >= argc)
				return usage_error(usage_main, "-c needs a path");
			conf = argv[i];
		} else if (strncmp(a, "-c", 2) == 0) {
			conf = a + 2;
		} else if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (a[0] == '-') {
			return usage_error(usage_main, "unknown option %s", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error(usage_main, "no command given");
	if (conf[0] == '\0')
		return usage_error(usage_main, "-c needs a path");
	cmd = argv[i++];
	if (strcmp(cmd, "check") == 0)
		usage = usage_check;
	else if (strcmp(cmd, "send") == 0)
		usage = usage_send;
	else if (strcmp(cmd, "status") == 0)
		usage = usage_status;
	else if (strcmp(cmd, "reset") == 0)
		usage = usage_reset;
	else if (strcmp(cmd, "db") == 0)
		usage = usage_db;
	else
		return usage_error(usage_main, "unknown command %s", cmd);

	rc = command_args(argc, argv, i, usage, &ca);
	if (rc >= 0)
		return rc;
	if (usage == usage_check)
		rc = check_run(conf, ca.pam_dir, ca.user);
	else if (usage == usage_status)
		rc = cmd_status(conf, ca.user, ca.json);
	else if (usage == usage_send)
		rc = cmd_send(conf, ca.user);
	else if (usage == usage_db)
		rc = cmd_db(conf, ca.user);
	else
		rc = cmd_reset(conf, ca.user);
	/* Output that did not reach its reader is a failure (a full disk,
	 * a closed pipe): scripts rely on the exit status. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		(void)fprintf(stderr, "%s: cannot write the output\n", progname);
		return EXIT_FAIL;
	}
	return rc;
}
