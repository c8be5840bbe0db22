
/*
 * attck-worker classify: text to ATT&CK techniques with a trained model.
 */

#ifndef _ATTCK_CLASSIFY_H_INCLUDED_
#define _ATTCK_CLASSIFY_H_INCLUDED_


int attck_classify_main(int argc, char **argv);


#endif /* _ATTCK_CLASSIFY_H_INCLUDED_ */
