/* cr-store.c: accounts, history and settings in one SQLite file (bans, admins
 * and mutes: cr-store-moderation.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection, used from one thread. Every statement is prepared once at
 * open (SQLITE_PREPARE_PERSISTENT) and reset after each use. The schema
 * version lives in PRAGMA user_version; cr_store_migrate() brings an older
 * file up to date in one transaction and refuses a file from a newer build.
 *
 * Durability: the file is in WAL mode with synchronous=NORMAL. A commit
 * appends its frames to chatroom.db-wal with write(2) before sqlite3_step()
 * returns; only the fsync is left to the next checkpoint. What has been
 * handed to the kernel survives the death of the process (crash, SIGKILL), so
 * an event is durable against a process kill once cr_store_append_event()
 * returns. An OS crash or power cut can lose the newest commits (never
 * corrupt the file); FULL would close that gap at one fsync per message,
 * which a chat room does not need.
 *
 * Faults (tests/test-storage-faults.c). A write that fails (a full disk)
 * fails its whole transaction and says so: the caller (CrEngine) keeps the
 * events and tries again. Sequence numbers are reserved ahead in the
 * settings ("seq-reserved", CR_STORE_SEQ_RESERVE at a time): a room that
 * dies with events it could not write restarts after the reserve, never
 * at a number it already handed out. At open, PRAGMA quick_check runs on
 * every table: damaged history or settings fail the open (the numbers
 * could not be established), damaged accounts or bans are reported
 * (cr_store_get_damage) so the room refuses to admit anyone by them; a
 * failing account lookup later answers "registered" for the same reason.
 * The file's device and inode are kept, so a file deleted or replaced
 * under the room is noticed (cr_store_check_file).
 */
#define G_LOG_DOMAIN "cr-store"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>

#define CR_STORE_COMPILATION
#include "cr-store-private.h"
#include "cr-store.h"

#define CR_STORE_FILENAME        "chatroom.db"
#define CR_STORE_BUSY_TIMEOUT_MS 5000

/* Each entry takes the schema from version i to i + 1. Never edit an entry
 * that has shipped: append a new one. */
static const char * const migrations[] = {
  /* 0 → 1: the first schema. */
  "CREATE TABLE accounts ("
  "  fold    TEXT PRIMARY KEY NOT NULL,"
  "  name    TEXT NOT NULL,"
  "  hash    TEXT NOT NULL,"
  "  created INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE bans ("
  "  fold    TEXT PRIMARY KEY NOT NULL,"
  "  name    TEXT NOT NULL,"
  "  created INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE events ("
  "  seq     INTEGER PRIMARY KEY,"
  "  time_us INTEGER NOT NULL,"
  "  kind    INTEGER NOT NULL,"
  "  name    TEXT NOT NULL,"
  "  text    TEXT NOT NULL,"
  "  origin  INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE settings ("
  "  key     TEXT PRIMARY KEY NOT NULL,"
  "  value   TEXT NOT NULL"
  ") WITHOUT ROWID;",
  /* 1 → 2: each account's skeleton (cr_name_skeleton), so that a name
   * nobody can tell from a registered one is refused while its account is
   * absent too. Filled and indexed at open by _cr_store_fill_skeletons
   * (cr-store-faults.c): C computes it, and an index over a damaged table
   * must not fail the open. */
  "ALTER TABLE accounts ADD COLUMN skeleton TEXT;",
  /* 2 → 3: the conversation (issue 14): replies, private messages, recalls,
   * and a full-text index of the history. The trigram tokenizer finds
   * words inside a sentence in any script (Chinese has no spaces); the
   * triggers keep it to the table, so a recall (text set to "") leaves the
   * index too (cr-store-history.c). */
  "ALTER TABLE events ADD COLUMN ref_seq INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE events ADD COLUMN quote_name TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE events ADD COLUMN quote_text TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE events ADD COLUMN target TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE events ADD COLUMN recalled INTEGER NOT NULL DEFAULT 0;"
  "CREATE VIRTUAL TABLE events_fts USING fts5 ("
  "  text, content = 'events', content_rowid = 'seq', tokenize = 'trigram');"
  "INSERT INTO events_fts (events_fts) VALUES ('rebuild');"
  "CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN"
  "  INSERT INTO events_fts (rowid, text) VALUES (new.seq, new.text);"
  "END;"
  "CREATE TRIGGER events_fts_update AFTER UPDATE OF text ON events BEGIN"
  "  INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', old.seq, old.text);"
  "  INSERT INTO events_fts (rowid, text) VALUES (new.seq, new.text);"
  "END;"
  "CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN"
  "  INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', old.seq, old.text);"
  "END;",
  /* 3 → 4: running a class (issue 15): who acted on a kick, ban or mute
   * ("" the owner, else the admin), and the mutes, which outlive a restart
   * (cr-store-moderation.c); until is on the wall clock, 0 until lifted. */
  "ALTER TABLE events ADD COLUMN actor TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE mutes ("
  "  fold    TEXT PRIMARY KEY NOT NULL,"
  "  name    TEXT NOT NULL,"
  "  until   INTEGER NOT NULL DEFAULT 0"
  ") WITHOUT ROWID;",
};

