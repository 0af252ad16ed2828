using System.Reflection;

namespace Stackless.Emu;

/// <summary>
/// Reads and rebuilds the awaiter fields of a suspended frame (an awaited child frame, or a pending operation on one of
/// the library's awaitables) and the value handed to a tasklet, through typed internal members of the core: the one
/// place the pickler depends on how awaitables and tasklets keep their state.
/// </summary>
internal static class FrameAwaiters
{
    private const BindingFlags Internal = BindingFlags.Static | BindingFlags.NonPublic;

    /// <summary>The child frame a TaskletFrame awaiter (boxed) waits for, or null.</summary>
    public static FrameBox? ChildOf(object? awaiter) => awaiter is IFrameAwaiter frame ? frame.Box : null;

    /// <summary>The tasklet a boxed <see cref="ReceiveAwaitable{T}"/>, <see cref="SwitchAwaitable"/> or <see cref="TempValAwaitable"/> suspends, or null.</summary>
    public static Tasklet? SuspendedBy(object? awaiter) => awaiter switch
    {
        null => null,
        SwitchAwaitable switchAwaitable => switchAwaitable.SuspendedTasklet,
        TempValAwaitable tempValAwaitable => tempValAwaitable.SuspendedTasklet,
        _ => (Tasklet?)typeof(FrameAwaiters).GetMethod(nameof(SuspendedByReceive), Internal)!
            .MakeGenericMethod(awaiter.GetType().GetGenericArguments()[0]).Invoke(null, [awaiter]),
    };

    /// <summary>A boxed awaiter of <paramref name="awaiterType"/> waiting for <paramref name="child"/>.</summary>
    public static object ChildAwaiter(Type awaiterType, FrameBox child)
    {
        if (awaiterType == typeof(TaskletFrameAwaiter))
        {
            return new TaskletFrameAwaiter(new TaskletFrameAwaiter<VoidResult>(child, default));
        }

        var result = awaiterType.GetGenericArguments()[0];
        return typeof(FrameAwaiters).GetMethod(nameof(MakeChildAwaiter), Internal)!.MakeGenericMethod(result).Invoke(null, [child])!;
    }

    /// <summary>A boxed library awaiter of <paramref name="awaiterType"/> suspending <paramref name="tasklet"/>.</summary>
    public static object LibraryAwaiter(Type awaiterType, Tasklet tasklet)
    {
        if (awaiterType == typeof(SwitchAwaitable))
        {
            return new SwitchAwaitable(tasklet, suspends: true);
        }

        if (awaiterType == typeof(TempValAwaitable))
        {
            return new TempValAwaitable(tasklet, suspends: true);
        }

        var element = awaiterType.GetGenericArguments()[0];
        return typeof(FrameAwaiters).GetMethod(nameof(MakeReceiveAwaiter), Internal)!.MakeGenericMethod(element).Invoke(null, [tasklet])!;
    }

    /// <summary>The element type of a boxed or declared <see cref="ReceiveAwaitable{T}"/>, or null for a switch.</summary>
    public static Type? ReceiveElementType(Type awaiterType) =>
        awaiterType.IsGenericType && awaiterType.GetGenericTypeDefinition() == typeof(ReceiveAwaitable<>) ? awaiterType.GetGenericArguments()[0] : null;

    /// <summary>The value (and error) handed to <paramref name="tasklet"/> as an <paramref name="element"/>, without taking it.</summary>
    public static (object? Value, object? Error) PeekValue(Tasklet tasklet, Type element) =>
        ((object? Value, object? Error))typeof(FrameAwaiters).GetMethod(nameof(PeekValueOf), Internal)!.MakeGenericMethod(element).Invoke(null, [tasklet])!;

    /// <summary>Hands <paramref name="value"/> to <paramref name="tasklet"/> as an <paramref name="element"/>.</summary>
    public static void WriteSlot(Tasklet tasklet, Type element, object? value) =>
        typeof(FrameAwaiters).GetMethod(nameof(WriteValueOf), Internal)!.MakeGenericMethod(element).Invoke(null, [tasklet, value]);

    /// <summary>The builder value that binds a restored state machine to <paramref name="box"/>.</summary>
    public static object BuilderFor(Type builderType, FrameBox box)
    {
        if (builderType == typeof(TaskletFrameMethodBuilder))
        {
            return TaskletFrameMethodBuilder.ForBox((FrameBox<VoidResult>)box);
        }

        return builderType.GetMethod(nameof(TaskletFrameMethodBuilder.ForBox), Internal)!.Invoke(null, [box])!;
    }

    /// <summary>The result type of a frame whose builder field has <paramref name="builderType"/>, or null if it is not a TaskletFrame builder.</summary>
    public static Type? ResultTypeOf(Type builderType)
    {
        if (builderType == typeof(TaskletFrameMethodBuilder))
        {
            return typeof(VoidResult);
        }

        return builderType.IsGenericType && builderType.GetGenericTypeDefinition() == typeof(TaskletFrameMethodBuilder<>)
            ? builderType.GetGenericArguments()[0]
            : null;
    }

    private static Tasklet? SuspendedByReceive<T>(ReceiveAwaitable<T> awaiter) => awaiter.SuspendedTasklet;

    private static TaskletFrameAwaiter<TResult> MakeChildAwaiter<TResult>(FrameBox child) => new(child, default!);

    private static ReceiveAwaitable<T> MakeReceiveAwaiter<T>(Tasklet tasklet) => new(tasklet, suspends: true);

    private static (object? Value, object? Error) PeekValueOf<T>(Tasklet tasklet) => tasklet.PeekValue<T>();

    private static void WriteValueOf<T>(Tasklet tasklet, object? value) => tasklet.PutValue((T)value!);
}
