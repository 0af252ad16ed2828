namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// A seeded plan of faults for the calls that carry values: channel Send/Receive/Poll/Withdraw and group Deliver. Some
/// calls are dropped (they fail before the grain runs), some fail after the grain ran (the caller cannot tell what
/// happened), some are delayed; a failure looks like a timeout, as a lost message does. Inactive unless a test
/// starts it; every decision comes from one seeded random source, so a failing run can be replayed.
/// </summary>
public sealed class FaultInjection : IIncomingGrainCallFilter
{
    private static readonly Lock Gate = new();
    private static Random? s_random;
    private static double s_drop;
    private static double s_failAfter;
    private static double s_delay;

    /// <summary>Faults injected so far: dropped, failed after running, delayed.</summary>
    public static (int Dropped, int FailedAfter, int Delayed) Counts { get; private set; }

    /// <summary>Starts injecting faults with the given probabilities, from <paramref name="seed"/>.</summary>
    public static void Start(int seed, double drop, double failAfter, double delay)
    {
        lock (Gate)
        {
            s_random = new Random(seed);
            (s_drop, s_failAfter, s_delay) = (drop, failAfter, delay);
            Counts = default;
        }
    }

    /// <summary>Stops injecting faults.</summary>
    public static void Stop()
    {
        lock (Gate)
        {
            s_random = null;
        }
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var fault = Decide(context.InterfaceMethod?.DeclaringType, context.MethodName);
        if (fault == Fault.Drop)
        {
            throw new TimeoutException($"Injected fault: {context.InterfaceName}.{context.MethodName} dropped before it ran.");
        }

        if (fault == Fault.Delay)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        await context.Invoke();
        if (fault == Fault.FailAfter)
        {
            throw new TimeoutException($"Injected fault: {context.InterfaceName}.{context.MethodName} ran, then its answer was lost.");
        }
    }

    private static Fault Decide(Type? grainInterface, string method)
    {
        var carriesValues = grainInterface == typeof(IChannelGrain)
            ? method is nameof(IChannelGrain.SendAsync) or nameof(IChannelGrain.ReceiveAsync) or nameof(IChannelGrain.PollAsync) or nameof(IChannelGrain.WithdrawAsync)
            : grainInterface == typeof(ITaskletGroupGrain) && method == nameof(ITaskletGroupGrain.DeliverAsync);
        if (!carriesValues)
        {
            return Fault.None;
        }

        lock (Gate)
        {
            if (s_random is null)
            {
                return Fault.None;
            }

            var roll = s_random.NextDouble();
            var counts = Counts;
            if (roll < s_drop)
            {
                Counts = counts with { Dropped = counts.Dropped + 1 };
                return Fault.Drop;
            }

            if (roll < s_drop + s_failAfter)
            {
                Counts = counts with { FailedAfter = counts.FailedAfter + 1 };
                return Fault.FailAfter;
            }

            if (roll < s_drop + s_failAfter + s_delay)
            {
                Counts = counts with { Delayed = counts.Delayed + 1 };
                return Fault.Delay;
            }

            return Fault.None;
        }
    }

    private enum Fault
    {
        None,
        Drop,
        FailAfter,
        Delay,
    }
}
