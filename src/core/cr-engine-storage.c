/* cr-engine-storage.c: the engine's writes, and what it says when they fail
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the owner and the members are told is in cr-engine.h. A committed
 * event is delivered at once and queued in storage->unsaved; the outermost
 * entry point (receive, tick, or a commit outside them) writes the queue in
 * one transaction before it returns, so before anything it produced is
 * sent: a member's message is never acknowledged ahead of its write. A
 * failed write leaves the queue as it is, to be written on a later tick.
 * The file's identity is compared at each write and every few seconds on
 * tick. Policy when it changed: a deleted file is written back from the
 * connection that still reads it (cr_store_recreate: history, accounts,
 * bans and all) and the room continues on the copy; a replaced one is left
 * alone (it may be a backup someone restored) and the room stays failing,
 * in memory, until it is restarted on whichever file is there.
 * Sequence numbers come from the store's reserve (cr_store_get_seq_floor):
 * they are never reused across a restart unless an outage outlasts
 * CR_STORE_SEQ_RESERVE / 2 events and the room then dies before the disk
 * comes back.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cr-engine-private.h"

#define UNSAVED_MAX         20000       /* events kept while the disk fails (~ 5 MB) */
#define STORAGE_RETRY_US    (1 * G_TIME_SPAN_SECOND)   /* a failing disk, again */
#define STORAGE_CHECK_US    (5 * G_TIME_SPAN_SECOND)   /* the file's identity, when idle */

/* A ban or its lifting, waiting to be written. */
typedef struct {
  char     *fold;
  char     *name;
  gboolean  banned;
} BanChange;

struct _CrEngineStorage {
  CrEngineStorageFunc func;
  gpointer            data;
  gboolean            failing;       /* a write failed, or the file went away */
  CrStoreDamage       damage;        /* unreadable accounts or bans: nobody is admitted */
  char               *problem;       /* what the owner was told, while not ok */
  gboolean            told_members;  /* the "not being saved" announcement went out */
  GQueue              unsaved;       /* CrEvent*, oldest first */
  GQueue              bans;          /* BanChange*, oldest first */
  guint               lost;          /* dropped from a full queue */
  guint               depth;         /* > 0: inside a batch, its end writes */
  gint64              next_retry;    /* mono µs, while failing */
  gint64              next_check;    /* mono µs, while ok */
};

static void
ban_change_free (BanChange *change)
{
  g_free (change->fold);
  g_free (change->name);
  g_free (change);
}

static gboolean
storage_is_ok (CrEngine *self)
{
  return !self->storage->failing && self->storage->damage == CR_STORE_DAMAGE_NONE;
}

/* The events the store does not have yet belong to the history too: after
 * what the store gave (oldest first), within limit. */
void
_cr_engine_storage_merge (CrEngine  *self,
               GPtrArray *events,
               guint64    after_seq,
               guint      limit)
{
  guint64 last = events->len > 0 ? ((CrEvent *) events->pdata[events->len - 1])->seq : after_seq;

  for (GList *l = self->storage->unsaved.head; l != NULL; l = l->next)
    {
      CrEvent *event = l->data;

      if (event->seq <= last)
        continue;
      if (after_seq > 0 && events->len >= limit)
        break;
      g_ptr_array_add (events, cr_event_copy (event));
    }
  /* The newest limit. */
  if (after_seq == 0 && events->len > limit)
    g_ptr_array_remove_range (events, 0, events->len - limit);
}

static void
storage_tell_owner (CrEngine   *self,
                    const char *message)
{
  g_debug ("Storage %s: %s", storage_is_ok (self) ? "ok" : "failing", message);
  if (self->storage->func != NULL)
    self->storage->func (storage_is_ok (self), message, self->storage->data);
}

/* One announcement to the members: history is (not) being saved. Queued
 * like any event; the caller writes it or leaves it for the next try. */
static void
storage_tell_members (CrEngine     *self,
                      gboolean      saving,
                      CrEngineTime  now,
                      GPtrArray    *out)
{
  g_autoptr(CrEvent) event = NULL;
  CrReason reason = CR_REASON_NONE;

  event = cr_room_announce (self->room, cr_classic_format_storage (self->classic, saving),
                            now.wall, &reason);
  if (event != NULL)
    _cr_engine_commit_event (self, event, now, out);
}

