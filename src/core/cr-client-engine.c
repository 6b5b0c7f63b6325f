/* cr-client-engine.c: a member's packet path, both dialects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What both dialects share lives here: the state machine's edges (joined,
 * refused, closed), own messages waiting for the room, events shown once,
 * and the outputs the caller drains; the member list is in
 * cr-client-engine-members.c. What is said on
 * the wire is in cr-client-native.c and cr-client-classic.c.
 *
 * Joining (the room's dialect is not known in advance):
 *
 *   probe (CR_PROBE_TEXT, valid UTF-8 the classroom server ignores) every
 *   300 ms ──PING (session 0)──▶ native: JOIN every 500 ms ──WELCOME──▶
 *   history EVENTs ──MEMBERS──▶ CONNECTED
 *
 *   no native answer after join_timeout / 5 (1 s by default) ──▶ also
 *   "N name" once ──"OK"──▶ classic, CONNECTED
 *
 * Nothing binary is sent before the room has answered natively: the
 * classroom server's receive thread dies on a datagram that is not UTF-8.
 */
#define G_LOG_DOMAIN "cr-client-engine"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <sodium.h>

#include "cr-crypto.h"
#include "cr-files.h"
#include "cr-protocol.h"
#include "cr-client-dialect.h"
#include "cr-client-engine.h"
#include "cr-room.h"

#define DEFAULT_KEEPALIVE_US     (2 * G_TIME_SPAN_SECOND)
#define DEFAULT_SILENCE_US       (6 * G_TIME_SPAN_SECOND)
#define DEFAULT_JOIN_TIMEOUT_US  (5 * G_TIME_SPAN_SECOND)
#define PENDING_TIMEOUT_US       (10 * G_TIME_SPAN_SECOND)

/* ------------------------------------------------------------------ */
/* Outputs                                                            */

void
cr_client_output_free (CrClientOutput *output)
{
  if (output == NULL)
    return;
  g_free (output->detail);
  g_free (output->name);
  g_free (output->room_name);
  g_clear_pointer (&output->event, cr_event_free);
  g_clear_pointer (&output->member, cr_client_member_free);
  g_clear_pointer (&output->members, g_ptr_array_unref);
  g_clear_pointer (&output->events, g_ptr_array_unref);
  g_free (output);
}

static CrClientOutput *
push_output (CrClientEngine     *self,
             CrClientOutputKind  kind)
{
  CrClientOutput *output = g_new0 (CrClientOutput, 1);

  output->kind = kind;
  output->state = self->state;
  g_queue_push_tail (&self->outputs, output);
  return output;
}

CrClientOutput *
_cr_client_engine_push_output (CrClientEngine     *self,
                               CrClientOutputKind  kind)
{
  return push_output (self, kind);
}

void
_cr_client_pending_free (CrClientPending *pending)
{
  g_free (pending->text);
  g_free (pending->to);
  g_free (pending);
}

/* ------------------------------------------------------------------ */
/* For the dialects                                                   */

void
_cr_client_engine_wake (CrClientEngine *self)
{
  self->tick_wanted = TRUE;
}

void
_cr_client_engine_send (CrClientEngine *self,
                        GBytes         *datagram)
{
  CrDatagram *d;

  if (self->out == NULL)
    return;
  d = g_new0 (CrDatagram, 1);
  d->to = self->room != NULL ? g_object_ref (self->room) : NULL;
  d->data = g_bytes_ref (datagram);
  g_ptr_array_add (self->out, d);
  self->last_sent = self->now;
  self->stats.datagrams_out++;
}

void
_cr_client_engine_set_state (CrClientEngine *self,
                             CrClientState   state)
{
  if (self->state == state)
    return;
  g_debug ("%s: state %d → %d", self->join_name ? self->join_name : "?", self->state, state);
  self->state = state;
  push_output (self, CR_CLIENT_OUTPUT_STATE)->reason = self->close_reason;
  _cr_client_engine_wake (self);
}

