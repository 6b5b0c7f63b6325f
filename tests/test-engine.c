/* test-engine.c: the server's packet path with literal datagrams, no sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room (CrEngine) is driven by hand with a fixed clock and fixed
 * randomness. Its native members are the product's own member path
 * (CrClientEngine), passed datagrams by pump(); classic members are literal
 * lines in and lines collected; forged datagrams are built byte by byte
 * where a case is about the bytes.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
#include "cr-client-engine.h"
#include "cr-engine.h"
#include "cr-store-private.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-server-private.h"
#include "cr-test-utils.h"

#define ROOM_PORT 10024

/* A peer: a native member (the product's CrClientEngine), a classic one
 * that just collects text lines, or a raw address that only sends what
 * the test builds. What the room sends to any of them is also read off
 * the wire: the probe's cookie, the WELCOME's resume token. */
typedef struct {
  GSocketAddress *addr;
  gboolean        classic;
  CrClientEngine *engine;    /* NULL: classic or raw */
  GPtrArray      *outputs;   /* CrClientOutput*: everything the engine said */
  GPtrArray      *lines;     /* char*, classic */
  gboolean        cut;       /* its link drops everything, both ways */
  gboolean        probed;    /* the room answered a probe (or a JOIN) with a cookie */
  guint32         cookie;
  gboolean        welcomed;  /* a WELCOME reached it */
  char           *token;
} Peer;

typedef struct {
  char      *dir;
  CrStore   *store;
  CrEngine  *engine;
  CrEngineTime now;
  GPtrArray *out;
  GPtrArray *peers;
  GSocketAddress *room_addr; /* where the members think the room is */
  gboolean   hold_auth;   /* leave hash jobs to the test, else run them at once */
  GRand     *rand;        /* the engine's randomness, fixed */
} Fixture;

static GPtrArray *
new_out (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
}

static Peer *
peer_new (guint16  port,
          gboolean classic)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->addr = cr_test_socket_address ("127.0.0.1", port);
  peer->classic = classic;
  if (!classic)
    peer->engine = cr_client_engine_new ((guint64) port << 32);
  peer->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_client_output_free);
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  return peer;
}

static void
peer_free (Peer *peer)
{
  g_object_unref (peer->addr);
  g_free (peer->token);
  g_clear_pointer (&peer->engine, cr_client_engine_free);
  g_ptr_array_unref (peer->outputs);
  g_ptr_array_unref (peer->lines);
  g_free (peer);
}

static gboolean
same_addr (GSocketAddress *a,
           GSocketAddress *b)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) ==
         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CrEngineConfig config;

  f->dir = g_dir_make_tmp ("cr-engine-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = cr_store_open (f->dir, &error);
  g_assert_no_error (error);
  cr_store_set_pwhash_cost (f->store, CR_PWHASH_MIN);

  f->rand = g_rand_new_with_seed (8);
  cr_engine_config_init (&config);
  config.random_func = cr_test_fixed_random;
  config.random_data = f->rand;
  config.room_name = "Test";
  config.language = "zh_CN";
  config.silence_timeout_us = 3 * G_TIME_SPAN_SECOND;
  config.rate_per_second = 10;
  config.rate_burst = 20;
  f->engine = cr_engine_new (&config, f->store);
  f->now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, 1767225600 * G_TIME_SPAN_SECOND };
  f->out = new_out ();
  f->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
  f->room_addr = cr_test_socket_address ("127.0.0.1", ROOM_PORT);
}


static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  cr_engine_free (f->engine);
  cr_store_close (f->store);
  cr_test_remove_tree (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->out);
  g_ptr_array_unref (f->peers);
  g_object_unref (f->room_addr);
  g_rand_free (f->rand);
}

static Peer *
add_peer (Fixture  *f,
          gboolean  classic)
{
  static guint16 next_port = 40000;
  Peer *peer = peer_new (next_port++, classic);

  g_ptr_array_add (f->peers, peer);
  return peer;
}

static void
engine_feed (Fixture        *f,
             GSocketAddress *from,
             const void     *data,
             gsize           len)
{
  cr_engine_receive (f->engine, data, len, from, f->now, f->out);
  /* As CrServer's workers would, only at once. */
  if (!f->hold_auth)
    cr_engine_run_auth_jobs (f->engine, f->now, f->out);
}

static void
feed_text (Fixture    *f,
           Peer       *peer,
           const char *text)
{
  engine_feed (f, peer->addr, text, strlen (text));
}

/* What a native member's engine said, and the datagrams it sends (to the
 * room, unless its link is cut). Returns how many went out. */
static guint
peer_sent (Fixture   *f,
           Peer      *peer,
           GPtrArray *out)
{
  CrClientOutput *output;
  guint n = 0;

  while ((output = cr_client_engine_pop_output (peer->engine)) != NULL)
    g_ptr_array_add (peer->outputs, output);
  for (guint i = 0; i < out->len; i++)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (((CrDatagram *) out->pdata[i])->data, &len);

      if (peer->cut)
        continue;
      engine_feed (f, peer->addr, bytes, len);
      n++;
    }
  g_ptr_array_set_size (out, 0);
  return n;
}

/* Read off the wire what the room tells a peer about itself: the cookie
 * (a sessionless PING) and the resume token (WELCOME, never fragmented). */
static void
peer_overhear (Peer   *peer,
               GBytes *data)
{
  gsize len, body_len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  const guint8 *body;
  CrHeader header;

  if (cr_header_parse (bytes, len, &header, &body, &body_len) != CR_PARSE_OK)
    return;
  if (header.type == CR_PACKET_PING && header.session == 0)
    {
      peer->probed = TRUE;
      peer->cookie = header.ack;
    }
  else if (header.type == CR_PACKET_WELCOME && (header.flags & CR_FLAG_MORE) == 0)
    {
      g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_WELCOME, body, body_len);
      const char *token;

      g_assert_nonnull (v);
      g_variant_get (v, "(&s&s&sut)", NULL, NULL, &token, NULL, NULL);
      g_free (peer->token);
      peer->token = g_strdup (token);
      peer->welcomed = TRUE;
    }
}

/* A peer takes one datagram from the room. */
static void
peer_take (Fixture *f,
           Peer    *peer,
           GBytes  *data)
{
  g_autoptr(GPtrArray) out = new_out ();
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (peer->classic)
    {
      g_assert_true (g_utf8_validate ((const char *) bytes, len, NULL));
      g_ptr_array_add (peer->lines, g_strndup ((const char *) bytes, len));
      return;
    }
  peer_overhear (peer, data);
  if (peer->engine == NULL)
    return;
  cr_client_engine_receive (peer->engine, bytes, len, f->room_addr, f->now.mono, out);
  peer_sent (f, peer, out);
}

