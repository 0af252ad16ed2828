using System.Collections.Concurrent;
using System.Reflection;

namespace Stackless.Emu;

/// <summary>
/// The pickler's one window on the core: every read of a suspended tasklet's state (where it waits, its hand-over slot,
/// its awaiters, its body and root frame) and every write that restores one goes through here, with typed accessors
/// (no private field is read by name), so a change of the core's awaitables or wait state is adapted in this file only.
/// </summary>
internal static class FrameAwaiters
{
    private const BindingFlags Private = BindingFlags.Static | BindingFlags.NonPublic;

    private static readonly ConcurrentDictionary<Type, Func<object, Tasklet?>> ReceiveSuspenders = new();
    private static readonly ConcurrentDictionary<Type, Func<FrameBox, object>> ChildAwaiters = new();
    private static readonly ConcurrentDictionary<Type, Func<Tasklet, object>> ReceiveAwaiters = new();
    private static readonly ConcurrentDictionary<Type, Func<Tasklet, (object? Value, object? Error)>> SlotReaders = new();
    private static readonly ConcurrentDictionary<Type, Action<Tasklet, object?>> SlotWriters = new();
    private static readonly ConcurrentDictionary<Type, Func<FrameBox, object>> Builders = new();

    // ---------------------------------------------------------------- awaiters and builders

    /// <summary>The child frame a TaskletFrame awaiter (boxed) waits for, or null.</summary>
    public static FrameBox? ChildOf(object? awaiter) => awaiter is IFrameAwaiter frame ? frame.Box : null;

    /// <summary>The tasklet a boxed <see cref="ReceiveAwaitable{T}"/>, <see cref="SwitchAwaitable"/> or <see cref="TempValAwaitable"/> suspends, or null.</summary>
    public static Tasklet? SuspendedBy(object? awaiter) => awaiter switch
    {
        null => null,
        SwitchAwaitable operation => operation.SuspendedTasklet,
        TempValAwaitable operation => operation.SuspendedTasklet,
        _ when ReceiveElementType(awaiter.GetType()) is { } element =>
            ReceiveSuspenders.GetOrAdd(element, static e => Typed<Func<object, Tasklet?>>(nameof(SuspendedByReceive), e))(awaiter),
        _ => null,
    };

    /// <summary>The result type of the frame a child awaiter type waits for (<see cref="VoidResult"/> for <see cref="TaskletFrameAwaiter"/>).</summary>
    public static Type ChildResultType(Type awaiterType) =>
        awaiterType == typeof(TaskletFrameAwaiter) ? typeof(VoidResult) : awaiterType.GetGenericArguments()[0];

    /// <summary>A boxed awaiter of <paramref name="awaiterType"/> waiting for <paramref name="child"/>, whose result type must be <see cref="ChildResultType"/>.</summary>
    public static object ChildAwaiter(Type awaiterType, FrameBox child)
    {
        if (awaiterType == typeof(TaskletFrameAwaiter))
        {
            return new TaskletFrameAwaiter(new TaskletFrameAwaiter<VoidResult>(child, default));
        }

        return ChildAwaiters.GetOrAdd(awaiterType.GetGenericArguments()[0], static r => Typed<Func<FrameBox, object>>(nameof(MakeChildAwaiter), r))(child);
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

        return ReceiveAwaiters.GetOrAdd(awaiterType.GetGenericArguments()[0], static e => Typed<Func<Tasklet, object>>(nameof(MakeReceiveAwaiter), e))(tasklet);
    }

    /// <summary>The element type of a boxed or declared <see cref="ReceiveAwaitable{T}"/>, or null for a switch.</summary>
    public static Type? ReceiveElementType(Type awaiterType) =>
        awaiterType.IsGenericType && awaiterType.GetGenericTypeDefinition() == typeof(ReceiveAwaitable<>) ? awaiterType.GetGenericArguments()[0] : null;

