/* cr-client.c: a member's end of a room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The protocol is CrClientEngine's (cr-client-engine.c, no socket, no
 * clock); finding the room and its sockets are cr-client-sockets.c's. This
 * file joins the two on the main loop: the timer, and the messages model,
 * properties and signals the engine's outputs become (the members model is
 * kept by cr-client-members.c). The join's GTask and the sources it starts
 * are cr-client-join.c's, the room's key and the trust file
 * cr-client-trust.c's; cr-client-private.h holds the struct they share.
 *
 * The sockets (resolution, then one per address family the room's name
 * resolved to, until one answers) hand each wakeup's datagrams to the
 * engine. The "tick" source is a bare GSource whose ready time is the engine's
 *    next deadline, or 0 while rows wait to be spliced into the messages
 *    model, so many receives in one main-loop iteration cost one splice.
 *
 * After each call into the engine, its datagrams go out and its outputs
 * become rows, members, property notifications and signals, in order.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cr-client-engine.h"
#include "cr-client-moderation.h"
#include "cr-client-members.h"
#include "cr-client-sockets.h"
#include "cr-file-client.h"
#include "cr-trust.h"
#include "cr-enums.h"
#include "cr-render.h"
#include "cr-client.h"
#include "cr-client-private.h"

/* Never wake up sooner than this after a tick that found nothing to do at
 * once: a deadline in the past must not become a busy loop. */
#define MIN_SLEEP_US         (1 * G_TIME_SPAN_MILLISECOND)

G_DEFINE_FINAL_TYPE (CrClient, cr_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (cr-client-error-quark, cr_client_error)

enum {
  MESSAGE_RECEIVED,
  CLOSED,
  ROOM_STATE_CHANGED,
  MANAGE_REFUSED,
  N_SIGNALS
};

static GParamSpec *properties[CLIENT_N_PROPS];
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

GPtrArray *
_cr_client_new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

void
_cr_client_set_string (CrClient    *self,
                       char       **field,
                       const char  *value,
                       guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_cr_client_set_int (CrClient *self,
                    int      *field,
                    int       value,
                    guint     prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

GError *
_cr_client_reason_error (CrReason    reason,
                         const char *detail)
{
  g_autofree char *text = cr_render_reason (reason, NULL);

  if (detail != NULL && *detail != '\0')
    return g_error_new (CR_CLIENT_ERROR, reason, "%s (%s)", text, detail);
  return g_error_new_literal (CR_CLIENT_ERROR, reason, text);
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
send_datagrams (CrClient  *self,
                GPtrArray *out)
{
  for (guint i = 0; i < out->len && self->sockets != NULL; i++)
    cr_client_sockets_send (self->sockets, ((CrDatagram *) out->pdata[i])->data);
  g_ptr_array_set_size (out, 0);
}

/* ------------------------------------------------------------------ */
/* The models                                                         */

#define PLACE_SCAN_MAX 5000

/* Where a batch goes: at the end, except before own messages the room
 * numbered after the batch's first event (they were shown as typed and
 * the room answered them before this batch was spliced; pending ones
 * among them are skipped): the list keeps the room's order
 * (place_in_room_order does the same for an own message numbered later). */
static guint
splice_position (CrClient  *self,
                 GPtrArray *batch)
{
  GListModel *model = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (model);
  guint64 first = 0;
  guint position = n;
  guint after = n;   /* before the last own message numbered after first */

  for (guint i = 0; i < batch->len && first == 0; i++)
    first = cr_message_get_seq (batch->pdata[i]);
  if (first == 0)
    return n;
  while (position > 0 && n - position < PLACE_SCAN_MAX)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (model, position - 1);
      guint64 seq = cr_message_get_seq (item);

      /* Still pending (0): the room numbers it after this batch, and
       * place_in_room_order moves it then. */
      if (!cr_message_get_own (item) || (seq != 0 && seq <= first))
        break;
      position--;
      if (seq != 0)
        after = position;
    }
  return after;
}

static void
splice_batch (CrClient *self)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) announce = NULL;

  if (self->batch->len == 0)
    return;

  batch = g_steal_pointer (&self->batch);
  announce = g_steal_pointer (&self->announce);
  self->batch = g_ptr_array_new_with_free_func (g_object_unref);
  self->announce = g_ptr_array_new_with_free_func (g_object_unref);

  g_list_store_splice (self->messages, splice_position (self, batch), 0,
                       batch->pdata, batch->len);
  for (guint i = 0; i < announce->len; i++)
    g_signal_emit (self, signals[MESSAGE_RECEIVED], 0, announce->pdata[i]);
}

static void
remember_own (CrClient  *self,
              CrMessage *message)
{
  guint64 *key = g_new (guint64, 1);

  *key = cr_message_get_origin (message);
  g_hash_table_replace (self->own_by_origin, key, g_object_ref (message));
}

/* The member changes of a burst reach the model together (cr-client-members.c):
 * at the end of the engine's outputs, or before any output that someone
 * could see the list from. */
static void
flush_members (CrClient *self)
{
  guint n;

  if (!cr_client_members_flush (self->members, &self->members_burst))
    return;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->members));
  if (n == self->n_members)
    return;
  self->n_members = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[CLIENT_PROP_N_MEMBERS]);
}

