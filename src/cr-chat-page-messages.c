/* cr-chat-page-messages.c: the chat page's message list: the window of
 * messages it shows, sticking to the bottom, "new messages", message rows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The message list is a GtkListView over the client's GListModel, so a
 * history of 100 000 lines costs only the rows on screen. It follows new
 * messages only while the reader is at the bottom (GTK 4.8 has no
 * gtk_list_view_scroll_to: its "list.scroll-to-item" action anchors the
 * last row whenever the vertical adjustment moves while we are there);
 * a reader who scrolled up gets a "new messages" button instead.
 *
 * A burst (a busy room, a resync) must not freeze the window: every row
 * the list holds is bound and its text shaped (Pango, ~0.35 ms a row), and
 * GTK 4.8's list view holds up to 200 rows around the one it follows. So
 * the list never sees the whole history: it shows a window (CrMessageRange)
 * over the client's messages, changed at most once per frame.
 *
 *  - While the reader is at the bottom the window is the newest messages,
 *    a screenful and more (tail_rows). A frame binds at most that many new
 *    rows, however fast messages come (those in between are never bound),
 *    and every row the list holds is measured, so its end is exact: no
 *    estimated heights to correct at the end of a burst, no long jump to
 *    the newest row.
 *  - A reader who scrolled up keeps the window's top; the bottom follows
 *    the messages by at most ROWS_PER_FRAME a frame, and reaching the top
 *    of the window prepends OLDER_ROWS older messages (the list keeps the
 *    row it shows in place). Back at the bottom, the window shrinks again.
 *
 * The window itself is CrMessageRange (cr-chat-page-range.c).
 *
 * More than BURST_MIN - 1 join and leave lines in a row (a class arriving,
 * 200 members timing out) show as one line, "5 members joined", that
 * opens to show them, as Polari does: the burst's first row carries the
 * summary and the others are hidden rows, so the list and its window
 * keep one row per message.
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-file-row.h"
#include "cr-mention.h"
#include "cr-message-row.h"
#include "cr-window-private.h"
#include "cr-chat-page-private.h"

/* Pixels from the end that still count as "at the bottom". */
#define BOTTOM_SLACK 8.0

/* Messages shown while the reader is at the bottom: at least TAIL_ROWS,
 * and enough rows of MIN_ROW_HEIGHT to fill the list's height once more.
 * It is the most rows a frame binds in a burst, and a new row costs about
 * 1 ms all told under Xvfb (bench/bench-ui.c --view chat-page: 30 rows kept
 * frames under 45 ms, 60 rows took 64-93 ms). */
#define TAIL_ROWS 30
#define MIN_ROW_HEIGHT 20
#define MAX_TAIL_ROWS 200

/* How far the window may grow past its tail at the bottom before its top
 * is trimmed: a quiet room appends rows without moving the others. */
#define TAIL_SLACK 30

/* The most rows the window's bottom grows by per frame while the reader is
 * scrolled up, and how many older rows reaching its top brings in: a
 * frame's worth of new rows each. */
#define ROWS_PER_FRAME 30
#define OLDER_ROWS 30

/* Rows below a message the reader jumped to (a quote, a search result). */
#define SHOWN_BELOW 2

/* A run of this many join and leave lines is one line; the longest run
 * looked for (a longer one folds in parts). */
#define BURST_MIN 4
#define BURST_SCAN_MAX 5000

/* --- scrolling ---------------------------------------------------------- */

static gboolean
adjustment_at_bottom (GtkAdjustment *adj)
{
  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
         gtk_adjustment_get_upper (adj) - BOTTOM_SLACK;
}

/* The newest message's row is laid out and entirely inside the list's
 * viewport. */
static gboolean
last_row_on_screen (CrChatPage *self,
                    guint       n)
{
  GtkWidget *list = GTK_WIDGET (self->message_list);
  g_autoptr(CrMessage) last = g_list_model_get_item (G_LIST_MODEL (self->shown), n - 1);
  graphene_rect_t bounds;

  /* The list's children are its rows (a few hundred at most), not
   * necessarily in item order: look for the one showing the newest. */
  for (GtkWidget *item = gtk_widget_get_last_child (list);
       item != NULL;
       item = gtk_widget_get_prev_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);

      if (!CR_IS_MESSAGE_ROW (row) || cr_message_row_get_message (CR_MESSAGE_ROW (row)) != last)
        continue;

      /* Folded into a burst above it: nothing of it to show. */
      if (!gtk_widget_get_visible (row))
        return TRUE;

      return gtk_widget_get_mapped (row) &&
             gtk_widget_compute_bounds (row, list, &bounds) &&
             bounds.size.height > 0 &&
             bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list) + 1;
    }

  return FALSE;
}

