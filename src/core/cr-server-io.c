/* cr-server-io.c: a room's UDP socket read and written in batches
 * (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One system call moves up to CR_SERVER_IO_BATCH datagrams each way:
 * g_socket_receive_messages and g_socket_send_messages are recvmmsg and
 * sendmmsg on Linux. A busy room costs a call per batch, not per datagram.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <sys/socket.h>

#include "cr-engine.h"
#include "cr-server-io.h"

#define BATCH       CR_SERVER_IO_BATCH
#define BUFFER_SIZE 2048        /* > CR_DATAGRAM_MAX: oversized is seen */

/* The default receive buffer (~208 KiB on Linux) holds ~2 000 short
 * datagrams: a burst from a class overflowed it before the room read it
 * (issue 9 measured 78 % lost there). SO_RCVBUFFORCE passes
 * net.core.rmem_max when the process has CAP_NET_ADMIN. */
static int
size_one (GSocket *socket,
          int      option,
          int      force_option,
          int      bytes)
{
  g_autoptr(GError) error = NULL;
  int got = 0;

  if (!g_socket_set_option (socket, SOL_SOCKET, force_option, bytes, NULL))
    g_socket_set_option (socket, SOL_SOCKET, option, bytes, NULL);
  if (!g_socket_get_option (socket, SOL_SOCKET, option, &got, &error))
    return 0;
  /* Linux reports twice what it grants: the other half is its bookkeeping. */
  return got / 2;
}

gboolean
_cr_server_io_size_buffers (GSocket *socket,
                            int      bytes,
                            int     *rcvbuf,
                            int     *sndbuf)
{
  *rcvbuf = size_one (socket, SO_RCVBUF, SO_RCVBUFFORCE, bytes);
  *sndbuf = size_one (socket, SO_SNDBUF, SO_SNDBUFFORCE, bytes);
  return *rcvbuf >= bytes && *sndbuf >= bytes;
}

guint8 *
_cr_server_io_buffers_new (void)
{
  return g_malloc (BATCH * BUFFER_SIZE);
}

guint
_cr_server_io_receive (GSocket        *socket,
                       guint8         *buffers,
                       guint           max,
                       CrServerIoFunc  func,
                       gpointer        user_data)
{
  GInputMessage messages[BATCH];
  GInputVector vectors[BATCH];
  GSocketAddress *addresses[BATCH] = { NULL, };
  g_autoptr(GError) error = NULL;
  int n;

  for (guint i = 0; i < BATCH; i++)
    {
      vectors[i] = (GInputVector) { buffers + i * BUFFER_SIZE, BUFFER_SIZE };
      messages[i] = (GInputMessage) { &addresses[i], &vectors[i], 1, 0, 0, NULL, NULL };
    }

  n = g_socket_receive_messages (socket, messages, CLAMP (max, 1, BATCH), 0, NULL, &error);
  if (n <= 0)
    {
      if (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_debug ("receive: %s", error->message);
      return 0;
    }

  for (int i = 0; i < n; i++)
    {
      if (addresses[i] != NULL)
        func (vectors[i].buffer, messages[i].bytes_received, addresses[i], user_data);
    }
  for (int i = 0; i < BATCH; i++)
    g_clear_object (&addresses[i]);

  return (guint) n;
}

gboolean
_cr_server_io_send (GSocket   *socket,
                    GPtrArray *out)
{
  guint i = 0;

  if (socket == NULL)
    {
      g_ptr_array_set_size (out, 0);
      return TRUE;
    }

  while (i < out->len)
    {
      GOutputMessage messages[BATCH];
      GOutputVector vectors[BATCH];
      guint n = MIN (BATCH, out->len - i);
      g_autoptr(GError) error = NULL;
      int sent;

      for (guint j = 0; j < n; j++)
        {
          CrDatagram *d = out->pdata[i + j];
          gsize len;

          vectors[j].buffer = g_bytes_get_data (d->data, &len);
          vectors[j].size = len;
          messages[j] = (GOutputMessage) { d->to, &vectors[j], 1, 0, NULL, 0 };
        }

      sent = g_socket_send_messages (socket, messages, n, 0, NULL, &error);
      if (sent < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          /* The rest waits for room in the send buffer. */
          g_ptr_array_remove_range (out, 0, i);
          return FALSE;
        }
      if (sent < 0)
        {
          /* An unreachable peer costs its datagram, not the room: the
           * reliable layer sends it again. Skip the one that failed. */
          g_debug ("send: %s", error->message);
          sent = 1;
        }
      i += MAX (sent, 1);
    }
  g_ptr_array_set_size (out, 0);
  return TRUE;
}
