/* Unit tests: the configuration file, module arguments and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../config/config.h"

static char dir[] = "/tmp/test_config.XXXXXX";
static char conf[256];
static char confarg[300];

#define GOOD_PROVIDER \
	"providers = ( { name = \"gw\"; type = \"http\"; url = \"https://sms.example/send\"; } );\n"

static void
write_conf(const char *text, mode_t mode)
{
	FILE *f = fopen(conf, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(conf, mode), 0);
}

/* Loads text with extra arguments; returns the result code, err filled. */
static int
load(const char *text, const char **args, int nargs, struct smsotp_config **cfg,
     char *err, size_t errlen)
{
	const char *argv[16];
	int i;

	write_conf(text, 0600);
	argv[0] = confarg;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	return config_load(nargs + 1, argv, cfg, err, errlen);
}

static void
test_defaults(void **state)
{
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load(GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->length, 6);
	assert_string_equal(cfg->alphabet, "0123456789");
	assert_int_equal(cfg->ttl, 300);
	assert_int_equal(cfg->max_tries, 3);
	assert_string_equal(cfg->template,
			    "Your {service} code for {host} is {code}. It expires in {ttl_min} min.");
	assert_string_equal(cfg->prompt, "SMS code sent to {phone_masked}: ");
	assert_false(cfg->failmode_open);
	assert_false(cfg->nullok);
	assert_false(cfg->echo);
	assert_false(cfg->debug);
	assert_string_equal(cfg->phones_file, "/etc/security/pam_smsotp.phones");
	assert_string_equal(cfg->state_dir, "/var/lib/pam_smsotp");
	assert_int_equal(cfg->resend_after, 60);
	assert_int_equal(cfg->max_sends, 10);
	assert_int_equal(cfg->send_window, 86400);
	assert_int_equal(cfg->lockout_after, 10);
	assert_int_equal(cfg->lockout_time, 900);
	assert_null(cfg->phones_command);
	assert_false(cfg->phones_gecos);
	assert_null(cfg->default_country);
	assert_int_equal(cfg->n_allowed_countries, 0);
	assert_int_equal(cfg->n_chain, 1);
	assert_int_equal(cfg->chain[0]->timeout, 10);
	assert_int_equal(cfg->chain[0]->connect_timeout, 5);
	assert_int_equal(cfg->chain[0]->retries, 1);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(load("providers = ( { name = \"gw\"; type = \"http\";\n"
			      "  url = \"https://a.example/\"; timeout = 3; } );\n",
			      NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->chain[0]->connect_timeout, 3);
	config_free(cfg);
}

static void
test_full_file_and_arguments(void **state)
{
	static const char text[] =
		"length = 8;\nalphabet = \"ABCDEF\";\nttl = 600;\nmax_tries = 5;\n"
		"template = \"Code %1$s valid %2$d min\";\nprompt = \"Code: \";\n"
		"provider = [\"b\", \"a\"];\nfailmode = \"open\";\nnullok = true;\n"
		"echo = true;\ndebug = true;\n"
		"phones = { file = \"/etc/phones\"; command = \"/usr/local/bin/lookup\";\n"
		"  gecos = true; default_country = \"44\"; allowed_countries = [\"44\", \"1\"]; };\n"
		"limits = { state_dir = \"/run/smsotp\"; resend_after = 0; max_sends = 3;\n"
		"  send_window = 600; lockout_after = 0; lockout_time = 60; };\n"
		"providers = (\n"
		" { name = \"a\"; type = \"http\"; url = \"https://a.example/{phone}\";\n"
		"   method = \"PUT\"; format = \"form\"; body = \"to={phone}&m={message}\";\n"
		"   headers = [\"X-Key: k1, k2\"]; username = \"u\"; password = \"p\";\n"
		"   success_status = [200, 202]; success_json = \"ok=true\";\n"
		"   timeout = 20; connect_timeout = 3; retries = 2; sender = \"ACME\"; },\n"
		" { name = \"b\"; type = \"file\"; path = \"/var/log/sms.jsonl\"; }\n"
		");\n";
	const char *args[] = { "length=10", "template=Code {code} for {host}",
			       "provider=a", "failmode=closed", "nullok=false" };
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load(text, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->length, 8);
	assert_string_equal(cfg->alphabet, "ABCDEF");
	assert_int_equal(cfg->ttl, 600);
	assert_int_equal(cfg->max_tries, 5);
	assert_true(cfg->failmode_open && cfg->nullok && cfg->echo && cfg->debug);
	assert_string_equal(cfg->phones_file, "/etc/phones");
	assert_string_equal(cfg->state_dir, "/run/smsotp");
	assert_int_equal(cfg->store, CONFIG_STORE_FILE);
	assert_null(cfg->pg_conninfo);
	assert_int_equal(cfg->pg_timeout, 3);
	assert_false(cfg->pg_fallback_file);
	assert_string_equal(cfg->phones_command, "/usr/local/bin/lookup");
	assert_true(cfg->phones_gecos);
	assert_string_equal(cfg->default_country, "44");
	assert_int_equal(cfg->n_allowed_countries, 2);
	assert_string_equal(cfg->allowed_countries[1], "1");
	assert_int_equal(cfg->resend_after, 0);
	assert_int_equal(cfg->max_sends, 3);
	assert_int_equal(cfg->send_window, 600);
	assert_int_equal(cfg->lockout_after, 0);
	assert_int_equal(cfg->lockout_time, 60);
	assert_int_equal(cfg->n_chain, 2);
	assert_string_equal(cfg->chain[0]->name, "b");
	assert_string_equal(cfg->chain[1]->name, "a");
	assert_int_equal(cfg->chain[1]->n_headers, 1);
	assert_string_equal(cfg->chain[1]->headers[0], "X-Key: k1, k2");
	assert_int_equal(cfg->chain[1]->n_success_status, 2);
	assert_int_equal(cfg->chain[1]->success_status[1], 202);
	assert_int_equal(cfg->chain[1]->format, SMS_FORMAT_FORM);
	assert_int_equal(cfg->chain[1]->timeout, 20);
	{
		/* the module and the admin tool look numbers up from these */
		struct phone_sources src;

		memset(&src, 0xa5, sizeof(src));
		config_phone_sources(cfg, &src);
		assert_ptr_equal(src.file, cfg->phones_file);
		assert_ptr_equal(src.command, cfg->phones_command);
		assert_true(src.gecos);
		assert_string_equal(src.default_country, "44");
		assert_int_equal(src.n_allowed_countries, 2);
		assert_ptr_equal(src.allowed_countries, cfg->allowed_countries);
	}
	config_free(cfg);

	/* Arguments override the file's top-level settings. */
	assert_int_equal(load(text, args, 5, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->length, 10);
	assert_string_equal(cfg->template, "Code {code} for {host}");
	assert_int_equal(cfg->n_chain, 1);
	assert_string_equal(cfg->chain[0]->name, "a");
	assert_false(cfg->failmode_open);
	assert_false(cfg->nullok);
	config_free(cfg);
}

static void
test_argument_with_spaces(void **state)
{
	const char *args[] = { "template=Code {code} for {host}", "debug", "echo" };
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load(GOOD_PROVIDER, args, 3, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_string_equal(cfg->template, "Code {code} for {host}");
	assert_true(cfg->debug);
	assert_true(cfg->echo);
	config_free(cfg);
}

/* groups: an array in the file, a comma list as an argument (which wins). */
static void
test_groups(void **state)
{
	const char *args[] = { "groups=sms-users,!admins" };
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	assert_int_equal(load(GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->n_groups, 0);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(load("groups = [\"ops\", \"!svc\", \"domain users\"];\n" GOOD_PROVIDER,
			      NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->n_groups, 3);
	assert_string_equal(cfg->groups[1], "!svc");
	assert_string_equal(cfg->groups[2], "domain users");
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(load("groups = [\"ops\"];\n" GOOD_PROVIDER, args, 1, &cfg, err,
			      sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->n_groups, 2);
	assert_string_equal(cfg->groups[0], "sms-users");
	assert_string_equal(cfg->groups[1], "!admins");
	config_free(cfg);
}

/* phones.ldap: the keys, the defaults (filter, attribute, timeout), plain
 * ldap:// to loopback addresses, several URIs. */
static void
test_ldap_group(void **state)
{
	struct smsotp_config *cfg = NULL;
	struct phone_sources src;
	char err[512];

	(void)state;
	assert_int_equal(load("phones = { ldap = { uri = \"ldaps://dc1.example.org "
			      "ldaps://[2001:db8::1]:3269/\"; base = \"dc=example,dc=org\"; "
			      "bind_dn = \"CN=svc,DC=example,DC=org\"; bind_password = "
			      "\"pw\"; ca_file = \"/etc/ssl/ad-ca.pem\"; }; };\n"
			      GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	config_phone_sources(cfg, &src);
	assert_string_equal(src.ldap.uri, "ldaps://dc1.example.org ldaps://[2001:db8::1]:3269/");
	assert_string_equal(src.ldap.filter, "(uid={user})");
	assert_string_equal(src.ldap.attribute, "mobile");
	assert_int_equal(src.ldap.timeout, 5);
	assert_false(src.ldap.starttls);
	assert_string_equal(src.ldap.bind_password, "pw");
	assert_string_equal(src.ldap.ca_file, "/etc/ssl/ad-ca.pem");
	config_free(cfg);

	assert_int_equal(load("phones = { ldap = { uri = \"ldap://127.0.0.1:389 "
			      "ldap://[::1] ldap://localhost/\"; base = \"o=x\"; "
			      "filter = \"(&(objectClass=user)(sAMAccountName={user}))\"; "
			      "attribute = \"telephoneNumber\"; timeout = 60; }; };\n"
			      GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	config_phone_sources(cfg, &src);
	assert_null(src.ldap.bind_dn);
	assert_string_equal(src.ldap.attribute, "telephoneNumber");
	config_free(cfg);

	assert_int_equal(load("phones = { ldap = { uri = \"ldap://dir.example.org\"; "
			      "starttls = true; base = \"o=x\"; }; };\n" GOOD_PROVIDER,
			      NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	config_free(cfg);

	/* no group: no directory */
	assert_int_equal(load(GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	config_phone_sources(cfg, &src);
	assert_null(src.ldap.uri);
	config_free(cfg);
}

/* Each refusal: the text (with GOOD_PROVIDER appended unless it has its
 * own providers), arguments, and what the message must mention. */
static const struct {
	const char *text;
	const char *arg;
	const char *want1;
	const char *want2;
} refusals[] = {
	{ "length = 3;\n", NULL, ":1:", "length" },
	{ "length = 13;\n", NULL, ":1:", "out of range" },
	{ "\nlength = \"six\";\n", NULL, ":2:", "must be an integer" },
	{ "length = 6.5;\n", NULL, "length", "integer" },
	{ "ttl = 29;\n", NULL, "ttl", "30..3600" },
	{ "ttl = 3601;\n", NULL, "ttl", "out of range" },
	{ "max_tries = 0;\n", NULL, "max_tries", "1..10" },
	{ "max_tries = 11;\n", NULL, "max_tries", "1..10" },
	{ "alphabet = \"0\";\n", NULL, "alphabet", "2.." },
	{ "alphabet = \"0123456789\";\nalphabet2 = 1;\n", NULL, ":2:", "unknown key" },
	{ "alphabet = \"0120\";\n", NULL, "alphabet", "twice" },
	{ "alphabet = \"01 2\";\n", NULL, "alphabet", "printable" },
	{ "alphabet = \"01\\t2\";\n", NULL, "alphabet", "printable" },
	{ "template = \"Code {foo}\";\n", NULL, "template", "{foo}" },
	{ "template = \"Code {code\";\n", NULL, "template", "" },
	{ "prompt = \"Code for {nobody}: \";\n", NULL, "prompt", "{nobody}" },
	{ "prompt = \"Type {code}: \";\n", NULL, "prompt", "never show the code" },
	{ "prompt = \"Type %sms-code%: \";\n", NULL, "prompt", "never show the code" },
	{ "", "prompt=Type %1$s: ", "prompt", "never show the code" },
	{ "template = \"Your code expires in {ttl_min} min\";\n", NULL, "template", "no {code}" },
	{ "template = \"Literal {{code}}\";\n", NULL, "template", "no {code}" },
	{ "", "conf", "conf", "needs a value" },
	{ "failmode = \"maybe\";\n", NULL, "failmode", "closed" },
	{ "nullok = \"yes\";\n", NULL, "nullok", "true or false" },
	{ "debug = 1;\n", NULL, "debug", "true or false" },
	{ "colour = \"blue\";\n", NULL, ":1:", "unknown key" },
	{ "phones = { file = \"/x\"; fax = \"/y\"; };\n", NULL, "phones.fax", "unknown key" },
	{ "phones = { file = \"relative\"; };\n", NULL, "phones.file", "absolute" },
	{ "phones = { command = \"bin/lookup\"; };\n", NULL, "phones.command", "absolute" },
	{ "phones = { gecos = \"yes\"; };\n", NULL, "phones.gecos", "true or false" },
	{ "phones = { default_country = \"044\"; };\n", NULL, "default_country", "calling code" },
	{ "phones = { default_country = \"+44\"; };\n", NULL, "default_country", "calling code" },
	{ "phones = { allowed_countries = [\"44\", \"1234\"]; };\n", NULL, "allowed_countries", "1234" },
	{ "limits = { resend_after = 3601; };\n", NULL, "limits.resend_after", "0..3600" },
	{ "limits = { max_sends = 0; };\n", NULL, "limits.max_sends", "1..10000" },
	{ "limits = { send_window = 59; };\n", NULL, "send_window", "60..604800" },
	{ "limits = { lockout_after = 1001; };\n", NULL, "lockout_after", "0..1000" },
	{ "limits = { lockout_time = 0; };\n", NULL, "lockout_time", "1..604800" },
	{ "limits = { lockout_time = \"15m\"; };\n", NULL, "lockout_time", "integer" },
	{ "limits = { state_dir = \"var\"; };\n", NULL, "limits.state_dir", "absolute" },
	{ "limits = { speed = 1; };\n", NULL, "limits.speed", "unknown key" },
	/* the directory (phones.ldap) */
#define LDAP_OK_BASE "base = \"ou=people,dc=example,dc=org\"; "
	{ "phones = { ldap = { }; };\n", NULL, "phones.ldap.uri", "needed" },
	{ "phones = { ldap = { " LDAP_OK_BASE "}; };\n", NULL, "phones.ldap.uri", "needed" },
	{ "phones = { ldap = \"ldaps://dir\"; };\n", NULL, "phones.ldap", "must be a group" },
	{ "phones = { ldap = { uri = \"  \"; " LDAP_OK_BASE "}; };\n", NULL,
	  "phones.ldap.uri", "needed" },
	{ "phones = { ldap = { uri = \"ldap://dir.example.org\"; " LDAP_OK_BASE "}; };\n",
	  NULL, "phones.ldap.uri: 'ldap://dir.example.org'", "plain ldap:// only to a loopback" },
	{ "phones = { ldap = { uri = \"ldaps://a.example ldap://10.0.0.1:389\"; "
	  LDAP_OK_BASE "}; };\n", NULL, "'ldap://10.0.0.1:389'", "loopback" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; starttls = true; " LDAP_OK_BASE
	  "}; };\n", NULL, "phones.ldap.uri", "starttls is for ldap://" },
	{ "phones = { ldap = { uri = \"https://dir\"; " LDAP_OK_BASE "}; };\n", NULL,
	  "phones.ldap.uri", "not an ldaps:// or ldap:// URI" },
	{ "phones = { ldap = { uri = \"ldapi:///run/slapd/ldapi\"; " LDAP_OK_BASE "}; };\n",
	  NULL, "phones.ldap.uri", "not an ldaps://" },
	{ "phones = { ldap = { uri = \"ldaps:///\"; " LDAP_OK_BASE "}; };\n", NULL,
	  "phones.ldap.uri", "no host" },
	{ "phones = { ldap = { uri = \"ldaps://dir/dc=org??sub?(uid=x)\"; " LDAP_OK_BASE
	  "}; };\n", NULL, "phones.ldap.uri", "nothing may follow the host" },
	{ "phones = { ldap = { uri = \"ldaps://dir:ldaps\"; " LDAP_OK_BASE "}; };\n", NULL,
	  "phones.ldap.uri", "port" },
	{ "phones = { ldap = { uri = \"ldaps://[::1\"; " LDAP_OK_BASE "}; };\n", NULL,
	  "phones.ldap.uri", "unclosed" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; }; };\n", NULL, "phones.ldap.base",
	  "needed" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; base = \"\"; }; };\n", NULL,
	  "phones.ldap.base", "needed" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "filter = \"(uid=alice)\"; }; };\n", NULL, "phones.ldap.filter", "no {user}" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "filter = \"uid={user}\"; }; };\n", NULL, "phones.ldap.filter", "brackets" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "filter = \"(&(uid={user})\"; }; };\n", NULL, "phones.ldap.filter", "balance" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "filter = \"(uid={user}))(uid=*\"; }; };\n", NULL, "phones.ldap.filter", "balance" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "attribute = \"mobile phone\"; }; };\n", NULL, "phones.ldap.attribute",
	  "not an attribute name" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "attribute = \"\"; }; };\n", NULL, "phones.ldap.attribute", "not an attribute" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "bind_dn = \"cn=svc\"; }; };\n", NULL, "phones.ldap.bind_dn", "both" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "bind_password = \"secret-pw\"; }; };\n", NULL, "bind_password", "both" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "bind_dn = \"cn=svc\"; bind_password = \"\"; }; };\n", NULL, "bind_password",
	  "not empty" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "timeout = 0; }; };\n", NULL, "phones.ldap.timeout", "1..60" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "timeout = 61; }; };\n", NULL, "phones.ldap.timeout", "1..60" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "ca_file = \"ca.pem\"; }; };\n", NULL, "phones.ldap.ca_file", "absolute" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "starttls = \"yes\"; }; };\n", NULL, "phones.ldap.starttls", "true or false" },
	{ "phones = { ldap = { uri = \"ldaps://dir\"; " LDAP_OK_BASE
	  "scope = \"one\"; }; };\n", NULL, "phones.ldap.scope", "unknown key" },
	/* the shared database */
	{ "limits = { store = \"mysql\"; };\n", NULL, "limits.store", "postgresql" },
	{ "limits = { store = \"postgresql\"; };\n", NULL, "limits.postgresql.conninfo",
	  "needed with store" },
	{ "limits = { store = \"postgresql\"; postgresql = { conninfo = \"\"; }; };\n",
	  NULL, "limits.postgresql.conninfo", "needed with store" },
	{ "limits = { postgresql = \"host=db\"; };\n", NULL, "limits.postgresql",
	  "must be a group" },
	{ "limits = { postgresql = { timeout = 0; }; };\n", NULL,
	  "limits.postgresql.timeout", "1..60" },
	{ "limits = { postgresql = { timeout = 61; }; };\n", NULL,
	  "limits.postgresql.timeout", "1..60" },
	{ "limits = { postgresql = { fallback = \"files\"; }; };\n", NULL,
	  "limits.postgresql.fallback", "none file" },
	{ "limits = { postgresql = { host = \"db\"; }; };\n", NULL,
	  "limits.postgresql.host", "unknown key" },
	{ "limits = { postgresql = { password = 5; }; };\n", NULL,
	  "limits.postgresql.password", "string" },
	/* groups */
	{ "groups = [\"sms-users\", \"\"];\n", NULL, "groups", "'' is not a group name" },
	{ "groups = [\"!\"];\n", NULL, "groups", "'!' is not a group name" },
	{ "groups = [\"!!x\"];\n", NULL, "groups", "not a group name" },
	{ "groups = [\"a:b\"];\n", NULL, "groups", "'a:b' is not a group name" },
	{ "groups = [1];\n", NULL, "groups", "array of strings" },
	{ "", "groups=sms-users,,ops", "groups", "'' is not a group name" },
	{ "", "groups=sms-users, ops", "groups", "' ops' is not a group name" },
	{ "", "groups=", "groups", "not a group name" },
	/* messages: unknown keys, the code, bad UTF-8, control characters,
	 * placeholders a message does not tell, length, types */
	{ "messages = { welcome = \"Hallo\"; };\n", NULL, ":1:", "messages.welcome: unknown key" },
	{ "messages = \"Falsch\";\n", NULL, "messages", "must be a group" },
	{ "messages = { wrong = 5; };\n", NULL, "messages.wrong", "must be a string" },
	{ "messages = { wrong = \"Falsch: {code}\"; };\n", NULL, "messages.wrong",
	  "never show the code" },
	{ "\nmessages = { wrong = \"Falsch\xff\"; };\n", NULL, ":2: messages.wrong",
	  "not valid UTF-8 (byte 7)" },
	{ "messages = { expired = \"Abgelaufen \\xc3\\x28\"; };\n", NULL,
	  "messages.expired", "not valid UTF-8" },
	{ "messages = { locked = \"\\xed\\xa0\\x80\"; };\n", NULL, "messages.locked",
	  "not valid UTF-8" },
	{ "messages = { wrong = \"Falsch\\nnochmal\"; };\n", NULL, "messages.wrong",
	  "control character (U+000A)" },
	{ "messages = { wrong = \"\\x1b[31mFalsch\"; };\n", NULL, "messages.wrong",
	  "control character (U+001B)" },
	{ "messages = { wrong = \"\xc2\x9b" "31mFalsch\"; };\n", NULL, "messages.wrong",
	  "control character (U+009B)" },
	{ "messages = { wrong = \"Warte {wait} s\"; };\n", NULL, "messages.wrong", "{wait}" },
	{ "messages = { locked = \"Seit {ago} s\"; };\n", NULL, "messages.locked", "{ago}" },
	{ "messages = { cap = \"Bis {foo}\"; };\n", NULL, "messages.cap", "{foo}" },
	{ "messages = { sent_again = \"Neu {\"; };\n", NULL, "messages.sent_again", "" },
	{ "", "messages.wrong=Code {code}", "messages.wrong", "never show the code" },
	{ "", "messages.welcome=Hallo", "messages.welcome", "unknown argument" },
	{ "", "messages.wrong=Falsch\xc3(", "messages.wrong", "not valid UTF-8" },
	{ "", "messages.wrong", "messages.wrong", "needs a value" },
	{ "", "messages=x", "messages", "unknown argument" },
	{ "length = 6;\nttl = = 300;\n", NULL, "parse error", ":2:" },
	{ "@include \"/etc/passwd\"\n", NULL, ":1:", "@include" },
	{ "", "length=abc", "length=abc", "not an integer" },
	{ "", "length=99", "length=99", "out of range" },
	{ "", "colour=blue", "colour=blue", "unknown argument" },
	{ "", "frobnicate", "frobnicate", "unknown argument" },
	{ "", "length", "length", "needs a value" },
	{ "", "failmode=ajar", "failmode", "closed" },
	{ "", "provider=nope", "provider", "nope" },
	{ "", "provider=gw,gw", "provider", "twice" },
	{ "", "template={bad}", "template", "{bad}" },
	{ "providers = ();\n", NULL, "no providers", "" },
	{ "providers = ( { name = \"x\"; type = \"twilio\"; account_sid = \"AC1\";\n"
	  "  sender = \"ACME\"; } );\n", NULL, "provider 'x'",
	  "twilio needs account_sid and auth_token (auth_token is missing)" },
	{ "providers = ( { name = \"x\"; type = \"twilio\"; account_sid = \"AC1\";\n"
	  "  auth_token = \"t\"; } );\n", NULL, "provider 'x'",
	  "either sender or messaging_service_sid" },
	{ "providers = ( { name = \"x\"; type = \"twilio\"; account_sid = \"AC1\";\n"
	  "  auth_token = \"t\"; sender = \"A\"; messaging_service_sid = \"MG1\"; } );\n",
	  NULL, "provider 'x'", "not both" },
	{ "providers = ( { name = \"x\"; type = \"twilio\"; account_sid = \"AC1\";\n"
	  "  auth_token = \"t\"; sender = \"A\"; api_key = \"k\"; } );\n",
	  NULL, "api_key", "does not apply" },
	{ "providers = ( { name = \"x\"; type = \"twilio\"; account_sid = \"AC1\";\n"
	  "  auth_token = \"t\"; sender = \"A\"; bearer = \"b\"; } );\n",
	  NULL, "bearer", "does not apply" },
	{ "providers = ( { name = \"x\"; type = \"vonage\"; api_key = \"k\";\n"
	  "  api_secret = \"s\"; } );\n", NULL, "provider 'x'", "vonage needs sender" },
	{ "providers = ( { name = \"x\"; type = \"messagebird\"; sender = \"A\"; } );\n",
	  NULL, "provider 'x'", "messagebird needs access_key" },
	{ "providers = ( { name = \"x\"; type = \"plivo\"; auth_id = \"MA1\";\n"
	  "  sender = \"A\"; } );\n", NULL, "provider 'x'", "auth_token is missing" },
	{ "providers = ( { name = \"x\"; type = \"sinch\"; service_plan_id = \"p\";\n"
	  "  api_token = \"t\"; region = \"de\"; } );\n", NULL, "provider 'x'",
	  "region must be one of us, eu, au, br, ca" },
	{ "providers = ( { name = \"x\"; type = \"infobip\"; } );\n", NULL,
	  "provider 'x'", "infobip needs api_key" },
	{ "providers = ( { name = \"x\"; type = \"clickatell\"; api_key = \"\"; } );\n",
	  NULL, "provider 'x'", "clickatell needs api_key" },
	{ "providers = ( { name = \"x\"; type = \"aws_sns\"; access_key_id = \"A\";\n"
	  "  secret_access_key = \"s\"; } );\n", NULL, "provider 'x'",
	  "aws_sns needs region, access_key_id and secret_access_key (region is missing)" },
	{ "providers = ( { name = \"x\"; type = \"aws_sns\"; region = \"us east\";\n"
	  "  access_key_id = \"A\"; secret_access_key = \"s\"; } );\n", NULL,
	  "provider 'x'", "AWS region" },
	{ "providers = ( { name = \"x\"; type = \"infobip\"; api_key = \"k\";\n"
	  "  url = \"http://example.com/sms/2/text/advanced\"; } );\n", NULL,
	  "provider 'x'", "https://" },
	{ "providers = ( { name = \"x\"; type = \"pigeon\"; } );\n", NULL, "pigeon", "unknown type" },
	{ "providers = ( { type = \"http\"; url = \"https://a/\"; } );\n", NULL, "providers[0]", "name" },
	{ "providers = ( { name = \"x\"; url = \"https://a/\"; } );\n", NULL, "providers[0]", "type" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; colour = 1; } );\n",
	  NULL, "provider 'x': colour", "unknown key" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; timeout = 0; } );\n",
	  NULL, "timeout", "out of range" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; timeout = \"5\"; } );\n",
	  NULL, "timeout", "integer" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; timeout = 3;\n"
	  "  connect_timeout = 5; } );\n", NULL, "provider 'x'", "connect_timeout" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; method = \"DELETE\"; } );\n",
	  NULL, "method", "POST" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; format = \"xml\"; } );\n",
	  NULL, "format", "json" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\";\n"
	  "  success_status = [200, 700]; } );\n", NULL, "success_status", "100..599" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; headers = [1, 2]; } );\n",
	  NULL, "headers", "" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; path = \"/x\"; } );\n",
	  NULL, "path", "does not apply" },
	{ "providers = ( { name = \"x\"; type = \"file\"; path = \"/x\"; url = \"https://a/\"; } );\n",
	  NULL, "url", "does not apply" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"http://example.com/\"; } );\n",
	  NULL, "provider 'x'", "https" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/{secret}\"; } );\n",
	  NULL, "provider 'x'", "{secret}" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; },\n"
	  "  { name = \"x\"; type = \"file\"; path = \"/tmp/x\"; } );\n", NULL, ":2:", "same name" },
	{ "providers = ( { name = \"x\"; type = \"http\"; url = \"https://a/\"; } );\n"
	  "provider = \"y\";\n", NULL, "provider", "'y'" },
};

static void
test_refusals(void **state)
{
	struct smsotp_config *cfg;
	char text[2048], err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *args[1] = { refusals[i].arg };
		int rc;

		snprintf(text, sizeof(text), "%s%s", refusals[i].text,
			 strstr(refusals[i].text, "providers") != NULL ? "" : GOOD_PROVIDER);
		cfg = NULL;
		err[0] = '\0';
		rc = load(text, args, refusals[i].arg != NULL ? 1 : 0, &cfg, err, sizeof(err));
		if (rc != CONFIG_EINVAL || cfg != NULL)
			fail_msg("case %zu (%s%s): accepted", i, refusals[i].text,
				 refusals[i].arg != NULL ? refusals[i].arg : "");
		if (strstr(err, refusals[i].want1) == NULL ||
		    strstr(err, refusals[i].want2) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s' or '%s'", i, err,
				 refusals[i].want1, refusals[i].want2);
	}
}

/*
 * The refusals that tests/pam/config_refusals.sh once checked through a
 * whole PAM login each, as rows (the script keeps a few to show the wiring:
 * a refusal is PAM_SERVICE_ERR, with this message in the log, no prompt,
 * nothing sent).  text is the whole file; arg1/arg2 are module arguments
 * after conf=; the message must contain want1 and want2.
 */
#define LOOP_URL "url = \"http://127.0.0.1:9/sms\";"
#define LOOP_PROVIDER "providers = ( { name = \"gw\"; type = \"http\"; " LOOP_URL " } );\n"
#define PAM_STD "template = \"CODE={code}\";\nphones = { file = \"/x/phones\"; };\n" \
	"limits = { state_dir = \"/x/state\"; resend_after = 0; };\n" LOOP_PROVIDER
#define PAM_PROVIDER(body) "template = \"CODE={code}\";\nproviders = ( { " body " } );\n"
#define PAM_LIMITS(key) "limits = { state_dir = \"/x/state\"; " key "; };\n" LOOP_PROVIDER, NULL, NULL
#define PAM_PHONES(key) "phones = { file = \"/x/phones\"; " key "; };\n" LOOP_PROVIDER, NULL, NULL
static const struct {
	const char *text;
	const char *arg1;
	const char *arg2;
	const char *want1;
	const char *want2;
} pam_refusals[] = {
	/* the file */
	{ "template = \"CODE={code}\";\nlength = ;\n" LOOP_PROVIDER, NULL, NULL,
	  "parse error", ":2:" },
	{ "template = \"CODE={code}\"\nphones = { file = \"/x/phones\"; ;\n" LOOP_PROVIDER,
	  NULL, NULL, "parse error", ":2:" },
	{ PAM_STD "template = \"again {code}\";\n", NULL, NULL, ":5:", "duplicate setting name" },
	/* keys */
	{ PAM_STD "colour = \"red\";\n", NULL, NULL, "colour", "unknown key" },
	{ PAM_PHONES("colour = 1"), "phones.colour", "unknown key" },
	{ PAM_LIMITS("colour = 1"), "limits.colour", "unknown key" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL " colour = 1;"), NULL, NULL,
	  "provider 'gw': colour", "unknown key" },
	{ PAM_STD "length = \"six\";\n", NULL, NULL, "length", "integer" },
	{ PAM_STD "ttl = 1.5;\n", NULL, NULL, "ttl", "integer" },
	{ PAM_STD "nullok = \"yes\";\n", NULL, NULL, "nullok", "true or false" },
	{ PAM_STD "template2 = 1;\n", NULL, NULL, "template2", "unknown key" },
	{ "template = \"CODE={code}\";\nphones = \"/etc/passwd\";\n" LOOP_PROVIDER, NULL, NULL,
	  "phones", "must be a group" },
	{ PAM_STD "length = 3;\n", NULL, NULL, "length", "out of range" },
	{ PAM_STD "ttl = 3601;\n", NULL, NULL, "ttl", "30..3600" },
	{ PAM_STD "max_tries = 0;\n", NULL, NULL, "max_tries", "1..10" },
	{ PAM_STD "alphabet = \"0123456789 0\";\n", NULL, NULL, "alphabet", "'0' appears twice" },
	{ PAM_STD "alphabet = \"ABCA\";\n", NULL, NULL, "alphabet", "twice" },
	{ PAM_STD "alphabet = \"01 2\";\n", NULL, NULL, "alphabet", "printable" },
	{ PAM_STD "alphabet = \"7\";\n", NULL, NULL, "alphabet", "2.." },
	{ PAM_STD "alphabet = \"\";\n", NULL, NULL, "alphabet", "needs 2..64 characters" },
	{ PAM_STD "alphabet = \"01\\t2\";\n", NULL, NULL, "alphabet", "printable" },
	{ "template = \"CODE={code} {foo}\";\n" LOOP_PROVIDER, NULL, NULL, "template", "{foo}" },
	{ "template = \"CODE={code\";\n" LOOP_PROVIDER, NULL, NULL, "template",
	  "unmatched '{' at column 6" },
	{ PAM_STD "prompt = \"Code for {foo}: \";\n", NULL, NULL, "prompt", "{foo}" },
	/* the prompt never shows the code: in the file and as an argument */
	{ PAM_STD "prompt = \"OTP-PROMPT {code}: \";\n", NULL, NULL, "prompt",
	  "never show the code" },
	{ PAM_STD "prompt = \"OTP-PROMPT %1$s: \";\n", NULL, NULL, "prompt",
	  "never show the code" },
	{ PAM_STD "prompt = \"OTP-PROMPT %sms-code%: \";\n", NULL, NULL, "prompt",
	  "never show the code" },
	{ PAM_STD, "prompt=OTP-PROMPT {code}: ", NULL, "prompt", "never show the code" },
	{ PAM_STD, "prompt=OTP-PROMPT %1$s: ", NULL, "prompt", "never show the code" },
	{ PAM_STD, "prompt=OTP-PROMPT %sms-code%: ", NULL, "prompt", "never show the code" },
	{ PAM_STD "prompt = \"OTP-PROMPT {user} {phone_masked} {code}: \";\n", NULL, NULL,
	  "prompt", "never show the code" },
	/* a template without the code */
	{ "template = \"Expires in {ttl_min} min\";\n" LOOP_PROVIDER, NULL, NULL, "template",
	  "no {code}" },
	{ "template = \"Literal {{code}}\";\n" LOOP_PROVIDER, NULL, NULL, "template", "no {code}" },
	{ "template = \"Your login code\";\n" LOOP_PROVIDER, NULL, NULL, "template", "no {code}" },
	{ PAM_STD, "template=Expires in {ttl_min} min", NULL, "template", "no {code}" },
	{ PAM_STD "failmode = \"sometimes\";\n", NULL, NULL, "failmode", "closed" },
	/* providers */
	{ PAM_STD "provider = \"nope\";\n", NULL, NULL, "provider", "'nope'" },
	{ PAM_STD "provider = [\"gw\", \"nope\"];\n", NULL, NULL, "provider", "'nope'" },
	{ "template = \"CODE={code}\";\nproviders = ( { name = \"gw\"; type = \"http\"; " LOOP_URL
	  " },\n  { name = \"gw\"; type = \"http\"; " LOOP_URL " } );\n", NULL, NULL,
	  "providers", "same name" },
	{ PAM_PROVIDER("name = \"gw\"; " LOOP_URL), NULL, NULL, "providers[0]", "type" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"pigeon\"; " LOOP_URL), NULL, NULL, "pigeon",
	  "unknown type" },
	{ PAM_PROVIDER("type = \"http\"; " LOOP_URL), NULL, NULL, "providers[0]", "name" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; url = \"http://example.com/sms\";"),
	  NULL, NULL, "provider 'gw'", "https" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; url = \"http://192.0.2.1/sms\";"),
	  NULL, NULL, "provider 'gw'", "https" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; url = \"ftp://127.0.0.1:2121/sms\";"),
	  NULL, NULL, "provider 'gw'", "url must be https://" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; url = \"http://127.0.0.1@example.com/sms\";"),
	  NULL, NULL, "provider 'gw'", "https" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL
		       " proxy = \"http://127.0.0.1:8/\";"), NULL, NULL, "provider 'gw'",
	  "cannot go through a proxy" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL " method = \"DELETE\";"),
	  NULL, NULL, "method", "POST" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL " format = \"xml\";"),
	  NULL, NULL, "format", "json" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL
		       " body = \"to={phone}&x={code}\"; format = \"form\";"), NULL, NULL,
	  "provider 'gw'", "{code}" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL
		       " headers = [\"no colon here\"];"), NULL, NULL, "provider 'gw'",
	  "header 1 must be \"Name: value\"" },
	{ PAM_PROVIDER("name = \"gw\"; type = \"http\"; " LOOP_URL
		       " success_json = \"no-equals-sign\";"), NULL, NULL, "success_json",
	  "must be \"path=value\"" },
	/* limits, phones */
	{ PAM_LIMITS("resend_after = -1"), "limits.resend_after", "0..3600" },
	{ PAM_LIMITS("max_sends = 0"), "limits.max_sends", "1..10000" },
	{ PAM_LIMITS("send_window = 30"), "limits.send_window", "60..604800" },
	{ PAM_LIMITS("lockout_after = 5000"), "limits.lockout_after", "0..1000" },
	{ PAM_LIMITS("lockout_time = \"15m\""), "limits.lockout_time", "integer" },
	{ PAM_LIMITS("lockout = 3"), "limits.lockout", "unknown key" },
	{ PAM_PHONES("command = \"echo\""), "phones.command", "absolute" },
	{ PAM_PHONES("gecos = \"yes\""), "phones.gecos", "true or false" },
	{ PAM_PHONES("default_country = \"+44\""), "phones.default_country", "calling code" },
	{ PAM_PHONES("allowed_countries = [\"44\", \"0\"]"), "phones.allowed_countries", "'0'" },
	/* vendor presets, the command provider */
	{ PAM_PROVIDER("name = \"tw\"; type = \"twilio\"; account_sid = \"AC0\"; sender = \"+15005550006\";"),
	  NULL, NULL, "provider 'tw'",
	  "twilio needs account_sid and auth_token (auth_token is missing)" },
	{ PAM_PROVIDER("name = \"tw\"; type = \"twilio\"; account_sid = \"AC0\"; auth_token = \"t\";"),
	  NULL, NULL, "provider 'tw'", "twilio needs either sender or messaging_service_sid" },
	{ PAM_PROVIDER("name = \"vo\"; type = \"vonage\"; api_key = \"k\"; api_secret = \"s\";"),
	  NULL, NULL, "provider 'vo'", "vonage needs sender" },
	{ PAM_PROVIDER("name = \"vo\"; type = \"vonage\"; api_key = \"k\"; api_secret = \"s\";"
		       " sender = \"A\"; bearer = \"x\";"), NULL, NULL, "bearer", "does not apply" },
	{ PAM_PROVIDER("name = \"si\"; type = \"sinch\"; service_plan_id = \"p\"; api_token = \"t\";"
		       " region = \"evil.example.com#\";"), NULL, NULL, "provider 'si'",
	  "region must be one of us, eu, au, br, ca" },
	{ PAM_PROVIDER("name = \"sns\"; type = \"aws_sns\"; access_key_id = \"AKID\";"
		       " secret_access_key = \"s\";"), NULL, NULL, "provider 'sns'",
	  "aws_sns needs region, access_key_id and secret_access_key (region is missing)" },
	{ PAM_PROVIDER("name = \"ib\"; type = \"infobip\"; api_key = \"k\";"
		       " url = \"http://api.infobip.com/sms/2/text/advanced\";"), NULL, NULL,
	  "provider 'ib'", "https://" },
	{ PAM_PROVIDER("name = \"cmd\"; type = \"command\"; argv = [\"true\", \"{phone}\"];"),
	  NULL, NULL, "provider 'cmd'", "absolute" },
	{ PAM_PROVIDER("name = \"cmd\"; type = \"command\"; argv = [\"/bin/true\"]; url = \"https://a/\";"),
	  NULL, NULL, "url", "does not apply" },
	{ PAM_PROVIDER("name = \"cmd\"; type = \"command\";"
		       " argv = [\"/usr/bin/sms-send\", \"{phone}\", \"--text={message}\"];"),
	  NULL, NULL, "provider 'cmd'", "argv[2]: {message} is not allowed in argv" },
	/* module arguments */
	{ PAM_STD, "colour=red", NULL, "colour=red", "unknown argument" },
	{ PAM_STD, "verbose", NULL, "verbose", "unknown argument" },
	{ PAM_STD, "length=abc", NULL, "length=abc", "not an integer" },
	{ PAM_STD, "length=7x", NULL, "length=7x", "not an integer" },
	{ PAM_STD, "length=13", NULL, "length=13", "out of range" },
	{ PAM_STD, "ttl=", NULL, "ttl=", "is not an integer" },
	{ PAM_STD, "failmode=maybe", NULL, "failmode", "closed" },
	{ PAM_STD, "provider=gw,nope", NULL, "provider", "'nope'" },
	{ PAM_STD, "template=Code {nope}", NULL, "template", "{nope}" },
	{ PAM_STD, "conf", NULL, "conf", "needs a value" },
	{ PAM_STD, "state_dir=/tmp", NULL, "state_dir=/tmp", "unknown argument" },
	/* failmode=open never turns a configuration error into a pass */
	{ PAM_STD "failmode = \"open\";\ncolour = 1;\n", NULL, NULL, "colour", "unknown key" },
};

