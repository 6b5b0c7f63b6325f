/* cr-reliable.c: reliable, ordered delivery over datagrams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sender: every queued message is cut at once into fragments that get their
 * packet numbers; fragments reference the caller's GBytes (a broadcast body
 * is encoded once, whatever the number of members). Fragments wait in a
 * GQueue until the window lets them out; then they live in a ring indexed
 * by number, so an ack finds its packet in O(1). The window is a sliding
 * one: packet n is sent only when n < send_base + CR_SEND_WINDOW, send_base
 * being the oldest unacked packet, so at most CR_SEND_WINDOW packets are
 * ever in flight. The ring is only as large as what is in flight needs: a
 * few slots inside the object, doubled on demand up to CR_SEND_WINDOW and
 * back to the inline ones once everything is acked. A room holds one of
 * these per member, and most members have a message or two in flight, not
 * 128 (bench/README.md, "A native member's memory").
 *
 * Each packet in flight has its own retransmission deadline; its timeout
 * doubles with each retry. The earliest deadline is cached; it may be too
 * early after the packet it belonged to was acked, in which case the next
 * flush scans the (at most CR_SEND_WINDOW) packets in flight, resends what is
 * due and recomputes it. A scan only happens when a cached deadline is
 * reached, and each deadline is reached at most once, so this costs
 * amortized O(CR_SEND_WINDOW) = O(1) per packet sent.
 *
 * Receiver: packets ahead of the next expected one wait in a ring of
 * CR_RECEIVE_WINDOW slots (allocated on first need and freed once the gap
 * is filled: a session that never sees loss never pays for it, one that
 * saw some pays while it lasts); in-order packets are appended to the message
 * being reassembled, and a packet without CR_FLAG_MORE completes it.
 *
 * Acks (cr-reliable.h): the owed ack remembers since when and for how many
 * packets; flush sends a pure ACK only when it is due, next_deadline says
 * when that is. An ack is cumulative (ack + 32 bits), so one covers every
 * packet before it.
 *
 * Packet numbers are 32-bit and not expected to wrap: at a thousand packets
 * a second that takes seven weeks of one session.
 */
#define G_LOG_DOMAIN "cr-reliable"

#include "config.h"

#include <string.h>

#include "cr-reliable.h"

/* A reassembled message larger than this is dropped (still acked): it bounds
 * what one peer can make us hold and what the GVariant parser then sees. */
#define CR_RELIABLE_MESSAGE_MAX  (256 * 1024)
/* Slots of the send ring kept inside the object (a power of two). */
#define INLINE_SLOTS             4

typedef struct
{
  guint fragments_unacked;
} SendMessage;

typedef struct
{
  guint32      number;
  guint8       type;
  guint8       flags;
  guint        retries;
  gint64       deadline;
  gint64       sent_at;    /* its first send: an ack of it, never resent, times the path */
  GBytes      *fragment;
  SendMessage *message;    /* NULL: a message of one packet (most are) */
} SendPacket;

typedef struct
{
  guint8  type;
  guint8  flags;
  GBytes *body;
} RecvPacket;

struct _CrReliable
{
  /* Sender. Numbers: [send_base, next_to_send) in flight (acked ones leave
   * a NULL slot), [next_to_send, next_number) waiting in pending. The ring
   * in_flight has ring_size slots (a power of two, ≥ next_to_send -
   * send_base): inline_slots, or a larger array while the window needs one. */
  guint32      next_number;
  guint32      next_to_send;
  guint32      send_base;
  GQueue       pending;
  SendPacket **in_flight;
  guint        ring_size;
  SendPacket  *inline_slots[INLINE_SLOTS];
  guint        n_in_flight;
  gint64       rto_deadline;
  gint64       srtt;         /* smoothed round trip (RFC 6298); 0: no sample yet */
  gint64       rttvar;
  guint        unacked_messages;
  gsize        unacked_bytes;

