/*
 * spawn.h - start and stop spfc_dnsd from a test (other programs run
 * through tests/support/run.h).
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

/* What spfc_dnsd wrote to its --count FILE when it stopped: the queries
 * it received and, when peak is not NULL, the most delayed answers that
 * waited at once (with --delay-ms: the queries a client had outstanding
 * together).  0, or -1 when the file cannot be read. */
int dnsd_read_count(const char *path, unsigned long *queries,
                    unsigned long *peak);

/* Milliseconds on the monotonic clock. */
long long spawn_now_ms(void);

#endif
