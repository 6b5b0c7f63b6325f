/* cr-files-service.c: the room's file transfers over TCP (cr-files.h has
 * the protocol). A GSocketService accepts on the room's context and hands
 * each connection to a pool of MAX_WORKERS threads with blocking I/O:
 * hashing and disk writes never run on the room's main loop, so chat goes
 * on while a file moves. Whatever the room knows (tokens, metadata,
 * events) is asked on the room's context. (Not GThreadedSocketService:
 * in GLib 2.74 it stops and restarts its listener from a worker thread
 * when all its threads are busy, racing the main loop's accept; a flood
 * of idle connections crashed the room that way.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-files"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "cr-crypto-stream.h"
#include "cr-files-private.h"

#define MAX_WORKERS      16
#define MAX_WAITING      48     /* accepted connections waiting for a worker */
#define REQUEST_TIMEOUT_S 5    /* for the request line: idle strangers do not hold workers */
#define SOCKET_TIMEOUT_S 30
#define MAIN_TIMEOUT_US  (10 * G_TIME_SPAN_SECOND)
#define LISTEN_BACKLOG   256
#define IP_TRACKED_MAX   1024   /* addresses remembered for their rate */
#define IP_KEY           "cr-files-ip"

/* ------------------------------------------------------------------ */
/* Asking the room's context                                          */

typedef void (*QueryFunc) (CrFiles      *self,
                           CrFilesQuery *query);

typedef struct {
  CrFiles      *files;
  QueryFunc     func;
  CrFilesQuery  query;
  gboolean      done;
} Call;

static void
call_clear (gpointer data)
{
  Call *call = data;

  _cr_files_query_clear (&call->query);
  _cr_files_unref (call->files);
}

static void
call_unref (Call *call)
{
  g_atomic_rc_box_release_full (call, call_clear);
}

static gboolean
call_dispatch (gpointer data)
{
  Call *call = data;
  CrFiles *self = call->files;
  gboolean closed;

  g_mutex_lock (&self->lock);
  closed = self->closed;
  g_mutex_unlock (&self->lock);
  /* cr_files_free runs on this context too: closed cannot change here. */
  if (closed)
    call->query.error = CR_FILES_ERROR_UNAVAILABLE;
  else
    call->func (self, &call->query);

  g_mutex_lock (&self->lock);
  call->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

/* Runs func on the room's context and waits for it (bounded). query is
 * moved in and its answers moved back out. */
static void
ask_room (CrFiles      *self,
          QueryFunc     func,
          CrFilesQuery *query)
{
  Call *call = g_atomic_rc_box_new0 (Call);
  gint64 deadline = g_get_monotonic_time () + MAIN_TIMEOUT_US;
  gboolean done;

  call->files = _cr_files_ref (self);
  call->func = func;
  call->query = *query;
  memset (query, 0, sizeof *query);

  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, call_dispatch,
                              g_atomic_rc_box_acquire (call), (GDestroyNotify) call_unref);

  g_mutex_lock (&self->lock);
  while (!call->done && !self->closed)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  done = call->done;
  g_mutex_unlock (&self->lock);

  if (done)
    {
      *query = call->query;
      memset (&call->query, 0, sizeof call->query);
    }
  else
    query->error = CR_FILES_ERROR_UNAVAILABLE;
  call_unref (call);
}

/* ------------------------------------------------------------------ */
/* Lines                                                              */

/* One request line, at most CR_FILES_LINE_MAX bytes with its "\n", which is
 * not returned. NULL on EOF, error or a line too long. */
static char *
read_line (GBufferedInputStream *in,
           GCancellable         *cancellable)
{
  char buf[CR_FILES_LINE_MAX + 1];
  gsize len = 0;

  while (len < CR_FILES_LINE_MAX)
    {
      int c = g_buffered_input_stream_read_byte (in, cancellable, NULL);

      if (c < 0)
        return NULL;
      if (c == '\n')
        {
          buf[len] = '\0';
          if (!g_utf8_validate (buf, len, NULL) || memchr (buf, '\0', len) != NULL)
            return NULL;
          return g_strndup (buf, len);
        }
      buf[len++] = c;
    }
  return NULL;
}

