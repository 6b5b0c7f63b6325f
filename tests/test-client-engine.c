/* test-client-engine.c: a member's packet path (CrClientEngine) against the
 * room's (CrEngine) in one process, no socket, a fake clock; and against a
 * room written by hand, byte by byte, that lies.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-client-dialect.h"
#include "cr-client-engine.h"
#include "cr-classic.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-store.h"
#include "cr-store-private.h"
#include "cr-test-utils.h"
#include "cr-test-world.h"


/* ------------------------------------------------------------------ */
/* Outputs                                                            */

static GPtrArray *
new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

static void
drain (CrClientEngine *engine,
       GPtrArray      *outputs)
{
  CrClientOutput *output;

  while ((output = cr_client_engine_pop_output (engine)) != NULL)
    g_ptr_array_add (outputs, output);
}

static guint
count_outputs (GPtrArray          *outputs,
               CrClientOutputKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < outputs->len; i++)
    n += ((CrClientOutput *) outputs->pdata[i])->kind == kind;
  return n;
}

static CrClientOutput *
last_output (GPtrArray          *outputs,
             CrClientOutputKind  kind)
{
  for (guint i = outputs->len; i > 0; i--)
    if (((CrClientOutput *) outputs->pdata[i - 1])->kind == kind)
      return outputs->pdata[i - 1];
  return NULL;
}

/* EVENT outputs of kind (0: any) about name (NULL: anyone) saying text
 * (NULL: anything). */
static guint
count_events (GPtrArray   *outputs,
              CrEventKind  kind,
              const char  *name,
              const char  *text)
{
  guint n = 0;

  for (guint i = 0; i < outputs->len; i++)
    {
      CrClientOutput *output = outputs->pdata[i];

      if (output->kind != CR_CLIENT_OUTPUT_EVENT)
        continue;
      if ((kind == 0 || output->event->kind == kind) &&
          (name == NULL || g_strcmp0 (output->event->name, name) == 0) &&
          (text == NULL || g_strcmp0 (output->event->text, text) == 0))
        n++;
    }
  return n;
}

static CrClientOutput *
find_event (GPtrArray   *outputs,
            CrEventKind  kind,
            const char  *name)
{
  for (guint i = 0; i < outputs->len; i++)
    {
      CrClientOutput *output = outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_EVENT && output->event->kind == kind &&
          g_strcmp0 (output->event->name, name) == 0)
        return output;
    }
  g_error ("No event %u about %s", kind, name);
  return NULL;
}

static gboolean
has_member (CrClientEngine *engine,
            const char     *name)
{
  GPtrArray *members = cr_client_engine_get_members (engine);

  for (guint i = 0; i < members->len; i++)
    if (g_strcmp0 (((CrClientMember *) members->pdata[i])->name, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
out_has_text (GPtrArray  *out,
              const char *text)
{
  for (guint i = 0; i < out->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (((CrDatagram *) out->pdata[i])->data, &len);

      if (len == strlen (text) && memcmp (data, text, len) == 0)
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* A world: one CrEngine, members, datagrams passed by hand           */

/* cr-test-world.h: one CrEngine, members, datagrams passed by hand. */

static void
world_init (CrTestWorld *w)
{
  g_autoptr(GError) error = NULL;

  cr_test_world_init (w, NULL);
  g_assert_true (cr_test_world_open (w, &error));
  g_assert_no_error (error);
}

static void
member_say (CrTestWorld  *w,
            CrTestMember *m,
            const char   *text)
{
  g_autoptr(GPtrArray) out = new_out ();

  g_assert_cmpuint (cr_client_engine_send (m->engine, text, w->now, out), !=, 0);
  cr_test_world_member_sent (w, m, out);
  cr_test_world_pump (w);
}

/* ------------------------------------------------------------------ */
/* Against the real room                                              */

static void
test_native_join (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  CrClientOutput *identity;
  CrClientEngineStats stats;

  world_init (&w);
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_engine_get_dialect (alice->engine), ==, CR_DIALECT_NATIVE);
  g_assert_cmpuint (count_outputs (alice->outputs, CR_CLIENT_OUTPUT_JOINED), ==, 1);
  identity = last_output (alice->outputs, CR_CLIENT_OUTPUT_IDENTITY);
  g_assert_nonnull (identity);
  g_assert_cmpstr (identity->room_name, ==, "Test");
  g_assert_cmpstr (identity->name, ==, "alice");
  g_assert_cmpint (identity->dialect, ==, CR_DIALECT_NATIVE);
  g_assert_true (has_member (alice->engine, "alice"));
  g_assert_true (((CrClientMember *) cr_client_engine_get_members (alice->engine)->pdata[0])->is_self);

  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CONNECTED);
  /* alice's join is history for bob (not news), bob's is news for alice. */
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_JOIN, "alice", NULL), ==, 1);
  g_assert_false (find_event (bob->outputs, CR_EVENT_JOIN, "alice")->announce);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_JOIN, "bob", NULL), ==, 1);
  g_assert_true (last_output (alice->outputs, CR_CLIENT_OUTPUT_EVENT)->announce);
  g_assert_true (has_member (alice->engine, "bob"));
  g_assert_true (has_member (bob->engine, "alice"));

  member_say (&w, bob, "hello alice");
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "bob", "hello alice"), ==, 1);
  /* bob's own message comes back as SENT, not as a second row. */
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_CHAT, "bob", NULL), ==, 0);
  g_assert_cmpuint (count_outputs (bob->outputs, CR_CLIENT_OUTPUT_SENT), ==, 1);
  g_assert_cmpuint (cr_client_engine_get_n_pending (bob->engine), ==, 0);

  /* Quiet for a minute: keepalives keep both in. */
  cr_test_world_run_for (&w, 60 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CONNECTED);

  /* bob leaves: LEAVING, the room acks, CLOSED with NONE; alice sees it. */
  {
    g_autoptr(GPtrArray) out = new_out ();

    cr_client_engine_leave (bob->engine, w.now, out);
    g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_LEAVING);
    cr_test_world_member_sent (&w, bob, out);
    cr_test_world_pump (&w);
  }
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpint (last_output (bob->outputs, CR_CLIENT_OUTPUT_CLOSED)->reason, ==, CR_REASON_NONE);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_LEAVE, "bob", NULL), ==, 1);
  g_assert_false (has_member (alice->engine, "bob"));

  cr_client_engine_get_stats (alice->engine, &stats);
  g_assert_cmpuint (stats.malformed + stats.spoofed + stats.rejected, ==, 0);
  cr_test_world_clear (&w);
}

/* Our room speaks classic too: with the probes lost, the member falls back
 * to "N name" after a fifth of the join timeout and is a classic member. */
