/*  test_hooktarget - the webhook allowlist: entries, URLs, addresses.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "hooktarget.h"

static hooktarget_t *
s_list (const char *allow, bool allow_http)
{
    char error[HOOKTARGET_ERROR_MAX] = "";
    hooktarget_t *targets = hooktarget_new (allow, allow_http, error);
    if (!targets)
        fail_msg ("'%s' refused: %s", allow, error);
    return targets;
}

static void
s_assert_url_refused (const hooktarget_t *targets, const char *url,
                      const char *message)
{
    char error[HOOKTARGET_ERROR_MAX] = "";
    assert_int_equal (hooktarget_check_url (targets, url, NULL, error), -1);
    if (!strstr (error, message))
        fail_msg ("%s: expected '%s' in '%s'", url, message, error);
}

static void
s_assert_url_allowed (const hooktarget_t *targets, const char *url)
{
    char error[HOOKTARGET_ERROR_MAX] = "";
    if (hooktarget_check_url (targets, url, NULL, error))
        fail_msg ("%s refused: %s", url, error);
}

//  Whether a delivery to url may connect to the address text.
static bool
s_reaches (const hooktarget_t *targets, const char *url, const char *text)
{
    hooktarget_url_t parts;
    char error[HOOKTARGET_ERROR_MAX] = "";
    assert_int_equal (hooktarget_parse_url (url, &parts, error), 0);
    struct sockaddr_storage address = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
    if (inet_pton (AF_INET, text, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else {
        assert_int_equal (inet_pton (AF_INET6, text, &v6->sin6_addr), 1);
        v6->sin6_family = AF_INET6;
    }
    return hooktarget_allows_address (targets, &parts,
                                      (struct sockaddr *)&address);
}

static void
test_empty_list_allows_nothing (void **state)
{
    (void)state;
    hooktarget_t *targets = s_list ("", true);
    assert_true (hooktarget_empty (targets));
    s_assert_url_refused (targets, "https://hooks.example.com/x",
                          "not in this server's webhook allowlist "
                          "(PDFPIPE_WEBHOOK_ALLOW, which is empty)");
    s_assert_url_refused (targets, "http://127.0.0.1:8080/",
                          "PDFPIPE_WEBHOOK_ALLOW");
    hooktarget_destroy (&targets);
    targets = s_list (NULL, false);
    assert_true (hooktarget_empty (targets));
    hooktarget_destroy (&targets);
    hooktarget_destroy (&targets);
}

static void
test_parses_entries (void **state)
{
    (void)state;
    hooktarget_t *targets =
        s_list (" Hooks.Example.com , 10.1.0.0/16,192.0.2.7, 2001:db8::/32,"
                "::1,,",
                false);
    assert_false (hooktarget_empty (targets));
    s_assert_url_allowed (targets, "https://hooks.example.com/a?b#c");
    s_assert_url_allowed (targets, "https://HOOKS.example.COM:8443");
    s_assert_url_allowed (targets, "https://10.1.255.3/");
    s_assert_url_allowed (targets, "https://192.0.2.7/");
    s_assert_url_allowed (targets, "https://[2001:db8::5]:9/");
    s_assert_url_allowed (targets, "https://[::1]/");
    s_assert_url_refused (targets, "https://10.2.0.1/", "host '10.2.0.1'");
    s_assert_url_refused (targets, "https://192.0.2.8/", "not in");
    s_assert_url_refused (targets, "https://other.example.com/", "not in");
    //  A suffix of a listed name is another name.
    s_assert_url_refused (targets, "https://evil-hooks.example.com/", "not in");
    s_assert_url_refused (targets, "https://hooks.example.com.evil.net/",
                          "not in");
    hooktarget_destroy (&targets);
}

static void
test_refuses_bad_entries (void **state)
{
    (void)state;
    const char *bad[] = {"10.0.0.0/33", "10.0.0.0/",     "10.0.0.0/x",
                         "::/129",      "host/8",        "bad_host",
                         "a..b",        "*.example.com", "10.0.0.0/-1"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        char error[HOOKTARGET_ERROR_MAX] = "";
        hooktarget_t *targets = hooktarget_new (bad[index], false, error);
        if (targets)
            fail_msg ("'%s' accepted", bad[index]);
        if (!strstr (error, "is not a host name, an address or a CIDR"))
            fail_msg ("'%s': %s", bad[index], error);
    }
}

static void
test_cidr_bounds (void **state)
{
    (void)state;
    hooktarget_t *targets = s_list ("172.16.0.0/12,0.0.0.0/0", false);
    hooktarget_destroy (&targets);
    targets = s_list ("172.16.0.0/12", false);
    s_assert_url_allowed (targets, "https://172.16.0.0/");
    s_assert_url_allowed (targets, "https://172.31.255.255/");
    s_assert_url_refused (targets, "https://172.32.0.0/", "not in");
    s_assert_url_refused (targets, "https://172.15.255.255/", "not in");
    //  An IPv4-mapped IPv6 address is the IPv4 address.
    s_assert_url_allowed (targets, "https://[::ffff:172.20.1.1]/");
    s_assert_url_refused (targets, "https://[::ffff:172.32.1.1]/", "not in");
    hooktarget_destroy (&targets);
}

static void
test_refuses_bad_urls (void **state)
{
    (void)state;
    hooktarget_t *targets = s_list ("hooks.example.com,127.0.0.1", false);
    s_assert_url_refused (targets, "http://hooks.example.com/",
                          "no plain http");
    s_assert_url_refused (targets, "ftp://hooks.example.com/", "https://");
    s_assert_url_refused (targets, "https://user@hooks.example.com/",
                          "user information");
    s_assert_url_refused (targets, "https://127.0.0.1@evil.net/",
                          "user information");
    s_assert_url_refused (targets, "https://hooks.example.com:0/", "port");
    s_assert_url_refused (targets, "https://hooks.example.com:65536/", "port");
    s_assert_url_refused (targets, "https://hooks.example.com:/", "port");
    s_assert_url_refused (targets, "https://hooks.example.com:8x/", "port");
    s_assert_url_refused (targets, "https:///x", "host");
    s_assert_url_refused (targets, "https://[127.0.0.1]/", "host");
    s_assert_url_refused (targets, "https://[::1/", "']'");
    s_assert_url_refused (targets, "https://hooks.example.com/a b", "spaces");
    s_assert_url_refused (targets, "https://hooks\\.example.com/", "host");
    char *long_url = malloc (HOOKTARGET_URL_MAX + 64);
    strcpy (long_url, "https://hooks.example.com/");
    memset (long_url + strlen (long_url), 'a', HOOKTARGET_URL_MAX);
    long_url[HOOKTARGET_URL_MAX + 1] = '\0';
    s_assert_url_refused (targets, long_url, "longer than 2048");
    free (long_url);
    hooktarget_destroy (&targets);
    //  Plain http when the operator allows it (tests on loopback).
    targets = s_list ("127.0.0.1", true);
    s_assert_url_allowed (targets, "http://127.0.0.1:8080/hook");
    hooktarget_url_t parts;
    char error[HOOKTARGET_ERROR_MAX];
    assert_int_equal (hooktarget_check_url (targets, "http://127.0.0.1:8080/h",
                                            &parts, error),
                      0);
    assert_false (parts.https);
    assert_string_equal (parts.host, "127.0.0.1");
    assert_int_equal (parts.port, 8080);
    assert_int_equal (
        hooktarget_parse_url ("https://Example.com", &parts, error), 0);
    assert_true (parts.https);
    assert_string_equal (parts.host, "example.com");
    assert_int_equal (parts.port, 443);
    hooktarget_destroy (&targets);
}

static void
test_resolved_addresses (void **state)
{
    (void)state;
    hooktarget_t *targets =
        s_list ("hooks.example.com,10.9.0.0/16,internal.example.com", false);
    const char *named = "https://hooks.example.com/";
    //  A listed name reaches public addresses ...
    assert_true (s_reaches (targets, named, "93.184.216.34"));
    assert_true (s_reaches (targets, named, "2606:2800:220:1::1"));
    //  ... never this host, private, link-local (metadata) or special
    //  ones: the DNS rebinding attack.
    const char *special[] = {"127.0.0.1",
                             "127.5.5.5",
                             "10.0.0.1",
                             "172.16.3.4",
                             "192.168.1.1",
                             "169.254.169.254",
                             "100.64.0.1",
                             "0.0.0.0",
                             "224.0.0.1",
                             "255.255.255.255",
                             "::1",
                             "::",
                             "fe80::1",
                             "fd00::1",
                             "ff02::1",
                             "::ffff:127.0.0.1",
                             "::ffff:169.254.169.254",
                             "64:ff9b::a9fe:a9fe",
                             "2002:7f00:1::1"};
    for (size_t index = 0; index < sizeof special / sizeof special[0]; index++)
        if (s_reaches (targets, named, special[index]))
            fail_msg ("a listed name reaches %s", special[index]);
    //  ... unless the operator listed that range too.
    assert_true (s_reaches (targets, named, "10.9.1.2"));
    assert_true (
        s_reaches (targets, "https://internal.example.com/", "10.9.200.1"));
    //  A literal address reaches only itself, inside a listed range.
    assert_true (s_reaches (targets, "https://10.9.0.5/", "10.9.0.5"));
    assert_false (s_reaches (targets, "https://10.9.0.5/", "93.184.216.34"));
    //  A name not listed reaches nothing but listed ranges.
    assert_false (
        s_reaches (targets, "https://other.example.com/", "93.184.216.34"));
    hooktarget_destroy (&targets);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty_list_allows_nothing),
        cmocka_unit_test (test_parses_entries),
        cmocka_unit_test (test_refuses_bad_entries),
        cmocka_unit_test (test_cidr_bounds),
        cmocka_unit_test (test_refuses_bad_urls),
        cmocka_unit_test (test_resolved_addresses),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
