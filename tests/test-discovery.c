/* test-discovery.c: finding rooms on the LAN (cr-discovery.h,
 * CrRoomBrowser, the room's responder, chatroom-cli --list-rooms)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The LAN cases run in network namespaces this test creates (ip netns,
 * veth pairs, 198.51.100.0/24 and fd00::/8): never on a real interface.
 * Rooms are chatroomd processes started with `ip netns exec`; the browser
 * runs in this process, which enters the member's namespace (setns) for
 * the case and leaves it once the browser is gone, so nothing it sends
 * can reach a real network. Where namespaces cannot be made those cases
 * skip and say why; under CI=true as root they fail instead. The wire
 * format, the 3× bound and aging run on loopback.
 */
#define _GNU_SOURCE 1   /* setns */
#define G_LOG_DOMAIN "test-discovery"

#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "cr-discovery.h"
#include "cr-discovery-responder.h"
#include "cr-room-browser.h"
#include "cr-server.h"
#include "cr-test-utils.h"

#define WAIT_MS 10000

/* --- namespaces ------------------------------------------------------------ */

static GPtrArray *namespaces;   /* char*: made by this process, deleted at exit */
static int home_ns = -1;        /* this process's own network namespace */
static GPid bus_pid;            /* the stand-in system bus, killed on a failure too */

static gboolean
run (const char *command_line)
{
  g_auto(GStrv) argv = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  if (!g_shell_parse_argv (command_line, NULL, &argv, NULL) ||
      !g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                     NULL, NULL, &err, &status, NULL))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("“%s” failed: %s", command_line, err);
      return FALSE;
    }
  return TRUE;
}

static void
delete_namespaces (void)
{
  if (home_ns >= 0)
    setns (home_ns, CLONE_NEWNET);
  for (guint i = 0; namespaces != NULL && i < namespaces->len; i++)
    {
      g_autofree char *cmd = g_strdup_printf ("ip netns del %s",
                                              (char *) namespaces->pdata[i]);

      run (cmd);
    }
  if (namespaces != NULL)
    g_ptr_array_set_size (namespaces, 0);
}

/* A namespace named crd<pid><suffix>, its loopback up. */
static char *
make_ns (const char *suffix)
{
  char *name = g_strdup_printf ("crd%d%s", (int) getpid (), suffix);
  g_autofree char *add = g_strdup_printf ("ip netns add %s", name);
  g_autofree char *lo = g_strdup_printf ("ip -n %s link set lo up", name);

  if (!run (add))
    g_error ("could not create the namespace %s", name);
  g_ptr_array_add (namespaces, g_strdup (name));
  g_assert_true (run (lo));
  return name;
}

/* A veth pair from ns_a (if_a, address_a) to ns_b (if_b, address_b);
 * addresses "198.51.100.1/24" get their broadcast address. */
static void
link_ns (const char *ns_a,
         const char *if_a,
         const char *address_a,
         const char *ns_b,
         const char *if_b,
         const char *address_b)
{
  const char *ns[2] = { ns_a, ns_b };
  const char *ifs[2] = { if_a, if_b };
  const char *addresses[2] = { address_a, address_b };
  g_autofree char *pair = g_strdup_printf ("ip link add %s netns %s type veth peer name %s "
                                           "netns %s", if_a, ns_a, if_b, ns_b);

  g_assert_true (run (pair));
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *addr = g_strdup_printf ("ip -n %s addr add %s brd + dev %s",
                                               ns[i], addresses[i], ifs[i]);
      g_autofree char *up = g_strdup_printf ("ip -n %s link set %s up", ns[i], ifs[i]);

      g_assert_true (run (addr));
      g_assert_true (run (up));
    }
}

static void
add_v6 (const char *ns,
        const char *ifname,
        const char *address)
{
  g_autofree char *cmd = g_strdup_printf ("ip -n %s addr add %s dev %s nodad",
                                          ns, address, ifname);

  g_assert_true (run (cmd));
}

/* Skip (or fail under CI) when this machine cannot make namespaces. */
static gboolean
namespaces_or_skip (void)
{
  g_autofree char *name = g_strdup_printf ("crd%dprobe", (int) getpid ());
  g_autofree char *add = g_strdup_printf ("ip netns add %s", name);
  g_autofree char *del = g_strdup_printf ("ip netns del %s", name);

  if (run (add))
    {
      run (del);
      return TRUE;
    }
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0 && getuid () == 0)
    g_error ("CI=true and root, but `ip netns add` failed: the LAN cases must run here");
  g_test_skip ("cannot create network namespaces (needs root and the ip tool): "
               "the LAN discovery cases did not run");
  return FALSE;
}

static void
enter_ns (const char *name)
{
  g_autofree char *path = g_strdup_printf ("/run/netns/%s", name);
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (setns (fd, CLONE_NEWNET), ==, 0);
  close (fd);
}

static void
leave_ns (void)
{
  g_assert_cmpint (setns (home_ns, CLONE_NEWNET), ==, 0);
}

/* --- rooms in namespaces ---------------------------------------------------- */

