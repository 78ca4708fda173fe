// nanoclr-net: replaces the POSIX target's empty networking PAL header.
//
// Sized for a host: the socket registry of src/PAL/COM/sockets holds every open socket (listeners,
// accepted connections, TLS sessions), so the single slot of the POSIX scaffold is not enough.

#ifndef NANOCLR_NET_NANOPAL_NETWORK_H
#define NANOCLR_NET_NANOPAL_NETWORK_H

#define SOCKETS_MAX_COUNT 64

#if !defined(DEBGGER_NETWORK_INTERFACE_INDEX)
#define DEBGGER_NETWORK_INTERFACE_INDEX 0
#endif

// The socket registry is touched from the CLR thread only (the watcher never calls into it).
#ifndef GLOBAL_LOCK_SOCKETS
#define GLOBAL_LOCK_SOCKETS(x)
#endif

// Length of a MAC address in the NetworkInterface configuration (an lwIP constant on devices).
#ifndef NETIF_MAX_HWADDR_LEN
#define NETIF_MAX_HWADDR_LEN 6U
#endif

#endif // NANOCLR_NET_NANOPAL_NETWORK_H