static void
test_pam_refusals(void **state)
{
	struct smsotp_config *cfg;
	char err[512];
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(pam_refusals) / sizeof(pam_refusals[0]); i++) {
		const char *args[2] = { pam_refusals[i].arg1, pam_refusals[i].arg2 };
		int nargs = args[1] != NULL ? 2 : args[0] != NULL ? 1 : 0;

		cfg = NULL;
		err[0] = '\0';
		if (load(pam_refusals[i].text, args, nargs, &cfg, err, sizeof(err)) !=
		    CONFIG_EINVAL || cfg != NULL) {
			print_error("row %zu (%s%s): accepted\n", i, pam_refusals[i].text,
				    args[0] != NULL ? args[0] : "");
			config_free(cfg);
			bad++;
		} else if (strstr(err, pam_refusals[i].want1) == NULL ||
			   strstr(err, pam_refusals[i].want2) == NULL) {
			print_error("row %zu: message '%s' lacks '%s' or '%s'\n", i, err,
				    pam_refusals[i].want1, pam_refusals[i].want2);
			bad++;
		}
	}
	if (bad > 0)
		fail_msg("%d of %zu rows", bad, i);
}

/* A bare conf is refused even before a good conf= (the PAM script's
 * "conf conf=PATH" line). */
static void
test_bare_conf_first(void **state)
{
	struct smsotp_config *cfg = NULL;
	char err[512];
	const char *argv[2] = { "conf", confarg };

	(void)state;
	write_conf(GOOD_PROVIDER, 0600);
	assert_int_equal(config_load(2, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err, "needs a value"));
}

