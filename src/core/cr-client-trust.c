/* cr-client-trust.c: trust on first use, a member's side: the room's key
 * checked against the trust file, and what the user is shown of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine compares the key the room proved with the one the trust file
 * (cr-trust.c) knew for its address; this file remembers a new or accepted
 * key, keeps the fingerprints the app and chatroom-cli show, and holds the
 * user's choices for the next join (a key met for the first time, one that
 * changed).
 */
#define G_LOG_DOMAIN "cr-client"

#include "config.h"

#include "cr-crypto.h"
#include "cr-client-private.h"

void
_cr_client_room_key_proved (CrClient   *self,
                            CrKeyTrust  trust)
{
  const guint8 *key = cr_client_engine_get_room_key (self->engine);
  g_autofree char *fingerprint = cr_fingerprint (key);
  g_autoptr(GError) error = NULL;

  if ((trust == CR_KEY_TRUST_NEW || trust == CR_KEY_TRUST_ACCEPTED) && self->trust != NULL &&
      !cr_trust_remember (self->trust, self->address, key, &error))
    g_warning ("Could not remember the room's key: %s", error->message);
  /* Without a trust file nothing was compared, nor remembered. */
  if (self->trust == NULL)
    trust = CR_KEY_TRUST_NONE;
  g_object_freeze_notify (G_OBJECT (self));
  _cr_client_set_string (self, &self->fingerprint, fingerprint, CLIENT_PROP_FINGERPRINT);
  _cr_client_set_int (self, (int *) &self->key_trust, trust, CLIENT_PROP_KEY_TRUST);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_cr_client_note_key_changed (CrClient *self)
{
  const guint8 *offered = cr_client_engine_get_offered_key (self->engine);
  const guint8 *known = cr_client_engine_get_room_key (self->engine);

  if (known == NULL && self->trust != NULL)
    known = cr_trust_lookup (self->trust, self->address);
  g_clear_pointer (&self->known_fingerprint, g_free);
  g_clear_pointer (&self->offered_fingerprint, g_free);
  if (known != NULL)
    self->known_fingerprint = cr_fingerprint (known);
  if (offered != NULL)
    self->offered_fingerprint = cr_fingerprint (offered);
}

void
cr_client_set_trust_file (CrClient   *self,
                          const char *path)
{
  g_return_if_fail (CR_IS_CLIENT (self));

  g_free (self->trust_path);
  self->trust_path = g_strdup (path);
}

void
cr_client_set_accept_new_key (CrClient *self,
                              gboolean  accept)
{
  g_return_if_fail (CR_IS_CLIENT (self));

  self->accept_new_key = !!accept;
}

void
cr_client_set_confirm_new_key (CrClient   *self,
                               gboolean    confirm,
                               const char *accepted_fingerprint)
{
  g_return_if_fail (CR_IS_CLIENT (self));

  self->confirm_new_key = !!confirm;
  g_free (self->accepted_fingerprint);
  self->accepted_fingerprint = g_strdup (accepted_fingerprint);
}

const char *
cr_client_get_fingerprint (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->fingerprint;
}

CrKeyTrust
cr_client_get_key_trust (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), CR_KEY_TRUST_NONE);

  return self->key_trust;
}

const char *
cr_client_get_known_fingerprint (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->known_fingerprint;
}

const char *
cr_client_get_offered_fingerprint (CrClient *self)
{
  g_return_val_if_fail (CR_IS_CLIENT (self), NULL);

  return self->offered_fingerprint;
}
