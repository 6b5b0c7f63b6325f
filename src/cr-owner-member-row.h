/* cr-owner-member-row.h: one member in the owner view: name and badges
 * (owner, muted, classic), address, registered or guest, idle time, and a
 * menu of owner actions.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "cr-member.h"

G_BEGIN_DECLS

#define CR_TYPE_OWNER_MEMBER_ROW (cr_owner_member_row_get_type ())
G_DECLARE_FINAL_TYPE (CrOwnerMemberRow, cr_owner_member_row, CR, OWNER_MEMBER_ROW, AdwBin)

/* Property: "member" (CrMember, nullable: a list view binds the row to one
 * member after another). */
GtkWidget  *cr_owner_member_row_new          (CrMember         *member);
CrMember   *cr_owner_member_row_get_member   (CrOwnerMemberRow *self);
void        cr_owner_member_row_set_member   (CrOwnerMemberRow *self,
                                              CrMember         *member);
/* The detail lines under the name, as shown ("127.0.0.1:40000\nGuest ·
 * last active 10:32"); each is one line on screen, ellipsized, never
 * wrapped. Transfer full. */
char       *cr_owner_member_row_dup_details  (CrOwnerMemberRow *self);
/* The row follows its member's notifies by itself: no timer. */

/* "last active 10:32" for a wall-clock time in µs (g_get_real_time), with
 * the day when it is not today (now_us). A clock time, not "3 min ago": it
 * stays true without being redrawn. Transfer full. */
char       *cr_owner_format_last_active      (gint64            last_active_us,
                                              gint64            now_us);

G_END_DECLS
