/* test-store.c: the SQLite store, on real files in a temporary folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-store"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "cr-store-private.h"
#include "cr-store.h"
#include "cr-test-utils.h"

#define T0 ((gint64) 1700000000 * G_USEC_PER_SEC)
#define KILL_DIR_ENV "CR_TEST_STORE_KILL_DIR"

typedef struct {
  char *dir;   /* a fresh temporary folder, removed after the test */
} Fixture;

/* Removes a folder tree this test made; bounded by its (small) depth. */
static void
remove_tree (const char *path,
             guint       depth)
{
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  g_assert_cmpuint (depth, <, 8);

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, entry, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
          !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child, depth + 1);
      else
        g_assert_no_errno (g_remove (child));
    }
  g_assert_no_errno (g_rmdir (path));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("chatroom-store-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->dir, 0);
  g_assert_false (g_file_test (fixture->dir, G_FILE_TEST_EXISTS));
  g_free (fixture->dir);
}

static CrStore *
open_store (const char *dir)
{
  g_autoptr(GError) error = NULL;
  CrStore *store = cr_store_open (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);
  return store;
}

/* Reads the stored hash straight from the file, behind the store's back. */
static char *
read_hash (const char *db_path,
           const char *fold)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *hash = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT hash FROM accounts WHERE fold = ?1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return hash;
}

static void
test_open (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (fixture->dir, "a", "b", NULL);
  g_autofree char *expected = g_build_filename (dir, "chatroom.db", NULL);
  g_autoptr(CrStore) store = NULL;
  GStatBuf st;

  /* The folder does not exist yet: it is made, private. */
  store = open_store (dir);
  g_assert_cmpstr (cr_store_get_path (store), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_REGULAR));
  g_assert_no_errno (g_stat (dir, &st));
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_no_errno (g_stat (expected, &st));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpuint (cr_store_get_last_seq (store), ==, 0);

  {
    g_autoptr(GPtrArray) bans = cr_store_list_bans (store);
    g_autoptr(GPtrArray) events = cr_store_last_events (store, 50);

    g_assert_cmpuint (bans->len, ==, 0);
    g_assert_cmpuint (events->len, ==, 0);
  }
}

static void
test_accounts (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CrStore) store = open_store (fixture->dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = cr_name_fold ("Alice");
  g_autofree char *alice_upper = cr_name_fold ("ALICE");
  g_autofree char *rene = cr_name_fold ("Ren\xc3\xa9");
  g_autofree char *rene_upper = cr_name_fold ("REN\xc3\x89");
  g_autofree char *hash = NULL;

  g_assert_false (cr_store_has_account (store, alice));
  g_assert_false (cr_store_check_password (store, alice, "secret"));

  g_assert_true (cr_store_add_account (store, alice, "Alice", "secret", &error));
  g_assert_no_error (error);
  g_assert_true (cr_store_has_account (store, alice));
  /* Keys are folds: any case of the name finds the account. */
  g_assert_true (cr_store_has_account (store, alice_upper));
  g_assert_false (cr_store_has_account (store, "bob"));

  g_assert_true (cr_store_check_password (store, alice, "secret"));
  g_assert_true (cr_store_check_password (store, alice_upper, "secret"));
  g_assert_false (cr_store_check_password (store, alice, "Secret"));
  g_assert_false (cr_store_check_password (store, alice, "secre"));
  g_assert_false (cr_store_check_password (store, alice, ""));
  g_assert_false (cr_store_check_password (store, alice, NULL));
  g_assert_false (cr_store_check_password (store, "bob", "secret"));

  /* A second account of the same name, in any case: EXISTS. */
  g_assert_false (cr_store_add_account (store, alice_upper, "ALICE", "other", &error));
  g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  /* ... and the first password still holds. */
  g_assert_true (cr_store_check_password (store, alice, "secret"));
  g_assert_false (cr_store_check_password (store, alice, "other"));

  /* Non-ASCII names and passwords. */
  g_assert_true (cr_store_add_account (store, rene, "Ren\xc3\xa9",
                                       "\xe5\xaf\x86\xe7\xa0\x81", &error));
  g_assert_no_error (error);
  g_assert_true (cr_store_check_password (store, rene_upper, "\xe5\xaf\x86\xe7\xa0\x81"));
  g_assert_false (cr_store_check_password (store, rene, "secret"));

  /* What is on disk is an Argon2id string, never the password. */
  hash = read_hash (cr_store_get_path (store), alice);
  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_null (strstr (hash, "secret"));
}

