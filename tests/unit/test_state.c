/* Unit tests: per-user state files (names, format, locking, code hashes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "../../state/state.h"

static char dir[64];
static const unsigned char test_key[STATE_KEY_LEN] =
	"0123456789abcdef0123456789abcde";

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	char err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_state.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return state_dir_prepare(dir, err, sizeof(err));
}

static int
teardown(void **state)
{
	(void)state;
	chmod(dir, 0700);
	/* Only our folder; the name came from mkdtemp. */
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
name_hex(const char *user, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	assert_int_equal(EVP_Digest(user, strlen(user), md, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(n, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void
write_file(const char *name, const char *data, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole state file of user, NUL-terminated; *len its size. */
static char *
read_state_file(const char *user, size_t *len)
{
	char path[256], hex[65], *buf;
	FILE *f;

	name_hex(user, hex);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	f = fopen(path, "r");
	assert_non_null(f);
	buf = calloc(1, 8192);
	assert_non_null(buf);
	*len = fread(buf, 1, 8191, f);
	fclose(f);
	return buf;
}

/* Every name in dir is HEX or HEX.lock (64 lowercase hex digits); returns
 * how many state files there are.  Also counts leftover temporary files. */
static int
check_dir_names(int *tmps)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	if (tmps != NULL)
		*tmps = 0;
	while ((de = readdir(d)) != NULL) {
		size_t i;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; i < 64; i++) {
			if (strchr("0123456789abcdef", de->d_name[i]) == NULL ||
			    de->d_name[i] == '\0')
				fail_msg("%s: unexpected name in the state dir", de->d_name);
		}
		if (de->d_name[64] == '\0')
			n++;
		else if (strncmp(de->d_name + 64, ".tmp", 4) == 0 && tmps != NULL)
			(*tmps)++;
		else if (strcmp(de->d_name + 64, ".lock") != 0)
			fail_msg("%s: unexpected name in the state dir", de->d_name);
	}
	closedir(d);
	return n;
}

/* 1 when someone holds the lock of user (flock is per open file, so a
 * second open in this process conflicts with a lock we still hold). */
static int
is_locked(const char *user)
{
	char path[256], hex[65];
	int fd, r;

	name_hex(user, hex);
	snprintf(path, sizeof(path), "%s/%s.lock", dir, hex);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 0;
	r = flock(fd, LOCK_EX | LOCK_NB) != 0;
	close(fd);
	return r;
}

static void
save_user(const char *user, const struct state_user *in)
{
	struct state_handle *h;
	struct state_user u;
	char err[1024];

	if (state_lock(dir, user, &h, &u, err, sizeof(err)) != STATE_OK)
		fail_msg("lock: %s", err);
	if (state_save(h, in, err, sizeof(err)) != STATE_OK)
		fail_msg("save: %s", err);
	state_unlock(h);
}

static void
load_user(const char *user, struct state_user *u)
{
	struct state_handle *h;
	char err[1024];

	if (state_lock(dir, user, &h, u, err, sizeof(err)) != STATE_OK)
		fail_msg("lock: %s", err);
	state_unlock(h);
}

static void
test_missing_file(void **state)
{
	struct state_handle *h;
	struct state_user u, zero;
	char err[1024];

	(void)state;
	memset(&u, 0x55, sizeof(u));
	assert_int_equal(state_lock(dir, "alice", &h, &u, err, sizeof(err)), STATE_OK);
	assert_non_null(h);
	assert_true(is_locked("alice"));
	memset(&zero, 0, sizeof(zero));
	strcpy(zero.user, "alice");
	assert_memory_equal(&u, &zero, sizeof(u));
	state_unlock(h);
	assert_false(is_locked("alice"));
	state_unlock(NULL);
	/* locking alone writes no state file */
	assert_int_equal(check_dir_names(NULL), 0);
}

static void
test_round_trip(void **state)
{
	struct state_user in, out;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	strcpy(in.user, "alice");
	in.window_start = 1700000000LL;
	in.sends = 7;
	in.last_send = 1700000123LL;
	in.wrong = 3;
	in.locked_until = 1700000999LL;
	in.has_code = 1;
	in.code_issued = 1700000100LL;
	for (i = 0; i < STATE_SALT_LEN; i++)
		in.salt[i] = (unsigned char)(i * 17 + 1);
	for (i = 0; i < STATE_HASH_LEN; i++)
		in.hash[i] = (unsigned char)(255 - i * 7);
	save_user("alice", &in);
	load_user("alice", &out);
	assert_memory_equal(&in, &out, sizeof(in));

	/* the largest values, and a spent code: the code fields go away */
	in.window_start = INT64_MAX;
	in.sends = LONG_MAX;
	in.last_send = INT64_MAX;
	in.wrong = LONG_MAX;
	in.locked_until = 0;
	in.has_code = 0;
	save_user("alice", &in);
	load_user("alice", &out);
	assert_int_equal(out.window_start, INT64_MAX);
	assert_int_equal(out.sends, LONG_MAX);
	assert_int_equal(out.last_send, INT64_MAX);
	assert_int_equal(out.wrong, LONG_MAX);
	assert_int_equal(out.locked_until, 0);
	assert_int_equal(out.has_code, 0);
	assert_int_equal(out.code_issued, 0);
	assert_int_equal(check_dir_names(NULL), 1);
}

static void
test_file_format(void **state)
{
	struct state_user in;
	char *buf;
	size_t len;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.window_start = 100;
	in.sends = 2;
	in.last_send = 150;
	in.wrong = 1;
	in.locked_until = 0;
	save_user("bob", &in);
	buf = read_state_file("bob", &len);
	assert_string_equal(buf, "pam_smsotp-state 2\nuser=bob\nwindow_start=100\n"
			    "sends=2\nlast_send=150\nwrong=1\nlocked_until=0\n");
	free(buf);
}

static void
test_save_checks(void **state)
{
	struct state_handle *h;
	struct state_user u;
	char err[1024];

	(void)state;
	assert_int_equal(state_lock(dir, "carol", &h, &u, err, sizeof(err)), STATE_OK);
	u.sends = -1;
	assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_EINVAL);
	assert_non_null(strstr(err, "negative"));
	/* the name saved is the one locked, whatever u says */
	u.sends = 1;
	strcpy(u.user, "mallory");
	assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_OK);
	state_unlock(h);
	load_user("carol", &u);
	assert_string_equal(u.user, "carol");
	assert_int_equal(u.sends, 1);
	assert_int_equal(state_save(NULL, &u, err, sizeof(err)), STATE_EINVAL);
}

static void
test_codes(void **state)
{
	struct state_user u, v;
	char big[100000], code64[65], *buf;
	size_t len;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_false(state_code_matches(&u, "918273", test_key));
	assert_int_equal(state_set_code(&u, "918273", 12345, test_key), STATE_OK);
	assert_true(u.has_code);
	assert_int_equal(u.code_issued, 12345);
	assert_true(state_code_matches(&u, "918273", test_key));
	assert_true(state_code_matches(&u, "  918273\n", test_key));
	assert_true(state_code_matches(&u, "\t918273 \r\n", test_key));
	assert_false(state_code_matches(&u, "918274", test_key));
	assert_false(state_code_matches(&u, "91827", test_key));
	assert_false(state_code_matches(&u, "9182730", test_key));
	assert_false(state_code_matches(&u, "9182 73", test_key));
	assert_false(state_code_matches(&u, "", test_key));
	assert_false(state_code_matches(&u, "   ", test_key));
	assert_false(state_code_matches(&u, NULL, test_key));
	assert_false(state_code_matches(NULL, "918273", test_key));
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(state_code_matches(&u, big, test_key));
	memcpy(big, "918273", 6);
	assert_false(state_code_matches(&u, big, test_key));

	/* the salt is new each time: the same code, another hash */
	v = u;
	assert_int_equal(state_set_code(&v, "918273", 12345, test_key), STATE_OK);
	assert_memory_not_equal(u.salt, v.salt, STATE_SALT_LEN);
	assert_memory_not_equal(u.hash, v.hash, STATE_HASH_LEN);
	assert_true(state_code_matches(&v, "918273", test_key));

	/* a code of the longest length; one byte more never matches */
	memset(code64, 'A', 64);
	code64[64] = '\0';
	assert_int_equal(state_set_code(&v, code64, 1, test_key), STATE_OK);
	assert_true(state_code_matches(&v, code64, test_key));
	memset(big, 'A', 65);
	big[65] = '\0';
	assert_false(state_code_matches(&v, big, test_key));
	assert_int_equal(state_set_code(&v, big, 1, test_key), STATE_EINVAL);
	assert_int_equal(state_set_code(&v, "", 1, test_key), STATE_EINVAL);
	assert_int_equal(state_set_code(&v, NULL, 1, test_key), STATE_EINVAL);

	/* kept across a save, and only as a hash */
	save_user("dave", &u);
	memset(&v, 0, sizeof(v));
	load_user("dave", &v);
	assert_true(v.has_code);
	assert_true(state_code_matches(&v, "918273", test_key));
	assert_false(state_code_matches(&v, "111111", test_key));
	buf = read_state_file("dave", &len);
	assert_null(memmem(buf, len, "918273", 6));
	assert_non_null(strstr(buf, "code_hash="));
	free(buf);

	/* a spent code matches nothing */
	v.has_code = 0;
	assert_false(state_code_matches(&v, "918273", test_key));
}

static void
test_names(void **state)
{
	static const char *const names[] = {
		"../etc/passwd", "a/b", ".", "..", "/", "j\xc3\xb6rg", "a\nb",
		"  spaced  ", "100%", "%41", "x=y", "user\r", "\x7f\x01",
		"pam_smsotp-state 1\nuser=root",
	};
	struct state_user in, out;
	char longname[256], err[1024];
	struct state_handle *h;
	size_t i;

	(void)state;
	memset(longname, 'L', 255);
	longname[255] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) + 1; i++) {
		const char *name = i < sizeof(names) / sizeof(names[0]) ? names[i] :
			longname;

		memset(&in, 0, sizeof(in));
		in.sends = (long)i + 1;
		save_user(name, &in);
		load_user(name, &out);
		assert_string_equal(out.user, name);
		assert_int_equal(out.sends, (long)i + 1);
	}
	assert_int_equal(check_dir_names(NULL), (int)i);
	/* nothing was made beside the directory */
	assert_int_equal(access("/tmp/etc/passwd", F_OK), -1);

	/* a name of 256 bytes, an empty one, none */
	{
		char toolong[257];

		memset(toolong, 'L', 256);
		toolong[256] = '\0';
		assert_int_equal(state_lock(dir, toolong, &h, &out, err, sizeof(err)),
				 STATE_EINVAL);
		assert_null(h);
		assert_non_null(strstr(err, "longer than 255"));
	}
	assert_int_equal(state_lock(dir, "", &h, &out, err, sizeof(err)), STATE_EINVAL);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(state_lock(dir, NULL, &h, &out, err, sizeof(err)), STATE_EINVAL);
	assert_int_equal(check_dir_names(NULL), (int)i);
}

