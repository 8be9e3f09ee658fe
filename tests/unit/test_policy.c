/*
 * Unit tests: the login's rules (policy/), by a table with an injected
 * clock.  Each row: the limits, the record before, the time, one action,
 * the decision expected and the record after.  The PAM tests that once
 * covered these rules with sleeps and many logins (tests/pam/limits.sh,
 * expiry.sh) keep only the wiring; the case each row comes from is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../policy/policy.h"

/* The parts of a record the rules read and write. */
struct rec {
	long long window_start;
	long sends;
	long long last_send;
	long wrong;
	long long locked_until;
	int has_code;
	long long code_issued;
};

enum action {
	FIRST,		/* policy_issue(POLICY_FIRST) */
	RESEND,		/* policy_issue(POLICY_RESEND) */
	SEND,		/* policy_issue(FIRST) must say POLICY_SEND, then
			   policy_sent() (a code kept at now) */
	WRONG,		/* policy_answer, then policy_compared(0) if asked */
	RIGHT,		/* policy_answer, then policy_compared(1) if asked */
	GIVE_BACK,	/* policy_give_back */
	REFRESH		/* policy_refresh */
};

struct row {
	const char *name;
	struct policy_limits lim;
	struct rec before;
	long long now;
	enum action action;
	int what;		/* the decision: -1 for none */
	long long wait, ago;
	int locks;
	struct rec after;
};

/* ttl, resend_after, max_sends, send_window, lockout_after, lockout_time */
#define L_DEFAULT { 300, 60, 10, 86400, 10, 900 }
#define L_RESEND0 { 300, 0, 10, 86400, 10, 900 }
#define L_CAP3 { 300, 0, 3, 600, 10, 900 }
#define L_CAP2 { 300, 0, 2, 600, 10, 900 }
#define L_LOCK3 { 300, 0, 10, 86400, 3, 600 }
#define L_LOCK3_5S { 300, 0, 10, 86400, 3, 5 }
#define L_LOCK0 { 300, 0, 10, 86400, 0, 900 }
#define L_LOCK1 { 300, 0, 10, 86400, 1, 600 }
#define L_TTL30 { 30, 60, 10, 86400, 10, 900 }

/* T: a time well after 0 (0 means "never" in a record). */
#define T 1000000LL
/* A record with a code sent at t (window started then, one send). */
#define SENT_AT(t) { (t), 1, (t), 0, 0, 1, (t) }

