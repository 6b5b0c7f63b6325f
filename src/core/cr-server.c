/* cr-server.c: a room on a UDP port of the GLib main loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * CrEngine does the thinking; this object owns the socket, reads datagrams
 * and writes what the engine answers in batches (cr-server-io.c), and wakes
 * the engine when its next deadline comes (one GSource with a ready time). It gives the engine the
 * time and libsodium's randomness, and has the engine's password hashes run
 * on worker threads (CrEngineWorker, at most AUTH_WORKERS at once): a join
 * that needs Argon2id finishes when its hash does, and the room relays
 * meanwhile. The addresses it listens on and can be joined at are in
 * cr-server-addresses.c.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "cr-discovery-responder.h"
#include "cr-engine-worker.h"
#include "cr-files.h"
#include "cr-member-list.h"
#include "cr-render.h"
#include "cr-server-addresses.h"
#include "cr-server-io.h"

#include "cr-server-private.h"
#include "cr-server.h"

#define MAX_BATCHES     8           /* per wakeup, then let the loop breathe */
/* What one wakeup may cost the loop it shares with a window: a read takes
 * fewer datagrams the more members each one goes to, and no new read
 * starts after READ_BUDGET_US. A read's events reach each member packed
 * (cr-engine.c's fan-out: a BATCH, or classic join lines together), so a
 * read of k events costs members × k / PACKED datagrams or so: 16 joins
 * to 2 000 members are 2 000 datagrams, not 32 000. bench-ui --host
 * measures the window's stalls. */
#define OUT_BUDGET      4096        /* datagrams made per read, about */
#define PACKED          8           /* events per member's datagram, at least about */
#define READ_BUDGET_US  (4 * G_TIME_SPAN_MILLISECOND)
#define STOP_TIMEOUT_US (G_TIME_SPAN_SECOND)
/* Busy this long without draining the socket, the room lets a window draw
 * once (on_socket_readable). */
#define YIELD_US        (32 * G_TIME_SPAN_MILLISECOND)
#define AUTH_WORKERS    2           /* Argon2id at once: each takes 64 MiB */
#define CR_SERVER_MAX_MEMBERS_DEFAULT 500   /* a school year group */

struct _CrServer
{
  GObject         parent_instance;

  /* configuration */
  char           *data_dir;
  char           *room_name;
  char           *language;
  char           *owner_name;
  guint           max_members;
  guint           rate_limit;       /* messages a second a member may say; 0: any */
  gboolean        require_registration;
  guint           history_length;
  guint           silence_timeout_ms;
  gboolean        allow_classic;
  CrIdentity     *identity;         /* the room's key, loaded at the first start */
  gboolean        discoverable;

  /* running */
  CrStore        *store;
  CrEngine       *engine;
  GSocket        *socket;
  CrDiscoveryResponder *discovery;  /* answers probes before the engine sees them */
  GSource        *read_source;
  GSource        *write_source;     /* while the socket's send buffer is full */
  GSource        *timer_source;
  guint           refresh_id;       /* applies pending_events to lists */
  GPtrArray      *pending_events;   /* CrEvent copies */
  CrMemberList   *lists;            /* members and bans, for the owner view */
  gboolean        stopping;
  gint64          stop_deadline;
  gint64          busy_since;     /* reading without draining the socket since (µs), or 0 */
  guint8         *buffers;
  GPtrArray      *out;

  CrEngineWorker *worker;           /* the engine's password hashes */
  gboolean        storage_ok;       /* the engine's, as last told */
  guint           locks_serial;     /* the engine's, as last told */
  CrFiles        *files;            /* shared files over TCP; NULL without data dir */
};

G_DEFINE_FINAL_TYPE (CrServer, cr_server, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (CrEvent, cr_event, cr_event_copy, cr_event_free)
G_DEFINE_QUARK (cr-server-error-quark, cr_server_error)

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_ROOM_NAME,
  PROP_LANGUAGE,
  PROP_OWNER_NAME,
  PROP_MAX_MEMBERS,
  PROP_RATE_LIMIT,
  PROP_REQUIRE_REGISTRATION,
  PROP_HISTORY_LENGTH,
  PROP_SILENCE_TIMEOUT,
  PROP_OWNER_TOKEN,
  PROP_RUNNING,
  PROP_PORT,
  PROP_STORAGE_OK,
  PROP_ALLOW_CLASSIC,
  PROP_FINGERPRINT,
  PROP_DISCOVERABLE,
  N_PROPS
};

