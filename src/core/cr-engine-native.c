/* cr-engine-native.c: the engine's native dialect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A native datagram is a header (cr-protocol.h) and a body. Sessionless:
 * the JOIN (checked against the address cookie, then the room, then the
 * account: cr-engine-auth.c) and its answers, the probe's PING and REFUSE.
 * Within a session: the reliable channel's deliveries (CHAT, BYE), acks and
 * pings. A member who comes back with its resume token keeps its
 * membership, with no leave or join line.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-engine-private.h"

#define RESYNC_MAX          5000        /* events replayed on a reconnect */

void
_cr_engine_refuse (CrEngine       *self,
                   GPtrArray      *out,
                   GSocketAddress *to,
                   CrReason        reason)
{
  g_autoptr(GBytes) body = cr_body_refuse (reason, "");

  _cr_engine_emit_bare (self, out, to, 0, 0, CR_PACKET_REFUSE, body);
}

/* The room's member list as one MEMBERS body, at the seq it has reached.
 * Up to max_members names: made once and shared by every member that
 * needs it at that point (a read's newcomers, a rename), never once each. */
GBytes *
_cr_engine_members_body (CrEngine *self)
{
  g_autoptr(GPtrArray) members = cr_room_list_members (self->room);
  CrMembersBuilder *builder = cr_members_builder_new (cr_room_get_last_seq (self->room));

  for (guint i = 0; i < members->len; i++)
    {
      const CrRoomMember *m = members->pdata[i];
      cr_members_builder_add (builder, m->name, m->role, m->flags);
    }
  return cr_members_builder_end (builder);
}

/* What a builder gathered: its one event as an EVENT, or a BATCH. Takes
 * the builder and first (its first item's body). */
static void
send_gathered (CrEngineSession *session,
               CrBatchBuilder  *builder,
               GBytes          *first)
{
  if (cr_batch_builder_get_n_items (builder) == 1)
    {
      cr_reliable_send (session->rel, CR_PACKET_EVENT, first);
      cr_batch_builder_free (builder);
    }
  else
    {
      g_autoptr(GBytes) batch = cr_batch_builder_end (builder);
      cr_reliable_send (session->rel, CR_PACKET_BATCH, batch);
    }
  g_bytes_unref (first);
}

/* The history of a welcome, packed as the fan-out packs a read's events
 * (cr-engine.c): BATCHes as full as a datagram takes. 50 events were 50
 * reliable messages, each a packet to hold and a datagram to seal and
 * send; they are a handful now. */
static void
queue_history (CrEngineSession    *session,
               const CrRoomMember *member,
               GPtrArray          *events,
               guint64             resume_seq,
               gboolean            resumed)
{
  CrBatchBuilder *builder = NULL;
  GBytes *first = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      CrEvent *event = events->pdata[i];
      GBytes *body;

      if (!resumed && event->seq <= resume_seq)
        continue;   /* it has those */
      if (!cr_event_visible_to (event, member->name))
        continue;   /* someone else's private message */
      body = cr_body_event (event);
      if (builder != NULL && cr_batch_builder_add (builder, CR_PACKET_EVENT, body))
        {
          g_bytes_unref (body);
          continue;
        }
      /* Full, or nothing gathered yet: this one starts the next packet. */
      if (builder != NULL)
        send_gathered (session, g_steal_pointer (&builder), g_steal_pointer (&first));
      builder = cr_batch_builder_new ();
      first = body;
      if (!cr_batch_builder_add (builder, CR_PACKET_EVENT, body))
        {
          /* Too long to share a datagram (a long text): alone, in fragments. */
          g_clear_pointer (&builder, cr_batch_builder_free);
          cr_reliable_send (session->rel, CR_PACKET_EVENT, body);
          g_clear_pointer (&first, g_bytes_unref);
        }
    }
  if (builder != NULL)
    send_gathered (session, builder, first);
}

/* Welcome a native session: WELCOME and the history now, the member list
 * and the room's state when the read ends (_cr_engine_welcome_flush): the
 * read's newcomers share one list, made once, with everyone in it; the
 * joins of the same read that come after a newcomer's then reach it as
 * events, which its client shows without applying them twice (they are
 * not newer than the list). Only a member that resumed (its token
 * checked) gets everything after resume_seq; any other join gets at most
 * the room's usual history, so resume_seq alone is no way to make the
 * room send more. */
