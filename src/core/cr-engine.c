/* cr-engine.c: the server's packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session is one source address the room talks to: a native member (with
 * its reliable channel), a classic member (plain text, no acks), or a
 * native session saying goodbye (closing: the BYE is retransmitted until
 * acked or the linger time ran out). The identity of whoever sends a
 * datagram is the session bound to its source address at join, never a name
 * written in the datagram.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "cr-classic.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-engine.h"

#define RESYNC_MAX          5000        /* events replayed on a reconnect */
#define RING_MAX            1000        /* in-memory history without a store */
#define LINGER_US           (2 * G_TIME_SPAN_SECOND)
#define CLOSE_LINGER_US     (1 * G_TIME_SPAN_SECOND)
#define UNVERIFIED_RATE     5.0         /* probes/joins per second per address */
#define UNVERIFIED_BURST    10.0
#define UNVERIFIED_MAX      4096        /* addresses remembered for that */
#define RECENT_ORIGINS      64          /* a retry racing its first copy */

typedef struct {
  guint8 len;
  guint8 bytes[1 + 2 + 16 + 4];   /* family, port, address, scope */
} AddrKey;

typedef struct {
  double tokens;
  gint64 at;
} Bucket;

typedef struct {
  guint32         id;
  AddrKey         key;
  GSocketAddress *addr;
  CrDialect       dialect;
  guint32         member_id;    /* 0: not a member (closing) */
  CrReliable     *rel;          /* native only */
  char           *resume_token;
  gint64          last_heard;
  gboolean        closing;
  gint64          linger_until;
  Bucket          bucket;
  guint           over_limit;   /* chats that came in over the rate, not yet refused */
  guint64         origins[RECENT_ORIGINS];  /* last chats' origins: retries */
  guint           next_origin;
} Session;

struct _CrEngine {
  CrEngineConfig     config;
  char              *room_name;
  char              *language;
  const CrClassicTable *classic;  /* the lines classic members receive */
  char              *owner_name;
  char              *owner_token;
  guint8             cookie_key[crypto_generichash_KEYBYTES];

  CrStore           *store;       /* borrowed */
  CrRoom            *room;
  GQueue             ring;        /* CrEvent*, newest last; only without store */

  GHashTable        *by_id;       /* guint32 → Session* (owns) */
  GHashTable        *by_addr;     /* AddrKey* → Session* */
  GHashTable        *by_member;   /* guint32 → Session* */
  GHashTable        *by_token;    /* char* → Session* */
  GHashTable        *unverified;  /* AddrKey* (owned) → Bucket* (owned) */

  CrStats            stats;
  CrEngineEventFunc  event_func;
  gpointer           event_data;
};

static void session_send_flush (CrEngine *self,
                                Session  *session,
                                gint64    now,
                                GPtrArray *out);

/* Addresses */

static void
addr_key_init (AddrKey        *key,
               GSocketAddress *addr)
{
  GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (addr);
  GInetAddress *inet = g_inet_socket_address_get_address (isa);
  guint16 port = g_inet_socket_address_get_port (isa);
  gsize n = g_inet_address_get_native_size (inet);
  guint32 scope = 0;

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    scope = g_inet_socket_address_get_scope_id (isa);
  memset (key, 0, sizeof *key);
  key->bytes[0] = (guint8) g_inet_address_get_family (inet);
  key->bytes[1] = port >> 8;
  key->bytes[2] = port & 0xff;
  memcpy (key->bytes + 3, g_inet_address_to_bytes (inet), n);
  memcpy (key->bytes + 3 + n, &scope, sizeof scope);
  key->len = 3 + n + sizeof scope;
}

static guint
addr_key_hash (gconstpointer p)
{
  const AddrKey *key = p;
  guint h = 5381;

  for (guint i = 0; i < key->len; i++)
    h = h * 33 + key->bytes[i];
  return h;
}

static gboolean
addr_key_equal (gconstpointer a,
                gconstpointer b)
{
  const AddrKey *x = a, *y = b;

  return x->len == y->len && memcmp (x->bytes, y->bytes, x->len) == 0;
}

static gboolean
addr_is_inet (GSocketAddress *addr)
{
  return G_IS_INET_SOCKET_ADDRESS (addr);
}

/* Flood control: a token bucket. */

static gboolean
bucket_take (Bucket *bucket,
             double  rate,
             double  burst,
             gint64  now)
{
  if (bucket->at == 0)
    bucket->tokens = burst;
  else if (now > bucket->at)
    bucket->tokens = MIN (burst, bucket->tokens + rate * (now - bucket->at) / G_USEC_PER_SEC);
  bucket->at = now;

  if (bucket->tokens < 1.0)
    return FALSE;
  bucket->tokens -= 1.0;
  return TRUE;
}

