/* cr-client-private.h: what only the core and its tests may call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"
#include "cr-client-engine.h"

G_BEGIN_DECLS

/* Timing, for tests: keepalive interval, how long a silent room takes to
 * count as lost (then RECONNECTING), and the join timeout. Milliseconds;
 * 0 keeps the default (2 s, 6 s, 5 s). Any time, also mid-join. */
void           cr_client_set_timing        (CrClient *self,
                                            guint     keepalive_ms,
                                            guint     silence_ms,
                                            guint     join_timeout_ms);

/* What cr-client-conversation.c shares with cr-client.c. */
typedef struct _CrClientConversation CrClientConversation;

CrClientConversation *_cr_client_conversation_new  (void);
void           _cr_client_conversation_free (CrClientConversation *conversation);
/* TRUE: the output was the conversation's (applied). */
gboolean       _cr_client_conversation_apply (CrClient       *self,
                                              CrClientOutput *output);
CrClientConversation *_cr_client_get_conversation (CrClient *self);
CrClientEngine *_cr_client_get_engine      (CrClient  *self);
GListStore    *_cr_client_get_store        (CrClient  *self);
/* The rows waiting for the next splice go into the model now. */
void           _cr_client_splice           (CrClient  *self);
/* After a call into the engine: its datagrams out, its outputs applied. */
void           _cr_client_after_engine     (CrClient  *self,
                                            GPtrArray *out);
/* An own message just typed: its reply-to and target at once, the quote
 * from the row it answers (the room's copy replaces both when it comes). */
void           _cr_client_conversation_dress (CrClient   *self,
                                              CrMessage  *message,
                                              guint64     reply_to,
                                              const char *to);
CrMessage     *_cr_client_send_full        (CrClient    *self,
                                            const char  *text,
                                            guint64      reply_to,
                                            const char  *to,
                                            GError     **error);

G_END_DECLS
