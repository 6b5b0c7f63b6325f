/* cr-mention.c: whether a line of chat calls on the reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rule is in cr-mention.h. The text is hostile (any valid UTF-8 up to
 * the protocol's limit), so the search is one casefolded copy and a scan,
 * never more than linear in its length times the name's.
 */
#define G_LOG_DOMAIN "cr-mention"

#include "config.h"

#include <string.h>

#include "cr-mention.h"

/* Whether "@" + folded_name occurs in folded_text and ends where a name
 * would end. */
static gboolean
has_tag (const char *folded_text,
         const char *folded_name)
{
  size_t len = strlen (folded_name);

  if (len == 0)
    return FALSE;

  for (const char *at = strchr (folded_text, '@'); at != NULL; at = strchr (at + 1, '@'))
    {
      const char *end = at + 1 + len;

      /* Chinese is written without spaces ("@小明你好"): only a Latin
       * letter, digit, '_' or '-' goes on with a name. */
      if (strncmp (at + 1, folded_name, len) == 0 &&
          !g_ascii_isalnum (*end) && *end != '_' && *end != '-')
        return TRUE;
    }

  return FALSE;
}

gboolean
cr_mention_matches (const char *text,
                    const char *reader,
                    gboolean    from_owner)
{
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_name = NULL;

  if (text == NULL || !g_utf8_validate (text, -1, NULL) || strchr (text, '@') == NULL)
    return FALSE;

  folded_text = g_utf8_casefold (text, -1);

  /* Everyone, but only when the owner says so: anyone else's "@all" would
   * ring every member's bell. */
  if (from_owner && (has_tag (folded_text, "all") || has_tag (folded_text, "全体成员")))
    return TRUE;

  if (reader == NULL || reader[0] == '\0' || !g_utf8_validate (reader, -1, NULL))
    return FALSE;

  folded_name = g_utf8_casefold (reader, -1);
  return has_tag (folded_text, folded_name);
}