/* An own message shows where it was typed until the room numbers it; a
 * room that was down meanwhile numbers it after what it said on our
 * return (rejoin lines, what others sent): move it there, so every member
 * sees the room's order. Before it is marked sent, so a reader that
 * prints sent lines prints it once. */

static void
place_in_room_order (CrClient  *self,
                     CrMessage *message,
                     guint64    seq)
{
  GListModel *model = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (model);
  guint from = n;
  guint to;

  /* Own messages waiting are recent: look from the end, not far. */
  for (guint i = n; i > 0 && from == n && n - i < PLACE_SCAN_MAX; i--)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (model, i - 1);

      if (item == message)
        from = i - 1;
    }
  if (from == n)
    return;   /* still in the batch: it goes in after what came first */

  for (to = from; to + 1 < n; to++)
    {
      g_autoptr(CrMessage) next = g_list_model_get_item (model, to + 1);
      guint64 next_seq = cr_message_get_seq (next);

      if (next_seq == 0 || next_seq > seq)
        break;
    }
  if (to == from)
    return;

  g_object_ref (message);
  g_list_store_remove (self->messages, from);
  g_list_store_insert (self->messages, to, message);
  g_object_unref (message);
}

/* ------------------------------------------------------------------ */
/* The engine's outputs                                               */

static gboolean
is_member_output (const CrClientOutput *output)
{
  return output->kind == CR_CLIENT_OUTPUT_MEMBERS ||
         output->kind == CR_CLIENT_OUTPUT_MEMBER_ADDED ||
         output->kind == CR_CLIENT_OUTPUT_MEMBER_REMOVED ||
         output->kind == CR_CLIENT_OUTPUT_MEMBER_CHANGED;
}

