/* test-server.c: a room with native and classic members on loopback: the
 * same messages in the same order for all, no acting as someone else, and
 * silent members dropped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-server-addresses.h"
#include "cr-test-utils.h"

/* A classroom client by hand: "N name", then text lines. */
typedef struct
{
  CrTestSocket   *sock;
  GSocketAddress *server;
  GPtrArray      *lines;    /* char*, everything received after OK */
} Classic;

static Classic *
classic_join (CrTestRoom       *room,
              const char *name)
{
  Classic *classic = g_new0 (Classic, 1);
  g_autofree char *join = g_strdup_printf ("N %s", name);
  g_autofree char *answer = NULL;

  classic->sock = cr_test_socket_new ("127.0.0.1");
  classic->server = g_object_ref (room->socket_address);
  classic->lines = g_ptr_array_new_with_free_func (g_free);
  cr_test_socket_send_text (classic->sock, classic->server, join);
  answer = cr_test_socket_receive_text (classic->sock, 3000);
  g_assert_cmpstr (answer, ==, "OK");
  return classic;
}

static void
classic_say (Classic    *classic,
             const char *line)
{
  cr_test_socket_send_text (classic->sock, classic->server, line);
}

/* Move what arrived into lines (no wait). */
static void
classic_pump (Classic *classic)
{
  char *line;

  while ((line = cr_test_socket_receive_text (classic->sock, 0)) != NULL)
    g_ptr_array_add (classic->lines, line);
}

static void
classic_free (Classic *classic)
{
  cr_test_socket_free (classic->sock);
  g_object_unref (classic->server);
  g_ptr_array_unref (classic->lines);
  g_free (classic);
}

/* Conditions ------------------------------------------------------- */

typedef struct
{
  CrClient   **clients;
  guint        n_clients;
  const char **texts;
  guint        n_texts;
} AllSeen;

static gboolean
all_seen (gpointer user_data)
{
  AllSeen *wait = user_data;

  for (guint c = 0; c < wait->n_clients; c++)
    for (guint t = 0; t < wait->n_texts; t++)
      if (cr_test_count_text (cr_client_get_messages (wait->clients[c]), NULL,
                              wait->texts[t]) == 0)
        return FALSE;
  return TRUE;
}

typedef struct
{
  GListModel *model;
  const char *name;
} MemberWait;

static gboolean
member_present (gpointer user_data)
{
  MemberWait *wait = user_data;

  return cr_test_has_member (wait->model, wait->name);
}

static gboolean
member_absent (gpointer user_data)
{
  return !member_present (user_data);
}

/* The chat of a client, as the room ordered it: texts by seq. Each text
 * once, every row acknowledged. */
static GPtrArray *
chat_in_room_order (CrClient *client)
{
  GListModel *messages = cr_client_get_messages (client);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (CrMessage *));
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  guint n = g_list_model_get_n_items (messages);
  guint64 last_received = 0;

  for (guint i = 0; i < n; i++)
    {
      CrMessage *message = g_list_model_get_item (messages, i);

      if (cr_message_is_system (message))
        {
          g_object_unref (message);
          continue;
        }
      g_assert_cmpuint (cr_message_get_seq (message), >, 0);
      /* What others said arrives in the room's order. */
      if (!cr_message_get_own (message))
        {
          g_assert_cmpuint (cr_message_get_seq (message), >, last_received);
          last_received = cr_message_get_seq (message);
        }
      g_array_append_val (rows, message);
    }

  for (guint i = 0; i < rows->len; i++)
    for (guint j = i + 1; j < rows->len; j++)
      {
        CrMessage *a = g_array_index (rows, CrMessage *, i);
        CrMessage *b = g_array_index (rows, CrMessage *, j);

        g_assert_cmpuint (cr_message_get_seq (a), !=, cr_message_get_seq (b));
        if (cr_message_get_seq (b) < cr_message_get_seq (a))
          {
            g_array_index (rows, CrMessage *, i) = b;
            g_array_index (rows, CrMessage *, j) = a;
          }
      }

  for (guint i = 0; i < rows->len; i++)
    {
      CrMessage *message = g_array_index (rows, CrMessage *, i);

      g_ptr_array_add (texts, g_strdup (cr_message_get_text (message)));
      g_object_unref (message);
    }
  return texts;
}

