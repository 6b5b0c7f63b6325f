/* cr-discovery-net.c: this machine's interfaces as discovery sees them, and
 * sending on one of them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Discovery probes and announces on each interface separately: a machine
 * with Wi-Fi beside Ethernet, or a VPN, must see rooms on every network,
 * and 255.255.255.255 or a group joined on the default interface reaches
 * only one of them.
 */
#define G_LOG_DOMAIN "cr-discovery"

#include "config.h"

#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cr-discovery-net.h"

void
cr_discovery_interface_free (CrDiscoveryInterface *iface)
{
  if (iface == NULL)
    return;
  g_free (iface->name);
  g_ptr_array_unref (iface->ipv4);
  g_ptr_array_unref (iface->broadcast);
  g_free (iface);
}

gboolean
cr_discovery_is_virtual_name (const char *name)
{
  static const char *prefixes[] = {
    "docker", "virbr", "br-", "lxcbr", "lxdbr", "vboxnet", "vmnet", "podman", "cni",
    "flannel", "incusbr", "waydroid",
  };

  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (name, prefixes[i]))
      return TRUE;
  return FALSE;
}

gboolean
cr_discovery_is_link_local (GInetAddress *inet)
{
  g_return_val_if_fail (G_IS_INET_ADDRESS (inet), FALSE);

  /* GLib calls 169.254/16 link-local too. */
  return g_inet_address_get_is_link_local (inet);
}

static GInetAddress *
inet_from_sockaddr (const struct sockaddr *sa)
{
  const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

  if (sa == NULL || sa->sa_family != AF_INET)
    return NULL;
  return g_inet_address_new_from_bytes ((const guint8 *) &in->sin_addr, G_SOCKET_FAMILY_IPV4);
}

static CrDiscoveryInterface *
find_or_add (GPtrArray  *list,
             const char *name)
{
  CrDiscoveryInterface *iface;

  for (guint i = 0; i < list->len; i++)
    {
      iface = list->pdata[i];
      if (strcmp (iface->name, name) == 0)
        return iface;
    }
  iface = g_new0 (CrDiscoveryInterface, 1);
  iface->name = g_strdup (name);
  iface->index = if_nametoindex (name);
  iface->is_virtual = cr_discovery_is_virtual_name (name);
  iface->ipv4 = g_ptr_array_new_with_free_func (g_object_unref);
  iface->broadcast = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (list, iface);
  return iface;
}

GPtrArray *
cr_discovery_list_interfaces (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_discovery_interface_free);
  struct ifaddrs *addrs = NULL;

  if (getifaddrs (&addrs) != 0)
    return list;

  for (struct ifaddrs *ifa = addrs; ifa != NULL; ifa = ifa->ifa_next)
    {
      CrDiscoveryInterface *iface;

      if (ifa->ifa_addr == NULL || ifa->ifa_name == NULL ||
          (ifa->ifa_flags & IFF_UP) == 0 || (ifa->ifa_flags & IFF_LOOPBACK) != 0 ||
          (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
        continue;
      iface = find_or_add (list, ifa->ifa_name);
      iface->multicast = (ifa->ifa_flags & IFF_MULTICAST) != 0;
      if (ifa->ifa_addr->sa_family == AF_INET6)
        {
          iface->ipv6 = TRUE;
          continue;
        }
      g_ptr_array_add (iface->ipv4, inet_from_sockaddr (ifa->ifa_addr));
      if ((ifa->ifa_flags & IFF_BROADCAST) != 0 && ifa->ifa_broadaddr != NULL &&
          ifa->ifa_broadaddr->sa_family == AF_INET)
        g_ptr_array_add (iface->broadcast, inet_from_sockaddr (ifa->ifa_broadaddr));
    }
  freeifaddrs (addrs);
  return list;
}

gboolean
cr_discovery_set_multicast_interface (GSocket       *socket,
                                      GSocketFamily  family,
                                      guint          index)
{
  int fd;

  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);

  fd = g_socket_get_fd (socket);
  if (family == G_SOCKET_FAMILY_IPV4)
    {
      struct ip_mreqn mreq;

      memset (&mreq, 0, sizeof mreq);
      mreq.imr_ifindex = index;
      return setsockopt (fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) == 0;
    }
  else
    {
      int value = index;

      return setsockopt (fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &value, sizeof value) == 0;
    }
}

GSocketAddress *
cr_discovery_target (GSocket      *socket,
                     GInetAddress *inet,
                     guint16       port)
{
  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (G_IS_INET_ADDRESS (inet), NULL);

  if (g_socket_get_family (socket) == G_SOCKET_FAMILY_IPV6 &&
      g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    {
      guint8 bytes[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      g_autoptr(GInetAddress) mapped = NULL;

      memcpy (bytes + 12, g_inet_address_to_bytes (inet), 4);
      mapped = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
      return g_inet_socket_address_new (mapped, port);
    }
  return g_inet_socket_address_new (inet, port);
}