/* How many frames the adjustment gets to bring the newest row into view
 * before the list is asked to jump there. */
#define PIN_TRIES 3

static gboolean
verify_pin_cb (GtkWidget     *widget,
               GdkFrameClock *frame_clock,
               gpointer       user_data);

static void
pin_to_bottom (CrChatPage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint n = self->shown != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->shown)) : 0;
  gboolean at_bottom;

  /* While the window moves the adjustment is pinned within each layout
   * (on_vadjustment_changed); once it stands still this checks. */
  if (n == 0 || self->window_tick != 0)
    return;

  at_bottom = adjustment_at_bottom (adj);
  if (at_bottom && last_row_on_screen (self, n))
    {
      self->pin_tries = 0;
      return;
    }

  /* The cheap way: the adjustment's end. Moving it between layouts makes
   * the list re-anchor and reshape its rows, so only when it is not there
   * yet; while row heights are estimates the end itself can stop short of
   * the last rows, and the next frames measure them and move it. */
  if (!at_bottom)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) -
                                   gtk_adjustment_get_page_size (adj));

  if (self->pin_tries < PIN_TRIES)
    {
      /* Look again once the next frame has laid the rows out. */
      self->pin_tries++;
      if (self->verify_tick == 0)
        self->verify_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->message_list),
                                                          verify_pin_cb, self, NULL);
      return;
    }

  /* Still short: ask the list to bring its last item into view, which
   * anchors it at the very end (GTK 4.8 has no gtk_list_view_scroll_to;
   * this action is its way). It rebinds many rows when the list was
   * anchored elsewhere, so it is the last resort, not the habit. */
  self->pin_tries = 0;
  gtk_widget_activate_action (GTK_WIDGET (self->message_list),
                              "list.scroll-to-item", "u", n - 1);
}

static gboolean
verify_pin_cb (GtkWidget     *widget,
               GdkFrameClock *frame_clock,
               gpointer       user_data)
{
  CrChatPage *self = user_data;

  self->verify_tick = 0;
  if (self->sticky)
    pin_to_bottom (self);

  return G_SOURCE_REMOVE;
}

void
_cr_chat_page_set_unseen (CrChatPage *self,
                          guint       unseen)
{
  self->unseen = unseen;
  gtk_widget_set_visible (self->new_messages_button, unseen > 0);

  if (unseen > 0)
    {
      /* Translators: the button under the messages when you scrolled up */
      g_autofree char *text = g_strdup_printf (ngettext ("%u new message",
                                                         "%u new messages", unseen),
                                               unseen);
      gtk_label_set_text (self->new_messages_label, text);
    }
}

static gboolean
scroll_down_later_cb (gpointer user_data)
{
  CrChatPage *self = user_data;

  self->scroll_source = 0;
  if (self->sticky)
    pin_to_bottom (self);

  return G_SOURCE_REMOVE;
}

/* Pin after the layout in progress: the adjustment signals come from the
 * list's size_allocate, where asking it to scroll again would be lost.
 * Default priority, so it runs before the next frame: under software
 * rendering frames can follow each other without a gap, and a lower
 * priority idle would wait for the burst to end. */
static void
queue_pin_to_bottom (CrChatPage *self)
{
  if (self->scroll_source == 0)
    self->scroll_source = g_idle_add_full (G_PRIORITY_DEFAULT, scroll_down_later_cb, self, NULL);
}

static void queue_window_update (CrChatPage *self);

