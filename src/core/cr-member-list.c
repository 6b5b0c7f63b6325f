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
add_member (CrMemberList  *self,
            CrRoom        *room,
            const CrEvent *event)
{
  const CrRoomMember *m = cr_room_lookup_name (room, event->name);
  g_autoptr(CrMember) member = NULL;

  if (m == NULL || lookup_member (self, m->name) != NULL)
    return;

  member = cr_member_new (m->name, m->role, m->flags);
  cr_member_set_last_active (member, event->time_us);
  /* The index borrows: the store holds the member. */
  g_hash_table_replace (self->member_index, cr_name_fold (m->name), member);
  g_list_store_insert_sorted (self->members, member, cr_member_compare, NULL);
}

static void
remove_member (CrMemberList *self,
               const char   *name)
{
  g_autofree char *fold = cr_name_fold (name);
  CrMember *member = g_hash_table_lookup (self->member_index, fold);
  guint position;
  gboolean found;

  if (member == NULL)
    return;

  found = g_list_store_find (self->members, member, &position);
  g_hash_table_remove (self->member_index, fold);
  if (found)
    g_list_store_remove (self->members, position);
}

static void
update_member_flags (CrMemberList *self,
                     CrRoom       *room,
                     const char   *name)
{
  const CrRoomMember *m = cr_room_lookup_name (room, name);
  CrMember *member = lookup_member (self, name);

  if (m != NULL && member != NULL)
    {
      g_autoptr(CrMember) moved = NULL;
      guint position;

      /* A new role (an admin appointed) moves the member: owner, admins,
       * then members. */
      if (cr_member_get_role (member) != m->role &&
          g_list_store_find (self->members, member, &position))
        {
          moved = g_object_ref (member);
          g_list_store_remove (self->members, position);
        }
      cr_member_set_flags (member, m->flags);
      cr_member_set_role (member, m->role);
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
  return self;
}

void
cr_member_list_free (CrMemberList *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->member_index, g_hash_table_unref);
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

gboolean
cr_member_list_apply (CrMemberList  *self,
                      CrRoom        *room,
                      const CrEvent *event,
                      gboolean      *joined)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (room != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  if (joined != NULL)
    *joined = FALSE;

  if (event->kind == CR_EVENT_ROOM_CLOSED)
    {
      g_hash_table_remove_all (self->member_index);
      g_list_store_remove_all (self->members);
      return TRUE;
    }

  if (event->name == NULL || event->name[0] == '\0')
    return FALSE;

  switch (event->kind)
    {
    case CR_EVENT_JOIN:
      add_member (self, room, event);
      if (joined != NULL)
        *joined = TRUE;
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
      update_member_flags (self, room, event->name);
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

void
cr_member_list_fill_addresses (CrMemberList *self,
                               CrEngine     *engine)
{
  GHashTableIter iter;
  CrMember *member;

  g_return_if_fail (self != NULL);
  g_return_if_fail (engine != NULL);

  g_hash_table_iter_init (&iter, self->member_index);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    {
      const CrRoomMember *m = cr_room_lookup_name (cr_engine_get_room (engine),
                                                   cr_member_get_name (member));
      GSocketAddress *address = m ? cr_engine_get_member_address (engine, m->id) : NULL;

      if (address != NULL)
        {
          g_autofree char *text = format_address (address);

          cr_member_set_address (member, text);
        }
    }
}

void
cr_member_list_load_bans (CrMemberList *self,
                          CrRoom       *room)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (self != NULL);
  g_return_if_fail (room != NULL);

  names = cr_room_dup_bans (room);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (items, cr_member_new (names->pdata[i], CR_ROLE_MEMBER, 0));
  g_list_store_splice (self->bans, 0, g_list_model_get_n_items (G_LIST_MODEL (self->bans)),
                       items->pdata, items->len);
}

void
cr_member_list_clear (CrMemberList *self)
{
  g_return_if_fail (self != NULL);

  g_hash_table_remove_all (self->member_index);
  g_list_store_remove_all (self->members);
  g_list_store_remove_all (self->bans);
}
