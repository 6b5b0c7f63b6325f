/* bench-common.h: what the benchmarks share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A CrEngineConfig random_func: any randomness will do for figures. */
void bench_random      (guint8     *buf,
                        gsize       len,
                        gpointer    user_data);

/* Removes path and everything below it (a benchmark's temporary data). */
void bench_remove_tree (const char *path);

G_END_DECLS