enum {
  EVENT,
  MEMBERS_CHANGED,
  STOPPED,
  STORAGE_WARNING,
  LOCKS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule (CrServer *self);
static gboolean on_socket_readable (GSocket      *socket,
                                    GIOCondition  condition,
                                    gpointer      user_data);
static gboolean on_socket_writable (GSocket      *socket,
                                    GIOCondition  condition,
                                    gpointer      user_data);
static void start_files (CrServer *self);

/* Sending. When the send buffer is full the room stops reading until it
 * has room again: what waits to be read stays in the kernel's receive
 * buffer, and nothing already made is thrown away (a full buffer used to
 * cost the datagram). */

static void
watch_socket (CrServer     *self,
              GIOCondition  condition)
{
  GSource **source = condition == G_IO_IN ? &self->read_source : &self->write_source;

  *source = g_socket_create_source (self->socket, condition, NULL);
  if (condition == G_IO_IN)
    g_source_set_callback (*source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  else
    g_source_set_callback (*source, G_SOURCE_FUNC (on_socket_writable), self, NULL);
  g_source_set_name (*source, condition == G_IO_IN ? "[chatroom] server socket"
                                                   : "[chatroom] server socket, full");
  g_source_attach (*source, g_main_context_get_thread_default ());
  g_source_unref (*source);
}

static void
send_out (CrServer *self)
{
  guint serial;

  if (self->write_source == NULL && !_cr_server_io_send (self->socket, self->out))
    {
      g_clear_pointer (&self->read_source, g_source_destroy);
      watch_socket (self, G_IO_OUT);
    }
  if (self->engine == NULL)
    return;
  /* Every change the engine makes ends here, so a lock is told at once. */
  serial = cr_engine_get_locks_serial (self->engine);
  if (serial != self->locks_serial)
    {
      self->locks_serial = serial;
      g_signal_emit (self, signals[LOCKS_CHANGED], 0);
    }
}

/* The engine's clock and randomness */

/* Tests only (cr_server_advance_clock): how far every room's monotonic
 * clock runs ahead of the system's; (cr_server_advance_wall_clock) how far
 * the wall clock its events are stamped with (a recall's window). */
static gint64 clock_offset_us;
static gint64 wall_offset_us;

static CrEngineTime
now (void)
{
  return (CrEngineTime) { g_get_monotonic_time () + clock_offset_us,
                          g_get_real_time () + wall_offset_us };
}

static void
engine_random (guint8   *buf,
               gsize     len,
               gpointer  user_data)
{
  randombytes_buf (buf, len);
}

/* Password hashes, off the main loop: the worker hands each back here. */

static void
on_auth_done (CrAuthJob *job,
              gpointer   user_data)
{
  CrServer *self = user_data;

  cr_engine_complete_auth (self->engine, job, now (), self->out);
  send_out (self);
  cr_engine_worker_take (self->worker, self->engine);
  schedule (self);
}

/* Shared files (cr-files.h): who holds a token, and their events. */
static gboolean
on_files_auth (const char *token,
               char      **name,
               CrRole     *role,
               guint      *flags,
               gpointer    user_data)
{
  CrServer *self = user_data;

  return self->engine != NULL && cr_engine_lookup_token (self->engine, token, name, role, flags);
}

static void
on_files_event (CrEventKind  kind,
                const char  *name,
                const char  *text,
                gpointer     user_data)
{
  CrServer *self = user_data;

  if (self->engine == NULL)
    return;
  cr_engine_file_event (self->engine, kind, name, text, now (), self->out);
  send_out (self);
}

static void
drop_worker (CrServer *self)
{
  if (self->worker != NULL)
    cr_engine_worker_cancel (self->worker);
  g_clear_object (&self->worker);
}

static void
finish_stop (CrServer *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_pointer (&self->read_source, g_source_destroy);
  g_clear_pointer (&self->discovery, cr_discovery_responder_free);
  g_clear_pointer (&self->write_source, g_source_destroy);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_ptr_array_set_size (self->out, 0);
  drop_worker (self);
  g_clear_pointer (&self->files, cr_files_free);
  g_clear_pointer (&self->engine, cr_engine_free);
  g_clear_pointer (&self->store, cr_store_close);
  g_ptr_array_set_size (self->pending_events, 0);
  cr_member_list_clear (self->lists);
  self->stopping = FALSE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_signal_emit (self, signals[MEMBERS_CHANGED], 0);
  g_signal_emit (self, signals[STOPPED], 0);
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  CrServer *self = user_data;
  CrEngineTime t = now ();

  g_source_set_ready_time (source, -1);
  if (self->engine == NULL)
    return G_SOURCE_CONTINUE;

  /* While the send buffer is full, what the room made has not even left:
   * a retransmission now would only queue a second copy behind the first
   * (a slow reader then makes the room resend everything it holds, and
   * the queue grows faster than it drains). The tick waits until the
   * queue is out (on_socket_writable schedules it again). */
  if (self->write_source != NULL && !self->stopping)
    return G_SOURCE_CONTINUE;

  cr_engine_tick (self->engine, t, self->out);
  send_out (self);

  if (self->stopping && (cr_engine_is_drained (self->engine) || t.mono >= self->stop_deadline))
    {
      g_object_ref (self);
      finish_stop (self);
      g_object_unref (self);
      return G_SOURCE_CONTINUE;
    }
  schedule (self);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

static void
schedule (CrServer *self)
{
  gint64 next;

  if (self->engine == NULL)
    return;
  next = cr_engine_next_deadline (self->engine);
  if (self->stopping)
    next = cr_engine_is_drained (self->engine) ? 0 : MIN (next, self->stop_deadline);
  g_source_set_ready_time (self->timer_source,
                           next == G_MAXINT64 ? -1 : next - clock_offset_us);
}

/* Receiving */

static void
on_datagram (const guint8   *data,
             gsize           len,
             GSocketAddress *from,
             gpointer        user_data)
{
  CrServer *self = user_data;

  if (self->discovery != NULL &&
      cr_discovery_responder_receive (self->discovery, data, len, from, now ().mono, self->out))
    return;
  if (self->engine != NULL)
    cr_engine_receive (self->engine, data, len, from, now (), self->out);
}

static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  CrServer *self = user_data;
  gint64 start = g_get_monotonic_time ();
  gboolean drained = TRUE;
  GSource *current = g_main_current_source ();

  if (current != NULL && g_source_get_priority (current) != G_PRIORITY_DEFAULT)
    g_source_set_priority (current, G_PRIORITY_DEFAULT);

  for (guint batch = 0; batch < MAX_BATCHES && self->engine != NULL; batch++)
    {
      guint members = cr_room_get_n_members (cr_engine_get_room (self->engine));
      guint max = MAX (OUT_BUDGET * PACKED / MAX (members, 1), 1);
      guint n;

      /* One transaction for the batch's events, written before any of
       * its datagrams (an ack among them) goes out. */
      cr_engine_begin_batch (self->engine);
      n = _cr_server_io_receive (socket, self->buffers, max, on_datagram, self);
      if (self->engine != NULL)
        cr_engine_end_batch (self->engine, now (), self->out);
      drained = n < MIN (max, CR_SERVER_IO_BATCH);
      if (n == 0)
        break;
      send_out (self);
      if (self->engine != NULL)
        cr_engine_worker_take (self->worker, self->engine);

      if (drained || self->write_source != NULL ||
          g_get_monotonic_time () - start > READ_BUDGET_US)
        break;
    }

  /* A socket that stays ready (a class joining, a burst) kept an app's
   * window from drawing for as long as it lasted (bench-ui --host 1000:
   * 11 frames in 30 s): the window's frame clock (GDK_PRIORITY_REDRAW)
   * never ran. After YIELD_US of that, the next read waits below it once,
   * so a frame is drawn, and the room has the loop again. Below it
   * always, the room starved behind the frames of a loaded machine
   * instead, and a lone datagram waited for a frame. */
  if (drained)
    self->busy_since = 0;
  else if (self->busy_since == 0)
    self->busy_since = start;
  else if (start - self->busy_since >= YIELD_US &&
           current != NULL && current == self->read_source && !g_source_is_destroyed (current))
    {
      g_source_set_priority (current, G_PRIORITY_DEFAULT_IDLE);
      self->busy_since = 0;
    }

  schedule (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_socket_writable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  CrServer *self = user_data;

  if (!_cr_server_io_send (socket, self->out))
    return G_SOURCE_CONTINUE;
  self->write_source = NULL;
  watch_socket (self, G_IO_IN);
  schedule (self);   /* the ticks held while the buffer was full */
  return G_SOURCE_REMOVE;
}

/* Members and bans, for the owner view: CrMemberList keeps them in place
 * from the room's events (cr-member-list.c).
 *
 * Not in the packet path: the events wait for the next turn of the loop.
 * The owner view builds a row in the same items-changed, which would
 * otherwise delay the newcomer's WELCOME (the engine announces a join
 * before it welcomes); and by then the newcomer's session, whose address
 * the list shows, is bound. */
static gboolean
on_apply_events (gpointer user_data)
{
  CrServer *self = user_data;
  g_autoptr(GPtrArray) events = g_steal_pointer (&self->pending_events);
  gboolean changed = FALSE;
  gboolean joined = FALSE;

  self->refresh_id = 0;
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  if (self->engine == NULL)
    return G_SOURCE_REMOVE;

  /* One items-changed for the turn's joins and leaves, not one each. */
  cr_member_list_begin_batch (self->lists);
  for (guint i = 0; i < events->len; i++)
    {
      gboolean one_joined = FALSE;

      changed |= cr_member_list_apply (self->lists, cr_engine_get_room (self->engine),
                                       events->pdata[i], &one_joined);
      joined |= one_joined;
    }
  cr_member_list_end_batch (self->lists);
  if (joined)
    cr_member_list_fill_addresses (self->lists, self->engine);
  if (changed)
    g_signal_emit (self, signals[MEMBERS_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

static void
on_engine_event (const CrEvent *event,
                 gpointer       user_data)
{
  CrServer *self = user_data;

  g_signal_emit (self, signals[EVENT], 0, event);

  g_ptr_array_add (self->pending_events, cr_event_copy (event));
  /* Default priority: a busy socket must not starve it. */
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add_full (G_PRIORITY_DEFAULT, on_apply_events, self, NULL);
}

/* The disk: "storage-ok" follows the engine, "storage-warning" says each
 * change in a sentence for the owner (cr-engine.h: cr_engine_set_storage_func). */
static void
on_engine_storage (gboolean    ok,
                   const char *message,
                   gpointer    user_data)
{
  CrServer *self = user_data;

  g_signal_emit (self, signals[STORAGE_WARNING], 0, ok, message);
  if (self->storage_ok != ok)
    {
      self->storage_ok = ok;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORAGE_OK]);
    }
}

/* GObject */

static void
cr_server_dispose (GObject *object)
{
  CrServer *self = CR_SERVER (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_pointer (&self->read_source, g_source_destroy);
  g_clear_pointer (&self->write_source, g_source_destroy);
  if (self->timer_source != NULL)
    {
      g_source_destroy (self->timer_source);
      g_clear_pointer (&self->timer_source, g_source_unref);
    }
  g_clear_pointer (&self->discovery, cr_discovery_responder_free);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  drop_worker (self);
  g_clear_pointer (&self->files, cr_files_free);
  g_clear_pointer (&self->engine, cr_engine_free);
  g_clear_pointer (&self->store, cr_store_close);
  g_clear_pointer (&self->lists, cr_member_list_free);
  g_clear_pointer (&self->pending_events, g_ptr_array_unref);

  G_OBJECT_CLASS (cr_server_parent_class)->dispose (object);
}

static void
cr_server_finalize (GObject *object)
{
  CrServer *self = CR_SERVER (object);

  g_free (self->data_dir);
  g_free (self->room_name);
  g_free (self->language);
  g_free (self->owner_name);
  g_free (self->buffers);
  g_ptr_array_unref (self->out);
  g_clear_pointer (&self->identity, cr_identity_free);

  G_OBJECT_CLASS (cr_server_parent_class)->finalize (object);
}

static void
cr_server_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrServer *self = CR_SERVER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_ROOM_NAME:
      g_value_set_string (value, cr_server_get_room_name (self));
      break;
    case PROP_LANGUAGE:
      g_value_set_string (value, self->language);
      break;
    case PROP_OWNER_NAME:
      g_value_set_string (value, self->owner_name);
      break;
    case PROP_MAX_MEMBERS:
      g_value_set_uint (value, self->max_members);
      break;
    case PROP_RATE_LIMIT:
      g_value_set_uint (value, self->rate_limit);
      break;
    case PROP_REQUIRE_REGISTRATION:
      g_value_set_boolean (value, self->require_registration);
      break;
    case PROP_HISTORY_LENGTH:
      g_value_set_uint (value, self->history_length);
      break;
    case PROP_SILENCE_TIMEOUT:
      g_value_set_uint (value, self->silence_timeout_ms);
      break;
    case PROP_OWNER_TOKEN:
      g_value_set_string (value, cr_server_get_owner_token (self));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, cr_server_get_running (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, cr_server_get_port (self));
      break;
    case PROP_ALLOW_CLASSIC:
      g_value_set_boolean (value, self->allow_classic);
      break;
    case PROP_FINGERPRINT:
      g_value_take_string (value, cr_server_dup_fingerprint (self));
      break;
    case PROP_STORAGE_OK:
      g_value_set_boolean (value, self->storage_ok);
      break;
    case PROP_DISCOVERABLE:
      g_value_set_boolean (value, self->discoverable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_server_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CrServer *self = CR_SERVER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
      break;
    case PROP_ROOM_NAME:
      cr_server_set_room_name (self, g_value_get_string (value));
      break;
    case PROP_LANGUAGE:
      g_free (self->language);
      self->language = g_value_dup_string (value);
      break;
    case PROP_OWNER_NAME:
      g_free (self->owner_name);
      self->owner_name = g_value_dup_string (value);
      break;
    case PROP_MAX_MEMBERS:
      cr_server_set_max_members (self, g_value_get_uint (value));
      break;
    case PROP_RATE_LIMIT:
      self->rate_limit = g_value_get_uint (value);
      break;
    case PROP_REQUIRE_REGISTRATION:
      cr_server_set_require_registration (self, g_value_get_boolean (value));
      break;
    case PROP_HISTORY_LENGTH:
      cr_server_set_history_length (self, g_value_get_uint (value));
      break;
    case PROP_SILENCE_TIMEOUT:
      cr_server_set_silence_timeout (self, g_value_get_uint (value));
      break;
    case PROP_ALLOW_CLASSIC:
      cr_server_set_allow_classic (self, g_value_get_boolean (value));
      break;
    case PROP_DISCOVERABLE:
      cr_server_set_discoverable (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_server_class_init (CrServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cr_server_dispose;
  object_class->finalize = cr_server_finalize;
  object_class->get_property = cr_server_get_property;
  object_class->set_property = cr_server_set_property;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LANGUAGE] =
    g_param_spec_string ("language", NULL, NULL, "zh_CN",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_OWNER_NAME] =
    g_param_spec_string ("owner-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_MEMBERS] =
    g_param_spec_uint ("max-members", NULL, NULL, 1, 100000, CR_SERVER_MAX_MEMBERS_DEFAULT,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE_LIMIT] =
    g_param_spec_uint ("rate-limit", NULL, NULL, 0, 1000000, 50,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUIRE_REGISTRATION] =
    g_param_spec_boolean ("require-registration", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HISTORY_LENGTH] =
    g_param_spec_uint ("history-length", NULL, NULL, 0, 5000, CR_HISTORY_ON_JOIN,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_SILENCE_TIMEOUT] =
    g_param_spec_uint ("silence-timeout", NULL, NULL, 100, G_MAXUINT, 15000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                       G_PARAM_STATIC_STRINGS);
  properties[PROP_OWNER_TOKEN] =
    g_param_spec_string ("owner-token", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORAGE_OK] =
    g_param_spec_boolean ("storage-ok", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ALLOW_CLASSIC] =
    g_param_spec_boolean ("allow-classic", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS);
  properties[PROP_FINGERPRINT] =
    g_param_spec_string ("fingerprint", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISCOVERABLE] =
    g_param_spec_boolean ("discoverable", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  CR_TYPE_EVENT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[MEMBERS_CHANGED] =
    g_signal_new ("members-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* (gboolean ok, const char *message): storage failed or works again. */
  signals[STORAGE_WARNING] =
    g_signal_new ("storage-warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
  signals[LOCKS_CHANGED] =
    g_signal_new ("locks-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cr_server_init (CrServer *self)
{
  self->storage_ok = TRUE;
  self->discoverable = TRUE;
  self->lists = cr_member_list_new ();
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  self->out = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_datagram_free);
  self->buffers = _cr_server_io_buffers_new ();
  self->timer_source = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer_source, NULL, self, NULL);
  g_source_set_name (self->timer_source, "[chatroom] server timer");
  g_source_attach (self->timer_source, g_main_context_get_thread_default ());
}

/* Public API */

CrServer *
cr_server_new (const char *data_dir,
               const char *room_name)
{
  return g_object_new (CR_TYPE_SERVER,
                       "data-dir", data_dir,
                       "room-name", room_name,
                       NULL);
}

gboolean
cr_server_start (CrServer    *self,
                 const char  *address,
                 GError     **error)
{
  g_autoptr(GSocketAddress) listen = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  CrEngineConfig config;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->engine != NULL)
    {
      g_set_error_literal (error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND,
                           _("The room is already open"));
      return FALSE;
    }

  listen = _cr_server_parse_listen_address (address, error);
  if (listen == NULL)
    return FALSE;

  socket = g_socket_new (g_socket_address_get_family (listen), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, &local_error);
  if (socket == NULL || !g_socket_bind (socket, listen, FALSE, &local_error))
    {
      g_set_error (error, CR_SERVER_ERROR, CR_SERVER_ERROR_BIND,
                   /* Translators: %s is an address like 127.0.0.1:10024, then the system's reason */
                   _("Could not open the room on %s: %s"), address, local_error->message);
      return FALSE;
    }
  g_socket_set_blocking (socket, FALSE);
  {
    int rcvbuf, sndbuf;

    if (!_cr_server_io_size_buffers (socket, CR_SERVER_IO_BUFFER_BYTES, &rcvbuf, &sndbuf))
      /* Translators: the sizes are in KiB; a burst beyond them is lost
       * before the room reads it (net.core.rmem_max, wmem_max) */
      g_message (_("The system gave the room's socket %d KiB to receive and %d KiB to send "
                   "(asked %d KiB): a large class's burst may be lost. Raise "
                   "net.core.rmem_max and net.core.wmem_max."),
                 rcvbuf / 1024, sndbuf / 1024, CR_SERVER_IO_BUFFER_BYTES / 1024);
  }

  if (self->data_dir != NULL)
    {
      self->store = cr_store_open (self->data_dir, error);
      if (self->store == NULL)
        return FALSE;
      if (self->room_name == NULL)
        self->room_name = cr_store_get_setting (self->store, "room-name");
    }
  /* Kept for the object's life: a restarted room shows the same key. */
  if (self->identity == NULL && self->data_dir != NULL)
    {
      g_autofree char *path = g_build_filename (self->data_dir, "room-identity.key", NULL);

      self->identity = cr_identity_load (path, error);
      if (self->identity == NULL)
        {
          g_clear_pointer (&self->store, cr_store_close);
          return FALSE;
        }
    }
  else if (self->identity == NULL)
    self->identity = cr_identity_new ();

  cr_engine_config_init (&config);
  config.random_func = engine_random;
  config.room_name = self->room_name;
  config.language = self->language;
  config.owner_name = self->owner_name;
  config.max_members = self->max_members;
  if (self->rate_limit > 0)
    {
      config.rate_per_second = self->rate_limit;
      config.rate_burst = 2.0 * self->rate_limit;
    }
  else
    config.rate_per_second = config.rate_burst = G_MAXDOUBLE;
  config.history_length = self->history_length;
  config.require_registration = self->require_registration;
  config.silence_timeout_us = (gint64) self->silence_timeout_ms * G_TIME_SPAN_MILLISECOND;
  config.identity = self->identity;
  config.refuse_classic = !self->allow_classic;

  self->engine = cr_engine_new (&config, self->store);
  cr_engine_set_event_func (self->engine, on_engine_event, self);
  cr_engine_set_storage_func (self->engine, on_engine_storage, self);
  cr_engine_set_output_func (self->engine, (CrEngineOutputFunc) send_out, self);
  if (!cr_engine_get_storage_ok (self->engine))
    on_engine_storage (FALSE, cr_engine_get_storage_problem (self->engine), self);
  else if (!self->storage_ok)
    {
      self->storage_ok = TRUE;   /* a new start on a sound file */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORAGE_OK]);
    }
  self->worker = cr_engine_worker_new (AUTH_WORKERS, on_auth_done, self);
  self->socket = g_steal_pointer (&socket);
  self->discovery = cr_discovery_responder_new (self->socket, _cr_discovery_server_info, self);
  cr_discovery_responder_set_enabled (self->discovery, self->discoverable);
  cr_discovery_responder_announce (self->discovery, CR_DISCOVERY_OPEN);

  watch_socket (self, G_IO_IN);

  cr_member_list_load_bans (self->lists, cr_engine_get_room (self->engine));
  if (self->data_dir != NULL)
    start_files (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OWNER_TOKEN]);
  return TRUE;
}

void
cr_server_stop (CrServer *self)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->engine == NULL || self->stopping)
    return;

  cr_discovery_responder_set_enabled (self->discovery, FALSE);   /* announces the close */
  cr_engine_close (self->engine, now (), self->out);
  send_out (self);
  self->stopping = TRUE;
  self->stop_deadline = now ().mono + STOP_TIMEOUT_US;
  schedule (self);
}

gboolean
cr_server_get_running (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return self->engine != NULL;
}

guint16
cr_server_get_port (CrServer *self)
{
  g_autoptr(GSocketAddress) local = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), 0);

  if (self->socket == NULL)
    return 0;
  local = g_socket_get_local_address (self->socket, NULL);
  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : 0;
}

/* TCP on the room's own address and port (HACKING.md: why TCP). A room
 * whose files cannot start still serves its chat. */
static void
start_files (CrServer *self)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->socket, NULL);
  g_autoptr(GError) error = NULL;

