// nanoclr-net: included first (-include) in every networking translation unit of the POSIX build.
//
// On devices src/PAL/Include/nanoPAL.h pulls the socket PAL in; the POSIX target's nanoPAL.h does
// not, so the networking sources get it here.

#ifndef NANOCLR_NET_PREFIX_H
#define NANOCLR_NET_PREFIX_H

#ifdef __cplusplus

#include <nanoHAL.h>
#include <nanoHAL_ConfigurationManager.h>

// A Windows type the socket PAL's declarations use; the POSIX target does not define it.
typedef const char *LPCSTR;

#include <nanoPAL_Sockets.h>

// NetworkInterface's native passes CLR_UINT64* (unsigned long long) where the PAL takes uint64_t*
// (unsigned long on LP64 Linux); this overload bridges the two 64-bit types.
#include <type_traits>
template <typename T>
inline typename std::enable_if<
    std::is_same<T, unsigned long long>::value && !std::is_same<T, uint64_t>::value,
    HRESULT>::type
SOCK_IPV4AddressFromString(const char *ipString, T *address)
{
    uint64_t value = 0;
    HRESULT hr = SOCK_IPV4AddressFromString(ipString, &value);
    *address = value;
    return hr;
}

#endif // __cplusplus

#endif // NANOCLR_NET_PREFIX_H
