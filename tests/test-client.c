/* test-client.c: CrClient against a real room (an in-process CrServer on
 * loopback), against silence, and against a classroom-style server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-client-private.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-test-utils.h"

/* Conditions ------------------------------------------------------- */


typedef struct
{
  GListModel *model;
  const char *sender;
  const char *text;
  guint       count;
} TextWait;

static gboolean
text_count_reached (gpointer user_data)
{
  TextWait *wait = user_data;

  return cr_test_count_text (wait->model, wait->sender, wait->text) >= wait->count;
}

static void
assert_text_within (CrClient   *client,
                    const char *sender,
                    const char *text,
                    guint       ms)
{
  TextWait wait = { cr_client_get_messages (client), sender, text, 1 };

  cr_test_assert_wait (text_count_reached, &wait, ms);
}

typedef struct
{
  GListModel *model;
  const char *name;
  gboolean    present;
} MemberWait;

static gboolean
member_is (gpointer user_data)
{
  MemberWait *wait = user_data;

  return cr_test_has_member (wait->model, wait->name) == wait->present;
}

static gboolean
member_muted (GListModel *members,
              const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_strcmp0 (cr_member_get_name (member), name) == 0)
        return cr_member_get_muted (member);
    }
  g_error ("%s is not in the list", name);
  return FALSE;
}

/* Every seq at most once and every text at most once, in one model. */
static void
assert_nothing_twice (CrClient *client)
{
  GListModel *messages = cr_client_get_messages (client);
  g_autoptr(GHashTable) seqs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) texts = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = g_list_model_get_n_items (messages);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);
      guint64 seq = cr_message_get_seq (message);

      if (seq != 0)
        {
          gint64 *key = g_new (gint64, 1);

          *key = seq;
          if (g_hash_table_contains (seqs, key))
            g_error ("%s sees seq %" G_GUINT64_FORMAT " twice", cr_client_get_name (client), seq);
          g_hash_table_add (seqs, key);
        }
      if (!cr_message_is_system (message))
        {
          const char *text = cr_message_get_text (message);

          if (g_hash_table_contains (texts, text))
            g_error ("%s sees “%s” twice", cr_client_get_name (client), text);
          g_hash_table_add (texts, (gpointer) text);
        }
    }
}

static void
on_message_received (CrClient  *client,
                     CrMessage *message,
                     gpointer   user_data)
{
  GPtrArray *received = user_data;

  g_ptr_array_add (received, g_object_ref (message));
}

static void
on_closed (CrClient *client,
           int       reason,
           gpointer  user_data)
{
  int *closed = user_data;

  g_assert_cmpint (*closed, ==, -1);   /* once */
  *closed = reason;
}

static void
assert_join_fails (const char *address,
                   const char *name,
                   const char *password,
                   gboolean    do_register,
                   CrReason    expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) client = NULL;

  client = cr_test_join (address, name, password, do_register, 0, &error);
  g_assert_error (error, CR_CLIENT_ERROR, (gint) expected);
  /* Refused by the room: CLOSED with the reason. Refused before anything
   * was sent (the name, the password's length): still DISCONNECTED. */
  if (cr_client_get_state (client) == CR_CLIENT_CLOSED)
    g_assert_cmpint (cr_client_get_close_reason (client), ==, expected);
  else
    g_assert_cmpint (cr_client_get_state (client), ==, CR_CLIENT_DISCONNECTED);
}

/* Tests ------------------------------------------------------------ */

static void
test_join (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  GListModel *members;
  g_autoptr(CrMember) self = NULL;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);

  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_get_dialect (alice), ==, CR_DIALECT_NATIVE);
  g_assert_cmpstr (cr_client_get_name (alice), ==, "alice");
  g_assert_cmpstr (cr_client_get_room_name (alice), ==, "Test");
  g_assert_cmpstr (cr_client_get_address (alice), ==, room.address);
  g_assert_cmpint (cr_client_get_role (alice), ==, CR_ROLE_MEMBER);

  /* The history ends with our own join; the list has us, marked. */
  g_assert_true (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_JOIN, "alice"));
  g_assert_cmpuint (cr_client_get_last_seq (alice), >, 0);
  members = cr_client_get_members (alice);
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, 1);
  self = g_list_model_get_item (members, 0);
  g_assert_cmpstr (cr_member_get_name (self), ==, "alice");
  g_assert_true (cr_member_get_is_self (self));
  {
    guint n_members;

    g_object_get (alice, "n-members", &n_members, NULL);
    g_assert_cmpuint (n_members, ==, 1);
  }

  /* A bad address never touches the network. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CrClient) bad = cr_test_join ("[::1", "bob", NULL, FALSE, 0, &error);

    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
  /* Neither does a name with a space. */
  assert_join_fails (room.address, "bad name", NULL, FALSE, CR_REASON_NAME_INVALID);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
