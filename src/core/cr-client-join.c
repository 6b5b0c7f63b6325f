/* cr-client-join.c: a member's join, and the sources it starts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * cr_client_join_async checks what it can before anything leaves (the
 * address, the name, a registration's password), then starts the sockets
 * (cr-client-sockets.c: every address the room's name resolves to), the
 * tick source and the cancellable's source, and hands the join to the
 * engine; the datagrams that come back and the ticks go to the engine
 * too, and its outputs finish the task (cr-client.c: apply_output). A
 * join that ends before the room took it fails here.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>

#include "cr-client-private.h"

static gboolean
tick_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs tick_funcs = {
  NULL, NULL, tick_dispatch, NULL, NULL, NULL,
};

void
_cr_client_fail_join (CrClient *self,
                      GError   *error)   /* transfer full */
{
  g_autoptr(GTask) task = g_steal_pointer (&self->join_task);
  g_autoptr(GPtrArray) out = _cr_client_new_out ();
  CrReason reason = CR_REASON_NONE;

  if (error->domain == CR_CLIENT_ERROR)
    reason = error->code;
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    reason = CR_REASON_NO_ANSWER;

  g_debug ("Join failed: %s", error->message);
  cr_client_engine_abort (self->engine, reason);
  _cr_client_after_engine (self, out);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
on_datagrams (GPtrArray      *datagrams,
              GSocketAddress *from,
              gpointer        user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));
  g_autoptr(GPtrArray) out = _cr_client_new_out ();

  for (guint i = 0; i < datagrams->len && self->sockets != NULL; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

      cr_client_engine_receive (self->engine, data, len, from, g_get_monotonic_time (), out);
      _cr_client_after_engine (self, out);
    }
}

static gboolean
on_tick (gpointer user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));
  g_autoptr(GPtrArray) out = _cr_client_new_out ();

  _cr_client_splice (self);
  cr_client_engine_tick (self->engine, g_get_monotonic_time (), out);
  _cr_client_after_engine (self, out);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_join_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));

  if (self->join_task != NULL)
    _cr_client_fail_join (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     "The join was cancelled"));
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Joining                                                            */

/* The sockets are open towards every address the room may be at: probe. */
static void
on_sockets_ready (const GError *error,
                  gpointer      user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));
  g_autoptr(GPtrArray) out = _cr_client_new_out ();

  if (self->state != CR_CLIENT_CONNECTING || self->join_task == NULL)
    return;
  if (error != NULL)
    {
      _cr_client_fail_join (self,
                            _cr_client_reason_error (CR_REASON_NO_ANSWER, error->message));
      return;
    }
  cr_client_engine_start (self->engine, g_get_monotonic_time (), out);
  _cr_client_after_engine (self, out);
}

void
cr_client_join_async (CrClient            *self,
                      const char          *address,
                      const char          *name,
                      const char          *password,
                      gboolean             do_register,
                      const char          *owner_token,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GPtrArray) out = _cr_client_new_out ();
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;
  CrClientJoin join = { 0 };
  gint64 now;
  CrReason reason;

  g_return_if_fail (CR_IS_CLIENT (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_client_join_async);

  if (self->state != CR_CLIENT_DISCONNECTED)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "This client has joined before; use a new one");
      return;
    }

  connectable = g_network_address_parse (address, CR_DEFAULT_PORT, &error);
  if (connectable == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a room address: %s", address, error->message);
      return;
    }

  reason = cr_name_validate (name, -1, &normalized);
  if (reason == CR_REASON_NONE && do_register &&
      (password == NULL || strlen (password) < CR_PASSWORD_MIN_BYTES ||
       strlen (password) > CR_PASSWORD_MAX_BYTES))
    reason = CR_REASON_PASSWORD_INVALID;
  if (reason != CR_REASON_NONE)
    {
      g_task_return_error (task, _cr_client_reason_error (reason, NULL));
      return;
    }

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();

  _cr_client_set_string (self, &self->address, address, CLIENT_PROP_ADDRESS);
  self->join_task = g_steal_pointer (&task);
  self->sockets = cr_client_sockets_new (self->context, on_datagrams, self);

  self->tick_source = g_source_new (&tick_funcs, sizeof (GSource));
  g_source_set_callback (self->tick_source, on_tick, self, NULL);
  g_source_set_static_name (self->tick_source, "[cr-client] tick");
  g_source_attach (self->tick_source, self->context);

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_join_cancelled), self, NULL);
      g_source_attach (self->cancel_source, self->context);
    }

  now = g_get_monotonic_time ();
  join.name = normalized;
  join.password = password;
  join.do_register = do_register;
  join.owner_token = owner_token;
  join.address = address;
  join.wall_offset = g_get_real_time () - now;
  if (self->trust_path != NULL)
    {
      self->trust = cr_trust_new (self->trust_path);
      join.known_key = cr_trust_lookup (self->trust, address);
    }
  join.accept_new_key = self->accept_new_key;
  /* Without a trust file nothing is remembered, so nothing to confirm. */
  join.confirm_new_key = self->confirm_new_key && self->trust != NULL;
  join.accepted_fingerprint = self->accepted_fingerprint;
  cr_client_engine_join (self->engine, &join, now);
  _cr_client_after_engine (self, out);

  cr_client_sockets_connect (self->sockets, connectable, on_sockets_ready);
}

gboolean
cr_client_join_finish (CrClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
