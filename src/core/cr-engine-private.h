/* cr-engine-private.h: what the parts of CrEngine share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine is one object in five files, each one concern:
 *   cr-engine.c           the public API: output, history, commit and fan-out,
 *                         ticks, the owner's actions
 *   cr-engine-sessions.c  the session table, address keys, cookies, rate buckets
 *   cr-engine-native.c    the native dialect: JOIN, resume, welcome, deliveries
 *   cr-engine-classic.c   the classroom dialect's text lines
 *   cr-engine-auth.c      accounts: who may join with which password, and the
 *                         hash jobs that run off the engine's thread
 *   cr-engine-storage.c   writing the events of each call, and storage faults
 * Only these files include this header. cr-engine-worker.c, an object of
 * its own on the public API, runs the hash jobs on threads for CrServer.
 */
#pragma once

#include <sodium.h>

#include "cr-classic.h"
#include "cr-crypto.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-engine.h"
#include "cr-engine-moderation.h"

G_BEGIN_DECLS

#define CR_ENGINE_RECENT_ORIGINS 64     /* a retry racing its first copy */
#define CR_ENGINE_REGISTER_RATE  (3.0 / 60) /* new accounts per IP: 3 a minute */
#define CR_ENGINE_REGISTER_BURST 3.0
/* Classic joins per IP: a forged "N x" costs the room a history line and
 * its victim the broadcasts, so one machine gets a few, then one per 5 s. */
#define CR_ENGINE_CLASSIC_JOIN_RATE  0.2
#define CR_ENGINE_CLASSIC_JOIN_BURST 8.0

/* An address as a hashable value: family, port, address, scope. */
typedef struct {
  guint8 len;
  guint8 bytes[1 + 2 + 16 + 4];
} CrEngineAddrKey;

/* Flood control: a token bucket. */
typedef struct {
  double tokens;
  gint64 at;
} CrEngineBucket;

/* Failed logins: each one doubles the wait before the next is even looked
 * at; enough of them lock the name (cr-engine-auth.c). */
typedef struct {
  guint  failures;
  gint64 not_before;    /* mono µs: no attempt is considered before this */
  gint64 locked_until;  /* mono µs; 0: not locked (names only) */
} CrEngineBackoff;

/* What the room remembers of one source IP, whatever the port: a forger
 * picks ports freely, so what one machine may cost is counted here. */
typedef struct {
  CrEngineBucket  classic_joins;
  CrEngineBucket  registrations;
  CrEngineBackoff logins;
} CrEngineHost;

/* One source address the room talks to: a native member (with its reliable
 * channel), a classic member (plain text, no acks), or a native session
 * saying goodbye (closing: the BYE is retransmitted until acked or the
 * linger time ran out). */
typedef struct {
  guint32          id;
  CrEngineAddrKey  key;
  GSocketAddress  *addr;
  CrDialect        dialect;
  guint32          member_id;    /* 0: not a member (closing) */
  CrReliable      *rel;          /* native only */
  char            *resume_token;
  gint64           last_heard;
  gboolean         closing;
  gint64           linger_until;
  CrEngineBucket   bucket;
  guint            over_limit;   /* chats that came in over the rate, not yet refused */
  guint64         *origins;      /* [CR_ENGINE_RECENT_ORIGINS], last chats' origins
                                  * (retries); allocated at its first chat: most
                                  * members of a class listen */
  guint            next_origin;
  gint64           joined;        /* mono µs */
  gboolean         spoke;         /* classic: a datagram came after the join */
  gint64           last_progress; /* native: it acked something, or owed nothing */
  gboolean         overflow;      /* native: too much unacked; dropped at the next tick */
  CrSeal           seal;          /* native with an identity: keys, numbers (cr-crypto.h) */
  gint64           scheduled;     /* its entry in CrEngine.timers; G_MAXINT64: none */
  CrEngineBucket   requests;      /* pages, searches, recalls (cr-engine-conversation.c) */
  guint64          told_seq;      /* the last event it was sent or welcomed with */
  gboolean         members_owed;  /* welcomed in this read: MEMBERS and STATE
                                   * at its end (cr-engine-native.c) */
} CrEngineSession;

/* An entry of the timer heap: when a session wants the tick. Entries are
 * not removed when a session's time moves; one whose time is no longer its
 * session's scheduled time is skipped when it comes up. */
typedef struct {
  gint64  at;
  guint32 session;
} CrEngineTimer;

/* A JOIN the room said yes to, up to the password: who, from where, as what.
 * Strings borrowed, except in a CrEnginePending. */
typedef struct {
  GSocketAddress  *from;
  CrEngineAddrKey  key;
  char            *name;         /* normalized */
  char            *fold;
  gboolean         owner;
  gboolean         do_register;
  guint64          resume_seq;
  char            *resume_token; /* a registered member's, checked: move it once the
                                  * password is right */
  CrSeal           seal;         /* the keys its sealed JOIN came with (or none) */
} CrEngineJoin;

