/* cr-window.c: the main window: header bar, login and chat views, owner mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window owns the session: at most one CrClient (the room it is in) and,
 * in owner mode, the CrServer it hosts. The pages only show things and ask;
 * what may be done right now is decided in one place,
 * cr_window_update_actions().
 *
 * Leaving is never abrupt: the leave button, closing the window and
 * switching owner mode off all say goodbye to the room and wait (at most
 * about a second) for it to be heard, so the others see "name left the room"
 * or "the owner closed the room".
 */
#define G_LOG_DOMAIN "cr-window"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cr-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-login-page.h"
#include "cr-chat-page.h"
#include "cr-application.h"
#ifdef CR_HAVE_OWNER_PAGE
# include "cr-owner-page.h"
#endif
#include "cr-window-private.h"
#include "cr-window.h"

/* How long leaving may take before the window goes anyway. */
#define LEAVE_TIMEOUT_MS 1000

struct _CrWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  GtkToggleButton      *owner_button;
  GtkWidget            *leave_button;
  GtkWidget            *members_button;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  CrLoginPage          *login_page;
  CrChatPage           *chat_page;

  /* owned */
  GSettings            *settings;
  CrClient             *client;
  CrServer             *server;
  GCancellable         *join_cancellable;
  guint                 close_timeout;

  /* borrowed */
  GtkWidget            *owner_page;        /* inside chat_page */
  AdwMessageDialog     *confirm_dialog;

  guint                 n_notifications;
  gboolean              owner_mode;
  gboolean              in_room;           /* joined, until closed */
  gboolean              closing;           /* the window is leaving */
  gboolean              close_ready;
  gboolean              held;
  gboolean              server_stopping;   /* cr_server_stop was called */
};

G_DEFINE_FINAL_TYPE (CrWindow, cr_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_OWNER_MODE,
  PROP_SHOW_MEMBERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void cr_window_update_actions (CrWindow *self);
static void ask_stop_hosting         (CrWindow *self);

/* --- helpers ------------------------------------------------------------ */

static char *
dup_reason_text (const GError *error)
{
  if (error->domain == CR_CLIENT_ERROR || error->domain == CR_SERVER_ERROR)
    {
      if (error->code > CR_REASON_NONE && error->code <= CR_REASON_LAST)
        return cr_render_reason (error->code, NULL);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return g_strdup (_("That is not a room address: type it as host:port, "
                       "for example 192.168.1.5:10024"));

  return g_strdup (error->message);
}

static char *
dup_own_name (CrWindow *self)
{
  const char *typed = cr_login_page_get_nickname (self->login_page);
  g_autofree char *saved = NULL;

  if (typed != NULL && *typed != '\0')
    return g_strdup (typed);

  saved = g_settings_get_string (self->settings, "nickname");
  if (saved[0] != '\0')
    return g_steal_pointer (&saved);

  return g_strdup (g_get_user_name ());
}

static void
update_title (CrWindow *self)
{
  g_autofree char *subtitle = NULL;
  const char *title = _("Chat Room");

  if (self->client != NULL && self->in_room)
    {
      const char *room = cr_client_get_room_name (self->client);
      guint n = g_list_model_get_n_items (cr_client_get_members (self->client));

      if (room != NULL && room[0] != '\0')
        title = room;

      if (cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING)
        subtitle = g_strdup (_("Reconnecting…"));
      else
        /* Translators: the window's subtitle in a room */
        subtitle = g_strdup_printf (ngettext ("%u member", "%u members", n), n);
    }
  else if (self->server != NULL)
    subtitle = g_strdup (_("Starting the room…"));

  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  gtk_window_set_title (GTK_WINDOW (self), title);
}

static void
set_owner_mode_internal (CrWindow *self,
                         gboolean  owner_mode)
{
  owner_mode = !!owner_mode;
  if (self->owner_mode == owner_mode)
    return;

  self->owner_mode = owner_mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_MODE]);
}

/* A client that is leaving, or a server that is closing, lives on by
 * itself until the room heard the goodbye (the client is CLOSED, the server
 * "stopped") or a bounded time passed; the application stays up meanwhile,
 * even when the window that started it is gone. */
