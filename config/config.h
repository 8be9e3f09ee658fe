/*
 * config: reads /etc/security/pam_smsotp.conf (libconfig syntax) and the
 * module arguments into one struct, through one setter, and validates it.
 * Shared by the module and the admin tool.
 */
#ifndef SMSOTP_CONFIG_H
#define SMSOTP_CONFIG_H

#include <stddef.h>

#include "../phone/phone.h"
#include "../sms/sms.h"
#include "messages.h"
#include "pamd.h"

#define CONFIG_DEFAULT_PATH "/etc/security/pam_smsotp.conf"
#define CONFIG_DEFAULT_PHONES "/etc/security/pam_smsotp.phones"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/pam_smsotp"
#define CONFIG_DEFAULT_KEY_FILE "/etc/security/pam_smsotp.key"

#define CONFIG_OK 0
#define CONFIG_EINVAL (-1)	/* refused; err says file, line, key, why */
#define CONFIG_ENOMEM (-2)

/* limits.store: where the users' records are kept. */
enum config_store { CONFIG_STORE_FILE, CONFIG_STORE_POSTGRESQL };

struct smsotp_config {
	char *conf_path;

	long length;
	char *alphabet;
	long ttl;
	long max_tries;
	char *template;
	char *prompt;
	int failmode_open;
	int nullok;
	int echo;
	int debug;
	/* who gets the challenge: names, "!name" exempts; none: everyone */
	char **groups;
	size_t n_groups;
	/* the `messages` group, by enum msg_id; NULL: the default */
	char *messages[MSG_COUNT];

	char *phones_file;
	char *phones_command;		/* NULL: not used */
	int phones_gecos;
	char *default_country;		/* calling code, digits; NULL */
	char **allowed_countries;	/* calling codes; none: any */
	size_t n_allowed_countries;
	int ldap_given;			/* a phones.ldap group is there */
	char *ldap_uri;
	char *ldap_base;
	char *ldap_filter;
	char *ldap_attribute;
	char *ldap_bind_dn;
	char *ldap_bind_password;	/* a secret: wiped when freed, never
					   logged */
	char *ldap_ca_file;
	int ldap_starttls;
	long ldap_timeout;

	char *state_dir;
	char *key_file;		/* the key of the kept codes' HMACs: away
				   from state_dir */
	long resend_after;
	long max_sends;
	long send_window;
	long lockout_after;
	long lockout_time;
	int store;		/* enum config_store */
	char *pg_conninfo;	/* limits.postgresql: NULL when not given */
	char *pg_password;	/* a secret: wiped when freed, never logged */
	long pg_timeout;
	int pg_fallback_file;	/* fallback = "file" */

	struct sms_provider **providers;	/* file order */
	size_t n_providers;
	struct sms_provider **chain;	/* the `provider` order; borrowed */
	size_t n_chain;

	/* `provider` as given, before it is resolved into chain */
	char **provider_names;
	size_t n_provider_names;

	/* where each key of the file was: see config_line() */
	struct config_key_line {
		char *key;
		int line;
	} *lines;
	size_t n_lines;
};

/* The placeholders of `template` and `prompt`. */
extern const char *const config_message_placeholders[];
extern const size_t config_n_message_placeholders;

/*
 * Build the configuration of one PAM call: defaults, then the file (conf=
 * argument or CONFIG_DEFAULT_PATH), then the other arguments.  Returns
 * CONFIG_OK with *out set, CONFIG_EINVAL with a one-line reason in err, or
 * CONFIG_ENOMEM.
 */
int config_load(int argc, const char **argv, struct smsotp_config **out,
		char *err, size_t errlen);

/* Where every problem of a load goes (smsotp check), instead of the one
 * err of a login. */
struct config_report {
	/* each problem, in order: "FILE:LINE: key: why", or for an argument
	 * "WHERE: argument 'a': why" */
	void (*problem)(void *ud, const char *text);
	void *ud;
	const char *args_where;	/* the arguments' place ("/etc/pam.d/sshd:3"),
				   or NULL */
};

/*
 * config_load(), reporting every problem through rep (rep NULL: the first
 * one in err, as config_load()).  Returns CONFIG_OK; CONFIG_EINVAL after
 * reporting, with *out the configuration as far as it could be read (for
 * the checks of the files it names; never for a login), or *out NULL when
 * the file could not be read or parsed; or CONFIG_ENOMEM.
 */
int config_load_report(int argc, const char **argv,
		       const struct config_report *rep,
		       struct smsotp_config **out, char *err, size_t errlen);

/* The same, from a path, without arguments (the admin tool). */
int config_load_file(const char *path, struct smsotp_config **out,
		     char *err, size_t errlen);

void config_free(struct smsotp_config *cfg);

/* The line of the file where key was set (named as the problems name it:
 * "phones.file", "provider 'gw': ca_file"), or 0 when the file did not
 * set it. */
int config_line(const struct smsotp_config *cfg, const char *key);

/* The text of message id: the configured one, or its default. */
const char *config_message(const struct smsotp_config *cfg, enum msg_id id);

/* The number sources of cfg (phones file, command, directory, GECOS,
 * countries) for phone_lookup(); the strings stay cfg's. */
void config_phone_sources(const struct smsotp_config *cfg,
			  struct phone_sources *src);

#endif
