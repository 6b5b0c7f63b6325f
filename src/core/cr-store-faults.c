/* cr-store-faults.c: what CrStore does about a disk that fails it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The integrity check at open, the file's identity (a database deleted or
 * replaced under the room), writing a deleted file back, the reserve of
 * sequence numbers, and the skeletons of accounts from before schema 2
 * (filled at open, after the integrity check: a failure there is damage);
 * why each exists is at the top of cr-store.c. These run at open or after
 * a fault, so they prepare their statements each time instead of keeping
 * them.
 */
#define G_LOG_DOMAIN "cr-store"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#define CR_STORE_COMPILATION
#include "cr-store-private.h"

#define CR_STORE_SEQ_KEY "seq-reserved"

/* The tables and what a damaged one means. */
static const struct {
  const char    *table;
  CrStoreDamage  damage;      /* NONE: the open fails */
} checked_tables[] = {
  { "accounts", CR_STORE_DAMAGE_ACCOUNTS },
  { "bans", CR_STORE_DAMAGE_BANS },
  { "events", CR_STORE_DAMAGE_NONE },
  { "settings", CR_STORE_DAMAGE_NONE },
};

typedef sqlite3_stmt CrStoreOneShot;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStoreOneShot, sqlite3_finalize)

static sqlite3_stmt *
one_shot (CrStore    *self,
          const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  return stmt;
}

/* NULL when PRAGMA quick_check finds the table sound, else what it found. */
static char *
check_table (CrStore    *self,
             const char *table)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA quick_check(%s)", table);
  sqlite3_stmt *stmt = NULL;
  char *problem = NULL;
  int rc;

  g_assert (self != NULL);

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return g_strdup (sqlite3_errmsg (self->db));
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *answer = (const char *) sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (answer, "ok") != 0)
        problem = g_strdup (answer != NULL ? answer : "?");
    }
  else
    problem = g_strdup (sqlite3_errmsg (self->db));
  sqlite3_finalize (stmt);
  return problem;
}

gboolean
_cr_store_check_integrity (CrStore  *self,
                           GError  **error)
{
  g_assert (self != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (checked_tables); i++)
    {
      g_autofree char *problem = check_table (self, checked_tables[i].table);

      if (problem == NULL)
        continue;
      g_strdelimit (problem, "\n", ' ');
      if (checked_tables[i].damage == CR_STORE_DAMAGE_NONE)
        {
          g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_DAMAGED,
                       "%s: the %s table is damaged (%s); the room cannot tell which "
                       "message numbers it used. Move the file away to start afresh, "
                       "or repair it (sqlite3 .recover)",
                       self->path, checked_tables[i].table, problem);
          return FALSE;
        }
      g_debug ("%s: the %s table is damaged: %s", self->path, checked_tables[i].table, problem);
      self->damage |= checked_tables[i].damage;
    }
  return TRUE;
}

/* A failed read of the accounts or bans: anything but "no such row". */
void
_cr_store_note_damage (CrStore       *self,
                       CrStoreDamage  damage,
                       const char    *what)
{
  g_assert (self != NULL);

  g_debug ("%s: %s: %s", self->path, what, sqlite3_errmsg (self->db));
  self->damage |= damage;
}

gboolean
_cr_store_remember_file (CrStore  *self,
                         GError  **error)
{
  GStatBuf st;

  g_assert (self != NULL);

  if (g_stat (self->path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                   "%s: %s", self->path, g_strerror (saved_errno));
      return FALSE;
    }
  self->dev = st.st_dev;
  self->ino = st.st_ino;
  return TRUE;
}

