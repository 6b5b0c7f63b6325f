/* cr-room.c: the room as a pure state machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every lookup is a hash table lookup: members by id and by folded name,
 * bans and mutes by folded name. Only cr_room_list_members and
 * cr_room_dup_bans sort, and only what they return.
 *
 * Refusal reasons of the owner actions:
 *   - a name that does not validate            → CR_REASON_NAME_INVALID
 *   - no member of that name (kick, mute)      → CR_REASON_NO_SUCH_MEMBER
 *   - the target is the owner (kick/ban/mute)  → CR_REASON_NOT_ALLOWED
 *   - mute of a muted member, unmute of a name
 *     that is not muted                        → CR_REASON_NO_CHANGE
 *   - ban of an absent name that is banned,
 *     unban of a name that is not banned       → CR_REASON_NO_CHANGE
 * ("the state already is what you asked" carries the state's own reason.)
 *
 * Mutes are remembered by folded name for the life of the room, so leaving
 * and joining again does not lift a mute; unmute works on an absent name
 * that is still muted. Closing the room forgets the mutes and bans it
 * holds; the store keeps both, and the engine loads them again at start
 * (cr_room_add_ban, cr_room_load_mute).
 *
 * max_members 0 means no limit.
 *
 * Moderation (issue 15): admins are remembered by folded name like bans
 * (the store keeps them; cr_room_add_admin loads them) and a member whose
 * name is an admin's joins as CR_ROLE_ADMIN. A mute may end at a time of
 * the caller's clock (the engine's monotonic one): the room only keeps it
 * and says which mutes are due (cr_room_dup_due_mutes); the caller lifts
 * them with cr_room_unmute; a loaded mute waits for cr_room_settle_mutes
 * to be put on that clock. While the caller carries out an admin's
 * request (cr_room_set_actor), its kick, ban and mute events name the
 * admin. Mute-all silences every CR_ROLE_MEMBER
 * (CR_REASON_MUTED_ALL), never the owner or an admin. The pinned
 * announcement is the room's one text (NULL: none).
 */
#define G_LOG_DOMAIN "cr-room"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"
#include "cr-room-private.h"

static void
mute_free (gpointer data)
{
  Mute *mute = data;

  g_free (mute->name);
  g_free (mute);
}

Mute *
_cr_room_mute_new (const char *name,
          gint64      until)
{
  Mute *mute = g_new0 (Mute, 1);

  mute->name = g_strdup (name);
  mute->until = until;
  return mute;
}

/* Owner first, then admins, then members. */
static int
role_rank (CrRole role)
{
  return role == CR_ROLE_OWNER ? 0 : role == CR_ROLE_ADMIN ? 1 : 2;
}

static void
room_member_free (gpointer data)
{
  RoomMember *member = data;

  if (member == NULL)
    return;
  g_free (member->pub.name);
  g_free (member->pub.fold);
  g_free (member->collate_key);
  g_free (member);
}

/* Validates name and returns its folded key (transfer full), or NULL when it
 * is not a valid name. *out_nfc, when given, receives the NFC name. */
char *
_cr_room_fold_name (const char  *name,
                   char       **out_nfc)
{
  g_autofree char *nfc = NULL;
  char *fold;

  if (out_nfc)
    *out_nfc = NULL;
  if (cr_name_validate (name, -1, &nfc) != CR_REASON_NONE)
    return NULL;
  fold = cr_name_fold (nfc);
  if (out_nfc)
    *out_nfc = g_steal_pointer (&nfc);
  return fold;
}

static RoomMember *
cr_room_find_by_name (CrRoom     *self,
                      const char *name)
{
  g_autofree char *fold = _cr_room_fold_name (name, NULL);

  if (fold == NULL)
    return NULL;
  return g_hash_table_lookup (self->members_by_fold, fold);
}

CrEvent *
_cr_room_next_event (CrRoom      *self,
                    gint64       now,
                    CrEventKind  kind,
                    const char  *name,
                    const char  *text,
                    guint64      origin)
{
  CrEvent *event;

  g_assert (self != NULL);

  self->last_seq++;
  event = cr_event_new (self->last_seq, now, kind, name, text, origin);
  if (self->actor != NULL &&
      (kind == CR_EVENT_KICK || kind == CR_EVENT_BAN || kind == CR_EVENT_MUTE))
    event->actor = g_strdup (self->actor);
  return event;
}