#define GOOD_HEAD "pam_smsotp-state 2\nuser=alice\n"
#define GOOD_REST "window_start=1\nsends=2\nlast_send=3\nwrong=0\nlocked_until=0\n"
#define SALT32 "00112233445566778899aabbccddeeff"
#define HASH64 SALT32 SALT32

static const struct {
	const char *text;
	const char *want;	/* in the message */
} corrupt_cases[] = {
	{ "", "line 1: empty file" },
	{ "user=alice\n" GOOD_REST, "line 1: not a pam_smsotp state file" },
	{ "pam_smsotp-state 3\nuser=alice\n" GOOD_REST, "line 1: not a pam_smsotp" },
	{ GOOD_HEAD GOOD_REST "colour=blue\n", "line 8: unknown key \"colour\"" },
	{ GOOD_HEAD "sends=1\n" GOOD_REST, "line 5: sends= given twice" },
	{ GOOD_HEAD "user=alice\n" GOOD_REST, "line 3: user= given twice" },
	{ GOOD_HEAD GOOD_REST "just text\n", "line 8: not key=value" },
	{ GOOD_HEAD "sends=abc\n", "line 3: sends= is not a non-negative number" },
	{ GOOD_HEAD "sends=12x\n", "line 3: sends= is not" },
	{ GOOD_HEAD "sends=\n", "line 3: sends= is not" },
	{ GOOD_HEAD "sends= 1\n", "line 3: sends= is not" },
	{ GOOD_HEAD "sends=+1\n", "line 3: sends= is not" },
	{ GOOD_HEAD "wrong=-1\n", "line 3: wrong= is not a non-negative number" },
	{ GOOD_HEAD "window_start=99999999999999999999\n", "line 3: window_start= is not" },
	{ GOOD_HEAD "sends=1\r\n", "line 3: sends= is not" },
	{ GOOD_HEAD GOOD_REST "code_issued=5\ncode_salt=" SALT32 "0\ncode_hash=" HASH64 "\n",
	  "line 9: code_salt= is not 32 lowercase hex digits" },
	{ GOOD_HEAD GOOD_REST "code_issued=5\ncode_salt=" SALT32 "\ncode_hash=" SALT32 "\n",
	  "line 10: code_hash= is not 64 lowercase hex digits" },
	{ GOOD_HEAD GOOD_REST "code_issued=5\ncode_salt=00112233445566778899AABBCCDDEEFF\n"
	  "code_hash=" HASH64 "\n", "line 9: code_salt= is not" },
	{ GOOD_HEAD GOOD_REST "code_issued=5\ncode_salt=" SALT32 "\n",
	  "line 9: code_issued=, code_salt= and code_hash= go together" },
	{ "pam_smsotp-state 2\nuser=bob\n" GOOD_REST, "line 2: user= names another user" },
	{ "pam_smsotp-state 1\nuser=alice%00\n" GOOD_REST, "line 2: user= is not" },
	{ "pam_smsotp-state 1\nuser=ali%zzce\n" GOOD_REST, "line 2: user= is not" },
	{ "pam_smsotp-state 1\nuser=\n" GOOD_REST, "line 2: user= is not" },
	{ GOOD_HEAD "window_start=1\nsends=2\n", "line 4: the file ends without a last_send= line" },
	{ "pam_smsotp-state 1\n" GOOD_REST, "line 6: the file ends without a user= line" },
	{ GOOD_HEAD GOOD_REST "wrong=0", "line 8: no newline at the end" },
	{ GOOD_HEAD "window_start=1", "line 3: no newline at the end" },
};

