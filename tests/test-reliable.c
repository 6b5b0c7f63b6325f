/* test-reliable.c: reliable, ordered delivery over a simulated lossy wire
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-reliable"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib.h>

#include "cr-reliable.h"

#define MS  G_TIME_SPAN_MILLISECOND

/* Helpers ---------------------------------------------------------------- */

static GPtrArray *
new_deliveries (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
}

static GPtrArray *
new_datagrams (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static GBytes *
message_body (guint  index,
              gsize  size)
{
  GString *s = g_string_sized_new (size + 16);

  g_string_printf (s, "message %u:", index);
  while (s->len < size)
    g_string_append_c (s, 'a' + (s->len + index) % 26);
  g_string_truncate (s, MAX (size, 1));
  return g_string_free_to_bytes (s);
}

/* Parse a datagram the way a receiver does; asserts that it is valid. */
static void
parse (GBytes        *datagram,
       CrHeader      *header,
       const guint8 **body,
       gsize         *body_len)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (datagram, &len);

  g_assert_cmpuint (len, <=, CR_DATAGRAM_MAX);
  g_assert_cmpint (cr_header_parse (data, len, header, body, body_len), ==, CR_PARSE_OK);
}

/* Hand a datagram from one endpoint to another. */
static gboolean
pass (CrReliable *to,
      GBytes     *datagram,
      gint64      now,
      GPtrArray  *deliveries)
{
  CrHeader header = { 0, };
  const guint8 *body;
  gsize body_len;

  parse (datagram, &header, &body, &body_len);
  return cr_reliable_receive (to, &header, body, body_len, now, deliveries);
}

static guint32
number_of (GBytes *datagram)
{
  CrHeader header = { 0, };
  const guint8 *body;
  gsize body_len;

  parse (datagram, &header, &body, &body_len);
  return header.number;
}

/* The wire: two endpoints, a seeded loss / duplication / delay model. ------ */

typedef struct
{
  GBytes *datagram;
  gint64  arrive;
  guint   to;
} Transit;

typedef struct
{
  CrReliable *end[2];
  guint32     session[2];
  GRand      *rand;
  gdouble     loss;
  gdouble     duplication;
  gint64      delay_min;
  gint64      delay_max;
  GPtrArray  *wire;           /* Transit* */
  GPtrArray  *received[2];    /* CrDelivery*, what end i got */
  guint64     datagrams[2];
  guint64     pure_acks[2];
  /* What the peer of end i has acked, tracked independently of the code
   * under test, to check its window: acked[i] holds acked numbers >=
   * lowest_unacked[i]. */
  GHashTable *acked[2];
  guint32     lowest_unacked[2];
  gint64      now;
} Wire;

static void
transit_free (Transit *transit)
{
  g_bytes_unref (transit->datagram);
  g_free (transit);
}

static Wire *
wire_new (guint32 seed,
          gdouble loss,
          gdouble duplication,
          gint64  delay_min,
          gint64  delay_max)
{
  Wire *wire = g_new0 (Wire, 1);

  for (guint i = 0; i < 2; i++)
    {
      wire->end[i] = cr_reliable_new ();
      wire->received[i] = new_deliveries ();
      wire->acked[i] = g_hash_table_new (NULL, NULL);
      wire->lowest_unacked[i] = 1;
    }
  wire->session[0] = 0x1111;
  wire->session[1] = 0x2222;
  wire->rand = g_rand_new_with_seed (seed);
  wire->loss = loss;
  wire->duplication = duplication;
  wire->delay_min = delay_min;
  wire->delay_max = delay_max;
  wire->wire = g_ptr_array_new_with_free_func ((GDestroyNotify) transit_free);
  wire->now = 1000 * G_TIME_SPAN_SECOND;
  return wire;
}

static void
wire_free (Wire *wire)
{
  for (guint i = 0; i < 2; i++)
    {
      cr_reliable_free (wire->end[i]);
      g_ptr_array_unref (wire->received[i]);
      g_hash_table_unref (wire->acked[i]);
    }
  g_rand_free (wire->rand);
  g_ptr_array_unref (wire->wire);
  g_free (wire);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wire, wire_free)

static void
wire_put (Wire   *wire,
          guint   to,
          GBytes *datagram)
{
  Transit *transit = g_new0 (Transit, 1);

  transit->datagram = g_bytes_ref (datagram);
  transit->to = to;
  transit->arrive = wire->now +
    (wire->delay_max > wire->delay_min
     ? (gint64) g_rand_int_range (wire->rand, 0, wire->delay_max - wire->delay_min)
     : 0) + wire->delay_min;
  g_ptr_array_add (wire->wire, transit);
}

/* Flush both ends onto the wire, losing and duplicating some. */
static void
wire_flush (Wire *wire)
{
  for (guint from = 0; from < 2; from++)
    {
      g_autoptr(GPtrArray) out = new_datagrams ();

      cr_reliable_flush (wire->end[from], wire->session[from], wire->now, out);
      for (guint i = 0; i < out->len; i++)
        {
          GBytes *datagram = out->pdata[i];
          CrHeader header = { 0, };
          const guint8 *body;
          gsize body_len;

          parse (datagram, &header, &body, &body_len);
          g_assert_cmpuint (header.session, ==, wire->session[from]);
          wire->datagrams[from]++;
          if (header.number == 0)
            {
              g_assert_cmpuint (header.type, ==, CR_PACKET_ACK);
              wire->pure_acks[from]++;
            }
          else
            {
              /* The sliding window: never more than CR_SEND_WINDOW past the
               * oldest packet the peer has not acked. */
              g_assert_cmpuint (header.number, <,
                                (guint64) wire->lowest_unacked[from] + CR_SEND_WINDOW);
            }

          if (g_rand_double (wire->rand) < wire->loss)
            continue;
          wire_put (wire, 1 - from, datagram);
          if (g_rand_double (wire->rand) < wire->duplication)
            wire_put (wire, 1 - from, datagram);
        }
    }
}

