/* test-classic.c: wire compatibility with the classroom programs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The classroom ChatRoom-server.py and ChatRoom-client.py are taken at run
 * time from the course notes ($CHATROOM_CLASSROOM_NOTES), with only HOST
 * and PORT changed; no copy of them lives in this project. Without the notes
 * the tests skip and say why.
 */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cr-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-test-utils.h"

#define PYTHON "/usr/bin/python3"

/* The classroom programs, from the notes, pointed at 127.0.0.1:port.
 * NULL (and the test skipped) when the notes or python3 are missing. */
static char *
extract_program (const char *program,
                 guint16     port,
                 const char *dir)
{
  const char *notes = g_getenv ("CHATROOM_CLASSROOM_NOTES");
  g_autofree char *text = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *code = NULL;
  g_autofree char *port_line = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = NULL;
  const char *start, *end;

  if (notes == NULL || !g_file_get_contents (notes, &text, NULL, NULL))
    {
      g_test_skip_printf ("the classroom notes are not at “%s” (set CHATROOM_CLASSROOM_NOTES "
                          "or -Dclassroom_notes=PATH)", notes ? notes : "(unset)");
      return NULL;
    }
  if (!g_file_test (PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("python3 from Debian (" PYTHON ") is not installed");
      return NULL;
    }

  marker = g_strdup_printf ("*%s*", program);
  start = strstr (text, marker);
  g_assert_nonnull (start);
  start = strstr (start, "```python\n");
  g_assert_nonnull (start);
  start += strlen ("```python\n");
  end = strstr (start, "```");
  g_assert_nonnull (end);
  code = g_strndup (start, end - start);

  /* Only HOST and PORT change. */
  g_assert_nonnull (strstr (code, "HOST = '192.168.1.101'"));
  g_assert_nonnull (strstr (code, "PORT = 10024"));
  parts = g_strsplit (code, "HOST = '192.168.1.101'", 2);
  g_free (code);
  code = g_strjoinv ("HOST = '127.0.0.1'", parts);
  g_strfreev (g_steal_pointer (&parts));
  port_line = g_strdup_printf ("PORT = %u", port);
  parts = g_strsplit (code, "PORT = 10024", 2);
  g_free (code);
  code = g_strjoinv (port_line, parts);

  path = g_build_filename (dir, program, NULL);
  g_file_set_contents (path, code, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}


/* The classroom client joins our room: refused on a taken name, then in;
 * sees joins and messages; its messages reach native members with their
 * spaces; "quit" is seen as leaving. */
static void
test_classroom_client (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autoptr(CrServer) server = cr_server_new (dir, "Classic");
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autofree char *address = NULL;
  g_autofree char *script = NULL;
  CrTestChild *py;

  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  address = cr_test_address ("127.0.0.1", cr_server_get_port (server));
  script = extract_program ("ChatRoom-client.py", cr_server_get_port (server), dir);
  if (script == NULL)
    goto out;

  alice = cr_test_join (address, "alice", NULL, FALSE, 10000, &error);
  g_assert_no_error (error);

  {
    const char *argv[] = { PYTHON, script, NULL };
    py = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_write_line (py, "alice");
  cr_test_child_expect (py, "昵称已被占用", 10000);
  cr_test_child_write_line (py, "bob");
  cr_test_child_expect (py, "您已登录到聊天室", 10000);

  /* Its message keeps its spaces and reaches alice. */
  cr_test_child_write_line (py, "hello  there world");
  {
    GListModel *messages = cr_client_get_messages (alice);
    guint tries = 0;

    while (cr_test_count_text (messages, "bob", "hello  there world") == 0 && tries++ < 100)
      cr_test_run_for (50);
    g_assert_cmpuint (cr_test_count_text (messages, "bob", "hello  there world"), ==, 1);
    g_assert_true (cr_test_has_event (messages, CR_EVENT_JOIN, "bob"));
  }

  /* Alice's message and the owner's reach it as Chinese lines. */
  cr_client_send (alice, "hi bob", &error);
  g_assert_no_error (error);
  cr_test_child_expect (py, "alice 说 :hi bob", 10000);
  g_assert_true (cr_server_say (server, "class starts at ten", &error));
  cr_test_child_expect (py, "群主说：class starts at ten", 10000);

  /* A third member's arrival is announced in Chinese. */
  {
    g_autoptr(CrClient) carol = cr_test_join (address, "carol", NULL, FALSE, 10000, &error);
    g_assert_no_error (error);
    cr_test_child_expect (py, "carol 进入了聊天室", 10000);
    cr_test_leave_and_free (g_steal_pointer (&carol));
    cr_test_child_expect (py, "carol 退出了聊天室", 10000);
  }

  cr_test_child_write_line (py, "quit");
  cr_test_child_expect (py, "您已退出聊天室", 10000);
  {
    GListModel *messages = cr_client_get_messages (alice);
    guint tries = 0;

    while (!cr_test_has_event (messages, CR_EVENT_LEAVE, "bob") && tries++ < 100)
      cr_test_run_for (50);
    g_assert_true (cr_test_has_event (messages, CR_EVENT_LEAVE, "bob"));
  }
  cr_test_child_free (py);
  cr_test_leave_and_free (g_steal_pointer (&alice));

out:
  cr_server_stop (server);
  g_clear_object (&server);
  cr_test_remove_tree (dir);
}

/* The lines of one classic table, as the classroom client must see them. */
typedef struct
{
  const char *language;      /* --language, or NULL for none */
  const char *joined;        /* 李四 joined */
  const char *left;          /* 李四 left */
  const char *said;          /* 张三's words, whole line */
  const char *owner;         /* the owner's words, whole line */
  const char *chat_head;     /* 李四's line head */
} Lines;

static const Lines chinese = {
  NULL,
  "【系统消息】:李四 进入了聊天室",
  "【系统消息】:李四 退出了聊天室",
  "张三 说 :hello world 你好",
  "群主说：大家好",
  "李四 说 :",
};

static const Lines english = {
  "en",
  "[System] 李四 joined the room",
  "[System] 李四 left the room",
  "张三: hello world 你好",
  "Owner: 大家好",
  "李四: ",
};

/* Text lines on a raw classic member until want arrives: every datagram
 * must fit the classroom client's 1 024-byte buffer and be valid UTF-8. */
static void
raw_expect (CrTestSocket *raw,
            const char   *want)
{
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *line = cr_test_socket_receive_text (raw, 10000);

      g_assert_nonnull (line);
      g_assert_cmpuint (strlen (line), <=, 1024);
      g_assert_true (g_utf8_validate (line, -1, NULL));
      if (g_str_equal (line, want))
        return;
    }
  g_error ("“%s” never came", want);
}

/* build/src/chatroomd, started as a user starts it (no variable of ours,
 * no locale): the classroom client gets the table's lines byte for byte,
 * whatever the translation catalog; a 4 KiB message reaches it as several
 * datagrams of at most 1 024 bytes, and it keeps receiving afterwards. */
static void
run_chatroomd_classroom_client (const Lines *lines)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  g_autofree char *script = extract_program ("ChatRoom-client.py", port, dir);
  g_autoptr(GSocketAddress) room = cr_test_socket_address ("127.0.0.1", port);
  g_autoptr(CrTestSocket) raw = NULL;
  g_autoptr(CrClient) lisi = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autoptr(GString) received = g_string_new (NULL);
  g_autofree char *long_head = NULL;
  CrTestChild *daemon, *py;
  guint pieces = 0;

  if (script == NULL)
    {
      cr_test_remove_tree (dir);
      return;
    }

  {
    const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", data_dir,
                           lines->language ? "--language" : NULL, lines->language, NULL };
    daemon = cr_test_child_spawn_clean (argv, TRUE);
  }
  cr_test_child_expect (daemon, "is open", 10000);

  /* A raw classic member beside the classroom client measures every line. */
  raw = cr_test_socket_new ("127.0.0.1");
  cr_test_socket_send_text (raw, room, "N raw");
  raw_expect (raw, "OK");

  {
    const char *argv[] = { PYTHON, script, NULL };
    py = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_write_line (py, "张三");
  cr_test_child_expect (py, "您已登录到聊天室", 10000);

  lisi = cr_test_join (address, "李四", NULL, FALSE, 10000, &error);
  g_assert_no_error (error);
  cr_test_child_expect (py, lines->joined, 10000);
  raw_expect (raw, lines->joined);

  cr_test_child_write_line (py, "hello world 你好");
  cr_test_child_expect (py, lines->said, 10000);
  raw_expect (raw, lines->said);

  cr_test_child_write_line (daemon, "大家好");
  cr_test_child_expect (py, lines->owner, 10000);
  raw_expect (raw, lines->owner);

  /* 4 KiB of Chinese from a native member. */
  while (long_text->len + 3 <= CR_TEXT_MAX_BYTES)
    g_string_append (long_text, "汉");
  cr_client_send (lisi, long_text->str, &error);
  g_assert_no_error (error);
  long_head = g_strdup (lines->chat_head);
  while (received->len < long_text->len && pieces < 10)
    {
      g_autofree char *line = cr_test_socket_receive_text (raw, 10000);

      g_assert_nonnull (line);
      g_assert_cmpuint (strlen (line), <=, 1024);
      g_assert_true (g_utf8_validate (line, -1, NULL));
      g_assert_true (g_str_has_prefix (line, long_head));
      g_string_append (received, line + strlen (long_head));
      pieces++;
    }
  g_assert_cmpstr (received->str, ==, long_text->str);
  g_assert_cmpuint (pieces, >=, 4);
  g_test_message ("4 KiB message: %u datagrams", pieces);

  /* The classroom client's receive thread is still alive. */
  cr_client_send (lisi, "still here", &error);
  g_assert_no_error (error);
  {
    g_autofree char *still = g_strconcat (lines->chat_head, "still here", NULL);
    cr_test_child_expect (py, still, 10000);
  }

  cr_test_leave_and_free (g_steal_pointer (&lisi));
  cr_test_child_expect (py, lines->left, 10000);

  cr_test_child_write_line (py, "quit");
  cr_test_child_expect (py, "您已退出聊天室", 10000);
  cr_test_child_free (py);
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

static void
test_chatroomd_chinese (void)
{
  run_chatroomd_classroom_client (&chinese);
}

static void
test_chatroomd_english (void)
{
  run_chatroomd_classroom_client (&english);
}

/* chatroom-cli joins the classroom server, which dies on any datagram that
 * is not valid UTF-8: ours survives, and they chat both ways. */
static void
test_classroom_server (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *server_script = extract_program ("ChatRoom-server.py", port, dir);
  g_autofree char *client_script = NULL;
  g_autofree char *address = NULL;
  CrTestChild *server, *cli, *alice;

  if (server_script == NULL)
    {
      cr_test_remove_tree (dir);
      return;
    }
  client_script = extract_program ("ChatRoom-client.py", port, dir);
  address = cr_test_address ("127.0.0.1", port);

  {
    const char *argv[] = { PYTHON, server_script, NULL };
    server = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_run_for (500);   /* it binds before it prints anything */

  {
    const char *argv[] = { CHATROOM_CLI_PATH, "bob", address, NULL };
    cli = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_expect (server, "bob 进入到聊天室", 15000);

  /* A classroom client beside it: the server still works. */
  {
    const char *argv[] = { PYTHON, client_script, NULL };
    alice = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_write_line (alice, "alice");
  cr_test_child_expect (alice, "您已登录到聊天室", 10000);

  cr_test_child_write_line (cli, "hi from the cli");
  /* The classroom server glues the words together ("''.join"). */
  cr_test_child_expect (alice, "bob 说 :hifromthecli", 10000);

  cr_test_child_write_line (alice, "hello bob");
  cr_test_child_expect (cli, "hellobob", 10000);

  cr_test_child_write_line (server, "大家好");
  cr_test_child_expect (cli, "大家好", 10000);

  /* A taken name: the classroom server's refusal comes through. */
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "alice", address, NULL };
    CrTestChild *taken = cr_test_child_spawn (argv, TRUE);

    g_assert_true (g_subprocess_wait (taken->process, NULL, NULL));
    g_assert_true (g_subprocess_get_if_exited (taken->process));
    g_assert_cmpint (g_subprocess_get_exit_status (taken->process), !=, 0);
    cr_test_child_free (taken);
  }

  cr_test_child_write_line (cli, "/quit");
  cr_test_child_expect (server, "bob 退出了聊天室", 10000);
  g_assert_true (g_subprocess_wait (cli->process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (cli->process), ==, 0);

  cr_test_child_free (cli);
  cr_test_child_free (alice);
  cr_test_child_free (server);
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  cr_locale_init ();

  g_test_add_func ("/chatroom/classic/classroom-client", test_classroom_client);
  g_test_add_func ("/chatroom/classic/classroom-server", test_classroom_server);
  g_test_add_func ("/chatroom/classic/chatroomd-chinese", test_chatroomd_chinese);
  g_test_add_func ("/chatroom/classic/chatroomd-english", test_chatroomd_english);
  return g_test_run ();
}
