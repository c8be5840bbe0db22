
/*
 * attck-worker train: the mapper's model from ATT&CK and labeled text.
 */

#ifndef _ATTCK_TRAIN_H_INCLUDED_
#define _ATTCK_TRAIN_H_INCLUDED_


int attck_train_main(int argc, char **argv);


#endif /* _ATTCK_TRAIN_H_INCLUDED_ */
