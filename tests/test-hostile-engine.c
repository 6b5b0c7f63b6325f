/* test-hostile-engine.c: the room's packet path against a hostile LAN
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Literal datagrams from addresses anyone on a LAN can forge, a fixed
 * clock and fixed randomness, no socket: what the room sends to each
 * address is counted in bytes, against what it received from it. The
 * figures are printed with g_test_message (run with --verbose).
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-classic.h"
#include "cr-engine.h"
#include "cr-store-private.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-test-utils.h"

/* A native member reduced to what the tests need: its reliable channel
 * (only when it acks), its cookie, session and token. */
typedef struct {
  GSocketAddress *addr;
  CrReliable     *rel;
  guint32         cookie;
  guint32         session;
  char           *token;
  gboolean        welcomed;
  CrReason        refused;
  guint           events;
} Native;

typedef struct {
  char         *dir;
  CrStore      *store;
  CrEngine     *engine;
  CrEngineTime  now;
  GRand        *rand;
  GHashTable   *bytes_in;    /* "ip:port" → guint64 * */
  GHashTable   *bytes_out;
  GPtrArray    *natives;     /* Native* */
  guint         joins;       /* JOIN events committed */
  guint         timeouts;
} Fixture;

static void
on_event (const CrEvent *event,
          gpointer       user_data)
{
  Fixture *f = user_data;

  if (event->kind == CR_EVENT_JOIN)
    f->joins++;
  else if (event->kind == CR_EVENT_TIMEOUT)
    f->timeouts++;
}

static void
native_free (Native *n)
{
  g_object_unref (n->addr);
  g_clear_pointer (&n->rel, cr_reliable_free);
  g_free (n->token);
  g_free (n);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CrEngineConfig config;

  f->dir = g_dir_make_tmp ("cr-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = cr_store_open (f->dir, &error);
  g_assert_no_error (error);
  cr_store_set_pwhash_cost (f->store, CR_PWHASH_MIN);

  f->rand = g_rand_new_with_seed (10);
  cr_engine_config_init (&config);
  config.random_func = cr_test_fixed_random;
  config.random_data = f->rand;
  config.room_name = "Test";
  config.language = "zh_CN";
  config.silence_timeout_us = 3 * G_TIME_SPAN_SECOND;
  f->engine = cr_engine_new (&config, f->store);
  cr_engine_set_event_func (f->engine, on_event, f);
  f->now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, 1767225600 * G_TIME_SPAN_SECOND };
  f->bytes_in = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->bytes_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->natives = g_ptr_array_new_with_free_func ((GDestroyNotify) native_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  cr_engine_free (f->engine);
  cr_store_close (f->store);
  cr_test_remove_tree (f->dir);
  g_free (f->dir);
  g_rand_free (f->rand);
  g_hash_table_unref (f->bytes_in);
  g_hash_table_unref (f->bytes_out);
  g_ptr_array_unref (f->natives);
}

static GSocketAddress *
address (const char *ip,
         guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);

  return g_inet_socket_address_new (inet, port);
}

static char *
address_string (GSocketAddress *addr)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (addr);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));

  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (isa));
}

static void
count (GHashTable     *table,
       GSocketAddress *addr,
       gsize           len)
{
  char *key = address_string (addr);
  guint64 *total = g_hash_table_lookup (table, key);

  if (total == NULL)
    {
      total = g_new0 (guint64, 1);
      g_hash_table_insert (table, key, total);
    }
  else
    g_free (key);
  *total += len;
}

static guint64
counted (GHashTable     *table,
         GSocketAddress *addr)
{
  g_autofree char *key = address_string (addr);
  guint64 *total = g_hash_table_lookup (table, key);

  return total ? *total : 0;
}

static gboolean
same_address (GSocketAddress *a,
              GSocketAddress *b)
{
  g_autofree char *x = address_string (a);
  g_autofree char *y = address_string (b);

  return g_str_equal (x, y);
}

