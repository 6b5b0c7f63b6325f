/* cr-test-utils.c: helpers for the network tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-test-utils"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "cr-client-private.h"
#include "cr-test-utils.h"

#define MAX_DATAGRAM   65536
#define READ_BATCH     256

/* ------------------------------------------------------------------ */
/* Waiting                                                            */

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
cr_test_wait_until (CrTestCondition  condition,
                    gpointer         user_data,
                    guint            timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (timeout_ms);
  GSource *tick = NULL;
  gboolean timed_out = FALSE;
  gboolean ok = FALSE;

  g_source_set_callback (timeout, on_wait_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  /* A condition may come true off this context: a thread's reply, a child
   * reaped by GLib's worker thread (GSubprocess), which wake nothing here.
   * Without a tick the loop slept until the timeout (5 s for each child
   * cr_test_child_free ended); with it the condition is seen within 10 ms. */
  if (condition != NULL)
    {
      tick = g_timeout_source_new (10);
      g_source_set_callback (tick, on_wait_tick, NULL, NULL);
      g_source_attach (tick, context);
    }

  while (!(ok = (condition != NULL && condition (user_data))) && !timed_out)
    g_main_context_iteration (context, TRUE);

  if (tick != NULL)
    {
      g_source_destroy (tick);
      g_source_unref (tick);
    }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (context);
  return ok;
}

void
cr_test_run_for (guint ms)
{
  cr_test_wait_until (NULL, NULL, ms);
}

/* ------------------------------------------------------------------ */
/* Data directories                                                   */

char *
cr_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *path = g_dir_make_tmp ("chatroom-test-XXXXXX", &error);

  g_assert_no_error (error);
  return path;
}

void
cr_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if (path == NULL)
    return;

  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, entry, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            cr_test_remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

/* ------------------------------------------------------------------ */
/* Addresses                                                          */

char *
cr_test_address (const char *host,
                 guint16     port)
{
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

GSocketAddress *
cr_test_socket_address (const char *host,
                        guint16     port)
{
  return g_inet_socket_address_new_from_string (host, port);
}

void
cr_test_fixed_random (guint8   *buf,
                      gsize     len,
                      gpointer  user_data)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_rand_int_range (user_data, 0, 256);
}

gboolean
cr_test_have_ipv6_loopback (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  if (socket == NULL)
    return FALSE;
  address = g_inet_socket_address_new_from_string ("::1", 0);
  return g_socket_bind (socket, address, FALSE, NULL);
}

/* ------------------------------------------------------------------ */
/* Clients                                                            */

typedef struct
{
  gboolean  done;
  GError   *error;
} JoinWait;

static void
on_joined (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  JoinWait *wait = user_data;

  cr_client_join_finish (CR_CLIENT (object), result, &wait->error);
  wait->done = TRUE;
}

static gboolean
join_done (gpointer user_data)
{
  JoinWait *wait = user_data;

  return wait->done;
}

CrClient *
cr_test_join_timed (const char  *address,
                    const char  *name,
                    const char  *password,
                    gboolean     do_register,
                    guint        keepalive_ms,
                    guint        silence_ms,
                    guint        join_timeout_ms,
                    GError     **error)
{
  CrClient *client = cr_client_new ();
  JoinWait wait = { FALSE, NULL };
  guint limit = (join_timeout_ms ? join_timeout_ms : 5000) + 3000;

  cr_client_set_timing (client, keepalive_ms, silence_ms, join_timeout_ms);
  cr_client_join_async (client, address, name, password, do_register, NULL, NULL,
                        on_joined, &wait);
  if (!cr_test_wait_until (join_done, &wait, limit))
    g_error ("The join of %s to %s did not finish within %u ms", name, address, limit);

  if (wait.error != NULL && error == NULL)
    g_error ("%s could not join %s: %s", name, address, wait.error->message);
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return client;
}

