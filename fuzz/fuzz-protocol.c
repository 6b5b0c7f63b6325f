/* fuzz-protocol.c: libFuzzer harness for the wire codec and reliable layer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds one input three ways: as one datagram (header, body, classic text),
 * as a bare body of a type chosen by its first byte (and as an EVENT and a
 * BATCH body, whose in-place readers must give GLib's answer), and as a
 * stream of datagrams through a fresh CrReliable whose deliveries are
 * then parsed.
 * Any critical or warning aborts, so misuse of GLib shows as a crash.
 * Build: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-protocol"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "cr-protocol.h"
#include "cr-protocol-private.h"
#include "cr-reliable.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static gboolean
same_event (const CrEvent *a,
            const CrEvent *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->seq == b->seq && a->time_us == b->time_us && a->kind == b->kind &&
         g_str_equal (a->name, b->name) && g_str_equal (a->text, b->text) &&
         a->origin == b->origin && a->ref_seq == b->ref_seq &&
         g_strcmp0 (a->quote_name, b->quote_name) == 0 &&
         g_strcmp0 (a->quote_text, b->quote_text) == 0 &&
         g_strcmp0 (a->target, b->target) == 0 && a->recalled == b->recalled;
}

/* The in-place readers (cr-protocol-events.c) give GLib's answer. */
static void
read_in_place (CrPacketType  type,
               const guint8 *body,
               gsize         len,
               GVariant     *value)
{
  if (type == CR_PACKET_EVENT)
    {
      g_autoptr(CrEvent) expected = value != NULL ? cr_event_from_body (value) : NULL;
      g_autoptr(CrEvent) in_place = NULL;
      g_autoptr(CrEvent) parsed = NULL;

      if (_cr_event_read_in_place (body, len, &in_place) &&
          (value == NULL || !same_event (in_place, expected)))
        g_error ("the in-place reader took an EVENT as GLib does not");
      if (cr_event_parse (body, len, &parsed) != (value != NULL ? CR_PARSE_OK : CR_PARSE_BAD_BODY) ||
          !same_event (parsed, expected))
        g_error ("cr_event_parse differs from GLib");
    }
  else if (type == CR_PACKET_BATCH)
    {
      g_autoptr(GPtrArray) items = NULL;
      g_autoptr(GPtrArray) events = NULL;
      CrParseResult expected = cr_batch_parse (body, len, &items);

      if (cr_batch_parse_events (body, len, &events) != expected)
        g_error ("cr_batch_parse_events differs from cr_batch_parse");
      for (guint i = 0; expected == CR_PARSE_OK && i < items->len; i++)
        {
          g_autoptr(CrEvent) event =
            cr_event_from_body (((CrBatchItem *) items->pdata[i])->body);

          if (!same_event (events->pdata[i], event))
            g_error ("a BATCH's event differs from GLib's");
        }
    }
}

static void
parse_body (CrPacketType  type,
            const guint8 *body,
            gsize         len)
{
  g_autoptr(GVariant) value = cr_body_parse (type, body, len);

  read_in_place (type, body, len, value);
  if (value == NULL)
    return;
  /* Accepted means normal form: it must serialize back to the same bytes. */
  if (g_variant_get_size (value) != len ||
      (len > 0 && memcmp (g_variant_get_data (value), body, len) != 0))
    g_error ("accepted body is not its own normal form");
  if (type == CR_PACKET_EVENT)
    {
      g_autoptr(CrEvent) event = cr_event_from_body (value);

      /* NULL: extras not as specified (cr-protocol.h), refused whole. */
      if (event != NULL &&
          (!g_utf8_validate (event->name, -1, NULL) || !g_utf8_validate (event->text, -1, NULL) ||
           (event->quote_text != NULL && (strlen (event->quote_text) > CR_QUOTE_MAX_BYTES ||
                                          strchr (event->quote_text, '\n') != NULL)) ||
           (event->target != NULL && cr_name_validate (event->target, -1, NULL) != CR_REASON_NONE)))
        g_error ("an accepted event breaks the spec");
    }
  else if (type == CR_PACKET_CHAT)
    {
      const char *text, *to;
      guint64 origin, reply_to;

      if (cr_chat_from_body (value, &origin, &text, &reply_to, &to) && to != NULL &&
          cr_name_validate (to, -1, NULL) != CR_REASON_NONE)
        g_error ("an accepted private message names no one");
    }
  else if (type == CR_PACKET_PAGE || type == CR_PACKET_RESULTS)
    {
      guint64 head;
      gboolean flag;
      g_autoptr(GPtrArray) events = cr_events_from_body (type, value, &head, &flag);

      if (events != NULL && events->len > (type == CR_PACKET_PAGE ? CR_PAGE_MAX
                                                                  : CR_SEARCH_MAX_RESULTS))
        g_error ("an accepted page is over its bound");
    }
}

