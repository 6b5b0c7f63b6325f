/* cr-files.c: the room's shared files: names, the store on disk, the
 * metadata, the limits (cr-files.h). The TCP side is cr-files-service.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The metadata is a sidecar SQLite file (DATA_DIR/files.db) rather than a
 * table of chatroom.db: the room's store is used from the engine's commit
 * path with its own transactions and fault handling (cr-store.c), and a
 * file's row is written at other times (when an upload ends). The share
 * itself is an event in the room's history like any other.
 */
#define G_LOG_DOMAIN "cr-files"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "cr-files-private.h"

#define FILES_DB        "files.db"
#define DEFAULT_RESERVE ((guint64) 16 * 1024 * 1024)

G_DEFINE_QUARK (cr-files-error-quark, cr_files_error)

/* ------------------------------------------------------------------ */
/* What both sides agree on                                           */

CrFileInfo *
cr_file_info_new (const char *id,
                  guint64     size,
                  gint64      time_us,
                  const char *sharer,
                  const char *name)
{
  CrFileInfo *info = g_new0 (CrFileInfo, 1);

  info->id = g_strdup (id);
  info->size = size;
  info->time_us = time_us;
  info->sharer = g_strdup (sharer != NULL ? sharer : "");
  info->name = cr_files_safe_name (name);
  return info;
}

void
cr_file_info_free (CrFileInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->sharer);
  g_free (info->name);
  g_free (info);
}

CrFileInfo *
cr_file_info_copy (const CrFileInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return cr_file_info_new (info->id, info->size, info->time_us, info->sharer, info->name);
}

char *
cr_file_event_text (const CrFileInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_strdup_printf ("%s %" G_GUINT64_FORMAT " %s", info->id, info->size, info->name);
}

gboolean
cr_files_id_valid (const char *id)
{
  if (id == NULL || strlen (id) != 64)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* A decimal number of at most 20 digits that fits in 64 bits. */
static gboolean
parse_size (const char *text,
            guint64    *out)
{
  guint64 value = 0;

  if (text == NULL || *text == '\0' || strlen (text) > 20)
    return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    return FALSE;
  *out = value;
  return TRUE;
}

CrFileInfo *
cr_file_info_from_event (const CrEvent *event)
{
  g_auto(GStrv) fields = NULL;
  guint64 size;

  g_return_val_if_fail (event != NULL, NULL);

  if ((event->kind != CR_EVENT_FILE && event->kind != CR_EVENT_FILE_EXPIRED) ||
      event->text == NULL)
    return NULL;
  fields = g_strsplit (event->text, " ", 3);
  if (g_strv_length (fields) != 3 || !cr_files_id_valid (fields[0]) ||
      !parse_size (fields[1], &size) || *fields[2] == '\0')
    return NULL;
  return cr_file_info_new (fields[0], size, event->time_us, event->name, fields[2]);
}

/* Characters that would make a name lie about itself or break a line: C0
 * and C1 controls, the bidi overrides and isolates (an "exe.pdf" spelled
 * backwards), line and paragraph separators. */
static gboolean
unsafe_char (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c < 0xa0) ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
         c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f || c == 0xfeff;
}

