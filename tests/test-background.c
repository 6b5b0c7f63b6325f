/* test-background.c: a room that outlives its window, and notifications
 * that lead somewhere (issue 15)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real CrApplication, registered (a lone instance: no session bus is
 * needed), its real windows under Xvfb and real rooms on loopback. Under
 * Xvfb there is no notification server: what the application put into
 * each notification is read back from it (cr-application-private.h) and
 * its actions are activated as a notification server would.
 */
#define G_LOG_DOMAIN "test-background"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cr-mention.h"
#include "cr-render.h"
#include "cr-message-row.h"
#include "cr-session-private.h"
#include "cr-application-private.h"
#include "cr-application.h"
#include "cr-window-private.h"
#include "cr-window.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"

#define WAIT_MS 5000

static CrApplication *app;

/* The tests share the one application: nothing of their own to keep. */
typedef struct {
  guint unused;
} Fixture;

/* --- helpers --------------------------------------------------------------- */

static void
leave_client (CrClient *client)
{
  cr_client_leave (client);
  WAIT_FOR (cr_client_get_state (client) == CR_CLIENT_CLOSED, WAIT_MS);
  g_object_unref (client);
}

static guint
n_windows (void)
{
  return g_list_length (gtk_application_get_windows (GTK_APPLICATION (app)));
}

static CrWindow *
first_window (void)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  return windows != NULL && CR_IS_WINDOW (windows->data) ? windows->data : NULL;
}

/* The message with this text in a model, or NULL. */
static CrMessage *
find_message (GListModel *messages,
              const char *text)
{
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        return message;   /* the model keeps it */
    }
  return NULL;
}

/* The row of message among the list's children, entirely inside the
 * list's viewport, or NULL. */
static GtkWidget *
row_on_screen (GtkListView *list,
               CrMessage   *message)
{
  for (GtkWidget *item = gtk_widget_get_first_child (GTK_WIDGET (list));
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);
      graphene_rect_t bounds;

      if (!CR_IS_MESSAGE_ROW (row) || cr_message_row_get_message (CR_MESSAGE_ROW (row)) != message)
        continue;
      if (gtk_widget_get_mapped (row) &&
          gtk_widget_compute_bounds (row, GTK_WIDGET (list), &bounds) &&
          bounds.size.height > 0 && bounds.origin.y >= -1 &&
          bounds.origin.y + bounds.size.height <= gtk_widget_get_height (GTK_WIDGET (list)) + 1)
        return row;
    }
  return NULL;
}

static CrSession *
session (void)
{
  return cr_application_get_session (app);
}

/* Host a room from a window of the application, as its owner "alice". */
static CrWindow *
host_room (void)
{
  CrWindow *window;

  g_application_activate (G_APPLICATION (app));
  window = first_window ();
  g_assert_nonnull (window);
  g_assert_true (_cr_window_get_session (window) == session ());
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), WAIT_MS);

  cr_login_page_set_nickname (_cr_window_get_login_page (window), "alice");
  g_object_set (window, "owner-mode", TRUE, NULL);
  WAIT_FOR (cr_session_get_state (session ()) == CR_SESSION_IN_ROOM, WAIT_MS);
  return window;
}

static char *
room_address (void)
{
  return g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (cr_session_get_server (session ())));
}

/* The session's own client has received text. */
static gboolean
session_has (const char *text)
{
  CrClient *client = cr_session_get_client (session ());

  return client != NULL && find_message (cr_client_get_messages (client), text) != NULL;
}

static const CrNotice *
conversation_notice (void)
{
  g_autofree char *conversation = cr_session_dup_conversation_id (session ());
  g_autofree char *id = NULL;

  g_assert_nonnull (conversation);
  id = _cr_application_dup_notice_id (conversation);
  return _cr_application_get_notice (app, id);
}