static void
test_classic_join_room (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  gint64 start;

  world_init (&w);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  w.lose_probes = TRUE;
  alice = cr_test_world_add (&w, "alice", NULL, FALSE);
  start = w.now;
  while (cr_client_engine_get_state (alice->engine) == CR_CLIENT_CONNECTING &&
         w.now - start < 10 * G_TIME_SPAN_SECOND)
    cr_test_world_run_for (&w, CR_TEST_WORLD_STEP);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_engine_get_dialect (alice->engine), ==, CR_DIALECT_CLASSIC);
  g_assert_cmpint (w.now - start, >=, G_TIME_SPAN_SECOND);
  g_assert_cmpstr (cr_client_engine_get_room_name (alice->engine), ==, "127.0.0.1:10024");
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_JOIN, "alice", NULL), ==, 1);

  /* Lines of the room's zh_CN table, parsed back into events. */
  member_say (&w, bob, "你好 alice");
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "bob", "你好 alice"), ==, 1);

  member_say (&w, alice, "hi bob");
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_CHAT, "alice", "hi bob"), ==, 1);
  /* Classic: sent at once, and the room's echo is no second row. */
  g_assert_cmpuint (count_outputs (alice->outputs, CR_CLIENT_OUTPUT_SENT), ==, 1);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "alice", NULL), ==, 0);

  {
    g_autoptr(GPtrArray) out = new_out ();

    cr_client_engine_leave (alice->engine, w.now, out);
    g_assert_true (out_has_text (out, "Q alice"));
    cr_test_world_member_sent (&w, alice, out);
    cr_test_world_pump (&w);
  }
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_LEAVE, "alice", NULL), ==, 1);
  cr_test_world_clear (&w);
}

static void
assert_refused (CrTestMember *m,
                CrReason      reason)
{
  CrClientOutput *failed = last_output (m->outputs, CR_CLIENT_OUTPUT_JOIN_FAILED);

  g_assert_cmpint (cr_client_engine_get_state (m->engine), ==, CR_CLIENT_CLOSED);
  g_assert_nonnull (failed);
  g_assert_cmpint (failed->reason, ==, reason);
  g_assert_cmpint (cr_client_engine_get_close_reason (m->engine), ==, reason);
  g_assert_cmpuint (count_outputs (m->outputs, CR_CLIENT_OUTPUT_JOINED), ==, 0);
  g_assert_cmpuint (count_outputs (m->outputs, CR_CLIENT_OUTPUT_CLOSED), ==, 1);
}

static void
test_refusals (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *other, *bob;
  CrReason reason;

  world_init (&w);
  alice = cr_test_world_join (&w, "alice", "secret-1", TRUE);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);

  other = cr_test_world_join (&w, "ALICE", NULL, FALSE);
  assert_refused (other, CR_REASON_NAME_TAKEN);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  other = cr_test_world_join (&w, "Bob", NULL, FALSE);
  assert_refused (other, CR_REASON_NAME_TAKEN);

  /* alice's account outlives her visit. */
  {
    g_autoptr(GPtrArray) out = new_out ();

    cr_client_engine_leave (alice->engine, w.now, out);
    cr_test_world_member_sent (&w, alice, out);
    cr_test_world_pump (&w);
  }
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CLOSED);
  other = cr_test_world_join (&w, "ALICE", NULL, FALSE);
  assert_refused (other, CR_REASON_NAME_REGISTERED);
  other = cr_test_world_join (&w, "alice", "wrong-one", FALSE);
  assert_refused (other, CR_REASON_WRONG_PASSWORD);
  other = cr_test_world_join (&w, "carol", "secret-2", FALSE);
  assert_refused (other, CR_REASON_NOT_REGISTERED);
  alice = cr_test_world_join (&w, "Alice", "secret-1", FALSE);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);

  /* The owner bans bob: he is told (BANNED) and may not come back. */
  {
    g_autoptr(GPtrArray) out = new_out ();

    g_assert_true (cr_engine_owner_act (w.room, CR_OWNER_BAN, "bob", cr_test_world_time (&w), out,
                                        &reason));
    cr_test_world_room_sent (&w, out);
    cr_test_world_pump (&w);
  }
  cr_test_world_run_for (&w, 100 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CLOSED);
  g_assert_cmpint (cr_client_engine_get_close_reason (bob->engine), ==, CR_REASON_BANNED);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_BAN, "bob", NULL), ==, 1);
  g_assert_false (has_member (alice->engine, "bob"));
  other = cr_test_world_join (&w, "bob", NULL, FALSE);
  assert_refused (other, CR_REASON_BANNED);

  /* Nobody there at all. */
  {
    CrTestWorld empty = { 0 };

    world_init (&empty);
    other = cr_test_world_add (&empty, "dave", NULL, FALSE);
    other->cut = TRUE;
    cr_test_world_run_for (&empty, 6 * G_TIME_SPAN_SECOND);
    assert_refused (other, CR_REASON_NO_ANSWER);
    cr_test_world_clear (&empty);
  }
  cr_test_world_clear (&w);
}

/* The room hears nothing from alice for longer than her patience (but
 * less than its own): she rejoins with her resume token, catches up on
 * what was said, without leave or join lines, and what she typed while
 * away goes out once. */
static void
test_resume (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  CrClientOutput *sent;
  guint64 origin;

  world_init (&w);
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  member_say (&w, bob, "before");

  alice->cut = TRUE;
  cr_test_world_run_for (&w, 7 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_RECONNECTING);
  member_say (&w, bob, "while away");
  {
    g_autoptr(GPtrArray) out = new_out ();

    origin = cr_client_engine_send (alice->engine, "typed while away", w.now, out);
    g_assert_cmpuint (origin, !=, 0);
    g_assert_cmpuint (out->len, ==, 0);   /* held until the room is back */
  }
  g_assert_cmpuint (cr_client_engine_get_n_pending (alice->engine), ==, 1);

  alice->cut = FALSE;
  cr_test_world_run_for (&w, 5 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "bob", "before"), ==, 1);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "bob", "while away"), ==, 1);
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_CHAT, "alice", "typed while away"), ==, 1);
  sent = last_output (alice->outputs, CR_CLIENT_OUTPUT_SENT);
  g_assert_nonnull (sent);
  g_assert_cmpuint (sent->origin, ==, origin);
  g_assert_cmpuint (cr_client_engine_get_n_pending (alice->engine), ==, 0);
  /* A resumed membership: bob saw no one go or come. */
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_LEAVE, "alice", NULL), ==, 0);
  g_assert_cmpuint (count_events (bob->outputs, CR_EVENT_TIMEOUT, "alice", NULL), ==, 0);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_JOIN, "alice", NULL), ==, 1);
  cr_test_world_clear (&w);
}

/* The room restarts on its store: alice's session is unknown to it, it
 * says so, she joins again and is given what she missed from its history:
 * nothing lost, nothing twice. */
