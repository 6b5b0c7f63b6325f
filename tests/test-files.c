/* test-files.c: shared files (群文件) between members of a real room on
 * 127.0.0.1: share and download byte for byte, resume, corrupt chunks,
 * hostile names, the limits, what classic members see, a restart.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cr-classic.h"
#include "cr-crypto-stream.h"
#include "cr-file-client.h"
#include "cr-files-private.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-test-utils.h"

#define MB (1000 * 1000)
#define TRANSFER_TIMEOUT_MS 120000

/* Files ------------------------------------------------------------- */

/* size bytes from a fixed seed, so every run moves the same file. */
static char *
make_file (const char *dir,
           const char *name,
           gsize       size,
           guint32     seed)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint32 *block = g_new (guint32, 1024 * 1024 / 4);
  FILE *file = fopen (path, "wb");
  gsize left = size;

  g_assert_nonnull (file);
  while (left > 0)
    {
      gsize n = MIN (left, 1024 * 1024);

      for (gsize i = 0; i < (n + 3) / 4; i++)
        block[i] = g_rand_int (rand);
      g_assert_cmpuint (fwrite (block, 1, n, file), ==, n);
      left -= n;
    }
  g_assert_cmpint (fclose (file), ==, 0);
  return g_steal_pointer (&path);
}

static char *
file_sha256 (const char *path)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (1024 * 1024);
  FILE *file = fopen (path, "rb");
  gsize n;

  g_assert_nonnull (file);
  while ((n = fread (buf, 1, 1024 * 1024, file)) > 0)
    g_checksum_update (sum, buf, n);
  fclose (file);
  return g_strdup (g_checksum_get_string (sum));
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return 0;
  return st.st_size;
}

/* Members ------------------------------------------------------------ */

static CrFileClient *
file_client_of (CrClient *client)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;

  g_assert_true (cr_client_dup_file_endpoint (client, &address, &token));
  return cr_file_client_new (address, token);
}

typedef struct
{
  gboolean             done;
  gboolean             ok;
  GError              *error;
  CrFileTransferStats  stats;
  GPtrArray           *list;
  guint64              progress;
  guint                progress_calls;
  GCancellable        *cancel_at_progress;
} Op;

static gboolean
op_done (gpointer user_data)
{
  return ((Op *) user_data)->done;
}

static void
op_clear (Op *op)
{
  g_clear_error (&op->error);
  g_clear_pointer (&op->list, g_ptr_array_unref);
  memset (op, 0, sizeof *op);
}

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Op *op = user_data;

  g_assert_cmpuint (done, <=, total);
  op->progress = done;
  op->progress_calls++;
  if (op->cancel_at_progress != NULL)
    g_cancellable_cancel (op->cancel_at_progress);
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Op *op = user_data;

  op->ok = cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, &op->stats,
                                         &op->error);
  op->done = TRUE;
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Op *op = user_data;

  op->ok = cr_file_client_download_finish (CR_FILE_CLIENT (source), result, &op->stats,
                                           &op->error);
  op->done = TRUE;
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Op *op = user_data;

  op->list = cr_file_client_list_finish (CR_FILE_CLIENT (source), result, &op->error);
  op->ok = op->list != NULL;
  op->done = TRUE;
}

static gboolean
upload (CrFileClient *files,
        const char   *path,
        const char   *name,
        GError      **error)
{
  Op op = { 0 };
  gboolean ok;

  cr_file_client_upload_async (files, path, name, on_progress, &op, NULL, on_uploaded, &op);
  cr_test_assert_wait (op_done, &op, TRANSFER_TIMEOUT_MS);
  ok = op.ok;
  if (op.error != NULL)
    g_propagate_error (error, g_steal_pointer (&op.error));
  op_clear (&op);
  return ok;
}

static void
download (CrFileClient *files,
          const char   *id,
          const char   *dest,
          Op           *op)
{
  cr_file_client_download_async (files, id, dest, on_progress, op, op->cancel_at_progress,
                                 on_downloaded, op);
  cr_test_assert_wait (op_done, op, TRANSFER_TIMEOUT_MS);
}

static GPtrArray *
list (CrFileClient *files)
{
  Op op = { 0 };
  GPtrArray *result;

  cr_file_client_list_async (files, NULL, on_listed, &op);
  cr_test_assert_wait (op_done, &op, 10000);
  g_assert_no_error (op.error);
  result = g_steal_pointer (&op.list);
  op_clear (&op);
  return result;
}

/* The CR_EVENT_FILE rows a member's model holds for this file name. */
static guint
count_file_rows (GListModel *messages,
                 CrEventKind kind,
                 const char *file_name)
{
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);
      g_autofree char *text = NULL;

      if (cr_message_get_kind (message) != kind)
        continue;
      g_object_get (message, "text", &text, NULL);
      if (text != NULL && strstr (text, file_name) != NULL)
        n++;
    }
  return n;
}

typedef struct
{
  GListModel *messages;
  CrEventKind kind;
  const char *name;
} RowWait;

static gboolean
has_file_row (gpointer user_data)
{
  RowWait *wait = user_data;

  return count_file_rows (wait->messages, wait->kind, wait->name) > 0;
}

static void
assert_file_row (CrClient    *client,
                 CrEventKind  kind,
                 const char  *name)
{
  RowWait wait = { cr_client_get_messages (client), kind, name };

  cr_test_assert_wait (has_file_row, &wait, 5000);
}

/* A room with alice and bob, and a scratch folder for their files. */
typedef struct
{
  CrTestRoom  room;
  CrClient   *alice;
  CrClient   *bob;
  char       *scratch;
} Fixture;

static void
fixture_setup (Fixture *f)
{
  memset (f, 0, sizeof *f);
  cr_test_room_start (&f->room, "127.0.0.1");
  g_assert_nonnull (cr_server_get_files (f->room.server));
  f->alice = cr_test_join (f->room.address, "alice", NULL, FALSE, 5000, NULL);
  f->bob = cr_test_join (f->room.address, "bob", NULL, FALSE, 5000, NULL);
  f->scratch = cr_test_make_tmpdir ();
}

static void
fixture_teardown (Fixture *f)
{
  cr_test_leave_and_free (f->alice);
  cr_test_leave_and_free (f->bob);
  cr_test_room_clear (&f->room);
  cr_test_remove_tree (f->scratch);
  g_free (f->scratch);
}

/* A file of size bytes (made from seed) named name in the scratch folder,
 * shared through files: its path; its id (the SHA-256) in *id when asked. */
static char *
share_file (Fixture       *f,
            CrFileClient  *files,
            const char    *name,
            guint64        size,
            guint          seed,
            char         **id)
{
  g_autoptr(GError) error = NULL;
  char *source = make_file (f->scratch, name, size, seed);

  if (id != NULL)
    *id = file_sha256 (source);
  g_assert_true (upload (files, source, NULL, &error));
  g_assert_no_error (error);
  return source;
}

/* Names -------------------------------------------------------------- */

