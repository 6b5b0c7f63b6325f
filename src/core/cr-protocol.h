/* cr-protocol.h: the wire codec, both dialects. Pure: bytes in, values out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * NATIVE dialect. Every datagram = 24-byte header + body (≤ CR_DATAGRAM_MAX).
 *
 *   off size field
 *   0   2    magic 0xCB 0x52  (0xCB then 'R' is invalid UTF-8, so a native
 *                              datagram can never parse as a classic one)
 *   2   1    version = 1
 *   3   1    type (CrPacketType)
 *   4   1    flags: bit0 CR_FLAG_RELIABLE, bit1 CR_FLAG_MORE (a fragment
 *            that continues in the next reliable packet); other bits 0
 *   5   3    reserved, 0
 *   8   4    session id, big-endian (0 before WELCOME)
 *   12  4    packet number of this reliable packet, BE (0 = unreliable)
 *   16  4    ack: highest packet number received in order from the peer, BE
 *   20  4    ack bits: bit i set = packet (ack + 1 + i) received too, BE
 *
 * The body is a GVariant in normal form of a fixed type per packet type
 * (cr_packet_body_type()). A reliable message longer than one datagram is cut
 * into fragments: every fragment but the last carries CR_FLAG_MORE; only the
 * reassembled bytes are parsed as the GVariant.
 *
 *   type          dir  rel  body
 *   JOIN     1    c→s  no   (sssbts)  name, password ("" = guest), resume token
 *                                     ("" = new), register, resume seq (last
 *                                     seen event, 0 = none), owner token
 *   WELCOME  2    s→c  yes  (sssut)   room name, your name (canonical), resume
 *                                     token, role (CrRole), latest seq; sent
 *                                     again in a session when the room is
 *                                     renamed (then a MEMBERS snapshot)
 *   REFUSE   3    s→c  no   (us)      CrReason, detail (English, for logs)
 *   EVENT    4    s→c  yes  (txussta{sv}) seq, time µs, CrEventKind, name, text,
 *                                     origin, extras (below)
 *   MEMBERS  5    s→c  yes  (ta(suu)) snapshot seq; name, CrRole, CR_MEMBER_* flags
 *   CHAT     6    c→s  yes  (tsa{sv}) client message id (origin), text, extras:
 *                                     "reply-to" t (the seq it answers), "to" s
 *                                     (a member's name: a private message)
 *   NOTICE   7    s→c  yes  (ut)      CrReason, origin: your message was refused
 *   BYE      8    both yes  (us)      CrReason, detail: session ends (kick, ban,
 *                                     room closed; LEAVE from the client)
 *   PING     9    both no   ()        keepalive; the server answers with ACK
 *   ACK      10   both no   ()        only the header's ack fields matter
 *   HELLO    11   c→s  no   (ay)      the client's ephemeral key (cr-crypto.h)
 *   KEY      12   s→c  no   (ayayay)  the room's ephemeral key, identity, signature
 *   SEALED   13   both —    —         any of the above, sealed: its own
 *                                     16-byte header (cr-crypto.h), not this one
 *   RECALL   14   c→s  yes  (tt)      request id (an origin), seq to take back;
 *                                     answered by the RECALL event (its origin
 *                                     the request id) or a NOTICE
 *   HISTORY  15   c→s  yes  (tu)      before seq (0: the newest), at most n events
 *   PAGE     16   s→c  yes  (tba(txussta{sv}))  before (as asked), complete
 *                                     (nothing older), events oldest first,
 *                                     ≤ CR_PAGE_MAX, each as in EVENT
 *   (17: reserved; a private message is a CHAT with "to")
 *   SEARCH   18   c→s  yes  (us)      request id, query (≤ CR_SEARCH_QUERY_MAX_BYTES)
 *   RESULTS  19   s→c  yes  (uba(txussta{sv}))  request id, more (results were
 *                                     cut), events newest first, ≤ CR_SEARCH_MAX_RESULTS
 *
 * EVENT extras (issue 14), a dictionary so that it can grow; a reader takes
 * the keys it knows and ignores the others; a known key of another type, or
 * more than CR_EVENT_EXTRAS_MAX entries, refuses the whole event:
 *   "ref"         t   CHAT: the message it replies to; RECALL: the one recalled
 *   "quote-name"  s   a reply: the quoted sender (a name, ≤ CR_NAME_MAX_BYTES)
 *   "quote-text"  s   its first line (no newline, ≤ CR_QUOTE_MAX_BYTES); the
 *                     room fills both from its own history, never the sender
 *   "to"          s   a private message: the member it is for (a name); the
 *                     room sends it to that member and the sender only
 *   "recalled"    b   TRUE: taken back; text and quote-text are ""
 *   "by"          s   KICK, BAN, MUTE by an admin: the admin (a name); absent:
 *                     the owner did it
 * Absent keys are 0, "" or FALSE; a writer leaves out what is not set.
 *   MANAGE   20   c→s  yes  (utsx)    CrManageAction, origin, argument (a name,
 *                                     or the text to pin), mute seconds (0 =
 *                                     until lifted); refused: NOTICE (reason, origin)
 *   STATE    21   s→c  yes  (sbxu)    the room's state for you: pinned text ("" =
 *                                     none), everyone muted, your mute (-1 none,
 *                                     0 until lifted, else ms left), your CrRole;
 *                                     after the WELCOME and whenever it changes
 *   BATCH    24   s→c  yes  (a(yay))  several whole messages in one: each an
 *                                     inner type and that type's body bytes,
 *                                     taken in order as if each had come alone
 *
 * BATCH is how a room tells its members of a burst (a class joining, a
 * read of many chats) in one datagram per member instead of one per event
 * (cr-engine.c). Its inner bodies are opaque to the batch: a body type that
 * grows needs no change here. A member takes a BATCH only whole: at most
 * CR_BATCH_ITEMS_MAX items, each of a type cr_batch_inner_allowed() says a
 * room may batch (never BATCH itself), each body that type's normal form;
 * anything else drops the whole BATCH (counted).
 *
 * A client sends first CR_PROBE_TEXT (valid UTF-8 that the classroom server
 * ignores); a native server answers it with an unreliable PING (session 0)
 * whose ack field is a cookie: a keyed hash of the client's address. The
 * JOIN carries that cookie in its ack field; a JOIN without the right one
 * only gets the PING again. So a forged source address never makes the room
 * send more than it received (the welcome and history are large).
 *
 * ENCRYPTION. A room with an identity key (every CrServer) takes no
 * plaintext JOIN (it answers REFUSE CR_REASON_VERSION) and no plaintext
 * datagram of a session: after the PING, the client sends HELLO (ack =
 * cookie), the room answers KEY, and the JOIN and everything after it,
 * both ways, travel SEALED (cr-crypto.h: the handshake, the sealing, the
 * replay window). Still plaintext: the probe and its PING, HELLO and KEY,
 * and REFUSE (a refused JOIN, a session the room does not know: both
 * carry only a CrReason). Only a room built without an identity (tests,
 * fuzzers) speaks the plaintext native dialect, and only to clients told
 * to (CrClientJoin.plaintext). The bodies of sealed datagrams are at most
 * CR_BODY_MAX, so that a sealed datagram still fits CR_DATAGRAM_MAX.
 *
 * CLASSIC dialect (the classroom programs): UTF-8 text datagrams
 *   "N name" → "OK" | "该昵称已被占用" | another refusal line
 *   "M name text…"   "Q name"      server → client: plain text lines
 */
