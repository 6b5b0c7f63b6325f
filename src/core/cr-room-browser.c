/* cr-room-browser.c: the rooms on the LAN, found by discovery probes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each round probes every interface on its own (cr-discovery-net.h): its
 * broadcast address, the IPv4 group with IP_MULTICAST_IF set to it, the
 * IPv6 link-local group with its index; then the extra places by unicast.
 * Answers come back to the probing socket, unicast; IP_PKTINFO says which
 * interface each came through. Announcements of rooms opening and closing
 * arrive on CR_DISCOVERY_ANNOUNCE_PORT, which every browser on the machine
 * shares (SO_REUSEADDR: broadcast and multicast reach them all); when that
 * port cannot be had, rooms are still found by probing, only later.
 *
 * Everything received is a stranger's: it must parse (cr-discovery.c), an
 * answer must carry this browser's nonce, a close must come from where
 * the room was seen, and at most ROOMS_MAX rooms are kept.
 */
#define _GNU_SOURCE 1   /* struct in6_pktinfo */
#define G_LOG_DOMAIN "cr-room-browser"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cr-discovery.h"
#include "cr-discovery-net.h"
#include "cr-room-browser-private.h"
#include "cr-types.h"

#include "cr-room-browser.h"

#define ROOMS_MAX          256
#define TARGETS_MAX        4096
#define SWEEP_PREFIX_MIN   22      /* an IPv4 subnet probed host by host: ≤ 1 024 */
#define FIRST_INTERVAL_MS  1000
#define READS_PER_WAKE     64

/* --- CrRoomBrowser -------------------------------------------------------- */

struct _CrRoomBrowser
{
  GObject          parent_instance;

  /* settings */
  GStrv            extra_places;
  guint16          port;
  CrBrowseMethods  methods;
  guint            max_interval_ms;

  /* running */
  GSocket         *probe4;        /* probes out, answers in */
  GSocket         *probe6;
  GSocket         *listen4;       /* announcements in */
  GSocket         *listen6;
  GPtrArray       *sources;       /* GSource* reading the sockets */
  GHashTable      *joined;        /* "4eth0", "6eth0": groups joined by listen4/6 */
  guint            timer_id;
  guint            interval_ms;
  char            *nonce;
  GPtrArray       *targets;       /* GInetSocketAddress*: the extra places, resolved */
  GCancellable    *cancellable;   /* name resolution */

  /* found */
  GPtrArray       *rooms;         /* CrFoundRoom*, in list order */
  guint64          probes_sent;
  guint64          dropped;
};

static void cr_room_browser_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CrRoomBrowser, cr_room_browser, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cr_room_browser_list_model_init))

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_PORT,
  PROP_EXTRA_PLACES,
  PROP_METHODS,
  PROP_MAX_INTERVAL,
  PROP_PROBES_SENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void schedule_round (CrRoomBrowser *self);

/* The list's order: real networks first, then by name, then address. */
static int
compare_rooms (CrFoundRoom *a,
               CrFoundRoom *b)
{
  g_autofree char *ka = NULL;
  g_autofree char *kb = NULL;
  int cmp;

  if (cr_found_room_get_link_local (a) != cr_found_room_get_link_local (b))
    return cr_found_room_get_link_local (a) ? 1 : -1;
  ka = g_utf8_collate_key (cr_found_room_get_name (a), -1);
  kb = g_utf8_collate_key (cr_found_room_get_name (b), -1);
  cmp = strcmp (ka, kb);
  if (cmp != 0)
    return cmp;
  return g_strcmp0 (cr_found_room_get_address (a), cr_found_room_get_address (b));
}

static guint
sorted_position (CrRoomBrowser *self,
                 CrFoundRoom   *room)
{
  guint pos = 0;

  while (pos < self->rooms->len && compare_rooms (self->rooms->pdata[pos], room) < 0)
    pos++;
  return pos;
}

static void
insert_room (CrRoomBrowser *self,
             CrFoundRoom   *room)
{
  guint pos = sorted_position (self, room);

  g_ptr_array_insert (self->rooms, pos, room);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
}

