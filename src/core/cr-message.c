/* cr-message.c: one row of the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "cr-message"

#include "config.h"

#include "cr-enums.h"
#include "cr-render.h"
#include "cr-message.h"

struct _CrMessage
{
  GObject         parent_instance;

  char           *sender;
  char           *text;
  gint64          time_us;
  guint64         seq;
  guint64         origin;
  CrEventKind     kind;
  CrMessageState  state;
  CrReason        failure;
  gboolean        own;
  /* The conversation (issue 14). */
  guint64         reply_to;
  char           *quote_name;
  char           *quote_text;
  char           *target;
  gboolean        recalled;
  char           *actor;      /* the admin who kicked, banned or muted (issue 15) */
};

G_DEFINE_FINAL_TYPE (CrMessage, cr_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_SENDER,
  PROP_TEXT,
  PROP_TIME,
  PROP_SEQ,
  PROP_ORIGIN,
  PROP_OWN,
  PROP_STATE,
  PROP_FAILURE,
  PROP_REPLY_TO,
  PROP_QUOTE_NAME,
  PROP_QUOTE_TEXT,
  PROP_TARGET,
  PROP_RECALLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_state (CrMessage      *self,
           CrMessageState  state,
           CrReason        failure)
{
  g_assert (CR_IS_MESSAGE (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->failure != failure)
    {
      self->failure = failure;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE]);
    }
}

static void
cr_message_finalize (GObject *object)
{
  CrMessage *self = CR_MESSAGE (object);

  g_clear_pointer (&self->sender, g_free);
  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->quote_name, g_free);
  g_clear_pointer (&self->quote_text, g_free);
  g_clear_pointer (&self->target, g_free);
  g_clear_pointer (&self->actor, g_free);

  G_OBJECT_CLASS (cr_message_parent_class)->finalize (object);
}

static void
cr_message_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CrMessage *self = CR_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_SENDER:
      g_value_set_string (value, self->sender);
      break;

    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    case PROP_TIME:
      g_value_set_int64 (value, self->time_us);
      break;

    case PROP_SEQ:
      g_value_set_uint64 (value, self->seq);
      break;

    case PROP_ORIGIN:
      g_value_set_uint64 (value, self->origin);
      break;

    case PROP_OWN:
      g_value_set_boolean (value, self->own);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_FAILURE:
      g_value_set_enum (value, self->failure);
      break;

    case PROP_REPLY_TO:
      g_value_set_uint64 (value, self->reply_to);
      break;

    case PROP_QUOTE_NAME:
      g_value_set_string (value, self->quote_name);
      break;

    case PROP_QUOTE_TEXT:
      g_value_set_string (value, self->quote_text);
      break;

    case PROP_TARGET:
      g_value_set_string (value, self->target);
      break;

    case PROP_RECALLED:
      g_value_set_boolean (value, self->recalled);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_message_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CrMessage *self = CR_MESSAGE (object);

  /* Only construct-only properties are writable. */
  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;

    case PROP_SENDER:
      g_free (self->sender);
      self->sender = g_value_dup_string (value);
      if (self->sender == NULL)
        self->sender = g_strdup ("");
      break;

    case PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      if (self->text == NULL)
        self->text = g_strdup ("");
      break;

    case PROP_TIME:
      self->time_us = g_value_get_int64 (value);
      break;

    case PROP_SEQ:
      self->seq = g_value_get_uint64 (value);
      break;

    case PROP_ORIGIN:
      self->origin = g_value_get_uint64 (value);
      break;

    case PROP_OWN:
      self->own = g_value_get_boolean (value);
      break;

    case PROP_STATE:
      self->state = g_value_get_enum (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cr_message_class_init (CrMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cr_message_finalize;
  object_class->get_property = cr_message_get_property;
  object_class->set_property = cr_message_set_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       CR_TYPE_EVENT_KIND, CR_EVENT_CHAT,
                      (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_SENDER] =
    g_param_spec_string ("sender", NULL, NULL, "",
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, "",
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  /* time and seq change once, when the room acknowledges an own message. */
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_SEQ] =
    g_param_spec_uint64 ("seq", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_ORIGIN] =
    g_param_spec_uint64 ("origin", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_OWN] =
    g_param_spec_boolean ("own", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                           G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       CR_TYPE_MESSAGE_STATE, CR_MESSAGE_RECEIVED,
                      (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                       G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_FAILURE] =
    g_param_spec_enum ("failure", NULL, NULL,
                       CR_TYPE_REASON, CR_REASON_NONE,
                      (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  /* The conversation: set once the room says (a reply, a private message),
   * recalled when the room takes the text back. */
  properties[PROP_REPLY_TO] =
    g_param_spec_uint64 ("reply-to", NULL, NULL, 0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_QUOTE_NAME] =
    g_param_spec_string ("quote-name", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_QUOTE_TEXT] =
    g_param_spec_string ("quote-text", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_TARGET] =
    g_param_spec_string ("target", NULL, NULL, NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));
  properties[PROP_RECALLED] =
    g_param_spec_boolean ("recalled", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cr_message_init (CrMessage *self)
{
  self->kind = CR_EVENT_CHAT;
  self->sender = g_strdup ("");
  self->text = g_strdup ("");
  self->state = CR_MESSAGE_RECEIVED;
  self->failure = CR_REASON_NONE;
}

/**
 * cr_message_new_from_event:
 * @event: a room event
 * @own: whether the user sent it (from this or an earlier session)
 *
 * Returns: (transfer full): a message in state SENT when @own, else RECEIVED
 */
CrMessage *
cr_message_new_from_event (const CrEvent *event,
                           gboolean       own)
{
  CrMessage *self;

  g_return_val_if_fail (event != NULL, NULL);

  self = g_object_new (CR_TYPE_MESSAGE,
                       "kind", (int) event->kind,
                       "sender", event->name,
                       "text", event->text,
                       "time", event->time_us,
                       "seq", event->seq,
                       "origin", event->origin,
                       "own", own,
                       "state", own ? CR_MESSAGE_SENT : CR_MESSAGE_RECEIVED,
                       NULL);
  self->reply_to = event->ref_seq;
  self->quote_name = g_strdup (event->quote_name);
  self->quote_text = g_strdup (event->quote_text);
  self->target = g_strdup (event->target);
  self->recalled = event->recalled;
  self->actor = g_strdup (event->actor);
  return self;
}

/**
 * cr_message_new_pending:
 *
 * Returns: (transfer full): an own chat message, PENDING, without a seq
 */
CrMessage *
cr_message_new_pending (const char *sender,
                        const char *text,
                        guint64     origin,
                        gint64      time_us)
{
  return g_object_new (CR_TYPE_MESSAGE,
                       "kind", (int) CR_EVENT_CHAT,
                       "sender", sender,
                       "text", text,
                       "time", time_us,
                       "origin", origin,
                       "own", TRUE,
                       "state", CR_MESSAGE_PENDING,
                       NULL);
}

CrEventKind
cr_message_get_kind (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), CR_EVENT_CHAT);

  return self->kind;
}

const char *
cr_message_get_sender (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  return self->sender;
}

const char *
cr_message_get_text (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  return self->text;
}

gint64
cr_message_get_time (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), 0);

  return self->time_us;
}

guint64
cr_message_get_seq (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), 0);

  return self->seq;
}

