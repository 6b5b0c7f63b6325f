/* fuzz-log.h: GLib's fatal messages as crashes libFuzzer sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fatal g_error or critical ends in G_BREAKPOINT (SIGTRAP), which
 * libFuzzer does not catch: the run stops with no crash file. So the
 * harnesses write their messages through this writer, which aborts on a
 * fatal one (SIGABRT: a crash file, a stack) and, when quiet, drops the
 * non-fatal ones a harness provokes by the thousand.
 */
#pragma once

#include <stdlib.h>

#include <glib.h>

static gboolean fuzz_log_quiet;

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if ((level & (G_LOG_FLAG_FATAL | G_LOG_LEVEL_ERROR)) != 0)
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }
  if (fuzz_log_quiet || (level & G_LOG_LEVEL_DEBUG) != 0)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* fatal: the levels that are findings; quiet: drop the others. */
static inline void
fuzz_log_init (GLogLevelFlags fatal,
               gboolean       quiet)
{
  fuzz_log_quiet = quiet;
  g_log_set_always_fatal (fatal);
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}
