/* cr-server.c: a room on a UDP port of a GLib main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CrEngine does the thinking; this object owns the socket, reads datagrams
 * and writes what the engine answers in batches (cr-server-io.c), and wakes
 * the engine when its next deadline comes (one GSource with a ready time).
 * It gives the engine the time and libsodium's randomness, and has the
 * engine's password hashes run on worker threads (CrEngineWorker, at most
 * AUTH_WORKERS at once): a join that needs Argon2id finishes when its hash
 * does, and the room relays meanwhile. The addresses it listens on and can
 * be joined at are in cr-server-addresses.c; what the owner does is in
 * cr-server-owner.c, the live settings in cr-server-settings.c.
 *
 * A "threaded" room (the app's) runs all that on its own thread and
 * context (cr-server-thread.c); what the owner sees (signals, the lists,
 * "running") comes back to the owner's context as reports, a burst at a
 * time. The two sides are described in cr-server-private.h. chatroomd's
 * room is not threaded: both sides are its one loop, and a report is a
 * plain call.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cr-files-private.h"
#include "cr-server-addresses.h"
#include "cr-server-io.h"

#include "cr-server-private.h"
#include "cr-server.h"

#define CR_SERVER_MAX_MEMBERS_DEFAULT 500   /* a school year group */
/* How long the owner's side waits for the room's answer: a read's work,
 * or a commit on a slow disk, not a stuck room. */
#define CALL_TIMEOUT_US (2 * G_TIME_SPAN_SECOND)
/* A start opens (and checks) the store first. */
#define START_TIMEOUT_US (30 * G_TIME_SPAN_SECOND)

G_DEFINE_FINAL_TYPE (CrServer, cr_server, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (CrEvent, cr_event, cr_event_copy, cr_event_free)
G_DEFINE_QUARK (cr-server-error-quark, cr_server_error)

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_ROOM_NAME,
  PROP_LANGUAGE,
  PROP_OWNER_NAME,
  PROP_MAX_MEMBERS,
  PROP_RATE_LIMIT,
  PROP_REQUIRE_REGISTRATION,
  PROP_HISTORY_LENGTH,
  PROP_SILENCE_TIMEOUT,
  PROP_OWNER_TOKEN,
  PROP_RUNNING,
  PROP_PORT,
  PROP_STORAGE_OK,
  PROP_ALLOW_CLASSIC,
  PROP_FINGERPRINT,
  PROP_DISCOVERABLE,
  PROP_THREADED,
  N_PROPS
};