/* Tick a native member when its engine wants it; returns the datagrams it sent. */
static guint
peer_tick (Fixture *f,
           Peer    *peer)
{
  g_autoptr(GPtrArray) out = new_out ();

  if (peer->engine == NULL || cr_client_engine_next_deadline (peer->engine) > f->now.mono)
    return 0;
  cr_client_engine_tick (peer->engine, f->now.mono, out);
  return peer_sent (f, peer, out);
}

/* Move datagrams both ways until nothing is left; bounded. */
static void
pump (Fixture *f)
{
  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GPtrArray) batch = f->out;
      gboolean sent = FALSE;

      f->out = new_out ();
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          for (guint j = 0; j < f->peers->len; j++)
            {
              Peer *peer = f->peers->pdata[j];
              if (!peer->cut && same_addr (peer->addr, d->to))
                peer_take (f, peer, d->data);
            }
        }

      for (guint j = 0; j < f->peers->len; j++)
        sent |= peer_tick (f, f->peers->pdata[j]) > 0;

      if (!sent && f->out->len == 0)
        return;
    }
  g_assert_not_reached ();
}

/* Let time pass in steps: the room and every member do what falls due. */
static void
advance (Fixture *f,
         gint64   us)
{
  gint64 end = f->now.mono + us;

  while (f->now.mono < end)
    {
      f->now.mono += 100 * G_TIME_SPAN_MILLISECOND;
      f->now.wall += 100 * G_TIME_SPAN_MILLISECOND;
      cr_engine_tick (f->engine, f->now, f->out);
      pump (f);
    }
}

static void
native_join_full (Fixture    *f,
                  Peer       *peer,
                  const char *name,
                  const char *password,
                  gboolean    do_register,
                  const char *owner_token)
{
  g_autofree char *address = cr_test_address ("127.0.0.1", ROOM_PORT);
  /* This engine has no identity: the plaintext native dialect. */
  CrClientJoin join = { name, password, do_register, owner_token, address, 0,
                        .plaintext = TRUE };
  g_autoptr(GPtrArray) out = new_out ();

  g_assert_true (cr_client_engine_join (peer->engine, &join, f->now.mono));
  cr_client_engine_start (peer->engine, f->now.mono, out);
  peer_sent (f, peer, out);
  pump (f);
}

static gboolean
is_member (Peer *peer)
{
  return cr_client_engine_get_state (peer->engine) == CR_CLIENT_CONNECTED;
}

static guint
count_outputs (Peer               *peer,
               CrClientOutputKind  kind)
{
  guint n = 0;

  for (guint i = 0; i < peer->outputs->len; i++)
    n += ((CrClientOutput *) peer->outputs->pdata[i])->kind == kind;
  return n;
}

/* Why the room refused the join (NONE: it did not, or not yet). */
static CrReason
refused (Peer *peer)
{
  for (guint i = 0; i < peer->outputs->len; i++)
    {
      CrClientOutput *output = peer->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_JOIN_FAILED)
        return output->reason;
    }
  return CR_REASON_NONE;
}

/* Why the room ended the session (the member did not leave itself). */
static CrReason
said_bye (Peer *peer)
{
  g_assert_cmpint (cr_client_engine_get_state (peer->engine), ==, CR_CLIENT_CLOSED);
  return cr_client_engine_get_close_reason (peer->engine);
}

static Peer *
native_join (Fixture    *f,
             const char *name)
{
  Peer *peer = add_peer (f, FALSE);

  native_join_full (f, peer, name, NULL, FALSE, NULL);
  g_assert_true (is_member (peer));
  g_assert_true (peer->welcomed);
  g_assert_cmpuint (count_outputs (peer, CR_CLIENT_OUTPUT_JOINED), ==, 1);
  g_assert_cmpuint (count_outputs (peer, CR_CLIENT_OUTPUT_MEMBERS), >=, 1);
  return peer;
}

/* Say something; returns its origin. */
static guint64
native_say (Fixture    *f,
            Peer       *peer,
            const char *text)
{
  g_autoptr(GPtrArray) out = new_out ();
  guint64 origin = cr_client_engine_send (peer->engine, text, f->now.mono, out);

  g_assert_cmpuint (origin, !=, 0);
  peer_sent (f, peer, out);
  pump (f);
  return origin;
}

static void
native_leave (Fixture *f,
              Peer    *peer)
{
  g_autoptr(GPtrArray) out = new_out ();

  cr_client_engine_leave (peer->engine, f->now.mono, out);
  peer_sent (f, peer, out);
  pump (f);
  g_assert_cmpint (said_bye (peer), ==, CR_REASON_NONE);
}

/* EVENT outputs of kind about name (NULL: anyone), from index from on. */
static guint
count_kind_from (Peer        *peer,
                 guint        from,
                 CrEventKind  kind,
                 const char  *name)
{
  guint n = 0;

  for (guint i = from; i < peer->outputs->len; i++)
    {
      CrClientOutput *output = peer->outputs->pdata[i];

      if (output->kind == CR_CLIENT_OUTPUT_EVENT && output->event->kind == kind &&
          (name == NULL || g_str_equal (output->event->name, name)))
        n++;
    }
  return n;
}

static guint
count_kind (Peer        *peer,
            CrEventKind  kind,
            const char  *name)
{
  return count_kind_from (peer, 0, kind, name);
}

static CrEvent *
last_event (Peer *peer)
{
  for (guint i = peer->outputs->len; i > 0; i--)
    {
      CrClientOutput *output = peer->outputs->pdata[i - 1];

      if (output->kind == CR_CLIENT_OUTPUT_EVENT)
        return output->event;
    }
  g_assert_not_reached ();
}

/* The SENT (or, with failed, FAILED) output for an own message. */
static CrClientOutput *
find_outcome (Peer    *peer,
              guint64  origin,
              gboolean failed)
{
  CrClientOutputKind kind = failed ? CR_CLIENT_OUTPUT_FAILED : CR_CLIENT_OUTPUT_SENT;

  for (guint i = 0; i < peer->outputs->len; i++)
    {
      CrClientOutput *output = peer->outputs->pdata[i];

      if (output->kind == kind && output->origin == origin)
        return output;
    }
  return NULL;
}

static gboolean
has_line (Peer       *peer,
          const char *needle)
{
  for (guint i = 0; i < peer->lines->len; i++)
    if (strstr (peer->lines->pdata[i], needle))
      return TRUE;
  return FALSE;
}

/* The probe is answered, a join is welcomed with history and members, and
 * the others are told. */