/* A native member takes one datagram. */
static void
native_take (Native *n,
             GBytes *data)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  const guint8 *body;
  gsize body_len;
  CrHeader header;

  g_assert_cmpint (cr_header_parse (bytes, len, &header, &body, &body_len), ==, CR_PARSE_OK);
  if (header.type == CR_PACKET_PING && header.session == 0)
    {
      n->cookie = header.ack;
      return;
    }
  if (header.type == CR_PACKET_REFUSE)
    {
      g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_REFUSE, body, body_len);
      guint32 reason;

      g_variant_get (v, "(u&s)", &reason, NULL);
      n->refused = reason;
      return;
    }
  if (n->rel == NULL)
    {
      /* It never acks, so it never reads; it only learns its session. */
      n->session = header.session;
      return;
    }

  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  cr_reliable_receive (n->rel, &header, body, body_len, 0, deliveries);
  for (guint i = 0; i < deliveries->len; i++)
    {
      CrDelivery *d = deliveries->pdata[i];
      gsize dlen;
      const guint8 *dbytes = g_bytes_get_data (d->body, &dlen);
      g_autoptr(GVariant) v = cr_body_parse (d->type, dbytes, dlen);

      if (d->type == CR_PACKET_WELCOME)
        {
          const char *token;

          g_variant_get (v, "(&s&s&sut)", NULL, NULL, &token, NULL, NULL);
          g_free (n->token);
          n->token = g_strdup (token);
          n->session = header.session;
          n->welcomed = TRUE;
        }
      else if (d->type == CR_PACKET_EVENT)
        n->events++;
    }
}

/* Count what the engine sent, hand it to the natives, drop it. */
static void
route (Fixture   *f,
       GPtrArray *out)
{
  for (guint i = 0; i < out->len; i++)
    {
      CrDatagram *d = out->pdata[i];

      count (f->bytes_out, d->to, g_bytes_get_size (d->data));
      for (guint j = 0; j < f->natives->len; j++)
        {
          Native *n = f->natives->pdata[j];
          if (same_address (n->addr, d->to))
            native_take (n, d->data);
        }
    }
  g_ptr_array_set_size (out, 0);
}

/* One datagram in; returns the bytes the engine sent back to its source. */
static guint64
feed (Fixture        *f,
      GSocketAddress *from,
      const void     *data,
      gsize           len)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  guint64 before = counted (f->bytes_out, from);

  count (f->bytes_in, from, len);
  cr_engine_receive (f->engine, data, len, from, f->now, out);
  route (f, out);
  return counted (f->bytes_out, from) - before;
}

static guint64
feed_text (Fixture        *f,
           GSocketAddress *from,
           const char     *text)
{
  return feed (f, from, text, strlen (text));
}

/* Run the hash jobs as CrServer's workers would; returns how many. */
static guint
run_jobs (Fixture *f)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  CrAuthJob *job;
  guint n = 0;

  while ((job = cr_engine_take_auth_job (f->engine)) != NULL)
    {
      cr_auth_job_run (job);
      cr_engine_complete_auth (f->engine, job, f->now, out);
      cr_auth_job_free (job);
      n++;
    }
  route (f, out);
  return n;
}

static void
tick (Fixture *f)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);

  cr_engine_tick (f->engine, f->now, out);
  route (f, out);
}

static void
advance (Fixture *f,
         gint64   us)
{
  f->now.mono += us;
  f->now.wall += us;
}

static GBytes *
native_datagram (guint32       session,
                 guint32       ack,
                 CrPacketType  type,
                 GBytes       *body)
{
  CrHeader header = { CR_PROTOCOL_VERSION, type, 0, session, 0, ack, 0 };
  gsize len;
  const guint8 *bytes = g_bytes_get_data (body, &len);

  return cr_datagram_build (&header, bytes, len);
}

/* Probe, then JOIN with the cookie. acks: it reads and acks what it gets. */
static Native *
native_join (Fixture    *f,
             const char *ip,
             guint16     port,
             const char *name,
             const char *password,
             const char *token,
             guint64     resume_seq,
             gboolean    acks)
{
  Native *n = g_new0 (Native, 1);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) datagram = NULL;

  n->addr = address (ip, port);
  n->rel = acks ? cr_reliable_new () : NULL;
  g_ptr_array_add (f->natives, n);

  feed_text (f, n->addr, CR_PROBE_TEXT);
  g_assert_cmpuint (n->cookie, !=, 0);
  body = cr_body_join (name, password ? password : "", token ? token : "", FALSE,
                       resume_seq, "");
  datagram = native_datagram (0, n->cookie, CR_PACKET_JOIN, body);
  feed (f, n->addr, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
  run_jobs (f);
  return n;
}

