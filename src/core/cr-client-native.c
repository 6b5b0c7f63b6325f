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
 * reliable layer: send_native() seals what goes out, native_receive()
 * opens what comes in before anything is parsed. Every join and rejoin
 * starts with a fresh handshake (HELLO, KEY): nothing secret leaves before
 * the room proved the identity key we trust.
 */
#define G_LOG_DOMAIN "cr-client-native"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "cr-classic.h"
#include "cr-crypto.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-client-dialect.h"

#define PROBE_INTERVAL_US    (300 * G_TIME_SPAN_MILLISECOND)
#define JOIN_INTERVAL_US     (500 * G_TIME_SPAN_MILLISECOND)
#define REJOIN_MAX_US        (3 * G_TIME_SPAN_SECOND)
#define LEAVE_LINGER_US      (1 * G_TIME_SPAN_SECOND)
#define ROOM_NAME_MAX        1024
#define TOKEN_MAX            256
#define DETAIL_MAX           256

typedef struct
{
  CrReliable *reliable;
  guint32     session;
  guint32     cookie;          /* the room's answer to the probe, for JOIN */
  gboolean    welcomed;        /* a WELCOME opened the current session */
  gboolean    identified;      /* and it was one we could accept */
  char       *resume_token;
  gboolean    have_members;
  guint64     members_seq;
  GPtrArray  *member_events;   /* CrEvent*: seen before the MEMBERS list */
  guint       classic_undos;

  gint64      probe_due;
  gint64      join_due;
  gint64      rejoin_interval;
  gint64      leave_deadline;
  gint64      last_heard;

  CrHandshake hs;              /* this join's ephemeral key pair */
  gboolean    keyed;           /* the room's KEY checked: seal has the keys */
  gint64      keyed_at;
  CrSeal      seal;
} Native;

/* A fresh handshake: new ephemeral keys, the old session keys gone. */
static void
start_handshake (Native *n)
{
  cr_handshake_init (&n->hs);
  cr_seal_clear (&n->seal);
  n->keyed = FALSE;
}

static guint32
read_be32 (const guint8 *in)
{
  return ((guint32) in[0] << 24) | ((guint32) in[1] << 16) |
         ((guint32) in[2] << 8) | (guint32) in[3];
}

