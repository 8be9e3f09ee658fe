/*
 * sms/presets: vendor presets as data over the http path (to be filled).
 */
#include "provider.h"

typedef int sms_presets_placeholder;
