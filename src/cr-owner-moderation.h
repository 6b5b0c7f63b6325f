/* cr-owner-moderation.h: the owner view's class controls (issue 15): mute
 * everyone, and the pinned announcement (群公告)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "cr-server.h"

G_BEGIN_DECLS

#define CR_TYPE_OWNER_MODERATION (cr_owner_moderation_get_type ())
G_DECLARE_FINAL_TYPE (CrOwnerModeration, cr_owner_moderation, CR, OWNER_MODERATION, AdwBin)

/* Property: "server" (CrServer, nullable): the hosted room; the controls
 * follow its events and act through cr_server_moderate. */
CrServer   *cr_owner_moderation_get_server (CrOwnerModeration *self);
void        cr_owner_moderation_set_server (CrOwnerModeration *self,
                                            CrServer          *server);

G_END_DECLS
