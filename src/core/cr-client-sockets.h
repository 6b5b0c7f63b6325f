/* cr-client-sockets.h: a member's UDP sockets towards one room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While the room's address is unsettled, one socket per address family the
 * name resolved to ("localhost" is ::1 and 127.0.0.1, and the room may
 * listen on either): what is sent goes to every address, and the first
 * address to answer is the room; the other socket closes. Datagrams from
 * anywhere else are dropped. Sources on the given main context.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _CrClientSockets CrClientSockets;

/* One wakeup's datagrams from the room: GBytes*, in order. */
typedef void (*CrClientSocketsFunc) (GPtrArray      *datagrams,
                                     GSocketAddress *from,
                                     gpointer        user_data);

CrClientSockets *cr_client_sockets_new   (GMainContext        *context,
                                          CrClientSocketsFunc  func,
                                          gpointer             user_data);
void             cr_client_sockets_free  (CrClientSockets     *self);

/* Open a socket for each family among candidates (GSocketAddress*; those
 * of a family that cannot be opened are dropped). FALSE with error when
 * none is left. */
gboolean         cr_client_sockets_open  (CrClientSockets     *self,
                                          GPtrArray           *candidates,
                                          GError             **error);
void             cr_client_sockets_send  (CrClientSockets     *self,
                                          GBytes              *datagram);

gboolean         cr_client_address_equal (GSocketAddress      *a,
                                          GSocketAddress      *b);

G_END_DECLS
