/* cr-protocol.c: the wire codec, both dialects
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here reads bytes that anyone on the network may have written:
 * every length is checked before it is used, nothing is trusted to be UTF-8
 * or NUL-terminated, and GVariant bodies are only accepted in normal form.
 */
#define G_LOG_DOMAIN "cr-protocol"

#include "config.h"

#include <string.h>

#include "cr-protocol.h"

#define CR_MAGIC_0 0xCB
#define CR_MAGIC_1 0x52

#define CR_FLAGS_KNOWN (CR_FLAG_RELIABLE | CR_FLAG_MORE)

struct _CrBatchBuilder
{
  GPtrArray *items;     /* GVariant* (yay), floating-free */
  gsize      size;      /* a bound on the serialized size so far */
};

struct _CrMembersBuilder
{
  guint64          snapshot_seq;
  GVariantBuilder  members;
};

static inline void
write_be32 (guint8  *out,
            guint32  value)
{
  out[0] = (value >> 24) & 0xff;
  out[1] = (value >> 16) & 0xff;
  out[2] = (value >> 8) & 0xff;
  out[3] = value & 0xff;
}

static inline guint32
read_be32 (const guint8 *in)
{
  return ((guint32) in[0] << 24) | ((guint32) in[1] << 16) |
         ((guint32) in[2] << 8) | (guint32) in[3];
}

static GBytes *
variant_to_bytes (GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);

  /* Builders only see values we made, which are in normal form already;
   * g_variant_get_normal_form would only cost a copy. */
  return g_variant_get_data_as_bytes (owned);
}

static const char *
nonnull (const char *s)
{
  return s != NULL ? s : "";
}

gboolean
cr_protocol_is_native (const guint8 *data,
                       gsize         len)
{
  return data != NULL && len >= 2 && data[0] == CR_MAGIC_0 && data[1] == CR_MAGIC_1;
}

void
cr_header_write (const CrHeader *header,
                 guint8         *out)
{
  g_return_if_fail (header != NULL);
  g_return_if_fail (out != NULL);

  out[0] = CR_MAGIC_0;
  out[1] = CR_MAGIC_1;
  /* A zero-initialized CrHeader means "this version": callers need not
   * spell it out; any other value is written as given (tests send others). */
  out[2] = header->version != 0 ? header->version : CR_PROTOCOL_VERSION;
  out[3] = header->type;
  out[4] = header->flags;
  out[5] = out[6] = out[7] = 0;
  write_be32 (out + 8, header->session);
  write_be32 (out + 12, header->number);
  write_be32 (out + 16, header->ack);
  write_be32 (out + 20, header->ack_bits);
}

CrParseResult
cr_header_parse (const guint8  *data,
                 gsize          len,
                 CrHeader      *header,
                 const guint8 **body,
                 gsize         *body_len)
{
  CrHeader h = { 0, };

  if (data == NULL || len < CR_HEADER_SIZE)
    return CR_PARSE_TOO_SHORT;
  if (len > CR_DATAGRAM_MAX)
    return CR_PARSE_TOO_LONG;
  if (data[0] != CR_MAGIC_0 || data[1] != CR_MAGIC_1)
    return CR_PARSE_BAD_MAGIC;
  if (data[2] != CR_PROTOCOL_VERSION)
    return CR_PARSE_BAD_VERSION;
  if (!cr_packet_type_is_valid (data[3]))
    return CR_PARSE_BAD_TYPE;

  h.version = data[2];
  h.type = data[3];
  h.flags = data[4];
  h.session = read_be32 (data + 8);
  h.number = read_be32 (data + 12);
  h.ack = read_be32 (data + 16);
  h.ack_bits = read_be32 (data + 20);

  /* Unknown bits and reserved bytes must be zero, so that a later version
   * can give them a meaning without old peers misreading it. The reliable
   * flag and the packet number say the same thing and must agree; a
   * fragment is always reliable. */
  if ((h.flags & ~CR_FLAGS_KNOWN) != 0 ||
      data[5] != 0 || data[6] != 0 || data[7] != 0)
    return CR_PARSE_BAD_FLAGS;
  if (((h.flags & CR_FLAG_RELIABLE) != 0) != (h.number != 0))
    return CR_PARSE_BAD_FLAGS;
  if ((h.flags & CR_FLAG_MORE) != 0 && (h.flags & CR_FLAG_RELIABLE) == 0)
    return CR_PARSE_BAD_FLAGS;

  if (header != NULL)
    *header = h;
  if (body != NULL)
    *body = data + CR_HEADER_SIZE;
  if (body_len != NULL)
    *body_len = len - CR_HEADER_SIZE;
  return CR_PARSE_OK;
}

