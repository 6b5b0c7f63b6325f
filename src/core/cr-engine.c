/* cr-engine.c: the server's packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The public face of CrEngine (cr-engine.h) and what every part uses: the
 * output, the history, committing an event (store, tell the owner of the
 * engine, deliver to every member), ticks and the owner's actions. The
 * parts are listed in cr-engine-private.h. The engine reads no clock and
 * draws no randomness of its own: the time comes with every call
 * (CrEngineTime), randomness from config.random_func.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cr-engine-private.h"

#define RING_MAX            1000        /* in-memory history without a store */

void
_cr_engine_random (CrEngine *self,
                   gpointer  buf,
                   gsize     len)
{
  self->config.random_func (buf, len, self->config.random_data);
}

/* Output */

void
cr_datagram_free (CrDatagram *datagram)
{
  if (datagram == NULL)
    return;
  g_clear_object (&datagram->to);
  g_clear_pointer (&datagram->data, g_bytes_unref);
  g_free (datagram);
}

void
_cr_engine_emit (CrEngine       *self,
                 GPtrArray      *out,
                 GSocketAddress *to,
                 GBytes         *data)
{
  CrDatagram *datagram = g_new0 (CrDatagram, 1);

  datagram->to = g_object_ref (to);
  datagram->data = data;   /* takes */
  self->stats.datagrams_out++;
  g_ptr_array_add (out, datagram);
}

void
_cr_engine_output_chunk (CrEngine  *self,
                         GPtrArray *out)
{
  if (self->output_func != NULL && out->len >= CR_ENGINE_OUTPUT_CHUNK)
    self->output_func (self->output_data);
}

void
_cr_engine_emit_text (CrEngine       *self,
                      GPtrArray      *out,
                      GSocketAddress *to,
                      const char     *text)
{
  _cr_engine_emit (self, out, to, g_bytes_new (text, strlen (text)));
}

