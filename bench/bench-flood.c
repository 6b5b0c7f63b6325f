/* bench-flood.c: honest chat through a hostile flood (the "E1" scenario)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Spawns build/src/chatroomd on 127.0.0.1 with a fresh data folder, joins
 * 10 honest members (CrClient, each on its own socket) that each say a
 * numbered, timestamped line every 200 ms, and after 2 s of calm floods
 * the room from another thread for 5 s at 50 000 datagrams a second:
 * garbage (half with the native magic), classic joins "N fNNN" from 256
 * ports and spoofed "M hN …" lines claiming the honest members' names, all
 * on loopback. Then 3 s of calm to let retransmissions land.
 * Prints: honest loss (every line must reach the 9 others: goal 0), the
 * p50/p99/max latency of honest lines sent before and during the flood,
 * the datagrams the flood really sent, and the room's VmRSS before and
 * after. Figures, not a test: see bench/README.md.
 */
#define G_LOG_DOMAIN "bench-flood"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cr-client.h"
#include "cr-message.h"

#define N_HONEST       10
#define SAY_EVERY_MS   200
#define CALM_S         2
#define FLOOD_S        5
#define DRAIN_S        3
#define FLOOD_RATE     50000
#define FLOOD_PORTS    256

typedef struct
{
  GMainLoop  *loop;
  CrClient   *clients[N_HONEST];
  guint       joined;
  guint       sent[N_HONEST];          /* lines said by each */
  GHashTable *received;                /* "sender/n/receiver" → TRUE */
  GArray     *calm_latency;            /* gint64 µs */
  GArray     *flood_latency;
  gint64      flood_start;
  gint64      flood_end;
  guint16     port;
  gint        stop_flood;   /* atomic: the main thread stops the flood */
  guint64     flood_sent;
  guint64     flood_failed;
} Bench;

