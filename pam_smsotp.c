/*
 * pam_smsotp: a one-time code sent by SMS, asked through the PAM
 * conversation.  This file is glue: each hook builds one context, runs a few
 * named steps and frees everything in one place.  What a step needs lives in
 * config/, phone/, otp/, template/, sms/, policy/ (the rules) and state/
 * (the store of the records).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <pwd.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define PAM_SM_AUTH
#define PAM_SM_PASSWORD
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "config/config.h"
#include "otp/otp.h"
#include "phone/phone.h"
#include "policy/policy.h"
#include "sms/sms.h"
#include "state/state.h"
#include "template/template.h"
#include "util/util.h"

/* The build hides every symbol; the hooks are all the module exports. */
#define SMSOTP_EXPORT __attribute__((visibility("default")))

struct smsotp_ctx {
	pam_handle_t *pamh;
	int flags;
	struct smsotp_config *cfg;
	struct smsotp_log log;
	struct policy_limits lim;	/* the rules' limits, from cfg */
	struct store *store;	/* where the users' records are kept */

	const char *user;	/* as given to PAM */
	char *account;		/* the account's own name (getpwnam) */
	char *gecos;		/* its GECOS field */
	gid_t gid;		/* its primary group */
	char user_safe[64];	/* sanitized, for logs and messages */
	char service[64];
	char rhost[256];
	char host[HOST_NAME_MAX + 1];

	int have_account;
	int have_phone;
	int skipped;		/* not one the `groups` setting challenges */
	/* No SMS goes out on this login (an unknown user, one without a
	 * number, one sshd refused), yet it runs the same rules as any
	 * other over a stand-in record (store_begin with the key), so that what
	 * it shows cannot tell it apart; stand_in says why, for the log. */
	const char *stand_in;
	int stand_in_rc;	/* its result: PAM_USER_UNKNOWN, PAM_AUTH_ERR */
	unsigned char key[STATE_KEY_LEN];	/* key_file's; wiped */
	int have_key;
	char phone[PHONE_MAX];
	char masked[PHONE_MAX];

	char code[OTP_MAX_LENGTH + 1];	/* only between drawing and sending */
	int reused;		/* the code sent by an earlier login is asked */
	char *notice;		/* the notice for the next prompt, or NULL;
				   a `messages` text filled in */
	int notice_style;	/* PAM_ERROR_MSG or PAM_TEXT_INFO */

	struct sms_sender *sender;	/* started before the code is drawn */
	struct sms_result sent;
	const char *result;	/* for the outcome line */
};

static void
log_to_pam(void *ud, int priority, const char *fmt, va_list ap)
{
	pam_vsyslog((pam_handle_t *)ud, priority, fmt, ap);
}

/* Copies a PAM item into dst, sanitized: these reach logs and messages. */
static void
copy_item(pam_handle_t *pamh, int item, char *dst, size_t dstsize)
{
	const void *v = NULL;

	dst[0] = '\0';
	if (pam_get_item(pamh, item, &v) == PAM_SUCCESS && v != NULL)
		util_strlcpy(dst, v, dstsize);
	util_sanitize(dst);
}

static void
ctx_free(struct smsotp_ctx *ctx)
{
	sms_sender_end(ctx->sender);
	store_close(ctx->store);
	config_free(ctx->cfg);
	free(ctx->account);
	free(ctx->gecos);
	free(ctx->notice);
	util_wipe(ctx->code, sizeof(ctx->code));
	util_wipe(ctx->phone, sizeof(ctx->phone));
	util_wipe(ctx->key, sizeof(ctx->key));
}

static int
ctx_init(struct smsotp_ctx *ctx, pam_handle_t *pamh, int flags, int argc,
	 const char **argv)
{
	char err[512];
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->pamh = pamh;
	ctx->flags = flags;
	ctx->log.fn = log_to_pam;
	ctx->log.ud = pamh;
	rc = config_load(argc, argv, &ctx->cfg, err, sizeof(err));
	if (rc == CONFIG_ENOMEM)
		return PAM_BUF_ERR;
	if (rc != CONFIG_OK) {
		pam_syslog(pamh, LOG_ERR, "configuration refused: %s", err);
		return PAM_SERVICE_ERR;
	}
	ctx->log.debug = ctx->cfg->debug;
	rc = store_open(ctx->cfg, &ctx->store, err, sizeof(err));
	if (rc == STATE_ENOMEM)
		return PAM_BUF_ERR;
	if (rc != STATE_OK) {
		pam_syslog(pamh, LOG_ERR, "configuration refused: %s", err);
		return PAM_SERVICE_ERR;
	}
	store_set_log(ctx->store, &ctx->log);
	policy_limits_from(&ctx->lim, ctx->cfg);
	copy_item(pamh, PAM_SERVICE, ctx->service, sizeof(ctx->service));
	copy_item(pamh, PAM_RHOST, ctx->rhost, sizeof(ctx->rhost));
	util_short_hostname(ctx->host, sizeof(ctx->host));
	return PAM_SUCCESS;
}

/*
 * One conversation call: an optional notice and an optional prompt together,
 * because sshd shows only the last message before a prompt.  Notices about
 * how to get a code (sent again, when a resend is possible) are
 * PAM_TEXT_INFO, which PAM_SILENT drops; what went wrong with the answer
 * (wrong, expired, too many, locked) and a code that could not be sent are
 * PAM_ERROR_MSG and always shown: sudo sets PAM_SILENT by default, and a
 * user must still learn that the code was wrong.
 */