#pragma once

#include <glib.h>
#include "cr-types.h"

G_BEGIN_DECLS

#define CR_PROTOCOL_VERSION  1
#define CR_HEADER_SIZE       24
/* Room for the seal (cr-crypto.h: CR_SEAL_OVERHEAD, 32 bytes). */
#define CR_BODY_MAX          (CR_DATAGRAM_MAX - CR_HEADER_SIZE - 32)
#define CR_PROBE_TEXT        "CHATROOM-HELLO 1"
#define CR_CLASSIC_OK        "OK"
#define CR_CLASSIC_TAKEN     "该昵称已被占用"
#define CR_EVENT_EXTRAS_MAX  16

typedef enum {
  CR_PACKET_JOIN = 1,
  CR_PACKET_WELCOME,
  CR_PACKET_REFUSE,
  CR_PACKET_EVENT,
  CR_PACKET_MEMBERS,
  CR_PACKET_CHAT,
  CR_PACKET_NOTICE,
  CR_PACKET_BYE,
  CR_PACKET_PING,
  CR_PACKET_ACK,
  CR_PACKET_HELLO,
  CR_PACKET_KEY,
  CR_PACKET_SEALED = 13,  /* not a header type: cr-crypto.h's outer header */
  CR_PACKET_RECALL = 14,
  CR_PACKET_HISTORY,
  CR_PACKET_PAGE,
  CR_PACKET_SEARCH = 18,  /* 17 reserved */
  CR_PACKET_RESULTS,
  CR_PACKET_MANAGE = 20,  /* 20–23: room management (issue 15) */
  CR_PACKET_STATE = 21,
  CR_PACKET_LAST = CR_PACKET_STATE,
  CR_PACKET_BATCH = 24,   /* several messages in one (above); not in JOIN…LAST */
} CrPacketType;

