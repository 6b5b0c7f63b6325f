/* cr-chat-page.c: the room: messages, members, and the entry
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
 * The window changes its top and its bottom as separate items-changed, so
 * rows that stay keep their widgets (CrMessageRow makes rebinding the
 * message it shows cheap).
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-message-row.h"
#include "cr-window-private.h"
#include "cr-chat-page.h"

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

/* --- the window of messages the list shows ------------------------------ */

#define CR_TYPE_MESSAGE_RANGE (cr_message_range_get_type ())
G_DECLARE_FINAL_TYPE (CrMessageRange, cr_message_range, CR, MESSAGE_RANGE, GObject)

/* Messages [start, end) of a model. It does not follow the model: the page
 * moves it (cr_message_range_set), once per frame. */
struct _CrMessageRange
{
  GObject     parent_instance;

  GListModel *model;
  guint       start;
  guint       end;
};

static GType
cr_message_range_get_item_type (GListModel *model)
{
  return CR_TYPE_MESSAGE;
}

static guint
cr_message_range_get_n_items (GListModel *model)
{
  CrMessageRange *self = CR_MESSAGE_RANGE (model);

  return self->end - self->start;
}

static gpointer
cr_message_range_get_item (GListModel *model,
                           guint       position)
{
  CrMessageRange *self = CR_MESSAGE_RANGE (model);

  if (position >= self->end - self->start)
    return NULL;

  return g_list_model_get_item (self->model, self->start + position);
}

static void
cr_message_range_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cr_message_range_get_item_type;
  iface->get_n_items = cr_message_range_get_n_items;
  iface->get_item = cr_message_range_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (CrMessageRange, cr_message_range, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cr_message_range_list_model_init))

static void
cr_message_range_dispose (GObject *object)
{
  CrMessageRange *self = CR_MESSAGE_RANGE (object);

  g_clear_object (&self->model);

  G_OBJECT_CLASS (cr_message_range_parent_class)->dispose (object);
}

static void
cr_message_range_class_init (CrMessageRangeClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cr_message_range_dispose;
}

static void
cr_message_range_init (CrMessageRange *self)
{
}

static CrMessageRange *
cr_message_range_new (GListModel *model,
                      guint       start,
                      guint       end)
{
  CrMessageRange *self = g_object_new (CR_TYPE_MESSAGE_RANGE, NULL);

  g_assert (start <= end && end <= g_list_model_get_n_items (model));

  self->model = g_object_ref (model);
  self->start = start;
  self->end = end;
  return self;
}

/* Show [start, end) of the model. When the old and the new range overlap,
 * the top and the bottom change in separate items-changed, so the list
 * keeps the widgets of the rows in both. */
static void
cr_message_range_set (CrMessageRange *self,
                      guint           start,
                      guint           end)
{
  guint old_start = self->start;
  guint old_end = self->end;

  g_assert (start <= end && end <= g_list_model_get_n_items (self->model));

  if (start == old_start && end == old_end)
    return;

  if (start >= old_end || end <= old_start)
    {
      self->start = start;
      self->end = end;
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_end - old_start, end - start);
      return;
    }

  if (start != old_start)
    {
      self->start = start;
      if (start > old_start)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, start - old_start, 0);
      else
        g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, old_start - start);
    }

  if (end != old_end)
    {
      self->end = end;
      if (end > old_end)
        g_list_model_items_changed (G_LIST_MODEL (self), old_end - start, 0, end - old_end);
      else
        g_list_model_items_changed (G_LIST_MODEL (self), end - start, old_end - end, 0);
    }
}

struct _CrChatPage
{
  AdwBin            parent_instance;

  /* template widgets */
  AdwToastOverlay  *toast_overlay;
  GtkRevealer      *reconnect_revealer;
  GtkSpinner       *reconnect_spinner;
  AdwFlap          *flap;
  GtkScrolledWindow *scroller;
  GtkListView      *message_list;
  GtkWidget        *new_messages_button;
  GtkLabel         *new_messages_label;
  GtkStack         *side_stack;
  GtkLabel         *member_count_label;
  GtkListView      *member_list;
  GtkTextView      *entry;
  GtkWidget        *placeholder_label;

  /* owned */
  CrClient         *client;
  CrMessageRange   *shown;          /* what the list shows of the messages */
  guint             window_tick;    /* the window has to move */
  GtkWidget        *owner_widget;
  char             *owner_name;
  char             *folded_name;    /* the reader's name, casefolded */
  guint             scroll_source;
  guint             verify_tick;
  guint             pin_tries;