typedef struct _CrEngineStorage CrEngineStorage;

struct _CrEngine {
  CrEngineConfig        config;
  char                 *room_name;
  char                 *language;
  const CrClassicTable *classic;  /* the lines classic members receive */
  char                 *owner_name;
  char                 *owner_token;
  guint8                cookie_key[crypto_generichash_KEYBYTES];
  guint8                hs_secret[2][32]; /* the handshake's, now and before (cr-crypto.h) */
  gint64                hs_rotated;  /* mono µs of the last rotation */
  gboolean              hs_ready;

  CrStore              *store;       /* borrowed */
  CrRoom               *room;
  GQueue                ring;        /* CrEvent*, newest last; only without store */

  GHashTable           *by_id;       /* guint32 → CrEngineSession* (owns) */
  GHashTable           *by_addr;     /* CrEngineAddrKey* → CrEngineSession* */
  GHashTable           *by_member;   /* guint32 → CrEngineSession* */
  GHashTable           *by_token;    /* char* → CrEngineSession* */
  GArray               *timers;      /* CrEngineTimer, a binary min-heap on at */
  GHashTable           *unverified;  /* CrEngineAddrKey* (owned) → CrEngineBucket* (owned) */
  GHashTable           *hosts;       /* CrEngineAddrKey* of an IP (owned) → CrEngineHost* */
  gint64                last_sweep;  /* mono µs: when those two were last pruned */
  GHashTable           *logins;      /* char* fold (owned) → CrEngineBackoff* (owned) */
  guint                 locks_serial; /* changes when a name is locked or unlocked */

  GHashTable           *pending;     /* job id → CrEngineJoin* (owns): joins waiting for a hash */
  GQueue                jobs;        /* CrAuthJob* (owned) nobody took yet */
  guint64               next_job_id;

  CrEngineStorage      *storage;     /* cr-engine.c: the batch, unsaved events, faults */
  GPtrArray            *fanout;      /* events committed in this batch, not yet sent to
                                      * the members (cr-engine.c) */
  GArray               *welcoming;   /* guint32 ids of the sessions welcomed in this
                                      * batch: their member list is owed */

  CrStats               stats;
  CrEngineOutputFunc    output_func;
  gpointer              output_data;
  CrEngineEventFunc     event_func;
  gpointer              event_data;
};

/* cr-engine.c */
void      _cr_engine_random          (CrEngine        *self,
                                      gpointer         buf,
                                      gsize            len);
void      _cr_engine_emit            (CrEngine        *self,
                                      GPtrArray       *out,
                                      GSocketAddress  *to,
                                      GBytes          *data);
/* Between two members of a long walk: out handed to the output func
 * once it holds CR_ENGINE_OUTPUT_CHUNK datagrams. */
void      _cr_engine_output_chunk    (CrEngine        *self,
                                      GPtrArray       *out);
void      _cr_engine_emit_text       (CrEngine        *self,
                                      GPtrArray       *out,
                                      GSocketAddress  *to,
                                      const char      *text);
void      _cr_engine_emit_bare       (CrEngine        *self,
                                      GPtrArray       *out,
                                      GSocketAddress  *to,
                                      guint32          session,
                                      guint32          ack,
                                      CrPacketType     type,
                                      GBytes          *body);
GPtrArray *_cr_engine_history        (CrEngine        *self,
                                      guint64          after_seq,
                                      guint            limit);
void      _cr_engine_commit_event    (CrEngine        *self,
                                      CrEvent         *event,
                                      CrEngineTime     now,
                                      GPtrArray       *out);
/* The end of the outermost batch, once its events are written: every
 * member gets what the batch committed, packed (BATCH, classic lines). */
void      _cr_engine_fanout_flush    (CrEngine        *self,
                                      CrEngineTime     now,
                                      GPtrArray       *out);

/* cr-engine-sessions.c */
void      _cr_engine_addr_key_init   (CrEngineAddrKey *key,
                                      GSocketAddress  *addr);
guint     _cr_engine_addr_key_hash   (gconstpointer    p);
gboolean  _cr_engine_addr_key_equal  (gconstpointer    a,
                                      gconstpointer    b);
gboolean  _cr_engine_bucket_take     (CrEngineBucket  *bucket,
                                      double           rate,
                                      double           burst,
                                      gint64           now);
gboolean  _cr_engine_unverified_allow (CrEngine              *self,
                                       const CrEngineAddrKey *key,
                                       gint64                 now);
guint32   _cr_engine_address_cookie  (CrEngine              *self,
                                      const CrEngineAddrKey *key);
