/* cr-owner-page.c
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page is the owner's side of a hosted room. The session owns the
 * CrServer (cr-session.c: it starts it and binds its live settings to
 * GSettings) and the window hands it over as the "server" property. The
 * page binds the server's member and ban lists directly: the server keeps
 * them in place (a burst of joins or leaves in one change, a member's row
 * updates itself on notify), so there is nothing to mirror and no timer.
 * The members are a list view: with 1 000 of them only the rows near the
 * screen exist. The settings widgets only write GSettings; port and "this
 * computer only" take effect when the next room starts.
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
#include "cr-owner-member-row.h"
#include "cr-owner-moderation.h"
#include "cr-owner-page.h"

#define SCHEMA_ID "io.github.chatroom.ChatRoom"

struct _CrOwnerPage
{
  AdwBin               parent_instance;

  /* template widgets */
  AdwToastOverlay     *toast_overlay;
  GtkRevealer         *storage_revealer;
  GtkLabel            *storage_label;
  GtkLabel            *status_title;
  GtkBox              *address_box;
  GtkLabel            *addresses_label;
  GtkLabel            *status_hint;
  GtkLabel            *key_label;
  AdwViewStack        *view_stack;
  GtkSearchEntry      *member_search;
  AdwPreferencesGroup *members_group;
  GtkStack            *members_stack;
  GtkListView         *members_list;
  GtkLabel            *members_placeholder;
  AdwPreferencesGroup *locked_group;
  GtkListBox          *locked_list;
  AdwPreferencesGroup *banned_group;
  GtkListBox          *banned_list;
  GtkEntry            *announce_entry;
  AdwEntryRow         *room_name_row;
  GtkSwitch           *require_registration_switch;
  GtkSwitch           *allow_classic_switch;
  GtkSpinButton       *history_spin;
  GtkSpinButton       *max_members_spin;
  GtkSpinButton       *file_max_size_spin;
  GtkSpinButton       *file_quota_spin;
  AdwComboRow         *share_policy_row;
  GtkSpinButton       *port_spin;
  GtkSwitch           *local_only_switch;
  GtkSwitch           *discoverable_switch;

  /* owned */
  CrServer            *server;
  GSignalGroup        *server_signals;
  GSettings           *settings;      /* NULL when the schema is not installed */
  GtkStringFilter     *member_filter; /* the search, on the member's name */
  GtkFilterListModel  *filtered;      /* the server's members through it */
  GtkNoSelection      *selection;     /* filtered, as members_list shows it */
  char                *first_address;
};

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

static gboolean
server_running (CrOwnerPage *self)
{
  return self->server != NULL && cr_server_get_running (self->server);
}

static void
show_toast (CrOwnerPage *self,
            const char  *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* A refusal from the server, in the user's language. */
static void
show_error (CrOwnerPage  *self,
            const GError *error)
{
  g_autofree char *text = NULL;

  g_assert (error != NULL);

  if (error->domain == CR_SERVER_ERROR &&
      error->code > CR_REASON_NONE && error->code <= CR_REASON_LAST)
    text = cr_render_reason ((CrReason) error->code, NULL);
  else
    text = g_strdup (error->message);

  show_toast (self, text);
}

static void
update_actions (CrOwnerPage *self)
{
  gboolean running = server_running (self);

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

  if (!server_running (self))
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
    show_toast (self, message);
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
update_member_count (CrOwnerPage *self)
{
  g_autofree char *description = NULL;
  guint n, shown;

  if (self->server == NULL)
    {
      adw_preferences_group_set_description (self->members_group, NULL);
      return;
    }

  n = g_list_model_get_n_items (cr_server_get_members (self->server));
  shown = self->filtered != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) : n;
  if (shown != n)
    /* Translators: the member count while a search hides some: how many
     * match, of how many in the room */
    description = g_strdup_printf (ngettext ("%u of %u person match", "%u of %u people match",
                                             n), shown, n);
  else
    /* Translators: %u is how many people are in the room */
    description = g_strdup_printf (ngettext ("%u person in the room", "%u people in the room",
                                             n), n);
  adw_preferences_group_set_description (self->members_group, description);
}

static void
update_banned_group (CrOwnerPage *self)
{
  gboolean any = self->server != NULL &&
                 g_list_model_get_n_items (cr_server_get_bans (self->server)) > 0;

  gtk_widget_set_visible (GTK_WIDGET (self->banned_group), any);
}

/* A name with one button that acts on it (action's target: the name);
 * accessible says for a screen reader whom the button is for. */
static GtkWidget *
create_name_row (const char *name,
                 const char *label,
                 const char *action,
                 const char *accessible)
{
  GtkWidget *row;
  GtkWidget *button;

  row = adw_action_row_new ();
  /* Names may hold '<' or '&': never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  button = gtk_button_new_with_label (label);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button),
                                          g_variant_new_string (name));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  return row;
}

static GtkWidget *
create_banned_row (gpointer item,
                   gpointer user_data)
{
  const char *name = cr_member_get_name (CR_MEMBER (item));
  g_autofree char *accessible = NULL;

  /* Translators: what a screen reader says for a row's Unban button (each
   * row has one, so it names whom); %s is a nickname */
  accessible = g_strdup_printf (_("Unban %s"), name);
  return create_name_row (name, _("Unban"), "owner.unban", accessible);
}

/* One locked name with its Unlock button. */
static GtkWidget *
create_locked_row (const char *name)
{
  g_autofree char *accessible = NULL;

  /* Translators: what a screen reader says for a locked name's Unlock
   * button; %s is a nickname */
  accessible = g_strdup_printf (_("Unlock %s"), name);
  return create_name_row (name, _("Unlock"), "owner.unlock", accessible);
}

/* Locks are few and told by "locks-changed" (a lock that runs out is not
 * told: it goes at the next change, or when Unlock finds it gone). */
static void
update_locked (CrOwnerPage *self)
{
  g_auto(GStrv) names = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->locked_list))) != NULL)
    gtk_list_box_remove (self->locked_list, child);

  if (server_running (self))
    names = cr_server_dup_locked_names (self->server);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    gtk_list_box_append (self->locked_list, create_locked_row (names[i]));

  gtk_widget_set_visible (GTK_WIDGET (self->locked_group), names != NULL && names[0] != NULL);
}

