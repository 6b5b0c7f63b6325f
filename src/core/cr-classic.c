/* cr-classic.c: the classic dialect's lines, one table per language
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Chinese table is byte-exact with the course's classroom server
 * (ChatRoom-server.py, which tests/test-classic.c runs) where it has the line ("OK",
 * "该昵称已被占用", "NAME 说 :TEXT", "群主说：TEXT", the "【系统消息】:" head) and
 * uses the mission's wording for the rest ("NAME 进入了聊天室"). Every line
 * is built by concatenation, never by a format string: a name or a text
 * with "%s" in it stays text.
 */
#define G_LOG_DOMAIN "cr-classic"

#include "config.h"

#include <string.h>

#include "cr-classic.h"
#include "cr-files.h"

/* A system line: head + NAME + tail. A line without a name (the room
 * closed) has head only and tail NULL. */
typedef struct
{
  const char *head;
  const char *tail;
} Line;

struct _CrClassicTable
{
  const char *language;
  const char *chat;           /* NAME + chat + TEXT */
  const char *chat_alias;     /* also accepted when parsing, or NULL */
  const char *owner;          /* owner + TEXT */
  const char *owner_name;     /* the sender a parsed owner line gets */
  const char *announce;       /* announce + TEXT */
  const char *system;         /* system + one of events[] */
  Line        events[CR_EVENT_LAST + 1];
  Line        join_alias;     /* also accepted for JOIN when parsing */
  const char *reasons[CR_REASON_LAST + 1];
  const char *reason_other;   /* a reason the table has no line for */
  const char *storage[2];     /* history not being saved [0], saved again [1] */
  Line        file_shared;    /* system + head + NAME + tail + FILE (SIZE) */
  Line        file_expired;   /* system + head + FILE (SIZE) + tail */
  /* A reply: NAME + chat + quote[0] + QUOTED + quote[1] + LINE + quote[2] + TEXT. */
  const char *quote[3];
  const char *private_chat;   /* a private message to this member: NAME + it + TEXT */
  Line        mute_all_admin[2]; /* system + head + ADMIN + tail: [0] on, [1] off */
  /* An admin's kick, ban, mute (by_admin_kinds): system + NAME + head + ADMIN + tail. */
  Line        by_admin[3];
  const char *pinned;         /* pinned + TEXT: the pinned announcement (群公告) */
};

#define NAME_CHARS G_STRINGIFY (CR_NAME_MAX_CHARS)

