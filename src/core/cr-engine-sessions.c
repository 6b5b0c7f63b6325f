/* cr-engine-sessions.c: the engine's session table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sessions by id, address, member and resume token; addresses as hashable
 * keys; the cookie that proves a joiner owns its address; the token buckets
 * of flood control; and how a session ends. The identity of whoever sends a
 * datagram is the session bound to its source address at join, never a name
 * written in the datagram.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-engine-private.h"

#define LINGER_US           (2 * G_TIME_SPAN_SECOND)
#define CLOSE_LINGER_US     (1 * G_TIME_SPAN_SECOND)
#define UNVERIFIED_RATE     5.0         /* probes/joins per second per address */
#define UNVERIFIED_BURST    10.0
#define UNVERIFIED_MAX      4096        /* addresses remembered for that */
#define HOSTS_MAX           4096        /* IPs remembered (cr-engine-private.h) */
#define SWEEP_EVERY_US      (G_TIME_SPAN_SECOND / 10)
#define AMPLIFICATION       3           /* bytes out per byte in, unproven (RFC 9000 §8) */
/* What a member may leave unacknowledged: a class's burst (bench/README.md:
 * 2 000 messages in 0.1 s are queued for every member at once, and leave
 * only as fast as the window opens), or 2 MB. Beyond that it is not
 * listening. The bodies are shared by all members (encoded once), so a
 * member's own share of this is its queue entries, ~64 bytes each. */
#define UNACKED_MAX         4096
#define UNACKED_BYTES_MAX   (2 * 1024 * 1024)

/* Addresses */

void
_cr_engine_addr_key_init (CrEngineAddrKey *key,
                          GSocketAddress  *addr)
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

guint
_cr_engine_addr_key_hash (gconstpointer p)
{
  const CrEngineAddrKey *key = p;
  guint h = 5381;

  for (guint i = 0; i < key->len; i++)
    h = h * 33 + key->bytes[i];
  return h;
}

gboolean
_cr_engine_addr_key_equal (gconstpointer a,
                           gconstpointer b)
{
  const CrEngineAddrKey *x = a, *y = b;

  return x->len == y->len && memcmp (x->bytes, y->bytes, x->len) == 0;
}

/* Flood control */

gboolean
_cr_engine_bucket_take (CrEngineBucket *bucket,
                        double          rate,
                        double          burst,
                        gint64          now)
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

/* A bucket that has filled up again since its last use: forgetting it
 * loses nothing, a fresh one starts full too. */
static gboolean
bucket_is_idle (const CrEngineBucket *bucket,
                double                rate,
                double                burst,
                gint64                now)
{
  return bucket->at == 0 ||
         bucket->tokens + rate * (now - bucket->at) / G_USEC_PER_SEC >= burst;
}

static gboolean
host_is_idle (const CrEngineHost *host,
              gint64              now)
{
  return bucket_is_idle (&host->classic_joins, CR_ENGINE_CLASSIC_JOIN_RATE,
                         CR_ENGINE_CLASSIC_JOIN_BURST, now) &&
         bucket_is_idle (&host->registrations, CR_ENGINE_REGISTER_RATE,
                         CR_ENGINE_REGISTER_BURST, now) &&
         host->logins.not_before <= now;
}

/* Both tables are bounded, and neither is ever wiped wholesale (that would
 * hand every flooder a fresh burst): only what is idle is forgotten, at
 * most every SWEEP_EVERY_US. When nothing is idle, a new address or IP is
 * not remembered, and gets nothing (the caller counts it). */
static gboolean
make_room (CrEngine   *self,
           GHashTable *table,
           guint       max,
           gint64      now)
{
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_size (table) < max)
    return TRUE;
  if (self->last_sweep != 0 && now - self->last_sweep < SWEEP_EVERY_US)
    return FALSE;
  self->last_sweep = now;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      gboolean idle = table == self->hosts
        ? host_is_idle (value, now)
        : bucket_is_idle (value, UNVERIFIED_RATE, UNVERIFIED_BURST, now);
      if (idle)
        g_hash_table_iter_remove (&iter);
    }
  return g_hash_table_size (table) < max;
}

/* An address that is no member yet may only make us do a little work. */
gboolean
_cr_engine_unverified_allow (CrEngine              *self,
                             const CrEngineAddrKey *key,
                             gint64                 now)
{
  CrEngineBucket *bucket = g_hash_table_lookup (self->unverified, key);

  if (bucket == NULL)
    {
      if (!make_room (self, self->unverified, UNVERIFIED_MAX, now))
        {
          self->stats.rate_limited++;
          return FALSE;
        }
      bucket = g_new0 (CrEngineBucket, 1);
      g_hash_table_insert (self->unverified, g_memdup2 (key, sizeof *key), bucket);
    }
  if (_cr_engine_bucket_take (bucket, UNVERIFIED_RATE, UNVERIFIED_BURST, now))
    return TRUE;
  self->stats.rate_limited++;
  return FALSE;
}