/* An address that is no member yet may only make us do a little work. */
static gboolean
unverified_allow (CrEngine      *self,
                  const AddrKey *key,
                  gint64         now)
{
  Bucket *bucket = g_hash_table_lookup (self->unverified, key);

  if (bucket == NULL)
    {
      /* Forget everyone at once rather than grow without bound: a flood of
       * fresh addresses gets one burst each, nothing more. */
      if (g_hash_table_size (self->unverified) >= UNVERIFIED_MAX)
        g_hash_table_remove_all (self->unverified);
      bucket = g_new0 (Bucket, 1);
      g_hash_table_insert (self->unverified, g_memdup2 (key, sizeof *key), bucket);
    }
  if (bucket_take (bucket, UNVERIFIED_RATE, UNVERIFIED_BURST, now))
    return TRUE;
  self->stats.rate_limited++;
  return FALSE;
}

/* The probe's answer carries a keyed hash of the address; a JOIN must
 * bring it back, which only the real owner of the address can. */
static guint32
address_cookie (CrEngine      *self,
                const AddrKey *key)
{
  guint8 hash[crypto_generichash_BYTES_MIN];
  guint32 cookie;

  crypto_generichash (hash, sizeof hash, key->bytes, key->len,
                      self->cookie_key, sizeof self->cookie_key);
  memcpy (&cookie, hash, sizeof cookie);
  return cookie ? cookie : 1;
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

static void
emit (CrEngine       *self,
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

static void
emit_text (CrEngine       *self,
           GPtrArray      *out,
           GSocketAddress *to,
           const char     *text)
{
  emit (self, out, to, g_bytes_new (text, strlen (text)));
}

/* A sessionless unreliable packet (REFUSE, the probe's answer). */
static void
emit_bare (CrEngine       *self,
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

  emit (self, out, to, cr_datagram_build (&header, data, len));
}

/* Sessions */

static void
session_free (Session *session)
{
  g_clear_object (&session->addr);
  g_clear_pointer (&session->rel, cr_reliable_free);
  g_free (session->resume_token);
  g_free (session);
}

static Session *
session_new (CrEngine       *self,
             GSocketAddress *addr,
             const AddrKey  *key,
             CrDialect       dialect,
             guint32         member_id,
             gint64          now)
{
  Session *session = g_new0 (Session, 1);
  guint8 token[16];

  do
    session->id = g_random_int ();
  while (session->id == 0 || g_hash_table_contains (self->by_id, GUINT_TO_POINTER (session->id)));

  session->key = *key;
  session->addr = g_object_ref (addr);
  session->dialect = dialect;
  session->member_id = member_id;
  session->last_heard = now;
  if (dialect == CR_DIALECT_NATIVE)
    {
      session->rel = cr_reliable_new ();
      randombytes_buf (token, sizeof token);
      session->resume_token = g_malloc (sizeof token * 2 + 1);
      sodium_bin2hex (session->resume_token, sizeof token * 2 + 1, token, sizeof token);
      g_hash_table_insert (self->by_token, session->resume_token, session);
    }

  g_hash_table_insert (self->by_id, GUINT_TO_POINTER (session->id), session);
  g_hash_table_insert (self->by_addr, &session->key, session);
  if (member_id != 0)
    g_hash_table_insert (self->by_member, GUINT_TO_POINTER (member_id), session);
  g_hash_table_remove (self->unverified, key);
  return session;
}

static void
session_destroy (CrEngine *self,
                 Session  *session)
{
  if (session->member_id != 0)
    g_hash_table_remove (self->by_member, GUINT_TO_POINTER (session->member_id));
  if (session->resume_token != NULL &&
      g_hash_table_lookup (self->by_token, session->resume_token) == session)
    g_hash_table_remove (self->by_token, session->resume_token);
  if (g_hash_table_lookup (self->by_addr, &session->key) == session)
    g_hash_table_remove (self->by_addr, &session->key);
  g_hash_table_remove (self->by_id, GUINT_TO_POINTER (session->id));  /* frees */
}

/* The member is gone from the room: a native session says goodbye (and
 * lingers until acked), a classic one just ends. */
static void
session_end (CrEngine  *self,
             Session   *session,
             CrReason   reason,
             gint64     now,
             GPtrArray *out)
{
  if (session->member_id != 0)
    {
      g_hash_table_remove (self->by_member, GUINT_TO_POINTER (session->member_id));
      session->member_id = 0;
    }

  if (session->dialect == CR_DIALECT_CLASSIC || reason == CR_REASON_NONE)
    {
      /* The closing line already told classic members the room closed. */
      if (session->dialect == CR_DIALECT_CLASSIC &&
          reason != CR_REASON_NONE && reason != CR_REASON_ROOM_CLOSED)
        {
          emit_text (self, out, session->addr, cr_classic_format_reason (self->classic, reason));
        }
      if (session->dialect == CR_DIALECT_NATIVE)
        session_send_flush (self, session, now, out);   /* the last ack */
      session_destroy (self, session);
      return;
    }

  {
    g_autoptr(GBytes) body = cr_body_bye (reason, "");
    cr_reliable_send (session->rel, CR_PACKET_BYE, body);
  }
  session->closing = TRUE;
  session->linger_until = now + (reason == CR_REASON_ROOM_CLOSED ? CLOSE_LINGER_US : LINGER_US);
  session_send_flush (self, session, now, out);
}

static void
session_send_flush (CrEngine  *self,
                    Session   *session,
                    gint64     now,
                    GPtrArray *out)
{
  g_autoptr(GPtrArray) datagrams = NULL;
  guint64 before;

  if (session->rel == NULL)
    return;

  datagrams = g_ptr_array_new ();
  before = cr_reliable_get_retransmits (session->rel);
  cr_reliable_flush (session->rel, session->id, now, datagrams);
  self->stats.retransmits += cr_reliable_get_retransmits (session->rel) - before;
  for (guint i = 0; i < datagrams->len; i++)
    emit (self, out, session->addr, datagrams->pdata[i]);
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
static GPtrArray *
history (CrEngine *self,
         guint64   after_seq,
         guint     limit)
{
  GPtrArray *events;

  if (self->store != NULL)
    return after_seq > 0
      ? cr_store_events_after (self->store, after_seq, limit)
      : cr_store_last_events (self->store, limit);

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

/* Store the event, tell the owner of the engine, and deliver it to every
 * member. The body is encoded once, and the classic line rendered once. */
static void
commit_event (CrEngine  *self,
              CrEvent   *event,
              gint64     now,
              GPtrArray *out)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  Session *session;

  if (self->store != NULL && !cr_store_append_event (self->store, event, &error))
    {
      self->stats.store_errors++;
      g_warning ("Could not store event %" G_GUINT64_FORMAT ": %s", event->seq, error->message);
    }
  ring_push (self, event);

  if (self->event_func != NULL)
    self->event_func (event, self->event_data);

  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      if (session->dialect == CR_DIALECT_NATIVE)
        {
          if (body == NULL)
            body = cr_body_event (event);
          cr_reliable_send (session->rel, CR_PACKET_EVENT, body);
          session_send_flush (self, session, now, out);
        }
      else
        {
          if (lines == NULL)
            lines = cr_classic_format_event (self->classic, event);
          for (guint i = 0; i < lines->len; i++)
            emit_text (self, out, session->addr, lines->pdata[i]);
        }
    }
}

/* The member of this session leaves the room (LEAVE or TIMEOUT), with no
 * goodbye: it said one, or it is not listening. */
static void
session_leaves (CrEngine    *self,
                Session     *session,
                CrEventKind  kind,
                gint64       now,
                GPtrArray   *out)
{
  guint32 member_id = session->member_id;
  g_autoptr(CrEvent) event = NULL;

  session_end (self, session, CR_REASON_NONE, now, out);
  if (member_id == 0)
    return;
  event = cr_room_leave (self->room, member_id, kind, g_get_real_time ());
  if (event != NULL)
    commit_event (self, event, now, out);
}

/* Welcome a native session: WELCOME, the history, then the member list. */
static void
send_welcome (CrEngine  *self,
              Session   *session,
              guint64    resume_seq,
              gint64     now,
              GPtrArray *out)
{
  const CrRoomMember *member = cr_room_lookup (self->room, session->member_id);
  guint64 last_seq = cr_room_get_last_seq (self->room);
  g_autoptr(GBytes) welcome = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) members = NULL;
  CrMembersBuilder *builder;
  GBytes *list;

  welcome = cr_body_welcome (cr_room_get_name (self->room), member->name,
                             session->resume_token, member->role, last_seq);
  cr_reliable_send (session->rel, CR_PACKET_WELCOME, welcome);

  if (resume_seq > 0)
    events = history (self, resume_seq, RESYNC_MAX);
  else
    events = history (self, 0, self->config.history_length);
  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr(GBytes) body = cr_body_event (events->pdata[i]);
      cr_reliable_send (session->rel, CR_PACKET_EVENT, body);
    }

  builder = cr_members_builder_new (last_seq);
  members = cr_room_list_members (self->room);
  for (guint i = 0; i < members->len; i++)
    {
      const CrRoomMember *m = members->pdata[i];
      cr_members_builder_add (builder, m->name, m->role, m->flags);
    }
  list = cr_members_builder_end (builder);
  cr_reliable_send (session->rel, CR_PACKET_MEMBERS, list);
  g_bytes_unref (list);

  session_send_flush (self, session, now, out);
}

