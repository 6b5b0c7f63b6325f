/* chatroom-cli-files.h: chatroom-cli's shared files (/send, /files, /get)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"

G_BEGIN_DECLS

/* Run line if it is a file command; FALSE when it is none of them. Each
 * operation counts itself in *transfers while under way and stops with
 * cancellable: both must outlive it (chatroom-cli waits for *transfers to
 * reach 0 before it exits). */
gboolean cli_files_command (CrClient     *client,
                            const char   *line,
                            GCancellable *cancellable,
                            guint        *transfers);

G_END_DECLS
