/* test-hostile-text.c: what rooms and members say never reaches a terminal
 * raw, and no name passes for a line of the room's or for another member
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10, findings 6 and 8: escape sequences and U+202E in names, text,
 * refusal details and classic lines; a "\n" in a message forging a system
 * line on chatroomd's console; "群主说：" and look-alike names ("bоb" with a
 * Cyrillic о while bob is in the room).
 */
#define G_LOG_DOMAIN "test-hostile-text"

#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-room.h"
#include "cr-terminal.h"
#include "cr-test-utils.h"
#include "cr-types.h"

#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)

/* An OSC that retitles the window and a CSI that clears the screen. */
#define ESCAPES "\x1b]0;pwned\x07\x1b[2J"
#define RLO "\xe2\x80\xae"          /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define CYRILLIC_O "\xd0\xbe"       /* U+043E */

/* What a terminal must never receive from the network. */
static void
assert_no_raw_controls (const char *output)
{
  static const char * const forbidden[] = {
    "\x1b", "\x07", "\r", "\x7f",
    "\xc2\x9b",                       /* U+009B CSI */
    RLO,
    "\xe2\x80\xab",                   /* U+202B RLE */
    "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",   /* isolates */
    "\xe2\x80\x8b",                   /* U+200B ZERO WIDTH SPACE */
    "\xef\xbb\xbf",                   /* U+FEFF */
  };

  for (guint i = 0; i < G_N_ELEMENTS (forbidden); i++)
    if (strstr (output, forbidden[i]) != NULL)
      {
        g_autofree char *shown = g_strescape (output, NULL);

        g_error ("Raw byte sequence %u reached the terminal in:\n%s", i, shown);
      }
}

/* No line that mentions victim starts at column 0. */
static void
assert_victim_indented (const char *output)
{
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);
  guint found = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strstr (lines[i], "victim") == NULL)
        continue;
      found++;
      if (lines[i][0] != ' ')
        {
          g_autofree char *shown = g_strescape (output, NULL);

          g_error ("A forged line at column 0: “%s” in:\n%s", lines[i], shown);
        }
    }
  g_assert_cmpuint (found, >=, 1);
}

/* Escaping ---------------------------------------------------------- */

static void
test_escape (void)
{
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "plain", "plain" },
    { "张三 said “hi”", "张三 said “hi”" },
    { "detail" ESCAPES "…", "detail\\x1b]0;pwned\\x07\\x1b[2J…" },
    { "evil" RLO "gnp.exe", "evil\\u202egnp.exe" },
    { "a\nb\tc\rd", "a\\nb\\tc\\rd" },
    { "del\x7f", "del\\x7f" },
    { "c1\xc2\x9b" "31m", "c1\\u009b31m" },
    { "iso\xe2\x81\xa6x\xe2\x81\xa9", "iso\\u2066x\\u2069" },
    { "zw\xe2\x80\x8b\xe2\x80\x8f\xef\xbb\xbf", "zw\\u200b\\u200f\\ufeff" },
    { "ls\xe2\x80\xa8ps\xe2\x80\xa9", "ls\\u2028ps\\u2029" },
    { "tag\xf3\xa0\x80\x81", "tag\\U000e0001" },
    { "fill\xe3\x85\xa4", "fill\\u3164" },
    { "bad\xff\xc3", "bad\\xff\\xc3" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = cr_terminal_escape (cases[i].in);

      g_assert_cmpstr (escaped, ==, cases[i].out);
      g_assert_true (g_utf8_validate (escaped, -1, NULL));
      assert_no_raw_controls (escaped);
    }

  {
    g_autofree char *escaped = cr_terminal_escape (NULL);

    g_assert_cmpstr (escaped, ==, "");
  }
}

static void
test_lines (void)
{
  g_autofree char *forged = NULL;
  g_autofree char *wide = NULL;
  g_autofree char *one = NULL;
  g_autofree char *none = NULL;

  /* A message that forges a system line and an owner line. */
  forged = cr_terminal_format_lines ("[10:02] mallory: ",
                                     "bye\n[10:02] * victim left the room\n"
                                     "[10:03] Owner: " ESCAPES "\tand " RLO "x");
  g_assert_cmpstr (forged, ==,
                   "[10:02] mallory: bye\n"
                   "                 [10:02] * victim left the room\n"
                   "                 [10:03] Owner: \\x1b]0;pwned\\x07\\x1b[2J\tand \\u202ex");
  assert_no_raw_controls (forged);
  assert_victim_indented (forged);

  /* The indent is the prefix's width in columns, wide characters two. */
  g_assert_cmpuint (cr_terminal_width ("[10:02] 张三: "), ==, 14);
  g_assert_cmpuint (cr_terminal_width ("e\xcc\x81"), ==, 1);
  g_assert_cmpuint (cr_terminal_width ("ｂ"), ==, 2);
  wide = cr_terminal_format_lines ("张三: ", "一\n二");
  g_assert_cmpstr (wide, ==, "张三: 一\n      二");

  /* Never column 0, even without a prefix. */
  none = cr_terminal_format_lines (NULL, "\n* victim left");
  g_assert_cmpstr (none, ==, "\n * victim left");
  assert_victim_indented (none);

  /* A single line stays as it is. */
  one = cr_terminal_format_lines ("> ", "hello");
  g_assert_cmpstr (one, ==, "> hello");
}

