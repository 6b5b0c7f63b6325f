/* cr-chat-page-reply.c: replying to a message and recalling one from its
 * row, and going to a message (a reply's quote, a search result)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A message row's menu (right click, long press, or Shift+F10 / Menu on
 * the focused row) offers "Reply" and, where the room would allow it,
 * "Recall"; Alt+R replies to the focused row at once. While a reply is
 * being written the composer says to whom ("Replying to NAME: first
 * line") with a button that cancels it. Going to a message loads older
 * pages until it is in the model (cr-chat-page-history.c), then moves
 * the list's window to it and marks its row for a moment.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-message-row.h"
#include "cr-render.h"
#include "cr-chat-page-private.h"

/* The room takes back a member's own message within this long
 * (src/core/cr-engine-conversation.c); the menu offers it only then. */
#define RECALL_WINDOW_US (2 * 60 * G_USEC_PER_SEC)

/* How long a row a jump led to stays marked. */
#define HIGHLIGHT_MS 2000

/* Older pages a jump loads at most before it gives up (≤ 100 000 rows). */
#define JUMP_MAX_PAGES 1000

/* The first line of text, for a quote. Transfer full. */
static char *
dup_first_line (const char *text)
{
  const char *end;

  if (text == NULL)
    return g_strdup ("");
  end = strchr (text, '\n');
  return end != NULL ? g_strndup (text, end - text) : g_strdup (text);
}

/* The message with seq in the view shown, or -1. Seqs grow down the list
 * (an own message waiting for its seq has 0): from the newest, the search
 * ends where they fall below it. */
gint64
_cr_chat_page_find_in_view (CrChatPage *self,
                            guint64     seq)
{
  GListModel *view = _cr_chat_page_get_view (self);

  for (guint i = g_list_model_get_n_items (view); i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (view, i - 1);
      guint64 here = cr_message_get_seq (message);

      if (here == seq)
        return i - 1;
      if (here != 0 && here < seq)
        break;
    }

  return -1;
}

/* --- replying ------------------------------------------------------------ */

static void
set_reply (CrChatPage *self,
           CrMessage  *message)
{
  g_autofree char *line = NULL;
  g_autofree char *text = NULL;

  /* A reply goes to the room (cr_client_reply): none in a private
   * conversation. */
  if (message == NULL || cr_message_is_system (message) || cr_message_get_seq (message) == 0 ||
      cr_message_get_recalled (message) || self->peer != NULL)
    {
      self->reply_to = 0;
      gtk_revealer_set_reveal_child (self->reply_revealer, FALSE);
      return;
    }

  self->reply_to = cr_message_get_seq (message);
  line = dup_first_line (cr_message_get_text (message));
  /* Translators: above the entry while writing a reply; the first %s is
   * a nickname, the second the first line of the message answered */
  text = g_strdup_printf (_("Replying to %s: %s"), cr_message_get_sender (message), line);
  gtk_label_set_text (self->reply_label, text);
  gtk_revealer_set_reveal_child (self->reply_revealer, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
reply_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);

  if (self->client == NULL)
    return;
  set_reply (self, cr_client_find_message (self->client, g_variant_get_uint64 (parameter)));
}

static void
cancel_reply_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  set_reply (CR_CHAT_PAGE (widget), NULL);
}

CrMessage *
_cr_chat_page_send_text (CrChatPage  *self,
                         const char  *text,
                         GError     **error)
{
  CrMessage *message;

  g_assert (CR_IS_CHAT_PAGE (self));

  if (self->peer != NULL)
    return cr_client_send_private (self->client, self->peer, text, error);

  if (self->reply_to == 0)
    return cr_client_send (self->client, text, error);

  message = cr_client_reply (self->client, self->reply_to, text, error);
  if (message != NULL)
    set_reply (self, NULL);
  return message;
}

/* --- recalling ----------------------------------------------------------- */

static void
on_recall_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CrChatPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;

  if (cr_client_recall_finish (CR_CLIENT (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_NOT_ALLOWED))
    why = g_strdup (_("The message was not recalled: you can take back your own messages "
                      "within 2 minutes of sending them"));
  else if (error->domain == CR_CLIENT_ERROR)
    {
      g_autofree char *reason = cr_render_reason (error->code, NULL);

      /* Translators: a toast; %s says why the room refused */
      why = g_strdup_printf (_("The message was not recalled: %s"), reason);
    }
  else
    /* Translators: a toast; %s says what went wrong */
    why = g_strdup_printf (_("The message was not recalled: %s"), error->message);

  cr_chat_page_show_toast (self, why);
  g_free (self->recall_problem);
  self->recall_problem = g_steal_pointer (&why);
}

static void
recall_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);

  if (self->client == NULL)
    return;

  cr_client_recall_async (self->client, g_variant_get_uint64 (parameter), NULL,
                          on_recall_done, g_object_ref (self));
}

