
/*
 * attck-worker: the text side of threat-to-technique mapping.  Threat
 * reports name tools and artefacts ("cmd.exe /c", "-EncodedCommand",
 * "HKLM\...\Run", "CVE-2021-44228") that a plain word tokeniser would
 * break apart, so such runs are kept whole as compound tokens, and their
 * words are given as well.  Technique ids written in the text are found
 * separately: they are a mapping by themselves, not a feature.
 *
 * Depends on the C library only, so that the unit tests link it alone.
 */

#ifndef _ATTCK_MAP_TEXT_H_INCLUDED_
#define _ATTCK_MAP_TEXT_H_INCLUDED_


#include <stddef.h>


#define ATTCK_MAP_MAX_TOKEN  64

/* "T1059.001" and its NUL */
#define ATTCK_MAP_ID_SIZE    10


typedef enum {
    ATTCK_MAP_WORD = 0,
    ATTCK_MAP_COMPOUND
} attck_map_kind_e;


/*
 * Called once per token, in text order, lower-cased ASCII (bytes >= 0x80
 * kept as they are).  A compound ("cmd.exe", "-encodedcommand",
 * "hklm\software\microsoft\windows\currentversion\run") comes first,
 * then its words.  Words of one byte, English stop words and tokens
 * longer than ATTCK_MAP_MAX_TOKEN are not given; HTML tags are skipped.
 */
typedef void (*attck_map_token_pt)(const char *tok, size_t len,
    attck_map_kind_e kind, void *ctx);

void attck_map_tokens(const char *text, size_t len, attck_map_token_pt cb,
    void *ctx);

/* a word, a compound, or two words joined by one space */
#define ATTCK_MAP_MAX_TERM  (2 * ATTCK_MAP_MAX_TOKEN + 1)


typedef void (*attck_map_term_pt)(const char *term, size_t len, void *ctx);

/*
 * Every term of a text, in text order, repeats included: its tokens and
 * the bigrams of its consecutive words ("encoded powershell"), so that a
 * model sees short phrases as well as words.
 */
void attck_map_terms(const char *text, size_t len, attck_map_term_pt cb,
    void *ctx);

/*
 * The length of the Unicode space (U+00A0, U+2000 to U+200B, U+202F,
 * U+205F, U+3000) in UTF-8 at p, or 0: ATT&CK and reports use them
 * between words, where they separate as a space does.
 */
size_t attck_map_unicode_space(const char *p, size_t len);

/*
 * The same, and Unicode dashes, quotation marks, guillemets and the
 * ellipsis: what separates tokens besides ASCII punctuation.
 */
size_t attck_map_unicode_sep(const char *p, size_t len);

/*
 * Finds ATT&CK technique ids written in the text: "T1059", "t1059.001",
 * and the form of attack.mitre.org URLs ("techniques/T1059/001").  Ids
 * are upper-cased, given once each, in order of first appearance; at
 * most max are stored.  Returns how many were stored.
 */
size_t attck_map_explicit_ids(const char *text, size_t len,
    char (*ids)[ATTCK_MAP_ID_SIZE], size_t max);

/* whether id is exactly a technique id as written above ("T1059.001") */
int attck_map_id_valid(const char *id);


#endif /* _ATTCK_MAP_TEXT_H_INCLUDED_ */
