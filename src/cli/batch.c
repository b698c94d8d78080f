/*
 * batch.c - spfcheck --batch FILE: one check per line, many in flight.
 *
 * Input is the format of spfquery --file: "IP IDENTITY [HELO]" per line.
 * Memory stays flat whatever the input size:
 *   - the input is read a line at a time into a fixed buffer (a longer
 *     line becomes an error line; its rest is skipped unread into memory);
 *   - at most `concurrency` checks are in flight;
 *   - output keeps input order through a ring of finished lines, bounded
 *     by the window: when the oldest line is slow, reading stops until it
 *     is written;
 *   - the view's cache of answers is bounded in entries and in bytes;
 *   - the bytes of everything a batch holds (cached answers, checks in
 *     flight with the answers they pin, decided lines waiting for order)
 *     stay under --memory: the cache evicts, and fewer checks are
 *     admitted (the youngest are cancelled and started again later when
 *     checks grew past it), so hostile DNS data costs time, not memory,
 *     and never a line's result.
 * All checks share one resolver (its questions deduplicated) and one
 * view, so an include every customer shares is asked once (and again only
 * after its TTL).
 */
/* ppoll(): wait with SIGINT/SIGTERM unblocked only while waiting, so a
 * stop request can never slip in between a check of the flag and the
 * wait (a plain poll() would then sleep on). */
#define _GNU_SOURCE

#include "batch.h"

#include "msg.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strncasecmp */
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* ------------------------------------------------------------------------ */
/* The line parser                                                          */
/* ------------------------------------------------------------------------ */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether a field is one of RFC 7208 section 2.6's result words. */
static bool is_result_word(const char *f, size_t n)
{
    for (int r = SPFC_RESULT_NONE; r <= SPFC_RESULT_PERMERROR; r++) {
        const char *w = spfc_result_str((spfc_result_t)r);
        if (strlen(w) == n && strncasecmp(f, w, n) == 0)
            return true;
    }
    return false;
}

int spfc_cli_batch_fail_on(const char *arg, unsigned *mask, char *why,
                           size_t whylen)
{
    char sbuf[80];
    unsigned m = 0;
    const char *p = arg;
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        int r;
        for (r = SPFC_RESULT_NONE; r <= SPFC_RESULT_PERMERROR; r++) {
            const char *w = spfc_result_str((spfc_result_t)r);
            if (strlen(w) == n && strncasecmp(p, w, n) == 0)
                break;
        }
        if (r <= SPFC_RESULT_PERMERROR)
            m |= SPFC_BATCH_FAIL_RESULT(r);
        else if (n == 6 && strncasecmp(p, "errors", n) == 0)
            m |= SPFC_BATCH_FAIL_LINT_ERRORS;
        else if (n == 8 && strncasecmp(p, "warnings", n) == 0)
            m |= SPFC_BATCH_FAIL_LINT_WARNINGS | SPFC_BATCH_FAIL_LINT_ERRORS;
        else {
            set_err(why, whylen, "'%s' is not a result: give pass, fail, "
                    "softfail, neutral, none, temperror, permerror, or for "
                    "lint lines errors, warnings",
                    spfc_cli_shown_field(p, n, sbuf, sizeof sbuf));
            return 0;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *mask = m;
    return 1;
}

/*
 * The n (1 to 3) fields of a line, split: copied NUL-terminated into
 * out->buf (at most the line's bytes plus three NULs) and checked.
 */
static spfc_batch_kind_t fill_line(const char *const *field,
                                   const size_t *flen, size_t n,
                                   spfc_batch_line_t *out, char *err,
                                   size_t errlen)
{
    char sbuf[80];
    char *w = out->buf;
    const char *copies[3] = {NULL, NULL, NULL};
    for (size_t k = 0; k < n; k++) {
        memcpy(w, field[k], flen[k]);
        w[flen[k]] = '\0';
        copies[k] = w;
        w += flen[k] + 1;
    }
    bool ip_ok = spfc_ip_parse(copies[0], &out->ip) == SPFC_OK;
    if (n == 1 && !ip_ok) {
        /* A domain alone: no client to check, so the whole policy is
         * linted (the batch form of lint mode). */
        out->identity = copies[0];
        return SPFC_BATCH_LINT;
    }
    if (n == 1) {
        set_err(err, errlen, "missing identity: give IP IDENTITY [HELO], or "
                "a DOMAIN alone to lint it");
        return SPFC_BATCH_ERROR;
    }
    out->ip_text = copies[0];
    out->identity = copies[1];
    out->helo = copies[2];
    if (!ip_ok) {
        set_err(err, errlen, "'%s' is not an IP address",
                spfc_cli_shown_field(field[0], flen[0], sbuf, sizeof sbuf));
        return SPFC_BATCH_ERROR;
    }
    if (n == 3 && is_result_word(field[2], flen[2])) {
        /* "IP DOMAIN pass" is an expectation, not a check with a HELO
         * name "pass": checking it would silently test the wrong thing. */
        set_err(err, errlen, "'%s' is an SPF result, not a HELO name: a "
                "line is IP IDENTITY [HELO] (assert results with "
                "--expect-file)",
                spfc_cli_shown_field(field[2], flen[2], sbuf, sizeof sbuf));
        return SPFC_BATCH_ERROR;
    }
    /* RFC 7208 section 2.4: an empty MAIL FROM makes the HELO name the
     * identity checked. */
    if (strcmp(out->identity, "<>") == 0 || strcmp(out->identity, "-") == 0) {
        if (out->helo == NULL) {
            set_err(err, errlen, "empty identity '%s' needs a HELO name: give "
                    "IP <> HELO", out->identity);
            return SPFC_BATCH_ERROR;
        }
        out->sender = "";
    } else {
        out->sender = out->identity;
    }
    return SPFC_BATCH_CHECK;
}

spfc_batch_kind_t spfc_cli_batch_parse_line(const char *line, size_t len,
                                            spfc_batch_line_t *out,
                                            char *err, size_t errlen)
{
    const char *field[4];
    size_t flen[4];
    size_t n = 0, i = 0;
    char sbuf[80];

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || (line == NULL && len > 0)) {
        set_err(err, errlen, "internal error: no line");
        return SPFC_BATCH_ERROR;
    }
    memset(out, 0, offsetof(spfc_batch_line_t, buf));
    if (len > SPFC_BATCH_LINE_MAX) {
        set_err(err, errlen, "line longer than %d bytes", SPFC_BATCH_LINE_MAX);
        return SPFC_BATCH_ERROR;
    }
    if (len > 0 && line[len - 1] == '\r')
        len--;
    while (i < len && is_blank(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return SPFC_BATCH_SKIP;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)line[k];
        if (c == 0) {
            set_err(err, errlen, "NUL byte at column %zu", k + 1);
            return SPFC_BATCH_ERROR;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            set_err(err, errlen, "control byte 0x%02x at column %zu", c, k + 1);
            return SPFC_BATCH_ERROR;
        }
    }
    while (i < len) {
        size_t start = i;
        while (i < len && !is_blank(line[i]))
            i++;
        if (n == 3) {
            set_err(err, errlen, "too many fields ('%s' is extra): give IP "
                    "IDENTITY [HELO]",
                    spfc_cli_shown_field(line + start, i - start, sbuf,
                                         sizeof sbuf));
            return SPFC_BATCH_ERROR;
        }
        field[n] = line + start;
        flen[n] = i - start;
        n++;
        while (i < len && is_blank(line[i]))
            i++;
    }
    if (n == 0) {
        set_err(err, errlen, "internal error: no field");
        return SPFC_BATCH_ERROR;
    }
    return fill_line(field, flen, n, out, err, errlen);
}