static void
test_default_cost (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CrStore) store = cr_store_open (fixture->dir, &error);
  g_autofree char *hash = NULL;
  g_autofree char *hash_min = NULL;

  g_assert_no_error (error);
  /* No cost set: libsodium's interactive limits (64 MiB, 2 passes). */
  g_assert_true (cr_store_add_account (store, "carol", "carol", "correct horse", &error));
  g_assert_no_error (error);
  g_assert_true (cr_store_check_password (store, "carol", "correct horse"));
  g_assert_false (cr_store_check_password (store, "carol", "correct horse "));

  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);
  g_assert_true (cr_store_add_account (store, "dave", "dave", "battery", &error));
  g_assert_no_error (error);
  g_assert_true (cr_store_check_password (store, "dave", "battery"));

  hash = read_hash (cr_store_get_path (store), "carol");
  hash_min = read_hash (cr_store_get_path (store), "dave");
  g_assert_nonnull (strstr (hash, "$m=65536,t=2,p=1$"));
  g_assert_null (strstr (hash_min, "$m=65536,"));
}

static void
test_bans (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mallory = cr_name_fold ("Mallory");

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(GPtrArray) bans = NULL;

    g_assert_true (cr_store_set_banned (store, mallory, "Mallory", TRUE, &error));
    g_assert_no_error (error);
    g_assert_true (cr_store_set_banned (store, "trudy", "Trudy", TRUE, &error));
    g_assert_no_error (error);
    g_assert_true (cr_store_set_banned (store, "eve", "eve", TRUE, &error));
    g_assert_no_error (error);
    /* Banning twice keeps one entry, with the newest spelling. */
    g_assert_true (cr_store_set_banned (store, "eve", "EVE", TRUE, &error));
    g_assert_no_error (error);
    /* Lifting a ban that is not there is fine. */
    g_assert_true (cr_store_set_banned (store, "nobody", NULL, FALSE, &error));
    g_assert_no_error (error);

    bans = cr_store_list_bans (store);
    g_assert_cmpuint (bans->len, ==, 3);
  }

  /* Closed and opened again: the bans are still there. */
  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(GPtrArray) bans = cr_store_list_bans (store);

    g_assert_cmpuint (bans->len, ==, 3);
    g_assert_cmpstr (g_ptr_array_index (bans, 0), ==, "EVE");
    g_assert_cmpstr (g_ptr_array_index (bans, 1), ==, "Mallory");
    g_assert_cmpstr (g_ptr_array_index (bans, 2), ==, "Trudy");

    g_assert_true (cr_store_set_banned (store, "trudy", "Trudy", FALSE, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(GPtrArray) bans = cr_store_list_bans (store);

    g_assert_cmpuint (bans->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (bans, 0), ==, "EVE");
    g_assert_cmpstr (g_ptr_array_index (bans, 1), ==, "Mallory");
  }
}

static void
append_events (CrStore *store,
               guint64  first,
               guint64  last)
{
  for (guint64 seq = first; seq <= last; seq++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("message %" G_GUINT64_FORMAT, seq);
      g_autoptr(CrEvent) event = cr_event_new (seq, T0 + (gint64) seq,
                                               seq % 5 == 0 ? CR_EVENT_JOIN : CR_EVENT_CHAT,
                                               "alice", seq % 5 == 0 ? "" : text, seq * 3);

      g_assert_true (cr_store_append_event (store, event, &error));
      g_assert_no_error (error);
    }
}

