/* cr-files-private.h: what cr-files.c and cr-files-service.c share, and
 * the test hooks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "cr-crypto.h"
#include "cr-files.h"

G_BEGIN_DECLS

struct _CrFiles {
  gint              ref_count;   /* atomic: calls to the main context hold one */
  GMainContext     *context;     /* where the room lives: metadata, hooks */
  char             *dir;         /* DATA_DIR/files */
  char             *tmp_dir;     /* DATA_DIR/files/tmp: uploads in progress */
  sqlite3          *db;          /* on the context only */

  /* Read by worker threads: under lock. */
  GMutex            lock;
  GCond             cond;        /* a main call finished, a worker ended */
  gboolean          closed;
  guint             active;      /* workers serving a connection */
  guint             waiting;     /* connections queued for a worker */
  guint64           max_size;
  guint64           quota;
  guint64           reserve;
  CrFilesPolicy     policy;
  CrFilesStats      stats;
  gint              corrupt_chunk;  /* test hook: -1 none */
  int               hook;           /* test hook: HOOK_* of cr-files-service.c */
  guint64           hook_after;
  gboolean          stall_released;

  GHashTable       *per_ip;      /* address text → IpState (cr-files-service.c) */
  guint             ip_max;      /* concurrent connections from one address */
  guint             ip_rate;     /* new connections a second from one address */
  guint             ip_burst;    /* ... and how many at once beyond the rate */

  CrIdentity       *identity;    /* set before listening; NULL: plaintext transfers */
  GDestroyNotify    identity_free;
  GSocketService   *service;
  GThreadPool      *pool;        /* MAX_WORKERS threads: the connections */
  guint16           port;
  GCancellable     *cancellable;

  CrFilesAuthFunc   auth_func;
  CrFilesEventFunc  event_func;
  gpointer          user_data;
};

CrFiles  *_cr_files_ref            (CrFiles *self);
void      _cr_files_unref          (CrFiles *self);

/* Questions a worker asks the room, answered on self->context. */
typedef struct {
  /* in */
  char          *token;
  char          *id;
  guint64        size;
  char          *name;
  /* out */
  CrFilesError   error;          /* 0: yes */
  char          *member;
  GPtrArray     *list;           /* CrFileInfo* */
} CrFilesQuery;

void      _cr_files_query_clear    (CrFilesQuery *query);
/* May this token upload size bytes? (member, policy, limits, disk) */
void      _cr_files_check_put      (CrFiles      *self,
                                    CrFilesQuery *query);
/* May this token download id? */
void      _cr_files_check_get      (CrFiles      *self,
                                    CrFilesQuery *query);
void      _cr_files_check_list     (CrFiles      *self,
                                    CrFilesQuery *query);
/* The upload is in place (files/ID): its row, the quota, the events. */
void      _cr_files_commit         (CrFiles      *self,
                                    CrFilesQuery *query);

void      _cr_files_count          (CrFiles      *self,
                                    guint64      *counter,
                                    guint64       n);

/* Tests: the next download that sends chunk number index (from 0 in that
 * download) flips one of its bytes after its checksum was made, once. */
void      cr_files_corrupt_chunk_once (CrFiles *self,
                                       gint     index);

/* Tests: the next download that has sent at least after bytes either ends
 * its connection there (a cut), or stops sending until
 * cr_files_release_stall() (bounded: 10 s, or the room closing). Once. */
void      cr_files_cut_download_once   (CrFiles *self,
                                        guint64  after);
void      cr_files_stall_download_once (CrFiles *self,
                                        guint64  after);
void      cr_files_release_stall       (CrFiles *self);

G_END_DECLS