  /* Receiver. */
  guint32      recv_next;
  RecvPacket **recv_ring;
  guint        n_buffered;
  GByteArray  *assembly;
  guint8       assembly_type;
  gboolean     assembly_discard;
  gboolean     ack_owed;
  gint64       ack_owed_since;
  guint        acks_waiting;   /* packets taken since the last ack went out */
  gboolean     ack_now;        /* out of order or a duplicate: no delay */
  gint64       ack_delay;
  guint64      acks_sent;

  gint64       now;
  gint64       last_heard;
  guint64      retransmits;
  guint64      duplicates;
};

static void
send_packet_free (SendPacket *packet)
{
  g_bytes_unref (packet->fragment);
  g_free (packet);
}

/* The packet's share of its message: TRUE when it was the last one. */
static gboolean
message_release (SendPacket *packet)
{
  if (packet->message == NULL)
    return TRUE;
  if (--packet->message->fragments_unacked > 0)
    return FALSE;
  g_clear_pointer (&packet->message, g_free);
  return TRUE;
}

static void
recv_packet_free (RecvPacket *packet)
{
  g_bytes_unref (packet->body);
  g_free (packet);
}

static SendPacket **
slot_of (CrReliable *self,
         guint32     number)
{
  return &self->in_flight[number & (self->ring_size - 1)];
}

/* Make the ring hold every number in [send_base, number]: doubled (each
 * packet moved to its slot in the larger ring) until it does. */
static void
ring_reserve (CrReliable *self,
              guint32     number)
{
  guint64 span = (guint64) number - self->send_base + 1;
  SendPacket **ring;
  guint size = self->ring_size;

  g_assert (span <= CR_SEND_WINDOW);
  if (span <= size)
    return;
  while (size < span)
    size *= 2;
  ring = g_new0 (SendPacket *, size);
  for (guint64 n = self->send_base; n < self->next_to_send; n++)
    ring[n & (size - 1)] = *slot_of (self, (guint32) n);
  if (self->in_flight != self->inline_slots)
    g_free (self->in_flight);
  self->in_flight = ring;
  self->ring_size = size;
}

/* Nothing in flight: a ring that grew goes back to the inline slots. */
static void
ring_shrink (CrReliable *self)
{
  g_assert (self->n_in_flight == 0);
  if (self->in_flight == self->inline_slots)
    return;
  g_free (self->in_flight);
  self->in_flight = self->inline_slots;
  self->ring_size = INLINE_SLOTS;
  memset (self->inline_slots, 0, sizeof self->inline_slots);
}

/* The timeout before a first resend: CR_RTO_INITIAL_US, or more when the
 * path takes longer (RFC 6298's srtt + 4 rttvar). The round trip includes
 * the time a datagram waits in the sender's and the receiver's queues: a
 * reader that falls behind by a second must not be sent everything in
 * flight again every 200 ms (each copy queues behind the last). */
static gint64
rto_base (CrReliable *self)
{
  if (self->srtt == 0)
    return CR_RTO_INITIAL_US;
  return CLAMP (self->srtt + 4 * self->rttvar, CR_RTO_INITIAL_US, CR_RTO_MAX_US);
}

static gint64
rto_for_retries (CrReliable *self,
                 guint       retries)
{
  gint64 rto = rto_base (self);

  for (guint i = 0; i < retries && rto < CR_RTO_MAX_US; i++)
    rto *= 2;
  return MIN (rto, CR_RTO_MAX_US);
}

static void
note_time (CrReliable *self,
           gint64      now)
{
  if (now > self->now)
    self->now = now;
}

void
cr_delivery_free (CrDelivery *delivery)
{
  if (delivery == NULL)
    return;
  g_clear_pointer (&delivery->body, g_bytes_unref);
  g_free (delivery);
}

CrReliable *
cr_reliable_new (void)
{
  CrReliable *self = g_new0 (CrReliable, 1);

  self->next_number = 1;
  self->next_to_send = 1;
  self->send_base = 1;
  self->recv_next = 1;
  self->rto_deadline = G_MAXINT64;
  self->ack_delay = CR_ACK_DELAY_US;
  self->in_flight = self->inline_slots;
  self->ring_size = INLINE_SLOTS;
  g_queue_init (&self->pending);
  return self;
}