typedef struct {
  CrTestChild *child;
  char        *dir;
} NsRoom;

static NsRoom *
ns_room_start (const char *ns,
               const char *listen,
               const char *name,
               const char *owner)
{
  NsRoom *room = g_new0 (NsRoom, 1);
  const char *argv[] = {
    "ip", "netns", "exec", ns, CHATROOMD_PATH, "--listen", listen, "--data-dir", NULL,
    "--room-name", name, "--owner-name", owner, NULL,
  };

  room->dir = cr_test_make_tmpdir ();
  argv[8] = room->dir;
  room->child = cr_test_child_spawn (argv, TRUE);
  cr_test_child_expect (room->child, "is open", WAIT_MS);
  return room;
}

static void
ns_room_free (NsRoom *room)
{
  cr_test_child_free (room->child);
  cr_test_remove_tree (room->dir);
  g_free (room->dir);
  g_free (room);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NsRoom, ns_room_free)

/* chatroom-cli --list-rooms in ns, its output and exit status. */
static char *
list_rooms (const char  *ns,
            const char  *extra,
            int         *status)
{
  g_autofree char *cmd = g_strdup_printf ("ip netns exec %s %s --list-rooms --wait 2 "
                                          "--show-interface %s", ns, CHATROOM_CLI_PATH,
                                          extra ? extra : "");
  g_auto(GStrv) argv = NULL;
  char *out = NULL;
  int wait_status;

  g_assert_true (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                               &wait_status, NULL));
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_test_message ("list-rooms in %s (%s): %d\n%s", ns, extra ? extra : "", *status, out);
  return out;
}

/* --- the browser ------------------------------------------------------------ */

typedef struct {
  CrRoomBrowser *browser;
  const char    *name;
  guint          count;
} Find;

static CrFoundRoom *
find_room (CrRoomBrowser *browser,
           const char    *name)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (browser));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrFoundRoom) room = g_list_model_get_item (G_LIST_MODEL (browser), i);

      if (g_strcmp0 (cr_found_room_get_name (room), name) == 0)
        return room;   /* the browser keeps its reference */
    }
  return NULL;
}

static gboolean
room_listed (gpointer user_data)
{
  Find *find = user_data;

  return find_room (find->browser, find->name) != NULL;
}

static gboolean
room_gone (gpointer user_data)
{
  return !room_listed (user_data);
}

static CrRoomBrowser *
browser_start (CrBrowseMethods methods)
{
  CrRoomBrowser *browser = cr_room_browser_new ();
  g_autoptr(GError) error = NULL;

  cr_room_browser_set_methods (browser, methods);
  cr_room_browser_set_max_interval (browser, 500);
  g_assert_true (cr_room_browser_start (browser, &error));
  g_assert_no_error (error);
  return browser;
}

/* --- the wire ---------------------------------------------------------------- */

