/* chatroom-cli-output.c: how chatroom-cli writes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * g_print() converts to the locale's charset: Chinese becomes "?" under
 * LANG=C. Messages are UTF-8 and are written as such, one flushed line at
 * a time, so a reader on a pipe sees each as it comes. Standard output is
 * the conversation alone (and what /files lists); everything else goes to
 * standard error.
 */
#define G_LOG_DOMAIN "chatroom-cli"

#include "config.h"

#include "chatroom-cli-output.h"

void
cli_print (FILE       *stream,
           const char *line)
{
  fputs (line, stream);
  fputc ('\n', stream);
  fflush (stream);
}

void
cli_status (const char *format,
            ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  cli_print (stderr, line);
}

char *
cli_format_time (gint64 time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);

  if (dt == NULL)
    return g_strdup ("--:--");
  return g_date_time_format (dt, "%H:%M");
}
