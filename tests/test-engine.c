/* test-engine.c: the server's packet path with literal datagrams, no sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cr-engine.h"
#include "cr-store-private.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-render.h"
#include "cr-server-private.h"
#include "cr-test-utils.h"

/* A peer: a native client reduced to its reliable channel, or a classic one
 * that just collects text lines. */
typedef struct {
  GSocketAddress *addr;
  gboolean        classic;
  CrReliable     *rel;
  guint32         session;
  char           *token;
  gboolean        probed;
  guint32         cookie;
  gboolean        welcomed;
  gboolean        has_members;
  CrReason        refused;
  CrReason        bye;
  GPtrArray      *events;    /* CrEvent* */
  GPtrArray      *notices;   /* CrReason as pointers */
  GPtrArray      *lines;     /* char*, classic */
  GPtrArray      *members;   /* char* names of the last MEMBERS */
} Peer;

typedef struct {
  char      *dir;
  CrStore   *store;
  CrEngine  *engine;
  CrEngineTime now;
  GPtrArray *out;
  GPtrArray *peers;
  gboolean   hold_auth;   /* leave hash jobs to the test, else run them at once */
  GRand     *rand;        /* the engine's randomness, fixed */
} Fixture;

static Peer *
peer_new (guint16  port,
          gboolean classic)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  Peer *peer = g_new0 (Peer, 1);

  peer->addr = g_inet_socket_address_new (lo, port);
  peer->classic = classic;
  peer->rel = cr_reliable_new ();
  peer->events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  peer->notices = g_ptr_array_new ();
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  peer->members = g_ptr_array_new_with_free_func (g_free);
  return peer;
}

static void
peer_free (Peer *peer)
{
  g_object_unref (peer->addr);
  g_free (peer->token);
  cr_reliable_free (peer->rel);
  g_ptr_array_unref (peer->events);
  g_ptr_array_unref (peer->notices);
  g_ptr_array_unref (peer->lines);
  g_ptr_array_unref (peer->members);
  g_free (peer);
}

static gboolean
same_addr (GSocketAddress *a,
           GSocketAddress *b)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) ==
         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b));
}

/* Fixed randomness: the same seed makes the same cookies and tokens. */
static void
fixed_random (guint8   *buf,
              gsize     len,
              gpointer  user_data)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = g_rand_int_range (user_data, 0, 256);
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
  config.random_func = fixed_random;
  config.random_data = f->rand;
  config.room_name = "Test";
  config.language = "zh_CN";
  config.silence_timeout_us = 3 * G_TIME_SPAN_SECOND;
  config.rate_per_second = 10;
  config.rate_burst = 20;
  f->engine = cr_engine_new (&config, f->store);
  f->now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, 1767225600 * G_TIME_SPAN_SECOND };
  f->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  f->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
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

/* A peer takes one datagram from the engine. */
static void
peer_take (Peer   *peer,
           GBytes *data)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  const guint8 *body;
  gsize body_len;
  CrHeader header;

  if (peer->classic)
    {
      g_assert_true (g_utf8_validate ((const char *) bytes, len, NULL));
      g_ptr_array_add (peer->lines, g_strndup ((const char *) bytes, len));
      return;
    }

  g_assert_cmpint (cr_header_parse (bytes, len, &header, &body, &body_len), ==, CR_PARSE_OK);
  if (header.type == CR_PACKET_PING && header.session == 0)
    {
      peer->probed = TRUE;
      peer->cookie = header.ack;
      return;
    }
  if (header.type == CR_PACKET_REFUSE)
    {
      g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_REFUSE, body, body_len);
      guint32 reason;

      g_assert_nonnull (v);
      g_variant_get (v, "(u&s)", &reason, NULL);
      peer->refused = reason;
      return;
    }

  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  cr_reliable_receive (peer->rel, &header, body, body_len, 0, deliveries);
  for (guint i = 0; i < deliveries->len; i++)
    {
      CrDelivery *d = deliveries->pdata[i];
      gsize dlen;
      const guint8 *dbytes = g_bytes_get_data (d->body, &dlen);
      g_autoptr(GVariant) v = cr_body_parse (d->type, dbytes, dlen);

      g_assert_nonnull (v);
      switch (d->type)
        {
        case CR_PACKET_WELCOME:
          peer->welcomed = TRUE;
          peer->session = header.session;
          g_free (peer->token);
          g_variant_get (v, "(&s&s&sut)", NULL, NULL, &peer->token, NULL, NULL);
          peer->token = g_strdup (peer->token);
          break;
        case CR_PACKET_EVENT:
          g_ptr_array_add (peer->events, cr_event_from_body (v));
          break;
        case CR_PACKET_MEMBERS:
          {
            g_autoptr(GVariantIter) iter = NULL;
            const char *name;

            g_ptr_array_set_size (peer->members, 0);
            g_variant_get (v, "(ta(suu))", NULL, &iter);
            while (g_variant_iter_next (iter, "(&suu)", &name, NULL, NULL))
              g_ptr_array_add (peer->members, g_strdup (name));
            peer->has_members = TRUE;
            break;
          }
        case CR_PACKET_NOTICE:
          {
            guint32 reason;
            g_variant_get (v, "(ut)", &reason, NULL);
            g_ptr_array_add (peer->notices, GUINT_TO_POINTER (reason));
            break;
          }
        case CR_PACKET_BYE:
          {
            guint32 reason;
            g_variant_get (v, "(u&s)", &reason, NULL);
            peer->bye = reason;
            break;
          }
        default:
          g_assert_not_reached ();
        }
    }
}