CrClient *
cr_test_join (const char  *address,
              const char  *name,
              const char  *password,
              gboolean     do_register,
              guint        timeout_ms,
              GError     **error)
{
  return cr_test_join_timed (address, name, password, do_register, 0, 0, timeout_ms, error);
}

static gboolean
client_closed (gpointer user_data)
{
  return cr_client_get_state (CR_CLIENT (user_data)) == CR_CLIENT_CLOSED;
}

/* Joins in flight at once in cr_test_join_many: enough to overlap the
 * round trips, few enough that a loaded machine answers each in time. */
#define JOIN_WINDOW 16

typedef struct
{
  const char         *address;
  const char * const *names;
  guint               n;
  guint               started;
  guint               finished;
  guint               timeout_ms;
  GPtrArray          *clients;
  JoinWait           *waits;
} JoinAll;

static void join_next (JoinAll *all);

static gboolean
all_joined (gpointer user_data)
{
  JoinAll *all = user_data;

  return all->finished == all->n;
}

static void
on_one_joined (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  JoinAll *all = user_data;
  guint i;

  g_assert_true (g_ptr_array_find (all->clients, object, &i));
  cr_client_join_finish (CR_CLIENT (object), result, &all->waits[i].error);
  all->waits[i].done = TRUE;
  all->finished++;
  join_next (all);
}

static void
join_next (JoinAll *all)
{
  while (all->started < all->n && all->started - all->finished < JOIN_WINDOW)
    {
      CrClient *client = cr_client_new ();

      cr_client_set_timing (client, 0, 0, all->timeout_ms);
      g_ptr_array_add (all->clients, client);
      cr_client_join_async (client, all->address, all->names[all->started++], NULL, FALSE,
                            NULL, NULL, on_one_joined, all);
    }
}

GPtrArray *
cr_test_join_many (const char         *address,
                   const char * const *names,
                   guint               timeout_ms)
{
  guint n = g_strv_length ((char **) names);
  JoinAll all = { address, names, n, 0, 0, timeout_ms,
                  g_ptr_array_new_with_free_func (g_object_unref), g_new0 (JoinWait, n) };
  guint limit = timeout_ms * (n / JOIN_WINDOW + 1) + 3000;

  /* Up to JOIN_WINDOW at once: the joins overlap as a crowd's do, and the
   * whole takes a fraction of n joins one after the other. */
  join_next (&all);
  if (!cr_test_wait_until (all_joined, &all, limit))
    g_error ("%u of %u joins to %s did not finish within %u ms", n - all.finished, n, address,
             limit);
  for (guint i = 0; i < n; i++)
    if (all.waits[i].error != NULL)
      g_error ("%s could not join %s: %s", names[i], address, all.waits[i].error->message);
  g_free (all.waits);
  return all.clients;
}

static gboolean
all_closed (gpointer user_data)
{
  GPtrArray *clients = user_data;

  for (guint i = 0; i < clients->len; i++)
    if (cr_client_get_state (clients->pdata[i]) != CR_CLIENT_CLOSED)
      return FALSE;
  return TRUE;
}

void
cr_test_leave_many (GPtrArray *clients)
{
  for (guint i = 0; i < clients->len; i++)
    cr_client_leave (clients->pdata[i]);
  cr_test_assert_wait (all_closed, clients, 3000 + 20 * clients->len);
  g_ptr_array_unref (clients);
}

void
cr_test_leave_and_free (CrClient *client)
{
  if (client == NULL)
    return;
  cr_client_leave (client);
  cr_test_assert_wait (client_closed, client, 3000);
  g_object_unref (client);
}

guint
cr_test_count_text (GListModel *messages,
                    const char *sender,
                    const char *text)
{
  guint n = g_list_model_get_n_items (messages);
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (cr_message_is_system (message))
        continue;
      if (sender != NULL && g_strcmp0 (cr_message_get_sender (message), sender) != 0)
        continue;
      if (g_strcmp0 (cr_message_get_text (message), text) == 0)
        count++;
    }
  return count;
}

