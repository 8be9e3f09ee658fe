/*
 * config: the configuration file and the module arguments, through one
 * table of fields and one setter, then validation.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "../otp/otp.h"
#include "../template/template.h"
#include "../util/util.h"
#include "config.h"

/* The file holds a handful of settings; anything bigger is a mistake. */
#define CONFIG_MAX_SIZE (1024u * 1024)
/* No legitimate string setting comes close; the cap bounds every copy. */
#define CONFIG_MAX_STRING 4096
#define CONFIG_MAX_LIST 64

#define DEFAULT_ALPHABET "0123456789"
#define DEFAULT_TEMPLATE \
	"Your {service} code for {host} is {code}. It expires in {ttl_min} min."
#define DEFAULT_PROMPT "SMS code sent to {phone_masked}: "
#define DEFAULT_LDAP_FILTER "(uid={user})"
#define DEFAULT_LDAP_ATTRIBUTE "mobile"

/* "code" first: the prompt may use all but the first. */
const char *const config_message_placeholders[] = {
	"code", "ttl", "ttl_min", "user", "host", "service", "rhost", "phone",
	"phone_masked",
};
const size_t config_n_message_placeholders =
	sizeof(config_message_placeholders) / sizeof(config_message_placeholders[0]);

enum ftype {
	F_INT, F_BOOL, F_STR, F_PATH, F_STRLIST, F_INTLIST,
	F_ENUM,		/* one of words (max of them), stored as its index */
	F_WORD,		/* one of words, stored as a string */
	F_GROUP,	/* a group of sub fields, read by read_group() */
	F_MSG		/* a message's text; min is its enum msg_id */
};

/* Provider types a field applies to: the own types, and every vendor
 * preset (whose credentials are the vendor table's, not fields here). */
#define T_HTTP 1u
#define T_FILE 2u
#define T_CMD 4u
#define T_PRESETS 8u
#define T_WEB (T_HTTP | T_PRESETS)	/* everything that goes over HTTP */
#define T_ALL (T_WEB | T_FILE | T_CMD)

struct field {
	const char *name;
	enum ftype type;
	long min, max;
	size_t off;		/* the value in the struct */
	size_t count_off;	/* lists: the count beside it */
	unsigned types;		/* provider fields only */
	const char *const *words;	/* F_ENUM, F_WORD */
	const struct field *sub;	/* F_GROUP: its fields (count_off, when
					 * not 0: an int set to 1 when the
					 * group is there) */
	size_t nsub;
};

static const char *const failmodes[] = { "closed", "open" };
static const char *const formats[] = { "json", "form", "text" };	/* sms_format */
static const char *const methods[] = { "POST", "PUT", "GET" };

#define TOP(n, t, lo, hi, m) { n, t, lo, hi, offsetof(struct smsotp_config, m), 0, 0, NULL, NULL, 0 }
#define WORDS(a) (long)(sizeof(a) / sizeof((a)[0]))

static const struct field top_fields[] = {
	TOP("length", F_INT, 4, OTP_MAX_LENGTH, length),
	TOP("alphabet", F_STR, 0, 0, alphabet),
	TOP("ttl", F_INT, 30, 3600, ttl),
	TOP("max_tries", F_INT, 1, 10, max_tries),
	TOP("template", F_STR, 0, 0, template),
	TOP("prompt", F_STR, 0, 0, prompt),
	/* min = 1: split a string at commas */
	{ "provider", F_STRLIST, 1, 0, offsetof(struct smsotp_config, provider_names),
	  offsetof(struct smsotp_config, n_provider_names), 0, NULL, NULL, 0 },
	{ "failmode", F_ENUM, 0, WORDS(failmodes),
	  offsetof(struct smsotp_config, failmode_open), 0, 0, failmodes, NULL, 0 },
	TOP("nullok", F_BOOL, 0, 0, nullok),
	TOP("echo", F_BOOL, 0, 0, echo),
	TOP("debug", F_BOOL, 0, 0, debug),
	/* min = 1: split a string at commas */
	{ "groups", F_STRLIST, 1, 0, offsetof(struct smsotp_config, groups),
	  offsetof(struct smsotp_config, n_groups), 0, NULL, NULL, 0 },
	/* `messages` is read by read_group(), its keys are in messages.c */
};

static const struct field ldap_fields[] = {
	TOP("uri", F_STR, 0, 0, ldap_uri),
	TOP("base", F_STR, 0, 0, ldap_base),
	TOP("filter", F_STR, 0, 0, ldap_filter),
	TOP("attribute", F_STR, 0, 0, ldap_attribute),
	TOP("bind_dn", F_STR, 0, 0, ldap_bind_dn),
	TOP("bind_password", F_STR, 0, 0, ldap_bind_password),
	TOP("ca_file", F_PATH, 0, 0, ldap_ca_file),
	TOP("starttls", F_BOOL, 0, 0, ldap_starttls),
	TOP("timeout", F_INT, 1, 60, ldap_timeout),
};

static const struct field phones_fields[] = {
	TOP("file", F_PATH, 0, 0, phones_file),
	TOP("command", F_PATH, 0, 0, phones_command),
	TOP("gecos", F_BOOL, 0, 0, phones_gecos),
	TOP("default_country", F_STR, 0, 0, default_country),
	{ "allowed_countries", F_STRLIST, 0, 0,
	  offsetof(struct smsotp_config, allowed_countries),
	  offsetof(struct smsotp_config, n_allowed_countries), 0, NULL, NULL, 0 },
	{ "ldap", F_GROUP, 0, 0, 0, offsetof(struct smsotp_config, ldap_given), 0,
	  NULL, ldap_fields, sizeof(ldap_fields) / sizeof(ldap_fields[0]) },
};

static const char *const stores[] = { "file", "postgresql" };	/* config_store */
static const char *const fallbacks[] = { "none", "file" };

static const struct field postgresql_fields[] = {
	TOP("conninfo", F_STR, 0, 0, pg_conninfo),
	TOP("password", F_STR, 0, 0, pg_password),
	TOP("timeout", F_INT, 1, 60, pg_timeout),
	{ "fallback", F_ENUM, 0, WORDS(fallbacks),
	  offsetof(struct smsotp_config, pg_fallback_file), 0, 0, fallbacks, NULL, 0 },
};

static const struct field limits_fields[] = {
	TOP("state_dir", F_PATH, 0, 0, state_dir),
	TOP("key_file", F_PATH, 0, 0, key_file),
	TOP("resend_after", F_INT, 0, 3600, resend_after),
	TOP("max_sends", F_INT, 1, 10000, max_sends),
	TOP("send_window", F_INT, 60, 604800, send_window),
	TOP("lockout_after", F_INT, 0, 1000, lockout_after),
	TOP("lockout_time", F_INT, 1, 604800, lockout_time),
	{ "store", F_ENUM, 0, WORDS(stores), offsetof(struct smsotp_config, store),
	  0, 0, stores, NULL, 0 },
	{ "postgresql", F_GROUP, 0, 0, 0, 0, 0, NULL, postgresql_fields,
	  sizeof(postgresql_fields) / sizeof(postgresql_fields[0]) },
};