static void
on_vadjustment_value_changed (CrChatPage    *self,
                              GtkAdjustment *adj)
{
  double upper = gtk_adjustment_get_upper (adj);
  double page_size = gtk_adjustment_get_page_size (adj);
  gboolean layout_changed;

  /* The list view moves the value itself while it measures rows whose
   * height it had only estimated; only a move that comes without the
   * content changing is the reader scrolling. */
  layout_changed = upper != self->last_upper || page_size != self->last_page_size;
  self->last_upper = upper;
  self->last_page_size = page_size;

  if (adjustment_at_bottom (adj))
    {
      if (!self->sticky)
        queue_window_update (self);   /* back at the bottom: shrink the window */
      self->sticky = TRUE;
      _cr_chat_page_set_unseen (self, 0);
    }
  else if (self->window_moved && self->sticky)
    {
      /* The window replaced the row the list was anchored to, and the list
       * moved without its height changing: not the reader. Back to the
       * end within this layout, before anything is drawn. */
      gtk_adjustment_set_value (adj, upper - page_size);
    }
  else if (!layout_changed && !self->window_moved)
    self->sticky = FALSE;
  else if (self->sticky && self->window_tick == 0)
    queue_pin_to_bottom (self);

  /* Near the top of the window: older messages come in above; at the top
   * of all that is loaded, the room is asked for the page before. */
  if (!self->sticky && self->shown != NULL && self->shown->start > 0 &&
      gtk_adjustment_get_value (adj) < page_size)
    queue_window_update (self);
  else if (!self->sticky && self->shown != NULL && self->shown->start == 0 &&
           gtk_adjustment_get_value (adj) < page_size / 2)
    _cr_chat_page_load_older (self);
}

static gboolean
on_scroll (CrChatPage               *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);

  /* Wheel or touchpad up: the reader leaves the bottom on purpose (if
   * there is anywhere to go). */
  if (dy < 0 && gtk_adjustment_get_upper (adj) >
                gtk_adjustment_get_page_size (adj) + BOTTOM_SLACK)
    self->sticky = FALSE;

  /* Up at the top (or all of it fits): the page before, from the room. */
  if (dy < 0 && self->shown != NULL && self->shown->start == 0 &&
      gtk_adjustment_get_value (adj) <= BOTTOM_SLACK)
    _cr_chat_page_load_older (self);

  return GDK_EVENT_PROPAGATE;
}

static void
on_vadjustment_changed (CrChatPage    *self,
                        GtkAdjustment *adj)
{
  if (!self->sticky)
    return;

  /* The list grew or the window was resized: a reader at the bottom stays
   * there, anyone else keeps their place. The adjustment moves at once,
   * within this layout (cheap); the next frame checks that the newest row
   * really shows. */
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) -
                                 gtk_adjustment_get_page_size (adj));
  queue_pin_to_bottom (self);
}

static void
on_messages_items_changed (CrChatPage *self,
                           guint       position,
                           guint       removed,
                           guint       added,
                           GListModel *model)
{
  /* The rows are measured at the next layout: pin after it. */
  if (added > 0 && self->sticky)
    queue_pin_to_bottom (self);
}

/* How many of the newest messages to show at the bottom. */
static guint
tail_rows (CrChatPage *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint screen = (guint) (gtk_adjustment_get_page_size (adj) / MIN_ROW_HEIGHT) + 1;

  return CLAMP (screen, TAIL_ROWS, MAX_TAIL_ROWS);
}

/* Where the window should be; FALSE if it is there. capped: grow the
 * bottom by ROWS_PER_FRAME at most (a frame's worth). */
static gboolean
window_target (CrChatPage *self,
               gboolean    capped,
               guint      *start,
               guint      *end)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);
  guint total = g_list_model_get_n_items (_cr_chat_page_get_view (self));

  *start = self->shown->start;
  *end = self->shown->end;

  if (self->sticky)
    {
      /* The newest, however many came since the last frame: at most a
       * tail of them are bound, the rest are never shown. */
      guint tail = tail_rows (self);

      *end = total;
      if (*end - *start > tail + TAIL_SLACK)
        *start = *end - tail;
    }
  else
    {
      *end = capped ? MIN (total, *end + ROWS_PER_FRAME) : total;
      if (*start > 0 && gtk_adjustment_get_value (adj) < gtk_adjustment_get_page_size (adj))
        *start = *start > OLDER_ROWS ? *start - OLDER_ROWS : 0;
    }

  return *start != self->shown->start || *end != self->shown->end;
}

static void
clear_window_moved (CrChatPage *self)
{
  self->window_moved = FALSE;
  if (self->moved_signals != NULL)
    g_signal_group_set_target (self->moved_signals, NULL);
}

static void
on_frame_clock_after_paint (CrChatPage    *self,
                            GdkFrameClock *clock)
{
  clear_window_moved (self);
}

/* Until the frame that lays the moved window out is painted, a value that
 * moves without the list's height changing is the list re-anchoring, not
 * the reader (on_vadjustment_value_changed). */
