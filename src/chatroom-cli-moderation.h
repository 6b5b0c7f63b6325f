/* chatroom-cli-moderation.h: an admin's commands in chatroom-cli, and the
 * pinned announcement shown on join (issue 15)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"

G_BEGIN_DECLS

/* --help's paragraph about these commands (translated). */
const char *cli_moderation_help    (void);
/* /kick NAME, /mute NAME [DURATION], /unmute NAME, /muteall, /unmuteall:
 * FALSE when line is none of them. */
gboolean    cli_moderation_command (CrClient   *client,
                                    const char *line);
/* Print the pin when the join brings one, and the room's refusals. */
void        cli_moderation_watch   (CrClient   *client);

G_END_DECLS
