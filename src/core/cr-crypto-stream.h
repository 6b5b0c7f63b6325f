/* cr-crypto-stream.h: an encrypted, authenticated byte stream for the
 * room's TCP file transfers (cr-files.h), keyed by the room's identity.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room with an identity (cr-crypto.h) speaks the file protocol only
 * inside this stream; a room without one (tests, fuzzers) speaks it in
 * clear. M is the member, R the room, I the room's Ed25519 identity key.
 *
 * HANDSHAKE
 *
 *   M→R  "CRS1" ‖ ce                          36 bytes
 *        ce: a fresh X25519 public key (crypto_kx_keypair), one per connection
 *   R→M  "CRS1" ‖ se ‖ I ‖ sig ‖ hR           156 bytes
 *        se: R's fresh X25519 public key for this connection,
 *        sig = Ed25519_sign(I, "chatroom-files-1" ‖ ce ‖ se)   (64 bytes),
 *        hR: the 24-byte header of R's secretstream (below)
 *   M checks that I is the key its chat session with the room already
 *   verified (the handshake and trust store of cr-crypto.h / cr-trust.h),
 *   then sig. Either wrong: M closes, having sent nothing but its 36 bytes
 *   (CR_CRYPTO_ERROR_IMPOSTOR).
 *   M→R  hM                                   24 bytes, M's secretstream header
 *
 *   (M rx, M tx) = crypto_kx_client_session_keys(ce, ce_secret, se)
 *   (R rx, R tx) = crypto_kx_server_session_keys(se, se_secret, ce)
 *   Each side pushes with its tx key (crypto_secretstream_xchacha20poly1305
 *   _init_push, which makes its header) and pulls with its rx key. The
 *   context string keeps a file-stream signature from ever passing for the
 *   datagram handshake's ("chatroom-kx-1") and back.
 *
 * RECORDS, each way, after the headers:
 *
 *   4 bytes  L, big-endian, 17 ≤ L ≤ 17 + CR_STREAM_RECORD_MAX
 *   L bytes  crypto_secretstream_xchacha20poly1305_push(state, plaintext,
 *            additional data = the 4 bytes of L, tag)
 *
 * Tag MESSAGE for data; the sender ends its direction with one record of
 * tag FINAL and no plaintext. A reader returns a record's plaintext only
 * once it opened: a record that does not open or a length out of bounds is
 * CR_CRYPTO_ERROR_TAMPERED (and every read after it fails too); the
 * connection ending before a FINAL is G_IO_ERROR_CONNECTION_CLOSED (a cut
 * stream never passes for a short one). The secretstream's own counter
 * orders the records: a dropped, replayed or reordered record does not
 * open. The plaintext is the CRF1 protocol of cr-files.h, unchanged: the
 * member's resume token in it proves a live session with the room, and it
 * now crosses the network only inside the stream, to the room's key.
 */
#pragma once

#include <gio/gio.h>

#include "cr-crypto.h"

G_BEGIN_DECLS

#define CR_STREAM_MAGIC        "CRS1"
#define CR_STREAM_HELLO_SIZE   (4 + 32)
#define CR_STREAM_REPLY_SIZE   (4 + 32 + 32 + 64 + 24)
/* The most plaintext in one record: a file chunk with its header. */
#define CR_STREAM_RECORD_MAX   (256 * 1024 + 1024)

/* The member's side: the handshake over base (blocking), checking the room
 * proves room_key (CR_PUBLIC_KEY_BYTES). Transfer full; base is kept and
 * closed with the result. */
GIOStream *cr_crypto_stream_connect (GIOStream        *base,
                                     const guint8     *room_key,
                                     GCancellable     *cancellable,
                                     GError          **error);

/* The room's side. The first 4 bytes not being CR_STREAM_MAGIC is
 * G_IO_ERROR_INVALID_DATA (the caller may answer in clear that it speaks
 * only encrypted). */
GIOStream *cr_crypto_stream_accept  (GIOStream        *base,
                                     const CrIdentity *identity,
                                     GCancellable     *cancellable,
                                     GError          **error);

G_END_DECLS
