/* cr-owner-page.c
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page is the owner's side of a hosted room. The session owns the
 * CrServer (cr-session.c: it starts it and binds its live settings to
 * GSettings) and the window hands it over as the "server" property. The
 * members' tab (the member list and what the owner does to a member) is
 * cr-owner-page-members.c. The settings widgets only write GSettings; port
 * and "this computer only" take effect when the next room starts.
 *
 * Two tabs: the members (a search, then the list, the locked and the banned
 * names) and the room (an announcement, the settings, "Stop Hosting"), so
 * with 200 members the settings are one click away. Where others join and
 * a storage problem stay above both.
 *
 * Announce: the entry's Enter and the button send an announcement
 * (cr_server_announce), which clients show apart from the chat. The owner
 * chats in the chat's own composer: the page has no second one.
 *
 * Join addresses: loopback ones reach the room from this computer only, so
 * they are never listed as where "others join"
 * (_cr_server_join_address_is_local).
 */

#define G_LOG_DOMAIN "cr-owner-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-server-addresses.h"
#include "cr-owner-moderation.h"
#include "cr-owner-page-private.h"

#define SCHEMA_ID "io.github.chatroom.ChatRoom"

G_DEFINE_FINAL_TYPE (CrOwnerPage, cr_owner_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SERVER,
  N_PROPS
};

enum {
  STOP_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

gboolean
_cr_owner_page_server_running (CrOwnerPage *self)
{
  return self->server != NULL && cr_server_get_running (self->server);
}

void
_cr_owner_page_show_toast (CrOwnerPage *self,
                           const char  *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A refusal from the server, in the user's language. */
void
_cr_owner_page_show_error (CrOwnerPage  *self,
                           const GError *error)
{
  g_autofree char *text = NULL;

  g_assert (error != NULL);

  if (error->domain == CR_SERVER_ERROR &&
      error->code > CR_REASON_NONE && error->code <= CR_REASON_LAST)
    text = cr_render_reason ((CrReason) error->code, NULL);
  else
    text = g_strdup (error->message);

  _cr_owner_page_show_toast (self, text);
}

static void
update_actions (CrOwnerPage *self)
{
  gboolean running = _cr_owner_page_server_running (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.announce", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.mute", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.unmute", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.mute-for", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.admin", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.unadmin", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.kick", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.ban", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.unban", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.unlock", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.copy-address",
                                 running && self->first_address != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "owner.stop", running);
}

static void
update_status (CrOwnerPage *self)
{
  g_auto(GStrv) addresses = NULL;
  g_autoptr(GPtrArray) others = g_ptr_array_new ();
  const char *local = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *fingerprint = NULL;

  g_clear_pointer (&self->first_address, g_free);

  if (!_cr_owner_page_server_running (self))
    {
      gtk_label_set_label (self->status_title, _("The room is not running"));
      gtk_widget_set_visible (GTK_WIDGET (self->address_box), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->status_hint), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->key_label), FALSE);
      update_actions (self);
      return;
    }

  /* Loopback reaches the room from this computer only: never an address
   * to give others. */
  addresses = cr_server_dup_join_addresses (self->server);
  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    {
      if (!_cr_server_join_address_is_local (addresses[i]))
        g_ptr_array_add (others, addresses[i]);
      else if (local == NULL)
        local = addresses[i];
    }
  g_ptr_array_add (others, NULL);

