using Stackless.Emu.Orleans.Tests.Infrastructure;

namespace Stackless.Emu.Orleans.Tests;

/// <summary>The tasklet bodies the tests spawn into groups; they report to the <see cref="Ledger"/> under a key.</summary>
public static class TestTasklets
{
    /// <summary>Sends <paramref name="value"/> once, then records "sent".</summary>
    public static async TaskletFrame SendOnce(IRendezvousChannel<string> channel, string value, string ledger)
    {
        await channel.SendAsync(value);
        Ledger.Add(ledger, $"sent {value}");
    }

    /// <summary>Receives <paramref name="count"/> values, recording each.</summary>
    public static async TaskletFrame ReceiveMany(IRendezvousChannel<string> channel, int count, string ledger)
    {
        for (var i = 0; i < count; i++)
        {
            Ledger.Add(ledger, $"received {await channel.ReceiveAsync()}");
        }
    }

    /// <summary>Sends every value in order, recording each completed send.</summary>
    public static async TaskletFrame SendAll(IRendezvousChannel<string> channel, string[] values, string ledger)
    {
        for (var i = 0; i < values.Length; i++)
        {
            await channel.SendAsync(values[i]);
            Ledger.Add(ledger, $"sent {values[i]}");
        }
    }

    /// <summary>Answers each request with "value #n", n counted in its own frame (it travels with the tasklet).</summary>
    public static async TaskletFrame Echo(IRendezvousChannel<string> requests, IRendezvousChannel<string> replies, string ledger)
    {
        var count = 0;
        while (true)
        {
            var request = await requests.ReceiveAsync();
            count++;
            Ledger.Add(ledger, $"echo {request} #{count} on {TaskletGroup.CurrentName}");
            await replies.SendAsync($"{request} #{count}");
        }
    }

    /// <summary>Sends <paramref name="count"/> requests and records each reply.</summary>
    public static async TaskletFrame Ask(IRendezvousChannel<string> requests, IRendezvousChannel<string> replies, int count, string ledger)
    {
        for (var i = 0; i < count; i++)
        {
            await requests.SendAsync($"r{i}");
            Ledger.Add(ledger, await replies.ReceiveAsync());
        }
    }

    /// <summary>Receives once with a timeout, recording the value or the exception's type.</summary>
    public static async TaskletFrame ReceiveWithin(IRendezvousChannel<string> channel, int milliseconds, string ledger)
    {
        try
        {
            Ledger.Add(ledger, $"received {await channel.ReceiveAsync(TimeSpan.FromMilliseconds(milliseconds))}");
        }
        catch (TimeoutException)
        {
            Ledger.Add(ledger, "timeout");
        }
    }

    /// <summary>Sends once with a timeout, recording "sent" or the exception's type.</summary>
    public static async TaskletFrame SendWithin(IRendezvousChannel<string> channel, string value, int milliseconds, string ledger)
    {
        try
        {
            await channel.SendAsync(value, TimeSpan.FromMilliseconds(milliseconds));
            Ledger.Add(ledger, $"sent {value}");
        }
        catch (TimeoutException)
        {
            Ledger.Add(ledger, "timeout");
        }
    }

    /// <summary>Receives once, cancelled after <paramref name="milliseconds"/>; records the value or "cancelled".</summary>
    public static async TaskletFrame ReceiveCancelled(IRendezvousChannel<string> channel, int milliseconds, string ledger)
    {
        try
        {
            Ledger.Add(ledger, $"received {await channel.ReceiveAsync(CancelAfter(milliseconds))}");
        }
        catch (OperationCanceledException)
        {
            Ledger.Add(ledger, "cancelled");
        }
    }

    /// <summary>Receives once and records the exception's type name, or the value.</summary>
    public static async TaskletFrame ReceiveOrError(IRendezvousChannel<string> channel, string ledger)
    {
        try
        {
            Ledger.Add(ledger, $"received {await channel.ReceiveAsync()}");
        }
        catch (Exception ex) when (ex is not TaskletExit)
        {
            Ledger.Add(ledger, ex.GetType().Name);
        }
    }

    private static CancellationToken CancelAfter(int milliseconds) => new CancellationTokenSource(milliseconds).Token;
}

/// <summary>The producer and consumer of the fault-injection runs.</summary>
public static class FaultTasklets
{
    /// <summary>
    /// Sends v0..v(count-1); a send whose outcome is unknown, or that found no receiver within
    /// <paramref name="timeoutMilliseconds"/> (0: wait for ever), is noted and the next one follows.
    /// </summary>
    public static async TaskletFrame Produce(IRendezvousChannel<string> channel, int count, int timeoutMilliseconds, string ledger)
    {
        var unknown = new List<int>();
        for (var i = 0; i < count; i++)
        {
            try
            {
                if (timeoutMilliseconds > 0)
                {
                    await channel.SendAsync($"v{i}", TimeSpan.FromMilliseconds(timeoutMilliseconds));
                }
                else
                {
                    await channel.SendAsync($"v{i}");
                }
            }
            catch (Exception ex) when (ex is OutcomeUnknownException or TimeoutException)
            {
                unknown.Add(i);
            }
            catch (Exception ex) when (ex is not TaskletExit)
            {
                Ledger.Add(ledger, $"error at v{i}: {ex}");
                throw;
            }
        }

        Ledger.Add(ledger, "unknown:" + string.Join(",", unknown));
    }

    /// <summary>
    /// Receives up to <paramref name="count"/> values into a list in its own frame (checkpointed with it), stopping early
    /// when nothing comes for <paramref name="idleMilliseconds"/> (0: wait for all); reports the list once at the end.
    /// </summary>
    public static async TaskletFrame Collect(IRendezvousChannel<string> channel, int count, int idleMilliseconds, string ledger)
    {
        var received = new List<string>();
        var unknown = 0;
        while (received.Count < count)
        {
            try
            {
                received.Add(idleMilliseconds > 0 ? await channel.ReceiveAsync(TimeSpan.FromMilliseconds(idleMilliseconds)) : await channel.ReceiveAsync());
            }
            catch (TimeoutException)
            {
                break;
            }
            catch (OutcomeUnknownException)
            {
                unknown++;
            }
        }

        Ledger.Add(ledger, $"{unknown}|{string.Join(",", received)}");
    }
}

/// <summary>Tasklets showing that values are copied between nodes.</summary>
public static class CopyTasklets
{
    /// <summary>Sends a list, then changes its own copy and says so on <paramref name="done"/>.</summary>
    public static async TaskletFrame SendAndChange(IRendezvousChannel<List<string>> channel, IRendezvousChannel<string> done)
    {
        var list = new List<string> { "a", "b" };
        await channel.SendAsync(list);
        list.Add("changed by the sender");
        await done.SendAsync("changed");
    }

    /// <summary>Receives the list, waits until the sender changed its copy, and records what it sees.</summary>
    public static async TaskletFrame ReceiveAndLook(IRendezvousChannel<List<string>> channel, IRendezvousChannel<string> done, string ledger)
    {
        var list = await channel.ReceiveAsync();
        await done.ReceiveAsync();
        Ledger.Add(ledger, string.Join(",", list));
    }
}
