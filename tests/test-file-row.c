/* test-file-row.c: pictures and file rows: thumbnails bounded in pixels
 * and bytes (a truncated picture and a decompression bomb refused), a
 * pasted picture reaching another member as a thumbnail, a download from
 * a file row with its progress.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "cr-chat-page.h"
#include "cr-file-client.h"
#include "cr-file-row.h"
#include "cr-files-private.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-test-utils.h"
#include "cr-test-ui.h"

static char *scratch;

/* Pictures ------------------------------------------------------------ */

static char *
save_png (const char *name,
          int         width,
          int         height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char *path = g_build_filename (scratch, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (width * 7 + height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  gsize len = (gsize) gdk_pixbuf_get_rowstride (pixbuf) * height;

  /* Noise: a truncated half is then really missing rows. */
  for (gsize i = 0; i < len; i++)
    pixels[i] = g_rand_int (rand);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static guint32
crc32 (const guint8 *data,
       gsize         len)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320 & (0 - (crc & 1)));
    }
  return ~crc;
}

static void
append_chunk (GByteArray   *png,
              const char   *type,
              const guint8 *data,
              guint32       len)
{
  guint32 be = GUINT32_TO_BE (len);
  g_autoptr(GByteArray) crc_input = g_byte_array_new ();
  guint32 crc;

  g_byte_array_append (png, (guint8 *) &be, 4);
  g_byte_array_append (crc_input, (const guint8 *) type, 4);
  g_byte_array_append (crc_input, data, len);
  g_byte_array_append (png, crc_input->data, crc_input->len);
  crc = GUINT32_TO_BE (crc32 (crc_input->data, crc_input->len));
  g_byte_array_append (png, (guint8 *) &crc, 4);
}

/* A decompression bomb: a few hundred bytes whose header says 30000×30000
 * (3.6 GB decoded), and a deflate stream of zeros behind it. */
static char *
save_bomb (void)
{
  g_autoptr(GByteArray) png = g_byte_array_new ();
  g_autoptr(GConverter) zlib = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9));
  g_autofree guint8 *zeros = g_malloc0 (1 << 20);
  g_autofree guint8 *packed = g_malloc (1 << 20);
  g_autofree char *path = g_build_filename (scratch, "bomb.png", NULL);
  guint8 ihdr[13];
  guint32 be;
  gsize read = 0, written = 0;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (png, (const guint8 *) "\x89PNG\r\n\x1a\n", 8);
  be = GUINT32_TO_BE (30000);
  memcpy (ihdr, &be, 4);
  memcpy (ihdr + 4, &be, 4);
  ihdr[8] = 8;    /* bit depth */
  ihdr[9] = 2;    /* RGB */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  g_assert_cmpint (g_converter_convert (zlib, zeros, 1 << 20, packed, 1 << 20,
                                        G_CONVERTER_INPUT_AT_END, &read, &written, &error),
                   ==, G_CONVERTER_FINISHED);
  append_chunk (png, "IDAT", packed, written);
  append_chunk (png, "IEND", NULL, 0);
  g_assert_true (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
  return g_steal_pointer (&path);
}

