/* cr-render.c: events and reasons → human text, in a chosen language
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * This is the reader's own UI text: NULL, the process's language, is what
 * the programs pass. The room never renders: what classic members receive
 * is a wire format with its own tables (cr-classic.c). A named language is
 * for tests that check both catalogs in one process. English is the msgids
 * themselves. For another language, the first
 * lookup of each string switches gettext around that lookup: the thread gets a C.UTF-8 locale of its own (gettext ignores
 * LANGUAGE under "C"), LANGUAGE names the catalog, and _nl_msg_cat_cntr
 * tells gettext that its cached translations are stale; both are restored
 * at once. The result is kept, so a running server switches a bounded
 * number of times. The switch sets an environment variable: the first
 * render in a language belongs on the main thread.
 */
#define G_LOG_DOMAIN "cr-render"

#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cr-files.h"
#include "cr-render.h"

/* gi18n-lib.h maps _() to g_dgettext(), which decides once per process,
 * from the process locale, whether to translate at all: under LANG=C.UTF-8
 * it would give up for good and every later Chinese render would come out
 * in English. Here _() translates into the language the caller
 * asked for: every function using it has a parameter named "language". */
#undef _
#define _(String) render_gettext (language, String)

/* glibc's counter of catalog changes; bumping it drops cached translations
 * (the gettext manual's way to switch language at run time). */
extern int _nl_msg_cat_cntr;

/* Translations looked up in another language than the process's, by
 * language + "\001" + msgid. The switch is slow and not thread-safe
 * (setenv), and every switch bumps a glibc int that must not wrap in a
 * long-running server: each string is switched for once per language. */
G_LOCK_DEFINE_STATIC (cache);
static GHashTable *cache;

/* Where the catalogs are: $CHATROOM_LOCALEDIR when set; the build tree's
 * when this program was built there and runs from there (meson compile,
 * then build/src/chatroomd: nothing installed); else the installed ones. */
static const char *
catalog_dir (void)
{
  static gsize once = 0;
  static const char *dir;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("CHATROOM_LOCALEDIR");
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *root = realpath (BUILD_ROOT, NULL);
      g_autofree char *prefix = root != NULL ? g_strconcat (root, "/", NULL) : NULL;

      if (env != NULL && *env != '\0')
        dir = g_intern_string (env);
      else if (exe != NULL && prefix != NULL && g_str_has_prefix (exe, prefix))
        dir = BUILD_LOCALEDIR;
      else
        dir = LOCALEDIR;
      g_once_init_leave (&once, 1);
    }
  return dir;
}

static void
ensure_domain_bound (void)
{
  static gsize bound = 0;

  /* A test may render before (or without) cr_locale_init(): bind here too,
   * and always ask for UTF-8 (the process's charset may be ASCII). */
  if (g_once_init_enter (&bound))
    {
      bindtextdomain (GETTEXT_PACKAGE, catalog_dir ());
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&bound, 1);
    }
}

static locale_t
get_c_utf8_locale (void)
{
  static gsize once = 0;
  static locale_t c_utf8 = (locale_t) 0;

  if (g_once_init_enter (&once))
    {
      c_utf8 = newlocale (LC_ALL_MASK, "C.UTF-8", (locale_t) 0);
      if (c_utf8 == (locale_t) 0)
        c_utf8 = newlocale (LC_ALL_MASK, "C.utf8", (locale_t) 0);
      if (c_utf8 == (locale_t) 0)
        g_warning ("No C.UTF-8 locale: rendering in another language uses the process locale");
      g_once_init_leave (&once, 1);
    }
  return c_utf8;
}

static gboolean
language_is_source (const char *language)
{
  /* The msgids are English: English needs no catalog at all. */
  return g_str_equal (language, "C") || g_str_equal (language, "POSIX") ||
         g_str_has_prefix (language, "C.") ||
         g_str_equal (language, "en") || g_str_has_prefix (language, "en_") ||
         g_str_has_prefix (language, "en.") || g_str_has_prefix (language, "en@");
}

/* Under a thread locale of C.UTF-8 (gettext ignores LANGUAGE under "C"),
 * LANGUAGE picks the catalog; restore both. */
