/* cr-test-world.c: a room and its members in one process, datagrams passed
 * by hand (cr-test-world.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-test-world"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"
#include "cr-store-private.h"
#include "cr-test-utils.h"
#include "cr-test-world.h"

#define FLIGHTS_MAX  200000    /* datagrams one pump may deliver */
#define TICK_ROUNDS  100       /* members ticked again at once, at most */

typedef struct
{
  gboolean      to_room;
  CrTestMember *member;
  GBytes       *data;
} Flight;

static void
flight_free (Flight *flight)
{
  g_bytes_unref (flight->data);
  g_free (flight);
}

static void
member_free (CrTestMember *m)
{
  cr_client_engine_free (m->engine);
  g_object_unref (m->address);
  g_ptr_array_unref (m->outputs);
  g_free (m);
}

static GPtrArray *
new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

static void
on_storage (gboolean    ok,
            const char *message,
            gpointer    user_data)
{
  CrTestWorld *w = user_data;

  g_test_message ("owner told (%s): %s", ok ? "ok" : "failing", message);
  if (ok)
    w->told_ok++;
  else
    w->told_failing++;
  g_ptr_array_add (w->warnings, g_strdup (message));
}

static void
fly (CrTestWorld  *w,
     gboolean      to_room,
     CrTestMember *m,
     GBytes       *data)
{
  Flight *flight = g_new0 (Flight, 1);

  flight->to_room = to_room;
  flight->member = m;
  flight->data = g_bytes_ref (data);
  if (w->mangle && !to_room)
    g_ptr_array_add (w->held, flight);
  else
    g_queue_push_tail (&w->flights, flight);
}

static CrTestMember *
member_at (CrTestWorld    *w,
           GSocketAddress *address)
{
  for (guint i = 0; i < w->members->len; i++)
    {
      CrTestMember *m = w->members->pdata[i];

      if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (m->address)) ==
          g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)))
        return m;
    }
  return NULL;
}

/* Mangling: what the room said since the last release, last first, twice. */
static gboolean
release_held (CrTestWorld *w)
{
  g_autoptr(GPtrArray) held = g_steal_pointer (&w->held);

  w->held = g_ptr_array_new_with_free_func ((GDestroyNotify) flight_free);
  for (guint i = held->len; i > 0; i--)
    {
      Flight *flight = held->pdata[i - 1];

      for (guint copy = 0; copy < 2; copy++)
        {
          Flight *again = g_new0 (Flight, 1);

          *again = *flight;
          g_bytes_ref (again->data);
          g_queue_push_tail (&w->flights, again);
        }
    }
  return held->len > 0;
}

void
cr_test_world_init (CrTestWorld *w,
                    const char  *data_dir)
{
  g_assert_nonnull (w);

  memset (w, 0, sizeof *w);
  w->own_dir = data_dir == NULL;
  w->dir = data_dir != NULL ? g_strdup (data_dir) : cr_test_make_tmpdir ();
  cr_engine_config_init (&w->config);
  w->config.room_name = "Test";
  w->config.language = "zh_CN";
  w->config.silence_timeout_us = 30 * G_TIME_SPAN_SECOND;
  w->config.rate_per_second = 100;
  w->config.rate_burst = 100;
  w->rand = g_rand_new_with_seed (20261203);
  w->identity = cr_identity_new ();
  w->config.identity = w->identity;
  w->config.random_func = cr_test_fixed_random;
  w->config.random_data = w->rand;
  w->room_address = cr_test_socket_address ("127.0.0.1", 10024);
  w->now = CR_TEST_WORLD_T0;
  w->members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  w->held = g_ptr_array_new_with_free_func ((GDestroyNotify) flight_free);
  w->warnings = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&w->flights);
}

gboolean
cr_test_world_open (CrTestWorld *w,
                    GError     **error)
{
  g_assert_null (w->room);

  w->store = cr_store_open (w->dir, error);
  if (w->store == NULL)
    return FALSE;
  cr_store_set_pwhash_cost (w->store, CR_PWHASH_MIN);
  w->room = cr_engine_new (&w->config, w->store);
  cr_engine_set_storage_func (w->room, on_storage, w);
  return TRUE;
}

void
cr_test_world_shut (CrTestWorld *w)
{
  g_queue_clear_full (&w->flights, (GDestroyNotify) flight_free);
  g_clear_pointer (&w->room, cr_engine_free);
  g_clear_pointer (&w->store, cr_store_close);
}

void
cr_test_world_clear (CrTestWorld *w)
{
  cr_test_world_shut (w);
  g_ptr_array_unref (w->held);
  g_ptr_array_unref (w->members);
  g_ptr_array_unref (w->warnings);
  g_rand_free (w->rand);
  g_clear_pointer (&w->identity, cr_identity_free);
  g_object_unref (w->room_address);
  if (w->own_dir)
    cr_test_remove_tree (w->dir);
  g_free (w->dir);
}

CrEngineTime
cr_test_world_time (CrTestWorld *w)
{
  return (CrEngineTime) { w->now, G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC + w->now };
}