    /// <summary>The builder value that binds a restored state machine to <paramref name="box"/>.</summary>
    public static object BuilderFor(Type builderType, FrameBox box)
    {
        if (builderType == typeof(TaskletFrameMethodBuilder))
        {
            return TaskletFrameMethodBuilder.ForBox((FrameBox<VoidResult>)box);
        }

        return Builders.GetOrAdd(builderType.GetGenericArguments()[0], static r => Typed<Func<FrameBox, object>>(nameof(MakeBuilder), r))(box);
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

    /// <summary>An empty box for a restored frame of state machine type <paramref name="stateMachine"/>.</summary>
    public static FrameBox CreateBox(Type stateMachine, Type result) =>
        (FrameBox)Activator.CreateInstance(typeof(StateMachineBox<,>).MakeGenericType(stateMachine, result))!;

    /// <summary>Whether <paramref name="returnType"/> is <see cref="TaskletFrame"/> or a <see cref="TaskletFrame{TResult}"/>.</summary>
    public static bool IsTaskletFrame(Type returnType) =>
        returnType == typeof(TaskletFrame) || (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(TaskletFrame<>));

    // ---------------------------------------------------------------- a tasklet's state

    /// <summary>Where <paramref name="tasklet"/> is: in the runnable queue, in a channel's queue (which, which way), or neither.</summary>
    /// <remarks>A tasklet served by another thread, its wake on the way, counts as in a channel with none to pickle.</remarks>
    public static TaskletPlacement WaitOf(Tasklet tasklet) => tasklet.Wait switch
    {
        TaskletWait.Channel => new TaskletPlacement(TaskletPlace.Channel, tasklet.WaitingOnChannel as IPicklableChannel, tasklet.WaitDirection),
        TaskletWait.ChannelServed => new TaskletPlacement(TaskletPlace.Channel, null, tasklet.WaitDirection),
        TaskletWait.Runnable => new TaskletPlacement(TaskletPlace.Runnable, null, 0),
        _ => new TaskletPlacement(TaskletPlace.None, null, 0),
    };

    /// <summary>The position of each tasklet in this thread's runnable queue, after the running one (0 runs next).</summary>
    public static Dictionary<Tasklet, int> RunnableOrder()
    {
        var order = new Dictionary<Tasklet, int>(ReferenceEqualityComparer.Instance);
        var current = ThreadScheduler.Current.Executing;
        var position = 0;
        for (var t = current.NextLink; t is not null && t != current && t.Wait == TaskletWait.Runnable; t = t.NextLink)
        {
            order[t] = position++;
        }

        return order;
    }

    /// <summary>Whether <paramref name="tasklet"/> belongs to this thread's scheduler.</summary>
    public static bool IsOnThisThread(Tasklet tasklet) => tasklet.Scheduler == ThreadScheduler.Current;

    /// <summary>Whether the body of <paramref name="tasklet"/> has begun to run.</summary>
    public static bool HasStarted(Tasklet tasklet) => tasklet.Started;

    /// <summary>The body delegate of a soft tasklet, for one that has not started and has no root frame.</summary>
    public static Func<Task>? BodyOf(Tasklet tasklet) => tasklet.SoftBody;

    /// <summary>The root frame of a tasklet created by <see cref="Tasklet.CreateFrame"/> (or restored), or null.</summary>
    public static FrameBox? RootFrameOf(Tasklet tasklet) => tasklet.CurrentRootFrame;

    /// <summary>The tasklet's <see cref="Tasklet.Items"/>, or null when none was ever stored.</summary>
    public static Dictionary<string, object?>? ItemsOf(Tasklet tasklet) => tasklet.ItemsIfAny;

    /// <summary>
    /// The value (or error) handed to <paramref name="tasklet"/> as an <paramref name="element"/>, without taking it: a
    /// blocked sender's value, or what a woken receiver has been handed. Null when what it holds is not an
    /// <paramref name="element"/> (nothing was handed over for that type).
    /// </summary>
    public static (object? Value, object? Error)? ReadSlot(Tasklet tasklet, Type element)
    {
        var (value, error) = SlotReaders.GetOrAdd(element, static e => Typed<Func<Tasklet, (object?, object?)>>(nameof(ReadSlotOf), e))(tasklet);
        return value is not null && !element.IsInstanceOfType(value) ? null : (value, error);
    }

