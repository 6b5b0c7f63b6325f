/* cr-engine-moderation.c: admins, timed mutes, mute-all and the pinned
 * announcement, on the room's side (the rules: cr-engine-moderation.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every change of the room's state here is an event (stored, delivered,
 * rendered by each reader) and then a STATE to every native member, each
 * with its own mute and role, so that a member's composer can say why it
 * is closed without replaying the history.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-engine-private.h"

#define SETTING_PIN      "pin"
#define SETTING_MUTE_ALL "mute-all"

/* The longest mute one may ask for: a year, so that until never overflows. */
#define MUTE_SECONDS_MAX ((gint64) 366 * 24 * 3600)

void
_cr_engine_moderation_load (CrEngine *self)
{
  g_autoptr(GPtrArray) admins = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *mute_all = NULL;
  g_autoptr(GPtrArray) mutes = NULL;

  g_assert (self != NULL);

  if (self->store == NULL)
    return;
  admins = cr_store_list_admins (self->store);
  for (guint i = 0; i < admins->len; i++)
    cr_room_add_admin (self->room, admins->pdata[i]);
  pin = cr_store_get_setting (self->store, SETTING_PIN);
  cr_room_load_pin (self->room, pin);
  mute_all = cr_store_get_setting (self->store, SETTING_MUTE_ALL);
  cr_room_load_mute_all (self->room, g_strcmp0 (mute_all, "1") == 0);
  /* Put on the engine's clock at the first tick (settle_mutes): the
   * engine has no time of its own before it is given one. */
  mutes = cr_store_list_mutes (self->store);
  for (guint i = 0; i < mutes->len; i++)
    {
      const CrStoreMute *mute = mutes->pdata[i];

      cr_room_load_mute (self->room, mute->name, mute->until);
    }
}

/* The room goes on when the disk fails (cr-engine-storage.c does the same
 * for history): the state holds until the room restarts. */
static void
store_failed (CrEngine *self,
              GError   *error)
{
  self->stats.store_errors++;
  g_warning ("Could not store the room's state: %s", error->message);
}

static void
persist_admin (CrEngine   *self,
               const char *name,
               gboolean    admin)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fold = NULL;

  if (self->store == NULL)
    return;
  fold = cr_name_fold (name);
  if (!cr_store_set_admin (self->store, fold, name, admin, &error))
    store_failed (self, error);
}

static void
persist_setting (CrEngine   *self,
                 const char *key,
                 const char *value)
{
  g_autoptr(GError) error = NULL;

  if (self->store != NULL && !cr_store_set_setting (self->store, key, value, &error))
    store_failed (self, error);
}

/* A mute's end on the room's clock (0: until lifted) as one on the wall
 * clock. */
static gint64
end_on_wall (gint64        until,
             CrEngineTime  now)
{
  return until > 0 ? MAX (now.wall + (until - now.mono), 1) : 0;
}

/* Keeps name's mute as the room has it now: its end on the wall clock
 * (the store outlives this process's monotonic clock), or none. */
static void
persist_mute (CrEngine     *self,
              const char   *name,
              CrEngineTime  now)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nfc = NULL;
  g_autofree char *fold = NULL;
  gint64 until;

  if (self->store == NULL || cr_name_validate (name, -1, &nfc) != CR_REASON_NONE)
    return;
  fold = cr_name_fold (nfc);
  until = cr_room_get_mute_until (self->room, nfc);
  if (!cr_store_set_mute (self->store, fold, nfc, until >= 0, end_on_wall (until, now), &error))
    store_failed (self, error);
}