/* Datagram arriving at end `to` acks packets end `to` sent. */
static void
wire_note_acks (Wire   *wire,
                guint   to,
                GBytes *datagram)
{
  CrHeader header = { 0, };
  const guint8 *body;
  gsize body_len;

  parse (datagram, &header, &body, &body_len);
  for (guint64 n = wire->lowest_unacked[to]; n <= header.ack; n++)
    g_hash_table_add (wire->acked[to], GUINT_TO_POINTER ((guint) n));
  for (guint i = 0; i < 32; i++)
    if ((header.ack_bits & (1u << i)) != 0)
      g_hash_table_add (wire->acked[to], GUINT_TO_POINTER ((guint) (header.ack + 1 + i)));
  while (g_hash_table_remove (wire->acked[to], GUINT_TO_POINTER (wire->lowest_unacked[to])))
    wire->lowest_unacked[to]++;
}

/* Deliver what has arrived by now; returns the earliest later arrival. */
static gint64
wire_deliver (Wire *wire)
{
  gint64 next = G_MAXINT64;

  for (guint i = 0; i < wire->wire->len;)
    {
      Transit *transit = wire->wire->pdata[i];

      if (transit->arrive <= wire->now)
        {
          g_autoptr(GBytes) datagram = g_bytes_ref (transit->datagram);
          guint to = transit->to;

          /* Remove first: order on the wire is by arrival time only. */
          g_ptr_array_remove_index_fast (wire->wire, i);
          wire_note_acks (wire, to, datagram);
          pass (wire->end[to], datagram, wire->now, wire->received[to]);
          continue;
        }
      next = MIN (next, transit->arrive);
      i++;
    }
  return next;
}

/* Run until both ends got `expected` messages and nothing is unacked, or
 * fail after max_steps. Returns the number of steps taken. */
static guint
wire_run (Wire  *wire,
          guint  expected,
          guint  max_steps)
{
  guint step;

  for (step = 0; step < max_steps; step++)
    {
      gint64 next_arrival;
      gint64 next;

      wire_flush (wire);
      next_arrival = wire_deliver (wire);

      if (wire->received[0]->len == expected && wire->received[1]->len == expected &&
          cr_reliable_get_unacked (wire->end[0]) == 0 &&
          cr_reliable_get_unacked (wire->end[1]) == 0 &&
          wire->wire->len == 0)
        return step;

      /* Jump the clock to the next thing that happens. */
      next = MIN (next_arrival, cr_reliable_next_deadline (wire->end[0]));
      next = MIN (next, cr_reliable_next_deadline (wire->end[1]));
      g_assert_cmpint (next, !=, G_MAXINT64);
      if (next > wire->now)
        wire->now = next;
    }

  g_test_message ("stuck: received %u / %u, unacked %u / %u, on the wire %u",
                  wire->received[0]->len, wire->received[1]->len,
                  cr_reliable_get_unacked (wire->end[0]),
                  cr_reliable_get_unacked (wire->end[1]), wire->wire->len);
  g_assert_not_reached ();
  return step;
}

static void
assert_received_in_order (GPtrArray  *received,
                          GPtrArray  *sent)
{
  g_assert_cmpuint (received->len, ==, sent->len);
  for (guint i = 0; i < sent->len; i++)
    {
      CrDelivery *delivery = received->pdata[i];

      g_assert_cmpint (delivery->type, ==, CR_PACKET_CHAT);
      if (!g_bytes_equal (delivery->body, sent->pdata[i]))
        {
          g_test_message ("message %u differs (sizes %" G_GSIZE_FORMAT " / %" G_GSIZE_FORMAT ")",
                          i, g_bytes_get_size (delivery->body),
                          g_bytes_get_size (sent->pdata[i]));
          g_test_fail ();
          return;
        }
    }
}

/* Tests ------------------------------------------------------------------ */

static void
run_lossy (guint32 seed,
           gdouble loss,
           gdouble duplication,
           guint   count)
{
  g_autoptr(Wire) wire = wire_new (seed, loss, duplication, 1 * MS, 40 * MS);
  g_autoptr(GPtrArray) sent0 = new_datagrams ();
  g_autoptr(GPtrArray) sent1 = new_datagrams ();
  GPtrArray *sent[2] = { sent0, sent1 };
  guint steps;

  for (guint i = 0; i < count; i++)
    for (guint e = 0; e < 2; e++)
      {
        /* Mostly small, some needing several fragments. */
        gsize size = (i % 97 == 5) ? 4096 : (i % 13 == 0) ? CR_BODY_MAX + 1 : 20 + i % 200;
        g_autoptr(GBytes) body = message_body (i + e * 100000, size);

        cr_reliable_send (wire->end[e], CR_PACKET_CHAT, body);
        g_ptr_array_add (sent[e], g_bytes_ref (body));
      }
  g_assert_cmpuint (cr_reliable_get_unacked (wire->end[0]), ==, count);

  steps = wire_run (wire, count, 200000);

  g_test_message ("seed %u: %u steps, %.1f s simulated, datagrams %" G_GUINT64_FORMAT
                  " / %" G_GUINT64_FORMAT ", retransmits %" G_GUINT64_FORMAT
                  " / %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT
                  " / %" G_GUINT64_FORMAT ", pure acks %" G_GUINT64_FORMAT,
                  seed, steps, (wire->now - 1000 * G_TIME_SPAN_SECOND) / 1e6,
                  wire->datagrams[0], wire->datagrams[1],
                  cr_reliable_get_retransmits (wire->end[0]),
                  cr_reliable_get_retransmits (wire->end[1]),
                  cr_reliable_get_duplicates (wire->end[0]),
                  cr_reliable_get_duplicates (wire->end[1]),
                  wire->pure_acks[0] + wire->pure_acks[1]);

  /* End 1 received what end 0 sent, and the other way round. */
  assert_received_in_order (wire->received[1], sent[0]);
  assert_received_in_order (wire->received[0], sent[1]);

  for (guint e = 0; e < 2; e++)
    {
      if (loss > 0)
        g_assert_cmpuint (cr_reliable_get_retransmits (wire->end[e]), >, 0);
      if (duplication > 0 || loss > 0)
        g_assert_cmpuint (cr_reliable_get_duplicates (wire->end[e]), >, 0);
      g_assert_cmpint (cr_reliable_next_deadline (wire->end[e]), ==, G_MAXINT64);
      g_assert_cmpint (cr_reliable_get_last_heard (wire->end[e]), >, 0);
    }
}

