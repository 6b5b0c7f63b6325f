/* chatroomd.c: a room without a desktop; standard input is the owner's console
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chatroomd"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "cr-classic.h"
#include "cr-engine.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-terminal.h"

typedef struct {
  GMainLoop        *loop;
  CrServer         *server;
  GDataInputStream *console;
  GCancellable     *cancellable;
  GStrv             locked;       /* the locked names last told on the console */
  int               status;
} Daemon;

/* Console output is UTF-8 whatever the locale (g_print would turn Chinese
 * into '?' under LANG=C). */
static void
say (FILE       *stream,
     const char *line)
{
  fputs (line, stream);
  fputc ('\n', stream);
  fflush (stream);
}

static void
sayf (FILE       *stream,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
sayf (FILE       *stream,
      const char *format,
      ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  say (stream, line);
}

/* Names and text are the members' own: printed through cr-terminal, the
 * name escaped before it is rendered into a line, the text with its
 * continuation lines indented under it, so that no message can put a line
 * of its own at column 0 ("[10:02:00] * victim left the room"). */
static void
on_event (CrServer      *server,
          const CrEvent *event,
          Daemon        *daemon)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (event->time_us / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (time, "%H:%M:%S");
  g_autofree char *name = cr_terminal_escape (event->name);
  CrEvent escaped = *event;
  g_autofree char *text = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *line = NULL;

  escaped.name = name;
  text = cr_render_event (&escaped, NULL);

  switch (event->kind)
    {
    /* The number, for /recall SEQ. */
    case CR_EVENT_CHAT:
      prefix = g_strdup_printf ("[%s] #%" G_GUINT64_FORMAT " %s: ", stamp, event->seq, name);
      break;
    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
      prefix = g_strdup_printf ("[%s] #%" G_GUINT64_FORMAT " ", stamp, event->seq);
      break;
    default:
      prefix = g_strdup_printf ("[%s] * ", stamp);
      break;
    }
  line = cr_terminal_format_lines (prefix, text);
  say (stdout, line);
}

/* The members (in the owner view's order); with search, only those whose
 * name holds it, in any case (the owner view's search). */
static void
list_members (Daemon     *daemon,
              const char *search)
{
  GListModel *members = cr_server_get_members (daemon->server);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *folded_search = g_utf8_casefold (search, -1);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) m = g_list_model_get_item (members, i);
      g_autofree char *folded = g_utf8_casefold (cr_member_get_name (m), -1);
      g_autofree char *name = NULL;
      guint flags = cr_member_get_flags (m);
      GString *line;

      if (strstr (folded, folded_search) == NULL)
        continue;
      name = cr_terminal_escape (cr_member_get_name (m));
      line = g_string_new ("  ");

      g_string_append (line, name);
      if (cr_member_get_address (m))
        g_string_append_printf (line, "  %s", cr_member_get_address (m));
      g_string_append_printf (line, "  %s", (flags & CR_MEMBER_REGISTERED) ? _("registered") : _("guest"));
      /* The classroom dialect is plain text on the wire. */
      if (flags & CR_MEMBER_CLASSIC)
        g_string_append_printf (line, "  %s", _("classic: can be read on the network"));
      if (flags & CR_MEMBER_MUTED)
        g_string_append_printf (line, "  %s", _("muted"));
      if (cr_member_get_role (m) == CR_ROLE_OWNER)
        g_string_append_printf (line, "  %s", _("owner"));
      else if (cr_member_get_role (m) == CR_ROLE_ADMIN)
        g_string_append_printf (line, "  %s", _("admin"));
      g_ptr_array_add (lines, g_string_free (line, FALSE));
    }

  sayf (stdout, ngettext ("%u member:", "%u members:", lines->len), lines->len);
  for (guint i = 0; i < lines->len; i++)
    say (stdout, lines->pdata[i]);
}

