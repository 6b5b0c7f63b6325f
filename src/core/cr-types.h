/* cr-types.h: values shared by every part of the core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The protocol's limits, in one place. */
#define CR_NAME_MAX_CHARS      32      /* after NFC */
#define CR_NAME_MAX_BYTES      128
#define CR_TEXT_MAX_BYTES      4096    /* one chat message, UTF-8 */
#define CR_PASSWORD_MIN_BYTES  4
#define CR_PASSWORD_MAX_BYTES  256
#define CR_DATAGRAM_MAX        1200    /* on the wire, header included */
#define CR_HISTORY_ON_JOIN     50
#define CR_DEFAULT_PORT        10024
/* Issue 14: replies, pages of older history, search. */
#define CR_QUOTE_MAX_BYTES     240     /* a reply's quoted first line, cut at a character */
#define CR_PAGE_MAX            50      /* events in one page of older history */
#define CR_SEARCH_MAX_RESULTS  20
#define CR_SEARCH_QUERY_MAX_BYTES 200
#define CR_RECALL_WINDOW_US    (2 * G_TIME_SPAN_MINUTE)   /* a member's own message */

/* What happened in the room. Stored in history with a room-wide sequence
 * number; rendered by each reader in their own language (cr-render). */
typedef enum {
  CR_EVENT_CHAT = 1,        /* name said text */
  CR_EVENT_OWNER_CHAT,      /* the owner (name) said text: "群主说：…" */
  CR_EVENT_ANNOUNCE,        /* the owner's announcement: text */
  CR_EVENT_JOIN,            /* name joined */
  CR_EVENT_LEAVE,           /* name left */
  CR_EVENT_TIMEOUT,         /* name was silent too long and was dropped */
  CR_EVENT_KICK,            /* name was removed by the owner */
  CR_EVENT_BAN,             /* name was banned (and removed) by the owner */
  CR_EVENT_UNBAN,
  CR_EVENT_MUTE,            /* name may no longer speak */
  CR_EVENT_UNMUTE,
  CR_EVENT_ROOM_CLOSED,     /* the owner closed the room */
  CR_EVENT_FILE,            /* name shared a file; text: cr-files.h's event text */
  CR_EVENT_FILE_EXPIRED,    /* a file left the room's storage (quota); same text */
  CR_EVENT_RECALL,          /* a message left the room: ref_seq is it, name its sender */
  CR_EVENT_ADMIN,           /* name was made an admin by the owner */
  CR_EVENT_UNADMIN,         /* name is no longer an admin */
  CR_EVENT_MUTE_ALL,        /* everyone but the owner and admins is silenced;
                             * name: the admin who did it, "" for the owner */
  CR_EVENT_UNMUTE_ALL,      /* the same, lifted; name as for MUTE_ALL */
  CR_EVENT_PIN,             /* the owner pinned text as the room's announcement */
  CR_EVENT_UNPIN,           /* the owner removed the pinned announcement */
  CR_EVENT_LAST = CR_EVENT_UNPIN,   /*< skip >*/
} CrEventKind;

typedef struct {
  guint64      seq;       /* room-wide, from 1, never reused */
  gint64       time_us;   /* wall clock, g_get_real_time() */
  CrEventKind  kind;
  char        *name;      /* subject: sender, joiner, kicked member… */
  char        *text;      /* chat or announcement text, "" otherwise */
  guint64      origin;    /* sender's client message id for CHAT, else 0 */
  /* The conversation (issue 14); on the wire in the EVENT body's extras
   * (cr-protocol.h). All optional: 0, NULL or FALSE when absent. */
  guint64      ref_seq;     /* CHAT: the message it replies to; RECALL: the one recalled */
  char        *quote_name;  /* a reply: the quoted message's sender */
  char        *quote_text;  /* and its first line, ≤ CR_QUOTE_MAX_BYTES */
  char        *target;      /* a private message: the one member it is for */
  gboolean     recalled;    /* the text was taken back (text and quote are "") */
  char        *actor;       /* kick, ban, mute by an admin: the admin (NULL: the owner) */
} CrEvent;