/* Cookies: the probe's answer carries a keyed hash of the address; a JOIN
 * must bring it back, which only the real owner of the address can. */

guint32
_cr_engine_address_cookie (CrEngine              *self,
                           const CrEngineAddrKey *key)
{
  guint8 hash[crypto_generichash_BYTES_MIN];
  guint32 cookie;

  crypto_generichash (hash, sizeof hash, key->bytes, key->len,
                      self->cookie_key, sizeof self->cookie_key);
  memcpy (&cookie, hash, sizeof cookie);
  return cookie ? cookie : 1;
}

void
_cr_engine_send_cookie (CrEngine              *self,
                        GPtrArray             *out,
                        GSocketAddress        *to,
                        const CrEngineAddrKey *key,
                        gsize                  in_len)
{
  g_autoptr(GBytes) empty = cr_body_empty ();
  CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_PING, 0, 0, 0, 0, 0 };
  gsize len;
  const guint8 *data = g_bytes_get_data (empty, &len);

  header.ack = _cr_engine_address_cookie (self, key);
  _cr_engine_emit_limited (self, out, to, cr_datagram_build (&header, data, len), in_len);
}

/* A reply to an address that has not proven it receives (no cookie yet,
 * or classic): at most AMPLIFICATION times the bytes of the datagram it
 * answers, or nothing, so a forged source never makes the room a
 * reflector. Takes data. */
gboolean
_cr_engine_emit_limited (CrEngine       *self,
                         GPtrArray      *out,
                         GSocketAddress *to,
                         GBytes         *data,
                         gsize           in_len)
{
  if (g_bytes_get_size (data) > AMPLIFICATION * in_len)
    {
      self->stats.amplification++;
      g_bytes_unref (data);
      return FALSE;
    }
  _cr_engine_emit (self, out, to, data);
  return TRUE;
}

/* Hosts: an address without its port. */

/* The per-IP limits are there because anyone on the LAN can forge a source
 * address. A loopback source cannot come from the LAN (the kernel drops
 * such martians arriving on any other interface): it is a program on the
 * room's own machine, which owns the room anyway. Local tests and
 * benchmarks run many members from it. */
gboolean
_cr_engine_host_is_local (const CrEngineAddrKey *key)
{
  static const guint8 v6_loopback[16] = { [15] = 1 };

  if (key->bytes[0] == G_SOCKET_FAMILY_IPV4)
    return key->bytes[3] == 127;
  return memcmp (key->bytes + 3, v6_loopback, sizeof v6_loopback) == 0;
}

void
_cr_engine_host_key (CrEngineAddrKey       *host,
                     const CrEngineAddrKey *key)
{
  *host = *key;
  host->bytes[1] = host->bytes[2] = 0;
}

/* The record of key's IP, made if need be; NULL when the table is full of
 * IPs that are all busy. */
CrEngineHost *
_cr_engine_host (CrEngine              *self,
                 const CrEngineAddrKey *key,
                 gint64                 now)
{
  CrEngineAddrKey host_key;
  CrEngineHost *host;

  _cr_engine_host_key (&host_key, key);
  host = g_hash_table_lookup (self->hosts, &host_key);
  if (host != NULL)
    return host;
  if (!make_room (self, self->hosts, HOSTS_MAX, now))
    return NULL;
  host = g_new0 (CrEngineHost, 1);
  g_hash_table_insert (self->hosts, g_memdup2 (&host_key, sizeof host_key), host);
  return host;
}

/* Has key's IP as many members as one machine may have? Counted on demand:
 * joins are rate-limited and the room holds a few hundred members. */
gboolean
_cr_engine_host_is_full (CrEngine              *self,
                         const CrEngineAddrKey *key,
                         gboolean               classic)
{
  guint max = self->config.members_per_ip;
  guint members = 0, classic_members = 0;
  CrEngineAddrKey host_key;
  GHashTableIter iter;
  CrEngineSession *session;

  if (_cr_engine_host_is_local (key))
    return FALSE;
  if (max == 0)
    max = MAX (8, cr_room_get_max_members (self->room) / 10);
  _cr_engine_host_key (&host_key, key);

  g_hash_table_iter_init (&iter, self->by_member);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &session))
    {
      CrEngineAddrKey other;

      /* Its own address is replaced by the join, not added to. */
      if (_cr_engine_addr_key_equal (&session->key, key))
        continue;
      _cr_engine_host_key (&other, &session->key);
      if (!_cr_engine_addr_key_equal (&other, &host_key))
        continue;
      members++;
      if (session->dialect == CR_DIALECT_CLASSIC)
        classic_members++;
    }
  if (members >= max || (classic && classic_members >= self->config.classic_members_per_ip))
    {
      self->stats.join_limited++;
      return TRUE;
    }
  return FALSE;
}

