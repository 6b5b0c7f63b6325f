/* fuzz-seeds.c: writes the seed corpora under fuzz/corpus/
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A few valid inputs per harness, built by the codec itself so they stay
 * right when the wire format changes: run it again and commit the result.
 *   build-fuzz/fuzz/fuzz-seeds fuzz/corpus
 * Each input is in the harness's own chunk format (see the top comment of
 * fuzz-server.c, fuzz-client.c); fuzz-store gets a database a room wrote.
 */
#define G_LOG_DOMAIN "fuzz-seeds"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cr-classic.h"
#include "cr-engine.h"
#include "cr-protocol.h"
#include "cr-store-private.h"

static void
write_seed (const char   *top,
            const char   *harness,
            const char   *name,
            GByteArray   *bytes)
{
  g_autofree char *folder = g_build_filename (top, harness, NULL);
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (folder, 0755);
  if (!g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error))
    g_error ("%s", error->message);
}

/* One fuzz-server chunk: flags, source, length, bytes. */
static void
server_chunk (GByteArray   *input,
              guint8        flags,
              guint8        source,
              guint8        type,
              const void   *data,
              gsize         len)
{
  gsize total = len + (type != 0 ? 1 : 0);
  guint8 head[4] = { flags, source, total >> 8, total & 0xff };

  g_byte_array_append (input, head, sizeof head);
  if (type != 0)
    g_byte_array_append (input, &type, 1);
  g_byte_array_append (input, data, len);
}

static void
server_chunk_bytes (GByteArray *input,
                    guint8      flags,
                    guint8      source,
                    guint8      type,
                    GBytes     *bytes)
{
  server_chunk (input, flags, source, type, g_bytes_get_data (bytes, NULL),
                g_bytes_get_size (bytes));
}

static void
server_chunk_text (GByteArray *input,
                   guint8      flags,
                   guint8      source,
                   const char *text)
{
  server_chunk (input, flags, source, 0, text, strlen (text));
}

#define RELIABLE(type) ((type) - CR_PACKET_JOIN)

static void
server_seeds (const char *top)
{
  g_autoptr(GByteArray) chat = g_byte_array_new ();
  g_autoptr(GByteArray) joins = g_byte_array_new ();
  g_autoptr(GByteArray) classic = g_byte_array_new ();
  g_autoptr(GByteArray) owner = g_byte_array_new ();
  g_autoptr(GBytes) hello = cr_body_chat (1, "hello  there");
  g_autoptr(GBytes) again = cr_body_chat (1, "hello  there");
  g_autoptr(GBytes) long_text = NULL;
  g_autoptr(GBytes) empty = cr_body_empty ();
  g_autoptr(GBytes) eve = cr_body_join ("eve", "", "", FALSE, 0, "");
  g_autoptr(GBytes) frank = cr_body_join ("frank", "password1", "", TRUE, 0, "");
  g_autoptr(GBytes) wrong = cr_body_join ("carol", "wrong", "", FALSE, 0, "");
  g_autoptr(GBytes) resume = cr_body_join ("alice", "", "token", FALSE, 1, "");
  g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");
  g_autofree char *text = g_strnfill (900, 'x');
  guint8 kick[] = { CR_OWNER_KICK, 'a', 'l', 'i', 'c', 'e' };
  guint8 mute[] = { CR_OWNER_MUTE, 'b', 'o', 'b' };
  guint8 ban[] = { CR_OWNER_BAN, 'c', 'a', 'r', 'o', 'l' };
  guint8 say[] = { 5, 'h', 'i' };

  long_text = cr_body_chat (2, text);

  /* Members chat natively and classically, with retries and a ping. */
  server_chunk_bytes (chat, 1, 0, RELIABLE (CR_PACKET_CHAT), hello);
  server_chunk_bytes (chat, 1, 0, RELIABLE (CR_PACKET_CHAT), again);
  server_chunk_bytes (chat, 1, 2, RELIABLE (CR_PACKET_CHAT), long_text);
  server_chunk_text (chat, 0, 1, "M bob 你好 world");
  server_chunk_bytes (chat, 1, 3, RELIABLE (CR_PACKET_PING), empty);
  server_chunk_bytes (chat, 1, 0, RELIABLE (CR_PACKET_BYE), bye);
  server_chunk_text (chat, 4, 1, "Q bob");
  write_seed (top, "fuzz-server", "chat", chat);

  /* Strangers join from both families, register, guess, resume. */
  server_chunk_bytes (joins, 2, 0x10, 0, eve);
  server_chunk_bytes (joins, 2, 0x11, 0, frank);
  server_chunk_bytes (joins, 2, 0x23, 0, wrong);
  server_chunk_bytes (joins, 2, 0x34, 0, resume);
  server_chunk_text (joins, 0, 0x45, CR_PROBE_TEXT);
  server_chunk_bytes (joins, 4, 0x10, 0, empty);
  write_seed (top, "fuzz-server", "joins", joins);

  /* Classic joins from many ports, a taken and a banned name, a spoofed M. */
  server_chunk_text (classic, 0, 0x10, "N x1");
  server_chunk_text (classic, 0, 0x20, "N x2");
  server_chunk_text (classic, 0, 0x31, "N alice");
  server_chunk_text (classic, 0, 0x40, "N mallory");
  server_chunk_text (classic, 0, 0x50, "M bob spoofed");
  server_chunk_text (classic, 0, 0x10, "M x1 hi\n");
  server_chunk_text (classic, 0, 0x10, "Q x1");
  write_seed (top, "fuzz-server", "classic", classic);

  /* The owner acts on each kind of member. */
  server_chunk (owner, 16, 0, 0, say, sizeof say);
  server_chunk (owner, 16, 0, 0, mute, sizeof mute);
  server_chunk_text (owner, 0, 1, "M bob muted?");
  server_chunk (owner, 16, 0, 0, ban, sizeof ban);
  server_chunk (owner, 16, 0, 0, kick, sizeof kick);
  server_chunk (owner, 4, 0, 0, NULL, 0);
  server_chunk (owner, 4, 0, 0, NULL, 0);
  write_seed (top, "fuzz-server", "owner", owner);
}

