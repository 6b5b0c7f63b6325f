/* test-hosted-room.c: a room on its own thread ("threaded", as the app
 * hosts it: cr-server-thread.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The members here are raw classic sockets read with blocking, bounded
 * waits, so they need no main loop: the first test blocks the main
 * context for a second and expects the room to fan out meanwhile.
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "cr-file-client.h"
#include "cr-server.h"
#include "cr-test-utils.h"

#define WAIT_MS 10000

/* A classic member on a blocking socket ---------------------------- */

typedef struct {
  GSocket        *socket;
  GSocketAddress *room;
  char           *name;
} Member;

static void
member_send (Member     *member,
             const char *text)
{
  g_autoptr(GError) error = NULL;

  g_socket_send_to (member->socket, member->room, text, strlen (text), NULL, &error);
  g_assert_no_error (error);
}

/* A chat line, as the classroom programs send it. */
static void
member_say (Member     *member,
            const char *text)
{
  g_autofree char *line = g_strdup_printf ("M %s %s", member->name, text);

  member_send (member, line);
}

/* The next line, waiting until deadline (monotonic µs); NULL when none
 * came. */
static char *
member_receive (Member *member,
                gint64  deadline)
{
  char buffer[2048];
  gint64 left = deadline - g_get_monotonic_time ();
  gssize n;

  if (left <= 0)
    return NULL;
  g_socket_set_timeout (member->socket, MAX (1, (guint) (left / G_USEC_PER_SEC)));
  if (!g_socket_condition_timed_wait (member->socket, G_IO_IN, left, NULL, NULL))
    return NULL;
  n = g_socket_receive (member->socket, buffer, sizeof buffer, NULL, NULL);
  if (n < 0)
    return NULL;
  return g_strndup (buffer, n);
}

/* Whether a line containing want arrives before deadline. */
static gboolean
member_expect (Member     *member,
               const char *want,
               gint64      deadline)
{
  for (;;)
    {
      g_autofree char *line = member_receive (member, deadline);

      if (line == NULL)
        return FALSE;
      if (strstr (line, want) != NULL)
        return TRUE;
    }
}

/* Whether "OK" came (a wait condition: the main loop runs between its
 * looks, so a room on it answers too). */