static int
converse(struct smsotp_ctx *ctx, int style, const char *notice,
	 const char *prompt, char **answer)
{
	const struct pam_conv *conv = NULL;
	const void *item = NULL;
	struct pam_message msgs[2];
	const struct pam_message *pmsgs[2];
	struct pam_response *resp = NULL;
	int i, n = 0, rc;

	if (answer != NULL)
		*answer = NULL;
	if (notice != NULL && !(style == PAM_TEXT_INFO && (ctx->flags & PAM_SILENT))) {
		msgs[n].msg_style = style;
		msgs[n++].msg = notice;
	}
	if (prompt != NULL) {
		msgs[n].msg_style = ctx->cfg->echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF;
		msgs[n++].msg = prompt;
	}
	if (n == 0)
		return PAM_SUCCESS;
	for (i = 0; i < n; i++)
		pmsgs[i] = &msgs[i];
	rc = pam_get_item(ctx->pamh, PAM_CONV, &item);
	conv = item;
	if (rc != PAM_SUCCESS || conv == NULL || conv->conv == NULL)
		return PAM_CONV_ERR;
	rc = conv->conv(n, pmsgs, &resp, conv->appdata_ptr);
	if (rc == PAM_SUCCESS && prompt != NULL && resp == NULL)
		rc = PAM_CONV_ERR;
	if (rc == PAM_SUCCESS && prompt != NULL && answer != NULL) {
		*answer = resp[n - 1].resp;
		resp[n - 1].resp = NULL;
		if (*answer == NULL) {
			*answer = strdup("");
			if (*answer == NULL)
				rc = PAM_BUF_ERR;
		}
	}
	for (i = 0; resp != NULL && i < n; i++)
		util_free_secret(resp[i].resp);
	free(resp);
	return rc == PAM_SUCCESS || rc == PAM_BUF_ERR ? rc : PAM_CONV_ERR;
}

/* What a message tells beyond the prompt's placeholders. */
struct told {
	const char *wait;	/* seconds */
	const char *wait_min;	/* minutes, rounded up */
	const char *ago;	/* seconds */
};

/* Fills a template with the message placeholders.  with_code is 0 for the
 * prompt: the configuration refuses {code} there, and this makes sure.  A
 * message (told not NULL) has no {code} at all, and no Keycloak forms. */
static int
expand(struct smsotp_ctx *ctx, const char *tmpl, int with_code,
       const struct told *told, char **out)
{
	char ttl[24], ttl_min[24], err[256];
	struct tpl_var vars[12];
	size_t n = 0;
	int rc;

	snprintf(ttl, sizeof(ttl), "%ld", ctx->cfg->ttl);
	snprintf(ttl_min, sizeof(ttl_min), "%ld", (ctx->cfg->ttl + 59) / 60);
	if (told == NULL)
		vars[n++] = (struct tpl_var){ "code", with_code ? ctx->code : "" };
	vars[n++] = (struct tpl_var){ "ttl", ttl };
	vars[n++] = (struct tpl_var){ "ttl_min", ttl_min };
	vars[n++] = (struct tpl_var){ "user", ctx->user_safe };
	vars[n++] = (struct tpl_var){ "host", ctx->host };
	vars[n++] = (struct tpl_var){ "service", ctx->service };
	vars[n++] = (struct tpl_var){ "rhost", ctx->rhost };
	vars[n++] = (struct tpl_var){ "phone", ctx->phone };
	vars[n++] = (struct tpl_var){ "phone_masked", ctx->masked };
	if (told != NULL) {
		vars[n++] = (struct tpl_var){ "wait", told->wait };
		vars[n++] = (struct tpl_var){ "wait_min", told->wait_min };
		vars[n++] = (struct tpl_var){ "ago", told->ago };
	}
	rc = tpl_expand(tmpl, vars, n, TPL_ENC_NONE, told != NULL ? 0 : TPL_COMPAT,
			out, err, sizeof(err));
	if (rc == TPL_ENOMEM)
		return PAM_BUF_ERR;
	if (rc != TPL_OK) {
		pam_syslog(ctx->pamh, LOG_ERR, "template: %s", err);
		return PAM_SERVICE_ERR;
	}
	return PAM_SUCCESS;
}

/* The key of the keyed hashes (key_file), read once per login. */
static int
load_key(struct smsotp_ctx *ctx)
{
	char err[512];

	if (ctx->have_key)
		return PAM_SUCCESS;
	if (state_key(ctx->cfg->key_file, ctx->key, err, sizeof(err)) != 0) {
		pam_syslog(ctx->pamh, LOG_ERR, "%s", err);
		ctx->result = "key refused";
		return PAM_SERVICE_ERR;
	}
	ctx->have_key = 1;
	return PAM_SUCCESS;
}

/*
 * A stand-in number for users who get no SMS, so that the prompt does not
 * tell who has an account or a number: the same for the same user (a
 * second try shows the same), keyed with this host's key (nobody can
 * compute it), and shaped like the numbers in the phones file (same
 * country digits and length as a real one).
 */