/* Writes the queued events (one transaction) and ban changes. */
static gboolean
storage_write (CrEngine  *self,
               guint     *written,
               GError   **error)
{
  CrEngineStorage *st = self->storage;
  g_autofree CrEvent **events = NULL;
  guint n = st->unsaved.length, i = 0;

  if (n > 0)
    {
      events = g_new (CrEvent *, n);
      for (GList *l = st->unsaved.head; l != NULL; l = l->next)
        events[i++] = l->data;
      if (!cr_store_append_events (self->store, events, n,
                                   cr_room_get_last_seq (self->room), error))
        return FALSE;
      g_queue_clear_full (&st->unsaved, (GDestroyNotify) cr_event_free);
      *written += n;
    }

  while (!g_queue_is_empty (&st->bans))
    {
      BanChange *change = g_queue_peek_head (&st->bans);

      if (!cr_store_set_banned (self->store, change->fold, change->name, change->banned, error))
        return FALSE;
      ban_change_free (g_queue_pop_head (&st->bans));
    }
  return TRUE;
}

/* Not ok from now on (the owner is told once); members are told once that
 * history is not being saved while there are events it lacks. */
static void
storage_fail (CrEngine     *self,
              char         *problem,        /* takes */
              gboolean      tell_members,
              CrEngineTime  now,
              GPtrArray    *out)
{
  CrEngineStorage *st = self->storage;

  self->stats.store_errors++;
  st->next_retry = now.mono + STORAGE_RETRY_US;
  if (!st->failing)
    {
      st->failing = TRUE;
      g_free (st->problem);
      st->problem = problem;
      storage_tell_owner (self, st->problem);
    }
  else
    g_free (problem);

  if (tell_members && !st->told_members && !g_queue_is_empty (&st->unsaved))
    {
      st->told_members = TRUE;
      storage_tell_members (self, FALSE, now, out);
    }
}

static void
storage_recover (CrEngine     *self,
                 guint         written,
                 gboolean      recreated,
                 CrEngineTime  now,
                 GPtrArray    *out)
{
  CrEngineStorage *st = self->storage;
  g_autofree char *message = NULL;

  st->failing = FALSE;
  g_clear_pointer (&st->problem, g_free);
  st->next_check = now.mono + STORAGE_CHECK_US;
  if (st->told_members)
    {
      g_autoptr(GError) error = NULL;

      st->told_members = FALSE;
      storage_tell_members (self, TRUE, now, out);
      /* It is written now, or with the next batch. */
      storage_write (self, &written, &error);
    }

  if (recreated)
    /* Translators: %s is the path of the room's database file */
    message = g_strdup_printf (_("The room wrote its copy of the database back to %s: "
                                 "history, accounts and bans are kept."),
                               cr_store_get_path (self->store));
  else
    /* Translators: the room's database accepts writes again after a failure */
    message = g_strdup_printf (ngettext ("Storage works again: %u event written.",
                                         "Storage works again: %u events written.", written),
                               written);
  if (st->lost > 0)
    {
      g_autofree char *lost = NULL;
      char *both;

      lost = g_strdup_printf (ngettext ("%u older event did not fit in memory and is lost.",
                                        "%u older events did not fit in memory and are lost.",
                                        st->lost),
                              st->lost);
      both = g_strconcat (message, " ", lost, NULL);
      g_free (message);
      message = both;
    }
  st->lost = 0;
  if (st->damage != CR_STORE_DAMAGE_NONE)
    return;   /* the accounts or bans are still unreadable: that stays the news */
  storage_tell_owner (self, message);
}

static void
storage_note_damage (CrEngine *self)
{
  CrEngineStorage *st = self->storage;
  CrStoreDamage damage = cr_store_get_damage (self->store);

  if (damage == st->damage)
    return;
  st->damage = damage;
  g_free (st->problem);
  /* Translators: %s is the path of the room's database file */
  st->problem = g_strdup_printf (_("The accounts or bans in %s cannot be read (the file is "
                                   "damaged): the room admits nobody until the file is "
                                   "repaired or moved away."),
                                 cr_store_get_path (self->store));
  storage_tell_owner (self, st->problem);
}