#define PRV(n, t, lo, hi, m, ty) { n, t, lo, hi, offsetof(struct sms_provider, m), 0, ty, NULL, NULL, 0 }
#define PRVL(n, t, m, c, ty) { n, t, 0, 0, offsetof(struct sms_provider, m), \
	offsetof(struct sms_provider, c), ty, NULL, NULL, 0 }
#define PRVW(n, t, m, w) { n, t, 0, WORDS(w), offsetof(struct sms_provider, m), 0, T_HTTP, w, NULL, 0 }

static const struct field provider_fields[] = {
	/* name and type are read first, by read_provider().  The keys
	 * marked T_ALL are understood by every type (SPEC): a type that has
	 * no use for one ignores it. */
	PRV("url", F_STR, 0, 0, url, T_WEB),
	PRV("timeout", F_INT, 1, 300, timeout, T_ALL),
	PRV("connect_timeout", F_INT, 1, 60, connect_timeout, T_ALL),
	PRV("retries", F_INT, 0, 5, retries, T_ALL),
	PRV("ca_file", F_PATH, 0, 0, ca_file, T_ALL),
	PRV("ca_path", F_PATH, 0, 0, ca_path, T_ALL),
	PRV("proxy", F_STR, 0, 0, proxy, T_ALL),
	PRV("sender", F_STR, 0, 0, sender, T_ALL),
	PRVW("method", F_WORD, method, methods),
	PRVW("format", F_ENUM, format, formats),
	PRV("body", F_STR, 0, 0, body, T_HTTP),
	PRVL("headers", F_STRLIST, headers, n_headers, T_HTTP),
	PRV("username", F_STR, 0, 0, username, T_HTTP),
	PRV("password", F_STR, 0, 0, password, T_HTTP),
	PRV("bearer", F_STR, 0, 0, bearer, T_HTTP),
	PRVL("success_status", F_INTLIST, success_status, n_success_status, T_HTTP),
	PRV("success_json", F_STR, 0, 0, success_json, T_HTTP),
	PRV("path", F_PATH, 0, 0, path, T_FILE),
	PRVL("argv", F_STRLIST, argv, n_argv, T_CMD),
	/* a vendor preset's credentials: see provider_field() */
};

/* The T_ category of a provider type. */
static unsigned
type_category(enum sms_type type)
{
	switch (type) {
	case SMS_TYPE_HTTP:
		return T_HTTP;
	case SMS_TYPE_FILE:
		return T_FILE;
	case SMS_TYPE_COMMAND:
		return T_CMD;
	default:
		return sms_type_is_vendor(type) ? T_PRESETS : 0;
	}
}

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* A value from the file (typed) or from an argument (always text). */
struct value {
	const config_setting_t *setting;	/* file, or NULL */
	const char *text;			/* argument text */
};

#define SET_OK 0
#define SET_EINVAL (-1)
#define SET_ENOMEM (-2)

static int
dup_string(const char *s, char **dst, char *why, size_t whylen)
{
	char *copy;

	if (strlen(s) > CONFIG_MAX_STRING) {
		snprintf(why, whylen, "longer than %d characters", CONFIG_MAX_STRING);
		return SET_EINVAL;
	}
	copy = strdup(s);
	if (copy == NULL)
		return SET_ENOMEM;
	util_free_secret(*dst);
	*dst = copy;
	return SET_OK;
}

static int
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
get_long(const struct value *v, long *out, char *why, size_t whylen)
{
	if (v->setting == NULL) {
		if (parse_long(v->text, out) != 0) {
			snprintf(why, whylen, "'%s' is not an integer", v->text);
			return SET_EINVAL;
		}
		return SET_OK;
	}
	switch (config_setting_type(v->setting)) {
	case CONFIG_TYPE_INT:
		*out = config_setting_get_int(v->setting);
		return SET_OK;
	case CONFIG_TYPE_INT64: {
		long long ll = config_setting_get_int64(v->setting);

		if (ll < -2147483647LL || ll > 2147483647LL) {
			snprintf(why, whylen, "out of range");
			return SET_EINVAL;
		}
		*out = (long)ll;
		return SET_OK;
	}
	default:
		snprintf(why, whylen, "must be an integer");
		return SET_EINVAL;
	}
}

static const char *
get_text(const struct value *v, char *why, size_t whylen)
{
	const char *s;

	if (v->setting == NULL)
		return v->text;
	if (config_setting_type(v->setting) != CONFIG_TYPE_STRING) {
		snprintf(why, whylen, "must be a string");
		return NULL;
	}
	s = config_setting_get_string(v->setting);
	return s != NULL ? s : "";
}

static void
free_strlist(char **list, size_t n)
{
	size_t i;

	for (i = 0; list != NULL && i < n; i++)
		util_free_secret(list[i]);
	free(list);
}

static int
push_string(char ***list, size_t *n, const char *s, size_t len)
{
	char **nl;
	char *copy;

	if (*n >= CONFIG_MAX_LIST)
		return SET_EINVAL;
	copy = strndup(s, len);
	if (copy == NULL)
		return SET_ENOMEM;
	nl = realloc(*list, (*n + 1) * sizeof(**list));
	if (nl == NULL) {
		free(copy);
		return SET_ENOMEM;
	}
	nl[(*n)++] = copy;
	*list = nl;
	return SET_OK;
}

/* A string list: an array/list of strings in the file, or one string with
 * comma-separated items (arguments cannot carry arrays). */
static int
set_strlist(const struct value *v, int split, char ***dst, size_t *dstn,
	    char *why, size_t whylen)
{
	char **list = NULL;
	size_t n = 0;
	int rc = SET_OK;

	if (v->setting != NULL && (config_setting_is_array(v->setting) ||
				   config_setting_is_list(v->setting))) {
		int i, count = config_setting_length(v->setting);

		for (i = 0; i < count && rc == SET_OK; i++) {
			const config_setting_t *e = config_setting_get_elem(v->setting,
									  (unsigned)i);
			const char *s = e != NULL ? config_setting_get_string(e) : NULL;

			if (s == NULL) {
				snprintf(why, whylen, "must be an array of strings");
				rc = SET_EINVAL;
			} else if (strlen(s) > CONFIG_MAX_STRING) {
				snprintf(why, whylen, "item %d is too long", i);
				rc = SET_EINVAL;
			} else {
				rc = push_string(&list, &n, s, strlen(s));
			}
		}
	} else {
		const char *s = get_text(v, why, whylen), *p;

		if (s == NULL) {
			snprintf(why, whylen, "must be a string or an array of strings");
			return SET_EINVAL;
		}
		for (p = s; rc == SET_OK;) {
			size_t len = split ? strcspn(p, ",") : strlen(p);

			rc = push_string(&list, &n, p, len);
			if (!split || p[len] == '\0')
				break;
			p += len + 1;
		}
	}
	if (rc == SET_EINVAL && why[0] == '\0')
		snprintf(why, whylen, "more than %d items", CONFIG_MAX_LIST);
	if (rc != SET_OK) {
		free_strlist(list, n);
		return rc;
	}
	free_strlist(*dst, *dstn);
	*dst = list;
	*dstn = n;
	return SET_OK;
}

