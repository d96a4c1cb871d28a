/*  curve - CURVE security on every network socket pdfpipe opens.

    Three parts: the key files (curve_keygen, curve_key_load, and the
    process's certificate in curve_new); the sockets (curve_bind and
    curve_connect set the options, and register the socket's monitor with
    the watcher, an actor that logs refused handshakes); and the
    per-message checks (curve_allow_worker, curve_allow_key), which keep
    a short-lived verdict per key so the allowed directory is read at most
    once per CURVE_RECHECK_MS however many messages arrive.

    SPDX-License-Identifier: MPL-2.0
*/
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "ident.h"
#include "log.h"

#define S_KEY_BYTES 32
#define S_KEY_TEXT_LENGTH (CURVE_KEY_TEXT_SIZE - 1)
//  A certificate file is a few hundred bytes; anything this large is not
//  one.
#define S_CERT_BYTES_MAX 65536
//  Handshake events a socket's monitor reports to the watcher.
#define S_MONITOR_EVENTS                                                       \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |    \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

//  ZeroMQ's ZAP endpoint is per process: a second handler would fail to
//  bind it.
static bool s_auth_in_use = false;
#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
//  Binds of the ZAP endpoint tried 10 ms apart while it is still taken.
#define S_ZAP_BIND_TRIES 200
//  Peers ("<address> <key>") whose refusal the ZAP handler logged; past
//  this many it starts again, so a flood of keys cannot grow it.
#define S_ZAP_REPORTED_MAX 4096

//  Verdicts kept in curve_t.verdicts; any non-NULL pointers will do.
static char s_allowed_mark, s_refused_mark;
#define S_ALLOWED ((void *)&s_allowed_mark)
#define S_REFUSED ((void *)&s_refused_mark)

//  A client socket, to connect again when its handshake was refused.
typedef struct {
    zsock_t *sock; // borrowed
    char *endpoint;
    char *name;
    atomic_bool refused; // set by the watcher, cleared by curve_retry
} s_client_t;

struct _curve_t {
    zcert_t *cert;
    char public_key[CURVE_KEY_TEXT_SIZE];
    char *allowed_dir;     // NULL: this process accepts no client
    zactor_t *auth;        // the ZAP handler on allowed_dir, or NULL
    zcertstore_t *allowed; // allowed_dir again, for the per-message checks
    zhashx_t *server_keys; // keys never taken for a worker's (no values)
    zhashx_t *verdicts;    // key -> S_ALLOWED or S_REFUSED, this period
    int64_t verdicts_at;   // ms, zclock_mono; when verdicts was started
    zhashx_t *reported;    // "<who> <key>" whose refusal was logged
    zactor_t *watcher;     // logs the monitored sockets' handshakes
    unsigned monitors;     // monitors started, for their endpoints' names
    zlistx_t *clients;     // s_client_t
    int64_t retry_at;      // ms, zclock_mono; curve_retry's next turn
};

//  -- Key files ---------------------------------------------------------------

//  Create path, which must not exist, with mode, and close it: a file
//  zcert then writes into keeps the mode, and an existing key is never
//  replaced. Returns -1 with error filled.
static int
s_create_new (const char *path, mode_t mode, char *error)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd == -1) {
        snprintf (error, CURVE_ERROR_MAX, "cannot create %s: %s%s", path,
                  strerror (errno),
                  errno == EEXIST ? " (a key is never replaced; remove it "
                                    "first to make a new one)"
                                  : "");
        return -1;
    }
    close (fd);
    return 0;
}

