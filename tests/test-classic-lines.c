/* test-classic-lines.c: the classic dialect's line tables (cr-classic.c)
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lines a room sends classic members, byte for byte, in both tables;
 * every line parsed back by the member's side into the event it came from;
 * long texts split under the classroom client's 1 024-byte buffer on
 * character boundaries; hostile lines parsed as plain text, never as
 * someone's words. No catalog, no locale: run under C.
 */
#define G_LOG_DOMAIN "test-classic-lines"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib.h>

#include "cr-classic.h"

static CrEvent *
make_event (CrEventKind  kind,
            const char  *name,
            const char  *text)
{
  return cr_event_new (7, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC, kind, name, text, 0);
}

static void
assert_line (const char  *language,
             CrEventKind  kind,
             const char  *name,
             const char  *text,
             const char  *expected)
{
  const CrClassicTable *table = cr_classic_table_lookup (language);
  g_autoptr(CrEvent) event = make_event (kind, name, text);
  g_autoptr(GPtrArray) lines = NULL;

  g_assert_nonnull (table);
  lines = cr_classic_format_event (table, event);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (lines->pdata[0], ==, expected);
}

static void
test_chinese_lines (void)
{
  /* Byte-exact with the classroom server where it has the line. */
  assert_line ("zh_CN", CR_EVENT_CHAT, "张三", "hello world 你好", "张三 说 :hello world 你好");
  assert_line ("zh_CN", CR_EVENT_OWNER_CHAT, "teacher", "大家好", "群主说：大家好");
  /* The mission's wording. */
  assert_line ("zh_CN", CR_EVENT_JOIN, "张三", "", "【系统消息】:张三 进入了聊天室");
  assert_line ("zh_CN", CR_EVENT_LEAVE, "张三", "", "【系统消息】:张三 退出了聊天室");
  assert_line ("zh_CN", CR_EVENT_ROOM_CLOSED, "teacher", "", "【系统消息】:群主关闭了聊天室");
  assert_line ("zh_CN", CR_EVENT_UNBAN, "bob", "", "【系统消息】:群主解除了对 bob 的封禁");
  assert_line ("zh_CN", CR_EVENT_ANNOUNCE, "teacher", "10:30 开始", "【公告】10:30 开始");
  g_assert_cmpstr (cr_classic_format_reason (cr_classic_table_lookup ("zh_CN"),
                                             CR_REASON_NAME_TAKEN), ==, "该昵称已被占用");

  /* A format directive in a name or a text stays text. */
  assert_line ("zh_CN", CR_EVENT_CHAT, "bob%s", "100%s %d %n", "bob%s 说 :100%s %d %n");
}

static void
test_english_lines (void)
{
  assert_line ("en", CR_EVENT_CHAT, "alice", "hi there", "alice: hi there");
  assert_line ("en", CR_EVENT_OWNER_CHAT, "teacher", "hi", "Owner: hi");
  assert_line ("en", CR_EVENT_JOIN, "alice", "", "[System] alice joined the room");
  assert_line ("en", CR_EVENT_LEAVE, "alice", "", "[System] alice left the room");
  assert_line ("en", CR_EVENT_ANNOUNCE, "teacher", "hi", "[Announcement] hi");
  g_assert_cmpstr (cr_classic_format_reason (cr_classic_table_lookup ("en"),
                                             CR_REASON_NAME_TAKEN),
                   ==, "That nickname is already taken");
}

static void
test_lookup (void)
{
  const CrClassicTable *zh = cr_classic_table_lookup ("zh_CN");
  const CrClassicTable *en = cr_classic_table_lookup ("en");

  g_assert_nonnull (zh);
  g_assert_nonnull (en);
  g_assert_true (zh != en);
  g_assert_true (cr_classic_table_default () == zh);
  g_assert_true (cr_classic_table_lookup ("zh") == zh);
  g_assert_true (cr_classic_table_lookup ("zh_CN.UTF-8") == zh);
  g_assert_true (cr_classic_table_lookup ("en_GB") == en);
  g_assert_null (cr_classic_table_lookup ("fr"));
  g_assert_null (cr_classic_table_lookup (""));
  g_assert_null (cr_classic_table_lookup ("e"));
  g_assert_cmpstr (cr_classic_table_language (en), ==, "en");
}

