/*  test_curve - key files, CURVE sockets on loopback, and the per-message
    key checks.

    Socket tests wait for events (a message, or a handshake outcome from a
    ZeroMQ monitor on the test's own socket), never for a time.

    SPDX-License-Identifier: MPL-2.0
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curve.h"
#include "testdir.h"

typedef struct {
    testdir_t *dir;
    char *keys;    // key files
    char *allowed; // the allowed directory
} s_fixture_t;

static int
s_setup (void **state)
{
    s_fixture_t *fixture = calloc (1, sizeof (s_fixture_t));
    fixture->dir = testdir_new ("test_curve");
    fixture->keys = testdir_join (fixture->dir, "keys");
    fixture->allowed = testdir_join (fixture->dir, "allowed");
    assert_int_equal (mkdir (fixture->allowed, 0755), 0);
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (fixture->keys);
    free (fixture->allowed);
    testdir_destroy (&fixture->dir);
    free (fixture);
    return 0;
}

//  Make key name in the keys directory; its path with suffix (caller frees).
static char *
s_keygen (s_fixture_t *fixture, const char *name)
{
    char error[CURVE_ERROR_MAX];
    int rc = curve_keygen (name, fixture->keys, error);
    if (rc != 0)
        fail_msg ("keygen %s: %s", name, error);
    return zsys_sprintf ("%s/%s", fixture->keys, name);
}

static char *
s_path (s_fixture_t *fixture, const char *name, const char *suffix)
{
    return zsys_sprintf ("%s/%s%s", fixture->keys, name, suffix);
}

static void
s_copy (const char *from, const char *to)
{
    char *command = zsys_sprintf ("cp '%s' '%s'", from, to);
    assert_int_equal (system (command), 0);
    zstr_free (&command);
}

//  Allow name: its public certificate into the allowed directory.
static void
s_allow (s_fixture_t *fixture, const char *name)
{
    char *from = s_path (fixture, name, CURVE_PUBLIC_SUFFIX);
    char *to =
        zsys_sprintf ("%s/%s" CURVE_PUBLIC_SUFFIX, fixture->allowed, name);
    s_copy (from, to);
    zstr_free (&from);
    zstr_free (&to);
}

static void
s_revoke (s_fixture_t *fixture, const char *name)
{
    char *path =
        zsys_sprintf ("%s/%s" CURVE_PUBLIC_SUFFIX, fixture->allowed, name);
    assert_int_equal (unlink (path), 0);
    zstr_free (&path);
}

static void
s_key (s_fixture_t *fixture, const char *name, char *key)
{
    char *path = s_path (fixture, name, CURVE_PUBLIC_SUFFIX);
    char error[CURVE_ERROR_MAX];
    assert_int_equal (curve_key_load (path, key, error), 0);
    zstr_free (&path);
}

//  -- Key files ---------------------------------------------------------------

static void
test_keygen_writes_a_public_and_a_private_secret_file (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (s_keygen (fixture, "worker-1"));
    char *public_path = s_path (fixture, "worker-1", CURVE_PUBLIC_SUFFIX);
    char *secret_path = s_path (fixture, "worker-1", CURVE_SECRET_SUFFIX);
    struct stat info;
    assert_int_equal (stat (secret_path, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    assert_int_equal (stat (public_path, &info), 0);

    char from_public[CURVE_KEY_TEXT_SIZE], from_secret[CURVE_KEY_TEXT_SIZE];
    char error[CURVE_ERROR_MAX];
    assert_int_equal (curve_key_load (public_path, from_public, error), 0);
    assert_int_equal (curve_key_load (secret_path, from_secret, error), 0);
    assert_string_equal (from_public, from_secret);
    assert_int_equal (strlen (from_public), CURVE_KEY_TEXT_SIZE - 1);

    //  The public file holds no secret.
    char *public_text = NULL;
    zfile_t *file = zfile_new (NULL, public_path);
    assert_non_null (file);
    assert_int_equal (zfile_input (file), 0);
    zchunk_t *chunk = zfile_read (file, 65536, 0);
    public_text = zchunk_strdup (chunk);
    assert_null (strstr (public_text, "secret-key"));
    zstr_free (&public_text);
    zchunk_destroy (&chunk);
    zfile_destroy (&file);
    zstr_free (&public_path);
    zstr_free (&secret_path);
}

static void
test_keygen_never_replaces_a_key (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (s_keygen (fixture, "sink"));
    char before[CURVE_KEY_TEXT_SIZE], after[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "sink", before);
    char error[CURVE_ERROR_MAX];
    assert_int_equal (curve_keygen ("sink", fixture->keys, error), -1);
    assert_non_null (strstr (error, "never replaced"));
    s_key (fixture, "sink", after);
    assert_string_equal (before, after);
}

static void
test_keygen_refuses_bad_names (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char error[CURVE_ERROR_MAX];
    const char *bad[] = {"", "../x", "a/b", "a b", ".hidden"};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        assert_int_equal (curve_keygen (bad[index], fixture->keys, error), -1);
    //  Nothing written, not even the keys directory.
    assert_int_equal (testdir_count_entries (testdir_path (fixture->dir)), 1);
}

static void
test_key_load_refuses_what_is_not_a_certificate (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    char key[CURVE_KEY_TEXT_SIZE];
    char error[CURVE_ERROR_MAX];
    char *missing = testdir_join (fixture->dir, "missing.cert");
    assert_int_equal (curve_key_load (missing, key, error), -1);
    assert_non_null (strstr (error, "No such file"));
    char *junk = testdir_join (fixture->dir, "junk.cert");
    FILE *file = fopen (junk, "w");
    fputs ("not a certificate\n", file);
    fclose (file);
    assert_int_equal (curve_key_load (junk, key, error), -1);
    zstr_free (&missing);
    zstr_free (&junk);
}

static void
test_new_refuses_a_public_certificate_and_a_missing_directory (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (s_keygen (fixture, "ventilator"));
    char *public_path = s_path (fixture, "ventilator", CURVE_PUBLIC_SUFFIX);
    char *secret_path = s_path (fixture, "ventilator", CURVE_SECRET_SUFFIX);
    assert_null (curve_new (public_path, NULL));
    char *nowhere = testdir_join (fixture->dir, "nowhere");
    assert_null (curve_new (secret_path, nowhere));
    curve_t *curve = curve_new (secret_path, NULL);
    assert_non_null (curve);
    char key[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "ventilator", key);
    assert_string_equal (curve_public_key (curve), key);
    curve_destroy (&curve);
    curve_destroy (&curve);
    zstr_free (&public_path);
    zstr_free (&secret_path);
    zstr_free (&nowhere);
}

static void
test_one_authenticator_per_process (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (s_keygen (fixture, "ventilator"));
    char *secret_path = s_path (fixture, "ventilator", CURVE_SECRET_SUFFIX);
    curve_t *first = curve_new (secret_path, fixture->allowed);
    assert_non_null (first);
    assert_null (curve_new (secret_path, fixture->allowed));
    curve_destroy (&first);
    //  Gone with the first.
    first = curve_new (secret_path, fixture->allowed);
    assert_non_null (first);
    curve_destroy (&first);
    zstr_free (&secret_path);
}

//  -- Sockets -----------------------------------------------------------------

typedef struct {
    curve_t *server_curve;
    curve_t *client_curve;
    zsock_t *server;   // PULL, bound
    zsock_t *client;   // PUSH, connected
    zactor_t *monitor; // the server's connections
} s_link_t;

//  A server process (key "server", allowed directory) and a client (key
//  client_name), linked over loopback with a PULL and a PUSH. The test's
//  monitor on the server takes the place of the curve module's there.
static void
s_link_open (s_fixture_t *fixture, s_link_t *link, const char *client_name,
             int64_t max_bytes)
{
    char *server_secret = s_path (fixture, "server", CURVE_SECRET_SUFFIX);
    char *client_secret = s_path (fixture, client_name, CURVE_SECRET_SUFFIX);
    link->server_curve = curve_new (server_secret, fixture->allowed);
    link->client_curve = curve_new (client_secret, NULL);
    assert_non_null (link->server_curve);
    assert_non_null (link->client_curve);
    link->server = zsock_new (ZMQ_PULL);
    link->client = zsock_new (ZMQ_PUSH);
    assert_int_equal (curve_bind (link->server_curve, link->server, "results",
                                  "tcp://127.0.0.1:*", max_bytes),
                      0);
    link->monitor = zactor_new (zmonitor, link->server);
    zstr_sendx (link->monitor, "LISTEN", "HANDSHAKE_SUCCEEDED",
                "HANDSHAKE_FAILED_AUTH", "HANDSHAKE_FAILED_PROTOCOL",
                "HANDSHAKE_FAILED_NO_DETAIL", "DISCONNECTED", NULL);
    zstr_sendx (link->monitor, "START", NULL);
    zsock_wait (link->monitor);
    const char *endpoint = zsock_endpoint (link->server);
    assert_int_equal (curve_connect (link->client_curve, link->client,
                                     "the server",
                                     curve_public_key (link->server_curve),
                                     endpoint, max_bytes),
                      0);
    zstr_free (&server_secret);
    zstr_free (&client_secret);
}

//  s_link_open with fresh keys "server" and client_name, the client's
//  certificate in the allowed directory when allowed.
static void
s_link_new_keys (s_fixture_t *fixture, s_link_t *link, const char *client_name,
                 bool allowed, int64_t max_bytes)
{
    free (s_keygen (fixture, "server"));
    free (s_keygen (fixture, client_name));
    if (allowed)
        s_allow (fixture, client_name);
    s_link_open (fixture, link, client_name, max_bytes);
}

//  The next message on sock, however long it takes. The curve module
//  makes receives return at once, so wait on a poller first.
static zmsg_t *
s_recv (zsock_t *sock)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    zmsg_t *msg = NULL;
    while (!msg && zpoller_wait (poller, -1) == sock)
        msg = zmsg_recv (sock);
    zpoller_destroy (&poller);
    assert_non_null (msg);
    return msg;
}

//  The next message on sock is the one string expected.
static void
s_assert_receives (zsock_t *sock, const char *expected)
{
    zmsg_t *msg = s_recv (sock);
    char *text = zmsg_popstr (msg);
    assert_string_equal (text, expected);
    zstr_free (&text);
    zmsg_destroy (&msg);
}

static void
s_link_close (s_link_t *link)
{
    zactor_destroy (&link->monitor);
    zsock_destroy (&link->client);
    zsock_destroy (&link->server);
    curve_destroy (&link->client_curve);
    curve_destroy (&link->server_curve);
}

//  The server's next connection event ("HANDSHAKE_SUCCEEDED", ...), or NULL
//  when none comes within wait_ms.
static char *
s_next_event (s_link_t *link, int wait_ms)
{
    zpoller_t *poller = zpoller_new (link->monitor, NULL);
    void *which = zpoller_wait (poller, wait_ms);
    zpoller_destroy (&poller);
    if (!which)
        return NULL;
    char *event = NULL, *value = NULL, *address = NULL;
    zstr_recvx (link->monitor, &event, &value, &address, NULL);
    zstr_free (&value);
    zstr_free (&address);
    return event;
}

//  Long enough for any handshake on a loaded machine; a bound, so a
//  handshake that never ends fails the test instead of hanging it.
#define S_EVENT_WAIT_MS 30000

static void
s_expect_event (s_link_t *link, const char *expected)
{
    char *event = s_next_event (link, S_EVENT_WAIT_MS);
    if (!event)
        fail_msg ("no connection event on the server within %d ms; "
                  "expected %s",
                  S_EVENT_WAIT_MS, expected);
    assert_string_equal (event, expected);
    zstr_free (&event);
}

static void
test_allowed_client_is_heard_with_its_key (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_link_t link;
    s_link_new_keys (fixture, &link, "worker", true, 1024);
    zstr_send (link.client, "hello");
    zmsg_t *msg = s_recv (link.server);
    char key[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "worker", key);
    assert_string_equal (zframe_meta (zmsg_first (msg), "User-Id"), key);
    zmsg_destroy (&msg);
    s_link_close (&link);
}

static void
test_unknown_client_is_refused_at_the_handshake (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_link_t link;
    s_link_new_keys (fixture, &link, "stranger", false, 1024);
    zstr_send (link.client, "let me in");
    s_expect_event (&link, "HANDSHAKE_FAILED_AUTH");
    assert_false (zsock_events (link.server) & ZMQ_POLLIN);
    s_link_close (&link);
}

static void
test_refused_client_is_let_in_once_its_key_is_added (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_link_t link;
    s_link_new_keys (fixture, &link, "late", false, 1024);
    s_expect_event (&link, "HANDSHAKE_FAILED_AUTH");
    //  The client learns of it from its own monitor, on the watcher's
    //  thread.
    for (int turn = 0; turn < 1000 && !curve_refused (link.client_curve);
         turn++)
        zclock_sleep (10);
    assert_true (curve_refused (link.client_curve));
    s_allow (fixture, "late");
    //  ZeroMQ does not try again by itself; curve_retry does.
    int64_t now = zclock_mono ();
    bool succeeded = false;
    for (int turn = 0; turn < 1000 && !succeeded; turn++) {
        now += CURVE_RETRY_MS;
        curve_retry (link.client_curve, now);
        char *event = s_next_event (&link, 10);
        succeeded = event && streq (event, "HANDSHAKE_SUCCEEDED");
        zstr_free (&event);
    }
    assert_true (succeeded);
    assert_false (curve_refused (link.client_curve));
    zstr_send (link.client, "now?");
    s_assert_receives (link.server, "now?");
    s_link_close (&link);
}

static void
test_frame_over_the_limit_is_never_delivered (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_link_t link;
    s_link_new_keys (fixture, &link, "worker", true, 1024);
    s_expect_event (&link, "HANDSHAKE_SUCCEEDED");
    //  The large frame costs the connection; the small one comes on the
    //  next, and is the first thing the server receives.
    zframe_t *large = zframe_new (NULL, 4096);
    memset (zframe_data (large), 'x', 4096);
    assert_int_equal (zframe_send (&large, link.client, 0), 0);
    s_expect_event (&link, "DISCONNECTED");
    s_expect_event (&link, "HANDSHAKE_SUCCEEDED");
    zstr_send (link.client, "small");
    s_assert_receives (link.server, "small");
    s_link_close (&link);
}

static void
test_receive_after_a_heartbeat_does_not_wait (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    s_link_t link;
    s_link_new_keys (fixture, &link, "worker", true, 1024);
    assert_int_equal (zsock_rcvtimeo (link.server), 0);
    assert_int_equal (zsock_rcvtimeo (link.client), 0);
    //  ZMTP pings every 100 ms make the server readable with no message.
    zsock_set_heartbeat_ivl (link.client, 100);
    zsock_disconnect (link.client, "%s", zsock_endpoint (link.server));
    zsock_connect (link.client, "%s", zsock_endpoint (link.server));
    zpoller_t *poller = zpoller_new (link.server, NULL);
    assert_ptr_equal (zpoller_wait (poller, -1), link.server);
    zpoller_destroy (&poller);
    //  Would block for ever without the receive timeout of 0.
    zmsg_t *msg = zmsg_recv (link.server);
    assert_null (msg);
    s_link_close (&link);
}

//  -- Per-message checks ------------------------------------------------------

//  Keys "ventilator", "sink" and "worker", and the ventilator's curve_t
//  (with the allowed directory when with_allowed).
static curve_t *
s_ventilator (s_fixture_t *fixture, bool with_allowed)
{
    free (s_keygen (fixture, "ventilator"));
    free (s_keygen (fixture, "sink"));
    free (s_keygen (fixture, "worker"));
    char *secret = s_path (fixture, "ventilator", CURVE_SECRET_SUFFIX);
    curve_t *curve = curve_new (secret, with_allowed ? fixture->allowed : NULL);
    assert_non_null (curve);
    zstr_free (&secret);
    return curve;
}

static void
test_allow_worker_follows_the_directory (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    curve_t *curve = s_ventilator (fixture, true);
    s_allow (fixture, "worker");
    s_allow (fixture, "sink");
    char worker[CURVE_KEY_TEXT_SIZE], sink[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "worker", worker);
    s_key (fixture, "sink", sink);
    zsock_t *to_sink = zsock_new (ZMQ_PUSH);
    assert_int_equal (curve_connect (curve, to_sink, "the sink", sink,
                                     "tcp://127.0.0.1:9", 1024),
                      0);

    int64_t now = 1000000;
    assert_true (curve_allow_worker (curve, worker, "READY", "w1", now));
    //  Server keys are never a worker's, even when in the directory.
    assert_false (curve_allow_worker (curve, sink, "READY", "-", now));
    assert_false (curve_allow_worker (curve, curve_public_key (curve), "READY",
                                      "-", now));
    assert_false (curve_allow_worker (curve, "", "READY", "-", now));
    assert_false (curve_allow_worker (curve, NULL, "READY", "-", now));

    //  Removed: still allowed until the recheck, refused after it.
    s_revoke (fixture, "worker");
    assert_true (curve_allow_worker (curve, worker, "HEARTBEAT", "w1",
                                     now + CURVE_RECHECK_MS - 1));
    assert_false (curve_allow_worker (curve, worker, "HEARTBEAT", "w1",
                                      now + CURVE_RECHECK_MS));
    //  And back.
    s_allow (fixture, "worker");
    assert_true (curve_allow_worker (curve, worker, "HEARTBEAT", "w1",
                                     now + 2 * CURVE_RECHECK_MS));

    zsock_destroy (&to_sink);
    curve_destroy (&curve);
}

static void
test_allow_key_takes_only_the_expected_key (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    curve_t *curve = s_ventilator (fixture, false);
    char worker[CURVE_KEY_TEXT_SIZE], sink[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "worker", worker);
    s_key (fixture, "sink", sink);
    assert_true (curve_allow_key (curve, sink, sink, "sink", "JOB_DONE", "-"));
    assert_false (
        curve_allow_key (curve, worker, sink, "sink", "JOB_DONE", "-"));
    assert_false (curve_allow_key (curve, NULL, sink, "sink", "JOB_DONE", "-"));
    curve_destroy (&curve);
}

static void
test_check_allowed_wants_the_peers_certificate (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    curve_t *curve = s_ventilator (fixture, true);
    char *sink_path = s_path (fixture, "sink", CURVE_PUBLIC_SUFFIX);
    char sink[CURVE_KEY_TEXT_SIZE];
    s_key (fixture, "sink", sink);
    assert_int_equal (curve_check_allowed (curve, sink, "sink", sink_path), -1);
    s_allow (fixture, "sink");
    assert_int_equal (curve_check_allowed (curve, sink, "sink", sink_path), 0);
    curve_destroy (&curve);
    zstr_free (&sink_path);
}

static void
test_client_refuses_a_server_key_that_is_not_one (void **state)
{
    s_fixture_t *fixture = (s_fixture_t *)*state;
    free (s_keygen (fixture, "worker"));
    char *secret = s_path (fixture, "worker", CURVE_SECRET_SUFFIX);
    curve_t *curve = curve_new (secret, NULL);
    zsock_t *sock = zsock_new (ZMQ_PUSH);
    assert_int_equal (curve_connect (curve, sock, "the sink", "short",
                                     "tcp://127.0.0.1:9", 1024),
                      -1);
    zsock_destroy (&sock);
    curve_destroy (&curve);
    zstr_free (&secret);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
#define S_TEST(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        S_TEST (test_keygen_writes_a_public_and_a_private_secret_file),
        S_TEST (test_keygen_never_replaces_a_key),
        S_TEST (test_keygen_refuses_bad_names),
        S_TEST (test_key_load_refuses_what_is_not_a_certificate),
        S_TEST (test_new_refuses_a_public_certificate_and_a_missing_directory),
        S_TEST (test_one_authenticator_per_process),
        S_TEST (test_allowed_client_is_heard_with_its_key),
        S_TEST (test_unknown_client_is_refused_at_the_handshake),
        S_TEST (test_refused_client_is_let_in_once_its_key_is_added),
        S_TEST (test_frame_over_the_limit_is_never_delivered),
        S_TEST (test_receive_after_a_heartbeat_does_not_wait),
        S_TEST (test_allow_worker_follows_the_directory),
        S_TEST (test_allow_key_takes_only_the_expected_key),
        S_TEST (test_check_allowed_wants_the_peers_certificate),
        S_TEST (test_client_refuses_a_server_key_that_is_not_one),
#undef S_TEST
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
