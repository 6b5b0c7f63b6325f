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
 */
#define G_LOG_DOMAIN "cr-application"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-window.h"
#include "cr-application.h"

struct _CrApplication
{
  AdwApplication  parent_instance;

  /* owned */
  CrSession      *session;
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

static CrWindow *
get_window (CrApplication *self)
{
  GtkWindow *window;

  g_assert (CR_IS_APPLICATION (self));

  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (CR_IS_WINDOW (window))
    return CR_WINDOW (window);

  return cr_window_new (self);
}

static void
cr_application_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (CR_APPLICATION (app))));
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
  else
    window = get_window (self);
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
   * the application until the room heard it, then it quits. */
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

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "new-window", new_window_activated },
  { "about", about_activated },
  { "shortcuts", shortcuts_activated },
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

  g_clear_object (&self->session);

  G_OBJECT_CLASS (cr_application_parent_class)->dispose (object);
}

static void
cr_application_class_init (CrApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = cr_application_dispose;

  app_class->activate = cr_application_activate;
  app_class->startup = cr_application_startup;
  app_class->command_line = cr_application_command_line;
  app_class->handle_local_options = cr_application_handle_local_options;
}

static void
cr_application_init (CrApplication *self)
{
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
