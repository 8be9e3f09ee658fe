/*
 * pamd: finds the entries of the PAM stacks (the files of /etc/pam.d) that
 * load one module, with the arguments exactly as Linux-PAM hands them to
 * it (argc/argv), for the admin tool's check.  The module never calls it.
 *
 * It reads a file as Linux-PAM 1.5.2 (Debian 12) does, in
 * libpam/pam_handlers.c (_pam_assemble_line, _pam_parse_conf_file) and
 * libpam/pam_misc.c (_pam_StrTok, _pam_mkargv):
 *
 *  - Lines are read into a 1024-byte buffer (fgets): a line longer than
 *    1023 bytes is cut there, and Linux-PAM reads the rest as a line of
 *    its own.  A NUL byte ends the text of its line.
 *  - A line blank or whose first non-blank is '#' is skipped, also in the
 *    middle of a continued entry.  Elsewhere '#' starts a comment that
 *    ends the entry, even inside '[...]' and even after a trailing '\'.
 *  - A '\' that is the last non-blank (space, tab) of a line becomes a
 *    space, what follows it is dropped, and the next line is appended as
 *    it is: the entry goes on.  The entry's line is its first line.  A
 *    '\' continuing past the end of the file makes Linux-PAM refuse the
 *    whole file.  A CR is no blank: "x\r\n" ends in an argument "x\r".
 *  - Fields are split at spaces, tabs and newlines.  A field starting
 *    with '[' runs to the first ']' not written "\]" ("\]" becomes "]"),
 *    spaces included, without its brackets; text right after the ']'
 *    starts the next field.  An unclosed '[' takes the rest of the line.
 *    A '[' inside a field is an ordinary character.
 *  - Fields: type ("auth", "-auth", ...: case is ignored, one leading
 *    '-' only hides load errors), control ("required", "[success=1
 *    default=ignore]", "include", "substack"), module path, arguments.
 *    Lines whose control is include or substack, and Debian's "@include
 *    FILE" lines, load no module: they are skipped (the included file is
 *    a file of the folder and is scanned on its own).
 *
 * File names a program never asks for as a service, which package tools
 * leave behind, are skipped: names starting with '.', ending in '~', or
 * holding ".dpkg-" or ".ucf-" (sshd.dpkg-old, common-auth.ucf-dist).
 * Files are opened as Linux-PAM opens them, through symlinks.  A folder
 * or anything else that is no regular file is skipped; a link to nothing
 * is reported as unreadable; a file over 1 MiB is reported, not read.
 */
#ifndef SMSOTP_PAMD_H
#define SMSOTP_PAMD_H

#include <stddef.h>

#define PAMD_DEFAULT_DIR "/etc/pam.d"

struct pamd_line {
	const char *file;	/* the stack file's path (dir/name) */
	int line;		/* the physical line where the entry starts,
				 * 1-based; 0 for a file that was not read */
	const char *type;	/* as written: "auth", "-auth", ... */
	const char *control;	/* as read: "required", or the text between
				 * the brackets: "success=1 default=ignore" */
	const char *module;	/* the module path as written; NULL: this is
				 * a report on the file itself (see problem) */
	int argc;
	const char *const *argv;	/* as Linux-PAM hands them to the module */
	const char *problem;	/* NULL, or what is wrong, as Linux-PAM reads
				 * it, and what Linux-PAM then does */
};

/*
 * Called for each entry found, and for each report on a file itself
 * (module NULL): a file that cannot be read ("cannot read: why", line 0),
 * one over 1 MiB, a line longer than 1023 bytes that belongs to no
 * entry of the module, or a flaw for which Linux-PAM refuses or never
 * finishes the whole file.  Every pointer is valid during the call only.
 * A non-zero return stops the scan.
 */
typedef int (*pamd_fn)(const struct pamd_line *entry, void *ud);

/*
 * Calls fn for each entry of each regular file of dir (byte order of the
 * names) whose module path's last component is module_name (such as
 * "pam_smsotp.so"), and for the reports above.  Returns 0 (also when fn
 * stopped it), -1 with err when dir cannot be read, -2 when out of memory.
 */
int pamd_scan(const char *dir, const char *module_name, pamd_fn fn, void *ud,
	      char *err, size_t errlen);

/*
 * Splits an entry's argument text (what follows the module path, its
 * comment and continuations already gone) into fields as Linux-PAM does
 * (_pam_mkargv).  On success returns 0 with *argv (argc strings, then
 * NULL: one block, freed by pamd_free_args), *argc, and *problem NULL or
 * what an unclosed '[' does.  Returns -2 when out of memory.
 */
int pamd_split_args(const char *text, char ***argv, int *argc,
		    const char **problem);
void pamd_free_args(char **argv);

#endif
