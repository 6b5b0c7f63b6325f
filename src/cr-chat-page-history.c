/* cr-chat-page-history.c: older history, a page at a time, when the
 * reader reaches the top
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A member is given the room's last messages when it joins; the rest
 * comes on demand: reaching the top of the list (cr-chat-page-messages.c
 * sees it) asks the room for the page before the oldest row
 * (cr_client_load_older_async). The page lands at the top of the
 * client's model; the list's window shifts with it, so the rows on screen
 * stay where they are and the older ones come in above them. A spinner
 * shows at the top while a page is on its way; once the room says there
 * is nothing older, reaching the top asks no more.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include "cr-chat-page-private.h"

static void
set_loading (CrChatPage *self,
             gboolean    loading)
{
  self->loading_older = loading;
  gtk_spinner_set_spinning (self->history_spinner, loading);
  gtk_revealer_set_reveal_child (self->history_revealer, loading);
}

static void
on_load_older_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CrChatPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean complete = FALSE;
  guint n;

  n = cr_client_load_older_finish (CR_CLIENT (source), result, &complete, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, FALSE);
  if (error != NULL)
    g_debug ("older history: %s", error->message);
  else
    g_debug ("older history: %u messages%s", n, complete ? ", the first reached" : "");

  /* A jump was waiting for this page (cr-chat-page-reply.c). */
  if (self->jump_seq != 0 && (CrClient *) source == self->client)
    {
      if (error == NULL)
        _cr_chat_page_jump_to (self, self->jump_seq);
      else
        self->jump_seq = 0;
    }
}

void
_cr_chat_page_load_older (CrChatPage *self)
{
  g_assert (CR_IS_CHAT_PAGE (self));

  if (self->client == NULL || self->loading_older ||
      cr_client_get_history_complete (self->client) ||
      cr_client_get_state (self->client) != CR_CLIENT_CONNECTED)
    return;

  g_clear_object (&self->history_cancellable);
  self->history_cancellable = g_cancellable_new ();
  set_loading (self, TRUE);
  cr_client_load_older_async (self->client, self->history_cancellable,
                              on_load_older_done, g_object_ref (self));
}

void
_cr_chat_page_history_init (CrChatPage *self)
{
  GtkWidget *overlay = gtk_widget_get_parent (GTK_WIDGET (self->scroller));

  self->history_spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->history_spinner), 24, 24);
  gtk_widget_add_css_class (GTK_WIDGET (self->history_spinner), "history-spinner");
  self->history_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_child (self->history_revealer, GTK_WIDGET (self->history_spinner));
  gtk_revealer_set_transition_type (self->history_revealer,
                                    GTK_REVEALER_TRANSITION_TYPE_CROSSFADE);
  gtk_widget_set_halign (GTK_WIDGET (self->history_revealer), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self->history_revealer), GTK_ALIGN_START);
  gtk_widget_set_margin_top (GTK_WIDGET (self->history_revealer), 12);
  gtk_widget_set_can_target (GTK_WIDGET (self->history_revealer), FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), GTK_WIDGET (self->history_revealer));
}

/* The client changes or the page goes: a page on its way is not waited for. */
void
_cr_chat_page_history_dispose (CrChatPage *self)
{
  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  self->jump_seq = 0;
  if (self->history_spinner != NULL)
    set_loading (self, FALSE);
}