/* ------------------------------------------------------------------------ */
/* Input: one line at a time, bounded                                       */
/* ------------------------------------------------------------------------ */

#define READ_CHUNK 65536

typedef struct reader {
    int fd;
    const sigset_t *wait_mask; /* the signal mask while waiting (ppoll) */
    char chunk[READ_CHUNK];
    size_t pos, len;
    bool eof;
    int error;                 /* errno of a failed read, else 0 */
    bool partial;              /* line holds the start of an unfinished line */
    unsigned long long bytes;  /* consumed so far (progress) */
    char line[SPFC_BATCH_LINE_MAX + 1];
    size_t line_len;           /* bytes kept (at most the maximum + 1) */
} reader_t;

typedef enum { RL_LINE, RL_EOF, RL_AGAIN, RL_STOP } read_status_t;

/*
 * A stop request (SIGINT, SIGTERM) seen by the batch: the signal number,
 * else 0.  The one piece of state outside the batch's structs, because a
 * signal handler can reach nothing else; it is set only while a batch
 * runs, and the signals are blocked except inside ppoll(), so the
 * handler runs only there and the main loop reads the flag right after.
 */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* Wait until fd is readable or a stop signal comes; false on the latter. */
static bool wait_readable(const reader_t *r)
{
    struct pollfd p = {.fd = r->fd, .events = POLLIN};
    while (stop_signal == 0) {
        if (ppoll(&p, 1, NULL, r->wait_mask) >= 0 || errno != EINTR)
            return true;
    }
    return false;
}

/*
 * The next line into r->line (at most SPFC_BATCH_LINE_MAX + 1 bytes kept,
 * so a longer one is recognised as such; the rest of it is skipped).  A
 * last line without a newline counts.  read(2), not stdio: a pipe gives
 * what it has, so a producer writing a line at a time is served a line at
 * a time.  Without may_block, RL_AGAIN when no whole line can be had
 * without waiting (checks in flight must not wait for input); the part
 * read so far is kept for the next call.
 */
static read_status_t read_line(reader_t *r, bool may_block)
{
    if (!r->partial)
        r->line_len = 0;
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof)
                break;
            if (!may_block) {
                struct pollfd p = {.fd = r->fd, .events = POLLIN};
                if (poll(&p, 1, 0) == 0)
                    return RL_AGAIN;
            } else if (!wait_readable(r)) {
                return RL_STOP;
            }
            ssize_t n = read(r->fd, r->chunk, sizeof r->chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!may_block)
                    return RL_AGAIN;
                continue; /* wait_readable() above waits */
            }
            r->pos = 0;
            r->len = 0;
            if (n <= 0) {
                if (n < 0)
                    r->error = errno;
                r->eof = true;
                break;
            }
            r->len = (size_t)n;
        }
        r->partial = true;
        const char *start = r->chunk + r->pos;
        size_t avail = r->len - r->pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl != NULL ? (size_t)(nl - start) : avail;
        size_t room = sizeof r->line - r->line_len;
        size_t keep = take < room ? take : room;
        memcpy(r->line + r->line_len, start, keep);
        r->line_len += keep;
        r->pos += take;
        r->bytes += take;
        if (nl != NULL) {
            r->pos++;
            r->bytes++;
            r->partial = false;
            return RL_LINE;
        }
    }
    /* end of input */
    if (r->partial) {
        r->partial = false;
        return RL_LINE;
    }
    return RL_EOF;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct batch batch_t;

/* Whether the batch waits on the network or on its own work (see
 * may_admit), from its polls: the time spent waiting in them against the
 * time spent working between them, both averaged over the last polls
 * (each sum loses an eighth at every poll). */
typedef struct net_wait {
    struct timespec polled; /* when the last poll returned */
    long long wait_ns;      /* waiting in polls, decayed */
    long long work_ns;      /* working between them, decayed */
    /* It waits over a ninth of its time (wait_ns * 8 > work_ns): the
     * network is what it waits on.  Not a half: far answers keep a fast
     * batch busy 70-80% of the time, and more checks in flight still
     * help it then; a resolver next door keeps it busy 95% or more. */
    bool bound;
} net_wait_t;

/* One output line, from reading to writing. */
typedef struct slot {
    batch_t *b;
    unsigned long long seq;   /* output order */
    unsigned long long line;  /* input line number */
    bool used, done;
    bool cancelling;          /* cancelled for memory: start again */
    bool waiting;             /* to be started again (see make_room) */
    spfc_check_t *check;
    size_t bytes;             /* the check's spfc_check_bytes(), measured */
    spfc_lint_t *lint;        /* a lint line's, while in flight */
    spfc_request_t req;
    char *echo;               /* "IP\0IDENTITY\0" as written, then the
                                 sender and HELO copies req points at */
    const char *identity;     /* IDENTITY, inside echo */
    char *text;               /* the finished output line(s) */
    size_t text_len;
} slot_t;

struct batch {
    const spfc_batch_config_t *cfg;
    spfc_view_t *view;
    spfc_resolver_t *resolver;
    FILE *out, *err;
    reader_t *r;
    spfc_batch_line_t *pl;    /* the line being admitted */
    unsigned long long line_no;
    bool input_done;
    slot_t *ring;
    size_t window;
    unsigned long long next_seq, write_seq;
    unsigned in_flight;
    unsigned long long checks_done;
    spfc_status_t failed;     /* internal failure: stop */
    /* The byte bound (see budget_*): half for the cache, half for the
     * checks in flight, their pinned answers and the decided lines. */
    size_t flight_budget;
    size_t flight_bytes;      /* checks in flight, as last measured + est */
    size_t text_bytes;        /* decided lines not written yet */
    size_t est;               /* what a check is expected to grow to */
    size_t peak;              /* the most bytes counted at once */
    unsigned long long restarts; /* checks cancelled for memory */
    size_t n_waiting;         /* slots to start again */
    unsigned long long lines_written;
    bool closing;             /* tearing down: cancelled checks write nothing */
    unsigned allowed;         /* checks in flight allowed now (slow start) */
    long long grown_at;       /* when allowed last grew, or when the batch
                                 last had room below it (ramp) */
    unsigned peak_in_flight;  /* the most checks in flight at once */
    unsigned long long answers_seen; /* answers_stamp() at grown_at */
    net_wait_t net;           /* whether it waits on the network (may_admit) */
    bool fail_hit;            /* --fail-on: a line's result is in the set */
    spfc_lint_summary_t *summary; /* --summary: the lint lines' tally */
    bool write_failed;
    int write_errno;
    /* The memory stream every line is rendered into, rewound after each:
     * opening one per line (8 KiB zeroed by glibc, and a FILE) cost more
     * than writing the line. */
    FILE *mem;
    char *mem_buf;
    size_t mem_len;
};

