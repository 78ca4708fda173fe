// nanoclr-net: certificate validity checks in UTC.
//
// The TLS PAL turns the CLR's UTC time into a Unix time with mktime(), which reads the fields as
// local time: on a host whose TZ is not UTC every notBefore/notAfter check is off by the offset.
// The build compiles ssl_generic.cpp with mktime renamed to this function (see CMakeLists.txt).

#include <time.h>

extern "C" time_t nanoclr_net_utc_mktime(struct tm *fields)
{
    return timegm(fields);
}