static const char *
gettext_in_language (const char *language,
                     const char *msgid)
{
  g_autofree char *saved_language = g_strdup (g_getenv ("LANGUAGE"));
  locale_t locale = get_c_utf8_locale ();
  locale_t saved_locale = (locale_t) 0;
  const char *translation;

  if (locale != (locale_t) 0)
    saved_locale = uselocale (locale);
  g_setenv ("LANGUAGE", language, TRUE);
  ++_nl_msg_cat_cntr;

  translation = dgettext (GETTEXT_PACKAGE, msgid);

  if (saved_language != NULL)
    g_setenv ("LANGUAGE", saved_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  ++_nl_msg_cat_cntr;
  if (locale != (locale_t) 0)
    uselocale (saved_locale);

  return translation;
}

static const char *render_gettext (const char *language,
                                   const char *msgid) G_GNUC_FORMAT (2);

static const char *
render_gettext (const char *language,
                const char *msgid)
{
  g_autofree char *key = NULL;
  const char *translation;

  ensure_domain_bound ();

  /* NULL: the process's own language, gettext as usual. */
  if (language == NULL || *language == '\0')
    return dgettext (GETTEXT_PACKAGE, msgid);
  if (language_is_source (language))
    return msgid;

  key = g_strconcat (language, "\001", msgid, NULL);

  G_LOCK (cache);
  if (cache == NULL)
    cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  translation = g_hash_table_lookup (cache, key);
  if (translation == NULL)
    {
      translation = g_strdup (gettext_in_language (language, msgid));
      g_hash_table_insert (cache, g_steal_pointer (&key), (char *) translation);
    }
  G_UNLOCK (cache);

  /* Entries are never removed or replaced: the pointer stays valid. */
  return translation;
}

static char *
format_event (const CrEvent *event,
              const char    *language)
{
  const char *name = event->name != NULL ? event->name : "";
  const char *text = event->text != NULL ? event->text : "";
  /* NULL: the owner acted (or the event is of a kind without an actor). */
  const char *actor = event->actor != NULL && *event->actor != '\0' ? event->actor : NULL;

  if (event->recalled)
    return g_strdup_printf (_("%s recalled a message"), name);

  switch (event->kind)
    {
    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
      return g_strdup (text);

    case CR_EVENT_ANNOUNCE:
      /* Translators: a line in the chat; %s is the owner's announcement */
      return g_strdup_printf (_("Announcement: %s"), text);

    case CR_EVENT_JOIN:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s joined the room"), name);

    case CR_EVENT_LEAVE:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s left the room"), name);

    case CR_EVENT_TIMEOUT:
      /* Translators: a system line in the chat; %s is a nickname. The room
       * heard nothing from this member for a while and dropped them. */
      return g_strdup_printf (_("%s timed out and left the room"), name);

    case CR_EVENT_KICK:
      if (actor != NULL)
        /* Translators: a system line in the chat; the first %s is a
         * nickname, the second the nickname of the admin (管理员) who
         * removed them */
        return g_strdup_printf (_("%s was removed from the room by admin %s"), name, actor);
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s was removed from the room by the owner"), name);

    case CR_EVENT_BAN:
      if (actor != NULL)
        /* Translators: a system line in the chat; the first %s is a
         * nickname, the second the nickname of the admin who banned them */
        return g_strdup_printf (_("%s was banned by admin %s"), name, actor);
      /* Translators: a system line in the chat; %s is a nickname. A banned
       * member cannot join again until the owner lifts the ban. */
      return g_strdup_printf (_("%s was banned by the owner"), name);

    case CR_EVENT_UNBAN:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("The owner lifted the ban on %s"), name);

    case CR_EVENT_MUTE:
      if (actor != NULL)
        /* Translators: a system line in the chat; the first %s is a
         * nickname, the second the nickname of the admin who muted them */
        return g_strdup_printf (_("%s was muted by admin %s"), name, actor);
      /* Translators: a system line in the chat; %s is a nickname. A muted
       * member stays in the room but may not send messages. */
      return g_strdup_printf (_("%s was muted by the owner"), name);

    case CR_EVENT_UNMUTE:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s may speak again"), name);

    case CR_EVENT_ROOM_CLOSED:
      return g_strdup (_("The owner closed the room"));

    case CR_EVENT_RECALL:
      /* Translators: a system line in the chat, where a message was; %s is
       * the nickname of the one who had sent it */
      return g_strdup_printf (_("%s recalled a message"), name);

    case CR_EVENT_FILE:
    case CR_EVENT_FILE_EXPIRED:
      {
        g_autoptr(CrFileInfo) info = cr_file_info_from_event (event);
        g_autofree char *size = NULL;

        if (info == NULL)
          return g_strdup (text);
        size = g_format_size (info->size);
        if (event->kind == CR_EVENT_FILE)
          /* Translators: a system line in the chat; the first %s is a nickname,
           * the second a file's name, the third its size ("1.2 MB") */
          return g_strdup_printf (_("%s shared the file %s (%s)"), name, info->name, size);
        /* Translators: a system line in the chat; the first %s is a file's
         * name, the second its size. The room keeps files up to a total size
         * and removes the oldest to make room. */
        return g_strdup_printf (_("The shared file %s (%s) expired and was removed"),
                                info->name, size);
      }

    case CR_EVENT_ADMIN:
      /* Translators: a system line in the chat; %s is a nickname. An admin
       * (管理员) helps the owner: mutes and removes members. */
      return g_strdup_printf (_("%s is now an admin"), name);

    case CR_EVENT_UNADMIN:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s is no longer an admin"), name);

    case CR_EVENT_MUTE_ALL:
      if (*name == '\0')
        return g_strdup (_("The owner muted everyone"));
      /* Translators: a system line in the chat; %s is an admin's nickname.
       * Only the owner and admins may speak now. */
      return g_strdup_printf (_("Admin %s muted everyone"), name);

    case CR_EVENT_UNMUTE_ALL:
      if (*name == '\0')
        return g_strdup (_("The owner let everyone speak again"));
      /* Translators: a system line in the chat; %s is an admin's nickname */
      return g_strdup_printf (_("Admin %s let everyone speak again"), name);

    case CR_EVENT_PIN:
      /* Translators: a system line in the chat; %s is the announcement the
       * owner pinned at the top of the chat */
      return g_strdup_printf (_("The owner pinned an announcement: %s"), text);

    case CR_EVENT_UNPIN:
      return g_strdup (_("The owner removed the pinned announcement"));

    default:
      /* A kind from a newer room: show what it carries rather than nothing. */
      return g_strdup (text);
    }
}

