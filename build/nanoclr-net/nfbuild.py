#!/usr/bin/env python3
# Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
"""Builds nanoFramework assemblies on Linux from their .nfproj files and checks them against a nanoCLR's natives.

  nfbuild.py build <nfproj> <outdir> [--ref X.dll]... [--define D]... [--version X.Y.Z] [--mdp MDP.dll] [--corelib DIR]
      compiles the nfproj's Compile list (NfLibrary.csproj beside this file) into <outdir>/<Name>.dll and, with --mdp,
      converts it to <Name>.pe/.pdbx with the nfproj's MetadataProcessor options (-excludeClassByName, core library).
  nfbuild.py header <file.pe>
      prints "<name> <version> 0x<native checksum>" from a .pe's assembly header.
(build/nf-inspect checks the native method indexes.)

Only this project's own files are used to drive the build; the sources compiled are the user's checkouts.
"""
import os
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))


def local(tag):
    return tag.rsplit('}', 1)[-1]


def case_insensitive(path):
    """nfproj files are written on Windows: 'Rtc.cs' may name RTC.cs."""
    if os.path.exists(path):
        return path
    parent = case_insensitive(os.path.dirname(path))
    if os.path.isdir(parent):
        for entry in os.listdir(parent):
            if entry.lower() == os.path.basename(path).lower():
                return os.path.join(parent, entry)
    return os.path.join(parent, os.path.basename(path))


def read_nfproj(path):
    """The parts of an nfproj that decide what gets compiled and converted."""
    root = ET.parse(path).getroot()
    base = os.path.dirname(os.path.abspath(path))
    info = {'dir': base, 'compile': [], 'defines': [], 'exclude': [], 'props': {}}

    def add_compile(include, relative_to):
        include = include.replace('$(MSBuildThisFileDirectory)', relative_to + os.sep)
        include = include.replace('\\', '/')
        full = include if os.path.isabs(include) else os.path.join(relative_to, include)
        info['compile'].append(case_insensitive(os.path.normpath(full)))

    for el in root.iter():
        name = local(el.tag)
        if name == 'Compile' and el.get('Include'):
            add_compile(el.get('Include'), base)
        elif name == 'NFMDP_PE_ExcludeClassByName' and el.get('Include'):
            info['exclude'].append(el.get('Include'))
        elif name == 'Import' and (el.get('Project') or '').endswith('.projitems'):
            items = os.path.normpath(os.path.join(base, el.get('Project').replace('\\', '/')))
            for it in ET.parse(items).getroot().iter():
                if local(it.tag) == 'Compile' and it.get('Include'):
                    add_compile(it.get('Include'), os.path.dirname(items))
        elif name in ('AssemblyName', 'OutputType', 'NF_IsCoreLibrary', 'AssemblyOriginatorKeyFile', 'SignAssembly',
                      'RootNamespace', 'AllowUnsafeBlocks'):
            if el.text and el.text.strip() and name not in info['props']:
                info['props'][name] = el.text.strip()
        elif name == 'DefineConstants' and el.text:
            for d in el.text.replace('$(DefineConstants)', '').split(';'):
                if d.strip() and d.strip() not in ('DEBUG', 'TRACE') and d.strip() not in info['defines']:
                    info['defines'].append(d.strip())
    if 'NANOFRAMEWORK_1_0' not in info['defines']:
        info['defines'].append('NANOFRAMEWORK_1_0')
    return info


