/* cr-client-native.c: the native dialect of a member's packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Once welcomed, the reliable layer (one CrReliable per room session, a
 * new one on each WELCOME) carries everything; room events are applied
 * once, by their room-wide sequence number, whatever path brought them
 * (history, live, resync after a reconnect).
 *
 * Lost answers while joining a room of ours (which speaks both dialects on
 * one port): when its PING came late, after our "N name" made us a classic
 * member, the native JOIN is refused NAME_TAKEN; "Q name" takes the classic
 * membership back and the repeated JOIN gets in.
 *
 * Sealing (cr-crypto.h) is a layer at the datagram boundary, under the
 * reliable layer: send_native() seals what goes out, and what comes in is
 * opened before anything is parsed (cr-client-native-receive.c). Every join and rejoin
 * starts with a fresh handshake (HELLO, KEY): nothing secret leaves before
 * the room proved the identity key we trust.
 */
#define G_LOG_DOMAIN "cr-client-native"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "cr-classic.h"
#include "cr-client-native-private.h"

#define PROBE_INTERVAL_US    (300 * G_TIME_SPAN_MILLISECOND)
#define REJOIN_MAX_US        (3 * G_TIME_SPAN_SECOND)
#define LEAVE_LINGER_US      (1 * G_TIME_SPAN_SECOND)

/* A fresh handshake: new ephemeral keys, the old session keys gone. */
void
_cr_client_native_start_handshake (Native *n)
{
  cr_handshake_init (&n->hs);
  cr_seal_clear (&n->seal);
  n->keyed = FALSE;
}

static gpointer
native_new (CrClientEngine *engine)
{
  Native *n = g_new0 (Native, 1);

  n->member_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  _cr_client_native_start_handshake (n);
  return n;
}

