// nanoclr-net: debug_printf (the TLS PAL's mbedTLS debug hook) on the CLR's debug output.

#include <nanoCLR_Runtime.h>

#include <cstdarg>

extern "C" void debug_printf(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    CLR_Debug::PrintfV(format, arguments);
    va_end(arguments);
}
