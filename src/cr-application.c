/* cr-application.c: the AdwApplication of Chat Room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Owns the session (cr-session.c: the room we are in and the one we host,
 * for as long as the application runs), the application actions (quit,
 * about, shortcuts) and the command line: "--host" starts a window in owner
 * mode, "HOST:PORT" opens the login view filled in, "--new-window" opens
 * a window with a session of its own (another member, e.g. of the room
 * this app hosts: one person can try a room alone), "--version" prints the
 * version and exits.
 *
 * Rooms in the background (issue 15): a session whose last window closed
 * while it hosts (or, by choice, while a member) is kept here, holding the
 * application, with a lasting notification to open it again or close it.
 * Launching the app again activates this instance (GApplication is unique
 * on the session bus), which shows such a session before anything else.
 *
 * Notifications go out through cr_application_notify_message (one per
 * conversation, updated in place) and cr_application_keep_in_background;
 * what each one said is kept for the tests (cr-application-private.h).
 */
#define G_LOG_DOMAIN "cr-application"

#include "config.h"

#include <glib/gi18n.h>

#ifdef CR_HAVE_LIBPORTAL
# include <libportal-gtk4/portal-gtk4.h>
#endif

#include "cr-window-private.h"
#include "cr-window.h"
#include "cr-application-private.h"
#include "cr-application.h"

/* The notification that says a room runs without a window. */
#define BACKGROUND_NOTICE_ID "background"

struct _CrApplication
{
  AdwApplication  parent_instance;

  /* owned */
  CrSession      *session;
  GPtrArray      *background;   /* CrSession, each holding the application once */
  GHashTable     *notices;      /* notification id → CrNotice, the last one sent */

  gboolean        quitting;     /* app.quit is closing the windows */
#ifdef CR_HAVE_LIBPORTAL
  XdpPortal      *portal;
#endif
};

G_DEFINE_FINAL_TYPE (CrApplication, cr_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "host", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Host a room on this computer (owner mode)"), NULL },
  { "new-window", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open a new window that joins rooms as another member (for example the "
       "room this app hosts)"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    NULL, NULL },
  { NULL }
};

/* --- notices ------------------------------------------------------------ */

static void
notice_free (CrNotice *notice)
{
  g_free (notice->title);
  g_free (notice->body);
  g_free (notice->default_action);
  g_clear_pointer (&notice->default_target, g_variant_unref);
  for (guint i = 0; i < G_N_ELEMENTS (notice->button_labels); i++)
    {
      g_free (notice->button_labels[i]);
      g_free (notice->button_actions[i]);
      g_clear_pointer (&notice->button_targets[i], g_variant_unref);
    }
  g_free (notice);
}

static void
notice_add_button (CrNotice   *notice,
                   const char *label,
                   const char *action,
                   GVariant   *target)
{
  for (guint i = 0; i < G_N_ELEMENTS (notice->button_labels); i++)
    if (notice->button_labels[i] == NULL)
      {
        notice->button_labels[i] = g_strdup (label);
        notice->button_actions[i] = g_strdup (action);
        notice->button_targets[i] = g_variant_ref_sink (target);
        return;
      }
  g_assert_not_reached ();
}

/* Send what the notice says (when there is a session bus to carry it) and
 * keep it; the notice is the table's from now on. */
static void
send_notice (CrApplication *self,
             const char    *id,
             CrNotice      *notice)
{
  GApplication *app = G_APPLICATION (self);
  g_autoptr(GNotification) notification = g_notification_new (notice->title);

  g_notification_set_body (notification, notice->body);
  g_notification_set_priority (notification, notice->high ? G_NOTIFICATION_PRIORITY_HIGH
                                                          : G_NOTIFICATION_PRIORITY_NORMAL);
  g_notification_set_default_action_and_target_value (notification, notice->default_action,
                                                      notice->default_target);
  for (guint i = 0; i < G_N_ELEMENTS (notice->button_labels); i++)
    if (notice->button_labels[i] != NULL)
      g_notification_add_button_with_target_value (notification, notice->button_labels[i],
                                                   notice->button_actions[i],
                                                   notice->button_targets[i]);

  g_hash_table_replace (self->notices, g_strdup (id), notice);

  /* Without a session bus there is nobody to show it (and GIO would
   * complain loudly). */
  if (g_application_get_is_registered (app) && g_application_get_dbus_connection (app) != NULL)
    g_application_send_notification (app, id, notification);
}

static void
withdraw_notice (CrApplication *self,
                 const char    *id)
{
  GApplication *app = G_APPLICATION (self);

  if (!g_hash_table_remove (self->notices, id))
    return;
  if (g_application_get_is_registered (app) && g_application_get_dbus_connection (app) != NULL)
    g_application_withdraw_notification (app, id);
}

/* --- sessions and their windows ----------------------------------------- */

/* Every session the application knows: its own, the background ones and
 * those of its windows (--new-window). */
static GPtrArray *
list_sessions (CrApplication *self)
{
  GPtrArray *sessions = g_ptr_array_new ();

  if (self->session != NULL)
    g_ptr_array_add (sessions, self->session);
  for (guint i = 0; i < self->background->len; i++)
    if (!g_ptr_array_find (sessions, self->background->pdata[i], NULL))
      g_ptr_array_add (sessions, self->background->pdata[i]);
  for (const GList *l = gtk_application_get_windows (GTK_APPLICATION (self));
       l != NULL; l = l->next)
    if (CR_IS_WINDOW (l->data) &&
        !g_ptr_array_find (sessions, cr_window_get_session (l->data), NULL))
      g_ptr_array_add (sessions, cr_window_get_session (l->data));

  return sessions;
}

static CrSession *
find_conversation (CrApplication *self,
                   const char    *conversation)
{
  g_autoptr(GPtrArray) sessions = list_sessions (self);

  for (guint i = 0; i < sessions->len; i++)
    {
      g_autofree char *id = cr_session_dup_conversation_id (sessions->pdata[i]);

      if (g_strcmp0 (id, conversation) == 0)
        return sessions->pdata[i];
    }
  return NULL;
}

static CrWindow *
find_window (CrApplication *self,
             CrSession     *session)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (CR_IS_WINDOW (active) && cr_window_get_session (CR_WINDOW (active)) == session)
    return CR_WINDOW (active);
  for (const GList *l = gtk_application_get_windows (GTK_APPLICATION (self));
       l != NULL; l = l->next)
    if (CR_IS_WINDOW (l->data) && cr_window_get_session (l->data) == session)
      return l->data;
  return NULL;
}