gboolean
_cr_store_write_reserve (CrStore  *self,
                         guint64   reserved,
                         GError  **error)
{
  g_autoptr(CrStoreOneShot) stmt = NULL;
  char value[32];

  g_assert (self != NULL);

  g_snprintf (value, sizeof value, "%" G_GUINT64_FORMAT, reserved);
  stmt = one_shot (self, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (stmt == NULL)
    return _cr_store_set_db_error (self, error, "Could not reserve message numbers");
  sqlite3_bind_text (stmt, 1, CR_STORE_SEQ_KEY, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not reserve message numbers");
  return TRUE;
}

/* Where the room's numbers continue, and the reserve after it, written
 * before the room may use any of them. */
gboolean
_cr_store_reserve_seqs (CrStore  *self,
                        GError  **error)
{
  guint64 last = 0, reserved = 0;
  int rc;

  g_assert (self != NULL);

  {
    g_autoptr(CrStoreOneShot) stmt = one_shot (self, "SELECT max(seq) FROM events");

    rc = stmt != NULL ? sqlite3_step (stmt) : SQLITE_ERROR;
    if (rc == SQLITE_ROW)
      last = (guint64) sqlite3_column_int64 (stmt, 0);
    else if (rc != SQLITE_DONE)
      return _cr_store_set_db_error (self, error, "Could not read the newest message number");
  }
  {
    g_autoptr(CrStoreOneShot) stmt = one_shot (self, "SELECT value FROM settings WHERE key = ?1");

    if (stmt != NULL)
      sqlite3_bind_text (stmt, 1, CR_STORE_SEQ_KEY, -1, SQLITE_STATIC);
    rc = stmt != NULL ? sqlite3_step (stmt) : SQLITE_ERROR;
    if (rc == SQLITE_ROW &&
        !g_ascii_string_to_unsigned ((const char *) sqlite3_column_text (stmt, 0), 10,
                                     0, G_MAXINT64, &reserved, NULL))
      {
        g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_DAMAGED,
                     "%s: the reserved message number is not a number", self->path);
        return FALSE;
      }
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return _cr_store_set_db_error (self, error, "Could not read the reserved message numbers");
  }

  self->seq_floor = MAX (last, reserved);
  if (self->seq_floor > (guint64) G_MAXINT64 - CR_STORE_SEQ_RESERVE)
    {
      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_DAMAGED,
                   "%s: message numbers are used up", self->path);
      return FALSE;
    }
  if (!_cr_store_write_reserve (self, self->seq_floor + CR_STORE_SEQ_RESERVE, error))
    return FALSE;
  self->seq_reserved = self->seq_floor + CR_STORE_SEQ_RESERVE;
  return TRUE;
}

CrStoreDamage
cr_store_get_damage (CrStore *self)
{
  g_return_val_if_fail (self != NULL, CR_STORE_DAMAGE_NONE);

  return self->damage;
}

CrStoreFileState
cr_store_check_file (CrStore *self)
{
  GStatBuf st;

  g_return_val_if_fail (self != NULL, CR_STORE_FILE_REPLACED);

  if (g_stat (self->path, &st) != 0)
    return errno == ENOENT || errno == ENOTDIR ? CR_STORE_FILE_MISSING : CR_STORE_FILE_REPLACED;
  if ((guint64) st.st_dev != self->dev || (guint64) st.st_ino != self->ino)
    return CR_STORE_FILE_REPLACED;
  return CR_STORE_FILE_OK;
}

gboolean
cr_store_recreate (CrStore  *self,
                   GError  **error)
{
  g_autofree char *dir = NULL;
  sqlite3 *old_db;
  sqlite3_stmt *old_stmts[CR_STORE_N_STMTS];
  char *sql;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cr_store_check_file (self) != CR_STORE_FILE_MISSING)
    {
      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS,
                   "%s: a file is there: the room does not overwrite it", self->path);
      return FALSE;
    }

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                   "Could not create the folder %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* The old connection must never unlink what will be the copy's -wal and
   * -shm when it closes (the last connection in WAL mode deletes them by
   * name). A -wal or -shm left at the path is the deleted file's: the copy
   * would replay its frames, so it goes; the old connection keeps reading
   * them through its open descriptors. */
  {
    int persist = 1;

    sqlite3_file_control (self->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *side = g_strconcat (self->path, i == 0 ? "-wal" : "-shm", NULL);

      if (g_unlink (side) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, CR_STORE_ERROR, CR_STORE_ERROR_FAILED,
                       "Could not remove %s: %s", side, g_strerror (saved_errno));
          return FALSE;
        }
    }

  /* The open connection still reads the deleted file (and its WAL):
   * VACUUM INTO writes all of it, committed state only, to a new file, and
   * refuses if one appeared at the path meanwhile. */
  sql = sqlite3_mprintf ("VACUUM INTO %Q", self->path);
  rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  sqlite3_free (sql);
  if (rc != SQLITE_OK)
    return _cr_store_set_db_error (self, error, "Could not write the database back");
  if (g_chmod (self->path, 0600) != 0)
    g_debug ("Could not make %s private: %s", self->path, g_strerror (errno));

  /* Continue on the copy; on any failure keep the old connection. */
  old_db = self->db;
  memcpy (old_stmts, self->stmts, sizeof old_stmts);
  memset (self->stmts, 0, sizeof self->stmts);
  self->db = NULL;
  rc = sqlite3_open_v2 (self->path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK ||
      !_cr_store_configure (self, error) ||
      !_cr_store_prepare_statements (self, error) ||
      !_cr_store_remember_file (self, error))
    {
      if (rc != SQLITE_OK)
        _cr_store_set_db_error (self, error, "Could not open the written-back database");
      for (guint i = 0; i < CR_STORE_N_STMTS; i++)
        g_clear_pointer (&self->stmts[i], sqlite3_finalize);
      sqlite3_close (self->db);
      self->db = old_db;
      memcpy (self->stmts, old_stmts, sizeof old_stmts);
      return FALSE;
    }

  for (guint i = 0; i < CR_STORE_N_STMTS; i++)
    g_clear_pointer (&old_stmts[i], sqlite3_finalize);
  sqlite3_close (old_db);
  return TRUE;
}

