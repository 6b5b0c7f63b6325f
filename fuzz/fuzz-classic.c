/* fuzz-classic.c: libFuzzer harness for the classic dialect's parsers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both ends of the classic dialect take text from strangers: the room
 * parses requests with cr_classic_parse (cr-protocol.h), a member parses
 * the room's lines with cr_classic_parse_line and cr_classic_parse_reason
 * (cr-classic.h). The input goes to all three. Whatever it is: no crash;
 * a request's name and text are never NULL, UTF-8, without NUL, and a
 * join or quit names one word; a line always becomes an event whose name
 * is empty, the table's owner or a valid nickname, and whose strings are
 * UTF-8. And a round trip: when the input makes a valid name and text,
 * every line a table formats for that chat or join parses back to the
 * same kind and name. Any critical or warning aborts.
 * Build and run: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-classic"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "cr-classic.h"
#include "cr-protocol.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_request (const guint8 *data,
               gsize         size)
{
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  CrClassicKind kind = cr_classic_parse (data, size, &name, &text);

  switch (kind)
    {
    case CR_CLASSIC_INVALID:
    case CR_CLASSIC_PROBE:
      return;
    case CR_CLASSIC_JOIN:
    case CR_CLASSIC_QUIT:
    case CR_CLASSIC_MESSAGE:
      if (name == NULL || text == NULL)
        g_error ("a request parsed without a name or text");
      if (*name == '\0' || strchr (name, ' ') != NULL)
        g_error ("a request's name is not one word");
      if (!g_utf8_validate (name, -1, NULL) || !g_utf8_validate (text, -1, NULL))
        g_error ("a request's name or text is not UTF-8");
      if (kind != CR_CLASSIC_MESSAGE && *text != '\0')
        g_error ("a join or quit with text");
      break;
    default:
      g_error ("cr_classic_parse returned %d", kind);
    }
}

static gboolean
names_someone (CrEventKind kind)
{
  return kind == CR_EVENT_CHAT || (kind >= CR_EVENT_JOIN && kind <= CR_EVENT_UNMUTE);
}

static void
check_line (const char *line)
{
  g_autoptr(CrEvent) event = cr_classic_parse_line (line, 7, 1);
  CrReason reason = cr_classic_parse_reason (line);

  if (event == NULL || event->name == NULL || event->text == NULL)
    g_error ("cr_classic_parse_line returned no event or no strings");
  if (event->kind < CR_EVENT_CHAT || event->kind > CR_EVENT_LAST || event->seq != 7)
    g_error ("a line parsed to kind %d", event->kind);
  if (!g_utf8_validate (event->name, -1, NULL) || !g_utf8_validate (event->text, -1, NULL))
    g_error ("a parsed line is not UTF-8");
  if (names_someone (event->kind) && *event->name != '\0' &&
      cr_name_validate (event->name, -1, NULL) != CR_REASON_NONE)
    g_error ("a line named “%s”, which is no nickname", event->name);
  if (event->kind == CR_EVENT_CHAT && *event->name == '\0')
    g_error ("a chat line without a name");
  if (reason > CR_REASON_LAST)
    g_error ("a refusal line parsed to reason %d", reason);
}

/* name NUL text: what a table formats must parse back to what it said. */
static void
round_trip (const guint8 *data,
            gsize         size)
{
  static const char *languages[] = { "zh_CN", "en" };
  static const CrEventKind kinds[] = { CR_EVENT_CHAT, CR_EVENT_JOIN, CR_EVENT_LEAVE };
  const guint8 *nul = memchr (data, '\0', size);
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  if (nul == NULL)
    return;
  /* Only names a room admits: it refuses those that imitate its own lines
   * ("Owner", "群主说："), which is what keeps those lines unambiguous. */
  if (cr_name_validate ((const char *) data, nul - data, &name) != CR_REASON_NONE ||
      cr_name_imitates_room (name))
    return;
  text = g_strndup ((const char *) nul + 1, size - (nul + 1 - data));
  if (strlen (text) != size - (gsize) (nul + 1 - data) ||
      cr_text_validate (text, -1) != CR_REASON_NONE || *text == '\0')
    return;

  for (guint l = 0; l < G_N_ELEMENTS (languages); l++)
    for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
      {
        const CrClassicTable *table = cr_classic_table_lookup (languages[l]);
        g_autoptr(CrEvent) event =
          cr_event_new (3, 1, kinds[k], name, kinds[k] == CR_EVENT_CHAT ? text : "", 1);
        g_autoptr(GPtrArray) lines = cr_classic_format_event (table, event);

        for (guint i = 0; i < lines->len; i++)
          {
            const char *line = lines->pdata[i];
            g_autoptr(CrEvent) back = cr_classic_parse_line (line, 3, 1);

            if (strlen (line) > CR_CLASSIC_LINE_MAX)
              g_error ("a %s line of %" G_GSIZE_FORMAT " bytes", languages[l], strlen (line));
            if (back->kind != event->kind || g_strcmp0 (back->name, event->name) != 0)
              g_error ("%s line “%s” parsed as kind %d name “%s”, not %d “%s”", languages[l],
                       line, back->kind, back->name, event->kind, event->name);
          }
      }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  check_request (data, size);

  /* A member only ever parses lines that are UTF-8 without NUL
   * (cr-client-classic.c). */
  if (g_utf8_validate_len ((const char *) data, size, NULL) && memchr (data, '\0', size) == NULL)
    {
      g_autofree char *line = g_strndup ((const char *) data, size);

      check_line (line);
    }

  round_trip (data, size);
  return 0;
}