typedef struct {
  GObject      *object;
  GApplication *app;
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
  g_free (departure);
}

static gboolean
departure_timeout_cb (gpointer data)
{
  Departure *departure = data;

  departure->timeout = 0;
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

static Departure *
departure_new (gpointer object,
               guint    timeout_ms)
{
  Departure *departure = g_new0 (Departure, 1);
  GApplication *app = g_application_get_default ();

  departure->object = g_object_ref (object);
  if (app != NULL)
    {
      departure->app = g_object_ref (app);
      g_application_hold (app);
    }
  departure->timeout = g_timeout_add (timeout_ms, departure_timeout_cb, departure);
  return departure;
}

static void
let_client_go (CrClient *client)
{
  Departure *departure;
  CrClientState state = cr_client_get_state (client);

  if (state == CR_CLIENT_CLOSED || state == CR_CLIENT_DISCONNECTED)
    return;

  departure = departure_new (client, LEAVE_TIMEOUT_MS);
  departure->handler = g_signal_connect (client, "notify::state",
                                         G_CALLBACK (on_departing_client_state), departure);

  if (state != CR_CLIENT_LEAVING)
    cr_client_leave (client);
}

static void
let_server_go (CrServer *server,
               gboolean  stopping)
{
  Departure *departure;

  if (!stopping && !cr_server_get_running (server))
    return;

  /* The server keeps its socket until everyone acknowledged the close or
   * a second passed, then says "stopped". */
  departure = departure_new (server, 2 * LEAVE_TIMEOUT_MS);
  departure->handler = g_signal_connect (server, "stopped",
                                         G_CALLBACK (on_departing_server_stopped), departure);
  if (!stopping)
    cr_server_stop (server);
}

/* --- the session -------------------------------------------------------- */

static void
drop_client (CrWindow *self)
{
  g_cancellable_cancel (self->join_cancellable);
  g_clear_object (&self->join_cancellable);

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_signal_handlers_disconnect_by_data (cr_client_get_members (self->client), self);
      cr_chat_page_set_client (self->chat_page, NULL);
      let_client_go (self->client);
      g_clear_object (&self->client);
    }

  self->in_room = FALSE;
}

static void
remove_owner_page (CrWindow *self)
{
  if (self->owner_page == NULL)
    return;

#ifdef CR_HAVE_OWNER_PAGE
  g_signal_handlers_disconnect_by_data (self->owner_page, self);
  cr_owner_page_set_server (CR_OWNER_PAGE (self->owner_page), NULL);
#endif
  cr_chat_page_set_owner_widget (self->chat_page, NULL);
  self->owner_page = NULL;
}

static void
drop_server (CrWindow *self)
{
  remove_owner_page (self);

  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      let_server_go (self->server, self->server_stopping);
      g_clear_object (&self->server);
      self->server_stopping = FALSE;
    }

  set_owner_mode_internal (self, FALSE);
}

static void
show_login (CrWindow   *self,
            const char *error,
            const char *note)
{
  cr_login_page_set_busy (self->login_page, FALSE);
  cr_login_page_show_error (self->login_page, error);
  if (note != NULL)
    cr_login_page_show_toast (self->login_page, note);

  gtk_stack_set_visible_child_name (self->stack, "login");
  update_title (self);
  cr_window_update_actions (self);
}

static gboolean
finish_close_cb (gpointer data)
{
  g_autoptr(CrWindow) self = g_object_ref (data);
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  g_clear_handle_id (&self->close_timeout, g_source_remove);

  if (!self->close_ready)
    {
      g_autoptr(GApplication) held_app = app && self->held ? g_object_ref (app) : NULL;

      self->close_ready = TRUE;
      self->held = FALSE;
      drop_client (self);
      drop_server (self);
      gtk_window_destroy (GTK_WINDOW (self));
      if (held_app != NULL)
        g_application_release (held_app);
    }

  return G_SOURCE_REMOVE;
}