static gboolean
member_welcomed (gpointer data)
{
  Member *member = data;

  while (g_socket_condition_check (member->socket, G_IO_IN) & G_IO_IN)
    {
      g_autofree char *line = member_receive (member, g_get_monotonic_time () + 1000);

      if (line != NULL && g_str_equal (line, "OK"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
on_readable (GSocket      *socket,
             GIOCondition  condition,
             gpointer      data)
{
  return G_SOURCE_CONTINUE;
}

static Member *
member_join (guint16     port,
             const char *name)
{
  Member *member = g_new0 (Member, 1);
  g_autoptr(GSocketAddress) local = cr_test_socket_address ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = g_strdup_printf ("N %s", name);
  GSource *readable;

  member->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                 G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (member->socket, local, FALSE, &error);
  g_assert_no_error (error);
  member->room = cr_test_socket_address ("127.0.0.1", port);
  member->name = g_strdup (name);
  /* The wait wakes when a datagram comes. */
  readable = g_socket_create_source (member->socket, G_IO_IN, NULL);
  g_source_set_callback (readable, G_SOURCE_FUNC (on_readable), NULL, NULL);
  g_source_attach (readable, NULL);
  member_send (member, hello);
  g_assert_true (cr_test_wait_until (member_welcomed, member, WAIT_MS));
  g_source_destroy (readable);
  g_source_unref (readable);
  return member;
}

static void
member_free (Member *member)
{
  g_socket_close (member->socket, NULL);
  g_object_unref (member->socket);
  g_object_unref (member->room);
  g_free (member->name);
  g_free (member);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Member, member_free)

/* A threaded room ---------------------------------------------------- */

typedef struct {
  char     *dir;
  CrServer *server;
  guint16   port;
  /* what reached the main context */
  guint     events;
  guint     model_changes;
  guint     members_changed;
  gboolean  stopped;
  GPtrArray *event_kinds;   /* GUINT_TO_POINTER (CrEventKind) */
} Room;

static GThread *main_thread;

/* Every signal and model change must come on the main context: inside its
 * dispatch (it owns the context), or from a call of the test's own. */
static void
assert_main (void)
{
  GMainContext *context = g_main_context_default ();

  g_assert_true (g_thread_self () == main_thread);
  if (!g_main_context_is_owner (context))
    {
      g_assert_true (g_main_context_acquire (context));
      g_main_context_release (context);
    }
}

static void
on_event (CrServer      *server,
          const CrEvent *event,
          Room          *room)
{
  assert_main ();
  room->events++;
  g_ptr_array_add (room->event_kinds, GUINT_TO_POINTER (event->kind));
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Room       *room)
{
  assert_main ();
  room->model_changes++;
}

static void
on_members_changed (CrServer *server,
                    Room     *room)
{
  assert_main ();
  room->members_changed++;
}

static void
on_stopped (CrServer *server,
            Room     *room)
{
  assert_main ();
  room->stopped = TRUE;
}

static void
on_notify (CrServer   *server,
           GParamSpec *pspec,
           Room       *room)
{
  assert_main ();
}

static void
room_start (Room     *room,
            gboolean  threaded)
{
  g_autoptr(GError) error = NULL;

  room->dir = cr_test_make_tmpdir ();
  room->event_kinds = g_ptr_array_new ();
  room->server = g_object_new (CR_TYPE_SERVER, "data-dir", room->dir, "room-name", "hosted",
                               "language", "en", "threaded", threaded, NULL);
  g_signal_connect (room->server, "event", G_CALLBACK (on_event), room);
  g_signal_connect (room->server, "members-changed", G_CALLBACK (on_members_changed), room);
  g_signal_connect (room->server, "stopped", G_CALLBACK (on_stopped), room);
  g_signal_connect (room->server, "notify", G_CALLBACK (on_notify), room);
  g_signal_connect (cr_server_get_members (room->server), "items-changed",
                    G_CALLBACK (on_items_changed), room);
  g_assert_true (cr_server_start (room->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  room->port = cr_server_get_port (room->server);
  g_assert_cmpuint (room->port, >, 0);
}

static void
room_clear (Room *room)
{
  if (room->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (cr_server_get_members (room->server), room);
      g_signal_handlers_disconnect_by_data (room->server, room);
      g_assert_finalize_object (room->server);
      room->server = NULL;
    }
  cr_test_remove_tree (room->dir);
  g_clear_pointer (&room->dir, g_free);
  g_clear_pointer (&room->event_kinds, g_ptr_array_unref);
}

static gboolean
has_member (Room       *room,
            const char *name)
{
  return cr_test_has_member (cr_server_get_members (room->server), name);
}

typedef struct {
  Room       *room;
  const char *name;
} Named;

static gboolean
member_listed (gpointer data)
{
  Named *named = data;

  return has_member (named->room, named->name);
}

static gboolean
member_gone (gpointer data)
{
  return !member_listed (data);
}

static gboolean
room_stopped (gpointer data)
{
  return ((Room *) data)->stopped;
}

/* The room fans out while the window's loop is busy ----------------- */

#define BLOCKED_LINES 5
#define BLOCK_US      G_USEC_PER_SEC

typedef struct {
  Member  *alice;
  Member  *bob;
  guint    heard;       /* alice's lines bob heard while the loop was blocked */
  gint64   blocked_for;
  gboolean done;
} Block;

/* Holds the main context about a second: alice speaks and bob listens,
 * with nothing of the main loop running. */
static gboolean
block_main (gpointer data)
{
  Block *block = data;
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + BLOCK_US;

  for (guint i = 0; i < BLOCKED_LINES; i++)
    {
      g_autofree char *text = g_strdup_printf ("blocked line %u", i);

      member_say (block->alice, text);
      if (member_expect (block->bob, text, deadline))
        block->heard++;
    }
  if (g_get_monotonic_time () < deadline)
    g_usleep (deadline - g_get_monotonic_time ());
  block->blocked_for = g_get_monotonic_time () - start;
  block->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
block_done (gpointer data)
{
  return ((Block *) data)->done;
}

static gboolean
events_at_least (gpointer data)
{
  Room *room = data;

  /* alice's and bob's joins, and the lines */
  return room->events >= 2 + BLOCKED_LINES;
}

static void
test_fans_out_while_blocked (void)
{
  Room room = { 0 };
  Block block = { 0 };
  g_autoptr(Member) alice = NULL;
  g_autoptr(Member) bob = NULL;
  Named listed = { &room, "bob" };
  guint chats = 0;

  room_start (&room, TRUE);
  alice = member_join (room.port, "alice");
  bob = member_join (room.port, "bob");
  block.alice = alice;
  block.bob = bob;

  g_idle_add (block_main, &block);
  cr_test_assert_wait (block_done, &block, WAIT_MS);
  g_assert_cmpint (block.blocked_for, >=, BLOCK_US);
  /* Every line went through the room while the main context was held. */
  g_assert_cmpuint (block.heard, ==, BLOCKED_LINES);

  /* And the owner's side heard all of it afterwards, on the main
   * context (the handlers assert it). */
  cr_test_assert_wait (events_at_least, &room, WAIT_MS);
  cr_test_assert_wait (member_listed, &listed, WAIT_MS);
  g_assert_true (has_member (&room, "alice"));
  for (guint i = 0; i < room.event_kinds->len; i++)
    chats += GPOINTER_TO_UINT (room.event_kinds->pdata[i]) == CR_EVENT_CHAT;
  g_assert_cmpuint (chats, ==, BLOCKED_LINES);
  g_assert_cmpuint (room.model_changes, >, 0);
  g_assert_cmpuint (room.members_changed, >, 0);

  cr_server_stop (room.server);
  cr_test_assert_wait (room_stopped, &room, WAIT_MS);
  room_clear (&room);
}

/* The owner's calls act in the room ---------------------------------- */

typedef struct {
  CrServer   *server;
  const char *name;
  guint       flags;
} Flagged;

static gboolean
member_flagged (gpointer data)
{
  Flagged *flagged = data;
  GListModel *members = cr_server_get_members (flagged->server);

  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_str_equal (cr_member_get_name (member), flagged->name))
        return (cr_member_get_flags (member) & flagged->flags) == flagged->flags;
    }
  return FALSE;
}

static gint64
soon (void)
{
  return g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
}

static void
test_owner_calls (void)
{
  Room room = { 0 };
  g_autoptr(Member) alice = NULL;
  g_autoptr(Member) bob = NULL;
  g_autoptr(Member) dave = NULL;
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  Named bob_listed = { &room, "bob" };
  Flagged alice_muted = { NULL, "alice", CR_MEMBER_MUTED };

  room_start (&room, TRUE);
  alice_muted.server = room.server;
  alice = member_join (room.port, "alice");
  bob = member_join (room.port, "bob");
  cr_test_assert_wait (member_listed, &bob_listed, WAIT_MS);

  /* Announce: every member hears it. */
  g_assert_true (cr_server_announce (room.server, "an announcement", &error));
  g_assert_no_error (error);
  g_assert_true (member_expect (bob, "an announcement", soon ()));
  g_assert_true (member_expect (alice, "an announcement", soon ()));

  /* Mute: alice's flags follow on the main context, and her lines stop. */
  g_assert_true (cr_server_mute (room.server, "alice", &error));
  g_assert_no_error (error);
  cr_test_assert_wait (member_flagged, &alice_muted, WAIT_MS);
  member_say (alice, "said while muted");
  g_assert_true (cr_server_say (room.server, "owner after the mute", &error));
  g_assert_no_error (error);
  {
    /* The owner's line comes after alice's would have: bob hears the
     * owner's only. */
    gint64 deadline = soon ();
    gboolean heard_muted = FALSE;

    for (;;)
      {
        g_autofree char *line = member_receive (bob, deadline);

        g_assert_nonnull (line);
        heard_muted |= strstr (line, "said while muted") != NULL;
        if (strstr (line, "owner after the mute") != NULL)
          break;
      }
    g_assert_false (heard_muted);
  }
  /* A refusal comes back as an error, as from a room on this loop. */
  g_assert_false (cr_server_kick (room.server, "nobody", &error));
  g_assert_error (error, CR_SERVER_ERROR, CR_REASON_NO_SUCH_MEMBER);
  g_clear_error (&error);

  /* Kick: bob hears it and leaves the list. */
  g_assert_true (cr_server_kick (room.server, "bob", &error));
  g_assert_no_error (error);
  g_assert_true (member_expect (bob, "removed", soon ()));
  cr_test_assert_wait (member_gone, &bob_listed, WAIT_MS);

  /* Room name: a member joining now reads the new one. */
  cr_server_set_room_name (room.server, "renamed");
  g_assert_cmpstr (cr_server_get_room_name (room.server), ==, "renamed");
  address = cr_test_address ("127.0.0.1", room.port);
  carol = cr_test_join (address, "carol", NULL, FALSE, WAIT_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cr_client_get_room_name (carol), ==, "renamed");

  /* Max members: alice and carol are in; one more is refused. */
  cr_server_set_max_members (room.server, 2);
  {
    g_autoptr(CrClient) erin = cr_test_join (address, "erin", NULL, FALSE, WAIT_MS, &error);

    g_assert_error (error, CR_CLIENT_ERROR, CR_REASON_ROOM_FULL);
    g_clear_error (&error);
  }
  cr_server_set_max_members (room.server, 10);
  dave = member_join (room.port, "dave");

  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_server_stop (room.server);
  cr_test_assert_wait (room_stopped, &room, WAIT_MS);
  g_assert_false (cr_server_get_running (room.server));
  g_assert_cmpuint (cr_server_get_port (room.server), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (room.server)), ==, 0);
  /* The thread is gone: a call fails at once. */
  g_assert_false (cr_server_say (room.server, "after the close", &error));
  g_assert_error (error, CR_SERVER_ERROR, CR_REASON_ROOM_CLOSED);
  room_clear (&room);
}

/* Shared files: the service runs on the room's context ------------------ */

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Upload;

static void
on_uploaded (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Upload *upload = data;
  CrFileTransferStats stats;

  upload->ok = cr_file_client_upload_finish (CR_FILE_CLIENT (source), result, &stats,
                                             &upload->error);
  upload->done = TRUE;
}

static gboolean
upload_done (gpointer data)
{
  return ((Upload *) data)->done;
}

static gboolean
file_event_seen (gpointer data)
{
  Room *room = data;

  for (guint i = 0; i < room->event_kinds->len; i++)
    if (GPOINTER_TO_UINT (room->event_kinds->pdata[i]) == CR_EVENT_FILE)
      return TRUE;
  return FALSE;
}

static void
test_files (void)
{
  Room room = { 0 };
  Upload upload = { 0 };
  g_autoptr(CrClient) carol = NULL;
  g_autoptr(CrFileClient) files = NULL;
  g_autoptr(GSocketAddress) endpoint = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;

  room_start (&room, TRUE);
  g_assert_nonnull (cr_server_get_files (room.server));
  address = cr_test_address ("127.0.0.1", room.port);
  carol = cr_test_join (address, "carol", NULL, FALSE, WAIT_MS, &error);
  g_assert_no_error (error);

  /* A worker asks the room who the token is and records the file on the
   * room's thread; the owner hears of it on the main context. */
  path = g_build_filename (room.dir, "notes.txt", NULL);
  g_assert_true (g_file_set_contents (path, "shared from a hosted room\n", -1, NULL));
  g_assert_true (cr_client_dup_file_endpoint (carol, &endpoint, &token));
  files = cr_file_client_new (endpoint, token);
  cr_file_client_upload_async (files, path, NULL, NULL, NULL, NULL, on_uploaded, &upload);
  cr_test_assert_wait (upload_done, &upload, WAIT_MS);
  g_assert_no_error (upload.error);
  g_assert_true (upload.ok);
  cr_test_assert_wait (file_event_seen, &room, WAIT_MS);

  cr_test_leave_and_free (g_steal_pointer (&carol));
  cr_server_stop (room.server);
  cr_test_assert_wait (room_stopped, &room, WAIT_MS);
  g_assert_null (cr_server_get_files (room.server));
  room_clear (&room);
}

/* Stopping, or dropping the object, while a burst is in flight -------- */

#define BURST_MEMBERS 40
#define BURST_LINES   200

static void
burst (Room       *room,
       GPtrArray  *members)
{
  for (guint i = 0; i < BURST_MEMBERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);

      g_ptr_array_add (members, member_join (room->port, name));
    }
  for (guint i = 0; i < BURST_LINES; i++)
    {
      g_autofree char *text = g_strdup_printf ("burst %u", i);

      member_say (members->pdata[i % 4], text);
    }
}

static void
test_stop_in_burst (void)
{
  Room room = { 0 };
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);
  g_autoptr(GError) error = NULL;

  room_start (&room, TRUE);
  burst (&room, members);
  /* The room is still reading the burst when it is told to close. */
  cr_server_stop (room.server);
  cr_test_assert_wait (room_stopped, &room, WAIT_MS);
  g_assert_false (cr_server_get_running (room.server));
  g_assert_cmpuint (g_list_model_get_n_items (cr_server_get_members (room.server)), ==, 0);

  /* And it opens again, on a new thread. */
  room.stopped = FALSE;
  g_assert_true (cr_server_start (room.server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_assert_true (cr_server_get_running (room.server));
  cr_server_stop (room.server);
  cr_test_assert_wait (room_stopped, &room, WAIT_MS);
  room_clear (&room);
}

static void
test_drop_in_burst (void)
{
  Room room = { 0 };
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func ((GDestroyNotify) member_free);

  room_start (&room, TRUE);
  burst (&room, members);
  /* The window closes with the burst in flight: the thread is joined in
   * dispose, and nothing the room reported afterwards arrives. */
  cr_test_run_for (20);
  room_clear (&room);
  cr_test_run_for (100);
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  main_thread = g_thread_self ();
  g_setenv ("CHATROOM_TRUST_FILE", "", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chatroom/hosted-room/fans-out-while-blocked", test_fans_out_while_blocked);
  g_test_add_func ("/chatroom/hosted-room/owner-calls", test_owner_calls);
  g_test_add_func ("/chatroom/hosted-room/files", test_files);
  g_test_add_func ("/chatroom/hosted-room/stop-in-burst", test_stop_in_burst);
  g_test_add_func ("/chatroom/hosted-room/drop-in-burst", test_drop_in_burst);

  return g_test_run ();
}
