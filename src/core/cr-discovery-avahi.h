/* cr-discovery-avahi.h: a room published as DNS-SD _chatroom._udp through
 * avahi-daemon's D-Bus API, where it runs (CrDiscoveryResponder)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CR_DNSSD_TYPE "_chatroom._udp"

typedef struct _CrDiscoveryAvahi CrDiscoveryAvahi;

/* Publishes name on port (TXT: the dialect, whether registration is
 * required, the owner) as soon as avahi-daemon answers on the system bus;
 * without it, nothing happens and nothing is waited for. Where the
 * environment has CHATROOM_NO_AVAHI=1 (the tests), nothing is asked. */
CrDiscoveryAvahi *cr_discovery_avahi_publish   (const char *name,
                                                const char *owner,
                                                gboolean    registration,
                                                guint16     port);
/* Withdraws the service (if it was published) and frees. */
void              cr_discovery_avahi_withdraw  (CrDiscoveryAvahi *self);

/* Published and committed: for the tests. */
gboolean          cr_discovery_avahi_get_committed (CrDiscoveryAvahi *self);

G_END_DECLS
