/* cr-crypto-stream.c: the file transfers' encrypted stream (the format is
 * in cr-crypto-stream.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GIOStream over the TCP connection, so the file protocol's code reads
 * lines and chunks from it as it did from the socket. Blocking only: the
 * transfers run on worker threads (cr-files-service.c, cr-file-client.c).
 * Only libsodium's primitives; every length from the network is checked
 * before use, and no plaintext is handed on before its record opened.
 */
#define G_LOG_DOMAIN "cr-crypto"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "cr-crypto-stream.h"

#define FILES_CONTEXT   "chatroom-files-1"
#define CONTEXT_LEN     (sizeof FILES_CONTEXT - 1)
#define ABYTES          crypto_secretstream_xchacha20poly1305_ABYTES
#define HEADER_BYTES    crypto_secretstream_xchacha20poly1305_HEADERBYTES

typedef crypto_secretstream_xchacha20poly1305_state StreamState;

G_STATIC_ASSERT (CR_STREAM_REPLY_SIZE == 4 + crypto_kx_PUBLICKEYBYTES + CR_PUBLIC_KEY_BYTES +
                                         CR_SIGNATURE_BYTES + HEADER_BYTES);
G_STATIC_ASSERT (crypto_kx_SESSIONKEYBYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES);

static inline void
write_be32 (guint8  *out,
            guint32  value)
{
  out[0] = value >> 24;
  out[1] = value >> 16;
  out[2] = value >> 8;
  out[3] = value;
}

static inline guint32
read_be32 (const guint8 *in)
{
  return ((guint32) in[0] << 24) | ((guint32) in[1] << 16) |
         ((guint32) in[2] << 8) | (guint32) in[3];
}

static gboolean
set_tampered (GError **error)
{
  g_set_error_literal (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_TAMPERED,
                       _("The transfer was altered on the way"));
  return FALSE;
}

static gboolean
set_cut (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                       _("The connection ended early"));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Reading                                                            */

#define CR_TYPE_CRYPTO_INPUT (cr_crypto_input_get_type ())
G_DECLARE_FINAL_TYPE (CrCryptoInput, cr_crypto_input, CR, CRYPTO_INPUT, GInputStream)

struct _CrCryptoInput
{
  GInputStream  parent_instance;

  GInputStream *base;
  StreamState   state;
  guint8       *record;    /* a record as it came */
  guint8       *plain;     /* its plaintext */
  gsize         len;       /* bytes in plain */
  gsize         pos;       /* of it already read */
  gboolean      eof;       /* the FINAL record came */
  gboolean      broken;    /* a record did not open: nothing more is read */
};

G_DEFINE_FINAL_TYPE (CrCryptoInput, cr_crypto_input, G_TYPE_INPUT_STREAM)

/* The next record into self->record. */
static gboolean
input_next_record (CrCryptoInput  *self,
                   GCancellable   *cancellable,
                   GError        **error)
{
  guint8 length[4];
  unsigned long long plain_len = 0;
  unsigned char tag = 0;
  guint32 wire_len;
  gsize got = 0;

  if (!g_input_stream_read_all (self->base, length, sizeof length, &got, cancellable, error))
    return FALSE;
  if (got != sizeof length)
    return set_cut (error);
  wire_len = read_be32 (length);
  if (wire_len < ABYTES || wire_len > CR_STREAM_RECORD_MAX + ABYTES)
    {
      self->broken = TRUE;
      return set_tampered (error);
    }
  if (self->record == NULL)
    {
      self->record = g_malloc (CR_STREAM_RECORD_MAX + ABYTES);
      self->plain = g_malloc (CR_STREAM_RECORD_MAX);
    }
  if (!g_input_stream_read_all (self->base, self->record, wire_len, &got, cancellable, error))
    return FALSE;
  if (got != wire_len)
    return set_cut (error);
  if (crypto_secretstream_xchacha20poly1305_pull (&self->state, self->plain, &plain_len, &tag,
                                                  self->record, wire_len,
                                                  length, sizeof length) != 0 ||
      (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE &&
       tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL))
    {
      self->broken = TRUE;
      return set_tampered (error);
    }
  self->len = plain_len;
  self->pos = 0;
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
    self->eof = TRUE;
  return TRUE;
}

static gssize
cr_crypto_input_read (GInputStream  *stream,
                      void          *buffer,
                      gsize          count,
                      GCancellable  *cancellable,
                      GError       **error)
{
  CrCryptoInput *self = CR_CRYPTO_INPUT (stream);

  while (self->pos == self->len)
    {
      if (self->broken)
        {
          set_tampered (error);
          return -1;
        }
      if (self->eof)
        return 0;
      if (!input_next_record (self, cancellable, error))
        return -1;
    }
  count = MIN (count, self->len - self->pos);
  memcpy (buffer, self->plain + self->pos, count);
  self->pos += count;
  return count;
}