/* Move datagrams both ways until nothing is left; bounded. */
static void
pump (Fixture *f)
{
  for (guint round = 0; round < 200; round++)
    {
      g_autoptr(GPtrArray) batch = f->out;
      gboolean sent = FALSE;

      f->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          for (guint j = 0; j < f->peers->len; j++)
            {
              Peer *peer = f->peers->pdata[j];
              if (same_addr (peer->addr, d->to))
                peer_take (peer, d->data);
            }
        }

      for (guint j = 0; j < f->peers->len; j++)
        {
          Peer *peer = f->peers->pdata[j];
          g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

          if (peer->classic || !peer->welcomed)
            continue;
          cr_reliable_flush (peer->rel, peer->session, f->now.mono, datagrams);
          for (guint i = 0; i < datagrams->len; i++)
            {
              gsize len;
              const guint8 *bytes = g_bytes_get_data (datagrams->pdata[i], &len);
              engine_feed (f, peer->addr, bytes, len);
              sent = TRUE;
            }
        }

      if (!sent && f->out->len == 0)
        return;
    }
  g_assert_not_reached ();
}

static void
native_join_full (Fixture    *f,
                  Peer       *peer,
                  const char *name,
                  const char *password,
                  gboolean    do_register,
                  const char *owner_token)
{
  g_autoptr(GBytes) body = cr_body_join (name, password ? password : "", "", do_register, 0,
                                         owner_token ? owner_token : "");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, 0, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *bytes;

  feed_text (f, peer, CR_PROBE_TEXT);
  pump (f);
  g_assert_true (peer->probed);

  header.ack = peer->cookie;
  bytes = g_bytes_get_data (body, &len);
  datagram = cr_datagram_build (&header, bytes, len);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, peer->addr, bytes, len);
  pump (f);
}

static Peer *
native_join (Fixture    *f,
             const char *name)
{
  Peer *peer = add_peer (f, FALSE);

  native_join_full (f, peer, name, NULL, FALSE, NULL);
  g_assert_true (peer->welcomed);
  g_assert_true (peer->has_members);
  return peer;
}

static void
native_say (Fixture    *f,
            Peer       *peer,
            const char *text,
            guint64     origin)
{
  g_autoptr(GBytes) body = cr_body_chat (origin, text);

  cr_reliable_send (peer->rel, CR_PACKET_CHAT, body);
  pump (f);
}

static guint
count_kind (Peer        *peer,
            CrEventKind  kind,
            const char  *name)
{
  guint n = 0;

  for (guint i = 0; i < peer->events->len; i++)
    {
      CrEvent *e = peer->events->pdata[i];
      if (e->kind == kind && (name == NULL || g_str_equal (e->name, name)))
        n++;
    }
  return n;
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

  g_assert_cmpuint (count_kind (alice, CR_EVENT_JOIN, "bob"), ==, 1);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "alice"), ==, 1);   /* history */
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "bob"), ==, 1);     /* its own */
  g_assert_cmpuint (bob->members->len, ==, 2);

  native_say (f, alice, "hello  there", 7);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "alice"), ==, 1);
  {
    CrEvent *last = alice->events->pdata[alice->events->len - 1];
    g_assert_cmpstr (last->text, ==, "hello  there");
    g_assert_cmpuint (last->origin, ==, 7);
  }

  /* A retry of the same message (same origin) is not stored twice. */
  native_say (f, alice, "hello  there", 7);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
}