static void
assert_same_texts (GPtrArray *a,
                   GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (a->pdata[i], ==, b->pdata[i]);
}

/* Tests ------------------------------------------------------------ */

#define ROUNDS 5

static void
test_chat (void)
{
  static const char *names[] = { "alice", "bob", "dave" };
  const char *carol_text = "hi there  friends";
  CrTestRoom room = { 0 };
  CrClient *clients[G_N_ELEMENTS (names)];
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) reference = NULL;
  g_autoptr(GPtrArray) carol_seen = g_ptr_array_new_with_free_func (g_free);
  Classic *carol;

  cr_test_room_start (&room, "127.0.0.1");
  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    clients[c] = cr_test_join (room.address, names[c], NULL, FALSE, 0, NULL);
  carol = classic_join (&room, "carol");

  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      MemberWait wait = { cr_client_get_members (clients[c]), "carol" };

      cr_test_assert_wait (member_present, &wait, 3000);
    }

  /* Interleaved: every round each native member speaks; carol once. */
  for (guint r = 0; r < ROUNDS; r++)
    {
      for (guint c = 0; c < G_N_ELEMENTS (names); c++)
        {
          g_autoptr(GError) error = NULL;
          char *text = g_strdup_printf ("%s says %u", names[c], r);

          cr_client_send (clients[c], text, &error);
          g_assert_no_error (error);
          g_ptr_array_add (texts, text);
        }
      if (r == ROUNDS / 2)
        {
          g_autofree char *line = g_strdup_printf ("M carol %s", carol_text);

          classic_say (carol, line);
          g_ptr_array_add (texts, g_strdup (carol_text));
        }
      cr_test_run_for (20);
    }

  {
    AllSeen wait = { clients, G_N_ELEMENTS (names), (const char **) texts->pdata, texts->len };

    cr_test_assert_wait (all_seen, &wait, 10000);
  }
  cr_test_run_for (300);   /* anything extra would show now */

  /* Each native member: every message once, the same order for all. */
  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      g_autoptr(GPtrArray) order = chat_in_room_order (clients[c]);

      for (guint t = 0; t < texts->len; t++)
        g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (clients[c]), NULL,
                                              texts->pdata[t]), ==, 1);
      if (reference == NULL)
        reference = g_steal_pointer (&order);
      else
        assert_same_texts (reference, order);
    }
  g_assert_cmpuint (reference->len, ==, texts->len);
  /* Carol's inner spaces survive, and she is carol. */
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (clients[0]), "carol", carol_text),
                    ==, 1);

  /* Carol (classic) got the same lines, in the same order, her own too. */
  classic_pump (carol);
  for (guint i = 0; i < carol->lines->len; i++)
    {
      const char *line = carol->lines->pdata[i];
      const char *said = strstr (line, " 说 :");

      if (said != NULL)
        g_ptr_array_add (carol_seen, g_strdup (said + strlen (" 说 :")));
    }
  assert_same_texts (reference, carol_seen);

  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    cr_test_leave_and_free (clients[c]);
  classic_free (carol);
  cr_test_room_clear (&room);
}

