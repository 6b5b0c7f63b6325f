/* test-trust-ui.c: the app and the room's key: the login view shows the
 * key of a room met for the first time before anything of ours is sent,
 * and a room whose key changed asks before it goes on
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real window under Xvfb, a real room on 127.0.0.1 and a trust file in
 * a throwaway directory (CHATROOM_TRUST_FILE, cr-trust.h). Between the
 * window and the room sits a tap, a UDP relay on 127.0.0.1 that keeps
 * every datagram the window sent: what left before the user chose is
 * read from it, not assumed.
 */
#define G_LOG_DOMAIN "test-trust-ui"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>
#include <adwaita.h>

#include "cr-crypto.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-server-private.h"
#include "cr-trust.h"
#include "cr-window.h"
#include "cr-window-private.h"
#include "cr-test-net.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"

#define WAIT_MS  10000
#define PASSWORD "hunter2-secret-pw"

/* --- the tap (cr-test-net.h) ------------------------------------------ */

/* How many datagrams the window sent, from the from-th on, were more than
 * the probe ("CHATROOM-HELLO 1") and the handshake's HELLO (a JOIN, sealed
 * or not, carries the name and the password). */
static guint
count_past_hello (CrTestTap *tap,
                  guint      from)
{
  guint n = 0;

  for (guint i = from; i < tap->to_room->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (tap->to_room->pdata[i], &len);

      if (len >= strlen (CR_PROBE_TEXT) && memcmp (data, CR_PROBE_TEXT, strlen (CR_PROBE_TEXT)) == 0)
        continue;
      if (!cr_protocol_is_native (data, len) || len <= 4 || data[3] != CR_PACKET_HELLO)
        n++;
    }
  return n;
}

/* --- helpers ------------------------------------------------------------ */

/* Click the dialog's button labelled label, as the user would. */
static void
click (AdwMessageDialog *dialog,
       const char       *label)
{
  GtkWidget *button = cr_test_ui_find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  gtk_widget_activate (button);
}

/* On screen in its scrolled window as it is scrolled now: the login view
 * is taller than the window, and the key must not wait below the fold. */
static gboolean
in_view (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  if (scrolled == NULL)
    return TRUE;
  /* Not laid out yet (a mapped window is allocated on a later frame). */
  if (!gtk_widget_compute_bounds (widget, scrolled, &bounds) ||
      bounds.size.height <= 0 || gtk_widget_get_height (scrolled) <= 0)
    return FALSE;
  return bounds.origin.y >= 0 &&
         bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scrolled);
}

static char *
remembered_fingerprint (const char *trust_file,
                        const char *address)
{
  CrTrust *trust = cr_trust_new (trust_file);
  const guint8 *key = cr_trust_lookup (trust, address);
  char *fingerprint = key != NULL ? cr_fingerprint (key) : NULL;

  cr_trust_free (trust);
  return fingerprint;
}

static CrWindow *
present_window (void)
{
  CrWindow *window = cr_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  WAIT_FOR (gtk_widget_get_mapped (GTK_WIDGET (window)), WAIT_MS);
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "login");
  return window;
}

static void
destroy_window (CrWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  WAIT_FOR (window == NULL, WAIT_MS);
  cr_test_run_for (200);
}

static gboolean
joined_or_stopped (CrWindow *window)
{
  CrLoginPage *login = _cr_window_get_login_page (window);

  return g_strcmp0 (_cr_window_get_visible_page (window), "chat") == 0 ||
         cr_login_page_get_new_key (login) != NULL ||
         cr_login_page_get_error (login)[0] != '\0' ||
         cr_test_ui_find_dialog (GTK_WINDOW (window)) != NULL;
}

static void
leave (CrWindow *window)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.leave", NULL));
  WAIT_FOR (g_strcmp0 (_cr_window_get_visible_page (window), "login") == 0 &&
            cr_session_get_state (_cr_window_get_session (window)) == CR_SESSION_IDLE,
            WAIT_MS);
}

/* --- first meeting ------------------------------------------------------ */

