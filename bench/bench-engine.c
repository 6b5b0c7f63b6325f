/* bench-engine.c: how fast the server's packet path fans out, without sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * N native members join a room (with a real SQLite store in a temporary
 * directory); one of them says M messages. Every member's reliable layer
 * takes its datagrams and acks them, as a client would, so the engine does
 * the whole work of a broadcast: parse, store, encode once, queue and flush
 * per member, take the acks. Prints the figures; it is not a test.
 *
 *   bench-engine [--sealed] [--memory] [MEMBERS [MESSAGES]]
 *                                         defaults: 10, 100 and 500 members, 2000 messages
 *
 * --sealed: the room has an identity and every member does the handshake
 * (cr-crypto.h), so every datagram both ways is sealed and opened: the
 * difference to a plain run is what encryption costs per delivery (the
 * room's seal and open, and the members' too).
 *
 * --memory: also what the room's heap holds per member (glibc's
 * mallinfo2: bytes in use, and the heap's size, whose growth is what RSS
 * sees), after the joins and after the messages. The simulated members'
 * own objects are made before the first reading, so the difference is the
 * engine's: sessions, reliable channels, the room's tables, history not
 * yet acked. Joins here are one at a time, each acked before the next, so
 * the welcomes' peak of a real class joining (chatroom-bench) is not in
 * it: this is a member's steady cost.
 */
#include "config.h"

#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cr-crypto.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-render.h"
#include "bench-common.h"

typedef struct {
  GSocketAddress *addr;
  CrReliable     *rel;
  guint32         session;
  guint32         cookie;
  gboolean        welcomed;
  guint64         events;
  CrHandshake     hs;
  CrSeal          seal;
  gboolean        keyed;
} Member;

typedef struct {
  CrEngine  *engine;
  GPtrArray *out;
  GHashTable *by_port;   /* port → Member* */
  gboolean   sealed;
  guint64    in;
  CrEngineTime now;
} Bench;

static guint16
port_of (GSocketAddress *addr)
{
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr));
}

static void
feed (Bench        *b,
      Member       *m,
      const guint8 *data,
      gsize         len)
{
  g_autoptr(GBytes) sealed = NULL;

  /* A keyed member seals all it sends, as cr-client-native.c does. */
  if (m->keyed && cr_protocol_is_native (data, len) && len >= CR_HEADER_SIZE &&
      data[3] != CR_PACKET_HELLO)
    {
      guint32 session = ((guint32) data[8] << 24) | ((guint32) data[9] << 16) |
                        ((guint32) data[10] << 8) | data[11];

      sealed = cr_seal (&m->seal, session, session == 0 ? m->hs.public_key : NULL, data, len);
      data = g_bytes_get_data (sealed, &len);
    }
  b->in++;
  cr_engine_receive (b->engine, data, len, m->addr, b->now, b->out);
}

/* Hand every datagram to its member, let the members ack; until quiet. */
static void
pump (Bench *b)
{
  for (guint round = 0; round < 100 && b->out->len > 0; round++)
    {
      g_autoptr(GPtrArray) batch = b->out;
      g_autoptr(GHashTable) touched = g_hash_table_new (NULL, NULL);
      GHashTableIter iter;
      gpointer value;

      b->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
      for (guint i = 0; i < batch->len; i++)
        {
          CrDatagram *d = batch->pdata[i];
          Member *m = g_hash_table_lookup (b->by_port, GUINT_TO_POINTER (port_of (d->to)));
          g_autoptr(GPtrArray) deliveries = NULL;
          g_autoptr(GBytes) opened = NULL;
          const guint8 *data, *body;
          gsize len, body_len;
          CrHeader header;

          data = g_bytes_get_data (d->data, &len);
          if (m != NULL && len > 4 && data[3] == CR_PACKET_SEALED)
            {
              if (cr_seal_open (&m->seal, data, len, &opened) != CR_OPEN_OK)
                continue;
              data = g_bytes_get_data (opened, &len);
            }
          if (m == NULL || cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK)
            continue;
          if (header.type == CR_PACKET_KEY)
            {
              g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_KEY, body, body_len);
              const guint8 *se, *id, *sig;

              m->keyed = v != NULL && cr_key_from_body (v, &se, &id, &sig) &&
                         cr_handshake_finish (&m->hs, se, id, sig, &m->seal);
              continue;
            }
          if (header.session == 0)
            {
              if (header.type == CR_PACKET_PING)
                m->cookie = header.ack;
              continue;
            }
          if (header.type == CR_PACKET_WELCOME)
            {
              m->welcomed = TRUE;
              m->session = header.session;
            }
          deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
          cr_reliable_receive (m->rel, &header, body, body_len, b->now.mono, deliveries);
          for (guint j = 0; j < deliveries->len; j++)
            if (((CrDelivery *) deliveries->pdata[j])->type == CR_PACKET_EVENT)
              m->events++;
          g_hash_table_add (touched, m);
        }

      g_hash_table_iter_init (&iter, touched);
      while (g_hash_table_iter_next (&iter, &value, NULL))
        {
          Member *m = value;
          g_autoptr(GPtrArray) acks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

          cr_reliable_flush (m->rel, m->session, b->now.mono, acks);
          for (guint j = 0; j < acks->len; j++)
            {
              gsize len;
              const guint8 *data = g_bytes_get_data (acks->pdata[j], &len);
              feed (b, m, data, len);
            }
        }
    }
}

