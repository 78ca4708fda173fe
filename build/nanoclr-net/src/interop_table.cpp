// nanoclr-net: the CLR's table of native assemblies = the POSIX target's table + System.Net.
//
// The POSIX target defines the table in posix_stubs.cpp; the build compiles that file with the
// table renamed (nanoclr_posix_interop_*, see CMakeLists.txt) so this one can extend it without
// restating its entries.

#include <nanoCLR_Runtime.h>

extern const CLR_RT_NativeAssemblyData *nanoclr_posix_interop_data[];
extern const uint16_t nanoclr_posix_interop_count;
extern const CLR_RT_NativeAssemblyData g_CLR_AssemblyNative_System_Net;

namespace
{
const int c_Capacity = 64;

const CLR_RT_NativeAssemblyData *const c_Added[] = {
    &g_CLR_AssemblyNative_System_Net,
};
} // namespace

const CLR_RT_NativeAssemblyData *g_CLR_InteropAssembliesNativeData[c_Capacity + 1];

static uint16_t BuildInteropTable()
{
    uint16_t count = 0;
    for (uint16_t i = 0; i < nanoclr_posix_interop_count && count < c_Capacity; i++)
    {
        g_CLR_InteropAssembliesNativeData[count++] = nanoclr_posix_interop_data[i];
    }
    for (const CLR_RT_NativeAssemblyData *added : c_Added)
    {
        if (count < c_Capacity)
        {
            g_CLR_InteropAssembliesNativeData[count++] = added;
        }
    }
    g_CLR_InteropAssembliesNativeData[count] = nullptr;
    return count;
}

const uint16_t g_CLR_InteropAssembliesCount = BuildInteropTable();
