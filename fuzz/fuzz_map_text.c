
/*
 * Fuzzes the mapper's tokeniser (worker/map_text.c), which reads threat
 * reports from OTX and VirusTotal: tokens, explicit technique ids and
 * the Unicode separators.  Checked besides the sanitizers: tokens are
 * lower-cased runs of the input within the length limits, words hold
 * letters and digits only, every id found is one by attck_map_id_valid()
 * and is given once, separators are never longer than what is left.
 */


#include <string.h>

#include "../worker/map_text.h"
#include "fuzz.h"


#define FUZZ_MAP_MAX_IDS  8


typedef struct {
    const char  *lower;          /* the input, lower-cased */
    size_t       len;
} fuzz_map_ctx_t;


static void fuzz_map_token(const char *tok, size_t len,
    attck_map_kind_e kind, void *data);
static void fuzz_map_ids(const char *data, size_t size, const char *lower);
static void fuzz_map_seps(const char *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char            *lower, id[ATTCK_MAP_ID_SIZE + 8];
    size_t           i;
    fuzz_map_ctx_t   ctx;

    lower = malloc(size + 1);
    fuzz_assert(lower != NULL);

    for (i = 0; i < size; i++) {
        lower[i] = (data[i] >= 'A' && data[i] <= 'Z') ? data[i] | 0x20
                                                       : data[i];
    }

    ctx.lower = lower;
    ctx.len = size;

    attck_map_tokens((const char *) data, size, fuzz_map_token, &ctx);
    fuzz_map_ids((const char *) data, size, lower);
    fuzz_map_seps((const char *) data, size);

    /* the input's start as an id, NUL-terminated as the caller has it */

    i = size < sizeof(id) - 1 ? size : sizeof(id) - 1;
    memcpy(id, data, i);
    id[i] = '\0';
    (void) attck_map_id_valid(id);

    free(lower);

    return 0;
}


static void
fuzz_map_token(const char *tok, size_t len, attck_map_kind_e kind,
    void *data)
{
    fuzz_map_ctx_t *ctx = data;

    size_t         i;
    unsigned char  c;

    fuzz_assert(kind == ATTCK_MAP_WORD || kind == ATTCK_MAP_COMPOUND);
    fuzz_assert(len >= 2 && len <= ATTCK_MAP_MAX_TOKEN);

    for (i = 0; i < len; i++) {
        c = (unsigned char) tok[i];

        fuzz_assert(!(c >= 'A' && c <= 'Z'));
        fuzz_assert(c > 0x20 && c != 0x7f);

        if (kind == ATTCK_MAP_WORD) {
            fuzz_assert((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                        || c >= 0x80);
        }
    }

    fuzz_assert(memmem(ctx->lower, ctx->len, tok, len) != NULL);
}


static void
fuzz_map_ids(const char *data, size_t size, const char *lower)
{
    char    ids[FUZZ_MAP_MAX_IDS][ATTCK_MAP_ID_SIZE], low[ATTCK_MAP_ID_SIZE];
    size_t  i, k, n, max;

    /* the first byte picks how many may be stored */

    max = size ? (unsigned char) data[0] % (FUZZ_MAP_MAX_IDS + 1) : 1;

    n = attck_map_explicit_ids(data, size, ids, max);

    fuzz_assert(n <= max);

    for (i = 0; i < n; i++) {
        fuzz_assert(attck_map_id_valid(ids[i]));

        for (k = 0; k < i; k++) {
            fuzz_assert(strcmp(ids[k], ids[i]) != 0);
        }

        /* "T1059" is in the text, in either case */

        for (k = 0; k < 5; k++) {
            low[k] = ids[i][k] == 'T' ? 't' : ids[i][k];
        }

        fuzz_assert(memmem(lower, size, low, 5) != NULL);
    }
}


static void
fuzz_map_seps(const char *data, size_t size)
{
    size_t  i, sp, sep;

    for (i = 0; i < size; i++) {
        sp = attck_map_unicode_space(data + i, size - i);
        sep = attck_map_unicode_sep(data + i, size - i);

        fuzz_assert(sp == 0 || sp == 2 || sp == 3);
        fuzz_assert(sep == 0 || sep == 2 || sep == 3);
        fuzz_assert(sp <= size - i && sep <= size - i);

        /* every space separates */

        fuzz_assert(sp == 0 || sep == sp);
    }
}
