/* bench-seal.c: what encryption costs, per datagram and per megabyte
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *  1. A typical EVENT (a chat line of 60 bytes from "alice", as the room
 *     fans it out: 24-byte header and its body, cr-protocol.h) sealed by
 *     the room and opened by a member with the session keys of a real
 *     handshake (cr-crypto.h): µs per seal and per open, N times each.
 *  2. The file transfers' stream (cr-crypto-stream.h): MB/s of its records
 *     of 256 KiB + 20 bytes (a chunk and its header), pushed and pulled,
 *     through two cr_crypto_stream_* ends over a socketpair with a thread
 *     on each side, so the figure includes what the kernel's copy costs on
 *     this machine (bench-files has the whole transfer).
 *
 *   bench-seal [N [MB]]     default 1000000 and 1000
 *
 * Prints figures; it is not a test.
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "cr-crypto-stream.h"
#include "cr-protocol.h"

#define RECORD (256 * 1024 + 20)

static GBytes *
typical_event (void)
{
  g_autoptr(CrEvent) event = cr_event_new (123456, g_get_real_time (), CR_EVENT_CHAT, "alice",
                                           "a typical line of chat, about sixty bytes, in English",
                                           987654321);
  g_autoptr(GBytes) body = cr_body_event (event);
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_EVENT, CR_FLAG_RELIABLE, 0x01020304,
                      4242, 17, 0 };

  return cr_datagram_build (&header, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* Both ends of a session, keyed as a real join keys them. */
static void
keys (CrSeal *room,
      CrSeal *member)
{
  CrIdentity *identity;
  CrHandshake hs;
  guint8 secret[32], se[32], sig[64];
  static const guint8 address[] = { 4, 127, 0, 0, 1, 0x30, 0x39 };

  identity = cr_identity_new ();
  randombytes_buf (secret, sizeof secret);
  cr_handshake_init (&hs);
  cr_handshake_answer (identity, secret, address, sizeof address, hs.public_key, se, sig);
  g_assert (cr_handshake_finish (&hs, se, cr_identity_get_public (identity), sig, member));
  g_assert (cr_handshake_room_keys (secret, address, sizeof address, hs.public_key, room));
  cr_handshake_clear (&hs);
  cr_identity_free (identity);
}

static void
bench_datagrams (guint n)
{
  g_autoptr(GBytes) event = typical_event ();
  g_autoptr(GPtrArray) sealed = g_ptr_array_new_full (n, (GDestroyNotify) g_bytes_unref);
  CrSeal room = { 0 }, member = { 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (event, &len);
  gint64 start, sealed_at, opened_at;
  guint opened = 0;

  keys (&room, &member);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (sealed, cr_seal (&room, 0x01020304, NULL, data, len));
  sealed_at = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      const guint8 *s;
      gsize s_len;
      g_autoptr(GBytes) inner = NULL;

      s = g_bytes_get_data (sealed->pdata[i], &s_len);
      opened += cr_seal_open (&member, s, s_len, &inner) == CR_OPEN_OK;
    }
  opened_at = g_get_monotonic_time ();
  g_assert_cmpuint (opened, ==, n);

  g_print ("EVENT of %" G_GSIZE_FORMAT " bytes (%" G_GSIZE_FORMAT " sealed): "
           "seal %.3f µs, open %.3f µs (%u each)\n",
           len, g_bytes_get_size (sealed->pdata[0]),
           (double) (sealed_at - start) / n, (double) (opened_at - sealed_at) / n, n);
  cr_seal_clear (&room);
  cr_seal_clear (&member);
}

typedef struct
{
  GIOStream *base;
  GIOStream *stream;
  guint64    bytes;
  const guint8 *room_key;
  CrIdentity *identity;
} End;

static gpointer
room_thread (gpointer data)
{
  End *end = data;
  g_autofree guint8 *buf = g_malloc (RECORD);
  g_autoptr(GError) error = NULL;

  end->stream = cr_crypto_stream_accept (end->base, end->identity, NULL, &error);
  g_assert_no_error (error);
  for (guint64 sent = 0; sent < end->bytes; sent += RECORD)
    {
      randombytes_buf (buf, 64);   /* not the same record every time */
      g_assert (g_output_stream_write_all (g_io_stream_get_output_stream (end->stream), buf,
                                           RECORD, NULL, NULL, NULL));
    }
  g_io_stream_close (end->stream, NULL, NULL);
  return NULL;
}

static GIOStream *
socket_stream (int fd)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, NULL);

  g_assert (socket != NULL);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

static void
bench_stream (guint mb)
{
  CrIdentity *identity = cr_identity_new ();
  g_autofree guint8 *buf = g_malloc (RECORD);
  g_autoptr(GIOStream) member_base = NULL;
  g_autoptr(GIOStream) member = NULL;
  g_autoptr(GError) error = NULL;
  End room = { 0 };
  GThread *thread;
  guint64 got = 0;
  gint64 start;
  int fds[2];
  double seconds;

  g_assert (socketpair (AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  room.base = socket_stream (fds[0]);
  room.identity = identity;
  room.bytes = (guint64) mb * 1000 * 1000;
  member_base = socket_stream (fds[1]);

  start = g_get_monotonic_time ();
  thread = g_thread_new ("room", room_thread, &room);
  member = cr_crypto_stream_connect (member_base, cr_identity_get_public (identity), NULL,
                                     &error);
  g_assert_no_error (error);
  for (;;)
    {
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (member), buf, RECORD, NULL,
                                      &error);

      g_assert_no_error (error);
      if (n == 0)
        break;
      got += n;
    }
  g_thread_join (thread);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("stream: %.0f MB in %.2f s: %.0f MB/s (records of %d bytes, both ends, one "
           "thread each, over a socketpair)\n", got / 1e6, seconds, got / 1e6 / seconds, RECORD);
  g_clear_object (&room.stream);
  g_clear_object (&room.base);
  cr_identity_free (identity);
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 1000000;
  guint mb = argc > 2 ? (guint) atoi (argv[2]) : 1000;

  setlocale (LC_ALL, "C.UTF-8");
  if (sodium_init () < 0 || n == 0 || mb == 0)
    {
      g_printerr ("usage: bench-seal [N [MB]]\n");
      return 1;
    }
  bench_datagrams (n);
  bench_stream (mb);
  return 0;
}