CrEvent  *cr_event_new   (guint64      seq,
                          gint64       time_us,
                          CrEventKind  kind,
                          const char  *name,
                          const char  *text,
                          guint64      origin);
CrEvent  *cr_event_copy  (const CrEvent *event);
void      cr_event_free  (CrEvent       *event);
gboolean  cr_event_kind_is_chat (CrEventKind kind);
/* A private message (target set): seen only by its sender and its target. */
gboolean  cr_event_is_private (const CrEvent *event);
/* Whether the member called name may see event (private messages: only
 * their two members). */
gboolean  cr_event_visible_to (const CrEvent *event,
                               const char    *name);
/* Make event a reply to quoted: ref_seq, its sender and its first line,
 * cut to CR_QUOTE_MAX_BYTES at a character boundary. */
void      cr_event_set_quote  (CrEvent       *event,
                               const CrEvent *quoted);
/* Take the text back: "" text and quote, recalled set. */
void      cr_event_recall     (CrEvent       *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrEvent, cr_event_free)

/* Why the room said no. Sent as a number; every client renders it in its own
 * language (cr_reason_to_string). Numbers are wire values: never renumber. */
typedef enum {
  CR_REASON_NONE = 0,
  CR_REASON_NAME_TAKEN = 1,
  CR_REASON_NAME_INVALID = 2,
  CR_REASON_WRONG_PASSWORD = 3,
  CR_REASON_NAME_REGISTERED = 4,      /* a guest tried a registered name */
  CR_REASON_NOT_REGISTERED = 5,       /* a password for a name with no account */
  CR_REASON_ALREADY_REGISTERED = 6,   /* register a name that has an account */
  CR_REASON_PASSWORD_INVALID = 7,     /* too short or too long */
  CR_REASON_REGISTRATION_REQUIRED = 8,
  CR_REASON_BANNED = 9,
  CR_REASON_ROOM_FULL = 10,
  CR_REASON_TEXT_INVALID = 11,
  CR_REASON_MUTED = 12,
  CR_REASON_RATE_LIMITED = 13,
  CR_REASON_KICKED = 14,
  CR_REASON_ROOM_CLOSED = 15,
  CR_REASON_TIMED_OUT = 16,
  CR_REASON_VERSION = 17,             /* protocol version not supported */
  CR_REASON_NO_ANSWER = 18,           /* client side: the room did not answer */
  CR_REASON_INTERNAL = 19,            /* the room failed to store or hash */
  CR_REASON_NO_SUCH_MEMBER = 20,      /* owner action on someone not in the room */
  CR_REASON_NOT_ALLOWED = 21,         /* owner action on the owner */
  CR_REASON_NO_CHANGE = 22,           /* already muted, not muted, already banned… */
  CR_REASON_KEY_CHANGED = 23,         /* client side: the room's identity key is not
                                       * the one remembered for its address (cr-trust.h) */
  CR_REASON_CLASSIC_REFUSED = 24,     /* the room takes no classic (unencrypted) members */
  CR_REASON_NAME_RESERVED = 25,       /* could pass for a line of the room's (cr_name_imitates_room) */
  CR_REASON_NAME_CONFUSABLE = 26,     /* looks like a member's or an account's name (cr_name_skeleton) */
  CR_REASON_NO_SUCH_MESSAGE = 27,     /* a reply or recall of a message the room does not
                                       * have (or the asker may not see) */
  CR_REASON_KEY_NEW = 28,             /* client side: a room met for the first time, stopped
                                       * for the user to compare its key (cr_client_set_confirm_new_key) */
  CR_REASON_MUTED_ALL = 29,           /* everyone is muted (cr-room.h: mute-all) */
  CR_REASON_LAST = CR_REASON_MUTED_ALL,   /*< skip >*/
} CrReason;

