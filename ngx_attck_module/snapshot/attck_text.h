
/*
 * Tokeniser shared by the snapshot compiler (indexing) and the module
 * (queries), so that both cut text into the same terms.
 */

#ifndef _ATTCK_TEXT_H_INCLUDED_
#define _ATTCK_TEXT_H_INCLUDED_


#include <stddef.h>


#define ATTCK_TEXT_MAX_TERM  48


/*
 * Called once per term: lower-cased ASCII, bytes >= 0x80 kept as they are.
 * Words are runs of letters and digits; words joined by '.' (cmd.exe,
 * T1059.001) are also given as one compound term.  Terms of one byte and
 * terms longer than ATTCK_TEXT_MAX_TERM are skipped.
 */
typedef void (*attck_text_term_pt)(const char *term, size_t len, void *ctx);

void attck_text_terms(const char *text, size_t len, attck_text_term_pt cb,
    void *ctx);

/*
 * RFC 3629 UTF-8: shortest forms only, no surrogates, nothing past
 * U+10FFFF.  Returns 1 if valid.
 */
int attck_text_utf8(const char *s, size_t len);

/*
 * Copies src into dst (room for 3 * len bytes) with every byte that does
 * not start valid UTF-8 replaced by U+FFFD; returns how many were.
 */
size_t attck_text_utf8_repair(char *dst, size_t *dstlen, const char *src,
    size_t len);

/* lower-cases ASCII and folds runs of white space into one space */
size_t attck_text_normalize(char *dst, size_t dstlen, const char *src,
    size_t len);


#endif /* _ATTCK_TEXT_H_INCLUDED_ */