static void
remove_room_at (CrRoomBrowser *self,
                guint          pos)
{
  g_ptr_array_remove_index (self->rooms, pos);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
}

static gboolean
find_room (CrRoomBrowser *self,
           const char    *id,
           guint         *pos)
{
  for (guint i = 0; i < self->rooms->len; i++)
    if (strcmp (cr_found_room_get_id (self->rooms->pdata[i]), id) == 0)
      {
        *pos = i;
        return TRUE;
      }
  return FALSE;
}

/* "198.51.100.2:10024", "[fd00::2]:10024", "[fe80::2%eth0]:10024". */
static char *
format_address (GInetAddress *inet,
                guint16       port,
                const char   *iface)
{
  g_autofree char *host = g_inet_address_to_string (inet);

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    return g_strdup_printf ("%s:%u", host, port);
  if (g_inet_address_get_is_link_local (inet) && iface != NULL && *iface != '\0')
    return g_strdup_printf ("[%s%%%s]:%u", host, iface, port);
  return g_strdup_printf ("[%s]:%u", host, port);
}

/* An answer or an announcement of a room, heard from source through the
 * interface ifindex (0: unknown). */
static void
take_room (CrRoomBrowser   *self,
           CrDiscoveryRoom *info,
           GInetAddress    *source,
           guint            ifindex)
{
  char ifname[IF_NAMESIZE + 1] = "";
  g_autofree char *address = NULL;
  CrFoundRoom *room;
  gboolean link_local;
  guint pos;

  if (ifindex != 0 && if_indextoname (ifindex, ifname) == NULL)
    ifname[0] = '\0';
  link_local = cr_discovery_is_link_local (source) || cr_discovery_is_virtual_name (ifname);
  address = format_address (source, info->port, ifname);

  if (!find_room (self, info->id, &pos))
    {
      if (self->rooms->len >= ROOMS_MAX)
        self->dropped++;
      else
        insert_room (self, _cr_found_room_new (info, source, address, ifname, link_local));
      return;
    }

  room = g_object_ref (self->rooms->pdata[pos]);
  if (_cr_found_room_update (room, info, source, address, ifname, link_local))
    {
      remove_room_at (self, pos);
      insert_room (self, g_object_ref (room));
    }
  g_object_unref (room);
}

static void
handle_datagram (CrRoomBrowser *self,
                 const guint8  *data,
                 gsize          len,
                 GInetAddress  *source,
                 guint          ifindex)
{
  CrDiscoveryRoom info = { 0 };
  guint pos;

  switch (cr_discovery_parse (data, len, NULL, &info))
    {
    case CR_DISCOVERY_ROOM:
      break;
    case CR_DISCOVERY_PROBE:
      return;   /* another browser's, looped back: not for us */
    case CR_DISCOVERY_NONE:
    case CR_DISCOVERY_INVALID:
    default:
      self->dropped++;
      return;
    }

  if (info.kind == CR_DISCOVERY_ANSWER && g_strcmp0 (info.nonce, self->nonce) != 0)
    self->dropped++;
  else if (info.kind == CR_DISCOVERY_CLOSE)
    {
      /* Only from where the room was seen: a stranger cannot close it. */
      if (find_room (self, info.id, &pos) &&
          g_inet_address_equal (_cr_found_room_get_source (self->rooms->pdata[pos]), source))
        remove_room_at (self, pos);
    }
  else
    take_room (self, &info, source, ifindex);
  cr_discovery_room_clear (&info);
}