static void
send_cookie (CrEngine       *self,
             GPtrArray      *out,
             GSocketAddress *to,
             const AddrKey  *key)
{
  g_autoptr(GBytes) empty = cr_body_empty ();

  emit_bare (self, out, to, 0, address_cookie (self, key), CR_PACKET_PING, empty);
}

static void
refuse (CrEngine       *self,
        GPtrArray      *out,
        GSocketAddress *to,
        CrReason        reason)
{
  g_autoptr(GBytes) body = cr_body_refuse (reason, "");

  emit_bare (self, out, to, 0, 0, CR_PACKET_REFUSE, body);
}

/* Accounts: decides whether name may join with this password, and whether
 * it then counts as registered. */
static CrReason
authenticate (CrEngine   *self,
              const char *fold,
              const char *name,
              const char *password,
              gboolean    do_register,
              gboolean    owner,
              gboolean   *registered)
{
  gboolean has_account = self->store != NULL && cr_store_has_account (self->store, fold);
  gsize password_len = strlen (password);

  *registered = FALSE;

  if (do_register)
    {
      g_autoptr(GError) error = NULL;

      if (self->store == NULL)
        return CR_REASON_INTERNAL;
      if (has_account)
        return CR_REASON_ALREADY_REGISTERED;
      if (password_len < CR_PASSWORD_MIN_BYTES || password_len > CR_PASSWORD_MAX_BYTES)
        return CR_REASON_PASSWORD_INVALID;
      if (!cr_store_add_account (self->store, fold, name, password, &error))
        {
          self->stats.store_errors++;
          g_warning ("Could not register %s: %s", name, error->message);
          return CR_REASON_INTERNAL;
        }
      *registered = TRUE;
      return CR_REASON_NONE;
    }

  if (password_len > 0)
    {
      if (!has_account)
        return CR_REASON_NOT_REGISTERED;
      if (password_len > CR_PASSWORD_MAX_BYTES ||
          !cr_store_check_password (self->store, fold, password))
        return CR_REASON_WRONG_PASSWORD;
      *registered = TRUE;
      return CR_REASON_NONE;
    }

  if (has_account)
    return CR_REASON_NAME_REGISTERED;
  if (self->config.require_registration && !owner)
    return CR_REASON_REGISTRATION_REQUIRED;
  return CR_REASON_NONE;
}