static void
test_safe_names (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "report.pdf", "report.pdf" },
    { "../../etc/passwd", "passwd" },
    { "/tmp/x", "x" },
    { "C:\\Windows\\evil.exe", "evil.exe" },
    { "a\nb.txt", "a b.txt" },
    { "..", "file" },
    { "", "file" },
    { "/", "file" },
    { ".bashrc", "bashrc" },
    { "photo\xe2\x80\xaegnp.exe", "photo gnp.exe" },   /* U+202E, right-to-left override */
    { "bad\xff" "utf8", "bad\xef\xbf\xbdutf8" },
    { "张三的照片.png", "张三的照片.png" },
  };
  g_autofree char *long_name = g_strnfill (1000, 'a');
  g_autofree char *cut = cr_files_safe_name (long_name);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *safe = cr_files_safe_name (cases[i].in);

      g_assert_cmpstr (safe, ==, cases[i].out);
    }
  g_assert_cmpuint (strlen (cut), ==, CR_FILES_NAME_MAX_BYTES);

  {
    g_autofree char *a = cr_files_format_size (999);
    g_autofree char *b = cr_files_format_size (1200 * 1000);
    g_autofree char *c = cr_files_format_size (50 * MB);
    g_autofree char *d = cr_files_format_size ((guint64) 2 * 1000 * MB);

    g_assert_cmpstr (a, ==, "999 B");
    g_assert_cmpstr (b, ==, "1.2 MB");
    g_assert_cmpstr (c, ==, "50.0 MB");
    g_assert_cmpstr (d, ==, "2.0 GB");
  }
}

/* The lines: classic members' (a wire format, both tables) and ours. */
static void
test_event_lines (void)
{
  static const char id[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  g_autofree char *text = g_strdup_printf ("%s 1200000 report final.pdf", id);
  g_autoptr(CrEvent) shared = cr_event_new (3, 0, CR_EVENT_FILE, "张三", text, 0);
  g_autoptr(CrEvent) expired = cr_event_new (4, 0, CR_EVENT_FILE_EXPIRED, "", text, 0);
  g_autoptr(CrEvent) forged = cr_event_new (5, 0, CR_EVENT_FILE, "张三", "../../x 12 y", 0);
  g_autoptr(CrFileInfo) info = cr_file_info_from_event (shared);
  g_autoptr(CrFileInfo) none = cr_file_info_from_event (forged);
  const CrClassicTable *zh = cr_classic_table_lookup ("zh_CN");
  const CrClassicTable *en = cr_classic_table_lookup ("en");
  g_autoptr(GPtrArray) zh_shared = cr_classic_format_event (zh, shared);
  g_autoptr(GPtrArray) en_shared = cr_classic_format_event (en, shared);
  g_autoptr(GPtrArray) zh_expired = cr_classic_format_event (zh, expired);
  g_autoptr(GPtrArray) en_expired = cr_classic_format_event (en, expired);
  g_autoptr(GPtrArray) zh_forged = cr_classic_format_event (zh, forged);
  g_autofree char *render_en = cr_render_event (shared, "en");
  g_autofree char *render_zh = cr_render_event (shared, "zh_CN");
  g_autofree char *render_expired = cr_render_event (expired, "en");

  g_assert_nonnull (info);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpuint (info->size, ==, 1200000);
  g_assert_cmpstr (info->name, ==, "report final.pdf");
  g_assert_cmpstr (info->sharer, ==, "张三");
  g_assert_null (none);

  g_assert_cmpstr (zh_shared->pdata[0], ==, "【系统消息】:张三 分享了文件 report final.pdf (1.2 MB)");
  g_assert_cmpstr (en_shared->pdata[0], ==, "[System] 张三 shared the file report final.pdf (1.2 MB)");
  g_assert_cmpstr (zh_expired->pdata[0], ==, "【系统消息】:群文件 report final.pdf (1.2 MB) 已过期删除");
  g_assert_cmpstr (en_expired->pdata[0], ==,
                   "[System] The shared file report final.pdf (1.2 MB) expired and was removed");
  /* A line that is not a file's says nothing rather than something false. */
  g_assert_cmpuint (zh_forged->len, ==, 0);

  g_assert_cmpstr (render_en, ==, "张三 shared the file report final.pdf (1.2\u00a0MB)");
  g_assert_nonnull (strstr (render_zh, "张三 分享了文件 report final.pdf"));
  g_assert_cmpstr (render_expired, ==,
                   "The shared file report final.pdf (1.2\u00a0MB) expired and was removed");
}

/* Share and download --------------------------------------------------- */

static void
test_share_download (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *source = NULL;
  g_autofree char *source_sum = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *dest_sum = NULL;
  CrFileInfo *info;
  CrFilesStats stats;
  Op op = { 0 };

  fixture_setup (&f);
  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "big.bin", 50 * MB, 1, &source_sum);

  /* Everyone sees the share; the row says who, what and how big. */
  assert_file_row (f.bob, CR_EVENT_FILE, "big.bin");
  assert_file_row (f.alice, CR_EVENT_FILE, "big.bin");

  bob_files = file_client_of (f.bob);
  files = list (bob_files);
  g_assert_cmpuint (files->len, ==, 1);
  info = files->pdata[0];
  g_assert_cmpstr (info->id, ==, source_sum);
  g_assert_cmpuint (info->size, ==, 50 * MB);
  g_assert_cmpstr (info->sharer, ==, "alice");
  g_assert_cmpstr (info->name, ==, "big.bin");

  dest = g_build_filename (f.scratch, "got.bin", NULL);
  download (bob_files, info->id, dest, &op);
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
  g_assert_cmpuint (op.stats.bytes, ==, 50 * MB);
  g_assert_cmpuint (op.stats.resumed_from, ==, 0);
  g_assert_cmpuint (op.progress, ==, 50 * MB);
  dest_sum = file_sha256 (dest);
  g_assert_cmpstr (dest_sum, ==, source_sum);
  g_assert_false (g_file_test (f.scratch, G_FILE_TEST_EXISTS) &&
                  file_size (dest) != 50 * MB);

  cr_files_get_stats (cr_server_get_files (f.room.server), &stats);
  g_assert_cmpuint (stats.uploads, ==, 1);
  g_assert_cmpuint (stats.downloads, ==, 1);
  g_assert_cmpuint (stats.bytes_in, ==, 50 * MB);
  g_assert_cmpuint (stats.bytes_out, ==, 50 * MB);

  op_clear (&op);
  fixture_teardown (&f);
}