static gboolean
write_line (GOutputStream *out,
            GCancellable  *cancellable,
            const char    *format,
            ...) G_GNUC_PRINTF (3, 4);

static gboolean
write_line (GOutputStream *out,
            GCancellable  *cancellable,
            const char    *format,
            ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  return g_output_stream_write_all (out, line, strlen (line), NULL, cancellable, NULL);
}

static void
refuse (CrFiles       *self,
        GOutputStream *out,
        CrFilesError   code)
{
  _cr_files_count (self, &self->stats.refused, 1);
  /* English, for logs: each member renders the number in its own language. */
  write_line (out, self->cancellable, "ERR %d %s\n", (int) code,
              code == CR_FILES_ERROR_DENIED ? "not a member" : "refused");
}

static gboolean
parse_u64 (const char *text,
           guint64    *out)
{
  return text != NULL && *text != '\0' && strlen (text) <= 20 &&
         g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL);
}

/* ------------------------------------------------------------------ */
/* PUT                                                                */

static CrFilesError
receive_upload (CrFiles              *self,
                GBufferedInputStream *in,
                guint64               size,
                const char           *id,
                char                **tmp_path)
{
  g_autofree guint8 *buf = g_malloc (CR_FILES_CHUNK_SIZE);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *path = g_build_filename (self->tmp_dir, "upload-XXXXXX", NULL);
  guint64 left = size;
  int fd;

  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno == ENOSPC || errno == EDQUOT ? CR_FILES_ERROR_DISK_FULL
                                              : CR_FILES_ERROR_UNAVAILABLE;
  while (left > 0)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, MIN (left, CR_FILES_CHUNK_SIZE),
                                      self->cancellable, NULL);
      gssize written = 0;

      if (n <= 0)
        goto failed;  /* the member went away: nothing appears */
      g_checksum_update (sum, buf, n);
      while (written < n)
        {
          gssize w = write (fd, buf + written, n - written);

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            {
              int saved = errno;

              close (fd);
              g_unlink (path);
              return saved == ENOSPC || saved == EDQUOT ? CR_FILES_ERROR_DISK_FULL
                                                        : CR_FILES_ERROR_UNAVAILABLE;
            }
          written += w;
        }
      left -= n;
      _cr_files_count (self, &self->stats.bytes_in, n);
    }

  if (!g_str_equal (g_checksum_get_string (sum), id))
    {
      close (fd);
      g_unlink (path);
      return CR_FILES_ERROR_CORRUPT;
    }
  /* On the disk before it is offered: a crash never offers half a file. */
  if (fsync (fd) != 0)
    {
      int saved = errno;

      close (fd);
      g_unlink (path);
      return saved == ENOSPC ? CR_FILES_ERROR_DISK_FULL : CR_FILES_ERROR_UNAVAILABLE;
    }
  close (fd);
  *tmp_path = g_steal_pointer (&path);
  return 0;

failed:
  close (fd);
  g_unlink (path);
  return CR_FILES_ERROR_PROTOCOL;
}