gboolean
_cr_client_engine_is_self (CrClientEngine *self,
                           const char     *name)
{
  g_autofree char *fold = NULL;
  gsize len = 0;

  if (self->fold == NULL || name == NULL || *name == '\0')
    return FALSE;

  /* Asked of every chat line: a name of printable ASCII but the space
   * (most are) folds to itself lowered (cr_name_fold), so it is compared
   * so, without a copy. Only a whole name: a combining mark after an
   * ASCII letter would compose with it. */
  while ((guchar) name[len] > 0x20 && (guchar) name[len] < 0x7f)
    len++;
  if (name[len] == '\0')
    {
      if (strlen (self->fold) != len)
        return FALSE;
      for (gsize i = 0; i < len; i++)
        if (g_ascii_tolower (name[i]) != self->fold[i])
          return FALSE;
      return TRUE;
    }

  fold = cr_name_fold (name);
  return g_strcmp0 (fold, self->fold) == 0;
}

void
_cr_client_engine_set_identity (CrClientEngine        *self,
                                const CrClientDialect *dialect,
                                const char            *name,
                                const char            *room_name,
                                CrRole                 role)
{
  CrClientOutput *output;

  self->dialect = dialect;
  if (g_strcmp0 (self->name, name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (name);
      g_clear_pointer (&self->fold, g_free);
      self->fold = cr_name_fold (name);
      for (guint i = 0; i < self->members->len; i++)
        {
          CrClientMember *member = self->members->pdata[i];

          member->is_self = _cr_client_engine_is_self (self, member->name);
        }
    }
  g_free (self->room_name);
  self->room_name = g_strdup (room_name);
  self->role = role;

  output = push_output (self, CR_CLIENT_OUTPUT_IDENTITY);
  output->name = g_strdup (self->name);
  output->room_name = g_strdup (self->room_name);
  output->role = self->role;
  output->dialect = dialect->dialect;
}

void
_cr_client_engine_close (CrClientEngine *self,
                         CrReason        reason)
{
  if (self->state == CR_CLIENT_CLOSED)
    return;

  self->close_reason = reason;
  _cr_client_engine_set_state (self, CR_CLIENT_CLOSED);
  for (guint i = 0; i < self->pending->len; i++)
    {
      CrClientPending *pending = self->pending->pdata[i];

      _cr_client_engine_failed (self, pending->origin,
                                reason != CR_REASON_NONE ? reason : CR_REASON_NO_ANSWER);
    }
  g_ptr_array_set_size (self->pending, 0);
  push_output (self, CR_CLIENT_OUTPUT_CLOSED)->reason = reason;
}

void
_cr_client_engine_fail_join (CrClientEngine *self,
                             CrReason        reason,
                             const char     *detail)
{
  CrClientOutput *output;

  g_debug ("%s: join failed: %u %s", self->join_name, reason, detail ? detail : "");
  _cr_client_engine_close (self, reason);
  output = push_output (self, CR_CLIENT_OUTPUT_JOIN_FAILED);
  output->reason = reason;
  output->detail = g_strdup (detail);
}

void
_cr_client_engine_complete_join (CrClientEngine *self)
{
  _cr_client_engine_set_state (self, CR_CLIENT_CONNECTED);
  push_output (self, CR_CLIENT_OUTPUT_JOINED);
}

/* ------------------------------------------------------------------ */
/* Own messages                                                       */

CrClientPending *
_cr_client_engine_take_pending (CrClientEngine *self,
                                guint64         origin)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      CrClientPending *pending = self->pending->pdata[i];

      if (pending->origin == origin)
        return g_ptr_array_steal_index (self->pending, i);
    }
  return NULL;
}

void
_cr_client_engine_sent (CrClientEngine *self,
                        guint64         origin,
                        guint64         seq,
                        gint64          time_us)
{
  CrClientOutput *output = push_output (self, CR_CLIENT_OUTPUT_SENT);

  output->origin = origin;
  output->seq = seq;
  output->time_us = time_us;
}

void
_cr_client_engine_failed (CrClientEngine *self,
                          guint64         origin,
                          CrReason        reason)
{
  CrClientOutput *output = push_output (self, CR_CLIENT_OUTPUT_FAILED);

  output->origin = origin;
  output->reason = reason;
}

