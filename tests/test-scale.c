/* test-scale.c: a room of 5 000 members, and its timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine with literal datagrams and a fixed clock (no socket: 5 000
 * sockets' join lines are bench/'s business). A room holds as many as its
 * cap says, refuses the next, and its timer heap (cr-engine-sessions.c)
 * times members out in the order they fell silent, exactly when they do,
 * without visiting the others. And a class of 2 000 joining: every member
 * sees every join, in order, told in packed datagrams (cr-engine.c's
 * fan-out), not a datagram per join per member.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
#include "cr-client-engine.h"
#include "cr-engine.h"
#include "cr-test-utils.h"

#define N_MEMBERS  5000
/* µs of the fixed clock between joins: 5 000 in half a second. (The room
 * remembers the join rate of at most 4 096 new addresses at once, and
 * forgets one 0.2 s after its last join: cr-engine-sessions.c.) */
#define JOIN_EVERY 100
#define IDLE_US    G_TIME_SPAN_HOUR

typedef struct
{
  CrEngine     *engine;
  CrEngineTime  now;
  GPtrArray    *out;
  guint         left;       /* TIMEOUT events */
} Fixture;

static void
on_event (const CrEvent *event,
          gpointer       user_data)
{
  Fixture *f = user_data;

  if (event->kind == CR_EVENT_TIMEOUT)
    f->left++;
}

static GSocketAddress *
member_address (guint i)
{
  return cr_test_socket_address ("127.0.0.1", (guint16) (10000 + i));
}

/* Joins "sN" from its own port; returns what the room answered it first. */
static char *
classic_join (Fixture *f,
              guint    i)
{
  g_autoptr(GSocketAddress) from = member_address (i);
  g_autofree char *line = g_strdup_printf ("N s%u", i);
  char *answer = NULL;

  g_ptr_array_set_size (f->out, 0);
  f->now.mono += JOIN_EVERY;
  f->now.wall += JOIN_EVERY;
  cr_engine_receive (f->engine, (const guint8 *) line, strlen (line), from, f->now, f->out);
  for (guint j = 0; j < f->out->len && answer == NULL; j++)
    {
      CrDatagram *d = f->out->pdata[j];
      gsize len;
      const char *data = g_bytes_get_data (d->data, &len);

      if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (d->to)) == 10000 + i)
        answer = g_strndup (data, len);
    }
  return answer;
}

static void
test_five_thousand (void)
{
  Fixture f = { 0, };
  CrEngineConfig config;
  g_autofree char *refused = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  gint64 first_join;

  cr_engine_config_init (&config);
  config.random_func = cr_test_fixed_random;
  config.random_data = rand;
  config.max_members = N_MEMBERS;
  config.classic_idle_us = IDLE_US;
  /* A member quiet for 1 µs gets no broadcasts: the join lines of 5 000
   * would be 12.5 million datagrams, which is not what this is about. */
  config.classic_quiet_us = 1;
  f.engine = cr_engine_new (&config, NULL);
  f.out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  f.now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC };
  cr_engine_set_event_func (f.engine, on_event, &f);

  first_join = f.now.mono + JOIN_EVERY;
  for (guint i = 0; i < N_MEMBERS; i++)
    {
      g_autofree char *answer = classic_join (&f, i);

      if (g_strcmp0 (answer, CR_CLASSIC_OK) != 0)
        g_error ("member %u was answered “%s”", i, answer ? answer : "(nothing)");
    }
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f.engine)), ==, N_MEMBERS);

  /* One more: the room is full, and says so. */
  refused = classic_join (&f, N_MEMBERS);
  g_assert_nonnull (refused);
  g_assert_cmpint (cr_classic_parse_reason (refused), ==, CR_REASON_ROOM_FULL);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f.engine)), ==, N_MEMBERS);

  /* The next deadline is the first member's idle timeout, found without a
   * walk; a tick before it changes nothing. */
  g_assert_cmpint (cr_engine_next_deadline (f.engine), ==, first_join + IDLE_US + 1);
  g_ptr_array_set_size (f.out, 0);
  f.now.mono = first_join + IDLE_US;
  cr_engine_tick (f.engine, f.now, f.out);
  g_assert_cmpuint (f.left, ==, 0);

  /* The first 100 to join fell silent first: exactly they go. */
  f.now.mono = first_join + 99 * JOIN_EVERY + IDLE_US + 1;
  cr_engine_tick (f.engine, f.now, f.out);
  g_assert_cmpuint (f.left, ==, 100);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f.engine)), ==, N_MEMBERS - 100);
  g_assert_cmpint (cr_engine_next_deadline (f.engine), ==, first_join + 100 * JOIN_EVERY + IDLE_US + 1);

  /* Member 100 speaks: its timeout moves on. Its heap entry stays where
   * it was (a time that moves later is not looked for): the tick there
   * finds it not due, reschedules it, and member 101 is next. */
  {
    g_autoptr(GSocketAddress) from = member_address (100);
    const char *line = "M s100 still here";
    gint64 early = first_join + 100 * JOIN_EVERY + IDLE_US + 1;

    cr_engine_receive (f.engine, (const guint8 *) line, strlen (line), from, f.now, f.out);
    g_assert_cmpint (cr_engine_next_deadline (f.engine), ==, early);
    f.now.mono = early;
    cr_engine_tick (f.engine, f.now, f.out);
    g_assert_cmpuint (f.left, ==, 100);
    g_assert_cmpint (cr_engine_next_deadline (f.engine), ==,
                     first_join + 101 * JOIN_EVERY + IDLE_US + 1);
  }

  /* Then everyone else, in one tick, but member 100. */
  f.now.mono = first_join + N_MEMBERS * JOIN_EVERY + IDLE_US + 1;
  cr_engine_tick (f.engine, f.now, f.out);
  g_assert_cmpuint (f.left, ==, N_MEMBERS - 1);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f.engine)), ==, 1);

  g_ptr_array_unref (f.out);
  cr_engine_free (f.engine);
}

