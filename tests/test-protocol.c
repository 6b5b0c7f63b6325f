/* test-protocol.c: the wire codec, both dialects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-protocol"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib.h>

#include "cr-protocol.h"
#include "cr-protocol-private.h"

#define RANDOM_SEED      0x5eed1234
#define RANDOM_COUNT     100000
#define MUTATION_COUNT   100000

/* Helpers ---------------------------------------------------------------- */

static GBytes *
make_datagram (CrPacketType  type,
               guint8        flags,
               guint32       session,
               guint32       number,
               GBytes       *body)
{
  CrHeader header = {
    .version = CR_PROTOCOL_VERSION,
    .type = type,
    .flags = flags,
    .session = session,
    .number = number,
    .ack = 0x01020304,
    .ack_bits = 0x80000001,
  };
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (body, &len);

  return cr_datagram_build (&header, data, len);
}

/* Parse a whole datagram the way a receiver does; NULL if refused. */
static GVariant *
parse_datagram (GBytes   *datagram,
                CrHeader *out_header)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (datagram, &len);
  const guint8 *body = NULL;
  gsize body_len = 0;
  CrHeader header = { 0, };

  if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK)
    return NULL;
  g_assert_true (body == data + CR_HEADER_SIZE);
  g_assert_cmpuint (body_len, ==, len - CR_HEADER_SIZE);
  if (out_header != NULL)
    *out_header = header;
  return cr_body_parse (header.type, body, body_len);
}