static void
serve_put (CrFiles              *self,
           GBufferedInputStream *in,
           GOutputStream        *out,
           char                **fields)
{
  CrFilesQuery query = { 0 };
  g_autofree char *tmp_path = NULL;
  g_autofree char *final_path = NULL;
  guint64 size;
  CrFilesError error;

  /* CRF1 PUT TOKEN SIZE SHA256 NAME */
  if (g_strv_length (fields) != 6 || !parse_u64 (fields[3], &size) ||
      !cr_files_id_valid (fields[4]))
    {
      refuse (self, out, CR_FILES_ERROR_PROTOCOL);
      return;
    }
  query.token = g_strdup (fields[2]);
  query.size = size;
  query.id = g_strdup (fields[4]);
  query.name = cr_files_safe_name (fields[5]);
  ask_room (self, _cr_files_check_put, &query);
  if (query.error != 0)
    {
      refuse (self, out, query.error);
      goto out;
    }
  if (!write_line (out, self->cancellable, "OK\n"))
    goto out;

  error = receive_upload (self, in, size, query.id, &tmp_path);
  if (error == CR_FILES_ERROR_PROTOCOL)
    goto out;   /* the connection is gone: nobody to tell */
  if (error != 0)
    {
      refuse (self, out, error);
      goto out;
    }

  final_path = g_build_filename (self->dir, query.id, NULL);
  if (g_rename (tmp_path, final_path) != 0)
    {
      g_unlink (tmp_path);
      refuse (self, out, CR_FILES_ERROR_UNAVAILABLE);
      goto out;
    }
  ask_room (self, _cr_files_commit, &query);
  if (query.error != 0)
    refuse (self, out, query.error);
  else
    write_line (out, self->cancellable, "OK\n");

out:
  _cr_files_query_clear (&query);
}

/* ------------------------------------------------------------------ */
/* GET                                                                */