static void
send_welcome (CrEngine        *self,
              CrEngineSession *session,
              guint64          resume_seq,
              gboolean         resumed,
              CrEngineTime     now,
              GPtrArray       *out)
{
  const CrRoomMember *member = cr_room_lookup (self->room, session->member_id);
  guint64 last_seq = cr_room_get_last_seq (self->room);
  g_autoptr(GBytes) welcome = NULL;
  g_autoptr(GPtrArray) events = NULL;

  welcome = cr_body_welcome (cr_room_get_name (self->room), member->name,
                             session->resume_token, member->role, last_seq);
  cr_reliable_send (session->rel, CR_PACKET_WELCOME, welcome);

  if (resume_seq > 0 && resumed)
    events = _cr_engine_history (self, resume_seq, RESYNC_MAX);
  else
    events = _cr_engine_history (self, 0, self->config.history_length);
  queue_history (session, member, events, resume_seq, resumed);

  session->members_owed = TRUE;
  g_array_append_val (self->welcoming, session->id);
  _cr_engine_session_flush (self, session, now.mono, out);
  /* Outside a read (a join whose password hash just finished): now. */
  _cr_engine_storage_committed (self, now, out);
}

void
_cr_engine_welcome_flush (CrEngine  *self,
                          gint64     now,
                          GPtrArray *out)
{
  g_autoptr(GBytes) members = NULL;
  g_autoptr(GArray) ids = NULL;

  if (self->welcoming->len == 0)
    return;
  ids = g_steal_pointer (&self->welcoming);
  self->welcoming = g_array_new (FALSE, FALSE, sizeof (guint32));

  for (guint i = 0; i < ids->len; i++)
    {
      CrEngineSession *session = g_hash_table_lookup (self->by_id,
                                                      GUINT_TO_POINTER (g_array_index (ids, guint32, i)));

      /* Gone, replaced or closing since its join: nothing more to say. */
      if (session == NULL || !session->members_owed)
        continue;
      session->members_owed = FALSE;
      if (session->closing || session->member_id == 0)
        continue;
      if (members == NULL)
        members = _cr_engine_members_body (self);
      cr_reliable_send (session->rel, CR_PACKET_MEMBERS, members);
      _cr_engine_queue_state (self, session, now);
      /* What this read committed up to here is in the list; the fan-out
       * that follows starts after the join, as for any newcomer. */
      _cr_engine_session_flush (self, session, now, out);
      _cr_engine_output_chunk (self, out);
    }
}

/* The room was renamed: WELCOME again with the new name (the same token
 * and role), then the member list (members: made once for all), for a
 * member whose client reset its list on a WELCOME. No history: nothing
 * happened. */
void
_cr_engine_native_renamed (CrEngine        *self,
                           CrEngineSession *session,
                           GBytes          *members,
                           gint64           now,
                           GPtrArray       *out)
{
  const CrRoomMember *member = cr_room_lookup (self->room, session->member_id);
  guint64 last_seq = cr_room_get_last_seq (self->room);
  g_autoptr(GBytes) welcome = NULL;

  if (member == NULL)
    return;

  welcome = cr_body_welcome (cr_room_get_name (self->room), member->name,
                             session->resume_token, member->role, last_seq);
  cr_reliable_send (session->rel, CR_PACKET_WELCOME, welcome);
  cr_reliable_send (session->rel, CR_PACKET_MEMBERS, members);

  _cr_engine_session_flush (self, session, now, out);
}

static gboolean
is_owner_token (CrEngine   *self,
                const char *token)
{
  gsize len = strlen (token);

  return len == strlen (self->owner_token) &&
         sodium_memcmp (token, self->owner_token, len) == 0;
}

/* The live member a resume token belongs to, if the JOIN names it. */
static const CrRoomMember *
token_member (CrEngine   *self,
              const char *token,
              const char *name)
{
  CrEngineSession *old;
  const CrRoomMember *member;
  g_autofree char *fold = NULL;

  if (*token == '\0')
    return NULL;
  old = g_hash_table_lookup (self->by_token, token);
  if (old == NULL || old->closing || old->member_id == 0)
    return NULL;
  member = cr_room_lookup (self->room, old->member_id);
  fold = cr_name_fold (name);
  if (member == NULL || g_strcmp0 (member->fold, fold) != 0)
    return NULL;
  return member;
}

