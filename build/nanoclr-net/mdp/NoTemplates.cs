// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
// MetadataProcessor's skeleton and dump generators need the mustache-sharp package, which NuGet does not serve here.
// Converting .dll -> .pe and writing .pdbx (all this build is for) never uses them; these stand-ins keep the
// console's command line compiling and say so if -generateskeleton or -dump_all is asked for.
using System;

namespace nanoFramework.Tools.MetadataProcessor.Core
{
    public sealed class nanoSkeletonGenerator
    {
        public nanoSkeletonGenerator(nanoTablesContext tablesContext, string path, string name, string project,
            bool withoutInteropCode, bool isCoreLib)
        {
        }

        public void GenerateSkeleton()
        {
            throw new NotSupportedException("skeleton generation is not part of this MetadataProcessor build");
        }
    }

    public sealed class nanoDumperGenerator
    {
        public nanoDumperGenerator(nanoTablesContext tablesContext, string path)
        {
        }

        public void DumpAll()
        {
            throw new NotSupportedException("metadata dumps are not part of this MetadataProcessor build");
        }
    }
}
