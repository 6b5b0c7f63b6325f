/* cr-login-page.h: the first view: where to join, and as whom
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CR_TYPE_LOGIN_PAGE (cr_login_page_get_type ())
G_DECLARE_FINAL_TYPE (CrLoginPage, cr_login_page, CR, LOGIN_PAGE, AdwBin)

/* Signal "join-requested": the user asked to join with what the page
 * holds; the window joins and reports back with set_busy / show_error.
 * Signal "key-accepted" (const char *fingerprint): the same, trusting the
 * first-seen room's key shown (cr_login_page_show_new_key). */
GtkWidget  *cr_login_page_new           (void);
const char *cr_login_page_get_address   (CrLoginPage *self);
void        cr_login_page_set_address   (CrLoginPage *self,
                                         const char  *address);
const char *cr_login_page_get_nickname  (CrLoginPage *self);
void        cr_login_page_set_nickname  (CrLoginPage *self,
                                         const char  *nickname);
const char *cr_login_page_get_password  (CrLoginPage *self);
gboolean    cr_login_page_get_register  (CrLoginPage *self);
/* Store the address and nickname for the next start (after a good join). */
void        cr_login_page_remember      (CrLoginPage *self);
void        cr_login_page_set_busy      (CrLoginPage *self,
                                         gboolean     busy);
/* Focus the first row to fill (the address when all are). */
void        cr_login_page_focus         (CrLoginPage *self);
/* The password rule, in characters: "The password must be 4 to 64
 * characters long" (transfer full). */
char       *cr_login_page_dup_password_rule (void);
/* An inline message under the form; NULL hides it. */
void        cr_login_page_show_error    (CrLoginPage *self,
                                         const char  *text);
const char *cr_login_page_get_error     (CrLoginPage *self);
/* A room met for the first time (cr_session_get_new_key): its
 * fingerprint, with "compare this key with the owner's" and Join /
 * Cancel; Join emits "key-accepted" (const char *fingerprint). NULL
 * hides it, as do Cancel and editing the address. */
void        cr_login_page_show_new_key  (CrLoginPage *self,
                                         const char  *fingerprint);
const char *cr_login_page_get_new_key   (CrLoginPage *self);
/* A transient note ("You left the room"). */
void        cr_login_page_show_toast    (CrLoginPage *self,
                                         const char  *text);
/* A transient note with a button (transfer full). */
void        cr_login_page_add_toast     (CrLoginPage *self,
                                         AdwToast    *toast);

G_END_DECLS
