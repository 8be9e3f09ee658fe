/*
 * messages: the table of the texts a user is shown, and the check of a
 * text an administrator puts in place of one.
 */
#include <stdio.h>
#include <string.h>

#include "../template/template.h"
#include "messages.h"

#define W MSG_TELLS_WAIT
#define A MSG_TELLS_AGO

/* In enum msg_id's order. */
const struct msg_def messages_table[MSG_COUNT] = {
	[MSG_WRONG] = { "wrong", "Wrong code, please try again.", 0 },
	[MSG_TOO_MANY] = { "too_many", "Wrong code. Too many tries.", 0 },
	[MSG_EXPIRED] = { "expired",
		"The code has expired. Please log in again to get a new one.", 0 },
	[MSG_SPENT] = { "spent",
		"This code is no longer valid. Please log in again to get a new one.", 0 },
	[MSG_NOT_SENT] = { "not_sent",
		"The SMS code could not be sent. Please try again later.", 0 },
	[MSG_UNAVAILABLE] = { "unavailable",
		"The SMS code check is not available. Please try again later.", 0 },
	[MSG_LOCKED] = { "locked", "Too many wrong codes: SMS login is locked for "
		"{wait_min} more minute(s).", W },
	[MSG_CAP] = { "cap", "No more SMS codes can be sent for now. The next one "
		"can be sent in {wait_min} minute(s).", W },
	[MSG_CAP_RESEND] = { "cap_resend", "No more SMS codes can be sent for now "
		"(the next in {wait_min} minute(s)); enter the last code.", W },
	[MSG_REUSE] = { "reuse", "Enter the code sent {ago} s ago (a new one can be "
		"sent in {wait} s).", W | A },
	[MSG_RESEND_WAIT] = { "resend_wait", "A new code can be sent in {wait} s; "
		"enter the last code, or press Enter then.", W },
	[MSG_SENT_AGAIN] = { "sent_again", "A new code was sent.", 0 },
};

/* The prompt's placeholders (config_message_placeholders without the
 * code), then those of a wait and of {ago}. */
const char *const messages_placeholders[] = {
	"ttl", "ttl_min", "user", "host", "service", "rhost", "phone",
	"phone_masked",
};
const size_t messages_n_placeholders =
	sizeof(messages_placeholders) / sizeof(messages_placeholders[0]);

int
messages_find(const char *key)
{
	int i;

	for (i = 0; i < MSG_COUNT; i++) {
		if (strcmp(messages_table[i].key, key) == 0)
			return i;
	}
	return -1;
}

int
messages_check(enum msg_id id, const char *text, char *why, size_t whylen)
{
	const char *names[16];
	size_t i, n = 0;

	if (tpl_check_text(text, why, whylen) != TPL_OK)
		return -1;
	if (strlen(text) > MSG_MAX_BYTES) {
		snprintf(why, whylen, "longer than %d bytes", MSG_MAX_BYTES);
		return -1;
	}
	for (i = 0; i < messages_n_placeholders; i++)
		names[n++] = messages_placeholders[i];
	if (messages_table[id].tells & MSG_TELLS_WAIT) {
		names[n++] = "wait";
		names[n++] = "wait_min";
	}
	if (messages_table[id].tells & MSG_TELLS_AGO)
		names[n++] = "ago";
	/* No compat forms: a '%' is a '%'. */
	if (tpl_check(text, names, n, 0, why, whylen) == TPL_OK)
		return 0;
	names[n++] = "code";
	if (tpl_check(text, names, n, 0, NULL, 0) == TPL_OK)
		snprintf(why, whylen, "a message must never show the code");
	return -1;
}