/* The native member acks everything it has. */
static void
native_ack (Fixture *f,
            Native  *n)
{
  g_autoptr(GBytes) empty = cr_body_empty ();
  g_autoptr(GBytes) ack = cr_reliable_build_unreliable (n->rel, n->session, CR_PACKET_ACK, empty);

  feed (f, n->addr, g_bytes_get_data (ack, NULL), g_bytes_get_size (ack));
}

static gboolean
is_member (Fixture    *f,
           const char *name)
{
  return cr_room_lookup_name (cr_engine_get_room (f->engine), name) != NULL;
}

static void
owner_say (Fixture    *f,
           const char *text)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  CrReason reason;

  g_assert_true (cr_engine_owner_say (f->engine, text, f->now, out, &reason));
  route (f, out);
}

/* 1. To an address that has not proven it receives, never more than 3×
 * what it sent, whatever the packet type, refusals included. */
static void
test_amplification (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GSocketAddress) member = address ("10.0.0.1", 1000);
  g_autoptr(GBytes) join_body = cr_body_join ("bob", "", "", FALSE, 0, "");
  g_autoptr(GBytes) join = native_datagram (0, 12345, CR_PACKET_JOIN, join_body);
  g_autoptr(GBytes) empty = cr_body_empty ();
  g_autoptr(GBytes) stray = native_datagram (777, 0, CR_PACKET_PING, empty);
  struct {
    const char *what;
    const void *data;
    gsize       len;
  } probes[] = {
    { "probe", CR_PROBE_TEXT, strlen (CR_PROBE_TEXT) },
    { "JOIN without cookie", g_bytes_get_data (join, NULL), g_bytes_get_size (join) },
    { "PING of an unknown session", g_bytes_get_data (stray, NULL), g_bytes_get_size (stray) },
    { "classic N t (taken)", "N t", 3 },
    { "classic N a b (invalid)", "N a b", 5 },
    { "classic N of a banned name", "N Carol", 7 },
    { "classic M from a stranger", "M t hi", 6 },
  };
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  CrReason reason;
  CrStats stats;

  feed_text (f, member, "N t");
  g_assert_true (is_member (f, "t"));
  g_assert_true (cr_engine_owner_act (f->engine, CR_OWNER_BAN, "carol", f->now, out, &reason));
  route (f, out);
  g_ptr_array_unref (out);

  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autoptr(GSocketAddress) from = address ("10.0.0.66", 2000 + i);
      guint64 sent = feed (f, from, probes[i].data, probes[i].len);

      g_test_message ("%-28s %3" G_GSIZE_FORMAT " bytes in, %3" G_GUINT64_FORMAT
                      " bytes out (×%.2f)", probes[i].what, probes[i].len, sent,
                      (double) sent / probes[i].len);
      g_assert_cmpuint (sent, <=, 3 * probes[i].len);
    }
  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (stats.amplification, >, 0);
}

/* 1. A forged classic join: its victim stops receiving once it has been
 * silent for classic_quiet_us; Q/N cycles from one IP are few. */