static void
cr_room_remove_member (CrRoom     *self,
                       RoomMember *member)
{
  g_assert (self != NULL);
  g_assert (member != NULL);

  /* The fold table borrows its key from the member: drop it first. */
  g_hash_table_remove (self->members_by_fold, member->pub.fold);
  g_hash_table_remove (self->members_by_id, GUINT_TO_POINTER (member->pub.id));
}

/* Is a name taken? By a member of the same fold (case-insensitively:
 * CR_REASON_NAME_TAKEN), or by one it cannot be told from
 * (cr_name_skeleton: "bоb" with a Cyrillic о, "ｂｏｂ", while bob is here:
 * CR_REASON_NAME_CONFUSABLE). Members' skeletons are not kept: each is
 * compared as it is made, which for ASCII and Chinese names stops at the
 * first letter that differs (cr_name_skeleton_equal). */
static CrReason
cr_room_name_taken (CrRoom     *self,
                    const char *nfc,
                    const char *fold)
{
  g_autofree char *skeleton = NULL;
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_contains (self->members_by_fold, fold))
    return CR_REASON_NAME_TAKEN;

  skeleton = cr_name_skeleton (nfc);
  g_hash_table_iter_init (&iter, self->members_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const RoomMember *member = value;

      if (cr_name_skeleton_equal (member->pub.name, skeleton))
        return CR_REASON_NAME_CONFUSABLE;
    }
  return CR_REASON_NONE;
}

/* The checks of cr_room_check_join; on success *out_nfc and *out_fold are set
 * (transfer full). */
static CrReason
cr_room_check_join_internal (CrRoom      *self,
                             const char  *name,
                             char       **out_nfc,
                             char       **out_fold)
{
  g_autofree char *nfc = NULL;
  g_autofree char *fold = NULL;
  CrReason taken;

  g_assert (self != NULL);

  fold = _cr_room_fold_name (name, &nfc);
  if (fold == NULL)
    return CR_REASON_NAME_INVALID;
  if (cr_name_imitates_room (nfc))
    return CR_REASON_NAME_RESERVED;
  if (g_hash_table_contains (self->bans, fold))
    return CR_REASON_BANNED;
  taken = cr_room_name_taken (self, nfc, fold);
  if (taken != CR_REASON_NONE)
    return taken;
  if (self->max_members > 0 &&
      g_hash_table_size (self->members_by_id) >= self->max_members)
    return CR_REASON_ROOM_FULL;

  if (out_nfc)
    *out_nfc = g_steal_pointer (&nfc);
  if (out_fold)
    *out_fold = g_steal_pointer (&fold);
  return CR_REASON_NONE;
}

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  const RoomMember *ma = *(const RoomMember * const *) a;
  const RoomMember *mb = *(const RoomMember * const *) b;
  int cmp;

  if (ma->pub.role != mb->pub.role)
    return role_rank (ma->pub.role) - role_rank (mb->pub.role);
  cmp = strcmp (ma->collate_key, mb->collate_key);
  if (cmp != 0)
    return cmp;
  /* Folds are unique, but collation keys of different folds may tie. */
  cmp = strcmp (ma->pub.fold, mb->pub.fold);
  if (cmp != 0)
    return cmp;
  return ma->pub.id < mb->pub.id ? -1 : ma->pub.id > mb->pub.id;
}

int
_cr_room_compare_strings (gconstpointer a,
                         gconstpointer b)
{
  const char *sa = *(const char * const *) a;
  const char *sb = *(const char * const *) b;
  int cmp = g_utf8_collate (sa, sb);

  return cmp != 0 ? cmp : strcmp (sa, sb);
}

