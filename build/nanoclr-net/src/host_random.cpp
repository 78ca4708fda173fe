// nanoclr-net: mbedTLS's entropy on a host, from the kernel's CSPRNG.
//
// nf-interpreter's mbedTLS configuration sets MBEDTLS_NO_PLATFORM_ENTROPY and expects the target
// to supply a hardware source (MBEDTLS_ENTROPY_HARDWARE_ALT) and, for PSA, an external RNG
// (MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG). Both read getrandom(2) here.

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>

namespace
{
// Fills output completely or returns false (getrandom may return short reads or EINTR).
bool FillRandom(unsigned char *output, size_t len)
{
    size_t filled = 0;
    while (filled < len)
    {
        ssize_t got = getrandom(output + filled, len - filled, 0);
        if (got < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return false;
        }
        filled += (size_t)got;
    }
    return true;
}
} // namespace

extern "C" int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    if (!FillRandom(output, len))
    {
        *olen = 0;
        return -1; // MBEDTLS_ERR_ENTROPY_SOURCE_FAILED is raised by the caller on a short read
    }
    *olen = len;
    return 0;
}

// Signature of psa/crypto_extra.h (context type is opaque to this file).
extern "C" int mbedtls_psa_external_get_random(
    void *context,
    uint8_t *output,
    size_t output_size,
    size_t *output_length)
{
    (void)context;
    if (!FillRandom(output, output_size))
    {
        *output_length = 0;
        return -151; // PSA_ERROR_INSUFFICIENT_ENTROPY
    }
    *output_length = output_size;
    return 0; // PSA_SUCCESS
}

// ChibiOS's RNG driver API, used by the TLS PAL to decode private keys (see shim/hal.h).
extern "C" void rngStart(void)
{
}

extern "C" uint32_t rngGenerateRandomNumber(void)
{
    uint32_t value = 0;
    // getrandom on a 4-byte request does not fail once the pool is initialised (it blocks until then).
    (void)FillRandom(reinterpret_cast<unsigned char *>(&value), sizeof(value));
    return value;
}
