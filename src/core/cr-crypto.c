/* cr-crypto.c: the room's identity, the handshake and sealing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only libsodium's primitives, composed as cr-crypto.h describes. Every
 * input may come from the network: lengths are checked before use, and
 * nothing is parsed before it authenticated.
 */
#define G_LOG_DOMAIN "cr-crypto"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "cr-protocol.h"
#include "cr-crypto.h"

#define KX_CONTEXT      "chatroom-kx-1"
#define EPH_CONTEXT     "chatroom-eph-1"
#define FP_CONTEXT      "chatroom-fp-1"
#define KEY_FILE_MAGIC  "chatroom-identity-1\n"

struct _CrIdentity
{
  guint8 public_key[crypto_sign_PUBLICKEYBYTES];
  guint8 secret_key[crypto_sign_SECRETKEYBYTES];
};

G_DEFINE_QUARK (cr-crypto-error-quark, cr_crypto_error)

static inline void
write_be64 (guint8  *out,
            guint64  value)
{
  for (int i = 7; i >= 0; i--)
    {
      out[i] = value & 0xff;
      value >>= 8;
    }
}

static inline guint64
read_be64 (const guint8 *in)
{
  guint64 value = 0;

  for (int i = 0; i < 8; i++)
    value = (value << 8) | in[i];
  return value;
}

static inline guint32
read_be32 (const guint8 *in)
{
  return ((guint32) in[0] << 24) | ((guint32) in[1] << 16) |
         ((guint32) in[2] << 8) | (guint32) in[3];
}

static CrIdentity *
identity_alloc (void)
{
  CrIdentity *self;

  /* sodium_malloc needs the library set up (idempotent, thread-safe);
   * then: guarded pages, wiped on free, never swapped out. */
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialized");
  self = sodium_malloc (sizeof (CrIdentity));

  g_assert (self != NULL);
  return self;
}

CrIdentity *
cr_identity_new (void)
{
  CrIdentity *self = identity_alloc ();

  crypto_sign_keypair (self->public_key, self->secret_key);
  return self;
}

static gboolean
identity_write (const CrIdentity  *self,
                const char        *path,
                GError           **error)
{
  g_autofree char *tmp = g_strconcat (path, ".new", NULL);
  gsize magic_len = strlen (KEY_FILE_MAGIC);
  guint8 buf[sizeof KEY_FILE_MAGIC + crypto_sign_SECRETKEYBYTES];
  gsize len = magic_len + sizeof self->secret_key;
  gsize done = 0;
  int fd;

  /* Created 0600 from the start: the secret is never readable by others,
   * not even for a moment. */
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", tmp, g_strerror (saved));
      return FALSE;
    }
  memcpy (buf, KEY_FILE_MAGIC, magic_len);
  memcpy (buf + magic_len, self->secret_key, sizeof self->secret_key);
  while (done < len)
    {
      ssize_t n = write (fd, buf + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  sodium_memzero (buf, sizeof buf);
  if (done != len || fsync (fd) != 0)
    {
      int saved = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", tmp, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

CrIdentity *
cr_identity_load (const char  *path,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  gsize magic_len = strlen (KEY_FILE_MAGIC);
  gsize len = 0;
  GStatBuf st;
  CrIdentity *self;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_stat (path, &st) != 0)
    {
      if (errno != ENOENT)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "%s: %s", path, g_strerror (saved));
          return NULL;
        }
      self = cr_identity_new ();
      if (!identity_write (self, path, error))
        {
          cr_identity_free (self);
          return NULL;
        }
      return self;
    }

  /* A key others can read may have been copied: say so rather than use it
   * (ssh refuses such keys the same way). */
  if ((st.st_mode & 0077) != 0)
    {
      g_set_error (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_BAD_KEY_FILE,
                   /* Translators: %s is a file name, %03o its permissions
                    * (like 644) */
                   _("The room's key %s is readable by others (mode %03o): make it "
                     "private with chmod 600"),
                   path, (unsigned) (st.st_mode & 0777));
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len != magic_len + crypto_sign_SECRETKEYBYTES ||
      memcmp (contents, KEY_FILE_MAGIC, magic_len) != 0)
    {
      sodium_memzero (contents, len);
      g_set_error (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_BAD_KEY_FILE,
                   /* Translators: %s is a file name */
                   _("%s is not a room's key"), path);
      return NULL;
    }
  self = identity_alloc ();
  memcpy (self->secret_key, contents + magic_len, crypto_sign_SECRETKEYBYTES);
  sodium_memzero (contents, len);
  crypto_sign_ed25519_sk_to_pk (self->public_key, self->secret_key);
  return self;
}

