/*
 * sms internals: HTTP sends in a child process (isolate.c says why).
 */
#ifndef SMSOTP_SMS_ISOLATE_H
#define SMSOTP_SMS_ISOLATE_H

#include <sys/types.h>

#include "sms.h"

/*
 * One HTTP send of p (sms_http_send) in a child with an empty environment:
 * the started one of warm when p is in its list and it is still there,
 * else one forked for this send.  A child that has not answered within
 * limit_ms is killed.  With isolation switched off (unit tests that
 * replace the transport), the send runs in this process.
 */
int sms_isolated(struct sms_sender *warm, const struct sms_provider *p,
		 const struct sms_message *m, const struct smsotp_log *log,
		 struct sms_result *res, long limit_ms);

/* The started child has served its sms_send(): its socket is closed and
 * it ends by itself (sms_sender_end reaps it).  NULL is fine. */
void sms_sender_done(struct sms_sender *s);

/* Test seam: the started child's process ID (0: none). */
pid_t sms_sender_pid(const struct sms_sender *s);

/* Test seam: 0 runs providers in this process. */
void sms_set_isolation(int on);

#endif