    // ---------------------------------------------------------------- restoring

    /// <summary>A new soft tasklet of this thread, unbound, to restore into.</summary>
    public static Tasklet NewTasklet() => new();

    /// <summary>Puts <paramref name="value"/> into <paramref name="tasklet"/>'s hand-over slot for <paramref name="element"/>.</summary>
    public static void WriteSlot(Tasklet tasklet, Type element, object? value) =>
        SlotWriters.GetOrAdd(element, static e => Typed<Action<Tasklet, object?>>(nameof(WriteSlotOf), e))(tasklet, value);

    /// <summary>Makes <paramref name="root"/> the body of <paramref name="tasklet"/> (not started).</summary>
    public static void AdoptRoot(Tasklet tasklet, FrameBox root) => tasklet.AdoptRoot(root);

    /// <summary>Binds a restored body delegate to <paramref name="tasklet"/> (not started).</summary>
    public static void AdoptBody(Tasklet tasklet, Func<Task> body) => tasklet.AdoptBody(body);

    /// <summary>Makes <paramref name="tasklet"/> alive, started and suspended at <paramref name="innermost"/>, paused.</summary>
    public static void AdoptSuspended(Tasklet tasklet, FrameBox root, FrameBox innermost) => tasklet.AdoptSuspended(root, innermost);

    /// <summary>Makes a tasklet that had been set up (not started) alive, paused.</summary>
    public static void AdoptAlive(Tasklet tasklet) => tasklet.AdoptAlive();

    /// <summary>Appends <paramref name="tasklet"/> to <paramref name="channel"/>'s queue, waiting in <paramref name="direction"/>.</summary>
    public static void RestoreWaiter(IPicklableChannel channel, Tasklet tasklet, int direction, object? value) =>
        channel.RestoreWaiter(tasklet, direction, value);

    // ---------------------------------------------------------------- typed helpers, bound once per type argument

    private static TDelegate Typed<TDelegate>(string name, Type argument)
        where TDelegate : Delegate =>
        typeof(FrameAwaiters).GetMethod(name, Private)!.MakeGenericMethod(argument).CreateDelegate<TDelegate>();

#pragma warning disable CA1859 // Bound to Func<..., object> delegates: the boxed awaiter or builder is what the field setter takes.
    private static Tasklet? SuspendedByReceive<T>(object awaiter) => ((ReceiveAwaitable<T>)awaiter).SuspendedTasklet;

    private static object MakeChildAwaiter<TResult>(FrameBox child) => new TaskletFrameAwaiter<TResult>(child, default!);

    private static object MakeReceiveAwaiter<T>(Tasklet tasklet) => new ReceiveAwaitable<T>(tasklet, suspends: true);

    private static object MakeBuilder<TResult>(FrameBox box) => TaskletFrameMethodBuilder<TResult>.ForBox((FrameBox<TResult>)box);

#pragma warning restore CA1859

    private static (object? Value, object? Error) ReadSlotOf<T>(Tasklet tasklet) => tasklet.PeekValue<T>();

    private static void WriteSlotOf<T>(Tasklet tasklet, object? value) => tasklet.PutValue((T)value!);
}

/// <summary>Where a tasklet is queued, as the pickler sees it.</summary>
internal enum TaskletPlace
{
    /// <summary>In no queue: paused, or not set up.</summary>
    None,

    /// <summary>In the runnable queue.</summary>
    Runnable,

    /// <summary>In a channel's queue of waiters.</summary>
    Channel,
}

/// <summary>Where a tasklet waits: its place, and for a channel, which one (null if it cannot be pickled) and which way (1 send, -1 receive).</summary>
internal readonly record struct TaskletPlacement(TaskletPlace Place, IPicklableChannel? Channel, int Direction);