int
curve_keygen (const char *name, const char *dir, char *error)
{
    assert (dir);
    assert (error);
    if (!ident_valid_str (name, PROTO_JOB_ID_MAX)) {
        snprintf (error, CURVE_ERROR_MAX,
                  "a key's name must be 1-%d characters of A-Z a-z 0-9 _ -",
                  PROTO_JOB_ID_MAX);
        return -1;
    }
    if (fsio_mkdir_p (dir) == -1) {
        snprintf (error, CURVE_ERROR_MAX, "cannot create %s: %s", dir,
                  strerror (errno));
        return -1;
    }
    char *public_path = zsys_sprintf ("%s/%s" CURVE_PUBLIC_SUFFIX, dir, name);
    char *secret_path = zsys_sprintf ("%s/%s" CURVE_SECRET_SUFFIX, dir, name);
    zcert_t *cert = zcert_new ();
    int rc = -1;
    if (!public_path || !secret_path || !cert) {
        snprintf (error, CURVE_ERROR_MAX, "out of memory");
        goto cleanup;
    }
    if (s_create_new (secret_path, 0600, error) == -1)
        goto cleanup;
    if (s_create_new (public_path, 0644, error) == -1) {
        unlink (secret_path);
        goto cleanup;
    }
    zcert_set_meta (cert, "name", "%s", name);
    if (zcert_save_secret (cert, secret_path) == -1 ||
        zcert_save_public (cert, public_path) == -1) {
        snprintf (error, CURVE_ERROR_MAX, "cannot write %s and %s: %s",
                  secret_path, public_path, strerror (errno));
        unlink (secret_path);
        unlink (public_path);
        goto cleanup;
    }
    rc = 0;

cleanup:
    zcert_destroy (&cert);
    zstr_free (&public_path);
    zstr_free (&secret_path);
    return rc;
}

//  Read a certificate file (ZPL, as zcert_save writes it: curve/public-key
//  and, in a secret file, curve/secret-key, Z85). zcert_load would do, but
//  it leaks when a file is not ZPL, and reads a "<path>_secret" beside the
//  file when there is one; this reads the one file named. A missing
//  secret key is left as zeros. NULL with error filled when path holds no
//  certificate.
static zcert_t *
s_cert_load (const char *path, char *error)
{
    struct stat info;
    const char *unreadable = NULL;
    if (stat (path, &info) == -1)
        unreadable = strerror (errno);
    else if (!S_ISREG (info.st_mode))
        unreadable = "not a file";
    else if (info.st_size > S_CERT_BYTES_MAX)
        unreadable = "too large for a certificate";
    if (unreadable) {
        snprintf (error, CURVE_ERROR_MAX,
                  "cannot read a certificate from %s: %s", path, unreadable);
        return NULL;
    }
    zchunk_t *chunk = zchunk_slurp (path, S_CERT_BYTES_MAX);
    zconfig_t *root = chunk ? zconfig_chunk_load (chunk) : NULL;
    const char *public_text =
        root ? zconfig_get (root, "/curve/public-key", NULL) : NULL;
    const char *secret_text =
        root ? zconfig_get (root, "/curve/secret-key", NULL) : NULL;
    byte public_key[S_KEY_BYTES] = {0}, secret_key[S_KEY_BYTES] = {0};
    zcert_t *cert = NULL;
    if (public_text && strlen (public_text) == S_KEY_TEXT_LENGTH &&
        zmq_z85_decode (public_key, public_text) &&
        (!secret_text || (strlen (secret_text) == S_KEY_TEXT_LENGTH &&
                          zmq_z85_decode (secret_key, secret_text))))
        cert = zcert_new_from (public_key, secret_key);
    else
        snprintf (error, CURVE_ERROR_MAX,
                  "%s is not a CURVE certificate (no valid curve/public-key)",
                  path);
    zconfig_destroy (&root);
    zchunk_destroy (&chunk);
    return cert;
}