static void
one_datagram (const guint8 *data,
              gsize         size)
{
  const guint8 *body = NULL;
  gsize body_len = 0;
  CrHeader header = { 0, };
  char *name = NULL;
  char *text = NULL;
  CrClassicKind kind;

  (void) cr_protocol_is_native (data, size);
  if (cr_header_parse (data, size, &header, &body, &body_len) == CR_PARSE_OK)
    parse_body (header.type, body, body_len);

  kind = cr_classic_parse (data, size, &name, &text);
  if (kind != CR_CLASSIC_INVALID && kind != CR_CLASSIC_PROBE &&
      (!g_utf8_validate (name, -1, NULL) || !g_utf8_validate (text, -1, NULL)))
    g_error ("invalid UTF-8 from the classic parser");
  g_free (name);
  g_free (text);
}

/* Input = [len_hi len_lo datagram]...: each datagram goes to one CrReliable. */
static void
through_reliable (const guint8 *data,
                  gsize         size)
{
  g_autoptr(CrReliable) reliable = cr_reliable_new ();
  g_autoptr(GPtrArray) deliveries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gint64 now = 1;
  gsize pos = 0;

  /* Something to send, so acks in the input have something to act on. */
  {
    g_autoptr(GBytes) chat = cr_body_chat (1, "hello");
    guint8 big[3000];

    memset (big, 'x', sizeof big);
    cr_reliable_send (reliable, CR_PACKET_CHAT, chat);
    {
      g_autoptr(GBytes) big_bytes = g_bytes_new (big, sizeof big);

      cr_reliable_send (reliable, CR_PACKET_CHAT, big_bytes);
    }
  }

  while (pos + 2 <= size)
    {
      gsize len = ((gsize) data[pos] << 8 | data[pos + 1]) % (CR_DATAGRAM_MAX + 1);
      const guint8 *body = NULL;
      gsize body_len = 0;
      CrHeader header = { 0, };

      pos += 2;
      len = MIN (len, size - pos);
      if (cr_header_parse (data + pos, len, &header, &body, &body_len) == CR_PARSE_OK)
        cr_reliable_receive (reliable, &header, body, body_len, now, deliveries);
      pos += len;
      now += 50 * G_TIME_SPAN_MILLISECOND;
      cr_reliable_flush (reliable, 7, now, out);
      (void) cr_reliable_next_deadline (reliable);
    }

  for (guint i = 0; i < out->len; i++)
    {
      gsize len = 0;
      const guint8 *d = g_bytes_get_data (out->pdata[i], &len);

      if (cr_header_parse (d, len, NULL, NULL, NULL) != CR_PARSE_OK)
        g_error ("the reliable layer built an invalid datagram");
    }
  for (guint i = 0; i < deliveries->len; i++)
    {
      CrDelivery *delivery = deliveries->pdata[i];

      parse_body (delivery->type, g_bytes_get_data (delivery->body, NULL),
                  g_bytes_get_size (delivery->body));
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  one_datagram (data, size);
  if (size >= 1)
    parse_body (CR_PACKET_JOIN + data[0] % CR_PACKET_LAST, data + 1, size - 1);   /* 13, 17: no type */
  /* Every input also as an EVENT and as a BATCH body, for the in-place readers. */
  parse_body (CR_PACKET_EVENT, data, size);
  parse_body (CR_PACKET_BATCH, data, size);
  through_reliable (data, size);
  return 0;
}
