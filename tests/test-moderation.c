/* test-moderation.c: running a class (issue 15) on loopback: admins,
 * mute-all in both dialects, timed mutes, the pinned announcement, and
 * MANAGE requests from members who may not.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "cr-classic.h"
#include "cr-client.h"
#include "cr-render.h"
#include "cr-server.h"
#include "cr-server-private.h"
#include "cr-test-net.h"
#include "cr-test-utils.h"

#define WAIT_MS 5000

static CrMember *
find_member (GListModel *members,
             const char *name)
{
  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_str_equal (cr_member_get_name (member), name))
        return member;   /* the model keeps it */
    }
  return NULL;
}

typedef struct
{
  CrClient   *client;
  const char *name;
  CrRole      role;
} RoleWait;

static gboolean
member_has_role (gpointer data)
{
  RoleWait *wait = data;
  CrMember *member = find_member (cr_client_get_members (wait->client), wait->name);

  return member != NULL && cr_member_get_role (member) == wait->role;
}

static gboolean
own_role_is (gpointer data)
{
  RoleWait *wait = data;

  return cr_client_get_role (wait->client) == wait->role;
}

typedef struct
{
  CrReason reason;
  guint    count;
} Refusal;

static void
on_manage_refused (CrClient *client,
                   CrReason  reason,
                   gpointer  user_data)
{
  Refusal *refusal = user_data;

  refusal->reason = reason;
  refusal->count++;
}

static gboolean
refused (gpointer data)
{
  return ((Refusal *) data)->count > 0;
}

static gboolean
message_settled (gpointer data)
{
  return cr_message_get_state (data) != CR_MESSAGE_PENDING;
}

/* What a member's message became: NONE when the room took it. */
static CrReason
say (CrClient   *client,
     const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CrMessage) message = cr_client_send (client, text, &error);

  g_assert_no_error (error);
  g_object_ref (message);   /* cr_client_send returns it borrowed */
  cr_test_assert_wait (message_settled, message, WAIT_MS);
  return cr_message_get_state (message) == CR_MESSAGE_FAILED ? cr_message_get_failure (message)
                                                             : CR_REASON_NONE;
}

typedef struct
{
  CrClient *client;
  gboolean  closed;
  CrReason  reason;
} Closed;

static void
on_closed (CrClient *client,
           CrReason  reason,
           gpointer  user_data)
{
  Closed *closed = user_data;

  closed->closed = TRUE;
  closed->reason = reason;
}

static gboolean
is_closed (gpointer data)
{
  return ((Closed *) data)->closed;
}

static guint64
manage_refused_count (CrTestRoom *room)
{
  CrStats stats;

  cr_server_get_stats (room->server, &stats);
  return stats.manage_refused;
}

static void
appoint (CrTestRoom *room,
         CrClient   *client,
         const char *name)
{
  g_autoptr(GError) error = NULL;
  RoleWait wait = { client, name, CR_ROLE_ADMIN };

  g_assert_true (cr_server_moderate (room->server, CR_MANAGE_ADMIN, name, 0, &error));
  g_assert_no_error (error);
  cr_test_assert_wait (own_role_is, &wait, WAIT_MS);
}

/* An admin kicks and mutes; a ban, an appointment or a pin from an admin
 * is refused NOT_ALLOWED, and so is acting on the owner's helpers. */
