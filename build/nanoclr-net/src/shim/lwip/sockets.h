// nanoclr-net: the TLS PAL (ssl_generic.cpp) includes lwIP's socket header for read/write/select,
// fcntl and errno; on a host those come from the C library.

#ifndef NANOCLR_NET_LWIP_SOCKETS_SHIM_H
#define NANOCLR_NET_LWIP_SOCKETS_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#endif // NANOCLR_NET_LWIP_SOCKETS_SHIM_H