#define N_STMTS CR_STORE_N_STMTS
#define EVENT_COLUMNS "seq, time_us, kind, name, text, origin, ref_seq, quote_name, " \
                      "quote_text, target, recalled, actor"
/* Who may see a row: not a private message, or one of its two (?3). */
#define EVENT_VISIBLE "(target = '' OR name = ?3 OR target = ?3)"

/* The room's admins (issue 15), beside the numbered schema rather than in
 * it: created at every open, so a file any version wrote gets it. */
#define ADMINS_TABLE \
  "CREATE TABLE IF NOT EXISTS admins (" \
  "  fold    TEXT PRIMARY KEY NOT NULL," \
  "  name    TEXT NOT NULL" \
  ") WITHOUT ROWID"

static const char * const stmt_sql[N_STMTS] = {
  [STMT_HAS_ACCOUNT] = "SELECT 1 FROM accounts WHERE fold = ?1",
  [STMT_FIND_LOOKALIKE] = "SELECT name FROM accounts WHERE skeleton = ?1 AND fold <> ?2 LIMIT 1",
  [STMT_GET_HASH] = "SELECT hash FROM accounts WHERE fold = ?1",
  [STMT_ADD_ACCOUNT] = "INSERT INTO accounts (fold, name, hash, created, skeleton) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_SET_BAN] = "INSERT INTO bans (fold, name, created) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT (fold) DO UPDATE SET name = excluded.name",
  [STMT_DELETE_BAN] = "DELETE FROM bans WHERE fold = ?1",
  [STMT_LIST_BANS] = "SELECT name FROM bans ORDER BY fold",
  [STMT_APPEND_EVENT] = "INSERT INTO events (" EVENT_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
  [STMT_LAST_SEQ] = "SELECT seq FROM events ORDER BY seq DESC LIMIT 1",
  [STMT_EVENTS_AFTER] = "SELECT " EVENT_COLUMNS " FROM events "
                        "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
  [STMT_LAST_EVENTS] = "SELECT " EVENT_COLUMNS " FROM "
                       "(SELECT * FROM events ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
  [STMT_EVENTS_BEFORE] = "SELECT " EVENT_COLUMNS " FROM "
                         "(SELECT * FROM events WHERE seq < ?1 AND " EVENT_VISIBLE
                         " ORDER BY seq DESC LIMIT ?2) ORDER BY seq",
  [STMT_GET_EVENT] = "SELECT " EVENT_COLUMNS " FROM events WHERE seq = ?1",
  [STMT_RECALL] = "UPDATE events SET text = '', quote_text = '', recalled = 1 WHERE seq = ?1",
  /* The replies that quote it lose the quote (they keep ref_seq). */
  [STMT_RECALL_QUOTES] = "UPDATE events SET quote_text = '' WHERE ref_seq = ?1 AND kind = 1",
  /* Chat, owner's chat, announcements; newest first. Through the index
   * newest first (FTS5 walks rowids backwards), so LIMIT stops it early
   * instead of sorting every match: 0.4 ms instead of 33 for a word in
   * 10 % of 100 000 messages. */
  [STMT_SEARCH_MATCH] = "SELECT e.seq, e.time_us, e.kind, e.name, e.text, e.origin, e.ref_seq, "
                        "e.quote_name, e.quote_text, e.target, e.recalled, e.actor "
                        "FROM events_fts JOIN events AS e ON e.seq = events_fts.rowid "
                        "WHERE events_fts MATCH ?1 AND e.kind IN (1, 2, 3) AND e.recalled = 0 "
                        "AND (e.target = '' OR e.name = ?3 OR e.target = ?3) "
                        "ORDER BY events_fts.rowid DESC LIMIT ?2",
  [STMT_SEARCH_SCAN] = "SELECT " EVENT_COLUMNS " FROM events WHERE seq > ?1 "
                       "AND kind IN (1, 2, 3) AND recalled = 0 AND " EVENT_VISIBLE
                       " ORDER BY seq DESC LIMIT ?2",
  [STMT_GET_SETTING] = "SELECT value FROM settings WHERE key = ?1",
  [STMT_SET_SETTING] = "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  [STMT_SET_MUTE] = "INSERT INTO mutes (fold, name, until) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (fold) DO UPDATE SET name = excluded.name, until = excluded.until",
  [STMT_DELETE_MUTE] = "DELETE FROM mutes WHERE fold = ?1",
  [STMT_LIST_MUTES] = "SELECT name, until FROM mutes ORDER BY fold",
};