static void
test_wire (void)
{
  g_autoptr(GBytes) probe = cr_discovery_probe_new ("abc123", CR_DISCOVERY_PROBE_PAD);
  g_autofree char *nonce = NULL;
  const char *addresses[] = { "198.51.100.2", "fd00::2", NULL };
  CrDiscoveryRoom room = {
    .kind = CR_DISCOVERY_ANSWER, .nonce = (char *) "abc123", .id = (char *) "0123456789abcdef",
    .name = (char *) "聊天室\nline", .owner = (char *) "Bob", .members = 3,
    .registration = TRUE, .dialect = 1, .port = 10024, .addresses = (GStrv) addresses,
  };
  CrDiscoveryRoom back = { 0 };
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) tight = NULL;
  static const char *bad[] = {
    "CHATROOM-DISCOVER 1 \n",                         /* no nonce */
    "CHATROOM-DISCOVER 1 ab cd\n",                    /* nonce with a space */
    "CHATROOM-DISCOVER 1 abc\nxx",                    /* padding that is not dots */
    "CHATROOM-ROOM 1\nname=x\n",                      /* kind not first */
    "CHATROOM-ROOM 1\nkind=open\nid=0123456789abcdef\nname=a\nmembers=1\nreg=0\ndialect=1\n",
    "CHATROOM-ROOM 1\nkind=open\nid=0123456789abcdef\nname=a\nmembers=-1\nreg=0\n"
      "dialect=1\nport=1\n",
    "CHATROOM-ROOM 1\nkind=open\nid=0123456789abcdef\nname=a\nmembers=1\nreg=0\n"
      "dialect=1\nport=1\nport=2\n",
    "CHATROOM-ROOM 1\nkind=answer\nid=0123456789abcdef\nname=a\nmembers=1\nreg=0\n"
      "dialect=1\nport=1\n",                          /* an answer without a nonce */
    "CHATROOM-ROOM 1\nkind=open\nid=0123456789abcdef\nname=a\x1b[2J\nmembers=1\nreg=0\n"
      "dialect=1\nport=1\n",                          /* a control character */
    "CHATROOM-ROOM 1\nkind=open\nid=0123456789abcdef\nname=a\nmembers=1\nreg=0\n"
      "dialect=1\nport=1\naddr=not-an-ip\n",
  };

  g_assert_cmpuint (g_bytes_get_size (probe), ==, CR_DISCOVERY_PROBE_PAD);
  g_assert_cmpint (cr_discovery_parse (g_bytes_get_data (probe, NULL), g_bytes_get_size (probe),
                                       &nonce, NULL), ==, CR_DISCOVERY_PROBE);
  g_assert_cmpstr (nonce, ==, "abc123");

  answer = cr_discovery_room_build (&room, 3 * g_bytes_get_size (probe));
  g_assert_nonnull (answer);
  g_assert_cmpuint (g_bytes_get_size (answer), <=, 3 * g_bytes_get_size (probe));
  g_assert_cmpint (cr_discovery_parse (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                       NULL, &back), ==, CR_DISCOVERY_ROOM);
  g_assert_cmpint (back.kind, ==, CR_DISCOVERY_ANSWER);
  g_assert_cmpstr (back.nonce, ==, "abc123");
  g_assert_cmpstr (back.name, ==, "聊天室 line");   /* the newline could have forged a field */
  g_assert_cmpstr (back.owner, ==, "Bob");
  g_assert_cmpuint (back.members, ==, 3);
  g_assert_true (back.registration);
  g_assert_cmpuint (back.port, ==, 10024);
  g_assert_cmpuint (g_strv_length (back.addresses), ==, 2);
  g_assert_cmpstr (back.addresses[1], ==, "fd00::2");
  cr_discovery_room_clear (&back);

  /* Too little room: addresses go first, then no answer at all. */
  tight = cr_discovery_room_build (&room, g_bytes_get_size (answer) - 5);
  g_assert_nonnull (tight);
  g_assert_cmpuint (g_bytes_get_size (tight), <=, g_bytes_get_size (answer) - 5);
  g_assert_null (cr_discovery_room_build (&room, 40));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_cmpint (cr_discovery_parse ((const guint8 *) bad[i], strlen (bad[i]), NULL, NULL),
                     ==, CR_DISCOVERY_INVALID);
  /* Chat datagrams of both dialects are not discovery at all. */
  g_assert_cmpint (cr_discovery_parse ((const guint8 *) "N bob", 5, NULL, NULL), ==,
                   CR_DISCOVERY_NONE);
  g_assert_cmpint (cr_discovery_parse ((const guint8 *) "CHATROOM-HELLO 1", 16, NULL, NULL), ==,
                   CR_DISCOVERY_NONE);
}

/* --- loopback: the 3× bound, the rate limit, aging, --no-discovery ------------ */

/* A forged probe: whatever its size, the answer is at most 3× it; a short
 * one gets none; a flood from one source gets a handful. */
static void
test_forged_probe (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrTestSocket) sock = NULL;
  const gsize sizes[] = { 22, 60, 120, 200, CR_DISCOVERY_PROBE_PAD, CR_DISCOVERY_PROBE_MAX };
  guint answers = 0;
  gint64 start;
  double seconds;

  cr_test_room_start (&room, "127.0.0.1");
  sock = cr_test_socket_new ("127.0.0.1");

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) probe = cr_discovery_probe_new ("forged", sizes[i]);
      g_autoptr(GBytes) answer = NULL;
      gsize len = g_bytes_get_size (probe);

      cr_test_socket_send (sock, room.socket_address, g_bytes_get_data (probe, NULL), len);
      answer = cr_test_socket_receive (sock, 500, NULL);
      g_test_message ("probe of %" G_GSIZE_FORMAT " bytes: answer of %" G_GSIZE_FORMAT,
                      len, answer ? g_bytes_get_size (answer) : 0);
      if (answer != NULL)
        g_assert_cmpuint (g_bytes_get_size (answer), <=, 3 * len);
      if (len >= CR_DISCOVERY_PROBE_PAD)
        g_assert_nonnull (answer);
      if (len == 22)
        g_assert_null (answer);
    }

  /* A flood from one address: the burst, then the rate. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GBytes) probe = cr_discovery_probe_new ("flood", CR_DISCOVERY_PROBE_PAD);

      cr_test_socket_send (sock, room.socket_address, g_bytes_get_data (probe, NULL),
                           g_bytes_get_size (probe));
    }
  while (TRUE)
    {
      g_autoptr(GBytes) answer = cr_test_socket_receive (sock, 500, NULL);

      if (answer == NULL)
        break;
      answers++;
    }
  seconds = (g_get_monotonic_time () - start) / (double) G_TIME_SPAN_SECOND;
  g_test_message ("200 probes: %u answers in %.2f s", answers, seconds);
  g_assert_cmpuint (answers, >=, 1);
  g_assert_cmpfloat (answers, <=, CR_DISCOVERY_ANSWER_BURST + CR_DISCOVERY_ANSWER_RATE * seconds);

  cr_test_room_clear (&room);
}

static gboolean
n_items_is_zero (gpointer user_data)
{
  return g_list_model_get_n_items (user_data) == 0;
}

/* Found by unicast on loopback (an extra place); a room that stops
 * answering (not discoverable any more, then closed) leaves the list. */