CrRoom *
cr_room_new (const char *name,
             guint       max_members,
             guint64     last_seq)
{
  CrRoom *self = g_new0 (CrRoom, 1);

  self->name = g_strdup (name ? name : "");
  self->max_members = max_members;
  self->last_seq = last_seq;
  self->next_id = 1;
  self->members_by_id = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                               NULL, room_member_free);
  self->members_by_fold = g_hash_table_new (g_str_hash, g_str_equal);
  self->bans = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->mutes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, mute_free);
  self->admins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
cr_room_free (CrRoom *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->members_by_fold, g_hash_table_unref);
  g_clear_pointer (&self->members_by_id, g_hash_table_unref);
  g_clear_pointer (&self->bans, g_hash_table_unref);
  g_clear_pointer (&self->mutes, g_hash_table_unref);
  g_clear_pointer (&self->admins, g_hash_table_unref);
  g_free (self->pin);
  g_free (self->actor);
  g_free (self->name);
  g_free (self);
}

const char *
cr_room_get_name (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

void
cr_room_set_name (CrRoom     *self,
                  const char *name)
{
  g_return_if_fail (self != NULL);

  g_free (self->name);
  self->name = g_strdup (name ? name : "");
}

guint
cr_room_get_max_members (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_members;
}

void
cr_room_set_max_members (CrRoom *self,
                         guint   max_members)
{
  g_return_if_fail (self != NULL);

  /* Lowering the limit keeps everyone inside; it only refuses new joins. */
  self->max_members = max_members;
}

guint64
cr_room_get_last_seq (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->last_seq;
}

guint
cr_room_get_n_members (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->members_by_id);
}

void
cr_room_add_ban (CrRoom     *self,
                 const char *name)
{
  g_autofree char *nfc = NULL;
  char *fold;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  fold = _cr_room_fold_name (name, &nfc);
  if (fold == NULL)
    {
      /* Nobody can join under an invalid name: nothing to ban. */
      g_debug ("Ignoring ban of invalid name");
      return;
    }
  g_hash_table_replace (self->bans, fold, g_steal_pointer (&nfc));
}

gboolean
cr_room_is_banned (CrRoom     *self,
                   const char *name)
{
  g_autofree char *fold = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  fold = _cr_room_fold_name (name, NULL);
  return fold != NULL && g_hash_table_contains (self->bans, fold);
}

GPtrArray *
_cr_room_dup_sorted_values (GHashTable *table)
{
  GPtrArray *values = g_ptr_array_new_full (g_hash_table_size (table), g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, g_strdup (value));
  g_ptr_array_sort (values, _cr_room_compare_strings);
  return values;
}

GPtrArray *
cr_room_dup_bans (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return _cr_room_dup_sorted_values (self->bans);
}

CrReason
cr_room_check_join (CrRoom      *self,
                    const char  *name,
                    char       **normalized)
{
  CrReason reason;

  g_return_val_if_fail (self != NULL, CR_REASON_INTERNAL);

  if (normalized)
    *normalized = NULL;
  reason = cr_room_check_join_internal (self, name, normalized, NULL);
  return reason;
}

CrEvent *
cr_room_join (CrRoom      *self,
              const char  *name,
              CrRole       role,
              guint        flags,
              gint64       now,
              guint32     *member_id,
              CrReason    *reason)
{
  g_autofree char *nfc = NULL;
  g_autofree char *fold = NULL;
  RoomMember *member;
  CrReason why;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (role == CR_ROLE_MEMBER || role == CR_ROLE_OWNER || role == CR_ROLE_ADMIN, NULL);

  if (member_id)
    *member_id = 0;

  why = cr_room_check_join_internal (self, name, &nfc, &fold);
  /* After 2^32 - 1 joins every id has been handed out; ids are never reused. */
  if (why == CR_REASON_NONE && self->next_id == 0)
    why = CR_REASON_ROOM_FULL;
  if (why != CR_REASON_NONE)
    {
      set_reason (reason, why);
      return NULL;
    }

  if (role == CR_ROLE_MEMBER && g_hash_table_contains (self->admins, fold))
    role = CR_ROLE_ADMIN;
  if (role == CR_ROLE_OWNER)
    flags &= ~(guint) CR_MEMBER_MUTED;
  else if ((flags & CR_MEMBER_MUTED) != 0)
    g_hash_table_replace (self->mutes, g_strdup (fold), _cr_room_mute_new (nfc, 0));
  else if (g_hash_table_contains (self->mutes, fold))
    flags |= CR_MEMBER_MUTED;

  member = g_new0 (RoomMember, 1);
  member->pub.id = self->next_id++;
  member->pub.role = role;
  member->pub.flags = flags;
  member->pub.joined_us = now;
  member->pub.last_active_us = now;
  member->collate_key = g_utf8_collate_key (fold, -1);
  member->pub.fold = g_steal_pointer (&fold);
  member->pub.name = g_steal_pointer (&nfc);

  g_hash_table_insert (self->members_by_id, GUINT_TO_POINTER (member->pub.id), member);
  g_hash_table_insert (self->members_by_fold, member->pub.fold, member);

  if (member_id)
    *member_id = member->pub.id;
  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, CR_EVENT_JOIN, member->pub.name, NULL, 0);
}

