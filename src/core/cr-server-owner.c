/* cr-server-owner.c: what the owner does in a running room: speak,
 * recall, moderate, and ask who is admin, banned or locked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each function acts on the room's side (cr-server-private.h). Called from
 * the owner's side of a threaded room (the app's window), it runs there
 * as a call and waits for the answer a bounded time: the room answers
 * between two reads of its socket, so the wait is one read's work at
 * most, never a whole burst.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cr-render.h"

#include "cr-server-private.h"
#include "cr-server.h"

typedef gboolean (*OwnerFunc) (CrServer      *self,
                               CrServerCall  *call,
                               CrReason      *reason);

gboolean
_cr_server_check_running (CrServer  *self,
                          GError   **error)
{
  if (self->engine != NULL && !self->stopping)
    return TRUE;
  g_set_error_literal (error, CR_SERVER_ERROR, CR_REASON_ROOM_CLOSED,
                       _("The room is closed"));
  return FALSE;
}

void
_cr_server_timed_out (GError **error)
{
  g_set_error_literal (error, CR_SERVER_ERROR, CR_REASON_ROOM_CLOSED,
                       _("The room did not answer in time"));
}

static gboolean
finish_owner (CrServer  *self,
              gboolean   ok,
              CrReason   reason,
              GError   **error)
{
  _cr_server_send_out (self);
  _cr_server_schedule (self);
  if (!ok)
    {
      g_autofree char *text = cr_render_reason (reason, NULL);
      g_set_error_literal (error, CR_SERVER_ERROR, reason, text);
    }
  return ok;
}

/* On the room's side: one owner action with the call's arguments. */
static void
act_in_room (CrServer     *self,
             OwnerFunc     func,
             CrServerCall *call)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  if (!_cr_server_check_running (self, &call->error))
    return;
  ok = func (self, call, &reason);
  call->ok = finish_owner (self, ok, reason, &call->error);
}

static gboolean
say (CrServer     *self,
     CrServerCall *call,
     CrReason     *reason)
{
  return cr_engine_owner_say (self->engine, call->text, _cr_server_now (), self->out, reason);
}

static void
say_call (gpointer self,
          gpointer call)
{
  act_in_room (self, say, call);
}

static gboolean
announce (CrServer     *self,
          CrServerCall *call,
          CrReason     *reason)
{
  return cr_engine_announce (self->engine, call->text, _cr_server_now (), self->out, reason);
}

static void
announce_call (gpointer self,
               gpointer call)
{
  act_in_room (self, announce, call);
}

static gboolean
recall (CrServer     *self,
        CrServerCall *call,
        CrReason     *reason)
{
  return cr_engine_recall (self->engine, (guint64) call->number, _cr_server_now (), self->out,
                           reason);
}

static void
recall_call (gpointer self,
             gpointer call)
{
  act_in_room (self, recall, call);
}

static gboolean
owner_act (CrServer     *self,
           CrServerCall *call,
           CrReason     *reason)
{
  return cr_engine_owner_act (self->engine, (CrOwnerAction) call->action, call->text,
                              _cr_server_now (), self->out, reason);
}

static void
owner_act_call (gpointer self,
                gpointer call)
{
  act_in_room (self, owner_act, call);
}

static gboolean
moderate (CrServer     *self,
          CrServerCall *call,
          CrReason     *reason)
{
  return cr_engine_moderate (self->engine, NULL, (CrManageAction) call->action, call->text,
                             call->number, _cr_server_now (), self->out, reason);
}

static void
moderate_call (gpointer self,
               gpointer call)
{
  act_in_room (self, moderate, call);
}

static gboolean
unlock_name (CrServer     *self,
             CrServerCall *call,
             CrReason     *reason)
{
  *reason = CR_REASON_NO_CHANGE;
  return cr_engine_unlock_name (self->engine, call->text);
}

static void
unlock_name_call (gpointer self,
                  gpointer call)
{
  act_in_room (self, unlock_name, call);
}

/* From either side: func_call with these arguments, in the room. */
static gboolean
act (CrServer            *self,
     CrServerThreadFunc   func_call,
     const char          *text,
     gint64               number,
     int                  action,
     GError             **error)
{
  g_autoptr(CrServerCall) call = _cr_server_call_new (text, number, action);

  if (!_cr_server_call (self, func_call, call, TRUE))
    {
      _cr_server_timed_out (error);
      return FALSE;
    }
  if (!call->ok)
    g_propagate_error (error, g_steal_pointer (&call->error));
  return call->ok;
}

gboolean
cr_server_say (CrServer    *self,
               const char  *text,
               GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, say_call, text, 0, 0, error);
}

gboolean
cr_server_announce (CrServer    *self,
                    const char  *text,
                    GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, announce_call, text, 0, 0, error);
}

gboolean
cr_server_recall (CrServer    *self,
                  guint64      seq,
                  GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, recall_call, NULL, (gint64) seq, 0, error);
}

gboolean
cr_server_kick (CrServer    *self,
                const char  *name,
                GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, owner_act_call, name, 0, CR_OWNER_KICK, error);
}

gboolean
cr_server_mute (CrServer    *self,
                const char  *name,
                GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  /* Through the moderation rules: members hear their STATE too. */
  return cr_server_moderate (self, CR_MANAGE_MUTE, name, 0, error);
}