gboolean
cr_test_has_event (GListModel  *messages,
                   CrEventKind  kind,
                   const char  *name)
{
  guint n = g_list_model_get_n_items (messages);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i);

      if (cr_message_get_kind (message) == kind &&
          (name == NULL || g_strcmp0 (cr_message_get_sender (message), name) == 0))
        return TRUE;
    }
  return FALSE;
}

gboolean
cr_test_has_member (GListModel *members,
                    const char *name)
{
  guint n = g_list_model_get_n_items (members);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (g_strcmp0 (cr_member_get_name (member), name) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
cr_test_message_sent (gpointer message)
{
  return cr_message_get_state (CR_MESSAGE (message)) == CR_MESSAGE_SENT;
}

gboolean
cr_test_message_failed (gpointer message)
{
  return cr_message_get_state (CR_MESSAGE (message)) == CR_MESSAGE_FAILED;
}

/* ------------------------------------------------------------------ */
/* Raw sockets                                                        */

typedef struct
{
  GBytes         *data;
  GSocketAddress *from;
} Datagram;

static void
datagram_free (Datagram *datagram)
{
  g_bytes_unref (datagram->data);
  g_clear_object (&datagram->from);
  g_free (datagram);
}

struct _CrTestSocket
{
  GSocket *socket;
  GSource *source;
  GQueue   queue;     /* Datagram*, read by the source as they come */
  guint8  *buffer;
};

static gboolean
on_test_socket_readable (GSocket      *socket,
                         GIOCondition  condition,
                         gpointer      user_data)
{
  CrTestSocket *sock = user_data;

  for (guint i = 0; i < READ_BATCH; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      gssize len = g_socket_receive_from (socket, &from, (char *) sock->buffer,
                                          MAX_DATAGRAM, NULL, NULL);
      Datagram *datagram;

      if (len < 0)
        break;
      datagram = g_new0 (Datagram, 1);
      datagram->data = g_bytes_new (sock->buffer, len);
      datagram->from = g_steal_pointer (&from);
      g_queue_push_tail (&sock->queue, datagram);
    }
  return G_SOURCE_CONTINUE;
}

CrTestSocket *
cr_test_socket_new (const char *host)
{
  g_autoptr(GSocketAddress) address = cr_test_socket_address (host, 0);
  g_autoptr(GError) error = NULL;
  CrTestSocket *sock = g_new0 (CrTestSocket, 1);

  sock->socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (sock->socket, FALSE);
  g_socket_bind (sock->socket, address, FALSE, &error);
  g_assert_no_error (error);
  sock->buffer = g_malloc (MAX_DATAGRAM);
  g_queue_init (&sock->queue);

  sock->source = g_socket_create_source (sock->socket, G_IO_IN, NULL);
  g_source_set_callback (sock->source, G_SOURCE_FUNC (on_test_socket_readable), sock, NULL);
  g_source_attach (sock->source, g_main_context_get_thread_default ());
  return sock;
}

void
cr_test_socket_free (CrTestSocket *sock)
{
  if (sock == NULL)
    return;
  g_source_destroy (sock->source);
  g_source_unref (sock->source);
  g_socket_close (sock->socket, NULL);
  g_object_unref (sock->socket);
  g_queue_clear_full (&sock->queue, (GDestroyNotify) datagram_free);
  g_free (sock->buffer);
  g_free (sock);
}

guint16
cr_test_socket_get_port (CrTestSocket *sock)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (sock->socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

GSocket *
cr_test_socket_get_socket (CrTestSocket *sock)
{
  return sock->socket;
}

void
cr_test_socket_send (CrTestSocket   *sock,
                     GSocketAddress *to,
                     const void     *data,
                     gsize           len)
{
  g_autoptr(GError) error = NULL;

  g_socket_send_to (sock->socket, to, data, len, NULL, &error);
  g_assert_no_error (error);
}

void
cr_test_socket_send_text (CrTestSocket   *sock,
                          GSocketAddress *to,
                          const char     *text)
{
  cr_test_socket_send (sock, to, text, strlen (text));
}

static gboolean
socket_has_datagram (gpointer user_data)
{
  CrTestSocket *sock = user_data;

  return !g_queue_is_empty (&sock->queue);
}

GBytes *
cr_test_socket_receive (CrTestSocket    *sock,
                        guint            timeout_ms,
                        GSocketAddress **from)
{
  Datagram *datagram;
  GBytes *data;

  if (!cr_test_wait_until (socket_has_datagram, sock, timeout_ms))
    return NULL;
  datagram = g_queue_pop_head (&sock->queue);
  data = g_bytes_ref (datagram->data);
  if (from != NULL)
    *from = g_object_ref (datagram->from);
  datagram_free (datagram);
  return data;
}

char *
cr_test_socket_receive_text (CrTestSocket *sock,
                             guint         timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      gint64 left = MAX (0, (end - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND);
      g_autoptr(GBytes) data = NULL;
      gsize len;
      const char *text;

      data = cr_test_socket_receive (sock, left, NULL);
      if (data == NULL)
        return NULL;
      text = g_bytes_get_data (data, &len);
      if (cr_protocol_is_native ((const guint8 *) text, len))
        continue;
      g_assert_true (g_utf8_validate_len (text, len, NULL));
      return g_strndup (text, len);
    }
}

/* ------------------------------------------------------------------ */
/* A member's packet path on a raw socket                             */

static void
engine_member_send (CrTestEngineMember *member,
                    GPtrArray          *out)
{
  CrClientOutput *output;

  for (guint i = 0; i < out->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (((CrDatagram *) out->pdata[i])->data, &len);

      cr_test_socket_send (member->sock, member->server, data, len);
    }
  g_ptr_array_set_size (out, 0);
  while ((output = cr_client_engine_pop_output (member->engine)) != NULL)
    cr_client_output_free (output);
}

void
cr_test_engine_member_pump (CrTestEngineMember *member)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  Datagram *datagram;

  while ((datagram = g_queue_pop_head (&member->sock->queue)) != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (datagram->data, &len);

      cr_client_engine_receive (member->engine, data, len, datagram->from,
                                g_get_monotonic_time (), out);
      datagram_free (datagram);
    }
  if (cr_client_engine_next_deadline (member->engine) <= g_get_monotonic_time ())
    cr_client_engine_tick (member->engine, g_get_monotonic_time (), out);
  engine_member_send (member, out);
}

CrTestEngineMember *
cr_test_engine_member_join (guint16     port,
                            const char *name,
                            guint       timeout_ms)
{
  g_autoptr(CrTestEngineMember) member = g_new0 (CrTestEngineMember, 1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  g_autofree char *address = cr_test_address ("127.0.0.1", port);
  CrClientJoin join = { name, NULL, FALSE, NULL, address, 0 };

  member->sock = cr_test_socket_new ("127.0.0.1");
  member->server = cr_test_socket_address ("127.0.0.1", port);
  member->engine = cr_client_engine_new (G_GUINT64_CONSTANT (0x7e57) << 32);
  cr_client_engine_join (member->engine, &join, g_get_monotonic_time ());
  cr_client_engine_start (member->engine, g_get_monotonic_time (), out);
  engine_member_send (member, out);

  while (cr_client_engine_get_state (member->engine) == CR_CLIENT_CONNECTING &&
         g_get_monotonic_time () < end)
    {
      cr_test_wait_until (socket_has_datagram, member->sock, 20);
      cr_test_engine_member_pump (member);
    }

  if (cr_client_engine_get_state (member->engine) != CR_CLIENT_CONNECTED)
    return NULL;
  return g_steal_pointer (&member);
}

void
cr_test_engine_member_free (CrTestEngineMember *member)
{
  if (member == NULL)
    return;
  g_clear_pointer (&member->sock, cr_test_socket_free);
  g_clear_object (&member->server);
  g_clear_pointer (&member->engine, cr_client_engine_free);
  g_free (member);
}

/* ------------------------------------------------------------------ */
/* The loss proxy                                                     */

typedef struct
{
  CrTestProxy    *proxy;      /* borrowed */
  GSocketAddress *client;
  GSocket        *socket;     /* towards the server */
  GSource        *source;
} Flow;

typedef struct
{
  GSocket        *via;        /* borrowed: the proxy's or a flow's socket */
  GSocketAddress *to;
  GBytes         *data;
  gint64          due;
} Delayed;

struct _CrTestProxy
{
  GSocket          *listen;
  GSource          *listen_source;
  GSocketAddress   *upstream;
  GHashTable       *flows;      /* "ip:port" → Flow* */
  GRand            *rand;
  double            loss;
  double            dup;
  double            reorder;
  gboolean          blackhole;
  GQueue            delayed;    /* Delayed* */
  GSource          *delay_source;
  guint8           *buffer;
  CrTestProxyStats  stats;
};

static void
delayed_free (Delayed *delayed)
{
  g_clear_object (&delayed->to);
  g_bytes_unref (delayed->data);
  g_free (delayed);
}

static void
flow_free (Flow *flow)
{
  g_source_destroy (flow->source);
  g_source_unref (flow->source);
  g_socket_close (flow->socket, NULL);
  g_object_unref (flow->socket);
  g_object_unref (flow->client);
  g_free (flow);
}

static void
proxy_send (GSocket        *via,
            GSocketAddress *to,
            GBytes         *data)
{
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  /* Losing one more datagram is what this relay is for: ignore errors. */
  g_socket_send_to (via, to, bytes, len, NULL, NULL);
}

static void
proxy_schedule_delayed (CrTestProxy *proxy)
{
  gint64 next = -1;

  for (GList *l = proxy->delayed.head; l != NULL; l = l->next)
    {
      Delayed *delayed = l->data;

      if (next < 0 || delayed->due < next)
        next = delayed->due;
    }
  g_source_set_ready_time (proxy->delay_source, next);
}

static gboolean
on_delay_due (gpointer user_data)
{
  CrTestProxy *proxy = user_data;
  gint64 now = g_get_monotonic_time ();
  GList *l = proxy->delayed.head;

  while (l != NULL)
    {
      GList *next = l->next;
      Delayed *delayed = l->data;

      if (delayed->due <= now)
        {
          if (!proxy->blackhole)
            proxy_send (delayed->via, delayed->to, delayed->data);
          delayed_free (delayed);
          g_queue_delete_link (&proxy->delayed, l);
        }
      l = next;
    }
  proxy_schedule_delayed (proxy);
  return G_SOURCE_CONTINUE;
}

static gboolean
delay_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs delay_funcs = {
  NULL, NULL, delay_dispatch, NULL, NULL, NULL,
};

static void
proxy_relay (CrTestProxy    *proxy,
             GSocket        *via,
             GSocketAddress *to,
             GBytes         *data)
{
  guint copies = 1;

  if (proxy->blackhole)
    {
      proxy->stats.blackholed++;
      return;
    }
  if (g_rand_double (proxy->rand) < proxy->loss)
    {
      proxy->stats.dropped++;
      return;
    }
  if (g_rand_double (proxy->rand) < proxy->dup)
    {
      proxy->stats.duplicated++;
      copies = 2;
    }

  for (guint i = 0; i < copies; i++)
    {
      if (g_rand_double (proxy->rand) < proxy->reorder)
        {
          Delayed *delayed = g_new0 (Delayed, 1);

          delayed->via = via;
          delayed->to = g_object_ref (to);
          delayed->data = g_bytes_ref (data);
          delayed->due = g_get_monotonic_time () +
                         g_rand_int_range (proxy->rand, 5, 41) * G_TIME_SPAN_MILLISECOND;
          g_queue_push_tail (&proxy->delayed, delayed);
          proxy->stats.reordered++;
          proxy_schedule_delayed (proxy);
        }
      else
        proxy_send (via, to, data);
    }
}

static gboolean
on_flow_readable (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  Flow *flow = user_data;
  CrTestProxy *proxy = flow->proxy;

  for (guint i = 0; i < READ_BATCH; i++)
    {
      g_autoptr(GBytes) data = NULL;
      gssize len = g_socket_receive_from (socket, NULL, (char *) proxy->buffer,
                                          MAX_DATAGRAM, NULL, NULL);

      if (len < 0)
        break;
      proxy->stats.to_client++;
      data = g_bytes_new (proxy->buffer, len);
      proxy_relay (proxy, proxy->listen, flow->client, data);
    }
  return G_SOURCE_CONTINUE;
}

static Flow *
proxy_get_flow (CrTestProxy    *proxy,
                GSocketAddress *client)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (loopback, 0);
  g_autofree char *key = NULL;
  g_autofree char *ip = NULL;
  g_autoptr(GError) error = NULL;
  Flow *flow;

  ip = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (client)));
  key = g_strdup_printf ("%s:%u", ip,
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (client)));
  flow = g_hash_table_lookup (proxy->flows, key);
  if (flow != NULL)
    return flow;

  flow = g_new0 (Flow, 1);
  flow->proxy = proxy;
  flow->client = g_object_ref (client);
  flow->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (flow->socket, FALSE);
  g_socket_bind (flow->socket, local, FALSE, &error);
  g_assert_no_error (error);
  flow->source = g_socket_create_source (flow->socket, G_IO_IN, NULL);
  g_source_set_callback (flow->source, G_SOURCE_FUNC (on_flow_readable), flow, NULL);
  g_source_attach (flow->source, g_main_context_get_thread_default ());
  g_hash_table_insert (proxy->flows, g_steal_pointer (&key), flow);
  return flow;
}