static void
assert_events (GPtrArray *events,
               guint64    first,
               guint      count)
{
  g_assert_cmpuint (events->len, ==, count);
  for (guint i = 0; i < events->len; i++)
    {
      const CrEvent *event = g_ptr_array_index (events, i);
      guint64 seq = first + i;
      g_autofree char *text = g_strdup_printf ("message %" G_GUINT64_FORMAT, seq);

      g_assert_cmpuint (event->seq, ==, seq);
      g_assert_cmpint (event->time_us, ==, T0 + (gint64) seq);
      g_assert_cmpint (event->kind, ==, seq % 5 == 0 ? CR_EVENT_JOIN : CR_EVENT_CHAT);
      g_assert_cmpstr (event->name, ==, "alice");
      g_assert_cmpstr (event->text, ==, seq % 5 == 0 ? "" : text);
      g_assert_cmpuint (event->origin, ==, seq * 3);
    }
}

static void
test_events (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(CrStore) store = open_store (fixture->dir);
  g_autoptr(GError) error = NULL;

  append_events (store, 1, 120);
  g_assert_cmpuint (cr_store_get_last_seq (store), ==, 120);

  /* The newest 50, oldest first. */
  {
    g_autoptr(GPtrArray) events = cr_store_last_events (store, CR_HISTORY_ON_JOIN);

    assert_events (events, 71, 50);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_last_events (store, 500);

    assert_events (events, 1, 120);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_last_events (store, 0);

    g_assert_cmpuint (events->len, ==, 0);
  }

  /* A reconnecting client resumes after its last seq. */
  {
    g_autoptr(GPtrArray) events = cr_store_events_after (store, 100, 10);

    assert_events (events, 101, 10);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_events_after (store, 115, 50);

    assert_events (events, 116, 5);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_events_after (store, 0, 1000);

    assert_events (events, 1, 120);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_events_after (store, 120, 50);

    g_assert_cmpuint (events->len, ==, 0);
  }
  {
    g_autoptr(GPtrArray) events = cr_store_events_after (store, G_MAXUINT64, 50);

    g_assert_cmpuint (events->len, ==, 0);
  }

  /* A seq is stored once. */
  {
    g_autoptr(CrEvent) event = cr_event_new (120, T0, CR_EVENT_CHAT, "bob", "again", 0);

    g_assert_false (cr_store_append_event (store, event, &error));
    g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "UNIQUE"));
    g_clear_error (&error);
  }

  /* Whole guint64 origins, Unicode and newlines survive. */
  {
    g_autoptr(CrEvent) event = cr_event_new (121, -5, CR_EVENT_OWNER_CHAT,
                                             "\xe7\xbe\xa4\xe4\xb8\xbb",
                                             "line one\nline \xe4\xba\x8c\t!", G_MAXUINT64);
    g_autoptr(GPtrArray) events = NULL;
    const CrEvent *back;

    g_assert_true (cr_store_append_event (store, event, &error));
    g_assert_no_error (error);
    events = cr_store_events_after (store, 120, 1);
    g_assert_cmpuint (events->len, ==, 1);
    back = g_ptr_array_index (events, 0);
    g_assert_cmpuint (back->seq, ==, 121);
    g_assert_cmpint (back->time_us, ==, -5);
    g_assert_cmpint (back->kind, ==, CR_EVENT_OWNER_CHAT);
    g_assert_cmpstr (back->name, ==, event->name);
    g_assert_cmpstr (back->text, ==, event->text);
    g_assert_cmpuint (back->origin, ==, G_MAXUINT64);
  }
  g_assert_cmpuint (cr_store_get_last_seq (store), ==, 121);
}

