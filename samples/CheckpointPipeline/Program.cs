// A checkpointing pipeline of restorable tasklets. "run CHECKPOINT OUTPUT [items] [crash-after]" starts it (and, with
// crash-after, exits abruptly after that many items, between two checkpoints); "resume CHECKPOINT OUTPUT" loads the last
// checkpoint in a new process and finishes the work. The output file ends up with every result exactly once.
using System.Globalization;
using Stackless.Emu;
using Stackless.Emu.Samples.CheckpointPipeline;

if (args.Length < 3 || args[0] is not ("run" or "resume"))
{
    Console.Error.WriteLine("usage: CheckpointPipeline run CHECKPOINT OUTPUT [items] [crash-after] | resume CHECKPOINT OUTPUT [crash-after]");
    return 2;
}

var checkpointPath = args[1];
var outputPath = args[2];
var options = new PickleOptions().AllowAssemblyOf<Pipeline.Marker>();
var pickler = new TaskletPickler(options);
Channel<int> checkpoints;
List<Tasklet> tasklets;
if (args[0] == "run")
{
    var items = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100;
    Pipeline.CrashAfterItems = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 0;
    File.Delete(outputPath);
    var raw = new Channel<int> { Name = "raw" };
    var squared = new Channel<long> { Name = "squared" };
    checkpoints = new Channel<int> { Name = "checkpoints" };
    tasklets =
    [
        Tasklet.SpawnFrame(() => Pipeline.Source(raw, items)),
        Tasklet.SpawnFrame(() => Pipeline.Square(raw, squared)),
        Tasklet.SpawnFrame(() => Pipeline.Sink(squared, checkpoints, outputPath)),
    ];
}
else
{
    Pipeline.CrashAfterItems = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 0;
    var contents = pickler.Load(File.ReadAllBytes(checkpointPath));
    checkpoints = contents.Channels.OfType<Channel<int>>().Single(c => c.Name == "checkpoints");
    tasklets = [.. contents.Tasklets];
    contents.ScheduleRunnable();
    Console.WriteLine($"resumed from checkpoint: {contents.Tasklets.Count} tasklets, {contents.Channels.Count} channels");
}

while (true)
{
    var count = checkpoints.Receive();
    if (count < 0)
    {
        break;
    }

    var temporary = checkpointPath + ".tmp";
    using (var file = File.Create(temporary))
    {
        pickler.Dump(file, tasklets.Where(t => t.Alive));
    }

    File.Move(temporary, checkpointPath, overwrite: true);
    Console.WriteLine($"checkpoint after {count} items");
}

Scheduler.Run();
return 0;