static char *
format_reason (CrReason    reason,
               const char *language)
{
  switch (reason)
    {
    case CR_REASON_NONE:
      return g_strdup (_("No error"));

    case CR_REASON_NAME_TAKEN:
      return g_strdup (_("That nickname is already taken"));

    case CR_REASON_NAME_INVALID:
      /* Translators: %d is the longest nickname allowed, in characters */
      return g_strdup_printf (_("That nickname cannot be used: use 1 to %d characters, "
                                "without spaces or control characters"),
                              CR_NAME_MAX_CHARS);

    case CR_REASON_WRONG_PASSWORD:
      return g_strdup (_("Wrong password"));

    case CR_REASON_NAME_REGISTERED:
      return g_strdup (_("That nickname is registered: enter its password"));

    case CR_REASON_NOT_REGISTERED:
      return g_strdup (_("That nickname is not registered: join without a password, "
                         "or register it first"));

    case CR_REASON_ALREADY_REGISTERED:
      return g_strdup (_("That nickname is already registered"));

    case CR_REASON_PASSWORD_INVALID:
      /* Translators: the first %d is the shortest, the second the longest
       * password allowed, in bytes */
      return g_strdup_printf (_("The password must be %d to %d bytes long"),
                              CR_PASSWORD_MIN_BYTES, CR_PASSWORD_MAX_BYTES);

    case CR_REASON_REGISTRATION_REQUIRED:
      return g_strdup (_("This room admits registered nicknames only: register yours first"));

    case CR_REASON_BANNED:
      return g_strdup (_("You are banned from this room"));

    case CR_REASON_ROOM_FULL:
      return g_strdup (_("The room is full"));

    case CR_REASON_TEXT_INVALID:
      return g_strdup (_("The message is empty, too long, or contains control characters"));

    case CR_REASON_MUTED:
      return g_strdup (_("The owner has muted you"));

    case CR_REASON_RATE_LIMITED:
      return g_strdup (_("You are sending too fast: wait a moment"));

    case CR_REASON_KICKED:
      return g_strdup (_("The owner removed you from the room"));

    case CR_REASON_ROOM_CLOSED:
      return g_strdup (_("The owner closed the room"));

    case CR_REASON_TIMED_OUT:
      return g_strdup (_("The room heard nothing from you for too long and dropped you"));

    case CR_REASON_VERSION:
      return g_strdup (_("The room speaks a protocol version this program does not support"));

    case CR_REASON_NO_ANSWER:
      return g_strdup (_("The room did not answer: check the address, and that the firewall "
                         "on the room's computer allows its UDP port"));

    case CR_REASON_INTERNAL:
      return g_strdup (_("The room could not complete the request: try again later"));

    case CR_REASON_NO_SUCH_MEMBER:
      return g_strdup (_("No one of that name is in the room"));

    case CR_REASON_NOT_ALLOWED:
      /* Translators: an admin asked for what only the owner may do (ban,
       * appoint admins, pin), anyone asked to act on the owner, or a member
       * recalled someone else's message or one older than 2 minutes */
      return g_strdup (_("Not allowed: only the owner may do that, never to the owner; a member "
                         "may recall only their own message, within 2 minutes"));

    case CR_REASON_NO_SUCH_MESSAGE:
      return g_strdup (_("There is no such message"));

    case CR_REASON_NO_CHANGE:
      return g_strdup (_("Nothing to change: it already is so"));

    case CR_REASON_KEY_CHANGED:
      return g_strdup (_("The room's key is not the one it had before: someone may be "
                         "impersonating the room"));

    case CR_REASON_CLASSIC_REFUSED:
      return g_strdup (_("This room admits only programs that encrypt: join with Chat Room"));
    case CR_REASON_NAME_RESERVED:
      return g_strdup (_("That nickname could be mistaken for the room's own lines: "
                         "choose another"));

    case CR_REASON_NAME_CONFUSABLE:
      return g_strdup (_("That nickname looks too much like someone else's: choose another"));

    case CR_REASON_KEY_NEW:
      return g_strdup (_("First time in this room: compare its key with the owner's"));
    case CR_REASON_MUTED_ALL:
      return g_strdup (_("Everyone is muted: only the owner and admins may speak"));

    default:
      /* Translators: %d is an error number this program does not know */
      return g_strdup_printf (_("Unknown error (%d)"), (int) reason);
    }
}

