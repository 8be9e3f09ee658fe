/*
 * policy: the login's rules (policy.h).  No I/O and no clock: the time is
 * always the caller's, so that a table of cases with an injected clock
 * tests every rule.
 */
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../otp/otp.h"
#include "../util/util.h"
#include "policy.h"

void
policy_limits_from(struct policy_limits *lim, const struct smsotp_config *cfg)
{
	lim->ttl = cfg->ttl;
	lim->resend_after = cfg->resend_after;
	lim->max_sends = cfg->max_sends;
	lim->send_window = cfg->send_window;
	lim->lockout_after = cfg->lockout_after;
	lim->lockout_time = cfg->lockout_time;
}

void
policy_refresh(const struct policy_limits *lim, struct state_user *u,
	       long long now)
{
	if (u->window_start > now || now - u->window_start >= lim->send_window) {
		u->window_start = now;
		u->sends = 0;
	}
	if (u->locked_until != 0 && u->locked_until <= now) {
		u->locked_until = 0;
		u->wrong = 0;
	}
}

int
policy_code_valid(const struct policy_limits *lim, const struct state_user *u,
		  long long now)
{
	return u->has_code &&
	       !otp_expired((time_t)u->code_issued, lim->ttl, (time_t)now);
}

static long long
later(long long a, long long b)
{
	return a > b ? a : b;
}

long long
policy_forget_at(const struct policy_limits *lim, const struct state_user *u)
{
	long long t = u->locked_until;

	if (u->wrong > 0 && u->locked_until == 0)
		return POLICY_KEEP;
	if (u->sends > 0)
		t = later(t, u->window_start + lim->send_window);
	if (u->last_send > 0)
		t = later(t, u->last_send + lim->resend_after);
	if (u->has_code)
		t = later(t, u->code_issued + lim->ttl);
	return t;
}

/* Seconds before another SMS may go to u; 0 when one may now (a last
 * send in the future, the clock gone back, does not hold one up). */
static long long
resend_wait(const struct policy_limits *lim, const struct state_user *u,
	    long long now)
{
	long long wait = u->last_send + lim->resend_after - now;

	if (u->last_send == 0 || u->last_send > now || wait <= 0)
		return 0;
	return wait;
}

void
policy_issue(const struct policy_limits *lim, struct state_user *u,
	     long long now, enum policy_ask ask, struct policy_decision *d)
{
	long long wait;

	memset(d, 0, sizeof(*d));
	policy_refresh(lim, u, now);
	if (u->locked_until > now) {
		/* no SMS to a locked user, not even a resend asked before
		 * another login locked it */
		d->what = POLICY_LOCKED;
		d->wait = u->locked_until - now;
		return;
	}
	wait = resend_wait(lim, u, now);
	if (ask == POLICY_FIRST && wait > 0 && policy_code_valid(lim, u, now)) {
		d->what = POLICY_REUSE;
		d->wait = wait;
		d->ago = now - u->last_send;
		return;
	}
	if (ask == POLICY_RESEND && wait > 0) {
		d->what = POLICY_WAIT;
		d->wait = wait;
		return;
	}
	if (u->sends >= lim->max_sends) {
		d->what = POLICY_CAP;
		d->wait = u->window_start + lim->send_window - now;
		return;
	}
	d->what = POLICY_SEND;
}

void
policy_sent(struct state_user *u, long long now)
{
	u->sends++;
	u->last_send = now;
}

void
policy_give_back(struct state_user *u)
{
	u->has_code = 0;
	if (u->sends > 0)
		u->sends--;
	u->last_send = 0;
}

void
policy_answer(const struct policy_limits *lim, struct state_user *u,
	      long long now, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	policy_refresh(lim, u, now);
	if (u->locked_until > now) {
		d->what = POLICY_ANSWER_LOCKED;
		d->wait = u->locked_until - now;
		return;
	}
	if (!u->has_code) {
		d->what = POLICY_SPENT;
		return;
	}
	if (otp_expired((time_t)u->code_issued, lim->ttl, (time_t)now)) {
		d->what = POLICY_EXPIRED;
		return;
	}
	/* counted as wrong before anything is compared */
	d->what = POLICY_COMPARE;
	u->wrong++;
	if (lim->lockout_after > 0 && u->wrong >= lim->lockout_after) {
		u->locked_until = now + lim->lockout_time;
		d->locks = 1;
		d->wait = lim->lockout_time;
	}
}

void
policy_compared(struct state_user *u, int right, struct policy_decision *d)
{
	if (right) {
		d->what = POLICY_RIGHT;
		d->locks = 0;
		d->wait = 0;
		u->has_code = 0;
		u->wrong = 0;
		u->locked_until = 0;
		util_wipe(u->hash, sizeof(u->hash));
		return;
	}
	d->what = d->locks ? POLICY_ANSWER_LOCKED : POLICY_WRONG;
}

long long
policy_minutes(long long seconds)
{
	return seconds > 0 ? (seconds + 59) / 60 : 1;
}

/* Is name one of the n names? */
static int
in_names(const char *name, char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return 1;
	}
	return 0;
}

enum policy_who
policy_groups(char *const *list, size_t nlist, char *const *mine, size_t nmine)
{
	size_t i;
	int plain = 0, member = 0;

	for (i = 0; i < nlist; i++) {
		if (list[i][0] == '!') {
			/* an exemption wins over any membership */
			if (in_names(list[i] + 1, mine, nmine))
				return POLICY_SKIP;
			continue;
		}
		plain = 1;
		if (in_names(list[i], mine, nmine))
			member = 1;
	}
	return plain && !member ? POLICY_SKIP : POLICY_CHALLENGE;
}

int
policy_groups_exempt(char *const *list, size_t nlist, char *const *mine,
		     size_t nmine)
{
	size_t i;

	for (i = 0; i < nlist; i++) {
		if (list[i][0] == '!' && in_names(list[i] + 1, mine, nmine))
			return 1;
	}
	return 0;
}
