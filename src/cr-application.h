/* cr-application.h: the AdwApplication of Chat Room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cr-session.h"

G_BEGIN_DECLS

#define CR_TYPE_APPLICATION (cr_application_get_type ())
G_DECLARE_FINAL_TYPE (CrApplication, cr_application, CR, APPLICATION, AdwApplication)

CrApplication *cr_application_new         (void);
/* The session: the room we are in and the one we host. It outlives the
 * windows, which are views of it. */
CrSession     *cr_application_get_session (CrApplication *self);

/* Running without a window (issue 15). Ask whether the app may go on in
 * the background: under Flatpak the background portal asks the user (with
 * libportal), elsewhere it always may. parent: the window asking. */
void           cr_application_request_background_async  (CrApplication       *self,
                                                         GtkWindow           *parent,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean       cr_application_request_background_finish (CrApplication       *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* Keep session's room going without a window: the application is held
 * and a lasting notification says so, with "Open" (app.show-message) and
 * "Close the room" or "Leave the room" (app.close-room). Until a window
 * shows the session again (cr_application_show_session) or its room
 * ends. */
void           cr_application_keep_in_background (CrApplication *self,
                                                  CrSession     *session);
gboolean       cr_application_is_in_background   (CrApplication *self,
                                                  CrSession     *session);
/* Present a window on session (the one showing it, else a new one); the
 * session is no longer in the background. */
GtkWindow     *cr_application_show_session       (CrApplication *self,
                                                  CrSession     *session);

/* Notifications that lead somewhere. One per conversation (its id, from
 * cr_session_dup_conversation_id: the room now, a private conversation
 * later), updated in place: how many messages wait and the latest. Its
 * default action is app.show-message ((st): the conversation and the
 * message's seq), which presents the session's window scrolled to that
 * message. mention: say "mentioned you", at a higher priority. */
void           cr_application_notify_message     (CrApplication *self,
                                                  CrSession     *session,
                                                  const char    *conversation,
                                                  const char    *title,
                                                  CrMessage     *message,
                                                  gboolean       mention);
/* The reader saw the conversation: its notification goes, its count
 * starts again. */
void           cr_application_withdraw_conversation (CrApplication *self,
                                                     const char    *conversation);

G_END_DECLS