CrIdentity *
cr_identity_copy (const CrIdentity *self)
{
  CrIdentity *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = identity_alloc ();
  memcpy (copy, self, sizeof *copy);
  return copy;
}

void
cr_identity_free (CrIdentity *self)
{
  if (self != NULL)
    sodium_free (self);
}

const guint8 *
cr_identity_get_public (const CrIdentity *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->public_key;
}

void
cr_identity_sign (const CrIdentity *self,
                  const guint8     *message,
                  gsize             message_len,
                  guint8           *signature)
{
  g_return_if_fail (self != NULL);

  crypto_sign_detached (signature, NULL, message, message_len, self->secret_key);
}

char *
cr_fingerprint (const guint8 *public_key)
{
  guint8 hash[CR_FINGERPRINT_GROUPS * 5];
  crypto_generichash_state state;
  GString *out = g_string_sized_new (CR_FINGERPRINT_LEN + 1);

  g_return_val_if_fail (public_key != NULL, NULL);

  /* Like Signal's safety numbers: digits read aloud the same in every
   * language; 5 hash bytes (40 bits) per 5-digit group, 132 bits in all. */
  crypto_generichash_init (&state, NULL, 0, sizeof hash);
  crypto_generichash_update (&state, (const guint8 *) FP_CONTEXT, strlen (FP_CONTEXT));
  crypto_generichash_update (&state, public_key, CR_PUBLIC_KEY_BYTES);
  crypto_generichash_final (&state, hash, sizeof hash);
  for (guint g = 0; g < CR_FINGERPRINT_GROUPS; g++)
    {
      guint64 v = 0;

      for (guint i = 0; i < 5; i++)
        v = (v << 8) | hash[g * 5 + i];
      g_string_append_printf (out, "%s%05u", g == 0 ? "" : " ", (guint) (v % 100000));
    }
  return g_string_free (out, FALSE);
}

void
cr_seal_clear (CrSeal *seal)
{
  sodium_memzero (seal, sizeof *seal);
}

gboolean
cr_seal_is_set (const CrSeal *seal)
{
  return seal != NULL && seal->tx_next != 0;
}

void
cr_handshake_init (CrHandshake *hs)
{
  if (sodium_init () < 0)
    g_error ("libsodium could not be initialized");
  crypto_kx_keypair (hs->public_key, hs->secret_key);
}

void
cr_handshake_clear (CrHandshake *hs)
{
  sodium_memzero (hs, sizeof *hs);
}

static void
transcript (guint8       *out,
            const guint8 *client_ephemeral,
            const guint8 *room_ephemeral)
{
  gsize ctx = strlen (KX_CONTEXT);

  memcpy (out, KX_CONTEXT, ctx);
  memcpy (out + ctx, client_ephemeral, crypto_kx_PUBLICKEYBYTES);
  memcpy (out + ctx + crypto_kx_PUBLICKEYBYTES, room_ephemeral, crypto_kx_PUBLICKEYBYTES);
}

#define TRANSCRIPT_LEN (sizeof KX_CONTEXT - 1 + 2 * crypto_kx_PUBLICKEYBYTES)

gboolean
cr_handshake_finish (const CrHandshake *hs,
                     const guint8      *room_ephemeral,
                     const guint8      *identity,
                     const guint8      *signature,
                     CrSeal            *seal)
{
  guint8 message[TRANSCRIPT_LEN];

  g_return_val_if_fail (hs != NULL && seal != NULL, FALSE);

  transcript (message, hs->public_key, room_ephemeral);
  if (crypto_sign_verify_detached (signature, message, sizeof message, identity) != 0)
    return FALSE;

  cr_seal_clear (seal);
  /* Fails for a low-order (all-zero shared secret) room key. */
  if (crypto_kx_client_session_keys (seal->rx, seal->tx, hs->public_key, hs->secret_key,
                                     room_ephemeral) != 0)
    {
      cr_seal_clear (seal);
      return FALSE;
    }
  seal->tx_next = 1;
  return TRUE;
}