static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  Peer *p;

  native_join (f, "alice");

  p = add_peer (f, FALSE);
  native_join_full (f, p, "ALICE", NULL, FALSE, NULL);
  g_assert_false (p->welcomed);
  g_assert_cmpint (p->refused, ==, CR_REASON_NAME_TAKEN);

  p = add_peer (f, FALSE);
  native_join_full (f, p, "has space", NULL, FALSE, NULL);
  g_assert_cmpint (p->refused, ==, CR_REASON_NAME_INVALID);

  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", TRUE, NULL);
  g_assert_true (p->welcomed);

  /* carol is registered now: a guest can't take the name, a wrong password
   * is refused (after she left). */
  {
    g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");
    cr_reliable_send (p->rel, CR_PACKET_BYE, bye);
    pump (f);
  }
  p = add_peer (f, FALSE);
  native_join_full (f, p, "Carol", NULL, FALSE, NULL);
  g_assert_cmpint (p->refused, ==, CR_REASON_NAME_REGISTERED);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "wrong!", FALSE, NULL);
  g_assert_cmpint (p->refused, ==, CR_REASON_WRONG_PASSWORD);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", FALSE, NULL);
  g_assert_true (p->welcomed);
  p = add_peer (f, FALSE);
  native_join_full (f, p, "dave", "pw", FALSE, NULL);
  g_assert_cmpint (p->refused, ==, CR_REASON_NOT_REGISTERED);
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
  g_assert_cmpstr (((CrEvent *) alice->events->pdata[alice->events->len - 1])->text, ==,
                   " two  spaces ");
  g_assert_true (has_line (bob, "bob 说 :"));

  /* Alice's message reaches bob as a Chinese line. */
  native_say (f, alice, "你好", 1);
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
                      alice->session, 100, 0, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (body, &len);
  CrStats before, after;

  datagram = cr_datagram_build (&header, bytes, len);
  cr_engine_get_stats (f->engine, &before);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, mallory->addr, bytes, len);
  pump (f);
  cr_engine_get_stats (f->engine, &after);

  g_assert_cmpuint (after.spoofed, ==, before.spoofed + 1);
  g_assert_cmpuint (count_kind (mallory, CR_EVENT_CHAT, NULL), ==, 0);
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

  native_say (f, alice, "still here", 2);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 1);
}

static void
test_timeout (Fixture       *f,
              gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  Peer *bob = native_join (f, "bob");
  g_autoptr(GBytes) empty = cr_body_empty ();

  /* Alice keeps talking (pings), bob goes silent. */
  for (int i = 0; i < 8; i++)
    {
      GBytes *ping;
      gsize len;
      const guint8 *bytes;

      f->now.mono += G_TIME_SPAN_SECOND / 2;
      f->now.wall += G_TIME_SPAN_SECOND / 2;
      ping = cr_reliable_build_unreliable (alice->rel, alice->session, CR_PACKET_PING, empty);
      bytes = g_bytes_get_data (ping, &len);
      engine_feed (f, alice->addr, bytes, len);
      g_bytes_unref (ping);
      cr_engine_tick (f->engine, f->now, f->out);
      pump (f);
    }
  g_assert_cmpuint (count_kind (alice, CR_EVENT_TIMEOUT, "bob"), ==, 1);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_TIMEOUT, "alice"), ==, 0);
  g_assert_null (cr_room_lookup_name (cr_engine_get_room (f->engine), "bob"));
  (void) bob;
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

  native_join_full (f, owner, "teacher", NULL, FALSE, cr_engine_get_owner_token (f->engine));
  m = cr_room_lookup_name (cr_engine_get_room (f->engine), "teacher");
  g_assert_cmpint (m->role, ==, CR_ROLE_OWNER);

  feed_text (f, carol, "N carol");
  pump (f);

  native_say (f, owner, "class starts", 3);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_OWNER_CHAT, "teacher"), ==, 1);
  g_assert_true (has_line (carol, "群主说：class starts"));

  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_MUTE, "BOB", f->now, f->out, &reason));
  pump (f);
  native_say (f, bob, "can I speak", 9);
  g_assert_cmpuint (bob->notices->len, ==, 1);
  g_assert_cmpint (GPOINTER_TO_UINT (bob->notices->pdata[0]), ==, CR_REASON_MUTED);
  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_UNMUTE, "bob", f->now, f->out, &reason));

  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_KICK, "bob", f->now, f->out, &reason));
  pump (f);
  g_assert_cmpint (bob->bye, ==, CR_REASON_KICKED);
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
  g_assert_cmpint (owner->bye, ==, CR_REASON_ROOM_CLOSED);
  g_assert_cmpuint (count_kind (owner, CR_EVENT_ROOM_CLOSED, NULL), ==, 1);
  g_assert_true (cr_engine_is_drained (f->engine));
}