static void
test_lossless (void)
{
  run_lossy (1, 0.0, 0.0, 1000);
}

static void
test_loss_duplication_reordering (void)
{
  /* Several seeds: one lucky loss pattern proves little. */
  for (guint32 seed = 100; seed < 105; seed++)
    run_lossy (seed, 0.20, 0.10, 1000);
}

static void
test_heavy_loss (void)
{
  run_lossy (7, 0.50, 0.20, 200);
}

/* The sender numbers packets from 1, and a long body becomes fragments. */
static void
test_fragmentation (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GBytes) body = message_body (1, 4096);
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  gsize total = 0;
  guint n_fragments = (4096 + CR_BODY_MAX - 1) / CR_BODY_MAX;
  CrDelivery *delivery;

  cr_reliable_send (a, CR_PACKET_CHAT, body);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 1);
  cr_reliable_flush (a, 9, 0, out);
  g_assert_cmpuint (out->len, ==, n_fragments);
  g_assert_cmpuint (n_fragments, ==, 4);

  for (guint i = 0; i < out->len; i++)
    {
      CrHeader header = { 0, };
      const guint8 *fragment;
      gsize len;

      parse (out->pdata[i], &header, &fragment, &len);
      g_assert_cmpuint (header.number, ==, i + 1);
      g_assert_cmpuint (header.session, ==, 9);
      g_assert_cmpuint (header.type, ==, CR_PACKET_CHAT);
      g_assert_cmpuint (header.flags & CR_FLAG_RELIABLE, !=, 0);
      if (i + 1 < out->len)
        {
          g_assert_cmpuint (header.flags & CR_FLAG_MORE, !=, 0);
          g_assert_cmpuint (len, ==, CR_BODY_MAX);
        }
      else
        g_assert_cmpuint (header.flags & CR_FLAG_MORE, ==, 0);
      g_assert_cmpmem (fragment, len,
                       (const guint8 *) g_bytes_get_data (body, NULL) + total, len);
      total += len;
    }
  g_assert_cmpuint (total, ==, 4096);

  /* Arriving backwards: nothing until the first one, then all at once. */
  for (guint i = out->len; i-- > 1;)
    {
      g_assert_true (pass (b, out->pdata[i], 10, got));
      g_assert_cmpuint (got->len, ==, 0);
    }
  g_assert_true (pass (b, out->pdata[0], 10, got));
  g_assert_cmpuint (got->len, ==, 1);
  delivery = got->pdata[0];
  g_assert_cmpint (delivery->type, ==, CR_PACKET_CHAT);
  g_assert_true (g_bytes_equal (delivery->body, body));

  /* Every fragment again: all duplicates, nothing delivered twice. */
  for (guint i = 0; i < out->len; i++)
    g_assert_false (pass (b, out->pdata[i], 11, got));
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpuint (cr_reliable_get_duplicates (b), ==, n_fragments);

  /* B acks all four in one pure ACK; A is then done. */
  g_ptr_array_set_size (out, 0);
  cr_reliable_flush (b, 10, 12, out);
  g_assert_cmpuint (out->len, ==, 1);
  {
    g_autoptr(GPtrArray) none = new_deliveries ();

    g_assert_true (pass (a, out->pdata[0], 13, none));
    g_assert_cmpuint (none->len, ==, 0);
  }
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
  g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);
}

/* Two messages whose fragments are interleaved by loss and retransmission,
 * and an exact multiple of CR_BODY_MAX, and an empty body. */
static void
test_fragment_edges (void)
{
  g_autoptr(Wire) wire = wire_new (42, 0.3, 0.1, 1 * MS, 30 * MS);
  g_autoptr(GPtrArray) sent = new_datagrams ();
  static const gsize sizes[] = { CR_BODY_MAX, CR_BODY_MAX + 1, 2 * CR_BODY_MAX, 0, 1,
                                 4096, 3 * CR_BODY_MAX - 1, 10000 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) body = NULL;

      if (sizes[i] == 0)
        body = g_bytes_new (NULL, 0);
      else
        body = message_body (i, sizes[i]);
      g_assert_cmpuint (g_bytes_get_size (body), ==, sizes[i]);
      cr_reliable_send (wire->end[0], CR_PACKET_CHAT, body);
      g_ptr_array_add (sent, g_bytes_ref (body));
    }
  /* The other way, the same bodies: end 1 must get exactly them too. */
  for (guint i = 0; i < sent->len; i++)
    cr_reliable_send (wire->end[1], CR_PACKET_CHAT, sent->pdata[i]);

  wire_run (wire, sent->len, 100000);
  assert_received_in_order (wire->received[1], sent);
  assert_received_in_order (wire->received[0], sent);
}

