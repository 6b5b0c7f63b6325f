/* test-crash.c: chatroomd killed with SIGKILL mid-conversation and started
 * again on the same data dir keeps accounts and history; a client that
 * reconnects receives what it missed, and nothing twice.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <string.h>

#include "cr-client.h"
#include "cr-render.h"
#include "cr-test-utils.h"

static CrTestChild *
daemon_start (const char *listen,
              const char *dir)
{
  const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir,
                         "--room-name", "Crash", NULL };
  CrTestChild *child = cr_test_child_spawn (argv, FALSE);

  cr_test_child_expect (child, "Join at", 15000);
  return child;
}

static gboolean
all_sent (gpointer data)
{
  GListModel *messages = cr_client_get_messages (data);
  guint n = g_list_model_get_n_items (messages);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) m = g_list_model_get_item (messages, i);
      if (cr_message_get_own (m) && cr_message_get_state (m) != CR_MESSAGE_SENT)
        return FALSE;
    }
  return TRUE;
}

static void
assert_seqs_increase (GListModel *messages)
{
  guint n = g_list_model_get_n_items (messages);
  guint64 last = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) m = g_list_model_get_item (messages, i);
      guint64 seq = cr_message_get_seq (m);

      g_assert_cmpuint (seq, >, last);
      last = seq;
    }
}

static void
test_crash_and_resync (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  g_autofree char *port_text = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  CrClient *carol, *dave;
  CrTestChild *daemon, *bob;
  const char *cli_argv[] = { CHATROOM_CLI_PATH, "bob", address, NULL };

  daemon = daemon_start (port_text, dir);

  /* carol registers, speaks and leaves: her account and words must last. */
  carol = cr_test_join (address, "carol", "carol-pw", TRUE, 10000, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cr_client_send (carol, "carol was here", &error));
  g_assert_no_error (error);
  cr_test_assert_wait (all_sent, carol, 5000);
  cr_test_leave_and_free (carol);

  alice = cr_test_join_timed (address, "alice", NULL, FALSE, 200, 1000, 5000, &error);
  g_assert_no_error (error);

  bob = cr_test_child_spawn (cli_argv, FALSE);
  cr_test_child_expect (bob, "bob joined the room", 15000);

  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("before-%d", i);
      cr_client_send (alice, text, &error);
      g_assert_no_error (error);
    }
  cr_test_assert_wait (all_sent, alice, 10000);
  cr_test_child_expect (bob, "before-5", 10000);

  /* bob's machine freezes; the room dies without a word. */
  g_subprocess_send_signal (bob->process, SIGSTOP);
  g_subprocess_send_signal (daemon->process, SIGKILL);
  g_subprocess_wait (daemon->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_signaled (daemon->process));
  cr_test_child_free (daemon);

  /* alice notices and keeps trying; the room comes back on the same dir. */
  cr_test_assert_state (alice, CR_CLIENT_RECONNECTING, 10000);
  daemon = daemon_start (port_text, dir);
  cr_test_assert_state (alice, CR_CLIENT_CONNECTED, 15000);

  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("missed-%d", i);
      cr_client_send (alice, text, &error);
      g_assert_no_error (error);
    }
  cr_test_assert_wait (all_sent, alice, 10000);

  /* bob wakes up: he gets what he missed, and nothing twice. */
  g_subprocess_send_signal (bob->process, SIGCONT);
  cr_test_child_expect (bob, "missed-3", 30000);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("before-%d", i);
      g_assert_cmpuint (cr_test_count_substring (bob->output->str, text), ==, 1);
    }
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("missed-%d", i);
      g_assert_cmpuint (cr_test_count_substring (bob->output->str, text), ==, 1);
    }
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), "alice", "before-1"), ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), "alice", "missed-1"), ==, 1);
  assert_seqs_increase (cr_client_get_messages (alice));

  /* The account survived: a wrong password is refused, the right one works. */
  dave = cr_test_join (address, "carol", "not-her-pw", FALSE, 10000, &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_WRONG_PASSWORD);
  g_clear_error (&error);
  g_object_unref (dave);
  carol = cr_test_join (address, "carol", "carol-pw", FALSE, 10000, &error);
  g_assert_no_error (error);
  /* And so did the history: carol's words from before the crash. */
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (carol), "carol", "carol was here"), ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (carol), "alice", "before-5"), ==, 1);
  cr_test_leave_and_free (carol);

  /* bob leaves by the book; SIGTERM closes the room and tells alice. */
  cr_test_child_write_line (bob, "/quit");
  g_assert_true (g_subprocess_wait (bob->process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (bob->process), ==, 0);
  cr_test_child_free (bob);

  g_subprocess_send_signal (daemon->process, SIGTERM);
  cr_test_assert_state (alice, CR_CLIENT_CLOSED, 10000);
  g_assert_cmpint (cr_client_get_close_reason (alice), ==, CR_REASON_ROOM_CLOSED);
  g_assert_true (g_subprocess_wait (daemon->process, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (daemon->process));
  g_assert_cmpint (g_subprocess_get_exit_status (daemon->process), ==, 0);
  cr_test_child_free (daemon);

  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  cr_locale_init ();

  g_test_add_func ("/chatroom/crash/kill-and-resync", test_crash_and_resync);
  return g_test_run ();
}