void
_cr_engine_queue_state (CrEngine        *self,
                        CrEngineSession *session,
                        gint64           now)
{
  const CrRoomMember *member;
  g_autoptr(GBytes) body = NULL;
  gint64 until;
  gint64 left_ms = -1;

  g_assert (self != NULL);
  g_assert (session != NULL);

  if (session->dialect != CR_DIALECT_NATIVE || session->closing || session->member_id == 0)
    return;
  member = cr_room_lookup (self->room, session->member_id);
  if (member == NULL)
    return;
  until = cr_room_get_mute_until (self->room, member->name);
  if (until == 0)
    left_ms = 0;
  else if (until > 0)
    left_ms = MAX ((until - now) / 1000, 1);
  body = cr_body_state (cr_room_get_pin (self->room), cr_room_get_mute_all (self->room),
                        left_ms, member->role);
  cr_reliable_send (session->rel, CR_PACKET_STATE, body);
}

static void
broadcast_state (CrEngine     *self,
                 CrEngineTime  now,
                 GPtrArray    *out)
{
  GHashTableIter iter;
  CrEngineSession *session;

  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->dialect == CR_DIALECT_NATIVE && !session->closing)
      {
        _cr_engine_queue_state (self, session, now.mono);
        _cr_engine_session_flush (self, session, now.mono, out);
      }
}

/* The mutes loaded at start go on the engine's clock (cr-room.h); those
 * that ended while the room was down leave the store too. TRUE when any
 * mute changed, so that members hear their STATE again. */
static gboolean
settle_mutes (CrEngine     *self,
              CrEngineTime  now)
{
  g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func (g_free);

  if (!cr_room_settle_mutes (self->room, now.mono, now.wall, dropped))
    return FALSE;
  for (guint i = 0; i < dropped->len; i++)
    persist_mute (self, dropped->pdata[i], now);
  return TRUE;
}

/* May actor (its role) do action to target? */
static CrReason
check_allowed (CrEngine       *self,
               CrRole          actor_role,
               CrManageAction  action,
               const char     *target)
{
  const CrRoomMember *member;

  if (actor_role == CR_ROLE_OWNER)
    return CR_REASON_NONE;
  if (actor_role != CR_ROLE_ADMIN)
    return CR_REASON_NOT_ALLOWED;

  switch (action)
    {
    case CR_MANAGE_MUTE_ALL:
    case CR_MANAGE_UNMUTE_ALL:
      return CR_REASON_NONE;

    case CR_MANAGE_KICK:
    case CR_MANAGE_MUTE:
    case CR_MANAGE_UNMUTE:
      /* An admin acts on members only: not the owner, not a fellow admin. */
      member = target != NULL ? cr_room_lookup_name (self->room, target) : NULL;
      if (member != NULL && member->role != CR_ROLE_MEMBER)
        return CR_REASON_NOT_ALLOWED;
      if (member == NULL && target != NULL && cr_room_is_admin (self->room, target))
        return CR_REASON_NOT_ALLOWED;
      return CR_REASON_NONE;

    case CR_MANAGE_BAN:
    case CR_MANAGE_UNBAN:
    case CR_MANAGE_ADMIN:
    case CR_MANAGE_UNADMIN:
    case CR_MANAGE_PIN:
    default:
      return CR_REASON_NOT_ALLOWED;
    }
}

static gboolean
owner_action (CrEngine      *self,
              CrOwnerAction  action,
              const char    *name,
              CrEngineTime   now,
              GPtrArray     *out,
              CrReason      *reason)
{
  return cr_engine_owner_act (self, action, name, now, out, reason);
}