static void
room_ephemeral_keys (const guint8 *secret,
                     const guint8 *address,
                     gsize         address_len,
                     const guint8 *client_ephemeral,
                     guint8       *public_key,
                     guint8       *secret_key)
{
  guint8 seed[crypto_kx_SEEDBYTES];
  crypto_generichash_state state;

  crypto_generichash_init (&state, secret, 32, sizeof seed);
  crypto_generichash_update (&state, (const guint8 *) EPH_CONTEXT, strlen (EPH_CONTEXT));
  crypto_generichash_update (&state, address, address_len);
  crypto_generichash_update (&state, client_ephemeral, crypto_kx_PUBLICKEYBYTES);
  crypto_generichash_final (&state, seed, sizeof seed);
  crypto_kx_seed_keypair (public_key, secret_key, seed);
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (&state, sizeof state);
}

void
cr_handshake_answer (const CrIdentity *identity,
                     const guint8     *secret,
                     const guint8     *address,
                     gsize             address_len,
                     const guint8     *client_ephemeral,
                     guint8           *room_ephemeral,
                     guint8           *signature)
{
  guint8 sk[crypto_kx_SECRETKEYBYTES];
  guint8 message[TRANSCRIPT_LEN];

  g_return_if_fail (identity != NULL);

  room_ephemeral_keys (secret, address, address_len, client_ephemeral, room_ephemeral, sk);
  sodium_memzero (sk, sizeof sk);
  transcript (message, client_ephemeral, room_ephemeral);
  crypto_sign_detached (signature, NULL, message, sizeof message, identity->secret_key);
}

gboolean
cr_handshake_room_keys (const guint8 *secret,
                        const guint8 *address,
                        gsize         address_len,
                        const guint8 *client_ephemeral,
                        CrSeal       *seal)
{
  guint8 pk[crypto_kx_PUBLICKEYBYTES];
  guint8 sk[crypto_kx_SECRETKEYBYTES];
  int rc;

  room_ephemeral_keys (secret, address, address_len, client_ephemeral, pk, sk);
  cr_seal_clear (seal);
  rc = crypto_kx_server_session_keys (seal->rx, seal->tx, pk, sk, client_ephemeral);
  sodium_memzero (sk, sizeof sk);
  if (rc != 0)
    {
      cr_seal_clear (seal);
      return FALSE;
    }
  seal->tx_next = 1;
  return TRUE;
}