static void
test_forged_classic_join (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GSocketAddress) alice = address ("10.0.0.1", 1000);
  g_autoptr(GSocketAddress) bob = address ("10.0.0.2", 1000);
  g_autoptr(GSocketAddress) victim = address ("10.0.0.66", 5000);
  g_autoptr(GSocketAddress) cycler = address ("10.0.0.77", 6000);
  guint64 at_20s = 0, at_5min = 0, at_10min;
  guint joins_before;
  CrStats stats;

  feed_text (f, alice, "N alice");
  feed_text (f, bob, "N bob");
  g_assert_cmpuint (feed_text (f, victim, "N victim"), ==, 2);   /* "OK" */

  /* Ordinary chat: each says a line every 2 s for 10 minutes. */
  for (guint s = 1; s <= 600; s++)
    {
      advance (f, G_TIME_SPAN_SECOND);
      if (s % 2 == 0)
        feed_text (f, alice, "M alice 今天的作业是第三章的练习题，明天交");
      else
        feed_text (f, bob, "M bob 好的，我知道了，谢谢老师");
      tick (f);
      if (s == 20)
        at_20s = counted (f->bytes_out, victim);
      if (s == 300)
        at_5min = counted (f->bytes_out, victim);
    }
  at_10min = counted (f->bytes_out, victim);
  g_test_message ("forged classic join: 8 bytes in; out after 20 s: %" G_GUINT64_FORMAT
                  ", 5 min: %" G_GUINT64_FORMAT ", 10 min: %" G_GUINT64_FORMAT,
                  at_20s, at_5min, at_10min);
  g_assert_cmpuint (at_10min, ==, at_5min);
  g_assert_cmpuint (at_5min, <=, 2 + 300 * 80);
  /* The real members kept everything. */
  g_assert_cmpuint (counted (f->bytes_out, alice), >, 2 * at_5min);

  /* Q/N cycles from one port of one IP, 100 a second for 10 s. */
  joins_before = f->joins;
  for (guint i = 0; i < 1000; i++)
    {
      advance (f, 10 * G_TIME_SPAN_MILLISECOND);
      feed_text (f, cycler, "N cyc");
      feed_text (f, cycler, "Q cyc");
    }
  g_test_message ("Q/N cycles: 1000 in 10 s, %u joins accepted (join lines written)",
                  f->joins - joins_before);
  g_assert_cmpuint (f->joins - joins_before, <=, 8 + 3);
  cr_engine_get_stats (f->engine, &stats);
  g_assert_cmpuint (stats.join_limited, >, 0);
  g_assert_cmpuint (stats.quiet_skipped, >, 0);
}

/* 2. One machine cannot fill the room nor squat a name for long. */
static void
test_fill_from_one_ip (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GSocketAddress) squatter = address ("10.0.0.66", 9999);
  g_autoptr(GSocketAddress) alice = address ("10.0.0.5", 1000);
  g_autoptr(GSocketAddress) carol = address ("10.0.0.6", 1000);
  Native *real;
  guint classic = 0;

  /* 300 classic joins from as many ports of one IP. */
  for (guint i = 0; i < 300; i++)
    {
      g_autoptr(GSocketAddress) from = address ("10.0.0.9", 10000 + i);
      g_autofree char *line = g_strdup_printf ("N c%u", i);

      advance (f, 100);
      feed_text (f, from, line);
    }
  classic = cr_room_get_n_members (cr_engine_get_room (f->engine));
  /* 300 native joins, cookies and all, from another. */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("n%u", i);

      advance (f, 100);
      native_join (f, "10.0.0.10", 10000 + i, name, NULL, NULL, 0, FALSE);
    }
  g_test_message ("members from one IP: %u classic (of 300 tried), %u native (of 300)",
                  classic, cr_room_get_n_members (cr_engine_get_room (f->engine)) - classic);
  g_assert_cmpuint (classic, <=, 4);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), <=, 4 + 20);

  real = native_join (f, "10.0.0.20", 1000, "real", NULL, NULL, 0, TRUE);
  g_assert_true (real->welcomed);

  /* A name taken by a classic address that never spoke: held for the
   * grace, then given to whoever asks. */
  advance (f, 10 * G_TIME_SPAN_SECOND);
  feed_text (f, squatter, "N alice");
  g_assert_true (is_member (f, "alice"));
  advance (f, 30 * G_TIME_SPAN_SECOND);
  feed_text (f, alice, "N alice");
  g_assert_cmpuint (counted (f->bytes_out, alice), !=, 2);   /* refused, not "OK" */
  advance (f, 31 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (feed_text (f, alice, "N alice"), ==, 2);  /* "OK" */
  g_assert_cmpuint (f->timeouts, >=, 1);

  /* One that spoke keeps its name. */
  feed_text (f, carol, "N carol");
  feed_text (f, carol, "M carol hi");
  advance (f, 120 * G_TIME_SPAN_SECOND);
  {
    g_autoptr(GSocketAddress) other = address ("10.0.0.7", 1000);
    g_assert_cmpuint (feed_text (f, other, "N carol"), !=, 2);
  }
}

