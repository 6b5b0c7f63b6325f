/* cr-server-private.h: what only the core and its tests may call on CrServer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-crypto.h"
#include "cr-server.h"

G_BEGIN_DECLS

/* Tests: while held, a password hash that finished on its worker thread is
 * not handed back to the engine, so its join stays pending (the room goes
 * on); releasing hands back every held one. Say how many wait. */
void      cr_server_hold_auth        (CrServer *self,
                                      gboolean  hold);
guint     cr_server_get_n_held_auth  (CrServer *self);

/* Tests: every room's clock (not the system's) runs offset_us further
 * ahead from now on, so waits of minutes (a login's back-off) pass at
 * once; the rooms' timers keep to the system's clock. */
void      cr_server_advance_clock    (gint64    offset_us);
/* Tests: the wall clock the rooms stamp events with runs offset_us further
 * ahead (a message becomes older than the recall window); sessions and
 * timers are not touched. */
void      cr_server_advance_wall_clock (gint64  offset_us);
/* Tests: the room's identity key (NULL before its first start), and one to
 * use instead of loading or making it (before the first start; takes it).
 * A room without a data dir keeps its key only for the object's life; a
 * test that replaces the object by another "on the same data" passes the
 * key on. */
CrIdentity *_cr_server_dup_identity  (CrServer   *self);
void      _cr_server_set_identity    (CrServer   *self,
                                      CrIdentity *identity);

G_END_DECLS