test_refusals (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(CrClient) dave = NULL;
  g_autoptr(GError) error = NULL;
  int closed = -1;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);

  /* Name taken, whatever the case. */
  assert_join_fails (room.address, "alice", NULL, FALSE, CR_REASON_NAME_TAKEN);
  assert_join_fails (room.address, "ALICE", NULL, FALSE, CR_REASON_NAME_TAKEN);

  /* Registered names: the password matters, and guests may not use them. */
  carol = cr_test_join (room.address, "carol", "s3cret!", TRUE, 0, NULL);
  cr_test_leave_and_free (g_steal_pointer (&carol));
  assert_join_fails (room.address, "carol", "wrong-password", FALSE, CR_REASON_WRONG_PASSWORD);
  assert_join_fails (room.address, "carol", NULL, FALSE, CR_REASON_NAME_REGISTERED);
  assert_join_fails (room.address, "carol", "another", TRUE, CR_REASON_ALREADY_REGISTERED);
  assert_join_fails (room.address, "nobody", "password", FALSE, CR_REASON_NOT_REGISTERED);
  /* Too short to register: refused before anything is sent. */
  assert_join_fails (room.address, "frank", "ab", TRUE, CR_REASON_PASSWORD_INVALID);

  /* Banned: the member is told and closed, and cannot come back. */
  dave = cr_test_join (room.address, "dave", NULL, FALSE, 0, NULL);
  g_signal_connect (dave, "closed", G_CALLBACK (on_closed), &closed);
  cr_server_ban (room.server, "dave", &error);
  g_assert_no_error (error);
  cr_test_assert_state (dave, CR_CLIENT_CLOSED, 3000);
  g_assert_cmpint (closed, ==, CR_REASON_BANNED);
  g_assert_cmpint (cr_client_get_close_reason (dave), ==, CR_REASON_BANNED);
  assert_join_fails (room.address, "dave", NULL, FALSE, CR_REASON_BANNED);

  /* Alice saw it. */
  {
    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_BAN, "dave", 3000);
    g_assert_false (cr_test_has_member (cr_client_get_members (alice), "dave"));
  }

  g_clear_object (&dave);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
test_register_login (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) erin = NULL;
  g_autoptr(CrMember) member = NULL;

  cr_test_room_start (&room, "127.0.0.1");

  erin = cr_test_join (room.address, "Erin", "correct horse", TRUE, 0, NULL);
  g_assert_cmpstr (cr_client_get_name (erin), ==, "Erin");
  member = g_list_model_get_item (cr_client_get_members (erin), 0);
  g_assert_true (cr_member_get_registered (member));
  g_clear_object (&member);
  cr_test_leave_and_free (g_steal_pointer (&erin));

  /* Log in again; the account's key ignores case (the name shown is the
   * one typed, as the room canonicalizes it). */
  erin = cr_test_join (room.address, "erin", "correct horse", FALSE, 0, NULL);
  g_assert_cmpstr (cr_client_get_name (erin), ==, "erin");
  member = g_list_model_get_item (cr_client_get_members (erin), 0);
  g_assert_true (cr_member_get_registered (member));
  g_assert_true (cr_member_get_is_self (member));

  cr_test_leave_and_free (g_steal_pointer (&erin));
  cr_test_room_clear (&room);
}

static void
test_send (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GPtrArray) bob_received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) alice_received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  CrMessage *message;
  guint n_before;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  g_signal_connect (alice, "message-received", G_CALLBACK (on_message_received), alice_received);
  g_signal_connect (bob, "message-received", G_CALLBACK (on_message_received), bob_received);

  /* Alice hears bob join (live), and has both in her list, sorted. */
  {
    MemberWait wait = { cr_client_get_members (alice), "bob", TRUE };

    cr_test_assert_wait (member_is, &wait, 3000);
  }

  n_before = g_list_model_get_n_items (cr_client_get_messages (alice));
  message = cr_client_send (alice, "hello  everyone", &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_true (cr_message_get_own (message));
  g_assert_cmpint (cr_message_get_state (message), ==, CR_MESSAGE_PENDING);
  g_assert_cmpuint (cr_message_get_seq (message), ==, 0);
  /* The row is in the model at once, last (after anything that arrived
   * before it and waited for its splice). */
  {
    GListModel *messages = cr_client_get_messages (alice);
    guint n = g_list_model_get_n_items (messages);
    g_autoptr(CrMessage) last = g_list_model_get_item (messages, n - 1);

    g_assert_cmpuint (n, >, n_before);
    g_assert_true (last == message);
  }

  cr_test_assert_wait (cr_test_message_sent, message, 3000);
  g_assert_cmpuint (cr_message_get_seq (message), >, 0);
  g_assert_cmpuint (cr_message_get_seq (message), ==, cr_client_get_last_seq (alice));
  /* No second row for the room's echo. */
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), "alice", "hello  everyone"),
                    ==, 1);

  assert_text_within (bob, "alice", "hello  everyone", 3000);
  g_assert_cmpuint (bob_received->len, ==, 1);
  g_assert_cmpstr (cr_message_get_text (bob_received->pdata[0]), ==, "hello  everyone");
  g_assert_false (cr_message_get_own (bob_received->pdata[0]));
  g_assert_cmpint (cr_message_get_state (bob_received->pdata[0]), ==, CR_MESSAGE_RECEIVED);

  /* Invalid text never leaves. */
  g_assert_null (cr_client_send (alice, "   ", &error));
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_TEXT_INVALID);
  g_clear_error (&error);

  /* A muted member's message comes back refused; unmuted, a retry works. */
  cr_server_mute (room.server, "bob", &error);
  g_assert_no_error (error);
  {
    MemberWait wait = { cr_client_get_members (alice), "bob", TRUE };


    cr_test_assert_wait (member_is, &wait, 100);
    cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_MUTE, "bob", 3000);
    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_MUTE, "bob", 3000);
    g_assert_true (member_muted (cr_client_get_members (alice), "bob"));
    g_assert_true (member_muted (cr_client_get_members (bob), "bob"));
    g_assert_false (member_muted (cr_client_get_members (alice), "alice"));
  }
  message = cr_client_send (bob, "can you hear me", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_failed, message, 3000);
  g_assert_cmpint (cr_message_get_failure (message), ==, CR_REASON_MUTED);
  cr_server_unmute (room.server, "bob", &error);
  g_assert_no_error (error);
  {
    cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_UNMUTE, "bob", 3000);
    g_assert_false (member_muted (cr_client_get_members (bob), "bob"));
  }
  cr_client_retry (bob, message);
  g_assert_cmpint (cr_message_get_state (message), ==, CR_MESSAGE_PENDING);
  cr_test_assert_wait (cr_test_message_sent, message, 3000);
  assert_text_within (alice, "bob", "can you hear me", 3000);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), "bob", "can you hear me"),
                    ==, 1);

  /* Own messages never come back as message-received. */
  for (guint i = 0; i < alice_received->len; i++)
    g_assert_false (cr_message_get_own (alice_received->pdata[i]));

  /* Both see the same chat in the same order. */
  assert_nothing_twice (alice);
  assert_nothing_twice (bob);

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  guint *count = user_data;

  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (position + added, ==, g_list_model_get_n_items (model));
  (*count)++;
}