static gboolean
take_corrupt_hook (CrFiles *self,
                   gint     index)
{
  gboolean hit = FALSE;

  g_mutex_lock (&self->lock);
  if (self->corrupt_chunk == index)
    {
      self->corrupt_chunk = -1;
      hit = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return hit;
}

enum {
  HOOK_NONE,
  HOOK_CUT,
  HOOK_STALL,
};

void
cr_files_cut_download_once (CrFiles *self,
                            guint64  after)
{
  g_mutex_lock (&self->lock);
  self->hook = HOOK_CUT;
  self->hook_after = after;
  g_mutex_unlock (&self->lock);
}

void
cr_files_stall_download_once (CrFiles *self,
                              guint64  after)
{
  g_mutex_lock (&self->lock);
  self->hook = HOOK_STALL;
  self->hook_after = after;
  self->stall_released = FALSE;
  g_mutex_unlock (&self->lock);
}

void
cr_files_release_stall (CrFiles *self)
{
  g_mutex_lock (&self->lock);
  self->stall_released = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* The cut and stall hooks: FALSE when this download must end here. */
static gboolean
run_hooks (CrFiles *self,
           guint64  sent)
{
  gboolean go_on = TRUE;

  g_mutex_lock (&self->lock);
  if (self->hook != HOOK_NONE && sent >= self->hook_after)
    {
      int hook = self->hook;

      /* Once: other downloads meanwhile go on. */
      self->hook = HOOK_NONE;
      if (hook == HOOK_CUT)
        go_on = FALSE;
      else
        {
          gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

          while (!self->stall_released && !self->closed)
            if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
              break;
        }
    }
  g_mutex_unlock (&self->lock);
  return go_on;
}

static void
serve_get (CrFiles       *self,
           GOutputStream *out,
           char         **fields)
{
  CrFilesQuery query = { 0 };
  g_autofree char *path = NULL;
  g_autofree guint8 *buf = NULL;
  guint64 offset;
  GStatBuf st;
  gint index = 0;
  guint64 sent = 0;
  int fd = -1;

  /* CRF1 GET TOKEN SHA256 OFFSET */
  if (g_strv_length (fields) != 5 || !cr_files_id_valid (fields[3]) ||
      !parse_u64 (fields[4], &offset))
    {
      refuse (self, out, CR_FILES_ERROR_PROTOCOL);
      return;
    }
  query.token = g_strdup (fields[2]);
  query.id = g_strdup (fields[3]);
  ask_room (self, _cr_files_check_get, &query);
  if (query.error != 0)
    {
      refuse (self, out, query.error);
      goto out;
    }

  path = g_build_filename (self->dir, query.id, NULL);
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      refuse (self, out, CR_FILES_ERROR_NOT_FOUND);
      goto out;
    }
  if (offset > (guint64) st.st_size)
    {
      refuse (self, out, CR_FILES_ERROR_PROTOCOL);
      goto out;
    }
  if (!write_line (out, self->cancellable, "OK %" G_GUINT64_FORMAT "\n", (guint64) st.st_size))
    goto out;

  buf = g_malloc (8 + CR_FILES_CHUNK_SUM + CR_FILES_CHUNK_SIZE);
  for (;;)
    {
      guint8 *data = buf + 4 + CR_FILES_CHUNK_SUM;
      gssize n = pread (fd, data, CR_FILES_CHUNK_SIZE, offset);
      guint32 be;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;   /* the member sees the connection end short, and asks again */
      be = GUINT32_TO_BE ((guint32) n);
      memcpy (buf, &be, 4);
      if (n == 0)
        {
          if (g_output_stream_write_all (out, buf, 4, NULL, self->cancellable, NULL) &&
              g_output_stream_flush (out, self->cancellable, NULL))
            _cr_files_count (self, &self->stats.downloads, 1);
          break;
        }
      crypto_generichash (buf + 4, CR_FILES_CHUNK_SUM, data, n, NULL, 0);
      if (take_corrupt_hook (self, index))
        data[n / 2] ^= 0x5a;
      if (!g_output_stream_write_all (out, buf, 4 + CR_FILES_CHUNK_SUM + n, NULL,
                                      self->cancellable, NULL))
        break;
      offset += n;
      sent += n;
      index++;
      _cr_files_count (self, &self->stats.bytes_out, n);
      if (!g_output_stream_flush (out, self->cancellable, NULL) || !run_hooks (self, sent))
        break;
    }

out:
  if (fd >= 0)
    close (fd);
  _cr_files_query_clear (&query);
}

/* ------------------------------------------------------------------ */
/* LIST                                                               */

static void
serve_list (CrFiles       *self,
            GOutputStream *out,
            char         **fields)
{
  CrFilesQuery query = { 0 };
  g_autoptr(GString) reply = g_string_new (NULL);
  guint n;

  if (g_strv_length (fields) != 3)
    {
      refuse (self, out, CR_FILES_ERROR_PROTOCOL);
      return;
    }
  query.token = g_strdup (fields[2]);
  ask_room (self, _cr_files_check_list, &query);
  if (query.error != 0)
    {
      refuse (self, out, query.error);
      _cr_files_query_clear (&query);
      return;
    }
  n = MIN (query.list->len, CR_FILES_LIST_MAX);
  /* The newest, when there are more than a member reads. */
  g_string_append_printf (reply, "OK %u\n", n);
  for (guint i = query.list->len - n; i < query.list->len; i++)
    {
      CrFileInfo *info = query.list->pdata[i];

      g_string_append_printf (reply, "%s %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %s %s\n",
                              info->id, info->size, info->time_us, info->sharer, info->name);
    }
  g_output_stream_write_all (out, reply->str, reply->len, NULL, self->cancellable, NULL);
  _cr_files_query_clear (&query);
}

/* The connection as the file protocol reads it: inside the encrypted
 * stream when the room has an identity (a request in clear gets one line
 * saying so), else the connection itself. NULL: nothing more to say. */
static GIOStream *
open_stream (CrFiles           *self,
             GSocketConnection *connection)
{
  g_autoptr(GError) error = NULL;
  GIOStream *stream;

  if (self->identity == NULL)
    return g_object_ref (G_IO_STREAM (connection));
  stream = cr_crypto_stream_accept (G_IO_STREAM (connection), self->identity, self->cancellable,
                                    &error);
  if (stream == NULL)
    {
      _cr_files_count (self, &self->stats.refused, 1);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
        write_line (g_io_stream_get_output_stream (G_IO_STREAM (connection)), self->cancellable,
                    "ERR %d encrypted transfers only (" CR_STREAM_MAGIC ")\n",
                    (int) CR_FILES_ERROR_PROTOCOL);
      g_debug ("file connection refused: %s", error->message);
    }
  return stream;
}

/* ------------------------------------------------------------------ */
/* One address, one share of the workers                              */

typedef struct {
  guint   active;    /* accepted, not yet finished */
  double  tokens;    /* new connections it may still open now */
  gint64  last;      /* when tokens was last refilled */
} IpState;

/* Under self->lock, on the room's context. */
static IpState *
ip_lookup (CrFiles    *self,
           const char *key,
           gint64      now)
{
  IpState *state = g_hash_table_lookup (self->per_ip, key);

  if (state == NULL)
    {
      /* Bounded: forget the addresses that hold nothing (their rate
       * starts afresh, which costs them at most one burst). */
      if (g_hash_table_size (self->per_ip) >= IP_TRACKED_MAX)
        {
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, self->per_ip);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            if (((IpState *) value)->active == 0)
              g_hash_table_iter_remove (&iter);
        }
      state = g_new0 (IpState, 1);
      state->tokens = self->ip_burst;
      state->last = now;
      g_hash_table_insert (self->per_ip, g_strdup (key), state);
    }
  state->tokens = MIN ((double) self->ip_burst,
                       state->tokens + (now - state->last) * (double) self->ip_rate /
                                       G_TIME_SPAN_SECOND);
  state->last = now;
  return state;
}