static void
test_admin_rights (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(CrClient) dave = NULL;
  g_autoptr(GError) error = NULL;
  Refusal refusal = { 0 };
  Closed carol_closed = { 0 };
  guint64 refused_before;
  RoleWait seen = { NULL, "alice", CR_ROLE_ADMIN };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, WAIT_MS, NULL);
  carol = cr_test_join (room.address, "carol", NULL, FALSE, WAIT_MS, NULL);
  dave = cr_test_join (room.address, "dave", NULL, FALSE, WAIT_MS, NULL);
  g_signal_connect (alice, "manage-refused", G_CALLBACK (on_manage_refused), &refusal);
  g_signal_connect (carol, "closed", G_CALLBACK (on_closed), &carol_closed);

  appoint (&room, alice, "alice");
  /* Everyone sees the badge, and the list puts the admin first. */
  seen.client = bob;
  cr_test_assert_wait (member_has_role, &seen, WAIT_MS);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_ADMIN, "alice", WAIT_MS);

  /* Mute: bob can no longer speak. */
  g_assert_true (cr_client_manage (alice, CR_MANAGE_MUTE, "bob", 0, &error));
  g_assert_no_error (error);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_MUTE, "bob", WAIT_MS);
  g_assert_cmpint (say (bob, "may I?"), ==, CR_REASON_MUTED);

  /* Refused: ban, appoint, pin; nothing happens to carol. */
  refused_before = manage_refused_count (&room);
  g_assert_true (cr_client_manage (alice, CR_MANAGE_BAN, "carol", 0, NULL));
  cr_test_assert_wait (refused, &refusal, WAIT_MS);
  g_assert_cmpint (refusal.reason, ==, CR_REASON_NOT_ALLOWED);
  refusal.count = 0;
  g_assert_true (cr_client_manage (alice, CR_MANAGE_ADMIN, "dave", 0, NULL));
  cr_test_assert_wait (refused, &refusal, WAIT_MS);
  g_assert_cmpint (refusal.reason, ==, CR_REASON_NOT_ALLOWED);
  refusal.count = 0;
  g_assert_true (cr_client_manage (alice, CR_MANAGE_PIN, "mine now", 0, NULL));
  cr_test_assert_wait (refused, &refusal, WAIT_MS);
  g_assert_cmpint (refusal.reason, ==, CR_REASON_NOT_ALLOWED);
  g_assert_cmpuint (manage_refused_count (&room), ==, refused_before + 3);
  {
    g_auto(GStrv) bans = cr_server_dup_bans (room.server);
    g_auto(GStrv) admins = cr_server_dup_admins (room.server);

    g_assert_cmpuint (g_strv_length (bans), ==, 0);
    g_assert_cmpuint (g_strv_length (admins), ==, 1);
    g_assert_null (cr_server_dup_pin (room.server));
  }
  g_assert_false (carol_closed.closed);

  /* The refusal reads as such, in words. */
  {
    g_autofree char *text = cr_render_reason (CR_REASON_NOT_ALLOWED, NULL);

    g_assert_nonnull (strstr (text, "only the owner"));
  }

  /* Kick: carol is out, told why. */
  g_assert_true (cr_client_manage (alice, CR_MANAGE_KICK, "carol", 0, NULL));
  cr_test_assert_wait (is_closed, &carol_closed, WAIT_MS);
  g_assert_cmpint (carol_closed.reason, ==, CR_REASON_KICKED);

  /* An admin does not act on a fellow admin. */
  appoint (&room, dave, "dave");
  /* The lists put admins first: dave before bob now, for bob and the owner. */
  seen.client = bob;
  seen.name = "dave";
  cr_test_assert_wait (member_has_role, &seen, WAIT_MS);
  {
    g_autoptr(CrMember) first = g_list_model_get_item (cr_client_get_members (bob), 0);
    g_autoptr(CrMember) second = g_list_model_get_item (cr_client_get_members (bob), 1);
    g_autoptr(CrMember) last = g_list_model_get_item (cr_server_get_members (room.server), 2);

    g_assert_cmpstr (cr_member_get_name (first), ==, "alice");
    g_assert_cmpstr (cr_member_get_name (second), ==, "dave");
    g_assert_cmpstr (cr_member_get_name (last), ==, "bob");
  }
  refusal.count = 0;
  g_assert_true (cr_client_manage (alice, CR_MANAGE_MUTE, "dave", 0, NULL));
  cr_test_assert_wait (refused, &refusal, WAIT_MS);
  g_assert_cmpint (refusal.reason, ==, CR_REASON_NOT_ALLOWED);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&dave));
  cr_test_room_clear (&room);
}

static gboolean
recall_came (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
on_recalled (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* What a recall by client of seq came to: NONE, or the room's reason. */
static CrReason
recall_as (CrClient *client,
           guint64   seq)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  cr_client_recall_async (client, seq, NULL, on_recalled, &result);
  cr_test_assert_wait (recall_came, &result, 2 * WAIT_MS);
  if (cr_client_recall_finish (client, result, &error))
    return CR_REASON_NONE;
  g_assert_error (error, CR_CLIENT_ERROR, error->code);
  return error->code;
}

static CrMessage *
find_text (GListModel *messages,
           const char *text)
{
  for (guint i = g_list_model_get_n_items (messages); i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        return message;   /* the model keeps it */
    }
  return NULL;
}

static gboolean
is_recalled (gpointer data)
{
  return cr_message_get_recalled (data);
}

/* An admin removes a member's message at any time, never the owner's; a
 * member who is no admin only their own, within the window. */
static void
test_admin_removes (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) carol = NULL;
  CrMessage *spam, *owners, *carols;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, WAIT_MS, NULL);
  carol = cr_test_join (room.address, "carol", NULL, FALSE, WAIT_MS, NULL);
  appoint (&room, alice, "alice");

  g_assert_cmpint (say (bob, "buy cheap watches"), ==, CR_REASON_NONE);
  g_assert_true (cr_server_say (room.server, "homework is due friday", NULL));
  cr_test_assert_event (cr_client_get_messages (carol), CR_EVENT_OWNER_CHAT, NULL, WAIT_MS);
  cr_test_assert_event (cr_client_get_messages (alice), CR_EVENT_OWNER_CHAT, NULL, WAIT_MS);
  spam = find_text (cr_client_get_messages (alice), "buy cheap watches");
  owners = find_text (cr_client_get_messages (alice), "homework is due friday");
  g_assert_nonnull (spam);
  g_assert_nonnull (owners);

  /* Past the sender's own 2 minutes. */
  cr_server_advance_wall_clock (3 * G_TIME_SPAN_MINUTE);
  carols = find_text (cr_client_get_messages (carol), "buy cheap watches");
  g_assert_nonnull (carols);
  g_assert_cmpint (recall_as (carol, cr_message_get_seq (spam)), ==, CR_REASON_NOT_ALLOWED);
  g_assert_cmpint (recall_as (alice, cr_message_get_seq (owners)), ==, CR_REASON_NOT_ALLOWED);
  g_assert_cmpint (recall_as (alice, cr_message_get_seq (spam)), ==, CR_REASON_NONE);
  cr_test_assert_wait (is_recalled, carols, WAIT_MS);
  g_assert_cmpstr (cr_message_get_text (carols), ==, "");
  g_assert_false (cr_message_get_recalled (owners));

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_test_room_clear (&room);
}