static void
test_window (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  g_autoptr(GPtrArray) acks = new_datagrams ();
  const guint total = 3 * CR_SEND_WINDOW;

  for (guint i = 0; i < total; i++)
    {
      g_autoptr(GBytes) body = message_body (i, 10);

      cr_reliable_send (a, CR_PACKET_EVENT, body);
    }
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, total);
  /* Data within the window: due at once. */
  g_assert_cmpint (cr_reliable_next_deadline (a), <=, 0);

  cr_reliable_flush (a, 1, 0, out);
  g_assert_cmpuint (out->len, ==, CR_SEND_WINDOW);
  g_assert_cmpuint (number_of (out->pdata[0]), ==, 1);
  g_assert_cmpuint (number_of (out->pdata[CR_SEND_WINDOW - 1]), ==, CR_SEND_WINDOW);

  /* Window full: nothing more until acks arrive, and the next deadline is
   * the retransmission timer. */
  g_assert_cmpint (cr_reliable_next_deadline (a), ==, CR_RTO_INITIAL_US);
  {
    g_autoptr(GPtrArray) more = new_datagrams ();

    cr_reliable_flush (a, 1, 1 * MS, more);
    g_assert_cmpuint (more->len, ==, 0);
  }

  /* B receives only the first 10; its ack opens the window by 10. */
  for (guint i = 0; i < 10; i++)
    g_assert_true (pass (b, out->pdata[i], 2 * MS, got));
  g_assert_cmpuint (got->len, ==, 10);
  /* Fewer than CR_ACK_EVERY: B's ack waits for its delay. */
  cr_reliable_flush (b, 2, 2 * MS, acks);
  g_assert_cmpuint (acks->len, ==, 0);
  cr_reliable_flush (b, 2, 2 * MS + CR_ACK_DELAY_US, acks);
  g_assert_cmpuint (acks->len, ==, 1);
  g_assert_true (pass (a, acks->pdata[0], 3 * MS, got));
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, total - 10);

  g_ptr_array_set_size (out, 0);
  cr_reliable_flush (a, 1, 3 * MS, out);
  g_assert_cmpuint (out->len, ==, 10);
  g_assert_cmpuint (number_of (out->pdata[0]), ==, CR_SEND_WINDOW + 1);
  g_assert_cmpuint (number_of (out->pdata[9]), ==, CR_SEND_WINDOW + 10);

  /* A selective ack of a later packet does not slide the window: the
   * oldest unacked one holds it. */
  {
    CrHeader header = {
      .version = CR_PROTOCOL_VERSION, .type = CR_PACKET_ACK,
      .ack = 10, .ack_bits = 0xfffffffe,   /* 12..42, not 11 */
    };
    g_autoptr(GPtrArray) more = new_datagrams ();
    g_autoptr(GPtrArray) none = new_deliveries ();

    g_assert_true (cr_reliable_receive (a, &header, (const guint8 *) "", 1, 4 * MS, none));
    g_assert_cmpuint (cr_reliable_get_unacked (a), ==, total - 10 - 31);
    cr_reliable_flush (a, 1, 4 * MS, more);
    g_assert_cmpuint (more->len, ==, 0);
  }
}

static void
test_rto_backoff (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(GBytes) body = message_body (0, 100);
  g_autoptr(GPtrArray) out = new_datagrams ();
  const gint64 start = 5 * G_TIME_SPAN_SECOND;
  gint64 expected_gap = CR_RTO_INITIAL_US;
  gint64 sent_at = start;
  guint64 retransmits = 0;

  g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);
  cr_reliable_send (a, CR_PACKET_CHAT, body);
  cr_reliable_flush (a, 1, start, out);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (cr_reliable_get_retransmits (a), ==, 0);

  /* 200, 400, 800, 1600 ms, then capped at 2 s. Bounded loop. */
  for (guint round = 0; round < 8; round++)
    {
      gint64 deadline = cr_reliable_next_deadline (a);
      g_autoptr(GPtrArray) early = new_datagrams ();
      g_autoptr(GPtrArray) due = new_datagrams ();

      g_assert_cmpint (deadline, ==, sent_at + expected_gap);

      cr_reliable_flush (a, 1, deadline - 1, early);
      g_assert_cmpuint (early->len, ==, 0);

      cr_reliable_flush (a, 1, deadline, due);
      g_assert_cmpuint (due->len, ==, 1);
      g_assert_cmpuint (number_of (due->pdata[0]), ==, 1);
      g_assert_cmpuint (cr_reliable_get_retransmits (a), ==, ++retransmits);
      g_assert_true (g_bytes_equal (due->pdata[0], out->pdata[0]));

      sent_at = deadline;
      expected_gap = MIN (expected_gap * 2, CR_RTO_MAX_US);
    }
  g_assert_cmpint (expected_gap, ==, CR_RTO_MAX_US);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 1);
}