/* The room would take it back: our own within the window, or any as
 * its owner. Others are refused by the room in any case. */
static gboolean
may_recall (CrChatPage *self,
            CrMessage  *message)
{
  if (cr_client_get_role (self->client) == CR_ROLE_OWNER)
    return TRUE;

  return cr_message_get_own (message) &&
         g_get_real_time () - cr_message_get_time (message) < RECALL_WINDOW_US;
}

/* --- a row's menu -------------------------------------------------------- */

static GMenuModel *
row_menu (CrChatPage *self,
          CrMessage  *message)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenuItem) reply = NULL;
  guint64 seq = cr_message_get_seq (message);

  if (self->peer == NULL)
    {
      reply = g_menu_item_new (_("_Reply"), NULL);
      g_menu_item_set_action_and_target (reply, "chat.reply", "t", seq);
      g_menu_item_set_attribute (reply, "accel", "s", "<Alt>r");
      g_menu_append_item (menu, reply);
    }

  if (may_recall (self, message))
    {
      g_autoptr(GMenuItem) recall = g_menu_item_new (_("Re_call"), NULL);

      g_menu_item_set_action_and_target (recall, "chat.recall", "t", seq);
      g_menu_append_item (menu, recall);
    }

  if (!cr_message_get_own (message) && self->peer == NULL)
    {
      g_autoptr(GMenuItem) private = g_menu_item_new (_("Message _Privately"), NULL);

      g_menu_item_set_action_and_target (private, "chat.message-privately", "s",
                                         cr_message_get_sender (message));
      g_menu_append_item (menu, private);
    }

  return G_MENU_MODEL (g_steal_pointer (&menu));
}

static void
popup_row_menu (CrChatPage   *self,
                CrMessageRow *row,
                double        x,
                double        y)
{
  CrMessage *message = cr_message_row_get_message (row);
  g_autoptr(GMenuModel) menu = NULL;
  GtkWidget *popover;

  if (self->client == NULL || message == NULL || cr_message_is_system (message) ||
      cr_message_get_seq (message) == 0 || cr_message_get_recalled (message))
    return;

  menu = row_menu (self, message);
  if (g_menu_model_get_n_items (menu) == 0)
    return;
  popover = gtk_popover_menu_new_from_model (menu);
  gtk_widget_set_parent (popover, GTK_WIDGET (row));
  gtk_popover_set_has_arrow (GTK_POPOVER (popover), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (popover),
                               &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (popover, "closed", G_CALLBACK (gtk_widget_unparent), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
}

static CrChatPage *
page_of (GtkEventController *controller)
{
  GtkWidget *page = gtk_widget_get_ancestor (gtk_event_controller_get_widget (controller),
                                             CR_TYPE_CHAT_PAGE);

  return page != NULL ? CR_CHAT_PAGE (page) : NULL;
}

static void
on_row_pressed (GtkGestureClick *gesture,
                int              n_press,
                double           x,
                double           y,
                gpointer         user_data)
{
  CrChatPage *self = page_of (GTK_EVENT_CONTROLLER (gesture));
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));

  if (self != NULL)
    popup_row_menu (self, CR_MESSAGE_ROW (row), x, y);
}

static void
on_row_long_pressed (GtkGestureLongPress *gesture,
                     double               x,
                     double               y,
                     gpointer             user_data)
{
  CrChatPage *self = page_of (GTK_EVENT_CONTROLLER (gesture));
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));

  if (self != NULL)
    popup_row_menu (self, CR_MESSAGE_ROW (row), x, y);
}

/* A new message row (cr-chat-page-messages.c): its menu. */
void
_cr_chat_page_setup_message_row (CrChatPage *self,
                                 GtkWidget  *row)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *press = gtk_gesture_long_press_new ();

  /* A tab stop, so the keyboard reaches a row to reply to (Alt+R) or to
   * open the menu of (Shift+F10): the list's items are neither
   * selectable nor activatable, so they take no focus themselves. */
  gtk_widget_set_focusable (row, TRUE);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_row_pressed), NULL);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));

  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (press), TRUE);
  g_signal_connect (press, "pressed", G_CALLBACK (on_row_long_pressed), NULL);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (press));
}

/* The message row that has the keyboard focus (the list's row widget, or
 * something inside the row), or NULL. */
static CrMessageRow *
focused_row (CrChatPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->message_list)))
    return NULL;

  if (!CR_IS_MESSAGE_ROW (focus))
    {
      GtkWidget *row = gtk_widget_get_ancestor (focus, CR_TYPE_MESSAGE_ROW);

      if (row == NULL)
        row = gtk_widget_get_first_child (focus);
      focus = row;
    }

  return focus != NULL && CR_IS_MESSAGE_ROW (focus) ? CR_MESSAGE_ROW (focus) : NULL;
}