/* Under self->lock: the connection ended (or was dropped unserved). */
static void
ip_release (CrFiles           *self,
            GSocketConnection *connection)
{
  const char *key = g_object_get_data (G_OBJECT (connection), IP_KEY);
  IpState *state = key != NULL ? g_hash_table_lookup (self->per_ip, key) : NULL;

  if (state != NULL && state->active > 0)
    state->active--;
}

/* Who a connection counts against: its IPv4 address, or its IPv6 /64 (one
 * host on an IPv6 LAN picks addresses in its /64 at will). */
static char *
remote_key (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  GInetAddress *address;
  guint8 bytes[16];

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6 ||
      g_inet_address_get_is_loopback (address))
    return g_inet_address_to_string (address);
  memcpy (bytes, g_inet_address_to_bytes (address), sizeof bytes);
  /* An IPv4 address seen through a dual-stack socket stays whole. */
  if (memcmp (bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_inet_address_to_string (address);
  memset (bytes + 8, 0, 8);
  {
    g_autoptr(GInetAddress) prefix = g_inet_address_new_from_bytes (bytes,
                                                                    G_SOCKET_FAMILY_IPV6);
    g_autofree char *text = g_inet_address_to_string (prefix);

    return g_strconcat (text, "/64", NULL);
  }
}

void
cr_files_set_ip_limits (CrFiles *self,
                        guint    max,
                        guint    rate,
                        guint    burst)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max > 0 && burst > 0);

  g_mutex_lock (&self->lock);
  self->ip_max = max;
  self->ip_rate = rate;
  self->ip_burst = burst;
  g_mutex_unlock (&self->lock);
}

void
cr_files_set_identity (CrFiles          *self,
                       const CrIdentity *identity)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->service == NULL);

  g_clear_pointer (&self->identity, cr_identity_free);
  self->identity_free = (GDestroyNotify) cr_identity_free;
  if (identity != NULL)
    self->identity = cr_identity_copy (identity);
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */

/* On a worker: one connection, start to end. */
static void
serve (gpointer data,
       gpointer user_data)
{
  g_autoptr(GSocketConnection) connection = data;
  CrFiles *self = user_data;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GInputStream) in = NULL;
  GOutputStream *out = NULL;
  g_autofree char *line = NULL;
  g_auto(GStrv) fields = NULL;

  g_mutex_lock (&self->lock);
  self->waiting--;
  if (self->closed)
    {
      ip_release (self, connection);
      g_mutex_unlock (&self->lock);
      return;
    }
  self->active++;
  g_mutex_unlock (&self->lock);

  /* A connection that says nothing frees its worker soon (there are
   * MAX_WORKERS); a member that stops mid-way, a little later. The
   * handshake is inside that first timeout too. */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), REQUEST_TIMEOUT_S);
  stream = open_stream (self, connection);
  if (stream != NULL)
    {
      in = g_buffered_input_stream_new_sized (g_io_stream_get_input_stream (stream), 64 * 1024);
      out = g_io_stream_get_output_stream (stream);
      line = read_line (G_BUFFERED_INPUT_STREAM (in), self->cancellable);
    }
  if (line != NULL)
    {
      g_socket_set_timeout (g_socket_connection_get_socket (connection), SOCKET_TIMEOUT_S);
      fields = g_strsplit (line, " ", 6);
      if (g_strv_length (fields) < 3 || !g_str_equal (fields[0], "CRF1"))
        refuse (self, out, CR_FILES_ERROR_PROTOCOL);
      else if (g_str_equal (fields[1], "PUT"))
        serve_put (self, G_BUFFERED_INPUT_STREAM (in), out, fields);
      else if (g_str_equal (fields[1], "GET"))
        {
          g_strfreev (fields);
          fields = g_strsplit (line, " ", 0);
          serve_get (self, out, fields);
        }
      else if (g_str_equal (fields[1], "LIST"))
        serve_list (self, out, fields);
      else
        refuse (self, out, CR_FILES_ERROR_PROTOCOL);
    }
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&self->lock);
  self->active--;
  ip_release (self, connection);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* On the room's context: to a worker, or closed at once when too many
 * wait already (a flood costs the flooder's connections, not the room). */
static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  CrFiles *self = user_data;
  g_autofree char *key = remote_key (connection);
  IpState *state = NULL;
  gboolean take;

  g_mutex_lock (&self->lock);
  if (key != NULL)
    state = ip_lookup (self, key, g_get_monotonic_time ());
  take = !self->closed && self->waiting < MAX_WAITING;
  if (!take)
    self->stats.refused++;
  else if (state != NULL && (state->active >= self->ip_max || state->tokens < 1))
    {
      /* One host's flood takes its own share, not everyone's workers. */
      take = FALSE;
      self->stats.capped++;
    }
  if (take)
    {
      self->waiting++;
      if (state != NULL)
        {
          state->active++;
          state->tokens -= 1;
          g_object_set_data_full (G_OBJECT (connection), IP_KEY, g_steal_pointer (&key), g_free);
        }
    }
  g_mutex_unlock (&self->lock);

  if (take)
    g_thread_pool_push (self->pool, g_object_ref (connection), NULL);
  else
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
unref_closure (gpointer  data,
               GClosure *closure)
{
  _cr_files_unref (data);
}

gboolean
cr_files_listen (CrFiles        *self,
                 GSocketAddress *address,
                 GError        **error)
{
  g_autoptr(GSocketAddress) effective = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  self->pool = g_thread_pool_new_full (serve, self, g_object_unref, MAX_WORKERS, FALSE, NULL);
  self->service = g_socket_service_new ();
  /* GIO's default backlog is 10: a burst of connections from one host
   * would fill it before the room can accept them and close the extra ones,
   * and everyone else's connections would wait behind (the kernel caps it at
   * net.core.somaxconn). */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), LISTEN_BACKLOG);
  g_signal_connect_data (self->service, "incoming", G_CALLBACK (on_incoming),
                         _cr_files_ref (self), unref_closure, 0);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      g_clear_object (&self->service);
      return FALSE;
    }
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_service_start (self->service);
  return TRUE;
}

guint16
cr_files_get_port (CrFiles *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->port;
}