static void
test_spoof (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrTestEngineMember) erin = NULL;
  g_autoptr(CrTestSocket) stranger = NULL;
  CrStats before, after;
  Classic *carol;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  carol = classic_join (&room, "carol");
  erin = cr_test_engine_member_join (room.port, "erin", 3000);
  g_assert_nonnull (erin);
  {
    MemberWait wait = { cr_client_get_members (alice), "erin" };

    cr_test_assert_wait (member_present, &wait, 3000);
  }

  /* The classroom server would let carol speak and quit as alice. */
  cr_server_get_stats (room.server, &before);
  classic_say (carol, "M alice hi");
  classic_say (carol, "Q alice");
  cr_test_run_for (400);
  cr_server_get_stats (room.server, &after);
  g_assert_cmpuint (after.spoofed, >=, before.spoofed + 2);
  g_assert_true (cr_test_has_member (cr_server_get_members (room.server), "alice"));
  g_assert_true (cr_test_has_member (cr_client_get_members (alice), "alice"));
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), NULL, "hi"), ==, 0);
  g_assert_false (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_LEAVE, "alice"));

  /* erin's session id from other addresses (carol's, a stranger's): dropped
   * and counted, nothing said in erin's name. */
  stranger = cr_test_socket_new ("127.0.0.1");
  {
    guint32 session = cr_client_engine_get_session (erin->engine);
    CrHeader header = { CR_PROTOCOL_VERSION, CR_PACKET_CHAT, CR_FLAG_RELIABLE, session,
                        1, 0, 0 };
    g_autoptr(GBytes) body = cr_body_chat (42, "I am erin");
    g_autoptr(GBytes) ping_body = cr_body_empty ();
    CrHeader ping = { CR_PROTOCOL_VERSION, CR_PACKET_PING, 0, session, 0, 0, 0 };
    g_autoptr(GBytes) chat = NULL;
    g_autoptr(GBytes) ping_datagram = NULL;
    gsize len;
    const guint8 *data = g_bytes_get_data (body, &len);

    g_assert_cmpuint (session, !=, 0);
    /* Numbers well past what erin used, so that a hole would not hide it. */
    header.number = 1000;
    chat = cr_datagram_build (&header, data, len);
    data = g_bytes_get_data (ping_body, &len);
    ping_datagram = cr_datagram_build (&ping, data, len);

    before = after;
    data = g_bytes_get_data (chat, &len);
    cr_test_socket_send (stranger, room.socket_address, data, len);
    cr_test_socket_send (carol->sock, room.socket_address, data, len);
    data = g_bytes_get_data (ping_datagram, &len);
    cr_test_socket_send (stranger, room.socket_address, data, len);
  }
  cr_test_run_for (400);
  cr_server_get_stats (room.server, &after);
  g_assert_cmpuint (after.spoofed, >=, before.spoofed + 3);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), NULL, "I am erin"), ==, 0);
  g_assert_true (cr_test_has_member (cr_server_get_members (room.server), "erin"));
  /* erin herself is undisturbed: still in her session. */
  cr_test_engine_member_pump (erin);
  g_assert_cmpint (cr_client_engine_get_state (erin->engine), ==, CR_CLIENT_CONNECTED);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  classic_free (carol);
  cr_test_room_clear (&room);
}

static void
test_timeout (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrTestEngineMember) erin = NULL;
  gint64 start;

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_silence_timeout (room.server, 800);
  /* Alice pings well within the room's patience. */
  alice = cr_test_join_timed (room.address, "alice", NULL, FALSE, 150, 3000, 0, NULL);
  erin = cr_test_engine_member_join (room.port, "erin", 3000);
  g_assert_nonnull (erin);
  {
    MemberWait wait = { cr_client_get_members (alice), "erin" };

    cr_test_assert_wait (member_present, &wait, 3000);
  }

  /* erin falls silent (never pumped again); the room drops her. */
  start = g_get_monotonic_time ();
  {
    MemberWait gone = { cr_client_get_members (alice), "erin" };
    MemberWait server_gone = { cr_server_get_members (room.server), "erin" };

    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_TIMEOUT, "erin", 5000);
    cr_test_assert_wait (member_absent, &gone, 1000);
    cr_test_assert_wait (member_absent, &server_gone, 2000);
  }
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 500 * G_TIME_SPAN_MILLISECOND);

  /* Alice, who kept talking, is still there. */
  cr_test_run_for (1000);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_true (cr_test_has_member (cr_server_get_members (room.server), "alice"));
  g_assert_false (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_TIMEOUT, "alice"));

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}


static guint
count_events (GListModel  *messages,
              CrEventKind  kind,
              const char  *name)
{
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (cr_message_get_kind (message) == kind &&
          g_strcmp0 (cr_message_get_sender (message), name) == 0)
        count++;
    }
  return count;
}

static gboolean
bob_joined_twice (gpointer user_data)
{
  return count_events (G_LIST_MODEL (user_data), CR_EVENT_JOIN, "bob") >= 2;
}

/* A real client cut off (its link drops everything): the room drops it
 * after its silence timeout; when the link returns, the client is told it
 * timed out, joins again and catches up. */