/* The member list is a list view: a row widget for each row near the
 * screen (GTK 4.8 keeps up to 200), bound to one member after another as
 * the list scrolls or changes. */
static void
member_setup_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 CrOwnerPage              *self)
{
  gtk_list_item_set_child (item, cr_owner_member_row_new (NULL));
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
member_bind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                CrOwnerPage              *self)
{
  cr_owner_member_row_set_member (CR_OWNER_MEMBER_ROW (gtk_list_item_get_child (item)),
                                  CR_MEMBER (gtk_list_item_get_item (item)));
}

static void
member_unbind_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  CrOwnerPage              *self)
{
  cr_owner_member_row_set_member (CR_OWNER_MEMBER_ROW (gtk_list_item_get_child (item)), NULL);
}

/* The list, or the sentence that says why it is empty. */
static void
update_members_shown (CrOwnerPage *self)
{
  gboolean any = self->filtered != NULL &&
                 g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0;

  gtk_stack_set_visible_child_name (self->members_stack, any ? "list" : "empty");
  update_member_count (self);
}

static void
on_server_members_changed (CrOwnerPage *self)
{
  update_member_count (self);
  update_banned_group (self);
}

static void
on_server_running_changed (CrOwnerPage *self)
{
  update_status (self);
  update_member_count (self);
  update_banned_group (self);
  update_locked (self);
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

static void
on_member_search_changed (CrOwnerPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->member_search));
  g_autofree char *search = g_strstrip (g_strdup (text));

  gtk_string_filter_set_search (self->member_filter, search[0] != '\0' ? search : NULL);
  gtk_label_set_label (self->members_placeholder,
                       search[0] != '\0' ? _("No member has that name")
                                         : _("No one has joined yet"));
  update_member_count (self);
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
        show_toast (self, _("A room name has 1 to 64 characters"));
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

  if (!server_running (self))
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
      show_error (self, error);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->announce_entry), "");
}

static void
member_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  const char *name = g_variant_get_string (param, NULL);
  gboolean ok;

  if (!server_running (self))
    return;

  if (g_str_equal (action_name, "owner.mute"))
    ok = cr_server_mute (self->server, name, &error);
  else if (g_str_equal (action_name, "owner.unmute"))
    ok = cr_server_unmute (self->server, name, &error);
  else if (g_str_equal (action_name, "owner.kick"))
    {
      ok = cr_server_kick (self->server, name, &error);
      /* Translators: a short notice after the owner kicked someone; %s is a nickname */
      done = g_strdup_printf (_("Removed %s"), name);
    }
  else
    g_assert_not_reached ();

  if (!ok)
    show_error (self, error);
  else if (done != NULL)
    show_toast (self, done);
}

/* Admins and timed mutes (issue 15): owner.admin, owner.unadmin (a name),
 * owner.mute-for (a name and seconds, 0 until lifted). */
static void
moderate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  const char *name = NULL;
  gint64 seconds = 0;
  CrManageAction action;

  if (!server_running (self))
    return;
  if (g_str_equal (action_name, "owner.mute-for"))
    {
      g_variant_get (param, "(&sx)", &name, &seconds);
      action = CR_MANAGE_MUTE;
    }
  else
    {
      name = g_variant_get_string (param, NULL);
      action = g_str_equal (action_name, "owner.admin") ? CR_MANAGE_ADMIN : CR_MANAGE_UNADMIN;
    }
  if (!cr_server_moderate (self->server, action, name, seconds, &error))
    show_error (self, error);
}