gint64
_cr_client_engine_expire_pending (CrClientEngine *self,
                                  gint64          now)
{
  gint64 next = G_MAXINT64;

  for (guint i = 0; i < self->pending->len; )
    {
      CrClientPending *pending = self->pending->pdata[i];

      if (pending->sent_at > 0 && now - pending->sent_at >= PENDING_TIMEOUT_US)
        {
          _cr_client_engine_failed (self, pending->origin, CR_REASON_NO_ANSWER);
          g_ptr_array_remove_index (self->pending, i);
          continue;
        }
      if (pending->sent_at > 0)
        next = MIN (next, pending->sent_at + PENDING_TIMEOUT_US);
      i++;
    }
  return next;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

static gboolean
name_ok (const char *name,
         gboolean    may_be_empty)
{
  if (*name == '\0')
    return may_be_empty;
  return cr_name_validate (name, -1, NULL) == CR_REASON_NONE;
}

gboolean
_cr_client_engine_event_valid (const CrEvent *event)
{
  if (event->kind < CR_EVENT_CHAT || event->kind > CR_EVENT_LAST || event->seq == 0)
    return FALSE;

  switch (event->kind)
    {
    case CR_EVENT_CHAT:
      if (event->recalled)
        return name_ok (event->name, FALSE) && *event->text == '\0';
      return name_ok (event->name, FALSE) && cr_text_validate (event->text, -1) == CR_REASON_NONE;

    case CR_EVENT_RECALL:
      return name_ok (event->name, TRUE) && *event->text == '\0' && event->ref_seq != 0;

    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
      /* The owner may have no name (a room without an owner's name). */
      if (event->recalled)
        return name_ok (event->name, TRUE) && *event->text == '\0';
      return name_ok (event->name, TRUE) && cr_text_validate (event->text, -1) == CR_REASON_NONE;

    case CR_EVENT_ROOM_CLOSED:
    case CR_EVENT_MUTE_ALL:     /* name: the admin who did it, "" the owner */
    case CR_EVENT_UNMUTE_ALL:
    case CR_EVENT_UNPIN:
      return name_ok (event->name, TRUE) && *event->text == '\0';

    case CR_EVENT_PIN:
      return name_ok (event->name, TRUE) && *event->text != '\0' &&
             strlen (event->text) <= CR_PIN_MAX_BYTES &&
             cr_text_validate (event->text, -1) == CR_REASON_NONE;

    case CR_EVENT_FILE:
    case CR_EVENT_FILE_EXPIRED:
      {
        g_autoptr(CrFileInfo) info = cr_file_info_from_event (event);

        /* The room made the name safe; a forged one is made safe again when shown. */
        return name_ok (event->name, event->kind == CR_EVENT_FILE_EXPIRED) && info != NULL &&
               cr_text_validate (event->text, -1) == CR_REASON_NONE;
      }

    case CR_EVENT_JOIN:
    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
    case CR_EVENT_UNBAN:
    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    default:
      return name_ok (event->name, FALSE) && *event->text == '\0';
    }
}

void
_cr_client_engine_show_event (CrClientEngine *self,
                              CrEvent        *event,
                              gboolean        apply_members,
                              gboolean        announce)
{
  g_autoptr(CrEvent) owned = event;
  CrClientOutput *output;
  gboolean own;

  if (apply_members)
    _cr_client_engine_apply_member_event (self, event);

  if (event->origin != 0 && cr_event_kind_is_chat (event->kind))
    {
      CrClientPending *pending;

      /* One message, one row: a message sent again (a retry after a
       * timeout, while the first copy was still on its way) may be in the
       * room twice, under two seqs but with one origin. */
      if (g_hash_table_contains (self->seen_origins, &event->origin))
        {
          self->stats.stale++;
          return;
        }
      g_hash_table_add (self->seen_origins, g_memdup2 (&event->origin, sizeof event->origin));

      pending = _cr_client_engine_take_pending (self, event->origin);
      if (pending != NULL || g_hash_table_contains (self->own_origins, &event->origin))
        {
          _cr_client_engine_sent (self, event->origin, event->seq, event->time_us);
          /* The room's copy: a reply's quote, a private message's target. */
          ((CrClientOutput *) self->outputs.tail->data)->event = cr_event_copy (event);
          g_clear_pointer (&pending, _cr_client_pending_free);
          return;
        }
    }

  own = cr_event_kind_is_chat (event->kind) && _cr_client_engine_is_self (self, event->name);
  output = push_output (self, CR_CLIENT_OUTPUT_EVENT);
  output->event = g_steal_pointer (&owned);
  output->own = own;
  output->announce = announce && !own;
}

gboolean
cr_client_address_equal (GSocketAddress *a,
                         GSocketAddress *b)
{
  if (!G_IS_INET_SOCKET_ADDRESS (a) || !G_IS_INET_SOCKET_ADDRESS (b))
    return FALSE;
  if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) !=
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b)))
    return FALSE;
  return g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (a)),
                               g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (b)));
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */

CrClientEngine *
cr_client_engine_new (guint64 origin_base)
{
  CrClientEngine *self = g_new0 (CrClientEngine, 1);

  self->state = CR_CLIENT_DISCONNECTED;
  self->members = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_client_member_free);
  self->member_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) _cr_client_pending_free);
  self->own_origins = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->seen_origins = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->origin_base = origin_base;
  self->keepalive_us = DEFAULT_KEEPALIVE_US;
  self->silence_us = DEFAULT_SILENCE_US;
  self->join_timeout_us = DEFAULT_JOIN_TIMEOUT_US;
  self->next_deadline = G_MAXINT64;
  g_queue_init (&self->outputs);
  return self;
}

void
cr_client_engine_free (CrClientEngine *self)
{
  if (self == NULL)
    return;
  if (self->native != NULL)
    cr_client_native_dialect.free (self->native);
  if (self->classic != NULL)
    cr_client_classic_dialect.free (self->classic);
  g_queue_clear_full (&self->outputs, (GDestroyNotify) cr_client_output_free);
  _cr_client_moderation_free (self);
  g_clear_object (&self->room);
  g_hash_table_unref (self->member_index);
  g_ptr_array_unref (self->members);
  g_ptr_array_unref (self->pending);
  g_hash_table_unref (self->own_origins);
  g_hash_table_unref (self->seen_origins);
  g_clear_pointer (&self->recalls, g_hash_table_unref);
  g_free (self->join_name);
  g_free (self->password);
  g_free (self->owner_token);
  g_free (self->address);
  g_free (self->accepted_fingerprint);
  g_free (self->name);
  g_free (self->fold);
  g_free (self->room_name);
  g_free (self);
}

void
cr_client_engine_set_timing (CrClientEngine *self,
                             gint64          keepalive_us,
                             gint64          silence_us,
                             gint64          join_timeout_us)
{
  g_return_if_fail (self != NULL);

  self->keepalive_us = keepalive_us > 0 ? keepalive_us : DEFAULT_KEEPALIVE_US;
  self->silence_us = silence_us > 0 ? silence_us : DEFAULT_SILENCE_US;
  self->join_timeout_us = join_timeout_us > 0 ? join_timeout_us : DEFAULT_JOIN_TIMEOUT_US;
  _cr_client_engine_wake (self);
}

gboolean
cr_client_engine_join (CrClientEngine     *self,
                       const CrClientJoin *join,
                       gint64              now)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (join != NULL && join->name != NULL, FALSE);

  if (self->state != CR_CLIENT_DISCONNECTED)
    return FALSE;

  self->join_name = g_strdup (join->name);
  self->password = g_strdup (join->password ? join->password : "");
  self->owner_token = g_strdup (join->owner_token ? join->owner_token : "");
  self->address = g_strdup (join->address ? join->address : "");
  self->do_register = join->do_register;
  self->wall_offset = join->wall_offset;
  self->plaintext = join->plaintext;
  self->accept_new_key = join->accept_new_key;
  self->confirm_new_key = join->confirm_new_key;
  self->accepted_fingerprint = g_strdup (join->accepted_fingerprint);
  if (join->known_key != NULL)
    {
      memcpy (self->known_key, join->known_key, sizeof self->known_key);
      self->have_known_key = TRUE;
    }
  self->join_started = now;
  self->native = cr_client_native_dialect.new (self);
  self->classic = cr_client_classic_dialect.new (self);
  _cr_client_engine_set_state (self, CR_CLIENT_CONNECTING);
  return TRUE;
}

