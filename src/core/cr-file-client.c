/* cr-file-client.c: a member's side of the room's shared files
 * (cr-file-client.h; the protocol is in cr-files.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-file-client"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "cr-crypto-stream.h"
#include "cr-file-client.h"

#define CONNECT_TIMEOUT_S  10
#define SOCKET_TIMEOUT_S   30
#define MAX_REFETCHES      8     /* corrupt chunks in a row before giving up */
#define PROGRESS_EVERY_US  (50 * G_TIME_SPAN_MILLISECOND)

struct _CrFileClient
{
  GObject         parent_instance;

  GSocketAddress *address;
  char           *token;
  guint8          room_key[CR_PUBLIC_KEY_BYTES];
  gboolean        encrypted;   /* the room has a key: transfers only inside its stream */
};

G_DEFINE_FINAL_TYPE (CrFileClient, cr_file_client, G_TYPE_OBJECT)

/* ------------------------------------------------------------------ */
/* Progress: from the worker to the caller's context                  */

typedef struct {
  GMainContext       *context;
  CrFileProgressFunc  func;
  gpointer            data;
  GMutex              lock;
  guint64             done;
  guint64             total;
  gboolean            scheduled;
  gint64              last;
  gint                ref_count;
} Progress;

static Progress *
progress_new (CrFileProgressFunc func,
              gpointer           data)
{
  Progress *p = g_new0 (Progress, 1);

  p->context = g_main_context_ref_thread_default ();
  p->func = func;
  p->data = data;
  p->ref_count = 1;
  g_mutex_init (&p->lock);
  return p;
}

static void
progress_unref (Progress *p)
{
  if (p == NULL || !g_atomic_int_dec_and_test (&p->ref_count))
    return;
  g_main_context_unref (p->context);
  g_mutex_clear (&p->lock);
  g_free (p);
}

static gboolean
progress_dispatch (gpointer data)
{
  Progress *p = data;
  guint64 done, total;

  g_mutex_lock (&p->lock);
  done = p->done;
  total = p->total;
  p->scheduled = FALSE;
  g_mutex_unlock (&p->lock);
  if (p->func != NULL)
    p->func (done, total, p->data);
  return G_SOURCE_REMOVE;
}

/* From the worker: coalesced, so a fast transfer does not flood the loop. */
static void
progress_report (Progress *p,
                 guint64   done,
                 guint64   total,
                 gboolean  last)
{
  gint64 now = g_get_monotonic_time ();
  gboolean schedule = FALSE;

  if (p == NULL || p->func == NULL)
    return;
  g_mutex_lock (&p->lock);
  p->done = done;
  p->total = total;
  if (!p->scheduled && (last || now - p->last >= PROGRESS_EVERY_US))
    {
      p->scheduled = schedule = TRUE;
      p->last = now;
    }
  g_mutex_unlock (&p->lock);
  if (schedule)
    {
      g_atomic_int_inc (&p->ref_count);
      g_main_context_invoke_full (p->context, G_PRIORITY_DEFAULT, progress_dispatch, p,
                                  (GDestroyNotify) progress_unref);
    }
}

/* ------------------------------------------------------------------ */
/* Connections and lines                                              */

static GIOStream *
open_connection (CrFileClient  *self,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, CONNECT_TIMEOUT_S);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (self->address),
                                        cancellable, error);
  if (connection == NULL)
    return NULL;
  g_socket_set_timeout (g_socket_connection_get_socket (connection), SOCKET_TIMEOUT_S);
  if (self->encrypted)
    {
      GIOStream *stream = cr_crypto_stream_connect (G_IO_STREAM (connection), self->room_key,
                                                    cancellable, error);

      g_object_unref (connection);
      return stream;
    }
  return G_IO_STREAM (connection);
}

static gboolean
send_line (GIOStream     *stream,
           const char    *line,
           GCancellable  *cancellable,
           GError       **error)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (stream), line, strlen (line),
                                    NULL, cancellable, error);
}

