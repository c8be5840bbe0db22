
/*
 * attck-worker export: mapped threats -> a SIEM or SOAR, over HTTP.
 */

#ifndef _ATTCK_EXPORT_H_INCLUDED_
#define _ATTCK_EXPORT_H_INCLUDED_


int attck_export_main(int argc, char **argv);


#endif /* _ATTCK_EXPORT_H_INCLUDED_ */