  self->files = cr_files_new (self->data_dir, &error);
  if (self->files != NULL)
    {
      cr_files_set_funcs (self->files, on_files_auth, on_files_event, self);
      /* Transfers are as encrypted as the chat (cr-crypto-stream.h). */
      cr_files_set_identity (self->files, self->identity);
    }
  if (self->files == NULL || local == NULL || !cr_files_listen (self->files, local, &error))
    {
      g_warning ("Shared files are off: %s", error ? error->message : "no address");
      g_clear_pointer (&self->files, cr_files_free);
    }
}

CrFiles *
cr_server_get_files (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return self->files;
}

GStrv
cr_server_dup_join_addresses (CrServer *self)
{
  g_autoptr(GSocketAddress) local = NULL;

  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  if (self->socket != NULL)
    local = g_socket_get_local_address (self->socket, NULL);
  if (local == NULL)
    return g_new0 (char *, 1);

  return _cr_server_list_join_addresses (local);
}

const char *
cr_server_get_owner_token (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return self->engine ? cr_engine_get_owner_token (self->engine) : NULL;
}

const char *
cr_server_get_room_name (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  if (self->engine != NULL)
    return cr_room_get_name (cr_engine_get_room (self->engine));
  return self->room_name;
}

void
cr_server_set_room_name (CrServer   *self,
                         const char *name)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (name != NULL && *name == '\0')
    name = NULL;
  if (g_strcmp0 (self->room_name, name) == 0)
    return;
  g_free (self->room_name);
  self->room_name = g_strdup (name);
  if (self->engine != NULL && name != NULL)
    {
      /* The members' headers follow (cr_engine_set_room_name). */
      cr_engine_set_room_name (self->engine, name, now (), self->out);
      send_out (self);
    }
  if (self->store != NULL && name != NULL)
    cr_store_set_setting (self->store, "room-name", name, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM_NAME]);
}

