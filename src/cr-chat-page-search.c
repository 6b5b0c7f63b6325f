/* cr-chat-page-search.c: Ctrl+F, the room's history searched
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkSearchBar above the chat. The words go to the room
 * (cr_client_search_async: its full-text index, Chinese words inside a
 * sentence too, our private messages and nobody else's); the results are
 * listed under the entry, newest first, each with its sender, its time
 * and the text around the match. Choosing one closes the bar and goes to
 * the message in its conversation (_cr_chat_page_jump_to loads older
 * pages until it is there).
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-chat-page-private.h"

/* Characters of text shown before the match in a result. */
#define CONTEXT_BEFORE 24

/* Characters of a text that a result shows whole (two lines of it). */
#define SHORT_TEXT 80

/* Where the first word of query is in text (bytes), or -1; ASCII letters
 * in any case (the index matches them so). */
static gssize
find_match (const char *text,
            const char *query,
            gsize      *length)
{
  g_autofree char *lower_text = g_ascii_strdown (text, -1);
  g_auto(GStrv) words = g_strsplit_set (query, " \t", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *word = g_ascii_strdown (words[i], -1);
      const char *found;

      if (word[0] == '\0')
        continue;
      found = strstr (lower_text, word);
      if (found != NULL)
        {
          *length = strlen (word);
          return found - lower_text;
        }
    }

  return -1;
}

/* The text around the match, the match in bold (Pango markup). */
static char *
dup_context_markup (const char *text,
                    const char *query)
{
  g_autofree char *flat = g_strdelimit (g_strdup (text), "\n\t", ' ');
  gsize length = 0;
  gssize at = find_match (flat, query, &length);
  const char *start = flat;
  g_autofree char *before = NULL;
  g_autofree char *match = NULL;
  g_autofree char *after = NULL;
  glong chars_before;

  if (at < 0)
    return g_markup_escape_text (flat, -1);

  /* A short text shows whole; a long one from a little before the match,
   * from the start of a word where there is one near. */
  chars_before = g_utf8_pointer_to_offset (flat, flat + at);
  if (chars_before > CONTEXT_BEFORE && g_utf8_strlen (flat, -1) > SHORT_TEXT)
    {
      const char *space;

      start = g_utf8_offset_to_pointer (flat, chars_before - CONTEXT_BEFORE);
      space = strchr (start, ' ');
      if (space != NULL && space < flat + at && g_utf8_pointer_to_offset (start, space) < 10)
        start = space + 1;
    }

  before = g_markup_escape_text (start, flat + at - start);
  match = g_markup_escape_text (flat + at, length);
  after = g_markup_escape_text (flat + at + length, -1);
  return g_strdup_printf ("%s%s<b>%s</b>%s", start != flat ? "…" : "", before, match, after);
}

static GtkWidget *
result_row (CrMessage  *message,
            const char *query)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *sender = gtk_label_new (cr_message_get_sender (message));
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (cr_message_get_time (message) /
                                                              G_USEC_PER_SEC);
  g_autofree char *time = when != NULL ? g_date_time_format (when, "%x %H:%M") : g_strdup ("");
  GtkWidget *time_label = gtk_label_new (time);
  g_autofree char *markup = dup_context_markup (cr_message_get_text (message), query);
  GtkWidget *text = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_widget_add_css_class (sender, "heading");
  gtk_widget_add_css_class (time_label, "dim-label");
  gtk_widget_add_css_class (time_label, "caption");
  if (cr_message_get_target (message) != NULL)
    {
      GtkWidget *private = gtk_label_new (_("private"));

      gtk_widget_add_css_class (private, "dim-label");
      gtk_widget_add_css_class (private, "caption");
      gtk_box_append (GTK_BOX (header), sender);
      gtk_box_append (GTK_BOX (header), private);
    }
  else
    gtk_box_append (GTK_BOX (header), sender);
  gtk_box_append (GTK_BOX (header), time_label);

  gtk_label_set_markup (GTK_LABEL (text), markup);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (text), 2);
  gtk_label_set_ellipsize (GTK_LABEL (text), PANGO_ELLIPSIZE_END);

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), text);
  gtk_widget_add_css_class (box, "search-result");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "cr-message", g_object_ref (message), g_object_unref);
  return row;
}

static void
clear_results (CrChatPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->search_results))) != NULL)
    gtk_list_box_remove (self->search_results, child);
  gtk_widget_set_visible (self->search_scroller, FALSE);
}

