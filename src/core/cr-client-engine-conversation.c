/* cr-client-engine-conversation.c: the conversation in a member's packet
 * path (issue 14): replies and private messages as CHAT extras, recalls,
 * pages of older history and searches as requests on the session's
 * reliable channel, PAGE and RESULTS in as outputs. No socket, no clock:
 * CrClient (cr-client-conversation.c) turns the outputs into rows and
 * finished tasks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"
#include "cr-client-dialect.h"

#define RECALLS_MAX        256     /* recall requests remembered */

static gboolean
is_native (CrClientEngine *self)
{
  return self->dialect != NULL && self->dialect->dialect == CR_DIALECT_NATIVE;
}

guint64
cr_client_engine_send_full (CrClientEngine *self,
                            const char     *text,
                            guint64         reply_to,
                            const char     *to,
                            gint64          now,
                            GPtrArray      *out)
{
  guint64 origin;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);

  if (to != NULL && !is_native (self))
    return 0;   /* a classic room has no private messages */
  self->compose_reply_to = is_native (self) ? reply_to : 0;
  self->compose_to = to;
  origin = cr_client_engine_send (self, text, now, out);
  self->compose_reply_to = 0;
  self->compose_to = NULL;
  return origin;
}

guint64
cr_client_engine_recall (CrClientEngine *self,
                         guint64         seq,
                         gint64          now,
                         GPtrArray      *out)
{
  g_autoptr(GBytes) body = NULL;
  guint64 request;

  g_return_val_if_fail (self != NULL, 0);

  if (seq == 0 || !is_native (self))
    return 0;
  request = self->origin_base | ++self->origin_counter;
  body = cr_body_recall (request, seq);
  self->now = now;
  if (!_cr_client_native_request (self, CR_PACKET_RECALL, body))
    return 0;

  if (self->recalls == NULL)
    self->recalls = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  if (g_hash_table_size (self->recalls) >= RECALLS_MAX)
    g_hash_table_remove_all (self->recalls);   /* unanswered ones: the room dropped them */
  g_hash_table_insert (self->recalls, g_memdup2 (&request, sizeof request),
                       g_memdup2 (&seq, sizeof seq));
  return request;
}

gboolean
cr_client_engine_request_page (CrClientEngine *self,
                               guint64         before,
                               gint64          now,
                               GPtrArray      *out)
{
  g_autoptr(GBytes) body = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!is_native (self))
    return FALSE;
  body = cr_body_history (before, CR_PAGE_MAX);
  self->now = now;
  return _cr_client_native_request (self, CR_PACKET_HISTORY, body);
}

guint32
cr_client_engine_search (CrClientEngine *self,
                         const char     *query,
                         gint64          now,
                         GPtrArray      *out)
{
  g_autoptr(GBytes) body = NULL;
  guint32 request;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (query != NULL, 0);

  if (!is_native (self) || strlen (query) > CR_SEARCH_QUERY_MAX_BYTES)
    return 0;
  request = ++self->search_counter;
  if (request == 0)
    request = ++self->search_counter;
  body = cr_body_search (request, query);
  self->now = now;
  return _cr_client_native_request (self, CR_PACKET_SEARCH, body) ? request : 0;
}

gboolean
_cr_client_conversation_notice (CrClientEngine *self,
                                guint64         origin,
                                CrReason        reason)
{
  guint64 *seq;
  CrClientOutput *output;

  if (self->recalls == NULL || (seq = g_hash_table_lookup (self->recalls, &origin)) == NULL)
    return FALSE;
  output = _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_RECALL_FAILED);
  output->origin = origin;
  output->seq = *seq;
  output->reason = reason;
  g_hash_table_remove (self->recalls, &origin);
  return TRUE;
}

void
_cr_client_conversation_receive (CrClientEngine *self,
                                 CrPacketType    type,
                                 GVariant       *body)
{
  g_autoptr(GPtrArray) events = NULL;
  CrClientOutput *output;
  guint64 head = 0;
  gboolean flag = FALSE;

  events = cr_events_from_body (type, body, &head, &flag);
  if (events == NULL)
    {
      self->stats.rejected++;
      return;
    }
  /* What the room could not have sent goes, the rest stays. */
  for (guint i = events->len; i > 0; i--)
    if (!_cr_client_engine_event_valid (events->pdata[i - 1]))
      {
        self->stats.rejected++;
        g_ptr_array_remove_index (events, i - 1);
      }

  if (type == CR_PACKET_PAGE)
    {
      output = _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_PAGE);
      output->seq = head;
      output->complete = flag;
    }
  else
    {
      output = _cr_client_engine_push_output (self, CR_CLIENT_OUTPUT_RESULTS);
      output->origin = head;
      output->complete = !flag;
    }
  output->events = g_steal_pointer (&events);
}
