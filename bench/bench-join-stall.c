/* bench-join-stall.c: how long a password join stalls a hosted room's main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the app does when it hosts: a CrServer on 127.0.0.1 in this process,
 * on this thread's main loop, with a real store (Argon2id at its real,
 * interactive cost) in a temporary directory. Two guests are in the room;
 * one says a line every 10 ms and the other receives them, so the room has
 * something to relay. Then N members register with a password and, after
 * leaving, log in again with it, one at a time. A 1 ms G_PRIORITY_HIGH
 * timeout records the longest gap between two of its dispatches (the
 * longest time the window could not have reacted) during each join, and
 * the joiner's latency (join_async to its callback). Prints figures; it is
 * not a test.
 *
 *   bench-join-stall [JOINS]       default 5 (each: one register, one login)
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <glib/gstdio.h>

#include "cr-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "bench-common.h"

#define WAIT_US      (30 * G_TIME_SPAN_SECOND)
#define CHAT_EVERY_MS 10

typedef struct {
  gint64   last;
  gint64   longest;
} Meter;

typedef struct {
  gboolean done;
  gboolean ok;
  char    *error;
  gint64   at;
} Join;

typedef struct {
  guint    received;
  gint64   last;
  gint64   longest;
} Relay;

static gboolean
on_meter_tick (gpointer user_data)
{
  Meter *meter = user_data;
  gint64 t = g_get_monotonic_time ();

  if (meter->last != 0)
    meter->longest = MAX (meter->longest, t - meter->last);
  meter->last = t;
  return G_SOURCE_CONTINUE;
}

static void
meter_reset (Meter *meter)
{
  meter->last = g_get_monotonic_time ();
  meter->longest = 0;
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Join *join = user_data;
  g_autoptr(GError) error = NULL;

  join->ok = cr_client_join_finish (CR_CLIENT (source), result, &error);
  if (error != NULL)
    join->error = g_strdup (error->message);
  join->at = g_get_monotonic_time ();
  join->done = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterate until *flag, at most WAIT_US. */
static gboolean
run_until (gboolean *flag)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (WAIT_US / 1000, on_timeout, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return *flag;
}

