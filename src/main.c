/* main.c: the entry point of the Chat Room desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "chatroom"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CrApplication) app = NULL;

  cr_locale_init ();

  app = cr_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