static void
test_timeout_and_return (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrTestProxy) proxy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *via = NULL;
  CrMessage *missed, *back;

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_silence_timeout (room.server, 800);
  proxy = cr_test_proxy_new (room.socket_address, 0.0, 0.0, 0.0, 7);
  via = cr_test_address ("127.0.0.1", cr_test_proxy_get_port (proxy));
  alice = cr_test_join_timed (room.address, "alice", NULL, FALSE, 150, 5000, 0, NULL);
  bob = cr_test_join_timed (via, "bob", NULL, FALSE, 150, 5000, 0, NULL);

  cr_test_proxy_set_blackhole (proxy, TRUE);
  {
    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_TIMEOUT, "bob", 5000);
  }
  missed = cr_client_send (alice, "said while bob was away", &error);
  g_assert_no_error (error);
  cr_test_run_for (200);
  /* Bob has not noticed yet (his own limit is 5 s). */
  g_assert_cmpint (cr_client_get_state (bob), ==, CR_CLIENT_CONNECTED);

  cr_test_proxy_set_blackhole (proxy, FALSE);
  cr_test_assert_wait (bob_joined_twice, cr_client_get_messages (alice), 5000);
  {

    cr_test_assert_state (bob, CR_CLIENT_CONNECTED, 3000);
  }
  /* He caught up with what he missed, once, and is heard again. */
  {
    AllSeen wait = { &bob, 1, (const char *[]) { "said while bob was away" }, 1 };

    cr_test_assert_wait (all_seen, &wait, 3000);
  }
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), NULL,
                                        "said while bob was away"), ==, 1);
  g_assert_cmpint (cr_message_get_state (missed), ==, CR_MESSAGE_SENT);
  back = cr_client_send (bob, "back again", &error);
  g_assert_no_error (error);
  {
    AllSeen wait = { &alice, 1, (const char *[]) { "back again" }, 1 };

    cr_test_assert_wait (all_seen, &wait, 3000);
  }
  g_assert_cmpint (cr_message_get_state (back), ==, CR_MESSAGE_SENT);
  g_assert_true (cr_test_has_member (cr_client_get_members (alice), "bob"));
  g_assert_true (cr_test_has_member (cr_client_get_members (bob), "alice"));

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  g_clear_pointer (&proxy, cr_test_proxy_free);
  cr_test_room_clear (&room);
}

/* The owner view's list: every member with the address it speaks from. */
static gboolean
members_have_addresses (gpointer user_data)
{
  GListModel *members = cr_server_get_members (user_data);
  guint n = g_list_model_get_n_items (members);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) m = g_list_model_get_item (members, i);
      if (cr_member_get_address (m) == NULL ||
          !g_str_has_prefix (cr_member_get_address (m), "127.0.0.1:"))
        return FALSE;
    }
  return n == 2;
}

static void
test_member_list (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, &error);
  g_assert_no_error (error);
  bob = cr_test_join (room.address, "bob", "bob-secret", TRUE, 5000, &error);
  g_assert_no_error (error);

  cr_test_assert_wait (members_have_addresses, room.server, 3000);
  {
    GListModel *members = cr_server_get_members (room.server);
    g_autoptr(CrMember) first = g_list_model_get_item (members, 0);
    g_autoptr(CrMember) second = g_list_model_get_item (members, 1);

    g_assert_cmpstr (cr_member_get_name (first), ==, "alice");
    g_assert_false (cr_member_get_registered (first));
    g_assert_cmpstr (cr_member_get_name (second), ==, "bob");
    g_assert_true (cr_member_get_registered (second));
  }

  /* Bans are listed for the owner view to lift them. */
  g_assert_true (cr_server_ban (room.server, "Mallory", &error));
  g_assert_no_error (error);
  g_assert_true (cr_server_ban (room.server, "alice", &error));
  {
    g_auto(GStrv) bans = cr_server_dup_bans (room.server);
    g_assert_cmpuint (g_strv_length (bans), ==, 2);
    g_assert_true (g_strv_contains ((const char * const *) bans, "Mallory"));
    g_assert_true (g_strv_contains ((const char * const *) bans, "alice"));
  }
  g_assert_true (cr_server_unban (room.server, "mallory", &error));
  {
    g_auto(GStrv) bans = cr_server_dup_bans (room.server);
    g_assert_cmpuint (g_strv_length (bans), ==, 1);
  }

  g_clear_object (&alice);   /* banned: already closed by the room */
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_room_clear (&room);
}