typedef struct
{
  GListModel *model;
  guint       n;
} CountWait;

static gboolean
has_n_items (gpointer user_data)
{
  CountWait *wait = user_data;

  return g_list_model_get_n_items (wait->model) >= wait->n;
}

/* A burst reaches the model in a few splices, not one per message. */
static void
test_batch (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  GListModel *messages;
  guint changes = 0;
  guint before;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  messages = cr_client_get_messages (alice);
  before = g_list_model_get_n_items (messages);
  g_signal_connect (messages, "items-changed", G_CALLBACK (on_items_changed), &changes);

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("announcement %u", i);

      cr_server_say (room.server, text, &error);
      g_assert_no_error (error);
    }
  {
    CountWait wait = { messages, before + 100 };

    cr_test_assert_wait (has_n_items, &wait, 5000);
  }
  g_test_message ("100 messages in %u splices", changes);
  g_assert_cmpuint (changes, <=, 10);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, before + i);
      g_autofree char *text = g_strdup_printf ("announcement %u", i);

      g_assert_cmpint (cr_message_get_kind (message), ==, CR_EVENT_OWNER_CHAT);
      g_assert_cmpstr (cr_message_get_text (message), ==, text);
    }

  g_signal_handlers_disconnect_by_data (messages, &changes);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

typedef struct
{
  guint changes;
  guint rows;      /* rows added and removed, all changes together */
} MemberChanges;

/* Every change leaves the list in the room's order (owner first, then
 * by name): a view shows it as it is. */
static void
on_member_items_changed (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         gpointer    user_data)
{
  MemberChanges *changes = user_data;
  guint n = g_list_model_get_n_items (model);

  for (guint i = 1; i < n; i++)
    {
      g_autoptr(CrMember) before = g_list_model_get_item (model, i - 1);
      g_autoptr(CrMember) after = g_list_model_get_item (model, i);

      g_assert_cmpint (cr_member_compare (before, after, NULL), <, 0);
    }
  changes->changes++;
  changes->rows += removed + added;
}

#define BURST_MEMBERS 200

/* A class signing in at once reaches a member's list as a few splices,
 * not one items-changed per member (each of which a view of the list
 * handles on its own), and leaving likewise. */
static void
test_member_burst (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GPtrArray) pupils =
    g_ptr_array_new_with_free_func ((GDestroyNotify) cr_test_socket_free);
  MemberChanges changes = { 0 };
  GListModel *members;
  guint before;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  members = cr_client_get_members (alice);
  before = g_list_model_get_n_items (members);
  g_signal_connect (members, "items-changed", G_CALLBACK (on_member_items_changed), &changes);

  /* All sent before the room reads any: it reads them in batches and
   * tells alice in BATCH packets. */
  for (guint i = 0; i < BURST_MEMBERS; i++)
    {
      g_autofree char *join = g_strdup_printf ("N pupil%03u", BURST_MEMBERS - 1 - i);
      CrTestSocket *pupil = cr_test_socket_new ("127.0.0.1");

      cr_test_socket_send_text (pupil, room.socket_address, join);
      g_ptr_array_add (pupils, pupil);
    }
  {
    CountWait wait = { members, before + BURST_MEMBERS };

    cr_test_assert_wait (has_n_items, &wait, 10000);
  }
  g_test_message ("%u joins in %u items-changed", BURST_MEMBERS, changes.changes);
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, before + BURST_MEMBERS);
  g_assert_cmpuint (changes.changes, <=, BURST_MEMBERS / 10);
  for (guint i = 0; i < BURST_MEMBERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("pupil%03u", i);

      g_assert_true (cr_test_has_member (members, name));
    }

  changes = (MemberChanges) { 0 };
  for (guint i = 0; i < pupils->len; i++)
    {
      g_autofree char *quit = g_strdup_printf ("Q pupil%03u", BURST_MEMBERS - 1 - i);

      cr_test_socket_send_text (pupils->pdata[i], room.socket_address, quit);
    }
  {
    MemberWait wait = { members, "pupil000", FALSE };

    cr_test_assert_wait (member_is, &wait, 10000);
  }
  for (guint i = 0; i < BURST_MEMBERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("pupil%03u", i);
      MemberWait wait = { members, name, FALSE };

      cr_test_assert_wait (member_is, &wait, 10000);
    }
  g_test_message ("%u leaves in %u items-changed", BURST_MEMBERS, changes.changes);
  g_assert_cmpuint (g_list_model_get_n_items (members), ==, before);
  g_assert_cmpuint (changes.changes, <=, BURST_MEMBERS / 10);
  g_assert_cmpuint (changes.rows, >=, BURST_MEMBERS);

  g_signal_handlers_disconnect_by_data (members, &changes);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