/* A room never met: the join stops once the room proved its key, the
 * login view shows the fingerprint with the line that says to compare it,
 * and nothing of ours (name, password) has left. Cancel stays; Join goes
 * on with that key and remembers it; the next join is silent. */
static void
test_first_meeting (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *fingerprint = NULL;
  g_autofree char *via = NULL;
  g_autofree char *remembered = NULL;
  g_autoptr(CrTestTap) tap = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  CrTestRoom room = { 0 };
  CrWindow *window;
  CrLoginPage *login;
  GtkWidget *label;
  GtkWidget *line;

  g_setenv ("CHATROOM_TRUST_FILE", trust_file, TRUE);
  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_room_name (room.server, "room-first");
  fingerprint = cr_server_dup_fingerprint (room.server);
  tap = cr_test_tap_new (room.socket_address);
  via = cr_test_tap_dup_address (tap);

  /* The login view as people see it: the room listed above the form
   * (found straight, not through the tap), so the form ends below the
   * fold of a 640 px window. */
  {
    const char *places[] = { room.address, NULL };

    g_settings_set_strv (settings, "extra-places", places);
  }
  window = present_window ();
  login = _cr_window_get_login_page (window);
  WAIT_FOR (cr_test_ui_find_label (GTK_WIDGET (login), "room-first") != NULL, WAIT_MS);
  cr_login_page_set_address (login, via);
  cr_login_page_set_nickname (login, "beatrice-first");
  gtk_editable_set_text (GTK_EDITABLE (_cr_login_page_get_password_row (login)), PASSWORD);
  gtk_check_button_set_active (_cr_login_page_get_register_check (login), TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR (joined_or_stopped (window), WAIT_MS);

  /* Stopped on the login view, the key shown as cr-crypto.h writes it. */
  g_assert_cmpstr (cr_login_page_get_error (login), ==, "");
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "login");
  g_assert_cmpstr (cr_login_page_get_new_key (login), ==, fingerprint);
  WAIT_FOR ((label = cr_test_ui_find_label (GTK_WIDGET (login), fingerprint)) != NULL &&
            in_view (label), WAIT_MS);
  line = cr_test_ui_find_label (GTK_WIDGET (login),
                     _("First time in this room: compare this key with the owner's"));
  g_assert_nonnull (line);
  WAIT_FOR (in_view (line), WAIT_MS);
  /* Nothing but HELLOs left: no JOIN, so neither name nor password. */
  g_assert_cmpuint (tap->to_room->len, >, 0);
  g_assert_cmpuint (count_past_hello (tap, 0), ==, 0);
  g_assert_false (cr_test_datagrams_contain (tap->to_room, PASSWORD));
  g_assert_false (cr_test_datagrams_contain (tap->to_room, "beatrice-first"));
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (room.server)), ==, 0);
  g_assert_false (g_file_test (trust_file, G_FILE_TEST_EXISTS));

  /* Cancel: still nothing sent, nothing remembered. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.cancel-key", NULL));
  g_assert_null (cr_login_page_get_new_key (login));
  g_assert_false (gtk_widget_get_mapped (label));
  cr_test_run_for (300);
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "login");
  g_assert_cmpuint (count_past_hello (tap, 0), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (room.server)), ==, 0);
  g_assert_false (g_file_test (trust_file, G_FILE_TEST_EXISTS));

  /* Asked again, then Join: registered and in, the key remembered. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR (joined_or_stopped (window), WAIT_MS);
  g_assert_cmpstr (cr_login_page_get_new_key (login), ==, fingerprint);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.trust-key", NULL));
  WAIT_FOR (joined_or_stopped (window), WAIT_MS);
  g_assert_cmpstr (cr_login_page_get_error (login), ==, "");
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "chat");
  WAIT_FOR (g_list_model_get_n_items (cr_server_get_members (room.server)) == 1, WAIT_MS);
  g_assert_cmpuint (count_past_hello (tap, 0), >, 0);   /* the JOIN, sealed */
  g_assert_false (cr_test_datagrams_contain (tap->to_room, PASSWORD));
  g_assert_cmpuint (cr_client_get_key_trust (_cr_window_get_client (window)), ==,
                    CR_KEY_TRUST_NEW);
  remembered = remembered_fingerprint (trust_file, via);
  g_assert_cmpstr (remembered, ==, fingerprint);

  /* A known room shows nothing: straight in, with the password now. */
  leave (window);
  g_assert_false (gtk_check_button_get_active (_cr_login_page_get_register_check (login)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR (joined_or_stopped (window), WAIT_MS);
  g_assert_cmpstr (cr_login_page_get_error (login), ==, "");
  g_assert_null (cr_login_page_get_new_key (login));
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "chat");
  g_assert_cmpuint (cr_client_get_key_trust (_cr_window_get_client (window)), ==,
                    CR_KEY_TRUST_KNOWN);

  destroy_window (window);
  g_settings_reset (settings, "extra-places");
  cr_test_room_clear (&room);
  cr_test_remove_tree (dir);
  g_setenv ("CHATROOM_TRUST_FILE", "", TRUE);
}

