/* cr-window.h: the main window: header bar, login and chat views, owner mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "cr-session.h"

G_BEGIN_DECLS

typedef struct _CrApplication CrApplication;

#define CR_TYPE_WINDOW (cr_window_get_type ())
G_DECLARE_FINAL_TYPE (CrWindow, cr_window, CR, WINDOW, AdwApplicationWindow)

/* Properties: "session" (CrSession, construct-only: the one shown; by
 * default the application's, or a new one for a window without a
 * CrApplication), "owner-mode" (boolean: the session hosts; the header-bar
 * toggle and the win.owner-mode action; setting it TRUE hosts a room,
 * setting it FALSE asks first, then closes it), "show-members" (boolean),
 * "room-muted" (boolean: the session's room sends no notification but for
 * mentions; win.mute-room in the primary menu). */
CrWindow  *cr_window_new             (CrApplication *application);
CrWindow  *cr_window_new_for_session (CrApplication *application,
                                      CrSession     *session);
CrSession *cr_window_get_session     (CrWindow      *self);
/* Fill the login view's address ("HOST:PORT" from the command line). */
void       cr_window_set_address     (CrWindow      *self,
                                      const char    *address);
gboolean   cr_window_get_owner_mode  (CrWindow      *self);
void       cr_window_set_owner_mode  (CrWindow      *self,
                                      gboolean       owner_mode);

G_END_DECLS
