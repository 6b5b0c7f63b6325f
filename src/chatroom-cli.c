/* chatroom-cli.c: a member's end of a room, in a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * chatroom-cli [--register] [--password-file FILE] NAME [HOST:PORT]
 * chatroom-cli --list-rooms [--wait SECONDS] [--look HOST_OR_SUBNET…]
 *
 * Prints every message of the room as one line on standard output and sends
 * every line read from standard input. "/quit", end of input, Ctrl-C or
 * SIGTERM leave the room cleanly. Status and errors go to standard error,
 * so standard output is the conversation alone (and what /files lists).
 *
 * Shared files: "/send PATH" shares a file, "/files" lists the room's with
 * numbers, "/get N [DEST]" downloads one (to DEST, a file or a folder;
 * default the current folder), resuming what an earlier /get left.
 */
#define G_LOG_DOMAIN "chatroom-cli"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "chatroom-cli-files.h"
#include "chatroom-cli-moderation.h"
#include "chatroom-cli-output.h"
#include "cr-client.h"
#include "cr-mention.h"
#include "cr-render.h"
#include "cr-room-browser.h"
#include "cr-terminal.h"
#include "cr-trust.h"
#include "chatroom-cli-conversation.h"

/* How long to wait for the room to acknowledge what was typed before
 * leaving, and for the goodbye itself (the client needs ≤ 1 s). */
#define FLUSH_TIMEOUT_MS 3000
#define LEAVE_TIMEOUT_MS 3000

typedef struct {
  CrClient          *client;
  GListModel        *messages;     /* borrowed from client */
  GDataInputStream  *input;
  GCancellable      *cancellable;
  GPtrArray         *unacked;      /* own CrMessages still PENDING */
  char              *address;
  guint              n_printed;    /* messages printed so far */
  guint              flush_timeout_id;
  guint              leave_timeout_id;
  guint              closed_fallback_id;
  guint              sigint_id;
  guint              sigterm_id;
  int                exit_status;
  gboolean           joined;
  gboolean           leave_requested;
  gboolean           leave_sent;
  gboolean           done;
  gboolean           quiet;
  gboolean           numbers;      /* --numbers: "#SEQ" before each line */
  guint              transfers;    /* file operations under way */
} CliApp;

static void read_next_line (CliApp *app);
static void maybe_leave (CliApp *app);
static void print_fingerprint (CliApp *app);

static void
finish (CliApp *app,
        int     exit_status)
{
  g_assert (app != NULL);

  if (app->done)
    return;
  app->exit_status = exit_status;
  app->done = TRUE;
  g_main_context_wakeup (NULL);
}

/* A line that calls on us (cr-mention.h: "@NAME", or "@all" from the
 * owner) is marked, and rings the terminal's bell when there is one: a
 * member reading in another window still hears it. */
static const char *
mention_marker (CliApp    *app,
                CrMessage *message)
{
  if (cr_message_get_own (message) || cr_message_is_system (message) ||
      !cr_mention_matches (cr_message_get_text (message), cr_client_get_name (app->client),
                           cr_message_get_kind (message) == CR_EVENT_OWNER_CHAT))
    return "";

  if (isatty (fileno (stdout)))
    fputc ('\a', stdout);
  /* Translators: put before a chat line in the terminal that mentions you
   * ("@yourname"); keep the space at its end */
  return C_("cli", "(@you) ");
}

/* Everything a room or a member supplied is printed through cr-terminal:
 * names escaped as one field, the text after its prefix with continuation
 * lines indented under the text, so that no line of a message starts at
 * column 0 and passes for a line of ours ("[10:02] * victim left the
 * room"). The prefix is the translated line with an empty text: every
 * translation puts the text last (chatroom-cli-conversation.c). A message
 * printed and then recalled is said again, as the system line it became. */
static void
on_message_recalled (CrMessage  *message,
                     GParamSpec *pspec,
                     CliApp     *app)
{
  g_autofree char *line = cli_conversation_format (message, cr_client_get_name (app->client),
                                                   app->numbers);

  cli_print (stdout, line);
  g_signal_handlers_disconnect_by_func (message, on_message_recalled, app);
}