static void
activate_target (const char *action,
                 GVariant   *target)
{
  g_assert_true (g_str_has_prefix (action, "app."));
  g_action_group_activate_action (G_ACTION_GROUP (app), action + strlen ("app."), target);
}

/* A port free for the room (UDP) and its shared files (TCP, the same
 * number, cr-files-service.c): a TCP port taken by anyone on the machine
 * makes the room warn, and warnings fail a test. */
static guint16
free_room_port (void)
{
  for (guint i = 0; i < 50; i++)
    {
      guint16 port = cr_test_free_udp_port ();
      g_autoptr(GSocket) tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);

      if (tcp != NULL && g_socket_bind (tcp, address, TRUE, NULL))
        return port;
    }
  g_error ("No port free for both UDP and TCP");
}

static void
set_up (Fixture      *fixture,
        gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  const char *keys[] = { "background-asked", "keep-hosting-in-background",
                         "stay-in-background", "muted-rooms", "nickname", "room-name" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
  g_settings_set_uint (settings, "owner-port", free_room_port ());
  g_settings_set_boolean (settings, "local-only", TRUE);
}

/* Whatever the test left: the room closes, the windows go. */
static void
tear_down (Fixture      *fixture,
           gconstpointer data)
{
  GList *windows;

  if (cr_session_get_state (session ()) != CR_SESSION_IDLE ||
      cr_session_get_owner_mode (session ()))
    cr_session_leave_async (session (), NULL, NULL);
  WAIT_FOR (!cr_application_is_in_background (app, session ()), WAIT_MS);

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (windows->data);

  /* The departing parts say goodbye within about a second. */
  cr_test_run_for (300);
}

/* --- the mention rule ------------------------------------------------------ */

static void
test_mention_rule (void)
{
  g_assert_true (cr_mention_matches ("hi @Alice!", "alice", FALSE));
  g_assert_true (cr_mention_matches ("@alice", "alice", FALSE));
  g_assert_true (cr_mention_matches ("@小明你好", "小明", FALSE));
  g_assert_false (cr_mention_matches ("alice, look", "alice", FALSE));
  g_assert_false (cr_mention_matches ("@alicebob", "alice", FALSE));
  g_assert_false (cr_mention_matches ("mail alice@example", "alice", FALSE));
  /* Everyone, from the owner only. */
  g_assert_true (cr_mention_matches ("@all quiet please", "bob", TRUE));
  g_assert_true (cr_mention_matches ("@全体成员 安静", "bob", TRUE));
  g_assert_false (cr_mention_matches ("@all quiet please", "bob", FALSE));
  g_assert_false (cr_mention_matches ("@allison", "bob", TRUE));
  /* Hostile text is only text. */
  g_assert_false (cr_mention_matches ("\xff@alice", "alice", FALSE));
  g_assert_false (cr_mention_matches ("@", "", FALSE));
}

/* --- a hosted room in the background --------------------------------------- */

static void
test_keep_hosting (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *address = NULL;
  g_autofree char *conversation = NULL;
  CrWindow *window = host_room ();
  CrWindow *again;
  CrServer *server = cr_session_get_server (session ());
  CrClient *bob;
  CrClient *carol;
  AdwMessageDialog *dialog;
  const CrNotice *notice;
  CrMessage *message;

  g_assert_nonnull (server);
  address = room_address ();
  bob = cr_test_ui_join (address, "bob", WAIT_MS);

  /* Closing the window asks, the first time. */
  gtk_window_close (GTK_WINDOW (window));
  dialog = _cr_window_get_confirm_dialog (window);
  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, "keep"));
  g_assert_true (adw_message_dialog_has_response (dialog, "close"));
  adw_message_dialog_response (dialog, "keep");

  /* The window goes; the room stays, held by the application. */
  WAIT_FOR (n_windows () == 0, WAIT_MS);
  g_assert_true (g_settings_get_boolean (settings, "background-asked"));
  g_assert_true (g_settings_get_boolean (settings, "keep-hosting-in-background"));
  g_assert_true (cr_application_is_in_background (app, session ()));
  g_assert_true (cr_session_get_server (session ()) == server);
  g_assert_true (cr_server_get_running (server));

  /* It says so, and offers to open it or close it. */
  conversation = cr_session_dup_conversation_id (session ());
  notice = _cr_application_get_notice (app, "background");
  g_assert_nonnull (notice);
  g_assert_cmpstr (notice->default_action, ==, "app.show-message");
  g_assert_cmpstr (notice->button_actions[0], ==, "app.show-message");
  g_assert_cmpstr (notice->button_actions[1], ==, "app.close-room");
  g_assert_cmpstr (g_variant_get_string (notice->button_targets[1], NULL), ==, conversation);

  /* The members go on chatting, and the room keeps what they say: one who
   * joins now gets it in the history. */
  g_assert_nonnull (cr_client_send (bob, "still here", NULL));
  WAIT_FOR (session_has ("still here"), WAIT_MS);
  carol = cr_test_ui_join (address, "carol", WAIT_MS);
  WAIT_FOR (find_message (cr_client_get_messages (carol), "still here") != NULL, WAIT_MS);

  /* No window has the focus: the message notified, leading to itself. */
  message = find_message (cr_client_get_messages (cr_session_get_client (session ())),
                          "still here");
  notice = conversation_notice ();
  g_assert_nonnull (notice);
  g_assert_cmpuint (notice->count, ==, 1);
  g_assert_cmpstr (notice->default_action, ==, "app.show-message");
  {
    const char *target_conversation;
    guint64 seq;

    g_variant_get (notice->default_target, "(&st)", &target_conversation, &seq);
    g_assert_cmpstr (target_conversation, ==, conversation);
    g_assert_cmpuint (seq, ==, cr_message_get_seq (message));
  }
  g_assert_cmpuint (cr_session_get_n_unread (session ()), ==, 1);

  /* Launching the app again: a window on the same session, same room, its
   * conversation shown; no longer in the background. */
  g_application_activate (G_APPLICATION (app));
  again = first_window ();
  g_assert_nonnull (again);
  g_assert_true (_cr_window_get_session (again) == session ());
  g_assert_true (_cr_window_get_server (again) == server);
  g_assert_false (cr_application_is_in_background (app, session ()));
  g_assert_null (_cr_application_get_notice (app, "background"));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (again)), WAIT_MS);
  g_assert_cmpstr (_cr_window_get_visible_page (again), ==, "chat");
  WAIT_FOR (row_on_screen (_cr_chat_page_get_message_list (_cr_window_get_chat_page (again)),
                           message) != NULL, WAIT_MS);
  g_assert_true (cr_window_get_owner_mode (again));

  /* Asked once: the next close does what was answered. */
  gtk_window_close (GTK_WINDOW (again));
  g_assert_null (_cr_window_get_confirm_dialog (again));
  WAIT_FOR (n_windows () == 0, WAIT_MS);
  g_assert_true (cr_application_is_in_background (app, session ()));

  /* "Close the room" from the notification closes it for everyone. */
  notice = _cr_application_get_notice (app, "background");
  activate_target (notice->button_actions[1], notice->button_targets[1]);
  WAIT_FOR (cr_client_get_state (bob) == CR_CLIENT_CLOSED, WAIT_MS);
  g_assert_cmpint (cr_client_get_close_reason (bob), ==, CR_REASON_ROOM_CLOSED);
  g_assert_false (cr_application_is_in_background (app, session ()));
  g_assert_null (_cr_application_get_notice (app, "background"));

  g_object_unref (bob);
  WAIT_FOR (cr_client_get_state (carol) == CR_CLIENT_CLOSED, WAIT_MS);
  g_object_unref (carol);
}

