/* cr-member-list.c: a room's members and bans as GListModels, kept in
 * place from the room's events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A join inserts one member, a leave removes one, a mute notifies "flags"
 * on the member, a ban or an unban inserts or removes one name: a view
 * bound to the lists (the owner view) changes only the rows that changed,
 * and needs no timer, since a member's "last-active" moves when the room
 * hears them speak.
 *
 * Joins and leaves come in bursts (a class of 1 000 signing in): between
 * cr_member_list_begin_batch and _end_batch they are only noted, and the
 * end merges them into the list in one splice, so a view bound to it sees
 * one items-changed for the burst instead of one per member (each of
 * which a filter, a sorter and a list view handle on their own).
 */
#define G_LOG_DOMAIN "cr-member-list"

#include "config.h"

#include <string.h>

#include "cr-member-list.h"

struct _CrMemberList
{
  GListStore *members;        /* CrMember, in cr_member_compare order */
  GHashTable *member_index;   /* folded name → CrMember (borrowed from members) */
  GListStore *bans;           /* CrMember (name only), collated */

  /* while a batch is open */
  guint       batch_depth;
  GPtrArray  *added;          /* CrMember joined, not in members yet (owned) */
  GHashTable *removed;        /* CrMember in members that left (a set, borrowed) */
};

/* At most one "last-active" notify a second per member: a burst of lines
 * is one change to whoever shows it. */
#define LAST_ACTIVE_STEP_US G_USEC_PER_SEC

static CrMember *
lookup_member (CrMemberList *self,
               const char   *name)
{
  g_autofree char *fold = cr_name_fold (name);

  return g_hash_table_lookup (self->member_index, fold);
}

static void
add_member (CrMemberList *self,
            CrMember     *snapshot)
{
  const char *name = cr_member_get_name (snapshot);

  if (lookup_member (self, name) != NULL)
    return;

  /* The snapshot becomes the list's item (nothing else holds it). The
   * index borrows: the batch's added list, then the store, holds it. */
  g_hash_table_replace (self->member_index, cr_name_fold (name), snapshot);
  g_ptr_array_add (self->added, g_object_ref (snapshot));
}

static void
remove_member (CrMemberList *self,
               const char   *name)
{
  g_autofree char *fold = cr_name_fold (name);
  CrMember *member = g_hash_table_lookup (self->member_index, fold);
  guint position;

  if (member == NULL)
    return;

  /* Joined within this batch: it never reaches the store. */
  if (g_ptr_array_find (self->added, member, &position))
    {
      g_hash_table_remove (self->member_index, fold);
      g_ptr_array_remove_index (self->added, position);
      return;
    }
  g_hash_table_add (self->removed, member);
  g_hash_table_remove (self->member_index, fold);
}

static int
compare_added (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return cr_member_compare (*(CrMember **) a, *(CrMember **) b, NULL);
}

/* The batch's joins and leaves, in one splice of the smallest range that
 * changed: the store's members minus those that left, merged in order
 * with those that joined (sorted first). O(members) per batch, not per
 * join. */
static void
flush_batch (CrMemberList *self)
{
  GListModel *model = G_LIST_MODEL (self->members);
  guint n_old = g_list_model_get_n_items (model);
  g_autoptr(GPtrArray) old = g_ptr_array_new_full (n_old, g_object_unref);
  g_autoptr(GPtrArray) merged = NULL;
  guint head = 0, tail = 0, a = 0;

  if (self->added->len == 0 && g_hash_table_size (self->removed) == 0)
    return;

  g_ptr_array_sort_with_data (self->added, compare_added, NULL);
  merged = g_ptr_array_new_full (n_old + self->added->len, NULL);
  for (guint i = 0; i < n_old; i++)
    {
      CrMember *member = g_list_model_get_item (model, i);

      g_ptr_array_add (old, member);
      if (g_hash_table_contains (self->removed, member))
        continue;
      while (a < self->added->len &&
             cr_member_compare (self->added->pdata[a], member, NULL) < 0)
        g_ptr_array_add (merged, self->added->pdata[a++]);
      g_ptr_array_add (merged, member);
    }
  while (a < self->added->len)
    g_ptr_array_add (merged, self->added->pdata[a++]);

  while (head < old->len && head < merged->len && old->pdata[head] == merged->pdata[head])
    head++;
  while (tail < old->len - head && tail < merged->len - head &&
         old->pdata[old->len - 1 - tail] == merged->pdata[merged->len - 1 - tail])
    tail++;

  /* Holds its own references: old and added keep theirs until the end. */
  g_list_store_splice (self->members, head, old->len - head - tail,
                       merged->pdata + head, merged->len - head - tail);
  g_ptr_array_set_size (self->added, 0);
  g_hash_table_remove_all (self->removed);
}