char *
cr_files_safe_name (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *base;
  const char *p;

  if (name == NULL)
    return g_strdup ("file");

  valid = g_utf8_make_valid (name, -1);
  /* Only the last component: "../../etc/passwd" is "passwd", "C:\x" is "x". */
  base = valid;
  for (p = valid; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;

  for (p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      char buf[6];
      gint len;

      if (unsafe_char (c))
        c = ' ';
      len = g_unichar_to_utf8 (c, buf);
      if (out->len + len > CR_FILES_NAME_MAX_BYTES)
        break;
      g_string_append_len (out, buf, len);
    }

  /* No leading dots (".." or a hidden file) or spaces, no trailing spaces. */
  while (out->len > 0 && (out->str[0] == '.' || out->str[0] == ' '))
    g_string_erase (out, 0, 1);
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    g_string_assign (out, "file");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
cr_files_format_size (guint64 size)
{
  static const char * const units[] = { "kB", "MB", "GB", "TB" };
  double value = size;
  guint unit = 0;

  if (size < 1000)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " B", size);
  value /= 1000.0;
  while (value >= 999.95 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1000.0;
      unit++;
    }
  /* g_ascii_formatd: a decimal point in every locale (a wire format). */
  {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    return g_strdup_printf ("%s %s", g_ascii_formatd (buf, sizeof buf, "%.1f", value),
                            units[unit]);
  }
}

const char *
cr_files_error_to_string (CrFilesError code)
{
  switch (code)
    {
    case CR_FILES_ERROR_PROTOCOL:
      return _("The file transfer was garbled");
    case CR_FILES_ERROR_DENIED:
      return _("Only members of the room can share and download files");
    case CR_FILES_ERROR_NOT_ALLOWED:
      return _("The owner does not let you share files in this room");
    case CR_FILES_ERROR_TOO_LARGE:
      return _("The file is larger than the room allows");
    case CR_FILES_ERROR_OVER_QUOTA:
      return _("The file does not fit in the room's storage");
    case CR_FILES_ERROR_DISK_FULL:
      return _("The room's disk is full");
    case CR_FILES_ERROR_NOT_FOUND:
      return _("The room no longer has this file");
    case CR_FILES_ERROR_CORRUPT:
      return _("The file arrived damaged");
    case CR_FILES_ERROR_UNAVAILABLE:
    default:
      return _("The room does not take files right now");
    }
}

/* ------------------------------------------------------------------ */
/* The metadata                                                       */

static gboolean
db_exec (CrFiles     *self,
         const char  *sql,
         GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) == SQLITE_OK)
    return TRUE;
  g_set_error (error, CR_FILES_ERROR, CR_FILES_ERROR_UNAVAILABLE, "%s: %s", FILES_DB,
               message != NULL ? message : "error");
  sqlite3_free (message);
  return FALSE;
}

static GPtrArray *
db_list (CrFiles *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_file_info_free);
  sqlite3_stmt *stmt = NULL;

  if (self->db == NULL)
    return list;
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT id, size, time_us, sharer, name FROM files ORDER BY rowid",
                          -1, &stmt, NULL) != SQLITE_OK)
    return list;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *id = (const char *) sqlite3_column_text (stmt, 0);

      /* A row that is not ours (a damaged or edited file) is skipped. */
      if (!cr_files_id_valid (id) || sqlite3_column_int64 (stmt, 1) < 0)
        continue;
      g_ptr_array_add (list, cr_file_info_new (id, sqlite3_column_int64 (stmt, 1),
                                               sqlite3_column_int64 (stmt, 2),
                                               (const char *) sqlite3_column_text (stmt, 3),
                                               (const char *) sqlite3_column_text (stmt, 4)));
    }
  sqlite3_finalize (stmt);
  return list;
}

/* Bytes on disk: each content once, however many times it was shared. */
static guint64
used_bytes (GPtrArray *list)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 used = 0;

  for (guint i = 0; i < list->len; i++)
    {
      CrFileInfo *info = list->pdata[i];

      if (g_hash_table_add (seen, info->id))
        used += info->size;
    }
  return used;
}

static char *
blob_path (CrFiles    *self,
           const char *id)
{
  g_assert (cr_files_id_valid (id));
  return g_build_filename (self->dir, id, NULL);
}

/* What a crash or a kill may have left: half an upload in tmp/, content
 * renamed into place whose row was never written, a row whose content is
 * gone. None of it is ever offered. */