G_DEFINE_QUARK (cr-store-error-quark, cr_store_error)

static gboolean
cr_store_sodium_init (void)
{
  static gsize initialized = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&initialized))
    {
      ok = sodium_init () >= 0;
      g_once_init_leave (&initialized, 1);
    }
  return ok;
}

gboolean
_cr_store_set_db_error (CrStore     *self,
              GError     **error,
              const char  *what)
{
  g_assert (self != NULL);

  g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
               "%s: %s: %s", self->path, what,
               self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
  return FALSE;
}

/* For the calls without a GError: a failing query there is a bug or a
 * broken disk, worth a warning but not a crash. */
void
_cr_store_warn_db_error (CrStore    *self,
                         const char *what)
{
  g_assert (self != NULL);

  g_warning ("%s: %s: %s", self->path, what, sqlite3_errmsg (self->db));
}

CrStoreStmt *
_cr_store_stmt (CrStore *self,
                StmtId   id)
{
  g_assert (self != NULL);
  g_assert (id < N_STMTS);
  g_assert (self->stmts[id] != NULL);

  return self->stmts[id];
}

static gboolean
cr_store_exec (CrStore     *self,
               const char  *sql,
               GError     **error)
{
  g_assert (self != NULL);

  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return _cr_store_set_db_error (self, error, sql);
  return TRUE;
}

static gboolean
cr_store_get_user_version (CrStore  *self,
                           gint64   *version,
                           GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_assert (self != NULL);

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    return _cr_store_set_db_error (self, error, "Could not read the schema version");
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return _cr_store_set_db_error (self, error, "Could not read the schema version");
  return TRUE;
}

static gboolean
cr_store_migrate (CrStore  *self,
                  GError  **error)
{
  const gint64 latest = G_N_ELEMENTS (migrations);
  gint64 version = 0;

  g_assert (self != NULL);

  /* IMMEDIATE takes the write lock first, so two processes opening a new
   * file at once do not both create the tables. */
  if (!cr_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!cr_store_get_user_version (self, &version, error))
    goto fail;
  if (version < 0 || version > latest)
    {
      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                   "%s: schema version %" G_GINT64_FORMAT " is newer than this "
                   "program knows (%" G_GINT64_FORMAT ")",
                   self->path, version, latest);
      goto fail;
    }

  for (gint64 v = version; v < latest; v++)
    {
      g_autofree char *set_version = NULL;

      g_debug ("Migrating %s from schema %" G_GINT64_FORMAT, self->path, v);
      if (!cr_store_exec (self, migrations[v], error))
        goto fail;
      set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, v + 1);
      if (!cr_store_exec (self, set_version, error))
        goto fail;
    }

  return cr_store_exec (self, "COMMIT", error);

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

gboolean
_cr_store_configure (CrStore  *self,
                    GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_assert (self != NULL);

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, CR_STORE_BUSY_TIMEOUT_MS);

  /* journal_mode answers with the mode in effect: a file system without
   * shared memory may keep another one, which is still durable against a
   * process kill (the rollback journal is written before the commit
   * returns). This is also the first read of the file: a file that is not a
   * database fails here. */
  if (sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) != SQLITE_OK)
    return _cr_store_set_db_error (self, error, "Could not open the database");
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *mode = (const char *) sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (mode, "wal") != 0)
        g_debug ("%s: journal mode is %s, not wal", self->path, mode);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return _cr_store_set_db_error (self, error, "Could not open the database");

  return cr_store_exec (self,
                        "PRAGMA synchronous = NORMAL;"
                        /* A recalled text is overwritten, not only unlinked. */
                        "PRAGMA secure_delete = ON;"
                        "PRAGMA foreign_keys = ON;",
                        error);
}

