/* cr-client-classic.c: the classic dialect of a member's packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The classroom programs' text lines: "N name" to join, answered "OK" or
 * a refusal line; "M name text" to speak; "Q name" to go. What the room
 * sends back is parsed with the tables of cr-classic.c (every language's),
 * never with strings of our own.
 *
 * Lost answers while joining a room of ours: when its "OK" to "N name" was
 * lost but the history lines that follow came, those lines cannot come
 * from the classroom server (it answers only OK or the taken line), so
 * "N name" is asked again, which a room of ours answers with OK again. A
 * line that is neither is kept as the refusal the join fails with at the
 * join timeout if nothing better comes.
 */
#define G_LOG_DOMAIN "cr-client-classic"

#include "config.h"

#include <string.h>

#include "cr-classic.h"
#include "cr-protocol.h"
#include "cr-client-dialect.h"

#define ASK_INTERVAL_US  (500 * G_TIME_SPAN_MILLISECOND)
#define ASKS_MAX         3
#define ECHOES_MAX       64

typedef struct
{
  guint64  seq;        /* ours: classic lines carry none */
  guint    asks;
  gint64   ask_due;
  gint64   ok_at;      /* the room answered "OK": classic once native stays silent */
  char    *refusal;
  GQueue   echoes;     /* char*: own texts, blanks removed */
} Classic;

static gpointer
classic_new (CrClientEngine *engine)
{
  Classic *c = g_new0 (Classic, 1);

  g_queue_init (&c->echoes);
  return c;
}

static void
classic_free (gpointer state)
{
  Classic *c = state;

  g_queue_clear_full (&c->echoes, g_free);
  g_free (c->refusal);
  g_free (c);
}

/* The classroom server joins the words of a message without their spaces,
 * ours keeps them: compare own echoes without any. */
static char *
strip_blanks (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isspace (c))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* Is this line the room repeating our own message (already shown, SENT)? */
static gboolean
take_echo (CrClientEngine *engine,
           Classic        *c,
           const CrEvent  *event)
{
  g_autofree char *stripped = NULL;

  if (event->kind != CR_EVENT_CHAT || !_cr_client_engine_is_self (engine, event->name))
    return FALSE;

  stripped = strip_blanks (event->text);
  for (GList *l = c->echoes.head; l != NULL; l = l->next)
    {
      if (g_strcmp0 (l->data, stripped) == 0)
        {
          g_free (l->data);
          g_queue_delete_link (&c->echoes, l);
          return TRUE;
        }
    }
  return FALSE;
}

static void
enter_classic (CrClientEngine *engine)
{
  /* A classroom room has no name: show where it is. */
  _cr_client_engine_set_identity (engine, &cr_client_classic_dialect, engine->join_name,
                                  engine->address, CR_ROLE_MEMBER);

  /* The classic dialect has no member list: ours grows and shrinks with
   * the system lines, starting with ourselves. */
  _cr_client_engine_add_member (engine, engine->name, CR_ROLE_MEMBER, CR_MEMBER_CLASSIC);
  _cr_client_engine_complete_join (engine);
}

static void
receive_joining (CrClientEngine *engine,
                 Classic        *c,
                 const char     *line,
                 gint64          now)
{
  /* Only an answer to our "N name" means anything, and only from a room
   * that did not answer the probe natively. */
  if (!engine->classic_sent || engine->native_seen || *line == '\0')
    {
      engine->stats.stale++;
      return;
    }
  if (g_strcmp0 (line, CR_CLASSIC_OK) == 0)
    {
      /* Not yet: a room of ours answers "N name" too, and one slow to
       * answer the probe would have us in clear. classic_tick goes on once
       * the native probe stayed unanswered a while longer. */
      if (c->ok_at == 0)
        {
          c->ok_at = now;
          _cr_client_engine_wake (engine);
        }
      return;
    }
  if (c->ok_at != 0)
    {
      /* What a room says to a member before the member is in. */
      engine->stats.stale++;
      return;
    }
  if (cr_classic_parse_reason (line) == CR_REASON_NAME_TAKEN)
    {
      _cr_client_engine_fail_join (engine, CR_REASON_NAME_TAKEN, NULL);
      return;
    }

  /* The classroom server only ever answers OK or the taken line. Another
   * line comes from a room of ours: a refusal, or the history that followed
   * an OK we lost. Such a room answers a repeated "N name" from the same
   * address with OK again, or with the same refusal: ask again (a few
   * times, not for every history line), and keep the line as the answer
   * for the join timeout. */
  if (cr_text_validate (line, -1) != CR_REASON_NONE)
    {
      engine->stats.rejected++;
      return;
    }
  if (c->refusal == NULL)
    c->refusal = g_strdup (line);
  if (c->asks < ASKS_MAX && now >= c->ask_due)
    {
      g_autoptr(GBytes) join = cr_classic_join (engine->join_name);

      c->asks++;
      c->ask_due = now + ASK_INTERVAL_US;
      _cr_client_engine_send (engine, join);
    }
}

static void
receive_line (CrClientEngine *engine,
              Classic        *c,
              const char     *line,
              gint64          now)
{
  CrEvent *event;

  event = cr_classic_parse_line (line, c->seq + 1, now + engine->wall_offset);
  if (!_cr_client_engine_event_valid (event))
    {
      g_debug ("Dropping a line with control characters");
      engine->stats.rejected++;
      cr_event_free (event);
      return;
    }
  if (take_echo (engine, c, event))
    {
      cr_event_free (event);
      return;
    }

  engine->last_seq = ++c->seq;
  _cr_client_engine_show_event (engine, event, TRUE, TRUE);
}

