/* main.c: the entry point of the Chat Room desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Before anything asks for a setting: a program run from its build tree
 * (build/src/chatroom) uses that tree's compiled schema (build/data), and
 * one that finds no schema at all says how to run it instead of aborting
 * in GSettings.
 */
#define G_LOG_DOMAIN "chatroom"

#include "config.h"

#include <glib/gi18n.h>

#include "cr-render.h"
#include "cr-application.h"

/* The build tree's data directory when this program runs from a meson
 * build tree (its directory's parent holds meson-private), else NULL. */
static char *
dup_build_tree_schema_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *top = NULL;
  g_autofree char *marker = NULL;
  g_autofree char *compiled = NULL;

  if (exe == NULL)
    return NULL;

  dir = g_path_get_dirname (exe);
  top = g_path_get_dirname (dir);
  marker = g_build_filename (top, "meson-private", NULL);
  compiled = g_build_filename (top, "data", "gschemas.compiled", NULL);
  if (!g_file_test (marker, G_FILE_TEST_IS_DIR) || !g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
    return NULL;

  return g_build_filename (top, "data", NULL);
}

/* Only the options that print and exit need no settings. */
static gboolean
needs_schema (int    argc,
              char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--version") || g_str_has_prefix (argv[i], "--help") ||
        g_str_equal (argv[i], "-h") || g_str_equal (argv[i], "-?"))
      return FALSE;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CrApplication) app = NULL;
  g_autofree char *build_schemas = NULL;
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  cr_locale_init ();

  /* Set before GSettings reads the variable (it does so once). A
   * GSETTINGS_SCHEMA_DIR given by the caller (meson devenv) wins. */
  build_schemas = dup_build_tree_schema_dir ();
  if (build_schemas != NULL && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", build_schemas, TRUE);

  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL && needs_schema (argc, argv))
    {
      /* Translators: %s is the settings schema's id */
      g_printerr (_("The settings schema %s is not installed.\n"
                    "Install Chat Room (meson install), or run it from its build tree "
                    "with: meson devenv -C BUILD-DIRECTORY chatroom\n"), APP_ID);
      return 1;
    }

  app = cr_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
