/* cr-crypto.h: the native dialect's cryptography, all of it (libsodium).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room has a long-term identity: an Ed25519 key pair kept in its data
 * directory (cr_identity_load: created on first start, mode 0600). People
 * compare it by its fingerprint (cr_fingerprint): 8 groups of 5 digits,
 * easy to read aloud in any language.
 *
 * HANDSHAKE (inside the cookie exchange of cr-protocol.h):
 *
 *   c→s  probe text                 s→c  PING, ack = cookie(address)
 *   c→s  HELLO  ack = cookie, body (ay): the client's ephemeral X25519
 *        public key ce (32 bytes), fresh for every join and rejoin
 *   s→c  KEY    body (ayayay): the room's ephemeral X25519 public key se,
 *        its identity Ed25519 public key I, and
 *        sig = Ed25519_sign(I, "chatroom-kx-1" ‖ ce ‖ se)
 *
 * A HELLO without the right cookie gets the PING again (≤ 3× its size);
 * the KEY (154 bytes) is under 3× the HELLO (56 bytes) too. The room keeps
 * no state for a HELLO: its ephemeral secret is derived,
 *   seed = BLAKE2b-256(key = hs, "chatroom-eph-1" ‖ address key ‖ ce),
 *   (se, se_secret) = crypto_kx_seed_keypair(seed),
 * from a random 32-byte hs that the room replaces every
 * CR_HANDSHAKE_ROTATE_US (the one before is still accepted), so the same
 * derivation answers the sealed JOIN that follows, and a past session's
 * keys are gone within two rotations (forward secrecy). The address key is
 * the room's own encoding of the source (family, port, address, scope:
 * cr-engine-sessions.c); clients never see the derivation, and another
 * room may derive its ephemeral key any way it can repeat.
 *
 * The client checks I against its trust store (cr-trust.h) and the
 * signature BEFORE it sends anything secret, then both sides compute
 *   (client rx, client tx) = crypto_kx_client_session_keys(ce, ce_secret, se)
 *   (room rx, room tx)     = crypto_kx_server_session_keys(se, se_secret, ce)
 * (client tx = room rx: BLAKE2b-512(X25519(ce, se) ‖ ce ‖ se), halves).
 *
 * SEALING. After the handshake every native datagram D (24-byte header and
 * body, cr-protocol.h) travels sealed:
 *
 *   off size field
 *   0   2    magic 0xCB 0x52
 *   2   1    version = 1
 *   3   1    type = CR_PACKET_SEALED (13)
 *   4   4    session id, BE (0: a JOIN, which carries ce and the cookie next)
 *   8   8    seal number n, BE: 1, 2, 3… per direction, never reused
 *  [16  32   ce, only when the session id is 0]
 *  [48  4    the cookie (the JOIN's ack field), only when the session id is 0]
 *   …        ChaCha20-Poly1305-IETF(key = the sender's tx key,
 *            nonce = 4 zero bytes ‖ n as 8 bytes BE,
 *            additional data = every byte before this field) of D,
 *            then its 16-byte tag
 *
 * The JOIN inside still carries the cookie in its header's ack field, and
 * a copy travels in clear beside ce: the room checks it before any work
 * (a wrong one gets the PING with the cookie again, as a plaintext JOIN
 * did), so a forged source costs it a keyed hash, not a key exchange. ce
 * travels in clear because the room, keeping no state, derives its keys
 * again from ce and the sender's address (a JOIN from another address
 * does not open); the inner cookie must equal the outer one. The room's first datagram of the session (its WELCOME)
 * tells the client the session id, in both headers.
 *
 * The receiver opens with its rx key, then checks n against a 64-wide
 * replay window (a number seen, or 64 below the highest, is dropped), and
 * only then parses D, whose session id must be the outer one. Anything
 * that does not open is dropped and counted, never parsed. The reliable
 * layer under it is unchanged: a retransmission is a new datagram with a
 * new seal number.
 *
 * The room's file transfers (TCP) have their own handshake and stream,
 * signed by the same identity: cr-crypto-stream.h.
 */
#pragma once

#include <glib.h>
#include <sodium.h>

G_BEGIN_DECLS

#define CR_PUBLIC_KEY_BYTES     32
#define CR_SIGNATURE_BYTES      64
#define CR_SEAL_HEADER_SIZE     16
#define CR_SEAL_TAG_SIZE        16
/* What sealing adds to a datagram of a session (a JOIN adds 32 more). */
#define CR_SEAL_OVERHEAD        (CR_SEAL_HEADER_SIZE + CR_SEAL_TAG_SIZE)
#define CR_SEAL_JOIN_OVERHEAD   (CR_SEAL_OVERHEAD + CR_PUBLIC_KEY_BYTES + 4)
#define CR_REPLAY_WINDOW        64
#define CR_HANDSHAKE_ROTATE_US  (60 * G_TIME_SPAN_SECOND)
/* "12345 67890 …": 8 groups of 5 digits and 7 spaces. */
#define CR_FINGERPRINT_GROUPS   8
#define CR_FINGERPRINT_LEN      (CR_FINGERPRINT_GROUPS * 6 - 1)

