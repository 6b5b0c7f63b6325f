/* bench-login-storm.c: chat latency while strangers guess passwords
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 10: "20 concurrent wrong-password logins while two members chat:
 * chat never delayed more than 50 ms". Spawns build/src/chatroomd on
 * 127.0.0.1 with a fresh data folder (so Argon2id at the room's real,
 * "interactive" cost: cr-engine-auth.c), registers the names to guess,
 * and joins two members (CrClient) that take turns saying a timestamped
 * line every 50 ms (20 lines a second). Each line's latency is the time
 * from its sending to its arrival at the other member. Meanwhile, from
 * another thread (its own main context, its own CrClients, each on its
 * own port), in bounded phases with calm between them:
 *   burst-one   20 wrong-password JOINs for one registered name at once;
 *   burst-many  20 at once, each for a different registered name, so that
 *               20 Argon2id hashes are wanted at the same moment;
 *   steady      20 guesses a second for 10 s for one name, 40 clients at
 *               a time.
 * Prints, per phase: the chat lines' p50/p99/max latency and how many
 * took over 50 ms; and how the guesses ended: hashed (refused "wrong
 * password" after an Argon2id), backed off (refused "too fast" before any
 * hash), or unanswered. Figures, not a test: see bench/README.md.
 */
#define G_LOG_DOMAIN "bench-login-storm"

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

#define SAY_EVERY_MS     50        /* the two members together: 20 lines/s */
#define CALM_MS          2000
#define BURST            20
#define STEADY_RATE      20        /* guesses a second */
#define STEADY_S         10
#define STEADY_CLIENTS   40        /* at most this many guessing at once */
#define PHASE_LIMIT_S    40        /* no phase runs longer, whatever happens */
#define SLOW_MS          50        /* the goal */

typedef enum {
  PHASE_CALM_BEFORE,
  PHASE_BURST_ONE,
  PHASE_CALM_1,
  PHASE_BURST_MANY,
  PHASE_CALM_2,
  PHASE_STEADY,
  PHASE_CALM_AFTER,
  N_PHASES
} Phase;

static const char * const phase_names[N_PHASES] = {
  "calm, before", "burst-one", "calm", "burst-many", "calm", "steady", "calm, after",
};

typedef struct
{
  GMainLoop  *loop;
  char       *address;
  CrClient   *members[2];
  guint       said;
  Phase       phase;               /* the phase lines are now said in */
  GArray     *latency[N_PHASES];   /* gint64 µs, by the phase a line was said in */
} Bench;

/* One guessing phase, run by the storm thread. */
typedef struct
{
  const char *address;
  Phase       phase;
  GMainLoop  *loop;
  guint       started;
  guint       finished;
  guint       running;
  guint       hashed;              /* refused WRONG_PASSWORD: an Argon2id ran */
  guint       backed_off;          /* refused RATE_LIMITED: no hash */
  guint       unanswered;          /* NO_ANSWER: dropped while the hashes were full */
  guint       other;
  gint64      steady_until;
  gint        done;                /* atomic */
} Storm;

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
  guint slow = 0;

  if (latency->len == 0)
    {
      printf ("  %-13s no lines\n", what);
      return;
    }
  g_array_sort (latency, cmp_gint64);
  for (guint i = 0; i < latency->len; i++)
    slow += g_array_index (latency, gint64, i) > SLOW_MS * 1000;
  printf ("  %-13s %4u lines: p50 %5.1f ms, p99 %5.1f ms, max %6.1f ms, over %d ms: %u\n",
          what, latency->len,
          g_array_index (latency, gint64, latency->len / 2) / 1000.0,
          g_array_index (latency, gint64, (latency->len * 99) / 100) / 1000.0,
          g_array_index (latency, gint64, latency->len - 1) / 1000.0, SLOW_MS, slow);
}

/* The chat -------------------------------------------------------------- */

static void
on_message_received (CrClient  *client,
                     CrMessage *message,
                     Bench     *b)
{
  guint sender, phase;
  gint64 sent_at;

  if (cr_message_get_kind (message) != CR_EVENT_CHAT ||
      sscanf (cr_message_get_text (message), "m%u p%u %" G_GINT64_FORMAT,
              &sender, &phase, &sent_at) != 3 ||
      sender > 1 || phase >= N_PHASES || b->members[sender] == client)
    return;
  g_array_append_val (b->latency[phase], (gint64) { g_get_monotonic_time () - sent_at });
}

