/*
 * sms/file: the simulation provider.  Appends one JSON object per message
 * to a file, for demos and tests; nothing leaves the machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../util/util.h"
#include "common.h"
#include "types.h"
#include "sms.h"

int
sms_file_check(const struct sms_provider *p, char *err, size_t errlen)
{
	if (p->path == NULL || p->path[0] != '/') {
		snprintf(err, errlen, "path must be an absolute path");
		return -1;
	}
	if (util_has_ctl(p->path, 0)) {
		snprintf(err, errlen, "path must not contain control characters");
		return -1;
	}
	if (p->url != NULL) {
		snprintf(err, errlen, "url is not used by type file");
		return -1;
	}
	return 0;
}

/*
 * The line {"to":...,"text":...,"time":...} and its newline, built by
 * json-c so that quotes, control characters and UTF-8 come out as valid
 * JSON.  SMS_OK with *line (a secret: it holds the text) or SMS_ENOMEM.
 */
static int
file_line(const struct sms_message *m, char **line, size_t *len)
{
	struct json_object *o, *v;
	const char *json;
	size_t n;
	int rc = SMS_ENOMEM;

	*line = NULL;
	o = json_object_new_object();
	if (o == NULL)
		return SMS_ENOMEM;
	v = json_object_new_string(m->phone);
	if (v == NULL || json_object_object_add(o, "to", v) != 0)
		goto out_v;
	v = json_object_new_string(m->text);
	if (v == NULL || json_object_object_add(o, "text", v) != 0)
		goto out_v;
	v = json_object_new_int64((int64_t)time(NULL));
	if (v == NULL || json_object_object_add(o, "time", v) != 0)
		goto out_v;
	json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json == NULL)
		goto out;
	n = strlen(json);
	*line = malloc(n + 2);
	if (*line != NULL) {
		memcpy(*line, json, n);
		(*line)[n] = '\n';
		(*line)[n + 1] = '\0';
		*len = n + 1;
		rc = SMS_OK;
	}
	/* json-c keeps the serialized text in the object; it is wiped like
	 * the strings before the object goes. */
	util_wipe((void *)(uintptr_t)json, n);
	goto out;
out_v:
	/* A value that could not be added is still ours to release. */
	sms_json_put_wiped(v);
out:
	sms_json_put_wiped(o);
	return rc;
}

/*
 * A failure the process's own limits cause (a file size limit, no
 * descriptor left) is no verdict of the provider: under sudo and su the
 * caller sets those limits, and failmode=open must not follow from them.
 * A short write (a limit reached in the middle) is none either.
 */
static int
file_verdict(int e)
{
	return e == EFBIG || e == EMFILE || e == ENFILE ? SMS_EBROKEN : SMS_FAILED;
}

/* The file, opened for appending and found to be the module's own: SMS_OK
 * with *fd, or a verdict with res->error. */
static int
file_open(const struct sms_provider *p, struct sms_result *res, int *fd)
{
	struct stat st;
	int e;

	/* O_NOFOLLOW: a symlink planted in a shared directory must not
	 * redirect a root write.  O_NONBLOCK: a FIFO must not hang a login
	 * (it is refused below anyway). */
	*fd = open(p->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
		   O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (*fd < 0) {
		e = errno;
		snprintf(res->error, sizeof(res->error), "cannot open %s: %s",
			 p->path, e == ELOOP ? "is a symbolic link" : strerror(e));
		return e == ENOMEM ? SMS_ENOMEM : file_verdict(e);
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(res->error, sizeof(res->error), "%s is not a regular "
			 "file", p->path);
		close(*fd);
		return SMS_FAILED;
	}
	/* The lines hold codes and numbers: a file someone else created in
	 * advance, shared through a hard link, or readable by others must
	 * not receive them. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 || st.st_nlink != 1) {
		snprintf(res->error, sizeof(res->error), "%s must be owned by root "
			 "or uid %lu, mode 0600, with one link", p->path,
			 (unsigned long)geteuid());
		close(*fd);
		return SMS_FAILED;
	}
	return SMS_OK;
}

int
sms_file_send(const struct sms_provider *p, const struct sms_message *m,
	      const struct smsotp_log *log, struct sms_result *res)
{
	char *line = NULL;
	size_t len = 0;
	ssize_t w;
	int fd = -1, rc, e;

	res->status = 0;
	/* Until a write is tried, nothing left. */
	res->left = 0;
	rc = file_line(m, &line, &len);
	if (rc != SMS_OK)
		return rc;
	rc = file_open(p, res, &fd);
	if (rc != SMS_OK)
		goto out;
	/* One write() of the whole line: O_APPEND keeps concurrent logins'
	 * lines whole.  From here the line may be in the file, whatever
	 * write() says. */
	res->left = 1;
	do {
		w = write(fd, line, len);
	} while (w < 0 && errno == EINTR);
	e = errno;
	if (w < 0 || (size_t)w != len) {
		snprintf(res->error, sizeof(res->error), "cannot write %s: %s",
			 p->path, w < 0 ? strerror(e) : "short write");
		close(fd);
		rc = w < 0 ? file_verdict(e) : SMS_EBROKEN;
		goto out;
	}
	if (close(fd) != 0) {
		snprintf(res->error, sizeof(res->error), "cannot write %s: %s",
			 p->path, strerror(errno));
		rc = SMS_FAILED;
		goto out;
	}
	/* Said at each use, so that a forgotten demo setup shows in the
	 * log.  The path is configuration; the text is never logged. */
	smsotp_logf(log, LOG_WARNING, "provider '%s' is the file simulation "
		    "provider: message written to %s, not sent", p->name,
		    p->path);
	rc = SMS_OK;
out:
	util_wipe(line, len);
	free(line);
	return rc;
}
