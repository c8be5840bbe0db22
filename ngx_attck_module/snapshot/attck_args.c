
/*
 * Query-string parsing for the API.
 */


#include <string.h>

#include "attck_args.h"


static int attck_args_hex(int c);


static int
attck_args_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
attck_args_next(const char **p, const char *end, attck_arg_t *arg,
    char *buf, size_t buflen)
{
    int            hi, lo;
    size_t         n;
    const char    *s, *pair, *eq;
    unsigned char  c;

    s = *p;

    while (s < end && *s == '&') {
        s++;
    }

    if (s == end) {
        *p = s;
        return ATTCK_ARGS_END;
    }

    pair = s;
    eq = NULL;

    while (s < end && *s != '&') {
        if (*s == '=' && eq == NULL) {
            eq = s;
        }
        s++;
    }

    *p = s;

    arg->name = pair;
    arg->name_len = (eq ? eq : s) - pair;
    arg->value = buf;
    arg->value_len = 0;

    if (eq == NULL) {
        return ATTCK_ARGS_OK;
    }

    n = 0;

    for (eq++; eq < s; eq++) {
        c = (unsigned char) *eq;

        if (c == '+') {
            c = ' ';

        } else if (c == '%' && s - eq > 2
                   && (hi = attck_args_hex(eq[1])) >= 0
                   && (lo = attck_args_hex(eq[2])) >= 0)
        {
            c = (unsigned char) (hi * 16 + lo);
            eq += 2;
        }

        if (c < 0x20 || c == 0x7f) {
            return ATTCK_ARGS_BAD;
        }

        if (n == buflen) {
            return ATTCK_ARGS_TOO_LONG;
        }

        buf[n++] = (char) c;
    }

    arg->value_len = n;

    return ATTCK_ARGS_OK;
}


int
attck_args_eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}


int
attck_args_bool(const char *s, size_t len)
{
    if (attck_args_eq(s, len, "true") || attck_args_eq(s, len, "1")
        || attck_args_eq(s, len, "yes"))
    {
        return 1;
    }

    if (attck_args_eq(s, len, "false") || attck_args_eq(s, len, "0")
        || attck_args_eq(s, len, "no"))
    {
        return 0;
    }

    return -1;
}


int64_t
attck_args_uint(const char *s, size_t len, int64_t max)
{
    size_t   i;
    int64_t  v;

    if (len == 0 || len > 18) {
        return -1;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (s[i] - '0');
    }

    return v <= max ? v : -1;
}
