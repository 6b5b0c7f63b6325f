/* bench-client.c: what a member's receive path costs per event, without sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room (CrEngine, real SQLite store in a temporary directory, an
 * identity: everything sealed) and MEMBERS CrClientEngines, datagrams
 * passed by hand on a fake clock, as tests/cr-test-world.c does. One
 * member speaks: each round it says PER_ROUND messages, which the room
 * takes in one read (cr_engine_begin_batch), so every member gets them as
 * the room sends a burst (BATCH packets, cr-protocol.h). What the room
 * sends is held; then every member takes its datagrams, and only that is
 * timed: cr_client_engine_receive (open, header, reliable layer, BATCH
 * parse, each event validated and applied), its outputs popped and freed,
 * and its ticks (the acks it owes). Its acks go back to the room untimed.
 * Prints the members' CPU µs per event delivered; it is not a test.
 *
 *   bench-client [MEMBERS [ROUNDS [PER_ROUND]]]     defaults: 100, 200, 24
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>

#include "cr-client-engine.h"
#include "cr-crypto.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "bench-common.h"

#define PORT_BASE    30000
#define FLIGHTS_MAX  (10 * 1000 * 1000)

typedef struct {
  CrClientEngine *engine;
  GSocketAddress *address;
  GQueue          inbox;      /* GBytes*: held from the room for the timed phase */
  guint64         events;
} Member;

typedef struct {
  gboolean  to_room;
  Member   *member;
  GBytes   *data;
} Flight;

typedef struct {
  CrEngine       *room;
  GSocketAddress *room_address;
  Member         *members;
  guint           n_members;
  gint64          now;
  GQueue          flights;
  gboolean        hold;       /* the room's datagrams go to the inboxes */
  gint64          timed_us;   /* the members' time in the timed phases */
  guint64         timed_events;
} Bench;

static CrEngineTime
room_time (Bench *b)
{
  return (CrEngineTime) { b->now, G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC + b->now };
}

/* The thread's CPU time, µs: what the members cost whatever else the
 * machine runs meanwhile. */
static gint64
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static GPtrArray *
new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

static void
fly (Bench   *b,
     gboolean to_room,
     Member  *m,
     GBytes  *data)
{
  Flight *flight = g_new0 (Flight, 1);

  flight->to_room = to_room;
  flight->member = m;
  flight->data = g_bytes_ref (data);
  g_queue_push_tail (&b->flights, flight);
}

static void
room_sent (Bench     *b,
           GPtrArray *out)
{
  for (guint i = 0; i < out->len; i++)
    {
      CrDatagram *d = out->pdata[i];
      guint index = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (d->to)) - PORT_BASE;
      Member *m;

      if (index >= b->n_members)
        continue;
      m = &b->members[index];
      if (b->hold)
        g_queue_push_tail (&m->inbox, g_bytes_ref (d->data));
      else
        fly (b, FALSE, m, d->data);
    }
  g_ptr_array_set_size (out, 0);
}

/* What a member said goes to the room; what it was told is counted. */
static void
member_sent (Bench     *b,
             Member    *m,
             GPtrArray *out)
{
  CrClientOutput *output;

  while ((output = cr_client_engine_pop_output (m->engine)) != NULL)
    {
      if (output->kind == CR_CLIENT_OUTPUT_EVENT || output->kind == CR_CLIENT_OUTPUT_SENT)
        m->events++;
      cr_client_output_free (output);
    }
  for (guint i = 0; i < out->len; i++)
    fly (b, TRUE, m, ((CrDatagram *) out->pdata[i])->data);
  g_ptr_array_set_size (out, 0);
}

