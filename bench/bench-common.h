/* bench-common.h: what the benchmarks share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "cr-engine.h"

G_BEGIN_DECLS

/* An engine's configuration for figures: any randomness, no rate limit,
 * room for n_members; identity: NULL for a room without encryption. */
void bench_engine_config (CrEngineConfig *config,
                          guint           n_members,
                          CrIdentity     *identity);

/* Removes path and everything below it (a benchmark's temporary data). */
void bench_remove_tree   (const char     *path);

G_END_DECLS