static void
cr_crypto_input_finalize (GObject *object)
{
  CrCryptoInput *self = CR_CRYPTO_INPUT (object);

  g_clear_object (&self->base);
  if (self->record != NULL)
    sodium_memzero (self->record, CR_STREAM_RECORD_MAX + ABYTES);
  g_free (self->record);
  if (self->plain != NULL)
    sodium_memzero (self->plain, CR_STREAM_RECORD_MAX);
  g_free (self->plain);
  sodium_memzero (&self->state, sizeof self->state);

  G_OBJECT_CLASS (cr_crypto_input_parent_class)->finalize (object);
}

static gboolean
cr_crypto_input_close (GInputStream  *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  /* The base closes with the GIOStream. */
  return TRUE;
}

static void
cr_crypto_input_class_init (CrCryptoInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cr_crypto_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = cr_crypto_input_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = cr_crypto_input_close;
}

static void
cr_crypto_input_init (CrCryptoInput *self)
{
}

/* ------------------------------------------------------------------ */
/* Writing                                                            */

#define CR_TYPE_CRYPTO_OUTPUT (cr_crypto_output_get_type ())
G_DECLARE_FINAL_TYPE (CrCryptoOutput, cr_crypto_output, CR, CRYPTO_OUTPUT, GOutputStream)

struct _CrCryptoOutput
{
  GOutputStream  parent_instance;

  GOutputStream *base;
  StreamState    state;
  guint8        *record;
  gboolean       finished;   /* the FINAL record went out (or could not) */
};

G_DEFINE_FINAL_TYPE (CrCryptoOutput, cr_crypto_output, G_TYPE_OUTPUT_STREAM)

static gboolean
output_push (CrCryptoOutput  *self,
             const guint8    *plain,
             gsize            len,
             unsigned char    tag,
             GCancellable    *cancellable,
             GError         **error)
{
  g_assert (len <= CR_STREAM_RECORD_MAX);

  if (self->record == NULL)
    self->record = g_malloc (4 + CR_STREAM_RECORD_MAX + ABYTES);
  write_be32 (self->record, len + ABYTES);
  crypto_secretstream_xchacha20poly1305_push (&self->state, self->record + 4, NULL, plain, len,
                                              self->record, 4, tag);
  return g_output_stream_write_all (self->base, self->record, 4 + len + ABYTES, NULL,
                                    cancellable, error);
}

static gssize
cr_crypto_output_write (GOutputStream  *stream,
                        const void     *buffer,
                        gsize           count,
                        GCancellable   *cancellable,
                        GError        **error)
{
  CrCryptoOutput *self = CR_CRYPTO_OUTPUT (stream);

  count = MIN (count, CR_STREAM_RECORD_MAX);
  if (!output_push (self, buffer, count, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
                    cancellable, error))
    return -1;
  return count;
}

static gboolean
cr_crypto_output_flush (GOutputStream  *stream,
                        GCancellable   *cancellable,
                        GError        **error)
{
  return g_output_stream_flush (CR_CRYPTO_OUTPUT (stream)->base, cancellable, error);
}

static gboolean
cr_crypto_output_close (GOutputStream  *stream,
                        GCancellable   *cancellable,
                        GError        **error)
{
  CrCryptoOutput *self = CR_CRYPTO_OUTPUT (stream);

  if (self->finished)
    return TRUE;
  self->finished = TRUE;
  /* The end, so the reader can tell it from a cut connection. */
  return output_push (self, NULL, 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL,
                      cancellable, error) &&
         g_output_stream_flush (self->base, cancellable, error);
}

static void
cr_crypto_output_finalize (GObject *object)
{
  CrCryptoOutput *self = CR_CRYPTO_OUTPUT (object);

  g_clear_object (&self->base);
  if (self->record != NULL)
    sodium_memzero (self->record, 4 + CR_STREAM_RECORD_MAX + ABYTES);
  g_free (self->record);
  sodium_memzero (&self->state, sizeof self->state);

  G_OBJECT_CLASS (cr_crypto_output_parent_class)->finalize (object);
}

static void
cr_crypto_output_class_init (CrCryptoOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cr_crypto_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = cr_crypto_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = cr_crypto_output_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = cr_crypto_output_close;
}

static void
cr_crypto_output_init (CrCryptoOutput *self)
{
}

