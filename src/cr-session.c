/* cr-session.c: what the app is doing in rooms, beside its windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session owns the CrClient of the room we are in and, in owner mode,
 * the CrServer we host; it lives on the application (cr-application.c), so
 * a window is only a view of it: it binds to the properties below and its
 * actions call the operations (cr-window.c, cr-window-actions.c). The
 * shape is gnome-text-editor's EditorSession.
 *
 * Leaving is never abrupt: a client that leaves and a server that closes
 * live on by themselves (a Departure) until the room heard the goodbye or
 * a bounded time passed, holding the application meanwhile, so the others
 * see "name left the room" or "the owner closed the room" even when the
 * last window is already gone.
 */
#define G_LOG_DOMAIN "cr-session"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "cr-enums.h"
#include "cr-trust.h"
#include "cr-session-private.h"
#include "cr-session.h"

/* How long leaving may take before the parts are dropped anyway; a closing
 * server waits up to a second for acks itself, then says "stopped". */
#define LEAVE_TIMEOUT_MS 1000
#define STOP_TIMEOUT_MS  (2 * LEAVE_TIMEOUT_MS)


G_DEFINE_FINAL_TYPE (CrSession, cr_session, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (CrSessionState, cr_session_state,
  G_DEFINE_ENUM_VALUE (CR_SESSION_IDLE, "idle"),
  G_DEFINE_ENUM_VALUE (CR_SESSION_JOINING, "joining"),
  G_DEFINE_ENUM_VALUE (CR_SESSION_IN_ROOM, "in-room"),
  G_DEFINE_ENUM_VALUE (CR_SESSION_RECONNECTING, "reconnecting"))

/* The struct is in cr-session-private.h: cr-session-notify.c shares it. */

enum {
  PROP_0,
  PROP_STATE,
  PROP_CLIENT,
  PROP_SERVER,
  PROP_OWNER_MODE,
  PROP_ROOM_NAME,
  PROP_N_MEMBERS,
  PROP_N_UNREAD,
  PROP_MUTED,
  N_PROPS
};

enum {
  ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* --- departures --------------------------------------------------------- */

/* What a cr_session_leave_async waits for: the departures it started. */
typedef struct {
  GTask *task;
  guint  pending;
} LeaveWait;

static void
leave_wait_release (LeaveWait *wait)
{
  if (wait == NULL || --wait->pending > 0)
    return;
  g_task_return_boolean (wait->task, TRUE);
  g_object_unref (wait->task);
  g_free (wait);
}

typedef struct {
  GObject      *object;
  GApplication *app;
  LeaveWait    *wait;
  gulong        handler;
  guint         timeout;
} Departure;

static void
departure_free (Departure *departure)
{
  g_clear_signal_handler (&departure->handler, departure->object);
  g_clear_handle_id (&departure->timeout, g_source_remove);
  g_clear_object (&departure->object);
  if (departure->app != NULL)
    g_application_release (departure->app);
  g_clear_object (&departure->app);
  leave_wait_release (departure->wait);
  g_free (departure);
}

static gboolean
departure_timeout_cb (gpointer data)
{
  Departure *departure = data;

  departure->timeout = 0;
  g_debug ("Leaving took too long; going anyway");
  departure_free (departure);
  return G_SOURCE_REMOVE;
}

static void
on_departing_client_state (CrClient   *client,
                           GParamSpec *pspec,
                           Departure  *departure)
{
  if (cr_client_get_state (client) == CR_CLIENT_CLOSED)
    departure_free (departure);
}

static void
on_departing_server_stopped (CrServer  *server,
                             Departure *departure)
{
  departure_free (departure);
}

/* hold: FALSE while the application itself is going away. */
static Departure *
departure_new (gpointer   object,
               guint      timeout_ms,
               LeaveWait *wait,
               gboolean   hold)
{
  Departure *departure = g_new0 (Departure, 1);
  GApplication *app = hold ? g_application_get_default () : NULL;

  departure->object = g_object_ref (object);
  if (app != NULL)
    {
      departure->app = g_object_ref (app);
      g_application_hold (app);
    }
  if (wait != NULL)
    {
      departure->wait = wait;
      wait->pending++;
    }
  departure->timeout = g_timeout_add (timeout_ms, departure_timeout_cb, departure);
  return departure;
}

/* say_goodbye: FALSE for our own client in a room we close: the room
 * tells it. */
static void
let_client_go (CrClient  *client,
               gboolean   say_goodbye,
               LeaveWait *wait,
               gboolean   hold)
{
  Departure *departure;
  CrClientState state = cr_client_get_state (client);

  if (state == CR_CLIENT_CLOSED || state == CR_CLIENT_DISCONNECTED)
    return;

  departure = departure_new (client, LEAVE_TIMEOUT_MS, wait, hold);
  departure->handler = g_signal_connect (client, "notify::state",
                                         G_CALLBACK (on_departing_client_state), departure);

  if (say_goodbye && state != CR_CLIENT_LEAVING)
    cr_client_leave (client);
}

static void
let_server_go (CrServer  *server,
               LeaveWait *wait,
               gboolean   hold)
{
  Departure *departure;

  if (!cr_server_get_running (server))
    return;

  /* The server keeps its socket until everyone acknowledged the close or
   * a second passed, then says "stopped". */
  departure = departure_new (server, STOP_TIMEOUT_MS, wait, hold);
  departure->handler = g_signal_connect (server, "stopped",
                                         G_CALLBACK (on_departing_server_stopped), departure);
  cr_server_stop (server);
}

/* --- state -------------------------------------------------------------- */

static void
set_state (CrSession      *self,
           CrSessionState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  /* Both say what the joined room has, and nothing outside one. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MEMBERS]);
}

static CrSessionState
state_of_client (CrClient *client)
{
  return cr_client_get_state (client) == CR_CLIENT_RECONNECTING ? CR_SESSION_RECONNECTING
                                                                 : CR_SESSION_IN_ROOM;
}

static gboolean
in_room (CrSession *self)
{
  return self->state == CR_SESSION_IN_ROOM || self->state == CR_SESSION_RECONNECTING;
}

/* Drop the client and the server (each departs on its own) and go IDLE.
 * Returns whether we were in a room, and as its owner. */
static gboolean
drop_all (CrSession *self,
          gboolean   say_goodbye,
          LeaveWait *wait,
          gboolean   hold,
          gboolean  *was_owner)
{
  gboolean was_in_room = in_room (self);
  gboolean hosting = self->server != NULL;

  if (was_owner != NULL)
    *was_owner = hosting ||
                 (self->client != NULL && cr_client_get_role (self->client) == CR_ROLE_OWNER);

  g_cancellable_cancel (self->join_cancellable);
  g_clear_object (&self->join_cancellable);
  if (self->join_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->join_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Left while joining");
    }

  if (self->server != NULL)
    {
      g_signal_group_set_target (self->server_signals, NULL);
      let_server_go (self->server, wait, hold);
      g_clear_object (&self->server);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_MODE]);
    }

  if (self->client != NULL)
    {
      g_signal_group_set_target (self->client_signals, NULL);
      let_client_go (self->client, say_goodbye && !hosting, wait, hold);
      g_clear_object (&self->client);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
    }

  set_state (self, CR_SESSION_IDLE);
  /* After the state: whoever follows the count finds no room. */
  _cr_session_conversation_changed (self);
  return was_in_room;
}

/* --- following the client and the server -------------------------------- */

static void
on_client_closed (CrSession *self,
                  int        reason,
                  CrClient  *client)
{
  gboolean was_owner = FALSE;

  /* A join that fails reports through its own callback. */
  if (!in_room (self))
    return;

  g_debug ("Closed (%d)", reason);
  drop_all (self, FALSE, NULL, TRUE, &was_owner);
  g_signal_emit (self, signals[ENDED], 0, reason, was_owner);
}

static void
on_client_notify_state (CrSession *self)
{
  if (in_room (self))
    set_state (self, state_of_client (self->client));
}

static void
on_client_notify_room_name (CrSession *self)
{
  if (in_room (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM_NAME]);
}

static void
on_client_notify_n_members (CrSession *self)
{
  if (in_room (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MEMBERS]);
}

static void
on_server_notify_room_name (CrSession *self)
{
  /* The owner renamed the room: our own header says so at once. */
  if (in_room (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM_NAME]);
}

static void
on_server_stopped (CrSession *self)
{
  gboolean was_in_room;

  /* The room is gone; if our own client did not hear it close, it will
   * not hear anything any more. */
  was_in_room = drop_all (self, FALSE, NULL, TRUE, NULL);
  if (was_in_room)
    g_signal_emit (self, signals[ENDED], 0, CR_REASON_ROOM_CLOSED, TRUE);
}

/* --- joining and hosting ------------------------------------------------ */

static char *
dup_own_name (CrSession  *self,
              const char *typed)
{
  g_autofree char *saved = NULL;

  if (typed != NULL && *typed != '\0')
    return g_strdup (typed);

  saved = g_settings_get_string (self->settings, "nickname");
  if (saved[0] != '\0')
    return g_steal_pointer (&saved);

  return g_strdup (g_get_user_name ());
}

static void
on_join_finished (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CrSession) self = user_data;
  CrClient *client = CR_CLIENT (source);
  g_autoptr(GError) error = NULL;
  gboolean current = client == self->client;
  g_autoptr(GTask) task = NULL;

  if (current)
    task = g_steal_pointer (&self->join_task);

  if (!cr_client_join_finish (client, result, &error))
    {
      gboolean hosting = self->server != NULL;

      /* Given up (left meanwhile: that reported already) or refused. */
      if (!current)
        return;

      g_clear_pointer (&self->new_key, g_free);
      if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_KEY_NEW))
        self->new_key = g_strdup (cr_client_get_offered_fingerprint (client));
      drop_all (self, FALSE, NULL, TRUE, NULL);
      if (task != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else if (hosting)
        g_signal_emit (self, signals[ENDED], 0,
                       error->domain == CR_CLIENT_ERROR ? error->code : CR_REASON_INTERNAL,
                       TRUE);
      return;
    }

  if (!current)
    return;

  g_clear_pointer (&self->new_key, g_free);
  g_clear_object (&self->join_cancellable);
  set_state (self, state_of_client (client));
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
start_join (CrSession  *self,
            GTask      *task,
            const char *address,
            const char *name,
            const char *password,
            gboolean    do_register,
            const char *owner_token)
{
  g_assert (self->client == NULL);
  g_assert (self->join_task == NULL);

  self->client = cr_client_new ();
  {
    /* Trust on first use, the same file chatroom-cli reads (cr-trust.h). */
    g_autofree char *trust_file = cr_trust_default_path ();
    cr_client_set_trust_file (self->client, trust_file);
    cr_client_set_accept_new_key (self->client, self->accept_new_key);
    self->accept_new_key = FALSE;
    /* A room met for the first time waits for the user to compare its
     * key (the login view); our own room, hosted here, does not. */
    cr_client_set_confirm_new_key (self->client, owner_token == NULL, self->accepted_key);
    g_clear_pointer (&self->accepted_key, g_free);
  }
  self->join_cancellable = g_cancellable_new ();
  self->join_task = task != NULL ? g_object_ref (task) : NULL;
  g_signal_group_set_target (self->client_signals, self->client);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
  _cr_session_conversation_changed (self);
  set_state (self, CR_SESSION_JOINING);

  cr_client_join_async (self->client, address, name,
                        password != NULL && *password != '\0' ? password : NULL,
                        do_register, owner_token,
                        self->join_cancellable, on_join_finished, g_object_ref (self));
}

