/* cr-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-types"

#include "config.h"

#include <string.h>

#include "cr-confusable.h"
#include "cr-types.h"

CrEvent *
cr_event_new (guint64      seq,
              gint64       time_us,
              CrEventKind  kind,
              const char  *name,
              const char  *text,
              guint64      origin)
{
  CrEvent *event = g_new0 (CrEvent, 1);

  event->seq = seq;
  event->time_us = time_us;
  event->kind = kind;
  event->name = g_strdup (name ? name : "");
  event->text = g_strdup (text ? text : "");
  event->origin = origin;
  return event;
}

CrEvent *
cr_event_copy (const CrEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  CrEvent *copy = cr_event_new (event->seq, event->time_us, event->kind,
                                event->name, event->text, event->origin);

  copy->ref_seq = event->ref_seq;
  copy->quote_name = g_strdup (event->quote_name);
  copy->quote_text = g_strdup (event->quote_text);
  copy->target = g_strdup (event->target);
  copy->recalled = event->recalled;
  copy->actor = g_strdup (event->actor);
  return copy;
}

void
cr_event_free (CrEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  g_free (event->text);
  g_free (event->quote_name);
  g_free (event->quote_text);
  g_free (event->target);
  g_free (event->actor);
  g_free (event);
}

gboolean
cr_event_kind_is_chat (CrEventKind kind)
{
  return kind == CR_EVENT_CHAT || kind == CR_EVENT_OWNER_CHAT;
}

gboolean
cr_event_is_private (const CrEvent *event)
{
  g_return_val_if_fail (event != NULL, FALSE);

  return event->target != NULL && *event->target != '\0';
}

gboolean
cr_event_visible_to (const CrEvent *event,
                     const char    *name)
{
  g_return_val_if_fail (event != NULL, FALSE);

  if (!cr_event_is_private (event))
    return TRUE;
  return name != NULL && (g_strcmp0 (event->name, name) == 0 ||
                          g_strcmp0 (event->target, name) == 0);
}

void
cr_event_set_quote (CrEvent       *event,
                    const CrEvent *quoted)
{
  const char *text;
  const char *end;

  g_return_if_fail (event != NULL);
  g_return_if_fail (quoted != NULL);

  text = quoted->text != NULL ? quoted->text : "";
  end = strchr (text, '\n');
  if (end == NULL)
    end = text + strlen (text);
  /* Cut at a character boundary: back from the limit to a lead byte. */
  if (end - text > CR_QUOTE_MAX_BYTES)
    {
      end = text + CR_QUOTE_MAX_BYTES;
      while (end > text && (*(const guchar *) end & 0xC0) == 0x80)
        end--;
    }
  event->ref_seq = quoted->seq;
  g_free (event->quote_name);
  event->quote_name = g_strdup (quoted->name);
  g_free (event->quote_text);
  event->quote_text = g_strndup (text, end - text);
}

void
cr_event_recall (CrEvent *event)
{
  g_return_if_fail (event != NULL);

  g_free (event->text);
  event->text = g_strdup ("");
  g_clear_pointer (&event->quote_text, g_free);
  event->recalled = TRUE;
}

/* Printable ASCII but the space: NFC leaves such text as it is,
 * casefolding only lowers its letters, and none of its characters is
 * refused in a name or a line. Most names and lines are; for them the
 * checks below are a byte loop, without g_utf8_normalize's copy. */
