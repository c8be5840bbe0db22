
/*
 * Fuzzes the STIX compiler: a bundle in (attck_bundle_load(), stix.c),
 * snapshot bytes out (attck_compile_snapshot(), compile.c), read back
 * with the module's reader and queried.  A bundle the loader takes must
 * either compile or be refused as bad data (exit 65); what the compiler
 * writes must pass attck_snap_open() and every query, since nginx will
 * serve it.
 *
 * The compiler refuses bad data with attck_fatal(65, ...), which exits;
 * here it jumps back instead (fuzz_worker.c).  What was allocated before
 * the jump is left behind, and LeakSanitizer cannot tell it from a leak:
 * this harness runs without leak detection (-detect_leaks=0, Makefile).
 */


#include <string.h>

#include "../ngx_attck_module/snapshot/attck_snapshot.h"
#include "../worker/compile.h"
#include "fuzz.h"
#include "fuzz_snap.h"
#include "fuzz_worker.h"


/* the same input gives the same bytes */
#define FUZZ_COMPILE_CREATED  1700000000

/* words a user searches for in ICS and Enterprise data */
#define FUZZ_COMPILE_QUERY    "T0800 execution Windows con pro int cmd.exe"


static attck_snap_writer_t *fuzz_compile(attck_bundle_t *b,
    const void **data, size_t *size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  err[1024];
    size_t                slen;
    const void           *snap_data;
    attck_snap_t          snap;
    attck_bundle_t        b;
    attck_snap_writer_t  *w;

    if (attck_bundle_load(&b, "fuzz", (const char *) data, size, err,
                          sizeof(err))
        != 0)
    {
        fuzz_assert(b.root == NULL && err[0] != '\0');
        return 0;
    }

    w = fuzz_compile(&b, &snap_data, &slen);

    if (w != NULL) {
        if (attck_snap_open(&snap, snap_data, slen, 0, err, sizeof(err))
            != 0)
        {
            fuzz_fail("the compiler wrote a snapshot its reader "
                      "refuses: %s", err);
        }

        fuzz_snap_queries(&snap, FUZZ_COMPILE_QUERY,
                          sizeof(FUZZ_COMPILE_QUERY) - 1);

        attck_snap_writer_destroy(w);
    }

    attck_bundle_free(&b);

    return 0;
}


/* the snapshot, or NULL where the compiler refused the data */

static attck_snap_writer_t *
fuzz_compile(attck_bundle_t *b, const void **data, size_t *size)
{
    attck_snap_writer_t  *w;

    if (setjmp(fuzz_fatal_jmp) != 0) {
        return NULL;
    }

    fuzz_fatal_armed = 1;

    w = attck_compile_snapshot(b, 1, NULL, FUZZ_COMPILE_CREATED, data, size);

    fuzz_fatal_armed = 0;

    return w;
}