/* A room of ours packs the lines of a burst of joins and leaves into one
 * datagram, one under the other (cr-engine.c, packable()): the classroom
 * client prints it as it comes. Such a datagram is taken line by line only
 * when every line is one of those; anything else, a chat text with line
 * breaks of its own among them, stays one line, so that no text can pass
 * for lines of the room's. */
static gboolean
packed_lines (const char *text)
{
  g_auto(GStrv) lines = NULL;

  if (strchr (text, '\n') == NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      CrEvent *event = cr_classic_parse_line (lines[i], 1, 0);
      gboolean packable = event != NULL &&
                          (event->kind == CR_EVENT_JOIN || event->kind == CR_EVENT_LEAVE ||
                           event->kind == CR_EVENT_TIMEOUT);

      cr_event_free (event);
      if (!packable)
        return FALSE;
    }
  return TRUE;
}

static void
classic_receive (CrClientEngine *engine,
                 gpointer        state,
                 const guint8   *data,
                 gsize           len,
                 gint64          now)
{
  Classic *c = state;
  g_autofree char *line = NULL;

  /* The classroom programs read 1 024 bytes at most (cr-classic.h): no
   * room of either kind sends more in one line. */
  if (len > CR_CLASSIC_LINE_MAX || !g_utf8_validate_len ((const char *) data, len, NULL))
    {
      engine->stats.malformed++;
      return;
    }
  line = g_strndup ((const char *) data, len);
  g_strchomp (line);

  if (engine->state == CR_CLIENT_CONNECTING)
    {
      receive_joining (engine, c, line, now);
      return;
    }

  if (engine->dialect != &cr_client_classic_dialect ||
      (engine->state != CR_CLIENT_CONNECTED && engine->state != CR_CLIENT_LEAVING) ||
      *line == '\0')
    {
      engine->stats.stale++;
      return;
    }

  if (packed_lines (line))
    {
      g_auto(GStrv) lines = g_strsplit (line, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        receive_line (engine, c, lines[i], now);
      return;
    }
  receive_line (engine, c, line, now);
}

static gint64
classic_tick (CrClientEngine *engine,
              gpointer        state,
              gint64          now)
{
  Classic *c = state;
  g_autoptr(GBytes) join = NULL;
  gint64 due;

  /* The fallback waits a fifth of the join timeout rather than a fixed
   * second so that a test which lengthens the join timeout for a lossy
   * link does not fall back to classic merely because a few probes were
   * lost. */
  if (engine->state != CR_CLIENT_CONNECTING || engine->native_seen)
    return G_MAXINT64;

  /* No silent downgrade (HACKING.md "Dialect detection"): classic only for a
   * room that answered in classic and never natively, while the native
   * probe went on for another fifth of the join timeout. */
  if (c->ok_at != 0)
    {
      due = c->ok_at + engine->join_timeout_us / 5;
      if (now < due)
        return due;
      enter_classic (engine);
      return G_MAXINT64;
    }
  if (engine->classic_sent)
    return G_MAXINT64;

  due = engine->join_started + engine->join_timeout_us / 5;
  if (now < due)
    return due;

  join = cr_classic_join (engine->join_name);
  _cr_client_engine_send (engine, join);
  engine->classic_sent = TRUE;
  return G_MAXINT64;
}

static gboolean
classic_send_text (CrClientEngine *engine,
                   gpointer        state,
                   guint64         origin,
                   const char     *text,
                   gint64          now)
{
  Classic *c = state;
  g_autoptr(GBytes) datagram = NULL;

  if (engine->state != CR_CLIENT_CONNECTED)
    return FALSE;

  /* No acks in the classic dialect: sent is all we can know. */
  datagram = cr_classic_message (engine->name, text);
  _cr_client_engine_send (engine, datagram);
  g_queue_push_tail (&c->echoes, strip_blanks (text));
  while (g_queue_get_length (&c->echoes) > ECHOES_MAX)
    g_free (g_queue_pop_head (&c->echoes));
  engine->last_seq = ++c->seq;
  _cr_client_engine_sent (engine, origin, c->seq, 0);
  return TRUE;
}

static void
classic_leave (CrClientEngine *engine,
               gpointer        state,
               gint64          now)
{
  g_autoptr(GBytes) quit = cr_classic_quit (engine->name);

  _cr_client_engine_send (engine, quit);
  _cr_client_engine_close (engine, CR_REASON_NONE);
}

static CrReason
classic_join_timeout (CrClientEngine  *engine,
                      gpointer         state,
                      char           **detail)
{
  Classic *c = state;
  CrReason reason;

  *detail = NULL;
  if (c->refusal == NULL)
    return CR_REASON_NONE;

  /* A line of ours names its reason; another room's line is shown. */
  reason = cr_classic_parse_reason (c->refusal);
  if (reason != CR_REASON_NONE)
    return reason;
  *detail = g_strdup (c->refusal);
  return CR_REASON_NAME_INVALID;
}

const CrClientDialect cr_client_classic_dialect = {
  .dialect = CR_DIALECT_CLASSIC,
  .new = classic_new,
  .free = classic_free,
  .receive = classic_receive,
  .tick = classic_tick,
  .send_text = classic_send_text,
  .leave = classic_leave,
  .join_timeout = classic_join_timeout,
};
