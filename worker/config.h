
/*
 * attck-worker: the configuration file.
 */

#ifndef _ATTCK_CONFIG_H_INCLUDED_
#define _ATTCK_CONFIG_H_INCLUDED_


/*
 * Reads a YAML configuration (conf/attck-worker.yaml shows every setting)
 * and puts each value into the environment variable of that setting,
 * unless the environment already has it: the environment wins, so secrets
 * and tests can override the file.  Exits 64 on a file it cannot use.
 */
void attck_config_load(const char *path);


#endif /* _ATTCK_CONFIG_H_INCLUDED_ */
