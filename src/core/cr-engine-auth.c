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
 *
 * The cost. Accounts are hashed with Argon2id at libsodium's "interactive"
 * limits (crypto_pwhash_OPSLIMIT_INTERACTIVE = 2 passes over
 * crypto_pwhash_MEMLIMIT_INTERACTIVE = 64 MiB, one lane: cr-store.c,
 * cr_store_hash_password): about a tenth of a second on a classroom PC,
 * which a person logging in never notices, while a stolen database costs
 * a guesser 64 MiB and that tenth per guess. The "moderate" or "sensitive"
 * limits (256 MiB / 1 GiB) would make every login take seconds and let a
 * few joins exhaust a small machine's memory. Tests use CR_PWHASH_MIN.
 *
 * Guessing. The hash makes each guess slow for the room too, so no guess
 * gets one unless it is allowed: after BACKOFF_FREE wrong passwords for a
 * name, or from an IP, each one doubles the wait before the next is
 * considered (1 s, 2 s, … up to 5 min), and CR_ENGINE_LOGIN_LOCK_FAILURES of them lock the name for
 * CR_ENGINE_LOGIN_LOCK_US (the owner sees it and may lift it). Attempts
 * inside the wait are refused RATE_LIMITED before any job is made, so a
 * guesser costs a lookup, not an Argon2id. Registrations are limited per
 * IP (CR_ENGINE_REGISTER_RATE).
 *
 * Look-alikes. A name a reader cannot tell from a registered one ("bоb"
 * with a Cyrillic о for bob) is refused NAME_CONFUSABLE, guest, login or
 * registration, while bob is away too: the store keeps each account's
 * skeleton (cr_name_skeleton) and finds another fold with the same one.
 * The room itself refuses look-alikes of the members present (cr-room.c).
 */
#define G_LOG_DOMAIN "cr-engine"

#include "config.h"

#include <string.h>

#include "cr-store-private.h"
#include "cr-engine-private.h"

#define BACKOFF_FREE      3     /* failures before any wait */
#define BACKOFF_FIRST_US  G_TIME_SPAN_SECOND
#define BACKOFF_MAX_US    (5 * G_TIME_SPAN_MINUTE)

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
  g_free (join->resume_token);
  cr_seal_clear (&join->seal);
  g_free (join);
}

/* Back-off */

static void
backoff_fail (CrEngine        *self,
              CrEngineBackoff *backoff,
              gboolean         may_lock,
              gint64           now)
{
  gint64 wait = BACKOFF_FIRST_US;

  backoff->failures++;
  /* A typo or two costs nothing: the next try is considered at once. */
  if (backoff->failures <= BACKOFF_FREE)
    return;
  for (guint i = BACKOFF_FREE + 1; i < backoff->failures && wait < BACKOFF_MAX_US; i++)
    wait *= 2;
  backoff->not_before = now + MIN (wait, BACKOFF_MAX_US);
  if (may_lock && backoff->failures >= CR_ENGINE_LOGIN_LOCK_FAILURES)
    {
      if (backoff->locked_until <= now)
        self->locks_serial++;
      backoff->locked_until = now + CR_ENGINE_LOGIN_LOCK_US;
    }
}

static gboolean
backoff_waits (const CrEngineBackoff *backoff,
               gint64                 now)
{
  return backoff != NULL && (now < backoff->not_before || now < backoff->locked_until);
}

static gboolean
name_is_pending (CrEngine   *self,
                 const char *fold)
{
  GHashTableIter iter;
  CrEngineJoin *join;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &join))
    if (g_str_equal (join->fold, fold))
      return TRUE;
  return FALSE;
}

/* May this login have a hash job? Not while its name or its IP waits out
 * a back-off, nor while another guess for the name is being hashed (the
 * back-off would only count the guesses once they are all done). */
static gboolean
login_allowed (CrEngine           *self,
               const CrEngineJoin *join,
               gint64              now)
{
  CrEngineHost *host = _cr_engine_host (self, &join->key, now);

  if (_cr_engine_host_is_local (&join->key))
    host = NULL;
  else if (host == NULL)
    {
      self->stats.login_throttled++;
      return FALSE;
    }
  if ((host != NULL && backoff_waits (&host->logins, now)) ||
      backoff_waits (g_hash_table_lookup (self->logins, join->fold), now) ||
      name_is_pending (self, join->fold))
    {
      self->stats.login_throttled++;
      return FALSE;
    }
  return TRUE;
}

static void
login_done (CrEngine           *self,
            const CrEngineJoin *join,
            gboolean            ok,
            gint64              now)
{
  CrEngineHost *host = _cr_engine_host (self, &join->key, now);
  CrEngineBackoff *backoff;

  if (ok)
    {
      g_hash_table_remove (self->logins, join->fold);
      if (host != NULL)
        memset (&host->logins, 0, sizeof host->logins);
      return;
    }

  if (host != NULL)
    backoff_fail (self, &host->logins, FALSE, now);
  /* Only names with an account get here: the table is as big as the
   * accounts are many. */
  backoff = g_hash_table_lookup (self->logins, join->fold);
  if (backoff == NULL)
    {
      backoff = g_new0 (CrEngineBackoff, 1);
      g_hash_table_insert (self->logins, g_strdup (join->fold), backoff);
    }
  backoff_fail (self, backoff, TRUE, now);
  /* The owner is told through cr_engine_get_locks_serial (CrServer's
   * "locks-changed": a console line, the owner view). */
  if (backoff->locked_until > now && backoff->failures == CR_ENGINE_LOGIN_LOCK_FAILURES)
    g_debug ("Too many wrong passwords for %s: locked for %d minutes", join->name,
             (int) (CR_ENGINE_LOGIN_LOCK_US / G_TIME_SPAN_MINUTE));
}