/* A JOIN carrying the resume token of a live session: the same member came
 * back from another address or after a silence. Move the membership, with
 * no leave or join line. The new session draws a new token (in its
 * WELCOME): a token is good for one move. The caller has checked what the
 * member's name needs (cr-engine-auth.c for a registered one). */
static gboolean
try_resume (CrEngine              *self,
            const char            *token,
            const char            *name,
            guint64                resume_seq,
            const CrSeal          *seal,
            GSocketAddress        *from,
            const CrEngineAddrKey *key,
            CrEngineTime           now,
            GPtrArray             *out)
{
  CrEngineSession *old;
  CrEngineSession *session;
  guint32 member_id;

  if (token_member (self, token, name) == NULL)
    return FALSE;
  old = g_hash_table_lookup (self->by_token, token);
  member_id = old->member_id;
  old->member_id = 0;
  g_hash_table_remove (self->by_member, GUINT_TO_POINTER (member_id));
  _cr_engine_session_destroy (self, old);

  session = _cr_engine_session_new (self, from, key, CR_DIALECT_NATIVE, member_id, now.mono);
  if (seal != NULL)
    session->seal = *seal;
  cr_room_touch (self->room, member_id, now.wall);
  send_welcome (self, session, resume_seq, TRUE, now, out);
  return TRUE;
}

/* The last step of a JOIN, now or when its hash job is done: the member
 * enters the room. */
void
_cr_engine_admit (CrEngine           *self,
                  const CrEngineJoin *join,
                  gboolean            registered,
                  CrEngineTime        now,
                  GPtrArray          *out)
{
  g_autoptr(CrEvent) event = NULL;
  CrEngineSession *existing;
  CrEngineSession *session;
  guint32 member_id;
  CrReason reason;

  /* A registered member that came back with its token and its password. */
  if (join->resume_token != NULL &&
      try_resume (self, join->resume_token, join->name, join->resume_seq,
                  cr_seal_is_set (&join->seal) ? &join->seal : NULL, join->from,
                  &join->key, now, out))
    return;

  /* Whoever had this address before is replaced (a client that restarted
   * on the same port). */
  existing = g_hash_table_lookup (self->by_addr, &join->key);
  if (existing != NULL)
    _cr_engine_session_leaves (self, existing, CR_EVENT_LEAVE, now, out);

  event = cr_room_join (self->room, join->name,
                        join->owner ? CR_ROLE_OWNER : CR_ROLE_MEMBER,
                        registered ? CR_MEMBER_REGISTERED : 0,
                        now.wall, &member_id, &reason);
  if (event == NULL)
    {
      _cr_engine_refuse (self, out, join->from, reason);
      return;
    }

  /* Tell the others first, then welcome the newcomer with a history that
   * ends with its own join. */
  _cr_engine_commit_event (self, event, now, out);
  session = _cr_engine_session_new (self, join->from, &join->key, CR_DIALECT_NATIVE,
                                    member_id, now.mono);
  session->seal = join->seal;
  send_welcome (self, session, join->resume_seq, FALSE, now, out);
}

