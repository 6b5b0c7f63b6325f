/* cr-test-world.h: one room (CrEngine on a real CrStore) and its members
 * (CrClientEngine) in one process: no socket, a fake clock, datagrams
 * passed by hand, and links that can be cut or mangled.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by tests/test-client-engine.c and tests/test-storage-faults.c.
 * Every loop is bounded: a member's join waits at most 10 s of fake time,
 * a pump delivers at most 200 000 datagrams, a tick round repeats at most
 * 100 times.
 */
#pragma once

#include <gio/gio.h>

#include "cr-client-engine.h"
#include "cr-crypto.h"
#include "cr-engine.h"
#include "cr-store.h"

G_BEGIN_DECLS

#define CR_TEST_WORLD_T0    (1000 * G_TIME_SPAN_SECOND)      /* the fake clock's start */
#define CR_TEST_WORLD_STEP  (10 * G_TIME_SPAN_MILLISECOND)   /* run_for's step */

typedef struct
{
  CrClientEngine *engine;
  GSocketAddress *address;
  GPtrArray      *outputs;   /* CrClientOutput*: everything it said */
  gboolean        cut;       /* its link drops everything, both ways */
  gboolean        no_probe;  /* its probes are lost (it falls back to classic) */
} CrTestMember;

typedef struct
{
  char           *dir;
  gboolean        own_dir;    /* made by init, removed by clear */
  CrStore        *store;
  CrEngineConfig  config;     /* set before cr_test_world_open; its identity
                               * (the room's key) makes the world speak
                               * sealed, NULL the plaintext dialect */
  CrIdentity     *identity;   /* owned; config.identity by default */
  CrEngine       *room;       /* NULL while the room is down */
  GSocketAddress *room_address;
  gint64          now;
  GPtrArray      *members;    /* CrTestMember* */
  GQueue          flights;
  gboolean        mangle;     /* room → member: each datagram twice, last first */
  GPtrArray      *held;       /* what mangle holds back */
  gboolean        lose_probes; /* members added now have their probes lost */
  guint64         delivered;
  GRand          *rand;       /* the room's randomness, fixed */
  guint           told_failing; /* the owner's storage warnings, by kind */
  guint           told_ok;
  GPtrArray      *warnings;   /* char*: what the owner was told */
} CrTestWorld;

/* Prepares a world on data_dir (NULL: a fresh temporary folder, removed
 * by clear); the room is not open yet: adjust w->config, then open. */
void          cr_test_world_init      (CrTestWorld *w,
                                       const char  *data_dir);
/* Opens the store and starts the room on it; FALSE (and error) when the
 * store refuses to open. */
gboolean      cr_test_world_open      (CrTestWorld *w,
                                       GError     **error);
/* The room stops (its process dies with it: nothing is said, what was in
 * flight is lost). */
void          cr_test_world_shut      (CrTestWorld *w);
void          cr_test_world_clear     (CrTestWorld *w);

/* The room's clock: the fake monotonic time, and a wall clock beside it. */
CrEngineTime  cr_test_world_time      (CrTestWorld *w);
/* Deliver everything in flight, and what it makes each side say. While
 * the room is down, what is sent to it is lost. */
void          cr_test_world_pump      (CrTestWorld *w);
/* Tick whoever is due (the members that want it at once, repeatedly). */
void          cr_test_world_tick_due  (CrTestWorld *w);
void          cr_test_world_run_for   (CrTestWorld *w,
                                       gint64       us);
/* Queue what a member (or the room) just said. */
void          cr_test_world_member_sent (CrTestWorld  *w,
                                         CrTestMember *m,
                                         GPtrArray    *out);
void          cr_test_world_room_sent (CrTestWorld *w,
                                       GPtrArray   *out);

/* A member starts joining (its first datagrams delivered). */
CrTestMember *cr_test_world_add       (CrTestWorld *w,
                                       const char  *name,
                                       const char  *password,
                                       gboolean     do_register);
/* Join and run until the join is decided (≤ 10 s of fake time). */
CrTestMember *cr_test_world_join      (CrTestWorld *w,
                                       const char  *name,
                                       const char  *password,
                                       gboolean     do_register);

G_END_DECLS
