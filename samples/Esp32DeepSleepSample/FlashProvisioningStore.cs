// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.IO;
using nanoFramework.Iotc;

namespace Esp32DeepSleepSample
{
    /// <summary>The DPS assignment in a file on the board's flash (the internal drive is <c>I:\</c> on ESP32 firmware).</summary>
    internal sealed class FlashProvisioningStore : IProvisioningStore
    {
        private readonly string _path;

        internal FlashProvisioningStore(string path)
        {
            _path = path;
        }

        public string Load()
        {
            return File.Exists(_path) ? File.ReadAllText(_path) : null;
        }

        public void Save(string record)
        {
            File.WriteAllText(_path, record);
        }

        public void Clear()
        {
            if (File.Exists(_path))
            {
                File.Delete(_path);
            }
        }
    }
}