/* A member who is no admin asks anyway: refused, counted, nothing done. */
static void
test_hostile_manage (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) mallory = NULL;
  Refusal refusal = { 0 };
  guint64 refused_before;
  static const CrManageAction actions[] = {
    CR_MANAGE_KICK, CR_MANAGE_MUTE, CR_MANAGE_MUTE_ALL, CR_MANAGE_BAN, CR_MANAGE_ADMIN,
    CR_MANAGE_PIN,
  };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  mallory = cr_test_join (room.address, "mallory", NULL, FALSE, WAIT_MS, NULL);
  g_signal_connect (mallory, "manage-refused", G_CALLBACK (on_manage_refused), &refusal);
  refused_before = manage_refused_count (&room);

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      refusal.count = 0;
      g_assert_true (cr_client_manage (mallory, actions[i], actions[i] == CR_MANAGE_ADMIN
                                                            ? "mallory" : "alice", 600, NULL));
      cr_test_assert_wait (refused, &refusal, WAIT_MS);
      g_assert_cmpint (refusal.reason, ==, CR_REASON_NOT_ALLOWED);
    }
  g_assert_cmpuint (manage_refused_count (&room), ==, refused_before + G_N_ELEMENTS (actions));

  /* Nothing changed: alice speaks, nobody is muted, banned or promoted. */
  g_assert_cmpint (say (alice, "still here"), ==, CR_REASON_NONE);
  g_assert_false (cr_server_get_mute_all (room.server));
  g_assert_cmpint (cr_client_get_role (mallory), ==, CR_ROLE_MEMBER);
  g_assert_false (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_MUTE, NULL));
  g_assert_false (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_KICK, NULL));

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&mallory));
  cr_test_room_clear (&room);
}

typedef struct
{
  CrClient *client;
  gboolean  want;
} MuteAllWait;

static gboolean
client_mute_all_is (gpointer data)
{
  MuteAllWait *wait = data;

  return cr_client_get_mute_all (wait->client) == wait->want;
}

/* Mute-all silences members, native and classic (the classic member's
 * "M" refused with the Chinese line), never the owner or an admin; the
 * line says who did it. */
static void
test_mute_all (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  CrTestClassic *carol;
  MuteAllWait bob_muted = { NULL, TRUE };
  MuteAllWait bob_free = { NULL, FALSE };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, WAIT_MS, NULL);
  carol = cr_test_classic_join (room.socket_address, "carol", WAIT_MS);
  appoint (&room, alice, "alice");
  bob_muted.client = bob_free.client = bob;

  /* The owner. */
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_MUTE_ALL, NULL, 0, &error));
  g_assert_no_error (error);
  g_assert_true (cr_server_get_mute_all (room.server));
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:群主开启了全员禁言", WAIT_MS));
  cr_test_assert_wait (client_mute_all_is, &bob_muted, WAIT_MS);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_MUTE_ALL, "", WAIT_MS);

  g_assert_cmpint (say (bob, "hello?"), ==, CR_REASON_MUTED_ALL);
  cr_test_socket_send_text (carol->sock, carol->room, "M carol is anyone there at all");
  g_assert_true (cr_test_classic_expect (carol, "全员禁言中：只有群主和管理员可以发言", WAIT_MS));
  g_assert_cmpint (say (alice, "quiet please"), ==, CR_REASON_NONE);
  g_assert_true (cr_server_say (room.server, "the lecture begins", &error));
  g_assert_no_error (error);
  g_assert_true (cr_test_classic_expect (carol, "群主说：the lecture begins", WAIT_MS));
  g_assert_false (cr_test_has_event (cr_client_get_messages (alice), CR_EVENT_CHAT, "bob"));

  /* An admin lifts it, and is named. */
  g_assert_true (cr_client_manage (alice, CR_MANAGE_UNMUTE_ALL, NULL, 0, NULL));
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:管理员 alice 关闭了全员禁言", WAIT_MS));
  cr_test_assert_wait (client_mute_all_is, &bob_free, WAIT_MS);
  g_assert_cmpint (say (bob, "thanks"), ==, CR_REASON_NONE);
  cr_test_socket_send_text (carol->sock, carol->room, "M carol me too");
  g_assert_true (cr_test_classic_expect (carol, "carol 说 :me too", WAIT_MS));

  cr_test_classic_free (carol);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_room_clear (&room);
}

static gboolean
not_muted (gpointer data)
{
  return cr_client_get_mute_end (data) == -1;
}

/* A mute for 10 minutes ends by itself when the room's clock gets there,
 * and not before. */
