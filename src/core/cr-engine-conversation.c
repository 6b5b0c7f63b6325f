/* cr-engine-conversation.c: the room's side of the conversation: replies,
 * private messages, recalls, older history and search (issue 14)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reply carries the quoted message's sender and first line, filled here
 * from the room's own history (a member cannot put words in someone else's
 * mouth), so every member and every later joiner sees the same quote. A
 * reply to a private message is private to its other member: the quote
 * must not leave the two of them.
 *
 * A private message is a CHAT with a target: stored like any event, given
 * only to its two members (live, in the history of a join, on a resume,
 * in pages and in search) and never to the engine's event function (the
 * owner's console and view). A classic target gets it as a line of its
 * own (cr-classic.c); a classic member cannot send one.
 *
 * A recall is an event (CR_EVENT_RECALL, ref_seq the message): storing it
 * blanks the message in the same transaction (cr-store.c), and the copies
 * the engine keeps (the ring, the unsaved queue) are blanked at once, so a
 * later join's history has the row without its text. Its sender may recall
 * a CHAT for CR_RECALL_WINDOW_US after it was said, by the engine's clock
 * (CrEngineTime.wall); the owner any message at any time.
 *
 * Pages and searches are requests: each costs a token of the member's
 * request bucket, and none is answered while the member leaves many
 * messages unacknowledged, so a flood costs the room at most
 * REQUEST_RATE pages a second per member; dropped ones count as
 * rate_limited.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-engine-private.h"

#define REQUEST_RATE        20.0        /* pages and searches a second, per member */
#define REQUEST_BURST       40.0
#define REQUEST_UNACKED_MAX 256         /* messages: above, a member gets no page */
#define PAGE_BYTES_MAX      (160 * 1024)  /* under the reliable layer's message limit */

static gboolean
is_message (CrEventKind kind)
{
  return kind == CR_EVENT_CHAT || kind == CR_EVENT_OWNER_CHAT || kind == CR_EVENT_ANNOUNCE;
}

static const CrRoomMember *
session_member (CrEngine        *self,
                CrEngineSession *session)
{
  g_assert (session != NULL);

  return session->member_id != 0 ? cr_room_lookup (self->room, session->member_id) : NULL;
}

/* The engine's own copy of an event (the ring without a store, the queue
 * not yet written), borrowed; NULL when it has none. */
static CrEvent *
find_kept (CrEngine *self,
           guint64   seq)
{
  for (GList *l = self->ring.tail; l != NULL; l = l->prev)
    {
      CrEvent *event = l->data;

      if (event->seq == seq)
        return event;
      if (event->seq < seq)
        break;
    }
  return _cr_engine_storage_find_unsaved (self, seq);
}

/* Transfer full; NULL when the room does not have it. */
static CrEvent *
find_event (CrEngine *self,
            guint64   seq)
{
  CrEvent *kept = find_kept (self, seq);

  if (kept != NULL)
    return cr_event_copy (kept);
  if (self->store != NULL)
    return cr_store_get_event (self->store, seq);
  return NULL;
}

CrReason
_cr_engine_conversation_check (CrEngine         *self,
                               CrEngineSession  *session,
                               guint64           reply_to,
                               const char       *to,
                               CrEvent         **extras)
{
  const CrRoomMember *sender = session_member (self, session);
  g_autoptr(CrEvent) dress = NULL;

  g_assert (extras != NULL);

  *extras = NULL;
  if (reply_to == 0 && to == NULL)
    return CR_REASON_NONE;
  if (sender == NULL)
    return CR_REASON_NOT_ALLOWED;

  dress = cr_event_new (0, 0, CR_EVENT_CHAT, NULL, NULL, 0);
  if (to != NULL)
    {
      const CrRoomMember *target = cr_room_lookup_name (self->room, to);

      if (target == NULL)
        return CR_REASON_NO_SUCH_MEMBER;
      if (target->id == sender->id)
        return CR_REASON_NOT_ALLOWED;
      dress->target = g_strdup (target->name);
    }
  if (reply_to != 0)
    {
      g_autoptr(CrEvent) quoted = find_event (self, reply_to);

      if (quoted == NULL || !is_message (quoted->kind) || quoted->recalled ||
          !cr_event_visible_to (quoted, sender->name))
        return CR_REASON_NO_SUCH_MESSAGE;
      if (cr_event_is_private (quoted))
        {
          const char *other = g_strcmp0 (quoted->name, sender->name) == 0
                              ? quoted->target : quoted->name;

          if (dress->target == NULL)
            dress->target = g_strdup (other);
          else if (g_strcmp0 (dress->target, other) != 0)
            return CR_REASON_NOT_ALLOWED;
        }
      cr_event_set_quote (dress, quoted);
    }
  *extras = g_steal_pointer (&dress);
  return CR_REASON_NONE;
}