/* A UDP port that is free right now on the address the room would use. */
static guint
find_free_port (gboolean local_only)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  GSocketFamily family = local_only ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL)
    {
      family = G_SOCKET_FAMILY_IPV4;
      socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
      if (socket == NULL)
        return 0;
    }

  inet = local_only ? g_inet_address_new_loopback (family) : g_inet_address_new_any (family);
  address = g_inet_socket_address_new (inet, 0);
  if (!g_socket_bind (socket, address, FALSE, NULL))
    return 0;

  bound = g_socket_get_local_address (socket, NULL);
  if (bound == NULL)
    return 0;

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static CrServer *
start_server (CrSession   *self,
              const char  *owner_name,
              GError     **error)
{
  g_autoptr(CrServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *address = NULL;
  guint port;
  gboolean local_only;

  /* Where the room listens is fixed while it runs: read when it starts. */
  port = g_settings_get_uint (self->settings, "owner-port");
  local_only = g_settings_get_boolean (self->settings, "local-only");
  if (port > G_MAXUINT16)
    port = CR_DEFAULT_PORT;

  data_dir = g_build_filename (g_get_user_data_dir (), "chatroom", NULL);
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    g_warning ("Could not create %s: %s", data_dir, g_strerror (errno));

  /* The room on its own thread: a big room's reads, fan-out and commits
   * never hold up this window's frames (cr-server-thread.c). */
  server = g_object_new (CR_TYPE_SERVER,
                         "data-dir", data_dir,
                         "owner-name", owner_name,
                         "threaded", TRUE,
                         NULL);
  cr_session_bind_server_settings (self->settings, server);

  /* The LAN joins over IPv4 and IPv6 alike; "this computer only" keeps the
   * room on the loopback. Where dual-stack binding is impossible, IPv4. */
  if (local_only)
    address = g_strdup_printf ("127.0.0.1:%u", port);
  else
    address = g_strdup_printf ("[::]:%u", port);

  if (!cr_server_start (server, address, &local_error))
    {
      if (local_only || !g_error_matches (local_error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      g_debug ("Binding %s failed (%s); trying IPv4", address, local_error->message);
      g_clear_error (&local_error);
      g_free (address);
      address = g_strdup_printf ("0.0.0.0:%u", port);
      if (!cr_server_start (server, address, error))
        return NULL;
    }

  return g_steal_pointer (&server);
}

static gboolean
bool_finish (CrSession     *self,
             GAsyncResult  *result,
             gpointer       tag,
             GError       **error)
{
  g_return_val_if_fail (CR_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- GObject ------------------------------------------------------------ */

static void
cr_session_dispose (GObject *object)
{
  CrSession *self = CR_SESSION (object);

  /* The application may be finalizing: the parts depart without holding
   * it. */
  drop_all (self, TRUE, NULL, FALSE, NULL);
  g_clear_object (&self->client_signals);
  g_clear_object (&self->server_signals);

  G_OBJECT_CLASS (cr_session_parent_class)->dispose (object);
}

static void
cr_session_finalize (GObject *object)
{
  CrSession *self = CR_SESSION (object);

  g_clear_object (&self->settings);
  g_free (self->accepted_key);
  g_free (self->new_key);

  G_OBJECT_CLASS (cr_session_parent_class)->finalize (object);
}

static void
cr_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CrSession *self = CR_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_SERVER:
      g_value_set_object (value, self->server);
      break;

    case PROP_OWNER_MODE:
      g_value_set_boolean (value, cr_session_get_owner_mode (self));
      break;

    case PROP_ROOM_NAME:
      g_value_set_string (value, cr_session_get_room_name (self));
      break;

    case PROP_N_MEMBERS:
      g_value_set_uint (value, cr_session_get_n_members (self));
      break;

    case PROP_N_UNREAD:
      g_value_set_uint (value, cr_session_get_n_unread (self));
      break;

    case PROP_MUTED:
      g_value_set_boolean (value, cr_session_get_muted (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_session_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CrSession *self = CR_SESSION (object);

  switch (prop_id)
    {
    case PROP_MUTED:
      cr_session_set_muted (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_session_class_init (CrSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = cr_session_dispose;
  object_class->finalize = cr_session_finalize;
  object_class->get_property = cr_session_get_property;
  object_class->set_property = cr_session_set_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       CR_TYPE_SESSION_STATE, CR_SESSION_IDLE, flags);
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CR_TYPE_CLIENT, flags);
  properties[PROP_SERVER] =
    g_param_spec_object ("server", NULL, NULL, CR_TYPE_SERVER, flags);
  properties[PROP_OWNER_MODE] =
    g_param_spec_boolean ("owner-mode", NULL, NULL, FALSE, flags);
  properties[PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL, flags);
  properties[PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_UNREAD] =
    g_param_spec_uint ("n-unread", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CR_TYPE_REASON, G_TYPE_BOOLEAN);
}

static void
cr_session_init (CrSession *self)
{
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::muted-rooms",
                           G_CALLBACK (_cr_session_notify_muted), self, G_CONNECT_SWAPPED);

  /* The client and the server change with every room: one group each
   * follows whichever is current. */
  self->client_signals = g_signal_group_new (CR_TYPE_CLIENT);
  g_signal_group_connect_object (self->client_signals, "closed",
                                 G_CALLBACK (on_client_closed), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::state",
                                 G_CALLBACK (on_client_notify_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::room-name",
                                 G_CALLBACK (on_client_notify_room_name), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::n-members",
                                 G_CALLBACK (on_client_notify_n_members), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "message-received",
                                 G_CALLBACK (_cr_session_on_message_received), self,
                                 G_CONNECT_SWAPPED);

  self->server_signals = g_signal_group_new (CR_TYPE_SERVER);
  g_signal_group_connect_object (self->server_signals, "notify::room-name",
                                 G_CALLBACK (on_server_notify_room_name), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "stopped",
                                 G_CALLBACK (on_server_stopped), self, G_CONNECT_SWAPPED);
}

/* --- public API --------------------------------------------------------- */

CrSession *
cr_session_new (void)
{
  return g_object_new (CR_TYPE_SESSION, NULL);
}

CrSessionState
cr_session_get_state (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), CR_SESSION_IDLE);

  return self->state;
}

/**
 * cr_session_get_client:
 *
 * Returns: (transfer none) (nullable): the room's client
 */
CrClient *
cr_session_get_client (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), NULL);

  return self->client;
}

/**
 * cr_session_get_server:
 *
 * Returns: (transfer none) (nullable): the hosted room
 */
CrServer *
cr_session_get_server (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), NULL);

  return self->server;
}

gboolean
cr_session_get_owner_mode (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), FALSE);

  return self->server != NULL;
}

