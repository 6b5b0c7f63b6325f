/* bench-ui.c: how the chat list copes with a burst, and what history costs.
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A figure, not a test (see bench/README.md). A real window with the chat
 * page's list shape (GtkScrolledWindow > GtkListView > GtkNoSelection over a
 * GListModel of CrMessage, rows are the app's CrMessageRow when it is built,
 * else a row of the same shape), kept at the bottom like the chat page does.
 *
 *  1. memory: VmRSS of the window empty, then with 100 000 messages in the
 *     model (at the bottom, rows drawn);
 *  2. burst: 10 000 messages arriving within one second, measuring the
 *     longest main-loop stall (gaps between dispatches of a 1 ms
 *     G_PRIORITY_HIGH timeout) and the longest gap between frame-clock ticks.
 *     Source "network": a CrServer on 127.0.0.1 in its own thread says them
 *     (cr_server_say, 10 per ms) and a CrClient in the window's thread
 *     receives them; its messages model is what the list shows. Source
 *     "model": the messages are spliced into a GListStore at the same rate,
 *     one splice per main-loop dispatch (what the client promises).
 *     Views: "chat-page" (the app's own CrChatPage over the CrClient; then
 *     the reader scrolls up to the first message and takes the "new
 *     messages" button back down), "plain" (the model as is), "cap" (a
 *     GtkSliceListModel that grows by at most --cap rows per frame), "tail"
 *     (a GtkSliceListModel of the newest --tail rows while the reader is at
 *     the bottom). "Shown" is when the list's last item is the newest
 *     message, and the newest row is then checked inside the viewport.
 *
 *  3. host (--host N, the app's library and network only): the app hosting
 *     a big room. A CrServer on its own thread, as CrSession runs it
 *     (--host-main-loop: on the window's main loop, as it was before), and
 *     the app's CrOwnerPage bound to it in the window; the load
 *     generator (bench/chatroom-bench, another process) joins N classic
 *     members and has 10 of them say --host-rate messages a second for
 *     --host-seconds, while the owner view's list is scrolled up and down
 *     every 50 ms. The stall meter covers the joins and the chat (longest
 *     stall, p99); so do the owner page's frame gaps (longest, p99, how
 *     many over 50 ms): a window whose loop is never blocked long may
 *     still not draw, when a busier source always comes first. The frame
 *     phases say where a long frame went: layout (rows bound and measured)
 *     or paint (snapshot and the renderer).
 *
 * Every wait is bounded; the program stops by itself.
 */

#define G_LOG_DOMAIN "bench-ui"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <gtk/gtk.h>
#include <adwaita.h>

#include "cr-message.h"
#ifdef CR_BENCH_HAVE_NETWORK
# include "cr-server.h"
# include "cr-client.h"
#endif
#ifdef CR_BENCH_HAVE_APP
# include "cr-message-row.h"
# include "cr-chat-page.h"
# include "cr-owner-page.h"
#endif

#define BURST_RATE_PER_MS 10

static int opt_burst = 10000;
static int opt_history = 100000;
static int opt_cap = 40;
static int opt_tail = 200;
static int opt_preload = 50;
static char *opt_source = NULL;
static char *opt_view = NULL;
static gboolean opt_skip_memory = FALSE;
static int opt_host = 0;
static int opt_host_rate = 100;
static int opt_host_seconds = 10;
static gboolean opt_host_no_page = FALSE;
static gboolean opt_host_main_loop = FALSE;
static gboolean opt_host_owner_client = FALSE;

typedef enum { VIEW_PLAIN, VIEW_CAP, VIEW_TAIL } ViewMode;

typedef struct {
  GtkWindow          *window;
  GtkScrolledWindow  *scroller;
  GtkListView        *list;
  GtkAdjustment      *vadj;
  gboolean            stick;          /* reader is at the bottom */

  GListModel         *source;         /* full model: the client's or a store */
  GtkSliceListModel  *slice;          /* cap and tail views */
  ViewMode            view;
  guint               cap_tick;

  /* stall meter */
  gboolean            measuring;
  gint64              last_beat;
  gint64              last_beat_cpu;  /* the main thread's CPU time then, µs */
  gint64              max_gap_cpu;    /* of which the longest stall ran on a CPU */
  gint64              long_gap_sum;   /* stalls over 50 ms: their time, µs */
  gint64              long_gap_cpu;   /* and how much of it the thread ran */
  gint64              max_gap;
  gint64              max_gap_at;     /* when it ended, since meter_start */
  gint64              meter_start;
  gint64              arrived_at;     /* all had arrived (0: not yet) */
  gint64              max_gap_after;  /* longest stall once all had arrived */
  GArray             *beat_gaps;      /* gint64 µs, every gap while measuring (host only) */
  guint               long_gaps;      /* main-loop stalls over 50 ms */
  guint               long_frames;    /* frame gaps over 50 ms */
  gint64              last_frame;
  gint64              max_frame_gap;
  guint               frames;
  guint               beat_source;
  guint               frame_tick;
  guint               max_added_per_frame;
  guint               shown_at_last_frame;
} Bench;

static gint64 uptime_start;

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  if (line == NULL)
    return -1;
  return strtol (line + strlen ("VmRSS:"), NULL, 10);
}

/* Run the main loop until cond() holds or timeout_ms passed. */
static gboolean
run_until (gboolean (*cond) (gpointer),
           gpointer  data,
           guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      if (cond != NULL && cond (data))
        return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (200);
    }
  return cond != NULL && cond (data);
}

static void
run_for (guint ms)
{
  run_until (NULL, NULL, ms);
}

/* --- rows ------------------------------------------------------------ */

#ifndef CR_BENCH_HAVE_APP
/* The shape of CrMessageRow: a header (sender, time) over a wrapped text. */
static GtkWidget *
fallback_row_new (void)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *sender = gtk_label_new (NULL);
  GtkWidget *time = gtk_label_new (NULL);
  GtkWidget *text = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sender), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "caption");
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (header), sender);
  gtk_box_append (GTK_BOX (header), time);
  gtk_box_append (GTK_BOX (row), header);
  gtk_box_append (GTK_BOX (row), text);
  g_object_set_data (G_OBJECT (row), "sender", sender);
  g_object_set_data (G_OBJECT (row), "time", time);
  g_object_set_data (G_OBJECT (row), "text", text);
  return row;
}