/* Every kind, in both tables: format, then parse, gives the event back. */
static void
test_round_trip (void)
{
  const char *languages[] = { "zh_CN", "en" };

  for (guint l = 0; l < G_N_ELEMENTS (languages); l++)
    /* The file kinds carry a file's text (tests/test-files.c). */
    for (CrEventKind kind = CR_EVENT_CHAT; kind <= CR_EVENT_ROOM_CLOSED; kind++)
      {
        const CrClassicTable *table = cr_classic_table_lookup (languages[l]);
        g_autoptr(CrEvent) event = make_event (kind, "李四", "第一行 line: 说 : x");
        g_autoptr(GPtrArray) lines = cr_classic_format_event (table, event);
        g_autoptr(CrEvent) back = NULL;

        g_assert_cmpuint (lines->len, ==, 1);
        back = cr_classic_parse_line (lines->pdata[0], 9, 42);
        g_test_message ("%s %d: %s", languages[l], kind, (char *) lines->pdata[0]);
        g_assert_cmpint (back->kind, ==, kind);
        g_assert_cmpuint (back->seq, ==, 9);
        switch (kind)
          {
          case CR_EVENT_CHAT:
            g_assert_cmpstr (back->name, ==, "李四");
            g_assert_cmpstr (back->text, ==, "第一行 line: 说 : x");
            break;
          case CR_EVENT_OWNER_CHAT:
          case CR_EVENT_ANNOUNCE:
            g_assert_cmpstr (back->text, ==, "第一行 line: 说 : x");
            break;
          case CR_EVENT_ROOM_CLOSED:
            break;
          default:
            g_assert_cmpstr (back->name, ==, "李四");
            break;
          }
      }

  for (guint l = 0; l < G_N_ELEMENTS (languages); l++)
    for (CrReason reason = CR_REASON_NAME_TAKEN; reason <= CR_REASON_LAST; reason++)
      {
        const CrClassicTable *table = cr_classic_table_lookup (languages[l]);
        const char *line = cr_classic_format_reason (table, reason);
        CrReason back = cr_classic_parse_reason (line);

        g_assert_true (g_utf8_validate (line, -1, NULL));
        g_assert_cmpuint (strlen (line), <=, CR_CLASSIC_LINE_MAX);
        /* Either the reason's own line, or the table's general refusal. */
        g_assert_true (back == reason || back == CR_REASON_NONE);
      }
  g_assert_cmpint (cr_classic_parse_reason ("该昵称已被占用"), ==, CR_REASON_NAME_TAKEN);
  g_assert_cmpint (cr_classic_parse_reason ("聊天室已满"), ==, CR_REASON_ROOM_FULL);
  g_assert_cmpint (cr_classic_parse_reason ("OK"), ==, CR_REASON_NONE);
}

/* What the classroom server itself sends, and Chat Room 0.1's chat line. */
static void
test_classroom_server_lines (void)
{
  g_autoptr(CrEvent) join = cr_classic_parse_line ("【系统消息】:alice 进入到聊天室", 1, 0);
  g_autoptr(CrEvent) leave = cr_classic_parse_line ("【系统消息】:alice 退出了聊天室", 2, 0);
  g_autoptr(CrEvent) chat = cr_classic_parse_line ("alice 说 :helloworld", 3, 0);
  g_autoptr(CrEvent) owner = cr_classic_parse_line ("群主说：上课了", 4, 0);
  g_autoptr(CrEvent) old = cr_classic_parse_line ("alice 说：你好", 5, 0);

  g_assert_cmpint (join->kind, ==, CR_EVENT_JOIN);
  g_assert_cmpstr (join->name, ==, "alice");
  g_assert_cmpint (leave->kind, ==, CR_EVENT_LEAVE);
  g_assert_cmpint (chat->kind, ==, CR_EVENT_CHAT);
  g_assert_cmpstr (chat->name, ==, "alice");
  g_assert_cmpstr (chat->text, ==, "helloworld");
  g_assert_cmpint (owner->kind, ==, CR_EVENT_OWNER_CHAT);
  g_assert_cmpstr (owner->text, ==, "上课了");
  g_assert_cmpint (old->kind, ==, CR_EVENT_CHAT);
  g_assert_cmpstr (old->text, ==, "你好");

  /* The name ends at the first separator of any table (a fuzzer's find:
   * this read as "a:" saying "b" in Chinese). */
  {
    g_autoptr(CrEvent) en = cr_classic_parse_line ("a: 说：b", 6, 0);
    g_autoptr(CrEvent) zh = cr_classic_parse_line ("a 说 :x: y", 7, 0);

    g_assert_cmpint (en->kind, ==, CR_EVENT_CHAT);
    g_assert_cmpstr (en->name, ==, "a");
    g_assert_cmpstr (en->text, ==, "说：b");
    g_assert_cmpstr (zh->name, ==, "a");
    g_assert_cmpstr (zh->text, ==, "x: y");
  }
}

/* Lines that only look like someone's: shown as they are, attributed to
 * nobody. */
static void
test_hostile_lines (void)
{
  const char *lines[] = {
    "",
    "【系统消息】:",
    "【系统消息】: 进入了聊天室",
    "【系统消息】:two words 进入了聊天室",
    " 说 :nobody",
    "a b 说 :spaces in a name",
    "x\001y 说 :control in a name",
    "[System] ",
    "a-name-that-is-far-too-long-to-be-anyones-nickname-at-all 说 :hi",
    "说 :",
  };

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_autoptr(CrEvent) event = cr_classic_parse_line (lines[i], 1, 0);

      g_test_message ("\"%s\" → kind %d name \"%s\"", lines[i], event->kind, event->name);
      g_assert_nonnull (event);
      g_assert_true (event->kind == CR_EVENT_ANNOUNCE);
      g_assert_cmpstr (event->name, ==, "");
    }
}

