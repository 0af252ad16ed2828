using System.Reflection;

namespace Stackless.Emu;

/// <summary>
/// Reads and rebuilds the awaiter fields of a suspended frame: an awaited child frame, or a pending operation on one of
/// the library's awaitables (receive, or a switch: schedule, send, run, ...), and the hand-over slot of a tasklet.
/// </summary>
internal static class FrameAwaiters
{
    private const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
    private const BindingFlags Internal = BindingFlags.Static | BindingFlags.NonPublic;

    /// <summary>The child frame a TaskletFrame awaiter (boxed) waits for, or null.</summary>
    public static FrameBox? ChildOf(object? awaiter) => awaiter is IFrameAwaiter frame ? frame.Box : null;

    /// <summary>The tasklet a boxed <see cref="ReceiveAwaitable{T}"/> or <see cref="SwitchAwaitable"/> suspends, or null.</summary>
    public static Tasklet? SuspendedBy(object? awaiter)
    {
        if (awaiter is null)
        {
            return null;
        }

        var type = awaiter.GetType();
        if (type == typeof(SwitchAwaitable))
        {
            var suspends = (bool)type.GetField("_suspends", Private)!.GetValue(awaiter)!;
            return suspends ? (Tasklet?)type.GetField("_tasklet", Private)!.GetValue(awaiter) : null;
        }

        return (Tasklet?)type.GetField("_suspended", Private)!.GetValue(awaiter);
    }

    /// <summary>A boxed awaiter of <paramref name="awaiterType"/> waiting for <paramref name="child"/>.</summary>
    public static object ChildAwaiter(Type awaiterType, FrameBox child)
    {
        if (awaiterType == typeof(TaskletFrameAwaiter))
        {
            return new TaskletFrameAwaiter(new TaskletFrameAwaiter<VoidResult>((FrameBox<VoidResult>)child, default, null));
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

        var element = awaiterType.GetGenericArguments()[0];
        return typeof(FrameAwaiters).GetMethod(nameof(MakeReceiveAwaiter), Internal)!.MakeGenericMethod(element).Invoke(null, [tasklet])!;
    }

    /// <summary>The element type of a boxed or declared <see cref="ReceiveAwaitable{T}"/>, or null for a switch.</summary>
    public static Type? ReceiveElementType(Type awaiterType) =>
        awaiterType.IsGenericType && awaiterType.GetGenericTypeDefinition() == typeof(ReceiveAwaitable<>) ? awaiterType.GetGenericArguments()[0] : null;

    /// <summary>The value and error in a tasklet's hand-over slot (a <c>TransferSlot&lt;T&gt;</c>).</summary>
    public static (object? Value, object? Error) ReadSlot(object slot)
    {
        var type = slot.GetType();
        return (type.GetField("Value")!.GetValue(slot), type.GetField("Error")!.GetValue(slot));
    }

    /// <summary>Puts <paramref name="value"/> into <paramref name="tasklet"/>'s hand-over slot for <paramref name="element"/>.</summary>
    public static void WriteSlot(Tasklet tasklet, Type element, object? value) =>
        typeof(FrameAwaiters).GetMethod(nameof(WriteSlotOf), Internal)!.MakeGenericMethod(element).Invoke(null, [tasklet, value]);

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

    private static TaskletFrameAwaiter<TResult> MakeChildAwaiter<TResult>(FrameBox child) => new TaskletFrameAwaiter<TResult>((FrameBox<TResult>)child, default!, null);

    private static ReceiveAwaitable<T> MakeReceiveAwaiter<T>(Tasklet tasklet) => new ReceiveAwaitable<T>(tasklet, default!);

    private static void WriteSlotOf<T>(Tasklet tasklet, object? value) => tasklet.SlotFor<T>().Value = (T)value!;
}

/// <summary>Gives the pickler the frame a TaskletFrame awaiter waits for.</summary>
internal interface IFrameAwaiter
{
    /// <summary>The awaited frame, or null when it completed without suspending.</summary>
    FrameBox? Box { get; }
}
