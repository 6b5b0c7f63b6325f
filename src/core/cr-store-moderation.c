/* cr-store-moderation.c: the room's moderation on disk: bans, admins and
 * mutes, each a table of names keyed by the folded name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bans and mutes (schema 4) go through cached statements (cr-store.c
 * prepares them at open); admins, rare, through statements of their own.
 * A row that no room writes (not a nickname) is skipped when read, so a
 * damaged file bans, mutes or promotes nobody by it.
 */
#define G_LOG_DOMAIN "cr-store"

#include "config.h"

#include <sqlite3.h>

#define CR_STORE_COMPILATION
#include "cr-store-private.h"
#include "cr-store.h"

/* Sets (on) or deletes the row of fold in a table of names: bans, mutes.
 * value is the row's third column (when it was made, when a mute ends). */
static gboolean
set_name_row (CrStore     *self,
              StmtId       set,
              StmtId       delete,
              const char  *fold,
              const char  *name,
              gboolean     on,
              gint64       value,
              const char  *what,
              GError     **error)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_assert (self != NULL);

  if (on)
    {
      stmt = _cr_store_stmt (self, set);
      sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, name != NULL ? name : fold, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, value);
    }
  else
    {
      /* Deleting a row that is not there is not an error: the wanted state
       * holds either way. */
      stmt = _cr_store_stmt (self, delete);
      sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
    }

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, what);
  return TRUE;
}

gboolean
cr_store_set_banned (CrStore     *self,
                     const char  *fold,
                     const char  *name,
                     gboolean     banned,
                     GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_name_row (self, STMT_SET_BAN, STMT_DELETE_BAN, fold, name, banned,
                       g_get_real_time (),
                       banned ? "Could not store a ban" : "Could not lift a ban", error);
}

GPtrArray *
cr_store_list_bans (CrStore *self)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  GPtrArray *bans;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);

  bans = g_ptr_array_new_with_free_func (g_free);
  stmt = _cr_store_stmt (self, STMT_LIST_BANS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      /* A damaged row bans no name that anyone could use. */
      if (name != NULL && g_utf8_validate (name, -1, NULL) && *name != '\0')
        g_ptr_array_add (bans, g_strdup (name));
      else
        g_warning ("%s: skipped a ban row that is not a name", self->path);
    }
  if (rc != SQLITE_DONE)
    _cr_store_note_damage (self, CR_STORE_DAMAGE_BANS, "Could not read the bans");
  return bans;
}

gboolean
cr_store_set_admin (CrStore     *self,
                    const char  *fold,
                    const char  *name,
                    gboolean     admin,
                    GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Rare (the owner appoints by hand): not worth a cached statement. */
  rc = sqlite3_prepare_v2 (self->db,
                           admin ? "INSERT INTO admins (fold, name) VALUES (?1, ?2) "
                                   "ON CONFLICT (fold) DO UPDATE SET name = excluded.name"
                                 : "DELETE FROM admins WHERE fold = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, fold, -1, SQLITE_STATIC);
      if (admin)
        sqlite3_bind_text (stmt, 2, name != NULL ? name : fold, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not store an admin");
  return TRUE;
}

GPtrArray *
cr_store_list_admins (CrStore *self)
{
  sqlite3_stmt *stmt = NULL;
  GPtrArray *admins;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);

  admins = g_ptr_array_new_with_free_func (g_free);
  rc = sqlite3_prepare_v2 (self->db, "SELECT name FROM admins ORDER BY fold", -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      if (name != NULL && g_utf8_validate (name, -1, NULL) && *name != '\0')
        g_ptr_array_add (admins, g_strdup (name));
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_DONE)
    _cr_store_warn_db_error (self, "Could not read the admins");
  sqlite3_finalize (stmt);
  return admins;
}

gboolean
cr_store_set_mute (CrStore     *self,
                   const char  *fold,
                   const char  *name,
                   gboolean     muted,
                   gint64       until,
                   GError     **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (fold != NULL, FALSE);
  g_return_val_if_fail (until >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return set_name_row (self, STMT_SET_MUTE, STMT_DELETE_MUTE, fold, name, muted, until,
                       muted ? "Could not store a mute" : "Could not lift a mute", error);
}

void
cr_store_mute_free (CrStoreMute *mute)
{
  if (mute == NULL)
    return;
  g_free (mute->name);
  g_free (mute);
}

GPtrArray *
cr_store_list_mutes (CrStore *self)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  GPtrArray *mutes;
  int rc;

  g_return_val_if_fail (self != NULL, NULL);

  mutes = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_store_mute_free);
  stmt = _cr_store_stmt (self, STMT_LIST_MUTES);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      gint64 until = sqlite3_column_int64 (stmt, 1);
      CrStoreMute *mute;

      /* A damaged row mutes nobody: a mute is a nickname's, and ends at a
       * time since the epoch or never (0). */
      if (name == NULL || !g_utf8_validate (name, -1, NULL) ||
          cr_name_validate (name, -1, NULL) != CR_REASON_NONE || until < 0)
        {
          g_warning ("%s: skipped a mute row that no room writes", self->path);
          continue;
        }
      mute = g_new0 (CrStoreMute, 1);
      mute->name = g_strdup (name);
      mute->until = until;
      g_ptr_array_add (mutes, mute);
    }
  if (rc != SQLITE_DONE)
    _cr_store_warn_db_error (self, "Could not read the mutes");
  return mutes;
}