void
cr_server_set_require_registration (CrServer *self,
                                    gboolean  required)
{
  g_return_if_fail (CR_IS_SERVER (self));

  required = !!required;
  if (self->require_registration == required)
    return;
  self->require_registration = required;
  if (self->engine != NULL)
    cr_engine_get_config (self->engine)->require_registration = required;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUIRE_REGISTRATION]);
}

void
cr_server_set_allow_classic (CrServer *self,
                             gboolean  allow)
{
  g_return_if_fail (CR_IS_SERVER (self));

  allow = !!allow;
  if (self->allow_classic == allow)
    return;
  self->allow_classic = allow;
  if (self->engine != NULL)
    cr_engine_get_config (self->engine)->refuse_classic = !allow;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALLOW_CLASSIC]);
}

void
cr_server_set_max_members (CrServer *self,
                           guint     max_members)
{
  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (max_members > 0);

  if (self->max_members == max_members)
    return;
  self->max_members = max_members;
  /* Those already in stay: the limit refuses the next joins. */
  if (self->engine != NULL)
    {
      cr_engine_get_config (self->engine)->max_members = max_members;
      cr_room_set_max_members (cr_engine_get_room (self->engine), max_members);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_MEMBERS]);
}

CrIdentity *
_cr_server_dup_identity (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->identity != NULL ? cr_identity_copy (self->identity) : NULL;
}

