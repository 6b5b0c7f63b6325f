/* cr-chat-page.h: the room: messages, members, and the entry
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cr-client.h"

G_BEGIN_DECLS

#define CR_TYPE_CHAT_PAGE (cr_chat_page_get_type ())
G_DECLARE_FINAL_TYPE (CrChatPage, cr_chat_page, CR, CHAT_PAGE, AdwBin)

/* Property "show-side" (boolean): the side pane (members, or the owner
 * view) is shown. */
GtkWidget *cr_chat_page_new              (void);
CrClient  *cr_chat_page_get_client       (CrChatPage *self);
void       cr_chat_page_set_client       (CrChatPage *self,
                                          CrClient   *client);
gboolean   cr_chat_page_get_show_side    (CrChatPage *self);
void       cr_chat_page_set_show_side    (CrChatPage *self,
                                          gboolean    show_side);
/* In owner mode the owner view takes the side pane's place; NULL gives it
 * back to the member list. */
void       cr_chat_page_set_owner_widget (CrChatPage *self,
                                          GtkWidget  *widget);
/* The room dropped us: a banner says why (NULL hides it) and offers to
 * rejoin (win.rejoin) or close the conversation (win.leave); the
 * conversation stays readable under it. */
void       cr_chat_page_show_ended       (CrChatPage *self,
                                          const char *why);
void       cr_chat_page_show_toast       (CrChatPage *self,
                                          const char *text);
/* Put the keyboard focus into the entry. */
void       cr_chat_page_focus_entry      (CrChatPage *self);

G_END_DECLS