static void
test_timed_mute (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(GError) error = NULL;
  gint64 end;

  cr_test_room_start (&room, "127.0.0.1");
  /* The room's clock jumps 11 minutes: members must not time out for it. */
  cr_server_set_silence_timeout (room.server, 3600 * 1000);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, WAIT_MS, NULL);

  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_MUTE, "bob", 600, &error));
  g_assert_no_error (error);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_MUTE, "bob", WAIT_MS);
  g_assert_cmpint (say (bob, "hm"), ==, CR_REASON_MUTED);
  end = cr_client_get_mute_end (bob);
  g_assert_cmpint (end, >, g_get_monotonic_time () + 500 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (end, <=, g_get_monotonic_time () + 600 * G_TIME_SPAN_SECOND);
  g_assert_false (cr_test_has_event (cr_client_get_messages (bob), CR_EVENT_UNMUTE, "bob"));

  cr_server_advance_clock (11 * G_TIME_SPAN_MINUTE);
  /* The next datagram (bob's keepalive) makes the room look at its timers. */
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_UNMUTE, "bob", WAIT_MS);
  cr_test_assert_wait (not_muted, bob, WAIT_MS);
  g_assert_cmpint (say (bob, "free"), ==, CR_REASON_NONE);

  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_room_clear (&room);
}

typedef struct
{
  CrClient   *client;
  const char *pin;
} PinWait;

static gboolean
pin_is (gpointer data)
{
  PinWait *wait = data;

  return g_strcmp0 (cr_client_get_pin (wait->client), wait->pin) == 0;
}

/* The pin reaches a late joiner, native (STATE) and classic (a line after
 * the OK); it is replaced and removed for everyone. */
static void
test_pin (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) late = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  PinWait wait = { NULL, "Exam on Friday, room 101" };
  CrTestClassic *carol;

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_PIN, wait.pin, 0, &error));
  g_assert_no_error (error);
  wait.client = alice;
  cr_test_assert_wait (pin_is, &wait, WAIT_MS);

  /* Late joiners. */
  late = cr_test_join (room.address, "late", NULL, FALSE, WAIT_MS, NULL);
  wait.client = late;
  cr_test_assert_wait (pin_is, &wait, WAIT_MS);
  carol = cr_test_classic_join (room.socket_address, "carol", WAIT_MS);
  line = cr_test_socket_receive_text (carol->sock, WAIT_MS);
  g_assert_cmpstr (line, ==, "【群公告】Exam on Friday, room 101");

  /* Replaced, then removed. */
  wait.pin = "Exam moved to Monday";
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_PIN, wait.pin, 0, &error));
  g_assert_no_error (error);
  cr_test_assert_wait (pin_is, &wait, WAIT_MS);
  g_assert_true (cr_test_classic_expect (carol, "【群公告】Exam moved to Monday", WAIT_MS));
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_PIN, "", 0, &error));
  g_assert_no_error (error);
  wait.pin = NULL;
  cr_test_assert_wait (pin_is, &wait, WAIT_MS);
  wait.client = alice;
  cr_test_assert_wait (pin_is, &wait, WAIT_MS);
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:群主撤下了群公告", WAIT_MS));
  g_assert_null (cr_server_dup_pin (room.server));

  cr_test_classic_free (carol);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&late));
  cr_test_room_clear (&room);
}

static gboolean
server_stopped (gpointer data)
{
  return !cr_server_get_running (data);
}

/* The room stops, and starts again over the same data dir, its wall
 * clock advance_us further on. */
static void
restart_room (CrTestRoom *room,
              gint64      advance_us)
{
  cr_server_stop (room->server);
  cr_test_assert_wait (server_stopped, room->server, WAIT_MS);
  g_clear_object (&room->server);
  if (advance_us > 0)
    cr_server_advance_wall_clock (advance_us);
  cr_test_room_start_on (room, "127.0.0.1", 0);
}

/* Admins, the pin and mute-all are the room's: a restart keeps them. */
static void
test_restart (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) admins = NULL;
  g_autofree char *pin = NULL;
  RoleWait admin = { NULL, "alice", CR_ROLE_ADMIN };
  PinWait pinned = { NULL, "Be kind" };
  MuteAllWait muted = { NULL, TRUE };

  cr_test_room_start (&room, "127.0.0.1");
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_ADMIN, "alice", 0, &error));
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_PIN, "Be kind", 0, &error));
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_MUTE_ALL, NULL, 0, &error));
  g_assert_no_error (error);

  restart_room (&room, 0);

  admins = cr_server_dup_admins (room.server);
  g_assert_cmpuint (g_strv_length (admins), ==, 1);
  g_assert_cmpstr (admins[0], ==, "alice");
  pin = cr_server_dup_pin (room.server);
  g_assert_cmpstr (pin, ==, "Be kind");
  g_assert_true (cr_server_get_mute_all (room.server));

  /* alice comes back an admin, and may speak under mute-all. */
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  admin.client = pinned.client = muted.client = alice;
  cr_test_assert_wait (own_role_is, &admin, WAIT_MS);
  cr_test_assert_wait (pin_is, &pinned, WAIT_MS);
  cr_test_assert_wait (client_mute_all_is, &muted, WAIT_MS);
  g_assert_cmpint (say (alice, "hello class"), ==, CR_REASON_NONE);

  /* Removed, and it stays removed. */
  g_assert_true (cr_server_moderate (room.server, CR_MANAGE_UNADMIN, "alice", 0, &error));
  g_assert_no_error (error);
  admin.role = CR_ROLE_MEMBER;
  cr_test_assert_wait (own_role_is, &admin, WAIT_MS);
  g_assert_cmpint (say (alice, "oh"), ==, CR_REASON_MUTED_ALL);

  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_room_clear (&room);
}