static void
test_duplicates (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) body = message_body (i, 30);

      cr_reliable_send (a, CR_PACKET_CHAT, body);
    }
  cr_reliable_flush (a, 1, 0, out);
  g_assert_cmpuint (out->len, ==, 3);

  /* 3 first (buffered), again 3 (duplicate of a buffered one). */
  g_assert_true (pass (b, out->pdata[2], 1, got));
  g_assert_false (pass (b, out->pdata[2], 1, got));
  g_assert_cmpuint (cr_reliable_get_duplicates (b), ==, 1);
  g_assert_cmpuint (got->len, ==, 0);

  /* B acks it selectively: ack 0 (nothing in order), bit 2 = packet 3. */
  {
    g_autoptr(GPtrArray) acks = new_datagrams ();
    CrHeader header = { 0, };
    const guint8 *body;
    gsize body_len;

    cr_reliable_flush (b, 2, 1, acks);
    g_assert_cmpuint (acks->len, ==, 1);
    parse (acks->pdata[0], &header, &body, &body_len);
    g_assert_cmpuint (header.type, ==, CR_PACKET_ACK);
    g_assert_cmpuint (header.ack, ==, 0);
    g_assert_cmpuint (header.ack_bits, ==, 1u << 2);

    /* A forgets packet 3 only. */
    g_assert_true (pass (a, acks->pdata[0], 1, got));
    g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 2);
    g_assert_cmpuint (got->len, ==, 0);
  }

  g_assert_true (pass (b, out->pdata[0], 2, got));
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_false (pass (b, out->pdata[0], 2, got));   /* already delivered */
  g_assert_cmpuint (cr_reliable_get_duplicates (b), ==, 2);

  g_assert_true (pass (b, out->pdata[1], 3, got));
  g_assert_cmpuint (got->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_false (pass (b, out->pdata[i], 4, got));
  g_assert_cmpuint (got->len, ==, 3);
  g_assert_cmpuint (cr_reliable_get_duplicates (b), ==, 5);
  g_assert_cmpint (cr_reliable_get_last_heard (b), ==, 4);

  /* Delivered in order, whatever the arrival order. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) body = message_body (i, 30);
      CrDelivery *delivery = got->pdata[i];

      g_assert_true (g_bytes_equal (delivery->body, body));
    }
}

static void
test_ack_only (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GBytes) body = message_body (0, 50);
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  CrHeader header = { 0, };
  const guint8 *ack_body;
  gsize ack_len;

  /* Nothing to say: nothing sent, no deadline. */
  cr_reliable_flush (b, 2, 0, out);
  g_assert_cmpuint (out->len, ==, 0);
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, G_MAXINT64);

  cr_reliable_send (a, CR_PACKET_CHAT, body);
  cr_reliable_flush (a, 1, 0, out);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_true (pass (b, out->pdata[0], 100 * MS, got));
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpint (cr_reliable_get_last_heard (b), ==, 100 * MS);

  /* B owes an ack: due after the delay, not before. */
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, 100 * MS + CR_ACK_DELAY_US);
  g_ptr_array_set_size (out, 0);
  cr_reliable_flush (b, 2, 100 * MS, out);
  g_assert_cmpuint (out->len, ==, 0);
  cr_reliable_flush (b, 2, 150 * MS, out);
  g_assert_cmpuint (out->len, ==, 1);
  parse (out->pdata[0], &header, &ack_body, &ack_len);
  g_assert_cmpuint (header.type, ==, CR_PACKET_ACK);
  g_assert_cmpuint (header.number, ==, 0);
  g_assert_cmpuint (header.flags, ==, 0);
  g_assert_cmpuint (header.session, ==, 2);
  g_assert_cmpuint (header.ack, ==, 1);
  g_assert_cmpuint (header.ack_bits, ==, 0);
  {
    g_autoptr(GVariant) unit = cr_body_parse (CR_PACKET_ACK, ack_body, ack_len);

    g_assert_nonnull (unit);
  }
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, G_MAXINT64);

  /* Paid: not again. */
  {
    g_autoptr(GPtrArray) again = new_datagrams ();

    cr_reliable_flush (b, 2, 200 * MS, again);
    g_assert_cmpuint (again->len, ==, 0);
  }

  /* A takes the ack. */
  {
    g_autoptr(GPtrArray) none = new_deliveries ();

    g_assert_true (pass (a, out->pdata[0], 200 * MS, none));
  }
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
  g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);

  /* When B has data, the data carries the ack: no separate ACK. */
  g_ptr_array_set_size (out, 0);
  cr_reliable_send (a, CR_PACKET_CHAT, body);
  cr_reliable_flush (a, 1, 300 * MS, out);
  g_assert_true (pass (b, out->pdata[0], 300 * MS, got));
  cr_reliable_send (b, CR_PACKET_EVENT, body);
  g_ptr_array_set_size (out, 0);
  cr_reliable_flush (b, 2, 310 * MS, out);
  g_assert_cmpuint (out->len, ==, 1);
  parse (out->pdata[0], &header, &ack_body, &ack_len);
  g_assert_cmpuint (header.type, ==, CR_PACKET_EVENT);
  g_assert_cmpuint (header.number, ==, 1);
  g_assert_cmpuint (header.ack, ==, 2);

  /* An unreliable datagram carries the ack too and pays it. */
  g_ptr_array_set_size (out, 0);
  cr_reliable_flush (a, 1, 400 * MS, out);
  g_assert_cmpuint (out->len, ==, 0);  /* nothing owed yet */
  {
    g_autoptr(GPtrArray) none = new_deliveries ();
    g_autoptr(GBytes) ping_b = NULL;
    g_autoptr(GBytes) ping = NULL;

    cr_reliable_flush (b, 2, 500 * MS, out);  /* its EVENT is due at 510 ms */
    g_assert_cmpuint (out->len, ==, 0);
    ping_b = cr_reliable_build_unreliable (b, 2, CR_PACKET_PING, NULL);
    g_assert_nonnull (ping_b);
    parse (ping_b, &header, &ack_body, &ack_len);
    g_assert_cmpuint (header.type, ==, CR_PACKET_PING);
    g_assert_cmpuint (header.number, ==, 0);
    g_assert_cmpuint (header.ack, ==, 2);

    /* A gets B's EVENT: owes an ack, and a PING pays it. */
    g_ptr_array_set_size (out, 0);
    cr_reliable_flush (b, 2, 600 * MS, out);
    g_assert_cmpuint (out->len, ==, 1);   /* the EVENT again: 200 ms passed */
    g_assert_true (pass (a, out->pdata[0], 600 * MS, none));
    g_assert_cmpuint (none->len, ==, 1);
    g_assert_cmpint (cr_reliable_next_deadline (a), ==, 600 * MS + CR_ACK_DELAY_US);
    ping = cr_reliable_build_unreliable (a, 1, CR_PACKET_PING, NULL);
    parse (ping, &header, &ack_body, &ack_len);
    g_assert_cmpuint (header.ack, ==, 1);
    g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);
    g_ptr_array_set_size (out, 0);
    cr_reliable_flush (a, 1, 700 * MS, out);
    g_assert_cmpuint (out->len, ==, 0);
  }
}

static void
test_out_of_window (void)
{
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  g_autoptr(GPtrArray) out = new_datagrams ();
  CrHeader header = {
    .version = CR_PROTOCOL_VERSION, .type = CR_PACKET_CHAT, .flags = CR_FLAG_RELIABLE,
  };

  header.number = 1 + CR_RECEIVE_WINDOW;
  g_assert_false (cr_reliable_receive (b, &header, (const guint8 *) "x", 1, 5, got));
  header.number = G_MAXUINT32;
  g_assert_false (cr_reliable_receive (b, &header, (const guint8 *) "x", 1, 5, got));
  header.number = CR_RECEIVE_WINDOW;   /* the last one that fits */
  g_assert_true (cr_reliable_receive (b, &header, (const guint8 *) "x", 1, 5, got));
  g_assert_cmpuint (got->len, ==, 0);

  /* Still acked, so the peer learns where we are. */
  cr_reliable_flush (b, 3, 6, out);
  g_assert_cmpuint (out->len, ==, 1);
  g_assert_cmpuint (number_of (out->pdata[0]), ==, 0);
}

