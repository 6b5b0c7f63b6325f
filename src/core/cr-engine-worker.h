/* cr-engine-worker.h: CrEngine's password hashes on worker threads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Takes jobs from an engine (cr_engine_take_auth_job) while fewer than
 * max_threads run, runs each on a GTask thread, and hands it back through
 * func on the main context the worker was made in; func completes it
 * (cr_engine_complete_auth). CrServer's one worker per running room.
 */
#pragma once

#include <gio/gio.h>
#include "cr-engine.h"

G_BEGIN_DECLS

/* job: transfer none. */
typedef void (*CrEngineWorkerFunc) (CrAuthJob *job,
                                    gpointer   user_data);

#define CR_TYPE_ENGINE_WORKER (cr_engine_worker_get_type ())
G_DECLARE_FINAL_TYPE (CrEngineWorker, cr_engine_worker, CR, ENGINE_WORKER, GObject)

CrEngineWorker *cr_engine_worker_new          (guint               max_threads,
                                               CrEngineWorkerFunc  func,
                                               gpointer            user_data);
/* Start as many of the engine's waiting jobs as there are free threads. */
void            cr_engine_worker_take         (CrEngineWorker     *self,
                                               CrEngine           *engine);
/* func is not called again: jobs still running finish unseen (each holds
 * a reference on the worker until then). */
void            cr_engine_worker_cancel       (CrEngineWorker     *self);

/* Tests: while held, finished jobs wait instead of reaching func, so their
 * joins stay pending; releasing hands every held one to func. */
void            cr_engine_worker_hold         (CrEngineWorker     *self,
                                               gboolean            hold);
guint           cr_engine_worker_get_n_held   (CrEngineWorker     *self);

G_END_DECLS
