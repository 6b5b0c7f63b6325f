/* cr-client.c: a member's end of a room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One UDP socket (while the room's address is unsettled, one per address
 * family the name resolved to: "localhost" is ::1 and 127.0.0.1, and the
 * first address to answer the probe wins), two sources on the
 * thread-default main context:
 *
 *  - the socket source reads every pending datagram on each wakeup and
 *    hands it to the native or the classic path;
 *  - the "tick" source is a bare GSource whose ready time is the earliest
 *    thing the client must do (resend the probe or the JOIN, flush the
 *    reliable layer, keepalive, notice silence, give up on a pending
 *    message, finish leaving). Anything that wants attention "now" sets its
 *    ready time to 0, so many receives and sends in one main-loop iteration
 *    cost one flush and one splice of the messages model.
 *
 * Joining (the room's dialect is not known in advance):
 *
 *   probe (CR_PROBE_TEXT, valid UTF-8 the classroom server ignores) every
 *   300 ms ──PING (session 0)──▶ native: JOIN every 500 ms ──WELCOME──▶
 *   history EVENTs ──MEMBERS──▶ CONNECTED
 *
 *   no native answer after join_timeout / 5 (1 s by default) ──▶ also
 *   "N name" once ──"OK"──▶ classic, CONNECTED
 *
 * Nothing binary is sent before the room has answered natively: the
 * classroom server's receive thread dies on a datagram that is not UTF-8.
 * The classic fallback waits a fifth of the join timeout rather than a fixed
 * second so that a test which lengthens the join timeout for a lossy link
 * does not fall back to classic merely because a few probes were lost.
 *
 * Lost answers during the join, with a room of ours (which speaks both
 * dialects on one port):
 *  - its PING came late, after our "N name" made us a classic member: the
 *    native JOIN is refused NAME_TAKEN; "Q name" takes the classic
 *    membership back and the repeated JOIN gets in;
 *  - its "OK" to "N name" was lost but the history lines that follow came:
 *    those lines cannot come from the classroom server (it answers only OK
 *    or the taken line), so "N name" is asked again, which a room of ours
 *    answers with OK again. A line that is neither is kept as the refusal
 *    the join fails with at the join timeout if nothing better comes.
 *
 * Once native, the reliable layer (one CrReliable per server session, a new
 * one on each WELCOME) carries everything; room events are applied once,
 * by their room-wide sequence number, whatever path brought them (history,
 * live, resync after a reconnect).
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include <string.h>

#include "cr-classic.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-render.h"
#include "cr-client.h"

#define PROBE_INTERVAL_US    (300 * G_TIME_SPAN_MILLISECOND)
#define JOIN_INTERVAL_US     (500 * G_TIME_SPAN_MILLISECOND)
#define REJOIN_MAX_US        (3 * G_TIME_SPAN_SECOND)
#define LEAVE_LINGER_US      (1 * G_TIME_SPAN_SECOND)
#define PENDING_TIMEOUT_US   (10 * G_TIME_SPAN_SECOND)
/* Never wake up sooner than this after a service run that found nothing to
 * do at once: a deadline in the past must not become a busy loop. */
#define MIN_SLEEP_US         (1 * G_TIME_SPAN_MILLISECOND)
#define RECEIVE_BATCH        256
#define MAX_CANDIDATES       4
#define RECEIVE_BUFFER       65536

#define DEFAULT_KEEPALIVE_MS     2000
#define DEFAULT_SILENCE_MS       6000
#define DEFAULT_JOIN_TIMEOUT_MS  5000


/* An own message the room has not acknowledged yet. */
typedef struct
{
  CrMessage *message;
  guint64    origin;
  gint64     sent_at;     /* monotonic; 0 = waiting for a session to carry it */
} Pending;

struct _CrClient
{
  GObject           parent_instance;

  /* owned */
  GMainContext     *context;
  GSocket          *socket;
  GSource          *socket_source;
  GSocket          *other_socket;   /* the other family, while probing both */
  GSource          *other_source;
  GPtrArray        *candidates;     /* GSocketAddress*: the room could be at any */
  GSource          *tick_source;
  GSource          *cancel_source;
  GCancellable     *resolve_cancellable;
  GSocketAddress   *server_address;
  GTask            *join_task;
  CrReliable       *reliable;
  GListStore       *messages;
  GListStore       *members;
  GPtrArray        *batch;          /* CrMessage*: rows for the next splice */
  GPtrArray        *announce;       /* CrMessage*: of those, "message-received" */
  GPtrArray        *pending;        /* Pending*, in send order */
  GHashTable       *own_by_origin;  /* guint64* → CrMessage*: every own message */
  GHashTable       *seen_origins;   /* guint64*: chat events shown, by origin */
  GPtrArray        *member_events;  /* CrEvent*: seen before the MEMBERS snapshot */
  GQueue            classic_echoes; /* char*: own classic texts, blanks removed */
  guint8           *buffer;

  char             *address;
  char             *name;
  char             *fold;
  char             *room_name;
  char             *resume_token;
  char             *join_name;
  char             *password;
  char             *owner_token;
  gboolean          do_register;

  CrClientState     state;
  CrDialect         dialect;
  CrRole            role;
  CrReason          close_reason;
  guint32           session;
  guint64           last_seq;
  guint64           members_seq;
  gboolean          have_members;
  guint             n_members;
  guint64           classic_seq;
  guint64           origin_base;
  guint32           origin_counter;

  /* Joining and rejoining. */
  gboolean          native_seen;
  guint32           cookie;         /* the room's answer to the probe, for JOIN */
  gboolean          classic_sent;
  guint             classic_undos;
  guint             classic_asks;
  char             *classic_refusal;
  gboolean          welcomed;

  gint64            keepalive_us;
  gint64            silence_us;
  gint64            join_timeout_us;
  gint64            join_started;
  gint64            probe_due;
  gint64            classic_due;
  gint64            join_due;
  gint64            rejoin_interval;
  gint64            leave_deadline;
  gint64            last_sent;
  gint64            last_heard;

  gboolean          in_service;
  gboolean          service_again;
};

G_DEFINE_FINAL_TYPE (CrClient, cr_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (cr-client-error-quark, cr_client_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_NAME,
  PROP_ROOM_NAME,
  PROP_ROLE,
  PROP_DIALECT,
  PROP_ADDRESS,
  PROP_CLOSE_REASON,
  PROP_N_MEMBERS,
  N_PROPS
};

enum {
  MESSAGE_RECEIVED,
  CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void cr_client_service (CrClient *self);

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static void
pending_free (Pending *pending)
{
  g_clear_object (&pending->message);
  g_free (pending);
}

static gboolean
tick_dispatch (GSource     *source,
               GSourceFunc  callback,
               gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs tick_funcs = {
  NULL, NULL, tick_dispatch, NULL, NULL, NULL,
};

static void
schedule_now (CrClient *self)
{
  g_assert (CR_IS_CLIENT (self));

  if (self->in_service)
    self->service_again = TRUE;
  else if (self->tick_source != NULL)
    g_source_set_ready_time (self->tick_source, 0);
}

static void
set_state (CrClient      *self,
           CrClientState  state)
{
  if (self->state == state)
    return;
  g_debug ("%s: state %d → %d", self->join_name ? self->join_name : "?", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (CrClient    *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_name (CrClient   *self,
          const char *name)
{
  set_string (self, &self->name, name, PROP_NAME);
  g_clear_pointer (&self->fold, g_free);
  if (name != NULL)
    self->fold = cr_name_fold (name);
}

static void
set_role (CrClient *self,
          CrRole    role)
{
  if (self->role == role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}

static void
set_dialect (CrClient  *self,
             CrDialect  dialect)
{
  if (self->dialect == dialect)
    return;
  self->dialect = dialect;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIALECT]);
}

static void
set_close_reason (CrClient *self,
                  CrReason  reason)
{
  if (self->close_reason == reason)
    return;
  self->close_reason = reason;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOSE_REASON]);
}

static gboolean
is_self_name (CrClient   *self,
              const char *name)
{
  g_autofree char *fold = NULL;

  if (self->fold == NULL || name == NULL || *name == '\0')
    return FALSE;
  fold = cr_name_fold (name);
  return g_strcmp0 (fold, self->fold) == 0;
}

static GError *
reason_error (CrReason    reason,
              const char *detail)
{
  g_autofree char *text = cr_render_reason (reason, NULL);

  if (detail != NULL && *detail != '\0')
    return g_error_new (CR_CLIENT_ERROR, reason, "%s (%s)", text, detail);
  return g_error_new_literal (CR_CLIENT_ERROR, reason, text);
}

static gboolean
addresses_equal (GSocketAddress *a,
                 GSocketAddress *b)
{
  if (!G_IS_INET_SOCKET_ADDRESS (a) || !G_IS_INET_SOCKET_ADDRESS (b))
    return FALSE;
  if (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (a)) !=
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (b)))
    return FALSE;
  return g_inet_address_equal (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (a)),
                               g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (b)));
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */

