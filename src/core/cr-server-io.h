/* cr-server-io.h: a room's UDP socket read and written in batches
 * (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Datagrams one read takes at most. */
#define CR_SERVER_IO_BATCH 64
/* What a room asks for its socket's buffers: a class's burst (2 000
 * messages in 0.1 s, bench/README.md) fits in the receive buffer while the
 * room fans out the ones before it. */
#define CR_SERVER_IO_BUFFER_BYTES (4 * 1024 * 1024)

/* One datagram read: data and from are valid during the call only. */
typedef void (*CrServerIoFunc) (const guint8   *data,
                                gsize           len,
                                GSocketAddress *from,
                                gpointer        user_data);

/* Asks for bytes of receive and send buffer (forced past the system's cap
 * when the process may, as root). Returns FALSE when the system gave less;
 * *rcvbuf and *sndbuf say what it gave. */
gboolean _cr_server_io_size_buffers (GSocket *socket,
                                     int      bytes,
                                     int     *rcvbuf,
                                     int     *sndbuf);
/* Room for one batch, for _cr_server_io_receive; g_free it. */
guint8 *_cr_server_io_buffers_new (void);
/* Read what is waiting, up to max (≤ CR_SERVER_IO_BATCH) datagrams at
 * once, and give each to func. Returns how many were read: 0 when nothing
 * waited or the read failed. */
guint   _cr_server_io_receive     (GSocket        *socket,
                                   guint8         *buffers,
                                   guint           max,
                                   CrServerIoFunc  func,
                                   gpointer        user_data);
/* Send the CrDatagrams in out, in batches, and remove what was sent.
 * Returns FALSE when the socket's send buffer filled up: out keeps the
 * rest, to be sent when the socket is writable. NULL socket: only empty
 * out. */
gboolean _cr_server_io_send       (GSocket        *socket,
                                   GPtrArray      *out);

G_END_DECLS
