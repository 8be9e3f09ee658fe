/*
 * sms/command: the command provider.  Runs an administrator's program (a
 * GSM modem tool such as gammu-smsd-inject or smstools, an in-house
 * gateway client) with argv templates, no shell, a fixed environment and
 * the message on its stdin; exit status 0 within `timeout` means accepted,
 * another exit status or the timeout is the program's "no".  A program
 * killed by a signal the supervisor did not send, or whose end cannot be
 * known, gave no verdict: SMS_EBROKEN.  util_run() starts and supervises
 * the program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "../template/template.h"
#include "../util/util.h"
#include "common.h"
#include "types.h"
#include "sms.h"

#define CMD_MAX_ARGS 32
/* What is kept of the program's stdout and stderr for the error excerpt;
 * the rest is read and dropped so that the program never blocks on a full
 * pipe. */
#define CMD_MAX_OUTPUT 4096

/* What argv items may hold: every local user can read a program's
 * arguments (/proc/PID/cmdline, ps), so never {message}, which holds the
 * code; the program reads the message on its stdin. */
static const char *const cmd_argv_placeholders[] = {
	"phone", "phone_digits", "sender"
};
#define CMD_N_ARGV_PLACEHOLDERS \
	(sizeof(cmd_argv_placeholders) / sizeof(cmd_argv_placeholders[0]))

int
sms_command_check(const struct sms_provider *p, char *err, size_t errlen)
{
	char why[200];
	size_t i;

	if (p->argv == NULL || p->n_argv == 0) {
		snprintf(err, errlen, "argv is required: an array with the "
			 "program's absolute path first");
		return -1;
	}
	if (p->n_argv > CMD_MAX_ARGS) {
		snprintf(err, errlen, "argv has more than %d items",
			 CMD_MAX_ARGS);
		return -1;
	}
	for (i = 0; i < p->n_argv; i++) {
		if (p->argv[i] == NULL) {
			snprintf(err, errlen, "argv[%zu] is missing", i);
			return -1;
		}
	}
	/* The program is named as is: no placeholder (a number or a text
	 * must never choose what runs) and no PATH search.  It is not
	 * looked at here: `smsotp check` may run on another host. */
	if (p->argv[0][0] != '/' || strpbrk(p->argv[0], "{}") != NULL) {
		snprintf(err, errlen, "argv[0] must be the program's absolute "
			 "path, without placeholders");
		return -1;
	}
	for (i = 0; i < p->n_argv; i++) {
		if (util_has_ctl(p->argv[i], 0)) {
			snprintf(err, errlen, "argv[%zu] must not contain "
				 "control characters", i);
			return -1;
		}
		why[0] = '\0';
		if (tpl_check(p->argv[i], cmd_argv_placeholders,
			      CMD_N_ARGV_PLACEHOLDERS, 0, why,
			      sizeof(why)) == TPL_OK)
			continue;
		/* the one request placeholder argv may not have */
		if (tpl_check(p->argv[i], sms_request_placeholders,
			      sms_n_request_placeholders, 0, NULL, 0) == TPL_OK)
			snprintf(err, errlen, "argv[%zu]: {message} is not "
				 "allowed in argv: every local user can read a "
				 "program's arguments (/proc/PID/cmdline) and "
				 "the message holds the code; the program gets "
				 "it on its standard input", i);
		else
			snprintf(err, errlen, "argv[%zu]: %s", i,
				 why[0] != '\0' ? why : "bad template");
		return -1;
	}
	if (p->url != NULL) {
		snprintf(err, errlen, "url is not used by type command");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * The arguments
 */

static void
cmd_free_args(char **args, size_t n)
{
	size_t i;

	if (args == NULL)
		return;
	for (i = 0; i < n; i++)
		util_free_secret(args[i]);
	free(args);
}

/* Why argument i (template tmpl) was refused: the placeholder that brought
 * the control character, never the value. */
static void
cmd_ctl_reason(const char *tmpl, size_t i, const struct tpl_var *vars,
	       size_t nvars, char *err, size_t errlen)
{
	char ph[24];
	size_t j;

	for (j = 0; j < nvars; j++) {
		snprintf(ph, sizeof(ph), "{%s}", vars[j].name);
		if (!util_has_ctl(vars[j].value, 0) || strstr(tmpl, ph) == NULL)
			continue;
		snprintf(err, errlen, "argv[%zu]: the value of %s holds a "
			 "newline or another control character, which an "
			 "argument cannot carry", i, ph);
		return;
	}
	snprintf(err, errlen, "argv[%zu] holds a control character", i);
}

/*
 * The program's argv, NULL-terminated, argv[0] as configured and every
 * other item expanded as is, over cmd_argv_placeholders only: {message}
 * is unknown here too, whatever checked the configuration.  A value with a
 * control character is refused: a newline in an argument is how option and
 * line injection start.  SMS_OK with *out (secrets), SMS_FAILED with err,
 * SMS_ENOMEM.
 */
static int
cmd_build_args(const struct sms_provider *p, const struct sms_message *m,
	       char ***out, char *err, size_t errlen)
{
	struct tpl_var all[SMS_REQUEST_VARS], vars[SMS_REQUEST_VARS];
	char **args, why[200];
	size_t i, j, nall, nvars = 0;
	int rc;

	*out = NULL;
	nall = sms_request_vars(p, m, all);
	for (j = 0; j < nall; j++) {
		if (strcmp(all[j].name, "message") != 0)
			vars[nvars++] = all[j];
	}

	args = calloc(p->n_argv + 1, sizeof(*args));
	if (args == NULL)
		return SMS_ENOMEM;
	args[0] = strdup(p->argv[0]);
	if (args[0] == NULL) {
		rc = SMS_ENOMEM;
		goto fail;
	}
	for (i = 1; i < p->n_argv; i++) {
		why[0] = '\0';
		rc = tpl_expand(p->argv[i], vars, nvars, TPL_ENC_NONE, 0, &args[i],
				why, sizeof(why));
		if (rc == TPL_ENOMEM) {
			rc = SMS_ENOMEM;
			goto fail;
		}
		if (rc != TPL_OK || args[i] == NULL) {
			/* why names a column, never a value */
			snprintf(err, errlen, "argv[%zu]: %s", i,
				 why[0] != '\0' ? why : "cannot be expanded");
			rc = SMS_FAILED;
			goto fail;
		}
		if (!util_has_ctl(args[i], 0))
			continue;
		cmd_ctl_reason(p->argv[i], i, vars, nvars, err, errlen);
		rc = SMS_FAILED;
		goto fail;
	}
	*out = args;
	return SMS_OK;
fail:
	cmd_free_args(args, p->n_argv);
	return rc;
}

/* ---------------------------------------------------------------------
 * The run
 */

/* An excerpt of the program's output (out, len bytes) for the error,
 * without the text, the code or the number, into ex. */
static void
cmd_excerpt(const char *out, size_t len, const struct sms_message *m,
	    char *ex, size_t exlen)
{
	const char *secrets[5];

	/* The program may echo its input or arguments. */
	secrets[sms_message_secrets(m, secrets)] = NULL;
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' ||
			   out[len - 1] == ' ' || out[len - 1] == '\t'))
		len--;
	sms_excerpt(out, len, secrets, ex, exlen);
}