static gboolean
is_owner_token (CrEngine   *self,
                const char *token)
{
  gsize len = strlen (token);

  return len == strlen (self->owner_token) &&
         sodium_memcmp (token, self->owner_token, len) == 0;
}

/* A JOIN carrying the resume token of a live session: the same member came
 * back from another address or after a silence. Move the membership, with
 * no leave or join line. */
static gboolean
try_resume (CrEngine       *self,
            const char     *token,
            const char     *name,
            guint64         resume_seq,
            GSocketAddress *from,
            const AddrKey  *key,
            gint64          now,
            GPtrArray      *out)
{
  Session *old = g_hash_table_lookup (self->by_token, token);
  const CrRoomMember *member;
  g_autofree char *fold = NULL;
  Session *session;
  guint32 member_id;

  if (old == NULL || old->closing || old->member_id == 0)
    return FALSE;
  member = cr_room_lookup (self->room, old->member_id);
  fold = cr_name_fold (name);
  if (member == NULL || g_strcmp0 (member->fold, fold) != 0)
    return FALSE;

  member_id = old->member_id;
  old->member_id = 0;
  g_hash_table_remove (self->by_member, GUINT_TO_POINTER (member_id));
  session_destroy (self, old);

  session = session_new (self, from, key, CR_DIALECT_NATIVE, member_id, now);
  cr_room_touch (self->room, member_id, g_get_real_time ());
  send_welcome (self, session, resume_seq, now, out);
  return TRUE;
}