/* One valid body of each packet type, with strings worth corrupting. */
static GBytes *
sample_body (CrPacketType type)
{
  switch (type)
    {
    case CR_PACKET_JOIN:
      return cr_body_join ("alice", "secret-pass", "token-xyz", TRUE, 42, "owner-tok");
    case CR_PACKET_WELCOME:
      return cr_body_welcome ("Room 一", "alice", "token-xyz", CR_ROLE_OWNER, 99);
    case CR_PACKET_REFUSE:
      return cr_body_refuse (CR_REASON_NAME_TAKEN, "name taken");
    case CR_PACKET_EVENT:
      {
        g_autoptr(CrEvent) event = cr_event_new (7, 1700000000000000, CR_EVENT_CHAT,
                                                 "bob", "hello  world", 12345);
        return cr_body_event (event);
      }
    case CR_PACKET_MEMBERS:
      {
        CrMembersBuilder *builder = cr_members_builder_new (5);

        cr_members_builder_add (builder, "teacher", CR_ROLE_OWNER, CR_MEMBER_REGISTERED);
        cr_members_builder_add (builder, "小明", CR_ROLE_MEMBER,
                                CR_MEMBER_MUTED | CR_MEMBER_CLASSIC);
        return cr_members_builder_end (builder);
      }
    case CR_PACKET_CHAT:
      return cr_body_chat (77, "text with  spaces\nand a newline");
    case CR_PACKET_NOTICE:
      return cr_body_notice (CR_REASON_MUTED, 77);
    case CR_PACKET_BYE:
      return cr_body_bye (CR_REASON_KICKED, "kicked by owner");
    case CR_PACKET_PING:
    case CR_PACKET_ACK:
      return cr_body_empty ();
    case CR_PACKET_HELLO:
      return cr_body_hello ((const guint8 *) "0123456789abcdef0123456789abcdef");
    case CR_PACKET_KEY:
      return cr_body_key ((const guint8 *) "0123456789abcdef0123456789abcdef",
                          (const guint8 *) "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
                          (const guint8 *) "0123456789abcdef0123456789abcdef"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
    case CR_PACKET_RECALL:
      return cr_body_recall (77, 7);
    case CR_PACKET_HISTORY:
      return cr_body_history (100, CR_PAGE_MAX);
    case CR_PACKET_SEARCH:
      return cr_body_search (5, "找 word");
    case CR_PACKET_PAGE:
    case CR_PACKET_RESULTS:
      {
        g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
        CrEvent *reply = cr_event_new (8, 1700000000000001, CR_EVENT_CHAT, "bob", "对", 0);
        CrEvent *quoted = cr_event_new (7, 1700000000000000, CR_EVENT_CHAT, "小明",
                                        "first line\nsecond", 0);

        cr_event_set_quote (reply, quoted);
        reply->target = g_strdup ("小明");
        g_ptr_array_add (events, quoted);
        g_ptr_array_add (events, reply);
        if (type == CR_PACKET_PAGE)
          return cr_body_page (100, TRUE, events);
        return cr_body_results (5, TRUE, events);
      }
    case CR_PACKET_MANAGE:
      return cr_body_manage (CR_MANAGE_MUTE, 9, "小明", 600);
    case CR_PACKET_STATE:
      return cr_body_state ("明天考试 exam tomorrow", TRUE, 60000, CR_ROLE_ADMIN);
    default:
      g_assert_not_reached ();
    }
}

static gboolean
type_is_reliable (CrPacketType type)
{
  switch (type)
    {
    case CR_PACKET_WELCOME:
    case CR_PACKET_EVENT:
    case CR_PACKET_MEMBERS:
    case CR_PACKET_CHAT:
    case CR_PACKET_NOTICE:
    case CR_PACKET_BYE:
    case CR_PACKET_RECALL:
    case CR_PACKET_HISTORY:
    case CR_PACKET_PAGE:
    case CR_PACKET_SEARCH:
    case CR_PACKET_RESULTS:
    case CR_PACKET_MANAGE:
    case CR_PACKET_STATE:
      return TRUE;
    default:
      return FALSE;
    }
}

static GBytes *
sample_datagram (CrPacketType type)
{
  g_autoptr(GBytes) body = sample_body (type);
  gboolean reliable = type_is_reliable (type);

  return make_datagram (type, reliable ? CR_FLAG_RELIABLE : 0, 0xdeadbeef,
                        reliable ? 17 : 0, body);
}

/* Header ---------------------------------------------------------------- */

static void
test_header_layout (void)
{
  CrHeader header = {
    .version = CR_PROTOCOL_VERSION,
    .type = CR_PACKET_EVENT,
    .flags = CR_FLAG_RELIABLE | CR_FLAG_MORE,
    .session = 0x11223344,
    .number = 0x55667788,
    .ack = 0x99aabbcc,
    .ack_bits = 0xddeeff00,
  };
  static const guint8 expected[CR_HEADER_SIZE] = {
    0xCB, 0x52, 1, 4, 3, 0, 0, 0,
    0x11, 0x22, 0x33, 0x44,
    0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc,
    0xdd, 0xee, 0xff, 0x00,
  };
  guint8 buf[CR_HEADER_SIZE + 4];
  CrHeader parsed;
  const guint8 *body = NULL;
  gsize body_len = 99;

  memset (buf, 0xAA, sizeof buf);
  cr_header_write (&header, buf);
  g_assert_cmpmem (buf, CR_HEADER_SIZE, expected, sizeof expected);
  /* Writes exactly CR_HEADER_SIZE bytes. */
  g_assert_cmpuint (buf[CR_HEADER_SIZE], ==, 0xAA);

  g_assert_cmpint (cr_header_parse (buf, CR_HEADER_SIZE, &parsed, &body, &body_len),
                   ==, CR_PARSE_OK);
  g_assert_cmpuint (parsed.version, ==, header.version);
  g_assert_cmpuint (parsed.type, ==, header.type);
  g_assert_cmpuint (parsed.flags, ==, header.flags);
  g_assert_cmpuint (parsed.session, ==, header.session);
  g_assert_cmpuint (parsed.number, ==, header.number);
  g_assert_cmpuint (parsed.ack, ==, header.ack);
  g_assert_cmpuint (parsed.ack_bits, ==, header.ack_bits);
  g_assert_true (body == buf + CR_HEADER_SIZE);
  g_assert_cmpuint (body_len, ==, 0);
}

/* Every packet type: body and header survive encode → parse unchanged. */
static void
test_round_trip (void)
{
  for (CrPacketType type = CR_PACKET_JOIN; type <= CR_PACKET_LAST; type++)
    {
      g_autoptr(GBytes) datagram = cr_packet_body_type (type) != NULL ? sample_datagram (type) : NULL;

      if (datagram == NULL)
        continue;   /* SEALED, 17: no header type */
      g_autoptr(GVariant) body = NULL;
      CrHeader header = { 0, };

      g_test_message ("type %d", type);
      body = parse_datagram (datagram, &header);
      g_assert_nonnull (body);
      g_assert_cmpuint (header.type, ==, type);
      g_assert_cmpuint (header.session, ==, 0xdeadbeef);
      g_assert_cmpuint (header.ack, ==, 0x01020304);
      g_assert_cmpuint (header.ack_bits, ==, 0x80000001);
      g_assert_cmpuint (header.number, ==, type_is_reliable (type) ? 17 : 0);
      g_assert_true (g_variant_is_of_type (body, cr_packet_body_type (type)));

      switch (type)
        {
        case CR_PACKET_JOIN:
          {
            const char *name, *password, *token, *owner;
            gboolean reg;
            guint64 seq;

            g_variant_get (body, "(&s&s&sbt&s)", &name, &password, &token, &reg, &seq, &owner);
            g_assert_cmpstr (name, ==, "alice");
            g_assert_cmpstr (password, ==, "secret-pass");
            g_assert_cmpstr (token, ==, "token-xyz");
            g_assert_true (reg);
            g_assert_cmpuint (seq, ==, 42);
            g_assert_cmpstr (owner, ==, "owner-tok");
          }
          break;
        case CR_PACKET_WELCOME:
          {
            const char *room, *name, *token;
            guint32 role;
            guint64 seq;

            g_variant_get (body, "(&s&s&sut)", &room, &name, &token, &role, &seq);
            g_assert_cmpstr (room, ==, "Room 一");
            g_assert_cmpstr (name, ==, "alice");
            g_assert_cmpstr (token, ==, "token-xyz");
            g_assert_cmpuint (role, ==, CR_ROLE_OWNER);
            g_assert_cmpuint (seq, ==, 99);
          }
          break;
        case CR_PACKET_REFUSE:
        case CR_PACKET_BYE:
          {
            const char *detail;
            guint32 reason;

            g_variant_get (body, "(u&s)", &reason, &detail);
            if (type == CR_PACKET_REFUSE)
              {
                g_assert_cmpuint (reason, ==, CR_REASON_NAME_TAKEN);
                g_assert_cmpstr (detail, ==, "name taken");
              }
            else
              {
                g_assert_cmpuint (reason, ==, CR_REASON_KICKED);
                g_assert_cmpstr (detail, ==, "kicked by owner");
              }
          }
          break;
        case CR_PACKET_EVENT:
          {
            g_autoptr(CrEvent) event = cr_event_from_body (body);

            g_assert_cmpuint (event->seq, ==, 7);
            g_assert_cmpint (event->time_us, ==, 1700000000000000);
            g_assert_cmpint (event->kind, ==, CR_EVENT_CHAT);
            g_assert_cmpstr (event->name, ==, "bob");
            g_assert_cmpstr (event->text, ==, "hello  world");
            g_assert_cmpuint (event->origin, ==, 12345);
          }
          break;
        case CR_PACKET_MEMBERS:
          {
            g_autoptr(GVariantIter) iter = NULL;
            guint64 seq;
            const char *name;
            guint32 role, flags;

            g_variant_get (body, "(ta(suu))", &seq, &iter);
            g_assert_cmpuint (seq, ==, 5);
            g_assert_cmpuint (g_variant_iter_n_children (iter), ==, 2);
            g_assert_true (g_variant_iter_next (iter, "(&suu)", &name, &role, &flags));
            g_assert_cmpstr (name, ==, "teacher");
            g_assert_cmpuint (role, ==, CR_ROLE_OWNER);
            g_assert_cmpuint (flags, ==, CR_MEMBER_REGISTERED);
            g_assert_true (g_variant_iter_next (iter, "(&suu)", &name, &role, &flags));
            g_assert_cmpstr (name, ==, "小明");
            g_assert_cmpuint (role, ==, CR_ROLE_MEMBER);
            g_assert_cmpuint (flags, ==, CR_MEMBER_MUTED | CR_MEMBER_CLASSIC);
          }
          break;
        case CR_PACKET_CHAT:
          {
            const char *text;
            guint64 origin;

            guint64 reply_to;
            const char *to;

            g_assert_true (cr_chat_from_body (body, &origin, &text, &reply_to, &to));
            g_assert_cmpuint (origin, ==, 77);
            g_assert_cmpuint (reply_to, ==, 0);
            g_assert_null (to);
            g_assert_cmpstr (text, ==, "text with  spaces\nand a newline");
          }
          break;
        case CR_PACKET_NOTICE:
          {
            guint32 reason;
            guint64 origin;

            g_variant_get (body, "(ut)", &reason, &origin);
            g_assert_cmpuint (reason, ==, CR_REASON_MUTED);
            g_assert_cmpuint (origin, ==, 77);
          }
          break;
        case CR_PACKET_PING:
        case CR_PACKET_ACK:
          g_assert_cmpuint (g_variant_n_children (body), ==, 0);
          break;
        case CR_PACKET_RECALL:
          {
            guint64 request, seq;

            g_variant_get (body, "(tt)", &request, &seq);
            g_assert_cmpuint (request, ==, 77);
            g_assert_cmpuint (seq, ==, 7);
          }
          break;
        case CR_PACKET_HISTORY:
          {
            guint64 before;
            guint32 n;

            g_variant_get (body, "(tu)", &before, &n);
            g_assert_cmpuint (before, ==, 100);
            g_assert_cmpuint (n, ==, CR_PAGE_MAX);
          }
          break;
        case CR_PACKET_SEARCH:
          {
            const char *query;
            guint32 request;

            g_variant_get (body, "(u&s)", &request, &query);
            g_assert_cmpuint (request, ==, 5);
            g_assert_cmpstr (query, ==, "找 word");
          }
          break;
        case CR_PACKET_PAGE:
        case CR_PACKET_RESULTS:
          {
            guint64 head = 0;
            gboolean flag = FALSE;
            g_autoptr(GPtrArray) events = cr_events_from_body (type, body, &head, &flag);
            const CrEvent *reply;

            g_assert_nonnull (events);
            g_assert_cmpuint (head, ==, type == CR_PACKET_PAGE ? 100 : 5);
            g_assert_true (flag);
            g_assert_cmpuint (events->len, ==, 2);
            reply = events->pdata[1];
            g_assert_cmpuint (reply->ref_seq, ==, 7);
            g_assert_cmpstr (reply->quote_name, ==, "小明");
            g_assert_cmpstr (reply->quote_text, ==, "first line");
            g_assert_cmpstr (reply->target, ==, "小明");
            g_assert_false (reply->recalled);
            g_assert_null (((CrEvent *) events->pdata[0])->quote_name);
          }
          break;
        case CR_PACKET_HELLO:
          {
            const guint8 *ce = NULL;

            g_assert_true (cr_hello_from_body (body, &ce));
            g_assert_cmpmem (ce, 32, "0123456789abcdef0123456789abcdef", 32);
          }
          break;
        case CR_PACKET_KEY:
          {
            const guint8 *se = NULL, *id = NULL, *sig = NULL;

            g_assert_true (cr_key_from_body (body, &se, &id, &sig));
            g_assert_cmpmem (id, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32);
            g_assert_cmpmem (sig + 32, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 32);
          }
          break;
        case CR_PACKET_MANAGE:
          {
            guint32 action;
            guint64 origin;
            const char *argument;
            gint64 seconds;

            g_variant_get (body, "(ut&sx)", &action, &origin, &argument, &seconds);
            g_assert_cmpuint (action, ==, CR_MANAGE_MUTE);
            g_assert_cmpuint (origin, ==, 9);
            g_assert_cmpstr (argument, ==, "小明");
            g_assert_cmpint (seconds, ==, 600);
          }
          break;
        case CR_PACKET_STATE:
          {
            const char *pin;
            gboolean mute_all;
            gint64 left;
            guint32 role;

            g_variant_get (body, "(&sbxu)", &pin, &mute_all, &left, &role);
            g_assert_cmpstr (pin, ==, "明天考试 exam tomorrow");
            g_assert_true (mute_all);
            g_assert_cmpint (left, ==, 60000);
            g_assert_cmpuint (role, ==, CR_ROLE_ADMIN);
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

static void
test_body_types (void)
{
  g_assert_null (cr_packet_body_type (0));
  g_assert_null (cr_packet_body_type (CR_PACKET_LAST + 1));
  g_assert_null (cr_body_parse (0, (const guint8 *) "", 0));
  g_assert_null (cr_body_parse (CR_PACKET_LAST + 1, (const guint8 *) "\0", 1));

  /* A body is only accepted as its own type. */
  for (CrPacketType t = CR_PACKET_JOIN; t <= CR_PACKET_LAST; t++)
    {
      g_autoptr(GBytes) body = cr_packet_body_type (t) != NULL ? sample_body (t) : NULL;

      for (CrPacketType u = CR_PACKET_JOIN; body != NULL && u <= CR_PACKET_LAST; u++)
        {
          g_autoptr(GVariant) parsed = cr_body_parse (u, g_bytes_get_data (body, NULL),
                                                      g_bytes_get_size (body));
          gboolean same = cr_packet_body_type (u) != NULL &&
                          g_variant_type_equal (cr_packet_body_type (t),
                                                cr_packet_body_type (u));

          if (same)
            g_assert_nonnull (parsed);
          else if (parsed != NULL)
            /* Some byte strings are the normal form of two types (say a
             * fixed-size tuple that happens to fit); that is fine as long
             * as the value really is normal in the other type. */
            g_assert_true (g_variant_is_normal_form (parsed));
        }
    }

  /* The empty body is one zero byte; nothing else is "()". */
  {
    g_autoptr(GBytes) empty = cr_body_empty ();
    g_autoptr(GVariant) ok = NULL;

    g_assert_cmpuint (g_bytes_get_size (empty), ==, 1);
    ok = cr_body_parse (CR_PACKET_PING, g_bytes_get_data (empty, NULL), 1);
    g_assert_nonnull (ok);
    g_assert_null (cr_body_parse (CR_PACKET_PING, (const guint8 *) "\1", 1));
    g_assert_null (cr_body_parse (CR_PACKET_ACK, (const guint8 *) "\0\0", 2));
    g_assert_null (cr_body_parse (CR_PACKET_ACK, (const guint8 *) "", 0));
  }
}

/* Refusals ------------------------------------------------------------- */

static void
test_truncated (void)
{
  for (CrPacketType type = CR_PACKET_JOIN; type <= CR_PACKET_LAST; type++)
    {
      g_autoptr(GBytes) datagram = cr_packet_body_type (type) != NULL ? sample_datagram (type) : NULL;

      if (datagram == NULL)
        continue;   /* SEALED, 17: no header type */
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (datagram, &len);

      for (gsize prefix = 0; prefix < len; prefix++)
        {
          /* A copy of exactly prefix bytes, so ASan sees any overread. */
          g_autofree guint8 *copy = g_memdup2 (data, MAX (prefix, 1));
          const guint8 *body = NULL;
          gsize body_len = 0;
          CrHeader header = { 0, };
          CrParseResult result = cr_header_parse (copy, prefix, &header, &body, &body_len);

          if (prefix < CR_HEADER_SIZE)
            {
              g_assert_cmpint (result, ==, CR_PARSE_TOO_SHORT);
              continue;
            }
          g_assert_cmpint (result, ==, CR_PARSE_OK);

          /* Every strict prefix of a body is refused, with one exception
           * that GVariant's format makes unavoidable: the 8 bytes of a
           * MEMBERS snapshot seq alone are the normal form of
           * (seq, []). A datagram is never cut short in transit (UDP
           * delivers whole datagrams or none), so this is harmless. */
          {
            g_autoptr(GVariant) value = cr_body_parse (header.type, body, body_len);

            /* And so are PAGE's and RESULTS' heads alone (the number,
             * the flag, the padding to the array's alignment). */
            if ((type == CR_PACKET_MEMBERS && body_len == 8) ||
                (type == CR_PACKET_PAGE && body_len == 16) ||
                (type == CR_PACKET_RESULTS && body_len == 8))
              {
                g_assert_nonnull (value);
                g_assert_cmpuint (g_variant_n_children (value), ==,
                                  type == CR_PACKET_MEMBERS ? 2 : 3);
                continue;
              }
            /* The same for HELLO and KEY, whose byte arrays take any
             * length: their accessors refuse keys of the wrong size. */
            if (value != NULL && type == CR_PACKET_HELLO)
              {
                const guint8 *ce;
                g_assert_false (cr_hello_from_body (value, &ce));
                continue;
              }
            if (value != NULL && type == CR_PACKET_KEY)
              {
                const guint8 *se, *id, *sig;
                g_assert_false (cr_key_from_body (value, &se, &id, &sig));
                continue;
              }
            if (value != NULL)
              {
                g_autofree char *printed = g_variant_print (value, TRUE);

                g_test_message ("type %d prefix %" G_GSIZE_FORMAT " parsed as %s",
                                type, prefix, printed);
              }
            g_assert_null (value);
          }
        }
    }

  g_assert_cmpint (cr_header_parse (NULL, 0, NULL, NULL, NULL), ==, CR_PARSE_TOO_SHORT);
}

static void
test_oversized (void)
{
  g_autofree guint8 *buf = g_malloc0 (CR_DATAGRAM_MAX + 1);
  CrHeader header = { .version = 1, .type = CR_PACKET_PING };
  g_autofree char *text = NULL;
  g_autoptr(GBytes) big = NULL;

  cr_header_write (&header, buf);
  buf[CR_HEADER_SIZE] = 0;
  g_assert_cmpint (cr_header_parse (buf, CR_DATAGRAM_MAX, NULL, NULL, NULL), ==, CR_PARSE_OK);
  g_assert_cmpint (cr_header_parse (buf, CR_DATAGRAM_MAX + 1, NULL, NULL, NULL),
                   ==, CR_PARSE_TOO_LONG);
  g_assert_cmpint (cr_header_parse (buf, G_MAXSIZE, NULL, NULL, NULL), ==, CR_PARSE_TOO_LONG);

  /* The builder refuses a body that would not fit in one datagram. */
  text = g_strnfill (CR_BODY_MAX, 'x');
  big = cr_body_chat (1, text);
  g_assert_cmpuint (g_bytes_get_size (big), >, CR_BODY_MAX);
  if (g_test_undefined ())
    {
      g_autoptr(GBytes) datagram = NULL;

      g_test_expect_message ("cr-protocol", G_LOG_LEVEL_CRITICAL, "*body_len <= CR_BODY_MAX*");
      datagram = cr_datagram_build (&header, g_bytes_get_data (big, NULL),
                                    g_bytes_get_size (big));
      g_test_assert_expected_messages ();
      g_assert_null (datagram);
    }
}

static CrParseResult
parse_modified (guint  offset,
                guint8 value)
{
  g_autoptr(GBytes) datagram = sample_datagram (CR_PACKET_CHAT);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (datagram, NULL),
                                       g_bytes_get_size (datagram));

  copy[offset] = value;
  return cr_header_parse (copy, g_bytes_get_size (datagram), NULL, NULL, NULL);
}

static void
test_bad_header (void)
{
  /* The unmodified sample is fine. */
  g_assert_cmpint (parse_modified (3, CR_PACKET_CHAT), ==, CR_PARSE_OK);

  g_assert_cmpint (parse_modified (0, 0xCA), ==, CR_PARSE_BAD_MAGIC);
  g_assert_cmpint (parse_modified (1, 'r'), ==, CR_PARSE_BAD_MAGIC);
  g_assert_cmpint (parse_modified (0, 'M'), ==, CR_PARSE_BAD_MAGIC);

  g_assert_cmpint (parse_modified (2, 0), ==, CR_PARSE_BAD_VERSION);
  g_assert_cmpint (parse_modified (2, 2), ==, CR_PARSE_BAD_VERSION);
  g_assert_cmpint (parse_modified (2, 0xff), ==, CR_PARSE_BAD_VERSION);

  g_assert_cmpint (parse_modified (3, 0), ==, CR_PARSE_BAD_TYPE);
  g_assert_cmpint (parse_modified (3, CR_PACKET_LAST + 1), ==, CR_PARSE_BAD_TYPE);
  g_assert_cmpint (parse_modified (3, 0xff), ==, CR_PARSE_BAD_TYPE);

  /* Unknown flag bits, one at a time. */
  for (guint bit = 2; bit < 8; bit++)
    g_assert_cmpint (parse_modified (4, CR_FLAG_RELIABLE | (1u << bit)), ==, CR_PARSE_BAD_FLAGS);
  /* Reserved bytes. */
  for (guint offset = 5; offset < 8; offset++)
    {
      g_assert_cmpint (parse_modified (offset, 1), ==, CR_PARSE_BAD_FLAGS);
      g_assert_cmpint (parse_modified (offset, 0x80), ==, CR_PARSE_BAD_FLAGS);
    }
  /* The sample is reliable with number 17: the flag must agree. */
  g_assert_cmpint (parse_modified (4, 0), ==, CR_PARSE_BAD_FLAGS);
  g_assert_cmpint (parse_modified (4, CR_FLAG_MORE), ==, CR_PARSE_BAD_FLAGS);
  g_assert_cmpint (parse_modified (4, CR_FLAG_RELIABLE | CR_FLAG_MORE), ==, CR_PARSE_OK);
  g_assert_cmpint (parse_modified (15, 0), ==, CR_PARSE_BAD_FLAGS);  /* number 17 → 0 */

  g_assert_cmpstr (cr_parse_result_to_string (CR_PARSE_BAD_FLAGS), ==, "bad flags");
  g_assert_cmpstr (cr_parse_result_to_string (CR_PARSE_OK), ==, "ok");
}

/* Replace the first occurrence of needle in a body with bytes of the same
 * length: keeps the GVariant framing intact, so only the content is bad. */
static GBytes *
patch_body (GBytes     *body,
            const char *needle,
            const char *replacement)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (body, &len);
  gsize nlen = strlen (needle);
  guint8 *copy;

  g_assert_cmpuint (strlen (replacement), ==, nlen);
  copy = g_memdup2 (data, len);
  for (gsize i = 0; i + nlen <= len; i++)
    if (memcmp (copy + i, needle, nlen) == 0)
      {
        memcpy (copy + i, replacement, nlen);
        return g_bytes_new_take (copy, len);
      }
  g_free (copy);
  g_assert_not_reached ();
  return NULL;
}

static void
assert_body_refused (CrPacketType  type,
                     GBytes       *body)
{
  const GVariantType *vtype = cr_packet_body_type (type);
  g_autoptr(GVariant) raw = g_variant_ref_sink (g_variant_new_from_bytes (vtype, body, FALSE));
  g_autoptr(GVariant) parsed = NULL;

  /* What the header claims: GLib's normal-form check alone already
   * catches a bad string. */
  g_assert_false (g_variant_is_normal_form (raw));
  parsed = cr_body_parse (type, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_assert_null (parsed);
}

static void
test_invalid_utf8_body (void)
{
  /* Hand-made "(tsa{sv})": 8 bytes of t (little or big endian does not
   * matter here), then the string and its NUL, zeros to the array's
   * 8-byte alignment, an empty a{sv} (no bytes) and the string's end as
   * the one framing offset. 0xff is never valid
   * in UTF-8, 0xc3 0x28 is a broken pair. */
  static const guint8 chat_ff[] = { 1, 0, 0, 0, 0, 0, 0, 0, 'h', 0xff, 'i', 0,
                                    0, 0, 0, 0, 12 };
  static const guint8 chat_pair[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x28, 0,
                                      0, 0, 0, 0, 0, 11 };
  static const guint8 chat_ok[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0xa9, 0,
                                    0, 0, 0, 0, 0, 11 };
  static const guint8 chat_no_nul[] = { 1, 0, 0, 0, 0, 0, 0, 0, 'h', 'i',
                                        0, 0, 0, 0, 0, 0, 10 };
  static const guint8 chat_inner_nul[] = { 1, 0, 0, 0, 0, 0, 0, 0, 'h', 0, 'i', 0,
                                           0, 0, 0, 0, 12 };
  static const guint8 refuse_surrogate[] = { 2, 0, 0, 0, 0xed, 0xa0, 0x80, 0 };
  g_autoptr(GVariant) ok = cr_body_parse (CR_PACKET_CHAT, chat_ok, sizeof chat_ok);

  g_assert_nonnull (ok);
  {
    g_autoptr(GBytes) b1 = g_bytes_new_static (chat_ff, sizeof chat_ff);
    g_autoptr(GBytes) b2 = g_bytes_new_static (chat_pair, sizeof chat_pair);
    g_autoptr(GBytes) b3 = g_bytes_new_static (chat_no_nul, sizeof chat_no_nul);
    g_autoptr(GBytes) b4 = g_bytes_new_static (chat_inner_nul, sizeof chat_inner_nul);
    g_autoptr(GBytes) b5 = g_bytes_new_static (refuse_surrogate, sizeof refuse_surrogate);

    assert_body_refused (CR_PACKET_CHAT, b1);
    assert_body_refused (CR_PACKET_CHAT, b2);
    assert_body_refused (CR_PACKET_CHAT, b3);
    assert_body_refused (CR_PACKET_CHAT, b4);
    assert_body_refused (CR_PACKET_REFUSE, b5);
  }

  /* Every string of every type, corrupted in place. */
  {
    static const struct {
      CrPacketType type;
      const char *needle;
    } cases[] = {
      { CR_PACKET_JOIN, "alice" },
      { CR_PACKET_JOIN, "secret-pass" },
      { CR_PACKET_JOIN, "token-xyz" },
      { CR_PACKET_JOIN, "owner-tok" },
      { CR_PACKET_WELCOME, "Room" },
      { CR_PACKET_WELCOME, "alice" },
      { CR_PACKET_REFUSE, "name taken" },
      { CR_PACKET_EVENT, "bob" },
      { CR_PACKET_EVENT, "hello" },
      { CR_PACKET_MEMBERS, "teacher" },
      { CR_PACKET_CHAT, "spaces" },
      { CR_PACKET_BYE, "kicked" },
      { CR_PACKET_PAGE, "first line" },
      { CR_PACKET_RESULTS, "bob" },
      { CR_PACKET_SEARCH, "word" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(GBytes) body = sample_body (cases[i].type);
        g_autofree char *bad = g_strdup (cases[i].needle);
        g_autoptr(GBytes) patched = NULL;
        g_autoptr(GVariant) control = NULL;

        /* Same length, first byte a lone continuation byte. */
        bad[0] = (char) 0x80;
        patched = patch_body (body, cases[i].needle, bad);
        assert_body_refused (cases[i].type, patched);

        /* The untouched body still parses (the test can tell them apart). */
        control = cr_body_parse (cases[i].type, g_bytes_get_data (body, NULL),
                                 g_bytes_get_size (body));
        g_assert_nonnull (control);
      }
  }
}

static void
test_non_normal_body (void)
{
  /* A boolean must be 0 or 1: find it as the one byte that differs
   * between two bodies, and make it 2. */
  g_autoptr(GBytes) yes = cr_body_join ("a", "", "", TRUE, 0, "");
  g_autoptr(GBytes) no = cr_body_join ("a", "", "", FALSE, 0, "");
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (yes, &len);
  const guint8 *other = g_bytes_get_data (no, NULL);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  g_autoptr(GVariant) good = cr_body_parse (CR_PACKET_JOIN, data, len);
  guint n_diff = 0;

  g_assert_nonnull (good);
  g_assert_cmpuint (g_bytes_get_size (no), ==, len);
  for (gsize i = 0; i < len; i++)
    if (data[i] != other[i])
      {
        g_assert_cmpuint (data[i], ==, 1);
        copy[i] = 2;
        n_diff++;
      }
  g_assert_cmpuint (n_diff, ==, 1);
  g_assert_null (cr_body_parse (CR_PACKET_JOIN, copy, len));

  /* Trailing garbage after a fixed-size body. */
  {
    static const guint8 notice[] = { 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };
    static const guint8 notice_long[] = { 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0 };
    g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_NOTICE, notice, sizeof notice);

    g_assert_nonnull (v);
    g_assert_null (cr_body_parse (CR_PACKET_NOTICE, notice_long, sizeof notice_long));
    g_assert_null (cr_body_parse (CR_PACKET_NOTICE, notice, sizeof notice - 1));
  }
}

/* Random input ----------------------------------------------------------- */

/* A parsed body must be the normal form of its type: re-serializing it
 * gives back exactly the bytes we were given, and all strings are UTF-8. */
static void
check_parsed_body (CrPacketType  type,
                   GVariant     *value,
                   const guint8 *body,
                   gsize         body_len)
{
  g_assert_true (g_variant_is_of_type (value, cr_packet_body_type (type)));
  g_assert_cmpmem (g_variant_get_data (value), g_variant_get_size (value), body, body_len);
  if (type == CR_PACKET_EVENT)
    {
      g_autoptr(CrEvent) event = cr_event_from_body (value);

      g_assert_true (g_utf8_validate (event->name, -1, NULL));
      g_assert_true (g_utf8_validate (event->text, -1, NULL));
    }
}

static guint
feed_everything (const guint8 *data,
                 gsize         len)
{
  const guint8 *body = NULL;
  gsize body_len = 0;
  CrHeader header = { 0, };
  guint accepted = 0;
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;
  CrClassicKind kind;

  if (cr_header_parse (data, len, &header, &body, &body_len) == CR_PARSE_OK)
    {
      g_autoptr(GVariant) value = NULL;

      g_assert_true (cr_protocol_is_native (data, len));
      g_assert_cmpuint (header.type, >=, CR_PACKET_JOIN);
      g_assert_true (cr_packet_type_is_valid (header.type));
      value = cr_body_parse (header.type, body, body_len);
      if (value != NULL)
        {
          check_parsed_body (header.type, value, body, body_len);
          accepted++;
        }
    }

  /* Native datagrams are never classic ones. */
  kind = cr_classic_parse (data, len, &name, &text);
  if (cr_protocol_is_native (data, len))
    g_assert_cmpint (kind, ==, CR_CLASSIC_INVALID);
  if (kind == CR_CLASSIC_INVALID)
    {
      g_assert_null (name);
      g_assert_null (text);
    }
  else if (kind != CR_CLASSIC_PROBE)
    {
      g_assert_true (g_utf8_validate (name, -1, NULL));
      g_assert_cmpuint (strlen (name), >, 0);
      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
  return accepted;
}

static void
test_random_datagrams (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (RANDOM_SEED);
  guint headers_ok = 0;
  guint accepted = 0;

  for (guint i = 0; i < RANDOM_COUNT; i++)
    {
      gsize len = g_rand_int_range (rand, 0, CR_DATAGRAM_MAX + 64);
      g_autofree guint8 *buf = NULL;

      /* Short bodies are where the interesting parses are. */
      if (g_rand_boolean (rand))
        {
          gsize short_len = g_rand_int_range (rand, 0, CR_HEADER_SIZE + 48);

          len = MIN (len, short_len);
        }
      /* Exactly len bytes, so ASan catches an overread. */
      buf = g_malloc (MAX (len, 1));
      for (gsize j = 0; j < len; j++)
        buf[j] = g_rand_int (rand) & 0xff;

      /* Half of them get a plausible header so the body parser is reached. */
      if (len >= CR_HEADER_SIZE && (i & 1) == 0)
        {
          buf[0] = 0xCB;
          buf[1] = 0x52;
          buf[2] = CR_PROTOCOL_VERSION;
          buf[3] = g_rand_int_range (rand, CR_PACKET_JOIN, CR_PACKET_LAST + 1);
          buf[4] = 0;
          buf[5] = buf[6] = buf[7] = 0;
          memset (buf + 12, 0, 4);
          headers_ok++;
        }
      /* Some look like classic text. */
      else if (len >= 2 && (i % 3) == 0)
        {
          static const char verbs[] = "NMQX";

          buf[0] = verbs[g_rand_int_range (rand, 0, 4)];
          buf[1] = ' ';
          for (gsize j = 2; j < len; j++)
            buf[j] = 0x20 + (buf[j] % 0x5f);
        }

      accepted += feed_everything (buf, len);
    }

  g_test_message ("%u with a valid header, %u bodies accepted", headers_ok, accepted);
  g_assert_cmpuint (headers_ok, >, RANDOM_COUNT / 4);
}

static void
test_random_mutations (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (RANDOM_SEED + 1);
  GBytes *samples[CR_PACKET_LAST + 1] = { NULL, };
  guint accepted = 0;

  for (CrPacketType t = CR_PACKET_JOIN; t <= CR_PACKET_LAST; t++)
    if (cr_packet_body_type (t) != NULL)
      samples[t] = sample_datagram (t);

  for (guint i = 0; i < MUTATION_COUNT; i++)
    {
      GBytes *sample = NULL;

      while (sample == NULL)
        sample = samples[g_rand_int_range (rand, CR_PACKET_JOIN, CR_PACKET_LAST + 1)];
      gsize len = g_bytes_get_size (sample);
      gsize alloc = len + 16;
      g_autofree guint8 *buf = g_malloc0 (alloc);
      guint n_mutations = g_rand_int_range (rand, 1, 5);

      memcpy (buf, g_bytes_get_data (sample, NULL), len);
      for (guint m = 0; m < n_mutations; m++)
        {
          switch (g_rand_int_range (rand, 0, 5))
            {
            case 0:   /* flip a bit, body mostly */
              {
                if (len > CR_HEADER_SIZE)
                  {
                    gsize at = g_rand_int_range (rand, CR_HEADER_SIZE, len);

                    buf[at] ^= 1u << g_rand_int_range (rand, 0, 8);
                  }
              }
              break;
            case 1:   /* a random byte anywhere */
              if (len > 0)
                buf[g_rand_int_range (rand, 0, len)] = g_rand_int (rand) & 0xff;
              break;
            case 2:   /* truncate */
              if (len > 0)
                len = g_rand_int_range (rand, 0, len);
              break;
            case 3:   /* extend with garbage */
              {
                gsize extra = g_rand_int_range (rand, 1, 8);

                for (gsize j = 0; j < extra && len < alloc; j++)
                  buf[len++] = g_rand_int (rand) & 0xff;
              }
              break;
            case 4:   /* a framing-sensitive value in the last bytes */
              if (len > 0)
                buf[len - 1] = g_rand_boolean (rand) ? 0xff : 0x00;
              break;
            default:
              g_assert_not_reached ();
            }
        }

      {
        /* Exactly len bytes, so ASan catches an overread. */
        g_autofree guint8 *exact = g_memdup2 (buf, MAX (len, 1));

        accepted += feed_everything (exact, len);
      }
    }

  g_test_message ("%u mutated datagrams accepted", accepted);
  /* Some mutations (of numbers) keep a body valid; most do not. */
  g_assert_cmpuint (accepted, >, 0);
  g_assert_cmpuint (accepted, <, MUTATION_COUNT);

  for (CrPacketType t = CR_PACKET_JOIN; t <= CR_PACKET_LAST; t++)
    g_clear_pointer (&samples[t], g_bytes_unref);
}

/* Classic dialect ------------------------------------------------------ */

static CrClassicKind
classic (const char  *line,
         char       **name,
         char       **text)
{
  g_free (*name);
  g_free (*text);
  return cr_classic_parse ((const guint8 *) line, strlen (line), name, text);
}

static void
test_classic_parse (void)
{
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (classic ("N alice", &name, &text), ==, CR_CLASSIC_JOIN);
  g_assert_cmpstr (name, ==, "alice");

  g_assert_cmpint (classic ("N 小明", &name, &text), ==, CR_CLASSIC_JOIN);
  g_assert_cmpstr (name, ==, "小明");

  g_assert_cmpint (classic ("Q alice", &name, &text), ==, CR_CLASSIC_QUIT);
  g_assert_cmpstr (name, ==, "alice");

  g_assert_cmpint (classic ("M alice hello", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (name, ==, "alice");
  g_assert_cmpstr (text, ==, "hello");

  /* Inner, leading and trailing spaces of the text are kept exactly. */
  g_assert_cmpint (classic ("M bob  two  spaces  ", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (name, ==, "bob");
  g_assert_cmpstr (text, ==, " two  spaces  ");

  g_assert_cmpint (classic ("M bob 你好 世界", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (text, ==, "你好 世界");

  /* "M name" with no text. */
  g_assert_cmpint (classic ("M bob", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (name, ==, "bob");
  g_assert_cmpstr (text, ==, "");
  g_assert_cmpint (classic ("M bob ", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (text, ==, "");

  /* nc users: one trailing line ending is stripped. */
  g_assert_cmpint (classic ("N carol\n", &name, &text), ==, CR_CLASSIC_JOIN);
  g_assert_cmpstr (name, ==, "carol");
  g_assert_cmpint (classic ("N carol\r\n", &name, &text), ==, CR_CLASSIC_JOIN);
  g_assert_cmpstr (name, ==, "carol");
  g_assert_cmpint (classic ("M carol hi there\r\n", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (text, ==, "hi there");
  g_assert_cmpint (classic ("M carol line1\nline2\n", &name, &text), ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (text, ==, "line1\nline2");

  g_assert_cmpint (classic (CR_PROBE_TEXT, &name, &text), ==, CR_CLASSIC_PROBE);
  g_assert_cmpint (classic (CR_PROBE_TEXT "\n", &name, &text), ==, CR_CLASSIC_PROBE);

  /* Refused. */
  {
    static const char *bad[] = {
      "", "\n", "\r\n", "N", "Q", "M", "Q ", "N ", "M ", "M  text", "Q\n", "Q \n",
      "N a b", "Q alice bob", "X alice", "n alice", "Nalice", "NN alice",
      "OK", "该昵称已被占用", CR_PROBE_TEXT " ", "CHATROOM-HELLO 2", "\tN alice",
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_test_message ("bad classic: \"%s\"", bad[i]);
        g_assert_cmpint (classic (bad[i], &name, &text), ==, CR_CLASSIC_INVALID);
        g_assert_null (name);
        g_assert_null (text);
      }
  }

  /* Invalid UTF-8 anywhere, and embedded NULs. */
  {
    static const guint8 bad_name[] = { 'N', ' ', 'a', 0xff };
    static const guint8 bad_text[] = { 'M', ' ', 'a', ' ', 0xc3, 0x28 };
    static const guint8 nul_name[] = { 'N', ' ', 'a', 0, 'b' };
    static const guint8 nul_text[] = { 'M', ' ', 'a', ' ', 'x', 0, 'y' };

    g_assert_cmpint (cr_classic_parse (bad_name, sizeof bad_name, &name, &text),
                     ==, CR_CLASSIC_INVALID);
    g_assert_cmpint (cr_classic_parse (bad_text, sizeof bad_text, &name, &text),
                     ==, CR_CLASSIC_INVALID);
    g_assert_cmpint (cr_classic_parse (nul_name, sizeof nul_name, &name, &text),
                     ==, CR_CLASSIC_INVALID);
    g_assert_cmpint (cr_classic_parse (nul_text, sizeof nul_text, &name, &text),
                     ==, CR_CLASSIC_INVALID);
    g_assert_cmpint (cr_classic_parse (NULL, 0, &name, &text), ==, CR_CLASSIC_INVALID);
  }

  /* The length given is honoured: no reading past it. */
  g_assert_cmpint (cr_classic_parse ((const guint8 *) "N alicegarbage", 7, &name, &text),
                   ==, CR_CLASSIC_JOIN);
  g_assert_cmpstr (name, ==, "alice");

  /* NULL out-parameters are allowed. */
  g_assert_cmpint (cr_classic_parse ((const guint8 *) "M a b", 5, NULL, NULL),
                   ==, CR_CLASSIC_MESSAGE);
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&text, g_free);
}

static void
test_classic_build (void)
{
  g_autoptr(GBytes) join = cr_classic_join ("alice");
  g_autoptr(GBytes) message = cr_classic_message ("alice", " two  spaces ");
  g_autoptr(GBytes) quit = cr_classic_quit ("小明");
  g_autofree char *name = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpmem (g_bytes_get_data (join, NULL), g_bytes_get_size (join), "N alice", 7);
  g_assert_cmpmem (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                   "M alice  two  spaces ", 21);
  g_assert_cmpmem (g_bytes_get_data (quit, NULL), g_bytes_get_size (quit),
                   "Q 小明", strlen ("Q 小明"));

  g_assert_cmpint (cr_classic_parse (g_bytes_get_data (message, NULL),
                                     g_bytes_get_size (message), &name, &text),
                   ==, CR_CLASSIC_MESSAGE);
  g_assert_cmpstr (name, ==, "alice");
  g_assert_cmpstr (text, ==, " two  spaces ");
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (cr_classic_parse (g_bytes_get_data (quit, NULL),
                                     g_bytes_get_size (quit), &name, &text),
                   ==, CR_CLASSIC_QUIT);
  g_assert_cmpstr (name, ==, "小明");
}

static void
test_is_native (void)
{
  static const guint8 magic[] = { 0xCB, 0x52 };
  g_autoptr(GBytes) datagram = sample_datagram (CR_PACKET_PING);

  g_assert_true (cr_protocol_is_native (magic, 2));
  g_assert_false (cr_protocol_is_native (magic, 1));
  g_assert_false (cr_protocol_is_native (NULL, 0));
  g_assert_false (cr_protocol_is_native ((const guint8 *) "N alice", 7));
  g_assert_true (cr_protocol_is_native (g_bytes_get_data (datagram, NULL),
                                        g_bytes_get_size (datagram)));
  /* The magic is invalid UTF-8 on purpose. */
  g_assert_false (g_utf8_validate_len ((const char *) magic, 2, NULL));
  g_assert_cmpint (cr_classic_parse (g_bytes_get_data (datagram, NULL),
                                     g_bytes_get_size (datagram), NULL, NULL),
                   ==, CR_CLASSIC_INVALID);
}

/* BATCH (type 24) ------------------------------------------------------- */

static GBytes *
batch_event_body (guint64     seq,
                  const char *name)
{
  g_autoptr(CrEvent) event = cr_event_new (seq, 1700000000000000, CR_EVENT_JOIN, name, "", 0);

  return cr_body_event (event);
}

/* A BATCH body made by hand, whatever its items: types[i] and bodies[i]. */
static GBytes *
raw_batch (guint         n,
           const guint8 *types,
           GBytes      **bodies)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(GVariant) array = NULL;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_variant_new ("(y@ay)", types[i],
                                           g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                                     bodies[i], TRUE)));
  array = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(yay)"),
                                                   (GVariant **) items->pdata, n));
  return g_variant_get_data_as_bytes (array);
}

/* Several events in one BATCH come out whole and in order, in a datagram
 * whose header says BATCH. */
static void
test_batch_round_trip (void)
{
  g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) datagram = NULL;
  g_autoptr(GPtrArray) items = NULL;
  const guint8 *data;
  const guint8 *inner;
  gsize len, inner_len;
  CrHeader header;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%u", i);
      g_autoptr(GBytes) event = batch_event_body (100 + i, name);

      g_assert_true (cr_batch_builder_add (builder, CR_PACKET_EVENT, event));
    }
  g_assert_cmpuint (cr_batch_builder_get_n_items (builder), ==, 5);
  body = cr_batch_builder_end (g_steal_pointer (&builder));

  datagram = make_datagram (CR_PACKET_BATCH, CR_FLAG_RELIABLE, 7, 9, body);
  data = g_bytes_get_data (datagram, &len);
  g_assert_cmpint (cr_header_parse (data, len, &header, &inner, &inner_len), ==, CR_PARSE_OK);
  g_assert_cmpuint (header.type, ==, CR_PACKET_BATCH);
  g_assert_true (cr_packet_type_is_valid (CR_PACKET_BATCH));

  g_assert_cmpint (cr_batch_parse (inner, inner_len, &items), ==, CR_PARSE_OK);
  g_assert_cmpuint (items->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      CrBatchItem *item = items->pdata[i];
      g_autoptr(CrEvent) event = cr_event_from_body (item->body);
      g_autofree char *name = g_strdup_printf ("member%u", i);

      g_assert_cmpint (item->type, ==, CR_PACKET_EVENT);
      g_assert_cmpuint (event->seq, ==, 100 + i);
      g_assert_cmpstr (event->name, ==, name);
      g_assert_cmpint (event->kind, ==, CR_EVENT_JOIN);
    }
}

/* A builder stops before a datagram's body is full, and before
 * CR_BATCH_ITEMS_MAX: what it made always fits and parses. */
static void
test_batch_bounds (void)
{
  g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *long_text = g_strnfill (CR_BODY_MAX, 'x');
  g_autoptr(CrEvent) long_event = cr_event_new (1, 1, CR_EVENT_CHAT, "a", long_text, 0);
  g_autoptr(GBytes) long_body = cr_body_event (long_event);
  guint n = 0;

  /* Alone too big for a batch. */
  g_assert_false (cr_batch_builder_add (builder, CR_PACKET_EVENT, long_body));
  g_assert_cmpuint (cr_batch_builder_get_n_items (builder), ==, 0);

  for (;;)
    {
      g_autoptr(GBytes) event = batch_event_body (n + 1, "someone");

      if (!cr_batch_builder_add (builder, CR_PACKET_EVENT, event))
        break;
      n++;
      g_assert_cmpuint (n, <=, CR_BATCH_ITEMS_MAX);
    }
  g_assert_cmpuint (n, >, 10);
  body = cr_batch_builder_end (g_steal_pointer (&builder));
  g_test_message ("%u events in a batch of %" G_GSIZE_FORMAT " bytes", n, g_bytes_get_size (body));
  g_assert_cmpuint (g_bytes_get_size (body), <=, CR_BODY_MAX);
  g_assert_cmpint (cr_batch_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   &items), ==, CR_PARSE_OK);
  g_assert_cmpuint (items->len, ==, n);
}

/* What a hostile room could send: each one refused whole, with a reason,
 * and no items handed out. */
static void
test_batch_hostile (void)
{
  g_autoptr(GBytes) event = batch_event_body (1, "alice");
  g_autoptr(GBytes) chat = cr_body_chat (5, "hello");
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) nested = NULL;
  g_autoptr(GBytes) wrong = NULL;
  g_autoptr(GBytes) mislabelled = NULL;
  g_autoptr(GBytes) empty = NULL;
  g_autoptr(GBytes) over = NULL;
  g_autoptr(GBytes) not_normal = NULL;
  g_autoptr(GPtrArray) items = NULL;
  GBytes *bodies[CR_BATCH_ITEMS_MAX + 1];
  guint8 types[CR_BATCH_ITEMS_MAX + 1];
  const guint8 *data;
  gsize len;

#define PARSE(bytes) cr_batch_parse (g_bytes_get_data ((bytes), NULL), \
                                     g_bytes_get_size ((bytes)), &items)

  /* The good one, for contrast. */
  types[0] = types[1] = CR_PACKET_EVENT;
  bodies[0] = bodies[1] = event;
  good = raw_batch (2, types, bodies);
  g_assert_cmpint (PARSE (good), ==, CR_PARSE_OK);
  g_assert_cmpuint (items->len, ==, 2);
  g_clear_pointer (&items, g_ptr_array_unref);

  /* A BATCH inside a BATCH. */
  types[1] = CR_PACKET_BATCH;
  bodies[1] = good;
  nested = raw_batch (2, types, bodies);
  g_assert_cmpint (PARSE (nested), ==, CR_PARSE_BAD_TYPE);
  g_assert_null (items);

  /* A type a room never batches (a member's CHAT, a WELCOME, unknown). */
  for (guint t = 0; t < 256; t++)
    {
      if (t == CR_PACKET_EVENT)
        continue;
      types[1] = t;
      bodies[1] = chat;
      g_clear_pointer (&wrong, g_bytes_unref);
      wrong = raw_batch (2, types, bodies);
      g_assert_cmpint (PARSE (wrong), ==, CR_PARSE_BAD_TYPE);
      g_assert_null (items);
    }

  /* An EVENT whose body is not one. */
  types[1] = CR_PACKET_EVENT;
  bodies[1] = chat;
  mislabelled = raw_batch (2, types, bodies);
  g_assert_cmpint (PARSE (mislabelled), ==, CR_PARSE_BAD_BODY);
  g_assert_null (items);

  /* Nothing in it. */
  empty = raw_batch (0, types, bodies);
  g_assert_cmpint (PARSE (empty), ==, CR_PARSE_TOO_SHORT);
  g_assert_null (items);

  /* Over-long: one item more than allowed (the count is checked before
   * any item is parsed). */
  for (guint i = 0; i <= CR_BATCH_ITEMS_MAX; i++)
    {
      types[i] = CR_PACKET_EVENT;
      bodies[i] = event;
    }
  over = raw_batch (CR_BATCH_ITEMS_MAX + 1, types, bodies);
  g_assert_cmpint (PARSE (over), ==, CR_PARSE_TOO_LONG);
  g_assert_null (items);
  g_clear_pointer (&over, g_bytes_unref);
  over = raw_batch (CR_BATCH_ITEMS_MAX, types, bodies);
  g_assert_cmpint (PARSE (over), ==, CR_PARSE_OK);
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Truncated anywhere: never taken. */
  data = g_bytes_get_data (good, &len);
  for (gsize cut = 0; cut < len; cut++)
    {
      g_assert_cmpint (cr_batch_parse (data, cut, &items), !=, CR_PARSE_OK);
      g_assert_null (items);
    }

  /* Not in normal form: a framing offset pointing elsewhere. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, len);

    copy[len - 1] ^= 0x01;
    not_normal = g_bytes_new (copy, len);
    g_assert_cmpint (PARSE (not_normal), !=, CR_PARSE_OK);
    g_assert_null (items);
  }
#undef PARSE
}

/* EVENT and BATCH read in place (cr-protocol-events.c) --------------- */

static void
assert_same_event (const CrEvent *a,
                   const CrEvent *b)
{
  if (a == NULL || b == NULL)
    {
      g_assert_true (a == b);
      return;
    }
  g_assert_cmpuint (a->seq, ==, b->seq);
  g_assert_cmpint (a->time_us, ==, b->time_us);
  g_assert_cmpint (a->kind, ==, b->kind);
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpstr (a->text, ==, b->text);
  g_assert_cmpuint (a->origin, ==, b->origin);
  g_assert_cmpuint (a->ref_seq, ==, b->ref_seq);
  g_assert_cmpstr (a->quote_name, ==, b->quote_name);
  g_assert_cmpstr (a->quote_text, ==, b->quote_text);
  g_assert_cmpstr (a->target, ==, b->target);
  g_assert_cmpstr (a->actor, ==, b->actor);
  g_assert_cmpint (a->recalled, ==, b->recalled);
}

/* cr_event_parse, its in-place reader (also at an odd address) and
 * GLib's way (cr_body_parse, cr_event_from_body) give one answer for
 * these bytes. Returns whether the in-place reader took them. */
static gboolean
event_agrees (const guint8 *data,
              gsize         len)
{
  g_autoptr(GVariant) value = cr_body_parse (CR_PACKET_EVENT, data, len);
  g_autoptr(CrEvent) expected = value != NULL ? cr_event_from_body (value) : NULL;
  g_autoptr(CrEvent) parsed = NULL;
  g_autoptr(CrEvent) in_place = NULL;
  g_autoptr(CrEvent) odd = NULL;
  g_autofree guint8 *shifted = g_malloc (len + 1);
  gboolean taken;

  g_assert_cmpint (cr_event_parse (data, len, &parsed), ==,
                   value != NULL ? CR_PARSE_OK : CR_PARSE_BAD_BODY);
  assert_same_event (parsed, expected);

  taken = _cr_event_read_in_place (data, len, &in_place);
  if (taken)
    {
      g_assert_nonnull (value);
      assert_same_event (in_place, expected);
    }
  else
    g_assert_null (in_place);

  if (len > 0)
    memcpy (shifted + 1, data, len);
  g_assert_cmpint (_cr_event_read_in_place (shifted + 1, len, &odd), ==, taken);
  assert_same_event (odd, in_place);
  return taken;
}

static gboolean
event_agrees_bytes (GBytes *body)
{
  return event_agrees (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* An EVENT body with any extras, as a newer or a hostile room might
 * write them. */
static GBytes *
event_body_with (const char *name,
                 const char *text,
                 GVariant   *extras)
{
  g_autoptr(GVariant) value =
    g_variant_ref_sink (g_variant_new ("(txusst@a{sv})", (guint64) 42, (gint64) 1700000000000000,
                                       (guint32) CR_EVENT_CHAT, name, text, (guint64) 7, extras));

  return g_variant_get_data_as_bytes (value);
}

/* What this version of the room writes is read in place, and read as
 * GLib reads it: every kind of extra, names and texts of every length
 * around the framing offsets' change from one byte to two. */
static void
test_event_in_place (void)
{
  g_autoptr(CrEvent) reply = cr_event_new (9, 1700000000000001, CR_EVENT_CHAT, "李雷",
                                           "你好 🌍\nsecond line", 77);
  g_autoptr(CrEvent) recalled = cr_event_new (10, 5, CR_EVENT_CHAT, "bob", "", 3);
  g_autoptr(CrEvent) recall = cr_event_new (11, 6, CR_EVENT_RECALL, "", "", 12);
  g_autoptr(CrEvent) kick = cr_event_new (12, 7, CR_EVENT_KICK, "bob", "", 0);
  g_autoptr(GBytes) body = NULL;

  reply->ref_seq = 3;
  reply->quote_name = g_strdup ("alice");
  reply->quote_text = g_strdup ("the line it answers");
  reply->target = g_strdup ("Ürsula");
  recalled->recalled = TRUE;
  recall->ref_seq = 10;
  kick->actor = g_strdup ("王老师");

  body = cr_body_event (kick);
  g_assert_true (event_agrees_bytes (body));
  {
    g_autoptr(CrEvent) parsed = NULL;

    g_assert_cmpint (cr_event_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     &parsed), ==, CR_PARSE_OK);
    g_assert_cmpstr (parsed->actor, ==, "王老师");
  }
  g_clear_pointer (&body, g_bytes_unref);
  body = cr_body_event (reply);
  g_assert_true (event_agrees_bytes (body));
  g_clear_pointer (&body, g_bytes_unref);
  body = cr_body_event (recalled);
  g_assert_true (event_agrees_bytes (body));
  g_clear_pointer (&body, g_bytes_unref);
  body = cr_body_event (recall);
  g_assert_true (event_agrees_bytes (body));
  g_clear_pointer (&body, g_bytes_unref);

  for (guint n = 0; n < 320; n++)
    {
      g_autofree char *text = g_strnfill (n, 'x');
      g_autoptr(CrEvent) event = cr_event_new (n + 1, n, CR_EVENT_CHAT, "someone", text, n);

      body = cr_body_event (event);
      g_assert_true (event_agrees_bytes (body));
      g_clear_pointer (&body, g_bytes_unref);
      event->quote_text = g_strnfill (n % CR_QUOTE_MAX_BYTES, 'q');
      event->ref_seq = n + 1;
      body = cr_body_event (event);
      g_assert_true (event_agrees_bytes (body));
      g_clear_pointer (&body, g_bytes_unref);
    }

  {
    g_autofree char *text = g_strnfill (CR_TEXT_MAX_BYTES, 'y');
    g_autoptr(CrEvent) event = cr_event_new (1, 1, CR_EVENT_CHAT, "a", text, 1);

    body = cr_body_event (event);
    g_assert_true (event_agrees_bytes (body));
    g_clear_pointer (&body, g_bytes_unref);
  }
}

/* What the in-place reader leaves to GLib, or refuses, GLib decides as
 * before: extras of other types, too many, repeated keys, known keys of
 * the wrong type; invalid UTF-8 and NULs inside a string. */
static void
test_event_in_place_unusual (void)
{
  GVariantDict dict;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(CrEvent) event = NULL;
  g_autofree guint8 *copy = NULL;
  const guint8 *data;
  gsize len;

  /* A newer room's extra of another type: ignored, the event taken. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "future", "i", -5);
  g_variant_dict_insert (&dict, "ref", "t", (guint64) 4);
  body = event_body_with ("alice", "hi", g_variant_dict_end (&dict));
  event_agrees_bytes (body);
  g_assert_cmpint (cr_event_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   &event), ==, CR_PARSE_OK);
  g_assert_nonnull (event);
  g_assert_cmpuint (event->ref_seq, ==, 4);
  g_clear_pointer (&event, cr_event_free);
  g_clear_pointer (&body, g_bytes_unref);

  /* A known key of the wrong type: the event refused (a body, no event). */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "ref", "s", "4");
  body = event_body_with ("alice", "hi", g_variant_dict_end (&dict));
  g_assert_true (event_agrees_bytes (body));
  g_assert_cmpint (cr_event_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   &event), ==, CR_PARSE_OK);
  g_assert_null (event);
  g_clear_pointer (&body, g_bytes_unref);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "recalled", "u", 1);
  body = event_body_with ("alice", "hi", g_variant_dict_end (&dict));
  event_agrees_bytes (body);
  g_clear_pointer (&body, g_bytes_unref);

  /* More extras than allowed. */
  g_variant_dict_init (&dict, NULL);
  for (guint i = 0; i <= CR_EVENT_EXTRAS_MAX; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);

      g_variant_dict_insert (&dict, key, "b", TRUE);
    }
  body = event_body_with ("alice", "hi", g_variant_dict_end (&dict));
  event_agrees_bytes (body);
  g_assert_cmpint (cr_event_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                   &event), ==, CR_PARSE_OK);
  g_assert_null (event);
  g_clear_pointer (&body, g_bytes_unref);

  /* A key twice (a dictionary made by hand): the last one counts, both ways. */
  {
    GVariantBuilder extras;

    g_variant_builder_init (&extras, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&extras, "{sv}", "to", g_variant_new_string ("bob"));
    g_variant_builder_add (&extras, "{sv}", "to", g_variant_new_string ("carol"));
    body = event_body_with ("alice", "hi", g_variant_builder_end (&extras));
    g_assert_true (event_agrees_bytes (body));
    g_assert_cmpint (cr_event_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                     &event), ==, CR_PARSE_OK);
    g_assert_cmpstr (event->target, ==, "carol");
    g_clear_pointer (&event, cr_event_free);
    g_clear_pointer (&body, g_bytes_unref);
  }

  /* Invalid UTF-8 in the name (0xff), a NUL inside the text: not a body. */
  body = event_body_with ("abc", "hello", g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0));
  data = g_bytes_get_data (body, &len);
  copy = g_memdup2 (data, len);
  g_assert_cmpint (copy[21], ==, 'b');
  copy[21] = 0xff;
  g_assert_false (_cr_event_read_in_place (copy, len, &event));
  g_assert_cmpint (cr_event_parse (copy, len, &event), ==, CR_PARSE_BAD_BODY);
  g_assert_null (event);
  event_agrees (copy, len);
  copy[21] = 'b';
  g_assert_cmpint (copy[25], ==, 'e');
  copy[25] = '\0';
  g_assert_false (_cr_event_read_in_place (copy, len, &event));
  g_assert_cmpint (cr_event_parse (copy, len, &event), ==, CR_PARSE_BAD_BODY);
  event_agrees (copy, len);
  copy[25] = 'e';
  g_assert_true (event_agrees (copy, len));
}

/* Every truncation and single-byte change of real events: the in-place
 * reader never takes what GLib refuses, and reads what both take alike. */
static void
test_event_in_place_mutations (void)
{
  g_autoptr(CrEvent) reply = cr_event_new (9, 1700000000000001, CR_EVENT_CHAT, "李雷",
                                           "a reply", 77);
  g_autofree char *long_text = g_strnfill (300, 'z');
  g_autoptr(CrEvent) big = cr_event_new (1, 2, CR_EVENT_ANNOUNCE, "", long_text, 0);
  GBytes *bodies[2];
  static const guint8 changes[] = { 0x01, 0x80, 0xff };
  guint taken = 0, tried = 0;

  reply->ref_seq = 3;
  reply->quote_name = g_strdup ("alice");
  reply->quote_text = g_strdup ("what was said");
  reply->recalled = TRUE;
  big->target = g_strdup ("bob");
  bodies[0] = cr_body_event (reply);
  bodies[1] = cr_body_event (big);

  for (guint b = 0; b < G_N_ELEMENTS (bodies); b++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bodies[b], &len);
      g_autofree guint8 *copy = g_memdup2 (data, len);

      for (gsize cut = 0; cut < len; cut++)
        event_agrees (data, cut);
      for (gsize i = 0; i < len; i++)
        for (guint c = 0; c < G_N_ELEMENTS (changes) + 1; c++)
          {
            copy[i] = c < G_N_ELEMENTS (changes) ? data[i] ^ changes[c] : 0;
            if (copy[i] == data[i])
              continue;
            tried++;
            taken += event_agrees (copy, len);
            copy[i] = data[i];
          }
      g_bytes_unref (bodies[b]);
    }
  /* Some changes still make a good event (a number, a letter): those
   * were read in place, and alike. */
  g_test_message ("%u of %u changed bodies read in place", taken, tried);
  g_assert_cmpuint (taken, >, 0);
}

/* cr_batch_parse_events answers as cr_batch_parse for these bytes, with
 * the events GLib reads from its items. */
static void
batch_agrees (const guint8 *data,
              gsize         len)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) events = NULL;
  CrParseResult expected = cr_batch_parse (data, len, &items);

  g_assert_cmpint (cr_batch_parse_events (data, len, &events), ==, expected);
  if (expected != CR_PARSE_OK)
    {
      g_assert_null (events);
      return;
    }
  g_assert_cmpuint (events->len, ==, items->len);
  for (guint i = 0; i < items->len; i++)
    {
      CrBatchItem *item = items->pdata[i];
      g_autoptr(CrEvent) event = cr_event_from_body (item->body);

      assert_same_event (events->pdata[i], event);
    }
}

