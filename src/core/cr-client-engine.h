/* cr-client-engine.h: a member's packet path, the mirror of cr-engine.h.
 * Datagrams from the room and the time in; datagrams to send and a queue of
 * outputs out. No socket, no clock, no main loop, no randomness of its own:
 * tests drive it with literal bytes and a fake clock, the fuzzer with
 * anything.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Times ("now") are monotonic microseconds chosen by the caller; only their
 * differences matter. The wall clock of classic lines (which carry none) is
 * now + CrClientJoin.wall_offset.
 *
 * Use: cr_client_engine_new(), set the timing, cr_client_engine_join() (the
 * state becomes CONNECTING and the join timeout starts), and once the room's
 * addresses are known cr_client_engine_start() (the probes begin). Then feed
 * every datagram from the room to cr_client_engine_receive() and call
 * cr_client_engine_tick() at cr_client_engine_next_deadline(). Each call
 * appends the datagrams to send to out (CrDatagram*, cr_datagram_free; a
 * NULL "to" means the room: while its address is not settled, every
 * address it may be at) and queues outputs: drain them with
 * cr_client_engine_pop_output() after each call, in order.
 *
 * The dialects (native, classic) sit behind one interface,
 * cr-client-dialect.h: until the room has answered, both listen.
 */
#pragma once

#include <gio/gio.h>

#include "cr-client.h"
#include "cr-engine.h"
#include "cr-types.h"

G_BEGIN_DECLS

/* Above this many members, a list from the room is refused (a hostile room
 * must not make us hold any amount of it). */
#define CR_CLIENT_MEMBERS_MAX  4096

typedef struct _CrClientEngine CrClientEngine;

typedef struct {
  const char *name;          /* validated and normalized (cr_name_validate) */
  const char *password;      /* NULL or "": a guest */
  gboolean    do_register;
  const char *owner_token;   /* the embedded room's token; NULL for everyone else */
  const char *address;       /* "host:port": a classic room's name */
  gint64      wall_offset;   /* wall clock = now + wall_offset (classic lines) */
  /* Trust on first use (cr-trust.h): the identity key remembered for this
   * address (32 bytes), NULL for a room never met. A room that shows
   * another key is refused (JOIN_FAILED, CR_REASON_KEY_CHANGED) unless
   * accept_new_key. */
  const guint8 *known_key;
  gboolean    accept_new_key;
  /* Ask before a room never met (no known_key): its join fails with
   * CR_REASON_KEY_NEW once it proved its key, before our name or password
   * leaves; unless the key's fingerprint is accepted_fingerprint (the one
   * the user was shown and chose to join). */
  gboolean    confirm_new_key;
  const char *accepted_fingerprint;
  /* Tests and fuzzers only: speak the plaintext native dialect of a room
   * without an identity (CrEngineConfig.identity NULL). */
  gboolean    plaintext;
} CrClientJoin;

typedef struct {
  char     *name;
  CrRole    role;
  guint     flags;      /* CrMemberFlags */
  gboolean  is_self;
} CrClientMember;

typedef enum {
  CR_CLIENT_OUTPUT_STATE = 1,   /* state; reason: close reason when CLOSED */
  CR_CLIENT_OUTPUT_IDENTITY,    /* name, room_name, role, dialect (all four, current) */
  CR_CLIENT_OUTPUT_JOINED,      /* the join succeeded; its history came before */
  CR_CLIENT_OUTPUT_JOIN_FAILED, /* reason, detail (NULL or a line from the room) */
  CR_CLIENT_OUTPUT_CLOSED,      /* reason: the session ended (after STATE CLOSED) */
  CR_CLIENT_OUTPUT_EVENT,       /* event, own, announce (news, not replayed history) */
  CR_CLIENT_OUTPUT_MEMBERS,     /* members: the whole list, replaces the last */
  CR_CLIENT_OUTPUT_MEMBER_ADDED,   /* member */
  CR_CLIENT_OUTPUT_MEMBER_REMOVED, /* member (only its name matters) */
  CR_CLIENT_OUTPUT_MEMBER_CHANGED, /* member: new flags */
  CR_CLIENT_OUTPUT_SENT,        /* origin: own message in the room at seq, time_us
                                 * (0: keep the row's own time) */
  CR_CLIENT_OUTPUT_FAILED,      /* origin, reason: own message refused or timed out */
  CR_CLIENT_OUTPUT_ROOM_KEY,    /* key_trust: the room proved its identity key
                                 * (cr_client_engine_get_room_key), once per engine */
  /* The conversation (cr-client-conversation.c). */
  CR_CLIENT_OUTPUT_PAGE,        /* seq (the before asked), events (oldest first),
                                 * complete (nothing older) */
  CR_CLIENT_OUTPUT_RESULTS,     /* origin (the search's request), events (newest
                                 * first), complete (FALSE: there were more) */
  CR_CLIENT_OUTPUT_RECALL_FAILED, /* origin (the request), seq, reason */
  CR_CLIENT_OUTPUT_ROOM_STATE,  /* the pin, mute-all or one's mute changed
                                 * (cr-client-moderation.h's getters) */
  CR_CLIENT_OUTPUT_MANAGE_REFUSED, /* origin, reason: a MANAGE the room refused */
} CrClientOutputKind;