/* 3. Wrong passwords back off, then lock the name, before any hash. */
static void
test_login_backoff (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) locked = NULL;
  guint hashes = 0, refused = 0;
  Native *n;

  g_assert_true (cr_store_add_account (f->store, "victim", "victim", "right-one", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 130; i++)
    {
      g_autofree char *guess = g_strdup_printf ("guess%u", i);

      advance (f, 5 * G_TIME_SPAN_SECOND);
      n = native_join (f, "10.0.0.66", 20000 + i, "victim", guess, NULL, 0, FALSE);
      hashes += n->refused == CR_REASON_WRONG_PASSWORD;
      refused += n->refused != CR_REASON_NONE;
    }
  g_test_message ("130 wrong passwords in 650 s: %u hashed, %u refused", hashes, refused);
  g_assert_cmpuint (refused, ==, 130);
  g_assert_cmpuint (hashes, <=, CR_ENGINE_LOGIN_LOCK_FAILURES);

  locked = cr_engine_dup_locked_names (f->engine, f->now);
  g_assert_cmpuint (locked->len, ==, 1);
  g_assert_cmpstr (locked->pdata[0], ==, "victim");

  /* The right one, from the real user's machine: refused while locked,
   * with no hash; in after the owner lifts the lock. */
  n = native_join (f, "10.0.0.5", 1000, "victim", "right-one", NULL, 0, TRUE);
  g_assert_cmpint (n->refused, ==, CR_REASON_RATE_LIMITED);
  g_assert_false (n->welcomed);
  g_assert_true (cr_engine_unlock_name (f->engine, "Victim"));
  g_assert_false (cr_engine_unlock_name (f->engine, "victim"));
  n = native_join (f, "10.0.0.5", 1001, "victim", "right-one", NULL, 0, TRUE);
  g_assert_true (n->welcomed);

  /* Registrations: three a minute from one IP. */
  hashes = 0;
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *name = g_strdup_printf ("new%u", i);
      g_autoptr(GSocketAddress) from = address ("10.0.0.77", 30000 + i);
      g_autoptr(GBytes) body = cr_body_join (name, "password", "", TRUE, 0, "");
      g_autoptr(GBytes) datagram = NULL;
      Native *probe = g_new0 (Native, 1);

      probe->addr = g_object_ref (from);
      g_ptr_array_add (f->natives, probe);
      feed_text (f, from, CR_PROBE_TEXT);
      datagram = native_datagram (0, probe->cookie, CR_PACKET_JOIN, body);
      feed (f, from, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
      hashes += run_jobs (f);
    }
  g_test_message ("10 registrations from one IP at once: %u hashed", hashes);
  g_assert_cmpuint (hashes, ==, 3);
}

/* 3. The lock runs out by itself. */
static void
test_login_lock_expires (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) locked = NULL;
  Native *n;

  g_assert_true (cr_store_add_account (f->store, "victim", "victim", "right-one", &error));
  for (guint i = 0; i < 130; i++)
    {
      advance (f, 5 * G_TIME_SPAN_SECOND);
      native_join (f, "10.0.0.66", 20000 + i, "victim", "wrong", NULL, 0, FALSE);
    }
  n = native_join (f, "10.0.0.66", 1000, "victim", "right-one", NULL, 0, TRUE);
  g_assert_cmpint (n->refused, ==, CR_REASON_RATE_LIMITED);
  advance (f, CR_ENGINE_LOGIN_LOCK_US);
  locked = cr_engine_dup_locked_names (f->engine, f->now);
  g_assert_cmpuint (locked->len, ==, 0);
  n = native_join (f, "10.0.0.66", 1001, "victim", "right-one", NULL, 0, TRUE);
  g_assert_true (n->welcomed);
}

/* 4. Members that never ack: bounded queues, and pings with ack=0 do not
 * keep them. */
