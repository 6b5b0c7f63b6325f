/* test-storage-faults.c: the room's disk fails, and the room tells the
 * truth: a full disk (a small tmpfs, filled), the database deleted while
 * the room runs, a zeroed page in the accounts or bans table. Real SQLite
 * files; the room (CrEngine) and its members (CrClientEngine) in one
 * process with a fake clock, as in tests/test-client-engine.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#ifdef __linux__
#include <sys/mount.h>
#endif

#include "cr-classic.h"
#include "cr-client-engine.h"
#include "cr-engine.h"
#include "cr-server.h"
#include "cr-store.h"
#include "cr-store-private.h"
#include "cr-test-utils.h"
#include "cr-test-world.h"

/* ------------------------------------------------------------------ */
/* A world (cr-test-world.h): one room on a store, members, datagrams
 * passed by hand; members here may say as much as they like. */

static void
world_init (CrTestWorld *w,
            const char  *data_dir)
{
  g_autoptr(GError) error = NULL;

  cr_test_world_init (w, data_dir);
  w->config.silence_timeout_us = 60 * G_TIME_SPAN_SECOND;
  w->config.rate_per_second = 1000;
  w->config.rate_burst = 1000;
  g_assert_true (cr_test_world_open (w, &error));
  g_assert_no_error (error);
}

static GPtrArray *
new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

/* The SENT output for origin: the room's acknowledgement of the message. */
static CrClientOutput *
find_sent (CrTestMember *m,
           guint64       origin)
{
  for (guint i = 0; i < m->outputs->len; i++)
    {
      CrClientOutput *output = m->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_SENT && output->origin == origin)
        return output;
    }
  return NULL;
}

/* The member says text and everything in flight is delivered: when this
 * returns, the room has answered (SENT) or not. */
static guint64
member_say (CrTestWorld  *w,
            CrTestMember *m,
            const char   *text)
{
  g_autoptr(GPtrArray) out = new_out ();
  guint64 origin = cr_client_engine_send (m->engine, text, w->now, out);

  g_assert_cmpuint (origin, !=, 0);
  cr_test_world_member_sent (w, m, out);
  cr_test_world_pump (w);
  for (guint i = 0; i < 100 && find_sent (m, origin) == NULL; i++)
    cr_test_world_run_for (w, CR_TEST_WORLD_STEP);
  return origin;
}

static guint
count_events (CrTestMember *m,
              CrEventKind   kind,
              const char   *text)
{
  guint n = 0;

  for (guint i = 0; i < m->outputs->len; i++)
    {
      CrClientOutput *output = m->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_EVENT && output->event->kind == kind &&
          (text == NULL || g_strcmp0 (output->event->text, text) == 0))
        n++;
    }
  return n;
}

/* The newest seq a member was shown (events and its own acknowledged
 * messages). */
static guint64
max_seq_seen (CrTestMember *m)
{
  guint64 max = 0;

  for (guint i = 0; i < m->outputs->len; i++)
    {
      CrClientOutput *output = m->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_EVENT)
        max = MAX (max, output->event->seq);
      else if (output->kind == CR_CLIENT_OUTPUT_SENT)
        max = MAX (max, output->seq);
    }
  return max;
}

static CrReason
join_refusal (CrTestMember *m)
{
  for (guint i = 0; i < m->outputs->len; i++)
    {
      CrClientOutput *output = m->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_JOIN_FAILED)
        return output->reason;
    }
  return CR_REASON_NONE;
}

/* How many stored events of the history say text. */
static guint
stored_count (CrStore    *store,
              const char *text)
{
  g_autoptr(GPtrArray) events = cr_store_events_after (store, 0, 100000);
  guint n = 0;

  /* events_after (0, …) is everything from the first. */
  for (guint i = 0; i < events->len; i++)
    n += g_strcmp0 (((CrEvent *) events->pdata[i])->text, text) == 0;
  return n;
}

static const char *
storage_line (gboolean saving)
{
  return cr_classic_format_storage (cr_classic_table_lookup ("zh_CN"), saving);
}