/* Names locked after too many wrong passwords (cr-engine-auth.c). */
static void
list_locked (Daemon *daemon)
{
  g_auto(GStrv) names = cr_server_dup_locked_names (daemon->server);
  guint n = g_strv_length (names);

  if (n == 0)
    {
      say (stdout, _("No name is locked."));
      return;
    }
  sayf (stdout, ngettext ("%u name locked after too many wrong passwords:",
                          "%u names locked after too many wrong passwords:", n), n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = cr_terminal_escape (names[i]);

      sayf (stdout, "  %s", name);
    }
}

static void
unlock_name (Daemon     *daemon,
             const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = cr_terminal_escape (arg);

  if (cr_server_unlock_name (daemon->server, arg, &error))
    {
      /* Translators: %s is a nickname */
      sayf (stdout, _("“%s” may try a password again."), name);
      return;
    }
  if (g_error_matches (error, CR_SERVER_ERROR, CR_REASON_NO_CHANGE))
    /* Translators: %s is what the owner typed after /unlock */
    sayf (stderr, _("“%s” is not locked; /locked lists the names that are"), name);
  else
    {
      g_autofree char *message = cr_terminal_escape (error->message);

      say (stderr, message);
    }
}

/* One line for each name that became locked since the last time: the
 * owner learns that someone is guessing, and how to let the real one in. */
static void
on_locks_changed (CrServer *server,
                  Daemon   *daemon)
{
  g_auto(GStrv) names = cr_server_dup_locked_names (server);
  int minutes = (int) (CR_ENGINE_LOGIN_LOCK_US / G_TIME_SPAN_MINUTE);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *name = NULL;

      if (daemon->locked != NULL && g_strv_contains ((const char * const *) daemon->locked,
                                                     names[i]))
        continue;
      name = cr_terminal_escape (names[i]);
      /* Translators: the console line when a name is locked; the first and
       * last %s are the name, %d the minutes it stays locked */
      sayf (stderr, ngettext ("Too many wrong passwords for “%s”: locked for %d minute. "
                              "/unlock %s lifts the lock",
                              "Too many wrong passwords for “%s”: locked for %d minutes. "
                              "/unlock %s lifts the lock", minutes), name, minutes, name);
    }
  g_strfreev (daemon->locked);
  daemon->locked = g_steal_pointer (&names);
}

static void
list_files (Daemon *daemon)
{
  CrFiles *files = cr_server_get_files (daemon->server);
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *used = NULL;
  g_autofree char *quota = NULL;
  g_autofree char *max = NULL;

  if (files == NULL)
    {
      say (stdout, _("This room keeps no files"));
      return;
    }
  list = cr_files_list (files);
  for (guint i = 0; i < list->len; i++)
    {
      CrFileInfo *info = list->pdata[i];
      g_autofree char *name = cr_terminal_escape (info->name);
      g_autofree char *sharer = cr_terminal_escape (info->sharer);
      g_autofree char *size = g_format_size (info->size);

      /* Translators: one shared file: its number, name, size, who shared it
       * and its sha256 */
      sayf (stdout, _("%u. %s (%s), shared by %s, sha256 %s"), i + 1, name, size, sharer,
            info->id);
    }
  used = g_format_size (cr_files_get_used (files));
  quota = g_format_size (cr_files_get_quota (files));
  max = g_format_size (cr_files_get_max_size (files));
  /* Translators: the number of shared files, the space they take of the
   * room's storage, and the largest file the room takes */
  sayf (stdout, ngettext ("%u file, %s of %s used; at most %s a file",
                          "%u files, %s of %s used; at most %s a file", list->len),
        list->len, used, quota, max);
}

/* Every mute and what is left of it: mutes outlive a restart, so the owner
 * may need to know what the room still holds. */
