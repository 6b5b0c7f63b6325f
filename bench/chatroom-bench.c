/* chatroom-bench.c: a room's fan-out under load, either dialect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * M members, each on its own UDP socket on loopback, join a room; S of them
 * say K messages each, R messages a second in all; every (member, message)
 * arrival is recorded. Prints deliveries a second, loss, latency (p50, p99,
 * max: send to arrival, one clock), the server's CPU time per delivery
 * (/proc/PID/stat), its VmRSS, and one machine-readable RESULT line
 * (bench/run makes its table from those). Figures, not a test:
 * bench/README.md.
 *
 * classic: "N name" / "M name text" lines, what the classroom programs
 * send (src/core/cr-classic.h); works against chatroomd and
 * bench/reference-fanout.c. native: each member is a CrClientEngine, the
 * member's packet path of the app and chatroom-cli, so joins, reliable
 * delivery, ordering and acks are the real ones.
 *
 * The server is started fresh for the run (--server, a command line in
 * which {port} and {dir} are replaced) or one that runs is used (--port,
 * --pid). Every phase is bounded; only loopback addresses are accepted.
 * A message's text carries "#b<sender>.<k>.<µs sent>#"; whatever a member
 * receives is searched for it.
 */
#define G_LOG_DOMAIN "chatroom-bench"
#define _GNU_SOURCE

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <locale.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cr-classic.h"
#include "cr-client-engine.h"
#include "cr-protocol.h"

#define RECV_BATCH     32
#define DATAGRAM_MAX   2048
#define MEMBER_RCVBUF  (4 * 1024 * 1024)
#define JOIN_WINDOW    64           /* joins in flight at once */
#define JOIN_RETRY_US  (500 * G_TIME_SPAN_MILLISECOND)
#define MARKER         "#b"

typedef struct
{
  int             fd;
  guint16         port;
  gboolean        joined;
  gboolean        refused;
  gboolean        asked;
  gint64          asked_at;
  CrClientEngine *engine;           /* native */
  gint64          next_tick;        /* native */
  guint8         *seen;             /* a bit per message */
} Member;

typedef struct
{
  /* options */
  char           *dialect;
  guint           n_members;
  guint           n_senders;
  guint           n_each;
  double          rate;
  guint           join_timeout_ms;
  guint           drain_ms;
  char           *server_cmd;
  int             port;
  int             pid;
  gboolean        verbose;

  gboolean        native;
  struct sockaddr_in server;
  GPid            child;
  char           *data_dir;
  int             epfd;
  gint64          last_walk;        /* native: when pump () last walked the timers */
  Member         *members;
  guint           n_messages;
  guint           n_joined;
  guint           n_refused;
  guint64         deliveries;
  guint64         duplicates;
  guint64         send_failed;
  guint64         datagrams_sent;   /* by the members, to the room */
  guint64         sent_before_load;
  guint           closed;
  GArray         *latency;          /* gint32 µs, one per delivery */
  gint64          first_send;
  gint64          last_send;
  gint64          last_arrival;
  GPtrArray      *out;
  GHashTable     *origins;          /* native: own message origin → index + 1 */
  guint64        *origin_keys;
  gint64         *sent_at;          /* µs, per message */
} Bench;

static gboolean
refuse (const char *why)
{
  g_printerr ("chatroom-bench: %s\n", why);
  return FALSE;
}

/* The server's figures */

static gint64
server_cpu_us (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *close_paren;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (close_paren = strrchr (contents, ')')) == NULL)
    return -1;
  /* After "pid (comm)": field 3 is state; utime and stime are 14 and 15. */
  fields = g_strsplit (close_paren + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10)) *
         G_USEC_PER_SEC / sysconf (_SC_CLK_TCK);
}

