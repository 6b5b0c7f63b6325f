/* cr-protocol-events.c: EVENT and BATCH bodies to CrEvents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A member reads every event the room sends, and a busy room sends many
 * (cr-protocol.h: BATCH), so reading them is a member's main cost. Two
 * ways, one answer:
 *
 * - through GLib (cr_body_parse, then the GVariant's children): takes any
 *   normal form, and decides everything;
 * - in place: the bytes of the usual shape (every extra a "t", "b" or "s")
 *   read where they are, with the checks of GVariant's normal form
 *   (framing offsets in bounds and in order, zero padding, tuples,
 *   arrays and variants of exactly their size, strings valid UTF-8
 *   ending in their only NUL) and no allocation but the event's own.
 *
 * The in-place reader only ever says "this is the event" or "not sure":
 * anything it does not take, malformed or merely unusual, goes the GLib
 * way, which then accepts or refuses it as before. So it may be
 * incomplete, never more lenient: tests/test-protocol.c and
 * fuzz/fuzz-protocol.c check that whatever it takes, GLib takes too, as
 * the same event.
 */
#define G_LOG_DOMAIN "cr-protocol"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"
#include "cr-protocol-private.h"

/* One entry of an event's extras, whichever way it was read. type is the
 * value's GVariant type when it is "t", "b" or "s", else 0. */
typedef struct
{
  const char *key;
  char        type;
  guint64     number;   /* t, b */
  const char *string;   /* s */
} Extra;

/* A short single line without control characters: a quoted name or line. */
static gboolean
extra_line_ok (const char *s,
               gsize       max)
{
  return strlen (s) <= max && strchr (s, '\n') == NULL &&
         (*s == '\0' || cr_text_validate (s, -1) == CR_REASON_NONE);
}

static void
replace (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* What an extra means (cr-protocol.h): a known key of the known type, or
 * FALSE (the whole event is refused); any other key is from a newer room
 * and ignored. */
static gboolean
extra_apply (CrEvent     *event,
             const Extra *extra)
{
  const char *key = extra->key;

  if (g_str_equal (key, "ref"))
    {
      if (extra->type != 't')
        return FALSE;
      event->ref_seq = extra->number;
    }
  else if (g_str_equal (key, "recalled"))
    {
      if (extra->type != 'b')
        return FALSE;
      event->recalled = extra->number != 0;
    }
  else if (g_str_equal (key, "quote-name"))
    {
      if (extra->type != 's' || !extra_line_ok (extra->string, CR_NAME_MAX_BYTES))
        return FALSE;
      replace (&event->quote_name, extra->string);
    }
  else if (g_str_equal (key, "quote-text"))
    {
      if (extra->type != 's' || !extra_line_ok (extra->string, CR_QUOTE_MAX_BYTES))
        return FALSE;
      replace (&event->quote_text, extra->string);
    }
  else if (g_str_equal (key, "to"))
    {
      if (extra->type != 's' || cr_name_validate (extra->string, -1, NULL) != CR_REASON_NONE)
        return FALSE;
      replace (&event->target, extra->string);
    }
  else if (g_str_equal (key, "by"))
    {
      /* A name, as "to": the admin who kicked, banned or muted. */
      if (extra->type != 's' || cr_name_validate (extra->string, -1, NULL) != CR_REASON_NONE)
        return FALSE;
      replace (&event->actor, extra->string);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Through GLib                                                       */

static gboolean
event_extras_apply (CrEvent  *event,
                    GVariant *extras)
{
  gsize n = g_variant_n_children (extras);

  if (n > CR_EVENT_EXTRAS_MAX)
    return FALSE;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (extras, i);
      g_autoptr(GVariant) key = g_variant_get_child_value (entry, 0);
      g_autoptr(GVariant) boxed = g_variant_get_child_value (entry, 1);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      Extra extra = { g_variant_get_string (key, NULL), 0, 0, NULL };

      if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
        {
          extra.type = 't';
          extra.number = g_variant_get_uint64 (value);
        }
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        {
          extra.type = 'b';
          extra.number = g_variant_get_boolean (value);
        }
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          extra.type = 's';
          extra.string = g_variant_get_string (value, NULL);
        }
      if (!extra_apply (event, &extra))
        return FALSE;
    }
  return TRUE;
}

/* v: an EVENT body, or one event of a PAGE or RESULTS, as cr_body_parse
 * accepted it. Its children read by index: no format string to scan. */
static CrEvent *
event_from_variant (GVariant *v)
{
  g_autoptr(GVariant) seq = g_variant_get_child_value (v, 0);
  g_autoptr(GVariant) time_us = g_variant_get_child_value (v, 1);
  g_autoptr(GVariant) kind = g_variant_get_child_value (v, 2);
  g_autoptr(GVariant) name = g_variant_get_child_value (v, 3);
  g_autoptr(GVariant) text = g_variant_get_child_value (v, 4);
  g_autoptr(GVariant) origin = g_variant_get_child_value (v, 5);
  g_autoptr(GVariant) extras = g_variant_get_child_value (v, 6);
  g_autoptr(CrEvent) event = NULL;

  event = cr_event_new (g_variant_get_uint64 (seq), g_variant_get_int64 (time_us),
                        (CrEventKind) g_variant_get_uint32 (kind),
                        g_variant_get_string (name, NULL), g_variant_get_string (text, NULL),
                        g_variant_get_uint64 (origin));
  if (!event_extras_apply (event, extras))
    return NULL;
  return g_steal_pointer (&event);
}

CrEvent *
cr_event_from_body (GVariant *body)
{
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (g_variant_is_of_type (body, cr_packet_body_type (CR_PACKET_EVENT)), NULL);

  return event_from_variant (body);
}

GPtrArray *
cr_events_from_body (CrPacketType  type,
                     GVariant     *body,
                     guint64      *head,
                     gboolean     *flag)
{
  g_autoptr(GVariant) array = NULL;
  g_autoptr(GPtrArray) events = NULL;
  guint max;
  gsize n;

  g_return_val_if_fail (type == CR_PACKET_PAGE || type == CR_PACKET_RESULTS, NULL);
  g_return_val_if_fail (g_variant_is_of_type (body, cr_packet_body_type (type)), NULL);

  if (type == CR_PACKET_PAGE)
    {
      g_variant_get (body, "(tb@a(txussta{sv}))", head, flag, &array);
      max = CR_PAGE_MAX;
    }
  else
    {
      guint32 request;

      g_variant_get (body, "(ub@a(txussta{sv}))", &request, flag, &array);
      *head = request;
      max = CR_SEARCH_MAX_RESULTS;
    }
  n = g_variant_n_children (array);
  if (n > max)
    return NULL;
  events = g_ptr_array_new_full (n, (GDestroyNotify) cr_event_free);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (array, i);
      CrEvent *event = event_from_variant (child);

      if (event == NULL)
        return NULL;
      g_ptr_array_add (events, event);
    }
  return g_steal_pointer (&events);
}