static Member *
member_new (Bench *b,
            guint  index)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  Member *m = g_new0 (Member, 1);

  m->addr = g_inet_socket_address_new (lo, 20000 + index);
  m->rel = cr_reliable_new ();
  g_hash_table_insert (b->by_port, GUINT_TO_POINTER (20000 + index), m);
  return m;
}

static void
member_join (Bench  *b,
             Member *m,
             guint   index)
{
  g_autofree char *name = g_strdup_printf ("member%u", index);
  g_autoptr(GBytes) body = cr_body_join (name, "", "", FALSE, 0, "");
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_JOIN, 0, 0, 0, 0, 0 };
  g_autoptr(GBytes) datagram = NULL;
  const guint8 *data;
  gsize len;

  feed (b, m, (const guint8 *) CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));
  pump (b);
  if (b->sealed)
    {
      g_autoptr(GBytes) hello_body = NULL;
      g_autoptr(GBytes) hello = NULL;
      CrHeader hello_header = { CR_PROTOCOL_VERSION, CR_PACKET_HELLO, 0, 0, 0, m->cookie, 0 };

      cr_handshake_init (&m->hs);
      hello_body = cr_body_hello (m->hs.public_key);
      data = g_bytes_get_data (hello_body, &len);
      hello = cr_datagram_build (&hello_header, data, len);
      data = g_bytes_get_data (hello, &len);
      feed (b, m, data, len);
      pump (b);
      g_assert (m->keyed);
    }
  header.ack = m->cookie;
  data = g_bytes_get_data (body, &len);
  datagram = cr_datagram_build (&header, data, len);
  data = g_bytes_get_data (datagram, &len);
  feed (b, m, data, len);
  pump (b);
  g_assert (m->welcomed);
}

/* Let the members' delayed acks fall due and reach the room, as they do
 * CR_ACK_DELAY_US after the joins with real members. */
static void
settle (Bench   *b,
        Member **members,
        guint    n_members)
{
  b->now.mono += 2 * CR_ACK_DELAY_US;
  b->now.wall += 2 * CR_ACK_DELAY_US;
  for (guint i = 0; i < n_members; i++)
    {
      g_autoptr(GPtrArray) acks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

      cr_reliable_flush (members[i]->rel, members[i]->session, b->now.mono, acks);
      for (guint j = 0; j < acks->len; j++)
        {
          gsize len;
          const guint8 *data = g_bytes_get_data (acks->pdata[j], &len);
          feed (b, members[i], data, len);
        }
    }
  pump (b);
}

/* The heap: bytes in use, and its size (main arena and mmapped blocks). */
static void
heap_now (gsize *in_use,
          gsize *size)
{
  struct mallinfo2 info = mallinfo2 ();

  *in_use = info.uordblks + info.hblkhd;
  *size = info.arena + info.hblkhd;
}

