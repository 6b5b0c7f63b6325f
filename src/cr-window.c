/* cr-window.c: the main window: header bar, login and chat views, owner mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window is a view of a CrSession (cr-session.c), the application's
 * unless one is given: which page shows, the title and the owner view all
 * follow the session's properties, and the actions (cr-window-actions.c)
 * call the session. What may be done right now is decided in one place,
 * _cr_window_update_actions(). Destroying a window leaves the session as it
 * is; closing the last window of a session leaves its room first (the
 * window hides and goes once the room heard the goodbye, within about a
 * second), unless the room goes on in the background (issue 15: a hosted
 * room as asked the first time, a membership when "stay-in-background"
 * is on; the application keeps the session, cr-application.c). The title
 * counts what the reader has not seen, until a focused window shows the
 * end of the chat.
 */
#define G_LOG_DOMAIN "cr-window"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-application-private.h"
#include "cr-application.h"
#include "cr-session-private.h"
#ifdef CR_HAVE_OWNER_PAGE
# include "cr-owner-page.h"
#endif
#include "cr-window-private.h"
#include "cr-window.h"

G_DEFINE_FINAL_TYPE (CrWindow, cr_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_OWNER_MODE,
  PROP_SHOW_MEMBERS,
  PROP_ROOM_MUTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- helpers ------------------------------------------------------------ */

char *
_cr_window_dup_error_text (const GError *error)
{
  if (error->domain == CR_CLIENT_ERROR || error->domain == CR_SERVER_ERROR)
    {
      /* The form states the password rule in characters; the room's
       * own sentence counts bytes. */
      if (error->code == CR_REASON_PASSWORD_INVALID)
        return cr_login_page_dup_password_rule ();
      if (error->code > CR_REASON_NONE && error->code <= CR_REASON_LAST)
        return cr_render_reason (error->code, NULL);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return g_strdup (_("That is not a room address: type it as host:port, "
                       "for example 192.168.1.5:10024"));

  return g_strdup (error->message);
}

static void
update_title (CrWindow *self)
{
  g_autofree char *subtitle = NULL;
  const char *title = _("Chat Room");
  CrSessionState state = cr_session_get_state (self->session);

  if (self->ended_view && cr_chat_page_get_client (self->chat_page) != NULL)
    {
      const char *room = cr_client_get_room_name (cr_chat_page_get_client (self->chat_page));

      if (room != NULL && room[0] != '\0')
        title = room;
      subtitle = g_strdup (_("You are no longer in this room"));
    }
  else if (state == CR_SESSION_IN_ROOM || state == CR_SESSION_RECONNECTING)
    {
      const char *room = cr_session_get_room_name (self->session);
      guint n = cr_session_get_n_members (self->session);

      if (room != NULL && room[0] != '\0')
        title = room;

      if (state == CR_SESSION_RECONNECTING)
        subtitle = g_strdup (_("Reconnecting…"));
      else
        /* Translators: the window's subtitle in a room */
        subtitle = g_strdup_printf (ngettext ("%u member", "%u members", n), n);
    }
  else if (cr_session_get_owner_mode (self->session))
    subtitle = g_strdup (_("Starting the room…"));

  /* What the reader has not seen yet, where a window list or the task
   * bar shows it too. */
  if (!self->ended_view && cr_session_get_n_unread (self->session) > 0)
    {
      /* Translators: the window's title with how many messages are unread;
       * %u is that number, %s the room's name */
      g_autofree char *counted = g_strdup_printf (_("(%u) %s"),
                                                  cr_session_get_n_unread (self->session),
                                                  title);

      adw_window_title_set_title (self->window_title, counted);
      gtk_window_set_title (GTK_WINDOW (self), counted);
    }
  else
    {
      adw_window_title_set_title (self->window_title, title);
      gtk_window_set_title (GTK_WINDOW (self), title);
    }
  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
}

/* The reader sees the end of the room's chat in a focused window: nothing
 * is unread. */
static void
update_read (CrWindow *self)
{
  CrSessionState state = cr_session_get_state (self->session);

  if (cr_session_get_n_unread (self->session) == 0 ||
      (state != CR_SESSION_IN_ROOM && state != CR_SESSION_RECONNECTING) ||
      !gtk_window_is_active (GTK_WINDOW (self)) ||
      !gtk_widget_get_mapped (GTK_WIDGET (self->chat_page)) ||
      !_cr_chat_page_get_sticky (self->chat_page))
    return;

  cr_session_mark_read (self->session);
}

static void
on_session_n_unread (CrWindow *self)
{
  update_title (self);
  update_read (self);
}

void
_cr_window_notify_owner_mode (CrWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_MODE]);
}

