/*
 * test_example_eventloop.c - docs/examples/eventloop.c, the event-loop
 * example of docs/library.md, run against spfc_dnsd serving
 * docs/examples/example.zone: one line per domain, in the order given,
 * with the verdict the zone implies, and exit status 0.
 */
#include "dnsd/spawn.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(eventloop_example)
{
    const char *args[] = {"--zone", SPFC_SOURCE_DIR "/docs/examples/example.zone",
                          "--delay-ms", "10", NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, args), 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d.port);
    char *argv[] = {SPFC_EXAMPLE_EVENTLOOP, server, "192.0.2.10",
                    "example.net", "strict.example.net", "broken.example.net",
                    "mail.example.net", "_spf.example.org", NULL};
    char *out = NULL;
    int status = spawn_capture(argv, &out);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(status == 0, "exit %d, output:\n%s", status, out);
    ck_assert_str_eq(out, "example.net pass\n"
                          "strict.example.net fail\n"
                          "broken.example.net permerror\n"
                          "mail.example.net fail\n"
                          "_spf.example.org pass\n");
    free(out);
    /* bad usage is told, not run */
    char *usage[] = {SPFC_EXAMPLE_EVENTLOOP, server, NULL};
    out = NULL;
    ck_assert_int_eq(spawn_capture(usage, &out), 2);
    free(out);
    ck_assert_int_eq(dnsd_stop(&d), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("example_eventloop");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, eventloop_example);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