static void on_background_session_state (CrApplication *self,
                                         GParamSpec    *pspec,
                                         CrSession     *session);

static void
leave_background (CrApplication *self,
                  CrSession     *session)
{
  guint index;

  if (!g_ptr_array_find (self->background, session, &index))
    return;

  g_signal_handlers_disconnect_by_func (session, on_background_session_state, self);
  if (self->background->len == 1)
    withdraw_notice (self, BACKGROUND_NOTICE_ID);
  /* Last: this may drop the last hold, and the application with it. */
  g_ptr_array_remove_index (self->background, index);
  g_application_release (G_APPLICATION (self));
}

static void
on_background_session_state (CrApplication *self,
                             GParamSpec    *pspec,
                             CrSession     *session)
{
  /* The room ended without a window (closed from the notification, or
   * the room dropped us): nothing is left to keep. */
  if (cr_session_get_state (session) == CR_SESSION_IDLE &&
      !cr_session_get_owner_mode (session))
    leave_background (self, session);
}

static void
cr_application_activate (GApplication *app)
{
  CrApplication *self = CR_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* Launched again while a room runs without a window: that room. */
  if (self->background->len > 0)
    window = cr_application_show_session (self, self->background->pdata[0]);
  else if (!CR_IS_WINDOW (window))
    window = GTK_WINDOW (cr_window_new (self));

  gtk_window_present (window);
}

