using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// Awaits that resume somewhere other than the scheduler thread: <c>ConfigureAwait(false)</c> on any awaitable (with a
/// constant argument that drops the captured context), and awaiting a <see cref="System.Threading.Tasks.TaskScheduler"/>
/// (vs-threading's <c>await TaskScheduler.Default</c>).
/// </summary>
internal static class SchedulerEscapes
{
    /// <summary>ConfigureAwaitOptions.ContinueOnCapturedContext.</summary>
    private const int ContinueOnCapturedContext = 1;

    /// <summary>The misuse when <paramref name="invocation"/> is <c>ConfigureAwait(false)</c>; null otherwise.</summary>
    public static Misuse? Match(IInvocationOperation invocation)
    {
        if (invocation.TargetMethod.Name != "ConfigureAwait")
        {
            return null;
        }

        // Extension forms (IAsyncEnumerable, IAsyncDisposable, vs-threading's) pass the receiver as the first argument.
        var setting = invocation.Arguments.FirstOrDefault(a => a.Parameter is { } p && p.Ordinal == (invocation.TargetMethod.IsExtensionMethod ? 1 : 0));
        if (setting?.Value.ConstantValue is not { HasValue: true } constant || !LeavesContext(setting.Parameter!.Type, constant.Value))
        {
            return null;
        }

        return new Misuse(MisuseKind.LeavesSchedulerThread, invocation.Syntax.GetLocation(), "ConfigureAwait(" + setting.Value.Syntax + ")", null, ImmutableDictionary<string, string?>.Empty);
    }

    /// <summary>The misuse when <paramref name="await"/> awaits a task scheduler; null otherwise.</summary>
    public static Misuse? Match(IAwaitOperation await, KnownSymbols symbols) =>
        KnownSymbols.IsOrDerives(await.Operation.Type, symbols.TaskScheduler)
            ? new Misuse(MisuseKind.LeavesSchedulerThread, await.Syntax.GetLocation(), "await " + CallText.Source(await.Operation, "a TaskScheduler"), null, ImmutableDictionary<string, string?>.Empty)
            : null;

    private static bool LeavesContext(ITypeSymbol type, object? value) => type.SpecialType switch
    {
        SpecialType.System_Boolean => value is false,
        _ when type.TypeKind == TypeKind.Enum && type.Name == "ConfigureAwaitOptions" && value is int options => (options & ContinueOnCapturedContext) == 0,
        _ => false,
    };
}