int
curve_key_load (const char *path, char *key, char *error)
{
    assert (path);
    assert (key);
    assert (error);
    zcert_t *cert = s_cert_load (path, error);
    if (!cert)
        return -1;
    snprintf (key, CURVE_KEY_TEXT_SIZE, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

//  The secret key must be there and must be the public key's.
static int
s_check_key_pair (zcert_t *cert, const char *path)
{
    static const byte zero[S_KEY_BYTES] = {0};
    if (memcmp (zcert_secret_key (cert), zero, S_KEY_BYTES) == 0) {
        log_error ("curve: %s holds no secret key: give the process its "
                   "NAME" CURVE_SECRET_SUFFIX " file, not the public "
                   "certificate",
                   path);
        return -1;
    }
    char derived[CURVE_KEY_TEXT_SIZE];
    if (zmq_curve_public (derived, zcert_secret_txt (cert)) == -1 ||
        strcmp (derived, zcert_public_txt (cert)) != 0) {
        log_error ("curve: %s: its public key is not its secret key's", path);
        return -1;
    }
    struct stat info;
    if (stat (path, &info) == 0 && (info.st_mode & 077))
        log_warning ("curve: %s can be read by other users (mode %03o); "
                     "chmod 600 it",
                     path, (unsigned)(info.st_mode & 0777));
    return 0;
}

//  -- The ZAP handler: who may connect ----------------------------------------

//  ZeroMQ asks this actor (RFC 27, ZAP) about every CURVE handshake a
//  server socket of this process takes: it lets in the client keys whose
//  certificates are in the allowed directory (read again when it
//  changes), giving the key as the connection's user id, which the
//  per-message checks read. Unlike czmq's zauth it knows the peer's
//  address, so a refused key is logged with where it came from, once per
//  address and key.
static void
s_zap_answer (zsock_t *handler, const char *request_id, const char *status,
              const char *text, const char *user_id)
{
    zstr_sendx (handler, "1.0", request_id, status, text, user_id, "", NULL);
}

static void
s_zap_request (zsock_t *handler, zcertstore_t *allowed, zhashx_t *reported)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *request_id = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);
    char key_text[CURVE_KEY_TEXT_SIZE] = "";
    if (key && zframe_size (key) == S_KEY_BYTES)
        zmq_z85_encode (key_text, zframe_data (key), S_KEY_BYTES);
    bool curve = mechanism && streq (mechanism, "CURVE");
    if (!version || !streq (version, "1.0") || !request_id)
        ; // not a request ZeroMQ would send: no answer makes sense
    else if (curve && *key_text && zcertstore_lookup (allowed, key_text))
        s_zap_answer (handler, request_id, "200", "OK", key_text);
    else {
        char *tag = zsys_sprintf ("%s %s", address ? address : "?", key_text);
        if (tag && !zhashx_lookup (reported, tag)) {
            if (zhashx_size (reported) >= S_ZAP_REPORTED_MAX)
                zhashx_purge (reported);
            zhashx_insert (reported, tag, S_REFUSED);
            log_warning ("refused a %s client from %s with key %s: its "
                         "public certificate is not in the allowed directory; "
                         "further connections of that key from there are not "
                         "logged",
                         curve       ? "CURVE"
                         : mechanism ? mechanism
                                     : "?",
                         address && *address ? address : "an unknown address",
                         *key_text ? key_text : "(none)");
        }
        zstr_free (&tag);
        s_zap_answer (handler, request_id, "400", "key not allowed", "");
    }
    zstr_free (&version);
    zstr_free (&request_id);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&key);
    zmsg_destroy (&request);
}

//  The actor: args is the allowed directory.
static void
s_zap (zsock_t *pipe, void *args)
{
    zsock_t *handler = zsock_new (ZMQ_REP);
    zcertstore_t *allowed = zcertstore_new ((const char *)args);
    zhashx_t *reported = zhashx_new ();
    //  A handler closed just before (a curve_t destroyed and made again
    //  in the same process) may hold the endpoint for a moment: libzmq
    //  unregisters inproc endpoints when its reaper gets to the socket.
    int rc = handler ? zsock_bind (handler, S_ZAP_ENDPOINT) : -1;
    for (int tries = 0; handler && rc != 0 && zmq_errno () == EADDRINUSE &&
                        tries < S_ZAP_BIND_TRIES;
         tries++) {
        zclock_sleep (10);
        rc = zsock_bind (handler, S_ZAP_ENDPOINT);
    }
    if (!handler || rc != 0) {
        log_error ("curve: cannot bind the ZAP handler: %s",
                   zmq_strerror (zmq_errno ()));
        zsock_signal (pipe, 1);
        goto cleanup;
    }
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == handler)
            s_zap_request (handler, allowed, reported);
        else if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool end = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (end)
                break;
        } else if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
cleanup:
    zhashx_destroy (&reported);
    zcertstore_destroy (&allowed);
    zsock_destroy (&handler);
}

