/* proc.h: running helper programs without a shell.
 *
 * argv is passed to execve() as is: no shell, no word splitting, so no user
 * string can become a command.  Used outside the console loop (detection at
 * start-up, validation in a child) with a hard time limit.
 */
#ifndef NOTSPAM_PROC_H
#define NOTSPAM_PROC_H

#include <stddef.h>

/*
 * Run argv[0] (an absolute path) with argv, stdin from /dev/null, and collect
 * stdout and stderr together (at most max bytes, the rest discarded) into
 * *out (NUL-terminated, caller frees).  Kill it after timeout_ms.  *status
 * gets the exit status (128+signal if killed).  Returns 0 when it ran, -1
 * with *cause when it could not be started or timed out.
 */
int proc_run(const char *const argv[], int timeout_ms, size_t max, char **out,
    int *status, char **cause);

#endif