static void
test_flood (Fixture       *f,
            gconstpointer  data)
{
  Peer *alice = native_join (f, "alice");
  CrStats stats;

  for (guint i = 1; i <= 60; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(GBytes) body = cr_body_chat (i, text);
      cr_reliable_send (alice->rel, CR_PACKET_CHAT, body);
    }
  pump (f);
  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_CHAT, "alice"), ==, 20);  /* the burst */
  g_assert_cmpuint (alice->notices->len, ==, 40);
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
  Peer *back;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) datagram = NULL;
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, 0, 0 };
  gsize len;
  const guint8 *bytes;
  guint64 seen;
  g_autofree char *token = NULL;

  native_say (f, bob, "one", 1);
  seen = ((CrEvent *) alice->events->pdata[alice->events->len - 1])->seq;
  /* Alice's network goes away; bob goes on. */
  token = g_strdup (alice->token);
  g_ptr_array_remove (f->peers, alice);
  native_say (f, bob, "two", 2);
  native_say (f, bob, "three", 3);

  /* Without the token the name is taken. */
  back = add_peer (f, FALSE);
  native_join_full (f, back, "alice", NULL, FALSE, NULL);
  g_assert_cmpint (back->refused, ==, CR_REASON_NAME_TAKEN);

  /* With it, from a new address, alice resumes after what she saw. */
  back = add_peer (f, FALSE);
  g_assert_nonnull (token);
  feed_text (f, back, CR_PROBE_TEXT);
  pump (f);
  header.ack = back->cookie;
  body = cr_body_join ("alice", "", token, FALSE, seen, "");
  bytes = g_bytes_get_data (body, &len);
  datagram = cr_datagram_build (&header, bytes, len);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, back->addr, bytes, len);
  pump (f);

  g_assert_true (back->welcomed);
  g_assert_cmpuint (back->events->len, ==, 2);
  g_assert_cmpstr (((CrEvent *) back->events->pdata[0])->text, ==, "two");
  g_assert_cmpstr (((CrEvent *) back->events->pdata[1])->text, ==, "three");
  g_assert_cmpuint (count_kind (bob, CR_EVENT_LEAVE, "alice"), ==, 0);
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
}

/* Password joins through hash jobs ---------------------------------- */

/* A JOIN datagram with the cookie the peer was given. */
static void
feed_join (Fixture    *f,
           Peer       *peer,
           const char *name,
           const char *password,
           gboolean    do_register)
{
  g_autoptr(GBytes) body = cr_body_join (name, password, "", do_register, 0, "");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, peer->cookie, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (body, &len);

  datagram = cr_datagram_build (&header, bytes, len);
  bytes = g_bytes_get_data (datagram, &len);
  engine_feed (f, peer->addr, bytes, len);
}

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
  g_assert_true (alice->welcomed);

  native_join_full (&f, carol, "carol", "secret1", TRUE, NULL);
  g_assert_true (carol->probed);
  g_assert_false (carol->welcomed);
  g_assert_cmpint (carol->refused, ==, CR_REASON_NONE);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f.engine), ==, 1);

  job = cr_engine_take_auth_job (f.engine);
  g_assert_nonnull (job);
  g_assert_null (cr_engine_take_auth_job (f.engine));
  cr_auth_job_run (job);
  cr_engine_complete_auth (f.engine, job, f.now, f.out);
  cr_auth_job_free (job);
  pump (&f);

  g_assert_true (carol->welcomed);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f.engine), ==, 0);
  g_assert_cmpuint (count_kind (alice, CR_EVENT_JOIN, "carol"), ==, 1);
  g_assert_true (cr_room_lookup_name (cr_engine_get_room (f.engine), "carol")->flags &
                 CR_MEMBER_REGISTERED);
  g_assert_true (cr_store_has_account (f.store, "carol"));

  o->owner_token = g_strdup (cr_engine_get_owner_token (f.engine));
  o->cookie = carol->cookie;
  o->session = carol->session;
  o->resume_token = g_strdup (carol->token);
  o->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < carol->events->len; i++)
    g_array_append_val (o->times, ((CrEvent *) carol->events->pdata[i])->time_us);
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
  g_assert_false (carol->welcomed);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);

  native_say (f, alice, "while carol waits", 5);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_false (carol->welcomed);

  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (carol->welcomed);
  g_assert_cmpuint (count_kind (carol, CR_EVENT_CHAT, "alice"), ==, 1);
  g_assert_cmpuint (count_kind (bob, CR_EVENT_JOIN, "carol"), ==, 1);
}

