/* cr-server-io.h: a room's UDP socket read and written in batches
 * (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Datagrams one read takes at most. */
#define CR_SERVER_IO_BATCH 32

/* One datagram read: data and from are valid during the call only. */
typedef void (*CrServerIoFunc) (const guint8   *data,
                                gsize           len,
                                GSocketAddress *from,
                                gpointer        user_data);

/* Room for one batch, for _cr_server_io_receive; g_free it. */
guint8 *_cr_server_io_buffers_new (void);
/* Read what is waiting, up to CR_SERVER_IO_BATCH datagrams at once, and
 * give each to func. Returns how many were read: 0 when nothing waited or
 * the read failed. */
guint   _cr_server_io_receive     (GSocket        *socket,
                                   guint8         *buffers,
                                   CrServerIoFunc  func,
                                   gpointer        user_data);
/* Send every CrDatagram in out, in batches, and empty out. NULL socket:
 * only empty it. */
void    _cr_server_io_send        (GSocket        *socket,
                                   GPtrArray      *out);

G_END_DECLS