static void
print_message (CliApp    *app,
               CrMessage *message)
{
  g_autofree char *formatted = cli_conversation_format (message, cr_client_get_name (app->client),
                                                        app->numbers);
  g_autofree char *line = g_strconcat (mention_marker (app, message), formatted, NULL);

  cli_print (stdout, line);
  if (!cr_message_is_system (message) && !cr_message_get_recalled (message))
    g_signal_connect (message, "notify::recalled", G_CALLBACK (on_message_recalled), app);
}

static void
print_new_messages (CliApp *app)
{
  guint n_items = g_list_model_get_n_items (app->messages);

  for (; app->n_printed < n_items; app->n_printed++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (app->messages, app->n_printed);

      /* Our own line is printed once the room has it (on_sent_message_state):
       * printed now, a refused one read as said before "Not delivered". */
      if (cr_message_get_own (message) && cr_message_get_state (message) == CR_MESSAGE_PENDING)
        continue;
      print_message (app, message);
    }
}

static void
on_messages_items_changed (GListModel *model,
                           guint       position,
                           guint       removed,
                           guint       added,
                           CliApp     *app)
{
  g_assert (model == app->messages);

  /* The model is a log: items are appended, and at most the oldest are
   * dropped. Anything inserted above what was printed is printed now. */
  if (position < app->n_printed)
    {
      app->n_printed -= MIN (removed, app->n_printed - position);
      for (guint i = position; i < position + added; i++)
        {
          g_autoptr(CrMessage) message = g_list_model_get_item (model, i);

          if (!cr_message_get_own (message) ||
              cr_message_get_state (message) != CR_MESSAGE_PENDING)
            print_message (app, message);
        }
      app->n_printed += added;
    }
  print_new_messages (app);
}

static void
on_sent_message_state (CrMessage  *message,
                       GParamSpec *pspec,
                       CliApp     *app)
{
  CrMessageState state = cr_message_get_state (message);

  if (state == CR_MESSAGE_SENT)
    print_message (app, message);
  else if (state == CR_MESSAGE_FAILED)
    {
      g_autofree char *reason = cr_render_reason (cr_message_get_failure (message), NULL);
      g_autofree char *text = cr_terminal_escape (cr_message_get_text (message));

      /* Translators: the first %s is why, the second the message typed */
      cli_status (_("Not delivered (%s): %s"), reason, text);
    }

  if (state != CR_MESSAGE_PENDING)
    {
      g_signal_handlers_disconnect_by_func (message, on_sent_message_state, app);
      g_ptr_array_remove_fast (app->unacked, message);
      maybe_leave (app);
    }
}

/* An own message: printed once the room has it, counted until then. */
static void
track_message (CrMessage *message,
               gpointer   user_data)
{
  CliApp *app = user_data;

  if (cr_message_get_state (message) == CR_MESSAGE_PENDING)
    {
      g_ptr_array_add (app->unacked, g_object_ref (message));
      g_signal_connect (message, "notify::state", G_CALLBACK (on_sent_message_state), app);
    }
}

static void
send_line (CliApp     *app,
           const char *line)
{
  g_autoptr(GError) error = NULL;
  CrMessage *message;

  message = cr_client_send (app->client, line, &error);
  if (message == NULL)
    {
      g_autofree char *why = cr_terminal_escape (error->message);

      /* CrClient's errors are already in the process's language. */
      /* Translators: %s is why the message could not be sent */
      cli_status (_("Not sent: %s"), why);
      return;
    }
  track_message (message, app);
}

/* Stop watching the messages still unacknowledged: the handlers point at
 * app, which must not be reached once main() returns. */
static void
forget_unacked (CliApp *app)
{
  for (guint i = 0; i < app->unacked->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (app->unacked, i),
                                          on_sent_message_state, app);
  g_ptr_array_set_size (app->unacked, 0);
}