/* One datagram, with the interface it came in on (IP_PKTINFO). */
static gboolean
read_one (CrRoomBrowser *self,
          GSocket       *socket)
{
  guint8 buf[CR_DISCOVERY_MAX + 1];
  struct sockaddr_storage from;
  union {
    struct cmsghdr align;
    char           buf[256];
  } control;
  struct iovec iov = { buf, sizeof buf };
  struct msghdr msg;
  g_autoptr(GSocketAddress) address = NULL;
  GInetAddress *inet;
  guint ifindex = 0;
  ssize_t n;

  memset (&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;

  n = recvmsg (g_socket_get_fd (socket), &msg, MSG_DONTWAIT);
  if (n < 0)
    return FALSE;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
        {
          struct in_pktinfo info;

          memcpy (&info, CMSG_DATA (c), sizeof info);
          ifindex = info.ipi_ifindex;
        }
      else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
        {
          struct in6_pktinfo info;

          memcpy (&info, CMSG_DATA (c), sizeof info);
          ifindex = info.ipi6_ifindex;
        }
    }

  address = g_socket_address_new_from_native (&from, msg.msg_namelen);
  if ((msg.msg_flags & MSG_TRUNC) != 0 || !G_IS_INET_SOCKET_ADDRESS (address))
    {
      self->dropped++;
      return TRUE;
    }
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  handle_datagram (self, buf, n, inet, ifindex);
  return TRUE;
}

static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  CrRoomBrowser *self = user_data;

  for (guint i = 0; i < READS_PER_WAKE; i++)
    if (!read_one (self, socket))
      break;
  return G_SOURCE_CONTINUE;
}

/* Probing */

static void
send_probe (CrRoomBrowser  *self,
            GSocket        *socket,
            GSocketAddress *to,
            GBytes         *probe)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (probe, &len);

  if (socket == NULL)
    return;
  if (g_socket_send_to (socket, to, data, len, NULL, &error) < 0)
    g_debug ("Probing: %s", error->message);
  else
    self->probes_sent++;
}

/* The groups on the announcement sockets, for interfaces not joined yet. */
static void
join_announcements (CrRoomBrowser        *self,
                    CrDiscoveryInterface *iface)
{
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V4);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V6);
  g_autofree char *key4 = g_strconcat ("4", iface->name, NULL);
  g_autofree char *key6 = g_strconcat ("6", iface->name, NULL);

  if (!iface->multicast)
    return;
  if (self->listen4 != NULL && iface->ipv4->len > 0 &&
      !g_hash_table_contains (self->joined, key4) &&
      g_socket_join_multicast_group (self->listen4, v4, FALSE, iface->name, NULL))
    g_hash_table_add (self->joined, g_steal_pointer (&key4));
  if (self->listen6 != NULL && iface->ipv6 &&
      !g_hash_table_contains (self->joined, key6) &&
      g_socket_join_multicast_group (self->listen6, v6, FALSE, iface->name, NULL))
    g_hash_table_add (self->joined, g_steal_pointer (&key6));
}

static void
expire_rooms (CrRoomBrowser *self)
{
  gint64 limit = 3 * (gint64) self->interval_ms * G_TIME_SPAN_MILLISECOND + G_TIME_SPAN_SECOND;
  gint64 now = g_get_monotonic_time ();

  for (guint i = self->rooms->len; i > 0; i--)
    if (now - _cr_found_room_get_last_seen (self->rooms->pdata[i - 1]) > limit)
      remove_room_at (self, i - 1);
}

static void
probe_round (CrRoomBrowser *self)
{
  g_autoptr(GPtrArray) ifaces = cr_discovery_list_interfaces ();
  g_autoptr(GBytes) probe = cr_discovery_probe_new (self->nonce, CR_DISCOVERY_PROBE_PAD);
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V4);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V6);
  g_autoptr(GSocketAddress) group4 = g_inet_socket_address_new (v4, self->port);
  g_autoptr(GSocketAddress) group6 = g_inet_socket_address_new (v6, self->port);

  expire_rooms (self);

  for (guint i = 0; i < ifaces->len; i++)
    {
      CrDiscoveryInterface *iface = ifaces->pdata[i];

      join_announcements (self, iface);
      if (self->methods & CR_BROWSE_BROADCAST)
        for (guint b = 0; b < iface->broadcast->len; b++)
          {
            g_autoptr(GSocketAddress) to =
              g_inet_socket_address_new (iface->broadcast->pdata[b], self->port);

            send_probe (self, self->probe4, to, probe);
          }
      if (!iface->multicast)
        continue;
      if ((self->methods & CR_BROWSE_MULTICAST_V4) && iface->ipv4->len > 0 &&
          self->probe4 != NULL &&
          cr_discovery_set_multicast_interface (self->probe4, G_SOCKET_FAMILY_IPV4, iface->index))
        send_probe (self, self->probe4, group4, probe);
      if ((self->methods & CR_BROWSE_MULTICAST_V6) && iface->ipv6 && self->probe6 != NULL &&
          cr_discovery_set_multicast_interface (self->probe6, G_SOCKET_FAMILY_IPV6, iface->index))
        send_probe (self, self->probe6, group6, probe);
    }

  if (self->methods & CR_BROWSE_EXTRA)
    for (guint i = 0; i < self->targets->len; i++)
      {
        GSocketAddress *to = self->targets->pdata[i];
        GSocketFamily family = g_socket_address_get_family (to);

        send_probe (self, family == G_SOCKET_FAMILY_IPV4 ? self->probe4 : self->probe6,
                    to, probe);
      }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBES_SENT]);
}