static void
move_window (CrChatPage *self,
             guint       start,
             guint       end)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->message_list));

  _cr_message_range_set (self->shown, start, end);
  queue_pin_to_bottom (self);

  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self->message_list)))
    return;

  /* The group follows the clock the list paints with now (a new one once
   * the page is realized again). */
  self->window_moved = TRUE;
  g_signal_group_set_target (self->moved_signals, clock);
}

static gboolean
window_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  CrChatPage *self = user_data;
  guint start, end;

  if (self->client != NULL && self->shown != NULL &&
      window_target (self, TRUE, &start, &end))
    {
      move_window (self, start, end);

      /* Still behind (a capped bottom, more older rows wanted after the
       * layout): again next frame. */
      if (window_target (self, TRUE, &start, &end))
        return G_SOURCE_CONTINUE;
    }

  self->window_tick = 0;
  if (self->sticky)
    queue_pin_to_bottom (self);
  return G_SOURCE_REMOVE;
}

/* Move the window at the next frame: one items-changed per frame however
 * many splices came, and never from within a layout. */
static void
queue_window_update (CrChatPage *self)
{
  guint start, end;

  if (self->client == NULL || self->shown == NULL || self->window_tick != 0)
    return;

  /* Nothing is laid out while the list is not on screen: no frame to wait
   * for. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self->message_list)))
    {
      if (window_target (self, FALSE, &start, &end))
        move_window (self, start, end);
      return;
    }

  self->window_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->message_list),
                                                    window_tick_cb, self, NULL);
}

/* The newest messages, a tail's worth. */
static void
tail_range (CrChatPage *self,
            GListModel *messages,
            guint      *start,
            guint      *end)
{
  guint tail = tail_rows (self);

  *end = g_list_model_get_n_items (messages);
  *start = *end > tail ? *end - tail : 0;
}

static void refresh_grown_run (CrChatPage *self,
                               guint       position);

static void
on_all_messages_items_changed (CrChatPage *self,
                               guint       position,
                               guint       removed,
                               guint       added,
                               GListModel *model)
{
  if (self->shown == NULL)
    return;

  /* The runs of join lines looked at are no longer what they were. */
  self->run_n_items = 0;

  /* A page of older history came in above (cr-chat-page-history.c): the
   * rows shown are the same ones further down; the window's top grows
   * over the new rows as the reader scrolls up (window_target). */
  if (position == 0 && removed == 0 && added > 0 && self->shown->end > 0)
    {
      self->shown->start += added;
      self->shown->end += added;
      queue_window_update (self);
      return;
    }

  /* The client only appends; anything else starts the window afresh. */
  if (removed > 0 || position < self->shown->end)
    {
      guint start, end;

      tail_range (self, model, &start, &end);
      _cr_message_range_reset (self->shown, start, end);
      return;
    }

  if (added > 0)
    refresh_grown_run (self, position);

  /* The reader's own lines are never news to them: only others' count. */
  if (!self->sticky)
    {
      guint news = 0;

      for (guint i = position; i < position + added; i++)
        {
          g_autoptr(CrMessage) message = g_list_model_get_item (model, i);

          if (!cr_message_get_own (message))
            news++;
        }
      if (news > 0)
        _cr_chat_page_set_unseen (self, self->unseen + news);
    }

  queue_window_update (self);
}

/* Straight to the newest, whoever asks: the "new messages" button, and
 * sending (cr-chat-page-composer.c), since whoever sends wants to see
 * their message. */
void
_cr_chat_page_stick_to_bottom (CrChatPage *self)
{
  guint start, end;

  self->sticky = TRUE;
  self->pin_tries = 0;
  _cr_chat_page_set_unseen (self, 0);

  /* Straight to the newest: the window becomes their tail, whose rows are
   * all measured at the next layout, so its end is the real end. */
  if (self->client != NULL && self->shown != NULL && window_target (self, FALSE, &start, &end))
    move_window (self, start, end);

  pin_to_bottom (self);
}

/* The frame after a jump moved the window: its end, where the row is. */
static gboolean
show_end_cb (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  guint *frames = user_data;
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (widget));

  if ((*frames)++ == 0)
    return G_SOURCE_CONTINUE;

  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) -
                                 gtk_adjustment_get_page_size (adj));
  return G_SOURCE_REMOVE;
}