//  -- The watcher: handshakes of the monitored sockets ------------------------

//  Kinds of refused handshakes, each logged once per socket. A server
//  cannot tell a peer without CURVE from one that left (which of the two
//  closes first is a race), so it counts both, and other protocol errors,
//  as S_REFUSAL_HANDSHAKE.
typedef enum {
    S_REFUSAL_NO_CURVE,  // the peer speaks no CURVE (mechanism mismatch)
    S_REFUSAL_KEY,       // the ZAP handler refused the key
    S_REFUSAL_HANDSHAKE, // another protocol error: a wrong server key...
    S_REFUSAL_CUT,       // the connection ended during the handshake
    S_REFUSAL_KINDS
} s_refusal_t;

typedef struct {
    zsock_t *monitor;             // PAIR, connected to the socket's monitor
    char *name;                   // "dispatch", "the sink"
    bool server;                  // else a client, with:
    atomic_bool *refused;         // its s_client_t's flag
    bool logged[S_REFUSAL_KINDS]; // the kind's first line is out
    size_t unreported[S_REFUSAL_KINDS];
    bool failing; // a client's handshakes fail, as last logged
} s_watched_t;

typedef struct {
    zsock_t *pipe;
    zpoller_t *poller;
    zlistx_t *watched;  // s_watched_t
    char *public_key;   // ours, for hints
    int64_t summary_at; // ms, zclock_mono; when counts are next logged
    bool terminated;
} s_watcher_t;

static void
s_watched_destroy (void **item)
{
    s_watched_t *watched = (s_watched_t *)*item;
    zsock_destroy (&watched->monitor);
    free (watched->name);
    free (watched);
    *item = NULL;
}

static s_refusal_t
s_refusal_kind (uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return S_REFUSAL_KEY;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return S_REFUSAL_NO_CURVE;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return S_REFUSAL_HANDSHAKE;
    return S_REFUSAL_CUT;
}

//  The kind a refusal is counted under on a socket.
static s_refusal_t
s_refusal_counted (const s_watched_t *watched, s_refusal_t kind)
{
    if (watched->server && kind != S_REFUSAL_KEY)
        return S_REFUSAL_HANDSHAKE;
    return kind;
}

static const char *
s_refusal_name (s_refusal_t kind)
{
    switch (kind) {
    case S_REFUSAL_NO_CURVE:
        return "no CURVE";
    case S_REFUSAL_KEY:
        return "key not allowed";
    case S_REFUSAL_HANDSHAKE:
        return "no CURVE or handshake failed";
    default:
        return "cut off";
    }
}

static void
s_log_server_refusal (s_watched_t *watched, const char *endpoint,
                      s_refusal_t kind, uint32_t value)
{
    const char *why = NULL;
    switch (kind) {
    case S_REFUSAL_NO_CURVE:
        why = "the peer does not use CURVE (it has no key)";
        break;
    case S_REFUSAL_KEY:
        why = "its key is not in the allowed directory";
        break;
    case S_REFUSAL_CUT:
        why = "the peer left during the handshake (one without CURVE may)";
        break;
    default:
        why = "the CURVE handshake failed (a peer using a wrong server key, "
              "or not a pdfpipe peer)";
    }
    log_warning ("refused a connection on %s (%s): %s [code 0x%x]; further "
                 "refusals of this kind are counted, not logged one by one",
                 watched->name, endpoint, why, value);
}

static void
s_log_client_refusal (s_watcher_t *self, s_watched_t *watched,
                      const char *endpoint, s_refusal_t kind, uint32_t value)
{
    if (kind == S_REFUSAL_KEY)
        log_error ("%s (%s) refused our key %s: its allowed directory must "
                   "hold our public certificate",
                   watched->name, endpoint, self->public_key);
    else if (kind == S_REFUSAL_NO_CURVE)
        log_error ("%s (%s) does not use CURVE: it is not a pdfpipe process "
                   "of this version",
                   watched->name, endpoint);
    else if (kind == S_REFUSAL_HANDSHAKE)
        log_error ("the CURVE handshake with %s (%s) failed [code 0x%x]: is "
                   "the public key we were given for it its own?",
                   watched->name, endpoint, value);
    else
        log_warning ("the CURVE handshake with %s (%s) was cut off; ZeroMQ "
                     "tries again (the peer restarting, or a wrong key for "
                     "it: is the public key we were given for it its own?)",
                     watched->name, endpoint);
}

