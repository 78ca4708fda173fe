// nanoclr-net: additions to nf-interpreter's mbedTLS configuration (nf_mbedtls_config.h) for a host
// build, included by mbedTLS as MBEDTLS_USER_CONFIG_FILE.

#ifndef NANOCLR_NET_MBEDTLS_HOST_CONFIG_H
#define NANOCLR_NET_MBEDTLS_HOST_CONFIG_H

// nf_mbedtls_config.h enables the hardware entropy source only when the target declares
// PLATFORM_HAS_RNG; without it (and with MBEDTLS_NO_PLATFORM_ENTROPY) the DRBG has no strong source.
// host_random.cpp provides mbedtls_hardware_poll over getrandom().
#ifndef MBEDTLS_ENTROPY_HARDWARE_ALT
#define MBEDTLS_ENTROPY_HARDWARE_ALT
#endif

#endif // NANOCLR_NET_MBEDTLS_HOST_CONFIG_H
