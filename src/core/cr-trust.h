/* cr-trust.h: the rooms a member has met, and their keys (trust on first use)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small text file, by default $XDG_DATA_HOME/chatroom/known-rooms: one
 * line per room, "<public key, 64 hex digits> <address as joined>". The
 * first join of an address records the room's identity key; a later join
 * that meets another key for the address is stopped (CR_REASON_KEY_CHANGED)
 * unless the member chose to accept it. chatroom-cli and the app share it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CrTrust CrTrust;

typedef enum {
  CR_TRUST_NEW,       /* never met: remember it */
  CR_TRUST_KNOWN,     /* the key we have for this address */
  CR_TRUST_CHANGED,   /* another key than the one we have */
} CrTrustResult;

/* The default file ($XDG_DATA_HOME/chatroom/known-rooms). CHATROOM_TRUST_FILE
 * overrides it; set but empty, NULL: remember nothing (the test suite). */
char          *cr_trust_default_path     (void);

/* Reads path (a missing file is an empty store; lines that do not parse
 * are skipped and kept out of later writes). */
CrTrust       *cr_trust_new              (const char    *path);
void           cr_trust_free             (CrTrust       *self);
const char    *cr_trust_get_path         (CrTrust       *self);

/* The key remembered for address (32 bytes, borrowed), or NULL. */
const guint8  *cr_trust_lookup           (CrTrust       *self,
                                          const char    *address);
CrTrustResult  cr_trust_check            (CrTrust       *self,
                                          const char    *address,
                                          const guint8  *public_key);
/* Remember (or replace) the key of address and write the file. */
gboolean       cr_trust_remember         (CrTrust       *self,
                                          const char    *address,
                                          const guint8  *public_key,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CrTrust, cr_trust_free)

G_END_DECLS