/* ------------------------------------------------------------------ */
/* The pair                                                           */

#define CR_TYPE_CRYPTO_STREAM (cr_crypto_stream_get_type ())
G_DECLARE_FINAL_TYPE (CrCryptoStream, cr_crypto_stream, CR, CRYPTO_STREAM, GIOStream)

struct _CrCryptoStream
{
  GIOStream       parent_instance;

  GIOStream      *base;
  CrCryptoInput  *input;
  CrCryptoOutput *output;
};

G_DEFINE_FINAL_TYPE (CrCryptoStream, cr_crypto_stream, G_TYPE_IO_STREAM)

static GInputStream *
cr_crypto_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (CR_CRYPTO_STREAM (stream)->input);
}

static GOutputStream *
cr_crypto_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (CR_CRYPTO_STREAM (stream)->output);
}

static gboolean
cr_crypto_stream_close (GIOStream     *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  CrCryptoStream *self = CR_CRYPTO_STREAM (stream);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  /* Our FINAL first (it goes out on the base), then the base. */
  ok = g_output_stream_close (G_OUTPUT_STREAM (self->output), cancellable, &local_error);
  g_input_stream_close (G_INPUT_STREAM (self->input), NULL, NULL);
  if (!g_io_stream_close (self->base, cancellable, ok ? &local_error : NULL))
    ok = FALSE;
  if (!ok && local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else if (!ok)
    set_cut (error);
  return ok;
}

static void
cr_crypto_stream_finalize (GObject *object)
{
  CrCryptoStream *self = CR_CRYPTO_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (cr_crypto_stream_parent_class)->finalize (object);
}

static void
cr_crypto_stream_class_init (CrCryptoStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cr_crypto_stream_finalize;
  G_IO_STREAM_CLASS (klass)->get_input_stream = cr_crypto_stream_get_input_stream;
  G_IO_STREAM_CLASS (klass)->get_output_stream = cr_crypto_stream_get_output_stream;
  G_IO_STREAM_CLASS (klass)->close_fn = cr_crypto_stream_close;
}

static void
cr_crypto_stream_init (CrCryptoStream *self)
{
}

/* The stream over base, with the keys of both directions set up. */
static GIOStream *
stream_new (GIOStream         *base,
            const StreamState *pull,
            const StreamState *push)
{
  CrCryptoStream *self = g_object_new (CR_TYPE_CRYPTO_STREAM, NULL);

  self->base = g_object_ref (base);
  self->input = g_object_new (CR_TYPE_CRYPTO_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (base));
  self->input->state = *pull;
  self->output = g_object_new (CR_TYPE_CRYPTO_OUTPUT, NULL);
  self->output->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->output->state = *push;
  return G_IO_STREAM (self);
}

/* What the room signs: the context, then both ephemeral keys. */
static void
signed_message (const guint8 *client_ephemeral,
                const guint8 *room_ephemeral,
                guint8       *message)
{
  memcpy (message, FILES_CONTEXT, CONTEXT_LEN);
  memcpy (message + CONTEXT_LEN, client_ephemeral, crypto_kx_PUBLICKEYBYTES);
  memcpy (message + CONTEXT_LEN + crypto_kx_PUBLICKEYBYTES, room_ephemeral,
          crypto_kx_PUBLICKEYBYTES);
}

#define SIGNED_LEN (CONTEXT_LEN + 2 * crypto_kx_PUBLICKEYBYTES)

GIOStream *
cr_crypto_stream_connect (GIOStream     *base,
                          const guint8  *room_key,
                          GCancellable  *cancellable,
                          GError       **error)
{
  guint8 ce[crypto_kx_PUBLICKEYBYTES], ce_secret[crypto_kx_SECRETKEYBYTES];
  guint8 hello[CR_STREAM_HELLO_SIZE], reply[CR_STREAM_REPLY_SIZE];
  guint8 message[SIGNED_LEN];
  guint8 rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
  guint8 header[HEADER_BYTES];
  const guint8 *se = reply + 4;
  const guint8 *identity = se + crypto_kx_PUBLICKEYBYTES;
  const guint8 *signature = identity + CR_PUBLIC_KEY_BYTES;
  const guint8 *room_header = signature + CR_SIGNATURE_BYTES;
  StreamState pull, push;
  GIOStream *stream = NULL;
  gsize got = 0;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (room_key != NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialized");
  crypto_kx_keypair (ce, ce_secret);
  memcpy (hello, CR_STREAM_MAGIC, 4);
  memcpy (hello + 4, ce, sizeof ce);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (base), hello, sizeof hello,
                                  NULL, cancellable, error) ||
      !g_input_stream_read_all (g_io_stream_get_input_stream (base), reply, sizeof reply, &got,
                                cancellable, error))
    goto out;
  if (got != sizeof reply)
    {
      set_cut (error);
      goto out;
    }

  /* Nothing more leaves before the room proved the key our chat session
   * verified. */
  signed_message (ce, se, message);
  if (memcmp (reply, CR_STREAM_MAGIC, 4) != 0 ||
      sodium_memcmp (identity, room_key, CR_PUBLIC_KEY_BYTES) != 0 ||
      crypto_sign_verify_detached (signature, message, sizeof message, identity) != 0 ||
      crypto_kx_client_session_keys (rx, tx, ce, ce_secret, se) != 0 ||
      crypto_secretstream_xchacha20poly1305_init_pull (&pull, room_header, rx) != 0)
    {
      g_set_error_literal (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_IMPOSTOR,
                           _("The other end did not prove the room's key: someone may be "
                             "pretending to be the room"));
      goto out;
    }
  crypto_secretstream_xchacha20poly1305_init_push (&push, header, tx);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (base), header, sizeof header,
                                  NULL, cancellable, error))
    goto out;
  stream = stream_new (base, &pull, &push);