static void
scroll_down_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  _cr_chat_page_stick_to_bottom (CR_CHAT_PAGE (widget));
}

/* --- bursts of join and leave lines -------------------------------------- */

static gboolean
is_arrival_or_departure (CrMessage *message)
{
  CrEventKind kind = cr_message_get_kind (message);

  return cr_message_is_system (message) &&
         (kind == CR_EVENT_JOIN || kind == CR_EVENT_LEAVE || kind == CR_EVENT_TIMEOUT);
}

static gboolean
is_arrival_or_departure_at (GListModel *model,
                            guint       position)
{
  g_autoptr(CrMessage) message = g_list_model_get_item (model, position);

  return message != NULL && is_arrival_or_departure (message);
}

/* The run of join and leave lines around position [run_start, run_end),
 * counted; remembered until the messages change, as rows are bound in
 * order. FALSE when position is not in one. */
static gboolean
find_run (CrChatPage *self,
          guint       position)
{
  GListModel *model = _cr_chat_page_get_view (self);
  guint n = g_list_model_get_n_items (model);

  if (self->run_n_items == n && position >= self->run_start && position < self->run_end)
    return TRUE;

  if (!is_arrival_or_departure_at (model, position))
    return FALSE;

  self->run_start = position;
  while (self->run_start > 0 && position - self->run_start < BURST_SCAN_MAX &&
         is_arrival_or_departure_at (model, self->run_start - 1))
    self->run_start--;
  self->run_end = position + 1;
  while (self->run_end < n && self->run_end - self->run_start < BURST_SCAN_MAX &&
         is_arrival_or_departure_at (model, self->run_end))
    self->run_end++;

  self->run_joined = self->run_left = 0;
  for (guint i = self->run_start; i < self->run_end; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (model, i);

      if (cr_message_get_kind (message) == CR_EVENT_JOIN)
        self->run_joined++;
      else
        self->run_left++;
    }
  self->run_n_items = n;
  return TRUE;
}

static char *
dup_burst_summary (guint joined,
                   guint left)
{
  /* Translators: a line that stands for a burst of join lines */
  g_autofree char *in = g_strdup_printf (ngettext ("%u member joined", "%u members joined",
                                                   joined), joined);
  /* Translators: a line that stands for a burst of leave lines */
  g_autofree char *out = g_strdup_printf (ngettext ("%u member left", "%u members left",
                                                    left), left);

  if (left == 0)
    return g_steal_pointer (&in);
  if (joined == 0)
    return g_steal_pointer (&out);
  /* Translators: "5 members joined, 3 members left" */
  return g_strdup_printf (_("%s, %s"), in, out);
}

static guint64
run_seq (CrChatPage *self)
{
  g_autoptr(CrMessage) first = g_list_model_get_item (_cr_chat_page_get_view (self),
                                                     self->run_start);

  return cr_message_get_seq (first);
}

/* Lines were appended at position: a run they extend changes its look
 * (it becomes a burst, or its count grows): rebind what the list shows
 * of it. */
static void
refresh_grown_run (CrChatPage *self,
                   guint       position)
{
  if (position == 0 || !find_run (self, position - 1) || self->run_end <= position)
    return;
  if (self->run_end - self->run_start < BURST_MIN)
    return;

  /* Just become a burst: its earlier rows fold. Else only the summary's
   * count changes. */
  if (position - self->run_start < BURST_MIN)
    _cr_message_range_refresh (self->shown, self->run_start, position - self->run_start);
  else
    _cr_message_range_refresh (self->shown, self->run_start, 1);
}

static void
toggle_burst_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  guint64 seq = g_variant_get_uint64 (parameter);
  GListModel *model;

  if (self->client == NULL || self->shown == NULL)
    return;

  if (g_hash_table_contains (self->expanded_bursts, &seq))
    g_hash_table_remove (self->expanded_bursts, &seq);
  else
    {
      guint64 *key = g_new (guint64, 1);

      *key = seq;
      g_hash_table_add (self->expanded_bursts, key);
    }

  /* The burst's first line is on screen (its summary was clicked). */
  model = _cr_chat_page_get_view (self);
  for (guint i = self->shown->start; i < self->shown->end; i++)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (model, i);

      if (cr_message_get_seq (message) == seq && is_arrival_or_departure (message) &&
          find_run (self, i))
        {
          _cr_message_range_refresh (self->shown, self->run_start,
                                     self->run_end - self->run_start);
          return;
        }
    }
}