/* An ack for packets never sent must not make the sender forget data. */
static void
test_bogus_ack (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(GBytes) body = message_body (0, 10);
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) none = new_deliveries ();
  CrHeader header = {
    .version = CR_PROTOCOL_VERSION, .type = CR_PACKET_ACK, .ack = 5, .ack_bits = 0xffffffff,
  };

  cr_reliable_send (a, CR_PACKET_CHAT, body);
  cr_reliable_send (a, CR_PACKET_CHAT, body);
  g_assert_true (cr_reliable_receive (a, &header, (const guint8 *) "", 1, 1, none));
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 2);

  cr_reliable_flush (a, 1, 2, out);
  g_assert_cmpuint (out->len, ==, 2);
  header.ack = G_MAXUINT32;
  g_assert_true (cr_reliable_receive (a, &header, (const guint8 *) "", 1, 3, none));
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 2);

  /* A real one. */
  header.ack = 2;
  header.ack_bits = 0;
  g_assert_true (cr_reliable_receive (a, &header, (const guint8 *) "", 1, 4, none));
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
}

/* Many messages without loss: a cost per message that grew with the queue
 * would show here as a timeout. */
static void
test_many (void)
{
  g_autoptr(Wire) wire = wire_new (3, 0.0, 0.0, 1 * MS, 1 * MS);
  g_autoptr(GBytes) body = message_body (0, 100);
  const guint count = 50000;

  /* One body shared by every message: the broadcast case. */
  for (guint i = 0; i < count; i++)
    {
      cr_reliable_send (wire->end[0], CR_PACKET_EVENT, body);
      cr_reliable_send (wire->end[1], CR_PACKET_EVENT, body);
    }
  wire_run (wire, count, 100000);
  g_assert_cmpuint (wire->received[1]->len, ==, count);
  g_assert_cmpuint (cr_reliable_get_retransmits (wire->end[0]), ==, 0);
  g_assert_cmpuint (cr_reliable_get_duplicates (wire->end[1]), ==, 0);
}

/* Count the pure ACKs in out and check each is cumulative: its ack field
 * is never below the one before. */
static guint
count_acks (GPtrArray *out,
            guint32   *last_ack)
{
  guint n = 0;

  *last_ack = 0;
  for (guint i = 0; i < out->len; i++)
    {
      CrHeader header = { 0, };
      const guint8 *body;
      gsize body_len;

      parse (out->pdata[i], &header, &body, &body_len);
      if (header.type != CR_PACKET_ACK)
        continue;
      g_assert_cmpuint (header.ack, >=, *last_ack);
      *last_ack = header.ack;
      n++;
    }
  return n;
}

/* A stream taken one packet at a time costs an ACK per CR_ACK_EVERY
 * packets, each cumulative, and the tail's after CR_ACK_DELAY_US: not an
 * ACK per packet (the native dialect's packet count doubled). */
/* A receiver's ack, written by hand: everything up to ack, and the bits. */
static void
ack_by_hand (CrReliable *sender,
             guint32     ack,
             guint32     ack_bits,
             gint64      now)
{
  CrHeader header = {
    .version = CR_PROTOCOL_VERSION, .type = CR_PACKET_ACK, .ack = ack, .ack_bits = ack_bits,
  };
  g_autoptr(GPtrArray) none = new_deliveries ();

  g_assert_true (cr_reliable_receive (sender, &header, (const guint8 *) "", 1, now, none));
}

/* The ring of packets in flight starts with a few slots and grows with the
 * window (cr-reliable.c): packets that wait for their acks across a growth
 * keep their numbers, are resent when due and acked where they are, and the
 * ring shrinks back once nothing is in flight, at any number. */
static void
test_ring_grows (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) first = new_datagrams ();
  g_autoptr(GPtrArray) second = new_datagrams ();
  g_autoptr(GPtrArray) resent = new_datagrams ();
  g_autoptr(GPtrArray) third = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < 3; i++)
    {
      g_ptr_array_add (sent, message_body (i, 20));
      cr_reliable_send (a, CR_PACKET_EVENT, sent->pdata[i]);
    }
  cr_reliable_flush (a, 1, 0, first);
  g_assert_cmpuint (first->len, ==, 3);
  /* Only 2 arrived: 1 and 3 stay in flight. */
  ack_by_hand (a, 0, 1u << 1, 1 * MS);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 2);

  /* Ten more: the window spans 1..13, past the inline slots. */
  for (guint i = 3; i < 13; i++)
    {
      g_ptr_array_add (sent, message_body (i, 20));
      cr_reliable_send (a, CR_PACKET_EVENT, sent->pdata[i]);
    }
  cr_reliable_flush (a, 1, 100 * MS, second);
  g_assert_cmpuint (second->len, ==, 10);
  g_assert_cmpuint (number_of (second->pdata[0]), ==, 4);
  g_assert_cmpuint (number_of (second->pdata[9]), ==, 13);

  /* Only the first sends are due: 1 and 3 again, found after the growth. */
  cr_reliable_flush (a, 1, CR_RTO_INITIAL_US, resent);
  g_assert_cmpuint (resent->len, ==, 2);
  g_assert_cmpuint (number_of (resent->pdata[0]), ==, 1);
  g_assert_cmpuint (number_of (resent->pdata[1]), ==, 3);

  /* B takes the resent 1, the first copy of 2, the resent 3 and the ten:
   * all 13 messages, in order. */
  g_assert_true (pass (b, resent->pdata[0], CR_RTO_INITIAL_US, got));
  g_assert_true (pass (b, first->pdata[1], CR_RTO_INITIAL_US, got));
  g_assert_true (pass (b, resent->pdata[1], CR_RTO_INITIAL_US, got));
  for (guint i = 0; i < second->len; i++)
    g_assert_true (pass (b, second->pdata[i], CR_RTO_INITIAL_US, got));
  g_assert_cmpuint (got->len, ==, 13);
  for (guint i = 0; i < got->len; i++)
    g_assert_true (g_bytes_equal (((CrDelivery *) got->pdata[i])->body, sent->pdata[i]));

  /* Everything acked: nothing in flight, nothing due. */
  ack_by_hand (a, 13, 0, CR_RTO_INITIAL_US + 1 * MS);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
  g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);

  /* And again from 14, a number that is no multiple of any ring size. */
  g_ptr_array_set_size (got, 0);
  for (guint i = 13; i < 13 + 40; i++)
    {
      g_ptr_array_add (sent, message_body (i, 20));
      cr_reliable_send (a, CR_PACKET_EVENT, sent->pdata[i]);
    }
  cr_reliable_flush (a, 1, CR_RTO_INITIAL_US + 2 * MS, third);
  g_assert_cmpuint (third->len, ==, 40);
  /* Acked out of order: the odd ones by bits first, then all. */
  ack_by_hand (a, 13, 0xaaaaaaaau, CR_RTO_INITIAL_US + 3 * MS);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 40 - 16);
  for (guint i = 0; i < third->len; i++)
    g_assert_true (pass (b, third->pdata[i], CR_RTO_INITIAL_US + 3 * MS, got));
  g_assert_cmpuint (got->len, ==, 40);
  for (guint i = 0; i < got->len; i++)
    g_assert_true (g_bytes_equal (((CrDelivery *) got->pdata[i])->body, sent->pdata[13 + i]));
  ack_by_hand (a, 53, 0, CR_RTO_INITIAL_US + 4 * MS);
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
  g_assert_cmpuint (cr_reliable_get_retransmits (a), ==, 2);
}