static void
send_bytes (CrClient *self,
            GBytes   *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (self->socket == NULL || self->server_address == NULL)
    return;

  self->last_sent = g_get_monotonic_time ();
  if (g_socket_send_to (self->socket, self->server_address, (const char *) data, len,
                        NULL, &error) < 0)
    g_debug ("Could not send %" G_GSIZE_FORMAT " bytes: %s", len, error->message);
}

static GSocket *
socket_for (CrClient       *self,
            GSocketAddress *address)
{
  GSocketFamily family = g_socket_address_get_family (address);

  if (self->socket != NULL && g_socket_get_family (self->socket) == family)
    return self->socket;
  if (self->other_socket != NULL && g_socket_get_family (self->other_socket) == family)
    return self->other_socket;
  return NULL;
}

/* While the room's address is not settled (a name like "localhost" gives
 * ::1 and 127.0.0.1, and the room may listen on either), the probe and the
 * classic join go to every address; the first to answer is the room. */
static void
send_to_candidates (CrClient *self,
                    GBytes   *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (self->candidates == NULL)
    {
      send_bytes (self, bytes);
      return;
    }

  self->last_sent = g_get_monotonic_time ();
  for (guint i = 0; i < self->candidates->len; i++)
    {
      GSocketAddress *address = self->candidates->pdata[i];
      GSocket *socket = socket_for (self, address);
      g_autoptr(GError) error = NULL;

      if (socket != NULL &&
          g_socket_send_to (socket, address, (const char *) data, len, NULL, &error) < 0)
        g_debug ("Could not send %" G_GSIZE_FORMAT " bytes: %s", len, error->message);
    }
}

static void
send_sessionless (CrClient     *self,
                  CrPacketType  type,
                  GBytes       *body)
{
  /* The ack field of a JOIN carries the room's cookie (cr-protocol.h). */
  CrHeader header = { CR_PROTOCOL_VERSION, type, 0, 0, 0, self->cookie, 0 };
  g_autoptr(GBytes) datagram = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (body, &len);

  datagram = cr_datagram_build (&header, data, len);
  send_bytes (self, datagram);
}

static void
send_unreliable (CrClient     *self,
                 CrPacketType  type)
{
  g_autoptr(GBytes) body = cr_body_empty ();
  g_autoptr(GBytes) datagram = NULL;

  if (self->reliable == NULL)
    return;
  datagram = cr_reliable_build_unreliable (self->reliable, self->session, type, body);
  send_bytes (self, datagram);
}

static void
send_probe (CrClient *self)
{
  g_autoptr(GBytes) probe = g_bytes_new_static (CR_PROBE_TEXT, strlen (CR_PROBE_TEXT));

  send_to_candidates (self, probe);
}

/* JOIN is unreliable and sessionless: the first one, and on a rejoin (with
 * the resume token and the last event seen) a fresh start for the room. */
static void
send_join (CrClient *self)
{
  gboolean rejoin = self->resume_token != NULL;
  g_autoptr(GBytes) body = NULL;

  body = cr_body_join (self->join_name,
                       self->password ? self->password : "",
                       self->resume_token ? self->resume_token : "",
                       rejoin ? FALSE : self->do_register,
                       self->last_seq,
                       self->owner_token ? self->owner_token : "");
  send_sessionless (self, CR_PACKET_JOIN, body);
}

static void
flush_reliable (CrClient *self,
                gint64    now)
{
  g_autoptr(GPtrArray) out = NULL;

  if (self->reliable == NULL)
    return;

  out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  cr_reliable_flush (self->reliable, self->session, now, out);
  for (guint i = 0; i < out->len; i++)
    send_bytes (self, out->pdata[i]);
}

static void
queue_chat (CrClient *self,
            Pending  *pending,
            gint64    now)
{
  g_autoptr(GBytes) body = NULL;

  g_assert (self->reliable != NULL);

  body = cr_body_chat (pending->origin, cr_message_get_text (pending->message));
  cr_reliable_send (self->reliable, CR_PACKET_CHAT, body);
  pending->sent_at = now;
  schedule_now (self);
}

/* ------------------------------------------------------------------ */
/* The messages model                                                 */

static void
splice_batch (CrClient *self)
{
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) announce = NULL;

  if (self->batch->len == 0)
    return;

  batch = g_steal_pointer (&self->batch);
  announce = g_steal_pointer (&self->announce);
  self->batch = g_ptr_array_new_with_free_func (g_object_unref);
  self->announce = g_ptr_array_new_with_free_func (g_object_unref);

  g_list_store_splice (self->messages,
                       g_list_model_get_n_items (G_LIST_MODEL (self->messages)),
                       0, batch->pdata, batch->len);
  for (guint i = 0; i < announce->len; i++)
    g_signal_emit (self, signals[MESSAGE_RECEIVED], 0, announce->pdata[i]);
}

static void
queue_message (CrClient  *self,
               CrMessage *message,   /* transfer full */
               gboolean   announce)
{
  if (announce)
    g_ptr_array_add (self->announce, g_object_ref (message));
  g_ptr_array_add (self->batch, message);
  schedule_now (self);
}

static void
remember_own (CrClient  *self,
              CrMessage *message)
{
  guint64 *key = g_new (guint64, 1);

  *key = cr_message_get_origin (message);
  g_hash_table_replace (self->own_by_origin, key, g_object_ref (message));
}

static Pending *
take_pending (CrClient *self,
              guint64   origin)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *pending = self->pending->pdata[i];

      if (pending->origin == origin)
        return g_ptr_array_steal_index (self->pending, i);
    }
  return NULL;
}

static void
fail_all_pending (CrClient *self,
                  CrReason  reason)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      Pending *pending = self->pending->pdata[i];

      cr_message_set_failed (pending->message, reason);
    }
  g_ptr_array_set_size (self->pending, 0);
}

/* ------------------------------------------------------------------ */
/* The members model                                                  */

static void
update_n_members (CrClient *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->members));

  if (n == self->n_members)
    return;
  self->n_members = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_MEMBERS]);
}

