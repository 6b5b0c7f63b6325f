/* cr-client-sockets.c: a member's UDP sockets towards one room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include "cr-client-sockets.h"

#define RECEIVE_BATCH   256
#define RECEIVE_BUFFER  65536

struct _CrClientSockets
{
  GMainContext        *context;
  CrClientSocketsFunc  func;
  gpointer             user_data;

  GSocket             *socket;
  GSource             *source;
  GSocket             *other_socket;   /* the other family, while unsettled */
  GSource             *other_source;
  GPtrArray           *candidates;     /* GSocketAddress*: NULL once settled */
  GSocketAddress      *room;
  guint8              *buffer;
};

gboolean
cr_client_address_equal (GSocketAddress *a,
                         GSocketAddress *b)
{
  if (!G_IS_INET_SOCKET_ADDRESS (a) || !G_IS_INET_SOCKET_ADDRESS (b))
    return FALSE;
  if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) !=
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b)))
    return FALSE;
  return g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (a)),
                               g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (b)));
}

static void
close_socket (GSocket **socket,
              GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
  if (*socket != NULL)
    g_socket_close (*socket, NULL);
  g_clear_object (socket);
}

static GSocket *
socket_for (CrClientSockets *self,
            GSocketAddress  *address)
{
  GSocketFamily family = g_socket_address_get_family (address);

  if (self->socket != NULL && g_socket_get_family (self->socket) == family)
    return self->socket;
  if (self->other_socket != NULL && g_socket_get_family (self->other_socket) == family)
    return self->other_socket;
  return NULL;
}

/* The first answer from any of the room's addresses settles where it is:
 * that address, that socket; the other socket closes. */
static gboolean
settle (CrClientSockets *self,
        GSocket         *socket,
        GSocketAddress  *from)
{
  GSocketAddress *found = NULL;

  for (guint i = 0; i < self->candidates->len && found == NULL; i++)
    if (cr_client_address_equal (from, self->candidates->pdata[i]))
      found = self->candidates->pdata[i];
  if (found == NULL)
    return FALSE;

  g_set_object (&self->room, found);
  if (socket != self->socket)
    {
      GSocket *swap_socket = self->socket;
      GSource *swap_source = self->source;

      self->socket = self->other_socket;
      self->source = self->other_source;
      self->other_socket = swap_socket;
      self->other_source = swap_source;
    }
  close_socket (&self->other_socket, &self->other_source);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  return TRUE;
}

static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  CrClientSockets *self = user_data;
  g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GSocketAddress) room = NULL;

  for (guint i = 0; i < RECEIVE_BATCH; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GError) error = NULL;
      gssize len;

      len = g_socket_receive_from (socket, &from, (char *) self->buffer,
                                   RECEIVE_BUFFER, NULL, &error);
      if (len < 0)
        {
          /* ICMP errors (nobody at the port) surface here: keep going,
           * the join timeout decides. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          g_debug ("Receive failed: %s", error->message);
          continue;
        }
      if (from == NULL)
        continue;
      if (self->candidates != NULL)
        {
          if (!settle (self, socket, from))
            continue;
          if (g_socket_is_closed (socket))
            break;
        }
      else if (socket != self->socket || !cr_client_address_equal (from, self->room))
        continue;
      g_ptr_array_add (datagrams, g_bytes_new (self->buffer, len));
    }

  /* Last: the callback may free us. */
  if (datagrams->len > 0)
    {
      room = g_object_ref (self->room);
      self->func (datagrams, room, self->user_data);
    }
  return G_SOURCE_CONTINUE;
}

static GSocket *
open_socket (CrClientSockets  *self,
             GSocketFamily     family,
             GSource         **source,
             GError          **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);

  any = g_inet_address_new_any (family);
  local = g_inet_socket_address_new (any, 0);
  if (!g_socket_bind (socket, local, FALSE, error))
    return NULL;

  *source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (*source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_set_static_name (*source, "[cr-client] socket");
  g_source_attach (*source, self->context);
  return g_steal_pointer (&socket);
}

CrClientSockets *
cr_client_sockets_new (GMainContext        *context,
                       CrClientSocketsFunc  func,
                       gpointer             user_data)
{
  CrClientSockets *self = g_new0 (CrClientSockets, 1);

  self->context = g_main_context_ref (context);
  self->func = func;
  self->user_data = user_data;
  self->buffer = g_malloc (RECEIVE_BUFFER);
  return self;
}

void
cr_client_sockets_free (CrClientSockets *self)
{
  if (self == NULL)
    return;
  close_socket (&self->socket, &self->source);
  close_socket (&self->other_socket, &self->other_source);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_object (&self->room);
  g_main_context_unref (self->context);
  g_free (self->buffer);
  g_free (self);
}

gboolean
cr_client_sockets_open (CrClientSockets  *self,
                        GPtrArray        *candidates,
                        GError          **error)
{
  g_autoptr(GError) first_error = NULL;

  g_return_val_if_fail (self->candidates == NULL && self->socket == NULL, FALSE);

  self->candidates = g_ptr_array_ref (candidates);
  for (guint i = 0; i < self->candidates->len; )
    {
      GSocketAddress *address = self->candidates->pdata[i];
      GSocketFamily family = g_socket_address_get_family (address);
      g_autoptr(GError) local_error = NULL;
      GSource *source = NULL;
      GSocket *socket;

      if (socket_for (self, address) != NULL)
        {
          i++;
          continue;
        }
      socket = open_socket (self, family, &source, &local_error);
      if (socket == NULL)
        {
          g_debug ("Cannot reach %s: %s", family == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4",
                   local_error->message);
          if (first_error == NULL)
            first_error = g_steal_pointer (&local_error);
          g_ptr_array_remove_index (self->candidates, i);
          continue;
        }
      if (self->socket == NULL)
        {
          self->socket = socket;
          self->source = source;
        }
      else
        {
          self->other_socket = socket;
          self->other_source = source;
        }
      i++;
    }

  if (self->candidates->len == 0)
    {
      g_clear_pointer (&self->candidates, g_ptr_array_unref);
      if (first_error != NULL)
        g_propagate_error (error, g_steal_pointer (&first_error));
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no address");
      return FALSE;
    }

  /* Until one answers, the first is where the room is taken to be. */
  g_set_object (&self->room, self->candidates->pdata[0]);
  if (self->candidates->len == 1)
    {
      close_socket (&self->other_socket, &self->other_source);
      g_clear_pointer (&self->candidates, g_ptr_array_unref);
    }
  return TRUE;
}

static void
send_to (GSocket        *socket,
         GSocketAddress *address,
         GBytes         *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (socket != NULL &&
      g_socket_send_to (socket, address, (const char *) data, len, NULL, &error) < 0)
    g_debug ("Could not send %" G_GSIZE_FORMAT " bytes: %s", len, error->message);
}

void
cr_client_sockets_send (CrClientSockets *self,
                        GBytes          *datagram)
{
  if (self->candidates != NULL)
    {
      for (guint i = 0; i < self->candidates->len; i++)
        send_to (socket_for (self, self->candidates->pdata[i]), self->candidates->pdata[i],
                 datagram);
    }
  else if (self->room != NULL)
    send_to (self->socket, self->room, datagram);
}