/* --- a changed key ------------------------------------------------------ */

static void
remember_room (const char *trust_file,
               const char *address,
               CrServer   *server)
{
  CrIdentity *identity = _cr_server_dup_identity (server);
  CrTrust *trust = cr_trust_new (trust_file);
  g_autoptr(GError) error = NULL;

  g_assert_true (cr_trust_remember (trust, address, cr_identity_get_public (identity), &error));
  g_assert_no_error (error);
  cr_trust_free (trust);
  cr_identity_free (identity);
}

/* The room restarted with another identity key: the dialog names both
 * fingerprints; Cancel leaves the user on the login view with nothing
 * sent; "Trust the New Key" joins and remembers the new key. */
static void
test_key_changed (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *old_fp = NULL;
  g_autofree char *new_fp = NULL;
  g_autofree char *via = NULL;
  g_autofree char *remembered = NULL;
  g_autoptr(CrTestTap) tap = NULL;
  CrTestRoom room = { 0 };
  CrTestRoom restarted = { 0 };
  AdwMessageDialog *dialog;
  CrWindow *window;
  CrLoginPage *login;
  const char *body;
  guint mark;

  g_setenv ("CHATROOM_TRUST_FILE", trust_file, TRUE);
  cr_test_room_start (&room, "127.0.0.1");
  old_fp = cr_server_dup_fingerprint (room.server);
  tap = cr_test_tap_new (room.socket_address);
  via = cr_test_tap_dup_address (tap);
  remember_room (trust_file, via, room.server);

  /* Restarted with other data: same address, another key. */
  {
    guint16 port = room.port;

    cr_test_room_clear (&room);
    cr_test_room_start_on (&restarted, "127.0.0.1", port);
  }
  new_fp = cr_server_dup_fingerprint (restarted.server);
  g_assert_cmpstr (old_fp, !=, new_fp);

  window = present_window ();
  login = _cr_window_get_login_page (window);
  cr_login_page_set_address (login, via);
  cr_login_page_set_nickname (login, "carol-changed");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR ((dialog = cr_test_ui_find_dialog (GTK_WINDOW (window))) != NULL, WAIT_MS);

  body = adw_message_dialog_get_body (dialog);
  g_test_message ("%s", body);
  g_assert_nonnull (strstr (body, old_fp));
  g_assert_nonnull (strstr (body, new_fp));
  g_assert_null (cr_login_page_get_new_key (login));
  g_assert_cmpuint (count_past_hello (tap, 0), ==, 0);

  /* Cancel: the login view, nothing sent, the old key kept. */
  click (dialog, _("_Cancel"));
  WAIT_FOR (cr_test_ui_find_dialog (GTK_WINDOW (window)) == NULL, WAIT_MS);
  cr_test_run_for (300);
  g_assert_cmpstr (_cr_window_get_visible_page (window), ==, "login");
  g_assert_cmpint (cr_session_get_state (_cr_window_get_session (window)), ==, CR_SESSION_IDLE);
  g_assert_cmpuint (count_past_hello (tap, 0), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (restarted.server)), ==, 0);
  remembered = remembered_fingerprint (trust_file, via);
  g_assert_cmpstr (remembered, ==, old_fp);
  g_clear_pointer (&remembered, g_free);

  /* Asked again; "Trust the New Key": in, and the new key remembered. */
  mark = tap->to_room->len;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
  WAIT_FOR ((dialog = cr_test_ui_find_dialog (GTK_WINDOW (window))) != NULL, WAIT_MS);
  click (dialog, _("_Trust the New Key"));
  WAIT_FOR (g_strcmp0 (_cr_window_get_visible_page (window), "chat") == 0, WAIT_MS);
  WAIT_FOR (g_list_model_get_n_items (cr_server_get_members (restarted.server)) == 1, WAIT_MS);
  g_assert_cmpuint (count_past_hello (tap, mark), >, 0);
  g_assert_cmpuint (cr_client_get_key_trust (_cr_window_get_client (window)), ==,
                    CR_KEY_TRUST_ACCEPTED);
  remembered = remembered_fingerprint (trust_file, via);
  g_assert_cmpstr (remembered, ==, new_fp);

  destroy_window (window);
  cr_test_room_clear (&restarted);
  cr_test_remove_tree (dir);
  g_setenv ("CHATROOM_TRUST_FILE", "", TRUE);
}