static void
test_resync_after_restart (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *carol;
  guint64 seq;

  world_init (&w);
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  member_say (&w, alice, "one");
  cr_test_world_run_for (&w, G_TIME_SPAN_SECOND);
  seq = cr_client_engine_get_last_seq (alice->engine);
  g_assert_cmpuint (seq, >=, 2);

  alice->cut = TRUE;
  cr_engine_free (w.room);
  w.room = cr_engine_new (&w.config, w.store);
  carol = cr_test_world_join (&w, "carol", NULL, FALSE);
  member_say (&w, carol, "two");
  alice->cut = FALSE;
  cr_test_world_run_for (&w, 8 * G_TIME_SPAN_SECOND);

  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (count_outputs (alice->outputs, CR_CLIENT_OUTPUT_JOINED), ==, 1);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_JOIN, "carol", NULL), ==, 1);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "carol", "two"), ==, 1);
  g_assert_cmpuint (count_outputs (alice->outputs, CR_CLIENT_OUTPUT_SENT), ==, 1);
  g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "alice", "one"), ==, 0);
  g_assert_true (has_member (alice->engine, "carol"));
  g_assert_cmpuint (cr_client_engine_get_last_seq (alice->engine), >, seq);

  /* Every event she was shown, in order, once. */
  {
    guint64 last = 0;

    for (guint i = 0; i < alice->outputs->len; i++)
      {
        CrClientOutput *output = alice->outputs->pdata[i];

        if (output->kind != CR_CLIENT_OUTPUT_EVENT)
          continue;
        g_assert_cmpuint (output->event->seq, >, last);
        last = output->event->seq;
      }
  }
  cr_test_world_clear (&w);
}

/* Every datagram from the room twice, each batch last first: the member
 * shows each event once, in the room's order, and counts the rest. */
static void
test_duplicates_reordered (void)
{
  CrTestWorld w = { 0 };
  CrTestMember *alice, *bob;
  CrClientEngineStats stats;
  guint64 last = 0;
  guint n = 0;

  world_init (&w);
  w.mangle = TRUE;
  alice = cr_test_world_join (&w, "alice", NULL, FALSE);
  bob = cr_test_world_join (&w, "bob", NULL, FALSE);
  g_assert_cmpint (cr_client_engine_get_state (alice->engine), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_engine_get_state (bob->engine), ==, CR_CLIENT_CONNECTED);

  /* A burst the room sends in one go (one batch, reversed on the way). */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);
      g_autoptr(GPtrArray) out = new_out ();

      cr_client_engine_send (bob->engine, text, w.now, out);
      cr_test_world_member_sent (&w, bob, out);
    }
  {
    g_autoptr(GPtrArray) out = new_out ();

    cr_client_engine_tick (bob->engine, w.now, out);
    cr_test_world_member_sent (&w, bob, out);
    cr_test_world_pump (&w);
  }
  cr_test_world_run_for (&w, 2 * G_TIME_SPAN_SECOND);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);

      g_assert_cmpuint (count_events (alice->outputs, CR_EVENT_CHAT, "bob", text), ==, 1);
    }
  for (guint i = 0; i < alice->outputs->len; i++)
    {
      CrClientOutput *output = alice->outputs->pdata[i];

      if (output->kind != CR_CLIENT_OUTPUT_EVENT || output->event->kind != CR_EVENT_CHAT)
        continue;
      g_assert_cmpuint (output->event->seq, >, last);
      last = output->event->seq;
      n++;
    }
  g_assert_cmpuint (n, ==, 20);
  g_assert_cmpuint (count_outputs (bob->outputs, CR_CLIENT_OUTPUT_SENT), ==, 20);
  cr_client_engine_get_stats (alice->engine, &stats);
  /* A copy of a sealed datagram stops at the replay window (cr-crypto.h). */
  g_assert_cmpuint (stats.stale + stats.replayed, >=, 20);
  g_assert_cmpuint (stats.malformed + stats.rejected, ==, 0);
  cr_test_world_clear (&w);
}

/* ------------------------------------------------------------------ */
/* A room by hand                                                     */

#define HAND_SESSION 0x5eed0001u
#define HAND_COOKIE  0x0badcafeu

typedef struct
{
  CrClientEngine *client;
  GPtrArray      *out;        /* the member's datagrams */
  GPtrArray      *outputs;
  CrReliable     *rel;        /* the room's side of the session */
  GSocketAddress *room;
  gint64          now;
} Hand;

static void
hand_init (Hand *h)
{
  /* Literal datagrams: the plaintext native dialect. */
  CrClientJoin join = { "alice", NULL, FALSE, NULL, "192.0.2.1:10024", 0, .plaintext = TRUE };

  h->client = cr_client_engine_new (G_GUINT64_CONSTANT (7) << 32);
  h->out = new_out ();
  h->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_client_output_free);
  h->room = cr_test_socket_address ("127.0.0.1", 10024);
  h->now = CR_TEST_WORLD_T0;
  g_assert_true (cr_client_engine_join (h->client, &join, h->now));
  cr_client_engine_start (h->client, h->now, h->out);
  drain (h->client, h->outputs);
}

static void
hand_clear (Hand *h)
{
  cr_client_engine_free (h->client);
  g_ptr_array_unref (h->out);
  g_ptr_array_unref (h->outputs);
  g_clear_pointer (&h->rel, cr_reliable_free);
  g_object_unref (h->room);
}

static void
hand_feed (Hand       *h,
           const void *data,
           gsize       len)
{
  cr_client_engine_receive (h->client, data, len, h->room, h->now, h->out);
  drain (h->client, h->outputs);
}

static void
hand_feed_text (Hand       *h,
                const char *text)
{
  hand_feed (h, text, strlen (text));
}

static void
hand_tick (Hand *h)
{
  cr_client_engine_tick (h->client, h->now, h->out);
  drain (h->client, h->outputs);
}

/* A reliable message on the session, as the room would send it. */
static void
hand_send_on (Hand         *h,
              guint32       session,
              CrPacketType  type,
              GBytes       *body)
{
  g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  cr_reliable_send (h->rel, type, body);
  cr_reliable_flush (h->rel, session, h->now, datagrams);
  for (guint i = 0; i < datagrams->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

      hand_feed (h, data, len);
    }
}

static void
hand_send (Hand         *h,
           CrPacketType  type,
           GBytes       *body)
{
  hand_send_on (h, HAND_SESSION, type, body);
}

static void
hand_event (Hand        *h,
            guint64      seq,
            CrEventKind  kind,
            const char  *name,
            const char  *text)
{
  g_autoptr(CrEvent) event = cr_event_new (seq, 1, kind, name, text, 0);
  g_autoptr(GBytes) body = cr_body_event (event);

  hand_send (h, CR_PACKET_EVENT, body);
}

