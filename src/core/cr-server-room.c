/* cr-server-room.c: the room's side of CrServer: its socket, timers,
 * engine and store, on the room's context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here runs on the context the room started on: a thread's
 * own when the room is "threaded" (cr-server-thread.c), else the one
 * loop chatroomd has. What the owner should hear goes through
 * _cr_server_tell_owner (cr-server.c); nothing here touches the lists or
 * emits a signal itself.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "cr-files-private.h"
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
  g_source_attach (*source, self->context);
  g_source_unref (*source);
}

void
_cr_server_send_out (CrServer *self)
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
      _cr_server_tell_owner (self, CR_SERVER_REPORT_LOCKS, NULL);
    }
}

/* The engine's clock and randomness */

/* Tests only (cr_server_advance_clock): how far every room's monotonic
 * clock runs ahead of the system's; (cr_server_advance_wall_clock) how far
 * the wall clock its events are stamped with (a recall's window). */
static gint64 clock_offset_us;
static gint64 wall_offset_us;

CrEngineTime
_cr_server_now (void)
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

/* Password hashes, off the loop: the worker hands each back here. */

static void
on_auth_done (CrAuthJob *job,
              gpointer   user_data)
{
  CrServer *self = user_data;

  cr_engine_complete_auth (self->engine, job, _cr_server_now (), self->out);
  _cr_server_send_out (self);
  cr_engine_worker_take (self->worker, self->engine);
  _cr_server_schedule (self);
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
  cr_engine_file_event (self->engine, kind, name, text, _cr_server_now (), self->out);
  _cr_server_send_out (self);
}

static void
drop_worker (CrServer *self)
{
  if (self->worker != NULL)
    cr_engine_worker_cancel (self->worker);
  g_clear_object (&self->worker);
}

/* The room's side, all of it gone (the socket closed, the store
 * flushed). */
static void
drop_room (CrServer *self)
{
  if (self->refresh_source != NULL)
    g_source_destroy (self->refresh_source);
  g_clear_pointer (&self->refresh_source, g_source_unref);
  g_clear_pointer (&self->read_source, g_source_destroy);
  g_clear_pointer (&self->write_source, g_source_destroy);
  if (self->timer_source != NULL)
    g_source_destroy (self->timer_source);
  g_clear_pointer (&self->timer_source, g_source_unref);
  g_clear_pointer (&self->discovery, cr_discovery_responder_free);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_ptr_array_set_size (self->out, 0);
  drop_worker (self);
  g_clear_pointer (&self->files, cr_files_free);
  g_clear_pointer (&self->engine, cr_engine_free);
  g_clear_pointer (&self->store, cr_store_close);
  g_ptr_array_set_size (self->pending_events, 0);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->stopping = FALSE;
}

/* On the room's thread, for _cr_server_thread_free. */
void
_cr_server_room_drop (gpointer user_data,
                      gpointer job)
{
  drop_room (user_data);
}

static void
finish_stop (CrServer *self)
{
  drop_room (self);
  if (self->thread != NULL)
    _cr_server_thread_quit (self->thread);
  /* Last: once the owner's side has this, it joins the thread and may
   * drop the object. */
  _cr_server_tell_owner (self, CR_SERVER_REPORT_STOPPED, NULL);
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  CrServer *self = user_data;
  CrEngineTime t = _cr_server_now ();

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
  _cr_server_send_out (self);

  if (self->stopping && (cr_engine_is_drained (self->engine) || t.mono >= self->stop_deadline))
    {
      /* Without a thread the owner's "stopped" runs inside, and may drop
       * the room; with one the room's side holds no reference (the last
       * would dispose on this thread). */
      gboolean threaded = self->thread != NULL;

      if (!threaded)
        g_object_ref (self);
      finish_stop (self);
      if (!threaded)
        g_object_unref (self);
      return G_SOURCE_CONTINUE;
    }
  _cr_server_schedule (self);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

void
_cr_server_schedule (CrServer *self)
{
  gint64 next;

  if (self->engine == NULL || self->timer_source == NULL)
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
      cr_discovery_responder_receive (self->discovery, data, len, from, _cr_server_now ().mono,
                                      self->out))
    return;
  if (self->engine != NULL)
    cr_engine_receive (self->engine, data, len, from, _cr_server_now (), self->out);
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
        cr_engine_end_batch (self->engine, _cr_server_now (), self->out);
      drained = n < MIN (max, CR_SERVER_IO_BATCH);
      if (n == 0)
        break;
      _cr_server_send_out (self);
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

  _cr_server_schedule (self);
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
  _cr_server_schedule (self);   /* the ticks held while the buffer was full */
  return G_SOURCE_REMOVE;
}

static void
unref_member (gpointer member)
{
  if (member != NULL)
    g_object_unref (member);
}

/* Members and bans, for the owner view: CrMemberList keeps them in place
 * from the room's events (cr-member-list.c).
 *
 * Not in the packet path: the events wait for the next turn of the room's
 * loop, then go to the owner's side in one report, with what the room
 * knows of each member they name (cr_member_list_snapshot), so the owner's
 * side never reads the room. The owner view builds a row in the same
 * items-changed, which would otherwise delay the newcomer's WELCOME (the
 * engine announces a join before it welcomes); and by then the newcomer's
 * session, whose address the list shows, is bound. */
