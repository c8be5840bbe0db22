
/*
 * attck-worker examples: the labeled sentences ATT&CK itself holds, as
 * JSON Lines in the format "train --labeled" reads.
 */

#ifndef _ATTCK_EXAMPLES_H_INCLUDED_
#define _ATTCK_EXAMPLES_H_INCLUDED_


int attck_examples_main(int argc, char **argv);


#endif /* _ATTCK_EXAMPLES_H_INCLUDED_ */
