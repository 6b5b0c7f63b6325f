/* cr-session.h: what the app is doing in rooms, beside its windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cr-client.h"
#include "cr-server.h"

G_BEGIN_DECLS

typedef enum {
  CR_SESSION_IDLE,          /* in no room: the login view */
  CR_SESSION_JOINING,       /* a join (or hosting's own join) is under way */
  CR_SESSION_IN_ROOM,       /* a member of a room */
  CR_SESSION_RECONNECTING,  /* the room went silent; rejoining */
} CrSessionState;

#define CR_TYPE_SESSION_STATE (cr_session_state_get_type ())
GType cr_session_state_get_type (void);

#define CR_TYPE_SESSION (cr_session_get_type ())
G_DECLARE_FINAL_TYPE (CrSession, cr_session, CR, SESSION, GObject)

/* Read-only properties, for windows to bind: "state" (CrSessionState),
 * "client" (CrClient: the room we are in or joining, else NULL), "server"
 * (CrServer: the room we host, else NULL), "owner-mode" (boolean: we host),
 * "room-name" (string: the joined room's name, else NULL), "n-members"
 * (uint, in the joined room).
 *
 * Signals:
 *   "ended" (int reason, gboolean was_owner): a room we were in (or were
 *       joining as its host) is behind us: CR_REASON_NONE after leaving,
 *       ROOM_CLOSED after we stopped hosting (was_owner TRUE), else why
 *       the room dropped us.
 *
 * The hosted room's live settings (room name, registration, history,
 * limits) are bound to GSettings once, when it starts (cr_session_bind_server_settings);
 * its port and "this computer only" are read when it starts.
 *
 * What arrives (cr-session-notify.c): "n-unread" (uint) counts others'
 * messages and announcements until the reader saw the end of the chat
 * (cr_session_mark_read); a desktop notification (through the
 * CrApplication, cr_application_notify_message) for a mention of the
 * reader (cr-mention.h) always, for other messages and announcements
 * while no window of the app has the focus, unless the room is "muted"
 * (boolean, read-write: remembered per room address in GSettings). */
CrSession  *cr_session_new                  (void);

CrSessionState cr_session_get_state         (CrSession *self);
CrClient   *cr_session_get_client           (CrSession *self);
CrServer   *cr_session_get_server           (CrSession *self);
gboolean    cr_session_get_owner_mode       (CrSession *self);
const char *cr_session_get_room_name        (CrSession *self);
guint       cr_session_get_n_members        (CrSession *self);

/* Join address ("host:port") as name. Only from IDLE. Fails with
 * CR_CLIENT_ERROR (a CrReason), G_IO_ERROR_INVALID_ARGUMENT (not an
 * address) or G_IO_ERROR_CANCELLED (left before it finished: leaving is
 * how a join is given up, so these take no GCancellable). */
void        cr_session_join_async           (CrSession           *self,
                                             const char          *address,
                                             const char          *name,
                                             const char          *password,
                                             gboolean             do_register,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    cr_session_join_finish          (CrSession           *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* The user chose to trust a room whose key changed (CR_REASON_KEY_CHANGED,
 * cr-trust.h): the next join goes on with the new key and remembers it.
 * For that one join only. */
void        cr_session_set_accept_new_key   (CrSession           *self,
                                             gboolean             accept);
/* A join from the login view stops at a room met for the first time,
 * before our name or password leaves: it fails with CR_REASON_KEY_NEW and
 * cr_session_get_new_key() is the room's fingerprint (NULL after any
 * other outcome), to compare with the owner's. Accepting it lets the next
 * join go on with that key only, and remember it. */
void        cr_session_accept_key           (CrSession           *self,
                                             const char          *fingerprint);
const char *cr_session_get_new_key          (CrSession           *self);

/* Host a room on the settings' port and join it as its owner, as name
 * (NULL or "": the saved nickname, else the user's login name). A room we
 * are a member of is left first. Binding the port is done at once: FALSE
 * with CR_SERVER_ERROR_BIND when it is taken (or a store error). The own
 * join then goes on as "state" shows (JOINING, then IN_ROOM); should it
 * fail, the room is closed again and "ended" says why (was_owner TRUE). */
gboolean    cr_session_host                 (CrSession           *self,
                                             const char          *name,
                                             GError             **error);
/* Choose a UDP port that is free now and keep it in the settings for the
 * next cr_session_host_async. FALSE if none could be found. */
gboolean    cr_session_use_free_port        (CrSession           *self);

/* Leave the room (a join under way is given up; a hosted room is closed
 * for everyone). Completes once the room heard the goodbye, or after about
 * a second; meanwhile the departing parts live on and the default
 * application is held, even if no window remains. "ended" follows for a
 * room we were in. */
void        cr_session_leave_async          (CrSession           *self,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean    cr_session_leave_finish         (CrSession           *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* Stop hosting: the room closes for everyone, ours included (leaving,
 * when nobody waits for it to finish). Nothing when not hosting. */
void        cr_session_stop_hosting         (CrSession           *self);

/* What arrives (cr-session-notify.c). The conversation id names the room
 * we are in for notifications and app.show-message: "room:NAME@ADDRESS"
 * (our name, the room's address); NULL outside a room. A private
 * conversation would be another id of the same session. Transfer full. */
char       *cr_session_dup_conversation_id  (CrSession           *self);
guint       cr_session_get_n_unread         (CrSession           *self);
/* The reader saw the end of the room's chat: nothing is unread and its
 * notification goes. */
void        cr_session_mark_read            (CrSession           *self);
gboolean    cr_session_get_muted            (CrSession           *self);
void        cr_session_set_muted            (CrSession           *self,
                                             gboolean             muted);

/* The single route from the settings to a hosted room
 * (cr-session-settings.c): "room-name" (empty is "NAME's room" after the
 * server's "owner-name"), "require-registration", "history-length",
 * "allow-classic", "discoverable", "max-members", and the shared files'
 * "file-max-size", "file-quota" (MB) and "file-share-policy", settings →
 * server only, live. */
void        cr_session_bind_server_settings (GSettings           *settings,
                                             CrServer            *server);

G_END_DECLS
