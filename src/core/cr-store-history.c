/* cr-store-history.c: the history as a conversation: older pages, one
 * event, recalls and search
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A recall blanks the row (text and quoted line), and the quoted line of
 * every reply to it, in the transaction that
 * stores the RECALL event (cr-store.c: insert_event); the events_fts
 * triggers (schema 3) take the old text out of the index, and
 * secure_delete overwrites the freed bytes. Search goes through the
 * trigram index when every word has at least 3 characters (a trigram
 * cannot match less); otherwise it reads the newest CR_STORE_SEARCH_SCAN
 * messages, so that a two-character Chinese word is found too.
 */
#define G_LOG_DOMAIN "cr-store"

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#define CR_STORE_COMPILATION
#include "cr-store-private.h"
#include "cr-store.h"

/* No member is called this: a NULL viewer sees no private message. */
#define NOBODY "\n"

gboolean
_cr_store_recall (CrStore  *self,
                  guint64   seq,
                  GError  **error)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_assert (self != NULL);

  if (seq == 0 || seq > G_MAXINT64)
    return TRUE;
  stmt = _cr_store_stmt (self, STMT_RECALL);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) seq);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return _cr_store_set_db_error (self, error, "Could not recall a message");
  {
    g_autoptr(CrStoreStmt) quotes = _cr_store_stmt (self, STMT_RECALL_QUOTES);

    sqlite3_bind_int64 (quotes, 1, (sqlite3_int64) seq);
    if (sqlite3_step (quotes) != SQLITE_DONE)
      return _cr_store_set_db_error (self, error, "Could not recall a message's quotes");
  }
  return TRUE;
}

GPtrArray *
cr_store_events_before (CrStore    *self,
                        guint64     before,
                        guint       limit,
                        const char *viewer)
{
  g_autoptr(CrStoreStmt) stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (limit == 0 || before == 1)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  if (before == 0 || before > G_MAXINT64)
    before = G_MAXINT64;

  stmt = _cr_store_stmt (self, STMT_EVENTS_BEFORE);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) before);
  sqlite3_bind_int64 (stmt, 2, limit);
  sqlite3_bind_text (stmt, 3, viewer != NULL ? viewer : NOBODY, -1, SQLITE_TRANSIENT);
  return _cr_store_collect_events (self, stmt);
}

CrEvent *
cr_store_get_event (CrStore *self,
                    guint64  seq)
{
  g_autoptr(CrStoreStmt) stmt = NULL;
  g_autoptr(GPtrArray) events = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (seq == 0 || seq > G_MAXINT64)
    return NULL;
  stmt = _cr_store_stmt (self, STMT_GET_EVENT);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) seq);
  events = _cr_store_collect_events (self, stmt);
  return events->len > 0 ? g_ptr_array_steal_index (events, 0) : NULL;
}

/* Each word a quoted FTS5 string ("" inside doubled): AND of the words. */
static char *
match_expression (char **words)
{
  GString *match = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_c (match, '"');
      for (const char *p = words[i]; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (match, '"');
          g_string_append_c (match, *p);
        }
      g_string_append_c (match, '"');
    }
  return g_string_free (match, FALSE);
}

static gboolean
has_every_word (const char  *text,
                char       **folded_words)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);

  for (guint i = 0; folded_words[i] != NULL; i++)
    if (strstr (folded, folded_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

GPtrArray *
cr_store_search (CrStore    *self,
                 const char *query,
                 const char *viewer,
                 guint       limit,
                 gboolean   *more)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) split = NULL;
  gboolean short_word = FALSE;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (more != NULL)
    *more = FALSE;
  if (limit == 0 || !g_utf8_validate (query, -1, NULL))
    return g_steal_pointer (&results);

  split = g_strsplit_set (query, " \t\n\r", -1);
  for (guint i = 0; split[i] != NULL; i++)
    if (*split[i] != '\0')
      {
        g_ptr_array_add (kept, g_strdup (split[i]));
        if (g_utf8_strlen (split[i], -1) < 3)
          short_word = TRUE;
      }
  if (kept->len == 0)
    return g_steal_pointer (&results);
  g_ptr_array_add (kept, NULL);

  if (!short_word)
    {
      g_autoptr(CrStoreStmt) stmt = _cr_store_stmt (self, STMT_SEARCH_MATCH);
      g_autofree char *match = match_expression ((char **) kept->pdata);
      GPtrArray *found;

      sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) limit + 1);
      sqlite3_bind_text (stmt, 3, viewer != NULL ? viewer : NOBODY, -1, SQLITE_TRANSIENT);
      found = _cr_store_collect_events (self, stmt);
      g_ptr_array_unref (results);
      results = found;
    }
  else
    {
      g_autoptr(CrStoreStmt) stmt = _cr_store_stmt (self, STMT_SEARCH_SCAN);
      g_autoptr(GPtrArray) folded = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i + 1 < kept->len; i++)
        g_ptr_array_add (folded, g_utf8_casefold (kept->pdata[i], -1));
      g_ptr_array_add (folded, NULL);

      sqlite3_bind_int64 (stmt, 1, 0);
      sqlite3_bind_int64 (stmt, 2, CR_STORE_SEARCH_SCAN);
      sqlite3_bind_text (stmt, 3, viewer != NULL ? viewer : NOBODY, -1, SQLITE_TRANSIENT);
      /* Bounded by the statement's LIMIT, and by limit + 1 found. */
      while (results->len <= limit && sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *text = (const char *) sqlite3_column_text (stmt, 4);
          CrEvent *event;

          if (text == NULL || !has_every_word (text, (char **) folded->pdata))
            continue;
          event = _cr_store_event_from_row (stmt);
          if (event != NULL)
            g_ptr_array_add (results, event);
        }
    }

  if (results->len > limit)
    {
      g_ptr_array_set_size (results, limit);
      if (more != NULL)
        *more = TRUE;
    }
  return g_steal_pointer (&results);
}
