/* cr-engine-moderation.h: running a class (issue 15): admins, timed mutes,
 * mute-all and the pinned announcement, on the room's side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Who may do what:
 *   - the owner (actor NULL: chatroomd's console, the app's owner view; or
 *     a member of role CR_ROLE_OWNER through MANAGE): everything;
 *   - an admin (CR_ROLE_ADMIN): kick, mute (with a duration), unmute,
 *     mute-all and its end, on members only (not the owner, not another
 *     admin);
 *   - anyone else: nothing.
 * What is not allowed is refused with CR_REASON_NOT_ALLOWED; a MANAGE that
 * is refused so is counted (CrStats.manage_refused): a member who sends
 * them is either a modified program or probing.
 *
 * State that outlives the process: admins (the store's admins table), the
 * pin and mute-all (settings "pin", "mute-all"). Timed mutes end on the
 * engine's monotonic clock, in cr_engine_tick, and are not kept: a room
 * that restarts forgets its mutes, as it always did.
 */
#pragma once

#include "cr-engine.h"
#include "cr-protocol.h"

G_BEGIN_DECLS

/* actor: the acting member's name, NULL for the owner. argument: the
 * target's name, or for CR_MANAGE_PIN the text ("" or NULL unpins).
 * seconds: how long a CR_MANAGE_MUTE lasts, 0 until lifted. FALSE with
 * *reason when refused or nothing changed. */
gboolean   cr_engine_moderate        (CrEngine       *self,
                                      const char     *actor,
                                      CrManageAction  action,
                                      const char     *argument,
                                      gint64          seconds,
                                      CrEngineTime    now,
                                      GPtrArray      *out,
                                      CrReason       *reason);

G_END_DECLS