static int
fake_number(struct smsotp_ctx *ctx)
{
	static const char label[] = "stand-in number";
	unsigned char sub[EVP_MAX_MD_SIZE], md[EVP_MAX_MD_SIZE];
	unsigned int sublen = 0, mdlen = 0;
	char sample[PHONE_MAX], err[512];
	size_t len, i;
	int ok;

	if (load_key(ctx) != PAM_SUCCESS)
		return PAM_SERVICE_ERR;
	/* a key of its own for this use, then the name */
	ok = HMAC(EVP_sha256(), ctx->key, sizeof(ctx->key),
		  (const unsigned char *)label, sizeof(label), sub, &sublen) != NULL &&
		HMAC(EVP_sha256(), sub, (int)sublen, (const unsigned char *)ctx->user,
		     strlen(ctx->user), md, &mdlen) != NULL && mdlen >= 16;
	util_wipe(sub, sizeof(sub));
	if (!ok) {
		ctx->result = "hmac failure";
		return PAM_SERVICE_ERR;
	}
	if (phone_lookup_file(ctx->cfg->phones_file, NULL, sample, err,
			      sizeof(err)) != PHONE_OK)
		util_strlcpy(sample, "+447700900000", sizeof(sample));
	len = strlen(sample);
	/* keep "+" and two digits, as the mask shows them */
	for (i = 3; i < len; i++)
		sample[i] = (char)('0' + md[i % mdlen] % 10);
	if (len > 3 && sample[3] == '0')
		sample[3] = (char)('1' + md[0] % 9);
	util_wipe(md, sizeof(md));
	util_strlcpy(ctx->phone, sample, sizeof(ctx->phone));
	phone_mask(ctx->phone, ctx->masked);
	return PAM_SUCCESS;
}

/* The account, by its own name.  A lookup that failed (as opposed to one
 * that found nothing) is an error: treating it as "no such user" would
 * let nullok skip the SMS whenever the directory service is down. */
static int
find_account(struct smsotp_ctx *ctx)
{
	int r = util_getpw_gid(ctx->user, &ctx->account, &ctx->gecos, &ctx->gid);

	if (r > 0) {
		ctx->have_account = 1;
		return PAM_SUCCESS;
	}
	if (r == 0)
		return PAM_SUCCESS;
	if (errno == ENOMEM)
		return PAM_BUF_ERR;
	pam_syslog(ctx->pamh, LOG_ERR, "cannot look up user %s: %s", ctx->user_safe,
		   strerror(errno));
	ctx->result = "user lookup failed";
	return PAM_AUTHINFO_UNAVAIL;
}

/* Step: who logs in, and the account of that name if there is one. */
static int
find_user(struct smsotp_ctx *ctx)
{
	int rc = pam_get_user(ctx->pamh, &ctx->user, NULL);

	if (rc != PAM_SUCCESS || ctx->user == NULL || ctx->user[0] == '\0') {
		/* PAM_CONV_AGAIN: the application will call again. */
		if (rc == PAM_CONV_AGAIN)
			return PAM_INCOMPLETE;
		pam_syslog(ctx->pamh, LOG_ERR, "cannot get the user name");
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	}
	util_strlcpy(ctx->user_safe, ctx->user, sizeof(ctx->user_safe));
	util_sanitize(ctx->user_safe);
	rc = find_account(ctx);
	if (rc != PAM_SUCCESS || !ctx->have_account)
		return rc;
	/* From here on the account's own name: a name service that matches
	 * "ALICE" to alice must not find "no number" for her. */
	util_strlcpy(ctx->user_safe, ctx->account, sizeof(ctx->user_safe));
	/* The analyzer forgets ctx->account (ctx_free frees it) when this
	 * call invalidates all of *ctx: */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	util_sanitize(ctx->user_safe);
	return PAM_SUCCESS;
}

/*
 * A user in none of the listed groups, by the account's group list, is
 * skipped only when every listed group is found by its name and does not
 * name the user either: a directory that answers the list without some
 * of its groups (sssd down) must not skip the challenge.  Unsure: the
 * challenge stays, and syslog says why.
 */
static int
surely_outside(struct smsotp_ctx *ctx)
{
	const char *g = NULL;

	if (util_groups_surely_outside(ctx->cfg->groups, ctx->cfg->n_groups,
				       ctx->account, &g))
		return 1;
	if (errno != 0)
		pam_syslog(ctx->pamh, LOG_WARNING, "groups: cannot look up group "
			   "%s (%s): %s gets the challenge", g, errno == ENOENT ?
			   "no such group" : strerror(errno), ctx->user_safe);
	return 0;
}

/*
 * Step: whether the `groups` setting challenges this account; ctx->skipped
 * when not.  A name without an account is never skipped, so that nobody
 * learns which accounts exist.  A failed lookup of the groups fails closed:
 * it is never "in no group".
 */
static int
check_groups(struct smsotp_ctx *ctx)
{
	char **mine = NULL;
	size_t n = 0;

	if (ctx->cfg->n_groups == 0 || !ctx->have_account)
		return PAM_SUCCESS;
	if (util_groups(ctx->account, ctx->gid, &mine, &n) != 0) {
		if (errno == ENOMEM)
			return PAM_BUF_ERR;
		pam_syslog(ctx->pamh, LOG_ERR, "cannot look up the groups of %s: %s",
			   ctx->user_safe, strerror(errno));
		ctx->result = "group lookup failed";
		return PAM_AUTHINFO_UNAVAIL;
	}
	ctx->skipped = policy_groups(ctx->cfg->groups, ctx->cfg->n_groups, mine, n) ==
		POLICY_SKIP && (policy_groups_exempt(ctx->cfg->groups, ctx->cfg->n_groups,
						     mine, n) || surely_outside(ctx));
	util_free_groups(mine, n);
	if (ctx->skipped)
		ctx->result = "not challenged (groups), skipped";
	return PAM_SUCCESS;
}