#define CR_CRYPTO_ERROR (cr_crypto_error_quark ())
GQuark cr_crypto_error_quark (void);

typedef enum {
  CR_CRYPTO_ERROR_BAD_KEY_FILE,   /* not ours, wrong size or mode */
  CR_CRYPTO_ERROR_IMPOSTOR,       /* a stream's other end did not prove the room's key */
  CR_CRYPTO_ERROR_TAMPERED,       /* a stream's record did not authenticate, or it was cut */
} CrCryptoError;

/* The room's long-term identity (Ed25519). */
typedef struct _CrIdentity CrIdentity;

/* The key at path, or a new one written there (0600) when there is none. */
CrIdentity    *cr_identity_load          (const char   *path,
                                          GError      **error);
/* A key in memory only (tests, a room without a data directory). */
CrIdentity    *cr_identity_new           (void);
CrIdentity    *cr_identity_copy          (const CrIdentity *self);
void           cr_identity_free          (CrIdentity   *self);
const guint8  *cr_identity_get_public    (const CrIdentity *self);
/* signature (CR_SIGNATURE_BYTES): Ed25519 by the identity over message.
 * Each use signs its own context string first (cr-crypto-stream.h). */
void           cr_identity_sign          (const CrIdentity *self,
                                          const guint8 *message,
                                          gsize         message_len,
                                          guint8       *signature);

/* The fingerprint of a public key, CR_FINGERPRINT_LEN characters. */
char          *cr_fingerprint            (const guint8 *public_key);

/* One direction pair of a session: keys, the next number to send, and the
 * replay window of what was received. Plain data: copied by value, wiped
 * with cr_seal_clear. */
typedef struct {
  guint8   rx[crypto_kx_SESSIONKEYBYTES];
  guint8   tx[crypto_kx_SESSIONKEYBYTES];
  guint64  tx_next;       /* 0: no keys */
  guint64  rx_top;        /* highest number opened */
  guint64  rx_seen;       /* bit i: rx_top - i was opened */
} CrSeal;

void           cr_seal_clear             (CrSeal *seal);
gboolean       cr_seal_is_set            (const CrSeal *seal);

/* The client's side of a handshake: an ephemeral key pair. */
typedef struct {
  guint8 public_key[crypto_kx_PUBLICKEYBYTES];
  guint8 secret_key[crypto_kx_SECRETKEYBYTES];
} CrHandshake;

void           cr_handshake_init         (CrHandshake  *hs);
void           cr_handshake_clear        (CrHandshake  *hs);
/* The room's KEY checked: the signature by identity over both ephemeral
 * keys. TRUE: *seal has the session keys. */
gboolean       cr_handshake_finish       (const CrHandshake *hs,
                                          const guint8 *room_ephemeral,
                                          const guint8 *identity,
                                          const guint8 *signature,
                                          CrSeal       *seal);

/* The room's side, stateless: from its rotating secret, the client's
 * address key and ce: its ephemeral public key and the KEY's signature
 * (the caller sends its identity beside them)... */
void           cr_handshake_answer       (const CrIdentity *identity,
                                          const guint8 *secret,
                                          const guint8 *address,
                                          gsize         address_len,
                                          const guint8 *client_ephemeral,
                                          guint8       *room_ephemeral,
                                          guint8       *signature);
/* ...and the session keys for the sealed JOIN that follows. FALSE: ce is
 * not a usable key. */
gboolean       cr_handshake_room_keys    (const guint8 *secret,
                                          const guint8 *address,
                                          gsize         address_len,
                                          const guint8 *client_ephemeral,
                                          CrSeal       *seal);

typedef enum {
  CR_OPEN_OK = 0,
  CR_OPEN_MALFORMED,      /* not a sealed datagram, or too short */
  CR_OPEN_FAILED,         /* did not authenticate: tampered, another key */
  CR_OPEN_REPLAYED,       /* authentic, but its number was seen or is too old */
} CrOpenResult;

/* Is this datagram sealed? Its outer session id, and ce and the cookie
 * when that is 0 (each out parameter may be NULL). */
gboolean       cr_sealed_peek            (const guint8  *data,
                                          gsize          len,
                                          guint32       *session,
                                          const guint8 **client_ephemeral,
                                          guint32       *cookie);
/* Seal inner (a whole native datagram) with the next number.
 * client_ephemeral: non-NULL only for a JOIN (session 0), whose cookie
 * (inner's ack field) is copied beside it. */
GBytes        *cr_seal                   (CrSeal       *seal,
                                          guint32       session,
                                          const guint8 *client_ephemeral,
                                          const guint8 *inner,
                                          gsize         inner_len);
/* Open into *inner (transfer full) and take the number in the window. */
CrOpenResult   cr_seal_open              (CrSeal        *seal,
                                          const guint8  *data,
                                          gsize          len,
                                          GBytes       **inner);

G_END_DECLS
