/* cr-member-list.h: a room's members and bans as GListModels, kept in
 * place from the room's events (CrServer's lists, for the owner view).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "cr-engine.h"
#include "cr-member.h"
#include "cr-room.h"

G_BEGIN_DECLS

typedef struct _CrMemberList CrMemberList;

CrMemberList *cr_member_list_new             (void);
void          cr_member_list_free            (CrMemberList  *self);

/* CrMember in cr_member_compare order; banned names as CrMember (name
 * only), collated. */
GListModel   *cr_member_list_get_members     (CrMemberList  *self);
GListModel   *cr_member_list_get_bans        (CrMemberList  *self);

/* On the room's side, after the room applied event: what the lists need
 * to know of the member it names (name, role, flags, address, the
 * event's time as "last-active"), for a join, a mute or unmute, an admin
 * appointed or dismissed; NULL for any other event or a member already
 * gone. The lists read nothing else of the room, so they may live on
 * another thread (CrServer's owner side). */
CrMember     *cr_member_list_snapshot        (CrEngine      *engine,
                                              const CrEvent *event);
/* Follow one event (with its snapshot, or NULL): a join inserts the
 * member, a leave, kick, ban or timeout removes one, a mute notifies its
 * flags, a line moves its "last-active" (wall-clock µs, at most once a
 * second), a ban or unban inserts or removes a name, the room's close
 * empties the members. Returns whether the members or the bans changed. */
gboolean      cr_member_list_apply           (CrMemberList  *self,
                                              const CrEvent *event,
                                              CrMember      *snapshot);
/* Between these, joins and leaves are noted and the end puts them in
 * the members' list in one splice (one items-changed for a burst).
 * Lookups and the other changes act at once. Nested pairs count. */
void          cr_member_list_begin_batch     (CrMemberList  *self);
void          cr_member_list_end_batch       (CrMemberList  *self);
/* The bans the room starts with (names, collated), in one change. */
void          cr_member_list_load_bans       (CrMemberList  *self,
                                              GPtrArray     *names);
/* Empty both lists (the room stopped). */
void          cr_member_list_clear           (CrMemberList  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrMemberList, cr_member_list_free)

G_END_DECLS
