/* cr-engine-auth.c: accounts, and the password hash off the engine's thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whether a name may join with this password, and whether it then counts as
 * registered. Most answers need only the store (has the name an account?);
 * the two that need Argon2id (registering, and logging in with a password)
 * take a tenth of a second or more on purpose, so they are not computed
 * here: the join waits in self->pending and a CrAuthJob carries copies of
 * what the hash needs (the password, the stored hash string, the cost) to
 * whoever runs it (CrServer: a worker thread). cr_engine_complete_auth()
 * then does what the store still has to do (the new account's INSERT) and
 * admits or refuses the joiner, on the engine's thread. Only that thread
 * ever touches the store.
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-store-private.h"
#include "cr-engine-private.h"

struct _CrAuthJob {
  guint64       id;
  gboolean      do_register;  /* hash a new password, else check one */
  CrPwhashCost  cost;
  char         *password;     /* a copy; wiped once used */
  char         *hash;         /* check: the stored string; register: the new one */
  gboolean      ok;           /* hashed, or the password matched */
};

/* Jobs */

static void
wipe_password (CrAuthJob *job)
{
  if (job->password == NULL)
    return;
  sodium_memzero (job->password, strlen (job->password));
  g_clear_pointer (&job->password, g_free);
}

void
cr_auth_job_free (CrAuthJob *job)
{
  if (job == NULL)
    return;
  wipe_password (job);
  g_free (job->hash);
  g_free (job);
}

void
cr_auth_job_run (CrAuthJob *job)
{
  g_return_if_fail (job != NULL);
  g_return_if_fail (job->password != NULL);

  if (job->do_register)
    {
      g_free (job->hash);
      job->hash = cr_store_hash_password (job->password, job->cost);
      job->ok = job->hash != NULL;
    }
  else
    job->ok = cr_store_verify_password (job->hash, job->password);
  wipe_password (job);
}

/* Pending joins */

static void
join_free (CrEngineJoin *join)
{
  g_clear_object (&join->from);
  g_free (join->name);
  g_free (join->fold);
  g_free (join);
}

void
_cr_engine_auth_init (CrEngine *self)
{
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify) join_free);
  g_queue_init (&self->jobs);
}

void
_cr_engine_auth_clear (CrEngine *self)
{
  g_queue_clear_full (&self->jobs, (GDestroyNotify) cr_auth_job_free);
  g_clear_pointer (&self->pending, g_hash_table_destroy);
}

/* The room closes: whoever still waits for a hash is told so, and the
 * hashes nobody took are not run. */
void
_cr_engine_auth_close (CrEngine  *self,
                       GPtrArray *out)
{
  GHashTableIter iter;
  CrEngineJoin *join;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &join))
    _cr_engine_refuse (self, out, join->from, CR_REASON_ROOM_CLOSED);
  g_hash_table_remove_all (self->pending);
  g_queue_clear_full (&self->jobs, (GDestroyNotify) cr_auth_job_free);
}

gboolean
_cr_engine_auth_is_pending (CrEngine              *self,
                            const CrEngineAddrKey *key)
{
  GHashTableIter iter;
  CrEngineJoin *join;

  /* At most CR_ENGINE_AUTH_PENDING_MAX: a walk is cheaper than an index. */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &join))
    if (_cr_engine_addr_key_equal (&join->key, key))
      return TRUE;
  return FALSE;
}

static CrEngineAuth
start_job (CrEngine           *self,
           const CrEngineJoin *join,
           const char         *password,
           char               *stored_hash)   /* takes */
{
  CrEngineJoin *copy;
  CrAuthJob *job;
  guint64 *id;

  if (g_hash_table_size (self->pending) >= CR_ENGINE_AUTH_PENDING_MAX)
    {
      /* A flood, or a crowd: the client asks again in half a second. */
      g_free (stored_hash);
      self->stats.rate_limited++;
      return CR_ENGINE_AUTH_BUSY;
    }

  job = g_new0 (CrAuthJob, 1);
  job->id = ++self->next_job_id;
  job->do_register = join->do_register;
  job->cost = self->store != NULL ? cr_store_get_pwhash_cost (self->store)
                                  : CR_PWHASH_INTERACTIVE;
  job->password = g_strdup (password);
  job->hash = stored_hash;
  g_queue_push_tail (&self->jobs, job);

  copy = g_new0 (CrEngineJoin, 1);
  *copy = *join;
  copy->from = g_object_ref (join->from);
  copy->name = g_strdup (join->name);
  copy->fold = g_strdup (join->fold);
  id = g_new (guint64, 1);
  *id = job->id;
  g_hash_table_insert (self->pending, id, copy);
  return CR_ENGINE_AUTH_PENDING;
}

