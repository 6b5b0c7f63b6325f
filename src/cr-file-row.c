/* cr-file-row.c: a shared file in the chat (cr-file-row.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The row shows what the room's CR_EVENT_FILE says (name, size, who,
 * when, an icon for its type) and pulls the file only when asked: the
 * download button saves it to the Downloads folder with a progress bar,
 * cancel stops it (a later download resumes), open and open-folder follow.
 * A picture small enough (CR_FILE_ROW_AUTO_FETCH) is fetched into the
 * cache by itself and shown as a thumbnail (cr-file-row-thumbnail.c);
 * a click opens it full size.
 */
#define G_LOG_DOMAIN "cr-file-row"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-file-client.h"
#include "cr-file-row.h"

struct _CrFileRow
{
  GtkBox          parent_instance;

  /* template widgets */
  GtkImage       *icon;
  GtkLabel       *name_label;
  GtkLabel       *detail_label;
  GtkLabel       *status_label;
  GtkButton      *download_button;
  GtkButton      *cancel_button;
  GtkButton      *open_button;
  GtkButton      *folder_button;
  GtkProgressBar *progress;
  GtkPicture     *picture;

  /* owned */
  CrClient       *client;
  CrFileInfo     *info;
  GCancellable   *cancellable;    /* the download or fetch under way */
  GCancellable   *thumbnail_cancellable;
  char           *path;           /* saved here */
  char           *picture_path;   /* the picture, for a click */
  double          fraction;
  gboolean        has_thumbnail;
};

G_DEFINE_FINAL_TYPE (CrFileRow, cr_file_row, GTK_TYPE_BOX)

/* An operation outlives neither its row's binding (the cancellable) nor
 * the row itself (the reference). */
typedef struct {
  CrFileRow    *row;
  GCancellable *cancellable;
  char         *dest;
  gboolean      picture_only;   /* the cache fetch of a picture */
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->row);
  g_object_unref (fetch->cancellable);
  g_free (fetch->dest);
  g_free (fetch);
}

static void
show_status (CrFileRow  *self,
             const char *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

static void
show_buttons (CrFileRow *self,
              gboolean   busy)
{
  gboolean saved = self->path != NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->download_button), !busy && !saved);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
  gtk_widget_set_visible (GTK_WIDGET (self->open_button), saved);
  gtk_widget_set_visible (GTK_WIDGET (self->folder_button), saved);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), busy);
}

static CrFileClient *
file_client (CrFileRow *self)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;

  if (self->client == NULL || !cr_client_dup_file_endpoint (self->client, &address, &token))
    return NULL;
  return cr_file_client_new (address, token);
}

static void
on_thumbnail (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CrFileRow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = cr_file_row_load_thumbnail_finish (result, &error);
  g_autoptr(GdkTexture) texture = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (pixbuf == NULL)
    {
      /* Shown as a file, with why there is no picture. */
      show_status (self, error->message);
      return;
    }
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_widget_set_size_request (GTK_WIDGET (self->picture), gdk_pixbuf_get_width (pixbuf),
                               gdk_pixbuf_get_height (pixbuf));
  gtk_widget_set_visible (GTK_WIDGET (self->picture), TRUE);
  self->has_thumbnail = TRUE;
}

static void
show_thumbnail (CrFileRow  *self,
                const char *path)
{
  g_free (self->picture_path);
  self->picture_path = g_strdup (path);
  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  self->thumbnail_cancellable = g_cancellable_new ();
  cr_file_row_load_thumbnail_async (path, self->thumbnail_cancellable, on_thumbnail,
                                    g_object_ref (self));
}

static gboolean
looks_like_picture (const char *name)
{
  g_autofree char *type = g_content_type_guess (name, NULL, 0, NULL);

  return g_content_type_is_a (type, "image/png") || g_content_type_is_a (type, "image/jpeg") ||
         g_content_type_is_a (type, "image/gif") || g_content_type_is_a (type, "image/webp");
}

static void
on_progress (guint64  done,
             guint64  total,
             gpointer user_data)
{
  Fetch *fetch = user_data;
  CrFileRow *self = fetch->row;

  if (g_cancellable_is_cancelled (fetch->cancellable) || total == 0)
    return;
  self->fraction = (double) done / total;
  if (!fetch->picture_only)
    gtk_progress_bar_set_fraction (self->progress, self->fraction);
}

