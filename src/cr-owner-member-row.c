/* cr-owner-member-row.c
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "cr-owner-member-row"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-owner-member-row.h"

struct _CrOwnerMemberRow
{
  AdwBin         parent_instance;

  /* template widgets */
  GtkLabel      *name_label;
  GtkLabel      *role_label;
  GtkLabel      *muted_label;
  GtkLabel      *classic_label;
  GtkLabel      *address_label;
  GtkLabel      *detail_label;
  GtkMenuButton *menu_button;

  /* owned */
  CrMember      *member;          /* NULL while a list view keeps the row unbound */
  GSignalGroup  *member_signals;  /* follows member */

  /* borrowed: the menu button's controllers */
  GtkEventController *menu_motion;
  GtkEventController *menu_focus;
  gboolean            tooltip_stale;  /* the button's tooltip names someone else */
};

G_DEFINE_FINAL_TYPE (CrOwnerMemberRow, cr_owner_member_row, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MEMBER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

char *
cr_owner_format_last_active (gint64 last_active_us,
                             gint64 now_us)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (last_active_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  g_autofree char *time = NULL;

  if (when == NULL || now == NULL)
    return NULL;

  if (g_date_time_get_year (when) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now))
    /* Translators: a time of day in a member's row, as strftime takes it */
    time = g_date_time_format (when, C_("last active", "%H:%M"));
  else
    /* Translators: a day and a time in a member's row, as strftime takes it */
    time = g_date_time_format (when, C_("last active", "%b %-d %H:%M"));

  /* Translators: in a member's row of the owner view: when they joined or
   * last said something; %s is a time such as 10:32 */
  return g_strdup_printf (_("last active %s"), time);
}

static GMenuModel *
build_menu (CrOwnerMemberRow *self,
            gboolean          muted)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) manage = g_menu_new ();
  g_autoptr(GMenu) remove = g_menu_new ();
  g_autoptr(GMenu) roles = g_menu_new ();
  const char *name = cr_member_get_name (self->member);
  g_autoptr(GMenuItem) item = NULL;

  if (muted)
    {
      item = g_menu_item_new (_("_Unmute"), NULL);
      g_menu_item_set_action_and_target (item, "owner.unmute", "s", name);
      g_menu_append_item (manage, item);
      g_clear_object (&item);
    }
  else
    {
      /* Until lifted first, as it always was; then a mute that ends by
       * itself (cr-engine-moderation.h). */
      static const struct {
        const char *label;
        gint64      seconds;
      } durations[] = {
        { N_("For 10 _Minutes"), 600 },
        { N_("For 1 _Hour"), 3600 },
        { N_("For 1 _Day"), 86400 },
      };
      g_autoptr(GMenu) mute = g_menu_new ();

      item = g_menu_item_new (_("_Mute"), NULL);
      g_menu_item_set_action_and_target (item, "owner.mute", "s", name);
      g_menu_append_item (manage, item);
      g_clear_object (&item);
      for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
        {
          item = g_menu_item_new (_(durations[i].label), NULL);
          g_menu_item_set_action_and_target (item, "owner.mute-for", "(sx)", name,
                                             durations[i].seconds);
          g_menu_append_item (mute, item);
          g_clear_object (&item);
        }
      g_menu_append_submenu (manage, _("Mute _For"), G_MENU_MODEL (mute));
    }

  item = g_menu_item_new (_("_Kick"), NULL);
  g_menu_item_set_action_and_target (item, "owner.kick", "s", name);
  g_menu_append_item (remove, item);
  g_clear_object (&item);

  item = g_menu_item_new (_("_Ban…"), NULL);
  g_menu_item_set_action_and_target (item, "owner.ban", "s", name);
  g_menu_append_item (remove, item);

  g_menu_append_section (menu, NULL, G_MENU_MODEL (manage));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (remove));

  /* Admins help the owner: they mute and remove members. */
  if (cr_member_get_role (self->member) == CR_ROLE_ADMIN)
    {
      item = g_menu_item_new (_("Remove _Admin"), NULL);
      g_menu_item_set_action_and_target (item, "owner.unadmin", "s", name);
    }
  else
    {
      item = g_menu_item_new (_("Make _Admin"), NULL);
      g_menu_item_set_action_and_target (item, "owner.admin", "s", name);
    }
  g_menu_append_item (roles, item);
  g_clear_object (&item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (roles));

  return G_MENU_MODEL (g_steal_pointer (&menu));
}

