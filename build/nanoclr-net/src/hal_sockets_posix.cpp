// nanoclr-net: the HAL_SOCK_* set of nanoFramework's socket PAL over BSD sockets (Linux).
//
// Socket handles are the host's file descriptors. The managed side speaks Winsock-style numbers
// (SOCK_* in nanoPAL_Sockets.h): address families, option names, ioctl codes and error codes are
// translated here; socket types, protocols, shutdown modes and MSG_* flags share the BSD values.

#include "net_prefix.h"
#include "socket_watcher.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

// The managed side lays these out with 32-bit fields; the PAL header must agree on a 64-bit host.
static_assert(sizeof(SOCK_in_addr) == 4, "SOCK_in_addr must be 4 bytes (u_long is 64-bit on this host?)");
static_assert(sizeof(SOCK_sockaddr_in) == 16, "SOCK_sockaddr_in must be 16 bytes");
static_assert(SOCK_FIONBIO == 0x8004667EUL, "SOCK_FIONBIO must match the managed constant");
static_assert(SOCK_FIONREAD == 0x4004667FUL, "SOCK_FIONREAD must match the managed constant");

bool Network_Initialize();

namespace
{
using nanoclr_net::WatchDescriptor;

const int c_MaxTrackedFd = 4096;

// Winsock-style error of the last failing call, per thread and per socket (lwIP keeps both).
thread_local int t_lastError = 0;
int s_socketError[c_MaxTrackedFd];
bool s_networkStarted = false;

int TranslateErrno(int err)
{
    switch (err)
    {
        case 0:
            return 0;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        // A non-blocking connect in progress is a would-block for the natives (lwIP reports it so).
        case EINPROGRESS:
            return SOCK_EWOULDBLOCK;
        case EALREADY:
            return SOCK_EALREADY;
        case EINTR:
            return SOCK_EINTR;
        case EBADF:
            return SOCK_EBADF;
        case EACCES:
        case EPERM:
            return SOCK_EACCES;
        case EFAULT:
            return SOCK_EFAULT;
        case EINVAL:
            return SOCK_EINVAL;
        case EMFILE:
        case ENFILE:
            return SOCK_EMFILE;
        case ENOTSOCK:
            return SOCK_ENOTSOCK;
        case EDESTADDRREQ:
            return SOCK_EDESTADDRREQ;
        case EMSGSIZE:
            return SOCK_EMSGSIZE;
        case EPROTOTYPE:
            return SOCK_EPROTOTYPE;
        case ENOPROTOOPT:
            return SOCK_ENOPROTOOPT;
        case EPROTONOSUPPORT:
            return SOCK_EPROTONOSUPPORT;
        case ESOCKTNOSUPPORT:
            return SOCK_ESOCKTNOSUPPORT;
        case EOPNOTSUPP:
            return SOCK_EOPNOTSUPP;
        case EPFNOSUPPORT:
            return SOCK_EPFNOSUPPORT;
        case EAFNOSUPPORT:
            return SOCK_EAFNOSUPPORT;
        case EADDRINUSE:
            return SOCK_EADDRINUSE;
        case EADDRNOTAVAIL:
            return SOCK_EADDRNOTAVAIL;
        case ENETDOWN:
            return SOCK_ENETDOWN;
        case ENETUNREACH:
            return SOCK_ENETUNREACH;
        case ECONNABORTED:
            return SOCK_ECONNABORTED;
        case ECONNRESET:
        case EPIPE: // writing to a connection the peer reset
            return SOCK_ECONNRESET;
        case ENOBUFS:
        case ENOMEM:
            return SOCK_ENOBUFS;
        case EISCONN:
            return SOCK_EISCONN;
        case ENOTCONN:
            return SOCK_ENOTCONN;
        case ESHUTDOWN:
            return SOCK_ESHUTDOWN;
        case ETIMEDOUT:
            return SOCK_ETIMEDOUT;
        case ECONNREFUSED:
            return SOCK_ECONNREFUSED;
        case EHOSTDOWN:
            return SOCK_EHOSTDOWN;
        case EHOSTUNREACH:
            return SOCK_EHOSTUNREACH;
        default:
            return SOCK_EINVAL;
    }
}

void RememberError(int fd, int sockError)
{
    t_lastError = sockError;
    if (fd >= 0 && fd < c_MaxTrackedFd)
    {
        s_socketError[fd] = sockError;
    }
}

// Records errno (translated) for fd and returns SOCK_SOCKET_ERROR.
int Fail(int fd)
{
    RememberError(fd, TranslateErrno(errno));
    return SOCK_SOCKET_ERROR;
}

int FailWith(int fd, int sockError)
{
    RememberError(fd, sockError);
    return SOCK_SOCKET_ERROR;
}

void EnsureNetworkStarted()
{
    if (!s_networkStarted)
    {
        // Starts the socket registry and the TLS driver; calls back into HAL_SOCK_Initialize.
        s_networkStarted = true;
        Network_Initialize();
    }
}

int ToHostFamily(int family)
{
    switch (family)
    {
        case SOCK_AF_UNSPEC:
            return AF_UNSPEC;
        case SOCK_AF_INET:
            return AF_INET;
        case SOCK_AF_INET6:
            return AF_INET6;
        default:
            return -1;
    }
}

bool ToHostAddress(const SOCK_sockaddr *address, int addressLen, sockaddr_in *out)
{
    if (address == nullptr || addressLen < (int)sizeof(SOCK_sockaddr_in))
    {
        return false;
    }
    const SOCK_sockaddr_in *in = reinterpret_cast<const SOCK_sockaddr_in *>(address);
    if (in->sin_family != SOCK_AF_INET)
    {
        return false;
    }
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    out->sin_port = in->sin_port;                  // already network order
    out->sin_addr.s_addr = in->sin_addr.S_un.S_addr; // already network order
    return true;
}

void FromHostAddress(const sockaddr_in &in, SOCK_sockaddr *address, int *addressLen)
{
    SOCK_sockaddr_in *out = reinterpret_cast<SOCK_sockaddr_in *>(address);
    memset(out, 0, sizeof(*out));
    out->sin_family = SOCK_AF_INET;
    out->sin_port = in.sin_port;
    out->sin_addr.S_un.S_addr = in.sin_addr.s_addr;
    if (addressLen != nullptr)
    {
        *addressLen = sizeof(SOCK_sockaddr_in);
    }
}

// Maps a (level, option) pair of the managed side to the host's; false when the host has none.
bool ToHostOption(int level, int optname, int *hostLevel, int *hostName)
{
    switch (level)
    {
        case SOCK_SOL_SOCKET:
            *hostLevel = SOL_SOCKET;
            switch (optname)
            {
                case SOCK_SOCKO_REUSEADDRESS:
                    *hostName = SO_REUSEADDR;
                    return true;
                case SOCK_SOCKO_KEEPALIVE:
                    *hostName = SO_KEEPALIVE;
                    return true;
                case SOCK_SOCKO_DONTROUTE:
                    *hostName = SO_DONTROUTE;
                    return true;
                case SOCK_SOCKO_BROADCAST:
                    *hostName = SO_BROADCAST;
                    return true;
                case SOCK_SOCKO_OUTOFBANDINLINE:
                    *hostName = SO_OOBINLINE;
                    return true;
                case SOCK_SOCKO_SENDBUFFER:
                    *hostName = SO_SNDBUF;
                    return true;
                case SOCK_SOCKO_RECEIVEBUFFER:
                    *hostName = SO_RCVBUF;
                    return true;
                case SOCK_SOCKO_SENDTIMEOUT:
                    *hostName = SO_SNDTIMEO;
                    return true;
                case SOCK_SOCKO_RECEIVETIMEOUT:
                    *hostName = SO_RCVTIMEO;
                    return true;
                case SOCK_SOCKO_ERROR:
                    *hostName = SO_ERROR;
                    return true;
                case SOCK_SOCKO_LINGER:
                case SOCK_SOCKO_DONTLINGER:
                    *hostName = SO_LINGER;
                    return true;
                case SOCK_SOCKO_ACCEPTCONNECTION:
                    *hostName = SO_ACCEPTCONN;
                    return true;
                default:
                    return false;
            }
        case SOCK_IPPROTO_TCP:
            *hostLevel = IPPROTO_TCP;
            if (optname == SOCK_TCP_NODELAY)
            {
                *hostName = TCP_NODELAY;
                return true;
            }
            return false;
        case SOCK_IPPROTO_IP:
            *hostLevel = IPPROTO_IP;
            switch (optname)
            {
                case SOCK_IPO_TOS:
                    *hostName = IP_TOS;
                    return true;
                case SOCK_IPO_TTL:
                    *hostName = IP_TTL;
                    return true;
                case SOCK_IPO_MULTICAST_IF:
                    *hostName = IP_MULTICAST_IF;
                    return true;
                case SOCK_IPO_MULTICAST_TTL:
                    *hostName = IP_MULTICAST_TTL;
                    return true;
                case SOCK_IPO_MULTICAST_LOOP:
                    *hostName = IP_MULTICAST_LOOP;
                    return true;
                case SOCK_IPO_ADD_MEMBERSHIP:
                    *hostName = IP_ADD_MEMBERSHIP;
                    return true;
                case SOCK_IPO_DROP_MEMBERSHIP:
                    *hostName = IP_DROP_MEMBERSHIP;
                    return true;
                default:
                    return false;
            }
        default:
            return false;
    }
}

int ReadInt(const char *optval, int optlen)
{
    int value = 0;
    memcpy(&value, optval, optlen < (int)sizeof(int) ? optlen : sizeof(int));
    return value;
}

// A non-blocking connect that failed is reported by Linux through POLLERR + SO_ERROR, where lwIP
// puts the socket in select's except set; this reads (and clears) that error.
int TakePendingError(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    {
        err = errno;
    }
    return err;
}

void CopyReady(SOCK_fd_set *set, const std::vector<int> &ready)
{
    if (set == nullptr)
    {
        return;
    }
    set->fd_count = 0;
    for (int fd : ready)
    {
        set->fd_array[set->fd_count++] = fd;
    }
}
} // namespace