GBytes *
cr_datagram_build (const CrHeader *header,
                   const guint8   *body,
                   gsize           body_len)
{
  guint8 *buf;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (body != NULL || body_len == 0, NULL);
  g_return_val_if_fail (body_len <= CR_BODY_MAX, NULL);

  buf = g_malloc (CR_HEADER_SIZE + body_len);
  cr_header_write (header, buf);
  if (body_len > 0)
    memcpy (buf + CR_HEADER_SIZE, body, body_len);
  return g_bytes_new_take (buf, CR_HEADER_SIZE + body_len);
}

const GVariantType *
cr_packet_body_type (CrPacketType type)
{
  switch (type)
    {
    case CR_PACKET_JOIN:
      return G_VARIANT_TYPE ("(sssbts)");
    case CR_PACKET_WELCOME:
      return G_VARIANT_TYPE ("(sssut)");
    case CR_PACKET_REFUSE:
      return G_VARIANT_TYPE ("(us)");
    case CR_PACKET_EVENT:
      return G_VARIANT_TYPE ("(txussta{sv})");
    case CR_PACKET_MEMBERS:
      return G_VARIANT_TYPE ("(ta(suu))");
    case CR_PACKET_CHAT:
      return G_VARIANT_TYPE ("(tsa{sv})");
    case CR_PACKET_RECALL:
      return G_VARIANT_TYPE ("(tt)");
    case CR_PACKET_HISTORY:
      return G_VARIANT_TYPE ("(tu)");
    case CR_PACKET_PAGE:
      return G_VARIANT_TYPE ("(tba(txussta{sv}))");
    case CR_PACKET_SEARCH:
      return G_VARIANT_TYPE ("(us)");
    case CR_PACKET_RESULTS:
      return G_VARIANT_TYPE ("(uba(txussta{sv}))");
    case CR_PACKET_NOTICE:
      return G_VARIANT_TYPE ("(ut)");
    case CR_PACKET_BYE:
      return G_VARIANT_TYPE ("(us)");
    case CR_PACKET_PING:
    case CR_PACKET_ACK:
      return G_VARIANT_TYPE_UNIT;
    case CR_PACKET_HELLO:
      return G_VARIANT_TYPE ("(ay)");
    case CR_PACKET_KEY:
      return G_VARIANT_TYPE ("(ayayay)");
    case CR_PACKET_MANAGE:
      return G_VARIANT_TYPE ("(utsx)");
    case CR_PACKET_STATE:
      return G_VARIANT_TYPE ("(sbxu)");
    case CR_PACKET_BATCH:
      return G_VARIANT_TYPE ("a(yay)");
    case CR_PACKET_SEALED:
    default:
      return NULL;
    }
}

gboolean
cr_packet_type_is_valid (guint type)
{
  /* The numbers have gaps (13 SEALED, 17, 22–23): a type is one with a body. */
  return (type <= CR_PACKET_LAST || type == CR_PACKET_BATCH) && cr_packet_body_type (type) != NULL;
}

GVariant *
cr_body_parse (CrPacketType  type,
               const guint8 *body,
               gsize         len)
{
  const GVariantType *vtype = cr_packet_body_type (type);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) value = NULL;

  if (vtype == NULL)
    return NULL;
  if (body == NULL && len > 0)
    return NULL;

  /* Copy: the caller's buffer may be reused after we return, and the copy
   * is what guarantees the alignment GVariant wants. */
  bytes = g_bytes_new (body, len);
  value = g_variant_ref_sink (g_variant_new_from_bytes (vtype, bytes, FALSE));
  /* Normal form includes every string's being valid UTF-8 with no NUL
   * inside (GLib's g_variant_serialiser_is_string); tests/test-protocol.c
   * (invalid-utf8) holds GLib to it. */
  if (!g_variant_is_normal_form (value))
    return NULL;
  return g_steal_pointer (&value);
}