void
_cr_server_set_identity (CrServer   *self,
                         CrIdentity *identity)
{
  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (self->engine == NULL);

  g_clear_pointer (&self->identity, cr_identity_free);
  self->identity = identity;
}

char *
cr_server_dup_fingerprint (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->identity != NULL
    ? cr_fingerprint (cr_identity_get_public (self->identity)) : NULL;
}

void
cr_server_set_history_length (CrServer *self,
                              guint     length)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->history_length == length)
    return;
  self->history_length = length;
  if (self->engine != NULL)
    cr_engine_get_config (self->engine)->history_length = length;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY_LENGTH]);
}

void
cr_server_set_silence_timeout (CrServer *self,
                               guint     timeout_ms)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->silence_timeout_ms == timeout_ms)
    return;
  self->silence_timeout_ms = timeout_ms;
  if (self->engine != NULL)
    {
      cr_engine_get_config (self->engine)->silence_timeout_us =
        (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
      schedule (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SILENCE_TIMEOUT]);
}

void
cr_server_set_discoverable (CrServer *self,
                            gboolean  discoverable)
{
  g_return_if_fail (CR_IS_SERVER (self));

  discoverable = !!discoverable;
  if (self->discoverable == discoverable)
    return;
  self->discoverable = discoverable;
  if (self->discovery != NULL && !self->stopping)
    {
      cr_discovery_responder_set_enabled (self->discovery, discoverable);
      if (discoverable)
        cr_discovery_responder_announce (self->discovery, CR_DISCOVERY_OPEN);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISCOVERABLE]);
}