CrEngineAuth
_cr_engine_authenticate (CrEngine           *self,
                         const CrEngineJoin *join,
                         const char         *password,
                         CrReason           *reason,
                         gboolean           *registered)
{
  gboolean has_account = self->store != NULL && cr_store_has_account (self->store, join->fold);
  gsize password_len = strlen (password);

  *registered = FALSE;
  *reason = CR_REASON_NONE;

  if (join->do_register)
    {
      if (self->store == NULL)
        *reason = CR_REASON_INTERNAL;
      else if (has_account)
        *reason = CR_REASON_ALREADY_REGISTERED;
      else if (password_len < CR_PASSWORD_MIN_BYTES || password_len > CR_PASSWORD_MAX_BYTES)
        *reason = CR_REASON_PASSWORD_INVALID;
      else
        return start_job (self, join, password, NULL);
      return CR_ENGINE_AUTH_DONE;
    }

  if (password_len > 0)
    {
      if (!has_account)
        *reason = CR_REASON_NOT_REGISTERED;
      else if (password_len > CR_PASSWORD_MAX_BYTES)
        *reason = CR_REASON_WRONG_PASSWORD;
      else
        {
          char *hash = cr_store_dup_password_hash (self->store, join->fold);

          if (hash != NULL)
            return start_job (self, join, password, hash);
          *reason = CR_REASON_WRONG_PASSWORD;
        }
      return CR_ENGINE_AUTH_DONE;
    }

  if (has_account)
    *reason = CR_REASON_NAME_REGISTERED;
  else if (self->config.require_registration && !join->owner)
    *reason = CR_REASON_REGISTRATION_REQUIRED;
  return CR_ENGINE_AUTH_DONE;
}

/* Public API */

CrAuthJob *
cr_engine_take_auth_job (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_queue_pop_head (&self->jobs);
}

guint
cr_engine_get_n_pending_auth (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->pending);
}

void
cr_engine_complete_auth (CrEngine     *self,
                         CrAuthJob    *job,
                         CrEngineTime  now,
                         GPtrArray    *out)
{
  gpointer id = NULL;
  CrEngineJoin *join = NULL;
  CrReason reason = CR_REASON_NONE;

  g_return_if_fail (self != NULL);
  g_return_if_fail (job != NULL);
  g_return_if_fail (out != NULL);

  /* Not ours, or no longer awaited (the room closed meanwhile). */
  if (!g_hash_table_steal_extended (self->pending, &job->id, &id, (gpointer *) &join))
    return;
  g_free (id);

  if (!job->do_register)
    reason = job->ok ? CR_REASON_NONE : CR_REASON_WRONG_PASSWORD;
  else if (!job->ok)
    {
      self->stats.store_errors++;
      g_warning ("Could not hash the password of %s: out of memory", join->name);
      reason = CR_REASON_INTERNAL;
    }
  else
    {
      g_autoptr(GError) error = NULL;

      /* Someone may have registered the name while this one hashed. */
      if (!cr_store_add_account_hash (self->store, join->fold, join->name, job->hash, &error))
        {
          if (g_error_matches (error, CR_STORE_ERROR, CR_STORE_ERROR_EXISTS))
            reason = CR_REASON_ALREADY_REGISTERED;
          else
            {
              self->stats.store_errors++;
              g_warning ("Could not register %s: %s", join->name, error->message);
              reason = CR_REASON_INTERNAL;
            }
        }
    }

  if (reason != CR_REASON_NONE)
    _cr_engine_refuse (self, out, join->from, reason);
  else
    _cr_engine_admit (self, join, TRUE, now, out);
  join_free (join);
}

void
cr_engine_run_auth_jobs (CrEngine     *self,
                         CrEngineTime  now,
                         GPtrArray    *out)
{
  CrAuthJob *job;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  while ((job = cr_engine_take_auth_job (self)) != NULL)
    {
      cr_auth_job_run (job);
      cr_engine_complete_auth (self, job, now, out);
      cr_auth_job_free (job);
    }
}