/* A classic join proves nothing, so a name taken by a classic address that
 * has sent nothing since is only held for classic_grace_us: after that,
 * whoever asks for the name gets it and the squatter times out. */
void
_cr_engine_release_squatter (CrEngine     *self,
                             const char   *name,
                             CrEngineTime  now,
                             GPtrArray    *out)
{
  const CrRoomMember *member = cr_room_lookup_name (self->room, name);
  CrEngineSession *session;

  if (member == NULL)
    return;
  session = g_hash_table_lookup (self->by_member, GUINT_TO_POINTER (member->id));
  if (session == NULL || session->dialect != CR_DIALECT_CLASSIC || session->spoke ||
      now.mono - session->joined <= self->config.classic_grace_us)
    return;
  _cr_engine_session_leaves (self, session, CR_EVENT_TIMEOUT, now, out);
}

/* Should a broadcast be queued for this session? Not for a native member
 * about to be dropped for its backlog, nor for a classic one that has been
 * silent for classic_quiet_us: a forged classic join reflects for that
 * long, and a real member gets the lines again with its next datagram. */
gboolean
_cr_engine_session_wants (CrEngine        *self,
                          CrEngineSession *session,
                          gint64           now)
{
  if (session->overflow)
    return FALSE;
  if (session->dialect == CR_DIALECT_CLASSIC && self->config.classic_quiet_us > 0 &&
      now - session->last_heard > self->config.classic_quiet_us)
    {
      self->stats.quiet_skipped++;
      return FALSE;
    }
  return TRUE;
}

/* Is the member of this session gone (for the tick to time it out)? */
gboolean
_cr_engine_session_expired (CrEngine        *self,
                            CrEngineSession *session,
                            gint64           now)
{
  if (session->closing || session->member_id == 0)
    return FALSE;
  if (session->overflow)
    return TRUE;
  return now >= _cr_engine_session_deadline (self, session);
}

/* When the member of this session times out, unless it is heard from. A
 * native one must also acknowledge: pings that ack nothing of what is
 * owed do not keep it. */
gint64
_cr_engine_session_deadline (CrEngine        *self,
                             CrEngineSession *session)
{
  gint64 limit;
  gint64 since;

  if (session->closing || session->member_id == 0)
    return G_MAXINT64;
  if (session->overflow)
    return 0;
  if (session->dialect == CR_DIALECT_CLASSIC)
    {
      limit = self->config.classic_idle_us;
      since = session->last_heard;
    }
  else
    {
      limit = self->config.silence_timeout_us;
      since = cr_reliable_get_unacked (session->rel) > 0
        ? MIN (session->last_heard, session->last_progress)
        : session->last_heard;
    }
  if (limit <= 0)
    return G_MAXINT64;
  return since + limit + 1;
}

/* Timers. Every session has one time it wants the tick at (its reliable
 * layer's next deadline, its linger, its silence timeout): the earliest is
 * in a binary min-heap, so finding the next deadline and the sessions due
 * costs O(log n) per session due instead of a walk over every member at
 * every wakeup (2 000 members pinging every 2 s made that 2 million visits
 * a second). A session is rescheduled whenever it is flushed, which is
 * after everything that can bring its time forward (a send, an owed ack,
 * closing, overflow); a time that moves later leaves its entry early, and
 * the tick that finds nothing due there reschedules it. */

static gboolean
timer_less (const CrEngineTimer *a,
            const CrEngineTimer *b)
{
  return a->at < b->at;
}

static void
timers_push (GArray  *heap,
             gint64   at,
             guint32  id)
{
  CrEngineTimer timer = { at, id };
  guint i;

  g_array_append_val (heap, timer);
  for (i = heap->len - 1; i > 0; )
    {
      guint parent = (i - 1) / 2;
      CrEngineTimer *p = &g_array_index (heap, CrEngineTimer, parent);

      if (!timer_less (&timer, p))
        break;
      g_array_index (heap, CrEngineTimer, i) = *p;
      i = parent;
    }
  g_array_index (heap, CrEngineTimer, i) = timer;
}

