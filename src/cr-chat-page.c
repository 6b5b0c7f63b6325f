/* cr-chat-page.c: the room: messages, members, and the entry
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This file holds the object: the client it shows, the reconnect banner,
 * the side pane (the members, or the owner view while hosting), toasts and
 * the public API. Its parts are in cr-chat-page-messages.c (the message
 * list and its window over the history), cr-chat-page-members.c and
 * cr-chat-page-composer.c (the entry); cr-chat-page-private.h holds the
 * struct they share. A page shows one client after another (the session
 * replaces it): every handler that follows the client is in a GSignalGroup,
 * so changing it is setting the groups' target.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include "cr-window-private.h"
#include "cr-chat-page-private.h"

G_DEFINE_FINAL_TYPE (CrChatPage, cr_chat_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SHOW_SIDE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- client state ------------------------------------------------------- */

static void
update_state (CrChatPage *self)
{
  gboolean reconnecting;

  reconnecting = self->client != NULL &&
                 cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING;

  gtk_revealer_set_reveal_child (self->reconnect_revealer, reconnecting);
  gtk_spinner_set_spinning (self->reconnect_spinner, reconnecting);
}

static void
on_client_notify_state (CrChatPage *self,
                        GParamSpec *pspec,
                        CrClient   *client)
{
  update_state (self);
  _cr_chat_page_update_actions (self);
}

/* --- GObject ------------------------------------------------------------ */

/* Show nothing of the client, and let it go. */
static void
detach_client (CrChatPage *self)
{
  _cr_chat_page_history_dispose (self);
  _cr_chat_page_messages_detach (self);
  _cr_chat_page_conversations_detach (self);
  _cr_chat_page_members_detach (self);
  if (self->client_signals != NULL)
    g_signal_group_set_target (self->client_signals, NULL);
  g_clear_object (&self->client);
}

static void
cr_chat_page_dispose (GObject *object)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  detach_client (self);
  _cr_chat_page_messages_dispose (self);
  _cr_chat_page_composer_dispose (self);
  _cr_chat_page_reply_dispose (self);
  _cr_chat_page_search_dispose (self);
  _cr_chat_page_mention_dispose (self);
  _cr_chat_page_conversations_dispose (self);
  g_clear_object (&self->members_signals);
  g_clear_object (&self->client_signals);
  g_clear_pointer (&self->folded_name, g_free);

  G_OBJECT_CLASS (cr_chat_page_parent_class)->dispose (object);
}

static void
cr_chat_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_SIDE:
      g_value_set_boolean (value, cr_chat_page_get_show_side (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_chat_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_SIDE:
      cr_chat_page_set_show_side (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_flap_notify_reveal (CrChatPage *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_SIDE]);
}

static void
cr_chat_page_class_init (CrChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_chat_page_dispose;
  object_class->get_property = cr_chat_page_get_property;
  object_class->set_property = cr_chat_page_set_property;

  properties[PROP_SHOW_SIDE] =
    g_param_spec_boolean ("show-side", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-chat-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, reconnect_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, reconnect_spinner);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, ended_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, composer_box);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, ended_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, rejoin_button);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, flap);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, message_list);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, new_messages_button);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, new_messages_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, side_stack);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, member_count_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, member_list);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, entry);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, composer_status);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, length_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, send_button);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, pin_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, pin_label);

  _cr_chat_page_composer_class_init (widget_class);
  _cr_chat_page_messages_class_init (widget_class);
  _cr_chat_page_reply_class_init (widget_class);
  _cr_chat_page_search_class_init (widget_class);
  _cr_chat_page_conversations_class_init (widget_class);
}