static CrClientEngineStats
hand_stats (Hand *h)
{
  CrClientEngineStats stats;

  cr_client_engine_get_stats (h->client, &stats);
  return stats;
}

/* The join, every byte the room says written out. */
static void
hand_join (Hand *h)
{
  static const guint8 ping[CR_HEADER_SIZE] = {
    0xcb, 0x52, 0x01, CR_PACKET_PING, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,             /* session 0 */
    0x00, 0x00, 0x00, 0x00,             /* unreliable */
    0x0b, 0xad, 0xca, 0xfe,             /* ack: the cookie */
    0x00, 0x00, 0x00, 0x00,
  };
  g_autoptr(GBytes) welcome = cr_body_welcome ("By hand", "alice", "tok", CR_ROLE_MEMBER, 0);
  CrMembersBuilder *builder;
  g_autoptr(GBytes) members = NULL;
  const guint8 *join;
  gsize len;

  /* The member speaks first, in text. */
  g_assert_cmpuint (h->out->len, ==, 1);
  g_assert_true (out_has_text (h->out, "CHATROOM-HELLO 1"));
  g_ptr_array_set_size (h->out, 0);

  hand_feed (h, ping, sizeof ping);
  hand_tick (h);
  g_assert_cmpuint (h->out->len, ==, 1);
  join = g_bytes_get_data (((CrDatagram *) h->out->pdata[0])->data, &len);
  g_assert_cmpuint (len, >, CR_HEADER_SIZE);
  g_assert_cmpint (join[0], ==, 0xcb);
  g_assert_cmpint (join[3], ==, CR_PACKET_JOIN);
  g_assert_cmpmem (join + 16, 4, ping + 16, 4);   /* the cookie comes back */
  g_ptr_array_set_size (h->out, 0);

  h->rel = cr_reliable_new ();
  hand_send (h, CR_PACKET_WELCOME, welcome);
  builder = cr_members_builder_new (0);
  cr_members_builder_add (builder, "alice", CR_ROLE_MEMBER, 0);
  cr_members_builder_add (builder, "bob", CR_ROLE_OWNER, CR_MEMBER_REGISTERED);
  members = cr_members_builder_end (builder);
  hand_send (h, CR_PACKET_MEMBERS, members);

  g_assert_cmpint (cr_client_engine_get_state (h->client), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (count_outputs (h->outputs, CR_CLIENT_OUTPUT_JOINED), ==, 1);
  g_assert_cmpstr (cr_client_engine_get_room_name (h->client), ==, "By hand");
  g_assert_cmpuint (cr_client_engine_get_members (h->client)->len, ==, 2);
}

static void
test_hand_native (void)
{
  Hand h = { 0 };
  CrClientEngineStats before, after;

  hand_init (&h);
  hand_join (&h);

  hand_event (&h, 5, CR_EVENT_CHAT, "bob", "hello");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "bob", "hello"), ==, 1);
  g_assert_cmpuint (cr_client_engine_get_last_seq (h.client), ==, 5);

  /* The same event again in a new packet (a room resending history):
   * shown once. An older one: not shown. */
  before = hand_stats (&h);
  hand_event (&h, 5, CR_EVENT_CHAT, "bob", "hello");
  hand_event (&h, 3, CR_EVENT_CHAT, "bob", "older");
  after = hand_stats (&h);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "bob", NULL), ==, 1);
  g_assert_cmpuint (after.stale, ==, before.stale + 2);

  /* Member events follow the list. */
  hand_event (&h, 6, CR_EVENT_JOIN, "carol", "");
  g_assert_true (has_member (h.client, "carol"));
  hand_event (&h, 7, CR_EVENT_MUTE, "carol", "");
  g_assert_cmpuint (count_outputs (h.outputs, CR_CLIENT_OUTPUT_MEMBER_CHANGED), ==, 1);
  hand_event (&h, 8, CR_EVENT_KICK, "carol", "");
  g_assert_false (has_member (h.client, "carol"));

  /* A refusal of our message: FAILED for that origin. */
  {
    g_autoptr(GBytes) notice = NULL;
    guint64 origin = cr_client_engine_send (h.client, "may I?", h.now, h.out);

    g_assert_cmpuint (origin, ==, (G_GUINT64_CONSTANT (7) << 32) | 1);
    notice = cr_body_notice (CR_REASON_MUTED, origin);
    hand_send (&h, CR_PACKET_NOTICE, notice);
    g_assert_cmpint (last_output (h.outputs, CR_CLIENT_OUTPUT_FAILED)->reason, ==, CR_REASON_MUTED);
    g_assert_cmpuint (last_output (h.outputs, CR_CLIENT_OUTPUT_FAILED)->origin, ==, origin);
    g_assert_cmpuint (cr_client_engine_get_n_pending (h.client), ==, 0);
  }

  /* Kicked: BYE closes with its reason. */
  {
    g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_KICKED, "by the owner");

    hand_send (&h, CR_PACKET_BYE, bye);
    g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CLOSED);
    g_assert_cmpint (last_output (h.outputs, CR_CLIENT_OUTPUT_CLOSED)->reason, ==, CR_REASON_KICKED);
  }
  hand_clear (&h);
}

