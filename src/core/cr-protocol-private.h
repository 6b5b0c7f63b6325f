/* cr-protocol-private.h: what only the codec and its tests may call
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-protocol.h"

G_BEGIN_DECLS

/* The in-place reader of EVENT bodies alone (cr-protocol-events.c), for
 * the tests and fuzzers that hold it to GLib's answer. TRUE: the body is
 * an EVENT in normal form, and *event what cr_event_from_body makes of it
 * (NULL when its extras are refused); FALSE: not sure, *event NULL. */
gboolean       _cr_event_read_in_place   (const guint8  *body,
                                          gsize          len,
                                          CrEvent      **event);

G_END_DECLS
