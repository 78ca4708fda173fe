// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>
    /// Keeps the device's last DPS assignment (IoT hub and device id) across restarts, so that a device that wakes or
    /// reboots connects straight to its hub instead of provisioning every time (DPS throttles registrations; IoT
    /// Central's guidance is to provision again only when the hub refuses the device or stays unreachable). Give one to
    /// <see cref="Device.SetProvisioningStore"/>. The record is a short JSON text with the ID scope, registration id,
    /// DPS endpoint, hub host name and device id: no key, token or certificate.
    /// <para>
    /// On .NET, <c>nanoFramework.Iotc.FileProvisioningStore</c> keeps it in a file. On a board, implement these three
    /// methods over its flash (e.g. a file on the internal drive); docs/board.md has an example.
    /// </para>
    /// </summary>
    public interface IProvisioningStore
    {
        /// <summary>The text last given to <see cref="Save"/>, or null when there is none.</summary>
        /// <returns>The record, or null.</returns>
        string Load();

        /// <summary>Replaces the stored record.</summary>
        /// <param name="record">The record (short JSON text).</param>
        void Save(string record);

        /// <summary>Forgets the stored record (the hub refused the device: the next connect asks DPS).</summary>
        void Clear();
    }
}
