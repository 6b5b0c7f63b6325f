/* cr-discovery-avahi.c: a room published as DNS-SD _chatroom._udp through
 * avahi-daemon's D-Bus API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Other service browsers (avahi-browse, file managers, phones) see the
 * room this way; our own discovery never depends on it. No library is
 * linked: three calls on org.freedesktop.Avahi (Server.EntryGroupNew,
 * EntryGroup.AddService, EntryGroup.Commit) and EntryGroup.Free to
 * withdraw, all without auto-starting anything. Every failure (no system
 * bus, no avahi-daemon, a refusal) is a debug message and nothing else.
 */
#define G_LOG_DOMAIN "cr-discovery"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"

#include "cr-discovery-avahi.h"

#define AVAHI_NAME       "org.freedesktop.Avahi"
#define AVAHI_SERVER     "org.freedesktop.Avahi.Server"
#define AVAHI_GROUP      "org.freedesktop.Avahi.EntryGroup"
#define AVAHI_IF_UNSPEC    (-1)
#define AVAHI_PROTO_UNSPEC (-1)
#define CALL_TIMEOUT_MS  5000
#define SERVICE_NAME_MAX 63      /* a DNS label */

struct _CrDiscoveryAvahi
{
  GDBusConnection *connection;
  GCancellable    *cancellable;
  char            *name;
  char            *owner;
  gboolean         registration;
  guint16          port;
  char            *group_path;
  guint            attempt;      /* a name taken: once more with the port in it */
  gboolean         withdrawn;
  gboolean         committed;
};

static void
avahi_clear (gpointer data)
{
  CrDiscoveryAvahi *self = data;

  g_clear_object (&self->connection);
  g_clear_object (&self->cancellable);
  g_free (self->name);
  g_free (self->owner);
  g_free (self->group_path);
}

static void
avahi_release (CrDiscoveryAvahi *self)
{
  g_rc_box_release_full (self, avahi_clear);
}

static void
on_freed (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GDBusConnection) connection = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (connection, result, &error);

  if (reply == NULL)
    g_debug ("DNS-SD: withdrawing: %s", error->message);
}

/* The call holds the connection until answered: the last reference to a
 * bus connection closes it, and what was queued on it is lost. */
static void
free_group (CrDiscoveryAvahi *self)
{
  if (self->connection == NULL || self->group_path == NULL)
    return;
  g_dbus_connection_call (self->connection, AVAHI_NAME, self->group_path, AVAHI_GROUP, "Free",
                          NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                          NULL, on_freed, g_object_ref (self->connection));
  g_clear_pointer (&self->group_path, g_free);
}

/* The service name: a DNS label of at most 63 bytes, cut between
 * characters; the second attempt says the port. */
static char *
service_name (CrDiscoveryAvahi *self)
{
  g_autofree char *base = NULL;
  GString *out = g_string_new (NULL);

  base = self->attempt == 0 ? g_strdup (self->name)
                            : g_strdup_printf ("%s (%u)", self->name, self->port);
  for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize n = g_utf8_next_char (p) - p;

      if (out->len + n > SERVICE_NAME_MAX)
        break;
      g_string_append_len (out, p, n);
    }
  return g_string_free (out, FALSE);
}

static GVariant *
txt_records (CrDiscoveryAvahi *self)
{
  g_autofree char *dialect = g_strdup_printf ("dialect=%d", CR_PROTOCOL_VERSION);
  g_autofree char *owner = g_strdup_printf ("owner=%s", self->owner);
  const char *records[] = { dialect, self->registration ? "reg=1" : "reg=0", owner };
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aay"));
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      /* A TXT string is at most 255 bytes. */
      gsize len = MIN (strlen (records[i]), 255);

      g_variant_builder_add_value (&builder,
                                   g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, records[i],
                                                              len, 1));
    }
  return g_variant_builder_end (&builder);
}

static void add_service (CrDiscoveryAvahi *self);

