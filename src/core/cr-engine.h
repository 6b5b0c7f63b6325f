/* cr-engine.h: the server's packet path. Bytes, a source address and the
 * time in, datagrams to send out; no socket, no clock, no randomness of its
 * own, and no slow work: a password hash is handed to the caller as a job.
 * So it can be tested with literal bytes, a fixed clock and fixed
 * randomness, fuzzed and benchmarked. Drives CrRoom, CrReliable per session
 * and CrStore.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "cr-crypto.h"
#include "cr-types.h"
#include "cr-room.h"
#include "cr-store.h"

G_BEGIN_DECLS

typedef struct _CrEngine CrEngine;

typedef struct {
  GSocketAddress *to;     /* owned */
  GBytes         *data;   /* owned */
} CrDatagram;

void cr_datagram_free (CrDatagram *datagram);

/* The time of a call, read by the caller: the engine reads no clock. */
typedef struct {
  gint64 mono;   /* monotonic µs (g_get_monotonic_time): timers, rates, deadlines */
  gint64 wall;   /* µs since the epoch (g_get_real_time): the time events carry */
} CrEngineTime;

/* Fills buf with len bytes a stranger cannot guess (the cookie key, tokens,
 * session ids). The engine has no randomness of its own. */
typedef void (*CrEngineRandomFunc)  (guint8   *buf,
                                     gsize     len,
                                     gpointer  user_data);

typedef struct {
  CrEngineRandomFunc random_func; /* required: CrServer uses libsodium's */
  gpointer    random_data;
  const char *room_name;
  const char *language;           /* the classic lines: "zh_CN" or "en" (cr-classic.h) */
  const char *owner_name;         /* signs the console's messages; NULL: "" */
  guint       max_members;
  guint       history_length;     /* events replayed on join */
  gboolean    require_registration;
  gint64      silence_timeout_us;
  gint64      classic_idle_us;    /* classic clients never ping: long */
  double      rate_per_second;    /* flood control: messages a member may */
  double      rate_burst;         /* send per second, and in one burst */
  /* What one machine may take (cr-engine-sessions.c). */
  guint       members_per_ip;     /* 0: MAX (8, max_members / 10) */
  guint       classic_members_per_ip;
  gint64      classic_quiet_us;   /* a classic member silent this long gets no
                                   * broadcasts until its next datagram; 0: never */
  gint64      classic_grace_us;   /* a classic name never used after its join is
                                   * given to the next who asks for it after this */
  /* The room's identity (borrowed; it must outlive the engine). Set: the
   * native dialect is sealed (cr-crypto.h) and plaintext JOINs refused.
   * NULL: plaintext native, for tests and fuzzers only. */
  const CrIdentity *identity;
  gboolean    refuse_classic;     /* classic joins are refused (chatroomd --no-classic) */
} CrEngineConfig;

typedef struct {
  guint64 datagrams_in;
  guint64 datagrams_out;
  guint64 malformed;      /* dropped: did not parse */
  guint64 spoofed;        /* dropped: session, address or name did not match */
  guint64 rate_limited;
  guint64 retransmits;
  guint64 store_errors;
  guint64 amplification;  /* replies not sent: over 3× what the unproven address sent */
  guint64 join_limited;   /* joins refused: per-IP join rate or member caps */
  guint64 quiet_skipped;  /* broadcasts not sent to classic members silent too long */
  guint64 overflowed;     /* members dropped: too much left unacknowledged */
  guint64 login_throttled;/* logins and registrations refused before any hash */
  guint64 queued_messages;/* now: messages waiting for acks, all sessions */
  guint64 queued_bytes;   /* now: their bytes */
  guint64 unsealed;       /* dropped: plaintext where only sealed is taken */
  guint64 unopened;       /* dropped: sealed, but did not authenticate (tampered,
                           * truncated, another session's keys) */
  guint64 replayed;       /* dropped: authentic, but seen before */
  guint64 manage_refused; /* MANAGE requests not allowed to their sender */
} CrStats;

typedef void (*CrEngineEventFunc)   (const CrEvent *event,
                                     gpointer       user_data);

void       cr_engine_config_init     (CrEngineConfig *config);

/* store may be NULL (nothing kept). The engine does not own it.
 * config->random_func must be set. */
CrEngine  *cr_engine_new             (const CrEngineConfig *config,
                                      CrStore              *store);
void       cr_engine_free            (CrEngine *self);

void       cr_engine_set_event_func  (CrEngine          *self,
                                      CrEngineEventFunc  func,
                                      gpointer           user_data);
