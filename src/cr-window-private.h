/* cr-window-private.h: project-internal hooks for the UI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"
#include "cr-server.h"
#include "cr-window.h"
#include "cr-login-page.h"
#include "cr-chat-page.h"

G_BEGIN_DECLS

CrClient         *_cr_window_get_client          (CrWindow *self);
CrServer         *_cr_window_get_server          (CrWindow *self);
CrLoginPage      *_cr_window_get_login_page      (CrWindow *self);
CrChatPage       *_cr_window_get_chat_page       (CrWindow *self);
/* The owner view while hosting, else NULL. */
GtkWidget        *_cr_window_get_owner_page      (CrWindow *self);
/* The "close the room?" question while it is asked, else NULL. */
AdwMessageDialog *_cr_window_get_confirm_dialog  (CrWindow *self);
/* "login" or "chat". */
const char       *_cr_window_get_visible_page    (CrWindow *self);
const char       *_cr_window_get_title           (CrWindow *self);
const char       *_cr_window_get_subtitle        (CrWindow *self);
/* How many desktop notifications were sent. */
guint             _cr_window_get_n_notifications (CrWindow *self);

GtkTextView      *_cr_chat_page_get_entry             (CrChatPage *self);
GtkListView      *_cr_chat_page_get_message_list      (CrChatPage *self);
GtkWidget        *_cr_chat_page_get_reconnect_banner  (CrChatPage *self);
gboolean          _cr_chat_page_get_sticky            (CrChatPage *self);

G_END_DECLS
