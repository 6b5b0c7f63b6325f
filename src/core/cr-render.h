/* cr-render.h: events and reasons → human text through gettext, in the
 * reader's language (not necessarily the process's).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "cr-types.h"

G_BEGIN_DECLS

/* language: a catalog name ("zh_CN", "en"), or NULL for the process's own
 * locale. Rendering in another language than the process's switches the
 * catalog around the call (it sets LANGUAGE): main thread only. */

/* One line for a system event ("alice 进入了聊天室" / "alice joined the
 * room"), or for chat the text alone. Transfer full. */
char       *cr_render_event         (const CrEvent *event,
                                     const char    *language);

/* Why the room refused, in the reader's language. */
char       *cr_render_reason        (CrReason       reason,
                                     const char    *language);

/* The warning when a room's key changed: both fingerprints, and what to do. */
char       *cr_render_key_changed   (const char    *known,
                                     const char    *offered);

/* Set up gettext for the program: setlocale, bind GETTEXT_PACKAGE to
 * $CHATROOM_LOCALEDIR when set, else to the build tree's catalogs when the
 * program runs from its build tree, else to the installed ones; say once on
 * stderr when the asked-for language has no catalog there. Call once at the
 * start of main() and of every test. */
void        cr_locale_init          (void);

G_END_DECLS