/* --- the owner view's models, kept in place ----------------------------- */

/* Every items-changed of a model, as (position, removed, added). */
typedef struct
{
  GArray *changes;
} ChangeLog;

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  ChangeLog  *log)
{
  Change change = { position, removed, added };

  g_array_append_val (log->changes, change);
}

static void
assert_change (ChangeLog *log,
               guint      index,
               guint      removed,
               guint      added)
{
  Change *change;

  g_assert_cmpuint (log->changes->len, >, index);
  change = &g_array_index (log->changes, Change, index);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

typedef struct
{
  GListModel *model;
  guint       n;
} CountWait;

static gboolean
count_is (gpointer user_data)
{
  CountWait *wait = user_data;

  return g_list_model_get_n_items (wait->model) == wait->n;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static gboolean
counter_at_least_one (gpointer user_data)
{
  return *(guint *) user_data >= 1;
}

static gboolean
wall_clock_past (gpointer user_data)
{
  return g_get_real_time () > *(gint64 *) user_data;
}

static CrMember *
server_member (CrServer   *server,
               const char *name)
{
  GListModel *members = cr_server_get_members (server);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_strcmp0 (cr_member_get_name (member), name) == 0)
        return member;   /* the store holds it */
    }
  return NULL;
}

static gboolean
members_have_one (gpointer user_data)
{
  return g_list_model_get_n_items (cr_server_get_members (user_data)) == 1;
}

static gboolean
all_sent (gpointer user_data)
{
  GListModel *messages = cr_client_get_messages (user_data);

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (cr_message_get_own (message) && cr_message_get_state (message) != CR_MESSAGE_SENT)
        return FALSE;
    }
  return TRUE;
}

static gboolean
server_stopped (gpointer user_data)
{
  return !cr_server_get_running (user_data);
}

/* A join is one insertion, a leave one removal: the list is never rebuilt,
 * so the rows of those who stay keep their widgets. */
static void
test_member_model_in_place (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  ChangeLog log = { g_array_new (FALSE, FALSE, sizeof (Change)) };
  GListModel *members;
  CrMember *alice_member;
  CountWait one = { NULL, 1 }, two = { NULL, 2 };

  cr_test_room_start (&room, "127.0.0.1");
  members = cr_server_get_members (room.server);
  one.model = two.model = members;
  g_signal_connect (members, "items-changed", G_CALLBACK (on_items_changed), &log);

  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, &error);
  g_assert_no_error (error);
  cr_test_assert_wait (count_is, &one, 3000);
  cr_test_run_for (50);
  g_assert_cmpuint (log.changes->len, ==, 1);
  assert_change (&log, 0, 0, 1);
  alice_member = server_member (room.server, "alice");
  g_assert_nonnull (alice_member);
  g_object_add_weak_pointer (G_OBJECT (alice_member), (gpointer *) &alice_member);

  bob = cr_test_join (room.address, "bob", NULL, FALSE, 5000, &error);
  g_assert_no_error (error);
  cr_test_assert_wait (count_is, &two, 3000);
  cr_test_run_for (50);
  g_assert_cmpuint (log.changes->len, ==, 2);
  assert_change (&log, 1, 0, 1);
  /* Sorted: bob after alice, and alice's object is the same one. */
  g_assert_cmpuint (g_array_index (log.changes, Change, 1).position, ==, 1);
  g_assert_true (server_member (room.server, "alice") == alice_member);

  /* A mute changes the member, not the list. */
  {
    CrMember *bob_member = server_member (room.server, "bob");
    guint flags_notified = 0;

    g_signal_connect (bob_member, "notify::flags", G_CALLBACK (count_notify), &flags_notified);
    g_assert_true (cr_server_mute (room.server, "bob", &error));
    g_assert_no_error (error);
    cr_test_assert_wait (counter_at_least_one, &flags_notified, 3000);
    cr_test_run_for (50);
    g_assert_cmpuint (flags_notified, ==, 1);
    g_assert_true (cr_member_get_muted (bob_member));
    g_assert_cmpuint (log.changes->len, ==, 2);
    g_signal_handlers_disconnect_by_data (bob_member, &flags_notified);
  }

  /* Bob leaves: one removal, at his place. */
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_assert_wait (count_is, &one, 3000);
  cr_test_run_for (50);
  g_assert_cmpuint (log.changes->len, ==, 3);
  assert_change (&log, 2, 1, 0);
  g_assert_cmpuint (g_array_index (log.changes, Change, 2).position, ==, 1);
  g_assert_nonnull (alice_member);
  g_assert_true (server_member (room.server, "alice") == alice_member);

  g_object_remove_weak_pointer (G_OBJECT (alice_member), (gpointer *) &alice_member);
  g_signal_handlers_disconnect_by_data (members, &log);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
  g_array_unref (log.changes);
}