test_leave (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  int closed = -1;
  guint n_members = 0;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  {
    MemberWait wait = { cr_client_get_members (alice), "bob", TRUE };

    cr_test_assert_wait (member_is, &wait, 3000);
  }
  g_object_get (alice, "n-members", &n_members, NULL);
  g_assert_cmpuint (n_members, ==, 2);

  g_signal_connect (bob, "closed", G_CALLBACK (on_closed), &closed);
  cr_client_leave (bob);
  g_assert_cmpint (cr_client_get_state (bob), ==, CR_CLIENT_LEAVING);
  cr_test_assert_state (bob, CR_CLIENT_CLOSED, 2000);
  g_assert_cmpint (closed, ==, CR_REASON_NONE);
  g_assert_cmpint (cr_client_get_close_reason (bob), ==, CR_REASON_NONE);

  {
    MemberWait gone = { cr_client_get_members (alice), "bob", FALSE };

    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_LEAVE, "bob", 3000);
    cr_test_assert_wait (member_is, &gone, 100);
  }
  g_object_get (alice, "n-members", &n_members, NULL);
  g_assert_cmpuint (n_members, ==, 1);

  /* After leaving, nothing more is sent. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (cr_client_send (bob, "too late", &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  }

  g_clear_object (&bob);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
test_kick (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  int closed = -1;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  g_signal_connect (bob, "closed", G_CALLBACK (on_closed), &closed);

  cr_server_kick (room.server, "bob", &error);
  g_assert_no_error (error);
  cr_test_assert_state (bob, CR_CLIENT_CLOSED, 3000);
  g_assert_cmpint (closed, ==, CR_REASON_KICKED);
  {
    cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_KICK, "bob", 3000);
  }

  /* The owner closes the room: everyone is told. */
  closed = -1;
  g_signal_connect (alice, "closed", G_CALLBACK (on_closed), &closed);
  cr_server_stop (room.server);
  cr_test_assert_state (alice, CR_CLIENT_CLOSED, 3000);
  g_assert_cmpint (closed, ==, CR_REASON_ROOM_CLOSED);

  g_clear_object (&bob);
  g_clear_object (&alice);
  cr_test_room_clear (&room);
}

static void
test_no_answer (void)
{
  g_autoptr(CrTestSocket) silent = cr_test_socket_new ("127.0.0.1");
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (silent));
  g_autoptr(GError) error = NULL;
  g_autoptr(CrClient) client = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;
  guint n_datagrams = 0;
  gboolean saw_classic_join = FALSE;

  client = cr_test_join_timed (address, "bob", NULL, FALSE, 0, 0, 800, &error);
  elapsed = g_get_monotonic_time () - start;

  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NO_ANSWER);
  g_assert_cmpint (cr_client_get_state (client), ==, CR_CLIENT_CLOSED);
  g_assert_cmpint (cr_client_get_close_reason (client), ==, CR_REASON_NO_ANSWER);
  g_assert_cmpint (elapsed, >=, 700 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 2500 * G_TIME_SPAN_MILLISECOND);

  /* Only valid UTF-8 went to a room that never proved native: probes, then
   * the classic join. */
  for (;;)
    {
      g_autoptr(GBytes) data = cr_test_socket_receive (silent, 0, NULL);
      gsize len;
      const char *text;

      if (data == NULL)
        break;
      text = g_bytes_get_data (data, &len);
      g_assert_true (g_utf8_validate_len (text, len, NULL));
      if (len == strlen ("N bob") && memcmp (text, "N bob", len) == 0)
        saw_classic_join = TRUE;
      else
        g_assert_cmpmem (text, len, CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));
      n_datagrams++;
    }
  g_assert_cmpuint (n_datagrams, >=, 3);
  g_assert_true (saw_classic_join);
}

static void
test_reconnect (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  CrMessage *before, *during, *answer;
  guint16 port;

  cr_test_room_start (&room, "127.0.0.1");
  port = room.port;
  alice = cr_test_join_timed (room.address, "alice", NULL, FALSE, 200, 1000, 0, NULL);
  bob = cr_test_join_timed (room.address, "bob", NULL, FALSE, 200, 1000, 0, NULL);

  before = cr_client_send (alice, "before the crash", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, before, 3000);
  assert_text_within (bob, "alice", "before the crash", 3000);

  /* The room dies without a word (no stop, no goodbye). */
  g_clear_object (&room.server);
  cr_test_assert_state (alice, CR_CLIENT_RECONNECTING, 3000);
  cr_test_assert_state (bob, CR_CLIENT_RECONNECTING, 3000);

  /* Typed while the room is away: kept, sent after the resync. */
  during = cr_client_send (alice, "typed while away", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_message_get_state (during), ==, CR_MESSAGE_PENDING);
  cr_test_run_for (500);

  /* A new room on the same port and data directory. */
  cr_test_room_start_on (&room, "127.0.0.1", port);
  cr_test_assert_state (alice, CR_CLIENT_CONNECTED, 6000);
  cr_test_assert_state (bob, CR_CLIENT_CONNECTED, 6000);

  cr_test_assert_wait (cr_test_message_sent, during, 5000);
  assert_text_within (bob, "alice", "typed while away", 5000);

  answer = cr_client_send (bob, "welcome back", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, answer, 3000);
  assert_text_within (alice, "bob", "welcome back", 3000);
  cr_test_run_for (300);

  /* Nothing twice: not the history of the new room, not the pending one. */
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), NULL, "before the crash"),
                    ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), NULL, "before the crash"),
                    ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), NULL, "typed while away"),
                    ==, 1);
  assert_nothing_twice (alice);
  assert_nothing_twice (bob);
  g_assert_true (cr_test_has_member (cr_client_get_members (alice), "bob"));
  g_assert_true (cr_test_has_member (cr_client_get_members (bob), "alice"));

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static void
on_state_changed (CrClient   *client,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  GArray *states = user_data;
  int state = cr_client_get_state (client);

  g_array_append_val (states, state);
}