GBytes *
cr_body_join (const char *name,
              const char *password,
              const char *resume_token,
              gboolean    do_register,
              guint64     resume_seq,
              const char *owner_token)
{
  return variant_to_bytes (g_variant_new ("(sssbts)",
                                          nonnull (name),
                                          nonnull (password),
                                          nonnull (resume_token),
                                          do_register ? TRUE : FALSE,
                                          resume_seq,
                                          nonnull (owner_token)));
}

GBytes *
cr_body_welcome (const char *room_name,
                 const char *your_name,
                 const char *resume_token,
                 CrRole      role,
                 guint64     latest_seq)
{
  return variant_to_bytes (g_variant_new ("(sssut)",
                                          nonnull (room_name),
                                          nonnull (your_name),
                                          nonnull (resume_token),
                                          (guint32) role,
                                          latest_seq));
}

GBytes *
cr_body_refuse (CrReason    reason,
                const char *detail)
{
  return variant_to_bytes (g_variant_new ("(us)", (guint32) reason, nonnull (detail)));
}

/* An event as in EVENT: (txussta{sv}), extras only where set. */
static GVariant *
event_to_variant (const CrEvent *event)
{
  GVariantBuilder extras;

  g_variant_builder_init (&extras, G_VARIANT_TYPE_VARDICT);
  if (event->ref_seq != 0)
    g_variant_builder_add (&extras, "{sv}", "ref", g_variant_new_uint64 (event->ref_seq));
  if (event->quote_name != NULL && *event->quote_name != '\0')
    g_variant_builder_add (&extras, "{sv}", "quote-name", g_variant_new_string (event->quote_name));
  if (event->quote_text != NULL && *event->quote_text != '\0')
    g_variant_builder_add (&extras, "{sv}", "quote-text", g_variant_new_string (event->quote_text));
  if (event->target != NULL && *event->target != '\0')
    g_variant_builder_add (&extras, "{sv}", "to", g_variant_new_string (event->target));
  if (event->recalled)
    g_variant_builder_add (&extras, "{sv}", "recalled", g_variant_new_boolean (TRUE));
  if (event->actor != NULL && *event->actor != '\0')
    g_variant_builder_add (&extras, "{sv}", "by", g_variant_new_string (event->actor));

  return g_variant_new ("(txussta{sv})",
                        event->seq,
                        event->time_us,
                        (guint32) event->kind,
                        nonnull (event->name),
                        nonnull (event->text),
                        event->origin,
                        &extras);
}

GBytes *
cr_body_event (const CrEvent *event)
{
  g_return_val_if_fail (event != NULL, NULL);

  return variant_to_bytes (event_to_variant (event));
}

GBytes *
cr_body_chat (guint64     origin,
              const char *text)
{
  return cr_body_chat_full (origin, text, 0, NULL);
}

GBytes *
cr_body_chat_full (guint64     origin,
                   const char *text,
                   guint64     reply_to,
                   const char *to)
{
  GVariantBuilder extras;

  g_variant_builder_init (&extras, G_VARIANT_TYPE_VARDICT);
  if (reply_to != 0)
    g_variant_builder_add (&extras, "{sv}", "reply-to", g_variant_new_uint64 (reply_to));
  if (to != NULL && *to != '\0')
    g_variant_builder_add (&extras, "{sv}", "to", g_variant_new_string (to));
  return variant_to_bytes (g_variant_new ("(tsa{sv})", origin, nonnull (text), &extras));
}

GBytes *
cr_body_recall (guint64 request,
                guint64 seq)
{
  return variant_to_bytes (g_variant_new ("(tt)", request, seq));
}

GBytes *
cr_body_history (guint64 before,
                 guint   max)
{
  return variant_to_bytes (g_variant_new ("(tu)", before, (guint32) max));
}

static GVariant *
events_to_variant (GPtrArray *events)
{
  GVariantBuilder array;

  g_variant_builder_init (&array, G_VARIANT_TYPE ("a(txussta{sv})"));
  for (guint i = 0; events != NULL && i < events->len; i++)
    g_variant_builder_add_value (&array, event_to_variant (events->pdata[i]));
  return g_variant_builder_end (&array);
}