static void
tidy (CrFiles *self)
{
  g_autoptr(GPtrArray) list = db_list (self);
  g_autoptr(GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if ((dir = g_dir_open (self->tmp_dir, 0, NULL)) != NULL)
    while ((entry = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (self->tmp_dir, entry, NULL);

        g_unlink (path);
      }
  g_clear_pointer (&dir, g_dir_close);

  for (guint i = 0; i < list->len; i++)
    {
      CrFileInfo *info = list->pdata[i];
      g_autofree char *path = blob_path (self, info->id);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_hash_table_add (known, info->id);
      else
        {
          sqlite3_stmt *stmt = NULL;

          g_warning ("Shared file %s (%s) is missing from %s; forgetting it",
                     info->name, info->id, self->dir);
          if (sqlite3_prepare_v2 (self->db, "DELETE FROM files WHERE id = ?", -1, &stmt,
                                  NULL) == SQLITE_OK)
            {
              sqlite3_bind_text (stmt, 1, info->id, -1, SQLITE_STATIC);
              sqlite3_step (stmt);
            }
          sqlite3_finalize (stmt);
        }
    }

  if ((dir = g_dir_open (self->dir, 0, NULL)) != NULL)
    while ((entry = g_dir_read_name (dir)) != NULL)
      if (cr_files_id_valid (entry) && !g_hash_table_contains (known, entry))
        {
          g_autofree char *path = g_build_filename (self->dir, entry, NULL);

          g_unlink (path);
        }
}

CrFiles *
cr_files_new (const char  *data_dir,
              GError     **error)
{
  CrFiles *self;
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_new0 (CrFiles, 1);
  self->ref_count = 1;
  self->context = g_main_context_ref_thread_default ();
  self->dir = g_build_filename (data_dir, "files", NULL);
  self->tmp_dir = g_build_filename (self->dir, "tmp", NULL);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->max_size = CR_FILES_DEFAULT_MAX_SIZE;
  self->quota = CR_FILES_DEFAULT_QUOTA;
  self->reserve = DEFAULT_RESERVE;
  self->policy = CR_FILES_SHARE_EVERYONE;
  self->corrupt_chunk = -1;
  self->per_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->ip_max = CR_FILES_IP_MAX;
  self->ip_rate = CR_FILES_IP_RATE;
  self->ip_burst = CR_FILES_IP_BURST;
  self->cancellable = g_cancellable_new ();

  if (g_mkdir_with_parents (self->tmp_dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, CR_FILES_ERROR, CR_FILES_ERROR_UNAVAILABLE,
                   /* Translators: %s is a folder, then the system's reason */
                   _("Could not make the folder for shared files %s: %s"),
                   self->tmp_dir, g_strerror (saved));
      cr_files_free (self);
      return NULL;
    }

  db_path = g_build_filename (data_dir, FILES_DB, NULL);
  if (sqlite3_open_v2 (db_path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, CR_FILES_ERROR, CR_FILES_ERROR_UNAVAILABLE, "%s: %s", db_path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      cr_files_free (self);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  if (!db_exec (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                "CREATE TABLE IF NOT EXISTS files ("
                "  id      TEXT NOT NULL,"
                "  size    INTEGER NOT NULL,"
                "  time_us INTEGER NOT NULL,"
                "  sharer  TEXT NOT NULL,"
                "  name    TEXT NOT NULL);", error))
    {
      cr_files_free (self);
      return NULL;
    }
  tidy (self);
  return self;
}

CrFiles *
_cr_files_ref (CrFiles *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
_cr_files_unref (CrFiles *self)
{
  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_main_context_unref (self->context);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->dir);
  g_free (self->tmp_dir);
  g_clear_pointer (&self->per_ip, g_hash_table_unref);
  /* Through the pointer cr_files_set_identity left: this file does not
   * link cr-crypto.c (the classic fuzzer compiles it alone). */
  if (self->identity != NULL)
    self->identity_free (self->identity);
  g_free (self);
}

void
cr_files_free (CrFiles *self)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  if (self == NULL)
    return;

  /* Workers blocked on the network or on a question to this context give
   * up; wait (bounded) for them so none outlives the room's data. */
  g_mutex_lock (&self->lock);
  self->closed = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->cancellable);
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  g_mutex_lock (&self->lock);
  while (self->active > 0)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  g_mutex_unlock (&self->lock);
  /* Queued connections are dropped; the workers have ended or are ending
   * (cancelled, closed). */
  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);

  g_clear_object (&self->service);
  g_clear_pointer (&self->db, sqlite3_close);
  _cr_files_unref (self);
}

/* ------------------------------------------------------------------ */
/* Limits                                                             */

#define LOCKED_SET(field, value) \
  G_STMT_START { \
    g_mutex_lock (&self->lock); \
    self->field = (value); \
    g_mutex_unlock (&self->lock); \
  } G_STMT_END

static guint64
locked_get (CrFiles       *self,
            const guint64 *field)
{
  guint64 value;

  g_mutex_lock (&self->lock);
  value = *field;
  g_mutex_unlock (&self->lock);
  return value;
}

void
cr_files_set_max_size (CrFiles *self,
                       guint64  max_size)
{
  g_return_if_fail (self != NULL);
  LOCKED_SET (max_size, max_size);
}

guint64
cr_files_get_max_size (CrFiles *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return locked_get (self, &self->max_size);
}

void
cr_files_set_quota (CrFiles *self,
                    guint64  quota)
{
  g_return_if_fail (self != NULL);
  LOCKED_SET (quota, quota);
}

guint64
cr_files_get_quota (CrFiles *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return locked_get (self, &self->quota);
}

void
cr_files_set_reserve (CrFiles *self,
                      guint64  reserve)
{
  g_return_if_fail (self != NULL);
  LOCKED_SET (reserve, reserve);
}

void
cr_files_set_policy (CrFiles       *self,
                     CrFilesPolicy  policy)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (policy <= CR_FILES_SHARE_OWNER);
  LOCKED_SET (policy, policy);
}

