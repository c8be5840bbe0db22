
/*
 * What every harness shares: libFuzzer's entry point, and an assertion
 * and a failure that stay on in every build.  Both print one line that
 * starts with "fuzz: " and abort, so that libFuzzer records the input as
 * a crash like any sanitizer report.
 */

#ifndef _FUZZ_H_INCLUDED_
#define _FUZZ_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


#define fuzz_fail(...)                                                        \
    do {                                                                      \
        fprintf(stderr, "fuzz: ");                                            \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        abort();                                                              \
    } while (0)

#define fuzz_assert(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fuzz_fail("%s:%d: assertion failed: %s", __FILE__, __LINE__,      \
                      #cond);                                                 \
        }                                                                     \
    } while (0)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#endif /* _FUZZ_H_INCLUDED_ */
