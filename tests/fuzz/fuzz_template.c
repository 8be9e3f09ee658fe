/*
 * fuzz_template: the template expander (template/template.h).
 * Input: a template, then optionally a NUL byte and a value used for
 * {code} and {user} (default "123456").  Every encoding, TPL_COMPAT on and
 * off, tpl_check against the message placeholders, tpl_sms_info on the
 * template and on each expansion, tpl_check_text (a text shown to a user)
 * on the template.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "template/template.h"
#include "util/util.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"code", "ttl", "ttl_min", "user", "host", "service", "rhost", "phone",
	"phone_masked", "message", "sender", "phone_digits",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul != NULL ? (size_t)(nul - data) : size;
	char *tmpl = fuzz_strndup(data, tlen);
	char *value = nul != NULL ? fuzz_strndup(nul + 1, size - tlen - 1) : NULL;
	const char *v = value != NULL ? value : "123456";
	struct tpl_var vars[] = {
		{ "code", v }, { "ttl", "300" }, { "ttl_min", "5" },
		{ "user", v }, { "host", "host.example" }, { "service", NULL },
		{ "rhost", "" }, { "phone", "+447700900123" },
		{ "phone_masked", "+44*******123" }, { "message", v },
		{ "sender", "Acme" }, { "phone_digits", "447700900123" },
	};
	static const enum tpl_encoding encs[] = {
		TPL_ENC_NONE, TPL_ENC_URL, TPL_ENC_JSON, TPL_ENC_FORM,
		TPL_ENC_HEADER,
	};
	struct tpl_sms_info info;
	char err[256];
	size_t e;
	unsigned f;

	tpl_sms_info(tmpl, &info);
	if (tpl_check_text(tmpl, err, sizeof(err)) == TPL_OK) {
		/* what it passed has no control byte anywhere */
		for (e = 0; tmpl[e] != '\0'; e++) {
			if ((unsigned char)tmpl[e] < 0x20 || tmpl[e] == 0x7f)
				__builtin_trap();
		}
	}
	for (f = 0; f <= TPL_COMPAT; f += TPL_COMPAT) {
		int crc;

		err[0] = '\0';
		crc = tpl_check(tmpl, names, sizeof(names) / sizeof(names[0]), f,
				err, sizeof(err));
		if (crc != TPL_OK && crc != TPL_EINVAL)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		for (e = 0; e < sizeof(encs) / sizeof(encs[0]); e++) {
			char *out = NULL;
			int rc;

			err[0] = '\0';
			rc = tpl_expand(tmpl, vars, sizeof(vars) / sizeof(vars[0]),
					encs[e], f, &out, err, sizeof(err));
			if (rc == TPL_OK) {
				if (out == NULL)
					abort();
				tpl_sms_info(out, &info);
				util_free_secret(out);
			} else if (rc != TPL_EINVAL && rc != TPL_ENOMEM) {
				abort();
			} else if (rc == TPL_EINVAL && crc == TPL_OK &&
				   encs[e] != TPL_ENC_HEADER) {
				/* checked at configuration time, so it must
				 * expand when a code is sent */
				fprintf(stderr, "tpl_check passed, tpl_expand: %s\n",
					err);
				abort();
			}
		}
	}
	free(tmpl);
	free(value);
	return 0;
}