CrFilesPolicy
cr_files_get_policy (CrFiles *self)
{
  CrFilesPolicy policy;

  g_return_val_if_fail (self != NULL, CR_FILES_SHARE_EVERYONE);
  g_mutex_lock (&self->lock);
  policy = self->policy;
  g_mutex_unlock (&self->lock);
  return policy;
}

void
cr_files_set_funcs (CrFiles          *self,
                    CrFilesAuthFunc   auth_func,
                    CrFilesEventFunc  event_func,
                    gpointer          user_data)
{
  g_return_if_fail (self != NULL);
  self->auth_func = auth_func;
  self->event_func = event_func;
  self->user_data = user_data;
}

void
_cr_files_count (CrFiles *self,
                 guint64 *counter,
                 guint64  n)
{
  g_mutex_lock (&self->lock);
  *counter += n;
  g_mutex_unlock (&self->lock);
}

void
cr_files_get_stats (CrFiles      *self,
                    CrFilesStats *stats)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

void
cr_files_corrupt_chunk_once (CrFiles *self,
                             gint     index)
{
  g_return_if_fail (self != NULL);
  g_mutex_lock (&self->lock);
  self->corrupt_chunk = index;
  g_mutex_unlock (&self->lock);
}

GPtrArray *
cr_files_list (CrFiles *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return db_list (self);
}

guint64
cr_files_get_used (CrFiles *self)
{
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (self != NULL, 0);
  list = db_list (self);
  return used_bytes (list);
}

/* ------------------------------------------------------------------ */
/* The workers' questions (on self->context)                          */

void
_cr_files_query_clear (CrFilesQuery *query)
{
  g_clear_pointer (&query->token, g_free);
  g_clear_pointer (&query->id, g_free);
  g_clear_pointer (&query->name, g_free);
  g_clear_pointer (&query->member, g_free);
  g_clear_pointer (&query->list, g_ptr_array_unref);
}

/* The member behind the token, or CR_FILES_ERROR_DENIED. */
static gboolean
check_member (CrFiles      *self,
              CrFilesQuery *query,
              CrRole       *role,
              guint        *flags)
{
  CrRole r = CR_ROLE_MEMBER;
  guint f = 0;

  g_clear_pointer (&query->member, g_free);
  if (self->auth_func == NULL ||
      !self->auth_func (query->token, &query->member, &r, &f, self->user_data))
    {
      query->error = CR_FILES_ERROR_DENIED;
      return FALSE;
    }
  if (role != NULL)
    *role = r;
  if (flags != NULL)
    *flags = f;
  return TRUE;
}

static guint64
disk_free (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return G_MAXUINT64;  /* unknown: the write will say */
  return g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
}

void
_cr_files_check_put (CrFiles      *self,
                     CrFilesQuery *query)
{
  CrRole role = CR_ROLE_MEMBER;
  guint flags = 0;
  CrFilesPolicy policy;
  guint64 max_size, quota, reserve;

  if (!check_member (self, query, &role, &flags))
    return;

  g_mutex_lock (&self->lock);
  policy = self->policy;
  max_size = self->max_size;
  quota = self->quota;
  reserve = self->reserve;
  g_mutex_unlock (&self->lock);

  if ((policy == CR_FILES_SHARE_OWNER && role != CR_ROLE_OWNER) ||
      (policy == CR_FILES_SHARE_REGISTERED && role != CR_ROLE_OWNER &&
       (flags & CR_MEMBER_REGISTERED) == 0))
    query->error = CR_FILES_ERROR_NOT_ALLOWED;
  else if (query->size > max_size)
    query->error = CR_FILES_ERROR_TOO_LARGE;
  else if (query->size > quota)
    query->error = CR_FILES_ERROR_OVER_QUOTA;
  else if (query->size > G_MAXUINT64 - reserve ||
           disk_free (self->dir) < query->size + reserve)
    query->error = CR_FILES_ERROR_DISK_FULL;
}

