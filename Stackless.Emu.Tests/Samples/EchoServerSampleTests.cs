using System.Diagnostics;
using System.Text.Json;

namespace Stackless.Emu.Tests.Samples;

/// <summary>
/// samples/EchoServer's one command runs every server (soft tasklets on 1 and on N scheduler threads, hard tasklets,
/// plain async/await) against its child-process load client and prints both tasklet figures; small sizes here.
/// </summary>
public class EchoServerSampleTests
{
    [Fact]
    public void OneCommand_ServesEveryConnectionOnEveryServer_AndPrintsTheSingleThreadFigureBesideThePool()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "EchoServer.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var json = Path.Combine(Path.GetTempPath(), $"echo-test-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, "200", "3", "--hard-connections", "40", "--no-warmup", "--json", json })
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), "the echo sample did not finish");
            Assert.True(error.Result.Length == 0, error.Result);
            Assert.Equal(0, process.ExitCode);

            var text = output.Result;
            var cores = Environment.ProcessorCount;
            Assert.Contains("soft tasklets, 1 scheduler thread ", text, StringComparison.Ordinal);
            Assert.Contains($"soft tasklets, SchedulerPool of {cores} threads", text, StringComparison.Ordinal);
            Assert.Contains($"hard tasklets, SchedulerPool of {cores} threads", text, StringComparison.Ordinal);
            Assert.Contains("plain async/await, thread pool", text, StringComparison.Ordinal);
            Assert.Matches($@"soft tasklets: 1 scheduler thread \d+ round trips/s .*, {cores} scheduler threads \d+ round trips/s", text);

            using var report = JsonDocument.Parse(File.ReadAllText(json));
            var servers = report.RootElement.EnumerateArray().ToList();
            Assert.Equal([1, cores, cores, 0], servers.Select(s => s.GetProperty("SchedulerThreads").GetInt32()));
            Assert.Equal([200, 200, 40, 200], servers.Select(s => s.GetProperty("Connections").GetInt32()));
            foreach (var server in servers)
            {
                var connections = server.GetProperty("Connections").GetInt32();
                Assert.Equal(connections * 3L, server.GetProperty("Done").GetProperty("Count").GetInt64());
                Assert.Equal(0, server.GetProperty("Errors").GetInt64());
            }
        }
        finally
        {
            File.Delete(json);
        }
    }
}