static void
apply_output (CrClient       *self,
              CrClientOutput *output)
{
  g_autoptr(GTask) task = NULL;
  CrMessage *message;

  /* A joined or left line is only queued (the messages' next splice):
   * it does not end a burst of members as any signal would. */
  if (output->kind != CR_CLIENT_OUTPUT_EVENT && !is_member_output (output))
    flush_members (self);
  if (_cr_client_conversation_apply (self, output))
    return;

  switch (output->kind)
    {
    case CR_CLIENT_OUTPUT_STATE:
      /* The history is in the model before anyone hears of the join. */
      if (output->state == CR_CLIENT_CONNECTED)
        splice_batch (self);
      g_object_freeze_notify (G_OBJECT (self));
      if (output->state == CR_CLIENT_CLOSED)
        _cr_client_set_int (self, (int *) &self->close_reason, output->reason,
                            CLIENT_PROP_CLOSE_REASON);
      _cr_client_set_int (self, (int *) &self->state, output->state, CLIENT_PROP_STATE);
      g_object_thaw_notify (G_OBJECT (self));
      break;

    case CR_CLIENT_OUTPUT_IDENTITY:
      g_object_freeze_notify (G_OBJECT (self));
      _cr_client_set_string (self, &self->room_name, output->room_name, CLIENT_PROP_ROOM_NAME);
      _cr_client_set_string (self, &self->name, output->name, CLIENT_PROP_NAME);
      _cr_client_set_int (self, (int *) &self->role, output->role, CLIENT_PROP_ROLE);
      _cr_client_set_int (self, (int *) &self->dialect, output->dialect, CLIENT_PROP_DIALECT);
      /* The room's key was checked before it could say who we are. */
      _cr_client_set_int (self, &self->encrypted,
                          output->dialect == CR_DIALECT_NATIVE &&
                          cr_client_engine_get_room_key (self->engine) != NULL,
                          CLIENT_PROP_ENCRYPTED);
      g_object_thaw_notify (G_OBJECT (self));
      break;

    case CR_CLIENT_OUTPUT_JOINED:
      destroy_source (&self->cancel_source);
      task = g_steal_pointer (&self->join_task);
      if (task != NULL)
        g_task_return_boolean (task, TRUE);
      break;

    case CR_CLIENT_OUTPUT_JOIN_FAILED:
      task = g_steal_pointer (&self->join_task);
      if (output->reason == CR_REASON_KEY_CHANGED || output->reason == CR_REASON_KEY_NEW)
        {
          _cr_client_note_key_changed (self);
          /* Only we stop a join over a key: a room that sends one of
           * these as its refusal is not believed (nothing to show). */
          if (self->offered_fingerprint == NULL)
            output->reason = CR_REASON_INTERNAL;
        }
      if (task != NULL && output->reason == CR_REASON_KEY_CHANGED)
        {
          g_autofree char *text = cr_render_key_changed (self->known_fingerprint,
                                                         self->offered_fingerprint);
          g_task_return_new_error (task, CR_CLIENT_ERROR, CR_REASON_KEY_CHANGED, "%s", text);
        }
      else if (task != NULL && output->reason == CR_REASON_KEY_NEW)
        g_task_return_error (task, _cr_client_reason_error (output->reason,
                                                            self->offered_fingerprint));
      else if (task != NULL)
        g_task_return_error (task, _cr_client_reason_error (output->reason, output->detail));
      break;

    case CR_CLIENT_OUTPUT_ROOM_KEY:
      _cr_client_room_key_proved (self, output->key_trust);
      break;

    case CR_CLIENT_OUTPUT_CLOSED:
      if (output->reason == CR_REASON_KEY_CHANGED)
        _cr_client_note_key_changed (self);   /* a rejoin met another key */
      destroy_source (&self->cancel_source);
      if (self->sockets != NULL)
        cr_client_sockets_cancel (self->sockets);
      splice_batch (self);
      g_signal_emit (self, signals[CLOSED], 0, (int) output->reason);
      break;

    case CR_CLIENT_OUTPUT_EVENT:
      message = cr_message_new_from_event (output->event, output->own);
      if (output->announce)
        g_ptr_array_add (self->announce, g_object_ref (message));
      g_ptr_array_add (self->batch, message);
      break;

    case CR_CLIENT_OUTPUT_MEMBERS:
    case CR_CLIENT_OUTPUT_MEMBER_ADDED:
    case CR_CLIENT_OUTPUT_MEMBER_REMOVED:
    case CR_CLIENT_OUTPUT_MEMBER_CHANGED:
      cr_client_members_apply (self->members, &self->members_burst, output);
      break;

    case CR_CLIENT_OUTPUT_ROOM_STATE:
      g_signal_emit (self, signals[ROOM_STATE_CHANGED], 0);
      break;

    case CR_CLIENT_OUTPUT_MANAGE_REFUSED:
      g_signal_emit (self, signals[MANAGE_REFUSED], 0, (int) output->reason);
      break;

    case CR_CLIENT_OUTPUT_SENT:
      message = g_hash_table_lookup (self->own_by_origin, &output->origin);
      if (message != NULL)
        place_in_room_order (self, message, output->seq);
      if (message != NULL && output->event != NULL)
        cr_message_set_conversation (message, output->event);
      if (message != NULL)
        cr_message_set_sent (message, output->seq,
                             output->time_us != 0 ? output->time_us
                                                  : cr_message_get_time (message));
      break;

    case CR_CLIENT_OUTPUT_FAILED:
      message = g_hash_table_lookup (self->own_by_origin, &output->origin);
      if (message != NULL)
        cr_message_set_failed (message, output->reason);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
reschedule (CrClient *self)
{
  gint64 next;

  if (self->tick_source == NULL)
    return;
  next = cr_client_engine_next_deadline (self->engine);
  if (self->batch->len > 0 || next == 0)
    g_source_set_ready_time (self->tick_source, 0);
  else if (next == G_MAXINT64)
    g_source_set_ready_time (self->tick_source, -1);
  else
    g_source_set_ready_time (self->tick_source,
                             MAX (next, g_get_monotonic_time () + MIN_SLEEP_US));
}

/* After any call into the engine: its datagrams out, its outputs applied
 * (signal handlers may call back into us: the queue stays in order). */
static void
after_engine (CrClient  *self,
              GPtrArray *out)
{
  /* A handler of ours may drop the last reference: keep self alive. */
  g_autoptr(CrClient) hold G_GNUC_UNUSED = g_object_ref (self);
  CrClientOutput *output;

  send_datagrams (self, out);
  while ((output = cr_client_engine_pop_output (self->engine)) != NULL)
    {
      apply_output (self, output);
      cr_client_output_free (output);
    }
  flush_members (self);
  reschedule (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */

static void
cr_client_dispose (GObject *object)
{
  CrClient *self = CR_CLIENT (object);

  destroy_source (&self->cancel_source);
  destroy_source (&self->tick_source);
  if (self->join_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->join_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The client was disposed");
    }
  g_clear_pointer (&self->sockets, cr_client_sockets_free);
  g_clear_pointer (&self->conversation, _cr_client_conversation_free);

  G_OBJECT_CLASS (cr_client_parent_class)->dispose (object);
}

static void
cr_client_finalize (GObject *object)
{
  CrClient *self = CR_CLIENT (object);

  g_clear_pointer (&self->engine, cr_client_engine_free);
  g_clear_pointer (&self->own_by_origin, g_hash_table_unref);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_clear_pointer (&self->announce, g_ptr_array_unref);
  g_clear_object (&self->messages);
  g_clear_pointer (&self->members_burst, g_ptr_array_unref);
  g_clear_object (&self->members);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->room_name, g_free);
  g_clear_pointer (&self->trust, cr_trust_free);
  g_clear_pointer (&self->trust_path, g_free);
  g_clear_pointer (&self->accepted_fingerprint, g_free);
  g_clear_pointer (&self->fingerprint, g_free);
  g_clear_pointer (&self->known_fingerprint, g_free);
  g_clear_pointer (&self->offered_fingerprint, g_free);

  G_OBJECT_CLASS (cr_client_parent_class)->finalize (object);
}

static void
cr_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrClient *self = CR_CLIENT (object);

  switch (prop_id)
    {
    case CLIENT_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case CLIENT_PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case CLIENT_PROP_ROOM_NAME:
      g_value_set_string (value, self->room_name);
      break;

    case CLIENT_PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;

    case CLIENT_PROP_DIALECT:
      g_value_set_enum (value, self->dialect);
      break;

    case CLIENT_PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;

    case CLIENT_PROP_CLOSE_REASON:
      g_value_set_enum (value, self->close_reason);
      break;

    case CLIENT_PROP_N_MEMBERS:
      g_value_set_uint (value, self->n_members);
      break;

    case CLIENT_PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;

    case CLIENT_PROP_KEY_TRUST:
      g_value_set_enum (value, self->key_trust);
      break;

    case CLIENT_PROP_ENCRYPTED:
      g_value_set_boolean (value, self->encrypted);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_client_class_init (CrClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = cr_client_dispose;
  object_class->finalize = cr_client_finalize;
  object_class->get_property = cr_client_get_property;

  properties[CLIENT_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CR_TYPE_CLIENT_STATE, CR_CLIENT_DISCONNECTED, flags);
  properties[CLIENT_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[CLIENT_PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL, flags);
  properties[CLIENT_PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, CR_TYPE_ROLE, CR_ROLE_MEMBER, flags);
  properties[CLIENT_PROP_DIALECT] =
    g_param_spec_enum ("dialect", NULL, NULL, CR_TYPE_DIALECT, CR_DIALECT_NATIVE, flags);
  properties[CLIENT_PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL, flags);
  properties[CLIENT_PROP_CLOSE_REASON] =
    g_param_spec_enum ("close-reason", NULL, NULL, CR_TYPE_REASON, CR_REASON_NONE, flags);
  properties[CLIENT_PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[CLIENT_PROP_FINGERPRINT] =
    g_param_spec_string ("fingerprint", NULL, NULL, NULL, flags);
  properties[CLIENT_PROP_KEY_TRUST] =
    g_param_spec_enum ("key-trust", NULL, NULL, CR_TYPE_KEY_TRUST, CR_KEY_TRUST_NONE, flags);
  /* FALSE: a classic (or test plaintext) session, which anyone on the
   * network can read; the app and chatroom-cli say so. */
  properties[CLIENT_PROP_ENCRYPTED] =
    g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, CLIENT_N_PROPS, properties);

  /**
   * CrClient::message-received:
   * @message: the new row
   *
   * A row from the room that is not the user's own and not history
   * replayed at join: live messages and system lines, and those caught up
   * after a reconnect. Emitted after the row is in the messages model.
   */
  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CR_TYPE_MESSAGE);

  /**
   * CrClient::closed:
   * @reason: a #CrReason
   *
   * The client entered CLOSED, once per client: after leave (NONE), when
   * the room ended the session, or when a join failed (its reason, NONE
   * when cancelled).
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CR_TYPE_REASON);

  /**
   * CrClient::room-state-changed:
   *
   * The pinned announcement, mute-all or one's own mute changed
   * (cr_client_get_pin and the getters after it).
   */
  signals[ROOM_STATE_CHANGED] =
    g_signal_new ("room-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * CrClient::manage-refused:
   * @reason: a #CrReason
   *
   * The room refused a request of cr_client_manage.
   */
  signals[MANAGE_REFUSED] =
    g_signal_new ("manage-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CR_TYPE_REASON);
}

static void
cr_client_init (CrClient *self)
{
  self->messages = g_list_store_new (CR_TYPE_MESSAGE);
  self->conversation = _cr_client_conversation_new ();
  self->members = g_list_store_new (CR_TYPE_MEMBER);
  self->batch = g_ptr_array_new_with_free_func (g_object_unref);
  self->announce = g_ptr_array_new_with_free_func (g_object_unref);
  self->own_by_origin = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                               g_free, g_object_unref);
  /* Own message ids: random high half per client, a counter below, so two
   * clients (or two runs) never share one. */
  self->engine = cr_client_engine_new ((guint64) g_random_int () << 32);
  self->state = CR_CLIENT_DISCONNECTED;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */

CrClient *
cr_client_new (void)
{
  return g_object_new (CR_TYPE_CLIENT, NULL);
}

CrMessage *
cr_client_send (CrClient    *self,
                const char  *text,
                GError     **error)
{
  return _cr_client_send_full (self, text, 0, NULL, error);
}

CrMessage *
_cr_client_send_full (CrClient    *self,
                      const char  *text,
                      guint64      reply_to,
                      const char  *to,
                      GError     **error)
{
  g_autoptr(CrMessage) message = NULL;
  g_autoptr(GPtrArray) out = _cr_client_new_out ();
  guint64 origin;
  CrReason reason;

  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reason = cr_text_validate (text, -1);
  if (reason != CR_REASON_NONE)
    {
      g_propagate_error (error, _cr_client_reason_error (reason, NULL));
      return NULL;
    }
  if (self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_RECONNECTING)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "Not in a room");
      return NULL;
    }

  origin = cr_client_engine_send_full (self->engine, text, reply_to, to,
                                       g_get_monotonic_time (), out);
  if (origin == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "Not in a room");
      after_engine (self, out);
      return NULL;
    }

  /* Known before the engine's outputs say what became of it; the row
   * shows at once, after whatever arrived before it. */
  message = cr_message_new_pending (self->name, text, origin, g_get_real_time ());
  _cr_client_conversation_dress (self, message, reply_to, to);
  remember_own (self, message);
  g_ptr_array_add (self->batch, g_object_ref (message));
  after_engine (self, out);
  splice_batch (self);
  return message;
}

void
cr_client_retry (CrClient  *self,
                 CrMessage *message)
{
  g_autoptr(GPtrArray) out = _cr_client_new_out ();
  guint64 origin;

  g_return_if_fail (CR_IS_CLIENT (self));
  g_return_if_fail (CR_IS_MESSAGE (message));
  g_return_if_fail (cr_message_get_own (message));

  origin = cr_message_get_origin (message);
  if (cr_message_get_state (message) != CR_MESSAGE_FAILED ||
      g_hash_table_lookup (self->own_by_origin, &origin) != message)
    return;
  if (!cr_client_engine_retry (self->engine, origin, cr_message_get_text (message),
                               g_get_monotonic_time (), out))
    return;
  cr_message_set_pending (message);
  after_engine (self, out);
}

void
cr_client_leave (CrClient *self)
{
  g_autoptr(CrClient) hold = NULL;
  g_autoptr(GPtrArray) out = _cr_client_new_out ();

  g_return_if_fail (CR_IS_CLIENT (self));

  hold = g_object_ref (self);
  if (self->state == CR_CLIENT_CONNECTING)
    {
      _cr_client_fail_join (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                       "Left before the room answered"));
      return;
    }
  cr_client_engine_leave (self->engine, g_get_monotonic_time (), out);
  after_engine (self, out);
}

CrClientState
cr_client_get_state (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_CLIENT_DISCONNECTED);

  return self->state;
}

const char *
cr_client_get_name (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->name;
}

const char *
cr_client_get_room_name (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->room_name;
}

CrRole
cr_client_get_role (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_ROLE_MEMBER);

  return self->role;
}