static void
test_hand_classic (void)
{
  Hand h = { 0 };
  CrClientOutput *failed;

  /* A classroom server: never answers the probe; "OK" to "N alice". */
  hand_init (&h);
  g_assert_true (out_has_text (h.out, "CHATROOM-HELLO 1"));
  g_ptr_array_set_size (h.out, 0);
  hand_feed_text (&h, "OK");   /* before "N alice": means nothing */
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTING);
  h.now += G_TIME_SPAN_SECOND;
  hand_tick (&h);
  g_assert_true (out_has_text (h.out, "N alice"));
  g_ptr_array_set_size (h.out, 0);
  hand_feed_text (&h, "OK\n");
  /* Held while the native probe goes on for another fifth of the join
   * timeout: a room of ours answers "N name" too (HACKING.md "Dialect
   * detection"). */
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTING);
  h.now += G_TIME_SPAN_SECOND;
  hand_tick (&h);
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_engine_get_dialect (h.client), ==, CR_DIALECT_CLASSIC);
  g_assert_cmpstr (cr_client_engine_get_room_name (h.client), ==, "192.0.2.1:10024");
  g_assert_true (has_member (h.client, "alice"));

  /* The classroom server's lines, and ours in both tables. */
  hand_feed_text (&h, "【系统消息】:bob 进入到聊天室");
  hand_feed_text (&h, "【系统消息】:carol 进入了聊天室");
  hand_feed_text (&h, "bob 说 :你好");
  hand_feed_text (&h, "[System] carol left the room");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "bob", NULL), ==, 1);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "carol", NULL), ==, 1);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "bob", "你好"), ==, 1);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_LEAVE, "carol", NULL), ==, 1);
  g_assert_true (has_member (h.client, "bob"));
  g_assert_false (has_member (h.client, "carol"));

  /* A burst of joins and leaves packed in one datagram (cr-engine.c):
   * each line its own event, in order. A chat text whose own line breaks
   * hold such lines stays one message: nothing passes for the room's. */
  hand_feed_text (&h, "【系统消息】:dave 进入了聊天室\n【系统消息】:erin 进入了聊天室\n"
                      "【系统消息】:dave 退出了聊天室");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "dave", NULL), ==, 1);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "erin", NULL), ==, 1);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_LEAVE, "dave", NULL), ==, 1);
  g_assert_true (has_member (h.client, "erin"));
  g_assert_false (has_member (h.client, "dave"));
  hand_feed_text (&h, "bob 说 :look\n【系统消息】:mallory 进入了聊天室");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "mallory", NULL), ==, 0);
  g_assert_false (has_member (h.client, "mallory"));

  /* Our own message: "M alice …" and SENT at once; the classroom server
   * echoes it without its spaces, which is no new row. */
  g_assert_cmpuint (cr_client_engine_send (h.client, "hi there", h.now, h.out), !=, 0);
  g_assert_true (out_has_text (h.out, "M alice hi there"));
  g_assert_cmpuint (count_outputs (h.outputs, CR_CLIENT_OUTPUT_SENT), ==, 0);
  drain (h.client, h.outputs);
  g_assert_cmpuint (count_outputs (h.outputs, CR_CLIENT_OUTPUT_SENT), ==, 1);
  hand_feed_text (&h, "alice 说 :hithere");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "alice", NULL), ==, 0);
  hand_clear (&h);

  /* The classroom server's refusal: the join fails NAME_TAKEN. */
  hand_init (&h);
  h.now += G_TIME_SPAN_SECOND;
  hand_tick (&h);
  hand_feed_text (&h, "该昵称已被占用");
  failed = last_output (h.outputs, CR_CLIENT_OUTPUT_JOIN_FAILED);
  g_assert_nonnull (failed);
  g_assert_cmpint (failed->reason, ==, CR_REASON_NAME_TAKEN);
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CLOSED);
  hand_clear (&h);

  /* A line that is no answer at all: shown as the refusal at the timeout. */
  hand_init (&h);
  h.now += G_TIME_SPAN_SECOND;
  hand_tick (&h);
  hand_feed_text (&h, "go away");
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTING);
  h.now += 5 * G_TIME_SPAN_SECOND;
  hand_tick (&h);
  failed = last_output (h.outputs, CR_CLIENT_OUTPUT_JOIN_FAILED);
  g_assert_nonnull (failed);
  g_assert_cmpint (failed->reason, ==, CR_REASON_NAME_INVALID);
  g_assert_cmpstr (failed->detail, ==, "go away");
  hand_clear (&h);
}

/* Build a datagram with a literal header and any body. */
static GBytes *
raw_datagram (CrPacketType  type,
              guint8        flags,
              guint32       session,
              guint32       number,
              const void   *body,
              gsize         body_len)
{
  CrHeader header = { CR_PROTOCOL_VERSION, type, flags, session, number, 0, 0 };

  return cr_datagram_build (&header, body, body_len);
}