  double            last_upper;
  double            last_page_size;
  guint             unseen;
  gboolean          sticky;
  gboolean          window_moved;   /* until the frame after a move is painted */
  GdkFrameClock    *moved_clock;
  gulong            moved_handler;
  gboolean          preedit;
};

G_DEFINE_FINAL_TYPE (CrChatPage, cr_chat_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SHOW_SIDE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

static void
set_unseen (CrChatPage *self,
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
      set_unseen (self, 0);
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

  /* Near the top of the window: older messages come in above. */
  if (!self->sticky && self->shown != NULL && self->shown->start > 0 &&
      gtk_adjustment_get_value (adj) < page_size)
    queue_window_update (self);
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
  guint total = g_list_model_get_n_items (cr_client_get_messages (self->client));

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
  if (self->moved_clock != NULL)
    g_clear_signal_handler (&self->moved_handler, self->moved_clock);
  g_clear_object (&self->moved_clock);
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

  cr_message_range_set (self->shown, start, end);
  queue_pin_to_bottom (self);

  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self->message_list)))
    return;

  self->window_moved = TRUE;
  if (self->moved_clock == NULL)
    {
      self->moved_clock = g_object_ref (clock);
      self->moved_handler = g_signal_connect_swapped (clock, "after-paint",
                                                      G_CALLBACK (on_frame_clock_after_paint),
                                                      self);
    }
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

static void
on_all_messages_items_changed (CrChatPage *self,
                               guint       position,
                               guint       removed,
                               guint       added,
                               GListModel *model)
{
  if (self->shown == NULL)
    return;

  /* The client only appends; anything else starts the window afresh. */
  if (removed > 0 || position < self->shown->end)
    {
      guint start, end;
      guint old = self->shown->end - self->shown->start;

      tail_range (self, model, &start, &end);
      self->shown->start = start;
      self->shown->end = end;
      g_list_model_items_changed (G_LIST_MODEL (self->shown), 0, old, end - start);
      return;
    }

  if (!self->sticky)
    set_unseen (self, self->unseen + added);

  queue_window_update (self);
}

static void
scroll_down_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  guint start, end;

  self->sticky = TRUE;
  self->pin_tries = 0;
  set_unseen (self, 0);

  /* Straight to the newest: the window becomes their tail, whose rows are
   * all measured at the next layout, so its end is the real end. */
  if (self->client != NULL && self->shown != NULL && window_target (self, FALSE, &start, &end))
    move_window (self, start, end);

  pin_to_bottom (self);
}

/* --- message rows ------------------------------------------------------- */

static void
message_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  CrChatPage               *self)
{
  gtk_list_item_set_child (item, cr_message_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

/* Someone else's message that names the reader. */
static gboolean
mentions_reader (CrChatPage *self,
                 CrMessage  *message)
{
  g_autofree char *text = NULL;
  const char *name;

  if (self->folded_name == NULL || cr_message_get_own (message) || cr_message_is_system (message))
    return FALSE;

  name = cr_message_get_text (message);
  if (name == NULL)
    return FALSE;

  text = g_utf8_casefold (name, -1);
  return strstr (text, self->folded_name) != NULL;
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
    previous = g_list_model_get_item (cr_client_get_messages (self->client),
                                      self->shown->start + position - 1);

  cr_message_row_set_message (row, message, previous, self->owner_name);
  cr_message_row_set_mention (row, mentions_reader (self, message));
}

static void
message_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   CrChatPage               *self)
{
  cr_message_row_set_message (CR_MESSAGE_ROW (gtk_list_item_get_child (item)), NULL, NULL, NULL);
}

/* --- member rows -------------------------------------------------------- */

typedef struct {
  GtkLabel  *name;
  GtkWidget *badge;
  GtkWidget *muted;
} MemberRow;

static void
member_setup_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 CrChatPage               *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *avatar = g_object_new (GTK_TYPE_IMAGE,
                                    "icon-name", "avatar-default-symbolic",
                                    "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                    NULL);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (C_("badge", "Owner"));
  GtkWidget *muted = gtk_image_new_from_icon_name ("microphone-disabled-symbolic");
  MemberRow *row = g_new0 (MemberRow, 1);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (badge, "owner-badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (muted, _("Muted by the owner"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (muted),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Muted by the owner"), -1);

  gtk_box_append (GTK_BOX (box), avatar);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), muted);
  gtk_box_append (GTK_BOX (box), badge);

  row->name = GTK_LABEL (name);
  row->badge = badge;
  row->muted = muted;
  g_object_set_data_full (G_OBJECT (box), "cr-member-row", row, g_free);

  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