static gboolean
on_round (gpointer user_data)
{
  CrRoomBrowser *self = user_data;

  self->timer_id = 0;
  probe_round (self);
  self->interval_ms = MIN (self->interval_ms * 2, self->max_interval_ms);
  schedule_round (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_round (CrRoomBrowser *self)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->timer_id = g_timeout_add (self->interval_ms, on_round, self);
}

/* Extra places */

static void
add_target (CrRoomBrowser *self,
            GInetAddress  *inet,
            guint16        port)
{
  if (self->targets->len < TARGETS_MAX)
    g_ptr_array_add (self->targets, g_inet_socket_address_new (inet, port));
}

/* "a.b.c.d/len" with an optional ":port": the subnet's addresses. */
static gboolean
parse_subnet (const char  *place,
              guint32     *network,
              guint       *prefix,
              guint16     *port)
{
  g_auto(GStrv) parts = g_strsplit (place, "/", 2);
  g_autoptr(GInetAddress) inet = NULL;
  g_auto(GStrv) tail = NULL;
  guint64 n;
  guint32 host;

  if (g_strv_length (parts) != 2)
    return FALSE;
  inet = g_inet_address_new_from_string (parts[0]);
  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  tail = g_strsplit (parts[1], ":", 2);
  if (!g_ascii_string_to_unsigned (tail[0], 10, 0, 32, &n, NULL))
    return FALSE;
  *prefix = n;
  *port = CR_DEFAULT_PORT;
  if (tail[1] != NULL)
    {
      if (!g_ascii_string_to_unsigned (tail[1], 10, 1, G_MAXUINT16, &n, NULL))
        return FALSE;
      *port = n;
    }
  memcpy (&host, g_inet_address_to_bytes (inet), 4);
  host = g_ntohl (host);
  *network = *prefix == 0 ? 0 : host & (G_MAXUINT32 << (32 - *prefix));
  return TRUE;
}

static void
add_ipv4 (CrRoomBrowser *self,
          guint32        address,
          guint16        port)
{
  guint32 be = g_htonl (address);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_bytes ((const guint8 *) &be,
                                                                G_SOCKET_FAMILY_IPV4);

  add_target (self, inet, port);
}

typedef struct {
  CrRoomBrowser *self;   /* valid unless the lookup was cancelled */
  guint16        port;
} Lookup;

static void
on_lookup_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autofree Lookup *lookup = user_data;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (addresses == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Looking up an extra place: %s", error->message);
      return;
    }
  for (GList *l = addresses; l != NULL; l = l->next)
    add_target (lookup->self, l->data, lookup->port);
  g_resolver_free_addresses (addresses);
  /* Probe the new targets now rather than at the next round. */
  cr_room_browser_refresh (lookup->self);
}

