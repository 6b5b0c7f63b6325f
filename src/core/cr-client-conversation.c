/* cr-client-conversation.c: a member's side of the conversation: replies,
 * private messages, recalls, older history and search (issue 14)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CrClient's side: the engine's outputs (cr-client-engine-conversation.c:
 * requests out on the session, PAGE and RESULTS in) applied to the
 * messages model, each request a GTask. The room answers a request
 * or drops it (a flood, cr-engine-conversation.c): every task gives up
 * after REQUEST_TIMEOUT_S.
 *
 * A RECALL event is not a row: it blanks the row of the message it names
 * (cr_message_recall). A page's events are older than every row, so they
 * go in at the top, in the room's order, each once: only those before the
 * oldest row are taken.
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-client-private.h"

#define REQUEST_TIMEOUT_S  10

/* ------------------------------------------------------------------ */
/* CrClient                                                            */

struct _CrClientConversation
{
  GTask      *older;        /* the page asked for, or NULL */
  gboolean    complete;     /* the room said nothing is older */
  GHashTable *searches;     /* guint32 request → GTask* */
  GHashTable *recalls;      /* guint64* request → GTask* (task data: the seq) */
};

CrClientConversation *
_cr_client_conversation_new (void)
{
  CrClientConversation *self = g_new0 (CrClientConversation, 1);

  self->searches = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->recalls = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  return self;
}

/* Every task still waiting fails: the client is going away. */
void
_cr_client_conversation_free (CrClientConversation *self)
{
  GHashTableIter iter;
  gpointer task;

  if (self == NULL)
    return;
  if (self->older != NULL)
    {
      g_task_return_new_error (self->older, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The client was disposed");
      g_clear_object (&self->older);
    }
  g_hash_table_iter_init (&iter, self->searches);
  while (g_hash_table_iter_next (&iter, NULL, &task))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The client was disposed");
  g_hash_table_iter_init (&iter, self->recalls);
  while (g_hash_table_iter_next (&iter, NULL, &task))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The client was disposed");
  g_hash_table_unref (self->searches);
  g_hash_table_unref (self->recalls);
  g_free (self);
}

static GError *
reason_error (CrReason reason)
{
  g_autofree char *text = cr_render_reason (reason, NULL);

  return g_error_new_literal (CR_CLIENT_ERROR, reason, text);
}

static GError *
not_connected (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                              _("Not possible now: you are not in a room of Chat Room "
                                "(a classroom server has no such thing)"));
}

/* A task that gets no answer fails after REQUEST_TIMEOUT_S. The source
 * holds the task weakly: a task answered meanwhile is not touched. */
static gboolean
on_request_timeout (gpointer user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(GTask) task = g_weak_ref_get (ref);

  if (task != NULL && !g_task_get_completed (task))
    {
      CrClient *client = g_task_get_source_object (task);
      CrClientConversation *self = _cr_client_get_conversation (client);

      /* Drop it from the waiting lists first: it is answered here. */
      if (self->older == task)
        g_clear_object (&self->older);
      else
        {
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, self->searches);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            if (value == task)
              g_hash_table_iter_steal (&iter);
          gpointer key;

          g_hash_table_iter_init (&iter, self->recalls);
          while (g_hash_table_iter_next (&iter, &key, &value))
            if (value == task)
              {
                g_hash_table_iter_steal (&iter);
                g_free (key);
              }
          g_object_unref (task);   /* the list's reference */
        }
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s",
                               _("The room did not answer: try again"));
    }
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static void
arm_timeout (GTask *task)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);
  g_autoptr(GSource) source = g_timeout_source_new_seconds (REQUEST_TIMEOUT_S);

  g_weak_ref_init (ref, task);
  g_source_set_callback (source, on_request_timeout, ref, weak_ref_free);
  g_source_set_static_name (source, "[chatroom] request timeout");
  g_source_attach (source, g_task_get_context (task));
}

static gboolean
is_own (CrClient      *client,
        const CrEvent *event)
{
  return cr_event_kind_is_chat (event->kind) &&
         g_strcmp0 (event->name, cr_client_get_name (client)) == 0;
}

CrMessage *
cr_client_find_message (CrClient *client,
                        guint64   seq)
{
  GListModel *model;
  guint lo = 0;
  guint hi;

  g_return_val_if_fail (CR_IS_CLIENT (client), NULL);

  if (seq == 0)
    return NULL;
  _cr_client_splice (client);
  model = cr_client_get_messages (client);
  hi = g_list_model_get_n_items (model);

  /* Rows are in the room's order, but an own message waits without a seq
   * where it was typed: a binary search over the numbered ones, stepping
   * over those. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint probe = mid;
      g_autoptr(CrMessage) item = NULL;
      guint64 s = 0;

      while (probe < hi)
        {
          g_clear_object (&item);
          item = g_list_model_get_item (model, probe);
          if ((s = cr_message_get_seq (item)) != 0)
            break;
          probe++;
        }
      if (probe == hi)
        hi = mid;
      else if (s == seq)
        return item;   /* the model holds a reference */
      else if (s < seq)
        lo = probe + 1;
      else
        hi = mid;
    }
  return NULL;
}