/* 2 000 joins -------------------------------------------------------- */

#define N_JOINERS     2000
#define READ_BATCH    16          /* joins per socket read, as CrServer batches them */
#define WATCH_NATIVE  30000       /* the watchers' ports */
#define WATCH_CLASSIC 30001

typedef struct
{
  CrEngine       *engine;
  CrEngineTime    now;
  GPtrArray      *out;
  CrClientEngine *native;         /* a member of the app's own dialect */
  GSocketAddress *room;
  GSocketAddress *native_addr;
  GSocketAddress *classic_addr;
  GPtrArray      *native_joins;   /* char*: the names of the JOIN events it was told */
  GPtrArray      *classic_lines;  /* char*: every line the classic watcher got */
  guint           native_datagrams;
  guint           classic_datagrams;
} Join;

static guint16
port_of (GSocketAddress *addr)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
}

/* The native watcher's datagrams to the room, and what it says. */
static void
native_sent (Join      *j,
             GPtrArray *sent)
{
  CrClientOutput *output;

  while ((output = cr_client_engine_pop_output (j->native)) != NULL)
    {
      if (output->kind == CR_CLIENT_OUTPUT_EVENT && output->event->kind == CR_EVENT_JOIN &&
          output->announce)
        g_ptr_array_add (j->native_joins, g_strdup (output->event->name));
      cr_client_output_free (output);
    }
  for (guint i = 0; i < sent->len; i++)
    {
      CrDatagram *d = sent->pdata[i];
      gsize len;
      const guint8 *data = g_bytes_get_data (d->data, &len);

      cr_engine_receive (j->engine, data, len, j->native_addr, j->now, j->out);
    }
  g_ptr_array_set_size (sent, 0);
}

/* Hand the room's datagrams to the two watchers (the joiners' are only
 * counted away), and theirs to the room, until nothing moves; bounded. */
static void
join_pump (Join *j)
{
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);

  for (guint round = 0; round < 100 && (j->out->len > 0 || round == 0); round++)
    {
      g_autoptr(GPtrArray) batch = j->out;

      j->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          gsize len;
          const guint8 *data = g_bytes_get_data (d->data, &len);

          if (port_of (d->to) == WATCH_NATIVE)
            {
              j->native_datagrams++;
              cr_client_engine_receive (j->native, data, len, j->room, j->now.mono, sent);
              native_sent (j, sent);
            }
          else if (port_of (d->to) == WATCH_CLASSIC)
            {
              g_auto(GStrv) lines = NULL;
              g_autofree char *text = g_strndup ((const char *) data, len);

              j->classic_datagrams++;
              g_assert_cmpuint (len, <=, CR_CLASSIC_LINE_MAX);
              g_assert_true (g_utf8_validate ((const char *) data, len, NULL));
              lines = g_strsplit (text, "\n", -1);
              for (guint k = 0; lines[k] != NULL; k++)
                g_ptr_array_add (j->classic_lines, g_strdup (lines[k]));
            }
        }
      if (cr_client_engine_next_deadline (j->native) <= j->now.mono)
        {
          cr_client_engine_tick (j->native, j->now.mono, sent);
          native_sent (j, sent);
        }
    }
  g_assert_cmpuint (j->out->len, ==, 0);
}

static void
join_advance (Join   *j,
              gint64  us)
{
  j->now.mono += us;
  j->now.wall += us;
  if (cr_engine_next_deadline (j->engine) <= j->now.mono)
    cr_engine_tick (j->engine, j->now, j->out);
  join_pump (j);
}