/* ------------------------------------------------------------------ */
/* In place                                                           */

/* Bytes of a container and where we are in them. Offsets are relative to
 * the container's start, as GVariant's alignment is. */
typedef struct
{
  const guint8 *data;
  gsize         size;
} Span;

/* The framing offsets' width for a container of this size
 * (gvs_get_offset_size); bodies here are far below 4 GiB. */
static gsize
offset_width (gsize size)
{
  if (size > G_MAXUINT16)
    return 4;
  if (size > G_MAXUINT8)
    return 2;
  return size > 0 ? 1 : 0;
}

static gsize
read_offset (const guint8 *p,
             gsize         width)
{
  gsize value = 0;

  /* Framing offsets are little-endian whatever the machine. */
  for (gsize i = 0; i < width; i++)
    value |= (gsize) p[i] << (8 * i);
  return value;
}

/* From *offset up to the next multiple of 8, every byte must be 0 and
 * inside limit. */
static gboolean
pad_to_8 (Span   s,
          gsize *offset,
          gsize  limit)
{
  gsize aligned = (*offset + 7) & ~(gsize) 7;

  if (aligned > limit)
    return FALSE;
  for (gsize i = *offset; i < aligned; i++)
    if (s.data[i] != 0)
      return FALSE;
  *offset = aligned;
  return TRUE;
}

/* A string in normal form: valid UTF-8, its only NUL the last byte. */
static gboolean
string_ok (const guint8 *p,
           gsize         size)
{
  return size >= 1 && p[size - 1] == '\0' &&
         g_utf8_validate_len ((const char *) p, size - 1, NULL);
}

/* A member that ends at a framing offset (not the container's last): the
 * next offset from the end, which must lie between start and the
 * offsets already read. */
static gboolean
take_offset (Span   s,
             gsize  width,
             gsize *offsets_at,
             gsize  start,
             gsize *end)
{
  if (*offsets_at < width || *offsets_at - width < start)
    return FALSE;
  *offsets_at -= width;
  *end = read_offset (s.data + *offsets_at, width);
  return *end >= start && *end <= *offsets_at;
}

/* A {sv} of the usual shape: the key a string, the value a variant of
 * "t", "b" or "s" (variant: the value's bytes, a NUL, its type). */