static void
list_mutes (Daemon *daemon)
{
  g_autoptr(GPtrArray) mutes = cr_server_dup_mutes (daemon->server);
  gint64 now = g_get_real_time ();

  if (mutes->len == 0)
    {
      say (stdout, _("Nobody is muted."));
      return;
    }
  sayf (stdout, ngettext ("%u name muted:", "%u names muted:", mutes->len), mutes->len);
  for (guint i = 0; i < mutes->len; i++)
    {
      const CrStoreMute *mute = mutes->pdata[i];
      g_autofree char *name = cr_terminal_escape (mute->name);
      int minutes;

      if (mute->until == 0)
        {
          /* Translators: one muted name in the console's /mutes */
          sayf (stdout, _("  %s  until lifted"), name);
          continue;
        }
      /* Rounded up: "1 more minute" until it is over. */
      minutes = (int) MIN ((MAX (mute->until - now, 0) + G_TIME_SPAN_MINUTE - 1) /
                           G_TIME_SPAN_MINUTE, G_MAXINT);
      /* Translators: one muted name in the console's /mutes; %s is the name,
       * %d the minutes left */
      sayf (stdout, ngettext ("  %s  for %d more minute", "  %s  for %d more minutes", minutes),
            name, minutes);
    }
}

/* /mute NAME [DURATION] */
static void
mute_command (Daemon      *daemon,
              const char  *arg,
              GError     **error)
{
  g_auto(GStrv) words = g_strsplit (arg, " ", 2);
  gint64 seconds = 0;

  if (words[0] != NULL && words[1] != NULL &&
      !cr_duration_parse (g_strstrip (words[1]), &seconds))
    {
      say (stderr, _("Say how long as 10m, 1h, 1d or none (until lifted): /mute NAME 10m"));
      return;
    }
  cr_server_moderate (daemon->server, CR_MANAGE_MUTE, words[0] != NULL ? words[0] : "",
                      seconds, error);
}

static void
print_help (void)
{
  say (stdout, _("Type a line to speak to the room as its owner. Commands:"));
  say (stdout, _("  /members [TEXT]   who is in the room (names holding TEXT)"));
  say (stdout, _("  /announce TEXT    an announcement"));
  say (stdout, _("  /kick NAME        remove someone from the room"));
  say (stdout, _("  /mute NAME [TIME] stop someone from speaking, for 10m, 1h, 1d or none "
                 "(until lifted); /unmute NAME"));
  say (stdout, _("  /mutes            who is muted, and for how long"));
  say (stdout, _("  /admin NAME       make someone an admin (mutes and removes members); "
                 "/unadmin NAME"));
  say (stdout, _("  /muteall          only the owner and admins may speak; /unmuteall"));
  say (stdout, _("  /pin TEXT         pin an announcement at the top of the chat; /unpin"));
  say (stdout, _("  /ban NAME         remove and keep out; /unban NAME"));
  say (stdout, _("  /locked           names locked after too many wrong passwords"));
  say (stdout, _("  /unlock NAME      let NAME try a password again"));
  say (stdout, _("  /rename NAME      give the room a new name (members see it at once)"));
  say (stdout, _("  /recall SEQ       take back message #SEQ (any message, any time)"));
  say (stdout, _("  /files            the shared files and the room's storage"));
  say (stdout, _("  /quit             close the room"));
}