/* Cut at half, then resume: the second transfer moves only the rest. */
static void
test_resume (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autofree char *source = NULL;
  g_autofree char *id = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *part = NULL;
  g_autofree char *dest_sum = NULL;
  CrFiles *room_files;
  guint64 half = 25 * MB, kept;
  Op op = { 0 };

  fixture_setup (&f);
  room_files = cr_server_get_files (f.room.server);
  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "half.bin", 50 * MB, 2, &id);

  bob_files = file_client_of (f.bob);
  dest = g_build_filename (f.scratch, "half-got.bin", NULL);
  part = g_strconcat (dest, ".part", NULL);

  /* The room ends the connection once half is out. */
  cr_files_cut_download_once (room_files, half);
  download (bob_files, id, dest, &op);
  g_assert_false (op.ok);
  g_assert_nonnull (op.error);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  kept = file_size (part);
  g_assert_cmpuint (kept, >=, half);
  g_assert_cmpuint (kept, <, half + CR_FILES_CHUNK_SIZE);
  g_assert_cmpuint (op.stats.bytes, ==, kept);
  op_clear (&op);

  download (bob_files, id, dest, &op);
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
  g_assert_cmpuint (op.stats.resumed_from, ==, kept);
  g_assert_cmpuint (op.stats.bytes, ==, 50 * MB - kept);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  dest_sum = file_sha256 (dest);
  g_assert_cmpstr (dest_sum, ==, id);
  op_clear (&op);

  fixture_teardown (&f);
}

/* Cancel: the download stops where it is, nothing shows as complete, and
 * a later one resumes. Several at once meanwhile. */
static void
test_cancel_and_parallel (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *id_a = NULL;
  g_autofree char *id_b = NULL;
  g_autofree char *dest_a = NULL;
  g_autofree char *dest_b = NULL;
  g_autofree char *part_a = NULL;
  g_autofree char *sum = NULL;
  Op op_a = { 0 }, op_b = { 0 };

  fixture_setup (&f);
  a = make_file (f.scratch, "a.bin", 8 * MB, 3);
  b = make_file (f.scratch, "b.bin", 8 * MB, 4);
  id_a = file_sha256 (a);
  id_b = file_sha256 (b);
  alice_files = file_client_of (f.alice);
  g_assert_true (upload (alice_files, a, NULL, &error));
  g_assert_true (upload (alice_files, b, NULL, &error));

  bob_files = file_client_of (f.bob);
  dest_a = g_build_filename (f.scratch, "a-got.bin", NULL);
  dest_b = g_build_filename (f.scratch, "b-got.bin", NULL);
  part_a = g_strconcat (dest_a, ".part", NULL);

  /* a stalls in the room after 1 MB; b goes on beside it; a is cancelled. */
  cr_files_stall_download_once (cr_server_get_files (f.room.server), 1 * MB);
  cr_file_client_download_async (bob_files, id_a, dest_a, NULL, NULL, cancellable,
                                 on_downloaded, &op_a);
  cr_test_wait_until (NULL, NULL, 200);
  cr_file_client_download_async (bob_files, id_b, dest_b, NULL, NULL, NULL,
                                 on_downloaded, &op_b);
  cr_test_assert_wait (op_done, &op_b, TRANSFER_TIMEOUT_MS);
  g_assert_no_error (op_b.error);
  g_assert_false (op_a.done);

  g_cancellable_cancel (cancellable);
  cr_test_assert_wait (op_done, &op_a, 10000);
  cr_files_release_stall (cr_server_get_files (f.room.server));
  g_assert_error (op_a.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (dest_a, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (file_size (part_a), >=, 1 * MB);
  op_clear (&op_a);

  download (bob_files, id_a, dest_a, &op_a);
  g_assert_no_error (op_a.error);
  g_assert_cmpuint (op_a.stats.resumed_from + op_a.stats.bytes, ==, 8 * MB);
  g_assert_cmpuint (op_a.stats.resumed_from, >=, 1 * MB);
  sum = file_sha256 (dest_a);
  g_assert_cmpstr (sum, ==, id_a);

  op_clear (&op_a);
  op_clear (&op_b);
  fixture_teardown (&f);
}

/* A chunk damaged on the way is caught by its checksum and fetched again. */
static void
test_corrupt_chunk (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autofree char *source = NULL;
  g_autofree char *id = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *sum = NULL;
  CrFilesStats stats;
  Op op = { 0 };

  fixture_setup (&f);
  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "c.bin", 4 * MB, 5, &id);

  cr_files_corrupt_chunk_once (cr_server_get_files (f.room.server), 3);
  bob_files = file_client_of (f.bob);
  dest = g_build_filename (f.scratch, "c-got.bin", NULL);
  download (bob_files, id, dest, &op);
  g_assert_no_error (op.error);
  g_assert_cmpuint (op.stats.refetched, ==, 1);
  /* The bad chunk crossed twice; nothing else did. */
  g_assert_cmpuint (op.stats.bytes, ==, 4 * MB + CR_FILES_CHUNK_SIZE);
  sum = file_sha256 (dest);
  g_assert_cmpstr (sum, ==, id);
  /* The room had written more into the connection the member dropped. */
  cr_files_get_stats (cr_server_get_files (f.room.server), &stats);
  g_assert_cmpuint (stats.bytes_out, >=, 4 * MB + CR_FILES_CHUNK_SIZE);

  op_clear (&op);
  fixture_teardown (&f);
}

/* Hostile names and requests ------------------------------------------ */

/* One raw request line; the room's first reply line (or "" when it just
 * closed). Runs on a thread: the room answers on this one. */
typedef struct
{
  GSocketAddress *address;
  const guint8   *room_key;   /* NULL: in clear */
  const char     *request;
  char           *reply;
} Raw;

static gpointer
raw_thread (gpointer data)
{
  Raw *raw = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) stream = NULL;
  char buf[1100] = { 0 };
  gsize got = 0;

  g_socket_client_set_timeout (client, 10);
  connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (raw->address), NULL, NULL);
  g_assert_nonnull (connection);
  if (raw->room_key != NULL)
    stream = cr_crypto_stream_connect (G_IO_STREAM (connection), raw->room_key, NULL, NULL);
  else
    stream = g_object_ref (G_IO_STREAM (connection));
  g_assert_nonnull (stream);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream),
                             raw->request, strlen (raw->request), NULL, NULL, NULL);
  g_input_stream_read_all (g_io_stream_get_input_stream (stream), buf,
                           sizeof buf - 1, &got, NULL, NULL);
  raw->reply = g_strndup (buf, strcspn (buf, "\n"));
  return NULL;
}

/* A credential "KEY:TOKEN" into the room's key and the token. */
static char *
split_credential (const char *credential,
                  guint8     *room_key)
{
  const char *colon = strchr (credential, ':');
  gsize len = 0;

  g_assert_nonnull (colon);
  g_assert_cmpint (sodium_hex2bin (room_key, CR_PUBLIC_KEY_BYTES, credential, colon - credential,
                                   NULL, &len, NULL), ==, 0);
  g_assert_cmpuint (len, ==, CR_PUBLIC_KEY_BYTES);
  return g_strdup (colon + 1);
}

static gboolean
threads_done (gpointer data)
{
  Raw *raws = data;

  for (guint i = 0; raws[i].request != NULL; i++)
    if (raws[i].reply == NULL)
      return FALSE;
  return TRUE;
}

/* Each request of raws (up to one with no request) on a connection of its
 * own, all at once: a request that holds its connection until the room's
 * request timeout (REQUEST_TIMEOUT_S) delays none of the others. */