CrEvent *
cr_room_leave (CrRoom      *self,
               guint32      member_id,
               CrEventKind  kind,
               gint64       now)
{
  RoomMember *member;
  CrEvent *event;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (kind == CR_EVENT_LEAVE || kind == CR_EVENT_TIMEOUT, NULL);

  member = g_hash_table_lookup (self->members_by_id, GUINT_TO_POINTER (member_id));
  if (member == NULL)
    return NULL;

  event = _cr_room_next_event (self, now, kind, member->pub.name, NULL, 0);
  cr_room_remove_member (self, member);
  return event;
}

CrEvent *
cr_room_say (CrRoom      *self,
             guint32      member_id,
             const char  *text,
             guint64      origin,
             gint64       now,
             CrReason    *reason)
{
  RoomMember *member;
  CrReason why;

  g_return_val_if_fail (self != NULL, NULL);

  member = g_hash_table_lookup (self->members_by_id, GUINT_TO_POINTER (member_id));
  if (member == NULL)
    {
      set_reason (reason, CR_REASON_NAME_INVALID);
      return NULL;
    }

  /* Even a refused message shows the member is there. */
  member->pub.last_active_us = MAX (member->pub.last_active_us, now);

  if ((member->pub.flags & CR_MEMBER_MUTED) != 0)
    {
      set_reason (reason, CR_REASON_MUTED);
      return NULL;
    }
  if (self->mute_all && member->pub.role == CR_ROLE_MEMBER)
    {
      set_reason (reason, CR_REASON_MUTED_ALL);
      return NULL;
    }
  why = cr_text_validate (text, -1);
  if (why != CR_REASON_NONE)
    {
      set_reason (reason, why);
      return NULL;
    }

  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now,
                             member->pub.role == CR_ROLE_OWNER ? CR_EVENT_OWNER_CHAT
                                                               : CR_EVENT_CHAT,
                             member->pub.name, text, origin);
}

CrEvent *
cr_room_record (CrRoom      *self,
                CrEventKind  kind,
                const char  *name,
                gint64       now)
{
  g_return_val_if_fail (self != NULL, NULL);

  return _cr_room_next_event (self, now, kind, name, "", 0);
}

CrEvent *
cr_room_owner_say (CrRoom      *self,
                   const char  *owner_name,
                   const char  *text,
                   gint64       now,
                   CrReason    *reason)
{
  CrReason why;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (owner_name == NULL || g_utf8_validate (owner_name, -1, NULL), NULL);

  why = cr_text_validate (text, -1);
  if (why != CR_REASON_NONE)
    {
      set_reason (reason, why);
      return NULL;
    }

  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, CR_EVENT_OWNER_CHAT, owner_name, text, 0);
}

CrEvent *
cr_room_announce (CrRoom      *self,
                  const char  *text,
                  gint64       now,
                  CrReason    *reason)
{
  CrReason why;

  g_return_val_if_fail (self != NULL, NULL);

  why = cr_text_validate (text, -1);
  if (why != CR_REASON_NONE)
    {
      set_reason (reason, why);
      return NULL;
    }

  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, CR_EVENT_ANNOUNCE, NULL, text, 0);
}