static gboolean
check_running (CrServer  *self,
               GError   **error)
{
  if (self->engine != NULL && !self->stopping)
    return TRUE;
  g_set_error_literal (error, CR_SERVER_ERROR, CR_REASON_ROOM_CLOSED,
                       _("The room is closed"));
  return FALSE;
}

static gboolean
finish_owner (CrServer  *self,
              gboolean   ok,
              CrReason   reason,
              GError   **error)
{
  send_out (self);
  schedule (self);
  if (!ok)
    {
      g_autofree char *text = cr_render_reason (reason, NULL);
      g_set_error_literal (error, CR_SERVER_ERROR, reason, text);
    }
  return ok;
}

gboolean
cr_server_say (CrServer    *self,
               const char  *text,
               GError     **error)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  if (!check_running (self, error))
    return FALSE;
  ok = cr_engine_owner_say (self->engine, text, now (), self->out, &reason);
  return finish_owner (self, ok, reason, error);
}

gboolean
cr_server_announce (CrServer    *self,
                    const char  *text,
                    GError     **error)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  if (!check_running (self, error))
    return FALSE;
  ok = cr_engine_announce (self->engine, text, now (), self->out, &reason);
  return finish_owner (self, ok, reason, error);
}

gboolean
cr_server_recall (CrServer    *self,
                  guint64      seq,
                  GError     **error)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  if (!check_running (self, error))
    return FALSE;
  ok = cr_engine_recall (self->engine, seq, now (), self->out, &reason);
  return finish_owner (self, ok, reason, error);
}

