/* hwm.c: preloaded into pamtester by the bench, appends the process's own
 * peak RSS (VmHWM, KiB) to the file named by SMSOTP_BENCH_HWM when it
 * exits.  The module's send process ends with _exit and is not counted:
 * this is the host's share of a login (what sshd or sudo would grow by),
 * apart from the short-lived send process that rusage.c includes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((destructor)) static void
report(void)
{
	const char *out = getenv("SMSOTP_BENCH_HWM");
	char line[256];
	FILE *f, *o;

	if (out == NULL || (f = fopen("/proc/self/status", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		long kib;

		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1 &&
		    (o = fopen(out, "a")) != NULL) {
			fprintf(o, "%ld\n", kib);
			fclose(o);
		}
	}
	fclose(f);
}
