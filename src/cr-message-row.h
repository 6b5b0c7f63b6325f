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
/* Mark the row as the one a jump led to (a quote, a search result). */
void        cr_message_row_set_highlight (CrMessageRow *self,
                                          gboolean      highlight);
/* A reply's quote as the row shows it ("NAME: first line"), or NULL. */
const char *cr_message_row_get_quote    (CrMessageRow *self);
gboolean    cr_message_row_get_grouped  (CrMessageRow *self);
/* The first line of a burst of join and leave lines: summary ("5 members
 * joined") above it, a toggle (chat.toggle-burst, target seq) that shows
 * the burst's lines; expanded: the row's own line shows too. NULL
 * summary: an ordinary row. */
void        cr_message_row_set_burst    (CrMessageRow *self,
                                         const char   *summary,
                                         gboolean      expanded,
                                         guint64       seq);
/* The burst's summary the row shows, or NULL. */
const char *cr_message_row_get_burst    (CrMessageRow *self);

G_END_DECLS
