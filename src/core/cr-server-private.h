/* cr-server-private.h: what only the core and its tests may call on CrServer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-crypto.h"
#include "cr-discovery-responder.h"
#include "cr-engine-worker.h"
#include "cr-member-list.h"
#include "cr-server-thread.h"
#include "cr-server.h"

G_BEGIN_DECLS

/* The object, shared by cr-server.c (the GObject, the owner's side, the
 * calls and reports between the sides), cr-server-room.c (the room's side:
 * socket, timers, engine, store), cr-server-owner.c (what the owner does)
 * and cr-server-settings.c (the live settings).
 *
 * Two sides. The room's side (engine, store, socket, sources, worker,
 * files) is touched only on the room's context: the thread's of
 * cr-server-thread.c when the room is "threaded", else the one the room
 * started on. The owner's side (the configuration, the lists, the
 * signals and what "running", "port" and the names mirror) only on the
 * context the object was started from. Without a thread both are one
 * thread, and the calls between them are plain calls. */
struct _CrServer
{
  GObject         parent_instance;

  /* configuration (the owner's; read by the room only while its start
   * waits) */
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
  gboolean        threaded;         /* "threaded": the room runs on its own thread */

  /* the owner's side */
  CrServerThread *thread;           /* while a threaded room runs */
  CrMemberList   *lists;            /* members and bans, for the owner view */
  gboolean        running;
  guint16         port;
  char           *owner_token;
  char           *live_name;        /* the running room's name */
  GSocketAddress *local;            /* where the running room listens */
  CrFiles        *files_ref;        /* the room's CrFiles, a reference (_cr_files_ref) */
  gboolean        storage_ok;       /* the engine's, as last told */

  /* the room's side */
  GMainContext   *context;          /* its sources' */
  CrStore        *store;
  CrEngine       *engine;
  GSocket        *socket;
  CrDiscoveryResponder *discovery;  /* answers probes before the engine sees them */
  GSource        *read_source;
  GSource        *write_source;     /* while the socket's send buffer is full */
  GSource        *timer_source;
  GSource        *refresh_source;   /* reports pending_events to the lists */
  GPtrArray      *pending_events;   /* CrEvent copies */
  gboolean        stopping;
  gint64          stop_deadline;
  gint64          busy_since;     /* reading without draining the socket since (µs), or 0 */
  guint8         *buffers;
  GPtrArray      *out;
  CrEngineWorker *worker;           /* the engine's password hashes */
  guint           locks_serial;     /* the engine's, as last told */
  CrFiles        *files;            /* shared files over TCP; NULL without data dir */
};

/* A question from the owner's side to the room's (an rc box: a caller
 * that gave up on it drops its reference and the room's stays). */
typedef struct {
  /* in */
  char           *text;
  gint64          number;
  int             action;
  /* out */
  gboolean        ok;
  GError         *error;
  GStrv           names;
  GPtrArray      *mutes;            /* CrStoreMute */
  char           *string;
  char           *name;
  GSocketAddress *address;
  CrFiles        *files;            /* a reference */
  CrStats         stats;
} CrServerCall;

/* Whether the caller may touch the room's side now. */
gboolean      _cr_server_in_room    (CrServer            *self);
/* A call with its arguments (text copied), and its release. */
CrServerCall *_cr_server_call_new   (const char          *text,
                                     gint64               number,
                                     int                  action);
void          _cr_server_call_unref (CrServerCall        *call);
/* Runs func (self, call) on the room's side (at once when the caller is
 * there). wait: for its answer, a bounded time; FALSE when it did not
 * come (the room is gone or stuck), or at once when not waiting. */
gboolean      _cr_server_call       (CrServer            *self,
                                     CrServerThreadFunc   func,
                                     CrServerCall        *call,
                                     gboolean             wait);
/* On the room's side: what the engine made, sent; the timer set again. */
void          _cr_server_send_out   (CrServer            *self);
void          _cr_server_schedule   (CrServer            *self);
/* The room's side: FALSE with "The room is closed" unless it runs and
 * is not closing. */
gboolean      _cr_server_check_running (CrServer         *self,
                                     GError             **error);
/* "The room did not answer in time", for a call that waited in vain. */
void          _cr_server_timed_out  (GError             **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrServerCall, _cr_server_call_unref)

/* The engine's clock (with the tests' offsets below). */
CrEngineTime  _cr_server_now        (void);

/* What the room tells the owner's side (the room's thread posts them; the
 * owner's context takes a burst at once). */
typedef enum {
  CR_SERVER_REPORT_EVENT,
  CR_SERVER_REPORT_MEMBERS,
  CR_SERVER_REPORT_STORAGE,
  CR_SERVER_REPORT_LOCKS,
  CR_SERVER_REPORT_STOPPED,
} CrServerReportKind;

typedef struct {
  CrServerReportKind  kind;
  CrEvent            *event;       /* EVENT */
  GPtrArray          *events;      /* MEMBERS: CrEvent, and ... */
  GPtrArray          *snapshots;   /* ... for each, CrMember or NULL (cr_member_list_snapshot) */
  gboolean            ok;          /* STORAGE */
  char               *message;     /* STORAGE: NULL: "storage-ok" only */
} CrServerReport;

/* From the room's side to the owner's (takes report; NULL: one with
 * nothing but its kind): posted to the owner's context when the room has
 * a thread, else handled at once. */
void          _cr_server_tell_owner (CrServer            *self,
                                     CrServerReportKind   kind,
                                     CrServerReport      *report);

/* The room's side (cr-server-room.c), as CrServerThreadFuncs: a start
 * (the call's text is the address; the answers in the call), a stop
 * (the close, then "stopped" when drained), everything dropped at once
 * (job unused). */
void          _cr_server_room_start (gpointer             self,
                                     gpointer             call);
void          _cr_server_room_stop  (gpointer             self,
                                     gpointer             call);
void          _cr_server_room_drop  (gpointer             self,
                                     gpointer             job);

/* Tests: while held, a password hash that finished on its worker thread is
 * not handed back to the engine, so its join stays pending (the room goes
 * on); releasing hands back every held one. Say how many wait. */
void      cr_server_hold_auth        (CrServer *self,
                                      gboolean  hold);
guint     cr_server_get_n_held_auth  (CrServer *self);

/* Tests: every room's clock (not the system's) runs offset_us further
 * ahead from now on, so waits of minutes (a login's back-off) pass at
 * once; the rooms' timers keep to the system's clock. */
void      cr_server_advance_clock    (gint64    offset_us);
/* Tests: the wall clock the rooms stamp events with runs offset_us further
 * ahead (a message becomes older than the recall window); sessions and
 * timers are not touched. */
void      cr_server_advance_wall_clock (gint64  offset_us);
/* Tests: the room's identity key (NULL before its first start), and one to
 * use instead of loading or making it (before the first start; takes it).
 * A room without a data dir keeps its key only for the object's life; a
 * test that replaces the object by another "on the same data" passes the
 * key on. */
CrIdentity *_cr_server_dup_identity  (CrServer   *self);
void      _cr_server_set_identity    (CrServer   *self,
                                      CrIdentity *identity);

G_END_DECLS