static void
test_settings (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CrStore) store = open_store (fixture->dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *value = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *empty = NULL;

  missing = cr_store_get_setting (store, "room-name");
  g_assert_null (missing);

  g_assert_true (cr_store_set_setting (store, "room-name", "\xe4\xb8\x80\xe7\x8f\xad", &error));
  g_assert_no_error (error);
  value = cr_store_get_setting (store, "room-name");
  g_assert_cmpstr (value, ==, "\xe4\xb8\x80\xe7\x8f\xad");

  g_assert_true (cr_store_set_setting (store, "room-name", "Class 2", &error));
  g_assert_no_error (error);
  changed = cr_store_get_setting (store, "room-name");
  g_assert_cmpstr (changed, ==, "Class 2");

  g_assert_true (cr_store_set_setting (store, "motd", "", &error));
  g_assert_no_error (error);
  empty = cr_store_get_setting (store, "motd");
  g_assert_cmpstr (empty, ==, "");
}

static void
test_reopen (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);

    g_assert_true (cr_store_add_account (store, "alice", "Alice", "secret", &error));
    g_assert_no_error (error);
    g_assert_true (cr_store_set_banned (store, "mallory", "Mallory", TRUE, &error));
    g_assert_no_error (error);
    g_assert_true (cr_store_set_setting (store, "room-name", "Lab", &error));
    g_assert_no_error (error);
    append_events (store, 1, 60);
  }

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(CrStore) store = open_store (fixture->dir);
      g_autoptr(GPtrArray) bans = cr_store_list_bans (store);
      g_autoptr(GPtrArray) events = NULL;
      g_autofree char *name = cr_store_get_setting (store, "room-name");

      g_assert_true (cr_store_has_account (store, "alice"));
      g_assert_true (cr_store_check_password (store, "alice", "secret"));
      g_assert_false (cr_store_check_password (store, "alice", "guess"));
      g_assert_cmpuint (bans->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (bans, 0), ==, "Mallory");
      g_assert_cmpstr (name, ==, "Lab");
      g_assert_cmpuint (cr_store_get_last_seq (store), ==, 60 + 10 * round);
      events = cr_store_last_events (store, 50);
      assert_events (events, 11 + 10 * round, 50);

      /* The history continues where it stopped. */
      append_events (store, 61 + 10 * round, 70 + 10 * round);
    }
}

static void
test_two_handles (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(CrStore) first = open_store (fixture->dir);
  g_autoptr(CrStore) second = open_store (fixture->dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;

  /* chatroomd and chatroom-cli may open the same file: WAL lets a reader
   * see every commit of the writer, and each writes in turn. */
  append_events (first, 1, 10);
  g_assert_cmpuint (cr_store_get_last_seq (second), ==, 10);
  append_events (second, 11, 20);
  g_assert_cmpuint (cr_store_get_last_seq (first), ==, 20);

  g_assert_true (cr_store_set_setting (second, "room-name", "Shared", &error));
  g_assert_no_error (error);
  value = cr_store_get_setting (first, "room-name");
  g_assert_cmpstr (value, ==, "Shared");

  g_assert_true (cr_store_add_account (first, "alice", "alice", "secret", &error));
  g_assert_no_error (error);
  g_assert_false (cr_store_add_account (second, "alice", "Alice", "other", &error));
  g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS);
}

/* The child half of test_kill: append, then die without closing. */
static void
kill_child (void)
{
  const char *dir = g_getenv (KILL_DIR_ENV);
  g_autoptr(GError) error = NULL;
  CrStore *store;

  g_assert_nonnull (dir);
  store = cr_store_open (dir, &error);
  g_assert_no_error (error);
  append_events (store, 1, 30);
  g_assert_true (cr_store_set_banned (store, "mallory", "Mallory", TRUE, &error));
  g_assert_no_error (error);
  /* No cr_store_close: no checkpoint, no flush; only the WAL has it. */
  kill (getpid (), SIGKILL);
  g_assert_not_reached ();
}