/*
 * The verdict from what the run left: SMS_OK; SMS_FAILED with err when the
 * program said no (a non-zero exit status) or did not answer in time (the
 * supervisor killed it); SMS_EBROKEN with err when it gave no verdict: a
 * signal the supervisor did not send (whoever sent it, the message may be
 * out) or an exit status that was lost.
 */
static int
cmd_verdict(const struct sms_provider *p, const struct sms_message *m,
	    const struct util_run *run, char *err, size_t errlen)
{
	char ex[SMS_EXCERPT_MAX + 1];
	const char *sep;
	int status = run->status;

	if (run->timed_out) {
		snprintf(err, errlen, "timed out after %ld s", p->timeout);
		return SMS_FAILED;
	}
	if (run->lost) {
		snprintf(err, errlen, "exit status of %s lost: the host "
			 "process reaps its children (SIGCHLD)", p->argv[0]);
		return SMS_EBROKEN;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SMS_OK;
	cmd_excerpt(run->out, run->out_len, m, ex, sizeof(ex));
	sep = ex[0] != '\0' ? ": " : "";
	if (WIFEXITED(status)) {
		snprintf(err, errlen, "exited with status %d%s%s",
			 WEXITSTATUS(status), sep, ex);
		return SMS_FAILED;
	}
	if (WIFSIGNALED(status))
		snprintf(err, errlen, "killed by signal %d%s%s",
			 WTERMSIG(status), sep, ex);
	else
		snprintf(err, errlen, "ended with wait status %d", status);
	return SMS_EBROKEN;
}

int
sms_command_send(const struct sms_provider *p, const struct sms_message *m,
		 const struct smsotp_log *log, struct sms_result *res)
{
	struct util_run run;
	char **args = NULL, *out = NULL;
	long t0;
	int rc;

	res->status = 0;
	/* Until the program may have started, nothing left. */
	res->left = 0;
	rc = cmd_build_args(p, m, &args, res->error, sizeof(res->error));
	if (rc != SMS_OK)
		return rc;
	/* On the heap: the program's output, which may echo the text; wiped
	 * before free. */
	out = calloc(1, CMD_MAX_OUTPUT);
	if (out == NULL) {
		rc = SMS_ENOMEM;
		goto out;
	}
	memset(&run, 0, sizeof(run));
	run.argv = args;
	run.text = m->text;
	run.out = out;
	run.out_cap = CMD_MAX_OUTPUT;
	run.timeout_ms = p->timeout * 1000;
	/* stderr too, for the error excerpt; a program that talks a lot has
	 * not failed for that. */
	run.flags = UTIL_RUN_STDERR | UTIL_RUN_DRAIN;
	t0 = util_now_ms();
	rc = util_run(&run, res->error, sizeof(res->error));
	/* 1: it could not be executed, it never ran; -1: it may have, once
	 * its process was forked (watching it failed). */
	res->left = rc == 0 || (rc < 0 && run.started);
	if (rc != 0) {
		/* No verdict of the program's: not started or not watched,
		 * for reasons of this host (a missing program, or fds and
		 * memory, which sudo's caller can limit). */
		rc = SMS_EBROKEN;
		goto out;
	}
	rc = cmd_verdict(p, m, &run, res->error, sizeof(res->error));
	if (rc == SMS_OK)
		smsotp_logf(log, LOG_DEBUG, "sms: provider '%s': %s exited "
			    "with status 0 after %ld ms", p->name, p->argv[0],
			    util_now_ms() - t0);
out:
	if (out != NULL) {
		util_wipe(out, CMD_MAX_OUTPUT);
		free(out);
	}
	cmd_free_args(args, p->n_argv);
	return rc;
}
