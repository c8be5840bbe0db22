
/*
 * attck-worker generate: synthetic threats for demos, tests and
 * benchmarks, deterministic from a seed.
 */

#ifndef _ATTCK_GENERATE_H_INCLUDED_
#define _ATTCK_GENERATE_H_INCLUDED_


int attck_generate_main(int argc, char **argv);


#endif /* _ATTCK_GENERATE_H_INCLUDED_ */