static const CrClassicTable tables[] = {
  {
    .language = "zh_CN",
    .chat = " 说 :",
    /* Chat Room 0.1 wrote a full-width colon. */
    .chat_alias = " 说：",
    .owner = "群主说：",
    .owner_name = "群主",
    .announce = "【公告】",
    .system = "【系统消息】:",
    .events = {
      [CR_EVENT_JOIN] = { "", " 进入了聊天室" },
      [CR_EVENT_LEAVE] = { "", " 退出了聊天室" },
      [CR_EVENT_TIMEOUT] = { "", " 超时，已离开聊天室" },
      [CR_EVENT_KICK] = { "", " 被群主移出了聊天室" },
      [CR_EVENT_BAN] = { "", " 已被群主封禁" },
      [CR_EVENT_UNBAN] = { "群主解除了对 ", " 的封禁" },
      [CR_EVENT_MUTE] = { "", " 已被群主禁言" },
      [CR_EVENT_UNMUTE] = { "", " 已被解除禁言" },
      [CR_EVENT_ROOM_CLOSED] = { "群主关闭了聊天室", NULL },
      [CR_EVENT_RECALL] = { "", " 撤回了一条消息" },
      [CR_EVENT_ADMIN] = { "", " 已被群主设为管理员" },
      [CR_EVENT_UNADMIN] = { "", " 已不再是管理员" },
      [CR_EVENT_MUTE_ALL] = { "群主开启了全员禁言", NULL },
      [CR_EVENT_UNMUTE_ALL] = { "群主关闭了全员禁言", NULL },
      [CR_EVENT_UNPIN] = { "群主撤下了群公告", NULL },
    },
    /* The classroom server's own join line. */
    .join_alias = { "", " 进入到聊天室" },
    .reasons = {
      [CR_REASON_NAME_TAKEN] = "该昵称已被占用",
      [CR_REASON_NAME_INVALID] = "该昵称不可用：请使用 1 到 " NAME_CHARS " 个字符，不含空格或控制字符",
      [CR_REASON_NAME_REGISTERED] = "该昵称已注册：请用 Chat Room 输入密码登录",
      [CR_REASON_REGISTRATION_REQUIRED] = "本聊天室只允许已注册的昵称进入",
      [CR_REASON_BANNED] = "你已被本聊天室封禁",
      [CR_REASON_ROOM_FULL] = "聊天室已满",
      [CR_REASON_TEXT_INVALID] = "消息为空、过长或含有控制字符",
      [CR_REASON_MUTED] = "你已被群主禁言",
      [CR_REASON_RATE_LIMITED] = "发送过快：请稍等片刻",
      [CR_REASON_KICKED] = "你已被群主移出聊天室",
      [CR_REASON_ROOM_CLOSED] = "群主关闭了聊天室",
      [CR_REASON_TIMED_OUT] = "聊天室太久没有收到你的消息，已将你断开",
      [CR_REASON_INTERNAL] = "聊天室无法完成该请求：请稍后再试",
      [CR_REASON_CLASSIC_REFUSED] = "本聊天室只接受加密的程序：请用 Chat Room 加入",
      [CR_REASON_NAME_RESERVED] = "该昵称可能被误认为聊天室自己的消息：请换一个",
      [CR_REASON_NAME_CONFUSABLE] = "该昵称与他人的昵称过于相似：请换一个",
      [CR_REASON_MUTED_ALL] = "全员禁言中：只有群主和管理员可以发言",
    },
    .reason_other = "聊天室拒绝了该请求",
    .storage = {
      "聊天室暂时无法保存聊天记录：消息照常送达，但聊天室重启后可能丢失",
      "聊天室已恢复保存聊天记录",
    },
    .file_shared = { "", " 分享了文件 " },
    .file_expired = { "群文件 ", " 已过期删除" },
    .quote = { "「", "：", "」" },
    .private_chat = " 悄悄对你说 :",
    .mute_all_admin = { { "管理员 ", " 开启了全员禁言" }, { "管理员 ", " 关闭了全员禁言" } },
    .by_admin = { { " 被管理员 ", " 移出了聊天室" }, { " 已被管理员 ", " 封禁" },
                  { " 已被管理员 ", " 禁言" } },
    .pinned = "【群公告】",
  },
  {
    .language = "en",
    .chat = ": ",
    .owner = "Owner: ",
    .owner_name = "Owner",
    .announce = "[Announcement] ",
    .system = "[System] ",
    .events = {
      [CR_EVENT_JOIN] = { "", " joined the room" },
      [CR_EVENT_LEAVE] = { "", " left the room" },
      [CR_EVENT_TIMEOUT] = { "", " timed out and left the room" },
      [CR_EVENT_KICK] = { "", " was removed from the room by the owner" },
      [CR_EVENT_BAN] = { "", " was banned by the owner" },
      [CR_EVENT_UNBAN] = { "The owner lifted the ban on ", "" },
      [CR_EVENT_MUTE] = { "", " was muted by the owner" },
      [CR_EVENT_UNMUTE] = { "", " may speak again" },
      [CR_EVENT_ROOM_CLOSED] = { "The owner closed the room", NULL },
      [CR_EVENT_RECALL] = { "", " recalled a message" },
      [CR_EVENT_ADMIN] = { "", " is now an admin" },
      [CR_EVENT_UNADMIN] = { "", " is no longer an admin" },
      [CR_EVENT_MUTE_ALL] = { "The owner muted everyone", NULL },
      [CR_EVENT_UNMUTE_ALL] = { "The owner let everyone speak again", NULL },
      [CR_EVENT_UNPIN] = { "The owner removed the pinned announcement", NULL },
    },
    .reasons = {
      [CR_REASON_NAME_TAKEN] = "That nickname is already taken",
      [CR_REASON_NAME_INVALID] = "That nickname cannot be used: use 1 to " NAME_CHARS
                                 " characters, without spaces or control characters",
      [CR_REASON_NAME_REGISTERED] = "That nickname is registered: log in with its password "
                                    "from Chat Room",
      [CR_REASON_REGISTRATION_REQUIRED] = "This room admits registered nicknames only",
      [CR_REASON_BANNED] = "You are banned from this room",
      [CR_REASON_ROOM_FULL] = "The room is full",
      [CR_REASON_TEXT_INVALID] = "The message is empty, too long, or contains control characters",
      [CR_REASON_MUTED] = "The owner has muted you",
      [CR_REASON_RATE_LIMITED] = "You are sending too fast: wait a moment",
      [CR_REASON_KICKED] = "The owner removed you from the room",
      [CR_REASON_ROOM_CLOSED] = "The owner closed the room",
      [CR_REASON_TIMED_OUT] = "The room heard nothing from you for too long and dropped you",
      [CR_REASON_INTERNAL] = "The room could not complete the request: try again later",
      [CR_REASON_CLASSIC_REFUSED] = "This room admits only programs that encrypt: join with Chat Room",
      [CR_REASON_NAME_RESERVED] = "That nickname could be mistaken for the room's own lines: "
                                  "choose another",
      [CR_REASON_NAME_CONFUSABLE] = "That nickname looks too much like someone else's: "
                                    "choose another",
      [CR_REASON_MUTED_ALL] = "Everyone is muted: only the owner and admins may speak",
    },
    .reason_other = "The room refused the request",
    .storage = {
      "The room cannot save its history right now: messages are still delivered, "
      "but may be lost if the room restarts",
      "The room is saving its history again",
    },
    .file_shared = { "", " shared the file " },
    .file_expired = { "The shared file ", " expired and was removed" },
    .quote = { "“", ": ", "” " },
    .private_chat = " (privately): ",
    .mute_all_admin = { { "Admin ", " muted everyone" }, { "Admin ", " let everyone speak again" } },
    .by_admin = { { " was removed from the room by admin ", "" }, { " was banned by admin ", "" },
                  { " was muted by admin ", "" } },
    .pinned = "[Pinned] ",
  },
};

