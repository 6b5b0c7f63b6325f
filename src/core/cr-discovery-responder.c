/* cr-discovery-responder.c: a room's side of LAN discovery (CrServer)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sits in front of the room's packet path: a discovery datagram
 * (cr-discovery.h) never reaches CrEngine. A probe gets one answer, sent to
 * its source only, at most 3 × its size, and only CR_DISCOVERY_ANSWER_BURST
 * at once per source IP (then CR_DISCOVERY_ANSWER_RATE a second): a forged
 * source makes the room reflect little and amplify nothing. Announcements
 * of other rooms on the same port (and our own, looped back) are dropped
 * here too. Announcing is the only thing sent unasked: once when the room
 * opens, once when it closes.
 */
#define G_LOG_DOMAIN "cr-discovery"

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "cr-discovery-avahi.h"
#include "cr-discovery-net.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-server-addresses.h"

#include "cr-discovery-responder.h"

#define ADDRESSES_REFRESH_US (30 * G_TIME_SPAN_SECOND)

typedef struct {
  double tokens;
  gint64 last;
} Bucket;

struct _CrDiscoveryResponder
{
  GSocket             *socket;        /* borrowed */
  CrDiscoveryInfoFunc  info_func;
  gpointer             user_data;
  char                 id[17];
  guint16              port;
  gboolean             wildcard;      /* listens on every address */
  gboolean             enabled;
  GPtrArray           *joined;        /* char* "group%ifname" joined, to leave */
  GStrv                addresses;     /* served, as the answer names them */
  gint64               addresses_time;
  GHashTable          *buckets;       /* IP text → Bucket */
  CrDiscoveryAvahi    *avahi;         /* DNS-SD, while enabled on every address */
  CrDiscoveryStats     stats;
};

/* The groups, on every interface that has the family and multicast. */
static void
join_groups (CrDiscoveryResponder *self)
{
  g_autoptr(GPtrArray) ifaces = cr_discovery_list_interfaces ();
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V4);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V6);
  gboolean is_v6 = g_socket_get_family (self->socket) == G_SOCKET_FAMILY_IPV6;

  if (!self->wildcard || self->joined->len > 0)
    return;
  for (guint i = 0; i < ifaces->len; i++)
    {
      CrDiscoveryInterface *iface = ifaces->pdata[i];
      g_autoptr(GError) error = NULL;

      if (!iface->multicast)
        continue;
      if (iface->ipv4->len > 0)
        {
          if (g_socket_join_multicast_group (self->socket, v4, FALSE, iface->name, &error))
            g_ptr_array_add (self->joined, g_strdup_printf ("4%s", iface->name));
          else
            g_debug ("Joining %s on %s: %s", CR_DISCOVERY_GROUP_V4, iface->name,
                     error->message);
          g_clear_error (&error);
        }
      if (is_v6 && iface->ipv6)
        {
          if (g_socket_join_multicast_group (self->socket, v6, FALSE, iface->name, &error))
            g_ptr_array_add (self->joined, g_strdup_printf ("6%s", iface->name));
          else
            g_debug ("Joining %s on %s: %s", CR_DISCOVERY_GROUP_V6, iface->name,
                     error->message);
        }
    }
}

static void
leave_groups (CrDiscoveryResponder *self)
{
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V4);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V6);

  for (guint i = 0; i < self->joined->len; i++)
    {
      const char *entry = self->joined->pdata[i];

      /* An interface gone meanwhile fails: nothing to leave then. */
      g_socket_leave_multicast_group (self->socket, entry[0] == '4' ? v4 : v6, FALSE,
                                      entry + 1, NULL);
    }
  g_ptr_array_set_size (self->joined, 0);
}

/* The join addresses without their port (cr-server-addresses.c), read again
 * now and then: interfaces come and go. */
static void
refresh_addresses (CrDiscoveryResponder *self,
                   gint64                now)
{
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) joins = NULL;

  if (self->addresses != NULL && now - self->addresses_time < ADDRESSES_REFRESH_US)
    return;
  self->addresses_time = now;
  g_clear_pointer (&self->addresses, g_strfreev);

  local = g_socket_get_local_address (self->socket, NULL);
  if (local != NULL)
    joins = _cr_server_list_join_addresses (local);
  for (guint i = 0; joins != NULL && joins[i] != NULL; i++)
    {
      char *colon = strrchr (joins[i], ':');
      char *host = joins[i];

      if (colon == NULL)
        continue;
      *colon = '\0';
      if (*host == '[')
        {
          host++;
          host[strlen (host) - 1] = '\0';
        }
      g_strv_builder_add (builder, host);
    }
  self->addresses = g_strv_builder_end (builder);
}