/* Step: the account's number, if any.  PAM_SUCCESS even without one. */
static int
find_number(struct smsotp_ctx *ctx)
{
	struct phone_sources src;
	char err[512];
	int rc, source = 0;

	config_phone_sources(ctx->cfg, &src);
	err[0] = '\0';
	rc = phone_lookup(&src, ctx->account, ctx->gecos, ctx->phone, &source,
			  err, sizeof(err));
	if ((rc == PHONE_OK || rc == PHONE_NOTFOUND) && err[0] != '\0')
		smsotp_logf(&ctx->log, LOG_DEBUG, "phones: %s", err);
	switch (rc) {
	case PHONE_OK:
		ctx->have_phone = 1;
		phone_mask(ctx->phone, ctx->masked);
		/* Said every time: the user can change this number. */
		if (source == PHONE_SRC_GECOS)
			pam_syslog(ctx->pamh, LOG_NOTICE, "number of %s (%s) taken from "
				   "GECOS, which the user can change with chfn",
				   ctx->user_safe, ctx->masked);
		return PAM_SUCCESS;
	case PHONE_NOTFOUND:
		return PAM_SUCCESS;
	case PHONE_ENOMEM:
		return PAM_BUF_ERR;
	case PHONE_EUNAVAIL:
		/* the directory is down or answered nonsense: no number is
		 * known, which is not "no number" (nullok would pass) */
		pam_syslog(ctx->pamh, LOG_ERR, "phones: %s", err);
		ctx->result = "number lookup failed";
		return PAM_AUTHINFO_UNAVAIL;
	default:
		pam_syslog(ctx->pamh, LOG_ERR, "phones: %s", err);
		ctx->result = "number lookup failed";
		return PAM_SERVICE_ERR;
	}
}

/* sshd answers for users it will not let in with a string starting with
 * '\b' (its stand-in password); such a login must not cost an SMS. */
static int
sshd_stand_in(struct smsotp_ctx *ctx)
{
	const void *tok = NULL;

	return pam_get_item(ctx->pamh, PAM_AUTHTOK, &tok) == PAM_SUCCESS &&
	       tok != NULL && ((const char *)tok)[0] == '\b';
}