const CrClassicTable *
cr_classic_table_lookup (const char *language)
{
  g_return_val_if_fail (language != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      /* "zh_CN" also answers "zh" and "zh_CN.UTF-8"; "en" any English. */
      gsize len = strcspn (tables[i].language, "_");
      gsize asked = strcspn (language, "_.@");

      if (asked == len && strncmp (language, tables[i].language, len) == 0)
        return &tables[i];
    }
  return NULL;
}

const CrClassicTable *
cr_classic_table_default (void)
{
  return &tables[0];
}

const char *
cr_classic_table_language (const CrClassicTable *table)
{
  g_return_val_if_fail (table != NULL, NULL);

  return table->language;
}

/* The kinds of by_admin[], in its order. */
static const CrEventKind by_admin_kinds[] = { CR_EVENT_KICK, CR_EVENT_BAN, CR_EVENT_MUTE };

/* Where kind is in by_admin[], or -1. */
static int
by_admin_index (CrEventKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (by_admin_kinds); i++)
    if (by_admin_kinds[i] == kind)
      return i;
  return -1;
}

/* head + text as lines of at most CR_CLASSIC_LINE_MAX bytes, each cut on a
 * character boundary and repeating head (the classroom client shows every
 * datagram on its own: each piece still says who spoke). */