static void
native_free (gpointer state)
{
  Native *n = state;

  g_clear_pointer (&n->reliable, cr_reliable_free);
  g_ptr_array_unref (n->member_events);
  g_free (n->resume_token);
  cr_handshake_clear (&n->hs);
  cr_seal_clear (&n->seal);
  g_free (n);
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */

/* Every native datagram out but the probe. Before the room's key is
 * checked only HELLO goes out, in clear; then everything sealed (a JOIN,
 * session 0, with our ephemeral key beside it). */
static void
send_native (CrClientEngine *engine,
             Native         *n,
             GBytes         *datagram)
{
  g_autoptr(GBytes) sealed = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (datagram, &len);
  guint32 session;

  g_assert (len >= CR_HEADER_SIZE);

  if (engine->plaintext || data[3] == CR_PACKET_HELLO)
    {
      _cr_client_engine_send (engine, datagram);
      return;
    }
  if (!n->keyed)
    return;
  session = _cr_client_native_read_be32 (data + 8);
  sealed = cr_seal (&n->seal, session, session == 0 ? n->hs.public_key : NULL, data, len);
  if (sealed != NULL)
    _cr_client_engine_send (engine, sealed);
}

static void
send_sessionless (CrClientEngine *engine,
                  Native         *n,
                  CrPacketType    type,
                  GBytes         *body)
{
  /* The ack field of a JOIN carries the room's cookie (cr-protocol.h). */
  CrHeader header = { CR_PROTOCOL_VERSION, type, 0, 0, 0, n->cookie, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  datagram = cr_datagram_build (&header, data, len);
  send_native (engine, n, datagram);
}

void
_cr_client_native_send_unreliable (CrClientEngine *engine,
                                   Native         *n,
                                   CrPacketType    type)
{
  g_autoptr(GBytes) body = cr_body_empty ();
  g_autoptr(GBytes) datagram = NULL;

  if (n->reliable == NULL)
    return;
  datagram = cr_reliable_build_unreliable (n->reliable, n->session, type, body);
  send_native (engine, n, datagram);
}

/* JOIN is unreliable and sessionless: the first one, and on a rejoin (with
 * the resume token and the last event seen) a fresh start for the room. */
static void
send_join (CrClientEngine *engine,
           Native         *n)
{
  gboolean rejoin = n->resume_token != NULL;
  g_autoptr(GBytes) body = NULL;

  /* The password only goes out sealed to the room we trust. */
  if (!engine->plaintext && !n->keyed)
    {
      body = cr_body_hello (n->hs.public_key);
      send_sessionless (engine, n, CR_PACKET_HELLO, body);
      return;
    }

  body = cr_body_join (engine->join_name, engine->password,
                       n->resume_token ? n->resume_token : "",
                       rejoin ? FALSE : engine->do_register,
                       engine->last_seq, engine->owner_token);
  send_sessionless (engine, n, CR_PACKET_JOIN, body);
}

void
_cr_client_native_flush_reliable (CrClientEngine *engine,
                                  Native         *n,
                                  gint64          now)
{
  g_autoptr(GPtrArray) out = NULL;

  if (n->reliable == NULL)
    return;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  cr_reliable_flush (n->reliable, n->session, now, out);
  for (guint i = 0; i < out->len; i++)
    send_native (engine, n, out->pdata[i]);
}

void
_cr_client_native_queue_chat (CrClientEngine  *engine,
                              Native          *n,
                              CrClientPending *pending,
                              gint64           now)
{
  g_autoptr(GBytes) body = NULL;

  g_assert (n->reliable != NULL);

  body = cr_body_chat_full (pending->origin, pending->text, pending->reply_to, pending->to);
  cr_reliable_send (n->reliable, CR_PACKET_CHAT, body);
  pending->sent_at = now;
  _cr_client_engine_wake (engine);
}

gboolean
_cr_client_native_request (CrClientEngine *engine,
                           CrPacketType    type,
                           GBytes         *body)
{
  Native *n = engine->native;

  if (engine->state != CR_CLIENT_CONNECTED || engine->dialect != &cr_client_native_dialect ||
      n == NULL || n->reliable == NULL || !n->welcomed)
    return FALSE;
  cr_reliable_send (n->reliable, type, body);
  _cr_client_engine_wake (engine);
  return TRUE;
}

void
_cr_client_native_enter_reconnecting (CrClientEngine *engine,
                                      Native         *n,
                                      gint64          now)
{
  g_debug ("%s: lost the room (silent, or it forgot us): rejoining", engine->name);
  n->welcomed = FALSE;
  _cr_client_native_start_handshake (n);
  n->rejoin_interval = JOIN_INTERVAL_US;
  n->join_due = now;
  _cr_client_engine_set_state (engine, CR_CLIENT_RECONNECTING);
}

/* ------------------------------------------------------------------ */
/* Timers                                                             */

static gint64
tick_connecting (CrClientEngine *engine,
                 Native         *n,
                 gint64          now)
{
  if (!engine->native_seen)
    {
      if (now >= n->probe_due)
        {
          g_autoptr(GBytes) probe = g_bytes_new_static (CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));

          _cr_client_engine_send (engine, probe);
          n->probe_due = now + PROBE_INTERVAL_US;
        }
      return n->probe_due;
    }
  if (!n->welcomed)
    {
      if (now >= n->join_due)
        {
          send_join (engine, n);
          n->join_due = now + JOIN_INTERVAL_US;
        }
      return n->join_due;
    }
  _cr_client_native_flush_reliable (engine, n, now);
  return G_MAXINT64;
}

static gint64
tick_connected (CrClientEngine *engine,
                Native         *n,
                gint64          now)
{
  gint64 next;

  if (now - n->last_heard >= engine->silence_us)
    {
      _cr_client_native_enter_reconnecting (engine, n, now);
      return now;
    }

  _cr_client_native_flush_reliable (engine, n, now);
  if (now - engine->last_sent >= engine->keepalive_us)
    _cr_client_native_send_unreliable (engine, n, CR_PACKET_PING);

  next = _cr_client_engine_expire_pending (engine, now);
  next = MIN (next, engine->last_sent + engine->keepalive_us);
  next = MIN (next, n->last_heard + engine->silence_us);
  return next;
}

static gint64
tick_reconnecting (CrClientEngine *engine,
                   Native         *n,
                   gint64          now)
{
  if (n->welcomed)
    {
      /* Welcomed again, waiting for the resync to end with MEMBERS. */
      if (now - n->last_heard >= engine->silence_us)
        {
          _cr_client_native_enter_reconnecting (engine, n, now);
          return now;
        }
      _cr_client_native_flush_reliable (engine, n, now);
      return n->last_heard + engine->silence_us;
    }

  /* Keys the room can no longer derive (cr-crypto.h): a new handshake. */
  if (n->keyed && now - n->keyed_at >= CR_HANDSHAKE_ROTATE_US)
    _cr_client_native_start_handshake (n);
  if (now >= n->join_due)
    {
      send_join (engine, n);
      n->join_due = now + n->rejoin_interval;
      n->rejoin_interval = MIN (n->rejoin_interval * 2, REJOIN_MAX_US);
    }
  return n->join_due;
}

static gint64
tick_leaving (CrClientEngine *engine,
              Native         *n,
              gint64          now)
{
  if (n->reliable == NULL || cr_reliable_get_unacked (n->reliable) == 0 ||
      now >= n->leave_deadline)
    {
      _cr_client_engine_close (engine, CR_REASON_NONE);
      return G_MAXINT64;
    }
  _cr_client_native_flush_reliable (engine, n, now);
  return n->leave_deadline;
}

static gint64
native_tick (CrClientEngine *engine,
             gpointer        state,
             gint64          now)
{
  Native *n = state;
  gint64 next = G_MAXINT64;

  switch (engine->state)
    {
    case CR_CLIENT_CONNECTING:
      next = tick_connecting (engine, n, now);
      break;

    case CR_CLIENT_CONNECTED:
      next = tick_connected (engine, n, now);
      break;

    case CR_CLIENT_RECONNECTING:
      next = tick_reconnecting (engine, n, now);
      break;

    case CR_CLIENT_LEAVING:
      next = tick_leaving (engine, n, now);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }

  /* What the reliable layer wants next (an ack owed, data in the window,
   * a retransmission), while a session is in use. */
  if (n->reliable != NULL &&
      (engine->state == CR_CLIENT_CONNECTED || engine->state == CR_CLIENT_LEAVING ||
       (n->welcomed && engine->state != CR_CLIENT_CLOSED)))
    next = MIN (next, cr_reliable_next_deadline (n->reliable));
  return next;
}

/* ------------------------------------------------------------------ */
/* Calls                                                              */

static gboolean
native_send_text (CrClientEngine *engine,
                  gpointer        state,
                  guint64         origin,
                  const char     *text,
                  gint64          now)
{
  Native *n = state;
  CrClientPending *pending = g_new0 (CrClientPending, 1);

  pending->origin = origin;
  pending->text = g_strdup (text);
  pending->reply_to = engine->compose_reply_to;
  pending->to = g_strdup (engine->compose_to);
  g_ptr_array_add (engine->pending, pending);
  if (!g_hash_table_contains (engine->own_origins, &origin))
    g_hash_table_add (engine->own_origins, g_memdup2 (&origin, sizeof origin));
  if (engine->state == CR_CLIENT_CONNECTED)
    _cr_client_native_queue_chat (engine, n, pending, now);
  return TRUE;
}

static void
native_leave (CrClientEngine *engine,
              gpointer        state,
              gint64          now)
{
  Native *n = state;
  g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");

  if (engine->state == CR_CLIENT_CONNECTED)
    {
      cr_reliable_send (n->reliable, CR_PACKET_BYE, bye);
      n->leave_deadline = now + LEAVE_LINGER_US;
      _cr_client_engine_set_state (engine, CR_CLIENT_LEAVING);
      _cr_client_native_flush_reliable (engine, n, now);
      return;
    }

  /* RECONNECTING: the room is not listening, or not to this session: one
   * goodbye on the old one, for a room that was merely slow, then done. */
  if (n->reliable != NULL)
    {
      cr_reliable_send (n->reliable, CR_PACKET_BYE, bye);
      _cr_client_native_flush_reliable (engine, n, now);
    }
  _cr_client_engine_close (engine, CR_REASON_NONE);
}

static CrReason
native_join_timeout (CrClientEngine  *engine,
                     gpointer         state,
                     char           **detail)
{
  *detail = NULL;
  return CR_REASON_NONE;
}

const CrClientDialect cr_client_native_dialect = {
  .dialect = CR_DIALECT_NATIVE,
  .new = native_new,
  .free = native_free,
  .receive = _cr_client_native_receive,
  .tick = native_tick,
  .send_text = native_send_text,
  .leave = native_leave,
  .join_timeout = native_join_timeout,
};

GSocketAddress *
cr_client_engine_get_room_address (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->room;
}

const char *
cr_client_engine_get_file_token (CrClientEngine *self)
{
  Native *n;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->dialect != &cr_client_native_dialect || self->native == NULL)
    return NULL;
  n = self->native;
  return n->welcomed ? n->resume_token : NULL;
}