static void
s_on_event (s_watcher_t *self, s_watched_t *watched)
{
    zmsg_t *msg = zmsg_recv (watched->monitor);
    if (!msg)
        return;
    zframe_t *header = zmsg_first (msg);
    char *endpoint =
        zmsg_size (msg) >= 2 ? zframe_strdup (zmsg_next (msg)) : strdup ("-");
    if (!header || zframe_size (header) != 6 || !endpoint) {
        zstr_free (&endpoint);
        zmsg_destroy (&msg);
        return;
    }
    uint16_t event;
    uint32_t value;
    memcpy (&event, zframe_data (header), sizeof event);
    memcpy (&value, zframe_data (header) + sizeof event, sizeof value);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        if (!watched->server && watched->failing)
            log_info ("the CURVE handshake with %s (%s) succeeds now",
                      watched->name, endpoint);
        watched->failing = false;
    } else {
        s_refusal_t kind = s_refusal_kind (event, value);
        s_refusal_t counted = s_refusal_counted (watched, kind);
        if (watched->logged[counted])
            watched->unreported[counted]++;
        else {
            watched->logged[counted] = true;
            if (watched->server)
                s_log_server_refusal (watched, endpoint, kind, value);
            else
                s_log_client_refusal (self, watched, endpoint, kind, value);
        }
        watched->failing = true;
        //  libzmq ends a client's connection for good after a protocol
        //  error or a refusal, not after a cut (it reconnects by itself).
        if (watched->refused && kind != S_REFUSAL_CUT)
            atomic_store (watched->refused, true);
    }
    zstr_free (&endpoint);
    zmsg_destroy (&msg);
}

//  The refusals counted since the last summary, one line per socket.
static void
s_log_summary (s_watcher_t *self)
{
    for (s_watched_t *watched = (s_watched_t *)zlistx_first (self->watched);
         watched; watched = (s_watched_t *)zlistx_next (self->watched)) {
        size_t total = 0;
        char kinds[256] = "";
        for (int kind = 0; kind < S_REFUSAL_KINDS; kind++) {
            if (!watched->unreported[kind])
                continue;
            total += watched->unreported[kind];
            size_t used = strlen (kinds);
            snprintf (kinds + used, sizeof kinds - used, "%s%zu %s",
                      used ? ", " : "", watched->unreported[kind],
                      s_refusal_name ((s_refusal_t)kind));
            watched->unreported[kind] = 0;
        }
        if (total)
            log_warning ("%s: %zu more connections refused in the last %d s "
                         "(%s)",
                         watched->name, total, CURVE_REFUSALS_SUMMARY_MS / 1000,
                         kinds);
    }
}

//  WATCH endpoint name flag: connect a PAIR to a socket's monitor; flag is
//  a client's refused flag (a pointer), or NULL for a server socket.
static void
s_on_command (s_watcher_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    if (!command || streq (command, "$TERM")) {
        self->terminated = true;
        zstr_free (&command);
        zmsg_destroy (&msg);
        return;
    }
    assert (streq (command, "WATCH"));
    char *endpoint = zmsg_popstr (msg);
    char *name = zmsg_popstr (msg);
    zframe_t *flag = zmsg_pop (msg);
    assert (endpoint && name && flag &&
            zframe_size (flag) == sizeof (atomic_bool *));
    s_watched_t *watched = (s_watched_t *)zmalloc (sizeof (s_watched_t));
    watched->monitor = zsock_new (ZMQ_PAIR);
    watched->name = strdup (name);
    memcpy (&watched->refused, zframe_data (flag), sizeof watched->refused);
    watched->server = watched->refused == NULL;
    if (watched->monitor &&
        zsock_connect (watched->monitor, "%s", endpoint) == 0) {
        zpoller_add (self->poller, watched->monitor);
        zlistx_add_end (self->watched, watched);
    } else {
        log_warning ("curve: cannot watch %s's handshakes", name);
        void *item = watched;
        s_watched_destroy (&item);
    }
    zsock_signal (self->pipe, 0);
    zframe_destroy (&flag);
    zstr_free (&command);
    zstr_free (&endpoint);
    zstr_free (&name);
    zmsg_destroy (&msg);
}