static gboolean
read_extra (Span   s,
            Extra *extra)
{
  gsize width = offset_width (s.size);
  gsize offsets_at = s.size;
  gsize key_end, at;
  const guint8 *v;
  gsize v_size;

  if (!take_offset (s, width, &offsets_at, 0, &key_end) || !string_ok (s.data, key_end))
    return FALSE;
  at = key_end;
  if (!pad_to_8 (s, &at, offsets_at))
    return FALSE;
  v = s.data + at;
  v_size = offsets_at - at;
  if (v_size < 2 || v[v_size - 2] != '\0')
    return FALSE;

  extra->key = (const char *) s.data;
  extra->type = v[v_size - 1];
  v_size -= 2;
  switch (extra->type)
    {
    case 't':
      if (v_size != 8)
        return FALSE;
      memcpy (&extra->number, v, 8);   /* GVariant's numbers are in host order */
      return TRUE;
    case 'b':
      if (v_size != 1 || v[0] > 1)
        return FALSE;
      extra->number = v[0];
      return TRUE;
    case 's':
      if (!string_ok (v, v_size))
        return FALSE;
      extra->string = (const char *) v;
      return TRUE;
    default:
      return FALSE;
    }
}

/* An a{sv} of at most CR_EVENT_EXTRAS_MAX entries of the usual shape. */
static gboolean
read_extras (Span   s,
             Extra *extras,
             gsize *n_extras)
{
  gsize width = offset_width (s.size);
  gsize last_end, n, at = 0;

  *n_extras = 0;
  if (s.size == 0)
    return TRUE;
  if (s.size < width)
    return FALSE;
  last_end = read_offset (s.data + s.size - width, width);
  if (last_end > s.size || (s.size - last_end) % width != 0)
    return FALSE;
  n = (s.size - last_end) / width;
  if (n == 0 || n > CR_EVENT_EXTRAS_MAX)
    return FALSE;

  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (s.data + last_end + i * width, width);

      if (end > last_end || !pad_to_8 (s, &at, end) ||
          !read_extra ((Span) { s.data + at, end - at }, &extras[i]))
        return FALSE;
      at = end;
    }
  if (at != last_end)
    return FALSE;
  *n_extras = n;
  return TRUE;
}

gboolean
_cr_event_read_in_place (const guint8  *body,
                         gsize          len,
                         CrEvent      **event)
{
  Span s = { body, len };
  gsize width = offset_width (len);
  gsize offsets_at = len;
  gsize name_end, text_end, at;
  guint64 seq, origin;
  gint64 time_us;
  guint32 kind;
  Extra extras[CR_EVENT_EXTRAS_MAX];
  gsize n_extras;
  g_autoptr(CrEvent) parsed = NULL;

  g_return_val_if_fail (event != NULL, FALSE);
  *event = NULL;

  /* (txussta{sv}): t, x and u fixed at 0, 8 and 16; the two strings end
   * at the last two framing offsets; t after padding to 8; the extras
   * (alignment 8) up to the offsets. */
  if (body == NULL || len < 20 || len > G_MAXUINT32)
    return FALSE;
  if (!take_offset (s, width, &offsets_at, 20, &name_end) || !string_ok (body + 20, name_end - 20))
    return FALSE;
  if (!take_offset (s, width, &offsets_at, name_end, &text_end) ||
      !string_ok (body + name_end, text_end - name_end))
    return FALSE;
  at = text_end;
  if (!pad_to_8 (s, &at, len) || at + 8 > offsets_at)
    return FALSE;
  memcpy (&origin, body + at, 8);
  at += 8;
  if (!read_extras ((Span) { body + at, offsets_at - at }, extras, &n_extras))
    return FALSE;

  memcpy (&seq, body, 8);
  memcpy (&time_us, body + 8, 8);
  memcpy (&kind, body + 16, 4);
  parsed = cr_event_new (seq, time_us, (CrEventKind) kind, (const char *) body + 20,
                         (const char *) body + name_end, origin);
  /* In normal form: what the extras say decides, as through GLib. */
  for (gsize i = 0; i < n_extras; i++)
    if (!extra_apply (parsed, &extras[i]))
      return TRUE;
  *event = g_steal_pointer (&parsed);
  return TRUE;
}

CrParseResult
cr_event_parse (const guint8  *body,
                gsize          len,
                CrEvent      **event)
{
  g_autoptr(GVariant) value = NULL;

  g_return_val_if_fail (event != NULL, CR_PARSE_BAD_BODY);
  *event = NULL;

  if (_cr_event_read_in_place (body, len, event))
    return CR_PARSE_OK;
  value = cr_body_parse (CR_PACKET_EVENT, body, len);
  if (value == NULL)
    return CR_PARSE_BAD_BODY;
  *event = event_from_variant (value);
  return CR_PARSE_OK;
}

/* ------------------------------------------------------------------ */
/* BATCH                                                              */

