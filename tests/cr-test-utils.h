/* cr-test-utils.h: helpers for the network tests: bounded waits on the main
 * context, throwaway data directories, raw UDP sockets, a lossy relay.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything runs on the thread-default main context and only on loopback.
 * Every wait is bounded: a timeout source ends it.
 */
#pragma once

#include <gio/gio.h>

#include "cr-client.h"
#include "cr-client-engine.h"
#include "cr-server.h"
#include "cr-protocol.h"
#include "cr-reliable.h"

G_BEGIN_DECLS

/* SQL that takes a store of schema 4 back to schema 3 (before the events'
 * actor and the mutes table), for migration tests; the caller sets
 * user_version. */
#define CR_TEST_UNDO_SCHEMA_4                                                    \
  "DROP TABLE mutes;"                                                            \
  "ALTER TABLE events DROP COLUMN actor;"

/* The same from the newest schema back to schema 2 (before the
 * conversation's columns and index). */
#define CR_TEST_UNDO_SCHEMA_3                                                    \
  CR_TEST_UNDO_SCHEMA_4                                                          \
  "DROP TRIGGER events_fts_insert;"                                              \
  "DROP TRIGGER events_fts_update;"                                              \
  "DROP TRIGGER events_fts_delete;"                                              \
  "DROP TABLE events_fts;"                                                       \
  "ALTER TABLE events DROP COLUMN ref_seq;"                                      \
  "ALTER TABLE events DROP COLUMN quote_name;"                                   \
  "ALTER TABLE events DROP COLUMN quote_text;"                                   \
  "ALTER TABLE events DROP COLUMN target;"                                       \
  "ALTER TABLE events DROP COLUMN recalled;"

/* Waiting ----------------------------------------------------------- */

typedef gboolean (*CrTestCondition) (gpointer user_data);

/* Iterate the thread-default main context until condition (user_data)
 * holds (TRUE) or timeout_ms passed (FALSE). condition NULL: just wait. */
gboolean   cr_test_wait_until          (CrTestCondition  condition,
                                        gpointer         user_data,
                                        guint            timeout_ms);
/* Let the main loop run for ms (to see that something does NOT happen). */
void       cr_test_run_for             (guint            ms);

/* Fails the test (with the condition's text) when the wait times out. */
#define cr_test_assert_wait(condition, user_data, timeout_ms)                      \
  G_STMT_START {                                                                   \
    if (!cr_test_wait_until ((condition), (user_data), (timeout_ms)))              \
      g_error ("%s:%d: timed out after %u ms waiting for %s", __FILE__, __LINE__,  \
               (guint) (timeout_ms), #condition);                                  \
  } G_STMT_END

/* Data directories -------------------------------------------------- */

char      *cr_test_make_tmpdir         (void);                  /* transfer full */
void       cr_test_remove_tree         (const char *path);

/* Addresses --------------------------------------------------------- */

char      *cr_test_address             (const char *host,
                                        guint16     port);      /* "127.0.0.1:p", "[::1]:p" */
GSocketAddress *cr_test_socket_address (const char *host,
                                        guint16     port);
gboolean   cr_test_have_ipv6_loopback  (void);

/* Fixed randomness for CrEngineConfig.random_func: user_data is a GRand
 * with a fixed seed, so the same seed makes the same cookies and tokens. */
void       cr_test_fixed_random        (guint8     *buf,
                                        gsize       len,
                                        gpointer    user_data);

/* Rooms ------------------------------------------------------------- */

/* A CrServer in a throwaway data directory. */
typedef struct
{
  char           *dir;
  CrServer       *server;
  guint16         port;
  char           *address;          /* "host:port", for clients */
  GSocketAddress *socket_address;   /* for raw sockets */
} CrTestRoom;

/* Start (again, on the same data dir) on host:port; port 0 picks one. */
void       cr_test_room_start_on       (CrTestRoom  *room,
                                        const char  *host,
                                        guint16      port);
void       cr_test_room_start          (CrTestRoom  *room,
                                        const char  *host);
void       cr_test_room_clear          (CrTestRoom  *room);

/* Clients ----------------------------------------------------------- */

/* Join and wait (≤ timeout_ms). Returns the client whatever the outcome;
 * error says how the join ended (NULL error: must succeed). */
CrClient  *cr_test_join                (const char  *address,
                                        const char  *name,
                                        const char  *password,
                                        gboolean     do_register,
                                        guint        timeout_ms,
                                        GError     **error);
/* Same, with timing set before the join (0 = default). */
CrClient  *cr_test_join_timed          (const char  *address,
                                        const char  *name,
                                        const char  *password,
                                        gboolean     do_register,
                                        guint        keepalive_ms,
                                        guint        silence_ms,
                                        guint        join_timeout_ms,
                                        GError     **error);
/* Fails the test unless client reaches state within timeout_ms. */
void       cr_test_assert_state        (CrClient      *client,
                                        CrClientState  state,
                                        guint          timeout_ms);

/* Fails the test unless a row of kind about name shows up in time. */
void       cr_test_assert_event        (GListModel    *messages,
                                        CrEventKind    kind,
                                        const char    *name,
                                        guint          timeout_ms);

/* Leave and wait for CLOSED (≤ 3 s), then drop the reference. */
void       cr_test_leave_and_free      (CrClient    *client);
/* Joins as each of names (no password), several at a time, and waits for
 * them all; each join may take timeout_ms and must succeed. The clients,
 * in names' order. */
GPtrArray *cr_test_join_many           (const char         *address,
                                        const char * const *names,
                                        guint               timeout_ms);
/* Every client leaves at once; waits until all are closed, then unrefs
 * the array. */
void       cr_test_leave_many          (GPtrArray   *clients);

/* The chat rows (CHAT, OWNER_CHAT) of a messages model. */
guint      cr_test_count_text          (GListModel  *messages,
                                        const char  *sender,
                                        const char  *text);
gboolean   cr_test_has_event           (GListModel  *messages,
                                        CrEventKind  kind,
                                        const char  *name);
gboolean   cr_test_has_member          (GListModel  *members,
                                        const char  *name);
/* Conditions for cr_test_assert_wait on a CrMessage: sent (the room has
 * it), failed. */
gboolean   cr_test_message_sent        (gpointer     message);
gboolean   cr_test_message_failed      (gpointer     message);

/* Raw UDP sockets (the classroom programs, spoofers, silent peers) ---- */

typedef struct _CrTestSocket CrTestSocket;

CrTestSocket *cr_test_socket_new       (const char      *host);   /* "127.0.0.1": port 0 */
void       cr_test_socket_free         (CrTestSocket    *sock);
guint16    cr_test_socket_get_port     (CrTestSocket    *sock);
GSocket   *cr_test_socket_get_socket   (CrTestSocket    *sock);
void       cr_test_socket_send         (CrTestSocket    *sock,
                                        GSocketAddress  *to,
                                        const void      *data,
                                        gsize            len);
void       cr_test_socket_send_text    (CrTestSocket    *sock,
                                        GSocketAddress  *to,
                                        const char      *text);
/* Next datagram, waiting up to timeout_ms while the main loop runs.
 * NULL on timeout. *from (optional) receives the sender. */
GBytes    *cr_test_socket_receive      (CrTestSocket    *sock,
                                        guint            timeout_ms,
                                        GSocketAddress **from);
/* Next datagram that is a text line (native ones are skipped), as a
 * string; NULL on timeout. */
char      *cr_test_socket_receive_text (CrTestSocket    *sock,
                                        guint            timeout_ms);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestSocket, cr_test_socket_free)