static void
add_split (GPtrArray  *lines,
           const char *head,
           const char *text)
{
  gsize head_len = strlen (head);
  gsize room = CR_CLASSIC_LINE_MAX - head_len;
  const char *p = text;
  const char *end = text + strlen (text);

  g_assert (head_len + 4 <= CR_CLASSIC_LINE_MAX);

  do
    {
      const char *cut = end;

      if ((gsize) (end - p) > room)
        {
          /* The last character that ends within room bytes. */
          cut = p + room;
          while (cut > p && ((guchar) *cut & 0xC0) == 0x80)
            cut--;
          if (cut == p)
            cut = p + room;   /* not UTF-8 after all: never loop */
        }
      {
        GString *piece = g_string_sized_new (head_len + (cut - p));

        g_string_append (piece, head);
        g_string_append_len (piece, p, cut - p);
        g_ptr_array_add (lines, g_string_free (piece, FALSE));
      }
      p = cut;
    }
  while (p < end);
}

GPtrArray *
cr_classic_format_event (const CrClassicTable *table,
                         const CrEvent        *event)
{
  GPtrArray *lines;
  const char *name;
  const char *text;

  g_return_val_if_fail (table != NULL, NULL);
  g_return_val_if_fail (event != NULL, NULL);

  lines = g_ptr_array_new_with_free_func (g_free);
  name = event->name != NULL ? event->name : "";
  text = event->text != NULL ? event->text : "";

  switch (event->kind)
    {
    case CR_EVENT_CHAT:
      {
        g_autofree char *head = NULL;

        /* Only the target of a private message receives it (cr-engine-conversation.c). */
        if (event->target != NULL && *event->target != '\0')
          head = g_strconcat (name, table->private_chat, NULL);
        else if (event->quote_name != NULL && *event->quote_name != '\0')
          head = g_strconcat (name, table->chat, table->quote[0], event->quote_name,
                              table->quote[1], event->quote_text != NULL ? event->quote_text : "",
                              table->quote[2], NULL);
        else
          head = g_strconcat (name, table->chat, NULL);
        add_split (lines, head, text);
        break;
      }

    case CR_EVENT_OWNER_CHAT:
      add_split (lines, table->owner, text);
      break;

    case CR_EVENT_ANNOUNCE:
      add_split (lines, table->announce, text);
      break;

    case CR_EVENT_PIN:
      add_split (lines, table->pinned, text);
      break;

    case CR_EVENT_JOIN:
    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
    case CR_EVENT_UNBAN:
    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    case CR_EVENT_ROOM_CLOSED:
    case CR_EVENT_RECALL:
    case CR_EVENT_ADMIN:
    case CR_EVENT_UNADMIN:
    case CR_EVENT_MUTE_ALL:
    case CR_EVENT_UNMUTE_ALL:
    case CR_EVENT_UNPIN:
      {
        const Line *line = &table->events[event->kind];
        int by = by_admin_index (event->kind);

        /* An admin's kick, ban or mute names the admin after the member. */
        if (by >= 0 && event->actor != NULL && *event->actor != '\0')
          {
            g_ptr_array_add (lines, g_strconcat (table->system, name, table->by_admin[by].head,
                                                 event->actor, table->by_admin[by].tail, NULL));
            break;
          }
        /* Mute-all by an admin names the admin. */
        if ((event->kind == CR_EVENT_MUTE_ALL || event->kind == CR_EVENT_UNMUTE_ALL) &&
            *name != '\0')
          line = &table->mute_all_admin[event->kind == CR_EVENT_MUTE_ALL ? 0 : 1];

        if (line->tail == NULL)
          g_ptr_array_add (lines, g_strconcat (table->system, line->head, NULL));
        else
          g_ptr_array_add (lines, g_strconcat (table->system, line->head, name, line->tail,
                                               NULL));
        break;
      }

    case CR_EVENT_FILE:
    case CR_EVENT_FILE_EXPIRED:
      {
        g_autoptr(CrFileInfo) info = cr_file_info_from_event (event);
        g_autofree char *size = NULL;
        g_autofree char *file = NULL;

        if (info == NULL)
          break;
        size = cr_files_format_size (info->size);
        file = g_strdup_printf ("%s (%s)", info->name, size);
        if (event->kind == CR_EVENT_FILE)
          g_ptr_array_add (lines, g_strconcat (table->system, table->file_shared.head, name,
                                               table->file_shared.tail, file, NULL));
        else
          g_ptr_array_add (lines, g_strconcat (table->system, table->file_expired.head, file,
                                               table->file_expired.tail, NULL));
        break;
      }

    default:
      /* A kind from a newer room: what it carries, as an announcement. */
      add_split (lines, table->announce, text);
      break;
    }

  return lines;
}

