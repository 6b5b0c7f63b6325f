/* cr-discovery.h: finding rooms on the LAN, the wire format. Pure: bytes in,
 * values out.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A member looks for rooms by sending a PROBE to a room port (by broadcast
 * on each interface, multicast to CR_DISCOVERY_GROUP_V4 and
 * CR_DISCOVERY_GROUP_V6, or unicast to a typed host); a room ANSWERS it to
 * the prober alone, and ANNOUNCES itself to the same groups and broadcast
 * addresses when it opens and when it closes, on CR_DISCOVERY_ANNOUNCE_PORT
 * (not its own port: browsers listen there, sharing it, and a browser
 * holding a room's port would keep the room from opening).
 *
 * Everything is UTF-8 text without NUL or control characters other than
 * '\n', at most CR_DISCOVERY_MAX bytes. That keeps the classroom server
 * (../shared: Python that decodes every datagram as UTF-8 from a 1 024-byte
 * buffer and dies on anything else, and ignores a first word that is not N,
 * M or Q) alive when a probe or an announcement reaches its port, and a
 * classic member never receives one (only probers get answers). The first
 * word differs from both dialects: a native datagram starts with 0xCB, a
 * classic one with "N ", "M ", "Q " or CR_PROBE_TEXT.
 *
 *   PROBE    "CHATROOM-DISCOVER 1 " NONCE "\n" PADDING
 *            NONCE: 1–32 characters [0-9A-Za-z]; PADDING: zero or more
 *            '.', so the whole probe is at most CR_DISCOVERY_PROBE_MAX.
 *   ROOM     "CHATROOM-ROOM 1\n" then one "key=value\n" per field:
 *              kind     answer | open | close        (required, first)
 *              nonce    the probe's (answers only)
 *              id       16 hex digits, new each time a room opens
 *              name     the room's name              (1–128 bytes)
 *              owner    the owner's name             (0–128 bytes)
 *              members  decimal, ≤ 1 000 000
 *              reg      0 | 1: joining needs an account
 *              dialect  decimal: the native dialect's version (cr-protocol.h)
 *              port     decimal 1–65535: the room's UDP port
 *              addr     an IP address the room serves (0–8 of them, repeated)
 *            Keys other than these are skipped (later versions may add
 *            some); a value may hold any character but the controls.
 *
 * An answer is at most 3 × the probe it answers (RFC 9000 §8's rule, as in
 * cr-engine-classic.c): the room leaves addresses out to fit, and does not
 * answer a probe too short for the rest. Members pad their probes to
 * CR_DISCOVERY_PROBE_PAD, so a full answer fits.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CR_DISCOVERY_MAX          1024   /* the classroom server's buffer */
#define CR_DISCOVERY_PROBE_MAX    CR_DISCOVERY_MAX
#define CR_DISCOVERY_PROBE_PAD    340    /* 3 × 340 ≤ CR_DISCOVERY_MAX */
#define CR_DISCOVERY_NONCE_MAX    32
#define CR_DISCOVERY_FIELD_MAX    128    /* name, owner */
#define CR_DISCOVERY_ADDRS_MAX    8
#define CR_DISCOVERY_PROBE_WORD   "CHATROOM-DISCOVER"
#define CR_DISCOVERY_ROOM_WORD    "CHATROOM-ROOM"
#define CR_DISCOVERY_VERSION      1
#define CR_DISCOVERY_ANNOUNCE_PORT 10023
/* Administratively scoped (RFC 2365) and link-local (RFC 4291) groups; the
 * room joins them on its port where it listens on every address. */
#define CR_DISCOVERY_GROUP_V4     "239.255.67.82"
#define CR_DISCOVERY_GROUP_V6     "ff02::6372:6f6f:6d"

typedef enum {
  CR_DISCOVERY_NONE = 0,     /* not a discovery datagram at all */
  CR_DISCOVERY_INVALID,      /* starts like one, but is malformed */
  CR_DISCOVERY_PROBE,
  CR_DISCOVERY_ROOM,
} CrDiscoveryKind;

typedef enum {
  CR_DISCOVERY_ANSWER = 1,
  CR_DISCOVERY_OPEN,
  CR_DISCOVERY_CLOSE,
} CrDiscoveryRoomKind;

/* What a room says of itself. */
typedef struct {
  CrDiscoveryRoomKind kind;
  char     *nonce;        /* answers: the probe's; else NULL */
  char     *id;
  char     *name;
  char     *owner;        /* never NULL once parsed ("" = none) */
  guint     members;
  gboolean  registration;
  guint     dialect;
  guint16   port;
  GStrv     addresses;    /* never NULL once parsed */
} CrDiscoveryRoom;

void             cr_discovery_room_clear  (CrDiscoveryRoom *room);

/* Does this datagram start like a discovery datagram? Cheap: the room's
 * packet path asks it of every datagram. */
gboolean         cr_discovery_is_discovery (const guint8 *data,
                                            gsize         len);

/* Classify and parse. For a PROBE *nonce is set (transfer full); for a ROOM
 * *room is filled (clear it with cr_discovery_room_clear). Either may be
 * NULL when the caller does not want it. */
CrDiscoveryKind  cr_discovery_parse       (const guint8     *data,
                                           gsize             len,
                                           char            **nonce,
                                           CrDiscoveryRoom  *room);

/* A probe of exactly pad_to bytes (at least what the nonce needs; at most
 * CR_DISCOVERY_PROBE_MAX). nonce: 1–32 of [0-9A-Za-z]. */
GBytes          *cr_discovery_probe_new   (const char *nonce,
                                           gsize       pad_to);

/* What a room says, at most max_len bytes: fields that do not fit are left
 * out, addresses last first. NULL when even the required fields do not fit.
 * Control characters in name and owner become spaces; both are cut to
 * CR_DISCOVERY_FIELD_MAX bytes at a character boundary. */
GBytes          *cr_discovery_room_build  (const CrDiscoveryRoom *room,
                                           gsize                  max_len);

/* A nonce of 16 hex digits from random bytes. */
char            *cr_discovery_nonce_new   (void);

G_END_DECLS
