using System.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>Pickles written by one process and resumed by another: the seed demo, and a killed checkpointing pipeline.</summary>
public class TwoProcessTests
{
    private static (int ExitCode, string Output) RunSample(string name, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(Stress.HangGuard), $"{name} {string.Join(' ', args)} did not finish");
        Assert.True(error.Result.Length == 0, error.Result);
        return (process.ExitCode, output.Result.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private static string Levels(string verb, IEnumerable<int> levels) =>
        string.Concat(levels.Select(level => $"{verb} level {new string(' ', level * 2)}{level}\n"));

    [Fact]
    public void The_seed_demo_resumes_a_tasklet_nine_calls_deep_in_a_second_process()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tasklet-{Guid.NewGuid():N}.pickle");
        try
        {
            var (saveExit, saved) = RunSample("PickleDemo", "save", file);
            Assert.Equal(0, saveExit);

            // Script output 1 of the talk: the original tasklet finishes after it was pickled.
            Assert.Equal(Levels("enter", Enumerable.Range(1, 9)) + "hi\n" + Levels("leave", Enumerable.Range(1, 9).Reverse()), saved);
            Assert.True(new FileInfo(file).Length > 0);

            // Script output 2: a new process resumes the pickled tasklet at the bottom of the recursion.
            var (loadExit, loaded) = RunSample("PickleDemo", "load", file);
            Assert.Equal(0, loadExit);
            Assert.Equal(Levels("leave", Enumerable.Range(1, 9).Reverse()), loaded);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_killed_pipeline_resumes_from_its_checkpoint_with_nothing_lost_or_duplicated()
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-");
        try
        {
            var checkpoint = Path.Combine(directory.FullName, "pipeline.pickle");
            var output = Path.Combine(directory.FullName, "results.txt");

            var (crashExit, before) = RunSample("CheckpointPipeline", "run", checkpoint, output, "100", "45");
            Assert.Equal(3, crashExit);
            Assert.Contains("checkpoint after 40 items", before, StringComparison.Ordinal);
            Assert.Contains("crash after item 45", before, StringComparison.Ordinal);
            Assert.Equal(45, File.ReadAllLines(output).Length); // five results written after the last checkpoint

            // The second process crashes too, later; the third finishes.
            var (crashAgain, middle) = RunSample("CheckpointPipeline", "resume", checkpoint, output, "27");
            Assert.Equal(3, crashAgain);
            Assert.Contains("crash after item 67", middle, StringComparison.Ordinal);

            var (exit, after) = RunSample("CheckpointPipeline", "resume", checkpoint, output);
            Assert.Equal(0, exit);
            Assert.StartsWith("resumed from checkpoint: 3 tasklets, 3 channels\ncheckpoint after 70 items\n", after, StringComparison.Ordinal);
            Assert.EndsWith("done: 100 items, sum 338350\n", after, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(1, 100).Select(i => ((long)i * i).ToString(System.Globalization.CultureInfo.InvariantCulture)), File.ReadAllLines(output));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