static void
handle_join (CrEngine       *self,
             guint32         cookie,
             const guint8   *body,
             gsize           body_len,
             GSocketAddress *from,
             const AddrKey  *key,
             gint64          now,
             GPtrArray      *out)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_JOIN, body, body_len);
  const char *name, *password, *token, *owner_token;
  gboolean do_register, owner, registered;
  guint64 resume_seq;
  g_autofree char *normalized = NULL;
  g_autofree char *fold = NULL;
  g_autoptr(CrEvent) event = NULL;
  Session *existing;
  guint32 member_id;
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
       * layer already repeats the WELCOME. */
      if (member != NULL && g_strcmp0 (member->fold, want) == 0)
        {
          existing->last_heard = now;
          return;
        }
    }

  if (!unverified_allow (self, key, now))
    return;

  /* No cookie, or one from before a restart: the challenge again, no
   * bigger than the JOIN itself. */
  if (cookie != address_cookie (self, key))
    {
      send_cookie (self, out, from, key);
      return;
    }

  if (*token != '\0' && try_resume (self, token, name, resume_seq, from, key, now, out))
    return;

  owner = *owner_token != '\0' && is_owner_token (self, owner_token);
  reason = cr_room_check_join (self->room, name, &normalized);
  if (reason == CR_REASON_NONE)
    {
      fold = cr_name_fold (normalized);
      reason = authenticate (self, fold, normalized, password, do_register, owner, &registered);
    }
  if (reason != CR_REASON_NONE)
    {
      refuse (self, out, from, reason);
      return;
    }

  /* Whoever had this address before is replaced (a client that restarted
   * on the same port). */
  if (existing != NULL)
    session_leaves (self, existing, CR_EVENT_LEAVE, now, out);

  event = cr_room_join (self->room, normalized,
                        owner ? CR_ROLE_OWNER : CR_ROLE_MEMBER,
                        registered ? CR_MEMBER_REGISTERED : 0,
                        g_get_real_time (), &member_id, &reason);
  if (event == NULL)
    {
      refuse (self, out, from, reason);
      return;
    }

  /* Tell the others first, then welcome the newcomer with a history that
   * ends with its own join. */
  commit_event (self, event, now, out);
  send_welcome (self, session_new (self, from, key, CR_DIALECT_NATIVE, member_id, now),
                resume_seq, now, out);
}

static void
handle_delivery (CrEngine   *self,
                 Session    *session,
                 CrDelivery *delivery,
                 gint64      now,
                 GPtrArray  *out)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (delivery->body, &len);
  g_autoptr(GVariant) v = NULL;

  if (session->closing)
    return;

  switch ((CrPacketType) delivery->type)
    {
    case CR_PACKET_CHAT:
      {
        g_autoptr(CrEvent) event = NULL;
        const char *text;
        guint64 origin;
        CrReason reason = CR_REASON_NONE;

        v = cr_body_parse (CR_PACKET_CHAT, data, len);
        if (v == NULL)
          {
            self->stats.malformed++;
            return;
          }
        g_variant_get (v, "(t&s)", &origin, &text);

        /* The same message again (a retry that raced the first copy):
         * the first one's event already answered it. */
        for (guint i = 0; origin != 0 && i < RECENT_ORIGINS; i++)
          if (session->origins[i] == origin)
            return;

        /* The rate was charged when the datagram arrived, not now: a hole
         * that held back a burst must not make it look like a flood. */
        if (session->over_limit > 0)
          {
            session->over_limit--;
            reason = CR_REASON_RATE_LIMITED;
          }
        else
          event = cr_room_say (self->room, session->member_id, text, origin,
                               g_get_real_time (), &reason);

        if (event != NULL)
          {
            if (origin != 0)
              session->origins[session->next_origin++ % RECENT_ORIGINS] = origin;
            commit_event (self, event, now, out);
          }
        else
          {
            g_autoptr(GBytes) notice = cr_body_notice (reason, origin);
            cr_reliable_send (session->rel, CR_PACKET_NOTICE, notice);
          }
        break;
      }

    case CR_PACKET_BYE:
      session_leaves (self, session, CR_EVENT_LEAVE, now, out);
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

static void
handle_native (CrEngine       *self,
               const guint8   *data,
               gsize           len,
               GSocketAddress *from,
               const AddrKey  *key,
               gint64          now,
               GPtrArray      *out)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  const guint8 *body;
  gsize body_len;
  CrHeader header;
  Session *session;

  if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK)
    {
      self->stats.malformed++;
      return;
    }

  if (header.type == CR_PACKET_JOIN)
    {
      if (header.number != 0)
        self->stats.malformed++;
      else
        handle_join (self, header.ack, body, body_len, from, key, now, out);
      return;
    }

  session = header.session ? g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (header.session)) : NULL;
  if (session == NULL)
    {
      /* A session we do not know: we restarted, or it timed out. Tell it so
       * (cheaply) and it will join again. */
      if (header.session != 0 && header.type != CR_PACKET_ACK &&
          !g_hash_table_contains (self->by_addr, key) &&
          unverified_allow (self, key, now))
        {
          g_autoptr(GBytes) refusal = cr_body_refuse (CR_REASON_TIMED_OUT, "");
          emit_bare (self, out, from, header.session, 0, CR_PACKET_REFUSE, refusal);
        }
      else if (header.session == 0)
        self->stats.malformed++;
      return;
    }
  if (!addr_key_equal (&session->key, key) || session->dialect != CR_DIALECT_NATIVE)
    {
      self->stats.spoofed++;
      return;
    }

  session->last_heard = now;
  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  if (cr_reliable_receive (session->rel, &header, body, body_len, now, deliveries) &&
      header.type == CR_PACKET_CHAT && (header.flags & CR_FLAG_MORE) == 0 &&
      !bucket_take (&session->bucket, self->config.rate_per_second,
                    self->config.rate_burst, now))
    {
      self->stats.rate_limited++;
      session->over_limit++;
    }

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
      emit (self, out, session->addr,
            cr_reliable_build_unreliable (session->rel, session->id, CR_PACKET_ACK, empty));
    }

  if (session->closing && cr_reliable_get_unacked (session->rel) == 0)
    {
      session_destroy (self, session);
      return;
    }
  if (session->member_id != 0)
    cr_room_touch (self->room, session->member_id, g_get_real_time ());
  session_send_flush (self, session, now, out);
}