def xml_escape(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace('"', '&quot;')


def build(args):
    nfproj, outdir = args[0], os.path.abspath(args[1])
    refs, defines, mdp, corelib, lang, version = [], [], None, None, None, None
    i = 2
    while i < len(args):
        if args[i] == '--ref':
            refs.append(os.path.abspath(args[i + 1]))
        elif args[i] == '--define':
            defines.append(args[i + 1])
        elif args[i] == '--mdp':
            mdp = os.path.abspath(args[i + 1])
        elif args[i] == '--corelib':
            corelib = os.path.abspath(args[i + 1])
        elif args[i] == '--version':
            version = args[i + 1]
        elif args[i] == '--langversion':
            lang = args[i + 1]
        else:
            sys.exit('unknown option ' + args[i])
        i += 2
    info = read_nfproj(nfproj)
    name = info['props'].get('AssemblyName') or os.path.splitext(os.path.basename(nfproj))[0]
    missing = [c for c in info['compile'] if not os.path.isfile(c)]
    if missing:
        sys.exit('%s: listed sources missing: %s' % (nfproj, ', '.join(missing[:5])))
    os.makedirs(outdir, exist_ok=True)
    work = os.path.join(outdir, 'obj', name)
    os.makedirs(work, exist_ok=True)
    props = ['<Project>', '  <PropertyGroup>',
             '    <AssemblyName>%s</AssemblyName>' % xml_escape(name),
             '    <RootNamespace>%s</RootNamespace>' % xml_escape(info['props'].get('RootNamespace', '')),
             '    <OutputType>%s</OutputType>' % ('Exe' if info['props'].get('OutputType', '').lower() == 'exe' else 'Library'),
             '    <DefineConstants>%s</DefineConstants>' % xml_escape(';'.join(info['defines'] + defines))]
    key = info['props'].get('AssemblyOriginatorKeyFile')
    if info['props'].get('SignAssembly', '').lower() == 'true' and key:
        props += ['    <SignAssembly>true</SignAssembly>',
                  '    <AssemblyOriginatorKeyFile>%s</AssemblyOriginatorKeyFile>' % xml_escape(os.path.join(info['dir'], key))]
    if version:
        # Nerdbank.GitVersioning stamps these in the real build; the .pe carries the assembly version.
        stamp = os.path.join(work, 'Version.g.cs')
        with open(stamp, 'w') as f:
            f.write('[assembly: System.Reflection.AssemblyVersion("%s.0")]\n'
                    '[assembly: System.Reflection.AssemblyFileVersion("%s.0")]\n' % (version, version))
        info['compile'].append(stamp)
    if lang:
        props.append('    <LangVersion>%s</LangVersion>' % lang)
    props += ['  </PropertyGroup>', '  <ItemGroup>']
    props += ['    <Compile Include="%s" />' % xml_escape(c) for c in info['compile']]
    props += ['    <Reference Include="%s" />' % xml_escape(r) for r in refs]
    props += ['  </ItemGroup>', '</Project>', '']
    items = os.path.join(work, 'items.props')
    with open(items, 'w') as f:
        f.write('\n'.join(props))
    cmd = ['dotnet', 'build', os.path.join(HERE, 'NfLibrary.csproj'), '-c', 'Release', '-nologo', '-v:q',
           '-p:NfItems=' + items, '-p:BaseIntermediateOutputPath=' + work + '/',
           '-p:MSBuildProjectExtensionsPath=' + work + '/', '-p:OutDir=' + outdir + '/',
           '-p:DocumentationFile=', '-p:UseAppHost=false']
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or not os.path.isfile(os.path.join(outdir, name + '.dll')):
        sys.stderr.write('\n'.join(l for l in r.stdout.splitlines() if 'error' in l)[:4000] + '\n')
        sys.exit('%s: compile failed' % name)
    if mdp:
        convert(name, outdir, refs, mdp, corelib, info)
    print(name)


def convert(name, outdir, refs, mdp, corelib, info):
    dll = os.path.join(outdir, name + '.dll')
    pe = os.path.join(outdir, name + '.pe')
    if os.path.exists(pe):
        os.remove(pe)
    cmd = (['dotnet', mdp] if mdp.endswith('.dll') else [mdp])
    cmd += ['-loadHints', 'mscorlib', os.path.join(corelib, 'mscorlib.dll')]
    for r in refs:
        cmd += ['-loadHints', os.path.splitext(os.path.basename(r))[0], r]
    for c in info['exclude']:
        cmd += ['-excludeClassByName', c]
    core = info['props'].get('NF_IsCoreLibrary', 'false').lower() == 'true'
    cmd += ['-parse', dll, '-compile', pe, 'true' if core else 'false']
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or not os.path.isfile(pe) or os.path.getsize(pe) == 0:
        sys.stderr.write(r.stdout[-3000:] + '\n')
        sys.exit('%s: MetadataProcessor failed' % name)


def header(args):
    with open(args[0], 'rb') as f:
        h = f.read(64)
    if not h.startswith(b'NFMRK'):
        sys.exit('%s: not a nanoFramework .pe' % args[0])
    checksum = struct.unpack_from('<I', h, 20)[0]
    ver = struct.unpack_from('<4H', h, 28)
    name = os.path.splitext(os.path.basename(args[0]))[0]
    print('%s %s 0x%08X' % (name, '.'.join(map(str, ver)), checksum))


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] not in ('build', 'header'):
        sys.exit(__doc__)
    {'build': build, 'header': header}[sys.argv[1]](sys.argv[2:])
