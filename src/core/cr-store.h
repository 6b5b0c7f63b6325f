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
  CR_STORE_ERROR_DAMAGED,     /* the file is unreadable where the room needs it */
} CrStoreError;
GQuark cr_store_error_quark (void);

typedef enum {
  CR_PWHASH_INTERACTIVE = 0,  /* libsodium's interactive limits: the default */
  CR_PWHASH_MIN,              /* the smallest limits: tests and benchmarks only */
} CrPwhashCost;

typedef struct _CrStore CrStore;

/* Parts of the file that failed their integrity check at open, or a read
 * later: the room must not admit anyone by rules it cannot read. */
typedef enum {
  CR_STORE_DAMAGE_NONE     = 0,
  CR_STORE_DAMAGE_ACCOUNTS = 1 << 0,
  CR_STORE_DAMAGE_BANS     = 1 << 1,
} CrStoreDamage;

/* Whether the file the store writes to is still the one it opened. */
typedef enum {
  CR_STORE_FILE_OK,
  CR_STORE_FILE_MISSING,      /* deleted under the store (the file or its folder) */
  CR_STORE_FILE_REPLACED,     /* another file at the path, or the path unreachable */
} CrStoreFileState;

/* Numbers the room's sequence may use before the store must reserve more:
 * a room that dies with unwritten events restarts after the reserve, so
 * the numbers it handed out are never handed out again. */
#define CR_STORE_SEQ_RESERVE G_GUINT64_CONSTANT (65536)

/* Opens (creating) DIR/chatroom.db; creates DIR if needed. Checks the
 * file's integrity (PRAGMA quick_check, per table) and reserves sequence
 * numbers: fails with CR_STORE_ERROR_DAMAGED when the history or the
 * settings are unreadable (the room could not tell which numbers it used),
 * and with CR_STORE_ERROR_FAILED when it cannot write the reservation.
 * Damaged accounts or bans do not fail the open: cr_store_get_damage(). */
CrStore   *cr_store_open            (const char    *dir,
                                     GError       **error);
void       cr_store_close           (CrStore       *self);
const char *cr_store_get_path       (CrStore       *self);
CrStoreDamage cr_store_get_damage   (CrStore       *self);

/* Compares the file at the path with the one opened (device and inode). */
CrStoreFileState cr_store_check_file (CrStore      *self);
/* After CR_STORE_FILE_MISSING: writes what the open connection still reads
 * (the deleted file, with everything committed) back to the path and
 * continues on that copy. Never overwrites a file that is there. */
gboolean   cr_store_recreate        (CrStore       *self,
                                     GError       **error);

/* Accounts, keyed by the folded name. When the table cannot be read the
 * answer is TRUE (fail closed: the name may be registered) and the damage
 * is recorded. */
gboolean   cr_store_has_account     (CrStore       *self,
                                     const char    *fold);
gboolean   cr_store_add_account     (CrStore       *self,
                                     const char    *fold,
                                     const char    *name,
                                     const char    *password,
                                     GError       **error);
/* Whether an account of another fold than fold has this skeleton
 * (cr_name_skeleton: a name a reader cannot tell from that account's).
 * *name (optional) gets that account's name, transfer full. When the table
 * cannot be read the answer is TRUE with *name NULL (fail closed) and the
 * damage is recorded. */
gboolean   cr_store_find_lookalike  (CrStore       *self,
                                     const char    *skeleton,
                                     const char    *fold,
                                     char         **name);
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

/* Admins (issue 15), keyed by the folded name like bans. The room's pinned
 * announcement and mute-all are settings (cr-engine-moderation.c). */
gboolean   cr_store_set_admin       (CrStore       *self,
                                     const char    *fold,
                                     const char    *name,
                                     gboolean       admin,
                                     GError       **error);
GPtrArray *cr_store_list_admins     (CrStore       *self);   /* char* names */

/* Mutes (issue 15), keyed by the folded name like bans, so that a mute
 * outlives a restart: until is when it ends, in µs since the epoch (the
 * wall clock: a monotonic one starts again with the machine), 0 until
 * lifted. The list skips rows that no room writes. */
typedef struct {
  char   *name;
  gint64  until;
} CrStoreMute;

gboolean   cr_store_set_mute        (CrStore       *self,
                                     const char    *fold,
                                     const char    *name,
                                     gboolean       muted,
                                     gint64         until,
                                     GError       **error);
GPtrArray *cr_store_list_mutes      (CrStore       *self);   /* CrStoreMute* */
void       cr_store_mute_free       (CrStoreMute   *mute);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStoreMute, cr_store_mute_free)

/* History. Events are appended in seq order; append is durable when it
 * returns (WAL, synchronous=NORMAL survives a process kill). */
gboolean   cr_store_append_event    (CrStore        *self,
                                     const CrEvent  *event,
                                     GError        **error);
/* n events in one transaction: all stored, or none (error). last_seq is the
 * room's newest number; the reserve is extended in the same transaction
 * when it runs low. */
gboolean   cr_store_append_events   (CrStore        *self,
                                     CrEvent * const *events,
                                     guint           n,
                                     guint64         last_seq,
                                     GError        **error);
guint64    cr_store_get_last_seq    (CrStore        *self);   /* newest stored, 0: none */
/* The number the room continues after: the newest stored, or the reserve
 * that was left when the room last stopped, whichever is larger. */
guint64    cr_store_get_seq_floor   (CrStore        *self);
/* A room stops; last_seq was its newest number. A room started again on
 * this store continues after it, and when everything up to it is written
 * the numbers reserved beyond it are given back (the next start continues
 * at once). */
gboolean   cr_store_release_seqs    (CrStore        *self,
                                     guint64         last_seq,
                                     GError        **error);
/* Events with seq > after_seq, oldest first, at most limit (CrEvent*). */
GPtrArray *cr_store_events_after    (CrStore        *self,
                                     guint64         after_seq,
                                     guint           limit);
/* The newest limit events, oldest first (CrEvent*). */
GPtrArray *cr_store_last_events     (CrStore        *self,
                                     guint           limit);
/* Conversation (issue 14; cr-store-history.c). viewer: the member asking
 * (a normalized name), who sees the private messages they sent or got and
 * no others.
 * The newest limit events with seq < before (0: all), oldest first. */
GPtrArray *cr_store_events_before   (CrStore        *self,
                                     guint64         before,
                                     guint           limit,
                                     const char     *viewer);
/* One event, NULL when there is none. */
CrEvent   *cr_store_get_event       (CrStore        *self,
                                     guint64         seq);
/* Messages (chat, the owner's, announcements; not recalled) whose text has
 * every word of query (split at spaces, case-insensitive), newest first,
 * at most limit; *more when there were more. Words of 3 or more characters
 * are looked up in the trigram index; a query with a shorter word (a
 * two-character Chinese word) is answered by reading the newest
 * CR_STORE_SEARCH_SCAN messages instead. */
#define CR_STORE_SEARCH_SCAN 20000
GPtrArray *cr_store_search          (CrStore        *self,
                                     const char     *query,
                                     const char     *viewer,
                                     guint           limit,
                                     gboolean       *more);

/* Key/value for room settings that must persist (room name…). */
char      *cr_store_get_setting     (CrStore        *self,
                                     const char     *key);
gboolean   cr_store_set_setting     (CrStore        *self,
                                     const char     *key,
                                     const char     *value,
                                     GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrStore, cr_store_close)

G_END_DECLS