typedef enum {
  CR_ROLE_MEMBER = 0,
  CR_ROLE_OWNER = 1,
  CR_ROLE_ADMIN = 2,        /* appointed by the owner: mutes and kicks (cr-room.h) */
} CrRole;

typedef enum {
  CR_MEMBER_REGISTERED = 1 << 0,
  CR_MEMBER_MUTED      = 1 << 1,
  CR_MEMBER_CLASSIC    = 1 << 2,
} CrMemberFlags;

typedef enum {
  CR_DIALECT_NATIVE = 0,
  CR_DIALECT_CLASSIC = 1,   /* the classroom text protocol */
} CrDialect;

/* Names: 1–32 characters after NFC, no spaces or control characters,
 * unique case-insensitively; text: valid UTF-8 without control characters
 * but newline and tab. Both return the reason on failure.
 * cr_name_validate says what a name can be on the wire (a member of a
 * classroom server may be called anything it allows); what a room admits
 * is narrower (cr_name_imitates_room, cr_name_skeleton). */
CrReason  cr_name_validate (const char  *name,
                            gssize       len,
                            char       **out_normalized);   /* NFC, transfer full */
/* The case-insensitive key: the store's key for accounts and bans. */
char     *cr_name_fold     (const char  *normalized);
CrReason  cr_text_validate (const char  *text,
                            gssize       len);

/* A room refuses (CR_REASON_NAME_RESERVED) a name that could pass for a line
 * of its own in the classic dialect, where a line is "NAME 说 :TEXT" and
 * the room's own lines start with "群主说：", "【系统消息】:", "【公告】" (or
 * "Owner: ", "[System] ", "[Announcement] "). The rule, on the name's
 * skeleton (so full-width and look-alike forms count too):
 *   - no character the classic lines are framed with: ":" "：" "【" "】"
 *     "[" "]" (and their look-alikes, cr-confusable.c);
 *   - no name that starts with 群主 (owner), 系统 (system) or 公告
 *     (announcement): "群主", "群主说", "系统消息" are refused;
 *   - none that is "owner", "system" or "announcement", in any case.
 * So "群主说：", "【系统消息】", "Owner" and "ＯＷＮＥＲ" are refused; "teacher",
 * "张三" and "bob" are not. normalized is NFC (cr_name_validate). */
gboolean  cr_name_imitates_room (const char *normalized);

/* The key under which names a reader cannot tell apart are one name, after
 * UTS #39's skeleton, without ICU: NFKC (full-width "ｂｏｂ" is "bob"), the
 * common Cyrillic, Greek and Armenian look-alikes of Latin letters and the
 * digit/letter ones (0 o, 1 l I, rn m) mapped to one prototype
 * (cr-confusable.c), then case-folded: "bоb" (Cyrillic о), "ｂｏｂ", "BOB"
 * and "b0b" share bob's skeleton. A room refuses a name while a member
 * with its fold (CR_REASON_NAME_TAKEN) or its skeleton
 * (CR_REASON_NAME_CONFUSABLE) is in the room (cr-room.c), and while an
 * account of another fold has its skeleton (cr-engine-auth.c). The store
 * keeps each account's skeleton to look it up, but accounts and bans stay
 * keyed by cr_name_fold.
 * Transfer full. */
char     *cr_name_skeleton (const char *normalized);
/* Whether normalized has that skeleton; without making it, for most names
 * (a room compares a joiner with every member). */
gboolean  cr_name_skeleton_equal (const char *normalized,
                                  const char *skeleton);

/* A mute's duration as typed on a console: "10m", "1h", "1d", "90s" (a
 * number and one of s m h d) or "none" (until lifted: 0). FALSE for
 * anything else or more than a year. */
gboolean  cr_duration_parse (const char *text,
                             gint64     *seconds);

G_END_DECLS
