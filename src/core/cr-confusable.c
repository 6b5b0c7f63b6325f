/* cr-confusable.c: a compact table of look-alike letters
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small subset of Unicode's confusables.txt (UTS #39), without ICU: the
 * Cyrillic, Greek and Armenian letters that are drawn like Latin ones, the
 * digit and symbol look-alikes of Latin letters (0 o, 1 l I |, rn m), and
 * the look-alikes of the characters the classic lines are framed with
 * (":", "【", "】"). Full-width forms need no entry: NFKC folds them first
 * (cr_name_skeleton). Prototypes are Latin; case is folded after mapping,
 * so an upper-case source maps to the upper-case letter it is drawn like,
 * and every capital drawn like "I" (Latin, Greek, Cyrillic) maps to "l".
 */
#define G_LOG_DOMAIN "cr-confusable"

#include "config.h"

#include <stdlib.h>

#include "cr-confusable.h"

typedef struct
{
  gunichar    source;
  const char *prototype;
} Confusable;

/* ASCII by index: a room makes a skeleton of every member's name for
 * every join, and most names are ASCII. */
static const char * const ascii[128] = {
  ['0'] = "o",
  ['1'] = "l",
  ['I'] = "l",
  ['m'] = "rn",
  ['|'] = "l",
};

/* The rest, sorted by source, for bsearch. */
static const Confusable confusables[] = {
  { 0x0131, "i" },       /* LATIN SMALL LETTER DOTLESS I */
  { 0x01C0, "l" },       /* LATIN LETTER DENTAL CLICK */
  { 0x0251, "a" },       /* LATIN SMALL LETTER ALPHA */
  { 0x0261, "g" },       /* LATIN SMALL LETTER SCRIPT G */
  { 0x0269, "i" },       /* LATIN SMALL LETTER IOTA */
  { 0x02D0, ":" },       /* MODIFIER LETTER TRIANGULAR COLON */
  { 0x02F8, ":" },       /* MODIFIER LETTER RAISED COLON */
  { 0x0391, "A" },       /* GREEK CAPITAL LETTER ALPHA */
  { 0x0392, "B" },       /* GREEK CAPITAL LETTER BETA */
  { 0x0395, "E" },       /* GREEK CAPITAL LETTER EPSILON */
  { 0x0396, "Z" },       /* GREEK CAPITAL LETTER ZETA */
  { 0x0397, "H" },       /* GREEK CAPITAL LETTER ETA */
  { 0x0399, "l" },       /* GREEK CAPITAL LETTER IOTA */
  { 0x039A, "K" },       /* GREEK CAPITAL LETTER KAPPA */
  { 0x039C, "M" },       /* GREEK CAPITAL LETTER MU */
  { 0x039D, "N" },       /* GREEK CAPITAL LETTER NU */
  { 0x039F, "O" },       /* GREEK CAPITAL LETTER OMICRON */
  { 0x03A1, "P" },       /* GREEK CAPITAL LETTER RHO */
  { 0x03A4, "T" },       /* GREEK CAPITAL LETTER TAU */
  { 0x03A5, "Y" },       /* GREEK CAPITAL LETTER UPSILON */
  { 0x03A7, "X" },       /* GREEK CAPITAL LETTER CHI */
  { 0x03B1, "a" },       /* GREEK SMALL LETTER ALPHA */
  { 0x03B3, "y" },       /* GREEK SMALL LETTER GAMMA */
  { 0x03B9, "i" },       /* GREEK SMALL LETTER IOTA */
  { 0x03BD, "v" },       /* GREEK SMALL LETTER NU */
  { 0x03BF, "o" },       /* GREEK SMALL LETTER OMICRON */
  { 0x03C1, "p" },       /* GREEK SMALL LETTER RHO */
  { 0x03C5, "u" },       /* GREEK SMALL LETTER UPSILON */
  { 0x03F2, "c" },       /* GREEK LUNATE SIGMA SYMBOL */
  { 0x03F3, "j" },       /* GREEK LETTER YOT */
  { 0x03F9, "C" },       /* GREEK CAPITAL LUNATE SIGMA SYMBOL */
  { 0x0405, "S" },       /* CYRILLIC CAPITAL LETTER DZE */
  { 0x0406, "l" },       /* CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I */
  { 0x0408, "J" },       /* CYRILLIC CAPITAL LETTER JE */
  { 0x0410, "A" },       /* CYRILLIC CAPITAL LETTER A */
  { 0x0412, "B" },       /* CYRILLIC CAPITAL LETTER VE */
  { 0x0415, "E" },       /* CYRILLIC CAPITAL LETTER IE */
  { 0x0417, "3" },       /* CYRILLIC CAPITAL LETTER ZE */
  { 0x041A, "K" },       /* CYRILLIC CAPITAL LETTER KA */
  { 0x041C, "M" },       /* CYRILLIC CAPITAL LETTER EM */
  { 0x041D, "H" },       /* CYRILLIC CAPITAL LETTER EN */
  { 0x041E, "O" },       /* CYRILLIC CAPITAL LETTER O */
  { 0x0420, "P" },       /* CYRILLIC CAPITAL LETTER ER */
  { 0x0421, "C" },       /* CYRILLIC CAPITAL LETTER ES */
  { 0x0422, "T" },       /* CYRILLIC CAPITAL LETTER TE */
  { 0x0423, "Y" },       /* CYRILLIC CAPITAL LETTER U */
  { 0x0425, "X" },       /* CYRILLIC CAPITAL LETTER HA */
  { 0x0430, "a" },       /* CYRILLIC SMALL LETTER A */
  { 0x0435, "e" },       /* CYRILLIC SMALL LETTER IE */
  { 0x043E, "o" },       /* CYRILLIC SMALL LETTER O */
  { 0x0440, "p" },       /* CYRILLIC SMALL LETTER ER */
  { 0x0441, "c" },       /* CYRILLIC SMALL LETTER ES */
  { 0x0443, "y" },       /* CYRILLIC SMALL LETTER U */
  { 0x0445, "x" },       /* CYRILLIC SMALL LETTER HA */
  { 0x0455, "s" },       /* CYRILLIC SMALL LETTER DZE */
  { 0x0456, "i" },       /* CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I */
  { 0x0458, "j" },       /* CYRILLIC SMALL LETTER JE */
  { 0x04AE, "Y" },       /* CYRILLIC CAPITAL LETTER STRAIGHT U */
  { 0x04AF, "y" },       /* CYRILLIC SMALL LETTER STRAIGHT U */
  { 0x04BB, "h" },       /* CYRILLIC SMALL LETTER SHHA */
  { 0x04C0, "l" },       /* CYRILLIC LETTER PALOCHKA */
  { 0x04CF, "l" },       /* CYRILLIC SMALL LETTER PALOCHKA */
  { 0x051A, "Q" },       /* CYRILLIC CAPITAL LETTER QA */
  { 0x051B, "q" },       /* CYRILLIC SMALL LETTER QA */
  { 0x051C, "W" },       /* CYRILLIC CAPITAL LETTER WE */
  { 0x051D, "w" },       /* CYRILLIC SMALL LETTER WE */
  { 0x0570, "h" },       /* ARMENIAN SMALL LETTER HO */
  { 0x0578, "n" },       /* ARMENIAN SMALL LETTER VO */
  { 0x057D, "u" },       /* ARMENIAN SMALL LETTER SEH */
  { 0x0585, "o" },       /* ARMENIAN SMALL LETTER OH */
  { 0x05C0, "l" },       /* HEBREW PUNCTUATION PASEQ */
  { 0x05C3, ":" },       /* HEBREW PUNCTUATION SOF PASUQ */
  { 0x2223, "l" },       /* DIVIDES */
  { 0x2236, ":" },       /* RATIO */
  { 0x3016, "【" },       /* LEFT WHITE LENTICULAR BRACKET */
  { 0x3017, "】" },       /* RIGHT WHITE LENTICULAR BRACKET */
  { 0x3018, "【" },       /* LEFT WHITE TORTOISE SHELL BRACKET */
  { 0x3019, "】" },       /* RIGHT WHITE TORTOISE SHELL BRACKET */
  { 0x301A, "【" },       /* LEFT WHITE SQUARE BRACKET */
  { 0x301B, "】" },       /* RIGHT WHITE SQUARE BRACKET */
  { 0xA789, ":" },       /* MODIFIER LETTER COLON */
};

static int
compare_source (const void *key,
                const void *element)
{
  gunichar c = *(const gunichar *) key;
  const Confusable *entry = element;

  return c < entry->source ? -1 : c > entry->source;
}

const char *
cr_confusable_prototype (gunichar c)
{
  const Confusable *entry;

  if (c < G_N_ELEMENTS (ascii))
    return ascii[c];
  entry = bsearch (&c, confusables, G_N_ELEMENTS (confusables), sizeof confusables[0],
                   compare_source);
  return entry != NULL ? entry->prototype : NULL;
}