enum {
  EVENT,
  MEMBERS_CHANGED,
  STOPPED,
  STORAGE_WARNING,
  LOCKS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
report_free (gpointer data)
{
  CrServerReport *report = data;

  g_clear_pointer (&report->event, cr_event_free);
  g_clear_pointer (&report->events, g_ptr_array_unref);
  g_clear_pointer (&report->snapshots, g_ptr_array_unref);
  g_free (report->message);
  g_free (report);
}

static void process_reports (gpointer   user_data,
                             GPtrArray *reports);

/* From the room's side to the owner's: posted to its context when the
 * room has a thread, else handled at once. */
void
_cr_server_tell_owner (CrServer           *self,
                       CrServerReportKind  kind,
                       CrServerReport     *report)
{
  if (report == NULL)
    report = g_new0 (CrServerReport, 1);
  report->kind = kind;
  if (self->thread != NULL)
    _cr_server_thread_post (self->thread, report);
  else
    {
      GPtrArray *one = g_ptr_array_new_with_free_func (report_free);

      g_ptr_array_add (one, report);
      process_reports (self, one);
    }
}

/* The owner's side of a stop: the thread joined, the mirrors cleared,
 * then the news. */
static void
owner_stopped (CrServer *self)
{
  if (self->thread != NULL)
    {
      _cr_server_thread_free (self->thread, NULL);
      self->thread = NULL;
    }
  cr_member_list_clear (self->lists);
  self->running = FALSE;
  self->port = 0;
  g_clear_pointer (&self->owner_token, g_free);
  g_clear_pointer (&self->live_name, g_free);
  g_clear_object (&self->local);
  g_clear_pointer (&self->files_ref, _cr_files_unref);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_signal_emit (self, signals[MEMBERS_CHANGED], 0);
  g_signal_emit (self, signals[STOPPED], 0);
}

/* The owner's side: a burst of reports, oldest first, the lists changed
 * in one batch and "members-changed" said once. */
static void
process_reports (gpointer   user_data,
                 GPtrArray *reports)
{
  g_autoptr(CrServer) self = g_object_ref (user_data);
  g_autoptr(GPtrArray) owned = reports;
  gboolean changed = FALSE;
  gboolean stopped = FALSE;

  cr_member_list_begin_batch (self->lists);
  for (guint i = 0; i < reports->len; i++)
    {
      CrServerReport *report = reports->pdata[i];

      switch (report->kind)
        {
        case CR_SERVER_REPORT_EVENT:
          g_signal_emit (self, signals[EVENT], 0, report->event);
          break;
        case CR_SERVER_REPORT_MEMBERS:
          for (guint j = 0; j < report->events->len; j++)
            changed |= cr_member_list_apply (self->lists, report->events->pdata[j],
                                             report->snapshots->pdata[j]);
          break;
        case CR_SERVER_REPORT_STORAGE:
          if (report->message != NULL)
            g_signal_emit (self, signals[STORAGE_WARNING], 0, report->ok, report->message);
          if (self->storage_ok != report->ok)
            {
              self->storage_ok = report->ok;
              g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORAGE_OK]);
            }
          break;
        case CR_SERVER_REPORT_LOCKS:
          g_signal_emit (self, signals[LOCKS_CHANGED], 0);
          break;
        case CR_SERVER_REPORT_STOPPED:
          stopped = TRUE;
          break;
        default:
          g_assert_not_reached ();
        }
    }
  cr_member_list_end_batch (self->lists);
  if (changed && !stopped)
    g_signal_emit (self, signals[MEMBERS_CHANGED], 0);
  if (stopped)
    owner_stopped (self);
}

/* GObject */

static void
cr_server_dispose (GObject *object)
{
  CrServer *self = CR_SERVER (object);

  /* A threaded room is dropped on its thread, which is then joined: a
   * burst in flight ends there, and its reports with the thread. */
  if (self->thread != NULL)
    {
      _cr_server_thread_free (self->thread, _cr_server_room_drop);
      self->thread = NULL;
    }
  else
    _cr_server_room_drop (self, NULL);
  g_clear_pointer (&self->lists, cr_member_list_free);
  g_clear_pointer (&self->pending_events, g_ptr_array_unref);
  g_clear_pointer (&self->files_ref, _cr_files_unref);
  g_clear_object (&self->local);
  self->running = FALSE;

  G_OBJECT_CLASS (cr_server_parent_class)->dispose (object);
}

static void
cr_server_finalize (GObject *object)
{
  CrServer *self = CR_SERVER (object);

  g_free (self->data_dir);
  g_free (self->room_name);
  g_free (self->language);
  g_free (self->owner_name);
  g_free (self->owner_token);
  g_free (self->live_name);
  g_free (self->buffers);
  g_ptr_array_unref (self->out);
  g_clear_pointer (&self->identity, cr_identity_free);

  G_OBJECT_CLASS (cr_server_parent_class)->finalize (object);
}

