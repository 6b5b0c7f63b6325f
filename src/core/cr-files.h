/* cr-files.h: files shared in a room (群文件), the room's side, and what
 * both sides agree on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room keeps shared files in its data dir, content-addressed:
 * DATA_DIR/files/<sha256 hex>, with one metadata row per share in
 * DATA_DIR/files.db (SQLite). An upload is written under files/tmp/ and
 * renamed into place only once all of it arrived and its sha256 matched: a
 * partial upload never appears. Each share is a CR_EVENT_FILE in the
 * room's history (so a joiner's replay and a restart keep it); each file
 * the quota pushes out, oldest first, a CR_EVENT_FILE_EXPIRED.
 *
 * Bulk data does not go through the chat's datagrams: it goes over TCP on
 * the room's port number (HACKING.md says why). One request per
 * connection, one line of ASCII ending in "\n" (at most
 * CR_FILES_LINE_MAX bytes), fields separated by one space:
 *
 *   CRF1 LIST TOKEN
 *     → "OK N\n", then N lines "SHA256 SIZE TIME_US SHARER NAME\n"
 *   CRF1 PUT TOKEN SIZE SHA256 NAME
 *     → "OK\n" (send SIZE bytes), then "OK\n" once stored, or "ERR CODE TEXT\n"
 *   CRF1 GET TOKEN SHA256 OFFSET
 *     → "OK SIZE\n", then chunks from OFFSET: a 4-byte big-endian length
 *       (0 ends the file), CR_FILES_CHUNK_SUM bytes of BLAKE2b of the chunk
 *       (a corrupt chunk is detected and fetched again), the bytes.
 *
 * A room with an identity key (every CrServer) speaks these lines only
 * inside the encrypted stream of cr-crypto-stream.h: a handshake signed by
 * the room's key, which the member checks against the key its chat session
 * verified, then secretstream records both ways. A plaintext request gets
 * "ERR 1 encrypted transfers only (CRS1)". A room without one (tests,
 * fuzzers) speaks them in clear.
 *
 * TOKEN is the member's resume token (the WELCOME's, cr-protocol.h): it
 * proves the connection comes from a member with a live session; with
 * encryption it never leaves the stream. NAME is the rest
 * of the line, made safe (cr_files_safe_name) by both ends; it is only
 * ever shown, never used as a path. Errors are CrFilesError numbers; each
 * member renders them in its own language (cr_files_error_to_string).
 */
#pragma once

#include <gio/gio.h>
#include "cr-crypto.h"
#include "cr-types.h"

G_BEGIN_DECLS

#define CR_FILES_DEFAULT_MAX_SIZE  ((guint64) 100 * 1000 * 1000)      /* 100 MB */
#define CR_FILES_DEFAULT_QUOTA     ((guint64) 2 * 1000 * 1000 * 1000) /* 2 GB */
#define CR_FILES_CHUNK_SIZE        (256 * 1024)
#define CR_FILES_CHUNK_SUM         16
#define CR_FILES_LINE_MAX          1024
#define CR_FILES_NAME_MAX_BYTES    255
#define CR_FILES_LIST_MAX          10000
#define CR_FILES_IP_MAX            8
#define CR_FILES_IP_RATE           16
#define CR_FILES_IP_BURST          32

#define CR_FILES_ERROR (cr_files_error_quark ())
GQuark cr_files_error_quark (void);

/* Wire values: never renumber. */
typedef enum {
  CR_FILES_ERROR_PROTOCOL = 1,    /* the other end said something we cannot read */
  CR_FILES_ERROR_DENIED = 2,      /* not a member of the room (token unknown) */
  CR_FILES_ERROR_NOT_ALLOWED = 3, /* the room's policy: who may share */
  CR_FILES_ERROR_TOO_LARGE = 4,
  CR_FILES_ERROR_OVER_QUOTA = 5,
  CR_FILES_ERROR_DISK_FULL = 6,
  CR_FILES_ERROR_NOT_FOUND = 7,
  CR_FILES_ERROR_CORRUPT = 8,     /* the checksum did not match */
  CR_FILES_ERROR_UNAVAILABLE = 9, /* the room keeps no files, or is closing */
  CR_FILES_ERROR_LAST = CR_FILES_ERROR_UNAVAILABLE,
} CrFilesError;

/* Who may share files (the owner decides). */
typedef enum {
  CR_FILES_SHARE_EVERYONE = 0,
  CR_FILES_SHARE_REGISTERED = 1,
  CR_FILES_SHARE_OWNER = 2,
} CrFilesPolicy;

typedef struct {
  char    *id;        /* sha256, 64 lowercase hex digits */
  guint64  size;
  gint64   time_us;   /* when it was shared */
  char    *sharer;
  char    *name;      /* safe display name */
} CrFileInfo;