static void
update_member_flags (CrMemberList *self,
                     CrMember     *snapshot)
{
  CrMember *member = lookup_member (self, cr_member_get_name (snapshot));

  if (member != NULL)
    {
      g_autoptr(CrMember) moved = NULL;
      CrRole role = cr_member_get_role (snapshot);
      guint position;

      /* A new role (an admin appointed) moves the member: owner, admins,
       * then members. */
      if (cr_member_get_role (member) != role &&
          g_list_store_find (self->members, member, &position))
        {
          moved = g_object_ref (member);
          g_list_store_remove (self->members, position);
        }
      cr_member_set_flags (member, cr_member_get_flags (snapshot));
      cr_member_set_role (member, role);
      if (cr_member_get_address (member) == NULL && cr_member_get_address (snapshot) != NULL)
        cr_member_set_address (member, cr_member_get_address (snapshot));
      if (moved != NULL)
        g_list_store_insert_sorted (self->members, moved, cr_member_compare, NULL);
    }
}

static void
member_heard (CrMemberList  *self,
              const CrEvent *event)
{
  CrMember *member = lookup_member (self, event->name);

  if (member != NULL &&
      event->time_us - cr_member_get_last_active (member) >= LAST_ACTIVE_STEP_US)
    cr_member_set_last_active (member, event->time_us);
}

static int
compare_ban (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const char *sa = cr_member_get_name (CR_MEMBER ((gpointer) a));
  const char *sb = cr_member_get_name (CR_MEMBER ((gpointer) b));
  int cmp = g_utf8_collate (sa, sb);

  /* The order of cr_room_dup_bans. */
  return cmp != 0 ? cmp : strcmp (sa, sb);
}

static gboolean
find_ban (CrMemberList *self,
          const char   *name,
          guint        *position)
{
  g_autofree char *fold = cr_name_fold (name);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->bans));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) ban = g_list_model_get_item (G_LIST_MODEL (self->bans), i);
      g_autofree char *other = cr_name_fold (cr_member_get_name (ban));

      if (g_str_equal (fold, other))
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
add_ban (CrMemberList *self,
         const char   *name)
{
  g_autoptr(CrMember) ban = NULL;
  guint position;

  if (find_ban (self, name, &position))
    return;
  ban = cr_member_new (name, CR_ROLE_MEMBER, 0);
  g_list_store_insert_sorted (self->bans, ban, compare_ban, NULL);
}

static void
remove_ban (CrMemberList *self,
            const char   *name)
{
  guint position;

  if (find_ban (self, name, &position))
    g_list_store_remove (self->bans, position);
}

static char *
format_address (GSocketAddress *address)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (isa));

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, g_inet_socket_address_get_port (isa));
  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (isa));
}

CrMemberList *
cr_member_list_new (void)
{
  CrMemberList *self = g_new0 (CrMemberList, 1);

  self->members = g_list_store_new (CR_TYPE_MEMBER);
  self->member_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->bans = g_list_store_new (CR_TYPE_MEMBER);
  self->added = g_ptr_array_new_with_free_func (g_object_unref);
  self->removed = g_hash_table_new (NULL, NULL);
  return self;
}

void
cr_member_list_free (CrMemberList *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->member_index, g_hash_table_unref);
  g_clear_pointer (&self->added, g_ptr_array_unref);
  g_clear_pointer (&self->removed, g_hash_table_unref);
  g_clear_object (&self->members);
  g_clear_object (&self->bans);
  g_free (self);
}

