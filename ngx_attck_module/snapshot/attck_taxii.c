
/*
 * TAXII 2.1 helpers shared by the module and the worker: RFC 3339 times
 * (date_added, added_after, X-TAXII-Date-Added-*) and the content hash.
 */


#include <stdio.h>
#include <string.h>

#include "attck_taxii.h"


static int attck_taxii_digits(const char *s, size_t n, int *v);
static int64_t attck_taxii_days(int y, int m, int d);


static int
attck_taxii_digits(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date */

static int64_t
attck_taxii_days(int y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


int
attck_taxii_time(const char *s, size_t len, int64_t *us)
{
    int          y, mo, d, h, mi, sec, oh, om, frac, scale, leap;
    size_t       i;
    int64_t      t;
    static const int  mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    *us = 0;

    /* 2025-11-13T14:00:00 */

    if (len < 20
        || attck_taxii_digits(s, 4, &y) != 0 || s[4] != '-'
        || attck_taxii_digits(s + 5, 2, &mo) != 0 || s[7] != '-'
        || attck_taxii_digits(s + 8, 2, &d) != 0
        || (s[10] != 'T' && s[10] != 't')
        || attck_taxii_digits(s + 11, 2, &h) != 0 || s[13] != ':'
        || attck_taxii_digits(s + 14, 2, &mi) != 0 || s[16] != ':'
        || attck_taxii_digits(s + 17, 2, &sec) != 0)
    {
        return -1;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (mo < 1 || mo > 12 || d < 1
        || d > mdays[mo - 1] + (mo == 2 && leap)
        || h > 23 || mi > 59 || sec > 60)
    {
        return -1;
    }

    i = 19;
    frac = 0;
    scale = 1000000;

    if (s[i] == '.') {
        i++;

        if (i == len || s[i] < '0' || s[i] > '9') {
            return -1;
        }

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }

            if (i - 20 >= 9) {
                return -1;              /* more than 9 digits */
            }

            i++;
        }
    }

    if (i == len) {
        return -1;
    }

    oh = 0;
    om = 0;

    if (s[i] == 'Z' || s[i] == 'z') {
        i++;

    } else if (s[i] == '+' || s[i] == '-') {
        if (len - i != 6
            || attck_taxii_digits(s + i + 1, 2, &oh) != 0
            || s[i + 3] != ':'
            || attck_taxii_digits(s + i + 4, 2, &om) != 0
            || oh > 23 || om > 59)
        {
            return -1;
        }

        if (s[i] == '+') {
            oh = -oh;
            om = -om;
        }

        i += 6;

    } else {
        return -1;
    }

    if (i != len) {
        return -1;
    }

    t = attck_taxii_days(y, mo, d) * 86400
        + (int64_t) (h + oh) * 3600 + (int64_t) (mi + om) * 60 + sec;

    *us = t * 1000000 + frac;

    return 0;
}


size_t
attck_taxii_time_format(char *buf, int64_t us)
{
    int      y, mo, d, h, mi, s;
    int64_t  t, days, z, era, doe, yoe, doy, mp, frac;

    t = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
    frac = us - t * 1000000;
    days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    t -= days * 86400;

    h = (int) (t / 3600);
    mi = (int) (t / 60 % 60);
    s = (int) (t % 60);

    /* civil_from_days */

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = (int) (doy - (153 * mp + 2) / 5 + 1);
    mo = (int) (mp < 10 ? mp + 3 : mp - 9);
    y = (int) (yoe + era * 400 + (mo <= 2));

    if (frac % 1000 == 0) {
        return (size_t) snprintf(buf, ATTCK_TAXII_MAX_TIME,
                                 "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                                 y, mo, d, h, mi, s, (int) (frac / 1000));
    }

    return (size_t) snprintf(buf, ATTCK_TAXII_MAX_TIME,
                             "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                             y, mo, d, h, mi, s, (int) frac);
}


uint64_t
attck_taxii_hash(uint64_t h, const void *data, size_t len)
{
    size_t          i;
    const uint8_t  *p = data;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }

    return h;
}
