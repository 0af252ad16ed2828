using System.Diagnostics;
using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>
/// The CSP prime sieve spread over several scheduler threads: the filter tasklets are dealt out to the threads in
/// blocks of consecutive primes, so most hand-overs stay on one thread and only block boundaries cross threads.
/// The code is the single-threaded sieve's: channels do not care which thread their partner runs on.
/// </summary>
public static class ScaleOutSieve
{
    /// <summary>The outcome of one run.</summary>
    /// <param name="Primes">How many primes up to the limit were found.</param>
    /// <param name="Largest">The largest of them.</param>
    /// <param name="Elapsed">Wall-clock time of the run.</param>
    public readonly record struct Result(int Primes, int Largest, TimeSpan Elapsed);

    /// <summary>Finds the primes up to <paramref name="limit"/> with filter stages sharded over <paramref name="threads"/> threads.</summary>
    /// <param name="limit">The largest number tested.</param>
    /// <param name="threads">Scheduler threads to spread the filters over.</param>
    /// <param name="block">Consecutive filters placed on one thread before moving to the next.</param>
    /// <param name="onPrime">Called on the caller's thread with each prime, in order.</param>
    public static Result Run(int limit, int threads, int block = 64, Action<int>? onPrime = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        const int End = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(i => new SchedulerThread($"sieve {i}")).ToArray();
        var primes = new Channel<int> { Name = "primes" };
        var numbers = new Channel<int> { Name = "numbers" };

        async Task Counter()
        {
            for (var i = 2; i <= limit; i++)
            {
                await numbers.SendAsync(i);
            }

            await numbers.SendAsync(End);
        }

        async Task Filter(int prime, Channel<int> listen, Channel<int> send)
        {
            while (true)
            {
                var i = await listen.ReceiveAsync();
                if (i == End || i % prime != 0)
                {
                    await send.SendAsync(i);
                }

                if (i == End)
                {
                    return;
                }
            }
        }

        async Task Sieve()
        {
            var source = numbers;
            for (var stage = 0; ; stage++)
            {
                var p = await source.ReceiveAsync();
                await primes.SendAsync(p);
                if (p == End)
                {
                    return;
                }

                var next = new Channel<int>();
                var (prime, listen) = (p, source);
                workers[stage / block % threads].Post(() => Filter(prime, listen, next));
                source = next;
            }
        }

        workers[0].Post(Counter);
        workers[0].Post(Sieve);
        var count = 0;
        var largest = 0;
        for (var p = primes.Receive(); p != End; p = primes.Receive())
        {
            count++;
            largest = p;
            onPrime?.Invoke(p);
        }

        foreach (var worker in workers)
        {
            worker.Join();
            worker.Dispose();
        }

        return new Result(count, largest, clock.Elapsed);
    }
}