static gboolean
close_timeout_cb (gpointer data)
{
  CrWindow *self = data;

  self->close_timeout = 0;
  g_debug ("Leaving took too long; closing anyway");
  finish_close_cb (self);
  return G_SOURCE_REMOVE;
}

static void
on_client_closed (CrWindow *self,
                  int       reason,
                  CrClient *client)
{
  g_autofree char *why = NULL;
  gboolean was_owner = self->server != NULL || cr_client_get_role (client) == CR_ROLE_OWNER;

  if (client != self->client)
    return;

  if (self->closing)
    {
      g_idle_add_full (G_PRIORITY_DEFAULT, finish_close_cb, g_object_ref (self), g_object_unref);
      return;
    }

  if (!self->in_room)
    return;   /* a failed join reports through its callback */

  g_debug ("Closed (%d)", reason);

  drop_client (self);
  drop_server (self);

  if (reason == CR_REASON_NONE)
    show_login (self, NULL, _("You left the room"));
  else if (reason == CR_REASON_ROOM_CLOSED && was_owner)
    show_login (self, NULL, _("You closed the room"));
  else
    {
      why = cr_render_reason (reason, NULL);
      show_login (self, why, NULL);
    }
}

static void
on_client_notify (CrWindow   *self,
                  GParamSpec *pspec,
                  CrClient   *client)
{
  update_title (self);
  cr_window_update_actions (self);
}

static void
on_members_changed (CrWindow *self)
{
  update_title (self);
}

static gboolean
text_mentions (const char *text,
               const char *name)
{
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_name = NULL;

  if (text == NULL || name == NULL || name[0] == '\0')
    return FALSE;

  folded_text = g_utf8_casefold (text, -1);
  folded_name = g_utf8_casefold (name, -1);
  return strstr (folded_text, folded_name) != NULL;
}

static void
on_message_received (CrWindow  *self,
                     CrMessage *message,
                     CrClient  *client)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  g_autofree char *title = NULL;
  GApplication *app;
  gboolean mention;

  if (cr_message_get_own (message))
    return;

  if (cr_message_is_system (message) && cr_message_get_kind (message) != CR_EVENT_ANNOUNCE)
    return;

  mention = !cr_message_is_system (message) &&
            text_mentions (cr_message_get_text (message), cr_client_get_name (client));

  if (gtk_window_is_active (GTK_WINDOW (self)) && !mention)
    return;

  app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  self->n_notifications++;

  /* Without a session bus there is nobody to show it (and GIO would
   * complain loudly). */
  if (app == NULL || g_application_get_dbus_connection (app) == NULL)
    return;

  body = cr_message_dup_display (message);
  if (cr_message_get_kind (message) == CR_EVENT_ANNOUNCE)
    title = g_strdup (_("Announcement"));
  else if (mention)
    /* Translators: a notification's title; %s is who wrote to you */
    title = g_strdup_printf (_("%s mentioned you"), cr_message_get_sender (message));
  else
    title = g_strdup (cr_message_get_sender (message));

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification,
                               mention ? G_NOTIFICATION_PRIORITY_HIGH
                                       : G_NOTIFICATION_PRIORITY_NORMAL);
  g_application_send_notification (app, mention ? "mention" : "message", notification);
}

static void
on_join_finished (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CrWindow) self = user_data;
  CrClient *client = CR_CLIENT (source);
  g_autoptr(GError) error = NULL;

  if (!cr_client_join_finish (client, result, &error))
    {
      g_autofree char *why = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || client != self->client)
        return;

      why = dup_reason_text (error);
      drop_client (self);
      drop_server (self);
      show_login (self, why, NULL);
      return;
    }

  if (client != self->client)
    return;

  g_clear_object (&self->join_cancellable);
  self->in_room = TRUE;

  cr_login_page_remember (self->login_page);
  cr_login_page_set_busy (self->login_page, FALSE);
  cr_login_page_show_error (self->login_page, NULL);
  cr_chat_page_set_client (self->chat_page, client);