static void
handle_join (CrEngine              *self,
             guint32                cookie,
             const guint8          *body,
             gsize                  body_len,
             const CrSeal          *seal,
             GSocketAddress        *from,
             const CrEngineAddrKey *key,
             CrEngineTime           now,
             GPtrArray             *out)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_JOIN, body, body_len);
  const char *name, *password, *token, *owner_token;
  gboolean do_register, registered = FALSE;
  guint64 resume_seq;
  g_autofree char *normalized = NULL;
  g_autofree char *fold = NULL;
  CrEngineSession *existing;
  const CrRoomMember *resumed;
  CrEngineJoin join = { 0 };
  CrReason reason;

  if (v == NULL)
    {
      self->stats.malformed++;
      return;
    }
  g_variant_get (v, "(&s&s&sbt&s)", &name, &password, &token, &do_register,
                 &resume_seq, &owner_token);

  existing = g_hash_table_lookup (self->by_addr, key);
  if (*token == '\0' && existing != NULL && !existing->closing &&
      existing->dialect == CR_DIALECT_NATIVE)
    {
      const CrRoomMember *member = cr_room_lookup (self->room, existing->member_id);
      g_autofree char *want = cr_name_fold (name);

      /* A JOIN sent again while our WELCOME is on its way: the reliable
       * layer already repeats the WELCOME (sealed with this JOIN's keys:
       * a new handshake is a new client, not a repeat). */
      if (member != NULL && g_strcmp0 (member->fold, want) == 0 &&
          (seal == NULL || sodium_memcmp (existing->seal.rx, seal->rx, sizeof seal->rx) == 0))
        {
          existing->last_heard = now.mono;
          return;
        }
    }

  /* A JOIN sent again while its password is being hashed: the answer
   * comes when the hash is done, and one hash is enough. */
  if (_cr_engine_auth_is_pending (self, key))
    return;

  if (!_cr_engine_unverified_allow (self, key, now.mono))
    return;

  /* No cookie, or one from before a restart: the challenge again, no
   * bigger than the JOIN itself. */
  if (cookie != _cr_engine_address_cookie (self, key))
    {
      _cr_engine_send_cookie (self, out, from, key, body_len + CR_HEADER_SIZE);
      return;
    }

  /* A token alone moves a guest's name, never a registered one: a token
   * travels in clear, a password is checked (cr-engine-auth.c). */
  resumed = token_member (self, token, name);
  if (resumed != NULL && (resumed->flags & CR_MEMBER_REGISTERED) == 0)
    {
      try_resume (self, token, name, resume_seq, seal, from, key, now, out);
      return;
    }

  if (resumed != NULL)
    {
      /* Its name is held by itself. */
      normalized = g_strdup (resumed->name);
      reason = CR_REASON_NONE;
    }
  else
    {
      _cr_engine_release_squatter (self, name, now, out);
      reason = cr_room_check_join (self->room, name, &normalized);
      if (reason == CR_REASON_NONE && _cr_engine_host_is_full (self, key, FALSE))
        reason = CR_REASON_ROOM_FULL;
    }
  if (reason == CR_REASON_NONE)
    {
      fold = cr_name_fold (normalized);
      join = (CrEngineJoin) {
        .from = from,
        .key = *key,
        .name = normalized,
        .fold = fold,
        .owner = *owner_token != '\0' && is_owner_token (self, owner_token),
        .do_register = do_register,
        .resume_seq = resume_seq,
        .resume_token = resumed != NULL ? (char *) token : NULL,
      };
      if (seal != NULL)
        join.seal = *seal;
      switch (_cr_engine_authenticate (self, &join, password, now.mono, &reason, &registered))
        {
        case CR_ENGINE_AUTH_DONE:
          break;
        case CR_ENGINE_AUTH_PENDING:
        case CR_ENGINE_AUTH_BUSY:
        default:
          return;
        }
    }
  if (reason != CR_REASON_NONE)
    {
      _cr_engine_refuse (self, out, from, reason);
      return;
    }

  _cr_engine_admit (self, &join, registered, now, out);
  cr_seal_clear (&join.seal);
}

static void
handle_chat (CrEngine        *self,
             CrEngineSession *session,
             const guint8    *data,
             gsize            len,
             CrEngineTime     now,
             GPtrArray       *out)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_CHAT, data, len);
  g_autoptr(CrEvent) event = NULL;
  g_autoptr(CrEvent) extras = NULL;
  const char *text;
  const char *to;
  guint64 origin;
  guint64 reply_to;
  CrReason reason = CR_REASON_NONE;

  if (v == NULL || !cr_chat_from_body (v, &origin, &text, &reply_to, &to))
    {
      self->stats.malformed++;
      return;
    }

  /* The same message again (a retry that raced the first copy): the first
   * one's event already answered it. */
  for (guint i = 0; origin != 0 && session->origins != NULL && i < CR_ENGINE_RECENT_ORIGINS; i++)
    if (session->origins[i] == origin)
      return;

  /* The rate was charged when the datagram arrived, not now: a hole that
   * held back a burst must not make it look like a flood. */
  if (session->over_limit > 0)
    {
      session->over_limit--;
      reason = CR_REASON_RATE_LIMITED;
    }
  else if ((reason = _cr_engine_conversation_check (self, session, reply_to, to, &extras)) ==
           CR_REASON_NONE)
    event = cr_room_say (self->room, session->member_id, text, origin, now.wall, &reason);
  if (event != NULL)
    _cr_engine_conversation_apply (event, extras);

  if (event != NULL)
    {
      if (origin != 0)
        {
          if (session->origins == NULL)
            session->origins = g_new0 (guint64, CR_ENGINE_RECENT_ORIGINS);
          session->origins[session->next_origin++ % CR_ENGINE_RECENT_ORIGINS] = origin;
        }
      _cr_engine_commit_event (self, event, now, out);
    }
  else
    {
      g_autoptr(GBytes) notice = cr_body_notice (reason, origin);
      cr_reliable_send (session->rel, CR_PACKET_NOTICE, notice);
    }
}

