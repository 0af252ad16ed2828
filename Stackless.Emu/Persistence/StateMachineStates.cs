using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The states a compiler-generated state machine can really be in, read from its IL once per type: for an async
/// method, each await point's state number and the awaiter type awaited there (the compiler stores the state with
/// <c>ldc.i4 n; dup; stloc; stfld &lt;&gt;1__state</c> right before it calls the builder's <c>AwaitUnsafeOnCompleted</c>);
/// for an iterator, every constant its methods store into the state. The loader refuses a frame or iterator whose
/// <c>&lt;&gt;1__state</c> is not one of these, so a pickle cannot resume code at a point no await or yield leads to.
/// It cannot tell apart two real await points of the same awaiter type: only a signed pickle proves the state is the
/// one the writer saw (see <see cref="PickleOptions.SigningKey"/>).
/// </summary>
internal sealed class StateMachineStates
{
    /// <summary>The compiler's name of the state field.</summary>
    public const string StateField = "<>1__state";

    /// <summary>The compiler's name of the field holding the <c>this</c> of an instance method.</summary>
    public const string ThisField = "<>4__this";

    /// <summary>The prefix of the compiler's names of awaiter fields.</summary>
    public const string AwaiterFieldPrefix = "<>u__";

    private static readonly ConcurrentDictionary<Type, StateMachineStates> Cache = new();
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private StateMachineStates(Dictionary<int, Type> awaitPoints, HashSet<int> stored, string? problem)
    {
        AwaitPoints = awaitPoints;
        StoredStates = stored;
        Problem = problem;
    }

    /// <summary>An async state machine's await points: state number to the awaiter type awaited there.</summary>
    public IReadOnlyDictionary<int, Type> AwaitPoints { get; }

    /// <summary>Every constant stored into the state field by the type's methods.</summary>
    public IReadOnlySet<int> StoredStates { get; }

    /// <summary>Why the IL could not be read (an unexpected shape), or null.</summary>
    public string? Problem { get; }

    /// <summary>The states of <paramref name="type"/>, a compiler-generated async state machine or iterator.</summary>
    public static StateMachineStates Of(Type type) => Cache.GetOrAdd(type, Scan);

    private static StateMachineStates Scan(Type type)
    {
        var awaitPoints = new Dictionary<int, Type>();
        var stored = new HashSet<int>();
        try
        {
            var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
            const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                var il = method.GetMethodBody()?.GetILAsByteArray();
                if (il is not null)
                {
                    ScanMethod(method.Module, il, typeArguments, awaitPoints, stored);
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentException or BadImageFormatException or InvalidOperationException or NotSupportedException or MissingMemberException)
        {
            return new StateMachineStates(awaitPoints, stored, $"its IL could not be read ({ex.GetType().Name}: {ex.Message})");
        }

        return new StateMachineStates(awaitPoints, stored, null);
    }

    private static void ScanMethod(Module module, byte[] il, Type[]? typeArguments, Dictionary<int, Type> awaitPoints, HashSet<int> stored)
    {
        int? constant = null;
        var sinceConstant = 0;
        int? pendingState = null;
        for (var offset = 0; offset < il.Length;)
        {
            var value = (short)il[offset++];
            if (value == 0xFE && offset < il.Length)
            {
                value = (short)(0xFE00 | il[offset++]);
            }

            if (!OpCodesByValue.TryGetValue(value, out var opcode))
            {
                throw new InvalidOperationException($"unknown opcode 0x{value:X} at IL offset {offset}");
            }

            var operand = offset;
            offset += OperandSize(opcode, il, offset);
            if (TryConstant(opcode, il, operand, out var loaded))
            {
                constant = loaded;
                sinceConstant = 0;
                continue;
            }

            sinceConstant++;
            if (opcode == OpCodes.Stfld)
            {
                var field = module.ResolveField(BitConverter.ToInt32(il, operand), typeArguments, null);
                if (field?.Name == StateField)
                {
                    // ldc.i4 n; [dup; stloc]; stfld <>1__state: the stfld is at most the third instruction after the constant.
                    var state = constant is { } c && sinceConstant <= 3 ? c : (int?)null;
                    if (state is { } known)
                    {
                        stored.Add(known);
                    }

                    pendingState = state is >= 0 ? state : null;
                }
            }
            else if ((opcode == OpCodes.Call || opcode == OpCodes.Callvirt) && pendingState is { } awaited)
            {
                var method = module.ResolveMethod(BitConverter.ToInt32(il, operand), typeArguments, null);
                if (method is MethodInfo { IsGenericMethod: true } call
                    && call.Name is "AwaitUnsafeOnCompleted" or "AwaitOnCompleted"
                    && FrameAwaiters.ResultTypeOf(call.DeclaringType!) is not null)
                {
                    awaitPoints[awaited] = call.GetGenericArguments()[0];
                    pendingState = null;
                }
            }
        }
    }

    private static bool TryConstant(OpCode opcode, byte[] il, int operand, out int value)
    {
        value = opcode.Value switch
        {
            0x15 => -1, // ldc.i4.m1
            >= 0x16 and <= 0x1E => opcode.Value - 0x16, // ldc.i4.0 .. ldc.i4.8
            0x1F => (sbyte)il[operand], // ldc.i4.s
            0x20 => BitConverter.ToInt32(il, operand), // ldc.i4
            _ => int.MinValue,
        };
        return value != int.MinValue || opcode.Value == 0x20;
    }

    private static int OperandSize(OpCode opcode, byte[] il, int offset) => opcode.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, offset)),
        _ => 4,
    };

    /// <summary>Whether <paramref name="type"/> is the state machine of an iterator (<c>yield return</c>) method.</summary>
    public static bool IsIterator(Type type) => IteratorMethodOf(type) is not null;

    /// <summary>The iterator method whose state machine <paramref name="type"/> is, or null.</summary>
    public static MethodInfo? IteratorMethodOf(Type type) => OwnerOf<IteratorStateMachineAttribute>(type);

    /// <summary>The async method whose state machine <paramref name="type"/> is, or null.</summary>
    public static MethodInfo? AsyncMethodOf(Type type) => OwnerOf<AsyncStateMachineAttribute>(type);

    private static MethodInfo? OwnerOf<TAttribute>(Type type)
        where TAttribute : StateMachineAttribute
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition.DeclaringType is not { } owner || !definition.Name.StartsWith('<'))
        {
            return null;
        }

        return Owners.GetOrAdd((definition, typeof(TAttribute)), static key =>
        {
            const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var method in key.Definition.DeclaringType!.GetMethods(all))
            {
                if (method.GetCustomAttribute(key.Attribute) is StateMachineAttribute attribute && attribute.StateMachineType == key.Definition)
                {
                    return method;
                }
            }

            return null;
        });
    }

    private static readonly ConcurrentDictionary<(Type Definition, Type Attribute), MethodInfo?> Owners = new();
}