static void
test_never_acks (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) empty = cr_body_empty ();
  g_autofree char *text = g_strnfill (400, 'x');
  guint64 max_messages = 0, max_bytes = 0;
  guint timeouts_before;
  CrStats stats;

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *name = g_strdup_printf ("deaf%u", i);
      Native *n = native_join (f, "127.0.0.1", 40000 + i, name, NULL, NULL, 0, FALSE);

      g_assert_cmpuint (n->session, !=, 0);
    }
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 50);
  timeouts_before = f->timeouts;

  /* 2 s of 2 500 broadcasts a second (more than a member may leave
   * unacknowledged, cr-engine-sessions.c: 4 096); every member pings with
   * ack=0 every 100 ms. */
  for (guint step = 0; step < 20; step++)
    {
      advance (f, 100 * G_TIME_SPAN_MILLISECOND);
      for (guint j = 0; j < 250; j++)
        owner_say (f, text);
      for (guint i = 0; i < f->natives->len; i++)
        {
          Native *n = f->natives->pdata[i];
          g_autoptr(GBytes) ping = NULL;

          ping = native_datagram (n->session, 0, CR_PACKET_PING, empty);
          feed (f, n->addr, g_bytes_get_data (ping, NULL), g_bytes_get_size (ping));
        }
      tick (f);
      cr_engine_get_stats (f->engine, &stats);
      max_messages = MAX (max_messages, stats.queued_messages);
      max_bytes = MAX (max_bytes, stats.queued_bytes);
    }
  g_test_message ("50 members that never ack, 5000 broadcasts: at most %" G_GUINT64_FORMAT
                  " messages, %" G_GUINT64_FORMAT " bytes queued", max_messages, max_bytes);
  g_assert_cmpuint (max_messages, <=, 50 * (4096 + 1 + 250));
  g_assert_cmpuint (max_bytes, <=, 50 * (2 * 1024 * 1024 + 250 * 500));
  g_assert_cmpuint (stats.overflowed, ==, 50);
  g_assert_cmpuint (f->timeouts - timeouts_before, ==, 50);
  g_assert_cmpuint (cr_room_get_n_members (cr_engine_get_room (f->engine)), ==, 0);
}

/* 4. A member that pings but never acks what it owes times out, even
 * with little traffic. */
static void
test_pings_do_not_keep (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) empty = cr_body_empty ();
  Native *deaf = native_join (f, "10.0.0.66", 1000, "deaf", NULL, NULL, 0, FALSE);
  Native *real = native_join (f, "10.0.0.5", 1000, "real", NULL, NULL, 0, TRUE);

  g_assert_true (real->welcomed);
  for (guint s = 0; s < 10; s++)
    {
      g_autoptr(GBytes) ping = NULL;

      advance (f, G_TIME_SPAN_SECOND);
      owner_say (f, "a line a second");
      ping = native_datagram (deaf->session, 0, CR_PACKET_PING, empty);
      feed (f, deaf->addr, g_bytes_get_data (ping, NULL), g_bytes_get_size (ping));
      native_ack (f, real);
      tick (f);
    }
  g_assert_false (is_member (f, "deaf"));
  g_assert_true (is_member (f, "real"));
}

/* 7. A token alone does not move a registered name; tokens rotate;
 * resume_seq without a token gets the usual history. */