gboolean
cr_engine_moderate (CrEngine       *self,
                    const char     *actor,
                    CrManageAction  action,
                    const char     *argument,
                    gint64          seconds,
                    CrEngineTime    now,
                    GPtrArray      *out,
                    CrReason       *reason)
{
  g_autoptr(CrEvent) event = NULL;
  const CrRoomMember *actor_member = NULL;
  CrRole role = CR_ROLE_OWNER;
  CrReason r = CR_REASON_NONE;
  gboolean ok = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  /* A mute loaded at start is on the clock before anyone acts on it. */
  if (settle_mutes (self, now))
    broadcast_state (self, now, out);
  if (actor != NULL)
    {
      actor_member = cr_room_lookup_name (self->room, actor);
      role = actor_member != NULL ? actor_member->role : CR_ROLE_MEMBER;
    }
  r = check_allowed (self, role, action, argument);
  if (r == CR_REASON_NONE && action == CR_MANAGE_MUTE &&
      (seconds < 0 || seconds > MUTE_SECONDS_MAX))
    r = CR_REASON_TEXT_INVALID;
  if (r != CR_REASON_NONE)
    {
      if (reason)
        *reason = r;
      return FALSE;
    }

  /* The events an admin's request makes name the admin (issue 15). */
  cr_room_set_actor (self->room, role == CR_ROLE_ADMIN ? actor_member->name : NULL);
  switch (action)
    {
    case CR_MANAGE_KICK:
      ok = owner_action (self, CR_OWNER_KICK, argument, now, out, &r);
      break;
    case CR_MANAGE_BAN:
      ok = owner_action (self, CR_OWNER_BAN, argument, now, out, &r);
      break;
    case CR_MANAGE_UNBAN:
      ok = owner_action (self, CR_OWNER_UNBAN, argument, now, out, &r);
      break;
    case CR_MANAGE_UNMUTE:
      ok = owner_action (self, CR_OWNER_UNMUTE, argument, now, out, &r);
      break;
    case CR_MANAGE_MUTE:
      event = cr_room_mute_until (self->room, argument,
                                  seconds > 0 ? now.mono + seconds * G_TIME_SPAN_SECOND : 0,
                                  now.wall, &r);
      break;
    case CR_MANAGE_MUTE_ALL:
    case CR_MANAGE_UNMUTE_ALL:
      event = cr_room_set_mute_all (self->room, action == CR_MANAGE_MUTE_ALL,
                                    role == CR_ROLE_ADMIN ? actor_member->name : NULL,
                                    now.wall, &r);
      if (event != NULL)
        persist_setting (self, SETTING_MUTE_ALL, action == CR_MANAGE_MUTE_ALL ? "1" : "0");
      break;
    case CR_MANAGE_ADMIN:
    case CR_MANAGE_UNADMIN:
      event = cr_room_set_admin (self->room, argument, action == CR_MANAGE_ADMIN, now.wall, &r);
      if (event != NULL)
        persist_admin (self, event->name, action == CR_MANAGE_ADMIN);
      break;
    case CR_MANAGE_PIN:
      event = cr_room_set_pin (self->room, argument, now.wall, &r);
      if (event != NULL)
        persist_setting (self, SETTING_PIN, argument != NULL ? argument : "");
      break;
    default:
      r = CR_REASON_NOT_ALLOWED;
      break;
    }
  cr_room_set_actor (self->room, NULL);

  if (event != NULL)
    {
      _cr_engine_commit_event (self, event, now, out);
      ok = TRUE;
    }
  if (ok && (action == CR_MANAGE_MUTE || action == CR_MANAGE_UNMUTE))
    persist_mute (self, argument, now);
  if (ok)
    broadcast_state (self, now, out);
  if (reason)
    *reason = ok ? CR_REASON_NONE : r;
  return ok;
}

