/* fuzz-client.c: libFuzzer harness for a member's packet path
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A hostile room talking to CrClientEngine (cr-client-engine.h) in each of
 * its states. The first input byte picks the state the member is brought to
 * by a well-behaved script: joining (probe out), joining natively (JOIN
 * out), native member, classic member, reconnecting, leaving. The rest is
 * [flags len_hi len_lo bytes]...: each chunk is a datagram from the room
 * (flags bit 0: wrapped as a reliable message on the member's session, so
 * the fuzzer reaches the body parsers at once, its first byte the type,
 * 0xff a BATCH; bit 1: from a stranger's address), and the clock moves 37 ms after each, ticking when due.
 * Whatever the input, what comes out must be sane: datagrams that parse,
 * events the room could have sent, a bounded member list. Any critical or
 * warning aborts. Build and run: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-client"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <gio/gio.h>

#include "cr-client-dialect.h"
#include "cr-client-engine.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define SESSION  0x5eed0001u
#define T0       (1000 * G_TIME_SPAN_SECOND)

enum {
  AT_PROBING,
  AT_JOINING,
  AT_NATIVE,
  AT_CLASSIC,
  AT_RECONNECTING,
  AT_LEAVING,
  N_STARTS
};

typedef struct
{
  CrClientEngine *client;
  GPtrArray      *out;
  CrReliable     *rel;
  GSocketAddress *room;
  GSocketAddress *stranger;
  gint64          now;
} Fuzz;

static void
datagram_free (CrDatagram *datagram)
{
  g_clear_object (&datagram->to);
  g_bytes_unref (datagram->data);
  g_free (datagram);
}

/* What the member says and does must be sane whatever it was told. */
static void
check (Fuzz *f)
{
  CrClientOutput *output;

  for (guint i = 0; i < f->out->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (((CrDatagram *) f->out->pdata[i])->data, &len);

      if (cr_protocol_is_native (data, len))
        {
          if (cr_header_parse (data, len, NULL, NULL, NULL) != CR_PARSE_OK)
            g_error ("the member sent an invalid datagram");
        }
      else if (!g_utf8_validate_len ((const char *) data, len, NULL))
        g_error ("the member sent a classic line that is not UTF-8");
    }
  g_ptr_array_set_size (f->out, 0);

  while ((output = cr_client_engine_pop_output (f->client)) != NULL)
    {
      if (output->kind == CR_CLIENT_OUTPUT_EVENT && !_cr_client_engine_event_valid (output->event))
        g_error ("an event the room could not have sent was shown");
      if (output->kind == CR_CLIENT_OUTPUT_MEMBERS)
        for (guint i = 0; i < output->members->len; i++)
          if (cr_name_validate (((CrClientMember *) output->members->pdata[i])->name, -1,
                                NULL) != CR_REASON_NONE)
            g_error ("an invalid name in the member list");
      cr_client_output_free (output);
    }
  if (cr_client_engine_get_members (f->client)->len > CR_CLIENT_MEMBERS_MAX)
    g_error ("the member list grew past its bound");
}

static void
feed (Fuzz           *f,
      const void     *data,
      gsize           len,
      GSocketAddress *from)
{
  cr_client_engine_receive (f->client, data, len, from, f->now, f->out);
  check (f);
}

static void
feed_text (Fuzz       *f,
           const char *text)
{
  feed (f, text, strlen (text), f->room);
}

static void
send_reliable (Fuzz         *f,
               CrPacketType  type,
               GBytes       *body)
{
  g_autoptr(GPtrArray) datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  cr_reliable_send (f->rel, type, body);
  cr_reliable_flush (f->rel, SESSION, f->now, datagrams);
  for (guint i = 0; i < datagrams->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagrams->pdata[i], &len);

      feed (f, data, len, f->room);
    }
}

static void
tick (Fuzz *f)
{
  if (cr_client_engine_next_deadline (f->client) <= f->now)
    cr_client_engine_tick (f->client, f->now, f->out);
  check (f);
}

