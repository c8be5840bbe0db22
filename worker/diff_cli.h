
/*
 * attck-worker diff: the changelog between two releases, without nginx.
 */

#ifndef _ATTCK_DIFF_CLI_H_INCLUDED_
#define _ATTCK_DIFF_CLI_H_INCLUDED_


int attck_diff_main(int argc, char **argv);


#endif /* _ATTCK_DIFF_CLI_H_INCLUDED_ */