static gboolean
on_leave_timeout (gpointer user_data)
{
  CliApp *app = user_data;

  app->leave_timeout_id = 0;
  /* The room did not confirm the goodbye: it will time us out instead. */
  finish (app, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
on_flush_timeout (gpointer user_data)
{
  CliApp *app = user_data;

  app->flush_timeout_id = 0;
  if (app->unacked->len > 0)
    {
      /* Translators: %u is a number of messages, which may not have
       * reached the room */
      cli_status (ngettext ("%u message was not acknowledged by the room",
                            "%u messages were not acknowledged by the room",
                            app->unacked->len),
                  app->unacked->len);
    }
  forget_unacked (app);
  maybe_leave (app);
  return G_SOURCE_REMOVE;
}

static void
maybe_leave (CliApp *app)
{
  CrClientState state;

  if (!app->leave_requested || app->leave_sent || app->done)
    return;

  state = cr_client_get_state (app->client);
  if (state == CR_CLIENT_CLOSED || state == CR_CLIENT_DISCONNECTED)
    {
      finish (app, app->exit_status);
      return;
    }

  /* Let the room acknowledge what was typed last (a piped script ends
   * with EOF right after its last line), but not forever. */
  if (app->unacked->len > 0 && state == CR_CLIENT_CONNECTED)
    {
      if (app->flush_timeout_id == 0)
        app->flush_timeout_id = g_timeout_add (FLUSH_TIMEOUT_MS, on_flush_timeout, app);
      return;
    }

  g_clear_handle_id (&app->flush_timeout_id, g_source_remove);
  app->leave_sent = TRUE;
  cr_client_leave (app->client);
  if (cr_client_get_state (app->client) == CR_CLIENT_CLOSED)
    finish (app, 0);
  else
    app->leave_timeout_id = g_timeout_add (LEAVE_TIMEOUT_MS, on_leave_timeout, app);
}

static void
request_leave (CliApp *app)
{
  if (app->leave_requested)
    return;
  app->leave_requested = TRUE;
  g_cancellable_cancel (app->cancellable);

  /* Still joining (only a signal gets here then: standard input is read
   * once joined): cancelling the join is all there is to do. */
  if (!app->joined)
    {
      finish (app, 130);
      return;
    }
  maybe_leave (app);
}

static char *
line_to_utf8 (const char *line)
{
  g_autofree char *stripped = g_strdup (line);
  gsize len = strlen (stripped);

  if (len > 0 && stripped[len - 1] == '\r')
    stripped[len - 1] = '\0';
  if (g_utf8_validate (stripped, -1, NULL))
    return g_steal_pointer (&stripped);
  /* A terminal in a legacy charset. */
  return g_locale_to_utf8 (stripped, -1, NULL, NULL, NULL);
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CliApp *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *line = NULL;

  raw = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      /* Translators: %s is a system error message */
      cli_status (_("Cannot read standard input: %s"), error->message);
      request_leave (app);
      return;
    }
  if (raw == NULL)
    {
      /* End of input leaves, like /quit. */
      request_leave (app);
      return;
    }

  line = line_to_utf8 (raw);
  if (line == NULL)
    cli_status ("%s", _("Not sent: the line is not valid text in this terminal's encoding"));
  else if (g_str_equal (line, "/quit"))
    {
      request_leave (app);
      return;
    }
  else if (cli_files_command (app->client, line, app->cancellable, &app->transfers))
    ;
  else if (cli_conversation_command (app->client, line, track_message, app))
    ;
  else if (cli_moderation_command (app->client, line))
    ;
  else if (*line != '\0')
    send_line (app, line);

  read_next_line (app);
}

static void
read_next_line (CliApp *app)
{
  g_data_input_stream_read_line_async (app->input, G_PRIORITY_DEFAULT,
                                       app->cancellable, on_line_read, app);
}

static void
on_client_closed (CrClient *client,
                  int       reason,
                  CliApp   *app)
{
  g_autofree char *why = NULL;

  /* A failed join is reported by on_joined(), with the address; and the
   * idle fallback or the signal, whichever comes second, has nothing to say. */
  if (!app->joined || app->done)
    return;

  /* Whatever the room said last is shown before the reason. */
  print_new_messages (app);

  if (reason == CR_REASON_NONE)
    {
      finish (app, 0);
      return;
    }

  why = cr_render_reason (reason, NULL);
  /* Translators: %s is why the session ended, e.g. "The owner removed you
   * from the room" */
  cli_status (_("Left the room: %s"), why);
  finish (app, 1);
}

static gboolean
on_closed_fallback (gpointer user_data)
{
  CliApp *app = user_data;

  app->closed_fallback_id = 0;
  on_client_closed (app->client, cr_client_get_close_reason (app->client), app);
  return G_SOURCE_REMOVE;
}

static void
on_client_state (CrClient   *client,
                 GParamSpec *pspec,
                 CliApp     *app)
{
  switch (cr_client_get_state (client))
    {
    case CR_CLIENT_RECONNECTING:
      cli_status ("%s", _("The room went silent: reconnecting…"));
      break;

    case CR_CLIENT_CONNECTED:
      if (app->joined)
        cli_status ("%s", _("Reconnected"));
      maybe_leave (app);
      break;

    case CR_CLIENT_CLOSED:
      /* "closed" follows with the reason, after the last messages are in
       * the model; should it not come, end anyway. */
      if (app->joined && app->closed_fallback_id == 0)
        app->closed_fallback_id = g_idle_add (on_closed_fallback, app);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CONNECTING:
    case CR_CLIENT_LEAVING:
    default:
      break;
    }
}

static void
on_joined (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  CliApp *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;
  const char *room_name;

  if (!cr_client_join_finish (CR_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          finish (app, 1);
          return;
        }
      address = cr_terminal_escape (app->address);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
        /* Translators: %s is the room address the user gave */
        why = g_strdup_printf (_("“%s” is not a room address: use HOST:PORT"), address);
      else
        /* The room's refusal may carry its own words (a detail, a
         * classic line). */
        why = cr_terminal_escape (error->message);
      /* Translators: the first %s is the room address, the second why */
      cli_status (_("Could not join %s: %s"), address, why);
      if (g_error_matches (error, CR_CLIENT_ERROR, CR_REASON_KEY_CHANGED))
        cli_status ("%s", _("If the room's owner reads you the new fingerprint, join again "
                            "with --accept-new-key."));
      finish (app, 1);
      return;
    }

  print_fingerprint (app);

  app->joined = TRUE;
  /* The name is the one the room's WELCOME gave. */
  name = cr_terminal_escape (cr_client_get_name (app->client));
  room_name = cr_client_get_room_name (app->client);
  if (room_name != NULL && *room_name != '\0')
    {
      g_autofree char *room = cr_terminal_escape (room_name);

      /* Translators: the first %s is the room's name, the second the
       * nickname the room gave the user */
      cli_status (_("Joined “%s” as %s. Type /quit to leave."), room, name);
    }
  else
    {
      address = cr_terminal_escape (app->address);
      /* Translators: the first %s is the room address, the second the
       * nickname the room gave the user */
      cli_status (_("Joined %s as %s. Type /quit to leave."), address, name);
    }

  print_new_messages (app);
  read_next_line (app);
}

static void
print_fingerprint (CliApp *app)
{
  const char *fingerprint = cr_client_get_fingerprint (app->client);

  if (!cr_client_get_encrypted (app->client) || fingerprint == NULL)
    {
      /* A classic room: the classroom programs cannot encrypt. Even with
       * --quiet: this is a warning. */
      cli_status ("%s", _("Warning: this room does not encrypt: what is said in it can be "
                          "read on the network."));
      return;
    }
  if (app->quiet)
    {
      /* Translators: %s is the room key's fingerprint (groups of digits) */
      cli_status (_("Room key: %s"), fingerprint);
      return;
    }
  switch (cr_client_get_key_trust (app->client))
    {
    case CR_KEY_TRUST_NEW:
      /* Translators: %s is the room key's fingerprint (groups of digits) */
      cli_status (_("Room key fingerprint: %s. First time here: it is remembered now; "
                    "compare it with the one the room's owner sees."), fingerprint);
      break;
    case CR_KEY_TRUST_ACCEPTED:
      /* Translators: %s is the room key's fingerprint (groups of digits) */
      cli_status (_("Room key fingerprint: %s. The new key is accepted and remembered."),
                  fingerprint);
      break;
    case CR_KEY_TRUST_KNOWN:
      /* Translators: %s is the room key's fingerprint (groups of digits) */
      cli_status (_("Room key fingerprint: %s (as before)."), fingerprint);
      break;
    case CR_KEY_TRUST_NONE:   /* no known-rooms file (CHATROOM_TRUST_FILE empty) */
    default:
      /* Translators: %s is the room key's fingerprint, 8 groups of 5 digits
       * that members compare when they first join */
      cli_status (_("Room key fingerprint: %s"), fingerprint);
      break;
    }
}

static gboolean
on_signal (gpointer user_data)
{
  CliApp *app = user_data;

  /* A second Ctrl-C does not wait for the room. */
  if (app->leave_requested)
    {
      finish (app, 130);
      return G_SOURCE_CONTINUE;
    }
  request_leave (app);
  return G_SOURCE_CONTINUE;
}

static char *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  char *newline;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;

  /* The first line is the password; keep spaces, drop the line end. */
  newline = strpbrk (contents, "\r\n");
  if (newline != NULL)
    *newline = '\0';
  return g_steal_pointer (&contents);
}