static void
handle_delivery (CrEngine        *self,
                 CrEngineSession *session,
                 CrDelivery      *delivery,
                 CrEngineTime     now,
                 GPtrArray       *out)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (delivery->body, &len);

  if (session->closing)
    return;

  switch ((CrPacketType) delivery->type)
    {
    case CR_PACKET_CHAT:
      handle_chat (self, session, data, len, now, out);
      break;

    case CR_PACKET_BYE:
      _cr_engine_session_leaves (self, session, CR_EVENT_LEAVE, now, out);
      break;

    case CR_PACKET_RECALL:
    case CR_PACKET_HISTORY:
    case CR_PACKET_SEARCH:
      _cr_engine_handle_conversation (self, session, delivery->type, data, len, now, out);
      break;

    case CR_PACKET_MANAGE:
      _cr_engine_handle_manage (self, session, data, len, now, out);
      break;

    case CR_PACKET_JOIN:
    case CR_PACKET_WELCOME:
    case CR_PACKET_REFUSE:
    case CR_PACKET_EVENT:
    case CR_PACKET_MEMBERS:
    case CR_PACKET_NOTICE:
    case CR_PACKET_PING:
    case CR_PACKET_ACK:
    default:
      /* Not something a client sends reliably. */
      self->stats.malformed++;
      break;
    }
}

/* ------------------------------------------------------------------ */
/* The datagram boundary: sealing (cr-crypto.h)                       */

void
_cr_engine_session_emit (CrEngine        *self,
                         CrEngineSession *session,
                         GPtrArray       *out,
                         GBytes          *datagram)
{
  if (cr_seal_is_set (&session->seal))
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagram, &len);
      GBytes *sealed = cr_seal (&session->seal, session->id, NULL, data, len);

      g_bytes_unref (datagram);
      datagram = sealed;
    }
  _cr_engine_emit (self, out, session->addr, datagram);
}

/* The same from bytes valid during the call (cr_reliable_flush_each's):
 * sealed straight from them, or copied once. */
void
_cr_engine_session_emit_raw (CrEngine        *self,
                             CrEngineSession *session,
                             GPtrArray       *out,
                             const guint8    *data,
                             gsize            len)
{
  GBytes *datagram;

  if (cr_seal_is_set (&session->seal))
    datagram = cr_seal (&session->seal, session->id, NULL, data, len);
  else
    datagram = g_bytes_new (data, len);
  _cr_engine_emit (self, out, session->addr, datagram);
}

/* The handshake's secret is replaced every CR_HANDSHAKE_ROTATE_US; the
 * one before still answers a JOIN that was on its way. Past sessions'
 * ephemeral keys cannot be derived again once both are gone. */
static void
handshake_rotate (CrEngine *self,
                  gint64    now)
{
  if (!self->hs_ready)
    {
      _cr_engine_random (self, self->hs_secret[0], sizeof self->hs_secret[0]);
      _cr_engine_random (self, self->hs_secret[1], sizeof self->hs_secret[1]);
      self->hs_ready = TRUE;
      self->hs_rotated = now;
      return;
    }
  if (now - self->hs_rotated < CR_HANDSHAKE_ROTATE_US)
    return;
  memcpy (self->hs_secret[1], self->hs_secret[0], sizeof self->hs_secret[0]);
  _cr_engine_random (self, self->hs_secret[0], sizeof self->hs_secret[0]);
  self->hs_rotated = now;
}

/* HELLO: with the cookie, the room's signed ephemeral key (KEY); without,
 * the cookie again. No state is kept either way. */