static void
handle_classic (CrEngine       *self,
                const guint8   *data,
                gsize           len,
                GSocketAddress *from,
                const AddrKey  *key,
                gint64          now,
                GPtrArray      *out)
{
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  Session *session = g_hash_table_lookup (self->by_addr, key);
  const CrRoomMember *member = NULL;
  CrClassicKind kind;

  kind = cr_classic_parse (data, len, &name, &text);
  if (kind == CR_CLASSIC_INVALID)
    {
      self->stats.malformed++;
      return;
    }

  if (session != NULL && session->dialect == CR_DIALECT_CLASSIC)
    {
      member = cr_room_lookup (self->room, session->member_id);
      session->last_heard = now;
    }
  else if (session != NULL && kind != CR_CLASSIC_PROBE)
    {
      /* A native member's address speaking classic: not that member. */
      self->stats.spoofed++;
      return;
    }

  /* A message or a quit must name the sender itself. */
  if (kind == CR_CLASSIC_MESSAGE || kind == CR_CLASSIC_QUIT)
    {
      g_autofree char *fold = NULL;

      if (member == NULL)
        {
          self->stats.spoofed++;
          return;
        }
      fold = cr_name_fold (name);
      if (g_strcmp0 (fold, member->fold) != 0)
        {
          self->stats.spoofed++;
          return;
        }
    }

  switch (kind)
    {
    case CR_CLASSIC_PROBE:
      if (!unverified_allow (self, key, now))
        return;
      send_cookie (self, out, from, key);
      break;

    case CR_CLASSIC_JOIN:
      {
        g_autofree char *normalized = NULL;
        g_autofree char *fold = NULL;
        g_autoptr(CrEvent) event = NULL;
        CrReason reason;
        guint32 member_id;

        if (member != NULL)
          {
            /* Our OK was lost and the classroom client asks again. */
            g_autofree char *want = cr_name_fold (name);
            if (g_strcmp0 (want, member->fold) == 0)
              emit_text (self, out, from, CR_CLASSIC_OK);
            else
              self->stats.spoofed++;
            return;
          }
        if (!unverified_allow (self, key, now))
          return;

        reason = cr_room_check_join (self->room, name, &normalized);
        if (reason == CR_REASON_NONE)
          {
            fold = cr_name_fold (normalized);
            /* Classic clients have no password to offer. */
            if (self->store != NULL && cr_store_has_account (self->store, fold))
              reason = CR_REASON_NAME_REGISTERED;
            else if (self->config.require_registration)
              reason = CR_REASON_REGISTRATION_REQUIRED;
          }
        if (reason == CR_REASON_NONE)
          event = cr_room_join (self->room, normalized, CR_ROLE_MEMBER, CR_MEMBER_CLASSIC,
                                g_get_real_time (), &member_id, &reason);
        if (event == NULL)
          {
            emit_text (self, out, from, cr_classic_format_reason (self->classic, reason));
            return;
          }

        commit_event (self, event, now, out);
        session = session_new (self, from, key, CR_DIALECT_CLASSIC, member_id, now);
        /* Only "OK": a classic address never proves it is not forged, so
         * it gets no history (the room would send a stranger 50 lines for a
         * 7-byte datagram). The classroom client never had any. */
        emit_text (self, out, from, CR_CLASSIC_OK);
        break;
      }

    case CR_CLASSIC_MESSAGE:
      {
        g_autoptr(CrEvent) event = NULL;
        CrReason reason = CR_REASON_NONE;

        if (!bucket_take (&session->bucket, self->config.rate_per_second,
                          self->config.rate_burst, now))
          {
            self->stats.rate_limited++;
            return;
          }
        event = cr_room_say (self->room, session->member_id, text, 0, g_get_real_time (), &reason);
        if (event != NULL)
          commit_event (self, event, now, out);
        else
          emit_text (self, out, from, cr_classic_format_reason (self->classic, reason));
        break;
      }

    case CR_CLASSIC_QUIT:
      session_leaves (self, session, CR_EVENT_LEAVE, now, out);
      break;

    case CR_CLASSIC_INVALID:
    default:
      g_assert_not_reached ();
    }
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
}