static gboolean
is_plain_ascii (const char *s,
                gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] <= 0x20 || (guchar) s[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

CrReason
cr_name_validate (const char  *name,
                  gssize       len,
                  char       **out_normalized)
{
  g_autofree char *nfc = NULL;
  glong n_chars;

  if (out_normalized)
    *out_normalized = NULL;
  if (name == NULL)
    return CR_REASON_NAME_INVALID;
  if (len < 0)
    len = strlen (name);
  if (len == 0 || len > CR_NAME_MAX_BYTES || !g_utf8_validate_len (name, len, NULL))
    return CR_REASON_NAME_INVALID;

  if (is_plain_ascii (name, len))
    {
      /* One character a byte, each allowed, already in NFC. */
      if (len > CR_NAME_MAX_CHARS)
        return CR_REASON_NAME_INVALID;
      if (out_normalized)
        *out_normalized = g_strndup (name, len);
      return CR_REASON_NONE;
    }

  nfc = g_utf8_normalize (name, len, G_NORMALIZE_NFC);
  if (nfc == NULL)
    return CR_REASON_NAME_INVALID;
  n_chars = g_utf8_strlen (nfc, -1);
  if (n_chars < 1 || n_chars > CR_NAME_MAX_CHARS)
    return CR_REASON_NAME_INVALID;

  for (const char *p = nfc; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Spaces would break the classic "M name text" framing, controls and
       * invisible format characters would let two names look alike. */
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) ||
          g_unichar_type (c) == G_UNICODE_FORMAT ||
          g_unichar_type (c) == G_UNICODE_UNASSIGNED ||
          g_unichar_type (c) == G_UNICODE_LINE_SEPARATOR ||
          g_unichar_type (c) == G_UNICODE_PARAGRAPH_SEPARATOR ||
          g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR)
        return CR_REASON_NAME_INVALID;
    }

  if (out_normalized)
    *out_normalized = g_steal_pointer (&nfc);
  return CR_REASON_NONE;
}

char *
cr_name_fold (const char *normalized)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (normalized != NULL, NULL);

  if (is_plain_ascii (normalized, strlen (normalized)))
    return g_ascii_strdown (normalized, -1);

  /* Fold, then normalize again: casefolding can denormalize. */
  folded = g_utf8_casefold (normalized, -1);
  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
}

CrReason
cr_text_validate (const char *text,
                  gssize      len)
{
  if (text == NULL)
    return CR_REASON_TEXT_INVALID;
  if (len < 0)
    len = strlen (text);
  if (len == 0 || len > CR_TEXT_MAX_BYTES || !g_utf8_validate_len (text, len, NULL))
    return CR_REASON_TEXT_INVALID;

  /* ASCII is decided here, a byte at a time: its controls (Cc) are
   * 0x00–0x1f and 0x7f, its white space (g_unichar_isspace) the space,
   * \t, \n, \r and \f. */
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      guchar b = *p;

      if (b == '\n' || b == '\t')
        continue;
      if (b < 0x80 ? (b < 0x20 || b == 0x7f) : g_unichar_iscntrl (g_utf8_get_char (p)))
        return CR_REASON_TEXT_INVALID;
    }

  /* A message of nothing but whitespace says nothing. */
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      guchar b = *p;

      if (b < 0x80 ? b != ' ' && b != '\t' && b != '\n' && b != '\r' && b != '\f'
                   : !g_unichar_isspace (g_utf8_get_char (p)))
        return CR_REASON_NONE;
    }
  return CR_REASON_TEXT_INVALID;
}