static void
test_join_and_chat (Fixture       *f,
                    gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = native_join (f, "bob");
  g_autoptr(GPtrArray) out = new_out ();
  CrClientEngineStats before, after;
  CrStats room_before, room_after;
  CrClientOutput *sent;
  guint64 origin, last_seq;

  g_assert_cmpuint (count_kind (alice, CR_EVENT_JOIN, "bob"), ==, 1);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "alice"), ==, 1);   /* history */
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "bob"), ==, 1);     /* its own */
  g_assert_cmpuint (cr_client_engine_get_members (bob->engine)->len, ==, 2);

  origin = native_say (f, alice, "hello  there");
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
  {
    CrEvent *last = last_event (bob);
    g_assert_cmpstr (last->text, ==, "hello  there");
    g_assert_cmpuint (last->origin, ==, origin);
    /* The room took alice's own message: its event came back to her. */
    sent = find_outcome (alice, origin, FALSE);
    g_assert_nonnull (sent);
    g_assert_cmpuint (sent->seq, ==, last->seq);
  }

  /* A retry of the same message (same origin) is not stored twice: the
   * room makes no event of it, so bob hears nothing new at all. */
  last_seq = cr_client_engine_get_last_seq (bob->engine);
  cr_client_engine_get_stats (bob->engine, &before);
  cr_engine_get_stats (f->engine, &room_before);
  g_assert_true (cr_client_engine_retry (alice->engine, origin, "hello  there", f->now.mono, out));
  peer_sent (f, alice, out);
  pump (f);
  cr_engine_get_stats (f->engine, &room_after);
  g_assert_cmpuint (room_after.datagrams_in, >, room_before.datagrams_in);   /* it got there */
  g_assert_cmpuint (room_after.malformed + room_after.spoofed, ==,
                    room_before.malformed + room_before.spoofed);
  cr_client_engine_get_stats (bob->engine, &after);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_cmpuint (cr_client_engine_get_last_seq (bob->engine), ==, last_seq);
  g_assert_cmpuint (after.stale, ==, before.stale);
}

static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  Peer *p;

  native_join (f, "alice");

  p = add_peer (f, FALSE);
  native_join_full (f, p, "ALICE", NULL, FALSE, NULL);
  g_assert_false (is_member (p));
  g_assert_cmpint (refused (p), ==, CR_REASON_NAME_TAKEN);

  /* The member path sends what it is given: the room checks the name. */
  p = add_peer (f, FALSE);
  native_join_full (f, p, "has space", NULL, FALSE, NULL);
  g_assert_cmpint (refused (p), ==, CR_REASON_NAME_INVALID);

  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", TRUE, NULL);
  g_assert_true (is_member (p));

  /* carol is registered now: a guest can't take the name, a wrong password
   * is refused (after she left). */
  native_leave (f, p);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "Carol", NULL, FALSE, NULL);
  g_assert_cmpint (refused (p), ==, CR_REASON_NAME_REGISTERED);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "wrong!", FALSE, NULL);
  g_assert_cmpint (refused (p), ==, CR_REASON_WRONG_PASSWORD);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", FALSE, NULL);
  g_assert_true (is_member (p));
  p = add_peer (f, FALSE);
  native_join_full (f, p, "dave", "pw", FALSE, NULL);
  g_assert_cmpint (refused (p), ==, CR_REASON_NOT_REGISTERED);
}

/* A classic datagram that names someone else never acts as them. */
static void
test_classic_spoofing (Fixture       *f,
                       gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = add_peer (f, TRUE);
  CrStats stats;
  guint64 spoofed;

  feed_text (f, bob, "N bob");
  pump (f);
  g_assert_cmpstr (bob->lines->pdata[0], ==, "OK");
  g_assert_cmpuint (count_kind (alice, CR_EVENT_JOIN, "bob"), ==, 1);

  cr_engine_get_stats (f->engine, &stats);
  spoofed = stats.spoofed;

  feed_text (f, bob, "M alice I am alice");
  feed_text (f, bob, "Q alice");
  pump (f);
  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (stats.spoofed, ==, spoofed + 2);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, NULL), ==, 0);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_LEAVE, "alice"), ==, 0);
  g_assert_nonnull (cr_room_lookup_name (cr_engine_get_room (f->engine), "alice"));

  /* Bob's own words keep their spaces, and reach alice. */
  feed_text (f, bob, "M bob  two  spaces ");
  pump (f);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "bob"), ==, 1);
  g_assert_cmpstr (last_event (alice)->text, ==, " two  spaces ");
  g_assert_true (has_line (bob, "bob 说 :"));

  /* Alice's message reaches bob as a Chinese line. */
  native_say (f, alice, "你好");
  g_assert_true (has_line (bob, "alice 说 :你好"));

  feed_text (f, bob, "Q bob");
  pump (f);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_LEAVE, "bob"), ==, 1);
}

/* A native datagram bearing alice's session from another address is dropped. */
static void
test_native_spoofing (Fixture       *f,
                      gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *mallory = native_join (f, "mallory");
  g_autoptr(GBytes) body = cr_body_chat (1, "I am alice");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_CHAT, CR_FLAG_RELIABLE,
                      cr_client_engine_get_session (alice->engine), 100, 0, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (body, &len);
  CrStats before, after;

  g_assert_cmpuint (header.session, !=, 0);
  datagram = cr_datagram_build (&header, bytes, len);
  cr_engine_get_stats (f->engine, &before);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, mallory->addr, bytes, len);
  pump (f);
  cr_engine_get_stats (f->engine, &after);

  g_assert_cmpuint (after.spoofed, ==, before.spoofed + 1);
  g_assert_cmpuint (count_kind (mallory, CR_EVENT_CHAT, NULL), ==, 0);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, NULL), ==, 0);
}

/* Garbage is dropped and counted; the room goes on. */
static void
test_garbage (Fixture       *f,
              gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *junk = add_peer (f, TRUE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  CrStats stats;
  guint8 buf[1500];
  guint64 origin;

  feed_text (f, junk, "\xff\xfe not utf-8");
  feed_text (f, junk, "X what");
  engine_feed (f, junk->addr, buf, 0);

  for (guint i = 0; i < 20000; i++)
    {
      gsize len = g_rand_int_range (rand, 1, sizeof buf);

      for (gsize j = 0; j < len; j++)
        buf[j] = g_rand_int_range (rand, 0, 256);
      /* Half of them look native to reach deeper. */
      if (i % 2 == 0 && len > 4)
        {
          buf[0] = 0xCB;
          buf[1] = 'R';
          buf[2] = CR_PROTOCOL_VERSION;
          buf[3] = g_rand_int_range (rand, 0, 12);
        }
      engine_feed (f, junk->addr, buf, len);
    }
  g_ptr_array_set_size (f->out, 0);

  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (stats.malformed, >=, 19000);

  origin = native_say (f, alice, "still here");
  g_assert_nonnull (find_outcome (alice, origin, FALSE));
  g_assert_true (is_member (alice));
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 1);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = native_join (f, "bob");

  /* Alice keeps talking (pings every half second), bob goes silent. */
  cr_client_engine_set_timing (alice->engine, G_TIME_SPAN_SECOND / 2, 0, 0);
  bob->cut = TRUE;
  advance (f, 4 * G_TIME_SPAN_SECOND);

  g_assert_cmpuint (count_kind (alice, CR_EVENT_TIMEOUT, "bob"), ==, 1);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_TIMEOUT, "alice"), ==, 0);
  g_assert_null (cr_room_lookup_name (cr_engine_get_room (f->engine), "bob"));
  g_assert_true (is_member (alice));
  g_assert_cmpuint (cr_client_engine_get_members (alice->engine)->len, ==, 1);
}