static void
s_watcher (zsock_t *pipe, void *args)
{
    s_watcher_t self = {
        .pipe = pipe,
        .poller = zpoller_new (pipe, NULL),
        .watched = zlistx_new (),
        .public_key = strdup ((const char *)args),
        .summary_at = zclock_mono () + CURVE_REFUSALS_SUMMARY_MS,
    };
    zlistx_set_destructor (self.watched, s_watched_destroy);
    zsock_signal (pipe, 0);
    while (!self.terminated) {
        int64_t wait_ms = self.summary_at - zclock_mono ();
        void *which =
            zpoller_wait (self.poller, wait_ms > 0 ? (int)wait_ms : 0);
        if (which == pipe)
            s_on_command (&self);
        else if (which) {
            for (s_watched_t *watched =
                     (s_watched_t *)zlistx_first (self.watched);
                 watched; watched = (s_watched_t *)zlistx_next (self.watched))
                if (watched->monitor == which)
                    s_on_event (&self, watched);
        } else if (zpoller_terminated (self.poller))
            break;
        if (zclock_mono () >= self.summary_at) {
            s_log_summary (&self);
            self.summary_at = zclock_mono () + CURVE_REFUSALS_SUMMARY_MS;
        }
    }
    zpoller_destroy (&self.poller);
    zlistx_destroy (&self.watched);
    free (self.public_key);
}

static void
s_client_destroy (void **item)
{
    s_client_t *client = (s_client_t *)*item;
    free (client->endpoint);
    free (client->name);
    free (client);
    *item = NULL;
}

//  -- The process's identity --------------------------------------------------

curve_t *
curve_new (const char *cert_path, const char *allowed_dir)
{
    assert (cert_path);
    char error[CURVE_ERROR_MAX];
    zcert_t *cert = s_cert_load (cert_path, error);
    if (!cert) {
        log_error ("curve: %s (make one with: pdfpipe keygen NAME DIR; see "
                   "docs/operations.md)",
                   error);
        return NULL;
    }
    if (s_check_key_pair (cert, cert_path) == -1) {
        zcert_destroy (&cert);
        return NULL;
    }
    if (allowed_dir) {
        struct stat info;
        bool exists = stat (allowed_dir, &info) == 0;
        if (!exists || !S_ISDIR (info.st_mode)) {
            log_error ("curve: the allowed directory %s %s: create it and "
                       "copy the public certificates of the peers to accept "
                       "into it",
                       allowed_dir,
                       exists ? "is not a directory" : "cannot be read");
            zcert_destroy (&cert);
            return NULL;
        }
        if (s_auth_in_use) {
            log_error ("curve: this process has an authenticator already");
            zcert_destroy (&cert);
            return NULL;
        }
    }
    curve_t *self = (curve_t *)zmalloc (sizeof (curve_t));
    self->cert = cert;
    snprintf (self->public_key, sizeof self->public_key, "%s",
              zcert_public_txt (cert));
    self->server_keys = zhashx_new ();
    self->verdicts = zhashx_new ();
    self->reported = zhashx_new ();
    zhashx_insert (self->server_keys, self->public_key, S_ALLOWED);
    self->clients = zlistx_new ();
    zlistx_set_destructor (self->clients, s_client_destroy);
    self->watcher = zactor_new (s_watcher, self->public_key);
    if (allowed_dir) {
        self->allowed_dir = strdup (allowed_dir);
        self->allowed = zcertstore_new (allowed_dir);
        self->auth = zactor_new (s_zap, self->allowed_dir);
        s_auth_in_use = true;
    }
    return self;
}

