/* test-render.c: events and reasons in both languages, whatever the process
 * locale, and a complete Chinese catalog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-render"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cr-render.h"

/* glibc's count of catalog switches (see cr-render.c). */
extern int _nl_msg_cat_cntr;

static CrEvent *
make_event (CrEventKind  kind,
            const char  *name,
            const char  *text)
{
  return cr_event_new (1, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC, kind, name, text, 0);
}

static void
assert_event (CrEventKind  kind,
              const char  *language,
              const char  *expected)
{
  g_autoptr(CrEvent) event = make_event (kind, "alice", "");
  g_autofree char *line = cr_render_event (event, language);

  g_assert_cmpstr (line, ==, expected);
}

static void
assert_join_in_both (void)
{
  assert_event (CR_EVENT_JOIN, "zh_CN", "alice 进入了聊天室");
  assert_event (CR_EVENT_JOIN, "en", "alice joined the room");
  assert_event (CR_EVENT_LEAVE, "zh_CN", "alice 退出了聊天室");
  assert_event (CR_EVENT_LEAVE, "en", "alice left the room");
}

/* The process environment is the test's to set only in a subprocess. */
static void
reset_environment (const char *lang,
                   const char *language)
{
  g_unsetenv ("LC_ALL");
  g_unsetenv ("LC_MESSAGES");
  g_setenv ("LANG", lang, TRUE);
  if (language != NULL)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  cr_locale_init ();
}

static void
test_join_both_languages (void)
{
  assert_join_in_both ();
  /* Again: the switch back and forth must not leave a stale cache behind. */
  assert_join_in_both ();
}