bool HAL_SOCK_Initialize()
{
    // A peer closing a connection must surface as ECONNRESET, never kill the process
    // (mbedTLS writes with write(), which cannot pass MSG_NOSIGNAL).
    signal(SIGPIPE, SIG_IGN);
    s_networkStarted = true;
    return true;
}

bool HAL_SOCK_Uninitialize()
{
    nanoclr_net::StopWatcher();
    return true;
}

void HAL_SOCK_SignalSocketThread()
{
    Events_Set(SYSTEM_EVENT_FLAG_SOCKET);
}

int HAL_SOCK_socket(int family, int type, int protocol)
{
    EnsureNetworkStarted();
    int hostFamily = ToHostFamily(family);
    if (hostFamily < 0 || hostFamily == AF_UNSPEC)
    {
        return FailWith(-1, SOCK_EAFNOSUPPORT);
    }
    int fd = socket(hostFamily, type | SOCK_CLOEXEC, protocol);
    if (fd < 0)
    {
        return Fail(-1);
    }
    if (fd >= c_MaxTrackedFd)
    {
        close(fd);
        return FailWith(-1, SOCK_EMFILE);
    }
    s_socketError[fd] = 0;
    return fd;
}

int HAL_SOCK_bind(int socket, const struct SOCK_sockaddr *address, int addressLen)
{
    sockaddr_in in;
    if (!ToHostAddress(address, addressLen, &in))
    {
        return FailWith(socket, SOCK_EAFNOSUPPORT);
    }
    return bind(socket, reinterpret_cast<sockaddr *>(&in), sizeof(in)) == 0 ? 0 : Fail(socket);
}

