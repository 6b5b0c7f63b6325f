/* cr-render.c: events and reasons → human text, in a chosen language
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server writes Chinese lines for classic members whatever its own
 * locale, and a test renders both languages in one process, so every entry
 * point takes the language to use. English is the msgids themselves; NULL
 * is plain gettext in the process's locale. For another language, the first
 * lookup of each string switches gettext around that lookup (PLATFORM.md
 * #13): the thread gets a C.UTF-8 locale of its own (gettext ignores
 * LANGUAGE under "C"), LANGUAGE names the catalog, and _nl_msg_cat_cntr
 * tells gettext that its cached translations are stale; both are restored
 * at once. The result is kept, so a running server switches a bounded
 * number of times. The switch sets an environment variable: the first
 * render in a language belongs on the main thread.
 */
#define G_LOG_DOMAIN "cr-render"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "cr-render.h"

/* gi18n-lib.h maps _() to g_dgettext(), which decides once per process,
 * from the process locale, whether to translate at all: under LANG=C.UTF-8
 * it would give up for good and every later Chinese render would come out
 * in English. Here _() and C_() translate into the language the caller
 * asked for: every function using them has a parameter named "language". */
#undef _
#define _(String) render_gettext (language, String)
#undef C_
#define C_(Context, String) \
  render_pgettext (language, Context "\004" String, strlen (Context) + 1)

/* glibc's counter of catalog changes; bumping it drops cached translations
 * (the gettext manual's way to switch language at run time). */
extern int _nl_msg_cat_cntr;

/* Translations looked up in another language than the process's, by
 * language + "\001" + msgid. The switch is slow and not thread-safe
 * (setenv), and every switch bumps a glibc int that must not wrap in a
 * long-running server: each string is switched for once per language. */
G_LOCK_DEFINE_STATIC (cache);
static GHashTable *cache;

static void
ensure_domain_bound (void)
{
  static gsize bound = 0;

  /* The server renders Chinese classic lines even when its main() never
   * called cr_locale_init(): bind the domain here too, and always ask for
   * UTF-8 (the process's charset may be ASCII). */
  if (g_once_init_enter (&bound))
    {
      const char *dir = g_getenv ("CHATROOM_LOCALEDIR");

      bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
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
         g_str_equal (language, "en") || g_str_has_prefix (language, "en_") ||
         g_str_has_prefix (language, "en.") || g_str_has_prefix (language, "en@");
}

/* PLATFORM.md #13: under a thread locale of C.UTF-8 (gettext ignores
 * LANGUAGE under "C"), LANGUAGE picks the catalog; restore both. */
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

static const char *render_pgettext (const char *language,
                                    const char *msgctxtid,
                                    gsize       msgid_offset) G_GNUC_FORMAT (2);

static const char *
render_pgettext (const char *language,
                 const char *msgctxtid,
                 gsize       msgid_offset)
{
  const char *translation = render_gettext (language, msgctxtid);

  /* Untranslated, gettext hands back "context\004msgid" itself (an equal
   * string, from the cache): show the msgid. */
  if (translation == msgctxtid || g_str_equal (translation, msgctxtid))
    return msgctxtid + msgid_offset;
  return translation;
}

static char *
format_event (const CrEvent *event,
              const char    *language)
{
  const char *name = event->name != NULL ? event->name : "";
  const char *text = event->text != NULL ? event->text : "";

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
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s was removed from the room by the owner"), name);

    case CR_EVENT_BAN:
      /* Translators: a system line in the chat; %s is a nickname. A banned
       * member cannot join again until the owner lifts the ban. */
      return g_strdup_printf (_("%s was banned by the owner"), name);

    case CR_EVENT_UNBAN:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("The owner lifted the ban on %s"), name);

    case CR_EVENT_MUTE:
      /* Translators: a system line in the chat; %s is a nickname. A muted
       * member stays in the room but may not send messages. */
      return g_strdup_printf (_("%s was muted by the owner"), name);

    case CR_EVENT_UNMUTE:
      /* Translators: a system line in the chat; %s is a nickname */
      return g_strdup_printf (_("%s may speak again"), name);

    case CR_EVENT_ROOM_CLOSED:
      return g_strdup (_("The owner closed the room"));

    default:
      /* A kind from a newer room: show what it carries rather than nothing. */
      return g_strdup (text);
    }
}

static char *
format_classic_line (const CrEvent *event,
                     const char    *language)
{
  g_autofree char *line = NULL;
  const char *name = event->name != NULL ? event->name : "";
  const char *text = event->text != NULL ? event->text : "";

  switch (event->kind)
    {
    case CR_EVENT_CHAT:
      /* Translators: a chat line as the classroom client prints it: the
       * first %s is the sender's nickname, the second the message. The
       * Chinese must read "%s 说：%s" (what classroom clients expect). */
      return g_strdup_printf (C_("classic chat line", "%s: %s"), name, text);

    case CR_EVENT_OWNER_CHAT:
      /* Translators: the owner's chat line as the classroom client prints
       * it; %s is the message. The Chinese must read "群主说：%s". */
      return g_strdup_printf (_("Owner: %s"), text);

    case CR_EVENT_ANNOUNCE:
      /* Translators: the owner's announcement as the classroom client
       * prints it; %s is the announcement. Chinese: "【公告】%s". */
      return g_strdup_printf (_("[Announcement] %s"), text);

    default:
      line = format_event (event, language);
      /* Translators: a system line as the classroom client prints it; %s is
       * the line, e.g. "alice joined the room". The Chinese must read
       * "【系统消息】:%s" (with an ASCII colon, as the classroom server). */
      return g_strdup_printf (_("[System] %s"), line);
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
      return g_strdup (_("The owner cannot do that to the owner"));

    case CR_REASON_NO_CHANGE:
      return g_strdup (_("Nothing to change: it already is so"));

    default:
      /* Translators: %d is an error number this program does not know */
      return g_strdup_printf (_("Unknown error (%d)"), (int) reason);
    }
}

char *
cr_render_event (const CrEvent *event,
                 const char    *language)
{
  g_return_val_if_fail (event != NULL, NULL);

  return format_event (event, language);
}

char *
cr_render_classic_line (const CrEvent *event,
                        const char    *language)
{
  g_return_val_if_fail (event != NULL, NULL);

  return format_classic_line (event, language);
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

void
cr_locale_init (void)
{
  const char *dir = g_getenv ("CHATROOM_LOCALEDIR");

  if (setlocale (LC_ALL, "") == NULL)
    {
      /* The asked-for locale is not generated on this system (PLATFORM.md
       * #6: LANG=zh_CN.UTF-8 on a bare Debian): rather than the C locale,
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

  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  ensure_domain_bound ();
}
