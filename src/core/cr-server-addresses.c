/* cr-server-addresses.c: the addresses of a room: the one it listens on,
 * and the ones others can type to join it (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room that listens on every network ("[::]", "0.0.0.0") names this
 * machine's addresses as its interfaces list them (getifaddrs: nothing is
 * sent anywhere), so the owner can tell the others what to type.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <glib/gi18n-lib.h>

#include "cr-types.h"
#include "cr-server-addresses.h"

GSocketAddress *
_cr_server_parse_listen_address (const char  *address,
                                 GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *host;
  guint16 port;

  connectable = g_network_address_parse (address, CR_DEFAULT_PORT, error);
  if (connectable == NULL)
    return NULL;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));

  if (g_strcmp0 (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address to listen on"), host);
      return NULL;
    }
  return g_inet_socket_address_new (inet, port);
}

/* "host:port", with IPv6 hosts in brackets. */
static char *
format_address (GInetAddress *inet,
                guint16       port)
{
  g_autofree char *host = g_inet_address_to_string (inet);

  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, port)
                            : g_strdup_printf ("%s:%u", host, port);
}

/* This machine's addresses of the socket's family (IPv4 also for an IPv6
 * socket), as read from its interfaces; not loopback (added last by the
 * caller) nor link-local IPv6, which needs a scope nobody types. */
static void
add_interface_addresses (GStrvBuilder   *builder,
                         GSocketAddress *local,
                         guint16         port)
{
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) != 0)
    return;

  for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next)
    {
      g_autoptr(GSocketAddress) sa = NULL;
      GInetAddress *inet;
      g_autofree char *text = NULL;

      if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_UP) == 0 ||
          (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
        continue;
      sa = g_socket_address_new_from_native (ifa->ifa_addr,
                                             ifa->ifa_addr->sa_family == AF_INET
                                             ? sizeof (struct sockaddr_in)
                                             : sizeof (struct sockaddr_in6));
      if (sa == NULL)
        continue;
      inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
      if (g_inet_address_get_is_loopback (inet) || g_inet_address_get_is_link_local (inet))
        continue;
      if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 &&
          g_socket_address_get_family (local) != G_SOCKET_FAMILY_IPV6)
        continue;
      text = format_address (inet, port);
      g_strv_builder_add (builder, text);
    }
  freeifaddrs (list);
}

GStrv
_cr_server_list_join_addresses (GSocketAddress *local)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GInetAddress *bound;
  guint16 port;

  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (local), NULL);

  bound = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));

  if (!g_inet_address_get_is_any (bound))
    {
      g_autofree char *text = format_address (bound, port);

      g_strv_builder_add (builder, text);
      return g_strv_builder_end (builder);
    }

  /* Listening on every network. */
  add_interface_addresses (builder, local, port);
  {
    g_autofree char *text = g_strdup_printf ("127.0.0.1:%u", port);

    g_strv_builder_add (builder, text);
  }
  return g_strv_builder_end (builder);
}

gboolean
_cr_server_join_address_is_local (const char *address)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  const char *colon;

  g_return_val_if_fail (address != NULL, FALSE);

  /* "[v6]:port" or "v4:port", as format_address writes them. */
  if (address[0] == '[')
    {
      const char *end = strchr (address, ']');

      if (end == NULL)
        return FALSE;
      host = g_strndup (address + 1, end - address - 1);
    }
  else
    {
      colon = strrchr (address, ':');
      host = colon != NULL ? g_strndup (address, colon - address) : g_strdup (address);
    }

  inet = g_inet_address_new_from_string (host);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}
