/* cr-client-members.h: who is in the room, as a member sees it: the
 * engine's member outputs applied to CrClient's GListStore of CrMember,
 * a burst at a time. Private to the core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cr-client-engine.h"

G_BEGIN_DECLS

/* Note a MEMBERS, MEMBER_ADDED, MEMBER_REMOVED or MEMBER_CHANGED output
 * for store (of CrMember, kept in cr_member_compare order). The list as
 * the burst leaves it is kept in *burst (created from store on the first
 * output, NULL until then); the store changes only at the flush. */
void     cr_client_members_apply (GListStore           *store,
                                  GPtrArray           **burst,
                                  const CrClientOutput *output);
/* The burst into store in one splice of the range that changed; *burst
 * is freed. TRUE when the store changed. */
gboolean cr_client_members_flush (GListStore           *store,
                                  GPtrArray           **burst);

G_END_DECLS