void
_cr_window_show_login (CrWindow   *self,
                       const char *error,
                       const char *note)
{
  cr_login_page_show_error (self->login_page, error);
  if (note != NULL)
    cr_login_page_show_toast (self->login_page, note);
}

void
_cr_window_update_actions (CrWindow *self)
{
  CrSessionState state = cr_session_get_state (self->session);
  gboolean owner = cr_session_get_owner_mode (self->session);
  gboolean in_chat = state == CR_SESSION_IN_ROOM || state == CR_SESSION_RECONNECTING;
  gboolean can_leave = !self->closing &&
                       (owner || state != CR_SESSION_IDLE || self->ended_view);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.leave", can_leave);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.owner-mode", !self->closing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-members",
                                 in_chat || self->ended_view);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.rejoin",
                                 (self->ended_view || self->left_on_purpose) &&
                                 state == CR_SESSION_IDLE && !owner);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.mute-room", in_chat);

  gtk_widget_set_visible (self->leave_button, can_leave);
  gtk_widget_set_visible (self->members_button, in_chat || self->ended_view);

  if (owner)
    gtk_widget_set_tooltip_text (self->leave_button, _("Close the Room"));
  else
    gtk_widget_set_tooltip_text (self->leave_button, _("Leave the Room"));
}

/* --- following the session ---------------------------------------------- */

static void
update_owner_page (CrWindow *self)
{
#ifdef CR_HAVE_OWNER_PAGE
  CrSessionState state = cr_session_get_state (self->session);
  gboolean want = cr_session_get_owner_mode (self->session) &&
                  (state == CR_SESSION_IN_ROOM || state == CR_SESSION_RECONNECTING);

  if (want && self->owner_page == NULL)
    {
      self->owner_page = cr_owner_page_new ();
      /* The page follows the session's server for as long as it lives. */
      g_object_bind_property (self->session, "server", self->owner_page, "server",
                              G_BINDING_SYNC_CREATE);
      g_signal_connect_object (self->owner_page, "stop-requested",
                               G_CALLBACK (_cr_window_ask_stop_hosting), self,
                               G_CONNECT_SWAPPED);
      cr_chat_page_set_owner_widget (self->chat_page, self->owner_page);
    }
  else if (!want && self->owner_page != NULL)
    {
      /* Removing it from the chat page drops the last reference, and with
       * the page its binding. */
      cr_chat_page_set_owner_widget (self->chat_page, NULL);
      self->owner_page = NULL;
    }
#endif
}

/* The client the chat shows was dropped by its room (kicked, banned, the
 * room closed, timed out), not left by us, and we were not its owner: its
 * conversation is worth keeping on screen. */
static gboolean
dropped_by_room (CrClient *client)
{
  return client != NULL &&
         cr_client_get_state (client) == CR_CLIENT_CLOSED &&
         cr_client_get_close_reason (client) != CR_REASON_NONE &&
         cr_client_get_role (client) != CR_ROLE_OWNER;
}