/* The stream to render a line into, opened at the first line; NULL when
 * there is no memory for it. */
static FILE *line_stream(batch_t *b)
{
    if (b->mem == NULL)
        b->mem = open_memstream(&b->mem_buf, &b->mem_len);
    return b->mem;
}

/* The text a render function wrote to b->mem becomes slot s's output, a
 * copy of its own; st is the render function's status.  mem_buf and
 * mem_len are set by fflush(); the stream is rewound for the next line. */
static spfc_status_t keep_text(batch_t *b, slot_t *s, spfc_status_t st)
{
    if ((fflush(b->mem) != 0 || ferror(b->mem)) && st == SPFC_OK)
        st = SPFC_ENOMEM;
    if (st == SPFC_OK) {
        char *t = malloc(b->mem_len + 1);
        if (t == NULL) {
            st = SPFC_ENOMEM;
        } else {
            memcpy(t, b->mem_buf, b->mem_len);
            t[b->mem_len] = '\0';
            s->text = t;
            s->text_len = b->mem_len;
        }
    }
    rewind(b->mem); /* also clears the error indicator */
    /* A memory stream fails to write only for want of memory. */
    return st == SPFC_EIO ? SPFC_ENOMEM : st;
}

/* Render the result of a finished check into slot->text: a text or JSON
 * line from the output module. */
static spfc_status_t render(batch_t *b, slot_t *s, const spfc_outcome_t *o,
                            const spfc_resolver_stats_t *stats)
{
    spfc_status_t st = SPFC_OK;
    FILE *f = line_stream(b);
    if (f == NULL)
        return SPFC_ENOMEM;
    if (b->cfg->json) {
        st = spfc_output_json_line(f, s->line, &s->req, o, stats,
                                   b->cfg->verbose ? SPFC_OUT_VERBOSE : 0);
    } else {
        st = spfc_output_text_line(f, s->echo, s->identity, o);
    }
    if ((b->cfg->fail_on & SPFC_BATCH_FAIL_RESULT(o->result)) != 0)
        b->fail_hit = true;
    return keep_text(b, s, st);
}

static void write_slot(batch_t *b, slot_t *s);

/* An error line for slot s. */
static spfc_status_t render_error(batch_t *b, slot_t *s, const char *why)
{
    spfc_status_t st = SPFC_OK;
    FILE *f = line_stream(b);
    if (f == NULL)
        return SPFC_ENOMEM;
    if (b->cfg->json)
        st = spfc_output_json_error(f, s->line, why);
    else
        st = spfc_output_text_error(f, s->line, why);
    st = keep_text(b, s, st);
    s->done = true;
    s->b->text_bytes += s->text_len;
    if (b->cfg->unordered)
        write_slot(b, s);
    /* With --fail-on, a line that is no check fails the run too: CI must
     * not pass because the input was mistyped. */
    if (b->cfg->fail_on != 0)
        b->fail_hit = true;
    return st;
}

static void slot_clear(slot_t *s)
{
    spfc_check_free(s->check);
    spfc_lint_free(s->lint);
    free(s->echo);
    free(s->text);
    memset(s, 0, sizeof *s);
}

/* Checks in flight that keep the batch busy when answers take no time
 * (may_admit): enough that the next answers are there when the last
 * ones are done, few enough to stay in the CPU cache. */
#define BATCH_CPU_FLIGHT 64u

static long long mono_ms(void);
static void grow_allowed(batch_t *b, unsigned long long n);

/* Slot s no longer counts against the byte bound (budget_ok). */
static void drop_bytes(batch_t *b, slot_t *s)
{
    b->flight_bytes -= s->bytes < b->flight_bytes ? s->bytes : b->flight_bytes;
    s->bytes = 0;
}

/* A check or lint finished, having grown to used bytes: one more may run
 * (slow start, see may_admit; answers add more, see ramp), what it held
 * no longer counts, and the next ones are expected to grow as the
 * finished ones did (a moving average of their footprints). */
static void slot_finished(batch_t *b, slot_t *s, size_t used)
{
    b->checks_done++;
    unsigned before = b->allowed;
    grow_allowed(b, 1);
    if (b->allowed != before)
        b->grown_at = mono_ms();
    b->est = (b->est * 7 + used) / 8;
    drop_bytes(b, s);
}

/* A check finished (from spfc_resolver_process or the offline path). */
static void on_done(void *arg, spfc_check_t *check, spfc_status_t status,
                    const spfc_resolver_stats_t *stats)
{
    slot_t *s = arg;
    batch_t *b = s->b;
    spfc_status_t st = status;
    if (s->cancelling && status == SPFC_ECANCELED) {
        /* make_room() gave this check up to stay in the bound; it starts
         * again from its request once there is room (its answers may
         * still be cached). */
        spfc_check_free(s->check);
        s->check = NULL;
        s->cancelling = false;
        s->waiting = true;
        b->n_waiting++;
        b->in_flight--;
        drop_bytes(b, s);
        return;
    }
    slot_finished(b, s, spfc_check_bytes(check));
    const spfc_outcome_t *o = st == SPFC_OK ? spfc_check_outcome(check) : NULL;
    if (st == SPFC_OK && o == NULL)
        st = SPFC_EDNS;
    if (st == SPFC_OK)
        st = render(b, s, o, stats);
    else if (st != SPFC_ENOMEM)
        st = render_error(b, s, "the check could not finish (internal error)");
    if (st != SPFC_OK && b->failed == SPFC_OK)
        b->failed = st;
    spfc_check_free(s->check);
    s->check = NULL;
    s->done = true;
    b->text_bytes += s->text_len;
    if (b->cfg->unordered)
        write_slot(b, s); /* --unordered: as soon as it is decided */
    b->in_flight--;
}

/* Write slot s's finished line(s) and let their memory go: one fwrite()
 * of whole lines (stop signals are blocked outside ppoll(), so none cuts
 * it; see signals_catch). */
static void write_slot(batch_t *b, slot_t *s)
{
    if (s->text == NULL || b->closing)
        return;
    if (!b->write_failed && s->text_len > 0 &&
        fwrite(s->text, 1, s->text_len, b->out) != s->text_len) {
        b->write_failed = true;
        b->write_errno = errno;
    }
    b->lines_written++;
    b->text_bytes -= s->text_len;
    free(s->text);
    s->text = NULL;
    s->text_len = 0;
}

/* Write every finished line at the head of the ring, in order. */
static void flush_ready(batch_t *b)
{
    while (b->write_seq < b->next_seq) {
        slot_t *s = &b->ring[b->write_seq % b->window];
        if (!s->done)
            break;
        write_slot(b, s);
        slot_clear(s);
        b->write_seq++;
    }
}