static void
handle_hello (CrEngine              *self,
              const CrHeader        *header,
              const guint8          *body,
              gsize                  body_len,
              gsize                  len,
              GSocketAddress        *from,
              const CrEngineAddrKey *key,
              CrEngineTime           now,
              GPtrArray             *out)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_HELLO, body, body_len);
  g_autoptr(GBytes) reply = NULL;
  const guint8 *client_ephemeral = NULL;
  guint8 room_ephemeral[CR_PUBLIC_KEY_BYTES];
  guint8 signature[CR_SIGNATURE_BYTES];
  CrHeader answer = { CR_PROTOCOL_VERSION, CR_PACKET_KEY, 0, 0, 0, 0, 0 };
  gsize reply_len;
  const guint8 *reply_data;

  if (v == NULL || header->number != 0 || header->session != 0 ||
      !cr_hello_from_body (v, &client_ephemeral))
    {
      self->stats.malformed++;
      return;
    }
  if (!_cr_engine_unverified_allow (self, key, now.mono))
    return;
  if (header->ack != _cr_engine_address_cookie (self, key))
    {
      _cr_engine_send_cookie (self, out, from, key, len);
      return;
    }

  handshake_rotate (self, now.mono);
  cr_handshake_answer (self->config.identity, self->hs_secret[0], key->bytes, key->len,
                       client_ephemeral, room_ephemeral, signature);
  reply = cr_body_key (room_ephemeral, cr_identity_get_public (self->config.identity),
                       signature);
  reply_data = g_bytes_get_data (reply, &reply_len);
  _cr_engine_emit_limited (self, out, from,
                           cr_datagram_build (&answer, reply_data, reply_len), len);
}

/* A session we do not know: we restarted, or it timed out. Tell it so
 * (cheaply, and in clear: we have no keys for it) and it will join again. */
static void
refuse_unknown_session (CrEngine              *self,
                        guint32                session,
                        gsize                  len,
                        GSocketAddress        *from,
                        const CrEngineAddrKey *key,
                        CrEngineTime           now,
                        GPtrArray             *out)
{
  g_autoptr(GBytes) refusal = cr_body_refuse (CR_REASON_TIMED_OUT, "");
  CrHeader reply = { CR_PROTOCOL_VERSION, CR_PACKET_REFUSE, 0, session, 0, 0, 0 };
  gsize refusal_len;
  const guint8 *refusal_data = g_bytes_get_data (refusal, &refusal_len);

  if (g_hash_table_contains (self->by_addr, key) ||
      !_cr_engine_unverified_allow (self, key, now.mono))
    return;
  _cr_engine_emit_limited (self, out, from,
                           cr_datagram_build (&reply, refusal_data, refusal_len), len);
}

/* A sealed JOIN (session 0): its keys come from the handshake, derived
 * again from the secret (now, or the one before) and the address. TRUE:
 * *inner is the JOIN, *seal its keys. */
static gboolean
open_sealed_join (CrEngine              *self,
                  const guint8          *data,
                  gsize                  len,
                  const guint8          *client_ephemeral,
                  guint32                cookie,
                  GSocketAddress        *from,
                  const CrEngineAddrKey *key,
                  CrEngineTime           now,
                  GPtrArray             *out,
                  GBytes               **inner,
                  CrSeal                *seal)
{
  CrOpenResult result = CR_OPEN_FAILED;
  CrHeader header;

  if (!_cr_engine_unverified_allow (self, key, now.mono))
    return FALSE;
  /* The cookie first, in clear: a source that does not receive at its
   * address costs a keyed hash, never a key exchange. */
  if (cookie != _cr_engine_address_cookie (self, key))
    {
      _cr_engine_send_cookie (self, out, from, key, len);
      return FALSE;
    }
  handshake_rotate (self, now.mono);
  for (guint i = 0; i < G_N_ELEMENTS (self->hs_secret) && result != CR_OPEN_OK; i++)
    {
      if (!cr_handshake_room_keys (self->hs_secret[i], key->bytes, key->len,
                                   client_ephemeral, seal))
        break;
      result = cr_seal_open (seal, data, len, inner);
      if (result != CR_OPEN_OK)
        cr_seal_clear (seal);
    }
  if (result != CR_OPEN_OK)
    {
      self->stats.unopened++;
      return FALSE;
    }
  if (cr_header_parse (g_bytes_get_data (*inner, NULL), g_bytes_get_size (*inner),
                       &header, NULL, NULL) != CR_PARSE_OK ||
      header.type != CR_PACKET_JOIN || header.session != 0 || header.ack != cookie)
    self->stats.malformed++;
  /* Storage that cannot be read refuses every JOIN, once it is one. */
  else if (!_cr_engine_storage_refuse_join (self, g_bytes_get_data (*inner, NULL),
                                            g_bytes_get_size (*inner), from, key, now, out))
    return TRUE;
  cr_seal_clear (seal);
  g_clear_pointer (inner, g_bytes_unref);
  return FALSE;
}