static void
test_owner (Fixture       *f,
            gconstpointer  data)
{
  Peer *owner = add_peer (f, FALSE);
  Peer *bob = native_join (f, "bob");
  Peer *carol = add_peer (f, TRUE);
  CrReason reason;
  const CrRoomMember *m;
  CrClientOutput *failed;
  guint64 origin;

  native_join_full (f, owner, "teacher", NULL, FALSE, cr_engine_get_owner_token (f->engine));
  m = cr_room_lookup_name (cr_engine_get_room (f->engine), "teacher");
  g_assert_cmpint (m->role, ==, CR_ROLE_OWNER);
  g_assert_cmpint (cr_client_engine_get_role (owner->engine), ==, CR_ROLE_OWNER);

  feed_text (f, carol, "N carol");
  pump (f);

  native_say (f, owner, "class starts");
  g_assert_cmpuint (count_kind (bob, CR_EVENT_OWNER_CHAT, "teacher"), ==, 1);
  g_assert_true (has_line (carol, "群主说：class starts"));

  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_MUTE, "BOB", f->now, f->out, &reason));
  pump (f);
  origin = native_say (f, bob, "can I speak");
  g_assert_cmpuint (count_outputs (bob, CR_CLIENT_OUTPUT_FAILED), ==, 1);
  failed = find_outcome (bob, origin, TRUE);
  g_assert_nonnull (failed);
  g_assert_cmpint (failed->reason, ==, CR_REASON_MUTED);
  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_UNMUTE, "bob", f->now, f->out, &reason));

  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_KICK, "bob", f->now, f->out, &reason));
  pump (f);
  g_assert_cmpint (said_bye (bob), ==, CR_REASON_KICKED);
  g_assert_cmpuint (count_kind (owner, CR_EVENT_KICK, "bob"), ==, 1);

  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_BAN, "carol", f->now, f->out, &reason));
  pump (f);
  g_assert_null (cr_room_lookup_name (cr_engine_get_room (f->engine), "carol"));
  {
    Peer *again = add_peer (f, TRUE);
    feed_text (f, again, "N Carol");
    pump (f);
    g_assert_cmpuint (again->lines->len, ==, 1);
    g_assert_cmpstr (again->lines->pdata[0], !=, "OK");
  }

  g_assert_false (cr_engine_owner_act (f->engine, CR_OWNER_KICK, "nobody", f->now, f->out, &reason));

  cr_engine_close (f->engine, f->now, f->out);
  pump (f);
  g_assert_cmpint (said_bye (owner), ==, CR_REASON_ROOM_CLOSED);
  g_assert_cmpuint (count_kind (owner, CR_EVENT_ROOM_CLOSED, NULL), ==, 1);
  g_assert_true (cr_engine_is_drained (f->engine));
}

static void
test_flood (Fixture       *f,
            gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  g_autoptr(GPtrArray) out = new_out ();
  CrStats stats;

  /* Sixty at once, in one burst of datagrams. */
  for (guint i = 1; i <= 60; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_assert_cmpuint (cr_client_engine_send (alice->engine, text, f->now.mono, out), !=, 0);
    }
  g_assert_cmpuint (peer_tick (f, alice), ==, 60);
  pump (f);
  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (count_outputs (alice, CR_CLIENT_OUTPUT_SENT), ==, 20);  /* the burst */
  g_assert_cmpuint (count_outputs (alice, CR_CLIENT_OUTPUT_FAILED), ==, 40);
  for (guint i = 0; i < alice->outputs->len; i++)
    {
      CrClientOutput *output = alice->outputs->pdata[i];
      if (output->kind == CR_CLIENT_OUTPUT_FAILED)
        g_assert_cmpint (output->reason, ==, CR_REASON_RATE_LIMITED);
    }
  g_assert_cmpuint (stats.rate_limited, >=, 40);
}

/* A member that comes back with its resume token gets what it missed,
 * without a leave or join line. */
static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = native_join (f, "bob");
  Peer *other;
  guint32 session;
  guint mark;

  /* Alice notices a silent room after a second (the room waits three). */
  cr_client_engine_set_timing (alice->engine, 200 * G_TIME_SPAN_MILLISECOND,
                               G_TIME_SPAN_SECOND, 0);
  native_say (f, bob, "one");
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "bob"), ==, 1);
  session = cr_client_engine_get_session (alice->engine);

  /* Alice's network goes away; bob goes on. */
  alice->cut = TRUE;
  mark = alice->outputs->len;
  native_say (f, bob, "two");
  native_say (f, bob, "three");

  /* Without the token the name is taken. */
  other = add_peer (f, FALSE);
  native_join_full (f, other, "alice", NULL, FALSE, NULL);
  g_assert_cmpint (refused (other), ==, CR_REASON_NAME_TAKEN);

  /* With it, from a new address, alice resumes after what she saw. */
  g_assert_nonnull (alice->token);
  g_object_unref (alice->addr);
  alice->addr = cr_test_socket_address ("127.0.0.1", 41999);
  alice->cut = FALSE;
  advance (f, 2 * G_TIME_SPAN_SECOND);

  g_assert_true (is_member (alice));
  g_assert_cmpuint (cr_client_engine_get_session (alice->engine), !=, session);
  g_assert_cmpuint (count_kind_from (alice, mark, CR_EVENT_CHAT, NULL), ==, 2);
  g_assert_cmpuint (count_kind_from (alice, mark, CR_EVENT_JOIN, NULL), ==, 0);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "bob"), ==, 3);
  {
    guint n = 0;
    const char *said[] = { "two", "three" };

    for (guint i = mark; i < alice->outputs->len; i++)
      {
        CrClientOutput *output = alice->outputs->pdata[i];
        if (output->kind == CR_CLIENT_OUTPUT_EVENT)
          g_assert_cmpstr (output->event->text, ==, said[n++]);
      }
  }
  g_assert_cmpuint (count_kind (bob, CR_EVENT_LEAVE, "alice"), ==, 0);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_TIMEOUT, "alice"), ==, 0);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "alice"), ==, 1);  /* the first, in history */
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 2);
}

/* A JOIN from an address that never answered the probe (a forged source)
 * gets only the challenge back, no bigger than itself: no amplification. */
