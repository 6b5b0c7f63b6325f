/* cr-chat-page-mention.c: "@" completing member names in the entry, and
 * the emoji button
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Typing "@" and the start of a name lists the members whose names start
 * so (any case) in a popover over the entry; Up and Down move in the
 * list, Enter or Tab put "@name " in place of what was typed, Escape
 * closes it. Which line mentions the reader is cr-mention.h's rule; the
 * list only helps write one.
 *
 * The emoji button beside the entry opens GTK's emoji chooser, which puts
 * the emoji at the cursor.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-member.h"
#include "cr-chat-page-private.h"

/* Names listed at most. */
#define MENTION_MAX_ROWS 8

/* The "@prefix" just before the cursor: start at the "@", end at the
 * cursor. FALSE when the cursor is not in one (a space or the start of
 * the text before it comes first). */
static gboolean
find_prefix (CrChatPage  *self,
             GtkTextIter *start,
             GtkTextIter *end)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->entry);
  GtkTextIter iter;
  guint steps = 0;

  gtk_text_buffer_get_iter_at_mark (buffer, end, gtk_text_buffer_get_insert (buffer));
  iter = *end;
  while (steps++ < CR_NAME_MAX_BYTES && gtk_text_iter_backward_char (&iter))
    {
      gunichar c = gtk_text_iter_get_char (&iter);

      if (c == '@')
        {
          GtkTextIter before = iter;

          /* "a@b" is an address, not a mention: the "@" starts a word. */
          if (gtk_text_iter_backward_char (&before) &&
              !g_unichar_isspace (gtk_text_iter_get_char (&before)))
            return FALSE;
          *start = iter;
          return TRUE;
        }
      if (g_unichar_isspace (c))
        return FALSE;
    }

  return FALSE;
}

static void
hide_popover (CrChatPage *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self->mention_popover)))
    gtk_popover_popdown (self->mention_popover);
}

static void
clear_list (CrChatPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->mention_list))) != NULL)
    gtk_list_box_remove (self->mention_list, child);
}

static void
update_completion (CrChatPage *self)
{
  GtkTextIter start, end;
  g_autofree char *typed = NULL;
  g_autofree char *folded = NULL;
  GListModel *members;
  guint shown = 0;

  if (self->client == NULL || self->preedit || !find_prefix (self, &start, &end))
    {
      hide_popover (self);
      return;
    }

  gtk_text_iter_forward_char (&start);   /* past the "@" */
  typed = gtk_text_iter_get_text (&start, &end);
  folded = g_utf8_casefold (typed, -1);

  clear_list (self);
  members = cr_client_get_members (self->client);
  for (guint i = 0; i < g_list_model_get_n_items (members) && shown < MENTION_MAX_ROWS; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);
      g_autofree char *name = NULL;
      GtkWidget *label;

      if (cr_member_get_is_self (member))
        continue;
      name = g_utf8_casefold (cr_member_get_name (member), -1);
      if (!g_str_has_prefix (name, folded))
        continue;

      label = gtk_label_new (cr_member_get_name (member));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_list_box_append (self->mention_list, label);
      shown++;
    }

  if (shown == 0)
    {
      hide_popover (self);
      return;
    }

  gtk_list_box_select_row (self->mention_list,
                           gtk_list_box_get_row_at_index (self->mention_list, 0));
  if (!gtk_widget_get_visible (GTK_WIDGET (self->mention_popover)))
    {
      GdkRectangle rect;
      int x, y;

      /* Over the "@". */
      gtk_text_view_get_iter_location (self->entry, &end, &rect);
      gtk_text_view_buffer_to_window_coords (self->entry, GTK_TEXT_WINDOW_WIDGET,
                                             rect.x, rect.y, &x, &y);
      rect.x = x;
      rect.y = y;
      gtk_popover_set_pointing_to (self->mention_popover, &rect);
      gtk_popover_popup (self->mention_popover);
    }
}

/* Put "@name " in place of the typed "@prefix". */
static void
complete (CrChatPage    *self,
          GtkListBoxRow *row)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->entry);
  const char *name;
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  if (row == NULL || !find_prefix (self, &start, &end))
    {
      hide_popover (self);
      return;
    }

  name = gtk_label_get_text (GTK_LABEL (gtk_list_box_row_get_child (row)));
  text = g_strdup_printf ("@%s ", name);

  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_insert (buffer, &start, text, -1);
  gtk_text_buffer_end_user_action (buffer);
  hide_popover (self);
}