static void
expect_refused(const char *user, const char *want)
{
	struct state_handle *h = (struct state_handle *)&h;
	struct state_user u;
	char err[1024];
	size_t i;

	memset(&u, 0x55, sizeof(u));
	assert_int_equal(state_lock(dir, user, &h, &u, err, sizeof(err)), STATE_EINVAL);
	assert_null(h);
	for (i = 0; i < sizeof(u); i++) {
		if (((unsigned char *)&u)[i] != 0)
			fail_msg("a refused state is not wiped");
	}
	if (strstr(err, want) == NULL)
		fail_msg("want \"%s\" in: %s", want, err);
	if (strstr(err, "remove it to reset the user") == NULL ||
	    strstr(err, dir) == NULL)
		fail_msg("no file or remedy in: %s", err);
	assert_false(is_locked(user));
}

static void
test_corrupt(void **state)
{
	char hex[65], want[256], big[5000];
	size_t i;

	(void)state;
	name_hex("alice", hex);
	/* the good file parses: the cases differ from it in one way */
	write_file(hex, GOOD_HEAD GOOD_REST, strlen(GOOD_HEAD GOOD_REST), 0600);
	{
		struct state_user u;

		load_user("alice", &u);
		assert_int_equal(u.sends, 2);
	}
	for (i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		write_file(hex, corrupt_cases[i].text, strlen(corrupt_cases[i].text), 0600);
		snprintf(want, sizeof(want), "(user alice), %s", corrupt_cases[i].want);
		expect_refused("alice", want);
	}

	/* a NUL byte, on line 3 */
	write_file(hex, GOOD_HEAD "sends=1\0\n", sizeof(GOOD_HEAD "sends=1\0\n") - 1, 0600);
	expect_refused("alice", "line 3: a NUL byte");

	/* over 4 KiB: the size is checked before anything else */
	memset(big, 'x', sizeof(big));
	memcpy(big, GOOD_HEAD, strlen(GOOD_HEAD));
	big[sizeof(big) - 1] = '\n';
	write_file(hex, big, sizeof(big), 0600);
	expect_refused("alice", "larger than 4096 bytes");
	write_file(hex, big, 4097, 0600);
	expect_refused("alice", "larger than 4096 bytes");

	/* a control character in the file does not reach the message */
	write_file(hex, GOOD_HEAD "a\x1b[2Jb\x01=1\n", strlen(GOOD_HEAD "a\x1b[2Jb\x01=1\n"), 0600);
	expect_refused("alice", "line 3: unknown key \"ab?\"");
}