member_row_update (GtkWidget *box,
                   CrMember  *member)
{
  MemberRow *row = g_object_get_data (G_OBJECT (box), "cr-member-row");

  if (cr_member_get_is_self (member))
    {
      /* Translators: yourself in the member list; %s is your nickname */
      g_autofree char *you = g_strdup_printf (_("%s (you)"), cr_member_get_name (member));
      gtk_label_set_text (row->name, you);
    }
  else
    gtk_label_set_text (row->name, cr_member_get_name (member));

  gtk_widget_set_visible (row->badge, cr_member_get_role (member) == CR_ROLE_OWNER);
  gtk_widget_set_visible (row->muted, cr_member_get_muted (member));
}

static void
on_member_notify (GtkWidget  *box,
                  GParamSpec *pspec,
                  CrMember   *member)
{
  member_row_update (box, member);
}

static void
member_bind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                CrChatPage               *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  CrMember *member = gtk_list_item_get_item (item);

  member_row_update (box, member);
  g_signal_connect_object (member, "notify::flags", G_CALLBACK (on_member_notify),
                           box, G_CONNECT_SWAPPED);
}

static void
member_unbind_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  CrChatPage               *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  CrMember *member = gtk_list_item_get_item (item);

  if (member != NULL)
    g_signal_handlers_disconnect_by_func (member, on_member_notify, box);
}

static void
update_members (CrChatPage *self)
{
  GListModel *members;
  g_autofree char *text = NULL;
  char *owner = NULL;
  guint n;

  if (self->client == NULL)
    return;

  members = cr_client_get_members (self->client);
  n = g_list_model_get_n_items (members);

  for (guint i = 0; i < n && owner == NULL; i++)
    {
      g_autoptr(CrMember) member = g_list_model_get_item (members, i);

      if (cr_member_get_role (member) == CR_ROLE_OWNER)
        owner = g_strdup (cr_member_get_name (member));
    }
  g_free (self->owner_name);
  self->owner_name = owner;

  /* Translators: the heading of the member list */
  text = g_strdup_printf (ngettext ("%u member", "%u members", n), n);
  gtk_label_set_text (self->member_count_label, text);
}

static void
on_members_items_changed (CrChatPage *self,
                          guint       position,
                          guint       removed,
                          guint       added,
                          GListModel *model)
{
  update_members (self);
}

/* --- client state ------------------------------------------------------- */

static void
update_state (CrChatPage *self)
{
  gboolean reconnecting;

  reconnecting = self->client != NULL &&
                 cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING;

  gtk_revealer_set_reveal_child (self->reconnect_revealer, reconnecting);
  gtk_spinner_set_spinning (self->reconnect_spinner, reconnecting);
}

static void
on_client_notify_state (CrChatPage *self,
                        GParamSpec *pspec,
                        CrClient   *client)
{
  update_state (self);
}

/* --- the entry ---------------------------------------------------------- */

static char *
dup_entry_text (CrChatPage *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->entry);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
entry_is_blank (CrChatPage *self)
{
  g_autofree char *text = dup_entry_text (self);

  return g_strstrip (text)[0] == '\0';
}

static void
update_actions (CrChatPage *self)
{
  gboolean can_send;

  can_send = self->client != NULL &&
             (cr_client_get_state (self->client) == CR_CLIENT_CONNECTED ||
              cr_client_get_state (self->client) == CR_CLIENT_RECONNECTING) &&
             !entry_is_blank (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", can_send);
}

static void
on_buffer_changed (CrChatPage    *self,
                   GtkTextBuffer *buffer)
{
  gtk_widget_set_visible (self->placeholder_label,
                          gtk_text_buffer_get_char_count (buffer) == 0);
  update_actions (self);
}

static void
on_entry_preedit_changed (CrChatPage  *self,
                          const char  *preedit,
                          GtkTextView *entry)
{
  self->preedit = preedit != NULL && preedit[0] != '\0';
  gtk_widget_set_visible (self->placeholder_label,
                          !self->preedit &&
                          gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (entry)) == 0);
}

