using System.Diagnostics;
using Stackless.Emu.Samples;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The sample's sharded sieve (<see cref="ScaleOutSieve"/>) with <c>async TaskletFrame</c> bodies: the same stages,
/// channels and dealing of filters in blocks over the scheduler threads, each tasklet spawned with
/// <see cref="Tasklet.SpawnFrame"/> on the thread it is dealt to.
/// </summary>
internal static class ScaleOutFrameSieve
{
    private const int End = -1;

    public static ScaleOutSieve.Result Run(int limit, int threads, int block = 64)
    {
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(i => new SchedulerThread($"sieve {i}")).ToArray();
        var primes = new Channel<int> { Name = "primes" };
        var numbers = new Channel<int> { Name = "numbers" };
        _ = workers[0].InvokeAsync(() => Tasklet.SpawnFrame(() => Counter(numbers, limit)));
        _ = workers[0].InvokeAsync(() => Tasklet.SpawnFrame(() => Sieve(numbers, primes, workers, threads, block)));
        var count = 0;
        var largest = 0;
        for (var p = primes.Receive(); p != End; p = primes.Receive())
        {
            count++;
            largest = p;
        }

        foreach (var worker in workers)
        {
            worker.Join();
            worker.Dispose();
        }

        return new ScaleOutSieve.Result(count, largest, clock.Elapsed);
    }

    private static async TaskletFrame Counter(Channel<int> numbers, int limit)
    {
        for (var i = 2; i <= limit; i++)
        {
            await numbers.SendAsync(i);
        }

        await numbers.SendAsync(End);
    }

    private static async TaskletFrame Filter(int prime, Channel<int> listen, Channel<int> send)
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

    private static async TaskletFrame Sieve(Channel<int> numbers, Channel<int> primes, SchedulerThread[] workers, int threads, int block)
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
            _ = workers[stage / block % threads].InvokeAsync(() => Tasklet.SpawnFrame(() => Filter(prime, listen, next)));
            source = next;
        }
    }
}
