/* cr-chat-page-composer.c: the chat page's entry: typing, sending with
 * Enter, and retrying a message that failed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "chat.send" is enabled while the client is connected (or reconnecting:
 * the message waits) and the entry holds more than blanks. A send that
 * fails leaves the text in the entry and says why in a toast.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-file-row.h"
#include "cr-render.h"
#include "cr-chat-page-private.h"

/* --- the entry ---------------------------------------------------------- */

static char *
dup_entry_text (CrChatPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->entry);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
entry_is_blank (CrChatPage *self)
{
  g_autofree char *text = dup_entry_text (self);

  return g_strstrip (text)[0] == '\0';
}

void
_cr_chat_page_update_actions (CrChatPage *self)
{
  gboolean can_send;

  can_send = self->client != NULL &&
             (cr_client_get_state (self->client) == CR_CLIENT_CONNECTED ||
              cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING) &&
             !entry_is_blank (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", can_send);
}

static void
on_buffer_changed (CrChatPage    *self,
                   GtkTextBuffer *buffer)
{
  gtk_widget_set_visible (self->placeholder_label,
                          gtk_text_buffer_get_char_count (buffer) == 0);
  _cr_chat_page_update_actions (self);
}

static void
on_entry_preedit_changed (CrChatPage  *self,
                          const char  *preedit,
                          GtkTextView *entry)
{
  self->preedit = preedit != NULL && preedit[0] != '\0';
  gtk_widget_set_visible (self->placeholder_label,
                          !self->preedit &&
                          gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (entry)) == 0);
}

static gboolean
on_entry_key_pressed (CrChatPage            *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  /* Shift+Enter is a new line; Enter while an input method composes
   * belongs to the input method. */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 || self->preedit)
    return GDK_EVENT_PROPAGATE;

  gtk_widget_activate_action (GTK_WIDGET (self), "chat.send", NULL);
  return GDK_EVENT_STOP;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (self->client == NULL || entry_is_blank (self))
    return;

  text = dup_entry_text (self);

  /* Trailing blank lines are a slip of the Enter key, not content. */
  g_strchomp (text);

  if (cr_client_send (self->client, text, &error) == NULL)
    {
      g_autofree char *why = NULL;

      /* The text stays in the entry: nothing typed is lost. */
      if (error->domain == CR_CLIENT_ERROR)
        why = cr_render_reason (error->code, NULL);
      else
        why = g_strdup (error->message);
      cr_chat_page_show_toast (self, why);
      return;
    }

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->entry), "", 0);

  /* Whoever sends wants to see their message. */
  _cr_chat_page_stick_to_bottom (self);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  guint64 origin = g_variant_get_uint64 (parameter);
  GListModel *messages;
  guint n;

  if (self->client == NULL)
    return;

  messages = cr_client_get_messages (self->client);
  n = g_list_model_get_n_items (messages);

  /* Failed messages are recent: look from the end. */
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (cr_message_get_own (message) &&
          cr_message_get_origin (message) == origin &&
          cr_message_get_state (message) == CR_MESSAGE_FAILED)
        {
          cr_client_retry (self->client, message);
          return;
        }
    }
}

/* --- the page's part ---------------------------------------------------- */

void
_cr_chat_page_composer_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.retry", "t", retry_action);
}

void
_cr_chat_page_composer_init (CrChatPage *self)
{
  GtkEventController *keys;

  /* Capture phase: Enter must send before the text view makes it a new
   * line. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_entry_key_pressed),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);

  g_signal_connect_object (self->entry, "preedit-changed",
                           G_CALLBACK (on_entry_preedit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->entry), "changed",
                           G_CALLBACK (on_buffer_changed), self, G_CONNECT_SWAPPED);
  /* Shared files: a button by the entry, drops, Ctrl+V of a picture. */
  cr_file_row_install_share (self, GTK_WIDGET (self->entry));
}