static void
set_status (CrChatPage *self,
            const char *text)
{
  gtk_label_set_text (self->search_status, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->search_status), text != NULL);
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CrChatPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) results = NULL;
  g_autofree char *query = NULL;
  gboolean more = FALSE;
  guint n;

  results = cr_client_search_finish (CR_CLIENT (source), result, &more, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  clear_results (self);
  if (results == NULL)
    {
      /* Translators: under the search entry; %s says what went wrong */
      g_autofree char *text = g_strdup_printf (_("The search failed: %s"), error->message);

      set_status (self, text);
      return;
    }

  query = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  n = g_list_model_get_n_items (results);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (results, i);

      gtk_list_box_append (self->search_results, result_row (message, query));
    }
  gtk_widget_set_visible (self->search_scroller, n > 0);

  if (n == 0)
    set_status (self, _("No messages found"));
  else if (more)
    {
      /* Translators: under the search entry when there were more */
      g_autofree char *text = g_strdup_printf (ngettext ("The newest %u message found; "
                                                         "more words narrow it down",
                                                         "The newest %u messages found; "
                                                         "more words narrow it down", n), n);
      set_status (self, text);
    }
  else
    set_status (self, NULL);
}

static void
on_search_changed (CrChatPage     *self,
                   GtkSearchEntry *entry)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *stripped = g_strstrip (g_strdup (query));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);

  if (stripped[0] == '\0' || self->client == NULL ||
      strlen (stripped) > CR_SEARCH_QUERY_MAX_BYTES)
    {
      clear_results (self);
      set_status (self, NULL);
      return;
    }

  self->search_cancellable = g_cancellable_new ();
  cr_client_search_async (self->client, stripped, self->search_cancellable,
                          on_search_done, g_object_ref (self));
}

static void
on_result_activated (CrChatPage    *self,
                     GtkListBoxRow *row,
                     GtkListBox    *list)
{
  CrMessage *message = g_object_get_data (G_OBJECT (row), "cr-message");
  const char *peer;
  guint64 seq = cr_message_get_seq (message);

  if (self->client == NULL)
    return;

  /* The message's own conversation first. */
  peer = cr_message_get_peer (message, cr_client_get_name (self->client));
  if (g_strcmp0 (peer, self->peer) != 0)
    {
      if (peer != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "chat.message-privately", "s", peer);
      else
        gtk_widget_activate_action (GTK_WIDGET (self), "chat.show-room", NULL);
    }

  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  gtk_widget_activate_action (GTK_WIDGET (self), "chat.jump-to", "t", seq);
}

/* Enter in the entry: the first result. */
static void
on_search_activate (CrChatPage     *self,
                    GtkSearchEntry *entry)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->search_results, 0);

  if (first != NULL)
    on_result_activated (self, first, self->search_results);
}

static void
on_search_mode (CrChatPage  *self,
                GParamSpec  *pspec,
                GtkSearchBar *bar)
{
  if (gtk_search_bar_get_search_mode (bar))
    return;

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
_cr_chat_page_search_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "chat.search", NULL);
}

void
_cr_chat_page_search_init (CrChatPage *self)
{
  GtkWidget *content = gtk_widget_get_parent (GTK_WIDGET (self->flap));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *clamp = adw_clamp_new ();

  self->search_entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  gtk_search_entry_set_search_delay (self->search_entry, 300);
  g_object_set (self->search_entry, "placeholder-text", _("Search the room’s history"), NULL);
  gtk_widget_set_hexpand (GTK_WIDGET (self->search_entry), TRUE);
  g_signal_connect_object (self->search_entry, "search-changed",
                           G_CALLBACK (on_search_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "activate",
                           G_CALLBACK (on_search_activate), self, G_CONNECT_SWAPPED);

  self->search_status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->search_status, 0);
  gtk_label_set_wrap (self->search_status, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->search_status), "dim-label");
  gtk_widget_set_visible (GTK_WIDGET (self->search_status), FALSE);

  self->search_results = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->search_results, GTK_SELECTION_BROWSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->search_results), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search_results),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Search results"), -1);
  g_signal_connect_object (self->search_results, "row-activated",
                           G_CALLBACK (on_result_activated), self, G_CONNECT_SWAPPED);
  self->search_scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->search_scroller),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (self->search_scroller),
                                                    TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (self->search_scroller), 280);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->search_scroller),
                                 GTK_WIDGET (self->search_results));
  gtk_widget_set_visible (self->search_scroller, FALSE);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->search_entry));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->search_status));
  gtk_box_append (GTK_BOX (box), self->search_scroller);
  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);

  self->search_bar = GTK_SEARCH_BAR (gtk_search_bar_new ());
  gtk_search_bar_set_child (self->search_bar, clamp);
  gtk_search_bar_set_show_close_button (self->search_bar, TRUE);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (on_search_mode), self, G_CONNECT_SWAPPED);
  gtk_box_insert_child_after (GTK_BOX (content), GTK_WIDGET (self->search_bar),
                              gtk_widget_get_prev_sibling (GTK_WIDGET (self->flap)));
}

void
_cr_chat_page_search_dispose (CrChatPage *self)
{
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
}