static void
test_untrusted_files(void **state)
{
	char hex[65], path[256], target[256], lock[256];
	const char *good = GOOD_HEAD GOOD_REST;

	(void)state;
	name_hex("alice", hex);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);

	write_file(hex, good, strlen(good), 0644);
	expect_refused("alice", "mode 0644");
	write_file(hex, good, strlen(good), 0640);
	expect_refused("alice", "mode 0640");

	/* a symlink to a perfectly good file is still refused */
	snprintf(target, sizeof(target), "%s/target", dir);
	unlink(path);
	write_file("target", good, strlen(good), 0600);
	assert_int_equal(symlink(target, path), 0);
	expect_refused("alice", "a symbolic link");
	unlink(target);
	unlink(path);

	/* a directory or a FIFO in its place (the FIFO must not hang) */
	assert_int_equal(mkdir(path, 0700), 0);
	expect_refused("alice", "not a regular file");
	rmdir(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_refused("alice", "not a regular file");
	unlink(path);

	/* a symlink as the lock file */
	snprintf(lock, sizeof(lock), "%s/%s.lock", dir, hex);
	unlink(lock);
	assert_int_equal(symlink("/tmp", lock), 0);
	{
		struct state_handle *h;
		struct state_user u;
		char err[1024];

		assert_int_equal(state_lock(dir, "alice", &h, &u, err, sizeof(err)),
				 STATE_EINVAL);
		assert_non_null(strstr(err, "symbolic link"));
	}
	unlink(lock);

	/* the directory itself: a symlink to it, or open to others */
	{
		char link[256], err[1024];
		struct state_handle *h;
		struct state_user u;

		snprintf(link, sizeof(link), "%s.link", dir);
		assert_int_equal(symlink(dir, link), 0);
		assert_int_equal(state_lock(link, "alice", &h, &u, err, sizeof(err)),
				 STATE_EINVAL);
		unlink(link);
		assert_non_null(strstr(err, "symbolic link"));
		chmod(dir, 0755);
		assert_int_equal(state_lock(dir, "alice", &h, &u, err, sizeof(err)),
				 STATE_EINVAL);
		assert_non_null(strstr(err, "not a private directory"));
		chmod(dir, 0700);
		assert_int_equal(state_lock("/nonexistent/x", "alice", &h, &u, err,
					    sizeof(err)), STATE_EINVAL);
	}
}