static int
set_intlist(const struct value *v, long **dst, size_t *dstn, long min, long max,
	    char *why, size_t whylen)
{
	const config_setting_t *s = v->setting;
	long *list;
	int i, count;

	if (s == NULL || !(config_setting_is_array(s) || config_setting_is_list(s))) {
		snprintf(why, whylen, "must be an array of integers");
		return SET_EINVAL;
	}
	count = config_setting_length(s);
	if (count > CONFIG_MAX_LIST) {
		snprintf(why, whylen, "more than %d items", CONFIG_MAX_LIST);
		return SET_EINVAL;
	}
	list = calloc(count > 0 ? (size_t)count : 1, sizeof(*list));
	if (list == NULL)
		return SET_ENOMEM;
	for (i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (e == NULL || config_setting_type(e) != CONFIG_TYPE_INT ||
		    config_setting_get_int(e) < min || config_setting_get_int(e) > max) {
			snprintf(why, whylen, "must be an array of integers %ld..%ld",
				 min, max);
			free(list);
			return SET_EINVAL;
		}
		list[i] = config_setting_get_int(e);
	}
	free(*dst);
	*dst = list;
	*dstn = (size_t)count;
	return SET_OK;
}

/* Looks s up in names (icase: in any case); returns its index or -1. */
static int
lookup_word(const char *s, const char *const *names, size_t n, int icase)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((icase ? strcasecmp(s, names[i]) : strcmp(s, names[i])) == 0)
			return (int)i;
	}
	return -1;
}

/* A boolean: true/false in the file, a word in an argument. */
static int
set_bool(int *dst, const struct value *v, char *why, size_t whylen)
{
	static const char *const words[] = { "false", "true", "no", "yes", "0",
					      "1" };
	int idx;

	if (v->setting != NULL) {
		if (config_setting_type(v->setting) != CONFIG_TYPE_BOOL) {
			snprintf(why, whylen, "must be true or false");
			return SET_EINVAL;
		}
		*dst = config_setting_get_bool(v->setting);
		return SET_OK;
	}
	idx = lookup_word(v->text, words, NFIELDS(words), 0);
	if (idx < 0) {
		snprintf(why, whylen, "'%s' is not true or false", v->text);
		return SET_EINVAL;
	}
	*dst = idx % 2;
	return SET_OK;
}

/* One of f's words: F_ENUM keeps the index (the enums follow the word
 * order), F_WORD the word itself, as the table writes it, given in any
 * case ("post" is sent as POST). */
static int
set_word(char *p, const struct field *f, const struct value *v, char *why,
	 size_t whylen)
{
	const char *s = get_text(v, why, whylen);
	size_t i, used;
	int idx;

	if (s == NULL)
		return SET_EINVAL;
	idx = lookup_word(s, f->words, (size_t)f->max, f->type == F_WORD);
	if (idx < 0) {
		used = (size_t)snprintf(why, whylen, "'%.40s' is not one of:", s);
		for (i = 0; i < (size_t)f->max && used < whylen; i++)
			used += (size_t)snprintf(why + used, whylen - used, " %s",
						 f->words[i]);
		return SET_EINVAL;
	}
	if (f->type == F_ENUM) {
		*(int *)(void *)p = idx;
		return SET_OK;
	}
	return dup_string(f->words[idx], (char **)(void *)p, why, whylen);
}

/*
 * The one setter: every field of the file and every argument goes through
 * here, so both are held to the same types and ranges.
 */
static int
set_field(void *base, const struct field *f, const struct value *v,
	  char *why, size_t whylen)
{
	char *p = (char *)base + f->off;
	const char *s;
	long l;
	int rc;

	why[0] = '\0';
	switch (f->type) {
	case F_INT:
		rc = get_long(v, &l, why, whylen);
		if (rc != SET_OK)
			return rc;
		if (l < f->min || l > f->max) {
			snprintf(why, whylen, "%ld is out of range %ld..%ld", l,
				 f->min, f->max);
			return SET_EINVAL;
		}
		*(long *)(void *)p = l;
		return SET_OK;
	case F_BOOL:
		return set_bool((int *)(void *)p, v, why, whylen);
	case F_STR:
	case F_PATH:
		s = get_text(v, why, whylen);
		if (s == NULL)
			return SET_EINVAL;
		if (f->type == F_PATH && s[0] != '/') {
			snprintf(why, whylen, "'%s' is not an absolute path", s);
			return SET_EINVAL;
		}
		return dup_string(s, (char **)(void *)p, why, whylen);
	case F_STRLIST:
		/* `provider` is a comma list (arguments cannot carry arrays);
		 * headers never split: a header value may hold commas. */
		return set_strlist(v, f->min == 1, (char ***)(void *)p,
				   (size_t *)(void *)((char *)base + f->count_off), why, whylen);
	case F_INTLIST:
		return set_intlist(v, (long **)(void *)p,
				   (size_t *)(void *)((char *)base + f->count_off), 100, 599,
				   why, whylen);
	case F_ENUM:
	case F_WORD:
		return set_word(p, f, v, why, whylen);
	case F_MSG:
		s = get_text(v, why, whylen);
		if (s == NULL)
			return SET_EINVAL;
		if (messages_check((enum msg_id)f->min, s, why, whylen) != 0)
			return SET_EINVAL;
		return dup_string(s, (char **)(void *)p, why, whylen);
	case F_GROUP:
		snprintf(why, whylen, "must be a group { ... }");
		return SET_EINVAL;
	}
	snprintf(why, whylen, "internal error");
	return SET_EINVAL;
}

static const struct field *
find_field(const struct field *fields, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	}
	return NULL;
}

/* The field of the message key names (in messages.c's table), made into
 * *f; NULL when there is no such message. */
static const struct field *
message_field(const char *name, struct field *f)
{
	int id = messages_find(name);

	if (id < 0)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->name = messages_table[id].key;
	f->type = F_MSG;
	f->min = id;
	f->off = offsetof(struct smsotp_config, messages) +
		(size_t)id * sizeof(char *);
	return f;
}

/*
 * The field of a provider entry's key for type: one of provider_fields,
 * or a credential of type's vendor (in the vendor table) made into *cred.
 * NULL with *why when the key is unknown or not type's.
 */
static const struct field *
provider_field(const char *name, enum sms_type type, struct field *cred,
	       const char **why)
{
	const struct field *f = find_field(provider_fields, NFIELDS(provider_fields),
					   name);
	long off;

	*why = "does not apply to this provider type";
	if (f != NULL)
		return (f->types & type_category(type)) != 0 ? f : NULL;
	off = sms_cred_offset(type, name);
	if (off == -2)
		*why = "unknown key";
	if (off < 0)
		return NULL;
	memset(cred, 0, sizeof(*cred));
	cred->name = name;
	cred->type = F_STR;
	cred->off = (size_t)off;
	cred->types = T_PRESETS;
	return cred;
}

/* Where a load's problems go and where they are: the file (each key's
 * line kept in cfg, for the checks after the arguments and for smsotp
 * check), the arguments, and the report of `smsotp check` (every problem)
 * or the one err of a login (the first). */