int HAL_SOCK_connect(int socket, const struct SOCK_sockaddr *address, int addressLen)
{
    sockaddr_in in;
    if (!ToHostAddress(address, addressLen, &in))
    {
        return FailWith(socket, SOCK_EAFNOSUPPORT);
    }
    if (connect(socket, reinterpret_cast<sockaddr *>(&in), sizeof(in)) == 0)
    {
        RememberError(socket, 0);
        return 0;
    }
    return Fail(socket);
}

int HAL_SOCK_send(int socket, const char *buf, int len, int flags)
{
    ssize_t sent = send(socket, buf, len, flags | MSG_NOSIGNAL);
    if (sent < 0)
    {
        int result = Fail(socket);
        if (t_lastError == SOCK_EWOULDBLOCK)
        {
            WatchDescriptor(socket, nanoclr_net::WatchWrite | nanoclr_net::WatchError);
        }
        return result;
    }
    return (int)sent;
}

int HAL_SOCK_recv(int socket, char *buf, int len, int flags)
{
    ssize_t received = recv(socket, buf, len, flags);
    if (received < 0)
    {
        int result = Fail(socket);
        if (t_lastError == SOCK_EWOULDBLOCK)
        {
            WatchDescriptor(socket, nanoclr_net::WatchRead | nanoclr_net::WatchError);
        }
        return result;
    }
    return (int)received;
}

