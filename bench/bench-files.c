/* bench-files.c: shared files on loopback: transfer MB/s, and what a big
 * transfer does to the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A CrServer on 127.0.0.1 in this process, on this thread's main loop,
 * with a store in a temporary directory (as when the app hosts), and two
 * members, alice and bob, as CrClients. Each transfer is a CrFileClient
 * on its worker thread, over TCP to the room's port, inside the encrypted
 * stream of cr-crypto-stream.h (a CrServer always has an identity).
 *
 *  1. throughput: alice shares a SIZE MB file, bob downloads it; MB/s of
 *     each (the whole operation: the sender's hashing, the room's write
 *     and fsync, the receiver's checks).
 *  2. chat latency: alice says a line every 20 ms and bob's model receives
 *     it; the latency of each line (send → in bob's messages), first with
 *     no transfer (baseline), then while bob downloads a BIG MB file and
 *     alice uploads another: p50, p99, max. And the longest gap between
 *     two dispatches of a 1 ms G_PRIORITY_HIGH timeout on the main loop
 *     (which is the room's too) during each.
 *
 *   bench-files [SIZE_MB [BIG_MB]]    default 200 and 500
 *
 * Prints figures; it is not a test. Needs about 4 × BIG MB of disk in
 * $TMPDIR.
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cr-client.h"
#include "cr-file-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "bench-common.h"

#define MB        (1000 * 1000)
#define CHAT_MS   20
#define WAIT_US   (600 * G_TIME_SPAN_SECOND)

static gboolean
wait_for (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return *flag;
}

static char *
make_file (const char *dir,
           const char *name,
           guint64     size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (size);
  g_autofree guint32 *block = g_new (guint32, MB / 4);
  FILE *file = fopen (path, "wb");

  for (guint64 left = size; left > 0;)
    {
      gsize n = MIN (left, MB);

      for (gsize i = 0; i < MB / 4; i++)
        block[i] = g_rand_int (rand);
      if (fwrite (block, 1, n, file) != n)
        g_error ("cannot write %s", path);
      left -= n;
    }
  fclose (file);
  return g_steal_pointer (&path);
}

/* Joining ------------------------------------------------------------- */

typedef struct {
  gboolean done;
  gboolean ok;
} Flag;

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Flag *flag = user_data;

  flag->ok = cr_client_join_finish (CR_CLIENT (source), result, NULL);
  flag->done = TRUE;
}

static CrClient *
join (const char *address,
      const char *name)
{
  CrClient *client = cr_client_new ();
  Flag flag = { 0 };

  cr_client_join_async (client, address, name, NULL, FALSE, NULL, NULL, on_joined, &flag);
  if (!wait_for (&flag.done) || !flag.ok)
    g_error ("%s could not join", name);
  return client;
}

static CrFileClient *
file_client_of (CrClient *client)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;

  if (!cr_client_dup_file_endpoint (client, &address, &token))
    g_error ("no file endpoint");
  /* A CrServer has an identity: "KEY:TOKEN", the encrypted stream. */
  g_print ("%s's transfers: %s\n", cr_client_get_name (client),
           strchr (token, ':') != NULL ? "encrypted (cr-crypto-stream.h)" : "in clear");
  return cr_file_client_new (address, token);
}

/* Transfers ----------------------------------------------------------- */

typedef struct {
  gboolean done;
  gboolean ok;
  char    *error;
  gint64   started;
  gint64   ended;
} Transfer;

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Transfer *t = user_data;
  g_autoptr(GError) error = NULL;

  t->ok = cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, NULL, &error);
  t->error = error ? g_strdup (error->message) : NULL;
  t->ended = g_get_monotonic_time ();
  t->done = TRUE;
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Transfer *t = user_data;
  g_autoptr(GError) error = NULL;

  t->ok = cr_file_client_download_finish (CR_FILE_CLIENT (source), result, NULL, &error);
  t->error = error ? g_strdup (error->message) : NULL;
  t->ended = g_get_monotonic_time ();
  t->done = TRUE;
}

static double
rate (const Transfer *t,
      guint64         bytes)
{
  return (double) bytes / MB / ((double) (t->ended - t->started) / G_USEC_PER_SEC);
}

static char *
sha256_of (const char *path)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (MB);
  FILE *file = fopen (path, "rb");
  gsize n;

  while ((n = fread (buf, 1, MB, file)) > 0)
    g_checksum_update (sum, buf, n);
  fclose (file);
  return g_strdup (g_checksum_get_string (sum));
}