static gint64
server_rss_kb (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (line = strstr (contents, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

/* Datagrams the kernel dropped at full receive buffers, from /proc/net/udp:
 * at the server's socket, and at the members' (the generator fell behind). */
static void
udp_drops (Bench   *bench,
           guint64 *at_server,
           guint64 *at_members)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) ports = g_hash_table_new (NULL, NULL);

  *at_server = *at_members = 0;
  for (guint i = 0; i < bench->n_members; i++)
    g_hash_table_add (ports, GUINT_TO_POINTER (bench->members[i].port));
  if (!g_file_get_contents ("/proc/net/udp", &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", 0);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[i]), " ", 0);
      g_autoptr(GPtrArray) fields = g_ptr_array_new ();
      const char *colon;
      guint port;

      for (guint j = 0; f[j] != NULL; j++)
        if (*f[j] != '\0')
          g_ptr_array_add (fields, f[j]);
      if (fields->len < 13 || (colon = strchr (fields->pdata[1], ':')) == NULL)
        continue;
      port = (guint) g_ascii_strtoull (colon + 1, NULL, 16);
      if (port == ntohs (bench->server.sin_port))
        *at_server += g_ascii_strtoull (fields->pdata[fields->len - 1], NULL, 10);
      else if (g_hash_table_contains (ports, GUINT_TO_POINTER (port)))
        *at_members += g_ascii_strtoull (fields->pdata[fields->len - 1], NULL, 10);
    }
}

/* Starting and stopping the server */

static int
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  int port;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
    g_error ("no free UDP port on 127.0.0.1: %s", g_strerror (errno));
  port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

static gboolean
spawn_server (Bench *bench)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *port = NULL;

  if (!g_shell_parse_argv (bench->server_cmd, NULL, &argv, &error))
    return refuse (error->message);
  bench->data_dir = g_dir_make_tmp ("chatroom-bench-XXXXXX", &error);
  if (bench->data_dir == NULL)
    return refuse (error->message);
  bench->port = free_port ();
  port = g_strdup_printf ("%d", bench->port);
  for (guint i = 0; argv[i] != NULL; i++)
    {
      GString *arg = g_string_new (argv[i]);

      g_string_replace (arg, "{port}", port, 0);
      g_string_replace (arg, "{dir}", bench->data_dir, 0);
      g_free (argv[i]);
      argv[i] = g_string_free (arg, FALSE);
    }
  /* chatroomd prints every event: not the figure we want on a terminal. */
  if (!g_spawn_async (NULL, argv, NULL,
                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, &bench->child, &error))
    return refuse (error->message);
  bench->pid = bench->child;
  return TRUE;
}

static void
stop_server (Bench *bench)
{
  int status;

  if (bench->child <= 0)
    return;
  kill (bench->child, SIGTERM);
  /* A room says goodbye to its members first: give it 3 s. */
  for (guint i = 0; i < 300; i++)
    {
      if (waitpid (bench->child, &status, WNOHANG) == bench->child)
        goto reaped;
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
    }
  kill (bench->child, SIGKILL);
  waitpid (bench->child, &status, 0);
reaped:
  g_spawn_close_pid (bench->child);
  bench->child = 0;
  if (bench->data_dir != NULL)
    {
      g_autofree char *command = g_strdup_printf ("rm -rf '%s'", bench->data_dir);
      g_autoptr(GError) error = NULL;

      if (!g_spawn_command_line_sync (command, NULL, NULL, NULL, &error))
        g_printerr ("chatroom-bench: %s\n", error->message);
    }
}

/* Members */

static void
send_to_server (Bench        *bench,
                Member       *member,
                const guint8 *data,
                gsize         len)
{
  if (sendto (member->fd, data, len, 0, (struct sockaddr *) &bench->server,
              sizeof bench->server) < 0)
    bench->send_failed++;
  bench->datagrams_sent++;
}

static void
send_out (Bench  *bench,
          Member *member)
{
  for (guint i = 0; i < bench->out->len; i++)
    {
      CrDatagram *d = bench->out->pdata[i];
      gsize len;
      const guint8 *data = g_bytes_get_data (d->data, &len);

      send_to_server (bench, member, data, len);
    }
  g_ptr_array_set_size (bench->out, 0);
}

/* Decimal digits up to the separator; *p moves past it. */
static gboolean
read_number (const char **p,
             const char  *end,
             char         separator,
             guint64     *value)
{
  const char *q = *p;

  *value = 0;
  while (q < end && g_ascii_isdigit (*q) && *value < G_MAXUINT64 / 10 - 10)
    *value = *value * 10 + (guint64) (*q++ - '0');
  if (q == *p || q >= end || *q != separator)
    return FALSE;
  *p = q + 1;
  return TRUE;
}

static void
record (Bench      *bench,
        Member     *member,
        const char *text,
        gsize       len,
        gint64      now)
{
  const char *end = text + len;
  const char *p = text;

  while ((p = memmem (p, end - p, MARKER, strlen (MARKER))) != NULL)
    {
      guint64 sender, k, sent;
      guint index;

      p += strlen (MARKER);
      /* "S.K.T#", read by hand rather than with sscanf: this runs once
       * per delivery, in the generator's busiest loop. */
      if (!read_number (&p, end, '.', &sender) || !read_number (&p, end, '.', &k) ||
          !read_number (&p, end, '#', &sent) ||
          sender >= bench->n_senders || k >= bench->n_each)
        continue;
      index = sender * bench->n_each + k;
      if (member->seen[index / 8] & (1u << (index % 8)))
        {
          bench->duplicates++;
          continue;
        }
      member->seen[index / 8] |= 1u << (index % 8);
      bench->deliveries++;
      bench->last_arrival = MAX (bench->last_arrival, now);
      g_array_append_val (bench->latency,
                          (gint32) { (gint32) MIN (now - (gint64) sent, G_MAXINT32) });
    }
}

static void
native_outputs (Bench  *bench,
                Member *member,
                gint64  now)
{
  CrClientOutput *output;

  while ((output = cr_client_engine_pop_output (member->engine)) != NULL)
    {
      switch (output->kind)
        {
        case CR_CLIENT_OUTPUT_JOINED:
          if (!member->joined)
            bench->n_joined++;
          member->joined = TRUE;
          break;
        case CR_CLIENT_OUTPUT_JOIN_FAILED:
          if (!member->refused)
            bench->n_refused++;
          member->refused = TRUE;
          if (bench->verbose)
            g_printerr ("join refused: %s\n", output->detail ? output->detail : "");
          break;
        case CR_CLIENT_OUTPUT_CLOSED:
          bench->closed++;
          break;
        case CR_CLIENT_OUTPUT_SENT:
          {
            /* The sender's own copy comes back as the row's confirmation. */
            guint index = GPOINTER_TO_UINT (g_hash_table_lookup (bench->origins,
                                                                 &output->origin));
            char text[64];

            if (index == 0)
              break;
            index--;
            g_snprintf (text, sizeof text, MARKER "%u.%u.%" G_GINT64_FORMAT "#",
                        index % bench->n_senders, index / bench->n_senders,
                        bench->sent_at[index]);
            record (bench, member, text, strlen (text), now);
            break;
          }
        case CR_CLIENT_OUTPUT_EVENT:
          if (output->event->text != NULL)
            record (bench, member, output->event->text, strlen (output->event->text), now);
          break;
        default:
          break;
        }
      cr_client_output_free (output);
    }
}

static void
native_tick (Bench  *bench,
             Member *member,
             gint64  now)
{
  cr_client_engine_tick (member->engine, now, bench->out);
  send_out (bench, member);
  native_outputs (bench, member, now);
  member->next_tick = cr_client_engine_next_deadline (member->engine);
}

/* A classic room's refusal line ("room full", "name taken"). */
static gboolean
is_refusal (const char *data,
            gsize       len)
{
  g_autofree char *line = g_strndup (data, len);

  return cr_classic_parse_reason (line) != CR_REASON_NONE;
}

static void
on_readable (Bench  *bench,
             Member *member)
{
  static guint8 buffers[RECV_BATCH][DATAGRAM_MAX];
  struct mmsghdr msgs[RECV_BATCH];
  struct iovec iov[RECV_BATCH];

  for (;;)
    {
      gint64 now;
      int n;

      for (guint i = 0; i < RECV_BATCH; i++)
        {
          iov[i] = (struct iovec) { buffers[i], DATAGRAM_MAX };
          msgs[i].msg_hdr = (struct msghdr) { NULL, 0, &iov[i], 1, NULL, 0, 0 };
        }
      n = recvmmsg (member->fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return;
      now = g_get_monotonic_time ();

      for (int i = 0; i < n; i++)
        {
          const char *data = (const char *) buffers[i];
          gsize len = msgs[i].msg_len;

          if (bench->native)
            {
              cr_client_engine_receive (member->engine, buffers[i], len, NULL, now, bench->out);
              send_out (bench, member);
              native_outputs (bench, member, now);
              continue;
            }
          if (!member->joined && !member->refused)
            {
              if (len == strlen (CR_CLASSIC_OK) && memcmp (data, CR_CLASSIC_OK, len) == 0)
                {
                  member->joined = TRUE;
                  bench->n_joined++;
                  continue;
                }
              if (len < 200 && memmem (data, len, MARKER, strlen (MARKER)) == NULL &&
                  is_refusal (data, len))
                {
                  member->refused = TRUE;
                  bench->n_refused++;
                  continue;
                }
            }
          record (bench, member, data, len, now);
        }
      if (bench->native && cr_client_engine_next_deadline (member->engine) <= now)
        native_tick (bench, member, now);
      else if (bench->native)
        member->next_tick = cr_client_engine_next_deadline (member->engine);
      if (n < RECV_BATCH)
        return;
    }
}

/* Waits up to timeout_ms for datagrams and takes them; then the native
 * members' timers that are due. */
static void
pump (Bench *bench,
      int    timeout_ms)
{
  struct epoll_event events[256];
  int n = epoll_wait (bench->epfd, events, G_N_ELEMENTS (events), timeout_ms);
  gint64 now;

  for (int i = 0; i < n; i++)
    on_readable (bench, &bench->members[events[i].data.u32]);

  if (!bench->native)
    return;
  /* The members' timers are milliseconds apart; walking all of them on
   * every wake of a busy loop was a quarter of the generator's CPU. */
  now = g_get_monotonic_time ();
  if (now - bench->last_walk < 1000)
    return;
  bench->last_walk = now;
  for (guint i = 0; i < bench->n_members; i++)
    {
      Member *member = &bench->members[i];

      if (member->engine != NULL && member->next_tick <= now)
        native_tick (bench, member, now);
    }
}

static gboolean
open_members (Bench *bench)
{
  guint bitmap = (bench->n_messages + 7) / 8;

  bench->members = g_new0 (Member, bench->n_members);
  for (guint i = 0; i < bench->n_members; i++)
    {
      Member *member = &bench->members[i];
      struct sockaddr_in addr = { .sin_family = AF_INET };
      socklen_t len = sizeof addr;
      struct epoll_event event = { .events = EPOLLIN, .data.u32 = i };
      int size = MEMBER_RCVBUF;

      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      member->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (member->fd < 0 || bind (member->fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
          getsockname (member->fd, (struct sockaddr *) &addr, &len) != 0)
        return refuse (g_strerror (errno));
      /* The generator's sockets must not be where datagrams are lost. */
      if (setsockopt (member->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt (member->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      member->port = ntohs (addr.sin_port);
      member->seen = g_malloc0 (MAX (bitmap, 1));
      epoll_ctl (bench->epfd, EPOLL_CTL_ADD, member->fd, &event);
    }
  return TRUE;
}

static void
ask_to_join (Bench  *bench,
             guint   i,
             gint64  now)
{
  Member *member = &bench->members[i];
  g_autofree char *name = g_strdup_printf ("m%u", i);

  member->asked_at = now;
  if (!bench->native)
    {
      g_autofree char *line = g_strdup_printf ("N %s", name);

      member->asked = TRUE;
      send_to_server (bench, member, (const guint8 *) line, strlen (line));
      return;
    }
  if (!member->asked)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.1:%d", bench->port);
      CrClientJoin join = { name, NULL, FALSE, NULL, address, 0 };

      member->asked = TRUE;
      member->engine = cr_client_engine_new (((guint64) i + 1) << 32);
      cr_client_engine_set_timing (member->engine, 0, 0,
                                   (gint64) bench->join_timeout_ms * G_TIME_SPAN_MILLISECOND);
      cr_client_engine_join (member->engine, &join, now);
      cr_client_engine_start (member->engine, now, bench->out);
      send_out (bench, member);
      member->next_tick = cr_client_engine_next_deadline (member->engine);
    }
}

/* Everyone joins, JOIN_WINDOW at a time; classic joins are asked again
 * after JOIN_RETRY_US (a native member's engine retries by itself). */
static gint64
join_all (Bench *bench)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) bench->join_timeout_ms * G_TIME_SPAN_MILLISECOND;
  gint64 last_retry = start;
  guint next = 0;

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      guint done = bench->n_joined + bench->n_refused;

      if (done >= bench->n_members || now >= deadline)
        break;
      while (next < bench->n_members && next - done < JOIN_WINDOW)
        ask_to_join (bench, next++, now);
      if (!bench->native && now - last_retry > JOIN_RETRY_US / 5)
        {
          last_retry = now;
          for (guint i = 0; i < next; i++)
            {
              Member *member = &bench->members[i];

              if (!member->joined && !member->refused && now - member->asked_at > JOIN_RETRY_US)
                ask_to_join (bench, i, now);
            }
        }
      pump (bench, 5);
    }
  return g_get_monotonic_time () - start;
}

static void
say (Bench  *bench,
     guint   index,
     gint64  now)
{
  guint sender = index % bench->n_senders;
  guint k = index / bench->n_senders;
  Member *member = &bench->members[sender];
  char text[128];

  g_snprintf (text, sizeof text, MARKER "%u.%u.%" G_GINT64_FORMAT "# load",
              sender, k, now);
  if (bench->native)
    {
      bench->origin_keys[index] = cr_client_engine_send (member->engine, text, now, bench->out);
      bench->sent_at[index] = now;
      g_hash_table_insert (bench->origins, &bench->origin_keys[index],
                           GUINT_TO_POINTER (index + 1));
      send_out (bench, member);
      if (cr_client_engine_next_deadline (member->engine) <= now)
        native_tick (bench, member, now);
      member->next_tick = cr_client_engine_next_deadline (member->engine);
    }
  else
    {
      char line[160];

      g_snprintf (line, sizeof line, "M m%u %s", sender, text);
      send_to_server (bench, member, (const guint8 *) line, strlen (line));
    }
}

/* The senders say their messages at the rate, then the room has drain_ms
 * to deliver what is missing. Returns the server's CPU µs meanwhile. */
static gint64
run_load (Bench *bench)
{
  gint64 cpu_before = server_cpu_us (bench->pid);
  gint64 t0 = g_get_monotonic_time () + G_TIME_SPAN_MILLISECOND;
  guint64 expected = (guint64) bench->n_joined * bench->n_messages;
  guint next = 0;
  gint64 end;

  bench->first_send = t0;
  bench->sent_before_load = bench->datagrams_sent;
  while (next < bench->n_messages)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 due;

      while (next < bench->n_messages &&
             (due = t0 + (gint64) (next * G_USEC_PER_SEC / bench->rate)) <= now)
        say (bench, next++, now);
      bench->last_send = now;
      if (next < bench->n_messages)
        {
          due = t0 + (gint64) (next * G_USEC_PER_SEC / bench->rate);
          pump (bench, 0);
        }
    }

  /* Polled, not slept on: a wakeup per datagram would make the generator,
   * not the room, what is measured. */
  end = bench->last_send + (gint64) bench->drain_ms * G_TIME_SPAN_MILLISECOND;
  while (bench->deliveries < expected && g_get_monotonic_time () < end)
    pump (bench, 0);
  /* Whatever is still on its way is not counted; the acks of what was are
   * sent before the server's time is read. */
  for (guint i = 0; i < 20; i++)
    pump (bench, 0);
  return server_cpu_us (bench->pid) - cpu_before;
}

static void
leave_all (Bench *bench)
{
  gint64 end;

  for (guint i = 0; i < bench->n_members; i++)
    {
      Member *member = &bench->members[i];

      if (!member->joined)
        continue;
      if (bench->native)
        {
          cr_client_engine_leave (member->engine, g_get_monotonic_time (), bench->out);
          send_out (bench, member);
        }
      else
        {
          g_autofree char *line = g_strdup_printf ("Q m%u", i);
          send_to_server (bench, member, (const guint8 *) line, strlen (line));
        }
    }
  end = g_get_monotonic_time () + 300 * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < end)
    pump (bench, 10);
}