void
curve_destroy (curve_t **self_p)
{
    assert (self_p);
    curve_t *self = *self_p;
    if (!self)
        return;
    if (self->auth) {
        zactor_destroy (&self->auth);
        s_auth_in_use = false;
    }
    //  The watcher holds pointers into the clients.
    zactor_destroy (&self->watcher);
    zlistx_destroy (&self->clients);
    zcertstore_destroy (&self->allowed);
    zhashx_destroy (&self->server_keys);
    zhashx_destroy (&self->verdicts);
    zhashx_destroy (&self->reported);
    zcert_destroy (&self->cert);
    free (self->allowed_dir);
    free (self);
    *self_p = NULL;
}

const char *
curve_public_key (curve_t *self)
{
    assert (self);
    return self->public_key;
}

//  -- Sockets -----------------------------------------------------------------

//  The size limit, and a monitor whose events go to the watcher; refused
//  is a client's flag, NULL for a server.
static int
s_guard (curve_t *self, zsock_t *sock, const char *name,
         int64_t max_message_bytes, atomic_bool *refused)
{
    void *handle = zsock_resolve (sock);
    //  With CURVE, libzmq 4.3 reports a socket readable when a ZMTP PING
    //  (a heartbeat) arrives, with no message to read: a receive after a
    //  poll must not wait.
    zsock_set_rcvtimeo (sock, 0);
    if (zmq_setsockopt (handle, ZMQ_MAXMSGSIZE, &max_message_bytes,
                        sizeof max_message_bytes) == -1) {
        log_error ("curve: %s: cannot limit messages to %" PRId64 " bytes: %s",
                   name, max_message_bytes, zmq_strerror (zmq_errno ()));
        return -1;
    }
    char *endpoint = zsys_sprintf ("inproc://pdfpipe-curve-monitor-%p-%u",
                                   (void *)self, self->monitors++);
    int rc =
        endpoint ? zmq_socket_monitor (handle, endpoint, S_MONITOR_EVENTS) : -1;
    if (rc == 0) {
        zmsg_t *watch = zmsg_new ();
        zmsg_addstr (watch, "WATCH");
        zmsg_addstr (watch, endpoint);
        zmsg_addstr (watch, name);
        zmsg_addmem (watch, &refused, sizeof refused);
        zmsg_send (&watch, self->watcher);
        zsock_wait (self->watcher);
    } else
        //  Only the refusal lines are lost; the socket is as secure.
        log_warning ("curve: %s: cannot monitor its handshakes: %s", name,
                     zmq_strerror (zmq_errno ()));
    zstr_free (&endpoint);
    return 0;
}