/* ------------------------------------------------------------------ */
/* A small tmpfs                                                      */

/* Whether this process may mount (CAP_SYS_ADMIN in its effective set). */
static gboolean
can_mount (void)
{
  g_autofree char *status = NULL;
  const char *line;
  guint64 caps;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return FALSE;
  line = strstr (status, "\nCapEff:");
  if (line == NULL)
    return FALSE;
  caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps & (G_GUINT64_CONSTANT (1) << 21)) != 0;
}

/* Mounts a 1 MiB tmpfs (room for the history's full-text index, schema 3)
 * on a new directory. NULL (the test skipped, or failed under CI=true when
 * mounting should have worked) when it cannot. */
static char *
mount_small_tmpfs (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  const char *why = "mount(2) is Linux only";

#ifdef __linux__
  if (mount ("tmpfs", dir, "tmpfs", 0, "size=1m,mode=0700") == 0)
    return g_steal_pointer (&dir);
  why = g_strerror (errno);
#endif
  cr_test_remove_tree (dir);
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0 && can_mount ())
    {
      g_test_fail_printf ("Could not mount a small tmpfs although this process may: %s", why);
      return NULL;
    }
  g_test_skip_printf ("A full disk needs a small tmpfs, which cannot be mounted here (%s): "
                      "run as root (or with CAP_SYS_ADMIN) to test it", why);
  return NULL;
}

static void
unmount_tmpfs (char *dir)
{
#ifdef __linux__
  g_assert_cmpint (umount2 (dir, MNT_DETACH), ==, 0);
#endif
  g_rmdir (dir);
  g_free (dir);
}

/* Writes zeros to path until the file system is full; the bytes written. */
static gsize
fill_disk (const char *path)
{
  static const char zeros[4096] = { 0 };
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  gsize total = 0;

  g_assert_cmpint (fd, >=, 0);
  /* Bounded: the tmpfs has 1 MiB. */
  for (guint i = 0; i < 1024; i++)
    {
      gssize n = write (fd, zeros, sizeof zeros);

      if (n <= 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          break;
        }
      total += n;
    }
  /* And the last bytes a page would not take. */
  while (write (fd, zeros, 1) == 1)
    total++;
  g_assert_cmpint (close (fd), ==, 0);
  return total;
}

/* ------------------------------------------------------------------ */
/* A full disk                                                        */

#define N_FULL 30

/* Messages sent while the disk is full: relayed, members told once that
 * history is not being saved, the owner told at once; when space comes
 * back the backlog is written, and after a restart nothing acknowledged
 * is missing and no number is used twice. */
