/*
 * sms internals: the provider types' entry points, called by sms.c, which
 * calls down into the types; no type calls back into it.
 */
#ifndef SMSOTP_SMS_TYPES_H
#define SMSOTP_SMS_TYPES_H

#include <stddef.h>

#include "sms.h"

/*
 * One provider's attempt at m.  Returns SMS_OK, SMS_FAILED (the provider's
 * own "no"), SMS_EBROKEN (no verdict: for command, a program that could
 * not be started or watched, was killed by a signal the supervisor did not
 * send, or whose exit status was lost) or SMS_ENOMEM; sets res->status,
 * res->left (0 only when the message certainly never left) and, on
 * failure, res->error.  p has passed sms_provider_check().
 */
int sms_file_send(const struct sms_provider *p, const struct sms_message *m,
		  const struct smsotp_log *log, struct sms_result *res);
int sms_command_send(const struct sms_provider *p, const struct sms_message *m,
		     const struct smsotp_log *log, struct sms_result *res);

/* The type-specific halves of sms_provider_check() (http: http.h). */
int sms_file_check(const struct sms_provider *p, char *err, size_t errlen);
int sms_command_check(const struct sms_provider *p, char *err, size_t errlen);

#endif