/* --list-rooms: probe for --wait seconds, then one line per room found,
 * NAME<TAB>ADDRESS:PORT<TAB>MEMBERS<TAB>OWNER (and <TAB>INTERFACE with
 * --show-interface), network text escaped. 0 when a room answered, 1 when
 * none did, 2 when no socket could be opened. */
static gboolean
on_list_wait_done (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
  return G_SOURCE_REMOVE;
}

static int
list_rooms (double       wait_seconds,
            char       **look,
            int          port,
            gboolean     no_lan,
            gboolean     show_interface)
{
  g_autoptr(CrRoomBrowser) browser = cr_room_browser_new ();
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;
  guint n;

  for (guint i = 0; look != NULL && look[i] != NULL; i++)
    if (!cr_room_browser_place_is_valid (look[i]))
      {
        g_autofree char *place = cr_terminal_escape (look[i]);

        /* Translators: the first %s is the program name, the second what
         * was given to --look */
        cli_status (_("%s: “%s” is neither a host nor a subnet like 192.168.1.0/24"),
                    g_get_prgname (), place);
        return 2;
      }
  cr_room_browser_set_port (browser, port);
  if (no_lan)
    cr_room_browser_set_methods (browser, CR_BROWSE_EXTRA);
  cr_room_browser_set_extra_places (browser, (const char * const *) look);
  if (!cr_room_browser_start (browser, &error))
    {
      /* Translators: the first %s is the program name, the second a system error */
      cli_status (_("%s: cannot look for rooms: %s"), g_get_prgname (), error->message);
      return 2;
    }
  g_timeout_add ((guint) (wait_seconds * 1000), on_list_wait_done, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  cr_room_browser_stop (browser);

  n = g_list_model_get_n_items (G_LIST_MODEL (browser));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrFoundRoom) room = g_list_model_get_item (G_LIST_MODEL (browser), i);
      g_autofree char *name = cr_terminal_escape (cr_found_room_get_name (room));
      g_autofree char *owner = cr_terminal_escape (cr_found_room_get_owner (room));
      g_autofree char *iface = cr_terminal_escape (cr_found_room_get_interface (room));
      g_autofree char *line = NULL;

      line = g_strdup_printf ("%s\t%s\t%u\t%s%s%s", name, cr_found_room_get_address (room),
                              cr_found_room_get_members (room), owner,
                              show_interface ? "\t" : "", show_interface ? iface : "");
      cli_print (stdout, line);
    }
  return n > 0 ? 0 : 1;
}