/* The end of a batch: write what it committed, or keep it and say so. */
static void
storage_sync (CrEngine     *self,
              CrEngineTime  now,
              GPtrArray    *out)
{
  CrEngineStorage *st = self->storage;
  g_autoptr(GError) error = NULL;
  gboolean recreated = FALSE;
  guint written = 0;

  if (self->store == NULL)
    return;
  storage_note_damage (self);
  if (st->failing ? now.mono < st->next_retry
                  : (g_queue_is_empty (&st->unsaved) && g_queue_is_empty (&st->bans) &&
                     now.mono < st->next_check))
    return;

  st->depth++;   /* what this says to the members is queued, not written again */
  switch (cr_store_check_file (self->store))
    {
    case CR_STORE_FILE_MISSING:
      /* Translators: %s is the path of the room's database file */
      storage_fail (self, g_strdup_printf (_("The database %s was deleted while the room was "
                                             "running."), cr_store_get_path (self->store)),
                    FALSE, now, out);
      if (!cr_store_recreate (self->store, &error))
        {
          storage_fail (self, NULL, TRUE, now, out);
          g_debug ("%s", error->message);
          goto done;
        }
      recreated = TRUE;
      break;

    case CR_STORE_FILE_REPLACED:
      /* Translators: %s is the path of the room's database file */
      storage_fail (self, g_strdup_printf (_("The database %s was replaced or cannot be "
                                             "reached: the room keeps its history in memory "
                                             "and writes nothing to that file until it is "
                                             "restarted."), cr_store_get_path (self->store)),
                    TRUE, now, out);
      goto done;

    case CR_STORE_FILE_OK:
    default:
      break;
    }

  if (!storage_write (self, &written, &error))
    {
      /* Translators: %s is what the database said (a full disk, …) */
      storage_fail (self, g_strdup_printf (_("History is not being saved: %s. Messages are "
                                             "still delivered; the room writes them when the "
                                             "disk works again."), error->message),
                    TRUE, now, out);
      goto done;
    }
  st->next_check = now.mono + STORAGE_CHECK_US;
  if (st->failing)
    storage_recover (self, written, recreated, now, out);

done:
  st->depth--;
}

void
_cr_engine_storage_begin (CrEngine *self)
{
  self->storage->depth++;
}

void
_cr_engine_storage_end (CrEngine     *self,
                        CrEngineTime  now,
                        GPtrArray    *out)
{
  if (--self->storage->depth == 0)
    {
      storage_sync (self, now, out);
      _cr_engine_fanout_flush (self, now, out);
    }
}

/* The store's accounts or bans are unreadable: a JOIN is refused whatever
 * it asks (a native one once its address is proven, else it gets the
 * cookie as usual). TRUE when the datagram was such a JOIN. */
gboolean
_cr_engine_storage_refuse_join (CrEngine              *self,
                                const guint8          *data,
                                gsize                  len,
                                GSocketAddress        *from,
                                const CrEngineAddrKey *key,
                                CrEngineTime           now,
                                GPtrArray             *out)
{
  if (self->storage->damage == CR_STORE_DAMAGE_NONE)
    return FALSE;
  if (cr_protocol_is_native (data, len))
    {
      CrHeader header;
      const guint8 *body;
      gsize body_len;

      if (cr_header_parse (data, len, &header, &body, &body_len) != CR_PARSE_OK ||
          header.type != CR_PACKET_JOIN || header.ack != _cr_engine_address_cookie (self, key))
        return FALSE;
      _cr_engine_refuse (self, out, from, CR_REASON_INTERNAL);
      return TRUE;
    }
  else
    {
      g_autofree char *name = NULL;
      g_autofree char *text = NULL;

      if (cr_classic_parse (data, len, &name, &text) != CR_CLASSIC_JOIN)
        return FALSE;
      if (_cr_engine_unverified_allow (self, key, now.mono))
        _cr_engine_emit_text (self, out, from,
                              cr_classic_format_reason (self->classic, CR_REASON_INTERNAL));
      return TRUE;
    }
}


