/* chatroom-cli-moderation.c: an admin's commands in chatroom-cli, and the
 * pinned announcement shown on join (issue 15)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room decides who may (cr-engine-moderation.h): a member who is no
 * admin gets the room's refusal, printed like any other error. Whatever
 * the room sends is escaped for the terminal (cr-terminal.h).
 */
#define G_LOG_DOMAIN "chatroom-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-terminal.h"

#include "chatroom-cli-moderation.h"
#include "chatroom-cli-output.h"

const char *
cli_moderation_help (void)
{
  return _("An admin's commands: /kick NAME; /mute NAME [DURATION] (10m, 1h, 1d or none: "
           "until lifted); /unmute NAME; /muteall and /unmuteall (only the owner and admins "
           "may speak). The room's pinned announcement, and your own mute, are shown when you "
           "join.");
}

static void
on_manage_refused (CrClient *client,
                   CrReason  reason,
                   gpointer  user_data)
{
  g_autofree char *text = cr_render_reason (reason, NULL);
  /* Translators: %s says why the room refused an admin's command */
  g_autofree char *line = g_strdup_printf (_("The room refused: %s"), text);

  cli_print (stderr, line);
}

static void
on_room_state_changed (CrClient *client,
                       gpointer  user_data)
{
  const char *pin = cr_client_get_pin (client);
  const char *shown = g_object_get_data (G_OBJECT (client), "cli-pin-shown");

  gint64 mute_end = cr_client_get_mute_end (client);

  /* Once, at the join: later pins and mutes come as the room's own lines. */
  if (shown != NULL)
    return;
  g_object_set_data (G_OBJECT (client), "cli-pin-shown", (gpointer) "yes");
  /* A mute outlives a restart of the room and a return of the member. */
  if (mute_end == 0)
    cli_print (stderr, _("You are muted until the owner or an admin lifts it."));
  else if (mute_end > 0)
    {
      gint64 left = MAX (mute_end - g_get_monotonic_time (), 0);
      int minutes = (int) MIN ((left + G_TIME_SPAN_MINUTE - 1) / G_TIME_SPAN_MINUTE, G_MAXINT);
      /* Translators: said when one joins muted; %d is the minutes left */
      g_autofree char *line = g_strdup_printf (ngettext ("You are muted for %d more minute.",
                                                         "You are muted for %d more minutes.",
                                                         minutes), minutes);

      cli_print (stderr, line);
    }
  if (pin != NULL)
    {
      g_autofree char *escaped = cr_terminal_escape (pin);
      /* Translators: %s is the room's pinned announcement (群公告) */
      g_autofree char *line = g_strdup_printf (_("Pinned announcement: %s"), escaped);

      cli_print (stdout, line);
    }
}

void
cli_moderation_watch (CrClient *client)
{
  g_return_if_fail (CR_IS_CLIENT (client));

  g_signal_connect (client, "manage-refused", G_CALLBACK (on_manage_refused), NULL);
  g_signal_connect (client, "room-state-changed", G_CALLBACK (on_room_state_changed), NULL);
}

gboolean
cli_moderation_command (CrClient   *client,
                        const char *line)
{
  static const struct {
    const char     *command;
    CrManageAction  action;
    gboolean        takes_name;
  } commands[] = {
    { "/kick", CR_MANAGE_KICK, TRUE },
    { "/mute", CR_MANAGE_MUTE, TRUE },
    { "/unmute", CR_MANAGE_UNMUTE, TRUE },
    { "/muteall", CR_MANAGE_MUTE_ALL, FALSE },
    { "/unmuteall", CR_MANAGE_UNMUTE_ALL, FALSE },
  };
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) words = NULL;
  gint64 seconds = 0;
  guint i;

  g_return_val_if_fail (CR_IS_CLIENT (client), FALSE);

  if (*line != '/')
    return FALSE;
  words = g_strsplit_set (line, " ", 3);
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (words[0], commands[i].command))
      break;
  if (i == G_N_ELEMENTS (commands))
    return FALSE;

  if (commands[i].takes_name && (words[1] == NULL || *words[1] == '\0'))
    {
      /* Translators: %s is the command typed, e.g. /kick */
      g_autofree char *text = g_strdup_printf (_("Give a name: %s NAME"), words[0]);
      cli_print (stderr, text);
      return TRUE;
    }
  if (commands[i].action == CR_MANAGE_MUTE && words[1] != NULL && words[2] != NULL &&
      !cr_duration_parse (g_strstrip (words[2]), &seconds))
    {
      cli_print (stderr, _("Say how long as 10m, 1h, 1d or none (until lifted): /mute NAME 10m"));
      return TRUE;
    }
  if (!cr_client_manage (client, commands[i].action,
                         commands[i].takes_name ? words[1] : NULL, seconds, &error))
    {
      g_autofree char *text = cr_terminal_escape (error->message);
      cli_print (stderr, text);
    }
  return TRUE;
}
