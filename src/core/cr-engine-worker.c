/* cr-engine-worker.c: CrEngine's password hashes on worker threads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A job holds copies of what its hash needs and nothing else (see
 * cr-engine-auth.c), so a thread may run it while the engine goes on; only
 * the hand-back touches the engine, and it happens on the main context.
 * At most max_threads run at once: Argon2id takes 64 MiB each, and the
 * engine bounds how many joins may wait.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include "cr-engine-worker.h"

struct _CrEngineWorker
{
  GObject             parent_instance;

  guint               max_threads;
  guint               running;
  CrEngineWorkerFunc  func;
  gpointer            user_data;
  GCancellable       *cancellable;
  gboolean            hold;
  GQueue              held;           /* CrAuthJob* (owned) */
};

G_DEFINE_FINAL_TYPE (CrEngineWorker, cr_engine_worker, G_TYPE_OBJECT)

static void
run_job (GTask        *task,
         gpointer      source_object,
         gpointer      task_data,
         GCancellable *cancellable)
{
  CrAuthJob *job = task_data;

  if (!g_cancellable_is_cancelled (cancellable))
    cr_auth_job_run (job);
  g_task_return_pointer (task, job, (GDestroyNotify) cr_auth_job_free);
}

static void
on_job_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CrEngineWorker *self = CR_ENGINE_WORKER (source);
  g_autoptr(CrAuthJob) job = g_task_propagate_pointer (G_TASK (result), NULL);

  self->running--;
  /* NULL: cancelled, nobody waits for it. */
  if (job == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  if (self->hold)
    g_queue_push_tail (&self->held, g_steal_pointer (&job));
  else
    self->func (job, self->user_data);
}

static void
cr_engine_worker_dispose (GObject *object)
{
  CrEngineWorker *self = CR_ENGINE_WORKER (object);

  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->held, (GDestroyNotify) cr_auth_job_free);

  G_OBJECT_CLASS (cr_engine_worker_parent_class)->dispose (object);
}

static void
cr_engine_worker_finalize (GObject *object)
{
  CrEngineWorker *self = CR_ENGINE_WORKER (object);

  g_object_unref (self->cancellable);

  G_OBJECT_CLASS (cr_engine_worker_parent_class)->finalize (object);
}

static void
cr_engine_worker_class_init (CrEngineWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cr_engine_worker_dispose;
  object_class->finalize = cr_engine_worker_finalize;
}

static void
cr_engine_worker_init (CrEngineWorker *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->held);
}

CrEngineWorker *
cr_engine_worker_new (guint               max_threads,
                      CrEngineWorkerFunc  func,
                      gpointer            user_data)
{
  CrEngineWorker *self;

  g_return_val_if_fail (max_threads > 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (CR_TYPE_ENGINE_WORKER, NULL);
  self->max_threads = max_threads;
  self->func = func;
  self->user_data = user_data;
  return self;
}

void
cr_engine_worker_take (CrEngineWorker *self,
                       CrEngine       *engine)
{
  CrAuthJob *job;

  g_return_if_fail (CR_IS_ENGINE_WORKER (self));
  g_return_if_fail (engine != NULL);

  while (!g_cancellable_is_cancelled (self->cancellable) &&
         self->running < self->max_threads &&
         (job = cr_engine_take_auth_job (engine)) != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_job_done, NULL);

      g_task_set_source_tag (task, cr_engine_worker_take);
      g_task_set_name (task, "[chatroom] password hash");
      g_task_set_task_data (task, job, NULL);   /* run_job returns it */
      self->running++;
      g_task_run_in_thread (task, run_job);
    }
}

void
cr_engine_worker_cancel (CrEngineWorker *self)
{
  g_return_if_fail (CR_IS_ENGINE_WORKER (self));

  g_cancellable_cancel (self->cancellable);
  g_queue_clear_full (&self->held, (GDestroyNotify) cr_auth_job_free);
}

void
cr_engine_worker_hold (CrEngineWorker *self,
                       gboolean        hold)
{
  g_return_if_fail (CR_IS_ENGINE_WORKER (self));

  self->hold = !!hold;
  while (!self->hold && !g_queue_is_empty (&self->held) &&
         !g_cancellable_is_cancelled (self->cancellable))
    {
      g_autoptr(CrAuthJob) job = g_queue_pop_head (&self->held);
      self->func (job, self->user_data);
    }
}

guint
cr_engine_worker_get_n_held (CrEngineWorker *self)
{
  g_return_val_if_fail (CR_IS_ENGINE_WORKER (self), 0);

  return self->held.length;
}
