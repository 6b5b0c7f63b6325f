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

/* An address that is no member yet may only make us do a little work. */
gboolean
_cr_engine_unverified_allow (CrEngine              *self,
                             const CrEngineAddrKey *key,
                             gint64                 now)
{
  CrEngineBucket *bucket = g_hash_table_lookup (self->unverified, key);

  if (bucket == NULL)
    {
      /* Forget everyone at once rather than grow without bound: a flood of
       * fresh addresses gets one burst each, nothing more. */
      if (g_hash_table_size (self->unverified) >= UNVERIFIED_MAX)
        g_hash_table_remove_all (self->unverified);
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
                        const CrEngineAddrKey *key)
{
  g_autoptr(GBytes) empty = cr_body_empty ();

  _cr_engine_emit_bare (self, out, to, 0, _cr_engine_address_cookie (self, key),
                        CR_PACKET_PING, empty);
}

/* Sessions */

void
_cr_engine_session_free (CrEngineSession *session)
{
  g_clear_object (&session->addr);
  g_clear_pointer (&session->rel, cr_reliable_free);
  g_free (session->resume_token);
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
  g_hash_table_remove (self->unverified, key);
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

void
_cr_engine_session_flush (CrEngine        *self,
                          CrEngineSession *session,
                          gint64           now,
                          GPtrArray       *out)
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
    _cr_engine_emit (self, out, session->addr, datagrams->pdata[i]);
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
        _cr_engine_session_flush (self, session, now.mono, out);   /* the last ack */
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
