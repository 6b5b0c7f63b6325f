/* fuzz-server.c: libFuzzer harness for the room's whole packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CrEngine (cr-engine.h, every cr-engine-*.c, CrRoom, CrReliable) over a
 * real CrStore in a temporary folder, with a fixed clock and fixed
 * randomness, as tests/test-engine.c drives it. Each input starts from a
 * room that matters: alice joined natively (IPv4), bob classically (IPv4),
 * carol with a registered account and password (IPv4), dave as the owner
 * (IPv6), mallory banned. Password jobs run here, on this thread, at the
 * smallest Argon2id cost (cr-store-private.h).
 *
 * The rest of the input is chunks [flags addr len_hi len_lo bytes...]:
 * addr picks the source: 0-3 the members above, else one of 16 hosts of
 * either family on one of 8 ports (so strangers come from many places).
 * flags: bit 0 wraps the bytes as a reliable message on the source's
 * session (first byte: its type), so the body parsers are reached at once;
 * bit 1 makes them a JOIN body sent with the source's join cookie (the
 * harness probes first); bit 2 steps the clock 16 s instead of 37 ms;
 * bit 3 holds the password jobs until a later chunk; bit 4 makes the
 * bytes an owner action (first byte: which; rest: the name or text);
 * bit 5 seals the bytes, as they are, with the keys of the source's
 * session (a member's), so that whatever they are reaches the parsers
 * behind the seal.
 * The room has an identity: the native dialect is sealed (cr-crypto.h).
 * The harness plays the members' side of it: each native join does the
 * handshake (HELLO, KEY) and everything a member sends is sealed with its
 * keys; bytes sent as they are (no flag) meet the seal itself.
 * Every datagram the room sends is routed back to the members, whose
 * acks go in again, so the reliable path runs both ways.
 *
 * Invariants: no crash, no critical or warning, every datagram out at
 * most CR_DATAGRAM_MAX (classic lines at most CR_CLASSIC_LINE_MAX and
 * UTF-8), every native one is sealed, or one of the few plaintext packets
 * (PING, KEY, REFUSE); every sealed one a member opens, and every body
 * delivered to a member, parses; the stats count every datagram in and out and never go back,
 * the room never holds more than its member cap.
 * Build and run: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-server"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cr-classic.h"
#include "cr-crypto.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-store-private.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define N_PEERS   4
#define ROUNDS    16

typedef struct
{
  GSocketAddress *addr;
  CrReliable     *rel;      /* NULL: classic */
  guint32         session;
  guint32         cookie;
  CrHandshake     hs;
  CrSeal          seal;     /* set once the room's KEY was taken */
} Peer;

typedef struct
{
  CrIdentity   *identity;
  CrEngine     *engine;
  GPtrArray    *out;
  GRand        *rand;
  Peer          peers[N_PEERS];
  CrEngineTime  now;
  guint64       n_in;
  guint64       n_out;
  CrStats       last;
} Fuzz;

/* A fresh store for every input, so an input's bans and accounts do not
 * change the next one's room and a finding reproduces from its input. In
 * /dev/shm when there is one: the disk is not what is fuzzed here. */
static CrStore *store;
static char *store_dir;
static GBytes *store_template;   /* the file: carol registered, mallory banned */
static CrIdentity *identity;     /* the room's, made once: keys cost time */

static void
fixed_random (guint8   *buf,
              gsize     len,
              gpointer  user_data)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = g_rand_int_range (user_data, 0, 256);
}

static GSocketAddress *
address_new (const char *host,
             guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);

  return g_inet_socket_address_new (inet, port);
}

static gboolean
same_address (GSocketAddress *a,
              GSocketAddress *b)
{
  GInetSocketAddress *ia = G_INET_SOCKET_ADDRESS (a);
  GInetSocketAddress *ib = G_INET_SOCKET_ADDRESS (b);

  return g_inet_socket_address_get_port (ia) == g_inet_socket_address_get_port (ib) &&
         g_inet_address_equal (g_inet_socket_address_get_address (ia),
                               g_inet_socket_address_get_address (ib));
}