int
curve_bind (curve_t *self, zsock_t *sock, const char *name,
            const char *endpoint, int64_t max_message_bytes)
{
    assert (self);
    assert (sock);
    assert (name);
    assert (endpoint);
    //  Only a process with an allowed directory has an authenticator; a
    //  CURVE server without one would let any key in.
    assert (self->auth);
    zcert_apply (self->cert, sock);
    zsock_set_curve_server (sock, 1);
    if (s_guard (self, sock, name, max_message_bytes, NULL) == -1)
        return -1;
    if (zsock_bind (sock, "%s", endpoint) == -1) {
        log_error ("cannot bind %s endpoint %s: %s", name, endpoint,
                   zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

int
curve_connect (curve_t *self, zsock_t *sock, const char *name,
               const char *server_key, const char *endpoint,
               int64_t max_message_bytes)
{
    assert (self);
    assert (sock);
    assert (name);
    assert (server_key);
    assert (endpoint);
    byte decoded[S_KEY_BYTES];
    if (strlen (server_key) != S_KEY_TEXT_LENGTH ||
        !zmq_z85_decode (decoded, server_key)) {
        log_error ("curve: the key given for %s is not a CURVE public key",
                   name);
        return -1;
    }
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
    zhashx_insert (self->server_keys, server_key, S_ALLOWED);
    s_client_t *client = (s_client_t *)zmalloc (sizeof (s_client_t));
    client->sock = sock;
    client->endpoint = strdup (endpoint);
    client->name = strdup (name);
    atomic_init (&client->refused, false);
    zlistx_add_end (self->clients, client);
    if (s_guard (self, sock, name, max_message_bytes, &client->refused) == -1)
        return -1;
    if (zsock_connect (sock, "%s", endpoint) == -1) {
        log_error ("cannot connect to %s at %s: %s", name, endpoint,
                   zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

void
curve_retry (curve_t *self, int64_t now)
{
    assert (self);
    if (now < self->retry_at)
        return;
    self->retry_at = now + CURVE_RETRY_MS;
    for (s_client_t *client = (s_client_t *)zlistx_first (self->clients);
         client; client = (s_client_t *)zlistx_next (self->clients)) {
        if (!atomic_exchange (&client->refused, false))
            continue;
        log_debug ("curve: connecting to %s at %s again", client->name,
                   client->endpoint);
        //  The refused connection may be gone already; that is fine.
        zsock_disconnect (client->sock, "%s", client->endpoint);
        if (zsock_connect (client->sock, "%s", client->endpoint) == -1)
            log_error ("cannot connect to %s at %s: %s", client->name,
                       client->endpoint, zmq_strerror (zmq_errno ()));
    }
}

bool
curve_refused (curve_t *self)
{
    assert (self);
    for (s_client_t *client = (s_client_t *)zlistx_first (self->clients);
         client; client = (s_client_t *)zlistx_next (self->clients))
        if (atomic_load (&client->refused))
            return true;
    return false;
}

int
curve_check_allowed (curve_t *self, const char *key, const char *who,
                     const char *key_path)
{
    assert (self);
    assert (key);
    assert (self->allowed);
    if (zcertstore_lookup (self->allowed, key))
        return 0;
    log_error ("curve: the %s's public certificate (%s, key %s) is not in the "
               "allowed directory %s, so the %s cannot connect: copy it "
               "there",
               who, key_path, key, self->allowed_dir, who);
    return -1;
}

//  -- Messages ----------------------------------------------------------------

//  Log a refused message, once per key and who; later ones pass quietly.
static void
s_refuse (curve_t *self, const char *who, const char *key, const char *command,
          const char *peer, const char *why)
{
    char *tag = zsys_sprintf ("%s %s", who, key);
    if (tag && !zhashx_lookup (self->reported, tag)) {
        zhashx_insert (self->reported, tag, S_REFUSED);
        log_warning ("refused %s from key=%s peer=%s: %s; its further messages "
                     "are dropped without a line",
                     command, *key ? key : "(none)", peer ? peer : "-", why);
    }
    zstr_free (&tag);
}

static void
s_forget_refusal (curve_t *self, const char *who, const char *key)
{
    char *tag = zsys_sprintf ("%s %s", who, key);
    if (tag)
        zhashx_delete (self->reported, tag);
    zstr_free (&tag);
}

bool
curve_allow_worker (curve_t *self, const char *key, const char *command,
                    const char *peer, int64_t now)
{
    assert (self);
    assert (command);
    if (!key)
        key = "";
    if (now - self->verdicts_at >= CURVE_RECHECK_MS) {
        zhashx_purge (self->verdicts);
        self->verdicts_at = now;
    }
    void *verdict = zhashx_lookup (self->verdicts, key);
    if (!verdict) {
        bool allowed = *key && !zhashx_lookup (self->server_keys, key) &&
                       self->allowed && zcertstore_lookup (self->allowed, key);
        verdict = allowed ? S_ALLOWED : S_REFUSED;
        zhashx_insert (self->verdicts, key, verdict);
        if (allowed)
            s_forget_refusal (self, "worker", key);
    }
    if (verdict == S_ALLOWED)
        return true;
    char why[512];
    snprintf (why, sizeof why,
              "not a worker's key in %s (never added, or removed since)",
              self->allowed_dir ? self->allowed_dir : "(none)");
    s_refuse (self, "worker", key, command, peer, why);
    return false;
}

bool
curve_allow_key (curve_t *self, const char *key, const char *expected,
                 const char *who, const char *command, const char *peer)
{
    assert (self);
    assert (expected);
    assert (who);
    assert (command);
    if (!key)
        key = "";
    if (streq (key, expected))
        return true;
    char why[128];
    snprintf (why, sizeof why, "only the %s's key may send it", who);
    s_refuse (self, who, key, command, peer, why);
    return false;
}