const char *cr_engine_get_owner_token (CrEngine *self);
CrRoom    *cr_engine_get_room        (CrEngine *self);
CrEngineConfig *cr_engine_get_config (CrEngine *self);  /* change live */

/* The datagram path. out: CrDatagram*, with cr_datagram_free. */
void       cr_engine_receive         (CrEngine       *self,
                                      const guint8   *data,
                                      gsize           len,
                                      GSocketAddress *from,
                                      CrEngineTime    now,
                                      GPtrArray      *out);
/* Retransmissions, keepalive timeouts, lingering goodbyes. */
void       cr_engine_tick            (CrEngine     *self,
                                      CrEngineTime  now,
                                      GPtrArray    *out);
/* Monotonic µs of the next call to cr_engine_tick, or G_MAXINT64. */
gint64     cr_engine_next_deadline   (CrEngine *self);

/* The owner. Each returns FALSE and sets *reason when it does not apply. */
gboolean   cr_engine_owner_say       (CrEngine     *self,
                                      const char   *text,
                                      CrEngineTime  now,
                                      GPtrArray    *out,
                                      CrReason     *reason);
/* Take a message back (the owner: any message, any time); the RECALL
 * event goes to those who had it (cr-engine-conversation.c). */
gboolean   cr_engine_recall          (CrEngine     *self,
                                      guint64       seq,
                                      CrEngineTime  now,
                                      GPtrArray    *out,
                                      CrReason     *reason);
gboolean   cr_engine_announce        (CrEngine     *self,
                                      const char   *text,
                                      CrEngineTime  now,
                                      GPtrArray    *out,
                                      CrReason     *reason);
typedef enum {
  CR_OWNER_KICK,
  CR_OWNER_BAN,
  CR_OWNER_UNBAN,
  CR_OWNER_MUTE,
  CR_OWNER_UNMUTE,
} CrOwnerAction;
/* Rename the room; its native members hear the new name (a WELCOME again,
 * and the member list). */
void       cr_engine_set_room_name   (CrEngine      *self,
                                      const char    *name,
                                      CrEngineTime   now,
                                      GPtrArray     *out);
gboolean   cr_engine_owner_act       (CrEngine      *self,
                                      CrOwnerAction  action,
                                      const char    *name,
                                      CrEngineTime   now,
                                      GPtrArray     *out,
                                      CrReason      *reason);
/* Close the room: ROOM_CLOSED to all, BYE to each session. */
void       cr_engine_close           (CrEngine     *self,
                                      CrEngineTime  now,
                                      GPtrArray    *out);
/* Nothing left unacked (after close: every goodbye acknowledged). */
gboolean   cr_engine_is_drained      (CrEngine *self);

/* Password work. A JOIN that needs Argon2id does not hash in
 * cr_engine_receive: the engine keeps the join pending (at most
 * CR_ENGINE_AUTH_PENDING_MAX at a time; more are dropped and their clients'
 * retries come later; a JOIN repeated while its own is pending starts
 * nothing) and makes a job. The caller takes it, runs cr_auth_job_run() on
 * any thread (the job holds copies: no store, no engine), and hands it back
 * on the engine's thread to cr_engine_complete_auth(), which finishes the
 * join as it would have: WELCOME with history, or the refusal. */
#define CR_ENGINE_AUTH_PENDING_MAX 8

typedef struct _CrAuthJob CrAuthJob;

/* The next job nobody took yet (transfer full), or NULL. */
CrAuthJob *cr_engine_take_auth_job   (CrEngine     *self);
/* Joins waiting for their job (taken or not). */
guint      cr_engine_get_n_pending_auth (CrEngine  *self);
/* job: transfer none. A job the engine no longer waits for is ignored. */
void       cr_engine_complete_auth   (CrEngine     *self,
                                      CrAuthJob    *job,
                                      CrEngineTime  now,
                                      GPtrArray    *out);
/* Takes, runs and completes every job here and now, on this thread: for
 * tests, benchmarks and fuzzers, never for a room with a window. */
void       cr_engine_run_auth_jobs   (CrEngine     *self,
                                      CrEngineTime  now,
                                      GPtrArray    *out);

/* The pure part: hash or verify. Any thread; wipes the password copy. */
void       cr_auth_job_run           (CrAuthJob    *job);
void       cr_auth_job_free          (CrAuthJob    *job);