/* Chat latency -------------------------------------------------------- */

typedef struct {
  CrClient  *alice;
  GArray    *latencies;     /* gint64 µs */
  GHashTable *sent;         /* text → send time (gint64*) */
  guint      counter;
  gint64     meter_last;
  gint64     meter_longest;
} Chat;

static gboolean
on_chat_tick (gpointer user_data)
{
  Chat *chat = user_data;
  g_autofree char *text = g_strdup_printf ("line %u", chat->counter++);
  gint64 *at = g_new (gint64, 1);

  *at = g_get_monotonic_time ();
  g_hash_table_insert (chat->sent, g_strdup (text), at);
  cr_client_send (chat->alice, text, NULL);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_meter (gpointer user_data)
{
  Chat *chat = user_data;
  gint64 now = g_get_monotonic_time ();

  if (chat->meter_last != 0)
    chat->meter_longest = MAX (chat->meter_longest, now - chat->meter_last);
  chat->meter_last = now;
  return G_SOURCE_CONTINUE;
}

static void
on_bob_messages (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 gpointer    user_data)
{
  Chat *chat = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (model, i);
      gint64 *at;

      if (cr_message_get_kind (message) != CR_EVENT_CHAT)
        continue;
      at = g_hash_table_lookup (chat->sent, cr_message_get_text (message));
      if (at != NULL)
        {
          gint64 latency = now - *at;

          g_array_append_val (chat->latencies, latency);
          g_hash_table_remove (chat->sent, cr_message_get_text (message));
        }
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
report_chat (const char *label,
             Chat       *chat)
{
  GArray *l = chat->latencies;

  g_array_sort (l, compare_gint64);
  if (l->len == 0)
    {
      g_print ("%s: no lines arrived\n", label);
      return;
    }
  g_print ("%s: %u lines, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
           "%u not arrived; longest main-loop gap %.1f ms\n",
           label, l->len,
           g_array_index (l, gint64, l->len / 2) / 1000.0,
           g_array_index (l, gint64, MIN (l->len - 1, l->len * 99 / 100)) / 1000.0,
           g_array_index (l, gint64, l->len - 1) / 1000.0,
           g_hash_table_size (chat->sent), chat->meter_longest / 1000.0);
}

static void
chat_reset (Chat *chat)
{
  g_array_set_size (chat->latencies, 0);
  g_hash_table_remove_all (chat->sent);
  chat->meter_last = 0;
  chat->meter_longest = 0;
}

/* Chat for duration_ms with no transfer. */
static void
chat_for (Chat *chat,
          guint duration_ms)
{
  guint tick = g_timeout_add (CHAT_MS, on_chat_tick, chat);
  guint meter = g_timeout_add_full (G_PRIORITY_HIGH, 1, on_meter, chat, NULL);

  {
    gint64 end = g_get_monotonic_time () + (gint64) duration_ms * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (tick);
  /* Let the last lines land. */
  {
    gint64 end = g_get_monotonic_time () + 500 * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (meter);
}

int
main (int   argc,
      char *argv[])
{
  guint64 size_mb = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 200;
  guint64 big_mb = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 500;
  g_autofree char *dir = NULL;
  g_autofree char *scratch = NULL;
  g_autofree char *address = NULL;
  g_autofree char *file = NULL;
  g_autofree char *big = NULL;
  g_autofree char *big2 = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_big = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id_big = NULL;
  g_autofree char *got_sum = NULL;
  g_autoptr(CrServer) server = NULL;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(CrFileClient) bob_files = NULL;
  g_autoptr(GError) error = NULL;
  CrClient *alice, *bob;
  CrFiles *files;
  Transfer up = { 0 }, down = { 0 }, big_down = { 0 }, big_up = { 0 };
  Chat chat = { 0 };
  guint tick, meter;

  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");

  dir = g_dir_make_tmp ("bench-files-room-XXXXXX", NULL);
  scratch = g_dir_make_tmp ("bench-files-XXXXXX", NULL);
  server = cr_server_new (dir, "Bench");
  if (!cr_server_start (server, "127.0.0.1:0", &error))
    g_error ("%s", error->message);
  files = cr_server_get_files (server);
  cr_files_set_max_size (files, (big_mb + size_mb + 1) * MB);
  cr_files_set_quota (files, (big_mb * 2 + size_mb + 1) * MB);
  /* The data first: the members' sessions must not sit through it
   * without a main loop (a token is a session's). */
  g_print ("Making %" G_GUINT64_FORMAT " MB and 2 × %" G_GUINT64_FORMAT " MB of data…\n",
           size_mb, big_mb);
  file = make_file (scratch, "data.bin", size_mb * MB);
  big = make_file (scratch, "big.bin", big_mb * MB);
  big2 = make_file (scratch, "big2.bin", big_mb * MB + 1);
  id = sha256_of (file);
  id_big = sha256_of (big);

  address = g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (server));
  alice = join (address, "alice");
  bob = join (address, "bob");
  alice_files = file_client_of (alice);
  bob_files = file_client_of (bob);

  /* 1. Throughput. */
  up.started = g_get_monotonic_time ();
  cr_file_client_upload_async (alice_files, file, NULL, NULL, NULL, NULL, on_uploaded, &up);
  if (!wait_for (&up.done) || !up.ok)
    g_error ("upload: %s", up.error);
  got = g_build_filename (scratch, "got.bin", NULL);
  down.started = g_get_monotonic_time ();
  cr_file_client_download_async (bob_files, id, got, NULL, NULL, NULL, on_downloaded, &down);
  if (!wait_for (&down.done) || !down.ok)
    g_error ("download: %s", down.error);
  got_sum = sha256_of (got);
  g_print ("upload   %" G_GUINT64_FORMAT " MB: %.1f MB/s (sender hashes, room writes, fsyncs)\n",
           size_mb, rate (&up, size_mb * MB));
  g_print ("download %" G_GUINT64_FORMAT " MB: %.1f MB/s (chunk sums and sha256 checked)%s\n",
           size_mb, rate (&down, size_mb * MB),
           g_str_equal (got_sum, id) ? "" : " — MISMATCH");

  /* The big file into the room first, so the download below is pure. */
  big_up.started = g_get_monotonic_time ();
  cr_file_client_upload_async (alice_files, big, NULL, NULL, NULL, NULL, on_uploaded, &big_up);
  if (!wait_for (&big_up.done) || !big_up.ok)
    g_error ("upload: %s", big_up.error);
  g_print ("upload   %" G_GUINT64_FORMAT " MB: %.1f MB/s\n", big_mb, rate (&big_up, big_mb * MB));

  /* 2. Chat latency: baseline, then under a big download and upload. */
  chat.alice = alice;
  chat.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  chat.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_signal_connect (cr_client_get_messages (bob), "items-changed",
                    G_CALLBACK (on_bob_messages), &chat);

  chat_for (&chat, 5000);
  report_chat ("chat, no transfer      ", &chat);
  chat_reset (&chat);

  memset (&big_up, 0, sizeof big_up);
  got_big = g_build_filename (scratch, "got-big.bin", NULL);
  tick = g_timeout_add (CHAT_MS, on_chat_tick, &chat);
  meter = g_timeout_add_full (G_PRIORITY_HIGH, 1, on_meter, &chat, NULL);
  big_down.started = big_up.started = g_get_monotonic_time ();
  cr_file_client_download_async (bob_files, id_big, got_big, NULL, NULL, NULL, on_downloaded,
                                 &big_down);
  cr_file_client_upload_async (alice_files, big2, NULL, NULL, NULL, NULL, on_uploaded, &big_up);
  if (!wait_for (&big_down.done) || !big_down.ok)
    g_error ("download: %s", big_down.error);
  if (!wait_for (&big_up.done) || !big_up.ok)
    g_error ("upload: %s", big_up.error);
  g_source_remove (tick);
  {
    gint64 end = g_get_monotonic_time () + 500 * 1000;

    while (g_get_monotonic_time () < end)
      g_main_context_iteration (NULL, TRUE);
  }
  g_source_remove (meter);
  g_print ("during: download %" G_GUINT64_FORMAT " MB at %.1f MB/s, upload %" G_GUINT64_FORMAT
           " MB at %.1f MB/s at the same time\n",
           big_mb, rate (&big_down, big_mb * MB), big_mb, rate (&big_up, big_mb * MB));
  report_chat ("chat, during transfers ", &chat);

  g_signal_handlers_disconnect_by_data (cr_client_get_messages (bob), &chat);
  g_array_unref (chat.latencies);
  g_hash_table_unref (chat.sent);
  g_object_unref (alice);
  g_object_unref (bob);
  g_clear_object (&server);
  bench_remove_tree (dir);
  bench_remove_tree (scratch);
  return 0;
}