static int
cr_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "chatroom", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static int
cr_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  CrApplication *self = CR_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **remaining = NULL;
  CrWindow *window;

  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &remaining);

  if (remaining != NULL && g_strv_length ((char **) remaining) > 1)
    {
      /* Translators: the command line took more than one room address */
      g_application_command_line_printerr (command_line, "%s\n",
                                           _("Give at most one room address (HOST:PORT)"));
      return 1;
    }

  if (g_variant_dict_contains (options, "new-window"))
    {
      /* A session of its own: its room is not the other windows'. */
      g_autoptr(CrSession) session = cr_session_new ();

      window = cr_window_new_for_session (self, session);
    }
  else if (self->background->len > 0)
    window = CR_WINDOW (cr_application_show_session (self, self->background->pdata[0]));
  else if (CR_IS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (self))))
    window = CR_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (self)));
  else
    window = cr_window_new (self);
  gtk_window_present (GTK_WINDOW (window));

  if (remaining != NULL && remaining[0] != NULL)
    cr_window_set_address (window, remaining[0]);

  if (g_variant_dict_contains (options, "host"))
    g_object_set (window, "owner-mode", TRUE, NULL);

  return 0;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  CrApplication *self = user_data;
  GList *windows;

  /* Closing the last window leaves the room cleanly; the session holds
   * the application until the room heard it, then it quits. Quitting
   * keeps nothing in the background (cr_window_close_request asks). */
  self->quitting = TRUE;
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (const GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);

  /* A window that refused to close keeps the application: nothing to do;
   * with none left, whatever the session still holds goes too. */
  if (gtk_application_get_windows (GTK_APPLICATION (self)) == NULL &&
      self->session != NULL &&
      (cr_session_get_state (self->session) != CR_SESSION_IDLE ||
       cr_session_get_owner_mode (self->session)))
    cr_session_leave_async (self->session, NULL, NULL);

  /* Rooms without a window close too (each leaves the background as its
   * session goes idle). */
  if (gtk_application_get_windows (GTK_APPLICATION (self)) == NULL)
    {
      g_autoptr(GPtrArray) background = g_ptr_array_new_with_free_func (g_object_unref);

      /* Leaving changes the list under us. */
      for (guint i = 0; i < self->background->len; i++)
        g_ptr_array_add (background, g_object_ref (self->background->pdata[i]));
      for (guint i = 0; i < background->len; i++)
        cr_session_leave_async (background->pdata[i], NULL, NULL);
    }
  self->quitting = FALSE;
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  CrApplication *self = user_data;
  const char *developers[] = { _("The Chat Room developers"), NULL };
  GtkWindow *parent;
  GtkWidget *about;

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", TRUE,
                        "application-icon", APP_ID,
                        "application-name", _("Chat Room"),
                        "developer-name", _("The Chat Room developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Talk with everyone on your local network: "
                                      "join a room, or host one yourself"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
shortcuts_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  CrApplication *self = user_data;
  GtkWindow *window;

  /* GtkApplicationWindow loads gtk/help-overlay.ui from the resource base
   * path and offers it as win.show-help-overlay. */
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
new_window_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  CrApplication *self = user_data;
  g_autoptr(CrSession) session = cr_session_new ();

  /* As --new-window: another member, in rooms of its own choosing. */
  gtk_window_present (GTK_WINDOW (cr_window_new_for_session (self, session)));
}

/* A notification's default action, and its "Open": present the window of
 * the conversation's session, at the message (seq 0: the newest). */
static void
show_message_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  CrApplication *self = user_data;
  const char *conversation;
  guint64 seq;
  CrSession *session;
  GtkWindow *window;

  g_variant_get (parameter, "(&st)", &conversation, &seq);

  session = find_conversation (self, conversation);
  if (session == NULL)
    {
      /* The room is gone since: the app, as launched. */
      g_application_activate (G_APPLICATION (self));
      return;
    }

  window = cr_application_show_session (self, session);
  gtk_window_present (window);
  cr_application_withdraw_conversation (self, conversation);
  if (seq > 0)
    _cr_window_show_message (CR_WINDOW (window), seq);
}

/* The background notification's "Close the room" ("Leave the room" for a
 * member). */
static void
close_room_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  CrApplication *self = user_data;
  CrSession *session = find_conversation (self, g_variant_get_string (parameter, NULL));

  /* The session goes IDLE at once, which lets the background go; its
   * departure holds the application until the room heard it. */
  if (session != NULL)
    cr_session_leave_async (session, NULL, NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "new-window", new_window_activated },
  { "about", about_activated },
  { "shortcuts", shortcuts_activated },
  { "show-message", show_message_activated, "(st)" },
  { "close-room", close_room_activated, "s" },
};

static void
cr_application_startup (GApplication *app)
{
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
    { "app.new-window", { "<Control>n", NULL } },
    { "win.show-help-overlay", { NULL } },
    { "win.leave", { "<Control>w", NULL } },
    { "win.owner-mode", { "<Control>h", NULL } },
    { "win.show-members", { "F9", NULL } },
  };

  G_APPLICATION_CLASS (cr_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);

  /* The primary menu's choices about running in the background, changed
   * there at any time (closing a hosted room's window asks once). */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    const char *keys[] = { "keep-hosting-in-background", "stay-in-background" };

    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        g_autoptr(GAction) setting = g_settings_create_action (settings, keys[i]);

        g_action_map_add_action (G_ACTION_MAP (app), setting);
      }
  }

  /* GtkApplication gave Ctrl+? to win.show-help-overlay at startup: the
   * app action takes it over, so there is one owner of the shortcut. */
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app),
                                           accels[i].action, accels[i].accels);
}

