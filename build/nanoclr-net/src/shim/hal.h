// nanoclr-net: the two ChibiOS HAL random-number calls the TLS PAL's private-key decoder uses on
// non-ESP32 targets (ssl_decode_private_key_internal.cpp); host_random.cpp serves them from getrandom().

#ifndef NANOCLR_NET_HAL_SHIM_H
#define NANOCLR_NET_HAL_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

    void rngStart(void);
    uint32_t rngGenerateRandomNumber(void);

#ifdef __cplusplus
}
#endif

#endif // NANOCLR_NET_HAL_SHIM_H
