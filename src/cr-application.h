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

G_END_DECLS