static void
test_leftover_temp(void **state)
{
	struct state_user in, out;
	char hex[65], name[128];
	int tmps;

	(void)state;
	name_hex("erin", hex);
	/* one of a login killed in the middle of a save (one name per user,
	 * whatever process wrote it), and one of an older version */
	snprintf(name, sizeof(name), "%s.tmp", hex);
	write_file(name, "half a fi", 9, 0600);
	snprintf(name, sizeof(name), "%s.tmp.1", hex);
	write_file(name, "garbage", 7, 0600);
	memset(&in, 0, sizeof(in));
	in.sends = 4;
	save_user("erin", &in);
	load_user("erin", &out);
	assert_int_equal(out.sends, 4);
	assert_int_equal(check_dir_names(&tmps), 1);
	assert_int_equal(tmps, 1);	/* only the older version's is left */
}

static void
test_save_failures(void **state)
{
	struct state_handle *h;
	struct state_user u;
	char err[1024], hex[65], path[256], sub[300], deep[400];
	int tmps;

	(void)state;
	name_hex("frank", hex);
	snprintf(path, sizeof(path), "%s/%s", dir, hex);

	/* the rename fails (a directory appeared in place of the file): a
	 * clear error, the temporary file is gone */
	assert_int_equal(state_lock(dir, "frank", &h, &u, err, sizeof(err)), STATE_OK);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/x", path);
	assert_int_equal(mkdir(sub, 0700), 0);
	u.sends = 1;
	assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_EINVAL);
	assert_non_null(strstr(err, "cannot save"));
	assert_non_null(strstr(err, "(rename)"));
	assert_non_null(strstr(err, "frank"));
	state_unlock(h);
	check_dir_names(&tmps);
	assert_int_equal(tmps, 0);
	rmdir(sub);
	rmdir(path);

	/* the temporary name is taken by something we may not remove */
	snprintf(sub, sizeof(sub), "%s/%s.tmp", dir, hex);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(deep, sizeof(deep), "%s/keep", sub);
	assert_int_equal(mkdir(deep, 0700), 0);
	assert_int_equal(state_lock(dir, "frank", &h, &u, err, sizeof(err)), STATE_OK);
	assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_EINVAL);
	assert_non_null(strstr(err, "(create)"));
	state_unlock(h);
	rmdir(deep);
	rmdir(sub);

	/* a read-only directory (root ignores modes: then this part is moot) */
	if (geteuid() != 0) {
		assert_int_equal(state_lock(dir, "frank", &h, &u, err, sizeof(err)),
				 STATE_OK);
		chmod(dir, 0500);
		assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_EINVAL);
		chmod(dir, 0700);
		assert_non_null(strstr(err, "Permission denied"));
		state_unlock(h);
	}
}

/* ENOSPC, in a child with its own mount namespace and a tiny tmpfs; skipped
 * where that is not allowed (not root, or no namespaces). */