static gboolean
find_member (CrClient   *self,
             const char *name,
             guint      *position)
{
  g_autofree char *fold = cr_name_fold (name);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->members));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (G_LIST_MODEL (self->members), i);
      g_autofree char *other = cr_name_fold (cr_member_get_name (member));

      if (g_strcmp0 (fold, other) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
add_member (CrClient   *self,
            const char *name,
            CrRole      role,
            guint       flags)
{
  g_autoptr(CrMember) member = NULL;
  guint position;

  if (name == NULL || *name == '\0' || find_member (self, name, &position))
    return;
  member = cr_member_new (name, role, flags);
  cr_member_set_is_self (member, is_self_name (self, name));
  g_list_store_insert_sorted (self->members, member, cr_member_compare, NULL);
}

static void
remove_member (CrClient   *self,
               const char *name)
{
  guint position;

  if (name != NULL && find_member (self, name, &position))
    g_list_store_remove (self->members, position);
}

static void
set_member_muted (CrClient   *self,
                  const char *name,
                  gboolean    muted)
{
  g_autoptr(CrMember) member = NULL;
  guint position;
  guint flags;

  if (name == NULL || !find_member (self, name, &position))
    return;
  member = g_list_model_get_item (G_LIST_MODEL (self->members), position);
  flags = cr_member_get_flags (member);
  if (muted)
    flags |= CR_MEMBER_MUTED;
  else
    flags &= ~CR_MEMBER_MUTED;
  cr_member_set_flags (member, flags);
}

static gboolean
event_changes_members (CrEventKind kind)
{
  switch (kind)
    {
    case CR_EVENT_JOIN:
    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
    case CR_EVENT_ROOM_CLOSED:
      return TRUE;

    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
    case CR_EVENT_UNBAN:
    default:
      return FALSE;
    }
}

static void
apply_member_event (CrClient      *self,
                    const CrEvent *event)
{
  switch (event->kind)
    {
    case CR_EVENT_JOIN:
      /* The event does not say the role; the next snapshot corrects it. */
      add_member (self, event->name, CR_ROLE_MEMBER, 0);
      break;

    case CR_EVENT_LEAVE:
    case CR_EVENT_TIMEOUT:
    case CR_EVENT_KICK:
    case CR_EVENT_BAN:
      remove_member (self, event->name);
      break;

    case CR_EVENT_MUTE:
    case CR_EVENT_UNMUTE:
      set_member_muted (self, event->name, event->kind == CR_EVENT_MUTE);
      break;

    case CR_EVENT_ROOM_CLOSED:
      g_list_store_remove_all (self->members);
      break;

    case CR_EVENT_CHAT:
    case CR_EVENT_OWNER_CHAT:
    case CR_EVENT_ANNOUNCE:
    case CR_EVENT_UNBAN:
    default:
      return;
    }
  update_n_members (self);
}

static int
compare_member_pointers (gconstpointer a,
                         gconstpointer b)
{
  return cr_member_compare (*(CrMember * const *) a, *(CrMember * const *) b, NULL);
}

static void
apply_members_snapshot (CrClient *self,
                        GVariant *body)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GVariantIter) iter = NULL;
  const char *name;
  guint32 role, flags;
  guint64 snapshot;

  g_variant_get (body, "(ta(suu))", &snapshot, &iter);
  while (g_variant_iter_next (iter, "(&suu)", &name, &role, &flags))
    {
      CrMember *member = cr_member_new (name, role == CR_ROLE_OWNER ? CR_ROLE_OWNER
                                                                    : CR_ROLE_MEMBER, flags);

      cr_member_set_is_self (member, is_self_name (self, name));
      g_ptr_array_add (list, member);
    }
  g_ptr_array_sort (list, compare_member_pointers);

  g_list_store_splice (self->members, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->members)),
                       list->pdata, list->len);
  self->members_seq = snapshot;
  self->have_members = TRUE;

  /* Events that overtook the snapshot (none with the current server, which
   * sends MEMBERS at the seq it has reached; cheap insurance). */
  for (guint i = 0; i < self->member_events->len; i++)
    {
      CrEvent *event = self->member_events->pdata[i];

      if (event->seq > snapshot)
        apply_member_event (self, event);
    }
  g_ptr_array_set_size (self->member_events, 0);
  update_n_members (self);
}

/* ------------------------------------------------------------------ */
/* State changes                                                      */

static void
remove_sources (CrClient *self)
{
  if (self->socket_source != NULL)
    {
      g_source_destroy (self->socket_source);
      g_clear_pointer (&self->socket_source, g_source_unref);
    }
  if (self->other_source != NULL)
    {
      g_source_destroy (self->other_source);
      g_clear_pointer (&self->other_source, g_source_unref);
    }
  if (self->cancel_source != NULL)
    {
      g_source_destroy (self->cancel_source);
      g_clear_pointer (&self->cancel_source, g_source_unref);
    }
  if (self->tick_source != NULL)
    {
      g_source_destroy (self->tick_source);
      g_clear_pointer (&self->tick_source, g_source_unref);
    }
}

/* Enter CLOSED: at most once, "closed" always follows. The socket stays
 * open (closed in dispose) so that a server repeating its BYE still gets an
 * ack; the tick source stops. */
static void
enter_closed (CrClient *self,
              CrReason  reason)
{
  if (self->state == CR_CLIENT_CLOSED)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  set_close_reason (self, reason);
  set_state (self, CR_CLIENT_CLOSED);
  g_object_thaw_notify (G_OBJECT (self));

  if (self->tick_source != NULL)
    g_source_set_ready_time (self->tick_source, -1);
  if (self->cancel_source != NULL)
    {
      g_source_destroy (self->cancel_source);
      g_clear_pointer (&self->cancel_source, g_source_unref);
    }
  if (self->resolve_cancellable != NULL)
    g_cancellable_cancel (self->resolve_cancellable);

  fail_all_pending (self, reason != CR_REASON_NONE ? reason : CR_REASON_NO_ANSWER);
  splice_batch (self);
  g_signal_emit (self, signals[CLOSED], 0, (int) reason);
}