void
cr_reliable_free (CrReliable *self)
{
  if (self == NULL)
    return;

  while (!g_queue_is_empty (&self->pending))
    {
      SendPacket *packet = g_queue_pop_head (&self->pending);

      /* Messages are freed with their last fragment; the in-flight ones of a
       * message come first in number order, so count down over both. */
      message_release (packet);
      send_packet_free (packet);
    }
  for (guint i = 0; i < self->ring_size; i++)
    {
      SendPacket *packet = self->in_flight[i];

      if (packet == NULL)
        continue;
      message_release (packet);
      send_packet_free (packet);
    }
  if (self->in_flight != self->inline_slots)
    g_free (self->in_flight);
  if (self->recv_ring != NULL)
    {
      for (guint i = 0; i < CR_RECEIVE_WINDOW; i++)
        g_clear_pointer (&self->recv_ring[i], recv_packet_free);
      g_free (self->recv_ring);
    }
  if (self->assembly != NULL)
    g_byte_array_unref (self->assembly);
  g_free (self);
}

void
cr_reliable_send (CrReliable   *self,
                  CrPacketType  type,
                  GBytes       *body)
{
  SendMessage *message;
  gsize size;
  gsize offset = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (cr_packet_type_is_valid (type));
  g_return_if_fail (body != NULL);

  size = g_bytes_get_size (body);
  /* A broadcast is queued for every member: a message of one packet,
   * the usual case, costs one allocation. */
  message = size > CR_BODY_MAX ? g_new0 (SendMessage, 1) : NULL;
  self->unacked_messages++;
  self->unacked_bytes += size;

  do
    {
      SendPacket *packet = g_new0 (SendPacket, 1);
      gsize chunk = MIN (size - offset, (gsize) CR_BODY_MAX);

      packet->number = self->next_number++;
      packet->type = type;
      packet->flags = CR_FLAG_RELIABLE;
      if (offset + chunk < size)
        packet->flags |= CR_FLAG_MORE;
      /* A slice of the caller's bytes: a reference, not a copy. */
      if (chunk == size)
        packet->fragment = g_bytes_ref (body);
      else
        packet->fragment = g_bytes_new_from_bytes (body, offset, chunk);
      packet->message = message;
      if (message != NULL)
        message->fragments_unacked++;
      g_queue_push_tail (&self->pending, packet);
      offset += chunk;
    }
  while (offset < size);
}

static guint32
current_ack_bits (CrReliable *self)
{
  guint32 bits = 0;

  if (self->recv_ring == NULL || self->n_buffered == 0)
    return 0;

  /* Bit i = packet ack + 1 + i = recv_next + i; bit 0 is never set, since
   * recv_next is by definition the one we are waiting for. */
  for (guint i = 1; i < 32; i++)
    {
      guint64 n = (guint64) self->recv_next + i;

      if (self->recv_ring[n % CR_RECEIVE_WINDOW] != NULL)
        bits |= 1u << i;
    }
  return bits;
}

static void
fill_header (CrReliable *self,
             CrHeader   *header,
             guint32     session,
             guint8      type)
{
  memset (header, 0, sizeof *header);
  header->version = CR_PROTOCOL_VERSION;
  header->type = type;
  header->session = session;
  header->ack = self->recv_next - 1;
  header->ack_bits = current_ack_bits (self);
}

/* A reliable packet's datagram, written into buf (CR_DATAGRAM_MAX):
 * returns its length. */
static gsize
write_reliable (const CrHeader   *base,
                const SendPacket *packet,
                guint8           *buf)
{
  CrHeader header = *base;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (packet->fragment, &len);

  g_assert (len <= CR_BODY_MAX);
  header.type = packet->type;
  header.flags = packet->flags;
  header.number = packet->number;
  cr_header_write (&header, buf);
  if (len > 0)
    memcpy (buf + CR_HEADER_SIZE, data, len);
  return CR_HEADER_SIZE + len;
}