gboolean
_cr_store_prepare_statements (CrStore  *self,
                             GError  **error)
{
  g_assert (self != NULL);

  for (guint i = 0; i < N_STMTS; i++)
    {
      if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                              &self->stmts[i], NULL) != SQLITE_OK)
        return _cr_store_set_db_error (self, error, stmt_sql[i]);
    }
  return TRUE;
}

/* A row as an event, or NULL when the file holds what no room writes (a
 * damaged or forged database): a negative seq, an unknown kind, text that
 * is not UTF-8, a name that is not a nickname. Members never receive it. */
CrEvent *
_cr_store_event_from_row (sqlite3_stmt *stmt)
{
  sqlite3_int64 seq;
  int kind;
  const char *name;
  const char *text;
  const char *quote_name;
  const char *quote_text;
  const char *target;
  const char *actor;
  CrEvent *event;

  g_assert (stmt != NULL);

  seq = sqlite3_column_int64 (stmt, 0);
  kind = sqlite3_column_int (stmt, 2);
  name = (const char *) sqlite3_column_text (stmt, 3);
  text = (const char *) sqlite3_column_text (stmt, 4);
  if (seq <= 0 || kind < CR_EVENT_CHAT || kind > CR_EVENT_LAST ||
      name == NULL || text == NULL ||
      !g_utf8_validate (name, -1, NULL) || !g_utf8_validate (text, -1, NULL) ||
      (*name != '\0' && cr_name_validate (name, -1, NULL) != CR_REASON_NONE) ||
      strlen (text) > CR_TEXT_MAX_BYTES)
    return NULL;
  quote_name = (const char *) sqlite3_column_text (stmt, 7);
  quote_text = (const char *) sqlite3_column_text (stmt, 8);
  target = (const char *) sqlite3_column_text (stmt, 9);
  actor = (const char *) sqlite3_column_text (stmt, 11);
  if (quote_name == NULL || quote_text == NULL || target == NULL || actor == NULL ||
      strlen (quote_name) > CR_NAME_MAX_BYTES || strlen (quote_text) > CR_QUOTE_MAX_BYTES ||
      !g_utf8_validate (quote_name, -1, NULL) || !g_utf8_validate (quote_text, -1, NULL) ||
      (*target != '\0' && cr_name_validate (target, -1, NULL) != CR_REASON_NONE) ||
      (*actor != '\0' && cr_name_validate (actor, -1, NULL) != CR_REASON_NONE))
    return NULL;

  /* seq and origin are guint64 stored bit for bit in SQLite's int64. */
  event = cr_event_new ((guint64) seq,
                        sqlite3_column_int64 (stmt, 1),
                        (CrEventKind) kind, name, text,
                        (guint64) sqlite3_column_int64 (stmt, 5));
  event->ref_seq = (guint64) sqlite3_column_int64 (stmt, 6);
  if (*quote_name != '\0')
    event->quote_name = g_strdup (quote_name);
  if (*quote_text != '\0')
    event->quote_text = g_strdup (quote_text);
  if (*target != '\0')
    event->target = g_strdup (target);
  event->recalled = sqlite3_column_int (stmt, 10) != 0;
  if (*actor != '\0')
    event->actor = g_strdup (actor);
  return event;
}

