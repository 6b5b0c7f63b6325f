/* test-conversation.c: replies, recalls, private messages, older history
 * and search (issue 14), over real sockets on loopback: a CrServer,
 * native members (CrClient) and classic members (a raw socket saying
 * "N name"), and the store they leave behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <sqlite3.h>

#include "cr-classic.h"
#include "cr-client-dialect.h"
#include "cr-client-private.h"
#include "cr-protocol.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-server-private.h"
#include "cr-store.h"
#include "cr-test-net.h"
#include "cr-test-utils.h"

/* Waiting ------------------------------------------------------------- */

/* The row (chat or owner's) whose text is text, NULL when none. */
static CrMessage *
find_text (CrClient   *client,
           const char *text)
{
  GListModel *messages = cr_client_get_messages (client);

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        return message;   /* the model holds it */
    }
  return NULL;
}

/* Whether any row of the model has text inside (recalled text must be gone). */
static gboolean
model_contains (CrClient   *client,
                const char *text)
{
  GListModel *messages = cr_client_get_messages (client);

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);
      const char *quote = cr_message_get_quote_text (message);

      if (strstr (cr_message_get_text (message), text) != NULL ||
          (quote != NULL && strstr (quote, text) != NULL))
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  CrClient   *client;
  const char *text;
} TextWait;

static gboolean
text_arrived (gpointer user_data)
{
  TextWait *wait = user_data;

  return find_text (wait->client, wait->text) != NULL;
}

static CrMessage *
wait_text (CrClient   *client,
           const char *text)
{
  TextWait wait = { client, text };

  cr_test_assert_wait (text_arrived, &wait, 5000);
  return find_text (client, text);
}

static gboolean
message_recalled (gpointer user_data)
{
  return cr_message_get_recalled (CR_MESSAGE (user_data));
}

static CrMessage *
say (CrClient   *client,
     const char *text)
{
  g_autoptr(GError) error = NULL;
  CrMessage *message = cr_client_send (client, text, &error);

  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, message, 5000);
  return message;
}