static void
test_loopback_aging (void)
{
  CrTestRoom room = { 0 };
  g_autoptr(CrRoomBrowser) browser = NULL;
  g_autofree char *place = NULL;
  const char *places[2] = { NULL, NULL };
  Find find = { 0 };
  CrFoundRoom *found;

  cr_test_room_start (&room, "127.0.0.1");
  cr_server_set_room_name (room.server, "Loopback");
  place = g_strdup_printf ("127.0.0.1:%u", room.port);
  places[0] = place;

  browser = browser_start (CR_BROWSE_EXTRA);
  cr_room_browser_set_max_interval (browser, 200);
  cr_room_browser_set_extra_places (browser, places);
  find.browser = browser;
  find.name = "Loopback";
  cr_test_assert_wait (room_listed, &find, WAIT_MS);
  found = find_room (browser, "Loopback");
  g_assert_cmpstr (cr_found_room_get_address (found), ==, room.address);
  g_assert_cmpstr (cr_found_room_get_interface (found), ==, "lo");
  g_assert_cmpuint (cr_found_room_get_members (found), ==, 0);

  cr_server_set_discoverable (room.server, FALSE);
  cr_test_assert_wait (room_gone, &find, WAIT_MS);
  cr_server_set_discoverable (room.server, TRUE);
  cr_test_assert_wait (room_listed, &find, WAIT_MS);

  cr_server_stop (room.server);
  cr_test_assert_wait (n_items_is_zero, browser, WAIT_MS);
  cr_room_browser_stop (browser);
  cr_test_room_clear (&room);
}

/* chatroomd --no-discovery stays silent; without it, --list-rooms finds it. */
static void
test_cli_loopback (void)
{
  guint16 port = cr_test_free_udp_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *dir = cr_test_make_tmpdir ();
  g_autofree char *look = g_strdup_printf ("--look 127.0.0.1:%u", port);
  g_autofree char *expected = g_strdup_printf ("Quiet\t127.0.0.1:%u\t0\tOwl\tlo\n", port);
  g_autofree char *out = NULL;
  int status;
  const char *argv[] = { CHATROOMD_PATH, "--listen", listen, "--data-dir", dir,
                         "--room-name", "Quiet", "--owner-name", "Owl", "--no-discovery",
                         NULL };
  g_autofree char *cmd = g_strdup_printf ("%s --list-rooms --no-lan --wait 1 --show-interface %s",
                                          CHATROOM_CLI_PATH, look);
  g_auto(GStrv) cli = NULL;
  CrTestChild *child;
  int wait_status;

  g_assert_true (g_shell_parse_argv (cmd, NULL, &cli, NULL));
  for (guint round = 0; round < 2; round++)
    {
      if (round == 1)
        argv[9] = NULL;   /* discoverable */
      child = cr_test_child_spawn (argv, TRUE);
      cr_test_child_expect (child, "is open", WAIT_MS);
      g_clear_pointer (&out, g_free);
      g_assert_true (g_spawn_sync (NULL, cli, NULL, 0, NULL, NULL, &out, NULL,
                                   &wait_status, NULL));
      status = WEXITSTATUS (wait_status);
      g_test_message ("round %u: %d “%s”", round, status, out);
      if (round == 0)
        {
          g_assert_cmpint (status, ==, 1);
          g_assert_cmpstr (out, ==, "");
        }
      else
        {
          g_assert_cmpint (status, ==, 0);
          g_assert_cmpstr (out, ==, expected);
        }
      cr_test_child_free (child);
    }
  cr_test_remove_tree (dir);
}

/* The classroom server (the course notes' ChatRoom-server.py) on a room
 * port: it decodes every datagram as UTF-8 and dies on anything else, and
 * would die on a first word of Q or N without a second. Our probes and
 * announcements reach such ports by broadcast; it must live through them
 * and answer nothing, and still take a classic join. */