gboolean
cr_server_unmute (CrServer    *self,
                  const char  *name,
                  GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return cr_server_moderate (self, CR_MANAGE_UNMUTE, name, 0, error);
}

gboolean
cr_server_ban (CrServer    *self,
               const char  *name,
               GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, owner_act_call, name, 0, CR_OWNER_BAN, error);
}

gboolean
cr_server_unban (CrServer    *self,
                 const char  *name,
                 GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, owner_act_call, name, 0, CR_OWNER_UNBAN, error);
}

gboolean
cr_server_moderate (CrServer        *self,
                    CrManageAction   action,
                    const char      *argument,
                    gint64           seconds,
                    GError         **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return act (self, moderate_call, argument, seconds, action, error);
}

gboolean
cr_server_unlock_name (CrServer    *self,
                       const char  *name,
                       GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return act (self, unlock_name_call, name, 0, 0, error);
}

/* Questions: what the room knows, copied on its side. */

enum {
  ASK_ADMINS,
  ASK_BANS,
  ASK_LOCKED,
  ASK_PIN,
  ASK_MUTE_ALL,
  ASK_STATS,
  ASK_HOLD_AUTH,
  ASK_N_HELD_AUTH,
  ASK_MUTES,
};

/* Takes names (NULL: none) and gives them as a GStrv. */
static GStrv
strv_from_names (GPtrArray *names)
{
  g_autoptr(GPtrArray) owned = names;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; owned != NULL && i < owned->len; i++)
    g_strv_builder_add (builder, owned->pdata[i]);
  return g_strv_builder_end (builder);
}

static void
ask_in_room (gpointer user_data,
             gpointer job)
{
  CrServer *self = user_data;
  CrServerCall *call = job;
  CrRoom *room = self->engine != NULL ? cr_engine_get_room (self->engine) : NULL;

  switch (call->action)
    {
    case ASK_ADMINS:
      call->names = strv_from_names (room != NULL ? cr_room_dup_admins (room) : NULL);
      break;
    case ASK_BANS:
      call->names = strv_from_names (room != NULL ? cr_room_dup_bans (room) : NULL);
      break;
    case ASK_LOCKED:
      call->names = strv_from_names (self->engine != NULL
                                     ? cr_engine_dup_locked_names (self->engine, _cr_server_now ())
                                     : NULL);
      break;
    case ASK_PIN:
      call->string = room != NULL ? g_strdup (cr_room_get_pin (room)) : NULL;
      break;
    case ASK_MUTE_ALL:
      call->ok = room != NULL && cr_room_get_mute_all (room);
      break;
    case ASK_STATS:
      if (self->engine != NULL)
        cr_engine_get_stats (self->engine, &call->stats);
      break;
    case ASK_HOLD_AUTH:
      if (self->worker != NULL)
        cr_engine_worker_hold (self->worker, call->number != 0);
      break;
    case ASK_N_HELD_AUTH:
      call->number = self->worker ? cr_engine_worker_get_n_held (self->worker) : 0;
      break;
    case ASK_MUTES:
      call->mutes = self->engine != NULL
                    ? cr_engine_dup_mutes (self->engine, _cr_server_now ())
                    : g_ptr_array_new_with_free_func ((GDestroyNotify) cr_store_mute_free);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* A question's answer; NULL when the room did not give one in time. */
static CrServerCall *
ask (CrServer *self,
     int       what,
     gint64    number)
{
  g_autoptr(CrServerCall) call = _cr_server_call_new (NULL, number, what);

  if (!_cr_server_call (self, ask_in_room, call, TRUE))
    return NULL;
  return g_steal_pointer (&call);
}

static GStrv
ask_names (CrServer *self,
           int       what)
{
  g_autoptr(CrServerCall) call = ask (self, what, 0);

  return call != NULL && call->names != NULL ? g_steal_pointer (&call->names)
                                             : g_new0 (char *, 1);
}

GStrv
cr_server_dup_admins (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return ask_names (self, ASK_ADMINS);
}

GPtrArray *
cr_server_dup_mutes (CrServer *self)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  call = ask (self, ASK_MUTES, 0);
  if (call == NULL || call->mutes == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_store_mute_free);
  return g_steal_pointer (&call->mutes);
}

GStrv
cr_server_dup_bans (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return ask_names (self, ASK_BANS);
}

GStrv
cr_server_dup_locked_names (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return ask_names (self, ASK_LOCKED);
}

char *
cr_server_dup_pin (CrServer *self)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  call = ask (self, ASK_PIN, 0);
  return call != NULL ? g_steal_pointer (&call->string) : NULL;
}

gboolean
cr_server_get_mute_all (CrServer *self)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);

  call = ask (self, ASK_MUTE_ALL, 0);
  return call != NULL && call->ok;
}

void
cr_server_get_stats (CrServer *self,
                     CrStats  *stats)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (stats != NULL);

  call = ask (self, ASK_STATS, 0);
  if (call != NULL)
    *stats = call->stats;
  else
    memset (stats, 0, sizeof *stats);
}

/* Private API (cr-server-private.h) */

void
cr_server_hold_auth (CrServer *self,
                     gboolean  hold)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_if_fail (CR_IS_SERVER (self));
  call = ask (self, ASK_HOLD_AUTH, hold);
}

guint
cr_server_get_n_held_auth (CrServer *self)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), 0);

  call = ask (self, ASK_N_HELD_AUTH, 0);
  return call != NULL ? (guint) call->number : 0;
}