static void
test_full_disk (void)
{
  g_autofree char *mnt = mount_small_tmpfs ();
  g_autofree char *data_dir = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *long_text = NULL;
  g_autoptr(GPtrArray) stored_promised = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  guint64 max_seq;
  guint not_ok = 0;

  if (mnt == NULL)
    return;
  data_dir = g_build_filename (mnt, "room", NULL);
  filler = g_build_filename (mnt, "filler", NULL);
  long_text = g_strnfill (900, 'x');

  world_init (&w, data_dir);
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_nonnull (find_sent (bob, member_say (&w, bob, "before")));
  g_assert_true (cr_engine_get_storage_ok (w.room));

  g_test_message ("filled the disk with %" G_GSIZE_FORMAT " bytes", fill_disk (filler));

  for (guint i = 0; i < N_FULL; i++)
    {
      char *text = g_strdup_printf ("full %02u %s", i, long_text);
      guint64 origin = member_say (&w, bob, text);

      /* Every message is still relayed and acknowledged as received... */
      g_assert_nonnull (find_sent (bob, origin));
      g_ptr_array_add (texts, text);
      /* ...and counts as stored only while the room says storage is ok. */
      if (cr_engine_get_storage_ok (w.room))
        g_ptr_array_add (stored_promised, g_strdup (text));
      else
        not_ok++;
    }
  g_test_message ("%u of %u messages sent while the room said storage was failing",
                  not_ok, N_FULL);
  g_assert_cmpuint (not_ok, >, 0);
  g_assert_cmpuint (w.told_failing, ==, 1);
  g_assert_cmpuint (w.told_ok, ==, 0);
  g_assert_nonnull (cr_engine_get_storage_problem (w.room));
  g_assert_cmpuint (cr_engine_get_n_unsaved (w.room), >, 0);
  for (guint i = 0; i < texts->len; i++)
    g_assert_cmpuint (count_events (alice, CR_EVENT_CHAT, texts->pdata[i]), ==, 1);
  /* One line, not one per message. */
  g_assert_cmpuint (count_events (alice, CR_EVENT_ANNOUNCE, storage_line (FALSE)), ==, 1);
  g_assert_cmpuint (count_events (bob, CR_EVENT_ANNOUNCE, storage_line (FALSE)), ==, 1);

  /* Space again: the next retry writes the backlog. */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  cr_test_world_run_for (&w, 2 * G_TIME_SPAN_SECOND);
  g_assert_true (cr_engine_get_storage_ok (w.room));
  g_assert_cmpuint (w.told_ok, ==, 1);
  g_assert_cmpuint (cr_engine_get_n_unsaved (w.room), ==, 0);
  g_assert_cmpuint (count_events (alice, CR_EVENT_ANNOUNCE, storage_line (TRUE)), ==, 1);
  max_seq = MAX (max_seq_seen (alice), max_seq_seen (bob));

  /* A restart: every message is there once, the numbers go on. */
  cr_test_world_shut (&w);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (cr_test_world_open (&w, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (stored_count (w.store, "before"), ==, 1);
  for (guint i = 0; i < stored_promised->len; i++)
    g_assert_cmpuint (stored_count (w.store, stored_promised->pdata[i]), ==, 1);
  for (guint i = 0; i < texts->len; i++)
    g_assert_cmpuint (stored_count (w.store, texts->pdata[i]), ==, 1);
  g_assert_cmpuint (cr_room_get_last_seq (cr_engine_get_room (w.room)), >=, max_seq);

  cr_test_world_clear (&w);
  unmount_tmpfs (g_steal_pointer (&mnt));
}

/* The room dies while the disk is still full: what it could not write is
 * lost (the members were told), but the numbers it handed out are never
 * handed out again, and it does not start while it cannot reserve them. */
static void
test_full_disk_restart (void)
{
  g_autofree char *mnt = mount_small_tmpfs ();
  g_autofree char *data_dir = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *long_text = NULL;
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob, *carol;
  guint64 max_seq, origin;
  gboolean reopened;

  if (mnt == NULL)
    return;
  data_dir = g_build_filename (mnt, "room", NULL);
  filler = g_build_filename (mnt, "filler", NULL);
  long_text = g_strnfill (900, 'y');

  world_init (&w, data_dir);
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  member_say (&w, bob, "before");
  fill_disk (filler);
  for (guint i = 0; i < N_FULL; i++)
    {
      g_autofree char *text = g_strdup_printf ("lost %02u %s", i, long_text);

      member_say (&w, bob, text);
    }
  g_assert_false (cr_engine_get_storage_ok (w.room));
  g_assert_cmpuint (count_events (alice, CR_EVENT_ANNOUNCE, storage_line (FALSE)), ==, 1);
  max_seq = MAX (max_seq_seen (alice), max_seq_seen (bob));
  g_test_message ("the members saw numbers up to %" G_GUINT64_FORMAT, max_seq);

  cr_test_world_shut (&w);
  {
    g_autoptr(GError) error = NULL;

    /* Still full: either it cannot reserve numbers and refuses to start,
     * or it can (a page was free) and continues after the reserve. */
    reopened = cr_test_world_open (&w, &error);
    g_test_message ("reopened on the full disk: %s", reopened ? "yes" : error->message);
    if (!reopened)
      g_assert_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED);
    else
      cr_test_world_shut (&w);
  }
  g_assert_cmpint (g_unlink (filler), ==, 0);
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (cr_test_world_open (&w, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpuint (stored_count (w.store, "before"), ==, 1);
  g_assert_cmpuint (cr_room_get_last_seq (cr_engine_get_room (w.room)), >=, max_seq);

  carol = cr_test_world_join (&w, "carol", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (carol->engine), ==, CR_CLIENT_CONNECTED);
  origin = member_say (&w, carol, "after");
  g_assert_nonnull (find_sent (carol, origin));
  g_assert_cmpuint (find_sent (carol, origin)->seq, >, max_seq);

  cr_test_world_clear (&w);
  unmount_tmpfs (g_steal_pointer (&mnt));
}

/* ------------------------------------------------------------------ */
/* The database deleted under the running room                        */

static void
remove_database (const char *data_dir)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (data_dir, "/chatroom.db", suffixes[i], NULL);

      g_assert_true (g_unlink (path) == 0 || errno == ENOENT);
    }
}

static void
test_deleted (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "chatroom.db", NULL);
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  CrReason reason = CR_REASON_NONE;

  world_init (&w, dir);
  alice = cr_test_world_join (&w, "alice", "password1", TRUE);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  {
    g_autoptr(GPtrArray) out = new_out ();

    g_assert_true (cr_engine_owner_act (w.room, CR_OWNER_BAN, "mallory", cr_test_world_time (&w),
                                        out, &reason));
    cr_test_world_room_sent (&w, out);
    cr_test_world_pump (&w);
  }
  member_say (&w, bob, "one");

  /* Deleted while a message is on its way: noticed at that write. */
  remove_database (dir);
  g_assert_nonnull (find_sent (bob, member_say (&w, bob, "two")));
  g_assert_cmpuint (w.told_failing, ==, 1);
  g_assert_nonnull (strstr (w.warnings->pdata[0], "deleted"));
  /* Policy: written back from the open connection, and on it goes. */
  g_assert_cmpuint (w.told_ok, ==, 1);
  g_assert_true (cr_engine_get_storage_ok (w.room));
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_events (alice, CR_EVENT_CHAT, "two"), ==, 1);
  /* Nothing was lost: the members were not told otherwise. */
  g_assert_cmpuint (count_events (alice, CR_EVENT_ANNOUNCE, storage_line (FALSE)), ==, 0);

  /* Deleted while nobody speaks: noticed within seconds. */
  remove_database (dir);
  cr_test_world_run_for (&w, 6 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (w.told_failing, ==, 2);
  g_assert_cmpuint (w.told_ok, ==, 2);
  member_say (&w, bob, "three");

  /* After a restart: history, accounts and bans are all there. */
  cr_test_world_shut (&w);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) bans = NULL;

    g_assert_true (cr_test_world_open (&w, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (stored_count (w.store, "one"), ==, 1);
    g_assert_cmpuint (stored_count (w.store, "two"), ==, 1);
    g_assert_cmpuint (stored_count (w.store, "three"), ==, 1);
    g_assert_true (cr_store_has_account (w.store, "alice"));
    bans = cr_store_list_bans (w.store);
    g_assert_cmpuint (bans->len, ==, 1);
    g_assert_cmpstr (bans->pdata[0], ==, "mallory");
  }

  cr_test_world_clear (&w);
  cr_test_remove_tree (dir);
}