static char *
complete_address (const char *address)
{
  /* "host" alone means the default port; "[v6]" and "h:p" are complete. */
  if (strchr (address, ':') == NULL)
    return g_strdup_printf ("%s:%d", address, CR_DEFAULT_PORT);
  if (address[0] == '[' && g_str_has_suffix (address, "]"))
    return g_strdup_printf ("%s:%d", address, CR_DEFAULT_PORT);
  return g_strdup (address);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *password = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *name = NULL;
  gboolean do_register = FALSE;
  gboolean accept_new_key = FALSE;
  gboolean version = FALSE;
  g_autofree char *trust_file = NULL;
  gboolean list = FALSE;
  gboolean show_interface = FALSE;
  gboolean no_lan = FALSE;
  double wait_seconds = 3.0;
  int port = CR_DEFAULT_PORT;
  g_auto(GStrv) look = NULL;
  CliApp app = { 0 };
  const GOptionEntry entries[] = {
    { "register", 'r', 0, G_OPTION_ARG_NONE, &do_register,
      N_("Register NAME with the password first (needs --password-file)"), NULL },
    { "password-file", 'p', 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("Read the password from the first line of FILE"), N_("FILE") },
    { "accept-new-key", 0, 0, G_OPTION_ARG_NONE, &accept_new_key,
      N_("Go on when the room's key is not the one remembered for its address, and "
         "remember the new one"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &app.quiet,
      N_("Say less on joining: the room key's fingerprint only"), NULL },
    { "numbers", 'n', 0, G_OPTION_ARG_NONE, &app.numbers,
      N_("Print each message's number (#SEQ) first, for /reply and /recall"), NULL },
    { "list-rooms", 'l', 0, G_OPTION_ARG_NONE, &list,
      N_("List the rooms on the local networks, one a line: "
         "NAME, ADDRESS:PORT, MEMBERS, OWNER separated by tabs; exit 1 when none answered"),
      NULL },
    { "wait", 'w', 0, G_OPTION_ARG_DOUBLE, &wait_seconds,
      N_("With --list-rooms: how long to wait for answers (default 3)"), N_("SECONDS") },
    { "look", 0, 0, G_OPTION_ARG_STRING_ARRAY, &look,
      N_("With --list-rooms: also ask this host or subnet (192.168.2.7, host:port, "
         "10.8.0.0/24), repeatable"), N_("HOST_OR_SUBNET") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      N_("With --list-rooms: the room port asked by broadcast and multicast (default 10024)"),
      N_("PORT") },
    { "no-lan", 0, 0, G_OPTION_ARG_NONE, &no_lan,
      N_("With --list-rooms: ask only the --look places, nothing by broadcast or multicast"),
      NULL },
    { "show-interface", 0, 0, G_OPTION_ARG_NONE, &show_interface,
      N_("With --list-rooms: add a fifth column, the network interface each room answered on"),
      NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Show the version and exit"), NULL },
    { NULL }
  };

  cr_locale_init ();
  g_set_prgname ("chatroom-cli");

  /* Translators: the command line's arguments, shown by --help */
  context = g_option_context_new (_("NAME [HOST:PORT]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Translators: --help text; %d is the default port */
  summary = g_strdup_printf (_("Join a chat room from the terminal: every message of the room "
                               "is printed, every line typed is sent. /quit or end of input "
                               "leaves. The room address defaults to 127.0.0.1:%d."),
                             CR_DEFAULT_PORT);
  {
    g_autofree char *with_files = NULL;

    with_files = g_strconcat (summary, "\n\n",
                              _("Shared files: /send PATH shares a file with the room; /files "
                                "lists the room's files with numbers; /get N [DEST] downloads "
                                "one (DEST a file or a folder, default the current folder), "
                                "and resumes a download that was cut."), "\n\n",
                              _("Conversation: /reply SEQ TEXT answers message SEQ (printed "
                                "\"  ↪ NAME: first line\" above the reply); /recall SEQ takes "
                                "your message back within 2 minutes (the owner's, any time); "
                                "/msg NAME TEXT speaks to one member only (printed \"[private] "
                                "NAME: TEXT\"); /older prints the page of messages before the "
                                "oldest shown; /search WORDS finds messages that have every "
                                "word, Chinese included. --numbers shows each message's SEQ."), "\n\n",
                              cli_moderation_help (), "\n\n",
                              _("A line that mentions you (\"@NAME\", or \"@all\" from the "
                                "owner) starts with \"(@you)\" and rings the terminal's bell."),
                              NULL);
    g_free (summary);
    summary = g_steal_pointer (&with_files);
  }
  g_option_context_set_summary (context, summary);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      /* Translators: the first %s is the program name, the second why the
       * command line is wrong */
      cli_status (_("%s: %s (see --help)"), g_get_prgname (), error->message);
      return 2;
    }
  if (version)
    {
      cli_print (stdout, "chatroom-cli " PACKAGE_VERSION);
      return 0;
    }
  if (list)
    {
      if (argc != 1 || wait_seconds <= 0 || wait_seconds > 3600 || port < 1 || port > 65535)
        {
          /* Translators: %s is the program name */
          cli_status (_("%s: --list-rooms takes no nickname; --wait is 0–3600 s "
                        "and --port 1–65535 (see --help)"), g_get_prgname ());
          return 2;
        }
      return list_rooms (wait_seconds, look, port, no_lan, show_interface);
    }
  if (argc < 2 || argc > 3)
    {
      /* Translators: %s is the program name */
      cli_status (_("%s: give a nickname, and optionally the room's HOST:PORT (see --help)"),
                  g_get_prgname ());
      return 2;
    }

  if (password_file != NULL)
    {
      password = read_password_file (password_file, &error);
      if (password == NULL)
        {
          /* Translators: the first %s is the program name, the second a
           * system error message */
          cli_status (_("%s: cannot read the password: %s"), g_get_prgname (), error->message);
          return 2;
        }
    }
  if (do_register && (password == NULL || *password == '\0'))
    {
      /* Translators: %s is the program name */
      cli_status (_("%s: --register needs a password (--password-file)"), g_get_prgname ());
      return 2;
    }

  name = line_to_utf8 (argv[1]);
  if (name == NULL)
    {
      /* Translators: %s is the program name */
      cli_status (_("%s: the nickname is not valid text in this terminal's encoding"),
                  g_get_prgname ());
      return 2;
    }

  app.address = complete_address (argc == 3 ? argv[2] : "127.0.0.1");
  app.cancellable = g_cancellable_new ();
  app.unacked = g_ptr_array_new_with_free_func (g_object_unref);
  app.client = cr_client_new ();
  app.messages = cr_client_get_messages (app.client);
  /* The rooms met before and their keys (cr-trust.h), shared with the app. */
  trust_file = cr_trust_default_path ();
  cr_client_set_trust_file (app.client, trust_file);
  cr_client_set_accept_new_key (app.client, accept_new_key);

  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  app.input = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_set_newline_type (app.input, G_DATA_STREAM_NEWLINE_TYPE_ANY);

  g_signal_connect (app.messages, "items-changed", G_CALLBACK (on_messages_items_changed), &app);
  g_signal_connect (app.client, "notify::state", G_CALLBACK (on_client_state), &app);
  g_signal_connect (app.client, "closed", G_CALLBACK (on_client_closed), &app);
  cli_moderation_watch (app.client);
  app.sigint_id = g_unix_signal_add (SIGINT, on_signal, &app);
  app.sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &app);

  cr_client_join_async (app.client, app.address, name, password, do_register, NULL,
                        app.cancellable, on_joined, &app);

  while (!app.done)
    g_main_context_iteration (NULL, TRUE);

  /* Nothing may call back into app once main returns. */
  g_cancellable_cancel (app.cancellable);
  g_clear_handle_id (&app.flush_timeout_id, g_source_remove);
  g_clear_handle_id (&app.leave_timeout_id, g_source_remove);
  g_clear_handle_id (&app.closed_fallback_id, g_source_remove);
  g_clear_handle_id (&app.sigint_id, g_source_remove);
  g_clear_handle_id (&app.sigterm_id, g_source_remove);
  forget_unacked (&app);
  g_signal_handlers_disconnect_by_data (app.messages, &app);
  g_signal_handlers_disconnect_by_data (app.client, &app);
  for (guint i = 0; i < 100 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  /* Cancelled file transfers end on their threads and report here. */
  {
    gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

    while (app.transfers > 0 && g_get_monotonic_time () < deadline)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (10 * 1000);
  }

  g_clear_pointer (&app.unacked, g_ptr_array_unref);
  g_clear_object (&app.input);
  g_clear_object (&app.client);
  g_clear_object (&app.cancellable);
  g_clear_pointer (&app.address, g_free);

  return app.exit_status;
}