static void
test_c_utf8_no_language (void)
{
  if (g_test_subprocess ())
    {
      reset_environment ("C.UTF-8", NULL);
      assert_join_in_both ();
      /* The process's own language stays English, before and after. */
      assert_event (CR_EVENT_JOIN, NULL, "alice joined the room");
      g_assert_null (g_getenv ("LANGUAGE"));

      setlocale (LC_ALL, "C");
      assert_join_in_both ();
      assert_event (CR_EVENT_JOIN, NULL, "alice joined the room");
      g_assert_null (g_getenv ("LANGUAGE"));
      g_assert_cmpstr (setlocale (LC_ALL, NULL), ==, "C");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_process_chinese (void)
{
  if (g_test_subprocess ())
    {
      reset_environment ("C.UTF-8", "zh_CN");
      /* NULL is the process's language: Chinese here. */
      assert_event (CR_EVENT_JOIN, NULL, "alice 进入了聊天室");
      assert_join_in_both ();
      /* Rendering English in between did not change the process's. */
      assert_event (CR_EVENT_JOIN, NULL, "alice 进入了聊天室");
      g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "zh_CN");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_process_other_language (void)
{
  if (g_test_subprocess ())
    {
      /* A language without a catalog: the process reads English, and
       * Chinese must still work (g_dgettext would give up for good here). */
      reset_environment ("C.UTF-8", "de");
      assert_event (CR_EVENT_JOIN, NULL, "alice joined the room");
      assert_join_in_both ();
      assert_event (CR_EVENT_JOIN, NULL, "alice joined the room");
      g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "de");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_ungenerated_locale (void)
{
  if (g_test_subprocess ())
    {
      /* Not generated on a bare Debian: still Chinese, and
       * a UTF-8 locale. Where it is generated, the same holds. */
      reset_environment ("zh_CN.UTF-8", NULL);
      assert_event (CR_EVENT_JOIN, NULL, "alice 进入了聊天室");
      assert_join_in_both ();
      g_assert_nonnull (strstr (setlocale (LC_CTYPE, NULL), "UTF-8"));
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_switch_bounded (void)
{
  int before;

  assert_join_in_both ();
  before = _nl_msg_cat_cntr;

  /* Rendering one line in another language again and again must not
   * switch gettext again after the first time (the counter is an int that
   * must not wrap, and the switch goes through setenv). */
  for (int i = 0; i < 1000; i++)
    {
      g_autoptr(CrEvent) event = make_event (CR_EVENT_JOIN, "alice", "");
      g_autofree char *line = cr_render_event (event, "zh_CN");

      g_assert_cmpstr (line, ==, "alice 进入了聊天室");
    }
  g_assert_cmpint (_nl_msg_cat_cntr - before, <=, 4);
}

static void
test_event_kinds (void)
{
  /* The file kinds carry a file's text (tests/test-files.c). */
  for (CrEventKind kind = CR_EVENT_CHAT; kind <= CR_EVENT_ROOM_CLOSED; kind++)
    {
      g_autoptr(CrEvent) event = make_event (kind, "alice", "hello");
      g_autofree char *zh = cr_render_event (event, "zh_CN");
      g_autofree char *en = cr_render_event (event, "en");

      g_test_message ("kind %d: \"%s\" / \"%s\"", kind, zh, en);
      g_assert_true (g_utf8_validate (zh, -1, NULL));

      if (cr_event_kind_is_chat (kind))
        {
          /* A chat row shows the text alone, in any language. */
          g_assert_cmpstr (zh, ==, "hello");
          g_assert_cmpstr (en, ==, "hello");
        }
      else
        {
          g_assert_cmpstr (zh, !=, "");
          g_assert_cmpstr (en, !=, "");
          g_assert_cmpstr (zh, !=, en);
          if (kind == CR_EVENT_ANNOUNCE)
            {
              g_assert_nonnull (strstr (zh, "hello"));
              g_assert_nonnull (strstr (en, "hello"));
            }
          else if (kind != CR_EVENT_ROOM_CLOSED)
            {
              g_assert_nonnull (strstr (zh, "alice"));
              g_assert_nonnull (strstr (en, "alice"));
            }
        }
    }
}

static void
test_event_lines (void)
{
  assert_event (CR_EVENT_TIMEOUT, "zh_CN", "alice 超时，已离开聊天室");
  assert_event (CR_EVENT_TIMEOUT, "en", "alice timed out and left the room");
  assert_event (CR_EVENT_KICK, "zh_CN", "alice 被群主移出了聊天室");
  assert_event (CR_EVENT_MUTE, "zh_CN", "alice 已被群主禁言");
  assert_event (CR_EVENT_ROOM_CLOSED, "zh_CN", "群主关闭了聊天室");
  assert_event (CR_EVENT_ROOM_CLOSED, "en", "The owner closed the room");
}

static void
test_reasons (void)
{
  for (int reason = CR_REASON_NONE; reason <= CR_REASON_LAST; reason++)
    {
      g_autofree char *zh = cr_render_reason (reason, "zh_CN");
      g_autofree char *en = cr_render_reason (reason, "en");

      g_test_message ("reason %d: \"%s\" / \"%s\"", reason, zh, en);
      g_assert_cmpstr (zh, !=, "");
      g_assert_cmpstr (en, !=, "");
      g_assert_cmpstr (zh, !=, en);
      g_assert_true (g_utf8_validate (zh, -1, NULL));
    }
}

static void
test_reason_lines (void)
{
  g_autofree char *taken_zh = cr_render_reason (CR_REASON_NAME_TAKEN, "zh_CN");
  g_autofree char *taken_en = cr_render_reason (CR_REASON_NAME_TAKEN, "en");
  g_autofree char *silent_zh = cr_render_reason (CR_REASON_NO_ANSWER, "zh_CN");
  g_autofree char *silent_en = cr_render_reason (CR_REASON_NO_ANSWER, "en");
  g_autofree char *unknown = cr_render_reason (999, "en");

  g_assert_cmpstr (taken_zh, ==, "该昵称已被占用");
  g_assert_cmpstr (taken_en, ==, "That nickname is already taken");
  g_assert_nonnull (strstr (silent_en, "address"));
  g_assert_nonnull (strstr (silent_en, "firewall"));
  g_assert_nonnull (strstr (silent_en, "UDP"));
  g_assert_nonnull (strstr (silent_zh, "防火墙"));
  g_assert_nonnull (strstr (silent_zh, "UDP"));
  g_assert_cmpstr (unknown, ==, "Unknown error (999)");
}

static void
test_unknown_kind (void)
{
  g_autoptr(CrEvent) event = make_event (CR_EVENT_LAST + 5, "alice", "from the future");
  g_autofree char *line = cr_render_event (event, "zh_CN");

  g_assert_cmpstr (line, ==, "from the future");
}

static char *
run_tool (const char * const *argv,
          int                *out_status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) envp = g_get_environ ();

  /* The tools' own messages in English, whatever the test's locale. */
  envp = g_environ_setenv (envp, "LC_ALL", "C", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, out_status, &error))
    {
      g_test_message ("%s: %s", argv[0], error->message);
      return NULL;
    }
  return g_strconcat (out, err, NULL);
}

static void
test_catalog_complete (void)
{
  g_autofree char *po_dir = g_build_filename (g_test_get_dir (G_TEST_DIST), "..", "po", NULL);
  g_autofree char *src_root = g_build_filename (g_test_get_dir (G_TEST_DIST), "..", NULL);
  g_autofree char *po = g_build_filename (po_dir, "zh_CN.po", NULL);
  g_autofree char *potfiles = g_build_filename (po_dir, "POTFILES.in", NULL);
  const char *localedir = BUILD_LOCALEDIR;
  g_autofree char *mo = NULL;
  g_autofree char *stats = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *pot = NULL;
  g_autofree char *cmp = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  /* The catalog the tests read is the one the build made. */
  mo = g_build_filename (localedir, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (po, G_FILE_TEST_IS_REGULAR));

  {
    const char * const argv[] = { "msgfmt", "--check", "--statistics", "-o", "/dev/null", po, NULL };

    stats = run_tool (argv, &status);
  }
  if (stats == NULL)
    {
      g_test_skip ("msgfmt is not installed");
      return;
    }
  g_test_message ("%s", stats);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (stats, "translated message"));
  g_assert_null (strstr (stats, "untranslated"));
  g_assert_null (strstr (stats, "fuzzy"));

  /* And the .po has every string the sources mark, not just a complete
   * translation of an old template: extract as meson's glib preset does. */
  tmp_dir = g_dir_make_tmp ("test-render-XXXXXX", &error);
  g_assert_no_error (error);
  pot = g_build_filename (tmp_dir, "fresh.pot", NULL);
  {
    const char * const argv[] = {
      "xgettext", "--from-code=UTF-8", "--add-comments",
      "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
      "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
      "-D", src_root, "-f", potfiles, "-o", pot, NULL
    };
    g_autofree char *xout = run_tool (argv, &status);

    g_autofree char *contents = NULL;

    g_assert_nonnull (xout);
    g_test_message ("%s", xout);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    /* An extraction that found nothing would compare clean. */
    g_assert_true (g_file_get_contents (pot, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "msgid \"%s joined the room\""));
    g_assert_nonnull (strstr (contents, "msgid \"The room is full\""));
  }
  {
    const char * const argv[] = { "msgcmp", po, pot, NULL };

    /* msgcmp fails on any extracted string that has no translation. */
    cmp = run_tool (argv, &status);
    g_assert_nonnull (cmp);
    if (!g_spawn_check_wait_status (status, NULL))
      g_test_message ("po/zh_CN.po is behind the sources:\n%s", cmp);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }

  g_unlink (pot);
  g_rmdir (tmp_dir);
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/render/join-both-languages", test_join_both_languages);
  g_test_add_func ("/chatroom/render/c-utf8-no-language", test_c_utf8_no_language);
  g_test_add_func ("/chatroom/render/process-chinese", test_process_chinese);
  g_test_add_func ("/chatroom/render/process-other-language", test_process_other_language);
  g_test_add_func ("/chatroom/render/ungenerated-locale", test_ungenerated_locale);
  g_test_add_func ("/chatroom/render/switch-bounded", test_switch_bounded);
  g_test_add_func ("/chatroom/render/event-kinds", test_event_kinds);
  g_test_add_func ("/chatroom/render/event-lines", test_event_lines);
  g_test_add_func ("/chatroom/render/reasons", test_reasons);
  g_test_add_func ("/chatroom/render/reason-lines", test_reason_lines);
  g_test_add_func ("/chatroom/render/unknown-kind", test_unknown_kind);
  g_test_add_func ("/chatroom/render/catalog-complete", test_catalog_complete);

  return g_test_run ();
}
