/* cr-client-native-receive.c: what the room sends a native member
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every datagram from the room, opened (cr-crypto.h) before anything is
 * parsed: the sessionless answers (PING to the probe, KEY, REFUSE), then
 * on the reliable channel WELCOME, MEMBERS, EVENT and BATCH, NOTICE, BYE.
 * Room events are applied once, by their room-wide sequence number. The
 * dialect's sending, timers and calls are in cr-client-native.c.
 */
#define G_LOG_DOMAIN "cr-client-native"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "cr-classic.h"
#include "cr-client-native-private.h"

#define ROOM_NAME_MAX        1024
#define TOKEN_MAX            256
#define DETAIL_MAX           256

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
        _cr_client_native_queue_chat (engine, n, engine->pending->pdata[i], now);
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
  _cr_client_native_flush_reliable (engine, n, now);

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
        _cr_client_native_enter_reconnecting (engine, n, now);
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
            _cr_client_native_start_handshake (n);
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

void
_cr_client_native_receive (CrClientEngine *engine,
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
      if (len < CR_HEADER_SIZE || _cr_client_native_read_be32 (data + 8) != outer)
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
        _cr_client_native_send_unreliable (engine, n, CR_PACKET_ACK);
      return;
    }

  for (guint i = 0; i < deliveries->len; i++)
    {
      handle_delivery (engine, n, deliveries->pdata[i], now);
      if (engine->state == CR_CLIENT_CLOSED)
        return;
    }

  if (header.type == CR_PACKET_PING)
    _cr_client_native_send_unreliable (engine, n, CR_PACKET_ACK);
  _cr_client_engine_wake (engine);
}