static void
test_resume_bound (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stolen = NULL;
  g_autofree char *first = NULL;
  Native *victim, *thief, *guest, *moved, *again, *fresh;

  g_assert_true (cr_store_add_account (f->store, "victim", "victim", "right-one", &error));
  victim = native_join (f, "10.0.0.5", 1000, "victim", "right-one", NULL, 0, TRUE);
  g_assert_true (victim->welcomed);
  stolen = g_strdup (victim->token);

  thief = native_join (f, "10.0.0.66", 1000, "victim", NULL, stolen, 0, TRUE);
  g_assert_false (thief->welcomed);
  g_assert_cmpint (thief->refused, ==, CR_REASON_NAME_REGISTERED);
  thief = native_join (f, "10.0.0.66", 1001, "victim", "guess", stolen, 0, TRUE);
  g_assert_false (thief->welcomed);
  g_assert_cmpint (thief->refused, ==, CR_REASON_WRONG_PASSWORD);
  /* The real one is still there, at its address, and can talk. */
  g_assert_true (same_address (cr_engine_get_member_address (
                   f->engine, cr_room_lookup_name (cr_engine_get_room (f->engine),
                                                   "victim")->id), victim->addr));
  /* With its password it moves, and gets a new token. */
  moved = native_join (f, "10.0.0.5", 1002, "victim", "right-one", stolen, 0, TRUE);
  g_assert_true (moved->welcomed);
  g_assert_cmpstr (moved->token, !=, stolen);

  /* A guest's token moves it once; the new WELCOME has a new token. */
  guest = native_join (f, "10.0.0.7", 1000, "guest", NULL, NULL, 0, TRUE);
  first = g_strdup (guest->token);
  again = native_join (f, "10.0.0.7", 1001, "guest", NULL, first, 0, TRUE);
  g_assert_true (again->welcomed);
  g_assert_cmpstr (again->token, !=, first);
  again = native_join (f, "10.0.0.7", 1002, "guest", NULL, first, 0, TRUE);
  g_assert_false (again->welcomed);
  g_assert_cmpint (again->refused, ==, CR_REASON_NAME_TAKEN);

  /* 300 lines, then a stranger asks for everything since seq 1. */
  for (guint i = 0; i < 300; i++)
    owner_say (f, "history");
  fresh = native_join (f, "10.0.0.8", 1000, "fresh", NULL, NULL, 1, TRUE);
  g_assert_true (fresh->welcomed);
  g_test_message ("resume_seq=1 without a token: %u events", fresh->events);
  g_assert_cmpuint (fresh->events, <=, CR_HISTORY_ON_JOIN);
}

/* A registration JOIN (probe, then JOIN with the cookie and register
 * set); the member acks. */
static Native *
native_register (Fixture    *f,
                 const char *ip,
                 guint16     port,
                 const char *name,
                 const char *password)
{
  Native *n = g_new0 (Native, 1);
  g_autoptr(GBytes) body = cr_body_join (name, password, "", TRUE, 0, "");
  g_autoptr(GBytes) datagram = NULL;

  n->addr = address (ip, port);
  n->rel = cr_reliable_new ();
  g_ptr_array_add (f->natives, n);
  feed_text (f, n->addr, CR_PROBE_TEXT);
  g_assert_cmpuint (n->cookie, !=, 0);
  datagram = native_datagram (0, n->cookie, CR_PACKET_JOIN, body);
  feed (f, n->addr, g_bytes_get_data (datagram, NULL), g_bytes_get_size (datagram));
  run_jobs (f);
  return n;
}

#define CYRILLIC_O "\xd0\xbe"       /* U+043E, drawn as o */

/* 8. A look-alike of a registered name is refused while its account's
 * owner is away too (native guest, login, registration, classic), and
 * the refusal says why; the account itself, and other names, get in. */
