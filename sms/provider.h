/*
 * sms internals, all of them, for the unit tests and fuzz harnesses: not
 * part of the sms interface; nothing outside tests/ includes it.
 *
 *   sms.c -> file.c, command.c (types.h), isolate.c (isolate.h)
 *         -> the HTTP path (http.h) -> vendors.c (vendors.h)
 *         -> common.c (common.h), the leaf
 */
#ifndef SMSOTP_SMS_PROVIDER_H
#define SMSOTP_SMS_PROVIDER_H

#include "common.h"
#include "http.h"
#include "isolate.h"
#include "sms.h"
#include "types.h"
#include "vendors.h"

#endif
