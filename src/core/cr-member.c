/* cr-member.c: one person in the room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-member"

#include "config.h"

#include <string.h>

#include "cr-enums.h"
#include "cr-member.h"

struct _CrMember
{
  GObject   parent_instance;

  char     *name;
  char     *sort_key;      /* casefolded name, for cr_member_compare */
  char     *address;
  gint64    last_active;
  CrRole    role;
  guint     flags;
  gboolean  is_self;
};

G_DEFINE_FINAL_TYPE (CrMember, cr_member, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_ROLE,
  PROP_FLAGS,
  PROP_IS_SELF,
  PROP_ADDRESS,
  PROP_LAST_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cr_member_finalize (GObject *object)
{
  CrMember *self = CR_MEMBER (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->sort_key, g_free);
  g_clear_pointer (&self->address, g_free);

  G_OBJECT_CLASS (cr_member_parent_class)->finalize (object);
}

static void
cr_member_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CrMember *self = CR_MEMBER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;

    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;

    case PROP_IS_SELF:
      g_value_set_boolean (value, self->is_self);
      break;

    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;

    case PROP_LAST_ACTIVE:
      g_value_set_int64 (value, self->last_active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_member_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CrMember *self = CR_MEMBER (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      g_free (self->sort_key);
      self->name = g_value_dup_string (value);
      if (self->name == NULL)
        self->name = g_strdup ("");
      self->sort_key = g_utf8_casefold (self->name, -1);
      break;

    case PROP_ROLE:
      cr_member_set_role (self, g_value_get_enum (value));
      break;

    case PROP_FLAGS:
      cr_member_set_flags (self, g_value_get_flags (value));
      break;

    case PROP_IS_SELF:
      cr_member_set_is_self (self, g_value_get_boolean (value));
      break;

    case PROP_ADDRESS:
      cr_member_set_address (self, g_value_get_string (value));
      break;

    case PROP_LAST_ACTIVE:
      cr_member_set_last_active (self, g_value_get_int64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_member_class_init (CrMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cr_member_finalize;
  object_class->get_property = cr_member_get_property;
  object_class->set_property = cr_member_set_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, "",
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL,
                       CR_TYPE_ROLE, CR_ROLE_MEMBER,
                      (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL,
                        CR_TYPE_MEMBER_FLAGS, 0,
                       (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_IS_SELF] =
    g_param_spec_boolean ("is-self", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL, NULL,
                         (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_LAST_ACTIVE] =
    g_param_spec_int64 ("last-active", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cr_member_init (CrMember *self)
{
  self->name = g_strdup ("");
  self->sort_key = g_strdup ("");
  self->role = CR_ROLE_MEMBER;
}

/**
 * cr_member_new:
 *
 * Returns: (transfer full): a member
 */
CrMember *
cr_member_new (const char *name,
               CrRole      role,
               guint       flags)
{
  g_return_val_if_fail (name != NULL, NULL);

  return g_object_new (CR_TYPE_MEMBER,
                       "name", name,
                       "role", (int) role,
                       "flags", flags,
                       NULL);
}

const char *
cr_member_get_name (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), NULL);

  return self->name;
}

CrRole
cr_member_get_role (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), CR_ROLE_MEMBER);

  return self->role;
}

void
cr_member_set_role (CrMember *self,
                    CrRole    role)
{
  g_return_if_fail (CR_IS_MEMBER (self));

  if (self->role == role)
    return;
  self->role = role;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}

guint
cr_member_get_flags (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), 0);

  return self->flags;
}

void
cr_member_set_flags (CrMember *self,
                     guint     flags)
{
  g_return_if_fail (CR_IS_MEMBER (self));

  if (self->flags == flags)
    return;
  self->flags = flags;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FLAGS]);
}

gboolean
cr_member_get_registered (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), FALSE);

  return (self->flags & CR_MEMBER_REGISTERED) != 0;
}

gboolean
cr_member_get_muted (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), FALSE);

  return (self->flags & CR_MEMBER_MUTED) != 0;
}

gboolean
cr_member_get_is_self (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), FALSE);

  return self->is_self;
}

void
cr_member_set_is_self (CrMember *self,
                       gboolean  is_self)
{
  g_return_if_fail (CR_IS_MEMBER (self));

  is_self = !!is_self;
  if (self->is_self == is_self)
    return;
  self->is_self = is_self;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_SELF]);
}

const char *
cr_member_get_address (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), NULL);

  return self->address;
}

void
cr_member_set_address (CrMember   *self,
                       const char *address)
{
  g_return_if_fail (CR_IS_MEMBER (self));

  if (g_strcmp0 (self->address, address) == 0)
    return;
  g_free (self->address);
  self->address = g_strdup (address);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADDRESS]);
}

gint64
cr_member_get_last_active (CrMember *self)
{
  g_return_val_if_fail (CR_IS_MEMBER (self), 0);

  return self->last_active;
}

void
cr_member_set_last_active (CrMember *self,
                           gint64    last_active)
{
  g_return_if_fail (CR_IS_MEMBER (self));

  if (self->last_active == last_active)
    return;
  self->last_active = last_active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ACTIVE]);
}

/* Natural order of two casefolded keys: a run of ASCII digits compares
 * as the number it spells, so u14 < u139 < u140 (as a class list reads),
 * the rest byte by byte. Equal numbers with more leading zeros ("u007" vs
 * "u7") go after, so the order stays total. */
static int
compare_natural (const char *a,
                 const char *b)
{
  int zeros = 0;

  while (*a != '\0' && *b != '\0')
    {
      if (g_ascii_isdigit (*a) && g_ascii_isdigit (*b))
        {
          const char *ea, *eb;
          const char *sa = a, *sb = b;
          gsize la, lb;

          while (*sa == '0' && g_ascii_isdigit (sa[1]))
            sa++;
          while (*sb == '0' && g_ascii_isdigit (sb[1]))
            sb++;
          for (ea = sa; g_ascii_isdigit (*ea); ea++)
            ;
          for (eb = sb; g_ascii_isdigit (*eb); eb++)
            ;
          la = ea - sa;
          lb = eb - sb;
          if (la != lb)
            return la < lb ? -1 : 1;
          for (gsize i = 0; i < la; i++)
            if (sa[i] != sb[i])
              return sa[i] < sb[i] ? -1 : 1;
          if (zeros == 0 && (sa - a) != (sb - b))
            zeros = (sa - a) < (sb - b) ? -1 : 1;
          a = ea;
          b = eb;
          continue;
        }
      if (*a != *b)
        return (guchar) *a < (guchar) *b ? -1 : 1;
      a++;
      b++;
    }
  if (*a != *b)
    return *a == '\0' ? -1 : 1;
  return zeros;
}

static int
role_rank (CrRole role)
{
  return role == CR_ROLE_OWNER ? 0 : role == CR_ROLE_ADMIN ? 1 : 2;
}

int
cr_member_compare (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  CrMember *ma = CR_MEMBER ((gpointer) a);
  CrMember *mb = CR_MEMBER ((gpointer) b);
  int cmp;

  /* Owner, then admins, then members. */
  if (role_rank (ma->role) != role_rank (mb->role))
    return role_rank (ma->role) < role_rank (mb->role) ? -1 : 1;

  /* Casefolded bytes rather than collation: the same order in every
   * locale, and names differing only in case stay next to each other. */
  cmp = compare_natural (ma->sort_key, mb->sort_key);
  if (cmp != 0)
    return cmp;

  /* Names are unique case-insensitively, but keep the order total. */
  cmp = strcmp (ma->name, mb->name);
  return cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
}