#ifdef CR_HAVE_OWNER_PAGE
  if (self->server != NULL && self->owner_page == NULL)
    {
      self->owner_page = cr_owner_page_new ();
      cr_owner_page_set_server (CR_OWNER_PAGE (self->owner_page), self->server);
      g_signal_connect_object (self->owner_page, "stop-requested",
                               G_CALLBACK (ask_stop_hosting), self, G_CONNECT_SWAPPED);
      cr_chat_page_set_owner_widget (self->chat_page, self->owner_page);
    }
#endif

  gtk_stack_set_visible_child_name (self->stack, "chat");
  cr_chat_page_focus_entry (self->chat_page);
  update_title (self);
  cr_window_update_actions (self);
}

static void
join (CrWindow   *self,
      const char *address,
      const char *name,
      const char *password,
      gboolean    do_register,
      const char *owner_token)
{
  g_assert (self->client == NULL);

  self->client = cr_client_new ();
  self->join_cancellable = g_cancellable_new ();

  g_signal_connect_object (self->client, "closed",
                           G_CALLBACK (on_client_closed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::state",
                           G_CALLBACK (on_client_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::room-name",
                           G_CALLBACK (on_client_notify), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "message-received",
                           G_CALLBACK (on_message_received), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (cr_client_get_members (self->client), "items-changed",
                           G_CALLBACK (on_members_changed), self, G_CONNECT_SWAPPED);

  cr_login_page_set_busy (self->login_page, TRUE);
  cr_login_page_show_error (self->login_page, NULL);
  update_title (self);
  cr_window_update_actions (self);

  cr_client_join_async (self->client, address, name,
                        password != NULL && *password != '\0' ? password : NULL,
                        do_register, owner_token,
                        self->join_cancellable, on_join_finished, g_object_ref (self));
}

static void
on_login_page_join_requested (CrWindow    *self,
                              CrLoginPage *page)
{
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;

  if (self->client != NULL || self->server != NULL)
    return;

  address = g_strstrip (g_strdup (cr_login_page_get_address (page)));
  name = g_strstrip (g_strdup (cr_login_page_get_nickname (page)));

  join (self, address, name,
        cr_login_page_get_password (page),
        cr_login_page_get_register (page),
        NULL);
}

/* --- owner mode --------------------------------------------------------- */

static void
on_server_stopped (CrWindow *self,
                   CrServer *server)
{
  if (server != self->server)
    return;

  /* The room is gone; if our own client did not hear it close, it will
   * not hear anything any more. */
  if (self->closing)
    {
      if (self->client == NULL || cr_client_get_state (self->client) == CR_CLIENT_CLOSED)
        g_idle_add_full (G_PRIORITY_DEFAULT, finish_close_cb, g_object_ref (self), g_object_unref);
      return;
    }

  if (self->client != NULL)
    {
      drop_client (self);
      drop_server (self);
      show_login (self, NULL, _("You closed the room"));
    }
  else
    drop_server (self);
}

static gboolean
start_server (CrWindow  *self,
              guint     *out_port,
              GError   **error)
{
  g_autoptr(CrServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *room_name = NULL;
  g_autofree char *name = NULL;
  g_autofree char *address = NULL;
  guint port;
  gboolean local_only;

  port = g_settings_get_uint (self->settings, "owner-port");
  local_only = g_settings_get_boolean (self->settings, "local-only");
  room_name = g_settings_get_string (self->settings, "room-name");
  name = dup_own_name (self);

  if (port > G_MAXUINT16)
    port = CR_DEFAULT_PORT;

  if (room_name[0] == '\0')
    {
      g_free (room_name);
      /* Translators: the default name of a room you host; %s is your nickname */
      room_name = g_strdup_printf (_("%s's room"), name);
    }

  data_dir = g_build_filename (g_get_user_data_dir (), "chatroom", NULL);
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    g_warning ("Could not create %s: %s", data_dir, g_strerror (errno));

  server = g_object_new (CR_TYPE_SERVER,
                         "data-dir", data_dir,
                         "room-name", room_name,
                         "owner-name", name,
                         "require-registration",
                           g_settings_get_boolean (self->settings, "require-registration"),
                         "history-length",
                           MIN (g_settings_get_uint (self->settings, "history-length"), 5000),
                         NULL);

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
          return FALSE;
        }

      g_debug ("Binding %s failed (%s); trying IPv4", address, local_error->message);
      g_clear_error (&local_error);
      g_free (address);
      address = g_strdup_printf ("0.0.0.0:%u", port);
      if (!cr_server_start (server, address, error))
        return FALSE;
    }

  g_signal_connect_object (server, "stopped",
                           G_CALLBACK (on_server_stopped), self, G_CONNECT_SWAPPED);

  self->server = g_steal_pointer (&server);
  *out_port = cr_server_get_port (self->server);
  return TRUE;
}

static void
start_hosting (CrWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;
  guint port = 0;

  if (self->server != NULL)
    return;

  /* A member of another room leaves it to host one. */
  if (self->client != NULL)
    {
      drop_client (self);
      show_login (self, NULL, NULL);
    }

  if (!start_server (self, &port, &error))
    {
      g_autofree char *why = NULL;
      guint wanted = g_settings_get_uint (self->settings, "owner-port");

      if (g_error_matches (error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND))
        {
          AdwToast *toast;

          /* Translators: %u is a port number */
          why = g_strdup_printf (_("Could not host a room on port %u: another program "
                                   "is using it. Stop that program or choose another port."),
                                 wanted);

          /* The port is only changed in the owner view, which needs a
           * running room: offer a way out of that circle. */
          toast = adw_toast_new (_("The room's port is taken"));
          adw_toast_set_button_label (toast, _("Use _Another Port"));
          adw_toast_set_action_name (toast, "win.host-on-free-port");
          adw_toast_set_timeout (toast, 0);
          cr_login_page_add_toast (self->login_page, toast);
        }
      else
        {
          g_autofree char *detail = dup_reason_text (error);
          /* Translators: %s says why */
          why = g_strdup_printf (_("Could not host a room: %s"), detail);
        }

      g_debug ("Hosting failed: %s", error->message);
      set_owner_mode_internal (self, FALSE);
      show_login (self, why, NULL);
      return;
    }

  set_owner_mode_internal (self, TRUE);

  address = g_strdup_printf ("127.0.0.1:%u", port);
  name = dup_own_name (self);
  join (self, address, name, NULL, FALSE, cr_server_get_owner_token (self->server));
}

static void
stop_hosting (CrWindow *self)
{
  if (self->server == NULL)
    {
      set_owner_mode_internal (self, FALSE);
      return;
    }

  /* The room tells everyone, our own client included; on_client_closed
   * then brings the login view back. */
  set_owner_mode_internal (self, FALSE);
  remove_owner_page (self);
  cr_server_stop (self->server);
  self->server_stopping = TRUE;

  if (self->client == NULL || !self->in_room)
    {
      drop_client (self);
      drop_server (self);
      show_login (self, NULL, NULL);
    }

  cr_window_update_actions (self);
}

static void
on_confirm_response (CrWindow         *self,
                     const char       *response,
                     AdwMessageDialog *dialog)
{
  self->confirm_dialog = NULL;

  if (g_strcmp0 (response, "close") == 0)
    stop_hosting (self);
  else
    /* The toggle follows the property: say again that it is still on. */
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_MODE]);
}

