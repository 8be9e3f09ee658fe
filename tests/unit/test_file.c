/*
 * Unit tests of the file provider's res.left (sms/file.c): 0 when the file
 * could not be opened or was refused (the line certainly never went), 1
 * once a write was tried, even one that failed half-way.  What it writes
 * is tested in test_sms.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../sms/provider.h"
#include "../../sms/sms.h"
#include "testlib.h"

static const struct sms_message msg = { "+447700900123", "Your code is 493817",
	"493817" };

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_file.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return remove_dir(dir);
}

/* One send to dir/name through a file provider; res.left was 1 before, so
 * that a 0 is the provider's. */
static int
send_to(const char *name, struct sms_result *res)
{
	struct sms_provider p;
	char sim[] = "sim", path[128];

	memset(&p, 0, sizeof(p));
	p.name = sim;
	p.type = SMS_TYPE_FILE;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p.path = path;
	memset(res, 0, sizeof(*res));
	res->left = 1;
	return sms_file_send(&p, &msg, NULL, res);
}

static void
test_left(void **state)
{
	struct sms_result res;
	char path[128];
	int fd;

	(void)state;
	/* written */
	assert_int_equal(send_to("sms.jsonl", &res), SMS_OK);
	assert_int_equal(res.left, 1);
	/* cannot be opened: a missing folder, a symbolic link */
	assert_int_equal(send_to("nodir/sms.jsonl", &res), SMS_FAILED);
	assert_int_equal(res.left, 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("sms.jsonl", path), 0);
	assert_int_equal(send_to("link", &res), SMS_FAILED);
	assert_int_equal(res.left, 0);
	/* refused by its checks: a FIFO, a file others may read */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(send_to("fifo", &res), SMS_FAILED);
	assert_int_equal(res.left, 0);
	snprintf(path, sizeof(path), "%s/shared", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(send_to("shared", &res), SMS_FAILED);
	assert_non_null(strstr(res.error, "mode 0600"));
	assert_int_equal(res.left, 0);
}

/* In a child (in_child): a send under a 10-byte file size limit.  0 when
 * it broke off (a limit of the caller's is no verdict of the provider:
 * failmode=open must not follow) with the line maybe written. */
static int
send_short(void *unused)
{
	struct sms_result res;
	struct rlimit rl;
	int rc;

	(void)unused;
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
	    getrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 2;
	rl.rlim_cur = 10;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 2;
	rc = send_to("small.jsonl", &res);
	return rc == SMS_EBROKEN && res.left == 1 &&
	       strstr(res.error, "cannot write") != NULL ? 0 : 1;
}

/* A write cut short (a file size limit, as sudo's caller may set): part
 * of the line is in the file, so it may have left. */
static void
test_left_short_write(void **state)
{
	(void)state;
	in_child(send_short, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_short_write, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