static void
test_kill (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *wal = NULL;
  g_autoptr(CrStore) store = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) bans = NULL;

  g_setenv (KILL_DIR_ENV, fixture->dir, TRUE);
  g_test_trap_subprocess ("/chatroom/store/kill/subprocess", 60 * G_USEC_PER_SEC,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();   /* killed, not exited */
  g_unsetenv (KILL_DIR_ENV);

  /* The killed process left its commits in the write-ahead log. */
  wal = g_strconcat (fixture->dir, G_DIR_SEPARATOR_S, "chatroom.db-wal", NULL);
  g_assert_true (g_file_test (wal, G_FILE_TEST_IS_REGULAR));

  store = open_store (fixture->dir);
  g_assert_cmpuint (cr_store_get_last_seq (store), ==, 30);
  events = cr_store_events_after (store, 0, 100);
  assert_events (events, 1, 30);
  bans = cr_store_list_bans (store);
  g_assert_cmpuint (bans->len, ==, 1);
}

static void
test_kill_subprocess (void)
{
  if (g_test_subprocess ())
    kill_child ();
  else
    g_test_skip ("Runs only as the child of /chatroom/store/kill");
}

static void
assert_open_fails (const char *dir,
                   const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CrStore) store = cr_store_open (dir, &error);

  g_assert_null (store);
  g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED);
  g_test_message ("Expected error: %s", error->message);
  if (fragment != NULL)
    g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (fixture->dir, "plain-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "room", NULL);
  g_autofree char *corrupt_dir = g_build_filename (fixture->dir, "corrupt", NULL);
  g_autofree char *corrupt_db = g_build_filename (corrupt_dir, "chatroom.db", NULL);
  g_autofree char *dir_dir = g_build_filename (fixture->dir, "dir", NULL);
  g_autofree char *dir_db = g_build_filename (dir_dir, "chatroom.db", NULL);
  g_autofree char *newer_dir = g_build_filename (fixture->dir, "newer", NULL);
  g_autofree char *garbage = g_strnfill (8192, 'x');

  /* The folder is a file, or lies under one. */
  g_assert_true (g_file_set_contents (file, "not a folder", -1, &error));
  g_assert_no_error (error);
  assert_open_fails (file, NULL);
  assert_open_fails (under_file, NULL);

  /* The database is garbage. */
  g_assert_no_errno (g_mkdir (corrupt_dir, 0700));
  g_assert_true (g_file_set_contents (corrupt_db, garbage, 8192, &error));
  g_assert_no_error (error);
  assert_open_fails (corrupt_dir, "not a database");

  /* The database is a folder. */
  g_assert_no_errno (g_mkdir_with_parents (dir_db, 0700));
  assert_open_fails (dir_dir, NULL);

  /* A file from a newer version of the program is left alone. */
  {
    g_autoptr(CrStore) store = open_store (newer_dir);
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (cr_store_get_path (store), &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL),
                     ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  }
  assert_open_fails (newer_dir, "newer");
}

/* The halves a caller uses to hash off its main thread: the hash and its
 * check touch no store (a worker thread runs them), the store only reads
 * and writes the string. */
static void
test_password_halves (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(CrStore) store = open_store (fixture->dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *from_file = NULL;
  g_autofree char *db_path = g_build_filename (fixture->dir, "chatroom.db", NULL);

  hash = cr_store_hash_password ("secret1", CR_PWHASH_MIN);
  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_true (cr_store_verify_password (hash, "secret1"));
  g_assert_false (cr_store_verify_password (hash, "secret2"));
  g_assert_false (cr_store_verify_password (NULL, "secret1"));
  g_assert_false (cr_store_verify_password ("not a hash", "secret1"));

  g_assert_null (cr_store_dup_password_hash (store, "carol"));
  g_assert_true (cr_store_add_account_hash (store, "carol", "Carol", hash, &error));
  g_assert_no_error (error);
  stored = cr_store_dup_password_hash (store, "carol");
  g_assert_cmpstr (stored, ==, hash);
  from_file = read_hash (db_path, "carol");
  g_assert_cmpstr (from_file, ==, hash);
  g_assert_true (cr_store_check_password (store, "carol", "secret1"));

  /* Registered by someone else while this one hashed. */
  g_assert_false (cr_store_add_account_hash (store, "carol", "CAROL", hash, &error));
  g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS);
}

static gint64
user_version (const char *db_path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version = -1;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  return version;
}