/* The client repeats its JOIN every half second: while the first waits
 * for its hash, a repeat starts no second job and is not answered. */
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
      feed_join (f, carol, "carol", "secret1", TRUE);
      g_assert_cmpuint (f->out->len, ==, 0);
    }
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);

  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (carol->welcomed);
  g_assert_cmpuint (count_kind (carol, CR_EVENT_JOIN, "carol"), ==, 1);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 1);
}

/* A crowd of password joins: never more than the bound waits for a hash;
 * the rest are dropped (counted) and get in when they ask again. */
static void
test_auth_flood (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) crowd = g_ptr_array_new ();
  CrStats before, after;
  guint welcomed = 0;

  f->hold_auth = TRUE;
  cr_engine_get_stats (f->engine, &before);
  for (guint i = 0; i < 3 * CR_ENGINE_AUTH_PENDING_MAX; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);
      Peer *peer = add_peer (f, FALSE);

      native_join_full (f, peer, name, "secret1", TRUE, NULL);
      g_assert_false (peer->welcomed);
      g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), <=, CR_ENGINE_AUTH_PENDING_MAX);
      g_ptr_array_add (crowd, peer);
    }
  cr_engine_get_stats (f->engine, &after);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, CR_ENGINE_AUTH_PENDING_MAX);
  g_assert_cmpuint (after.rate_limited - before.rate_limited, ==, 2 * CR_ENGINE_AUTH_PENDING_MAX);

  g_assert_cmpuint (run_jobs (f), ==, CR_ENGINE_AUTH_PENDING_MAX);
  for (guint i = 0; i < crowd->len; i++)
    welcomed += ((Peer *) crowd->pdata[i])->welcomed;
  g_assert_cmpuint (welcomed, ==, CR_ENGINE_AUTH_PENDING_MAX);

  /* One that was dropped asks again, and is heard now. */
  {
    Peer *late = crowd->pdata[crowd->len - 1];
    g_autofree char *name = g_strdup_printf ("user%u", crowd->len - 1);

    g_assert_false (late->welcomed);
    feed_join (f, late, name, "secret1", TRUE);
    g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);
    g_assert_cmpuint (run_jobs (f), ==, 1);
    g_assert_true (late->welcomed);
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
  g_assert_true (carol->welcomed);
  {
    g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");
    cr_reliable_send (carol->rel, CR_PACKET_BYE, bye);
    pump (f);
  }

  f->hold_auth = TRUE;
  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "wrong!", FALSE, NULL);
  g_assert_cmpint (p->refused, ==, CR_REASON_NONE);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 1);
  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_false (p->welcomed);
  g_assert_cmpint (p->refused, ==, CR_REASON_WRONG_PASSWORD);

  p = add_peer (f, FALSE);
  native_join_full (f, p, "carol", "secret1", FALSE, NULL);
  g_assert_cmpuint (run_jobs (f), ==, 1);
  g_assert_true (p->welcomed);
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
  g_assert_cmpint (carol->refused, ==, CR_REASON_ROOM_CLOSED);
  g_assert_cmpuint (cr_engine_get_n_pending_auth (f->engine), ==, 0);

  cr_auth_job_run (job);
  cr_engine_complete_auth (f->engine, job, f->now, f->out);
  g_assert_cmpuint (f->out->len, ==, 0);
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
#undef ADD
  g_test_add_func ("/chatroom/engine/auth-job-reproducible", test_auth_job_reproducible);
  g_test_add_func ("/chatroom/engine/server-relays-while-hashing",
                   test_server_relays_while_hashing);

  return g_test_run ();
}