static gboolean
protocol_error (GError **error)
{
  g_set_error_literal (error, CR_FILES_ERROR, CR_FILES_ERROR_PROTOCOL,
                       cr_files_error_to_string (CR_FILES_ERROR_PROTOCOL));
  return FALSE;
}

/* A line from the room (without "\n"); NULL with an error on EOF or junk. */
static char *
receive_line (GBufferedInputStream *in,
              GCancellable         *cancellable,
              GError              **error)
{
  char buf[CR_FILES_LINE_MAX + 1];
  gsize len = 0;

  while (len < CR_FILES_LINE_MAX)
    {
      int c = g_buffered_input_stream_read_byte (in, cancellable, error);

      if (c < 0)
        {
          if (error != NULL && *error == NULL)
            protocol_error (error);
          return NULL;
        }
      if (c == '\n')
        {
          buf[len] = '\0';
          if (!g_utf8_validate (buf, len, NULL) || memchr (buf, '\0', len) != NULL)
            break;
          return g_strndup (buf, len);
        }
      buf[len++] = c;
    }
  protocol_error (error);
  return NULL;
}

/* "OK…" → TRUE; "ERR CODE …" → FALSE with that error, in our language. */
static gboolean
check_reply (const char  *line,
             GError     **error)
{
  guint64 code = 0;
  g_auto(GStrv) fields = NULL;

  if (g_str_equal (line, "OK") || g_str_has_prefix (line, "OK "))
    return TRUE;
  fields = g_strsplit (line, " ", 3);
  if (g_strv_length (fields) >= 2 && g_str_equal (fields[0], "ERR") &&
      g_ascii_string_to_unsigned (fields[1], 10, 1, CR_FILES_ERROR_LAST, &code, NULL))
    {
      g_set_error_literal (error, CR_FILES_ERROR, (int) code,
                           cr_files_error_to_string ((CrFilesError) code));
      return FALSE;
    }
  return protocol_error (error);
}

static GInputStream *
buffered_input (GIOStream *stream)
{
  return g_buffered_input_stream_new_sized (g_io_stream_get_input_stream (stream), 64 * 1024);
}

/* ------------------------------------------------------------------ */
/* LIST                                                               */

static GPtrArray *
list_sync (CrFileClient  *self,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *request = NULL;
  g_autofree char *line = NULL;
  guint64 n;

  stream = open_connection (self, cancellable, error);
  if (stream == NULL)
    return NULL;
  request = g_strdup_printf ("CRF1 LIST %s\n", self->token);
  if (!send_line (stream, request, cancellable, error))
    return NULL;
  in = buffered_input (stream);
  line = receive_line (G_BUFFERED_INPUT_STREAM (in), cancellable, error);
  if (line == NULL || !check_reply (line, error))
    return NULL;
  if (strlen (line) < 4 ||
      !g_ascii_string_to_unsigned (line + 3, 10, 0, CR_FILES_LIST_MAX, &n, NULL))
    {
      protocol_error (error);
      return NULL;
    }

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_file_info_free);
  for (guint64 i = 0; i < n; i++)
    {
      g_autofree char *entry = receive_line (G_BUFFERED_INPUT_STREAM (in), cancellable, error);
      g_auto(GStrv) f = NULL;
      guint64 size;
      gint64 time_us;

      if (entry == NULL)
        return NULL;
      /* SHA256 SIZE TIME_US SHARER NAME */
      f = g_strsplit (entry, " ", 5);
      if (g_strv_length (f) != 5 || !cr_files_id_valid (f[0]) ||
          !g_ascii_string_to_unsigned (f[1], 10, 0, G_MAXUINT64, &size, NULL) ||
          !g_ascii_string_to_signed (f[2], 10, 0, G_MAXINT64, &time_us, NULL))
        {
          protocol_error (error);
          return NULL;
        }
      g_ptr_array_add (list, cr_file_info_new (f[0], size, time_us, f[3], f[4]));
    }
  return g_steal_pointer (&list);
}