/* --- a forged refusal --------------------------------------------------- */

/* Refusals travel in clear (cr-protocol.h): anyone on the LAN can answer
 * a join with "key changed" or "first time here". Only the member's own
 * check of the key may stop a join so: a forged one is an internal error,
 * with no dialog and no key to show. */
static void
test_forged_refusal (void)
{
  const CrReason forged[] = { CR_REASON_KEY_NEW, CR_REASON_KEY_CHANGED };
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *trust_file = g_build_filename (dir, "known-rooms", NULL);
  g_autofree char *internal = cr_render_reason (CR_REASON_INTERNAL, NULL);
  CrWindow *window;
  CrLoginPage *login;

  g_setenv ("CHATROOM_TRUST_FILE", trust_file, TRUE);
  window = present_window ();
  login = _cr_window_get_login_page (window);
  cr_login_page_set_nickname (login, "dora-forged");

  for (guint i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autoptr(CrTestSocket) impostor = cr_test_socket_new ("127.0.0.1");
      g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (impostor));
      g_autoptr(GSocketAddress) member = NULL;
      g_autoptr(GBytes) probe = NULL;
      g_autoptr(GBytes) body = cr_body_refuse (forged[i], "");
      g_autoptr(GBytes) refuse = NULL;
      CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_REFUSE, 0, 0, 0, 0, 0 };

      cr_login_page_set_address (login, address);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (login), "login.join", NULL));
      probe = cr_test_socket_receive (impostor, WAIT_MS, &member);
      g_assert_nonnull (probe);
      refuse = cr_datagram_build (&header, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      cr_test_socket_send (impostor, member, g_bytes_get_data (refuse, NULL),
                           g_bytes_get_size (refuse));
      WAIT_FOR (joined_or_stopped (window), WAIT_MS);
      g_assert_cmpstr (cr_login_page_get_error (login), ==, internal);
      g_assert_null (cr_login_page_get_new_key (login));
      g_assert_null (cr_test_ui_find_dialog (GTK_WINDOW (window)));
      g_assert_cmpint (cr_session_get_state (_cr_window_get_session (window)), ==,
                       CR_SESSION_IDLE);
    }
  g_assert_false (g_file_test (trust_file, G_FILE_TEST_EXISTS));

  destroy_window (window);
  cr_test_remove_tree (dir);
  g_setenv ("CHATROOM_TRUST_FILE", "", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = NULL;
  int ret;

  data_home = g_dir_make_tmp ("chatroom-test-trust-ui-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/chatroom/trust-ui/first-meeting", test_first_meeting);
  g_test_add_func ("/chatroom/trust-ui/key-changed", test_key_changed);
  g_test_add_func ("/chatroom/trust-ui/forged-refusal", test_forged_refusal);

  ret = g_test_run ();
  cr_test_remove_tree (data_home);
  return ret;
}