/* fuzz-client: start byte, then chunks of flags, length, bytes. */
static void
client_chunk (GByteArray *input,
              guint8      flags,
              guint8      type,
              GBytes     *bytes)
{
  gsize len = g_bytes_get_size (bytes) + (type != 0 ? 1 : 0);
  guint8 head[3] = { flags, len >> 8, len & 0xff };

  g_byte_array_append (input, head, sizeof head);
  if (type != 0)
    g_byte_array_append (input, &type, 1);
  g_byte_array_append (input, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
client_seeds (const char *top)
{
  g_autoptr(GByteArray) native = g_byte_array_new ();
  g_autoptr(GByteArray) classic = g_byte_array_new ();
  g_autoptr(CrEvent) chat = cr_event_new (4, 1767225600000000, CR_EVENT_CHAT, "bob", "hi", 0);
  g_autoptr(CrEvent) join = cr_event_new (5, 1767225600000000, CR_EVENT_JOIN, "carol", "", 0);
  g_autoptr(GBytes) chat_body = cr_body_event (chat);
  g_autoptr(GBytes) join_body = cr_body_event (join);
  g_autoptr(GBytes) notice = cr_body_notice (CR_REASON_MUTED, 1);
  g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_KICKED, "");
  const CrClassicTable *table = cr_classic_table_default ();
  g_autoptr(GPtrArray) lines = cr_classic_format_event (table, chat);
  guint8 start;

  start = 2;   /* a native member */
  g_byte_array_append (native, &start, 1);
  client_chunk (native, 1, CR_PACKET_EVENT - CR_PACKET_JOIN, chat_body);
  client_chunk (native, 1, CR_PACKET_EVENT - CR_PACKET_JOIN, join_body);
  client_chunk (native, 1, CR_PACKET_NOTICE - CR_PACKET_JOIN, notice);
  client_chunk (native, 1, CR_PACKET_BYE - CR_PACKET_JOIN, bye);
  write_seed (top, "fuzz-client", "native", native);

  /* The conversation (issue 14): a reply, a recall, a page, results. */
  {
    g_autoptr(GByteArray) talk = g_byte_array_new ();
    g_autoptr(CrEvent) reply = cr_event_new (6, 1767225600000000, CR_EVENT_CHAT, "carol", "yes", 0);
    g_autoptr(CrEvent) recall = cr_event_new (7, 1767225600000000, CR_EVENT_RECALL, "bob", "", 0);
    g_autoptr(GPtrArray) page = g_ptr_array_new ();
    g_autoptr(GBytes) reply_body = NULL;
    g_autoptr(GBytes) recall_body = NULL;
    g_autoptr(GBytes) page_body = NULL;
    g_autoptr(GBytes) results_body = NULL;

    cr_event_set_quote (reply, chat);
    reply->target = g_strdup ("bob");
    recall->ref_seq = 4;
    reply_body = cr_body_event (reply);
    recall_body = cr_body_event (recall);
    g_ptr_array_add (page, chat);
    g_ptr_array_add (page, reply);
    page_body = cr_body_page (4, TRUE, page);
    results_body = cr_body_results (1, FALSE, page);

    start = 2;
    g_byte_array_append (talk, &start, 1);
    client_chunk (talk, 1, CR_PACKET_EVENT - CR_PACKET_JOIN, reply_body);
    client_chunk (talk, 1, CR_PACKET_EVENT - CR_PACKET_JOIN, recall_body);
    client_chunk (talk, 1, CR_PACKET_PAGE - CR_PACKET_JOIN, page_body);
    client_chunk (talk, 1, CR_PACKET_RESULTS - CR_PACKET_JOIN, results_body);
    write_seed (top, "fuzz-client", "conversation", talk);
  }

  /* A BATCH of two events (type byte 0xff: fuzz-client.c's reliable_type). */
  {
    g_autoptr(GByteArray) batched = g_byte_array_new ();
    g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
    g_autoptr(GBytes) batch = NULL;

    start = 2;
    g_byte_array_append (batched, &start, 1);
    cr_batch_builder_add (builder, CR_PACKET_EVENT, chat_body);
    cr_batch_builder_add (builder, CR_PACKET_EVENT, join_body);
    batch = cr_batch_builder_end (g_steal_pointer (&builder));
    client_chunk (batched, 1, 0xff, batch);
    write_seed (top, "fuzz-client", "batch", batched);
  }

  start = 3;   /* a classic member */
  g_byte_array_append (classic, &start, 1);
  for (guint i = 0; i < lines->len; i++)
    {
      g_autoptr(GBytes) line = g_bytes_new (lines->pdata[i], strlen (lines->pdata[i]));

      client_chunk (classic, 0, 0, line);
    }
  {
    g_autoptr(GBytes) refusal = g_bytes_new_static (cr_classic_format_reason (table,
                                                                              CR_REASON_BANNED),
                                                    strlen (cr_classic_format_reason (table,
                                                                                      CR_REASON_BANNED)));

    client_chunk (classic, 0, 0, refusal);
  }
  write_seed (top, "fuzz-client", "classic", classic);
}

static void
classic_text (const char *top,
              const char *name,
              const char *text,
              gsize       len)
{
  g_autoptr(GByteArray) input = g_byte_array_new ();

  g_byte_array_append (input, (const guint8 *) text, len);
  write_seed (top, "fuzz-classic", name, input);
}

static void
classic_seeds (const char *top)
{
  static const char *languages[] = { "zh_CN", "en" };
  static const char round_trip[] = "张三\0hello there";

  classic_text (top, "join", "N alice", 7);
  classic_text (top, "message", "M alice hello  there\r\n", 22);
  classic_text (top, "quit", "Q alice", 7);
  classic_text (top, "probe", CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));
  classic_text (top, "round-trip", round_trip, sizeof round_trip - 1);

  for (guint l = 0; l < G_N_ELEMENTS (languages); l++)
    {
      const CrClassicTable *table = cr_classic_table_lookup (languages[l]);

      for (CrEventKind kind = CR_EVENT_CHAT; kind <= CR_EVENT_LAST; kind++)
        {
          g_autoptr(CrEvent) event = cr_event_new (1, 1, kind, "alice",
                                                   cr_event_kind_is_chat (kind) ? "hi" : "", 0);
          g_autoptr(GPtrArray) lines = cr_classic_format_event (table, event);
          g_autofree char *name = g_strdup_printf ("line-%s-%d", languages[l], kind);

          /* Some kinds have no line for a classic member (FILE without
           * its details, PIN without text). */
          if (lines == NULL || lines->len == 0)
            continue;
          classic_text (top, name, lines->pdata[0], strlen (lines->pdata[0]));
        }
      for (CrReason reason = CR_REASON_NAME_TAKEN; reason <= CR_REASON_LAST; reason += 4)
        {
          const char *line = cr_classic_format_reason (table, reason);
          g_autofree char *name = g_strdup_printf ("reason-%s-%d", languages[l], reason);

          classic_text (top, name, line, strlen (line));
        }
    }
}