/* ------------------------------------------------------------------ */
/* PUT                                                                */

static gboolean
hash_file (int           fd,
           guint64       length,
           GChecksum    *sum,
           GCancellable *cancellable,
           GError      **error)
{
  g_autofree guint8 *buf = g_malloc (CR_FILES_CHUNK_SIZE);
  guint64 at = 0;

  while (at < length)
    {
      gssize n = pread (fd, buf, MIN (CR_FILES_CHUNK_SIZE, length - at), at);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s",
                       n == 0 ? _("The file changed while it was read") : g_strerror (saved));
          return FALSE;
        }
      g_checksum_update (sum, buf, n);
      at += n;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
upload_sync (CrFileClient        *self,
             const char          *path,
             const char          *name,
             Progress            *progress,
             CrFileTransferStats *stats,
             GCancellable        *cancellable,
             GError             **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autofree char *safe = NULL;
  g_autofree char *request = NULL;
  g_autofree char *line = NULL;
  g_autofree guint8 *buf = NULL;
  GOutputStream *out;
  GStatBuf st;
  guint64 size, sent = 0;
  gboolean ok = FALSE;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, fd >= 0 ? G_IO_ERROR_NOT_REGULAR_FILE
                                              : g_io_error_from_errno (saved),
                   /* Translators: %s is a file's path */
                   _("Cannot read %s"), path);
      return FALSE;
    }
  size = st.st_size;
  if (!hash_file (fd, size, sum, cancellable, error))
    goto out;

  if (name == NULL)
    {
      g_autofree char *base = g_path_get_basename (path);

      safe = cr_files_safe_name (base);
    }
  else
    safe = cr_files_safe_name (name);

  stream = open_connection (self, cancellable, error);
  if (stream == NULL)
    goto out;
  request = g_strdup_printf ("CRF1 PUT %s %" G_GUINT64_FORMAT " %s %s\n", self->token, size,
                             g_checksum_get_string (sum), safe);
  if (!send_line (stream, request, cancellable, error))
    goto out;
  in = buffered_input (stream);
  line = receive_line (G_BUFFERED_INPUT_STREAM (in), cancellable, error);
  if (line == NULL || !check_reply (line, error))
    goto out;

  out = g_io_stream_get_output_stream (stream);
  buf = g_malloc (CR_FILES_CHUNK_SIZE);
  while (sent < size)
    {
      gssize n = pread (fd, buf, MIN (CR_FILES_CHUNK_SIZE, size - sent), sent);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The file changed while it was read"));
          goto out;
        }
      if (!g_output_stream_write_all (out, buf, n, NULL, cancellable, error))
        goto out;
      sent += n;
      stats->bytes += n;
      progress_report (progress, sent, size, FALSE);
    }
  g_clear_pointer (&line, g_free);
  line = receive_line (G_BUFFERED_INPUT_STREAM (in), cancellable, error);
  if (line == NULL || !check_reply (line, error))
    goto out;
  progress_report (progress, size, size, TRUE);
  ok = TRUE;

out:
  close (fd);
  return ok;
}

/* ------------------------------------------------------------------ */
/* GET                                                                */

typedef enum {
  FETCH_DONE,
  FETCH_CORRUPT,   /* a chunk failed its checksum: ask again from there */
  FETCH_FAILED,
} FetchResult;

