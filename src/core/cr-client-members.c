/* cr-client-members.c: who is in the room, as a member sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine (cr-client-engine.c) keeps the list and says each change; this
 * file keeps CrClient's GListStore of CrMember in step with it, always in
 * cr_member_compare order (owner first). Changes come in bursts (a class
 * of 1 000 joining reaches a member as BATCH packets of joins): those of
 * one burst are gathered in a plain array and reach the store in one
 * splice of the range they changed, so a view of the list handles one
 * items-changed for the burst instead of one per member.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include "cr-member.h"
#include "cr-client-members.h"

static CrMember *
member_from (const CrClientMember *from)
{
  CrMember *member = cr_member_new (from->name, from->role, from->flags);

  cr_member_set_is_self (member, from->is_self);
  return member;
}

/* The room names a member the way it listed it, so the exact name is
 * looked for first: a class of 1 000 leaving was a million case folds
 * (two allocations each) on the window's loop of the app that hosts it.
 * Folding is only the fallback. */
static gboolean
find_member (GPtrArray  *list,
             const char *name,
             guint      *position)
{
  g_autofree char *fold = NULL;

  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (name, cr_member_get_name (list->pdata[i])) == 0)
      {
        *position = i;
        return TRUE;
      }

  fold = cr_name_fold (name);
  for (guint i = 0; i < list->len; i++)
    {
      g_autofree char *other = cr_name_fold (cr_member_get_name (list->pdata[i]));

      if (g_strcmp0 (fold, other) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static int
compare_member_pointers (gconstpointer a,
                         gconstpointer b)
{
  return cr_member_compare (*(CrMember * const *) a, *(CrMember * const *) b, NULL);
}

/* Where g_list_store_insert_sorted would put member: after its equals. */
static void
insert_sorted (GPtrArray *list,
               CrMember  *member)
{
  guint low = 0, high = list->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (cr_member_compare (list->pdata[middle], member, NULL) <= 0)
        low = middle + 1;
      else
        high = middle;
    }
  g_ptr_array_insert (list, low, member);
}

void
cr_client_members_apply (GListStore           *store,
                         GPtrArray           **burst,
                         const CrClientOutput *output)
{
  GPtrArray *list;
  CrMember *member;
  guint position;

  /* The burst starts from the store as it is: each change is a few
   * pointer moves in this array, and the store (whose every change is
   * an items-changed that each view handles on its own) changes once. */
  if (*burst == NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

      *burst = g_ptr_array_new_full (n + 1, g_object_unref);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (*burst, g_list_model_get_item (G_LIST_MODEL (store), i));
    }
  list = *burst;

  switch (output->kind)
    {
    case CR_CLIENT_OUTPUT_MEMBERS:
      g_ptr_array_set_size (list, 0);
      for (guint i = 0; i < output->members->len; i++)
        g_ptr_array_add (list, member_from (output->members->pdata[i]));
      g_ptr_array_sort (list, compare_member_pointers);
      break;

    case CR_CLIENT_OUTPUT_MEMBER_ADDED:
      insert_sorted (list, member_from (output->member));
      break;

    case CR_CLIENT_OUTPUT_MEMBER_REMOVED:
      if (find_member (list, output->member->name, &position))
        g_ptr_array_remove_index (list, position);
      break;

    case CR_CLIENT_OUTPUT_MEMBER_CHANGED:
      if (find_member (list, output->member->name, &position))
        {
          gboolean moves;

          /* A new role moves the member: owner, admins, then members. */
          member = list->pdata[position];
          moves = cr_member_get_role (member) != output->member->role;
          if (moves)
            g_ptr_array_steal_index (list, position);
          cr_member_set_flags (member, output->member->flags);
          cr_member_set_role (member, output->member->role);
          if (moves)
            insert_sorted (list, member);
        }
      break;

    default:
      g_return_if_reached ();
    }
}

gboolean
cr_client_members_flush (GListStore  *store,
                         GPtrArray  **burst)
{
  g_autoptr(GPtrArray) list = g_steal_pointer (burst);
  GListModel *model = G_LIST_MODEL (store);
  guint n_old = g_list_model_get_n_items (model);
  guint head = 0, tail = 0;

  if (list == NULL)
    return FALSE;

  /* The store's items are the burst's where nothing changed (the same
   * objects): only the range between the unchanged head and tail is
   * spliced, so a list view rebinds no row outside it. */
  while (head < n_old && head < list->len)
    {
      g_autoptr(CrMember) old = g_list_model_get_item (model, head);

      if (old != list->pdata[head])
        break;
      head++;
    }
  while (tail < n_old - head && tail < list->len - head)
    {
      g_autoptr(CrMember) old = g_list_model_get_item (model, n_old - 1 - tail);

      if (old != list->pdata[list->len - 1 - tail])
        break;
      tail++;
    }
  if (head + tail == n_old && head + tail == list->len)
    return FALSE;

  g_list_store_splice (store, head, n_old - head - tail,
                       list->pdata + head, list->len - head - tail);
  return TRUE;
}
