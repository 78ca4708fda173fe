// nanoclr-net: force-included into ssl_generic.cpp after <ctime> (which #undefs mktime) so its
// mktime() call resolves to nanoclr_net_utc_mktime (host_utc_time.cpp): certificate times in UTC.

#ifndef NANOCLR_NET_UTC_MKTIME_H
#define NANOCLR_NET_UTC_MKTIME_H

#include <ctime>
#include <time.h>

extern "C" time_t nanoclr_net_utc_mktime(struct tm *fields);
#define mktime nanoclr_net_utc_mktime

#endif // NANOCLR_NET_UTC_MKTIME_H
