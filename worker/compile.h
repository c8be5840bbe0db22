
/*
 * attck-worker compile: STIX bundles -> snapshot file.
 */

#ifndef _ATTCK_COMPILE_H_INCLUDED_
#define _ATTCK_COMPILE_H_INCLUDED_


#include "stix.h"


int attck_compile_main(int argc, char **argv);

/*
 * Fetches and parses the bundles given as arguments (from optind) or in
 * ATTCK_SOURCES; exits with one clear line on the first that fails.
 */
size_t attck_compile_load(const char *cmd, int argc, char **argv,
    attck_bundle_t **bundles);


#endif /* _ATTCK_COMPILE_H_INCLUDED_ */
