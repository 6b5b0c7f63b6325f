/* cr-owner-page.h: the owner view: who is in the hosted room, what the
 * owner can do to them, locked and banned names, whether the room's
 * storage works, and the room's settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "cr-server.h"

G_BEGIN_DECLS

#define CR_TYPE_OWNER_PAGE (cr_owner_page_get_type ())
G_DECLARE_FINAL_TYPE (CrOwnerPage, cr_owner_page, CR, OWNER_PAGE, AdwBin)

/* Property: "server" (CrServer, may be NULL: nothing hosted).
 *
 * Signal "stop-requested": the owner asked to stop hosting (button or the
 * "owner.stop" action). The page does not stop the server itself: the window
 * confirms first and then stops it (and switches owner mode off).
 *
 * Actions (all keyboard reachable, installed on the widget class):
 *   owner.announce   ()  send the entry's text as an announcement (the owner
 *                        chats in the chat's composer, not here)
 *   owner.mute       (s) member name
 *   owner.unmute     (s) member name
 *   owner.kick       (s) member name
 *   owner.ban        (s) member name: asks first
 *   owner.unban      (s) banned name (the "Banned" group lists them)
 *   owner.unlock     (s) a name locked after too many wrong passwords (the
 *                        "Locked Nicknames" group lists them)
 *   owner.copy-address () copy the first join address to the clipboard
 *   owner.stop       ()  emit "stop-requested" */
GtkWidget  *cr_owner_page_new         (void);
void        cr_owner_page_set_server  (CrOwnerPage *self,
                                       CrServer    *server);
CrServer   *cr_owner_page_get_server  (CrOwnerPage *self);

G_END_DECLS
