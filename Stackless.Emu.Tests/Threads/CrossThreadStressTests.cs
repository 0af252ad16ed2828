using Stackless.Emu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stackless.Emu.Tests.Threads;

/// <summary>Cross-thread channels under load: nothing lost, nothing duplicated, nothing out of order.</summary>
[Collection(SequentialCollection.Name)]
public class CrossThreadStressTests(ITestOutputHelper output)
{
    /// <summary>
    /// 4 scheduler threads in a ring; each sends numbered messages to the next thread's receiver while its own receiver
    /// takes the previous thread's: 50,000 each by default, 1,000,000 each (4,000,000 cross-thread channel operations on
    /// each side) with STACKLESS_FULL_STRESS=1.
    /// </summary>
    [Fact]
    public void FourThreadsInARing_ManyMessagesEach_NoneLostOrDuplicated() => Isolated.Run(() =>
    {
        const int Threads = 4;
        var messages = Stress.Size(50_000, 1_000_000);
        var channels = Enumerable.Range(0, Threads).Select(i => new Channel<int> { Name = $"ring {i}" }).ToArray();
        var results = new Channel<(int Thread, long Count, long Sum, int Disorder)>();
        var workers = Enumerable.Range(0, Threads).Select(i => new SchedulerThread($"ring {i}")).ToList();
        for (var i = 0; i < Threads; i++)
        {
            var outgoing = channels[i];
            var incoming = channels[(i + Threads - 1) % Threads];
            var index = i;
            workers[i].Post(async () =>
            {
                for (var n = 0; n < messages; n++)
                {
                    await outgoing.SendAsync(n);
                }
            });
            workers[i].Post(async () =>
            {
                long count = 0, sum = 0;
                var expected = 0;
                var disorder = 0;
                while (count < messages)
                {
                    var n = await incoming.ReceiveAsync();
                    disorder += n == expected ? 0 : 1;
                    expected = n + 1;
                    count++;
                    sum += n;
                }

                await results.SendAsync((index, count, sum, disorder));
            });
        }

        var reports = Enumerable.Range(0, Threads).Select(_ => results.Receive()).OrderBy(r => r.Thread).ToList();
        workers.ForEach(w => w.Join());

        var expectedSum = (long)messages * (messages - 1) / 2;
        Assert.All(reports, r =>
        {
            Assert.Equal(messages, r.Count);
            Assert.Equal(expectedSum, r.Sum);
            Assert.Equal(0, r.Disorder);
        });
        Assert.All(channels, c => Assert.Equal(0, c.Balance));
        output.WriteLine($"{Threads} x {messages:N0} cross-thread messages, none lost, duplicated or out of order");
    });
}
