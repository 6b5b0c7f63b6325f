/* cr-room-browser.h: the rooms on the LAN, found by discovery probes
 * (cr-discovery.h), as a live GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A room one browser found. Read-only properties, notified on change:
 * "id", "name", "owner", "members" (uint), "registration" (boolean),
 * "address" ("198.51.100.2:10024", "[fd00::2]:10024": what chatroom-cli
 * and the login view accept), "interface" (the interface its answer came
 * through, "eth0"; "" when unknown), "link-local" (boolean: found only
 * through 169.254/fe80 or a virtual bridge, docker0, virbr0…). */
#define CR_TYPE_FOUND_ROOM (cr_found_room_get_type ())
G_DECLARE_FINAL_TYPE (CrFoundRoom, cr_found_room, CR, FOUND_ROOM, GObject)

const char   *cr_found_room_get_id           (CrFoundRoom *self);
const char   *cr_found_room_get_name         (CrFoundRoom *self);
const char   *cr_found_room_get_owner        (CrFoundRoom *self);
guint         cr_found_room_get_members      (CrFoundRoom *self);
gboolean      cr_found_room_get_registration (CrFoundRoom *self);
const char   *cr_found_room_get_address      (CrFoundRoom *self);
const char   *cr_found_room_get_interface    (CrFoundRoom *self);
gboolean      cr_found_room_get_link_local   (CrFoundRoom *self);

/* How a browser probes; all by default. */
typedef enum {
  CR_BROWSE_BROADCAST    = 1 << 0,   /* each interface's broadcast address */
  CR_BROWSE_MULTICAST_V4 = 1 << 1,   /* CR_DISCOVERY_GROUP_V4, per interface */
  CR_BROWSE_MULTICAST_V6 = 1 << 2,   /* CR_DISCOVERY_GROUP_V6, per interface */
  CR_BROWSE_EXTRA        = 1 << 3,   /* the extra places, by unicast */
  CR_BROWSE_ALL          = 0xf,
} CrBrowseMethods;

/* A GListModel of CrFoundRoom: rooms on real networks first, then those
 * found only through link-local addresses or virtual bridges; by name
 * within each. Items change in place (members, owner…); a room that stops
 * answering goes after about three probe intervals, one that announces its
 * close at once.
 *
 * Properties: "running" (boolean), "port" (uint: the room port probed by
 * broadcast and multicast, default CR_DEFAULT_PORT), "extra-places"
 * (GStrv: "host", "host:port", "[v6]:port", "198.51.100.0/24",
 * "198.51.100.0/24:10030": probed by unicast; an IPv4 subnet of at most
 * 1 024 addresses host by host, a larger one by its broadcast address
 * only), "methods" (CrBrowseMethods, as flags), "max-interval" (uint ms:
 * probes repeat after 1 s, doubling up to this, default 8000),
 * "probes-sent" (uint64, read-only). */
#define CR_TYPE_ROOM_BROWSER (cr_room_browser_get_type ())
G_DECLARE_FINAL_TYPE (CrRoomBrowser, cr_room_browser, CR, ROOM_BROWSER, GObject)

CrRoomBrowser *cr_room_browser_new             (void);
/* Opens its sockets and probes at once; FALSE when no socket could be
 * opened (error set). */
gboolean       cr_room_browser_start           (CrRoomBrowser  *self,
                                                GError        **error);
/* Closes the sockets; the list stays as it was. */
void           cr_room_browser_stop            (CrRoomBrowser  *self);
gboolean       cr_room_browser_get_running     (CrRoomBrowser  *self);
/* Probe now, and start the back-off over. */
void           cr_room_browser_refresh         (CrRoomBrowser  *self);

void           cr_room_browser_set_extra_places (CrRoomBrowser      *self,
                                                 const char * const *places);
const char * const *cr_room_browser_get_extra_places (CrRoomBrowser *self);
/* Is this text something "extra-places" takes? */
gboolean       cr_room_browser_place_is_valid  (const char *place);

void           cr_room_browser_set_port        (CrRoomBrowser  *self,
                                                guint16         port);
void           cr_room_browser_set_methods     (CrRoomBrowser  *self,
                                                CrBrowseMethods methods);
void           cr_room_browser_set_max_interval (CrRoomBrowser *self,
                                                 guint          max_interval_ms);
guint64        cr_room_browser_get_probes_sent (CrRoomBrowser  *self);
/* Datagrams dropped: malformed, not our nonce, over the room cap. */
guint64        cr_room_browser_get_dropped     (CrRoomBrowser  *self);

G_END_DECLS