static int
blank(const char *s)
{
	while (s != NULL && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s == NULL || *s == '\0';
}

/*
 * Makes message id (the configured text or its default, filled in) the
 * notice for the next conversation, in style; wait and ago for the
 * messages that tell them.  The configuration checked the text: should it
 * still not fill (no memory), there is no notice rather than a wrong one.
 */
static void
set_notice(struct smsotp_ctx *ctx, enum msg_id id, int style, long long wait,
	   long long ago)
{
	char w[24], wm[24], a[24];
	const struct told told = { w, wm, a };
	char *text = NULL;

	snprintf(w, sizeof(w), "%lld", wait);
	snprintf(wm, sizeof(wm), "%lld", policy_minutes(wait));
	snprintf(a, sizeof(a), "%lld", ago);
	free(ctx->notice);
	ctx->notice = NULL;
	ctx->notice_style = style;
	if (expand(ctx, config_message(ctx->cfg, id), 0, &told, &text) == PAM_SUCCESS)
		ctx->notice = text;
}

/* Tells message id on its own (no prompt follows): what ended the login. */
static void
say(struct smsotp_ctx *ctx, enum msg_id id, long long wait)
{
	set_notice(ctx, id, PAM_ERROR_MSG, wait, 0);
	converse(ctx, PAM_ERROR_MSG, ctx->notice, NULL, NULL);
}

/* The notice for an empty answer: a new code went out (wait 0), or when
 * one can. */
static void
resend_notice(struct smsotp_ctx *ctx, long long wait)
{
	set_notice(ctx, wait <= 0 ? MSG_SENT_AGAIN : MSG_RESEND_WAIT, PAM_TEXT_INFO,
		   wait, 0);
}

/* A state error fails closed: the counts that guard against SMS floods and
 * guessing cannot be kept, so no code goes out and none is accepted. */
static int
state_failed(struct smsotp_ctx *ctx, int rc, const char *err)
{
	if (rc == STATE_ENOMEM)
		return PAM_BUF_ERR;
	pam_syslog(ctx->pamh, LOG_ERR, "state: %s", err);
	say(ctx, MSG_UNAVAILABLE, 0);
	ctx->result = "state refused";
	return PAM_AUTHINFO_UNAVAIL;
}

/* A locked user is told for how long, and gets PAM_MAXTRIES. */
static int
say_locked(struct smsotp_ctx *ctx, long long wait, const char *result)
{
	say(ctx, MSG_LOCKED, wait);
	ctx->result = result;
	return PAM_MAXTRIES;
}

/* max_sends reached: a login ends with PAM_MAXTRIES, a resend is told and
 * the last code may still be entered. */
static int
say_cap(struct smsotp_ctx *ctx, enum policy_ask ask, long long wait)
{
	if (ask == POLICY_RESEND) {
		set_notice(ctx, MSG_CAP_RESEND, PAM_ERROR_MSG, wait, 0);
		return PAM_SUCCESS;
	}
	say(ctx, MSG_CAP, wait);
	ctx->result = "max_sends reached, not sent";
	return PAM_MAXTRIES;
}

/* The code sent by an earlier login is asked again. */
static void
reuse_notice(struct smsotp_ctx *ctx, const struct policy_decision *d)
{
	ctx->reused = 1;
	set_notice(ctx, MSG_REUSE, PAM_TEXT_INFO, d->wait, d->ago);
}

static void
warn_segments(struct smsotp_ctx *ctx, const char *text)
{
	struct tpl_sms_info info;

	tpl_sms_info(text, &info);
	if (info.segments > 1)
		pam_syslog(ctx->pamh, LOG_WARNING, "the message is %zu characters of %s: "
			   "%zu SMS segments; shorten the template to send one",
			   info.units, info.gsm7 ? "GSM-7" : "UCS-2", info.segments);
}

/* One user's record, held (the store's lock or transaction) for one step;
 * now is the store's time, which every rule of that step uses. */
struct record {
	struct store_txn *txn;
	struct state_user u;
	long long now;
};

/* Opens the record of this login's user: its own, or the stand-in record
 * of a name that gets no SMS.  STATE_OK, or an error with err. */
static int
record_open(struct smsotp_ctx *ctx, struct record *r, char *err, size_t errlen)
{
	const char *name = ctx->account;

	memset(r, 0, sizeof(*r));
	if (load_key(ctx) != PAM_SUCCESS) {
		snprintf(err, errlen, "the key of the kept codes cannot be read");
		return STATE_EINVAL;
	}
	if (ctx->stand_in != NULL)
		name = ctx->have_account ? ctx->account : ctx->user;
	return store_begin(ctx->store, name, ctx->stand_in != NULL ? ctx->key : NULL,
			   &r->txn, &r->u, &r->now, err, errlen);
}

/* Releases the record: what was not written is rolled back. */
static void
record_close(struct record *r)
{
	store_end(r->txn);
	r->txn = NULL;
	util_wipe(&r->u, sizeof(r->u));
}

/* keep_new_code: the random number generator failed (logged). */
#define KEEP_RNG_FAILED 1

/*
 * Draws a code, keeps its hash and counts the SMS on the held record,
 * written before the code leaves: the count is taken before the send, so
 * that concurrent logins can never send more than max_sends; a send that
 * certainly never left gives its count and its code back (give_back).
 * Returns STATE_OK, a store error with err, or KEEP_RNG_FAILED.
 */
static int
keep_new_code(struct smsotp_ctx *ctx, struct record *r, char *err, size_t errlen)
{
	if (otp_generate(ctx->code, sizeof(ctx->code), (size_t)ctx->cfg->length,
			 ctx->cfg->alphabet) != 0 ||
	    state_set_code(&r->u, ctx->code, r->now, ctx->key) != STATE_OK) {
		pam_syslog(ctx->pamh, LOG_ERR, "the random number generator failed");
		ctx->result = "rng failure";
		return KEEP_RNG_FAILED;
	}
	policy_sent(&r->u, r->now);
	return store_write(r->txn, &r->u, err, errlen);
}

/* Gives back the count and the code of a send that certainly never left
 * this host (sms_result.left is 0: no connection was made, no command
 * started).  One that may have reached a provider stays counted, whatever
 * its outcome: else killing the send process after the request left
 * would give back as many SMS as one likes. */
static void
give_back(struct smsotp_ctx *ctx)
{
	struct record r;
	char err[512];

	if (record_open(ctx, &r, err, sizeof(err)) != STATE_OK)
		return;
	if (state_code_matches(&r.u, ctx->code, ctx->key)) {
		policy_give_back(&r.u);
		if (store_write(r.txn, &r.u, err, sizeof(err)) != STATE_OK)
			pam_syslog(ctx->pamh, LOG_ERR, "state: %s", err);
	}
	record_close(&r);
}

/* No provider took the SMS (src): failmode decides, and the user is told. */
static int
not_sent(struct smsotp_ctx *ctx, int src)
{
	if (src == SMS_FAILED && ctx->cfg->failmode_open) {
		/* failmode=open lets the stack go on without this factor when
		 * every provider said no (an answer, a refused connection):
		 * say so at every use, it is a hole an administrator chose. */
		pam_syslog(ctx->pamh, LOG_WARNING, "failmode=open: no provider accepted "
			   "the SMS for %s, letting the login go on without it",
			   ctx->user_safe);
		ctx->result = "not sent, failmode open";
		return PAM_IGNORE;
	}
	if (src == SMS_EBROKEN && ctx->cfg->failmode_open)
		/* A send process killed, stopped or silent is no provider's
		 * verdict: sudo's caller can do that to it. */
		pam_syslog(ctx->pamh, LOG_WARNING, "the send for %s broke off without "
			   "a provider's answer: failing closed, failmode=open "
			   "does not apply", ctx->user_safe);
	ctx->result = src == SMS_EBROKEN ? "send broken off, not sent" : "not sent";
	say(ctx, MSG_NOT_SENT, 0);
	return PAM_AUTHINFO_UNAVAIL;
}

/* Step: send the code kept by keep_new_code().  PAM_SUCCESS when a provider
 * took it; the code is wiped either way (only its hash is kept).  A stand-in
 * login sends nothing and goes on as if a provider had taken it. */
static int
send_code(struct smsotp_ctx *ctx)
{
	struct sms_message m;
	char *text = NULL;
	int rc, src;

	if (ctx->stand_in != NULL) {
		util_wipe(ctx->code, sizeof(ctx->code));
		return PAM_SUCCESS;
	}
	rc = expand(ctx, ctx->cfg->template, 1, NULL, &text);
	src = SMS_EBROKEN;
	if (rc == PAM_SUCCESS) {
		warn_segments(ctx, text);
		m.phone = ctx->phone;
		m.text = text;
		m.secret = ctx->code;
		src = sms_send(ctx->cfg->chain, ctx->cfg->n_chain, &m,
			       ctx->sender, &ctx->log, &ctx->sent);
		rc = src == SMS_OK ? PAM_SUCCESS : src == SMS_ENOMEM ? PAM_BUF_ERR :
			PAM_AUTHINFO_UNAVAIL;
	} else {
		ctx->sent.left = 0;	/* nothing was tried */
	}
	util_free_secret(text);
	if (rc != PAM_SUCCESS && !ctx->sent.left)
		give_back(ctx);
	util_wipe(ctx->code, sizeof(ctx->code));
	return rc == PAM_AUTHINFO_UNAVAIL ? not_sent(ctx, src) : rc;
}

/*
 * Step: start the process that will send the code (sms.h), so that it
 * loads libcurl while the user's state is locked and the code drawn and
 * written down.  Started before the lock, never under it: a process forked
 * then would hold the lock for as long as it lives.  The RNG is brought up
 * first, so that the send process shares OpenSSL's set-up instead of doing
 * it again for its TLS handshake.  One that ends up unused (a locked user,
 * a code reused, max_sends reached) is stopped at the end of the login.
 */
static int
start_sender(struct smsotp_ctx *ctx)
{
	if (otp_ready() != 0) {
		pam_syslog(ctx->pamh, LOG_ERR, "the random number generator failed");
		ctx->result = "rng failure";
		return PAM_SERVICE_ERR;
	}
	sms_sender_end(ctx->sender);	/* the one of an earlier send */
	ctx->sender = NULL;
	if (ctx->stand_in == NULL)
		ctx->sender = sms_sender_start(ctx->cfg->chain, ctx->cfg->n_chain,
					       &ctx->log);
	return PAM_SUCCESS;
}

/*
 * Step: a code for this login, its first (ask POLICY_FIRST) or another one
 * for an empty answer (POLICY_RESEND), as policy_issue() decides: a locked
 * user gets nothing (also when another login locked it meanwhile); a code
 * sent within resend_after is asked again, or the wait told; otherwise a
 * new code goes out, within max_sends per send_window.  Nothing is said
 * to the user while the record is held.
 */
static int
get_code(struct smsotp_ctx *ctx, enum policy_ask ask)
{
	struct policy_decision d;
	struct record r;
	char err[512];
	int rc;

	rc = start_sender(ctx);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = record_open(ctx, &r, err, sizeof(err));
	if (rc != STATE_OK)
		return state_failed(ctx, rc, err);
	policy_issue(&ctx->lim, &r.u, r.now, ask, &d);
	if (d.what == POLICY_SEND)
		rc = keep_new_code(ctx, &r, err, sizeof(err));
	record_close(&r);
	switch (d.what) {
	case POLICY_LOCKED:
		return say_locked(ctx, d.wait, "locked");
	case POLICY_REUSE:
		reuse_notice(ctx, &d);
		return PAM_SUCCESS;
	case POLICY_WAIT:
		resend_notice(ctx, d.wait);
		return PAM_SUCCESS;
	case POLICY_CAP:
		return say_cap(ctx, ask, d.wait);
	default:
		break;
	}
	if (rc != STATE_OK) {
		util_wipe(ctx->code, sizeof(ctx->code));
		return rc == KEEP_RNG_FAILED ? PAM_SERVICE_ERR :
			state_failed(ctx, rc, err);
	}
	rc = send_code(ctx);
	if (rc == PAM_SUCCESS && ask == POLICY_RESEND)
		resend_notice(ctx, 0);
	return rc;
}

/*
 * A right answer whose spending found the record changed by another login
 * since its try was counted (a shared store lets the row go between the
 * two writes): opened again, the code is spent if it is still the one kept
 * and valid; one replaced or spent meanwhile is told as no longer valid.
 */
static int
spend_again(struct smsotp_ctx *ctx, const char *answer, struct policy_decision *d)
{
	struct record r;
	char err[512];
	int rc;

	rc = record_open(ctx, &r, err, sizeof(err));
	if (rc != STATE_OK)
		return state_failed(ctx, rc, err);
	if (policy_code_valid(&ctx->lim, &r.u, r.now) &&
	    state_code_matches(&r.u, answer, ctx->key)) {
		policy_compared(&r.u, 1, d);
		rc = store_write(r.txn, &r.u, err, sizeof(err));
	} else {
		d->what = POLICY_SPENT;
	}
	record_close(&r);
	return rc == STATE_OK ? PAM_SUCCESS : state_failed(ctx, rc, err);
}

/*
 * Checks an answer against the kept hash, on the held record.  The try is
 * counted first, durably, as if the answer were wrong (with the lock it
 * would bring, policy_answer): a failure to write that count refuses the
 * answer without comparing it, so nothing the caller does to the write (a
 * file size limit, a full disk, a signal) can leave a wrong answer
 * uncounted.  A right answer then spends the code and resets the count,
 * in a second write; if that one fails, the login fails too.  A stand-in
 * login's answer is never right: no code went out.
 */
static int
check_answer(struct smsotp_ctx *ctx, const char *answer, struct policy_decision *d)
{
	struct record r;
	char err[512];
	int rc;

	rc = record_open(ctx, &r, err, sizeof(err));
	if (rc != STATE_OK)
		return state_failed(ctx, rc, err);
	policy_answer(&ctx->lim, &r.u, r.now, d);
	if (d->what == POLICY_COMPARE) {
		rc = store_write(r.txn, &r.u, err, sizeof(err));
		if (rc == STATE_OK) {
			policy_compared(&r.u, ctx->stand_in == NULL &&
					state_code_matches(&r.u, answer, ctx->key), d);
			if (d->what == POLICY_RIGHT)
				rc = store_write(r.txn, &r.u, err, sizeof(err));
		}
		if (rc == STATE_OK && d->locks)
			pam_syslog(ctx->pamh, LOG_WARNING, "%s locked for %ld s after "
				   "%ld wrong codes", ctx->user_safe,
				   ctx->cfg->lockout_time, r.u.wrong);
	}
	record_close(&r);
	if (rc == STATE_ECHANGED && d->what == POLICY_RIGHT)
		return spend_again(ctx, answer, d);
	return rc == STATE_OK ? PAM_SUCCESS : state_failed(ctx, rc, err);
}

/* What the login ends with, after the last answer's verdict. */
static int
verdict_result(struct smsotp_ctx *ctx, const struct policy_decision *d)
{
	switch (d->what) {
	case POLICY_RIGHT:
		ctx->result = ctx->reused ? "success, code reused" : "success";
		return PAM_SUCCESS;
	case POLICY_EXPIRED:
	case POLICY_SPENT:
		/* Told apart from a wrong code: the user needs a new login,
		 * not another try. */
		say(ctx, d->what == POLICY_EXPIRED ? MSG_EXPIRED : MSG_SPENT, 0);
		ctx->result = d->what == POLICY_EXPIRED ? "expired" : "code spent";
		return PAM_AUTH_ERR;
	case POLICY_ANSWER_LOCKED:
		return say_locked(ctx, d->wait, "wrong code, locked");
	case POLICY_WRONG:
	default:
		say(ctx, MSG_TOO_MANY, 0);
		ctx->result = "too many wrong codes";
		return PAM_MAXTRIES;
	}
}

/* Step: prompt and verify, up to max_tries wrong answers; empty answers
 * (up to max_tries of them) ask for a resend. */
static int
ask_and_verify(struct smsotp_ctx *ctx)
{
	char *prompt = NULL, *answer = NULL;
	/* the notice goes with the prompt (an earlier login's code asked,
	 * a wrong code, a resend): one conversation call */
	int show = ctx->reused;
	struct policy_decision d;
	long wrong = 0, empty = 0;
	int rc;

	memset(&d, 0, sizeof(d));
	d.what = POLICY_WRONG;
	rc = expand(ctx, ctx->cfg->prompt, 0, NULL, &prompt);
	while (rc == PAM_SUCCESS) {
		rc = converse(ctx, ctx->notice_style, show ? ctx->notice : NULL, prompt,
			      &answer);
		if (rc != PAM_SUCCESS)
			break;
		show = 1;
		if (blank(answer) && ++empty <= ctx->cfg->max_tries) {
			util_free_secret(answer);
			answer = NULL;
			rc = get_code(ctx, POLICY_RESEND);
			continue;
		}
		rc = check_answer(ctx, answer, &d);
		util_free_secret(answer);
		answer = NULL;
		if (rc != PAM_SUCCESS || d.what != POLICY_WRONG ||
		    ++wrong >= ctx->cfg->max_tries)
			break;
		set_notice(ctx, MSG_WRONG, PAM_ERROR_MSG, 0, 0);
	}
	free(prompt);
	if (rc == PAM_CONV_ERR)
		ctx->result = "conversation failed";
	return rc == PAM_SUCCESS ? verdict_result(ctx, &d) : rc;
}

/* One line per outcome: never the code, a secret or the full number. */
static void
log_outcome(struct smsotp_ctx *ctx, int rc)
{
	pam_syslog(ctx->pamh, rc == PAM_SUCCESS || ctx->skipped ? LOG_INFO : LOG_NOTICE,
		   "user=%s service=%s rhost=%s phone=%s provider=%s status=%ld "
		   "result=%s%s%s%s", ctx->user_safe, ctx->service,
		   ctx->rhost[0] != '\0' ? ctx->rhost : "-",
		   ctx->have_phone ? ctx->masked : "-",
		   ctx->sent.provider != NULL ? ctx->sent.provider : "-",
		   ctx->sent.status,
		   ctx->result != NULL ? ctx->result : pam_strerror(ctx->pamh, rc),
		   ctx->sent.error[0] != '\0' ? " error=\"" : "", ctx->sent.error,
		   ctx->sent.error[0] != '\0' ? "\"" : "");
}

static int
authenticate(struct smsotp_ctx *ctx)
{
	int rc;

	rc = find_user(ctx);
	if (rc == PAM_SUCCESS)
		rc = check_groups(ctx);
	if (rc == PAM_SUCCESS && ctx->skipped)
		return PAM_IGNORE;	/* never PAM_SUCCESS: no factor was checked */
	if (rc == PAM_SUCCESS && ctx->have_account)
		rc = find_number(ctx);
	if (rc != PAM_SUCCESS)
		return rc;
	if (!ctx->have_account || !ctx->have_phone) {
		if (ctx->cfg->nullok) {
			ctx->result = ctx->have_account ? "no number, nullok" :
				"unknown user, nullok";
			return PAM_IGNORE;
		}
		ctx->stand_in = ctx->have_account ? "no number" : "unknown user";
		ctx->stand_in_rc = ctx->have_account ? PAM_AUTH_ERR : PAM_USER_UNKNOWN;
		rc = fake_number(ctx);
		if (rc != PAM_SUCCESS)
			return rc;
	} else if (sshd_stand_in(ctx)) {
		ctx->stand_in = "refused by sshd, not sent";
		ctx->stand_in_rc = PAM_AUTH_ERR;
	}
	rc = get_code(ctx, POLICY_FIRST);
	if (rc == PAM_SUCCESS)
		rc = ask_and_verify(ctx);
	if (ctx->stand_in == NULL)
		return rc;
	/* The same prompts, notices and limits as a real login, and then
	 * the stand-in's own result; an error (state, conversation) is
	 * the same error as anyone's. */
	if (rc == PAM_SUCCESS || rc == PAM_MAXTRIES || rc == PAM_AUTH_ERR) {
		ctx->result = ctx->stand_in;
		rc = ctx->stand_in_rc;
	}
	return rc;
}

/*
 * What this handle already proved, kept with pam_set_data: a passed SMS
 * check (in authenticate or in the password stack's first pass), or a
 * check that let the user go on without one (nullok, failmode=open).
 */
#define DATA_NAME "pam_smsotp_outcome"

/* An outcome holds for the user and the service it was earned for: an
 * application (or a module) that changes PAM_USER or PAM_SERVICE on the
 * handle afterwards must not carry it over to another account. */
struct outcome {
	int rc;			/* PAM_SUCCESS or PAM_IGNORE */
	char *user;
	char *service;
};

static void
outcome_free(pam_handle_t *pamh, void *data, int status)
{
	struct outcome *o = data;

	(void)pamh;
	(void)status;
	if (o == NULL)
		return;
	free(o->user);
	free(o->service);
	free(o);
}

/* PAM_USER or PAM_SERVICE as a string, "" when unset. */
static const char *
item_text(pam_handle_t *pamh, int item)
{
	const void *v = NULL;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || v == NULL)
		return "";
	return v;
}

