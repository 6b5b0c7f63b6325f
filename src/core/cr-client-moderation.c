/* cr-client-moderation.c: running a class (issue 15), a member's side
 * (cr-client-moderation.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the room sends is checked like everything else from it: a pin
 * longer than the room's limit or not valid text, a role that is none of
 * ours, are dropped and counted as rejected.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>

#include "cr-client-dialect.h"
#include "cr-client-moderation.h"
#include "cr-room.h"

/* The MANAGE requests that may still be answered: a few, the newest kept. */
#define RECENT_MANAGE 16

struct _CrClientModeration
{
  char    *pin;
  gboolean mute_all;
  gint64   mute_end;      /* -1: not muted, 0: until lifted, else engine time */
  guint64  recent[RECENT_MANAGE];
  guint    next_recent;
};

static struct _CrClientModeration *
moderation (CrClientEngine *self)
{
  if (self->moderation == NULL)
    {
      self->moderation = g_new0 (struct _CrClientModeration, 1);
      self->moderation->mute_end = -1;
    }
  return self->moderation;
}

void
_cr_client_moderation_free (CrClientEngine *self)
{
  if (self->moderation == NULL)
    return;
  g_free (self->moderation->pin);
  g_clear_pointer (&self->moderation, g_free);
}

static gboolean
pin_valid (const char *pin)
{
  return strlen (pin) <= CR_PIN_MAX_BYTES &&
         (*pin == '\0' || cr_text_validate (pin, -1) == CR_REASON_NONE);
}

static void
set_pin (CrClientEngine *self,
         const char     *pin)
{
  struct _CrClientModeration *m = moderation (self);

  g_free (m->pin);
  m->pin = pin != NULL && *pin != '\0' ? g_strdup (pin) : NULL;
}

void
_cr_client_moderation_state (CrClientEngine *self,
                             GVariant       *body)
{
  struct _CrClientModeration *m;
  const char *pin;
  gboolean mute_all;
  gint64 left_ms;
  guint32 role;

  g_variant_get (body, "(&sbxu)", &pin, &mute_all, &left_ms, &role);
  if (!pin_valid (pin) || left_ms < -1 ||
      (role != CR_ROLE_MEMBER && role != CR_ROLE_OWNER && role != CR_ROLE_ADMIN))
    {
      self->stats.rejected++;
      return;
    }
  m = moderation (self);
  set_pin (self, pin);
  m->mute_all = mute_all;
  /* Ms left, turned into our clock: the room's clock is not ours. */
  m->mute_end = left_ms <= 0 ? left_ms : self->now + MIN (left_ms, G_MAXINT64 / 2000) * 1000;
  if ((CrRole) role != self->role && self->name != NULL)
    {
      /* set_identity replaces the strings it is given: pass copies. */
      g_autofree char *name = g_strdup (self->name);
      g_autofree char *room_name = g_strdup (self->room_name);

      _cr_client_engine_set_identity (self, self->dialect, name, room_name, role);
    }
  _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_ROOM_STATE);
}

gboolean
_cr_client_moderation_notice (CrClientEngine *self,
                              guint64         origin,
                              CrReason        reason)
{
  struct _CrClientModeration *m = self->moderation;
  CrClientOutput *output;

  if (m == NULL || origin == 0)
    return FALSE;
  for (guint i = 0; i < RECENT_MANAGE; i++)
    if (m->recent[i] == origin)
      {
        m->recent[i] = 0;
        output = _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MANAGE_REFUSED);
        output->origin = origin;
        output->reason = reason;
        return TRUE;
      }
  return FALSE;
}

static void
set_member_role (CrClientEngine *self,
                 const char     *name,
                 CrRole          role)
{
  g_autofree char *fold = cr_name_fold (name);
  CrClientMember *member = g_hash_table_lookup (self->member_index, fold);
  CrClientOutput *output;

  if (member == NULL || member->role == role)
    return;
  member->role = role;
  output = _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_MEMBER_CHANGED);
  output->member = g_new0 (CrClientMember, 1);
  output->member->name = g_strdup (member->name);
  output->member->role = member->role;
  output->member->flags = member->flags;
  output->member->is_self = member->is_self;
}

void
_cr_client_moderation_event (CrClientEngine *self,
                             const CrEvent  *event)
{
  switch (event->kind)
    {
    case CR_EVENT_ADMIN:
    case CR_EVENT_UNADMIN:
      set_member_role (self, event->name,
                       event->kind == CR_EVENT_ADMIN ? CR_ROLE_ADMIN : CR_ROLE_MEMBER);
      break;

    /* A native member learns the state from STATE alone: the history it
     * replays at join holds pins long replaced. A classic member gets no
     * history, and only these lines. */
    case CR_EVENT_PIN:
    case CR_EVENT_UNPIN:
      if (self->dialect != &cr_client_native_dialect &&
          pin_valid (event->text != NULL ? event->text : ""))
        {
          set_pin (self, event->kind == CR_EVENT_PIN ? event->text : NULL);
          _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_ROOM_STATE);
        }
      break;

    case CR_EVENT_MUTE_ALL:
    case CR_EVENT_UNMUTE_ALL:
      if (self->dialect == &cr_client_native_dialect)
        break;
      moderation (self)->mute_all = event->kind == CR_EVENT_MUTE_ALL;
      _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_ROOM_STATE);
      break;

    default:
      break;
    }
}

guint64
cr_client_engine_manage (CrClientEngine *self,
                         CrManageAction  action,
                         const char     *argument,
                         gint64          seconds,
                         gint64          now,
                         GPtrArray      *out)
{
  struct _CrClientModeration *m;
  g_autoptr(GBytes) body = NULL;
  guint64 origin;
  gboolean sent;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (action >= CR_MANAGE_KICK && action <= CR_MANAGE_LAST, 0);

  if (self->state != CR_CLIENT_CONNECTED)
    return 0;
  origin = self->origin_base | ++self->origin_counter;
  body = cr_body_manage (action, origin, argument, seconds);
  self->out = out;
  self->now = now;
  sent = _cr_client_native_send_manage (self, body, now);
  self->out = NULL;
  if (!sent)
    return 0;
  m = moderation (self);
  m->recent[m->next_recent++ % RECENT_MANAGE] = origin;
  return origin;
}

const char *
cr_client_engine_get_pin (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->moderation != NULL ? self->moderation->pin : NULL;
}

gboolean
cr_client_engine_get_mute_all (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->moderation != NULL && self->moderation->mute_all;
}

gint64
cr_client_engine_get_mute_end (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->moderation != NULL ? self->moderation->mute_end : -1;
}
