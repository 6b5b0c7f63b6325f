/* cr-client-moderation.h: running a class (issue 15), a member's side:
 * the room's STATE (the pin, mute-all, one's own mute and role) and an
 * admin's MANAGE requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A native member learns the state from STATE (after the WELCOME and at
 * every change); a classic member from the lines it gets: the pin after
 * its join, PIN/UNPIN and MUTE_ALL/UNMUTE_ALL as they happen.
 */
#pragma once

#include "cr-client-engine.h"
#include "cr-protocol.h"

G_BEGIN_DECLS

/* Ask the room (native only). Returns the request's origin, 0 when not
 * possible (classic, not connected); a refusal comes back as a
 * CR_CLIENT_OUTPUT_MANAGE_REFUSED output with that origin and the reason,
 * a success as the room's event. */
guint64     cr_client_engine_manage       (CrClientEngine  *self,
                                           CrManageAction   action,
                                           const char      *argument,
                                           gint64           seconds,
                                           gint64           now,
                                           GPtrArray       *out);
/* The pinned announcement (NULL: none), mute-all, and the end of one's own
 * mute on the engine's clock (-1: not muted, 0: until lifted). */
const char *cr_client_engine_get_pin      (CrClientEngine  *self);
gboolean    cr_client_engine_get_mute_all (CrClientEngine  *self);
gint64      cr_client_engine_get_mute_end (CrClientEngine  *self);

G_END_DECLS