/* Pass what is written on to the reader of the output now. */
static void flush_out(batch_t *b)
{
    if (fflush(b->out) != 0 && !b->write_failed) {
        b->write_failed = true;
        b->write_errno = errno;
    }
}

/* A poll waited from t0 to t1: count it, and the work since the last one,
 * into nw.  Averaged: a process of a loaded host that loses the CPU for a
 * while makes one poll wait long now and then; answers from afar make
 * most of them wait (and the others find the rest of a burst ready). */
static void net_wait_note(net_wait_t *nw, const struct timespec *t0,
                          const struct timespec *t1)
{
    long long work = (t0->tv_sec - nw->polled.tv_sec) * 1000000000LL +
                     (t0->tv_nsec - nw->polled.tv_nsec);
    long long wait = (t1->tv_sec - t0->tv_sec) * 1000000000LL +
                     (t1->tv_nsec - t0->tv_nsec);
    nw->wait_ns = nw->wait_ns - nw->wait_ns / 8 + wait;
    nw->work_ns = nw->work_ns - nw->work_ns / 8 + work;
    nw->bound = nw->wait_ns > nw->work_ns / 8;
    nw->polled = *t1;
}

/*
 * Wait until the input has more to read (in_fd >= 0) or the resolver has
 * work: one poll() over the input and the resolver's sockets, bounded by
 * the resolver's next timeout (the event-loop interface of spfcheck.h),
 * then hand each ready socket to the resolver, or let it handle its
 * timeouts.  A readable input is left to the caller's next read.
 * nw learns how long it waited, and how long the work since the last
 * poll took.
 */
static spfc_status_t poll_input_or_dns(spfc_resolver_t *res, int in_fd,
                                       int max_ms, const sigset_t *wait_mask,
                                       net_wait_t *nw)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_fd_t *rf = NULL;
    struct pollfd *pfd = NULL;
    size_t n = spfc_resolver_fds(res, NULL, 0);

    rf = malloc((n + 1) * sizeof *rf);
    pfd = malloc((n + 1) * sizeof *pfd);
    if (rf == NULL || pfd == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    n = spfc_resolver_fds(res, rf, n); /* the same list: nothing ran */
    for (size_t i = 0; i < n; i++) {
        pfd[i].fd = rf[i].fd;
        pfd[i].events = (short)(((rf[i].events & SPFC_FD_READ) ? POLLIN : 0) |
                                ((rf[i].events & SPFC_FD_WRITE) ? POLLOUT : 0));
        pfd[i].revents = 0;
    }
    pfd[n].fd = in_fd; /* poll() skips a negative fd */
    pfd[n].events = POLLIN;
    pfd[n].revents = 0;
    int ms = spfc_resolver_timeout(res);
    if (max_ms >= 0 && (ms < 0 || max_ms < ms))
        ms = max_ms;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    /* Waiting against working tells whether the batch is bound by the
     * network or by its own work (see may_admit). */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = ppoll(pfd, (nfds_t)n + 1, ms < 0 ? NULL : &ts, wait_mask);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    net_wait_note(nw, &t0, &t1);
    if (rc < 0) {
        if (errno != EINTR)
            st = SPFC_EIO;
        goto done;
    }
    if (rc == 0) {
        st = spfc_resolver_process_fd(res, -1, -1);
        goto done;
    }
    for (size_t i = 0; i < n && st == SPFC_OK; i++) {
        if (pfd[i].revents == 0)
            continue;
        int rfd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : -1;
        int wfd = (pfd[i].revents & POLLOUT) ? pfd[i].fd : -1;
        st = spfc_resolver_process_fd(res, rfd, wfd);
    }

done:
    free(rf);
    free(pfd);
    return st;
}

static spfc_status_t submit_check(batch_t *b, slot_t *s);

/* Start the check of one parsed line in slot s. */
static spfc_status_t start_check(batch_t *b, slot_t *s,
                                 const spfc_batch_line_t *pl)
{
    /* The parser's buffer is reused by the next line: the slot keeps its
     * own copies for the output (the check copies what it needs). */
    size_t il = strlen(pl->ip_text), dl = strlen(pl->identity);
    size_t sl = strlen(pl->sender);
    size_t hl = pl->helo != NULL ? strlen(pl->helo) : 0;
    s->echo = malloc(il + 1 + dl + 1 + sl + 1 + hl + 1);
    if (s->echo == NULL)
        return SPFC_ENOMEM;
    memcpy(s->echo, pl->ip_text, il);
    s->echo[il] = '\0';
    memcpy(s->echo + il + 1, pl->identity, dl + 1);
    s->identity = s->echo + il + 1;
    char *sender = s->echo + il + 1 + dl + 1;
    memcpy(sender, pl->sender, sl + 1);
    char *helo = sender + sl + 1;
    if (pl->helo != NULL)
        memcpy(helo, pl->helo, hl + 1);

    s->req.sender = sender;
    s->req.helo = pl->helo != NULL ? helo : NULL;
    s->req.ip = pl->ip;
    s->req.receiver = b->cfg->receiver;
    s->req.now = (long long)time(NULL);
    return submit_check(b, s);
}

static void on_lint_done(void *arg, spfc_lint_t *lint, spfc_status_t status,
                         const spfc_resolver_stats_t *stats);

/* Run what slot s holds, its check or its lint: offline in one pass
 * (everything is in the view), or on the resolver, counted against the
 * byte bound at what checks grow to until measured (budget_ok). */
static spfc_status_t launch(batch_t *b, slot_t *s)
{
    spfc_status_t st;
    b->in_flight++;
    if (b->in_flight > b->peak_in_flight)
        b->peak_in_flight = b->in_flight;
    if (b->resolver == NULL) {
        spfc_step_t step = SPFC_STEP_NEED;
        st = s->check != NULL ? spfc_check_eval(s->check, b->view, &step)
                              : spfc_lint_eval(s->lint, b->view, &step);
        if (st == SPFC_OK && step != SPFC_STEP_DONE)
            st = SPFC_EDNS;
        spfc_resolver_stats_t none = {0};
        if (s->check != NULL)
            on_done(s, s->check, st, &none);
        else
            on_lint_done(s, s->lint, st, &none);
        return SPFC_OK;
    }
    st = s->check != NULL
             ? spfc_resolver_submit(b->resolver, s->check, on_done, s)
             : spfc_resolver_submit_lint(b->resolver, s->lint, on_lint_done, s);
    if (st != SPFC_OK) {
        b->in_flight--;
        return st;
    }
    s->bytes = b->est;
    b->flight_bytes += s->bytes;
    return SPFC_OK;
}

/* Start (or start again) the check of slot s from its request. */
static spfc_status_t submit_check(batch_t *b, slot_t *s)
{
    spfc_status_t st = spfc_check_new(&s->req, &s->check);
    return st != SPFC_OK ? st : launch(b, s);
}

