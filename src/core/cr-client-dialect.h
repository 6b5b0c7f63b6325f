/* cr-client-dialect.h: the two dialects a member speaks, behind one
 * interface (the shape of libsoup's soup-client-message-io.h, with an http1
 * and an http2 side): cr-client-native.c and cr-client-classic.c. Private
 * to the client engine: also the engine's state they share, and the
 * helpers they call back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While joining, both dialects run: the native one probes, the classic one
 * sends "N name" when the probe stays unanswered; the first to be welcomed
 * (WELCOME, "OK") becomes the engine's dialect and the other goes quiet.
 */
#pragma once

#include "cr-client-engine.h"
#include "cr-protocol.h"

G_BEGIN_DECLS

typedef struct _CrClientDialect CrClientDialect;

struct _CrClientDialect
{
  CrDialect  dialect;

  gpointer (*new)          (CrClientEngine *engine);
  void     (*free)         (gpointer        state);
  /* A datagram of this dialect from the room (already counted in). */
  void     (*receive)      (CrClientEngine *engine,
                            gpointer        state,
                            const guint8   *data,
                            gsize           len,
                            gint64          now);
  /* Do what is due; return when to be called next (G_MAXINT64: never). */
  gint64   (*tick)         (CrClientEngine *engine,
                            gpointer        state,
                            gint64          now);
  /* Carry an own message (engine->pending holds it); FALSE: not possible. */
  gboolean (*send_text)    (CrClientEngine *engine,
                            gpointer        state,
                            guint64         origin,
                            const char     *text,
                            gint64          now);
  /* Say goodbye from CONNECTED or RECONNECTING. */
  void     (*leave)        (CrClientEngine *engine,
                            gpointer        state,
                            gint64          now);
  /* The join timed out: the reason to give (NONE: nothing to add to
   * NO_ANSWER), *detail a line from the room or NULL. */
  CrReason (*join_timeout) (CrClientEngine *engine,
                            gpointer        state,
                            char          **detail);
};

extern const CrClientDialect cr_client_native_dialect;
extern const CrClientDialect cr_client_classic_dialect;

/* An own message the room has not acknowledged yet. */
typedef struct
{
  guint64  origin;
  char    *text;
  gint64   sent_at;     /* 0 = waiting for a session to carry it */
  guint64  reply_to;    /* the conversation (cr-client-conversation.c) */
  char    *to;
} CrClientPending;

struct _CrClientEngine
{
  /* The join. */
  char                  *join_name;    /* canonical once welcomed */
  char                  *password;
  char                  *owner_token;
  char                  *address;
  gboolean               do_register;
  gint64                 wall_offset;
  gboolean               plaintext;    /* CrClientJoin.plaintext */
  gboolean               accept_new_key;
  gboolean               have_known_key;
  guint8                 known_key[32];   /* CrClientJoin.known_key */
  gboolean               have_room_key;
  guint8                 room_key[32];    /* what the room proved, for this engine's life */
  gboolean               have_offered_key;
  guint8                 offered_key[32]; /* a changed key that stopped us */

  /* What the room said we are. */
  CrClientState          state;
  const CrClientDialect *dialect;      /* NULL until one was welcomed */
  char                  *name;
  char                  *fold;
  char                  *room_name;
  CrRole                 role;
  CrReason               close_reason;
  guint64                last_seq;
  guint32                session;      /* native: the room's session id */

  GPtrArray             *members;      /* CrClientMember*, in the room's order */
  GHashTable            *member_index; /* folded name → CrClientMember* of members */
  GPtrArray             *pending;      /* CrClientPending*, in send order */
  GHashTable            *own_origins;  /* guint64*: every own native message */
  GHashTable            *seen_origins; /* guint64*: chat events shown, by origin */
  guint64                origin_base;
  guint32                origin_counter;

  /* Both dialects while joining; then the one welcomed is used. */
  gpointer               native;
  gpointer               classic;
  gboolean               started;      /* the room's addresses are known */
  gboolean               native_seen;  /* the room answered the probe */
  gboolean               classic_sent; /* "N name" went out */