static int
cmp_gint32 (gconstpointer a,
            gconstpointer b)
{
  gint32 x = *(const gint32 *) a;
  gint32 y = *(const gint32 *) b;

  return x < y ? -1 : x > y;
}

static gint32
percentile (GArray *sorted,
            double  p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, gint32, MIN (sorted->len - 1, (guint) (p * sorted->len)));
}

static void
free_bench (Bench *bench)
{
  for (guint i = 0; bench->members != NULL && i < bench->n_members; i++)
    {
      g_clear_pointer (&bench->members[i].engine, cr_client_engine_free);
      g_free (bench->members[i].seen);
      if (bench->members[i].fd > 0)
        close (bench->members[i].fd);
    }
  g_free (bench->members);
  if (bench->epfd > 0)
    close (bench->epfd);
  g_clear_pointer (&bench->latency, g_array_unref);
  g_clear_pointer (&bench->out, g_ptr_array_unref);
  g_clear_pointer (&bench->origins, g_hash_table_unref);
  g_free (bench->origin_keys);
  g_free (bench->sent_at);
  g_free (bench->dialect);
  g_free (bench->server_cmd);
  g_free (bench->data_dir);
}

int
main (int   argc,
      char *argv[])
{
  Bench bench = { 0, };
  g_autofree char *address = NULL;
  gboolean expect_lossless = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  gint64 join_us, cpu_us, rss_empty, rss_joined, rss_end;
  guint64 expected, drops_server, drops_members;
  double seconds, dps, loss;
  int status = 0;
  GOptionEntry entries[] = {
    { "dialect", 0, 0, G_OPTION_ARG_STRING, &bench.dialect,
      "classic or native (default classic)", "DIALECT" },
    { "members", 'm', 0, G_OPTION_ARG_INT, &bench.n_members, "Members (default 10)", "M" },
    { "senders", 's', 0, G_OPTION_ARG_INT, &bench.n_senders, "Of them, senders (default 10)", "S" },
    { "messages", 'k', 0, G_OPTION_ARG_INT, &bench.n_each, "Messages each sender says (default 100)", "K" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &bench.rate, "Messages a second, all senders (default 1000)", "R" },
    { "server", 0, 0, G_OPTION_ARG_STRING, &bench.server_cmd,
      "Start this server for the run: a command line; {port} and {dir} are replaced", "COMMAND" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address,
      "The room's address with --port (loopback only; default 127.0.0.1)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &bench.port, "A room already running on this UDP port", "PORT" },
    { "pid", 0, 0, G_OPTION_ARG_INT, &bench.pid, "Its process (for CPU and memory)", "PID" },
    { "join-timeout", 0, 0, G_OPTION_ARG_INT, &bench.join_timeout_ms, "Joining may take this long (ms, default 20000)", "MS" },
    { "drain", 0, 0, G_OPTION_ARG_INT, &bench.drain_ms, "After the last send, wait this long for deliveries (ms, default 2000)", "MS" },
    { "expect-lossless", 0, 0, G_OPTION_ARG_NONE, &expect_lossless,
      "Exit with status 1 unless everyone joined, something was delivered and nothing was lost", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &bench.verbose, "Say why joins fail", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bench.n_members = 10;
  bench.n_senders = 10;
  bench.n_each = 100;
  bench.rate = 1000;
  bench.join_timeout_ms = 20000;
  bench.drain_ms = 2000;

  context = g_option_context_new ("- a room's fan-out under load");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (bench.dialect == NULL)
    bench.dialect = g_strdup ("classic");
  bench.native = g_str_equal (bench.dialect, "native");
  if (!bench.native && !g_str_equal (bench.dialect, "classic"))
    return refuse ("--dialect is classic or native"), 2;
  if (bench.n_members < 1 || bench.n_members > 20000 || bench.n_senders < 1 ||
      bench.n_senders > bench.n_members || bench.n_each < 1 || bench.rate <= 0 ||
      (guint64) bench.n_senders * bench.n_each > 10000000)
    return refuse ("members 1–20000, 1 ≤ senders ≤ members, messages ≥ 1, rate > 0"), 2;
  /* Loopback only: this is a load generator. */
  inet = g_inet_address_new_from_string (address ? address : "127.0.0.1");
  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4 ||
      !g_inet_address_get_is_loopback (inet))
    return refuse ("only an IPv4 loopback address (127.0.0.0/8) is accepted"), 2;
  if ((bench.server_cmd == NULL) == (bench.port <= 0))
    return refuse ("give either --server COMMAND or --port PORT"), 2;

  bench.n_messages = bench.n_senders * bench.n_each;
  bench.latency = g_array_new (FALSE, FALSE, sizeof (gint32));
  bench.out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  bench.epfd = epoll_create1 (EPOLL_CLOEXEC);
  bench.origins = g_hash_table_new (g_int64_hash, g_int64_equal);
  bench.origin_keys = g_new0 (guint64, bench.n_messages);
  bench.sent_at = g_new0 (gint64, bench.n_messages);

  if (bench.server_cmd != NULL && !spawn_server (&bench))
    {
      free_bench (&bench);
      return 1;
    }
  bench.server.sin_family = AF_INET;
  bench.server.sin_port = htons ((guint16) bench.port);
  memcpy (&bench.server.sin_addr, g_inet_address_to_bytes (inet), 4);

  /* Give a server just started its time to bind (bounded by the join). */
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  rss_empty = bench.pid > 0 ? server_rss_kb (bench.pid) : -1;
  if (!open_members (&bench))
    {
      stop_server (&bench);
      free_bench (&bench);
      return 1;
    }

  join_us = join_all (&bench);
  rss_joined = bench.pid > 0 ? server_rss_kb (bench.pid) : -1;
  g_print ("%s: %u of %u members joined in %.0f ms (%u refused)\n", bench.dialect,
           bench.n_joined, bench.n_members, join_us / 1000.0, bench.n_refused);

  if (bench.n_joined < bench.n_senders || bench.members[0].joined == FALSE)
    {
      g_print ("too few joined to send\n");
      status = 1;
      cpu_us = 0;
    }
  else
    {
      /* The senders are the first members: they must have joined. */
      for (guint i = 0; i < bench.n_senders; i++)
        if (!bench.members[i].joined)
          status = 1;
      cpu_us = status == 0 ? run_load (&bench) : 0;
    }
  rss_end = bench.pid > 0 ? server_rss_kb (bench.pid) : -1;
  udp_drops (&bench, &drops_server, &drops_members);

  expected = (guint64) bench.n_joined * bench.n_messages;
  seconds = MAX (1, bench.last_arrival - bench.first_send) / (double) G_USEC_PER_SEC;
  dps = bench.deliveries / seconds;
  loss = expected > 0 ? 100.0 * (expected - MIN (expected, bench.deliveries)) / expected : 100.0;
  g_array_sort (bench.latency, cmp_gint32);

  g_print ("sent %u messages (%u senders × %u) at %.0f/s in %.3f s\n",
           bench.n_messages, bench.n_senders, bench.n_each, bench.rate,
           (bench.last_send - bench.first_send) / (double) G_USEC_PER_SEC);
  g_print ("deliveries: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " (loss %.2f %%), "
           "%.0f/s; %" G_GUINT64_FORMAT " duplicates\n",
           bench.deliveries, expected, loss, dps, bench.duplicates);
  g_print ("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           percentile (bench.latency, 0.50) / 1000.0, percentile (bench.latency, 0.99) / 1000.0,
           percentile (bench.latency, 1.0) / 1000.0);
  if (bench.pid > 0)
    g_print ("server: CPU %.1f ms, %.2f µs per delivery; VmRSS %" G_GINT64_FORMAT " kB "
             "(empty %" G_GINT64_FORMAT ", joined %" G_GINT64_FORMAT ": %.0f B per member)\n",
             cpu_us / 1000.0, bench.deliveries ? (double) cpu_us / bench.deliveries : 0,
             rss_end, rss_empty, rss_joined,
             bench.n_joined ? (rss_joined - rss_empty) * 1024.0 / bench.n_joined : 0);
  g_print ("kernel drops: %" G_GUINT64_FORMAT " at the server's socket, %" G_GUINT64_FORMAT
           " at the members'; the members sent the room %" G_GUINT64_FORMAT " datagrams "
           "during the load (%.3f per delivery)\n", drops_server, drops_members,
           bench.datagrams_sent - bench.sent_before_load,
           bench.deliveries ? (double) (bench.datagrams_sent - bench.sent_before_load) /
                              bench.deliveries : 0);
  g_print ("RESULT dialect=%s members=%u joined=%u senders=%u messages=%u rate=%.0f "
           "join_ms=%.0f deliveries=%" G_GUINT64_FORMAT " expected=%" G_GUINT64_FORMAT
           " loss_pct=%.3f dps=%.0f p50_us=%d p99_us=%d max_us=%d cpu_us=%" G_GINT64_FORMAT
           " cpu_us_per_delivery=%.3f rss_kb=%" G_GINT64_FORMAT " rss_per_member_b=%.0f"
           " server_drops=%" G_GUINT64_FORMAT " member_drops=%" G_GUINT64_FORMAT
           " member_datagrams=%" G_GUINT64_FORMAT "\n",
           bench.dialect, bench.n_members, bench.n_joined, bench.n_senders, bench.n_messages,
           bench.rate, join_us / 1000.0, bench.deliveries, expected, loss, dps,
           percentile (bench.latency, 0.50), percentile (bench.latency, 0.99),
           percentile (bench.latency, 1.0), cpu_us,
           bench.deliveries ? (double) cpu_us / bench.deliveries : 0, rss_end,
           bench.n_joined ? (rss_joined - rss_empty) * 1024.0 / bench.n_joined : 0,
           drops_server, drops_members, bench.datagrams_sent - bench.sent_before_load);

  leave_all (&bench);
  stop_server (&bench);
  if (expect_lossless &&
      (bench.n_joined < bench.n_members || bench.deliveries == 0 || bench.deliveries < expected))
    status = 1;
  free_bench (&bench);
  return status;
}
