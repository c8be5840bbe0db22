
/*
 * Tokeniser shared by the snapshot compiler and the module.
 */


#include <stdint.h>

#include "attck_text.h"


#define attck_text_word(c)                                                    \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9') || (c) >= 0x80)

#define attck_text_lower(c)                                                   \
    (((c) >= 'A' && (c) <= 'Z') ? (c) | 0x20 : (c))


static void attck_text_emit(const unsigned char *s, size_t len,
    attck_text_term_pt cb, void *ctx);
static size_t attck_text_utf8_seq(const unsigned char *p,
    const unsigned char *end);


static void
attck_text_emit(const unsigned char *s, size_t len, attck_text_term_pt cb,
    void *ctx)
{
    size_t  i;
    char    term[ATTCK_TEXT_MAX_TERM];

    if (len < 2 || len > ATTCK_TEXT_MAX_TERM) {
        return;
    }

    for (i = 0; i < len; i++) {
        term[i] = (char) attck_text_lower(s[i]);
    }

    cb(term, len, ctx);
}


void
attck_text_terms(const char *text, size_t len, attck_text_term_pt cb,
    void *ctx)
{
    size_t               words;
    const unsigned char  *p, *end, *word, *compound;

    p = (const unsigned char *) text;
    end = p + len;

    while (p < end) {

        while (p < end && !attck_text_word(*p)) {
            p++;
        }

        compound = p;
        words = 0;

        for ( ;; ) {
            word = p;

            while (p < end && attck_text_word(*p)) {
                p++;
            }

            if (p == word) {
                break;
            }

            attck_text_emit(word, p - word, cb, ctx);
            words++;

            /* a dot between two words joins them: "cmd.exe", "T1059.001" */

            if (p + 1 < end && *p == '.' && attck_text_word(p[1])) {
                p++;
                continue;
            }

            break;
        }

        if (words > 1) {
            attck_text_emit(compound, p - compound, cb, ctx);
        }
    }
}


size_t
attck_text_normalize(char *dst, size_t dstlen, const char *src, size_t len)
{
    size_t               n;
    unsigned char        c;
    const unsigned char  *p, *end;

    p = (const unsigned char *) src;
    end = p + len;
    n = 0;

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }

    while (p < end && n < dstlen) {
        c = *p++;

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            while (p < end
                   && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            {
                p++;
            }

            if (p == end) {
                break;
            }

            c = ' ';
        }

        dst[n++] = (char) attck_text_lower(c);
    }

    return n;
}


/* the length of the valid UTF-8 sequence at p, or 0 */

static size_t
attck_text_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    size_t    n, i;
    uint32_t  cp, min;

    if (*p < 0x80) {
        return 1;
    }

    if (*p >= 0xc2 && *p <= 0xdf) {
        n = 1;
        cp = *p & 0x1f;
        min = 0x80;

    } else if (*p >= 0xe0 && *p <= 0xef) {
        n = 2;
        cp = *p & 0x0f;
        min = 0x800;

    } else if (*p >= 0xf0 && *p <= 0xf4) {
        n = 3;
        cp = *p & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if ((size_t) (end - p) <= n) {
        return 0;
    }

    for (i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        cp = (cp << 6) | (p[i] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }

    return n + 1;
}


int
attck_text_utf8(const char *s, size_t len)
{
    size_t               n;
    const unsigned char  *p, *end;

    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        n = attck_text_utf8_seq(p, end);

        if (n == 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


size_t
attck_text_utf8_repair(char *dst, size_t *dstlen, const char *src,
    size_t len)
{
    size_t               n, bad;
    unsigned char       *q;
    const unsigned char  *p, *end;

    p = (const unsigned char *) src;
    end = p + len;
    q = (unsigned char *) dst;
    bad = 0;

    while (p < end) {
        n = attck_text_utf8_seq(p, end);

        if (n == 0) {
            *q++ = 0xef;
            *q++ = 0xbf;
            *q++ = 0xbd;
            p++;
            bad++;
            continue;
        }

        while (n--) {
            *q++ = *p++;
        }
    }

    *dstlen = q - (unsigned char *) dst;

    return bad;
}