void
_cr_engine_storage_init (CrEngine *self)
{
  self->storage = g_new0 (CrEngineStorage, 1);
  g_queue_init (&self->storage->unsaved);
  g_queue_init (&self->storage->bans);
}

void
_cr_engine_storage_clear (CrEngine *self)
{
  CrEngineStorage *st = self->storage;

  /* A last try; a room that stops with everything written gives back the
   * sequence numbers it reserved and did not use (the store keeps them
   * otherwise). */
  if (self->store != NULL)
    {
      g_autoptr(GError) error = NULL;
      guint written = 0;

      if (cr_store_check_file (self->store) == CR_STORE_FILE_OK)
        storage_write (self, &written, &error);
      g_clear_error (&error);
      cr_store_release_seqs (self->store, cr_room_get_last_seq (self->room), &error);
      if (error != NULL)
        g_debug ("%s", error->message);
    }
  g_queue_clear_full (&st->unsaved, (GDestroyNotify) cr_event_free);
  g_queue_clear_full (&st->bans, (GDestroyNotify) ban_change_free);
  g_free (st->problem);
  g_clear_pointer (&self->storage, g_free);
}

void
_cr_engine_storage_queue (CrEngine      *self,
                          const CrEvent *event)
{
  CrEngineStorage *st = self->storage;

  if (self->store == NULL)
    return;
  g_queue_push_tail (&st->unsaved, cr_event_copy (event));
  if (st->unsaved.length > UNSAVED_MAX)
    {
      cr_event_free (g_queue_pop_head (&st->unsaved));
      st->lost++;
    }
}

CrEvent *
_cr_engine_storage_find_unsaved (CrEngine *self,
                                 guint64   seq)
{
  for (GList *l = self->storage->unsaved.tail; l != NULL; l = l->prev)
    {
      CrEvent *event = l->data;

      if (event->seq == seq)
        return event;
      if (event->seq < seq)
        break;
    }
  return NULL;
}

void
_cr_engine_storage_queue_ban (CrEngine   *self,
                              const char *fold,
                              const char *name,
                              gboolean    banned)
{
  BanChange *change;

  if (self->store == NULL)
    return;
  change = g_new0 (BanChange, 1);
  change->fold = g_strdup (fold);
  change->name = g_strdup (name);
  change->banned = banned;
  g_queue_push_tail (&self->storage->bans, change);
}

void
_cr_engine_storage_committed (CrEngine     *self,
                              CrEngineTime  now,
                              GPtrArray    *out)
{
  if (self->storage->depth == 0)
    {
      storage_sync (self, now, out);
      _cr_engine_fanout_flush (self, now, out);
    }
}

void
_cr_engine_storage_check_damage (CrEngine *self)
{
  storage_note_damage (self);
}

gint64
_cr_engine_storage_next_deadline (CrEngine *self)
{
  if (self->store == NULL)
    return G_MAXINT64;
  return self->storage->failing ? self->storage->next_retry : self->storage->next_check;
}

/* Public API */

void
cr_engine_begin_batch (CrEngine *self)
{
  g_return_if_fail (self != NULL);
  _cr_engine_storage_begin (self);
}

void
cr_engine_end_batch (CrEngine     *self,
                     CrEngineTime  now,
                     GPtrArray    *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->storage->depth > 0);
  _cr_engine_storage_end (self, now, out);
}

void
cr_engine_set_storage_func (CrEngine            *self,
                            CrEngineStorageFunc  func,
                            gpointer             user_data)
{
  g_return_if_fail (self != NULL);
  self->storage->func = func;
  self->storage->data = user_data;
}

gboolean
cr_engine_get_storage_ok (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return storage_is_ok (self);
}

const char *
cr_engine_get_storage_problem (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return storage_is_ok (self) ? NULL : self->storage->problem;
}

guint
cr_engine_get_n_unsaved (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->storage->unsaved.length;
}