static void
remember(pam_handle_t *pamh, int rc)
{
	struct outcome *o = NULL;

	/* A failure clears what an earlier call proved (NULL data). */
	if (rc == PAM_SUCCESS || rc == PAM_IGNORE) {
		o = calloc(1, sizeof(*o));
		if (o != NULL) {
			o->rc = rc;
			o->user = strdup(item_text(pamh, PAM_USER));
			o->service = strdup(item_text(pamh, PAM_SERVICE));
			if (o->user == NULL || o->service == NULL) {
				outcome_free(pamh, o, 0);
				o = NULL;
			}
		}
	}
	if (pam_set_data(pamh, DATA_NAME, o, o != NULL ? outcome_free : NULL) !=
	    PAM_SUCCESS)
		outcome_free(pamh, o, 0);
}

/* What this handle proved for its present user and service, or -1. */
static int
remembered(pam_handle_t *pamh)
{
	const void *v = NULL;
	const struct outcome *o;

	if (pam_get_data(pamh, DATA_NAME, &v) != PAM_SUCCESS || v == NULL)
		return -1;
	o = v;
	if (strcmp(o->user, item_text(pamh, PAM_USER)) != 0 ||
	    strcmp(o->service, item_text(pamh, PAM_SERVICE)) != 0)
		return -1;
	return o->rc;
}