static void
ack_packet (CrReliable *self,
            guint32     number)
{
  SendPacket **slot = slot_of (self, number);
  SendPacket *packet = *slot;

  if (packet == NULL || packet->number != number)
    return;

  /* Karn: only a packet sent once says how long the path takes. */
  if (packet->retries == 0 && self->now >= packet->sent_at)
    {
      gint64 sample = self->now - packet->sent_at;

      if (self->srtt == 0)
        {
          self->srtt = MAX (sample, 1);
          self->rttvar = sample / 2;
        }
      else
        {
          self->rttvar = (3 * self->rttvar + ABS (self->srtt - sample)) / 4;
          self->srtt = MAX ((7 * self->srtt + sample) / 8, 1);
        }
    }
  *slot = NULL;
  self->n_in_flight--;
  self->unacked_bytes -= MIN (self->unacked_bytes, g_bytes_get_size (packet->fragment));
  if (message_release (packet))
    self->unacked_messages--;
  send_packet_free (packet);
}

static void
process_ack (CrReliable *self,
             guint32     ack,
             guint32     ack_bits)
{
  /* An ack for a packet we never sent is a confused or lying peer: taking
   * it would drop data the peer never had. */
  if ((guint64) ack >= self->next_to_send)
    return;

  /* Everything up to ack arrived. send_base only moves forward, so each
   * packet is visited here once: amortized O(1). */
  for (guint64 n = self->send_base; n <= ack; n++)
    ack_packet (self, (guint32) n);
  if ((guint64) ack + 1 > self->send_base)
    self->send_base = ack + 1;

  for (guint i = 0; i < 32 && ack_bits != 0; i++)
    {
      guint64 n = (guint64) ack + 1 + i;

      if (n >= self->next_to_send)
        break;
      if ((ack_bits & (1u << i)) != 0 && n >= self->send_base)
        ack_packet (self, (guint32) n);
    }

  while (self->send_base < self->next_to_send && *slot_of (self, self->send_base) == NULL)
    self->send_base++;

  if (self->n_in_flight == 0)
    {
      self->rto_deadline = G_MAXINT64;
      ring_shrink (self);
    }
}

static void
deliver (GPtrArray *deliveries,
         guint8     type,
         GBytes    *body)
{
  CrDelivery *delivery = g_new0 (CrDelivery, 1);

  delivery->type = type;
  delivery->body = body;
  g_ptr_array_add (deliveries, delivery);
}

/* Take the next packet in order. body is borrowed; stored is the same bytes
 * as a GBytes when the caller has one (buffered packets), else NULL. */
static void
take_in_order (CrReliable   *self,
               guint8        type,
               guint8        flags,
               const guint8 *body,
               gsize         body_len,
               GBytes       *stored,
               GPtrArray    *deliveries)
{
  gboolean more = (flags & CR_FLAG_MORE) != 0;

  if (self->assembly == NULL && !more)
    {
      deliver (deliveries, type,
               stored != NULL ? g_bytes_ref (stored) : g_bytes_new (body, body_len));
      return;
    }

  if (self->assembly == NULL)
    {
      self->assembly = g_byte_array_new ();
      self->assembly_type = type;
      self->assembly_discard = FALSE;
    }

  if (!self->assembly_discard)
    {
      /* All fragments of one message carry its type. */
      if (type != self->assembly_type ||
          self->assembly->len + body_len > CR_RELIABLE_MESSAGE_MAX)
        {
          g_debug ("Dropping a reassembled message: %s",
                   type != self->assembly_type ? "fragment types differ" : "too long");
          self->assembly_discard = TRUE;
          g_byte_array_set_size (self->assembly, 0);
        }
      else
        g_byte_array_append (self->assembly, body, body_len);
    }

  if (!more)
    {
      GByteArray *assembly = g_steal_pointer (&self->assembly);

      if (!self->assembly_discard)
        deliver (deliveries, self->assembly_type, g_byte_array_free_to_bytes (assembly));
      else
        g_byte_array_unref (assembly);
      self->assembly_discard = FALSE;
    }
}