static void
test_thumbnails (void)
{
  g_autofree char *wide = save_png ("wide.png", 640, 480);
  g_autofree char *tall = save_png ("tall.png", 300, 8000);
  g_autofree char *whole = save_png ("whole.png", 256, 256);
  g_autofree char *truncated = g_build_filename (scratch, "truncated.png", NULL);
  g_autofree char *not_png = g_build_filename (scratch, "letter.png", NULL);
  g_autofree char *bomb = save_bomb ();
  g_autofree char *contents = NULL;
  g_autoptr(GdkPixbuf) a = NULL;
  g_autoptr(GdkPixbuf) b = NULL;
  g_autoptr(GdkPixbuf) none = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  a = cr_file_row_load_thumbnail (wide, CR_THUMBNAIL_BOX, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (a), ==, 240);
  g_assert_cmpint (gdk_pixbuf_get_height (a), ==, 180);
  b = cr_file_row_load_thumbnail (tall, CR_THUMBNAIL_BOX, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_height (b), ==, 240);
  g_assert_cmpint (gdk_pixbuf_get_width (b), ==, 9);

  /* Half a picture is refused, not shown in part. */
  g_assert_true (g_file_get_contents (whole, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, contents, len / 2, NULL));
  none = cr_file_row_load_thumbnail (truncated, CR_THUMBNAIL_BOX, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The bomb is refused from its header, before a pixel is decoded. */
  none = cr_file_row_load_thumbnail (bomb, CR_THUMBNAIL_BOX, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "The picture is too large to show");
  g_clear_error (&error);

  /* A name is not a type. */
  g_assert_true (g_file_set_contents (not_png, "Dear all,\n", -1, NULL));
  none = cr_file_row_load_thumbnail (not_png, CR_THUMBNAIL_BOX, NULL, &error);
  g_assert_null (none);
  g_assert_cmpstr (error->message, ==, "Not a picture");
}

/* Rows between members ------------------------------------------------- */

static CrMessage *
find_file_message (CrClient   *client,
                   const char *name_part)
{
  GListModel *messages = cr_client_get_messages (client);

  for (guint i = g_list_model_get_n_items (messages); i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (cr_message_get_kind (message) == CR_EVENT_FILE &&
          strstr (cr_message_get_text (message), name_part) != NULL)
        return g_steal_pointer (&message);
    }
  return NULL;
}

typedef struct {
  CrClient   *client;
  const char *name_part;
} FindWait;

static gboolean
file_message_arrived (gpointer user_data)
{
  FindWait *wait = user_data;
  g_autoptr(CrMessage) message = find_file_message (wait->client, wait->name_part);

  return message != NULL;
}

static gboolean
row_has_thumbnail (gpointer user_data)
{
  return cr_file_row_get_has_thumbnail (user_data);
}

typedef struct {
  CrFileRow *row;
  double     seen;   /* a fraction strictly between 0 and 1, once */
} ProgressWait;

static gboolean
row_progressed (gpointer user_data)
{
  ProgressWait *wait = user_data;
  double f = cr_file_row_get_fraction (wait->row);

  if (f > 0.0 && f < 1.0)
    wait->seen = f;
  return cr_file_row_get_path (wait->row) != NULL;
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, NULL, &error));
  *done = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