/* The datagram boundary of a room with an identity: HELLO answered, a
 * JOIN in clear refused, anything else in clear dropped, and a sealed
 * datagram opened with its session's keys (or, for a JOIN, the
 * handshake's: *join_seal). TRUE: *inner is what the plaintext path below
 * takes, as if it had come so. */
static gboolean
unseal (CrEngine              *self,
        const guint8          *data,
        gsize                  len,
        GSocketAddress        *from,
        const CrEngineAddrKey *key,
        CrEngineTime           now,
        GPtrArray             *out,
        GBytes               **inner,
        CrSeal                *join_seal)
{
  const guint8 *client_ephemeral = NULL;
  const guint8 *body;
  gsize body_len;
  CrEngineSession *session;
  CrHeader header;
  guint32 id, cookie;

  if (len < 4 || data[3] != CR_PACKET_SEALED)
    {
      if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK)
        self->stats.malformed++;
      else if (header.type == CR_PACKET_HELLO)
        handle_hello (self, &header, body, body_len, len, from, key, now, out);
      else if (header.type == CR_PACKET_JOIN && header.number == 0)
        {
          /* A client that would send its password in clear: not here. */
          g_autoptr(GBytes) refusal = cr_body_refuse (CR_REASON_VERSION, "");
          CrHeader reply = { CR_PROTOCOL_VERSION, CR_PACKET_REFUSE, 0, 0, 0, 0, 0 };

          self->stats.unsealed++;
          if (_cr_engine_unverified_allow (self, key, now.mono))
            _cr_engine_emit_limited (self, out, from,
                                     cr_datagram_build (&reply, g_bytes_get_data (refusal, NULL),
                                                        g_bytes_get_size (refusal)),
                                     len);
        }
      else if ((session = header.session != 0
                          ? g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (header.session))
                          : NULL) != NULL &&
               !_cr_engine_addr_key_equal (&session->key, key))
        self->stats.spoofed++;   /* someone else's session, from elsewhere */
      else if (session == NULL && header.session != 0 && header.type != CR_PACKET_ACK)
        refuse_unknown_session (self, header.session, len, from, key, now, out);
      else
        self->stats.unsealed++;
      return FALSE;
    }

  if (!cr_sealed_peek (data, len, &id, &client_ephemeral, &cookie))
    {
      self->stats.unopened++;
      return FALSE;
    }
  if (id == 0)
    return open_sealed_join (self, data, len, client_ephemeral, cookie, from, key, now, out,
                             inner, join_seal);

  session = g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (id));
  if (session == NULL)
    {
      /* No keys for it (a session before a restart, or forged): it cannot
       * be opened. Still told, so that a member of a restarted room joins
       * again. */
      self->stats.unopened++;
      refuse_unknown_session (self, id, len, from, key, now, out);
      return FALSE;
    }
  if (!_cr_engine_addr_key_equal (&session->key, key) || session->dialect != CR_DIALECT_NATIVE)
    {
      self->stats.spoofed++;
      return FALSE;
    }
  switch (cr_seal_open (&session->seal, data, len, inner))
    {
    case CR_OPEN_OK:
      break;
    case CR_OPEN_REPLAYED:
      self->stats.replayed++;
      return FALSE;
    case CR_OPEN_MALFORMED:
    case CR_OPEN_FAILED:
    default:
      self->stats.unopened++;
      return FALSE;
    }
  if (cr_header_parse (g_bytes_get_data (*inner, NULL), g_bytes_get_size (*inner),
                       &header, NULL, NULL) != CR_PARSE_OK ||
      header.session != id || header.type == CR_PACKET_JOIN)
    {
      self->stats.malformed++;
      g_clear_pointer (inner, g_bytes_unref);
      return FALSE;
    }
  return TRUE;
}

