
/*
 * attck-worker evaluate: the mapper measured on held-out actors.
 */

#ifndef _ATTCK_EVALUATE_H_INCLUDED_
#define _ATTCK_EVALUATE_H_INCLUDED_


int attck_evaluate_main(int argc, char **argv);


#endif /* _ATTCK_EVALUATE_H_INCLUDED_ */
