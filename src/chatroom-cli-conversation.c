/* chatroom-cli-conversation.c: chatroom-cli's conversation commands and
 * how a message is printed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The commands call CrClient's conversation API (cr-client.h): a reply and
 * a private message are own messages like any line typed (the caller
 * watches their state), a recall, a page of older history and a search
 * are requests that finish later. Older messages arrive above what was
 * printed; chatroom-cli prints them as they come (on_messages_items_changed).
 */
#define G_LOG_DOMAIN "chatroom-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-terminal.h"
#include "chatroom-cli-conversation.h"
#include "chatroom-cli-output.h"

char *
cli_conversation_format (CrMessage  *message,
                         const char *own_name,
                         gboolean    numbers)
{
  g_autofree char *time = cli_format_time (cr_message_get_time (message));
  g_autofree char *text = cr_message_dup_display (message);
  g_autofree char *sender = cr_terminal_escape (cr_message_get_sender (message));
  g_autofree char *prefix = NULL;
  g_autofree char *line = NULL;
  const char *peer = cr_message_get_peer (message, own_name);
  CrEventKind kind = cr_message_get_kind (message);

  if (cr_message_get_recalled (message))
    kind = CR_EVENT_RECALL;   /* a system line now */

  if (kind == CR_EVENT_CHAT && peer != NULL)
    {
      g_autofree char *to = cr_terminal_escape (peer);

      if (cr_message_get_own (message))
        /* Translators: an own private message in the terminal: the first %s
         * is the time (HH:MM), the second our nickname, the third the
         * nickname of the one it went to, the fourth the message */
        prefix = g_strdup_printf (C_("cli", "[%s] [private] %s → %s: %s"), time, sender, to, "");
      else
        /* Translators: a private message in the terminal: the first %s is
         * the time (HH:MM), the second the sender's nickname, the third
         * the message */
        prefix = g_strdup_printf (C_("cli", "[%s] [private] %s: %s"), time, sender, "");
    }
  else if (kind == CR_EVENT_CHAT)
    /* Translators: a chat line in the terminal: the first %s is the time
     * (HH:MM), the second the sender's nickname, the third the message */
    prefix = g_strdup_printf (C_("cli", "[%s] %s: %s"), time, sender, "");
  else if (kind == CR_EVENT_OWNER_CHAT && *sender == '\0')
    /* Translators: the chat line of an owner without a nickname, in
     * the terminal: the first %s is the time (HH:MM), the second the
     * message */
    prefix = g_strdup_printf (C_("cli", "[%s] Owner: %s"), time, "");
  else if (kind == CR_EVENT_OWNER_CHAT)
    /* Translators: the owner's chat line in the terminal: the first %s
     * is the time (HH:MM), the second the owner's nickname, the third
     * the message */
    prefix = g_strdup_printf (C_("cli", "[%s] %s (owner): %s"), time, sender, "");
  else
    /* Translators: a system line in the terminal, e.g. "[10:02] * alice
     * joined the room": the first %s is the time (HH:MM), the second the
     * line */
    prefix = g_strdup_printf (C_("cli", "[%s] * %s"), time, "");

  if (numbers && cr_message_get_seq (message) != 0)
    {
      g_autofree char *numbered = g_strdup_printf ("#%" G_GUINT64_FORMAT " %s",
                                                   cr_message_get_seq (message), prefix);

      g_free (prefix);
      prefix = g_steal_pointer (&numbered);
    }
  line = cr_terminal_format_lines (prefix, text);

  if (cr_message_get_reply_to (message) != 0 && !cr_message_get_recalled (message))
    {
      const char *quote_name = cr_message_get_quote_name (message);
      const char *quote_text = cr_message_get_quote_text (message);
      g_autofree char *name = cr_terminal_escape (quote_name != NULL ? quote_name : "?");
      g_autofree char *quoted = NULL;
      g_autofree char *quote_prefix = NULL;

      /* Translators: the line above a reply in the terminal, the message
       * it answers: the first %s is that message's sender, the second
       * its first line. Keep the two spaces and the arrow first. */
      quote_prefix = g_strdup_printf (C_("cli", "  ↪ %s: %s"), name, "");
      quoted = cr_terminal_format_lines (quote_prefix, quote_text != NULL ? quote_text : "…");
      return g_strconcat (quoted, "\n", line, NULL);
    }
  return g_steal_pointer (&line);
}

/* "SEQ REST": the number and the rest (transfer full), FALSE when the line
 * does not start with a number. */