const char *
cr_classic_format_reason (const CrClassicTable *table,
                          CrReason              reason)
{
  g_return_val_if_fail (table != NULL, NULL);

  if ((guint) reason <= CR_REASON_LAST && table->reasons[reason] != NULL)
    return table->reasons[reason];
  return table->reason_other;
}

const char *
cr_classic_format_storage (const CrClassicTable *table,
                           gboolean              saving)
{
  g_return_val_if_fail (table != NULL, NULL);

  return table->storage[saving ? 1 : 0];
}

/* NAME when line is head + NAME + tail and NAME a valid nickname. */
static char *
match_name (const char *line,
            const Line *pattern)
{
  gsize len = strlen (line);
  gsize head = strlen (pattern->head);
  gsize tail = strlen (pattern->tail);
  g_autofree char *name = NULL;

  if (len <= head + tail || strncmp (line, pattern->head, head) != 0 ||
      strcmp (line + len - tail, pattern->tail) != 0)
    return NULL;
  name = g_strndup (line + head, len - head - tail);
  if (cr_name_validate (name, -1, NULL) != CR_REASON_NONE)
    return NULL;
  return g_steal_pointer (&name);
}

/* NAME and ADMIN when line is NAME + pattern->head + ADMIN + pattern->tail,
 * both valid nicknames. A nickname has no spaces and head starts and ends
 * with one, so its first occurrence is the one. */
static gboolean
match_by_admin (const char  *line,
                const Line  *pattern,
                char       **name,
                char       **admin)
{
  gsize len = strlen (line);
  gsize tail = strlen (pattern->tail);
  const char *head;
  g_autofree char *who = NULL;
  g_autofree char *by = NULL;

  if (len <= tail || strcmp (line + len - tail, pattern->tail) != 0 ||
      (head = strstr (line, pattern->head)) == NULL || head == line ||
      head + strlen (pattern->head) >= line + len - tail)
    return FALSE;
  who = g_strndup (line, head - line);
  by = g_strndup (head + strlen (pattern->head),
                  (line + len - tail) - (head + strlen (pattern->head)));
  if (cr_name_validate (who, -1, NULL) != CR_REASON_NONE ||
      cr_name_validate (by, -1, NULL) != CR_REASON_NONE)
    return FALSE;
  *name = g_steal_pointer (&who);
  *admin = g_steal_pointer (&by);
  return TRUE;
}

