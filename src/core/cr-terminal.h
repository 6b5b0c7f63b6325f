/* cr-terminal.h: what a room or a member said, made safe to print on a
 * terminal (chatroom-cli, chatroomd's console).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every string that comes from the network (names, chat text, refusal
 * details, room names, classic lines) goes through one of these before it
 * reaches stdout or stderr. What is escaped, visibly:
 *   - C0 controls and DEL as \xNN (\n, \r, \t in a field as themselves),
 *     C1 controls as \u0080…\u009f: no escape sequence (ESC, CSI, OSC, BEL)
 *     reaches the terminal;
 *   - format characters (Cf: bidi overrides and isolates U+202A–U+202E,
 *     U+2066–U+2069, zero-width U+200B–U+200F, U+2060…, U+FEFF, soft hyphen,
 *     tags), line and paragraph separators, and the invisible fillers
 *     (U+034F, U+115F, U+1160, U+17B4, U+17B5, U+3164, U+FFA0) as \uXXXX:
 *     nothing reorders or hides what is printed around it;
 *   - bytes that are not UTF-8 as \xNN.
 * A backslash is left as it is: a typed "\x1b" reads the same as an escaped
 * ESC, which is harmless.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One field (a name, a room name, a detail): everything above escaped,
 * newline and tab included, so the result is one line. Transfer full. */
char     *cr_terminal_escape       (const char *text);

/* A prefix that is already safe (built from escaped parts) followed by chat
 * text of any number of lines: each newline of text starts a continuation
 * line indented by the prefix's width in columns (at least one), so no line
 * of text starts at column 0 and none can pass for a line of the program's
 * own (a system line, another sender). Tabs are kept. Transfer full. */
char     *cr_terminal_format_lines (const char *prefix,
                                    const char *text);

/* Columns that UTF-8 text takes on a terminal: wide (East Asian) characters
 * two, combining marks and format characters none, the rest one. */
guint     cr_terminal_width        (const char *text);

G_END_DECLS