/* Runs a bound SELECT of events and collects its rows. */
GPtrArray *
_cr_store_collect_events (CrStore      *self,
                          sqlite3_stmt *stmt)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  int rc;

  g_assert (self != NULL);

  /* Bounded by the statement's LIMIT. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CrEvent *event = _cr_store_event_from_row (stmt);

      if (event != NULL)
        g_ptr_array_add (events, event);
      else
        g_warning ("%s: skipped a history row that no room writes", self->path);
    }
  if (rc != SQLITE_DONE)
    _cr_store_warn_db_error (self, "Could not read the history");
  return events;
}

CrStore *
cr_store_open (const char  *dir,
               GError     **error)
{
  g_autoptr(CrStore) self = NULL;
  int rc;

  g_return_val_if_fail (dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cr_store_sodium_init ())
    {
      g_set_error_literal (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                           "libsodium could not be initialized");
      return NULL;
    }

  /* 0700: the file holds password hashes and the whole history. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                   "Could not create the folder %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  self = g_new0 (CrStore, 1);
  self->path = g_build_filename (dir, CR_STORE_FILENAME, NULL);
  self->cost = CR_PWHASH_INTERACTIVE;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      _cr_store_set_db_error (self, error, "Could not open the database");
      return NULL;
    }

  /* The folder may have existed with wider permissions; SQLite gives the
   * -wal and -shm files the mode of the database. */
  if (g_chmod (self->path, 0600) != 0)
    {
      int saved_errno = errno;

      g_debug ("Could not make %s private: %s", self->path, g_strerror (saved_errno));
    }

  if (!_cr_store_configure (self, error) ||
      !cr_store_migrate (self, error) ||
      !cr_store_exec (self, ADMINS_TABLE, error) ||
      !_cr_store_check_integrity (self, error))
    return NULL;
  _cr_store_fill_skeletons (self);
  if (!_cr_store_prepare_statements (self, error) ||
      !_cr_store_reserve_seqs (self, error) ||
      !_cr_store_remember_file (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
cr_store_close (CrStore *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; i < N_STMTS; i++)
    g_clear_pointer (&self->stmts[i], sqlite3_finalize);

  if (self->db != NULL)
    {
      /* Every statement is finalized, so this closes now; the last
       * connection checkpoints the WAL into the main file. */
      if (sqlite3_close (self->db) != SQLITE_OK)
        g_warning ("%s: Could not close the database: %s",
                   self->path, sqlite3_errmsg (self->db));
      self->db = NULL;
    }
  g_free (self->path);
  g_free (self);
}

const char *
cr_store_get_path (CrStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->path;
}

void
cr_store_set_pwhash_cost (CrStore      *self,
                          CrPwhashCost  cost)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (cost == CR_PWHASH_INTERACTIVE || cost == CR_PWHASH_MIN);

  self->cost = cost;
}

CrPwhashCost
cr_store_get_pwhash_cost (CrStore *self)
{
  g_return_val_if_fail (self != NULL, CR_PWHASH_INTERACTIVE);

  return self->cost;
}

gboolean
cr_store_has_account (CrStore    *self,
                      const char *fold)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);

  stmt = _cr_store_stmt (self, STMT_HAS_ACCOUNT);
  sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      /* Unknown is not "no": a guest must not take a registered name
       * because the table could not be read. */
      _cr_store_note_damage (self, CR_STORE_DAMAGE_ACCOUNTS, "Could not look up an account");
      return TRUE;
    }
  return rc == SQLITE_ROW;
}

gboolean
cr_store_find_lookalike (CrStore     *self,
                         const char  *skeleton,
                         const char  *fold,
                         char       **name)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  const char *stored;
  int rc;

  g_return_val_if_fail (self != NULL, TRUE);
  g_return_val_if_fail (skeleton != NULL, TRUE);
  g_return_val_if_fail (fold != NULL, TRUE);

  if (name != NULL)
    *name = NULL;

  stmt = _cr_store_stmt (self, STMT_FIND_LOOKALIKE);
  sqlite3_bind_text (stmt, 1, skeleton, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, fold, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      /* As cr_store_has_account: unknown is not "no". */
      _cr_store_note_damage (self, CR_STORE_DAMAGE_ACCOUNTS, "Could not look up a look-alike");
      return TRUE;
    }
  stored = (const char *) sqlite3_column_text (stmt, 0);
  if (name != NULL && stored != NULL && g_utf8_validate (stored, -1, NULL) &&
      cr_name_validate (stored, -1, NULL) == CR_REASON_NONE)
    *name = g_strdup (stored);
  return TRUE;
}

