/* cr-store-private.h: what only the core and its tests may call on CrStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-store.h"

G_BEGIN_DECLS

/* Tests and benchmarks hash with the smallest limits (CR_PWHASH_MIN) so a
 * password join does not take a tenth of a second; a room never does. */
void          cr_store_set_pwhash_cost (CrStore      *self,
                                        CrPwhashCost  cost);
CrPwhashCost  cr_store_get_pwhash_cost (CrStore      *self);

#ifdef CR_STORE_COMPILATION
/* What the parts of CrStore share: cr-store.c (the connection, accounts,
 * bans, history, settings) and cr-store-faults.c (integrity, the file's
 * identity, the sequence reserve). */
#include <sqlite3.h>

typedef enum {
  STMT_HAS_ACCOUNT,
  STMT_FIND_LOOKALIKE,
  STMT_GET_HASH,
  STMT_ADD_ACCOUNT,
  STMT_SET_BAN,
  STMT_DELETE_BAN,
  STMT_LIST_BANS,
  STMT_APPEND_EVENT,
  STMT_LAST_SEQ,
  STMT_EVENTS_AFTER,
  STMT_LAST_EVENTS,
  STMT_GET_SETTING,
  STMT_SET_SETTING,
  STMT_EVENTS_BEFORE,
  STMT_GET_EVENT,
  STMT_RECALL,
  STMT_RECALL_QUOTES,
  STMT_SEARCH_MATCH,
  STMT_SEARCH_SCAN,
  STMT_SET_MUTE,
  STMT_DELETE_MUTE,
  STMT_LIST_MUTES,
  CR_STORE_N_STMTS
} StmtId;

struct _CrStore
{
  char          *path;
  sqlite3       *db;
  CrPwhashCost   cost;
  sqlite3_stmt  *stmts[CR_STORE_N_STMTS];
  CrStoreDamage  damage;
  guint64        seq_floor;
  guint64        seq_reserved;   /* what the file says: numbers up to here are taken */
  guint64        dev;            /* the file opened */
  guint64        ino;
};

gboolean  _cr_store_set_db_error      (CrStore        *self,
                                       GError        **error,
                                       const char     *what);
void      _cr_store_warn_db_error     (CrStore        *self,
                                       const char     *what);
gboolean  _cr_store_configure         (CrStore        *self,
                                       GError        **error);
gboolean  _cr_store_prepare_statements (CrStore       *self,
                                        GError       **error);
gboolean  _cr_store_check_integrity   (CrStore        *self,
                                       GError        **error);
gboolean  _cr_store_remember_file     (CrStore        *self,
                                       GError        **error);
gboolean  _cr_store_reserve_seqs      (CrStore        *self,
                                       GError        **error);
gboolean  _cr_store_write_reserve     (CrStore        *self,
                                       guint64         reserved,
                                       GError        **error);
void      _cr_store_note_damage       (CrStore        *self,
                                       CrStoreDamage   damage,
                                       const char     *what);
/* An account's skeleton (cr_name_skeleton) from its row: the name, or the
 * fold when the name is not a nickname; NULL when neither is. */
char     *_cr_store_account_skeleton  (const char     *name,
                                       const char     *fold);
/* A cached statement borrowed for one use: g_autoptr resets it (and drops
 * its bindings) at the end of the scope instead of finalizing it. */
typedef sqlite3_stmt CrStoreStmt;

static inline void
_cr_store_stmt_release (CrStoreStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStoreStmt, _cr_store_stmt_release)

CrStoreStmt *_cr_store_stmt           (CrStore        *self,
                                       StmtId          id);
CrEvent  *_cr_store_event_from_row    (sqlite3_stmt   *stmt);
GPtrArray *_cr_store_collect_events   (CrStore        *self,
                                       sqlite3_stmt   *stmt);
/* cr-store-history.c: blank a message's text (table and index). */
gboolean  _cr_store_recall            (CrStore        *self,
                                       guint64         seq,
                                       GError        **error);
/* Gives the accounts without a skeleton theirs, and indexes them. */
void      _cr_store_fill_skeletons    (CrStore        *self);
#endif

G_END_DECLS
