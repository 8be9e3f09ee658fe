/*
 * sms/http: one HTTP send of one provider, from its request description:
 * the request built once, then up to 1 + retries exchanges on one easy
 * handle, all inside the provider's timeout, each answer judged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/util.h"
#include "http.h"

/* First pause between tries; doubled after each. */
#define HTTP_BACKOFF_MS 250L
/* No retry is started with less time than this left after the pause. */
#define HTTP_MIN_TRY_MS 100L

/* ---------------------------------------------------------------------
 * The transport: libcurl (curl.c), or the unit tests' stand-in
 */

static sms_http_exchange_fn http_exchange_hook;
static void *http_exchange_hook_ud;

void
sms_http_set_exchange(sms_http_exchange_fn fn, void *ud)
{
	http_exchange_hook = fn;
	http_exchange_hook_ud = ud;
}

static sms_http_now_fn http_clock_now;
static sms_http_pause_fn http_clock_pause;
static void *http_clock_ud;

void
sms_http_set_clock(sms_http_now_fn now, sms_http_pause_fn pause, void *ud)
{
	http_clock_now = now;
	http_clock_pause = pause;
	http_clock_ud = ud;
}

static long
http_now_ms(void)
{
	return http_clock_now != NULL ? http_clock_now(http_clock_ud) :
	       util_now_ms();
}

static void
http_sleep_ms(long ms)
{
	struct timespec ts;

	if (http_clock_pause != NULL) {
		http_clock_pause(http_clock_ud, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
http_answer_free(struct sms_http_answer *ans)
{
	if (ans->body != NULL) {
		util_wipe(ans->body, ans->len);
		free(ans->body);
	}
	memset(ans, 0, sizeof(*ans));
}

/* One send's state across its tries. */
struct http_send {
	const struct sms_provider *p;
	const struct sms_http_desc *d;
	const struct sms_message *m;
	const struct smsotp_log *log;
	struct sms_result *res;
	struct sms_http_request req;
	sms_http_exchange_fn exchange;
	void *ud;
	long deadline;
};

/*
 * One try with left ms: SMS_OK (accepted), SMS_FAILED with res->error and
 * *retry (another try may work) and *ra (the Retry-After it asked for),
 * or SMS_ENOMEM.
 */
static int
http_try(struct http_send *s, long left, int *retry, long *ra)
{
	const struct sms_provider *p = s->p;
	struct sms_http_answer ans;
	char why[sizeof(s->res->error)];
	int rc, v;

	memset(&ans, 0, sizeof(ans));
	why[0] = '\0';
	*retry = 0;
	*ra = 0;
	rc = s->exchange(s->ud, p, &s->req, left,
			 p->connect_timeout * 1000 < left ?
			 p->connect_timeout * 1000 : left,
			 &ans, retry, why, sizeof(why));
	/* an answer means it arrived; else the exchange says */
	if (rc == SMS_OK || !ans.never_left)
		s->res->left = 1;
	s->res->status = ans.status;
	if (ans.status == 429 || ans.status == 503)
		*ra = ans.retry_after;
	if (rc == SMS_OK) {
		v = sms_answer_judge(s->d, s->m, ans.status, ans.body, ans.len,
				     why, sizeof(why));
		http_answer_free(&ans);
		if (v == SMS_ENOMEM)
			return SMS_ENOMEM;
		if (v == SMS_HTTP_ACCEPT) {
			s->res->error[0] = '\0';
			return SMS_OK;
		}
		*retry = v == SMS_HTTP_RETRY;
	} else {
		http_answer_free(&ans);
		if (rc == SMS_ENOMEM)
			return SMS_ENOMEM;
	}
	util_strlcpy(s->res->error, why[0] != '\0' ? why : "failed",
		     sizeof(s->res->error));
	return SMS_FAILED;
}

/*
 * The pause before another try, or -1 when none fits: the provider asked
 * for a pause (a try before it ends would only be refused again), and one
 * that does not fit the budget ends this provider's turn; the next one in
 * the list goes.
 */
static long
http_pause(struct http_send *s, long delay, long ra)
{
	struct sms_result *res = s->res;
	long pause = delay, left;

	if (ra > 0 && ra * 1000 > pause)
		pause = ra * 1000;
	left = s->deadline - http_now_ms();
	if (left >= pause + HTTP_MIN_TRY_MS)
		return pause;
	if (ra > 0) {
		size_t n = strlen(res->error);

		snprintf(res->error + n, sizeof(res->error) - n,
			 " (Retry-After %ld s: beyond the timeout)", ra);
		smsotp_logf(s->log, LOG_INFO, "sms: provider '%s' asks to wait "
			    "%ld s, more than the time left: giving up on it",
			    s->p->name, ra);
	} else {
		smsotp_logf(s->log, LOG_DEBUG, "sms: provider '%s': no time left "
			    "for another try", s->p->name);
	}
	return -1;
}

/* The tries, within the deadline. */
static int
http_tries(struct http_send *s)
{
	long tries, delay = HTTP_BACKOFF_MS;
	int rc = SMS_FAILED;

	for (tries = 1;; tries++) {
		long left = s->deadline - http_now_ms(), ra, pause;
		int retry;

		if (left <= 0) {
			if (tries == 1)
				snprintf(s->res->error, sizeof(s->res->error),
					 "no time left (timeout %ld s)",
					 s->p->timeout);
			return rc;
		}
		rc = http_try(s, left, &retry, &ra);
		if (rc != SMS_FAILED || !retry || tries > s->p->retries)
			return rc;
		pause = http_pause(s, delay, ra);
		if (pause < 0)
			return rc;
		smsotp_logf(s->log, LOG_INFO, "sms: provider '%s': try %ld failed "
			    "(%s), trying again in %ld ms", s->p->name, tries,
			    s->res->error, pause);
		http_sleep_ms(pause);
		delay *= 2;
	}
}

int
sms_http_send(const struct sms_provider *p, const struct sms_message *m,
	      const struct smsotp_log *log, struct sms_result *res)
{
	struct sms_http_desc tmp;
	struct sms_curl *hc = NULL;
	struct http_send s;
	char why[sizeof(res->error)];
	int rc = SMS_OK;

	memset(&s, 0, sizeof(s));
	why[0] = '\0';
	s.d = sms_http_desc_get(p, &tmp, &rc, why, sizeof(why));
	if (s.d != NULL)
		rc = sms_request_build(s.d, p, m, &s.req, why, sizeof(why));
	if (rc != SMS_OK) {
		util_strlcpy(res->error, why, sizeof(res->error));
		sms_http_desc_free(&tmp);
		return rc;
	}
	s.p = p;
	s.m = m;
	s.log = log;
	s.res = res;
	s.exchange = http_exchange_hook != NULL ? http_exchange_hook :
	    sms_curl_exchange;
	s.ud = http_exchange_hook_ud;
	if (http_exchange_hook == NULL) {
		hc = sms_curl_new();
		s.ud = hc;
	}
	if (s.ud == NULL && http_exchange_hook == NULL) {
		util_strlcpy(res->error, "out of memory", sizeof(res->error));
		rc = SMS_ENOMEM;
	} else {
		s.deadline = http_now_ms() + p->timeout * 1000;
		res->left = 0;
		rc = http_tries(&s);
	}
	sms_curl_free(hc);
	sms_http_request_free(&s.req);
	sms_http_desc_free(&tmp);
	return rc;
}