/* A sessionless unreliable packet (REFUSE, the probe's answer). */
void
_cr_engine_emit_bare (CrEngine       *self,
                      GPtrArray      *out,
                      GSocketAddress *to,
                      guint32         session,
                      guint32         ack,
                      CrPacketType    type,
                      GBytes         *body)
{
  CrHeader header = { CR_PROTOCOL_VERSION, type, 0, session, 0, ack, 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  _cr_engine_emit (self, out, to, cr_datagram_build (&header, data, len));
}

/* Events */

static void
ring_push (CrEngine      *self,
           const CrEvent *event)
{
  if (self->store != NULL)
    return;
  g_queue_push_tail (&self->ring, cr_event_copy (event));
  while (self->ring.length > RING_MAX)
    cr_event_free (g_queue_pop_head (&self->ring));
}

/* Events after seq, at most limit, oldest first; after_seq == 0 means the
 * newest limit events. */
GPtrArray *
_cr_engine_history (CrEngine *self,
                    guint64   after_seq,
                    guint     limit)
{
  GPtrArray *events;

  if (self->store != NULL)
    {
      events = after_seq > 0
        ? cr_store_events_after (self->store, after_seq, limit)
        : cr_store_last_events (self->store, limit);
      _cr_engine_storage_merge (self, events, after_seq, limit);
      return events;
    }

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  for (GList *l = self->ring.tail; l != NULL && events->len < limit; l = l->prev)
    {
      CrEvent *event = l->data;

      if (after_seq > 0 && event->seq <= after_seq)
        break;
      g_ptr_array_add (events, cr_event_copy (event));
    }
  /* Collected newest first. */
  for (guint i = 0, j = events->len ? events->len - 1 : 0; i < j; i++, j--)
    {
      gpointer tmp = events->pdata[i];
      events->pdata[i] = events->pdata[j];
      events->pdata[j] = tmp;
    }
  return events;
}

/* Fan-out. A committed event is stored and told to the engine's owner at
 * once, and waits in self->fanout until the outermost batch ends (after
 * its write: nothing leaves before it is durable). Then each member gets
 * the batch's events in one go: a native member one EVENT, or BATCH
 * packets of several (cr-protocol.h), a classic member its lines, the
 * joins and leaves packed several to a datagram. A class joining costs a
 * datagram per member per read, not per join (2 000 joins were 4 million
 * datagrams). Each event's body and lines are made once; the packets for
 * "every event from the i-th on" once for all the members that need them
 * (all but the batch's newcomers, whose welcome had the earlier ones). */

typedef struct {
  CrEvent   *event;
  GBytes    *body;       /* EVENT body, made when a native member needs it */
  GPtrArray *lines;      /* GBytes* classic lines, likewise */
} FanoutItem;

static void
fanout_item_free (FanoutItem *item)
{
  cr_event_free (item->event);
  g_clear_pointer (&item->body, g_bytes_unref);
  g_clear_pointer (&item->lines, g_ptr_array_unref);
  g_free (item);
}

/* What one member gets from the i-th event on: for native, (type, body)
 * pairs as two entries each; for classic, datagrams. */
typedef struct {
  GPtrArray *items;      /* FanoutItem* */
  GPtrArray **native;    /* [i]: GPtrArray of CrPacketType-as-pointer, GBytes* */
  GPtrArray **classic;   /* [i]: GPtrArray of GBytes* */
} Fanout;

static GBytes *
item_body (FanoutItem *item)
{
  if (item->body == NULL)
    item->body = cr_body_event (item->event);
  return item->body;
}

static GPtrArray *
item_lines (CrEngine   *self,
            FanoutItem *item)
{
  if (item->lines == NULL)
    {
      g_autoptr(GPtrArray) text = cr_classic_format_event (self->classic, item->event);

      item->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (guint i = 0; i < text->len; i++)
        g_ptr_array_add (item->lines, g_bytes_new (text->pdata[i], strlen (text->pdata[i])));
    }
  return item->lines;
}

static void
native_add (GPtrArray    *packets,
            CrPacketType  type,
            GBytes       *body)
{
  g_ptr_array_add (packets, GUINT_TO_POINTER (type));
  g_ptr_array_add (packets, body);
}

/* What a builder gathered: its one event as an EVENT, or a BATCH. */
static void
native_add_gathered (GPtrArray      *packets,
                     CrBatchBuilder *builder,
                     FanoutItem     *first)
{
  if (cr_batch_builder_get_n_items (builder) == 1)
    {
      native_add (packets, CR_PACKET_EVENT, g_bytes_ref (first->body));
      cr_batch_builder_free (builder);
    }
  else
    native_add (packets, CR_PACKET_BATCH, cr_batch_builder_end (builder));
}

/* One EVENT when it is alone, else BATCHes as full as a datagram takes. */
static GPtrArray *
fanout_native (Fanout *f,
               guint   from)
{
  CrBatchBuilder *builder = NULL;
  FanoutItem *first = NULL;
  GPtrArray *packets;

  if (f->native[from] != NULL)
    return f->native[from];

  packets = g_ptr_array_new ();
  for (guint i = from; i < f->items->len; i++)
    {
      FanoutItem *item = f->items->pdata[i];
      GBytes *body = item_body (item);

      if (builder != NULL && cr_batch_builder_add (builder, CR_PACKET_EVENT, body))
        continue;
      /* Full, or nothing gathered yet: this one starts the next packet. */
      if (builder != NULL)
        native_add_gathered (packets, g_steal_pointer (&builder), first);
      builder = cr_batch_builder_new ();
      first = item;
      if (!cr_batch_builder_add (builder, CR_PACKET_EVENT, body))
        {
          /* Too long to share a datagram (a long text): alone, in fragments. */
          g_clear_pointer (&builder, cr_batch_builder_free);
          native_add (packets, CR_PACKET_EVENT, g_bytes_ref (body));
        }
    }
  if (builder != NULL)
    native_add_gathered (packets, builder, first);
  f->native[from] = packets;
  return packets;
}

/* Which events' lines may share a datagram: those of joins and leaves
 * (a name and a fixed phrase, no line breaks of their own). The classroom
 * client prints a datagram as it comes (print('\n', data)), so packed lines
 * show one under the other; a chat line keeps a datagram of its own, as
 * a text may itself hold line breaks. */
static gboolean
packable (const CrEvent *event)
{
  return event->kind == CR_EVENT_JOIN || event->kind == CR_EVENT_LEAVE ||
         event->kind == CR_EVENT_TIMEOUT;
}

static GPtrArray *
fanout_classic (CrEngine *self,
                Fanout   *f,
                guint     from)
{
  g_autoptr(GByteArray) packed = NULL;
  GPtrArray *datagrams;

  if (f->classic[from] != NULL)
    return f->classic[from];

  datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = from; i < f->items->len; i++)
    {
      FanoutItem *item = f->items->pdata[i];
      GPtrArray *lines = item_lines (self, item);

      if (!packable (item->event))
        {
          if (packed != NULL)
            g_ptr_array_add (datagrams, g_byte_array_free_to_bytes (g_steal_pointer (&packed)));
          for (guint j = 0; j < lines->len; j++)
            g_ptr_array_add (datagrams, g_bytes_ref (lines->pdata[j]));
          continue;
        }
      for (guint j = 0; j < lines->len; j++)
        {
          gsize len;
          const guint8 *line = g_bytes_get_data (lines->pdata[j], &len);

          if (packed != NULL && packed->len + 1 + len > CR_CLASSIC_LINE_MAX)
            g_ptr_array_add (datagrams, g_byte_array_free_to_bytes (g_steal_pointer (&packed)));
          if (packed == NULL)
            packed = g_byte_array_sized_new (CR_CLASSIC_LINE_MAX);
          else
            g_byte_array_append (packed, (const guint8 *) "\n", 1);
          g_byte_array_append (packed, line, len);
        }
    }
  if (packed != NULL)
    g_ptr_array_add (datagrams, g_byte_array_free_to_bytes (g_steal_pointer (&packed)));
  f->classic[from] = datagrams;
  return datagrams;
}

