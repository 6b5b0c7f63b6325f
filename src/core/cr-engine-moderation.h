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
 * pin and mute-all (settings "pin", "mute-all"), and mutes (the mutes
 * table, each with its end on the wall clock). Timed mutes end on the
 * engine's monotonic clock, in cr_engine_tick; those loaded at start are
 * put on it at the first tick (cr_engine_next_deadline is then due at
 * once), and those that ended while the room was down are dropped there
 * without an event.
 *
 * The events of an admin's kick, ban or mute name the admin (CrEvent.actor,
 * "by" on the wire), so that every reader can say who did it.
 */
#pragma once

#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-store.h"

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

/* Every mute now, sorted by name: CrStoreMute* (cr-store.h), until being
 * the end on the wall clock (0: until lifted). */
GPtrArray *cr_engine_dup_mutes       (CrEngine       *self,
                                      CrEngineTime    now);

G_END_DECLS
