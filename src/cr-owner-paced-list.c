/* cr-owner-paced-list.c
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's member list changes in bursts: a class of 500 signing in
 * reaches it as one splice (cr-member-list.c merges a burst). GTK 4.8's
 * list view handles a splice in one go, all of it on the window's thread:
 * bench-ui --host measured 50–125 ms for one burst of 500 joins or 200
 * leaves (bench/README.md, "bench-ui --host"), a stall the owner sees.
 * This model sits between the server's list and the view and hands a
 * burst on a slice at a time, one slice per idle after the frame.
 *
 * A slice is not a cut of the splice's range: that range spans every row
 * from the first change to the last, rows that stay included, and cutting
 * it would take rows off the screen and put them back. The change is
 * walked as the rows that stay (the same objects, in the same order in
 * both lists), those removed and those added; only removals and
 * additions are emitted, each contiguous run as one items-changed, so a
 * row that stays keeps its widget and the list view its scroll anchor.
 */

#define G_LOG_DOMAIN "cr-owner-paced-list"

#include "config.h"

#include "cr-owner-paced-list.h"

/* One change of the source, as the source said it; walked when its turn
 * comes (the items it removes are ours then, not before). */
typedef struct
{
  guint       position;
  guint       removed;
  GPtrArray  *added;      /* the source's items then, owned */

  /* while walked */
  gboolean    started;
  GPtrArray  *old;        /* the items it removes, owned */
  GHashTable *old_rest;   /* old items not walked yet (a set, borrowed) */
  GHashTable *new_rest;   /* added items not walked yet (a set, borrowed) */
  guint       i;          /* next of old */
  guint       j;          /* next of added */
  guint       at;         /* where in our items the walk is */
} Change;

struct _CrOwnerPacedList
{
  GObject     parent_instance;

  /* owned */
  GListModel *source;
  GPtrArray  *items;      /* what we show, owned */
  GQueue      changes;    /* Change, oldest first */
  guint       idle_id;
  guint       slice;
};

static void cr_owner_paced_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CrOwnerPacedList, cr_owner_paced_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      cr_owner_paced_list_model_init))

static void
change_free (Change *change)
{
  g_clear_pointer (&change->added, g_ptr_array_unref);
  g_clear_pointer (&change->old, g_ptr_array_unref);
  g_clear_pointer (&change->old_rest, g_hash_table_unref);
  g_clear_pointer (&change->new_rest, g_hash_table_unref);
  g_free (change);
}

static GHashTable *
set_of (GPtrArray *items)
{
  GHashTable *set = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < items->len; i++)
    g_hash_table_add (set, items->pdata[i]);
  return set;
}

static void
start_change (CrOwnerPacedList *self,
              Change           *change)
{
  g_assert (change->position + change->removed <= self->items->len);

  change->old = g_ptr_array_new_full (change->removed, g_object_unref);
  for (guint i = 0; i < change->removed; i++)
    g_ptr_array_add (change->old, g_object_ref (self->items->pdata[change->position + i]));
  change->old_rest = set_of (change->old);
  change->new_rest = set_of (change->added);
  change->at = change->position;
  change->started = TRUE;
}

