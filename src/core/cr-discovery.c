/* cr-discovery.c: finding rooms on the LAN, the wire format (the
 * description is at the top of cr-discovery.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-discovery"

#include "config.h"

#include <string.h>

#include "cr-discovery.h"

#define PROBE_PREFIX CR_DISCOVERY_PROBE_WORD " 1 "
#define ROOM_PREFIX  CR_DISCOVERY_ROOM_WORD " 1\n"

void
cr_discovery_room_clear (CrDiscoveryRoom *room)
{
  g_return_if_fail (room != NULL);

  g_clear_pointer (&room->nonce, g_free);
  g_clear_pointer (&room->id, g_free);
  g_clear_pointer (&room->name, g_free);
  g_clear_pointer (&room->owner, g_free);
  g_clear_pointer (&room->addresses, g_strfreev);
  memset (room, 0, sizeof *room);
}

static gboolean
has_prefix (const guint8 *data,
            gsize         len,
            const char   *prefix)
{
  gsize n = strlen (prefix);

  return len >= n && memcmp (data, prefix, n) == 0;
}

gboolean
cr_discovery_is_discovery (const guint8 *data,
                           gsize         len)
{
  /* Both words start alike: one comparison rejects every chat datagram. */
  return data != NULL && has_prefix (data, len, "CHATROOM-") &&
         (has_prefix (data, len, CR_DISCOVERY_PROBE_WORD " ") ||
          has_prefix (data, len, CR_DISCOVERY_ROOM_WORD " "));
}

static gboolean
valid_nonce (const char *text,
             gsize       len)
{
  if (len == 0 || len > CR_DISCOVERY_NONCE_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]))
      return FALSE;
  return TRUE;
}

/* UTF-8, no NUL, no control character but '\n'. */
static gboolean
valid_text (const guint8 *data,
            gsize         len)
{
  const char *text = (const char *) data;
  const char *end = text + len;

  if (!g_utf8_validate_len (text, len, NULL))
    return FALSE;
  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && g_unichar_iscntrl (c))
        return FALSE;
    }
  return TRUE;
}

static CrDiscoveryKind
parse_probe (const guint8  *data,
             gsize          len,
             char         **nonce)
{
  const char *text = (const char *) data;
  const char *start = text + strlen (PROBE_PREFIX);
  const char *newline;
  const char *end = text + len;

  if (len > CR_DISCOVERY_PROBE_MAX || !has_prefix (data, len, PROBE_PREFIX))
    return CR_DISCOVERY_INVALID;
  newline = memchr (start, '\n', end - start);
  if (newline == NULL || !valid_nonce (start, newline - start))
    return CR_DISCOVERY_INVALID;
  for (const char *p = newline + 1; p < end; p++)
    if (*p != '.')
      return CR_DISCOVERY_INVALID;
  if (nonce != NULL)
    *nonce = g_strndup (start, newline - start);
  return CR_DISCOVERY_PROBE;
}

static gboolean
parse_uint (const char *value,
            guint64     max,
            guint64    *out)
{
  guint64 n;

  /* Digits only: g_ascii_string_to_unsigned would take a sign or spaces. */
  if (*value == '\0' || strlen (value) > 10)
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  n = g_ascii_strtoull (value, NULL, 10);
  if (n > max)
    return FALSE;
  *out = n;
  return TRUE;
}