void
_cr_files_check_get (CrFiles      *self,
                     CrFilesQuery *query)
{
  g_autoptr(GPtrArray) list = NULL;

  if (!check_member (self, query, NULL, NULL))
    return;
  list = db_list (self);
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (((CrFileInfo *) list->pdata[i])->id, query->id))
      return;
  query->error = CR_FILES_ERROR_NOT_FOUND;
}

void
_cr_files_check_list (CrFiles      *self,
                      CrFilesQuery *query)
{
  if (!check_member (self, query, NULL, NULL))
    return;
  query->list = db_list (self);
}

static gboolean
db_delete_row (CrFiles *self,
               gint64   rowid)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  if (sqlite3_prepare_v2 (self->db, "DELETE FROM files WHERE rowid = ?", -1, &stmt, NULL)
      != SQLITE_OK)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, rowid);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  return ok;
}

/* Oldest first, until size more bytes fit in the quota. Each file that
 * goes is a CR_EVENT_FILE_EXPIRED. */
static void
expire_for (CrFiles *self,
            guint64  size,
            guint64  quota)
{
  for (;;)
    {
      g_autoptr(GPtrArray) list = db_list (self);
      sqlite3_stmt *stmt = NULL;
      g_autofree char *text = NULL;
      CrFileInfo *oldest;
      gint64 rowid = 0;
      gboolean still_used = FALSE;

      if (list->len == 0 || used_bytes (list) + size <= quota)
        return;
      oldest = list->pdata[0];
      if (sqlite3_prepare_v2 (self->db, "SELECT min(rowid) FROM files", -1, &stmt, NULL)
          == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
        rowid = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
      if (rowid == 0 || !db_delete_row (self, rowid))
        return;

      for (guint i = 1; i < list->len; i++)
        still_used |= g_str_equal (((CrFileInfo *) list->pdata[i])->id, oldest->id);
      if (!still_used)
        {
          g_autofree char *path = blob_path (self, oldest->id);

          g_unlink (path);
        }
      _cr_files_count (self, &self->stats.expired, 1);
      text = cr_file_event_text (oldest);
      if (self->event_func != NULL)
        self->event_func (CR_EVENT_FILE_EXPIRED, "", text, self->user_data);
    }
}

void
_cr_files_commit (CrFiles      *self,
                  CrFilesQuery *query)
{
  g_autoptr(CrFileInfo) info = NULL;
  g_autofree char *text = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  /* The member may have left while the bytes came: the share still counts,
   * signed by the name the upload began with. */
  info = cr_file_info_new (query->id, query->size, g_get_real_time (), query->member,
                           query->name);
  expire_for (self, info->size, cr_files_get_quota (self));

  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO files (id, size, time_us, sharer, name) "
                          "VALUES (?, ?, ?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK)
    {
      query->error = CR_FILES_ERROR_UNAVAILABLE;
      return;
    }
  sqlite3_bind_text (stmt, 1, info->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, (gint64) info->size);
  sqlite3_bind_int64 (stmt, 3, info->time_us);
  sqlite3_bind_text (stmt, 4, info->sharer, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, info->name, -1, SQLITE_STATIC);
  ok = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  if (!ok)
    {
      /* A full disk may refuse the row as well as the bytes. */
      query->error = sqlite3_errcode (self->db) == SQLITE_FULL
                     ? CR_FILES_ERROR_DISK_FULL : CR_FILES_ERROR_UNAVAILABLE;
      return;
    }

  _cr_files_count (self, &self->stats.uploads, 1);
  text = cr_file_event_text (info);
  if (self->event_func != NULL)
    self->event_func (CR_EVENT_FILE, info->sharer, text, self->user_data);
}
