/*
 * check: `smsotp check`, everything a login would find wrong with the
 * configuration, the files it names and the PAM stacks that load the
 * module, said at once.
 */
#ifndef SMSOTP_TOOL_CHECK_H
#define SMSOTP_TOOL_CHECK_H

/*
 * Checks conf (as the module reads it), the files it names, the entries
 * of pam_dir's stacks that load the module (their arguments over conf, or
 * over the file their conf= names) and, with user non-NULL, that user's
 * number lookup.  Problems go to stderr, each with its file and line;
 * notes, warnings and the summary to stdout.  Writes nothing.  Returns 0
 * when a login would not fail for configuration reasons, else 1.
 */
int check_run(const char *conf, const char *pam_dir, const char *user);

#endif