/* One connection: from *have to the end, or to the first corrupt chunk. */
static FetchResult
fetch (CrFileClient        *self,
       const char          *id,
       int                  fd,
       guint64             *have,
       guint64             *total,
       GChecksum           *sum,
       Progress            *progress,
       CrFileTransferStats *stats,
       GCancellable        *cancellable,
       GError             **error)
{
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autofree char *request = NULL;
  g_autofree char *line = NULL;
  g_autofree guint8 *buf = NULL;
  guint64 size;

  stream = open_connection (self, cancellable, error);
  if (stream == NULL)
    return FETCH_FAILED;
  request = g_strdup_printf ("CRF1 GET %s %s %" G_GUINT64_FORMAT "\n", self->token, id, *have);
  if (!send_line (stream, request, cancellable, error))
    return FETCH_FAILED;
  in = buffered_input (stream);
  line = receive_line (G_BUFFERED_INPUT_STREAM (in), cancellable, error);
  if (line == NULL || !check_reply (line, error))
    return FETCH_FAILED;
  if (strlen (line) < 4 || !g_ascii_string_to_unsigned (line + 3, 10, 0, G_MAXINT64, &size,
                                                        NULL) || size < *have)
    {
      protocol_error (error);
      return FETCH_FAILED;
    }
  *total = size;

  buf = g_malloc (CR_FILES_CHUNK_SUM + CR_FILES_CHUNK_SIZE);
  for (;;)
    {
      guint8 mine[CR_FILES_CHUNK_SUM];
      guint32 be;
      gsize n;
      gssize written = 0;

      if (!g_input_stream_read_all (in, &be, 4, &n, cancellable, error))
        return FETCH_FAILED;
      if (n != 4)
        {
          protocol_error (error);
          return FETCH_FAILED;
        }
      n = GUINT32_FROM_BE (be);
      if (n == 0)
        break;
      if (n > CR_FILES_CHUNK_SIZE || *have + n > size)
        {
          protocol_error (error);
          return FETCH_FAILED;
        }
      {
        gsize got = 0;

        if (!g_input_stream_read_all (in, buf, CR_FILES_CHUNK_SUM + n, &got, cancellable, error))
          return FETCH_FAILED;
        if (got != CR_FILES_CHUNK_SUM + n)
          {
            protocol_error (error);
            return FETCH_FAILED;
          }
      }
      stats->bytes += n;
      crypto_generichash (mine, sizeof mine, buf + CR_FILES_CHUNK_SUM, n, NULL, 0);
      if (sodium_memcmp (mine, buf, CR_FILES_CHUNK_SUM) != 0)
        return FETCH_CORRUPT;

      while ((gsize) written < n)
        {
          gssize w = pwrite (fd, buf + CR_FILES_CHUNK_SUM + written, n - written,
                             *have + written);

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            {
              int saved = errno;

              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                           /* Translators: %s is the system's reason (a full disk…) */
                           _("Could not save the file: %s"), g_strerror (saved));
              return FETCH_FAILED;
            }
          written += w;
        }
      g_checksum_update (sum, buf + CR_FILES_CHUNK_SUM, n);
      *have += n;
      progress_report (progress, *have, size, FALSE);
    }
  if (*have != size)
    {
      protocol_error (error);
      return FETCH_FAILED;
    }
  return FETCH_DONE;
}