  if (others->len > 1)
    {
      self->first_address = g_strdup (others->pdata[0]);
      gtk_label_set_label (self->status_title,
                           ngettext ("Others join at", "Others join at one of",
                                     others->len - 1));
      joined = g_strjoinv ("\n", (char **) others->pdata);
      gtk_label_set_label (self->addresses_label, joined);
      gtk_widget_set_visible (GTK_WIDGET (self->address_box), TRUE);
      /* Translators: %u is a UDP port number */
      hint = g_strdup_printf (_("If nobody can reach the room, let UDP port %u through "
                                "this computer's firewall."),
                              (guint) cr_server_get_port (self->server));
    }
  else if (local != NULL)
    {
      self->first_address = g_strdup (local);
      gtk_label_set_label (self->status_title, _("Only this computer can join, at"));
      gtk_label_set_label (self->addresses_label, local);
      gtk_widget_set_visible (GTK_WIDGET (self->address_box), TRUE);
      hint = g_strdup (_("Nobody else on the network can reach this room. To let "
                         "others in, turn off “This computer only” and host again."));
    }
  else
    {
      gtk_label_set_label (self->status_title, _("The room is running"));
      gtk_widget_set_visible (GTK_WIDGET (self->address_box), FALSE);
    }

  gtk_label_set_label (self->status_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_hint), hint != NULL);

  /* What members compare on their first join (cr-crypto.h). */
  fingerprint = cr_server_dup_fingerprint (self->server);
  if (fingerprint != NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is the room key's fingerprint, groups of digits */
      text = g_strdup_printf (_("Room key: %s"), fingerprint);
      gtk_label_set_label (self->key_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->key_label), fingerprint != NULL);

  update_actions (self);
}

/* The disk refuses what the room must keep: a banner for as long as it
 * lasts (message NULL: the room's own sentence is not known, say it
 * generally); a toast when it works again. */
static void
show_storage (CrOwnerPage *self,
              gboolean     ok,
              const char  *message)
{
  if (!ok)
    gtk_label_set_label (self->storage_label,
                         message != NULL && message[0] != '\0'
                         ? message
                         : _("The room cannot save its history: messages are relayed "
                             "but not kept."));
  gtk_revealer_set_reveal_child (self->storage_revealer, !ok);
  gtk_widget_set_visible (GTK_WIDGET (self->storage_revealer), !ok);
}

static void
on_server_storage_warning (CrOwnerPage *self,
                           gboolean     ok,
                           const char  *message)
{
  show_storage (self, ok, message);
  if (ok && message != NULL && message[0] != '\0')
    _cr_owner_page_show_toast (self, message);
}

static void
on_server_storage_ok_changed (CrOwnerPage *self)
{
  gboolean ok = TRUE;

  if (self->server != NULL)
    g_object_get (self->server, "storage-ok", &ok, NULL);
  /* A failure keeps the sentence "storage-warning" gave just before. */
  if (ok != !gtk_revealer_get_reveal_child (self->storage_revealer))
    show_storage (self, ok, NULL);
}

static void
on_server_running_changed (CrOwnerPage *self)
{
  update_status (self);
  _cr_owner_page_members_update (self);
}

/* The row's text set by the page, not typed: the row counts any change
 * made while it has the focus as an edit and shows its apply button (✓)
 * again, even right after an apply. Turning the button off for the change
 * clears that (adw_entry_row_set_show_apply_button). */
static void
set_room_name_text (CrOwnerPage *self,
                    const char  *name)
{
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->room_name_row)), name) == 0)
    return;
  adw_entry_row_set_show_apply_button (self->room_name_row, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->room_name_row), name);
  adw_entry_row_set_show_apply_button (self->room_name_row, TRUE);
}

static void
show_room_name (CrOwnerPage *self)
{
  const char *name = self->server != NULL ? cr_server_get_room_name (self->server) : NULL;

  if (name != NULL)
    set_room_name_text (self, name);
}

/* The name goes to the settings only: the session binds them to the
 * running room, which then says its new name (show_room_name). */
static void
on_room_name_row_apply (CrOwnerPage *self)
{
  g_autofree char *name = NULL;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->room_name_row))));

  if (name[0] == '\0' || g_utf8_strlen (name, -1) > 64 || self->settings == NULL)
    {
      g_autofree char *current = NULL;

      /* Refused: put back the name in force. */
      if (self->settings != NULL)
        _cr_owner_page_show_toast (self, _("A room name has 1 to 64 characters"));
      if (self->server != NULL)
        current = g_strdup (cr_server_get_room_name (self->server));
      else if (self->settings != NULL)
        current = g_settings_get_string (self->settings, "room-name");
      set_room_name_text (self, current != NULL ? current : "");
      return;
    }

  set_room_name_text (self, name);
  g_settings_set_string (self->settings, "room-name", name);
}