static void
assert_untouched (Hand  *h,
                  guint  n_outputs)
{
  g_assert_cmpint (cr_client_engine_get_state (h->client), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (h->outputs->len, ==, n_outputs);
}

static void
test_hostile_native (void)
{
  Hand h = { 0 };
  CrClientEngineStats before, after;
  guint n_outputs;

  hand_init (&h);
  hand_join (&h);
  n_outputs = h.outputs->len;
  before = hand_stats (&h);

  /* Truncated, oversized, wrong version, unknown type: malformed. */
  {
    static const guint8 truncated[] = { 0xcb, 0x52, 0x01, 0x04, 0x01, 0x00 };
    static const guint8 version[CR_HEADER_SIZE] = { 0xcb, 0x52, 0x09, 0x04 };
    static const guint8 type[CR_HEADER_SIZE] = { 0xcb, 0x52, 0x01, 0x63 };
    g_autofree guint8 *huge = g_malloc0 (CR_DATAGRAM_MAX + 1);
    g_autoptr(GBytes) header = raw_datagram (CR_PACKET_EVENT, CR_FLAG_RELIABLE, HAND_SESSION,
                                             2, NULL, 0);

    memcpy (huge, g_bytes_get_data (header, NULL), CR_HEADER_SIZE);
    hand_feed (&h, truncated, sizeof truncated);
    hand_feed (&h, version, sizeof version);
    hand_feed (&h, type, sizeof type);
    hand_feed (&h, huge, CR_DATAGRAM_MAX + 1);
  }
  after = hand_stats (&h);
  g_assert_cmpuint (after.malformed, ==, before.malformed + 4);
  assert_untouched (&h, n_outputs);

  /* A good event under someone else's session, and from another address. */
  {
    g_autoptr(CrEvent) event = cr_event_new (40, 1, CR_EVENT_CHAT, "bob", "forged", 0);
    g_autoptr(GBytes) body = cr_body_event (event);
    gsize len;
    const guint8 *data = g_bytes_get_data (body, &len);
    g_autoptr(GBytes) forged = raw_datagram (CR_PACKET_EVENT, CR_FLAG_RELIABLE,
                                             HAND_SESSION + 1, 3, data, len);
    g_autoptr(GSocketAddress) stranger = cr_test_socket_address ("127.0.0.1", 9);

    data = g_bytes_get_data (forged, &len);
    before = hand_stats (&h);
    hand_feed (&h, data, len);
    cr_client_engine_receive (h.client, data, len, stranger, h.now, h.out);
    drain (h.client, h.outputs);
    after = hand_stats (&h);
    g_assert_cmpuint (after.spoofed, ==, before.spoofed + 2);
    assert_untouched (&h, n_outputs);
  }

  /* Well-formed bodies the room could not have sent: invalid UTF-8 in a
   * name (the body parser refuses it), control characters, an unknown
   * kind, an invalid name, a system line with text. */
  {
    g_autoptr(CrEvent) event = cr_event_new (10, 1, CR_EVENT_CHAT, "bxb", "hi", 0);
    g_autoptr(GBytes) body = cr_body_event (event);
    gsize len = g_bytes_get_size (body);
    g_autofree guint8 *bytes = g_memdup2 (g_bytes_get_data (body, NULL), len);
    guint8 *x = memchr (bytes, 'x', len);
    g_autoptr(GBytes) broken = NULL;

    g_assert_nonnull (x);
    *x = 0xff;
    broken = g_bytes_new (bytes, len);
    before = hand_stats (&h);
    hand_send (&h, CR_PACKET_EVENT, broken);
    after = hand_stats (&h);
    g_assert_cmpuint (after.malformed, ==, before.malformed + 1);
  }
  before = hand_stats (&h);
  hand_event (&h, 11, CR_EVENT_CHAT, "bob", "bell\a and escape\x1b[2J");
  hand_event (&h, 12, 99, "bob", "what is this");
  hand_event (&h, 13, CR_EVENT_CHAT, "two words", "hi");
  hand_event (&h, 14, CR_EVENT_JOIN, "mallory", "a join says nothing");
  hand_event (&h, 15, CR_EVENT_CHAT, "bob", "   ");
  after = hand_stats (&h);
  g_assert_cmpuint (after.rejected, ==, before.rejected + 5);
  assert_untouched (&h, n_outputs);
  g_assert_false (has_member (h.client, "mallory"));

  /* Member lists: too long, an invalid name, a name twice, a bad role. */
  {
    const char *bad[][2] = { { "alice", "bad name" }, { "alice", "ALICE" }, { "alice", "bob" } };

    before = hand_stats (&h);
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        CrMembersBuilder *builder = cr_members_builder_new (20);
        g_autoptr(GBytes) list = NULL;

        cr_members_builder_add (builder, bad[i][0], CR_ROLE_MEMBER, 0);
        cr_members_builder_add (builder, bad[i][1], i == 2 ? 7 : CR_ROLE_MEMBER, 0);
        list = cr_members_builder_end (builder);
        hand_send (&h, CR_PACKET_MEMBERS, list);
      }
    {
      CrMembersBuilder *builder = cr_members_builder_new (20);
      g_autoptr(GBytes) list = NULL;

      for (guint i = 0; i < CR_CLIENT_MEMBERS_MAX + 1; i++)
        {
          g_autofree char *name = g_strdup_printf ("m%u", i);

          cr_members_builder_add (builder, name, CR_ROLE_MEMBER, 0);
        }
      list = cr_members_builder_end (builder);
      g_assert_cmpuint (g_bytes_get_size (list), >, 20 * CR_DATAGRAM_MAX);
      hand_send (&h, CR_PACKET_MEMBERS, list);
    }
    after = hand_stats (&h);
    g_assert_cmpuint (after.rejected, ==, before.rejected + 4);
    assert_untouched (&h, n_outputs);
    g_assert_cmpuint (cr_client_engine_get_members (h.client)->len, ==, 2);
  }

  /* Packets a room never sends to a member, and a WELCOME for someone
   * else mid-session: nothing changes. */
  {
    g_autoptr(GBytes) chat = cr_body_chat (1, "I am the room");
    g_autoptr(GBytes) join = cr_body_join ("x", "", "", FALSE, 0, "");
    g_autoptr(GBytes) refuse = cr_body_refuse (CR_REASON_BANNED, "not now");
    gsize len;
    const guint8 *data = g_bytes_get_data (refuse, &len);
    g_autoptr(GBytes) refusal = raw_datagram (CR_PACKET_REFUSE, 0, HAND_SESSION, 0, data, len);

    before = hand_stats (&h);
    hand_send (&h, CR_PACKET_CHAT, chat);
    hand_send (&h, CR_PACKET_JOIN, join);
    data = g_bytes_get_data (refusal, &len);
    hand_feed (&h, data, len);   /* only TIMED_OUT means anything once in */
    after = hand_stats (&h);
    g_assert_cmpuint (after.rejected, ==, before.rejected + 2);
    g_assert_cmpuint (after.stale, ==, before.stale + 1);
    assert_untouched (&h, n_outputs);
  }

  /* Garbage, seeded: never a crash, never an output, every one counted. */
  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (8);
    guint8 buffer[CR_DATAGRAM_MAX + 64];

    before = hand_stats (&h);
    for (guint i = 0; i < 20000; i++)
      {
        gsize len = g_rand_int_range (rand, 0, sizeof buffer);

        for (gsize j = 0; j < len; j++)
          buffer[j] = g_rand_int (rand);
        if (i % 2 == 0 && len >= CR_HEADER_SIZE)
          {
            /* Half of them native, with our session, so they get deep. */
            buffer[0] = 0xcb;
            buffer[1] = 0x52;
            buffer[2] = 1;
            buffer[3] = 1 + i % CR_PACKET_LAST;
            buffer[4] &= 3;
            buffer[5] = buffer[6] = buffer[7] = 0;
            buffer[8] = 0x5e;
            buffer[9] = 0xed;
            buffer[10] = 0x00;
            buffer[11] = 0x01;
          }
        hand_feed (&h, buffer, len);
      }
    after = hand_stats (&h);
    g_assert_cmpuint (after.datagrams_in, ==, before.datagrams_in + 20000);
    g_assert_cmpuint ((after.malformed + after.spoofed + after.rejected + after.stale) -
                      (before.malformed + before.spoofed + before.rejected + before.stale),
                      >=, 10000);
  }

  /* And still listening: a real event gets through. Its packet number is
   * the next after what the room by hand sent. */
  hand_event (&h, 1000, CR_EVENT_CHAT, "bob", "still here?");
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "bob", "still here?"), ==, 1);
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTED);
  hand_clear (&h);
}

static void
test_hostile_classic (void)
{
  Hand h = { 0 };
  CrClientEngineStats before, after;
  g_autofree char *long_line = NULL;
  guint n_outputs;

  hand_init (&h);
  h.now += G_TIME_SPAN_SECOND;
  hand_tick (&h);
  hand_feed_text (&h, "OK");
  h.now += G_TIME_SPAN_SECOND;   /* the OK is held a fifth of the join timeout */
  hand_tick (&h);
  g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTED);
  n_outputs = h.outputs->len;
  before = hand_stats (&h);

  long_line = g_strnfill (CR_CLASSIC_LINE_MAX + 1, 'a');
  hand_feed_text (&h, long_line);
  {
    static const char cut_short[] = "bob \xe8\xaf \xff:hi";

    hand_feed (&h, cut_short, sizeof cut_short - 1);
  }
  hand_feed_text (&h, "bob 说 :ring\a");
  hand_feed_text (&h, "【系统消息】:\x1b[2Jbob 进入到聊天室");
  after = hand_stats (&h);
  g_assert_cmpuint (after.malformed, ==, before.malformed + 2);
  g_assert_cmpuint (after.rejected, ==, before.rejected + 2);
  assert_untouched (&h, n_outputs);

  /* Joins without end: the list stops growing. */
  for (guint i = 0; i < CR_CLIENT_MEMBERS_MAX + 10; i++)
    {
      g_autofree char *line = g_strdup_printf ("【系统消息】:u%u 进入到聊天室", i);

      hand_feed_text (&h, line);
    }
  g_assert_cmpuint (cr_client_engine_get_members (h.client)->len, ==, CR_CLIENT_MEMBERS_MAX);
  after = hand_stats (&h);
  g_assert_cmpuint (after.rejected, ==, before.rejected + 2 + 11);

  /* A native datagram once classic: the other dialect, stale. */
  {
    g_autoptr(GBytes) ping = raw_datagram (CR_PACKET_PING, 0, 0, 0, NULL, 0);
    gsize len;
    const guint8 *data = g_bytes_get_data (ping, &len);

    before = hand_stats (&h);
    hand_feed (&h, data, len);
    after = hand_stats (&h);
    g_assert_cmpuint (after.stale, ==, before.stale + 1);
  }
  hand_clear (&h);
}