/* Items one BATCH carries at most. */
#define CR_BATCH_ITEMS_MAX   256

/* Whether a header may carry type: one of JOIN…LAST that has a body type,
 * or BATCH. */
gboolean       cr_packet_type_is_valid   (guint type);

/* What a MANAGE asks for. The room decides who may (cr-engine-moderation.h). */
typedef enum {
  CR_MANAGE_KICK = 1,
  CR_MANAGE_MUTE,         /* for the given seconds, 0: until lifted */
  CR_MANAGE_UNMUTE,
  CR_MANAGE_MUTE_ALL,     /* no argument */
  CR_MANAGE_UNMUTE_ALL,
  CR_MANAGE_BAN,          /* the owner's only: */
  CR_MANAGE_UNBAN,
  CR_MANAGE_ADMIN,
  CR_MANAGE_UNADMIN,
  CR_MANAGE_PIN,          /* argument: the text; "" removes the pin */
  CR_MANAGE_LAST = CR_MANAGE_PIN,
} CrManageAction;

typedef enum {
  CR_FLAG_RELIABLE = 1 << 0,
  CR_FLAG_MORE     = 1 << 1,
} CrPacketFlags;

typedef struct {
  guint8  version;
  guint8  type;          /* CrPacketType */
  guint8  flags;         /* CrPacketFlags */
  guint32 session;
  guint32 number;        /* 0 = unreliable */
  guint32 ack;
  guint32 ack_bits;
} CrHeader;

typedef enum {
  CR_PARSE_OK = 0,
  CR_PARSE_TOO_SHORT,
  CR_PARSE_TOO_LONG,
  CR_PARSE_BAD_MAGIC,
  CR_PARSE_BAD_VERSION,
  CR_PARSE_BAD_TYPE,
  CR_PARSE_BAD_FLAGS,
  CR_PARSE_BAD_BODY,     /* not the type's GVariant, or invalid UTF-8 inside */
} CrParseResult;

/* Is this datagram native (magic) rather than classic text? */
gboolean       cr_protocol_is_native     (const guint8 *data,
                                          gsize         len);

/* Header: write exactly CR_HEADER_SIZE bytes / read and check them.
 * On success *body and *body_len point inside data. */
void           cr_header_write           (const CrHeader *header,
                                          guint8         *out);
CrParseResult  cr_header_parse           (const guint8   *data,
                                          gsize           len,
                                          CrHeader       *header,
                                          const guint8  **body,
                                          gsize          *body_len);

/* A whole datagram: header + body bytes. */
GBytes        *cr_datagram_build         (const CrHeader *header,
                                          const guint8   *body,
                                          gsize           body_len);

/* Body GVariant type for a packet type ("()" for PING/ACK); NULL for a
 * number that is no header type (0, SEALED, 17, beyond the last). */