/* Refused for good while rejoining: no more tries, CLOSED with the reason. */
static void
test_banned_while_away (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  int closed = -1;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join_timed (room.address, "alice", NULL, FALSE, 200, 1000, 0, NULL);
  g_signal_connect (alice, "closed", G_CALLBACK (on_closed), &closed);

  g_clear_object (&room.server);
  cr_test_assert_state (alice, CR_CLIENT_RECONNECTING, 3000);

  /* The room comes back with alice banned, before she is heard again. */
  cr_test_room_start_on (&room, "127.0.0.1", room.port);
  cr_server_ban (room.server, "alice", &error);
  g_assert_no_error (error);

  cr_test_assert_state (alice, CR_CLIENT_CLOSED, 5000);
  g_assert_cmpint (closed, ==, CR_REASON_BANNED);
  g_assert_cmpint (cr_client_get_close_reason (alice), ==, CR_REASON_BANNED);
  g_assert_false (cr_test_has_member (cr_server_get_members (room.server), "alice"));

  g_clear_object (&alice);
  cr_test_room_clear (&room);
}

/* The states went through RECONNECTING and are back to CONNECTED. */
static gboolean
back_after_reconnecting (gpointer user_data)
{
  GArray *states = user_data;
  gboolean reconnecting = FALSE;

  for (guint i = 0; i < states->len; i++)
    if (g_array_index (states, int, i) == CR_CLIENT_RECONNECTING)
      reconnecting = TRUE;
  return reconnecting && states->len > 0 &&
         g_array_index (states, int, states->len - 1) == CR_CLIENT_CONNECTED;
}

/* The room restarts faster than the client's silence limit: the first
 * keepalive of the old session is refused (TIMED_OUT), and that alone sends
 * the client back in. */
static void
test_quick_restart (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GError) error = NULL;
  CrMessage *message;
  gint64 start;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join_timed (room.address, "alice", NULL, FALSE, 200, 20000, 0, NULL);
  g_signal_connect (alice, "notify::state", G_CALLBACK (on_state_changed), states);

  start = g_get_monotonic_time ();
  g_clear_object (&room.server);
  cr_test_room_start_on (&room, "127.0.0.1", room.port);

  cr_test_assert_wait (back_after_reconnecting, states, 5000);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);

  message = cr_client_send (alice, "still here", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, message, 3000);
  assert_nothing_twice (alice);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* A message the room never acknowledges fails after 10 s while the link
 * looks alive; it was still queued, so when the link comes back it arrives
 * (once) and turns SENT by itself. */
static void
test_pending_timeout (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrTestProxy) proxy = NULL;
  g_autoptr(GSocketAddress) upstream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *via = NULL;
  CrMessage *message;

  cr_test_room_start (&room, "127.0.0.1");
  upstream = cr_test_socket_address ("127.0.0.1", room.port);
  proxy = cr_test_proxy_new (upstream, 0.0, 0.0, 0.0, 1);
  via = cr_test_address ("127.0.0.1", cr_test_proxy_get_port (proxy));
  alice = cr_test_join_timed (via, "alice", NULL, FALSE, 200, 60000, 0, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);

  cr_test_proxy_set_blackhole (proxy, TRUE);
  message = cr_client_send (alice, "into the void", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_failed, message, 12000);
  g_assert_cmpint (cr_message_get_failure (message), ==, CR_REASON_NO_ANSWER);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);

  cr_test_proxy_set_blackhole (proxy, FALSE);
  cr_test_assert_wait (cr_test_message_sent, message, 5000);
  assert_text_within (bob, "alice", "into the void", 3000);
  cr_test_run_for (300);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), NULL, "into the void"),
                    ==, 1);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (alice), NULL, "into the void"),
                    ==, 1);

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&alice));
  g_clear_pointer (&proxy, cr_test_proxy_free);
  cr_test_room_clear (&room);
}

/* A relay between a client and the room that loses the answers that
 * matter in the join:
 *  - LOST_OK: every probe until the client fell back to "N name", then the
 *    room's first "OK". Our room sends a classic joiner nothing but "OK"
 *    (no history to a forgeable address), so the client learns of its room
 *    from the next probe's answer: its native JOIN is refused for the name
 *    its address already holds, it takes that membership back ("Q name")
 *    and joins natively.
 *  - LATE_PING: holds the room's answer to the first probe (dropping later
 *    probes) until the client fell back to "N name" and the room's "OK" to
 *    it was lost. The room has made a classic member of the client's
 *    address and refuses its native JOIN for the name: the client must take
 *    that membership back ("Q name") and join natively. */