static gboolean
on_say (gpointer user_data)
{
  Bench *b = user_data;
  guint who = b->said++ % 2;
  g_autofree char *text = g_strdup_printf ("m%u p%u %" G_GINT64_FORMAT, who, b->phase,
                                           g_get_monotonic_time ());
  g_autoptr(GError) error = NULL;

  if (cr_client_send (b->members[who], text, &error) == NULL)
    g_error ("A member could not speak: %s", error->message);
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

typedef struct
{
  GMainLoop *loop;
  guint      waiting;
} Joining;

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Joining *j = user_data;
  g_autoptr(GError) error = NULL;

  if (!cr_client_join_finish (CR_CLIENT (source), result, &error))
    g_error ("Could not join or register %s: %s", cr_client_get_name (CR_CLIENT (source)),
             error->message);
  if (--j->waiting == 0)
    g_main_loop_quit (j->loop);
}

/* The guessers ---------------------------------------------------------- */

static void
on_guess_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Storm *s = user_data;
  g_autoptr(GError) error = NULL;

  if (cr_client_join_finish (CR_CLIENT (source), result, &error))
    g_error ("A wrong password got in");
  if (error->domain == CR_CLIENT_ERROR && error->code == CR_REASON_WRONG_PASSWORD)
    s->hashed++;
  else if (error->domain == CR_CLIENT_ERROR && error->code == CR_REASON_RATE_LIMITED)
    s->backed_off++;
  else if (error->domain == CR_CLIENT_ERROR && error->code == CR_REASON_NO_ANSWER)
    s->unanswered++;
  else
    s->other++;
  s->finished++;
  s->running--;
  g_object_unref (source);
  if (s->finished == s->started && g_get_monotonic_time () >= s->steady_until)
    g_main_loop_quit (s->loop);
}

static void
guess (Storm      *s,
       const char *name)
{
  CrClient *client = cr_client_new ();

  s->started++;
  s->running++;
  cr_client_join_async (client, s->address, name, "not-the-password", FALSE, NULL, NULL,
                        on_guess_done, s);
}

static gboolean
on_steady_guess (gpointer user_data)
{
  Storm *s = user_data;

  if (g_get_monotonic_time () >= s->steady_until)
    {
      if (s->finished == s->started)
        g_main_loop_quit (s->loop);
      return G_SOURCE_REMOVE;
    }
  if (s->running < STEADY_CLIENTS)
    guess (s, "steady");
  return G_SOURCE_CONTINUE;
}

static gpointer
storm_thread (gpointer user_data)
{
  Storm *s = user_data;
  GMainContext *context = g_main_context_new ();
  GSource *limit = g_timeout_source_new_seconds (PHASE_LIMIT_S);

  g_main_context_push_thread_default (context);
  s->loop = g_main_loop_new (context, FALSE);
  g_source_set_callback (limit, on_timeout_quit, s->loop, NULL);
  g_source_attach (limit, context);

  switch (s->phase)
    {
    case PHASE_BURST_ONE:
      for (guint i = 0; i < BURST; i++)
        guess (s, "victim");
      break;
    case PHASE_BURST_MANY:
      for (guint i = 0; i < BURST; i++)
        {
          g_autofree char *name = g_strdup_printf ("user%u", i);

          guess (s, name);
        }
      break;
    case PHASE_STEADY:
      {
        GSource *tick = g_timeout_source_new (1000 / STEADY_RATE);

        s->steady_until = g_get_monotonic_time () + STEADY_S * G_USEC_PER_SEC;
        g_source_set_callback (tick, on_steady_guess, s, NULL);
        g_source_attach (tick, context);
        g_source_unref (tick);
      }
      break;
    case PHASE_CALM_BEFORE:
    case PHASE_CALM_1:
    case PHASE_CALM_2:
    case PHASE_CALM_AFTER:
    case N_PHASES:
    default:
      g_assert_not_reached ();
    }

  g_main_loop_run (s->loop);
  if (s->finished < s->started)
    g_printerr ("%u guesses still waiting after %d s\n", s->started - s->finished, PHASE_LIMIT_S);

  g_source_destroy (limit);
  g_source_unref (limit);
  /* Clients still joining hold a reference until they finish: let them. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_loop_unref (s->loop);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_set (&s->done, TRUE);
  return NULL;
}

static void
run_storm (Bench *b,
           Phase  phase)
{
  Storm s = { .address = b->address, .phase = phase };
  g_autoptr(GThread) thread = NULL;
  gint64 start = g_get_monotonic_time ();

  b->phase = phase;
  thread = g_thread_new ("storm", storm_thread, &s);
  while (!g_atomic_int_get (&s.done))
    g_main_context_iteration (NULL, TRUE);   /* the chat ticks every 50 ms */
  g_thread_join (g_steal_pointer (&thread));
  printf ("%-11s %3u guesses in %4.1f s: %u hashed, %u backed off, %u unanswered, %u other\n",
          phase_names[phase], s.started, (g_get_monotonic_time () - start) / 1e6,
          s.hashed, s.backed_off, s.unanswered, s.other);
  b->phase = phase + 1;
  run_for (b, CALM_MS);
}

