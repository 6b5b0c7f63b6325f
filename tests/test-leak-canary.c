/* test-leak-canary.c: proves that the UI suite still catches a leak of ours
 *
 * Copyright 2026 The Chat Room authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The UI tests run with the GL driver switched off and a suppression for
 * fontconfig's cache (tests/meson.build, tests/lsan.supp). Either could hide
 * our own leaks if it were too wide. This program draws a real window the
 * way the UI tests do, clicks a button, and with --leak the click handler
 * loses one allocation. tests/check-leak-canary.sh runs it both ways: clean
 * it must exit 0, with --leak LeakSanitizer must fail it and name
 * canary_leak_on_click.
 */
#define G_LOG_DOMAIN "test-leak-canary"

#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

static gboolean leak;
static gboolean drawn;
static gboolean clicked;

/* Not static: the name LeakSanitizer prints, which the script looks for. */
void canary_leak_on_click (GtkButton *button,
                           gpointer   user_data);

void
canary_leak_on_click (GtkButton *button,
                      gpointer   user_data)
{
  char *copy = g_strdup_printf ("clicked %s", gtk_button_get_label (button));

  clicked = TRUE;
  if (leak)
    {
      /* Forget the only pointer: LeakSanitizer sees no reference left. */
      memset (&copy, 0, sizeof copy);
      return;
    }
  g_free (copy);
}

static void
on_frame (GdkFrameClock *clock,
          gpointer       user_data)
{
  drawn = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  GtkWidget *window;
  GtkWidget *button;
  gint64 deadline;

  leak = argc > 1 && g_str_equal (argv[1], "--leak");

  if (!gtk_init_check ())
    {
      g_printerr ("No display\n");
      return 77;
    }

  window = gtk_window_new ();
  button = gtk_button_new_with_label ("Leak");
  g_signal_connect (button, "clicked", G_CALLBACK (canary_leak_on_click), NULL);
  gtk_window_set_child (GTK_WINDOW (window), button);
  gtk_window_present (GTK_WINDOW (window));

  /* A real draw, as in the UI tests (bounded: 10 s). */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (gtk_widget_get_frame_clock (window) == NULL &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  if (gtk_widget_get_frame_clock (window) != NULL)
    g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                      G_CALLBACK (on_frame), NULL);
  while (!drawn && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!drawn)
    {
      g_printerr ("The window was never drawn\n");
      return 1;
    }

  /* Through GTK, as the keyboard clicks (GTK emits "clicked" from its own
   * timeout): libgtk-4 is on the leak's stack. */
  gtk_widget_activate (button);
  while (!clicked && g_get_monotonic_time () < deadline + 5 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  if (!clicked)
    {
      g_printerr ("The button was never clicked\n");
      return 1;
    }

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}