typedef enum
{
  RELAY_LOST_OK,
  RELAY_LATE_PING,
} RelayMode;

typedef struct
{
  RelayMode       mode;
  CrTestSocket   *front;      /* what the client talks to */
  CrTestSocket   *back;       /* what the room sees */
  GSocketAddress *room;
  GSocketAddress *client;
  guint           probes_passed;
  gboolean        classic_passed;
  guint           oks_dropped;
  GBytes         *held;       /* LATE_PING: the room's PING */
  GError         *error;
  gboolean        done;
  CrMessage      *message;
  CrClient       *bob;
} SlowRelay;

static gboolean
slow_relay_pump (gpointer user_data)
{
  SlowRelay *relay = user_data;

  for (;;)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GBytes) data = cr_test_socket_receive (relay->front, 0, &from);
      gsize len;
      const char *bytes;

      if (data == NULL)
        break;
      g_set_object (&relay->client, from);
      bytes = g_bytes_get_data (data, &len);
      if (len == strlen (CR_PROBE_TEXT) && memcmp (bytes, CR_PROBE_TEXT, len) == 0)
        {
          gboolean pass = relay->mode == RELAY_LOST_OK ? relay->classic_passed
                                                       : relay->probes_passed == 0;
          if (!pass)
            continue;
          relay->probes_passed++;
        }
      if (len > 2 && memcmp (bytes, "N ", 2) == 0)
        relay->classic_passed = TRUE;
      cr_test_socket_send (relay->back, relay->room, bytes, len);
    }
  for (;;)
    {
      g_autoptr(GBytes) data = cr_test_socket_receive (relay->back, 0, NULL);
      gsize len;
      const char *bytes;

      if (data == NULL)
        break;
      bytes = g_bytes_get_data (data, &len);
      if (relay->mode == RELAY_LATE_PING && relay->oks_dropped == 0 &&
          cr_protocol_is_native ((const guint8 *) bytes, len))
        {
          g_assert_null (relay->held);
          relay->held = g_steal_pointer (&data);
          continue;
        }
      if (len == 2 && memcmp (bytes, "OK", 2) == 0 && relay->oks_dropped == 0)
        {
          relay->oks_dropped++;
          if (relay->held != NULL)
            {
              gsize held_len;
              const guint8 *held = g_bytes_get_data (relay->held, &held_len);

              cr_test_socket_send (relay->front, relay->client, held, held_len);
              g_clear_pointer (&relay->held, g_bytes_unref);
            }
          continue;
        }
      if (relay->client != NULL)
        cr_test_socket_send (relay->front, relay->client, bytes, len);
    }
  return relay->done;
}

static gboolean
relay_message_sent (gpointer user_data)
{
  SlowRelay *relay = user_data;

  slow_relay_pump (relay);
  return cr_message_get_state (relay->message) == CR_MESSAGE_SENT;
}

static gboolean
relay_bob_heard (gpointer user_data)
{
  SlowRelay *relay = user_data;

  slow_relay_pump (relay);
  return cr_test_count_text (cr_client_get_messages (relay->bob), "alice", "made it") > 0;
}

static void
on_relay_joined (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SlowRelay *relay = user_data;

  cr_client_join_finish (CR_CLIENT (object), result, &relay->error);
  relay->done = TRUE;
}

static void
test_lost_answers (gconstpointer data)
{
  RelayMode mode = GPOINTER_TO_INT (data);
  CrTestRoom room = { 0 };
  SlowRelay relay = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autofree char *via = NULL;
  g_autoptr(GError) error = NULL;

  cr_test_room_start (&room, "127.0.0.1");
  bob = cr_test_join (room.address, "bob", NULL, FALSE, 0, NULL);
  relay.mode = mode;
  relay.front = cr_test_socket_new ("127.0.0.1");
  relay.back = cr_test_socket_new ("127.0.0.1");
  relay.room = cr_test_socket_address ("127.0.0.1", room.port);
  via = cr_test_address ("127.0.0.1", cr_test_socket_get_port (relay.front));

  alice = cr_client_new ();
  cr_client_set_timing (alice, 0, 0, 2500);   /* "N alice" after 500 ms */
  cr_client_join_async (alice, via, "alice", NULL, FALSE, NULL, NULL, on_relay_joined, &relay);
  cr_test_assert_wait (slow_relay_pump, &relay, 5000);

  g_assert_no_error (relay.error);
  g_assert_true (relay.classic_passed);
  g_assert_cmpuint (relay.oks_dropped, ==, 1);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_get_dialect (alice), ==, CR_DIALECT_NATIVE);

  /* One alice in the room, and she is heard. */
  relay.message = cr_client_send (alice, "made it", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (relay_message_sent, &relay, 3000);
  relay.bob = bob;
  cr_test_assert_wait (relay_bob_heard, &relay, 3000);
  g_assert_cmpuint (cr_test_count_text (cr_client_get_messages (bob), "alice", "made it"), ==, 1);
  g_assert_true (cr_test_has_member (cr_server_get_members (room.server), "alice"));
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (room.server)), ==, 2);

  g_clear_object (&alice);
  cr_test_leave_and_free (g_steal_pointer (&bob));
  g_clear_object (&relay.client);
  g_clear_object (&relay.room);
  g_clear_pointer (&relay.held, g_bytes_unref);
  cr_test_socket_free (relay.front);
  cr_test_socket_free (relay.back);
  cr_test_room_clear (&room);
}