static void
timers_pop (GArray *heap)
{
  CrEngineTimer last;
  guint i = 0;

  g_assert (heap->len > 0);
  last = g_array_index (heap, CrEngineTimer, heap->len - 1);
  g_array_set_size (heap, heap->len - 1);
  if (heap->len == 0)
    return;
  for (;;)
    {
      guint child = 2 * i + 1;
      CrEngineTimer *c;

      if (child >= heap->len)
        break;
      if (child + 1 < heap->len &&
          timer_less (&g_array_index (heap, CrEngineTimer, child + 1),
                      &g_array_index (heap, CrEngineTimer, child)))
        child++;
      c = &g_array_index (heap, CrEngineTimer, child);
      if (!timer_less (c, &last))
        break;
      g_array_index (heap, CrEngineTimer, i) = *c;
      i = child;
    }
  g_array_index (heap, CrEngineTimer, i) = last;
}

/* The entry on top is its session's current time. */
static CrEngineSession *
timers_top_session (CrEngine *self)
{
  const CrEngineTimer *top = &g_array_index (self->timers, CrEngineTimer, 0);
  CrEngineSession *session = g_hash_table_lookup (self->by_id, GUINT_TO_POINTER (top->session));

  return session != NULL && session->scheduled == top->at ? session : NULL;
}

static gint64
session_wants_tick (CrEngine        *self,
                    CrEngineSession *session)
{
  gint64 next = session->rel != NULL ? cr_reliable_next_deadline (session->rel) : G_MAXINT64;

  if (session->closing)
    return MIN (next, session->linger_until);
  return MIN (next, _cr_engine_session_deadline (self, session));
}

void
_cr_engine_session_reschedule (CrEngine        *self,
                               CrEngineSession *session)
{
  gint64 at = session_wants_tick (self, session);

  if (at >= session->scheduled)
    return;
  /* Stale entries pile up when times keep moving earlier: start over
   * from the sessions once they outnumber them well. */
  if (self->timers->len > 4 * g_hash_table_size (self->by_id) + 64)
    {
      GHashTableIter iter;
      CrEngineSession *other;

      g_array_set_size (self->timers, 0);
      g_hash_table_iter_init (&iter, self->by_id);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &other))
        {
          other->scheduled = session_wants_tick (self, other);
          if (other->scheduled != G_MAXINT64)
            timers_push (self->timers, other->scheduled, other->id);
        }
      return;
    }
  session->scheduled = at;
  timers_push (self->timers, at, session->id);
}

/* Appends the ids (guint32) of the sessions due at now; each is taken out
 * of the heap until it is rescheduled. */
void
_cr_engine_timers_take_due (CrEngine *self,
                            gint64    now,
                            GArray   *ids)
{
  while (self->timers->len > 0 &&
         g_array_index (self->timers, CrEngineTimer, 0).at <= now)
    {
      CrEngineSession *session = timers_top_session (self);

      timers_pop (self->timers);
      if (session == NULL)
        continue;
      session->scheduled = G_MAXINT64;
      g_array_append_val (ids, session->id);
    }
}

gint64
_cr_engine_timers_next (CrEngine *self)
{
  while (self->timers->len > 0)
    {
      if (timers_top_session (self) != NULL)
        return g_array_index (self->timers, CrEngineTimer, 0).at;
      timers_pop (self->timers);
    }
  return G_MAXINT64;
}

/* Sessions */

void
_cr_engine_session_free (CrEngineSession *session)
{
  g_clear_object (&session->addr);
  g_clear_pointer (&session->rel, cr_reliable_free);
  g_free (session->resume_token);
  g_free (session->origins);
  cr_seal_clear (&session->seal);
  g_free (session);
}

