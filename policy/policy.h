/*
 * policy: the login's rules, apart from PAM and from any I/O.  Given the
 * limits, a user's record and the time (always a parameter: the store's
 * clock decides every window), each function says what a login does and
 * changes the record as that decision requires; the caller keeps it (a
 * store's write) and talks to the user.
 */
#ifndef SMSOTP_POLICY_H
#define SMSOTP_POLICY_H

#include "../state/state.h"

/* The limits group and ttl, in seconds (config/ holds their ranges). */
struct policy_limits {
	long ttl;
	long resend_after;	/* 0: a new code at every login */
	long max_sends;		/* SMS per send_window */
	long send_window;
	long lockout_after;	/* 0: never locks */
	long lockout_time;
};

struct smsotp_config;

/* The limits of a configuration (config.h). */
void policy_limits_from(struct policy_limits *lim,
			const struct smsotp_config *cfg);

/* A login asks for a code: its first one, or another (an empty answer). */
enum policy_ask { POLICY_FIRST, POLICY_RESEND };

enum policy_issue {
	POLICY_LOCKED,		/* wait: seconds the lock still lasts */
	POLICY_REUSE,		/* ask the code sent ago s ago; wait: s before
				   another may go */
	POLICY_WAIT,		/* a resend too early: wait s */
	POLICY_CAP,		/* max_sends reached: wait s until the window
				   ends */
	POLICY_SEND		/* send a new code: policy_sent() once it is
				   drawn */
};

struct policy_decision {
	int what;		/* enum policy_issue or enum policy_verdict */
	long long wait;		/* seconds, > 0 where a wait is told */
	long long ago;		/* POLICY_REUSE: seconds since the code went */
	int locks;		/* an answer: this try locked the user */
};

/*
 * Brings u up to date at now, as every decision does first: a send window
 * that ended (or starts in the future: the clock went back) starts anew
 * at now with no sends; a lock that ended is lifted, and with it the count
 * of wrong codes that led to it.
 */
void policy_refresh(const struct policy_limits *lim, struct state_user *u,
		    long long now);

/* What a login asking for a code gets (u refreshed). */
void policy_issue(const struct policy_limits *lim, struct state_user *u,
		  long long now, enum policy_ask ask, struct policy_decision *d);

/* A new code was drawn and kept for u (state_set_code): the SMS is counted
 * before it leaves, so that concurrent logins never send more than
 * max_sends. */
void policy_sent(struct state_user *u, long long now);

/* A send that certainly never left (no connection made, no program
 * started) gives back its count and its code; u must still hold that code
 * (another login may have replaced it). */
void policy_give_back(struct state_user *u);

enum policy_verdict {
	POLICY_COMPARE,		/* counted as wrong: write u, then compare */
	POLICY_RIGHT,		/* the code is spent, the counts cleared */
	POLICY_WRONG,
	POLICY_EXPIRED,		/* older than ttl: a new login is needed */
	POLICY_SPENT,		/* no code kept: used or replaced */
	POLICY_ANSWER_LOCKED	/* locked before or by this try; wait s */
};

/*
 * An answer, before it is compared: a locked user, a spent or an expired
 * code end here.  Otherwise the try is counted on u as a wrong one (with
 * the lock it brings at lockout_after) and the verdict is POLICY_COMPARE:
 * the caller writes u durably and only then compares, so that nothing the
 * caller of sudo does to the write leaves a wrong answer uncounted.
 */
void policy_answer(const struct policy_limits *lim, struct state_user *u,
		   long long now, struct policy_decision *d);

/* After POLICY_COMPARE, the comparison's result: right spends the code and
 * clears the count and the lock (write u again); wrong stays as counted,
 * POLICY_WRONG or POLICY_ANSWER_LOCKED. */
void policy_compared(struct state_user *u, int right, struct policy_decision *d);

/* 1 when the code u keeps is still valid at now. */
int policy_code_valid(const struct policy_limits *lim,
		      const struct state_user *u, long long now);

/*
 * When u holds nothing any more that a rule reads (the send window over,
 * no lock, no valid code, the resend wait passed): a store may forget it
 * then.  POLICY_KEEP while wrong codes are counted with no lock to end
 * them (they count until a right code).
 */
#define POLICY_KEEP (-1LL)
long long policy_forget_at(const struct policy_limits *lim,
			   const struct state_user *u);

/* Minutes, rounded up and at least 1, for a wait told in minutes. */
long long policy_minutes(long long seconds);

/*
 * Who gets the challenge, by the `groups` setting (list, nlist; none:
 * everyone) and the names of the groups the user is in (mine, nmine):
 * a user in a group named "!g" is skipped; otherwise, when plain names
 * are listed, one in none of them is skipped.  Names compare exactly.
 */
enum policy_who { POLICY_CHALLENGE, POLICY_SKIP };
enum policy_who policy_groups(char *const *list, size_t nlist,
			      char *const *mine, size_t nmine);

/* 1 when mine holds a group list exempts ("!g"): a skip no other lookup
 * can undo; 0 otherwise (a skip for being in none of the plain groups is
 * confirmed by util_groups_surely_outside()). */
int policy_groups_exempt(char *const *list, size_t nlist, char *const *mine,
			 size_t nmine);

#endif