static gint64
rss_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (line = strstr (contents, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static int
cmp_gint64 (gconstpointer a,
            gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_latency (const char *what,
               GArray     *latency)
{
  if (latency->len == 0)
    {
      printf ("%-26s no lines\n", what);
      return;
    }
  g_array_sort (latency, cmp_gint64);
  printf ("%-26s %u deliveries: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, latency->len,
          g_array_index (latency, gint64, latency->len / 2) / 1000.0,
          g_array_index (latency, gint64, (latency->len * 99) / 100) / 1000.0,
          g_array_index (latency, gint64, latency->len - 1) / 1000.0);
}

static void
on_message_received (CrClient  *client,
                     CrMessage *message,
                     Bench     *b)
{
  const char *text = cr_message_get_text (message);
  guint sender, n;
  gint64 sent_at;
  guint receiver = 0;

  if (cr_message_get_kind (message) != CR_EVENT_CHAT ||
      sscanf (text, "h%u %u %" G_GINT64_FORMAT, &sender, &n, &sent_at) != 3)
    return;
  for (guint i = 0; i < N_HONEST; i++)
    if (b->clients[i] == client)
      receiver = i;
  g_hash_table_add (b->received, g_strdup_printf ("%u/%u/%u", sender, n, receiver));
  if (sent_at >= b->flood_start && sent_at < b->flood_end)
    g_array_append_val (b->flood_latency, (gint64) { g_get_monotonic_time () - sent_at });
  else if (sent_at < b->flood_start)
    g_array_append_val (b->calm_latency, (gint64) { g_get_monotonic_time () - sent_at });
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *b = user_data;
  g_autoptr(GError) error = NULL;

  if (!cr_client_join_finish (CR_CLIENT (source), result, &error))
    g_error ("An honest member could not join: %s", error->message);
  if (++b->joined == N_HONEST)
    g_main_loop_quit (b->loop);
}

typedef struct
{
  Bench *b;
  gint64 until;
} SayState;

static gboolean
on_say (gpointer user_data)
{
  SayState *s = user_data;
  Bench *b = s->b;

  if (g_get_monotonic_time () >= s->until)
    {
      g_main_loop_quit (b->loop);
      return G_SOURCE_REMOVE;
    }
  for (guint i = 0; i < N_HONEST; i++)
    {
      g_autofree char *text = g_strdup_printf ("h%u %u %" G_GINT64_FORMAT, i, b->sent[i],
                                               g_get_monotonic_time ());
      g_autoptr(GError) error = NULL;

      if (cr_client_send (b->clients[i], text, &error) == NULL)
        g_error ("Could not send: %s", error->message);
      b->sent[i]++;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timeout_quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
run_for (Bench *b,
         guint  ms)
{
  g_timeout_add (ms, on_timeout_quit, b->loop);
  g_main_loop_run (b->loop);
}

/* The flood: its own thread and sockets, paced in 1 ms slices. */
static gpointer
flood_thread (gpointer user_data)
{
  Bench *b = user_data;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) room = g_inet_socket_address_new (lo, b->port);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (10);
  GSocket *sockets[FLOOD_PORTS];
  gint64 start = g_get_monotonic_time ();
  guint64 due = 0;
  guint8 junk[1200];

  for (guint i = 0; i < FLOOD_PORTS; i++)
    {
      g_autoptr(GError) error = NULL;

      sockets[i] = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, &error);
      if (sockets[i] == NULL || !g_socket_bind (sockets[i], any, FALSE, &error))
        g_error ("flood socket: %s", error->message);
      g_socket_set_blocking (sockets[i], FALSE);
    }

  while (!g_atomic_int_get (&b->stop_flood))
    {
      due = (guint64) (g_get_monotonic_time () - start) * FLOOD_RATE / G_USEC_PER_SEC;
      while (b->flood_sent + b->flood_failed < due)
        {
          guint64 n = b->flood_sent + b->flood_failed;
          GSocket *socket = sockets[g_rand_int_range (rand, 0, FLOOD_PORTS)];
          char line[64];
          const void *data = junk;
          gsize len;

          switch (n % 4)
            {
            case 0:   /* classic join from one of many ports */
              len = g_snprintf (line, sizeof line, "N f%u", g_rand_int_range (rand, 0, 1000));
              data = line;
              break;
            case 1:   /* a spoofed line in an honest member's name */
              len = g_snprintf (line, sizeof line, "M h%u forged %" G_GUINT64_FORMAT,
                                g_rand_int_range (rand, 0, N_HONEST), n);
              data = line;
              break;
            default:  /* garbage, half of it looking native */
              len = g_rand_int_range (rand, 1, sizeof junk);
              for (gsize i = 0; i < len; i++)
                junk[i] = g_rand_int_range (rand, 0, 256);
              if (n % 4 == 2 && len >= 4)
                memcpy (junk, "\xcb\x52\x01", 3);
              break;
            }
          if (g_socket_send_to (socket, room, data, len, NULL, NULL) > 0)
            b->flood_sent++;
          else
            b->flood_failed++;
        }
      g_usleep (1000);
      /* Drain what the room reflects to the forged joiners, so their
       * buffers do not fill (the room's cost is the same either way). */
      for (guint i = 0; i < FLOOD_PORTS; i += 16)
        while (g_socket_receive (sockets[i], (char *) junk, sizeof junk, NULL, NULL) > 0)
          ;
    }

  for (guint i = 0; i < FLOOD_PORTS; i++)
    g_object_unref (sockets[i]);
  return NULL;
}

static guint16
free_port (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) bound = NULL;

  if (!g_socket_bind (socket, any, FALSE, NULL))
    g_error ("no free port");
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

int
main (int   argc,
      char *argv[])
{
  const char *daemon = argc > 1 ? argv[1] : BUILD_ROOT "/src/chatroomd";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-flood-XXXXXX", &error);
  g_autofree char *listen = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GSubprocess) room = NULL;
  g_autoptr(GThread) thread = NULL;
  SayState say;
  Bench b = { 0 };
  gint64 rss_before, rss_after;
  guint64 expected = 0, lost = 0;
  GPid pid;

  setlocale (LC_ALL, "C.UTF-8");
  g_assert_no_error (error);
  b.port = free_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", b.port);
  room = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                           G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           daemon, "--listen", listen, "--data-dir", dir, "--room-name", "Flood",
                           NULL);
  if (room == NULL)
    g_error ("Could not start %s: %s", daemon, error->message);
  pid = atoi (g_subprocess_get_identifier (room));

  b.loop = g_main_loop_new (NULL, FALSE);
  b.received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b.calm_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.flood_latency = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.flood_start = G_MAXINT64;
  b.flood_end = G_MAXINT64;
  run_for (&b, 300);   /* the room opens its socket */

  address = g_strdup_printf ("127.0.0.1:%u", b.port);
  for (guint i = 0; i < N_HONEST; i++)
    {
      g_autofree char *name = g_strdup_printf ("h%u", i);

      b.clients[i] = cr_client_new ();
      g_signal_connect (b.clients[i], "message-received", G_CALLBACK (on_message_received), &b);
      cr_client_join_async (b.clients[i], address, name, NULL, FALSE, NULL, NULL, on_joined, &b);
    }
  g_main_loop_run (b.loop);
  rss_before = rss_kb (pid);

  say.b = &b;
  say.until = g_get_monotonic_time () + (CALM_S + FLOOD_S) * G_USEC_PER_SEC;
  g_timeout_add (SAY_EVERY_MS, on_say, &say);
  run_for (&b, CALM_S * 1000);

  b.flood_start = g_get_monotonic_time ();
  b.flood_end = b.flood_start + FLOOD_S * G_USEC_PER_SEC;
  thread = g_thread_new ("flood", flood_thread, &b);
  g_main_loop_run (b.loop);   /* on_say quits at the end of the flood */
  g_atomic_int_set (&b.stop_flood, TRUE);
  g_thread_join (g_steal_pointer (&thread));
  rss_after = rss_kb (pid);
  run_for (&b, DRAIN_S * 1000);

  for (guint s = 0; s < N_HONEST; s++)
    for (guint n = 0; n < b.sent[s]; n++)
      for (guint r = 0; r < N_HONEST; r++)
        {
          g_autofree char *key = g_strdup_printf ("%u/%u/%u", s, n, r);

          if (r == s)
            continue;
          expected++;
          if (!g_hash_table_contains (b.received, key))
            lost++;
        }

  printf ("honest members             %u, a line each every %u ms\n", N_HONEST, SAY_EVERY_MS);
  printf ("flood                      %" G_GUINT64_FORMAT " datagrams sent in %d s "
          "(%" G_GUINT64_FORMAT " refused by the kernel)\n",
          b.flood_sent, FLOOD_S, b.flood_failed);
  printf ("honest loss                %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
          " deliveries\n", lost, expected);
  print_latency ("latency before the flood", b.calm_latency);
  print_latency ("latency during the flood", b.flood_latency);
  printf ("room VmRSS                 %" G_GINT64_FORMAT " kB before, %" G_GINT64_FORMAT
          " kB after the flood\n", rss_before, rss_after);

  for (guint i = 0; i < N_HONEST; i++)
    g_object_unref (b.clients[i]);
  g_subprocess_send_signal (room, SIGTERM);
  g_subprocess_wait (room, NULL, NULL);
  {
    static const char *files[] = { "chatroom.db", "chatroom.db-wal", "chatroom.db-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autofree char *path = g_build_filename (dir, files[i], NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
  g_hash_table_unref (b.received);
  g_array_unref (b.calm_latency);
  g_array_unref (b.flood_latency);
  g_main_loop_unref (b.loop);
  return lost == 0 ? 0 : 1;
}