static CrEvent *
parse_system (const CrClassicTable *table,
              const char           *rest,
              guint64               seq,
              gint64                time_us)
{
  for (guint kind = CR_EVENT_JOIN; kind <= CR_EVENT_LAST; kind++)
    {
      const Line *line = &table->events[kind];
      g_autofree char *name = NULL;

      if (line->head == NULL)
        continue;
      if (line->tail == NULL)
        {
          if (g_str_equal (rest, line->head))
            return cr_event_new (seq, time_us, kind, "", "", 0);
          continue;
        }
      name = match_name (rest, line);
      if (name == NULL && kind == CR_EVENT_JOIN && table->join_alias.tail != NULL)
        name = match_name (rest, &table->join_alias);
      if (name != NULL)
        return cr_event_new (seq, time_us, kind, name, "", 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (table->mute_all_admin); i++)
    {
      g_autofree char *name = match_name (rest, &table->mute_all_admin[i]);

      if (name != NULL)
        return cr_event_new (seq, time_us, i == 0 ? CR_EVENT_MUTE_ALL : CR_EVENT_UNMUTE_ALL,
                             name, "", 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (by_admin_kinds); i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *admin = NULL;
      CrEvent *event;

      if (!match_by_admin (rest, &table->by_admin[i], &name, &admin))
        continue;
      event = cr_event_new (seq, time_us, by_admin_kinds[i], name, "", 0);
      event->actor = g_steal_pointer (&admin);
      return event;
    }
  /* A system line of a kind we do not know: show it. */
  return cr_event_new (seq, time_us, CR_EVENT_ANNOUNCE, "", rest, 0);
}

/* A chat line: NAME + infix + TEXT, where the name ends at the FIRST
 * infix of any table (a name has no spaces, and every infix starts with a
 * space or a colon): "a: 说：b" is a saying "说：b" in English, not "a:"
 * saying "b" in Chinese. NAME must be a valid nickname. */
static CrEvent *
parse_chat (const char *line,
            guint64     seq,
            gint64      time_us)
{
  const char *best = NULL;
  const char *best_infix = NULL;
  g_autofree char *name = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      const char *infixes[] = { tables[i].chat, tables[i].chat_alias };

      for (guint j = 0; j < G_N_ELEMENTS (infixes); j++)
        {
          const char *at;

          if (infixes[j] == NULL || (at = strstr (line, infixes[j])) == NULL || at == line)
            continue;
          /* Leftmost wins; at one place, the longer infix (" 说 :" over ": "). */
          if (best == NULL || at < best ||
              (at == best && strlen (infixes[j]) > strlen (best_infix)))
            {
              best = at;
              best_infix = infixes[j];
            }
        }
    }
  if (best == NULL)
    return NULL;
  name = g_strndup (line, best - line);
  if (cr_name_validate (name, -1, NULL) != CR_REASON_NONE)
    return NULL;
  return cr_event_new (seq, time_us, CR_EVENT_CHAT, name, best + strlen (best_infix), 0);
}

CrEvent *
cr_classic_parse_line (const char *line,
                       guint64     seq,
                       gint64      time_us)
{
  CrEvent *event;

  g_return_val_if_fail (line != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      const CrClassicTable *table = &tables[i];

      if (g_str_has_prefix (line, table->system))
        return parse_system (table, line + strlen (table->system), seq, time_us);
      if (g_str_has_prefix (line, table->pinned))
        return cr_event_new (seq, time_us, CR_EVENT_PIN, "", line + strlen (table->pinned), 0);
      if (g_str_has_prefix (line, table->announce))
        return cr_event_new (seq, time_us, CR_EVENT_ANNOUNCE, "",
                             line + strlen (table->announce), 0);
      if (g_str_has_prefix (line, table->owner))
        return cr_event_new (seq, time_us, CR_EVENT_OWNER_CHAT, table->owner_name,
                             line + strlen (table->owner), 0);
    }
  if ((event = parse_chat (line, seq, time_us)) != NULL)
    return event;

  return cr_event_new (seq, time_us, CR_EVENT_ANNOUNCE, "", line, 0);
}

CrReason
cr_classic_parse_reason (const char *line)
{
  g_return_val_if_fail (line != NULL, CR_REASON_NONE);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      for (guint reason = 1; reason <= CR_REASON_LAST; reason++)
        if (tables[i].reasons[reason] != NULL && g_str_equal (line, tables[i].reasons[reason]))
          return reason;
    }
  return CR_REASON_NONE;
}
