
/*
 * attck: tokens and explicit technique ids for the mapper (worker and
 * module alike).
 */

#include <string.h>

#include "attck_map_text.h"


#define attck_map_alnum(c)                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z')                \
     || ((c) >= '0' && (c) <= '9') || (c) >= 0x80)

#define attck_map_digit(c)  ((c) >= '0' && (c) <= '9')

#define attck_map_lower(c)                                                   \
    (((c) >= 'A' && (c) <= 'Z') ? (c) | 0x20 : (c))


typedef struct {
    attck_map_term_pt   cb;
    void               *ctx;
    char                prev[ATTCK_MAP_MAX_TOKEN];
    size_t              prev_len;
} attck_map_terms_ctx_t;


static void attck_map_terms_token(const char *tok, size_t len,
    attck_map_kind_e kind, void *data);
static size_t attck_map_skip_tag(const unsigned char *p, size_t len);
static void attck_map_chunk(const unsigned char *p, size_t len,
    attck_map_token_pt cb, void *ctx);
static void attck_map_emit(const unsigned char *p, size_t len,
    attck_map_kind_e kind, attck_map_token_pt cb, void *ctx);
static int attck_map_stop_word(const char *w, size_t len);
static size_t attck_map_id_at(const unsigned char *p, size_t len,
    char *id);


/*
 * Words that say nothing of a behaviour.  Kept short on purpose: verbs
 * such as "used", "execute" or "download" are what procedure examples
 * are made of.
 */
static const char  *attck_map_stop_words[] = {
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can",
    "for", "from", "had", "has", "have", "he", "her", "his", "if", "in",
    "into", "is", "it", "its", "may", "of", "on", "or", "our", "she",
    "such", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "was", "we", "were", "which", "while",
    "who", "will", "with", "would", NULL
};


/*
 * Bytes that belong in a token: letters, digits, non-ASCII, and those
 * that may stand inside a compound: path, switch, file name, variable
 * and address punctuation (. - _ \ / : % $ @ # ~ + &).  Everything else
 * separates tokens.  A table: the tokenizer asks it of every byte.
 */
static const unsigned char  attck_map_in_token[256] = {
    /* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /*  !"#$%&'()*+,-./ */
               0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1,
    /* 0-9:;<=>? */
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    /* @A-O */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* P-Z[\]^_ */
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1,
    /* `a-o */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* p-z{|}~ */
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
    /* 0x80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};


void
attck_map_tokens(const char *text, size_t len, attck_map_token_pt cb,
    void *ctx)
{
    size_t                i, j, skip;
    const unsigned char  *p;

    p = (const unsigned char *) text;
    i = 0;

    while (i < len) {

        if (p[i] == '<') {
            skip = attck_map_skip_tag(p + i, len - i);
            if (skip) {
                i += skip;
                continue;
            }
        }

        if (p[i] >= 0x80) {
            skip = attck_map_unicode_sep(text + i, len - i);
            if (skip) {
                i += skip;
                continue;
            }
        }

        if (!attck_map_in_token[p[i]]) {
            i++;
            continue;
        }

        for (j = i; j < len; j++) {
            if (!attck_map_in_token[p[j]]) {
                break;
            }

            if (p[j] >= 0x80 && attck_map_unicode_sep(text + j, len - j)) {
                break;
            }
        }

        attck_map_chunk(p + i, j - i, cb, ctx);
        i = j;
    }
}


void
attck_map_terms(const char *text, size_t len, attck_map_term_pt cb,
    void *ctx)
{
    attck_map_terms_ctx_t  tc;

    tc.cb = cb;
    tc.ctx = ctx;
    tc.prev_len = 0;

    attck_map_tokens(text, len, attck_map_terms_token, &tc);
}


static void
attck_map_terms_token(const char *tok, size_t len, attck_map_kind_e kind,
    void *data)
{
    attck_map_terms_ctx_t *tc = data;

    char  pair[ATTCK_MAP_MAX_TERM];

    tc->cb(tok, len, tc->ctx);

    /* compounds are given before their words: they do not break a pair */

    if (kind != ATTCK_MAP_WORD) {
        return;
    }

    if (tc->prev_len) {
        memcpy(pair, tc->prev, tc->prev_len);
        pair[tc->prev_len] = ' ';
        memcpy(pair + tc->prev_len + 1, tok, len);
        tc->cb(pair, tc->prev_len + 1 + len, tc->ctx);
    }

    memcpy(tc->prev, tok, len);
    tc->prev_len = len;
}


