// nanoclr-net: the network configuration block NetworkInterface reads, for the host's loopback.
//
// Devices keep configuration blocks in flash (targetHAL_ConfigurationManager.cpp); the POSIX target
// has none. Only the network block exists here: one static, Ethernet-like interface on 127.0.0.1,
// whose addresses HAL_SOCK_CONFIGURATION_LoadAdapterConfiguration fills in. No Wi-Fi, no stored
// CA bundle and no stored device certificate: TLS uses the certificates the application passes.

#include <nanoHAL.h>
#include <nanoHAL_ConfigurationManager.h>

#include <cstring>

extern "C" bool ConfigurationManager_GetConfigurationBlock(
    void *configurationBlock,
    DeviceConfigurationOption configuration,
    uint32_t configurationIndex)
{
    if (configurationBlock == nullptr || configuration != DeviceConfigurationOption_Network ||
        configurationIndex != 0)
    {
        return false;
    }
    HAL_Configuration_NetworkInterface *config =
        static_cast<HAL_Configuration_NetworkInterface *>(configurationBlock);
    memset(config, 0, sizeof(*config));
    memcpy(config->Marker, "CN1", 4);
    config->InterfaceType = NetworkInterfaceType_Ethernet;
    config->StartupAddressMode = AddressMode_Static;
    config->AutomaticDNS = 0;
    return true;
}

namespace
{
HAL_CONFIGURATION_NETWORK s_networkConfigs = {1};
HAL_CONFIGURATION_NETWORK_WIRELESS80211 s_noWireless = {0};
HAL_CONFIGURATION_NETWORK_WIRELESSAP s_noAccessPoints = {0};
HAL_CONFIGURATION_X509_CERTIFICATE s_noCaBundles = {0};
HAL_CONFIGURATION_X509_DEVICE_CERTIFICATE s_noDeviceCertificates = {0};
} // namespace

HAL_TARGET_CONFIGURATION g_TargetConfiguration = {
    &s_networkConfigs,
    &s_noWireless,
    &s_noAccessPoints,
    &s_noCaBundles,
    &s_noDeviceCertificates,
};

extern "C" UpdateConfigurationResult ConfigurationManager_UpdateConfigurationBlock(
    void *configurationBlock,
    DeviceConfigurationOption configuration,
    uint32_t configurationIndex)
{
    (void)configurationBlock;
    (void)configuration;
    (void)configurationIndex;
    // The host's addresses belong to the operating system.
    return UpdateConfigurationResult_Failed;
}

extern "C" HAL_Configuration_X509CaRootBundle *ConfigurationManager_GetCertificateStore()
{
    return nullptr;
}

extern "C" HAL_Configuration_X509DeviceCertificate *ConfigurationManager_GetDeviceCertificate()
{
    return nullptr;
}