void
_cr_engine_fanout_flush (CrEngine     *self,
                         CrEngineTime  now,
                         GPtrArray    *out)
{
  g_autoptr(GPtrArray) items = NULL;
  Fanout f;
  GHashTableIter iter;
  CrEngineSession *session;
  guint64 last_seq;

  /* The read's newcomers first: their list ends where the fan-out starts. */
  _cr_engine_welcome_flush (self, now.mono, out);
  if (self->fanout->len == 0)
    return;
  items = g_steal_pointer (&self->fanout);
  self->fanout = g_ptr_array_new_with_free_func ((GDestroyNotify) fanout_item_free);
  last_seq = ((FanoutItem *) items->pdata[items->len - 1])->event->seq;
  f.items = items;
  f.native = g_new0 (GPtrArray *, items->len);
  f.classic = g_new0 (GPtrArray *, items->len);

  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      guint from = 0;

      /* Events are in seq order; a newcomer of this batch starts after
       * its own join. */
      while (from < items->len &&
             ((FanoutItem *) items->pdata[from])->event->seq <= session->told_seq)
        from++;
      if (from == items->len)
        continue;
      session->told_seq = last_seq;
      if (!_cr_engine_session_wants (self, session, now.mono))
        continue;
      if (session->dialect == CR_DIALECT_NATIVE)
        {
          GPtrArray *packets = fanout_native (&f, from);

          for (guint i = 0; i < packets->len; i += 2)
            cr_reliable_send (session->rel, GPOINTER_TO_UINT (packets->pdata[i]),
                              packets->pdata[i + 1]);
          _cr_engine_session_flush (self, session, now.mono, out);
        }
      else
        {
          GPtrArray *datagrams = fanout_classic (self, &f, from);

          for (guint i = 0; i < datagrams->len; i++)
            _cr_engine_emit (self, out, session->addr, g_bytes_ref (datagrams->pdata[i]));
        }
      /* 500 members' datagrams were 1.2 MB waiting at once (bench/README.md,
       * "A native member's memory"). */
      _cr_engine_output_chunk (self, out);
    }

  for (guint i = 0; i < items->len; i++)
    {
      if (f.native[i] != NULL)
        {
          for (guint j = 1; j < f.native[i]->len; j += 2)
            g_bytes_unref (f.native[i]->pdata[j]);
          g_ptr_array_unref (f.native[i]);
        }
      g_clear_pointer (&f.classic[i], g_ptr_array_unref);
    }
  g_free (f.native);
  g_free (f.classic);
}

