/* fuzz-store.c: libFuzzer harness for the store on a broken disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is written as chatroom.db in a temporary folder, then
 * cr_store_open (cr-store.h) opens it, which runs the migrations; then the
 * harness reads what a room reads when it starts and when members join
 * (accounts, bans, the room's name, the last sequence number, history) and
 * writes what a room writes (an event, a ban, an account), and closes.
 * SQLite refusing a file is fine (errors are reported as GError or a
 * warning); what must hold: no crash, no critical, an open that fails says
 * why, and what comes out is something the room can send to its members:
 * names and texts UTF-8, event kinds in range, history in order. Password
 * checks are left out: a hash string from the file sets its own Argon2id
 * cost, so a fuzzed one could ask for gigabytes.
 * Build and run: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-store"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cr-store-private.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const char *files[] = { "chatroom.db", "chatroom.db-wal", "chatroom.db-shm",
                               "chatroom.db-journal" };
static char *dir;

static void
clear_dir (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);

      g_unlink (path);
    }
}

static void
remove_dir (void)
{
  clear_dir ();
  g_rmdir (dir);
  g_clear_pointer (&dir, g_free);
}

static void
check_string (const char *what,
              const char *s)
{
  if (s == NULL || !g_utf8_validate (s, -1, NULL))
    g_error ("the store returned %s that is %s", what, s == NULL ? "NULL" : "not UTF-8");
}

static void
check_events (GPtrArray *events,
              guint64    after,
              guint      limit)
{
  guint64 last = after;

  if (events == NULL || events->len > limit)
    g_error ("the store returned no history or more than asked");
  for (guint i = 0; i < events->len; i++)
    {
      const CrEvent *event = events->pdata[i];

      if (event->kind < CR_EVENT_CHAT || event->kind > CR_EVENT_LAST)
        g_error ("the store returned an event of kind %d", event->kind);
      if (event->seq <= last || event->seq > G_MAXINT64)
        g_error ("the store returned event %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT,
                 event->seq, last);
      check_string ("a name", event->name);
      check_string ("a text", event->text);
      last = event->seq;
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;

  /* A broken file makes the store warn: only criticals are bugs here. */
  fuzz_log_init (G_LOG_LEVEL_CRITICAL, TRUE);
  dir = g_dir_make_tmp ("fuzz-store-XXXXXX", &error);
  g_assert_no_error (error);
  atexit (remove_dir);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, files[0], NULL);
  g_autoptr(CrStore) store = NULL;

  clear_dir ();
  if (!g_file_set_contents (path, (const char *) data, size, &error))
    g_error ("%s", error->message);

  store = cr_store_open (dir, &error);
  if (store == NULL)
    {
      if (error == NULL || error->message == NULL || *error->message == '\0')
        g_error ("the store failed to open without saying why");
      return 0;
    }
  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);

  {
    g_autoptr(GPtrArray) bans = cr_store_list_bans (store);
    g_autoptr(GPtrArray) history = cr_store_last_events (store, 50);
    g_autoptr(GPtrArray) after = cr_store_events_after (store, 1, 50);
    g_autofree char *room_name = cr_store_get_setting (store, "room-name");
    g_autofree char *hash = cr_store_dup_password_hash (store, "victim");
    guint64 last_seq = cr_store_get_last_seq (store);
    g_autoptr(CrEvent) event = NULL;
    g_autoptr(GError) write_error = NULL;

    if (bans == NULL)
      g_error ("the store returned no list of bans");
    for (guint i = 0; i < bans->len; i++)
      check_string ("a banned name", bans->pdata[i]);
    check_events (history, 0, 50);
    check_events (after, 1, 50);
    if (room_name != NULL)
      check_string ("a room name", room_name);
    if (hash != NULL)
      check_string ("a password hash", hash);
    (void) cr_store_has_account (store, "victim");

    /* What a room writes next; it may fail, and must say so. */
    event = cr_event_new (MIN (last_seq, (guint64) G_MAXINT64 - 1) + 1, 1, CR_EVENT_CHAT,
                          "alice", "hello", 1);
    if (!cr_store_append_event (store, event, &write_error))
      {
        if (write_error == NULL)
          g_error ("an append failed without an error");
        g_clear_error (&write_error);
      }
    if (!cr_store_set_banned (store, "mallory", "mallory", TRUE, &write_error))
      g_clear_error (&write_error);
    if (!cr_store_add_account (store, "newcomer", "newcomer", "password", &write_error))
      g_clear_error (&write_error);
  }
  return 0;
}