CrEngine *
cr_engine_new (const CrEngineConfig *config,
               CrStore              *store)
{
  CrEngine *self;
  guint8 token[16];

  g_return_val_if_fail (config != NULL, NULL);

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

  randombytes_buf (self->cookie_key, sizeof self->cookie_key);
  randombytes_buf (token, sizeof token);
  self->owner_token = g_malloc (sizeof token * 2 + 1);
  sodium_bin2hex (self->owner_token, sizeof token * 2 + 1, token, sizeof token);

  self->store = store;
  self->room = cr_room_new (self->room_name, config->max_members,
                            store ? cr_store_get_last_seq (store) : 0);
  if (store != NULL)
    {
      g_autoptr(GPtrArray) bans = cr_store_list_bans (store);
      for (guint i = 0; i < bans->len; i++)
        cr_room_add_ban (self->room, bans->pdata[i]);
    }
  g_queue_init (&self->ring);

  self->by_id = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) session_free);
  self->by_addr = g_hash_table_new (addr_key_hash, addr_key_equal);
  self->by_member = g_hash_table_new (NULL, NULL);
  self->by_token = g_hash_table_new (g_str_hash, g_str_equal);
  self->unverified = g_hash_table_new_full (addr_key_hash, addr_key_equal, g_free, g_free);
  return self;
}

void
cr_engine_free (CrEngine *self)
{
  if (self == NULL)
    return;
  g_hash_table_destroy (self->by_member);
  g_hash_table_destroy (self->by_token);
  g_hash_table_destroy (self->by_addr);
  g_hash_table_destroy (self->by_id);
  g_hash_table_destroy (self->unverified);
  g_queue_clear_full (&self->ring, (GDestroyNotify) cr_event_free);
  cr_room_free (self->room);
  g_free (self->room_name);
  g_free (self->language);
  g_free (self->owner_name);
  g_free (self->owner_token);
  g_free (self);
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
                   gint64          now,
                   GPtrArray      *out)
{
  AddrKey key;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);
  g_return_if_fail (G_IS_SOCKET_ADDRESS (from));
  g_return_if_fail (out != NULL);

  self->stats.datagrams_in++;
  if (!addr_is_inet (from) || len == 0 || len > CR_DATAGRAM_MAX)
    {
      self->stats.malformed++;
      return;
    }
  addr_key_init (&key, from);

  if (cr_protocol_is_native (data, len))
    handle_native (self, data, len, from, &key, now, out);
  else
    handle_classic (self, data, len, from, &key, now, out);
}

void
cr_engine_tick (CrEngine  *self,
                gint64     now,
                GPtrArray *out)
{
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  GHashTableIter iter;
  Session *session;

  g_return_if_fail (self != NULL);

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      if (session->closing)
        {
          if (now >= session->linger_until || cr_reliable_get_unacked (session->rel) == 0)
            g_ptr_array_add (done, session);
          continue;
        }
      if (session->member_id != 0)
        {
          gint64 limit = session->dialect == CR_DIALECT_NATIVE
            ? self->config.silence_timeout_us
            : self->config.classic_idle_us;
          if (limit > 0 && now - session->last_heard > limit)
            g_ptr_array_add (expired, session);
        }
    }

  for (guint i = 0; i < done->len; i++)
    session_destroy (self, done->pdata[i]);

  /* It is not listening; a goodbye would only linger. */
  for (guint i = 0; i < expired->len; i++)
    session_leaves (self, expired->pdata[i], CR_EVENT_TIMEOUT, now, out);

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    session_send_flush (self, session, now, out);
}