static void
test_two_thousand_joins (void)
{
  Join j = { 0, };
  CrEngineConfig config;
  g_autoptr(GRand) rand = g_rand_new_with_seed (10);
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  CrClientJoin join = { "watcher", NULL, FALSE, NULL, "127.0.0.1:10024", 0, .plaintext = TRUE };
  const char *hello = "N classic";
  guint classic_joins = 0;

  cr_engine_config_init (&config);
  config.random_func = cr_test_fixed_random;
  config.random_data = rand;
  config.max_members = N_JOINERS + 2;
  config.classic_idle_us = IDLE_US;
  config.classic_quiet_us = 0;          /* the classic watcher hears everything */
  config.silence_timeout_us = IDLE_US;
  j.engine = cr_engine_new (&config, NULL);
  j.out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  j.now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC };
  j.room = cr_test_socket_address ("127.0.0.1", 10024);
  j.native_addr = cr_test_socket_address ("127.0.0.1", WATCH_NATIVE);
  j.classic_addr = cr_test_socket_address ("127.0.0.1", WATCH_CLASSIC);
  j.native_joins = g_ptr_array_new_with_free_func (g_free);
  j.classic_lines = g_ptr_array_new_with_free_func (g_free);

  /* The two watchers join first. */
  j.native = cr_client_engine_new (G_GUINT64_CONSTANT (3) << 32);
  g_assert_true (cr_client_engine_join (j.native, &join, j.now.mono));
  cr_client_engine_start (j.native, j.now.mono, sent);
  native_sent (&j, sent);
  join_pump (&j);
  for (guint i = 0; i < 10 && cr_client_engine_get_state (j.native) != CR_CLIENT_CONNECTED; i++)
    join_advance (&j, 50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (cr_client_engine_get_state (j.native), ==, CR_CLIENT_CONNECTED);
  cr_engine_receive (j.engine, (const guint8 *) hello, strlen (hello), j.classic_addr, j.now,
                     j.out);
  join_pump (&j);
  g_ptr_array_set_size (j.native_joins, 0);
  g_ptr_array_set_size (j.classic_lines, 0);
  j.native_datagrams = j.classic_datagrams = 0;

  /* The class joins, READ_BATCH joins a read. */
  for (guint i = 0; i < N_JOINERS; i += READ_BATCH)
    {
      cr_engine_begin_batch (j.engine);
      for (guint k = i; k < MIN (i + READ_BATCH, N_JOINERS); k++)
        {
          g_autoptr(GSocketAddress) from = member_address (k);
          g_autofree char *line = g_strdup_printf ("N s%u", k);

          cr_engine_receive (j.engine, (const guint8 *) line, strlen (line), from, j.now, j.out);
        }
      cr_engine_end_batch (j.engine, j.now, j.out);
      join_advance (&j, JOIN_EVERY);
    }
  for (guint i = 0; i < 20; i++)
    join_advance (&j, 50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (j.engine)), ==, N_JOINERS + 2);

  /* Each watcher was told every join once, in the order they joined. */
  g_assert_cmpuint (j.native_joins->len, ==, N_JOINERS);
  for (guint i = 0; i < N_JOINERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%u", i);

      g_assert_cmpstr (j.native_joins->pdata[i], ==, name);
    }
  for (guint i = 0; i < j.classic_lines->len; i++)
    {
      g_autoptr(CrEvent) event = cr_classic_parse_line (j.classic_lines->pdata[i], i + 1, 0);
      g_autofree char *name = g_strdup_printf ("s%u", classic_joins);

      g_assert_nonnull (event);
      if (event->kind != CR_EVENT_JOIN)
        continue;
      g_assert_cmpstr (event->name, ==, name);
      classic_joins++;
    }
  g_assert_cmpuint (classic_joins, ==, N_JOINERS);

  /* Told in packed datagrams: a few per read, not one per join. */
  g_test_message ("2 000 joins: %u datagrams to a native member, %u to a classic one",
                  j.native_datagrams, j.classic_datagrams);
  g_assert_cmpuint (j.native_datagrams, <=, N_JOINERS / 4);
  g_assert_cmpuint (j.classic_datagrams, <=, N_JOINERS / 4);

  cr_client_engine_free (j.native);
  g_object_unref (j.room);
  g_object_unref (j.native_addr);
  g_object_unref (j.classic_addr);
  g_ptr_array_unref (j.native_joins);
  g_ptr_array_unref (j.classic_lines);
  g_ptr_array_unref (j.out);
  cr_engine_free (j.engine);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/scale/five-thousand", test_five_thousand);
  g_test_add_func ("/chatroom/scale/two-thousand-joins", test_two_thousand_joins);

  return g_test_run ();
}