struct reader {
	const char *path;
	char *err;
	size_t errlen;
	const struct config_report *rep;	/* NULL: stop at the first */
	int problems;
	int file_read;		/* the file was parsed */
	int argc;
	const char **argv;
	struct smsotp_config *cfg;	/* where the keys' lines are kept */
};

/* Tells the problem in r->err (the report gets it now); CONFIG_EINVAL. */
static int
told(struct reader *r)
{
	r->problems++;
	if (r->rep != NULL)
		r->rep->problem(r->rep->ud, r->err);
	return CONFIG_EINVAL;
}

/* A step's result, seen from a loop over steps: a refusal that was
 * reported lets the next step go on; one that is the login's err stops. */
static int
tolerate(const struct reader *r, int rc)
{
	return rc == CONFIG_EINVAL && r->rep != NULL ? CONFIG_OK : rc;
}

static int
refuse(struct reader *r, const config_setting_t *s, const char *key,
       const char *why)
{
	snprintf(r->err, r->errlen, "%s:%d: %s: %s", r->path,
		 s != NULL ? (int)config_setting_source_line(s) : 0, key, why);
	return told(r);
}

/* The argument that sets key (the last one: it wins), or -1. */
static int
argument_of(const struct reader *r, const char *key)
{
	size_t klen = strlen(key);
	int i;

	for (i = r->argc - 1; i >= 0; i--) {
		const char *a = r->argv[i];

		if (strncmp(a, key, klen) == 0 && (a[klen] == '=' || a[klen] == '\0'))
			return i;
	}
	return -1;
}

/* "WHERE: " for an argument's problem: the PAM stack line it is on. */
static const char *
args_where(const struct reader *r, char *buf, size_t buflen)
{
	if (r->rep == NULL || r->rep->args_where == NULL)
		return "";
	snprintf(buf, buflen, "%s: ", r->rep->args_where);
	return buf;
}

/* The line of key (a dotted path) in the file, or of the nearest group
 * around it that is there; 0 when neither is. */
static int
line_near(const struct reader *r, const char *key)
{
	char path[128];
	char *dot;
	int line;

	if (util_strlcpy(path, key, sizeof(path)) >= sizeof(path))
		return 0;
	while ((line = config_line(r->cfg, path)) == 0 &&
	       (dot = strrchr(path, '.')) != NULL)
		*dot = '\0';
	return line;
}

/* A problem of the value key ended with (a dotted path into the file):
 * named by the argument that set it, or by the line of the file where it
 * (or its group) is, or by the file alone (a default). */
static int
refuse_key(struct reader *r, const char *key, const char *why)
{
	int line = line_near(r, key);
	int arg = strchr(key, '.') == NULL ? argument_of(r, key) : -1;
	char where[512];

	if (arg >= 0)
		snprintf(r->err, r->errlen, "%sargument '%s': %s",
			 args_where(r, where, sizeof(where)), key, why);
	else if (line > 0)
		snprintf(r->err, r->errlen, "%s:%d: %s: %s", r->path, line, key, why);
	else
		snprintf(r->err, r->errlen, "%s: %s: %s", r->path, key, why);
	return told(r);
}

static int
set_rc(int rc)
{
	return rc == SET_ENOMEM ? CONFIG_ENOMEM : rc == SET_OK ? CONFIG_OK : CONFIG_EINVAL;
}

/* Edit distance of a and b, when at most 2 (else 3): a typo. */
static int
typo_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int d[24][24];

	if (la >= 24 || lb >= 24 || (la > lb ? la - lb : lb - la) > 2)
		return 3;
	for (i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			/* two letters swapped: one typo */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb] > 2 ? 3 : d[la][lb];
}

/* "unknown key", with the nearest of fields when name looks like a typo
 * of one (" (did you mean 'length'?)"). */
static void
unknown(const char *what, const char *name, const struct field *fields,
	size_t n, char *why, size_t whylen)
{
	const char *best = NULL;
	int bestd = 3;
	size_t i;

	for (i = 0; i < n && strlen(name) >= 3; i++) {
		int d = typo_distance(name, fields[i].name);

		if (d < bestd) {
			bestd = d;
			best = fields[i].name;
		}
	}
	if (best != NULL)
		snprintf(why, whylen, "%s (did you mean '%s'?)", what, best);
	else
		snprintf(why, whylen, "%s", what);
}

/* The keys of a group of the file. */
struct keys {
	const struct field *fields;
	size_t n;
	unsigned type;		/* a provider entry's type: its keys */
	int messages;		/* the messages group: messages.c's keys */
};

/* The field of name in k (*tmp when it is made up), or NULL with why. */
static const struct field *
key_field(const struct keys *k, const char *name, struct field *tmp, char *why,
	  size_t whylen)
{
	const struct field *f;
	const char *bad = "unknown key";

	if (k->messages) {
		f = message_field(name, tmp);
		bad = "unknown key (not a message)";
	} else if (k->type != 0) {
		f = provider_field(name, (enum sms_type)k->type, tmp, &bad);
	} else {
		f = find_field(k->fields, k->n, name);
	}
	if (f == NULL)
		unknown(bad, name, k->type != 0 ? provider_fields : k->fields,
			k->type != 0 ? NFIELDS(provider_fields) : k->messages ? 0 : k->n,
			why, whylen);
	return f;
}

static int read_group(struct reader *r, const config_setting_t *group,
		      const char *prefix, const struct keys *k, void *base);

/* Keeps where key was (config_line()). */
static int
keep_line(struct smsotp_config *cfg, const char *key, const config_setting_t *s)
{
	struct config_key_line *nl;
	char *copy;

	if (cfg->n_lines >= 4 * CONFIG_MAX_LIST * CONFIG_MAX_LIST)
		return CONFIG_OK;	/* a bound: a problem then has no line */
	copy = strdup(key);
	nl = copy != NULL ? realloc(cfg->lines, (cfg->n_lines + 1) * sizeof(*nl)) : NULL;
	if (nl == NULL) {
		free(copy);
		return CONFIG_ENOMEM;
	}
	nl[cfg->n_lines].key = copy;
	nl[cfg->n_lines++].line = (int)config_setting_source_line(s);
	cfg->lines = nl;
	return CONFIG_OK;
}

int
config_line(const struct smsotp_config *cfg, const char *key)
{
	size_t i;

	for (i = cfg->n_lines; i > 0; i--) {
		if (strcmp(cfg->lines[i - 1].key, key) == 0)
			return cfg->lines[i - 1].line;
	}
	return 0;
}