static void
ask_stop_hosting (CrWindow *self)
{
  GtkWidget *dialog;

  if (self->confirm_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->confirm_dialog));
      return;
    }

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Close the Room?"),
                                   _("Everyone in the room sees that it closed and "
                                     "is sent back to the start. The room stops."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "close", _("C_lose Room"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "close",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (on_confirm_response), self, G_CONNECT_SWAPPED);

  self->confirm_dialog = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
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

static void
host_on_free_port_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CrWindow *self = CR_WINDOW (widget);
  guint port;

  if (self->server != NULL || self->closing)
    return;

  port = find_free_port (g_settings_get_boolean (self->settings, "local-only"));
  if (port == 0)
    return;

  /* Remembered: the others will type this port from now on. */
  g_settings_set_uint (self->settings, "owner-port", port);
  cr_window_set_owner_mode (self, TRUE);
}

/* --- actions ------------------------------------------------------------ */

static void
cr_window_update_actions (CrWindow *self)
{
  CrClientState state = self->client ? cr_client_get_state (self->client) : CR_CLIENT_DISCONNECTED;
  gboolean in_chat = self->in_room;
  gboolean can_leave;

  can_leave = !self->closing &&
              (self->server != NULL ||
               state == CR_CLIENT_CONNECTING ||
               state == CR_CLIENT_CONNECTED ||
               state == CR_CLIENT_RECONNECTING);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave", can_leave);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.owner-mode", !self->closing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-members", in_chat);

  gtk_widget_set_visible (self->leave_button, can_leave);
  gtk_widget_set_visible (self->members_button, in_chat);

  if (self->server != NULL)
    gtk_widget_set_tooltip_text (self->leave_button, _("Close the Room"));
  else
    gtk_widget_set_tooltip_text (self->leave_button, _("Leave the Room"));
}

