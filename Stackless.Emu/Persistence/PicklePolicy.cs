using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// What the pickler may touch, shared by the writer (which refuses early, with advice) and the reader (which refuses
/// whatever the data asks beyond it): whose fields it sets, which methods a restored delegate may call, which types the
/// serializer may build. The library's own types are only ever handled by dedicated code.
/// </summary>
internal static class PicklePolicy
{
    private static readonly Assembly Library = typeof(Tasklet).Assembly;
    private static readonly ConcurrentDictionary<Type, string?> ByFieldsProblems = new();
    private static readonly ConcurrentDictionary<MethodInfo, string?> TargetProblems = new();

    /// <summary>Whether <paramref name="assembly"/> is Stackless.Emu itself.</summary>
    public static bool IsLibrary(Assembly assembly) => assembly == Library;

    /// <summary>
    /// Whether a frame of the library's own <paramref name="method"/> may be restored: only the channel's TaskletFrame
    /// methods (the interface forms and SendSequenceAsync), whose every await point is a channel operation of their own
    /// channel. Every other library state machine is refused, so a pickle cannot resume library code at a forged point.
    /// </summary>
    public static bool IsResumableLibraryFrame(MethodInfo method) =>
        method.DeclaringType is { IsGenericType: true } declaring && declaring.GetGenericTypeDefinition() == typeof(Channel<>);

    /// <summary>A type the compiler generated (closure, lambda cache, iterator, state machine, anonymous type).</summary>
    public static bool IsCompilerGenerated(Type type) =>
        type.Name.StartsWith('<') && type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);

    /// <summary>Whether values of <paramref name="type"/> are saved field by field: compiler-generated or marked [PickleByFields].</summary>
    public static bool IsByFields(Type type) => IsCompilerGenerated(type) || type.IsDefined(typeof(PickleByFieldsAttribute), inherit: false);

    /// <summary>
    /// Why the pickler may not save and set the fields of <paramref name="type"/>, or null when it may: it must be
    /// compiler-generated or marked [PickleByFields] (and so must every base class up to <see cref="object"/>), not a
    /// type of Stackless.Emu, not a delegate, not an async state machine (frames are pickled only as a tasklet's chain).
    /// </summary>
    public static string? WhyNotByFields(Type type) => ByFieldsProblems.GetOrAdd(type, static t =>
    {
        if (IsLibrary(t.Assembly))
        {
            return $"{PickleTypes.Describe(t)} is a type of Stackless.Emu, whose objects the pickler handles only through dedicated code";
        }

        if (t.IsAbstract || t.IsInterface || t.IsArray || t.IsPointer || t.IsByRef || t.ContainsGenericParameters || typeof(Delegate).IsAssignableFrom(t))
        {
            return $"{PickleTypes.Describe(t)} is not a concrete class or struct";
        }

        if (typeof(IAsyncStateMachine).IsAssignableFrom(t))
        {
            return $"{PickleTypes.Describe(t)} is an async state machine; frames are pickled only as part of a tasklet";
        }

        for (var current = t; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            if (!IsByFields(current))
            {
                return current == t
                    ? $"{PickleTypes.Describe(t)} is neither compiler-generated nor marked [PickleByFields]"
                    : $"its base class {PickleTypes.Describe(current)} is not marked [PickleByFields] (every base class of a [PickleByFields] class must be, or be object)";
            }
        }

        return null;
    });

    /// <summary>
    /// Why a restored delegate may not call <paramref name="method"/>, or null when it may: it must return
    /// <see cref="TaskletFrame"/>/<see cref="TaskletFrame{TResult}"/> or be marked [PickleDelegateTarget], be declared
    /// outside Stackless.Emu, and not be a generic method.
    /// </summary>
    public static string? WhyNotDelegateTarget(MethodInfo method) => TargetProblems.GetOrAdd(method, static m =>
    {
        if (m.DeclaringType is null || IsLibrary(m.Module.Assembly) || m.Module.Assembly.IsDynamic)
        {
            return $"{m.Name} is a method of Stackless.Emu, a dynamic or a global method";
        }

        if (m.IsGenericMethod)
        {
            return $"{m.DeclaringType.Name}.{m.Name} is a generic method";
        }

        if (!FrameAwaiters.IsTaskletFrame(m.ReturnType) && !m.IsDefined(typeof(PickleDelegateTargetAttribute), inherit: false))
        {
            return $"{PickleTypes.Describe(m.DeclaringType)}.{m.Name} neither returns a TaskletFrame nor is marked [PickleDelegateTarget] (mark the method, or the lambda, if a pickle may call it)";
        }

        return null;
    });

    /// <summary>
    /// Whether the serializer may build values of <paramref name="type"/> on load: harmless BCL values (primitives,
    /// strings, dates, enums, ...) and types of allowed assemblies other than Stackless.Emu, never delegates,
    /// compiler-generated or [PickleByFields] types, tasks, enumerators or state machines.
    /// </summary>
    public static bool MaySerialize(Type type, PickleOptions options)
    {
        var core = Nullable.GetUnderlyingType(type) ?? type;
        if (core.IsPrimitive || core.IsEnum || core == typeof(string) || core == typeof(decimal) || core == typeof(DateTime)
            || core == typeof(DateTimeOffset) || core == typeof(TimeSpan) || core == typeof(Guid) || core == typeof(DateOnly)
            || core == typeof(TimeOnly) || core == typeof(Half) || core == typeof(Int128) || core == typeof(UInt128))
        {
            return true;
        }

        var definition = core.IsGenericType ? core.GetGenericTypeDefinition() : core;
        return options.IsAllowed(definition.Assembly) && !IsLibrary(definition.Assembly) && !definition.IsArray
            && !typeof(Delegate).IsAssignableFrom(definition) && !typeof(IAsyncStateMachine).IsAssignableFrom(definition)
            && !typeof(IEnumerator).IsAssignableFrom(definition) && !typeof(Task).IsAssignableFrom(definition)
            && !IsByFields(definition);
    }
}