/* One setting s of a group, named key. */
static int
read_member(struct reader *r, const config_setting_t *s, const char *key,
	    const struct keys *k, void *base)
{
	const char *name = config_setting_name(s);
	struct field tmp;
	struct value v = { s, NULL };
	char why[256], sub[128];
	const struct field *f = key_field(k, name, &tmp, why, sizeof(why));
	int rc;

	if (f == NULL)
		return refuse(r, s, key, why);
	if (keep_line(r->cfg, key, s) != CONFIG_OK)
		return CONFIG_ENOMEM;
	if (f->type == F_GROUP) {
		struct keys sk = { f->sub, f->nsub, 0, 0 };

		if (f->count_off != 0)
			*(int *)(void *)((char *)base + f->count_off) = 1;
		snprintf(sub, sizeof(sub), "%s.", key);
		return read_group(r, s, sub, &sk, base);
	}
	rc = set_field(base, f, &v, why, sizeof(why));
	if (rc == SET_ENOMEM)
		return CONFIG_ENOMEM;
	return rc == SET_OK ? CONFIG_OK : refuse(r, s, key, why);
}

/* Reads the settings of a group into base through k. */
static int
read_group(struct reader *r, const config_setting_t *group, const char *prefix,
	   const struct keys *k, void *base)
{
	char key[128];
	int i, n = config_setting_length(group), rc = CONFIG_OK;

	if (!config_setting_is_group(group)) {
		snprintf(key, sizeof(key), "%.*s", (int)strlen(prefix) - 1, prefix);
		return refuse(r, group, key, "must be a group { ... }");
	}
	for (i = 0; i < n && rc == CONFIG_OK; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);

		if (k->type != 0 && (strcmp(name, "name") == 0 || strcmp(name, "type") == 0))
			continue;
		snprintf(key, sizeof(key), "%s%s", prefix, name);
		rc = tolerate(r, read_member(r, s, key, k, base));
	}
	return rc;
}

/* A problem sms_provider_prepare() found in provider g: named by the line
 * of the key its reason starts with ("url ...", "header 2 ..."), or of
 * the entry when that key is not written there. */
static int
refuse_provider(struct reader *r, const config_setting_t *g, const char *prefix,
		const char *why)
{
	const config_setting_t *s;
	char key[32];
	size_t n = strcspn(why, " :");

	snprintf(key, sizeof(key), "%.*s", (int)(n < sizeof(key) ? n : 0), why);
	if (strcmp(key, "header") == 0)
		snprintf(key, sizeof(key), "headers");
	s = key[0] != '\0' ? config_setting_get_member(g, key) : NULL;
	return refuse(r, s != NULL ? s : g, prefix, why);
}

/* The provider entry's struct, appended to cfg's list with its name. */
static int
new_provider(struct smsotp_config *cfg, const config_setting_t *g,
	     const char *name, struct sms_provider **out)
{
	struct sms_provider *p = calloc(1, sizeof(*p));
	struct sms_provider **np;

	if (p == NULL)
		return CONFIG_ENOMEM;
	p->line = (int)config_setting_source_line(g);
	p->timeout = SMS_DEFAULT_TIMEOUT;
	p->connect_timeout = SMS_DEFAULT_CONNECT_TIMEOUT;
	p->retries = SMS_DEFAULT_RETRIES;
	p->format = SMS_FORMAT_JSON;
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	np = realloc(cfg->providers, (cfg->n_providers + 1) * sizeof(*np));
	if (np == NULL || (p->name = strdup(name)) == NULL) {
		if (np != NULL)
			cfg->providers = np;
		sms_provider_free(p);
		return CONFIG_ENOMEM;
	}
	cfg->providers = np;
	cfg->providers[cfg->n_providers++] = p;
	*out = p;
	return CONFIG_OK;
}

static int
read_provider(struct reader *r, struct smsotp_config *cfg,
	      const config_setting_t *g, int index)
{
	struct sms_provider *p = NULL;
	const char *name = NULL, *type = NULL;
	char prefix[128], keyprefix[132], why[256];
	int rc, before = r->problems;

	snprintf(prefix, sizeof(prefix), "providers[%d]", index);
	if (!config_setting_is_group(g))
		return refuse(r, g, prefix, "must be a group { name = ...; type = ...; }");
	if (!config_setting_lookup_string(g, "name", &name) || name[0] == '\0')
		return refuse(r, g, prefix, "needs a name = \"...\" (a string)");
	if (!config_setting_lookup_string(g, "type", &type))
		return refuse(r, g, prefix, "needs a type = \"http\" or \"file\" (a string)");
	snprintf(prefix, sizeof(prefix), "provider '%.60s'", name);
	rc = new_provider(cfg, g, name, &p);
	if (rc != CONFIG_OK)
		return rc;
	p->type = sms_type_from_name(type);
	if (p->type == SMS_TYPE_NONE) {
		char types[160];

		sms_type_list(types, sizeof(types));
		snprintf(why, sizeof(why), "unknown type '%.40s' (%s)", type, types);
		return refuse(r, config_setting_get_member(g, "type"), prefix, why);
	}
	snprintf(keyprefix, sizeof(keyprefix), "%s: ", prefix);
	{
		struct keys k = { provider_fields, NFIELDS(provider_fields), p->type, 0 };

		rc = read_group(r, g, keyprefix, &k, p);
	}
	if (rc != CONFIG_OK || r->problems > before)
		return rc == CONFIG_OK ? CONFIG_EINVAL : rc;
	/* The default connect_timeout yields to a shorter timeout; one the
	 * administrator wrote longer than the whole send is a mistake. */
	if (p->connect_timeout > p->timeout &&
	    config_setting_get_member(g, "connect_timeout") == NULL)
		p->connect_timeout = p->timeout;
	if (p->connect_timeout > p->timeout)
		return refuse(r, config_setting_get_member(g, "connect_timeout"), prefix,
			      "connect_timeout is longer than timeout");
	rc = sms_provider_prepare(p, why, sizeof(why));
	if (rc == -2)
		return CONFIG_ENOMEM;
	return rc != 0 ? refuse_provider(r, g, prefix, why) : CONFIG_OK;
}

/* Another provider before the last one with its name? */
static int
name_taken(const struct smsotp_config *cfg)
{
	size_t j;

	for (j = 0; j + 1 < cfg->n_providers; j++) {
		if (strcmp(cfg->providers[j]->name,
			   cfg->providers[cfg->n_providers - 1]->name) == 0)
			return 1;
	}
	return 0;
}

static int
read_providers(struct reader *r, struct smsotp_config *cfg,
	       const config_setting_t *list)
{
	int i, n, rc = CONFIG_OK;

	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return refuse(r, list, "providers", "must be a list ( { ... }, ... )");
	n = config_setting_length(list);
	if (n > CONFIG_MAX_LIST)
		return refuse(r, list, "providers", "too many providers");
	for (i = 0; i < n && rc == CONFIG_OK; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		size_t had = cfg->n_providers;

		rc = tolerate(r, read_provider(r, cfg, g, i));
		if (rc == CONFIG_OK && cfg->n_providers > had && name_taken(cfg))
			rc = tolerate(r, refuse(r, config_setting_get_member(g, "name"),
						"providers", "two providers have the same name"));
	}
	return rc;
}

/* libconfig 1.5 would open any file an @include names, without the trust
 * checks: refuse the directive (the scanner only knows it at line start). */
static int
find_include(const char *text)
{
	const char *p = text;
	int line = 1;

	while (*p != '\0') {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "@include", 8) == 0)
			return line;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
		line++;
	}
	return 0;
}