static const struct row rows[] = {
	/* ------------------------------------------------ resend_after */
	/* limits.sh t_reuse: login 2 reuses login 1's code; ago + wait =
	 * resend_after; nothing is written */
	{ "reuse within resend_after", L_DEFAULT, SENT_AT(T), T + 10, FIRST,
	  POLICY_REUSE, 50, 10, 0, SENT_AT(T) },
	{ "reuse: the last second of resend_after", L_DEFAULT, SENT_AT(T),
	  T + 59, FIRST, POLICY_REUSE, 1, 59, 0, SENT_AT(T) },
	{ "no reuse once resend_after is over: a new code", L_DEFAULT,
	  SENT_AT(T), T + 60, SEND, POLICY_SEND, 0, 0, 0,
	  { T, 2, T + 60, 0, 0, 1, T + 60 } },
	/* t_resend_zero: resend_after = 0 sends at every login */
	{ "resend_after = 0: a new code at every login", L_RESEND0, SENT_AT(T),
	  T + 1, SEND, POLICY_SEND, 0, 0, 0, { T, 2, T + 1, 0, 0, 1, T + 1 } },
	{ "resend_after = 0, the same second: a new code", L_RESEND0,
	  SENT_AT(T), T, FIRST, POLICY_SEND, 0, 0, 0, SENT_AT(T) },
	/* t_spent_then_new: a spent code is not reused inside resend_after */
	{ "spent code inside resend_after: a new code, not a reuse", L_DEFAULT,
	  { T, 1, T, 0, 0, 0, T }, T + 5, SEND, POLICY_SEND, 0, 0, 0,
	  { T, 2, T + 5, 0, 0, 1, T + 5 } },
	/* expiry.sh: an expired code inside resend_after is not reused */
	{ "expired code inside resend_after: a new code", { 30, 60, 10, 86400, 10, 900 },
	  SENT_AT(T), T + 40, FIRST, POLICY_SEND, 0, 0, 0, SENT_AT(T) },
	{ "a last send in the future (clock went back): no wait", L_DEFAULT,
	  SENT_AT(T + 100), T, FIRST, POLICY_SEND, 0, 0, 0,
	  { T, 0, T + 100, 0, 0, 1, T + 100 } },

	/* ------------------------------------------------ empty answers */
	/* t_empty_resend: resend_after = 0, an empty answer sends anew */
	{ "resend, resend_after = 0: a new code", L_RESEND0, SENT_AT(T), T + 3,
	  SEND, POLICY_SEND, 0, 0, 0, { T, 2, T + 3, 0, 0, 1, T + 3 } },
	/* t_empty_resend_after: inside resend_after the wait is told,
	 * even with the code still valid */
	{ "resend inside resend_after: the wait", L_DEFAULT, SENT_AT(T),
	  T + 8, RESEND, POLICY_WAIT, 52, 0, 0, SENT_AT(T) },
	{ "resend inside resend_after, code spent: still the wait", L_DEFAULT,
	  { T, 1, T, 0, 0, 0, T }, T + 8, RESEND, POLICY_WAIT, 52, 0, 0,
	  { T, 1, T, 0, 0, 0, T } },
	{ "resend after resend_after: a new code", L_DEFAULT, SENT_AT(T),
	  T + 61, RESEND, POLICY_SEND, 0, 0, 0, SENT_AT(T) },
	/* t_empty_max_sends: a resend over max_sends is told the window */
	{ "resend over max_sends: the window's wait", L_CAP2,
	  { T, 2, T + 10, 0, 0, 1, T + 10 }, T + 20, RESEND, POLICY_CAP, 580,
	  0, 0, { T, 2, T + 10, 0, 0, 1, T + 10 } },

	/* ------------------------------------------------ max_sends, send_window */
	/* t_max_sends: 3 per 600 s; the 4th is refused, told 600 s */
	{ "max_sends = 3: the third send", L_CAP3, { T, 2, T + 1, 0, 0, 1, T + 1 },
	  T + 2, SEND, POLICY_SEND, 0, 0, 0, { T, 3, T + 2, 0, 0, 1, T + 2 } },
	{ "max_sends = 3 reached: refused, the window's wait", L_CAP3,
	  { T, 3, T, 0, 0, 0, T }, T, FIRST, POLICY_CAP, 600, 0, 0,
	  { T, 3, T, 0, 0, 0, T } },
	{ "max_sends reached, a window not ended (590 s): refused", L_CAP3,
	  { T, 3, T, 0, 0, 0, T }, T + 590, FIRST, POLICY_CAP, 10, 0, 0,
	  { T, 3, T, 0, 0, 0, T } },
	{ "max_sends reached, the window ended (601 s): a new count", L_CAP3,
	  { T, 3, T, 0, 0, 0, T }, T + 601, SEND, POLICY_SEND, 0, 0, 0,
	  { T + 601, 1, T + 601, 0, 0, 1, T + 601 } },
	{ "the window ends at exactly send_window", L_CAP3,
	  { T, 3, T, 0, 0, 0, T }, T + 600, FIRST, POLICY_SEND, 0, 0, 0,
	  { T + 600, 0, T, 0, 0, 0, T } },
	{ "a window starting in the future (clock went back) starts anew",
	  L_CAP3, { T + 100, 3, T + 100, 0, 0, 0, T }, T, FIRST, POLICY_SEND, 0,
	  0, 0, { T, 0, T + 100, 0, 0, 0, T } },
	/* the reuse comes before the cap: a login inside resend_after
	 * gets the code already sent even at max_sends */
	{ "max_sends reached but a code to reuse: reuse", { 300, 60, 1, 600, 10, 900 },
	  SENT_AT(T), T + 5, FIRST, POLICY_REUSE, 55, 5, 0, SENT_AT(T) },

	/* ------------------------------------------------ answers */
	/* t_success_resets: a right code spends it and clears the count */
	{ "right code: spent, count cleared", L_LOCK3,
	  { T, 1, T, 2, 0, 1, T }, T + 5, RIGHT, POLICY_RIGHT, 0, 0, 0,
	  { T, 1, T, 0, 0, 0, T } },
	/* t_spent_code / t_spent_then_new: an old code against a new one
	 * is a wrong code, counted */
	{ "wrong code: counted", L_LOCK3, SENT_AT(T), T + 5, WRONG,
	  POLICY_WRONG, 0, 0, 0, { T, 1, T, 1, 0, 1, T } },
	/* t_spent_two_logins: the code spent by another login */
	{ "no code kept: spent, nothing counted", L_LOCK3,
	  { T, 1, T, 0, 0, 0, T }, T + 5, WRONG, POLICY_SPENT, 0, 0, 0,
	  { T, 1, T, 0, 0, 0, T } },
	{ "no code kept, the right code: still spent", L_LOCK3,
	  { T, 1, T, 0, 0, 0, T }, T + 5, RIGHT, POLICY_SPENT, 0, 0, 0,
	  { T, 1, T, 0, 0, 0, T } },
	/* expiry.sh t_expired / t_not_yet_expired: ttl = 30 */
	{ "ttl = 30, right code after 31 s: expired, not counted", L_TTL30,
	  SENT_AT(T), T + 31, RIGHT, POLICY_EXPIRED, 0, 0, 0, SENT_AT(T) },
	{ "ttl = 30, right code after 30 s: expired", L_TTL30, SENT_AT(T),
	  T + 30, RIGHT, POLICY_EXPIRED, 0, 0, 0, SENT_AT(T) },
	{ "ttl = 30, right code after 29 s: accepted", L_TTL30, SENT_AT(T),
	  T + 29, RIGHT, POLICY_RIGHT, 0, 0, 0, { T, 1, T, 0, 0, 0, T } },
	{ "ttl = 30, right code after 3 s: accepted", L_TTL30, SENT_AT(T),
	  T + 3, RIGHT, POLICY_RIGHT, 0, 0, 0, { T, 1, T, 0, 0, 0, T } },
	{ "a code issued in the future (clock went back): expired", L_TTL30,
	  SENT_AT(T + 10), T, RIGHT, POLICY_EXPIRED, 0, 0, 0,
	  { T, 0, T + 10, 0, 0, 1, T + 10 } },

	/* ------------------------------------------------ lockout */
	/* t_lockout: lockout_after = 3 across logins */
	{ "wrong code 1 of 3: no lock", L_LOCK3, SENT_AT(T), T + 1, WRONG,
	  POLICY_WRONG, 0, 0, 0, { T, 1, T, 1, 0, 1, T } },
	{ "wrong code 2 of 3: no lock", L_LOCK3, { T, 1, T, 1, 0, 1, T }, T + 1,
	  WRONG, POLICY_WRONG, 0, 0, 0, { T, 1, T, 2, 0, 1, T } },
	/* t_lockout, t_lockout_one_login: the third locks, told 600 s */
	{ "wrong code 3 of 3: locked for lockout_time", L_LOCK3,
	  { T, 1, T, 2, 0, 1, T }, T + 1, WRONG, POLICY_ANSWER_LOCKED, 600, 0, 1,
	  { T, 1, T, 3, T + 601, 1, T } },
	/* the right code on the try that reaches lockout_after: no lock */
	{ "right code as try 3 of 3: success, no lock", L_LOCK3,
	  { T, 1, T, 2, 0, 1, T }, T + 1, RIGHT, POLICY_RIGHT, 0, 0, 0,
	  { T, 1, T, 0, 0, 0, T } },
	/* t_lockout: a locked user gets no SMS and no prompt */
	{ "locked: no SMS, the lock's wait", L_LOCK3,
	  { T, 3, T, 3, T + 600, 0, T }, T + 100, FIRST, POLICY_LOCKED, 500, 0,
	  0, { T, 3, T, 3, T + 600, 0, T } },
	/* t_locked_no_resend: locked by another login, then a resend */
	{ "locked meanwhile, a resend: no SMS", L_LOCK1,
	  { T, 2, T, 1, T + 600, 1, T }, T + 3, RESEND, POLICY_LOCKED, 597, 0,
	  0, { T, 2, T, 1, T + 600, 1, T } },
	/* t_many_lockout: answers after the lock find the user locked,
	 * not counted */
	{ "an answer while locked: locked, not counted", L_LOCK3,
	  { T, 1, T, 3, T + 600, 1, T }, T + 5, WRONG, POLICY_ANSWER_LOCKED,
	  595, 0, 0, { T, 1, T, 3, T + 600, 1, T } },
	{ "the right code while locked: locked", L_LOCK3,
	  { T, 1, T, 3, T + 600, 1, T }, T + 5, RIGHT, POLICY_ANSWER_LOCKED,
	  595, 0, 0, { T, 1, T, 3, T + 600, 1, T } },
	/* t_lockout: the lock ends after lockout_time, the count with it */
	{ "the lock's last second: still locked", L_LOCK3_5S,
	  { T, 3, T, 3, T + 5, 0, T }, T + 4, FIRST, POLICY_LOCKED, 1, 0, 0,
	  { T, 3, T, 3, T + 5, 0, T } },
	{ "the lock ended: lifted with its count, a new code", L_LOCK3_5S,
	  { T, 3, T, 3, T + 5, 0, T }, T + 5, SEND, POLICY_SEND, 0, 0, 0,
	  { T, 4, T + 5, 0, 0, 1, T + 5 } },
	{ "the lock ended: a right code logs in", L_LOCK3_5S,
	  { T, 3, T + 6, 3, T + 5, 1, T + 6 }, T + 7, RIGHT, POLICY_RIGHT, 0, 0,
	  0, { T, 3, T + 6, 0, 0, 0, T + 6 } },
	/* t_lockout_zero: lockout_after = 0 never locks */
	{ "lockout_after = 0: the ninth wrong code, no lock", L_LOCK0,
	  { T, 3, T, 8, 0, 1, T }, T + 1, WRONG, POLICY_WRONG, 0, 0, 0,
	  { T, 3, T, 9, 0, 1, T } },
	/* t_many_wrong: lockout_after = 1000, every wrong code counts */
	{ "lockout_after = 1000: wrong code 24, no lock",
	  { 300, 60, 10, 600, 1000, 600 }, { T, 1, T, 23, 0, 1, T }, T + 1, WRONG,
	  POLICY_WRONG, 0, 0, 0, { T, 1, T, 24, 0, 1, T } },

	/* ------------------------------------------------ a send that never left */
	{ "give back: the count and the code", L_DEFAULT,
	  { T, 2, T + 5, 0, 0, 1, T + 5 }, T + 6, GIVE_BACK, -1, 0, 0, 0,
	  { T, 1, 0, 0, 0, 0, T + 5 } },
	{ "give back with no count: stays 0", L_DEFAULT, { T, 0, T, 0, 0, 1, T },
	  T, GIVE_BACK, -1, 0, 0, 0, { T, 0, 0, 0, 0, 0, T } },

	/* ------------------------------------------------ refresh (smsotp status) */
	{ "refresh: a window and a lock that both ended", L_LOCK3,
	  { T, 5, T, 3, T + 600, 1, T }, T + 86400, REFRESH, -1, 0, 0, 0,
	  { T + 86400, 0, T, 0, 0, 1, T } },
	{ "refresh: nothing ended", L_LOCK3, { T, 5, T, 3, T + 600, 1, T },
	  T + 10, REFRESH, -1, 0, 0, 0, { T, 5, T, 3, T + 600, 1, T } },
};