CrEngineSession *
_cr_engine_session_new (CrEngine              *self,
                        GSocketAddress        *addr,
                        const CrEngineAddrKey *key,
                        CrDialect              dialect,
                        guint32                member_id,
                        gint64                 now)
{
  CrEngineSession *session = g_new0 (CrEngineSession, 1);
  guint8 token[16];

  /* One draw, then the next free id: bounded even if the caller's
   * randomness repeats itself. */
  _cr_engine_random (self, &session->id, sizeof session->id);
  while (session->id == 0 || g_hash_table_contains (self->by_id, GUINT_TO_POINTER (session->id)))
    session->id++;

  session->key = *key;
  session->addr = g_object_ref (addr);
  session->dialect = dialect;
  session->member_id = member_id;
  session->last_heard = now;
  session->last_progress = now;
  session->joined = now;
  session->scheduled = G_MAXINT64;
  /* What was committed before it came is in its welcome (native) or not
   * its business (classic): the batch's fan-out starts after it. */
  session->told_seq = cr_room_get_last_seq (self->room);
  if (dialect == CR_DIALECT_NATIVE)
    {
      session->rel = cr_reliable_new ();
      _cr_engine_random (self, token, sizeof token);
      session->resume_token = g_malloc (sizeof token * 2 + 1);
      sodium_bin2hex (session->resume_token, sizeof token * 2 + 1, token, sizeof token);
      g_hash_table_insert (self->by_token, session->resume_token, session);
    }

  g_hash_table_insert (self->by_id, GUINT_TO_POINTER (session->id), session);
  g_hash_table_insert (self->by_addr, &session->key, session);
  if (member_id != 0)
    g_hash_table_insert (self->by_member, GUINT_TO_POINTER (member_id), session);
  _cr_engine_session_reschedule (self, session);
  /* The address keeps its bucket: a join is no reason to forget how fast
   * it has been asking. */
  return session;
}

void
_cr_engine_session_destroy (CrEngine        *self,
                            CrEngineSession *session)
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

typedef struct {
  CrEngine        *engine;
  CrEngineSession *session;
  GPtrArray       *out;
} FlushTo;

static void
flush_one (const guint8 *datagram,
           gsize         len,
           gpointer      user_data)
{
  FlushTo *to = user_data;

  _cr_engine_session_emit_raw (to->engine, to->session, to->out, datagram, len);
}

void
_cr_engine_session_flush (CrEngine        *self,
                          CrEngineSession *session,
                          gint64           now,
                          GPtrArray       *out)
{
  FlushTo to = { self, session, out };
  guint64 before;

  if (session->rel == NULL)
    {
      _cr_engine_session_reschedule (self, session);
      return;
    }

  /* Each datagram is sealed as the reliable layer writes it: no plaintext
   * copy is made (a broadcast's hot path, once per member). */
  before = cr_reliable_get_retransmits (session->rel);
  cr_reliable_flush_each (session->rel, session->id, now, flush_one, &to);
  self->stats.retransmits += cr_reliable_get_retransmits (session->rel) - before;
  if (cr_reliable_get_unacked (session->rel) == 0)
    session->last_progress = now;
  else if (!session->closing && session->member_id != 0 && !session->overflow &&
           (cr_reliable_get_unacked (session->rel) > UNACKED_MAX ||
            cr_reliable_get_unacked_bytes (session->rel) > UNACKED_BYTES_MAX))
    {
      /* Dropped at the next tick (not here: the caller may be walking the
       * members); until then nothing more is queued for it. */
      session->overflow = TRUE;
      self->stats.overflowed++;
    }
  _cr_engine_session_reschedule (self, session);
}

/* The member is gone from the room: a native session says goodbye (and
 * lingers until acked), a classic one just ends. */
void
_cr_engine_session_end (CrEngine        *self,
                        CrEngineSession *session,
                        CrReason         reason,
                        CrEngineTime     now,
                        GPtrArray       *out)
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
          _cr_engine_emit_text (self, out, session->addr,
                                cr_classic_format_reason (self->classic, reason));
        }
      if (session->dialect == CR_DIALECT_NATIVE)
        {
          /* The last ack, undelayed: the session is gone after this. */
          cr_reliable_ack_now (session->rel);
          _cr_engine_session_flush (self, session, now.mono, out);
        }
      _cr_engine_session_destroy (self, session);
      return;
    }

  {
    g_autoptr(GBytes) body = cr_body_bye (reason, "");
    cr_reliable_send (session->rel, CR_PACKET_BYE, body);
  }
  session->closing = TRUE;
  session->linger_until = now.mono +
                          (reason == CR_REASON_ROOM_CLOSED ? CLOSE_LINGER_US : LINGER_US);
  _cr_engine_session_flush (self, session, now.mono, out);
}

/* The member of this session leaves the room (LEAVE or TIMEOUT), with no
 * goodbye: it said one, or it is not listening. */
void
_cr_engine_session_leaves (CrEngine        *self,
                           CrEngineSession *session,
                           CrEventKind      kind,
                           CrEngineTime     now,
                           GPtrArray       *out)
{
  guint32 member_id = session->member_id;
  g_autoptr(CrEvent) event = NULL;

  _cr_engine_session_end (self, session, CR_REASON_NONE, now, out);
  if (member_id == 0)
    return;
  event = cr_room_leave (self->room, member_id, kind, now.wall);
  if (event != NULL)
    _cr_engine_commit_event (self, event, now, out);
}
