/* cr-client-sockets.h: finding a room and talking to it over UDP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One concern: where the room is. Its address ("host:port") is resolved
 * (GResolver, through GNetworkAddress) into a few candidate addresses; then
 * one socket is opened per address family among them ("localhost" is ::1
 * and 127.0.0.1, and the room may listen on either). While the room's
 * address is unsettled, what is sent goes to every candidate, and the first
 * to answer is the room; the other socket closes. Datagrams from anywhere
 * else are dropped. Sources on the given main context. What the datagrams
 * say is CrClientEngine's business, not this file's.
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

/* Resolution ended: error NULL when the sockets are open (what is sent
 * reaches the room from now on), else why there is nowhere to send. */
typedef void (*CrClientSocketsReadyFunc) (const GError   *error,
                                          gpointer        user_data);

/* At most this many addresses of a name are tried. */
#define CR_CLIENT_SOCKETS_MAX_CANDIDATES  4

/* Start finding the room: resolve connectable (a GNetworkAddress from
 * g_network_address_parse) to at most CR_CLIENT_SOCKETS_MAX_CANDIDATES
 * IP addresses, then open the sockets. ready (with new's user_data) is
 * called once, later, on the context, unless cr_client_sockets_cancel()
 * or _free() comes first. Once per object. */
void             cr_client_sockets_connect (CrClientSockets          *self,
                                            GSocketConnectable       *connectable,
                                            CrClientSocketsReadyFunc  ready);
/* Stop a resolution under way (ready is not called); open sockets stay. */
void             cr_client_sockets_cancel  (CrClientSockets     *self);

void             cr_client_sockets_send  (CrClientSockets     *self,
                                          GBytes              *datagram);


G_END_DECLS