static void
make_nonce (guint8  *nonce,
            guint64  number)
{
  memset (nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
  write_be64 (nonce + 4, number);
}

gboolean
cr_sealed_peek (const guint8  *data,
                gsize          len,
                guint32       *session,
                const guint8 **client_ephemeral,
                guint32       *cookie)
{
  guint32 id;

  if (data == NULL || len < CR_SEAL_HEADER_SIZE + CR_SEAL_TAG_SIZE ||
      !cr_protocol_is_native (data, len) ||
      data[2] != CR_PROTOCOL_VERSION || data[3] != CR_PACKET_SEALED)
    return FALSE;
  id = read_be32 (data + 4);
  if (id == 0 && len < CR_SEAL_JOIN_OVERHEAD)
    return FALSE;
  if (session != NULL)
    *session = id;
  if (client_ephemeral != NULL)
    *client_ephemeral = id == 0 ? data + CR_SEAL_HEADER_SIZE : NULL;
  if (cookie != NULL)
    *cookie = id == 0 ? read_be32 (data + CR_SEAL_HEADER_SIZE + CR_PUBLIC_KEY_BYTES) : 0;
  return TRUE;
}

GBytes *
cr_seal (CrSeal       *seal,
         guint32       session,
         const guint8 *client_ephemeral,
         const guint8 *inner,
         gsize         inner_len)
{
  guint8 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  gsize head = session == 0 ? CR_SEAL_JOIN_OVERHEAD - CR_SEAL_TAG_SIZE : CR_SEAL_HEADER_SIZE;
  unsigned long long clen = 0;
  guint64 number;
  guint8 *buf;

  g_return_val_if_fail (cr_seal_is_set (seal), NULL);
  g_return_val_if_fail ((session == 0) == (client_ephemeral != NULL), NULL);
  g_return_val_if_fail (inner != NULL && inner_len >= CR_HEADER_SIZE, NULL);
  /* A number used twice under one key would undo the cipher: never wrap. */
  g_return_val_if_fail (seal->tx_next < G_MAXUINT64, NULL);

  number = seal->tx_next++;
  buf = g_malloc (head + inner_len + CR_SEAL_TAG_SIZE);
  buf[0] = 0xCB;
  buf[1] = 0x52;
  buf[2] = CR_PROTOCOL_VERSION;
  buf[3] = CR_PACKET_SEALED;
  buf[4] = (session >> 24) & 0xff;
  buf[5] = (session >> 16) & 0xff;
  buf[6] = (session >> 8) & 0xff;
  buf[7] = session & 0xff;
  write_be64 (buf + 8, number);
  if (client_ephemeral != NULL)
    {
      memcpy (buf + CR_SEAL_HEADER_SIZE, client_ephemeral, CR_PUBLIC_KEY_BYTES);
      memcpy (buf + CR_SEAL_HEADER_SIZE + CR_PUBLIC_KEY_BYTES, inner + 16, 4);   /* the ack */
    }
  make_nonce (nonce, number);
  crypto_aead_chacha20poly1305_ietf_encrypt (buf + head, &clen, inner, inner_len,
                                             buf, head, NULL, nonce, seal->tx);
  g_assert (clen == inner_len + CR_SEAL_TAG_SIZE);
  return g_bytes_new_take (buf, head + clen);
}

/* RFC 6479's sliding window, one 64-bit word wide. */
static gboolean
replay_check (const CrSeal *seal,
              guint64       number)
{
  if (number == 0)
    return FALSE;
  if (number > seal->rx_top)
    return TRUE;
  if (seal->rx_top - number >= CR_REPLAY_WINDOW)
    return FALSE;
  return (seal->rx_seen & (G_GUINT64_CONSTANT (1) << (seal->rx_top - number))) == 0;
}

static void
replay_take (CrSeal  *seal,
             guint64  number)
{
  if (number > seal->rx_top)
    {
      guint64 shift = number - seal->rx_top;

      seal->rx_seen = shift >= CR_REPLAY_WINDOW ? 0 : seal->rx_seen << shift;
      seal->rx_seen |= 1;
      seal->rx_top = number;
    }
  else
    seal->rx_seen |= G_GUINT64_CONSTANT (1) << (seal->rx_top - number);
}

CrOpenResult
cr_seal_open (CrSeal        *seal,
              const guint8  *data,
              gsize          len,
              GBytes       **inner)
{
  guint8 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  unsigned long long mlen = 0;
  guint32 session;
  gsize head;
  guint64 number;
  guint8 *buf;

  g_return_val_if_fail (inner != NULL, CR_OPEN_MALFORMED);
  *inner = NULL;

  if (!cr_seal_is_set (seal) || len > CR_DATAGRAM_MAX ||
      !cr_sealed_peek (data, len, &session, NULL, NULL))
    return CR_OPEN_MALFORMED;
  head = session == 0 ? CR_SEAL_JOIN_OVERHEAD - CR_SEAL_TAG_SIZE : CR_SEAL_HEADER_SIZE;
  number = read_be64 (data + 8);
  /* An old number is refused before any work; a new one only counts once
   * it authenticated, so a forger cannot move the window. */
  if (number == 0 || (number <= seal->rx_top && !replay_check (seal, number)))
    {
      /* Authentic or not, it cannot be taken; tell which when we can. */
      g_autofree guint8 *scratch = g_malloc (len);

      make_nonce (nonce, number);
      if (crypto_aead_chacha20poly1305_ietf_decrypt (scratch, &mlen, NULL, data + head,
                                                     len - head, data, head, nonce,
                                                     seal->rx) != 0)
        return CR_OPEN_FAILED;
      sodium_memzero (scratch, mlen);
      return CR_OPEN_REPLAYED;
    }

  buf = g_malloc (len - head);
  make_nonce (nonce, number);
  if (crypto_aead_chacha20poly1305_ietf_decrypt (buf, &mlen, NULL, data + head, len - head,
                                                 data, head, nonce, seal->rx) != 0)
    {
      g_free (buf);
      return CR_OPEN_FAILED;
    }
  replay_take (seal, number);
  *inner = g_bytes_new_take (buf, mlen);
  return CR_OPEN_OK;
}