/* The row of the message at position (in the whole history): an
 * ordinary row, a burst's summary, or hidden inside a folded burst. */
static void
bind_burst (CrChatPage   *self,
            CrMessageRow *row,
            guint         position)
{
  gboolean visible = TRUE;

  if (self->client != NULL && find_run (self, position) &&
      self->run_end - self->run_start >= BURST_MIN)
    {
      guint64 seq = run_seq (self);
      gboolean expanded = g_hash_table_contains (self->expanded_bursts, &seq);

      if (position == self->run_start)
        {
          g_autofree char *summary = dup_burst_summary (self->run_joined, self->run_left);

          cr_message_row_set_burst (row, summary, expanded, seq);
        }
      else
        {
          cr_message_row_set_burst (row, NULL, FALSE, 0);
          visible = expanded;
        }
    }
  else
    cr_message_row_set_burst (row, NULL, FALSE, 0);

  gtk_widget_set_visible (GTK_WIDGET (row), visible);
}

/* --- message rows ------------------------------------------------------- */

static void
message_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  CrChatPage               *self)
{
  GtkWidget *row = cr_message_row_new ();

  _cr_chat_page_setup_message_row (self, row);
  gtk_list_item_set_child (item, row);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

/* Someone else's message that calls on the reader: the rule the
 * notifications use (cr-mention.h), so a highlighted row is one that
 * notified. */
static gboolean
mentions_reader (CrChatPage *self,
                 CrMessage  *message)
{
  if (self->folded_name == NULL || self->client == NULL ||
      cr_message_get_own (message) || cr_message_is_system (message))
    return FALSE;

  return cr_mention_matches (cr_message_get_text (message), cr_client_get_name (self->client),
                             cr_message_get_kind (message) == CR_EVENT_OWNER_CHAT);
}

static void
message_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 CrChatPage               *self)
{
  CrMessageRow *row = CR_MESSAGE_ROW (gtk_list_item_get_child (item));
  CrMessage *message = gtk_list_item_get_item (item);
  guint position = gtk_list_item_get_position (item);
  g_autoptr(CrMessage) previous = NULL;

  /* The one above it in the whole history, also for the window's top row. */
  if (self->client != NULL && self->shown != NULL && position != GTK_INVALID_LIST_POSITION &&
      self->shown->start + position > 0)
    previous = g_list_model_get_item (_cr_chat_page_get_view (self),
                                      self->shown->start + position - 1);

  cr_message_row_set_message (row, message, previous, self->owner_name);
  cr_message_row_set_mention (row, mentions_reader (self, message));
  cr_message_row_set_highlight (row, _cr_chat_page_is_highlighted (self, message));
  if (self->shown != NULL && position != GTK_INVALID_LIST_POSITION)
    bind_burst (self, row, self->shown->start + position);
  cr_file_row_attach (GTK_WIDGET (row), self->client, message);
}

static void
message_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   CrChatPage               *self)
{
  cr_message_row_set_message (CR_MESSAGE_ROW (gtk_list_item_get_child (item)), NULL, NULL, NULL);
  cr_file_row_attach (gtk_list_item_get_child (item), NULL, NULL);
}

/* --- the page's parts --------------------------------------------------- */

void
_cr_chat_page_messages_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "chat.scroll-down", NULL, scroll_down_action);
  gtk_widget_class_install_action (widget_class, "chat.toggle-burst", "t", toggle_burst_action);
}

