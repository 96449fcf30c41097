// MSBuild inline task (RoslynCodeTaskFactory). See build/TorchSharp.Native.targets for why it exists.
//
// libLibTorchSharp.so from TorchSharp 0.107.0 was linked by GCC 13 and so declares a need for GLIBCXX_3.4.32,
// which Debian 12's libstdc++ (3.4.30) lacks. The only symbol tagged with that version is
// std::ios_base_library_init(), which is never called. Marking the version requirement weak (VER_FLG_WEAK in the
// vna_flags of its Elf64_Vernaux entry) lets the dynamic loader accept the library. One byte changes; the task is
// idempotent and only ever touches copies in build or publish outputs, never the NuGet cache.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharpGlibcxx : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    public string VersionName { get; set; } = "GLIBCXX_3.4.32";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                var outcome = Patch(path, VersionName);
                Log.LogMessage(MessageImportance.Low, "PatchLibTorchSharpGlibcxx: {0}: {1}", path, outcome);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError("PatchLibTorchSharpGlibcxx: could not patch '{0}': {1}", path, ex.Message);
            }
        }

        return !Log.HasLoggedErrors;
    }

    private static string Patch(string path, string versionName)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        using var reader = new BinaryReader(stream, Encoding.ASCII, leaveOpen: true);

        var ident = reader.ReadBytes(16);
        if (ident.Length < 16 || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (ident[4] != 2 || ident[5] != 1)
        {
            throw new InvalidDataException("not a little-endian ELF64 file");
        }

        stream.Position = 0x28;
        var sectionHeaderOffset = reader.ReadInt64();
        stream.Position = 0x3A;
        int sectionHeaderSize = reader.ReadUInt16();
        int sectionCount = reader.ReadUInt16();

        for (var section = 0; section < sectionCount; section++)
        {
            var header = sectionHeaderOffset + (long)section * sectionHeaderSize;
            stream.Position = header + 4;
            if (reader.ReadUInt32() != ShtGnuVerneed)
            {
                continue;
            }

            stream.Position = header + 0x18;
            var verneedOffset = reader.ReadInt64();
            stream.Position = header + 0x28;
            var stringTableIndex = reader.ReadInt32();
            var verneedCount = reader.ReadInt32();

            stream.Position = sectionHeaderOffset + (long)stringTableIndex * sectionHeaderSize + 0x18;
            var stringTableOffset = reader.ReadInt64();

            var verneed = verneedOffset;
            for (var n = 0; n < verneedCount; n++)
            {
                stream.Position = verneed + 2;
                int auxCount = reader.ReadUInt16();
                stream.Position = verneed + 8;
                var auxOffset = reader.ReadUInt32();
                var nextVerneed = reader.ReadUInt32();

                var aux = verneed + auxOffset;
                for (var a = 0; a < auxCount; a++)
                {
                    stream.Position = aux + 4;
                    var flags = reader.ReadUInt16();
                    stream.Position = aux + 8;
                    var nameOffset = reader.ReadUInt32();
                    var nextAux = reader.ReadUInt32();

                    if (ReadCString(stream, stringTableOffset + nameOffset) == versionName)
                    {
                        if ((flags & VerFlagWeak) != 0)
                        {
                            return "already patched";
                        }

                        stream.Position = aux + 4;
                        using var writer = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
                        writer.Write((ushort)(flags | VerFlagWeak));
                        return "patched";
                    }

                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += nextAux;
                }

                if (nextVerneed == 0)
                {
                    break;
                }

                verneed += nextVerneed;
            }
        }

        return "no " + versionName + " requirement; nothing to do";
    }

    private static string ReadCString(Stream stream, long position)
    {
        stream.Position = position;
        var text = new StringBuilder();
        int b;
        while ((b = stream.ReadByte()) > 0)
        {
            text.Append((char)b);
        }

        return text.ToString();
    }
}