static CrParseResult
batch_events (GBytes     *body,
              GPtrArray **events)
{
  batch_agrees (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return cr_batch_parse_events (g_bytes_get_data (body, NULL), g_bytes_get_size (body), events);
}

/* A BATCH's events: the same answers as cr_batch_parse for every hostile
 * form of tests above (nested, other types, mislabelled, empty, one item
 * too many, truncated, changed bytes, invalid UTF-8 inside an item), and
 * an item whose extras are refused is a NULL among the others. */
static void
test_batch_events (void)
{
  g_autoptr(GBytes) event = batch_event_body (1, "alice");
  g_autoptr(GBytes) chat = cr_body_chat (5, "hello");
  g_autoptr(GBytes) refused = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) wrong = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
  GBytes *bodies[CR_BATCH_ITEMS_MAX + 1];
  guint8 types[CR_BATCH_ITEMS_MAX + 1];
  GVariantDict dict;
  const guint8 *data;
  gsize len;

  /* As a room builds it: every event, in order. */
  for (guint i = 0; ; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%u", i);
      g_autoptr(GBytes) body = batch_event_body (100 + i, name);

      if (!cr_batch_builder_add (builder, CR_PACKET_EVENT, body))
        break;
    }
  good = cr_batch_builder_end (g_steal_pointer (&builder));
  g_assert_cmpint (batch_events (good, &events), ==, CR_PARSE_OK);
  g_assert_cmpuint (events->len, >, 10);
  for (guint i = 0; i < events->len; i++)
    g_assert_cmpuint (((CrEvent *) events->pdata[i])->seq, ==, 100 + i);
  g_clear_pointer (&events, g_ptr_array_unref);
  g_clear_pointer (&good, g_bytes_unref);

  /* An item whose extras are refused: the batch is taken, that event is NULL. */
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "ref", "s", "not a number");
  refused = event_body_with ("bob", "hi", g_variant_dict_end (&dict));
  types[0] = types[1] = types[2] = CR_PACKET_EVENT;
  bodies[0] = event;
  bodies[1] = refused;
  bodies[2] = event;
  good = raw_batch (3, types, bodies);
  g_assert_cmpint (batch_events (good, &events), ==, CR_PARSE_OK);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_nonnull (events->pdata[0]);
  g_assert_null (events->pdata[1]);
  g_assert_nonnull (events->pdata[2]);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* Nested, other types, mislabelled, empty, too many. */
  types[1] = CR_PACKET_BATCH;
  bodies[1] = good;
  wrong = raw_batch (2, types, bodies);
  g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_BAD_TYPE);
  g_clear_pointer (&wrong, g_bytes_unref);
  for (guint t = 0; t < 256; t++)
    {
      if (t == CR_PACKET_EVENT)
        continue;
      types[1] = t;
      bodies[1] = chat;
      wrong = raw_batch (2, types, bodies);
      g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_BAD_TYPE);
      g_clear_pointer (&wrong, g_bytes_unref);
    }
  types[1] = CR_PACKET_EVENT;
  bodies[1] = chat;
  wrong = raw_batch (2, types, bodies);
  g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_BAD_BODY);
  g_clear_pointer (&wrong, g_bytes_unref);
  wrong = raw_batch (0, types, bodies);
  g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_TOO_SHORT);
  g_clear_pointer (&wrong, g_bytes_unref);
  for (guint i = 0; i <= CR_BATCH_ITEMS_MAX; i++)
    {
      types[i] = CR_PACKET_EVENT;
      bodies[i] = event;
    }
  wrong = raw_batch (CR_BATCH_ITEMS_MAX + 1, types, bodies);
  g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_TOO_LONG);
  g_assert_null (events);
  g_clear_pointer (&wrong, g_bytes_unref);
  wrong = raw_batch (CR_BATCH_ITEMS_MAX, types, bodies);
  g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_OK);
  g_assert_cmpuint (events->len, ==, CR_BATCH_ITEMS_MAX);
  g_clear_pointer (&events, g_ptr_array_unref);
  g_clear_pointer (&wrong, g_bytes_unref);

  /* Invalid UTF-8 in the second item's name ("alice" → "al\xffce"). */
  {
    g_autoptr(GBytes) second = NULL;
    g_autofree guint8 *broken = NULL;

    data = g_bytes_get_data (event, &len);
    broken = g_memdup2 (data, len);
    /* The name starts at 20 (cr-protocol-events.c). */
    g_assert_cmpint (memcmp (broken + 20, "alice", 6), ==, 0);
    broken[22] = 0xff;
    second = g_bytes_new (broken, len);
    bodies[1] = second;
    wrong = raw_batch (3, types, bodies);
    g_assert_cmpint (batch_events (wrong, &events), ==, CR_PARSE_BAD_BODY);
    g_assert_null (events);
    g_clear_pointer (&wrong, g_bytes_unref);
    bodies[1] = event;
  }

  /* Every truncation, every byte changed. */
  data = g_bytes_get_data (good, &len);
  for (gsize cut = 0; cut < len; cut++)
    batch_agrees (data, cut);
  {
    g_autofree guint8 *copy = g_memdup2 (data, len);

    for (gsize i = 0; i < len; i++)
      for (guint c = 0; c < 3; c++)
        {
          copy[i] = c == 0 ? data[i] ^ 0x01 : c == 1 ? data[i] ^ 0xff : 0;
          batch_agrees (copy, len);
          copy[i] = data[i];
        }
  }
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/protocol/header-layout", test_header_layout);
  g_test_add_func ("/chatroom/protocol/round-trip", test_round_trip);
  g_test_add_func ("/chatroom/protocol/body-types", test_body_types);
  g_test_add_func ("/chatroom/protocol/truncated", test_truncated);
  g_test_add_func ("/chatroom/protocol/oversized", test_oversized);
  g_test_add_func ("/chatroom/protocol/bad-header", test_bad_header);
  g_test_add_func ("/chatroom/protocol/invalid-utf8-body", test_invalid_utf8_body);
  g_test_add_func ("/chatroom/protocol/non-normal-body", test_non_normal_body);
  g_test_add_func ("/chatroom/protocol/random-datagrams", test_random_datagrams);
  g_test_add_func ("/chatroom/protocol/random-mutations", test_random_mutations);
  g_test_add_func ("/chatroom/protocol/classic-parse", test_classic_parse);
  g_test_add_func ("/chatroom/protocol/classic-build", test_classic_build);
  g_test_add_func ("/chatroom/protocol/is-native", test_is_native);
  g_test_add_func ("/chatroom/protocol/batch-round-trip", test_batch_round_trip);
  g_test_add_func ("/chatroom/protocol/batch-bounds", test_batch_bounds);
  g_test_add_func ("/chatroom/protocol/batch-hostile", test_batch_hostile);
  g_test_add_func ("/chatroom/protocol/event-in-place", test_event_in_place);
  g_test_add_func ("/chatroom/protocol/event-in-place-unusual", test_event_in_place_unusual);
  g_test_add_func ("/chatroom/protocol/event-in-place-mutations", test_event_in_place_mutations);
  g_test_add_func ("/chatroom/protocol/batch-events", test_batch_events);

  return g_test_run ();
}
