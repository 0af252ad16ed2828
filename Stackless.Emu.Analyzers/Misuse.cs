using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Stackless.Emu.Analyzers;

/// <summary>What a tasklet-body rule found at one operation, before it is known whether the function runs in a tasklet.</summary>
internal sealed class Misuse
{
    public Misuse(MisuseKind kind, Location location, string operation, string? alternative, ImmutableDictionary<string, string?> properties)
    {
        Kind = kind;
        Location = location;
        Operation = operation;
        Alternative = alternative;
        Properties = properties;
    }

    /// <summary>Which rule.</summary>
    public MisuseKind Kind { get; }

    /// <summary>Where to report it.</summary>
    public Location Location { get; }

    /// <summary>The operation as the message names it, e.g. "Channel.Send()".</summary>
    public string Operation { get; }

    /// <summary>What to write instead (synchronous forms only), e.g. "await channel.SendAsync(...)".</summary>
    public string? Alternative { get; }

    /// <summary>What the code fix needs (see <see cref="FixProperties"/>).</summary>
    public ImmutableDictionary<string, string?> Properties { get; }

    /// <summary>The diagnostic for a misuse found in the tasklet body itself (SLE10xx).</summary>
    public Diagnostic InBody() => Kind switch
    {
        MisuseKind.SyncForm => Diagnostic.Create(Rules.SyncFormInSoftTasklet, Location, Properties, Operation, Alternative),
        MisuseKind.LeavesSchedulerThread => Diagnostic.Create(Rules.LeavesSchedulerThread, Location, Properties, Operation),
        _ => Diagnostic.Create(Rules.SyncOverAsyncInSoftTasklet, Location, Properties, Operation),
    };

    /// <summary>
    /// The diagnostic for a misuse found in <paramref name="function"/>, an async method a tasklet body reaches through
    /// <paramref name="path"/> (SLE11xx); null for the kinds that only matter in the body itself.
    /// </summary>
    public Diagnostic? InCalledMethod(string function, string path) => Kind switch
    {
        MisuseKind.SyncForm => Diagnostic.Create(Rules.SyncFormInCalledAsyncMethod, Location, Properties, Operation, Alternative, function, path),
        MisuseKind.SyncOverAsync => Diagnostic.Create(Rules.SyncOverAsyncInCalledAsyncMethod, Location, Properties, Operation, function, path),
        _ => null,
    };
}

/// <summary>The tasklet-body rules.</summary>
internal enum MisuseKind
{
    /// <summary>SLE1001 / SLE1101.</summary>
    SyncForm,

    /// <summary>SLE1002: only in the body itself, since an async method that leaves the thread returns to the body, which resumes on it.</summary>
    LeavesSchedulerThread,

    /// <summary>SLE1003 / SLE1103.</summary>
    SyncOverAsync,
}