static void
cr_application_dispose (GObject *object)
{
  CrApplication *self = CR_APPLICATION (object);

  while (self->background->len > 0)
    leave_background (self, self->background->pdata[self->background->len - 1]);
  g_clear_object (&self->session);
#ifdef CR_HAVE_LIBPORTAL
  g_clear_object (&self->portal);
#endif

  G_OBJECT_CLASS (cr_application_parent_class)->dispose (object);
}

static void
cr_application_finalize (GObject *object)
{
  CrApplication *self = CR_APPLICATION (object);

  g_clear_pointer (&self->background, g_ptr_array_unref);
  g_clear_pointer (&self->notices, g_hash_table_unref);

  G_OBJECT_CLASS (cr_application_parent_class)->finalize (object);
}

static void
cr_application_class_init (CrApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = cr_application_dispose;
  object_class->finalize = cr_application_finalize;

  app_class->activate = cr_application_activate;
  app_class->startup = cr_application_startup;
  app_class->command_line = cr_application_command_line;
  app_class->handle_local_options = cr_application_handle_local_options;
}

static void
cr_application_init (CrApplication *self)
{
  self->background = g_ptr_array_new_with_free_func (g_object_unref);
  self->notices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) notice_free);

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self),
                                                     _("[HOST:PORT] — join or host a chat room"));
}

CrApplication *
cr_application_new (void)
{
  return g_object_new (CR_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/chatroom/ChatRoom",
                       NULL);
}

CrSession *
cr_application_get_session (CrApplication *self)
{
  g_return_val_if_fail (CR_IS_APPLICATION (self), NULL);

  /* Made when first asked for, not at init: "--version" and a remote
   * instance need no settings schema. */
  if (self->session == NULL)
    self->session = cr_session_new ();

  return self->session;
}

/* --- running in the background ------------------------------------------ */

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

#ifdef CR_HAVE_LIBPORTAL
static void
on_background_requested (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!xdp_portal_request_background_finish (XDP_PORTAL (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}
#endif

void
cr_application_request_background_async (CrApplication       *self,
                                         GtkWindow           *parent,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CR_IS_APPLICATION (self));
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, cr_application_request_background_async);

  /* Outside a sandbox nothing stops a process from outliving its window. */
  if (!in_flatpak ())
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

#ifdef CR_HAVE_LIBPORTAL
  {
    g_autoptr(XdpParent) xdp_parent = parent != NULL ? xdp_parent_new_gtk (parent) : NULL;
    /* Translators: why the app asks to run in the background (the system
     * shows it when it asks the user) */
    g_autofree char *reason = g_strdup (_("Keep your room open after its window closes"));

    if (self->portal == NULL)
      self->portal = xdp_portal_new ();
    xdp_portal_request_background (self->portal, xdp_parent, reason, NULL,
                                   XDP_BACKGROUND_FLAG_NONE, NULL,
                                   on_background_requested, g_steal_pointer (&task));
  }
#else
  /* A sandbox may end a windowless process; without libportal we cannot
   * ask, so we go on and say nothing. */
  g_debug ("Built without libportal: running in the background unasked");
  g_task_return_boolean (task, TRUE);
#endif
}

