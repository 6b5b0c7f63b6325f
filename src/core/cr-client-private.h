/* cr-client-private.h: what only the core and its tests may call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"
#include "cr-client-engine.h"
#include "cr-client-sockets.h"
#include "cr-trust.h"

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

/* The object, shared by cr-client.c (the engine's outputs, the models,
 * the API), cr-client-join.c (the join and the sources it starts) and
 * cr-client-trust.c (the room's key). */
struct _CrClient
{
  GObject           parent_instance;

  /* owned */
  CrClientEngine   *engine;
  GMainContext     *context;
  CrClientSockets  *sockets;
  GSource          *tick_source;
  GSource          *cancel_source;
  GTask            *join_task;
  GListStore       *messages;
  GListStore       *members;
  GPtrArray        *members_burst;  /* CrMember*: the list as a burst leaves it, or NULL */
  GPtrArray        *batch;          /* CrMessage*: rows for the next splice */
  GPtrArray        *announce;       /* CrMessage*: of those, "message-received" */
  GHashTable       *own_by_origin;  /* guint64* → CrMessage*: every own message */
  CrClientConversation *conversation; /* cr-client-conversation.c */

  /* What the properties say (the engine's outputs, applied in order). */
  char             *address;
  char             *name;
  char             *room_name;
  CrClientState     state;
  CrDialect         dialect;
  CrRole            role;
  CrReason          close_reason;
  guint             n_members;

  /* Trust on first use */
  char             *trust_path;
  gboolean          accept_new_key;
  gboolean          confirm_new_key;
  char             *accepted_fingerprint;
  CrTrust          *trust;
  char             *fingerprint;
  CrKeyTrust        key_trust;
  int               encrypted;      /* gboolean: the session is sealed (cr-crypto.h) */
  char             *known_fingerprint;    /* after KEY_CHANGED */
  char             *offered_fingerprint;  /* after KEY_CHANGED or KEY_NEW */
};


/* Its properties (cr-client.h), for _cr_client_set_string and _set_int. */
enum {
  CLIENT_PROP_0,
  CLIENT_PROP_STATE,
  CLIENT_PROP_NAME,
  CLIENT_PROP_ROOM_NAME,
  CLIENT_PROP_ROLE,
  CLIENT_PROP_DIALECT,
  CLIENT_PROP_ADDRESS,
  CLIENT_PROP_CLOSE_REASON,
  CLIENT_PROP_N_MEMBERS,
  CLIENT_PROP_FINGERPRINT,
  CLIENT_PROP_KEY_TRUST,
  CLIENT_PROP_ENCRYPTED,
  CLIENT_N_PROPS
};

/* cr-client.c */
GPtrArray     *_cr_client_new_out          (void);   /* CrDatagram* */
GError        *_cr_client_reason_error     (CrReason    reason,
                                            const char *detail);
/* Set a property's field and notify it, when it changes. */
void           _cr_client_set_string       (CrClient    *self,
                                            char       **field,
                                            const char  *value,
                                            guint        prop);
void           _cr_client_set_int          (CrClient    *self,
                                            int         *field,
                                            int          value,
                                            guint        prop);
/* cr-client-join.c: a join that ends before the room took it (cancelled,
 * no answer, left); the task gets error (transfer full). */
void           _cr_client_fail_join        (CrClient    *self,
                                            GError      *error);
/* cr-client-trust.c: the room proved its key (trust: how it compares);
 * a join stopped over a key (the fingerprints to show). */
void           _cr_client_room_key_proved  (CrClient    *self,
                                            CrKeyTrust   trust);
void           _cr_client_note_key_changed (CrClient    *self);

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