guint64
cr_message_get_origin (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), 0);

  return self->origin;
}

gboolean
cr_message_get_own (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), FALSE);

  return self->own;
}

gboolean
cr_message_is_system (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), FALSE);

  return !cr_event_kind_is_chat (self->kind);
}

CrMessageState
cr_message_get_state (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), CR_MESSAGE_RECEIVED);

  return self->state;
}

CrReason
cr_message_get_failure (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), CR_REASON_NONE);

  return self->failure;
}

void
cr_message_set_sent (CrMessage *self,
                     guint64    seq,
                     gint64     time_us)
{
  g_return_if_fail (CR_IS_MESSAGE (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->seq != seq)
    {
      self->seq = seq;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEQ]);
    }
  if (self->time_us != time_us)
    {
      self->time_us = time_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIME]);
    }
  set_state (self, CR_MESSAGE_SENT, CR_REASON_NONE);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cr_message_set_failed (CrMessage *self,
                       CrReason   reason)
{
  g_return_if_fail (CR_IS_MESSAGE (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, CR_MESSAGE_FAILED, reason);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cr_message_set_pending (CrMessage *self)
{
  g_return_if_fail (CR_IS_MESSAGE (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, CR_MESSAGE_PENDING, CR_REASON_NONE);
  g_object_thaw_notify (G_OBJECT (self));
}

char *
cr_message_dup_display (CrMessage *self)
{
  CrEvent event;

  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  if (!cr_message_is_system (self) && !self->recalled)
    return g_strdup (self->text);

  /* Rendered when shown, in the reader's language: the model stores the
   * event, not text in whatever language was current when it arrived. */
  event = (CrEvent) {
    .seq = self->seq,
    .time_us = self->time_us,
    .kind = self->kind,
    .name = self->sender,
    .text = self->text,
    .origin = self->origin,
    .recalled = self->recalled,
    .actor = self->actor,
  };
  return cr_render_event (&event, NULL);
}

guint64
cr_message_get_reply_to (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), 0);

  return self->reply_to;
}

const char *
cr_message_get_quote_name (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  return self->quote_name;
}

const char *
cr_message_get_quote_text (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  return self->quote_text;
}

const char *
cr_message_get_target (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  return self->target;
}

const char *
cr_message_get_peer (CrMessage  *self,
                     const char *own_name)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), NULL);

  if (self->target == NULL)
    return NULL;
  return self->own || g_strcmp0 (self->sender, own_name) == 0 ? self->target : self->sender;
}

gboolean
cr_message_get_recalled (CrMessage *self)
{
  g_return_val_if_fail (CR_IS_MESSAGE (self), FALSE);

  return self->recalled;
}

static void
set_string (CrMessage   *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
cr_message_set_conversation (CrMessage     *self,
                             const CrEvent *event)
{
  g_return_if_fail (CR_IS_MESSAGE (self));
  g_return_if_fail (event != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->reply_to != event->ref_seq)
    {
      self->reply_to = event->ref_seq;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLY_TO]);
    }
  set_string (self, &self->quote_name, event->quote_name, PROP_QUOTE_NAME);
  set_string (self, &self->quote_text, event->quote_text, PROP_QUOTE_TEXT);
  set_string (self, &self->target, event->target, PROP_TARGET);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cr_message_recall (CrMessage *self)
{
  g_return_if_fail (CR_IS_MESSAGE (self));

  if (self->recalled)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  self->recalled = TRUE;
  set_string (self, &self->text, "", PROP_TEXT);
  set_string (self, &self->quote_text, NULL, PROP_QUOTE_TEXT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECALLED]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
cr_message_forget_quote (CrMessage *self)
{
  g_return_if_fail (CR_IS_MESSAGE (self));

  set_string (self, &self->quote_text, NULL, PROP_QUOTE_TEXT);
}