static void
move_selection (CrChatPage *self,
                int         by)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->mention_list);
  int index = row != NULL ? gtk_list_box_row_get_index (row) + by : 0;
  GtkListBoxRow *next = gtk_list_box_get_row_at_index (self->mention_list, MAX (index, 0));

  if (next != NULL)
    gtk_list_box_select_row (self->mention_list, next);
}

static gboolean
on_entry_key_pressed (CrChatPage            *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  if (!gtk_widget_get_visible (GTK_WIDGET (self->mention_popover)))
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_selection (self, -1);
      return GDK_EVENT_STOP;

    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_selection (self, 1);
      return GDK_EVENT_STOP;

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_Tab:
      complete (self, gtk_list_box_get_selected_row (self->mention_list));
      return GDK_EVENT_STOP;

    case GDK_KEY_Escape:
      hide_popover (self);
      return GDK_EVENT_STOP;

    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
on_mention_row_activated (CrChatPage    *self,
                          GtkListBoxRow *row,
                          GtkListBox    *list)
{
  complete (self, row);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
on_buffer_changed (CrChatPage    *self,
                   GtkTextBuffer *buffer)
{
  update_completion (self);
}

/* --- emoji --------------------------------------------------------------- */

static void
on_emoji_picked (CrChatPage     *self,
                 const char     *emoji,
                 GtkEmojiChooser *chooser)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->entry);

  gtk_text_buffer_insert_at_cursor (buffer, emoji, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
on_emoji_clicked (CrChatPage *self,
                  GtkButton  *button)
{
  gtk_popover_popup (GTK_POPOVER (self->emoji_chooser));
}

/* --- the page's part ----------------------------------------------------- */

/* Before _cr_chat_page_composer_init: the keys here come first while the
 * list shows (Enter picks a name instead of sending). */
void
_cr_chat_page_mention_init (CrChatPage *self)
{
  GtkEventController *keys;
  GtkWidget *send_box = gtk_widget_get_parent (self->send_button);

  self->mention_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->mention_list, GTK_SELECTION_BROWSE);
  gtk_list_box_set_activate_on_single_click (self->mention_list, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->mention_list), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->mention_list),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Members"), -1);
  g_signal_connect_object (self->mention_list, "row-activated",
                           G_CALLBACK (on_mention_row_activated), self, G_CONNECT_SWAPPED);

  self->mention_popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_child (self->mention_popover, GTK_WIDGET (self->mention_list));
  gtk_popover_set_autohide (self->mention_popover, FALSE);
  gtk_popover_set_has_arrow (self->mention_popover, FALSE);
  gtk_popover_set_position (self->mention_popover, GTK_POS_TOP);
  gtk_widget_set_parent (GTK_WIDGET (self->mention_popover), GTK_WIDGET (self->entry));

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_entry_key_pressed),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);
  self->mention_keys = keys;

  g_signal_connect_object (gtk_text_view_get_buffer (self->entry), "changed",
                           G_CALLBACK (on_buffer_changed), self, G_CONNECT_SWAPPED);

  /* The emoji button, just before Send. */
  self->emoji_button = gtk_button_new_from_icon_name ("face-smile-symbolic");
  gtk_widget_set_valign (self->emoji_button, GTK_ALIGN_END);
  gtk_widget_set_tooltip_text (self->emoji_button, _("Insert an Emoji"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->emoji_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Insert an Emoji"), -1);
  gtk_widget_add_css_class (self->emoji_button, "emoji-button");
  g_signal_connect_object (self->emoji_button, "clicked",
                           G_CALLBACK (on_emoji_clicked), self, G_CONNECT_SWAPPED);
  gtk_box_insert_child_after (GTK_BOX (send_box), self->emoji_button,
                              gtk_widget_get_prev_sibling (self->send_button));

  self->emoji_chooser = gtk_emoji_chooser_new ();
  gtk_widget_set_parent (self->emoji_chooser, self->emoji_button);
  g_signal_connect_object (self->emoji_chooser, "emoji-picked",
                           G_CALLBACK (on_emoji_picked), self, G_CONNECT_SWAPPED);
}

void
_cr_chat_page_mention_dispose (CrChatPage *self)
{
  if (self->mention_popover != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->mention_popover));
      self->mention_popover = NULL;
      self->mention_list = NULL;
    }
  if (self->emoji_chooser != NULL)
    {
      gtk_widget_unparent (self->emoji_chooser);
      self->emoji_chooser = NULL;
    }
}