static void
store_seeds (const char *top)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fuzz-seeds-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GByteArray) db = g_byte_array_new ();
  CrStore *store;
  gsize len;

  g_assert_no_error (error);
  store = cr_store_open (dir, &error);
  g_assert_no_error (error);
  cr_store_set_pwhash_cost (store, CR_PWHASH_MIN);
  cr_store_add_account (store, "victim", "Victim", "password1", &error);
  g_assert_no_error (error);
  cr_store_set_banned (store, "mallory", "mallory", TRUE, &error);
  g_assert_no_error (error);
  cr_store_set_setting (store, "room-name", "Fuzz", &error);
  g_assert_no_error (error);
  for (guint seq = 1; seq <= 6; seq++)
    {
      g_autoptr(CrEvent) event = cr_event_new (seq, seq, seq % 2 ? CR_EVENT_CHAT : CR_EVENT_JOIN,
                                               "alice", seq % 2 ? "hello" : "", seq);

      cr_store_append_event (store, event, &error);
      g_assert_no_error (error);
    }
  cr_store_close (store);

  /* Closing checkpoints the WAL into the file: one file holds it all. */
  path = g_build_filename (dir, "chatroom.db", NULL);
  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  g_byte_array_append (db, (const guint8 *) contents, len);
  write_seed (top, "fuzz-store", "room", db);
  g_unlink (path);
  g_rmdir (dir);
}