/* Answering "close" is remembered too, and closes the room. */
static void
test_close_hosting (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  CrWindow *window = host_room ();

  gtk_window_close (GTK_WINDOW (window));
  adw_message_dialog_response (_cr_window_get_confirm_dialog (window), "close");
  WAIT_FOR (n_windows () == 0, WAIT_MS);
  g_assert_true (g_settings_get_boolean (settings, "background-asked"));
  g_assert_false (g_settings_get_boolean (settings, "keep-hosting-in-background"));
  g_assert_false (cr_application_is_in_background (app, session ()));
  g_assert_false (cr_session_get_owner_mode (session ()));
}

/* --- the notification leads to the message --------------------------------- */

static void
test_show_message (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *address = NULL;
  g_autofree char *conversation = NULL;
  CrWindow *window = host_room ();
  GtkListView *list;
  CrClient *bob;
  CrMessage *wanted;
  const CrNotice *notice;
  const char *target_conversation;
  guint64 seq;

  address = room_address ();
  bob = cr_test_ui_join (address, "bob", WAIT_MS);
  conversation = cr_session_dup_conversation_id (session ());

  /* A mention, far above the newest: outside the rows the list loaded
   * (under the room's flood limit, 100 at once). */
  g_assert_nonnull (cr_client_send (bob, "@alice the answer is 42", NULL));
  for (guint i = 0; i < 75; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);

      g_assert_nonnull (cr_client_send (bob, text, NULL));
    }
  g_assert_nonnull (cr_client_send (bob, "@ALICE again", NULL));
  WAIT_FOR (session_has ("@ALICE again"), WAIT_MS);
  list = _cr_chat_page_get_message_list (_cr_window_get_chat_page (window));
  wanted = find_message (cr_client_get_messages (cr_session_get_client (session ())),
                         "@alice the answer is 42");
  g_assert_nonnull (wanted);
  /* The room (on its own thread) may deliver the whole burst in one
   * turn: the list reaches the bottom at its next frames. */
  WAIT_FOR (_cr_chat_page_get_sticky (_cr_window_get_chat_page (window)) &&
            row_on_screen (list, wanted) == NULL, WAIT_MS);

  /* One notification for the conversation, for the latest mention (a
   * reader who sees the end of the chat has read the others: how many
   * it stands for is test_muted_member's, with no window). */
  notice = conversation_notice ();
  g_assert_nonnull (notice);
  g_assert_cmpuint (notice->count, >=, 1);
  g_assert_true (notice->high);
  /* Translators' text in the test's language. */
  {
    g_autofree char *title = g_strdup_printf (_("%s mentioned you"), "bob");

    g_assert_cmpstr (notice->title, ==, title);
  }

  /* The first mention's notification (re-targeted as it was sent then)
   * leads to that message: the window shows its row. */
  activate_target ("app.show-message",
                   g_variant_new ("(st)", conversation, cr_message_get_seq (wanted)));
  WAIT_FOR (row_on_screen (list, wanted) != NULL, WAIT_MS);
  {
    GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (list));

    /* Away from the end, unless the rows around it fit on the screen
     * (then it is the end as well). */
    if (gtk_adjustment_get_upper (adj) > gtk_adjustment_get_page_size (adj) + 1)
      g_assert_false (_cr_chat_page_get_sticky (_cr_window_get_chat_page (window)));
  }
  /* Opened: the notification is gone. */
  g_assert_null (conversation_notice ());

  /* The latest notification's own target leads to the newest mention. */
  g_assert_nonnull (cr_client_send (bob, "@alice last one", NULL));
  WAIT_FOR (conversation_notice () != NULL, WAIT_MS);
  notice = conversation_notice ();
  g_assert_cmpuint (notice->count, ==, 1);
  g_variant_get (notice->default_target, "(&st)", &target_conversation, &seq);
  g_assert_cmpstr (target_conversation, ==, conversation);
  activate_target (notice->default_action, notice->default_target);
  wanted = find_message (cr_client_get_messages (cr_session_get_client (session ())),
                         "@alice last one");
  g_assert_cmpuint (seq, ==, cr_message_get_seq (wanted));
  WAIT_FOR (row_on_screen (list, wanted) != NULL, WAIT_MS);

  /* A message no longer loaded: the newest, and a toast says so. */
  activate_target ("app.show-message", g_variant_new ("(st)", conversation, (guint64) G_MAXINT64));
  WAIT_FOR (_cr_chat_page_get_sticky (_cr_window_get_chat_page (window)), WAIT_MS);

  leave_client (bob);
}

