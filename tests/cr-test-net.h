/* cr-test-net.h: what the network tests share
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A classroom member by hand on a raw UDP socket ("N name", then text
 * lines), and a tap: a relay on 127.0.0.1 between a member and the room
 * that records every datagram either way and may drop or replace what the
 * room sends. Every wait is bounded.
 */
#pragma once

#include <gio/gio.h>

#include "cr-test-utils.h"

G_BEGIN_DECLS

/* A classroom member --------------------------------------------------- */

typedef struct
{
  CrTestSocket   *sock;
  GSocketAddress *room;
  GPtrArray      *lines;    /* char*: everything received after "OK" */
  guint           next;     /* the first line cr_test_classic_expect has not passed */
} CrTestClassic;

/* "N name" from a socket of its own; the room must answer "OK" within
 * timeout_ms. */
CrTestClassic *cr_test_classic_join      (GSocketAddress *room,
                                          const char     *name,
                                          guint           timeout_ms);
/* Whether any line received so far contains needle (reads what came). */
gboolean   cr_test_classic_has_line      (CrTestClassic  *classic,
                                          const char     *needle);
/* Fails the test unless a line containing needle comes within timeout_ms. */
void       cr_test_classic_wait_line     (CrTestClassic  *classic,
                                          const char     *needle,
                                          guint           timeout_ms);
/* The lines after those already passed, until one equals want (passed
 * too): TRUE when it came within timeout_ms. */
gboolean   cr_test_classic_expect        (CrTestClassic  *classic,
                                          const char     *want,
                                          guint           timeout_ms);
/* Closes the socket, saying nothing; cr_test_classic_leave says "Q" first. */
void       cr_test_classic_free          (CrTestClassic  *classic);
void       cr_test_classic_leave         (CrTestClassic  *classic);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestClassic, cr_test_classic_free)

/* A tap ---------------------------------------------------------------- */

typedef struct _CrTestTap CrTestTap;

/* Called with each datagram the room sends before it is passed on: the
 * datagram to pass instead (a new reference; the same one is fine), or
 * NULL to drop it (counted in dropped). */
typedef GBytes *(*CrTestTapFilter) (CrTestTap *tap,
                                    GBytes    *datagram,
                                    gpointer   user_data);

struct _CrTestTap
{
  GSocket         *listen;       /* members send here; the room's datagrams leave from here */
  GSocket         *upstream;     /* towards the room */
  GSource         *listen_source;
  GSource         *upstream_source;
  GSocketAddress  *room;
  GSocketAddress  *member;       /* the last member address heard */
  GPtrArray       *to_room;      /* GBytes*: all members sent */
  GPtrArray       *to_member;    /* GBytes*: all that was passed to a member */
  guint            dropped;      /* the room's datagrams the filter dropped */
  CrTestTapFilter  filter;
  gpointer         filter_data;
  guint8          *buffer;
};

CrTestTap *cr_test_tap_new               (GSocketAddress *room);
void       cr_test_tap_free              (CrTestTap      *tap);
guint16    cr_test_tap_get_port          (CrTestTap      *tap);
/* "127.0.0.1:PORT", where members join through the tap. */
char      *cr_test_tap_dup_address       (CrTestTap      *tap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTestTap, cr_test_tap_free)

/* Whether data holds needle (memmem, without asking for _GNU_SOURCE). */
gboolean   cr_test_bytes_contain         (const guint8   *data,
                                          gsize           len,
                                          const char     *needle);
/* Whether any of datagrams (GBytes*) holds needle. */
gboolean   cr_test_datagrams_contain     (GPtrArray      *datagrams,
                                          const char     *needle);

G_END_DECLS