static gboolean
on_apply_events (gpointer user_data)
{
  CrServer *self = user_data;
  CrServerReport *report = g_new0 (CrServerReport, 1);

  g_clear_pointer (&self->refresh_source, g_source_unref);
  report->events = g_steal_pointer (&self->pending_events);
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  report->snapshots = g_ptr_array_new_full (report->events->len, unref_member);
  for (guint i = 0; i < report->events->len; i++)
    g_ptr_array_add (report->snapshots,
                     cr_member_list_snapshot (self->engine, report->events->pdata[i]));
  _cr_server_tell_owner (self, CR_SERVER_REPORT_MEMBERS, report);
  return G_SOURCE_REMOVE;
}

static void
on_engine_event (const CrEvent *event,
                 gpointer       user_data)
{
  CrServer *self = user_data;

  CrServerReport *report = g_new0 (CrServerReport, 1);

  /* "event" at once on a room without a thread (in the packet path, as
   * chatroomd's console and the tests expect), else with the next burst. */
  report->event = cr_event_copy (event);
  _cr_server_tell_owner (self, CR_SERVER_REPORT_EVENT, report);

  g_ptr_array_add (self->pending_events, cr_event_copy (event));
  if (self->refresh_source == NULL)
    {
      self->refresh_source = g_idle_source_new ();
      /* Default priority: a busy socket must not starve it. */
      g_source_set_priority (self->refresh_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->refresh_source, on_apply_events, self, NULL);
      g_source_set_name (self->refresh_source, "[chatroom] server lists");
      g_source_attach (self->refresh_source, self->context);
    }
}

/* The disk: "storage-ok" follows the engine, "storage-warning" says each
 * change in a sentence for the owner (cr-engine.h: cr_engine_set_storage_func). */
static void
on_engine_storage (gboolean    ok,
                   const char *message,
                   gpointer    user_data)
{
  CrServer *self = user_data;
  CrServerReport *report = g_new0 (CrServerReport, 1);

  report->ok = ok;
  report->message = g_strdup (message != NULL ? message : "");
  _cr_server_tell_owner (self, CR_SERVER_REPORT_STORAGE, report);
}

/* What a discovery probe is told (cr-discovery-responder.c), from the
 * room's side. */
static void
discovery_info (CrDiscoveryRoom *room,
                gpointer         user_data)
{
  CrServer *self = user_data;
  CrRoom *engine_room = cr_engine_get_room (self->engine);

  room->name = g_strdup (cr_room_get_name (engine_room));
  room->owner = g_strdup (self->owner_name ? self->owner_name : "");
  room->members = cr_room_get_n_members (engine_room);
  room->registration = cr_engine_get_config (self->engine)->require_registration;
}

/* The room's side of a start. */
static gboolean
room_start (CrServer    *self,
            const char  *address,
            GError     **error)
{
  g_autoptr(GSocketAddress) listen = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  CrEngineConfig config;

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

  self->context = g_main_context_ref_thread_default ();
  if (self->data_dir != NULL)
    {
      self->store = cr_store_open (self->data_dir, error);
      if (self->store == NULL)
        {
          g_clear_pointer (&self->context, g_main_context_unref);
          return FALSE;
        }
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
          g_clear_pointer (&self->context, g_main_context_unref);
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
  cr_engine_set_output_func (self->engine, (CrEngineOutputFunc) _cr_server_send_out, self);
  if (!cr_engine_get_storage_ok (self->engine))
    on_engine_storage (FALSE, cr_engine_get_storage_problem (self->engine), self);
  else
    {
      CrServerReport *report = g_new0 (CrServerReport, 1);

      report->ok = TRUE;   /* a new start on a sound file: "storage-ok" only */
      _cr_server_tell_owner (self, CR_SERVER_REPORT_STORAGE, report);
    }
  self->worker = cr_engine_worker_new (AUTH_WORKERS, on_auth_done, self);
  self->socket = g_steal_pointer (&socket);
  self->discovery = cr_discovery_responder_new (self->socket, discovery_info, self);
  cr_discovery_responder_set_enabled (self->discovery, self->discoverable);
  cr_discovery_responder_announce (self->discovery, CR_DISCOVERY_OPEN);

  watch_socket (self, G_IO_IN);
  self->timer_source = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (self->timer_source, NULL, self, NULL);
  g_source_set_name (self->timer_source, "[chatroom] server timer");
  g_source_attach (self->timer_source, self->context);
  _cr_server_schedule (self);

  if (self->data_dir != NULL)
    start_files (self);

  return TRUE;
}

void
_cr_server_room_start (gpointer user_data,
                       gpointer job)
{
  CrServer *self = user_data;
  CrServerCall *call = job;

  call->ok = room_start (self, call->text, &call->error);
  if (!call->ok)
    return;
  call->string = g_strdup (cr_engine_get_owner_token (self->engine));
  call->name = g_strdup (cr_room_get_name (cr_engine_get_room (self->engine)));
  call->names = cr_server_dup_bans (self);
  call->address = g_socket_get_local_address (self->socket, NULL);
  call->files = self->files != NULL ? _cr_files_ref (self->files) : NULL;
}

void
_cr_server_room_stop (gpointer user_data,
                      gpointer job)
{
  CrServer *self = user_data;

  if (self->engine == NULL || self->stopping)
    return;

  cr_discovery_responder_set_enabled (self->discovery, FALSE);   /* announces the close */
  cr_engine_close (self->engine, _cr_server_now (), self->out);
  _cr_server_send_out (self);
  self->stopping = TRUE;
  self->stop_deadline = _cr_server_now ().mono + STOP_TIMEOUT_US;
  _cr_server_schedule (self);
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