static gboolean
owner_act (CrServer       *self,
           CrOwnerAction   action,
           const char     *name,
           GError        **error)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  if (!check_running (self, error))
    return FALSE;
  ok = cr_engine_owner_act (self->engine, action, name, now (), self->out, &reason);
  return finish_owner (self, ok, reason, error);
}

gboolean
cr_server_kick (CrServer    *self,
                const char  *name,
                GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return owner_act (self, CR_OWNER_KICK, name, error);
}

gboolean
cr_server_mute (CrServer    *self,
                const char  *name,
                GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  /* Through the moderation rules: members hear their STATE too. */
  return cr_server_moderate (self, CR_MANAGE_MUTE, name, 0, error);
}

gboolean
cr_server_unmute (CrServer    *self,
                  const char  *name,
                  GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return cr_server_moderate (self, CR_MANAGE_UNMUTE, name, 0, error);
}

gboolean
cr_server_ban (CrServer    *self,
               const char  *name,
               GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return owner_act (self, CR_OWNER_BAN, name, error);
}

gboolean
cr_server_unban (CrServer    *self,
                 const char  *name,
                 GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  return owner_act (self, CR_OWNER_UNBAN, name, error);
}

gboolean
cr_server_moderate (CrServer        *self,
                    CrManageAction   action,
                    const char      *argument,
                    gint64           seconds,
                    GError         **error)
{
  CrReason reason = CR_REASON_NONE;
  gboolean ok;

  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  if (!check_running (self, error))
    return FALSE;
  ok = cr_engine_moderate (self->engine, NULL, action, argument, seconds, now (), self->out,
                           &reason);
  return finish_owner (self, ok, reason, error);
}