static void
test_join_cookie (Fixture       *f,
                  gconstpointer  data)
{
  Peer *forged = add_peer (f, FALSE);
  g_autoptr(GBytes) body = cr_body_join ("victim", "", "", FALSE, 0, "");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, 12345, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len, out_len;
  const guint8 *bytes = g_bytes_get_data (body, &len);
  CrDatagram *answer;

  /* Only bytes from this address, built here: no member path behind it. */
  g_clear_pointer (&forged->engine, cr_client_engine_free);
  native_join (f, "alice");   /* some history to amplify */
  datagram = cr_datagram_build (&header, bytes, len);
  bytes = g_bytes_get_data (datagram, &len);
  g_ptr_array_set_size (f->out, 0);
  engine_feed (f, forged->addr, bytes, len);

  g_assert_cmpuint (f->out->len, ==, 1);
  answer = f->out->pdata[0];
  g_bytes_get_data (answer->data, &out_len);
  g_assert_cmpuint (out_len, <=, len);
  g_assert_null (cr_room_lookup_name (cr_engine_get_room (f->engine), "victim"));

  /* With the cookie the same JOIN goes through. */
  pump (f);
  g_assert_true (forged->probed);
  header.ack = forged->cookie;
  g_clear_pointer (&datagram, g_bytes_unref);
  bytes = g_bytes_get_data (body, &len);
  datagram = cr_datagram_build (&header, bytes, len);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, forged->addr, bytes, len);
  pump (f);
  g_assert_true (forged->welcomed);
  g_assert_nonnull (cr_room_lookup_name (cr_engine_get_room (f->engine), "victim"));
}

/* Password joins through hash jobs ---------------------------------- */

/* Take every waiting job, run it here, hand it back. */
static guint
run_jobs (Fixture *f)
{
  guint n = 0;
  CrAuthJob *job;

  while ((job = cr_engine_take_auth_job (f->engine)) != NULL)
    {
      cr_auth_job_run (job);
      cr_engine_complete_auth (f->engine, job, f->now, f->out);
      cr_auth_job_free (job);
      n++;
    }
  pump (f);
  return n;
}

typedef struct {
  char    *owner_token;
  guint32  cookie;
  guint32  session;
  char    *resume_token;
  GArray  *times;       /* gint64: the wall times of carol's events */
} Outcome;

/* A room with alice, then carol registers: the join waits for its job,
 * which the test runs; what the room said, as far as randomness and the
 * clock shape it. */
static void
password_join_outcome (Outcome *o)
{
  Fixture f = { 0 };
  Peer *alice, *carol;
  CrAuthJob *job;

  fixture_setup (&f, NULL);
  f.hold_auth = TRUE;
  alice = peer_new (41000, FALSE);
  carol = peer_new (41001, FALSE);
  g_ptr_array_add (f.peers, alice);
  g_ptr_array_add (f.peers, carol);
  native_join_full (&f, alice, "alice", NULL, FALSE, NULL);
  g_assert_true (is_member (alice));

  native_join_full (&f, carol, "carol", "secret1", TRUE, NULL);
  g_assert_true (carol->probed);
  g_assert_false (is_member (carol));
  g_assert_cmpint (refused (carol), ==, CR_REASON_NONE);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f.engine), ==, 1);

  job = cr_engine_take_auth_job (f.engine);
  g_assert_nonnull (job);
  g_assert_null (cr_engine_take_auth_job (f.engine));
  cr_auth_job_run (job);
  cr_engine_complete_auth (f.engine, job, f.now, f.out);
  cr_auth_job_free (job);
  pump (&f);

  g_assert_true (is_member (carol));
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f.engine), ==, 0);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_JOIN, "carol"), ==, 1);
  g_assert_true (cr_room_lookup_name (cr_engine_get_room (f.engine), "carol")->flags &
                 CR_MEMBER_REGISTERED);
  g_assert_true (cr_store_has_account (f.store, "carol"));

  o->owner_token = g_strdup (cr_engine_get_owner_token (f.engine));
  o->cookie = carol->cookie;
  o->session = cr_client_engine_get_session (carol->engine);
  o->resume_token = g_strdup (carol->token);
  o->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < carol->outputs->len; i++)
    {
      CrClientOutput *output = carol->outputs->pdata[i];
      if (output->kind == CR_CLIENT_OUTPUT_EVENT)
        g_array_append_val (o->times, output->event->time_us);
    }
  fixture_teardown (&f, NULL);
}

static void
outcome_clear (Outcome *o)
{
  g_free (o->owner_token);
  g_free (o->resume_token);
  g_array_unref (o->times);
}

/* With the clock and the randomness fixed, a password join through its
 * job says the same things twice: cookie, session, tokens, times. */
static void
test_auth_job_reproducible (void)
{
  Outcome a = { 0 }, b = { 0 };

  password_join_outcome (&a);
  password_join_outcome (&b);

  g_assert_cmpstr (a.owner_token, ==, b.owner_token);
  g_assert_cmpuint (a.cookie, ==, b.cookie);
  g_assert_cmpuint (a.session, !=, 0);
  g_assert_cmpuint (a.session, ==, b.session);
  g_assert_nonnull (a.resume_token);
  g_assert_cmpstr (a.resume_token, ==, b.resume_token);
  g_assert_cmpuint (a.times->len, ==, 2);   /* alice's join, carol's own */
  g_assert_cmpuint (a.times->len, ==, b.times->len);
  for (guint i = 0; i < a.times->len; i++)
    {
      g_assert_cmpint (g_array_index (a.times, gint64, i), ==, 1767225600 * G_TIME_SPAN_SECOND);
      g_assert_cmpint (g_array_index (a.times, gint64, i), ==, g_array_index (b.times, gint64, i));
    }
  outcome_clear (&a);
  outcome_clear (&b);
}

/* While carol's hash is pending the room relays alice to bob; carol's
 * history, when she is in, has it. */
static void
test_auth_relays_while_pending (Fixture       *f,
                                gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = native_join (f, "bob");
  Peer *carol = add_peer (f, FALSE);

  f->hold_auth = TRUE;
  native_join_full (f, carol, "carol", "secret1", TRUE, NULL);
  g_assert_false (is_member (carol));
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);

  native_say (f, alice, "while carol waits");
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_false (is_member (carol));

  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (is_member (carol));
  g_assert_cmpuint (count_kind (carol, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "carol"), ==, 1);
}

/* The member path repeats its JOIN every half second: while the first
 * waits for its hash, a repeat starts no second job and is not answered. */
static void
test_auth_repeated_join (Fixture       *f,
                         gconstpointer  data)
{
  Peer *carol = add_peer (f, FALSE);

  f->hold_auth = TRUE;
  native_join_full (f, carol, "carol", "secret1", TRUE, NULL);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);

  for (guint i = 0; i < 3; i++)
    {
      f->now.mono += G_TIME_SPAN_SECOND / 2;
      g_assert_cmpuint (peer_tick (f, carol), ==, 1);   /* the JOIN again */
      g_assert_cmpuint (f->out->len, ==, 0);
    }
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);

  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (is_member (carol));
  g_assert_cmpuint (count_kind (carol, CR_EVENT_JOIN, "carol"), ==, 1);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 1);
}