guint64
cr_store_get_seq_floor (CrStore *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->seq_floor;
}

gboolean
cr_store_release_seqs (CrStore  *self,
                       guint64   last_seq,
                       GError  **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* A room started again on this store continues after last_seq. */
  self->seq_floor = MAX (self->seq_floor, last_seq);

  /* Numbers handed out and not written keep the reserve where it is; so
   * does a file that is no longer the one opened. */
  if (cr_store_get_last_seq (self) < self->seq_floor ||
      self->seq_floor >= self->seq_reserved ||
      cr_store_check_file (self) != CR_STORE_FILE_OK)
    return TRUE;
  if (!_cr_store_write_reserve (self, self->seq_floor, error))
    return FALSE;
  self->seq_reserved = self->seq_floor;
  return TRUE;
}

/* An account's skeleton from what its row holds: the name, or the fold
 * when the name is not one (a damaged row); NULL when neither is. */
char *
_cr_store_account_skeleton (const char *name,
                            const char *fold)
{
  const char *candidates[] = { name, fold };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *normalized = NULL;

      if (candidates[i] != NULL &&
          cr_name_validate (candidates[i], -1, &normalized) == CR_REASON_NONE)
        return cr_name_skeleton (normalized);
    }
  return NULL;
}

/* Gives every account without one its skeleton (accounts made before
 * schema 2) and indexes them. Runs after the integrity check: a damaged
 * table is not touched, and a failure here does not fail the open but
 * counts as damage, so the room refuses names by accounts it cannot read
 * rather than admit a look-alike of one (fail closed, like
 * cr_store_has_account). */
void
_cr_store_fill_skeletons (CrStore *self)
{
  sqlite3_stmt *select = NULL;
  sqlite3_stmt *update = NULL;
  guint filled = 0;
  int rc = SQLITE_ERROR;

  g_assert (self != NULL);

  if (self->damage & CR_STORE_DAMAGE_ACCOUNTS)
    return;
  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  if (sqlite3_exec (self->db, "CREATE INDEX IF NOT EXISTS accounts_by_skeleton "
                    "ON accounts (skeleton)", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (self->db, "SELECT fold, name FROM accounts WHERE skeleton IS NULL",
                          -1, &select, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (self->db, "UPDATE accounts SET skeleton = ?1 WHERE fold = ?2",
                          -1, &update, NULL) != SQLITE_OK)
    goto fail;

  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      const char *fold = (const char *) sqlite3_column_text (select, 0);
      const char *name = (const char *) sqlite3_column_text (select, 1);
      g_autofree char *skeleton = NULL;

      if (fold == NULL || !g_utf8_validate (fold, -1, NULL))
        continue;
      skeleton = _cr_store_account_skeleton (name != NULL && g_utf8_validate (name, -1, NULL) ? name : NULL,
                                   fold);
      if (skeleton == NULL)
        continue;
      sqlite3_bind_text (update, 1, skeleton, -1, SQLITE_STATIC);
      sqlite3_bind_text (update, 2, fold, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (update) != SQLITE_DONE)
        {
          rc = SQLITE_ERROR;
          break;
        }
      sqlite3_reset (update);
      sqlite3_clear_bindings (update);
      filled++;
    }
  if (rc != SQLITE_DONE)
    goto fail;
  g_clear_pointer (&select, sqlite3_finalize);
  g_clear_pointer (&update, sqlite3_finalize);
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  if (filled > 0)
    g_debug ("%s: %u accounts got their skeleton", self->path, filled);
  return;

fail:
  _cr_store_note_damage (self, CR_STORE_DAMAGE_ACCOUNTS, "Could not index the accounts' skeletons");
  g_clear_pointer (&select, sqlite3_finalize);
  g_clear_pointer (&update, sqlite3_finalize);
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}