/* Store the event, tell the owner of the engine, and queue it for the
 * members: sent when the batch ends (at once outside one). */
void
_cr_engine_commit_event (CrEngine     *self,
                         CrEvent      *event,
                         CrEngineTime  now,
                         GPtrArray    *out)
{
  FanoutItem *item;

  _cr_engine_storage_queue (self, event);
  ring_push (self, event);

  /* A private message: its two members only, not the owner's view. */
  if (_cr_engine_conversation_deliver (self, event, now, out))
    {
      _cr_engine_storage_committed (self, now, out);
      return;
    }

  if (self->event_func != NULL)
    self->event_func (event, self->event_data);

  item = g_new0 (FanoutItem, 1);
  item->event = cr_event_copy (event);
  g_ptr_array_add (self->fanout, item);

  /* Outside a batch (an owner action, a finished hash job): a batch of one. */
  _cr_engine_storage_committed (self, now, out);
}

/* Public API */

void
cr_engine_config_init (CrEngineConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->room_name = NULL;
  config->language = "zh_CN";
  config->owner_name = NULL;
  config->max_members = 200;
  config->history_length = CR_HISTORY_ON_JOIN;
  config->require_registration = FALSE;
  config->silence_timeout_us = 15 * G_TIME_SPAN_SECOND;
  config->classic_idle_us = G_TIME_SPAN_HOUR;
  config->rate_per_second = 50.0;
  config->rate_burst = 100.0;
  config->members_per_ip = 0;
  config->classic_members_per_ip = 4;
  config->classic_quiet_us = 5 * G_TIME_SPAN_MINUTE;
  config->classic_grace_us = 60 * G_TIME_SPAN_SECOND;
}

CrEngine *
cr_engine_new (const CrEngineConfig *config,
               CrStore              *store)
{
  CrEngine *self;
  guint8 token[16];

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->random_func != NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium could not be initialized");

  self = g_new0 (CrEngine, 1);
  self->config = *config;
  self->room_name = g_strdup (config->room_name ? config->room_name : _("Chat Room"));
  self->language = g_strdup (config->language ? config->language : "zh_CN");
  self->classic = cr_classic_table_lookup (self->language);
  if (self->classic == NULL)
    {
      g_warning ("No classic lines in “%s”: classic members get zh_CN", self->language);
      self->classic = cr_classic_table_default ();
      g_free (self->language);
      self->language = g_strdup (cr_classic_table_language (self->classic));
    }
  self->owner_name = g_strdup (config->owner_name ? config->owner_name : "");
  self->config.room_name = self->room_name;
  self->config.language = self->language;
  self->config.owner_name = self->owner_name;

  _cr_engine_random (self, self->cookie_key, sizeof self->cookie_key);
  _cr_engine_random (self, token, sizeof token);
  self->owner_token = g_malloc (sizeof token * 2 + 1);
  sodium_bin2hex (self->owner_token, sizeof token * 2 + 1, token, sizeof token);

  self->store = store;
  _cr_engine_storage_init (self);
  self->fanout = g_ptr_array_new_with_free_func ((GDestroyNotify) fanout_item_free);
  self->welcoming = g_array_new (FALSE, FALSE, sizeof (guint32));
  /* Never below a number handed out before a crash: the store's reserve. */
  self->room = cr_room_new (self->room_name, config->max_members,
                            store ? cr_store_get_seq_floor (store) : 0);
  if (store != NULL)
    {
      g_autoptr(GPtrArray) bans = cr_store_list_bans (store);
      for (guint i = 0; i < bans->len; i++)
        cr_room_add_ban (self->room, bans->pdata[i]);
      _cr_engine_moderation_load (self);
      _cr_engine_storage_check_damage (self);
    }
  g_queue_init (&self->ring);

  self->by_id = g_hash_table_new_full (NULL, NULL, NULL,
                                       (GDestroyNotify) _cr_engine_session_free);
  self->by_addr = g_hash_table_new (_cr_engine_addr_key_hash, _cr_engine_addr_key_equal);
  self->by_member = g_hash_table_new (NULL, NULL);
  self->by_token = g_hash_table_new (g_str_hash, g_str_equal);
  self->timers = g_array_new (FALSE, FALSE, sizeof (CrEngineTimer));
  self->unverified = g_hash_table_new_full (_cr_engine_addr_key_hash, _cr_engine_addr_key_equal,
                                            g_free, g_free);
  self->hosts = g_hash_table_new_full (_cr_engine_addr_key_hash, _cr_engine_addr_key_equal,
                                       g_free, g_free);
  _cr_engine_auth_init (self);
  return self;
}