static gpointer
native_new (CrClientEngine *engine)
{
  Native *n = g_new0 (Native, 1);

  n->member_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  start_handshake (n);
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

/* A reason number from the room: one we know, or "the room failed". */
static CrReason
wire_reason (guint32 reason)
{
  return reason <= CR_REASON_LAST ? (CrReason) reason : CR_REASON_INTERNAL;
}

/* A refusal's detail is shown next to its reason: only a short plain line. */
static const char *
wire_detail (const char *detail)
{
  if (strlen (detail) > DETAIL_MAX || cr_text_validate (detail, -1) != CR_REASON_NONE ||
      strchr (detail, '\n') != NULL)
    return NULL;
  return detail;
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
  session = read_be32 (data + 8);
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

static void
send_unreliable (CrClientEngine *engine,
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

static void
flush_reliable (CrClientEngine *engine,
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

static void
queue_chat (CrClientEngine  *engine,
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

static void
enter_reconnecting (CrClientEngine *engine,
                    Native         *n,
                    gint64          now)
{
  g_debug ("%s: lost the room (silent, or it forgot us): rejoining", engine->name);
  n->welcomed = FALSE;
  start_handshake (n);
  n->rejoin_interval = JOIN_INTERVAL_US;
  n->join_due = now;
  _cr_client_engine_set_state (engine, CR_CLIENT_RECONNECTING);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */

static gboolean
event_changes_members (CrEventKind kind)
{
  switch (kind)
    {
    case CR_EVENT_JOIN:
    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    case CR_EVENT_ROOM_CLOSED:
    case CR_EVENT_ADMIN:
    case CR_EVENT_UNADMIN:
      return TRUE;

    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
    case CR_EVENT_UNBAN:
    default:
      return FALSE;
    }
}

/* event: parsed by cr_event_parse, NULL when its extras were refused. */
static void
handle_event (CrClientEngine *engine,
              Native         *n,
              CrEvent        *parsed)
{
  g_autoptr(CrEvent) event = parsed;

  if (event == NULL || !_cr_client_engine_event_valid (event))
    {
      g_debug ("Dropping an event the room could not have sent (kind %u)",
               event != NULL ? event->kind : 0);
      engine->stats.rejected++;
      return;
    }
  if (event->seq <= engine->last_seq)
    {
      engine->stats.stale++;
      return;
    }
  engine->last_seq = event->seq;

  if (event_changes_members (event->kind))
    {
      if (n->have_members)
        {
          if (event->seq > n->members_seq)
            _cr_client_engine_apply_member_event (engine, event);
        }
      else if (n->member_events->len < CR_CLIENT_MEMBERS_MAX)
        g_ptr_array_add (n->member_events, cr_event_copy (event));
      else
        engine->stats.rejected++;
    }

  /* History replayed at join is not news; a resync after a reconnect is. */
  _cr_client_engine_show_event (engine, g_steal_pointer (&event), FALSE,
                                engine->state != CR_CLIENT_CONNECTING);
}

static void
handle_welcome (CrClientEngine *engine,
                Native         *n,
                GVariant       *body)
{
  g_autofree char *normalized = NULL;
  const char *room_name, *your_name, *token;
  guint32 role;
  guint64 latest;

  g_variant_get (body, "(&s&s&sut)", &room_name, &your_name, &token, &role, &latest);

  /* Welcomed already in this session: the room was renamed
   * (cr_engine_set_room_name). Only the name changes; the member list
   * that follows is a snapshot like any other. */
  if (n->identified && engine->state == CR_CLIENT_CONNECTED)
    {
      if (strlen (room_name) > ROOM_NAME_MAX ||
          (*room_name != '\0' && cr_text_validate (room_name, -1) != CR_REASON_NONE) ||
          g_strcmp0 (your_name, engine->join_name) != 0)
        {
          engine->stats.rejected++;
          return;
        }
      _cr_client_engine_set_identity (engine, &cr_client_native_dialect, your_name, room_name,
                                      engine->role);
      return;
    }

  if (cr_name_validate (your_name, -1, &normalized) != CR_REASON_NONE ||
      strcmp (normalized, your_name) != 0 ||
      strlen (room_name) > ROOM_NAME_MAX ||
      (*room_name != '\0' && cr_text_validate (room_name, -1) != CR_REASON_NONE) ||
      strlen (token) > TOKEN_MAX ||
      (role != CR_ROLE_MEMBER && role != CR_ROLE_OWNER && role != CR_ROLE_ADMIN))
    {
      g_debug ("Dropping a WELCOME we cannot take (name “%s”)", your_name);
      engine->stats.rejected++;
      return;
    }

  _cr_client_engine_set_identity (engine, &cr_client_native_dialect, your_name, room_name,
                                  (CrRole) role);
  n->identified = TRUE;

  /* A room whose numbering went back (it lost history in a crash) would
   * have us ignore everything it says until it caught up: follow it. */
  if (latest < engine->last_seq)
    {
      g_debug ("The room is at seq %" G_GUINT64_FORMAT ", we saw %" G_GUINT64_FORMAT,
               latest, engine->last_seq);
      engine->last_seq = latest;
    }

  g_free (n->resume_token);
  n->resume_token = g_strdup (token);
  /* Our canonical name from now on, also for rejoining. */
  g_free (engine->join_name);
  engine->join_name = g_strdup (your_name);

  n->have_members = FALSE;
  g_ptr_array_set_size (n->member_events, 0);
}

static void
handle_members (CrClientEngine *engine,
                Native         *n,
                GVariant       *body,
                gint64          now)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *name;
  guint32 role, flags;
  guint64 snapshot;
  gsize n_members;

  if (!n->identified)
    {
      engine->stats.rejected++;
      return;
    }

  g_variant_get (body, "(ta(suu))", &snapshot, &iter);
  n_members = g_variant_iter_n_children (iter);
  if (n_members > CR_CLIENT_MEMBERS_MAX)
    {
      g_debug ("Dropping a list of %" G_GSIZE_FORMAT " members", n_members);
      engine->stats.rejected++;
      return;
    }
  list = g_ptr_array_new_full (n_members, (GDestroyNotify) cr_client_member_free);
  while (g_variant_iter_next (iter, "(&suu)", &name, &role, &flags))
    {
      CrClientMember *member = g_new0 (CrClientMember, 1);

      member->name = g_strdup (name);
      member->role = role;
      member->flags = flags & (CR_MEMBER_REGISTERED | CR_MEMBER_MUTED | CR_MEMBER_CLASSIC);
      g_ptr_array_add (list, member);
    }
  if (!_cr_client_engine_set_members (engine, g_steal_pointer (&list)))
    return;

  n->members_seq = snapshot;
  n->have_members = TRUE;

  /* Events that overtook the list (none with the current room, which
   * sends MEMBERS at the seq it has reached; cheap insurance). */
  for (guint i = 0; i < n->member_events->len; i++)
    {
      CrEvent *event = n->member_events->pdata[i];

      if (event->seq > snapshot)
        _cr_client_engine_apply_member_event (engine, event);
    }
  g_ptr_array_set_size (n->member_events, 0);

  if (engine->state == CR_CLIENT_CONNECTING)
    _cr_client_engine_complete_join (engine);
  else if (engine->state == CR_CLIENT_RECONNECTING)
    {
      /* The resync is complete: what is still pending never reached the
       * room (its EVENT would have come with the resync). Send it again,
       * in the order it was typed, with the same origins. */
      _cr_client_engine_set_state (engine, CR_CLIENT_CONNECTED);
      for (guint i = 0; i < engine->pending->len; i++)
        queue_chat (engine, n, engine->pending->pdata[i], now);
    }
}

gboolean
_cr_client_native_send_manage (CrClientEngine *engine,
                               GBytes         *body,
                               gint64          now)
{
  Native *n = engine->native;

  if (engine->dialect != &cr_client_native_dialect || n == NULL || n->reliable == NULL)
    return FALSE;
  cr_reliable_send (n->reliable, CR_PACKET_MANAGE, body);
  _cr_client_engine_wake (engine);
  return TRUE;
}

static void
handle_notice (CrClientEngine *engine,
               GVariant       *body)
{
  CrClientPending *pending;
  guint32 reason;
  guint64 origin;

  g_variant_get (body, "(ut)", &reason, &origin);
  if (_cr_client_conversation_notice (engine, origin, wire_reason (reason)))
    return;
  pending = _cr_client_engine_take_pending (engine, origin);
  if (pending == NULL && _cr_client_moderation_notice (engine, origin, wire_reason (reason)))
    return;
  if (pending == NULL)
    {
      engine->stats.stale++;
      return;
    }
  _cr_client_engine_failed (engine, origin, wire_reason (reason));
  _cr_client_pending_free (pending);
}

static void
handle_bye (CrClientEngine *engine,
            Native         *n,
            GVariant       *body,
            gint64          now)
{
  guint32 reason;
  const char *detail;

  g_variant_get (body, "(u&s)", &reason, &detail);
  g_debug ("%s: the room said goodbye: %u", engine->name, reason);

  /* Ack it now, undelayed: the room waits for that before it forgets us. */
  cr_reliable_ack_now (n->reliable);
  flush_reliable (engine, n, now);

  if (engine->state == CR_CLIENT_CONNECTING)
    _cr_client_engine_fail_join (engine, wire_reason (reason), wire_detail (detail));
  else if (engine->state == CR_CLIENT_LEAVING)
    _cr_client_engine_close (engine, CR_REASON_NONE);
  else
    _cr_client_engine_close (engine, wire_reason (reason));
}

static void
handle_refuse (CrClientEngine *engine,
               Native         *n,
               const guint8   *body,
               gsize           body_len,
               gint64          now)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_REFUSE, body, body_len);
  guint32 wire;
  const char *detail;
  CrReason reason;

  if (v == NULL)
    {
      engine->stats.malformed++;
      return;
    }
  g_variant_get (v, "(u&s)", &wire, &detail);
  reason = wire_reason (wire);
  g_debug ("%s: refused: %u", engine->join_name, wire);

  switch (engine->state)
    {
    case CR_CLIENT_CONNECTING:
      /* The room answered the probe late, after our "N name": it may have
       * made us a classic member under that name, and now refuses the
       * native JOIN for it. Take the classic membership back ("Q name" from
       * our own address, which a native room honours) and let the JOIN
       * that is repeated every 500 ms try again. */
      if (reason == CR_REASON_NAME_TAKEN && engine->classic_sent && engine->native_seen &&
          n->classic_undos < 3)
        {
          g_autoptr(GBytes) quit = cr_classic_quit (engine->join_name);

          n->classic_undos++;
          _cr_client_engine_send (engine, quit);
          break;
        }
      _cr_client_engine_fail_join (engine, reason, wire_detail (detail));
      break;

    case CR_CLIENT_CONNECTED:
      /* The room restarted or dropped us: join again at once. */
      if (reason == CR_REASON_TIMED_OUT)
        enter_reconnecting (engine, n, now);
      else
        engine->stats.stale++;
      break;

    case CR_CLIENT_RECONNECTING:
      if (reason != CR_REASON_TIMED_OUT && reason != CR_REASON_RATE_LIMITED)
        _cr_client_engine_close (engine, reason);
      break;

    case CR_CLIENT_LEAVING:
      _cr_client_engine_close (engine, CR_REASON_NONE);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CLOSED:
    default:
      engine->stats.stale++;
      break;
    }
}

static void
handle_body (CrClientEngine *engine,
             Native         *n,
             CrPacketType    type,
             GVariant       *body,
             gint64          now)
{
  switch (type)
    {
    case CR_PACKET_WELCOME:
      handle_welcome (engine, n, body);
      break;

    case CR_PACKET_MEMBERS:
      handle_members (engine, n, body, now);
      break;

    case CR_PACKET_NOTICE:
      handle_notice (engine, body);
      break;

    case CR_PACKET_BYE:
      handle_bye (engine, n, body, now);
      break;

    case CR_PACKET_PAGE:
    case CR_PACKET_RESULTS:
      _cr_client_conversation_receive (engine, type, body);
      break;

    case CR_PACKET_STATE:
      _cr_client_moderation_state (engine, body);
      break;

    case CR_PACKET_EVENT:       /* handle_delivery's, read without a GVariant */
    case CR_PACKET_JOIN:
    case CR_PACKET_REFUSE:
    case CR_PACKET_CHAT:
    case CR_PACKET_PING:
    case CR_PACKET_ACK:
    default:
      engine->stats.rejected++;
      break;
    }
}

/* A BATCH is taken whole or not at all (cr-protocol.h): its events, in
 * order, as if each had come alone. */
static void
handle_batch (CrClientEngine *engine,
              Native         *n,
              const guint8   *data,
              gsize           len)
{
  g_autoptr(GPtrArray) events = NULL;
  CrParseResult result = cr_batch_parse_events (data, len, &events);

  if (result != CR_PARSE_OK)
    {
      g_debug ("Dropping a BATCH: %s", cr_parse_result_to_string (result));
      engine->stats.malformed++;
      return;
    }
  for (guint i = 0; i < events->len; i++)
    handle_event (engine, n, g_steal_pointer (&events->pdata[i]));
}

static void
handle_delivery (CrClientEngine *engine,
                 Native         *n,
                 CrDelivery     *delivery,
                 gint64          now)
{
  g_autoptr(GVariant) body = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (delivery->body, &len);

  if (delivery->type == CR_PACKET_BATCH)
    {
      handle_batch (engine, n, data, len);
      return;
    }
  if (delivery->type == CR_PACKET_EVENT)
    {
      CrEvent *event = NULL;

      if (cr_event_parse (data, len, &event) != CR_PARSE_OK)
        {
          g_debug ("Dropping a malformed EVENT body");
          engine->stats.malformed++;
          return;
        }
      handle_event (engine, n, event);
      return;
    }

  body = cr_body_parse (delivery->type, data, len);
  if (body == NULL)
    {
      g_debug ("Dropping a malformed %u body", delivery->type);
      engine->stats.malformed++;
      return;
    }
  handle_body (engine, n, delivery->type, body, now);
}

/* The room's KEY: its signature checked, then its identity against the
 * key we trust, and only then the session keys taken. */
static void
handle_key (CrClientEngine *engine,
            Native         *n,
            const guint8   *body,
            gsize           body_len,
            gint64          now)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_KEY, body, body_len);
  const guint8 *room_ephemeral, *identity, *signature;
  CrSeal seal;

  if (v == NULL || !cr_key_from_body (v, &room_ephemeral, &identity, &signature))
    {
      engine->stats.malformed++;
      return;
    }
  if (n->keyed || n->welcomed ||
      (engine->state != CR_CLIENT_CONNECTING && engine->state != CR_CLIENT_RECONNECTING))
    {
      engine->stats.stale++;
      return;
    }
  if (!cr_handshake_finish (&n->hs, room_ephemeral, identity, signature, &seal))
    {
      g_debug ("Dropping a KEY whose signature does not hold");
      engine->stats.unopened++;
      return;
    }
  if (!_cr_client_engine_check_key (engine, identity))
    {
      cr_seal_clear (&seal);
      return;
    }
  n->seal = seal;
  n->keyed = TRUE;
  n->keyed_at = now;
  /* The public half stays: it goes beside every sealed JOIN. */
  sodium_memzero (n->hs.secret_key, sizeof n->hs.secret_key);
  n->join_due = now;
  _cr_client_engine_wake (engine);
}

static void
handle_sessionless (CrClientEngine *engine,
                    Native         *n,
                    const CrHeader *header,
                    const guint8   *body,
                    gsize           body_len,
                    gint64          now)
{
  CrClientState state = engine->state;

  /* The answer to the probe (or to a JOIN with a stale cookie: the room
   * restarted), or a refusal of a JOIN. */
  if (header->type == CR_PACKET_PING)
    {
      if (header->ack != n->cookie && engine->native_seen && !n->welcomed &&
          (state == CR_CLIENT_CONNECTING || state == CR_CLIENT_RECONNECTING))
        {
          /* A new cookie: the room restarted, and its handshake with it. */
          if (n->keyed)
            start_handshake (n);
          n->join_due = now;
          _cr_client_engine_wake (engine);
        }
      n->cookie = header->ack;
      if (state == CR_CLIENT_CONNECTING && !engine->native_seen)
        {
          engine->native_seen = TRUE;
          n->last_heard = now;
          n->join_due = now;
          _cr_client_engine_wake (engine);
        }
    }
  else if (header->type == CR_PACKET_REFUSE)
    handle_refuse (engine, n, body, body_len, now);
  else
    engine->stats.spoofed++;
}

static void
native_receive (CrClientEngine *engine,
                gpointer        state,
                const guint8   *data,
                gsize           len,
                gint64          now)
{
  Native *n = state;
  g_autoptr(GPtrArray) deliveries = NULL;
  g_autoptr(GBytes) opened = NULL;
  const guint8 *body;
  gsize body_len;
  CrHeader header;
  CrParseResult result;
  gboolean sealed = len >= 4 && data[3] == CR_PACKET_SEALED;

  /* Opened before anything is parsed; what does not open is dropped. */
  if (sealed)
    {
      guint32 outer = 0;

      if (engine->plaintext || !n->keyed || !cr_sealed_peek (data, len, &outer, NULL, NULL))
        {
          engine->stats.unopened++;
          return;
        }
      switch (cr_seal_open (&n->seal, data, len, &opened))
        {
        case CR_OPEN_OK:
          break;
        case CR_OPEN_REPLAYED:
          engine->stats.replayed++;
          return;
        case CR_OPEN_MALFORMED:
        case CR_OPEN_FAILED:
        default:
          engine->stats.unopened++;
          return;
        }
      data = g_bytes_get_data (opened, &len);
      if (len < CR_HEADER_SIZE || read_be32 (data + 8) != outer)
        {
          engine->stats.malformed++;
          return;
        }
    }

  result = cr_header_parse (data, len, &header, &body, &body_len);
  if (result != CR_PARSE_OK)
    {
      g_debug ("Dropping a datagram: %s", cr_parse_result_to_string (result));
      engine->stats.malformed++;
      return;
    }

  if (header.type == CR_PACKET_HELLO || header.type == CR_PACKET_KEY)
    {
      if (header.type == CR_PACKET_KEY && header.session == 0 && !sealed &&
          !engine->plaintext)
        handle_key (engine, n, body, body_len, now);
      else
        engine->stats.malformed++;
      return;
    }
  /* In clear, a room only answers the probe and refuses. */
  if (!sealed && !engine->plaintext && header.type != CR_PACKET_REFUSE &&
      !(header.type == CR_PACKET_PING && header.session == 0))
    {
      engine->stats.unsealed++;
      return;
    }

  if (header.session == 0)
    {
      handle_sessionless (engine, n, &header, body, body_len, now);
      return;
    }

  /* A WELCOME starts a session: the first one, or a new one after a
   * rejoin (a new id, or the same id with its numbers starting again). */
  if (header.type == CR_PACKET_WELCOME &&
      (engine->state == CR_CLIENT_CONNECTING || engine->state == CR_CLIENT_RECONNECTING) &&
      (header.session != n->session || (!n->welcomed && header.number == 1)))
    {
      g_clear_pointer (&n->reliable, cr_reliable_free);
      n->reliable = cr_reliable_new ();
      n->session = header.session;
      engine->session = header.session;
      n->welcomed = TRUE;
      n->identified = FALSE;
      engine->native_seen = TRUE;
    }

  if (header.session != n->session || n->reliable == NULL)
    {
      g_debug ("Dropping a packet of session %08x (ours: %08x)", header.session, n->session);
      engine->stats.spoofed++;
      return;
    }

  if (header.type == CR_PACKET_REFUSE)
    {
      handle_refuse (engine, n, body, body_len, now);
      return;
    }

  n->last_heard = now;
  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  if (!cr_reliable_receive (n->reliable, &header, body, body_len, now, deliveries))
    engine->stats.stale++;

  if (engine->state == CR_CLIENT_CLOSED)
    {
      /* Only acks now, for a room that repeats its goodbye. */
      if ((header.flags & CR_FLAG_RELIABLE) != 0)
        send_unreliable (engine, n, CR_PACKET_ACK);
      return;
    }

  for (guint i = 0; i < deliveries->len; i++)
    {
      handle_delivery (engine, n, deliveries->pdata[i], now);
      if (engine->state == CR_CLIENT_CLOSED)
        return;
    }

  if (header.type == CR_PACKET_PING)
    send_unreliable (engine, n, CR_PACKET_ACK);
  _cr_client_engine_wake (engine);
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
  flush_reliable (engine, n, now);
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
      enter_reconnecting (engine, n, now);
      return now;
    }

  flush_reliable (engine, n, now);
  if (now - engine->last_sent >= engine->keepalive_us)
    send_unreliable (engine, n, CR_PACKET_PING);

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
          enter_reconnecting (engine, n, now);
          return now;
        }
      flush_reliable (engine, n, now);
      return n->last_heard + engine->silence_us;
    }

  /* Keys the room can no longer derive (cr-crypto.h): a new handshake. */
  if (n->keyed && now - n->keyed_at >= CR_HANDSHAKE_ROTATE_US)
    start_handshake (n);
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
  flush_reliable (engine, n, now);
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
    queue_chat (engine, n, pending, now);
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
      flush_reliable (engine, n, now);
      return;
    }

  /* RECONNECTING: the room is not listening, or not to this session: one
   * goodbye on the old one, for a room that was merely slow, then done. */
  if (n->reliable != NULL)
    {
      cr_reliable_send (n->reliable, CR_PACKET_BYE, bye);
      flush_reliable (engine, n, now);
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
  .receive = native_receive,
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