static void
fill_room (CrDiscoveryResponder *self,
           CrDiscoveryRoom      *room,
           CrDiscoveryRoomKind   kind,
           gint64                now)
{
  refresh_addresses (self, now);
  self->info_func (room, self->user_data);
  room->kind = kind;
  room->id = g_strdup (self->id);
  room->dialect = CR_PROTOCOL_VERSION;
  room->port = self->port;
  room->addresses = g_strdupv (self->addresses);
}

/* One token from the source's bucket; FALSE when it is empty. */
static gboolean
take_token (CrDiscoveryResponder *self,
            GInetAddress         *inet,
            gint64                now)
{
  g_autofree char *key = g_inet_address_to_string (inet);
  Bucket *bucket = g_hash_table_lookup (self->buckets, key);

  if (bucket == NULL)
    {
      if (g_hash_table_size (self->buckets) >= CR_DISCOVERY_SOURCES_MAX)
        {
          GHashTableIter iter;
          gpointer value;

          /* Forget the sources whose buckets have filled up again. */
          g_hash_table_iter_init (&iter, self->buckets);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            if (now - ((Bucket *) value)->last >
                CR_DISCOVERY_ANSWER_BURST / CR_DISCOVERY_ANSWER_RATE * G_TIME_SPAN_SECOND)
              g_hash_table_iter_remove (&iter);
          if (g_hash_table_size (self->buckets) >= CR_DISCOVERY_SOURCES_MAX)
            return FALSE;
        }
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = CR_DISCOVERY_ANSWER_BURST;
      bucket->last = now;
      g_hash_table_insert (self->buckets, g_steal_pointer (&key), bucket);
    }

  bucket->tokens = MIN ((double) CR_DISCOVERY_ANSWER_BURST,
                        bucket->tokens + (now - bucket->last) * CR_DISCOVERY_ANSWER_RATE /
                                         G_TIME_SPAN_SECOND);
  bucket->last = now;
  if (bucket->tokens < 1.0)
    return FALSE;
  bucket->tokens -= 1.0;
  return TRUE;
}

CrDiscoveryResponder *
cr_discovery_responder_new (GSocket             *socket,
                            CrDiscoveryInfoFunc  info_func,
                            gpointer             user_data)
{
  g_autoptr(GSocketAddress) local = NULL;
  CrDiscoveryResponder *self;
  guint8 id[8];

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (info_func != NULL, NULL);

  self = g_new0 (CrDiscoveryResponder, 1);
  self->socket = socket;
  self->info_func = info_func;
  self->user_data = user_data;
  self->joined = g_ptr_array_new_with_free_func (g_free);
  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  randombytes_buf (id, sizeof id);
  for (guint i = 0; i < sizeof id; i++)
    g_snprintf (self->id + 2 * i, 3, "%02x", id[i]);

  local = g_socket_get_local_address (socket, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (local))
    {
      GInetAddress *bound = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));

      self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
      self->wildcard = g_inet_address_get_is_any (bound);
    }
  /* Link-scoped: no router passes on what the room says unasked. */
  g_socket_set_broadcast (socket, TRUE);
  g_socket_set_multicast_ttl (socket, 1);
  g_socket_set_multicast_loopback (socket, TRUE);
  return self;
}

void
cr_discovery_responder_free (CrDiscoveryResponder *self)
{
  if (self == NULL)
    return;
  leave_groups (self);
  g_clear_pointer (&self->avahi, cr_discovery_avahi_withdraw);
  g_ptr_array_unref (self->joined);
  g_strfreev (self->addresses);
  g_hash_table_unref (self->buckets);
  g_free (self);
}

void
cr_discovery_responder_set_enabled (CrDiscoveryResponder *self,
                                    gboolean              enabled)
{
  g_return_if_fail (self != NULL);

  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  if (!enabled)
    {
      /* Say goodbye while still allowed to speak. */
      cr_discovery_responder_announce (self, CR_DISCOVERY_CLOSE);
      self->enabled = FALSE;
      leave_groups (self);
      g_clear_pointer (&self->avahi, cr_discovery_avahi_withdraw);
    }
  else
    {
      self->enabled = TRUE;
      join_groups (self);
      if (self->wildcard)
        {
          CrDiscoveryRoom room = { 0 };

          self->info_func (&room, self->user_data);
          self->avahi = cr_discovery_avahi_publish (room.name ? room.name : "", room.owner,
                                                    room.registration, self->port);
          cr_discovery_room_clear (&room);
        }
    }
}

gboolean
cr_discovery_responder_get_enabled (CrDiscoveryResponder *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->enabled;
}