const GVariantType *cr_packet_body_type  (CrPacketType type);

/* Parse a (reassembled) body: checks the type and normal form (which
 * includes every string's being valid UTF-8 without a NUL inside).
 * Returns a floating-free ref or NULL. */
GVariant      *cr_body_parse             (CrPacketType   type,
                                          const guint8  *body,
                                          gsize          len);

/* Body builders (serialized bytes). */
GBytes        *cr_body_join              (const char *name,
                                          const char *password,
                                          const char *resume_token,
                                          gboolean    do_register,
                                          guint64     resume_seq,
                                          const char *owner_token);
GBytes        *cr_body_welcome           (const char *room_name,
                                          const char *your_name,
                                          const char *resume_token,
                                          CrRole      role,
                                          guint64     latest_seq);
GBytes        *cr_body_refuse            (CrReason    reason,
                                          const char *detail);
GBytes        *cr_body_event             (const CrEvent *event);
GBytes        *cr_body_chat              (guint64     origin,
                                          const char *text);
/* A CHAT with its extras: reply_to 0 and to NULL leave them out. */
GBytes        *cr_body_chat_full         (guint64     origin,
                                          const char *text,
                                          guint64     reply_to,
                                          const char *to);
GBytes        *cr_body_recall            (guint64     request,
                                          guint64     seq);
GBytes        *cr_body_history           (guint64     before,
                                          guint       max);
/* events: CrEvent*, as they go (PAGE oldest first, RESULTS newest first). */
GBytes        *cr_body_page              (guint64     before,
                                          gboolean    complete,
                                          GPtrArray  *events);
GBytes        *cr_body_search            (guint32     request,
                                          const char *query);
GBytes        *cr_body_results           (guint32     request,
                                          gboolean    more,
                                          GPtrArray  *events);
GBytes        *cr_body_notice            (CrReason    reason,
                                          guint64     origin);
GBytes        *cr_body_bye               (CrReason    reason,
                                          const char *detail);
GBytes        *cr_body_empty             (void);
/* HELLO and KEY: raw 32-byte keys and a 64-byte signature. */
GBytes        *cr_body_hello             (const guint8 *client_ephemeral);
GBytes        *cr_body_key               (const guint8 *room_ephemeral,
                                          const guint8 *identity,
                                          const guint8 *signature);
/* A parsed HELLO / KEY body: FALSE when a key or the signature has the
 * wrong length. Pointers into body. */
gboolean       cr_hello_from_body        (GVariant      *body,
                                          const guint8 **client_ephemeral);
gboolean       cr_key_from_body          (GVariant      *body,
                                          const guint8 **room_ephemeral,
                                          const guint8 **identity,
                                          const guint8 **signature);

GBytes        *cr_body_manage            (CrManageAction action,
                                          guint64        origin,
                                          const char    *argument,
                                          gint64         seconds);
GBytes        *cr_body_state             (const char    *pin,
                                          gboolean       mute_all,
                                          gint64         mute_left_ms,
                                          CrRole         role);

/* MEMBERS: begin, add members, end. */
typedef struct _CrMembersBuilder CrMembersBuilder;
CrMembersBuilder *cr_members_builder_new (guint64 snapshot_seq);
void           cr_members_builder_add    (CrMembersBuilder *builder,
                                          const char       *name,
                                          CrRole            role,
                                          guint             flags);
GBytes        *cr_members_builder_end    (CrMembersBuilder *builder);  /* frees builder */

/* BATCH. A builder takes whole bodies (EVENT…) until the next one would
 * not fit in one datagram's body (CR_BODY_MAX). */
typedef struct _CrBatchBuilder CrBatchBuilder;
CrBatchBuilder *cr_batch_builder_new     (void);
/* FALSE (and nothing added) when the item would make the batch too big
 * for one datagram or CR_BATCH_ITEMS_MAX items: end this one, start another. */
gboolean       cr_batch_builder_add      (CrBatchBuilder *builder,
                                          CrPacketType    type,
                                          GBytes         *body);
