/* cr-client.h: a member's end of a room, for the app and chatroom-cli.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One UDP GSocket on the thread-default main context. Joins a native room
 * (probe, JOIN, WELCOME, history, MEMBERS) or, when the room answers the
 * probe with silence but "N name" with "OK", a classroom server (classic
 * dialect). Exposes the room as two GListModels and a few signals.
 */
#pragma once

#include <gio/gio.h>
#include "cr-protocol.h"
#include "cr-types.h"
#include "cr-message.h"
#include "cr-member.h"

G_BEGIN_DECLS

#define CR_CLIENT_ERROR (cr_client_error_quark ())
/* Error codes are CrReason values. */
GQuark cr_client_error_quark (void);

typedef enum {
  CR_CLIENT_DISCONNECTED = 0, /* never joined */
  CR_CLIENT_CONNECTING,       /* join in progress */
  CR_CLIENT_CONNECTED,        /* a member of the room */
  CR_CLIENT_RECONNECTING,     /* the room went silent; rejoining, typed text kept */
  CR_CLIENT_LEAVING,          /* said goodbye, waiting for the ack (≤ 1 s) */
  CR_CLIENT_CLOSED,           /* left, kicked, banned, timed out or room closed */
} CrClientState;

/* How the room's identity key met the trust store (cr-trust.h). */
typedef enum {
  CR_KEY_TRUST_NONE = 0,        /* no key (yet), a classic room, or no trust file */
  CR_KEY_TRUST_NEW,             /* first meeting: remembered now */
  CR_KEY_TRUST_KNOWN,           /* the key remembered for this address */
  CR_KEY_TRUST_ACCEPTED,        /* another key, accepted by the user: remembered now */
} CrKeyTrust;

#define CR_TYPE_CLIENT (cr_client_get_type ())
G_DECLARE_FINAL_TYPE (CrClient, cr_client, CR, CLIENT, GObject)

/* Properties (read-only unless said): "state" (CrClientState), "name"
 * (canonical, once joined), "room-name", "role" (CrRole), "dialect"
 * (CrDialect), "address" (the "host:port" joined), "close-reason"
 * (CrReason: why it is CLOSED), "n-members" (uint), "fingerprint",
 * "key-trust" (below); the enum GTypes are in
 * cr-enums.h.
 *
 * Signals:
 *   "message-received" (CrMessage *msg): a live message from someone else
 *       (not history replayed at join), for notifications;
 *   "closed" (CrReason reason): the session ended: CR_REASON_NONE after leave,
 *       else KICKED, BANNED, ROOM_CLOSED, TIMED_OUT, NO_ANSWER… */
CrClient      *cr_client_new               (void);

/* Join address "host:port" ("[::1]:10024" for IPv6). password NULL or "" =
 * guest. owner_token: the embedded server's token, NULL for everyone else.
 * Fails with CR_CLIENT_ERROR and a CrReason code: NAME_TAKEN, WRONG_PASSWORD,
 * BANNED, NO_ANSWER (nothing within the join timeout, 5 s)… or
 * G_IO_ERROR_INVALID_ARGUMENT for an address that does not parse. */