typedef struct {
  CrClientOutputKind  kind;
  CrClientState       state;
  CrReason            reason;
  char               *detail;
  char               *name;
  char               *room_name;
  CrRole              role;
  CrDialect           dialect;
  CrEvent            *event;
  gboolean            own;
  gboolean            announce;
  CrClientMember     *member;
  GPtrArray          *members;   /* CrClientMember*, in the room's order */
  guint64             origin;
  guint64             seq;
  gint64              time_us;
  CrKeyTrust          key_trust;
  GPtrArray          *events;    /* CrEvent*: PAGE, RESULTS */
  gboolean            complete;
} CrClientOutput;

/* Datagrams the engine dropped, by why. Every one also counts in
 * datagrams_in. */
typedef struct {
  guint64 datagrams_in;
  guint64 datagrams_out;
  guint64 malformed;   /* did not parse: header, body, UTF-8, over length */
  guint64 spoofed;     /* from another address, or another session */
  guint64 rejected;    /* parsed, but not acceptable: bad name, text, kind, list */
  guint64 stale;       /* nothing new: seen events, the other dialect, late answers */
  guint64 unsealed;    /* plaintext where only sealed is taken */
  guint64 unopened;    /* sealed, but did not authenticate: tampered, truncated,
                        * another session's keys; or a KEY with a bad signature */
  guint64 replayed;    /* authentic, but seen before */
} CrClientEngineStats;

void            cr_client_member_free        (CrClientMember *member);
void            cr_client_output_free        (CrClientOutput *output);

/* origin_base: the high half of own message ids (random per client, so
 * two clients never share one); the low half counts. */
CrClientEngine *cr_client_engine_new         (guint64             origin_base);
void            cr_client_engine_free        (CrClientEngine     *self);

/* Microseconds; 0 keeps the default (2 s, 6 s, 5 s). Any time. */
void            cr_client_engine_set_timing  (CrClientEngine     *self,
                                              gint64              keepalive_us,
                                              gint64              silence_us,
                                              gint64              join_timeout_us);

/* DISCONNECTED → CONNECTING. FALSE if this engine joined before. */
gboolean        cr_client_engine_join        (CrClientEngine     *self,
                                              const CrClientJoin *join,
                                              gint64              now);
/* The room's addresses are known and sockets open: probe. */
void            cr_client_engine_start       (CrClientEngine     *self,
                                              gint64              now,
                                              GPtrArray          *out);
/* A datagram from the room. from may be NULL (not checked); otherwise the
 * first accepted datagram's address is the room's, and others are dropped. */
void            cr_client_engine_receive     (CrClientEngine     *self,
                                              const guint8       *data,
                                              gsize               len,
                                              GSocketAddress     *from,
                                              gint64              now,
                                              GPtrArray          *out);
void            cr_client_engine_tick        (CrClientEngine     *self,
                                              gint64              now,
                                              GPtrArray          *out);
/* When to tick: 0 at once (something arrived or was queued), G_MAXINT64
 * never (until the next receive or call). */
gint64          cr_client_engine_next_deadline (CrClientEngine   *self);

/* An own message (text validated by the caller). Returns its origin (0 when not
 * in a room); SENT or FAILED follows as an output. */