static void
leave_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CrWindow *self = CR_WINDOW (widget);

  if (self->server != NULL)
    {
      /* The owner leaving closes the room: ask first, as the toggle does. */
      ask_stop_hosting (self);
      return;
    }

  if (self->client == NULL)
    return;

  if (!self->in_room)
    {
      /* Still joining: give up. */
      drop_client (self);
      show_login (self, NULL, NULL);
      return;
    }

  /* on_client_closed brings the login view back once the room heard us. */
  cr_client_leave (self->client);
  cr_window_update_actions (self);
}

/* --- GtkWindow ---------------------------------------------------------- */

static void
save_window_state (CrWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
}

static gboolean
cr_window_close_request (GtkWindow *window)
{
  CrWindow *self = CR_WINDOW (window);
  GApplication *app = G_APPLICATION (gtk_window_get_application (window));
  gboolean client_active;

  if (self->close_ready)
    return FALSE;

  if (self->closing)
    return TRUE;

  save_window_state (self);

  if (self->confirm_dialog != NULL)
    gtk_window_close (GTK_WINDOW (self->confirm_dialog));

  client_active = self->client != NULL && self->in_room &&
                  cr_client_get_state (self->client) != CR_CLIENT_CLOSED;

  if (!client_active && self->server == NULL)
    {
      drop_client (self);
      return FALSE;
    }

  /* Say goodbye and wait for it to be heard, within bounds; the
   * application stays up meanwhile even though no window shows. */
  self->closing = TRUE;
  if (app != NULL)
    {
      g_application_hold (app);
      self->held = TRUE;
    }
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  cr_window_update_actions (self);

  self->close_timeout = g_timeout_add (LEAVE_TIMEOUT_MS, close_timeout_cb, self);

  if (self->server != NULL && !self->server_stopping)
    {
      cr_server_stop (self->server);
      self->server_stopping = TRUE;
    }
  else if (client_active)
    cr_client_leave (self->client);

  return TRUE;
}

/* --- GObject ------------------------------------------------------------ */

static void
cr_window_dispose (GObject *object)
{
  CrWindow *self = CR_WINDOW (object);

  g_clear_handle_id (&self->close_timeout, g_source_remove);
  if (self->confirm_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->confirm_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->confirm_dialog));
      self->confirm_dialog = NULL;
    }
  drop_client (self);
  drop_server (self);

  G_OBJECT_CLASS (cr_window_parent_class)->dispose (object);
}

static void
cr_window_finalize (GObject *object)
{
  CrWindow *self = CR_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cr_window_parent_class)->finalize (object);
}

static void
cr_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrWindow *self = CR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OWNER_MODE:
      g_value_set_boolean (value, self->owner_mode);
      break;

    case PROP_SHOW_MEMBERS:
      /* Asked for while the template is built, before chat_page is set. */
      g_value_set_boolean (value, self->chat_page == NULL ||
                                  cr_chat_page_get_show_side (self->chat_page));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CrWindow *self = CR_WINDOW (object);

  switch (prop_id)
    {
    case PROP_OWNER_MODE:
      cr_window_set_owner_mode (self, g_value_get_boolean (value));
      break;

    case PROP_SHOW_MEMBERS:
      cr_chat_page_set_show_side (self->chat_page, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_chat_page_notify_show_side (CrWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_MEMBERS]);
}