int HAL_SOCK_close(int socket)
{
    nanoclr_net::ForgetDescriptor(socket);
    if (socket >= 0 && socket < c_MaxTrackedFd)
    {
        s_socketError[socket] = 0;
    }
    return close(socket) == 0 ? 0 : Fail(-1);
}

int HAL_SOCK_listen(int socket, int backlog)
{
    return listen(socket, backlog) == 0 ? 0 : Fail(socket);
}

int HAL_SOCK_accept(int socket, struct SOCK_sockaddr *address, int *addressLen)
{
    sockaddr_in in;
    socklen_t len = sizeof(in);
    int fd = accept4(socket, reinterpret_cast<sockaddr *>(&in), &len, SOCK_CLOEXEC);
    if (fd < 0)
    {
        int result = Fail(socket);
        if (t_lastError == SOCK_EWOULDBLOCK)
        {
            WatchDescriptor(socket, nanoclr_net::WatchRead | nanoclr_net::WatchError);
        }
        return result;
    }
    if (fd >= c_MaxTrackedFd)
    {
        close(fd);
        return FailWith(socket, SOCK_EMFILE);
    }
    s_socketError[fd] = 0;
    if (address != nullptr && in.sin_family == AF_INET)
    {
        FromHostAddress(in, address, addressLen);
    }
    return fd;
}

int HAL_SOCK_shutdown(int socket, int how)
{
    return shutdown(socket, how) == 0 ? 0 : Fail(socket);
}

int HAL_SOCK_getaddrinfo(
    const char *nodename,
    char *servname,
    const struct SOCK_addrinfo *hints,
    struct SOCK_addrinfo **res)
{
    EnsureNetworkStarted();
    *res = nullptr;

    addrinfo hostHints;
    memset(&hostHints, 0, sizeof(hostHints));
    // This build has no IPv6 in its socket structures (SOCK_sockaddr holds 14 bytes): IPv4 only.
    hostHints.ai_family = AF_INET;
    // One entry per address, not one per socket type.
    hostHints.ai_socktype = (hints != nullptr && hints->ai_socktype != 0) ? hints->ai_socktype : SOCK_STREAM;
    if (hints != nullptr && hints->ai_family != SOCK_AF_UNSPEC && hints->ai_family != SOCK_AF_INET)
    {
        return FailWith(-1, SOCK_EAFNOSUPPORT);
    }

    addrinfo *found = nullptr;
    int rc = getaddrinfo(nodename, servname, &hostHints, &found);
    if (rc != 0)
    {
        switch (rc)
        {
            case EAI_AGAIN:
                return FailWith(-1, SOCK_TRY_AGAIN);
            case EAI_FAIL:
                return FailWith(-1, SOCK_NO_RECOVERY);
            case EAI_FAMILY:
                return FailWith(-1, SOCK_EAFNOSUPPORT);
            case EAI_MEMORY:
                return FailWith(-1, SOCK_ENOBUFS);
            case EAI_SYSTEM:
                return Fail(-1);
            default: // EAI_NONAME, EAI_NODATA, EAI_SERVICE
                return FailWith(-1, SOCK_HOST_NOT_FOUND);
        }
    }