static gboolean
on_listen_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  CrTestProxy *proxy = user_data;

  for (guint i = 0; i < READ_BATCH; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GBytes) data = NULL;
      gssize len = g_socket_receive_from (socket, &from, (char *) proxy->buffer,
                                          MAX_DATAGRAM, NULL, NULL);
      Flow *flow;

      if (len < 0)
        break;
      proxy->stats.to_server++;
      flow = proxy_get_flow (proxy, from);
      data = g_bytes_new (proxy->buffer, len);
      proxy_relay (proxy, flow->socket, proxy->upstream, data);
    }
  return G_SOURCE_CONTINUE;
}

CrTestProxy *
cr_test_proxy_new (GSocketAddress *upstream,
                   double          loss,
                   double          dup,
                   double          reorder,
                   guint32         seed)
{
  g_autoptr(GSocketAddress) local = cr_test_socket_address ("127.0.0.1", 0);
  g_autoptr(GError) error = NULL;
  CrTestProxy *proxy = g_new0 (CrTestProxy, 1);

  proxy->upstream = g_object_ref (upstream);
  proxy->loss = loss;
  proxy->dup = dup;
  proxy->reorder = reorder;
  proxy->rand = g_rand_new_with_seed (seed);
  proxy->flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) flow_free);
  proxy->buffer = g_malloc (MAX_DATAGRAM);
  g_queue_init (&proxy->delayed);

  proxy->listen = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (proxy->listen, FALSE);
  g_socket_bind (proxy->listen, local, FALSE, &error);
  g_assert_no_error (error);

  proxy->listen_source = g_socket_create_source (proxy->listen, G_IO_IN, NULL);
  g_source_set_callback (proxy->listen_source, G_SOURCE_FUNC (on_listen_readable), proxy, NULL);
  g_source_attach (proxy->listen_source, g_main_context_get_thread_default ());

  proxy->delay_source = g_source_new (&delay_funcs, sizeof (GSource));
  g_source_set_callback (proxy->delay_source, on_delay_due, proxy, NULL);
  g_source_attach (proxy->delay_source, g_main_context_get_thread_default ());
  return proxy;
}