static void
fallback_row_set (GtkWidget *row,
                  CrMessage *message)
{
  gint64 seconds = cr_message_get_time (message) / G_USEC_PER_SEC;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (seconds);
  g_autofree char *time = g_date_time_format (dt, "%H:%M");
  g_autofree char *display = cr_message_dup_display (message);

  gtk_label_set_label (g_object_get_data (G_OBJECT (row), "sender"),
                       cr_message_get_sender (message));
  gtk_label_set_label (g_object_get_data (G_OBJECT (row), "time"), time);
  gtk_label_set_label (g_object_get_data (G_OBJECT (row), "text"), display);
}
#endif

static void
on_setup (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  data)
{
#ifdef CR_BENCH_HAVE_APP
  gtk_list_item_set_child (item, cr_message_row_new ());
#else
  gtk_list_item_set_child (item, fallback_row_new ());
#endif
  gtk_list_item_set_activatable (item, FALSE);
}

static void
on_bind (GtkSignalListItemFactory *factory,
         GtkListItem              *item,
         Bench                    *b)
{
  CrMessage *message = gtk_list_item_get_item (item);
#ifdef CR_BENCH_HAVE_APP
  GListModel *shown = G_LIST_MODEL (gtk_list_view_get_model (b->list));
  guint pos = gtk_list_item_get_position (item);
  g_autoptr(CrMessage) previous = pos > 0 ? g_list_model_get_item (shown, pos - 1) : NULL;

  cr_message_row_set_message (CR_MESSAGE_ROW (gtk_list_item_get_child (item)),
                              message, previous, "owner");
#else
  fallback_row_set (gtk_list_item_get_child (item), message);
#endif
}

static void
on_unbind (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  data)
{
#ifdef CR_BENCH_HAVE_APP
  cr_message_row_set_message (CR_MESSAGE_ROW (gtk_list_item_get_child (item)), NULL, NULL, NULL);
#endif
}

/* --- sticking to the bottom (GTK 4.8 has no gtk_list_view_scroll_to) --- */

static void
scroll_to_bottom (Bench *b)
{
  gtk_adjustment_set_value (b->vadj,
                            gtk_adjustment_get_upper (b->vadj) -
                            gtk_adjustment_get_page_size (b->vadj));
}

static void
on_vadj_changed (GtkAdjustment *adj,
                 Bench         *b)
{
  if (b->stick)
    scroll_to_bottom (b);
}

/* --- views ----------------------------------------------------------- */

static guint
n_shown (Bench *b)
{
  GtkSelectionModel *m = gtk_list_view_get_model (b->list);

  return m != NULL ? g_list_model_get_n_items (G_LIST_MODEL (m)) : 0;
}

/* How far into the source the list shows: the source's index of the list's
 * last item, plus one. The list may show a window of the source (tail, the
 * chat page), so its length says nothing. */
static guint
newest_shown (Bench *b)
{
  GtkSelectionModel *m = gtk_list_view_get_model (b->list);
  g_autoptr(CrMessage) last = NULL;
  guint n = n_shown (b);
  guint total;

  if (m == NULL || n == 0 || b->source == NULL)
    return n;
  if (b->slice != NULL)
    return gtk_slice_list_model_get_offset (b->slice) + n;
  if (b->view == VIEW_PLAIN && g_list_model_get_n_items (b->source) == n)
    return n;

  last = g_list_model_get_item (G_LIST_MODEL (m), n - 1);
  total = g_list_model_get_n_items (b->source);
  /* Appends only: it is at or after the last frame's. */
  for (guint i = total; i > 0 && i >= b->shown_at_last_frame; i--)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (b->source, i - 1);

      if (item == last)
        return i;
    }
  return n;
}

typedef struct {
  Bench      *bench;
  GListModel *source;
  guint       target;
} NewestCond;

/* The source holds target messages and the list shows its newest. */
static gboolean
newest_reached (gpointer data)
{
  NewestCond *c = data;
  GtkSelectionModel *m = gtk_list_view_get_model (c->bench->list);
  guint n = m != NULL ? g_list_model_get_n_items (G_LIST_MODEL (m)) : 0;
  guint total = g_list_model_get_n_items (c->source);
  g_autoptr(CrMessage) last = NULL;
  g_autoptr(CrMessage) newest = NULL;

  if (total < c->target || n == 0)
    return FALSE;
  last = g_list_model_get_item (G_LIST_MODEL (m), n - 1);
  newest = g_list_model_get_item (c->source, total - 1);
  return last == newest;
}

#ifdef CR_BENCH_HAVE_APP
/* The row of the source's newest message is laid out inside the list's
 * viewport. */
static gboolean
newest_row_on_screen (Bench      *b,
                      GListModel *source)
{
  GtkWidget *list = GTK_WIDGET (b->list);
  GtkWidget *viewport = gtk_widget_get_parent (list);
  guint total = g_list_model_get_n_items (source);
  g_autoptr(CrMessage) newest = total > 0 ? g_list_model_get_item (source, total - 1) : NULL;
  graphene_rect_t bounds;

  for (GtkWidget *item = gtk_widget_get_first_child (list);
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);

      if (!CR_IS_MESSAGE_ROW (row) || cr_message_row_get_message (CR_MESSAGE_ROW (row)) != newest)
        continue;
      return gtk_widget_get_mapped (row) &&
             gtk_widget_compute_bounds (row, viewport, &bounds) &&
             bounds.size.height > 0 && bounds.origin.y >= -1 &&
             bounds.origin.y + bounds.size.height <= gtk_widget_get_height (viewport) + 1;
    }
  return FALSE;
}
#endif

static gboolean
on_cap_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  Bench *b = data;
  guint n;

  if (b->source == NULL || b->slice == NULL)
    return G_SOURCE_CONTINUE;

  n = g_list_model_get_n_items (b->source);
  if (b->view == VIEW_CAP)
    {
      guint size = gtk_slice_list_model_get_size (b->slice);

      if (size < n)
        gtk_slice_list_model_set_size (b->slice, MIN (n, size + (guint) opt_cap));
    }
  else if (b->view == VIEW_TAIL && b->stick)
    {
      guint offset = n > (guint) opt_tail ? n - (guint) opt_tail : 0;

      if (gtk_slice_list_model_get_offset (b->slice) != offset)
        gtk_slice_list_model_set_offset (b->slice, offset);
    }
  return G_SOURCE_CONTINUE;
}

