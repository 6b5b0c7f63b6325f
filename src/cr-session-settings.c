/* cr-session-settings.c: the one route from the app's settings to the room
 * it hosts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The owner view writes GSettings only (cr-owner-page.c); what a running
 * room must follow live is bound here, settings → server, when the session
 * starts it (cr-session.c). The port and "this computer only" are read at
 * the start instead: a room cannot move while it runs.
 */
#define G_LOG_DOMAIN "cr-session"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-files.h"
#include "cr-session.h"

/* 1 MB in the settings is a million bytes, as chatroomd's --max-file-mb. */
#define MB G_GUINT64_CONSTANT (1000000)

static gboolean
room_name_from_setting (GValue   *value,
                        GVariant *variant,
                        gpointer  user_data)
{
  CrServer *server = user_data;
  const char *name = g_variant_get_string (variant, NULL);
  g_autofree char *owner = NULL;

  if (name[0] != '\0')
    {
      g_value_set_string (value, name);
      return TRUE;
    }

  g_object_get (server, "owner-name", &owner, NULL);
  /* Translators: the default name of a room you host; %s is your nickname */
  g_value_take_string (value, g_strdup_printf (_("%s's room"),
                                               owner != NULL ? owner : g_get_user_name ()));
  return TRUE;
}

/* The shared files' limits: the room's CrFiles exists only while it runs
 * with a data dir, so they are applied when it starts and on each change. */
static void
apply_file_limits (CrServer  *server,
                   GSettings *settings)
{
  CrFiles *files = cr_server_get_files (server);

  if (files == NULL)
    return;

  cr_files_set_max_size (files, g_settings_get_uint (settings, "file-max-size") * MB);
  cr_files_set_quota (files, g_settings_get_uint (settings, "file-quota") * MB);
  cr_files_set_policy (files, (CrFilesPolicy) g_settings_get_enum (settings, "file-share-policy"));
}

static void
on_file_setting_changed (GSettings  *settings,
                         const char *key,
                         CrServer   *server)
{
  if (g_str_has_prefix (key, "file-"))
    apply_file_limits (server, settings);
}

static void
on_server_notify_running (CrServer   *server,
                          GParamSpec *pspec,
                          GSettings  *settings)
{
  apply_file_limits (server, settings);
}

void
cr_session_bind_server_settings (GSettings *settings,
                                 CrServer  *server)
{
  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (CR_IS_SERVER (server));

  /* Settings → server only: the owner view writes the settings, and a
   * name the server falls back to is not written back as a choice. The
   * bindings go with the server. */
  g_settings_bind_with_mapping (settings, "room-name", server, "room-name",
                                G_SETTINGS_BIND_GET, room_name_from_setting, NULL,
                                server, NULL);
  g_settings_bind (settings, "require-registration", server, "require-registration",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "history-length", server, "history-length",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "allow-classic", server, "allow-classic", G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "discoverable", server, "discoverable", G_SETTINGS_BIND_GET);
  g_settings_bind (settings, "max-members", server, "max-members", G_SETTINGS_BIND_GET);

  /* The handlers go with the server too (it is their instance). */
  g_signal_connect_object (settings, "changed", G_CALLBACK (on_file_setting_changed),
                           server, 0);
  g_signal_connect_object (server, "notify::running", G_CALLBACK (on_server_notify_running),
                           settings, 0);
  apply_file_limits (server, settings);
}