static void
on_committed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CrDiscoveryAvahi *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  if (reply == NULL)
    g_debug ("DNS-SD: committing: %s", error->message);
  else if (!self->withdrawn)
    self->committed = TRUE;
  avahi_release (self);
}

static void
on_added (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  CrDiscoveryAvahi *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);
  g_autofree char *remote = NULL;

  if (reply == NULL)
    {
      remote = g_dbus_error_get_remote_error (error);
      if (!self->withdrawn && self->attempt == 0 &&
          g_strcmp0 (remote, "org.freedesktop.Avahi.CollisionError") == 0)
        {
          self->attempt++;
          add_service (self);
        }
      else
        g_debug ("DNS-SD: adding the service: %s", error->message);
      avahi_release (self);
      return;
    }
  if (!self->withdrawn)
    g_dbus_connection_call (self->connection, AVAHI_NAME, self->group_path, AVAHI_GROUP,
                            "Commit", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                            CALL_TIMEOUT_MS, self->cancellable, on_committed,
                            g_rc_box_acquire (self));
  avahi_release (self);
}

static void
add_service (CrDiscoveryAvahi *self)
{
  g_autofree char *name = service_name (self);

  g_dbus_connection_call (self->connection, AVAHI_NAME, self->group_path, AVAHI_GROUP,
                          "AddService",
                          g_variant_new ("(iiussssq@aay)", AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                         0u, name, CR_DNSSD_TYPE, "", "", self->port,
                                         txt_records (self)),
                          NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS,
                          self->cancellable, on_added, g_rc_box_acquire (self));
}

static void
on_group_new (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CrDiscoveryAvahi *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                             &error);

  if (reply == NULL)
    {
      g_debug ("DNS-SD: no avahi-daemon to publish with: %s", error->message);
      avahi_release (self);
      return;
    }
  g_variant_get (reply, "(o)", &self->group_path);
  /* Not cancellable, so a group made meanwhile is never left behind. */
  if (self->withdrawn)
    free_group (self);
  else
    add_service (self);
  avahi_release (self);
}

static void
on_bus (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  CrDiscoveryAvahi *self = user_data;
  g_autoptr(GError) error = NULL;

  self->connection = g_bus_get_finish (result, &error);
  if (self->connection == NULL)
    g_debug ("DNS-SD: no system bus: %s", error->message);
  else if (!self->withdrawn)
    g_dbus_connection_call (self->connection, AVAHI_NAME, "/", AVAHI_SERVER, "EntryGroupNew",
                            NULL, G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                            CALL_TIMEOUT_MS, NULL, on_group_new, g_rc_box_acquire (self));
  avahi_release (self);
}

CrDiscoveryAvahi *
cr_discovery_avahi_publish (const char *name,
                            const char *owner,
                            gboolean    registration,
                            guint16     port)
{
  CrDiscoveryAvahi *self;

  g_return_val_if_fail (name != NULL && g_utf8_validate (name, -1, NULL), NULL);
  g_return_val_if_fail (port != 0, NULL);

  self = g_rc_box_new0 (CrDiscoveryAvahi);
  self->name = *name != '\0' ? g_strdup (name) : g_strdup ("Chat Room");
  self->owner = g_strdup (owner && g_utf8_validate (owner, -1, NULL) ? owner : "");
  self->registration = registration;
  self->port = port;
  self->cancellable = g_cancellable_new ();

  if (g_strcmp0 (g_getenv ("CHATROOM_NO_AVAHI"), "1") == 0)
    return self;
  g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, on_bus, g_rc_box_acquire (self));
  return self;
}

void
cr_discovery_avahi_withdraw (CrDiscoveryAvahi *self)
{
  if (self == NULL)
    return;
  self->withdrawn = TRUE;
  self->committed = FALSE;
  g_cancellable_cancel (self->cancellable);
  free_group (self);
  avahi_release (self);
}

gboolean
cr_discovery_avahi_get_committed (CrDiscoveryAvahi *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->committed;
}