void
cr_test_proxy_free (CrTestProxy *proxy)
{
  if (proxy == NULL)
    return;
  g_source_destroy (proxy->delay_source);
  g_source_unref (proxy->delay_source);
  g_source_destroy (proxy->listen_source);
  g_source_unref (proxy->listen_source);
  g_queue_clear_full (&proxy->delayed, (GDestroyNotify) delayed_free);
  g_hash_table_unref (proxy->flows);
  g_socket_close (proxy->listen, NULL);
  g_object_unref (proxy->listen);
  g_object_unref (proxy->upstream);
  g_rand_free (proxy->rand);
  g_free (proxy->buffer);
  g_free (proxy);
}

guint16
cr_test_proxy_get_port (CrTestProxy *proxy)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (proxy->listen, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

void
cr_test_proxy_set_upstream (CrTestProxy    *proxy,
                            GSocketAddress *upstream)
{
  g_set_object (&proxy->upstream, upstream);
}

void
cr_test_proxy_set_blackhole (CrTestProxy *proxy,
                             gboolean     blackhole)
{
  proxy->blackhole = blackhole;
}

void
cr_test_proxy_get_stats (CrTestProxy      *proxy,
                         CrTestProxyStats *stats)
{
  *stats = proxy->stats;
}

/* Client states ---------------------------------------------------- */

typedef struct
{
  CrClient      *client;
  CrClientState  state;
} StateWait;

static gboolean
state_reached (gpointer user_data)
{
  StateWait *wait = user_data;

  return cr_client_get_state (wait->client) == wait->state;
}

void
cr_test_assert_state (CrClient      *client,
                      CrClientState  state,
                      guint          timeout_ms)
{
  StateWait wait = { client, state };

  if (!cr_test_wait_until (state_reached, &wait, timeout_ms))
    g_error ("timed out after %u ms waiting for client state %d (it is %d)",
             timeout_ms, state, cr_client_get_state (client));
}

typedef struct
{
  GListModel  *messages;
  CrEventKind  kind;
  const char  *name;
} EventWait;

static gboolean
event_seen (gpointer user_data)
{
  EventWait *wait = user_data;

  return cr_test_has_event (wait->messages, wait->kind, wait->name);
}

void
cr_test_assert_event (GListModel  *messages,
                      CrEventKind  kind,
                      const char  *name,
                      guint        timeout_ms)
{
  EventWait wait = { messages, kind, name };

  if (!cr_test_wait_until (event_seen, &wait, timeout_ms))
    g_error ("timed out after %u ms waiting for an event of kind %d about %s",
             timeout_ms, kind, name);
}

/* Child processes -------------------------------------------------- */

static void child_read_more (CrTestChild *child);

static void
on_child_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  CrTestChild *child = user_data;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return;   /* end of output, or cancelled: child may be gone */
  g_string_append_len (child->output, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  child_read_more (child);
}

static void
child_read_more (CrTestChild *child)
{
  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (child->process), 4096,
                                   G_PRIORITY_DEFAULT, child->cancellable, on_child_read, child);
}