static void
fail_join (CrClient *self,
           GError   *error)   /* transfer full */
{
  g_autoptr(GTask) task = g_steal_pointer (&self->join_task);
  CrReason reason = CR_REASON_NONE;

  if (error->domain == CR_CLIENT_ERROR)
    reason = error->code;
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    reason = CR_REASON_NO_ANSWER;

  g_debug ("Join failed: %s", error->message);
  enter_closed (self, reason);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
complete_join (CrClient *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->join_task);

  /* The history is in the model before anyone hears of the join. */
  splice_batch (self);
  if (self->cancel_source != NULL)
    {
      g_source_destroy (self->cancel_source);
      g_clear_pointer (&self->cancel_source, g_source_unref);
    }
  set_state (self, CR_CLIENT_CONNECTED);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
enter_reconnecting (CrClient *self,
                    gint64    now)
{
  g_debug ("%s: lost the room (silent, or it forgot us): rejoining", self->name);
  self->welcomed = FALSE;
  self->rejoin_interval = JOIN_INTERVAL_US;
  self->join_due = now;
  set_state (self, CR_CLIENT_RECONNECTING);
  schedule_now (self);
}

/* ------------------------------------------------------------------ */
/* Native receive path                                                */

static void
handle_event (CrClient *self,
              GVariant *body)
{
  g_autoptr(CrEvent) event = cr_event_from_body (body);
  gboolean live;
  gboolean own;
  CrMessage *message;

  if (event == NULL || event->seq <= self->last_seq)
    return;
  self->last_seq = event->seq;

  if (event_changes_members (event->kind))
    {
      if (self->have_members)
        {
          if (event->seq > self->members_seq)
            apply_member_event (self, event);
        }
      else
        g_ptr_array_add (self->member_events, cr_event_copy (event));
    }

  if (event->origin != 0 && cr_event_kind_is_chat (event->kind))
    {
      Pending *pending;
      CrMessage *mine;

      /* One message, one row: a message sent again (a retry after a
       * timeout, while the first copy was still on its way) may be in the
       * room twice, under two seqs but with one origin. */
      if (g_hash_table_contains (self->seen_origins, &event->origin))
        return;
      g_hash_table_add (self->seen_origins, g_memdup2 (&event->origin, sizeof event->origin));

      pending = take_pending (self, event->origin);
      mine = g_hash_table_lookup (self->own_by_origin, &event->origin);

      if (pending != NULL || mine != NULL)
        {
          cr_message_set_sent (pending ? pending->message : mine, event->seq, event->time_us);
          g_clear_pointer (&pending, pending_free);
          return;
        }
    }

  /* History replayed at join is not news; a resync after a reconnect is. */
  live = self->state != CR_CLIENT_CONNECTING;
  own = cr_event_kind_is_chat (event->kind) && is_self_name (self, event->name);
  message = cr_message_new_from_event (event, own);
  queue_message (self, message, live && !own);
}

static void
handle_welcome (CrClient *self,
                GVariant *body)
{
  const char *room_name, *your_name, *token;
  guint32 role;
  guint64 latest;

  g_variant_get (body, "(&s&s&sut)", &room_name, &your_name, &token, &role, &latest);

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->room_name, room_name, PROP_ROOM_NAME);
  set_name (self, your_name);
  set_role (self, role == CR_ROLE_OWNER ? CR_ROLE_OWNER : CR_ROLE_MEMBER);
  set_dialect (self, CR_DIALECT_NATIVE);
  g_object_thaw_notify (G_OBJECT (self));

  /* A room whose numbering went back (it lost history in a crash) would
   * have us ignore everything it says until it caught up: follow it. */
  if (latest < self->last_seq)
    {
      g_debug ("The room is at seq %" G_GUINT64_FORMAT ", we saw %" G_GUINT64_FORMAT,
               latest, self->last_seq);
      self->last_seq = latest;
    }

  g_free (self->resume_token);
  self->resume_token = g_strdup (token);
  /* Our canonical name from now on, also for rejoining. */
  g_free (self->join_name);
  self->join_name = g_strdup (your_name);

  self->have_members = FALSE;
  g_ptr_array_set_size (self->member_events, 0);
}

static void
handle_members (CrClient *self,
                GVariant *body,
                gint64    now)
{
  apply_members_snapshot (self, body);

  if (self->state == CR_CLIENT_CONNECTING)
    complete_join (self);
  else if (self->state == CR_CLIENT_RECONNECTING)
    {
      /* The resync is complete: what is still pending never reached the
       * room (its EVENT would have come with the resync). Send it again,
       * in the order it was typed, with the same origins. */
      set_state (self, CR_CLIENT_CONNECTED);
      for (guint i = 0; i < self->pending->len; i++)
        queue_chat (self, self->pending->pdata[i], now);
    }
}

static void
handle_notice (CrClient *self,
               GVariant *body)
{
  guint32 reason;
  guint64 origin;
  Pending *pending;

  g_variant_get (body, "(ut)", &reason, &origin);
  pending = take_pending (self, origin);
  if (pending != NULL)
    {
      cr_message_set_failed (pending->message, reason);
      pending_free (pending);
    }
}

static void
handle_bye (CrClient *self,
            GVariant *body,
            gint64    now)
{
  guint32 reason;
  const char *detail;

  g_variant_get (body, "(u&s)", &reason, &detail);
  g_debug ("%s: the room said goodbye: %u %s", self->name, reason, detail);

  /* Ack it now: the room waits for that before it forgets us. */
  flush_reliable (self, now);

  if (self->state == CR_CLIENT_CONNECTING)
    fail_join (self, reason_error (reason, detail));
  else if (self->state == CR_CLIENT_LEAVING)
    enter_closed (self, CR_REASON_NONE);
  else
    enter_closed (self, reason);
}

static void
handle_refuse (CrClient     *self,
               const guint8 *body,
               gsize         body_len,
               gint64        now)
{
  g_autoptr(GVariant) v = cr_body_parse (CR_PACKET_REFUSE, body, body_len);
  guint32 reason;
  const char *detail;

  if (v == NULL)
    return;
  g_variant_get (v, "(u&s)", &reason, &detail);
  g_debug ("%s: refused: %u %s", self->join_name, reason, detail);

  switch (self->state)
    {
    case CR_CLIENT_CONNECTING:
      /* The room answered the probe late, after our "N name": it may have
       * made us a classic member under that name, and now refuses the
       * native JOIN for it. Take the classic membership back ("Q name" from
       * our own address, which a native room honours) and let the JOIN
       * that is repeated every 500 ms try again. */
      if (reason == CR_REASON_NAME_TAKEN && self->classic_sent && self->native_seen &&
          self->classic_undos < 3)
        {
          g_autoptr(GBytes) quit = cr_classic_quit (self->join_name);

          self->classic_undos++;
          send_bytes (self, quit);
          break;
        }
      fail_join (self, reason_error (reason, detail));
      break;

    case CR_CLIENT_CONNECTED:
      /* The room restarted or dropped us: join again at once. */
      if (reason == CR_REASON_TIMED_OUT)
        enter_reconnecting (self, now);
      break;

    case CR_CLIENT_RECONNECTING:
      if (reason != CR_REASON_TIMED_OUT && reason != CR_REASON_RATE_LIMITED)
        enter_closed (self, reason);
      break;

    case CR_CLIENT_LEAVING:
      enter_closed (self, CR_REASON_NONE);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }
}

static void
handle_delivery (CrClient   *self,
                 CrDelivery *delivery,
                 gint64      now)
{
  g_autoptr(GVariant) body = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (delivery->body, &len);

  body = cr_body_parse (delivery->type, data, len);
  if (body == NULL)
    {
      g_debug ("Dropping a malformed %u body", delivery->type);
      return;
    }

  switch ((CrPacketType) delivery->type)
    {
    case CR_PACKET_WELCOME:
      handle_welcome (self, body);
      break;

    case CR_PACKET_EVENT:
      handle_event (self, body);
      break;

    case CR_PACKET_MEMBERS:
      handle_members (self, body, now);
      break;

    case CR_PACKET_NOTICE:
      handle_notice (self, body);
      break;

    case CR_PACKET_BYE:
      handle_bye (self, body, now);
      break;

    case CR_PACKET_JOIN:
    case CR_PACKET_REFUSE:
    case CR_PACKET_CHAT:
    case CR_PACKET_PING:
    case CR_PACKET_ACK:
    default:
      break;
    }
}