static void
test_no_space(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct state_handle *h;
		struct state_user u;
		char err[1024], small[300], fill[4096];
		int fd;

		snprintf(small, sizeof(small), "%s/small", dir);
		if (mkdir(small, 0700) != 0 || unshare(CLONE_NEWNS) != 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("tmpfs", small, "tmpfs", 0, "size=16k,mode=0700") != 0)
			_exit(77);
		/* the lock file first, then fill the file system */
		if (state_lock(small, "gina", &h, &u, err, sizeof(err)) != STATE_OK)
			_exit(1);
		snprintf(fill, sizeof(fill), "%s/fill", small);
		fd = open(fill, O_WRONLY | O_CREAT, 0600);
		memset(fill, 'f', sizeof(fill));
		while (write(fd, fill, sizeof(fill)) > 0)
			;
		close(fd);
		u.sends = 1;
		if (state_save(h, &u, err, sizeof(err)) != STATE_EINVAL)
			_exit(2);
		if (strstr(err, "no space left on device") == NULL) {
			fprintf(stderr, "%s\n", err);
			_exit(3);
		}
		state_unlock(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Children that change one record at once: none may lose a count.  Each
 * waits for the lock behind at most CHILDREN - 1 saves (each an fsync of
 * the file and of the folder), far less than the 10 s a lock wait may take
 * even on a loaded machine with a slow disk. */
#define CHILDREN 8
#define ROUNDS 60

static void
test_concurrency(void **state)
{
	pid_t pids[CHILDREN];
	struct state_user u;
	int i, status, tmps;

	(void)state;
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct state_handle *h;
			char err[1024];
			int r;

			for (r = 0; r < ROUNDS; r++) {
				if (state_lock(dir, "henry", &h, &u, err, sizeof(err)) !=
				    STATE_OK) {
					fprintf(stderr, "child %d: %s\n", i, err);
					_exit(1);
				}
				u.sends++;
				if (state_save(h, &u, err, sizeof(err)) != STATE_OK) {
					fprintf(stderr, "child %d: %s\n", i, err);
					_exit(1);
				}
				state_unlock(h);
			}
			_exit(0);
		}
	}
	for (i = 0; i < CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	load_user("henry", &u);
	assert_int_equal(u.sends, CHILDREN * ROUNDS);
	assert_int_equal(check_dir_names(&tmps), 1);
	assert_int_equal(tmps, 0);
}

/* A login that keeps the lock makes the next one fail after ~10 s, with
 * a message, instead of hanging. */
static void
test_lock_timeout(void **state)
{
	struct state_handle *h;
	struct state_user u;
	struct timespec t0, t1;
	char err[1024], c;
	int p[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (state_lock(dir, "ivan", &h, &u, err, sizeof(err)) != STATE_OK)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(state_lock(dir, "ivan", &h, &u, err, sizeof(err)), STATE_EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_string_equal(err, "state of ivan is locked by another login for too long");
	assert_true(t1.tv_sec - t0.tv_sec >= 9 && t1.tv_sec - t0.tv_sec <= 15);
	/* the holder is gone: the lock is free again */
	load_user("ivan", &u);
}

struct seen {
	char names[32][256];
	int count[32];
	int n;
	int stop_after;
};

static int
collect(const struct state_user *u, void *ud)
{
	struct seen *s = ud;
	int i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->names[i], u->user) == 0) {
			s->count[i]++;
			break;
		}
	}
	if (i == s->n && s->n < 32) {
		strcpy(s->names[s->n], u->user);
		s->count[s->n++] = 1;
	}
	return s->stop_after > 0 && s->n >= s->stop_after ? 42 : 0;
}

static void
test_foreach(void **state)
{
	static const char *const users[] = {
		"alice", "bob", "../etc/passwd", "a\nb", "j\xc3\xb6rg", "root",
	};
	struct state_user in;
	struct seen *s;
	char err[1024], hex[65], body[512];
	size_t i;
	int j, found;

	(void)state;
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		memset(&in, 0, sizeof(in));
		in.wrong = (long)i;
		save_user(users[i], &in);
	}
	/* not users: a lock without state, temporary files, the secret */
	load_user("nobody-saved", &in);
	name_hex("alice", hex);
	snprintf(body, sizeof(body), "%s.tmp.77", hex);
	write_file(body, "x", 1, 0600);
	write_file("secret.key", "0123456789abcdef0123456789abcdef", 32, 0600);

	assert_int_equal(state_foreach(dir, collect, s, err, sizeof(err)), STATE_OK);
	assert_int_equal(s->n, (int)(sizeof(users) / sizeof(users[0])));
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		found = 0;
		for (j = 0; j < s->n; j++) {
			if (strcmp(s->names[j], users[i]) == 0) {
				assert_int_equal(s->count[j], 1);
				found = 1;
			}
		}
		if (!found)
			fail_msg("user %zu not listed", i);
	}

	/* fn's error stops the walk and is returned */
	memset(s, 0, sizeof(*s));
	s->stop_after = 2;
	assert_int_equal(state_foreach(dir, collect, s, err, sizeof(err)), 42);
	assert_int_equal(s->n, 2);

	/* a file planted under another user's name is an error */
	name_hex("mallory", hex);
	snprintf(body, sizeof(body), "pam_smsotp-state 1\nuser=root\n" GOOD_REST);
	write_file(hex, body, strlen(body), 0600);
	memset(s, 0, sizeof(*s));
	assert_int_equal(state_foreach(dir, collect, s, err, sizeof(err)), STATE_EINVAL);
	assert_non_null(strstr(err, hex));
	assert_non_null(strstr(err, "line 2: user= names another user"));
	free(s);
}

