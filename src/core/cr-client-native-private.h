/* cr-client-native-private.h: the native dialect's state, shared by its
 * two files: cr-client-native.c (sending, timers, calls, the dialect's
 * table) and cr-client-native-receive.c (what the room sends). Private to
 * the core.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "cr-crypto.h"
#include "cr-protocol.h"
#include "cr-reliable.h"
#include "cr-client-dialect.h"

G_BEGIN_DECLS

#define JOIN_INTERVAL_US     (500 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  CrReliable *reliable;
  guint32     session;
  guint32     cookie;          /* the room's answer to the probe, for JOIN */
  gboolean    welcomed;        /* a WELCOME opened the current session */
  gboolean    identified;      /* and it was one we could accept */
  char       *resume_token;
  gboolean    have_members;
  guint64     members_seq;
  GPtrArray  *member_events;   /* CrEvent*: seen before the MEMBERS list */
  guint       classic_undos;

  gint64      probe_due;
  gint64      join_due;
  gint64      rejoin_interval;
  gint64      leave_deadline;
  gint64      last_heard;

  CrHandshake hs;              /* this join's ephemeral key pair */
  gboolean    keyed;           /* the room's KEY checked: seal has the keys */
  gint64      keyed_at;
  CrSeal      seal;
} Native;

static inline guint32
_cr_client_native_read_be32 (const guint8 *in)
{
  return ((guint32) in[0] << 24) | ((guint32) in[1] << 16) |
         ((guint32) in[2] << 8) | (guint32) in[3];
}

/* cr-client-native.c */
void _cr_client_native_start_handshake     (Native          *n);
void _cr_client_native_send_unreliable     (CrClientEngine  *engine,
                                            Native          *n,
                                            CrPacketType     type);
void _cr_client_native_flush_reliable      (CrClientEngine  *engine,
                                            Native          *n,
                                            gint64           now);
void _cr_client_native_queue_chat          (CrClientEngine  *engine,
                                            Native          *n,
                                            CrClientPending *pending,
                                            gint64           now);
void _cr_client_native_enter_reconnecting  (CrClientEngine  *engine,
                                            Native          *n,
                                            gint64           now);

/* cr-client-native-receive.c: the dialect's receive () */
void _cr_client_native_receive             (CrClientEngine  *engine,
                                            gpointer         state,
                                            const guint8    *data,
                                            gsize            len,
                                            gint64           now);

G_END_DECLS
