/* fuzz-discovery.c: libFuzzer harness for the discovery wire format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room parses every probe that reaches its port, and a member every
 * answer and announcement that reaches its browser (cr-discovery.h): both
 * from strangers. Whatever the input: no crash; a probe's nonce is 1–32
 * letters and digits; a room's strings are UTF-8 without control
 * characters, the name 1–128 bytes, at most 8 addresses, each an IP
 * address. And round trips: what parsed as a room builds again within
 * CR_DISCOVERY_MAX and parses back to the same fields; an answer to the
 * input as a probe is never over 3× its size. Any critical or warning
 * aborts. Build and run: see README.md in this directory.
 */
#define G_LOG_DOMAIN "fuzz-discovery"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <gio/gio.h>

#include "cr-discovery.h"
#include "fuzz-log.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_text (const char *text,
            gboolean    may_be_empty)
{
  if (text == NULL || (!may_be_empty && *text == '\0') ||
      strlen (text) > CR_DISCOVERY_FIELD_MAX || !g_utf8_validate (text, -1, NULL))
    g_error ("a room's field is NULL, empty, too long or not UTF-8");
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      g_error ("a room's field holds a control character");
}

static void
check_room (const CrDiscoveryRoom *room)
{
  CrDiscoveryRoom back = { 0 };
  g_autoptr(GBytes) built = NULL;
  guint n;

  if (room->kind < CR_DISCOVERY_ANSWER || room->kind > CR_DISCOVERY_CLOSE)
    g_error ("a room of kind %d", room->kind);
  if ((room->kind == CR_DISCOVERY_ANSWER) != (room->nonce != NULL))
    g_error ("an answer without a nonce, or a nonce outside an answer");
  if (room->id == NULL || strlen (room->id) != 16)
    g_error ("a room without a proper id");
  check_text (room->name, FALSE);
  check_text (room->owner, TRUE);
  if (room->port == 0 || room->addresses == NULL)
    g_error ("a room without a port or an address list");
  n = g_strv_length (room->addresses);
  if (n > CR_DISCOVERY_ADDRS_MAX)
    g_error ("a room with %u addresses", n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (room->addresses[i]);

      if (inet == NULL)
        g_error ("an address that is none: %s", room->addresses[i]);
    }

  built = cr_discovery_room_build (room, CR_DISCOVERY_MAX);
  if (built == NULL || g_bytes_get_size (built) > CR_DISCOVERY_MAX)
    g_error ("a parsed room does not build again within the bound");
  if (cr_discovery_parse (g_bytes_get_data (built, NULL), g_bytes_get_size (built), NULL,
                          &back) != CR_DISCOVERY_ROOM)
    g_error ("a built room does not parse");
  if (back.kind != room->kind || g_strcmp0 (back.nonce, room->nonce) != 0 ||
      g_strcmp0 (back.id, room->id) != 0 || g_strcmp0 (back.name, room->name) != 0 ||
      g_strcmp0 (back.owner, room->owner) != 0 || back.members != room->members ||
      back.registration != room->registration || back.dialect != room->dialect ||
      back.port != room->port)
    g_error ("a room did not survive a round trip");
  cr_discovery_room_clear (&back);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, FALSE);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *nonce = NULL;
  CrDiscoveryRoom room = { 0 };

  switch (cr_discovery_parse (data, size, &nonce, &room))
    {
    case CR_DISCOVERY_NONE:
    case CR_DISCOVERY_INVALID:
      if (nonce != NULL || room.name != NULL)
        g_error ("a refused datagram left results");
      break;
    case CR_DISCOVERY_PROBE:
      {
        const char *addresses[] = { "198.51.100.2", "fd00::2", NULL };
        CrDiscoveryRoom answer = {
          .kind = CR_DISCOVERY_ANSWER, .nonce = nonce, .id = (char *) "0123456789abcdef",
          .name = (char *) "聊天室", .owner = (char *) "Owner", .members = 7, .dialect = 1,
          .port = 10024, .addresses = (GStrv) addresses,
        };
        g_autoptr(GBytes) built = NULL;

        if (strlen (nonce) == 0 || strlen (nonce) > CR_DISCOVERY_NONCE_MAX)
          g_error ("a nonce of %zu bytes", strlen (nonce));
        for (const char *p = nonce; *p != '\0'; p++)
          if (!g_ascii_isalnum (*p))
            g_error ("a nonce with %02x", (guint8) *p);
        built = cr_discovery_room_build (&answer, 3 * size);
        if (built != NULL && g_bytes_get_size (built) > 3 * size)
          g_error ("an answer of %zu bytes to a probe of %zu", g_bytes_get_size (built), size);
      }
      break;
    case CR_DISCOVERY_ROOM:
      check_room (&room);
      cr_discovery_room_clear (&room);
      break;
    default:
      g_error ("cr_discovery_parse returned something else");
    }
  return 0;
}