    SOCK_addrinfo **tail = res;
    for (addrinfo *ai = found; ai != nullptr; ai = ai->ai_next)
    {
        if (ai->ai_family != AF_INET)
        {
            continue;
        }
        SOCK_addrinfo *entry = static_cast<SOCK_addrinfo *>(calloc(1, sizeof(SOCK_addrinfo)));
        SOCK_sockaddr_in *address = static_cast<SOCK_sockaddr_in *>(calloc(1, sizeof(SOCK_sockaddr_in)));
        if (entry == nullptr || address == nullptr)
        {
            free(entry);
            free(address);
            freeaddrinfo(found);
            HAL_SOCK_freeaddrinfo(*res);
            *res = nullptr;
            return FailWith(-1, SOCK_ENOBUFS);
        }
        FromHostAddress(*reinterpret_cast<sockaddr_in *>(ai->ai_addr), reinterpret_cast<SOCK_sockaddr *>(address), nullptr);
        entry->ai_family = SOCK_AF_INET;
        entry->ai_socktype = ai->ai_socktype;
        entry->ai_protocol = ai->ai_protocol;
        entry->ai_addrlen = sizeof(SOCK_sockaddr_in);
        entry->ai_addr = reinterpret_cast<SOCK_sockaddr *>(address);
        entry->ai_canonname = (ai->ai_canonname != nullptr) ? strdup(ai->ai_canonname) : nullptr;
        *tail = entry;
        tail = &entry->ai_next;
    }
    freeaddrinfo(found);

    if (*res == nullptr)
    {
        return FailWith(-1, SOCK_HOST_NOT_FOUND);
    }
    t_lastError = 0;
    return 0;
}

void HAL_SOCK_freeaddrinfo(struct SOCK_addrinfo *ai)
{
    while (ai != nullptr)
    {
        SOCK_addrinfo *next = ai->ai_next;
        free(ai->ai_addr);
        free(ai->ai_canonname);
        free(ai);
        ai = next;
    }
}

int HAL_SOCK_ioctl(int socket, int cmd, int *data)
{
    if ((uint32_t)cmd == (uint32_t)SOCK_FIONBIO)
    {
        int flags = fcntl(socket, F_GETFL, 0);
        if (flags < 0)
        {
            return Fail(socket);
        }
        flags = (*data != 0) ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
        return fcntl(socket, F_SETFL, flags) == 0 ? 0 : Fail(socket);
    }
    if ((uint32_t)cmd == (uint32_t)SOCK_FIONREAD)
    {
        int available = 0;
        if (ioctl(socket, FIONREAD, &available) != 0)
        {
            return Fail(socket);
        }
        *data = available;
        return 0;
    }
    return FailWith(socket, SOCK_EINVAL);
}

int HAL_SOCK_getlasterror()
{
    return t_lastError;
}

int HAL_SOCK_getsocklasterror(int socket)
{
    if (socket >= 0 && socket < c_MaxTrackedFd)
    {
        return s_socketError[socket];
    }
    return t_lastError;
}