static void
raw_requests (Raw *raws)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();

  for (guint i = 0; raws[i].request != NULL; i++)
    g_ptr_array_add (threads, g_thread_new ("raw", raw_thread, &raws[i]));
  cr_test_assert_wait (threads_done, raws, 15000);
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
}

static void
test_hostile (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *source = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *token = NULL;
  guint8 key[CR_PUBLIC_KEY_BYTES];
  g_autofree char *long_line = NULL;
  g_autofree char *files_dir = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *entry;
  static const char * const names[] = { "../../etc/passwd", "/tmp/x", "new\nline.txt" };
  static const char * const shown[] = { "passwd", "x", "new line.txt" };

  fixture_setup (&f);
  source = make_file (f.scratch, "h.bin", 1000, 6);
  alice_files = file_client_of (f.alice);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_true (upload (alice_files, source, names[i], &error));
      g_assert_no_error (error);
      assert_file_row (f.bob, CR_EVENT_FILE, shown[i]);
    }

  files = list (alice_files);
  g_assert_cmpuint (files->len, ==, 3);
  for (guint i = 0; i < files->len; i++)
    {
      CrFileInfo *info = files->pdata[i];
      g_autofree char *dest = cr_file_client_pick_dest (f.scratch, info->name);
      g_autofree char *parent = g_path_get_dirname (dest);

      g_assert_cmpstr (info->name, ==, shown[i]);
      /* Saved where the member said, never where the name points. */
      g_assert_cmpstr (parent, ==, f.scratch);
    }

  /* Only content-addressed files in the room's folder, and no partial one. */
  files_dir = g_build_filename (f.room.dir, "files", NULL);
  dir = g_dir_open (files_dir, 0, NULL);
  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_assert_true (g_str_equal (entry, "tmp") || cr_files_id_valid (entry));
  g_assert_false (g_file_test ("/tmp/x", G_FILE_TEST_EXISTS) &&
                  file_size ("/tmp/x") == 1000);

  /* Raw requests: a stranger, junk, a line without end, a path for an id. */
  g_assert_true (cr_client_dup_file_endpoint (f.alice, &address, &credential));
  token = split_credential (credential, key);
  {
    g_autofree char *put = g_strdup_printf ("CRF1 PUT %s 10 ../../etc/passwd x\n", token);
    g_autofree char *get = g_strdup_printf ("CRF1 GET %s ../files.db 0\n", token);
    g_autofree char *huge = g_strdup_printf ("CRF1 PUT %s 99999999999999999999999 %s x\n",
                                             token, ((CrFileInfo *) files->pdata[0])->id);
    g_autofree char *list_plain = g_strdup_printf ("CRF1 LIST %s\n", token);
    Raw raws[] = {
      { address, key, "CRF1 LIST 00ff00ff\n", NULL },
      { address, key, "HELLO\n", NULL },
      { address, key, put, NULL },
      { address, key, get, NULL },
      { address, key, huge, NULL },
      { address, key, NULL, NULL },   /* long_line, below */
      { address, NULL, list_plain, NULL },
      { 0 },
    };

    long_line = g_strnfill (5000, 'A');
    raws[5].request = long_line;
    raw_requests (raws);

    g_assert_cmpstr (raws[0].reply, ==, "ERR 2 not a member");
    g_assert_true (g_str_has_prefix (raws[1].reply, "ERR 1 "));
    g_assert_true (g_str_has_prefix (raws[2].reply, "ERR 1 "));
    g_assert_true (g_str_has_prefix (raws[3].reply, "ERR 1 "));
    g_assert_true (g_str_has_prefix (raws[4].reply, "ERR 1 "));
    g_assert_cmpstr (raws[5].reply, ==, "");
    /* A room with a key speaks only inside its stream: a member's own
     * token in clear gets nothing but that. */
    g_assert_cmpstr (raws[6].reply, ==, "ERR 1 encrypted transfers only (CRS1)");
    for (guint i = 0; raws[i].request != NULL; i++)
      g_free (raws[i].reply);
  }

  /* And the room still serves. */
  g_clear_pointer (&files, g_ptr_array_unref);
  files = list (alice_files);
  g_assert_cmpuint (files->len, ==, 3);
  fixture_teardown (&f);
}

static void
on_idle_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);
  g_assert_nonnull (connection);
  g_ptr_array_add (user_data, connection);
}

static gboolean
all_connected (gpointer user_data)
{
  return ((GPtrArray *) user_data)->len == 24;
}

/* Connections that never say a word hold a worker for a few seconds, not
 * for the transfer timeout: more of them than there are workers delay a
 * member's request, they do not shut it out. */
static void
test_idle_connections (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) files = NULL;
  gint64 started;

  fixture_setup (&f);
  g_assert_true (cr_client_dup_file_endpoint (f.alice, &address, NULL));
  /* Connected while the room's loop runs (it accepts there); from three
   * other hosts (loopback is a /8), 8 each, as one host may hold no more. */
  for (guint i = 0; i < 24; i++)
    {
      g_autoptr(GSocketClient) from = g_socket_client_new ();
      g_autofree char *host = g_strdup_printf ("127.0.0.%u", 2 + i / 8);
      g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string (host, 0);

      g_socket_client_set_local_address (from, local);
      g_socket_client_connect_async (from, G_SOCKET_CONNECTABLE (address), NULL,
                                     on_idle_connected, idle);
    }
  cr_test_assert_wait (all_connected, idle, 10000);
  cr_test_run_for (200);

  started = g_get_monotonic_time ();
  alice_files = file_client_of (f.alice);
  files = list (alice_files);   /* waits at most 10 s */
  g_assert_cmpuint (files->len, ==, 0);
  g_test_message ("listed after %.1f s", (g_get_monotonic_time () - started) / 1e6);

  fixture_teardown (&f);
}

/* Limits ------------------------------------------------------------- */

static void
assert_refused (CrFileClient *files,
                const char   *path,
                CrFilesError  code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (upload (files, path, NULL, &error));
  g_assert_error (error, CR_FILES_ERROR, (int) code);
}

static guint
count_blobs (const char *room_dir)
{
  g_autofree char *files_dir = g_build_filename (room_dir, "files", NULL);
  g_autofree char *tmp_dir = g_build_filename (files_dir, "tmp", NULL);
  g_autoptr(GDir) dir = g_dir_open (files_dir, 0, NULL);
  g_autoptr(GDir) tmp = g_dir_open (tmp_dir, 0, NULL);
  const char *entry;
  guint n = 0;

  while ((entry = g_dir_read_name (dir)) != NULL)
    n += cr_files_id_valid (entry);
  g_assert_null (g_dir_read_name (tmp));
  return n;
}