/* A packet ahead of the gap: keep it until the gap is filled. */
static gboolean
buffer_ahead (CrReliable     *self,
              const CrHeader *header,
              const guint8   *body,
              gsize           body_len)
{
  guint slot = header->number % CR_RECEIVE_WINDOW;
  RecvPacket *packet;

  g_assert (header->number > self->recv_next);

  if (self->recv_ring == NULL)
    self->recv_ring = g_new0 (RecvPacket *, CR_RECEIVE_WINDOW);
  if (self->recv_ring[slot] != NULL)
    {
      self->duplicates++;
      return FALSE;
    }

  packet = g_new0 (RecvPacket, 1);
  packet->type = header->type;
  packet->flags = header->flags;
  packet->body = g_bytes_new (body, body_len);
  self->recv_ring[slot] = packet;
  self->n_buffered++;
  return TRUE;
}

gboolean
cr_reliable_receive (CrReliable     *self,
                     const CrHeader *header,
                     const guint8   *body,
                     gsize           body_len,
                     gint64          now,
                     GPtrArray      *deliveries)
{
  guint32 number;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);
  g_return_val_if_fail (body != NULL || body_len == 0, FALSE);
  g_return_val_if_fail (deliveries != NULL, FALSE);

  note_time (self, now);
  self->last_heard = now;
  process_ack (self, header->ack, header->ack_bits);

  number = header->number;
  if ((header->flags & CR_FLAG_RELIABLE) == 0 || number == 0)
    return TRUE;

  /* Whatever becomes of the packet, the peer must hear that we have it,
   * or it would resend it until it gives up. */
  if (!self->ack_owed)
    {
      self->ack_owed = TRUE;
      self->ack_owed_since = now;
    }
  self->acks_waiting++;

  if (number < self->recv_next)
    {
      /* It sends again what we have: our ack went missing. */
      self->ack_now = TRUE;
      self->duplicates++;
      return FALSE;
    }
  if ((guint64) number >= (guint64) self->recv_next + CR_RECEIVE_WINDOW)
    {
      self->ack_now = TRUE;
      return FALSE;
    }
  if (number != self->recv_next)
    /* A gap: say at once what we have, so it knows sooner what is missing. */
    self->ack_now = TRUE;

  if (number == self->recv_next)
    {
      take_in_order (self, header->type, header->flags, body, body_len, NULL, deliveries);
      self->recv_next++;

      while (self->n_buffered > 0)
        {
          guint slot = self->recv_next % CR_RECEIVE_WINDOW;
          RecvPacket *next = self->recv_ring[slot];

          if (next == NULL)
            break;
          self->recv_ring[slot] = NULL;
          self->n_buffered--;
          take_in_order (self, next->type, next->flags,
                         g_bytes_get_data (next->body, NULL),
                         g_bytes_get_size (next->body),
                         next->body, deliveries);
          recv_packet_free (next);
          self->recv_next++;
        }
      /* The gap is filled: 8 KiB a member is not kept for the next one. */
      if (self->n_buffered == 0)
        g_clear_pointer (&self->recv_ring, g_free);
      return TRUE;
    }

  return buffer_ahead (self, header, body, body_len);
}

/* When the owed ack must go out: at once, or after the delay. */
static gint64
ack_due (CrReliable *self)
{
  if (self->ack_now || self->acks_waiting >= CR_ACK_EVERY)
    return self->ack_owed_since;
  return self->ack_owed_since + self->ack_delay;
}

static void
ack_sent (CrReliable *self)
{
  self->ack_owed = FALSE;
  self->ack_now = FALSE;
  self->acks_waiting = 0;
}