static void
test_ack_coalesced (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) acks = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  const guint total = 100;
  guint32 last_ack = 0;
  guint n_acks;

  for (guint i = 0; i < total; i++)
    {
      g_autoptr(GBytes) body = message_body (i, 40);

      cr_reliable_send (a, CR_PACKET_EVENT, body);
    }
  cr_reliable_flush (a, 1, 0, out);
  g_assert_cmpuint (out->len, ==, total);

  for (guint i = 0; i < total; i++)
    {
      g_assert_true (pass (b, out->pdata[i], i * 10, got));
      cr_reliable_flush (b, 2, i * 10, acks);
    }
  g_assert_cmpuint (got->len, ==, total);
  n_acks = count_acks (acks, &last_ack);
  g_assert_cmpuint (n_acks, ==, total / CR_ACK_EVERY);
  g_assert_cmpuint (last_ack, ==, (total / CR_ACK_EVERY) * CR_ACK_EVERY);

  /* The tail: owed since its first packet, due CR_ACK_DELAY_US later. */
  g_assert_cmpint (cr_reliable_next_deadline (b), ==,
                   (gint64) (total / CR_ACK_EVERY) * CR_ACK_EVERY * 10 + CR_ACK_DELAY_US);
  cr_reliable_flush (b, 2, (total - 1) * 10, acks);
  g_assert_cmpuint (count_acks (acks, &last_ack), ==, n_acks);
  cr_reliable_flush (b, 2, cr_reliable_next_deadline (b), acks);
  g_assert_cmpuint (count_acks (acks, &last_ack), ==, n_acks + 1);
  g_assert_cmpuint (last_ack, ==, total);
  g_assert_cmpuint (cr_reliable_get_acks_sent (b), ==, n_acks + 1);
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, G_MAXINT64);

  /* Those few acks free everything A sent. */
  for (guint i = 0; i < acks->len; i++)
    {
      g_autoptr(GPtrArray) none = new_deliveries ();

      g_assert_true (pass (a, acks->pdata[i], 100 * MS, none));
    }
  g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
  g_assert_cmpint (cr_reliable_next_deadline (a), ==, G_MAXINT64);
}

/* A gap or a duplicate is acked at once: the sender learns sooner what is
 * missing, and that its retransmission was not needed. */
static void
test_ack_at_once (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  CrHeader header = { 0, };
  const guint8 *body;
  gsize body_len;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) message = message_body (i, 40);

      cr_reliable_send (a, CR_PACKET_EVENT, message);
    }
  cr_reliable_flush (a, 1, 0, out);
  g_assert_cmpuint (out->len, ==, 3);

  /* In order: delayed. */
  g_assert_true (pass (b, out->pdata[0], 0, got));
  {
    g_autoptr(GPtrArray) acks = new_datagrams ();

    cr_reliable_flush (b, 2, 0, acks);
    g_assert_cmpuint (acks->len, ==, 0);
  }

  /* 3 before 2: at once, saying 1 and 3. */
  g_assert_true (pass (b, out->pdata[2], 1 * MS, got));
  g_assert_cmpint (cr_reliable_next_deadline (b), <=, 1 * MS);
  {
    g_autoptr(GPtrArray) acks = new_datagrams ();

    cr_reliable_flush (b, 2, 1 * MS, acks);
    g_assert_cmpuint (acks->len, ==, 1);
    parse (acks->pdata[0], &header, &body, &body_len);
    g_assert_cmpuint (header.type, ==, CR_PACKET_ACK);
    g_assert_cmpuint (header.ack, ==, 1);
    g_assert_cmpuint (header.ack_bits, ==, 1u << 1);
  }

  /* 2 fills the gap: in order again, so delayed again. */
  g_assert_true (pass (b, out->pdata[1], 2 * MS, got));
  g_assert_cmpuint (got->len, ==, 3);
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, 2 * MS + CR_ACK_DELAY_US);

  /* A duplicate of 1 (A resending): at once, and it says 3. */
  g_assert_false (pass (b, out->pdata[0], 3 * MS, got));
  {
    g_autoptr(GPtrArray) acks = new_datagrams ();

    cr_reliable_flush (b, 2, 3 * MS, acks);
    g_assert_cmpuint (acks->len, ==, 1);
    parse (acks->pdata[0], &header, &body, &body_len);
    g_assert_cmpuint (header.ack, ==, 3);
  }
  g_assert_cmpint (cr_reliable_next_deadline (b), ==, G_MAXINT64);
}