static gboolean
mute_has_end (gpointer data)
{
  return cr_client_get_mute_end (data) > 0;
}

static gboolean
client_closed (gpointer data)
{
  return cr_client_get_state (data) == CR_CLIENT_CLOSED;
}

/* The consoles: chatroomd's /pin, /admin, /muteall, /mute NAME DURATION,
 * /unpin; chatroom-cli shows the pin on join and lets an admin /kick. */
static void
test_consoles (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  const char *daemon_argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir, NULL };
  const char *cli_argv[] = { CHATROOM_CLI_PATH, "dave", address, NULL };
  g_autofree char *pinned = g_strdup_printf (_("Pinned announcement: %s"), "Hello class");
  g_autofree char *old_pinned = g_strdup_printf (_("Pinned announcement: %s"), "Old news");
  g_autofree char *appointed = g_strdup_printf (_("%s is now an admin"), "dave");
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  PinWait pin = { NULL, "Hello class" };
  MuteAllWait muted = { NULL, TRUE };
  CrTestChild *daemon;
  CrTestChild *dave;

  daemon = cr_test_child_spawn (daemon_argv, TRUE);
  cr_test_child_expect (daemon, listen, 15000);
  alice = cr_test_join (address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (address, "bob", NULL, FALSE, WAIT_MS, NULL);
  pin.client = muted.client = alice;

  /* Replaced before anyone else comes: only the newest is shown. */
  cr_test_child_write_line (daemon, "/pin Old news");
  cr_test_child_write_line (daemon, "/pin Hello class");
  cr_test_assert_wait (pin_is, &pin, WAIT_MS);

  /* A member in a terminal sees the pin as it joins; made an admin, it kicks. */
  dave = cr_test_child_spawn (cli_argv, TRUE);
  cr_test_child_expect (dave, pinned, WAIT_MS);
  g_assert_null (strstr (dave->output->str, old_pinned));
  cr_test_child_write_line (daemon, "/admin dave");
  cr_test_child_expect (dave, appointed, WAIT_MS);
  cr_test_child_write_line (dave, "/kick bob");
  cr_test_assert_wait (client_closed, bob, WAIT_MS);
  g_assert_cmpint (cr_client_get_close_reason (bob), ==, CR_REASON_KICKED);

  cr_test_child_write_line (daemon, "/muteall");
  cr_test_assert_wait (client_mute_all_is, &muted, WAIT_MS);
  cr_test_child_write_line (daemon, "/mute alice 5x");
  cr_test_child_expect (daemon, _("Say how long as 10m, 1h, 1d or none (until lifted): "
                                  "/mute NAME 10m"), WAIT_MS);
  cr_test_child_write_line (daemon, "/mute alice 10m");
  cr_test_assert_wait (mute_has_end, alice, WAIT_MS);
  cr_test_child_write_line (daemon, "/unpin");
  pin.pin = NULL;
  cr_test_assert_wait (pin_is, &pin, WAIT_MS);

  cr_test_child_write_line (dave, "/quit");
  cr_test_child_free (dave);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_child_write_line (daemon, "/quit");
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

/* Durations as the consoles take them. */
static void
test_durations (void)
{
  gint64 seconds = -1;

  g_assert_true (cr_duration_parse ("10m", &seconds));
  g_assert_cmpint (seconds, ==, 600);
  g_assert_true (cr_duration_parse ("1h", &seconds));
  g_assert_cmpint (seconds, ==, 3600);
  g_assert_true (cr_duration_parse ("1d", &seconds));
  g_assert_cmpint (seconds, ==, 86400);
  g_assert_true (cr_duration_parse ("none", &seconds));
  g_assert_cmpint (seconds, ==, 0);
  g_assert_false (cr_duration_parse ("", &seconds));
  g_assert_false (cr_duration_parse ("10", &seconds));
  g_assert_false (cr_duration_parse ("-1h", &seconds));
  g_assert_false (cr_duration_parse ("0m", &seconds));
  g_assert_false (cr_duration_parse ("1hh", &seconds));
  g_assert_false (cr_duration_parse ("400d", &seconds));
  g_assert_false (cr_duration_parse ("99999999999999999999d", &seconds));
}

/* Who acted (issue 15, debts) ----------------------------------------------- */

/* The display of the newest message of kind about name (transfer full). */
static char *
display_of (GListModel  *messages,
            CrEventKind  kind,
            const char  *name)
{
  for (guint i = g_list_model_get_n_items (messages); i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (cr_message_get_kind (message) == kind &&
          g_strcmp0 (cr_message_get_sender (message), name) == 0)
        return cr_message_dup_display (message);
    }
  g_assert_not_reached ();
}

/* An admin's kick and mute reach every member naming the admin, the
 * owner's still "by the owner": native members through the EVENT's "by"
 * (rendered in the process's language: chinese or English), a classic
 * member as the room's own line (the room speaks zh_CN), and a late
 * joiner through the history. */
static void
admin_named (gboolean chinese)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrClient) alice = NULL;
  g_autoptr(CrClient) bob = NULL;
  g_autoptr(CrClient) dave = NULL;
  g_autoptr(CrClient) erin = NULL;
  g_autoptr(CrClient) late = NULL;
  g_autoptr(GError) error = NULL;
  Closed erin_closed = { 0 };
  CrTestClassic *carol;
  struct {
    CrEventKind  kind;
    const char  *name;
    const char  *en;
    const char  *zh;
  } lines[] = {
    { CR_EVENT_MUTE, "dave", "dave was muted by admin alice", "dave 已被管理员 alice 禁言" },
    { CR_EVENT_KICK, "erin", "erin was removed from the room by admin alice",
      "erin 被管理员 alice 移出了聊天室" },
    { CR_EVENT_KICK, "dave", "dave was removed from the room by the owner",
      "dave 被群主移出了聊天室" },
    { CR_EVENT_BAN, "frank", "frank was banned by the owner", "frank 已被群主封禁" },
  };

  cr_test_room_start (&room, "127.0.0.1");
  alice = cr_test_join (room.address, "alice", NULL, FALSE, WAIT_MS, NULL);
  bob = cr_test_join (room.address, "bob", NULL, FALSE, WAIT_MS, NULL);
  dave = cr_test_join (room.address, "dave", NULL, FALSE, WAIT_MS, NULL);
  erin = cr_test_join (room.address, "erin", NULL, FALSE, WAIT_MS, NULL);
  carol = cr_test_classic_join (room.socket_address, "carol", WAIT_MS);
  g_signal_connect (erin, "closed", G_CALLBACK (on_closed), &erin_closed);
  appoint (&room, alice, "alice");

  g_assert_true (cr_client_manage (alice, CR_MANAGE_MUTE, "dave", 0, &error));
  g_assert_no_error (error);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_MUTE, "dave", WAIT_MS);
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:dave 已被管理员 alice 禁言", WAIT_MS));

  g_assert_true (cr_client_manage (alice, CR_MANAGE_KICK, "erin", 0, &error));
  g_assert_no_error (error);
  cr_test_assert_wait (is_closed, &erin_closed, WAIT_MS);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_KICK, "erin", WAIT_MS);
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:erin 被管理员 alice 移出了聊天室", WAIT_MS));

  /* The owner's own acts. */
  g_assert_true (cr_server_kick (room.server, "dave", &error));
  g_assert_true (cr_server_ban (room.server, "frank", &error));
  g_assert_no_error (error);
  cr_test_assert_event (cr_client_get_messages (bob), CR_EVENT_BAN, "frank", WAIT_MS);
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:dave 被群主移出了聊天室", WAIT_MS));
  g_assert_true (cr_test_classic_expect (carol, "【系统消息】:frank 已被群主封禁", WAIT_MS));

  late = cr_test_join (room.address, "late", NULL, FALSE, WAIT_MS, NULL);
  cr_test_assert_event (cr_client_get_messages (late), CR_EVENT_BAN, "frank", WAIT_MS);
  for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      CrClient *readers[] = { bob, late };

      for (guint j = 0; j < G_N_ELEMENTS (readers); j++)
        {
          g_autofree char *shown = display_of (cr_client_get_messages (readers[j]),
                                               lines[i].kind, lines[i].name);

          g_assert_cmpstr (shown, ==, chinese ? lines[i].zh : lines[i].en);
        }
    }

  cr_test_classic_free (carol);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_leave_and_free (g_steal_pointer (&bob));
  cr_test_leave_and_free (g_steal_pointer (&late));
  g_clear_object (&dave);
  g_clear_object (&erin);
  cr_test_room_clear (&room);
}