/* The menu is made when it opens, for the member shown then: a list view
 * binds rows to other members as it scrolls, and most menus never open. */
static void
create_menu (GtkMenuButton *button,
             gpointer       user_data)
{
  CrOwnerMemberRow *self = CR_OWNER_MEMBER_ROW (user_data);
  g_autoptr(GMenuModel) model = NULL;

  if (self->member == NULL)
    return;
  model = build_menu (self, cr_member_get_muted (self->member));
  gtk_menu_button_set_menu_model (button, model);
}

static void
update_flags (CrOwnerMemberRow *self)
{
  CrRole role = cr_member_get_role (self->member);
  gboolean is_owner = role == CR_ROLE_OWNER;
  gboolean muted = cr_member_get_muted (self->member);
  gboolean classic = (cr_member_get_flags (self->member) & CR_MEMBER_CLASSIC) != 0;

  gtk_widget_set_visible (GTK_WIDGET (self->role_label), role != CR_ROLE_MEMBER);
  gtk_label_set_label (self->role_label, role == CR_ROLE_ADMIN ? C_("member role", "Admin")
                                                               : C_("member role", "Owner"));
  gtk_widget_set_visible (GTK_WIDGET (self->muted_label), muted);
  gtk_widget_set_visible (GTK_WIDGET (self->classic_label), classic);
  /* The owner cannot kick or mute themself. */
  gtk_widget_set_visible (GTK_WIDGET (self->menu_button), !is_owner);
}

/* Shows text on one of the detail lines, or hides the line when empty.
 * Same text: skipped, so a screen reader is not told again. */