/* An async call finished: its result, kept. */
static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
result_came (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

static gboolean
recall (CrClient  *client,
        guint64    seq,
        GError   **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cr_client_recall_async (client, seq, NULL, on_done, &result);
  cr_test_assert_wait (result_came, &result, 12000);
  return cr_client_recall_finish (client, result, error);
}

static GListModel *
search (CrClient    *client,
        const char  *query,
        gboolean    *more,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cr_client_search_async (client, query, NULL, on_done, &result);
  cr_test_assert_wait (result_came, &result, 12000);
  return cr_client_search_finish (client, result, more, error);
}

static gboolean
results_have (GListModel *results,
              const char *text)
{
  for (guint i = 0; i < g_list_model_get_n_items (results); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (results, i);

      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The room's file, read beside the room (WAL: a reader sees what the room
 * committed). */
typedef struct
{
  char   *text;
  gint64  recalled;
  gint64  ref_seq;
  char   *quote_text;
} Row;

static gboolean
read_row (CrTestRoom *room,
          guint64     seq,
          Row        *row)
{
  g_autofree char *path = g_build_filename (room->dir, "chatroom.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT text, recalled, ref_seq, quote_text "
                                           "FROM events WHERE seq = ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) seq);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  if (found)
    {
      row->text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      row->recalled = sqlite3_column_int64 (stmt, 1);
      row->ref_seq = sqlite3_column_int64 (stmt, 2);
      row->quote_text = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return found;
}

/* How many rows the full-text index finds for a (≥ 3 character) word. */
static gint64
index_count (CrTestRoom *room,
             const char *word)
{
  g_autofree char *path = g_build_filename (room->dir, "chatroom.db", NULL);
  g_autofree char *match = g_strdup_printf ("\"%s\"", word);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM events_fts "
                                           "WHERE events_fts MATCH ?1", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* A reply --------------------------------------------------------------- */

static void
test_reply (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(GError) error = NULL;
  CrTestClassic *dave;
  CrMessage *original, *reply, *seen, *bad;
  Row row = { 0 };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  carol = cr_test_join (room.address, "carol", NULL, FALSE, 0, NULL);
  dave = cr_test_classic_join (room.socket_address, "dave", 3000);

  original = say (alice, "the plan\nand a second line");
  wait_text (bob, "the plan\nand a second line");

  reply = cr_client_reply (bob, cr_message_get_seq (original), "agreed", &error);
  g_assert_no_error (error);
  /* At once: what it answers (the quote from our own row). */
  g_assert_cmpuint (cr_message_get_reply_to (reply), ==, cr_message_get_seq (original));
  cr_test_assert_wait (cr_test_message_sent, reply, 5000);
  /* The room's quote: the sender and the first line. */
  g_assert_cmpstr (cr_message_get_quote_name (reply), ==, "alice");
  g_assert_cmpstr (cr_message_get_quote_text (reply), ==, "the plan");

  /* Everyone has it with its reference. */
  seen = wait_text (alice, "agreed");
  g_assert_cmpuint (cr_message_get_reply_to (seen), ==, cr_message_get_seq (original));
  g_assert_cmpstr (cr_message_get_quote_name (seen), ==, "alice");
  g_assert_cmpstr (cr_message_get_quote_text (seen), ==, "the plan");
  seen = wait_text (carol, "agreed");
  g_assert_cmpuint (cr_message_get_reply_to (seen), ==, cr_message_get_seq (original));
  g_assert_cmpstr (cr_message_get_quote_text (seen), ==, "the plan");
  /* cr_client_find_message finds the original to jump to. */
  g_assert_true (cr_client_find_message (carol, cr_message_get_seq (original)) != NULL);
  g_assert_cmpstr (cr_message_get_text (cr_client_find_message (carol,
                                                                cr_message_get_seq (original))),
                   ==, "the plan\nand a second line");

  /* A classic member: a plain line that quotes (the room speaks zh_CN). */
  cr_test_classic_wait_line (dave, "bob 说 :「alice：the plan」agreed", 5000);

  /* The store keeps the reference. */
  g_assert_true (read_row (&room, cr_message_get_seq (reply), &row));
  g_assert_cmpint (row.ref_seq, ==, (gint64) cr_message_get_seq (original));
  g_assert_cmpstr (row.quote_text, ==, "the plan");
  g_free (row.text);
  g_free (row.quote_text);

  /* A reply to a message the room does not have: refused, said why. */
  bad = cr_client_reply (bob, 987654, "to nothing", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_failed, bad, 5000);
  g_assert_cmpint (cr_message_get_failure (bad), ==, CR_REASON_NO_SUCH_MESSAGE);
  cr_test_run_for (200);
  g_assert_null (find_text (alice, "to nothing"));

  cr_test_classic_leave (dave);
  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* A recall -------------------------------------------------------------- */

static void
test_recall (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) erin = NULL;
  g_autoptr(GError) error = NULL;
  CrTestClassic *dave;
  CrMessage *oops, *seen, *later, *later_bob, *reply;
  guint64 oops_seq, later_seq;
  Row row = { 0 };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  dave = cr_test_classic_join (room.socket_address, "dave", 3000);

  oops = say (alice, "oops wrongwindow password");
  oops_seq = cr_message_get_seq (oops);
  seen = wait_text (bob, "oops wrongwindow password");
  /* A reply quotes it: the quote must go too. */
  reply = cr_client_reply (bob, oops_seq, "what?", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, reply, 5000);
  g_assert_cmpuint (index_count (&room, "wrongwindow"), ==, 1);

  /* Within the window: gone from every member's model and from the store. */
  g_assert_true (recall (alice, oops_seq, &error));
  g_assert_no_error (error);
  cr_test_assert_wait (message_recalled, seen, 5000);
  cr_test_assert_wait (message_recalled, oops, 5000);
  g_assert_cmpstr (cr_message_get_text (seen), ==, "");
  g_assert_false (model_contains (alice, "wrongwindow"));
  /* Nor in the quote of a reply to it. */
  g_assert_false (model_contains (bob, "wrongwindow"));
  g_assert_cmpuint (cr_message_get_reply_to (reply), ==, oops_seq);
  {
    g_autofree char *shown = cr_message_dup_display (seen);
    g_autofree char *expected = cr_render_event (&(CrEvent) { .kind = CR_EVENT_RECALL,
                                                              .name = (char *) "alice",
                                                              .text = (char *) "" }, NULL);

    g_assert_cmpstr (shown, ==, expected);
  }
  cr_test_classic_wait_line (dave, "alice 撤回了一条消息", 5000);
  g_assert_true (read_row (&room, oops_seq, &row));
  g_assert_cmpstr (row.text, ==, "");
  g_assert_cmpint (row.recalled, ==, 1);
  g_clear_pointer (&row.text, g_free);
  g_clear_pointer (&row.quote_text, g_free);
  g_assert_true (read_row (&room, cr_message_get_seq (reply), &row));
  g_assert_cmpstr (row.text, ==, "what?");
  g_assert_cmpstr (row.quote_text, ==, "");
  g_clear_pointer (&row.text, g_free);
  g_clear_pointer (&row.quote_text, g_free);
  g_assert_cmpint (index_count (&room, "wrongwindow"), ==, 0);
  /* Recalling twice says there is nothing to change. */
  g_assert_false (recall (alice, oops_seq, &error));
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NO_CHANGE);
  g_clear_error (&error);

  /* Outside the window: refused, NOT_ALLOWED, translated; nor may bob. */
  later = say (alice, "said three minutes ago");
  later_seq = cr_message_get_seq (later);
  later_bob = wait_text (bob, "said three minutes ago");
  cr_server_advance_wall_clock (3 * G_TIME_SPAN_MINUTE);
  g_assert_false (recall (alice, later_seq, &error));
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NOT_ALLOWED);
  {
    g_autofree char *expected = cr_render_reason (CR_REASON_NOT_ALLOWED, NULL);

    g_assert_cmpstr (error->message, ==, expected);
  }
  g_clear_error (&error);
  g_assert_false (recall (bob, later_seq, &error));
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NOT_ALLOWED);
  g_clear_error (&error);
  /* A number the room never gave. */
  g_assert_false (recall (bob, 987654, &error));
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NO_SUCH_MESSAGE);
  g_clear_error (&error);
  g_assert_false (cr_message_get_recalled (later));

  /* The owner: any message, any time. */
  g_assert_true (cr_server_recall (room.server, later_seq, &error));
  g_assert_no_error (error);
  cr_test_assert_wait (message_recalled, later, 5000);
  cr_test_assert_wait (message_recalled, later_bob, 5000);

  /* A later joiner never receives the texts. */
  erin = cr_test_join (room.address, "erin", NULL, FALSE, 0, NULL);
  cr_test_run_for (200);
  g_assert_false (model_contains (erin, "wrongwindow"));
  g_assert_false (model_contains (erin, "three minutes"));
  g_assert_true (cr_client_find_message (erin, oops_seq) != NULL);
  g_assert_true (cr_message_get_recalled (cr_client_find_message (erin, oops_seq)));
  g_assert_true (cr_message_get_recalled (cr_client_find_message (erin, later_seq)));

  cr_test_classic_leave (dave);
  cr_test_leave_and_free (g_steal_pointer (&erin));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* Private messages -------------------------------------------------------- */

static void
on_server_event (CrServer      *server,
                 const CrEvent *event,
                 gpointer       user_data)
{
  GPtrArray *texts = user_data;

  g_ptr_array_add (texts, g_strdup (event->text));
}

static void
test_private (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) owner_saw = g_ptr_array_new_with_free_func (g_free);
  CrTestClassic *dave;
  CrMessage *psst, *seen, *to_dave, *nobody;

  cr_test_room_start (&room, "127.0.0.1");
  g_signal_connect (room.server, "event", G_CALLBACK (on_server_event), owner_saw);
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  carol = cr_test_join (room.address, "carol", NULL, FALSE, 0, NULL);
  dave = cr_test_classic_join (room.socket_address, "dave", 3000);

  psst = cr_client_send_private (alice, "bob", "psst, only for bob", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cr_message_get_target (psst), ==, "bob");
  cr_test_assert_wait (cr_test_message_sent, psst, 5000);
  g_assert_cmpstr (cr_message_get_peer (psst, "alice"), ==, "bob");

  seen = wait_text (bob, "psst, only for bob");
  g_assert_cmpstr (cr_message_get_target (seen), ==, "bob");
  g_assert_cmpstr (cr_message_get_peer (seen, "bob"), ==, "alice");

  /* A message after it, to all: once carol and dave have that, they
   * would have had the private one. */
  say (alice, "now to everyone");
  wait_text (carol, "now to everyone");
  cr_test_classic_wait_line (dave, "alice 说 :now to everyone", 5000);
  g_assert_false (model_contains (carol, "psst"));
  g_assert_false (cr_test_classic_has_line (dave, "psst"));
  /* The owner's view (the server's events) does not show it. */
  for (guint i = 0; i < owner_saw->len; i++)
    g_assert_null (strstr (owner_saw->pdata[i], "psst"));

  /* To a classic member: a direct line to it alone. */
  to_dave = cr_client_send_private (alice, "dave", "hello dave", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, to_dave, 5000);
  cr_test_classic_wait_line (dave, "alice 悄悄对你说 :hello dave", 5000);
  cr_test_run_for (200);
  g_assert_false (model_contains (carol, "hello dave"));
  g_assert_false (model_contains (bob, "hello dave"));

  /* To nobody: refused. */
  nobody = cr_client_send_private (alice, "zed", "anyone?", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_failed, nobody, 5000);
  g_assert_cmpint (cr_message_get_failure (nobody), ==, CR_REASON_NO_SUCH_MEMBER);

  /* The target comes back: the message is still there for it, and a
   * third member's new join still has nothing of it. */
  cr_test_leave_and_free (g_steal_pointer (&bob));
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  seen = wait_text (bob, "psst, only for bob");
  g_assert_cmpstr (cr_message_get_sender (seen), ==, "alice");
  g_assert_false (model_contains (bob, "hello dave"));
  cr_test_leave_and_free (g_steal_pointer (&carol));
  carol = cr_test_join (room.address, "carol", NULL, FALSE, 0, NULL);
  cr_test_run_for (200);
  g_assert_true (model_contains (carol, "now to everyone"));
  g_assert_false (model_contains (carol, "psst"));

  /* Older pages keep it out too. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    gboolean complete = FALSE;

    while (!complete)
      {
        g_clear_object (&result);
        cr_client_load_older_async (carol, NULL, on_done, &result);
        cr_test_assert_wait (result_came, &result, 12000);
        cr_client_load_older_finish (carol, result, &complete, &error);
        g_assert_no_error (error);
      }
    g_assert_false (model_contains (carol, "psst"));
  }

  cr_test_classic_leave (dave);
  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* Older history ------------------------------------------------------------ */

#define N_OLD 2000

/* A room whose store already has N_OLD messages (written as the room
 * writes them, in one transaction). */
static void
fill_history (CrTestRoom *room)
{
  g_autoptr(CrStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  gint64 now = g_get_real_time () - G_TIME_SPAN_HOUR;

  room->dir = cr_test_make_tmpdir ();
  store = cr_store_open (room->dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_OLD; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i % 7);
      g_autofree char *text = g_strdup_printf ("message %04u", i);

      g_ptr_array_add (events, cr_event_new (i + 1, now + i, CR_EVENT_CHAT, name, text, 0));
    }
  g_assert_true (cr_store_append_events (store, (CrEvent * const *) events->pdata, events->len,
                                         N_OLD, &error));
  g_assert_no_error (error);
}

static void
test_older (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *messages;
  guint pages = 0;
  guint next = 0;
  guint64 last_seq = 0;
  gboolean complete = FALSE;

  fill_history (&room);
  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  messages = cr_client_get_messages (alice);
  /* The join brought the last ones only. */
  g_assert_cmpuint (g_list_model_get_n_items (messages), <=, CR_HISTORY_ON_JOIN + 1);

  while (!complete)
    {
      g_autoptr(GAsyncResult) result = NULL;

      cr_client_load_older_async (alice, NULL, on_done, &result);
      cr_test_assert_wait (result_came, &result, 12000);
      cr_client_load_older_finish (alice, result, &complete, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (++pages, <=, N_OLD / CR_PAGE_MAX + 2);
    }
  g_assert_true (cr_client_get_history_complete (alice));
  g_test_message ("%u pages", pages);

  /* Every message exactly once, in the room's order. */
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);
      g_autofree char *expected = NULL;

      g_assert_cmpuint (cr_message_get_seq (message), >, last_seq);
      last_seq = cr_message_get_seq (message);
      if (cr_message_get_kind (message) != CR_EVENT_CHAT)
        continue;
      expected = g_strdup_printf ("message %04u", next++);
      g_assert_cmpstr (cr_message_get_text (message), ==, expected);
    }
  g_assert_cmpuint (next, ==, N_OLD);

  /* Once complete, asking again costs nothing and adds nothing. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    guint n_before = g_list_model_get_n_items (messages);

    cr_client_load_older_async (alice, NULL, on_done, &result);
    cr_test_assert_wait (result_came, &result, 1000);
    g_assert_cmpuint (cr_client_load_older_finish (alice, result, &complete, &error), ==, 0);
    g_assert_true (complete);
    g_assert_cmpuint (g_list_model_get_n_items (messages), ==, n_before);
  }

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* Search ---------------------------------------------------------------------- */

static void
test_search (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) results = NULL;
  CrMessage *secret;
  gboolean more = TRUE;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  carol = cr_test_join (room.address, "carol", NULL, FALSE, 0, NULL);

  say (alice, "The quick brown fox jumps");
  say (alice, "我们明天在图书馆见面吧");
  say (bob, "nothing to see here");
  secret = cr_client_send_private (alice, "bob", "secret 图书馆 brown plan", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, secret, 5000);

  /* An English word, any case. */
  results = search (carol, "BROWN", &more, &error);
  g_assert_no_error (error);
  g_assert_false (more);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_true (results_have (results, "The quick brown fox jumps"));
  g_clear_object (&results);

  /* A Chinese word inside a sentence (three characters: the index)... */
  results = search (carol, "图书馆", &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_true (results_have (results, "我们明天在图书馆见面吧"));
  g_clear_object (&results);
  /* ...and a two-character one (shorter than a trigram). */
  results = search (carol, "明天", &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 1);
  g_assert_true (results_have (results, "我们明天在图书馆见面吧"));
  g_clear_object (&results);
  /* Every word must be there. */
  results = search (carol, "quick 图书馆", &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 0);
  g_clear_object (&results);

  /* The private message: found by its two members, never by others. */
  results = search (bob, "图书馆", &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 2);
  g_assert_true (results_have (results, "secret 图书馆 brown plan"));
  g_clear_object (&results);
  results = search (alice, "secret", &more, &error);
  g_assert_no_error (error);
  g_assert_true (results_have (results, "secret 图书馆 brown plan"));
  g_clear_object (&results);
  results = search (carol, "secret", &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (results), ==, 0);
  g_clear_object (&results);
  results = search (carol, "图", &more, &error);
  g_assert_no_error (error);
  g_assert_false (results_have (results, "secret 图书馆 brown plan"));
  g_clear_object (&results);

  /* A query too long is refused before it leaves. */
  {
    g_autofree char *long_query = g_strnfill (CR_SEARCH_QUERY_MAX_BYTES + 1, 'q');

    results = search (carol, long_query, &more, &error);
    g_assert_null (results);
    g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_TEXT_INVALID);
    g_clear_error (&error);
  }

  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* Hostile members: requests the client API would not send ----------------------- */

static void
test_hostile (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) mallory = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  CrClientEngine *engine;
  CrStats before = { 0 }, after = { 0 };

  fill_history (&room);
  cr_test_room_start (&room, "127.0.0.1");
  mallory = cr_test_join (room.address, "mallory", NULL, FALSE, 0, NULL);
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  engine = _cr_client_get_engine (mallory);

  /* A flood of page requests: the room answers a burst and drops and
   * counts the rest; the member stays, and so does everyone else. */
  cr_server_get_stats (room.server, &before);
  for (guint i = 0; i < 400; i++)
    g_assert_true (cr_client_engine_request_page (engine, 0, g_get_monotonic_time (), out));
  _cr_client_after_engine (mallory, out);
  cr_test_run_for (1500);
  cr_server_get_stats (room.server, &after);
  g_test_message ("%" G_GUINT64_FORMAT " page requests dropped",
                  after.rate_limited - before.rate_limited);
  g_assert_cmpuint (after.rate_limited - before.rate_limited, >=, 400 - 40 - 60);
  g_assert_cmpint (cr_client_get_state (mallory), ==, CR_CLIENT_CONNECTED);

  /* A search query longer than the limit, sent anyway: dropped, counted. */
  {
    g_autofree char *long_query = g_strnfill (CR_SEARCH_QUERY_MAX_BYTES + 1, 'q');
    g_autoptr(GBytes) body = cr_body_search (99, long_query);

    cr_server_get_stats (room.server, &before);
    g_assert_true (_cr_client_native_request (engine, CR_PACKET_SEARCH, body));
    _cr_client_after_engine (mallory, out);
    cr_test_run_for (500);
    cr_server_get_stats (room.server, &after);
    g_assert_cmpuint (after.malformed, ==, before.malformed + 1);
  }

  /* A CHAT whose extras have the wrong types, and a recall of seq 0. */
  {
    GVariantBuilder extras;
    g_autoptr(GBytes) body = NULL;
    g_autoptr(GBytes) recall_body = cr_body_recall (5, 0);

    g_variant_builder_init (&extras, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&extras, "{sv}", "reply-to", g_variant_new_string ("1"));
    body = g_variant_get_data_as_bytes (g_variant_new ("(tsa{sv})", (guint64) 1, "forged",
                                                       &extras));
    cr_server_get_stats (room.server, &before);
    g_assert_true (_cr_client_native_request (engine, CR_PACKET_CHAT, body));
    g_assert_true (_cr_client_native_request (engine, CR_PACKET_RECALL, recall_body));
    _cr_client_after_engine (mallory, out);
    cr_test_run_for (500);
    cr_server_get_stats (room.server, &after);
    g_assert_cmpuint (after.malformed, ==, before.malformed + 1);
    g_assert_null (find_text (alice, "forged"));
  }

  /* Still a member, still served. */
  g_assert_cmpint (cr_client_get_state (mallory), ==, CR_CLIENT_CONNECTED);
  say (alice, "still here");
  wait_text (mallory, "still here");

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&mallory));
  cr_test_room_clear (&room);
}