static void
on_notify_is_active (CrWindow *self)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  /* The reader is back: what the notifications said is on screen. */
  if (app != NULL && gtk_window_is_active (GTK_WINDOW (self)))
    g_application_withdraw_notification (app, "message");
}

static void
cr_window_class_init (CrWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = cr_window_dispose;
  object_class->finalize = cr_window_finalize;
  object_class->get_property = cr_window_get_property;
  object_class->set_property = cr_window_set_property;

  window_class->close_request = cr_window_close_request;

  properties[PROP_OWNER_MODE] =
    g_param_spec_boolean ("owner-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SHOW_MEMBERS] =
    g_param_spec_boolean ("show-members", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CR_TYPE_LOGIN_PAGE);
  g_type_ensure (CR_TYPE_CHAT_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CrWindow, owner_button);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, leave_button);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, members_button);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, login_page);
  gtk_widget_class_bind_template_child (widget_class, CrWindow, chat_page);
  gtk_widget_class_bind_template_callback (widget_class, on_login_page_join_requested);

  gtk_widget_class_install_property_action (widget_class, "win.owner-mode", "owner-mode");
  gtk_widget_class_install_property_action (widget_class, "win.show-members", "show-members");
  gtk_widget_class_install_action (widget_class, "win.leave", NULL, leave_action);
  gtk_widget_class_install_action (widget_class, "win.host-on-free-port", NULL,
                                   host_on_free_port_action);
}

static void
cr_window_init (CrWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->chat_page, "notify::show-side",
                           G_CALLBACK (on_chat_page_notify_show_side), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::is-active", G_CALLBACK (on_notify_is_active), NULL);

  update_title (self);
  cr_window_update_actions (self);
}

CrWindow *
cr_window_new (CrApplication *application)
{
  return g_object_new (CR_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

void
cr_window_set_address (CrWindow   *self,
                       const char *address)
{
  g_return_if_fail (CR_IS_WINDOW (self));

  cr_login_page_set_address (self->login_page, address);
}

gboolean
cr_window_get_owner_mode (CrWindow *self)
{
  g_return_val_if_fail (CR_IS_WINDOW (self), FALSE);

  return self->owner_mode;
}

void
cr_window_set_owner_mode (CrWindow *self,
                          gboolean  owner_mode)
{
  g_return_if_fail (CR_IS_WINDOW (self));

  if (self->closing)
    return;

  if (owner_mode && self->server == NULL)
    start_hosting (self);
  else if (!owner_mode && self->server != NULL)
    ask_stop_hosting (self);
  else if (!owner_mode)
    set_owner_mode_internal (self, FALSE);
}

/* --- for tests (cr-window-private.h) ------------------------------------ */

CrClient *
_cr_window_get_client (CrWindow *self)
{
  return self->client;
}

CrServer *
_cr_window_get_server (CrWindow *self)
{
  return self->server;
}

CrLoginPage *
_cr_window_get_login_page (CrWindow *self)
{
  return self->login_page;
}

CrChatPage *
_cr_window_get_chat_page (CrWindow *self)
{
  return self->chat_page;
}

GtkWidget *
_cr_window_get_owner_page (CrWindow *self)
{
  return self->owner_page;
}

AdwMessageDialog *
_cr_window_get_confirm_dialog (CrWindow *self)
{
  return self->confirm_dialog;
}

const char *
_cr_window_get_visible_page (CrWindow *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
_cr_window_get_title (CrWindow *self)
{
  return adw_window_title_get_title (self->window_title);
}

const char *
_cr_window_get_subtitle (CrWindow *self)
{
  return adw_window_title_get_subtitle (self->window_title);
}

guint
_cr_window_get_n_notifications (CrWindow *self)
{
  return self->n_notifications;
}