/* ------------------------------------------------------------------------ */
/* Lint lines: a DOMAIN alone                                               */
/* ------------------------------------------------------------------------ */

/* A lint finished: its line, the --fail-on verdict and the tally; then
 * nothing of it is kept (memory stays flat over a million domains). */
static void on_lint_done(void *arg, spfc_lint_t *lint, spfc_status_t status,
                         const spfc_resolver_stats_t *stats)
{
    slot_t *s = arg;
    batch_t *b = s->b;
    (void)stats;
    slot_finished(b, s, spfc_lint_bytes(lint));
    const spfc_lint_report_t *r = status == SPFC_OK ? spfc_lint_report(lint)
                                                    : NULL;
    spfc_status_t st = status;
    if (st == SPFC_OK && r == NULL)
        st = SPFC_EDNS;
    if (st == SPFC_OK) {
        FILE *f = line_stream(b);
        if (f == NULL)
            st = SPFC_ENOMEM;
        else
            st = keep_text(b, s, spfc_output_lint_line(f, s->line, r, b->cfg->json));
        unsigned fo = b->cfg->fail_on;
        if (((fo & SPFC_BATCH_FAIL_LINT_ERRORS) && r->n_errors > 0) ||
            ((fo & SPFC_BATCH_FAIL_LINT_WARNINGS) && r->n_warnings > 0))
            b->fail_hit = true;
        spfc_lint_summary_add(b->summary, r);
    } else if (st != SPFC_ENOMEM) {
        st = render_error(b, s, "the lint could not finish (internal error)");
    }
    if (st != SPFC_OK && b->failed == SPFC_OK)
        b->failed = st;
    spfc_lint_free(lint);
    s->lint = NULL;
    s->done = true;
    b->in_flight--;
}

/* Start the lint of a DOMAIN line in slot s, on the checks' resolver and
 * view (their cache serves both). */
static spfc_status_t start_lint(batch_t *b, slot_t *s,
                                const spfc_batch_line_t *pl)
{
    spfc_status_t st = spfc_lint_new(pl->identity, &s->lint);
    return st != SPFC_OK ? st : launch(b, s);
}

/* Progress on a terminal: checks done, rate, and an ETA when the input
 * size is known (a regular file: bytes read / file size). */
typedef struct progress {
    bool on;
    long long start_ms, last_ms;
    unsigned long long size;   /* 0: unknown */
} progress_t;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Progress is shown only when the error stream is a terminal. */
static void progress_start(progress_t *p, FILE *err, FILE *in)
{
    int efd = fileno(err);
    if (efd < 0 || !isatty(efd))
        return;
    p->on = true;
    p->start_ms = p->last_ms = mono_ms();
    struct stat sb;
    if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
        p->size = (unsigned long long)sb.st_size;
}

static void show_progress(progress_t *p, const batch_t *b, bool final)
{
    if (!p->on)
        return;
    long long now = mono_ms();
    if (!final && now - p->last_ms < 250)
        return;
    p->last_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    double rate = secs > 0 ? (double)b->checks_done / secs : 0.0;
    fprintf(b->err, "\r" SPFC_CLI_PROG ": %llu checks, %.0f/s",
            b->checks_done, rate);
    if (p->size > 0 && b->r->bytes > 0 && !final) {
        double frac = (double)b->r->bytes / (double)p->size;
        if (frac > 1)
            frac = 1;
        double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
        fprintf(b->err, ", %.0f%%, ETA %.0fs", frac * 100, eta);
    }
    fputs(final ? "\033[K\n" : "\033[K", b->err);
    fflush(b->err);
}

/*
 * The byte bound (--memory M).  Half of it bounds the view's cache
 * (spfc_view_set_cache_bytes: least recently used answers evicted); the
 * other half bounds what the checks in flight hold: their own memory
 * (spfc_check_bytes), the answers they pin (which no eviction may take)
 * and the decided lines waiting for order.  Everything counted then
 * stays under M, whatever the DNS data: except that one check is always
 * let run, alone if need be, so a check whose own data exceeds the bound
 * still finishes (the bound is then that check's size).
 */

/* Whether one more check fits in the bound: what the checks in flight
 * hold plus what a check is expected to grow to (b->est). */
static bool budget_ok(const batch_t *b)
{
    if (b->flight_budget == 0 || b->in_flight == 0)
        return true;
    size_t pinned = 0;
    spfc_view_cache_bytes(b->view, &pinned);
    return pinned + b->flight_bytes + b->text_bytes + b->est <=
           b->flight_budget;
}

/* Measure the checks and lints in flight: b->flight_bytes counts each
 * at least at b->est (for admitting); the real sum is returned (for the
 * bound). */
static size_t measure(batch_t *b)
{
    size_t real = 0, counted = 0;
    for (unsigned long long q = b->write_seq; q < b->next_seq; q++) {
        slot_t *s = &b->ring[q % b->window];
        if (s->check == NULL && s->lint == NULL)
            continue;
        s->bytes = s->check != NULL ? spfc_check_bytes(s->check)
                                    : spfc_lint_bytes(s->lint);
        real += s->bytes;
        counted += s->bytes > b->est ? s->bytes : b->est;
    }
    b->flight_bytes = counted;
    return real;
}

/* The most bytes counted at once, measured when the batch has settled
 * (after make_room): checks grow between two turns of the loop (each
 * answer that arrives), which make_room then undoes. */
static void note_peak(batch_t *b, size_t real)
{
    size_t total = spfc_view_cache_bytes(b->view, NULL) + real + b->text_bytes;
    if (total > b->peak)
        b->peak = total;
}

/*
 * Checks grew past the bound after they were admitted (each answer a
 * check receives is pinned, and records are parsed into its memory):
 * cancel the youngest until the rest fit, and start them again later
 * (submit_check from their request; their answers may still be cached).
 * The oldest check in flight is never cancelled, so the batch always
 * moves on, and no line fails for want of memory.
 */
static void make_room(batch_t *b)
{
    size_t real = measure(b);
    size_t pinned = 0;
    spfc_view_cache_bytes(b->view, &pinned);
    /* Checks grow after admission: expect the next ones to grow as those
     * in flight did (with the answers they pin), not only as the
     * finished ones did. */
    if (b->in_flight > 0 && (real + pinned) / b->in_flight > b->est)
        b->est = (real + pinned) / b->in_flight;
    if (b->flight_budget == 0 || b->resolver == NULL) {
        note_peak(b, real);
        return;
    }
    for (unsigned long long q = b->next_seq; q-- > b->write_seq;) {
        if (b->in_flight <= 1 || pinned + real + b->text_bytes <= b->flight_budget)
            break;
        slot_t *s = &b->ring[q % b->window];
        if (s->check == NULL)
            continue;
        real -= s->bytes < real ? s->bytes : real;
        s->cancelling = true;
        b->restarts++;
        if (spfc_resolver_cancel(b->resolver, s->check) != SPFC_OK &&
            b->failed == SPFC_OK)
            b->failed = SPFC_EDNS;
        spfc_view_cache_bytes(b->view, &pinned);
        /* Grow again from what fits (slow start). */
        b->allowed = b->in_flight > 0 ? b->in_flight : 1;
        b->grown_at = mono_ms();
    }
    note_peak(b, real);
}

