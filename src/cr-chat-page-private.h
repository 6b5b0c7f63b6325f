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
 *  - cr-chat-page-reply.c      replies and recalls from a row, jumping to
 *                              a message (older pages loaded on the way)
 *  - cr-chat-page-history.c    older pages of history at the top
 *  - cr-chat-page-search.c     Ctrl+F: the room's history searched
 *  - cr-chat-page-mention.c    "@" completing names, the emoji button
 *  - cr-chat-page-conversations.c  the room and private conversations
 *
 * The hooks the UI tests use are in cr-window-private.h.
 */
#pragma once

#include <adwaita.h>

#include "cr-client.h"
#include "cr-member.h"
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

  /* replies, recalls, jumps (cr-chat-page-reply.c) */
  guint64            reply_to;          /* the seq the next message answers; 0: none */
  GtkRevealer       *reply_revealer;
  GtkLabel          *reply_label;
  guint64            highlight_seq;     /* the row a jump led to, briefly marked */
  guint              highlight_source;
  guint64            jump_seq;          /* older pages are loading to reach it */
  guint              jump_pages;
  char              *recall_problem;    /* the last refusal said in a toast */

  /* older history (cr-chat-page-history.c) */
  GCancellable      *history_cancellable;
  gboolean           loading_older;
  GtkRevealer       *history_revealer;
  GtkSpinner        *history_spinner;

  /* search (cr-chat-page-search.c) */
  GtkSearchBar      *search_bar;
  GtkSearchEntry    *search_entry;
  GtkListBox        *search_results;
  GtkWidget         *search_scroller;
  GtkLabel          *search_status;
  GCancellable      *search_cancellable;

  /* "@" completion and emoji (cr-chat-page-mention.c) */
  GtkPopover        *mention_popover;
  GtkListBox        *mention_list;
  GtkEventController *mention_keys;
  GtkWidget         *emoji_button;
  GtkWidget         *emoji_chooser;

  /* conversations (cr-chat-page-conversations.c) */
  GtkFilterListModel *view;             /* the shown conversation's messages */
  char              *peer;              /* the private conversation shown; NULL: the room */
  GListStore        *conversations;     /* CrConversation: the room, then private ones */
  GtkListBox        *conversation_list;
  GtkWidget         *conversation_notice;
  GSignalGroup      *peer_signals;      /* the private conversation's member */
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

/* cr-chat-page-messages.c: show the message at position of the view,
 * with older rows above it (a jump to it). */
void     _cr_chat_page_show_position       (CrChatPage     *self,
                                            guint           position);

/* cr-chat-page-reply.c */
void     _cr_chat_page_reply_class_init    (GtkWidgetClass *widget_class);
void     _cr_chat_page_reply_init          (CrChatPage     *self);
void     _cr_chat_page_reply_dispose       (CrChatPage     *self);
/* Send text as the composer asks: a reply, a private message or plain. */
CrMessage *_cr_chat_page_send_text         (CrChatPage     *self,
                                            const char     *text,
                                            GError        **error);
/* Scroll to the message seq (loading older pages until it is there) and
 * mark its row for a moment. */
/* The position of the message seq in the conversation shown, or -1
 * (cr-chat-page-reply.c). */
gint64   _cr_chat_page_find_in_view        (CrChatPage     *self,
                                            guint64         seq);
void     _cr_chat_page_jump_to             (CrChatPage     *self,
                                            guint64         seq);
/* A new message row: its menu (reply, recall, message privately). */
void     _cr_chat_page_setup_message_row   (CrChatPage     *self,
                                            GtkWidget      *row);
gboolean _cr_chat_page_is_highlighted      (CrChatPage     *self,
                                            CrMessage      *message);

/* cr-chat-page-history.c */
void     _cr_chat_page_history_init        (CrChatPage     *self);
void     _cr_chat_page_history_dispose     (CrChatPage     *self);
/* The reader is at the top of everything shown: ask for the page before. */
void     _cr_chat_page_load_older          (CrChatPage     *self);

/* cr-chat-page-search.c */
void     _cr_chat_page_search_class_init   (GtkWidgetClass *widget_class);
void     _cr_chat_page_search_init         (CrChatPage     *self);
void     _cr_chat_page_search_dispose      (CrChatPage     *self);

/* cr-chat-page-mention.c */
void     _cr_chat_page_mention_init        (CrChatPage     *self);
void     _cr_chat_page_mention_dispose     (CrChatPage     *self);

/* cr-chat-page-conversations.c */
void     _cr_chat_page_conversations_class_init (GtkWidgetClass *widget_class);
void     _cr_chat_page_conversations_init  (CrChatPage     *self);
void     _cr_chat_page_conversations_attach (CrChatPage    *self);
void     _cr_chat_page_conversations_detach (CrChatPage    *self);
void     _cr_chat_page_conversations_dispose (CrChatPage   *self);
/* The messages of the conversation shown (the room's, or one private
 * conversation's): what the message list is a window over. */
GListModel *_cr_chat_page_get_view         (CrChatPage     *self);
/* A member row of cr-chat-page-members.c: its menu's "Message privately". */
void     _cr_chat_page_conversations_setup_member_row (CrChatPage *self,
                                                       GtkWidget  *box);
void     _cr_chat_page_conversations_bind_member_row  (GtkWidget  *box,
                                                       CrMember   *member);

G_END_DECLS