/* A member's packet path (CrClientEngine) on a raw socket: joins, answers
 * what it is sent while asked to (cr_test_engine_member_pump), and falls
 * silent when no longer pumped. */
typedef struct
{
  CrTestSocket   *sock;
  GSocketAddress *server;
  CrClientEngine *engine;
} CrTestEngineMember;

CrTestEngineMember *cr_test_engine_member_join (guint16      port,
                                                const char  *name,
                                                guint        timeout_ms);   /* NULL: failed */
/* Read whatever arrived (no wait), tick when due, send what it says. */
void       cr_test_engine_member_pump  (CrTestEngineMember *member);
void       cr_test_engine_member_free  (CrTestEngineMember *member);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestEngineMember, cr_test_engine_member_free)

/* Child processes (chatroomd, chatroom-cli, the classroom programs) --- */

/* A child with a pipe on its standard input and its standard output (and
 * error, with merge_stderr) collected as it comes. */
typedef struct
{
  GSubprocess  *process;
  GString      *output;
  GCancellable *cancellable;
} CrTestChild;

CrTestChild *cr_test_child_spawn       (const char * const *argv,
                                        gboolean            merge_stderr);
/* The same with an empty environment but for PATH and the sanitizers'
 * options: a program as a user starts it, no variable of ours set. */
CrTestChild *cr_test_child_spawn_clean (const char * const *argv,
                                        gboolean            merge_stderr);
/* Kills the child if it still runs (≤ 5 s), then frees. */
void       cr_test_child_free          (CrTestChild *child);
void       cr_test_child_write_line    (CrTestChild *child,
                                        const char  *line);
/* Fails the test, showing the output, unless needle appears in time. */
void       cr_test_child_expect        (CrTestChild *child,
                                        const char  *needle,
                                        guint        timeout_ms);
guint      cr_test_count_substring     (const char  *haystack,
                                        const char  *needle);
/* A UDP port on 127.0.0.1 that was free a moment ago. */
guint16    cr_test_free_udp_port       (void);

/* The loss proxy ---------------------------------------------------- */

typedef struct
{
  guint64 to_server;        /* datagrams taken from clients */
  guint64 to_client;        /* datagrams taken from the server */
  guint64 dropped;
  guint64 duplicated;
  guint64 reordered;        /* held back and sent after later ones */
  guint64 blackholed;       /* dropped while the proxy was off */
} CrTestProxyStats;

typedef struct _CrTestProxy CrTestProxy;

/* A UDP relay on 127.0.0.1 towards upstream: one upstream socket per
 * client address, so the server sees distinct members. Each datagram, each
 * way: dropped with probability loss, else duplicated with probability
 * dup, and held back 5–40 ms (so later ones overtake it) with probability
 * reorder. GRand with a fixed seed: the same run every time (as far as the
 * main loop's timing lets it be). */
CrTestProxy *cr_test_proxy_new         (GSocketAddress   *upstream,
                                        double            loss,
                                        double            dup,
                                        double            reorder,
                                        guint32           seed);
void       cr_test_proxy_free          (CrTestProxy      *proxy);
guint16    cr_test_proxy_get_port      (CrTestProxy      *proxy);
void       cr_test_proxy_set_upstream  (CrTestProxy      *proxy,
                                        GSocketAddress   *upstream);
/* Drop everything while TRUE (a network cut). */
void       cr_test_proxy_set_blackhole (CrTestProxy      *proxy,
                                        gboolean          blackhole);
void       cr_test_proxy_get_stats     (CrTestProxy      *proxy,
                                        CrTestProxyStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestProxy, cr_test_proxy_free)

G_END_DECLS
