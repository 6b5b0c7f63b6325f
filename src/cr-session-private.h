/* cr-session-private.h: the session's struct, shared by cr-session.c (the
 * room we are in and the one we host) and cr-session-notify.c (what
 * arrives: notifications, unread count, muting), and what only the app
 * and its tests may ask a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-session.h"

G_BEGIN_DECLS

struct _CrSession
{
  GObject         parent_instance;

  /* owned */
  GSettings      *settings;
  CrClient       *client;
  CrServer       *server;
  GSignalGroup   *client_signals;
  GSignalGroup   *server_signals;
  GCancellable   *join_cancellable;
  GTask          *join_task;        /* cr_session_join_async's; NULL when hosting */

  CrSessionState  state;
  guint           n_notifications;
  guint           n_unread;         /* others' messages since the reader last saw the end */
  gboolean        accept_new_key;   /* for the next join only */
  char           *accepted_key;     /* a first-seen room's fingerprint, the same */
  char           *new_key;          /* after CR_REASON_KEY_NEW: the room's fingerprint */
};

/* cr-session-notify.c */
void  _cr_session_on_message_received  (CrSession *self,
                                        CrMessage *message,
                                        CrClient  *client);
/* The client changed (a new room, or none): nothing unread, and "muted"
 * is the new room's. */
void  _cr_session_conversation_changed (CrSession *self);
void  _cr_session_notify_muted         (CrSession *self);

/* --- for tests ------------------------------------------------------------ */

/* How many desktop notifications were decided on (counted even without a
 * session bus to show them). */
guint _cr_session_get_n_notifications  (CrSession *self);

G_END_DECLS
