using Stackless.Emu;

namespace Stackless.Emu.Samples.CheckpointPipeline;

/// <summary>
/// A pipeline of restorable tasklets: a source numbers the items, a stage squares them, a sink appends each result to
/// an output file. Every <see cref="CheckpointEvery"/> items the sink asks the main tasklet for a checkpoint: the three
/// tasklets, their channels and the items in flight are pickled to disk. The sink's frame records how long the output
/// file was; after a restore it cuts the file back to that length before writing, so results written after the last
/// checkpoint by a process that was killed are written again exactly once.
/// </summary>
internal static class Pipeline
{
    /// <summary>Items between two checkpoints.</summary>
    public const int CheckpointEvery = 10;

    /// <summary>When positive, this process exits abruptly after the sink has handled that many items (a simulated crash).</summary>
    public static int CrashAfterItems { get; set; }

    private static int s_handledHere;

    /// <summary>Numbers the items 1..<paramref name="count"/>.</summary>
    public static async TaskletFrame Source(Channel<int> output, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await output.SendAsync(i);
        }

        await output.SendAsync(0); // end of stream
    }

    /// <summary>Squares each item.</summary>
    public static async TaskletFrame Square(Channel<int> input, Channel<long> output)
    {
        while (true)
        {
            var item = await input.ReceiveAsync();
            if (item == 0)
            {
                await output.SendAsync(-1);
                return;
            }

            await output.SendAsync((long)item * item);
        }
    }

    /// <summary>Appends each result to <paramref name="path"/>; asks for a checkpoint every <see cref="CheckpointEvery"/> items.</summary>
    public static async TaskletFrame Sink(Channel<long> input, Channel<int> checkpoints, string path)
    {
        var written = 0L;
        var count = 0;
        var sum = 0L;
        while (true)
        {
            var value = await input.ReceiveAsync();
            if (value < 0)
            {
                Console.WriteLine($"done: {count} items, sum {sum}");
                await checkpoints.SendAsync(-1);
                return;
            }

            using (var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write))
            {
                file.SetLength(written); // drop what a killed process wrote after the last checkpoint
                file.Seek(0, SeekOrigin.End);
                file.Write(System.Text.Encoding.UTF8.GetBytes($"{value}\n"));
                written = file.Length;
            }

            count++;
            sum += value;
            if (CrashAfterItems > 0 && ++s_handledHere == CrashAfterItems)
            {
                Console.WriteLine($"crash after item {count}");
                Environment.Exit(3);
            }

            if (count % CheckpointEvery == 0)
            {
                await checkpoints.SendAsync(count);
            }
        }
    }

    /// <summary>Names this assembly for <see cref="PickleOptions.AllowAssemblyOf{T}"/>.</summary>
    internal sealed class Marker;
}