size_t
attck_map_unicode_space(const char *text, size_t len)
{
    const unsigned char  *p;

    p = (const unsigned char *) text;

    if (len >= 2 && p[0] == 0xc2 && p[1] == 0xa0) {
        return 2;
    }

    if (len < 3) {
        return 0;
    }

    if (p[0] == 0xe2 && p[1] == 0x80
        && ((p[2] >= 0x80 && p[2] <= 0x8b) || p[2] == 0xaf))
    {
        return 3;
    }

    if ((p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        || (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80))
    {
        return 3;
    }

    return 0;
}


size_t
attck_map_unicode_sep(const char *text, size_t len)
{
    const unsigned char  *p;

    p = (const unsigned char *) text;

    /* dashes U+2010..2015, quotation marks U+2018..201F, U+2026 */

    if (len >= 3 && p[0] == 0xe2 && p[1] == 0x80
        && ((p[2] >= 0x90 && p[2] <= 0x95) || (p[2] >= 0x98 && p[2] <= 0x9f)
            || p[2] == 0xa6))
    {
        return 3;
    }

    /* guillemets */

    if (len >= 2 && p[0] == 0xc2 && (p[1] == 0xab || p[1] == 0xbb)) {
        return 2;
    }

    return attck_map_unicode_space(text, len);
}


/* "<code>", "</code>", "<br/>": ATT&CK descriptions carry a few tags */

static size_t
attck_map_skip_tag(const unsigned char *p, size_t len)
{
    size_t  i;

    i = 1;

    if (i < len && p[i] == '/') {
        i++;
    }

    if (i == len || !((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')) {
        return 0;
    }

    for ( /* void */ ; i < len && i < 64; i++) {
        if (p[i] == '>') {
            return i + 1;
        }

        if (p[i] == '<' || p[i] == '\n') {
            return 0;
        }
    }

    return 0;
}


static void
attck_map_chunk(const unsigned char *p, size_t len, attck_map_token_pt cb,
    void *ctx)
{
    size_t  i, start;
    int     joined;

    /* sentence punctuation around a token is not part of it */

    while (len && !attck_map_alnum(p[len - 1])) {
        len--;
    }

    while (len && !attck_map_alnum(p[0])
           && strchr("-/\\%$", p[0]) == NULL)
    {
        p++;
        len--;
    }

    joined = 0;

    for (i = 0; i < len; i++) {
        if (!attck_map_alnum(p[i])) {
            joined = 1;
            break;
        }
    }

    if (!joined) {
        attck_map_emit(p, len, ATTCK_MAP_WORD, cb, ctx);
        return;
    }

    /* "/c" and "-w" are compounds too: switches say a lot */

    attck_map_emit(p, len, ATTCK_MAP_COMPOUND, cb, ctx);

    start = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || !attck_map_alnum(p[i])) {
            if (i > start) {
                attck_map_emit(p + start, i - start, ATTCK_MAP_WORD, cb,
                               ctx);
            }

            start = i + 1;
        }
    }
}


static void
attck_map_emit(const unsigned char *p, size_t len, attck_map_kind_e kind,
    attck_map_token_pt cb, void *ctx)
{
    char    tok[ATTCK_MAP_MAX_TOKEN];
    size_t  i;

    if (len < 2 || len > ATTCK_MAP_MAX_TOKEN) {
        return;
    }

    for (i = 0; i < len; i++) {
        tok[i] = (char) attck_map_lower(p[i]);
    }

    if (kind == ATTCK_MAP_WORD && attck_map_stop_word(tok, len)) {
        return;
    }

    cb(tok, len, kind, ctx);
}


/* the list is in byte order: bisection, a few comparisons a word */

static int
attck_map_stop_word(const char *w, size_t len)
{
    int          c;
    size_t       lo, hi, mid;
    const char  *s;

    if (len > 5) {
        return 0;
    }

    lo = 0;
    hi = sizeof(attck_map_stop_words) / sizeof(attck_map_stop_words[0]) - 1;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        s = attck_map_stop_words[mid];
        c = strncmp(s, w, len);

        if (c == 0) {
            if (s[len] == '\0') {
                return 1;
            }

            c = 1;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


size_t
attck_map_explicit_ids(const char *text, size_t len,
    char (*ids)[ATTCK_MAP_ID_SIZE], size_t max)
{
    char                  id[ATTCK_MAP_ID_SIZE];
    size_t                i, k, n, used;
    const unsigned char  *p;

    p = (const unsigned char *) text;
    n = 0;

    for (i = 0; i < len; i++) {

        /* next to a non-ASCII byte (a curly quote) an id still counts */

        if ((p[i] | 0x20) != 't'
            || (i > 0 && p[i - 1] < 0x80
                && (attck_map_alnum(p[i - 1]) || p[i - 1] == '.')))
        {
            continue;
        }

        used = attck_map_id_at(p + i, len - i, id);
        if (used == 0) {
            continue;
        }

        for (k = 0; k < n; k++) {
            if (strcmp(ids[k], id) == 0) {
                break;
            }
        }

        if (k == n && n < max) {
            memcpy(ids[n++], id, ATTCK_MAP_ID_SIZE);
        }

        i += used - 1;
    }

    return n;
}


int
attck_map_id_valid(const char *id)
{
    char    ids[1][ATTCK_MAP_ID_SIZE];
    size_t  len;

    len = strlen(id);

    return (len == 5 || len == 9)
           && attck_map_explicit_ids(id, len, ids, 1) == 1
           && strcmp(ids[0], id) == 0;
}


/*
 * "T" and four digits, then ".ddd" or "/ddd" for a sub-technique; the id
 * must end there ("T10590" and "T1059x" are not ids).
 */
static size_t
attck_map_id_at(const unsigned char *p, size_t len, char *id)
{
    size_t  i, n;

    if (len < 5) {
        return 0;
    }

    for (i = 1; i < 5; i++) {
        if (!attck_map_digit(p[i])) {
            return 0;
        }
    }

    id[0] = 'T';
    memcpy(id + 1, p + 1, 4);
    n = 5;

    if (len >= 9 && (p[5] == '.' || p[5] == '/')
        && attck_map_digit(p[6]) && attck_map_digit(p[7])
        && attck_map_digit(p[8])
        && (len == 9 || p[9] >= 0x80 || !attck_map_alnum(p[9])))
    {
        id[5] = '.';
        memcpy(id + 6, p + 6, 3);
        n = 9;

    } else if (len > 5 && p[5] < 0x80 && attck_map_alnum(p[5])) {
        return 0;
    }

    id[n] = '\0';

    return n;
}