test_paste_and_download (void)
{
  CrTestRoom room = { 0 };
  CrClient *alice, *bob;
  GtkWidget *window;
  GtkWidget *page;
  GtkWidget *box;
  GtkWidget *picture_row;
  GtkWidget *file_row;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(CrMessage) picture = NULL;
  g_autoptr(CrMessage) file = NULL;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;
  g_autofree char *big = NULL;
  g_autofree char *png = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  gboolean uploaded = FALSE;
  FindWait wait;
  ProgressWait progress = { 0 };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 5000, NULL);

  /* Alice's chat view; a picture on the clipboard; Ctrl+V's paste. */
  page = cr_chat_page_new ();
  cr_chat_page_set_client (CR_CHAT_PAGE (page), alice);
  window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  png = save_png ("shot.png", 800, 600);
  pixbuf = gdk_pixbuf_new_from_file (png, NULL);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (page), texture);
  g_assert_true (cr_file_row_paste (CR_CHAT_PAGE (page),
                                    gtk_widget_get_clipboard (page)));

  /* Bob sees the shared screenshot as a thumbnail. */
  wait = (FindWait) { bob, "screenshot-" };
  cr_test_assert_wait (file_message_arrived, &wait, 20000);
  picture = find_file_message (bob, "screenshot-");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_window_set_child (GTK_WINDOW (window), box);
  cr_file_row_attach (box, bob, picture);
  picture_row = gtk_widget_get_last_child (box);
  g_assert_true (CR_IS_FILE_ROW (picture_row));
  cr_test_assert_wait (row_has_thumbnail, picture_row, 20000);
  g_assert_null (cr_file_row_get_path (CR_FILE_ROW (picture_row)));

  /* A file that is not a picture: downloaded from its row, with progress. */
  big = g_build_filename (scratch, "data.bin", NULL);
  {
    g_autofree char *bytes = g_malloc (20 * 1000 * 1000);
    g_autoptr(GRand) rand = g_rand_new_with_seed (99);

    for (gsize i = 0; i < 20 * 1000 * 1000; i++)
      bytes[i] = g_rand_int (rand);
    g_assert_true (g_file_set_contents (big, bytes, 20 * 1000 * 1000, NULL));
  }
  g_assert_true (cr_client_dup_file_endpoint (alice, &address, &token));
  alice_files = cr_file_client_new (address, token);
  cr_file_client_upload_async (alice_files, big, NULL, NULL, NULL, NULL, on_uploaded, &uploaded);
  cr_test_assert_wait (flag_set, &uploaded, 60000);
  wait = (FindWait) { bob, "data.bin" };
  cr_test_assert_wait (file_message_arrived, &wait, 20000);
  file = find_file_message (bob, "data.bin");

  file_row = cr_file_row_new ();
  gtk_box_append (GTK_BOX (box), file_row);
  cr_file_row_set_message (CR_FILE_ROW (file_row), bob, file);
  cr_file_row_download (CR_FILE_ROW (file_row));
  progress.row = CR_FILE_ROW (file_row);
  cr_test_assert_wait (row_progressed, &progress, 60000);
  g_assert_cmpfloat (cr_file_row_get_fraction (CR_FILE_ROW (file_row)), ==, 1.0);
  g_assert_true (g_str_has_prefix (cr_file_row_get_path (CR_FILE_ROW (file_row)), scratch));
  g_assert_true (g_file_get_contents (big, &want, NULL, NULL));
  g_assert_true (g_file_get_contents (cr_file_row_get_path (CR_FILE_ROW (file_row)), &got,
                                      NULL, NULL));
  g_assert_true (memcmp (want, got, 20 * 1000 * 1000) == 0);
  g_assert_false (cr_file_row_get_has_thumbnail (CR_FILE_ROW (file_row)));

  gtk_window_destroy (GTK_WINDOW (window));
  cr_test_leave_and_free (alice);
  cr_test_leave_and_free (bob);
  cr_test_room_clear (&room);
}

/* Progress and cancel, as seen on screen --------------------------------- */

#define BIG_SIZE (30 * 1000 * 1000)

/* Click a row's button (by its icon), as the member would. */
static void
click (GtkWidget  *row,
       const char *icon_name)
{
  GtkWidget *button = cr_test_ui_find_icon_button (row, icon_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_mapped (button));
  /* As a pointer's release does: at once (activating a button clicks it
   * only after its pressed look has shown, from the loop). */
  g_signal_emit_by_name (button, "clicked");
}

typedef struct {
  GtkWidget *row;
  double     between;   /* the bar's fraction on screen, strictly in (0, 1); 0: none yet */
  gboolean   stop;      /* stop waiting at the first such fraction */
} BarWait;

/* What the progress bar shows now, while it is on screen; until the row
 * has its file (or, with stop, until a fraction strictly inside). */
static gboolean
bar_watched (gpointer user_data)
{
  BarWait *wait = user_data;
  GtkWidget *bar = cr_test_ui_find_type (wait->row, GTK_TYPE_PROGRESS_BAR);
  double f = gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (bar));

  if (gtk_widget_get_mapped (bar) && f > 0.0 && f < 1.0 && wait->between == 0.0)
    wait->between = f;
  if (wait->stop)
    return wait->between > 0.0;
  return cr_file_row_get_path (CR_FILE_ROW (wait->row)) != NULL;
}

static gboolean
row_idle (gpointer user_data)
{
  /* The download button back: the cancelled fetch has ended. */
  GtkWidget *button = cr_test_ui_find_icon_button (user_data, "folder-download-symbolic");

  return gtk_widget_get_mapped (button);
}

static gboolean
row_stopped (gpointer user_data)
{
  /* The stop button gone: the fetch has ended, however it ended. */
  return !gtk_widget_get_mapped (cr_test_ui_find_icon_button (user_data,
                                                             "process-stop-symbolic"));
}