GBytes *
cr_body_page (guint64    before,
              gboolean   complete,
              GPtrArray *events)
{
  return variant_to_bytes (g_variant_new ("(tb@a(txussta{sv}))", before, complete ? TRUE : FALSE,
                                          events_to_variant (events)));
}

GBytes *
cr_body_search (guint32     request,
                const char *query)
{
  return variant_to_bytes (g_variant_new ("(us)", request, nonnull (query)));
}

GBytes *
cr_body_results (guint32    request,
                 gboolean   more,
                 GPtrArray *events)
{
  return variant_to_bytes (g_variant_new ("(ub@a(txussta{sv}))", request, more ? TRUE : FALSE,
                                          events_to_variant (events)));
}

GBytes *
cr_body_notice (CrReason reason,
                guint64  origin)
{
  return variant_to_bytes (g_variant_new ("(ut)", (guint32) reason, origin));
}

GBytes *
cr_body_manage (CrManageAction  action,
                guint64         origin,
                const char     *argument,
                gint64          seconds)
{
  return variant_to_bytes (g_variant_new ("(utsx)", (guint32) action, origin,
                                          nonnull (argument), seconds));
}

GBytes *
cr_body_state (const char *pin,
               gboolean    mute_all,
               gint64      mute_left_ms,
               CrRole      role)
{
  return variant_to_bytes (g_variant_new ("(sbxu)", nonnull (pin), mute_all,
                                          mute_left_ms, (guint32) role));
}

GBytes *
cr_body_bye (CrReason    reason,
             const char *detail)
{
  return variant_to_bytes (g_variant_new ("(us)", (guint32) reason, nonnull (detail)));
}

GBytes *
cr_body_empty (void)
{
  /* The unit type "()" serializes to one zero byte in normal form. */
  return variant_to_bytes (g_variant_new_tuple (NULL, 0));
}

static GVariant *
fixed_bytes (const guint8 *data,
             gsize         len)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1);
}

GBytes *
cr_body_hello (const guint8 *client_ephemeral)
{
  g_return_val_if_fail (client_ephemeral != NULL, NULL);

  return variant_to_bytes (g_variant_new ("(@ay)", fixed_bytes (client_ephemeral, 32)));
}

GBytes *
cr_body_key (const guint8 *room_ephemeral,
             const guint8 *identity,
             const guint8 *signature)
{
  g_return_val_if_fail (room_ephemeral != NULL && identity != NULL && signature != NULL, NULL);

  return variant_to_bytes (g_variant_new ("(@ay@ay@ay)",
                                          fixed_bytes (room_ephemeral, 32),
                                          fixed_bytes (identity, 32),
                                          fixed_bytes (signature, 64)));
}

static gboolean
child_bytes (GVariant      *body,
             gsize          index,
             gsize          want,
             const guint8 **out)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (body, index);
  gsize len = 0;
  const guint8 *data = g_variant_get_fixed_array (child, &len, 1);

  if (len != want)
    return FALSE;
  /* The child borrows the body's data, which outlives it. */
  *out = data;
  return TRUE;
}

gboolean
cr_hello_from_body (GVariant      *body,
                    const guint8 **client_ephemeral)
{
  g_return_val_if_fail (body != NULL, FALSE);
  g_return_val_if_fail (g_variant_is_of_type (body, G_VARIANT_TYPE ("(ay)")), FALSE);

  return child_bytes (body, 0, 32, client_ephemeral);
}

gboolean
cr_key_from_body (GVariant      *body,
                  const guint8 **room_ephemeral,
                  const guint8 **identity,
                  const guint8 **signature)
{
  g_return_val_if_fail (body != NULL, FALSE);
  g_return_val_if_fail (g_variant_is_of_type (body, G_VARIANT_TYPE ("(ayayay)")), FALSE);

  return child_bytes (body, 0, 32, room_ephemeral) &&
         child_bytes (body, 1, 32, identity) &&
         child_bytes (body, 2, 64, signature);
}