void
_cr_engine_conversation_apply (CrEvent       *event,
                               const CrEvent *extras)
{
  if (extras == NULL)
    return;
  event->ref_seq = extras->ref_seq;
  event->quote_name = g_strdup (extras->quote_name);
  event->quote_text = g_strdup (extras->quote_text);
  event->target = g_strdup (extras->target);
}

gboolean
_cr_engine_conversation_deliver (CrEngine      *self,
                                 const CrEvent *event,
                                 CrEngineTime   now,
                                 GPtrArray     *out)
{
  g_autoptr(GBytes) body = NULL;
  GHashTableIter iter;
  CrEngineSession *session;

  if (!cr_event_is_private (event))
    return FALSE;

  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      const CrRoomMember *member = session_member (self, session);

      if (member == NULL || !cr_event_visible_to (event, member->name) ||
          !_cr_engine_session_wants (self, session, now.mono))
        continue;
      if (session->dialect == CR_DIALECT_NATIVE)
        {
          if (body == NULL)
            body = cr_body_event (event);
          cr_reliable_send (session->rel, CR_PACKET_EVENT, body);
          _cr_engine_session_flush (self, session, now.mono, out);
        }
      else if (g_strcmp0 (member->name, event->target) == 0)
        {
          g_autoptr(GPtrArray) lines = cr_classic_format_event (self->classic, event);

          for (guint i = 0; i < lines->len; i++)
            _cr_engine_emit_text (self, out, session->addr, lines->pdata[i]);
        }
    }
  return TRUE;
}

/* by: the member asking, NULL for the owner's console. */
static CrReason
recall (CrEngine           *self,
        const CrRoomMember *by,
        guint64             seq,
        CrEngineTime        now,
        GPtrArray          *out)
{
  g_autoptr(CrEvent) original = find_event (self, seq);
  g_autoptr(CrEvent) event = NULL;
  CrEvent *kept;

  if (original == NULL || !is_message (original->kind) ||
      (by != NULL && !cr_event_visible_to (original, by->name)))
    return CR_REASON_NO_SUCH_MESSAGE;
  if (original->recalled)
    return CR_REASON_NO_CHANGE;
  if (by != NULL && by->role != CR_ROLE_OWNER &&
      (original->kind != CR_EVENT_CHAT || g_strcmp0 (original->name, by->name) != 0 ||
       now.wall - original->time_us > CR_RECALL_WINDOW_US))
    return CR_REASON_NOT_ALLOWED;

  if ((kept = find_kept (self, seq)) != NULL)
    cr_event_recall (kept);
  /* The replies that quote it (the ring's; the store blanks its own). */
  for (GList *l = self->ring.head; l != NULL; l = l->next)
    {
      CrEvent *reply = l->data;

      if (reply->kind == CR_EVENT_CHAT && reply->ref_seq == seq)
        g_clear_pointer (&reply->quote_text, g_free);
    }
  event = cr_room_record (self->room, CR_EVENT_RECALL, original->name, now.wall);
  event->ref_seq = seq;
  event->target = g_strdup (original->target);
  _cr_engine_commit_event (self, event, now, out);
  return CR_REASON_NONE;
}

gboolean
cr_engine_recall (CrEngine     *self,
                  guint64       seq,
                  CrEngineTime  now,
                  GPtrArray    *out,
                  CrReason     *reason)
{
  CrReason r;

  g_return_val_if_fail (self != NULL, FALSE);

  r = recall (self, NULL, seq, now, out);
  if (reason != NULL)
    *reason = r;
  return r == CR_REASON_NONE;
}

static gboolean
request_allowed (CrEngine        *self,
                 CrEngineSession *session,
                 gint64           now)
{
  if (cr_reliable_get_unacked (session->rel) > REQUEST_UNACKED_MAX ||
      !_cr_engine_bucket_take (&session->requests, REQUEST_RATE, REQUEST_BURST, now))
    {
      self->stats.rate_limited++;
      return FALSE;
    }
  return TRUE;
}

/* The newest n events before before (0: all) that viewer may see, oldest
 * first. */
static GPtrArray *
page_events (CrEngine   *self,
             guint64     before,
             guint       n,
             const char *viewer)
{
  GPtrArray *events;

  if (self->store != NULL)
    return cr_store_events_before (self->store, before, n, viewer);

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  for (GList *l = self->ring.tail; l != NULL && events->len < n; l = l->prev)
    {
      CrEvent *event = l->data;

      if ((before == 0 || event->seq < before) && cr_event_visible_to (event, viewer))
        g_ptr_array_insert (events, 0, cr_event_copy (event));
    }
  return events;
}

