/* test-scale.c: a room of 5 000 members, and its timers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine with literal datagrams and a fixed clock (no socket: 5 000
 * sockets' join lines are bench/'s business). A room holds as many as its
 * cap says, refuses the next, and its timer heap (cr-engine-sessions.c)
 * times members out in the order they fell silent, exactly when they do,
 * without visiting the others.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
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

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/scale/five-thousand", test_five_thousand);

  return g_test_run ();
}