/* ------------------------------------------------------------------ */
/* A zeroed page in the accounts or bans table                        */

/* A room with the account "victim" and the ban of "mallory", closed. */
static void
make_room_with_rules (const char *dir)
{
  g_autoptr(CrStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = cr_store_open (dir, &error);
  g_assert_no_error (error);
  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);
  g_assert_true (cr_store_add_account (store, "victim", "victim", "password1", &error));
  g_assert_no_error (error);
  g_assert_true (cr_store_set_banned (store, "mallory", "mallory", TRUE, &error));
  g_assert_no_error (error);
  /* Closing checkpoints the WAL into the file. */
}

/* Zeros over the root page of table, with the room closed. */
static void
zero_table_page (const char *dir,
                 const char *table)
{
  g_autofree char *path = g_build_filename (dir, "chatroom.db", NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT rootpage, (SELECT page_size FROM "
                                          "pragma_page_size) FROM sqlite_schema "
                                          "WHERE name = '%s'", table);
  g_autofree char *zeros = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 page, page_size;
  int fd;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  page = sqlite3_column_int64 (stmt, 0);
  page_size = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpint (page, >, 1);
  g_assert_cmpint (page_size, >=, 512);

  zeros = g_malloc0 (page_size);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (pwrite (fd, zeros, page_size, (page - 1) * page_size), ==, page_size);
  g_assert_cmpint (close (fd), ==, 0);
}

/* The file as the first release left it: schema 1, no skeletons. */
static void
make_schema_1 (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "chatroom.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, CR_TEST_UNDO_SCHEMA_3
                                     "DROP INDEX accounts_by_skeleton;"
                                     "ALTER TABLE accounts DROP COLUMN skeleton;"
                                     "PRAGMA user_version = 1;", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
check_fails_closed (const char *table,
                    gboolean    schema_1)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  CrTestWorld w = { 0 };
  CrTestMember *guest, *banned;

  make_room_with_rules (dir);
  /* Migrating (filling the skeletons) over the damage must not open it. */
  if (schema_1)
    make_schema_1 (dir);
  zero_table_page (dir, table);

  /* The room starts, and says at once what is wrong. */
  world_init (&w, dir);
  g_assert_false (cr_engine_get_storage_ok (w.room));
  g_assert_nonnull (strstr (cr_engine_get_storage_problem (w.room), "cannot be read"));

  /* A guest under the registered name, and the banned name: neither gets
   * in, and they are told the room failed, not that the name is free. */
  guest = cr_test_world_join (&w, "victim", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (guest->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpint (join_refusal (guest), ==, CR_REASON_INTERNAL);
  banned = cr_test_world_join (&w, "mallory", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (banned->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpint (join_refusal (banned), ==, CR_REASON_INTERNAL);
  /* Nor a look-alike of the name the room can no longer read. */
  guest = cr_test_world_join (&w, "v1ctim", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (guest->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (w.room)), ==, 0);

  cr_test_world_clear (&w);
  cr_test_remove_tree (dir);
}

static void
test_zeroed_accounts (void)
{
  check_fails_closed ("accounts", FALSE);
}

static void
test_zeroed_bans (void)
{
  check_fails_closed ("bans", FALSE);
}

static void
test_zeroed_accounts_schema_1 (void)
{
  check_fails_closed ("accounts", TRUE);
}

/* The owner of a CrServer and of chatroomd sees it too. */
static void
test_zeroed_owner_sees (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autoptr(CrServer) server = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  make_room_with_rules (dir);
  zero_table_page (dir, "accounts");

  server = cr_server_new (dir, "Test");
  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_object_get (server, "storage-ok", &ok, NULL);
  g_assert_false (ok);
  cr_server_stop (server);
  g_clear_object (&server);

  {
    const char * const argv[] = { CHATROOMD_PATH, "--listen", "127.0.0.1:0",
                                  "--data-dir", dir, NULL };
    CrTestChild *child = cr_test_child_spawn (argv, TRUE);

    cr_test_child_expect (child, "cannot be read", 10000);
    cr_test_child_free (child);
  }
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("LANGUAGE", "en", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/storage-faults/full-disk", test_full_disk);
  g_test_add_func ("/chatroom/storage-faults/full-disk-restart", test_full_disk_restart);
  g_test_add_func ("/chatroom/storage-faults/deleted", test_deleted);
  g_test_add_func ("/chatroom/storage-faults/zeroed-accounts", test_zeroed_accounts);
  g_test_add_func ("/chatroom/storage-faults/zeroed-bans", test_zeroed_bans);
  g_test_add_func ("/chatroom/storage-faults/zeroed-accounts-schema-1",
                   test_zeroed_accounts_schema_1);
  g_test_add_func ("/chatroom/storage-faults/zeroed-owner-sees", test_zeroed_owner_sees);
  return g_test_run ();
}