static void
update_view (CrWindow *self)
{
  CrSessionState state = cr_session_get_state (self->session);
  gboolean in_chat = state == CR_SESSION_IN_ROOM || state == CR_SESSION_RECONNECTING;
  gboolean was_in_chat = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "chat") == 0;
  gboolean was_ended = self->ended_view;
  CrClient *shown = cr_chat_page_get_client (self->chat_page);

  cr_login_page_set_busy (self->login_page, state == CR_SESSION_JOINING);

  /* In a room (or on the way) again: the last one left is behind us. */
  if (state != CR_SESSION_IDLE || cr_session_get_owner_mode (self->session))
    self->left_on_purpose = FALSE;

  /* Dropped by the room: the conversation stays, under a banner that
   * says why and offers to rejoin, until the reader closes it or joins
   * or hosts again. */
  self->ended_view = !in_chat && state == CR_SESSION_IDLE &&
                     !cr_session_get_owner_mode (self->session) &&
                     (was_ended || dropped_by_room (shown));

  if (in_chat)
    cr_chat_page_set_client (self->chat_page, cr_session_get_client (self->session));
  else if (!self->ended_view)
    cr_chat_page_set_client (self->chat_page, NULL);

  /* The banner's buttons follow the actions: enabled before it shows. */
  _cr_window_update_actions (self);

  if (self->ended_view && !was_ended)
    {
      g_autofree char *why = cr_render_reason (cr_client_get_close_reason (shown), NULL);

      cr_chat_page_show_ended (self->chat_page, why);
    }
  else if (!self->ended_view)
    cr_chat_page_show_ended (self->chat_page, NULL);

  update_owner_page (self);

  gtk_stack_set_visible_child_name (self->stack,
                                    in_chat || self->ended_view ? "chat" : "login");
  if (self->ended_view)
    ;   /* the focus is the banner's (cr_chat_page_show_ended) */
  else if (in_chat && (!was_in_chat || was_ended))
    cr_chat_page_focus_entry (self->chat_page);
  else if (!in_chat && (was_in_chat || was_ended))
    /* The entry that had the focus is gone with the chat: without this
     * it lands on whatever comes first, a toast's close button. */
    cr_login_page_focus (self->login_page);

  update_title (self);
  _cr_window_update_actions (self);
}

static void
on_session_owner_mode (CrWindow *self)
{
  _cr_window_notify_owner_mode (self);
  update_view (self);
}

static void
on_session_ended (CrWindow  *self,
                  int        reason,
                  gboolean   was_owner,
                  CrSession *session)
{
  /* The banner over the conversation says it (update_view). */
  if (self->ended_view)
    return;

  if (reason == CR_REASON_NONE)
    {
      AdwToast *toast = adw_toast_new (_("You left the room"));

      /* Leaving is undone as easily as it was done. */
      adw_toast_set_button_label (toast, _("_Rejoin"));
      adw_toast_set_action_name (toast, "win.rejoin");
      self->left_on_purpose = TRUE;
      _cr_window_update_actions (self);
      cr_login_page_add_toast (self->login_page, toast);
    }
  else if (reason == CR_REASON_ROOM_CLOSED && was_owner)
    _cr_window_show_login (self, NULL, _("You closed the room"));
  else
    {
      g_autofree char *why = cr_render_reason (reason, NULL);

      _cr_window_show_login (self, why, NULL);
    }
}