static gboolean
on_entry_key_pressed (CrChatPage            *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  /* Shift+Enter is a new line; Enter while an input method composes
   * belongs to the input method. */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 || self->preedit)
    return GDK_EVENT_PROPAGATE;

  gtk_widget_activate_action (GTK_WIDGET (self), "chat.send", NULL);
  return GDK_EVENT_STOP;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (self->client == NULL || entry_is_blank (self))
    return;

  text = dup_entry_text (self);

  /* Trailing blank lines are a slip of the Enter key, not content. */
  g_strchomp (text);

  if (cr_client_send (self->client, text, &error) == NULL)
    {
      g_autofree char *why = NULL;

      /* The text stays in the entry: nothing typed is lost. */
      if (error->domain == CR_CLIENT_ERROR)
        why = cr_render_reason (error->code, NULL);
      else
        why = g_strdup (error->message);
      cr_chat_page_show_toast (self, why);
      return;
    }

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->entry), "", 0);

  /* Whoever sends wants to see their message. */
  self->sticky = TRUE;
  self->pin_tries = 0;
  set_unseen (self, 0);
  pin_to_bottom (self);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CrChatPage *self = CR_CHAT_PAGE (widget);
  guint64 origin = g_variant_get_uint64 (parameter);
  GListModel *messages;
  guint n;

  if (self->client == NULL)
    return;

  messages = cr_client_get_messages (self->client);
  n = g_list_model_get_n_items (messages);

  /* Failed messages are recent: look from the end. */
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(CrMessage) message = g_list_model_get_item (messages, i - 1);

      if (cr_message_get_own (message) &&
          cr_message_get_origin (message) == origin &&
          cr_message_get_state (message) == CR_MESSAGE_FAILED)
        {
          cr_client_retry (self->client, message);
          return;
        }
    }
}

/* --- GObject ------------------------------------------------------------ */

static void
disconnect_client (CrChatPage *self)
{
  if (self->client == NULL)
    return;

  if (self->window_tick != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->window_tick);
      self->window_tick = 0;
    }
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_data (self->shown, self);
  g_clear_object (&self->shown);
  g_signal_handlers_disconnect_by_data (self->client, self);
  g_signal_handlers_disconnect_by_data (cr_client_get_messages (self->client), self);
  g_signal_handlers_disconnect_by_data (cr_client_get_members (self->client), self);
  g_clear_object (&self->client);
}

static void
cr_chat_page_dispose (GObject *object)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  g_clear_handle_id (&self->scroll_source, g_source_remove);
  clear_window_moved (self);
  if (self->verify_tick != 0 && self->message_list != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->verify_tick);
  self->verify_tick = 0;
  if (self->message_list != NULL)
    gtk_list_view_set_model (self->message_list, NULL);
  if (self->member_list != NULL)
    gtk_list_view_set_model (self->member_list, NULL);
  disconnect_client (self);
  g_clear_pointer (&self->owner_name, g_free);
  g_clear_pointer (&self->folded_name, g_free);

  G_OBJECT_CLASS (cr_chat_page_parent_class)->dispose (object);
}

static void
cr_chat_page_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_SIDE:
      g_value_set_boolean (value, cr_chat_page_get_show_side (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_chat_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CrChatPage *self = CR_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_SIDE:
      cr_chat_page_set_show_side (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_flap_notify_reveal (CrChatPage *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_SIDE]);
}

static void
cr_chat_page_class_init (CrChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cr_chat_page_dispose;
  object_class->get_property = cr_chat_page_get_property;
  object_class->set_property = cr_chat_page_set_property;

  properties[PROP_SHOW_SIDE] =
    g_param_spec_boolean ("show-side", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/chatroom/ChatRoom/cr-chat-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, reconnect_revealer);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, reconnect_spinner);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, flap);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, message_list);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, new_messages_button);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, new_messages_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, side_stack);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, member_count_label);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, member_list);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, entry);
  gtk_widget_class_bind_template_child (widget_class, CrChatPage, placeholder_label);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.scroll-down", NULL, scroll_down_action);
  gtk_widget_class_install_action (widget_class, "chat.retry", "t", retry_action);
}

