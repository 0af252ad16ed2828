using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Stackless.Emu.Analyzers.Tests.Infrastructure;

/// <summary>
/// What the code under test compiles against: the running .NET's own assemblies and the real Stackless.Emu.dll, so the
/// analyzers are tested against the library's actual metadata names. Nothing is downloaded (the test framework's
/// reference-assembly packages would be fetched from a feed at run time).
/// </summary>
internal static class TestReferences
{
    /// <summary>A reference set with no package: the assemblies come from <see cref="All"/>.</summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    /// <summary>The platform assemblies plus Stackless.Emu.</summary>
    public static ImmutableArray<MetadataReference> All { get; } =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "mscorlib.dll" or "netstandard.dll"))
            .Select(path => MetadataReference.CreateFromFile(path)),
        MetadataReference.CreateFromFile(typeof(Tasklet).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Microsoft.VisualStudio.Threading.JoinableTaskFactory).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Nito.AsyncEx.AsyncContext).Assembly.Location),
    ];
}
