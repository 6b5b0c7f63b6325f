/* cr-chat-page-private.h: the chat page's parts, shared by the files that
 * make it up
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *  - cr-chat-page.c            the object: its client, the reconnect banner,
 *                              the side pane, toasts, the public API
 *  - cr-chat-page-range.c      CrMessageRange, the window of messages the
 *                              list shows
 *  - cr-chat-page-messages.c   the message list: the window's moves, sticking
 *                              to the bottom, "new messages", message rows
 *  - cr-chat-page-members.c    the member list and its heading
 *  - cr-chat-page-composer.c   the entry: sending, retrying, Enter
 *
 * The hooks the UI tests use are in cr-window-private.h.
 */
#pragma once

#include <adwaita.h>

#include "cr-client.h"
#include "cr-chat-page.h"

G_BEGIN_DECLS

/* --- CrMessageRange (cr-chat-page-range.c) ------------------------------ */

#define CR_TYPE_MESSAGE_RANGE (cr_message_range_get_type ())
G_DECLARE_FINAL_TYPE (CrMessageRange, cr_message_range, CR, MESSAGE_RANGE, GObject)

/* Messages [start, end) of a model. It does not follow the model: the page
 * moves it (_cr_message_range_set), once per frame. The page reads start
 * and end directly. */
struct _CrMessageRange
{
  GObject     parent_instance;

  GListModel *model;
  guint       start;
  guint       end;
};

CrMessageRange *_cr_message_range_new   (GListModel     *model,
                                         guint           start,
                                         guint           end);
void            _cr_message_range_set   (CrMessageRange *self,
                                         guint           start,
                                         guint           end);
void            _cr_message_range_reset (CrMessageRange *self,
                                         guint           start,
                                         guint           end);
void            _cr_message_range_refresh (CrMessageRange *self,
                                           guint           first,
                                           guint           n);

/* --- the page ----------------------------------------------------------- */

struct _CrChatPage
{
  AdwBin             parent_instance;

  /* template widgets */
  AdwToastOverlay   *toast_overlay;
  GtkRevealer       *reconnect_revealer;
  GtkSpinner        *reconnect_spinner;
  GtkRevealer       *ended_revealer;
  GtkLabel          *ended_label;
  GtkWidget         *rejoin_button;
  AdwFlap           *flap;
  GtkWidget         *composer_box;
  GtkScrolledWindow *scroller;
  GtkListView       *message_list;
  GtkWidget         *new_messages_button;
  GtkLabel          *new_messages_label;
  GtkStack          *side_stack;
  GtkLabel          *member_count_label;
  GtkListView       *member_list;
  GtkTextView       *entry;
  GtkWidget         *placeholder_label;
  GtkLabel          *composer_status;
  GtkLabel          *length_label;
  GtkWidget         *send_button;
  GtkRevealer       *pin_revealer;
  GtkLabel          *pin_label;

  /* owned */
  CrClient          *client;
  GSignalGroup      *client_signals;    /* follow the client, whichever it is */
  GSignalGroup      *messages_signals;  /* its messages */
  GSignalGroup      *members_signals;   /* its members */
  CrMessageRange    *shown;             /* what the list shows of the messages */
  GSignalGroup      *shown_signals;
  char              *owner_name;
  char              *folded_name;       /* the reader's name, casefolded */

  /* borrowed */
  GtkWidget         *owner_widget;

  /* the message list (cr-chat-page-messages.c) */
  guint              window_tick;       /* the window has to move */
  guint              scroll_source;
  guint              verify_tick;
  guint              pin_tries;
  double             last_upper;
  double             last_page_size;
  guint              unseen;
  gboolean           sticky;
  gboolean           window_moved;      /* until the frame after a move is painted */
  GSignalGroup      *moved_signals;     /* the frame clock that paints that frame */

  /* bursts of join and leave lines, shown as one line (-messages.c) */
  GHashTable        *expanded_bursts;   /* seq of a burst's first line → TRUE */
  guint              run_start;         /* the last run looked at: [start, end) */
  guint              run_end;
  guint              run_joined;
  guint              run_left;
  guint              run_n_items;       /* the model's length then (0: none) */

  /* the entry (cr-chat-page-composer.c) */
  gboolean           preedit;
  gboolean           muted;             /* the room muted the reader */
  gboolean           muted_all;         /* everyone is muted, and the reader is a member */
  GSignalGroup      *own_member_signals; /* the reader's CrMember, for its flags */
  char              *send_problem;      /* why the last send was refused, until an edit */
};

/* cr-chat-page-messages.c */
void     _cr_chat_page_messages_class_init (GtkWidgetClass *widget_class);
void     _cr_chat_page_messages_init       (CrChatPage     *self);
void     _cr_chat_page_messages_attach     (CrChatPage     *self);
void     _cr_chat_page_messages_detach     (CrChatPage     *self);
void     _cr_chat_page_messages_dispose    (CrChatPage     *self);
void     _cr_chat_page_set_unseen          (CrChatPage     *self,
                                            guint           unseen);
void     _cr_chat_page_stick_to_bottom     (CrChatPage     *self);

/* cr-chat-page-members.c */
void     _cr_chat_page_members_init        (CrChatPage     *self);
void     _cr_chat_page_members_attach      (CrChatPage     *self);
void     _cr_chat_page_members_detach      (CrChatPage     *self);

/* cr-chat-page-composer.c */
void     _cr_chat_page_composer_class_init (GtkWidgetClass *widget_class);
void     _cr_chat_page_composer_init       (CrChatPage     *self);
void     _cr_chat_page_update_actions      (CrChatPage     *self);
/* The members changed: find the reader among them again (muted or not). */
void     _cr_chat_page_composer_members_changed (CrChatPage *self);
void     _cr_chat_page_composer_dispose    (CrChatPage     *self);
/* The room's state changed (CrClient::room-state-changed): the pinned
 * announcement's banner, and mute-all for the composer. */
void     _cr_chat_page_room_state_changed  (CrChatPage     *self);

G_END_DECLS