static void
test_limits (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) stranger = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *stranger_credential = NULL;
  guint8 key[CR_PUBLIC_KEY_BYTES];
  g_autofree char *big = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *three = NULL;
  CrFiles *room_files;
  CrFilesStats stats;

  fixture_setup (&f);
  room_files = cr_server_get_files (f.room.server);
  g_assert_cmpuint (cr_files_get_max_size (room_files), ==, 100 * MB);
  g_assert_cmpuint (cr_files_get_quota (room_files), ==, (guint64) 2000 * MB);
  alice_files = file_client_of (f.alice);

  big = make_file (f.scratch, "big.bin", 2 * MB, 7);
  huge = make_file (f.scratch, "huge.bin", 4 * MB, 8);
  one = make_file (f.scratch, "one.bin", 1200 * 1000, 9);
  two = make_file (f.scratch, "two.bin", 1200 * 1000, 10);
  three = make_file (f.scratch, "three.bin", 1200 * 1000, 11);

  cr_files_set_max_size (room_files, 1 * MB);
  assert_refused (alice_files, big, CR_FILES_ERROR_TOO_LARGE);

  cr_files_set_max_size (room_files, 10 * MB);
  cr_files_set_quota (room_files, 3 * MB);
  assert_refused (alice_files, huge, CR_FILES_ERROR_OVER_QUOTA);

  /* A full disk: the room keeps this much free and the disk has less. */
  cr_files_set_reserve (room_files, G_MAXUINT64 / 2);
  assert_refused (alice_files, one, CR_FILES_ERROR_DISK_FULL);
  cr_files_set_reserve (room_files, 0);

  cr_files_set_policy (room_files, CR_FILES_SHARE_OWNER);
  assert_refused (alice_files, one, CR_FILES_ERROR_NOT_ALLOWED);
  cr_files_set_policy (room_files, CR_FILES_SHARE_REGISTERED);
  assert_refused (alice_files, one, CR_FILES_ERROR_NOT_ALLOWED);
  cr_files_set_policy (room_files, CR_FILES_SHARE_EVERYONE);

  /* A token nobody holds (inside a stream to the right room). */
  g_assert_true (cr_client_dup_file_endpoint (f.alice, &address, &credential));
  g_free (split_credential (credential, key));
  stranger_credential = cr_file_client_credential (key, "0123456789abcdef0123456789abcdef");
  stranger = cr_file_client_new (address, stranger_credential);
  assert_refused (stranger, one, CR_FILES_ERROR_DENIED);
  g_assert_cmpuint (count_blobs (f.room.dir), ==, 0);

  /* The quota: the third 1.2 MB pushes the first out, with a system line. */
  g_assert_true (upload (alice_files, one, NULL, &error));
  g_assert_true (upload (alice_files, two, NULL, &error));
  g_assert_true (upload (alice_files, three, NULL, &error));
  g_assert_no_error (error);
  assert_file_row (f.bob, CR_EVENT_FILE_EXPIRED, "one.bin");
  files = list (alice_files);
  g_assert_cmpuint (files->len, ==, 2);
  g_assert_cmpstr (((CrFileInfo *) files->pdata[0])->name, ==, "two.bin");
  g_assert_cmpstr (((CrFileInfo *) files->pdata[1])->name, ==, "three.bin");
  g_assert_cmpuint (count_blobs (f.room.dir), ==, 2);
  g_assert_cmpuint (cr_files_get_used (room_files), ==, 2400 * 1000);

  cr_files_get_stats (room_files, &stats);
  g_assert_cmpuint (stats.refused, ==, 6);
  g_assert_cmpuint (stats.expired, ==, 1);
  g_assert_cmpuint (stats.uploads, ==, 3);
  fixture_teardown (&f);
}

/* Refusals in the sharer's language: the room sends a number, the member
 * renders it. In a subprocess: GLib decides once per process whether to
 * translate at all. */
static void
test_refusal_language (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("LANGUAGE", "zh_CN", TRUE);
      setlocale (LC_ALL, "C.UTF-8");
      g_assert_cmpstr (cr_files_error_to_string (CR_FILES_ERROR_TOO_LARGE), ==,
                       "文件超过了聊天室允许的大小");
      g_assert_cmpstr (cr_files_error_to_string (CR_FILES_ERROR_OVER_QUOTA), ==,
                       "聊天室的存储空间放不下该文件");
      return;
    }
  g_assert_cmpstr (cr_files_error_to_string (CR_FILES_ERROR_TOO_LARGE), ==,
                   "The file is larger than the room allows");
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Classic members and a restart ---------------------------------------- */

static void
test_classic_line (void)
{
  Fixture f;
  g_autoptr(CrTestSocket) carol = NULL;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *source = NULL;
  g_autofree char *line = NULL;
  gint64 deadline;

  fixture_setup (&f);
  carol = cr_test_socket_new ("127.0.0.1");
  cr_test_socket_send_text (carol, f.room.socket_address, "N carol");
  answer = cr_test_socket_receive_text (carol, 3000);
  g_assert_cmpstr (answer, ==, "OK");

  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "report.pdf", 1200 * 1000, 12, NULL);

  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time () < deadline)
    {
      g_free (line);
      line = cr_test_socket_receive_text (carol, 500);
      if (line != NULL && strstr (line, "report.pdf") != NULL)
        break;
    }
  g_assert_cmpstr (line, ==, "【系统消息】:alice 分享了文件 report.pdf (1.2 MB)");
  cr_test_socket_send_text (carol, f.room.socket_address, "Q carol");
  fixture_teardown (&f);
}

static void
test_restart (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) dave_files = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *source = NULL;
  g_autofree char *id = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *rendered = NULL;
  CrClient *dave;
  Op op = { 0 };

  fixture_setup (&f);
  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "keep.txt", 3 * MB, 13, &id);
  assert_file_row (f.bob, CR_EVENT_FILE, "keep.txt");

  cr_test_leave_and_free (g_steal_pointer (&f.alice));
  cr_test_leave_and_free (g_steal_pointer (&f.bob));
  g_clear_object (&f.room.server);
  cr_test_room_start_on (&f.room, "127.0.0.1", 0);

  /* A newcomer's history replay has the share, and the file is there. */
  dave = cr_test_join (f.room.address, "dave", NULL, FALSE, 5000, NULL);
  assert_file_row (dave, CR_EVENT_FILE, "keep.txt");
  dave_files = file_client_of (dave);
  files = list (dave_files);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (((CrFileInfo *) files->pdata[0])->sharer, ==, "alice");
  dest = g_build_filename (f.scratch, "keep-got.txt", NULL);
  download (dave_files, id, dest, &op);
  g_assert_no_error (op.error);
  sum = file_sha256 (dest);
  g_assert_cmpstr (sum, ==, id);

  {
    CrEvent event = { 1, 0, CR_EVENT_FILE, (char *) "alice", NULL, 0 };

    event.text = g_strdup_printf ("%s 3000000 keep.txt", id);
    rendered = cr_render_event (&event, NULL);
    g_free (event.text);
    g_assert_cmpstr (rendered, ==, "alice shared the file keep.txt (3.0\u00a0MB)");
  }

  op_clear (&op);
  cr_test_leave_and_free (dave);
  f.alice = cr_test_join (f.room.address, "alice", NULL, FALSE, 5000, NULL);
  f.bob = cr_test_join (f.room.address, "bob", NULL, FALSE, 5000, NULL);
  fixture_teardown (&f);
}

