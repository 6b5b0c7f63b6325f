/* cr-message-row.h: one message in the chat list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "cr-message.h"

G_BEGIN_DECLS

#define CR_TYPE_MESSAGE_ROW (cr_message_row_get_type ())
G_DECLARE_FINAL_TYPE (CrMessageRow, cr_message_row, CR, MESSAGE_ROW, GtkBox)

GtkWidget  *cr_message_row_new          (void);
/* Show message; previous is the one above it (NULL at the top), for
 * grouping; owner_name the room owner's name, for the badge (NULL if
 * unknown). Passing NULL as message unbinds. */
void        cr_message_row_set_message  (CrMessageRow *self,
                                         CrMessage    *message,
                                         CrMessage    *previous,
                                         const char   *owner_name);
CrMessage  *cr_message_row_get_message  (CrMessageRow *self);
/* Mark the row as mentioning the reader (an accent beside it). */
void        cr_message_row_set_mention  (CrMessageRow *self,
                                         gboolean      mention);
gboolean    cr_message_row_get_grouped  (CrMessageRow *self);

G_END_DECLS