static void
cr_chat_page_init (CrChatPage *self)
{
  GtkListItemFactory *factory;
  GtkEventController *keys;
  GtkEventController *scroll;
  GtkAdjustment *vadj;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->sticky = TRUE;

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (message_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (message_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (message_unbind_cb), self);
  gtk_list_view_set_factory (self->message_list, factory);
  g_object_unref (factory);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (member_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (member_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (member_unbind_cb), self);
  gtk_list_view_set_factory (self->member_list, factory);
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

  /* Capture phase: Enter must send before the text view makes it a new
   * line. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (on_entry_key_pressed),
                           self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);

  g_signal_connect_object (self->entry, "preedit-changed",
                           G_CALLBACK (on_entry_preedit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->entry), "changed",
                           G_CALLBACK (on_buffer_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->flap, "notify::reveal-flap",
                           G_CALLBACK (on_flap_notify_reveal), self, G_CONNECT_SWAPPED);

  update_actions (self);
}

GtkWidget *
cr_chat_page_new (void)
{
  return g_object_new (CR_TYPE_CHAT_PAGE, NULL);
}

CrClient *
cr_chat_page_get_client (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->client;
}

void
cr_chat_page_set_client (CrChatPage *self,
                         CrClient   *client)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (client == NULL || CR_IS_CLIENT (client));

  if (self->client == client)
    return;

  gtk_list_view_set_model (self->message_list, NULL);
  gtk_list_view_set_model (self->member_list, NULL);
  disconnect_client (self);
  g_clear_pointer (&self->owner_name, g_free);
  set_unseen (self, 0);
  self->sticky = TRUE;

  if (client != NULL)
    {
      g_autoptr(GtkNoSelection) messages = NULL;
      g_autoptr(GtkNoSelection) members = NULL;
      GtkSortListModel *sorted;

      self->client = g_object_ref (client);
      g_clear_pointer (&self->folded_name, g_free);
      if (cr_client_get_name (client) != NULL && cr_client_get_name (client)[0] != '\0')
        self->folded_name = g_utf8_casefold (cr_client_get_name (client), -1);

      g_signal_connect_object (client, "notify::state",
                               G_CALLBACK (on_client_notify_state), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::state",
                               G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
      {
        guint start, end;

        tail_range (self, cr_client_get_messages (client), &start, &end);
        self->shown = cr_message_range_new (cr_client_get_messages (client), start, end);
      }
      g_signal_connect_object (cr_client_get_messages (client), "items-changed",
                               G_CALLBACK (on_all_messages_items_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->shown, "items-changed",
                               G_CALLBACK (on_messages_items_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (cr_client_get_members (client), "items-changed",
                               G_CALLBACK (on_members_items_changed), self, G_CONNECT_SWAPPED);

      update_members (self);

      messages = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown)));
      gtk_list_view_set_model (self->message_list, GTK_SELECTION_MODEL (messages));

      /* The client keeps its list owner first already; sorting here keeps
       * that promise whatever order the members arrive in. */
      sorted = gtk_sort_list_model_new (g_object_ref (cr_client_get_members (client)),
                                        GTK_SORTER (gtk_custom_sorter_new (cr_member_compare,
                                                                           NULL, NULL)));
      members = gtk_no_selection_new (G_LIST_MODEL (sorted));
      gtk_list_view_set_model (self->member_list, GTK_SELECTION_MODEL (members));

      queue_pin_to_bottom (self);
    }

  update_state (self);
  update_actions (self);
}

gboolean
cr_chat_page_get_show_side (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  return adw_flap_get_reveal_flap (self->flap);
}

void
cr_chat_page_set_show_side (CrChatPage *self,
                            gboolean    show_side)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));

  /* AdwFlap notifies reveal-flap, which notifies show-side. */
  adw_flap_set_reveal_flap (self->flap, !!show_side);
}

void
cr_chat_page_set_owner_widget (CrChatPage *self,
                               GtkWidget  *widget)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (widget == NULL || GTK_IS_WIDGET (widget));

  if (self->owner_widget == widget)
    return;

  if (self->owner_widget != NULL)
    {
      gtk_stack_set_visible_child_name (self->side_stack, "members");
      gtk_stack_remove (self->side_stack, self->owner_widget);
      self->owner_widget = NULL;
    }

  if (widget != NULL)
    {
      self->owner_widget = widget;
      gtk_stack_add_named (self->side_stack, widget, "owner");
      gtk_stack_set_visible_child (self->side_stack, widget);
      adw_flap_set_reveal_flap (self->flap, TRUE);
    }
}

void
cr_chat_page_show_toast (CrChatPage *self,
                         const char *text)
{
  g_return_if_fail (CR_IS_CHAT_PAGE (self));
  g_return_if_fail (text != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
cr_chat_page_focus_entry (CrChatPage *self)
{

  g_return_if_fail (CR_IS_CHAT_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

/* --- for tests (cr-window-private.h) ------------------------------------ */

GtkTextView *
_cr_chat_page_get_entry (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->entry;
}

GtkListView *
_cr_chat_page_get_message_list (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return self->message_list;
}

GtkWidget *
_cr_chat_page_get_reconnect_banner (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), NULL);

  return GTK_WIDGET (self->reconnect_revealer);
}

gboolean
_cr_chat_page_get_sticky (CrChatPage *self)
{
  g_return_val_if_fail (CR_IS_CHAT_PAGE (self), FALSE);

  return self->sticky;
}
