// nanoclr-net: wakes the CLR when a socket a managed thread is parked on becomes ready.
//
// The System.Net natives probe a descriptor with a zero-timeout select (or get a would-block from
// recv/send/accept) and then park the managed thread on Event_Socket. On lwIP the stack raises
// that event; on a host nobody does, so this watcher polls the parked descriptors on its own thread
// and raises SYSTEM_EVENT_FLAG_SOCKET. Interest is one-shot: a descriptor that fired is dropped
// until the natives park on it again, so a level-triggered ready descriptor cannot spin the CLR.

#ifndef NANOCLR_NET_SOCKET_WATCHER_H
#define NANOCLR_NET_SOCKET_WATCHER_H

namespace nanoclr_net
{
enum WatchInterest
{
    WatchRead = 1,
    WatchWrite = 2,
    WatchError = 4,
};

// Adds one-shot interest in fd (a mask of WatchInterest); starts the watcher thread on first use.
void WatchDescriptor(int fd, int interest);

// Drops every interest in fd; call before closing it so a reused descriptor number is not watched.
void ForgetDescriptor(int fd);

// Stops the watcher thread (interest is dropped).
void StopWatcher();
} // namespace nanoclr_net

#endif // NANOCLR_NET_SOCKET_WATCHER_H
