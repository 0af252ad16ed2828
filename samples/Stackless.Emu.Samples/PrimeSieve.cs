using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The CSP prime sieve from the survey: one filter tasklet per prime, main receives.</summary>
internal static class PrimeSieve
{
    public static void Run(TextWriter output, int limit)
    {
        var prime = new Channel<int>();
        var numbers = new Channel<int>();

        async Task Counter(Channel<int> c)
        {
            for (var i = 2; ; i++)
            {
                await c.SendAsync(i);
            }
        }

        async Task Filter(int p, Channel<int> listen, Channel<int> send)
        {
            await foreach (var i in listen)
            {
                if (i % p != 0)
                {
                    await send.SendAsync(i);
                }
            }
        }

        async Task Sieve(Channel<int> primes, Channel<int> c)
        {
            while (true)
            {
                var p = await c.ReceiveAsync();
                await primes.SendAsync(p);
                var next = new Channel<int>();
                var (pp, cc) = (p, c);
                Tasklet.Spawn(() => Filter(pp, cc, next));
                c = next;
            }
        }

        Tasklet.Spawn(() => Counter(numbers));
        Tasklet.Spawn(() => Sieve(prime, numbers));

        // As in the survey: the main tasklet just receives; no explicit Run().
        while (true)
        {
            var p = prime.Receive();
            output.WriteLine(p);
            if (p >= limit)
            {
                break;
            }
        }

        ShutDown();
    }

    /// <summary>
    /// Ends every tasklet left alive (the counter, the sieve and its filters) so nothing leaks: each gets a pending kill
    /// and dies at its next suspension point without running further, then the scheduler runs them to their end.
    /// </summary>
    private static void ShutDown()
    {
        foreach (var tasklet in Scheduler.AliveTasklets())
        {
            if (!tasklet.IsMain)
            {
                tasklet.Kill(pending: true);
            }
        }

        Scheduler.Run();
    }
}