void
cr_engine_free (CrEngine *self)
{
  if (self == NULL)
    return;

  _cr_engine_storage_clear (self);
  _cr_engine_auth_clear (self);
  g_ptr_array_unref (self->fanout);
  g_array_unref (self->welcoming);
  g_hash_table_destroy (self->by_member);
  g_hash_table_destroy (self->by_token);
  g_hash_table_destroy (self->by_addr);
  g_hash_table_destroy (self->by_id);
  g_array_unref (self->timers);
  g_hash_table_destroy (self->unverified);
  g_hash_table_destroy (self->hosts);
  g_queue_clear_full (&self->ring, (GDestroyNotify) cr_event_free);
  cr_room_free (self->room);
  g_free (self->room_name);
  g_free (self->language);
  g_free (self->owner_name);
  g_free (self->owner_token);
  sodium_memzero (self->cookie_key, sizeof self->cookie_key);
  g_free (self);
}

void
cr_engine_set_output_func (CrEngine           *self,
                           CrEngineOutputFunc  func,
                           gpointer            user_data)
{
  g_return_if_fail (self != NULL);

  self->output_func = func;
  self->output_data = user_data;
}

void
cr_engine_set_event_func (CrEngine          *self,
                          CrEngineEventFunc  func,
                          gpointer           user_data)
{
  g_return_if_fail (self != NULL);
  self->event_func = func;
  self->event_data = user_data;
}

const char *
cr_engine_get_owner_token (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->owner_token;
}

CrRoom *
cr_engine_get_room (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->room;
}

CrEngineConfig *
cr_engine_get_config (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->config;
}

void
cr_engine_receive (CrEngine       *self,
                   const guint8   *data,
                   gsize           len,
                   GSocketAddress *from,
                   CrEngineTime    now,
                   GPtrArray      *out)
{
  CrEngineAddrKey key;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (G_IS_SOCKET_ADDRESS (from));
  g_return_if_fail (out != NULL);

  self->stats.datagrams_in++;
  if (!G_IS_INET_SOCKET_ADDRESS (from) || len == 0 || len > CR_DATAGRAM_MAX)
    {
      self->stats.malformed++;
      return;
    }
  _cr_engine_addr_key_init (&key, from);

  _cr_engine_storage_begin (self);
  if (_cr_engine_storage_refuse_join (self, data, len, from, &key, now, out))
    ;
  else if (cr_protocol_is_native (data, len))
    _cr_engine_handle_native (self, data, len, from, &key, now, out);
  else
    _cr_engine_handle_classic (self, data, len, from, &key, now, out);
  _cr_engine_storage_end (self, now, out);
}

void
cr_engine_tick (CrEngine     *self,
                CrEngineTime  now,
                GPtrArray    *out)
{
  g_autoptr(GArray) due = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  CrEngineSession *session;

  g_return_if_fail (self != NULL);

  /* Only the sessions whose time came (cr-engine-sessions.c: the timers). */
  _cr_engine_storage_begin (self);
  _cr_engine_timers_take_due (self, now.mono, due);
  for (guint i = 0; i < due->len; i++)
    {
      session = g_hash_table_lookup (self->by_id,
                                     GUINT_TO_POINTER (g_array_index (due, guint32, i)));
      if (session->closing)
        {
          if (now.mono >= session->linger_until || cr_reliable_get_unacked (session->rel) == 0)
            g_ptr_array_add (done, session);
          continue;
        }
      if (_cr_engine_session_expired (self, session, now.mono))
        g_ptr_array_add (expired, session);
    }

  for (guint i = 0; i < done->len; i++)
    _cr_engine_session_destroy (self, done->pdata[i]);

  /* It is not listening; a goodbye would only linger. */
  for (guint i = 0; i < expired->len; i++)
    _cr_engine_session_leaves (self, expired->pdata[i], CR_EVENT_TIMEOUT, now, out);

  _cr_engine_moderation_tick (self, now, out);

  /* A failing disk is tried again, a quiet one looked at. */
  _cr_engine_storage_end (self, now, out);

  /* Retransmissions and delayed acks; each flush schedules its session
   * again. A session that ended above is no longer there. */
  for (guint i = 0; i < due->len; i++)
    {
      session = g_hash_table_lookup (self->by_id,
                                     GUINT_TO_POINTER (g_array_index (due, guint32, i)));
      if (session != NULL)
        _cr_engine_session_flush (self, session, now.mono, out);
      _cr_engine_output_chunk (self, out);
    }
}