/* cr_reliable_ack_now: the last ack before a session ends is not delayed;
 * a delay of 0 acks every packet at once. */
static void
test_ack_now (void)
{
  g_autoptr(CrReliable) a = cr_reliable_new ();
  g_autoptr(CrReliable) b = cr_reliable_new ();
  g_autoptr(CrReliable) c = cr_reliable_new ();
  g_autoptr(GBytes) message = message_body (0, 40);
  g_autoptr(GPtrArray) out = new_datagrams ();
  g_autoptr(GPtrArray) got = new_deliveries ();
  g_autoptr(GPtrArray) acks = new_datagrams ();

  /* Nothing owed: nothing to hurry. */
  cr_reliable_ack_now (b);
  cr_reliable_flush (b, 2, 0, acks);
  g_assert_cmpuint (acks->len, ==, 0);

  cr_reliable_send (a, CR_PACKET_BYE, message);
  cr_reliable_flush (a, 1, 0, out);
  g_assert_true (pass (b, out->pdata[0], 0, got));
  cr_reliable_ack_now (b);
  cr_reliable_flush (b, 2, 0, acks);
  g_assert_cmpuint (acks->len, ==, 1);

  cr_reliable_set_ack_delay (c, 0);
  g_assert_true (pass (c, out->pdata[0], 0, got));
  g_assert_cmpint (cr_reliable_next_deadline (c), ==, 0);
  cr_reliable_flush (c, 3, 0, acks);
  g_assert_cmpuint (acks->len, ==, 2);
}

/* The first resend waits for the round trip the acks have shown: a peer
 * that answers after 10 ms keeps the 200 ms timeout, one whose acks come
 * a second late (a reader that fell behind, its queue full) is not sent
 * everything in flight again every 200 ms. */
static void
test_rto_follows_round_trip (void)
{
  const gint64 start = 5 * G_TIME_SPAN_SECOND;
  const gint64 trips[] = { 10 * G_TIME_SPAN_MILLISECOND, G_TIME_SPAN_SECOND };

  for (guint t = 0; t < G_N_ELEMENTS (trips); t++)
    {
      g_autoptr(CrReliable) a = cr_reliable_new ();
      g_autoptr(CrReliable) b = cr_reliable_new ();
      g_autoptr(GPtrArray) out = new_datagrams ();
      g_autoptr(GPtrArray) acks = new_datagrams ();
      g_autoptr(GPtrArray) deliveries = new_deliveries ();
      gint64 now = start;

      /* Four messages, each acked one round trip later. */
      for (guint i = 0; i < 4; i++)
        {
          g_autoptr(GBytes) body = message_body (i, 50);

          cr_reliable_send (a, CR_PACKET_CHAT, body);
          g_ptr_array_set_size (out, 0);
          cr_reliable_flush (a, 1, now, out);
          g_assert_cmpuint (out->len, ==, 1);
          g_assert_true (pass (b, out->pdata[0], now, deliveries));
          cr_reliable_ack_now (b);
          g_ptr_array_set_size (acks, 0);
          cr_reliable_flush (b, 1, now, acks);
          g_assert_cmpuint (acks->len, ==, 1);
          now += trips[t];
          pass (a, acks->pdata[0], now, deliveries);
          g_assert_cmpuint (cr_reliable_get_unacked (a), ==, 0);
        }

      /* A fifth, never acked: when is it sent again? */
      {
        g_autoptr(GBytes) body = message_body (9, 50);
        gint64 gap;

        cr_reliable_send (a, CR_PACKET_CHAT, body);
        g_ptr_array_set_size (out, 0);
        cr_reliable_flush (a, 1, now, out);
        gap = cr_reliable_next_deadline (a) - now;
        g_test_message ("round trip %" G_GINT64_FORMAT " µs: first resend after %"
                        G_GINT64_FORMAT " µs", trips[t], gap);
        if (trips[t] < CR_RTO_INITIAL_US / 4)
          g_assert_cmpint (gap, ==, CR_RTO_INITIAL_US);
        else
          {
            g_assert_cmpint (gap, >=, trips[t]);
            g_assert_cmpint (gap, <=, CR_RTO_MAX_US);
          }
        g_ptr_array_set_size (out, 0);
        cr_reliable_flush (a, 1, now + CR_RTO_INITIAL_US, out);
        g_assert_cmpuint (out->len, ==, trips[t] < CR_RTO_INITIAL_US / 4 ? 1 : 0);
      }
    }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/reliable/lossless", test_lossless);
  g_test_add_func ("/chatroom/reliable/loss-duplication-reordering",
                   test_loss_duplication_reordering);
  g_test_add_func ("/chatroom/reliable/heavy-loss", test_heavy_loss);
  g_test_add_func ("/chatroom/reliable/fragmentation", test_fragmentation);
  g_test_add_func ("/chatroom/reliable/fragment-edges", test_fragment_edges);
  g_test_add_func ("/chatroom/reliable/window", test_window);
  g_test_add_func ("/chatroom/reliable/ring-grows", test_ring_grows);
  g_test_add_func ("/chatroom/reliable/ack-coalesced", test_ack_coalesced);
  g_test_add_func ("/chatroom/reliable/ack-at-once", test_ack_at_once);
  g_test_add_func ("/chatroom/reliable/ack-now", test_ack_now);
  g_test_add_func ("/chatroom/reliable/rto-backoff", test_rto_backoff);
  g_test_add_func ("/chatroom/reliable/duplicates", test_duplicates);
  g_test_add_func ("/chatroom/reliable/ack-only", test_ack_only);
  g_test_add_func ("/chatroom/reliable/out-of-window", test_out_of_window);
  g_test_add_func ("/chatroom/reliable/bogus-ack", test_bogus_ack);
  g_test_add_func ("/chatroom/reliable/many", test_many);
  g_test_add_func ("/chatroom/reliable/rto-follows-round-trip", test_rto_follows_round_trip);

  return g_test_run ();
}
