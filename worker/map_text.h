
/*
 * attck-worker: the mapper's tokeniser lives beside the snapshot code,
 * compiled into the module as well, so that both read text alike.
 */

#ifndef _ATTCK_MAP_TEXT_SHIM_H_INCLUDED_
#define _ATTCK_MAP_TEXT_SHIM_H_INCLUDED_

#include "../ngx_attck_module/snapshot/attck_map_text.h"

#endif /* _ATTCK_MAP_TEXT_SHIM_H_INCLUDED_ */