gint64
cr_engine_next_deadline (CrEngine *self)
{
  GHashTableIter iter;
  Session *session;
  gint64 next = G_MAXINT64;

  g_return_val_if_fail (self != NULL, G_MAXINT64);

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      if (session->rel != NULL)
        next = MIN (next, cr_reliable_next_deadline (session->rel));
      if (session->closing)
        next = MIN (next, session->linger_until);
      else if (session->member_id != 0)
        {
          gint64 limit = session->dialect == CR_DIALECT_NATIVE
            ? self->config.silence_timeout_us
            : self->config.classic_idle_us;
          if (limit > 0)
            next = MIN (next, session->last_heard + limit + 1);
        }
    }
  return next;
}

/* Deliver the owner's event, or pass on why the room made none. */
static gboolean
commit_or_refuse (CrEngine  *self,
                  CrEvent   *event,
                  CrReason   why,
                  gint64     now,
                  GPtrArray *out,
                  CrReason  *reason)
{
  if (reason)
    *reason = why;
  if (event == NULL)
    return FALSE;
  commit_event (self, event, now, out);
  return TRUE;
}

gboolean
cr_engine_owner_say (CrEngine   *self,
                     const char *text,
                     gint64      now,
                     GPtrArray  *out,
                     CrReason   *reason)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason r = CR_REASON_NONE;

  g_return_val_if_fail (self != NULL, FALSE);

  event = cr_room_owner_say (self->room, self->owner_name, text, g_get_real_time (), &r);
  return commit_or_refuse (self, event, r, now, out, reason);
}

gboolean
cr_engine_announce (CrEngine   *self,
                    const char *text,
                    gint64      now,
                    GPtrArray  *out,
                    CrReason   *reason)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason r = CR_REASON_NONE;

  g_return_val_if_fail (self != NULL, FALSE);

  event = cr_room_announce (self->room, text, g_get_real_time (), &r);
  return commit_or_refuse (self, event, r, now, out, reason);
}

gboolean
cr_engine_owner_act (CrEngine      *self,
                     CrOwnerAction  action,
                     const char    *name,
                     gint64         now,
                     GPtrArray     *out,
                     CrReason      *reason)
{
  g_autoptr(CrEvent) event = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *fold = NULL;
  guint32 removed = 0;
  CrReason r = CR_REASON_NONE;
  gint64 wall = g_get_real_time ();

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

  if (self->store != NULL && (action == CR_OWNER_BAN || action == CR_OWNER_UNBAN))
    {
      g_autoptr(GError) error = NULL;

      if (!cr_store_set_banned (self->store, fold, normalized, action == CR_OWNER_BAN, &error))
        {
          self->stats.store_errors++;
          g_warning ("Could not store the ban of %s: %s", normalized, error->message);
        }
    }

  if (removed != 0)
    {
      Session *session = g_hash_table_lookup (self->by_member, GUINT_TO_POINTER (removed));

      if (session != NULL)
        session_end (self, session,
                     action == CR_OWNER_BAN ? CR_REASON_BANNED : CR_REASON_KICKED, now, out);
    }
  return commit_or_refuse (self, event, r, now, out, reason);
}

void
cr_engine_close (CrEngine  *self,
                 gint64     now,
                 GPtrArray *out)
{
  g_autoptr(CrEvent) event = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (self != NULL);

  /* Everyone reads the closing line, then gets a goodbye. */
  event = cr_room_close (self->room, g_get_real_time ());
  commit_event (self, event, now, out);

  sessions = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, value);
  for (guint i = 0; i < sessions->len; i++)
    session_end (self, sessions->pdata[i], CR_REASON_ROOM_CLOSED, now, out);
}

gboolean
cr_engine_is_drained (CrEngine *self)
{
  GHashTableIter iter;
  Session *session;

  g_return_val_if_fail (self != NULL, TRUE);

  g_hash_table_iter_init (&iter, self->by_id);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    if (!session->closing || cr_reliable_get_unacked (session->rel) > 0)
      return FALSE;
  return TRUE;
}

GSocketAddress *
cr_engine_get_member_address (CrEngine *self,
                              guint32   member_id)
{
  Session *session;

  g_return_val_if_fail (self != NULL, NULL);

  session = g_hash_table_lookup (self->by_member, GUINT_TO_POINTER (member_id));
  return session ? session->addr : NULL;
}

void
cr_engine_get_stats (CrEngine *self,
                     CrStats  *stats)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);
  *stats = self->stats;
}
