/* cr-mention.h: whether a line of chat calls on the reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One rule for the app's notifications (src/cr-session.c) and
 * chatroom-cli's mention marker: a line mentions the reader when it holds
 * "@" and the reader's name (case-insensitively, not followed by more of
 * a name: "@bob" is not "@bobby", but "@小明你好"
 * is 小明), or, from the room's owner only,
 * "@all" or "@全体成员" (everyone).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean cr_mention_matches (const char *text,
                             const char *reader,
                             gboolean    from_owner);

G_END_DECLS
