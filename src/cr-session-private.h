/* cr-session-private.h: what only the app and its tests may ask a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-session.h"

G_BEGIN_DECLS

/* How many desktop notifications were decided on (counted even without a
 * session bus to show them). */
guint _cr_session_get_n_notifications (CrSession *self);

G_END_DECLS
