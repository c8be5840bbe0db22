
/*
 * Fuzzes the snapshot reader (attck_snapshot.c) together with what the
 * module then does with a snapshot it accepted (attck_query.c): a file
 * that attck_snap_open() passes must be safe for every lookup, list and
 * search, since the module trusts it from then on in every worker.
 *
 * Input: the snapshot's bytes, then a query of n bytes, then n as one
 * byte.  The size and checksum fields of the header are set to match
 * the bytes, as a crafted file would have them: otherwise nearly every
 * mutation would stop at the checksum.
 */


#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "fuzz.h"
#include "fuzz_snap.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  err[256];
    size_t                qlen, slen;
    unsigned char        *copy;
    attck_snap_t          snap;
    attck_snap_header_t  *h;

    if (size == 0) {
        return 0;
    }

    qlen = data[size - 1];

    if (qlen > size - 1) {
        qlen = size - 1;
    }

    slen = size - 1 - qlen;

    /*
     * The module reads a snapshot from an 8-byte boundary: malloc()
     * gives one, and exactly slen bytes, so that ASan sees the end.
     */

    copy = malloc(slen);
    fuzz_assert(copy != NULL || slen == 0);

    memcpy(copy, data, slen);

    if (slen >= sizeof(attck_snap_header_t)) {
        h = (attck_snap_header_t *) copy;
        h->size = slen;
        h->checksum = attck_snap_checksum(copy, slen);
    }

    if (attck_snap_open(&snap, copy, slen, 0, err, sizeof(err)) == 0) {
        fuzz_snap_queries(&snap, (const char *) data + slen, qlen);

    } else {
        fuzz_assert(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
    }

    free(copy);

    return 0;
}
