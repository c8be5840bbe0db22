
/*
 * attck-worker compile: STIX bundles -> snapshot file.
 */

#ifndef _ATTCK_COMPILE_H_INCLUDED_
#define _ATTCK_COMPILE_H_INCLUDED_


int attck_compile_main(int argc, char **argv);


#endif /* _ATTCK_COMPILE_H_INCLUDED_ */
