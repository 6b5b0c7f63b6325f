/* cr-server-thread.c: a thread with its own GMainContext for a hosted
 * room, and the two ways across it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An app that hosts a room draws its window on the main thread; a room of
 * 1 000 members reads, fans out and commits there too, and every burst
 * was a frame not drawn (bench/README.md, "bench-ui --host"). So the app's
 * room runs here: its sockets, timers and store on a context of its own,
 * pushed as the thread's default, so its GSocket sources, the password
 * workers' GTasks and the file service (cr-files-service.c asks the
 * context it was made on) all dispatch on this thread.
 *
 * Across it, two ways only. The owner's calls run as jobs on the room's
 * context (above its sockets' priority), and the caller waits a bounded
 * time for the answer or not at all; the job is reference-counted, so a
 * caller that gave up leaves nothing dangling. The room's reports (its
 * events, member changes, "stopped") wait in one queue that a single idle
 * on the owner's context empties: the window applies a burst once. No lock
 * is held while either side works.
 */
#define G_LOG_DOMAIN "cr-server"

#include "config.h"

#include "cr-server-thread.h"

struct _CrServerThread
{
  GMainContext          *context;      /* the room's */
  GMainLoop             *loop;
  GThread               *thread;
  GMainContext          *owner;        /* where reports go */
  CrServerThreadReports  reports_func;
  GDestroyNotify         report_free;
  gpointer               user_data;

  GMutex                 lock;         /* guards what follows */
  GCond                  cond;         /* a job done, or the loop ended */
  gboolean               ended;        /* the loop quit: jobs fail at once */
  GPtrArray             *reports;      /* posted, not delivered yet */
  GSource               *report_source;
};

typedef struct {
  CrServerThread     *thread;
  CrServerThreadFunc  func;
  gpointer            job;
  GDestroyNotify      job_clear;
  gboolean            done;          /* under thread->lock */
} Run;

static void
run_clear (gpointer data)
{
  Run *run = data;

  g_atomic_rc_box_release_full (run->job, run->job_clear);
}

static void
run_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, run_clear);
}

static gboolean
run_dispatch (gpointer data)
{
  Run *run = data;
  CrServerThread *self = run->thread;

  run->func (self->user_data, run->job);
  g_mutex_lock (&self->lock);
  run->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

static gpointer
thread_main (gpointer data)
{
  CrServerThread *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  g_main_context_pop_thread_default (self->context);

  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* On the owner's context: everything posted so far, in one go. The
 * reports function may free self (the room stopped): nothing of self is
 * touched after it. */
static gboolean
deliver (gpointer data)
{
  CrServerThread *self = data;
  GPtrArray *reports;
  CrServerThreadReports func = self->reports_func;
  gpointer user_data = self->user_data;

  g_mutex_lock (&self->lock);
  reports = g_steal_pointer (&self->reports);
  self->reports = g_ptr_array_new_with_free_func (self->report_free);
  g_clear_pointer (&self->report_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  func (user_data, reports);
  return G_SOURCE_REMOVE;
}

typedef struct {
  CrServerThread     *thread;
  CrServerThreadFunc  last;
} Shutdown;

static gboolean
shutdown_dispatch (gpointer data)
{
  Shutdown *shutdown = data;

  if (shutdown->last != NULL)
    shutdown->last (shutdown->thread->user_data, NULL);
  _cr_server_thread_quit (shutdown->thread);
  return G_SOURCE_REMOVE;
}

CrServerThread *
_cr_server_thread_new (GMainContext          *owner,
                       CrServerThreadReports  reports_func,
                       GDestroyNotify         report_free,
                       gpointer               user_data)
{
  CrServerThread *self = g_new0 (CrServerThread, 1);

  g_return_val_if_fail (owner != NULL, NULL);
  g_return_val_if_fail (reports_func != NULL, NULL);

  self->owner = g_main_context_ref (owner);
  self->reports_func = reports_func;
  self->report_free = report_free;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->reports = g_ptr_array_new_with_free_func (report_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("chatroom-room", thread_main, self);
  return self;
}

void
_cr_server_thread_free (CrServerThread     *self,
                        CrServerThreadFunc  last)
{
  Shutdown shutdown = { self, last };
  GSource *source;

  if (self == NULL)
    return;
  g_return_if_fail (!_cr_server_thread_is_current (self));

  /* Lives until the join: the loop runs it before it quits, or has
   * quit already and never will. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, shutdown_dispatch, &shutdown, NULL);
  g_source_attach (source, self->context);
  g_thread_join (self->thread);
  g_source_destroy (source);
  g_source_unref (source);

  if (self->report_source != NULL)
    g_source_destroy (self->report_source);
  g_clear_pointer (&self->report_source, g_source_unref);
  g_clear_pointer (&self->reports, g_ptr_array_unref);
  /* Jobs never run are released with their sources. */
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_main_context_unref (self->owner);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

gboolean
_cr_server_thread_is_current (CrServerThread *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return g_main_context_is_owner (self->context);
}

gboolean
_cr_server_thread_run (CrServerThread     *self,
                       CrServerThreadFunc  func,
                       gpointer            job,
                       GDestroyNotify      job_clear,
                       gint64              timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  Run *run;
  gboolean done;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (job != NULL, FALSE);

  if (_cr_server_thread_is_current (self))
    {
      func (self->user_data, job);
      return TRUE;
    }

  g_mutex_lock (&self->lock);
  if (self->ended)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  g_mutex_unlock (&self->lock);

  run = g_atomic_rc_box_new0 (Run);
  run->thread = self;
  run->func = func;
  run->job = g_atomic_rc_box_acquire (job);
  run->job_clear = job_clear;
  /* Above the sockets: the owner's word comes before the next read. */
  g_main_context_invoke_full (self->context, G_PRIORITY_HIGH, run_dispatch,
                              g_atomic_rc_box_acquire (run), run_unref);

  g_mutex_lock (&self->lock);
  while (timeout_us > 0 && !run->done && !self->ended)
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  done = run->done;
  g_mutex_unlock (&self->lock);
  run_unref (run);
  return done;
}

void
_cr_server_thread_post (CrServerThread *self,
                        gpointer        report)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (report != NULL);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->reports, report);
  if (self->report_source == NULL)
    {
      /* Default priority, as the room's own idle had on the window's
       * loop: above the frames, so a report is not left behind them. */
      self->report_source = g_idle_source_new ();
      g_source_set_priority (self->report_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->report_source, deliver, self, NULL);
      g_source_set_name (self->report_source, "[chatroom] room reports");
      g_source_attach (self->report_source, self->owner);
    }
  g_mutex_unlock (&self->lock);
}

void
_cr_server_thread_quit (CrServerThread *self)
{
  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  self->ended = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_main_loop_quit (self->loop);
}