/* Look-alikes of accounts: each account keeps its skeleton, and a file
 * from schema 1 (no skeletons) gets them when it is opened. */
static void
test_lookalikes (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (fixture->dir, "chatroom.db", NULL);
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  /* Schema 1 as the first release wrote it, with accounts in it: one
   * whose name is not a nickname (a damaged row) and falls back on its
   * fold. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
                                 "CREATE TABLE accounts (fold TEXT PRIMARY KEY NOT NULL,"
                                 " name TEXT NOT NULL, hash TEXT NOT NULL,"
                                 " created INTEGER NOT NULL) WITHOUT ROWID;"
                                 "CREATE TABLE bans (fold TEXT PRIMARY KEY NOT NULL,"
                                 " name TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;"
                                 "CREATE TABLE events (seq INTEGER PRIMARY KEY,"
                                 " time_us INTEGER NOT NULL, kind INTEGER NOT NULL,"
                                 " name TEXT NOT NULL, text TEXT NOT NULL,"
                                 " origin INTEGER NOT NULL DEFAULT 0);"
                                 "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL,"
                                 " value TEXT NOT NULL) WITHOUT ROWID;"
                                 "INSERT INTO accounts VALUES ('bob', 'Bob', 'x', 0);"
                                 "INSERT INTO accounts VALUES ('alice', 'bad name', 'x', 0);"
                                 "PRAGMA user_version = 1;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autofree char *bob = cr_name_skeleton ("b\xd0\xbe" "b");      /* Cyrillic о */
    g_autofree char *alice = cr_name_skeleton ("AIice");

    g_assert_cmpint (user_version (db_path), ==, 4);   /* 1 → 2 → 3 → 4 */
    g_assert_cmpint (cr_store_get_damage (store), ==, CR_STORE_DAMAGE_NONE);

    g_assert_true (cr_store_find_lookalike (store, bob, "b\xd0\xbe" "b", &name));
    g_assert_cmpstr (name, ==, "Bob");
    g_clear_pointer (&name, g_free);
    /* Its own account is not a look-alike of itself. */
    g_assert_false (cr_store_find_lookalike (store, bob, "bob", &name));
    g_assert_null (name);
    g_assert_true (cr_store_find_lookalike (store, alice, "aiice", NULL));

    /* New accounts get theirs when they are made. */
    g_assert_true (cr_store_add_account (store, "张三", "张三", "secret1", &error));
    g_assert_no_error (error);
    {
      g_autofree char *zhang = cr_name_skeleton ("张三");

      g_assert_true (cr_store_find_lookalike (store, zhang, "x", &name));
      g_assert_cmpstr (name, ==, "张三");
      g_clear_pointer (&name, g_free);
    }
    g_assert_false (cr_store_find_lookalike (store, "carol", "carol", NULL));
  }

  /* Opened again: nothing left to fill, the same answers. */
  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autofree char *bob = cr_name_skeleton ("B0B");

    g_assert_true (cr_store_find_lookalike (store, bob, "b0b", &name));
    g_assert_cmpstr (name, ==, "Bob");
    g_clear_pointer (&name, g_free);
  }
}

/* Mutes (schema 4): kept with their end on the wall clock, replaced by a
 * new mute of the same name, lifted, and still there after a reopen; a
 * row that no room writes mutes nobody. */