void      _cr_engine_send_cookie     (CrEngine              *self,
                                      GPtrArray             *out,
                                      GSocketAddress        *to,
                                      const CrEngineAddrKey *key,
                                      gsize                  in_len);
void      _cr_engine_session_free    (CrEngineSession *session);
CrEngineSession *_cr_engine_session_new (CrEngine              *self,
                                         GSocketAddress        *addr,
                                         const CrEngineAddrKey *key,
                                         CrDialect              dialect,
                                         guint32                member_id,
                                         gint64                 now);
void      _cr_engine_session_destroy (CrEngine        *self,
                                      CrEngineSession *session);
void      _cr_engine_session_end     (CrEngine        *self,
                                      CrEngineSession *session,
                                      CrReason         reason,
                                      CrEngineTime     now,
                                      GPtrArray       *out);
void      _cr_engine_session_leaves  (CrEngine        *self,
                                      CrEngineSession *session,
                                      CrEventKind      kind,
                                      CrEngineTime     now,
                                      GPtrArray       *out);
void      _cr_engine_session_flush   (CrEngine        *self,
                                      CrEngineSession *session,
                                      gint64           now,
                                      GPtrArray       *out);
gboolean  _cr_engine_emit_limited    (CrEngine        *self,
                                      GPtrArray       *out,
                                      GSocketAddress  *to,
                                      GBytes          *data,
                                      gsize            in_len);
void      _cr_engine_host_key        (CrEngineAddrKey       *host,
                                      const CrEngineAddrKey *key);
gboolean  _cr_engine_host_is_local   (const CrEngineAddrKey *key);
CrEngineHost *_cr_engine_host        (CrEngine              *self,
                                      const CrEngineAddrKey *key,
                                      gint64                 now);
gboolean  _cr_engine_host_is_full    (CrEngine              *self,
                                      const CrEngineAddrKey *key,
                                      gboolean               classic);
void      _cr_engine_release_squatter (CrEngine        *self,
                                       const char      *name,
                                       CrEngineTime     now,
                                       GPtrArray       *out);
gboolean  _cr_engine_session_wants   (CrEngine        *self,
                                      CrEngineSession *session,
                                      gint64           now);
gboolean  _cr_engine_session_expired (CrEngine        *self,
                                      CrEngineSession *session,
                                      gint64           now);
gint64    _cr_engine_session_deadline (CrEngine        *self,
                                       CrEngineSession *session);
/* The timers: a tick visits only the sessions that are due. */
void      _cr_engine_session_reschedule (CrEngine        *self,
                                         CrEngineSession *session);
void      _cr_engine_timers_take_due (CrEngine        *self,
                                      gint64           now,
                                      GArray          *ids);
gint64    _cr_engine_timers_next     (CrEngine        *self);

/* cr-engine-native.c */
/* The member list as a MEMBERS body, at the room's last seq. */
GBytes   *_cr_engine_members_body    (CrEngine              *self);
/* Tell a native member the room's new name (cr_engine_set_room_name);
 * members from _cr_engine_members_body, once for all of them. */
void      _cr_engine_native_renamed  (CrEngine              *self,
                                      CrEngineSession       *session,
                                      GBytes                *members,
                                      gint64                 now,
                                      GPtrArray             *out);
/* The end of a batch, before its fan-out: the member list (one for all)
 * and the room's state to the sessions welcomed in it. */
void      _cr_engine_welcome_flush   (CrEngine              *self,
                                      gint64                 now,
                                      GPtrArray             *out);
void      _cr_engine_handle_native   (CrEngine              *self,
                                      const guint8          *data,
                                      gsize                  len,
                                      GSocketAddress        *from,
                                      const CrEngineAddrKey *key,
                                      CrEngineTime           now,
                                      GPtrArray             *out);
void      _cr_engine_refuse          (CrEngine              *self,
                                      GPtrArray             *out,
                                      GSocketAddress        *to,
                                      CrReason               reason);
void      _cr_engine_admit           (CrEngine              *self,
                                      const CrEngineJoin    *join,
                                      gboolean               registered,
                                      CrEngineTime           now,
                                      GPtrArray             *out);
/* A datagram of a session's reliable channel out: sealed when it has keys.
 * Takes datagram. */
void      _cr_engine_session_emit    (CrEngine              *self,
                                      CrEngineSession       *session,
                                      GPtrArray             *out,
                                      GBytes                *datagram);
void      _cr_engine_session_emit_raw (CrEngine             *self,
                                       CrEngineSession      *session,
                                       GPtrArray            *out,
                                       const guint8         *data,
                                       gsize                 len);

/* cr-engine-classic.c */
void      _cr_engine_handle_classic  (CrEngine              *self,
                                      const guint8          *data,
                                      gsize                  len,
                                      GSocketAddress        *from,
                                      const CrEngineAddrKey *key,
                                      CrEngineTime           now,
                                      GPtrArray             *out);