/* What every login does first, and what smsotp status shows. */
/* The key file: made once (0600, 32 bytes), read back the same; a short
 * one or one others can read is refused. */
static void
test_key_file(void **state)
{
	unsigned char k1[STATE_KEY_LEN], k2[STATE_KEY_LEN];
	char path[256], err[1024];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_int_equal(state_key(path, k1, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, STATE_KEY_LEN);
	assert_int_equal(state_key(path, k2, err, sizeof(err)), 0);
	assert_memory_equal(k1, k2, STATE_KEY_LEN);
	chmod(path, 0644);
	assert_int_equal(state_key(path, k2, err, sizeof(err)), -1);
	unlink(path);
	write_file("k.key", "short", 5, 0600);
	assert_int_equal(state_key(path, k2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not 32 bytes"));
	assert_int_equal(state_key("relative.key", k2, err, sizeof(err)), -1);
}

/* The first logins after an install, at once: each reads the one key
 * that one of them made; none fails because another linked it in while
 * it looked (the key found between its read and its check for the file). */
#define KEY_RACERS 12
#define KEY_ROUNDS 40
static void
test_key_file_race(void **state)
{
	unsigned char first[STATE_KEY_LEN], got[STATE_KEY_LEN];
	char path[256];
	int round, i, p[2], status;
	pid_t pids[KEY_RACERS];

	(void)state;
	snprintf(path, sizeof(path), "%s/race.key", dir);
	for (round = 0; round < KEY_ROUNDS; round++) {
		unlink(path);
		assert_int_equal(pipe(p), 0);
		for (i = 0; i < KEY_RACERS; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				unsigned char k[STATE_KEY_LEN];
				char err[1024];

				close(p[0]);
				if (state_key(path, k, err, sizeof(err)) != 0) {
					fprintf(stderr, "round %d: %s\n", round, err);
					_exit(1);
				}
				_exit(write(p[1], k, sizeof(k)) == (ssize_t)sizeof(k) ? 0 : 2);
			}
		}
		close(p[1]);
		for (i = 0; i < KEY_RACERS; i++) {
			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		for (i = 0; i < KEY_RACERS; i++) {
			assert_int_equal(read(p[0], i == 0 ? first : got, STATE_KEY_LEN),
					 STATE_KEY_LEN);
			if (i > 0)
				assert_memory_equal(first, got, STATE_KEY_LEN);
		}
		close(p[0]);
	}
}

/* A kept code is checked with the key it was kept with, and only then; a
 * file of version 1 (salted SHA-256, no key) keeps its counts, not its
 * code. */
static void
test_keyed_codes(void **state)
{
	static const unsigned char other[STATE_KEY_LEN] =
		"another key, another key, anoth";
	struct state_user u;
	char hex[65], body[512];

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_int_equal(state_set_code(&u, "918273", 5, test_key), STATE_OK);
	assert_true(state_code_matches(&u, "918273", test_key));
	assert_false(state_code_matches(&u, "918273", other));
	assert_false(state_code_matches(&u, "918273", NULL));
	assert_int_equal(state_set_code(&u, "918273", 5, NULL), STATE_EINVAL);

	name_hex("olga", hex);
	snprintf(body, sizeof(body), "pam_smsotp-state 1\nuser=olga\n"
		 "window_start=100\nsends=3\nlast_send=120\nwrong=2\n"
		 "locked_until=0\ncode_issued=120\ncode_salt=%s\ncode_hash=%s\n",
		 "00112233445566778899aabbccddeeff",
		 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	write_file(hex, body, strlen(body), 0600);
	load_user("olga", &u);
	assert_int_equal(u.sends, 3);
	assert_int_equal(u.wrong, 2);
	assert_false(u.has_code);
	assert_false(state_code_matches(&u, "918273", test_key));
}

static int
count_prefix(const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

/* Stand-in records: kept per name like a user's, in a bounded number of
 * slot files; a slot taken over by another name reads as fresh. */
static void
test_stand_in(void **state)
{
	struct state_handle *h;
	struct state_user u;
	char err[1024], name[64];
	int i, fresh = 0;

	(void)state;
	assert_int_equal(state_lock_stand_in(dir, "ghost", test_key, &h, &u, err,
					     sizeof(err)), STATE_OK);
	assert_string_equal(u.user, "ghost");
	assert_int_equal(u.sends, 0);
	u.sends = 2;
	u.wrong = 1;
	assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_OK);
	state_unlock(h);
	assert_int_equal(state_lock_stand_in(dir, "ghost", test_key, &h, &u, err,
					     sizeof(err)), STATE_OK);
	assert_int_equal(u.sends, 2);
	assert_int_equal(u.wrong, 1);
	state_unlock(h);
	/* a real user of that name has a record of its own */
	load_user("ghost", &u);
	assert_int_equal(u.sends, 0);

	/* bots trying names: never more than the slots */
	for (i = 0; i < 3 * STATE_STAND_IN_SLOTS; i++) {
		snprintf(name, sizeof(name), "bot%d", i);
		assert_int_equal(state_lock_stand_in(dir, name, test_key, &h, &u,
						     err, sizeof(err)), STATE_OK);
		fresh += u.sends == 0;
		u.sends = 1;
		assert_int_equal(state_save(h, &u, err, sizeof(err)), STATE_OK);
		state_unlock(h);
	}
	assert_int_equal(fresh, 3 * STATE_STAND_IN_SLOTS);
	assert_true(count_prefix("standin-") <= 2 * STATE_STAND_IN_SLOTS);
	assert_int_equal(count_prefix("standin-") % 2, 0);
}

/* A file size limit below the state file's size (sudo's caller sets it):
 * the save fails with a clear error, the process lives on, no temporary
 * file is left and the old state is intact. */
static void
test_fsize_limit(void **state)
{
	struct state_handle *h;
	struct state_user u;
	char err[1024];
	int status, tmps;
	pid_t pid;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.sends = 7;
	save_user("hank", &u);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 100, 100 };

		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
		    state_lock(dir, "hank", &h, &u, err, sizeof(err)) != STATE_OK)
			_exit(2);
		u.sends = 8;
		if (state_set_code(&u, "918273", 5, test_key) != STATE_OK)
			_exit(3);
		if (state_save(h, &u, err, sizeof(err)) != STATE_EINVAL ||
		    strstr(err, "File too large") == NULL)
			_exit(4);
		state_unlock(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	load_user("hank", &u);
	assert_int_equal(u.sends, 7);
	check_dir_names(&tmps);
	assert_int_equal(tmps, 0);
}

/* The store interface on the file store: the store's clock gives the
 * time, a write is the file, a release without a write changes nothing,
 * the record is held between begin and end, a reset keeps only the name,
 * foreach passes the clock's time. */
static long long fake_now = 5000;

static long long
fake_clock(void)
{
	return fake_now;
}

static int
store_collect(const struct state_user *u, long long now, void *ud)
{
	long long *seen = ud;

	assert_string_equal(u->user, "zoe");
	assert_int_equal(u->sends, 4);
	*seen = now;
	return 0;
}

static void
test_store(void **state)
{
	struct store *st = NULL;
	struct store_txn *t = NULL;
	struct state_user u, in;
	long long now = 0, seen = 0;
	char err[1024];

	(void)state;
	assert_int_equal(store_open_file(dir, fake_clock, &st, err, sizeof(err)),
			 STATE_OK);
	assert_int_equal(store_begin(st, "zoe", NULL, &t, &u, &now, err,
				     sizeof(err)), STATE_OK);
	assert_int_equal(now, 5000);
	assert_string_equal(u.user, "zoe");
	assert_true(is_locked("zoe"));
	u.sends = 4;
	u.wrong = 2;
	assert_int_equal(store_write(t, &u, err, sizeof(err)), STATE_OK);
	/* written before the release: another reader sees it at once */
	store_end(t);
	assert_false(is_locked("zoe"));
	load_user("zoe", &in);
	assert_int_equal(in.sends, 4);
	/* a release without a write: a rollback */
	fake_now = 6000;
	assert_int_equal(store_begin(st, "zoe", NULL, &t, &u, &now, err,
				     sizeof(err)), STATE_OK);
	assert_int_equal(now, 6000);
	u.sends = 99;
	store_end(t);
	load_user("zoe", &in);
	assert_int_equal(in.sends, 4);
	assert_int_equal(store_foreach(st, store_collect, &seen, err, sizeof(err)),
			 STATE_OK);
	assert_int_equal(seen, 6000);
	/* reset: nothing counted, locked or kept, the name stays */
	assert_int_equal(store_reset(st, "zoe", err, sizeof(err)), STATE_OK);
	load_user("zoe", &in);
	assert_string_equal(in.user, "zoe");
	assert_int_equal(in.sends, 0);
	assert_int_equal(in.wrong, 0);
	assert_int_equal(in.has_code, 0);
	store_end(NULL);
	store_close(st);
	store_close(NULL);
	/* a store on a directory that is not private: refused */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(store_open_file(dir, NULL, &st, err, sizeof(err)),
			 STATE_EINVAL);
	assert_null(st);
	assert_non_null(strstr(err, "refused"));
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(store_write(NULL, &u, err, sizeof(err)), STATE_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_file_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyed_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stand_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsize_limit, setup, teardown),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
