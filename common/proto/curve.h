/*  curve - CURVE security on every network socket pdfpipe opens.

    Owns a process's CURVE identity (its certificate, made by curve_keygen),
    which peers it lets in, and who sent each message:
    - a server socket (the ventilator's dispatch and events, the sink's
      results) gets the process's key pair and is guarded by this
      module's ZAP handler (an actor answering ZeroMQ's authentication
      requests, RFC 27), which lets a client in only when its public
      certificate is in the allowed directory; zcertstore reads the directory
   again whenever it changes, so adding a worker host needs no restart;
    - a client socket (the worker's two, the ventilator's to the sink, the
      sink's to the ventilator) gets the process's key pair and the
      server's public key, so it talks only to the holder of that server's
      secret key;
    - every socket gets a maximum message size (ZMQ_MAXMSGSIZE, which
      ZeroMQ applies to each frame): a frame over it is refused from its
      header, before any memory is taken, and the connection is dropped;
    - every socket's receives return at once (ZMQ_RCVTIMEO 0, NULL when
      there is nothing): with CURVE, libzmq 4.3 reports a socket readable
      when a ZMTP heartbeat arrives, with no message behind it, and a
      loop's handler must not then wait.

    A client whose handshake is refused is not tried again by ZeroMQ
    (libzmq 4.3 ends such a connection for good); curve_retry connects it
    again now and then, so a certificate copied in later takes effect
    without a restart.

    ZeroMQ has one authenticator per process, so the ZAP handler lets every
    key of
    the directory in on every server socket of the process; which key may
    send what is checked per message, from the User-Id ZeroMQ attaches to
    each message (the sender's public key; wire_user_id):
    curve_allow_worker for a worker's commands, and curve_allow_key for
    the one peer allowed a command (the sink's key on events, the
    ventilator's for CANCEL, QUERY and OUTPUT). The handler checks a key once,
    when a connection is made; curve_allow_worker reads the directory again
    at most every CURVE_RECHECK_MS, so removing a certificate also cuts off
    a connection that is already open.

    Refusals are logged without flooding the log: a connection refused at
    the handshake once per socket and kind of refusal, then as a count
    every CURVE_REFUSALS_SUMMARY_MS; a message refused for its key once per
    key. Handshake outcomes come from a ZeroMQ socket monitor on each
    socket, read on a thread of this module's own. libzmq 4.3's monitor
    names the local endpoint of a refused connection, not the peer's
    address, so those lines name the socket; a refused key is also logged
    by the ZAP handler, which has the address, once per address and key.

    The only module that touches zcert, zcertstore, ZAP and socket
    monitors. A curve_t belongs to the thread that made it; a process has
    at most one with an allowed directory (one authenticator). Sockets on
    inproc:// endpoints are inside a process and need none of this.

    SPDX-License-Identifier: MPL-2.0
*/
#ifndef PDFPIPE_CURVE_H
#define PDFPIPE_CURVE_H

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

//  A public key as text: 40 characters of Z85, and the NUL.
#define CURVE_KEY_TEXT_SIZE 41
//  How often, at most, curve_allow_worker reads the allowed directory
//  again: a removed certificate stops a connected worker within one
//  heartbeat or so.
#define CURVE_RECHECK_MS PROTO_HEARTBEAT_INTERVAL_MS
//  After the first line for a kind of refused connection, the further
//  ones are counted and their number logged at most this often.
#define CURVE_REFUSALS_SUMMARY_MS 60000
//  How often a client socket whose handshake was refused tries again.
#define CURVE_RETRY_MS 2000
//  Names of curve_keygen's files: NAME.cert (public) and NAME.secret.
#define CURVE_PUBLIC_SUFFIX ".cert"
#define CURVE_SECRET_SUFFIX ".secret"
#define CURVE_ERROR_MAX 1024 // size of an error text buffer

typedef struct _curve_t curve_t;