static void
cr_chat_page_init (CrChatPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->sticky = TRUE;

  _cr_chat_page_messages_init (self);
  _cr_chat_page_members_init (self);
  _cr_chat_page_history_init (self);
  _cr_chat_page_search_init (self);
  _cr_chat_page_conversations_init (self);
  _cr_chat_page_reply_init (self);
  _cr_chat_page_mention_init (self);   /* its keys before the composer's */
  _cr_chat_page_composer_init (self);

  g_signal_connect_object (self->flap, "notify::reveal-flap",
                           G_CALLBACK (on_flap_notify_reveal), self, G_CONNECT_SWAPPED);

  self->client_signals = g_signal_group_new (CR_TYPE_CLIENT);
  g_signal_group_connect_object (self->client_signals, "notify::state",
                                 G_CALLBACK (on_client_notify_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "room-state-changed",
                                 G_CALLBACK (_cr_chat_page_room_state_changed), self,
                                 G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->client_signals, "notify::role",
                                 G_CALLBACK (_cr_chat_page_room_state_changed), self,
                                 G_CONNECT_SWAPPED);

  _cr_chat_page_update_actions (self);
}

GtkWidget *
cr_chat_page_new (void)
{
  return g_object_new (CR_TYPE_CHAT_PAGE, NULL);
}

CrClient *
cr_chat_page_get_client (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->client;
}

void
cr_chat_page_set_client (CrChatPage *self,
                         CrClient   *client)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (client == NULL || CR_IS_CLIENT (client));

  if (self->client == client)
    return;

  detach_client (self);
  _cr_chat_page_set_unseen (self, 0);
  self->sticky = TRUE;

  if (client != NULL)
    {
      self->client = g_object_ref (client);
      g_clear_pointer (&self->folded_name, g_free);
      if (cr_client_get_name (client) != NULL && cr_client_get_name (client)[0] != '\0')
        self->folded_name = g_utf8_casefold (cr_client_get_name (client), -1);

      g_signal_group_set_target (self->client_signals, client);
      /* The members first: the message rows mark the owner's lines. */
      _cr_chat_page_members_attach (self);
      _cr_chat_page_conversations_attach (self);
      _cr_chat_page_messages_attach (self);
    }

  _cr_chat_page_composer_members_changed (self);
  _cr_chat_page_room_state_changed (self);

  update_state (self);
  _cr_chat_page_update_actions (self);
}

gboolean
cr_chat_page_get_show_side (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  return adw_flap_get_reveal_flap (self->flap);
}

void
cr_chat_page_set_show_side (CrChatPage *self,
                            gboolean    show_side)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));

  /* AdwFlap notifies reveal-flap, which notifies show-side. */
  adw_flap_set_reveal_flap (self->flap, !!show_side);
}

void
cr_chat_page_set_owner_widget (CrChatPage *self,
                               GtkWidget  *widget)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (widget == NULL || GTK_IS_WIDGET (widget));

  if (self->owner_widget == widget)
    return;

  if (self->owner_widget != NULL)
    {
      gtk_stack_set_visible_child_name (self->side_stack, "members");
      gtk_stack_remove (self->side_stack, self->owner_widget);
      self->owner_widget = NULL;
    }

  if (widget != NULL)
    {
      self->owner_widget = widget;
      gtk_stack_add_named (self->side_stack, widget, "owner");
      gtk_stack_set_visible_child (self->side_stack, widget);
      adw_flap_set_reveal_flap (self->flap, TRUE);
    }
}

void
cr_chat_page_show_ended (CrChatPage *self,
                         const char *why)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));

  gtk_label_set_text (self->ended_label, why != NULL ? why : "");
  gtk_revealer_set_reveal_child (self->ended_revealer, why != NULL);
  /* Out of the room, neither the composer (with what it said of a mute)
   * nor the member list of a room we are not in has anything true to say:
   * the conversation stays, they go. */
  gtk_widget_set_visible (self->composer_box, why == NULL);
  if (why != NULL)
    adw_flap_set_reveal_flap (self->flap, FALSE);
  if (why != NULL)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->ended_label),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why, -1);
      /* The entry is no use now: the way on is the banner's. */
      gtk_widget_grab_focus (self->rejoin_button);
    }
}

void
cr_chat_page_show_toast (CrChatPage *self,
                         const char *text)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (text != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
cr_chat_page_focus_entry (CrChatPage *self)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

/* --- for tests (cr-window-private.h) ------------------------------------ */

GtkTextView *
_cr_chat_page_get_entry (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->entry;
}

GtkListView *
_cr_chat_page_get_message_list (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->message_list;
}

GtkWidget *
_cr_chat_page_get_reconnect_banner (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return GTK_WIDGET (self->reconnect_revealer);
}

gboolean
_cr_chat_page_get_sticky (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  return self->sticky;
}

gboolean
_cr_chat_page_get_side_folded (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  return adw_flap_get_folded (self->flap);
}

GtkLabel *
_cr_chat_page_get_composer_status (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->composer_status;
}

GtkLabel *
_cr_chat_page_get_length_label (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->length_label;
}

GtkWidget *
_cr_chat_page_get_send_button (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->send_button;
}

GtkRevealer *
_cr_chat_page_get_ended_banner (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->ended_revealer;
}

const char *
_cr_chat_page_get_ended_text (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return gtk_label_get_text (self->ended_label);
}