/* Start again, oldest first, the checks make_room() gave up, as the
 * bound allows. */
static void restart_waiting(batch_t *b)
{
    for (unsigned long long q = b->write_seq;
         q < b->next_seq && b->n_waiting > 0; q++) {
        if (b->failed != SPFC_OK || b->in_flight >= b->allowed ||
            !budget_ok(b))
            return;
        slot_t *s = &b->ring[q % b->window];
        if (!s->waiting)
            continue;
        s->waiting = false;
        b->n_waiting--;
        spfc_status_t st = submit_check(b, s);
        if (st != SPFC_OK && b->failed == SPFC_OK)
            b->failed = st;
    }
}

/* Time at the slow-start allowance with nothing finished before it
 * doubles (ramp). */
#define BATCH_RAMP_MS 100

/* Changes whenever an answer enters the cache (an eviction leaves it as
 * it is: one entry fewer, one eviction more). */
static unsigned long long answers_stamp(const batch_t *b)
{
    return (unsigned long long)spfc_view_cache_count(b->view) +
           spfc_view_cache_evictions(b->view);
}

/* Checks in flight added per answer that enters the cache (ramp): a
 * check that is several round trips deep finishes only after all of
 * them, so growing per finished check doubled the allowance only once
 * per depth x round trip, and a 300-line batch at 20 ms spent most of
 * its time in slow start.  Per answer, it doubles per round trip
 * whatever the depth, clocked by what came back (TCP's slow start, RFC
 * 5681).  More per answer (4 was tried) sent bursts of new questions
 * that a server with the default 208 KiB receive buffer dropped
 * (bench/faults.sh burst, half the runs); the byte bound decides each
 * admission. */
#define BATCH_GROW_PER_ANSWER 1u

/* What one check may grow to in one turn of the loop before any has
 * been measured: a 64 KiB record parsed, with its trace (a 50 KB one
 * makes some 430 KB, test_faults.c:lint_lines_bounded). */
#define BATCH_FIRST_WAVE_BYTES (512u * 1024u)

/* The most checks in flight before any has finished (the only footprint
 * known to be whole: a check waiting on its next answer may yet take in
 * a huge one), so that they fit the byte bound even then; lints cannot
 * be given up for memory, only held back. */
static unsigned first_wave(const batch_t *b)
{
    if (b->flight_budget == 0)
        return b->cfg->concurrency;
    size_t n = b->flight_budget / BATCH_FIRST_WAVE_BYTES;
    return n == 0 ? 1 : n < b->cfg->concurrency ? (unsigned)n
                                                 : b->cfg->concurrency;
}

/* Grow the allowance by n checks (ramp, slot_finished), up to
 * --concurrency, past BATCH_CPU_FLIGHT only while the batch waits on the network, and
 * past first_wave() only once a check has finished. */
static void grow_allowed(batch_t *b, unsigned long long n)
{
    unsigned cap = b->cfg->concurrency;
    if (!b->net.bound && cap > BATCH_CPU_FLIGHT)
        cap = BATCH_CPU_FLIGHT;
    if (b->checks_done == 0 && cap > first_wave(b))
        cap = first_wave(b);
    if (cap < b->allowed)
        cap = b->allowed;
    unsigned long long want = b->allowed + n;
    b->allowed = want < cap ? (unsigned)want : cap;
}

/*
 * Checks in flight start at BATCH_SLOW_START and grow by
 * BATCH_GROW_PER_ANSWER per answer received and by one per check finished
 * (may_admit).  When the batch has been held at that allowance
 * for BATCH_RAMP_MS with no check finishing and no answer arriving (every
 * check waits on a silent server) and none has grown past what checks are
 * expected to (b->est: they wait and hold little), the allowance doubles:
 * a batch whose every line waits on a dead server would otherwise admit
 * 8, then 16, then 32... checks per timeout.  While answers arrive, the
 * server is slow, not silent, and the slow start keeps its pace (more
 * checks at once would only slow it further).  The byte bound still
 * decides each admission (budget_ok), and make_room still gives up the
 * youngest if they grow past it together later.
 */
static void ramp(batch_t *b, long long now)
{
    if (b->allowed >= b->cfg->concurrency)
        return;
    unsigned long long stamp = answers_stamp(b);
    if (b->in_flight < b->allowed || b->input_done ||
        stamp != b->answers_seen) {
        /* The count falls when expired answers are freed: only a rise
         * is answers received. */
        if (stamp > b->answers_seen && !b->input_done)
            grow_allowed(b, (stamp - b->answers_seen) *
                                BATCH_GROW_PER_ANSWER);
        b->grown_at = now; /* not held back, or not silent */
        b->answers_seen = stamp;
        return;
    }
    if (now - b->grown_at < BATCH_RAMP_MS ||
        b->flight_bytes > (size_t)b->in_flight * b->est)
        return;
    b->allowed = b->allowed > b->cfg->concurrency / 2 ? b->cfg->concurrency
                                                       : b->allowed * 2;
    b->grown_at = now;
}

/* How long until ramp() may double the allowance, in ms; -1 when it
 * cannot (the poll in wait_input_or_dns waits no longer). */
static int ramp_wait(const batch_t *b, long long now)
{
    if (b->allowed >= b->cfg->concurrency || b->in_flight < b->allowed ||
        b->input_done)
        return -1;
    long long d = b->grown_at + BATCH_RAMP_MS - now;
    return d < 0 ? 0 : (int)d;
}

/*
 * Whether another line may be admitted now: a check may start, the
 * window has room for its output line, the byte bound has room for it,
 * and no check given up for memory waits to start again before it.
 * Checks in flight start at BATCH_SLOW_START and grow with each answer
 * received and each check finished, up to --concurrency (TCP's slow
 * start, see ramp): until checks have been measured, a first wave of
 * --concurrency checks could each receive a huge answer in the same turn
 * of the loop, past the byte bound.
 * Beyond BATCH_CPU_FLIGHT they grow only while the batch waits on the
 * network over a ninth of its time (net_wait_t): when answers come
 * back as fast as they are asked, as from a resolver next door, more
 * checks in flight add no speed, only memory that falls out of the CPU
 * cache (1,000 checks at 0 ms took a third more time than 64).
 */
static bool may_admit(const batch_t *b)
{
    return !b->input_done && b->failed == SPFC_OK && !b->write_failed &&
           b->in_flight < b->allowed &&
           b->next_seq - b->write_seq < b->window && b->n_waiting == 0 &&
           budget_ok(b);
}

/* One input line into the next slot: an error line, or a check started.
 * Blank and comment lines take no slot. */