/* "localhost" is ::1 first, then 127.0.0.1: a room on 127.0.0.1 must still
 * be found (and one on ::1, where there is IPv6). */
static void
test_localhost (void)
{
  const char *hosts[] = { "127.0.0.1", "::1" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      CrTestRoom room = { 0 };
      g_autoptr(CrClient) alice = NULL;
      g_autofree char *address = NULL;
      g_autoptr(GError) error = NULL;
      CrMessage *message;

      if (i == 1 && !cr_test_have_ipv6_loopback ())
        continue;
      cr_test_room_start (&room, hosts[i]);
      address = g_strdup_printf ("localhost:%u", room.port);
      alice = cr_test_join_timed (address, "alice", NULL, FALSE, 0, 0, 2000, NULL);
      g_assert_cmpint (cr_client_get_dialect (alice), ==, CR_DIALECT_NATIVE);
      g_assert_cmpstr (cr_client_get_address (alice), ==, address);
      message = cr_client_send (alice, "found you", &error);
      g_assert_no_error (error);
      cr_test_assert_wait (cr_test_message_sent, message, 3000);

      cr_test_leave_and_free (g_steal_pointer (&alice));
      cr_test_room_clear (&room);
    }
}

static void
test_ipv6 (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  CrMessage *message;

  if (!cr_test_have_ipv6_loopback ())
    {
      g_test_skip ("::1 is not available here");
      return;
    }

  cr_test_room_start (&room, "::1");
  g_assert_true (g_str_has_prefix (room.address, "[::1]:"));
  alice = cr_test_join (room.address, "alice", NULL, FALSE, 0, NULL);
  g_assert_cmpint (cr_client_get_dialect (alice), ==, CR_DIALECT_NATIVE);
  message = cr_client_send (alice, "over six", &error);
  g_assert_no_error (error);
  cr_test_assert_wait (cr_test_message_sent, message, 3000);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

/* The classroom server, by hand: ignores what it does not know (the probe),
 * answers "N name" with "OK" or the taken line, and would die on a datagram
 * that is not UTF-8 (here: the test fails). */
typedef struct
{
  CrTestSocket   *sock;
  GSocketAddress *client;
  const char     *answer;
} Classroom;

static char *
classroom_next (Classroom *room,
                guint      timeout_ms)
{
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GBytes) data = cr_test_socket_receive (room->sock, timeout_ms, &from);
  gsize len;
  const char *text;

  if (data == NULL)
    return NULL;
  text = g_bytes_get_data (data, &len);
  if (!g_utf8_validate_len (text, len, NULL))
    g_error ("The classroom server would have died: a datagram that is not UTF-8");
  g_set_object (&room->client, from);
  return g_strndup (text, len);
}

static void
classroom_say (Classroom  *room,
               const char *line)
{
  cr_test_socket_send_text (room->sock, room->client, line);
}

static void
on_classic_joined (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GError **error = user_data;

  if (!cr_client_join_finish (CR_CLIENT (object), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "joined");   /* a marker */
}

static gboolean
joined_or_failed (gpointer user_data)
{
  GError **error = user_data;

  return *error != NULL;
}

/* Drive a classic join; returns the client, *error as the join ended (a
 * G_IO_ERROR_EXISTS marker when it succeeded). */
static CrClient *
classroom_join (Classroom   *room,
                const char  *name,
                GError     **error)
{
  CrClient *client = cr_client_new ();
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (room->sock));
  g_autofree char *expected = g_strdup_printf ("N %s", name);
  gboolean answered = FALSE;
  guint probes = 0;

  cr_client_set_timing (client, 0, 0, 2500);
  cr_client_join_async (client, address, name, NULL, FALSE, NULL, NULL,
                        on_classic_joined, error);
  for (guint i = 0; i < 50 && !answered; i++)
    {
      g_autofree char *line = classroom_next (room, 3000);

      g_assert_nonnull (line);
      if (g_strcmp0 (line, expected) == 0)
        {
          classroom_say (room, room->answer);
          answered = TRUE;
        }
      else
        {
          g_assert_cmpstr (line, ==, CR_PROBE_TEXT);
          probes++;
        }
    }
  g_assert_true (answered);
  g_assert_cmpuint (probes, >=, 1);
  cr_test_assert_wait (joined_or_failed, error, 3000);
  /* The native probe goes on while the OK is held (HACKING.md "Dialect
   * detection"): nothing else came meanwhile. */
  for (char *line; (line = classroom_next (room, 100)) != NULL; g_free (line))
    g_assert_cmpstr (line, ==, CR_PROBE_TEXT);
  return client;
}