static void
on_announce_entry_activate (CrOwnerPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "owner.announce", NULL);
}

static void
announce_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  const char *text;

  if (!_cr_owner_page_server_running (self))
    return;

  text = gtk_editable_get_text (GTK_EDITABLE (self->announce_entry));
  if (text[0] == '\0')
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->announce_entry));
      return;
    }

  if (!cr_server_announce (self->server, text, &error))
    {
      /* Keep the text so the owner can fix it and try again. */
      _cr_owner_page_show_error (self, error);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->announce_entry), "");
}

static void
copy_address_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);

  if (self->first_address == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->first_address);
  _cr_owner_page_show_toast (self, _("Address copied"));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  g_signal_emit (widget, signals[STOP_REQUESTED], 0);
}

/* "Who may share files": the combo row's items in the order of the
 * setting's nicks (CrFilesPolicy's values). */
static const char * const share_policies[] = { "everyone", "registered", "owner" };

static gboolean
share_policy_to_row (GValue   *value,
                     GVariant *variant,
                     gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (share_policies); i++)
    if (g_str_equal (nick, share_policies[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
share_policy_from_row (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (share_policies))
    return NULL;
  return g_variant_new_string (share_policies[selected]);
}

/* The room's limits: the session applies them to the running room
 * (cr-session-settings.c). */
static void
bind_limits (CrOwnerPage *self)
{
  g_settings_bind (self->settings, "max-members",
                   gtk_spin_button_get_adjustment (self->max_members_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "file-max-size",
                   gtk_spin_button_get_adjustment (self->file_max_size_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "file-quota",
                   gtk_spin_button_get_adjustment (self->file_quota_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "file-share-policy",
                                self->share_policy_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                share_policy_to_row, share_policy_from_row, NULL, NULL);
}

static void
cr_owner_page_dispose (GObject *object)
{
  CrOwnerPage *self = CR_OWNER_PAGE (object);

  if (self->server_signals != NULL)
    g_signal_group_set_target (self->server_signals, NULL);
  _cr_owner_page_members_dispose (self);
  g_clear_object (&self->server);
  g_clear_object (&self->server_signals);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->first_address, g_free);

  G_OBJECT_CLASS (cr_owner_page_parent_class)->dispose (object);
}

static void
cr_owner_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CrOwnerPage *self = CR_OWNER_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVER:
      g_value_set_object (value, self->server);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CrOwnerPage *self = CR_OWNER_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVER:
      cr_owner_page_set_server (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_page_class_init (CrOwnerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_owner_page_dispose;
  object_class->get_property = cr_owner_page_get_property;
  object_class->set_property = cr_owner_page_set_property;

  properties[PROP_SERVER] =
    g_param_spec_object ("server", NULL, NULL,
                         CR_TYPE_SERVER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CrOwnerPage::stop-requested:
   *
   * The owner asked to stop hosting; the window confirms and stops.
   */
  signals[STOP_REQUESTED] =
    g_signal_new ("stop-requested",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-owner-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, storage_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, storage_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, status_title);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, address_box);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, addresses_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, status_hint);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, key_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, member_search);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, members_group);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, members_stack);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, members_list);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, members_placeholder);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, locked_group);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, locked_list);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, banned_group);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, banned_list);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, announce_entry);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, room_name_row);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, require_registration_switch);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, allow_classic_switch);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, history_spin);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, max_members_spin);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, file_max_size_spin);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, file_quota_spin);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, share_policy_row);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, port_spin);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, local_only_switch);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerPage, discoverable_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_room_name_row_apply);

  gtk_widget_class_install_action (widget_class, "owner.announce", NULL, announce_action);
  _cr_owner_page_members_class_init (widget_class);
  gtk_widget_class_install_action (widget_class, "owner.copy-address", NULL, copy_address_action);
  gtk_widget_class_install_action (widget_class, "owner.stop", NULL, stop_action);

  g_type_ensure (CR_TYPE_OWNER_MODERATION);
}