CrMembersBuilder *
cr_members_builder_new (guint64 snapshot_seq)
{
  CrMembersBuilder *builder = g_new0 (CrMembersBuilder, 1);

  builder->snapshot_seq = snapshot_seq;
  g_variant_builder_init (&builder->members, G_VARIANT_TYPE ("a(suu)"));
  return builder;
}

void
cr_members_builder_add (CrMembersBuilder *builder,
                        const char       *name,
                        CrRole            role,
                        guint             flags)
{
  g_return_if_fail (builder != NULL);

  g_variant_builder_add (&builder->members, "(suu)",
                         nonnull (name), (guint32) role, (guint32) flags);
}

GBytes *
cr_members_builder_end (CrMembersBuilder *builder)
{
  GVariant *members;
  guint64 seq;

  g_return_val_if_fail (builder != NULL, NULL);

  members = g_variant_builder_end (&builder->members);
  seq = builder->snapshot_seq;
  g_free (builder);
  return variant_to_bytes (g_variant_new ("(t@a(suu))", seq, members));
}

gboolean
cr_chat_from_body (GVariant     *body,
                   guint64      *origin,
                   const char  **text,
                   guint64      *reply_to,
                   const char  **to)
{
  g_autoptr(GVariant) extras = NULL;
  GVariant *value;

  g_return_val_if_fail (g_variant_is_of_type (body, G_VARIANT_TYPE ("(tsa{sv})")), FALSE);

  g_variant_get (body, "(t&s@a{sv})", origin, text, &extras);
  *reply_to = 0;
  *to = NULL;
  if (g_variant_n_children (extras) > CR_EVENT_EXTRAS_MAX)
    return FALSE;
  if ((value = g_variant_lookup_value (extras, "reply-to", NULL)) != NULL)
    {
      gboolean ok = g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64);

      if (ok)
        *reply_to = g_variant_get_uint64 (value);
      g_variant_unref (value);
      if (!ok)
        return FALSE;
    }
  if ((value = g_variant_lookup_value (extras, "to", NULL)) != NULL)
    {
      gboolean ok = g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
                    cr_name_validate (g_variant_get_string (value, NULL), -1, NULL) == CR_REASON_NONE;

      /* The string lives in body: extras and value are views of it. */
      if (ok)
        *to = g_variant_get_string (value, NULL);
      g_variant_unref (value);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* CLASSIC dialect ------------------------------------------------------- */

static gboolean
classic_name_ok (const char *name,
                 gsize       len)
{
  /* A name is one word: the classroom server splits on ' ' and takes the
   * second field, so "N a b" would be "a" there. Refuse instead of guessing. */
  return len > 0 && memchr (name, ' ', len) == NULL;
}

CrClassicKind
cr_classic_parse (const guint8 *data,
                  gsize         len,
                  char        **name,
                  char        **text)
{
  const char *s = (const char *) data;
  const char *rest;
  gsize rest_len;
  char verb;

  if (name != NULL)
    *name = NULL;
  if (text != NULL)
    *text = NULL;
  if (data == NULL)
    return CR_CLASSIC_INVALID;

  /* Someone typing into nc sends a line ending. */
  if (len > 0 && s[len - 1] == '\n')
    len--;
  if (len > 0 && s[len - 1] == '\r')
    len--;

  /* Also refuses NUL bytes, which would cut a C string short. */
  if (len == 0 || !g_utf8_validate_len (s, len, NULL))
    return CR_CLASSIC_INVALID;

  if (len == strlen (CR_PROBE_TEXT) && memcmp (s, CR_PROBE_TEXT, len) == 0)
    return CR_CLASSIC_PROBE;

  if (len < 3 || s[1] != ' ')
    return CR_CLASSIC_INVALID;
  verb = s[0];
  rest = s + 2;
  rest_len = len - 2;

  switch (verb)
    {
    case 'N':
    case 'Q':
      if (!classic_name_ok (rest, rest_len))
        return CR_CLASSIC_INVALID;
      if (name != NULL)
        *name = g_strndup (rest, rest_len);
      if (text != NULL)
        *text = g_strdup ("");
      return verb == 'N' ? CR_CLASSIC_JOIN : CR_CLASSIC_QUIT;

    case 'M':
      {
        const char *space = memchr (rest, ' ', rest_len);
        gsize name_len = space != NULL ? (gsize) (space - rest) : rest_len;

        if (name_len == 0)
          return CR_CLASSIC_INVALID;
        if (name != NULL)
          *name = g_strndup (rest, name_len);
        if (text != NULL)
          {
            if (space != NULL)
              *text = g_strndup (space + 1, rest_len - name_len - 1);
            else
              *text = g_strdup ("");
          }
        return CR_CLASSIC_MESSAGE;
      }

    default:
      return CR_CLASSIC_INVALID;
    }
}

static GBytes *
classic_build (char *line)
{
  gsize len = strlen (line);

  return g_bytes_new_take (line, len);
}

GBytes *
cr_classic_join (const char *name)
{
  return classic_build (g_strconcat ("N ", nonnull (name), NULL));
}

GBytes *
cr_classic_message (const char *name,
                    const char *text)
{
  return classic_build (g_strconcat ("M ", nonnull (name), " ", nonnull (text), NULL));
}

GBytes *
cr_classic_quit (const char *name)
{
  return classic_build (g_strconcat ("Q ", nonnull (name), NULL));
}

const char *
cr_parse_result_to_string (CrParseResult result)
{
  switch (result)
    {
    case CR_PARSE_OK:
      return "ok";
    case CR_PARSE_TOO_SHORT:
      return "too short";
    case CR_PARSE_TOO_LONG:
      return "too long";
    case CR_PARSE_BAD_MAGIC:
      return "bad magic";
    case CR_PARSE_BAD_VERSION:
      return "bad version";
    case CR_PARSE_BAD_TYPE:
      return "bad type";
    case CR_PARSE_BAD_FLAGS:
      return "bad flags";
    case CR_PARSE_BAD_BODY:
      return "bad body";
    default:
      return "unknown";
    }
}

/* BATCH */

/* A room batches what it tells every member; never a BATCH (no nesting to
 * unwind), nor anything a member sends or that opens a session. */
gboolean
cr_batch_inner_allowed (CrPacketType type)
{
  return type == CR_PACKET_EVENT;
}

CrBatchBuilder *
cr_batch_builder_new (void)
{
  CrBatchBuilder *builder = g_new0 (CrBatchBuilder, 1);

  builder->items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  return builder;
}

void
cr_batch_builder_free (CrBatchBuilder *builder)
{
  if (builder == NULL)
    return;
  g_ptr_array_unref (builder->items);
  g_free (builder);
}

gboolean
cr_batch_builder_add (CrBatchBuilder *builder,
                      CrPacketType    type,
                      GBytes         *body)
{
  gsize len;
  /* An item is its type byte and its bytes; the array adds a framing
   * offset per item (at most 2 bytes below 64 KiB: 4 is a safe bound). */
  gsize cost;

  g_return_val_if_fail (builder != NULL, FALSE);
  g_return_val_if_fail (body != NULL, FALSE);
  g_return_val_if_fail (cr_batch_inner_allowed (type), FALSE);

  len = g_bytes_get_size (body);
  cost = 1 + len + 4;
  if (builder->items->len >= CR_BATCH_ITEMS_MAX || builder->size + cost > CR_BODY_MAX)
    return FALSE;
  g_ptr_array_add (builder->items,
                   g_variant_ref_sink (g_variant_new ("(y@ay)", (guint8) type,
                                                      g_variant_new_from_bytes (
                                                        G_VARIANT_TYPE_BYTESTRING,
                                                        body, TRUE))));
  builder->size += cost;
  return TRUE;
}

guint
cr_batch_builder_get_n_items (CrBatchBuilder *builder)
{
  g_return_val_if_fail (builder != NULL, 0);
  return builder->items->len;
}

GBytes *
cr_batch_builder_end (CrBatchBuilder *builder)
{
  GVariant *array;
  GBytes *bytes;

  g_return_val_if_fail (builder != NULL, NULL);

  array = g_variant_new_array (G_VARIANT_TYPE ("(yay)"),
                               (GVariant **) builder->items->pdata, builder->items->len);
  bytes = variant_to_bytes (array);
  g_assert (g_bytes_get_size (bytes) <= CR_BODY_MAX);
  cr_batch_builder_free (builder);
  return bytes;
}