static void
test_classic (void)
{
  Classroom room = { cr_test_socket_new ("127.0.0.1"), NULL, CR_CLASSIC_OK };
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  GListModel *messages;
  CrMessage *message;

  alice = classroom_join (&room, "alice", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CONNECTED);
  g_assert_cmpint (cr_client_get_dialect (alice), ==, CR_DIALECT_CLASSIC);
  g_assert_cmpstr (cr_client_get_name (alice), ==, "alice");
  g_assert_true (cr_test_has_member (cr_client_get_members (alice), "alice"));
  g_signal_connect (alice, "message-received", G_CALLBACK (on_message_received), received);
  messages = cr_client_get_messages (alice);

  /* Sent is sent: no acks in this dialect. Inner spaces go as typed. */
  message = cr_client_send (alice, "hi  there", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cr_message_get_state (message), ==, CR_MESSAGE_SENT);
  line = classroom_next (&room, 2000);
  g_assert_cmpstr (line, ==, "M alice hi  there");
  g_clear_pointer (&line, g_free);

  /* What the classroom server broadcasts: our echo (its words joined
   * without spaces), a join, a chat line, the owner. */
  classroom_say (&room, "alice 说 :hithere");
  classroom_say (&room, "【系统消息】:bob 进入到聊天室");
  classroom_say (&room, "bob 说 :hey");
  classroom_say (&room, "群主说：class starts at ten");
  {
    TextWait wait = { messages, "群主", "class starts at ten", 1 };

    cr_test_assert_wait (text_count_reached, &wait, 2000);
  }
  cr_test_run_for (100);

  g_assert_cmpuint (cr_test_count_text (messages, "alice", "hi  there"), ==, 1);
  g_assert_cmpuint (cr_test_count_text (messages, NULL, "hithere"), ==, 0);
  g_assert_cmpuint (cr_test_count_text (messages, "bob", "hey"), ==, 1);
  g_assert_true (cr_test_has_event (messages, CR_EVENT_JOIN, "bob"));
  g_assert_true (cr_test_has_member (cr_client_get_members (alice), "bob"));
  g_assert_cmpuint (received->len, ==, 3);
  g_assert_cmpint (cr_message_get_kind (received->pdata[2]), ==, CR_EVENT_OWNER_CHAT);

  /* Our own server's lines parse too. */
  classroom_say (&room, "bob 说：spaces  kept");
  classroom_say (&room, "【系统消息】:bob 退出了聊天室");
  {
    MemberWait gone = { cr_client_get_members (alice), "bob", FALSE };


    cr_test_assert_wait (member_is, &gone, 2000);
    cr_test_assert_event (messages, CR_EVENT_LEAVE, "bob", 2000);
  }
  g_assert_cmpuint (cr_test_count_text (messages, "bob", "spaces  kept"), ==, 1);

  /* Leaving says Q. */
  cr_client_leave (alice);
  g_assert_cmpint (cr_client_get_state (alice), ==, CR_CLIENT_CLOSED);
  line = classroom_next (&room, 2000);
  g_assert_cmpstr (line, ==, "Q alice");

  g_clear_object (&alice);
  g_clear_object (&room.client);
  cr_test_socket_free (room.sock);
}

static void
test_classic_taken (void)
{
  Classroom room = { cr_test_socket_new ("127.0.0.1"), NULL, CR_CLASSIC_TAKEN };
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;

  bob = classroom_join (&room, "bob", &error);
  g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_NAME_TAKEN);
  g_assert_cmpint (cr_client_get_state (bob), ==, CR_CLIENT_CLOSED);

  g_clear_object (&bob);
  g_clear_object (&room.client);
  cr_test_socket_free (room.sock);
}

static void
test_dispose_while_joining (void)
{
  g_autoptr(CrTestSocket) silent = cr_test_socket_new ("127.0.0.1");
  g_autofree char *address = cr_test_address ("127.0.0.1", cr_test_socket_get_port (silent));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;
  CrClient *client = cr_client_new ();

  cr_client_join_async (client, address, "bob", NULL, FALSE, NULL, cancellable,
                        on_classic_joined, &error);
  cr_test_run_for (100);
  g_cancellable_cancel (cancellable);
  cr_test_assert_wait (joined_or_failed, &error, 2000);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (cr_client_get_state (client), ==, CR_CLIENT_CLOSED);
  g_assert_finalize_object (client);
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

  g_test_add_func ("/chatroom/client/join", test_join);
  g_test_add_func ("/chatroom/client/refusals", test_refusals);
  g_test_add_func ("/chatroom/client/register-login", test_register_login);
  g_test_add_func ("/chatroom/client/send", test_send);
  g_test_add_func ("/chatroom/client/batch", test_batch);
  g_test_add_func ("/chatroom/client/member-burst", test_member_burst);
  g_test_add_func ("/chatroom/client/leave", test_leave);
  g_test_add_func ("/chatroom/client/kick-and-close", test_kick);
  g_test_add_func ("/chatroom/client/no-answer", test_no_answer);
  g_test_add_func ("/chatroom/client/reconnect", test_reconnect);
  g_test_add_func ("/chatroom/client/quick-restart", test_quick_restart);
  g_test_add_func ("/chatroom/client/banned-while-away", test_banned_while_away);
  g_test_add_func ("/chatroom/client/pending-timeout", test_pending_timeout);
  g_test_add_data_func ("/chatroom/client/lost-ok", GINT_TO_POINTER (RELAY_LOST_OK),
                        test_lost_answers);
  g_test_add_data_func ("/chatroom/client/late-ping", GINT_TO_POINTER (RELAY_LATE_PING),
                        test_lost_answers);
  g_test_add_func ("/chatroom/client/ipv6", test_ipv6);
  g_test_add_func ("/chatroom/client/localhost", test_localhost);
  g_test_add_func ("/chatroom/client/classic", test_classic);
  g_test_add_func ("/chatroom/client/classic-taken", test_classic_taken);
  g_test_add_func ("/chatroom/client/cancel", test_dispose_while_joining);

  return g_test_run ();
}