/* One top-level setting of the file. */
static int
read_setting(struct reader *r, struct smsotp_config *cfg,
	     const config_setting_t *s)
{
	static const struct keys top = { top_fields, NFIELDS(top_fields), 0, 0 };
	static const struct keys phones = { phones_fields, NFIELDS(phones_fields), 0, 0 };
	static const struct keys limits = { limits_fields, NFIELDS(limits_fields), 0, 0 };
	static const struct keys messages = { NULL, 0, 0, 1 };
	const char *name = config_setting_name(s);

	if (strcmp(name, "phones") == 0)
		return read_group(r, s, "phones.", &phones, cfg);
	if (strcmp(name, "limits") == 0)
		return read_group(r, s, "limits.", &limits, cfg);
	if (strcmp(name, "providers") == 0)
		return read_providers(r, cfg, s);
	if (strcmp(name, "messages") == 0)
		return read_group(r, s, "messages.", &messages, cfg);
	return read_member(r, s, name, &top, cfg);
}

/* The file's text, trusted, without NUL bytes or @include.  CONFIG_OK with
 * *text, or a refusal told. */
static int
file_text(struct reader *r, char **text)
{
	size_t len = 0;
	int line;

	*text = NULL;
	if (util_read_trusted(r->path, UTIL_TRUST_PRIVATE, CONFIG_MAX_SIZE, text,
			      &len, r->err, r->errlen) != 0)
		return errno == ENOMEM ? CONFIG_ENOMEM : told(r);
	if (memchr(*text, '\0', len) != NULL)
		snprintf(r->err, r->errlen, "%s: contains a NUL byte, refused", r->path);
	else if ((line = find_include(*text)) > 0)
		snprintf(r->err, r->errlen, "%s:%d: @include is not allowed: keep the "
			 "whole configuration in this one checked file", r->path, line);
	else
		return CONFIG_OK;
	util_wipe(*text, len);
	free(*text);
	*text = NULL;
	return told(r);
}

/* Parses the file and reads it into cfg, each key's line kept.  A file
 * that cannot be read or parsed stops the load. */
static int
read_file(struct reader *r, struct smsotp_config *cfg)
{
	config_setting_t *root;
	config_t lc;
	char *text = NULL;
	int i, n, rc;

	rc = file_text(r, &text);
	if (rc != CONFIG_OK)
		return rc;
	config_init(&lc);
	rc = config_read_string(&lc, text);
	util_free_secret(text);
	if (rc != CONFIG_TRUE) {
		snprintf(r->err, r->errlen, "%s:%d: parse error: %s", r->path,
			 config_error_line(&lc), config_error_text(&lc) != NULL ?
			 config_error_text(&lc) : "syntax error");
		config_destroy(&lc);
		return told(r);
	}
	r->file_read = 1;
	root = config_root_setting(&lc);
	n = config_setting_length(root);
	rc = CONFIG_OK;
	for (i = 0; i < n && rc == CONFIG_OK; i++)
		rc = tolerate(r, read_setting(r, cfg, config_setting_get_elem(root,
									      (unsigned)i)));
	config_destroy(&lc);
	return rc;
}

/* Whether argument a names no setting: a word PAM split off a value with
 * spaces ("on", "CODE={code}"), or a typo. */
static int
stray_word(const char *a)
{
	static const char *const bare[] = { "debug", "nullok", "echo" };
	char name[64];
	size_t n = strcspn(a, "=");
	struct field mf;

	if (n >= sizeof(name))
		return 1;
	memcpy(name, a, n);
	name[n] = '\0';
	if (a[n] == '\0')
		return lookup_word(name, bare, NFIELDS(bare), 0) < 0;
	return strcmp(name, "conf") != 0 &&
		find_field(top_fields, NFIELDS(top_fields), name) == NULL &&
		(strncmp(name, "messages.", 9) != 0 || message_field(name + 9, &mf) == NULL);
}

/*
 * The refusal of the unknown argument i; when it follows a key=value, the
 * words from there are one value PAM split at its spaces: say that brackets
 * carry spaces, show the line's fix, and skip the rest of those words
 * (*next: the argument after them).
 */
static int
refuse_stray(struct reader *r, int i, int *next)
{
	char where[512], fix[256], why[256];
	size_t used = 0;
	int j = i, k;

	while (j > 0 && stray_word(r->argv[j - 1]))
		j--;
	j = j > 0 ? j - 1 : -1;		/* the key=value the words follow */
	if (j < 0 || strchr(r->argv[j], '=') == NULL ||
	    strncmp(r->argv[j], "conf=", 5) == 0 ||
	    strchr(r->argv[j + 1], '=') != NULL) {
		snprintf(fix, sizeof(fix), "%.*s", (int)strcspn(r->argv[i], "="),
			 r->argv[i]);
		unknown("unknown argument", fix, top_fields, NFIELDS(top_fields),
			why, sizeof(why));
		snprintf(r->err, r->errlen, "%sargument '%.60s': %s",
			 args_where(r, where, sizeof(where)), r->argv[i], why);
		return told(r);
	}
	for (k = i; k + 1 < r->argc && stray_word(r->argv[k + 1]); k++)
		;
	*next = k + 1;
	used = (size_t)snprintf(fix, sizeof(fix), "[%s", r->argv[j]);
	for (j = j + 1; j <= k && used < sizeof(fix); j++)
		used += (size_t)snprintf(fix + used, sizeof(fix) - used, " %s", r->argv[j]);
	snprintf(r->err, r->errlen, "%sargument '%.60s': unknown argument: PAM splits "
		 "arguments at spaces; a value with spaces needs brackets, as in "
		 "%.180s]", args_where(r, where, sizeof(where)), r->argv[i], fix);
	return told(r);
}

/* Applies module argument i (conf= was handled before the file); *next is
 * the argument after it. */
static int
apply_argument(struct reader *r, struct smsotp_config *cfg, int i, int *next)
{
	const char *arg = r->argv[i];
	const struct field *f;
	struct field mf;
	const char *eq = strchr(arg, '=');
	char name[64], why[256], where[512];
	struct value v = { NULL, eq != NULL ? eq + 1 : "true" };
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	int rc = SET_EINVAL;

	*next = i + 1;
	snprintf(name, sizeof(name), "%.*s", (int)(nlen < sizeof(name) ? nlen : 0), arg);
	if (strcmp(name, "conf") == 0 && eq != NULL)
		return CONFIG_OK;
	f = find_field(top_fields, NFIELDS(top_fields), name);
	if (f == NULL && strncmp(name, "messages.", 9) == 0)
		f = message_field(name + 9, &mf);
	if (f == NULL && strcmp(name, "conf") != 0)
		return refuse_stray(r, i, next);
	if (f == NULL || (eq == NULL && stray_word(name)))
		snprintf(why, sizeof(why), "needs a value (%s=...)", name);
	else
		rc = set_field(cfg, f, &v, why, sizeof(why));
	if (rc == SET_OK || rc == SET_ENOMEM)
		return set_rc(rc);
	snprintf(r->err, r->errlen, "%sargument '%.60s': %s",
		 args_where(r, where, sizeof(where)), arg, why);
	return told(r);
}