static void
run (gboolean sealed,
     gboolean memory,
     guint    n_members,
     guint    n_messages)
{
  gsize use0 = 0, size0 = 0, use1 = 0, size1 = 0, use2 = 0, size2 = 0;
  CrIdentity *identity = sealed ? cr_identity_new () : NULL;
  g_autofree char *dir = g_dir_make_tmp ("cr-bench-XXXXXX", NULL);
  g_autoptr(GError) error = NULL;
  CrStore *store = cr_store_open (dir, &error);
  CrEngineConfig config;
  Bench b = { 0 };
  Member **members = g_new0 (Member *, n_members);
  CrStats stats;
  guint64 out_before, in_before;
  gint64 start, elapsed;
  guint64 received = 0;

  g_assert_no_error (error);
  bench_engine_config (&config, n_members, identity);
  b.sealed = sealed;
  b.engine = cr_engine_new (&config, store);
  b.out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  b.by_port = g_hash_table_new (NULL, NULL);
  b.now = (CrEngineTime) { G_TIME_SPAN_SECOND, g_get_real_time () };

  for (guint i = 0; i < n_members; i++)
    members[i] = member_new (&b, i);
  heap_now (&use0, &size0);
  for (guint i = 0; i < n_members; i++)
    member_join (&b, members[i], i);
  settle (&b, members, n_members);
  heap_now (&use1, &size1);
  for (guint i = 0; i < n_members; i++)
    members[i]->events = 0;

  cr_engine_get_stats (b.engine, &stats);
  out_before = stats.datagrams_out;
  in_before = b.in;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf ("message number %u of the benchmark", i);
      g_autoptr(GBytes) body = cr_body_chat (i + 1, text);

      cr_reliable_send (members[0]->rel, CR_PACKET_CHAT, body);
      {
        g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
        cr_reliable_flush (members[0]->rel, members[0]->session, b.now.mono, datagrams);
        for (guint j = 0; j < datagrams->len; j++)
          {
            gsize len;
            const guint8 *data = g_bytes_get_data (datagrams->pdata[j], &len);
            feed (&b, members[0], data, len);
          }
      }
      pump (&b);
      b.now.mono += 100;   /* 0.1 ms of simulated time per message */
      b.now.wall += 100;
    }
  elapsed = g_get_monotonic_time () - start;
  heap_now (&use2, &size2);

  cr_engine_get_stats (b.engine, &stats);
  for (guint i = 0; i < n_members; i++)
    received += members[i]->events;

  g_print ("%s %5u members  %6u messages  %7.3f s  %9.0f messages/s  %10.0f datagrams out/s  "
           "%10.0f in/s  %6.2f µs per delivery  (delivered %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT ")\n",
           sealed ? "sealed" : "plain ", n_members, n_messages, elapsed / 1e6,
           n_messages / (elapsed / 1e6),
           (stats.datagrams_out - out_before) / (elapsed / 1e6),
           (b.in - in_before) / (elapsed / 1e6),
           (double) elapsed / ((double) n_messages * n_members),
           received, (guint64) n_messages * n_members);
  if (memory)
    g_print ("       room's heap per member: after the joins %.0f B in use, %.0f B of heap "
             "grown; after the messages %.0f B in use, %.0f B grown (mallinfo2)\n",
             ((double) use1 - use0) / n_members, ((double) size1 - size0) / n_members,
             ((double) use2 - use0) / n_members, ((double) size2 - size0) / n_members);

  for (guint i = 0; i < n_members; i++)
    {
      g_object_unref (members[i]->addr);
      cr_reliable_free (members[i]->rel);
      cr_seal_clear (&members[i]->seal);
      cr_handshake_clear (&members[i]->hs);
      g_free (members[i]);
    }
  g_free (members);
  g_hash_table_destroy (b.by_port);
  g_ptr_array_unref (b.out);
  cr_engine_free (b.engine);
  cr_identity_free (identity);
  cr_store_close (store);
  bench_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  gboolean sealed = FALSE;
  gboolean memory = FALSE;

  setlocale (LC_ALL, "C.UTF-8");
  cr_locale_init ();

  g_print ("The engine alone (no sockets), one member speaking, every member acking; "
           "SQLite store in a temporary directory.\n");
  while (argc > 1 && g_str_has_prefix (argv[1], "--"))
    {
      if (g_str_equal (argv[1], "--sealed"))
        sealed = TRUE;
      else if (g_str_equal (argv[1], "--memory"))
        memory = TRUE;
      else
        {
          g_printerr ("usage: bench-engine [--sealed] [--memory] [MEMBERS [MESSAGES]]\n");
          return 2;
        }
      argc--;
      argv++;
    }
  if (argc > 1)
    run (sealed, memory, MAX (2, atoi (argv[1])), argc > 2 ? MAX (1, atoi (argv[2])) : 2000);
  else
    {
      run (sealed, memory, 10, 2000);
      run (sealed, memory, 100, 2000);
      run (sealed, memory, 500, 1000);
    }
  return 0;
}