GListModel *
cr_member_list_get_members (CrMemberList *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return G_LIST_MODEL (self->members);
}

GListModel *
cr_member_list_get_bans (CrMemberList *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return G_LIST_MODEL (self->bans);
}

void
cr_member_list_begin_batch (CrMemberList *self)
{
  g_return_if_fail (self != NULL);

  self->batch_depth++;
}

void
cr_member_list_end_batch (CrMemberList *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->batch_depth > 0);

  if (--self->batch_depth == 0)
    flush_batch (self);
}

static void
drop_members (CrMemberList *self)
{
  g_hash_table_remove_all (self->member_index);
  g_ptr_array_set_size (self->added, 0);
  g_hash_table_remove_all (self->removed);
  g_list_store_remove_all (self->members);
}

static gboolean
apply_event (CrMemberList  *self,
             const CrEvent *event,
             CrMember      *snapshot)
{
  if (event->kind == CR_EVENT_ROOM_CLOSED)
    {
      drop_members (self);
      return TRUE;
    }

  if (event->name == NULL || event->name[0] == '\0')
    return FALSE;

  switch (event->kind)
    {
    case CR_EVENT_JOIN:
      if (snapshot != NULL)
        add_member (self, snapshot);
      return TRUE;

    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
      remove_member (self, event->name);
      return TRUE;

    case CR_EVENT_BAN:
      remove_member (self, event->name);
      add_ban (self, event->name);
      return TRUE;

    case CR_EVENT_UNBAN:
      remove_ban (self, event->name);
      return TRUE;

    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    case CR_EVENT_ADMIN:
    case CR_EVENT_UNADMIN:
      if (snapshot != NULL)
        update_member_flags (self, snapshot);
      return TRUE;

    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
      member_heard (self, event);
      return FALSE;

    case CR_EVENT_ANNOUNCE:
    case CR_EVENT_ROOM_CLOSED:
    default:
      return FALSE;
    }
}

gboolean
cr_member_list_apply (CrMemberList  *self,
                      const CrEvent *event,
                      CrMember      *snapshot)
{
  gboolean changed;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (snapshot == NULL || CR_IS_MEMBER (snapshot), FALSE);

  cr_member_list_begin_batch (self);
  changed = apply_event (self, event, snapshot);
  cr_member_list_end_batch (self);
  return changed;
}

CrMember *
cr_member_list_snapshot (CrEngine      *engine,
                         const CrEvent *event)
{
  const CrRoomMember *m;
  GSocketAddress *address;
  CrMember *member;

  g_return_val_if_fail (engine != NULL, NULL);
  g_return_val_if_fail (event != NULL, NULL);

  if (event->name == NULL || event->name[0] == '\0')
    return NULL;
  switch (event->kind)
    {
    case CR_EVENT_JOIN:
    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    case CR_EVENT_ADMIN:
    case CR_EVENT_UNADMIN:
      break;
    default:
      return NULL;
    }

  m = cr_room_lookup_name (cr_engine_get_room (engine), event->name);
  if (m == NULL)
    return NULL;
  member = cr_member_new (m->name, m->role, m->flags);
  cr_member_set_last_active (member, event->time_us);
  address = cr_engine_get_member_address (engine, m->id);
  if (address != NULL)
    {
      g_autofree char *text = format_address (address);

      cr_member_set_address (member, text);
    }
  return member;
}

void
cr_member_list_load_bans (CrMemberList *self,
                          GPtrArray    *names)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (self != NULL);
  g_return_if_fail (names != NULL);

  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (items, cr_member_new (names->pdata[i], CR_ROLE_MEMBER, 0));
  g_list_store_splice (self->bans, 0, g_list_model_get_n_items (G_LIST_MODEL (self->bans)),
                       items->pdata, items->len);
}

void
cr_member_list_clear (CrMemberList *self)
{
  g_return_if_fail (self != NULL);

  drop_members (self);
  g_list_store_remove_all (self->bans);
}