static void
handle_native (CrClient     *self,
               const guint8 *data,
               gsize         len,
               gint64        now)
{
  g_autoptr(GPtrArray) deliveries = NULL;
  const guint8 *body;
  gsize body_len;
  CrHeader header;
  CrParseResult result;

  if (self->dialect == CR_DIALECT_CLASSIC && self->state != CR_CLIENT_CONNECTING)
    return;

  result = cr_header_parse (data, len, &header, &body, &body_len);
  if (result != CR_PARSE_OK)
    {
      g_debug ("Dropping a datagram: %s", cr_parse_result_to_string (result));
      return;
    }

  if (header.session == 0)
    {
      /* Sessionless: the answer to the probe (or to a JOIN with a stale
       * cookie: the room restarted), or a refusal of a JOIN. */
      if (header.type == CR_PACKET_PING && header.ack != self->cookie &&
          self->native_seen && !self->welcomed &&
          (self->state == CR_CLIENT_CONNECTING || self->state == CR_CLIENT_RECONNECTING))
        {
          self->cookie = header.ack;
          self->join_due = now;
          schedule_now (self);
        }
      else if (header.type == CR_PACKET_PING)
        self->cookie = header.ack;
      if (header.type == CR_PACKET_PING && self->state == CR_CLIENT_CONNECTING &&
          !self->native_seen)
        {
          self->native_seen = TRUE;
          self->last_heard = now;
          self->join_due = now;
          schedule_now (self);
        }
      else if (header.type == CR_PACKET_REFUSE)
        handle_refuse (self, body, body_len, now);
      return;
    }

  /* A WELCOME starts a session: the first one, or a new one after a
   * rejoin (a new id, or the same id with its numbers starting again). */
  if (header.type == CR_PACKET_WELCOME &&
      (self->state == CR_CLIENT_CONNECTING || self->state == CR_CLIENT_RECONNECTING) &&
      (header.session != self->session || (!self->welcomed && header.number == 1)))
    {
      g_clear_pointer (&self->reliable, cr_reliable_free);
      self->reliable = cr_reliable_new ();
      self->session = header.session;
      self->welcomed = TRUE;
      self->native_seen = TRUE;
    }

  if (header.session != self->session || self->reliable == NULL)
    {
      g_debug ("Dropping a packet of session %08x (ours: %08x)", header.session, self->session);
      return;
    }

  if (header.type == CR_PACKET_REFUSE)
    {
      handle_refuse (self, body, body_len, now);
      return;
    }

  self->last_heard = now;
  deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_delivery_free);
  cr_reliable_receive (self->reliable, &header, body, body_len, now, deliveries);

  if (self->state == CR_CLIENT_CLOSED)
    {
      /* Only acks now, for a server that repeats its goodbye. */
      if ((header.flags & CR_FLAG_RELIABLE) != 0)
        send_unreliable (self, CR_PACKET_ACK);
      return;
    }

  for (guint i = 0; i < deliveries->len; i++)
    {
      handle_delivery (self, deliveries->pdata[i], now);
      if (self->state == CR_CLIENT_CLOSED)
        return;
    }

  if (header.type == CR_PACKET_PING)
    send_unreliable (self, CR_PACKET_ACK);

  schedule_now (self);
}

/* ------------------------------------------------------------------ */
/* Classic receive path                                               */

/* The classroom server joins the words of a message without their spaces,
 * ours keeps them: compare own echoes without any. */
static char *
strip_blanks (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isspace (c))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* Is this line the room repeating our own message (already shown, SENT)? */
static gboolean
take_classic_echo (CrClient      *self,
                   const CrEvent *event)
{
  g_autofree char *stripped = NULL;

  if (event->kind != CR_EVENT_CHAT || !is_self_name (self, event->name))
    return FALSE;

  stripped = strip_blanks (event->text);
  for (GList *l = self->classic_echoes.head; l != NULL; l = l->next)
    {
      if (g_strcmp0 (l->data, stripped) == 0)
        {
          g_free (l->data);
          g_queue_delete_link (&self->classic_echoes, l);
          return TRUE;
        }
    }
  return FALSE;
}

static void
enter_classic (CrClient *self)
{
  g_object_freeze_notify (G_OBJECT (self));
  set_dialect (self, CR_DIALECT_CLASSIC);
  set_name (self, self->join_name);
  /* A classroom room has no name: show where it is. */
  set_string (self, &self->room_name, self->address, PROP_ROOM_NAME);
  set_role (self, CR_ROLE_MEMBER);
  g_object_thaw_notify (G_OBJECT (self));

  /* The classic dialect has no member list: ours grows and shrinks with
   * the system lines, starting with ourselves. */
  self->have_members = TRUE;
  add_member (self, self->name, CR_ROLE_MEMBER, CR_MEMBER_CLASSIC);
  update_n_members (self);
  complete_join (self);
}

static void
handle_classic (CrClient     *self,
                const guint8 *data,
                gsize         len)
{
  g_autofree char *line = NULL;
  g_autoptr(CrEvent) event = NULL;

  if (!g_utf8_validate_len ((const char *) data, len, NULL))
    return;
  line = g_strndup ((const char *) data, len);
  g_strchomp (line);

  if (self->state == CR_CLIENT_CONNECTING)
    {
      /* Only an answer to our "N name" means anything, and only from a
       * room that did not answer the probe natively. */
      if (!self->classic_sent || self->native_seen)
        return;
      if (g_strcmp0 (line, CR_CLASSIC_OK) == 0)
        enter_classic (self);
      else if (cr_classic_parse_reason (line) == CR_REASON_NAME_TAKEN)
        fail_join (self, reason_error (CR_REASON_NAME_TAKEN, NULL));
      else if (*line != '\0')
        {
          gint64 now = g_get_monotonic_time ();

          /* The classroom server only ever answers OK or the taken line.
           * Another line comes from a room of ours: a refusal, or the
           * history that followed an OK we lost. Such a room answers a
           * repeated "N name" from the same address with OK again, or with
           * the same refusal: ask again (a few times, not for every history
           * line), and keep the line as the answer for the join timeout. */
          if (self->classic_refusal == NULL)
            self->classic_refusal = g_strdup (line);
          if (self->classic_asks < 3 && now >= self->classic_due)
            {
              g_autoptr(GBytes) join = cr_classic_join (self->join_name);

              self->classic_asks++;
              self->classic_due = now + JOIN_INTERVAL_US;
              send_bytes (self, join);
            }
        }
      return;
    }

  if (self->dialect != CR_DIALECT_CLASSIC ||
      (self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_LEAVING) ||
      *line == '\0')
    return;

  event = cr_classic_parse_line (line, self->classic_seq + 1, g_get_real_time ());
  if (take_classic_echo (self, event))
    return;

  self->last_seq = ++self->classic_seq;
  apply_member_event (self, event);
  queue_message (self,
                 cr_message_new_from_event (event, cr_event_kind_is_chat (event->kind) &&
                                                   is_self_name (self, event->name)),
                 TRUE);
}

/* ------------------------------------------------------------------ */
/* Sources                                                            */

static void
close_other_socket (CrClient *self)
{
  if (self->other_source != NULL)
    {
      g_source_destroy (self->other_source);
      g_clear_pointer (&self->other_source, g_source_unref);
    }
  if (self->other_socket != NULL)
    g_socket_close (self->other_socket, NULL);
  g_clear_object (&self->other_socket);
}

/* The first answer from any of the room's addresses settles where it is:
 * that address, that socket; the other socket closes. */
static gboolean
settle_address (CrClient       *self,
                GSocket        *socket,
                GSocketAddress *from)
{
  GSocketAddress *found = NULL;

  for (guint i = 0; i < self->candidates->len && found == NULL; i++)
    if (addresses_equal (from, self->candidates->pdata[i]))
      found = self->candidates->pdata[i];
  if (found == NULL)
    return FALSE;

  g_set_object (&self->server_address, found);
  if (socket != self->socket)
    {
      GSocket *swap_socket = self->socket;
      GSource *swap_source = self->socket_source;

      self->socket = self->other_socket;
      self->socket_source = self->other_source;
      self->other_socket = swap_socket;
      self->other_source = swap_source;
    }
  close_other_socket (self);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  return TRUE;
}