static void
batch_item_free (CrBatchItem *item)
{
  g_clear_pointer (&item->body, g_variant_unref);
  g_free (item);
}

CrParseResult
cr_batch_parse (const guint8  *body,
                gsize          len,
                GPtrArray    **items)
{
  g_autoptr(GVariant) batch = cr_body_parse (CR_PACKET_BATCH, body, len);
  g_autoptr(GPtrArray) parsed = NULL;
  gsize n;

  g_return_val_if_fail (items != NULL, CR_PARSE_BAD_BODY);
  *items = NULL;

  if (batch == NULL)
    return CR_PARSE_BAD_BODY;
  n = g_variant_n_children (batch);
  if (n == 0)
    return CR_PARSE_TOO_SHORT;
  if (n > CR_BATCH_ITEMS_MAX)
    return CR_PARSE_TOO_LONG;

  parsed = g_ptr_array_new_full (n, (GDestroyNotify) batch_item_free);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) inner = NULL;
      CrBatchItem *item;
      guint8 type;
      gsize inner_len;
      const guint8 *inner_data;

      g_variant_get_child (batch, i, "(y@ay)", &type, &inner);
      if (!cr_batch_inner_allowed (type))
        return CR_PARSE_BAD_TYPE;
      inner_data = g_variant_get_fixed_array (inner, &inner_len, 1);
      item = g_new0 (CrBatchItem, 1);
      item->type = type;
      item->body = cr_body_parse (type, inner_data, inner_len);
      g_ptr_array_add (parsed, item);
      if (item->body == NULL)
        return CR_PARSE_BAD_BODY;
    }
  *items = g_steal_pointer (&parsed);
  return CR_PARSE_OK;
}

/* The frame of an a(yay) in normal form: n elements, each at least its
 * type byte, packed (alignment 1) up to the framing offsets. FALSE: not
 * sure, ask GLib. */
static gboolean
batch_frame (const guint8 *body,
             gsize         len,
             gsize        *n_items,
             gsize        *offsets_at)
{
  gsize width = offset_width (len);
  gsize last_end, n, at = 0;

  if (body == NULL || len == 0 || len > G_MAXUINT32)
    return FALSE;
  last_end = read_offset (body + len - width, width);
  if (last_end > len || (len - last_end) % width != 0)
    return FALSE;
  n = (len - last_end) / width;
  if (n == 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (body + last_end + i * width, width);

      if (end <= at || end > last_end)
        return FALSE;
      at = end;
    }
  if (at != last_end)
    return FALSE;
  *n_items = n;
  *offsets_at = last_end;
  return TRUE;
}

CrParseResult
cr_batch_parse_events (const guint8  *body,
                       gsize          len,
                       GPtrArray    **events)
{
  g_autoptr(GPtrArray) parsed = NULL;
  gsize n, offsets_at, width = offset_width (len), at = 0;

  g_return_val_if_fail (events != NULL, CR_PARSE_BAD_BODY);
  *events = NULL;

  if (!batch_frame (body, len, &n, &offsets_at))
    {
      /* Not the usual frame: GLib decides, and its events are read from
       * its items. */
      g_autoptr(GPtrArray) items = NULL;
      CrParseResult result = cr_batch_parse (body, len, &items);

      if (result != CR_PARSE_OK)
        return result;
      parsed = g_ptr_array_new_full (items->len, (GDestroyNotify) cr_event_free);
      for (guint i = 0; i < items->len; i++)
        {
          CrBatchItem *item = items->pdata[i];

          g_assert (item->type == CR_PACKET_EVENT);
          g_ptr_array_add (parsed, event_from_variant (item->body));
        }
      *events = g_steal_pointer (&parsed);
      return CR_PARSE_OK;
    }

  /* The same checks in the same order as cr_batch_parse. */
  if (n > CR_BATCH_ITEMS_MAX)
    return CR_PARSE_TOO_LONG;
  parsed = g_ptr_array_new_full (n, (GDestroyNotify) cr_event_free);
  for (gsize i = 0; i < n; i++)
    {
      gsize end = read_offset (body + offsets_at + i * width, width);
      CrEvent *event = NULL;

      if (!cr_batch_inner_allowed (body[at]))
        return CR_PARSE_BAD_TYPE;
      /* Only EVENT may be batched (cr_batch_inner_allowed). */
      g_assert (body[at] == CR_PACKET_EVENT);
      if (cr_event_parse (body + at + 1, end - at - 1, &event) != CR_PARSE_OK)
        return CR_PARSE_BAD_BODY;
      g_ptr_array_add (parsed, event);
      at = end;
    }
  *events = g_steal_pointer (&parsed);
  return CR_PARSE_OK;
}