void
_cr_engine_handle_manage (CrEngine        *self,
                          CrEngineSession *session,
                          const guint8    *data,
                          gsize            len,
                          CrEngineTime     now,
                          GPtrArray       *out)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_MANAGE, data, len);
  const CrRoomMember *member;
  const char *argument;
  guint32 action;
  guint64 origin;
  gint64 seconds;
  CrReason reason = CR_REASON_NONE;

  g_assert (self != NULL);
  g_assert (session != NULL);

  if (v == NULL)
    {
      self->stats.malformed++;
      return;
    }
  g_variant_get (v, "(ut&sx)", &action, &origin, &argument, &seconds);
  member = cr_room_lookup (self->room, session->member_id);
  if (member == NULL)
    return;

  /* Requests cost what chat costs: a flood of them is a flood. */
  if (!_cr_engine_bucket_take (&session->bucket, self->config.rate_per_second,
                               self->config.rate_burst, now.mono))
    {
      self->stats.rate_limited++;
      reason = CR_REASON_RATE_LIMITED;
    }
  else if (action < CR_MANAGE_KICK || action > CR_MANAGE_LAST)
    {
      self->stats.manage_refused++;
      reason = CR_REASON_NOT_ALLOWED;
    }
  else if (!cr_engine_moderate (self, member->name, action, argument, seconds, now, out,
                                &reason) &&
           reason == CR_REASON_NOT_ALLOWED)
    self->stats.manage_refused++;

  /* The session may be gone: a member who kicked itself is no admin, but
   * an owner who did is. Only a refusal is answered, and only while here. */
  if (reason != CR_REASON_NONE &&
      g_hash_table_lookup (self->by_member, GUINT_TO_POINTER (session->member_id)) == session)
    {
      g_autoptr(GBytes) notice = cr_body_notice (reason, origin);

      cr_reliable_send (session->rel, CR_PACKET_NOTICE, notice);
    }
}

void
_cr_engine_classic_pin (CrEngine       *self,
                        GSocketAddress *to,
                        GPtrArray      *out)
{
  const char *pin;
  g_autoptr(CrEvent) event = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  g_assert (self != NULL);

  pin = cr_room_get_pin (self->room);
  if (pin == NULL)
    return;
  /* Not limited to 3× the join like the OK: a classic member gets every
   * broadcast line after its join anyway, the pin is one line of at most
   * CR_PIN_MAX_BYTES, and joins from one IP are rate-limited
   * (CR_ENGINE_CLASSIC_JOIN_RATE). */
  event = cr_event_new (0, 0, CR_EVENT_PIN, "", pin, 0);
  lines = cr_classic_format_event (self->classic, event);
  for (guint i = 0; i < lines->len; i++)
    _cr_engine_emit_text (self, out, to, lines->pdata[i]);
}

void
_cr_engine_moderation_tick (CrEngine     *self,
                            CrEngineTime  now,
                            GPtrArray    *out)
{
  g_autoptr(GPtrArray) due = NULL;
  gboolean changed = FALSE;

  g_assert (self != NULL);

  if (cr_room_next_mute_end (self->room) > now.mono)
    return;
  changed = settle_mutes (self, now);
  due = cr_room_dup_due_mutes (self->room, now.mono);
  for (guint i = 0; i < due->len; i++)
    {
      g_autoptr(CrEvent) event = cr_room_unmute (self->room, due->pdata[i], now.wall, NULL);

      if (event != NULL)
        {
          _cr_engine_commit_event (self, event, now, out);
          persist_mute (self, event->name, now);
          changed = TRUE;
        }
    }
  if (changed)
    broadcast_state (self, now, out);
}

GPtrArray *
cr_engine_dup_mutes (CrEngine     *self,
                     CrEngineTime  now)
{
  g_autoptr(GPtrArray) names = NULL;
  GPtrArray *mutes;

  g_return_val_if_fail (self != NULL, NULL);

  /* Settled already by the first tick in a running room (CrServer ticks
   * at start); a caller that asks before gets the same answer. */
  settle_mutes (self, now);
  names = cr_room_dup_mutes (self->room);
  mutes = g_ptr_array_new_full (names->len, (GDestroyNotify) cr_store_mute_free);
  for (guint i = 0; i < names->len; i++)
    {
      CrStoreMute *mute = g_new0 (CrStoreMute, 1);

      mute->name = g_strdup (names->pdata[i]);
      mute->until = end_on_wall (cr_room_get_mute_until (self->room, names->pdata[i]), now);
      g_ptr_array_add (mutes, mute);
    }
  return mutes;
}

gint64
_cr_engine_moderation_deadline (CrEngine *self)
{
  g_assert (self != NULL);

  return cr_room_next_mute_end (self->room);
}
