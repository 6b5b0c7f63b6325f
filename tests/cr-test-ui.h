/* cr-test-ui.h: what the UI tests share
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A display or a TAP skip, waiting in the main loop for a condition, and
 * finding widgets on screen the way a user would see them (by type, label
 * text, button label or icon). Every wait is bounded.
 */
#pragma once

#include <adwaita.h>

#include "cr-client.h"
#include "cr-message.h"
#include "cr-message-row.h"

G_BEGIN_DECLS

gboolean   cr_test_ui_tick                (gpointer      data);

/* Iterate the main context until expr holds; fail the test after ms. The
 * tick makes the loop look at expr every 10 ms, also when what makes it
 * true woke nothing in this context. */
#define WAIT_FOR(expr, ms)                                                        \
  G_STMT_START {                                                                  \
    gint64 wait_end_ = g_get_monotonic_time () + (gint64) (ms) * 1000;            \
    guint wait_tick_ = g_timeout_add (10, cr_test_ui_tick, NULL);                 \
    while (!(expr) && g_get_monotonic_time () < wait_end_)                        \
      g_main_context_iteration (NULL, TRUE);                                      \
    g_source_remove (wait_tick_);                                                 \
    if (!(expr))                                                                  \
      g_error ("%s:%d: timed out after %d ms waiting for %s",                     \
               __FILE__, __LINE__, (int) (ms), #expr);                            \
  } G_STMT_END

/* Before gtk_test_init (which must come first of GTK): without a display
 * (a Flatpak build's run-tests) there is no window to test, and the test
 * says so as a TAP skip and exits; in CI, where Xvfb is there, that is an
 * error. */
void       cr_test_ui_require_display     (void);
/* Whether the run is the Chinese one (LANGUAGE=zh_CN, tests/meson.build). */
gboolean   cr_test_ui_in_chinese          (void);

/* Depth first from root (root included); the first widget match says
 * TRUE of, or NULL. */
typedef gboolean (*CrTestUiMatch) (GtkWidget     *widget,
                                   gconstpointer  data);
GtkWidget *cr_test_ui_find                (GtkWidget    *root,
                                           CrTestUiMatch match,
                                           gconstpointer data);
/* The same, for the first of a type. */
GtkWidget *cr_test_ui_find_type           (GtkWidget    *root,
                                           GType         type);
/* A label whose text is text, shown or not. */
GtkWidget *cr_test_ui_find_label          (GtkWidget    *root,
                                           const char   *text);
/* A label whose text contains needle, shown or not. */
GtkWidget *cr_test_ui_find_label_containing (GtkWidget  *root,
                                           const char   *needle);
/* Whether a visible label (itself, not counting its ancestors) reads text. */
gboolean   cr_test_ui_has_label           (GtkWidget    *root,
                                           const char   *text);
/* A button labelled label / showing the icon icon_name. */
GtkWidget *cr_test_ui_find_button         (GtkWidget    *root,
                                           const char   *label);
GtkWidget *cr_test_ui_find_icon_button    (GtkWidget    *root,
                                           const char   *icon_name);
/* The message row showing message or, with message NULL, one with a
 * visible label that reads text. */
CrMessageRow *cr_test_ui_find_row        (GtkWidget    *root,
                                           CrMessage    *message,
                                           const char   *text);
/* The visible message dialog transient for parent (NULL: any), or NULL. */
AdwMessageDialog *cr_test_ui_find_dialog  (GtkWindow    *parent);

/* A client of the test's own joined to address as name (no password); the
 * join must succeed within timeout_ms. */
CrClient  *cr_test_ui_join                (const char   *address,
                                           const char   *name,
                                           guint         timeout_ms);

G_END_DECLS