const char *
cr_session_get_room_name (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), NULL);

  if (!in_room (self))
    return NULL;

  /* The room we host knows its name first: members learn a name when
   * they join (WELCOME), and the protocol has no rename message yet. */
  if (self->server != NULL && cr_server_get_room_name (self->server) != NULL)
    return cr_server_get_room_name (self->server);
  return cr_client_get_room_name (self->client);
}

guint
cr_session_get_n_members (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), 0);

  if (!in_room (self))
    return 0;
  return g_list_model_get_n_items (cr_client_get_members (self->client));
}

void
cr_session_join_async (CrSession           *self,
                       const char          *address,
                       const char          *name,
                       const char          *password,
                       gboolean             do_register,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CR_IS_SESSION (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (name != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, cr_session_join_async);

  if (self->client != NULL || self->server != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "Already in a room");
      return;
    }

  start_join (self, task, address, name, password, do_register, NULL);
}

void
cr_session_set_accept_new_key (CrSession *self,
                               gboolean   accept)
{
  g_return_if_fail (CR_IS_SESSION (self));

  self->accept_new_key = !!accept;
}

void
cr_session_accept_key (CrSession  *self,
                       const char *fingerprint)
{
  g_return_if_fail (CR_IS_SESSION (self));

  g_free (self->accepted_key);
  self->accepted_key = g_strdup (fingerprint);
}

