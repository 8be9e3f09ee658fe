/*
 * sms internals: running one provider's send in a child process.
 */
#ifndef SMSOTP_SMS_ISOLATE_H
#define SMSOTP_SMS_ISOLATE_H

#include "sms.h"

typedef int (*sms_send_fn)(const struct sms_provider *p,
			   const struct sms_message *m,
			   const struct smsotp_log *log, struct sms_result *res);

/*
 * Run fn(p, m, log, res) in a forked child with an empty environment and
 * return its result; the child is killed when it has not answered within
 * limit_ms.  With isolation switched off (unit tests that replace the
 * transport), fn runs in this process.
 */
int sms_isolated(sms_send_fn fn, const struct sms_provider *p,
		 const struct sms_message *m, const struct smsotp_log *log,
		 struct sms_result *res, long limit_ms);

/* Test seam: 0 runs providers in this process. */
void sms_set_isolation(int on);

#endif