static void
test_classroom_server_survives (void)
{
  const char *notes = g_getenv ("CHATROOM_CLASSROOM_NOTES");
  g_autofree char *text = NULL;
  g_autofree char *code = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *script = NULL;
  g_autofree char *port_line = NULL;
  g_autofree char *cmd = NULL;
  g_autofree char *out = NULL;
  g_autoptr(CrTestSocket) sock = NULL;
  g_autoptr(GSocketAddress) to = NULL;
  g_autoptr(GBytes) probe = cr_discovery_probe_new ("abc", CR_DISCOVERY_PROBE_PAD);
  g_autoptr(GBytes) announcement = NULL;
  g_autofree char *reply = NULL;
  g_auto(GStrv) parts = NULL;
  g_auto(GStrv) cli = NULL;
  const char *addresses[] = { "198.51.100.2", "fd00::2", NULL };
  CrDiscoveryRoom room = {
    .kind = CR_DISCOVERY_OPEN, .id = (char *) "0123456789abcdef",
    .name = (char *) "物理课 Physics 101", .owner = (char *) "老师", .members = 3,
    .dialect = 1, .port = 10024, .addresses = (GStrv) addresses,
  };
  const char *start, *end;
  CrTestChild *server;
  guint16 port = cr_test_free_udp_port ();
  int wait_status;

  if (notes == NULL || !g_file_get_contents (notes, &text, NULL, NULL) ||
      !g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("the classroom notes or python3 are missing (CHATROOM_CLASSROOM_NOTES)");
      return;
    }
  start = strstr (text, "*ChatRoom-server.py*");
  g_assert_nonnull (start);
  start = strstr (start, "```python\n");
  g_assert_nonnull (start);
  start += strlen ("```python\n");
  end = strstr (start, "```");
  g_assert_nonnull (end);
  code = g_strndup (start, end - start);
  parts = g_strsplit (code, "HOST = '192.168.1.101'", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_free (code);
  code = g_strjoinv ("HOST = '127.0.0.1'", parts);
  g_strfreev (parts);
  port_line = g_strdup_printf ("PORT = %u", port);
  parts = g_strsplit (code, "PORT = 10024", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  g_free (code);
  code = g_strjoinv (port_line, parts);
  dir = cr_test_make_tmpdir ();
  script = g_build_filename (dir, "ChatRoom-server.py", NULL);
  g_assert_true (g_file_set_contents (script, code, -1, NULL));

  {
    const char *argv[] = { "/usr/bin/python3", script, NULL };
    server = cr_test_child_spawn (argv, TRUE);
  }
  cr_test_run_for (500);   /* it binds before it prints anything */

  announcement = cr_discovery_room_build (&room, CR_DISCOVERY_MAX);
  sock = cr_test_socket_new ("127.0.0.1");
  to = cr_test_socket_address ("127.0.0.1", port);
  cr_test_socket_send (sock, to, g_bytes_get_data (probe, NULL), g_bytes_get_size (probe));
  cr_test_socket_send (sock, to, g_bytes_get_data (announcement, NULL),
                       g_bytes_get_size (announcement));
  g_assert_null (cr_test_socket_receive (sock, 500, NULL));

  /* chatroom-cli's own probe: nothing answers, exit 1. */
  cmd = g_strdup_printf ("%s --list-rooms --no-lan --wait 1 --look 127.0.0.1:%u",
                         CHATROOM_CLI_PATH, port);
  g_assert_true (g_shell_parse_argv (cmd, NULL, &cli, NULL));
  g_assert_true (g_spawn_sync (NULL, cli, NULL, 0, NULL, NULL, &out, NULL, &wait_status, NULL));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 1);
  g_assert_cmpstr (out, ==, "");

  /* Alive: a classic join still gets its OK. */
  cr_test_socket_send_text (sock, to, "N alice");
  reply = cr_test_socket_receive_text (sock, 5000);
  g_test_message ("classroom server after discovery traffic: “%s”; its output: %s",
                  reply, server->output->str);
  g_assert_cmpstr (reply, ==, "OK");
  g_assert_null (strstr (server->output->str, "Traceback"));

  cr_test_child_free (server);
  cr_test_remove_tree (dir);
}

/* --- the LAN, in namespaces --------------------------------------------------- */

/* A room in one namespace is listed from another through broadcast (and
 * by chatroom-cli through everything); closing it takes it off the list. */
static void
test_ns_broadcast (void)
{
  g_autofree char *r = NULL;
  g_autofree char *c = NULL;
  g_autoptr(NsRoom) room = NULL;
  g_autoptr(CrRoomBrowser) browser = NULL;
  g_autofree char *out = NULL;
  Find find = { 0 };
  CrFoundRoom *found;
  int status;

  if (!namespaces_or_skip ())
    return;
  r = make_ns ("r");
  c = make_ns ("c");
  link_ns (r, "rv0", "198.51.100.2/24", c, "cv0", "198.51.100.1/24");
  room = ns_room_start (r, "0.0.0.0:10024", "Alpha", "Bob");

  out = list_rooms (c, NULL, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "Alpha\t198.51.100.2:10024\t0\tBob\tcv0\n");

  enter_ns (c);
  browser = browser_start (CR_BROWSE_BROADCAST);
  find.browser = browser;
  find.name = "Alpha";
  cr_test_assert_wait (room_listed, &find, WAIT_MS);
  found = find_room (browser, "Alpha");
  g_assert_cmpstr (cr_found_room_get_address (found), ==, "198.51.100.2:10024");
  g_assert_cmpstr (cr_found_room_get_owner (found), ==, "Bob");
  g_assert_false (cr_found_room_get_registration (found));

  /* Closed: its announcement takes it off at once (aging would too). */
  g_subprocess_send_signal (room->child->process, SIGTERM);
  cr_test_assert_wait (room_gone, &find, WAIT_MS);
  cr_room_browser_stop (browser);
  g_clear_object (&browser);
  leave_ns ();
  delete_namespaces ();
}

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

/* Multicast alone finds the room, IPv4 and IPv6; where nftables or
 * iptables exist, also with broadcast dropped by a rule. */
static void
test_ns_multicast (void)
{
  g_autofree char *r = NULL;
  g_autofree char *c = NULL;
  g_autoptr(NsRoom) room = NULL;
  Find find = { 0 };
  const CrBrowseMethods methods[] = { CR_BROWSE_MULTICAST_V4, CR_BROWSE_MULTICAST_V6 };

  if (!namespaces_or_skip ())
    return;
  r = make_ns ("r");
  c = make_ns ("c");
  link_ns (r, "rv0", "198.51.100.2/24", c, "cv0", "198.51.100.1/24");
  add_v6 (r, "rv0", "fd00::2/64");
  add_v6 (c, "cv0", "fd00::1/64");
  room = ns_room_start (r, "[::]:10024", "Alpha", "Bob");

  enter_ns (c);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(CrRoomBrowser) browser = browser_start (methods[i]);
      CrFoundRoom *found;

      find.browser = browser;
      find.name = "Alpha";
      cr_test_assert_wait (room_listed, &find, WAIT_MS);
      found = find_room (browser, "Alpha");
      g_test_message ("by %s: %s on %s", i == 0 ? "IPv4 multicast" : "IPv6 multicast",
                      cr_found_room_get_address (found), cr_found_room_get_interface (found));
      g_assert_cmpstr (cr_found_room_get_interface (found), ==, "cv0");
      if (i == 0)
        g_assert_cmpstr (cr_found_room_get_address (found), ==, "198.51.100.2:10024");
      else
        g_assert_true (g_str_has_prefix (cr_found_room_get_address (found), "[f"));
      cr_room_browser_stop (browser);
    }
  leave_ns ();

  if (have_program ("nft") || have_program ("iptables"))
    {
      g_autofree char *rule = NULL;
      g_autofree char *out = NULL;
      int status;

      if (have_program ("nft"))
        rule = g_strdup_printf ("ip netns exec %s nft 'add table inet crd; add chain inet crd o "
                                "{ type filter hook output priority 0; }; add rule inet crd o "
                                "ip daddr 198.51.100.255 drop'", c);
      else
        rule = g_strdup_printf ("ip netns exec %s iptables -A OUTPUT -d 198.51.100.255 -j DROP",
                                c);
      g_assert_true (run (rule));
      out = list_rooms (c, NULL, &status);
      g_assert_cmpint (status, ==, 0);
      g_assert_true (g_str_has_prefix (out, "Alpha\t"));
    }
  else
    g_test_message ("neither nft nor iptables here: the case with broadcast dropped by a "
                    "rule did not run (multicast alone was tested above)");
  delete_namespaces ();
}

