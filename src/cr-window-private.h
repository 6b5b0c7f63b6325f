/* cr-window-private.h: the window's parts, shared by cr-window.c (the view
 * of the session) and cr-window-actions.c (what its actions do), and the
 * hooks the UI tests use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"
#include "cr-server.h"
#include "cr-session.h"
#include "cr-window.h"
#include "cr-login-page.h"
#include "cr-chat-page.h"

G_BEGIN_DECLS

/* What the window's question (confirm_dialog) is about. */
typedef enum {
  CR_WINDOW_ASK_STOP_HOSTING,   /* the toggle, Ctrl+W, "Stop hosting" */
  CR_WINDOW_ASK_CLOSE_HOSTING,  /* closing the window of the hosted room */
  CR_WINDOW_ASK_LEAVE_TO_HOST,  /* Ctrl+H or the toggle while a member elsewhere */
  CR_WINDOW_ASK_KEEP_HOSTING,   /* closing it the first time: keep it open instead? */
} CrWindowAsk;

struct _CrWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  GtkToggleButton      *owner_button;
  GtkWidget            *leave_button;
  GtkWidget            *members_button;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  CrLoginPage          *login_page;
  CrChatPage           *chat_page;

  /* owned */
  CrSession            *session;
  GSettings            *settings;

  /* borrowed */
  GtkWidget            *owner_page;        /* inside chat_page, while hosting */
  AdwMessageDialog     *confirm_dialog;
  CrWindowAsk           confirm_kind;

  gboolean              closing;           /* leaving before the window goes */
  gboolean              close_ready;
  gboolean              close_confirmed;   /* the owner said yes: close the room */
  gboolean              ended_view;        /* the chat of a room that dropped us stays */
  gboolean              left_on_purpose;   /* we left a room: its toast offers to rejoin */
};

/* cr-window.c */
void              _cr_window_update_actions      (CrWindow   *self);
/* Leave the conversation of a room that dropped us for the login view. */
void              _cr_window_close_ended_view    (CrWindow   *self);
void              _cr_window_show_login          (CrWindow   *self,
                                                  const char *error,
                                                  const char *note);
void              _cr_window_notify_owner_mode   (CrWindow   *self);
/* A GError as a sentence for the login view. */
char             *_cr_window_dup_error_text      (const GError *error);

/* Close the window and keep its session's room going without it
 * (cr_application_keep_in_background), once the system allows it. */
void              _cr_window_close_to_background (CrWindow   *self);
/* app.show-message: the chat at the message with this seq, or at the
 * newest (saying so) when it is no longer among the loaded messages. */
void              _cr_window_show_message        (CrWindow   *self,
                                                  guint64     seq);

/* cr-window-actions.c: installs win.leave, win.owner-mode,
 * win.host-on-free-port and the login page's join. */
void              _cr_window_class_add_actions   (GtkWidgetClass *widget_class);
void              _cr_window_ask_stop_hosting    (CrWindow   *self);
/* Ask before a window that shows the hosted room closes it by closing. */
void              _cr_window_ask                 (CrWindow    *self,
                                                  CrWindowAsk  kind);

/* --- for tests ----------------------------------------------------------- */

CrSession        *_cr_window_get_session         (CrWindow *self);
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
/* How many desktop notifications the session sent. */
guint             _cr_window_get_n_notifications (CrWindow *self);

GtkCheckButton   *_cr_login_page_get_register_check   (CrLoginPage *self);
AdwEntryRow      *_cr_login_page_get_password_row     (CrLoginPage *self);
GtkLabel         *_cr_login_page_get_error_label      (CrLoginPage *self);

GtkTextView      *_cr_chat_page_get_entry             (CrChatPage *self);
GtkListView      *_cr_chat_page_get_message_list      (CrChatPage *self);
GtkWidget        *_cr_chat_page_get_reconnect_banner  (CrChatPage *self);
gboolean          _cr_chat_page_get_sticky            (CrChatPage *self);
/* Why nothing can be sent (muted, too long…), above the entry. */
GtkLabel         *_cr_chat_page_get_composer_status   (CrChatPage *self);
/* How much more the message holds, near the limit. */
GtkLabel         *_cr_chat_page_get_length_label      (CrChatPage *self);
GtkWidget        *_cr_chat_page_get_send_button       (CrChatPage *self);
/* The banner of a room that dropped us, and what it says. */
GtkRevealer      *_cr_chat_page_get_ended_banner      (CrChatPage *self);
const char       *_cr_chat_page_get_ended_text        (CrChatPage *self);
/* The side pane overlays the chat instead of standing beside it. */
gboolean          _cr_chat_page_get_side_folded       (CrChatPage *self);
/* Scroll the message list to the message with seq (cr-chat-page-messages.c):
 * the list's window moves to it and stops following the newest. FALSE
 * when no message has that seq (then it goes to the newest). */
gboolean          _cr_chat_page_scroll_to_seq         (CrChatPage *self,
                                                       guint64     seq);

G_END_DECLS