CrEvent *
cr_room_file_event (CrRoom      *self,
                    CrEventKind  kind,
                    const char  *name,
                    const char  *text,
                    gint64       now)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (kind == CR_EVENT_FILE || kind == CR_EVENT_FILE_EXPIRED, NULL);

  return _cr_room_next_event (self, now, kind, name, text, 0);
}

/* Why an owner action found no one to act on. */
static CrReason
owner_action_refusal (const char       *name,
                      const RoomMember *member)
{
  if (member != NULL)
    return CR_REASON_NOT_ALLOWED;
  if (name == NULL || cr_name_validate (name, -1, NULL) != CR_REASON_NONE)
    return CR_REASON_NAME_INVALID;
  return CR_REASON_NO_SUCH_MEMBER;
}

CrEvent *
cr_room_kick (CrRoom      *self,
              const char  *name,
              gint64       now,
              guint32     *removed_id,
              CrReason    *reason)
{
  RoomMember *member;
  CrEvent *event;

  g_return_val_if_fail (self != NULL, NULL);

  if (removed_id)
    *removed_id = 0;

  member = cr_room_find_by_name (self, name);
  /* Absent, invalid, or the owner himself: see the top of this file. */
  if (member == NULL || member->pub.role == CR_ROLE_OWNER)
    {
      set_reason (reason, owner_action_refusal (name, member));
      return NULL;
    }

  if (removed_id)
    *removed_id = member->pub.id;
  set_reason (reason, CR_REASON_NONE);
  event = _cr_room_next_event (self, now, CR_EVENT_KICK, member->pub.name, NULL, 0);
  cr_room_remove_member (self, member);
  return event;
}

CrEvent *
cr_room_ban (CrRoom      *self,
             const char  *name,
             gint64       now,
             guint32     *removed_id,
             CrReason    *reason)
{
  g_autofree char *nfc = NULL;
  g_autofree char *fold = NULL;
  RoomMember *member;
  CrEvent *event;
  const char *canonical;

  g_return_val_if_fail (self != NULL, NULL);

  if (removed_id)
    *removed_id = 0;

  fold = _cr_room_fold_name (name, &nfc);
  if (fold == NULL)
    {
      set_reason (reason, CR_REASON_NAME_INVALID);
      return NULL;
    }

  member = g_hash_table_lookup (self->members_by_fold, fold);
  if (member != NULL && member->pub.role == CR_ROLE_OWNER)
    {
      set_reason (reason, CR_REASON_NOT_ALLOWED);
      return NULL;
    }
  /* A banned name that is still inside (the ban came through
   * cr_room_add_ban) is removed: only an absent banned name is a no-op. */
  if (member == NULL && g_hash_table_contains (self->bans, fold))
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }

  canonical = member != NULL ? member->pub.name : nfc;
  g_hash_table_replace (self->bans, g_strdup (fold), g_strdup (canonical));
  event = _cr_room_next_event (self, now, CR_EVENT_BAN, canonical, NULL, 0);

  if (member != NULL)
    {
      if (removed_id)
        *removed_id = member->pub.id;
      cr_room_remove_member (self, member);
    }
  set_reason (reason, CR_REASON_NONE);
  return event;
}

CrEvent *
cr_room_unban (CrRoom      *self,
               const char  *name,
               gint64       now,
               CrReason    *reason)
{
  g_autofree char *fold = NULL;
  const char *banned_name;
  CrEvent *event;

  g_return_val_if_fail (self != NULL, NULL);

  fold = _cr_room_fold_name (name, NULL);
  if (fold == NULL)
    {
      set_reason (reason, CR_REASON_NAME_INVALID);
      return NULL;
    }
  banned_name = g_hash_table_lookup (self->bans, fold);
  if (banned_name == NULL)
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }

  event = _cr_room_next_event (self, now, CR_EVENT_UNBAN, banned_name, NULL, 0);
  g_hash_table_remove (self->bans, fold);
  set_reason (reason, CR_REASON_NONE);
  return event;
}