/* A source from one byte: hosts 10.0.0.1-8 and fd00::1-8, ports 41000-41007. */
static GSocketAddress *
address_from_byte (guint8 b)
{
  g_autofree char *host = NULL;

  if ((b & 1) != 0)
    host = g_strdup_printf ("fd00::%u", ((b >> 1) & 7) + 1);
  else
    host = g_strdup_printf ("10.0.0.%u", ((b >> 1) & 7) + 1);
  return address_new (host, 41000 + (b >> 4) % 8);
}

static void
check_stats (Fuzz *f)
{
  CrStats stats;

  cr_engine_get_stats (f->engine, &stats);
  if (stats.datagrams_in != f->n_in)
    g_error ("datagrams_in %" G_GUINT64_FORMAT " but %" G_GUINT64_FORMAT " went in",
             stats.datagrams_in, f->n_in);
  if (stats.datagrams_out != f->n_out + f->out->len)
    g_error ("datagrams_out %" G_GUINT64_FORMAT " but %" G_GUINT64_FORMAT " came out",
             stats.datagrams_out, f->n_out + f->out->len);
  if (stats.malformed + stats.spoofed + stats.unsealed + stats.unopened + stats.replayed >
      stats.datagrams_in)
    g_error ("more datagrams dropped than received");
  if (stats.malformed < f->last.malformed || stats.spoofed < f->last.spoofed ||
      stats.unsealed < f->last.unsealed || stats.unopened < f->last.unopened ||
      stats.replayed < f->last.replayed ||
      stats.rate_limited < f->last.rate_limited || stats.retransmits < f->last.retransmits ||
      stats.store_errors < f->last.store_errors)
    g_error ("a counter went back");
  if (stats.store_errors != 0)
    g_error ("the store failed");
  f->last = stats;
  if (cr_room_get_n_members (cr_engine_get_room (f->engine)) >
      cr_room_get_max_members (cr_engine_get_room (f->engine)))
    g_error ("the room holds more than its cap");
}

/* A member takes a datagram: the cookie of a probe answer, its session,
 * and every reliable delivery, whose body must parse. */
static void
peer_take (Fuzz         *f,
           Peer         *peer,
           const guint8 *data,
           gsize         len)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  const guint8 *body = NULL;
  gsize body_len = 0;
  CrHeader header;

  g_autoptr(GBytes) opened = NULL;
  gboolean sealed = len > 4 && data[3] == CR_PACKET_SEALED;

  /* The same address may also have joined classically. */
  if (peer->rel == NULL || !cr_protocol_is_native (data, len))
    return;
  if (sealed)
    {
      /* One sealed for a session the member has since left cannot open. */
      if (cr_seal_open (&peer->seal, data, len, &opened) != CR_OPEN_OK)
        return;
      data = g_bytes_get_data (opened, &len);
    }
  if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK)
    g_error ("the room sent a native member an invalid datagram");
  if (!sealed && header.type != CR_PACKET_PING && header.type != CR_PACKET_KEY &&
      header.type != CR_PACKET_REFUSE)
    g_error ("the room sent a member a datagram of type %u in clear", header.type);
  if (header.type == CR_PACKET_KEY)
    {
      g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_KEY, body, body_len);
      const guint8 *se, *id, *sig;

      if (v == NULL || !cr_key_from_body (v, &se, &id, &sig) ||
          !cr_handshake_finish (&peer->hs, se, id, sig, &peer->seal))
        g_error ("the room's KEY does not hold");
      return;
    }
  if (header.session == 0)
    {
      if (header.type == CR_PACKET_PING)
        peer->cookie = header.ack;
      return;
    }
  if (header.type == CR_PACKET_REFUSE)
    return;
  peer->session = header.session;

  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  cr_reliable_receive (peer->rel, &header, body, body_len, f->now.mono, deliveries);
  for (guint i = 0; i < deliveries->len; i++)
    {
      CrDelivery *delivery = deliveries->pdata[i];
      g_autoptr(GVariant) value = cr_body_parse (delivery->type,
                                                 g_bytes_get_data (delivery->body, NULL),
                                                 g_bytes_get_size (delivery->body));

      if (value == NULL)
        g_error ("the room sent a body of type %u that does not parse", delivery->type);
    }
}