/* A member with two networks sees the room on each, and says through
 * which interface; a room found only through a virtual bridge (a
 * docker0 of the namespace's own) is listed after the real networks,
 * whatever its name. */
static void
test_ns_two_interfaces (void)
{
  g_autofree char *r1 = NULL;
  g_autofree char *r2 = NULL;
  g_autofree char *c = NULL;
  g_autoptr(NsRoom) alpha = NULL;
  g_autoptr(NsRoom) beta = NULL;
  g_autoptr(CrRoomBrowser) browser = NULL;
  Find find = { 0 };
  CrFoundRoom *found;

  if (!namespaces_or_skip ())
    return;
  r1 = make_ns ("r1");
  r2 = make_ns ("r2");
  c = make_ns ("c");
  link_ns (r1, "rv1", "198.51.100.2/25", c, "docker0", "198.51.100.1/25");
  link_ns (r2, "rv2", "198.51.100.130/25", c, "cvb", "198.51.100.129/25");
  alpha = ns_room_start (r1, "0.0.0.0:10024", "Alpha", "Ann");
  beta = ns_room_start (r2, "0.0.0.0:10024", "Beta", "Ben");

  enter_ns (c);
  browser = browser_start (CR_BROWSE_ALL);
  find.browser = browser;
  find.name = "Alpha";
  cr_test_assert_wait (room_listed, &find, WAIT_MS);
  find.name = "Beta";
  cr_test_assert_wait (room_listed, &find, WAIT_MS);
  cr_test_run_for (300);   /* every path answered */

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (browser)), ==, 2);
  found = find_room (browser, "Alpha");
  g_assert_cmpstr (cr_found_room_get_address (found), ==, "198.51.100.2:10024");
  g_assert_cmpstr (cr_found_room_get_interface (found), ==, "docker0");
  g_assert_true (cr_found_room_get_link_local (found));
  {
    g_autoptr(CrFoundRoom) first = g_list_model_get_item (G_LIST_MODEL (browser), 0);

    g_assert_cmpstr (cr_found_room_get_name (first), ==, "Beta");
  }
  found = find_room (browser, "Beta");
  g_assert_cmpstr (cr_found_room_get_address (found), ==, "198.51.100.130:10024");
  g_assert_cmpstr (cr_found_room_get_interface (found), ==, "cvb");
  g_assert_false (cr_found_room_get_link_local (found));
  cr_room_browser_stop (browser);
  g_clear_object (&browser);
  leave_ns ();
  delete_namespaces ();
}