gboolean
_cr_client_engine_check_key (CrClientEngine *self,
                             const guint8   *identity)
{
  CrClientOutput *output;
  CrKeyTrust trust;

  /* A rejoin (the room restarted) must meet the key of the first join:
   * no second chance to change it while we are in. */
  if (self->have_room_key)
    {
      if (sodium_memcmp (self->room_key, identity, sizeof self->room_key) == 0)
        return TRUE;
      memcpy (self->offered_key, identity, sizeof self->offered_key);
      self->have_offered_key = TRUE;
      if (self->state == CR_CLIENT_CONNECTING)
        _cr_client_engine_fail_join (self, CR_REASON_KEY_CHANGED, NULL);
      else
        _cr_client_engine_close (self, CR_REASON_KEY_CHANGED);
      return FALSE;
    }

  if (!self->have_known_key)
    {
      g_autofree char *fingerprint = cr_fingerprint (identity);

      /* Asked to stop at a room never met: before anything of ours (name,
       * password) leaves, unless this is the key the user already saw. */
      if (self->confirm_new_key && g_strcmp0 (fingerprint, self->accepted_fingerprint) != 0)
        {
          memcpy (self->offered_key, identity, sizeof self->offered_key);
          self->have_offered_key = TRUE;
          _cr_client_engine_fail_join (self, CR_REASON_KEY_NEW, NULL);
          return FALSE;
        }
      trust = CR_KEY_TRUST_NEW;
    }
  else if (sodium_memcmp (self->known_key, identity, sizeof self->known_key) == 0)
    trust = CR_KEY_TRUST_KNOWN;
  else if (self->accept_new_key)
    trust = CR_KEY_TRUST_ACCEPTED;
  else
    {
      memcpy (self->offered_key, identity, sizeof self->offered_key);
      self->have_offered_key = TRUE;
      _cr_client_engine_fail_join (self, CR_REASON_KEY_CHANGED, NULL);
      return FALSE;
    }

  memcpy (self->room_key, identity, sizeof self->room_key);
  self->have_room_key = TRUE;
  output = push_output (self, CR_CLIENT_OUTPUT_ROOM_KEY);
  output->key_trust = trust;
  return TRUE;
}

const guint8 *
cr_client_engine_get_room_key (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->have_room_key ? self->room_key : NULL;
}

const guint8 *
cr_client_engine_get_offered_key (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->have_offered_key ? self->offered_key : NULL;
}

void
cr_client_engine_start (CrClientEngine *self,
                        gint64          now,
                        GPtrArray      *out)
{
  g_return_if_fail (self != NULL);

  if (self->state != CR_CLIENT_CONNECTING || self->started)
    return;
  self->started = TRUE;
  cr_client_engine_tick (self, now, out);
}

void
cr_client_engine_receive (CrClientEngine *self,
                          const guint8   *data,
                          gsize           len,
                          GSocketAddress *from,
                          gint64          now,
                          GPtrArray      *out)
{
  gboolean native;

  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  self->stats.datagrams_in++;
  if (self->state == CR_CLIENT_DISCONNECTED || !self->started)
    {
      self->stats.stale++;
      return;
    }
  if (from != NULL && self->room != NULL && !cr_client_address_equal (from, self->room))
    {
      self->stats.spoofed++;
      return;
    }

  native = cr_protocol_is_native (data, len);
  /* Once a dialect is settled, the other one's datagrams mean nothing; a
   * closed native session still acks a room repeating its goodbye. */
  if (self->dialect != NULL &&
      self->dialect->dialect != (native ? CR_DIALECT_NATIVE : CR_DIALECT_CLASSIC))
    {
      self->stats.stale++;
      return;
    }

  /* The first answer settles where the room is (the caller may have
   * probed several addresses). */
  if (from != NULL && self->room == NULL)
    self->room = g_object_ref (from);

  self->out = out;
  self->now = now;
  if (native)
    cr_client_native_dialect.receive (self, self->native, data, len, now);
  else
    cr_client_classic_dialect.receive (self, self->classic, data, len, now);
  self->out = NULL;
}

void
cr_client_engine_tick (CrClientEngine *self,
                       gint64          now,
                       GPtrArray      *out)
{
  gint64 next = G_MAXINT64;

  g_return_if_fail (self != NULL);

  self->tick_wanted = FALSE;
  self->out = out;
  self->now = now;

  switch (self->state)
    {
    case CR_CLIENT_CONNECTING:
      next = self->join_started + self->join_timeout_us;
      if (now >= next)
        {
          g_autofree char *detail = NULL;
          CrReason reason = CR_REASON_NONE;

          if (!self->native_seen && self->have_known_key)
            /* Translators: why a join failed, after "The room did not answer: …" */
            detail = g_strdup (_("this room spoke encrypted before, and it is never joined "
                                 "unencrypted"));
          else if (!self->native_seen)
            reason = cr_client_classic_dialect.join_timeout (self, self->classic, &detail);
          if (reason == CR_REASON_NONE)
            reason = CR_REASON_NO_ANSWER;
          _cr_client_engine_fail_join (self, reason, detail);
          next = G_MAXINT64;
          break;
        }
      if (!self->started)
        break;   /* still resolving */
      if (self->dialect == NULL || self->dialect == &cr_client_native_dialect)
        next = MIN (next, cr_client_native_dialect.tick (self, self->native, now));
      /* A room whose key we know speaks sealed native: no falling back to
       * the classic dialect, in clear, because its answers are missing (an
       * attacker could drop them to read us). */
      if (self->state == CR_CLIENT_CONNECTING && !self->have_known_key &&
          (self->dialect == NULL || self->dialect == &cr_client_classic_dialect))
        next = MIN (next, cr_client_classic_dialect.tick (self, self->classic, now));
      break;

    case CR_CLIENT_CONNECTED:
    case CR_CLIENT_RECONNECTING:
    case CR_CLIENT_LEAVING:
      next = self->dialect->tick (self, self->dialect == &cr_client_native_dialect
                                        ? self->native : self->classic, now);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }

  self->out = NULL;
  self->next_deadline = next;
}