int HAL_SOCK_select(
    int nfds,
    SOCK_fd_set *readfds,
    SOCK_fd_set *writefds,
    SOCK_fd_set *exceptfds,
    const struct SOCK_timeval *timeout)
{
    (void)nfds;

    // One pollfd per distinct descriptor, with the sets it was asked about.
    struct Entry
    {
        int fd;
        int interest;
    };
    std::vector<Entry> entries;
    auto add = [&entries](SOCK_fd_set *set, int interest) {
        if (set == nullptr)
        {
            return;
        }
        for (unsigned int i = 0; i < set->fd_count; i++)
        {
            int fd = set->fd_array[i];
            bool merged = false;
            for (Entry &entry : entries)
            {
                if (entry.fd == fd)
                {
                    entry.interest |= interest;
                    merged = true;
                }
            }
            if (!merged)
            {
                entries.push_back({fd, interest});
            }
        }
    };
    add(readfds, nanoclr_net::WatchRead);
    add(writefds, nanoclr_net::WatchWrite);
    add(exceptfds, nanoclr_net::WatchError);

    std::vector<pollfd> fds;
    for (const Entry &entry : entries)
    {
        short events = 0;
        if (entry.interest & nanoclr_net::WatchRead)
        {
            events |= POLLIN;
        }
        if (entry.interest & nanoclr_net::WatchWrite)
        {
            events |= POLLOUT;
        }
        fds.push_back({entry.fd, events, 0});
    }

    int timeoutMs = -1;
    if (timeout != nullptr)
    {
        timeoutMs = (int)(timeout->tv_sec * 1000 + timeout->tv_usec / 1000);
    }

    int rc = poll(fds.data(), fds.size(), timeoutMs);
    if (rc < 0)
    {
        return Fail(-1);
    }

    std::vector<int> readable, writable, excepted;
    for (size_t i = 0; i < fds.size(); i++)
    {
        const pollfd &p = fds[i];
        const int interest = entries[i].interest;
        bool inError = false;

        if (p.revents & POLLNVAL)
        {
            RememberError(p.fd, SOCK_ENOTSOCK);
            inError = true;
        }
        else if (p.revents & POLLERR)
        {
            int err = TakePendingError(p.fd);
            if (err != 0)
            {
                RememberError(p.fd, TranslateErrno(err));
                inError = true;
            }
        }

        if (inError)
        {
            if (interest & nanoclr_net::WatchError)
            {
                excepted.push_back(p.fd);
            }
            // The natives always ask for the except set; a caller that did not gets the socket back
            // as ready, so its next call fails with the error recorded above.
            else if (interest & nanoclr_net::WatchRead)
            {
                readable.push_back(p.fd);
            }
            else if (interest & nanoclr_net::WatchWrite)
            {
                writable.push_back(p.fd);
            }
            continue;
        }

        bool reported = false;
        // POLLHUP: the peer closed; a read returns 0, which is what a reader must see.
        if ((interest & nanoclr_net::WatchRead) && (p.revents & (POLLIN | POLLHUP)))
        {
            readable.push_back(p.fd);
            reported = true;
        }
        if ((interest & nanoclr_net::WatchWrite) && (p.revents & POLLOUT))
        {
            writable.push_back(p.fd);
            reported = true;
        }

        // A probe that found nothing parks the managed thread on Event_Socket: watch for it.
        if (timeoutMs == 0 && !reported)
        {
            WatchDescriptor(p.fd, interest | nanoclr_net::WatchError);
        }
    }

    CopyReady(readfds, readable);
    CopyReady(writefds, writable);
    CopyReady(exceptfds, excepted);

    return (int)(readable.size() + writable.size() + excepted.size());
}

int HAL_SOCK_setsockopt(int socket, int level, int optname, const char *optval, int optlen)
{
    int hostLevel, hostName;
    if (optval == nullptr || !ToHostOption(level, optname, &hostLevel, &hostName))
    {
        return FailWith(socket, SOCK_ENOPROTOOPT);
    }

    int rc;
    if (hostLevel == SOL_SOCKET && (hostName == SO_SNDTIMEO || hostName == SO_RCVTIMEO))
    {
        int ms = ReadInt(optval, optlen);
        timeval tv = {ms / 1000, (ms % 1000) * 1000};
        rc = setsockopt(socket, hostLevel, hostName, &tv, sizeof(tv));
    }
    else if (hostLevel == SOL_SOCKET && hostName == SO_LINGER)
    {
        // The managed side passes the linger time in seconds; DONTLINGER (or a negative time) turns it off.
        int seconds = ReadInt(optval, optlen);
        linger value;
        value.l_onoff = (optname == SOCK_SOCKO_LINGER && seconds >= 0) ? 1 : 0;
        value.l_linger = seconds >= 0 ? seconds : 0;
        rc = setsockopt(socket, hostLevel, hostName, &value, sizeof(value));
    }
    else if (hostLevel == IPPROTO_IP && (hostName == IP_ADD_MEMBERSHIP || hostName == IP_DROP_MEMBERSHIP))
    {
        if (optlen < (int)sizeof(SOCK_ip_mreq))
        {
            return FailWith(socket, SOCK_EINVAL);
        }
        const SOCK_ip_mreq *request = reinterpret_cast<const SOCK_ip_mreq *>(optval);
        ip_mreq hostRequest;
        hostRequest.imr_multiaddr.s_addr = request->imr_multiaddr.S_un.S_addr;
        hostRequest.imr_interface.s_addr = request->imr_interface.S_un.S_addr;
        rc = setsockopt(socket, hostLevel, hostName, &hostRequest, sizeof(hostRequest));
    }
    else if (hostLevel == IPPROTO_IP && hostName == IP_MULTICAST_IF)
    {
        in_addr address;
        address.s_addr = (in_addr_t)ReadInt(optval, optlen);
        rc = setsockopt(socket, hostLevel, hostName, &address, sizeof(address));
    }
    else
    {
        int value = ReadInt(optval, optlen);
        rc = setsockopt(socket, hostLevel, hostName, &value, sizeof(value));
    }
    return rc == 0 ? 0 : Fail(socket);
}