static guint16
free_port (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) bound = NULL;

  if (socket == NULL || !g_socket_bind (socket, any, FALSE, NULL))
    g_error ("no free port");
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Joins (or registers) every name at once and waits; leaves again when
 * members is NULL. */
static void
join_all (Bench       *b,
          const char **names,
          guint        n,
          gboolean     do_register,
          CrClient   **members)
{
  Joining j = { b->loop, n };
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      CrClient *client = cr_client_new ();

      g_ptr_array_add (clients, client);
      cr_client_join_async (client, b->address, names[i], do_register ? "the-password" : NULL,
                            do_register, NULL, NULL, on_joined, &j);
    }
  g_main_loop_run (b->loop);
  for (guint i = 0; i < n; i++)
    {
      if (members != NULL)
        members[i] = g_object_ref (clients->pdata[i]);
      else
        cr_client_leave (clients->pdata[i]);
    }
  if (members == NULL)
    run_for (b, 300);   /* the leaves go out */
}

int
main (int   argc,
      char *argv[])
{
  const char *daemon = argc > 1 ? argv[1] : BUILD_ROOT "/src/chatroomd";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bench-login-storm-XXXXXX", &error);
  g_autoptr(GSubprocess) room = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_free);
  const char *member_names[2] = { "m0", "m1" };
  Bench b = { 0 };
  guint say_id;

  setlocale (LC_ALL, "C.UTF-8");
  g_assert_no_error (error);
  b.address = g_strdup_printf ("127.0.0.1:%u", free_port ());
  room = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                           G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                           daemon, "--listen", b.address, "--data-dir", dir,
                           "--room-name", "Storm", NULL);
  if (room == NULL)
    g_error ("Could not start %s: %s", daemon, error->message);

  b.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < N_PHASES; i++)
    b.latency[i] = g_array_new (FALSE, FALSE, sizeof (gint64));
  run_for (&b, 300);   /* the room opens its socket */

  /* The names to guess, registered (a hash each) before anyone chats. */
  g_ptr_array_add (accounts, g_strdup ("victim"));
  g_ptr_array_add (accounts, g_strdup ("steady"));
  for (guint i = 0; i < BURST; i++)
    g_ptr_array_add (accounts, g_strdup_printf ("user%u", i));
  for (guint i = 0; i < accounts->len; i += 4)
    join_all (&b, (const char **) accounts->pdata + i, MIN (4, accounts->len - i), TRUE, NULL);

  join_all (&b, member_names, 2, FALSE, b.members);
  for (guint i = 0; i < 2; i++)
    g_signal_connect (b.members[i], "message-received", G_CALLBACK (on_message_received), &b);

  printf ("two members, a line every %d ms between them; Argon2id at the room's own cost\n",
          SAY_EVERY_MS);
  say_id = g_timeout_add (SAY_EVERY_MS, on_say, &b);
  b.phase = PHASE_CALM_BEFORE;
  run_for (&b, CALM_MS);
  run_storm (&b, PHASE_BURST_ONE);
  run_storm (&b, PHASE_BURST_MANY);
  run_storm (&b, PHASE_STEADY);
  g_source_remove (say_id);
  run_for (&b, 500);   /* the last lines land */

  printf ("chat latency, by the phase a line was said in:\n");
  for (guint i = 0; i < N_PHASES; i++)
    print_latency (phase_names[i], b.latency[i]);

  for (guint i = 0; i < 2; i++)
    {
      cr_client_leave (b.members[i]);
      g_object_unref (b.members[i]);
    }
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
  for (guint i = 0; i < N_PHASES; i++)
    g_array_unref (b.latency[i]);
  g_main_loop_unref (b.loop);
  g_free (b.address);
  return 0;
}
