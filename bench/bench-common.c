/* bench-common.c: what the benchmarks share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "bench-common.h"

#include <glib/gstdio.h>

static void
bench_random (guint8   *buf,
              gsize     len,
              gpointer  user_data)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = g_random_int_range (0, 256);
}

void
bench_engine_config (CrEngineConfig *config,
                     guint           n_members,
                     CrIdentity     *identity)
{
  cr_engine_config_init (config);
  config->random_func = bench_random;
  config->max_members = n_members + 1;
  config->rate_per_second = 1e9;
  config->rate_burst = 1e9;
  config->identity = identity;
}

void
bench_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        bench_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