static void
bring_to (Fuzz  *f,
          guint  start)
{
  static const guint8 ping[CR_HEADER_SIZE] = {
    0xcb, 0x52, 0x01, CR_PACKET_PING, 0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
    0x0b, 0xad, 0xca, 0xfe,  0, 0, 0, 0,
  };
  /* The plaintext native dialect, so that inputs reach the parser
   * (fuzz/README.md). */
  CrClientJoin join = { "alice", "", FALSE, NULL, "192.0.2.1:10024", 0, .plaintext = TRUE };
  g_autoptr(GBytes) welcome = cr_body_welcome ("Fuzz", "alice", "tok", CR_ROLE_MEMBER, 3);
  g_autoptr(GBytes) members = NULL;
  CrMembersBuilder *builder;

  cr_client_engine_join (f->client, &join, f->now);
  cr_client_engine_start (f->client, f->now, f->out);
  check (f);
  if (start == AT_PROBING)
    return;

  if (start == AT_CLASSIC)
    {
      f->now += G_TIME_SPAN_SECOND;
      tick (f);
      feed_text (f, "OK");
      return;
    }

  feed (f, ping, sizeof ping, f->room);
  tick (f);
  if (start == AT_JOINING)
    return;

  f->rel = cr_reliable_new ();
  send_reliable (f, CR_PACKET_WELCOME, welcome);
  builder = cr_members_builder_new (3);
  cr_members_builder_add (builder, "alice", CR_ROLE_MEMBER, 0);
  cr_members_builder_add (builder, "bob", CR_ROLE_OWNER, 0);
  members = cr_members_builder_end (builder);
  send_reliable (f, CR_PACKET_MEMBERS, members);
  cr_client_engine_send (f->client, "pending", f->now, f->out);
  check (f);

  if (start == AT_RECONNECTING)
    {
      f->now += 7 * G_TIME_SPAN_SECOND;
      tick (f);
    }
  else if (start == AT_LEAVING)
    {
      cr_client_engine_leave (f->client, f->now, f->out);
      check (f);
    }
}

/* The type of a reliable message from the room: JOIN…LAST, and BATCH
 * (type 24, cr-protocol.h) for 0xff, so that its parser and what it hands
 * on are reached (corpus/fuzz-client/batch). */
static CrPacketType
reliable_type (guint8 byte)
{
  guint type = CR_PACKET_JOIN + byte % CR_PACKET_LAST;

  if (byte == 0xff)
    return CR_PACKET_BATCH;
  /* The numbers have gaps (13, 17): the next type there is. */
  while (!cr_packet_type_is_valid (type))
    type = type % CR_PACKET_LAST + 1;
  return type;
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
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  Fuzz f = { 0 };
  gsize pos = 1;

  if (size < 1)
    return 0;

  f.client = cr_client_engine_new (G_GUINT64_CONSTANT (1) << 32);
  f.out = g_ptr_array_new_with_free_func ((GDestroyNotify) datagram_free);
  f.room = g_inet_socket_address_new (lo, 10024);
  f.stranger = g_inet_socket_address_new (lo, 9);
  f.now = T0;
  bring_to (&f, data[0] % N_STARTS);

  while (pos + 3 <= size)
    {
      guint8 flags = data[pos];
      gsize len = ((gsize) data[pos + 1] << 8 | data[pos + 2]) % (2 * CR_DATAGRAM_MAX);

      pos += 3;
      len = MIN (len, size - pos);
      if ((flags & 1) != 0 && f.rel != NULL && len >= 1)
        {
          g_autoptr(GBytes) body = g_bytes_new (data + pos + 1, len - 1);

          send_reliable (&f, reliable_type (data[pos]), body);
        }
      else
        feed (&f, data + pos, len, (flags & 2) != 0 ? f.stranger : f.room);
      pos += len;
      f.now += 37 * G_TIME_SPAN_MILLISECOND;
      tick (&f);
    }

  g_clear_pointer (&f.rel, cr_reliable_free);
  g_ptr_array_unref (f.out);
  g_object_unref (f.room);
  g_object_unref (f.stranger);
  cr_client_engine_free (f.client);
  return 0;
}