static gboolean
parse_seq (const char  *args,
           guint64     *seq,
           char       **rest)
{
  char *end = NULL;

  while (*args == ' ')
    args++;
  if (*args == '#')
    args++;
  if (!g_ascii_isdigit (*args))
    return FALSE;
  *seq = g_ascii_strtoull (args, &end, 10);
  if (*seq == 0 || (*end != '\0' && *end != ' '))
    return FALSE;
  while (*end == ' ')
    end++;
  if (rest != NULL)
    *rest = g_strdup (end);
  return TRUE;
}

static void
sent (CrClient     *client,
      CrMessage    *message,
      GError       *error,
      CliTrackFunc  track,
      gpointer      user_data)
{
  if (message == NULL)
    {
      g_autofree char *why = cr_terminal_escape (error->message);

      /* Translators: %s is why the message could not be sent */
      cli_status (_("Not sent: %s"), why);
      return;
    }
  track (message, user_data);
}

static void
on_recalled (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cr_client_recall_finish (CR_CLIENT (source), result, &error))
    {
      g_autofree char *why = cr_terminal_escape (error->message);

      /* Translators: %s is why the room did not take the message back */
      cli_status (_("Not recalled: %s"), why);
    }
}

static void
on_older (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean complete = FALSE;
  guint n;

  n = cr_client_load_older_finish (CR_CLIENT (source), result, &complete, &error);
  if (error != NULL)
    {
      g_autofree char *why = cr_terminal_escape (error->message);

      /* Translators: %s is why older messages could not be had */
      cli_status (_("No older messages: %s"), why);
    }
  else if (n == 0 && complete)
    cli_status ("%s", _("That is the room's first message: there is nothing older"));
}

static void
on_searched (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CrClient *client = CR_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) results = NULL;
  gboolean more = FALSE;
  guint n;

  results = cr_client_search_finish (client, result, &more, &error);
  if (results == NULL)
    {
      g_autofree char *why = cr_terminal_escape (error->message);

      /* Translators: %s is why the search failed */
      cli_status (_("Search failed: %s"), why);
      return;
    }
  n = g_list_model_get_n_items (results);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (results, i);
      g_autofree char *line = cli_conversation_format (message, cr_client_get_name (client),
                                                       TRUE);

      cli_print (stdout, line);
    }
  if (more)
    /* Translators: %u is how many results were shown, out of more */
    cli_status (ngettext ("%u result shown, there are more: search with more words",
                          "%u results shown, there are more: search with more words", n), n);
  else
    /* Translators: %u is how many messages the search found */
    cli_status (ngettext ("%u result", "%u results", n), n);
}

gboolean
cli_conversation_command (CrClient     *client,
                          const char   *line,
                          CliTrackFunc  track,
                          gpointer      user_data)
{
  g_autofree char *rest = NULL;
  g_autoptr(GError) error = NULL;
  guint64 seq = 0;

  if (g_str_has_prefix (line, "/reply ") || g_str_equal (line, "/reply"))
    {
      if (!parse_seq (line + strlen ("/reply"), &seq, &rest) || *rest == '\0')
        cli_status ("%s", _("Usage: /reply SEQ TEXT (SEQ: the number before a line, "
                            "with --numbers)"));
      else
        sent (client, cr_client_reply (client, seq, rest, &error), error, track, user_data);
    }
  else if (g_str_has_prefix (line, "/recall ") || g_str_equal (line, "/recall"))
    {
      if (!parse_seq (line + strlen ("/recall"), &seq, &rest) || *rest != '\0')
        cli_status ("%s", _("Usage: /recall SEQ"));
      else
        cr_client_recall_async (client, seq, NULL, on_recalled, NULL);
    }
  else if (g_str_has_prefix (line, "/msg ") || g_str_equal (line, "/msg"))
    {
      g_autofree char *args = g_strdup (line + strlen ("/msg"));
      g_auto(GStrv) parts = g_strsplit (g_strchug (args), " ", 2);

      if (g_strv_length (parts) < 2 || *parts[1] == '\0')
        cli_status ("%s", _("Usage: /msg NAME TEXT"));
      else
        sent (client, cr_client_send_private (client, parts[0], parts[1], &error), error,
              track, user_data);
    }
  else if (g_str_has_prefix (line, "/search ") || g_str_equal (line, "/search"))
    {
      const char *words = line + strlen ("/search");

      while (*words == ' ')
        words++;
      if (*words == '\0')
        cli_status ("%s", _("Usage: /search WORDS"));
      else
        cr_client_search_async (client, words, NULL, on_searched, NULL);
    }
  else if (g_str_equal (line, "/older"))
    cr_client_load_older_async (client, NULL, on_older, NULL);
  else
    return FALSE;
  return TRUE;
}