static void
apply_recall (CrClient      *client,
              const CrEvent *event)
{
  CrClientConversation *self = _cr_client_get_conversation (client);
  CrMessage *message = cr_client_find_message (client, event->ref_seq);
  GHashTableIter iter;
  gpointer task;

  if (message != NULL)
    cr_message_recall (message);
  /* The rows that quote it: after it, and each reply says what it answers. */
  {
    GListModel *model = cr_client_get_messages (client);
    guint n = g_list_model_get_n_items (model);

    for (guint i = 0; i < n; i++)
      {
        g_autoptr(CrMessage) row = g_list_model_get_item (model, i);

        if (cr_message_get_reply_to (row) == event->ref_seq)
          cr_message_forget_quote (row);
      }
  }

  g_hash_table_iter_init (&iter, self->recalls);
  while (g_hash_table_iter_next (&iter, NULL, &task))
    if (*(guint64 *) g_task_get_task_data (task) == event->ref_seq)
      {
        g_task_return_boolean (task, TRUE);
        g_hash_table_iter_remove (&iter);
      }
}

static void
apply_page (CrClient       *client,
            CrClientOutput *output)
{
  CrClientConversation *self = _cr_client_get_conversation (client);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GTask) task = NULL;
  GListModel *model;
  guint64 oldest = G_MAXUINT64;
  guint n;

  _cr_client_splice (client);
  model = cr_client_get_messages (client);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n && oldest == G_MAXUINT64; i++)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (model, i);

      if (cr_message_get_seq (item) != 0)
        oldest = cr_message_get_seq (item);
    }

  for (guint i = 0; i < output->events->len; i++)
    {
      const CrEvent *event = output->events->pdata[i];

      /* Older than every row, in order, and each once; a recall is no row. */
      if (event->seq >= oldest || event->kind == CR_EVENT_RECALL ||
          (rows->len > 0 && event->seq <= cr_message_get_seq (g_ptr_array_index (rows, rows->len - 1))))
        continue;
      g_ptr_array_add (rows, cr_message_new_from_event (event, is_own (client, event)));
    }
  g_list_store_splice (_cr_client_get_store (client), 0, 0, rows->pdata, rows->len);
  if (output->complete)
    self->complete = TRUE;

  task = g_steal_pointer (&self->older);
  if (task != NULL)
    g_task_return_int (task, rows->len);
}

static void
apply_results (CrClient       *client,
               CrClientOutput *output)
{
  CrClientConversation *self = _cr_client_get_conversation (client);
  g_autoptr(GListStore) store = g_list_store_new (CR_TYPE_MESSAGE);
  GTask *task;

  if (!g_hash_table_steal_extended (self->searches, GUINT_TO_POINTER ((guint) output->origin),
                                    NULL, (gpointer *) &task))
    return;   /* timed out, or never asked */

  for (guint i = 0; i < output->events->len; i++)
    {
      g_autoptr(CrMessage) row = cr_message_new_from_event (output->events->pdata[i],
                                                            is_own (client, output->events->pdata[i]));
      g_list_store_append (store, row);
    }
  g_object_set_data (G_OBJECT (store), "cr-more", GINT_TO_POINTER (!output->complete));
  g_task_return_pointer (task, g_steal_pointer (&store), g_object_unref);
  g_object_unref (task);
}

gboolean
_cr_client_conversation_apply (CrClient       *client,
                               CrClientOutput *output)
{
  CrClientConversation *self = _cr_client_get_conversation (client);

  switch ((int) output->kind)
    {
    case CR_CLIENT_OUTPUT_EVENT:
      if (output->event->kind != CR_EVENT_RECALL)
        return FALSE;
      apply_recall (client, output->event);
      return TRUE;

    case CR_CLIENT_OUTPUT_PAGE:
      apply_page (client, output);
      return TRUE;

    case CR_CLIENT_OUTPUT_RESULTS:
      apply_results (client, output);
      return TRUE;

    case CR_CLIENT_OUTPUT_RECALL_FAILED:
      {
        GTask *task;
        gpointer key;

        if (g_hash_table_steal_extended (self->recalls, &output->origin, &key, (gpointer *) &task))
          {
            g_free (key);
            g_task_return_error (task, reason_error (output->reason));
            g_object_unref (task);
          }
        return TRUE;
      }

    default:
      return FALSE;
    }
}