static void
set_source (Bench      *b,
            GListModel *source,
            ViewMode    view)
{
  GListModel *shown;
  g_autoptr(GtkNoSelection) selection = NULL;

  g_set_object (&b->source, source);
  g_clear_object (&b->slice);
  b->view = view;

  if (view == VIEW_PLAIN)
    shown = g_object_ref (source);
  else if (view == VIEW_CAP)
    {
      b->slice = gtk_slice_list_model_new (g_object_ref (source), 0,
                                           g_list_model_get_n_items (source));
      shown = g_object_ref (G_LIST_MODEL (b->slice));
    }
  else
    {
      guint n = g_list_model_get_n_items (source);

      b->slice = gtk_slice_list_model_new (g_object_ref (source),
                                           n > (guint) opt_tail ? n - (guint) opt_tail : 0,
                                           (guint) opt_tail);
      shown = g_object_ref (G_LIST_MODEL (b->slice));
    }

  selection = gtk_no_selection_new (shown);
  gtk_list_view_set_model (b->list, GTK_SELECTION_MODEL (selection));
  b->stick = TRUE;
  scroll_to_bottom (b);
}

/* --- stall meter ----------------------------------------------------- */

/* The main thread's CPU time, µs: a stall the thread spent running is
 * work on it; one it did not is waiting (another thread, the X server, a
 * CPU taken by others). */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_beat (gpointer data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();

  if (b->measuring && b->last_beat != 0)
    {
      if (now - b->last_beat > b->max_gap)
        {
          b->max_gap = now - b->last_beat;
          b->max_gap_at = now - b->meter_start;
          b->max_gap_cpu = cpu - b->last_beat_cpu;
        }
      if (now - b->last_beat > 50 * 1000)
        {
          b->long_gaps++;
          b->long_gap_sum += now - b->last_beat;
          b->long_gap_cpu += cpu - b->last_beat_cpu;
        }
      if (b->arrived_at != 0 && b->last_beat >= b->arrived_at)
        b->max_gap_after = MAX (b->max_gap_after, now - b->last_beat);
      if (b->beat_gaps != NULL)
        {
          gint64 gap = now - b->last_beat;

          g_array_append_val (b->beat_gaps, gap);
        }
    }
  b->last_beat = now;
  b->last_beat_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_frame (GtkWidget     *widget,
          GdkFrameClock *clock,
          gpointer       data)
{
  Bench *b = data;
  gint64 now = g_get_monotonic_time ();
  guint shown;

  /* Only the list on screen counts (ours is unmapped under the chat page). */
  if (widget != GTK_WIDGET (b->list))
    return G_SOURCE_CONTINUE;
  shown = newest_shown (b);

  if (b->measuring)
    {
      if (b->last_frame != 0)
        {
          b->max_frame_gap = MAX (b->max_frame_gap, now - b->last_frame);
          if (now - b->last_frame > 50 * 1000)
            b->long_frames++;
        }
      b->frames++;
      if (shown > b->shown_at_last_frame)
        b->max_added_per_frame = MAX (b->max_added_per_frame, shown - b->shown_at_last_frame);
    }
  b->shown_at_last_frame = shown;
  b->last_frame = now;
  return G_SOURCE_CONTINUE;
}

static void
meter_start (Bench *b)
{
  b->max_gap = b->max_frame_gap = 0;
  b->long_gaps = b->long_frames = 0;
  b->max_gap_at = 0;
  b->max_gap_cpu = b->long_gap_sum = b->long_gap_cpu = 0;
  b->meter_start = g_get_monotonic_time ();
  b->frames = 0;
  b->max_added_per_frame = 0;
  b->last_beat = b->last_frame = 0;
  b->arrived_at = 0;
  b->max_gap_after = 0;
  b->shown_at_last_frame = newest_shown (b);
  b->measuring = TRUE;
}

/* --- messages -------------------------------------------------------- */

static const char *const sample_texts[] = {
  "hello everyone",
  "class starts at 10:30, bring the lab sheets",
  "did anyone get the second exercise to work? mine prints the port twice",
  "ok",
  "大家好，今天的作业在群里",
  "I think the server has to answer with OK before the client sends anything else, "
  "otherwise the first message is lost when the datagram arrives early",
};

static CrMessage *
make_message (guint64 seq)
{
  g_autofree char *name = g_strdup_printf ("member%02u", (guint) (seq % 23));
  g_autoptr(CrEvent) event = cr_event_new (seq, g_get_real_time (), CR_EVENT_CHAT, name,
                                           sample_texts[seq % G_N_ELEMENTS (sample_texts)],
                                           0);

  return cr_message_new_from_event (event, FALSE);
}

static void
store_append_batch (GListStore *store,
                    guint64     first_seq,
                    guint       n)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (batch, make_message (first_seq + i));
  g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0,
                       batch->pdata, batch->len);
}

/* --- burst from the model side --------------------------------------- */

typedef struct {
  GListStore *store;
  gint64      start;
  guint       sent;
  guint       total;
} ModelFeed;

