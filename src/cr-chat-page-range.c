/* cr-chat-page-range.c: CrMessageRange, the window of messages the chat
 * page's list shows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GListModel of messages [start, end) of another model. The list never
 * sees the whole history, only this window (why: cr-chat-page-messages.c).
 * It changes its top and its bottom as separate items-changed, so rows
 * that stay keep their widgets (CrMessageRow makes rebinding the message
 * it shows cheap).
 */
#define G_LOG_DOMAIN "cr-chat-page"

#include "config.h"

#include "cr-message.h"
#include "cr-chat-page-private.h"

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

CrMessageRange *
_cr_message_range_new (GListModel *model,
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
void
_cr_message_range_set (CrMessageRange *self,
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

/* Show [start, end) afresh, as one items-changed: the model changed under
 * the old window (anything but an append). */
void
_cr_message_range_reset (CrMessageRange *self,
                         guint           start,
                         guint           end)
{
  guint old = self->end - self->start;

  self->start = start;
  self->end = end;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, end - start);
}

/* Rebind the model's items [first, first + n) that the range shows
 * (their look depends on their neighbours: a burst of join lines). */
void
_cr_message_range_refresh (CrMessageRange *self,
                           guint           first,
                           guint           n)
{
  guint from = MAX (first, self->start);
  guint to = MIN (first + n, self->end);

  if (from >= to)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), from - self->start, to - from, to - from);
}
