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

/* A child process whose standard output is collected as it comes. */
typedef struct {
  GSubprocess  *process;
  GString      *output;
  GCancellable *cancellable;
  gboolean      eof;
} Child;

static void read_more (Child *child);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Child *child = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      child->eof = TRUE;
      return;
    }
  g_string_append_len (child->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  read_more (child);
}

static void
read_more (Child *child)
{
  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (child->process), 4096,
                                   G_PRIORITY_DEFAULT, child->cancellable, on_read, child);
}

static Child *
child_spawn (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  Child *child = g_new0 (Child, 1);

  child->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  child->output = g_string_new (NULL);
  child->cancellable = g_cancellable_new ();
  read_more (child);
  return child;
}

static gboolean
child_has_exited (gpointer data)
{
  Child *child = data;
  return g_subprocess_get_identifier (child->process) == NULL;
}

static void
child_free (Child *child)
{
  if (g_subprocess_get_identifier (child->process) != NULL)
    {
      g_subprocess_force_exit (child->process);
      cr_test_wait_until (child_has_exited, child, 5000);
    }
  g_cancellable_cancel (child->cancellable);
  cr_test_run_for (10);
  g_object_unref (child->process);
  g_object_unref (child->cancellable);
  g_string_free (child->output, TRUE);
  g_free (child);
}

static void
child_write (Child      *child,
             const char *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (child->process);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (in, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (in, "\n", 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (in, NULL, NULL);
}

static void
child_signal (Child *child,
              int    sig)
{
  g_subprocess_send_signal (child->process, sig);
}

typedef struct {
  Child      *child;
  const char *needle;
} Expect;

static gboolean
output_has (gpointer data)
{
  Expect *e = data;
  return strstr (e->child->output->str, e->needle) != NULL;
}

static void
expect_output (Child      *child,
               const char *needle,
               guint       timeout_ms)
{
  Expect e = { child, needle };

  if (!cr_test_wait_until (output_has, &e, timeout_ms))
    g_error ("timed out waiting for “%s” in:\n%s", needle, child->output->str);
}

static guint
count_in (const char *haystack,
          const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

static guint16
free_udp_port (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) any = cr_test_socket_address ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;

  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  local = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static Child *
daemon_start (const char *listen,
              const char *dir)
{
  const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir,
                         "--room-name", "Crash", NULL };
  Child *child = child_spawn (argv);

  expect_output (child, "Join at", 15000);
  return child;
}

typedef struct {
  CrClient      *client;
  CrClientState  state;
} StateWait;

static gboolean
client_in_state (gpointer data)
{
  StateWait *w = data;
  return cr_client_get_state (w->client) == w->state;
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
  guint16 port = free_udp_port ();
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  g_autofree char *port_text = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  CrClient *carol, *dave;
  Child *daemon, *bob;
  StateWait wait;
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

  bob = child_spawn (cli_argv);
  expect_output (bob, "bob joined the room", 15000);

  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("before-%d", i);
      cr_client_send (alice, text, &error);
      g_assert_no_error (error);
    }
  cr_test_assert_wait (all_sent, alice, 10000);
  expect_output (bob, "before-5", 10000);

  /* bob's machine freezes; the room dies without a word. */
  child_signal (bob, SIGSTOP);
  child_signal (daemon, SIGKILL);
  g_subprocess_wait (daemon->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_signaled (daemon->process));
  child_free (daemon);

  /* alice notices and keeps trying; the room comes back on the same dir. */
  wait = (StateWait) { alice, CR_CLIENT_RECONNECTING };
  cr_test_assert_wait (client_in_state, &wait, 10000);
  daemon = daemon_start (port_text, dir);
  wait.state = CR_CLIENT_CONNECTED;
  cr_test_assert_wait (client_in_state, &wait, 15000);

  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("missed-%d", i);
      cr_client_send (alice, text, &error);
      g_assert_no_error (error);
    }
  cr_test_assert_wait (all_sent, alice, 10000);

  /* bob wakes up: he gets what he missed, and nothing twice. */
  child_signal (bob, SIGCONT);
  expect_output (bob, "missed-3", 30000);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("before-%d", i);
      g_assert_cmpuint (count_in (bob->output->str, text), ==, 1);
    }
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("missed-%d", i);
      g_assert_cmpuint (count_in (bob->output->str, text), ==, 1);
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
  child_write (bob, "/quit");
  g_assert_true (g_subprocess_wait (bob->process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (bob->process), ==, 0);
  child_free (bob);

  child_signal (daemon, SIGTERM);
  wait.state = CR_CLIENT_CLOSED;
  cr_test_assert_wait (client_in_state, &wait, 10000);
  g_assert_cmpint (cr_client_get_close_reason (alice), ==, CR_REASON_ROOM_CLOSED);
  g_assert_true (g_subprocess_wait (daemon->process, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (daemon->process));
  g_assert_cmpint (g_subprocess_get_exit_status (daemon->process), ==, 0);
  child_free (daemon);

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