void           cr_client_join_async        (CrClient            *self,
                                            const char          *address,
                                            const char          *name,
                                            const char          *password,
                                            gboolean             do_register,
                                            const char          *owner_token,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean       cr_client_join_finish       (CrClient            *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Send text (validated: CR_REASON_TEXT_INVALID in error). Appends a PENDING
 * own message to the messages model and returns it (borrowed). */
CrMessage     *cr_client_send              (CrClient    *self,
                                            const char  *text,
                                            GError     **error);
/* Send a FAILED own message again. */
void           cr_client_retry             (CrClient    *self,
                                            CrMessage   *message);
/* Leave: the room is told; state LEAVING then CLOSED ("closed" with NONE). */
void           cr_client_leave             (CrClient    *self);

CrClientState  cr_client_get_state         (CrClient *self);
const char    *cr_client_get_name          (CrClient *self);
const char    *cr_client_get_room_name     (CrClient *self);
CrRole         cr_client_get_role          (CrClient *self);
/* Running a class (cr-client-moderation.h): ask the room, as an admin or
 * the owner, to kick, mute (seconds, 0: until lifted), unmute, mute
 * everyone… The room's answer is its event, or "manage-refused". FALSE
 * when it cannot be asked (not connected, a classic room). */
gboolean       cr_client_manage            (CrClient        *self,
                                            CrManageAction   action,
                                            const char      *argument,
                                            gint64           seconds,
                                            GError         **error);
/* The pinned announcement (NULL: none), whether everyone is muted, and
 * the end of one's own mute (monotonic µs; -1 not muted, 0 until lifted).
 * "room-state-changed" says when they change. */
const char    *cr_client_get_pin           (CrClient *self);
gboolean       cr_client_get_mute_all      (CrClient *self);
gint64         cr_client_get_mute_end      (CrClient *self);
CrDialect      cr_client_get_dialect       (CrClient *self);
/* The "encrypted" property: the session is sealed native. FALSE for a
 * classic room: what is said there can be read on the network. */
gboolean       cr_client_get_encrypted     (CrClient *self);
const char    *cr_client_get_address       (CrClient *self);
CrReason       cr_client_get_close_reason  (CrClient *self);
guint64        cr_client_get_last_seq      (CrClient *self);
/* Where and how to reach the room's shared files (cr-file-client.h; the
 * token is cr_file_client_credential's, with the key the session verified):
 * FALSE for a classic room or while not in one. Transfer full. */
gboolean       cr_client_dup_file_endpoint (CrClient        *self,
                                            GSocketAddress **address,
                                            char           **token);

/* Trust on first use (cr-trust.h). Without a trust file (the default)
 * every room is met for the first time; the app and chatroom-cli use
 * cr_trust_default_path(). A room whose key is not the one remembered for
 * its address fails the join with CR_REASON_KEY_CHANGED, unless
 * accept_new_key. Set before joining. */
void           cr_client_set_trust_file    (CrClient    *self,
                                            const char  *path);
void           cr_client_set_accept_new_key (CrClient   *self,
                                            gboolean     accept);
/* Ask before meeting a room for the first time (the app): with a trust
 * file, a room with no key remembered for its address fails the join with
 * CR_REASON_KEY_NEW as soon as it proved its key, before our name or
 * password leaves; cr_client_get_offered_fingerprint() then gives its
 * fingerprint, for the user to compare with the owner's. Unless that
 * fingerprint is accepted_fingerprint (the one the user was shown and
 * chose to join): then the join goes on and the key is remembered. Set
 * before joining; chatroom-cli does not ask (it prints the fingerprint). */
void           cr_client_set_confirm_new_key (CrClient   *self,
                                              gboolean    confirm,
                                              const char *accepted_fingerprint);
/* "fingerprint" (string property): the room's key once it proved it
 * ("12345 67890 …", cr-crypto.h), NULL before and for a classic room;
 * "key-trust" (CrKeyTrust) says whether it was met before. */
const char    *cr_client_get_fingerprint   (CrClient *self);
CrKeyTrust     cr_client_get_key_trust     (CrClient *self);
/* After CR_REASON_KEY_CHANGED: the fingerprint remembered for the address
 * and the one the room showed instead (NULL otherwise). The join error's
 * message names both. After CR_REASON_KEY_NEW: no known one, and the
 * offered one is the new room's. */
const char    *cr_client_get_known_fingerprint   (CrClient *self);
const char    *cr_client_get_offered_fingerprint (CrClient *self);

/* GListModel of CrMessage, oldest first; new messages are spliced in
 * batches (at most one items-changed per main-loop iteration). */
GListModel    *cr_client_get_messages      (CrClient *self);
/* GListModel of CrMember, owner first then by name. */
GListModel    *cr_client_get_members       (CrClient *self);

/* The conversation (issue 14; cr-client-conversation.c). Native rooms
 * only, except cr_client_reply, which a classic room gets as plain text.
 *
 * A reply to the message seq, and a private message to the member called
 * name: rows like cr_client_send's, with "reply-to" / "target" set at
 * once and the quote the room fills in when it acknowledges them
 * (cr-message.h). A private message goes to name and to us only; the room
 * keeps it for both of us (it comes back on a reconnect), and its owner's
 * view does not show it. */
CrMessage     *cr_client_reply             (CrClient    *self,
                                            guint64      seq,
                                            const char  *text,
                                            GError     **error);
CrMessage     *cr_client_send_private      (CrClient    *self,
                                            const char  *name,
                                            const char  *text,
                                            GError     **error);
/* Take the message seq back: our own within 2 minutes, any as the owner.
 * Finishes when the room did (every member's row then reads "NAME
 * recalled a message", cr_message_get_recalled), or with the room's
 * reason as a CR_CLIENT_ERROR (CR_REASON_NOT_ALLOWED, _NO_SUCH_MESSAGE)
 * or G_IO_ERROR_TIMED_OUT. */
void           cr_client_recall_async      (CrClient            *self,
                                            guint64              seq,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean       cr_client_recall_finish     (CrClient      *self,
                                            GAsyncResult  *result,
                                            GError       **error);
/* One page (≤ CR_PAGE_MAX) of the messages before the oldest row, put at
 * the top of the messages model, in order, each once. Returns how many
 * rows came; *complete once the room has nothing older (then the call
 * finishes at once with 0). One page at a time (G_IO_ERROR_PENDING). */
void           cr_client_load_older_async  (CrClient            *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
guint          cr_client_load_older_finish (CrClient      *self,
                                            GAsyncResult  *result,
                                            gboolean      *complete,
                                            GError       **error);
gboolean       cr_client_get_history_complete (CrClient *self);
/* Search the room's history: every word of query (≤
 * CR_SEARCH_QUERY_MAX_BYTES; Chinese words inside a sentence too), our
 * private messages and nobody else's. The results: a GListModel of
 * CrMessage, newest first, ≤ CR_SEARCH_MAX_RESULTS; *more when there were
 * more. cr_client_find_message then finds the row to jump to (after
 * cr_client_load_older_async until it is there). */
void           cr_client_search_async      (CrClient            *self,
                                            const char          *query,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GListModel    *cr_client_search_finish     (CrClient      *self,
                                            GAsyncResult  *result,
                                            gboolean      *more,
                                            GError       **error);
/* The row of the message seq in the messages model (borrowed), or NULL. */
CrMessage     *cr_client_find_message      (CrClient *self,
                                            guint64   seq);

G_END_DECLS
