/* cr-test-ui.c: what the UI tests share
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-test-ui"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cr-test-utils.h"
#include "cr-test-ui.h"

GtkWidget *
cr_test_ui_find (GtkWidget     *widget,
                 CrTestUiMatch  match,
                 gconstpointer  data)
{
  if (match (widget, data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = cr_test_ui_find (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_type (GtkWidget     *widget,
         gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

static gboolean
is_label (GtkWidget     *widget,
          gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

static gboolean
is_visible_label (GtkWidget     *widget,
                  gconstpointer  text)
{
  return is_label (widget, text) && gtk_widget_get_visible (widget);
}

static gboolean
is_button (GtkWidget     *widget,
           gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_icon_button (GtkWidget     *widget,
                gconstpointer  icon_name)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), icon_name) == 0;
}

typedef struct
{
  CrMessage  *message;
  const char *text;
} RowMatch;

static gboolean
is_message_row (GtkWidget     *widget,
                gconstpointer  data)
{
  const RowMatch *match = data;

  if (!CR_IS_MESSAGE_ROW (widget))
    return FALSE;
  if (match->message != NULL)
    return cr_message_row_get_message (CR_MESSAGE_ROW (widget)) == match->message;
  return cr_test_ui_has_label (widget, match->text);
}

gboolean
cr_test_ui_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
cr_test_ui_require_display (void)
{
  if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
    return;
  if (g_getenv ("CI") != NULL)
    {
      g_printerr ("No display in CI: run the UI tests under xvfb-run\n");
      exit (1);
    }
  g_print ("1..0 # SKIP no display: run under xvfb-run\n");
  exit (0);
}

gboolean
cr_test_ui_in_chinese (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language != NULL && g_str_has_prefix (language, "zh");
}

GtkWidget *
cr_test_ui_find_type (GtkWidget *root,
                      GType      type)
{
  return cr_test_ui_find (root, is_type, GSIZE_TO_POINTER (type));
}

GtkWidget *
cr_test_ui_find_label (GtkWidget  *root,
                       const char *text)
{
  return cr_test_ui_find (root, is_label, text);
}

GtkWidget *
cr_test_ui_find_label_containing (GtkWidget  *root,
                                  const char *needle)
{
  return cr_test_ui_find (root, is_label_containing, needle);
}

gboolean
cr_test_ui_has_label (GtkWidget  *root,
                      const char *text)
{
  return cr_test_ui_find (root, is_visible_label, text) != NULL;
}

GtkWidget *
cr_test_ui_find_button (GtkWidget  *root,
                        const char *label)
{
  return cr_test_ui_find (root, is_button, label);
}

GtkWidget *
cr_test_ui_find_icon_button (GtkWidget  *root,
                             const char *icon_name)
{
  return cr_test_ui_find (root, is_icon_button, icon_name);
}

CrMessageRow *
cr_test_ui_find_row (GtkWidget  *root,
                     CrMessage  *message,
                     const char *text)
{
  RowMatch match = { message, text };
  GtkWidget *row = cr_test_ui_find (root, is_message_row, &match);

  return row != NULL ? CR_MESSAGE_ROW (row) : NULL;
}

AdwMessageDialog *
cr_test_ui_find_dialog (GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (window) &&
          (parent == NULL || gtk_window_get_transient_for (GTK_WINDOW (window)) == parent))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

CrClient *
cr_test_ui_join (const char *address,
                 const char *name,
                 guint       timeout_ms)
{
  g_autoptr(GError) error = NULL;
  CrClient *client = cr_test_join (address, name, NULL, FALSE, timeout_ms, &error);

  g_assert_no_error (error);
  g_assert_cmpint (cr_client_get_state (client), ==, CR_CLIENT_CONNECTED);
  return client;
}