static void
resolve_places (CrRoomBrowser *self)
{
  g_autoptr(GResolver) resolver = g_resolver_get_default ();

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_ptr_array_set_size (self->targets, 0);

  for (guint i = 0; self->extra_places != NULL && self->extra_places[i] != NULL; i++)
    {
      const char *place = self->extra_places[i];
      g_autoptr(GSocketConnectable) connectable = NULL;
      g_autoptr(GInetAddress) inet = NULL;
      guint32 network;
      guint prefix;
      guint16 port;
      const char *host;

      if (parse_subnet (place, &network, &prefix, &port))
        {
          guint64 size = G_GUINT64_CONSTANT (1) << (32 - prefix);

          if (prefix >= SWEEP_PREFIX_MIN)
            for (guint64 a = size > 2 ? 1 : 0; a < (size > 2 ? size - 1 : size); a++)
              add_ipv4 (self, network + (guint32) a, port);
          if (size > 2)
            add_ipv4 (self, network + (guint32) (size - 1), port);   /* directed broadcast */
          continue;
        }
      connectable = g_network_address_parse (place, CR_DEFAULT_PORT, NULL);
      if (connectable == NULL)
        continue;
      host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
      port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
      inet = g_inet_address_new_from_string (host);
      if (inet != NULL)
        add_target (self, inet, port);
      else
        {
          Lookup *lookup = g_new0 (Lookup, 1);

          lookup->self = self;
          lookup->port = port;
          g_resolver_lookup_by_name_async (resolver, host, self->cancellable,
                                           on_lookup_done, lookup);
        }
    }
}

/* Sockets */