void
_cr_engine_auth_init (CrEngine *self)
{
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify) join_free);
  self->logins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->jobs);
}

void
_cr_engine_auth_clear (CrEngine *self)
{
  g_queue_clear_full (&self->jobs, (GDestroyNotify) cr_auth_job_free);
  g_clear_pointer (&self->pending, g_hash_table_destroy);
  g_clear_pointer (&self->logins, g_hash_table_destroy);
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
  copy->resume_token = g_strdup (join->resume_token);
  id = g_new (guint64, 1);
  *id = job->id;
  g_hash_table_insert (self->pending, id, copy);
  return CR_ENGINE_AUTH_PENDING;
}

CrEngineAuth
_cr_engine_authenticate (CrEngine           *self,
                         const CrEngineJoin *join,
                         const char         *password,
                         gint64              now,
                         CrReason           *reason,
                         gboolean           *registered)
{
  gboolean has_account = self->store != NULL && cr_store_has_account (self->store, join->fold);
  gsize password_len = strlen (password);

  *registered = FALSE;
  *reason = CR_REASON_NONE;

  /* Whoever the name's own account is may use it; anyone else may not use
   * a name that cannot be told from another account's. */
  if (!has_account && _cr_engine_is_lookalike (self, join->name, join->fold))
    {
      *reason = CR_REASON_NAME_CONFUSABLE;
      return CR_ENGINE_AUTH_DONE;
    }

  if (join->do_register)
    {
      if (self->store == NULL)
        *reason = CR_REASON_INTERNAL;
      else if (has_account)
        *reason = CR_REASON_ALREADY_REGISTERED;
      else if (password_len < CR_PASSWORD_MIN_BYTES || password_len > CR_PASSWORD_MAX_BYTES)
        *reason = CR_REASON_PASSWORD_INVALID;
      else
        {
          CrEngineHost *host = _cr_engine_host (self, &join->key, now);

          if (_cr_engine_host_is_local (&join->key) ||
              (host != NULL &&
               _cr_engine_bucket_take (&host->registrations, CR_ENGINE_REGISTER_RATE,
                                      CR_ENGINE_REGISTER_BURST, now)))
            return start_job (self, join, password, NULL);
          self->stats.login_throttled++;
          *reason = CR_REASON_RATE_LIMITED;
        }
      return CR_ENGINE_AUTH_DONE;
    }

  if (password_len > 0)
    {
      if (!has_account)
        *reason = CR_REASON_NOT_REGISTERED;
      else if (password_len > CR_PASSWORD_MAX_BYTES)
        *reason = CR_REASON_WRONG_PASSWORD;
      else if (!login_allowed (self, join, now))
        *reason = CR_REASON_RATE_LIMITED;
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

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

gboolean
_cr_engine_is_lookalike (CrEngine   *self,
                         const char *normalized,
                         const char *fold)
{
  g_autofree char *skeleton = NULL;
  g_autofree char *similar = NULL;

  g_assert (self != NULL);

  if (self->store == NULL)
    return FALSE;
  skeleton = cr_name_skeleton (normalized);
  if (!cr_store_find_lookalike (self->store, skeleton, fold, &similar))
    return FALSE;
  /* Debug only: a stranger can ask as often as it likes. */
  g_debug ("%s refused: too similar to %s, who is registered", normalized,
           similar != NULL ? similar : "an account that cannot be read");
  return TRUE;
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
    {
      reason = job->ok ? CR_REASON_NONE : CR_REASON_WRONG_PASSWORD;
      login_done (self, join, job->ok, now.mono);
    }
  else if (!job->ok)
    {
      self->stats.store_errors++;
      g_warning ("Could not hash the password of %s: out of memory", join->name);
      reason = CR_REASON_INTERNAL;
    }
  else
    {
      g_autoptr(GError) error = NULL;

      /* Someone may have registered the name, or a look-alike of it,
       * while this one hashed. */
      if (_cr_engine_is_lookalike (self, join->name, join->fold))
        reason = CR_REASON_NAME_CONFUSABLE;
      else if (!cr_store_add_account_hash (self->store, join->fold, join->name, job->hash,
                                           &error))
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

GPtrArray *
cr_engine_dup_locked_names (CrEngine     *self,
                            CrEngineTime  now)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *fold;
  CrEngineBackoff *backoff;

  g_return_val_if_fail (self != NULL, names);

  g_hash_table_iter_init (&iter, self->logins);
  while (g_hash_table_iter_next (&iter, (gpointer *) &fold, (gpointer *) &backoff))
    if (now.mono < backoff->locked_until)
      g_ptr_array_add (names, g_strdup (fold));
  g_ptr_array_sort (names, compare_names);
  return names;
}

gboolean
cr_engine_unlock_name (CrEngine   *self,
                       const char *name)
{
  g_autofree char *normalized = NULL;
  g_autofree char *fold = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (cr_name_validate (name, -1, &normalized) != CR_REASON_NONE)
    return FALSE;
  fold = cr_name_fold (normalized);
  /* The whole record: the next attempt is considered at once. */
  if (!g_hash_table_remove (self->logins, fold))
    return FALSE;
  self->locks_serial++;
  return TRUE;
}

guint
cr_engine_get_locks_serial (CrEngine *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->locks_serial;
}