gint64
cr_engine_next_deadline (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, G_MAXINT64);

  return MIN (MIN (_cr_engine_storage_next_deadline (self), _cr_engine_timers_next (self)),
              _cr_engine_moderation_deadline (self));
}

/* Deliver the owner's event, or pass on why the room made none. */
static gboolean
commit_or_refuse (CrEngine     *self,
                  CrEvent      *event,
                  CrReason      why,
                  CrEngineTime  now,
                  GPtrArray    *out,
                  CrReason     *reason)
{
  if (reason)
    *reason = why;
  if (event == NULL)
    return FALSE;
  _cr_engine_commit_event (self, event, now, out);
  return TRUE;
}

gboolean
cr_engine_owner_say (CrEngine     *self,
                     const char   *text,
                     CrEngineTime  now,
                     GPtrArray    *out,
                     CrReason     *reason)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason r = CR_REASON_NONE;

  g_return_val_if_fail (self != NULL, FALSE);

  event = cr_room_owner_say (self->room, self->owner_name, text, now.wall, &r);
  return commit_or_refuse (self, event, r, now, out, reason);
}

gboolean
cr_engine_announce (CrEngine     *self,
                    const char   *text,
                    CrEngineTime  now,
                    GPtrArray    *out,
                    CrReason     *reason)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason r = CR_REASON_NONE;

  g_return_val_if_fail (self != NULL, FALSE);

  event = cr_room_announce (self->room, text, now.wall, &r);
  return commit_or_refuse (self, event, r, now, out, reason);
}

void
cr_engine_set_room_name (CrEngine     *self,
                         const char   *name,
                         CrEngineTime  now,
                         GPtrArray    *out)
{
  GHashTableIter iter;
  CrEngineSession *session;
  g_autoptr(GBytes) members = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && *name != '\0');

  if (g_strcmp0 (cr_room_get_name (self->room), name) == 0)
    return;
  cr_room_set_name (self->room, name);

  /* Native members hear it (a classic member has no room name), all with
   * the same list. */
  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->dialect == CR_DIALECT_NATIVE && !session->closing && session->member_id != 0)
      {
        if (members == NULL)
          members = _cr_engine_members_body (self);
        _cr_engine_native_renamed (self, session, members, now.mono, out);
      }
}