/* "last-active" moves when the room hears a member speak, without any
 * timer, and a burst of lines notifies at most once a second. */
static void
test_member_last_active (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) alice = NULL;
  CrMember *member;
  gint64 joined, after_step, burst_start, burst_end;
  guint notified = 0;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 5000, &error);
  g_assert_no_error (error);
  cr_test_assert_wait (members_have_one, room.server, 3000);
  member = server_member (room.server, "alice");
  g_assert_nonnull (member);

  /* Known from the join, as wall-clock time. */
  joined = cr_member_get_last_active (member);
  g_assert_cmpint (joined, >, 0);
  g_assert_cmpint (joined, <=, g_get_real_time ());
  g_signal_connect (member, "notify::last-active", G_CALLBACK (count_notify), &notified);

  /* Past the one-second step since the join, a line moves it. */
  after_step = joined + G_USEC_PER_SEC;
  cr_test_assert_wait (wall_clock_past, &after_step, 3000);
  g_assert_nonnull (cr_client_send (alice, "hello", &error));
  g_assert_no_error (error);
  cr_test_assert_wait (counter_at_least_one, &notified, 3000);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (cr_member_get_last_active (member), >, after_step - 1);

  /* A burst: at most one notify per second it spans (and none for the
   * first second after the last one). */
  burst_start = g_get_real_time ();
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("line %u", i);

      g_assert_nonnull (cr_client_send (alice, text, &error));
      g_assert_no_error (error);
    }
  cr_test_assert_wait (all_sent, alice, 3000);
  burst_end = g_get_real_time ();
  g_assert_cmpuint (notified - 1, <=, (burst_end - burst_start) / G_USEC_PER_SEC + 1);

  g_signal_handlers_disconnect_by_data (member, &notified);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* Bans are a model too: a ban inserts the name, an unban removes it. */
static void
test_ban_model_in_place (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(GError) error = NULL;
  ChangeLog log = { g_array_new (FALSE, FALSE, sizeof (Change)) };
  GListModel *bans;

  cr_test_room_start (&room, "127.0.0.1");
  bans = cr_server_get_bans (room.server);
  g_assert_cmpuint (g_list_model_get_n_items (bans), ==, 0);
  g_signal_connect (bans, "items-changed", G_CALLBACK (on_items_changed), &log);

  g_assert_true (cr_server_ban (room.server, "Mallory", &error));
  g_assert_true (cr_server_ban (room.server, "eve", &error));
  g_assert_no_error (error);
  {
    CountWait two = { bans, 2 };

    cr_test_assert_wait (count_is, &two, 3000);
  }
  cr_test_run_for (50);
  g_assert_cmpuint (log.changes->len, ==, 2);
  assert_change (&log, 0, 0, 1);
  assert_change (&log, 1, 0, 1);
  {
    g_autoptr(CrMember) first = g_list_model_get_item (bans, 0);
    g_autoptr(CrMember) second = g_list_model_get_item (bans, 1);
    g_auto(GStrv) listed = cr_server_dup_bans (room.server);

    /* The order of cr_server_dup_bans. */
    g_assert_cmpstr (cr_member_get_name (first), ==, listed[0]);
    g_assert_cmpstr (cr_member_get_name (second), ==, listed[1]);
  }

  g_assert_true (cr_server_unban (room.server, "mallory", &error));
  g_assert_no_error (error);
  {
    CountWait one = { bans, 1 };

    cr_test_assert_wait (count_is, &one, 3000);
  }
  cr_test_run_for (50);
  g_assert_cmpuint (log.changes->len, ==, 3);
  assert_change (&log, 2, 1, 0);
  g_assert_cmpuint (g_list_model_get_n_items (bans), ==, 1);

  /* The bans come back with the room, from its store. */
  g_signal_handlers_disconnect_by_data (bans, &log);
  cr_server_stop (room.server);
  g_assert_true (cr_test_wait_until (server_stopped, room.server, 3000));
  g_assert_cmpuint (g_list_model_get_n_items (bans), ==, 0);
  g_clear_object (&room.server);
  cr_test_room_start_on (&room, "127.0.0.1", 0);
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_bans (room.server)), ==, 1);

  cr_test_room_clear (&room);
  g_array_unref (log.changes);
}