static void
test_admin_named (void)
{
  admin_named (FALSE);
}

static void
test_admin_named_chinese (void)
{
  if (g_test_subprocess ())
    {
      /* The process's language (tests/meson.build points the catalogs at
       * the build's po/). */
      g_setenv ("LANGUAGE", "zh_CN", TRUE);
      cr_locale_init ();
      admin_named (TRUE);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT |
                                   G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A ban by an admin is refused today, but its line is ready: rendered in
 * both languages, formatted for classic members in both tables and parsed
 * back by a member's classic dialect; "by" on the wire is a name or the
 * whole event is refused. */
static void
test_admin_named_lines (void)
{
  struct {
    CrEventKind  kind;
    const char  *en;
    const char  *zh;
    const char  *classic_en;
    const char  *classic_zh;
  } cases[] = {
    { CR_EVENT_BAN, "bob was banned by admin 张三", "bob 已被管理员 张三 封禁",
      "[System] bob was banned by admin 张三", "【系统消息】:bob 已被管理员 张三 封禁" },
    { CR_EVENT_KICK, "bob was removed from the room by admin 张三",
      "bob 被管理员 张三 移出了聊天室", "[System] bob was removed from the room by admin 张三",
      "【系统消息】:bob 被管理员 张三 移出了聊天室" },
    { CR_EVENT_MUTE, "bob was muted by admin 张三", "bob 已被管理员 张三 禁言",
      "[System] bob was muted by admin 张三", "【系统消息】:bob 已被管理员 张三 禁言" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CrEvent) event = cr_event_new (7, 1, cases[i].kind, "bob", "", 0);
      g_autoptr(CrEvent) owners = cr_event_new (7, 1, cases[i].kind, "bob", "", 0);
      g_autofree char *en = NULL;
      g_autofree char *zh = NULL;
      g_autofree char *owner_en = NULL;
      const char *classic[] = { "en", cases[i].classic_en, "zh_CN", cases[i].classic_zh };

      event->actor = g_strdup ("张三");
      en = cr_render_event (event, "en");
      zh = cr_render_event (event, "zh_CN");
      owner_en = cr_render_event (owners, "en");
      g_assert_cmpstr (en, ==, cases[i].en);
      g_assert_cmpstr (zh, ==, cases[i].zh);
      g_assert_null (strstr (owner_en, "admin"));
      g_assert_nonnull (strstr (owner_en, "by the owner"));

      for (guint j = 0; j < G_N_ELEMENTS (classic); j += 2)
        {
          g_autoptr(GPtrArray) formatted =
            cr_classic_format_event (cr_classic_table_lookup (classic[j]), event);
          g_autoptr(CrEvent) parsed = NULL;

          g_assert_cmpuint (formatted->len, ==, 1);
          g_assert_cmpstr (formatted->pdata[0], ==, classic[j + 1]);
          parsed = cr_classic_parse_line (formatted->pdata[0], 1, 1);
          g_assert_cmpint (parsed->kind, ==, cases[i].kind);
          g_assert_cmpstr (parsed->name, ==, "bob");
          g_assert_cmpstr (parsed->actor, ==, "张三");
        }

      /* The wire: there and back, then a "by" that is no name. */
      {
        g_autoptr(GBytes) body = cr_body_event (event);
        g_autoptr(GVariant) parsed_body = cr_body_parse (CR_PACKET_EVENT,
                                                         g_bytes_get_data (body, NULL),
                                                         g_bytes_get_size (body));
        g_autoptr(CrEvent) back = cr_event_from_body (parsed_body);

        g_assert_cmpstr (back->actor, ==, "张三");
      }
    }

  {
    const char *bad[] = { "two words", "", "line\nbreak" };

    for (guint i = 0; i < G_N_ELEMENTS (bad) + 1; i++)
      {
        GVariantBuilder extras;
        g_autoptr(GVariant) body = NULL;
        g_autoptr(CrEvent) event = NULL;

        g_variant_builder_init (&extras, G_VARIANT_TYPE_VARDICT);
        g_variant_builder_add (&extras, "{sv}", "by",
                               i < G_N_ELEMENTS (bad) ? g_variant_new_string (bad[i])
                                                      : g_variant_new_uint32 (7));
        body = g_variant_ref_sink (g_variant_new ("(txussta{sv})", (guint64) 3, (gint64) 1,
                                                  (guint32) CR_EVENT_KICK, "bob", "",
                                                  (guint64) 0, &extras));
        event = cr_event_from_body (body);
        g_assert_null (event);
      }
  }
}

/* Mutes outlive a restart (issue 15, debts) -------------------------------- */

/* The room's mutes as the console lists them: names sorted. */
static GPtrArray *
mutes_of (CrTestRoom *room)
{
  return cr_server_dup_mutes (room->server);
}

/* A mute for 1 h, one until lifted and one for 10 min; the room restarts
 * over the same data dir 11 minutes later (on the wall clock): the first
 * two hold (the member muted again as it comes back, with what is left),
 * the third ended while the room was down and is gone, from the store
 * too. Runs last: the wall clock stays advanced. */
static void
test_mute_restart (void)
{
  CrTestRoom room = { 0 };
  const char *names[] = { "bob", "dave", "erin" };
  const gint64 seconds[] = { 3600, 0, 600 };
  CrClient *clients[G_N_ELEMENTS (names)] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) mutes = NULL;
  gint64 bob_end;
  gint64 end;

  cr_test_room_start (&room, "127.0.0.1");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      clients[i] = cr_test_join (room.address, names[i], NULL, FALSE, WAIT_MS, NULL);
      g_assert_true (cr_server_moderate (room.server, CR_MANAGE_MUTE, names[i], seconds[i],
                                         &error));
      g_assert_no_error (error);
      cr_test_assert_event (cr_client_get_messages (clients[i]), CR_EVENT_MUTE, names[i],
                            WAIT_MS);
    }
  mutes = mutes_of (&room);
  g_assert_cmpuint (mutes->len, ==, 3);
  bob_end = ((CrStoreMute *) mutes->pdata[0])->until;
  g_clear_pointer (&mutes, g_ptr_array_unref);

  restart_room (&room, 11 * G_TIME_SPAN_MINUTE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_clear_object (&clients[i]);

  /* Before anyone comes back: what the console lists. */
  mutes = mutes_of (&room);
  g_assert_cmpuint (mutes->len, ==, 2);
  {
    const CrStoreMute *bob = mutes->pdata[0];
    const CrStoreMute *dave = mutes->pdata[1];

    /* The same end on the wall clock (the room's, which earlier tests may
     * have moved on too), give or take the clocks' drift. */
    g_assert_cmpstr (bob->name, ==, "bob");
    g_assert_cmpint (ABS (bob->until - bob_end), <, G_TIME_SPAN_SECOND);
    g_assert_cmpstr (dave->name, ==, "dave");
    g_assert_cmpint (dave->until, ==, 0);
  }

  /* They come back. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    clients[i] = cr_test_join (room.address, names[i], NULL, FALSE, WAIT_MS, NULL);
  cr_test_assert_wait (mute_has_end, clients[0], WAIT_MS);
  end = cr_client_get_mute_end (clients[0]);
  g_assert_cmpint (end, >, g_get_monotonic_time () + 45 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (end, <=, g_get_monotonic_time () + 49 * G_TIME_SPAN_MINUTE);
  g_assert_cmpint (say (clients[0], "still?"), ==, CR_REASON_MUTED);
  g_assert_cmpint (say (clients[1], "still?"), ==, CR_REASON_MUTED);
  g_assert_cmpint (cr_client_get_mute_end (clients[1]), ==, 0);
  g_assert_cmpint (say (clients[2], "free again"), ==, CR_REASON_NONE);
  g_assert_cmpint (cr_client_get_mute_end (clients[2]), ==, -1);

  /* Lifted now: it stays lifted through the next restart. */
  g_assert_true (cr_server_unmute (room.server, "dave", &error));
  g_assert_no_error (error);
  restart_room (&room, 0);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_clear_object (&clients[i]);
  g_clear_pointer (&mutes, g_ptr_array_unref);
  mutes = mutes_of (&room);
  g_assert_cmpuint (mutes->len, ==, 1);
  g_assert_cmpstr (((CrStoreMute *) mutes->pdata[0])->name, ==, "bob");

  cr_test_room_clear (&room);
}

/* The consoles after a restart: chatroomd's /mutes lists a 1 h mute with
 * what is left, and chatroom-cli tells the member it comes back muted. */
static void
test_mute_restart_consoles (void)
{
  g_autofree char *dir = cr_test_make_tmpdir ();
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  const char *daemon_argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir, NULL };
  const char *cli_argv[] = { CHATROOM_CLI_PATH, "alice", address, NULL };
  g_autofree char *listed = g_strdup_printf (ngettext ("  %s  for %d more minute",
                                                       "  %s  for %d more minutes", 60),
                                             "alice", 60);
  g_autofree char *told = g_strdup_printf (ngettext ("You are muted for %d more minute.",
                                                     "You are muted for %d more minutes.", 60),
                                           60);
  g_autoptr(CrClient) alice = NULL;
  CrTestChild *daemon;
  CrTestChild *cli;

  daemon = cr_test_child_spawn (daemon_argv, TRUE);
  cr_test_child_expect (daemon, listen, 15000);
  cr_test_child_write_line (daemon, "/mutes");
  cr_test_child_expect (daemon, _("Nobody is muted."), WAIT_MS);
  alice = cr_test_join (address, "alice", NULL, FALSE, WAIT_MS, NULL);
  cr_test_child_write_line (daemon, "/mute alice 1h");
  cr_test_assert_wait (mute_has_end, alice, WAIT_MS);
  cr_test_leave_and_free (g_steal_pointer (&alice));
  cr_test_child_write_line (daemon, "/quit");
  cr_test_child_free (daemon);

  daemon = cr_test_child_spawn (daemon_argv, TRUE);
  cr_test_child_expect (daemon, listen, 15000);
  cr_test_child_write_line (daemon, "/mutes");
  cr_test_child_expect (daemon, listed, WAIT_MS);
  cli = cr_test_child_spawn (cli_argv, TRUE);
  cr_test_child_expect (cli, told, WAIT_MS);

  cr_test_child_write_line (cli, "/quit");
  cr_test_child_free (cli);
  cr_test_child_write_line (daemon, "/quit");
  cr_test_child_free (daemon);
  cr_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  cr_locale_init ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/moderation/admin-rights", test_admin_rights);
  g_test_add_func ("/chatroom/moderation/admin-removes", test_admin_removes);
  g_test_add_func ("/chatroom/moderation/hostile-manage", test_hostile_manage);
  g_test_add_func ("/chatroom/moderation/mute-all", test_mute_all);
  g_test_add_func ("/chatroom/moderation/timed-mute", test_timed_mute);
  g_test_add_func ("/chatroom/moderation/pin", test_pin);
  g_test_add_func ("/chatroom/moderation/restart", test_restart);
  g_test_add_func ("/chatroom/moderation/durations", test_durations);
  g_test_add_func ("/chatroom/moderation/consoles", test_consoles);
  g_test_add_func ("/chatroom/moderation/admin-named", test_admin_named);
  g_test_add_func ("/chatroom/moderation/admin-named-chinese", test_admin_named_chinese);
  g_test_add_func ("/chatroom/moderation/admin-named-lines", test_admin_named_lines);
  g_test_add_func ("/chatroom/moderation/mute-restart-consoles", test_mute_restart_consoles);
  /* Last: it leaves the rooms' wall clock 11 minutes ahead. */
  g_test_add_func ("/chatroom/moderation/mute-restart", test_mute_restart);

  return g_test_run ();
}