static CrTestChild *
child_spawn (const char * const *argv,
             gboolean            merge_stderr,
             gboolean            clean)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  CrTestChild *child = g_new0 (CrTestChild, 1);
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE;

  if (merge_stderr)
    flags |= G_SUBPROCESS_FLAGS_STDERR_MERGE;
  launcher = g_subprocess_launcher_new (flags);
  if (clean)
    {
      /* Only what the sanitizers read: nothing of ours, no locale. */
      const char *keep[] = { "PATH", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" };
      const char *empty[] = { NULL };

      g_subprocess_launcher_set_environ (launcher, (char **) empty);
      for (guint i = 0; i < G_N_ELEMENTS (keep); i++)
        if (g_getenv (keep[i]) != NULL)
          g_subprocess_launcher_setenv (launcher, keep[i], g_getenv (keep[i]), TRUE);
    }
  /* Python writes its prints as they happen, in UTF-8. */
  g_subprocess_launcher_setenv (launcher, "PYTHONUNBUFFERED", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PYTHONIOENCODING", "utf-8", TRUE);
  child->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  child->output = g_string_new (NULL);
  child->cancellable = g_cancellable_new ();
  child_read_more (child);
  return child;
}

CrTestChild *
cr_test_child_spawn (const char * const *argv,
                     gboolean            merge_stderr)
{
  return child_spawn (argv, merge_stderr, FALSE);
}

CrTestChild *
cr_test_child_spawn_clean (const char * const *argv,
                           gboolean            merge_stderr)
{
  return child_spawn (argv, merge_stderr, TRUE);
}

static gboolean
child_gone (gpointer user_data)
{
  CrTestChild *child = user_data;

  return g_subprocess_get_identifier (child->process) == NULL;
}

void
cr_test_child_free (CrTestChild *child)
{
  if (child == NULL)
    return;
  if (g_subprocess_get_identifier (child->process) != NULL)
    {
      g_subprocess_force_exit (child->process);
      cr_test_wait_until (child_gone, child, 5000);
    }
  g_cancellable_cancel (child->cancellable);
  cr_test_run_for (10);   /* let the cancelled read finish */
  g_object_unref (child->process);
  g_object_unref (child->cancellable);
  g_string_free (child->output, TRUE);
  g_free (child);
}

void
cr_test_child_write_line (CrTestChild *child,
                          const char  *line)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (child->process);
  g_autofree char *with_newline = g_strconcat (line, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (in, with_newline, strlen (with_newline), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (in, NULL, NULL);
}

typedef struct
{
  CrTestChild *child;
  const char  *needle;
} Expect;

static gboolean
output_has (gpointer user_data)
{
  Expect *expect = user_data;

  return strstr (expect->child->output->str, expect->needle) != NULL;
}

void
cr_test_child_expect (CrTestChild *child,
                      const char  *needle,
                      guint        timeout_ms)
{
  Expect expect = { child, needle };

  if (!cr_test_wait_until (output_has, &expect, timeout_ms))
    g_error ("timed out after %u ms waiting for “%s” in:\n%s", timeout_ms, needle,
             child->output->str);
}

guint
cr_test_count_substring (const char *haystack,
                         const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

guint16
cr_test_free_udp_port (void)
{
  g_autoptr(GSocket) sock = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) any = cr_test_socket_address ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) local = NULL;

  g_assert_true (g_socket_bind (sock, any, FALSE, NULL));
  local = g_socket_get_local_address (sock, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

/* Rooms ------------------------------------------------------------ */

void
cr_test_room_start_on (CrTestRoom *room,
                       const char *host,
                       guint16     port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = cr_test_address (host, port);

  if (room->dir == NULL)
    room->dir = cr_test_make_tmpdir ();
  room->server = cr_server_new (room->dir, "Test");
  cr_server_start (room->server, listen, &error);
  g_assert_no_error (error);
  room->port = cr_server_get_port (room->server);
  g_assert_cmpuint (room->port, !=, 0);
  g_free (room->address);
  room->address = cr_test_address (host, room->port);
  g_clear_object (&room->socket_address);
  room->socket_address = cr_test_socket_address (host, room->port);
}

void
cr_test_room_start (CrTestRoom *room,
                    const char *host)
{
  cr_test_room_start_on (room, host, 0);
}

void
cr_test_room_clear (CrTestRoom *room)
{
  g_clear_object (&room->server);
  g_clear_object (&room->socket_address);
  cr_test_remove_tree (room->dir);
  g_clear_pointer (&room->dir, g_free);
  g_clear_pointer (&room->address, g_free);
}