CrEvent *
cr_room_mute (CrRoom      *self,
              const char  *name,
              gint64       now,
              CrReason    *reason)
{
  return cr_room_mute_until (self, name, 0, now, reason);
}

CrEvent *
cr_room_mute_until (CrRoom      *self,
                    const char  *name,
                    gint64       until,
                    gint64       now,
                    CrReason    *reason)
{
  RoomMember *member;
  Mute *mute;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (until >= 0, NULL);

  member = cr_room_find_by_name (self, name);
  if (member == NULL || member->pub.role == CR_ROLE_OWNER)
    {
      set_reason (reason, owner_action_refusal (name, member));
      return NULL;
    }
  /* Muting again with another end moves the end: "1 h" after "10 min". */
  mute = g_hash_table_lookup (self->mutes, member->pub.fold);
  if ((member->pub.flags & CR_MEMBER_MUTED) != 0 &&
      (mute == NULL || (mute->until == until && mute->end_wall == 0)))
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }

  member->pub.flags |= CR_MEMBER_MUTED;
  g_hash_table_replace (self->mutes, g_strdup (member->pub.fold),
                        _cr_room_mute_new (member->pub.name, until));
  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, CR_EVENT_MUTE, member->pub.name, NULL, 0);
}

CrEvent *
cr_room_unmute (CrRoom      *self,
                const char  *name,
                gint64       now,
                CrReason    *reason)
{
  g_autofree char *fold = NULL;
  g_autofree char *muted_name = NULL;
  RoomMember *member;

  g_return_val_if_fail (self != NULL, NULL);

  fold = _cr_room_fold_name (name, NULL);
  if (fold == NULL)
    {
      set_reason (reason, CR_REASON_NAME_INVALID);
      return NULL;
    }

  member = g_hash_table_lookup (self->members_by_fold, fold);
  /* cr_room_join and cr_room_mute keep the flag of a member and the mutes
   * table in step, so the table alone says whether the name is muted. */
  {
    Mute *mute = g_hash_table_lookup (self->mutes, fold);

    muted_name = mute != NULL ? g_strdup (mute->name) : NULL;
  }
  if (muted_name == NULL)
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }
  g_hash_table_remove (self->mutes, fold);

  if (member != NULL)
    member->pub.flags &= ~(guint) CR_MEMBER_MUTED;
  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, CR_EVENT_UNMUTE,
                             member != NULL ? member->pub.name : muted_name, NULL, 0);
}

CrEvent *
cr_room_close (CrRoom *self,
               gint64  now)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_hash_table_remove_all (self->members_by_fold);
  g_hash_table_remove_all (self->members_by_id);
  g_hash_table_remove_all (self->mutes);
  return _cr_room_next_event (self, now, CR_EVENT_ROOM_CLOSED, NULL, NULL, 0);
}

void
cr_room_touch (CrRoom  *self,
               guint32  member_id,
               gint64   now)
{
  RoomMember *member;

  g_return_if_fail (self != NULL);

  member = g_hash_table_lookup (self->members_by_id, GUINT_TO_POINTER (member_id));
  if (member != NULL)
    member->pub.last_active_us = MAX (member->pub.last_active_us, now);
}

const CrRoomMember *
cr_room_lookup (CrRoom  *self,
                guint32  member_id)
{
  RoomMember *member;

  g_return_val_if_fail (self != NULL, NULL);

  member = g_hash_table_lookup (self->members_by_id, GUINT_TO_POINTER (member_id));
  return member != NULL ? &member->pub : NULL;
}

const CrRoomMember *
cr_room_lookup_name (CrRoom     *self,
                     const char *name)
{
  RoomMember *member;

  g_return_val_if_fail (self != NULL, NULL);

  member = cr_room_find_by_name (self, name);
  return member != NULL ? &member->pub : NULL;
}

GPtrArray *
cr_room_list_members (CrRoom *self)
{
  GPtrArray *members;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, NULL);

  members = g_ptr_array_sized_new (g_hash_table_size (self->members_by_id));
  g_hash_table_iter_init (&iter, self->members_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (members, value);
  g_ptr_array_sort (members, compare_members);
  return members;
}