void
_cr_window_close_ended_view (CrWindow *self)
{
  if (!self->ended_view)
    return;

  self->ended_view = FALSE;
  cr_chat_page_set_client (self->chat_page, NULL);
  update_view (self);
  /* update_view saw no chat to leave: the focus is still the chat's. */
  cr_login_page_focus (self->login_page);
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

/* Another window shows the same session: closing this one leaves nothing. */
static gboolean
session_shown_elsewhere (CrWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL)
    return FALSE;

  for (const GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    if (l->data != self && CR_IS_WINDOW (l->data) && CR_WINDOW (l->data)->session == self->session)
      return TRUE;
  return FALSE;
}

static void
on_left_for_close (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CrWindow) self = user_data;

  cr_session_leave_finish (CR_SESSION (source), result, NULL);
  self->close_ready = TRUE;
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_background_allowed (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(CrWindow) self = user_data;
  CrApplication *app = CR_APPLICATION (source);
  g_autoptr(GError) error = NULL;

  self->closing = FALSE;
  if (!cr_application_request_background_finish (app, result, &error))
    {
      g_debug ("No running in the background: %s", error->message);
      _cr_window_update_actions (self);
      /* The room stays, and so does its window. */
      cr_chat_page_show_toast (self->chat_page,
                               _("The system does not let Chat Room run in the background"));
      return;
    }

  /* Held by the application from now on: the window can go. */
  cr_application_keep_in_background (app, self->session);
  self->close_ready = TRUE;
  gtk_window_destroy (GTK_WINDOW (self));
}

void
_cr_window_close_to_background (CrWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  g_return_if_fail (CR_IS_APPLICATION (app));

  if (self->closing)
    return;

  /* The window stays while the system is asked (the portal's question
   * needs a parent). */
  self->closing = TRUE;
  _cr_window_update_actions (self);
  cr_application_request_background_async (CR_APPLICATION (app), GTK_WINDOW (self),
                                           on_background_allowed, g_object_ref (self));
}

static gboolean
cr_window_close_request (GtkWindow *window)
{
  CrWindow *self = CR_WINDOW (window);
  GtkApplication *app;
  gboolean quitting;

  if (self->close_ready)
    return FALSE;

  if (self->closing)
    return TRUE;

  save_window_state (self);

  app = gtk_window_get_application (window);
  quitting = CR_IS_APPLICATION (app) && _cr_application_is_quitting (CR_APPLICATION (app));

  /* Closing the hosted room's last window closes the room for everyone,
   * unless it goes on in the background: asked the first time, then as
   * the answer (or the primary menu) says. Quitting closes it, asking as
   * the toggle and Ctrl+W do. */
  if (cr_session_get_owner_mode (self->session) && !self->close_confirmed &&
      !session_shown_elsewhere (self))
    {
      if (quitting || !CR_IS_APPLICATION (app))
        _cr_window_ask (self, CR_WINDOW_ASK_CLOSE_HOSTING);
      else if (!g_settings_get_boolean (self->settings, "background-asked"))
        _cr_window_ask (self, CR_WINDOW_ASK_KEEP_HOSTING);
      else if (g_settings_get_boolean (self->settings, "keep-hosting-in-background"))
        _cr_window_close_to_background (self);
      else
        _cr_window_ask (self, CR_WINDOW_ASK_CLOSE_HOSTING);
      return TRUE;
    }

  /* A member who chose to stay in rooms without a window. */
  if (!quitting && CR_IS_APPLICATION (app) && !cr_session_get_owner_mode (self->session) &&
      cr_session_get_state (self->session) == CR_SESSION_IN_ROOM &&
      g_settings_get_boolean (self->settings, "stay-in-background") &&
      !session_shown_elsewhere (self))
    {
      _cr_window_close_to_background (self);
      return TRUE;
    }

  if (self->confirm_dialog != NULL)
    gtk_window_close (GTK_WINDOW (self->confirm_dialog));

  if ((cr_session_get_state (self->session) == CR_SESSION_IDLE &&
       !cr_session_get_owner_mode (self->session)) ||
      session_shown_elsewhere (self))
    return FALSE;

  /* Say goodbye and wait for it to be heard, within bounds; the session
   * holds the application meanwhile, though no window shows. */
  self->closing = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  _cr_window_update_actions (self);
  cr_session_leave_async (self->session, on_left_for_close, g_object_ref (self));

  return TRUE;
}

/* --- GObject ------------------------------------------------------------ */

static void
on_session_muted (CrWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM_MUTED]);
}

static void
cr_window_constructed (GObject *object)
{
  CrWindow *self = CR_WINDOW (object);
  GtkApplication *app;

  G_OBJECT_CLASS (cr_window_parent_class)->constructed (object);

  /* A window of the application shows the application's session; one
   * made without (a test's) has a session of its own. */
  app = gtk_window_get_application (GTK_WINDOW (self));
  if (self->session == NULL && CR_IS_APPLICATION (app))
    self->session = g_object_ref (cr_application_get_session (CR_APPLICATION (app)));
  if (self->session == NULL)
    self->session = cr_session_new ();

  g_signal_connect_object (self->session, "notify::state",
                           G_CALLBACK (update_view), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::owner-mode",
                           G_CALLBACK (on_session_owner_mode), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::room-name",
                           G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::n-members",
                           G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "ended",
                           G_CALLBACK (on_session_ended), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::n-unread",
                           G_CALLBACK (on_session_n_unread), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::muted",
                           G_CALLBACK (on_session_muted), self, G_CONNECT_SWAPPED);

  update_view (self);

  /* The first focus is the form's, not the header bar's owner toggle
   * (where Enter would host a room instead of joining one). */
  if (!cr_session_get_owner_mode (self->session) &&
      cr_session_get_state (self->session) == CR_SESSION_IDLE)
    cr_login_page_focus (self->login_page);
}

