/* cr-client-members.c: who is in the room, as a member sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine (cr-client-engine.c) keeps the list and says each change; this
 * file keeps CrClient's GListStore of CrMember in step with it: in place
 * (insert, remove, set flags), whole only when the room sent a whole list,
 * always in cr_member_compare order (owner first).
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
static CrMember *
find_member (GListStore *store,
             const char *name,
             guint      *position)
{
  g_autofree char *fold = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (g_strcmp0 (name, cr_member_get_name (member)) == 0)
        {
          *position = i;
          return member;   /* the store still holds it */
        }
    }

  fold = cr_name_fold (name);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (G_LIST_MODEL (store), i);
      g_autofree char *other = cr_name_fold (cr_member_get_name (member));

      if (g_strcmp0 (fold, other) == 0)
        {
          *position = i;
          return member;
        }
    }
  return NULL;
}

static int
compare_member_pointers (gconstpointer a,
                         gconstpointer b)
{
  return cr_member_compare (*(CrMember * const *) a, *(CrMember * const *) b, NULL);
}

void
cr_client_members_apply (GListStore           *store,
                         const CrClientOutput *output)
{
  CrMember *member;
  guint position;

  switch (output->kind)
    {
    case CR_CLIENT_OUTPUT_MEMBERS:
      {
        g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);

        for (guint i = 0; i < output->members->len; i++)
          g_ptr_array_add (list, member_from (output->members->pdata[i]));
        g_ptr_array_sort (list, compare_member_pointers);
        g_list_store_splice (store, 0,
                             g_list_model_get_n_items (G_LIST_MODEL (store)),
                             list->pdata, list->len);
      }
      break;

    case CR_CLIENT_OUTPUT_MEMBER_ADDED:
      {
        g_autoptr(CrMember) added = member_from (output->member);

        g_list_store_insert_sorted (store, added, cr_member_compare, NULL);
      }
      break;

    case CR_CLIENT_OUTPUT_MEMBER_REMOVED:
      if (find_member (store, output->member->name, &position) != NULL)
        g_list_store_remove (store, position);
      break;

    case CR_CLIENT_OUTPUT_MEMBER_CHANGED:
      member = find_member (store, output->member->name, &position);
      if (member != NULL)
        {
          g_autoptr(CrMember) moved = NULL;

          /* A new role moves the member: owner, admins, then members. */
          if (cr_member_get_role (member) != output->member->role)
            {
              moved = g_object_ref (member);
              g_list_store_remove (store, position);
            }
          cr_member_set_flags (member, output->member->flags);
          cr_member_set_role (member, output->member->role);
          if (moved != NULL)
            g_list_store_insert_sorted (store, moved, cr_member_compare, NULL);
        }
      break;

    default:
      g_return_if_reached ();
    }
}