char *
cr_store_hash_password (const char   *password,
                        CrPwhashCost  cost)
{
  char hash[crypto_pwhash_STRBYTES] = { 0 };
  unsigned long long opslimit;
  size_t memlimit;

  g_return_val_if_fail (password != NULL, NULL);

  if (!cr_store_sodium_init ())
    return NULL;

  if (cost == CR_PWHASH_MIN)
    {
      opslimit = crypto_pwhash_OPSLIMIT_MIN;
      memlimit = crypto_pwhash_MEMLIMIT_MIN;
    }
  else
    {
      opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
      memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    }

  /* crypto_pwhash_str picks a random salt and writes an Argon2id string
   * with its parameters, so verification needs no setting of ours. */
  if (crypto_pwhash_str (hash, password, strlen (password), opslimit, memlimit) != 0)
    return NULL;
  return g_strdup (hash);
}

gboolean
cr_store_verify_password (const char *hash,
                          const char *password)
{
  char buffer[crypto_pwhash_STRBYTES] = { 0 };
  gsize len;

  if (hash == NULL || password == NULL || !cr_store_sodium_init ())
    return FALSE;

  /* libsodium reads a buffer of crypto_pwhash_STRBYTES: copy the hash into
   * one rather than hand it a shorter string. */
  len = strlen (hash);
  if (len >= sizeof buffer)
    return FALSE;
  memcpy (buffer, hash, len);

  return crypto_pwhash_str_verify (buffer, password, strlen (password)) == 0;
}

char *
cr_store_dup_password_hash (CrStore    *self,
                            const char *fold)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  const char *stored;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (fold != NULL, NULL);

  stmt = _cr_store_stmt (self, STMT_GET_HASH);
  sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc != SQLITE_DONE)
        _cr_store_note_damage (self, CR_STORE_DAMAGE_ACCOUNTS, "Could not look up an account");
      return NULL;
    }
  stored = (const char *) sqlite3_column_text (stmt, 0);
  /* A damaged hash verifies nothing: the name stays registered and every
   * password is wrong (the room fails closed, cr-engine-auth.c). */
  if (stored == NULL || !g_utf8_validate (stored, -1, NULL))
    {
      g_warning ("%s: the password hash of an account is not text", self->path);
      return NULL;
    }
  return g_strdup (stored);
}

gboolean
cr_store_add_account_hash (CrStore     *self,
                           const char  *fold,
                           const char  *name,
                           const char  *hash,
                           GError     **error)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  g_autofree char *skeleton = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  skeleton = _cr_store_account_skeleton (name, fold);
  stmt = _cr_store_stmt (self, STMT_ADD_ACCOUNT);
  sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  if (skeleton != NULL)
    sqlite3_bind_text (stmt, 5, skeleton, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    {
      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS,
                   "An account named %s exists already", name);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not add the account");
  return TRUE;
}

gboolean
cr_store_add_account (CrStore     *self,
                      const char  *fold,
                      const char  *name,
                      const char  *password,
                      GError     **error)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Hashing takes a tenth of a second on purpose: ask first. The INSERT
   * still catches a race with another process. */
  if (cr_store_has_account (self, fold))
    {
      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS,
                   "An account named %s exists already", name);
      return FALSE;
    }

  hash = cr_store_hash_password (password, self->cost);
  if (hash == NULL)
    {
      g_set_error_literal (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                           "Not enough memory to hash the password");
      return FALSE;
    }
  return cr_store_add_account_hash (self, fold, name, hash, error);
}

gboolean
cr_store_check_password (CrStore    *self,
                         const char *fold,
                         const char *password)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);

  if (password == NULL)
    return FALSE;
  hash = cr_store_dup_password_hash (self, fold);
  return cr_store_verify_password (hash, password);
}

static gboolean
insert_event (CrStore        *self,
              const CrEvent  *event,
              GError        **error)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_assert (self != NULL);

  stmt = _cr_store_stmt (self, STMT_APPEND_EVENT);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) event->seq);
  sqlite3_bind_int64 (stmt, 2, event->time_us);
  sqlite3_bind_int (stmt, 3, event->kind);
  sqlite3_bind_text (stmt, 4, event->name != NULL ? event->name : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, event->text != NULL ? event->text : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 6, (sqlite3_int64) event->origin);
  sqlite3_bind_int64 (stmt, 7, (sqlite3_int64) event->ref_seq);
  sqlite3_bind_text (stmt, 8, event->quote_name != NULL ? event->quote_name : "", -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 9, event->quote_text != NULL ? event->quote_text : "", -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 10, event->target != NULL ? event->target : "", -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 11, event->recalled ? 1 : 0);
  sqlite3_bind_text (stmt, 12, event->actor != NULL ? event->actor : "", -1, SQLITE_STATIC);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not store an event");
  /* A recall takes its message's text out with it, in the same transaction. */
  if (event->kind == CR_EVENT_RECALL && event->ref_seq != 0 &&
      !_cr_store_recall (self, event->ref_seq, error))
    return FALSE;
  return TRUE;
}