void
cr_test_world_member_sent (CrTestWorld  *w,
                           CrTestMember *m,
                           GPtrArray    *out)
{
  CrClientOutput *output;

  while ((output = cr_client_engine_pop_output (m->engine)) != NULL)
    g_ptr_array_add (m->outputs, output);
  for (guint i = 0; i < out->len; i++)
    {
      CrDatagram *datagram = out->pdata[i];
      gsize len;
      const char *data = g_bytes_get_data (datagram->data, &len);

      if (m->no_probe && len == strlen (CR_PROBE_TEXT) && memcmp (data, CR_PROBE_TEXT, len) == 0)
        continue;
      fly (w, TRUE, m, datagram->data);
    }
  g_ptr_array_set_size (out, 0);
}

void
cr_test_world_room_sent (CrTestWorld *w,
                         GPtrArray   *out)
{
  for (guint i = 0; i < out->len; i++)
    {
      CrDatagram *datagram = out->pdata[i];
      CrTestMember *m = member_at (w, datagram->to);

      if (m != NULL)
        fly (w, FALSE, m, datagram->data);
    }
  g_ptr_array_set_size (out, 0);
}

void
cr_test_world_pump (CrTestWorld *w)
{
  g_autoptr(GPtrArray) out = new_out ();
  Flight *flight;
  guint n = 0;

  for (;;)
    {
      gsize len;
      const guint8 *data;

      flight = g_queue_pop_head (&w->flights);
      if (flight == NULL)
        {
          if (!release_held (w))
            return;
          continue;
        }
      data = g_bytes_get_data (flight->data, &len);
      g_assert_cmpuint (++n, <, FLIGHTS_MAX);
      if (!flight->member->cut)
        {
          if (flight->to_room && w->room != NULL)
            {
              w->delivered++;
              cr_engine_receive (w->room, data, len, flight->member->address,
                                 cr_test_world_time (w), out);
              /* Password hashes run here and now (a server runs them on a worker). */
              cr_engine_run_auth_jobs (w->room, cr_test_world_time (w), out);
              cr_test_world_room_sent (w, out);
            }
          else if (!flight->to_room)
            {
              w->delivered++;
              cr_client_engine_receive (flight->member->engine, data, len, w->room_address,
                                        w->now, out);
              cr_test_world_member_sent (w, flight->member, out);
            }
        }
      flight_free (flight);
    }
}

void
cr_test_world_tick_due (CrTestWorld *w)
{
  g_autoptr(GPtrArray) out = new_out ();

  if (w->room != NULL && cr_engine_next_deadline (w->room) <= w->now)
    {
      cr_engine_tick (w->room, cr_test_world_time (w), out);
      cr_test_world_room_sent (w, out);
    }
  for (guint round = 0; round < TICK_ROUNDS; round++)
    {
      gboolean any = FALSE;

      for (guint i = 0; i < w->members->len; i++)
        {
          CrTestMember *m = w->members->pdata[i];

          if (cr_client_engine_next_deadline (m->engine) <= w->now)
            {
              any = TRUE;
              cr_client_engine_tick (m->engine, w->now, out);
              cr_test_world_member_sent (w, m, out);
            }
        }
      cr_test_world_pump (w);
      if (!any)
        return;
    }
  g_error ("A member wants a tick at once, forever");
}

void
cr_test_world_run_for (CrTestWorld *w,
                       gint64       us)
{
  gint64 end = w->now + us;

  cr_test_world_tick_due (w);
  while (w->now < end)
    {
      w->now += CR_TEST_WORLD_STEP;
      cr_test_world_tick_due (w);
    }
}

CrTestMember *
cr_test_world_add (CrTestWorld *w,
                   const char  *name,
                   const char  *password,
                   gboolean     do_register)
{
  g_autoptr(GPtrArray) out = new_out ();
  CrTestMember *m = g_new0 (CrTestMember, 1);
  CrClientJoin join = { name, password, do_register, NULL, "127.0.0.1:10024", 0,
                        .plaintext = w->config.identity == NULL };

  m->engine = cr_client_engine_new ((guint64) (w->members->len + 1) << 32);
  m->address = cr_test_socket_address ("127.0.0.1", 40000 + w->members->len);
  m->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_client_output_free);
  m->no_probe = w->lose_probes;
  g_ptr_array_add (w->members, m);

  g_assert_true (cr_client_engine_join (m->engine, &join, w->now));
  cr_client_engine_start (m->engine, w->now, out);
  cr_test_world_member_sent (w, m, out);
  cr_test_world_pump (w);
  return m;
}

CrTestMember *
cr_test_world_join (CrTestWorld *w,
                    const char  *name,
                    const char  *password,
                    gboolean     do_register)
{
  CrTestMember *m = cr_test_world_add (w, name, password, do_register);

  for (guint i = 0; i < 1000 && cr_client_engine_get_state (m->engine) == CR_CLIENT_CONNECTING; i++)
    cr_test_world_run_for (w, CR_TEST_WORLD_STEP);
  return m;
}
