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
const char    *cr_client_get_address       (CrClient *self);
CrReason       cr_client_get_close_reason  (CrClient *self);
guint64        cr_client_get_last_seq      (CrClient *self);
/* Where and how to reach the room's shared files (cr-file-client.h):
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
/* "fingerprint" (string property): the room's key once it proved it
 * ("12345 67890 …", cr-crypto.h), NULL before and for a classic room;
 * "key-trust" (CrKeyTrust) says whether it was met before. */
const char    *cr_client_get_fingerprint   (CrClient *self);
CrKeyTrust     cr_client_get_key_trust     (CrClient *self);
/* After CR_REASON_KEY_CHANGED: the fingerprint remembered for the address
 * and the one the room showed instead (NULL otherwise). The join error's
 * message names both. */
const char    *cr_client_get_known_fingerprint   (CrClient *self);
const char    *cr_client_get_offered_fingerprint (CrClient *self);

/* GListModel of CrMessage, oldest first; new messages are spliced in
 * batches (at most one items-changed per main-loop iteration). */
GListModel    *cr_client_get_messages      (CrClient *self);
/* GListModel of CrMember, owner first then by name. */
GListModel    *cr_client_get_members       (CrClient *self);

G_END_DECLS
