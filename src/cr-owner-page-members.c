/* cr-owner-page-members.c
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The owner page's members tab: a search, the members, the locked and the
 * banned names, and what the owner does to a member (mute, kick, ban,
 * admins, unban, unlock). The struct is in cr-owner-page-private.h.
 *
 * The members are a list view over the server's list, which the server
 * keeps in place (cr-member-list.c: a burst of joins or leaves in one
 * splice, a member's row updates itself on notify): with 1 000 members
 * only the rows near the screen exist. Between the two, a paced list
 * (cr-owner-paced-list.c) hands a burst on in slices, so the window
 * never spends a whole burst's rows in one turn.
 */

#define G_LOG_DOMAIN "cr-owner-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-owner-member-row.h"
#include "cr-owner-page-private.h"

/* The count is the server's (the list may be a few slices behind it);
 * while a search is on, how many of them it shows. Said again only when
 * it changed: the list changes a slice at a time. */
static void
update_member_count (CrOwnerPage *self)
{
  g_autofree char *description = NULL;
  guint n, shown;

  if (self->server == NULL)
    {
      g_clear_pointer (&self->count_text, g_free);
      adw_preferences_group_set_description (self->members_group, NULL);
      return;
    }

  n = g_list_model_get_n_items (cr_server_get_members (self->server));
  shown = self->filtered != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) : n;
  if (gtk_string_filter_get_search (self->member_filter) != NULL)
    /* Translators: the member count while a search hides some: how many
     * match, of how many in the room */
    description = g_strdup_printf (ngettext ("%u of %u person match", "%u of %u people match",
                                             n), shown, n);
  else
    /* Translators: %u is how many people are in the room */
    description = g_strdup_printf (ngettext ("%u person in the room", "%u people in the room",
                                             n), n);
  if (g_strcmp0 (description, self->count_text) == 0)
    return;
  g_free (self->count_text);
  self->count_text = g_steal_pointer (&description);
  adw_preferences_group_set_description (self->members_group, self->count_text);
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

  if (_cr_owner_page_server_running (self))
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

  if (!_cr_owner_page_server_running (self))
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
    _cr_owner_page_show_error (self, error);
  else if (done != NULL)
    _cr_owner_page_show_toast (self, done);
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

  if (!_cr_owner_page_server_running (self))
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
    _cr_owner_page_show_error (self, error);
}

static void
on_ban_dialog_response (AdwMessageDialog *dialog,
                        const char       *response,
                        CrOwnerPage      *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  const char *name = g_object_get_data (G_OBJECT (dialog), "member-name");

  if (!g_str_equal (response, "ban") || !_cr_owner_page_server_running (self))
    return;

  if (!cr_server_ban (self->server, name, &error))
    {
      _cr_owner_page_show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner banned someone; %s is a nickname */
  done = g_strdup_printf (_("Banned %s"), name);
  _cr_owner_page_show_toast (self, done);
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

  if (!_cr_owner_page_server_running (self))
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

  if (!_cr_owner_page_server_running (self))
    return;

  if (!cr_server_unban (self->server, name, &error))
    {
      _cr_owner_page_show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner lifted a ban; %s is a nickname */
  done = g_strdup_printf (_("Unbanned %s"), name);
  _cr_owner_page_show_toast (self, done);
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

  if (!_cr_owner_page_server_running (self))
    return;

  if (!cr_server_unlock_name (self->server, name, &error))
    {
      /* Most likely the lock ran out meanwhile: show what is left. */
      update_locked (self);
      _cr_owner_page_show_error (self, error);
      return;
    }

  /* Translators: a short notice after the owner lifted a lock on a
   * nickname; %s is a nickname */
  done = g_strdup_printf (_("%s can sign in again"), name);
  _cr_owner_page_show_toast (self, done);
}

void
_cr_owner_page_members_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "owner.mute", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.unmute", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.kick", "s", member_action);
  gtk_widget_class_install_action (widget_class, "owner.mute-for", "(sx)", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.admin", "s", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.unadmin", "s", moderate_action);
  gtk_widget_class_install_action (widget_class, "owner.ban", "s", ban_action);
  gtk_widget_class_install_action (widget_class, "owner.unban", "s", unban_action);
  gtk_widget_class_install_action (widget_class, "owner.unlock", "s", unlock_action);

  g_type_ensure (CR_TYPE_OWNER_MEMBER_ROW);
}

/* After the template, with self->server_signals made. */
void
_cr_owner_page_members_init (CrOwnerPage *self)
{
  GtkListItemFactory *factory;

  g_signal_group_connect_object (self->server_signals, "members-changed",
                                 G_CALLBACK (on_server_members_changed), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->server_signals, "locks-changed",
                                 G_CALLBACK (update_locked), self, G_CONNECT_SWAPPED);

  /* The search matches any part of a name, in any case. */
  self->member_filter =
    gtk_string_filter_new (gtk_property_expression_new (CR_TYPE_MEMBER, NULL, "name"));
  gtk_string_filter_set_match_mode (self->member_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->member_filter, TRUE);
  g_signal_connect_swapped (self->member_search, "search-changed",
                            G_CALLBACK (on_member_search_changed), self);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (member_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (member_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (member_unbind_cb), self);
  gtk_list_view_set_factory (self->members_list, factory);
  g_object_unref (factory);
}

void
_cr_owner_page_members_dispose (CrOwnerPage *self)
{
  if (self->members_list != NULL)
    gtk_list_view_set_model (self->members_list, NULL);
  if (self->banned_list != NULL)
    gtk_list_box_bind_model (self->banned_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->paced);
  g_clear_object (&self->member_filter);
  g_clear_pointer (&self->count_text, g_free);
}

void
_cr_owner_page_members_set_server (CrOwnerPage *self,
                                   CrServer    *server)
{
  gtk_list_view_set_model (self->members_list, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->paced);
  if (server == NULL)
    {
      gtk_list_box_bind_model (self->banned_list, NULL, NULL, NULL, NULL);
      return;
    }

  /* The server's list is in order already (owner first, then by name:
   * cr-member-list.c merges each burst of joins in one splice), so no
   * sorter here; the paced list hands a burst on in slices. The search is
   * incremental: a few hundred names per main-loop turn, the matches
   * shown as they are found. */
  self->paced = cr_owner_paced_list_new (cr_server_get_members (server));
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->paced)),
                                              g_object_ref (GTK_FILTER (self->member_filter)));
  gtk_filter_list_model_set_incremental (self->filtered, TRUE);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (update_members_shown), self, G_CONNECT_SWAPPED);
  self->selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_list_view_set_model (self->members_list, GTK_SELECTION_MODEL (self->selection));
  gtk_list_box_bind_model (self->banned_list, cr_server_get_bans (server),
                           create_banned_row, NULL, NULL);
}

void
_cr_owner_page_members_update (CrOwnerPage *self)
{
  update_members_shown (self);
  update_banned_group (self);
  update_locked (self);
}