void
cr_reliable_flush_each (CrReliable           *self,
                        guint32               session,
                        gint64                now,
                        CrReliableDatagramFunc func,
                        gpointer              user_data)
{
  guint8 buf[CR_DATAGRAM_MAX];
  CrHeader base;
  gboolean sent = FALSE;

  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  note_time (self, now);
  /* The acks cannot change during one flush: compute them once. */
  fill_header (self, &base, session, 0);

  /* Retransmissions first, so the peer sees the oldest gap filled first. */
  if (self->n_in_flight > 0 && now >= self->rto_deadline)
    {
      gint64 earliest = G_MAXINT64;

      for (guint64 n = self->send_base; n < self->next_to_send; n++)
        {
          SendPacket *packet = *slot_of (self, (guint32) n);

          if (packet == NULL)
            continue;
          if (packet->deadline <= now)
            {
              packet->retries++;
              packet->deadline = now + rto_for_retries (self, packet->retries);
              func (buf, write_reliable (&base, packet, buf), user_data);
              self->retransmits++;
              sent = TRUE;
            }
          earliest = MIN (earliest, packet->deadline);
        }
      self->rto_deadline = earliest;
    }

  while (!g_queue_is_empty (&self->pending))
    {
      SendPacket *packet = g_queue_peek_head (&self->pending);

      if ((guint64) packet->number >= (guint64) self->send_base + CR_SEND_WINDOW)
        break;

      g_queue_pop_head (&self->pending);
      ring_reserve (self, packet->number);
      g_assert (*slot_of (self, packet->number) == NULL);
      *slot_of (self, packet->number) = packet;
      self->n_in_flight++;
      self->next_to_send = packet->number + 1;
      packet->sent_at = now;
      packet->deadline = now + rto_base (self);
      self->rto_deadline = MIN (self->rto_deadline, packet->deadline);
      func (buf, write_reliable (&base, packet, buf), user_data);
      sent = TRUE;
    }

  if (self->ack_owed && !sent && ack_due (self) <= now)
    {
      base.type = CR_PACKET_ACK;
      cr_header_write (&base, buf);
      buf[CR_HEADER_SIZE] = 0;   /* "()" in normal form */
      func (buf, CR_HEADER_SIZE + 1, user_data);
      self->acks_sent++;
      sent = TRUE;
    }

  if (sent)
    ack_sent (self);
}

static void
add_copy (const guint8 *datagram,
          gsize         len,
          gpointer      user_data)
{
  g_ptr_array_add (user_data, g_bytes_new (datagram, len));
}

void
cr_reliable_flush (CrReliable *self,
                   guint32     session,
                   gint64      now,
                   GPtrArray  *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  cr_reliable_flush_each (self, session, now, add_copy, out);
}

GBytes *
cr_reliable_build_unreliable (CrReliable   *self,
                              guint32       session,
                              CrPacketType  type,
                              GBytes       *body)
{
  static const guint8 unit = 0;   /* "()" in normal form */
  CrHeader header;
  const guint8 *data = &unit;
  gsize len = 1;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (cr_packet_type_is_valid (type), NULL);
  g_return_val_if_fail (body == NULL || g_bytes_get_size (body) <= CR_BODY_MAX, NULL);

  if (body != NULL)
    data = g_bytes_get_data (body, &len);

  fill_header (self, &header, session, type);
  ack_sent (self);
  return cr_datagram_build (&header, data, len);
}

/* Returns the time flush has something to do. When it has something to do
 * at once (an ack is owed, or queued data fits in the window), that is a
 * time already passed: when the ack became owed, or the latest now this
 * object was given; so deadline <= now means "flush now" for the caller. */
gint64
cr_reliable_next_deadline (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, G_MAXINT64);

  gint64 next = G_MAXINT64;

  if (!g_queue_is_empty (&self->pending))
    {
      SendPacket *head = g_queue_peek_head (&self->pending);

      if ((guint64) head->number < (guint64) self->send_base + CR_SEND_WINDOW)
        return self->now;
    }
  if (self->ack_owed)
    next = ack_due (self);
  if (self->n_in_flight > 0)
    next = MIN (next, self->rto_deadline);
  return next;
}

guint
cr_reliable_get_unacked (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->unacked_messages;
}

gint64
cr_reliable_get_last_heard (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->last_heard;
}

guint64
cr_reliable_get_retransmits (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->retransmits;
}

guint64
cr_reliable_get_duplicates (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->duplicates;
}

guint64
cr_reliable_get_acks_sent (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->acks_sent;
}

void
cr_reliable_ack_now (CrReliable *self)
{
  g_return_if_fail (self != NULL);

  if (self->ack_owed)
    self->ack_now = TRUE;
}

void
cr_reliable_set_ack_delay (CrReliable *self,
                           gint64      delay_us)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (delay_us >= 0);

  self->ack_delay = delay_us;
}

gsize
cr_reliable_get_unacked_bytes (CrReliable *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->unacked_bytes;
}