static void
pump (Bench *b)
{
  g_autoptr(GPtrArray) out = new_out ();
  Flight *flight;
  guint n = 0;

  while ((flight = g_queue_pop_head (&b->flights)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (flight->data, &len);

      g_assert_cmpuint (++n, <, FLIGHTS_MAX);
      if (flight->to_room)
        {
          cr_engine_receive (b->room, data, len, flight->member->address, room_time (b), out);
          cr_engine_run_auth_jobs (b->room, room_time (b), out);
          room_sent (b, out);
        }
      else
        {
          cr_client_engine_receive (flight->member->engine, data, len, b->room_address,
                                    b->now, out);
          member_sent (b, flight->member, out);
        }
      g_bytes_unref (flight->data);
      g_free (flight);
    }
}

static void
tick_due (Bench *b)
{
  g_autoptr(GPtrArray) out = new_out ();

  if (cr_engine_next_deadline (b->room) <= b->now)
    {
      cr_engine_tick (b->room, room_time (b), out);
      room_sent (b, out);
    }
  for (guint i = 0; i < b->n_members; i++)
    {
      Member *m = &b->members[i];

      /* Only the members that joined so far. */
      if (m->engine != NULL && cr_client_engine_next_deadline (m->engine) <= b->now)
        {
          cr_client_engine_tick (m->engine, b->now, out);
          member_sent (b, m, out);
        }
    }
  pump (b);
}

/* The timed phase: every member takes what the room sent it, then ticks
 * if it is due (its acks); what they send the room goes after, untimed. */
static void
deliver_held (Bench *b)
{
  g_autoptr(GPtrArray) out = new_out ();
  /* One reading of the clock for all: a thread's CPU clock is a system
   * call, which would weigh on a round of a single event. */
  gint64 start = cpu_now ();

  for (guint i = 0; i < b->n_members; i++)
    {
      Member *m = &b->members[i];
      guint64 before = m->events;
      GBytes *data;

      while ((data = g_queue_pop_head (&m->inbox)) != NULL)
        {
          gsize len;
          const guint8 *bytes = g_bytes_get_data (data, &len);

          cr_client_engine_receive (m->engine, bytes, len, b->room_address, b->now, out);
          member_sent (b, m, out);
          g_bytes_unref (data);
        }
      if (cr_client_engine_next_deadline (m->engine) <= b->now)
        {
          cr_client_engine_tick (m->engine, b->now, out);
          member_sent (b, m, out);
        }
      b->timed_events += m->events - before;
    }
  b->timed_us += cpu_now () - start;
  b->hold = FALSE;
  pump (b);
}

static void
run (guint n_members,
     guint rounds,
     guint per_round)
{
  CrIdentity *identity = cr_identity_new ();
  g_autofree char *dir = g_dir_make_tmp ("cr-bench-client-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GPtrArray) out = new_out ();
  CrStore *store = cr_store_open (dir, &error);
  CrEngineConfig config;
  Bench b = { 0 };
  guint64 expected = (guint64) n_members * rounds * per_round;
  guint64 received = 0;

  g_assert_no_error (error);
  bench_engine_config (&config, n_members, identity);
  b.room = cr_engine_new (&config, store);
  b.room_address = g_inet_socket_address_new (lo, 10024);
  b.members = g_new0 (Member, n_members);
  b.n_members = n_members;
  b.now = G_TIME_SPAN_SECOND;
  g_queue_init (&b.flights);

  for (guint i = 0; i < n_members; i++)
    {
      Member *m = &b.members[i];
      g_autofree char *name = g_strdup_printf ("member%u", i);
      CrClientJoin join = { name, NULL, FALSE, NULL, "127.0.0.1:10024", 0 };

      m->engine = cr_client_engine_new ((guint64) (i + 1) << 32);
      m->address = g_inet_socket_address_new (lo, PORT_BASE + i);
      g_queue_init (&m->inbox);
      g_assert_true (cr_client_engine_join (m->engine, &join, b.now));
      cr_client_engine_start (m->engine, b.now, out);
      member_sent (&b, m, out);
      pump (&b);
      for (guint k = 0; k < 1000 && cr_client_engine_get_state (m->engine) == CR_CLIENT_CONNECTING;
           k++)
        {
          b.now += 10 * G_TIME_SPAN_MILLISECOND;
          tick_due (&b);
        }
      g_assert_cmpint (cr_client_engine_get_state (m->engine), ==, CR_CLIENT_CONNECTED);
    }
  /* Settle the joins' acks before counting. */
  for (guint k = 0; k < 100; k++)
    {
      b.now += 10 * G_TIME_SPAN_MILLISECOND;
      tick_due (&b);
    }
  for (guint i = 0; i < n_members; i++)
    b.members[i].events = 0;

  for (guint r = 0; r < rounds; r++)
    {
      Member *speaker = &b.members[0];

      b.hold = TRUE;
      for (guint k = 0; k < per_round; k++)
        {
          char text[128];

          g_snprintf (text, sizeof text, "#b0.%u.%" G_GINT64_FORMAT "# load",
                      r * per_round + k, b.now);
          cr_client_engine_send (speaker->engine, text, b.now, out);
          member_sent (&b, speaker, out);
        }
      if (cr_client_engine_next_deadline (speaker->engine) <= b.now)
        {
          cr_client_engine_tick (speaker->engine, b.now, out);
          member_sent (&b, speaker, out);
        }
      /* One read of the room's socket: its chats committed and sent once. */
      cr_engine_begin_batch (b.room);
      pump (&b);
      cr_engine_end_batch (b.room, room_time (&b), out);
      room_sent (&b, out);
      deliver_held (&b);
      b.now += G_TIME_SPAN_MILLISECOND;
      b.hold = TRUE;
      tick_due (&b);
      deliver_held (&b);
    }
  for (guint k = 0; k < 100; k++)
    {
      b.now += 10 * G_TIME_SPAN_MILLISECOND;
      tick_due (&b);
    }

  for (guint i = 0; i < n_members; i++)
    received += b.members[i].events;
  g_print ("%5u members  %5u rounds of %3u  %8.3f s of CPU in the members  %7.3f µs per event  "
           "(%" G_GUINT64_FORMAT " timed; delivered %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ")\n",
           n_members, rounds, per_round, b.timed_us / 1e6,
           b.timed_events > 0 ? (double) b.timed_us / b.timed_events : 0.0,
           b.timed_events, received, expected);

  for (guint i = 0; i < n_members; i++)
    {
      g_queue_clear_full (&b.members[i].inbox, (GDestroyNotify) g_bytes_unref);
      cr_client_engine_free (b.members[i].engine);
      g_object_unref (b.members[i].address);
    }
  g_free (b.members);
  g_object_unref (b.room_address);
  cr_engine_free (b.room);
  cr_identity_free (identity);
  cr_store_close (store);
  bench_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  guint n_members = argc > 1 ? MAX (2, atoi (argv[1])) : 100;
  guint rounds = argc > 2 ? MAX (1, atoi (argv[2])) : 200;
  guint per_round = argc > 3 ? MAX (1, atoi (argv[3])) : 24;

  setlocale (LC_ALL, "C.UTF-8");
  cr_locale_init ();

  g_print ("A member's receive path alone (no sockets, sealed, fake clock): "
           "open, parse, validate, apply, ack.\n");
  run (n_members, rounds, per_round);
  return 0;
}
