/* cr-client-private.h: what only the core and its tests may call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"

G_BEGIN_DECLS

/* Timing, for tests: keepalive interval, how long a silent room takes to
 * count as lost (then RECONNECTING), and the join timeout. Milliseconds;
 * 0 keeps the default (2 s, 6 s, 5 s). Any time, also mid-join. */
void           cr_client_set_timing        (CrClient *self,
                                            guint     keepalive_ms,
                                            guint     silence_ms,
                                            guint     join_timeout_ms);

G_END_DECLS