static void
on_ban_dialog_response (AdwMessageDialog *dialog,
                        const char       *response,
                        CrOwnerPage      *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  const char *name = g_object_get_data (G_OBJECT (dialog), "member-name");

  if (!g_str_equal (response, "ban") || !server_running (self))
    return;

  if (!cr_server_ban (self->server, name, &error))
    {
      show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner banned someone; %s is a nickname */
  done = g_strdup_printf (_("Banned %s"), name);
  show_toast (self, done);
}

static void
ban_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  const char *name = g_variant_get_string (param, NULL);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  if (!server_running (self))
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL, NULL);
  /* Translators: %s is a nickname */
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Ban %s?"), name);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  /* Translators: %s is a nickname */
                                  _("%s leaves the room now and cannot join it again "
                                    "under this name."),
                                  name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "ban", _("_Ban"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "ban",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "member-name", g_strdup (name), g_free);
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (on_ban_dialog_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
unban_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  g_autofree char *name = g_variant_dup_string (param, NULL);

  if (!server_running (self))
    return;

  if (!cr_server_unban (self->server, name, &error))
    {
      show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner lifted a ban; %s is a nickname */
  done = g_strdup_printf (_("Unbanned %s"), name);
  show_toast (self, done);
}

static void
unlock_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  CrOwnerPage *self = CR_OWNER_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  g_autofree char *name = g_variant_dup_string (param, NULL);

  if (!server_running (self))
    return;

  if (!cr_server_unlock_name (self->server, name, &error))
    {
      /* Most likely the lock ran out meanwhile: show what is left. */
      update_locked (self);
      show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner lifted a lock on a
   * nickname; %s is a nickname */
  done = g_strdup_printf (_("%s can sign in again"), name);
  show_toast (self, done);
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
  show_toast (self, _("Address copied"));
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
  if (self->members_list != NULL)
    gtk_list_view_set_model (self->members_list, NULL);
  if (self->banned_list != NULL)
    gtk_list_box_bind_model (self->banned_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->member_filter);
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
  gtk_widget_class_install_action (widget_class, "owner.mute", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.unmute", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.kick", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.mute-for", "(sx)", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.admin", "s", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.unadmin", "s", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.ban", "s", ban_action);
  gtk_widget_class_install_action (widget_class, "owner.unban", "s", unban_action);
  gtk_widget_class_install_action (widget_class, "owner.unlock", "s", unlock_action);
  gtk_widget_class_install_action (widget_class, "owner.copy-address", NULL, copy_address_action);
  gtk_widget_class_install_action (widget_class, "owner.stop", NULL, stop_action);

  g_type_ensure (CR_TYPE_OWNER_MEMBER_ROW);
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
  g_signal_group_connect_object (self->server_signals, "members-changed",
                                 G_CALLBACK (on_server_members_changed), self,
                                 G_CONNECT_SWAPPED);
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
  g_signal_group_connect_object (self->server_signals, "locks-changed",
                                 G_CALLBACK (update_locked), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "storage-warning",
                                 G_CALLBACK (on_server_storage_warning), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "notify::storage-ok",
                                 G_CALLBACK (on_server_storage_ok_changed), self,
                                 G_CONNECT_SWAPPED);

  g_signal_connect_swapped (self->announce_entry, "activate",
                            G_CALLBACK (on_announce_entry_activate), self);

  /* The search matches any part of a name, in any case. */
  self->member_filter =
    gtk_string_filter_new (gtk_property_expression_new (CR_TYPE_MEMBER, NULL, "name"));
  gtk_string_filter_set_match_mode (self->member_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->member_filter, TRUE);
  g_signal_connect_swapped (self->member_search, "search-changed",
                            G_CALLBACK (on_member_search_changed), self);

  {
    GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

    g_signal_connect (factory, "setup", G_CALLBACK (member_setup_cb), self);
    g_signal_connect (factory, "bind", G_CALLBACK (member_bind_cb), self);
    g_signal_connect (factory, "unbind", G_CALLBACK (member_unbind_cb), self);
    gtk_list_view_set_factory (self->members_list, factory);
    g_object_unref (factory);
  }

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
  update_members_shown (self);
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

  gtk_list_view_set_model (self->members_list, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  if (server != NULL)
    {
      gboolean storage_ok = TRUE;

      /* The server's list is in order already (owner first, then by name:
       * cr-member-list.c merges each burst of joins in one splice), so no
       * sorter here. The search is incremental: a few hundred names per
       * main-loop turn, the matches shown as they are found. */
      self->filtered = gtk_filter_list_model_new (g_object_ref (cr_server_get_members (server)),
                                                  g_object_ref (GTK_FILTER (self->member_filter)));
      gtk_filter_list_model_set_incremental (self->filtered, TRUE);
      g_signal_connect_object (self->filtered, "items-changed",
                               G_CALLBACK (update_members_shown), self, G_CONNECT_SWAPPED);
      self->selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
      gtk_list_view_set_model (self->members_list, GTK_SELECTION_MODEL (self->selection));
      gtk_list_box_bind_model (self->banned_list, cr_server_get_bans (server),
                               create_banned_row, NULL, NULL);
      show_room_name (self);
      g_object_get (server, "storage-ok", &storage_ok, NULL);
      show_storage (self, storage_ok, NULL);
    }
  else
    {
      gtk_list_box_bind_model (self->banned_list, NULL, NULL, NULL, NULL);
      show_storage (self, TRUE, NULL);
    }

  update_status (self);
  update_members_shown (self);
  update_banned_group (self);
  update_locked (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER]);
}
