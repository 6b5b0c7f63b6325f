/* cr-engine.h: the server's packet path. Bytes and a source address in,
 * datagrams to send out; no socket, and time passed in, so it can be tested
 * with literal bytes, fuzzed and benchmarked. Drives CrRoom, CrReliable per
 * session and CrStore.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "cr-types.h"
#include "cr-room.h"
#include "cr-store.h"

G_BEGIN_DECLS

typedef struct _CrEngine CrEngine;

typedef struct {
  GSocketAddress *to;     /* owned */
  GBytes         *data;   /* owned */
} CrDatagram;

void cr_datagram_free (CrDatagram *datagram);

typedef struct {
  const char *room_name;
  const char *language;           /* the classic lines: "zh_CN" or "en" (cr-classic.h) */
  const char *owner_name;         /* signs the console's messages; NULL: "" */
  guint       max_members;
  guint       history_length;     /* events replayed on join */
  gboolean    require_registration;
  gint64      silence_timeout_us;
  gint64      classic_idle_us;    /* classic clients never ping: long */
  double      rate_per_second;    /* flood control: messages a member may */
  double      rate_burst;         /* send per second, and in one burst */
} CrEngineConfig;

typedef struct {
  guint64 datagrams_in;
  guint64 datagrams_out;
  guint64 malformed;      /* dropped: did not parse */
  guint64 spoofed;        /* dropped: session, address or name did not match */
  guint64 rate_limited;
  guint64 retransmits;
  guint64 store_errors;
} CrStats;

typedef void (*CrEngineEventFunc)   (const CrEvent *event,
                                     gpointer       user_data);

void       cr_engine_config_init     (CrEngineConfig *config);

/* store may be NULL (nothing kept). The engine does not own it. */
CrEngine  *cr_engine_new             (const CrEngineConfig *config,
                                      CrStore              *store);
void       cr_engine_free            (CrEngine *self);

void       cr_engine_set_event_func  (CrEngine          *self,
                                      CrEngineEventFunc  func,
                                      gpointer           user_data);
const char *cr_engine_get_owner_token (CrEngine *self);
CrRoom    *cr_engine_get_room        (CrEngine *self);
CrEngineConfig *cr_engine_get_config (CrEngine *self);  /* change live */

/* The datagram path. out: CrDatagram*, with cr_datagram_free. */
void       cr_engine_receive         (CrEngine       *self,
                                      const guint8   *data,
                                      gsize           len,
                                      GSocketAddress *from,
                                      gint64          now,
                                      GPtrArray      *out);
/* Retransmissions, keepalive timeouts, lingering goodbyes. */
void       cr_engine_tick            (CrEngine  *self,
                                      gint64     now,
                                      GPtrArray *out);
gint64     cr_engine_next_deadline   (CrEngine *self);

/* The owner. Each returns FALSE and sets *reason when it does not apply. */
gboolean   cr_engine_owner_say       (CrEngine   *self,
                                      const char *text,
                                      gint64      now,
                                      GPtrArray  *out,
                                      CrReason   *reason);
gboolean   cr_engine_announce        (CrEngine   *self,
                                      const char *text,
                                      gint64      now,
                                      GPtrArray  *out,
                                      CrReason   *reason);
typedef enum {
  CR_OWNER_KICK,
  CR_OWNER_BAN,
  CR_OWNER_UNBAN,
  CR_OWNER_MUTE,
  CR_OWNER_UNMUTE,
} CrOwnerAction;
gboolean   cr_engine_owner_act       (CrEngine      *self,
                                      CrOwnerAction  action,
                                      const char    *name,
                                      gint64         now,
                                      GPtrArray     *out,
                                      CrReason      *reason);
/* Close the room: ROOM_CLOSED to all, BYE to each session. */
void       cr_engine_close           (CrEngine  *self,
                                      gint64     now,
                                      GPtrArray *out);
/* Nothing left unacked (after close: every goodbye acknowledged). */
gboolean   cr_engine_is_drained      (CrEngine *self);

/* For the owner view: the address and dialect of a member. */
GSocketAddress *cr_engine_get_member_address (CrEngine *self,
                                              guint32   member_id);
void       cr_engine_get_stats       (CrEngine *self,
                                      CrStats  *stats);

G_END_DECLS