/* Without the GUI: chatroomd's limits and /files, chatroom-cli's /send,
 * /files and /get. */
static void
test_cli (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *scratch = cr_test_make_tmpdir ();
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_free_udp_port ());
  g_autofree char *small = NULL;
  g_autofree char *big = NULL;
  g_autofree char *send_small = NULL;
  g_autofree char *send_big = NULL;
  g_autofree char *get = NULL;
  g_autofree char *got = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got_sum = NULL;
  CrTestChild *room;
  CrTestChild *cli;

  small = make_file (scratch, "notes.txt", 300 * 1000, 14);
  big = make_file (scratch, "movie.bin", 3 * MB, 15);
  want = file_sha256 (small);
  {
    const char *argv[] = { CHATROOMD_PATH, "--listen", address, "--data-dir", dir,
                           "--max-file-size", "2", "--language", "en", NULL };
    room = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_expect (room, "Join at", 15000);
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "erin", address, NULL };
    cli = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_child_expect (cli, "Joined", 15000);

  send_big = g_strdup_printf ("/send %s", big);
  cr_test_child_write_line (cli, send_big);
  cr_test_child_expect (cli, "Could not share movie.bin: The file is larger than the room allows",
                        30000);
  send_small = g_strdup_printf ("/send %s", small);
  cr_test_child_write_line (cli, send_small);
  cr_test_child_expect (cli, "Shared notes.txt", 30000);
  cr_test_child_expect (cli, "erin shared the file notes.txt", 10000);
  cr_test_child_expect (room, "erin shared the file notes.txt", 10000);

  cr_test_child_write_line (room, "/files");
  cr_test_child_expect (room, "1. notes.txt (300.0\u00a0kB), shared by erin, sha256 ", 10000);
  cr_test_child_expect (room, "1 file, 300.0\u00a0kB of 2.0\u00a0GB used; at most 2.0\u00a0MB a file",
                        10000);

  cr_test_child_write_line (cli, "/files");
  cr_test_child_expect (cli, "1. notes.txt (300.0\u00a0kB), shared by erin at ", 10000);
  get = g_strdup_printf ("/get 1 %s/copy.txt", scratch);
  cr_test_child_write_line (cli, get);
  cr_test_child_expect (cli, "Saved notes.txt to ", 30000);
  got = g_build_filename (scratch, "copy.txt", NULL);
  got_sum = file_sha256 (got);
  g_assert_cmpstr (got_sum, ==, want);

  cr_test_child_write_line (cli, "/get 7");
  cr_test_child_expect (cli, "No shared file “7”", 10000);

  cr_test_child_write_line (cli, "/quit");
  cr_test_child_expect (room, "erin left the room", 10000);
  cr_test_child_write_line (room, "/quit");
  cr_test_child_expect (room, "The room is closed.", 10000);

  cr_test_child_free (cli);
  cr_test_child_free (room);
  cr_test_remove_tree (dir);
  cr_test_remove_tree (scratch);
}

/* Encrypted transfers ------------------------------------------------- */

/* A TCP proxy in the path, on 127.0.0.1: it records what passes each way
 * (what an observer on the LAN sees), and may flip one byte going one way
 * (an active attacker). Each direction of each connection is a thread with
 * blocking sockets and a 30 s timeout. */
typedef struct
{
  GSocketService *service;
  GSocketAddress *upstream;
  GSocketAddress *address;     /* where members connect */
  GMutex          lock;
  GByteArray     *up;          /* member → room, all connections */
  GByteArray     *down;        /* room → member */
  gint64          tamper_at;   /* -1: none; else this offset of one connection's stream */
  gboolean        tamper_up;   /* the member's direction, else the room's */
  gboolean        tampered;
  GPtrArray      *threads;
} Proxy;

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *from;
  GSocketConnection *to;
  gboolean           up;
} Pump;

static gpointer
pump_thread (gpointer data)
{
  Pump *pump = data;
  Proxy *proxy = pump->proxy;
  GSocket *from = g_socket_connection_get_socket (pump->from);
  GSocket *to = g_socket_connection_get_socket (pump->to);
  g_autofree guint8 *buf = g_malloc (64 * 1024);
  gint64 offset = 0;

  for (;;)
    {
      gssize n = g_socket_receive (from, (char *) buf, 64 * 1024, NULL, NULL);
      gsize sent = 0;

      if (n <= 0)
        break;
      g_mutex_lock (&proxy->lock);
      if (!proxy->tampered && proxy->tamper_at >= 0 && proxy->tamper_up == pump->up &&
          proxy->tamper_at >= offset && proxy->tamper_at < offset + n)
        {
          buf[proxy->tamper_at - offset] ^= 0x01;
          proxy->tampered = TRUE;
        }
      g_byte_array_append (pump->up ? proxy->up : proxy->down, buf, n);
      g_mutex_unlock (&proxy->lock);
      offset += n;
      while (sent < (gsize) n)
        {
          gssize w = g_socket_send (to, (char *) buf + sent, n - sent, NULL, NULL);

          if (w <= 0)
            goto out;
          sent += w;
        }
    }
out:
  g_socket_shutdown (to, FALSE, TRUE, NULL);
  g_object_unref (pump->from);
  g_object_unref (pump->to);
  g_free (pump);
  return NULL;
}

static void
proxy_pump (Proxy             *proxy,
            GSocketConnection *from,
            GSocketConnection *to,
            gboolean           up)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->proxy = proxy;
  pump->from = g_object_ref (from);
  pump->to = g_object_ref (to);
  pump->up = up;
  g_socket_set_blocking (g_socket_connection_get_socket (from), TRUE);
  g_socket_set_blocking (g_socket_connection_get_socket (to), TRUE);
  g_socket_set_timeout (g_socket_connection_get_socket (from), 30);
  g_socket_set_timeout (g_socket_connection_get_socket (to), 30);
  g_ptr_array_add (proxy->threads, g_thread_new ("pump", pump_thread, pump));
}

static gboolean
on_proxy_incoming (GSocketService    *service,
                   GSocketConnection *member,
                   GObject           *source_object,
                   gpointer           user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) room = NULL;

  room = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (proxy->upstream), NULL, NULL);
  g_assert_nonnull (room);
  proxy_pump (proxy, member, room, TRUE);
  proxy_pump (proxy, room, member, FALSE);
  return TRUE;
}

static void
proxy_start (Proxy          *proxy,
             GSocketAddress *upstream)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);

  memset (proxy, 0, sizeof *proxy);
  g_mutex_init (&proxy->lock);
  proxy->upstream = g_object_ref (upstream);
  proxy->up = g_byte_array_new ();
  proxy->down = g_byte_array_new ();
  proxy->tamper_at = -1;
  proxy->threads = g_ptr_array_new ();
  proxy->service = g_socket_service_new ();
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), any,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                                NULL, &proxy->address, NULL));
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (on_proxy_incoming), proxy);
  g_socket_service_start (proxy->service);
}

