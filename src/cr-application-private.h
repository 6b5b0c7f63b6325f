/* cr-application-private.h: what the application built, for its tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GNotification cannot be read back, and under Xvfb there is no
 * notification server: the application keeps, per notification id, what
 * it put into the last one it sent (whether or not a session bus carried
 * it), so a test can check it and activate its actions.
 */
#pragma once

#include "cr-application.h"

G_BEGIN_DECLS

typedef struct {
  char     *title;
  char     *body;
  gboolean  high;             /* a mention, or the background notice */
  guint     count;            /* messages it stands for (0: not a message's) */
  char     *default_action;   /* "app.show-message" */
  GVariant *default_target;
  char     *button_labels[2]; /* NULL-padded */
  char     *button_actions[2];
  GVariant *button_targets[2];
} CrNotice;

/* The last notification sent with id (NULL: none, or withdrawn). */
const CrNotice *_cr_application_get_notice (CrApplication *self,
                                            const char    *id);
/* app.quit is closing the windows: nothing goes to the background
 * (cr-window.c). */
gboolean        _cr_application_is_quitting (CrApplication *self);
/* The notification id of a conversation. Transfer full. */
char           *_cr_application_dup_notice_id (const char *conversation);

G_END_DECLS