/* Behind a router, broadcast and link-scoped multicast cannot reach the
 * room; the subnet typed as an extra place finds it by unicast. */
static void
test_ns_typed_subnet (void)
{
  g_autofree char *r = NULL;
  g_autofree char *g = NULL;
  g_autofree char *c = NULL;
  g_autoptr(NsRoom) room = NULL;
  g_autofree char *out = NULL;
  g_autofree char *cmd = NULL;
  int status;

  if (!namespaces_or_skip ())
    return;
  r = make_ns ("r");
  g = make_ns ("g");
  c = make_ns ("c");
  link_ns (c, "cv0", "198.51.100.1/25", g, "gv0", "198.51.100.126/25");
  link_ns (g, "gv1", "198.51.100.129/25", r, "rv0", "198.51.100.140/25");
  cmd = g_strdup_printf ("ip netns exec %s sysctl -q -w net.ipv4.ip_forward=1", g);
  g_assert_true (run (cmd));
  g_free (cmd);
  cmd = g_strdup_printf ("ip -n %s route add default via 198.51.100.126", c);
  g_assert_true (run (cmd));
  g_free (cmd);
  cmd = g_strdup_printf ("ip -n %s route add default via 198.51.100.129", r);
  g_assert_true (run (cmd));
  room = ns_room_start (r, "0.0.0.0:10024", "Far", "Fay");

  out = list_rooms (c, NULL, &status);
  g_assert_cmpint (status, ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_free (out);

  out = list_rooms (c, "--look 198.51.100.128/27", &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "Far\t198.51.100.140:10024\t0\tFay\tcv0\n");
  delete_namespaces ();
}

/* --- DNS-SD through a stand-in avahi-daemon -------------------------------------
 * A private dbus-daemon plays the system bus, and this test owns
 * org.freedesktop.Avahi on it with the three methods a room calls: what the
 * room asks of avahi is recorded as it arrives. */

static const char avahi_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Avahi.Server'>"
  "    <method name='EntryGroupNew'><arg type='o' direction='out'/></method>"
  "  </interface>"
  "  <interface name='org.freedesktop.Avahi.EntryGroup'>"
  "    <method name='AddService'>"
  "      <arg type='i'/><arg type='i'/><arg type='u'/><arg type='s'/><arg type='s'/>"
  "      <arg type='s'/><arg type='s'/><arg type='q'/><arg type='aay'/>"
  "    </method>"
  "    <method name='Commit'/>"
  "    <method name='Free'/>"
  "  </interface>"
  "</node>";

typedef struct {
  GVariant *service;    /* AddService's parameters */
  gboolean  committed;
  gboolean  freed;
} Avahi;

static void
on_avahi_call (GDBusConnection       *connection,
               const char            *sender,
               const char            *path,
               const char            *interface,
               const char            *method,
               GVariant              *parameters,
               GDBusMethodInvocation *invocation,
               gpointer               user_data)
{
  Avahi *avahi = user_data;

  g_test_message ("avahi: %s on %s", method, path);
  if (g_strcmp0 (method, "EntryGroupNew") == 0)
    {
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(o)", "/Client1/EntryGroup1"));
      return;
    }
  if (g_strcmp0 (method, "AddService") == 0)
    {
      g_clear_pointer (&avahi->service, g_variant_unref);
      avahi->service = g_variant_ref (parameters);
    }
  else if (g_strcmp0 (method, "Commit") == 0)
    avahi->committed = TRUE;
  else if (g_strcmp0 (method, "Free") == 0)
    avahi->freed = TRUE;
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
avahi_committed (gpointer user_data)
{
  return ((Avahi *) user_data)->committed;
}

static gboolean
avahi_freed (gpointer user_data)
{
  return ((Avahi *) user_data)->freed;
}

static gboolean
bus_named (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* A room on every address is published as _chatroom._udp where avahi
 * runs, and withdrawn when it closes. */
static void
test_ns_dnssd (void)
{
  static const GDBusInterfaceVTable vtable = { on_avahi_call, NULL, NULL, { 0 } };
  g_autofree char *r = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *bus_address = NULL;
  g_autofree char *listen = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CrServer) server = NULL;
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autoptr(GVariant) txt = NULL;
  g_autofree char *socket_path = NULL;
  Avahi avahi = { 0 };
  gboolean named = FALSE;
  guint16 port;
  guint owner_id;
  guint ids[2];
  gboolean has_owner = FALSE;

  if (!namespaces_or_skip ())
    return;
  dir = cr_test_make_tmpdir ();
  socket_path = g_build_filename (dir, "bus", NULL);
  listen = g_strdup_printf ("--address=unix:path=%s", socket_path);
  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                             G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             "dbus-daemon", "--session", "--nofork", listen, NULL);
  if (daemon == NULL)
    {
      g_test_skip ("no dbus-daemon to stand in for the system bus");
      return;
    }
  bus_pid = atoi (g_subprocess_get_identifier (daemon));
  bus_address = g_strdup_printf ("unix:path=%s", socket_path);
  for (guint i = 0; i < 100 && !g_file_test (socket_path, G_FILE_TEST_EXISTS); i++)
    cr_test_run_for (50);
  connection = g_dbus_connection_new_for_address_sync (
    bus_address,
    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
    NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (avahi_xml, &error);
  g_assert_no_error (error);
  ids[0] = g_dbus_connection_register_object (connection, "/", info->interfaces[0], &vtable,
                                              &avahi, NULL, &error);
  g_assert_no_error (error);
  ids[1] = g_dbus_connection_register_object (connection, "/Client1/EntryGroup1",
                                              info->interfaces[1], &vtable, &avahi, NULL, &error);
  g_assert_no_error (error);
  owner_id = g_bus_own_name_on_connection (connection, "org.freedesktop.Avahi",
                                           G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired, NULL,
                                           &named, NULL);
  cr_test_assert_wait (bus_named, &named, WAIT_MS);
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", bus_address, TRUE);
  g_unsetenv ("CHATROOM_NO_AVAHI");

  r = make_ns ("r");
  enter_ns (r);
  server = g_object_new (CR_TYPE_SERVER, "room-name", "Alpha", "owner-name", "Bob", NULL);
  g_assert_true (cr_server_start (server, "0.0.0.0:0", &error));
  g_assert_no_error (error);
  port = cr_server_get_port (server);
  cr_test_assert_wait (avahi_committed, &avahi, WAIT_MS);
  g_variant_get (avahi.service, "(iiussssq@aay)", NULL, NULL, NULL, &name, &type, NULL, NULL,
                 NULL, &txt);
  g_assert_cmpstr (name, ==, "Alpha");
  g_assert_cmpstr (type, ==, "_chatroom._udp");
  g_variant_get_child (avahi.service, 7, "q", &port);
  g_assert_cmpuint (port, ==, cr_server_get_port (server));
  for (gsize i = 0; i < g_variant_n_children (txt); i++)
    {
      g_autoptr(GVariant) record = g_variant_get_child_value (txt, i);
      gsize len;
      const char *bytes = g_variant_get_fixed_array (record, &len, 1);

      has_owner |= len == strlen ("owner=Bob") && memcmp (bytes, "owner=Bob", len) == 0;
    }
  g_assert_true (has_owner);

  /* Closed: withdrawn. */
  cr_server_stop (server);
  cr_test_assert_wait (avahi_freed, &avahi, WAIT_MS);
  g_clear_object (&server);
  leave_ns ();

  g_setenv ("CHATROOM_NO_AVAHI", "1", TRUE);
  g_bus_unown_name (owner_id);
  g_dbus_connection_unregister_object (connection, ids[0]);
  g_dbus_connection_unregister_object (connection, ids[1]);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_subprocess_force_exit (daemon);
  g_subprocess_wait (daemon, NULL, NULL);
  bus_pid = 0;
  g_clear_pointer (&avahi.service, g_variant_unref);
  cr_test_remove_tree (dir);
  delete_namespaces ();
}

/* A failed assertion: no allocation, no locks (another thread may hold
 * them), only fork and exec of what delete_namespaces would run. */
static void
on_abort (int signum)
{
  if (bus_pid > 0)
    kill (bus_pid, SIGKILL);
  if (home_ns >= 0)
    setns (home_ns, CLONE_NEWNET);
  for (guint i = 0; namespaces != NULL && i < namespaces->len; i++)
    {
      pid_t pid = fork ();

      if (pid == 0)
        {
          execlp ("ip", "ip", "netns", "del", (char *) namespaces->pdata[i], (char *) NULL);
          _exit (127);
        }
      if (pid > 0)
        waitpid (pid, NULL, 0);
    }
  signal (signum, SIG_DFL);
  raise (signum);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  namespaces = g_ptr_array_new_with_free_func (g_free);
  home_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  /* A failed assertion aborts: the namespaces go anyway. */
  atexit (delete_namespaces);
  signal (SIGABRT, on_abort);

  g_test_add_func ("/chatroom/discovery/wire", test_wire);
  g_test_add_func ("/chatroom/discovery/forged-probe", test_forged_probe);
  g_test_add_func ("/chatroom/discovery/loopback-aging", test_loopback_aging);
  g_test_add_func ("/chatroom/discovery/cli-loopback", test_cli_loopback);
  g_test_add_func ("/chatroom/discovery/classroom-server-survives",
                   test_classroom_server_survives);
  g_test_add_func ("/chatroom/discovery/ns-broadcast", test_ns_broadcast);
  g_test_add_func ("/chatroom/discovery/ns-multicast", test_ns_multicast);
  g_test_add_func ("/chatroom/discovery/ns-two-interfaces", test_ns_two_interfaces);
  g_test_add_func ("/chatroom/discovery/ns-typed-subnet", test_ns_typed_subnet);
  g_test_add_func ("/chatroom/discovery/ns-dnssd", test_ns_dnssd);

  status = g_test_run ();
  delete_namespaces ();
  g_ptr_array_unref (namespaces);
  namespaces = NULL;
  if (home_ns >= 0)
    close (home_ns);
  return status;
}