/* Storage. The events of one call (cr_engine_receive, cr_engine_tick, an
 * owner action) are written in one transaction before the call returns,
 * that is before any datagram of it goes out. When the write fails (a full
 * disk), the file was deleted or replaced under the room, or its accounts
 * or bans cannot be read, storage is "not ok": the owner is told at once
 * (the storage func, with a sentence), and while events go unsaved the
 * members get one announcement saying history is not being saved (and one
 * when it is again). The room keeps relaying; the unsaved events stay in
 * memory (they are in the history it replays) and are written when the
 * disk takes them, tried again every second from cr_engine_tick. While
 * the accounts or bans are unreadable nobody is admitted (refused
 * CR_REASON_INTERNAL): a guest could otherwise take a registered name, a
 * banned name come back. */
/* Group commit: the events of every call between begin and end (calls to
 * cr_engine_receive for one batch a socket read) are written in one
 * transaction at end, so the caller must send nothing it got meanwhile
 * before end returns. Batches nest. */
void       cr_engine_begin_batch     (CrEngine     *self);
void       cr_engine_end_batch       (CrEngine     *self,
                                      CrEngineTime  now,
                                      GPtrArray    *out);

/* A fan-out to hundreds of members makes thousands of datagrams (each
 * sealed for its member): while it walks the members after a batch's
 * write (and the sessions a tick flushes), the engine calls func whenever
 * out holds CR_ENGINE_OUTPUT_CHUNK datagrams or more, so the caller can
 * send them at once (and remove what it sent from out) instead of holding
 * them all until the call returns. Everything in out is written by then:
 * func is never called inside a batch before its write. Without a func,
 * out grows until the call returns. */
#define CR_ENGINE_OUTPUT_CHUNK 128
typedef void (*CrEngineOutputFunc)  (gpointer    user_data);

void       cr_engine_set_output_func (CrEngine            *self,
                                      CrEngineOutputFunc   func,
                                      gpointer             user_data);

typedef void (*CrEngineStorageFunc) (gboolean    ok,
                                     const char *message,
                                     gpointer    user_data);

void       cr_engine_set_storage_func (CrEngine            *self,
                                       CrEngineStorageFunc  func,
                                       gpointer             user_data);
gboolean   cr_engine_get_storage_ok  (CrEngine *self);
/* Why storage is not ok, for the owner; NULL when it is. */
const char *cr_engine_get_storage_problem (CrEngine *self);
/* Events the room delivered and has not written yet. */
guint      cr_engine_get_n_unsaved   (CrEngine *self);

/* Failed logins. After three wrong passwords for a name, or from an IP,
 * each one doubles the wait before the next attempt is even looked at (1 s
 * up to 5 min); after
 * CR_ENGINE_LOGIN_LOCK_FAILURES the name is locked for
 * CR_ENGINE_LOGIN_LOCK_US. The owner sees the locked names (sorted, folded;
 * char*) and may lift a lock; unlock returns FALSE when the name had none. */
#define CR_ENGINE_LOGIN_LOCK_FAILURES 10
#define CR_ENGINE_LOGIN_LOCK_US       (15 * G_TIME_SPAN_MINUTE)
GPtrArray *cr_engine_dup_locked_names (CrEngine     *self,
                                       CrEngineTime  now);
gboolean   cr_engine_unlock_name     (CrEngine     *self,
                                      const char   *name);
/* Changes whenever a name is locked or a lock is lifted by the owner (a
 * lock that runs out just stops being listed). */
guint      cr_engine_get_locks_serial (CrEngine    *self);

/* Files (cr-files.h). Who holds this resume token (the WELCOME gives each
 * native member its own): the member's name (transfer full), role and
 * CR_MEMBER_* flags; FALSE when no member does. */
gboolean   cr_engine_lookup_token    (CrEngine     *self,
                                      const char   *token,
                                      char        **name,
                                      CrRole       *role,
                                      guint        *flags);
/* A CR_EVENT_FILE or CR_EVENT_FILE_EXPIRED into the room: stored and sent
 * like any event. */
void       cr_engine_file_event      (CrEngine     *self,
                                      CrEventKind   kind,
                                      const char   *name,
                                      const char   *text,
                                      CrEngineTime  now,
                                      GPtrArray    *out);

/* For the owner view: the address and dialect of a member. */
GSocketAddress *cr_engine_get_member_address (CrEngine *self,
                                              guint32   member_id);
void       cr_engine_get_stats       (CrEngine *self,
                                      CrStats  *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrAuthJob, cr_auth_job_free)

G_END_DECLS