/* chatroom-cli: the commands and what it prints ------------------------------- */

static void
test_cli (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *numbered = NULL;
  g_autofree char *line = NULL;
  CrTestChild *cli;
  CrMessage *hello, *psst;

  cr_test_room_start (&room, "127.0.0.1");
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  {
    const char *argv[] = { CHATROOM_CLI_PATH, "--numbers", "alice", room.address, NULL };

    cli = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_JOIN, "alice", 10000);

  hello = say (bob, "hello alice\nsecond line");
  numbered = g_strdup_printf ("#%" G_GUINT64_FORMAT " [", cr_message_get_seq (hello));
  cr_test_child_expect (cli, numbered, 5000);
  cr_test_child_expect (cli, "bob: hello alice", 5000);

  /* A reply: the quote on the line above. */
  line = g_strdup_printf ("/reply %" G_GUINT64_FORMAT " hi bob", cr_message_get_seq (hello));
  cr_test_child_write_line (cli, line);
  cr_test_child_expect (cli, "  ↪ bob: hello alice\n", 5000);
  cr_test_child_expect (cli, "alice: hi bob", 5000);
  g_assert_cmpuint (cr_message_get_reply_to (wait_text (bob, "hi bob")), ==,
                    cr_message_get_seq (hello));

  /* Private, both ways. */
  cr_test_child_write_line (cli, "/msg bob just you");
  cr_test_child_expect (cli, "[private] alice → bob: just you", 5000);
  g_assert_cmpstr (cr_message_get_target (wait_text (bob, "just you")), ==, "bob");
  psst = cr_client_send_private (bob, "alice", "and you", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, psst, 5000);
  cr_test_child_expect (cli, "[private] bob: and you", 5000);

  /* A recall of someone else's message is refused, in words. */
  g_free (line);
  line = g_strdup_printf ("/recall %" G_GUINT64_FORMAT, cr_message_get_seq (hello));
  cr_test_child_write_line (cli, line);
  cr_test_child_expect (cli, "Not recalled: Not allowed", 5000);
  /* The owner's is not: the line says so. */
  g_assert_true (cr_server_recall (room.server, cr_message_get_seq (hello), &error));
  g_assert_no_error (error);
  cr_test_child_expect (cli, "* bob recalled a message", 5000);

  /* Search, and older history (nothing older than the room's start). */
  cr_test_child_write_line (cli, "/search just");
  cr_test_child_expect (cli, "1 result", 5000);
  cr_test_child_write_line (cli, "/older");
  cr_test_child_expect (cli, "nothing older", 5000);

  /* An empty line says nothing and is no command (it once crashed the
   * moderation commands' parser): the next line still goes out. */
  cr_test_child_write_line (cli, "");
  cr_test_child_write_line (cli, "after nothing");
  wait_text (bob, "after nothing");

  cr_test_child_write_line (cli, "/quit");
  g_assert_true (g_subprocess_wait (cli->process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (cli->process), ==, 0);
  cr_test_child_free (cli);
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_room_clear (&room);
}

/* What classic members get, in both of the room's languages ---------------------- */

static char *
classic_line (const char    *language,
              const CrEvent *event)
{
  g_autoptr(GPtrArray) lines = cr_classic_format_event (cr_classic_table_lookup (language),
                                                        event);

  g_assert_cmpuint (lines->len, ==, 1);
  return g_strdup (lines->pdata[0]);
}

static void
test_classic_lines (void)
{
  g_autoptr(CrEvent) quoted = cr_event_new (3, 0, CR_EVENT_CHAT, "李四", "原文\n第二行", 0);
  g_autoptr(CrEvent) reply = cr_event_new (4, 0, CR_EVENT_CHAT, "张三", "回复内容", 0);
  g_autoptr(CrEvent) private = cr_event_new (5, 0, CR_EVENT_CHAT, "李四", "只对你说", 0);
  g_autoptr(CrEvent) recall = cr_event_new (6, 0, CR_EVENT_RECALL, "李四", "", 0);
  g_autofree char *zh_reply = NULL, *en_reply = NULL, *zh_private = NULL, *en_private = NULL;
  g_autofree char *zh_recall = NULL, *en_recall = NULL;

  cr_event_set_quote (reply, quoted);
  private->target = g_strdup ("王五");
  recall->ref_seq = 3;

  zh_reply = classic_line ("zh_CN", reply);
  en_reply = classic_line ("en", reply);
  zh_private = classic_line ("zh_CN", private);
  en_private = classic_line ("en", private);
  zh_recall = classic_line ("zh_CN", recall);
  en_recall = classic_line ("en", recall);
  g_assert_cmpstr (zh_reply, ==, "张三 说 :「李四：原文」回复内容");
  g_assert_cmpstr (en_reply, ==, "张三: “李四: 原文” 回复内容");
  g_assert_cmpstr (zh_private, ==, "李四 悄悄对你说 :只对你说");
  g_assert_cmpstr (en_private, ==, "李四 (privately): 只对你说");
  g_assert_cmpstr (zh_recall, ==, "【系统消息】:李四 撤回了一条消息");
  g_assert_cmpstr (en_recall, ==, "[System] 李四 recalled a message");
}

/* The store: schema 2 → 3 ------------------------------------------------------- */

static void
test_migration (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "chatroom.db", NULL);
  g_autoptr(GError) error = NULL;

  /* A schema 2 file with history in it. */
  {
    g_autoptr(CrStore) store = cr_store_open (dir, &error);
    g_autoptr(CrEvent) one = cr_event_new (1, 10, CR_EVENT_CHAT, "alice", "旧消息里的图书馆", 0);
    g_autoptr(CrEvent) two = cr_event_new (2, 20, CR_EVENT_CHAT, "bob", "an older message", 0);

    g_assert_no_error (error);
    g_assert_true (cr_store_append_event (store, one, &error));
    g_assert_true (cr_store_append_event (store, two, &error));
    g_assert_no_error (error);
  }
  {
    sqlite3 *db = NULL;

    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, CR_TEST_UNDO_SCHEMA_3 "PRAGMA user_version = 2;",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
  }

  /* Opened by this build: the old rows read with the new fields empty,
   * and the index covers them. */
  {
    g_autoptr(CrStore) store = cr_store_open (dir, &error);
    g_autoptr(GPtrArray) events = NULL;
    g_autoptr(GPtrArray) found = NULL;
    g_autoptr(CrEvent) recall = NULL;
    g_autoptr(CrEvent) reply = cr_event_new (3, 30, CR_EVENT_CHAT, "bob", "回复", 0);
    gboolean more = TRUE;

    g_assert_no_error (error);
    events = cr_store_events_before (store, 0, 10, NULL);
    g_assert_cmpuint (events->len, ==, 2);
    g_assert_cmpuint (((CrEvent *) events->pdata[0])->ref_seq, ==, 0);
    g_assert_null (((CrEvent *) events->pdata[0])->target);
    g_assert_false (((CrEvent *) events->pdata[0])->recalled);
    found = cr_store_search (store, "图书馆", NULL, 10, &more);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_false (more);
    g_clear_pointer (&found, g_ptr_array_unref);
    found = cr_store_search (store, "older", NULL, 10, &more);
    g_assert_cmpuint (found->len, ==, 1);
    g_clear_pointer (&found, g_ptr_array_unref);

    /* New rows take the new fields; a recall empties the row and the index. */
    cr_event_set_quote (reply, events->pdata[0]);
    g_assert_true (cr_store_append_event (store, reply, &error));
    recall = cr_event_new (4, 40, CR_EVENT_RECALL, "alice", "", 0);
    recall->ref_seq = 1;
    g_assert_true (cr_store_append_event (store, recall, &error));
    g_assert_no_error (error);
    {
      g_autoptr(CrEvent) gone = cr_store_get_event (store, 1);
      g_autoptr(CrEvent) kept = cr_store_get_event (store, 3);

      g_assert_true (gone->recalled);
      g_assert_cmpstr (gone->text, ==, "");
      g_assert_cmpuint (kept->ref_seq, ==, 1);
      g_assert_cmpstr (kept->quote_name, ==, "alice");
    }
    found = cr_store_search (store, "图书馆", NULL, 10, &more);
    g_assert_cmpuint (found->len, ==, 0);
  }
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/conversation/reply", test_reply);
  g_test_add_func ("/chatroom/conversation/recall", test_recall);
  g_test_add_func ("/chatroom/conversation/private", test_private);
  g_test_add_func ("/chatroom/conversation/older", test_older);
  g_test_add_func ("/chatroom/conversation/search", test_search);
  g_test_add_func ("/chatroom/conversation/hostile", test_hostile);
  g_test_add_func ("/chatroom/conversation/cli", test_cli);
  g_test_add_func ("/chatroom/conversation/classic-lines", test_classic_lines);
  g_test_add_func ("/chatroom/conversation/migration", test_migration);
  return g_test_run ();
}
