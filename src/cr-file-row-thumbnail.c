/* cr-file-row-thumbnail.c: thumbnails of shared pictures, bounded in what
 * they read, decode and keep
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A picture comes from another member: it is hostile until decoded. Only
 * PNG, JPEG, GIF and WebP are tried (by their magic bytes, not their
 * name: no SVG, whose loader follows references, nor the rarer loaders).
 * The loader's size-prepared signal says the dimensions before any pixel
 * is decoded; a picture over CR_THUMBNAIL_MAX_PIXELS is refused there
 * (gdk_pixbuf_loader_set_size (0, 0) stops the loader, as
 * gdk_pixbuf_get_file_info does), so a decompression bomb costs a header.
 * Others are decoded scaled to fit the thumbnail's box. A damaged or
 * truncated picture is refused rather than shown in part: the loaders
 * show what arrived of a cut PNG without a word, so the end each format
 * has (PNG's IEND, JPEG's EOI, GIF's trailer, the RIFF length) is checked.
 */
#define G_LOG_DOMAIN "cr-file-row"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-file-row.h"

typedef struct {
  int      box;
  gboolean too_big;
} Prepare;

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  Prepare *prepare = user_data;
  double scale;

  if (width <= 0 || height <= 0 || (guint64) width * height > CR_THUMBNAIL_MAX_PIXELS)
    {
      prepare->too_big = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  scale = MIN (1.0, MIN ((double) prepare->box / width, (double) prepare->box / height));
  gdk_pixbuf_loader_set_size (loader, MAX (1, (int) (width * scale)),
                              MAX (1, (int) (height * scale)));
}

const char *
cr_file_row_sniff_picture (const guint8 *data,
                           gsize         len)
{
  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "png";
  if (len >= 3 && memcmp (data, "\xff\xd8\xff", 3) == 0)
    return "jpeg";
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "gif";
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "webp";
  return NULL;
}

/* Whether the last bytes read (tail, the final len ≤ 12 of total) are how a
 * complete file of this type ends; first: its first 12 bytes. */
static gboolean
ends_whole (const char   *type,
            const guint8 *first,
            const guint8 *tail,
            gsize         len,
            gsize         total)
{
  if (g_str_equal (type, "png"))
    return len >= 12 && memcmp (tail + len - 12, "\0\0\0\0IEND\xae\x42\x60\x82", 12) == 0;
  if (g_str_equal (type, "jpeg"))
    return len >= 2 && tail[len - 2] == 0xff && tail[len - 1] == 0xd9;
  if (g_str_equal (type, "gif"))
    return len >= 1 && tail[len - 1] == 0x3b;
  if (g_str_equal (type, "webp"))
    return total >= 12 && GUINT32_FROM_LE (*(const guint32 *) (first + 4)) + 8 <= total;
  return FALSE;
}

static gboolean
refuse (GError     **error,
        const char  *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

GdkPixbuf *
cr_file_row_load_thumbnail (const char    *path,
                            int            box,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buf = NULL;
  Prepare prepare = { box, FALSE };
  guint8 first[12] = { 0 };
  guint8 tail[12];
  gsize tail_len = 0;
  const char *type;
  gsize total = 0;
  gssize n;
  gboolean closed;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (box > 0, NULL);

  file = g_file_new_for_path (path);
  in = g_file_read (file, cancellable, error);
  if (in == NULL)
    return NULL;
  buf = g_malloc (64 * 1024);
  n = g_input_stream_read (G_INPUT_STREAM (in), buf, 64 * 1024, cancellable, error);
  if (n < 0)
    return NULL;
  type = cr_file_row_sniff_picture (buf, n);
  if (type == NULL)
    {
      refuse (error, _("Not a picture"));
      return NULL;
    }
  loader = gdk_pixbuf_loader_new_with_type (type, NULL);
  if (loader == NULL)
    {
      refuse (error, _("Pictures of this kind cannot be shown here"));
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &prepare);
  memcpy (first, buf, MIN ((gsize) n, sizeof first));

  while (n > 0 && !prepare.too_big)
    {
      total += n;
      if (total > CR_THUMBNAIL_MAX_BYTES)
        {
          prepare.too_big = TRUE;
          break;
        }
      if (!gdk_pixbuf_loader_write (loader, buf, n, &local_error))
        break;
      /* The last 12 bytes so far. */
      if ((gsize) n >= sizeof tail)
        {
          memcpy (tail, buf + n - sizeof tail, sizeof tail);
          tail_len = sizeof tail;
        }
      else
        {
          gsize keep = MIN (tail_len, sizeof tail - n);

          memmove (tail, tail + tail_len - keep, keep);
          memcpy (tail + keep, buf, n);
          tail_len = keep + n;
        }
      n = g_input_stream_read (G_INPUT_STREAM (in), buf, 64 * 1024, cancellable, error);
      if (n < 0)
        {
          gdk_pixbuf_loader_close (loader, NULL);
          return NULL;
        }
    }
  closed = gdk_pixbuf_loader_close (loader, local_error == NULL ? &local_error : NULL);

  if (prepare.too_big)
    {
      refuse (error, _("The picture is too large to show"));
      return NULL;
    }
  if (!closed || local_error != NULL || gdk_pixbuf_loader_get_pixbuf (loader) == NULL ||
      !ends_whole (type, first, tail, tail_len, total))
    {
      refuse (error, _("The picture is damaged"));
      return NULL;
    }
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static void
run_thumbnail (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  GdkPixbuf *pixbuf;

  pixbuf = cr_file_row_load_thumbnail (task_data, CR_THUMBNAIL_BOX, cancellable, &error);
  if (pixbuf == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pixbuf, g_object_unref);
}

void
cr_file_row_load_thumbnail_async (const char          *path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, cr_file_row_load_thumbnail_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, run_thumbnail);
}

GdkPixbuf *
cr_file_row_load_thumbnail_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