static void
test_mutes (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (fixture->dir, "chatroom.db", NULL);
  g_autoptr(GError) error = NULL;
  const gint64 hour = G_GINT64_CONSTANT (1800000000) * G_USEC_PER_SEC;

  /* In a subprocess: the damaged rows are warned about (structured
   * logging, which g_test_expect_message does not see), and said here. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      g_test_trap_assert_stderr ("*skipped a mute row*skipped a mute row*"
                                 "skipped a mute row*");
      return;
    }

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(GPtrArray) mutes = NULL;

    g_assert_true (cr_store_set_mute (store, "bob", "Bob", TRUE, hour, &error));
    g_assert_true (cr_store_set_mute (store, "张三", "张三", TRUE, 0, &error));
    g_assert_true (cr_store_set_mute (store, "carol", "carol", TRUE, hour, &error));
    /* Muted again: one row, the new end. */
    g_assert_true (cr_store_set_mute (store, "bob", "BOB", TRUE, 2 * hour, &error));
    g_assert_true (cr_store_set_mute (store, "carol", NULL, FALSE, 0, &error));
    /* Lifting what is not there is fine. */
    g_assert_true (cr_store_set_mute (store, "nobody", NULL, FALSE, 0, &error));
    g_assert_no_error (error);
    mutes = cr_store_list_mutes (store);
    g_assert_cmpuint (mutes->len, ==, 2);
  }

  /* Rows no room writes, put there by hand. */
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db,
                                   "INSERT INTO mutes VALUES ('x y', 'x y', 0);"
                                   "INSERT INTO mutes VALUES ('dave', 'dave', -5);"
                                   "INSERT INTO mutes VALUES ('erin', X'FF', 0);",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  }

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(GPtrArray) mutes = NULL;
    const CrStoreMute *bob;
    const CrStoreMute *zhang;

    g_log_set_always_fatal (G_LOG_FATAL_MASK);
    mutes = cr_store_list_mutes (store);
    g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
    g_assert_cmpuint (mutes->len, ==, 2);
    bob = mutes->pdata[0];
    zhang = mutes->pdata[1];
    g_assert_cmpstr (bob->name, ==, "BOB");
    g_assert_cmpint (bob->until, ==, 2 * hour);
    g_assert_cmpstr (zhang->name, ==, "张三");
    g_assert_cmpint (zhang->until, ==, 0);
  }
}

/* Schema 3 → 4: the history keeps its rows (no actor: the owner's acts),
 * a new row keeps its actor, and the mutes table is there. */
static void
test_schema_4 (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (fixture->dir, "chatroom.db", NULL);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(CrEvent) kick = cr_event_new (1, 10, CR_EVENT_KICK, "bob", "", 0);

    g_assert_true (cr_store_append_event (store, kick, &error));
    g_assert_no_error (error);
  }
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, CR_TEST_UNDO_SCHEMA_4 "PRAGMA user_version = 3;",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  }
  g_assert_cmpint (user_version (db_path), ==, 3);

  {
    g_autoptr(CrStore) store = open_store (fixture->dir);
    g_autoptr(CrEvent) mute = cr_event_new (2, 20, CR_EVENT_MUTE, "carol", "", 0);
    g_autoptr(GPtrArray) events = NULL;
    g_autoptr(GPtrArray) mutes = NULL;

    g_assert_cmpint (user_version (db_path), ==, 4);
    mute->actor = g_strdup ("alice");
    g_assert_true (cr_store_append_event (store, mute, &error));
    g_assert_true (cr_store_set_mute (store, "carol", "carol", TRUE, 0, &error));
    g_assert_no_error (error);
    events = cr_store_events_after (store, 0, 10);
    g_assert_cmpuint (events->len, ==, 2);
    g_assert_null (((CrEvent *) events->pdata[0])->actor);
    g_assert_cmpstr (((CrEvent *) events->pdata[1])->actor, ==, "alice");
    mutes = cr_store_list_mutes (store);
    g_assert_cmpuint (mutes->len, ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/chatroom/store/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("open", test_open);
  ADD ("accounts", test_accounts);
  ADD ("default-cost", test_default_cost);
  ADD ("bans", test_bans);
  ADD ("events", test_events);
  ADD ("settings", test_settings);
  ADD ("reopen", test_reopen);
  ADD ("two-handles", test_two_handles);
  ADD ("kill", test_kill);
  ADD ("errors", test_errors);
  ADD ("password-halves", test_password_halves);
  ADD ("lookalikes", test_lookalikes);
  ADD ("mutes", test_mutes);
  ADD ("schema-4", test_schema_4);
  g_test_add_func ("/chatroom/store/kill/subprocess", test_kill_subprocess);

#undef ADD

  return g_test_run ();
}
