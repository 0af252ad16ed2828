using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The frames of a soft tasklet, outermost first, as the pickler sees them, and the reason it cannot be pickled when
/// it cannot (Stackless refuses a tasklet with C frames the same way).
/// </summary>
internal sealed class FrameChain
{
    private FrameChain(List<FrameBox> frames, string? problem)
    {
        Frames = frames;
        Problem = problem;
    }

    /// <summary>The <see cref="TaskletFrame"/> frames, outermost (the tasklet's root) first, innermost last.</summary>
    public List<FrameBox> Frames { get; }

    /// <summary>Why the tasklet cannot be pickled, naming the offending frame; null when it can.</summary>
    public string? Problem { get; }

    /// <summary>The chain of <paramref name="tasklet"/>.</summary>
    public static FrameChain Of(Tasklet tasklet)
    {
        if (tasklet.Kind != TaskletKind.Soft)
        {
            return Fail(tasklet.IsMain
                ? "the main tasklet cannot be pickled: its frames are the thread's own stack (C state)"
                : "a hard tasklet cannot be pickled: its frames live on its own OS thread's stack (C state)");
        }

        if (!tasklet.Started)
        {
            var root = tasklet.CurrentRootFrame;
            if (root is not null)
            {
                return new FrameChain([root], null);
            }

            var body = tasklet.SoftBody;
            if (body is not null && body.HasSingleTarget is false)
            {
                return Fail("the tasklet's body is a multicast delegate");
            }

            return new FrameChain([], null);
        }

        if (tasklet.IsCurrent)
        {
            return Fail("the running tasklet cannot be pickled: pickle it from another tasklet while it is suspended");
        }

        if (tasklet.BlockedOnIO)
        {
            return Fail($"it is blocked on I/O (awaiting a foreign awaitable){DescribeForeign(tasklet)}");
        }

        if (tasklet.PendingException is not null)
        {
            return Fail("an exception (a kill or a throw) is pending delivery to it");
        }

        if (tasklet.ResumeTarget is not FrameBox innermost)
        {
            return Fail($"it is not suspended in a TaskletFrame method{DescribeSuspension(tasklet)}");
        }

        if (innermost.Awaiting != FrameAwait.Library)
        {
            return Fail($"frame {innermost.MethodName} is suspended on {innermost.AwaiterType?.Name ?? "a step of its own"}, not on a channel operation or a schedule");
        }

        var frames = new List<FrameBox> { innermost };
        var frame = innermost;
        while (frame.Parent is { } parent)
        {
            if (parent.Awaiting != FrameAwait.Child)
            {
                return Fail($"frame {parent.MethodName} is not suspended awaiting {frame.MethodName}");
            }

            frames.Add(parent);
            frame = parent;
        }

        if (frame != tasklet.CurrentRootFrame)
        {
            var awaiter = frame.Continuation is { } continuation ? Describe(continuation) : "nothing (it was not awaited)";
            return Fail($"frame {frame.MethodName} is awaited by {awaiter}, which is not a TaskletFrame method (create the tasklet with Tasklet.CreateFrame and await TaskletFrame methods all the way down)");
        }

        frames.Reverse();
        return new FrameChain(frames, null);
    }

    private static FrameChain Fail(string problem) => new([], problem);

    /// <summary>Names the TaskletFrame frame awaiting something foreign (a waiting tasklet's resumption is that frame).</summary>
    private static string DescribeForeign(Tasklet tasklet) =>
        tasklet.ResumeTarget is FrameBox { Awaiting: FrameAwait.Foreign } frame
            ? $": frame {frame.MethodName} awaits a {frame.AwaiterType?.Name}"
            : string.Empty;

    /// <summary>Names the frame a stored continuation would resume.</summary>
    private static string DescribeSuspension(Tasklet tasklet) =>
        tasklet.ResumeTarget is Delegate callback ? $": it would resume {Describe(callback)}" : string.Empty;

    /// <summary>Names the method a continuation delegate resumes (a compiler state machine's method when it is one).</summary>
    public static string Describe(Delegate continuation)
    {
        var target = continuation.Target;
        if (target is FrameBox box)
        {
            return $"TaskletFrame method {box.MethodName}";
        }

        if (target is not null)
        {
            var type = target.GetType();
            if (type.IsGenericType)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    if (typeof(IAsyncStateMachine).IsAssignableFrom(argument))
                    {
                        return $"async method {FrameBox.DescribeStateMachine(argument)}";
                    }
                }
            }

            if (target is IAsyncStateMachine)
            {
                return $"async method {FrameBox.DescribeStateMachine(type)}";
            }
        }

        return $"{continuation.Method.DeclaringType?.FullName}.{continuation.Method.Name}";
    }
}
