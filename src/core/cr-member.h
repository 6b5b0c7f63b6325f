/* cr-member.h: one person in the room, for member lists (the client's and
 * the owner view's).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include "cr-types.h"

G_BEGIN_DECLS

#define CR_TYPE_MEMBER (cr_member_get_type ())
G_DECLARE_FINAL_TYPE (CrMember, cr_member, CR, MEMBER, GObject)

/* Properties: "name" (construct-only), "role" (int, CrRole), "flags" (uint,
 * CR_MEMBER_*), "is-self" (boolean), "address" (string, only on the
 * server's list, e.g. "127.0.0.1:40000"), "last-active" (gint64 wall-clock
 * µs as g_get_real_time() gives, 0 = not known; on the server's list: when
 * the member joined or was last heard speaking). Every setter notifies only
 * on a change, so a list of members is kept up to date in place. */
CrMember     *cr_member_new             (const char *name,
                                         CrRole      role,
                                         guint       flags);
const char   *cr_member_get_name        (CrMember *self);
CrRole        cr_member_get_role        (CrMember *self);
void          cr_member_set_role        (CrMember *self,
                                         CrRole    role);
guint         cr_member_get_flags       (CrMember *self);
void          cr_member_set_flags       (CrMember *self,
                                         guint     flags);
gboolean      cr_member_get_registered  (CrMember *self);
gboolean      cr_member_get_muted       (CrMember *self);
gboolean      cr_member_get_is_self     (CrMember *self);
void          cr_member_set_is_self     (CrMember *self,
                                         gboolean  is_self);
const char   *cr_member_get_address     (CrMember *self);
void          cr_member_set_address     (CrMember   *self,
                                         const char *address);
gint64        cr_member_get_last_active (CrMember *self);
void          cr_member_set_last_active (CrMember *self,
                                         gint64    last_active);

/* Owner first, then by name, case-insensitively and in natural order
 * (u14 < u139 < u140): for GtkCustomSorter and g_list_store_insert_sorted
 * (user_data unused). */
int           cr_member_compare         (gconstpointer a,
                                         gconstpointer b,
                                         gpointer      user_data);

G_END_DECLS