static void
on_fetched (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;
  CrFileRow *self = fetch->row;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = cr_file_client_download_finish (CR_FILE_CLIENT (source), result, NULL, &error);
  if (self->cancellable != fetch->cancellable)
    {
      /* Unbound, or another fetch took over: not this row's any more. */
      fetch_free (fetch);
      return;
    }
  g_clear_object (&self->cancellable);
  if (!ok && g_cancellable_is_cancelled (fetch->cancellable))
    {
      /* The member cancelled: the row is as it was. A download that
       * ended before the cancel reached it is shown as saved below. */
      show_buttons (self, FALSE);
      fetch_free (fetch);
      return;
    }

  if (fetch->picture_only)
    {
      if (ok)
        show_thumbnail (self, fetch->dest);
      show_buttons (self, FALSE);
      fetch_free (fetch);
      return;
    }

  if (ok)
    {
      g_autofree char *where = g_path_get_dirname (fetch->dest);

      self->path = g_strdup (fetch->dest);
      self->fraction = 1.0;
      GtkWidget *page = gtk_widget_get_ancestor (GTK_WIDGET (self), CR_TYPE_CHAT_PAGE);
      g_autofree char *status = NULL;

      /* Translators: %s is the folder a downloaded file was saved in */
      status = g_strdup_printf (_("Saved in %s"), where);
      show_status (self, status);
      if (page != NULL)
        {
          /* Translators: a toast; %s is a file's name */
          g_autofree char *toast = g_strdup_printf (_("Downloaded %s"), self->info->name);

          cr_chat_page_show_toast (CR_CHAT_PAGE (page), toast);
        }
      if (!self->has_thumbnail && looks_like_picture (self->info->name))
        show_thumbnail (self, self->path);
    }
  else
    show_status (self, error->message);
  show_buttons (self, FALSE);
  fetch_free (fetch);
}

static void
start_fetch (CrFileRow  *self,
             const char *dest,
             gboolean    picture_only)
{
  g_autoptr(CrFileClient) files = file_client (self);
  Fetch *fetch;

  if (files == NULL)
    {
      show_status (self, _("Files can be downloaded only while in the room"));
      return;
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  fetch = g_new0 (Fetch, 1);
  fetch->row = g_object_ref (self);
  fetch->cancellable = g_object_ref (self->cancellable);
  fetch->dest = g_strdup (dest);
  fetch->picture_only = picture_only;
  if (!picture_only)
    {
      self->fraction = 0.0;
      gtk_progress_bar_set_fraction (self->progress, 0.0);
      show_status (self, NULL);
      show_buttons (self, TRUE);
    }
  cr_file_client_download_async (files, self->info->id, dest, on_progress, fetch,
                                 self->cancellable, on_fetched, fetch);
}

void
cr_file_row_download (CrFileRow *self)
{
  const char *downloads;
  g_autofree char *dest = NULL;

  g_return_if_fail (CR_IS_FILE_ROW (self));
  if (self->info == NULL)
    return;

  downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  if (downloads == NULL)
    downloads = g_get_home_dir ();
  g_mkdir_with_parents (downloads, 0755);
  dest = cr_file_client_pick_dest (downloads, self->info->name);
  start_fetch (self, dest, FALSE);
}

static void
on_download_clicked (CrFileRow *self)
{
  cr_file_row_download (self);
}

static void
on_cancel_clicked (CrFileRow *self)
{
  if (self->cancellable == NULL)
    return;   /* the fetch ended first */
  g_cancellable_cancel (self->cancellable);
  /* Translators: a download was stopped; downloading again goes on from there */
  show_status (self, _("Cancelled; downloading again resumes"));
}

static void
launch (CrFileRow  *self,
        const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *uri = g_file_get_uri (file);
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));
  g_autoptr(GAppLaunchContext) context =
    G_APP_LAUNCH_CONTEXT (gdk_display_get_app_launch_context (display));

  g_app_info_launch_default_for_uri_async (uri, context, NULL, NULL, NULL);
}

static void
on_open_clicked (CrFileRow *self)
{
  if (self->path != NULL)
    launch (self, self->path);
}

static void
on_folder_clicked (CrFileRow *self)
{
  g_autofree char *dir = NULL;

  if (self->path == NULL)
    return;
  dir = g_path_get_dirname (self->path);
  launch (self, dir);
}

static void
on_picture_pressed (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    CrFileRow       *self)
{
  if (self->picture_path != NULL)
    launch (self, self->picture_path);
}

static void
unbind (CrFileRow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->thumbnail_cancellable);
  g_clear_object (&self->thumbnail_cancellable);
  g_clear_object (&self->client);
  g_clear_pointer (&self->info, cr_file_info_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->picture_path, g_free);
  self->fraction = 0.0;
  self->has_thumbnail = FALSE;
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->picture), FALSE);
  show_status (self, NULL);
}

