/* cr-room-browser-room.c: CrFoundRoom, a room one browser found
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read-only to everyone but its browser (cr-room-browser.c), which makes
 * and updates it from what the room says (cr-room-browser-private.h);
 * every change is notified, so rows follow it in place.
 */
#define G_LOG_DOMAIN "cr-room-browser"

#include "config.h"

#include "cr-room-browser-private.h"
#include "cr-room-browser.h"

struct _CrFoundRoom
{
  GObject       parent_instance;

  char         *id;
  char         *name;
  char         *owner;
  guint         members;
  gboolean      registration;
  char         *address;
  char         *interface;
  gboolean      link_local;

  GInetAddress *source;      /* where its answers come from */
  gint64        last_seen;   /* monotonic µs */
};

G_DEFINE_FINAL_TYPE (CrFoundRoom, cr_found_room, G_TYPE_OBJECT)

enum {
  ROOM_PROP_0,
  ROOM_PROP_ID,
  ROOM_PROP_NAME,
  ROOM_PROP_OWNER,
  ROOM_PROP_MEMBERS,
  ROOM_PROP_REGISTRATION,
  ROOM_PROP_ADDRESS,
  ROOM_PROP_INTERFACE,
  ROOM_PROP_LINK_LOCAL,
  ROOM_N_PROPS
};

static GParamSpec *room_properties[ROOM_N_PROPS];

static void
cr_found_room_finalize (GObject *object)
{
  CrFoundRoom *self = CR_FOUND_ROOM (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->owner);
  g_free (self->address);
  g_free (self->interface);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (cr_found_room_parent_class)->finalize (object);
}

static void
cr_found_room_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CrFoundRoom *self = CR_FOUND_ROOM (object);

  switch (prop_id)
    {
    case ROOM_PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case ROOM_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case ROOM_PROP_OWNER:
      g_value_set_string (value, self->owner);
      break;
    case ROOM_PROP_MEMBERS:
      g_value_set_uint (value, self->members);
      break;
    case ROOM_PROP_REGISTRATION:
      g_value_set_boolean (value, self->registration);
      break;
    case ROOM_PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case ROOM_PROP_INTERFACE:
      g_value_set_string (value, self->interface);
      break;
    case ROOM_PROP_LINK_LOCAL:
      g_value_set_boolean (value, self->link_local);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_found_room_class_init (CrFoundRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cr_found_room_finalize;
  object_class->get_property = cr_found_room_get_property;

  room_properties[ROOM_PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  room_properties[ROOM_PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  room_properties[ROOM_PROP_OWNER] = g_param_spec_string ("owner", NULL, NULL, NULL, flags);
  room_properties[ROOM_PROP_MEMBERS] =
    g_param_spec_uint ("members", NULL, NULL, 0, G_MAXUINT, 0, flags);
  room_properties[ROOM_PROP_REGISTRATION] =
    g_param_spec_boolean ("registration", NULL, NULL, FALSE, flags);
  room_properties[ROOM_PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, NULL, flags);
  room_properties[ROOM_PROP_INTERFACE] =
    g_param_spec_string ("interface", NULL, NULL, NULL, flags);
  room_properties[ROOM_PROP_LINK_LOCAL] =
    g_param_spec_boolean ("link-local", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, ROOM_N_PROPS, room_properties);
}

static void
cr_found_room_init (CrFoundRoom *self)
{
}

const char *
cr_found_room_get_id (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->id;
}

const char *
cr_found_room_get_name (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->name;
}

const char *
cr_found_room_get_owner (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->owner;
}

guint
cr_found_room_get_members (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), 0);
  return self->members;
}

gboolean
cr_found_room_get_registration (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), FALSE);
  return self->registration;
}

const char *
cr_found_room_get_address (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->address;
}

const char *
cr_found_room_get_interface (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->interface;
}

gboolean
cr_found_room_get_link_local (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), FALSE);
  return self->link_local;
}

/* Set a string property, notifying only on a change. */
static gboolean
room_set_string (CrFoundRoom  *self,
                 char        **field,
                 const char   *value,
                 guint         prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), room_properties[prop]);
  return TRUE;
}

/* Private API (cr-room-browser-private.h) */

CrFoundRoom *
_cr_found_room_new (const CrDiscoveryRoom *info,
                    GInetAddress          *source,
                    const char            *address,
                    const char            *ifname,
                    gboolean               link_local)
{
  CrFoundRoom *self = g_object_new (CR_TYPE_FOUND_ROOM, NULL);

  self->id = g_strdup (info->id);
  self->name = g_strdup (info->name);
  self->owner = g_strdup (info->owner);
  self->members = info->members;
  self->registration = info->registration;
  self->address = g_strdup (address);
  self->interface = g_strdup (ifname);
  self->link_local = link_local;
  self->source = g_object_ref (source);
  self->last_seen = g_get_monotonic_time ();
  return self;
}

gboolean
_cr_found_room_update (CrFoundRoom           *self,
                       const CrDiscoveryRoom *info,
                       GInetAddress          *source,
                       const char            *address,
                       const char            *ifname,
                       gboolean               link_local)
{
  gboolean better;
  gboolean moved = FALSE;

  self->last_seen = g_get_monotonic_time ();
  g_object_freeze_notify (G_OBJECT (self));
  /* Heard on several paths (broadcast and multicast, IPv4 and IPv6, two
   * networks): keep the best, IPv4 before IPv6 on the same footing. */
  better = (self->link_local && !link_local) ||
           (self->link_local == link_local &&
            g_inet_address_get_family (self->source) == G_SOCKET_FAMILY_IPV6 &&
            g_inet_address_get_family (source) == G_SOCKET_FAMILY_IPV4);
  if (better || g_inet_address_equal (self->source, source))
    {
      g_set_object (&self->source, source);
      moved |= room_set_string (self, &self->address, address, ROOM_PROP_ADDRESS);
      room_set_string (self, &self->interface, ifname, ROOM_PROP_INTERFACE);
      if (self->link_local != link_local)
        {
          self->link_local = link_local;
          moved = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), room_properties[ROOM_PROP_LINK_LOCAL]);
        }
    }
  moved |= room_set_string (self, &self->name, info->name, ROOM_PROP_NAME);
  room_set_string (self, &self->owner, info->owner, ROOM_PROP_OWNER);
  if (self->members != info->members)
    {
      self->members = info->members;
      g_object_notify_by_pspec (G_OBJECT (self), room_properties[ROOM_PROP_MEMBERS]);
    }
  if (self->registration != info->registration)
    {
      self->registration = info->registration;
      g_object_notify_by_pspec (G_OBJECT (self), room_properties[ROOM_PROP_REGISTRATION]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return moved;
}

GInetAddress *
_cr_found_room_get_source (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), NULL);
  return self->source;
}

gint64
_cr_found_room_get_last_seen (CrFoundRoom *self)
{
  g_return_val_if_fail (CR_IS_FOUND_ROOM (self), 0);
  return self->last_seen;
}