/* Every character through cr_confusable_prototype. */
static char *
map_confusables (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      const char *prototype = cr_confusable_prototype (g_utf8_get_char (p));

      if (prototype != NULL)
        g_string_append (out, prototype);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

/* One character's part of the skeleton when the name is made of ASCII and
 * unified CJK ideographs only: there NFKC and case folding change nothing
 * but ASCII case, and of the table only the ASCII entries apply (a capital
 * "M" folds to "m", which maps to "rn"). Writes into buf (at least 5 bytes)
 * and returns it, or NULL for a character of any other kind. Most names are
 * such; cr_name_skeleton_equal compares them without allocating. */
static const char *
simple_piece (const char *p,
              char       *buf)
{
  gunichar c = g_utf8_get_char (p);
  const char *prototype;
  guint i = 0;

  if (c >= 0x80)
    {
      gsize len = g_utf8_next_char (p) - p;

      if (!((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)))
        return NULL;
      memcpy (buf, p, len);
      buf[len] = '\0';
      return buf;
    }

  prototype = cr_confusable_prototype (c);
  if (prototype == NULL)
    prototype = cr_confusable_prototype (g_ascii_tolower (c));
  if (prototype == NULL)
    buf[i++] = g_ascii_tolower (c);
  else
    for (; prototype[i] != '\0' && i < 4; i++)
      buf[i] = g_ascii_tolower (prototype[i]);
  buf[i] = '\0';
  return buf;
}

static char *
skeleton_simple (const char *normalized)
{
  GString *out = g_string_sized_new (2 * strlen (normalized));

  for (const char *p = normalized; *p; p = g_utf8_next_char (p))
    {
      char buf[5];
      const char *piece = simple_piece (p, buf);

      if (piece == NULL)
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append (out, piece);
    }
  return g_string_free (out, FALSE);
}

char *
cr_name_skeleton (const char *normalized)
{
  g_autofree char *compat = NULL;
  g_autofree char *mapped = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *refolded = NULL;
  char *simple;

  g_return_val_if_fail (normalized != NULL, NULL);

  simple = skeleton_simple (normalized);
  if (simple != NULL)
    return simple;

  /* Map before folding, so a capital is taken for what it is drawn like
   * ("I" like "l"), and again after, for what folding made (capital
   * "M" → "m" → "rn"); NFKC again since folding can denormalize. */
  compat = g_utf8_normalize (normalized, -1, G_NORMALIZE_NFKC);
  if (compat == NULL)
    return g_strdup (normalized);
  mapped = map_confusables (compat);
  folded = g_utf8_casefold (mapped, -1);
  refolded = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
  return map_confusables (refolded != NULL ? refolded : folded);
}

gboolean
cr_name_skeleton_equal (const char *normalized,
                        const char *skeleton)
{
  g_autofree char *other = NULL;
  const char *s = skeleton;

  g_return_val_if_fail (normalized != NULL, FALSE);
  g_return_val_if_fail (skeleton != NULL, FALSE);

  /* skeleton_simple, compared as it is made: most names differ from the
   * joiner's in their first letters. */
  for (const char *p = normalized; *p; p = g_utf8_next_char (p))
    {
      char buf[5];
      const char *piece = simple_piece (p, buf);
      gsize len;

      if (piece == NULL)
        goto slow;
      len = strlen (piece);
      if (strncmp (s, piece, len) != 0)
        return FALSE;
      s += len;
    }
  return *s == '\0';

slow:
  other = cr_name_skeleton (normalized);
  return g_str_equal (other, skeleton);
}

gboolean
cr_name_imitates_room (const char *normalized)
{
  /* The characters the classic lines are framed with (cr-classic.c): a
   * skeleton has ":" for "：" and the other colons, "[" "]" for the
   * full-width brackets. */
  static const char * const framing[] = { ":", "【", "】", "[", "]" };
  /* The heads of the Chinese table's own lines. */
  static const char * const prefixes[] = { "群主", "系统", "公告" };
  /* The English table's, as whole names (they are followed by ": "). */
  static const char * const words[] = { "owner", "system", "announcement" };
  g_autofree char *skeleton = NULL;

  g_return_val_if_fail (normalized != NULL, TRUE);

  skeleton = cr_name_skeleton (normalized);
  for (guint i = 0; i < G_N_ELEMENTS (framing); i++)
    if (strstr (skeleton, framing[i]) != NULL)
      return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (skeleton, prefixes[i]))
      return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      /* Skeletons of both: "system" has an "m", which maps to "rn". */
      g_autofree char *word = cr_name_skeleton (words[i]);

      if (g_str_equal (skeleton, word))
        return TRUE;
    }
  return FALSE;
}

gboolean
cr_duration_parse (const char *text,
                   gint64     *seconds)
{
  guint64 n = 0;
  char *end = NULL;
  gint64 unit;

  g_return_val_if_fail (seconds != NULL, FALSE);

  *seconds = 0;
  if (text == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (text, "none") == 0)
    return TRUE;
  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  n = g_ascii_strtoull (text, &end, 10);
  if (end == NULL || end[0] == '\0' || end[1] != '\0')
    return FALSE;
  switch (g_ascii_tolower (end[0]))
    {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: return FALSE;
    }
  if (n == 0 || n > (guint64) 366 * 86400 / unit)
    return FALSE;
  *seconds = (gint64) n * unit;
  return TRUE;
}