static GSocket *
open_socket (GSocketFamily   family,
             guint16         port,
             gboolean        reuse,
             GError        **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (any, port);
  int fd;
  int one = 1;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  fd = g_socket_get_fd (socket);
  if (family == G_SOCKET_FAMILY_IPV6)
    {
      /* IPv4 has its own socket. */
      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      setsockopt (fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    }
  else
    setsockopt (fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
  if (!g_socket_bind (socket, local, reuse, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_broadcast (socket, TRUE);
  /* Link-scoped: one hop, as the rooms answer. */
  g_socket_set_multicast_ttl (socket, 1);
  return g_steal_pointer (&socket);
}

static void
watch_socket (CrRoomBrowser *self,
              GSocket       *socket)
{
  GSource *source;

  if (socket == NULL)
    return;
  source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_set_name (source, "[chatroom] room browser");
  g_source_attach (source, g_main_context_get_thread_default ());
  g_ptr_array_add (self->sources, source);
}

static void
close_sockets (CrRoomBrowser *self)
{
  GSocket **sockets[] = { &self->probe4, &self->probe6, &self->listen4, &self->listen6 };

  for (guint i = 0; i < self->sources->len; i++)
    g_source_destroy (self->sources->pdata[i]);
  g_ptr_array_set_size (self->sources, 0);
  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++)
    {
      if (*sockets[i] != NULL)
        g_socket_close (*sockets[i], NULL);
      g_clear_object (sockets[i]);
    }
  g_hash_table_remove_all (self->joined);
}

/* GListModel */

static GType
cr_room_browser_get_item_type (GListModel *model)
{
  return CR_TYPE_FOUND_ROOM;
}

static guint
cr_room_browser_get_n_items (GListModel *model)
{
  return CR_ROOM_BROWSER (model)->rooms->len;
}

static gpointer
cr_room_browser_get_item (GListModel *model,
                          guint       position)
{
  CrRoomBrowser *self = CR_ROOM_BROWSER (model);

  if (position >= self->rooms->len)
    return NULL;
  return g_object_ref (self->rooms->pdata[position]);
}

static void
cr_room_browser_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cr_room_browser_get_item_type;
  iface->get_n_items = cr_room_browser_get_n_items;
  iface->get_item = cr_room_browser_get_item;
}

/* GObject */

static void
cr_room_browser_dispose (GObject *object)
{
  CrRoomBrowser *self = CR_ROOM_BROWSER (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  close_sockets (self);

  G_OBJECT_CLASS (cr_room_browser_parent_class)->dispose (object);
}

static void
cr_room_browser_finalize (GObject *object)
{
  CrRoomBrowser *self = CR_ROOM_BROWSER (object);

  g_strfreev (self->extra_places);
  g_free (self->nonce);
  g_ptr_array_unref (self->targets);
  g_ptr_array_unref (self->rooms);
  g_ptr_array_unref (self->sources);
  g_hash_table_unref (self->joined);

  G_OBJECT_CLASS (cr_room_browser_parent_class)->finalize (object);
}

static void
cr_room_browser_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CrRoomBrowser *self = CR_ROOM_BROWSER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, cr_room_browser_get_running (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_EXTRA_PLACES:
      g_value_set_boxed (value, self->extra_places);
      break;
    case PROP_METHODS:
      g_value_set_uint (value, self->methods);
      break;
    case PROP_MAX_INTERVAL:
      g_value_set_uint (value, self->max_interval_ms);
      break;
    case PROP_PROBES_SENT:
      g_value_set_uint64 (value, self->probes_sent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_room_browser_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CrRoomBrowser *self = CR_ROOM_BROWSER (object);

  switch (prop_id)
    {
    case PROP_PORT:
      cr_room_browser_set_port (self, g_value_get_uint (value));
      break;
    case PROP_EXTRA_PLACES:
      cr_room_browser_set_extra_places (self, g_value_get_boxed (value));
      break;
    case PROP_METHODS:
      cr_room_browser_set_methods (self, g_value_get_uint (value));
      break;
    case PROP_MAX_INTERVAL:
      cr_room_browser_set_max_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_room_browser_class_init (CrRoomBrowserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cr_room_browser_dispose;
  object_class->finalize = cr_room_browser_finalize;
  object_class->get_property = cr_room_browser_get_property;
  object_class->set_property = cr_room_browser_set_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16, CR_DEFAULT_PORT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXTRA_PLACES] =
    g_param_spec_boxed ("extra-places", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_METHODS] =
    g_param_spec_uint ("methods", NULL, NULL, 0, CR_BROWSE_ALL, CR_BROWSE_ALL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_INTERVAL] =
    g_param_spec_uint ("max-interval", NULL, NULL, 50, 3600000, 8000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROBES_SENT] =
    g_param_spec_uint64 ("probes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cr_room_browser_init (CrRoomBrowser *self)
{
  self->port = CR_DEFAULT_PORT;
  self->methods = CR_BROWSE_ALL;
  self->max_interval_ms = 8000;
  self->nonce = cr_discovery_nonce_new ();
  self->targets = g_ptr_array_new_with_free_func (g_object_unref);
  self->rooms = g_ptr_array_new_with_free_func (g_object_unref);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) g_source_unref);
  self->joined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Public API */

CrRoomBrowser *
cr_room_browser_new (void)
{
  return g_object_new (CR_TYPE_ROOM_BROWSER, NULL);
}

gboolean
cr_room_browser_start (CrRoomBrowser  *self,
                       GError        **error)
{
  g_autoptr(GError) error4 = NULL;
  g_autoptr(GError) error6 = NULL;

  g_return_val_if_fail (CR_IS_ROOM_BROWSER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (cr_room_browser_get_running (self))
    return TRUE;

  self->probe4 = open_socket (G_SOCKET_FAMILY_IPV4, 0, FALSE, &error4);
  self->probe6 = open_socket (G_SOCKET_FAMILY_IPV6, 0, FALSE, &error6);
  if (self->probe4 == NULL && self->probe6 == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&error4));
      return FALSE;
    }
  /* Shared with every other browser here; without it, probing alone.
   * Only when looking at the networks: extra places alone send nothing
   * else (not even a group join). */
  if (self->methods & ~CR_BROWSE_EXTRA)
    {
      self->listen4 = open_socket (G_SOCKET_FAMILY_IPV4, CR_DISCOVERY_ANNOUNCE_PORT, TRUE, NULL);
      self->listen6 = open_socket (G_SOCKET_FAMILY_IPV6, CR_DISCOVERY_ANNOUNCE_PORT, TRUE, NULL);
    }
  watch_socket (self, self->probe4);
  watch_socket (self, self->probe6);
  watch_socket (self, self->listen4);
  watch_socket (self, self->listen6);

  resolve_places (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  cr_room_browser_refresh (self);
  return TRUE;
}

void
cr_room_browser_stop (CrRoomBrowser *self)
{
  g_return_if_fail (CR_IS_ROOM_BROWSER (self));

  if (!cr_room_browser_get_running (self))
    return;
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  close_sockets (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
cr_room_browser_get_running (CrRoomBrowser *self)
{
  g_return_val_if_fail (CR_IS_ROOM_BROWSER (self), FALSE);
  return self->probe4 != NULL || self->probe6 != NULL;
}

void
cr_room_browser_refresh (CrRoomBrowser *self)
{
  g_return_if_fail (CR_IS_ROOM_BROWSER (self));

  if (!cr_room_browser_get_running (self))
    return;
  self->interval_ms = MIN (FIRST_INTERVAL_MS, self->max_interval_ms);
  probe_round (self);
  schedule_round (self);
}

gboolean
cr_room_browser_place_is_valid (const char *place)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  guint32 network;
  guint prefix;
  guint16 port;

  if (place == NULL || *place == '\0' || strlen (place) > 255)
    return FALSE;
  if (parse_subnet (place, &network, &prefix, &port))
    return TRUE;
  if (strchr (place, '/') != NULL || strchr (place, ' ') != NULL)
    return FALSE;
  connectable = g_network_address_parse (place, CR_DEFAULT_PORT, NULL);
  return connectable != NULL;
}

void
cr_room_browser_set_extra_places (CrRoomBrowser      *self,
                                  const char * const *places)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) valid = NULL;

  g_return_if_fail (CR_IS_ROOM_BROWSER (self));

  for (guint i = 0; places != NULL && places[i] != NULL; i++)
    {
      g_autofree char *place = g_strstrip (g_strdup (places[i]));

      if (cr_room_browser_place_is_valid (place))
        g_strv_builder_add (builder, place);
    }
  valid = g_strv_builder_end (builder);
  if (self->extra_places != NULL &&
      g_strv_equal ((const char * const *) valid, (const char * const *) self->extra_places))
    return;
  g_strfreev (self->extra_places);
  self->extra_places = g_steal_pointer (&valid);
  if (cr_room_browser_get_running (self))
    {
      resolve_places (self);
      cr_room_browser_refresh (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTRA_PLACES]);
}

const char * const *
cr_room_browser_get_extra_places (CrRoomBrowser *self)
{
  static const char *none[] = { NULL };

  g_return_val_if_fail (CR_IS_ROOM_BROWSER (self), NULL);
  return self->extra_places ? (const char * const *) self->extra_places : none;
}

void
cr_room_browser_set_port (CrRoomBrowser *self,
                          guint16        port)
{
  g_return_if_fail (CR_IS_ROOM_BROWSER (self));
  g_return_if_fail (port != 0);

  if (self->port == port)
    return;
  self->port = port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

void
cr_room_browser_set_methods (CrRoomBrowser   *self,
                             CrBrowseMethods  methods)
{
  g_return_if_fail (CR_IS_ROOM_BROWSER (self));

  methods &= CR_BROWSE_ALL;
  if (self->methods == methods)
    return;
  self->methods = methods;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_METHODS]);
}

void
cr_room_browser_set_max_interval (CrRoomBrowser *self,
                                  guint          max_interval_ms)
{
  g_return_if_fail (CR_IS_ROOM_BROWSER (self));

  max_interval_ms = CLAMP (max_interval_ms, 50, 3600000);
  if (self->max_interval_ms == max_interval_ms)
    return;
  self->max_interval_ms = max_interval_ms;
  self->interval_ms = MIN (self->interval_ms, max_interval_ms);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_INTERVAL]);
}

guint64
cr_room_browser_get_probes_sent (CrRoomBrowser *self)
{
  g_return_val_if_fail (CR_IS_ROOM_BROWSER (self), 0);
  return self->probes_sent;
}

guint64
cr_room_browser_get_dropped (CrRoomBrowser *self)
{
  g_return_val_if_fail (CR_IS_ROOM_BROWSER (self), 0);
  return self->dropped;
}
