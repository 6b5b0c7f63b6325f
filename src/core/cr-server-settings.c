/* cr-server-settings.c: a room's settings that apply while it runs
 * (the app binds them to its GSettings), and its name and key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A setter changes the configuration and notifies on the owner's side at
 * once, then hands the value to the room's side without waiting (a
 * threaded room takes it before its next read; cr-server-private.h).
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include "cr-server-private.h"
#include "cr-server.h"

enum {
  SET_REQUIRE_REGISTRATION,
  SET_ALLOW_CLASSIC,
  SET_MAX_MEMBERS,
  SET_HISTORY_LENGTH,
  SET_SILENCE_TIMEOUT,
  SET_DISCOVERABLE,
};

static void
set_in_room (gpointer user_data,
             gpointer job)
{
  CrServer *self = user_data;
  CrServerCall *call = job;
  CrEngineConfig *config;

  if (self->engine == NULL)
    return;
  config = cr_engine_get_config (self->engine);
  switch (call->action)
    {
    case SET_REQUIRE_REGISTRATION:
      config->require_registration = call->number != 0;
      break;
    case SET_ALLOW_CLASSIC:
      config->refuse_classic = call->number == 0;
      break;
    case SET_MAX_MEMBERS:
      /* Those already in stay: the limit refuses the next joins. */
      config->max_members = (guint) call->number;
      cr_room_set_max_members (cr_engine_get_room (self->engine), (guint) call->number);
      break;
    case SET_HISTORY_LENGTH:
      config->history_length = (guint) call->number;
      break;
    case SET_SILENCE_TIMEOUT:
      config->silence_timeout_us = call->number * G_TIME_SPAN_MILLISECOND;
      _cr_server_schedule (self);
      break;
    case SET_DISCOVERABLE:
      if (self->discovery != NULL && !self->stopping)
        {
          cr_discovery_responder_set_enabled (self->discovery, call->number != 0);
          if (call->number != 0)
            cr_discovery_responder_announce (self->discovery, CR_DISCOVERY_OPEN);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
set (CrServer *self,
     int       what,
     gint64    value)
{
  g_autoptr(CrServerCall) call = _cr_server_call_new (NULL, value, what);

  _cr_server_call (self, set_in_room, call, FALSE);
}

static void
set_name_in_room (gpointer user_data,
                  gpointer job)
{
  CrServer *self = user_data;
  CrServerCall *call = job;

  if (self->engine != NULL)
    {
      /* The members' headers follow (cr_engine_set_room_name). */
      cr_engine_set_room_name (self->engine, call->text, _cr_server_now (), self->out);
      _cr_server_send_out (self);
    }
  if (self->store != NULL)
    cr_store_set_setting (self->store, "room-name", call->text, NULL);
}

const char *
cr_server_get_room_name (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->running ? self->live_name : self->room_name;
}

void
cr_server_set_room_name (CrServer   *self,
                         const char *name)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (name != NULL && *name == '\0')
    name = NULL;
  if (g_strcmp0 (self->room_name, name) == 0)
    return;
  g_free (self->room_name);
  self->room_name = g_strdup (name);
  if (self->running && name != NULL)
    {
      g_autoptr(CrServerCall) call = _cr_server_call_new (name, 0, 0);

      g_free (self->live_name);
      self->live_name = g_strdup (name);
      _cr_server_call (self, set_name_in_room, call, FALSE);
    }
  g_object_notify (G_OBJECT (self), "room-name");
}

void
cr_server_set_require_registration (CrServer *self,
                                    gboolean  required)
{
  g_return_if_fail (CR_IS_SERVER (self));

  required = !!required;
  if (self->require_registration == required)
    return;
  self->require_registration = required;
  set (self, SET_REQUIRE_REGISTRATION, required);
  g_object_notify (G_OBJECT (self), "require-registration");
}

void
cr_server_set_allow_classic (CrServer *self,
                             gboolean  allow)
{
  g_return_if_fail (CR_IS_SERVER (self));

  allow = !!allow;
  if (self->allow_classic == allow)
    return;
  self->allow_classic = allow;
  set (self, SET_ALLOW_CLASSIC, allow);
  g_object_notify (G_OBJECT (self), "allow-classic");
}

void
cr_server_set_max_members (CrServer *self,
                           guint     max_members)
{
  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (max_members > 0);

  if (self->max_members == max_members)
    return;
  self->max_members = max_members;
  set (self, SET_MAX_MEMBERS, max_members);
  g_object_notify (G_OBJECT (self), "max-members");
}

void
cr_server_set_history_length (CrServer *self,
                              guint     length)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->history_length == length)
    return;
  self->history_length = length;
  set (self, SET_HISTORY_LENGTH, length);
  g_object_notify (G_OBJECT (self), "history-length");
}

void
cr_server_set_silence_timeout (CrServer *self,
                               guint     timeout_ms)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->silence_timeout_ms == timeout_ms)
    return;
  self->silence_timeout_ms = timeout_ms;
  set (self, SET_SILENCE_TIMEOUT, timeout_ms);
  g_object_notify (G_OBJECT (self), "silence-timeout");
}

void
cr_server_set_discoverable (CrServer *self,
                            gboolean  discoverable)
{
  g_return_if_fail (CR_IS_SERVER (self));

  discoverable = !!discoverable;
  if (self->discoverable == discoverable)
    return;
  self->discoverable = discoverable;
  set (self, SET_DISCOVERABLE, discoverable);
  g_object_notify (G_OBJECT (self), "discoverable");
}

CrIdentity *
_cr_server_dup_identity (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->identity != NULL ? cr_identity_copy (self->identity) : NULL;
}

void
_cr_server_set_identity (CrServer   *self,
                         CrIdentity *identity)
{
  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (!self->running);

  g_clear_pointer (&self->identity, cr_identity_free);
  self->identity = identity;
}

char *
cr_server_dup_fingerprint (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->identity != NULL
    ? cr_fingerprint (cr_identity_get_public (self->identity)) : NULL;
}