static void
handle_history (CrEngine        *self,
                CrEngineSession *session,
                GVariant        *v,
                CrEngineTime     now,
                GPtrArray       *out)
{
  const CrRoomMember *member = session_member (self, session);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GBytes) body = NULL;
  guint64 before;
  guint32 n;
  gboolean complete;
  gsize bytes = 0;
  guint first = 0;

  g_variant_get (v, "(tu)", &before, &n);
  if (member == NULL || !request_allowed (self, session, now.mono))
    return;
  n = CLAMP (n, 1, CR_PAGE_MAX);

  events = page_events (self, before, n, member->name);
  complete = events->len < n;
  /* Newest kept first: cut the oldest when the page grows too big. */
  for (guint i = events->len; i > 0; i--)
    {
      const CrEvent *event = events->pdata[i - 1];

      bytes += 64 + strlen (event->name) + strlen (event->text) +
               (event->quote_text != NULL ? strlen (event->quote_text) : 0);
      if (bytes > PAGE_BYTES_MAX)
        {
          first = i;
          complete = FALSE;
          break;
        }
    }
  if (first > 0)
    g_ptr_array_remove_range (events, 0, first);

  body = cr_body_page (before, complete, events);
  cr_reliable_send (session->rel, CR_PACKET_PAGE, body);
  _cr_engine_session_flush (self, session, now.mono, out);
}

static gboolean
has_every_word (const char  *text,
                char       **folded_words)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);

  for (guint i = 0; folded_words[i] != NULL; i++)
    if (*folded_words[i] != '\0' && strstr (folded, folded_words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* Without a store: the ring, newest first. */
static GPtrArray *
search_ring (CrEngine   *self,
             const char *query,
             const char *viewer,
             gboolean   *more)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  g_autofree char *folded = g_utf8_casefold (query, -1);
  g_auto(GStrv) words = g_strsplit_set (folded, " \t\n\r", -1);

  *more = FALSE;
  if (g_strv_length (words) == 0)
    return g_steal_pointer (&results);
  for (GList *l = self->ring.tail; l != NULL; l = l->prev)
    {
      CrEvent *event = l->data;

      if (!is_message (event->kind) || event->recalled || !cr_event_visible_to (event, viewer) ||
          !has_every_word (event->text, words))
        continue;
      if (results->len == CR_SEARCH_MAX_RESULTS)
        {
          *more = TRUE;
          break;
        }
      g_ptr_array_add (results, cr_event_copy (event));
    }
  return g_steal_pointer (&results);
}

static void
handle_search (CrEngine        *self,
               CrEngineSession *session,
               GVariant        *v,
               CrEngineTime     now,
               GPtrArray       *out)
{
  const CrRoomMember *member = session_member (self, session);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *query;
  guint32 request;
  gboolean more = FALSE;

  g_variant_get (v, "(u&s)", &request, &query);
  if (member == NULL)
    return;
  if (strlen (query) > CR_SEARCH_QUERY_MAX_BYTES || cr_text_validate (query, -1) != CR_REASON_NONE)
    {
      /* Counted, and answered with nothing so that the asker stops waiting. */
      self->stats.malformed++;
      results = g_ptr_array_new ();
    }
  else if (!request_allowed (self, session, now.mono))
    return;
  else if (self->store != NULL)
    results = cr_store_search (self->store, query, member->name, CR_SEARCH_MAX_RESULTS, &more);
  else
    results = search_ring (self, query, member->name, &more);

  body = cr_body_results (request, more, results);
  cr_reliable_send (session->rel, CR_PACKET_RESULTS, body);
  _cr_engine_session_flush (self, session, now.mono, out);
}

static void
handle_recall (CrEngine        *self,
               CrEngineSession *session,
               GVariant        *v,
               CrEngineTime     now,
               GPtrArray       *out)
{
  const CrRoomMember *member = session_member (self, session);
  guint64 request;
  guint64 seq;
  CrReason reason;

  g_variant_get (v, "(tt)", &request, &seq);
  if (member == NULL || !request_allowed (self, session, now.mono))
    return;
  reason = recall (self, member, seq, now, out);
  if (reason != CR_REASON_NONE)
    {
      g_autoptr(GBytes) notice = cr_body_notice (reason, request);

      cr_reliable_send (session->rel, CR_PACKET_NOTICE, notice);
      _cr_engine_session_flush (self, session, now.mono, out);
    }
}

gboolean
_cr_engine_handle_conversation (CrEngine        *self,
                                CrEngineSession *session,
                                CrPacketType     type,
                                const guint8    *data,
                                gsize            len,
                                CrEngineTime     now,
                                GPtrArray       *out)
{
  g_autoptr(GVariant) v = NULL;

  if (type != CR_PACKET_RECALL && type != CR_PACKET_HISTORY && type != CR_PACKET_SEARCH)
    return FALSE;

  v = cr_body_parse (type, data, len);
  if (v == NULL)
    {
      self->stats.malformed++;
      return TRUE;
    }
  if (type == CR_PACKET_RECALL)
    handle_recall (self, session, v, now, out);
  else if (type == CR_PACKET_HISTORY)
    handle_history (self, session, v, now, out);
  else
    handle_search (self, session, v, now, out);
  return TRUE;
}