//  Make a new key pair and write it to dir (created when missing) as
//  NAME.cert, the public certificate to copy to the peers that must accept
//  it, and NAME.secret, readable by its owner only. name is 1 to
//  PROTO_JOB_ID_MAX characters of [A-Za-z0-9_-]. Never replaces a file:
//  returns -1 and fills error (CURVE_ERROR_MAX bytes) when either exists,
//  when name is bad, or when writing fails.
int
curve_keygen (const char *name, const char *dir, char *error);

//  The public key of the certificate file at path (a public certificate or
//  a secret one), as Z85 text into key (CURVE_KEY_TEXT_SIZE bytes).
//  Returns -1 and fills error when path holds no certificate.
int
curve_key_load (const char *path, char *key, char *error);

//  A process's CURVE identity from its secret certificate at cert_path.
//  With allowed_dir, also the directory of the public certificates of the
//  clients its server sockets accept, and its ZAP handler started on it.
//  Returns NULL (logged) when the certificate cannot be read, holds no secret
//  key or keys that do not belong together, when allowed_dir is not a
//  directory, or when this process already has an authenticator. Caller
//  owns the result; destroy it after the sockets it set up.
curve_t *
curve_new (const char *cert_path, const char *allowed_dir);

void
curve_destroy (curve_t **self_p);

//  The process's own public key (Z85). Borrowed.
const char *
curve_public_key (curve_t *self);

//  Make sock a CURVE server with this process's key pair and the allowed
//  directory's clients, refusing frames over max_message_bytes, watch its
//  handshakes, and bind it to endpoint; name ("dispatch") is for log
//  lines. Needs a curve_t with an allowed directory. Returns -1 (logged)
//  when ZeroMQ refuses an option or the endpoint.
int
curve_bind (curve_t *self, zsock_t *sock, const char *name,
            const char *endpoint, int64_t max_message_bytes);

//  Make sock a CURVE client of the server whose public key is server_key
//  (Z85), refusing frames over max_message_bytes, watch its handshakes,
//  and connect it to endpoint; name ("the sink") is for log lines. The
//  server's key is never taken for a worker's. sock is borrowed and must
//  outlive self; a process that calls curve_retry must keep it on this
//  thread (one that hands it to another calls curve_refused instead).
//  Returns -1
//  (logged) when server_key is not a key, or ZeroMQ refuses an option or
//  the endpoint.
int
curve_connect (curve_t *self, zsock_t *sock, const char *name,
               const char *server_key, const char *endpoint,
               int64_t max_message_bytes);

//  ZeroMQ gives up on a connection whose handshake the server refused
//  (a key not yet in its allowed directory, say): connect again each
//  client socket refused since the last call, at most every
//  CURVE_RETRY_MS (now is zclock_mono time). Call it from the loop's
//  timer, so a fixed allowed directory needs no restart here.
void
curve_retry (curve_t *self, int64_t now);

//  True when a server has refused the handshake of one of this process's
//  client sockets (curve_connect) and curve_retry has not connected it
//  again since: for a process that would rather stop than wait.
bool
curve_refused (curve_t *self);

//  Check, at start, that the key of a peer process that connects to this
//  one's server sockets (the sink's, for the ventilator) is in the allowed
//  directory; who ("sink") and key_path (where the key was read from) are
//  for the error. Returns 0, or -1 after logging which file to copy where.
int
curve_check_allowed (curve_t *self, const char *key, const char *who,
                     const char *key_path);

//  True when key (a message's User-Id) is a worker's now: in the allowed
//  directory, as read at most CURVE_RECHECK_MS before now (zclock_mono
//  time), and not a server's key this process knows (its own, and those
//  given to curve_connect). Otherwise false, and the first refusal of each
//  key is logged with command and peer (for the line); its later messages
//  are dropped without a line, until it is allowed again.
bool
curve_allow_worker (curve_t *self, const char *key, const char *command,
                    const char *peer, int64_t now);

//  True when key (a message's User-Id) is expected, the key of the one
//  peer (who: "sink") that may send command. Otherwise false, and the first
//  refusal of each key for who is logged, as in curve_allow_worker.
bool
curve_allow_key (curve_t *self, const char *key, const char *expected,
                 const char *who, const char *command, const char *peer);

#endif