/* An EVENT body with every extra, and a BATCH of it and a plain one:
 * the shapes fuzz-protocol's in-place readers take (cr-protocol-events.c). */
static void
protocol_seeds (const char *top)
{
  g_autoptr(CrEvent) reply = cr_event_new (9, 1700000000000001, CR_EVENT_CHAT, "alice",
                                           "an answer", 77);
  g_autoptr(CrEvent) join = cr_event_new (10, 1700000000000002, CR_EVENT_JOIN, "bob", "", 0);
  g_autoptr(GBytes) reply_body = NULL;
  g_autoptr(GBytes) join_body = NULL;
  g_autoptr(GBytes) batch = NULL;
  g_autoptr(CrBatchBuilder) builder = cr_batch_builder_new ();
  g_autoptr(GByteArray) event_input = g_byte_array_new ();
  g_autoptr(GByteArray) batch_input = g_byte_array_new ();

  reply->ref_seq = 3;
  reply->quote_name = g_strdup ("carol");
  reply->quote_text = g_strdup ("the question");
  reply->target = g_strdup ("bob");
  reply_body = cr_body_event (reply);
  join_body = cr_body_event (join);
  cr_batch_builder_add (builder, CR_PACKET_EVENT, reply_body);
  cr_batch_builder_add (builder, CR_PACKET_EVENT, join_body);
  batch = cr_batch_builder_end (g_steal_pointer (&builder));
  g_byte_array_append (event_input, g_bytes_get_data (reply_body, NULL),
                       g_bytes_get_size (reply_body));
  g_byte_array_append (batch_input, g_bytes_get_data (batch, NULL), g_bytes_get_size (batch));
  write_seed (top, "fuzz-protocol", "event", event_input);
  write_seed (top, "fuzz-protocol", "batch", batch_input);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  if (argc != 2)
    {
      g_printerr ("Usage: %s CORPUS-DIR\n", argv[0]);
      return 2;
    }
  server_seeds (argv[1]);
  client_seeds (argv[1]);
  classic_seeds (argv[1]);
  store_seeds (argv[1]);
  protocol_seeds (argv[1]);
  return 0;
}
