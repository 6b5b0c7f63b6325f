/* cr-chat-page-conversations.c: the room and the private conversations
 * beside it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every message of the client is in one model; a conversation is a view
 * of it (GtkFilterListModel): the room's lines, or the private messages
 * between the reader and one member (cr_message_get_peer). The message
 * list is a window over that view (cr-chat-page-messages.c), so showing
 * another conversation is showing another view.
 *
 * The conversations are listed in the side pane, above the members: the
 * room first, then each private conversation with how many of its
 * messages came while another was shown. The list appears with the first
 * private conversation; the side pane folds away on narrow windows (the
 * AdwFlap of cr-chat-page.ui).
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-member.h"
#include "cr-chat-page-private.h"

typedef struct {
  char      *peer;        /* NULL: the room */
  guint      unread;
  GtkLabel  *name;
  GtkLabel  *count;
} Conversation;

static void
conversation_free (gpointer data)
{
  Conversation *conversation = data;

  g_free (conversation->peer);
  g_free (conversation);
}

static const char *
own_name (CrChatPage *self)
{
  return self->client != NULL ? cr_client_get_name (self->client) : NULL;
}

static gboolean
filter_cb (gpointer item,
           gpointer user_data)
{
  CrChatPage *self = user_data;

  return g_strcmp0 (cr_message_get_peer (item, own_name (self)), self->peer) == 0;
}

GListModel *
_cr_chat_page_get_view (CrChatPage *self)
{
  g_assert (CR_IS_CHAT_PAGE (self));

  return G_LIST_MODEL (self->view);
}

/* --- the list ------------------------------------------------------------ */

static Conversation *
row_conversation (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "cr-conversation");
}

static GtkListBoxRow *
find_row (CrChatPage *self,
          const char *peer)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child) &&
          g_strcmp0 (row_conversation (GTK_LIST_BOX_ROW (child))->peer, peer) == 0)
        return GTK_LIST_BOX_ROW (child);
    }

  return NULL;
}

static void
update_count (Conversation *conversation)
{
  g_autofree char *count = g_strdup_printf ("%u", conversation->unread);

  gtk_label_set_text (conversation->count, count);
  gtk_widget_set_visible (GTK_WIDGET (conversation->count), conversation->unread > 0);
}

static GtkListBoxRow *
add_row (CrChatPage *self,
         const char *peer)
{
  Conversation *conversation = g_new0 (Conversation, 1);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = g_object_new (GTK_TYPE_IMAGE,
                                  "icon-name", peer != NULL ? "avatar-default-symbolic"
                                                            : "system-users-symbolic",
                                  "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                  NULL);

  conversation->peer = g_strdup (peer);
  conversation->name = GTK_LABEL (gtk_label_new (peer != NULL ? peer : _("The room")));
  conversation->count = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (conversation->name, 0);
  gtk_label_set_ellipsize (conversation->name, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (conversation->name), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (conversation->count), "unread-count");
  gtk_widget_set_valign (GTK_WIDGET (conversation->count), GTK_ALIGN_CENTER);
  update_count (conversation);

  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (conversation->name));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (conversation->count));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "cr-conversation", conversation, conversation_free);

  gtk_list_box_append (self->conversation_list, row);
  return GTK_LIST_BOX_ROW (row);
}

/* The room is always there; the list shows once there is more. */
static void
update_list_visible (CrChatPage *self)
{
  GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list));

  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->conversation_list)),
                          first != NULL && gtk_widget_get_next_sibling (first) != NULL);
}

static CrMember *
find_member (CrChatPage *self,
             const char *name)
{
  GListModel *members = cr_client_get_members (self->client);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_strcmp0 (cr_member_get_name (member), name) == 0)
        return member;   /* the members model keeps it */
    }

  return NULL;
}

static void
update_notice (CrChatPage *self)
{
  g_autofree char *text = NULL;
  CrMember *member;

  if (self->peer == NULL || self->client == NULL)
    {
      g_signal_group_set_target (self->peer_signals, NULL);
      gtk_widget_set_visible (self->conversation_notice, FALSE);
      return;
    }

  member = find_member (self, self->peer);
  /* Its flags come with the room's next member list, maybe after this. */
  g_signal_group_set_target (self->peer_signals, member);
  if (member != NULL && (cr_member_get_flags (member) & CR_MEMBER_CLASSIC) != 0)
    /* Translators: above a private conversation; %s is a nickname */
    text = g_strdup_printf (_("Only you and %s see this conversation; the room’s host keeps it "
                              "like the rest of the history. %s uses a classic client: your "
                              "messages reach them, but they cannot answer you privately."),
                            self->peer, self->peer);
  else
    /* Translators: above a private conversation; %s is a nickname */
    text = g_strdup_printf (_("Only you and %s see this conversation; the room’s host keeps it "
                              "like the rest of the history."), self->peer);

  gtk_label_set_text (GTK_LABEL (self->conversation_notice), text);
  gtk_widget_set_visible (self->conversation_notice, TRUE);
}

