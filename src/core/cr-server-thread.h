/* cr-server-thread.h: a thread with its own GMainContext for a hosted
 * room, and the two ways across it (CrServer's "threaded" rooms)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrServerThread CrServerThread;

/* Runs on the room's thread with the caller's job (an rc box). */
typedef void (*CrServerThreadFunc)    (gpointer  user_data,
                                       gpointer  job);
/* Runs on the owner's context with every report posted since the last
 * call, oldest first (the array and its reports are the callee's). */
typedef void (*CrServerThreadReports) (gpointer   user_data,
                                       GPtrArray *reports);

/* Starts a thread that runs a new GMainContext (pushed as its
 * thread-default) until _cr_server_thread_quit. Reports go to owner,
 * each freed with report_free when dropped undelivered. */
CrServerThread *_cr_server_thread_new        (GMainContext          *owner,
                                              CrServerThreadReports  reports_func,
                                              GDestroyNotify         report_free,
                                              gpointer               user_data);
/* Quits the loop if it still runs (after running last on the room's
 * thread, when not NULL), joins the thread and drops the reports that
 * were not delivered. From the owner's thread; may wait for the room's
 * current dispatch, never for a report. */
void            _cr_server_thread_free       (CrServerThread        *self,
                                              CrServerThreadFunc     last);

/* Whether the caller is the room's thread, inside its loop. */
gboolean        _cr_server_thread_is_current (CrServerThread        *self);

/* Runs func (user_data, job) on the room's thread, before its sockets'
 * next reads. With timeout_us > 0 waits for it that long at most and
 * says whether it ran; 0 returns at once (FALSE). job is an rc box
 * (g_atomic_rc_box_new0): held until func ran or the thread ended, then
 * released with job_clear, so a caller that gave up may drop its own
 * reference at once. FALSE at once when the loop has quit. */
gboolean        _cr_server_thread_run        (CrServerThread        *self,
                                              CrServerThreadFunc     func,
                                              gpointer               job,
                                              GDestroyNotify         job_clear,
                                              gint64                 timeout_us);

/* From the room's thread: hand a report to the owner's context. Reports
 * wait in one queue; one idle on the owner's context takes them all, so
 * a burst is one apply there. */
void            _cr_server_thread_post       (CrServerThread        *self,
                                              gpointer               report);

/* From the room's thread: its loop ends after this dispatch; calls made
 * afterwards fail at once. */
void            _cr_server_thread_quit       (CrServerThread        *self);

G_END_DECLS