static void admit_line(batch_t *b)
{
    char why[256];
    const char *text = b->r->line;
    size_t len = b->r->line_len;
    b->line_no++;
    /* A UTF-8 byte-order mark (EF BB BF), as some Windows editors write
     * at the start of a file, is no part of the first line. */
    if (b->line_no == 1 && len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    spfc_batch_kind_t kind = spfc_cli_batch_parse_line(text, len, b->pl, why,
                                                       sizeof why);
    if (kind == SPFC_BATCH_SKIP)
        return;
    slot_t *s = &b->ring[b->next_seq % b->window];
    s->b = b;
    s->seq = b->next_seq++;
    s->line = b->line_no;
    s->used = true;
    spfc_status_t st;
    if (kind == SPFC_BATCH_ERROR)
        st = render_error(b, s, why);
    else if (kind == SPFC_BATCH_LINT)
        st = start_lint(b, s, b->pl);
    else
        st = start_check(b, s, b->pl);
    if (st != SPFC_OK && b->failed == SPFC_OK)
        b->failed = st;
}

/* Read and admit lines while may_admit().  Returns true when input is
 * starving: no whole line can be read without waiting while checks are
 * in flight. */
static bool read_and_admit(batch_t *b)
{
    make_room(b);
    ramp(b, mono_ms());
    restart_waiting(b);
    while (may_admit(b)) {
        bool may_block = b->in_flight == 0;
        if (may_block && b->r->pos == b->r->len) {
            /* About to wait for input: whoever writes it may be waiting
             * for the results so far (a line at a time). */
            flush_ready(b);
            flush_out(b);
        }
        read_status_t rs = read_line(b->r, may_block);
        if (rs == RL_STOP)
            return false; /* the main loop sees stop_signal */
        if (rs == RL_AGAIN)
            return true;
        if (rs == RL_EOF) {
            b->input_done = true;
            return false;
        }
        admit_line(b);
    }
    return false;
}

/* Wait for input or DNS: one poll() over both, then the resolver runs
 * what came (answers, timeouts). */
static void wait_input_or_dns(batch_t *b, bool starving)
{
    if (b->resolver == NULL || spfc_resolver_pending(b->resolver) == 0) {
        if (b->in_flight > 0)
            b->failed = SPFC_EDNS; /* a check in flight nobody runs */
        return;
    }
    /* Wait for the input too only when more of it may be read. */
    bool can_read = may_admit(b);
    if (starving)
        flush_out(b); /* no input ready: pass on what is finished first */
    spfc_status_t st = poll_input_or_dns(b->resolver, can_read ? b->r->fd : -1,
                                         ramp_wait(b, mono_ms()),
                                         b->r->wait_mask, &b->net);
    if (st != SPFC_OK && b->failed == SPFC_OK)
        b->failed = st;
}

/* The input: the file named by the configuration, or in for "-".
 * Returns 0 or the exit code (the message is on err). */
static int open_input(const spfc_batch_config_t *cfg, FILE *in, FILE *err,
                      FILE **f, bool *own)
{
    if (strcmp(cfg->path, "-") == 0) {
        *f = in;
        return 0;
    }
    *f = fopen(cfg->path, "rb");
    /* fopen() opens a directory for reading on Linux; only the first
     * read fails.  A batch file that is no file is a usage error (64),
     * like one that cannot be opened, not an internal one. */
    struct stat sb_st;
    int e = *f == NULL ? errno
            : fstat(fileno(*f), &sb_st) != 0 ? errno
            : S_ISDIR(sb_st.st_mode) ? EISDIR : 0;
    if (e != 0) {
        char sb[80];
        spfc_cli_msg(err, "cannot read batch file '%s': %s",
            spfc_cli_shown_field(cfg->path, strlen(cfg->path), sb, sizeof sb),
            strerror(e));
        if (*f != NULL)
            fclose(*f);
        *f = NULL;
        return SPFC_EXIT_USAGE;
    }
    *own = true;
    return 0;
}

/* What a check is expected to grow to before any has finished: a record
 * of a few hundred bytes parsed, its trace, a 4 KiB arena block. */
#define BATCH_CHECK_EST 16384u
/* The output window in lines (batch_setup). */
#define BATCH_WINDOW_PER_CHECK 64u
#define BATCH_WINDOW_MIN 4096u
#define BATCH_WINDOW_MAX 65536u
/* Checks in flight at the start (may_admit): BATCH_CPU_FLIGHT, what a
 * batch runs anyway when answers take no time, so a batch at 20 ms has
 * its first wave out in the first round trip.  Under a small --memory
 * fewer (first_wave): until checks have been measured, each may take in
 * a 64 KiB answer and parse it, all in the same turn of the loop,
 * before make_room can look. */
#define BATCH_SLOW_START BATCH_CPU_FLIGHT

/* The ring, the reader, the cache limit and the resolver.  Returns 0 or
 * the exit code (the message is on err). */
static int batch_setup(batch_t *b, FILE *f)
{
    const spfc_batch_config_t *cfg = b->cfg;
    /* The window: finished lines wait here for the slow head one, so one
     * line stuck on a dead server does not stop the batch: reading goes
     * on for BATCH_WINDOW_PER_CHECK lines per check in flight (the
     * decided lines' bytes count against --memory, budget_ok), within
     * fixed bounds on the ring itself (about 128 bytes a slot). */
    b->window = (size_t)cfg->concurrency * BATCH_WINDOW_PER_CHECK;
    if (b->window < BATCH_WINDOW_MIN)
        b->window = BATCH_WINDOW_MIN;
    if (b->window > BATCH_WINDOW_MAX)
        b->window = BATCH_WINDOW_MAX;
    b->ring = calloc(b->window, sizeof *b->ring);
    b->r = calloc(1, sizeof *b->r);
    b->pl = malloc(sizeof *b->pl);
    if (b->ring == NULL || b->r == NULL || b->pl == NULL) {
        spfc_cli_msg(b->err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    b->r->fd = fileno(f);
    if (cfg->summary && spfc_lint_summary_new(&b->summary) != SPFC_OK) {
        spfc_cli_msg(b->err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }

    if (cfg->cache_limit > 0)
        spfc_view_set_cache_limit(b->view, cfg->cache_limit);
    /* Half the byte bound for the cache, half for the checks in flight
     * (budget_ok). */
    if (cfg->memory > 0) {
        spfc_view_set_cache_bytes(b->view, cfg->memory / 2);
        b->flight_budget = cfg->memory - cfg->memory / 2;
    }
    b->est = BATCH_CHECK_EST;
    b->allowed = cfg->concurrency < BATCH_SLOW_START ? cfg->concurrency
                                                     : BATCH_SLOW_START;
    if (first_wave(b) < b->allowed)
        b->allowed = first_wave(b);
    b->grown_at = mono_ms();
    clock_gettime(CLOCK_MONOTONIC, &b->net.polled);
    if (cfg->offline)
        return 0;
    char ebuf[256] = "";
    spfc_status_t st = spfc_resolver_new(&cfg->ropts, b->view, &b->resolver, ebuf,
                                         sizeof ebuf);
    if (st == SPFC_EINVAL) {
        spfc_cli_msg(b->err, "bad --server list: %s",
            ebuf[0] ? ebuf : spfc_status_str(st));
        return SPFC_EXIT_USAGE;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(b->err, "cannot set up the DNS resolver: %s",
            ebuf[0] ? ebuf : spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    return 0;
}

/* How the run ended, as an exit code with its message. */
static int batch_finish(batch_t *b)
{
    if (b->r->error != 0) {
        spfc_cli_msg(b->err, "error reading the batch input: %s",
                     strerror(b->r->error));
        return SPFC_EXIT_SOFTWARE;
    }
    if (b->failed != SPFC_OK) {
        if (b->failed == SPFC_ENOMEM)
            spfc_cli_msg(b->err, "out of memory");
        else
            spfc_cli_msg(b->err, "batch stopped: %s",
                         spfc_status_str(b->failed));
        return SPFC_EXIT_SOFTWARE;
    }
    if (!b->write_failed) {
        errno = 0;
        if (fflush(b->out) != 0 || ferror(b->out)) {
            b->write_failed = true;
            b->write_errno = errno;
        }
    }
    if (b->write_failed) {
        /* A reader that went away is not reported (see main.c). */
        if (b->write_errno != EPIPE)
            spfc_cli_msg(b->err, "cannot write output: %s",
                strerror(b->write_errno != 0 ? b->write_errno : EIO));
        return SPFC_EXIT_IOERR;
    }
    return b->fail_hit ? SPFC_EXIT_FAIL_ON : 0;
}

/* --stats: what the run did against its bounds, for operators and the
 * tests (counts, never times). */
static void show_stats(batch_t *b)
{
    make_room(b); /* the last measure, for the peak */
    spfc_cli_msg(b->err, "stats: %llu lines, %llu checks, peak %zu bytes "
                 "counted (bound %zu), %zu cached answers, %llu evicted, "
                 "%llu checks restarted for memory, at most %u in flight",
                 b->lines_written, b->checks_done, b->peak, b->cfg->memory,
                 b->resolver != NULL ? spfc_view_cache_count(b->view) : 0,
                 spfc_view_cache_evictions(b->view), b->restarts,
                 b->peak_in_flight);
}

/* How signals were before the batch, to give them back. */
typedef struct sig_state {
    struct sigaction old_int, old_term;
    sigset_t old_mask;
    sigset_t wait_mask; /* old_mask without SIGINT and SIGTERM */
    bool set;
} sig_state_t;

/*
 * SIGINT and SIGTERM stop the batch cleanly instead of killing it between
 * two writes (a truncated last line): the handler only records the
 * signal, and both stay blocked except while the batch waits in ppoll(),
 * so every write of the batch runs whole.  A signal ignored on entry (a
 * background job's SIGINT) stays ignored.
 */
static void signals_catch(sig_state_t *ss)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigset_t stops;
    sigemptyset(&stops);
    stop_signal = 0;
    if (sigaction(SIGINT, NULL, &ss->old_int) == 0 &&
        ss->old_int.sa_handler != SIG_IGN) {
        sigaction(SIGINT, &sa, NULL);
        sigaddset(&stops, SIGINT);
    }
    if (sigaction(SIGTERM, NULL, &ss->old_term) == 0 &&
        ss->old_term.sa_handler != SIG_IGN) {
        sigaction(SIGTERM, &sa, NULL);
        sigaddset(&stops, SIGTERM);
    }
    sigprocmask(SIG_BLOCK, &stops, &ss->old_mask);
    ss->wait_mask = ss->old_mask;
    sigdelset(&ss->wait_mask, SIGINT);
    sigdelset(&ss->wait_mask, SIGTERM);
    ss->set = true;
}

static void signals_restore(sig_state_t *ss)
{
    if (!ss->set)
        return;
    sigaction(SIGINT, &ss->old_int, NULL);
    sigaction(SIGTERM, &ss->old_term, NULL);
    sigprocmask(SIG_SETMASK, &ss->old_mask, NULL);
    ss->set = false;
}

/* Stopped by a signal: the lines decided so far are written (in order,
 * whole), the rest is dropped; the exit code is 128 + the signal, as a
 * shell reports a process it killed. */
static int batch_stopped(batch_t *b, int sig)
{
    flush_ready(b);
    int code = batch_finish(b);
    unsigned long long pending = b->next_seq - b->lines_written;
    spfc_cli_msg(b->err, "stopped by %s: %llu line%s written, %llu read "
                 "but not written (unfinished or waiting for an earlier "
                 "one); input read up to line %llu",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", b->lines_written,
                 b->lines_written == 1 ? "" : "s", pending, b->line_no);
    return code != 0 ? code : 128 + sig;
}

int spfc_cli_batch_run(const spfc_batch_config_t *cfg, spfc_view_t *view,
                       FILE *in, FILE *out, FILE *err)
{
    batch_t b;
    progress_t prog = {0};
    sig_state_t sigs;
    FILE *f = NULL;
    bool own_file = false;

    memset(&b, 0, sizeof b);
    memset(&sigs, 0, sizeof sigs);
    b.cfg = cfg;
    b.view = view;
    b.out = out;
    b.err = err;

    int code = open_input(cfg, in, err, &f, &own_file);
    if (code == 0)
        code = batch_setup(&b, f);
    if (code != 0)
        goto done;
    signals_catch(&sigs);
    b.r->wait_mask = &sigs.wait_mask;
    progress_start(&prog, err, f);

    /* Read / admit while there is room, write what is finished in order,
     * then wait for input or DNS. */
    for (;;) {
        bool starving = read_and_admit(&b);
        flush_ready(&b);
        show_progress(&prog, &b, false);
        if (b.failed != SPFC_OK || b.write_failed || stop_signal != 0)
            break;
        if (b.input_done && b.in_flight == 0 && b.write_seq == b.next_seq)
            break;
        wait_input_or_dns(&b, starving);
    }
    show_progress(&prog, &b, true);
    if (b.summary != NULL && b.failed == SPFC_OK && !b.write_failed &&
        spfc_output_lint_summary(b.out, b.summary, cfg->json) != SPFC_OK) {
        b.write_failed = true;
        b.write_errno = errno;
    }
    if (cfg->stats)
        show_stats(&b);
    code = stop_signal != 0 ? batch_stopped(&b, stop_signal)
                            : batch_finish(&b);

done:
    /* The resolver first: it cancels checks still in flight (on_done
     * frees each) and releases the answers they pinned in the view. */
    b.closing = true;
    spfc_resolver_free(b.resolver);
    signals_restore(&sigs);
    if (b.ring != NULL) {
        for (size_t i = 0; i < b.window; i++)
            slot_clear(&b.ring[i]);
        free(b.ring);
    }
    free(b.pl);
    free(b.r);
    if (b.mem != NULL)
        fclose(b.mem);
    free(b.mem_buf);
    spfc_lint_summary_free(b.summary);
    if (own_file)
        fclose(f);
    return code;
}