static guint
count_members (GPtrArray *peers)
{
  guint n = 0;

  for (guint i = 0; i < peers->len; i++)
    n += is_member (peers->pdata[i]);
  return n;
}

/* A crowd of password joins: never more than the bound waits for a hash;
 * the rest are dropped (counted) and get in when they ask again. */
static void
test_auth_flood (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) crowd = g_ptr_array_new ();
  CrStats before, after;

  f->hold_auth = TRUE;
  cr_engine_get_stats (f->engine, &before);
  for (guint i = 0; i < 3 * CR_ENGINE_AUTH_PENDING_MAX; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);
      Peer *peer = add_peer (f, FALSE);

      native_join_full (f, peer, name, "secret1", TRUE, NULL);
      g_assert_false (is_member (peer));
      g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), <=, CR_ENGINE_AUTH_PENDING_MAX);
      g_ptr_array_add (crowd, peer);
    }
  cr_engine_get_stats (f->engine, &after);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, CR_ENGINE_AUTH_PENDING_MAX);
  g_assert_cmpuint (after.rate_limited - before.rate_limited, ==, 2 * CR_ENGINE_AUTH_PENDING_MAX);

  g_assert_cmpuint (run_jobs (f), ==, CR_ENGINE_AUTH_PENDING_MAX);
  g_assert_cmpuint (count_members (crowd), ==, CR_ENGINE_AUTH_PENDING_MAX);

  /* Those that were dropped ask again (their JOIN every half second), and
   * are heard now, a bound at a time. */
  for (guint round = 2; round <= 3; round++)
    {
      f->now.mono += G_TIME_SPAN_SECOND / 2;
      pump (f);
      g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, CR_ENGINE_AUTH_PENDING_MAX);
      g_assert_cmpuint (run_jobs (f), ==, CR_ENGINE_AUTH_PENDING_MAX);
      g_assert_cmpuint (count_members (crowd), ==, round * CR_ENGINE_AUTH_PENDING_MAX);
    }
}

/* A wrong password, checked by the job, is refused as before; the right
 * one gets in. */
static void
test_auth_wrong_password (Fixture       *f,
                          gconstpointer  data)
{
  Peer *carol = add_peer (f, FALSE);
  Peer *p;

  native_join_full (f, carol, "carol", "secret1", TRUE, NULL);
  g_assert_true (is_member (carol));
  native_leave (f, carol);

  f->hold_auth = TRUE;
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "wrong!", FALSE, NULL);
  g_assert_cmpint (refused (p), ==, CR_REASON_NONE);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);
  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_false (is_member (p));
  g_assert_cmpint (refused (p), ==, CR_REASON_WRONG_PASSWORD);

  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", FALSE, NULL);
  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (is_member (p));
}

/* The room closes while a join waits for its hash: the joiner is told,
 * and the hash coming back afterwards changes nothing. */
static void
test_auth_close_while_pending (Fixture       *f,
                               gconstpointer  data)
{
  Peer *carol = add_peer (f, FALSE);
  g_autoptr(CrAuthJob) job = NULL;

  f->hold_auth = TRUE;
  native_join_full (f, carol, "carol", "secret1", TRUE, NULL);
  job = cr_engine_take_auth_job (f->engine);
  g_assert_nonnull (job);

  cr_engine_close (f->engine, f->now, f->out);
  pump (f);
  g_assert_cmpint (refused (carol), ==, CR_REASON_ROOM_CLOSED);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 0);

  cr_auth_job_run (job);
  cr_engine_complete_auth (f->engine, job, f->now, f->out);
  g_assert_cmpuint (f->out->len, ==, 0);
  g_assert_false (is_member (carol));
  g_assert_false (carol->welcomed);
  g_assert_false (cr_store_has_account (f->store, "carol"));
}

/* Over real sockets: CrServer hashes on a worker thread and relays
 * meanwhile. The test holds the finished hash back (cr_server_hold_auth)
 * so that "meanwhile" does not depend on how fast Argon2id is here. */
typedef struct {
  gboolean done;
  GError  *error;
} JoinResult;

static void
on_join_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  JoinResult *r = user_data;

  cr_client_join_finish (CR_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
alice_reached_bob (gpointer user_data)
{
  return cr_test_count_text (cr_client_get_messages (user_data), "alice", "hello meanwhile") == 1;
}

static gboolean
hash_returned (gpointer user_data)
{
  return cr_server_get_n_held_auth (user_data) == 1;
}

static gboolean
join_done (gpointer user_data)
{
  return ((JoinResult *) user_data)->done;
}

static void
test_server_relays_while_hashing (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) carol = cr_client_new ();
  CrClient *alice, *bob;
  JoinResult joined = { 0 };

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_hold_auth (room.server, TRUE);
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 5000, NULL);

  cr_client_join_async (carol, room.address, "carol", "secret1", TRUE, NULL, NULL,
                        on_join_done, &joined);
  cr_client_send (alice, "hello meanwhile", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (alice_reached_bob, bob, 5000);
  cr_test_assert_wait (hash_returned, room.server, 4000);

  /* The hash is done on its worker but not handed back: carol waits, the
   * room went on. */
  g_assert_false (joined.done);
  g_assert_cmpint (cr_client_get_state (carol), ==, CR_CLIENT_CONNECTING);

  cr_server_hold_auth (room.server, FALSE);
  cr_test_assert_wait (join_done, &joined, 5000);
  g_assert_no_error (joined.error);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_JOIN, "carol", 5000);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (carol), "alice",
                                        "hello meanwhile"), ==, 1);

  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_test_leave_and_free (alice);
  cr_test_leave_and_free (bob);
  cr_test_room_clear (&room);
}

/* The batch's fan-out (cr-engine.c): what a read commits reaches each
 * member only after the read's write, packed: a native member one BATCH,
 * a classic one its join lines together and each chat line alone, every
 * line in order. A newcomer of the batch is told only what came after
 * its own join. A BATCH from a member is dropped and counted. */