guint64         cr_client_engine_send        (CrClientEngine     *self,
                                              const char         *text,
                                              gint64              now,
                                              GPtrArray          *out);
/* The conversation (cr-client-conversation.c). Native rooms only: each
 * returns 0 (or FALSE) where it cannot be done now, or with a classic room
 * (which has no such thing; a reply there goes out as plain text).
 * An own message that replies to reply_to (0: none) and/or goes privately
 * to the member called to (NULL: the room). Returns its origin. */
guint64         cr_client_engine_send_full   (CrClientEngine     *self,
                                              const char         *text,
                                              guint64             reply_to,
                                              const char         *to,
                                              gint64              now,
                                              GPtrArray          *out);
/* Take back the message seq: the RECALL event says it happened, a
 * RECALL_FAILED output why not. Returns the request's id. */
guint64         cr_client_engine_recall      (CrClientEngine     *self,
                                              guint64             seq,
                                              gint64              now,
                                              GPtrArray          *out);
/* Ask for up to CR_PAGE_MAX events before before (0: the newest): a PAGE
 * output answers. */
gboolean        cr_client_engine_request_page (CrClientEngine    *self,
                                              guint64             before,
                                              gint64              now,
                                              GPtrArray          *out);
/* Search the room's history (query ≤ CR_SEARCH_QUERY_MAX_BYTES): a
 * RESULTS output with the returned id answers. */
guint32         cr_client_engine_search      (CrClientEngine     *self,
                                              const char         *query,
                                              gint64              now,
                                              GPtrArray          *out);
/* Send a failed own message again, same origin. FALSE: not possible now. */
gboolean        cr_client_engine_retry       (CrClientEngine     *self,
                                              guint64             origin,
                                              const char         *text,
                                              gint64              now,
                                              GPtrArray          *out);
/* Say goodbye: LEAVING until the room acks (≤ 1 s), then CLOSED (NONE). */
void            cr_client_engine_leave       (CrClientEngine     *self,
                                              gint64              now,
                                              GPtrArray          *out);
/* The caller gave up (cancelled, nothing to resolve): CLOSED at once. */
void            cr_client_engine_abort       (CrClientEngine     *self,
                                              CrReason            reason);

/* Next output, NULL when none (transfer full). */
CrClientOutput *cr_client_engine_pop_output  (CrClientEngine     *self);

CrClientState   cr_client_engine_get_state   (CrClientEngine     *self);
CrDialect       cr_client_engine_get_dialect (CrClientEngine     *self);
const char     *cr_client_engine_get_name    (CrClientEngine     *self);
const char     *cr_client_engine_get_room_name (CrClientEngine   *self);
CrRole          cr_client_engine_get_role    (CrClientEngine     *self);
CrReason        cr_client_engine_get_close_reason (CrClientEngine *self);
guint64         cr_client_engine_get_last_seq (CrClientEngine    *self);
/* The native session the room gave (0: none yet, or classic). */
guint32         cr_client_engine_get_session (CrClientEngine     *self);
/* Shared files (cr-file-client.h): the room's address that answered and
 * the native session's resume token, which proves membership to the
 * room's file service. NULL for a classic room or before the welcome. */
GSocketAddress *cr_client_engine_get_room_address (CrClientEngine *self);
const char     *cr_client_engine_get_file_token (CrClientEngine  *self);
/* CrClientMember*, in the room's order (borrowed). */
GPtrArray      *cr_client_engine_get_members (CrClientEngine     *self);
guint           cr_client_engine_get_n_pending (CrClientEngine   *self);
void            cr_client_engine_get_stats   (CrClientEngine     *self,
                                              CrClientEngineStats *stats);
/* The identity key the room proved (32 bytes, borrowed), NULL before the
 * handshake (and for a classic room). */
const guint8   *cr_client_engine_get_room_key (CrClientEngine    *self);
/* After CR_REASON_KEY_CHANGED: the key the room showed instead; after
 * CR_REASON_KEY_NEW, the key of the room met for the first time. */
const guint8   *cr_client_engine_get_offered_key (CrClientEngine *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrClientOutput, cr_client_output_free)

/* Same host and port (the room's address against a datagram's source). */
gboolean        cr_client_address_equal      (GSocketAddress     *a,
                                              GSocketAddress     *b);

G_END_DECLS
