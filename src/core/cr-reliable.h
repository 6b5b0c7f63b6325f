/* cr-reliable.h: reliable, ordered delivery over datagrams. Pure: no
 * sockets, no clock (time is passed in), so tests drive it with literal
 * headers and any loss pattern.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One CrReliable per direction pair (one per session on the server, one in
 * the client). Outgoing reliable messages get consecutive packet numbers from
 * 1; a message longer than CR_BODY_MAX is cut into fragments (CR_FLAG_MORE on
 * all but the last), each its own packet number. The peer acks with the
 * header's ack (highest number received in order) and ack bits (the 32 after
 * it). Unacked packets are sent again after a timeout that starts at
 * CR_RTO_INITIAL_US (more once acks show the round trip is longer: RFC
 * 6298's srtt + 4 rttvar) and doubles up to CR_RTO_MAX_US; at most
 * CR_SEND_WINDOW packets are in flight. Incoming packets are delivered in
 * order, once, reassembled; duplicates and packets beyond
 * CR_RECEIVE_WINDOW ahead are dropped (and still acked).
 *
 * Acks are cumulative and delayed: a reliable packet taken in order makes
 * an ack owed, but a pure ACK goes out only CR_ACK_DELAY_US later, or as
 * soon as CR_ACK_EVERY packets wait for one, whichever comes first; any
 * datagram sent meanwhile carries it instead. A packet out of order or a
 * duplicate (the peer is retransmitting: it missed our ack) is acked at
 * once. So a busy stream costs one ACK per CR_ACK_EVERY packets, not one
 * each, and a quiet one an ACK CR_ACK_DELAY_US (well inside the peer's
 * CR_RTO_INITIAL_US) after its last packet.
 */
#pragma once

#include <glib.h>
#include "cr-protocol.h"

G_BEGIN_DECLS

#define CR_RTO_INITIAL_US   (200 * G_TIME_SPAN_MILLISECOND)
#define CR_RTO_MAX_US       (2 * G_TIME_SPAN_SECOND)
#define CR_SEND_WINDOW      128
#define CR_RECEIVE_WINDOW   1024
#define CR_ACK_DELAY_US     (20 * G_TIME_SPAN_MILLISECOND)
#define CR_ACK_EVERY        16

typedef struct _CrReliable CrReliable;

typedef struct {
  CrPacketType  type;
  GBytes       *body;     /* reassembled message body */
} CrDelivery;

void         cr_delivery_free            (CrDelivery *delivery);

CrReliable  *cr_reliable_new             (void);
void         cr_reliable_free            (CrReliable *self);

/* Queue one message; the body is referenced, not copied, so a broadcast
 * encodes its body once for every member. */
void         cr_reliable_send            (CrReliable   *self,
                                          CrPacketType  type,
                                          GBytes       *body);

/* Feed a received datagram's parsed header and raw body. Always takes the
 * ack fields. For a reliable packet: appends each message that became
 * complete and in order to deliveries (CrDelivery*, owned by the array's free
 * func). Returns FALSE when the packet was a duplicate or out of window. */
gboolean     cr_reliable_receive         (CrReliable     *self,
                                          const CrHeader *header,
                                          const guint8   *body,
                                          gsize           body_len,
                                          gint64          now,
                                          GPtrArray      *deliveries);

/* Append the datagrams (GBytes*) due at now: first sends within the window,
 * retransmissions whose timer ran out, and a pure ACK when one is owed and
 * no reliable datagram carried it. */
void         cr_reliable_flush           (CrReliable *self,
                                          guint32     session,
                                          gint64      now,
                                          GPtrArray  *out);

/* The same, each datagram handed to func as it is made: datagram is valid
 * during the call only (so a caller that seals or copies it anyway makes
 * no GBytes of it: a broadcast's hot path). */
typedef void (*CrReliableDatagramFunc) (const guint8 *datagram,
                                        gsize         len,
                                        gpointer      user_data);
void         cr_reliable_flush_each      (CrReliable            *self,
                                          guint32                session,
                                          gint64                 now,
                                          CrReliableDatagramFunc func,
                                          gpointer               user_data);

/* Acks after delay_us (0: at once, every packet its own ACK when nothing
 * else carries it). The default is CR_ACK_DELAY_US. */
void         cr_reliable_set_ack_delay   (CrReliable *self,
                                          gint64      delay_us);

/* The owed ack goes out with the next flush, delay or not: the last one
 * before a session ends. */
void         cr_reliable_ack_now         (CrReliable *self);

/* An unreliable datagram (PING, ACK, REFUSE…) carrying the current acks;
 * clears the owed ack. */
GBytes      *cr_reliable_build_unreliable (CrReliable   *self,
                                           guint32       session,
                                           CrPacketType  type,
                                           GBytes       *body);

/* When flush has something to do next (G_MAXINT64: nothing). */
gint64       cr_reliable_next_deadline   (CrReliable *self);

/* Messages queued or sent but not yet acked by the peer. */
guint        cr_reliable_get_unacked     (CrReliable *self);
/* Their bytes (bodies, without headers): what the peer makes us hold. */
gsize        cr_reliable_get_unacked_bytes (CrReliable *self);
/* Last time (now of receive) a packet from the peer was taken, 0 = never. */
gint64       cr_reliable_get_last_heard  (CrReliable *self);
/* Counters for stats and tests. */
guint64      cr_reliable_get_retransmits (CrReliable *self);
guint64      cr_reliable_get_duplicates  (CrReliable *self);
/* Pure ACK datagrams flush sent (acks riding on other datagrams are free). */
guint64      cr_reliable_get_acks_sent   (CrReliable *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrReliable, cr_reliable_free)

G_END_DECLS
