/* cr-room-moderation.c: admins, timed mutes, mute-all, the pinned
 * announcement: the room's state machine, continued (cr-room.c's top
 * comment says the rules)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-room"

#include "config.h"

#include <string.h>

#include "cr-room-private.h"

void
cr_room_add_admin (CrRoom     *self,
                   const char *name)
{
  g_autofree char *nfc = NULL;
  char *fold;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);

  fold = _cr_room_fold_name (name, &nfc);
  if (fold == NULL)
    return;
  g_hash_table_replace (self->admins, fold, g_steal_pointer (&nfc));
}

gboolean
cr_room_is_admin (CrRoom     *self,
                  const char *name)
{
  g_autofree char *fold = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  fold = name != NULL ? _cr_room_fold_name (name, NULL) : NULL;
  return fold != NULL && g_hash_table_contains (self->admins, fold);
}

GPtrArray *
cr_room_dup_admins (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return _cr_room_dup_sorted_values (self->admins);
}

CrEvent *
cr_room_set_admin (CrRoom      *self,
                   const char  *name,
                   gboolean     admin,
                   gint64       now,
                   CrReason    *reason)
{
  g_autofree char *nfc = NULL;
  g_autofree char *fold = NULL;
  RoomMember *member;
  const char *canonical;
  CrEvent *event;

  g_return_val_if_fail (self != NULL, NULL);

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
  if (g_hash_table_contains (self->admins, fold) == admin)
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }

  /* Like a ban, an absent name may be appointed: it is an admin when it comes. */
  canonical = member != NULL ? member->pub.name : nfc;
  event = _cr_room_next_event (self, now, admin ? CR_EVENT_ADMIN : CR_EVENT_UNADMIN,
                              canonical, NULL, 0);
  if (admin)
    g_hash_table_replace (self->admins, g_strdup (fold), g_strdup (canonical));
  else
    g_hash_table_remove (self->admins, fold);
  if (member != NULL)
    member->pub.role = admin ? CR_ROLE_ADMIN : CR_ROLE_MEMBER;
  set_reason (reason, CR_REASON_NONE);
  return event;
}

void
cr_room_set_actor (CrRoom     *self,
                   const char *admin_name)
{
  g_return_if_fail (self != NULL);

  g_free (self->actor);
  self->actor = admin_name != NULL && *admin_name != '\0' ? g_strdup (admin_name) : NULL;
}

gint64
cr_room_get_mute_until (CrRoom     *self,
                        const char *name)
{
  g_autofree char *fold = NULL;
  Mute *mute;

  g_return_val_if_fail (self != NULL, -1);

  fold = name != NULL ? _cr_room_fold_name (name, NULL) : NULL;
  mute = fold != NULL ? g_hash_table_lookup (self->mutes, fold) : NULL;
  return mute != NULL ? mute->until : -1;
}

gint64
cr_room_next_mute_end (CrRoom *self)
{
  GHashTableIter iter;
  gpointer value;
  gint64 next = G_MAXINT64;

  g_return_val_if_fail (self != NULL, G_MAXINT64);

  /* A linear walk: mutes are few (a class's worth), and only the tick asks. */
  g_hash_table_iter_init (&iter, self->mutes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Mute *mute = value;

      if (mute->end_wall > 0)
        return 0;
      if (mute->until > 0)
        next = MIN (next, mute->until);
    }
  return next;
}

void
cr_room_load_mute (CrRoom     *self,
                   const char *name,
                   gint64      end_wall)
{
  g_autofree char *nfc = NULL;
  char *fold;
  Mute *mute;

  g_return_if_fail (self != NULL);
  g_return_if_fail (end_wall >= 0);

  fold = _cr_room_fold_name (name, &nfc);
  if (fold == NULL)
    return;
  mute = _cr_room_mute_new (nfc, 0);
  mute->end_wall = end_wall;
  g_hash_table_replace (self->mutes, fold, mute);
}

gboolean
cr_room_settle_mutes (CrRoom    *self,
                      gint64     now,
                      gint64     now_wall,
                      GPtrArray *dropped)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;
  gboolean any = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);

  g_hash_table_iter_init (&iter, self->mutes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Mute *mute = value;
      RoomMember *member;

      if (mute->end_wall == 0)
        continue;
      any = TRUE;
      if (mute->end_wall > now_wall)
        {
          mute->until = MAX (now + (mute->end_wall - now_wall), 1);
          mute->end_wall = 0;
          continue;
        }
      /* Over while the room was down: as if it had never been loaded. */
      member = g_hash_table_lookup (self->members_by_fold, key);
      if (member != NULL)
        member->pub.flags &= ~(guint) CR_MEMBER_MUTED;
      if (dropped != NULL)
        g_ptr_array_add (dropped, g_strdup (mute->name));
      g_hash_table_iter_remove (&iter);
    }
  return any;
}

GPtrArray *
cr_room_dup_mutes (CrRoom *self)
{
  GPtrArray *names;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, NULL);

  names = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->mutes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (names, g_strdup (((const Mute *) value)->name));
  g_ptr_array_sort (names, _cr_room_compare_strings);
  return names;
}

GPtrArray *
cr_room_dup_due_mutes (CrRoom *self,
                       gint64  now)
{
  GPtrArray *due;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (self != NULL, NULL);

  due = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->mutes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Mute *mute = value;

      if (mute->until > 0 && mute->until <= now)
        g_ptr_array_add (due, g_strdup (mute->name));
    }
  g_ptr_array_sort (due, _cr_room_compare_strings);
  return due;
}

gboolean
cr_room_get_mute_all (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->mute_all;
}

void
cr_room_load_mute_all (CrRoom   *self,
                       gboolean  mute_all)
{
  g_return_if_fail (self != NULL);

  self->mute_all = !!mute_all;
}

CrEvent *
cr_room_set_mute_all (CrRoom      *self,
                      gboolean     mute_all,
                      const char  *admin_name,
                      gint64       now,
                      CrReason    *reason)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->mute_all == !!mute_all)
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }
  self->mute_all = !!mute_all;
  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, mute_all ? CR_EVENT_MUTE_ALL : CR_EVENT_UNMUTE_ALL,
                             admin_name != NULL ? admin_name : "", NULL, 0);
}

const char *
cr_room_get_pin (CrRoom *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->pin;
}

void
cr_room_load_pin (CrRoom     *self,
                  const char *text)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->pin, g_free);
  if (text != NULL && *text != '\0' && strlen (text) <= CR_PIN_MAX_BYTES &&
      cr_text_validate (text, -1) == CR_REASON_NONE)
    self->pin = g_strdup (text);
}

CrEvent *
cr_room_set_pin (CrRoom      *self,
                 const char  *text,
                 gint64       now,
                 CrReason    *reason)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (text != NULL && *text == '\0')
    text = NULL;
  if (text != NULL &&
      (strlen (text) > CR_PIN_MAX_BYTES || cr_text_validate (text, -1) != CR_REASON_NONE))
    {
      set_reason (reason, CR_REASON_TEXT_INVALID);
      return NULL;
    }
  if (g_strcmp0 (text, self->pin) == 0)
    {
      set_reason (reason, CR_REASON_NO_CHANGE);
      return NULL;
    }
  g_free (self->pin);
  self->pin = g_strdup (text);
  set_reason (reason, CR_REASON_NONE);
  return _cr_room_next_event (self, now, text != NULL ? CR_EVENT_PIN : CR_EVENT_UNPIN,
                             NULL, text, 0);
}