void
_cr_engine_handle_native (CrEngine              *self,
                          const guint8          *data,
                          gsize                  len,
                          GSocketAddress        *from,
                          const CrEngineAddrKey *key,
                          CrEngineTime           now,
                          GPtrArray             *out)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  g_autoptr(GBytes) opened = NULL;
  const guint8 *body;
  gsize body_len;
  CrHeader header;
  CrEngineSession *session;
  guint unacked;
  CrSeal join_seal = { { 0 } };

  /* A room with an identity takes only what opens, and then takes it as
   * the plaintext dialect always came (cr-crypto.h). */
  if (self->config.identity != NULL)
    {
      if (!unseal (self, data, len, from, key, now, out, &opened, &join_seal))
        return;
      data = g_bytes_get_data (opened, &len);
    }

  if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK ||
      header.type == CR_PACKET_HELLO || header.type == CR_PACKET_KEY)
    {
      self->stats.malformed++;
      return;
    }

  if (header.type == CR_PACKET_JOIN)
    {
      if (header.number != 0)
        self->stats.malformed++;
      else
        handle_join (self, header.ack, body, body_len,
                     cr_seal_is_set (&join_seal) ? &join_seal : NULL, from, key, now, out);
      cr_seal_clear (&join_seal);
      return;
    }

  session = header.session
    ? g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (header.session))
    : NULL;
  if (session == NULL)
    {
      /* A session we do not know: we restarted, or it timed out. Tell it so
       * (cheaply) and it will join again. */
      if (header.session != 0 && header.type != CR_PACKET_ACK &&
          !g_hash_table_contains (self->by_addr, key) &&
          _cr_engine_unverified_allow (self, key, now.mono))
        {
          g_autoptr(GBytes) refusal = cr_body_refuse (CR_REASON_TIMED_OUT, "");
          CrHeader reply = { CR_PROTOCOL_VERSION, CR_PACKET_REFUSE, 0, header.session, 0, 0, 0 };
          gsize refusal_len;
          const guint8 *refusal_data = g_bytes_get_data (refusal, &refusal_len);

          _cr_engine_emit_limited (self, out, from,
                                   cr_datagram_build (&reply, refusal_data, refusal_len), len);
        }
      else if (header.session == 0)
        self->stats.malformed++;
      return;
    }
  if (!_cr_engine_addr_key_equal (&session->key, key) || session->dialect != CR_DIALECT_NATIVE)
    {
      self->stats.spoofed++;
      return;
    }

  session->last_heard = now.mono;
  unacked = cr_reliable_get_unacked (session->rel);
  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  if (cr_reliable_receive (session->rel, &header, body, body_len, now.mono, deliveries) &&
      header.type == CR_PACKET_CHAT && (header.flags & CR_FLAG_MORE) == 0 &&
      !_cr_engine_bucket_take (&session->bucket, self->config.rate_per_second,
                               self->config.rate_burst, now.mono))
    {
      self->stats.rate_limited++;
      session->over_limit++;
    }
  /* Only an ack that frees something shows the member is listening. */
  if (cr_reliable_get_unacked (session->rel) < unacked)
    session->last_progress = now.mono;

  for (guint i = 0; i < deliveries->len; i++)
    {
      handle_delivery (self, session, deliveries->pdata[i], now, out);
      /* A BYE may have ended the session. */
      if (g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (header.session)) != session)
        return;
    }

  if (header.type == CR_PACKET_PING)
    {
      g_autoptr(GBytes) empty = cr_body_empty ();
      _cr_engine_session_emit (self, session, out,
                               cr_reliable_build_unreliable (session->rel, session->id,
                                                             CR_PACKET_ACK, empty));
    }

  if (session->closing && cr_reliable_get_unacked (session->rel) == 0)
    {
      _cr_engine_session_destroy (self, session);
      return;
    }
  if (session->member_id != 0)
    cr_room_touch (self->room, session->member_id, now.wall);
  _cr_engine_session_flush (self, session, now.mono, out);
}
