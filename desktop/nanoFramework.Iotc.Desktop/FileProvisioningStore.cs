// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.IO;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// An <see cref="IProvisioningStore"/> in a file (.NET build): the DPS assignment survives a restart, so the device
    /// connects straight to its hub. The file holds no secret (scope, registration id, DPS endpoint, hub, device id).
    /// Written to a temporary file and renamed over the old one, so a crash never leaves half a record.
    /// </summary>
    public sealed class FileProvisioningStore : IProvisioningStore
    {
        private readonly string _path;

        /// <summary>Keeps the record in <paramref name="path"/> (its folder is created when needed).</summary>
        /// <param name="path">The file, e.g. <c>~/.local/share/my-device/provisioning.json</c>.</param>
        /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
        public FileProvisioningStore(string path)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("a file path is required", nameof(path));
            }

            _path = Path.GetFullPath(path);
        }

        /// <summary>The file's full path.</summary>
        public string FilePath => _path;

        /// <inheritdoc/>
        public string Load()
        {
            return File.Exists(_path) ? File.ReadAllText(_path) : null;
        }

        /// <inheritdoc/>
        public void Save(string record)
        {
            string folder = Path.GetDirectoryName(_path);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            string temporary = _path + ".tmp";
            File.WriteAllText(temporary, record);
            File.Move(temporary, _path, true);
        }

        /// <inheritdoc/>
        public void Clear()
        {
            File.Delete(_path);
        }
    }
}
