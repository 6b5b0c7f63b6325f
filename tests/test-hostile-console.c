/* test-hostile-console.c: what chatroomd's owner sees of a guesser, and
 * what the owner can do about it, through its console
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10: a name locked after too many wrong passwords is told on the
 * console (one line), listed by /locked and lifted by /unlock; a look-alike
 * of a registered name is refused while its owner is away; /members marks
 * the classic members, whose lines anyone on the network can read.
 *
 * The lock takes real time: after three free wrong passwords each one
 * doubles the wait before the next is heard (1 s … 32 s, cr-engine-auth.c),
 * so the tenth comes about 63 s after the first. The test waits that out;
 * every wait is bounded.
 */
#define G_LOG_DOMAIN "test-hostile-console"

#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
#include "cr-engine.h"
#include "cr-render.h"
#include "cr-test-utils.h"
#include "cr-types.h"

#define CYRILLIC_I "\xd1\x96"       /* U+0456, drawn as i */
#define LOCK_DEADLINE_S 150

typedef struct {
  CrTestChild *child;
  const char  *needle;
  guint        n;
} Count;

static gboolean
output_has_n (gpointer user_data)
{
  Count *count = user_data;

  return cr_test_count_substring (count->child->output->str, count->needle) >= count->n;
}

/* Fails the test unless needle is in the output n times within timeout_ms. */
static void
expect_n (CrTestChild *child,
          const char  *needle,
          guint        n,
          guint        timeout_ms)
{
  Count count = { child, needle, n };

  if (!cr_test_wait_until (output_has_n, &count, timeout_ms))
    g_error ("timed out after %u ms waiting for “%s” %u times in:\n%s", timeout_ms, needle, n,
             child->output->str);
}

/* A join from a fresh client (a fresh port); the reason it ended with. */
static CrReason
try_join (const char *address,
          const char *name,
          const char *password,
          gboolean    do_register)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) client = cr_test_join (address, name, password, do_register, 10000, &error);

  if (error == NULL)
    {
      cr_test_leave_and_free (g_steal_pointer (&client));
      return CR_REASON_NONE;
    }
  g_assert_true (error->domain == CR_CLIENT_ERROR);
  return error->code;
}

static void
test_console_locks (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  g_autoptr(GSocketAddress) to = cr_test_socket_address ("127.0.0.1", port);
  g_autoptr(CrTestSocket) classic = cr_test_socket_new ("127.0.0.1");
  const char *argv[] = { CHATROOMD_PATH, "--listen", address, "--data-dir", dir,
                         "--language", "en", NULL };
  const char *locked_line = "Too many wrong passwords for “victim”";
  CrTestChild *daemon;
  guint wrong = 0, limited = 0, attempts = 0;
  gint64 deadline;
  g_autofree char *answer = NULL;

  /* --help names the console's commands. */
  {
    const char *help_argv[] = { CHATROOMD_PATH, "--help", NULL };
    CrTestChild *help = cr_test_child_spawn (help_argv, TRUE);

    cr_test_child_expect (help, "/locked (names locked after too many wrong passwords), /unlock",
                          10000);
    cr_test_child_free (help);
  }

  daemon = cr_test_child_spawn (argv, TRUE);
  cr_test_child_expect (daemon, "Join at", 15000);

  cr_test_child_write_line (daemon, "/help");
  cr_test_child_expect (daemon, "/unlock NAME", 5000);
  cr_test_child_expect (daemon, "/locked ", 5000);
  cr_test_child_write_line (daemon, "/locked");
  expect_n (daemon, "No name is locked.", 1, 5000);

  /* victim registers and leaves; a look-alike is refused while it is away. */
  g_assert_cmpint (try_join (address, "victim", "right-one", TRUE), ==, CR_REASON_NONE);
  g_assert_cmpint (try_join (address, "v" CYRILLIC_I "ctim", NULL, FALSE), ==,
                   CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (try_join (address, "v" CYRILLIC_I "ctim", "right-one", TRUE), ==,
                   CR_REASON_NAME_CONFUSABLE);

  /* A guesser, as fast as the room lets it, until the console tells. */
  deadline = g_get_monotonic_time () + LOCK_DEADLINE_S * G_TIME_SPAN_SECOND;
  while (strstr (daemon->output->str, locked_line) == NULL &&
         g_get_monotonic_time () < deadline)
    {
      CrReason reason = try_join (address, "victim", "a-guess", FALSE);

      attempts++;
      if (reason == CR_REASON_WRONG_PASSWORD)
        wrong++;
      else if (reason == CR_REASON_RATE_LIMITED)
        {
          limited++;
          cr_test_run_for (500);
        }
      else
        g_error ("A wrong password ended with reason %d", reason);
    }
  g_test_message ("%u guesses: %u heard (wrong password), %u refused before any hash",
                  attempts, wrong, limited);
  cr_test_child_expect (daemon, locked_line, 1000);
  g_assert_cmpuint (wrong, ==, CR_ENGINE_LOGIN_LOCK_FAILURES);
  /* One line for the lock, not one per guess. */
  g_assert_cmpuint (cr_test_count_substring (daemon->output->str, locked_line), ==, 1);
  cr_test_child_expect (daemon, "locked for 15 minutes. /unlock victim lifts the lock", 1000);

  cr_test_child_write_line (daemon, "/locked");
  cr_test_child_expect (daemon, "1 name locked after too many wrong passwords:\n  victim\n", 5000);

  /* The right password is refused too while the name is locked… */
  g_assert_cmpint (try_join (address, "victim", "right-one", FALSE), ==, CR_REASON_RATE_LIMITED);
  /* …until the owner lifts the lock. */
  cr_test_child_write_line (daemon, "/unlock VICTIM");
  cr_test_child_expect (daemon, "“VICTIM” may try a password again.", 5000);
  g_assert_cmpint (try_join (address, "victim", "right-one", FALSE), ==, CR_REASON_NONE);
  cr_test_child_write_line (daemon, "/unlock victim");
  cr_test_child_expect (daemon, "“victim” is not locked", 5000);
  cr_test_child_write_line (daemon, "/locked");
  expect_n (daemon, "No name is locked.", 2, 5000);

  /* /members marks a classic member. */
  cr_test_socket_send_text (classic, to, "N classy");
  answer = cr_test_socket_receive_text (classic, 5000);
  g_assert_cmpstr (answer, ==, CR_CLASSIC_OK);
  /* The list follows the room's events on the next turn of chatroomd's
   * loop (cr-server.c): ask until it is there. */
  cr_test_child_expect (daemon, "classy joined the room", 5000);
  for (guint i = 0; i < 20 && strstr (daemon->output->str, "1 member:") == NULL; i++)
    {
      cr_test_child_write_line (daemon, "/members");
      cr_test_run_for (250);
    }
  cr_test_child_expect (daemon, "guest  classic: can be read on the network", 5000);
  g_assert_nonnull (strstr (daemon->output->str, "  classy  127.0.0.1:"));

  cr_test_socket_send_text (classic, to, "Q classy");
  cr_test_child_write_line (daemon, "/quit");
  cr_test_child_expect (daemon, "The room is closed.", 10000);
  g_test_message ("chatroomd printed:\n%s", daemon->output->str);
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/hostile-console/locks", test_console_locks);

  return g_test_run ();
}