static void
test_batch_fanout (Fixture       *f,
                   gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *carol = add_peer (f, TRUE);
  Peer *joiners[6];
  guint from = alice->outputs->len;
  guint batches = 0, events = 0;
  guint32 session = 0;
  CrStats before, after;

  feed_text (f, carol, "N carol");
  feed_text (f, carol, "M carol here");
  pump (f);
  from = alice->outputs->len;
  g_ptr_array_set_size (carol->lines, 0);

  cr_engine_begin_batch (f->engine);
  for (guint i = 0; i < G_N_ELEMENTS (joiners); i++)
    {
      g_autofree char *line = g_strdup_printf ("N j%u", i);

      joiners[i] = add_peer (f, TRUE);
      feed_text (f, joiners[i], line);
    }
  feed_text (f, joiners[0], "M j0 hello");
  feed_text (f, carol, "M carol welcome");

  /* Inside the read: the joiners have their OK, nobody any news yet. */
  for (guint i = 0; i < f->out->len; i++)
    {
      CrDatagram *d = f->out->pdata[i];

      g_assert_false (same_addr (d->to, alice->addr));
      g_assert_false (same_addr (d->to, carol->addr));
    }
  cr_engine_end_batch (f->engine, f->now, f->out);

  /* alice: a single BATCH datagram carries the 8 events. */
  for (guint i = 0; i < f->out->len; i++)
    {
      CrDatagram *d = f->out->pdata[i];
      gsize len;
      const guint8 *bytes = g_bytes_get_data (d->data, &len);
      CrHeader header;

      if (!same_addr (d->to, alice->addr))
        continue;
      g_assert_cmpint (cr_header_parse (bytes, len, &header, NULL, NULL), ==, CR_PARSE_OK);
      g_assert_cmpint (header.type, ==, CR_PACKET_BATCH);
      session = header.session;
      batches++;
    }
  g_assert_cmpuint (batches, ==, 1);
  pump (f);

  for (guint i = from; i < alice->outputs->len; i++)
    {
      CrClientOutput *output = alice->outputs->pdata[i];
      g_autofree char *name = g_strdup_printf ("j%u", events);

      if (output->kind != CR_CLIENT_OUTPUT_EVENT)
        continue;
      if (events < G_N_ELEMENTS (joiners))
        {
          g_assert_cmpint (output->event->kind, ==, CR_EVENT_JOIN);
          g_assert_cmpstr (output->event->name, ==, name);
        }
      else if (events == G_N_ELEMENTS (joiners))
        g_assert_cmpstr (output->event->text, ==, "hello");
      else
        g_assert_cmpstr (output->event->text, ==, "welcome");
      events++;
    }
  g_assert_cmpuint (events, ==, G_N_ELEMENTS (joiners) + 2);

  /* carol: the six join lines in one datagram, then each chat line. */
  g_assert_cmpuint (carol->lines->len, ==, 3);
  {
    g_auto(GStrv) lines = g_strsplit (carol->lines->pdata[0], "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (joiners));
    for (guint i = 0; i < G_N_ELEMENTS (joiners); i++)
      {
        g_autoptr(CrEvent) event = cr_classic_parse_line (lines[i], i + 1, 0);
        g_autofree char *name = g_strdup_printf ("j%u", i);

        g_assert_cmpint (event->kind, ==, CR_EVENT_JOIN);
        g_assert_cmpstr (event->name, ==, name);
      }
  }
  g_assert_nonnull (strstr (carol->lines->pdata[1], "hello"));
  g_assert_nonnull (strstr (carol->lines->pdata[2], "welcome"));

  /* j3 joined after j0…j2: it hears of j4 and j5, and both lines. */
  g_assert_cmpuint (joiners[3]->lines->len, ==, 4);   /* OK, the two joins, two lines */
  g_assert_cmpstr (joiners[3]->lines->pdata[0], ==, CR_CLASSIC_OK);
  g_assert_nonnull (strstr (joiners[3]->lines->pdata[1], "j4"));
  g_assert_nonnull (strstr (joiners[3]->lines->pdata[1], "j5"));
  g_assert_null (strstr (joiners[3]->lines->pdata[1], "j3"));

  /* A member may not send a BATCH: dropped, counted, still a member. */
  {
    static const guint8 unit = 0;
    g_autoptr(GBytes) datagram = NULL;
    CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_BATCH, CR_FLAG_RELIABLE, session, 1, 0, 0 };
    gsize len;
    const guint8 *bytes;

    g_assert_cmpuint (session, !=, 0);
    cr_engine_get_stats (f->engine, &before);
    datagram = cr_datagram_build (&header, &unit, 1);
    bytes = g_bytes_get_data (datagram, &len);
    engine_feed (f, alice->addr, bytes, len);
    cr_engine_get_stats (f->engine, &after);
    g_assert_cmpuint (after.malformed, ==, before.malformed + 1);
    pump (f);
    g_assert_true (is_member (alice));
  }
}

/* pump, counting by type the first copies of the reliable datagrams the
 * room sends watched (types[CR_PACKET_*]; a resend is not counted). */
static void
pump_counting (Fixture *f,
               Peer    *watched,
               guint   *types)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GPtrArray) batch = f->out;
      gboolean sent = FALSE;

      f->out = new_out ();
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          gsize len;
          const guint8 *bytes = g_bytes_get_data (d->data, &len);
          CrHeader header;

          if (same_addr (d->to, watched->addr) &&
              cr_header_parse (bytes, len, &header, NULL, NULL) == CR_PARSE_OK &&
              header.number != 0 && header.type < 64 &&
              g_hash_table_add (seen, GUINT_TO_POINTER (header.number)))
            types[header.type]++;
          for (guint j = 0; j < f->peers->len; j++)
            {
              Peer *peer = f->peers->pdata[j];
              if (!peer->cut && same_addr (peer->addr, d->to))
                peer_take (f, peer, d->data);
            }
        }
      for (guint j = 0; j < f->peers->len; j++)
        sent |= peer_tick (f, f->peers->pdata[j]) > 0;
      if (!sent && f->out->len == 0)
        return;
    }
  g_assert_not_reached ();
}

/* A read's newcomers (cr-engine-native.c): each gets its WELCOME and its
 * history at once, the history packed in BATCHes; the member list only
 * when the read ends, one list for all of them, made at that point. Each
 * newcomer's list is then the whole room, each name once, and the joins
 * of the read after its own still reach it as events, once each. */
