/* cr-file-row-share.c: sharing from the chat view: a button by the entry,
 * files dropped on the chat, a picture or file pasted with Ctrl+V
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Installed on a CrChatPage by one call (cr_file_row_install_share), so
 * the page's own files only gain that line. Every share goes through
 * CrFileClient on a worker thread; the page's toast says how it ended, in
 * the sharer's language.
 */
#define G_LOG_DOMAIN "cr-file-row"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cr-file-client.h"
#include "cr-file-row.h"

typedef struct {
  CrChatPage *page;     /* weak: the toast goes nowhere once it is gone */
  char       *label;
  char       *remove;   /* a temporary file (a pasted picture) to delete */
} Share;

static void
share_free (Share *share)
{
  g_clear_weak_pointer (&share->page);
  if (share->remove != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (share->remove);

      /* A pasted picture, alone in its temporary folder. */
      g_unlink (share->remove);
      g_rmdir (dir);
    }
  g_free (share->remove);
  g_free (share->label);
  g_free (share);
}

static void
on_shared (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Share *share = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, NULL, &error))
    /* Translators: a toast; %s is a file's name */
    text = g_strdup_printf (_("Shared %s"), share->label);
  else
    /* Translators: a toast; the first %s is a file's name, the second why */
    text = g_strdup_printf (_("Could not share %s: %s"), share->label, error->message);
  if (share->page != NULL)
    cr_chat_page_show_toast (share->page, text);
  share_free (share);
}

/* Share path as name (NULL: its basename); remove_after: a temporary. */
void
cr_file_row_share (CrChatPage *page,
                   const char *path,
                   const char *name,
                   gboolean    remove_after)
{
  CrClient *client = cr_chat_page_get_client (page);
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;
  g_autoptr(CrFileClient) files = NULL;
  g_autofree char *base = NULL;
  Share *share;

  g_return_if_fail (CR_IS_CHAT_PAGE (page));
  g_return_if_fail (path != NULL);

  if (client == NULL || !cr_client_dup_file_endpoint (client, &address, &token))
    {
      cr_chat_page_show_toast (page, _("Files can be shared only in a Chat Room room, once joined"));
      if (remove_after)
        g_unlink (path);
      return;
    }
  files = cr_file_client_new (address, token);
  base = g_path_get_basename (path);

  share = g_new0 (Share, 1);
  g_set_weak_pointer (&share->page, page);
  share->label = cr_files_safe_name (name != NULL ? name : base);
  share->remove = remove_after ? g_strdup (path) : NULL;
  cr_file_client_upload_async (files, path, name, NULL, NULL, NULL, on_shared, share);
}

/* A picture from the clipboard: saved as a PNG in a private temporary
 * folder, shared as "screenshot-DATE.png", then deleted. */
static void
share_texture (CrChatPage *page,
               GdkTexture *texture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *name = g_strdup_printf ("screenshot-%s.png", stamp);
  g_autofree char *dir = g_dir_make_tmp ("chatroom-paste-XXXXXX", &error);
  g_autofree char *path = NULL;

  if (dir == NULL)
    {
      cr_chat_page_show_toast (page, error->message);
      return;
    }
  path = g_build_filename (dir, name, NULL);
  if (!gdk_texture_save_to_png (texture, path))
    {
      cr_chat_page_show_toast (page, _("Could not save the pasted picture"));
      g_rmdir (dir);
      return;
    }
  cr_file_row_share (page, path, name, TRUE);
}

static void
share_file_list (CrChatPage *page,
                 GSList     *files)
{
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);

      if (path != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        cr_file_row_share (page, path, NULL, FALSE);
    }
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         CrChatPage    *page)
{
  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  share_file_list (page, g_value_get_boxed (value));
  return TRUE;
}

static void
on_clipboard_texture (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(CrChatPage) page = user_data;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source),
                                                                      result, NULL);

  if (texture != NULL)
    share_texture (page, texture);
}

static void
on_clipboard_files (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(CrChatPage) page = user_data;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, NULL);

  if (value != NULL && G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    share_file_list (page, g_value_get_boxed (value));
}

/* Ctrl+V: a picture or files on the clipboard are shared; text is left to
 * the entry's own paste. */
gboolean
cr_file_row_paste (CrChatPage   *page,
                   GdkClipboard *clipboard)
{
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    {
      gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL,
                                      on_clipboard_files, g_object_ref (page));
      return TRUE;
    }
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) &&
      !gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    {
      gdk_clipboard_read_texture_async (clipboard, NULL, on_clipboard_texture,
                                        g_object_ref (page));
      return TRUE;
    }
  return FALSE;
}

static gboolean
on_entry_key (GtkEventControllerKey *keys,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        state,
              CrChatPage            *page)
{
  if ((keyval != GDK_KEY_v && keyval != GDK_KEY_V) ||
      (state & GDK_MODIFIER_MASK & ~GDK_LOCK_MASK) != GDK_CONTROL_MASK)
    return FALSE;
  return cr_file_row_paste (page, gtk_widget_get_clipboard (GTK_WIDGET (page)));
}

static void
on_chosen (GtkNativeDialog *dialog,
           int              response,
           CrChatPage      *page)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        cr_file_row_share (page, path, NULL, FALSE);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_share_clicked (GtkButton  *button,
                  CrChatPage *page)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (page));
  GtkFileChooserNative *dialog;

  dialog = gtk_file_chooser_native_new (_("Share a File"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Share"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_chosen), page, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
cr_file_row_install_share (CrChatPage *page,
                           GtkWidget  *entry)
{
  GtkWidget *button;
  GtkDropTarget *drop;
  GtkEventController *keys;
  GtkWidget *box = entry;
  GtkWidget *send_button;

  g_return_if_fail (CR_IS_CHAT_PAGE (page));

  /* The share button, just before Send: the last child of the entry's
   * ".composer" box (cr-chat-page.ui). */
  while (box != NULL && !gtk_widget_has_css_class (box, "composer"))
    box = gtk_widget_get_parent (box);
  send_button = box != NULL ? gtk_widget_get_last_child (box) : NULL;
  if (GTK_IS_BOX (box) && GTK_IS_BUTTON (send_button))
    {
      button = gtk_button_new_from_icon_name ("mail-attachment-symbolic");
      gtk_widget_set_tooltip_text (button, _("Share a File"));
      gtk_widget_set_valign (button, GTK_ALIGN_END);
      gtk_widget_add_css_class (button, "share-file");
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Share a File"), -1);
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_share_clicked), page, 0);
      gtk_box_insert_child_after (GTK_BOX (box), button,
                                  gtk_widget_get_prev_sibling (send_button));
    }

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (on_drop), page, 0);
  gtk_widget_add_controller (GTK_WIDGET (page), GTK_EVENT_CONTROLLER (drop));

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_entry_key), page, 0);
  gtk_widget_add_controller (entry, keys);
}
