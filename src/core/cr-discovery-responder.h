/* cr-discovery-responder.h: a room's side of LAN discovery (CrServer):
 * answers probes on the room's socket, announces the room when it opens and
 * closes, joins the discovery groups
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "cr-discovery.h"

G_BEGIN_DECLS

typedef struct _CrDiscoveryResponder CrDiscoveryResponder;

typedef struct {
  guint64 probes;          /* probes received */
  guint64 answered;
  guint64 rate_limited;    /* not answered: that source asked too often */
  guint64 too_short;       /* not answered: the answer would pass 3 × the probe */
  guint64 malformed;       /* discovery datagrams that did not parse */
  guint64 announced;       /* announcement datagrams sent */
} CrDiscoveryStats;

/* Answers: a few in a burst per source IP, then this many a second. */
#define CR_DISCOVERY_ANSWER_BURST   8
#define CR_DISCOVERY_ANSWER_RATE    2.0
#define CR_DISCOVERY_SOURCES_MAX    1024

/* What the room says of itself now: name, owner, members and registration
 * (the responder adds the rest). */
typedef void (*CrDiscoveryInfoFunc) (CrDiscoveryRoom *room,
                                     gpointer         user_data);

/* socket: the room's, bound (not owned; it must outlive the responder).
 * Starts disabled: cr_discovery_responder_set_enabled() joins the groups
 * (where the socket listens on every address) and answering begins. */
CrDiscoveryResponder *cr_discovery_responder_new     (GSocket             *socket,
                                                      CrDiscoveryInfoFunc  info_func,
                                                      gpointer             user_data);
void                  cr_discovery_responder_free    (CrDiscoveryResponder *self);

/* Off: no answers, no announcements, groups left (the room is found only
 * by its address); turning it off announces the close first. */
void                  cr_discovery_responder_set_enabled (CrDiscoveryResponder *self,
                                                          gboolean              enabled);
gboolean              cr_discovery_responder_get_enabled (CrDiscoveryResponder *self);

/* The room's packet path asks this first: TRUE when the datagram was a
 * discovery one (answered into out, CrDatagram*, or dropped and counted),
 * so it is not the room's business. now: monotonic µs. */
gboolean              cr_discovery_responder_receive (CrDiscoveryResponder *self,
                                                      const guint8         *data,
                                                      gsize                 len,
                                                      GSocketAddress       *from,
                                                      gint64                now,
                                                      GPtrArray            *out);

/* Tell the LAN the room opened or closed: to each interface's broadcast
 * address and the groups, on CR_DISCOVERY_ANNOUNCE_PORT. Nothing when disabled. */
void                  cr_discovery_responder_announce (CrDiscoveryResponder *self,
                                                       CrDiscoveryRoomKind   kind);

void                  cr_discovery_responder_get_stats (CrDiscoveryResponder *self,
                                                        CrDiscoveryStats     *stats);

/* DNS-SD: published through avahi-daemon and committed (tests). */
gboolean              _cr_discovery_responder_get_published (CrDiscoveryResponder *self);

G_END_DECLS
