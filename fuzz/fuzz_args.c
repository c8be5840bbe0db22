
/*
 * Fuzzes the API's query-string parser (attck_args.c) the way the module
 * calls it: pair after pair into one buffer, then the values read as
 * numbers and booleans.  Besides the sanitizers, it checks what a caller
 * relies on: the cursor always moves on, names lie in the input, decoded
 * values fit the buffer, hold no control character, and percent-encoding
 * a decoded value and parsing it again gives the same value.
 */


#include <string.h>

#include "../ngx_attck_module/snapshot/attck_args.h"
#include "fuzz.h"


/* a small buffer, to reach ATTCK_ARGS_TOO_LONG */
#define FUZZ_ARGS_SMALL  8

/* the module's largest limit= or offset= */
#define FUZZ_ARGS_MAX    1000000


static void fuzz_args_pass(const char *data, size_t size, size_t buflen);
static void fuzz_args_check(const char *pair, const char *next,
    const attck_arg_t *arg, size_t buflen);
static void fuzz_args_roundtrip(const attck_arg_t *arg);
static void fuzz_args_values(const attck_arg_t *arg);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the module's buffer holds the raw length: a value never grows */

    fuzz_args_pass((const char *) data, size, size);
    fuzz_args_pass((const char *) data, size, FUZZ_ARGS_SMALL);

    return 0;
}


static void
fuzz_args_pass(const char *data, size_t size, size_t buflen)
{
    int          rc;
    char        *buf;
    size_t       pairs;
    const char  *p, *end, *prev;
    attck_arg_t  arg;

    /* exactly buflen bytes, so that ASan sees a write past them */

    buf = malloc(buflen);
    fuzz_assert(buf != NULL || buflen == 0);

    p = data;
    end = data + size;

    for (pairs = 0; /* void */ ; pairs++) {

        /* every call but the last consumes at least one byte */

        fuzz_assert(pairs <= size);

        prev = p;
        rc = attck_args_next(&p, end, &arg, buf, buflen);

        fuzz_assert(p >= prev && p <= end);

        if (rc == ATTCK_ARGS_END) {
            fuzz_assert(p == end);
            break;
        }

        fuzz_assert(p > prev);

        if (rc == ATTCK_ARGS_TOO_LONG) {
            fuzz_assert(buflen < size);
            break;
        }

        if (rc == ATTCK_ARGS_BAD) {
            break;
        }

        fuzz_assert(rc == ATTCK_ARGS_OK);

        fuzz_args_check(prev, p, &arg, buflen);
        fuzz_args_roundtrip(&arg);
        fuzz_args_values(&arg);
    }

    free(buf);
}


static void
fuzz_args_check(const char *pair, const char *next, const attck_arg_t *arg,
    size_t buflen)
{
    size_t  i;

    /* the name is raw input of this pair, up to its first '=' */

    fuzz_assert(arg->name >= pair && arg->name + arg->name_len <= next);
    fuzz_assert(memchr(arg->name, '&', arg->name_len) == NULL);
    fuzz_assert(memchr(arg->name, '=', arg->name_len) == NULL);

    fuzz_assert(arg->value_len <= buflen);
    fuzz_assert(arg->value_len <= (size_t) (next - arg->name));

    for (i = 0; i < arg->value_len; i++) {
        fuzz_assert((unsigned char) arg->value[i] >= 0x20
                    && arg->value[i] != 0x7f);
    }
}


static void
fuzz_args_roundtrip(const attck_arg_t *arg)
{
    int          rc;
    char        *enc, *buf, *e;
    size_t       i;
    const char  *p;
    attck_arg_t  again;
    static const char  hex[] = "0123456789ABCDEF";

    /* "v=" and every byte as %XX */

    enc = malloc(2 + 3 * arg->value_len);
    buf = malloc(arg->value_len + 1);
    fuzz_assert(enc != NULL && buf != NULL);

    e = enc;
    *e++ = 'v';
    *e++ = '=';

    for (i = 0; i < arg->value_len; i++) {
        *e++ = '%';
        *e++ = hex[(unsigned char) arg->value[i] >> 4];
        *e++ = hex[(unsigned char) arg->value[i] & 0xf];
    }

    p = enc;
    rc = attck_args_next(&p, e, &again, buf, arg->value_len + 1);

    fuzz_assert(rc == ATTCK_ARGS_OK && p == e);
    fuzz_assert(again.name_len == 1 && again.name[0] == 'v');
    fuzz_assert(again.value_len == arg->value_len);
    fuzz_assert(memcmp(again.value, arg->value, arg->value_len) == 0);

    free(enc);
    free(buf);
}


static void
fuzz_args_values(const attck_arg_t *arg)
{
    int      b;
    size_t   i;
    int64_t  v, ref;

    /* a number: digits only, at most 18 of them, not above the bound */

    v = attck_args_uint(arg->value, arg->value_len, FUZZ_ARGS_MAX);

    ref = -1;

    if (arg->value_len > 0 && arg->value_len <= 18) {
        ref = 0;

        for (i = 0; i < arg->value_len; i++) {
            if (arg->value[i] < '0' || arg->value[i] > '9') {
                ref = -1;
                break;
            }

            ref = ref * 10 + (arg->value[i] - '0');
        }

        if (ref > FUZZ_ARGS_MAX) {
            ref = -1;
        }
    }

    fuzz_assert(v == ref);

    b = attck_args_bool(arg->value, arg->value_len);

    fuzz_assert(b == -1 || b == 0 || b == 1);
    fuzz_assert((b == 1) == (attck_args_eq(arg->value, arg->value_len, "true")
                             || attck_args_eq(arg->value, arg->value_len, "1")
                             || attck_args_eq(arg->value, arg->value_len,
                                              "yes")));
}