out:
  sodium_memzero (ce_secret, sizeof ce_secret);
  sodium_memzero (rx, sizeof rx);
  sodium_memzero (tx, sizeof tx);
  sodium_memzero (&pull, sizeof pull);
  sodium_memzero (&push, sizeof push);
  return stream;
}

GIOStream *
cr_crypto_stream_accept (GIOStream         *base,
                         const CrIdentity  *identity,
                         GCancellable      *cancellable,
                         GError           **error)
{
  guint8 hello[CR_STREAM_HELLO_SIZE], reply[CR_STREAM_REPLY_SIZE];
  guint8 se_secret[crypto_kx_SECRETKEYBYTES];
  guint8 message[SIGNED_LEN];
  guint8 rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
  guint8 header[HEADER_BYTES];
  const guint8 *ce = hello + 4;
  guint8 *se = reply + 4;
  guint8 *signature = reply + 4 + crypto_kx_PUBLICKEYBYTES + CR_PUBLIC_KEY_BYTES;
  guint8 *room_header = signature + CR_SIGNATURE_BYTES;
  StreamState pull, push;
  GIOStream *stream = NULL;
  gsize got = 0;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (identity != NULL, NULL);

  /* The magic first, so a request in clear is told at once. */
  if (!g_input_stream_read_all (g_io_stream_get_input_stream (base), hello, 4, &got,
                                cancellable, error))
    return NULL;
  if (got < 4 || memcmp (hello, CR_STREAM_MAGIC, 4) != 0)
    {
      /* For the room's log only. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not an encrypted stream");
      return NULL;
    }
  if (!g_input_stream_read_all (g_io_stream_get_input_stream (base), hello + 4,
                                sizeof hello - 4, &got, cancellable, error))
    return NULL;
  if (got != sizeof hello - 4)
    {
      set_cut (error);
      return NULL;
    }

  /* A fresh key per connection: nothing of it outlives the transfer. */
  crypto_kx_keypair (se, se_secret);
  memcpy (reply, CR_STREAM_MAGIC, 4);
  memcpy (reply + 4 + crypto_kx_PUBLICKEYBYTES, cr_identity_get_public (identity),
          CR_PUBLIC_KEY_BYTES);
  signed_message (ce, se, message);
  cr_identity_sign (identity, message, sizeof message, signature);
  if (crypto_kx_server_session_keys (rx, tx, se, se_secret, ce) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unusable key");
      goto out;
    }
  crypto_secretstream_xchacha20poly1305_init_push (&push, room_header, tx);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (base), reply, sizeof reply,
                                  NULL, cancellable, error) ||
      !g_input_stream_read_all (g_io_stream_get_input_stream (base), header, sizeof header, &got,
                                cancellable, error))
    goto out;
  if (got != sizeof header)
    {
      set_cut (error);
      goto out;
    }
  if (crypto_secretstream_xchacha20poly1305_init_pull (&pull, header, rx) != 0)
    {
      set_tampered (error);
      goto out;
    }
  stream = stream_new (base, &pull, &push);

out:
  sodium_memzero (se_secret, sizeof se_secret);
  sodium_memzero (rx, sizeof rx);
  sodium_memzero (tx, sizeof tx);
  sodium_memzero (&pull, sizeof pull);
  sodium_memzero (&push, sizeof push);
  return stream;
}