gint64
cr_client_engine_next_deadline (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, G_MAXINT64);

  if (self->tick_wanted)
    return 0;
  if (self->state == CR_CLIENT_CLOSED || self->state == CR_CLIENT_DISCONNECTED)
    return G_MAXINT64;
  return self->next_deadline;
}

static gpointer
dialect_state (CrClientEngine *self)
{
  return self->dialect == &cr_client_native_dialect ? self->native : self->classic;
}

guint64
cr_client_engine_send (CrClientEngine *self,
                       const char     *text,
                       gint64          now,
                       GPtrArray      *out)
{
  guint64 origin;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (text != NULL, 0);

  if ((self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_RECONNECTING) ||
      self->dialect == NULL)
    return 0;

  origin = self->origin_base | ++self->origin_counter;
  self->out = out;
  self->now = now;
  if (!self->dialect->send_text (self, dialect_state (self), origin, text, now))
    origin = 0;
  self->out = NULL;
  return origin;
}

gboolean
cr_client_engine_retry (CrClientEngine *self,
                        guint64         origin,
                        const char     *text,
                        gint64          now,
                        GPtrArray      *out)
{
  gboolean done;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if ((self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_RECONNECTING) ||
      self->dialect != &cr_client_native_dialect ||
      !g_hash_table_contains (self->own_origins, &origin))
    return FALSE;
  for (guint i = 0; i < self->pending->len; i++)
    if (((CrClientPending *) self->pending->pdata[i])->origin == origin)
      return FALSE;

  self->out = out;
  self->now = now;
  done = self->dialect->send_text (self, self->native, origin, text, now);
  self->out = NULL;
  return done;
}

void
cr_client_engine_leave (CrClientEngine *self,
                        gint64          now,
                        GPtrArray      *out)
{
  g_return_if_fail (self != NULL);

  switch (self->state)
    {
    case CR_CLIENT_CONNECTED:
    case CR_CLIENT_RECONNECTING:
      self->out = out;
      self->now = now;
      self->dialect->leave (self, dialect_state (self), now);
      self->out = NULL;
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CONNECTING:
      _cr_client_engine_close (self, CR_REASON_NONE);
      break;

    case CR_CLIENT_LEAVING:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }
}

void
cr_client_engine_abort (CrClientEngine *self,
                        CrReason        reason)
{
  g_return_if_fail (self != NULL);

  _cr_client_engine_close (self, reason);
}

CrClientOutput *
cr_client_engine_pop_output (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_queue_pop_head (&self->outputs);
}

CrClientState
cr_client_engine_get_state (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, CR_CLIENT_DISCONNECTED);

  return self->state;
}

CrDialect
cr_client_engine_get_dialect (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, CR_DIALECT_NATIVE);

  return self->dialect != NULL ? self->dialect->dialect : CR_DIALECT_NATIVE;
}

const char *
cr_client_engine_get_name (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

const char *
cr_client_engine_get_room_name (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->room_name;
}

CrRole
cr_client_engine_get_role (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, CR_ROLE_MEMBER);

  return self->role;
}

CrReason
cr_client_engine_get_close_reason (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, CR_REASON_NONE);

  return self->close_reason;
}

guint64
cr_client_engine_get_last_seq (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->last_seq;
}

guint32
cr_client_engine_get_session (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->session;
}

guint
cr_client_engine_get_n_pending (CrClientEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->pending->len;
}

void
cr_client_engine_get_stats (CrClientEngine      *self,
                            CrClientEngineStats *stats)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}
