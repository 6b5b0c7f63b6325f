/* cr-client-sockets.c: finding a room (resolution) and talking to it (sockets)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Resolution walks the GSocketAddressEnumerator of the room's address one
 * address at a time. Its callbacks hold a Resolve, not the sockets object:
 * that may be freed while a lookup is still out, and then the Resolve is
 * only let go of.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include "cr-client-engine.h"
#include "cr-client-sockets.h"

#define RECEIVE_BATCH   256
#define RECEIVE_BUFFER  65536

typedef struct
{
  CrClientSockets     *sockets;        /* NULL once abandoned */
  GCancellable        *cancellable;
  GPtrArray           *candidates;     /* GSocketAddress*: resolved so far */
} Resolve;

struct _CrClientSockets
{
  GMainContext        *context;
  CrClientSocketsFunc  func;
  CrClientSocketsReadyFunc ready;
  gpointer             user_data;
  Resolve             *resolve;        /* while resolving */

  GSocket             *socket;
  GSource             *source;
  GSocket             *other_socket;   /* the other family, while unsettled */
  GSource             *other_source;
  GPtrArray           *candidates;     /* GSocketAddress*: NULL once settled */
  GSocketAddress      *room;
  guint8              *buffer;
};

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

static void
resolve_clear (Resolve *resolve)
{
  g_object_unref (resolve->cancellable);
  g_ptr_array_unref (resolve->candidates);
}

static void
resolve_release (Resolve *resolve)
{
  g_rc_box_release_full (resolve, (GDestroyNotify) resolve_clear);
}

static void
abandon_resolve (CrClientSockets *self)
{
  Resolve *resolve = g_steal_pointer (&self->resolve);

  if (resolve == NULL)
    return;
  resolve->sockets = NULL;
  g_cancellable_cancel (resolve->cancellable);
  resolve_release (resolve);
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
  abandon_resolve (self);
  close_socket (&self->socket, &self->source);
  close_socket (&self->other_socket, &self->other_source);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_object (&self->room);
  g_main_context_unref (self->context);
  g_free (self->buffer);
  g_free (self);
}

/* Open a socket for each family among candidates (those of a family that
 * cannot be opened are dropped). FALSE with error when none is left. */
static gboolean
open_sockets (CrClientSockets  *self,
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

/* ------------------------------------------------------------------ */
/* Resolution                                                         */

static void
on_resolved (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Resolve *resolve = user_data;   /* the reference of this call */
  GSocketAddressEnumerator *enumerator = G_SOCKET_ADDRESS_ENUMERATOR (object);
  CrClientSockets *self = resolve->sockets;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) open_error = NULL;

  address = g_socket_address_enumerator_next_finish (enumerator, result, &error);
  if (self == NULL)
    {
      resolve_release (resolve);
      return;
    }

  if (address != NULL && G_IS_INET_SOCKET_ADDRESS (address) &&
      resolve->candidates->len < CR_CLIENT_SOCKETS_MAX_CANDIDATES)
    {
      g_ptr_array_add (resolve->candidates, g_steal_pointer (&address));
      g_socket_address_enumerator_next_async (enumerator, resolve->cancellable,
                                              on_resolved, resolve);
      return;
    }

  /* All the addresses there are (or as many as we try). */
  candidates = g_ptr_array_ref (resolve->candidates);
  abandon_resolve (self);
  resolve_release (resolve);
  if (candidates->len == 0)
    open_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                      error != NULL ? error->message : "no address");
  else
    open_sockets (self, candidates, &open_error);

  /* Last: the callback may free us. */
  self->ready (open_error, self->user_data);
}

void
cr_client_sockets_connect (CrClientSockets          *self,
                           GSocketConnectable       *connectable,
                           CrClientSocketsReadyFunc  ready)
{
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;

  g_return_if_fail (self->ready == NULL);

  self->ready = ready;
  self->resolve = g_rc_box_new0 (Resolve);
  self->resolve->sockets = self;
  self->resolve->cancellable = g_cancellable_new ();
  self->resolve->candidates = g_ptr_array_new_with_free_func (g_object_unref);

  enumerator = g_socket_connectable_enumerate (connectable);
  g_socket_address_enumerator_next_async (enumerator, self->resolve->cancellable,
                                          on_resolved, g_rc_box_acquire (self->resolve));
}

void
cr_client_sockets_cancel (CrClientSockets *self)
{
  abandon_resolve (self);
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */

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