int HAL_SOCK_getsockopt(int socket, int level, int optname, char *optval, int *optlen)
{
    int hostLevel, hostName;
    if (optval == nullptr || optlen == nullptr || *optlen < (int)sizeof(int) ||
        !ToHostOption(level, optname, &hostLevel, &hostName))
    {
        return FailWith(socket, SOCK_ENOPROTOOPT);
    }

    int value = 0;
    if (hostLevel == SOL_SOCKET && hostName == SO_ERROR)
    {
        // An error select already took from the kernel is still owed to the caller.
        int pending = TakePendingError(socket);
        value = pending != 0 ? TranslateErrno(pending)
                             : (socket >= 0 && socket < c_MaxTrackedFd ? s_socketError[socket] : 0);
        if (socket >= 0 && socket < c_MaxTrackedFd)
        {
            s_socketError[socket] = 0;
        }
        if (value == SOCK_EWOULDBLOCK)
        {
            value = 0; // a would-block is not a socket error
        }
    }
    else if (hostLevel == SOL_SOCKET && (hostName == SO_SNDTIMEO || hostName == SO_RCVTIMEO))
    {
        timeval tv = {0, 0};
        socklen_t len = sizeof(tv);
        if (getsockopt(socket, hostLevel, hostName, &tv, &len) != 0)
        {
            return Fail(socket);
        }
        value = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
    }
    else if (hostLevel == SOL_SOCKET && hostName == SO_LINGER)
    {
        linger current = {0, 0};
        socklen_t len = sizeof(current);
        if (getsockopt(socket, hostLevel, hostName, &current, &len) != 0)
        {
            return Fail(socket);
        }
        value = current.l_onoff ? current.l_linger : -1;
    }
    else
    {
        socklen_t len = sizeof(value);
        if (getsockopt(socket, hostLevel, hostName, &value, &len) != 0)
        {
            return Fail(socket);
        }
    }
    memcpy(optval, &value, sizeof(value));
    *optlen = sizeof(value);
    return 0;
}

int HAL_SOCK_getpeername(int socket, struct SOCK_sockaddr *name, int *namelen)
{
    sockaddr_in in;
    socklen_t len = sizeof(in);
    if (getpeername(socket, reinterpret_cast<sockaddr *>(&in), &len) != 0)
    {
        return Fail(socket);
    }
    FromHostAddress(in, name, namelen);
    return 0;
}

int HAL_SOCK_getsockname(int socket, struct SOCK_sockaddr *name, int *namelen)
{
    sockaddr_in in;
    socklen_t len = sizeof(in);
    if (getsockname(socket, reinterpret_cast<sockaddr *>(&in), &len) != 0)
    {
        return Fail(socket);
    }
    FromHostAddress(in, name, namelen);
    return 0;
}

