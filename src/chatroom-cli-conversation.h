/* chatroom-cli-conversation.h: chatroom-cli's conversation commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-client.h"

G_BEGIN_DECLS

/* An own message sent by a command: the caller watches its state. */
typedef void (*CliTrackFunc) (CrMessage *message,
                              gpointer   user_data);

/* /reply SEQ TEXT, /recall SEQ, /msg NAME TEXT, /search WORDS, /older.
 * FALSE when line is none of them. What they say goes to standard error
 * (search results to standard output). */
gboolean  cli_conversation_command (CrClient     *client,
                                    const char   *line,
                                    CliTrackFunc  track,
                                    gpointer      user_data);

/* The line of a message, without the newline: "[10:02] alice: text",
 * "[10:02] [private] alice: text", "[10:02] * alice recalled a message",
 * with "#SEQ " first when numbers, and a reply's "  ↪ name: first line"
 * line before it. Everything from the room escaped (cr-terminal). */
char     *cli_conversation_format  (CrMessage    *message,
                                    const char   *own_name,
                                    gboolean      numbers);

G_END_DECLS
