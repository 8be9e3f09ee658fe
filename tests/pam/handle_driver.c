/*
 * handle_driver: pamtester's arguments and output, and one more kind of
 * operation: "user=NAME" sets PAM_USER on the handle between two
 * others.
 *
 *	handle_driver -v SERVICE USER authenticate user=carol chauthtok
 *
 * shows what a module keeps on a handle when an application (or a module
 * of its stack) changes the user afterwards.  Exit 0 when every operation
 * succeeded, 1 at the first failure ("handle_driver: <pam_strerror>").
 */
#include <stdio.h>
#include <string.h>

#include <security/pam_appl.h>
#include <security/pam_misc.h>

static struct pam_conv conv = { misc_conv, NULL };

int
main(int argc, char **argv)
{
	pam_handle_t *pamh = NULL;
	int i = 1, rc;

	if (i < argc && strcmp(argv[i], "-v") == 0)
		i++;
	if (argc - i < 3) {
		fprintf(stderr, "usage: handle_driver [-v] SERVICE USER OP...\n");
		return 2;
	}
	rc = pam_start(argv[i], argv[i + 1], &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		printf("handle_driver: pam_start: %s\n", pam_strerror(pamh, rc));
		return 1;
	}
	for (i += 2; i < argc; i++) {
		printf("handle_driver: performing operation - %s\n", argv[i]);
		if (strncmp(argv[i], "user=", 5) == 0)
			rc = pam_set_item(pamh, PAM_USER, argv[i] + 5);
		else if (strcmp(argv[i], "authenticate") == 0)
			rc = pam_authenticate(pamh, 0);
		else if (strcmp(argv[i], "chauthtok") == 0)
			rc = pam_chauthtok(pamh, 0);
		else
			rc = PAM_SYSTEM_ERR;
		if (rc != PAM_SUCCESS) {
			printf("handle_driver: %s\n", pam_strerror(pamh, rc));
			pam_end(pamh, rc);
			return 1;
		}
		printf("handle_driver: %s - successfully\n", argv[i]);
	}
	pam_end(pamh, PAM_SUCCESS);
	return 0;
}