static void
to_user(const struct rec *r, struct state_user *u)
{
	memset(u, 0, sizeof(*u));
	strcpy(u->user, "alice");
	u->window_start = r->window_start;
	u->sends = r->sends;
	u->last_send = r->last_send;
	u->wrong = r->wrong;
	u->locked_until = r->locked_until;
	u->has_code = r->has_code;
	u->code_issued = r->code_issued;
}

/* Runs row's action on u; returns the decision's what, or -1. */
static int
act(const struct row *row, struct state_user *u, struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	switch (row->action) {
	case FIRST:
	case SEND:
		policy_issue(&row->lim, u, row->now, POLICY_FIRST, d);
		if (row->action == SEND && d->what == POLICY_SEND) {
			/* what state_set_code does, then the count */
			u->has_code = 1;
			u->code_issued = row->now;
			policy_sent(u, row->now);
		}
		return d->what;
	case RESEND:
		policy_issue(&row->lim, u, row->now, POLICY_RESEND, d);
		return d->what;
	case WRONG:
	case RIGHT:
		policy_answer(&row->lim, u, row->now, d);
		if (d->what == POLICY_COMPARE)
			policy_compared(u, row->action == RIGHT, d);
		return d->what;
	case GIVE_BACK:
		policy_give_back(u);
		return -1;
	case REFRESH:
	default:
		policy_refresh(&row->lim, u, row->now);
		return -1;
	}
}

