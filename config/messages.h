/*
 * messages: every sentence the module can show a user, as one table of
 * keys (the `messages` group of the configuration and the module's
 * `messages.KEY=` arguments) with their default texts, which are what the
 * module said before the group existed.  The man page lists the same keys
 * (tests/unit/test_messages.c holds it to this table).
 */
#ifndef SMSOTP_MESSAGES_H
#define SMSOTP_MESSAGES_H

#include <stddef.h>

enum msg_id {
	MSG_WRONG,		/* a wrong code; the prompt follows */
	MSG_TOO_MANY,		/* a wrong code, the last try */
	MSG_EXPIRED,
	MSG_SPENT,		/* a code already used */
	MSG_NOT_SENT,		/* no provider took the SMS */
	MSG_UNAVAILABLE,	/* the store of the counts cannot be used */
	MSG_LOCKED,
	MSG_CAP,		/* max_sends reached at login */
	MSG_CAP_RESEND,		/* ... at an empty answer */
	MSG_REUSE,		/* the code of an earlier login is asked */
	MSG_RESEND_WAIT,	/* an empty answer too early */
	MSG_SENT_AGAIN,		/* an empty answer got a new code */
	MSG_COUNT
};

/* What a message may tell beyond the prompt's placeholders. */
#define MSG_TELLS_WAIT 0x1u	/* {wait} seconds, {wait_min} minutes */
#define MSG_TELLS_AGO 0x2u	/* {ago} seconds */

/* A message longer than this many bytes is refused: the conversation
 * functions of some applications keep a message in PAM_MAX_MSG_SIZE. */
#define MSG_MAX_BYTES 512

struct msg_def {
	const char *key;
	const char *text;	/* the default */
	unsigned tells;		/* MSG_TELLS_* */
};

extern const struct msg_def messages_table[MSG_COUNT];

/* The placeholders every message may use: the prompt's. */
extern const char *const messages_placeholders[];
extern const size_t messages_n_placeholders;

/* The id of key, or -1. */
int messages_find(const char *key);

/*
 * Whether text may stand for message id: valid UTF-8 without control
 * characters, at most MSG_MAX_BYTES, and only the placeholders that
 * message may use (never {code}).  0, or -1 with the reason in why.
 */
int messages_check(enum msg_id id, const char *text, char *why, size_t whylen);

#endif