static void
cr_window_dispose (GObject *object)
{
  CrWindow *self = CR_WINDOW (object);

  if (self->confirm_dialog != NULL)
    {
      AdwMessageDialog *dialog = self->confirm_dialog;

      g_clear_weak_pointer (&self->confirm_dialog);
      g_signal_handlers_disconnect_by_data (dialog, self);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }

  /* The session goes on without this view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->owner_page != NULL)
    {
      cr_chat_page_set_owner_widget (self->chat_page, NULL);
      self->owner_page = NULL;
    }
  if (self->chat_page != NULL)
    cr_chat_page_set_client (self->chat_page, NULL);
  g_clear_object (&self->session);

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
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    case PROP_OWNER_MODE:
      g_value_set_boolean (value, self->session != NULL &&
                                  cr_session_get_owner_mode (self->session));
      break;

    case PROP_SHOW_MEMBERS:
      /* Asked for while the template is built, before chat_page is set. */
      g_value_set_boolean (value, self->chat_page == NULL ||
                                  cr_chat_page_get_show_side (self->chat_page));
      break;

    case PROP_ROOM_MUTED:
      g_value_set_boolean (value, self->session != NULL && cr_session_get_muted (self->session));
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
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    case PROP_OWNER_MODE:
      cr_window_set_owner_mode (self, g_value_get_boolean (value));
      break;

    case PROP_SHOW_MEMBERS:
      cr_chat_page_set_show_side (self->chat_page, g_value_get_boolean (value));
      break;

    case PROP_ROOM_MUTED:
      cr_session_set_muted (self->session, g_value_get_boolean (value));
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
  /* The reader is back: what the notifications said is on screen, if the
   * chat shows its end. */
  update_read (self);
}

static void
cr_window_class_init (CrWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = cr_window_constructed;
  object_class->dispose = cr_window_dispose;
  object_class->finalize = cr_window_finalize;
  object_class->get_property = cr_window_get_property;
  object_class->set_property = cr_window_set_property;

  window_class->close_request = cr_window_close_request;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, CR_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OWNER_MODE] =
    g_param_spec_boolean ("owner-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SHOW_MEMBERS] =
    g_param_spec_boolean ("show-members", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ROOM_MUTED] =
    g_param_spec_boolean ("room-muted", NULL, NULL, FALSE,
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

  gtk_widget_class_install_property_action (widget_class, "win.owner-mode", "owner-mode");
  gtk_widget_class_install_property_action (widget_class, "win.show-members", "show-members");
  gtk_widget_class_install_property_action (widget_class, "win.mute-room", "room-muted");
  _cr_window_class_add_actions (widget_class);
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
  /* Scrolling to the end reads what came (update_read). */
  g_signal_connect_object (gtk_scrollable_get_vadjustment (
                             GTK_SCROLLABLE (_cr_chat_page_get_message_list (self->chat_page))),
                           "value-changed", G_CALLBACK (update_read), self, G_CONNECT_SWAPPED);
}

CrWindow *
cr_window_new (CrApplication *application)
{
  /* GtkWindow sets "application" after constructed: the session is given
   * here, not looked up there. */
  if (application != NULL)
    return cr_window_new_for_session (application, cr_application_get_session (application));

  return g_object_new (CR_TYPE_WINDOW, NULL);
}

CrWindow *
cr_window_new_for_session (CrApplication *application,
                           CrSession     *session)
{
  g_return_val_if_fail (CR_IS_SESSION (session), NULL);

  return g_object_new (CR_TYPE_WINDOW,
                       "application", application,
                       "session", session,
                       NULL);
}

/**
 * cr_window_get_session:
 *
 * Returns: (transfer none): the session the window shows
 */
CrSession *
cr_window_get_session (CrWindow *self)
{
  g_return_val_if_fail (CR_IS_WINDOW (self), NULL);

  return self->session;
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

  return cr_session_get_owner_mode (self->session);
}

void
_cr_window_show_message (CrWindow *self,
                         guint64   seq)
{
  g_return_if_fail (CR_IS_WINDOW (self));

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "chat") != 0)
    return;

  if (!_cr_chat_page_scroll_to_seq (self->chat_page, seq))
    cr_chat_page_show_toast (self->chat_page,
                             _("That message is no longer loaded: showing the newest"));
}

/* --- for tests (cr-window-private.h) ------------------------------------ */

CrSession *
_cr_window_get_session (CrWindow *self)
{
  return self->session;
}

CrClient *
_cr_window_get_client (CrWindow *self)
{
  return cr_session_get_client (self->session);
}

CrServer *
_cr_window_get_server (CrWindow *self)
{
  return cr_session_get_server (self->session);
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
  return _cr_session_get_n_notifications (self->session);
}