gboolean
cr_client_get_encrypted (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);

  return self->encrypted;
}

CrDialect
cr_client_get_dialect (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_DIALECT_NATIVE);

  return self->dialect;
}

const char *
cr_client_get_address (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->address;
}

gboolean
cr_client_dup_file_endpoint (CrClient        *self,
                             GSocketAddress **address,
                             char           **token)
{
  GSocketAddress *room;
  const char *file_token;

  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);

  room = cr_client_engine_get_room_address (self->engine);
  file_token = cr_client_engine_get_file_token (self->engine);
  if (room == NULL || file_token == NULL)
    return FALSE;
  if (address != NULL)
    *address = g_object_ref (room);
  /* With the key the chat session verified: transfers go only to a room
   * that proves it (cr-crypto-stream.h). */
  if (token != NULL)
    *token = cr_file_client_credential (cr_client_engine_get_room_key (self->engine),
                                        file_token);
  return TRUE;
}

CrReason
cr_client_get_close_reason (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_REASON_NONE);

  return self->close_reason;
}

guint64
cr_client_get_last_seq (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), 0);

  return cr_client_engine_get_last_seq (self->engine);
}

GListModel *
cr_client_get_messages (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->messages);
}

GListModel *
cr_client_get_members (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->members);
}

void
cr_client_set_timing (CrClient *self,
                      guint     keepalive_ms,
                      guint     silence_ms,
                      guint     join_timeout_ms)
{
  g_return_if_fail (CR_IS_CLIENT (self));

  cr_client_engine_set_timing (self->engine,
                               (gint64) keepalive_ms * G_TIME_SPAN_MILLISECOND,
                               (gint64) silence_ms * G_TIME_SPAN_MILLISECOND,
                               (gint64) join_timeout_ms * G_TIME_SPAN_MILLISECOND);
  reschedule (self);
}

