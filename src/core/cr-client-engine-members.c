/* cr-client-engine-members.c: the room's members in a member's packet
 * path, both dialects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine keeps the list as the room says it (a whole list, then joins,
 * leaves, mutes), indexed by folded name, and says each change as an
 * output; CrClient (cr-client-members.c) applies them to its model.
 */
#define G_LOG_DOMAIN "cr-client-engine"

#include "config.h"

#include <string.h>

#include "cr-client-dialect.h"
#include "cr-client-engine.h"

void
cr_client_member_free (CrClientMember *member)
{
  if (member == NULL)
    return;
  g_free (member->name);
  g_free (member);
}

static CrClientMember *
member_new (const char *name,
            CrRole      role,
            guint       flags,
            gboolean    is_self)
{
  CrClientMember *member = g_new0 (CrClientMember, 1);

  member->name = g_strdup (name);
  member->role = role;
  member->flags = flags;
  member->is_self = is_self;
  return member;
}

static CrClientMember *
member_copy (const CrClientMember *member)
{
  return member_new (member->name, member->role, member->flags, member->is_self);
}

static gboolean
find_member (CrClientEngine *self,
             const char     *name,
             guint          *position)
{
  g_autofree char *fold = cr_name_fold (name);
  CrClientMember *member = g_hash_table_lookup (self->member_index, fold);

  return member != NULL && g_ptr_array_find (self->members, member, position);
}

static void
index_members (CrClientEngine *self)
{
  g_hash_table_remove_all (self->member_index);
  for (guint i = 0; i < self->members->len; i++)
    {
      CrClientMember *member = self->members->pdata[i];

      g_hash_table_replace (self->member_index, cr_name_fold (member->name), member);
    }
}

gboolean
_cr_client_engine_add_member (CrClientEngine *self,
                              const char     *name,
                              CrRole          role,
                              guint           flags)
{
  CrClientMember *member;
  guint position;

  if (name == NULL || *name == '\0' || find_member (self, name, &position))
    return FALSE;
  if (self->members->len >= CR_CLIENT_MEMBERS_MAX)
    {
      self->stats.rejected++;
      return FALSE;
    }
  member = member_new (name, role, flags, _cr_client_engine_is_self (self, name));
  g_ptr_array_add (self->members, member);
  g_hash_table_replace (self->member_index, cr_name_fold (name), member);
  _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBER_ADDED)->member =
    member_copy (member);
  return TRUE;
}

static void
remove_member (CrClientEngine *self,
               const char     *name)
{
  g_autofree char *fold = NULL;
  guint position;

  if (name == NULL || !find_member (self, name, &position))
    return;
  _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBER_REMOVED)->member =
    member_copy (self->members->pdata[position]);
  fold = cr_name_fold (name);
  g_hash_table_remove (self->member_index, fold);
  g_ptr_array_remove_index (self->members, position);
}

static void
set_member_muted (CrClientEngine *self,
                  const char     *name,
                  gboolean        muted)
{
  CrClientMember *member;
  guint position;
  guint flags;

  if (name == NULL || !find_member (self, name, &position))
    return;
  member = self->members->pdata[position];
  flags = muted ? member->flags | CR_MEMBER_MUTED : member->flags & ~CR_MEMBER_MUTED;
  if (flags == member->flags)
    return;
  member->flags = flags;
  _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBER_CHANGED)->member =
    member_copy (member);
}

void
_cr_client_engine_apply_member_event (CrClientEngine *self,
                                      const CrEvent  *event)
{
  switch (event->kind)
    {
    case CR_EVENT_JOIN:
      /* The event does not say the role; the next list corrects it. */
      _cr_client_engine_add_member (self, event->name, CR_ROLE_MEMBER,
                                    self->dialect == &cr_client_classic_dialect
                                    ? CR_MEMBER_CLASSIC : 0);
      break;

    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
      remove_member (self, event->name);
      break;

    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
      set_member_muted (self, event->name, event->kind == CR_EVENT_MUTE);
      break;

    case CR_EVENT_ROOM_CLOSED:
      if (self->members->len > 0)
        {
          g_ptr_array_set_size (self->members, 0);
          g_hash_table_remove_all (self->member_index);
          _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBERS)->members =
            g_ptr_array_new_with_free_func ((GDestroyNotify) cr_client_member_free);
        }
      break;

    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
    case CR_EVENT_UNBAN:
    default:
      _cr_client_moderation_event (self, event);
      break;
    }
}

gboolean
_cr_client_engine_set_members (CrClientEngine *self,
                               GPtrArray      *members)
{
  g_autoptr(GPtrArray) list = members;
  g_autoptr(GHashTable) folds = NULL;
  GPtrArray *copy;

  if (list->len > CR_CLIENT_MEMBERS_MAX)
    {
      g_debug ("Refusing a list of %u members", list->len);
      self->stats.rejected++;
      return FALSE;
    }

  folds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < list->len; i++)
    {
      CrClientMember *member = list->pdata[i];
      g_autofree char *normalized = NULL;

      if (cr_name_validate (member->name, -1, &normalized) != CR_REASON_NONE ||
          strcmp (normalized, member->name) != 0 ||
          (member->role != CR_ROLE_MEMBER && member->role != CR_ROLE_OWNER &&
           member->role != CR_ROLE_ADMIN) ||
          !g_hash_table_add (folds, cr_name_fold (member->name)))
        {
          g_debug ("Refusing a list of members: “%s” is invalid or repeated", member->name);
          self->stats.rejected++;
          return FALSE;
        }
      member->is_self = _cr_client_engine_is_self (self, member->name);
    }

  copy = g_ptr_array_new_full (list->len, (GDestroyNotify) cr_client_member_free);
  for (guint i = 0; i < list->len; i++)
    g_ptr_array_add (copy, member_copy (list->pdata[i]));
  g_ptr_array_unref (self->members);
  self->members = g_steal_pointer (&list);
  index_members (self);
  _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBERS)->members = copy;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */

GPtrArray *
cr_client_engine_get_members (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->members;
}