static void
test_rows(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		struct policy_decision d;
		struct state_user u, want;
		int what;

		to_user(&row->before, &u);
		to_user(&row->after, &want);
		what = act(row, &u, &d);
		if (what != row->what || (what >= 0 && (d.wait != row->wait ||
		    d.ago != row->ago || d.locks != row->locks))) {
			print_error("row \"%s\": decision %d wait %lld ago %lld locks %d; "
				    "expected %d wait %lld ago %lld locks %d\n", row->name,
				    what, d.wait, d.ago, d.locks, row->what, row->wait,
				    row->ago, row->locks);
			failed++;
		}
		if (u.window_start != want.window_start || u.sends != want.sends ||
		    u.last_send != want.last_send || u.wrong != want.wrong ||
		    u.locked_until != want.locked_until ||
		    u.has_code != want.has_code ||
		    u.code_issued != want.code_issued) {
			print_error("row \"%s\": record after {%lld %ld %lld %ld %lld %d "
				    "%lld}, expected {%lld %ld %lld %ld %lld %d %lld}\n",
				    row->name, u.window_start, u.sends, u.last_send,
				    u.wrong, u.locked_until, u.has_code, u.code_issued,
				    want.window_start, want.sends, want.last_send,
				    want.wrong, want.locked_until, want.has_code,
				    want.code_issued);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* A run of answers across logins, one clock: lockout_after = 3 counts
 * across them, the lock ends after lockout_time (limits.sh t_lockout,
 * t_success_resets). */
static void
test_sequences(void **state)
{
	const struct policy_limits lim = L_LOCK3_5S;
	struct policy_decision d;
	struct state_user u;
	long long now = T;
	int i;

	(void)state;
	memset(&u, 0, sizeof(u));
	/* wrong, wrong, right, wrong, wrong: never locked */
	for (i = 0; i < 6; i++) {
		int right = i == 2 || i == 5;

		policy_issue(&lim, &u, now, POLICY_FIRST, &d);
		assert_int_equal(d.what, POLICY_SEND);
		u.has_code = 1;
		u.code_issued = now;
		policy_sent(&u, now);
		policy_answer(&lim, &u, now + 1, &d);
		assert_int_equal(d.what, POLICY_COMPARE);
		policy_compared(&u, right, &d);
		assert_int_equal(d.what, right ? POLICY_RIGHT : POLICY_WRONG);
		now += 2;
	}
	assert_int_equal(u.wrong, 0);
	/* three wrong codes in three logins: the third locks */
	for (i = 1; i <= 3; i++) {
		policy_issue(&lim, &u, now, POLICY_FIRST, &d);
		assert_int_equal(d.what, POLICY_SEND);
		u.has_code = 1;
		u.code_issued = now;
		policy_sent(&u, now);
		policy_answer(&lim, &u, now, &d);
		policy_compared(&u, 0, &d);
		assert_int_equal(d.what, i < 3 ? POLICY_WRONG : POLICY_ANSWER_LOCKED);
		assert_int_equal(u.wrong, i);
	}
	assert_int_equal(u.locked_until, now + 5);
	policy_issue(&lim, &u, now + 4, POLICY_FIRST, &d);
	assert_int_equal(d.what, POLICY_LOCKED);
	assert_int_equal(d.wait, 1);
	policy_issue(&lim, &u, now + 5, POLICY_FIRST, &d);
	assert_int_equal(d.what, POLICY_SEND);
	assert_int_equal(u.wrong, 0);
	assert_int_equal(u.locked_until, 0);
}

/* The count before the compare: the record written before the answer is
 * compared already holds the wrong try (and its lock), whatever the
 * answer turns out to be. */
static void
test_count_before_compare(void **state)
{
	const struct policy_limits lim = L_LOCK3;
	struct policy_decision d;
	struct state_user u;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.has_code = 1;
	u.code_issued = T;
	u.wrong = 2;
	policy_answer(&lim, &u, T + 1, &d);
	assert_int_equal(d.what, POLICY_COMPARE);
	assert_int_equal(u.wrong, 3);
	assert_int_equal(u.locked_until, T + 601);
	assert_int_equal(d.locks, 1);
	assert_int_equal(u.has_code, 1);
}

/* policy_refresh (once state_refresh, in test_state.c). */
static void
test_refresh(void **state)
{
	struct policy_limits lim = { 300, 60, 10, 3600, 10, 900 };
	struct state_user u;

	(void)state;
	memset(&u, 0, sizeof(u));
	/* never used: a window starts now */
	policy_refresh(&lim, &u, 100000);
	assert_int_equal(u.window_start, 100000);
	/* inside the window: counts stay */
	u.sends = 3;
	policy_refresh(&lim, &u, 100000 + 3599);
	assert_int_equal(u.window_start, 100000);
	assert_int_equal(u.sends, 3);
	/* the window ended: a new one, no sends */
	policy_refresh(&lim, &u, 100000 + 3600);
	assert_int_equal(u.window_start, 103600);
	assert_int_equal(u.sends, 0);
	/* a clock gone back starts one as well */
	u.sends = 2;
	policy_refresh(&lim, &u, 50000);
	assert_int_equal(u.window_start, 50000);
	assert_int_equal(u.sends, 0);
	/* a running lock stays with its count; an ended one goes with it */
	u.wrong = 5;
	u.locked_until = 50600;
	policy_refresh(&lim, &u, 50599);
	assert_int_equal(u.locked_until, 50600);
	assert_int_equal(u.wrong, 5);
	policy_refresh(&lim, &u, 50600);
	assert_int_equal(u.locked_until, 0);
	assert_int_equal(u.wrong, 0);
	/* wrong codes without a lock are kept */
	u.wrong = 2;
	policy_refresh(&lim, &u, 50700);
	assert_int_equal(u.wrong, 2);
}

static void
test_minutes_and_limits(void **state)
{
	(void)state;
	assert_int_equal(policy_minutes(1), 1);
	assert_int_equal(policy_minutes(60), 1);
	assert_int_equal(policy_minutes(61), 2);
	assert_int_equal(policy_minutes(600), 10);
	assert_int_equal(policy_minutes(0), 1);
	assert_int_equal(policy_minutes(-5), 1);
}

/* When a record holds nothing a rule reads: what a store may forget. */
static void
test_forget_at(void **state)
{
	const struct policy_limits lim = { 300, 60, 10, 86400, 3, 900 };
	struct state_user u;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(policy_forget_at(&lim, &u), 0);	/* nothing kept */
	u.sends = 1;
	u.window_start = 1000;
	u.last_send = 1000;
	u.has_code = 1;
	u.code_issued = 1000;
	/* the window is what lasts longest */
	assert_int_equal(policy_forget_at(&lim, &u), 1000 + 86400);
	u.sends = 0;	/* (a reset record with a code: its ttl) */
	assert_int_equal(policy_forget_at(&lim, &u), 1000 + 300);
	u.has_code = 0;	/* the resend wait still holds */
	assert_int_equal(policy_forget_at(&lim, &u), 1000 + 60);
	/* wrong codes with no lock count until a right one: kept */
	u.wrong = 2;
	assert_int_equal(policy_forget_at(&lim, &u), POLICY_KEEP);
	/* a lock ends them: kept until it does */
	u.wrong = 3;
	u.locked_until = 5000;
	assert_int_equal(policy_forget_at(&lim, &u), 5000);
}

/*
 * Who gets the challenge (`groups`): the setting as a comma list, the
 * user's groups as one, and the answer.  tests/pam/groups.sh runs the
 * same rule through logins, with the groups from NSS.
 */
static const struct {
	const char *list;
	const char *mine;
	enum policy_who want;
} group_rows[] = {
	{ "", "staff", POLICY_CHALLENGE },		/* unset: everyone */
	{ "", "", POLICY_CHALLENGE },
	{ "sms-users", "staff,sms-users", POLICY_CHALLENGE },	/* a member */
	{ "sms-users", "sms-users", POLICY_CHALLENGE },	/* primary group only */
	{ "sms-users", "staff", POLICY_SKIP },		/* not a member */
	{ "sms-users", "", POLICY_SKIP },
	{ "sms-users,ops", "ops", POLICY_CHALLENGE },	/* any of the names */
	{ "!svc", "staff", POLICY_CHALLENGE },		/* only exemptions */
	{ "!svc", "staff,svc", POLICY_SKIP },		/* exempt */
	{ "sms-users,!svc", "sms-users,svc", POLICY_SKIP },	/* exemption wins */
	{ "!svc,sms-users", "svc,sms-users", POLICY_SKIP },	/* in any order */
	{ "sms-users,!svc", "sms-users", POLICY_CHALLENGE },
	{ "sms-users", "SMS-users", POLICY_SKIP },	/* names compare exactly */
	{ "sms-users", "sms-users2", POLICY_SKIP },
	{ "!sms", "sms-users", POLICY_CHALLENGE },
};

/* Splits a comma list into out (at most 8 names of 31 bytes). */
static size_t
split(const char *list, char names[8][32], char *out[8])
{
	size_t n = 0;
	const char *p = list;

	while (*p != '\0' && n < 8) {
		size_t len = strcspn(p, ",");

		snprintf(names[n], 32, "%.*s", (int)len, p);
		out[n] = names[n];
		n++;
		p += len + (p[len] == ',');
	}
	return n;
}

static void
test_groups(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(group_rows) / sizeof(group_rows[0]); i++) {
		char lbuf[8][32], mbuf[8][32];
		char *list[8], *mine[8];
		size_t nl = split(group_rows[i].list, lbuf, list);
		size_t nm = split(group_rows[i].mine, mbuf, mine);

		if (policy_groups(list, nl, mine, nm) != group_rows[i].want)
			fail_msg("row %zu: groups \"%s\", user in \"%s\": expected %s", i,
				 group_rows[i].list, group_rows[i].mine,
				 group_rows[i].want == POLICY_SKIP ? "skip" : "challenge");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_count_before_compare),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_minutes_and_limits),
		cmocka_unit_test(test_forget_at),
		cmocka_unit_test(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