  gint64                 keepalive_us;
  gint64                 silence_us;
  gint64                 join_timeout_us;
  gint64                 join_started;
  gint64                 now;          /* of the call under way */
  gint64                 last_sent;
  gint64                 next_deadline;
  gboolean               tick_wanted;

  GSocketAddress        *room;         /* the first address that answered */
  GPtrArray             *out;          /* borrowed for the length of one call */
  GQueue                 outputs;      /* CrClientOutput* */
  /* The conversation (cr-client-conversation.c). */
  guint64                compose_reply_to;  /* for the send_text under way */
  const char            *compose_to;
  GHashTable            *recalls;      /* guint64* request → guint64* seq */
  guint32                search_counter;
  CrClientEngineStats    stats;
};

/* For the dialects. */
CrClientOutput *_cr_client_engine_push_output (CrClientEngine     *self,
                                               CrClientOutputKind  kind);
/* cr-client-native.c: a request of the conversation on the session's
 * reliable channel; FALSE when there is no session now. */
gboolean _cr_client_native_request        (CrClientEngine  *self,
                                           CrPacketType     type,
                                           GBytes          *body);
/* cr-client-conversation.c: a PAGE or RESULTS body; a NOTICE for a recall
 * (TRUE: it was one). */
void     _cr_client_conversation_receive   (CrClientEngine  *self,
                                            CrPacketType     type,
                                            GVariant        *body);
gboolean _cr_client_conversation_notice    (CrClientEngine  *self,
                                            guint64          origin,
                                            CrReason         reason);
void     _cr_client_engine_send            (CrClientEngine  *self,
                                            GBytes          *datagram);
void     _cr_client_engine_wake            (CrClientEngine  *self);
void     _cr_client_engine_set_state       (CrClientEngine  *self,
                                            CrClientState    state);
void     _cr_client_engine_set_identity    (CrClientEngine  *self,
                                            const CrClientDialect *dialect,
                                            const char      *name,
                                            const char      *room_name,
                                            CrRole           role);
void     _cr_client_engine_complete_join   (CrClientEngine  *self);
void     _cr_client_engine_fail_join       (CrClientEngine  *self,
                                            CrReason         reason,
                                            const char      *detail);
void     _cr_client_engine_close           (CrClientEngine  *self,
                                            CrReason         reason);
/* The room proved identity: TRUE when we go on (ROOM_KEY queued once),
 * FALSE when the key is not the one we trust (the join failed, or the
 * session closed, with CR_REASON_KEY_CHANGED). */
gboolean _cr_client_engine_check_key       (CrClientEngine  *self,
                                            const guint8    *identity);
gboolean _cr_client_engine_is_self         (CrClientEngine  *self,
                                            const char      *name);
/* Is this event one a room could send? (kind, names, texts) */
gboolean _cr_client_engine_event_valid     (const CrEvent   *event);
/* Show an event (transfer full): origins de-duplicated, own messages
 * marked sent, the member list followed when apply_members. */
void     _cr_client_engine_show_event      (CrClientEngine  *self,
                                            CrEvent         *event,
                                            gboolean         apply_members,
                                            gboolean         announce);
void     _cr_client_engine_apply_member_event (CrClientEngine *self,
                                            const CrEvent   *event);
/* Replace the member list; FALSE (nothing changed) when too long or a name
 * is invalid or repeated. Takes the array. */
gboolean _cr_client_engine_set_members     (CrClientEngine  *self,
                                            GPtrArray       *members);
gboolean _cr_client_engine_add_member      (CrClientEngine  *self,
                                            const char      *name,
                                            CrRole           role,
                                            guint            flags);
CrClientPending *_cr_client_engine_take_pending (CrClientEngine *self,
                                            guint64          origin);
void     _cr_client_engine_sent            (CrClientEngine  *self,
                                            guint64          origin,
                                            guint64          seq,
                                            gint64           time_us);
void     _cr_client_engine_failed          (CrClientEngine  *self,
                                            guint64          origin,
                                            CrReason         reason);
/* Fail pending messages older than the timeout; returns the next expiry. */
gint64   _cr_client_engine_expire_pending  (CrClientEngine  *self,
                                            gint64           now);
void     _cr_client_pending_free           (CrClientPending *pending);

G_END_DECLS