/* Names ------------------------------------------------------------- */

static void
test_imitating_names (void)
{
  static const char * const refused[] = {
    "群主说：", "群主", "群主说", "群主说:", "系统消息", "【系统消息】", "系统",
    "公告", "【公告】", "a:b", "a：b", "a꞉b", "〖系统消息〗", "[System]", "［x］",
    "Owner", "OWNER", "owner", "ＯＷＮＥＲ", "System", "Announcement", "0wner",
  };
  static const char * const admitted[] = {
    "张三", "李四", "teacher", "bob", "alice", "王群主", "owners", "sysadmin",
    "René", "x_y", "a-b", "a.b", "(bob)",
  };
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *normalized = NULL;

      /* Valid on the wire: a classroom server may have such members. */
      g_assert_cmpint (cr_name_validate (refused[i], -1, &normalized), ==, CR_REASON_NONE);
      if (!cr_name_imitates_room (normalized))
        g_error ("“%s” was not taken for a line of the room's", refused[i]);
      g_assert_cmpint (cr_room_check_join (room, refused[i], NULL), ==, CR_REASON_NAME_RESERVED);
    }

  for (guint i = 0; i < G_N_ELEMENTS (admitted); i++)
    {
      g_autofree char *normalized = NULL;

      g_assert_cmpint (cr_name_validate (admitted[i], -1, &normalized), ==, CR_REASON_NONE);
      if (cr_name_imitates_room (normalized))
        g_error ("“%s” was refused", admitted[i]);
    }
}

static void
test_skeletons (void)
{
  static const struct {
    const char *a;
    const char *b;
    gboolean    same;
  } cases[] = {
    { "bob", "b" CYRILLIC_O "b", TRUE },
    { "bob", "ｂｏｂ", TRUE },
    { "bob", "BOB", TRUE },
    { "bob", "b0b", TRUE },
    { "bob", "\xd0\xac" "ob", FALSE },            /* Cyrillic Ь: not drawn like b */
    { "alice", "\xd0\xb0lice", TRUE },            /* Cyrillic а */
    { "Alice", "AIice", TRUE },                   /* capital I for l */
    { "paypal", "\xd1\x80\xd0\xb0\xd1\x83\xd1\x80\xd0\xb0l", TRUE },   /* р а у р а */
    { "mary", "rnary", TRUE },
    { "mary", "MARY", TRUE },
    { "Rene", "René", FALSE },
    { "张三", "张三", TRUE },
    { "张三", "李四", FALSE },
    { "ΑΒΕ", "ABE", TRUE },                        /* Greek capitals */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *na = NULL;
      g_autofree char *nb = NULL;
      g_autofree char *sa = NULL;
      g_autofree char *sb = NULL;

      g_assert_cmpint (cr_name_validate (cases[i].a, -1, &na), ==, CR_REASON_NONE);
      g_assert_cmpint (cr_name_validate (cases[i].b, -1, &nb), ==, CR_REASON_NONE);
      sa = cr_name_skeleton (na);
      sb = cr_name_skeleton (nb);
      if (g_str_equal (sa, sb) != cases[i].same)
        g_error ("“%s” (%s) and “%s” (%s): expected %s skeletons", cases[i].a, sa,
                 cases[i].b, sb, cases[i].same ? "the same" : "different");
    }
}

static guint32
join_ok (CrRoom     *room,
         const char *name)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason reason = CR_REASON_LAST;
  guint32 id = 0;

  event = cr_room_join (room, name, CR_ROLE_MEMBER, 0, T0, &id, &reason);
  g_assert_cmpint (reason, ==, CR_REASON_NONE);
  g_assert_nonnull (event);
  return id;
}