gboolean
cr_engine_owner_act (CrEngine      *self,
                     CrOwnerAction  action,
                     const char    *name,
                     CrEngineTime   now,
                     GPtrArray     *out,
                     CrReason      *reason)
{
  g_autoptr(CrEvent) event = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *fold = NULL;
  guint32 removed = 0;
  CrReason r = CR_REASON_NONE;
  gint64 wall = now.wall;

  g_return_val_if_fail (self != NULL, FALSE);

  if (name == NULL || cr_name_validate (name, -1, &normalized) != CR_REASON_NONE)
    {
      if (reason)
        *reason = CR_REASON_NAME_INVALID;
      return FALSE;
    }
  fold = cr_name_fold (normalized);

  switch (action)
    {
    case CR_OWNER_KICK:
      event = cr_room_kick (self->room, normalized, wall, &removed, &r);
      break;
    case CR_OWNER_BAN:
      event = cr_room_ban (self->room, normalized, wall, &removed, &r);
      break;
    case CR_OWNER_UNBAN:
      event = cr_room_unban (self->room, normalized, wall, &r);
      break;
    case CR_OWNER_MUTE:
      event = cr_room_mute (self->room, normalized, wall, &r);
      break;
    case CR_OWNER_UNMUTE:
      event = cr_room_unmute (self->room, normalized, wall, &r);
      break;
    default:
      g_return_val_if_reached (FALSE);
    }

  if (event == NULL)
    return commit_or_refuse (self, NULL, r, now, out, reason);

  /* Written with the event, or kept with it while the disk fails. */
  if (action == CR_OWNER_BAN || action == CR_OWNER_UNBAN)
    _cr_engine_storage_queue_ban (self, fold, normalized, action == CR_OWNER_BAN);

  if (removed != 0)
    {
      CrEngineSession *session = g_hash_table_lookup (self->by_member,
                                                      GUINT_TO_POINTER (removed));

      if (session != NULL)
        _cr_engine_session_end (self, session,
                     action == CR_OWNER_BAN ? CR_REASON_BANNED : CR_REASON_KICKED, now, out);
    }
  return commit_or_refuse (self, event, r, now, out, reason);
}

void
cr_engine_close (CrEngine     *self,
                 CrEngineTime  now,
                 GPtrArray    *out)
{
  g_autoptr(CrEvent) event = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (self != NULL);

  /* Everyone reads the closing line, then gets a goodbye; a join waiting
   * for its hash gets the room's answer now. */
  _cr_engine_auth_close (self, out);
  event = cr_room_close (self->room, now.wall);
  _cr_engine_commit_event (self, event, now, out);

  sessions = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, value);
  for (guint i = 0; i < sessions->len; i++)
    _cr_engine_session_end (self, sessions->pdata[i], CR_REASON_ROOM_CLOSED, now, out);
}

gboolean
cr_engine_is_drained (CrEngine *self)
{
  GHashTableIter iter;
  CrEngineSession *session;

  g_return_val_if_fail (self != NULL, TRUE);

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (!session->closing || cr_reliable_get_unacked (session->rel) > 0)
      return FALSE;
  return TRUE;
}

gboolean
cr_engine_lookup_token (CrEngine    *self,
                        const char  *token,
                        char       **name,
                        CrRole      *role,
                        guint       *flags)
{
  CrEngineSession *session;
  const CrRoomMember *member;

  g_return_val_if_fail (self != NULL, FALSE);

  if (token == NULL || *token == '\0')
    return FALSE;
  session = g_hash_table_lookup (self->by_token, token);
  /* A closing session said goodbye: its token proves nothing any more. */
  if (session == NULL || session->closing || session->member_id == 0)
    return FALSE;
  member = cr_room_lookup (self->room, session->member_id);
  if (member == NULL)
    return FALSE;
  if (name != NULL)
    *name = g_strdup (member->name);
  if (role != NULL)
    *role = member->role;
  if (flags != NULL)
    *flags = member->flags;
  return TRUE;
}

void
cr_engine_file_event (CrEngine     *self,
                      CrEventKind   kind,
                      const char   *name,
                      const char   *text,
                      CrEngineTime  now,
                      GPtrArray    *out)
{
  g_autoptr(CrEvent) event = NULL;

  g_return_if_fail (self != NULL);

  event = cr_room_file_event (self->room, kind, name, text, now.wall);
  if (event != NULL)
    _cr_engine_commit_event (self, event, now, out);
}

GSocketAddress *
cr_engine_get_member_address (CrEngine *self,
                              guint32   member_id)
{
  CrEngineSession *session;

  g_return_val_if_fail (self != NULL, NULL);

  session = g_hash_table_lookup (self->by_member, GUINT_TO_POINTER (member_id));
  return session ? session->addr : NULL;
}

void
cr_engine_get_stats (CrEngine *self,
                     CrStats  *stats)
{
  GHashTableIter iter;
  CrEngineSession *session;

  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);
  *stats = self->stats;

  stats->queued_messages = stats->queued_bytes = 0;
  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (session->rel != NULL)
      {
        stats->queued_messages += cr_reliable_get_unacked (session->rel);
        stats->queued_bytes += cr_reliable_get_unacked_bytes (session->rel);
      }
}