/* Takes names (NULL: none) and gives them as a GStrv. */
static GStrv
strv_from_names (GPtrArray *names)
{
  g_autoptr(GPtrArray) owned = names;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; owned != NULL && i < owned->len; i++)
    g_strv_builder_add (builder, owned->pdata[i]);
  return g_strv_builder_end (builder);
}

GStrv
cr_server_dup_admins (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return strv_from_names (self->engine != NULL ? cr_room_dup_admins (cr_engine_get_room (self->engine))
                                               : NULL);
}

char *
cr_server_dup_pin (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return self->engine != NULL ? g_strdup (cr_room_get_pin (cr_engine_get_room (self->engine)))
                              : NULL;
}

gboolean
cr_server_get_mute_all (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);

  return self->engine != NULL && cr_room_get_mute_all (cr_engine_get_room (self->engine));
}

GStrv
cr_server_dup_bans (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  return strv_from_names (self->engine != NULL ? cr_room_dup_bans (cr_engine_get_room (self->engine))
                                               : NULL);
}

GStrv
cr_server_dup_locked_names (CrServer *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CR_IS_SERVER (self), NULL);

  if (self->engine != NULL)
    {
      g_autoptr(GPtrArray) names = cr_engine_dup_locked_names (self->engine, now ());

      for (guint i = 0; i < names->len; i++)
        g_strv_builder_add (builder, names->pdata[i]);
    }
  return g_strv_builder_end (builder);
}

gboolean
cr_server_unlock_name (CrServer    *self,
                       const char  *name,
                       GError     **error)
{
  g_return_val_if_fail (CR_IS_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!check_running (self, error))
    return FALSE;
  return finish_owner (self, cr_engine_unlock_name (self->engine, name),
                       CR_REASON_NO_CHANGE, error);
}

void
cr_server_advance_clock (gint64 offset_us)
{
  g_return_if_fail (offset_us >= 0);

  clock_offset_us += offset_us;
}

void
cr_server_advance_wall_clock (gint64 offset_us)
{
  g_return_if_fail (offset_us >= 0);

  wall_offset_us += offset_us;
}

GListModel *
cr_server_get_members (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return cr_member_list_get_members (self->lists);
}

GListModel *
cr_server_get_bans (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), NULL);
  return cr_member_list_get_bans (self->lists);
}

void
cr_server_get_stats (CrServer *self,
                     CrStats  *stats)
{
  g_return_if_fail (CR_IS_SERVER (self));
  g_return_if_fail (stats != NULL);

  if (self->engine != NULL)
    cr_engine_get_stats (self->engine, stats);
  else
    memset (stats, 0, sizeof *stats);
}

/* Private API (cr-server-private.h) */

void
cr_server_hold_auth (CrServer *self,
                     gboolean  hold)
{
  g_return_if_fail (CR_IS_SERVER (self));

  if (self->worker != NULL)
    cr_engine_worker_hold (self->worker, hold);
}

guint
cr_server_get_n_held_auth (CrServer *self)
{
  g_return_val_if_fail (CR_IS_SERVER (self), 0);

  return self->worker ? cr_engine_worker_get_n_held (self->worker) : 0;
}
