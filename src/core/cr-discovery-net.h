/* cr-discovery-net.h: this machine's interfaces as discovery sees them, and
 * sending on one of them (CrRoomBrowser, CrDiscoveryResponder)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char         *name;          /* "eth0" */
  guint         index;         /* if_nametoindex */
  gboolean      multicast;     /* IFF_MULTICAST */
  gboolean      is_virtual;    /* a bridge for containers or VMs (docker0, virbr0, …) */
  GPtrArray    *ipv4;          /* GInetAddress*: its IPv4 addresses */
  GPtrArray    *broadcast;     /* GInetAddress*: their broadcast addresses */
  gboolean      ipv6;          /* has an IPv6 address (link-local counts) */
} CrDiscoveryInterface;

void       cr_discovery_interface_free  (CrDiscoveryInterface *iface);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrDiscoveryInterface, cr_discovery_interface_free)

/* The interfaces that are up, not loopback (getifaddrs; nothing is sent):
 * CrDiscoveryInterface*, in the system's order. */
GPtrArray *cr_discovery_list_interfaces (void);

/* Bridges for containers and virtual machines, by name. */
gboolean   cr_discovery_is_virtual_name (const char *name);

/* 169.254/16, fe80::/10. */
gboolean   cr_discovery_is_link_local   (GInetAddress *inet);

/* Multicast from this socket leaves through the interface index (IPv4:
 * IP_MULTICAST_IF with ip_mreqn; IPv6: IPV6_MULTICAST_IF). family: of the
 * group. FALSE when the system refuses. */
gboolean   cr_discovery_set_multicast_interface (GSocket        *socket,
                                                 GSocketFamily   family,
                                                 guint           index);

/* An IPv4 address as the socket's family needs it: as is for an IPv4
 * socket, mapped (::ffff:a.b.c.d) for an IPv6 one. Transfer full. */
GSocketAddress *cr_discovery_target (GSocket      *socket,
                                     GInetAddress *inet,
                                     guint16       port);

G_END_DECLS