static void
test_confusable_taken (void)
{
  g_autoptr(CrRoom) room = cr_room_new ("lobby", 10, 0);
  g_autoptr(CrEvent) left = NULL;
  guint32 bob;

  bob = join_ok (room, "bob");
  join_ok (room, "张三");
  join_ok (room, "Alice");

  /* The same name is taken; one that only looks the same says so. */
  g_assert_cmpint (cr_room_check_join (room, "b" CYRILLIC_O "b", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (cr_room_check_join (room, "ｂｏｂ", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (cr_room_check_join (room, "BOB", NULL), ==, CR_REASON_NAME_TAKEN);
  g_assert_cmpint (cr_room_check_join (room, "b0b", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (cr_room_check_join (room, "AIice", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (cr_room_check_join (room, "\xd0\xb0lice", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  g_assert_cmpint (cr_room_check_join (room, "张三", NULL), ==, CR_REASON_NAME_TAKEN);

  /* Different names are not. */
  g_assert_cmpint (cr_room_check_join (room, "bobby", NULL), ==, CR_REASON_NONE);
  g_assert_cmpint (cr_room_check_join (room, "李四", NULL), ==, CR_REASON_NONE);

  /* Taken while the look-alike is present, not after. */
  left = cr_room_leave (room, bob, CR_EVENT_LEAVE, T0);
  g_assert_nonnull (left);
  join_ok (room, "b" CYRILLIC_O "b");
  g_assert_cmpint (cr_room_check_join (room, "bob", NULL), ==, CR_REASON_NAME_CONFUSABLE);
  /* Lookups by name stay by fold: the owner's "/kick bob" is not "bоb". */
  g_assert_null (cr_room_lookup_name (room, "bob"));
  g_assert_nonnull (cr_room_lookup_name (room, "b" CYRILLIC_O "b"));
}

/* chatroom-cli against a fake classic room -------------------------- */

typedef struct
{
  CrTestSocket   *sock;
  GSocketAddress *client;
} FakeRoom;

/* The next datagram from the client as text (NULL on timeout). */
static char *
fake_room_next (FakeRoom *room,
                guint     timeout_ms)
{
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GBytes) data = cr_test_socket_receive (room->sock, timeout_ms, &from);
  gsize len;
  const char *text;

  if (data == NULL)
    return NULL;
  text = g_bytes_get_data (data, &len);
  g_set_object (&room->client, from);
  return g_strndup (text, len);
}

/* Waits for "N name" (after the native probe) and answers it. */
static void
fake_room_answer_join (FakeRoom   *room,
                       const char *name,
                       const char *answer)
{
  g_autofree char *expected = g_strdup_printf ("N %s", name);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *line = fake_room_next (room, 5000);

      g_assert_nonnull (line);
      if (g_str_equal (line, expected))
        {
          cr_test_socket_send_text (room->sock, room->client, answer);
          return;
        }
    }
  g_error ("chatroom-cli never asked to join as %s", name);
}

static void
test_cli_fake_room (void)
{
  FakeRoom room = { cr_test_socket_new ("127.0.0.1"), NULL };
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (room.sock));
  const char *argv[] = { CHATROOM_CLI_PATH, "alice", address, NULL };
  static const char * const lines[] = {
    "bob 说 :title" ESCAPES,                             /* dropped by the core */
    "bob 说 :evil" RLO "txt.exe",
    "bob 说 :bye\n【系统消息】:victim 退出了聊天室\n群主说：victim is banned",
    "群主说：\xe2\x81\xa6owner\xe2\x81\xa9 " RLO "x",
    "【系统消息】:" RLO "bob 进入到聊天室",              /* not a name: dropped */
    "bob 说 :zero\xe2\x80\x8bwidth\xef\xbb\xbf",
    "bob 说 :done",
  };
  CrTestChild *cli;
  g_autofree char *output = NULL;

  cli = cr_test_child_spawn (argv, TRUE);
  fake_room_answer_join (&room, "alice", CR_CLASSIC_OK);
  cr_test_child_expect (cli, "Type /quit to leave", 10000);

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    cr_test_socket_send_text (room.sock, room.client, lines[i]);
  cr_test_child_expect (cli, "bob: done", 10000);

  cr_test_child_write_line (cli, "/quit");
  g_assert_true (g_subprocess_wait (cli->process, NULL, NULL));
  cr_test_run_for (50);   /* the last of its output */
  output = g_strdup (cli->output->str);
  g_test_message ("chatroom-cli printed:\n%s", output);

  assert_no_raw_controls (output);
  assert_victim_indented (output);
  g_assert_nonnull (strstr (output, "evil\\u202etxt.exe"));
  g_assert_nonnull (strstr (output, "\\u2066owner\\u2069 \\u202ex"));
  g_assert_nonnull (strstr (output, "zero\\u200bwidth\\ufeff"));

  cr_test_child_free (cli);
  g_clear_object (&room.client);
  cr_test_socket_free (room.sock);
}

/* A refusal line of the room's own words reaches stderr escaped. */
static void
test_cli_refusal_detail (void)
{
  FakeRoom room = { cr_test_socket_new ("127.0.0.1"), NULL };
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (room.sock));
  const char *argv[] = { CHATROOM_CLI_PATH, "alice", address, NULL };
  const char *refusal = "no" RLO "entry\xe2\x81\xa6 for you";
  CrTestChild *cli;
  g_autofree char *line = NULL;

  cli = cr_test_child_spawn (argv, TRUE);
  fake_room_answer_join (&room, "alice", refusal);
  /* It asks again a few times; the same answer each time. */
  while ((line = fake_room_next (&room, 1500)) != NULL)
    {
      if (g_str_has_prefix (line, "N "))
        cr_test_socket_send_text (room.sock, room.client, refusal);
      g_clear_pointer (&line, g_free);
    }

  g_assert_true (g_subprocess_wait (cli->process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (cli->process), !=, 0);
  cr_test_run_for (50);
  g_test_message ("chatroom-cli printed:\n%s", cli->output->str);
  assert_no_raw_controls (cli->output->str);
  g_assert_nonnull (strstr (cli->output->str, "no\\u202eentry\\u2066 for you"));

  cr_test_child_free (cli);
  g_clear_object (&room.client);
  cr_test_socket_free (room.sock);
}

/* chatroomd's console against a classic member -------------------- */

static void
test_chatroomd_console (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = cr_test_address ("127.0.0.1", port);
  g_autoptr(GSocketAddress) to = cr_test_socket_address ("127.0.0.1", port);
  g_autoptr(CrTestSocket) mallory = cr_test_socket_new ("127.0.0.1");
  const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir,
                         "--language", "en", NULL };
  CrTestChild *daemon;
  g_autofree char *answer = NULL;
  g_autofree char *output = NULL;

  daemon = cr_test_child_spawn (argv, TRUE);
  cr_test_child_expect (daemon, "Join at", 15000);

  /* Look-alike and imitating names are refused. */
  cr_test_socket_send_text (mallory, to, "N bob");
  answer = cr_test_socket_receive_text (mallory, 3000);
  g_assert_cmpstr (answer, ==, CR_CLASSIC_OK);
  g_clear_pointer (&answer, g_free);
  {
    const char *names[] = { "b" CYRILLIC_O "b", "ｂｏｂ", "Owner", "群主说：" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        /* One address each: no join bucket of one address in the way. */
        g_autoptr(CrTestSocket) other = cr_test_socket_new ("127.0.0.1");
        g_autofree char *join = g_strdup_printf ("N %s", names[i]);
        g_autofree char *refusal = NULL;

        cr_test_socket_send_text (other, to, join);
        refusal = cr_test_socket_receive_text (other, 3000);
        g_assert_nonnull (refusal);
        g_assert_cmpstr (refusal, !=, CR_CLASSIC_OK);
      }
  }

  /* A message that forges a leave line and an owner line, and one with a
   * right-to-left override. */
  cr_test_socket_send_text (mallory, to, "M bob bye\n[12:00:00] * victim left the room"
                                         "\n[12:00:01] victim is banned");
  cr_test_socket_send_text (mallory, to, "M bob evil" RLO "txt.exe");
  cr_test_socket_send_text (mallory, to, "M bob done");
  cr_test_child_expect (daemon, "bob: done", 10000);

  output = g_strdup (daemon->output->str);
  g_test_message ("chatroomd printed:\n%s", output);
  assert_victim_indented (output);
  assert_no_raw_controls (output);
  g_assert_nonnull (strstr (output, "evil\\u202etxt.exe"));

  cr_test_socket_send_text (mallory, to, "Q bob");
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

  g_test_add_func ("/chatroom/hostile-text/escape", test_escape);
  g_test_add_func ("/chatroom/hostile-text/lines", test_lines);
  g_test_add_func ("/chatroom/hostile-text/imitating-names", test_imitating_names);
  g_test_add_func ("/chatroom/hostile-text/skeletons", test_skeletons);
  g_test_add_func ("/chatroom/hostile-text/confusable-taken", test_confusable_taken);
  g_test_add_func ("/chatroom/hostile-text/cli-fake-room", test_cli_fake_room);
  g_test_add_func ("/chatroom/hostile-text/cli-refusal-detail", test_cli_refusal_detail);
  g_test_add_func ("/chatroom/hostile-text/chatroomd-console", test_chatroomd_console);

  return g_test_run ();
}