/* cr-engine-auth.c */
typedef enum {
  CR_ENGINE_AUTH_DONE,        /* decided: *reason and *registered say how */
  CR_ENGINE_AUTH_PENDING,     /* a hash job will decide: cr_engine_complete_auth */
  CR_ENGINE_AUTH_BUSY,        /* too many joins wait for a hash: dropped */
} CrEngineAuth;

CrEngineAuth _cr_engine_authenticate (CrEngine           *self,
                                      const CrEngineJoin *join,
                                      const char         *password,
                                      gint64              now,
                                      CrReason           *reason,
                                      gboolean           *registered);
gboolean  _cr_engine_auth_is_pending (CrEngine              *self,
                                      const CrEngineAddrKey *key);
/* Whether an account of another name has normalized's skeleton (a name a
 * reader cannot tell from it); TRUE too when the accounts cannot be read. */
gboolean  _cr_engine_is_lookalike    (CrEngine              *self,
                                      const char            *normalized,
                                      const char            *fold);
void      _cr_engine_auth_init       (CrEngine        *self);
void      _cr_engine_auth_clear      (CrEngine        *self);
void      _cr_engine_auth_close      (CrEngine        *self,
                                      GPtrArray       *out);

/* cr-engine-conversation.c */
/* A CHAT's extras checked: *extras (transfer full, NULL when none) holds
 * the quote and the target to put on its event. */
CrReason  _cr_engine_conversation_check (CrEngine         *self,
                                         CrEngineSession  *session,
                                         guint64           reply_to,
                                         const char       *to,
                                         CrEvent         **extras);
void      _cr_engine_conversation_apply (CrEvent          *event,
                                         const CrEvent    *extras);
/* A private event to its two members only: TRUE when event was one. */
gboolean  _cr_engine_conversation_deliver (CrEngine       *self,
                                           const CrEvent  *event,
                                           CrEngineTime    now,
                                           GPtrArray      *out);
/* RECALL, HISTORY, SEARCH from a member: FALSE for any other type. */
gboolean  _cr_engine_handle_conversation (CrEngine        *self,
                                          CrEngineSession *session,
                                          CrPacketType     type,
                                          const guint8    *data,
                                          gsize            len,
                                          CrEngineTime     now,
                                          GPtrArray       *out);

/* cr-engine-storage.c */
/* A committed event not yet written (borrowed), NULL when none. */
CrEvent  *_cr_engine_storage_find_unsaved (CrEngine     *self,
                                           guint64       seq);
void      _cr_engine_storage_init    (CrEngine        *self);
void      _cr_engine_storage_clear   (CrEngine        *self);
void      _cr_engine_storage_check_damage (CrEngine   *self);
/* A batch: the outermost end writes what was committed inside it. */
void      _cr_engine_storage_begin   (CrEngine        *self);
void      _cr_engine_storage_end     (CrEngine        *self,
                                      CrEngineTime     now,
                                      GPtrArray       *out);
void      _cr_engine_storage_queue   (CrEngine        *self,
                                      const CrEvent   *event);
void      _cr_engine_storage_queue_ban (CrEngine      *self,
                                        const char    *fold,
                                        const char    *name,
                                        gboolean       banned);
/* After a commit: written now unless inside a batch. */
void      _cr_engine_storage_committed (CrEngine      *self,
                                        CrEngineTime   now,
                                        GPtrArray     *out);
void      _cr_engine_storage_merge   (CrEngine        *self,
                                      GPtrArray       *events,
                                      guint64          after_seq,
                                      guint            limit);
gboolean  _cr_engine_storage_refuse_join (CrEngine              *self,
                                          const guint8          *data,
                                          gsize                  len,
                                          GSocketAddress        *from,
                                          const CrEngineAddrKey *key,
                                          CrEngineTime           now,
                                          GPtrArray             *out);
gint64    _cr_engine_storage_next_deadline (CrEngine  *self);

/* cr-engine-moderation.c */
void       _cr_engine_moderation_load  (CrEngine        *self);
void       _cr_engine_handle_manage    (CrEngine        *self,
                                        CrEngineSession *session,
                                        const guint8    *data,
                                        gsize            len,
                                        CrEngineTime     now,
                                        GPtrArray       *out);
/* STATE to one native session (queued; the caller flushes). */
void       _cr_engine_queue_state      (CrEngine        *self,
                                        CrEngineSession *session,
                                        gint64           now);
/* The pinned announcement as a classic line, after the join's OK. */
void       _cr_engine_classic_pin      (CrEngine        *self,
                                        GSocketAddress  *to,
                                        GPtrArray       *out);
void       _cr_engine_moderation_tick  (CrEngine        *self,
                                        CrEngineTime     now,
                                        GPtrArray       *out);
gint64     _cr_engine_moderation_deadline (CrEngine     *self);

G_END_DECLS