void
_cr_chat_page_messages_init (CrChatPage *self)
{
  GtkListItemFactory *factory;
  GtkEventController *scroll;
  GtkAdjustment *vadj;

  self->expanded_bursts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (message_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (message_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (message_unbind_cb), self);
  gtk_list_view_set_factory (self->message_list, factory);
  g_object_unref (factory);

  vadj = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (vadj, "value-changed",
                           G_CALLBACK (on_vadjustment_value_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (vadj, "changed",
                           G_CALLBACK (on_vadjustment_changed), self, G_CONNECT_SWAPPED);

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect_object (scroll, "scroll", G_CALLBACK (on_scroll), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->scroller), scroll);

  /* The client's messages, the window over them and the frame clock all
   * change under the page: each group follows whichever is current. */
  self->messages_signals = g_signal_group_new (G_TYPE_LIST_MODEL);
  g_signal_group_connect_object (self->messages_signals, "items-changed",
                                 G_CALLBACK (on_all_messages_items_changed), self,
                                 G_CONNECT_SWAPPED);

  self->shown_signals = g_signal_group_new (CR_TYPE_MESSAGE_RANGE);
  g_signal_group_connect_object (self->shown_signals, "items-changed",
                                 G_CALLBACK (on_messages_items_changed), self,
                                 G_CONNECT_SWAPPED);

  self->moved_signals = g_signal_group_new (GDK_TYPE_FRAME_CLOCK);
  g_signal_group_connect_object (self->moved_signals, "after-paint",
                                 G_CALLBACK (on_frame_clock_after_paint), self,
                                 G_CONNECT_SWAPPED);
}

/* Show self->client's messages: their tail, from the bottom. */
void
_cr_chat_page_messages_attach (CrChatPage *self)
{
  GListModel *messages = _cr_chat_page_get_view (self);
  g_autoptr(GtkNoSelection) selection = NULL;
  guint start, end;

  g_assert (self->shown == NULL);

  tail_range (self, messages, &start, &end);
  self->shown = _cr_message_range_new (messages, start, end);
  g_signal_group_set_target (self->messages_signals, messages);
  g_signal_group_set_target (self->shown_signals, self->shown);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown)));
  gtk_list_view_set_model (self->message_list, GTK_SELECTION_MODEL (selection));

  queue_pin_to_bottom (self);
}

/* Show no messages; the window that was moving stops. */
void
_cr_chat_page_messages_detach (CrChatPage *self)
{
  if (self->message_list != NULL)
    gtk_list_view_set_model (self->message_list, NULL);

  if (self->window_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->window_tick);
      self->window_tick = 0;
    }
  if (self->shown_signals != NULL)
    g_signal_group_set_target (self->shown_signals, NULL);
  if (self->messages_signals != NULL)
    g_signal_group_set_target (self->messages_signals, NULL);
  g_clear_object (&self->shown);
  self->run_n_items = 0;
  if (self->expanded_bursts != NULL)
    g_hash_table_remove_all (self->expanded_bursts);
}

/* After _cr_chat_page_messages_detach: nothing more is to come. */
void
_cr_chat_page_messages_dispose (CrChatPage *self)
{
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  clear_window_moved (self);
  if (self->verify_tick != 0 && self->message_list != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->verify_tick);
  self->verify_tick = 0;

  g_clear_object (&self->messages_signals);
  g_clear_object (&self->shown_signals);
  g_clear_object (&self->moved_signals);
  g_clear_pointer (&self->expanded_bursts, g_hash_table_unref);
}

/* Going to a message (cr-chat-page-reply.c): the window ends a few rows
 * below it, with older rows above, as if the reader had scrolled up to
 * it; its bottom grows toward the newest as they scroll down
 * (window_target). */
void
_cr_chat_page_show_position (CrChatPage *self,
                             guint       position)
{
  GListModel *view = _cr_chat_page_get_view (self);
  guint total = g_list_model_get_n_items (view);
  guint start, end;

  g_return_if_fail (position < total);

  if (self->window_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->window_tick);
      self->window_tick = 0;
    }

  start = position > OLDER_ROWS ? position - OLDER_ROWS : 0;
  end = MIN (total, position + 1 + SHOWN_BELOW);
  self->sticky = FALSE;
  self->pin_tries = 0;
  move_window (self, start, end);
  _cr_chat_page_set_unseen (self, 0);

  /* Its row is near the window's end: the list's end shows it, once the
   * frame that lays the window out has measured the rows. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self->message_list)))
    gtk_widget_add_tick_callback (GTK_WIDGET (self->message_list), show_end_cb,
                                  g_new0 (guint, 1), g_free);
}

/* A notification's message (app.show-message, cr-application.c): the
 * window of rows moves to it as the reader would have scrolled there.
 * FALSE, and the newest shown, when it is not (or no longer) loaded. */
gboolean
_cr_chat_page_scroll_to_seq (CrChatPage *self,
                             guint64     seq)
{
  gint64 position;

  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  if (self->client == NULL || self->shown == NULL)
    return FALSE;

  position = seq > 0 ? _cr_chat_page_find_in_view (self, seq) : -1;
  if (position < 0)
    {
      _cr_chat_page_stick_to_bottom (self);
      return FALSE;
    }
  _cr_chat_page_show_position (self, (guint) position);
  return TRUE;
}