guint          cr_batch_builder_get_n_items (CrBatchBuilder *builder);
GBytes        *cr_batch_builder_end      (CrBatchBuilder *builder);  /* frees builder */
void           cr_batch_builder_free     (CrBatchBuilder *builder);

/* May a room send this type inside a BATCH? */
gboolean       cr_batch_inner_allowed    (CrPacketType    type);

typedef struct {
  CrPacketType  type;
  GVariant     *body;   /* parsed (cr_body_parse) */
} CrBatchItem;

/* Parse a (reassembled) BATCH body and every item in it: CR_PARSE_OK and
 * *items (CrBatchItem*, freed by the array) only when all of it is good;
 * CR_PARSE_BAD_BODY for a body that is not a(yay) or an item whose body
 * does not parse, CR_PARSE_BAD_TYPE for an inner type not allowed (BATCH
 * in BATCH among them), CR_PARSE_TOO_LONG for more than CR_BATCH_ITEMS_MAX
 * items, CR_PARSE_TOO_SHORT for none. */
CrParseResult  cr_batch_parse            (const guint8  *body,
                                          gsize          len,
                                          GPtrArray    **items);

/* A BATCH straight to its events (CrEvent*; only EVENT is batched,
 * cr_batch_inner_allowed): the same results as cr_batch_parse for the
 * same bytes, and *events the events cr_event_from_body makes of its
 * items, NULL for one whose extras it refuses (the caller counts it and
 * takes the others). Most of it is read in place (cr-protocol-events.c),
 * without a GVariant per item: what a busy room's members read. */
CrParseResult  cr_batch_parse_events     (const guint8  *body,
                                          gsize          len,
                                          GPtrArray    **events);

/* An EVENT body straight to a CrEvent: CR_PARSE_BAD_BODY where
 * cr_body_parse would refuse it, else CR_PARSE_OK and *event what
 * cr_event_from_body makes of it (NULL when it refuses the extras). */
CrParseResult  cr_event_parse            (const guint8  *body,
                                          gsize          len,
                                          CrEvent      **event);

/* Parsed-body accessors (bodies from cr_body_parse). */
/* EVENT → CrEvent; NULL when its extras are not as specified above. */
CrEvent       *cr_event_from_body        (GVariant *body);
/* CHAT: borrowed strings; *reply_to 0 and *to NULL when absent. FALSE when
 * an extra has the wrong type or "to" is no name. */
gboolean       cr_chat_from_body         (GVariant     *body,
                                          guint64      *origin,
                                          const char  **text,
                                          guint64      *reply_to,
                                          const char  **to);
/* PAGE and RESULTS: the events (CrEvent*, transfer full), NULL when one is
 * malformed or there are more than the limit. *head: PAGE's before or
 * RESULTS' request; *flag: complete or more. */
GPtrArray     *cr_events_from_body       (CrPacketType  type,
                                          GVariant     *body,
                                          guint64      *head,
                                          gboolean     *flag);

/* CLASSIC dialect. */
typedef enum {
  CR_CLASSIC_INVALID = 0,
  CR_CLASSIC_JOIN,      /* "N name" */
  CR_CLASSIC_MESSAGE,   /* "M name text" (text keeps its inner spaces) */
  CR_CLASSIC_QUIT,      /* "Q name" */
  CR_CLASSIC_PROBE,     /* CR_PROBE_TEXT: a native client looking for us */
} CrClassicKind;

/* Parse a classic datagram. Refuses invalid UTF-8 and unknown verbs.
 * *name / *text are newly allocated (text may be "" for "M name"). */
CrClassicKind  cr_classic_parse          (const guint8 *data,
                                          gsize         len,
                                          char        **name,
                                          char        **text);
GBytes        *cr_classic_join           (const char *name);
GBytes        *cr_classic_message        (const char *name,
                                          const char *text);
GBytes        *cr_classic_quit           (const char *name);

const char    *cr_parse_result_to_string (CrParseResult result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrBatchBuilder, cr_batch_builder_free)

G_END_DECLS