static void
engine_in (Fuzz           *f,
           GSocketAddress *from,
           const void     *data,
           gsize           len)
{
  f->n_in++;
  cr_engine_receive (f->engine, data, len, from, f->now, f->out);
}

/* A member sends: sealed with its keys, once it has them. session: the
 * outer one (0 for a JOIN, which carries the member's ephemeral key). */
static void
peer_send (Fuzz         *f,
           Peer         *peer,
           guint32       session,
           const guint8 *data,
           gsize         len)
{
  g_autoptr(GBytes) sealed = NULL;

  if (!cr_seal_is_set (&peer->seal))
    return;
  sealed = cr_seal (&peer->seal, session, session == 0 ? peer->hs.public_key : NULL,
                    data, len);
  engine_in (f, peer->addr, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
}

/* What the room sent: sane, and to the members it was meant for; then
 * their acks and retransmissions go back in, until nothing moves. */
static void
route (Fuzz *f)
{
  for (guint round = 0; round < ROUNDS; round++)
    {
      g_autoptr(GPtrArray) batch = f->out;
      gboolean sent = FALSE;

      f->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
      f->n_out += batch->len;
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          gsize len;
          const guint8 *data = g_bytes_get_data (d->data, &len);

          if (len == 0 || len > CR_DATAGRAM_MAX)
            g_error ("the room sent a datagram of %" G_GSIZE_FORMAT " bytes", len);
          if (!cr_protocol_is_native (data, len) &&
              (len > CR_CLASSIC_LINE_MAX || !g_utf8_validate_len ((const char *) data, len, NULL)))
            g_error ("the room sent a classic line that is too long or not UTF-8");
          for (guint p = 0; p < N_PEERS; p++)
            if (same_address (f->peers[p].addr, d->to))
              peer_take (f, &f->peers[p], data, len);
        }

      for (guint p = 0; p < N_PEERS; p++)
        {
          Peer *peer = &f->peers[p];
          g_autoptr(GPtrArray) datagrams =
            g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

          if (peer->rel == NULL || peer->session == 0)
            continue;
          cr_reliable_flush (peer->rel, peer->session, f->now.mono, datagrams);
          for (guint i = 0; i < datagrams->len; i++)
            {
              gsize len;
              const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

              peer_send (f, peer, peer->session, data, len);
              sent = TRUE;
            }
        }
      check_stats (f);
      if (!sent && f->out->len == 0)
        return;
    }
}

static void
run_jobs (Fuzz *f)
{
  cr_engine_run_auth_jobs (f->engine, f->now, f->out);
  route (f);
}

static void
step (Fuzz   *f,
      gint64  us)
{
  f->now.mono += us;
  f->now.wall += us;
  if (cr_engine_next_deadline (f->engine) <= f->now.mono)
    cr_engine_tick (f->engine, f->now, f->out);
  route (f);
}

/* What the room answered from, to the one who asked (counted out). */
static void
take_replies (Fuzz           *f,
              Peer           *peer,
              GSocketAddress *from)
{
  f->n_out += f->out->len;
  for (guint i = 0; i < f->out->len; i++)
    {
      CrDatagram *d = f->out->pdata[i];

      if (same_address (d->to, from))
        peer_take (f, peer, g_bytes_get_data (d->data, NULL), g_bytes_get_size (d->data));
    }
  g_ptr_array_set_size (f->out, 0);
}

/* Probe from the address, take the cookie, do the handshake, send a
 * sealed JOIN with this body. */