/* alphabet: 2..OTP_MAX_ALPHABET distinct printable characters, no space. */
static int
check_alphabet(struct reader *r, struct smsotp_config *cfg)
{
	const char *a = cfg->alphabet;
	char why[96];
	size_t i, j, n = strlen(a);

	if (n < 2 || n > OTP_MAX_ALPHABET) {
		snprintf(why, sizeof(why), "needs 2..%d characters", OTP_MAX_ALPHABET);
		return refuse_key(r, "alphabet", why);
	}
	for (i = 0; i < n; i++) {
		if (a[i] <= ' ' || a[i] > '~')
			return refuse_key(r, "alphabet", "only printable ASCII "
					  "without space is allowed");
		for (j = i + 1; j < n; j++) {
			if (a[i] == a[j]) {
				snprintf(why, sizeof(why), "'%c' appears twice", a[i]);
				return refuse_key(r, "alphabet", why);
			}
		}
	}
	return CONFIG_OK;
}

/* The provider named want, or NULL. */
static struct sms_provider *
provider_named(const struct smsotp_config *cfg, const char *want)
{
	size_t j;

	for (j = 0; j < cfg->n_providers; j++) {
		if (strcmp(cfg->providers[j]->name, want) == 0)
			return cfg->providers[j];
	}
	return NULL;
}

/* Resolves `provider` into the chain; all providers in file order when
 * it is not set. */
static int
resolve_chain(struct reader *r, struct smsotp_config *cfg)
{
	char why[160];
	size_t i, j, n = cfg->n_provider_names;

	if (cfg->n_providers == 0)
		return refuse_key(r, "providers", "no providers configured "
				  "(providers = ( ... ))");
	/* NOLINTNEXTLINE(bugprone-sizeof-expression): array of pointers */
	cfg->chain = calloc(n > 0 ? n : cfg->n_providers, sizeof(*cfg->chain));
	if (cfg->chain == NULL)
		return CONFIG_ENOMEM;
	for (i = 0; n == 0 && i < cfg->n_providers; i++)
		cfg->chain[cfg->n_chain++] = cfg->providers[i];
	for (i = 0; i < n; i++) {
		struct sms_provider *found = provider_named(cfg, cfg->provider_names[i]);

		snprintf(why, sizeof(why), "'%.60s' is not in providers",
			 cfg->provider_names[i]);
		for (j = 0; found != NULL && j < cfg->n_chain; j++) {
			if (cfg->chain[j] == found) {
				snprintf(why, sizeof(why), "'%.60s' is named twice",
					 cfg->provider_names[i]);
				found = NULL;
			}
		}
		if (found == NULL)
			return refuse_key(r, "provider", why);
		cfg->chain[cfg->n_chain++] = found;
	}
	return CONFIG_OK;
}

/* A calling code: 1..3 digits, not starting with 0. */
static int
calling_code_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return s[n] == '\0' && n >= 1 && n <= 3 && s[0] != '0';
}

static int
check_countries(struct reader *r, struct smsotp_config *cfg)
{
	char why[160];
	size_t i;

	if (cfg->default_country != NULL && !calling_code_ok(cfg->default_country)) {
		snprintf(why, sizeof(why), "'%.20s' is not a calling code (1..3 "
			 "digits, e.g. \"44\")", cfg->default_country);
		return refuse_key(r, "phones.default_country", why);
	}
	for (i = 0; i < cfg->n_allowed_countries; i++) {
		if (!calling_code_ok(cfg->allowed_countries[i])) {
			snprintf(why, sizeof(why), "'%.20s' is not a calling code (1..3 "
				 "digits, e.g. \"44\")", cfg->allowed_countries[i]);
			return refuse_key(r, "phones.allowed_countries", why);
		}
	}
	return CONFIG_OK;
}

static int
check_store(struct reader *r, struct smsotp_config *cfg)
{
	if (cfg->store == CONFIG_STORE_POSTGRESQL &&
	    (cfg->pg_conninfo == NULL || cfg->pg_conninfo[0] == '\0'))
		return refuse_key(r, "limits.postgresql.conninfo", "needed with "
				  "store = \"postgresql\" (where the shared database is)");
	return CONFIG_OK;
}

/* 0 when text uses the placeholders from first on and no other. */
static int
placeholders_ok(const char *text, size_t first, char *why, size_t whylen)
{
	return tpl_check(text, config_message_placeholders + first,
			 config_n_message_placeholders - first, TPL_COMPAT, why,
			 whylen) == TPL_OK ? 0 : -1;
}

static int
check_template(struct reader *r, struct smsotp_config *cfg)
{
	char why[256];

	if (placeholders_ok(cfg->template, 0, why, sizeof(why)) != 0)
		return refuse_key(r, "template", why);
	/* Every other placeholder minus the code: a template without the
	 * code would cost an SMS per login and let nobody in. */
	if (placeholders_ok(cfg->template, 1, why, sizeof(why)) == 0)
		return refuse_key(r, "template", "has no {code} (or %1$s, "
				  "%sms-code%): the SMS would not carry the code");
	return CONFIG_OK;
}

static int
check_prompt(struct reader *r, struct smsotp_config *cfg)
{
	char why[256];

	/* A prompt showing the code would hand it to whoever is logging in. */
	if (placeholders_ok(cfg->prompt, 1, why, sizeof(why)) == 0)
		return CONFIG_OK;
	if (placeholders_ok(cfg->prompt, 0, why, sizeof(why)) == 0)
		snprintf(why, sizeof(why), "the prompt must never show the code");
	return refuse_key(r, "prompt", why);
}

/* The names of `groups`: a name, or "!" and a name; no ':' (it separates
 * the fields of /etc/group), no control character, no space at either
 * end (a typo in a list would otherwise match nobody). */
static int
check_groups(struct reader *r, struct smsotp_config *cfg)
{
	char why[160];
	size_t i;

	for (i = 0; i < cfg->n_groups; i++) {
		const char *g = cfg->groups[i];
		const char *name = g[0] == '!' ? g + 1 : g;
		size_t len = strlen(name);

		if (len == 0 || strchr(name, ':') != NULL || util_has_ctl(name, 0) ||
		    name[0] == ' ' || name[len - 1] == ' ' || name[0] == '!') {
			snprintf(why, sizeof(why), "'%.60s' is not a group name "
				 "(\"name\" or \"!name\")", g);
			return refuse_key(r, "groups", why);
		}
	}
	return CONFIG_OK;
}

/* phones.ldap, when the group is there, as phone/ldap.c needs it: named
 * by the key its reason starts with ("uri: needed ..."). */
static int
check_ldap(struct reader *r, struct smsotp_config *cfg)
{
	struct phone_sources src;
	char why[256], key[64];
	size_t n;

	if (!cfg->ldap_given)
		return CONFIG_OK;
	config_phone_sources(cfg, &src);
	if (phone_ldap_check_config(&src.ldap, why, sizeof(why)) == 0)
		return CONFIG_OK;
	n = strcspn(why, ":");
	if (why[n] == '\0' || strcspn(why, " ") < n)
		n = strcspn(why, " ");
	snprintf(key, sizeof(key), "phones.ldap.%.*s", (int)n, why);
	return refuse_key(r, key, why[n] == '\0' ? why : why + n + 1 +
			  (why[n + 1] == ' '));
}

