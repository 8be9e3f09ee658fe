/*
 * sms/command: the command provider (placeholder until implemented).
 */
#include <stdio.h>

#include "provider.h"

int
sms_command_check(const struct sms_provider *p, char *err, size_t errlen)
{
	(void)p;
	snprintf(err, errlen, "type 'command' is not supported yet by this version");
	return -1;
}

int
sms_command_send(const struct sms_provider *p, const struct sms_message *m,
		 const struct smsotp_log *log, struct sms_result *res)
{
	(void)p;
	(void)m;
	(void)log;
	snprintf(res->error, sizeof(res->error), "type 'command' is not supported");
	return SMS_FAILED;
}
