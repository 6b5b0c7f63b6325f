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

#define CR_TYPE_CLIENT (cr_client_get_type ())
G_DECLARE_FINAL_TYPE (CrClient, cr_client, CR, CLIENT, GObject)

/* Properties (read-only unless said): "state" (CrClientState), "name"
 * (canonical, once joined), "room-name", "role" (CrRole), "dialect"
 * (CrDialect), "address" (the "host:port" joined), "close-reason"
 * (CrReason: why it is CLOSED), "n-members" (uint); the enum GTypes are in
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
CrDialect      cr_client_get_dialect       (CrClient *self);
const char    *cr_client_get_address       (CrClient *self);
CrReason       cr_client_get_close_reason  (CrClient *self);
guint64        cr_client_get_last_seq      (CrClient *self);
/* Where and how to reach the room's shared files (cr-file-client.h):
 * FALSE for a classic room or while not in one. Transfer full. */
gboolean       cr_client_dup_file_endpoint (CrClient        *self,
                                            GSocketAddress **address,
                                            char           **token);

/* GListModel of CrMessage, oldest first; new messages are spliced in
 * batches (at most one items-changed per main-loop iteration). */
GListModel    *cr_client_get_messages      (CrClient *self);
/* GListModel of CrMember, owner first then by name. */
GListModel    *cr_client_get_members       (CrClient *self);

G_END_DECLS