/* ------------------------------------------------------------------ */
/* BATCH (cr-protocol.h: type 24)                                     */

static GBytes *
hand_batch_raw (guint         n,
                const guint8 *types,
                GBytes      **bodies)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(GVariant) array = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_variant_new ("(y@ay)", types[i],
                                           g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                                     bodies[i], TRUE)));
  array = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(yay)"),
                                                   (GVariant **) items->pdata, n));
  return g_variant_get_data_as_bytes (array);
}

static GBytes *
hand_event_body (guint64      seq,
                 CrEventKind  kind,
                 const char  *name,
                 const char  *text)
{
  g_autoptr(CrEvent) event = cr_event_new (seq, 1, kind, name, text, 0);

  return cr_body_event (event);
}

/* A BATCH is its events, in order, as if each had come alone: the member
 * list follows them, and they are news. */
static void
test_hand_batch (void)
{
  Hand h = { 0 };
  g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
  g_autoptr(GBytes) batch = NULL;
  CrClientEngineStats before, after;
  const char *names[] = { "carol", "dave", "erin", "frank" };
  guint first = 0;

  hand_init (&h);
  hand_join (&h);
  first = h.outputs->len;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GBytes) body = hand_event_body (10 + i, CR_EVENT_JOIN, names[i], "");

      g_assert_true (cr_batch_builder_add (builder, CR_PACKET_EVENT, body));
    }
  {
    g_autoptr(GBytes) body = hand_event_body (14, CR_EVENT_CHAT, "carol", "hi all");

    g_assert_true (cr_batch_builder_add (builder, CR_PACKET_EVENT, body));
  }
  batch = cr_batch_builder_end (g_steal_pointer (&builder));
  before = hand_stats (&h);
  hand_send (&h, CR_PACKET_BATCH, batch);
  after = hand_stats (&h);
  g_assert_cmpuint (after.malformed, ==, before.malformed);
  g_assert_cmpuint (after.rejected, ==, before.rejected);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (has_member (h.client, names[i]));
  g_assert_cmpuint (cr_client_engine_get_last_seq (h.client), ==, 14);
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_CHAT, "carol", "hi all"), ==, 1);

  /* In order: the four joins, then the line. */
  {
    guint seen = 0;

    for (guint i = first; i < h.outputs->len; i++)
      {
        CrClientOutput *output = h.outputs->pdata[i];

        if (output->kind != CR_CLIENT_OUTPUT_EVENT)
          continue;
        g_assert_cmpuint (output->event->seq, ==, 10 + seen);
        g_assert_true (output->announce);
        seen++;
      }
    g_assert_cmpuint (seen, ==, 5);
  }
  hand_clear (&h);
}

/* A hostile room's BATCH: nested, truncated, too many items, an inner type
 * a room never batches, an inner body that is not its type. Each one is
 * dropped whole (none of its events shown, not even the good ones before
 * the bad item) and counted as malformed; the session goes on. */
static void
test_hostile_batch (void)
{
  Hand h = { 0 };
  g_autoptr(GBytes) good = hand_event_body (20, CR_EVENT_JOIN, "mallory", "");
  g_autoptr(GBytes) chat = cr_body_chat (1, "not from a room");
  g_autoptr(GBytes) pair = NULL;
  GBytes *bodies[CR_BATCH_ITEMS_MAX + 1];
  guint8 types[CR_BATCH_ITEMS_MAX + 1];
  g_autoptr(GPtrArray) hostile = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  CrClientEngineStats before, after;

  hand_init (&h);
  hand_join (&h);

  types[0] = types[1] = CR_PACKET_EVENT;
  bodies[0] = bodies[1] = good;
  pair = hand_batch_raw (2, types, bodies);

  /* Nested. */
  types[1] = CR_PACKET_BATCH;
  bodies[1] = pair;
  g_ptr_array_add (hostile, hand_batch_raw (2, types, bodies));
  /* A member's CHAT, a WELCOME (would reset the session), an unknown type. */
  types[1] = CR_PACKET_CHAT;
  bodies[1] = chat;
  g_ptr_array_add (hostile, hand_batch_raw (2, types, bodies));
  types[1] = CR_PACKET_WELCOME;
  g_ptr_array_add (hostile, hand_batch_raw (2, types, bodies));
  types[1] = 200;
  g_ptr_array_add (hostile, hand_batch_raw (2, types, bodies));
  /* An EVENT that is not one. */
  types[1] = CR_PACKET_EVENT;
  g_ptr_array_add (hostile, hand_batch_raw (2, types, bodies));
  /* Over-long. */
  for (guint i = 0; i <= CR_BATCH_ITEMS_MAX; i++)
    {
      types[i] = CR_PACKET_EVENT;
      bodies[i] = good;
    }
  g_ptr_array_add (hostile, hand_batch_raw (CR_BATCH_ITEMS_MAX + 1, types, bodies));
  /* Truncated, and empty. */
  g_ptr_array_add (hostile, g_bytes_new_from_bytes (pair, 0, g_bytes_get_size (pair) - 3));
  g_ptr_array_add (hostile, hand_batch_raw (0, types, bodies));

  for (guint i = 0; i < hostile->len; i++)
    {
      g_test_message ("hostile BATCH %u", i);
      before = hand_stats (&h);
      hand_send (&h, CR_PACKET_BATCH, hostile->pdata[i]);
      after = hand_stats (&h);
      g_assert_cmpuint (after.malformed, ==, before.malformed + 1);
      g_assert_false (has_member (h.client, "mallory"));
      g_assert_cmpuint (count_events (h.outputs, 0, "mallory", NULL), ==, 0);
      g_assert_cmpint (cr_client_engine_get_state (h.client), ==, CR_CLIENT_CONNECTED);
    }

  /* And after all that, a good one is taken. */
  hand_send (&h, CR_PACKET_BATCH, pair);
  g_assert_true (has_member (h.client, "mallory"));
  /* The second copy of seq 20 in it is stale, as it would be alone. */
  g_assert_cmpuint (count_events (h.outputs, CR_EVENT_JOIN, "mallory", NULL), ==, 1);
  hand_clear (&h);
}

