/* cr-file-client.h: a member's side of the room's shared files: list,
 * upload, download with resume and cancel (the protocol: cr-files.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each operation runs on a worker thread (a GTask) with its own TCP
 * connection, so several run at once and none blocks the caller's main
 * loop; progress and the result come back on the caller's thread-default
 * context. A download writes DEST.part and resumes from its length when
 * asked again; each chunk's checksum is checked (a corrupt one is fetched
 * again), and the whole file's sha256 before DEST.part becomes DEST.
 * With a room that has an identity key, every connection is the encrypted
 * stream of cr-crypto-stream.h: a record altered on the way is fetched
 * again like a corrupt chunk, and a room that does not prove the key the
 * chat session verified gets nothing but the stream's first 36 bytes.
 */
#pragma once

#include <gio/gio.h>
#include "cr-files.h"

G_BEGIN_DECLS

#define CR_TYPE_FILE_CLIENT (cr_file_client_get_type ())
G_DECLARE_FINAL_TYPE (CrFileClient, cr_file_client, CR, FILE_CLIENT, GObject)

/* done of total bytes; on the caller's context, at most ~20 times a second
 * and once at the end. */
typedef void (*CrFileProgressFunc) (guint64  done,
                                    guint64  total,
                                    gpointer user_data);

typedef struct {
  guint64 bytes;          /* file bytes moved over the network by this call */
  guint64 resumed_from;   /* a download: bytes already in DEST.part */
  guint   refetched;      /* a download: chunks whose checksum failed, fetched again */
} CrFileTransferStats;

/* address: the room's (its TCP port is the room's port); token: the
 * member's credential (cr_client_dup_file_endpoint, or
 * cr_file_client_credential). When it names the room's key, every
 * transfer runs inside the encrypted stream of cr-crypto-stream.h and
 * only with a room that proves that key. */
CrFileClient *cr_file_client_new            (GSocketAddress *address,
                                             const char     *token);

/* "KEY:TOKEN": the room's identity key (CR_PUBLIC_KEY_BYTES, in hex; NULL
 * for a room without one: the bare token, transfers in clear) and the
 * member's resume token from the room's WELCOME. Transfer full. */
char         *cr_file_client_credential     (const guint8 *room_key,
                                             const char   *token);

void          cr_file_client_list_async     (CrFileClient        *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
/* CrFileInfo*, oldest first. */
GPtrArray    *cr_file_client_list_finish    (CrFileClient  *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* name: what the room shows (NULL: the file's basename), made safe. */
void          cr_file_client_upload_async   (CrFileClient        *self,
                                             const char          *path,
                                             const char          *name,
                                             CrFileProgressFunc   progress,
                                             gpointer             progress_data,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      cr_file_client_upload_finish  (CrFileClient         *self,
                                             GAsyncResult         *result,
                                             CrFileTransferStats  *stats,
                                             GError              **error);

/* dest: the file to write (its folder must exist). */
void          cr_file_client_download_async (CrFileClient        *self,
                                             const char          *id,
                                             const char          *dest,
                                             CrFileProgressFunc   progress,
                                             gpointer             progress_data,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean      cr_file_client_download_finish (CrFileClient        *self,
                                             GAsyncResult         *result,
                                             CrFileTransferStats  *stats,
                                             GError              **error);

/* A path in dir for a file called name (made safe) that does not exist yet:
 * "name", then "name (1).ext", … Transfer full. */
char         *cr_file_client_pick_dest      (const char *dir,
                                             const char *name);

G_END_DECLS
