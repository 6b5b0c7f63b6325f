/* cr-chat-page-composer.c: the chat page's entry: typing, sending with
 * Enter, and retrying a message that failed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "chat.send" is enabled while the client is connected (or reconnecting:
 * the message waits), the room has not muted the reader, and the entry
 * holds more than blanks and no more than the room takes. Near that limit
 * a counter says how much more fits. Why nothing can be sent (muted, too
 * long, control characters) is said above the entry, not in a toast that
 * goes; a send that fails leaves the text in the entry.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-member.h"
#include "cr-file-row.h"
#include "cr-render.h"
#include "cr-chat-page-private.h"

/* The counter shows once the message is this close to the room's limit
 * (CR_TEXT_MAX_BYTES). */
#define LENGTH_WARN_BYTES 500

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

/* What stands between the entry and the room, in a sentence; NULL when
 * nothing does. */
static char *
dup_problem (CrChatPage *self,
             gsize       n_bytes)
{
  if (self->client == NULL)
    return NULL;

  if (self->muted)
    {
      gint64 end = cr_client_get_mute_end (self->client);

      if (end > 0)
        {
          gint64 wall = g_get_real_time () + (end - g_get_monotonic_time ());
          g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (wall / G_USEC_PER_SEC);
          /* Translators: the time a mute ends, as strftime takes it */
          g_autofree char *time = when != NULL ? g_date_time_format (when, C_("mute end", "%H:%M"))
                                               : NULL;

          /* Translators: %s is a time of day such as 10:42 */
          return g_strdup_printf (_("You are muted until %s: you can read, but not send"),
                                  time != NULL ? time : "?");
        }
      return g_strdup (_("The owner has muted you: you can read, but not send, until they "
                         "unmute you"));
    }
  if (self->muted_all)
    return cr_render_reason (CR_REASON_MUTED_ALL, NULL);

  if (n_bytes > CR_TEXT_MAX_BYTES)
    /* Translators: %d is the room's limit in bytes; a Chinese character
     * takes 3 of them */
    return g_strdup_printf (_("Too long to send: a message holds at most %d bytes, "
                              "and a Chinese character takes 3"), CR_TEXT_MAX_BYTES);

  return g_strdup (self->send_problem);
}

static void
update_composer (CrChatPage *self,
                 gsize       n_bytes)
{
  g_autofree char *problem = dup_problem (self, n_bytes);
  gssize left = (gssize) CR_TEXT_MAX_BYTES - (gssize) n_bytes;

  gtk_label_set_text (self->composer_status, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->composer_status), problem != NULL);
  if (self->muted || self->muted_all)
    gtk_widget_remove_css_class (GTK_WIDGET (self->composer_status), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->composer_status), "error");

  gtk_widget_set_visible (GTK_WIDGET (self->length_label),
                          self->client != NULL && left < LENGTH_WARN_BYTES);
  if (left < LENGTH_WARN_BYTES)
    {
      g_autofree char *count = g_strdup_printf ("%" G_GSSIZE_FORMAT, left);

      gtk_label_set_text (self->length_label, count);
      if (left < 0)
        {
          gtk_widget_remove_css_class (GTK_WIDGET (self->length_label), "dim-label");
          gtk_widget_add_css_class (GTK_WIDGET (self->length_label), "error");
        }
      else
        {
          gtk_widget_remove_css_class (GTK_WIDGET (self->length_label), "error");
          gtk_widget_add_css_class (GTK_WIDGET (self->length_label), "dim-label");
        }
    }

  gtk_label_set_text (GTK_LABEL (self->placeholder_label),
                      self->muted || self->muted_all ? _("You are muted") : _("Message…"));
}

void
_cr_chat_page_update_actions (CrChatPage *self)
{
  g_autofree char *text = dup_entry_text (self);
  gsize n_bytes = strlen (text);
  gboolean can_send;

  can_send = self->client != NULL &&
             (cr_client_get_state (self->client) == CR_CLIENT_CONNECTED ||
              cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING) &&
             !self->muted && !self->muted_all &&
             n_bytes <= CR_TEXT_MAX_BYTES &&
             g_strstrip (text)[0] != '\0';

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", can_send);
  update_composer (self, n_bytes);
}

static void
on_buffer_changed (CrChatPage    *self,
                   GtkTextBuffer *buffer)
{
  /* The text that was refused is being changed. */
  g_clear_pointer (&self->send_problem, g_free);
  gtk_widget_set_visible (self->placeholder_label,
                          gtk_text_buffer_get_char_count (buffer) == 0);
  _cr_chat_page_update_actions (self);
}

static void
on_own_member_notify_flags (CrChatPage *self)
{
  CrMember *member = g_signal_group_dup_target (self->own_member_signals);
  gboolean muted = member != NULL && cr_member_get_muted (member);

  g_clear_object (&member);
  if (muted == self->muted)
    return;
  self->muted = muted;
  _cr_chat_page_update_actions (self);
}

void
_cr_chat_page_room_state_changed (CrChatPage *self)
{
  const char *pin = self->client != NULL ? cr_client_get_pin (self->client) : NULL;
  gboolean muted_all = self->client != NULL && cr_client_get_mute_all (self->client) &&
                       cr_client_get_role (self->client) == CR_ROLE_MEMBER;

  /* The pinned announcement stays at the top until replaced or removed. */
  if (pin != NULL && g_strcmp0 (gtk_label_get_text (self->pin_label), pin) != 0)
    gtk_label_set_text (self->pin_label, pin);
  gtk_revealer_set_reveal_child (self->pin_revealer, pin != NULL);

  if (muted_all != self->muted_all)
    {
      self->muted_all = muted_all;
      _cr_chat_page_update_actions (self);
    }
  else if (self->muted)
    _cr_chat_page_update_actions (self);   /* the mute's end may have moved */
}

void
_cr_chat_page_composer_members_changed (CrChatPage *self)
{
  CrMember *own = NULL;

  if (self->own_member_signals == NULL)
    return;

  if (self->client != NULL)
    {
      GListModel *members = cr_client_get_members (self->client);

      for (guint i = 0; i < g_list_model_get_n_items (members) && own == NULL; i++)
        {
          g_autoptr(CrMember) member = g_list_model_get_item (members, i);

          if (cr_member_get_is_self (member))
            own = member;
        }
    }

  /* The group holds no reference: the members model keeps the member. */
  g_signal_group_set_target (self->own_member_signals, own);
  on_own_member_notify_flags (self);
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

  if (_cr_chat_page_send_text (self, text, &error) == NULL)
    {
      g_autofree char *why = NULL;

      /* The text stays in the entry: nothing typed is lost. Said above
       * it, until it is edited: the one refusal left here is a control
       * character (the length is checked as it is typed). */
      if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_TEXT_INVALID))
        why = g_strdup (_("The message contains control characters, which the room does not "
                          "take: remove them to send it"));
      else if (error->domain == CR_CLIENT_ERROR)
        why = cr_render_reason (error->code, NULL);
      else
        why = g_strdup (error->message);
      g_free (self->send_problem);
      self->send_problem = g_steal_pointer (&why);
      _cr_chat_page_update_actions (self);
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

  self->own_member_signals = g_signal_group_new (CR_TYPE_MEMBER);
  g_signal_group_connect_object (self->own_member_signals, "notify::flags",
                                 G_CALLBACK (on_own_member_notify_flags), self,
                                 G_CONNECT_SWAPPED);
}

void
_cr_chat_page_composer_dispose (CrChatPage *self)
{
  g_clear_object (&self->own_member_signals);
  g_clear_pointer (&self->send_problem, g_free);
}
