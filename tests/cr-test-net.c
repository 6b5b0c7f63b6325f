/* cr-test-net.c: what the network tests share
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-test-net"

#include "config.h"

#include <string.h>

#include "cr-test-net.h"

#define TAP_BUFFER_SIZE 65536

/* A classroom member --------------------------------------------------- */

CrTestClassic *
cr_test_classic_join (GSocketAddress *room,
                      const char     *name,
                      guint           timeout_ms)
{
  CrTestClassic *classic = g_new0 (CrTestClassic, 1);
  g_autofree char *join = g_strdup_printf ("N %s", name);
  g_autofree char *answer = NULL;

  classic->sock = cr_test_socket_new ("127.0.0.1");
  classic->room = g_object_ref (room);
  classic->lines = g_ptr_array_new_with_free_func (g_free);
  cr_test_socket_send_text (classic->sock, classic->room, join);
  answer = cr_test_socket_receive_text (classic->sock, timeout_ms);
  g_assert_cmpstr (answer, ==, "OK");
  return classic;
}

/* Whatever arrived, without waiting. */
static void
classic_pump (CrTestClassic *classic)
{
  char *line;

  while ((line = cr_test_socket_receive_text (classic->sock, 0)) != NULL)
    g_ptr_array_add (classic->lines, line);
}

gboolean
cr_test_classic_has_line (CrTestClassic *classic,
                          const char    *needle)
{
  classic_pump (classic);
  for (guint i = 0; i < classic->lines->len; i++)
    if (strstr (classic->lines->pdata[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

typedef struct
{
  CrTestClassic *classic;
  const char    *needle;
} LineWait;

static gboolean
line_came (gpointer user_data)
{
  LineWait *wait = user_data;

  return cr_test_classic_has_line (wait->classic, wait->needle);
}

void
cr_test_classic_wait_line (CrTestClassic *classic,
                           const char    *needle,
                           guint          timeout_ms)
{
  LineWait wait = { classic, needle };

  if (!cr_test_wait_until (line_came, &wait, timeout_ms))
    g_error ("no line with “%s” within %u ms", needle, timeout_ms);
}

gboolean
cr_test_classic_expect (CrTestClassic *classic,
                        const char    *want,
                        guint          timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      gint64 left;
      char *line;

      for (; classic->next < classic->lines->len; classic->next++)
        if (g_str_equal (classic->lines->pdata[classic->next], want))
          {
            classic->next++;
            return TRUE;
          }
      left = (end - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;
      if (left <= 0)
        return FALSE;
      line = cr_test_socket_receive_text (classic->sock, MIN (left, 200));
      if (line != NULL)
        g_ptr_array_add (classic->lines, line);
    }
}

void
cr_test_classic_free (CrTestClassic *classic)
{
  if (classic == NULL)
    return;
  cr_test_socket_free (classic->sock);
  g_object_unref (classic->room);
  g_ptr_array_unref (classic->lines);
  g_free (classic);
}

void
cr_test_classic_leave (CrTestClassic *classic)
{
  cr_test_socket_send_text (classic->sock, classic->room, "Q x");
  cr_test_classic_free (classic);
}

/* A tap ---------------------------------------------------------------- */

static gboolean
on_tap_listen (GSocket      *socket,
               GIOCondition  condition,
               gpointer      user_data)
{
  CrTestTap *tap = user_data;
  GSocketAddress *from = NULL;
  gssize n;

  while ((n = g_socket_receive_from (socket, &from, (char *) tap->buffer, TAP_BUFFER_SIZE,
                                     NULL, NULL)) >= 0)
    {
      g_clear_object (&tap->member);
      tap->member = g_steal_pointer (&from);
      g_ptr_array_add (tap->to_room, g_bytes_new (tap->buffer, n));
      g_socket_send_to (tap->upstream, tap->room, (const char *) tap->buffer, n, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tap_upstream (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  CrTestTap *tap = user_data;
  gssize n;

  while ((n = g_socket_receive_from (socket, NULL, (char *) tap->buffer, TAP_BUFFER_SIZE,
                                     NULL, NULL)) >= 0)
    {
      g_autoptr(GBytes) data = g_bytes_new (tap->buffer, n);

      if (tap->filter != NULL)
        {
          GBytes *passed = tap->filter (tap, data, tap->filter_data);

          g_bytes_unref (data);
          data = passed;
        }
      if (data == NULL)
        {
          tap->dropped++;
          continue;
        }
      g_ptr_array_add (tap->to_member, g_bytes_ref (data));
      if (tap->member != NULL)
        g_socket_send_to (tap->listen, tap->member, g_bytes_get_data (data, NULL),
                          g_bytes_get_size (data), NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static GSocket *
loopback_socket (void)
{
  g_autoptr(GSocketAddress) local = cr_test_socket_address ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  g_socket_bind (socket, local, FALSE, &error);
  g_assert_no_error (error);
  return socket;
}

static GSource *
watch (GSocket     *socket,
       GSourceFunc  callback,
       CrTestTap   *tap)
{
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  g_source_set_callback (source, callback, tap, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

CrTestTap *
cr_test_tap_new (GSocketAddress *room)
{
  CrTestTap *tap = g_new0 (CrTestTap, 1);

  tap->room = g_object_ref (room);
  tap->buffer = g_malloc (TAP_BUFFER_SIZE);
  tap->to_room = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  tap->to_member = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  tap->listen = loopback_socket ();
  tap->upstream = loopback_socket ();
  tap->listen_source = watch (tap->listen, G_SOURCE_FUNC (on_tap_listen), tap);
  tap->upstream_source = watch (tap->upstream, G_SOURCE_FUNC (on_tap_upstream), tap);
  return tap;
}

void
cr_test_tap_free (CrTestTap *tap)
{
  if (tap == NULL)
    return;
  g_source_destroy (tap->listen_source);
  g_source_unref (tap->listen_source);
  g_source_destroy (tap->upstream_source);
  g_source_unref (tap->upstream_source);
  g_socket_close (tap->listen, NULL);
  g_socket_close (tap->upstream, NULL);
  g_object_unref (tap->listen);
  g_object_unref (tap->upstream);
  g_object_unref (tap->room);
  g_clear_object (&tap->member);
  g_ptr_array_unref (tap->to_room);
  g_ptr_array_unref (tap->to_member);
  g_free (tap->buffer);
  g_free (tap);
}

guint16
cr_test_tap_get_port (CrTestTap *tap)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (tap->listen, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

char *
cr_test_tap_dup_address (CrTestTap *tap)
{
  return cr_test_address ("127.0.0.1", cr_test_tap_get_port (tap));
}

gboolean
cr_test_bytes_contain (const guint8 *data,
                       gsize         len,
                       const char   *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n <= len && i <= len - n; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

gboolean
cr_test_datagrams_contain (GPtrArray  *datagrams,
                           const char *needle)
{
  for (guint i = 0; i < datagrams->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

      if (cr_test_bytes_contain (data, len, needle))
        return TRUE;
    }
  return FALSE;
}