/* The listen address: an IP address or localhost, the port defaulted. */
static void
test_listen_address (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) v6 = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketAddress) bad = NULL;
  g_autofree char *host = NULL;

  v6 = _cr_server_parse_listen_address ("[::1]", &error);
  g_assert_no_error (error);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (v6)));
  g_assert_cmpstr (host, ==, "::1");
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (v6)), ==,
                    CR_DEFAULT_PORT);

  local = _cr_server_parse_listen_address ("localhost:0", &error);
  g_assert_no_error (error);
  g_assert_true (g_inet_address_get_is_loopback (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local))));

  bad = _cr_server_parse_listen_address ("example.org:10024", &error);
  g_assert_null (bad);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* The addresses a room names for joining: the bound one as it is; for a
 * wildcard, the interfaces' own with its port and 127.0.0.1 last (given as
 * socket addresses: nothing is bound beyond loopback). */
static void
test_join_addresses (void)
{
  const char *wildcards[] = { "0.0.0.0", "::" };
  g_autoptr(CrServer) server = cr_server_new (NULL, "room");
  g_autoptr(GSocketAddress) v6 = g_inet_socket_address_new_from_string ("::1", 10024);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) idle = cr_server_dup_join_addresses (server);
  g_auto(GStrv) named = _cr_server_list_join_addresses (v6);
  g_auto(GStrv) bound = NULL;
  g_autofree char *expected = NULL;

  g_assert_cmpuint (g_strv_length (idle), ==, 0);
  g_assert_cmpuint (g_strv_length (named), ==, 1);
  g_assert_cmpstr (named[0], ==, "[::1]:10024");

  g_assert_true (cr_server_start (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  bound = cr_server_dup_join_addresses (server);
  expected = g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (server));
  g_assert_cmpuint (g_strv_length (bound), ==, 1);
  g_assert_cmpstr (bound[0], ==, expected);

  for (guint w = 0; w < G_N_ELEMENTS (wildcards); w++)
    {
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string (wildcards[w], 10024);
      g_auto(GStrv) all = _cr_server_list_join_addresses (any);
      guint n = g_strv_length (all);

      g_assert_cmpuint (n, >=, 1);
      g_assert_cmpstr (all[n - 1], ==, "127.0.0.1:10024");
      for (guint i = 0; i + 1 < n; i++)
        {
          g_assert_true (g_str_has_suffix (all[i], ":10024"));
          g_assert_false (g_str_has_prefix (all[i], "127."));
          g_assert_false (g_str_has_prefix (all[i], "[::1]"));
          g_assert_false (g_str_has_prefix (all[i], "[fe80"));
          /* An IPv4 socket does not name IPv6 addresses. */
          if (w == 0)
            g_assert_false (g_str_has_prefix (all[i], "["));
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  /* The catalogs from the build tree (classic members get Chinese lines
   * whatever our locale), then the test locale. */
  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/server/chat", test_chat);
  g_test_add_func ("/chatroom/server/spoof", test_spoof);
  g_test_add_func ("/chatroom/server/timeout", test_timeout);
  g_test_add_func ("/chatroom/server/timeout-and-return", test_timeout_and_return);
  g_test_add_func ("/chatroom/server/member-list", test_member_list);
  g_test_add_func ("/chatroom/server/member-model-in-place", test_member_model_in_place);
  g_test_add_func ("/chatroom/server/member-last-active", test_member_last_active);
  g_test_add_func ("/chatroom/server/ban-model-in-place", test_ban_model_in_place);
  g_test_add_func ("/chatroom/server/listen-address", test_listen_address);
  g_test_add_func ("/chatroom/server/join-addresses", test_join_addresses);

  return g_test_run ();
}