static void
native_join (Fuzz           *f,
             GSocketAddress *from,
             const guint8   *body,
             gsize           body_len)
{
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, 0, 0 };
  g_autoptr(GBytes) datagram = NULL;
  Peer stranger = { 0 };
  Peer *peer = &stranger;
  gsize len;
  const guint8 *data;

  stranger.addr = from;
  for (guint p = 0; p < N_PEERS; p++)
    if (same_address (f->peers[p].addr, from))
      peer = &f->peers[p];
  if (peer == &stranger)
    stranger.rel = cr_reliable_new ();

  /* A fresh handshake for every join, as a client does. */
  cr_handshake_init (&peer->hs);
  cr_seal_clear (&peer->seal);
  engine_in (f, from, CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));
  take_replies (f, peer, from);
  {
    g_autoptr(GBytes) hello_body = cr_body_hello (peer->hs.public_key);
    CrHeader hello = { CR_PROTOCOL_VERSION, CR_PACKET_HELLO, 0, 0, 0, peer->cookie, 0 };
    g_autoptr(GBytes) hello_datagram = cr_datagram_build (&hello,
                                                          g_bytes_get_data (hello_body, NULL),
                                                          g_bytes_get_size (hello_body));

    engine_in (f, from, g_bytes_get_data (hello_datagram, NULL),
               g_bytes_get_size (hello_datagram));
    take_replies (f, peer, from);
  }

  header.ack = peer->cookie;
  datagram = cr_datagram_build (&header, body, body_len);
  data = g_bytes_get_data (datagram, &len);
  peer_send (f, peer, 0, data, len);
  g_clear_pointer (&stranger.rel, cr_reliable_free);
  cr_seal_clear (&stranger.seal);
  cr_handshake_clear (&stranger.hs);
}

static void
native_join_as (Fuzz       *f,
                guint       p,
                const char *name,
                const char *password,
                const char *owner_token)
{
  g_autoptr(GBytes) body = cr_body_join (name, password, "", FALSE, 0, owner_token);

  native_join (f, f->peers[p].addr, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  run_jobs (f);
}

static void
owner_act (Fuzz         *f,
           const guint8 *data,
           gsize         len)
{
  g_autofree char *arg = NULL;
  CrReason reason;

  if (len < 1 || !g_utf8_validate_len ((const char *) data + 1, len - 1, NULL))
    return;
  arg = g_strndup ((const char *) data + 1, len - 1);
  switch (data[0] % 7)
    {
    case 5:
      cr_engine_owner_say (f->engine, arg, f->now, f->out, &reason);
      break;
    case 6:
      cr_engine_announce (f->engine, arg, f->now, f->out, &reason);
      break;
    default:
      cr_engine_owner_act (f->engine, (CrOwnerAction) (data[0] % 7), arg, f->now, f->out,
                           &reason);
      break;
    }
}

static void
chunk (Fuzz         *f,
       guint8        flags,
       guint8        source,
       const guint8 *data,
       gsize         len)
{
  g_autoptr(GSocketAddress) stranger = NULL;
  GSocketAddress *from;
  Peer *peer = NULL;

  if (source < N_PEERS)
    {
      peer = &f->peers[source];
      from = peer->addr;
    }
  else
    from = stranger = address_from_byte (source);

  if ((flags & 16) != 0)
    owner_act (f, data, len);
  else if ((flags & 32) != 0 && peer != NULL && peer->rel != NULL && len >= CR_HEADER_SIZE)
    peer_send (f, peer, peer->session, data, len);
  else if ((flags & 2) != 0)
    native_join (f, from, data, len);
  else if ((flags & 1) != 0 && peer != NULL && peer->rel != NULL && peer->session != 0 &&
           len >= 1)
    {
      g_autoptr(GBytes) body = g_bytes_new (data + 1, len - 1);
      guint type = CR_PACKET_JOIN + data[0] % CR_PACKET_LAST;

      /* The numbers have gaps (13, 17): the next type there is. */
      while (!cr_packet_type_is_valid (type))
        type = type % CR_PACKET_LAST + 1;
      cr_reliable_send (peer->rel, type, body);
    }
  else
    engine_in (f, from, data, len);

  if ((flags & 8) == 0)
    cr_engine_run_auth_jobs (f->engine, f->now, f->out);
  route (f);
  step (f, (flags & 4) != 0 ? 16 * G_TIME_SPAN_SECOND : 37 * G_TIME_SPAN_MILLISECOND);
}

static void
close_store_keep_file (void)
{
  g_clear_pointer (&store, cr_store_close);
}

static void
close_store (void)
{
  static const char *files[] = { "chatroom.db", "chatroom.db-wal", "chatroom.db-shm" };

  g_clear_pointer (&store, cr_store_close);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (store_dir, files[i], NULL);

      g_unlink (path);
    }
}