static void
cr_owner_page_init (CrOwnerPage *self)
{
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The server changes with every room hosted: one group follows it. */
  self->server_signals = g_signal_group_new (CR_TYPE_SERVER);
  g_signal_group_connect_object (self->server_signals, "notify::running",
                                 G_CALLBACK (on_server_running_changed), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "notify::port",
                                 G_CALLBACK (on_server_running_changed), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "stopped",
                                 G_CALLBACK (on_server_running_changed), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "notify::room-name",
                                 G_CALLBACK (show_room_name), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "storage-warning",
                                 G_CALLBACK (on_server_storage_warning), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "notify::storage-ok",
                                 G_CALLBACK (on_server_storage_ok_changed), self,
                                 G_CONNECT_SWAPPED);

  g_signal_connect_swapped (self->announce_entry, "activate",
                            G_CALLBACK (on_announce_entry_activate), self);

  _cr_owner_page_members_init (self);

  /* The schema is the app's; without it (a test that did not install it)
   * the page still drives the server, it just has no settings to change. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, SCHEMA_ID, TRUE);

  if (schema != NULL)
    {
      self->settings = g_settings_new (SCHEMA_ID);
      g_settings_bind (self->settings, "owner-port",
                       gtk_spin_button_get_adjustment (self->port_spin), "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "history-length",
                       gtk_spin_button_get_adjustment (self->history_spin), "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "require-registration",
                       self->require_registration_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "discoverable",
                       self->discoverable_switch, "active", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "local-only",
                       self->local_only_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "allow-classic",
                       self->allow_classic_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
      bind_limits (self);
      {
        g_autofree char *room_name = g_settings_get_string (self->settings, "room-name");

        set_room_name_text (self, room_name);
      }
    }
  else
    g_debug ("Schema %s not found: no owner settings", SCHEMA_ID);

  update_status (self);
  _cr_owner_page_members_update (self);
}

/**
 * cr_owner_page_new:
 *
 * Returns: (transfer floating): a new owner page, with no server yet.
 */
GtkWidget *
cr_owner_page_new (void)
{
  return g_object_new (CR_TYPE_OWNER_PAGE, NULL);
}

/**
 * cr_owner_page_get_server:
 *
 * Returns: (transfer none) (nullable): the hosted room.
 */
CrServer *
cr_owner_page_get_server (CrOwnerPage *self)
{
  g_return_val_if_fail (CR_IS_OWNER_PAGE (self), NULL);

  return self->server;
}

/**
 * cr_owner_page_set_server:
 * @server: (nullable): the hosted room, or %NULL when hosting stopped
 *
 * Shows @server's status, members and bans (its own models, bound as they
 * are). The room name shown is the server's own.
 */
void
cr_owner_page_set_server (CrOwnerPage *self,
                          CrServer    *server)
{
  g_return_if_fail (CR_IS_OWNER_PAGE (self));
  g_return_if_fail (server == NULL || CR_IS_SERVER (server));

  if (!g_set_object (&self->server, server))
    return;

  g_signal_group_set_target (self->server_signals, server);

  _cr_owner_page_members_set_server (self, server);
  if (server != NULL)
    {
      gboolean storage_ok = TRUE;

      show_room_name (self);
      g_object_get (server, "storage-ok", &storage_ok, NULL);
      show_storage (self, storage_ok, NULL);
    }
  else
    show_storage (self, TRUE, NULL);

  update_status (self);
  _cr_owner_page_members_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
}
