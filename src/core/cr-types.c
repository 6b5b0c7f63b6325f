/* cr-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-types"

#include "config.h"

#include <string.h>

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

  return cr_event_new (event->seq, event->time_us, event->kind,
                       event->name, event->text, event->origin);
}

void
cr_event_free (CrEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  g_free (event->text);
  g_free (event);
}

gboolean
cr_event_kind_is_chat (CrEventKind kind)
{
  return kind == CR_EVENT_CHAT || kind == CR_EVENT_OWNER_CHAT;
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

  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\t')
        continue;
      if (g_unichar_iscntrl (c))
        return CR_REASON_TEXT_INVALID;
    }

  /* A message of nothing but whitespace says nothing. */
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return CR_REASON_NONE;
  return CR_REASON_TEXT_INVALID;
}
