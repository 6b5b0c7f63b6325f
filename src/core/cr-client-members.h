/* cr-client-members.h: who is in the room, as a member sees it: the
 * engine's member outputs applied to CrClient's GListStore of CrMember.
 * Private to the core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "cr-client-engine.h"

G_BEGIN_DECLS

/* Apply a MEMBERS, MEMBER_ADDED, MEMBER_REMOVED or MEMBER_CHANGED output
 * to store (of CrMember, kept in cr_member_compare order). */
void cr_client_members_apply (GListStore           *store,
                              const CrClientOutput *output);

G_END_DECLS