/* Once every transfer through it ended (each pump ends at its EOF): what
 * it recorded stays until proxy_clear. */
static void
proxy_stop (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  for (guint i = 0; i < proxy->threads->len; i++)
    g_thread_join (proxy->threads->pdata[i]);
  g_ptr_array_set_size (proxy->threads, 0);
}

static void
proxy_clear (Proxy *proxy)
{
  g_ptr_array_unref (proxy->threads);
  g_clear_object (&proxy->service);
  g_clear_object (&proxy->upstream);
  g_clear_object (&proxy->address);
  g_byte_array_unref (proxy->up);
  g_byte_array_unref (proxy->down);
  g_mutex_clear (&proxy->lock);
}

/* A member's file client that goes through the proxy. */
static CrFileClient *
file_client_via (CrClient *client,
                 Proxy    *proxy)
{
  g_autofree char *credential = NULL;

  g_assert_true (cr_client_dup_file_endpoint (client, NULL, &credential));
  return cr_file_client_new (proxy->address, credential);
}

static gboolean
contains (GByteArray   *haystack,
          const void   *needle,
          gsize         len)
{
  for (gsize i = 0; i + len <= haystack->len; i++)
    if (haystack->data[i] == *(const guint8 *) needle &&
        memcmp (haystack->data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

/* Pieces of a file: 32 bytes from every MB, and the start. */
static void
assert_not_seen (Proxy      *proxy,
                 const char *path,
                 gsize       size)
{
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, size);
  for (gsize at = 0; at + 32 <= len; at += MB / 4)
    {
      g_assert_false (contains (proxy->up, contents + at, 32));
      g_assert_false (contains (proxy->down, contents + at, 32));
    }
}

/* What passes on the wire is none of the file: not its bytes, its name,
 * its sha256 (which would name a known file), nor the member's token. */
static void
test_encrypted_observer (void)
{
  Fixture f;
  Proxy proxy;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autofree char *source = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *id = NULL;
  g_autofree char *sum = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *token = NULL;
  guint8 key[CR_PUBLIC_KEY_BYTES];
  static const char name[] = "quarterly-secret-plans.pdf";
  Op op = { 0 };

  fixture_setup (&f);
  source = make_file (f.scratch, "plain.bin", 3 * MB, 21);
  id = file_sha256 (source);
  proxy_start (&proxy, f.room.socket_address);

  alice_files = file_client_via (f.alice, &proxy);
  g_assert_true (upload (alice_files, source, name, &error));
  g_assert_no_error (error);
  bob_files = file_client_via (f.bob, &proxy);
  files = list (bob_files);
  g_assert_cmpuint (files->len, ==, 1);
  g_assert_cmpstr (((CrFileInfo *) files->pdata[0])->name, ==, name);
  dest = g_build_filename (f.scratch, "got.bin", NULL);
  download (bob_files, id, dest, &op);
  g_assert_no_error (op.error);
  sum = file_sha256 (dest);
  g_assert_cmpstr (sum, ==, id);

  g_clear_object (&alice_files);
  g_clear_object (&bob_files);
  proxy_stop (&proxy);
  /* The file went up and came down through the proxy. */
  g_assert_cmpuint (proxy.up->len, >, 3 * MB);
  g_assert_cmpuint (proxy.down->len, >, 3 * MB);
  assert_not_seen (&proxy, source, 3 * MB);
  g_assert_false (contains (proxy.up, name, strlen (name)));
  g_assert_false (contains (proxy.down, name, strlen (name)));
  g_assert_false (contains (proxy.up, id, 64));
  g_assert_false (contains (proxy.down, id, 64));
  g_assert_true (cr_client_dup_file_endpoint (f.alice, NULL, &credential));
  token = split_credential (credential, key);
  g_assert_false (contains (proxy.up, token, strlen (token)));
  g_assert_false (contains (proxy.up, "CRF1", 4));
  g_assert_false (contains (proxy.down, "OK 3000000", 10));
  /* And the proxy did see the streams: their first bytes are in clear. */
  g_assert_true (contains (proxy.up, CR_STREAM_MAGIC, 4));
  g_assert_true (contains (proxy.down, CR_STREAM_MAGIC, 4));

  proxy_clear (&proxy);
  op_clear (&op);
  fixture_teardown (&f);
}

/* One byte flipped on the way: a download notices it in the record that
 * carried it, keeps nothing of that record and asks again from what it
 * has; an upload fails and the room keeps nothing of it; the next try
 * works. */
static void
test_encrypted_tampered (void)
{
  Fixture f;
  Proxy proxy;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *id = NULL;
  g_autofree char *sum = NULL;
  Op op = { 0 };

  fixture_setup (&f);
  source = make_file (f.scratch, "t.bin", 4 * MB, 22);
  id = file_sha256 (source);
  proxy_start (&proxy, f.room.socket_address);

  /* Upload: a byte of the member's stream, well inside the file. */
  proxy.tamper_up = TRUE;
  proxy.tamper_at = MB;
  alice_files = file_client_via (f.alice, &proxy);
  g_assert_false (upload (alice_files, source, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("tampered upload: %s", error->message);
  g_clear_error (&error);
  g_assert_true (proxy.tampered);
  g_assert_cmpuint (count_blobs (f.room.dir), ==, 0);
  g_assert_true (upload (alice_files, source, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_blobs (f.room.dir), ==, 1);

  /* Download: a byte of the room's stream, in the third chunk. */
  g_mutex_lock (&proxy.lock);
  proxy.tampered = FALSE;
  proxy.tamper_up = FALSE;
  proxy.tamper_at = 2 * CR_FILES_CHUNK_SIZE + 1000;
  g_mutex_unlock (&proxy.lock);
  bob_files = file_client_via (f.bob, &proxy);
  dest = g_build_filename (f.scratch, "t-got.bin", NULL);
  download (bob_files, id, dest, &op);
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
  g_assert_true (proxy.tampered);
  g_assert_cmpuint (op.stats.refetched, ==, 1);
  /* Asked again from the chunk that was hit, not from zero. */
  g_assert_cmpuint (op.stats.bytes, <, 4 * MB + 3 * CR_FILES_CHUNK_SIZE);
  sum = file_sha256 (dest);
  g_assert_cmpstr (sum, ==, id);

  g_clear_object (&alice_files);
  g_clear_object (&bob_files);
  proxy_stop (&proxy);
  proxy_clear (&proxy);
  op_clear (&op);
  fixture_teardown (&f);
}

/* Someone in the path answers with its own key (here: another room, which
 * signs its half of the exchange properly, with its own identity): the
 * member refuses it before anything of its own leaves, its token least. */
static void
test_encrypted_impostor (void)
{
  Fixture f;
  CrTestRoom impostor = { 0 };
  Proxy proxy;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;

  fixture_setup (&f);
  cr_test_room_start (&impostor, "127.0.0.1");
  source = make_file (f.scratch, "i.bin", 1000, 23);
  proxy_start (&proxy, impostor.socket_address);

  alice_files = file_client_via (f.alice, &proxy);
  g_assert_false (upload (alice_files, source, NULL, &error));
  g_assert_error (error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_IMPOSTOR);
  g_clear_error (&error);
  {
    Op op = { 0 };

    cr_file_client_list_async (alice_files, NULL, on_listed, &op);
    cr_test_assert_wait (op_done, &op, 10000);
    g_assert_error (op.error, CR_CRYPTO_ERROR, CR_CRYPTO_ERROR_IMPOSTOR);
    op_clear (&op);
  }
  g_clear_object (&alice_files);
  proxy_stop (&proxy);
  /* Two connections, each only the member's hello (a fresh key, no more). */
  g_assert_cmpuint (proxy.up->len, ==, 2 * CR_STREAM_HELLO_SIZE);
  proxy_clear (&proxy);

  cr_test_room_clear (&impostor);
  fixture_teardown (&f);
}

typedef struct
{
  GPtrArray *connections;
  guint      answered;
} Flood;

static void
on_flood_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Flood *flood = user_data;
  GSocketConnection *connection;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);
  if (connection != NULL)
    g_ptr_array_add (flood->connections, connection);
  flood->answered++;
}

static gboolean
flood_answered (gpointer user_data)
{
  return ((Flood *) user_data)->answered == 100;
}

static gboolean
stats_capped (gpointer user_data)
{
  CrFilesStats stats;

  cr_files_get_stats (user_data, &stats);
  return stats.capped >= 92;
}

static gboolean
bob_has_line (gpointer user_data)
{
  return cr_test_count_text (cr_client_get_messages (user_data), "alice", "still here") > 0;
}

/* One host (127.0.0.2) opens 100 file connections and holds them: the
 * room takes CR_FILES_IP_MAX of them and closes the rest at once, so the
 * workers stay free: another member downloads and the chat goes on
 * meanwhile. Then the same host opening and closing connections as fast
 * as it can is held to the rate. */
static void
test_ip_cap (void)
{
  Fixture f;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GSocketClient) flooder = g_socket_client_new ();
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string ("127.0.0.2", 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *id = NULL;
  g_autofree char *sum = NULL;
  Flood flood = { g_ptr_array_new_with_free_func (g_object_unref), 0 };
  CrFiles *room_files;
  CrFilesStats stats;
  guint64 capped_before;
  gint64 started;
  Op op = { 0 };

  fixture_setup (&f);
  room_files = cr_server_get_files (f.room.server);
  alice_files = file_client_of (f.alice);
  source = share_file (&f, alice_files, "c.bin", 8 * MB, 24, &id);

  g_socket_client_set_local_address (flooder, local);
  for (guint i = 0; i < 100; i++)
    g_socket_client_connect_async (flooder, G_SOCKET_CONNECTABLE (f.room.socket_address), NULL,
                                   on_flood_connected, &flood);
  cr_test_assert_wait (flood_answered, &flood, 20000);
  cr_test_wait_until (stats_capped, room_files, 10000);
  cr_files_get_stats (room_files, &stats);
  g_test_message ("%u connected, %" G_GUINT64_FORMAT " capped, %" G_GUINT64_FORMAT " refused",
                  flood.connections->len, stats.capped, stats.refused);
  cr_files_get_stats (room_files, &stats);
  g_assert_cmpuint (stats.capped, ==, 100 - CR_FILES_IP_MAX);

  /* Meanwhile, from 127.0.0.1: a download and a chat line. */
  bob_files = file_client_of (f.bob);
  dest = g_build_filename (f.scratch, "c-got.bin", NULL);
  download (bob_files, id, dest, &op);
  g_assert_no_error (op.error);
  sum = file_sha256 (dest);
  g_assert_cmpstr (sum, ==, id);
  g_assert_nonnull (cr_client_send (f.alice, "still here", &error));
  g_assert_no_error (error);
  cr_test_assert_wait (bob_has_line, f.bob, 5000);
  cr_files_get_stats (room_files, &stats);
  g_assert_cmpuint (stats.capped, ==, 100 - CR_FILES_IP_MAX);
  g_ptr_array_set_size (flood.connections, 0);

  /* The rate: 1 a second beyond a burst of 10, from another host. */
  cr_files_set_ip_limits (room_files, CR_FILES_IP_MAX, 1, 10);
  capped_before = stats.capped;
  started = g_get_monotonic_time ();
  {
    g_autoptr(GSocketAddress) other = g_inet_socket_address_new_from_string ("127.0.0.3", 0);

    g_socket_client_set_local_address (flooder, other);
  }
  for (guint i = 0; i < 60; i++)
    {
      g_autoptr(GSocketConnection) c =
        g_socket_client_connect (flooder, G_SOCKET_CONNECTABLE (f.room.socket_address), NULL,
                                 NULL);

      if (c != NULL)
        g_io_stream_close (G_IO_STREAM (c), NULL, NULL);
      cr_test_run_for (5);   /* the room accepts on this loop */
    }
  cr_test_run_for (200);
  cr_files_get_stats (room_files, &stats);
  {
    guint64 seconds = (g_get_monotonic_time () - started) / G_TIME_SPAN_SECOND + 1;

    /* At most the burst and one a second got through. */
    g_test_message ("capped %" G_GUINT64_FORMAT " of 60 in %" G_GUINT64_FORMAT " s",
                    stats.capped - capped_before, seconds);
    g_assert_cmpuint (stats.capped - capped_before, >=, 60 - 10 - seconds);
  }

  g_ptr_array_unref (flood.connections);
  op_clear (&op);
  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/files/safe-names", test_safe_names);
  g_test_add_func ("/chatroom/files/event-lines", test_event_lines);
  g_test_add_func ("/chatroom/files/share-download", test_share_download);
  g_test_add_func ("/chatroom/files/resume", test_resume);
  g_test_add_func ("/chatroom/files/cancel-and-parallel", test_cancel_and_parallel);
  g_test_add_func ("/chatroom/files/corrupt-chunk", test_corrupt_chunk);
  g_test_add_func ("/chatroom/files/hostile", test_hostile);
  g_test_add_func ("/chatroom/files/idle-connections", test_idle_connections);
  g_test_add_func ("/chatroom/files/limits", test_limits);
  g_test_add_func ("/chatroom/files/refusal-language", test_refusal_language);
  g_test_add_func ("/chatroom/files/classic-line", test_classic_line);
  g_test_add_func ("/chatroom/files/restart", test_restart);
  g_test_add_func ("/chatroom/files/cli", test_cli);
  g_test_add_func ("/chatroom/files/encrypted-observer", test_encrypted_observer);
  g_test_add_func ("/chatroom/files/encrypted-tampered", test_encrypted_tampered);
  g_test_add_func ("/chatroom/files/encrypted-impostor", test_encrypted_impostor);
  g_test_add_func ("/chatroom/files/ip-cap", test_ip_cap);
  return g_test_run ();
}