CrFileInfo *cr_file_info_new        (const char *id,
                                     guint64     size,
                                     gint64      time_us,
                                     const char *sharer,
                                     const char *name);
void        cr_file_info_free       (CrFileInfo *info);
CrFileInfo *cr_file_info_copy       (const CrFileInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrFileInfo, cr_file_info_free)

/* An event's text for a file: "SHA256 SIZE NAME". */
char       *cr_file_event_text      (const CrFileInfo *info);
/* The file an event of kind CR_EVENT_FILE(_EXPIRED) names, or NULL when
 * its text is not one (transfer full). */
CrFileInfo *cr_file_info_from_event (const CrEvent *event);

/* A name as a file's display name: only its last path component, no
 * control or bidi-override characters, no leading dots, at most
 * CR_FILES_NAME_MAX_BYTES bytes, never "" ("file"). Never a path. */
char       *cr_files_safe_name      (const char *name);
gboolean    cr_files_id_valid       (const char *id);
/* "1.2 MB": decimal units, the same in every language (it goes into the
 * classic dialect's lines). */
char       *cr_files_format_size    (guint64 size);
/* In the reader's language (gettext). */
const char *cr_files_error_to_string (CrFilesError code);

/* The room's side. */
typedef struct _CrFiles CrFiles;

typedef struct {
  guint64 uploads;         /* files stored */
  guint64 downloads;       /* downloads served to the end */
  guint64 refused;         /* requests refused (any CrFilesError) */
  guint64 bytes_in;        /* upload bytes received */
  guint64 bytes_out;       /* download bytes sent */
  guint64 expired;         /* files the quota pushed out */
  guint64 capped;          /* connections closed at once: over one address's
                            * cap of concurrent connections or rate of new ones */
} CrFilesStats;

/* Opens DATA_DIR/files.db and DATA_DIR/files/ (made if missing; leftover
 * partial uploads are removed). */
CrFiles    *cr_files_new            (const char  *data_dir,
                                     GError     **error);
void        cr_files_free           (CrFiles *self);

void        cr_files_set_max_size   (CrFiles       *self,
                                     guint64        max_size);
guint64     cr_files_get_max_size   (CrFiles       *self);
void        cr_files_set_quota      (CrFiles       *self,
                                     guint64        quota);
guint64     cr_files_get_quota      (CrFiles       *self);
void        cr_files_set_policy     (CrFiles       *self,
                                     CrFilesPolicy  policy);
CrFilesPolicy cr_files_get_policy   (CrFiles       *self);
/* Bytes the disk must keep free after an upload (default 16 MiB). */
void        cr_files_set_reserve    (CrFiles       *self,
                                     guint64        reserve);

/* Who holds a token; called on the context that made the CrFiles. */
typedef gboolean (*CrFilesAuthFunc)  (const char *token,
                                      char      **name,
                                      CrRole     *role,
                                      guint      *flags,
                                      gpointer    user_data);
/* Post a CR_EVENT_FILE / CR_EVENT_FILE_EXPIRED into the room (same context). */
typedef void     (*CrFilesEventFunc) (CrEventKind  kind,
                                      const char  *name,
                                      const char  *text,
                                      gpointer     user_data);
void        cr_files_set_funcs      (CrFiles          *self,
                                     CrFilesAuthFunc   auth_func,
                                     CrFilesEventFunc  event_func,
                                     gpointer          user_data);

/* Transfers inside the encrypted stream of cr-crypto-stream.h, keyed by
 * the room's identity (copied); a room that has one refuses plaintext
 * requests. Call before cr_files_listen. */
void        cr_files_set_identity   (CrFiles          *self,
                                     const CrIdentity *identity);

/* One address (a host on the LAN; an IPv6 /64) may hold at most max
 * connections at once (default CR_FILES_IP_MAX) and open at most rate new
 * ones a second beyond a burst (CR_FILES_IP_RATE, CR_FILES_IP_BURST);
 * others are closed as soon as they are accepted and counted
 * (CrFilesStats.capped). Loopback is a host like any other here. */
void        cr_files_set_ip_limits  (CrFiles          *self,
                                     guint             max,
                                     guint             rate,
                                     guint             burst);

/* Listen on TCP at address (port 0: any). Connections are served on
 * worker threads; every question for the room (who holds a token, the
 * metadata, the events) is answered on the context that made the CrFiles,
 * so that context must run. */
gboolean    cr_files_listen         (CrFiles        *self,
                                     GSocketAddress *address,
                                     GError        **error);
guint16     cr_files_get_port       (CrFiles *self);

/* The files the room keeps, oldest first (CrFileInfo*). */
GPtrArray  *cr_files_list           (CrFiles *self);
guint64     cr_files_get_used       (CrFiles *self);
void        cr_files_get_stats      (CrFiles      *self,
                                     CrFilesStats *stats);

G_END_DECLS