static void
test_welcome_shared (Fixture       *f,
                     gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *newcomers[5];
  guint types[64] = { 0, };
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *text = g_strdup_printf ("before %u", i);
      native_say (f, alice, text);
    }
  g_ptr_array_add (expected, g_strdup ("alice"));

  cr_engine_begin_batch (f->engine);
  for (guint i = 0; i < G_N_ELEMENTS (newcomers); i++)
    {
      g_autofree char *address = cr_test_address ("127.0.0.1", ROOM_PORT);
      g_autofree char *name = g_strdup_printf ("n%u", i);
      CrClientJoin join = { name, NULL, FALSE, NULL, address, 0, .plaintext = TRUE };
      g_autoptr(GPtrArray) out = new_out ();

      newcomers[i] = add_peer (f, FALSE);
      g_assert_true (cr_client_engine_join (newcomers[i]->engine, &join, f->now.mono));
      cr_client_engine_start (newcomers[i]->engine, f->now.mono, out);
      peer_sent (f, newcomers[i], out);
      pump_counting (f, newcomers[0], types);
      g_ptr_array_add (expected, g_steal_pointer (&name));
    }
  /* Inside the read: welcomed, with the history, but no list yet. */
  for (guint i = 0; i < G_N_ELEMENTS (newcomers); i++)
    {
      g_assert_true (newcomers[i]->welcomed);
      g_assert_false (is_member (newcomers[i]));
    }
  /* n0's history (alice's join, her 12 lines, its own join): one BATCH,
   * not 14 EVENTs. */
  g_assert_cmpuint (types[CR_PACKET_WELCOME], ==, 1);
  g_assert_cmpuint (types[CR_PACKET_BATCH], ==, 1);
  g_assert_cmpuint (types[CR_PACKET_EVENT], ==, 0);
  g_assert_cmpuint (types[CR_PACKET_MEMBERS], ==, 0);
  g_assert_cmpuint (count_kind (newcomers[0], CR_EVENT_CHAT, "alice"), ==, 12);

  cr_engine_end_batch (f->engine, f->now, f->out);
  pump_counting (f, newcomers[0], types);
  g_assert_cmpuint (types[CR_PACKET_MEMBERS], ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (newcomers); i++)
    {
      GPtrArray *members;

      g_assert_true (is_member (newcomers[i]));
      members = cr_client_engine_get_members (newcomers[i]->engine);
      g_assert_cmpuint (members->len, ==, expected->len);
      for (guint j = 0; j < expected->len; j++)
        {
          guint found = 0;

          for (guint k = 0; k < members->len; k++)
            found += g_str_equal (((CrClientMember *) members->pdata[k])->name,
                                  expected->pdata[j]);
          g_assert_cmpuint (found, ==, 1);
        }
      /* Every join of the read once: those up to its own in its history,
       * those after it as news. */
      for (guint j = 0; j < G_N_ELEMENTS (newcomers); j++)
        {
          g_autofree char *name = g_strdup_printf ("n%u", j);

          g_assert_cmpuint (count_kind (newcomers[i], CR_EVENT_JOIN, name), ==, 1);
        }
    }
  g_assert_cmpuint (cr_client_engine_get_members (alice->engine)->len, ==, expected->len);

  /* They talk as members. */
  native_say (f, newcomers[4], "hi all");
  g_assert_cmpuint (count_kind (newcomers[0], CR_EVENT_CHAT, "n4"), ==, 1);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "n4"), ==, 1);
}

typedef struct {
  GPtrArray *out;        /* the engine's out, seen by the func */
  GPtrArray *sent;       /* CrDatagram*: what the func took out of it */
  guint      calls;
  guint      smallest;   /* the fewest datagrams out held at a call */
} OutputSeen;

/* As CrServer sends: everything in out, in order, removed from it. */
static void
on_output (gpointer user_data)
{
  OutputSeen *seen = user_data;

  seen->calls++;
  seen->smallest = MIN (seen->smallest, seen->out->len);
  for (guint i = 0; i < seen->out->len; i++)
    g_ptr_array_add (seen->sent, g_steal_pointer (&seen->out->pdata[i]));
  g_ptr_array_set_size (seen->out, 0);
}

/* A fan-out hands its datagrams out every CR_ENGINE_OUTPUT_CHUNK
 * (cr_engine_set_output_func), never inside a batch before its write;
 * what was handed out and what is left are every member's lines, once
 * each, in order. */
static void
test_output_chunks (Fixture       *f,
                    gconstpointer  data)
{
  const guint n = CR_ENGINE_OUTPUT_CHUNK + 72;
  g_autoptr(GPtrArray) sent = new_out ();
  OutputSeen seen = { NULL, sent, 0, G_MAXUINT };
  Peer *speaker;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *line = g_strdup_printf ("N c%u", i);

      feed_text (f, add_peer (f, TRUE), line);
    }
  pump (f);
  speaker = f->peers->pdata[0];
  for (guint i = 0; i < f->peers->len; i++)
    g_ptr_array_set_size (((Peer *) f->peers->pdata[i])->lines, 0);

  /* pump made f->out anew. */
  seen.out = f->out;
  cr_engine_set_output_func (f->engine, on_output, &seen);
  cr_engine_begin_batch (f->engine);
  feed_text (f, speaker, "M c0 one");
  feed_text (f, speaker, "M c0 two");
  /* Inside the read, before its write: nothing handed out. */
  g_assert_cmpuint (seen.calls, ==, 0);
  cr_engine_end_batch (f->engine, f->now, f->out);

  /* Two lines for each of n members. */
  g_assert_cmpuint (seen.calls, >=, 1);
  g_assert_cmpuint (seen.smallest, >=, CR_ENGINE_OUTPUT_CHUNK);
  g_assert_cmpuint (sent->len + f->out->len, ==, 2 * n);
  g_assert_cmpuint (f->out->len, <, CR_ENGINE_OUTPUT_CHUNK + 2);
  for (guint i = 0; i < f->out->len; i++)
    g_ptr_array_add (sent, g_steal_pointer (&f->out->pdata[i]));
  g_ptr_array_set_size (f->out, 0);
  for (guint i = 0; i < sent->len; i++)
    {
      CrDatagram *d = sent->pdata[i];

      for (guint j = 0; j < f->peers->len; j++)
        if (same_addr (((Peer *) f->peers->pdata[j])->addr, d->to))
          peer_take (f, f->peers->pdata[j], d->data);
    }
  for (guint i = 0; i < f->peers->len; i++)
    {
      Peer *peer = f->peers->pdata[i];

      g_assert_cmpuint (peer->lines->len, ==, 2);
      g_assert_nonnull (strstr (peer->lines->pdata[0], "one"));
      g_assert_nonnull (strstr (peer->lines->pdata[1], "two"));
    }
  cr_engine_set_output_func (f->engine, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);
  cr_locale_init ();

#define ADD(path, func) \
  g_test_add ("/chatroom/engine/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("join-and-chat", test_join_and_chat);
  ADD ("refusals", test_refusals);
  ADD ("classic-spoofing", test_classic_spoofing);
  ADD ("native-spoofing", test_native_spoofing);
  ADD ("garbage", test_garbage);
  ADD ("timeout", test_timeout);
  ADD ("owner", test_owner);
  ADD ("flood", test_flood);
  ADD ("resume", test_resume);
  ADD ("join-cookie", test_join_cookie);
  ADD ("auth-relays-while-pending", test_auth_relays_while_pending);
  ADD ("auth-repeated-join", test_auth_repeated_join);
  ADD ("auth-flood", test_auth_flood);
  ADD ("auth-wrong-password", test_auth_wrong_password);
  ADD ("auth-close-while-pending", test_auth_close_while_pending);
  ADD ("batch-fanout", test_batch_fanout);
  ADD ("welcome-shared", test_welcome_shared);
  ADD ("output-chunks", test_output_chunks);
#undef ADD
  g_test_add_func ("/chatroom/engine/auth-job-reproducible", test_auth_job_reproducible);
  g_test_add_func ("/chatroom/engine/server-relays-while-hashing",
                   test_server_relays_while_hashing);

  return g_test_run ();
}