/* The SMS check, from the configuration to the outcome kept on the
 * handle: what authenticate and the password stack's first pass run. */
static int
sms_check(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct smsotp_ctx ctx;
	int rc;

	rc = ctx_init(&ctx, pamh, flags, argc, argv);
	if (rc == PAM_SUCCESS) {
		rc = authenticate(&ctx);
		log_outcome(&ctx, rc);
	}
	ctx_free(&ctx);
	remember(pamh, rc);
	return rc;
}

SMSOTP_EXPORT PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return sms_check(pamh, flags, argc, argv);
}

SMSOTP_EXPORT PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

/*
 * The password stack: the SMS check runs in the first pass
 * (PAM_PRELIM_CHECK), before any module asks for a new password, and the
 * second pass (PAM_UPDATE_AUTHTOK) succeeds only if that check passed on
 * this handle.  A handle that passed the check in authenticate is not sent
 * a second code.
 */
SMSOTP_EXPORT PAM_EXTERN int
pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	int before = remembered(pamh);

	if (flags & PAM_UPDATE_AUTHTOK) {
		if (before == PAM_SUCCESS || before == PAM_IGNORE)
			return before;
		/* Refuse rather than succeed: the first pass did not run or
		 * did not pass on this handle. */
		pam_syslog(pamh, LOG_ERR, "password change without a passed SMS check "
			   "on this handle: refused");
		return PAM_AUTHTOK_ERR;
	}
	if (!(flags & PAM_PRELIM_CHECK))
		return PAM_SERVICE_ERR;
	if (before == PAM_SUCCESS)
		return PAM_SUCCESS;
	return sms_check(pamh, flags, argc, argv);
}