/* Show the conversation with peer (NULL: the room). */
static void
show_conversation (CrChatPage *self,
                   const char *peer)
{
  GtkListBoxRow *row;

  if (self->client == NULL)
    return;

  row = find_row (self, peer);
  if (row == NULL)
    row = add_row (self, peer);
  row_conversation (row)->unread = 0;
  update_count (row_conversation (row));
  update_list_visible (self);
  gtk_list_box_select_row (self->conversation_list, row);

  if (g_strcmp0 (peer, self->peer) == 0)
    return;

  g_free (self->peer);
  self->peer = g_strdup (peer);
  self->reply_to = 0;
  gtk_revealer_set_reveal_child (self->reply_revealer, FALSE);

  /* Another view: the list starts again from its newest lines. */
  _cr_chat_page_messages_detach (self);
  gtk_filter_changed (gtk_filter_list_model_get_filter (self->view), GTK_FILTER_CHANGE_DIFFERENT);
  _cr_chat_page_messages_attach (self);
  _cr_chat_page_stick_to_bottom (self);
  update_notice (self);
}

static void
on_row_selected (CrChatPage    *self,
                 GtkListBoxRow *row,
                 GtkListBox    *list)
{
  if (row != NULL)
    show_conversation (self, row_conversation (row)->peer);
}

/* New messages: a private one makes its conversation appear, and counts
 * as unread while another is shown. */
static void
on_all_items_changed (CrChatPage *self,
                      guint       position,
                      guint       removed,
                      guint       added,
                      GListModel *model)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (model, i);
      const char *peer = cr_message_get_peer (message, own_name (self));
      GtkListBoxRow *row;

      if (peer == NULL)
        continue;
      row = find_row (self, peer);
      if (row == NULL)
        row = add_row (self, peer);
      if (g_strcmp0 (peer, self->peer) != 0 && !cr_message_get_own (message) &&
          cr_message_get_seq (message) > 0 && position > 0)
        {
          row_conversation (row)->unread++;
          update_count (row_conversation (row));
        }
    }
  update_list_visible (self);
}

static void
message_privately_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (self->client == NULL || name[0] == '\0' ||
      g_strcmp0 (name, cr_client_get_name (self->client)) == 0)
    return;

  show_conversation (self, name);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
show_room_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  show_conversation (CR_CHAT_PAGE (widget), NULL);
}

/* Alt+Down, Alt+Up: the next or the previous conversation in the list
 * (as Polari goes through its rooms). */
static void
step_conversation (CrChatPage *self,
                   int         step)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->conversation_list);
  int index = row != NULL ? gtk_list_box_row_get_index (row) + step : 0;
  GtkListBoxRow *next = index >= 0 ? gtk_list_box_get_row_at_index (self->conversation_list,
                                                                    index)
                                   : NULL;

  if (next != NULL)
    gtk_list_box_select_row (self->conversation_list, next);
}

static void
next_conversation_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  step_conversation (CR_CHAT_PAGE (widget), 1);
}

static void
previous_conversation_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  step_conversation (CR_CHAT_PAGE (widget), -1);
}

/* --- the member list's menu ---------------------------------------------- */

static void
popup_member_menu (GtkWidget *box,
                   double     x,
                   double     y)
{
  const char *name = g_object_get_data (G_OBJECT (box), "cr-member-name");
  g_autoptr(GMenu) menu = NULL;
  g_autoptr(GMenuItem) item = NULL;
  GtkWidget *popover;

  if (name == NULL || g_object_get_data (G_OBJECT (box), "cr-member-self") != NULL)
    return;

  menu = g_menu_new ();
  item = g_menu_item_new (_("Message _Privately"), NULL);
  g_menu_item_set_action_and_target (item, "chat.message-privately", "s", name);
  g_menu_append_item (menu, item);

  popover = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (popover, box);
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  /* The popover belongs to the row until it closes. */
  g_signal_connect (popover, "closed", G_CALLBACK (gtk_widget_unparent), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
}

static void
on_member_pressed (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   gpointer         user_data)
{
  popup_member_menu (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture)), x, y);
}

static void
on_member_long_pressed (GtkGestureLongPress *gesture,
                        double               x,
                        double               y,
                        gpointer             user_data)
{
  popup_member_menu (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture)), x, y);
}

/* A member row of cr-chat-page-members.c: its menu (right click, long
 * press) offers a private conversation with its member. */
