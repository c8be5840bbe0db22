
/*
 * Fuzzes the tokeniser the compiler indexes with and the module searches
 * with (attck_text.c): terms, UTF-8 checking and repair, normalising.
 * Checked besides the sanitizers: terms are lower-cased runs of the
 * input within the length limits; the repair of any bytes is valid UTF-8
 * and leaves valid input as it was; normalised text has no case, no
 * leading, trailing or doubled space.
 */


#include <string.h>

#include "../ngx_attck_module/snapshot/attck_text.h"
#include "fuzz.h"


typedef struct {
    const char  *lower;          /* the input, lower-cased */
    size_t       len;
    size_t       terms;
} fuzz_text_ctx_t;


static void fuzz_text_term(const char *term, size_t len, void *data);
static void fuzz_text_utf8(const char *data, size_t size);
static void fuzz_text_normalize(const char *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char             *lower;
    size_t            i;
    fuzz_text_ctx_t   ctx;

    lower = malloc(size + 1);
    fuzz_assert(lower != NULL);

    for (i = 0; i < size; i++) {
        lower[i] = (data[i] >= 'A' && data[i] <= 'Z') ? data[i] | 0x20
                                                       : data[i];
    }

    ctx.lower = lower;
    ctx.len = size;
    ctx.terms = 0;

    attck_text_terms((const char *) data, size, fuzz_text_term, &ctx);

    /* a word, and at most one compound ending with it */

    fuzz_assert(ctx.terms <= size);

    free(lower);

    fuzz_text_utf8((const char *) data, size);
    fuzz_text_normalize((const char *) data, size);

    return 0;
}


static void
fuzz_text_term(const char *term, size_t len, void *data)
{
    fuzz_text_ctx_t *ctx = data;

    size_t         i;
    unsigned char  c;

    ctx->terms++;

    fuzz_assert(len >= 2 && len <= ATTCK_TEXT_MAX_TERM);
    fuzz_assert(term[0] != '.' && term[len - 1] != '.');

    for (i = 0; i < len; i++) {
        c = (unsigned char) term[i];

        fuzz_assert((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c >= 0x80 || c == '.');
        fuzz_assert(c != '.' || term[i - 1] != '.');
    }

    fuzz_assert(memmem(ctx->lower, ctx->len, term, len) != NULL);
}


static void
fuzz_text_utf8(const char *data, size_t size)
{
    int     valid;
    char   *dst;
    size_t  bad, len;

    valid = attck_text_utf8(data, size);
    fuzz_assert(valid == 0 || valid == 1);

    /* room for 3 * len bytes, as the header says, and not one more */

    dst = malloc(3 * size);
    fuzz_assert(dst != NULL || size == 0);

    bad = attck_text_utf8_repair(dst, &len, data, size);

    /* each bad byte became the three of U+FFFD */

    fuzz_assert(bad <= size);
    fuzz_assert(len == size + 2 * bad);
    fuzz_assert((bad == 0) == valid);
    fuzz_assert(attck_text_utf8(dst, len) == 1);

    if (valid) {
        fuzz_assert(memcmp(dst, data, size) == 0);
    }

    free(dst);
}


static void
fuzz_text_normalize(const char *data, size_t size)
{
    char           *dst;
    size_t          i, n, room;
    unsigned char   c;

    /* the first byte picks the room, so that both ends get cut */

    room = size ? (unsigned char) data[0] : 0;

    dst = malloc(room);
    fuzz_assert(dst != NULL || room == 0);

    n = attck_text_normalize(dst, room, data, size);

    fuzz_assert(n <= room && n <= size);

    for (i = 0; i < n; i++) {
        c = (unsigned char) dst[i];

        fuzz_assert(!(c >= 'A' && c <= 'Z'));
        fuzz_assert(c != '\t' && c != '\n' && c != '\r');
        fuzz_assert(c != ' ' || (i > 0 && dst[i - 1] != ' '));
    }

    /* a space at the end only where the room ran out */

    fuzz_assert(n == 0 || dst[n - 1] != ' ' || n == room);

    free(dst);
}