char *
cr_render_key_changed (const char *known,
                       const char *offered)
{
  const char *language = NULL;   /* the process's own */

  /* Translators: the first %s is the fingerprint remembered for the room
   * (groups of digits), the second the one it shows now */
  return g_strdup_printf (_("The room's key changed. Remembered: %s. Now: %s. Someone on the "
                            "network may be impersonating the room: ask its owner to read "
                            "the fingerprint aloud before you accept the new key."),
                          known, offered);
}

char *
cr_render_event (const CrEvent *event,
                 const char    *language)
{
  g_return_val_if_fail (event != NULL, NULL);

  return format_event (event, language);
}

char *
cr_render_reason (CrReason    reason,
                  const char *language)
{
  return format_reason (reason, language);
}

/* The language part of a locale name: "zh_CN" of "zh_CN.UTF-8@x". */
static char *
locale_language (const char *locale)
{
  gsize len = strcspn (locale, ".@");

  return g_strndup (locale, len);
}

/* The reader asked for a language whose catalog is not where we look:
 * say so once, rather than silently speak English. */
static void
warn_missing_catalog (void)
{
  const char *messages = setlocale (LC_MESSAGES, NULL);
  const char * const *names;

  /* Under "C", gettext ignores LANGUAGE: English is what was asked for. */
  if (messages == NULL || g_str_equal (messages, "C") || g_str_equal (messages, "POSIX"))
    return;

  names = g_get_language_names ();
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *mo = NULL;

      /* GLib ends the list with "C", which is not a choice of the user's:
       * reaching it means nothing asked for was found. */
      if (g_str_equal (names[i], "C"))
        break;
      if (language_is_source (names[i]))
        return;
      mo = g_build_filename (catalog_dir (), names[i], "LC_MESSAGES",
                             GETTEXT_PACKAGE ".mo", NULL);
      if (g_file_test (mo, G_FILE_TEST_EXISTS))
        return;
    }

  {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    g_autofree char *program = g_path_get_basename (exe != NULL ? exe : GETTEXT_PACKAGE);

    /* Not translatable: there is no catalog to translate it with. */
    g_printerr ("%s: no “%s” translation in %s; messages stay in English\n",
                program, names[0], catalog_dir ());
  }
}

void
cr_locale_init (void)
{
  if (setlocale (LC_ALL, "") == NULL)
    {
      /* The asked-for locale is not generated on this system
       * (LANG=zh_CN.UTF-8 on a bare Debian): rather than the C locale,
       * where gettext stays English and GLib prints "?" for Chinese, run in
       * C.UTF-8 and ask gettext for that locale's language. */
      const char *names[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
      const char *wanted = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (names) && wanted == NULL; i++)
        {
          const char *value = g_getenv (names[i]);

          if (value != NULL && *value != '\0')
            wanted = value;
        }

      if (setlocale (LC_ALL, "C.UTF-8") == NULL)
        setlocale (LC_ALL, "C");
      if (wanted != NULL && g_getenv ("LANGUAGE") == NULL)
        {
          g_autofree char *language = locale_language (wanted);

          if (*language != '\0' && !g_str_equal (language, "C") &&
              !g_str_equal (language, "POSIX"))
            g_setenv ("LANGUAGE", language, FALSE);
        }
    }

  ensure_domain_bound ();
  textdomain (GETTEXT_PACKAGE);
  warn_missing_catalog ();
}