/* --- muted rooms, members in the background, the unread count ------------- */

static void
test_muted_member (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(CrServer) server = cr_server_new (NULL, "Quiet room");
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *title = NULL;
  CrWindow *window;
  CrClient *bob;
  CrClient *owner;
  guint before;

  address = g_strdup_printf ("127.0.0.1:%u", free_room_port ());
  g_assert_true (cr_server_start (server, address, &error));
  g_assert_no_error (error);
  g_settings_set_boolean (settings, "stay-in-background", TRUE);

  g_application_activate (G_APPLICATION (app));
  window = first_window ();
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), WAIT_MS);
  cr_session_join_async (session (), address, "dave", NULL, FALSE, NULL, NULL);
  WAIT_FOR (cr_session_get_state (session ()) == CR_SESSION_IN_ROOM, WAIT_MS);
  bob = cr_test_ui_join (address, "bob", WAIT_MS);
  owner = cr_test_join (address, "host", NULL, FALSE, WAIT_MS, NULL);

  /* The chat's menu mutes the room, remembered by its address. */
  g_assert_false (cr_session_get_muted (session ()));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.mute-room", NULL);
  g_assert_true (cr_session_get_muted (session ()));
  {
    g_auto(GStrv) muted = g_settings_get_strv (settings, "muted-rooms");

    g_assert_true (g_strv_contains ((const char * const *) muted, address));
  }

  /* A member's window closes into the background when asked to. */
  gtk_window_close (GTK_WINDOW (window));
  WAIT_FOR (n_windows () == 0, WAIT_MS);
  g_assert_true (cr_application_is_in_background (app, session ()));
  g_assert_cmpint (cr_session_get_state (session ()), ==, CR_SESSION_IN_ROOM);
  g_assert_cmpstr (_cr_application_get_notice (app, "background")->button_actions[1], ==,
                   "app.close-room");

  /* Muted: an ordinary line does not notify (it is counted unread)... */
  before = _cr_session_get_n_notifications (session ());
  g_assert_nonnull (cr_client_send (bob, "ordinary line", NULL));
  WAIT_FOR (session_has ("ordinary line"), WAIT_MS);
  g_assert_cmpuint (_cr_session_get_n_notifications (session ()), ==, before);
  g_assert_null (conversation_notice ());
  g_assert_cmpuint (cr_session_get_n_unread (session ()), ==, 1);

  /* ...a mention does. */
  g_assert_nonnull (cr_client_send (bob, "@dave are you there?", NULL));
  WAIT_FOR (session_has ("@dave are you there?"), WAIT_MS);
  g_assert_cmpuint (_cr_session_get_n_notifications (session ()), ==, before + 1);
  g_assert_nonnull (conversation_notice ());
  g_assert_true (conversation_notice ()->high);

  /* Unmuted, ordinary lines notify, updating the one notification. */
  cr_session_set_muted (session (), FALSE);
  g_assert_nonnull (cr_client_send (bob, "another line", NULL));
  WAIT_FOR (session_has ("another line"), WAIT_MS);
  g_assert_cmpuint (_cr_session_get_n_notifications (session ()), ==, before + 2);
  g_assert_cmpuint (conversation_notice ()->count, ==, 2);
  g_assert_cmpuint (cr_session_get_n_unread (session ()), ==, 3);

  /* "@all" from a member is not a mention; the app shows the count in
   * the title of the window that comes back. */
  cr_session_set_muted (session (), TRUE);
  g_assert_nonnull (cr_client_send (owner, "@all hello", NULL));
  WAIT_FOR (session_has ("@all hello"), WAIT_MS);
  g_assert_cmpuint (_cr_session_get_n_notifications (session ()), ==, before + 2);

  window = CR_WINDOW (cr_application_show_session (app, session ()));
  title = g_strdup_printf (_("(%u) %s"), 4, "Quiet room");
  g_assert_cmpstr (_cr_window_get_title (window), ==, title);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, title);

  leave_client (bob);
  leave_client (owner);
  cr_session_leave_async (session (), NULL, NULL);
  WAIT_FOR (cr_session_get_state (session ()) == CR_SESSION_IDLE, WAIT_MS);
  cr_server_stop (server);
  WAIT_FOR (!cr_server_get_running (server), WAIT_MS);
}