/* For cr-client-conversation.c */

CrClientConversation *
_cr_client_get_conversation (CrClient *self)
{
  return self->conversation;
}

CrClientEngine *
_cr_client_get_engine (CrClient *self)
{
  return self->engine;
}

GListStore *
_cr_client_get_store (CrClient *self)
{
  return self->messages;
}

void
_cr_client_splice (CrClient *self)
{
  splice_batch (self);
}

void
_cr_client_after_engine (CrClient  *self,
                         GPtrArray *out)
{
  after_engine (self, out);
}

gboolean
cr_client_manage (CrClient        *self,
                  CrManageAction   action,
                  const char      *argument,
                  gint64           seconds,
                  GError         **error)
{
  g_autoptr(GPtrArray) out = _cr_client_new_out ();
  guint64 origin;

  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  origin = cr_client_engine_manage (self->engine, action, argument, seconds,
                                    g_get_monotonic_time (), out);
  after_engine (self, out);
  if (origin == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("Only a Chat Room room you are connected to can be asked this"));
      return FALSE;
    }
  return TRUE;
}

const char *
cr_client_get_pin (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return cr_client_engine_get_pin (self->engine);
}

gboolean
cr_client_get_mute_all (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);

  return cr_client_engine_get_mute_all (self->engine);
}

gint64
cr_client_get_mute_end (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), -1);

  return cr_client_engine_get_mute_end (self->engine);
}
