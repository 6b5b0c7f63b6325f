/* cr-room-list.h: the rooms found on the LAN, live, for the login view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cr-room-browser.h"

G_BEGIN_DECLS

#define CR_TYPE_ROOM_LIST (cr_room_list_get_type ())
G_DECLARE_FINAL_TYPE (CrRoomList, cr_room_list, CR, ROOM_LIST, AdwBin)

/* Looks while mapped. Signal "room-activated" (const char *address): a
 * room was clicked; the address is one the login view's entry takes.
 * The extra places to look follow the "extra-places" setting. Where the
 * environment has CHATROOM_DISCOVERY_NO_LAN=1 (the tests), only those are
 * asked: nothing is sent by broadcast or multicast. */
GtkWidget     *cr_room_list_new          (void);
CrRoomBrowser *cr_room_list_get_browser  (CrRoomList *self);

G_END_DECLS
