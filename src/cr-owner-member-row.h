/* cr-owner-member-row.h: one member in the owner view: name, address,
 * registered or guest, idle time, and a menu of owner actions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "cr-member.h"

G_BEGIN_DECLS

#define CR_TYPE_OWNER_MEMBER_ROW (cr_owner_member_row_get_type ())
G_DECLARE_FINAL_TYPE (CrOwnerMemberRow, cr_owner_member_row, CR, OWNER_MEMBER_ROW, AdwActionRow)

/* Property: "member" (CrMember, construct-only). */
GtkWidget  *cr_owner_member_row_new          (CrMember         *member);
CrMember   *cr_owner_member_row_get_member   (CrOwnerMemberRow *self);
/* Re-render the idle time against now (monotonic µs). */
void        cr_owner_member_row_update       (CrOwnerMemberRow *self,
                                              gint64            now);

/* "idle 3 min" and friends, for a duration in µs. Transfer full. */
char       *cr_owner_format_idle             (gint64            idle_us);

G_END_DECLS