/* A 30 MB download from a file row: its progress bar shows a fraction
 * strictly between 0 and 1 at some point, then the file is complete. A
 * second download cancelled half-way stops with the row as it was and
 * the part kept; downloading again goes on to an identical file. */
static void
test_progress_and_cancel (void)
{
  CrTestRoom room = { 0 };
  CrClient *alice, *bob;
  GtkWidget *window;
  GtkWidget *box;
  GtkWidget *row;
  GtkWidget *again;
  g_autoptr(CrMessage) file = NULL;
  g_autoptr(CrFileClient) alice_files = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autofree char *token = NULL;
  g_autofree char *big = g_build_filename (scratch, "lecture.bin", NULL);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autofree char *first_path = NULL;
  g_autofree char *part = NULL;
  gboolean uploaded = FALSE;
  GStatBuf st;
  FindWait wait;
  BarWait bar = { 0 };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 5000, NULL);
  {
    g_autofree char *bytes = g_malloc (BIG_SIZE);
    g_autoptr(GRand) rand = g_rand_new_with_seed (30);

    for (gsize i = 0; i < BIG_SIZE; i += 4)
      *(guint32 *) (bytes + i) = g_rand_int (rand);
    g_assert_true (g_file_set_contents (big, bytes, BIG_SIZE, NULL));
  }
  g_assert_true (cr_client_dup_file_endpoint (alice, &address, &token));
  alice_files = cr_file_client_new (address, token);
  cr_file_client_upload_async (alice_files, big, NULL, NULL, NULL, NULL, on_uploaded, &uploaded);
  cr_test_assert_wait (flag_set, &uploaded, 60000);
  wait = (FindWait) { bob, "lecture.bin" };
  cr_test_assert_wait (file_message_arrived, &wait, 20000);
  file = find_file_message (bob, "lecture.bin");
  g_assert_true (g_file_get_contents (big, &want, NULL, NULL));

  /* Bob's rows, in a real window. */
  window = gtk_window_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_window_set_child (GTK_WINDOW (window), box);
  row = cr_file_row_new ();
  gtk_box_append (GTK_BOX (box), row);
  cr_file_row_set_message (CR_FILE_ROW (row), bob, file);
  gtk_window_present (GTK_WINDOW (window));
  cr_test_assert_wait ((CrTestCondition) gtk_widget_get_mapped, row, 5000);

  /* Download: the bar on screen passes a fraction strictly inside. */
  click (row, "folder-download-symbolic");
  bar.row = row;
  cr_test_assert_wait (bar_watched, &bar, 60000);
  g_test_message ("the bar showed %.3f", bar.between);
  g_assert_cmpfloat (bar.between, >, 0.0);
  g_assert_cmpfloat (bar.between, <, 1.0);
  g_assert_cmpfloat (cr_file_row_get_fraction (CR_FILE_ROW (row)), ==, 1.0);
  g_assert_false (gtk_widget_get_visible (cr_test_ui_find_type (row, GTK_TYPE_PROGRESS_BAR)));
  g_assert_true (gtk_widget_get_visible (cr_test_ui_find_icon_button (row,
                                                                      "document-open-symbolic")));
  first_path = g_strdup (cr_file_row_get_path (CR_FILE_ROW (row)));
  g_assert_true (g_file_get_contents (first_path, &got, NULL, NULL));
  g_assert_true (memcmp (want, got, BIG_SIZE) == 0);
  g_clear_pointer (&got, g_free);

  /* Another row of the same file, cancelled half-way. */
  again = cr_file_row_new ();
  gtk_box_append (GTK_BOX (box), again);
  cr_file_row_set_message (CR_FILE_ROW (again), bob, file);
  cr_test_assert_wait ((CrTestCondition) gtk_widget_get_mapped, again, 5000);
  /* The room holds the rest back half-way, so the stop lands before the
   * end however fast the machine (CI once finished first). */
  cr_files_stall_download_once (cr_server_get_files (room.server), BIG_SIZE / 2);
  click (again, "folder-download-symbolic");
  bar = (BarWait) { again, 0.0, TRUE };
  cr_test_assert_wait (bar_watched, &bar, 60000);
  click (again, "process-stop-symbolic");
  cr_test_assert_wait (row_idle, again, 20000);
  cr_files_release_stall (cr_server_get_files (room.server));
  g_assert_null (cr_file_row_get_path (CR_FILE_ROW (again)));
  g_assert_false (gtk_widget_get_visible (cr_test_ui_find_type (again, GTK_TYPE_PROGRESS_BAR)));
  g_assert_false (gtk_widget_get_visible (cr_test_ui_find_icon_button (again,
                                                                       "process-stop-symbolic")));
  {
    g_autofree char *downloads = g_path_get_dirname (first_path);
    g_autofree char *dest = cr_file_client_pick_dest (downloads, "lecture.bin");

    /* Nothing passes for the file; what came is kept for the resume. */
    g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
    part = g_strconcat (dest, ".part", NULL);
    g_assert_cmpint (g_stat (part, &st), ==, 0);
    g_test_message ("cancelled with %" G_GINT64_FORMAT " of %d bytes", (gint64) st.st_size,
                    BIG_SIZE);
    g_assert_cmpint (st.st_size, <, BIG_SIZE);
  }

  /* Again: it completes, identical. */
  click (again, "folder-download-symbolic");
  bar = (BarWait) { again, 0.0, FALSE };
  cr_test_assert_wait (bar_watched, &bar, 60000);
  g_assert_cmpstr (cr_file_row_get_path (CR_FILE_ROW (again)), !=, first_path);
  g_assert_true (g_file_get_contents (cr_file_row_get_path (CR_FILE_ROW (again)), &got,
                                      NULL, NULL));
  g_assert_true (memcmp (want, got, BIG_SIZE) == 0);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  /* A stop that comes after the file landed: the row shows it saved,
   * not "as it was" over a file the member was never told of. */
  {
    g_autofree char *downloads = g_path_get_dirname (first_path);
    g_autofree char *late = cr_file_client_pick_dest (downloads, "lecture.bin");
    GtkWidget *third = cr_file_row_new ();

    gtk_box_append (GTK_BOX (box), third);
    cr_file_row_set_message (CR_FILE_ROW (third), bob, file);
    cr_test_assert_wait ((CrTestCondition) gtk_widget_get_mapped, third, 5000);
    click (third, "folder-download-symbolic");
    bar = (BarWait) { third, 0.0, TRUE };
    cr_test_assert_wait (bar_watched, &bar, 60000);
    /* The transfer runs on threads; the window's loop stays still until
     * the file is whole on disk, so the result waits behind the stop. */
    for (guint i = 0; i < 6000 && !g_file_test (late, G_FILE_TEST_EXISTS); i++)
      g_usleep (10 * 1000);
    g_assert_true (g_file_test (late, G_FILE_TEST_EXISTS));
    click (third, "process-stop-symbolic");
    cr_test_assert_wait (row_stopped, third, 20000);
    g_assert_cmpstr (cr_file_row_get_path (CR_FILE_ROW (third)), ==, late);
    g_assert_cmpfloat (cr_file_row_get_fraction (CR_FILE_ROW (third)), ==, 1.0);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  cr_test_leave_and_free (alice);
  cr_test_leave_and_free (bob);
  cr_test_room_clear (&room);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Downloads and the picture cache go into a throwaway home. */
  scratch = cr_test_make_tmpdir ();
  g_setenv ("HOME", scratch, TRUE);
  g_setenv ("XDG_CONFIG_HOME", scratch, TRUE);
  g_setenv ("XDG_CACHE_HOME", scratch, TRUE);
  cr_locale_init ();
  cr_test_ui_require_display ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/chatroom/file-row/thumbnails", test_thumbnails);
  g_test_add_func ("/chatroom/file-row/paste-and-download", test_paste_and_download);
  g_test_add_func ("/chatroom/file-row/progress-and-cancel", test_progress_and_cancel);
  status = g_test_run ();
  cr_test_remove_tree (scratch);
  g_free (scratch);
  return status;
}