static gboolean
download_sync (CrFileClient        *self,
               const char          *id,
               const char          *dest,
               Progress            *progress,
               CrFileTransferStats *stats,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *part = g_strconcat (dest, ".part", NULL);
  guint64 have, total = 0;
  guint refetches = 0;
  GStatBuf st;
  gboolean ok = FALSE;
  int fd;

  if (!cr_files_id_valid (id))
    {
      g_set_error_literal (error, CR_FILES_ERROR, CR_FILES_ERROR_NOT_FOUND,
                           cr_files_error_to_string (CR_FILES_ERROR_NOT_FOUND));
      return FALSE;
    }
  fd = g_open (part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not save the file: %s"), g_strerror (saved));
      return FALSE;
    }
  /* Resume: what an earlier try left counts, once it is in the hash. */
  have = st.st_size;
  if (!hash_file (fd, have, sum, cancellable, error))
    goto out;
  stats->resumed_from = have;

  for (;;)
    {
      g_autoptr(GError) fetch_error = NULL;
      FetchResult r = fetch (self, id, fd, &have, &total, sum, progress, stats, cancellable,
                             &fetch_error);

      /* A record that did not open was altered on the way: like a corrupt
       * chunk, ask again from what we have (nothing of it was written). */
      if (r == FETCH_FAILED &&
          g_error_matches (fetch_error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_TAMPERED))
        r = FETCH_CORRUPT;
      if (r == FETCH_DONE)
        break;
      if (r == FETCH_FAILED)
        {
          g_propagate_error (error, g_steal_pointer (&fetch_error));
          goto out;   /* DEST.part stays: the next try resumes */
        }
      stats->refetched++;
      if (++refetches > MAX_REFETCHES)
        {
          g_set_error_literal (error, CR_FILES_ERROR, CR_FILES_ERROR_CORRUPT,
                               cr_files_error_to_string (CR_FILES_ERROR_CORRUPT));
          goto out;
        }
    }

  if (!g_str_equal (g_checksum_get_string (sum), id))
    {
      /* Not what the room announced: nothing of it is kept. */
      g_unlink (part);
      g_set_error_literal (error, CR_FILES_ERROR, CR_FILES_ERROR_CORRUPT,
                           cr_files_error_to_string (CR_FILES_ERROR_CORRUPT));
      goto out;
    }
  if (fsync (fd) != 0 || g_rename (part, dest) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not save the file: %s"), g_strerror (saved));
      goto out;
    }
  progress_report (progress, total, total, TRUE);
  ok = TRUE;

out:
  close (fd);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Tasks                                                              */

typedef struct {
  char                *path;   /* upload: the file; download: dest */
  char                *name;   /* upload: display name; download: id */
  Progress            *progress;
  CrFileTransferStats  stats;
} TaskData;

static void
task_data_free (gpointer data)
{
  TaskData *td = data;

  g_free (td->path);
  g_free (td->name);
  progress_unref (td->progress);
  g_free (td);
}

static void
run_list (GTask        *task,
          gpointer      source_object,
          gpointer      task_data,
          GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *list = list_sync (source_object, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
run_upload (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  TaskData *td = task_data;
  GError *error = NULL;

  if (upload_sync (source_object, td->path, td->name, td->progress, &td->stats, cancellable,
                   &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_download (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  TaskData *td = task_data;
  GError *error = NULL;

  if (download_sync (source_object, td->name, td->path, td->progress, &td->stats, cancellable,
                     &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
cr_file_client_finalize (GObject *object)
{
  CrFileClient *self = CR_FILE_CLIENT (object);

  g_clear_object (&self->address);
  if (self->token != NULL)
    sodium_memzero (self->token, strlen (self->token));
  g_free (self->token);

  G_OBJECT_CLASS (cr_file_client_parent_class)->finalize (object);
}

static void
cr_file_client_class_init (CrFileClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cr_file_client_finalize;
}

static void
cr_file_client_init (CrFileClient *self)
{
}

CrFileClient *
cr_file_client_new (GSocketAddress *address,
                    const char     *token)
{
  CrFileClient *self;
  const char *colon;

  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), NULL);
  g_return_val_if_fail (token != NULL, NULL);

  self = g_object_new (CR_TYPE_FILE_CLIENT, NULL);
  self->address = g_object_ref (address);
  /* "KEY:TOKEN" (cr_file_client_credential) or a bare token. */
  colon = strchr (token, ':');
  if (colon != NULL)
    {
      gsize key_len = 0;

      self->encrypted = TRUE;
      if (sodium_hex2bin (self->room_key, sizeof self->room_key, token, colon - token, NULL,
                          &key_len, NULL) != 0 || key_len != sizeof self->room_key)
        {
          /* A key nobody proves: every transfer is refused as an impostor's. */
          g_warning ("Malformed file credential");
          memset (self->room_key, 0, sizeof self->room_key);
        }
      token = colon + 1;
    }
  /* The token goes into a request line: it is hex, but make sure. */
  self->token = g_strcanon (g_strdup (token), "0123456789abcdefABCDEF", '0');
  return self;
}

char *
cr_file_client_credential (const guint8 *room_key,
                           const char   *token)
{
  char hex[CR_PUBLIC_KEY_BYTES * 2 + 1];

  g_return_val_if_fail (token != NULL, NULL);

  if (room_key == NULL)
    return g_strdup (token);
  sodium_bin2hex (hex, sizeof hex, room_key, CR_PUBLIC_KEY_BYTES);
  return g_strconcat (hex, ":", token, NULL);
}

void
cr_file_client_list_async (CrFileClient        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CR_IS_FILE_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_file_client_list_async);
  g_task_run_in_thread (task, run_list);
}

GPtrArray *
cr_file_client_list_finish (CrFileClient  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* An upload (path, name) or a download (dest, id) on a thread of its own. */
static void
start_transfer (CrFileClient        *self,
                const char          *path,
                const char          *name,
                CrFileProgressFunc   progress,
                gpointer             progress_data,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data,
                gpointer             source_tag,
                GTaskThreadFunc      thread_func)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  TaskData *td = g_new0 (TaskData, 1);

  td->path = g_strdup (path);
  td->name = g_strdup (name);
  td->progress = progress_new (progress, progress_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, td, task_data_free);
  /* A transfer that ended before the cancel reached it says so: the file
   * is in the room or on disk, and "cancelled" would hide it. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, thread_func);
}

void
cr_file_client_upload_async (CrFileClient        *self,
                             const char          *path,
                             const char          *name,
                             CrFileProgressFunc   progress,
                             gpointer             progress_data,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (CR_IS_FILE_CLIENT (self));
  g_return_if_fail (path != NULL);

  start_transfer (self, path, name, progress, progress_data, cancellable, callback, user_data,
                  cr_file_client_upload_async, run_upload);
}

static gboolean
transfer_finish (CrFileClient         *self,
                 GAsyncResult         *result,
                 CrFileTransferStats  *stats,
                 GError              **error)
{
  TaskData *td;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  td = g_task_get_task_data (G_TASK (result));
  if (stats != NULL)
    *stats = td->stats;
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cr_file_client_upload_finish (CrFileClient         *self,
                              GAsyncResult         *result,
                              CrFileTransferStats  *stats,
                              GError              **error)
{
  return transfer_finish (self, result, stats, error);
}

void
cr_file_client_download_async (CrFileClient        *self,
                               const char          *id,
                               const char          *dest,
                               CrFileProgressFunc   progress,
                               gpointer             progress_data,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (CR_IS_FILE_CLIENT (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (dest != NULL);

  start_transfer (self, dest, id, progress, progress_data, cancellable, callback, user_data,
                  cr_file_client_download_async, run_download);
}

gboolean
cr_file_client_download_finish (CrFileClient         *self,
                                GAsyncResult         *result,
                                CrFileTransferStats  *stats,
                                GError              **error)
{
  return transfer_finish (self, result, stats, error);
}

char *
cr_file_client_pick_dest (const char *dir,
                          const char *name)
{
  g_autofree char *safe = cr_files_safe_name (name);
  const char *dot = strrchr (safe, '.');
  g_autofree char *stem = dot != NULL ? g_strndup (safe, dot - safe) : g_strdup (safe);
  const char *ext = dot != NULL ? dot : "";

  g_return_val_if_fail (dir != NULL, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *file = i == 0 ? g_strdup (safe)
                                     : g_strdup_printf ("%s (%u)%s", stem, i, ext);
      g_autofree char *path = g_build_filename (dir, file, NULL);

      /* A PATH.part left beside a free PATH is resumed into. */
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&path);
    }
  return g_build_filename (dir, safe, NULL);
}