static void
run_for (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, on_timeout, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
join (CrClient   *client,
      guint16     port,
      const char *name,
      const char *password,
      gboolean    do_register,
      gint64     *latency)
{
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  Join result = { 0 };
  gint64 start = g_get_monotonic_time ();

  cr_client_join_async (client, address, name, password, do_register, NULL, NULL,
                        on_joined, &result);
  if (!run_until (&result.done) || !result.ok)
    {
      g_printerr ("%s could not join: %s\n", name, result.error ? result.error : "no answer");
      g_free (result.error);
      return FALSE;
    }
  *latency = result.at - start;
  return TRUE;
}

static void
on_closed (CrClient *client,
           int       reason,
           gpointer  user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
leave (CrClient *client)
{
  gboolean closed = cr_client_get_state (client) == CR_CLIENT_CLOSED;
  gulong id = g_signal_connect (client, "closed", G_CALLBACK (on_closed), &closed);

  cr_client_leave (client);
  run_until (&closed);
  g_signal_handler_disconnect (client, id);
}

static void
on_messages_changed (GListModel *model,
                     guint       position,
                     guint       removed,
                     guint       added,
                     gpointer    user_data)
{
  Relay *relay = user_data;
  gint64 t = g_get_monotonic_time ();

  if (added == 0)
    return;
  relay->received += added;
  if (relay->last != 0)
    relay->longest = MAX (relay->longest, t - relay->last);
  relay->last = t;
}

static gboolean
on_chat_tick (gpointer user_data)
{
  CrClient *client = user_data;
  static guint n;
  g_autofree char *text = g_strdup_printf ("line %u", ++n);

  if (cr_client_get_state (client) == CR_CLIENT_CONNECTED)
    cr_client_send (client, text, NULL);
  return G_SOURCE_CONTINUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *stalls,
        GArray     *latencies)
{
  g_array_sort (stalls, compare_gint64);
  g_array_sort (latencies, compare_gint64);
  g_print ("%-9s  longest stall %7.1f ms (median of joins %7.1f)   "
           "latency %7.1f ms median, %7.1f max\n",
           what,
           g_array_index (stalls, gint64, stalls->len - 1) / 1000.0,
           g_array_index (stalls, gint64, stalls->len / 2) / 1000.0,
           g_array_index (latencies, gint64, latencies->len / 2) / 1000.0,
           g_array_index (latencies, gint64, latencies->len - 1) / 1000.0);
}

int
main (int   argc,
      char *argv[])
{
  guint n_joins = argc > 1 ? MAX (1, atoi (argv[1])) : 5;
  g_autofree char *dir = g_dir_make_tmp ("cr-bench-join-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CrServer) server = cr_server_new (dir, "Bench");
  g_autoptr(CrClient) talker = cr_client_new ();
  g_autoptr(CrClient) listener = cr_client_new ();
  g_autoptr(GArray) reg_stalls = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) reg_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) login_stalls = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) login_latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  Meter meter = { 0 };
  Relay relay = { 0 };
  guint16 port;
  gint64 latency, idle_stall;
  guint meter_id, chat_id, relayed_before;
  GSource *source;

  setlocale (LC_ALL, "C.UTF-8");
  cr_locale_init ();

  if (!cr_server_start (server, "127.0.0.1:0", &error))
    g_error ("Could not start the room: %s", error->message);
  port = cr_server_get_port (server);

  source = g_timeout_source_new (1);
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, on_meter_tick, &meter, NULL);
  meter_id = g_source_attach (source, NULL);
  g_source_unref (source);

  if (!join (talker, port, "talker", NULL, FALSE, &latency) ||
      !join (listener, port, "listener", NULL, FALSE, &latency))
    return 1;
  g_signal_connect (cr_client_get_messages (listener), "items-changed",
                    G_CALLBACK (on_messages_changed), &relay);
  chat_id = g_timeout_add (CHAT_EVERY_MS, on_chat_tick, talker);

  /* The baseline: the same room, relaying, with nobody joining. */
  run_for (200);
  meter_reset (&meter);
  relay.longest = 0;
  run_for (1000);
  idle_stall = meter.longest;
  g_print ("A CrServer and 3 CrClients on one main loop, 127.0.0.1, store in %s, "
           "Argon2id interactive; a line relayed every %d ms.\n", dir, CHAT_EVERY_MS);
  g_print ("no join   longest stall %7.1f ms over 1 s; longest relay gap %.1f ms\n",
           idle_stall / 1000.0, relay.longest / 1000.0);

  relayed_before = relay.received;
  relay.longest = 0;
  for (guint i = 0; i < n_joins; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%u", i);
      g_autofree char *password = g_strdup_printf ("password %u", i);
      gint64 stall;

      {
        g_autoptr(CrClient) client = cr_client_new ();

        meter_reset (&meter);
        if (!join (client, port, name, password, TRUE, &latency))
          return 1;
        stall = meter.longest;
        g_array_append_val (reg_stalls, stall);
        g_array_append_val (reg_latencies, latency);
        leave (client);
      }
      {
        g_autoptr(CrClient) client = cr_client_new ();

        meter_reset (&meter);
        if (!join (client, port, name, password, FALSE, &latency))
          return 1;
        stall = meter.longest;
        g_array_append_val (login_stalls, stall);
        g_array_append_val (login_latencies, latency);
        leave (client);
      }
    }

  report ("register", reg_stalls, reg_latencies);
  report ("login", login_stalls, login_latencies);
  g_print ("relayed during the joins: %u lines, longest gap %.1f ms\n",
           relay.received - relayed_before, relay.longest / 1000.0);

  g_source_remove (chat_id);
  g_source_remove (meter_id);
  g_signal_handlers_disconnect_by_data (cr_client_get_messages (listener), &relay);
  leave (talker);
  leave (listener);
  {
    gboolean stopped = FALSE;
    gulong id = g_signal_connect_swapped (server, "stopped", G_CALLBACK (on_timeout), &stopped);

    cr_server_stop (server);
    run_until (&stopped);
    g_signal_handler_disconnect (server, id);
  }
  bench_remove_tree (dir);
  return 0;
}
