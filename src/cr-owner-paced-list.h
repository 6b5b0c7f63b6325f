/* cr-owner-paced-list.h: a list model that follows another one, a big
 * change a slice at a time (the owner view's member list)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CR_TYPE_OWNER_PACED_LIST (cr_owner_paced_list_get_type ())
G_DECLARE_FINAL_TYPE (CrOwnerPacedList, cr_owner_paced_list, CR, OWNER_PACED_LIST, GObject)

/* The default slice: changes (items removed plus added) per main-loop turn. */
#define CR_OWNER_PACED_LIST_SLICE 64

/* The items of source, in its order. A change of at most "slice" items
 * while nothing waits is followed at once; a bigger one is applied in
 * slices of at most "slice" removed or added items, one slice per idle
 * (G_PRIORITY_DEFAULT_IDLE, so after the frame), and items both before
 * and after it stay in place (a row on screen keeps its widget and its
 * place). */
CrOwnerPacedList *cr_owner_paced_list_new        (GListModel       *source);
GListModel       *cr_owner_paced_list_get_source (CrOwnerPacedList *self);
guint             cr_owner_paced_list_get_slice  (CrOwnerPacedList *self);
void              cr_owner_paced_list_set_slice  (CrOwnerPacedList *self,
                                                  guint             slice);
/* How many of the source's changes are not followed yet. */
guint             cr_owner_paced_list_get_pending (CrOwnerPacedList *self);
/* Everything waiting, now (still in slices, each its own items-changed). */
void              cr_owner_paced_list_flush      (CrOwnerPacedList *self);

G_END_DECLS
