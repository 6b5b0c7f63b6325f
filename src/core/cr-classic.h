/* cr-classic.h: the classic dialect's lines, one table per language
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a room sends a classic member (the course's classroom programs,
 * run by tests/test-classic.c, and chatroom-cli against such a room) is a wire format,
 * not UI text: programs split those lines on " 说 :". So the lines live in
 * a table here, never in the translation catalog. The room formats with
 * one table (zh_CN by default, en on request); the member parses with all
 * of them. No gettext, no locale, no environment: safe on the packet path.
 */
#pragma once

#include <glib.h>

#include "cr-types.h"

G_BEGIN_DECLS

/* The classroom client reads with recvfrom(1024): no classic datagram is
 * longer, or it cuts a character in half and its receive thread dies. */
#define CR_CLASSIC_LINE_MAX 1024

typedef struct _CrClassicTable CrClassicTable;

/* "zh_CN" or "en" (also "zh", "en_US", …); NULL for a language without a
 * table. */
const CrClassicTable *cr_classic_table_lookup      (const char           *language);
const CrClassicTable *cr_classic_table_default     (void);
const char           *cr_classic_table_language    (const CrClassicTable *table);

/* The datagrams a classic member receives for this event, in order: one
 * line, or for a text longer than CR_CLASSIC_LINE_MAX allows, several, each
 * repeating the line's head ("张三 说 :") and cut on a character boundary.
 * Transfer full: a GPtrArray of char*, freed with g_ptr_array_unref(). */
GPtrArray            *cr_classic_format_event      (const CrClassicTable *table,
                                                    const CrEvent        *event);

/* The line telling a classic member why the room refused or dropped it. */
const char           *cr_classic_format_reason     (const CrClassicTable *table,
                                                    CrReason              reason);

/* The text of the announcement members get when the room's history stops
 * being saved (saving FALSE) and when it is saved again. */
const char           *cr_classic_format_storage    (const CrClassicTable *table,
                                                    gboolean              saving);

/* A line from a room (any table's, or the classroom server's) as an event.
 * Lines that are none of the table's become an ANNOUNCE with the whole
 * line. Never NULL. */
CrEvent              *cr_classic_parse_line        (const char           *line,
                                                    guint64               seq,
                                                    gint64                time_us);

/* The reason a refusal line stands for, or CR_REASON_NONE when it is not
 * one of the tables' refusal lines. */
CrReason              cr_classic_parse_reason      (const char           *line);

G_END_DECLS