static gboolean
valid_id (const char *value)
{
  if (strlen (value) != 16)
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* One "key=value" line into room; FALSE: the datagram is malformed. */
static gboolean
parse_field (CrDiscoveryRoom *room,
             GPtrArray       *addresses,
             const char      *key,
             const char      *value,
             guint           *seen)
{
  static const char *keys[] = {
    "kind", "nonce", "id", "name", "owner", "members", "reg", "dialect", "port",
  };
  guint64 n;
  guint bit = G_N_ELEMENTS (keys);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (strcmp (key, keys[i]) == 0)
      bit = i;
  if (bit < G_N_ELEMENTS (keys))
    {
      if (*seen & (1u << bit))
        return FALSE;   /* a field twice */
      *seen |= 1u << bit;
    }
  if (strcmp (key, "kind") == 0)
    {
      if (strcmp (value, "answer") == 0)
        room->kind = CR_DISCOVERY_ANSWER;
      else if (strcmp (value, "open") == 0)
        room->kind = CR_DISCOVERY_OPEN;
      else if (strcmp (value, "close") == 0)
        room->kind = CR_DISCOVERY_CLOSE;
      else
        return FALSE;
    }
  else if (strcmp (key, "nonce") == 0)
    {
      if (!valid_nonce (value, strlen (value)))
        return FALSE;
      room->nonce = g_strdup (value);
    }
  else if (strcmp (key, "id") == 0)
    {
      if (!valid_id (value))
        return FALSE;
      room->id = g_ascii_strdown (value, -1);
    }
  else if (strcmp (key, "name") == 0)
    {
      if (*value == '\0' || strlen (value) > CR_DISCOVERY_FIELD_MAX)
        return FALSE;
      room->name = g_strdup (value);
    }
  else if (strcmp (key, "owner") == 0)
    {
      if (strlen (value) > CR_DISCOVERY_FIELD_MAX)
        return FALSE;
      room->owner = g_strdup (value);
    }
  else if (strcmp (key, "members") == 0)
    {
      if (!parse_uint (value, 1000000, &n))
        return FALSE;
      room->members = n;
    }
  else if (strcmp (key, "reg") == 0)
    {
      if (strcmp (value, "0") != 0 && strcmp (value, "1") != 0)
        return FALSE;
      room->registration = *value == '1';
    }
  else if (strcmp (key, "dialect") == 0)
    {
      if (!parse_uint (value, G_MAXUINT16, &n))
        return FALSE;
      room->dialect = n;
    }
  else if (strcmp (key, "port") == 0)
    {
      if (!parse_uint (value, G_MAXUINT16, &n) || n == 0)
        return FALSE;
      room->port = n;
    }
  else if (strcmp (key, "addr") == 0)
    {
      g_autoptr(GInetAddress) inet = NULL;

      if (addresses->len >= CR_DISCOVERY_ADDRS_MAX || strlen (value) > 45)
        return FALSE;
      inet = g_inet_address_new_from_string (value);
      if (inet == NULL)
        return FALSE;
      g_ptr_array_add (addresses, g_inet_address_to_string (inet));
    }
  /* Any other key: a later version's, skipped. */
  return TRUE;
}

static CrDiscoveryKind
parse_room (const guint8    *data,
            gsize            len,
            CrDiscoveryRoom *out)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  CrDiscoveryRoom room = { 0 };
  const guint needed = 1 << 2 | 1 << 3 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8;  /* id … port */
  guint seen = 0;
  char *line;
  char *next;

  if (len > CR_DISCOVERY_MAX || !has_prefix (data, len, ROOM_PREFIX) ||
      data[len - 1] != '\n')
    return CR_DISCOVERY_INVALID;

  text = g_strndup ((const char *) data, len);
  addresses = g_ptr_array_new_with_free_func (g_free);
  for (line = text + strlen (ROOM_PREFIX); *line != '\0'; line = next)
    {
      char *eq;
      char *newline = strchr (line, '\n');

      *newline = '\0';
      next = newline + 1;
      eq = strchr (line, '=');
      if (eq == NULL || eq == line)
        goto invalid;
      *eq = '\0';
      /* kind first: a reader knows at once what it holds. */
      if ((seen & 1u) == 0 && strcmp (line, "kind") != 0)
        goto invalid;
      if (!parse_field (&room, addresses, line, eq + 1, &seen))
        goto invalid;
    }
  if ((seen & needed) != needed)
    goto invalid;
  if ((room.kind == CR_DISCOVERY_ANSWER) != (room.nonce != NULL))
    goto invalid;

  if (room.owner == NULL)
    room.owner = g_strdup ("");
  g_ptr_array_add (addresses, NULL);
  room.addresses = (GStrv) g_ptr_array_free (g_steal_pointer (&addresses), FALSE);
  if (out != NULL)
    *out = room;
  else
    cr_discovery_room_clear (&room);
  return CR_DISCOVERY_ROOM;

invalid:
  cr_discovery_room_clear (&room);
  return CR_DISCOVERY_INVALID;
}