static void
emit_run (CrOwnerPacedList *self,
          guint             position,
          guint             removed,
          guint             added)
{
  if (removed > 0 || added > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* Walks change on for at most budget removals and additions; returns how
 * many it made. An item in both lists stays where it is, unless the two
 * lists have it in another order (then it is removed and added again). */
static guint
walk_change (CrOwnerPacedList *self,
             Change           *change,
             guint             budget)
{
  guint used = 0;
  guint run_at = change->at, run_removed = 0, run_added = 0;

  while (used < budget && (change->i < change->old->len || change->j < change->added->len))
    {
      gpointer old = change->i < change->old->len ? change->old->pdata[change->i] : NULL;
      gpointer new = change->j < change->added->len ? change->added->pdata[change->j] : NULL;

      if (old != NULL && old == new)
        {
          emit_run (self, run_at, run_removed, run_added);
          g_hash_table_remove (change->old_rest, old);
          g_hash_table_remove (change->new_rest, new);
          change->i++;
          change->j++;
          change->at++;
          run_at = change->at;
          run_removed = run_added = 0;
        }
      else if (old != NULL && (new == NULL || !g_hash_table_contains (change->new_rest, old) ||
                               g_hash_table_contains (change->old_rest, new)))
        {
          /* Gone, or both further on in the other list (moved): removed. */
          g_assert (self->items->pdata[change->at] == old);
          g_ptr_array_remove_index (self->items, change->at);
          g_hash_table_remove (change->old_rest, old);
          change->i++;
          run_removed++;
          used++;
        }
      else
        {
          g_ptr_array_insert (self->items, change->at, g_object_ref (new));
          g_hash_table_remove (change->new_rest, new);
          change->j++;
          change->at++;
          run_added++;
          used++;
        }
    }
  emit_run (self, run_at, run_removed, run_added);
  return used;
}

/* One slice: at most self->slice removals and additions, oldest change
 * first. */
static void
apply_slice (CrOwnerPacedList *self)
{
  guint budget = self->slice;

  while (budget > 0 && !g_queue_is_empty (&self->changes))
    {
      Change *change = g_queue_peek_head (&self->changes);

      if (!change->started)
        start_change (self, change);
      budget -= walk_change (self, change, budget);
      if (change->i == change->old->len && change->j == change->added->len)
        change_free (g_queue_pop_head (&self->changes));
    }
}

static gboolean
on_idle (gpointer user_data)
{
  /* A view may drop its model from an items-changed handler: the list
   * (and the change being walked) lives until the slice is done. */
  g_autoptr(CrOwnerPacedList) self = g_object_ref (CR_OWNER_PACED_LIST (user_data));

  apply_slice (self);
  if (!g_queue_is_empty (&self->changes))
    return G_SOURCE_CONTINUE;
  self->idle_id = 0;
  return G_SOURCE_REMOVE;
}

static void
on_source_items_changed (GListModel       *source,
                         guint             position,
                         guint             removed,
                         guint             added,
                         CrOwnerPacedList *self)
{
  Change *change;

  /* A small change with nothing waiting: at once, as the source made it
   * (a kick shows without a turn of the loop). */
  if (g_queue_is_empty (&self->changes) && removed + added <= self->slice)
    {
      g_ptr_array_remove_range (self->items, position, removed);
      for (guint i = 0; i < added; i++)
        g_ptr_array_insert (self->items, position + i, g_list_model_get_item (source, position + i));
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  change = g_new0 (Change, 1);
  change->position = position;
  change->removed = removed;
  change->added = g_ptr_array_new_full (added, g_object_unref);
  for (guint i = 0; i < added; i++)
    g_ptr_array_add (change->added, g_list_model_get_item (source, position + i));
  g_queue_push_tail (&self->changes, change);

  if (self->idle_id == 0)
    {
      self->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, on_idle, self, NULL);
      g_source_set_name_by_id (self->idle_id, "[chatroom] paced list slice");
    }
}

static GType
cr_owner_paced_list_get_item_type (GListModel *model)
{
  CrOwnerPacedList *self = CR_OWNER_PACED_LIST (model);

  return g_list_model_get_item_type (self->source);
}

static guint
cr_owner_paced_list_get_n_items (GListModel *model)
{
  CrOwnerPacedList *self = CR_OWNER_PACED_LIST (model);

  return self->items->len;
}

static gpointer
cr_owner_paced_list_get_item (GListModel *model,
                              guint       position)
{
  CrOwnerPacedList *self = CR_OWNER_PACED_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (self->items->pdata[position]);
}

static void
cr_owner_paced_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = cr_owner_paced_list_get_item_type;
  iface->get_n_items = cr_owner_paced_list_get_n_items;
  iface->get_item = cr_owner_paced_list_get_item;
}

static void
cr_owner_paced_list_dispose (GObject *object)
{
  CrOwnerPacedList *self = CR_OWNER_PACED_LIST (object);

  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_queue_clear_full (&self->changes, (GDestroyNotify) change_free);
  if (self->source != NULL)
    g_signal_handlers_disconnect_by_func (self->source, on_source_items_changed, self);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (cr_owner_paced_list_parent_class)->dispose (object);
}

static void
cr_owner_paced_list_finalize (GObject *object)
{
  CrOwnerPacedList *self = CR_OWNER_PACED_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (cr_owner_paced_list_parent_class)->finalize (object);
}

static void
cr_owner_paced_list_class_init (CrOwnerPacedListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cr_owner_paced_list_dispose;
  object_class->finalize = cr_owner_paced_list_finalize;
}

static void
cr_owner_paced_list_init (CrOwnerPacedList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->changes);
  self->slice = CR_OWNER_PACED_LIST_SLICE;
}

/**
 * cr_owner_paced_list_new:
 * @source: the list to follow
 *
 * Returns: (transfer full): a list of @source's items, now and as it
 * changes.
 */
CrOwnerPacedList *
cr_owner_paced_list_new (GListModel *source)
{
  CrOwnerPacedList *self;
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (source), NULL);

  self = g_object_new (CR_TYPE_OWNER_PACED_LIST, NULL);
  self->source = g_object_ref (source);
  n = g_list_model_get_n_items (source);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (self->items, g_list_model_get_item (source, i));
  g_signal_connect (source, "items-changed", G_CALLBACK (on_source_items_changed), self);
  return self;
}

GListModel *
cr_owner_paced_list_get_source (CrOwnerPacedList *self)
{
  g_return_val_if_fail (CR_IS_OWNER_PACED_LIST (self), NULL);

  return self->source;
}

guint
cr_owner_paced_list_get_slice (CrOwnerPacedList *self)
{
  g_return_val_if_fail (CR_IS_OWNER_PACED_LIST (self), 0);

  return self->slice;
}

void
cr_owner_paced_list_set_slice (CrOwnerPacedList *self,
                               guint             slice)
{
  g_return_if_fail (CR_IS_OWNER_PACED_LIST (self));
  g_return_if_fail (slice > 0);

  self->slice = slice;
}

guint
cr_owner_paced_list_get_pending (CrOwnerPacedList *self)
{
  g_return_val_if_fail (CR_IS_OWNER_PACED_LIST (self), 0);

  return g_queue_get_length (&self->changes);
}

void
cr_owner_paced_list_flush (CrOwnerPacedList *self)
{
  g_return_if_fail (CR_IS_OWNER_PACED_LIST (self));

  while (!g_queue_is_empty (&self->changes))
    apply_slice (self);
  g_clear_handle_id (&self->idle_id, g_source_remove);
}