static void
run_command (Daemon     *daemon,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = NULL;
  const char *command, *arg;
  gboolean ok = TRUE;

  if (line[0] != '/')
    {
      cr_server_say (daemon->server, line, &error);
      goto out;
    }

  parts = g_strsplit (line + 1, " ", 2);
  command = parts[0] ? parts[0] : "";
  arg = parts[0] && parts[1] ? g_strstrip (parts[1]) : "";

  if (g_str_equal (command, "members"))
    list_members (daemon, arg);
  else if (g_str_equal (command, "files"))
    list_files (daemon);
  else if (g_str_equal (command, "mutes"))
    list_mutes (daemon);
  else if (g_str_equal (command, "help"))
    print_help ();
  else if (g_str_equal (command, "locked"))
    list_locked (daemon);
  else if (g_str_equal (command, "unlock"))
    unlock_name (daemon, arg);
  else if (g_str_equal (command, "quit"))
    cr_server_stop (daemon->server);
  else if (g_str_equal (command, "announce"))
    ok = cr_server_announce (daemon->server, arg, &error);
  else if (g_str_equal (command, "kick"))
    ok = cr_server_kick (daemon->server, arg, &error);
  else if (g_str_equal (command, "mute"))
    mute_command (daemon, arg, &error);
  else if (g_str_equal (command, "admin") || g_str_equal (command, "unadmin"))
    ok = cr_server_moderate (daemon->server, command[0] == 'a' ? CR_MANAGE_ADMIN
                                                               : CR_MANAGE_UNADMIN,
                             arg, 0, &error);
  else if (g_str_equal (command, "muteall") || g_str_equal (command, "unmuteall"))
    ok = cr_server_moderate (daemon->server, command[0] == 'm' ? CR_MANAGE_MUTE_ALL
                                                               : CR_MANAGE_UNMUTE_ALL,
                             NULL, 0, &error);
  else if (g_str_equal (command, "pin") && *arg == '\0')
    say (stderr, _("Give the announcement to pin: /pin TEXT"));
  else if (g_str_equal (command, "pin") || g_str_equal (command, "unpin"))
    ok = cr_server_moderate (daemon->server, CR_MANAGE_PIN, command[0] == 'p' ? arg : "", 0,
                             &error);
  else if (g_str_equal (command, "unmute"))
    ok = cr_server_unmute (daemon->server, arg, &error);
  else if (g_str_equal (command, "ban"))
    ok = cr_server_ban (daemon->server, arg, &error);
  else if (g_str_equal (command, "unban"))
    ok = cr_server_unban (daemon->server, arg, &error);
  else if (g_str_equal (command, "recall"))
    {
      char *end = NULL;
      guint64 seq = g_ascii_strtoull (*arg == '#' ? arg + 1 : arg, &end, 10);

      if (seq == 0 || end == NULL || *end != '\0')
        say (stderr, _("Give the number of the message: /recall SEQ"));
      else
        ok = cr_server_recall (daemon->server, seq, &error);
    }
  else if (g_str_equal (command, "rename"))
    {
      /* The members' clients refuse a name longer than 1 024 bytes. */
      if (*arg == '\0' || strlen (arg) > 1024 || cr_text_validate (arg, -1) != CR_REASON_NONE)
        say (stderr, _("Give the room's new name on one line: /rename NAME"));
      else
        cr_server_set_room_name (daemon->server, arg);
    }
  else
    {
      /* Translators: %s is what the owner typed after the slash */
      sayf (stderr, _("Unknown command “/%s”; /help lists them"), command);
      return;
    }
  (void) ok;

out:
  if (error != NULL)
    {
      /* It may name a member. */
      g_autofree char *message = cr_terminal_escape (error->message);

      say (stderr, message);
    }
}