static void
set_line (GtkLabel   *label,
          const char *text)
{
  gboolean shown = text != NULL && text[0] != '\0';

  if (shown && g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
  gtk_widget_set_visible (GTK_WIDGET (label), shown);
}

static void
update_subtitle (CrOwnerMemberRow *self)
{
  g_autoptr(GString) detail = g_string_new (NULL);
  g_autofree char *description = NULL;
  gboolean is_owner = cr_member_get_role (self->member) == CR_ROLE_OWNER;
  gint64 last_active;

  update_flags (self);

  set_line (self->address_label, cr_member_get_address (self->member));

  /* The owner's row already says "Owner"; guest or not says nothing there. */
  if (!is_owner)
    {
      if (cr_member_get_registered (self->member))
        g_string_append (detail, C_("member", "Registered"));
      else
        g_string_append (detail, C_("member", "Guest"));

      last_active = cr_member_get_last_active (self->member);
      if (last_active > 0)
        {
          g_autofree char *active = cr_owner_format_last_active (last_active,
                                                                 g_get_real_time ());

          if (active != NULL)
            {
              g_string_append (detail, " · ");
              g_string_append (detail, active);
            }
        }
    }
  set_line (self->detail_label, detail->str);

  description = cr_owner_member_row_dup_details (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

/* The menu button's tooltip names the member, but is set only when the
 * pointer or the focus comes to the button (or is on it as the row is
 * bound): gtk_widget_set_tooltip_text asks the display where the pointer
 * is (an X round trip under X11), and a list view scrolling through 1 000
 * members binds rows every frame (bench/README.md, "bench-ui --host"). */
static void
update_menu_tooltip (CrOwnerMemberRow *self)
{
  g_autofree char *menu_label = NULL;

  if (!self->tooltip_stale || self->member == NULL)
    return;

  /* Translators: tooltip and accessible label of a member's menu button; %s is a nickname */
  menu_label = g_strdup_printf (_("Actions for %s"), cr_member_get_name (self->member));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->menu_button), menu_label);
  self->tooltip_stale = FALSE;
}

static void
on_member_notify (CrOwnerMemberRow *self)
{
  update_subtitle (self);
}

/* Everything the row shows of its member, for a new one. */
static void
show_member (CrOwnerMemberRow *self)
{
  g_autofree char *menu_label = NULL;
  const char *name;

  if (self->member == NULL)
    return;

  name = cr_member_get_name (self->member);
  gtk_label_set_text (self->name_label, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);

  /* Translators: tooltip and accessible label of a member's menu button; %s is a nickname */
  menu_label = g_strdup_printf (_("Actions for %s"), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label,
                                  -1);
  self->tooltip_stale = TRUE;
  if (gtk_event_controller_motion_contains_pointer (GTK_EVENT_CONTROLLER_MOTION (self->menu_motion)) ||
      gtk_event_controller_focus_contains_focus (GTK_EVENT_CONTROLLER_FOCUS (self->menu_focus)))
    update_menu_tooltip (self);

  update_subtitle (self);
}

static void
cr_owner_member_row_dispose (GObject *object)
{
  CrOwnerMemberRow *self = CR_OWNER_MEMBER_ROW (object);

  if (self->member_signals != NULL)
    g_signal_group_set_target (self->member_signals, NULL);
  g_clear_object (&self->member_signals);
  g_clear_object (&self->member);

  G_OBJECT_CLASS (cr_owner_member_row_parent_class)->dispose (object);
}

static void
cr_owner_member_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CrOwnerMemberRow *self = CR_OWNER_MEMBER_ROW (object);

  switch (prop_id)
    {
    case PROP_MEMBER:
      g_value_set_object (value, self->member);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_member_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CrOwnerMemberRow *self = CR_OWNER_MEMBER_ROW (object);

  switch (prop_id)
    {
    case PROP_MEMBER:
      cr_owner_member_row_set_member (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_owner_member_row_class_init (CrOwnerMemberRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_owner_member_row_dispose;
  object_class->get_property = cr_owner_member_row_get_property;
  object_class->set_property = cr_owner_member_row_set_property;

  properties[PROP_MEMBER] =
    g_param_spec_object ("member", NULL, NULL,
                         CR_TYPE_MEMBER,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/chatroom/ChatRoom/cr-owner-member-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, muted_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, classic_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, address_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CrOwnerMemberRow, menu_button);
}

static void
cr_owner_member_row_init (CrOwnerMemberRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->member_signals = g_signal_group_new (CR_TYPE_MEMBER);
  g_signal_group_connect_swapped (self->member_signals, "notify::flags",
                                  G_CALLBACK (on_member_notify), self);
  g_signal_group_connect_swapped (self->member_signals, "notify::role",
                                  G_CALLBACK (on_member_notify), self);
  g_signal_group_connect_swapped (self->member_signals, "notify::address",
                                  G_CALLBACK (on_member_notify), self);
  g_signal_group_connect_swapped (self->member_signals, "notify::last-active",
                                  G_CALLBACK (on_member_notify), self);
  gtk_menu_button_set_create_popup_func (self->menu_button, create_menu, self, NULL);

  self->menu_motion = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (self->menu_motion, "enter", G_CALLBACK (update_menu_tooltip), self);
  gtk_widget_add_controller (GTK_WIDGET (self->menu_button), self->menu_motion);
  self->menu_focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (self->menu_focus, "enter", G_CALLBACK (update_menu_tooltip), self);
  gtk_widget_add_controller (GTK_WIDGET (self->menu_button), self->menu_focus);
}

GtkWidget *
cr_owner_member_row_new (CrMember *member)
{
  g_return_val_if_fail (member == NULL || CR_IS_MEMBER (member), NULL);

  return g_object_new (CR_TYPE_OWNER_MEMBER_ROW,
                       "member", member,
                       NULL);
}

CrMember *
cr_owner_member_row_get_member (CrOwnerMemberRow *self)
{
  g_return_val_if_fail (CR_IS_OWNER_MEMBER_ROW (self), NULL);

  return self->member;
}

/* A list view's bind and unbind: the row shows member from now on, and
 * follows its notifies only (NULL: none, as an unbound row). */
void
cr_owner_member_row_set_member (CrOwnerMemberRow *self,
                                CrMember         *member)
{
  g_return_if_fail (CR_IS_OWNER_MEMBER_ROW (self));
  g_return_if_fail (member == NULL || CR_IS_MEMBER (member));

  if (self->member == member)
    return;

  /* A menu opened for the member before must not act on the next one. */
  gtk_menu_button_popdown (self->menu_button);
  g_set_object (&self->member, member);
  g_signal_group_set_target (self->member_signals, member);
  show_member (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBER]);
}

char *
cr_owner_member_row_dup_details (CrOwnerMemberRow *self)
{
  GtkLabel *lines[] = { self->address_label, self->detail_label };
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (CR_IS_OWNER_MEMBER_ROW (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    if (gtk_widget_get_visible (GTK_WIDGET (lines[i])))
      {
        if (text->len > 0)
          g_string_append_c (text, '\n');
        g_string_append (text, gtk_label_get_label (lines[i]));
      }
  return g_string_free (g_steal_pointer (&text), FALSE);
}