CrDiscoveryKind
cr_discovery_parse (const guint8     *data,
                    gsize             len,
                    char            **nonce,
                    CrDiscoveryRoom  *room)
{
  g_return_val_if_fail (data != NULL || len == 0, CR_DISCOVERY_NONE);

  if (nonce != NULL)
    *nonce = NULL;
  if (room != NULL)
    memset (room, 0, sizeof *room);

  if (!cr_discovery_is_discovery (data, len))
    return CR_DISCOVERY_NONE;
  if (len > CR_DISCOVERY_MAX || !valid_text (data, len))
    return CR_DISCOVERY_INVALID;
  if (has_prefix (data, len, CR_DISCOVERY_PROBE_WORD " "))
    return parse_probe (data, len, nonce);
  return parse_room (data, len, room);
}

GBytes *
cr_discovery_probe_new (const char *nonce,
                        gsize       pad_to)
{
  GString *probe;

  g_return_val_if_fail (nonce != NULL && valid_nonce (nonce, strlen (nonce)), NULL);

  probe = g_string_new (PROBE_PREFIX);
  g_string_append (probe, nonce);
  g_string_append_c (probe, '\n');
  pad_to = MIN (pad_to, CR_DISCOVERY_PROBE_MAX);
  while (probe->len < pad_to)
    g_string_append_c (probe, '.');
  return g_string_free_to_bytes (probe);
}

/* name and owner as sent: controls become spaces, at most
 * CR_DISCOVERY_FIELD_MAX bytes, cut between characters. */
static char *
clean_field (const char *value)
{
  GString *out = g_string_new (NULL);

  if (value == NULL || !g_utf8_validate (value, -1, NULL))
    return g_string_free (out, FALSE);
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize n = g_utf8_next_char (p) - p;

      if (out->len + n > CR_DISCOVERY_FIELD_MAX)
        break;
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, n);
    }
  return g_string_free (out, FALSE);
}

static const char *
kind_word (CrDiscoveryRoomKind kind)
{
  switch (kind)
    {
    case CR_DISCOVERY_ANSWER:
      return "answer";
    case CR_DISCOVERY_OPEN:
      return "open";
    case CR_DISCOVERY_CLOSE:
    default:
      return "close";
    }
}

GBytes *
cr_discovery_room_build (const CrDiscoveryRoom *room,
                         gsize                  max_len)
{
  g_autofree char *name = NULL;
  g_autofree char *owner = NULL;
  GString *out;

  g_return_val_if_fail (room != NULL, NULL);
  g_return_val_if_fail (room->id != NULL && valid_id (room->id), NULL);
  g_return_val_if_fail ((room->kind == CR_DISCOVERY_ANSWER) ==
                        (room->nonce != NULL && valid_nonce (room->nonce,
                                                             strlen (room->nonce))), NULL);

  name = clean_field (room->name);
  owner = clean_field (room->owner);
  if (*name == '\0')
    {
      g_free (name);
      name = g_strdup ("?");
    }
  max_len = MIN (max_len, CR_DISCOVERY_MAX);

  out = g_string_new (ROOM_PREFIX);
  g_string_append_printf (out, "kind=%s\n", kind_word (room->kind));
  if (room->nonce != NULL)
    g_string_append_printf (out, "nonce=%s\n", room->nonce);
  g_string_append_printf (out, "id=%s\nname=%s\nowner=%s\nmembers=%u\nreg=%d\n"
                          "dialect=%u\nport=%u\n",
                          room->id, name, owner, MIN (room->members, 1000000),
                          room->registration ? 1 : 0, room->dialect, room->port);
  if (out->len > max_len)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  for (guint i = 0;
       room->addresses != NULL && room->addresses[i] != NULL && i < CR_DISCOVERY_ADDRS_MAX;
       i++)
    {
      gsize before = out->len;

      g_string_append_printf (out, "addr=%s\n", room->addresses[i]);
      if (out->len > max_len)
        {
          g_string_truncate (out, before);
          break;
        }
    }
  return g_string_free_to_bytes (out);
}

char *
cr_discovery_nonce_new (void)
{
  return g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
}