static gboolean
on_socket_readable (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));

  for (guint i = 0; i < RECEIVE_BATCH; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GError) error = NULL;
      gssize len;

      if (g_socket_is_closed (socket))
        break;
      len = g_socket_receive_from (socket, &from, (char *) self->buffer,
                                   RECEIVE_BUFFER, NULL, &error);
      if (len < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("Receive failed: %s", error->message);
          /* ICMP errors (nobody at the port) surface here: keep going,
           * the join timeout decides. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
          continue;
        }
      if (from == NULL)
        continue;
      if (self->candidates != NULL)
        {
          if (!settle_address (self, socket, from))
            continue;
        }
      else if (socket != self->socket || !addresses_equal (from, self->server_address))
        continue;

      if (cr_protocol_is_native (self->buffer, len))
        handle_native (self, self->buffer, len, g_get_monotonic_time ());
      else
        handle_classic (self, self->buffer, len);
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));

  cr_client_service (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_join_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  g_autoptr(CrClient) self = g_object_ref (CR_CLIENT (user_data));

  if (self->join_task != NULL)
    fail_join (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          "The join was cancelled"));
  return G_SOURCE_REMOVE;
}

static gint64
service_connecting (CrClient *self,
                    gint64    now)
{
  gint64 next = self->join_started + self->join_timeout_us;

  if (now >= next)
    {
      if (self->classic_refusal != NULL && !self->native_seen)
        {
          CrReason reason = cr_classic_parse_reason (self->classic_refusal);

          /* A line of ours names its reason; another room's line is shown. */
          if (reason != CR_REASON_NONE)
            fail_join (self, reason_error (reason, NULL));
          else
            fail_join (self, reason_error (CR_REASON_NAME_INVALID, self->classic_refusal));
        }
      else
        fail_join (self, reason_error (CR_REASON_NO_ANSWER, NULL));
      return G_MAXINT64;
    }
  if (self->socket == NULL)
    return next;   /* still resolving */

  if (!self->native_seen)
    {
      if (now >= self->probe_due)
        {
          send_probe (self);
          self->probe_due = now + PROBE_INTERVAL_US;
        }
      next = MIN (next, self->probe_due);

      if (!self->classic_sent)
        {
          if (now >= self->classic_due)
            {
              g_autoptr(GBytes) join = cr_classic_join (self->join_name);

              send_to_candidates (self, join);
              self->classic_sent = TRUE;
            }
          else
            next = MIN (next, self->classic_due);
        }
    }
  else if (!self->welcomed)
    {
      if (now >= self->join_due)
        {
          send_join (self);
          self->join_due = now + JOIN_INTERVAL_US;
        }
      next = MIN (next, self->join_due);
    }
  else
    flush_reliable (self, now);

  return next;
}

static gint64
service_connected (CrClient *self,
                   gint64    now)
{
  gint64 next = G_MAXINT64;

  if (self->dialect == CR_DIALECT_CLASSIC)
    return G_MAXINT64;

  if (now - self->last_heard >= self->silence_us)
    {
      enter_reconnecting (self, now);
      return now;
    }

  flush_reliable (self, now);
  if (now - self->last_sent >= self->keepalive_us)
    send_unreliable (self, CR_PACKET_PING);

  for (guint i = 0; i < self->pending->len; )
    {
      Pending *pending = self->pending->pdata[i];

      if (pending->sent_at > 0 && now - pending->sent_at >= PENDING_TIMEOUT_US)
        {
          cr_message_set_failed (pending->message, CR_REASON_NO_ANSWER);
          g_ptr_array_remove_index (self->pending, i);
          continue;
        }
      if (pending->sent_at > 0)
        next = MIN (next, pending->sent_at + PENDING_TIMEOUT_US);
      i++;
    }

  next = MIN (next, self->last_sent + self->keepalive_us);
  next = MIN (next, self->last_heard + self->silence_us);
  return next;
}

static gint64
service_reconnecting (CrClient *self,
                      gint64    now)
{
  if (self->welcomed)
    {
      /* Welcomed again, waiting for the resync to end with MEMBERS. */
      if (now - self->last_heard >= self->silence_us)
        {
          enter_reconnecting (self, now);
          return now;
        }
      flush_reliable (self, now);
      return self->last_heard + self->silence_us;
    }

  if (now >= self->join_due)
    {
      send_join (self);
      self->join_due = now + self->rejoin_interval;
      self->rejoin_interval = MIN (self->rejoin_interval * 2, REJOIN_MAX_US);
    }
  return self->join_due;
}

static gint64
service_leaving (CrClient *self,
                 gint64    now)
{
  if (self->reliable == NULL || cr_reliable_get_unacked (self->reliable) == 0 ||
      now >= self->leave_deadline)
    {
      enter_closed (self, CR_REASON_NONE);
      return G_MAXINT64;
    }
  flush_reliable (self, now);
  return self->leave_deadline;
}

static void
cr_client_service (CrClient *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 next = G_MAXINT64;

  g_assert (CR_IS_CLIENT (self));

  self->in_service = TRUE;
  self->service_again = FALSE;

  splice_batch (self);

  switch (self->state)
    {
    case CR_CLIENT_CONNECTING:
      next = service_connecting (self, now);
      break;

    case CR_CLIENT_CONNECTED:
      next = service_connected (self, now);
      break;

    case CR_CLIENT_RECONNECTING:
      next = service_reconnecting (self, now);
      break;

    case CR_CLIENT_LEAVING:
      next = service_leaving (self, now);
      break;

    case CR_CLIENT_DISCONNECTED:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }

  /* What the reliable layer wants next (an ack owed, data in the window,
   * a retransmission), while a session is in use. */
  if (self->reliable != NULL && self->dialect == CR_DIALECT_NATIVE &&
      (self->state == CR_CLIENT_CONNECTED || self->state == CR_CLIENT_LEAVING ||
       self->welcomed))
    next = MIN (next, cr_reliable_next_deadline (self->reliable));

  self->in_service = FALSE;

  if (self->tick_source == NULL)
    return;
  if (self->state == CR_CLIENT_CLOSED || self->state == CR_CLIENT_DISCONNECTED)
    g_source_set_ready_time (self->tick_source, self->batch->len > 0 ? 0 : -1);
  else if (self->service_again || self->batch->len > 0)
    g_source_set_ready_time (self->tick_source, 0);
  else if (next == G_MAXINT64)
    g_source_set_ready_time (self->tick_source, -1);
  else
    g_source_set_ready_time (self->tick_source, MAX (next, now + MIN_SLEEP_US));
}

/* ------------------------------------------------------------------ */
/* Joining                                                            */

static GSocket *
open_socket (CrClient       *self,
             GSocketFamily   family,
             GSource       **source,
             GError        **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);

  any = g_inet_address_new_any (family);
  local = g_inet_socket_address_new (any, 0);
  if (!g_socket_bind (socket, local, FALSE, error))
    return NULL;

  *source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (*source, G_SOURCE_FUNC (on_socket_readable), self, NULL);
  g_source_set_static_name (*source, "[cr-client] socket");
  g_source_attach (*source, self->context);
  return g_steal_pointer (&socket);
}

/* All addresses are known: one socket per family among them (an address
 * of a family we cannot open is dropped), then probe them all. */
