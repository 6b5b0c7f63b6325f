/* test-discovery-ui.c: the login view lists a room hosted in the test, and
 * a click on it joins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room listens on 127.0.0.1 and the login view finds it as an extra
 * place (the "extra-places" setting): with CHATROOM_DISCOVERY_NO_LAN=1
 * (tests/meson.build) the list probes nothing but that, so no datagram
 * leaves the loopback. The real window, under Xvfb.
 */
#define G_LOG_DOMAIN "test-discovery-ui"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cr-render.h"
#include "cr-room-list.h"
#include "cr-server.h"
#include "cr-window.h"
#include "cr-window-private.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"

#define WAIT_MS 10000

/* The row of the room list titled title, if shown. */
static gboolean
is_room_row (GtkWidget     *widget,
             gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0 &&
         gtk_widget_get_mapped (widget);
}

static GtkWidget *
find_room_row (GtkWidget  *widget,
               const char *title)
{
  return cr_test_ui_find (widget, is_room_row, title);
}

static void
test_list_and_join (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(CrServer) server = cr_server_new (NULL, "聊天室 Lobby");
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *subtitle_part = NULL;
  const char *places[2] = { NULL, NULL };
  CrWindow *window;
  CrLoginPage *login;
  CrRoomList *list;
  GtkWidget *row = NULL;
  gboolean stopped = FALSE;

  g_object_set (server, "owner-name", "Ann", "require-registration", FALSE, NULL);
  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (server));
  places[0] = address;
  g_settings_set_strv (settings, "extra-places", places);
  g_settings_set_string (settings, "last-address", "198.51.100.99:1");
  g_settings_set_string (settings, "nickname", "bea");

  window = cr_window_new (NULL);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), WAIT_MS);
  login = _cr_window_get_login_page (window);
  list = CR_ROOM_LIST (cr_test_ui_find_type (GTK_WIDGET (login), CR_TYPE_ROOM_LIST));
  g_assert_nonnull (list);
  g_assert_true (cr_room_browser_get_running (cr_room_list_get_browser (list)));
  /* Only the extra place: the test's environment keeps it off the LAN. */
  g_assert_cmpuint (cr_room_browser_get_probes_sent (cr_room_list_get_browser (list)), >, 0);

  WAIT_FOR ((row = find_room_row (GTK_WIDGET (list), "聊天室 Lobby")) != NULL, WAIT_MS);
  subtitle_part = g_strdup_printf (ngettext ("%s’s room · %u member",
                                             "%s’s room · %u members", 0), "Ann", 0);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), subtitle_part));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), address));
  if (cr_test_ui_in_chinese ())
    g_assert_null (strstr (subtitle_part, "member"));

  /* A click fills the address; Join joins. */
  g_assert_cmpstr (cr_login_page_get_address (login), ==, "198.51.100.99:1");
  gtk_widget_activate (row);
  g_assert_cmpstr (cr_login_page_get_address (login), ==, address);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR (g_strcmp0 (_cr_window_get_visible_page (window), "chat") == 0 ||
            cr_login_page_get_error (login)[0] != '\0', WAIT_MS);
  g_assert_cmpstr (cr_login_page_get_error (login), ==, "");
  WAIT_FOR (g_list_model_get_n_items (cr_server_get_members (server)) == 1, WAIT_MS);
  /* Off screen, the list stops looking. */
  WAIT_FOR (!cr_room_browser_get_running (cr_room_list_get_browser (list)), WAIT_MS);

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  WAIT_FOR (window == NULL, WAIT_MS);

  g_signal_connect_swapped (server, "stopped", G_CALLBACK (g_nullify_pointer), &stopped);
  stopped = TRUE;
  cr_server_stop (server);
  WAIT_FOR (stopped == FALSE || !cr_server_get_running (server), WAIT_MS);
  g_settings_reset (settings, "extra-places");
  cr_test_run_for (200);
}

/* Nothing found: the list says why, and which port to open. */
static void
test_empty_state (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *list = cr_room_list_new ();
  g_autofree char *port = g_strdup_printf ("%u", CR_DEFAULT_PORT);
  GtkWidget *label;

  g_settings_reset (settings, "extra-places");
  gtk_window_set_child (GTK_WINDOW (window), list);
  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (list), WAIT_MS);
  /* Either the firewall hint with the port, or "not connected". */
  label = cr_test_ui_find_label_containing (list, port);
  if (label == NULL)
    label = cr_test_ui_find_label_containing (list, _("This computer is not connected to a "
                                                      "network. You can still type the address "
                                                      "of a room on this computer."));
  g_assert_nonnull (label);
  g_assert_true (gtk_widget_get_mapped (label));
  if (cr_test_ui_in_chinese ())
    g_assert_null (strstr (gtk_label_get_text (GTK_LABEL (label)), "room"));
  gtk_window_destroy (GTK_WINDOW (window));
  cr_test_run_for (100);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int ret;

  data_home = g_dir_make_tmp ("chatroom-test-discovery-ui-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/chatroom/discovery-ui/list-and-join", test_list_and_join);
  g_test_add_func ("/chatroom/discovery-ui/empty-state", test_empty_state);

  ret = g_test_run ();
  cr_test_remove_tree (data_home);
  return ret;
}
