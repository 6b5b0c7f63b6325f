/* cr-store.h: the room's disk: accounts, bans and the whole history in one
 * SQLite file (WAL). Passwords are Argon2id hashes (libsodium crypto_pwhash_str).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "cr-types.h"

G_BEGIN_DECLS

#define CR_STORE_ERROR (cr_store_error_quark ())
typedef enum {
  CR_STORE_ERROR_FAILED,      /* SQLite said no; message has its text */
  CR_STORE_ERROR_EXISTS,      /* account exists already */
  CR_STORE_ERROR_NOT_FOUND,
} CrStoreError;
GQuark cr_store_error_quark (void);

typedef enum {
  CR_PWHASH_INTERACTIVE = 0,  /* libsodium's interactive limits: the default */
  CR_PWHASH_MIN,              /* the smallest limits: tests and benchmarks only */
} CrPwhashCost;

typedef struct _CrStore CrStore;

/* Opens (creating) DIR/chatroom.db; creates DIR if needed. */
CrStore   *cr_store_open            (const char    *dir,
                                     GError       **error);
void       cr_store_close           (CrStore       *self);
const char *cr_store_get_path       (CrStore       *self);

/* Accounts, keyed by the folded name. */
gboolean   cr_store_has_account     (CrStore       *self,
                                     const char    *fold);
gboolean   cr_store_add_account     (CrStore       *self,
                                     const char    *fold,
                                     const char    *name,
                                     const char    *password,
                                     GError       **error);
/* TRUE when the account exists and the password matches. */
gboolean   cr_store_check_password  (CrStore       *self,
                                     const char    *fold,
                                     const char    *password);

/* The same two in halves, for a caller that hashes off its main thread
 * (CrEngine's auth jobs): what touches the file stays on the store's
 * thread, the hash itself runs anywhere. */
char      *cr_store_dup_password_hash (CrStore     *self,
                                     const char    *fold);    /* NULL: no account */
/* Fails with CR_STORE_ERROR_EXISTS when the name was taken meanwhile. */
gboolean   cr_store_add_account_hash (CrStore      *self,
                                     const char    *fold,
                                     const char    *name,
                                     const char    *hash,
                                     GError       **error);
/* Pure, any thread: an Argon2id string (salt and limits inside), NULL when
 * memory ran out; and whether password matches such a string. */
char      *cr_store_hash_password   (const char    *password,
                                     CrPwhashCost   cost);
gboolean   cr_store_verify_password (const char    *hash,
                                     const char    *password);

/* Bans, keyed by the folded name. */
gboolean   cr_store_set_banned      (CrStore       *self,
                                     const char    *fold,
                                     const char    *name,
                                     gboolean       banned,
                                     GError       **error);
GPtrArray *cr_store_list_bans       (CrStore       *self);   /* char* names */

/* History. Events are appended in seq order; append is durable when it
 * returns (WAL, synchronous=NORMAL survives a process kill). */
gboolean   cr_store_append_event    (CrStore        *self,
                                     const CrEvent  *event,
                                     GError        **error);
guint64    cr_store_get_last_seq    (CrStore        *self);
/* Events with seq > after_seq, oldest first, at most limit (CrEvent*). */
GPtrArray *cr_store_events_after    (CrStore        *self,
                                     guint64         after_seq,
                                     guint           limit);
/* The newest limit events, oldest first (CrEvent*). */
GPtrArray *cr_store_last_events     (CrStore        *self,
                                     guint           limit);
/* Key/value for room settings that must persist (room name…). */
char      *cr_store_get_setting     (CrStore        *self,
                                     const char     *key);
gboolean   cr_store_set_setting     (CrStore        *self,
                                     const char     *key,
                                     const char     *value,
                                     GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStore, cr_store_close)

G_END_DECLS