static void
cr_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrServer *self = CR_SERVER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_ROOM_NAME:
      g_value_set_string (value, cr_server_get_room_name (self));
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    case PROP_OWNER_NAME:
      g_value_set_string (value, self->owner_name);
      break;
    case PROP_MAX_MEMBERS:
      g_value_set_uint (value, self->max_members);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint (value, self->rate_limit);
      break;
    case PROP_REQUIRE_REGISTRATION:
      g_value_set_boolean (value, self->require_registration);
      break;
    case PROP_HISTORY_LENGTH:
      g_value_set_uint (value, self->history_length);
      break;
    case PROP_SILENCE_TIMEOUT:
      g_value_set_uint (value, self->silence_timeout_ms);
      break;
    case PROP_OWNER_TOKEN:
      g_value_set_string (value, cr_server_get_owner_token (self));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, cr_server_get_running (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, cr_server_get_port (self));
      break;
    case PROP_ALLOW_CLASSIC:
      g_value_set_boolean (value, self->allow_classic);
      break;
    case PROP_FINGERPRINT:
      g_value_take_string (value, cr_server_dup_fingerprint (self));
      break;
    case PROP_STORAGE_OK:
      g_value_set_boolean (value, self->storage_ok);
      break;
    case PROP_DISCOVERABLE:
      g_value_set_boolean (value, self->discoverable);
      break;
    case PROP_THREADED:
      g_value_set_boolean (value, self->threaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CrServer *self = CR_SERVER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
      break;
    case PROP_ROOM_NAME:
      cr_server_set_room_name (self, g_value_get_string (value));
      break;
    case PROP_LANGUAGE:
      g_free (self->language);
      self->language = g_value_dup_string (value);
      break;
    case PROP_OWNER_NAME:
      g_free (self->owner_name);
      self->owner_name = g_value_dup_string (value);
      break;
    case PROP_MAX_MEMBERS:
      cr_server_set_max_members (self, g_value_get_uint (value));
      break;
    case PROP_RATE_LIMIT:
      self->rate_limit = g_value_get_uint (value);
      break;
    case PROP_REQUIRE_REGISTRATION:
      cr_server_set_require_registration (self, g_value_get_boolean (value));
      break;
    case PROP_HISTORY_LENGTH:
      cr_server_set_history_length (self, g_value_get_uint (value));
      break;
    case PROP_SILENCE_TIMEOUT:
      cr_server_set_silence_timeout (self, g_value_get_uint (value));
      break;
    case PROP_ALLOW_CLASSIC:
      cr_server_set_allow_classic (self, g_value_get_boolean (value));
      break;
    case PROP_DISCOVERABLE:
      cr_server_set_discoverable (self, g_value_get_boolean (value));
      break;
    case PROP_THREADED:
      self->threaded = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_server_class_init (CrServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cr_server_dispose;
  object_class->finalize = cr_server_finalize;
  object_class->get_property = cr_server_get_property;
  object_class->set_property = cr_server_set_property;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LANGUAGE] =
    g_param_spec_string ("language", NULL, NULL, "zh_CN",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_OWNER_NAME] =
    g_param_spec_string ("owner-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_MEMBERS] =
    g_param_spec_uint ("max-members", NULL, NULL, 1, 100000, CR_SERVER_MAX_MEMBERS_DEFAULT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint ("rate-limit", NULL, NULL, 0, 1000000, 50,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUIRE_REGISTRATION] =
    g_param_spec_boolean ("require-registration", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HISTORY_LENGTH] =
    g_param_spec_uint ("history-length", NULL, NULL, 0, 5000, CR_HISTORY_ON_JOIN,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_SILENCE_TIMEOUT] =
    g_param_spec_uint ("silence-timeout", NULL, NULL, 100, G_MAXUINT, 15000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_OWNER_TOKEN] =
    g_param_spec_string ("owner-token", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORAGE_OK] =
    g_param_spec_boolean ("storage-ok", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ALLOW_CLASSIC] =
    g_param_spec_boolean ("allow-classic", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);
  properties[PROP_FINGERPRINT] =
    g_param_spec_string ("fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISCOVERABLE] =
    g_param_spec_boolean ("discoverable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* TRUE: the room runs on a thread of its own (cr-server-thread.c), the
   * signals and lists stay on the context that started it. */
  properties[PROP_THREADED] =
    g_param_spec_boolean ("threaded", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  CR_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[MEMBERS_CHANGED] =
    g_signal_new ("members-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* (gboolean ok, const char *message): storage failed or works again. */
  signals[STORAGE_WARNING] =
    g_signal_new ("storage-warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
  signals[LOCKS_CHANGED] =
    g_signal_new ("locks-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cr_server_init (CrServer *self)
{
  self->storage_ok = TRUE;
  self->discoverable = TRUE;
  self->lists = cr_member_list_new ();
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  self->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  self->buffers = _cr_server_io_buffers_new ();
}

/* The two sides (cr-server-private.h) */

gboolean
_cr_server_in_room (CrServer *self)
{
  return self->thread == NULL || _cr_server_thread_is_current (self->thread);
}

CrServerCall *
_cr_server_call_new (const char *text,
                     gint64      number,
                     int         action)
{
  CrServerCall *call = g_atomic_rc_box_new0 (CrServerCall);

  call->text = g_strdup (text);
  call->number = number;
  call->action = action;
  return call;
}

static void
call_clear (gpointer data)
{
  CrServerCall *call = data;

  g_free (call->text);
  g_clear_error (&call->error);
  g_strfreev (call->names);
  g_clear_pointer (&call->mutes, g_ptr_array_unref);
  g_free (call->string);
  g_free (call->name);
  g_clear_object (&call->address);
  g_clear_pointer (&call->files, _cr_files_unref);
}

void
_cr_server_call_unref (CrServerCall *call)
{
  g_atomic_rc_box_release_full (call, call_clear);
}

gboolean
_cr_server_call (CrServer           *self,
                 CrServerThreadFunc  func,
                 CrServerCall       *call,
                 gboolean            wait)
{
  if (_cr_server_in_room (self))
    {
      func (self, call);
      return TRUE;
    }
  return _cr_server_thread_run (self->thread, func, call, call_clear,
                                wait ? CALL_TIMEOUT_US : 0);
}

/* Public API */

CrServer *
cr_server_new (const char *data_dir,
               const char *room_name)
{
  return g_object_new (CR_TYPE_SERVER,
                       "data-dir", data_dir,
                       "room-name", room_name,
                       NULL);
}

gboolean
cr_server_start (CrServer    *self,
                 const char  *address,
                 GError     **error)
{
  g_autoptr(CrServerCall) call = NULL;
  g_autoptr(GPtrArray) bans = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->running)
    {
      g_set_error_literal (error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND,
                           _("The room is already open"));
      return FALSE;
    }

  call = _cr_server_call_new (address, 0, 0);
  if (self->threaded)
    {
      g_autoptr(GMainContext) owner = g_main_context_ref_thread_default ();

      self->thread = _cr_server_thread_new (owner, process_reports, report_free, self);
      if (!_cr_server_thread_run (self->thread, _cr_server_room_start, call,
                                  call_clear, START_TIMEOUT_US))
        _cr_server_timed_out (&call->error);
    }
  else
    _cr_server_room_start (self, call);
  if (!call->ok)
    {
      if (self->thread != NULL)
        {
          _cr_server_thread_free (self->thread, _cr_server_room_drop);
          self->thread = NULL;
        }
      g_propagate_error (error, g_steal_pointer (&call->error));
      return FALSE;
    }

  self->running = TRUE;
  self->owner_token = g_steal_pointer (&call->string);
  self->live_name = g_steal_pointer (&call->name);
  self->local = g_steal_pointer (&call->address);
  self->files_ref = g_steal_pointer (&call->files);
  self->port = self->local != NULL
    ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (self->local)) : 0;
  bans = g_ptr_array_new ();
  for (guint i = 0; call->names != NULL && call->names[i] != NULL; i++)
    g_ptr_array_add (bans, call->names[i]);
  cr_member_list_load_bans (self->lists, bans);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_TOKEN]);
  return TRUE;
}

void
cr_server_stop (CrServer *self)
{
  g_autoptr(CrServerCall) call = NULL;

  g_return_if_fail (CR_IS_SERVER (self));

  if (!self->running)
    return;
  call = _cr_server_call_new (NULL, 0, 0);
  _cr_server_call (self, _cr_server_room_stop, call, FALSE);
}

gboolean
cr_server_get_running (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return self->running;
}

guint16
cr_server_get_port (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), 0);
  return self->port;
}

/* The owner's side holds a reference: the setters it calls stay safe
 * while the room's side closes it (they take its lock). */
CrFiles *
cr_server_get_files (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return self->files_ref;
}

GStrv
cr_server_dup_join_addresses (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  if (self->local == NULL)
    return g_new0 (char *, 1);
  return _cr_server_list_join_addresses (self->local);
}

const char *
cr_server_get_owner_token (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return self->owner_token;
}

GListModel *
cr_server_get_members (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return cr_member_list_get_members (self->lists);
}

GListModel *
cr_server_get_bans (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return cr_member_list_get_bans (self->lists);
}