/* ------------------------------------------------------------------ */
/* The checks a member makes of every event's name and text           */

/* cr_name_validate as it was before its ASCII shortcut (cr-types.c). */
static CrReason
reference_name_validate (const char *name,
                         gsize       len)
{
  g_autofree char *nfc = NULL;
  glong n_chars;

  if (len == 0 || len > CR_NAME_MAX_BYTES || !g_utf8_validate_len (name, len, NULL))
    return CR_REASON_NAME_INVALID;
  nfc = g_utf8_normalize (name, len, G_NORMALIZE_NFC);
  if (nfc == NULL)
    return CR_REASON_NAME_INVALID;
  n_chars = g_utf8_strlen (nfc, -1);
  if (n_chars < 1 || n_chars > CR_NAME_MAX_CHARS)
    return CR_REASON_NAME_INVALID;
  for (const char *p = nfc; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) || type == G_UNICODE_FORMAT ||
          type == G_UNICODE_UNASSIGNED || type == G_UNICODE_LINE_SEPARATOR ||
          type == G_UNICODE_PARAGRAPH_SEPARATOR || type == G_UNICODE_SPACE_SEPARATOR)
        return CR_REASON_NAME_INVALID;
    }
  return CR_REASON_NONE;
}

/* cr_text_validate as it was before its ASCII shortcut. */
static CrReason
reference_text_validate (const char *text,
                         gsize       len)
{
  if (len == 0 || len > CR_TEXT_MAX_BYTES || !g_utf8_validate_len (text, len, NULL))
    return CR_REASON_TEXT_INVALID;
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && c != '\t' && g_unichar_iscntrl (c))
        return CR_REASON_TEXT_INVALID;
    }
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return CR_REASON_NONE;
  return CR_REASON_TEXT_INVALID;
}

static void
names_and_texts_agree (const char *s,
                       gsize       len)
{
  g_autofree char *normalized = NULL;
  CrReason expected = reference_name_validate (s, len);

  g_assert_cmpint (cr_name_validate (s, len, &normalized), ==, expected);
  g_assert_cmpint (cr_text_validate (s, len), ==, reference_text_validate (s, len));
  if (expected == CR_REASON_NONE)
    {
      g_autofree char *nfc = g_utf8_normalize (s, len, G_NORMALIZE_NFC);
      g_autofree char *casefold = g_utf8_casefold (nfc, -1);
      g_autofree char *fold = g_utf8_normalize (casefold, -1, G_NORMALIZE_NFC);
      g_autofree char *ours = cr_name_fold (normalized);

      g_assert_cmpstr (normalized, ==, nfc);
      g_assert_cmpstr (ours, ==, fold);
    }
}

/* A member checks the name and text of every event (cr-client-engine.c):
 * for ASCII that is a byte loop now (cr-types.c). Every one- and
 * two-byte string, names around the length limit, and a few that are not
 * ASCII get the answers of the general way. */
static void
test_name_text_checks (void)
{
  static const char *const others[] = {
    "Ärger", "李雷", "e\xcc\x81", "\xc3\xa9", "ǅungla", "ﬁ", "K", "\xe2\x80\x8b" "x",
    "a\xc2\xa0" "b", "tab\there", "two\nlines", " \t\r\n\f", "\xe3\x80\x80", "ok ",
  };
  char buf[CR_NAME_MAX_CHARS + 4];

  for (guint a = 1; a < 0x80; a++)
    for (guint b = 0; b < 0x80; b++)
      {
        char s[2] = { a, b };

        names_and_texts_agree (s, b == 0 ? 1 : 2);
      }
  for (gsize n = CR_NAME_MAX_CHARS - 1; n <= CR_NAME_MAX_CHARS + 3; n++)
    {
      memset (buf, 'N', n);
      names_and_texts_agree (buf, n);
    }
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    names_and_texts_agree (others[i], strlen (others[i]));
}

/* Whether a line's author is the member itself: plain ASCII names are
 * compared in place (cr-client-engine.c), everything else folded; both
 * give cr_name_fold's answer. */
static void
test_is_self (void)
{
  static const char *const selves[] = { "Alice", "Élise" };
  static const char *const names[] = {
    "Alice", "alice", "ALICE", "alicE", "Alic", "Alicee", "Bob", "A", "Ａlice", "Ålice",
    "Élise", "élise", "ÉLISE", "E\xcc\x81lise", "e\xcc\x81LISE", "Elise", "elise", "Éli",
  };
  CrTestWorld w;

  cr_test_world_init (&w, NULL);
  g_assert_true (cr_test_world_open (&w, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (selves); i++)
    {
      CrTestMember *m = cr_test_world_join (&w, selves[i], NULL, FALSE);
      g_autofree char *own = cr_name_fold (selves[i]);

      g_assert_cmpint (cr_client_engine_get_state (m->engine), ==, CR_CLIENT_CONNECTED);
      for (guint j = 0; j < G_N_ELEMENTS (names); j++)
        {
          g_autofree char *fold = cr_name_fold (names[j]);

          g_assert_cmpint (_cr_client_engine_is_self (m->engine, names[j]), ==,
                           g_strcmp0 (fold, own) == 0);
        }
      g_assert_true (_cr_client_engine_is_self (m->engine, selves[i]));
    }
  cr_test_world_clear (&w);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/client-engine/native-join", test_native_join);
  g_test_add_func ("/chatroom/client-engine/classic-join-room", test_classic_join_room);
  g_test_add_func ("/chatroom/client-engine/refusals", test_refusals);
  g_test_add_func ("/chatroom/client-engine/resume", test_resume);
  g_test_add_func ("/chatroom/client-engine/resync-after-restart", test_resync_after_restart);
  g_test_add_func ("/chatroom/client-engine/duplicates-reordered", test_duplicates_reordered);
  g_test_add_func ("/chatroom/client-engine/hand-native", test_hand_native);
  g_test_add_func ("/chatroom/client-engine/hand-classic", test_hand_classic);
  g_test_add_func ("/chatroom/client-engine/hostile-native", test_hostile_native);
  g_test_add_func ("/chatroom/client-engine/hostile-classic", test_hostile_classic);
  g_test_add_func ("/chatroom/client-engine/hand-batch", test_hand_batch);
  g_test_add_func ("/chatroom/client-engine/hostile-batch", test_hostile_batch);
  g_test_add_func ("/chatroom/client-engine/name-text-checks", test_name_text_checks);
  g_test_add_func ("/chatroom/client-engine/is-self", test_is_self);

  return g_test_run ();
}