static void
cr_file_row_dispose (GObject *object)
{
  CrFileRow *self = CR_FILE_ROW (object);

  unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CR_TYPE_FILE_ROW);

  G_OBJECT_CLASS (cr_file_row_parent_class)->dispose (object);
}

static void
cr_file_row_class_init (CrFileRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_file_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-file-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, download_button);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, folder_button);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, progress);
  gtk_widget_class_bind_template_child (widget_class, CrFileRow, picture);
  gtk_widget_class_bind_template_callback (widget_class, on_download_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_open_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_folder_clicked);
}

static void
cr_file_row_init (CrFileRow *self)
{
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (on_picture_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->picture), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->picture), "pointer");
}

GtkWidget *
cr_file_row_new (void)
{
  return g_object_new (CR_TYPE_FILE_ROW, NULL);
}

void
cr_file_row_set_message (CrFileRow *self,
                         CrClient  *client,
                         CrMessage *message)
{
  g_autofree char *size = NULL;
  g_autofree char *type = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(GIcon) icon = NULL;
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *time = NULL;
  CrEvent event = { 0 };

  g_return_if_fail (CR_IS_FILE_ROW (self));

  unbind (self);
  if (message == NULL)
    return;

  event.seq = cr_message_get_seq (message);
  event.time_us = cr_message_get_time (message);
  event.kind = cr_message_get_kind (message);
  event.name = (char *) cr_message_get_sender (message);
  event.text = (char *) cr_message_get_text (message);
  self->info = cr_file_info_from_event (&event);
  if (self->info == NULL)
    return;
  self->client = client != NULL ? g_object_ref (client) : NULL;

  gtk_label_set_text (self->name_label, self->info->name);
  size = g_format_size (self->info->size);
  when = g_date_time_new_from_unix_local (self->info->time_us / G_USEC_PER_SEC);
  time = when != NULL ? g_date_time_format (when, "%H:%M") : g_strdup ("");
  /* Translators: under a shared file's name: its size, who shared it, and
   * when (HH:MM) */
  detail = g_strdup_printf (_("%s · %s · %s"), size, self->info->sharer, time);
  gtk_label_set_text (self->detail_label, detail);
  type = g_content_type_guess (self->info->name, NULL, 0, NULL);
  icon = g_content_type_get_symbolic_icon (type);
  gtk_image_set_from_gicon (self->icon, icon);
  show_buttons (self, FALSE);

  if (event.kind == CR_EVENT_FILE_EXPIRED)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->download_button), FALSE);
      show_status (self, _("No longer in the room"));
      return;
    }

  /* A picture small enough shows itself: fetched into the cache once. */
  if (looks_like_picture (self->info->name) && self->info->size <= CR_FILE_ROW_AUTO_FETCH)
    {
      g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "chatroom", "files",
                                                 NULL);
      g_autofree char *cached = g_build_filename (cache, self->info->id, NULL);

      if (g_file_test (cached, G_FILE_TEST_IS_REGULAR))
        show_thumbnail (self, cached);
      else if (g_mkdir_with_parents (cache, 0700) == 0)
        start_fetch (self, cached, TRUE);
    }
}

const char *
cr_file_row_get_path (CrFileRow *self)
{
  g_return_val_if_fail (CR_IS_FILE_ROW (self), NULL);
  return self->path;
}

double
cr_file_row_get_fraction (CrFileRow *self)
{
  g_return_val_if_fail (CR_IS_FILE_ROW (self), 0.0);
  return self->fraction;
}

gboolean
cr_file_row_get_has_thumbnail (CrFileRow *self)
{
  g_return_val_if_fail (CR_IS_FILE_ROW (self), FALSE);
  return self->has_thumbnail;
}

void
cr_file_row_attach (GtkWidget *message_row,
                    CrClient  *client,
                    CrMessage *message)
{
  GtkWidget *row;
  gboolean is_file;

  g_return_if_fail (GTK_IS_BOX (message_row));

  row = g_object_get_data (G_OBJECT (message_row), "cr-file-row");
  is_file = message != NULL && (cr_message_get_kind (message) == CR_EVENT_FILE ||
                                cr_message_get_kind (message) == CR_EVENT_FILE_EXPIRED);
  if (!is_file)
    {
      if (row != NULL)
        {
          cr_file_row_set_message (CR_FILE_ROW (row), NULL, NULL);
          gtk_widget_set_visible (row, FALSE);
        }
      return;
    }
  if (row == NULL)
    {
      row = cr_file_row_new ();
      gtk_box_append (GTK_BOX (message_row), row);
      g_object_set_data (G_OBJECT (message_row), "cr-file-row", row);
    }
  cr_file_row_set_message (CR_FILE_ROW (row), client, message);
  gtk_widget_set_visible (row, TRUE);
}
