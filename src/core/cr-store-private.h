/* cr-store-private.h: what only the core and its tests may call on CrStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-store.h"

G_BEGIN_DECLS

/* Tests and benchmarks hash with the smallest limits (CR_PWHASH_MIN) so a
 * password join does not take a tenth of a second; a room never does. */
void          cr_store_set_pwhash_cost (CrStore      *self,
                                        CrPwhashCost  cost);
CrPwhashCost  cr_store_get_pwhash_cost (CrStore      *self);

G_END_DECLS