static void
open_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (store_dir, "chatroom.db", NULL);

  if (store_template != NULL &&
      !g_file_set_contents (path, g_bytes_get_data (store_template, NULL),
                            g_bytes_get_size (store_template), &error))
    g_error ("%s", error->message);
  store = cr_store_open (store_dir, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);
}

/* Writing a file is cheaper than creating the schema and an account. */
static void
make_store_template (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (store_dir, "chatroom.db", NULL);
  char *contents;
  gsize len;

  open_store ();
  if (!cr_store_add_account (store, "carol", "carol", "secret", &error) ||
      !cr_store_set_banned (store, "mallory", "mallory", TRUE, &error))
    g_error ("%s", error->message);
  close_store_keep_file ();
  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  store_template = g_bytes_new_take (contents, len);
  close_store ();
}

static void
remove_store (void)
{
  close_store ();
  g_rmdir (store_dir);
  g_clear_pointer (&store_dir, g_free);
  g_clear_pointer (&store_template, g_bytes_unref);
  g_clear_pointer (&identity, cr_identity_free);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, FALSE);
  store_dir = g_build_filename (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR)
                                ? "/dev/shm" : g_get_tmp_dir (),
                                "fuzz-server-XXXXXX", NULL);
  if (g_mkdtemp (store_dir) == NULL)
    g_error ("Could not make %s", store_dir);
  atexit (remove_store);
  make_store_template ();
  identity = cr_identity_new ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char *hosts[N_PEERS] = { "127.0.0.1", "127.0.0.1", "127.0.0.2", "::1" };
  CrEngineConfig config;
  Fuzz f = { 0 };
  gsize pos = 0;

  open_store ();
  f.rand = g_rand_new_with_seed (8);
  f.identity = identity;
  cr_engine_config_init (&config);
  config.random_func = fixed_random;
  config.random_data = f.rand;
  config.room_name = "Fuzz";
  config.language = "zh_CN";
  config.max_members = 12;
  config.silence_timeout_us = 15 * G_TIME_SPAN_SECOND;
  config.identity = f.identity;
  f.engine = cr_engine_new (&config, store);
  f.now = (CrEngineTime) { 1000 * G_TIME_SPAN_SECOND, 1767225600 * G_TIME_SPAN_SECOND };
  f.out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  cr_engine_get_stats (f.engine, &f.last);
  for (guint p = 0; p < N_PEERS; p++)
    {
      f.peers[p].addr = address_new (hosts[p], 40000 + p);
      f.peers[p].rel = p == 1 ? NULL : cr_reliable_new ();
    }

  native_join_as (&f, 0, "alice", "", "");
  engine_in (&f, f.peers[1].addr, "N bob", 5);
  route (&f);
  native_join_as (&f, 2, "carol", "secret", "");
  native_join_as (&f, 3, "dave", "", cr_engine_get_owner_token (f.engine));
  for (guint p = 0; p < N_PEERS; p++)
    if (p != 1 && f.peers[p].session == 0)
      g_error ("member %u did not join", p);

  while (pos + 4 <= size)
    {
      guint8 flags = data[pos];
      guint8 source = data[pos + 1];
      gsize len = ((gsize) data[pos + 2] << 8 | data[pos + 3]) % (2 * CR_DATAGRAM_MAX);

      pos += 4;
      len = MIN (len, size - pos);
      chunk (&f, flags, source, data + pos, len);
      pos += len;
    }
  run_jobs (&f);

  cr_engine_free (f.engine);
  g_ptr_array_unref (f.out);
  for (guint p = 0; p < N_PEERS; p++)
    {
      g_object_unref (f.peers[p].addr);
      g_clear_pointer (&f.peers[p].rel, cr_reliable_free);
      cr_seal_clear (&f.peers[p].seal);
    }
  g_rand_free (f.rand);
  close_store ();
  return 0;
}