/* What only the whole configuration shows, each with the line of its
 * key; resolve_chain last (it needs the providers read). */
static int (*const checks[])(struct reader *, struct smsotp_config *) = {
	check_countries, check_store, check_alphabet, check_template,
	check_prompt, check_ldap, check_groups, resolve_chain,
};

static struct smsotp_config *
config_new(void)
{
	struct smsotp_config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg->length = 6;
	cfg->ttl = 300;
	cfg->max_tries = 3;
	cfg->alphabet = strdup(DEFAULT_ALPHABET);
	cfg->template = strdup(DEFAULT_TEMPLATE);
	cfg->prompt = strdup(DEFAULT_PROMPT);
	cfg->phones_file = strdup(CONFIG_DEFAULT_PHONES);
	cfg->resend_after = 60;
	cfg->max_sends = 10;
	cfg->send_window = 86400;
	cfg->lockout_after = 10;
	cfg->lockout_time = 900;
	cfg->pg_timeout = 3;
	cfg->ldap_filter = strdup(DEFAULT_LDAP_FILTER);
	cfg->ldap_attribute = strdup(DEFAULT_LDAP_ATTRIBUTE);
	cfg->ldap_timeout = 5;
	cfg->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR);
	cfg->key_file = strdup(CONFIG_DEFAULT_KEY_FILE);
	if (cfg->alphabet == NULL || cfg->template == NULL || cfg->prompt == NULL ||
	    cfg->phones_file == NULL || cfg->state_dir == NULL ||
	    cfg->key_file == NULL || cfg->ldap_filter == NULL ||
	    cfg->ldap_attribute == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* The arguments over the file, then the checks, each step's refusal told
 * (and, with a report, the next step taken). */
static int
load_steps(struct reader *r, struct smsotp_config *cfg)
{
	size_t c;
	int i, next, rc = r->path[0] == '/' ? tolerate(r, read_file(r, cfg)) :
		CONFIG_OK;

	/* the arguments even when the file was not read (a report names
	 * theirs too), the checks of the whole only over a file */
	for (i = 0; i < r->argc && rc == CONFIG_OK; i = next)
		rc = tolerate(r, apply_argument(r, cfg, i, &next));
	if (!r->file_read)
		return rc == CONFIG_OK ? CONFIG_EINVAL : rc;
	for (c = 0; c < NFIELDS(checks) && rc == CONFIG_OK; c++)
		rc = tolerate(r, checks[c](r, cfg));
	return rc;
}

int
config_load_report(int argc, const char **argv, const struct config_report *rep,
		   struct smsotp_config **out, char *err, size_t errlen)
{
	struct smsotp_config *cfg;
	struct reader r = { CONFIG_DEFAULT_PATH, err, errlen, rep, 0, 0, argc, argv,
			    NULL };
	char where[512];
	int i, rc;

	*out = NULL;
	err[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0)
			r.path = argv[i] + 5;
	}
	if (r.path[0] != '/') {
		snprintf(err, errlen, "%sargument 'conf=%.60s': not an absolute path",
			 args_where(&r, where, sizeof(where)), r.path);
		if (rep == NULL)
			return told(&r);
		(void)told(&r);		/* the other arguments still checked */
	}
	cfg = config_new();
	if (cfg == NULL || (cfg->conf_path = strdup(r.path)) == NULL) {
		config_free(cfg);
		return CONFIG_ENOMEM;
	}
	r.cfg = cfg;
	rc = load_steps(&r, cfg);
	if (rc == CONFIG_OK && r.problems > 0)
		rc = CONFIG_EINVAL;
	if (rc == CONFIG_ENOMEM || !r.file_read || (rc != CONFIG_OK && rep == NULL)) {
		config_free(cfg);
		return rc;
	}
	*out = cfg;
	return rc;
}

int
config_load(int argc, const char **argv, struct smsotp_config **out,
	    char *err, size_t errlen)
{
	return config_load_report(argc, argv, NULL, out, err, errlen);
}

int
config_load_file(const char *path, struct smsotp_config **out, char *err,
		 size_t errlen)
{
	char arg[4096 + 8];
	const char *argv[1];

	if (snprintf(arg, sizeof(arg), "conf=%s", path) >= (int)sizeof(arg)) {
		snprintf(err, errlen, "%.60s...: path too long", path);
		return CONFIG_EINVAL;
	}
	argv[0] = arg;
	return config_load(1, argv, out, err, errlen);
}

void
config_free(struct smsotp_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->conf_path);
	free(cfg->alphabet);
	util_free_secret(cfg->template);
	free(cfg->prompt);
	free_strlist(cfg->groups, cfg->n_groups);
	for (i = 0; i < MSG_COUNT; i++)
		free(cfg->messages[i]);
	free(cfg->phones_file);
	free(cfg->phones_command);
	free(cfg->default_country);
	free_strlist(cfg->allowed_countries, cfg->n_allowed_countries);
	free(cfg->ldap_uri);
	free(cfg->ldap_base);
	free(cfg->ldap_filter);
	free(cfg->ldap_attribute);
	free(cfg->ldap_bind_dn);
	util_free_secret(cfg->ldap_bind_password);
	free(cfg->ldap_ca_file);
	free(cfg->state_dir);
	free(cfg->key_file);
	util_free_secret(cfg->pg_conninfo);
	util_free_secret(cfg->pg_password);
	for (i = 0; i < cfg->n_providers; i++)
		sms_provider_free(cfg->providers[i]);
	free(cfg->providers);
	free(cfg->chain);
	free_strlist(cfg->provider_names, cfg->n_provider_names);
	for (i = 0; i < cfg->n_lines; i++)
		free(cfg->lines[i].key);
	free(cfg->lines);
	free(cfg);
}

void
config_phone_sources(const struct smsotp_config *cfg, struct phone_sources *src)
{
	memset(src, 0, sizeof(*src));
	src->file = cfg->phones_file;
	src->command = cfg->phones_command;
	src->gecos = cfg->phones_gecos;
	src->default_country = cfg->default_country;
	src->allowed_countries = cfg->allowed_countries;
	src->n_allowed_countries = cfg->n_allowed_countries;
	if (!cfg->ldap_given)
		return;
	src->ldap.uri = cfg->ldap_uri;
	src->ldap.base = cfg->ldap_base;
	src->ldap.filter = cfg->ldap_filter;
	src->ldap.attribute = cfg->ldap_attribute;
	src->ldap.bind_dn = cfg->ldap_bind_dn;
	src->ldap.bind_password = cfg->ldap_bind_password;
	src->ldap.ca_file = cfg->ldap_ca_file;
	src->ldap.starttls = cfg->ldap_starttls;
	src->ldap.timeout = cfg->ldap_timeout;
}

const char *
config_message(const struct smsotp_config *cfg, enum msg_id id)
{
	return cfg->messages[id] != NULL ? cfg->messages[id] : messages_table[id].text;
}