/* --- without the GUI: chatroom-cli marks a mention ----------------------- */

static void
test_cli_mention (void)
{
  g_autoptr(CrServer) server = cr_server_new (NULL, "Terminal room");
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *mention_line = NULL;
  const char *argv[] = { CHATROOM_CLI_PATH, "dave", NULL, NULL };
  const char *marker = g_dpgettext (GETTEXT_PACKAGE, "cli\004(@you) ", strlen ("cli") + 1);
  CrTestChild *cli;
  CrClient *bob;
  g_auto(GStrv) lines = NULL;
  guint marked = 0;

  address = g_strdup_printf ("127.0.0.1:%u", free_room_port ());
  g_assert_true (cr_server_start (server, address, &error));
  g_assert_no_error (error);
  argv[2] = address;

  cli = cr_test_child_spawn (argv, TRUE);
  cr_test_child_expect (cli, "/quit", 10000);
  bob = cr_test_ui_join (address, "bob", WAIT_MS);
  g_assert_nonnull (cr_client_send (bob, "just chatting", NULL));
  g_assert_nonnull (cr_client_send (bob, "hi @Dave, over here", NULL));
  g_assert_nonnull (cr_client_send (bob, "@dav is not you", NULL));
  g_assert_nonnull (cr_client_send (bob, "the end", NULL));
  cr_test_child_expect (cli, "the end", 10000);

  cr_test_child_write_line (cli, "/quit");
  g_assert_true (g_subprocess_wait (cli->process, NULL, NULL));
  cr_test_run_for (50);
  g_test_message ("chatroom-cli printed:\n%s", cli->output->str);

  /* Only the line that calls on dave is marked; no bell into a pipe. */
  lines = g_strsplit (cli->output->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], marker))
      {
        marked++;
        g_assert_nonnull (strstr (lines[i], "hi @Dave, over here"));
      }
  g_assert_cmpuint (marked, ==, 1);
  g_assert_null (strchr (cli->output->str, '\a'));

  cr_test_child_free (cli);
  leave_client (bob);
  cr_server_stop (server);
  WAIT_FOR (!cr_server_get_running (server), WAIT_MS);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  data_home = g_dir_make_tmp ("chatroom-test-background-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  /* The application as it runs, registered as a lone instance (two test
   * runs at once must not become one). */
  app = cr_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) |
                           G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/chatroom/background/mention-rule", test_mention_rule);
  g_test_add_func ("/chatroom/background/cli-mention", test_cli_mention);
#define ADD(path, func) \
  g_test_add ("/chatroom/background/" path, Fixture, NULL, set_up, func, tear_down)
  ADD ("keep-hosting", test_keep_hosting);
  ADD ("close-hosting", test_close_hosting);
  ADD ("show-message", test_show_message);
  ADD ("muted-member", test_muted_member);

  ret = g_test_run ();

  g_clear_object (&app);
  cr_test_remove_tree (data_home);
  return ret;
}