gboolean
cr_application_request_background_finish (CrApplication  *self,
                                          GAsyncResult   *result,
                                          GError        **error)
{
  g_return_val_if_fail (CR_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
send_background_notice (CrApplication *self)
{
  CrNotice *notice = g_new0 (CrNotice, 1);
  CrSession *session = self->background->pdata[self->background->len - 1];
  g_autofree char *conversation = cr_session_dup_conversation_id (session);
  const char *room = cr_session_get_room_name (session);
  gboolean owner = cr_session_get_owner_mode (session);

  if (room == NULL || room[0] == '\0')
    room = _("Chat Room");

  if (owner)
    {
      notice->title = g_strdup (_("Your room is open in the background"));
      /* Translators: %s is the room's name */
      notice->body = g_strdup_printf (_("“%s” keeps running for its members without a window."),
                                      room);
    }
  else
    {
      notice->title = g_strdup (_("You are still in the room"));
      /* Translators: %s is the room's name */
      notice->body = g_strdup_printf (_("You stay in “%s” without a window; messages that "
                                        "mention you are shown here."), room);
    }
  notice->high = TRUE;
  notice->default_action = g_strdup ("app.show-message");
  notice->default_target = g_variant_ref_sink (g_variant_new ("(st)", conversation, 0));
  notice_add_button (notice, _("Open"), "app.show-message",
                     g_variant_new ("(st)", conversation, 0));
  notice_add_button (notice, owner ? _("Close the Room") : _("Leave the Room"),
                     "app.close-room", g_variant_new_string (conversation));
  send_notice (self, BACKGROUND_NOTICE_ID, notice);
}

void
cr_application_keep_in_background (CrApplication *self,
                                   CrSession     *session)
{
  g_return_if_fail (CR_IS_APPLICATION (self));
  g_return_if_fail (CR_IS_SESSION (session));

  if (g_ptr_array_find (self->background, session, NULL))
    return;

  g_application_hold (G_APPLICATION (self));
  g_ptr_array_add (self->background, g_object_ref (session));
  g_signal_connect_object (session, "notify::state",
                           G_CALLBACK (on_background_session_state), self, G_CONNECT_SWAPPED);
  send_background_notice (self);
}

gboolean
cr_application_is_in_background (CrApplication *self,
                                 CrSession     *session)
{
  g_return_val_if_fail (CR_IS_APPLICATION (self), FALSE);

  return g_ptr_array_find (self->background, session, NULL);
}

/**
 * cr_application_show_session:
 *
 * Returns: (transfer none): the window showing session, not yet presented
 */
GtkWindow *
cr_application_show_session (CrApplication *self,
                             CrSession     *session)
{
  CrWindow *window;

  g_return_val_if_fail (CR_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (CR_IS_SESSION (session), NULL);

  window = find_window (self, session);
  if (window == NULL)
    window = cr_window_new_for_session (self, session);

  /* The window holds the application now: the background lets go. */
  leave_background (self, session);
  return GTK_WINDOW (window);
}

/* --- notifications for messages ----------------------------------------- */

char *
_cr_application_dup_notice_id (const char *conversation)
{
  return g_strconcat ("conversation:", conversation, NULL);
}

void
cr_application_notify_message (CrApplication *self,
                               CrSession     *session,
                               const char    *conversation,
                               const char    *title,
                               CrMessage     *message,
                               gboolean       mention)
{
  g_autofree char *id = NULL;
  g_autofree char *display = NULL;
  const CrNotice *last;
  CrNotice *notice;

  g_return_if_fail (CR_IS_APPLICATION (self));
  g_return_if_fail (conversation != NULL);
  g_return_if_fail (CR_IS_MESSAGE (message));

  id = _cr_application_dup_notice_id (conversation);
  last = g_hash_table_lookup (self->notices, id);

  notice = g_new0 (CrNotice, 1);
  notice->count = (last != NULL ? last->count : 0) + 1;
  /* A mention among the waiting messages keeps the notification's weight. */
  notice->high = mention || (last != NULL && last->high);

  if (mention)
    /* Translators: a notification's title; %s is who wrote to you */
    notice->title = g_strdup_printf (_("%s mentioned you"), cr_message_get_sender (message));
  else if (cr_message_get_kind (message) == CR_EVENT_ANNOUNCE)
    notice->title = g_strdup (_("Announcement"));
  else
    notice->title = g_strdup (title != NULL && title[0] != '\0' ? title : _("Chat Room"));

  display = cr_message_dup_display (message);
  if (cr_message_is_system (message))
    notice->body = g_steal_pointer (&display);
  else
    /* Translators: a message in a notification: who, then what they said */
    notice->body = g_strdup_printf (_("%s: %s"), cr_message_get_sender (message), display);

  if (notice->count > 1)
    {
      g_autofree char *latest = g_steal_pointer (&notice->body);

      /* Translators: a notification that stands for several messages;
       * %u is how many, %s the latest */
      notice->body = g_strdup_printf (ngettext ("%u new message. The latest: %s",
                                                "%u new messages. The latest: %s",
                                                notice->count),
                                      notice->count, latest);
    }

  notice->default_action = g_strdup ("app.show-message");
  notice->default_target =
    g_variant_ref_sink (g_variant_new ("(st)", conversation, cr_message_get_seq (message)));
  send_notice (self, id, notice);
}

void
cr_application_withdraw_conversation (CrApplication *self,
                                      const char    *conversation)
{
  g_autofree char *id = NULL;

  g_return_if_fail (CR_IS_APPLICATION (self));
  g_return_if_fail (conversation != NULL);

  id = _cr_application_dup_notice_id (conversation);
  withdraw_notice (self, id);
}

/* --- for tests (cr-application-private.h) ------------------------------- */

const CrNotice *
_cr_application_get_notice (CrApplication *self,
                            const char    *id)
{
  return g_hash_table_lookup (self->notices, id);
}

gboolean
_cr_application_is_quitting (CrApplication *self)
{
  return self->quitting;
}
