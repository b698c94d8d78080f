/*
 * spawn.h - start and stop spfc_dnsd (and other helpers) from a test.
 * Children get PR_SET_PDEATHSIG, so a test that dies on a failed assertion
 * leaves no responder running behind it.
 */
#ifndef SPFC_SPAWN_H
#define SPFC_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

typedef struct dnsd_proc {
    pid_t pid;
    int port;
} dnsd_proc_t;

/* Start dnsd_path with args (NULL-terminated, without argv[0] and without
 * --port: "--port 0" is added) and read its "port N" line.  0 on success. */
int dnsd_start(dnsd_proc_t *p, const char *dnsd_path, const char *const args[]);

/* SIGTERM, then wait.  Returns the exit status (or -1). */
int dnsd_stop(dnsd_proc_t *p);

/* Run argv (argv[0] is the path, no shell) with stdout captured into a
 * malloc()ed NUL-terminated *out.  Returns the exit status, -1 on error. */
int spawn_capture(char *const argv[], char **out);

/* Milliseconds on the monotonic clock. */
long long spawn_now_ms(void);

#endif
