/* cr-message.h: one row of the chat: a room event as the client sees it,
 * plus the delivery state of the user's own messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include "cr-types.h"

G_BEGIN_DECLS

typedef enum {
  CR_MESSAGE_RECEIVED = 0,  /* from the room */
  CR_MESSAGE_PENDING,       /* own, sent, not yet acknowledged by the room */
  CR_MESSAGE_SENT,          /* own, acknowledged (has its seq) */
  CR_MESSAGE_FAILED,        /* own, refused or never acknowledged: retry */
} CrMessageState;

#define CR_TYPE_MESSAGE (cr_message_get_type ())
G_DECLARE_FINAL_TYPE (CrMessage, cr_message, CR, MESSAGE, GObject)

/* Properties: "kind" (int, CrEventKind), "sender", "text", "time" (gint64
 * wall-clock µs), "seq" (guint64, 0 while pending), "origin" (guint64),
 * "own" (boolean), "state" (int, CrMessageState, notified on change),
 * "failure" (int, CrReason of a FAILED message). */
CrMessage      *cr_message_new_from_event  (const CrEvent *event,
                                            gboolean       own);
CrMessage      *cr_message_new_pending     (const char    *sender,
                                            const char    *text,
                                            guint64        origin,
                                            gint64         time_us);

CrEventKind     cr_message_get_kind        (CrMessage *self);
const char     *cr_message_get_sender      (CrMessage *self);
const char     *cr_message_get_text        (CrMessage *self);
gint64          cr_message_get_time        (CrMessage *self);
guint64         cr_message_get_seq         (CrMessage *self);
guint64         cr_message_get_origin      (CrMessage *self);
gboolean        cr_message_get_own         (CrMessage *self);
gboolean        cr_message_is_system       (CrMessage *self);  /* not CHAT/OWNER_CHAT */
CrMessageState  cr_message_get_state       (CrMessage *self);
CrReason        cr_message_get_failure     (CrMessage *self);
/* The room acknowledged it: sets seq and time, state SENT. */
void            cr_message_set_sent        (CrMessage *self,
                                            guint64    seq,
                                            gint64     time_us);
void            cr_message_set_failed      (CrMessage *self,
                                            CrReason   reason);
void            cr_message_set_pending     (CrMessage *self);
/* What the row shows: for system kinds the rendered line in the process's
 * language, for chat the text. Transfer full. */
char           *cr_message_dup_display     (CrMessage *self);

/* The conversation (issue 14). A reply: the seq it answers ("reply-to",
 * 0: none), the quoted sender and first line as the room filled them in
 * ("quote-name", "quote-text"; NULL until the room said, for an own reply
 * still pending). A private message: "target", the member it was for
 * (NULL: the whole room); cr_message_get_peer the other member of the
 * conversation it belongs to. "recalled": the room took the text back
 * ("text" becomes "", the row reads "NAME recalled a message"). Each
 * property is notified when it changes. */
guint64         cr_message_get_reply_to    (CrMessage *self);
const char     *cr_message_get_quote_name  (CrMessage *self);
const char     *cr_message_get_quote_text  (CrMessage *self);
const char     *cr_message_get_target      (CrMessage *self);
const char     *cr_message_get_peer        (CrMessage  *self,
                                            const char *own_name);
gboolean        cr_message_get_recalled    (CrMessage *self);
/* From the room's copy of the event: reply-to, the quote and the target. */
void            cr_message_set_conversation (CrMessage     *self,
                                             const CrEvent *event);
void            cr_message_recall          (CrMessage *self);
/* The message this one replies to was recalled: the quoted line goes. */
void            cr_message_forget_quote    (CrMessage *self);

G_END_DECLS