static void
start_probing (CrClient *self)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < self->candidates->len; )
    {
      GSocketAddress *address = self->candidates->pdata[i];
      GSocketFamily family = g_socket_address_get_family (address);

      if (socket_for (self, address) == NULL)
        {
          g_autoptr(GError) local_error = NULL;
          GSource *source = NULL;
          GSocket *socket = open_socket (self, family, &source, &local_error);

          if (socket == NULL)
            {
              g_debug ("Cannot reach %s: %s", g_socket_address_get_family (address) ==
                       G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4", local_error->message);
              if (error == NULL)
                error = g_steal_pointer (&local_error);
              g_ptr_array_remove_index (self->candidates, i);
              continue;
            }
          if (self->socket == NULL)
            {
              self->socket = socket;
              self->socket_source = source;
            }
          else
            {
              self->other_socket = socket;
              self->other_source = source;
            }
        }
      i++;
    }

  if (self->candidates->len == 0)
    {
      fail_join (self, reason_error (CR_REASON_NO_ANSWER, error ? error->message : NULL));
      return;
    }

  /* Until one answers, the first is where the room is taken to be. */
  g_set_object (&self->server_address, self->candidates->pdata[0]);
  if (self->candidates->len == 1)
    {
      close_other_socket (self);
      g_clear_pointer (&self->candidates, g_ptr_array_unref);
    }
  self->probe_due = g_get_monotonic_time ();
  schedule_now (self);
}

static void
on_resolved (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CrClient) self = CR_CLIENT (user_data);   /* the ref of join_async */
  GSocketAddressEnumerator *enumerator = G_SOCKET_ADDRESS_ENUMERATOR (object);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  address = g_socket_address_enumerator_next_finish (enumerator, result, &error);
  if (self->state != CR_CLIENT_CONNECTING || self->join_task == NULL ||
      self->candidates == NULL)
    return;

  if (address != NULL && G_IS_INET_SOCKET_ADDRESS (address) &&
      self->candidates->len < MAX_CANDIDATES)
    {
      g_ptr_array_add (self->candidates, g_steal_pointer (&address));
      g_socket_address_enumerator_next_async (enumerator, self->resolve_cancellable,
                                              on_resolved, g_object_ref (self));
      return;
    }

  if (self->candidates->len == 0)
    {
      fail_join (self, reason_error (CR_REASON_NO_ANSWER,
                                     error ? error->message : "no address"));
      return;
    }
  start_probing (self);
}

/* ------------------------------------------------------------------ */
/* GObject                                                            */

static void
cr_client_dispose (GObject *object)
{
  CrClient *self = CR_CLIENT (object);

  if (self->resolve_cancellable != NULL)
    g_cancellable_cancel (self->resolve_cancellable);
  remove_sources (self);
  if (self->join_task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->join_task);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The client was disposed");
    }
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  close_other_socket (self);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_object (&self->server_address);
  g_clear_object (&self->resolve_cancellable);

  G_OBJECT_CLASS (cr_client_parent_class)->dispose (object);
}

static void
cr_client_finalize (GObject *object)
{
  CrClient *self = CR_CLIENT (object);

  g_clear_pointer (&self->reliable, cr_reliable_free);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->own_by_origin, g_hash_table_unref);
  g_clear_pointer (&self->seen_origins, g_hash_table_unref);
  g_clear_pointer (&self->batch, g_ptr_array_unref);
  g_clear_pointer (&self->announce, g_ptr_array_unref);
  g_queue_clear_full (&self->classic_echoes, g_free);
  g_clear_object (&self->messages);
  g_clear_object (&self->members);
  g_clear_pointer (&self->member_events, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->buffer, g_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->fold, g_free);
  g_clear_pointer (&self->room_name, g_free);
  g_clear_pointer (&self->resume_token, g_free);
  g_clear_pointer (&self->join_name, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->owner_token, g_free);
  g_clear_pointer (&self->classic_refusal, g_free);

  G_OBJECT_CLASS (cr_client_parent_class)->finalize (object);
}

static void
cr_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrClient *self = CR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_ROOM_NAME:
      g_value_set_string (value, self->room_name);
      break;

    case PROP_ROLE:
      g_value_set_int (value, self->role);
      break;

    case PROP_DIALECT:
      g_value_set_int (value, self->dialect);
      break;

    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;

    case PROP_CLOSE_REASON:
      g_value_set_int (value, self->close_reason);
      break;

    case PROP_N_MEMBERS:
      g_value_set_uint (value, self->n_members);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_client_class_init (CrClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = cr_client_dispose;
  object_class->finalize = cr_client_finalize;
  object_class->get_property = cr_client_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      CR_CLIENT_DISCONNECTED, CR_CLIENT_CLOSED, CR_CLIENT_DISCONNECTED, flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ROOM_NAME] =
    g_param_spec_string ("room-name", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] =
    g_param_spec_int ("role", NULL, NULL,
                      CR_ROLE_MEMBER, CR_ROLE_OWNER, CR_ROLE_MEMBER, flags);
  properties[PROP_DIALECT] =
    g_param_spec_int ("dialect", NULL, NULL,
                      CR_DIALECT_NATIVE, CR_DIALECT_CLASSIC, CR_DIALECT_NATIVE, flags);
  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL, flags);
  properties[PROP_CLOSE_REASON] =
    g_param_spec_int ("close-reason", NULL, NULL,
                      CR_REASON_NONE, CR_REASON_LAST, CR_REASON_NONE, flags);
  properties[PROP_N_MEMBERS] =
    g_param_spec_uint ("n-members", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CrClient::message-received:
   * @message: the new row
   *
   * A row from the room that is not the user's own and not history
   * replayed at join: live messages and system lines, and those caught up
   * after a reconnect. Emitted after the row is in the messages model.
   */
  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CR_TYPE_MESSAGE);

  /**
   * CrClient::closed:
   * @reason: a #CrReason
   *
   * The client entered CLOSED, once per client: after leave (NONE), when
   * the room ended the session, or when a join failed (its reason, NONE
   * when cancelled).
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
cr_client_init (CrClient *self)
{
  self->messages = g_list_store_new (CR_TYPE_MESSAGE);
  self->members = g_list_store_new (CR_TYPE_MEMBER);
  self->batch = g_ptr_array_new_with_free_func (g_object_unref);
  self->announce = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
  self->own_by_origin = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                               g_free, g_object_unref);
  self->seen_origins = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->member_events = g_ptr_array_new_with_free_func ((GDestroyNotify) cr_event_free);
  g_queue_init (&self->classic_echoes);

  self->keepalive_us = DEFAULT_KEEPALIVE_MS * G_TIME_SPAN_MILLISECOND;
  self->silence_us = DEFAULT_SILENCE_MS * G_TIME_SPAN_MILLISECOND;
  self->join_timeout_us = DEFAULT_JOIN_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  /* Own message ids: random high half per client, a counter below, so two
   * clients (or two runs) never share one. */
  self->origin_base = (guint64) g_random_int () << 32;
  self->state = CR_CLIENT_DISCONNECTED;
}

/* ------------------------------------------------------------------ */
/* Public API                                                         */

CrClient *
cr_client_new (void)
{
  return g_object_new (CR_TYPE_CLIENT, NULL);
}