static void
reply_focused_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  CrMessageRow *row = focused_row (self);

  if (row != NULL && self->client != NULL)
    set_reply (self, cr_message_row_get_message (row));
}

static void
menu_focused_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  CrMessageRow *row = focused_row (self);

  if (row != NULL)
    popup_row_menu (self, row, gtk_widget_get_width (GTK_WIDGET (row)) / 2.0,
                    gtk_widget_get_height (GTK_WIDGET (row)) / 2.0);
}

/* --- going to a message -------------------------------------------------- */

gboolean
_cr_chat_page_is_highlighted (CrChatPage *self,
                              CrMessage  *message)
{
  return self->highlight_seq != 0 && cr_message_get_seq (message) == self->highlight_seq;
}

static void
refresh_seq (CrChatPage *self,
             guint64     seq)
{
  gint64 position;

  if (self->shown == NULL || seq == 0)
    return;
  position = _cr_chat_page_find_in_view (self, seq);
  if (position >= 0)
    _cr_message_range_refresh (self->shown, (guint) position, 1);
}

static gboolean
unhighlight_cb (gpointer user_data)
{
  CrChatPage *self = user_data;
  guint64 seq = self->highlight_seq;

  self->highlight_source = 0;
  self->highlight_seq = 0;
  refresh_seq (self, seq);
  return G_SOURCE_REMOVE;
}

void
_cr_chat_page_jump_to (CrChatPage *self,
                       guint64     seq)
{
  gint64 position;

  g_assert (CR_IS_CHAT_PAGE (self));

  if (self->client == NULL || self->shown == NULL || seq == 0)
    return;

  position = _cr_chat_page_find_in_view (self, seq);
  if (position < 0)
    {
      /* Older than what is loaded: a page more, then look again
       * (cr-chat-page-history.c calls back here). */
      if (!cr_client_get_history_complete (self->client) && self->jump_pages < JUMP_MAX_PAGES)
        {
          self->jump_seq = seq;
          self->jump_pages++;
          _cr_chat_page_load_older (self);
          return;
        }

      self->jump_seq = 0;
      self->jump_pages = 0;
      cr_chat_page_show_toast (self, _("That message is no longer in the room’s history"));
      return;
    }

  self->jump_seq = 0;
  self->jump_pages = 0;

  if (self->highlight_seq != 0)
    unhighlight_cb (self);
  g_clear_handle_id (&self->highlight_source, g_source_remove);
  self->highlight_seq = seq;
  self->highlight_source = g_timeout_add (HIGHLIGHT_MS, unhighlight_cb, self);

  _cr_chat_page_show_position (self, (guint) position);
  refresh_seq (self, seq);
}

static void
jump_to_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);

  self->jump_pages = 0;
  _cr_chat_page_jump_to (self, g_variant_get_uint64 (parameter));
}

/* --- the page's part ----------------------------------------------------- */

void
_cr_chat_page_reply_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.reply", "t", reply_action);
  gtk_widget_class_install_action (widget_class, "chat.cancel-reply", NULL, cancel_reply_action);
  gtk_widget_class_install_action (widget_class, "chat.recall", "t", recall_action);
  gtk_widget_class_install_action (widget_class, "chat.jump-to", "t", jump_to_action);
  gtk_widget_class_install_action (widget_class, "chat.reply-focused", NULL,
                                   reply_focused_action);
  gtk_widget_class_install_action (widget_class, "chat.row-menu", NULL, menu_focused_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_ALT_MASK,
                                       "chat.reply-focused", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK,
                                       "chat.row-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "chat.row-menu", NULL);
}

void
_cr_chat_page_reply_init (CrChatPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = g_object_new (GTK_TYPE_IMAGE,
                                  "icon-name", "mail-reply-sender-symbolic",
                                  "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                  NULL);
  GtkWidget *cancel = gtk_button_new_from_icon_name ("window-close-symbolic");

  self->reply_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->reply_label, 0);
  gtk_label_set_ellipsize (self->reply_label, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (self->reply_label), TRUE);

  gtk_widget_add_css_class (cancel, "flat");
  gtk_widget_add_css_class (cancel, "circular");
  gtk_widget_set_tooltip_text (cancel, _("Cancel the reply"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (cancel),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Cancel the reply"), -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (cancel), "chat.cancel-reply");

  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->reply_label));
  gtk_box_append (GTK_BOX (box), cancel);
  gtk_widget_add_css_class (box, "reply-banner");

  self->reply_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (self->reply_revealer, box);
  gtk_revealer_set_transition_type (self->reply_revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_UP);
  gtk_box_prepend (GTK_BOX (self->composer_box), GTK_WIDGET (self->reply_revealer));
}

void
_cr_chat_page_reply_dispose (CrChatPage *self)
{
  g_clear_handle_id (&self->highlight_source, g_source_remove);
  self->highlight_seq = 0;
  self->reply_to = 0;
  g_clear_pointer (&self->recall_problem, g_free);
}
