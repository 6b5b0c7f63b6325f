/* cr-chat-page-members.c: the chat page's member list and its heading
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rows follow their member's flags (muted, owner) in place; the
 * heading counts the members, and the owner's name is kept for the
 * message rows (cr-chat-page-messages.c), which mark the owner's lines.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-member.h"
#include "cr-chat-page-private.h"

/* --- member rows -------------------------------------------------------- */

typedef struct {
  GtkLabel     *name;
  GtkWidget    *badge;
  GtkWidget    *muted;
  GSignalGroup *member_signals;   /* the member the row shows now */
} MemberRow;

static void
member_row_free (gpointer data)
{
  MemberRow *row = data;

  g_clear_object (&row->member_signals);
  g_free (row);
}

static void on_member_notify (GtkWidget  *box,
                              GParamSpec *pspec,
                              CrMember   *member);

static void
member_setup_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 CrChatPage               *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *avatar = g_object_new (GTK_TYPE_IMAGE,
                                    "icon-name", "avatar-default-symbolic",
                                    "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                    NULL);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (C_("badge", "Owner"));
  GtkWidget *muted = gtk_image_new_from_icon_name ("microphone-disabled-symbolic");
  MemberRow *row = g_new0 (MemberRow, 1);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (badge, "owner-badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  /* Not "by the owner": an admin may have done it (the chat's line says who). */
  gtk_widget_set_tooltip_text (muted, C_("member state", "Muted"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (muted), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  C_("member state", "Muted"), -1);

  gtk_box_append (GTK_BOX (box), avatar);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), muted);
  gtk_box_append (GTK_BOX (box), badge);

  row->name = GTK_LABEL (name);
  row->badge = badge;
  row->muted = muted;
  row->member_signals = g_signal_group_new (CR_TYPE_MEMBER);
  g_signal_group_connect_swapped (row->member_signals, "notify::flags",
                                  G_CALLBACK (on_member_notify), box);
  g_object_set_data_full (G_OBJECT (box), "cr-member-row", row, member_row_free);

  _cr_chat_page_conversations_setup_member_row (self, box);

  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
member_row_update (GtkWidget *box,
                   CrMember  *member)
{
  MemberRow *row = g_object_get_data (G_OBJECT (box), "cr-member-row");

  if (cr_member_get_is_self (member))
    {
      /* Translators: yourself in the member list; %s is your nickname */
      g_autofree char *you = g_strdup_printf (_("%s (you)"), cr_member_get_name (member));
      gtk_label_set_text (row->name, you);
    }
  else
    gtk_label_set_text (row->name, cr_member_get_name (member));

  gtk_widget_set_visible (row->badge, cr_member_get_role (member) != CR_ROLE_MEMBER);
  gtk_label_set_text (GTK_LABEL (row->badge),
                      cr_member_get_role (member) == CR_ROLE_ADMIN ? C_("badge", "Admin")
                                                                  : C_("badge", "Owner"));
  gtk_widget_set_visible (row->muted, cr_member_get_muted (member));
}

static void
on_member_notify (GtkWidget  *box,
                  GParamSpec *pspec,
                  CrMember   *member)
{
  member_row_update (box, member);
}

static void
member_bind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                CrChatPage               *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  CrMember *member = gtk_list_item_get_item (item);
  MemberRow *row = g_object_get_data (G_OBJECT (box), "cr-member-row");

  member_row_update (box, member);
  _cr_chat_page_conversations_bind_member_row (box, member);
  g_signal_group_set_target (row->member_signals, member);
}

static void
member_unbind_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  CrChatPage               *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  MemberRow *row = g_object_get_data (G_OBJECT (box), "cr-member-row");

  g_signal_group_set_target (row->member_signals, NULL);
}

static void
update_members (CrChatPage *self)
{
  GListModel *members;
  g_autofree char *text = NULL;
  char *owner = NULL;
  guint n;

  if (self->client == NULL)
    return;

  members = cr_client_get_members (self->client);
  n = g_list_model_get_n_items (members);

  /* The owner is listed first (cr_member_compare): one look, not a walk
   * of 1 000 members on each join. */
  if (n > 0)
    {
      g_autoptr(CrMember) first = g_list_model_get_item (members, 0);

      if (cr_member_get_role (first) == CR_ROLE_OWNER)
        owner = g_strdup (cr_member_get_name (first));
    }
  g_free (self->owner_name);
  self->owner_name = owner;

  /* Translators: the heading of the member list */
  text = g_strdup_printf (ngettext ("%u member", "%u members", n), n);
  gtk_label_set_text (self->member_count_label, text);

  _cr_chat_page_composer_members_changed (self);
}

static void
on_members_items_changed (CrChatPage *self,
                          guint       position,
                          guint       removed,
                          guint       added,
                          GListModel *model)
{
  update_members (self);
}

/* --- the page's part ---------------------------------------------------- */

void
_cr_chat_page_members_init (CrChatPage *self)
{
  GtkListItemFactory *factory;

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (member_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (member_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (member_unbind_cb), self);
  gtk_list_view_set_factory (self->member_list, factory);
  g_object_unref (factory);

  /* The members of whichever client the page shows. */
  self->members_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->members_signals, "items-changed",
                                 G_CALLBACK (on_members_items_changed), self,
                                 G_CONNECT_SWAPPED);
}

/* Show self->client's members. */
void
_cr_chat_page_members_attach (CrChatPage *self)
{
  GListModel *members = cr_client_get_members (self->client);
  g_autoptr(GtkNoSelection) selection = NULL;

  g_signal_group_set_target (self->members_signals, members);
  update_members (self);

  /* The client keeps its list in cr_member_compare order, owner first
   * (cr-client-members.c), a burst of joins or leaves in one splice of
   * the range it changed: shown as it is. A sort model over it sorted
   * again on every join (1 000 in a big room) for an order the store has
   * already; the store's own items-changed name only the rows that came
   * or went, and the list view keeps the rows the reader looks at (the
   * same items, kept across a splice) in place. */
  selection = gtk_no_selection_new (g_object_ref (members));
  gtk_list_view_set_model (self->member_list, GTK_SELECTION_MODEL (selection));
}

void
_cr_chat_page_members_detach (CrChatPage *self)
{
  if (self->member_list != NULL)
    gtk_list_view_set_model (self->member_list, NULL);
  if (self->members_signals != NULL)
    g_signal_group_set_target (self->members_signals, NULL);
  g_clear_pointer (&self->owner_name, g_free);
}
