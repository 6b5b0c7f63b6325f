/* cr-room-browser-private.h: what only CrRoomBrowser does to its
 * CrFoundRooms
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-discovery.h"
#include "cr-room-browser.h"

G_BEGIN_DECLS

/* A room first heard from source (its answer's address, "host:port"), on
 * the interface ifname ("" when unknown). Transfer full. */
CrFoundRoom  *_cr_found_room_new          (const CrDiscoveryRoom *info,
                                           GInetAddress          *source,
                                           const char            *address,
                                           const char            *ifname,
                                           gboolean               link_local);
/* Heard again (perhaps on another path: the better one is kept). TRUE when
 * its place in the list may have changed (name, address, link-local). */
gboolean      _cr_found_room_update       (CrFoundRoom           *self,
                                           const CrDiscoveryRoom *info,
                                           GInetAddress          *source,
                                           const char            *address,
                                           const char            *ifname,
                                           gboolean               link_local);
GInetAddress *_cr_found_room_get_source   (CrFoundRoom *self);
/* Monotonic µs of the last answer or announcement. */
gint64        _cr_found_room_get_last_seen (CrFoundRoom *self);

G_END_DECLS
