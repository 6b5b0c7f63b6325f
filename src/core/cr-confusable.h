/* cr-confusable.h: letters that look like others, for name skeletons
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The prototype c is mistaken for ("а" Cyrillic → "a", "0" → "o",
 * "m" → "rn"), or NULL when c stands for itself. Static string. */
const char *cr_confusable_prototype (gunichar c);

G_END_DECLS
