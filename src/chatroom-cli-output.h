/* chatroom-cli-output.h: how chatroom-cli writes: the conversation on
 * standard output, status and errors on standard error, as UTF-8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

#include <glib.h>

G_BEGIN_DECLS

/* line and a newline on stream, flushed. */
void  cli_print       (FILE       *stream,
                       const char *line);
/* One line on standard error. */
void  cli_status      (const char *format,
                       ...) G_GNUC_PRINTF (1, 2);
/* A message's time as HH:MM in local time ("--:--" when out of range). */
char *cli_format_time (gint64      time_us);

G_END_DECLS