static gboolean
on_model_feed (gpointer data)
{
  ModelFeed *f = data;
  gint64 elapsed_ms = (g_get_monotonic_time () - f->start) / 1000;
  guint due = MIN ((guint) f->total, (guint) (elapsed_ms + 1) * BURST_RATE_PER_MS);

  if (due > f->sent)
    {
      store_append_batch (f->store, f->sent + 1, due - f->sent);
      f->sent = due;
    }
  return f->sent < f->total ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

typedef struct {
  GListModel *model;
  guint       target;
} CountCond;

static gboolean
count_reached (gpointer data)
{
  CountCond *c = data;

  return g_list_model_get_n_items (c->model) >= c->target;
}

/* --- burst from the network ------------------------------------------ */

#ifdef CR_BENCH_HAVE_NETWORK
typedef struct {
  GMutex        lock;
  GCond         cond;
  GMainContext *context;
  CrServer     *server;
  guint16       port;
  gboolean      ready;
  gboolean      failed;
  volatile gint quit;
  gint64        start;
  guint         sent;
  guint         total;
  guint         refused;
} NetFeed;

static gboolean
on_net_feed (gpointer data)
{
  NetFeed *f = data;
  gint64 elapsed_ms = (g_get_monotonic_time () - f->start) / 1000;
  guint due = MIN (f->total, (guint) (elapsed_ms + 1) * BURST_RATE_PER_MS);

  for (; f->sent < due; f->sent++)
    {
      g_autoptr(GError) error = NULL;

      if (!cr_server_say (f->server, sample_texts[f->sent % G_N_ELEMENTS (sample_texts)], &error))
        {
          if (f->refused++ == 0)
            g_printerr ("cr_server_say refused: %s\n", error->message);
        }
    }
  return f->sent < f->total ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
net_preload (gpointer data)
{
  NetFeed *f = data;

  for (int i = 0; i < opt_preload; i++)
    cr_server_say (f->server, sample_texts[i % G_N_ELEMENTS (sample_texts)], NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
net_feed_begin (gpointer data)
{
  NetFeed *f = data;
  GSource *source = g_timeout_source_new (1);

  f->start = g_get_monotonic_time ();
  g_source_set_callback (source, on_net_feed, f, NULL);
  g_source_attach (source, f->context);
  g_source_unref (source);
  return G_SOURCE_REMOVE;
}

static gpointer
server_thread (gpointer data)
{
  NetFeed *f = data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (f->context);
  f->server = cr_server_new (NULL, "Bench");
  g_object_set (f->server, "owner-name", "owner", "history-length", 0u, NULL);
  if (!cr_server_start (f->server, "127.0.0.1:0", &error))
    {
      g_printerr ("server: %s\n", error->message);
      f->failed = TRUE;
    }
  else
    f->port = cr_server_get_port (f->server);

  g_mutex_lock (&f->lock);
  f->ready = TRUE;
  g_cond_signal (&f->cond);
  g_mutex_unlock (&f->lock);

  while (!f->failed && !g_atomic_int_get (&f->quit))
    g_main_context_iteration (f->context, TRUE);

  if (!f->failed)
    {
      gint64 deadline = g_get_monotonic_time () + 1500 * 1000;

      cr_server_stop (f->server);
      while (cr_server_get_running (f->server) && g_get_monotonic_time () < deadline)
        g_main_context_iteration (f->context, FALSE);
    }
  g_clear_object (&f->server);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

static gboolean
wake_context (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
on_joined (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  GError **error = data;

  if (!cr_client_join_finish (CR_CLIENT (object), result, error) && *error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "join failed");
  if (*error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "joined");
}

static gboolean
error_set (gpointer data)
{
  return *(GError **) data != NULL;
}
#endif

/* --- the phases ------------------------------------------------------ */

#ifdef CR_BENCH_HAVE_APP
/* The source's index of the list's first item (the list shows a window of
 * the source). */
static guint
oldest_shown (Bench      *b,
              GListModel *source)
{
  GListModel *m = G_LIST_MODEL (gtk_list_view_get_model (b->list));
  g_autoptr(CrMessage) first = g_list_model_get_n_items (m) > 0 ? g_list_model_get_item (m, 0)
                                                                 : NULL;

  for (guint i = 0; first != NULL && i < g_list_model_get_n_items (source); i++)
    {
      g_autoptr(CrMessage) item = g_list_model_get_item (source, i);

      if (item == first)
        return i;
    }
  return G_MAXUINT;
}

/* The reader goes back through the whole history as fast as the list lets
 * them (the value held at the top, so the list brings older rows in), then
 * takes the "new messages" button back down. */
static void
scroll_back (Bench      *b,
             GtkWidget  *chat_page,
             GListModel *source)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + 30 * G_USEC_PER_SEC;
  gint64 top_us, down_us;
  guint oldest = oldest_shown (b, source);
  guint total = g_list_model_get_n_items (source);
  gboolean on_screen;
  NewestCond newest = { b, source, total };
  GtkAdjustment *vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (b->list));

  meter_start (b);
  while (oldest > 0 && g_get_monotonic_time () < deadline)
    {
      gtk_adjustment_set_value (vadj, 0);
      run_for (20);
      oldest = oldest_shown (b, source);
    }
  top_us = g_get_monotonic_time () - start;
  run_for (300);
  b->measuring = FALSE;
  g_print ("history: scrolled up to message %u of %u in %.2f s; longest main-loop stall %.1f ms "
           "(%u over 50 ms), longest frame gap %.1f ms; list holds %u rows\n",
           oldest, total, top_us / 1e6, b->max_gap / 1000.0, b->long_gaps,
           b->max_frame_gap / 1000.0, n_shown (b));

  meter_start (b);
  start = g_get_monotonic_time ();
  gtk_widget_activate_action (chat_page, "chat.scroll-down", NULL);
  run_until (newest_reached, &newest, 5000);
  down_us = g_get_monotonic_time () - start;
  run_for (1000);
  b->measuring = FALSE;
  on_screen = newest_row_on_screen (b, source);
  g_print ("history: back to the newest in %.2f s; longest main-loop stall %.1f ms "
           "(%u over 50 ms); the newest row %s on screen; list holds %u rows\n",
           down_us / 1e6, b->max_gap / 1000.0, b->long_gaps, on_screen ? "is" : "is NOT",
           n_shown (b));
}
#endif

#ifdef CR_BENCH_HAVE_APP
static GtkListView *
find_message_list (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget) && gtk_widget_has_css_class (widget, "message-list"))
    return GTK_LIST_VIEW (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkListView *found = find_message_list (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}
#endif

static void
report_burst (Bench      *b,
              const char *source,
              const char *view,
              gint64      arrive_us,
              gint64      shown_us,
              guint       arrived,
              guint       total)
{
  g_print ("burst: source=%s view=%s: %u/%u messages arrived in %.2f s, newest shown after %.2f s; "
           "longest main-loop stall %.1f ms at +%.2f s (goal < 50; %u stalls over 50 ms; "
           "after all arrived %.1f ms), "
           "longest frame gap %.1f ms (%u over 50 ms in %u frames), "
           "the newest shown moved by at most %u messages in one frame\n",
           source, view, arrived, total, arrive_us / 1e6, shown_us / 1e6,
           b->max_gap / 1000.0, b->max_gap_at / 1e6, b->long_gaps, b->max_gap_after / 1000.0,
           b->max_frame_gap / 1000.0, b->long_frames, b->frames,
           b->max_added_per_frame);
}

static ViewMode
parse_view (const char *view)
{
  if (g_strcmp0 (view, "cap") == 0)
    return VIEW_CAP;
  if (g_strcmp0 (view, "tail") == 0)
    return VIEW_TAIL;
  return VIEW_PLAIN;
}

static void
burst_model (Bench      *b,
             const char *view)
{
  g_autoptr(GListStore) store = g_list_store_new (CR_TYPE_MESSAGE);
  ModelFeed feed = { store, 0, 0, (guint) opt_burst };
  CountCond shown_all = { NULL, (guint) (opt_preload + opt_burst) };
  gint64 arrive, shown;

  /* A chat that already shows messages: the rows exist, as in real use. */
  set_source (b, G_LIST_MODEL (store), parse_view (view));
  store_append_batch (store, 1000000, (guint) opt_preload);
  run_for (800);

  meter_start (b);
  feed.start = g_get_monotonic_time ();
  g_timeout_add (1, on_model_feed, &feed);
  shown_all.model = G_LIST_MODEL (store);
  run_until (count_reached, &shown_all, 20000);
  b->arrived_at = g_get_monotonic_time ();
  arrive = b->arrived_at - feed.start;
  /* Until the view caught up (cap), then a second of showing them. */
  {
    NewestCond newest = { b, G_LIST_MODEL (store), (guint) (opt_preload + opt_burst) };

    run_until (newest_reached, &newest, 20000);
  }
  shown = g_get_monotonic_time () - feed.start;
  run_for (1000);
  b->measuring = FALSE;
  g_source_remove_by_user_data (&feed);

  report_burst (b, "model", view, arrive, shown, feed.sent, (guint) opt_burst);
}

#ifdef CR_BENCH_HAVE_NETWORK
static void
burst_network (Bench      *b,
               const char *view)
{
  NetFeed feed = { 0, };
  g_autoptr(GThread) thread = NULL;
  g_autoptr(CrClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  CountCond all = { NULL, 0 };
  guint before;
  gint64 start, arrive, shown;
#ifdef CR_BENCH_HAVE_APP
  GtkWidget *chat_page = NULL;
  GtkListView *own_list = NULL;
#endif

  g_mutex_init (&feed.lock);
  g_cond_init (&feed.cond);
  feed.context = g_main_context_new ();
  feed.total = (guint) opt_burst;
  thread = g_thread_new ("bench-server", server_thread, &feed);

  g_mutex_lock (&feed.lock);
  while (!feed.ready)
    g_cond_wait (&feed.cond, &feed.lock);
  g_mutex_unlock (&feed.lock);

  if (feed.failed)
    {
      g_print ("burst: source=network view=%s: the server did not start\n", view);
      goto out;
    }

  client = cr_client_new ();
  address = g_strdup_printf ("127.0.0.1:%u", feed.port);
  cr_client_join_async (client, address, "reader", NULL, FALSE, NULL, NULL, on_joined, &error);
  run_until (error_set, &error, 10000);
  if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_print ("burst: source=network view=%s: join failed: %s\n", view,
               error != NULL ? error->message : "timed out");
      goto out;
    }

#ifdef CR_BENCH_HAVE_APP
  if (g_str_equal (view, "chat-page"))
    {
      /* The app's own page: its list, its rows, its way of following. */
      own_list = b->list;
      chat_page = cr_chat_page_new ();
      g_object_ref_sink (chat_page);
      cr_chat_page_set_client (CR_CHAT_PAGE (chat_page), client);
      g_object_ref (b->scroller);
      gtk_window_set_child (b->window, chat_page);
      b->list = find_message_list (chat_page);
      if (b->list == NULL)
        {
          g_print ("burst: source=network view=chat-page: no GtkListView in CrChatPage\n");
          b->list = own_list;
          gtk_window_set_child (b->window, GTK_WIDGET (b->scroller));
          g_object_unref (b->scroller);
          goto out;
        }
      gtk_widget_add_tick_callback (GTK_WIDGET (b->list), on_frame, b, NULL);
      g_set_object (&b->source, cr_client_get_messages (client));
      g_clear_object (&b->slice);
      b->view = VIEW_PLAIN;
    }
  else
#endif
    set_source (b, cr_client_get_messages (client), parse_view (view));
  run_for (300);
  /* A chat that already shows messages: the rows exist, as in real use. */
  all.model = cr_client_get_messages (client);
  all.target = g_list_model_get_n_items (all.model) + (guint) opt_preload;
  g_main_context_invoke (feed.context, net_preload, &feed);
  run_until (count_reached, &all, 10000);
  run_for (800);
  before = g_list_model_get_n_items (cr_client_get_messages (client));

  meter_start (b);
  g_main_context_invoke (feed.context, net_feed_begin, &feed);
  all.model = cr_client_get_messages (client);
  all.target = before + (guint) opt_burst;
  start = g_get_monotonic_time ();
  run_until (count_reached, &all, 30000);
  b->arrived_at = g_get_monotonic_time ();
  arrive = b->arrived_at - start;
  {
    NewestCond newest = { b, all.model, all.target };

    run_until (newest_reached, &newest, 30000);
  }
  shown = g_get_monotonic_time () - start;
  run_for (1000);
  b->measuring = FALSE;

  report_burst (b, "network", view, arrive, shown,
                g_list_model_get_n_items (all.model) - before, (guint) opt_burst);
#ifdef CR_BENCH_HAVE_APP
  g_print ("burst: view=%s: the newest message's row %s on screen\n", view,
           newest_row_on_screen (b, all.model) ? "is" : "is NOT");
#endif
  if (feed.refused > 0)
    g_print ("burst: the server refused %u of its own messages\n", feed.refused);

#ifdef CR_BENCH_HAVE_APP
  if (chat_page != NULL)
    scroll_back (b, chat_page, all.model);
#endif

  cr_client_leave (client);
  run_for (300);

#ifdef CR_BENCH_HAVE_APP
  if (chat_page != NULL)
    {
      cr_chat_page_set_client (CR_CHAT_PAGE (chat_page), NULL);
      gtk_window_set_child (b->window, GTK_WIDGET (b->scroller));
      g_object_unref (b->scroller);
      b->list = own_list;
      g_clear_object (&chat_page);
    }
#endif

out:
  g_atomic_int_set (&feed.quit, 1);
  g_main_context_invoke (feed.context, wake_context, NULL);
  g_thread_join (g_steal_pointer (&thread));
  g_main_context_unref (feed.context);
  g_mutex_clear (&feed.lock);
  g_cond_clear (&feed.cond);
  {
    g_autoptr(GListStore) empty = g_list_store_new (CR_TYPE_MESSAGE);

    set_source (b, G_LIST_MODEL (empty), VIEW_PLAIN);
  }
}
#endif

static void
memory_phase (Bench *b)
{
  g_autoptr(GListStore) store = g_list_store_new (CR_TYPE_MESSAGE);
  long empty, full;

  set_source (b, G_LIST_MODEL (store), VIEW_PLAIN);
  run_for (1500);
  empty = rss_kib ();

  for (guint done = 0; done < (guint) opt_history; done += 10000)
    {
      store_append_batch (store, done + 1, MIN (10000u, (guint) opt_history - done));
      run_for (50);
    }
  run_for (1500);
  full = rss_kib ();

  g_print ("memory: VmRSS empty window %.1f MB, with %d messages %.1f MB: +%.1f MB (goal <= 50)\n",
           empty / 1024.0, opt_history, full / 1024.0, (full - empty) / 1024.0);

  {
    g_autoptr(GListStore) empty_store = g_list_store_new (CR_TYPE_MESSAGE);

    set_source (b, G_LIST_MODEL (empty_store), VIEW_PLAIN);
  }
  run_for (200);
}

#if defined (CR_BENCH_HAVE_APP) && defined (CR_BENCH_HAVE_NETWORK) && defined (CR_BENCH_GENERATOR)
/* --- the app hosting a big room ----------------------------------------- */

typedef struct {
  Bench             *b;
  GtkScrolledWindow *scroller;    /* the owner view's member list */
  gboolean           down;
  guint              frames;
  gint64             last_frame;
  gint64             max_frame_gap;
  GArray            *frame_gaps;  /* gint64 µs */
  guint              list_changes;  /* the members model's items-changed while measuring */

  /* Where a frame's time goes: its update and layout phases (the list
   * view binds and measures its rows in layout, after a change of its
   * model or a scroll) and its paint phase (snapshot, then the GL renderer
   * on llvmpipe). Our handlers run after GTK's own (connected later): a
   * frame starts at "before-paint", its layout ends at the last "layout"
   * and its paint at "after-paint". */
  gint64             frame_at;      /* this frame's "before-paint", 0 between frames */
  gint64             paint_at;      /* the end of its last layout */
  gint64             max_layout;
  gint64             max_paint;
  guint              layout_over;   /* frames whose layout took over 50 ms */
  guint              paint_over;
} Host;

static int
compare_gap (gconstpointer a,
             gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The p-th percentile of gaps (sorts them), in ms; and how many were over 50 ms. */
static double
percentile_ms (GArray *gaps,
               double  p,
               guint  *over_50)
{
  guint index;

  *over_50 = 0;
  if (gaps->len == 0)
    return 0;
  g_array_sort (gaps, compare_gap);
  for (guint i = 0; i < gaps->len; i++)
    if (g_array_index (gaps, gint64, i) > 50 * 1000)
      (*over_50)++;
  index = MIN (gaps->len - 1, (guint) (p / 100.0 * gaps->len));
  return g_array_index (gaps, gint64, index) / 1000.0;
}

static GtkScrolledWindow *
find_scroller (GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW (widget))
    return GTK_SCROLLED_WINDOW (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkScrolledWindow *found = find_scroller (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The owner scrolls the member list, a page at a time, to the end and back. */
static gboolean
on_host_scroll (gpointer data)
{
  Host *h = data;
  GtkAdjustment *adj;
  double value;

  if (h->scroller == NULL)
    h->scroller = find_scroller (gtk_window_get_child (h->b->window));
  if (h->scroller == NULL)
    return G_SOURCE_CONTINUE;
  adj = gtk_scrolled_window_get_vadjustment (h->scroller);
  value = gtk_adjustment_get_value (adj) +
          (h->down ? 1 : -1) * gtk_adjustment_get_page_size (adj) / 2;
  if (value >= gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj))
    h->down = FALSE;
  else if (value <= 0)
    h->down = TRUE;
  gtk_adjustment_set_value (adj, value);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_host_frame (GtkWidget     *widget,
               GdkFrameClock *clock,
               gpointer       data)
{
  Host *h = data;
  gint64 now = g_get_monotonic_time ();

  if (h->last_frame != 0 && h->b->measuring)
    {
      gint64 gap = now - h->last_frame;

      h->max_frame_gap = MAX (h->max_frame_gap, gap);
      g_array_append_val (h->frame_gaps, gap);
    }
  h->last_frame = now;
  h->frames++;
  return G_SOURCE_CONTINUE;
}

static void
on_host_before_paint (GdkFrameClock *clock,
                      Host          *h)
{
  h->frame_at = g_get_monotonic_time ();
  h->paint_at = 0;
}

static void
on_host_layout (GdkFrameClock *clock,
                Host          *h)
{
  h->paint_at = g_get_monotonic_time ();
}

static void
on_host_after_paint (GdkFrameClock *clock,
                     Host          *h)
{
  gint64 now = g_get_monotonic_time ();

  if (h->frame_at != 0 && h->paint_at != 0 && h->b->measuring)
    {
      gint64 layout = h->paint_at - h->frame_at;
      gint64 paint = now - h->paint_at;

      h->max_layout = MAX (h->max_layout, layout);
      if (layout > 50 * 1000)
        h->layout_over++;
      h->max_paint = MAX (h->max_paint, paint);
      if (paint > 50 * 1000)
        h->paint_over++;
    }
  h->frame_at = h->paint_at = 0;
}

static void
on_host_members_changed (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         gpointer    data)
{
  Host *h = data;

  if (h->b->measuring)
    h->list_changes++;
}

static void
on_generator_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  gboolean *done = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Only the owner's own client (when there is one) left. */
static gboolean
members_gone (gpointer data)
{
  return g_list_model_get_n_items (cr_server_get_members (data)) <= (opt_host_owner_client ? 1 : 0);
}

static void
on_owner_joined (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(GError) error = NULL;
  gboolean *joined = data;

  if (!cr_client_join_finish (CR_CLIENT (source), result, &error))
    g_printerr ("bench-ui: the owner's client: %s\n", error->message);
  *joined = TRUE;
}

static void
host_phase (Bench *b)
{
  g_autoptr(CrServer) server = NULL;
  g_autoptr(CrClient) owner = NULL;
  g_autoptr(GSubprocess) generator = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("bench-ui-host-XXXXXX", NULL);
  g_autofree char *port = NULL;
  g_autofree char *members = g_strdup_printf ("%d", opt_host);
  g_autofree char *each = g_strdup_printf ("%d", opt_host_rate * opt_host_seconds / 10);
  g_autofree char *rate = g_strdup_printf ("%d", opt_host_rate);
  GtkWidget *page = cr_owner_page_new ();
  GtkWidget *old_child = g_object_ref (gtk_window_get_child (b->window));
  Host h = { b, NULL, TRUE, 0, 0, 0, g_array_new (FALSE, FALSE, sizeof (gint64)), 0, };
  GdkFrameClock *clock;
  double frame_p99, beat_p99;
  guint frame_over, beat_over;
  guint scroll_source, frame_tick;
  gint64 start;
  guint n_members;
  gboolean done = FALSE;

  /* As CrSession hosts it: on its own thread, unless asked for the
   * window's loop (how it was before, for comparison). */
  server = g_object_new (CR_TYPE_SERVER, "data-dir", data_dir, "max-members", (guint) opt_host + 1,
                         "rate-limit", 0u, "threaded", !opt_host_main_loop, NULL);
  if (!cr_server_start (server, "127.0.0.1:0", &error))
    {
      g_printerr ("bench-ui: %s\n", error->message);
      return;
    }
  if (!opt_host_no_page)
    cr_owner_page_set_server (CR_OWNER_PAGE (page), server);
  g_signal_connect (cr_server_get_members (server), "items-changed",
                    G_CALLBACK (on_host_members_changed), &h);
  gtk_window_set_child (b->window, page);
  frame_tick = gtk_widget_add_tick_callback (page, on_host_frame, &h, NULL);
  run_for (500);
  clock = gtk_widget_get_frame_clock (page);
  g_signal_connect (clock, "before-paint", G_CALLBACK (on_host_before_paint), &h);
  g_signal_connect (clock, "layout", G_CALLBACK (on_host_layout), &h);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_host_after_paint), &h);

  port = g_strdup_printf ("%u", cr_server_get_port (server));
  if (opt_host_owner_client)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", cr_server_get_port (server));
      gboolean joined = FALSE;

      /* As CrSession joins the room it hosts: its models on this loop. */
      owner = cr_client_new ();
      cr_client_set_trust_file (owner, "");
      cr_client_set_confirm_new_key (owner, FALSE, NULL);
      cr_client_join_async (owner, address, "teacher", NULL, FALSE,
                            cr_server_get_owner_token (server), NULL, on_owner_joined, &joined);
      run_until (flag_set, &joined, 10000);
    }
  generator = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, CR_BENCH_GENERATOR,
                                "--port", port, "--members", members, "--senders", "10",
                                "--messages", each, "--rate", rate, "--drain", "3000",
                                "--join-timeout", "60000", NULL);
  if (generator == NULL)
    {
      g_printerr ("bench-ui: %s\n", error->message);
      return;
    }
  meter_start (b);
  b->beat_gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  h.last_frame = 0;
  start = g_get_monotonic_time ();
  scroll_source = g_timeout_add (50, on_host_scroll, &h);
  g_subprocess_wait_async (generator, NULL, on_generator_done, &done);
  run_until (flag_set, &done, (guint) (opt_host_seconds + 90) * 1000);
  b->measuring = FALSE;
  g_source_remove (scroll_source);
  n_members = g_list_model_get_n_items (cr_server_get_members (server));

  {
    g_autoptr(GBytes) out = NULL;
    gsize len;

    if (!done)
      g_subprocess_force_exit (generator);
    g_subprocess_communicate (generator, NULL, NULL, &out, NULL, NULL);
    if (out != NULL)
      {
        const char *text = g_bytes_get_data (out, &len);
        g_autofree char *copy = g_strndup (text, len);
        g_auto(GStrv) lines = g_strsplit (copy, "\n", 0);

        for (guint i = 0; lines[i] != NULL; i++)
          if (*lines[i] != '\0' && !g_str_has_prefix (lines[i], "RESULT"))
            g_print ("host: generator: %s\n", lines[i]);
      }
  }
  frame_p99 = percentile_ms (h.frame_gaps, 99, &frame_over);
  beat_p99 = percentile_ms (b->beat_gaps, 99, &beat_over);
  g_print ("host: %d members, %d msgs/s for %d s, room on %s%s, owner view %s: "
           "longest main-loop stall %.1f ms at +%.2f s (goal < 50; %u stalls over 50 ms), "
           "p99 %.1f ms; "
           "frame gaps: longest %.1f ms, p99 %.1f ms, %u over 50 ms, over %u frames; "
           "%u members listed at the end (%u list changes); %.1f s\n",
           opt_host, opt_host_rate, opt_host_seconds,
           opt_host_main_loop ? "the window's loop" : "its own thread",
           opt_host_owner_client ? ", the owner's client in it" : "",
           opt_host_no_page ? "empty" : "bound and scrolled every 50 ms", b->max_gap / 1000.0,
           b->max_gap_at / 1e6, b->long_gaps, beat_p99, h.max_frame_gap / 1000.0, frame_p99,
           frame_over, h.frame_gaps->len, n_members, h.list_changes,
           (g_get_monotonic_time () - start) / 1e6);
  g_print ("host: frame phases: update and layout longest %.1f ms (%u over 50 ms), "
           "paint longest %.1f ms (%u over 50 ms); the main thread ran %.1f ms of its "
           "longest stall, %.0f %% of those over 50 ms\n",
           h.max_layout / 1000.0, h.layout_over, h.max_paint / 1000.0, h.paint_over,
           b->max_gap_cpu / 1000.0,
           b->long_gap_sum > 0 ? 100.0 * b->long_gap_cpu / b->long_gap_sum : 0.0);
  g_signal_handlers_disconnect_by_data (clock, &h);
  g_clear_pointer (&h.frame_gaps, g_array_unref);
  g_clear_pointer (&b->beat_gaps, g_array_unref);

  gtk_widget_remove_tick_callback (page, frame_tick);
  /* The generator's members leave as it ends ("Q name" each): the room
   * takes them off when it has read that far (its backlog). */
  {
    gint64 leave_start = g_get_monotonic_time ();

    run_until (members_gone, server, 20000);
    g_print ("host: %u members listed %.1f s after the generator ended\n",
             g_list_model_get_n_items (cr_server_get_members (server)),
             (g_get_monotonic_time () - leave_start) / 1e6);
  }
  g_signal_handlers_disconnect_by_data (cr_server_get_members (server), &h);
  cr_server_stop (server);
  run_for (1200);
  gtk_window_set_child (b->window, old_child);
  g_object_unref (old_child);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
}
#endif

static gboolean
window_drawn (gpointer data)
{
  Bench *b = data;

  return b->frames > 2 || b->last_frame != 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) views = NULL;
  g_auto(GStrv) sources = NULL;
  GOptionEntry entries[] = {
    { "burst", 0, 0, G_OPTION_ARG_INT, &opt_burst, "Messages in the burst (10000)", "N" },
    { "history", 0, 0, G_OPTION_ARG_INT, &opt_history,
      "Messages for the memory figure (100000)", "N" },
    { "source", 0, 0, G_OPTION_ARG_STRING, &opt_source,
      "network,model (both when built with the server)", "LIST" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &opt_view,
      "chat-page,plain,cap,tail (all; chat-page: the app's CrChatPage, network only)", "LIST" },
    { "cap", 0, 0, G_OPTION_ARG_INT, &opt_cap,
      "Rows added per frame in the cap view (40)", "N" },
    { "tail", 0, 0, G_OPTION_ARG_INT, &opt_tail,
      "Rows shown in the tail view (200)", "N" },
    { "preload", 0, 0, G_OPTION_ARG_INT, &opt_preload,
      "Messages already shown when the burst begins (50)", "N" },
    { "skip-memory", 0, 0, G_OPTION_ARG_NONE, &opt_skip_memory, "Skip the memory figure", NULL },
    { "host", 0, 0, G_OPTION_ARG_INT, &opt_host,
      "Only the hosting figure: the owner view of a room with N members (0: skip)", "N" },
    { "host-rate", 0, 0, G_OPTION_ARG_INT, &opt_host_rate,
      "Messages a second in the hosted room (100)", "R" },
    { "host-seconds", 0, 0, G_OPTION_ARG_INT, &opt_host_seconds,
      "For how long (10)", "S" },
    { "host-main-loop", 0, 0, G_OPTION_ARG_NONE, &opt_host_main_loop,
      "The hosted room on the window's main loop, not its own thread (as before)", NULL },
    { "host-owner-client", 0, 0, G_OPTION_ARG_NONE, &opt_host_owner_client,
      "The owner also in the room through a CrClient on the window's loop, as the app joins its own room", NULL },
    { "host-no-page", 0, 0, G_OPTION_ARG_NONE, &opt_host_no_page,
      "The owner view shows no room: what the server alone costs the loop", NULL },
    { NULL }
  };
  GtkSignalListItemFactory *factory;
  GtkWidget *list;
  Bench b = { 0, };

  uptime_start = g_get_monotonic_time ();
  context = g_option_context_new ("- Chat Room UI benchmark");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  opt_burst = CLAMP (opt_burst, 1, 1000000);
  opt_history = CLAMP (opt_history, 1, 10000000);
  opt_cap = MAX (opt_cap, 1);
  opt_tail = MAX (opt_tail, 1);
  opt_preload = CLAMP (opt_preload, 0, 100000);

#ifdef CR_BENCH_HAVE_NETWORK
  sources = g_strsplit (opt_source != NULL ? opt_source : "network,model", ",", -1);
#else
  sources = g_strsplit (opt_source != NULL ? opt_source : "model", ",", -1);
#endif
#ifdef CR_BENCH_HAVE_APP
  views = g_strsplit (opt_view != NULL ? opt_view : "chat-page,plain,cap,tail", ",", -1);
#else
  views = g_strsplit (opt_view != NULL ? opt_view : "plain,cap,tail", ",", -1);
#endif

  adw_init ();

  b.window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (b.window, "bench-ui");
  gtk_window_set_default_size (b.window, 900, 640);
  b.scroller = GTK_SCROLLED_WINDOW (gtk_scrolled_window_new ());
  gtk_scrolled_window_set_policy (b.scroller, GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  factory = GTK_SIGNAL_LIST_ITEM_FACTORY (gtk_signal_list_item_factory_new ());
  g_signal_connect (factory, "setup", G_CALLBACK (on_setup), &b);
  g_signal_connect (factory, "bind", G_CALLBACK (on_bind), &b);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_unbind), &b);
  list = gtk_list_view_new (NULL, GTK_LIST_ITEM_FACTORY (factory));
  b.list = GTK_LIST_VIEW (list);
  gtk_scrolled_window_set_child (b.scroller, list);
  gtk_window_set_child (b.window, GTK_WIDGET (b.scroller));
  b.vadj = gtk_scrolled_window_get_vadjustment (b.scroller);
  g_signal_connect (b.vadj, "changed", G_CALLBACK (on_vadj_changed), &b);
  b.stick = TRUE;

  gtk_widget_add_tick_callback (list, on_frame, &b, NULL);
  gtk_widget_add_tick_callback (list, on_cap_tick, &b, NULL);
  b.beat_source = g_timeout_add_full (G_PRIORITY_HIGH, 1, on_beat, &b, NULL);

  gtk_window_present (b.window);
  if (!run_until (window_drawn, &b, 10000))
    {
      g_printerr ("bench-ui: the window was never drawn (no display?)\n");
      return 1;
    }
  run_for (300);

  g_print ("bench-ui: rows %s, renderer %s, GTK %u.%u.%u\n",
#ifdef CR_BENCH_HAVE_APP
           "CrMessageRow",
#else
           "same shape as CrMessageRow (app not built)",
#endif
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (b.window))),
           gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version ());

  if (opt_host > 0)
    {
#if defined (CR_BENCH_HAVE_APP) && defined (CR_BENCH_HAVE_NETWORK) && defined (CR_BENCH_GENERATOR)
      opt_host_rate = CLAMP (opt_host_rate, 10, 100000);
      opt_host_seconds = CLAMP (opt_host_seconds, 1, 600);
      host_phase (&b);
#else
      g_printerr ("bench-ui: --host needs the app, the server and chatroom-bench\n");
#endif
      g_source_remove (b.beat_source);
      gtk_window_destroy (b.window);
      return 0;
    }

  if (!opt_skip_memory)
    memory_phase (&b);

  for (guint s = 0; sources[s] != NULL; s++)
    for (guint v = 0; views[v] != NULL; v++)
      {
        if (g_str_equal (sources[s], "model") && g_str_equal (views[v], "chat-page"))
          continue;   /* the page takes a client, not a model */
        if (g_str_equal (sources[s], "model"))
          burst_model (&b, views[v]);
#ifdef CR_BENCH_HAVE_NETWORK
        else if (g_str_equal (sources[s], "network"))
          burst_network (&b, views[v]);
#endif
        else
          g_printerr ("bench-ui: unknown source %s\n", sources[s]);
      }

  g_source_remove (b.beat_source);
  gtk_window_destroy (b.window);
  g_clear_object (&b.slice);
  g_clear_object (&b.source);
  g_print ("bench-ui: done in %.1f s\n", (g_get_monotonic_time () - uptime_start) / 1e6);
  return 0;
}