/* Every vendor preset, as an administrator writes it, loads. */
static void
test_presets_load(void **state)
{
	static const char text[] =
		"providers = (\n"
		" { name = \"tw\"; type = \"twilio\"; account_sid = \"AC0123\";\n"
		"   auth_token = \"tok\"; sender = \"+15005550006\"; },\n"
		" { name = \"tw2\"; type = \"twilio\"; account_sid = \"AC0123\";\n"
		"   auth_token = \"tok\"; messaging_service_sid = \"MG0123\"; },\n"
		" { name = \"vo\"; type = \"vonage\"; api_key = \"k\"; api_secret = \"s\";\n"
		"   sender = \"ACME\"; timeout = 5; retries = 2; },\n"
		" { name = \"mb\"; type = \"messagebird\"; access_key = \"k\"; sender = \"ACME\"; },\n"
		" { name = \"pl\"; type = \"plivo\"; auth_id = \"MA1\"; auth_token = \"t\";\n"
		"   sender = \"+14155550100\"; },\n"
		" { name = \"si\"; type = \"sinch\"; service_plan_id = \"p\"; api_token = \"t\";\n"
		"   region = \"eu\"; },\n"
		" { name = \"ib\"; type = \"infobip\"; api_key = \"k\";\n"
		"   url = \"https://xyz123.api.infobip.com/sms/2/text/advanced\"; },\n"
		" { name = \"ct\"; type = \"clickatell\"; api_key = \"k\"; },\n"
		" { name = \"sns\"; type = \"aws_sns\"; region = \"eu-west-1\";\n"
		"   access_key_id = \"AKID\"; secret_access_key = \"s\"; sender = \"ACME\";\n"
		"   proxy = \"http://proxy.example:3128\"; ca_file = \"/etc/ssl/ca.pem\"; }\n"
		");\n";
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	if (load(text, NULL, 0, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("refused: %s", err);
	assert_int_equal(cfg->n_chain, 9);
	assert_int_equal(cfg->chain[0]->type, SMS_TYPE_TWILIO);
	assert_string_equal(cfg->chain[1]->messaging_service_sid, "MG0123");
	assert_int_equal(cfg->chain[2]->retries, 2);
	assert_string_equal(cfg->chain[5]->region, "eu");
	assert_int_equal(cfg->chain[8]->type, SMS_TYPE_AWS_SNS);
	assert_string_equal(cfg->chain[8]->secret_access_key, "s");
	config_free(cfg);
}

static void
test_file_trust(void **state)
{
	static const mode_t modes[] = { 0620, 0602, 0601 };
	struct smsotp_config *cfg = NULL;
	char err[512], link[300], want[32];
	const char *argv[1] = { confarg };
	size_t i;

	(void)state;
	write_conf(GOOD_PROVIDER, 0640);
	assert_int_equal(config_load(1, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "mode 0640"));
	write_conf(GOOD_PROVIDER, 0604);
	assert_int_equal(config_load(1, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	/* group or other may neither write nor execute it either */
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_conf(GOOD_PROVIDER, modes[i]);
		assert_int_equal(config_load(1, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
		assert_null(cfg);
		snprintf(want, sizeof(want), "mode 0%o", (unsigned)modes[i]);
		if (strstr(err, want) == NULL)
			fail_msg("mode 0%o: message '%s' lacks '%s'", (unsigned)modes[i], err, want);
	}
	/* owned by another user (only root can give it away) */
	if (geteuid() == 0) {
		write_conf(GOOD_PROVIDER, 0600);
		assert_int_equal(chown(conf, 65534, (gid_t)-1), 0);
		assert_int_equal(config_load(1, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
		assert_null(cfg);
		assert_int_equal(chown(conf, 0, (gid_t)-1), 0);
	}
	write_conf(GOOD_PROVIDER, 0400);
	assert_int_equal(config_load(1, argv, &cfg, err, sizeof(err)), CONFIG_OK);
	config_free(cfg);
	cfg = NULL;

	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(symlink(conf, link), 0);
	assert_int_equal(config_load_file(link, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "symbolic link"));
	unlink(link);

	assert_int_equal(config_load_file(dir, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(link, sizeof(link), "%s/missing.conf", dir);
	assert_int_equal(config_load_file(link, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "missing.conf"));
	assert_int_equal(config_load_file("relative.conf", &cfg, err, sizeof(err)),
			 CONFIG_EINVAL);
	assert_null(cfg);
}

static void
test_huge_file(void **state)
{
	struct smsotp_config *cfg = NULL;
	char err[512];
	FILE *f = fopen(conf, "w");
	int i;

	(void)state;
	assert_non_null(f);
	for (i = 0; i < 40000; i++)
		fputs("# a comment line to make the file larger than a MiB\n", f);
	fclose(f);
	assert_int_equal(chmod(conf, 0600), 0);
	assert_int_equal(config_load_file(conf, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "larger than"));
}

/* The file SRCDIR/rel written as the configuration under test (between
 * before and after, when not NULL), 0600. */
static void
copy_example(const char *rel, const char *before, const char *after)
{
	char path[300], buf[8192];
	size_t n;
	FILE *in, *out;

	snprintf(path, sizeof(path), SRCDIR "/%s", rel);
	in = fopen(path, "r");
	if (in == NULL)
		fail_msg("%s is missing", path);
	out = fopen(conf, "w");
	assert_non_null(out);
	if (before != NULL)
		fputs(before, out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	if (after != NULL)
		fputs(after, out);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(conf, 0600), 0);
}

/* An example loaded as shipped: it is what administrators copy. */
static struct smsotp_config *
load_example(const char *rel, const char *before, const char *after)
{
	struct smsotp_config *cfg = NULL;
	char err[512];

	copy_example(rel, before, after);
	if (config_load_file(conf, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("%s refused: %s", rel, err);
	return cfg;
}

/* The shipped example must load as it is: it is what administrators copy. */
static void
test_example_loads(void **state)
{
	struct smsotp_config *cfg = load_example("examples/pam_smsotp.conf", NULL, NULL);

	(void)state;
	assert_int_equal(cfg->n_chain, 1);
	assert_string_equal(cfg->chain[0]->name, "gateway");
	assert_int_equal(cfg->n_providers, 2);
	config_free(cfg);
}

/* The example's commented `groups` line and `messages` block load once
 * uncommented (the '#' at the start of those lines taken away), so that
 * they cannot rot either. */
static void
test_example_commented_blocks(void **state)
{
	struct smsotp_config *cfg = NULL;
	char err[512], line[1024];
	FILE *in = fopen(SRCDIR "/examples/pam_smsotp.conf", "r"), *out;
	int in_messages = 0, uncommented = 0;

	(void)state;
	assert_non_null(in);
	out = fopen(conf, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		int take = strncmp(line, "#groups = ", 10) == 0 || in_messages ||
			strncmp(line, "#messages = {", 13) == 0;

		if (strncmp(line, "#messages = {", 13) == 0)
			in_messages = 1;
		else if (in_messages && strncmp(line, "#};", 3) == 0)
			in_messages = 0;
		uncommented += take;
		fputs(take ? line + 1 : line, out);
	}
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(conf, 0600), 0);
	assert_true(uncommented >= 14);
	if (config_load_file(conf, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("examples/pam_smsotp.conf with groups and messages refused: %s", err);
	assert_int_equal(cfg->n_groups, 1);
	assert_string_equal(cfg->groups[0], "sms-users");
	assert_string_equal(config_message(cfg, MSG_WRONG),
			    "Falscher Code, bitte erneut versuchen.");
	assert_string_equal(config_message(cfg, MSG_SENT_AGAIN), "Ein neuer Code wurde gesendet.");
	config_free(cfg);
}

/* The fleet example loads as shipped too, with its database settings. */
static void
test_fleet_example_loads(void **state)
{
	struct smsotp_config *cfg = load_example("examples/pam_smsotp-fleet.conf",
						 NULL, NULL);

	(void)state;
	assert_int_equal(cfg->store, CONFIG_STORE_POSTGRESQL);
	assert_non_null(strstr(cfg->pg_conninfo, "target_session_attrs=read-write"));
	assert_non_null(strstr(cfg->pg_conninfo, "sslmode=verify-full"));
	assert_int_equal(cfg->pg_timeout, 3);
	config_free(cfg);
}

/* The Active Directory example loads as shipped, with its LDAP group. */
static void
test_ldap_example_loads(void **state)
{
	struct smsotp_config *cfg = load_example("examples/pam_smsotp-ldap.conf",
						 NULL, NULL);
	struct phone_sources src;

	(void)state;
	config_phone_sources(cfg, &src);
	assert_non_null(src.ldap.uri);
	assert_string_equal(src.ldap.attribute, "mobile");
	assert_non_null(strstr(src.ldap.filter, "sAMAccountName={user}"));
	assert_int_equal(src.ldap.timeout, 3);
	config_free(cfg);
}

/* examples/providers/<type>.conf, pasted into `providers` as the files say,
 * load and pass the checks as shipped. */
static void
test_provider_examples_load(void **state)
{
	static const char *const types[] = { "twilio", "vonage", "messagebird",
		"plivo", "sinch", "infobip", "clickatell", "aws_sns" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct smsotp_config *cfg;
		char rel[100];

		snprintf(rel, sizeof(rel), "examples/providers/%s.conf", types[i]);
		cfg = load_example(rel, "providers = (\n", ");\n");
		assert_int_equal(cfg->n_providers, 1);
		assert_string_equal(sms_type_name(cfg->providers[0]->type), types[i]);
		config_free(cfg);
	}
}

/* ---------------------------------------------------------------------
 * The `messages` group (config/messages.c): the defaults are what the
 * module said before and pass their own check, a German and a Hindi set
 * load from the file and an argument overrides one key, the length limit,
 * and the man page lists every key with its default.  The refusals
 * (unknown key, {code}, bad UTF-8, control characters) are rows of
 * refusals[] above.
 */

/* load() with GOOD_PROVIDER after text. */
static int
load_with_provider(const char *text, const char **args, int nargs,
		   struct smsotp_config **cfg, char *err, size_t errlen)
{
	char full[4096];

	snprintf(full, sizeof(full), "%s%s", text, GOOD_PROVIDER);
	return load(full, args, nargs, cfg, err, errlen);
}

/* The texts the module showed before the group existed. */
static void
test_message_defaults(void **state)
{
	static const char *const before[MSG_COUNT] = {
		[MSG_WRONG] = "Wrong code, please try again.",
		[MSG_TOO_MANY] = "Wrong code. Too many tries.",
		[MSG_EXPIRED] = "The code has expired. Please log in again to get a new one.",
		[MSG_SPENT] = "This code is no longer valid. Please log in again to get a new one.",
		[MSG_NOT_SENT] = "The SMS code could not be sent. Please try again later.",
		[MSG_UNAVAILABLE] = "The SMS code check is not available. Please try again later.",
		[MSG_LOCKED] = "Too many wrong codes: SMS login is locked for {wait_min} more minute(s).",
		[MSG_CAP] = "No more SMS codes can be sent for now. The next one can be sent in {wait_min} minute(s).",
		[MSG_CAP_RESEND] = "No more SMS codes can be sent for now (the next in {wait_min} minute(s)); enter the last code.",
		[MSG_REUSE] = "Enter the code sent {ago} s ago (a new one can be sent in {wait} s).",
		[MSG_RESEND_WAIT] = "A new code can be sent in {wait} s; enter the last code, or press Enter then.",
		[MSG_SENT_AGAIN] = "A new code was sent.",
	};
	struct smsotp_config *cfg = NULL;
	char err[512], why[256];
	int i;

	(void)state;
	assert_int_equal(load(GOOD_PROVIDER, NULL, 0, &cfg, err, sizeof(err)), CONFIG_OK);
	for (i = 0; i < MSG_COUNT; i++) {
		assert_non_null(messages_table[i].key);
		assert_int_equal(messages_find(messages_table[i].key), i);
		assert_string_equal(config_message(cfg, (enum msg_id)i), before[i]);
		if (messages_check((enum msg_id)i, messages_table[i].text, why,
				   sizeof(why)) != 0)
			fail_msg("default of %s refused: %s", messages_table[i].key, why);
	}
	assert_int_equal(messages_find("nope"), -1);
	config_free(cfg);
}

/* The messages' placeholders are the prompt's: all but {code}. */
static void
test_message_placeholders(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(messages_n_placeholders, config_n_message_placeholders - 1);
	for (i = 0; i < messages_n_placeholders; i++)
		assert_string_equal(messages_placeholders[i],
				    config_message_placeholders[i + 1]);
}

static void
test_messages_german_hindi(void **state)
{
	static const char de[] =
		"messages = {\n"
		"  wrong = \"Falscher Code, bitte erneut versuchen.\";\n"
		"  locked = \"SMS-Anmeldung für {wait_min} Minute(n) gesperrt, {user}.\";\n"
		"  reuse = \"Code von vor {ago} s eingeben (neuer in {wait} s, {wait_min} min).\";\n"
		"  not_sent = \"Die SMS an {phone_masked} ging nicht raus: 100% sicher.\";\n"
		"};\n";
	static const char hi[] =
		"messages = { wrong = \"गलत कोड, कृपया फिर से प्रयास करें।\";\n"
		"  cap = \"अभी और SMS कोड नहीं भेजे जा सकते। अगला {wait_min} मिनट में।\"; };\n";
	const char *args[] = { "messages.wrong=Falsch auf {host}", "messages.spent=Schon benutzt." };
	struct smsotp_config *cfg = NULL;
	char err[512];

	(void)state;
	if (load_with_provider(de, NULL, 0, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("German set refused: %s", err);
	assert_string_equal(config_message(cfg, MSG_WRONG), "Falscher Code, bitte erneut versuchen.");
	assert_string_equal(config_message(cfg, MSG_LOCKED),
			    "SMS-Anmeldung für {wait_min} Minute(n) gesperrt, {user}.");
	assert_string_equal(config_message(cfg, MSG_EXPIRED), messages_table[MSG_EXPIRED].text);
	config_free(cfg);
	cfg = NULL;
	/* the argument wins over the file, per service */
	if (load_with_provider(de, args, 2, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("German set with arguments refused: %s", err);
	assert_string_equal(config_message(cfg, MSG_WRONG), "Falsch auf {host}");
	assert_string_equal(config_message(cfg, MSG_SPENT), "Schon benutzt.");
	assert_string_equal(config_message(cfg, MSG_REUSE),
			    "Code von vor {ago} s eingeben (neuer in {wait} s, {wait_min} min).");
	config_free(cfg);
	cfg = NULL;
	if (load_with_provider(hi, NULL, 0, &cfg, err, sizeof(err)) != CONFIG_OK)
		fail_msg("Hindi set refused: %s", err);
	assert_string_equal(config_message(cfg, MSG_WRONG), "गलत कोड, कृपया फिर से प्रयास करें।");
	config_free(cfg);
}

/* MSG_MAX_BYTES bytes are taken, one more is refused (Devanagari: 3 bytes
 * a character). */
static void
test_message_length(void **state)
{
	char text[MSG_MAX_BYTES + 8], arg[MSG_MAX_BYTES + 32], why[256];
	struct smsotp_config *cfg = NULL;
	const char *args[1] = { arg };
	char err[512];
	size_t n = 0;

	(void)state;
	while (n + 3 <= MSG_MAX_BYTES) {
		memcpy(text + n, "क", 3);
		n += 3;
	}
	while (n < MSG_MAX_BYTES)
		text[n++] = '.';
	text[n] = '\0';
	assert_int_equal(messages_check(MSG_WRONG, text, why, sizeof(why)), 0);
	snprintf(arg, sizeof(arg), "messages.wrong=%s", text);
	assert_int_equal(load(GOOD_PROVIDER, args, 1, &cfg, err, sizeof(err)), CONFIG_OK);
	config_free(cfg);
	cfg = NULL;
	text[n++] = '.';
	text[n] = '\0';
	assert_int_equal(messages_check(MSG_WRONG, text, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than 512 bytes"));
	snprintf(arg, sizeof(arg), "messages.wrong=%s", text);
	assert_int_equal(load(GOOD_PROVIDER, args, 1, &cfg, err, sizeof(err)), CONFIG_EINVAL);
	assert_non_null(strstr(err, "messages.wrong"));
	assert_null(cfg);
}

/*
 * man/pam_smsotp.conf.5 lists every key of the table (".B key" on a line
 * of its own, in the section GROUP messages) with its default on one line, so
 * that a message added here cannot go undocumented.
 */
static void
test_messages_man_page(void **state)
{
	FILE *f = fopen(SRCDIR "/man/pam_smsotp.conf.5", "r");
	static char page[256 * 1024];
	const char *section;
	char want[128];
	size_t len;
	int i;

	(void)state;
	assert_non_null(f);
	len = fread(page, 1, sizeof(page) - 1, f);
	fclose(f);
	page[len] = '\0';
	section = strstr(page, "\n.SH \"GROUP messages\"");
	if (section == NULL)
		fail_msg("pam_smsotp.conf.5 has no section .SH \"GROUP messages\"");
	for (i = 0; i < MSG_COUNT; i++) {
		snprintf(want, sizeof(want), "\n.B %s\n", messages_table[i].key);
		if (strstr(section, want) == NULL)
			fail_msg("pam_smsotp.conf.5 does not list the message '%s' "
				 "(a line \".B %s\" in GROUP messages)", messages_table[i].key,
				 messages_table[i].key);
		if (strstr(section, messages_table[i].text) == NULL)
			fail_msg("pam_smsotp.conf.5 does not give the default of '%s': %s",
				 messages_table[i].key, messages_table[i].text);
	}
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/pam_smsotp.conf", dir);
	snprintf(confarg, sizeof(confarg), "conf=%s", conf);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(conf);
	return rmdir(dir);
}

/* What a report collects: the problems, in order. */
struct collected {
	char text[8][512];
	int n;
};

static void
collect_problem(void *ud, const char *text)
{
	struct collected *c = ud;

	if (c->n < 8)
		snprintf(c->text[c->n], sizeof(c->text[0]), "%s", text);
	c->n++;
}

/* Loads text with args through a report (args_where "stack:3"). */
static int
load_report(const char *text, const char **args, int nargs,
	    struct collected *c, struct smsotp_config **cfg)
{
	struct config_report rep = { collect_problem, c, "stack:3" };
	const char *argv[16];
	char err[512];
	int i;

	memset(c, 0, sizeof(*c));
	write_conf(text, 0600);
	argv[0] = confarg;
	for (i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	return config_load_report(nargs + 1, argv, &rep, cfg, err, sizeof(err));
}

/* Every problem at once, each with the line of its key; the configuration
 * comes back for the checks of the files it names. */
static void
test_report_all(void **state)
{
	static const char text[] =
		"lenght = 8;\n"					/* 1 */
		"template = \"Code for {host}\";\n"			/* 2 */
		"phones = { default_country = \"044\"; };\n"		/* 3 */
		"providers = ( {\n"					/* 4 */
		"  name = \"gw\"; type = \"http\";\n"		/* 5 */
		"  method = \"post\";\n"				/* 6 */
		"  url = \"http://sms.example/send\";\n"		/* 7 */
		"}, {\n"						/* 8 */
		"  name = \"ok\"; type = \"http\"; url = \"https://a.example/\";\n" /* 9 */
		"} );\n";						/* 10 */
	struct smsotp_config *cfg = NULL;
	struct collected c;
	char path[600];

	(void)state;
	assert_int_equal(load_report(text, NULL, 0, &c, &cfg), CONFIG_EINVAL);
	assert_int_equal(c.n, 4);
	snprintf(path, sizeof(path), "%s:1: lenght: unknown key (did you mean 'length'?)", conf);
	assert_string_equal(c.text[0], path);
	snprintf(path, sizeof(path), "%s:7: provider 'gw': url must be https://", conf);
	assert_memory_equal(c.text[1], path, strlen(path));
	snprintf(path, sizeof(path), "%s:3: phones.default_country: '044' is not a calling code", conf);
	assert_memory_equal(c.text[2], path, strlen(path));
	snprintf(path, sizeof(path), "%s:2: template: has no {code}", conf);
	assert_memory_equal(c.text[3], path, strlen(path));
	assert_non_null(cfg);
	assert_int_equal((int)cfg->n_providers, 2);
	assert_string_equal(cfg->providers[0]->method, "POST");
	assert_int_equal(config_line(cfg, "provider 'gw': url"), 7);
	assert_int_equal(config_line(cfg, "phones.default_country"), 3);
	assert_int_equal(config_line(cfg, "phones.file"), 0);
	config_free(cfg);
}

/* Arguments: a typo names the key meant; a value PAM split at its spaces
 * is one problem, with the bracketed fix; a check after the arguments
 * names the argument that set the key. */
static void
test_report_arguments(void **state)
{
	const char *typo[] = { "lenght=8", "debug" };
	const char *split[] = { "template=sudo", "on", "{host}:", "CODE={code}", "debug" };
	const char *nocode[] = { "template=Hello {host}" };
	struct smsotp_config *cfg = NULL;
	struct collected c;

	(void)state;
	assert_int_equal(load_report(GOOD_PROVIDER, typo, 2, &c, &cfg), CONFIG_EINVAL);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.text[0], "stack:3: argument 'lenght=8': unknown argument "
			    "(did you mean 'length'?)");
	config_free(cfg);
	assert_int_equal(load_report(GOOD_PROVIDER, split, 5, &c, &cfg), CONFIG_EINVAL);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.text[0], "stack:3: argument 'on': unknown argument: PAM "
			    "splits arguments at spaces; a value with spaces needs "
			    "brackets, as in [template=sudo on {host}: CODE={code}]");
	assert_string_equal(c.text[1], "stack:3: argument 'template': has no {code} (or "
			    "%1$s, %sms-code%): the SMS would not carry the code");
	assert_true(cfg->debug);	/* the argument after the split value */
	config_free(cfg);
	assert_int_equal(load_report(GOOD_PROVIDER, nocode, 1, &c, &cfg), CONFIG_EINVAL);
	assert_int_equal(c.n, 1);
	config_free(cfg);
	/* a login stops at the first, in err, and gets no configuration */
	{
		const char *argv[3] = { confarg, "lenght=8", "template=x" };
		char err[512];

		assert_int_equal(config_load(3, argv, &cfg, err, sizeof(err)), CONFIG_EINVAL);
		assert_null(cfg);
		assert_string_equal(err, "argument 'lenght=8': unknown argument (did you "
				    "mean 'length'?)");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file_and_arguments),
		cmocka_unit_test(test_argument_with_spaces),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_ldap_group),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pam_refusals),
		cmocka_unit_test(test_fleet_example_loads),
		cmocka_unit_test(test_bare_conf_first),
		cmocka_unit_test(test_presets_load),
		cmocka_unit_test(test_file_trust),
		cmocka_unit_test(test_huge_file),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_example_commented_blocks),
		cmocka_unit_test(test_provider_examples_load),
		cmocka_unit_test(test_message_defaults),
		cmocka_unit_test(test_message_placeholders),
		cmocka_unit_test(test_messages_german_hindi),
		cmocka_unit_test(test_message_length),
		cmocka_unit_test(test_messages_man_page),
		cmocka_unit_test(test_ldap_example_loads),
		cmocka_unit_test(test_report_all),
		cmocka_unit_test(test_report_arguments),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