void
cr_client_join_async (CrClient            *self,
                      const char          *address,
                      const char          *name,
                      const char          *password,
                      gboolean             do_register,
                      const char          *owner_token,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;
  CrReason reason;

  g_return_if_fail (CR_IS_CLIENT (self));
  g_return_if_fail (address != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cr_client_join_async);

  if (self->state != CR_CLIENT_DISCONNECTED)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "This client has joined before; use a new one");
      return;
    }

  connectable = g_network_address_parse (address, CR_DEFAULT_PORT, &error);
  if (connectable == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a room address: %s", address, error->message);
      return;
    }

  reason = cr_name_validate (name, -1, &normalized);
  if (reason == CR_REASON_NONE && do_register &&
      (password == NULL || strlen (password) < CR_PASSWORD_MIN_BYTES ||
       strlen (password) > CR_PASSWORD_MAX_BYTES))
    reason = CR_REASON_PASSWORD_INVALID;
  if (reason != CR_REASON_NONE)
    {
      g_task_return_error (task, reason_error (reason, NULL));
      return;
    }

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  if (self->buffer == NULL)
    self->buffer = g_malloc (RECEIVE_BUFFER);

  self->join_name = g_steal_pointer (&normalized);
  self->password = g_strdup (password ? password : "");
  self->owner_token = g_strdup (owner_token ? owner_token : "");
  self->do_register = do_register;
  set_string (self, &self->address, address, PROP_ADDRESS);

  self->join_task = g_steal_pointer (&task);
  self->candidates = g_ptr_array_new_with_free_func (g_object_unref);
  self->join_started = g_get_monotonic_time ();
  self->classic_due = self->join_started + self->join_timeout_us / 5;
  self->resolve_cancellable = g_cancellable_new ();
  set_state (self, CR_CLIENT_CONNECTING);

  self->tick_source = g_source_new (&tick_funcs, sizeof (GSource));
  g_source_set_callback (self->tick_source, on_tick, self, NULL);
  g_source_set_static_name (self->tick_source, "[cr-client] tick");
  g_source_attach (self->tick_source, self->context);

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_join_cancelled), self, NULL);
      g_source_attach (self->cancel_source, self->context);
    }

  enumerator = g_socket_connectable_enumerate (connectable);
  g_socket_address_enumerator_next_async (enumerator, self->resolve_cancellable,
                                          on_resolved, g_object_ref (self));
  schedule_now (self);
}

gboolean
cr_client_join_finish (CrClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

CrMessage *
cr_client_send (CrClient    *self,
                const char  *text,
                GError     **error)
{
  g_autoptr(CrMessage) message = NULL;
  guint64 origin;
  CrReason reason;

  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  reason = cr_text_validate (text, -1);
  if (reason != CR_REASON_NONE)
    {
      g_propagate_error (error, reason_error (reason, NULL));
      return NULL;
    }
  if (self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_RECONNECTING)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "Not in a room");
      return NULL;
    }

  origin = self->origin_base | ++self->origin_counter;
  message = cr_message_new_pending (self->name, text, origin, g_get_real_time ());

  if (self->dialect == CR_DIALECT_CLASSIC)
    {
      g_autoptr(GBytes) datagram = cr_classic_message (self->name, text);

      /* No acks in the classic dialect: sent is all we can know. */
      send_bytes (self, datagram);
      g_queue_push_tail (&self->classic_echoes, strip_blanks (text));
      while (g_queue_get_length (&self->classic_echoes) > 64)
        g_free (g_queue_pop_head (&self->classic_echoes));
      self->last_seq = ++self->classic_seq;
      cr_message_set_sent (message, self->classic_seq, cr_message_get_time (message));
    }
  else
    {
      Pending *pending = g_new0 (Pending, 1);

      pending->message = g_object_ref (message);
      pending->origin = origin;
      g_ptr_array_add (self->pending, pending);
      remember_own (self, message);
      if (self->state == CR_CLIENT_CONNECTED)
        queue_chat (self, pending, g_get_monotonic_time ());
    }

  /* The row shows at once, after whatever arrived before it. */
  g_ptr_array_add (self->batch, g_object_ref (message));
  splice_batch (self);
  return message;
}

void
cr_client_retry (CrClient  *self,
                 CrMessage *message)
{
  Pending *pending;
  guint64 origin;

  g_return_if_fail (CR_IS_CLIENT (self));
  g_return_if_fail (CR_IS_MESSAGE (message));
  g_return_if_fail (cr_message_get_own (message));

  origin = cr_message_get_origin (message);
  if (cr_message_get_state (message) != CR_MESSAGE_FAILED ||
      self->dialect != CR_DIALECT_NATIVE ||
      g_hash_table_lookup (self->own_by_origin, &origin) != message ||
      (self->state != CR_CLIENT_CONNECTED && self->state != CR_CLIENT_RECONNECTING))
    return;

  cr_message_set_pending (message);
  pending = g_new0 (Pending, 1);
  pending->message = g_object_ref (message);
  pending->origin = origin;
  g_ptr_array_add (self->pending, pending);
  if (self->state == CR_CLIENT_CONNECTED)
    queue_chat (self, pending, g_get_monotonic_time ());
}

void
cr_client_leave (CrClient *self)
{
  g_autoptr(CrClient) hold = NULL;

  g_return_if_fail (CR_IS_CLIENT (self));

  hold = g_object_ref (self);

  switch (self->state)
    {
    case CR_CLIENT_CONNECTING:
      fail_join (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            "Left before the room answered"));
      break;

    case CR_CLIENT_CONNECTED:
      if (self->dialect == CR_DIALECT_CLASSIC)
        {
          g_autoptr(GBytes) quit = cr_classic_quit (self->name);

          send_bytes (self, quit);
          enter_closed (self, CR_REASON_NONE);
        }
      else
        {
          g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");

          cr_reliable_send (self->reliable, CR_PACKET_BYE, bye);
          self->leave_deadline = g_get_monotonic_time () + LEAVE_LINGER_US;
          set_state (self, CR_CLIENT_LEAVING);
          flush_reliable (self, g_get_monotonic_time ());
          schedule_now (self);
        }
      break;

    case CR_CLIENT_RECONNECTING:
      /* The room is not listening, or not to this session: one goodbye on
       * the old one, for a room that was merely slow, then done. */
      if (self->reliable != NULL)
        {
          g_autoptr(GBytes) bye = cr_body_bye (CR_REASON_NONE, "");

          cr_reliable_send (self->reliable, CR_PACKET_BYE, bye);
          flush_reliable (self, g_get_monotonic_time ());
        }
      enter_closed (self, CR_REASON_NONE);
      break;

    case CR_CLIENT_DISCONNECTED:
      enter_closed (self, CR_REASON_NONE);
      break;

    case CR_CLIENT_LEAVING:
    case CR_CLIENT_CLOSED:
    default:
      break;
    }
}

CrClientState
cr_client_get_state (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_CLIENT_DISCONNECTED);

  return self->state;
}

const char *
cr_client_get_name (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->name;
}

const char *
cr_client_get_room_name (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->room_name;
}

CrRole
cr_client_get_role (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_ROLE_MEMBER);

  return self->role;
}

CrDialect
cr_client_get_dialect (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_DIALECT_NATIVE);

  return self->dialect;
}

const char *
cr_client_get_address (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->address;
}

CrReason
cr_client_get_close_reason (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_REASON_NONE);

  return self->close_reason;
}

guint64
cr_client_get_last_seq (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), 0);

  return self->last_seq;
}

GListModel *
cr_client_get_messages (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->messages);
}

GListModel *
cr_client_get_members (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return G_LIST_MODEL (self->members);
}

void
cr_client_set_timing (CrClient *self,
                      guint     keepalive_ms,
                      guint     silence_ms,
                      guint     join_timeout_ms)
{
  g_return_if_fail (CR_IS_CLIENT (self));

  self->keepalive_us = (gint64) (keepalive_ms ? keepalive_ms : DEFAULT_KEEPALIVE_MS) *
                       G_TIME_SPAN_MILLISECOND;
  self->silence_us = (gint64) (silence_ms ? silence_ms : DEFAULT_SILENCE_MS) *
                     G_TIME_SPAN_MILLISECOND;
  self->join_timeout_us = (gint64) (join_timeout_ms ? join_timeout_ms : DEFAULT_JOIN_TIMEOUT_MS) *
                          G_TIME_SPAN_MILLISECOND;
  if (self->state == CR_CLIENT_CONNECTING)
    self->classic_due = self->join_started + self->join_timeout_us / 5;
  schedule_now (self);
}
