/* cr-file-row.h: a shared file in the chat: name, size, type, who, when,
 * a thumbnail for a picture, download with progress, cancel, open
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cr-chat-page.h"
#include "cr-client.h"
#include "cr-message.h"

G_BEGIN_DECLS

/* Pictures: what a thumbnail may cost. */
#define CR_THUMBNAIL_MAX_PIXELS  (4096 * 4096)          /* decoded: 64 MiB at most */
#define CR_THUMBNAIL_MAX_BYTES   (20 * 1000 * 1000)     /* read */
#define CR_THUMBNAIL_BOX         240                    /* fits in this square */
/* Pictures up to this size are fetched by themselves to show inline. */
#define CR_FILE_ROW_AUTO_FETCH   (10 * 1000 * 1000)

#define CR_TYPE_FILE_ROW (cr_file_row_get_type ())
G_DECLARE_FINAL_TYPE (CrFileRow, cr_file_row, CR, FILE_ROW, GtkBox)

GtkWidget  *cr_file_row_new              (void);
/* message: a CR_EVENT_FILE message of client's room; NULL unbinds. */
void        cr_file_row_set_message      (CrFileRow  *self,
                                          CrClient   *client,
                                          CrMessage  *message);
/* Start the download to the Downloads folder (the row's button). */
void        cr_file_row_download         (CrFileRow  *self);
/* Where the file was saved, once it was; NULL before. */
const char *cr_file_row_get_path         (CrFileRow  *self);
double      cr_file_row_get_fraction     (CrFileRow  *self);
gboolean    cr_file_row_get_has_thumbnail (CrFileRow *self);

/* The chat view's hook: give message_row (a GtkBox) a file row below its
 * text when message is a shared file, and take it away otherwise. */
void        cr_file_row_attach           (GtkWidget  *message_row,
                                          CrClient   *client,
                                          CrMessage  *message);

/* Sharing from the chat view (cr-file-row-share.c): a share button before
 * Send in the entry's ".composer" box, files dropped on the page, Ctrl+V
 * of a picture or files in entry. */
void        cr_file_row_install_share    (CrChatPage   *page,
                                          GtkWidget    *entry);
/* Share path (shown as name; NULL: its basename); a toast says how it
 * ended. remove_after: path is a temporary (a pasted picture). */
void        cr_file_row_share            (CrChatPage   *page,
                                          const char   *path,
                                          const char   *name,
                                          gboolean      remove_after);
/* What Ctrl+V does: TRUE when the clipboard held a picture or files and
 * they are being shared; FALSE leaves text to the entry. */
gboolean    cr_file_row_paste            (CrChatPage   *page,
                                          GdkClipboard *clipboard);

/* "png", "jpeg", "gif", "webp" by magic bytes; NULL otherwise. */
const char *cr_file_row_sniff_picture    (const guint8 *data,
                                          gsize         len);
/* A thumbnail fitting box×box, or NULL with an error: not a picture, too
 * many pixels (refused before decoding), too many bytes, damaged. */
GdkPixbuf  *cr_file_row_load_thumbnail   (const char    *path,
                                          int            box,
                                          GCancellable  *cancellable,
                                          GError       **error);
void        cr_file_row_load_thumbnail_async  (const char          *path,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
GdkPixbuf  *cr_file_row_load_thumbnail_finish (GAsyncResult  *result,
                                               GError       **error);

G_END_DECLS