static void
test_registered_lookalike (Fixture       *f,
                           gconstpointer  data)
{
  static const char * const lookalikes[] = { "b" CYRILLIC_O "b", "\xef\xbd\x82\xef\xbd\x8f\xef\xbd\x82" /* ｂｏｂ */,
                                             "b0b", "B" CYRILLIC_O "B" };
  g_autoptr(GSocketAddress) classic = address ("10.0.0.9", 4000);
  const char *expected_line = cr_classic_format_reason (cr_classic_table_lookup ("zh_CN"),
                                                        CR_REASON_NAME_CONFUSABLE);
  guint16 port = 2000;
  Native *n;

  /* bob registers, then falls silent and is dropped: away. */
  n = native_register (f, "10.0.0.5", 1000, "bob", "bobs-secret");
  g_assert_true (n->welcomed);
  g_assert_true (is_member (f, "bob"));
  advance (f, 10 * G_TIME_SPAN_SECOND);
  tick (f);
  g_assert_false (is_member (f, "bob"));

  for (guint i = 0; i < G_N_ELEMENTS (lookalikes); i++)
    {
      n = native_join (f, "10.0.0.6", port++, lookalikes[i], NULL, NULL, 0, TRUE);
      g_assert_false (n->welcomed);
      g_assert_cmpint (n->refused, ==, CR_REASON_NAME_CONFUSABLE);
      n = native_join (f, "10.0.0.6", port++, lookalikes[i], "bobs-secret", NULL, 0, TRUE);
      g_assert_false (n->welcomed);
      g_assert_cmpint (n->refused, ==, CR_REASON_NAME_CONFUSABLE);
      n = native_register (f, "10.0.0.6", port++, lookalikes[i], "another-secret");
      g_assert_false (n->welcomed);
      g_assert_cmpint (n->refused, ==, CR_REASON_NAME_CONFUSABLE);
      g_assert_false (is_member (f, lookalikes[i]));
    }
  g_test_message ("refusal of a look-alike: %s", expected_line);

  /* The classic dialect's refusal is the table's line for the reason. */
  {
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
    const char *join = "N b" CYRILLIC_O "b";
    gboolean answered = FALSE;

    cr_engine_receive (f->engine, (const guint8 *) join, strlen (join), classic, f->now, out);
    for (guint i = 0; i < out->len; i++)
      {
        CrDatagram *d = out->pdata[i];
        gsize len;
        const char *text = g_bytes_get_data (d->data, &len);

        if (!same_address (d->to, classic))
          continue;
        /* Cut to 3× the join (cr-engine-classic.c), but that line. */
        g_assert_cmpuint (len, >, 0);
        g_assert_cmpuint (len, <=, 3 * strlen (join));
        g_assert_true (strncmp (text, expected_line, len) == 0);
        answered = TRUE;
      }
    g_assert_true (answered);
    g_assert_false (is_member (f, "b" CYRILLIC_O "b"));
  }

  /* Only the account's store row counts: no one was ever admitted. */
  g_assert_cmpuint (f->joins, ==, 1);

  /* Names that only resemble it, and bob itself with its password. */
  n = native_join (f, "10.0.0.6", port++, "bobby", NULL, NULL, 0, TRUE);
  g_assert_true (n->welcomed);
  n = native_join (f, "10.0.0.5", 1001, "Bob", "bobs-secret", NULL, 0, TRUE);
  g_assert_true (n->welcomed);

  /* While bob is here, the room itself refuses by the same reason; his
   * own name in another case is taken. */
  n = native_join (f, "10.0.0.6", port++, "b" CYRILLIC_O "b", NULL, NULL, 0, TRUE);
  g_assert_cmpint (n->refused, ==, CR_REASON_NAME_CONFUSABLE);
  n = native_join (f, "10.0.0.6", port++, "BOB", NULL, NULL, 0, TRUE);
  g_assert_cmpint (n->refused, ==, CR_REASON_NAME_TAKEN);
}

/* 9. Names that could pass for the room's own lines say so. */
static void
test_reserved_names (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const reserved[] = { "群主说：", "Owner", "【系统消息】", "[System]" };
  guint16 port = 3000;
  Native *n;

  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    {
      n = native_join (f, "10.0.0.6", port++, reserved[i], NULL, NULL, 0, TRUE);
      g_assert_false (n->welcomed);
      g_assert_cmpint (n->refused, ==, CR_REASON_NAME_RESERVED);
    }
  n = native_join (f, "10.0.0.6", port++, "bad name", NULL, NULL, 0, TRUE);
  g_assert_cmpint (n->refused, ==, CR_REASON_NAME_INVALID);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/chatroom/hostile-engine/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("amplification", test_amplification);
  ADD ("forged-classic-join", test_forged_classic_join);
  ADD ("fill-from-one-ip", test_fill_from_one_ip);
  ADD ("login-backoff", test_login_backoff);
  ADD ("login-lock-expires", test_login_lock_expires);
  ADD ("never-acks", test_never_acks);
  ADD ("pings-do-not-keep", test_pings_do_not_keep);
  ADD ("resume-bound", test_resume_bound);
  ADD ("registered-lookalike", test_registered_lookalike);
  ADD ("reserved-names", test_reserved_names);
#undef ADD
  return g_test_run ();
}