gboolean
cr_discovery_responder_receive (CrDiscoveryResponder *self,
                                const guint8         *data,
                                gsize                 len,
                                GSocketAddress       *from,
                                gint64                now,
                                GPtrArray            *out)
{
  g_autofree char *nonce = NULL;
  CrDiscoveryRoom room = { 0 };
  GBytes *answer;
  CrDatagram *datagram;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  switch (cr_discovery_parse (data, len, &nonce, NULL))
    {
    case CR_DISCOVERY_NONE:
      return FALSE;
    case CR_DISCOVERY_INVALID:
      self->stats.malformed++;
      return TRUE;
    case CR_DISCOVERY_ROOM:
      return TRUE;   /* another room's announcement, or our own looped back */
    case CR_DISCOVERY_PROBE:
    default:
      break;
    }

  self->stats.probes++;
  if (!self->enabled || !G_IS_INET_SOCKET_ADDRESS (from))
    return TRUE;
  if (!take_token (self, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (from)), now))
    {
      self->stats.rate_limited++;
      return TRUE;
    }

  fill_room (self, &room, CR_DISCOVERY_ANSWER, now);
  room.nonce = g_steal_pointer (&nonce);
  answer = cr_discovery_room_build (&room, 3 * len);
  cr_discovery_room_clear (&room);
  if (answer == NULL)
    {
      self->stats.too_short++;
      return TRUE;
    }

  datagram = g_new0 (CrDatagram, 1);
  datagram->to = g_object_ref (from);
  datagram->data = answer;
  g_ptr_array_add (out, datagram);
  self->stats.answered++;
  return TRUE;
}

static void
send_one (CrDiscoveryResponder *self,
          GSocketAddress       *to,
          GBytes               *data)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  if (g_socket_send_to (self->socket, to, bytes, len, NULL, &error) < 0)
    g_debug ("Announcing: %s", error->message);
  else
    self->stats.announced++;
}

void
cr_discovery_responder_announce (CrDiscoveryResponder *self,
                                 CrDiscoveryRoomKind   kind)
{
  g_autoptr(GPtrArray) ifaces = NULL;
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V4);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string (CR_DISCOVERY_GROUP_V6);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  GInetAddress *bound = NULL;
  CrDiscoveryRoom room = { 0 };
  gboolean is_v6;

  g_return_if_fail (self != NULL);
  g_return_if_fail (kind == CR_DISCOVERY_OPEN || kind == CR_DISCOVERY_CLOSE);

  if (!self->enabled)
    return;
  local = g_socket_get_local_address (self->socket, NULL);
  if (local == NULL)
    return;
  bound = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  if (g_inet_address_get_is_loopback (bound))
    return;   /* nobody else could join it */

  fill_room (self, &room, kind, g_get_monotonic_time ());
  data = cr_discovery_room_build (&room, CR_DISCOVERY_MAX);
  cr_discovery_room_clear (&room);
  if (data == NULL)
    return;

  is_v6 = g_socket_get_family (self->socket) == G_SOCKET_FAMILY_IPV6;
  ifaces = cr_discovery_list_interfaces ();
  for (guint i = 0; i < ifaces->len; i++)
    {
      CrDiscoveryInterface *iface = ifaces->pdata[i];
      gboolean serves = self->wildcard;

      for (guint a = 0; a < iface->ipv4->len && !serves; a++)
        serves = g_inet_address_equal (iface->ipv4->pdata[a], bound);
      if (!serves)
        continue;

      for (guint b = 0; b < iface->broadcast->len; b++)
        {
          g_autoptr(GSocketAddress) to =
            cr_discovery_target (self->socket, iface->broadcast->pdata[b],
                                 CR_DISCOVERY_ANNOUNCE_PORT);

          send_one (self, to, data);
        }
      if (!self->wildcard || !iface->multicast)
        continue;
      if (iface->ipv4->len > 0 &&
          cr_discovery_set_multicast_interface (self->socket, G_SOCKET_FAMILY_IPV4, iface->index))
        {
          g_autoptr(GSocketAddress) to =
            cr_discovery_target (self->socket, v4, CR_DISCOVERY_ANNOUNCE_PORT);

          send_one (self, to, data);
        }
      if (is_v6 && iface->ipv6 &&
          cr_discovery_set_multicast_interface (self->socket, G_SOCKET_FAMILY_IPV6, iface->index))
        {
          g_autoptr(GSocketAddress) to = g_inet_socket_address_new (v6, CR_DISCOVERY_ANNOUNCE_PORT);

          send_one (self, to, data);
        }
    }
}

gboolean
_cr_discovery_responder_get_published (CrDiscoveryResponder *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->avahi != NULL && cr_discovery_avahi_get_committed (self->avahi);
}

void
cr_discovery_responder_get_stats (CrDiscoveryResponder *self,
                                  CrDiscoveryStats     *stats)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}