static void read_next_line (Daemon *daemon);

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Daemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize len;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                    &len, &error);
  if (line == NULL)
    {
      /* End of input (a service has none) leaves the room open; only a
       * signal closes it then. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        say (stderr, error->message);
      return;
    }

  g_strchomp (line);
  if (*line != '\0')
    run_command (daemon, line);
  read_next_line (daemon);
}

static void
read_next_line (Daemon *daemon)
{
  g_data_input_stream_read_line_async (daemon->console, G_PRIORITY_DEFAULT,
                                       daemon->cancellable, on_line_read, daemon);
}

static gboolean
on_signal (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (cr_server_get_running (daemon->server))
    cr_server_stop (daemon->server);
  else
    g_main_loop_quit (daemon->loop);
  return G_SOURCE_CONTINUE;
}

/* One line when the room's disk starts failing, one when it works again. */
static void
on_storage_warning (CrServer   *server,
                    gboolean    ok,
                    const char *message,
                    Daemon     *daemon)
{
  /* Translators: the console line when the room's storage fails (or works again); %s says how */
  sayf (stderr, ok ? _("Storage: %s") : _("Warning: %s"), message);
}

static void
on_stopped (CrServer *server,
            Daemon   *daemon)
{
  g_main_loop_quit (daemon->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *room_name = NULL;
  g_autofree char *language = NULL;
  g_autofree char *owner_name = NULL;
  int silence_ms = 15000;
  gboolean no_classic = FALSE;
  int max_members = 500;
  int rate_limit = 50;
  int max_file_mb = CR_FILES_DEFAULT_MAX_SIZE / 1000000;
  int file_quota_mb = CR_FILES_DEFAULT_QUOTA / 1000000;
  g_autofree char *file_policy = NULL;
  int policy = CR_FILES_SHARE_EVERYONE;
  gboolean version = FALSE;
  gboolean no_discovery = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  Daemon daemon = { 0, };
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      N_("Address and UDP port to serve, e.g. 127.0.0.1:10024 or [::]:10024"), N_("ADDR:PORT") },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      N_("Where accounts, bans and history are kept"), N_("DIR") },
    { "room-name", 'n', 0, G_OPTION_ARG_STRING, &room_name,
      N_("The room's name"), N_("NAME") },
    { "language", 0, 0, G_OPTION_ARG_STRING, &language,
      N_("Language of the lines classic clients receive: zh_CN or en"), N_("LANG") },
    { "owner-name", 0, 0, G_OPTION_ARG_STRING, &owner_name,
      N_("How the owner's messages are signed"), N_("NAME") },
    { "silence-timeout", 0, 0, G_OPTION_ARG_INT, &silence_ms,
      N_("Drop a member silent for this long (milliseconds)"), N_("MS") },
    { "no-classic", 0, 0, G_OPTION_ARG_NONE, &no_classic,
      N_("Refuse classic clients (the classroom programs), which cannot encrypt"), NULL },
    { "no-discovery", 0, 0, G_OPTION_ARG_NONE, &no_discovery,
      N_("Do not answer LAN discovery nor announce the room: it is found only by its address"),
      NULL },
    { "max-members", 0, 0, G_OPTION_ARG_INT, &max_members,
      N_("How many members the room holds (default 500)"), N_("N") },
    { "rate-limit", 0, 0, G_OPTION_ARG_INT, &rate_limit,
      N_("Messages a second each member may say, in bursts of twice that; 0: no limit "
         "(default 50)"), N_("N") },
    { "max-file-size", 0, 0, G_OPTION_ARG_INT, &max_file_mb,
      N_("The largest file members may share, in MB (default 100)"), N_("MB") },
    { "file-quota", 0, 0, G_OPTION_ARG_INT, &file_quota_mb,
      N_("Storage for shared files, in MB (default 2000); the oldest expire first"), N_("MB") },
    { "file-policy", 0, 0, G_OPTION_ARG_STRING, &file_policy,
      N_("Who may share files: everyone, registered or owner"), N_("WHO") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version"), NULL },
    { NULL }
  };

  cr_locale_init ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Serve a Chat Room without a desktop. "
                                           "Standard input is the owner's console."));
  /* The console's commands, so that --help shows what the owner can do. */
  g_option_context_set_description (context, _("Console commands: /members, /announce, /kick, "
                                               "/mute NAME [10m|1h|1d|none], /mutes, /unmute, "
                                               "/ban, "
                                               "/unban, /admin, /unadmin, /muteall, "
                                               "/unmuteall, /pin TEXT, /unpin, /locked (names "
                                               "locked after too many wrong passwords), "
                                               "/unlock, /rename, /recall SEQ (take back "
                                               "message #SEQ), /files, /quit; /help "
                                               "explains them."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      say (stderr, error->message);
      return 2;
    }
  if (version)
    {
      say (stdout, "chatroomd " PACKAGE_VERSION);
      return 0;
    }
  if (language != NULL && cr_classic_table_lookup (language) == NULL)
    {
      /* Translators: %s is what was given to --language */
      sayf (stderr, _("Unknown language “%s”: use zh_CN or en"), language);
      return 2;
    }
  if (silence_ms < 100)
    {
      say (stderr, _("The silence timeout must be at least 100 ms"));
      return 2;
    }
  if (max_members < 1 || max_members > 100000)
    {
      say (stderr, _("The room holds between 1 and 100000 members"));
      return 2;
    }
  if (rate_limit < 0 || rate_limit > 1000000)
    {
      say (stderr, _("The rate limit is between 0 (none) and 1000000 messages a second"));
      return 2;
    }
  if (max_file_mb < 0 || file_quota_mb < 0)
    {
      say (stderr, _("File sizes cannot be negative"));
      return 2;
    }
  if (file_policy != NULL)
    {
      static const char * const policies[] = { "everyone", "registered", "owner" };

      for (policy = 0; policy < (int) G_N_ELEMENTS (policies); policy++)
        if (g_str_equal (file_policy, policies[policy]))
          break;
      if (policy == G_N_ELEMENTS (policies))
        {
          /* Translators: %s is what was given to --file-policy */
          sayf (stderr, _("Unknown file policy “%s”: use everyone, registered or owner"),
                file_policy);
          return 2;
        }
    }
  if (data_dir == NULL)
    data_dir = g_build_filename (g_get_user_data_dir (), "chatroom", NULL);

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.cancellable = g_cancellable_new ();
  daemon.server = g_object_new (CR_TYPE_SERVER,
                                "data-dir", data_dir,
                                "room-name", room_name,
                                "language", language ? language : "zh_CN",
                                "owner-name", owner_name,
                                "silence-timeout", (guint) silence_ms,
                                "allow-classic", !no_classic,
                                "discoverable", !no_discovery,
                                "max-members", (guint) max_members,
                                "rate-limit", (guint) rate_limit,
                                NULL);
  g_signal_connect (daemon.server, "event", G_CALLBACK (on_event), &daemon);
  g_signal_connect (daemon.server, "stopped", G_CALLBACK (on_stopped), &daemon);
  g_signal_connect (daemon.server, "storage-warning", G_CALLBACK (on_storage_warning), &daemon);
  g_signal_connect (daemon.server, "locks-changed", G_CALLBACK (on_locks_changed), &daemon);

  if (!cr_server_start (daemon.server, listen ? listen : "127.0.0.1:10024", &error))
    {
      say (stderr, error->message);
      g_clear_object (&daemon.server);
      return 1;
    }

  if (cr_server_get_files (daemon.server) != NULL)
    {
      CrFiles *files = cr_server_get_files (daemon.server);

      cr_files_set_max_size (files, (guint64) max_file_mb * 1000000);
      cr_files_set_quota (files, (guint64) file_quota_mb * 1000000);
      cr_files_set_policy (files, (CrFilesPolicy) policy);
    }

  {
    g_auto(GStrv) addresses = cr_server_dup_join_addresses (daemon.server);
    g_autofree char *joined = g_strjoinv (", ", addresses);
    g_autofree char *name = cr_terminal_escape (cr_server_get_room_name (daemon.server));

    g_autofree char *fingerprint = cr_server_dup_fingerprint (daemon.server);

    /* Translators: %s is the room's name, then the addresses to join at */
    sayf (stdout, _("Room “%s” is open. Join at: %s"), name, joined);
    /* Translators: %s is the room key's fingerprint, 8 groups of 5 digits
     * that members compare when they first join */
    sayf (stdout, _("Room key fingerprint: %s"), fingerprint);
    if (no_classic)
      say (stdout, _("Classic clients are refused: every member is encrypted."));
    else
      say (stdout, _("Classic clients may join; what they send and receive can be read on "
                     "the network."));
    say (stdout, _("Type to speak as the owner; /help lists the commands."));
  }

  g_unix_signal_add (SIGINT, on_signal, &daemon);
  g_unix_signal_add (SIGTERM, on_signal, &daemon);

  stdin_stream = g_unix_input_stream_new (0, FALSE);
  daemon.console = g_data_input_stream_new (stdin_stream);
  read_next_line (&daemon);

  g_main_loop_run (daemon.loop);

  g_cancellable_cancel (daemon.cancellable);
  g_clear_object (&daemon.console);
  g_clear_object (&daemon.cancellable);
  g_clear_object (&daemon.server);
  g_clear_pointer (&daemon.locked, g_strfreev);
  g_main_loop_unref (daemon.loop);
  say (stdout, _("The room is closed."));
  return daemon.status;
}
