/* cr-terminal.c: network text made safe for a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The core already refuses control characters in names and text
 * (cr_name_validate, cr_text_validate), but a classroom server checks
 * nothing, a refusal's detail or a room name may pass other paths, and
 * format characters (U+202E…) are valid text: the programs that print
 * escape again, here, whatever the core let through.
 */
#define G_LOG_DOMAIN "cr-terminal"

#include "config.h"

#include <string.h>

#include "cr-terminal.h"

/* Letters that draw nothing and take no visible space, but are not Cf:
 * a name or a line made of them looks blank or like another. */
static gboolean
is_invisible_filler (gunichar c)
{
  switch (c)
    {
    case 0x034F:    /* COMBINING GRAPHEME JOINER */
    case 0x115F:    /* HANGUL CHOSEONG FILLER */
    case 0x1160:    /* HANGUL JUNGSEONG FILLER */
    case 0x17B4:    /* KHMER VOWEL INHERENT AQ */
    case 0x17B5:    /* KHMER VOWEL INHERENT AA */
    case 0x3164:    /* HANGUL FILLER */
    case 0xFFA0:    /* HALFWIDTH HANGUL FILLER */
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
must_escape (gunichar c)
{
  GUnicodeType type;

  if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
    return TRUE;
  if (c < 0x80)
    return FALSE;
  type = g_unichar_type (c);
  return type == G_UNICODE_FORMAT ||
         type == G_UNICODE_LINE_SEPARATOR ||
         type == G_UNICODE_PARAGRAPH_SEPARATOR ||
         is_invisible_filler (c);
}

static void
append_escape (GString  *out,
               gunichar  c)
{
  if (c == '\n')
    g_string_append (out, "\\n");
  else if (c == '\r')
    g_string_append (out, "\\r");
  else if (c == '\t')
    g_string_append (out, "\\t");
  else if (c < 0x80)
    g_string_append_printf (out, "\\x%02x", c);
  else if (c <= 0xFFFF)
    g_string_append_printf (out, "\\u%04x", c);
  else
    g_string_append_printf (out, "\\U%08x", c);
}

/* Appends text escaped; with indent non-NULL a newline is kept and
 * followed by indent, and a tab is kept. */
static void
append_escaped (GString    *out,
                const char *text,
                const char *indent)
{
  const char *p = text;
  const char *end = text + strlen (text);

  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guint) (guchar) *p);
          p++;
          continue;
        }

      if (indent != NULL && c == '\n')
        {
          g_string_append_c (out, '\n');
          g_string_append (out, indent);
        }
      else if (indent != NULL && c == '\t')
        g_string_append_c (out, '\t');
      else if (must_escape (c))
        append_escape (out, c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

char *
cr_terminal_escape (const char *text)
{
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  out = g_string_sized_new (strlen (text));
  append_escaped (out, text, NULL);
  return g_string_free (out, FALSE);
}

char *
cr_terminal_format_lines (const char *prefix,
                          const char *text)
{
  g_autofree char *indent = NULL;
  GString *out;

  if (prefix == NULL)
    prefix = "";
  if (text == NULL)
    text = "";

  /* Under the text's first column, and never at column 0. */
  indent = g_strnfill (MAX (cr_terminal_width (prefix), 1), ' ');
  out = g_string_new (prefix);
  append_escaped (out, text, indent);
  return g_string_free (out, FALSE);
}

guint
cr_terminal_width (const char *text)
{
  guint width = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p; )
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          /* Shown as \xNN. */
          width += 4;
          p++;
          continue;
        }
      if (g_unichar_iswide (c))
        width += 2;
      else if (!g_unichar_iszerowidth (c))
        width += 1;
      p = g_utf8_next_char (p);
    }
  return width;
}