static void
assert_split (const char *language,
              CrEventKind kind,
              const char *name,
              const char *text,
              const char *head)
{
  const CrClassicTable *table = cr_classic_table_lookup (language);
  g_autoptr(CrEvent) event = make_event (kind, name, text);
  g_autoptr(GPtrArray) lines = cr_classic_format_event (table, event);
  g_autoptr(GString) joined = g_string_new (NULL);

  g_assert_cmpuint (strlen (head) + strlen (text), >, CR_CLASSIC_LINE_MAX);
  g_assert_cmpuint (lines->len, >=, 2);
  for (guint i = 0; i < lines->len; i++)
    {
      const char *line = lines->pdata[i];
      g_autoptr(CrEvent) back = cr_classic_parse_line (line, 1, 0);

      g_assert_cmpuint (strlen (line), <=, CR_CLASSIC_LINE_MAX);
      g_assert_true (g_utf8_validate (line, -1, NULL));
      g_assert_true (g_str_has_prefix (line, head));
      /* Every piece still says who spoke. */
      g_assert_cmpint (back->kind, ==, kind);
      g_string_append (joined, line + strlen (head));
      /* Pieces are as long as the buffer allows (but for the last). */
      if (i + 1 < lines->len)
        g_assert_cmpuint (strlen (line), >, CR_CLASSIC_LINE_MAX - 4);
    }
  g_assert_cmpstr (joined->str, ==, text);
}

static void
test_split (void)
{
  g_autoptr(GString) chinese = g_string_new (NULL);
  g_autoptr(GString) mixed = g_string_new (NULL);
  g_autoptr(GString) emoji = g_string_new (NULL);

  /* 4 KiB: 1 365 three-byte characters and one byte. */
  while (chinese->len + 3 <= CR_TEXT_MAX_BYTES)
    g_string_append (chinese, "汉");
  while (chinese->len < CR_TEXT_MAX_BYTES)
    g_string_append_c (chinese, 'x');
  assert_split ("zh_CN", CR_EVENT_CHAT, "张三", chinese->str, "张三 说 :");
  assert_split ("en", CR_EVENT_CHAT, "张三", chinese->str, "张三: ");

  /* Cuts that would fall inside a four-byte and a three-byte character. */
  g_string_append_c (mixed, 'a');
  while (mixed->len + 4 <= CR_TEXT_MAX_BYTES)
    g_string_append (mixed, mixed->len % 2 ? "😀" : "说");
  assert_split ("zh_CN", CR_EVENT_OWNER_CHAT, "teacher", mixed->str, "群主说：");
  while (emoji->len + 4 <= 1500)
    g_string_append (emoji, "😀");
  assert_split ("zh_CN", CR_EVENT_ANNOUNCE, "teacher", emoji->str, "【公告】");

  /* A line that fits exactly is not split. */
  {
    g_autofree char *text = g_strnfill (CR_CLASSIC_LINE_MAX - strlen ("bob 说 :"), 'y');
    g_autoptr(CrEvent) event = make_event (CR_EVENT_CHAT, "bob", text);
    g_autoptr(GPtrArray) lines = cr_classic_format_event (cr_classic_table_default (), event);

    g_assert_cmpuint (lines->len, ==, 1);
    g_assert_cmpuint (strlen (lines->pdata[0]), ==, CR_CLASSIC_LINE_MAX);
  }
  /* An empty text is one line. */
  {
    g_autoptr(CrEvent) event = make_event (CR_EVENT_CHAT, "bob", "");
    g_autoptr(GPtrArray) lines = cr_classic_format_event (cr_classic_table_default (), event);

    g_assert_cmpuint (lines->len, ==, 1);
    g_assert_cmpstr (lines->pdata[0], ==, "bob 说 :");
  }
}

int
main (int   argc,
      char *argv[])
{
  /* The tables need no locale at all. */
  setlocale (LC_ALL, "C");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/classic-lines/chinese", test_chinese_lines);
  g_test_add_func ("/chatroom/classic-lines/english", test_english_lines);
  g_test_add_func ("/chatroom/classic-lines/lookup", test_lookup);
  g_test_add_func ("/chatroom/classic-lines/round-trip", test_round_trip);
  g_test_add_func ("/chatroom/classic-lines/classroom-server", test_classroom_server_lines);
  g_test_add_func ("/chatroom/classic-lines/hostile", test_hostile_lines);
  g_test_add_func ("/chatroom/classic-lines/split", test_split);

  return g_test_run ();
}