int HAL_SOCK_recvfrom(int s, char *buf, int len, int flags, struct SOCK_sockaddr *from, int *fromlen)
{
    sockaddr_in in;
    socklen_t inLen = sizeof(in);
    memset(&in, 0, sizeof(in));
    ssize_t received = recvfrom(s, buf, len, flags, reinterpret_cast<sockaddr *>(&in), &inLen);
    if (received < 0)
    {
        int result = Fail(s);
        if (t_lastError == SOCK_EWOULDBLOCK)
        {
            WatchDescriptor(s, nanoclr_net::WatchRead | nanoclr_net::WatchError);
        }
        return result;
    }
    if (from != nullptr)
    {
        FromHostAddress(in, from, fromlen);
    }
    return (int)received;
}

int HAL_SOCK_sendto(int s, const char *buf, int len, int flags, const struct SOCK_sockaddr *to, int tolen)
{
    sockaddr_in in;
    if (!ToHostAddress(to, tolen, &in))
    {
        return FailWith(s, SOCK_EAFNOSUPPORT);
    }
    ssize_t sent = sendto(s, buf, len, flags | MSG_NOSIGNAL, reinterpret_cast<sockaddr *>(&in), sizeof(in));
    if (sent < 0)
    {
        int result = Fail(s);
        if (t_lastError == SOCK_EWOULDBLOCK)
        {
            WatchDescriptor(s, nanoclr_net::WatchWrite | nanoclr_net::WatchError);
        }
        return result;
    }
    return (int)sent;
}

int HAL_SOCK_upgradeToSsl(int socket)
{
    (void)socket;
    return FailWith(socket, SOCK_EOPNOTSUPP);
}

// ---- interface configuration: the host has one interface as far as the device API goes: loopback ----

HRESULT HAL_SOCK_CONFIGURATION_LoadAdapterConfiguration(
    HAL_Configuration_NetworkInterface *config,
    uint32_t interfaceIndex)
{
    if (config == nullptr || interfaceIndex != 0)
    {
        return CLR_E_INVALID_PARAMETER;
    }
    config->IPv4Address = htonl(INADDR_LOOPBACK);
    config->IPv4NetMask = htonl(0xFF000000U);
    config->IPv4GatewayAddress = 0;
    config->IPv4DNSAddress1 = htonl(INADDR_LOOPBACK);
    config->IPv4DNSAddress2 = 0;
    return S_OK;
}

HRESULT HAL_SOCK_CONFIGURATION_UpdateAdapterConfiguration(
    HAL_Configuration_NetworkInterface *config,
    uint32_t interfaceIndex,
    uint32_t updateFlags)
{
    (void)config;
    (void)interfaceIndex;
    (void)updateFlags;
    // The host's addresses are the operating system's to change.
    return CLR_E_NOT_SUPPORTED;
}

HRESULT HAL_SOCK_CONFIGURATION_Link_status(uint32_t interfaceIndex, bool *status)
{
    *status = (interfaceIndex == 0);
    return S_OK;
}

HRESULT HAL_SOCK_IPV4AddressFromString(const char *ipString, uint64_t *address)
{
    in_addr parsed;
    if (ipString == nullptr || inet_pton(AF_INET, ipString, &parsed) != 1)
    {
        return CLR_E_INVALID_PARAMETER;
    }
    *address = parsed.s_addr; // network order, as lwIP's ip4addr_aton gives it
    return S_OK;
}

const char *HAL_SOCK_IPV4AddressToString(uint32_t address)
{
    static thread_local char text[INET_ADDRSTRLEN];
    in_addr value;
    value.s_addr = address;
    return inet_ntop(AF_INET, &value, text, sizeof(text));
}

void *HAL_SOCK_GlobalLockContext()
{
    return nullptr;
}

void HAL_SOCK_EventsSet(uint32_t events)
{
    (void)events;
    Events_Set(SYSTEM_EVENT_FLAG_SOCKET);
}

void HAL_SOCK_SetInterfaceNumber(uint32_t interfaceIndex, uint32_t interfaceNumber)
{
    (void)interfaceIndex;
    (void)interfaceNumber;
}