void
_cr_chat_page_conversations_setup_member_row (CrChatPage *self,
                                              GtkWidget  *box)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *press = gtk_gesture_long_press_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_member_pressed), NULL);
  gtk_widget_add_controller (box, GTK_EVENT_CONTROLLER (click));

  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (press), TRUE);
  g_signal_connect (press, "pressed", G_CALLBACK (on_member_long_pressed), NULL);
  gtk_widget_add_controller (box, GTK_EVENT_CONTROLLER (press));
}

void
_cr_chat_page_conversations_bind_member_row (GtkWidget *box,
                                             CrMember  *member)
{
  g_object_set_data_full (G_OBJECT (box), "cr-member-name",
                          member != NULL ? g_strdup (cr_member_get_name (member)) : NULL,
                          g_free);
  g_object_set_data (G_OBJECT (box), "cr-member-self",
                     member != NULL && cr_member_get_is_self (member) ? GINT_TO_POINTER (1)
                                                                      : NULL);
}

/* --- the page's part ----------------------------------------------------- */

void
_cr_chat_page_conversations_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.message-privately", "s",
                                   message_privately_action);
  gtk_widget_class_install_action (widget_class, "chat.show-room", NULL, show_room_action);
  gtk_widget_class_install_action (widget_class, "chat.next-conversation", NULL,
                                   next_conversation_action);
  gtk_widget_class_install_action (widget_class, "chat.previous-conversation", NULL,
                                   previous_conversation_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "chat.next-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "chat.previous-conversation", NULL);
}

void
_cr_chat_page_conversations_init (CrChatPage *self)
{
  GtkWidget *members_box = gtk_widget_get_parent (GTK_WIDGET (self->member_count_label));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *heading = gtk_label_new (_("Conversations"));
  GtkWidget *content = gtk_widget_get_parent (GTK_WIDGET (self->flap));
  GtkCustomFilter *filter;

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_add_css_class (heading, "side-heading");
  self->conversation_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->conversation_list), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->conversation_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Conversations"), -1);
  g_signal_connect_object (self->conversation_list, "row-selected",
                           G_CALLBACK (on_row_selected), self, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->conversation_list));
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_HORIZONTAL));
  gtk_widget_set_visible (box, FALSE);
  gtk_box_prepend (GTK_BOX (members_box), box);

  /* What a private conversation is, said above it. */
  self->conversation_notice = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->conversation_notice), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->conversation_notice), 0);
  gtk_widget_add_css_class (self->conversation_notice, "conversation-notice");
  gtk_widget_set_visible (self->conversation_notice, FALSE);
  gtk_box_insert_child_after (GTK_BOX (content), self->conversation_notice,
                              gtk_widget_get_prev_sibling (GTK_WIDGET (self->flap)));

  self->peer_signals = g_signal_group_new (CR_TYPE_MEMBER);
  g_signal_group_connect_object (self->peer_signals, "notify::flags",
                                 G_CALLBACK (update_notice), self, G_CONNECT_SWAPPED);

  filter = gtk_custom_filter_new (filter_cb, self, NULL);
  self->view = gtk_filter_list_model_new (NULL, GTK_FILTER (filter));
}

/* Before _cr_chat_page_messages_attach: the view of the new client. */
void
_cr_chat_page_conversations_attach (CrChatPage *self)
{
  GListModel *messages = cr_client_get_messages (self->client);

  g_clear_pointer (&self->peer, g_free);
  gtk_filter_list_model_set_model (self->view, messages);
  g_signal_connect_object (messages, "items-changed",
                           G_CALLBACK (on_all_items_changed), self, G_CONNECT_SWAPPED);
  /* The peer's member comes and goes with the list. */
  g_signal_connect_object (cr_client_get_members (self->client), "items-changed",
                           G_CALLBACK (update_notice), self, G_CONNECT_SWAPPED);
  add_row (self, NULL);
  gtk_list_box_select_row (self->conversation_list,
                           gtk_list_box_get_row_at_index (self->conversation_list, 0));
  on_all_items_changed (self, 0, 0, g_list_model_get_n_items (messages), messages);
  update_notice (self);
}

void
_cr_chat_page_conversations_detach (CrChatPage *self)
{
  GtkWidget *child;

  if (self->view == NULL)
    return;

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_func (cr_client_get_messages (self->client),
                                            on_all_items_changed, self);
      g_signal_handlers_disconnect_by_func (cr_client_get_members (self->client),
                                            update_notice, self);
    }
  gtk_filter_list_model_set_model (self->view, NULL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list))) != NULL)
    gtk_list_box_remove (self->conversation_list, child);
  update_list_visible (self);
  g_clear_pointer (&self->peer, g_free);
  update_notice (self);
}

void
_cr_chat_page_conversations_dispose (CrChatPage *self)
{
  g_clear_object (&self->view);
  g_clear_object (&self->peer_signals);
  g_clear_pointer (&self->peer, g_free);
}