const char *
cr_session_get_new_key (CrSession *self)
{
  g_return_val_if_fail (CR_IS_SESSION (self), NULL);

  return self->new_key;
}

gboolean
cr_session_join_finish (CrSession     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return bool_finish (self, result, cr_session_join_async, error);
}

gboolean
cr_session_host (CrSession   *self,
                 const char  *name,
                 GError     **error)
{
  g_autofree char *own_name = NULL;
  g_autofree char *address = NULL;

  g_return_val_if_fail (CR_IS_SESSION (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->server != NULL)
    return TRUE;

  /* A member of another room leaves it to host one. */
  drop_all (self, TRUE, NULL, TRUE, NULL);

  own_name = dup_own_name (self, name);
  self->server = start_server (self, own_name, error);
  if (self->server == NULL)
    return FALSE;

  g_signal_group_set_target (self->server_signals, self->server);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_MODE]);

  address = g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (self->server));
  start_join (self, NULL, address, own_name, NULL, FALSE,
              cr_server_get_owner_token (self->server));
  return TRUE;
}

gboolean
cr_session_use_free_port (CrSession *self)
{
  guint port;

  g_return_val_if_fail (CR_IS_SESSION (self), FALSE);

  port = find_free_port (g_settings_get_boolean (self->settings, "local-only"));
  if (port == 0)
    return FALSE;

  /* Remembered: the others will type this port from now on. */
  g_settings_set_uint (self->settings, "owner-port", port);
  return TRUE;
}

void
cr_session_leave_async (CrSession           *self,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  LeaveWait *wait;
  gboolean was_in_room;
  gboolean hosting;
  gboolean was_owner = FALSE;

  g_return_if_fail (CR_IS_SESSION (self));

  wait = g_new0 (LeaveWait, 1);
  wait->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (wait->task, cr_session_leave_async);
  /* Our own reference, released below: the task completes when the last
   * departure does, or at once when nothing departs. */
  wait->pending = 1;

  hosting = self->server != NULL;
  was_in_room = drop_all (self, TRUE, wait, TRUE, &was_owner);
  if (was_in_room)
    g_signal_emit (self, signals[ENDED], 0,
                   hosting ? CR_REASON_ROOM_CLOSED : CR_REASON_NONE, was_owner);

  leave_wait_release (wait);
}

gboolean
cr_session_leave_finish (CrSession     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return bool_finish (self, result, cr_session_leave_async, error);
}

void
cr_session_stop_hosting (CrSession *self)
{
  g_return_if_fail (CR_IS_SESSION (self));

  if (self->server != NULL)
    cr_session_leave_async (self, NULL, NULL);
}