gboolean
cr_store_append_events (CrStore          *self,
                        CrEvent * const  *events,
                        guint             n,
                        guint64           last_seq,
                        GError          **error)
{
  guint64 reserved = self != NULL ? self->seq_reserved : 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (events != NULL || n == 0, FALSE);
  g_return_val_if_fail (last_seq <= (guint64) G_MAXINT64 - CR_STORE_SEQ_RESERVE, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (events[i]->seq > 0 && events[i]->seq <= G_MAXINT64, FALSE);
      g_return_val_if_fail (events[i]->kind >= CR_EVENT_CHAT &&
                            events[i]->kind <= CR_EVENT_LAST, FALSE);
    }

  /* One transaction: the events of one batch are stored together or not
   * at all, and the caller keeps them until they are. See the top of this
   * file for why it is durable once COMMIT returns. */
  if (!cr_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!insert_event (self, events[i], error))
      goto fail;
  /* Half the reserve left: move it on with the same commit. */
  if (last_seq + CR_STORE_SEQ_RESERVE / 2 > reserved)
    {
      reserved = last_seq + CR_STORE_SEQ_RESERVE;
      if (!_cr_store_write_reserve (self, reserved, error))
        goto fail;
    }
  if (!cr_store_exec (self, "COMMIT", error))
    goto fail;
  self->seq_reserved = reserved;
  self->seq_floor = MAX (self->seq_floor, last_seq);
  return TRUE;

fail:
  /* A failed COMMIT (SQLITE_FULL) may have rolled back already. */
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

gboolean
cr_store_append_event (CrStore        *self,
                       const CrEvent  *event,
                       GError        **error)
{
  CrEvent *events[1];

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);
  g_return_val_if_fail (event->seq > 0 && event->seq <= G_MAXINT64, FALSE);
  g_return_val_if_fail (event->kind >= CR_EVENT_CHAT && event->kind <= CR_EVENT_LAST, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  events[0] = (CrEvent *) event;
  return cr_store_append_events (self, events, 1,
                                 MIN (event->seq, (guint64) G_MAXINT64 - CR_STORE_SEQ_RESERVE),
                                 error);
}

guint64
cr_store_get_last_seq (CrStore *self)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  guint64 seq = 0;
  int rc;

  g_return_val_if_fail (self != NULL, 0);

  stmt = _cr_store_stmt (self, STMT_LAST_SEQ);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    seq = (guint64) sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    _cr_store_warn_db_error (self, "Could not read the last event");
  return seq;
}

GPtrArray *
cr_store_events_after (CrStore *self,
                       guint64  after_seq,
                       guint    limit)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  /* Stored seqs are at most G_MAXINT64 (cr_store_append_event). */
  if (after_seq >= G_MAXINT64 || limit == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);

  stmt = _cr_store_stmt (self, STMT_EVENTS_AFTER);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) after_seq);
  sqlite3_bind_int64 (stmt, 2, limit);
  return _cr_store_collect_events (self, stmt);
}

GPtrArray *
cr_store_last_events (CrStore *self,
                      guint    limit)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (limit == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);

  stmt = _cr_store_stmt (self, STMT_LAST_EVENTS);
  sqlite3_bind_int64 (stmt, 1, limit);
  return _cr_store_collect_events (self, stmt);
}

char *
cr_store_get_setting (CrStore    *self,
                      const char *key)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = _cr_store_stmt (self, STMT_GET_SETTING);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *value = (const char *) sqlite3_column_text (stmt, 0);

      if (value != NULL && g_utf8_validate (value, -1, NULL))
        return g_strdup (value);
      g_warning ("%s: setting “%s” is not text", self->path, key);
      return NULL;
    }
  if (rc != SQLITE_DONE)
    _cr_store_warn_db_error (self, "Could not read a setting");
  return NULL;
}

gboolean
cr_store_set_setting (CrStore     *self,
                      const char  *key,
                      const char  *value,
                      GError     **error)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stmt = _cr_store_stmt (self, STMT_SET_SETTING);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not store a setting");
  return TRUE;
}
