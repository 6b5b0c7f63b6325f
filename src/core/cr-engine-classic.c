/* cr-engine-classic.c: the engine's classroom dialect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The classroom server's text lines ("N name", "M name text", "Q name"),
 * parsed by cr-classic.c. A classic member has no password, no acks and no
 * proof that its address is not forged, so it gets "OK" and the lines of
 * what happens from then on, never the history.
 *
 * Since it proves nothing, what a forged "N name" can cost is bounded by
 * design (HACKING.md, "What a forged classic join can still cost"): a
 * reply is never over 3× the datagram it answers (or it is not sent), one
 * IP gets CR_ENGINE_CLASSIC_JOIN_BURST joins and then one per 5 s, at most
 * config.classic_members_per_ip classic members, a member silent for
 * config.classic_quiet_us gets no more broadcasts until it speaks, and a
 * name it never used is given up after config.classic_grace_us.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-engine-private.h"

/* A reply to an address that proved nothing is at most 3× the datagram
 * it answers (cr-engine-sessions.c): a longer refusal is cut at a
 * character boundary, which the classroom client still reads as "not
 * OK"; "N t" (3 bytes) gets "该昵称" (9) for "该昵称已被占用" (21). */
static void
reply (CrEngine       *self,
       GPtrArray      *out,
       GSocketAddress *to,
       const char     *text,
       gsize           in_len)
{
  gsize len = strlen (text);

  if (len > 3 * in_len)
    {
      const char *end = g_utf8_find_prev_char (text, text + 3 * in_len + 1);

      len = end != NULL ? (gsize) (end - text) : 0;
      self->stats.amplification++;
    }
  if (len > 0)
    _cr_engine_emit_limited (self, out, to, g_bytes_new (text, len), in_len);
}

void
_cr_engine_handle_classic (CrEngine              *self,
                           const guint8          *data,
                           gsize                  len,
                           GSocketAddress        *from,
                           const CrEngineAddrKey *key,
                           CrEngineTime           now,
                           GPtrArray             *out)
{
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  CrEngineSession *session = g_hash_table_lookup (self->by_addr, key);
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
      session->last_heard = now.mono;
      session->spoke = TRUE;
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
      if (!_cr_engine_unverified_allow (self, key, now.mono))
        return;
      _cr_engine_send_cookie (self, out, from, key, len);
      break;

    case CR_CLASSIC_JOIN:
      {
        g_autofree char *normalized = NULL;
        g_autofree char *fold = NULL;
        g_autoptr(CrEvent) event = NULL;
        CrEngineHost *host;
        CrReason reason;
        guint32 member_id;

        if (member != NULL)
          {
            /* Our OK was lost and the classroom client asks again. */
            g_autofree char *want = cr_name_fold (name);
            if (g_strcmp0 (want, member->fold) == 0)
              reply (self, out, from, CR_CLASSIC_OK, len);
            else
              self->stats.spoofed++;
            return;
          }
        if (!_cr_engine_unverified_allow (self, key, now.mono))
          return;
        /* Per IP, not per port: a forger has 65 535 ports. */
        host = _cr_engine_host (self, key, now.mono);
        if (!_cr_engine_host_is_local (key) &&
            (host == NULL ||
             !_cr_engine_bucket_take (&host->classic_joins, CR_ENGINE_CLASSIC_JOIN_RATE,
                                      CR_ENGINE_CLASSIC_JOIN_BURST, now.mono)))
          {
            self->stats.join_limited++;
            return;
          }

        /* A room that wants every member encrypted (chatroomd --no-classic). */
        if (self->config.refuse_classic)
          {
            reply (self, out, from,
                   cr_classic_format_reason (self->classic, CR_REASON_CLASSIC_REFUSED), len);
            return;
          }
        _cr_engine_release_squatter (self, name, now, out);
        reason = cr_room_check_join (self->room, name, &normalized);
        if (reason == CR_REASON_NONE && _cr_engine_host_is_full (self, key, TRUE))
          reason = CR_REASON_ROOM_FULL;
        if (reason == CR_REASON_NONE)
          {
            fold = cr_name_fold (normalized);
            /* Classic clients have no password to offer. */
            if (self->store != NULL && cr_store_has_account (self->store, fold))
              reason = CR_REASON_NAME_REGISTERED;
            else if (_cr_engine_is_lookalike (self, normalized, fold))
              reason = CR_REASON_NAME_CONFUSABLE;
            else if (self->config.require_registration)
              reason = CR_REASON_REGISTRATION_REQUIRED;
          }
        if (reason == CR_REASON_NONE)
          event = cr_room_join (self->room, normalized, CR_ROLE_MEMBER, CR_MEMBER_CLASSIC,
                                now.wall, &member_id, &reason);
        if (event == NULL)
          {
            reply (self, out, from, cr_classic_format_reason (self->classic, reason), len);
            return;
          }

        _cr_engine_commit_event (self, event, now, out);
        session = _cr_engine_session_new (self, from, key, CR_DIALECT_CLASSIC, member_id, now.mono);
        /* Only "OK": a classic address never proves it is not forged, so
         * it gets no history (the room would send a stranger 50 lines for a
         * 7-byte datagram). The classroom client never had any. */
        reply (self, out, from, CR_CLASSIC_OK, len);
        _cr_engine_classic_pin (self, from, out);
        break;
      }

    case CR_CLASSIC_MESSAGE:
      {
        g_autoptr(CrEvent) event = NULL;
        CrReason reason = CR_REASON_NONE;

        if (!_cr_engine_bucket_take (&session->bucket, self->config.rate_per_second,
                                     self->config.rate_burst, now.mono))
          {
            self->stats.rate_limited++;
            return;
          }
        event = cr_room_say (self->room, session->member_id, text, 0, now.wall, &reason);
        if (event != NULL)
          _cr_engine_commit_event (self, event, now, out);
        else
          reply (self, out, from, cr_classic_format_reason (self->classic, reason), len);
        break;
      }

    case CR_CLASSIC_QUIT:
      _cr_engine_session_leaves (self, session, CR_EVENT_LEAVE, now, out);
      break;

    case CR_CLASSIC_INVALID:
    default:
      g_assert_not_reached ();
    }
}