void
_cr_client_conversation_dress (CrClient   *client,
                               CrMessage  *message,
                               guint64     reply_to,
                               const char *to)
{
  g_autoptr(CrEvent) event = NULL;
  CrMessage *quoted;

  if (reply_to == 0 && to == NULL)
    return;
  event = cr_event_new (0, 0, CR_EVENT_CHAT, NULL, NULL, 0);
  event->target = g_strdup (to);
  if (reply_to != 0 && (quoted = cr_client_find_message (client, reply_to)) != NULL)
    {
      g_autoptr(CrEvent) original = cr_event_new (reply_to, 0, CR_EVENT_CHAT,
                                                  cr_message_get_sender (quoted),
                                                  cr_message_get_text (quoted), 0);

      cr_event_set_quote (event, original);
    }
  event->ref_seq = reply_to;
  cr_message_set_conversation (message, event);
}

CrMessage *
cr_client_reply (CrClient    *self,
                 guint64      seq,
                 const char  *text,
                 GError     **error)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (seq != 0, NULL);

  return _cr_client_send_full (self, text, seq, NULL, error);
}

CrMessage *
cr_client_send_private (CrClient    *self,
                        const char  *name,
                        const char  *text,
                        GError     **error)
{
  g_autofree char *normalized = NULL;
  CrReason reason;

  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if ((reason = cr_name_validate (name, -1, &normalized)) != CR_REASON_NONE)
    {
      g_propagate_error (error, reason_error (CR_REASON_NO_SUCH_MEMBER));
      return NULL;
    }
  if (cr_client_get_dialect (self) != CR_DIALECT_NATIVE)
    {
      g_propagate_error (error, not_connected ());
      return NULL;
    }
  return _cr_client_send_full (self, text, 0, normalized, error);
}

void
cr_client_recall_async (CrClient            *self,
                        guint64              seq,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  guint64 request;

  g_return_if_fail (CR_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_client_recall_async);
  g_task_set_task_data (task, g_memdup2 (&seq, sizeof seq), g_free);

  request = cr_client_engine_recall (_cr_client_get_engine (self), seq,
                                     g_get_monotonic_time (), out);
  _cr_client_after_engine (self, out);
  if (request == 0)
    {
      g_task_return_error (task, not_connected ());
      return;
    }
  g_hash_table_insert (_cr_client_get_conversation (self)->recalls,
                       g_memdup2 (&request, sizeof request), g_object_ref (task));
  arm_timeout (task);
}

gboolean
cr_client_recall_finish (CrClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cr_client_load_older_async (CrClient            *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  CrClientConversation *conversation;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  GListModel *model;
  guint64 before = 0;
  guint n;

  g_return_if_fail (CR_IS_CLIENT (self));

  conversation = _cr_client_get_conversation (self);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_client_load_older_async);
  if (conversation->complete)
    {
      g_task_return_int (task, 0);
      return;
    }
  if (conversation->older != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "%s",
                               _("Older messages are already on their way"));
      return;
    }

  _cr_client_splice (self);
  model = cr_client_get_messages (self);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n && before == 0; i++)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (model, i);

      before = cr_message_get_seq (item);
    }
  if (n > 0 && before == 1)
    {
      conversation->complete = TRUE;
      g_task_return_int (task, 0);
      return;
    }

  if (!cr_client_engine_request_page (_cr_client_get_engine (self), before,
                                      g_get_monotonic_time (), out))
    {
      _cr_client_after_engine (self, out);
      g_task_return_error (task, not_connected ());
      return;
    }
  conversation->older = g_object_ref (task);
  arm_timeout (task);
  _cr_client_after_engine (self, out);
}

guint
cr_client_load_older_finish (CrClient      *self,
                             GAsyncResult  *result,
                             gboolean      *complete,
                             GError       **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n = g_task_propagate_int (G_TASK (result), error);
  if (complete != NULL)
    *complete = _cr_client_get_conversation (self)->complete;
  return n < 0 ? 0 : (guint) n;
}

gboolean
cr_client_get_history_complete (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);

  return _cr_client_get_conversation (self)->complete;
}

void
cr_client_search_async (CrClient            *self,
                        const char          *query,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  guint32 request;

  g_return_if_fail (CR_IS_CLIENT (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_client_search_async);
  if (strlen (query) > CR_SEARCH_QUERY_MAX_BYTES || cr_text_validate (query, -1) != CR_REASON_NONE)
    {
      g_task_return_error (task, reason_error (CR_REASON_TEXT_INVALID));
      return;
    }
  request = cr_client_engine_search (_cr_client_get_engine (self), query,
                                     g_get_monotonic_time (), out);
  _cr_client_after_engine (self, out);
  if (request == 0)
    {
      g_task_return_error (task, not_connected ());
      return;
    }
  g_hash_table_insert (_cr_client_get_conversation (self)->searches,
                       GUINT_TO_POINTER (request), g_object_ref (task));
  arm_timeout (task);
}

GListModel *
cr_client_search_finish (CrClient      *self,
                         GAsyncResult  *result,
                         gboolean      *more,
                         GError       **error)
{
  GListModel *model;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  model = g_task_propagate_pointer (G_TASK (result), error);
  if (more != NULL)
    *more = model != NULL && g_object_get_data (G_OBJECT (model), "cr-more") != NULL;
  return model;
}
